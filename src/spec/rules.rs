//! A dataset's rules, `rules/<hex>.json`: partitioning, gates, contract and success marker,
//! recorded with the dataset so every writer on every machine judges and partitions alike (SPEC.md,
//! "Rules on the store"). Named by the blake3 of its exact bytes; never changed.
//!
//! The gates and contract are the gate configuration types serialized ([`GateSpec`], [`Contract`]):
//! one format, read back through the same strict checks as the TOML. Settling a writer's rules
//! against the store's, and `rules set`, are [`crate::rules`]'s.

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::gates::{Contract, GateSpec};
use crate::spec::partitioning::Partitioning;

pub const FORMAT: &str = "lastgood.rules";
pub const FORMAT_VERSION: u32 = 1;

/// One dataset's rules, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatasetRules {
    pub format: String,
    pub format_version: u32,
    /// Partition keys, types and compare scope; `null` for a dataset published whole.
    pub partitioning: Option<Partitioning>,
    /// The gates, each as in a validations file.
    pub gates: Vec<GateSpec>,
    /// The contract schema, if any.
    pub contract: Option<Contract>,
    /// A file every source folder must hold (`_SUCCESS`).
    pub success_marker: Option<String>,
}

impl DatasetRules {
    pub fn to_bytes(&self) -> Bytes {
        let mut v = serde_json::to_vec_pretty(self).unwrap_or_default();
        v.push(b'\n');
        Bytes::from(v)
    }

    pub fn checksum(&self) -> String {
        crate::spec::checksum(&self.to_bytes())
    }
}
