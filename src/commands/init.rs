//! `lastgood init`: a commented starter project for one dataset (the work is
//! [`lastgood::ops::init`]).

use std::fmt::Write as _;
use std::path::PathBuf;

use lastgood::Result;
use lastgood::ops::init::{InitOptions, InitOutcome, init};

use super::prelude::{Done, Env, Outcome};

/// Start a project: a commented lastgood.toml, validations/DATASET.toml and (from --sample) the contract
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  lastgood init churn_scores\n  lastgood init churn_scores --sample out/2026-11-21/ --root s3://ml-lake/predictions\n  lastgood init daily_scores --partition-by date\n\nNever overwrites a file: existing ones are kept and listed."
)]
pub struct Args {
    dataset: String,
    /// Draft the contract from these Parquet files or folders
    #[arg(long, value_name = "PATH")]
    sample: Vec<String>,
    /// Partition keys of a dataset published a partition at a time (repeatable)
    #[arg(long, value_name = "KEY")]
    partition_by: Vec<String>,
    /// The folder of the project
    #[arg(long, value_name = "DIR", default_value = ".")]
    dir: PathBuf,
    /// No Delta Lake projection for this dataset (writes `delta = false`); otherwise a sample
    /// with a type Delta cannot represent is refused
    #[arg(long)]
    no_delta: bool,
}

pub async fn exec(a: Args, env: &Env) -> Result<Done> {
    let out = init(&InitOptions {
        dataset: a.dataset,
        dir: a.dir,
        root: env.root.clone().unwrap_or_else(|| "lake".into()),
        sample: a.sample,
        partition_by: a.partition_by,
        no_delta: a.no_delta,
    })
    .await?;
    Ok(env.done(&out))
}

impl Outcome for InitOutcome {
    fn human(&self, _verbose: bool) -> String {
        let mut out = String::new();
        for w in &self.written {
            let _ = writeln!(out, "wrote {w}");
        }
        for k in &self.kept {
            let _ = writeln!(out, "kept  {k} (exists; not touched)");
        }
        if !self.next.is_empty() {
            out.push_str("\nnext:\n");
            for n in &self.next {
                let _ = writeln!(out, "  {n}");
            }
        }
        out
    }
}
