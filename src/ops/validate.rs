//! `lastgood validate`: run the gates on any sealed version, against the pointer's target or a
//! chosen version, without moving anything. The report is stored like a publish's.
//!
//! 1. Read the version, and the baseline: `--against`, else the pointer's current version (for the
//!    current version itself, its last-known-good).
//! 2. On a dataset declared partitioned, judge what publish judges ([`partition::scope`]): the
//!    partitions named by `--partition`, else those the version's own publish wrote (its files
//!    whose folder is its own), each against its previous self or the baseline's most recent
//!    partition. A version that wrote every file (a first or `--full` publish) or none (a
//!    partition revert's) is judged whole, as publish judges `--full`.
//! 3. Run the gates and store the report, with its `scope`.

use std::path::Path;

use crate::config::Config;
use crate::context::Context;
use crate::dataset::Dataset;
use crate::dataset::Sealed;
use crate::error::Error;
use crate::error::Result;
use crate::gates::{self, Contract, Report, Validations};
use crate::names::VersionId;
use crate::partition::{self, Partitioning};
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
/// report; returns it with its dataset-relative path. With a declared `partitioning`, the scope is
/// publish's: the partitions `selectors` name, else those `version` wrote (see the module doc).
pub async fn validate(
    ds: &Dataset,
    ctx: &Context,
    rules: &Rules,
    version: &VersionId,
    against: Option<&VersionId>,
    partitioning: Option<&Partitioning>,
    selectors: &[partition::Values],
) -> Result<(Report, String)> {
    if partitioning.is_none() && !selectors.is_empty() {
        return Err(Error::input(format!(
            "--partition: {} is not declared partitioned (partition_by in lastgood.toml)",
            ds.name()
        )));
    }
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
    let (cand_view, base_view, scope) = match (partitioning, &baseline) {
        (Some(p), Some(b)) => match judged(p, &candidate, selectors)? {
            Some(touched) => {
                let (c, b2, scope) =
                    partition::scope(p, &touched, &candidate.manifest, &b.manifest);
                let view = |m, s: &Sealed| Sealed {
                    manifest: m,
                    checksum: s.checksum.clone(),
                };
                (view(c, &candidate), Some(view(b2, b)), Some(scope))
            }
            None => (candidate.clone(), baseline.clone(), None),
        },
        _ => (candidate.clone(), baseline.clone(), None),
    };
    let mut report = gates::evaluate(
        ds,
        ctx,
        &cand_view,
        base_view.as_ref(),
        &rules.validations,
        rules.contract.as_ref(),
        "validate",
    )
    .await?;
    report.scope = scope;
    let path = gates::store_report(ds, &report).await?;
    Ok((report, path))
}

/// The partitions to judge: those `selectors` name (each must name some), else those the
/// version's own publish wrote; `None` to judge the whole version (it wrote every file, or none).
fn judged(
    p: &Partitioning,
    candidate: &Sealed,
    selectors: &[partition::Values],
) -> Result<Option<Vec<partition::Values>>> {
    let m = &candidate.manifest;
    let mut values: Vec<&partition::Values> = Vec::new();
    if selectors.is_empty() {
        let own = m.version.as_str();
        let written: Vec<_> = m
            .files
            .iter()
            .filter(|f| partition::origin(&f.path) == Some(own))
            .collect();
        if written.is_empty() || written.len() == m.files.len() {
            return Ok(None);
        }
        values.extend(written.iter().map(|f| &f.partition));
    } else {
        for sel in selectors {
            let named: Vec<_> = m
                .files
                .iter()
                .filter(|f| partition::matches(f, sel))
                .map(|f| &f.partition)
                .collect();
            if named.is_empty() {
                return Err(Error::input(format!(
                    "--partition {}: no such partition in version {} of {}",
                    partition::Label(&p.keys, sel),
                    m.version,
                    m.dataset
                )));
            }
            values.extend(named);
        }
    }
    let mut touched: Vec<partition::Values> = Vec::new();
    for v in values {
        if !touched.contains(v) {
            touched.push(v.clone());
        }
    }
    touched.sort_by(|a, b| p.cmp(a, b));
    Ok(Some(touched))
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
