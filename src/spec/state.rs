//! The pointer's state that every log entry carries whole (SPEC.md, "Log entry": State).
//!
//! Every entry records one action and the whole [`State`] after it, so the head entry alone
//! answers "what is current, what is last-known-good, what was reverted": reading the pointer takes
//! a constant number of requests however long the history; replaying the log from seq 1 must give
//! the same states (an integrity check). The transition for each action is `State::after`
//! ([`crate::spec::log_entry`]).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::names::VersionId;
use crate::spec::action::Action;

/// How many earlier good versions the state remembers for `revert`.
pub const KNOWN_GOOD_DEPTH: usize = 32;

/// The pointer's state after an entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct State {
    /// What consumers read.
    pub version: Option<VersionId>,
    /// Versions the pointer held before, most recent first, never the current one nor a reverted
    /// one; the first is the last-known-good that `revert` goes back to.
    pub known_good: Vec<VersionId>,
    /// Versions a revert moved away from; not promoted again without `--force`.
    pub reverted: Vec<VersionId>,
    /// Versions protected from gc (`pin`), sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pinned: Vec<VersionId>,
    /// Set while the dataset is frozen: nothing is promoted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frozen: Option<Frozen>,
    /// The entry that last moved the pointer (later entries may be marks: freeze, pin, gc).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moved_at_seq: Option<u64>,
    /// The newest `gc` entry and the versions it collects, carried by every later entry: a move
    /// that lands after it checks it (the versions may still be sealed while gc unseals them, or
    /// after gc was interrupted). Each gc lists again every version an earlier gc listed that is
    /// still on the store, so this one entry covers every collected version not yet gone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collecting: Option<Collecting>,
    /// The checksum (`blake3:<hex>`) of the rules in force, `rules/<hex>.json`: every writer
    /// judges and partitions by them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules: Option<String>,
}

/// The versions the newest `gc` entry (at `seq`) collects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Collecting {
    pub seq: u64,
    pub versions: Vec<VersionId>,
}

/// Who froze a dataset, when and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Frozen {
    pub reason: String,
    pub actor: String,
    pub at: DateTime<Utc>,
}

impl State {
    pub fn last_known_good(&self) -> Option<&VersionId> {
        self.known_good.first()
    }

    pub fn is_reverted(&self, v: &VersionId) -> bool {
        self.reverted.contains(v)
    }

    pub fn is_pinned(&self, v: &VersionId) -> bool {
        self.pinned.contains(v)
    }

    /// The seq of the newest gc entry, when it collects `v`.
    pub fn collected_by(&self, v: &VersionId) -> Option<u64> {
        self.collecting
            .as_ref()
            .filter(|c| c.versions.contains(v))
            .map(|c| c.seq)
    }

    /// The state after moving the pointer to `to`. A revert marks the version it leaves as reverted;
    /// any other move remembers it as known-good. Moving to a reverted version (forced) clears its
    /// mark.
    pub fn moved(&self, action: Action, to: &VersionId) -> State {
        let mut next = self.clone();
        next.known_good.retain(|v| v != to);
        next.reverted.retain(|v| v != to);
        if let Some(cur) = &self.version
            && cur != to
        {
            if action == Action::Revert {
                if !next.reverted.contains(cur) {
                    next.reverted.push(cur.clone());
                    next.reverted.sort();
                }
            } else {
                next.known_good.insert(0, cur.clone());
            }
        }
        next.known_good.truncate(KNOWN_GOOD_DEPTH);
        next.version = Some(to.clone());
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> VersionId {
        VersionId::new(s).unwrap()
    }

    #[test]
    fn revert_walks_back_over_reverted_versions() {
        let s = State::default().moved(Action::Promote, &v("v1"));
        let s = s
            .moved(Action::Promote, &v("v2"))
            .moved(Action::Promote, &v("v3"));
        assert_eq!(s.last_known_good(), Some(&v("v2")));
        let s = s.moved(Action::Revert, &v("v2"));
        assert_eq!(s.version, Some(v("v2")));
        assert!(s.is_reverted(&v("v3")));
        assert_eq!(s.last_known_good(), Some(&v("v1")));
        let s = s.moved(Action::Revert, &v("v1"));
        assert_eq!(s.reverted, vec![v("v2"), v("v3")]);
        assert_eq!(s.last_known_good(), None);
        let s = s.moved(Action::Promote, &v("v4"));
        assert_eq!(s.last_known_good(), Some(&v("v1")));
        // Undoing a revert (forced set) clears the mark.
        let s = s.moved(Action::Set, &v("v3"));
        assert_eq!(s.reverted, vec![v("v2")]);
        assert_eq!(s.known_good, vec![v("v4"), v("v1")]);
    }

    #[test]
    fn known_good_is_bounded_and_unique() {
        let mut s = State::default();
        for i in 0..100 {
            s = s.moved(Action::Set, &v(&format!("v{}", i % 40)));
        }
        assert_eq!(s.known_good.len(), KNOWN_GOOD_DEPTH);
        let mut seen = s.known_good.clone();
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), KNOWN_GOOD_DEPTH);
        assert!(!s.known_good.contains(s.version.as_ref().unwrap()));
    }
}
