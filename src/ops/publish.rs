//! `lastgood publish`: seal a new immutable version, then promote it.
//!
//! 1. Collect and check the sources ([`crate::source::collect_finished`]): one schema, footers
//!    read, files hashed; with a success marker configured, every source folder must hold it. The
//!    content hash covers every file's place and checksum.
//! 2. Read the pointer's head: its version is the parent (and the baseline the gates judge against).
//! 3. Choose the id: the one given, or the version already holding this content
//!    (`content/<hash>.json`), or a new `UTC time + hash` id.
//! 4. If that version is sealed: with the same content this is an idempotent re-run (go to 7);
//!    with other content, refuse.
//! 5. Upload every data file create-if-absent under `versions/<id>/data/`. A file already there
//!    (an interrupted run of the same publish) must have the same checksum.
//! 6. Write the manifest create-if-absent: the version is sealed. Record the content marker. If
//!    another writer sealed the id first with other content, delete the data files this run
//!    created that its manifest does not list, and refuse.
//! 7. Run the gates against the pointer's current version (the baseline) and store the report
//!    beside the version, whatever the verdict.
//! 8. Unless a fail-severity gate failed (exit 3) or `--no-promote`, move the pointer to the
//!    version, provided it is still at the baseline. If another writer moved it meanwhile, judge
//!    again against the new baseline (up to three times, then exit 5).

use std::collections::BTreeMap;

use futures::StreamExt;
use serde::{Deserialize, Serialize};

use crate::context::Context;
use crate::dataset::{Dataset, Sealed};
use crate::error::{Error, Result};
use crate::gates::{self, GateResult};
use crate::layout::Layout;
use crate::manifest::{self, FileEntry, Manifest, Producer, SchemaInfo};
use crate::names::VersionId;
use crate::ops::validate::Rules;
use crate::partition::{self, Partitioning};
use crate::pointer::{self, Action, Move, policy};
use crate::source::{self, SourceFile};
use crate::store::Put;

