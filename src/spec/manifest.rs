//! The manifest, `versions/<id>/manifest.json`: the one object that seals a version and says
//! everything it consists of (SPEC.md, "Manifest").
//!
//! A version exists for readers once its manifest exists, and only then. It is written
//! create-if-absent after every data file it lists, so a reader that finds a manifest finds every
//! file in it, and nothing can change it afterwards. Its exact bytes are hashed into every log entry
//! and pointer file that name the version, so an edit by hand is detected by the next reader. What
//! follows from the files (rows, partitions, the content hash) is computed in [`crate::manifest`].

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::datatypes::{Schema, SchemaRef};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::layout::Layout;
use crate::names::{DatasetName, VersionId};
use crate::spec::partitioning::KeyType;

pub const FORMAT: &str = "lastgood.manifest";
pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub format: String,
    pub format_version: u32,
    pub dataset: DatasetName,
    pub version: VersionId,
    pub created_at: DateTime<Utc>,
    /// The pointer's target when the version was published: what it was meant to replace.
    pub parent: Option<VersionId>,
    /// `blake3:<hex>` over the sorted (path below `data/`, file checksum) pairs: equal content,
    /// equal hash, whatever the version id. Re-publishing the same content is recognised by it.
    pub content_hash: String,
    pub rows: u64,
    pub bytes: u64,
    pub schema: SchemaInfo,
    /// The Hive partition keys of the files, in path order; empty when unpartitioned.
    pub partition_keys: Vec<String>,
    /// The declared type of each partition key of a partitioned dataset (`date`, `int`, `string`):
    /// readers type the partition columns by it. Absent: every value is a string.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub partition_types: BTreeMap<String, KeyType>,
    pub partitions: Vec<PartitionSummary>,
    pub files: Vec<FileEntry>,
    /// Producer metadata (`--meta model=churn-v1.14`): travels with the data.
    pub meta: BTreeMap<String, String>,
    pub message: Option<String>,
    pub producer: Producer,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileEntry {
    /// Relative to the dataset's prefix: `versions/<id>/data/date=2026-11-21/part-0.parquet`.
    pub path: String,
    pub size: u64,
    pub rows: u64,
    /// `blake3:<hex>` of the file's bytes.
    pub checksum: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub partition: BTreeMap<String, String>,
    /// Null count per column, from the Parquet footer, for the columns whose every row group has
    /// the statistic.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub null_counts: BTreeMap<String, u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartitionSummary {
    pub values: BTreeMap<String, String>,
    pub files: u64,
    pub rows: u64,
    /// The version whose folder holds the partition's files: this one, or an earlier version the
    /// files were carried forward from (absent when they are spread over several).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchemaInfo {
    /// For people and for readers without Arrow: name, Arrow type as text, nullability.
    pub columns: Vec<ColumnInfo>,
    /// The exact Arrow schema: a base64 Arrow IPC stream holding only the schema message
    /// (pyarrow: `pa.ipc.open_stream(base64.b64decode(s)).schema`).
    pub arrow_ipc: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnInfo {
    pub name: String,
    #[serde(rename = "type")]
    pub data_type: String,
    pub nullable: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Producer {
    pub actor: String,
    pub tool: String,
}

impl Producer {
    pub fn new(actor: &str) -> Self {
        Producer {
            actor: actor.to_string(),
            tool: format!("lastgood {}", env!("CARGO_PKG_VERSION")),
        }
    }
}

impl SchemaInfo {
    pub fn from_arrow(schema: &Schema) -> Result<Self> {
        let columns = schema
            .fields()
            .iter()
            .map(|f| ColumnInfo {
                name: f.name().clone(),
                data_type: f.data_type().to_string(),
                nullable: f.is_nullable(),
            })
            .collect();
        let mut buf = Vec::new();
        {
            let mut w = arrow::ipc::writer::StreamWriter::try_new(&mut buf, schema)
                .map_err(|e| Error::input(format!("encoding schema: {e}")))?;
            w.finish()
                .map_err(|e| Error::input(format!("encoding schema: {e}")))?;
        }
        Ok(SchemaInfo {
            columns,
            arrow_ipc: B64.encode(buf),
        })
    }

    pub fn to_arrow(&self) -> Result<SchemaRef> {
        let bytes = B64
            .decode(&self.arrow_ipc)
            .map_err(|e| Error::Corrupt(format!("manifest schema: {e}")))?;
        let reader = arrow::ipc::reader::StreamReader::try_new(std::io::Cursor::new(bytes), None)
            .map_err(|e| Error::Corrupt(format!("manifest schema: {e}")))?;
        Ok(Arc::new(reader.schema().as_ref().clone()))
    }
}

impl Manifest {
    pub fn to_bytes(&self) -> Bytes {
        // Plain data (strings, numbers, string-keyed maps): serialization cannot fail.
        let mut v = serde_json::to_vec_pretty(self).unwrap_or_default();
        v.push(b'\n');
        Bytes::from(v)
    }

    /// Parses and checks a manifest read from `layout.manifest(version)`.
    pub fn parse(bytes: &[u8], layout: &Layout, version: &VersionId) -> Result<Manifest> {
        let where_ = || format!("manifest of {}/{version}", layout.dataset());
        let m: Manifest = serde_json::from_slice(bytes)
            .map_err(|e| Error::Corrupt(format!("{}: does not parse: {e}", where_())))?;
        if m.format != FORMAT || m.format_version != FORMAT_VERSION {
            return Err(Error::Corrupt(format!(
                "{}: format {} v{} is not {FORMAT} v{FORMAT_VERSION}",
                where_(),
                m.format,
                m.format_version
            )));
        }
        if &m.dataset != layout.dataset() || &m.version != version {
            return Err(Error::Corrupt(format!(
                "{}: names {}/{} instead",
                where_(),
                m.dataset,
                m.version
            )));
        }
        for f in &m.files {
            layout
                .resolve(&f.path)
                .map_err(|e| Error::Corrupt(format!("{}: {e}", where_())))?;
        }
        if m.rows != m.files.iter().map(|f| f.rows).sum::<u64>() {
            return Err(Error::Corrupt(format!("{}: rows do not add up", where_())));
        }
        Ok(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::datatypes::{DataType, Field, TimeUnit};

    #[test]
    fn schema_round_trips_through_ipc() {
        let schema = Schema::new(vec![
            Field::new("id", DataType::Int64, false),
            Field::new("score", DataType::Float64, true),
            Field::new(
                "at",
                DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
                true,
            ),
        ]);
        let info = SchemaInfo::from_arrow(&schema).unwrap();
        assert_eq!(info.columns[2].data_type, "Timestamp(µs, \"UTC\")");
        assert_eq!(info.to_arrow().unwrap().as_ref(), &schema);
    }
}
