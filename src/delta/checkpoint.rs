//! Delta checkpoints: the whole table at one version in one Parquet file, so a reader opens the table
//! from the newest checkpoint and at most 99 commits instead of replaying every commit.
//!
//! A (classic, single-file) checkpoint `_delta_log/<v>.checkpoint.parquet` has one row per action,
//! with a column per action kind (`txn`, `add`, `remove`, `metaData`, `protocol`), the others null.
//! lastgood writes the protocol, the metadata and one `add` per file of the pointer's version; no
//! `remove` tombstones (they only serve VACUUM, which the 100-year retention turns off). The rows are
//! the same serde actions as in commits, decoded into the checkpoint's Arrow schema.

use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Fields, Schema};
use parquet::arrow::ArrowWriter;

use super::actions::{Action, LastCheckpoint, Metadata, Protocol};
use super::table::{Position, adds};
use crate::dataset::Dataset;
use crate::error::{Error, Result};
use crate::store::Put;

fn string_map() -> DataType {
    let kv = Fields::from(vec![
        Field::new("key", DataType::Utf8, false),
        Field::new("value", DataType::Utf8, true),
    ]);
    DataType::Map(
        Arc::new(Field::new("key_value", DataType::Struct(kv), false)),
        false,
    )
}

fn strings() -> DataType {
    DataType::List(Arc::new(Field::new("element", DataType::Utf8, true)))
}

fn st(fields: Vec<Field>) -> DataType {
    DataType::Struct(Fields::from(fields))
}

/// The checkpoint schema of the Delta protocol, for the actions lastgood writes.
pub fn schema() -> Schema {
    use DataType::*;
    let f = |n: &str, t: DataType| Field::new(n, t, true);
    Schema::new(vec![
        f(
            "txn",
            st(vec![
                f("appId", Utf8),
                f("version", Int64),
                f("lastUpdated", Int64),
            ]),
        ),
        f(
            "add",
            st(vec![
                f("path", Utf8),
                f("partitionValues", string_map()),
                f("size", Int64),
                f("modificationTime", Int64),
                f("dataChange", Boolean),
                f("stats", Utf8),
                f("tags", string_map()),
            ]),
        ),
        f(
            "remove",
            st(vec![
                f("path", Utf8),
                f("deletionTimestamp", Int64),
                f("dataChange", Boolean),
                f("extendedFileMetadata", Boolean),
                f("partitionValues", string_map()),
                f("size", Int64),
            ]),
        ),
        f(
            "metaData",
            st(vec![
                f("id", Utf8),
                f("name", Utf8),
                f("description", Utf8),
                f(
                    "format",
                    st(vec![f("provider", Utf8), f("options", string_map())]),
                ),
                f("schemaString", Utf8),
                f("partitionColumns", strings()),
                f("configuration", string_map()),
                f("createdTime", Int64),
            ]),
        ),
        f(
            "protocol",
            st(vec![
                f("minReaderVersion", Int32),
                f("minWriterVersion", Int32),
                f("readerFeatures", strings()),
                f("writerFeatures", strings()),
            ]),
        ),
    ])
}

/// Writes the checkpoint of version `v` (create-if-absent) and points `_last_checkpoint` at it.
/// Returns whether this call created it.
pub(super) async fn write(ds: &Dataset, v: u64, meta: &Metadata, at: &Position) -> Result<bool> {
    let path = ds.layout.delta_checkpoint(v);
    let mut rows = vec![
        Action::Protocol(Protocol::for_metadata(meta)),
        Action::MetaData(meta.clone()),
    ];
    let adds = adds(ds, at.files.values().collect(), at.created_ms).await?;
    let num_adds = adds.len() as u64;
    rows.extend(adds.into_iter().map(Action::Add));
    let bytes =
        encode(&rows).map_err(|e| Error::io(format!("encoding the Delta checkpoint {v}"), e))?;
    let size_in_bytes = bytes.len() as u64;
    let created = ds.store.create(&path, bytes.into()).await? == Put::Created;
    let last = LastCheckpoint {
        version: v,
        size: rows.len() as u64,
        size_in_bytes,
        num_of_add_files: num_adds,
    };
    // A hint for readers, moved forward only (a race may still leave an older one, which only
    // costs readers replaying more commits).
    let hint = ds.layout.delta_last_checkpoint();
    if let Some(b) = ds.store.get(&hint).await?
        && serde_json::from_slice::<LastCheckpoint>(&b).is_ok_and(|l| l.version >= v)
    {
        return Ok(created);
    }
    let mut body = serde_json::to_vec(&last).unwrap_or_default();
    body.push(b'\n');
    ds.store.overwrite(&hint, body.into()).await?;
    Ok(created)
}

fn encode(rows: &[Action]) -> std::io::Result<Vec<u8>> {
    let schema = Arc::new(schema());
    let mut decoder = arrow_json::ReaderBuilder::new(schema.clone())
        .build_decoder()
        .map_err(std::io::Error::other)?;
    decoder.serialize(rows).map_err(std::io::Error::other)?;
    let batch = decoder
        .flush()
        .map_err(std::io::Error::other)?
        .ok_or_else(|| std::io::Error::other("no rows"))?;
    let mut out = Vec::new();
    let mut w = ArrowWriter::try_new(&mut out, schema, None).map_err(std::io::Error::other)?;
    w.write(&batch).map_err(std::io::Error::other)?;
    w.close().map_err(std::io::Error::other)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::delta::Add;
    use std::collections::BTreeMap;

    #[test]
    fn rows_decode_into_the_checkpoint_schema() {
        let rows = vec![
            Action::Protocol(Protocol::lastgood()),
            Action::MetaData(Metadata::new("d", "{}".into(), vec!["date".into()])),
            Action::Add(Add {
                path: "versions/v/data/date=2026-11-21/p.parquet".into(),
                partition_values: BTreeMap::from([("date".into(), "2026-11-21".into())]),
                size: 10,
                modification_time: 1,
                data_change: true,
                stats: Some("{\"numRecords\":3}".into()),
            }),
        ];
        let bytes = encode(&rows).unwrap();
        let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReader::try_new(
            bytes::Bytes::from(bytes),
            16,
        )
        .unwrap();
        let batches: Vec<_> = reader.map(|b| b.unwrap()).collect();
        assert_eq!(batches[0].num_rows(), 3);
        assert_eq!(batches[0].column(1).null_count(), 2);
    }
}
