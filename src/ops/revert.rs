//! `lastgood pointer revert`: move the pointer back to the last-known-good version.
//!
//! 1. `--reason` is required; a `--to` version must be sealed, and with failed gates needs
//!    `--force` ([`policy::gates_failed`]).
//! 2. Read the head. Its current version is the one being reverted; nothing current, nothing to do.
//! 3. The target is `--to`, or the state's last-known-good ([`policy::last_known_good`]): the most
//!    recent version the pointer held before, not itself reverted. None left: refuse. A reverted
//!    `--to` needs `--force` ([`policy::admit`]); a revert is allowed while frozen.
//! 4. Append a `revert` entry; the state marks the version left behind as reverted, so it is not
//!    promoted again by accident.
//! 5. If another writer takes the position, retry only while the same version is still current;
//!    otherwise the revert would hit a version nobody judged: exit 5.
//!
//! Without `--to`, after a partition revert: if the last-known-good still holds a partition a
//! partition revert took out since it was current (the bad night, carried by later versions),
//! refuse and name it; `--to` chooses ([`refuse_taken_partitions`]).
//!
//! With `--partition` ([`revert_partitions`]), only the named partitions go back: a new version is
//! sealed, equal to the current one except that each named partition comes from `--to`, or else
//! from the version before the publish that brought it (the parent of the version its files are
//! in); the pointer moves to it with a `revert` entry, and partitions published since stay.

use serde::{Deserialize, Serialize};

use crate::context::Context;
use crate::dataset::Dataset;
use crate::error::{Error, Result};
use crate::manifest::{self, FileEntry, Manifest, Producer};
use crate::names::VersionId;
use crate::partition;
use crate::pointer::policy::{self, require_reason};
use crate::pointer::{self, Action, Detail, Move, MoveOutcome, PartitionRevertDetail};

pub use crate::pointer::RevertedPartition;

pub async fn revert(
    ds: &Dataset,
    ctx: &Context,
    to: Option<&VersionId>,
    reason: &str,
    force: bool,
) -> Result<MoveOutcome> {
    require_reason(reason)?;
    let mut to_failed_gates = false;
    if let Some(to) = to {
        ds.require(to).await?;
        to_failed_gates = policy::gates_failed(ds, to, force).await?;
    }
    let first = pointer::read_existing_head(ds).await?;
    let bad = first
        .version()
        .cloned()
        .ok_or_else(|| policy::nothing_to_revert(ds))?;
    // The last-known-good checked for partitions a partition revert took out since it was current.
    let checked = match to {
        Some(_) => None,
        None => {
            let lkg = first.state().last_known_good().cloned();
            if let Some(lkg) = &lkg {
                refuse_taken_partitions(ds, &first, lkg).await?;
            }
            lkg
        }
    };
    let (entry, moved) = pointer::commit(ds, &ctx.actor, ctx.now(), |head| {
        if head.version() != Some(&bad) {
            return Err(Error::Conflict(format!(
                "the pointer of {} moved from {bad} to {} meanwhile; look at `lastgood pointer history` and revert again if still needed",
                ds.name(),
                head.version().map(|v| v.to_string()).unwrap_or_default()
            )));
        }
        let state = head.state();
        let target = match to {
            Some(t) => t.clone(),
            None => policy::last_known_good(ds, &state, &bad)?,
        };
        if to.is_none() && checked.as_ref() != Some(&target) {
            return Err(Error::Conflict(format!(
                "the last-known-good version of {} changed meanwhile; look at `lastgood pointer history` and revert again if still needed",
                ds.name()
            )));
        }
        if target == bad {
            // `revert --to T` when T is already current: done (a re-run after an interruption).
            return Ok(None);
        }
        let reverted = policy::admit(ds, &state, Action::Revert, &target, force)?;
        Ok(Some(Move {
            reason: Some(reason.to_string()),
            forced: reverted || to_failed_gates,
            ..Move::to(Action::Revert, target)
        }))
    })
    .await?;
    if !moved {
        return Ok(MoveOutcome::unmoved(ds, Action::Revert, &entry));
    }
    Ok(MoveOutcome::new(ds, &entry, moved))
}

