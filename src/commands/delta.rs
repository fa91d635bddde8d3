//! `lastgood delta build`: the Delta Lake projection of an existing dataset, built or caught up
//! from its log (the work is [`lastgood::ops::delta`]).

use lastgood::Result;
use lastgood::ops::delta::{self, BuildOutcome};

use super::prelude::{Done, Env, Outcome};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    Build(BuildArgs),
}

impl Command {
    pub async fn exec(self, env: &Env) -> Result<Done> {
        match self {
            Command::Build(a) => build(a, env).await,
        }
    }
}

/// Build the Delta projection of an existing dataset from its log (or catch it up): turns it on
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example:\n  lastgood delta build churn_scores\n\nWrites _delta_log/ at the dataset's root: Delta version N is log entry N. New datasets get it with their first publish (unless `delta = false` in lastgood.toml).\n\nExit codes: 0 built (or already complete), 2 a version has a type Delta cannot represent (nothing written)"
)]
pub struct BuildArgs {
    dataset: String,
}

async fn build(a: BuildArgs, env: &Env) -> Result<Done> {
    let out = delta::build(&env.dataset(&a.dataset)?, &env.ctx).await?;
    Ok(env.done(&out))
}

impl Outcome for BuildOutcome {
    fn human(&self, _verbose: bool) -> String {
        render(self)
    }
}

fn render(o: &BuildOutcome) -> String {
    format!(
        "{}: Delta table {} at version {}{} ({} commit(s), {} checkpoint(s) written)\n",
        o.dataset,
        o.table,
        o.delta_version,
        if o.turned_on {
            ", projection turned on"
        } else {
            ""
        },
        o.commits_written,
        o.checkpoints_written
    )
}
