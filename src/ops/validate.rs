//! `lastgood validate`: run the gates on any sealed version, against the pointer's target or a
//! chosen version, without moving anything. The report is stored like a publish's.

use std::path::Path;

use crate::config::Config;
use crate::context::Context;
use crate::dataset::Dataset;
use crate::error::Result;
use crate::gates::{self, Contract, Report, Validations};
use crate::names::VersionId;
use crate::pointer;

/// The gates and contract a dataset is judged by: the paths named in lastgood.toml, else
/// `validations/<dataset>.toml` and `schemas/<dataset>.contract.json` beside it, else the defaults.
#[derive(Debug, Clone)]
pub struct Rules {
    pub validations: Validations,
    pub contract: Option<Contract>,
}

impl Default for Rules {
    fn default() -> Self {
        Self::defaults()
    }
}

impl Rules {
    pub fn defaults() -> Self {
        Rules {
            validations: Validations::defaults(),
            contract: None,
        }
    }

    pub fn for_dataset(config: &Config, dataset: &str) -> Result<Self> {
        let d = config.dataset(dataset);
        let conventional =
            |p: String| Some(config.dir.join(p)).filter(|p: &std::path::PathBuf| p.is_file());
        let validations = match d
            .validations
            .or_else(|| conventional(format!("validations/{dataset}.toml")))
        {
            Some(p) => Validations::load(&p)?,
            None => Validations::defaults(),
        };
        let contract_path = d
            .contract
            .or_else(|| validations.contract.clone())
            .or_else(|| conventional(format!("schemas/{dataset}.contract.json")));
        let contract = contract_path.as_deref().map(Contract::load).transpose()?;
        Ok(Rules {
            validations,
            contract,
        })
    }

    pub fn from_files(validations: Option<&Path>, contract: Option<&Path>) -> Result<Self> {
        let validations = validations
            .map(Validations::load)
            .transpose()?
            .unwrap_or_else(Validations::defaults);
        let contract = contract
            .or(validations.contract.as_deref())
            .map(Contract::load)
            .transpose()?;
        Ok(Rules {
            validations,
            contract,
        })
    }
}

/// Judges `version` against `against` (default: the pointer's current version) and stores the
/// report; returns it with its dataset-relative path.
pub async fn validate(
    ds: &Dataset,
    ctx: &Context,
    rules: &Rules,
    version: &VersionId,
    against: Option<&VersionId>,
) -> Result<(Report, String)> {
    let candidate = ds.require(version).await?;
    let baseline_id = match against {
        Some(v) => Some(v.clone()),
        None => {
            // Against the pointer's target; for the current version itself, its last-known-good.
            let state = pointer::read_head(ds).await?.state();
            match &state.version {
                Some(cur) if cur == version => state.last_known_good().cloned(),
                other => other.clone(),
            }
        }
    };
    let baseline = match &baseline_id {
        Some(v) => Some(ds.require(v).await?),
        None => None,
    };
    let report = gates::evaluate(
        ds,
        ctx,
        &candidate,
        baseline.as_ref(),
        &rules.validations,
        rules.contract.as_ref(),
        "validate",
    )
    .await?;
    let path = gates::store_report(ds, &report).await?;
    Ok((report, path))
}

/// What `validate --json` prints: the report (without chart points unless asked), and where it is
/// stored.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ValidateOutcome {
    #[serde(flatten)]
    pub report: Report,
    /// Dataset-relative path of the stored report.
    pub report_path: String,
    /// Its absolute location (`file:///…`, `s3://…`).
    pub report_url: String,
}

impl ValidateOutcome {
    pub fn new(ds: &Dataset, mut report: Report, path: String, charts: bool) -> Result<Self> {
        if !charts {
            report.gates = report
                .gates
                .into_iter()
                .map(crate::gates::GateResult::without_charts)
                .collect();
        }
        Ok(ValidateOutcome {
            report_url: ds.store.url_of(&ds.layout.resolve(&path)?),
            report,
            report_path: path,
        })
    }
}
