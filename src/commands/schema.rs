//! `lastgood schema infer`: a draft contract from sample files (the work is
//! [`lastgood::ops::init::infer`]). The contract is JSON with or without `--json`.

use lastgood::ops::init;
use lastgood::{DatasetName, Result};

use super::prelude::Done;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    Infer(InferArgs),
}

impl Command {
    pub async fn exec(self) -> Result<Done> {
        match self {
            Command::Infer(a) => infer(a).await,
        }
    }
}

/// Draft a contract (schemas/DATASET.contract.json) from sample Parquet files
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example:\n  lastgood schema infer out/2026-11-21/ --dataset churn_scores > schemas/churn_scores.contract.json\n\nColumns without nulls in the samples are drafted nullable: false; edit before use."
)]
pub struct InferArgs {
    /// Parquet files or folders
    #[arg(required = true, value_name = "SAMPLE")]
    sample: Vec<String>,
    /// The dataset the contract is for
    #[arg(long)]
    dataset: Option<String>,
}

async fn infer(a: InferArgs) -> Result<Done> {
    if let Some(d) = &a.dataset {
        DatasetName::new(d)?;
    }
    let c = init::infer(&a.sample, a.dataset).await?;
    Ok(Done::text(format!(
        "{}\n",
        serde_json::to_string_pretty(&c).expect("contract serializes")
    )))
}