#[derive(Debug, Clone, Default)]
pub struct PublishOptions {
    pub sources: Vec<String>,
    pub version: Option<VersionId>,
    pub partition: Vec<(String, String)>,
    pub meta: BTreeMap<String, String>,
    pub message: Option<String>,
    /// Seal only; leave the pointer where it is.
    pub no_promote: bool,
    /// Promote even a version that was reverted before, or whose gates failed.
    pub force: bool,
    pub reason: Option<String>,
    /// The gates and contract to judge by.
    pub rules: Rules,
    /// The dataset's declared partitioning: the sources add or replace partitions of the current
    /// version, whose other partitions are carried forward by reference.
    pub partitioning: Option<Partitioning>,
    /// With a partitioning: replace every partition (carry nothing forward).
    pub full: bool,
    /// A file every source folder must hold (`_SUCCESS`): refuse folders still being written.
    pub success_marker: Option<String>,
    /// The rules to record with the promotion when the store has none yet: written (create-if-
    /// absent) just before the entry that names them, so a refused publish writes nothing.
    pub record_rules: Option<crate::ops::rules::DatasetRules>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PublishOutcome {
    pub dataset: String,
    pub version: String,
    /// False when the version was already sealed with this content (an idempotent re-run).
    pub created: bool,
    /// The pointer is at this version (it moved now, or already was there).
    pub promoted: bool,
    /// This run moved the pointer (false for a re-run that found it already there).
    pub moved: bool,
    /// The log position of the promotion (or of the entry that already pointed at the version).
    pub seq: Option<u64>,
    pub parent: Option<String>,
    pub files: usize,
    pub rows: u64,
    pub bytes: u64,
    pub content_hash: String,
    pub manifest: String,
    /// The version the gates judged against (the pointer's target); none on a first publish.
    pub baseline: Option<String>,
    /// No fail-severity gate failed.
    pub passed: bool,
    pub gates: Vec<GateResult>,
    /// Dataset-relative path of the stored gate report.
    pub report: Option<String>,
    /// The stored gate report's absolute location (`file:///…`, `s3://…`).
    #[serde(default)]
    pub report_url: Option<String>,
    /// Partitioned publishes: the partitions added or replaced, and how many files of other
    /// partitions were carried forward by reference.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub partitions: Vec<String>,
    #[serde(default)]
    pub carried_files: usize,
    /// Partitioned publishes: which partitions the gates compared (the report's `scope`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<crate::partition::Scope>,
    /// Why a judged version was not promoted: the dataset is frozen (exit 4).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frozen: Option<String>,
    /// What this run asked to record that the already sealed version does not carry (`--meta`,
    /// `--message` of an idempotent re-run): said, since a sealed manifest never changes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ignored: Vec<String>,
}

pub async fn publish(ds: &Dataset, ctx: &Context, opts: PublishOptions) -> Result<PublishOutcome> {
    let sources = source::collect_finished(
        &opts.sources,
        &opts.partition,
        opts.success_marker.as_deref(),
    )
    .await?;
    let mut touched: Vec<partition::Values> = Vec::new();
    for f in &sources.files {
        if !touched.contains(&f.partition) {
            touched.push(f.partition.clone());
        }
    }
    if let Some(p) = &opts.partitioning {
        let values: Vec<&partition::Values> = touched.iter().collect();
        p.check_files(&sources.partition_keys, &values, ds.name().as_str())?;
        // Case-insensitive: engines that read Hive folders (DuckDB) match names so, and would
        // silently replace the column's values with the folder's.
        let clash = sources.schema.fields().iter().find_map(|f| {
            p.keys
                .iter()
                .find(|k| k.eq_ignore_ascii_case(f.name()))
                .map(|k| (f.name(), k))
        });
        if let Some((col, k)) = clash {
            return Err(Error::input(format!(
                "the files have a column {col}, which names the partition key {k} of {}: partition values come from the folders ({k}=…/), drop or rename the column",
                ds.name()
            )));
        }
    }

    let head = pointer::read_head(ds).await?;
    if crate::delta::will_project(ds, head.seq).await? {
        crate::delta::refuse_unrepresentable(ds, "the files", &sources.schema)?;
    }
    let parent = head.version().cloned();
    let carried = match (&opts.partitioning, &parent) {
        (Some(p), Some(parent)) if !opts.full => {
            carry_forward(ds, &head, parent, p, &touched, &sources.schema).await?
        }
        _ => Vec::new(),
    };
    let new_files: Vec<(String, String)> = sources
        .files
        .iter()
        .map(|f| (f.rel.clone(), f.checksum.clone()))
        .collect();
    let partition_types: BTreeMap<String, partition::KeyType> = opts
        .partitioning
        .as_ref()
        .map(|p| p.keys.iter().map(|k| (k.clone(), p.key_type(k))).collect())
        .unwrap_or_default();
    let content_hash = manifest::content_hash(
        new_files
            .iter()
            .map(|(r, c)| (r.as_str(), c.as_str()))
            .chain(
                carried
                    .iter()
                    .map(|f| (partition::logical_path(&f.path), f.checksum.as_str())),
            ),
        &partition_types,
    );

    // The version that holds this content, while it lives: a marker naming a version that is no
    // longer sealed, or that gc is collecting, names a collected one (markers are written after
    // the seal), whose id is never sealed again.
    let state = head.state();
    let marked = ds.marked_version(&content_hash).await?;
    let marked_live = match &marked {
        Some(x) if state.collected_by(x).is_none() => ds
            .sealed(x)
            .await?
            .is_some_and(|s| s.manifest.content_hash == content_hash),
        _ => false,
    };
    // Reverted content stays refused, under any id, even after gc collected the version.
    let content_reverted = policy::reverted_content(ds, &state, marked.as_ref(), opts.force)?;
    let id = match (&opts.version, &marked) {
        (Some(v), _) => v.clone(),
        (None, Some(x)) if marked_live => x.clone(),
        _ => VersionId::generate(ctx.now(), &content_hash),
    };

    let (sealed, created) = match ds.sealed(&id).await? {
        Some(s) if s.manifest.content_hash == content_hash => (s, false),
        Some(_) => {
            return Err(Error::Refused(format!(
                "version {id} of {} is already sealed with other content; versions never change: publish under another id",
                ds.name()
            )));
        }
        None => {
            if opts.version.is_some()
                && let Some(seq) = policy::collected_ever(ds, &state, &id).await?
            {
                return Err(policy::collected_error(ds, &id, seq));
            }
            let created = std::sync::Mutex::new(Vec::new());
            if let Err(e) = upload(ds, &id, &sources.files, &created).await {
                return Err(clean_up_lost(ds, &id, &created, e).await);
            }
            let mut files: Vec<FileEntry> = sources
                .files
                .iter()
                .map(|f| FileEntry {
                    path: Layout::data_rel(&id, &f.rel),
                    size: f.size,
                    rows: f.rows,
                    checksum: f.checksum.clone(),
                    partition: f.partition.clone(),
                    null_counts: f.null_counts.clone(),
                })
                .chain(carried.iter().cloned())
                .collect();
            files.sort_by(|a, b| {
                partition::logical_path(&a.path).cmp(partition::logical_path(&b.path))
            });
            let m = Manifest {
                format: manifest::FORMAT.into(),
                format_version: manifest::FORMAT_VERSION,
                dataset: ds.name().clone(),
                version: id.clone(),
                created_at: ctx.now(),
                parent: parent.clone(),
                content_hash: String::new(),
                rows: 0,
                bytes: 0,
                schema: SchemaInfo::from_arrow(&sources.schema)?,
                partition_keys: sources.partition_keys.clone(),
                partition_types: partition_types.clone(),
                partitions: Vec::new(),
                files,
                meta: opts.meta.clone(),
                message: opts.message.clone(),
                producer: Producer::new(&ctx.actor),
            }
            .tally();
            debug_assert_eq!(m.content_hash, content_hash);
            match ds.seal(&m).await {
                Ok(s) => (s, true),
                Err(e) => return Err(clean_up_lost(ds, &id, &created, e).await),
            }
        }
    };

    // Written after the seal, and again by any re-run that finds it missing (an interrupted run).
    // A marker naming a collected version now names this one.
    if marked.is_some() && !marked_live && marked.as_ref() != Some(&id) {
        ds.remark_content(&content_hash, &id).await?;
    } else {
        ds.mark_content(&sealed.manifest).await?;
    }

    // A sealed manifest never changes: what this run asked to record differently is said, not
    // silently dropped.
    let ignored = if created {
        Vec::new()
    } else {
        not_recorded(&id, &sealed.manifest, &opts)
    };
    // No rewind: content the pointer already left (Monday's files published again after Tuesday)
    // does not move consumers back. Going back on purpose is `pointer set`.
    if !created && pointer::left_behind(ds, &head, &id).await? {
        let mut msg = format!(
            "{} already held this content as {id} and has moved on to {}; a re-publish does not go back: `lastgood pointer set {} {id} --reason …` does, on purpose",
            ds.name(),
            show(head.version()),
            ds.name()
        );
        if !ignored.is_empty() {
            msg.push_str(&format!(" ({})", ignored.join("; ")));
        }
        return Err(Error::Refused(msg));
    }

    let mut outcome = PublishOutcome {
        dataset: ds.name().to_string(),
        version: id.to_string(),
        created,
        promoted: false,
        moved: false,
        seq: None,
        parent: sealed.manifest.parent.as_ref().map(|p| p.to_string()),
        files: sealed.manifest.files.len(),
        rows: sealed.manifest.rows,
        bytes: sealed.manifest.bytes,
        content_hash,
        manifest: ds.store.url_of(&ds.layout.manifest(&id)),
        baseline: None,
        passed: true,
        gates: Vec::new(),
        report: None,
        report_url: None,
        partitions: match &opts.partitioning {
            Some(p) => touched
                .iter()
                .map(|t| partition::Label(&p.keys, t).to_string())
                .collect(),
            None => Vec::new(),
        },
        carried_files: carried.len(),
        scope: None,
        frozen: None,
        ignored,
    };

    const JUDGEMENTS: u32 = 3;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let head = if attempt == 1 {
            head.clone()
        } else {
            pointer::read_head(ds).await?
        };
        if head.version() == Some(&id) {
            // Already current (an idempotent re-run): nothing to judge or move.
            outcome.promoted = true;
            outcome.seq = Some(head.seq);
            outcome.baseline = head
                .entry
                .as_ref()
                .and_then(|e| e.from.as_ref())
                .map(|v| v.to_string());
            pointer::sync_pointer_file(ds, &head).await?;
            return Ok(outcome);
        }
        let baseline_id = head.version().cloned();
        let baseline = match &baseline_id {
            Some(b) => Some(
                ds.require_verified(b, head.entry.as_ref().and_then(|e| e.recorded_checksum(b)))
                    .await?,
            ),
            None => None,
        };
        if attempt > 1 && opts.partitioning.is_some() && !opts.full {
            // The version carries the partitions of the version that was current when it was
            // sealed; judged against another, it would drop what was published meanwhile.
            return Err(Error::Conflict(format!(
                "the pointer of {} moved from {} to {} while {id} was being sealed; its other partitions are stale: run the same publish again",
                ds.name(),
                show(parent.as_ref()),
                show(head.version())
            )));
        }
        // A partitioned publish compares like with like (see [`partition::scope`]).
        let (cand_view, base_view, scope) = match (&opts.partitioning, &baseline) {
            (Some(p), Some(b)) if !opts.full => {
                let (c, b2, scope) = partition::scope(p, &touched, &sealed.manifest, &b.manifest);
                let view = |m, s: &Sealed| Sealed {
                    manifest: m,
                    checksum: s.checksum.clone(),
                };
                (view(c, &sealed), Some(view(b2, b)), Some(scope))
            }
            _ => (sealed.clone(), baseline.clone(), None),
        };
        let report = gates::evaluate(
            ds,
            ctx,
            &cand_view,
            base_view.as_ref(),
            &opts.rules.validations,
            opts.rules.contract.as_ref(),
            "publish",
        )
        .await;
        // A verdict on a version gc collected meanwhile (its files vanishing under the gates) is
        // no verdict: a conflict, not "gates failed".
        if !report.as_ref().is_ok_and(|r| r.passed)
            && let Some(e) = collected_meanwhile(ds, &id).await?
        {
            return Err(e);
        }
        let mut report = report?;
        report.scope = scope.clone();
        outcome.scope = scope;
        let report_path = gates::store_report(ds, &report).await?;
        outcome.baseline = baseline_id.as_ref().map(|v| v.to_string());
        outcome.passed = report.passed;
        outcome.report = Some(report_path.clone());
        outcome.report_url = Some(ds.store.url_of(&ds.layout.resolve(&report_path)?));
        let v = report.verdict(&report_path);
        let verdict = pointer::Verdict {
            baseline: v.baseline,
            failed: v.failed,
            passed: v.passed,
            report: v.report,
            warned: v.warned,
        };
        outcome.gates = report.gates;
        if opts.no_promote || (!outcome.passed && !opts.force) {
            return Ok(outcome);
        }
        if let Some(why) = policy::frozen_refusal(ds, &head.state()) {
            outcome.frozen = Some(why);
            return Ok(outcome);
        }
        let record_rules = match &opts.record_rules {
            Some(r) => Some(crate::ops::rules::write(ds, r).await?),
            None => None,
        };
        let result = pointer::commit(ds, &ctx.actor, ctx.now(), |head| {
            let current = head.version();
            if current == Some(&id) {
                return Ok(None);
            }
            if current != baseline_id.as_ref() {
                return Err(Error::Conflict(format!(
                    "the pointer of {} moved from {} to {} while {id} was being judged",
                    ds.name(),
                    show(baseline_id.as_ref()),
                    show(current)
                )));
            }
            let reverted = policy::admit(ds, &head.state(), Action::Promote, &id, opts.force)?;
            Ok(Some(Move {
                reason: opts.reason.clone().or_else(|| opts.message.clone()),
                forced: reverted || content_reverted || !outcome.passed,
                verdict: Some(verdict.clone()),
                rules: record_rules
                    .clone()
                    .filter(|_| head.state().rules.is_none()),
                ..Move::to(Action::Promote, id.clone())
            }))
        })
        .await;
        match result {
            Ok((entry, moved)) => {
                outcome.promoted = true;
                outcome.moved = moved;
                outcome.seq = Some(entry.seq);
                return Ok(outcome);
            }
            Err(Error::Conflict(_)) if attempt < JUDGEMENTS => continue,
            Err(Error::Conflict(msg)) => {
                return Err(Error::Conflict(format!(
                    "{msg}; {id} is sealed and judged {JUDGEMENTS} times: run the same publish again"
                )));
            }
            Err(e) => return Err(e),
        }
    }
}

