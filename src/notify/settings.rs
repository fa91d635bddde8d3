//! The notification settings of a dataset (`[datasets.NAME.notify.*]` in lastgood.toml, `notify`
//! in its rules on the store): plain data, so the config and the rules can hold them without
//! depending on the code that sends ([`crate::notify`]).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Where a dataset's moves and publishes are announced: `[datasets.NAME.notify.airflow]` and
/// `[datasets.NAME.notify.openlineage]` in lastgood.toml.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notify {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub airflow: Option<AirflowSettings>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub openlineage: Option<OpenLineageSettings>,
}

impl Notify {
    /// Checks the settings a writer brings (one line naming the problem, exit 2).
    pub fn check(&self) -> Result<()> {
        if let Some(a) = &self.airflow {
            a.check()?;
        }
        if let Some(o) = &self.openlineage {
            o.check()?;
        }
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.airflow.is_none() && self.openlineage.is_none()
    }
}

/// `[datasets.NAME.notify.airflow]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AirflowSettings {
    /// The Airflow API server, `http://airflow.internal:8080` (the API is under `/api/v2`).
    pub url: String,
    /// The asset's URI as the DAGs declare it, `Asset("s3://ml-out/lake/churn_scores")` (a
    /// name-only asset is matched by its name).
    pub asset: String,
    /// The asset's id in Airflow, to skip the lookup.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asset_id: Option<u64>,
    /// Seconds per request (default 10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<u64>,
}

impl AirflowSettings {
    pub fn check(&self) -> Result<()> {
        let u = url::Url::parse(&self.url).map_err(|e| {
            Error::input(format!(
                "notify.airflow.url {:?}: {e} (expected http(s)://host:port)",
                self.url
            ))
        })?;
        if !matches!(u.scheme(), "http" | "https") {
            return Err(Error::input(format!(
                "notify.airflow.url {:?}: expected http:// or https://",
                self.url
            )));
        }
        if self.asset.trim().is_empty() {
            return Err(Error::input(
                "notify.airflow.asset is empty: the asset's URI as the DAGs declare it",
            ));
        }
        Ok(())
    }

    pub(crate) fn api(&self, path: &str) -> String {
        format!("{}/{path}", self.url.trim_end_matches('/'))
    }
}

/// `[datasets.NAME.notify.openlineage]`: `url` or `file`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenLineageSettings {
    /// An OpenLineage HTTP endpoint's base, `http://marquez:5000`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The path under `url` (default `api/v1/lineage`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// Append each event as one JSON line to this file instead (relative to the current folder).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<PathBuf>,
    /// The job's namespace (default `lastgood`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// The job's name (default `publish.<dataset>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job: Option<String>,
    /// Seconds per request (default 10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<u64>,
}

impl OpenLineageSettings {
    pub fn check(&self) -> Result<()> {
        match (&self.url, &self.file) {
            (Some(_), Some(_)) | (None, None) => Err(Error::input(
                "notify.openlineage: set exactly one of url (an HTTP endpoint) or file (JSON lines)",
            )),
            (Some(u), None) => match url::Url::parse(u) {
                Ok(p) if matches!(p.scheme(), "http" | "https") => Ok(()),
                _ => Err(Error::input(format!(
                    "notify.openlineage.url {u:?}: expected http(s)://host:port"
                ))),
            },
            (None, Some(_)) => Ok(()),
        }
    }

    /// Where events go: the endpoint's URL or the file.
    pub fn destination(&self) -> String {
        match (&self.url, &self.file) {
            (Some(u), _) => format!(
                "{}/{}",
                u.trim_end_matches('/'),
                self.endpoint
                    .as_deref()
                    .unwrap_or("api/v1/lineage")
                    .trim_start_matches('/')
            ),
            (None, Some(f)) => f.display().to_string(),
            (None, None) => String::new(),
        }
    }
}
