//! `lastgood publish`: seal Parquet files as a new version, judge it, promote it (the work is
//! [`lastgood::ops::publish`]).
//!
//! 1. Settle the rules: the writer's own (flags, lastgood.toml, conventional files) against the
//!    ones recorded on the store.
//! 2. Publish; warn on stderr about what an idempotent re-run could not record.
//! 3. Print the verdict; gates that failed exit 3, a frozen dataset exits 4, after printing.

use std::fmt::Write as _;

use lastgood::error::Exit;
use lastgood::gates::GateResult;
use lastgood::names::parse_pair;
use lastgood::ops::publish::{PublishOptions, PublishOutcome, publish};
use lastgood::{Result, VersionId};

use super::notify::{Announced, PublishNotes};
use super::prelude::{Done, Env, Outcome, RulesArgs};
use crate::render::{bytes, gates_failed, verdict_block};

/// Seal Parquet files as a new immutable version, then promote it
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  lastgood publish churn_scores out/2026-11-21/ --meta model=churn-v1.14 --message nightly\n  lastgood publish daily_scores out/part-0.parquet --partition date=2026-11-21\n\nExit codes: 0 promoted (or an idempotent re-run), 2 bad input, 3 gates failed (sealed, not promoted), 4 refused, 5 the pointer moved meanwhile (run again)"
)]
pub struct Args {
    dataset: String,
    /// Parquet files or folders (Spark/Hive style), local paths or URLs
    #[arg(required = true, value_name = "SOURCE")]
    sources: Vec<String>,
    /// The version id [default: UTC time + content hash]
    #[arg(long, value_name = "ID")]
    version: Option<String>,
    /// Place the files under a Hive partition folder, k=v (repeatable). On a dataset declared
    /// partitioned (partition_by in lastgood.toml), this partition is added or replaced and the
    /// others are carried forward from the current version
    #[arg(long, value_name = "K=V")]
    partition: Vec<String>,
    /// On a partitioned dataset: replace every partition (carry nothing forward)
    #[arg(long)]
    full: bool,
    /// Producer metadata recorded in the manifest, k=v (repeatable): model=churn-v1.14
    #[arg(long, value_name = "K=V")]
    meta: Vec<String>,
    /// A message recorded in the manifest
    #[arg(long, short, value_name = "TEXT")]
    message: Option<String>,
    /// Seal only; leave the pointer where it is
    #[arg(long)]
    no_promote: bool,
    /// Promote even a version whose gates failed or that was reverted before (needs --reason;
    /// recorded as forced)
    #[arg(long, requires = "reason")]
    force: bool,
    /// Why (recorded in history)
    #[arg(long, value_name = "TEXT")]
    reason: Option<String>,
    #[command(flatten)]
    rules: RulesArgs,
    /// Keep the chart points (ECDFs, category shares) in --json [default: only `report --json`]
    #[arg(long)]
    charts: bool,
}

pub async fn exec(a: Args, env: &Env) -> Result<Done> {
    let ds = env.dataset(&a.dataset)?;
    let (settled, rules) = env.settled(&ds, &a.rules).await?;
    let opts = PublishOptions {
        sources: a.sources,
        version: a.version.map(VersionId::new).transpose()?,
        partition: a
            .partition
            .iter()
            .map(|p| parse_pair(p))
            .collect::<Result<_>>()?,
        meta: a
            .meta
            .iter()
            .map(|p| parse_pair(p))
            .collect::<Result<_>>()?,
        message: a.message,
        no_promote: a.no_promote,
        force: a.force,
        reason: a.reason,
        rules,
        partitioning: settled.rules.partitioning.clone(),
        full: a.full,
        success_marker: settled.rules.success_marker.clone(),
        record_rules: settled.record.then(|| settled.rules.clone()),
    };
    // OpenLineage START before anything is sealed; a notification never fails the publish.
    let notes = PublishNotes::start(
        &ds,
        settled.rules.notify.clone(),
        &opts.sources,
        env.ctx.now(),
    )
    .await;
    let mut out = match publish(&ds, &env.ctx, opts).await {
        Ok(out) => out,
        Err(e) => {
            notes.failed(&ds, &e, env.ctx.now()).await;
            return Err(e);
        }
    };
    let notifications = notes.finished(&ds, &out, env.ctx.now()).await;
    for why in &out.ignored {
        eprintln!("lastgood: warning: {why}");
    }
    if !a.charts {
        out.gates = out
            .gates
            .into_iter()
            .map(GateResult::without_charts)
            .collect();
    }
    Ok(env.done(&Announced {
        outcome: &out,
        notifications,
    }))
}

impl Outcome for PublishOutcome {
    fn human(&self, verbose: bool) -> String {
        let o = self;
        let mut s = String::new();
        if o.report.is_some() {
            verdict_block(
                &mut s,
                o.passed,
                &format!("{}/{}", o.dataset, o.version),
                o.baseline.as_deref(),
                &o.gates,
                verbose,
            );
            if let Some(why) = o.scope.as_ref().map(|s| s.why.as_str()) {
                let _ = writeln!(s, "compared: {why}");
            }
        }
        let _ = writeln!(
            s,
            "{} {}/{}: {} files, {} rows, {}{}",
            if o.created {
                "sealed"
            } else {
                "already sealed"
            },
            o.dataset,
            o.version,
            o.files,
            o.rows,
            bytes(o.bytes),
            o.parent
                .as_ref()
                .map(|p| format!(" (parent {p})"))
                .unwrap_or_default()
        );
        let baseline = o.baseline.as_deref().unwrap_or("nothing");
        if o.promoted {
            let _ = writeln!(
                s,
                "{}: consumers of {} now read {} (history #{})",
                if o.passed {
                    "promoted"
                } else {
                    "FORCED live despite failed gates"
                },
                o.dataset,
                o.version,
                o.seq.unwrap_or(0)
            );
        } else if let Some(why) = &o.frozen {
            let _ = writeln!(s, "not promoted: {why}; consumers still read {baseline}");
        } else if !o.passed {
            let _ = writeln!(
                s,
                "not promoted: a gate failed; consumers still read {baseline}"
            );
        } else {
            let _ = writeln!(
                s,
                "not promoted (--no-promote): consumers still read {baseline}"
            );
        }
        if let Some(r) = o.report_url.as_ref().or(o.report.as_ref()) {
            let _ = writeln!(s, "report: {r}");
        }
        s
    }

    /// A frozen dataset: 4 (sealed and judged, not promoted); gates failed: 3.
    fn exit(&self) -> Option<(Exit, String)> {
        if let Some(why) = &self.frozen {
            let msg = format!("{}/{} not promoted: {why}", self.dataset, self.version);
            return Some((Exit::Refused, msg));
        }
        if !self.passed && !self.promoted {
            let pointer = match &self.baseline {
                Some(b) => format!("the pointer stays at {b}"),
                None => "the pointer did not move".to_string(),
            };
            let msg = gates_failed(&self.dataset, &self.version, &self.gates, &pointer);
            return Some((Exit::GatesFailed, msg));
        }
        None
    }
}
