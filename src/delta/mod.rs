//! The pointer projected as a Delta Lake table at the dataset's root, so that Spark, Databricks,
//! delta-rs, polars, DuckDB and Trino read the last good version natively, and Delta time travel is
//! the pointer's history.
//!
//! Delta version `N` is log entry `N` (`_delta_log/<N>.json` beside `log/<N>.json`, same name);
//! version 0 creates the table (protocol, metadata, no file) and is the record that the projection
//! is on. Each commit is derived from its log entry alone, with the manifests of the versions the
//! pointer left and reached: `remove` for files leaving, `add` for files entering, nothing for a mark.
//!
//! Catching up (after every log entry and wherever `pointer.json` is caught up):
//! 1. The projection is on when `_delta_log/00000000000000000000.json` exists; otherwise stop.
//! 2. If the commit of the log's head exists, stop. Otherwise find the newest commit `d` below it
//!    (galloping down, then bisecting: commits are written in order, so existence is monotone).
//! 3. For each entry `k` from `d + 1` to the head: read it, derive its commit from the file sets of
//!    `from` and `state.version` (each a sealed version's manifest files, or none), and create
//!    `_delta_log/<k>.json` if absent. A commit already there was written by another writer of the
//!    same entry: it is kept.
//! 4. After commit `k` with `k % 100 == 0`: the checkpoint `<k>.checkpoint.parquet` (create-if-absent)
//!    and `_last_checkpoint` (overwritten; a hint).
//!
//! Architecture invariant: only this module knows the Delta protocol; the pointer log calls it at
//! one place ([`crate::pointer::sync_pointer_file`]) and asks it once before an entry
//! ([`before_entry`]).

mod actions;
mod checkpoint;
mod schema;
mod stats;
mod table;

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::dataset::{Dataset, Sealed};
use crate::error::{Error, Result};
use crate::log as pointer;
use crate::manifest::{FileEntry, Manifest};
use crate::names::VersionId;
use crate::spec::{Action as LogAction, LogEntry};
use crate::store::Put;
use table::{Position, adds};

pub use actions::{
    Action, Add, CommitInfo, LastCheckpoint, Metadata, Protocol, Provenance, RETENTION, Remove,
    WRITER_FEATURE, commit_bytes, encode_path, parse_commit,
};
pub use schema::{check as check_schema, schema_string};

/// Commits between two checkpoints.
pub const CHECKPOINT_INTERVAL: u64 = 100;

/// Whether the dataset has the projection: its Delta version 0 exists.
pub async fn is_on(ds: &Dataset) -> Result<bool> {
    ds.store.exists(&ds.layout.delta_commit(0)).await
}

/// Whether entries written now are projected: the projection exists, or the log is empty and the
/// dataset is configured to get it (the default).
pub async fn will_project(ds: &Dataset, log_head: u64) -> Result<bool> {
    Ok(is_on(ds).await? || (log_head == 0 && ds.delta))
}

/// Refuses a schema Delta cannot represent, for a dataset that is (or is about to be) projected.
pub fn refuse_unrepresentable(
    ds: &Dataset,
    what: &str,
    schema: &arrow::datatypes::Schema,
) -> Result<()> {
    schema::check(schema)
        .map_err(|why| Error::Input(schema::refusal(ds.name().as_str(), what, &why)))
}

/// Called by the pointer log before it writes entry `head + 1`: a move to a version Delta cannot
/// represent is refused while the dataset is projected; and the first entry of a dataset that gets
/// the projection is preceded by Delta version 0, which turns it on.
pub async fn before_entry(
    ds: &Dataset,
    head_seq: u64,
    target: Option<&Sealed>,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    if !will_project(ds, head_seq).await? {
        return Ok(());
    }
    if let Some(t) = target {
        metadata_of(ds, &t.manifest)?;
    }
    if head_seq == 0 {
        create_table(ds, at).await?;
    }
    Ok(())
}

