//! `lastgood pointer set`: move the pointer to a sealed version (the work is
//! [`lastgood::ops::set`]).

use lastgood::ops::set::{self, MoveOutcome};
use lastgood::{Result, refs};

use crate::commands::notify::{Announced, after_move};
use crate::commands::prelude::{Done, Env, Outcome};
use crate::render::or_dash;

/// Move the pointer to a sealed version
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example:\n  lastgood pointer set churn_scores 20261119T020000000Z-9f8e7d6c --reason \"serve Tuesday's scores while INC-2041 is open\""
)]
pub struct Args {
    dataset: String,
    /// The version: an id, a unique prefix, current, lkg, previous, latest or @N (already
    /// there: nothing written, "moved": false)
    version: String,
    /// Why (recorded in history)
    #[arg(long, required = true, value_name = "TEXT")]
    reason: String,
    /// Point at a version that was reverted or whose gates failed (recorded as forced)
    #[arg(long)]
    force: bool,
}

pub async fn exec(a: Args, env: &Env) -> Result<Done> {
    let ds = env.dataset(&a.dataset)?;
    let version = refs::resolve(&ds, &a.version).await?;
    let out = set::set(&ds, &env.ctx, &version, &a.reason, a.force).await?;
    let local = env.config.dataset(&a.dataset).notify;
    let notifications = after_move(&ds, local.as_ref(), out.seq, out.moved).await;
    Ok(env.done(&Announced {
        outcome: &out,
        notifications,
    }))
}

/// A move of the pointer (set and revert): from where to where, or that it already was there.
impl Outcome for MoveOutcome {
    fn human(&self, _verbose: bool) -> String {
        moved(self)
    }
}

pub fn moved(o: &MoveOutcome) -> String {
    if !o.moved {
        return format!(
            "{}: the pointer of {} already is at {}; nothing moved (history #{})\n",
            o.action,
            o.dataset,
            or_dash(o.to.as_deref()),
            o.seq
        );
    }
    format!(
        "{}: the pointer of {} moved {} -> {} (history #{}){}\n",
        o.action,
        o.dataset,
        or_dash(o.from.as_deref()),
        or_dash(o.to.as_deref()),
        o.seq,
        if o.forced { " [forced]" } else { "" }
    )
}
