//! `lastgood gc`: delete old versions safely, planned first, every deletion recorded (the work is
//! [`lastgood::ops::gc`]).

use std::fmt::Write as _;

use lastgood::Result;
use lastgood::ops::gc::{self, GcOptions, GcOutcome};

use super::prelude::{Done, Env, Outcome};
use crate::render::{bytes, table, when};

/// Delete old versions safely (plan first; every deletion recorded in history)
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  lastgood gc churn_scores --dry-run\n  lastgood gc churn_scores --keep 10 --older-than 30d\n\nNever deleted: the current version, the last-known-good, pinned versions, the last --keep versions the pointer held, anything younger than --grace (a publish in flight), and data files a kept version refers to."
)]
pub struct Args {
    dataset: String,
    /// Keep the last N versions the pointer held
    #[arg(long, value_name = "N", default_value_t = 5)]
    keep: usize,
    /// Only delete versions older than this: 30d, 12h, 2w
    #[arg(long, value_name = "AGE")]
    older_than: Option<String>,
    /// Never touch anything younger than this (a publish in flight)
    #[arg(long, value_name = "AGE", default_value = "1h")]
    grace: String,
    /// Collect reverted versions too (kept by default, as evidence for the incident's analysis)
    #[arg(long)]
    include_reverted: bool,
    /// Print the plan; delete nothing
    #[arg(long)]
    dry_run: bool,
}

pub async fn exec(a: Args, env: &Env) -> Result<Done> {
    let opts = GcOptions {
        keep: a.keep,
        older_than: a.older_than.as_deref().map(gc::parse_age).transpose()?,
        grace: gc::parse_age(&a.grace)?,
        include_reverted: a.include_reverted,
        dry_run: a.dry_run,
    };
    let out = gc::gc(&env.dataset(&a.dataset)?, &env.ctx, &opts).await?;
    Ok(env.done(&out))
}

impl Outcome for GcOutcome {
    fn human(&self, _verbose: bool) -> String {
        render(self)
    }
}

fn render(o: &GcOutcome) -> String {
    let mut out = String::new();
    if o.deleted.is_empty() {
        let _ = writeln!(
            out,
            "gc {}: nothing to delete ({} versions kept)",
            o.dataset,
            o.kept.len()
        );
    } else {
        let rows: Vec<Vec<String>> = o
            .deleted
            .iter()
            .map(|d| {
                vec![
                    d.version.clone(),
                    d.created_at.map(when).unwrap_or_else(|| "-".into()),
                    if d.sealed { "sealed" } else { "unsealed" }.to_string(),
                    d.objects.to_string(),
                    bytes(d.bytes),
                    d.referenced.to_string(),
                ]
            })
            .collect();
        out.push_str(&table(
            &[
                "DELETE",
                "CREATED",
                "WAS",
                "OBJECTS",
                "SIZE",
                "FILES STILL REFERENCED",
            ],
            &rows,
        ));
    }
    let rows: Vec<Vec<String>> = o
        .kept
        .iter()
        .map(|k| vec![k.version.clone(), k.why.join(",")])
        .collect();
    if !rows.is_empty() {
        out.push('\n');
        out.push_str(&table(&["KEEP", "WHY"], &rows));
    }
    let _ = match (o.dry_run, o.seq) {
        (true, _) => writeln!(
            out,
            "\ndry run: would delete {} version(s), {} objects, {}; nothing deleted",
            o.deleted.len(),
            o.objects,
            bytes(o.bytes)
        ),
        (false, Some(seq)) => writeln!(
            out,
            "\ndeleted {} version(s), {} objects, {} (history #{seq})",
            o.deleted.len(),
            o.objects,
            bytes(o.bytes)
        ),
        (false, None) => Ok(()),
    };
    out
}
