//! `lastgood freeze`: stop promotion; publishes still seal and gate, but exit 4 (the work is
//! [`lastgood::ops::freeze`]).

use lastgood::Result;
use lastgood::ops::freeze::{self, MarkOutcome};

use super::prelude::{Done, Env, Outcome};
use crate::render::or_dash;

/// Stop promotion: publishes still seal and gate, but exit 4 instead of promoting
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example:\n  lastgood freeze churn_scores --reason \"investigating INC-2041\"\n\nReverts still work while frozen. Exit codes: 0 frozen (or already frozen)"
)]
pub struct Args {
    dataset: String,
    /// Why (recorded in history, shown to every refused publish)
    #[arg(long, required = true, value_name = "TEXT")]
    reason: String,
}

pub async fn exec(a: Args, env: &Env) -> Result<Done> {
    let out = freeze::freeze(&env.dataset(&a.dataset)?, &env.ctx, &a.reason).await?;
    Ok(env.done(&out))
}

/// A mark set or cleared (freeze, unfreeze, pin, unpin), or already so.
impl Outcome for MarkOutcome {
    fn human(&self, _verbose: bool) -> String {
        render(self)
    }
}

fn render(o: &MarkOutcome) -> String {
    let what = match o.action.as_str() {
        "freeze" => format!(
            "{} is frozen: publishes seal and gate but do not promote",
            o.dataset
        ),
        "unfreeze" => format!("{} is not frozen: publishes promote again", o.dataset),
        "pin" => format!(
            "{} of {} is pinned: gc keeps it",
            or_dash(o.version.as_deref()),
            o.dataset
        ),
        _ => format!(
            "{} of {} is not pinned",
            or_dash(o.version.as_deref()),
            o.dataset
        ),
    };
    if o.changed {
        format!("{what} (history #{})\n", o.seq)
    } else {
        format!("{what} (already so; nothing written)\n")
    }
}
