//! `lastgood demo-data`: a week of sample prediction outputs to try lastgood on.
//!
//! 1. For each night of [`NIGHTS`], write `rows` rows in two Parquet files under `DIR/<night>`,
//!    seeded by its position so every run writes the same files.
//! 2. Report each folder and what publishing it shows.

use std::path::PathBuf;

use lastgood::Result;
use lastgood::synth::{Variant, write_dir};
use serde::Serialize;

use super::prelude::{Done, Env, Outcome};

/// Write sample prediction outputs to try lastgood on: good nights, a drifted one, a null-ridden one
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example:\n  lastgood demo-data demo/ && lastgood publish churn_scores demo/mon\n\nWrites demo/mon, demo/tue (good nights), demo/wed-drift (scores shifted up: the ks gate fails) and demo/thu-nulls (spend_30d 30% null: the null_rate gate fails), each two Parquet files."
)]
pub struct Args {
    dir: PathBuf,
    /// Rows per night
    #[arg(long, default_value_t = 50_000)]
    rows: usize,
}

/// The nights: folder, what the data is, and what publishing it after the good nights shows.
const NIGHTS: [(&str, Variant, &str); 4] = [
    ("mon", Variant::Good, "a good night"),
    ("tue", Variant::Good, "another good night"),
    (
        "wed-drift",
        Variant::Shift,
        "scores 0.10 higher: the ks gate fails",
    ),
    (
        "thu-nulls",
        Variant::Nulls,
        "spend_30d 30% null: the null_rate gate fails",
    ),
];

/// One folder written.
#[derive(Debug, Serialize)]
pub struct Night {
    path: String,
    rows: usize,
    what: &'static str,
}

pub fn exec(a: Args, env: &Env) -> Result<Done> {
    let mut written = Vec::new();
    for (i, (name, variant, what)) in NIGHTS.into_iter().enumerate() {
        let d = a.dir.join(name);
        write_dir(&d, a.rows, 2, i as u64 + 1, variant)?;
        written.push(Night {
            path: d.display().to_string(),
            rows: a.rows,
            what,
        });
    }
    Ok(env.done(&written))
}

impl Outcome for Vec<Night> {
    fn human(&self, _verbose: bool) -> String {
        self.iter()
            .map(|n| format!("wrote {:<24} {}\n", n.path, n.what))
            .collect()
    }
}
