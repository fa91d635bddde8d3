//! `lastgood versions` and `lastgood show`: the versions of a dataset, what each holds and where
//! it is in its life.
//!
//! 1. List the version folders and read every manifest (a folder without one is unsealed).
//! 2. From the pointer's head: current, last-known-good, known-good, reverted, pinned.
//! 3. From each sealed version's newest gate report: the gates that blocked it: `rejected` if the
//!    pointer never held it, `forced` if it did.
//! 4. Unsealed folders: `collected` when a gc entry of the history deleted them (gc keeps data
//!    files that kept versions still use), else `in-flight` (a publish uploading, or interrupted).
//! 5. `show` adds the version's events from the history: promoted, forced, reverted, pinned, …

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

/// Statuses of a version the pointer has held.
const HELD: [&str; 4] = ["current", "last-known-good", "known-good", "reverted"];

/// The versions the history's gc entries deleted.
async fn collected(ds: &Dataset) -> Result<Vec<VersionId>> {
    Ok(pointer::history(ds, None)
        .await?
        .iter()
        .flat_map(|e| e.deleted())
        .collect())
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

/// The statuses `--status` takes.
pub const STATUSES: [&str; 9] = [
    "current",
    "last-known-good",
    "known-good",
    "reverted",
    "pinned",
    "rejected",
    "forced",
    "collected",
    "in-flight",
];

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
    // Still sealed while gc unseals it, or after gc was interrupted: final all the same.
    if state.collected_by(v).is_some() {
        s.push("collected".to_string());
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
                    failed_gates: Vec::new(),
                    message: None,
                    meta: BTreeMap::new(),
                    partitions: Vec::new(),
                },
            }
        })
        .collect();
    // The newest gate verdict of every sealed version.
    let sealed: Vec<VersionId> = rows
        .iter()
        .filter(|r| r.sealed)
        .filter_map(|r| VersionId::new(&r.version).ok())
        .collect();
    let failed: BTreeMap<String, Vec<String>> = futures::stream::iter(sealed)
        .map(|v| async move {
            let r = crate::gates::latest_report(ds, &v).await?;
            Ok::<_, Error>(r.filter(|r| !r.passed).map(|r| {
                let gates = r
                    .failed()
                    .iter()
                    .map(|g| crate::gates::report_label(g))
                    .collect();
                (v.to_string(), gates)
            }))
        })
        .buffered(16)
        .try_collect::<Vec<_>>()
        .await?
        .into_iter()
        .flatten()
        .collect();
    // Unsealed folders: collected by gc, or in flight.
    let collected: Vec<VersionId> = if rows.iter().any(|r| !r.sealed) {
        collected(ds).await?
    } else {
        Vec::new()
    };
    for r in rows.iter_mut() {
        if let Some(gates) = failed.get(&r.version) {
            r.status
                .push(if r.status.iter().any(|s| HELD.contains(&s.as_str())) {
                    "forced".to_string()
                } else {
                    "rejected".to_string()
                });
            r.failed_gates = gates.clone();
        }
        if !r.sealed && !r.status.iter().any(|s| s == "collected") {
            r.status
                .push(if collected.iter().any(|v| v.as_str() == r.version) {
                    "collected".to_string()
                } else {
                    "in-flight".to_string()
                });
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

/// One history entry as it concerns one version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub seq: u64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub what: EventKind,
    /// Past a refusal (failed gates, a reverted version) with --force.
    pub forced: bool,
    pub reason: Option<String>,
    /// For a move: the other version (where the pointer came from, or went to).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EventKind {
    /// A publish moved the pointer to it.
    Promoted,
    /// `pointer set` moved the pointer to it.
    Set,
    /// A revert moved the pointer back to it.
    RevertedTo,
    /// A revert moved the pointer away from it (or a partition revert replaced its partitions).
    Reverted,
    /// The pointer moved on from it to a newer choice.
    Replaced,
    Pinned,
    Unpinned,
    /// gc deleted it.
    Collected,
}

impl EventKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            EventKind::Promoted => "promoted",
            EventKind::Set => "set",
            EventKind::RevertedTo => "restored by a revert",
            EventKind::Reverted => "reverted",
            EventKind::Replaced => "replaced",
            EventKind::Pinned => "pinned",
            EventKind::Unpinned => "unpinned",
            EventKind::Collected => "collected by gc",
        }
    }
}

/// Where the pointer is now and who moved it there when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PointerNow {
    pub version: String,
    pub since: DateTime<Utc>,
    pub by: String,
    pub seq: u64,
}

