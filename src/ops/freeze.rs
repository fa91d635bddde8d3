//! `lastgood freeze` and `unfreeze`: stop (and resume) promotion of a dataset.
//!
//! A frozen dataset still seals and gates every publish, so the nightly job keeps its evidence,
//! but nothing is promoted: `publish` exits 4 after the gates, `pointer set` is refused. Reverts
//! still work, since freezing is what an operator does while a bad night is investigated. Both are
//! entries in the pointer log (who, when, why), and the state carries the freeze.

use serde::{Deserialize, Serialize};

use crate::context::Context;
use crate::dataset::Dataset;
use crate::error::{Error, Result};
use crate::ops::set::require_reason;
use crate::pointer::{self, Action, LogEntry, Move, State};

/// What a mark (freeze, unfreeze, pin, unpin) did; the shape of their `--json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MarkOutcome {
    pub dataset: String,
    pub action: String,
    /// False when the state already was so (nothing written).
    pub changed: bool,
    pub seq: u64,
    /// The version the pointer is at (unchanged).
    pub current: Option<String>,
    /// The version a pin or unpin names.
    pub version: Option<String>,
    pub state: State,
}

impl MarkOutcome {
    pub fn new(ds: &Dataset, action: Action, e: &LogEntry, changed: bool) -> Self {
        MarkOutcome {
            dataset: ds.name().to_string(),
            action: action.as_str().to_string(),
            changed,
            seq: e.seq,
            current: e.state.version.as_ref().map(|v| v.to_string()),
            version: e.subject.as_ref().map(|v| v.to_string()),
            state: e.state.clone(),
        }
    }
}

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

/// The refusal for a promotion while frozen.
pub fn frozen_refusal(ds: &Dataset, state: &State) -> Option<String> {
    state.frozen.as_ref().map(|f| {
        format!(
            "dataset {} is frozen since {} by {} ({}); `lastgood unfreeze {}` first",
            ds.name(),
            f.at.format("%Y-%m-%d %H:%M UTC"),
            f.actor,
            f.reason,
            ds.name()
        )
    })
}