/// The files of the current version's partitions this publish does not touch, checked to be
/// partitioned as declared and of the same columns as the new files.
async fn carry_forward(
    ds: &Dataset,
    head: &pointer::Head,
    parent: &VersionId,
    p: &Partitioning,
    touched: &[partition::Values],
    schema: &arrow::datatypes::Schema,
) -> Result<Vec<FileEntry>> {
    let current = ds
        .require_verified(
            parent,
            head.entry
                .as_ref()
                .and_then(|e| e.recorded_checksum(parent)),
        )
        .await?;
    let m = &current.manifest;
    if m.partition_keys != p.keys {
        return Err(Error::input(format!(
            "the current version of {} ({parent}) is partitioned by [{}], not [{}] as declared: publish every partition with --full",
            ds.name(),
            m.partition_keys.join(", "),
            p.keys.join(", ")
        )));
    }
    // Carried values keep the types they were published under: a change of type rewrites every
    // partition.
    let declared: std::collections::BTreeMap<String, partition::KeyType> =
        p.keys.iter().map(|k| (k.clone(), p.key_type(k))).collect();
    let retyped = if m.partition_types.is_empty() {
        m.files.iter().find_map(|f| {
            p.keys
                .iter()
                .find(|k| {
                    let v = f.partition.get(*k).map(String::as_str).unwrap_or_default();
                    partition::check_value(k, v, p.key_type(k)).is_err()
                })
                .map(|k| format!("{k}={}", f.partition.get(k).cloned().unwrap_or_default()))
        })
    } else {
        (m.partition_types != declared).then(|| format!("{:?}", m.partition_types))
    };
    if let Some(what) = retyped {
        return Err(Error::input(format!(
            "the current version of {} ({parent}) does not have the declared partition types ({what}): publish every partition with --full",
            ds.name()
        )));
    }
    let columns = |cols: &mut dyn Iterator<Item = (String, String)>| -> Vec<(String, String)> {
        cols.collect()
    };
    let new = columns(
        &mut schema
            .fields()
            .iter()
            .map(|f| (f.name().clone(), f.data_type().to_string())),
    );
    let old = columns(
        &mut m
            .schema
            .columns
            .iter()
            .map(|c| (c.name.clone(), c.data_type.clone())),
    );
    if new != old {
        let names = |c: &[(String, String)]| {
            c.iter()
                .map(|(n, t)| format!("{n} {t}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        return Err(Error::input(format!(
            "the new files' columns ({}) differ from the current version's ({}); the partitions of a version share one schema: publish every partition with --full",
            names(&new),
            names(&old)
        )));
    }
    Ok(m.files
        .iter()
        .filter(|f| !touched.contains(&f.partition))
        .cloned()
        .collect())
}

