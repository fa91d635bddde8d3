//! `lastgood versions`: a dataset's versions, oldest first, with where each is in its life (the
//! work is [`lastgood::ops::versions`]).

use std::fmt::Write as _;

use lastgood::Result;
use lastgood::ops::versions::{self, Filter, VersionRow};

use super::prelude::{Done, Env, Outcome};
use crate::render::{table, when};

/// List the versions of a dataset, oldest first, with where each is in its life
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  lastgood versions churn_scores\n  lastgood versions churn_scores --status rejected --meta night=wed --limit 5\n\nStatuses: current, last-known-good, known-good (held before), reverted, pinned, rejected (gates failed, never promoted), forced (gates failed, promoted anyway), collected (deleted by gc), in-flight (no manifest yet)."
)]
pub struct Args {
    dataset: String,
    /// Only versions with this status (repeatable: all of them)
    #[arg(long, value_name = "STATUS")]
    status: Vec<String>,
    /// Only versions with this producer metadata, k=v (repeatable: all of them)
    #[arg(long, value_name = "K=V")]
    meta: Vec<String>,
    /// Only the newest N (after the filters)
    #[arg(long, value_name = "N")]
    limit: Option<usize>,
}

pub async fn exec(a: Args, env: &Env) -> Result<Done> {
    let filter = Filter::new(&a.status, &a.meta, a.limit)?;
    let rows = versions::filter(versions::list(&env.dataset(&a.dataset)?).await?, &filter);
    Ok(env.done(&rows))
}

impl Outcome for Vec<VersionRow> {
    fn human(&self, _verbose: bool) -> String {
        render(self)
    }
}

fn render(rows: &[VersionRow]) -> String {
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.version.clone(),
                r.created_at.map(when).unwrap_or_else(|| "-".into()),
                r.rows.map(|n| n.to_string()).unwrap_or_default(),
                r.files.map(|n| n.to_string()).unwrap_or_default(),
                partitions_cell(r),
                status_cell(&r.status, &r.failed_gates),
                r.meta
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(" "),
            ]
        })
        .collect();
    table(
        &[
            "VERSION",
            "CREATED",
            "ROWS",
            "FILES",
            "PARTITIONS",
            "STATUS",
            "META",
        ],
        &rows,
    )
}

/// `rejected (ks(score))`: the statuses, and the gates that blocked a rejected or forced version.
fn status_cell(status: &[String], failed: &[String]) -> String {
    if status.is_empty() {
        return "-".into();
    }
    let mut s = status.join(",");
    if !failed.is_empty() {
        let _ = write!(s, " ({})", failed.join(", "));
    }
    s
}

/// `7 (+date=2026-11-21)`: how many partitions, and those whose files this version wrote.
fn partitions_cell(r: &VersionRow) -> String {
    if r.partitions.is_empty() {
        return "-".into();
    }
    let own: Vec<String> = r
        .partitions
        .iter()
        .filter(|p| p.version.as_deref() == Some(r.version.as_str()))
        .map(|p| {
            p.values
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("/")
        })
        .collect();
    match own.len() {
        0 => r.partitions.len().to_string(),
        n if n == r.partitions.len() => format!("{n} (all new)"),
        _ => format!("{} (+{})", r.partitions.len(), own.join(" +")),
    }
}