/// A plain revert goes to the last-known-good `lkg`. After a partition revert, `lkg` may still hold
/// the partition it took out (the bad night, carried in the versions published after it, which
/// the partition revert did not mark reverted): going there would bring it back, and drop what was
/// published since. Refused (exit 4) with the partitions named: the user chooses with `--to`.
/// Partition reverts since `lkg` was last current are read back from the head.
async fn refuse_taken_partitions(
    ds: &Dataset,
    head: &pointer::Head,
    lkg: &VersionId,
) -> Result<()> {
    let mut taken: Vec<(u64, RevertedPartition)> = Vec::new();
    let mut seq = head.seq;
    while seq > 0 {
        let Some((e, _)) = pointer::read_entry(ds, seq).await? else {
            break;
        };
        if e.action.moves() && e.to.as_ref() == Some(lkg) {
            break;
        }
        taken.extend(e.partitions().iter().map(|p| (seq, p.clone())));
        seq -= 1;
    }
    if taken.is_empty() {
        return Ok(());
    }
    // The partitions taken out that a version still holds (by its files' folder and partition).
    let held = |m: &Manifest| -> Vec<String> {
        taken
            .iter()
            .filter(|(_, p)| {
                m.files.iter().any(|f| {
                    p.replaced
                        .as_ref()
                        .is_some_and(|r| partition::origin(&f.path) == Some(r.as_str()))
                        && partition::Label(&m.partition_keys, &f.partition).to_string()
                            == p.partition
                })
            })
            .map(|(seq, p)| format!("{} (taken out at #{seq})", p.partition))
            .collect()
    };
    let Some(sealed) = ds.sealed(lkg).await? else {
        return Ok(());
    };
    let bad = held(&sealed.manifest);
    if bad.is_empty() {
        return Ok(());
    }
    // A hint: the newest other version the pointer held, not reverted, without them.
    let state = head.state();
    let mut clean = None;
    for v in state
        .known_good
        .iter()
        .filter(|v| *v != lkg && !state.is_reverted(v))
    {
        if let Some(s) = ds.sealed(v).await?
            && held(&s.manifest).is_empty()
        {
            clean = Some(v.clone());
            break;
        }
    }
    let hint = match clean {
        Some(v) => format!(" (the newest version it held without them: {v})"),
        None => String::new(),
    };
    Err(Error::Refused(format!(
        "the last-known-good version {lkg} of {} still holds partition {} that a partition revert took out: a plain revert would bring it back and drop what was published since; go to a version on purpose with `lastgood pointer revert {} --to VERSION --reason …`{hint}, or revert partitions with --partition",
        ds.name(),
        bad.join(", "),
        ds.name()
    )))
}

/// `pointer revert --partition`: what moved and which partitions were replaced.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PartitionRevertOutcome {
    #[serde(flatten)]
    pub moved: MoveOutcome,
    /// True when a new version was sealed for the result (false when an existing version already
    /// held exactly this content).
    pub created: bool,
    pub partitions: Vec<RevertedPartition>,
}

