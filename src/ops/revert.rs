//! `lastgood pointer revert`: move the pointer back to the last-known-good version.
//!
//! 1. Read the head. Its current version is the one being reverted; nothing current, nothing to do.
//! 2. The target is `--to`, or the state's last-known-good: the most recent version the pointer held
//!    before, not itself reverted. None left: refuse.
//! 3. Append a `revert` entry; the state marks the version left behind as reverted, so it is not
//!    promoted again by accident.
//! 4. If another writer takes the position, retry only while the same version is still current;
//!    otherwise the revert would hit a version nobody judged: exit 5.

use crate::context::Context;
use crate::dataset::Dataset;
use crate::error::{Error, Result};
use crate::names::VersionId;
use crate::ops::set::{MoveOutcome, require_reason};
use crate::pointer::{self, Action, Move};

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
        to_failed_gates = crate::ops::set::gates_failed(ds, to, force).await?;
    }
    let first = pointer::read_head(ds).await?;
    let bad = first.version().cloned().ok_or_else(|| {
        Error::Refused(format!(
            "nothing to revert: the pointer of {} has never moved",
            ds.name()
        ))
    })?;
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
            None => state.last_known_good().cloned().ok_or_else(|| {
                Error::Refused(format!(
                    "nothing to revert to: {bad} is the only version of {} not reverted that the pointer has held",
                    ds.name()
                ))
            })?,
        };
        if target == bad {
            // `revert --to T` when T is already current: done (a re-run after an interruption).
            return Ok(None);
        }
        let reverted = state.is_reverted(&target);
        if reverted && !force {
            return Err(Error::Refused(format!("version {target} of {} was reverted too; pass --force to use it", ds.name())));
        }
        Ok(Some(Move {
            reason: Some(reason.to_string()),
            forced: reverted || to_failed_gates,
            ..Move::to(Action::Revert, target)
        }))
    })
    .await?;
    Ok(MoveOutcome::new(ds, &entry, moved))
}
