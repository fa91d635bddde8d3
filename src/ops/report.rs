//! `lastgood report`: a version's stored gate report, as a table, as JSON, or as one
//! self-contained HTML page ([`crate::html`]).

use serde::Deserialize;
use serde_json::Value;

use crate::dataset::Dataset;
use crate::error::{Error, Result};
use crate::gates::Report;
use crate::names::VersionId;

/// A stored report: its dataset-relative path and its JSON as written (what `report --json`
/// prints, whatever this binary can read of it).
#[derive(Debug, Clone)]
pub struct StoredReport {
    pub path: String,
    pub url: String,
    pub json: Value,
}

impl StoredReport {
    /// The report, typed (for the table and the page); a report this binary cannot read (a gate
    /// kind it does not know) is an error naming it.
    pub fn report(&self) -> Result<Report> {
        Report::deserialize(&self.json)
            .map_err(|e| Error::Corrupt(format!("gate report {}: {e}", self.url)))
    }
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
    let url = ds.store.url_of(&obj.location);
    let json: Value = serde_json::from_slice(&bytes)
        .map_err(|e| Error::Corrupt(format!("gate report {url}: {e}")))?;
    let file = obj.location.filename().unwrap_or_default();
    Ok(StoredReport {
        path: format!("versions/{v}/reports/{file}"),
        url,
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

/// The absolute location (`file:///…`, `s3://…`) of the newest report on `v`, if it has one.
pub async fn newest_url(ds: &Dataset, v: &VersionId) -> Result<Option<String>> {
    let objs = ds.store.list(&ds.layout.reports_prefix(v)).await?;
    Ok(objs
        .iter()
        .max_by(|a, b| a.location.as_ref().cmp(b.location.as_ref()))
        .map(|o| ds.store.url_of(&o.location)))
}

/// Summary statistics of one column of one version, for the report's side-by-side table.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ColumnStat {
    pub rows: u64,
    pub nulls: u64,
    /// Approximate (HyperLogLog); none for nested columns.
    pub distinct: Option<u64>,
    /// Numeric columns only.
    pub mean: Option<f64>,
    /// Approximate percentiles (t-digest), numeric columns only.
    pub p5: Option<f64>,
    pub p50: Option<f64>,
    pub p95: Option<f64>,
}

/// One column of the candidate beside the same column of the baseline.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ColumnStats {
    pub column: String,
    pub data_type: String,
    pub candidate: Option<ColumnStat>,
    pub baseline: Option<ColumnStat>,
}

/// Summary statistics of every column of `candidate` and of `baseline`, side by side (candidate
/// columns first, then columns only the baseline has). One scan of each version.
pub async fn column_stats(
    ds: &Dataset,
    candidate: &VersionId,
    baseline: Option<&VersionId>,
) -> Result<Vec<ColumnStats>> {
    let cand = version_stats(ds, candidate).await?;
    // A baseline gc collected since has no statistics; the candidate's still show.
    let base = match baseline {
        Some(b) if ds.sealed(b).await?.is_some() => version_stats(ds, b).await?,
        _ => Vec::new(),
    };
    let mut out: Vec<ColumnStats> = cand
        .iter()
        .map(|(name, t, s)| ColumnStats {
            column: name.clone(),
            data_type: t.clone(),
            candidate: Some(s.clone()),
            baseline: base
                .iter()
                .find(|(n, _, _)| n == name)
                .map(|(_, _, s)| s.clone()),
        })
        .collect();
    for (name, t, s) in &base {
        if !cand.iter().any(|(n, _, _)| n == name) {
            out.push(ColumnStats {
                column: name.clone(),
                data_type: t.clone(),
                candidate: None,
                baseline: Some(s.clone()),
            });
        }
    }
    Ok(out)
}

async fn version_stats(ds: &Dataset, v: &VersionId) -> Result<Vec<(String, String, ColumnStat)>> {
    use arrow::array::{Array, Float64Array};
    use arrow::datatypes::DataType;
    let sealed = ds.require(v).await?;
    let ctx = datafusion::prelude::SessionContext::new();
    crate::table::register(&ctx, "t", ds, &sealed)?;
    let schema = ctx
        .table("t")
        .await
        .map_err(|e| Error::datafusion("reading the version's schema", e))?
        .schema()
        .as_arrow()
        .clone();
    let mut exprs = vec!["CAST(count(*) AS DOUBLE) AS n".to_string()];
    let mut cols = Vec::new();
    for (i, f) in schema.fields().iter().enumerate() {
        let q = format!("\"{}\"", f.name().replace('"', "\"\""));
        let t = f.data_type();
        let nested = t.is_nested();
        exprs.push(format!(
            "CAST(count(*) - count({q}) AS DOUBLE) AS c{i}_nulls"
        ));
        if !nested {
            // approx_distinct takes no floats: their text is as distinct as their values.
            let arg = if t.is_floating() {
                format!("CAST({q} AS VARCHAR)")
            } else {
                q.clone()
            };
            exprs.push(format!(
                "CAST(approx_distinct({arg}) AS DOUBLE) AS c{i}_distinct"
            ));
        }
        let numeric = t.is_numeric() && !matches!(t, DataType::Float16);
        if numeric {
            let d = format!("CAST({q} AS DOUBLE)");
            exprs.push(format!("avg({d}) AS c{i}_mean"));
            for (name, p) in [("p5", 0.05), ("p50", 0.5), ("p95", 0.95)] {
                exprs.push(format!(
                    "approx_percentile_cont({p}) WITHIN GROUP (ORDER BY {d}) AS c{i}_{name}"
                ));
            }
        }
        cols.push((i, f.name().clone(), t.to_string(), nested, numeric));
    }
    let sql = format!("SELECT {} FROM t", exprs.join(", "));
    let batches = ctx
        .sql(&sql)
        .await
        .map_err(|e| Error::datafusion("planning the column statistics", e))?
        .collect()
        .await
        .map_err(|e| Error::datafusion("computing the column statistics", e))?;
    let Some(b) = batches.iter().find(|b| b.num_rows() > 0) else {
        return Ok(Vec::new());
    };
    let get = |name: &str| -> Option<f64> {
        let col = b.column_by_name(name)?;
        let col = arrow::compute::cast(col, &DataType::Float64).ok()?;
        let a = col.as_any().downcast_ref::<Float64Array>()?;
        (!a.is_null(0))
            .then(|| a.value(0))
            .filter(|x| x.is_finite())
    };
    let rows = get("n").unwrap_or(0.0) as u64;
    Ok(cols
        .into_iter()
        .map(|(i, name, t, nested, numeric)| {
            let stat = |s: &str| {
                if numeric {
                    get(&format!("c{i}_{s}"))
                } else {
                    None
                }
            };
            (
                name,
                t,
                ColumnStat {
                    rows,
                    nulls: get(&format!("c{i}_nulls")).unwrap_or(0.0) as u64,
                    distinct: (!nested)
                        .then(|| get(&format!("c{i}_distinct")).map(|d| d as u64))
                        .flatten(),
                    mean: stat("mean"),
                    p5: stat("p5"),
                    p50: stat("p50"),
                    p95: stat("p95"),
                },
            )
        })
        .collect())
}