pub async fn revert_partitions(
    ds: &Dataset,
    ctx: &Context,
    selectors: &[partition::Values],
    to: Option<&VersionId>,
    reason: &str,
) -> Result<PartitionRevertOutcome> {
    require_reason(reason)?;
    let head = pointer::read_head(ds).await?;
    let current_id = head
        .version()
        .cloned()
        .ok_or_else(|| policy::nothing_to_revert(ds))?;
    let current = ds
        .require_verified(
            &current_id,
            head.entry
                .as_ref()
                .and_then(|e| e.recorded_checksum(&current_id)),
        )
        .await?;
    let cm = &current.manifest;
    let keys = &cm.partition_keys;
    let explicit = match to {
        Some(t) => Some(ds.require(t).await?),
        None => None,
    };

    let mut files: Vec<FileEntry> = cm.files.clone();
    let mut done = Vec::new();
    for sel in selectors {
        let label = partition::Label(keys, sel).to_string();
        let named: std::collections::BTreeSet<&String> = sel.keys().collect();
        if named != keys.iter().collect() {
            return Err(Error::input(format!(
                "--partition {label}: name every partition key of {} ({})",
                ds.name(),
                keys.join(", ")
            )));
        }
        let bad: Vec<&FileEntry> = cm
            .files
            .iter()
            .filter(|f| partition::matches(f, sel))
            .collect();
        let replaced = bad
            .first()
            .and_then(|f| partition::origin(&f.path))
            .map(VersionId::new)
            .transpose()?;
        let source = match &explicit {
            Some(s) => s.clone(),
            None => {
                let origin = replaced.as_ref().ok_or_else(|| {
                    Error::input(format!(
                        "partition {label} is not in the current version {current_id} of {}; name the version to take it from with --to",
                        ds.name()
                    ))
                })?;
                let origin = ds.require(origin).await?;
                let before = origin.manifest.parent.clone().ok_or_else(|| {
                    Error::Refused(format!(
                        "partition {label} of {} came with its first version {}: there is no earlier one to go back to (use --to)",
                        ds.name(),
                        origin.manifest.version
                    ))
                })?;
                ds.require(&before).await?
            }
        };
        let sm = &source.manifest;
        // Files of a version gc collects are being deleted: never sealed into a new version.
        policy::refuse_collected(ds, &head.state(), &sm.version)?;
        if sm.partition_keys != *keys {
            return Err(Error::input(format!(
                "{} is partitioned by [{}], the current version by [{}]",
                sm.version,
                sm.partition_keys.join(", "),
                keys.join(", ")
            )));
        }
        if sm
            .schema
            .columns
            .iter()
            .map(|c| (&c.name, &c.data_type))
            .ne(cm.schema.columns.iter().map(|c| (&c.name, &c.data_type)))
        {
            return Err(Error::input(format!(
                "{} has other columns than the current version {current_id}; a version's partitions share one schema",
                sm.version
            )));
        }
        // The new version keeps the current one's partition types: the values taken must have them.
        for f in sm.files.iter().filter(|f| partition::matches(f, sel)) {
            for (k, t) in &cm.partition_types {
                let v = f.partition.get(k).map(String::as_str).unwrap_or_default();
                partition::check_value(k, v, *t).map_err(|e| {
                    Error::input(format!(
                        "{} cannot give {label} back: {e} (the current version's partition types); use another --to",
                        sm.version
                    ))
                })?;
            }
        }
        let good: Vec<FileEntry> = sm
            .files
            .iter()
            .filter(|f| partition::matches(f, sel))
            .cloned()
            .collect();
        files.retain(|f| !partition::matches(f, sel));
        done.push(RevertedPartition {
            partition: label,
            replaced,
            from: sm.version.clone(),
            rows: good.iter().map(|f| f.rows).sum(),
        });
        files.extend(good);
    }
    files.sort_by(|a, b| partition::logical_path(&a.path).cmp(partition::logical_path(&b.path)));

    let content_hash = manifest::content_hash_of(&files, &cm.partition_types);
    let mut created = false;
    let target = if content_hash == cm.content_hash {
        // Already so (a re-run of `--to`): nothing to move.
        current_id.clone()
    } else {
        // An existing version with this content is reused, unless it was reverted itself or gc
        // collects it.
        let reusable = ds
            .version_with_content(&content_hash)
            .await?
            .filter(|v| !head.state().is_reverted(v) && head.state().collected_by(v).is_none());
        match reusable {
            Some(v) => v,
            None => {
                let id = VersionId::generate(ctx.now(), &content_hash);
                let m = Manifest {
                    version: id.clone(),
                    created_at: ctx.now(),
                    parent: Some(current_id.clone()),
                    files,
                    message: Some(format!(
                        "revert {}",
                        done.iter()
                            .map(|d| format!("{} to {}", d.partition, d.from))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                    producer: Producer::new(&ctx.actor),
                    ..cm.clone()
                }
                .tally();
                ds.seal(&m).await?;
                ds.mark_content(&m).await?;
                created = true;
                id
            }
        }
    };
    let detail = Detail::PartitionRevert(PartitionRevertDetail {
        partitions: done.clone(),
    });
    let (entry, moved) = pointer::commit(ds, &ctx.actor, ctx.now(), |head| {
        match head.version() {
            Some(v) if *v == target => Ok(None),
            Some(v) if *v == current_id => Ok(Some(Move {
                reason: Some(reason.to_string()),
                detail: Some(detail.clone()),
                ..Move::to(Action::Revert, target.clone())
            })),
            other => Err(Error::Conflict(format!(
                "the pointer of {} moved from {current_id} to {} meanwhile; look at `lastgood pointer history` and revert again if still needed",
                ds.name(),
                other.map(|v| v.to_string()).unwrap_or_default()
            ))),
        }
    })
    .await?;
    Ok(PartitionRevertOutcome {
        moved: MoveOutcome::new(ds, &entry, moved),
        created,
        partitions: done,
    })
}
