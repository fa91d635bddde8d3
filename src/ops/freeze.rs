//! `lastgood freeze` and `unfreeze`: stop (and resume) promotion of a dataset.
//!
//! A frozen dataset still seals and gates every publish, so the nightly job keeps its evidence,
//! but nothing is promoted: `publish` exits 4 after the gates, `pointer set` is refused
//! ([`crate::pointer::policy`], rule 2). Reverts still work, since freezing is what an operator
//! does while a bad night is investigated. Both are entries in the pointer log (who, when, why),
//! and the state carries the freeze.
//!
//! 1. `freeze`: `--reason` required; the dataset must exist. Unless already frozen, append a
//!    `freeze` mark (a lost position is retried: the decision holds on any head).
//! 2. `unfreeze`: unless not frozen (exit 2 on an empty log), append an `unfreeze` mark.

use crate::context::Context;
use crate::dataset::Dataset;
use crate::error::{Error, Result};
use crate::pointer::policy::require_reason;
use crate::pointer::{self, Action, Move};

pub use crate::pointer::outcome::MarkOutcome;

pub async fn freeze(ds: &Dataset, ctx: &Context, reason: &str) -> Result<MarkOutcome> {
    require_reason(reason)?;
    pointer::read_existing_head(ds).await?;
    let (entry, changed) = pointer::commit(ds, &ctx.actor, ctx.now(), |head| {
        if head.state().frozen.is_some() {
            return Ok(None);
        }
        Ok(Some(Move {
            reason: Some(reason.to_string()),
            ..Move::mark(Action::Freeze)
        }))
    })
    .await?;
    Ok(MarkOutcome::new(ds, Action::Freeze, &entry, changed))
}

pub async fn unfreeze(ds: &Dataset, ctx: &Context, reason: Option<&str>) -> Result<MarkOutcome> {
    let head = pointer::read_head(ds).await?;
    if head.state().frozen.is_none() {
        let entry = head.entry.ok_or_else(|| not_frozen(ds))?;
        return Ok(MarkOutcome::new(ds, Action::Unfreeze, &entry, false));
    }
    let (entry, changed) = pointer::commit(ds, &ctx.actor, ctx.now(), |head| {
        if head.state().frozen.is_none() {
            return Ok(None);
        }
        Ok(Some(Move {
            reason: reason.map(str::to_string),
            ..Move::mark(Action::Unfreeze)
        }))
    })
    .await?;
    Ok(MarkOutcome::new(ds, Action::Unfreeze, &entry, changed))
}

fn not_frozen(ds: &Dataset) -> Error {
    Error::NotFound(format!(
        "dataset {} has no history at {}: nothing to unfreeze",
        ds.name(),
        ds.store.display()
    ))
}
