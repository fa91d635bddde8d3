//! `lastgood publish`: seal a new immutable version, then promote it.
//!
//! 1. Collect and check the sources ([`crate::source::collect`]): one schema, footers read, files
//!    hashed. The content hash covers every file's place and checksum.
//! 2. Read the pointer's head: its version is the parent (and the baseline the gates judge against).
//! 3. Choose the id: the one given, or the version already holding this content
//!    (`content/<hash>.json`), or a new `UTC time + hash` id.
//! 4. If that version is sealed: with the same content this is an idempotent re-run (go to 7);
//!    with other content, refuse.
//! 5. Upload every data file create-if-absent under `versions/<id>/data/`. A file already there
//!    (an interrupted run of the same publish) must have the same checksum.
//! 6. Write the manifest create-if-absent: the version is sealed. Record the content marker.
//! 7. Run the gates against the pointer's current version (the baseline) and store the report
//!    beside the version, whatever the verdict.
//! 8. Unless a fail-severity gate failed (exit 3) or `--no-promote`, move the pointer to the
//!    version, provided it is still at the baseline. If another writer moved it meanwhile, judge
//!    again against the new baseline (up to three times, then exit 5).

use std::collections::BTreeMap;

use futures::{StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};

use crate::context::Context;
use crate::dataset::Dataset;
use crate::error::{Error, Result};
use crate::gates::{self, GateResult};
use crate::layout::Layout;
use crate::manifest::{self, FileEntry, Manifest, Producer, SchemaInfo};
use crate::names::VersionId;
use crate::ops::validate::Rules;
use crate::pointer::{self, Action, Move};
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
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PublishOutcome {
    pub dataset: String,
    pub version: String,
    /// False when the version was already sealed with this content (an idempotent re-run).
    pub created: bool,
    pub promoted: bool,
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
    /// Why a judged version was not promoted: the dataset is frozen (exit 4).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frozen: Option<String>,
}

/// `content/<hash>.json`: which version holds this content.
#[derive(Serialize, Deserialize)]
struct ContentMarker {
    format: String,
    version: VersionId,
}

impl ContentMarker {
    fn bytes(version: &VersionId) -> bytes::Bytes {
        let mut v = serde_json::to_vec(&ContentMarker {
            format: "lastgood.content".into(),
            version: version.clone(),
        })
        .expect("marker serializes");
        v.push(b'\n');
        v.into()
    }
}