/// Writes Delta version 0 (create-if-absent): the table exists, with no column and no file, until
/// the first entry names a version.
pub async fn create_table(ds: &Dataset, at: chrono::DateTime<chrono::Utc>) -> Result<bool> {
    let actions = [
        Action::CommitInfo(CommitInfo {
            timestamp: at.timestamp_millis(),
            operation: "CREATE TABLE".into(),
            operation_parameters: BTreeMap::new(),
            engine_info: ENGINE.into(),
            is_blind_append: true,
            lastgood: None,
        }),
        Action::Protocol(Protocol::lastgood()),
        Action::MetaData(empty_metadata(ds)),
    ];
    Ok(ds
        .store
        .create(&ds.layout.delta_commit(0), commit_bytes(&actions))
        .await?
        == Put::Created)
}

const ENGINE: &str = "lastgood";

/// The Delta metadata of a sealed version: its schema and partition columns.
pub(crate) fn metadata_of(ds: &Dataset, m: &Manifest) -> Result<Metadata> {
    let arrow = m.schema.to_arrow()?;
    let s =
        schema::schema_string(&arrow, &m.partition_keys, &m.partition_types).map_err(|why| {
            Error::Input(schema::refusal(
                ds.name().as_str(),
                &format!("version {}", m.version),
                &why,
            ))
        })?;
    Ok(Metadata::new(
        ds.name().as_str(),
        s,
        m.partition_keys.clone(),
    ))
}

/// Manifests read during one catch-up, by version (`None`: not sealed).
#[derive(Default)]
struct Manifests(HashMap<VersionId, Option<Sealed>>);

impl Manifests {
    async fn position(&mut self, ds: &Dataset, v: Option<&VersionId>) -> Result<Position> {
        let Some(v) = v else {
            return Ok(Position::default());
        };
        if !self.0.contains_key(v) {
            let s = ds.sealed(v).await?;
            self.0.insert(v.clone(), s);
        }
        let Some(Some(s)) = self.0.get(v) else {
            return Ok(Position {
                gone: true,
                ..Position::default()
            });
        };
        Ok(Position {
            files: s
                .manifest
                .files
                .iter()
                .map(|f| (f.path.clone(), f.clone()))
                .collect(),
            meta: Some(metadata_of(ds, &s.manifest)?),
            created_ms: s.manifest.created_at.timestamp_millis(),
            gone: false,
        })
    }
}

/// The paths a commit removes and adds, going from one position to the next.
fn diff<'a>(prev: &'a Position, cur: &'a Position) -> (Vec<&'a FileEntry>, Vec<&'a FileEntry>) {
    let removed = prev
        .files
        .values()
        .filter(|f| !cur.files.contains_key(&f.path))
        .collect();
    let added = cur
        .files
        .values()
        .filter(|f| !prev.files.contains_key(&f.path))
        .collect();
    (removed, added)
}

fn operation(e: &LogEntry) -> String {
    match e.action {
        LogAction::Promote | LogAction::Set => "WRITE".into(),
        LogAction::Revert => "RESTORE".into(),
        other => format!("LASTGOOD {}", other.as_str().to_uppercase()),
    }
}

