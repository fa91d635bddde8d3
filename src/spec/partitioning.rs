//! The declared partitioning of a dataset, as the rules record stores it, and the partition key
//! types a manifest records (`partition_types`). See SPEC.md, "Partitioned datasets".
//!
//! What the declaration means (checking files against it, ordering partitions) is
//! [`crate::partition`]'s.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyType {
    #[default]
    String,
    /// `YYYY-MM-DD`.
    Date,
    /// A signed 64-bit integer, ordered numerically.
    Int,
}

impl KeyType {
    /// The type folder values show: all `YYYY-MM-DD` dates → date, all integers → int, else
    /// string; none when there are no values to judge by.
    pub fn infer<'a>(values: impl IntoIterator<Item = &'a str>) -> Option<KeyType> {
        let mut seen = false;
        let (mut date, mut int) = (true, true);
        for v in values {
            seen = true;
            date &= v.len() == 10 && chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d").is_ok();
            int &= v.parse::<i64>().is_ok();
        }
        seen.then_some(if date {
            KeyType::Date
        } else if int {
            KeyType::Int
        } else {
            KeyType::String
        })
    }

    /// The name used in configs and manifests.
    pub fn as_str(&self) -> &'static str {
        match self {
            KeyType::String => "string",
            KeyType::Date => "date",
            KeyType::Int => "int",
        }
    }
}

/// What the gates of a partitioned publish compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Compare {
    /// A replaced partition against its previous self; a new one against the baseline's most
    /// recent partition.
    #[default]
    Partition,
    /// The whole new version against the whole baseline.
    Dataset,
}

/// A dataset's declared partitioning.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Partitioning {
    pub keys: Vec<String>,
    pub types: BTreeMap<String, KeyType>,
    pub compare: Compare,
}

impl Partitioning {
    pub fn key_type(&self, key: &str) -> KeyType {
        self.types.get(key).copied().unwrap_or_default()
    }
}
