//! `lastgood versions` and `lastgood show`: the versions of a dataset, what each holds and where
//! it is in its life.
//!
//! 1. List the version folders and read every manifest (a folder without one is unsealed).
//! 2. Read the pointer's head; each sealed version's newest gate report (the gates that blocked
//!    it); for unsealed folders, the gc entries of the history.
//! 3. Each version's roles from these ([`crate::pointer::roles`]): current, last-known-good,
//!    known-good, reverted, pinned; `rejected` or `forced` when its gates failed; `collected` or
//!    `in-flight` for a folder without a manifest.
//! 4. `show` adds the version's events from the history (promoted, forced, reverted, pinned, …)
//!    and their consequence for consumers.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use futures::{StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};

use crate::dataset::Dataset;
use crate::error::{Error, Result};
use crate::manifest::{Manifest, PartitionSummary};
use crate::names::VersionId;
use crate::pointer::roles::{self, Facts, Role};
use crate::pointer::{self, LogEntry};

pub use crate::pointer::roles::{Consequence, Event, EventKind, Headline, PointerNow, when};

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
    /// Any of "current", "last-known-good", "known-good", "reverted", "pinned"; "rejected" for a
    /// version the pointer never held whose newest gate report failed, "forced" for one it held
    /// anyway; "collected" (deleted by gc) or "in-flight" for a folder without a manifest.
    pub status: Vec<String>,
    /// The gates that blocked the version in its newest report (`name` or `name(column)`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failed_gates: Vec<String>,
    pub message: Option<String>,
    pub meta: BTreeMap<String, String>,
    /// Each partition with its rows and the version whose folder holds its files.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub partitions: Vec<PartitionSummary>,
}

/// Keeps the rows matching every filter, then the newest `limit`.
pub fn filter(rows: Vec<VersionRow>, f: &Filter) -> Vec<VersionRow> {
    let mut rows: Vec<VersionRow> = rows
        .into_iter()
        .filter(|r| f.status.iter().all(|s| r.status.iter().any(|x| x == s)))
        .filter(|r| {
            f.meta
                .iter()
                .all(|(k, v)| r.meta.get(k).is_some_and(|x| x == v))
        })
        .collect();
    if let Some(n) = f.limit {
        let drop = rows.len().saturating_sub(n);
        rows.drain(..drop);
    }
    rows
}

/// `versions --status S --meta k=v --limit N`.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Every one of these statuses (see [`VersionRow::status`]).
    pub status: Vec<String>,
    /// Every one of these meta pairs.
    pub meta: Vec<(String, String)>,
    /// Only the newest N.
    pub limit: Option<usize>,
}

/// The statuses `--status` takes: every [`Role`].
pub const STATUSES: [&str; 9] = {
    let mut out = [""; 9];
    let mut i = 0;
    while i < Role::ALL.len() {
        out[i] = Role::ALL[i].as_str();
        i += 1;
    }
    out
};

impl Filter {
    /// A filter from flags: statuses must be known words, meta `k=v` pairs.
    pub fn new(status: &[String], meta: &[String], limit: Option<usize>) -> Result<Filter> {
        for s in status {
            if !STATUSES.contains(&s.as_str()) {
                return Err(Error::input(format!(
                    "unknown status {s:?}: one of {}",
                    STATUSES.join(", ")
                )));
            }
        }
        Ok(Filter {
            status: status.to_vec(),
            meta: meta
                .iter()
                .map(|p| crate::names::parse_pair(p))
                .collect::<Result<_>>()?,
            limit,
        })
    }
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
    // The newest gate verdict of every sealed version.
    let sealed: Vec<VersionId> = versions
        .iter()
        .filter(|(_, s)| s.is_some())
        .map(|(v, _)| v.clone())
        .collect();
    let failed: BTreeMap<VersionId, Vec<String>> = futures::stream::iter(sealed)
        .map(|v| async move {
            let gates = failed_gates(ds, &v).await?;
            Ok::<_, Error>(gates.map(|g| (v, g)))
        })
        .buffered(16)
        .try_collect::<Vec<_>>()
        .await?
        .into_iter()
        .flatten()
        .collect();
    // Unsealed folders: collected by gc, or in flight.
    let collected = if versions.iter().any(|(_, s)| s.is_none()) {
        roles::collected_in(&pointer::history(ds, None).await?)
    } else {
        BTreeMap::new()
    };
    let mut rows: Vec<VersionRow> = versions
        .into_iter()
        .map(|(v, s)| {
            let failed_gates = failed.get(&v).cloned().unwrap_or_default();
            let facts = Facts {
                sealed: s.is_some(),
                gates_failed: failed.contains_key(&v),
                collected: collected.contains_key(&v),
            };
            let status = roles::words(&roles::roles(&state, &v, facts));
            let mut r = match s {
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
                    failed_gates: Vec::new(),
                    message: None,
                    meta: BTreeMap::new(),
                    partitions: Vec::new(),
                },
            };
            r.failed_gates = failed_gates;
            r
        })
        .collect();
    rows.sort_by(|a, b| (a.created_at, &a.version).cmp(&(b.created_at, &b.version)));
    Ok(rows)
}

