//! An added file's Delta `stats` from what is already known without a scan: rows and null counts
//! from the manifest, minimum and maximum from the Parquet footer's row-group statistics (one
//! ranged read of the footer).
//!
//! A column gets a minimum and maximum only when every row group has exact, non-null ones and the
//! type has a JSON form every engine agrees on: integers, finite floats, strings, dates, and
//! microsecond timestamps (written to the millisecond, the minimum rounded down and the maximum up,
//! so they stay bounds). Booleans, decimals, binaries and nested columns get none: a missing
//! statistic only costs data skipping, a wrong one would skip rows.

use std::collections::BTreeMap;

use arrow::array::{Array, ArrayRef};
use datafusion::scalar::ScalarValue;
use parquet::arrow::arrow_reader::statistics::StatisticsConverter;
use parquet::errors::ParquetError;
use parquet::file::metadata::ParquetMetaDataReader;
use serde::Serialize;
use serde_json::Value;

use crate::dataset::Dataset;
use crate::error::{Error, Result};
use crate::manifest::FileEntry;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Stats {
    num_records: u64,
    null_count: BTreeMap<String, u64>,
    min_values: BTreeMap<String, Value>,
    max_values: BTreeMap<String, Value>,
}

/// The `stats` JSON text of one data file. A footer that cannot be read (a file gone, or damaged:
/// doctor reports it) only costs the minimum and maximum: the projection of the move is still
/// written, and the commands that write it still succeed.
pub async fn of_file(ds: &Dataset, f: &FileEntry) -> String {
    let (min_values, max_values) = bounds(ds, f).await.unwrap_or_default();
    let stats = Stats {
        num_records: f.rows,
        null_count: f.null_counts.clone(),
        min_values,
        max_values,
    };
    serde_json::to_string(&stats).unwrap_or_default()
}

async fn bounds(ds: &Dataset, f: &FileEntry) -> Result<Bounds> {
    let path = ds.layout.resolve(&f.path)?;
    let footer = footer(ds, &path, f.size).await?;
    let arrow = parquet::arrow::parquet_to_arrow_schema(
        footer.file_metadata().schema_descr(),
        footer.file_metadata().key_value_metadata(),
    )
    .map_err(|e| bad_footer(ds, &path, e))?;
    Ok(min_max(
        &arrow,
        footer.file_metadata().schema_descr(),
        footer.row_groups(),
    ))
}

fn bad_footer(ds: &Dataset, path: &object_store::path::Path, e: impl std::fmt::Display) -> Error {
    Error::Corrupt(format!(
        "the Parquet footer of {} does not parse: {e}",
        ds.store.url_of(path)
    ))
}

/// The last `n` bytes of a file of `size` bytes.
async fn tail(
    ds: &Dataset,
    path: &object_store::path::Path,
    size: u64,
    n: u64,
) -> Result<bytes::Bytes> {
    use object_store::ObjectStoreExt;
    let from = size.saturating_sub(n);
    ds.store
        .object_store()
        .get_range(path, from..size)
        .await
        .map_err(|e| {
            Error::store(
                format!("reading the footer of {}", ds.store.url_of(path)),
                e,
            )
        })
}

/// The file's footer: one ranged read of its last 64 KiB, and one more when the metadata is larger.
async fn footer(
    ds: &Dataset,
    path: &object_store::path::Path,
    size: u64,
) -> Result<parquet::file::metadata::ParquetMetaData> {
    let mut reader = ParquetMetaDataReader::new();
    let bytes = tail(ds, path, size, 64 * 1024).await?;
    match reader.try_parse_sized(&bytes, size) {
        Ok(()) => {}
        Err(ParquetError::NeedMoreData(n)) => {
            let bytes = tail(ds, path, size, n as u64).await?;
            reader
                .try_parse_sized(&bytes, size)
                .map_err(|e| bad_footer(ds, path, e))?;
        }
        Err(e) => return Err(bad_footer(ds, path, e)),
    }
    reader.finish().map_err(|e| bad_footer(ds, path, e))
}

