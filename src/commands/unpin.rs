//! `lastgood unpin`: remove a pin (the work is [`lastgood::ops::pin`]; the outcome renders as
//! freeze's).

use lastgood::ops::pin;
use lastgood::{Result, refs};

use super::prelude::{Done, Env};

/// Remove a pin
#[derive(Debug, clap::Args)]
#[command(after_help = "Example:\n  lastgood unpin churn_scores 20261119T020000000Z-9f8e7d6c")]
pub struct Args {
    dataset: String,
    version: String,
    /// Why (recorded in history)
    #[arg(long, value_name = "TEXT")]
    reason: Option<String>,
}

pub async fn exec(a: Args, env: &Env) -> Result<Done> {
    let ds = env.dataset(&a.dataset)?;
    let v = refs::resolve(&ds, &a.version).await?;
    let out = pin::unpin(&ds, &env.ctx, &v, a.reason.as_deref()).await?;
    Ok(env.done(&out))
}
