//! The pointer file, `<dataset>/pointer.json`: everything a consumer needs in one small object
//! (SPEC.md, "Pointer file").
//!
//! Consumers read only this file: the version, its manifest, and its data files as dataset-relative
//! paths and as full URLs. It is derived from the log's head and rewritten (atomically) after every
//! entry; the log stays the source of truth. Building one for a dataset, and checking that its
//! URLs lead to where it was read, is [`crate::pointer`]'s (it needs the store).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::names::{DatasetName, VersionId};

pub const FORMAT: &str = "lastgood.pointer";
pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PointerFile {
    pub format: String,
    pub format_version: u32,
    pub dataset: DatasetName,
    pub version: VersionId,
    /// The log entry this file reflects.
    pub seq: u64,
    pub updated_at: DateTime<Utc>,
    /// Relative to the dataset's prefix.
    pub manifest: String,
    pub manifest_checksum: String,
    /// The URL of the dataset's prefix; each file's `url` is this joined with its `path`.
    pub root: String,
    pub rows: u64,
    pub files: Vec<PointerFileEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PointerFileEntry {
    pub path: String,
    pub url: String,
    pub size: u64,
    pub rows: u64,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub partition: BTreeMap<String, String>,
}

impl PointerFile {
    pub fn to_bytes(&self) -> bytes::Bytes {
        // Plain data: serialization cannot fail.
        let mut v = serde_json::to_vec_pretty(self).unwrap_or_default();
        v.push(b'\n');
        bytes::Bytes::from(v)
    }

    pub fn parse(bytes: &[u8], dataset: &DatasetName) -> Result<PointerFile> {
        let p: PointerFile = serde_json::from_slice(bytes).map_err(|e| {
            Error::Corrupt(format!("pointer file of {dataset}: does not parse: {e}"))
        })?;
        if p.format != FORMAT || p.format_version != FORMAT_VERSION || &p.dataset != dataset {
            return Err(Error::Corrupt(format!(
                "pointer file of {dataset}: not a {FORMAT} for {dataset}"
            )));
        }
        Ok(p)
    }
}