/// The `--meta` and `--message` of this run that the sealed version `id` does not carry.
fn not_recorded(id: &VersionId, m: &Manifest, opts: &PublishOptions) -> Vec<String> {
    let mut out = Vec::new();
    let meta: Vec<String> = opts
        .meta
        .iter()
        .filter(|(k, v)| m.meta.get(*k) != Some(*v))
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    if !meta.is_empty() {
        out.push(format!(
            "--meta {} not recorded: {id} was sealed before with other meta",
            meta.join(",")
        ));
    }
    if opts.message.is_some() && opts.message != m.message {
        out.push(format!(
            "--message not recorded: {id} was sealed before with another message"
        ));
    }
    out
}

/// A conflict when gc collected `id` (or unsealed it) while this publish judged it.
async fn collected_meanwhile(ds: &Dataset, id: &VersionId) -> Result<Option<Error>> {
    let head = pointer::read_head(ds).await?;
    let gone = match head.state().collected_by(id) {
        Some(seq) => Some(format!("gc collected it (history #{seq})")),
        None if ds.sealed(id).await?.is_none() => Some("it is no longer sealed".to_string()),
        None => None,
    };
    Ok(gone.map(|why| {
        Error::Conflict(format!(
            "version {id} of {} was deleted while its gates ran ({why}): no verdict; run the same publish again",
            ds.name()
        ))
    }))
}

