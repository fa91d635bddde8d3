//! `lastgood query`: DataFusion SQL over the current version (or any version), the table named
//! after the dataset. Reads exactly the files the version's manifest lists; partition columns come
//! from the manifest.

use arrow::record_batch::RecordBatch;
use datafusion::prelude::SessionContext;

use crate::dataset::Dataset;
use crate::error::{Error, Result};
use crate::ops::resolve::{self, At, Resolved};

pub async fn query(ds: &Dataset, at: &At, sql: &str) -> Result<(Resolved, Vec<RecordBatch>)> {
    let (resolved, sealed) = resolve::resolve(ds, at).await?;
    let ctx = SessionContext::new();
    crate::table::register(&ctx, ds.name().as_str(), ds, &sealed)?;
    let df = ctx.sql(sql).await.map_err(|e| {
        // A hint where one helps: the table's name and columns.
        let columns: Vec<String> = sealed
            .manifest
            .schema
            .columns
            .iter()
            .map(|c| c.name.clone())
            .chain(sealed.manifest.partition_keys.iter().cloned())
            .collect();
        Error::input(format!(
            "query: {}; the table is {} with columns {}",
            first_line(&e.to_string()).trim_end_matches('.'),
            ds.name(),
            columns.join(", ")
        ))
    })?;
    let batches = df
        .collect()
        .await
        .map_err(|e| Error::datafusion("running the query", e))?;
    Ok((resolved, batches))
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s)
}

/// The rows as JSON objects, one per row.
pub fn to_json_rows(batches: &[RecordBatch]) -> Result<serde_json::Value> {
    let mut w = arrow_json::ArrayWriter::new(Vec::new());
    let refs: Vec<&RecordBatch> = batches.iter().collect();
    w.write_batches(&refs)
        .and_then(|_| w.finish())
        .map_err(|e| Error::input(format!("query result as JSON: {e}")))?;
    let bytes = w.into_inner();
    if bytes.is_empty() {
        return Ok(serde_json::Value::Array(Vec::new()));
    }
    serde_json::from_slice(&bytes).map_err(|e| Error::input(format!("query result as JSON: {e}")))
}