/// The commit of log entry `e` (whose bytes hash to `sum`), from the table before and after it.
async fn commit_of(
    ds: &Dataset,
    e: &LogEntry,
    sum: &str,
    prev: &Position,
    cur: &Position,
    running_meta: Option<&Metadata>,
) -> Result<Vec<Action>> {
    let at = e.at.timestamp_millis();
    let mut out = vec![Action::CommitInfo(CommitInfo {
        timestamp: at,
        operation: operation(e),
        operation_parameters: if e.action.moves() {
            BTreeMap::from([("mode".to_string(), "Overwrite".to_string())])
        } else {
            BTreeMap::new()
        },
        engine_info: ENGINE.into(),
        is_blind_append: false,
        lastgood: Some(Provenance {
            seq: e.seq,
            entry: sum.to_string(),
            action: e.action.as_str().into(),
            from: e.from.as_ref().map(|v| v.to_string()),
            to: e.to.as_ref().map(|v| v.to_string()),
            actor: e.actor.clone(),
            reason: e.reason.clone(),
            forced: e.forced,
            verdict: e
                .verdict
                .as_ref()
                .and_then(|v| serde_json::to_value(v).ok()),
        }),
    })];
    if let Some(m) = &cur.meta
        && running_meta != Some(m)
    {
        // A timestamp without a zone needs the timestampNtz feature: the protocol follows the
        // metadata, stated in the commit whose metadata brings or drops such a column (and when
        // the table's metadata before is unknown).
        let ntz = |m: &Metadata| schema::uses_ntz(&m.schema_string);
        if running_meta.map(ntz) != Some(ntz(m)) {
            out.push(Action::Protocol(Protocol::for_metadata(m)));
        }
        out.push(Action::MetaData(m.clone()));
    }
    let (removed, added) = diff(prev, cur);
    for f in removed {
        out.push(Action::Remove(Remove {
            path: encode_path(&f.path),
            deletion_timestamp: at,
            data_change: true,
            extended_file_metadata: true,
            partition_values: f.partition.clone(),
            size: f.size,
        }));
    }
    out.extend(
        adds(ds, added, cur.created_ms)
            .await?
            .into_iter()
            .map(Action::Add),
    );
    Ok(out)
}

/// What a catch-up or a build wrote.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CatchUp {
    pub commits: u64,
    pub checkpoints: u64,
}

async fn exists(ds: &Dataset, v: u64) -> Result<bool> {
    ds.store.exists(&ds.layout.delta_commit(v)).await
}

/// The newest Delta commit at or below `hi` (version 0 exists).
async fn delta_head(ds: &Dataset, hi: u64) -> Result<u64> {
    if exists(ds, hi).await? {
        return Ok(hi);
    }
    // Gallop down from the head (the usual gap is one commit), then bisect.
    let mut absent = hi;
    let mut step = 1u64;
    let mut present = loop {
        let probe = absent.saturating_sub(step);
        if probe == 0 || exists(ds, probe).await? {
            break probe;
        }
        absent = probe;
        step = step.saturating_mul(2);
    };
    while absent - present > 1 {
        let mid = present + (absent - present) / 2;
        if exists(ds, mid).await? {
            present = mid;
        } else {
            absent = mid;
        }
    }
    Ok(present)
}

/// Brings the projection up to log entry `log_head`; see the module's algorithm.
pub async fn catch_up(ds: &Dataset, log_head: u64) -> Result<CatchUp> {
    let mut done = CatchUp::default();
    if log_head == 0 || !is_on(ds).await? {
        return Ok(done);
    }
    let d = delta_head(ds, log_head).await?;
    if d == log_head {
        return Ok(done);
    }
    let mut manifests = Manifests::default();
    let (mut prev, mut meta) = if d == 0 {
        (Position::default(), Some(empty_metadata(ds)))
    } else {
        let e = entry(ds, d).await?;
        let p = manifests.position(ds, e.state.version.as_ref()).await?;
        let m = match (&p.meta, &e.state.version) {
            (Some(m), _) => Some(m.clone()),
            (None, None) => Some(empty_metadata(ds)),
            (None, Some(_)) => None,
        };
        (p, m)
    };
    for k in d + 1..=log_head {
        let (e, sum) = pointer::read_entry(ds, k)
            .await?
            .ok_or_else(|| gap(ds, k))?;
        let cur = manifests.position(ds, e.state.version.as_ref()).await?;
        let actions = commit_of(ds, &e, &sum, &prev, &cur, meta.as_ref()).await?;
        if ds
            .store
            .create(&ds.layout.delta_commit(k), commit_bytes(&actions))
            .await?
            == Put::Created
        {
            done.commits += 1;
        }
        if let Some(m) = &cur.meta {
            meta = Some(m.clone());
        }
        if k % CHECKPOINT_INTERVAL == 0
            && let Some(m) = &meta
            && checkpoint::write(ds, k, m, &cur).await?
        {
            done.checkpoints += 1;
        }
        prev = cur;
    }
    Ok(done)
}