pub async fn publish(ds: &Dataset, ctx: &Context, opts: PublishOptions) -> Result<PublishOutcome> {
    let sources = source::collect(&opts.sources, &opts.partition).await?;
    let rels: Vec<(String, String)> = sources
        .files
        .iter()
        .map(|f| (f.rel.clone(), f.checksum.clone()))
        .collect();
    let content_hash = manifest::content_hash(rels.iter().map(|(r, c)| (r.as_str(), c.as_str())));

    let head = pointer::read_head(ds).await?;
    let parent = head.version().cloned();

    let marker_path = ds.layout.content_marker(&content_hash);
    let id = match &opts.version {
        Some(v) => v.clone(),
        None => match ds.store.get(&marker_path).await? {
            Some(b) => {
                serde_json::from_slice::<ContentMarker>(&b)
                    .map_err(|e| Error::Corrupt(format!("content marker {content_hash}: {e}")))?
                    .version
            }
            None => VersionId::generate(ctx.now(), &content_hash),
        },
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
            upload(ds, &id, &sources.files).await?;
            let files: Vec<FileEntry> = sources
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
                .collect();
            let m = Manifest {
                format: manifest::FORMAT.into(),
                format_version: manifest::FORMAT_VERSION,
                dataset: ds.name().clone(),
                version: id.clone(),
                created_at: ctx.now(),
                parent: parent.clone(),
                content_hash: content_hash.clone(),
                rows: files.iter().map(|f| f.rows).sum(),
                bytes: files.iter().map(|f| f.size).sum(),
                schema: SchemaInfo::from_arrow(&sources.schema)?,
                partition_keys: sources.partition_keys.clone(),
                partitions: manifest::summarize_partitions(&files),
                files,
                meta: opts.meta.clone(),
                message: opts.message.clone(),
                producer: Producer {
                    actor: ctx.actor.clone(),
                    tool: format!("lastgood {}", env!("CARGO_PKG_VERSION")),
                },
            };
            match ds
                .store
                .create(&ds.layout.manifest(&id), m.to_bytes())
                .await?
            {
                Put::Created => {}
                Put::Exists => {
                    // A concurrent publish of the same id sealed first: fine if it is the same content.
                    let other = ds.require(&id).await?;
                    if other.manifest.content_hash != content_hash {
                        return Err(Error::Refused(format!(
                            "version {id} of {} was sealed concurrently with other content",
                            ds.name()
                        )));
                    }
                }
            }
            (ds.require(&id).await?, true)
        }
    };

    // Written after the seal, and again by any re-run that finds it missing (an interrupted run).
    ds.store
        .create(&marker_path, ContentMarker::bytes(&id))
        .await?;

    let mut outcome = PublishOutcome {
        dataset: ds.name().to_string(),
        version: id.to_string(),
        created,
        promoted: false,
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
        frozen: None,
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
                ds.require_verified(
                    b,
                    head.entry
                        .as_ref()
                        .and_then(|e| crate::ops::status::recorded_checksum(e, b)),
                )
                .await?,
            ),
            None => None,
        };
        let report = gates::evaluate(
            ds,
            ctx,
            &sealed,
            baseline.as_ref(),
            &opts.rules.validations,
            opts.rules.contract.as_ref(),
            "publish",
        )
        .await?;
        let report_path = gates::store_report(ds, &report).await?;
        outcome.baseline = baseline_id.as_ref().map(|v| v.to_string());
        outcome.passed = report.passed;
        outcome.report = Some(report_path.clone());
        let verdict =
            serde_json::to_value(report.verdict(&report_path)).expect("verdict serializes");
        outcome.gates = report.gates;
        if opts.no_promote || (!outcome.passed && !opts.force) {
            return Ok(outcome);
        }
        if let Some(why) = crate::ops::freeze::frozen_refusal(ds, &head.state()) {
            outcome.frozen = Some(why);
            return Ok(outcome);
        }
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
            if let Some(why) = crate::ops::freeze::frozen_refusal(ds, &head.state()) {
                return Err(Error::Refused(why));
            }
            let reverted = head.state().is_reverted(&id);
            if reverted && !opts.force {
                return Err(Error::Refused(format!(
                    "version {id} of {} was reverted before; pass --force with --reason to promote it again",
                    ds.name()
                )));
            }
            Ok(Some(Move {
                reason: opts.reason.clone().or_else(|| opts.message.clone()),
                forced: reverted || !outcome.passed,
                verdict: Some(verdict.clone()),
                ..Move::to(Action::Promote, id.clone())
            }))
        })
        .await;
        match result {
            Ok((entry, _)) => {
                outcome.promoted = true;
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

fn show(v: Option<&VersionId>) -> String {
    v.map(|v| v.to_string()).unwrap_or_else(|| "(none)".into())
}

/// Uploads the data files, four at a time; an object already there must be this very file.
async fn upload(ds: &Dataset, id: &VersionId, files: &[SourceFile]) -> Result<()> {
    futures::stream::iter(files)
        .map(|f| async move {
            let dest = ds.layout.resolve(&Layout::data_rel(id, &f.rel))?;
            if ds.store.upload_file(&f.local, &dest, f.size).await? == Put::Exists {
                let Some(existing) = ds.store.get(&dest).await? else {
                    return Err(Error::Conflict(format!(
                        "{} is being written by another publish of version {id}; run again",
                        ds.store.url_of(&dest)
                    )));
                };
                if manifest::checksum(&existing) != f.checksum {
                    return Err(Error::Refused(format!(
                        "{} already exists with other content (an unsealed upload of version {id}); publish under another id",
                        ds.store.url_of(&dest)
                    )));
                }
            }
            Ok(())
        })
        .buffer_unordered(4)
        .try_collect::<Vec<()>>()
        .await?;
    Ok(())
}
