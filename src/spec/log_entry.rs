//! A log entry, `log/<seq>.json`: one action (a move of the pointer or a mark) and the whole
//! pointer state after it (SPEC.md, "Log entry").
//!
//! The entry's `action` tags its `detail` ([`Detail`]): the reader parses the detail by the action,
//! so a `gc` entry's list of collected versions is a typed [`GcDetail`], never a JSON value looked
//! up by key. Written pretty-printed with a final newline; `verdict` and `detail` are written with
//! their keys sorted (as every free-form object of the format), whatever order their types declare.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize, Serializer};

use crate::error::{Error, Result};
use crate::names::{DatasetName, VersionId};
pub use crate::spec::action::Action;
use crate::spec::detail::{Detail, GcDetail, RevertedPartition};
use crate::spec::state::{Collecting, Frozen, State};
use crate::spec::verdict::Verdict;

pub const FORMAT: &str = "lastgood.log-entry";
pub const FORMAT_VERSION: u32 = 1;

/// One entry of the pointer log, `log/<seq>.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawEntry")]
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
    pub forced: bool,
    /// The checksum of `to`'s manifest as it was read when the entry was written.
    pub manifest_checksum: Option<String>,
    /// The gate verdict that allowed the move (a `promote`).
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "sorted_keys"
    )]
    pub verdict: Option<Verdict>,
    /// The version a `pin` or `unpin` names.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<VersionId>,
    /// Action-specific facts: for `gc` the versions and files deleted; for a partition revert the
    /// partitions and where they came from; for `configure` what changed.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "sorted_keys"
    )]
    pub detail: Option<Detail>,
    /// The rules this entry puts in force (`blake3:<hex>`, the object `rules/<hex>.json`): set by
    /// `configure`, and by the first entry a publish writes for a dataset with none recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rules: Option<String>,
    /// Checksum of the previous entry's bytes (none for seq 1): the log is a hash chain.
    pub prev: Option<String>,
    pub state: State,
}

/// The entry as it is on the store, `detail` not yet typed by the action.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    format: String,
    format_version: u32,
    seq: u64,
    action: Action,
    from: Option<VersionId>,
    to: Option<VersionId>,
    actor: String,
    at: DateTime<Utc>,
    reason: Option<String>,
    #[serde(default)]
    forced: bool,
    manifest_checksum: Option<String>,
    #[serde(default)]
    verdict: Option<Verdict>,
    #[serde(default)]
    subject: Option<VersionId>,
    #[serde(default)]
    detail: Option<serde_json::Value>,
    #[serde(default)]
    rules: Option<String>,
    prev: Option<String>,
    state: State,
}

impl TryFrom<RawEntry> for LogEntry {
    type Error = String;

    fn try_from(r: RawEntry) -> std::result::Result<LogEntry, String> {
        let detail = match r.detail {
            Some(v) => Some(Detail::from_json(r.action, v)?),
            None => None,
        };
        Ok(LogEntry {
            format: r.format,
            format_version: r.format_version,
            seq: r.seq,
            action: r.action,
            from: r.from,
            to: r.to,
            actor: r.actor,
            at: r.at,
            reason: r.reason,
            forced: r.forced,
            manifest_checksum: r.manifest_checksum,
            verdict: r.verdict,
            subject: r.subject,
            detail,
            rules: r.rules,
            prev: r.prev,
            state: r.state,
        })
    }
}

/// Serializes through a JSON value, whose maps are sorted: the format's free-form objects have
/// their keys sorted, and entries written before these types existed hash the same way.
fn sorted_keys<T: Serialize, S: Serializer>(
    v: &Option<T>,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    use serde::ser::Error as _;
    match v {
        Some(v) => serde_json::to_value(v)
            .map_err(S::Error::custom)?
            .serialize(s),
        None => s.serialize_none(),
    }
}

impl LogEntry {
    /// Parses and checks the entry read from `log/<seq>.json`: no unknown field, a detail of the
    /// shape its action has, and the expected seq and format.
    pub fn parse(bytes: &[u8], dataset: &DatasetName, seq: u64) -> Result<LogEntry> {
        let e: LogEntry = serde_json::from_slice(bytes).map_err(|e| {
            Error::Corrupt(format!("log entry {seq} of {dataset}: does not parse: {e}"))
        })?;
        if e.seq != seq || e.format != FORMAT || e.format_version != FORMAT_VERSION {
            return Err(Error::Corrupt(format!(
                "log entry {seq} of {dataset}: wrong seq or format"
            )));
        }
        Ok(e)
    }

    pub fn to_bytes(&self) -> bytes::Bytes {
        // Plain data (strings, numbers, sorted maps): serialization cannot fail.
        let mut v = serde_json::to_vec_pretty(self).unwrap_or_default();
        v.push(b'\n');
        bytes::Bytes::from(v)
    }

    /// A `gc` entry's detail.
    pub fn gc(&self) -> Option<&GcDetail> {
        match &self.detail {
            Some(Detail::Gc(d)) if self.action == Action::Gc => Some(d),
            _ => None,
        }
    }

    /// The partitions a partition revert put back (empty for any other entry).
    pub fn partitions(&self) -> &[RevertedPartition] {
        match &self.detail {
            Some(Detail::PartitionRevert(d)) if self.action == Action::Revert => &d.partitions,
            _ => &[],
        }
    }

    /// The versions whose partitions a partition revert replaced (empty otherwise).
    pub fn replaced(&self) -> Vec<VersionId> {
        self.partitions()
            .iter()
            .filter_map(|p| p.replaced.clone())
            .collect()
    }

    /// The versions a `gc` entry lists as deleted (empty for other actions).
    pub fn deleted(&self) -> Vec<VersionId> {
        self.gc().map(|d| d.deleted.clone()).unwrap_or_default()
    }

    /// The files of collected folders a `gc` entry keeps because kept versions list them
    /// (dataset-relative paths; empty for other actions).
    pub fn kept_files(&self) -> Vec<String> {
        self.gc()
            .and_then(|d| d.kept_files.clone())
            .unwrap_or_default()
    }

    /// The manifest checksum this entry recorded for `v`, when the entry moved the pointer to `v`
    /// (or is a mark after such a move: its `to` is the current version).
    pub fn recorded_checksum(&self, v: &VersionId) -> Option<&str> {
        (self.to.as_ref() == Some(v))
            .then_some(self.manifest_checksum.as_deref())
            .flatten()
    }
}

impl State {
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
}
