//! `lastgood gc`: delete old versions, never one that anybody may still read or need.
//!
//! 1. Plan ([`roles::gc_keeps`], from the version's roles). A version is kept when it is current,
//!    the last-known-good, pinned (forever), one of
//!    the last `--keep` versions the pointer held, reverted (incident evidence, until released with
//!    `--include-reverted`), younger than the grace period (a publish in flight), or younger than
//!    `--older-than`. Ages come from the store's own timestamps (the manifest's, or an unsealed
//!    folder's newest object's) against the store's own time (`gc.clock`, written and read
//!    back), never from a publisher's clock nor gc's. A version an earlier gc listed
//!    that is still there (an interrupted gc) is collected again, unless current or pinned. Every
//!    other version folder is collected: sealed versions nobody points at, versions whose gates
//!    failed, and folders a publish left unsealed.
//! 2. References. A data file is kept while any kept version's manifest lists it (partitioned
//!    datasets carry files of earlier versions forward by reference), whatever folder it is in.
//! 3. Record. One `gc` entry in the pointer log lists every version to be deleted and the files of
//!    their folders it keeps, before any deletion. The entry is refused if, meanwhile, the log
//!    moved on. Its state carries the list (`collecting`): every move that lands after it refuses
//!    a collected version, or one listing a file gc deletes.
//! 4. Unseal every doomed version first: content markers (a reverted version's stays, so its
//!    content stays refused), then manifests. No data file is deleted before every doomed version
//!    is unsealed, so an interrupted gc never leaves a sealed version without its files.
//! 5. List the sealed versions again: files of a version sealed since the plan (a partition revert
//!    `--to` an old version) count as referenced too.
//! 6. Delete reports and unreferenced data files. An interrupted gc leaves unsealed folders (and
//!    a log entry naming them), which the next gc collects.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use futures::{StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};

use crate::context::Context;
use crate::dataset::Dataset;
use crate::error::{Error, Result};
use crate::names::VersionId;
use crate::pointer::roles::{self, Age, Facts, Role};
use crate::pointer::{self, Action, Detail, GcDetail, LogEntry, Move};
use crate::spec::content_marker::ContentMarker;

#[derive(Debug, Clone)]
pub struct GcOptions {
    /// Keep the last N versions the pointer held.
    pub keep: usize,
    /// Only collect versions at least this old.
    pub older_than: Option<Duration>,
    /// Never touch anything younger: a publish may be uploading it.
    pub grace: Duration,
    /// Collect reverted versions too (kept by default as incident evidence).
    pub include_reverted: bool,
    pub dry_run: bool,
}

impl Default for GcOptions {
    fn default() -> Self {
        GcOptions {
            keep: 5,
            older_than: None,
            grace: Duration::hours(1),
            include_reverted: false,
            dry_run: false,
        }
    }
}

