//! What a move or a mark did: the outcomes of the verbs that append to the log, built from the
//! entry they wrote (or the head, when there was nothing to do). The shape of their `--json`.

use serde::{Deserialize, Serialize};

use crate::dataset::Dataset;
use crate::spec::action::Action;
use crate::spec::log_entry::LogEntry;
use crate::spec::state::State;

/// What a pointer move did; the shape of `--json` for `pointer set` and `pointer revert`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MoveOutcome {
    pub dataset: String,
    pub action: String,
    pub from: Option<String>,
    pub to: Option<String>,
    /// False when the pointer already was there (nothing written).
    pub moved: bool,
    pub seq: u64,
    pub forced: bool,
}

impl MoveOutcome {
    /// The pointer already was where `action` wanted it: nothing written. The action is the one
    /// asked for (not the head entry's), `from` and `to` are both the current version, `seq` the
    /// head's.
    pub fn unmoved(ds: &Dataset, action: Action, head: &LogEntry) -> Self {
        let at = head.state.version.as_ref().map(|v| v.to_string());
        MoveOutcome {
            dataset: ds.name().to_string(),
            action: action.as_str().to_string(),
            from: at.clone(),
            to: at,
            moved: false,
            seq: head.seq,
            forced: false,
        }
    }

    pub fn new(ds: &Dataset, e: &LogEntry, moved: bool) -> Self {
        MoveOutcome {
            dataset: ds.name().to_string(),
            action: e.action.as_str().to_string(),
            from: e.from.as_ref().map(|v| v.to_string()),
            to: e.to.as_ref().map(|v| v.to_string()),
            moved,
            seq: e.seq,
            forced: e.forced,
        }
    }
}

/// What a mark (freeze, unfreeze, pin, unpin) did; the shape of their `--json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MarkOutcome {
    pub dataset: String,
    pub action: String,
    /// False when the state already was so (nothing written).
    pub changed: bool,
    pub seq: u64,
    /// The version the pointer is at (unchanged).
    pub current: Option<String>,
    /// The version a pin or unpin names.
    pub version: Option<String>,
    pub state: State,
}

impl MarkOutcome {
    pub fn new(ds: &Dataset, action: Action, e: &LogEntry, changed: bool) -> Self {
        MarkOutcome {
            dataset: ds.name().to_string(),
            action: action.as_str().to_string(),
            changed,
            seq: e.seq,
            current: e.state.version.as_ref().map(|v| v.to_string()),
            version: e.subject.as_ref().map(|v| v.to_string()),
            state: e.state.clone(),
        }
    }
}
