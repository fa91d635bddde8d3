//! A log entry's `action`: a move of the read pointer or a mark that leaves it where it is.

use serde::{Deserialize, Serialize};

/// What a log entry did. Readers of format version 1 reject unknown actions.
///
/// To add an action: a variant here (and its word in [`Action::as_str`]), its state transition in
/// [`crate::spec::log_entry`] (`State::after`), its `detail` in [`crate::spec::detail`] if it has
/// one, its rules in [`crate::pointer::policy`], and a verb in `src/ops/` that commits it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// A publish moved the pointer to the version it sealed.
    Promote,
    /// `pointer set`: an operator moved the pointer to a chosen version.
    Set,
    /// `pointer revert`: the current version was judged bad and the pointer moved back.
    Revert,
    /// `freeze`: publishes still seal and gate, but nothing is promoted until `unfreeze`.
    Freeze,
    Unfreeze,
    /// `pin`: the version named in `subject` is protected from gc.
    Pin,
    Unpin,
    /// `gc`: versions were deleted (listed in `detail`); the pointer stays.
    Gc,
    /// `rules set`: the dataset's rules changed on purpose (`rules` names the new object; `detail`
    /// says what changed); the pointer stays.
    Configure,
}

impl Action {
    pub const ALL: [Action; 9] = [
        Action::Promote,
        Action::Set,
        Action::Revert,
        Action::Freeze,
        Action::Unfreeze,
        Action::Pin,
        Action::Unpin,
        Action::Gc,
        Action::Configure,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            Action::Promote => "promote",
            Action::Set => "set",
            Action::Revert => "revert",
            Action::Freeze => "freeze",
            Action::Unfreeze => "unfreeze",
            Action::Pin => "pin",
            Action::Unpin => "unpin",
            Action::Gc => "gc",
            Action::Configure => "configure",
        }
    }

    /// Whether the action moves the pointer (the others only change marks: freeze, pins, gc).
    pub fn moves(&self) -> bool {
        matches!(self, Action::Promote | Action::Set | Action::Revert)
    }
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
