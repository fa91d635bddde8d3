//! `lastgood versions` and `lastgood show`: the sealed versions of a dataset and what each holds.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use futures::{StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};

use crate::dataset::Dataset;
use crate::error::{Error, Result};
use crate::manifest::{Manifest, PartitionSummary};
use crate::names::VersionId;
use crate::pointer::{self, State};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VersionRow {
    pub version: String,
    /// False for a folder without a manifest: a publish in flight or one that was interrupted.
    pub sealed: bool,
    pub created_at: Option<DateTime<Utc>>,
    pub rows: Option<u64>,
    pub files: Option<usize>,
    pub bytes: Option<u64>,
    pub parent: Option<String>,
    /// Any of "current", "last-known-good", "known-good", "reverted", "pinned", and "rejected" for
    /// a version the pointer never held whose newest gate report failed.
    pub status: Vec<String>,
    pub message: Option<String>,
    pub meta: BTreeMap<String, String>,
    /// Each partition with its rows and the version whose folder holds its files.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub partitions: Vec<PartitionSummary>,
}

fn status_of(state: &State, v: &VersionId) -> Vec<String> {
    let mut s = Vec::new();
    if state.version.as_ref() == Some(v) {
        s.push("current".to_string());
    }
    if state.last_known_good() == Some(v) {
        s.push("last-known-good".to_string());
    } else if state.known_good.contains(v) {
        s.push("known-good".to_string());
    }
    if state.is_reverted(v) {
        s.push("reverted".to_string());
    }
    if state.is_pinned(v) {
        s.push("pinned".to_string());
    }
    s
}

/// Every version, oldest first.
pub async fn list(ds: &Dataset) -> Result<Vec<VersionRow>> {
    let versions = ds.versions().await?;
    if versions.is_empty() {
        return Err(Error::NotFound(format!(
            "dataset {} not found at {} (no versions)",
            ds.name(),
            ds.store.display()
        )));
    }
    let state = pointer::read_head(ds).await?.state();
    let mut rows: Vec<VersionRow> = versions
        .into_iter()
        .map(|(v, s)| {
            let status = status_of(&state, &v);
            match s {
                Some(s) => row(&s.manifest, status),
                None => VersionRow {
                    version: v.to_string(),
                    sealed: false,
                    created_at: None,
                    rows: None,
                    files: None,
                    bytes: None,
                    parent: None,
                    status,
                    message: None,
                    meta: BTreeMap::new(),
                    partitions: Vec::new(),
                },
            }
        })
        .collect();
    // Sealed versions the pointer never held: was their newest gate verdict a failure?
    let unjudged: Vec<VersionId> = rows
        .iter()
        .filter(|r| r.sealed && r.status.is_empty())
        .filter_map(|r| VersionId::new(&r.version).ok())
        .collect();
    let failed: Vec<VersionId> = futures::stream::iter(unjudged)
        .map(|v| async move {
            let r = crate::gates::latest_report(ds, &v).await?;
            Ok::<_, Error>(r.filter(|r| !r.passed).map(|_| v))
        })
        .buffered(16)
        .try_collect::<Vec<_>>()
        .await?
        .into_iter()
        .flatten()
        .collect();
    for r in rows.iter_mut() {
        if failed.iter().any(|v| v.as_str() == r.version) {
            r.status.push("rejected".to_string());
        }
    }
    rows.sort_by(|a, b| (a.created_at, &a.version).cmp(&(b.created_at, &b.version)));
    Ok(rows)
}

fn row(m: &Manifest, status: Vec<String>) -> VersionRow {
    VersionRow {
        version: m.version.to_string(),
        sealed: true,
        created_at: Some(m.created_at),
        rows: Some(m.rows),
        files: Some(m.files.len()),
        bytes: Some(m.bytes),
        parent: m.parent.as_ref().map(|p| p.to_string()),
        status,
        message: m.message.clone(),
        meta: m.meta.clone(),
        partitions: m.partitions.clone(),
    }
}

/// `lastgood show DATASET VERSION`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VersionDetail {
    pub version: String,
    pub status: Vec<String>,
    pub manifest_checksum: String,
    pub manifest_url: String,
    pub partitions: Vec<PartitionSummary>,
    pub manifest: Manifest,
}

pub async fn show(ds: &Dataset, v: &VersionId) -> Result<VersionDetail> {
    let sealed = ds.require(v).await?;
    let state = pointer::read_head(ds).await?.state();
    Ok(VersionDetail {
        version: v.to_string(),
        status: status_of(&state, v),
        manifest_checksum: sealed.checksum,
        manifest_url: ds.store.url_of(&ds.layout.manifest(v)),
        partitions: sealed.manifest.partitions.clone(),
        manifest: sealed.manifest,
    })
}