/// What the history says about `v`, oldest first, and where the pointer is now.
pub async fn events(ds: &Dataset, v: &VersionId) -> Result<(Vec<Event>, Option<PointerNow>)> {
    use crate::pointer::Action;
    let mut history = pointer::history(ds, None).await?;
    let now = history.first().and_then(|head| {
        let version = head.state.version.as_ref()?.to_string();
        let at = head.state.moved_at_seq.unwrap_or(head.seq);
        let mover = history.iter().find(|e| e.seq == at)?;
        Some(PointerNow {
            version,
            since: mover.at,
            by: mover.actor.clone(),
            seq: mover.seq,
        })
    });
    history.reverse();
    let mut out = Vec::new();
    for e in &history {
        let ev = |what: EventKind, other: Option<&VersionId>| Event {
            seq: e.seq,
            at: e.at,
            actor: e.actor.clone(),
            what,
            forced: e.forced,
            reason: e.reason.clone(),
            other: other.map(|o| o.to_string()),
        };
        let to_v = e.to.as_ref() == Some(v);
        let from_v = e.from.as_ref() == Some(v);
        match e.action {
            Action::Promote | Action::Set | Action::Revert if to_v && !from_v => {
                out.push(ev(
                    match e.action {
                        Action::Promote => EventKind::Promoted,
                        Action::Set => EventKind::Set,
                        _ => EventKind::RevertedTo,
                    },
                    e.from.as_ref(),
                ));
            }
            Action::Revert if from_v && !to_v => out.push(ev(EventKind::Reverted, e.to.as_ref())),
            Action::Promote | Action::Set if from_v && !to_v => {
                out.push(ev(EventKind::Replaced, e.to.as_ref()))
            }
            Action::Pin if e.subject.as_ref() == Some(v) => out.push(ev(EventKind::Pinned, None)),
            Action::Unpin if e.subject.as_ref() == Some(v) => {
                out.push(ev(EventKind::Unpinned, None))
            }
            Action::Gc if e.deleted().contains(v) => out.push(ev(EventKind::Collected, None)),
            _ => {}
        }
        if e.action == Action::Revert && e.replaced().contains(v) {
            out.push(ev(EventKind::Reverted, e.to.as_ref()));
        }
    }
    Ok((out, now))
}

pub async fn show(ds: &Dataset, v: &VersionId) -> Result<VersionDetail> {
    let Some(sealed) = ds.sealed(v).await? else {
        return Err(not_sealed(ds, v).await?);
    };
    let state = pointer::read_head(ds).await?.state();
    let mut status = status_of(&state, v);
    let report = crate::gates::latest_report(ds, v).await?;
    let failed_gates: Vec<String> = report
        .as_ref()
        .filter(|r| !r.passed)
        .map(|r| {
            r.failed()
                .iter()
                .map(|g| crate::gates::report_label(g))
                .collect()
        })
        .unwrap_or_default();
    if report.as_ref().is_some_and(|r| !r.passed) {
        status.push(if status.iter().any(|s| HELD.contains(&s.as_str())) {
            "forced".to_string()
        } else {
            "rejected".to_string()
        });
    }
    let report_url = crate::ops::report::newest_url(ds, v).await?;
    let (events, pointer) = events(ds, v).await?;
    Ok(VersionDetail {
        version: v.to_string(),
        status,
        failed_gates,
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

/// What a version's life means for the people who read the dataset: a headline word and one line,
/// consequence first. Shown by `show` and at the top of the HTML report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Consequence {
    /// LIVE, FORCED LIVE, NOT PROMOTED, REVERTED, SUPERSEDED.
    pub headline: String,
    pub line: String,
}

/// `2026-11-21 02:00:00 UTC`: the one timestamp format of human output.
pub fn when(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

impl VersionDetail {
    pub fn consequence(&self) -> Consequence {
        let has = |s: &str| self.status.iter().any(|x| x == s);
        let by = |e: &Event| {
            format!(
                "by {} at {}{}",
                e.actor,
                when(e.at),
                e.reason
                    .as_deref()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default()
            )
        };
        let now = match &self.pointer {
            Some(p) => format!(
                "consumers read {} (since {}, by {})",
                p.version,
                when(p.since),
                p.by
            ),
            None => "the pointer has never moved".to_string(),
        };
        let last = |k: &[EventKind]| self.events.iter().rev().find(|e| k.contains(&e.what));
        let arrived = last(&[EventKind::Promoted, EventKind::Set, EventKind::RevertedTo]);
        let c = |h: &str, l: String| Consequence {
            headline: h.to_string(),
            line: l,
        };
        let forced_note = arrived
            .filter(|e| e.forced)
            .map(|e| format!("FORCED live {}", by(e)));
        if has("current") {
            return match (forced_note, arrived) {
                (Some(f), _) => c(
                    "FORCED LIVE",
                    if self.failed_gates.is_empty() {
                        format!("{f}; consumers read it")
                    } else {
                        format!(
                            "{f}; its gates failed ({}); consumers read it",
                            self.failed_gates.join(", ")
                        )
                    },
                ),
                (None, Some(e)) => c(
                    "LIVE",
                    format!("consumers read it: {} {}", e.what.as_str(), by(e)),
                ),
                (None, None) => c("LIVE", "consumers read it".to_string()),
            };
        }
        if has("reverted") {
            let r = last(&[EventKind::Reverted]);
            let mut line = match r {
                Some(e) => format!("reverted at {} by {}", when(e.at), e.actor),
                None => "reverted".to_string(),
            };
            if let Some(reason) = r.and_then(|e| e.reason.as_deref()) {
                line.push_str(&format!(": {reason}"));
            }
            if let Some(f) = forced_note {
                line = format!(
                    "{line}; it had gone live {}",
                    f.trim_start_matches("FORCED live ")
                );
            }
            return c("REVERTED", format!("{line}; {now}"));
        }
        if arrived.is_some() {
            let left = last(&[EventKind::Replaced]);
            return c(
                "SUPERSEDED",
                format!(
                    "was live{}; {now}",
                    left.map(|e| format!(" until {}", when(e.at)))
                        .unwrap_or_default()
                ),
            );
        }
        if has("rejected") {
            return c(
                "NOT PROMOTED",
                format!(
                    "gates failed ({}); {}",
                    self.failed_gates.join(", "),
                    now.replacen("consumers read", "consumers still read", 1)
                ),
            );
        }
        c(
            "NOT PROMOTED",
            format!(
                "sealed but never promoted; {}",
                now.replacen("consumers read", "consumers still read", 1)
            ),
        )
    }
}