/// The gates that blocked `v` in its newest report, when that report failed.
async fn failed_gates(ds: &Dataset, v: &VersionId) -> Result<Option<Vec<String>>> {
    let r = crate::gates::latest_report(ds, v).await?;
    Ok(r.filter(|r| !r.passed).map(|r| {
        r.failed()
            .iter()
            .map(|g| crate::gates::report_label(g))
            .collect()
    }))
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
        failed_gates: Vec::new(),
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
    /// The gates that blocked the version in its newest report.
    #[serde(default)]
    pub failed_gates: Vec<String>,
    /// Absolute location of the newest gate report, if any.
    #[serde(default)]
    pub report: Option<String>,
    /// What the history did with this version, oldest first.
    #[serde(default)]
    pub events: Vec<Event>,
    /// What consumers read now, and since when (for "not promoted: consumers still read X").
    #[serde(default)]
    pub pointer: Option<PointerNow>,
    pub manifest_checksum: String,
    pub manifest_url: String,
    pub partitions: Vec<PartitionSummary>,
    pub manifest: Manifest,
}

/// What the history says about `v`, oldest first, and where the pointer is now
/// ([`roles::events`]).
pub async fn events(ds: &Dataset, v: &VersionId) -> Result<(Vec<Event>, Option<PointerNow>)> {
    Ok(roles::events(&pointer::history(ds, None).await?, v))
}

pub async fn show(ds: &Dataset, v: &VersionId) -> Result<VersionDetail> {
    let Some(sealed) = ds.sealed(v).await? else {
        return Err(not_sealed(ds, v).await?);
    };
    let state = pointer::read_head(ds).await?.state();
    let failed_gates = failed_gates(ds, v).await?;
    let history: Vec<LogEntry> = pointer::history(ds, None).await?;
    let facts = Facts {
        sealed: true,
        gates_failed: failed_gates.is_some(),
        collected: roles::collected_in(&history).contains_key(v),
    };
    let status = roles::words(&roles::roles(&state, v, facts));
    let report_url = crate::ops::report::newest_url(ds, v).await?;
    let (events, pointer) = roles::events(&history, v);
    Ok(VersionDetail {
        version: v.to_string(),
        status,
        failed_gates: failed_gates.unwrap_or_default(),
        report: report_url,
        events,
        pointer,
        manifest_checksum: sealed.checksum,
        manifest_url: ds.store.url_of(&ds.layout.manifest(v)),
        partitions: sealed.manifest.partitions.clone(),
        manifest: sealed.manifest,
    })
}

/// Why `v` has no manifest: collected by gc (when, by whom), in flight, or absent.
async fn not_sealed(ds: &Dataset, v: &VersionId) -> Result<Error> {
    let (events, _) = events(ds, v).await?;
    if let Some(gc) = events.iter().find(|e| e.what == EventKind::Collected) {
        return Ok(Error::NotFound(format!(
            "version {v} of {} was collected by gc at {} by {} (history #{}): its manifest is gone; files other versions use are kept",
            ds.name(),
            gc.at.format("%Y-%m-%d %H:%M:%S UTC"),
            gc.actor,
            gc.seq
        )));
    }
    if !ds
        .store
        .list(&ds.layout.version_prefix(v))
        .await?
        .is_empty()
    {
        return Ok(Error::NotFound(format!(
            "version {v} of {} is in flight: its files are uploading and it has no manifest yet (or the publish was interrupted; `lastgood doctor {}`)",
            ds.name(),
            ds.name()
        )));
    }
    Ok(ds
        .require(v)
        .await
        .err()
        .unwrap_or_else(|| Error::NotFound(format!("version {v} of {} not found", ds.name()))))
}

impl VersionDetail {
    /// The version's roles, from its `status` words.
    pub fn roles(&self) -> Vec<Role> {
        self.status.iter().filter_map(|s| Role::parse(s)).collect()
    }

    /// What the version's life means for consumers ([`roles::consequence`]).
    pub fn consequence(&self) -> Consequence {
        roles::consequence(
            &self.roles(),
            &self.events,
            self.pointer.as_ref(),
            &self.failed_gates,
        )
    }
}