fn show(v: Option<&VersionId>) -> String {
    v.map(|v| v.to_string()).unwrap_or_else(|| "(none)".into())
}

/// After a publish of `id` lost to another writer of the same id with other content (refused, or
/// a conflict during the upload): the files this run created that the sealed version does not list
/// are deleted, so no stray file is left in a sealed version's folder. Nothing is deleted before
/// `id` is sealed (waiting a few seconds for it): the other writer may still seal a manifest
/// listing a file this run wrote with the content it expects; if it never does, the folder stays
/// unsealed, for gc. Returns `err`.
async fn clean_up_lost(
    ds: &Dataset,
    id: &VersionId,
    created: &std::sync::Mutex<Vec<object_store::path::Path>>,
    err: Error,
) -> Error {
    if !matches!(err, Error::Refused(_) | Error::Conflict(_)) {
        return err;
    }
    let created = std::mem::take(&mut *created.lock().unwrap_or_else(|p| p.into_inner()));
    // The other writer is sealing: give it a moment (a few seconds at most).
    let mut winner = None;
    for _ in 0..15 {
        if let Ok(Some(s)) = ds.sealed(id).await {
            winner = Some(s);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let Some(winner) = winner else {
        return err;
    };
    let listed: std::collections::BTreeSet<object_store::path::Path> = winner
        .manifest
        .files
        .iter()
        .filter_map(|f| ds.layout.resolve(&f.path).ok())
        .collect();
    for path in created.iter().filter(|p| !listed.contains(*p)) {
        // Best effort: what is left behind, doctor reports (and --repair deletes).
        let _ = ds.store.delete(path).await;
    }
    err
}

/// Uploads the data files, four at a time; an object already there must be this very file. The
/// objects this run created are added to `created`; on a failure the uploads in flight still
/// finish, so `created` is complete.
async fn upload(
    ds: &Dataset,
    id: &VersionId,
    files: &[SourceFile],
    created: &std::sync::Mutex<Vec<object_store::path::Path>>,
) -> Result<()> {
    #[cfg(feature = "faults")]
    crate::faults::pause_before_upload().await;
    let total = files.iter().map(|f| f.size).sum();
    let bar = &crate::progress::Bar::new("uploading", total, crate::progress::Unit::Bytes);
    futures::stream::iter(files)
        .map(|f| async move {
            let dest = ds.layout.resolve(&Layout::data_rel(id, &f.rel))?;
            let put = ds.store.upload_file(&f.local, &dest, f.size, &f.checksum).await?;
            if put == Put::Created {
                created
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(dest.clone());
            }
            if put == Put::Exists {
                let Some((_, existing)) = ds.store.checksum(&dest).await? else {
                    return Err(Error::Conflict(format!(
                        "{} is being written by another publish of version {id}; run again",
                        ds.store.url_of(&dest)
                    )));
                };
                if existing != f.checksum {
                    return Err(Error::Refused(format!(
                        "{} already exists with other content (an unsealed upload of version {id}); publish under another id",
                        ds.store.url_of(&dest)
                    )));
                }
            }
            bar.inc(f.size);
            Ok(())
        })
        .buffer_unordered(4)
        // Every upload runs to its end, even after one failed: one dropped mid-request could land
        // unrecorded in `created`.
        .collect::<Vec<Result<()>>>()
        .await
        .into_iter()
        .collect()
}
