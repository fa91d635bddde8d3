//! `lastgood doctor`: verify every sealed version, the log and the pointer file; `--repair` fixes
//! a stale pointer file (the work is [`lastgood::ops::doctor`]).

use std::fmt::Write as _;

use lastgood::Result;
use lastgood::error::Exit;
use lastgood::ops::doctor::{self, DoctorReport};

use super::prelude::{Done, Env, Outcome};

/// Verify every sealed version, the log and the pointer file; --repair fixes a stale pointer file
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  lastgood doctor churn_scores\n  lastgood doctor churn_scores --repair\n\nExit codes: 0 healthy (or repaired), 2 problems found"
)]
pub struct Args {
    dataset: String,
    /// Rewrite a missing or stale pointer file, and write missing Delta commits, from the log (never deletes anything)
    #[arg(long)]
    repair: bool,
}

pub async fn exec(a: Args, env: &Env) -> Result<Done> {
    let report = doctor::doctor(&env.dataset(&a.dataset)?, a.repair).await?;
    Ok(env.done(&report))
}

impl Outcome for DoctorReport {
    fn human(&self, _verbose: bool) -> String {
        render(self)
    }

    /// Problems found: exit 2, as a store object that does not verify.
    fn exit(&self) -> Option<(Exit, String)> {
        let msg = format!("{} problem(s) in {}", self.problems.len(), self.dataset);
        (!self.ok).then_some((Exit::Usage, msg))
    }
}

fn render(r: &DoctorReport) -> String {
    let mut s = format!(
        "{}: {}: {} log entries, {} sealed versions, {} files ({} bytes) verified\n",
        r.dataset,
        if r.ok { "healthy" } else { "PROBLEMS" },
        r.log_entries,
        r.versions_sealed,
        r.files_verified,
        r.bytes_verified
    );
    if !r.versions_unsealed.is_empty() {
        let _ = writeln!(
            s,
            "unsealed (in flight or interrupted, never readable): {}",
            r.versions_unsealed.join(", ")
        );
    }
    for p in &r.problems {
        let _ = writeln!(s, "problem: {} {}: {}", p.kind, p.subject, p.message);
    }
    for x in &r.repaired {
        let _ = writeln!(s, "repaired: {x}");
    }
    s
}
