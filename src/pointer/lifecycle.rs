//! A version's lifecycle as the log records it: sealed → promoted / rejected → reverted →
//! collected. The checks every command that names or picks a version makes against it.
//!
//! Collected is final: a version a `gc` entry lists is never pointed at again (even while gc is
//! still unsealing it, or after gc was interrupted with its manifest still there), no version is
//! moved to while it lists a file gc is deleting, and a collected id is never sealed again.

use crate::dataset::{Dataset, Sealed};
use crate::error::{Error, Result};
use crate::names::VersionId;
use crate::pointer::{State, history, read_entry};

/// Refuses a move onto `target` when the newest gc entry collects it, or deletes a file it lists
/// (a partition revert `--to` a collected version, a version carrying files of one).
pub async fn check_move_target(ds: &Dataset, state: &State, target: &Sealed) -> Result<()> {
    let Some(c) = &state.collecting else {
        return Ok(());
    };
    let v = &target.manifest.version;
    if c.versions.contains(v) {
        return Err(collected_error(ds, v, c.seq));
    }
    let folders: Vec<String> = c
        .versions
        .iter()
        .map(|d| format!("versions/{d}/"))
        .collect();
    let at_risk: Vec<&str> = target
        .manifest
        .files
        .iter()
        .map(|f| f.path.as_str())
        .filter(|p| folders.iter().any(|f| p.starts_with(f.as_str())))
        .collect();
    if at_risk.is_empty() {
        return Ok(());
    }
    let kept = match read_entry(ds, c.seq).await? {
        Some((e, _)) => e.kept_files(),
        None => Vec::new(),
    };
    match at_risk.iter().find(|p| !kept.iter().any(|k| k == *p)) {
        Some(p) => Err(Error::Refused(format!(
            "version {v} of {} lists {p}, a file of a version gc collects (history #{}): the pointer never moves to a version whose files are being deleted; publish the files again",
            ds.name(),
            c.seq
        ))),
        None => Ok(()),
    }
}

/// The refusal for a version a gc entry collected.
pub fn collected_error(ds: &Dataset, v: &VersionId, seq: u64) -> Error {
    Error::Refused(format!(
        "version {v} of {} was collected by gc (history #{seq}): a collected version is never pointed at or sealed again; publish its files again for a new version",
        ds.name()
    ))
}

/// The gc entry that collected `v`, looking through the whole history: for an id chosen by hand
/// (`publish --version`), which must never seal a collected id again.
pub async fn collected_ever(ds: &Dataset, state: &State, v: &VersionId) -> Result<Option<u64>> {
    if let Some(seq) = state.collected_by(v) {
        return Ok(Some(seq));
    }
    if state.collecting.is_none() {
        // No gc ever ran on this dataset.
        return Ok(None);
    }
    Ok(history(ds, None)
        .await?
        .iter()
        .find(|e| e.deleted().contains(v))
        .map(|e| e.seq))
}
