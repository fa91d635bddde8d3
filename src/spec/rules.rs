//! A dataset's rules, `rules/<hex>.json`: partitioning, gates, contract and success marker,
//! recorded with the dataset so every writer on every machine judges and partitions alike (SPEC.md,
//! "Rules on the store"). Named by the blake3 of its exact bytes; never changed.
//!
//! The record's shape is the format's; what a gate and a contract hold is the gates' own
//! configuration, so the record takes them as parameters: [`crate::rules::DatasetRules`] is this
//! record with the gate configuration types (`crate::gates::GateSpec`, `crate::gates::Contract`),
//! read back through the same strict checks as the TOML. The records therefore never import the
//! gates, which read manifests. Settling a writer's rules against the store's, and `rules set`,
//! are [`crate::rules`]'s.

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::spec::partitioning::Partitioning;

pub const FORMAT: &str = "lastgood.rules";
pub const FORMAT_VERSION: u32 = 1;

/// One dataset's rules, as stored: `G` is a gate's configuration, `C` the contract's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rules<G, C> {
    pub format: String,
    pub format_version: u32,
    /// Partition keys, types and compare scope; `null` for a dataset published whole.
    pub partitioning: Option<Partitioning>,
    /// The gates, each as in a validations file.
    pub gates: Vec<G>,
    /// The contract schema, if any.
    pub contract: Option<C>,
    /// A file every source folder must hold (`_SUCCESS`).
    pub success_marker: Option<String>,
    /// Orchestrators told of every move and publish (src/notify/): absent when none, so the rules
    /// of datasets without them keep their bytes and checksum.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify: Option<crate::notify::settings::Notify>,
}

impl<G: Serialize, C: Serialize> Rules<G, C> {
    pub fn to_bytes(&self) -> Bytes {
        // Plain data: serialization cannot fail.
        let mut v = serde_json::to_vec_pretty(self).unwrap_or_default();
        v.push(b'\n');
        Bytes::from(v)
    }

    /// `blake3:<hex>` of [`Rules::to_bytes`]: the object's name.
    pub fn checksum(&self) -> String {
        crate::spec::checksum::checksum(&self.to_bytes())
    }
}
