//! `lastgood pointer set`: move the pointer to a chosen sealed version.
//!
//! 1. `--reason` is required; the version must be sealed (its manifest is read and its checksum
//!    recorded in the entry).
//! 2. A version whose newest gate report failed needs `--force` ([`policy::gates_failed`]).
//! 3. Decided on each head read ([`policy::admit`]): refused while frozen; a reverted version is
//!    refused unless `--force`, and forcing clears its mark (this is how a revert is undone).
//! 4. The move is appended to the log; a lost position is retried, since "point at V" still holds
//!    on any head. A pointer already at V writes nothing: `moved: false`, action `set`.

use crate::context::Context;
use crate::dataset::Dataset;
use crate::error::Result;
use crate::names::VersionId;
use crate::pointer::policy;
use crate::pointer::{self, Action, Move};

pub use crate::pointer::outcome::MoveOutcome;

pub async fn set(
    ds: &Dataset,
    ctx: &Context,
    to: &VersionId,
    reason: &str,
    force: bool,
) -> Result<MoveOutcome> {
    policy::require_reason(reason)?;
    ds.require(to).await?;
    let gates_failed = policy::gates_failed(ds, to, force).await?;
    let (entry, moved) = pointer::commit(ds, &ctx.actor, ctx.now(), |head| {
        if head.version() == Some(to) {
            return Ok(None);
        }
        let reverted = policy::admit(ds, &head.state(), Action::Set, to, force)?;
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
