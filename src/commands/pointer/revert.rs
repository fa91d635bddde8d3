//! `lastgood pointer revert`: move the pointer back to the last-known-good (or `--to`) and mark
//! the current version reverted; or, with `--partition`, revert only those partitions (the work is
//! [`lastgood::ops::revert`]).

use std::fmt::Write as _;

use lastgood::ops::revert::{self, PartitionRevertOutcome};
use lastgood::{Result, partition, refs};

use super::set::moved;
use crate::commands::notify::{Announced, after_move};
use crate::commands::prelude::{Done, Env, Outcome};
use crate::render::or_dash;

/// Move the pointer back to the last-known-good version and mark the current one reverted
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  lastgood pointer revert churn_scores --reason \"scores all 0.5 since 02:00\"\n  lastgood pointer revert churn_scores --to 20261119T020000000Z-9f8e7d6c --reason \"back to Tuesday\"\n  lastgood pointer revert daily_scores --partition date=2026-11-19 --reason \"night 3 scored with a stale model\""
)]
pub struct Args {
    dataset: String,
    /// A given version (any ref) instead of the last-known-good
    #[arg(long, value_name = "VERSION")]
    to: Option<String>,
    /// Why (recorded in history)
    #[arg(long, required = true, value_name = "TEXT")]
    reason: String,
    /// Allow a --to version that was itself reverted or failed its gates
    #[arg(long, conflicts_with = "partition")]
    force: bool,
    /// Revert only this partition: k=v, or k=v/k2=v2 with several keys (repeatable)
    #[arg(long, value_name = "K=V")]
    partition: Vec<String>,
}

pub async fn exec(a: Args, env: &Env) -> Result<Done> {
    let ds = env.dataset(&a.dataset)?;
    let to = refs::resolve_opt(&ds, a.to.as_deref()).await?;
    let local = env.config.dataset(&a.dataset).notify;
    if !a.partition.is_empty() {
        let selectors = a
            .partition
            .iter()
            .map(|p| partition::selector(p))
            .collect::<Result<Vec<_>>>()?;
        let out =
            revert::revert_partitions(&ds, &env.ctx, &selectors, to.as_ref(), &a.reason).await?;
        let notifications = after_move(&ds, local.as_ref(), out.moved.seq, out.moved.moved).await;
        return Ok(env.done(&Announced {
            outcome: &out,
            notifications,
        }));
    }
    let out = revert::revert(&ds, &env.ctx, to.as_ref(), &a.reason, a.force).await?;
    let notifications = after_move(&ds, local.as_ref(), out.seq, out.moved).await;
    Ok(env.done(&Announced {
        outcome: &out,
        notifications,
    }))
}

impl Outcome for PartitionRevertOutcome {
    fn human(&self, _verbose: bool) -> String {
        render(self)
    }
}

fn render(o: &PartitionRevertOutcome) -> String {
    let mut out = moved(&o.moved);
    for p in &o.partitions {
        let _ = writeln!(
            out,
            "  {}: now from {} ({} rows){}",
            p.partition,
            p.from,
            p.rows,
            p.replaced
                .as_ref()
                .map(|r| format!(", replacing the files of {r}"))
                .unwrap_or_default()
        );
    }
    if o.created {
        let _ = writeln!(out, "  sealed {} for it", or_dash(o.moved.to.as_deref()));
    }
    out
}