type Bounds = (BTreeMap<String, Value>, BTreeMap<String, Value>);

fn min_max(
    schema: &arrow::datatypes::Schema,
    parquet: &parquet::schema::types::SchemaDescriptor,
    row_groups: &[parquet::file::metadata::RowGroupMetaData],
) -> Bounds {
    let mut mins = BTreeMap::new();
    let mut maxes = BTreeMap::new();
    for field in schema.fields() {
        if field.data_type().is_nested() {
            continue;
        }
        let Ok(conv) = StatisticsConverter::try_new(field.name(), schema, parquet) else {
            continue;
        };
        let exact = |a: parquet::errors::Result<arrow::array::BooleanArray>| {
            a.is_ok_and(|a| a.null_count() == 0 && a.values().iter().all(|b| b))
        };
        if !exact(conv.row_group_is_min_value_exact(row_groups))
            || !exact(conv.row_group_is_max_value_exact(row_groups))
        {
            continue;
        }
        let (Ok(lo), Ok(hi)) = (
            conv.row_group_mins(row_groups),
            conv.row_group_maxes(row_groups),
        ) else {
            continue;
        };
        let (Some(lo), Some(hi)) = (extreme(&lo, true), extreme(&hi, false)) else {
            continue;
        };
        if let (Some(lo), Some(hi)) = (json_of(&lo, true), json_of(&hi, false)) {
            mins.insert(field.name().clone(), lo);
            maxes.insert(field.name().clone(), hi);
        }
    }
    (mins, maxes)
}

/// The smallest (or largest) of the row groups' values; none if any row group lacks one.
fn extreme(a: &ArrayRef, smallest: bool) -> Option<ScalarValue> {
    if a.is_empty() || a.null_count() > 0 {
        return None;
    }
    let mut best: Option<ScalarValue> = None;
    for i in 0..a.len() {
        let v = ScalarValue::try_from_array(a, i).ok()?;
        best = match best {
            None => Some(v),
            Some(b) => {
                let ord = v.partial_cmp(&b)?;
                let better = if smallest { ord.is_lt() } else { ord.is_gt() };
                Some(if better { v } else { b })
            }
        };
    }
    best
}

fn json_of(v: &ScalarValue, lower: bool) -> Option<Value> {
    use ScalarValue::*;
    Some(match v {
        Int8(Some(x)) => Value::from(*x),
        Int16(Some(x)) => Value::from(*x),
        Int32(Some(x)) => Value::from(*x),
        Int64(Some(x)) => Value::from(*x),
        Float32(Some(x)) if x.is_finite() => Value::from(*x as f64),
        Float64(Some(x)) if x.is_finite() => Value::from(*x),
        Utf8(Some(s)) | LargeUtf8(Some(s)) | Utf8View(Some(s)) => Value::from(s.clone()),
        Date32(Some(d)) => {
            let date = chrono::DateTime::from_timestamp(*d as i64 * 86_400, 0)?.date_naive();
            Value::from(date.format("%Y-%m-%d").to_string())
        }
        TimestampMicrosecond(Some(us), Some(_)) => {
            let ms = if lower {
                us.div_euclid(1000)
            } else {
                us.div_euclid(1000) + i64::from(us.rem_euclid(1000) != 0)
            };
            let t = chrono::DateTime::from_timestamp_millis(ms)?;
            Value::from(t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_stay_bounds_at_millisecond_precision() {
        let tz = Some("UTC".into());
        let v = ScalarValue::TimestampMicrosecond(Some(1_500), tz);
        assert_eq!(json_of(&v, true).unwrap(), "1970-01-01T00:00:00.001Z");
        assert_eq!(json_of(&v, false).unwrap(), "1970-01-01T00:00:00.002Z");
        assert_eq!(json_of(&ScalarValue::Float64(Some(f64::NAN)), true), None);
        assert_eq!(json_of(&ScalarValue::Boolean(Some(true)), true), None);
    }
}