/// The shape of `gc --json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GcOutcome {
    pub dataset: String,
    pub dry_run: bool,
    /// The history entry that recorded the deletions (none for a dry run or nothing to do).
    pub seq: Option<u64>,
    pub deleted: Vec<Collected>,
    pub kept: Vec<Kept>,
    /// Objects deleted (or, for a dry run, to be deleted) and their bytes.
    pub objects: usize,
    pub bytes: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Collected {
    pub version: String,
    pub sealed: bool,
    pub created_at: Option<DateTime<Utc>>,
    pub objects: usize,
    pub bytes: u64,
    /// Data files left in place because a kept version refers to them.
    pub referenced: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Kept {
    pub version: String,
    /// Why: current, last-known-good, pinned, recent, reverted, in-grace, younger-than-cutoff.
    pub why: Vec<String>,
}

/// Parses `30d`, `12h`, `90m`, `45s`, `2w`.
pub fn parse_age(s: &str) -> Result<Duration> {
    let bad = || {
        Error::input(format!(
            "invalid age {s:?}: use a number and a unit, e.g. 30d, 12h, 90m, 2w"
        ))
    };
    let split = s.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let n: i64 = s[..split].parse().map_err(|_| bad())?;
    let d = match &s[split..] {
        "s" => Duration::try_seconds(n),
        "m" => Duration::try_minutes(n),
        "h" => Duration::try_hours(n),
        "d" => Duration::try_days(n),
        "w" => Duration::try_weeks(n),
        _ => None,
    };
    d.ok_or_else(bad)
}

struct Plan {
    collect: Vec<Doomed>,
    /// Every file a kept version lists.
    referenced: BTreeSet<object_store::path::Path>,
    kept: Vec<Kept>,
    /// Files of doomed folders that kept versions list (dataset-relative).
    kept_files: Vec<String>,
}

struct Doomed {
    version: VersionId,
    created_at: Option<DateTime<Utc>>,
    content_hash: Option<String>,
    /// Reverted: its content marker stays, so the content stays refused after gc.
    reverted: bool,
    /// Every object of the folder to delete, manifest last among data (ordered at deletion).
    objects: Vec<(object_store::path::Path, u64)>,
    referenced: usize,
}

pub async fn gc(ds: &Dataset, ctx: &Context, opts: &GcOptions) -> Result<GcOutcome> {
    let now = ctx.now();
    let head = pointer::read_existing_head(ds).await?;
    let state = head.state();
    let history = pointer::history(ds, None).await?;
    let plan = plan(ds, &state, &history, store_now(ds).await?, opts).await?;
    let mut out = GcOutcome {
        dataset: ds.name().to_string(),
        dry_run: opts.dry_run,
        seq: None,
        deleted: plan
            .collect
            .iter()
            .map(|d| Collected {
                version: d.version.to_string(),
                sealed: d.content_hash.is_some(),
                created_at: d.created_at,
                objects: d.objects.len(),
                bytes: d.objects.iter().map(|(_, b)| b).sum(),
                referenced: d.referenced,
            })
            .collect(),
        kept: plan.kept,
        objects: 0,
        bytes: 0,
    };
    out.objects = out.deleted.iter().map(|d| d.objects).sum();
    out.bytes = out.deleted.iter().map(|d| d.bytes).sum();
    if opts.dry_run || plan.collect.is_empty() {
        return Ok(out);
    }

    let doomed: BTreeSet<VersionId> = plan.collect.iter().map(|d| d.version.clone()).collect();
    let detail = Detail::Gc(GcDetail {
        bytes: out.bytes,
        deleted: doomed.iter().cloned().collect(),
        include_reverted: Some(opts.include_reverted),
        keep: opts.keep as u64,
        kept_files: Some(plan.kept_files),
        objects: out.objects as u64,
        older_than_s: opts.older_than.map(|d| d.num_seconds()),
    });
    let planned_at = head.seq;
    let (entry, _) = pointer::commit(ds, &ctx.actor, now, |head| {
        // Any entry since the plan may have made a planned version current, known-good or pinned.
        if head.seq != planned_at {
            return Err(Error::Conflict(format!(
                "the history of {} moved on while gc planned (entry {} now, {planned_at} then); run gc again",
                ds.name(),
                head.seq
            )));
        }
        Ok(Some(Move {
            detail: Some(detail.clone()),
            reason: Some(format!("gc: {} version(s)", doomed.len())),
            ..Move::mark(Action::Gc)
        }))
    })
    .await?;
    out.seq = Some(entry.seq);

    // Unseal everything first, then delete: never a sealed version without its files.
    for d in &plan.collect {
        unseal(ds, d).await?;
    }
    let mut referenced = plan.referenced;
    for (v, s) in ds.versions().await? {
        if let Some(s) = s.filter(|_| !doomed.contains(&v)) {
            for f in &s.manifest.files {
                referenced.insert(ds.layout.resolve(&f.path)?);
            }
        }
    }
    for d in &plan.collect {
        let manifest = ds.layout.manifest(&d.version);
        futures::stream::iter(
            d.objects
                .iter()
                .filter(|(p, _)| *p != manifest && !referenced.contains(p)),
        )
        .map(|(p, _)| ds.store.delete(p))
        .buffer_unordered(8)
        .try_collect::<Vec<()>>()
        .await?;
    }
    Ok(out)
}

async fn plan(
    ds: &Dataset,
    state: &pointer::State,
    history: &[LogEntry],
    now: DateTime<Utc>,
    opts: &GcOptions,
) -> Result<Plan> {
    // The last N versions the pointer held, newest first.
    let mut recent: Vec<VersionId> = Vec::new();
    for e in history.iter().filter(|e| e.action.moves()) {
        if let Some(v) = &e.to
            && !recent.contains(v)
            && recent.len() < opts.keep
        {
            recent.push(v.clone());
        }
    }
    let listed_before = roles::collected_in(history);

    let sealed = ds.versions().await?;
    let mut kept = Vec::new();
    let mut doomed = Vec::new();
    for (v, s) in sealed {
        let objects = ds.store.list(&ds.layout.version_prefix(&v)).await?;
        let manifest = ds.layout.manifest(&v);
        // A version's age: its manifest's (the seal) as the store dated it; an unsealed folder's:
        // its newest object's. Never the publisher's clock.
        let born = match &s {
            Some(_) => objects
                .iter()
                .find(|o| o.location == manifest)
                .map(|o| o.last_modified),
            None => objects.iter().map(|o| o.last_modified).max(),
        };
        let age = born.map(|b| now - b);
        let roles = roles::roles(
            state,
            &v,
            Facts {
                sealed: s.is_some(),
                gates_failed: false,
                collected: listed_before.contains_key(&v),
            },
        );
        let why = roles::gc_keeps(
            &roles,
            recent.contains(&v),
            opts.include_reverted,
            Age {
                in_grace: age.is_none_or(|a| a < opts.grace),
                younger_than_cutoff: opts
                    .older_than
                    .is_some_and(|min| age.is_none_or(|a| a < min)),
            },
        );
        if why.is_empty() {
            let reverted = roles.contains(&Role::Reverted);
            doomed.push((v, s, born, objects, reverted));
        } else {
            kept.push((v, s, why));
        }
    }

    // Files any kept version lists (wherever they are stored), and every object of a kept folder.
    let mut referenced: BTreeSet<object_store::path::Path> = BTreeSet::new();
    for (_, s, _) in &kept {
        if let Some(s) = s {
            for f in &s.manifest.files {
                referenced.insert(ds.layout.resolve(&f.path)?);
            }
        }
    }
    let mut kept_files = Vec::new();
    let collect = doomed
        .into_iter()
        .map(|(v, s, born, objects, reverted)| {
            let (keep, go): (Vec<_>, Vec<_>) = objects
                .into_iter()
                .partition(|o| referenced.contains(&o.location));
            let folder = ds.layout.prefix().as_ref().len() + 1;
            kept_files.extend(keep.iter().map(|o| {
                o.location
                    .as_ref()
                    .get(folder..)
                    .unwrap_or_default()
                    .to_string()
            }));
            Doomed {
                version: v,
                created_at: born,
                content_hash: s.map(|s| s.manifest.content_hash),
                reverted,
                objects: go.into_iter().map(|o| (o.location, o.size)).collect(),
                referenced: keep.len(),
            }
        })
        // A collected version's folder that only holds files kept versions refer to: nothing to do.
        .filter(|d| d.content_hash.is_some() || !d.objects.is_empty())
        .collect();
    let kept = kept
        .into_iter()
        .map(|(v, _, why)| Kept {
            version: v.to_string(),
            why: why.into_iter().map(str::to_string).collect(),
        })
        .collect();
    Ok(Plan {
        collect,
        referenced,
        kept,
        kept_files,
    })
}

/// The store's own time: the last-modified stamp it gives an object written now. Ages are
/// measured on it, so neither a publisher's clock nor gc's own can make a young version look old.
async fn store_now(ds: &Dataset) -> Result<DateTime<Utc>> {
    let probe = ds.layout.clock_probe();
    ds.store
        .overwrite(
            &probe,
            bytes::Bytes::from_static(b"lastgood gc reads the store's clock here\n"),
        )
        .await?;
    ds.store
        .head(&probe)
        .await?
        .map(|m| m.last_modified)
        .ok_or_else(|| {
            Error::Corrupt(format!(
                "{} vanished as it was written",
                ds.store.url_of(&probe)
            ))
        })
}

/// Unseals a doomed version: its content marker (unless reverted: the marker, naming a version
/// that is gone, keeps its content refused), then its manifest.
async fn unseal(ds: &Dataset, d: &Doomed) -> Result<()> {
    if let Some(hash) = d.content_hash.as_ref().filter(|_| !d.reverted) {
        let marker = ds.layout.content_marker(hash);
        if let Some(b) = ds.store.get(&marker).await? {
            let names_it = ContentMarker::parse(&b, hash).is_ok_and(|m| m.version == d.version);
            if names_it {
                ds.store.delete(&marker).await?;
            }
        }
    }
    ds.store.delete(&ds.layout.manifest(&d.version)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages() {
        assert_eq!(parse_age("30d").unwrap(), Duration::days(30));
        assert_eq!(parse_age("12h").unwrap(), Duration::hours(12));
        assert_eq!(parse_age("2w").unwrap(), Duration::weeks(2));
        for bad in ["", "d", "30", "30x", "-1d", "1.5d"] {
            assert_eq!(parse_age(bad).unwrap_err().exit_code(), 2, "{bad}");
        }
    }
}
