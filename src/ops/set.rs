//! `lastgood pointer set`: move the pointer to a chosen sealed version.
//!
//! 1. The version must be sealed (its manifest is read and its checksum recorded in the entry).
//! 2. A reverted version is refused unless `--force`; forcing clears its mark (this is how a revert
//!    is undone).
//! 3. The move is appended to the log; a lost position is retried, since "point at V" still holds
//!    on any head. A pointer already at V writes nothing: `moved: false`, action `set`.

use serde::{Deserialize, Serialize};

use crate::context::Context;
use crate::dataset::Dataset;
use crate::error::{Error, Result};
use crate::names::VersionId;
use crate::pointer::{self, Action, LogEntry, Move};

/// What a pointer move did; the shape of `--json` for `pointer set` and `pointer revert`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MoveOutcome {
    pub dataset: String,
    pub action: String,
    pub from: Option<String>,
    pub to: Option<String>,
    /// False when the pointer already was there (nothing written).
    pub moved: bool,
    pub seq: u64,
    pub forced: bool,
}

impl MoveOutcome {
    /// The pointer already was where `action` wanted it: nothing written. The action is the one
    /// asked for (not the head entry's), `from` and `to` are both the current version, `seq` the
    /// head's.
    pub fn unmoved(ds: &Dataset, action: Action, head: &LogEntry) -> Self {
        let at = head.state.version.as_ref().map(|v| v.to_string());
        MoveOutcome {
            dataset: ds.name().to_string(),
            action: action.as_str().to_string(),
            from: at.clone(),
            to: at,
            moved: false,
            seq: head.seq,
            forced: false,
        }
    }

    pub fn new(ds: &Dataset, e: &LogEntry, moved: bool) -> Self {
        MoveOutcome {
            dataset: ds.name().to_string(),
            action: e.action.as_str().to_string(),
            from: e.from.as_ref().map(|v| v.to_string()),
            to: e.to.as_ref().map(|v| v.to_string()),
            moved,
            seq: e.seq,
            forced: e.forced,
        }
    }
}

pub async fn set(
    ds: &Dataset,
    ctx: &Context,
    to: &VersionId,
    reason: &str,
    force: bool,
) -> Result<MoveOutcome> {
    require_reason(reason)?;
    ds.require(to).await?;
    let gates_failed = gates_failed(ds, to, force).await?;
    let (entry, moved) = pointer::commit(ds, &ctx.actor, ctx.now(), |head| {
        if head.version() == Some(to) {
            return Ok(None);
        }
        if let Some(why) = crate::ops::freeze::frozen_refusal(ds, &head.state()) {
            return Err(Error::Refused(why));
        }
        let reverted = head.state().is_reverted(to);
        if reverted && !force {
            return Err(Error::Refused(format!(
                "version {to} of {} was reverted; pass --force to point at it again",
                ds.name()
            )));
        }
        Ok(Some(Move {
            reason: Some(reason.to_string()),
            forced: reverted || gates_failed,
            ..Move::to(Action::Set, to.clone())
        }))
    })
    .await?;
    if !moved {
        return Ok(MoveOutcome::unmoved(ds, Action::Set, &entry));
    }
    Ok(MoveOutcome::new(ds, &entry, moved))
}

/// Whether the newest gate report on `v` failed; refused unless `force`.
pub(crate) async fn gates_failed(ds: &Dataset, v: &VersionId, force: bool) -> Result<bool> {
    match crate::gates::latest_report(ds, v).await? {
        Some(r) if !r.passed => {
            if !force {
                let failed: Vec<String> = r
                    .failed()
                    .iter()
                    .map(|g| crate::gates::report_label(g))
                    .collect();
                return Err(Error::Refused(format!(
                    "version {v} of {} failed its gates ({}); pass --force with --reason to point at it anyway",
                    ds.name(),
                    failed.join(", ")
                )));
            }
            Ok(true)
        }
        _ => Ok(false),
    }
}

pub(crate) fn require_reason(reason: &str) -> Result<()> {
    if reason.trim().is_empty() {
        return Err(Error::input(
            "--reason is required and must not be empty: say why the pointer moves",
        ));
    }
    Ok(())
}
