//! `lastgood pin` and `unpin`: protect a sealed version from gc (and show it as pinned).
//!
//! 1. `pin`: the version must be sealed. Unless already pinned, append a `pin` mark naming it;
//!    refused when the newest gc entry collects it (it would protect nothing).
//! 2. `unpin`: unless not pinned (exit 2 on an empty log), append an `unpin` mark.

use crate::context::Context;
use crate::dataset::Dataset;
use crate::error::Result;
use crate::names::VersionId;
use crate::pointer::{self, Action, MarkOutcome, Move, policy};

pub async fn pin(
    ds: &Dataset,
    ctx: &Context,
    v: &VersionId,
    reason: Option<&str>,
) -> Result<MarkOutcome> {
    ds.require(v).await?;
    mark(ds, ctx, Action::Pin, v, reason).await
}

pub async fn unpin(
    ds: &Dataset,
    ctx: &Context,
    v: &VersionId,
    reason: Option<&str>,
) -> Result<MarkOutcome> {
    mark(ds, ctx, Action::Unpin, v, reason).await
}

async fn mark(
    ds: &Dataset,
    ctx: &Context,
    action: Action,
    v: &VersionId,
    reason: Option<&str>,
) -> Result<MarkOutcome> {
    let committed = pointer::commit(ds, &ctx.actor, ctx.now(), |head| {
        if head.state().is_pinned(v) == (action == Action::Pin) {
            return Ok(None);
        }
        // A pin landing after the gc entry that collects the version would protect nothing.
        if action == Action::Pin {
            policy::refuse_collected(ds, &head.state(), v)?;
        }
        Ok(Some(Move {
            subject: Some(v.clone()),
            reason: reason.map(str::to_string),
            ..Move::mark(action)
        }))
    })
    .await;
    let (entry, changed) = match committed {
        // Unpinning on an empty log: nothing was pinned.
        Err(crate::Error::Input(_)) if action == Action::Unpin => {
            return Err(crate::Error::NotFound(format!(
                "version {v} of {} is not pinned",
                ds.name()
            )));
        }
        r => r?,
    };
    let mut out = MarkOutcome::new(ds, action, &entry, changed);
    out.version = Some(v.to_string());
    Ok(out)
}