/// Version 0's metadata: no column (readers refuse to scan the table until the pointer moves).
fn empty_metadata(ds: &Dataset) -> Metadata {
    let empty = serde_json::json!({"type": "struct", "fields": []}).to_string();
    Metadata::new(ds.name().as_str(), empty, Vec::new())
}

fn gap(ds: &Dataset, k: u64) -> Error {
    Error::Corrupt(format!(
        "log entry {k} of {} is missing: the log has a gap",
        ds.name()
    ))
}

async fn entry(ds: &Dataset, k: u64) -> Result<LogEntry> {
    Ok(pointer::read_entry(ds, k)
        .await?
        .ok_or_else(|| gap(ds, k))?
        .0)
}

/// Checkpoints due (every 100 commits up to `head`) that are missing; written when `write`.
pub(crate) async fn checkpoints_missing(ds: &Dataset, head: u64, write: bool) -> Result<u64> {
    let mut n = 0;
    let mut manifests = Manifests::default();
    let mut k = CHECKPOINT_INTERVAL;
    while k <= head {
        if !ds.store.exists(&ds.layout.delta_checkpoint(k)).await? {
            n += 1;
            if write {
                let e = entry(ds, k).await?;
                let cur = manifests.position(ds, e.state.version.as_ref()).await?;
                let meta = match (&cur.meta, &e.state.version) {
                    (Some(m), _) => Some(m.clone()),
                    (None, None) => Some(empty_metadata(ds)),
                    (None, Some(_)) => None,
                };
                if let Some(m) = meta {
                    checkpoint::write(ds, k, &m, &cur).await?;
                }
            }
        }
        k += CHECKPOINT_INTERVAL;
    }
    Ok(n)
}

/// A finding of [`check`]: what (`_delta_log/<file>`) and why.
#[derive(Debug, Clone)]
pub struct Finding {
    pub subject: String,
    pub message: String,
}

