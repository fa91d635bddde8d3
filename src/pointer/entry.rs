//! Log entries and the pointer state they carry.
//!
//! Every entry records one action and the whole [`State`] after it, so the head entry alone
//! answers "what is current, what is last-known-good, what was reverted": reading the pointer takes
//! a constant number of requests however long the history; replaying the log from seq 1 must give
//! the same states (an integrity check).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::names::VersionId;

pub const FORMAT: &str = "lastgood.log-entry";
pub const FORMAT_VERSION: u32 = 1;

/// How many earlier good versions the state remembers for `revert`.
pub const KNOWN_GOOD_DEPTH: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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

    /// The state after an entry's action: how writers compute `state` and how doctor replays it.
    /// `None` when the entry lacks what its action needs (a move without `to`, a pin without
    /// `subject`).
    pub fn after(&self, e: &LogEntry) -> Option<State> {
        let mut next = self.clone();
        // Any entry may put rules in force (the first publish of a dataset records them); a
        // `configure` entry must.
        if let Some(r) = &e.rules {
            next.rules = Some(r.clone());
        }
        match e.action {
            Action::Promote | Action::Set | Action::Revert => {
                let mut next = next.moved(e.action, e.to.as_ref()?);
                next.moved_at_seq = Some(e.seq);
                // A partition revert also marks the versions that brought the bad partitions, so
                // a later plain revert does not go back to them.
                for bad in e.replaced() {
                    if next.version.as_ref() != Some(&bad) {
                        next.known_good.retain(|v| *v != bad);
                        if !next.reverted.contains(&bad) {
                            next.reverted.push(bad);
                            next.reverted.sort();
                        }
                    }
                }
                return Some(next);
            }
            Action::Freeze => {
                next.frozen = Some(Frozen {
                    reason: e.reason.clone().unwrap_or_default(),
                    actor: e.actor.clone(),
                    at: e.at,
                });
            }
            Action::Unfreeze => next.frozen = None,
            Action::Pin => {
                let v = e.subject.as_ref()?;
                if !next.pinned.contains(v) {
                    next.pinned.push(v.clone());
                    next.pinned.sort();
                }
            }
            Action::Unpin => next.pinned.retain(|p| Some(p) != e.subject.as_ref()),
            Action::Gc => {
                let gone = e.deleted();
                next.known_good.retain(|v| !gone.contains(v));
                next.collecting = Some(Collecting {
                    seq: e.seq,
                    versions: gone,
                });
            }
            Action::Configure => {
                e.rules.as_ref()?;
            }
        }
        Some(next)
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

/// One entry of the pointer log, `log/<seq>.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogEntry {
    pub format: String,
    pub format_version: u32,
    /// Position in the log, from 1, without gaps.
    pub seq: u64,
    pub action: Action,
    pub from: Option<VersionId>,
    pub to: Option<VersionId>,
    /// `user@host`, or `--actor`.
    pub actor: String,
    pub at: DateTime<Utc>,
    pub reason: Option<String>,
    /// True when a policy refusal was overridden with `--force`.
    #[serde(default)]
    pub forced: bool,
    /// The checksum of `to`'s manifest as it was read when the entry was written.
    pub manifest_checksum: Option<String>,
    /// The gate verdict that allowed the move, when gates ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<serde_json::Value>,
    /// The version a `pin` or `unpin` names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<VersionId>,
    /// Action-specific facts: for `gc` the versions and files deleted; for a partition revert the
    /// partitions and where they came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<serde_json::Value>,
    /// The rules this entry puts in force (`blake3:<hex>`, the object `rules/<hex>.json`): set by
    /// `configure`, and by the first entry a publish writes for a dataset with none recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules: Option<String>,
    /// Checksum of the previous entry's bytes (none for seq 1): the log is a hash chain.
    pub prev: Option<String>,
    pub state: State,
}

impl LogEntry {
    /// The versions whose partitions a partition revert replaced (empty otherwise).
    pub fn replaced(&self) -> Vec<VersionId> {
        self.detail_ids(Action::Revert, "partitions", Some("replaced"))
    }

    /// The versions a `gc` entry lists as deleted (empty for other actions).
    pub fn deleted(&self) -> Vec<VersionId> {
        self.detail_ids(Action::Gc, "deleted", None)
    }

    /// The files of collected folders a `gc` entry keeps because kept versions list them
    /// (dataset-relative paths; empty for other actions).
    pub fn kept_files(&self) -> Vec<String> {
        if self.action != Action::Gc {
            return Vec::new();
        }
        self.detail
            .as_ref()
            .and_then(|d| d.get("kept_files"))
            .and_then(|d| d.as_array())
            .into_iter()
            .flatten()
            .filter_map(|p| p.as_str().map(str::to_string))
            .collect()
    }

    /// Version ids in `detail[list]` of an entry of `action`: the items themselves, or each item's
    /// `field`. Items that are not version ids are skipped.
    fn detail_ids(&self, action: Action, list: &str, field: Option<&str>) -> Vec<VersionId> {
        if self.action != action {
            return Vec::new();
        }
        let items = self
            .detail
            .as_ref()
            .and_then(|d| d.get(list))
            .and_then(|d| d.as_array());
        items
            .into_iter()
            .flatten()
            .filter_map(|item| match field {
                Some(f) => item.get(f),
                None => Some(item),
            })
            .filter_map(|v| v.as_str().and_then(|s| VersionId::new(s).ok()))
            .collect()
    }

    pub fn to_bytes(&self) -> bytes::Bytes {
        let mut v = serde_json::to_vec_pretty(self).expect("log entry serializes");
        v.push(b'\n');
        bytes::Bytes::from(v)
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
