//! `lastgood validate`: run the gates on a sealed version without moving anything (the work is
//! [`lastgood::ops::validate`]).
//!
//! 1. The rules: given by flag, a what-if; otherwise the ones publish would apply.
//! 2. Resolve the version and the baseline (refs), and the partitions to judge.
//! 3. Validate, store the report, print the verdict; gates that failed exit 3.

use lastgood::error::Exit;
use lastgood::ops::validate::{ValidateOutcome, validate};
use lastgood::{Result, partition, refs};

use super::prelude::{Done, Env, Outcome, RulesArgs};
use crate::render::{gates_failed, report};

/// Run the gates on a sealed version without moving anything
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  lastgood validate churn_scores latest\n  lastgood validate churn_scores 20261121T020000000Z-1a2b3c4d\n  lastgood validate churn_scores 20261121T020000000Z-1a2b3c4d --against 20261119T020000000Z-9f8e7d6c --json\n\nExit codes: 0 passed, 3 a fail-severity gate failed"
)]
pub struct Args {
    dataset: String,
    /// The version: an id, a unique prefix, current, lkg, previous, latest or @N
    version: String,
    /// The baseline [default: the pointer's current version]
    #[arg(long, value_name = "VERSION")]
    against: Option<String>,
    /// On a partitioned dataset, judge this partition (k=v, repeatable) as publish would
    /// [default: the partitions the version's publish wrote]
    #[arg(long, value_name = "K=V")]
    partition: Vec<String>,
    #[command(flatten)]
    rules: RulesArgs,
    /// Keep the chart points (ECDFs, category shares) in --json [default: only `report --json`]
    #[arg(long)]
    charts: bool,
}

pub async fn exec(a: Args, env: &Env) -> Result<Done> {
    let ds = env.dataset(&a.dataset)?;
    let (rules, partitioning) = if a.rules.given() {
        (
            env.rules(&a.dataset, &a.rules)?,
            env.config.dataset(&a.dataset).partitioning()?,
        )
    } else {
        let (s, r) = env.settled(&ds, &a.rules).await?;
        (r, s.rules.partitioning)
    };
    let against = refs::resolve_opt(&ds, a.against.as_deref()).await?;
    let version = refs::resolve(&ds, &a.version).await?;
    let selectors = a
        .partition
        .iter()
        .map(|s| partition::selector(s))
        .collect::<Result<Vec<_>>>()?;
    let (r, path) = validate(
        &ds,
        &env.ctx,
        &rules,
        &version,
        against.as_ref(),
        partitioning.as_ref(),
        &selectors,
    )
    .await?;
    Ok(env.done(&ValidateOutcome::new(&ds, r, path, a.charts)?))
}

impl Outcome for ValidateOutcome {
    fn human(&self, verbose: bool) -> String {
        report(&self.report, &self.report_url, verbose)
    }

    fn exit(&self) -> Option<(Exit, String)> {
        let r = &self.report;
        (!r.passed).then(|| {
            let msg = gates_failed(&r.dataset, &r.version, &r.gates, "nothing was moved");
            (Exit::GatesFailed, msg)
        })
    }
}