/// Doctor's view of the projection: every commit up to the log's head is there, written by lastgood
/// for that entry (its `commitInfo.lastgood` names the entry's seq and checksum) and with exactly the
/// removes and adds the log implies; no commit beyond the head; checkpoints where due. With
/// `repair`, a projection behind the log and missing checkpoints are written; nothing is deleted.
pub async fn check(
    ds: &Dataset,
    head_seq: u64,
    repair: bool,
) -> Result<(Vec<Finding>, Vec<String>)> {
    let mut findings = Vec::new();
    let mut repaired = Vec::new();
    let listing = ds.store.list(&ds.layout.delta_log_prefix()).await?;
    if !is_on(ds).await? {
        if !listing.is_empty() {
            findings.push(Finding {
                subject: "_delta_log".into(),
                message: "holds objects but no version 0: not a projection lastgood wrote; `lastgood delta build` writes one only where nothing is".into(),
            });
        }
        return Ok((findings, repaired));
    }
    let name = |k: u64| format!("_delta_log/{k:020}.json");
    for m in &listing {
        let file = m.location.filename().unwrap_or_default();
        let known = file == "_last_checkpoint"
            || file
                .strip_suffix(".checkpoint.parquet")
                .or_else(|| file.strip_suffix(".json"))
                .is_some_and(|d| d.len() == 20 && d.bytes().all(|b| b.is_ascii_digit()));
        if !known {
            findings.push(Finding {
                subject: format!("_delta_log/{file}"),
                message: "not an object lastgood writes".into(),
            });
        }
        if let Some(k) = file
            .strip_suffix(".json")
            .and_then(|d| d.parse::<u64>().ok())
            .filter(|k| *k > head_seq)
        {
            findings.push(Finding {
                subject: name(k),
                message: format!(
                    "a commit beyond the log's head ({head_seq}): lastgood did not write it, and Delta readers see it as the newest version; remove it by hand"
                ),
            });
        }
    }
    let d = delta_head(ds, head_seq).await?;
    if d < head_seq {
        if repair {
            let done = catch_up(ds, head_seq).await?;
            repaired.push(format!(
                "Delta projection caught up: {} commit(s) written, to version {head_seq}",
                done.commits
            ));
        } else {
            findings.push(Finding {
                subject: name(d + 1),
                message: format!(
                    "missing: the projection is at version {d}, the log at {head_seq}; `lastgood doctor --repair` catches it up"
                ),
            });
        }
    }
    // Every commit: written by lastgood for its entry, with the files the log implies.
    let mut manifests = Manifests::default();
    let mut prev = Position::default();
    for k in 1..=head_seq.min(d) {
        let Some((e, sum)) = pointer::read_entry(ds, k).await? else {
            break;
        };
        let cur = manifests.position(ds, e.state.version.as_ref()).await?;
        if let Some(why) = check_commit(ds, k, &e, &sum, &prev, &cur).await? {
            findings.push(Finding {
                subject: name(k),
                message: why,
            });
        }
        prev = cur;
    }
    let missing = checkpoints_missing(ds, head_seq, repair).await?;
    if missing > 0 {
        if repair {
            repaired.push(format!("{missing} Delta checkpoint(s) written"));
        } else {
            findings.push(Finding {
                subject: "_delta_log".into(),
                message: format!(
                    "{missing} checkpoint(s) missing (one is due every {CHECKPOINT_INTERVAL} commits); `lastgood doctor --repair` writes them"
                ),
            });
        }
    }
    Ok((findings, repaired))
}

/// Why commit `k` is not the projection of entry `e`, if it is not.
async fn check_commit(
    ds: &Dataset,
    k: u64,
    e: &LogEntry,
    sum: &str,
    prev: &Position,
    cur: &Position,
) -> Result<Option<String>> {
    let Some(bytes) = ds.store.get(&ds.layout.delta_commit(k)).await? else {
        return Ok(Some("missing".into()));
    };
    let not_ours = |why: &str| Some(format!("not written by lastgood for log entry {k}: {why}"));
    let actions = match parse_commit(&bytes) {
        Ok(a) => a,
        Err(why) => {
            return Ok(not_ours(&format!(
                "an action lastgood does not write ({why})"
            )));
        }
    };
    let provenance = actions.iter().find_map(|a| match a {
        Action::CommitInfo(c) => c.lastgood.as_ref(),
        _ => None,
    });
    match provenance {
        None => return Ok(not_ours("no commitInfo.lastgood")),
        Some(p) if p.seq != k || p.entry != sum || p.action != e.action.as_str() => {
            return Ok(not_ours("its commitInfo.lastgood names another entry"));
        }
        Some(_) => {}
    }
    let set = |f: &dyn Fn(&Action) -> Option<String>| -> std::collections::BTreeSet<String> {
        actions.iter().filter_map(f).collect()
    };
    let removes = set(&|a| match a {
        Action::Remove(r) => Some(r.path.clone()),
        _ => None,
    });
    let adds = set(&|a| match a {
        Action::Add(a) => Some(a.path.clone()),
        _ => None,
    });
    if prev.gone || cur.gone {
        // A collected version's manifest is gone: its files cannot be compared any more.
        return Ok(None);
    }
    let (want_removed, want_added) = diff(prev, cur);
    let want = |fs: Vec<&FileEntry>| -> std::collections::BTreeSet<String> {
        fs.into_iter().map(|f| encode_path(&f.path)).collect()
    };
    if removes != want(want_removed) || adds != want(want_added) {
        return Ok(not_ours(
            "its files differ from the versions the entry moved between",
        ));
    }
    Ok(None)
}
