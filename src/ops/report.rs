//! `lastgood report`: a version's stored gate report, as a table, as JSON, or as one
//! self-contained HTML page ([`crate::html`]).

use serde_json::Value;

use crate::dataset::Dataset;
use crate::error::{Error, Result};
use crate::names::VersionId;

/// A stored report: its dataset-relative path and its JSON as written.
#[derive(Debug, Clone)]
pub struct StoredReport {
    pub path: String,
    pub url: String,
    pub json: Value,
}

/// The newest report of `v` (reports are named by time), or the one named `name`
/// (`20261121T020000123456Z-publish`, with or without `.json`).
pub async fn load(ds: &Dataset, v: &VersionId, name: Option<&str>) -> Result<StoredReport> {
    ds.require(v).await?;
    let mut objs = ds.store.list(&ds.layout.reports_prefix(v)).await?;
    objs.sort_by(|a, b| a.location.as_ref().cmp(b.location.as_ref()));
    let found = match name {
        Some(n) => {
            let n = n.trim_end_matches(".json");
            objs.iter()
                .find(|o| o.location.filename() == Some(&format!("{n}.json")))
        }
        None => objs.last(),
    };
    let Some(obj) = found else {
        return Err(Error::NotFound(match name {
            Some(n) => format!(
                "no report {n} on {}/{v} (there are {}); `lastgood report {} {v} --list` names them",
                ds.name(),
                objs.len(),
                ds.name()
            ),
            None => format!(
                "no gate report on {}/{v}: it was sealed with --no-promote and never validated; `lastgood validate {} {v}` writes one",
                ds.name(),
                ds.name()
            ),
        }));
    };
    let bytes = ds.store.get(&obj.location).await?.unwrap_or_default();
    let json = serde_json::from_slice(&bytes).map_err(|e| {
        Error::Corrupt(format!(
            "gate report {}: {e}",
            ds.store.url_of(&obj.location)
        ))
    })?;
    let file = obj.location.filename().unwrap_or_default();
    Ok(StoredReport {
        path: format!("versions/{v}/reports/{file}"),
        url: ds.store.url_of(&obj.location),
        json,
    })
}

/// The names of every report on `v`, oldest first.
pub async fn list(ds: &Dataset, v: &VersionId) -> Result<Vec<String>> {
    ds.require(v).await?;
    let mut names: Vec<String> = ds
        .store
        .list(&ds.layout.reports_prefix(v))
        .await?
        .iter()
        .filter_map(|o| {
            o.location
                .filename()
                .map(|f| f.trim_end_matches(".json").to_string())
        })
        .collect();
    names.sort();
    Ok(names)
}
