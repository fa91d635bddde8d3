//! A log entry's `detail`: action-specific facts, one type per action that has any (SPEC.md,
//! "Log entry"). The entry's `action` is the tag: a `gc` entry's detail is a [`GcDetail`], a
//! partition revert's a [`PartitionRevertDetail`], a `configure` entry's a [`ConfigureDetail`];
//! other actions have none.

use serde::{Deserialize, Serialize};

use crate::names::VersionId;
use crate::spec::action::Action;

/// The detail of an entry, by its action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Detail {
    Gc(GcDetail),
    /// A `revert` with `--partition`.
    PartitionRevert(PartitionRevertDetail),
    Configure(ConfigureDetail),
}

impl Detail {
    /// The typed detail of an entry of `action`, from its JSON (read by [`crate::spec::LogEntry`]'s
    /// reader, which knows the action). An action without a detail type refuses one.
    pub fn from_json(action: Action, v: serde_json::Value) -> Result<Detail, String> {
        let typed = match action {
            Action::Gc => serde_json::from_value(v).map(Detail::Gc),
            Action::Revert => serde_json::from_value(v).map(Detail::PartitionRevert),
            Action::Configure => serde_json::from_value(v).map(Detail::Configure),
            other => return Err(format!("a {other} entry has no detail")),
        };
        typed.map_err(|e| format!("the detail of a {action} entry: {e}"))
    }

    /// The action whose detail this is.
    pub fn action(&self) -> Action {
        match self {
            Detail::Gc(_) => Action::Gc,
            Detail::PartitionRevert(_) => Action::Revert,
            Detail::Configure(_) => Action::Configure,
        }
    }
}

/// What a `gc` entry collects (SPEC.md, "gc", step 3). Fields in key order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GcDetail {
    /// Bytes of the objects to delete.
    pub bytes: u64,
    /// The collected versions, sorted.
    pub deleted: Vec<VersionId>,
    /// `--include-reverted`. Absent in entries written before the option existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_reverted: Option<bool>,
    /// `--keep`.
    pub keep: u64,
    /// Dataset-relative paths of the objects of collected folders that stay because a kept
    /// manifest lists them. Absent in entries written before partitioned datasets (read: none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kept_files: Option<Vec<String>>,
    /// How many objects to delete.
    pub objects: u64,
    /// `--older-than` in seconds.
    pub older_than_s: Option<i64>,
}

/// What a partition revert put back (SPEC.md, "Partition revert", step 4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartitionRevertDetail {
    /// One per `--partition` selector, in the order given.
    pub partitions: Vec<RevertedPartition>,
}

/// One partition a partition revert replaced. (In a log entry its keys are sorted; in the
/// command's `--json` they come in this order.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevertedPartition {
    /// The partition's label, `date=2026-11-21`.
    pub partition: String,
    /// The version the bad files came from (their folder); null when the current version had none.
    pub replaced: Option<VersionId>,
    /// The version the partition was taken from.
    pub from: VersionId,
    /// Its rows (0 when it had no such partition, which removes the partition).
    pub rows: u64,
}

/// What a `configure` entry (`rules set`) changed. Fields in key order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigureDetail {
    /// One line per difference from the previous rules.
    pub changes: Vec<String>,
    /// The checksum of the rules in force before; null when none were recorded.
    pub previous: Option<String>,
}
