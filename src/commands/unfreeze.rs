//! `lastgood unfreeze`: resume promotion after a freeze (the work is [`lastgood::ops::freeze`];
//! the outcome renders as freeze's).

use lastgood::Result;
use lastgood::ops::freeze;

use super::prelude::{Done, Env};

/// Resume promotion after a freeze
#[derive(Debug, clap::Args)]
#[command(after_help = "Example:\n  lastgood unfreeze churn_scores --reason \"INC-2041 resolved\"")]
pub struct Args {
    dataset: String,
    /// Why (recorded in history)
    #[arg(long, value_name = "TEXT")]
    reason: Option<String>,
}

pub async fn exec(a: Args, env: &Env) -> Result<Done> {
    let ds = env.dataset(&a.dataset)?;
    let out = freeze::unfreeze(&ds, &env.ctx, a.reason.as_deref()).await?;
    Ok(env.done(&out))
}
