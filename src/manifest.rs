//! The manifest: the one object that seals a version and says everything it consists of.
//!
//! A version exists for readers once `versions/<id>/manifest.json` exists, and only then. It is
//! written create-if-absent after every data file it lists, so a reader that finds a manifest finds
//! every file in it, and nothing can change it afterwards. Its exact bytes are hashed
//! ([`checksum`]) into every pointer log entry and the pointer file that name the version, so an edit
//! by hand is detected by the next reader.

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
    pub partition_types: BTreeMap<String, crate::partition::KeyType>,
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
    /// Recomputes what follows from the files: rows, bytes, partitions and the content hash.
    pub fn tally(mut self) -> Manifest {
        self.rows = self.files.iter().map(|f| f.rows).sum();
        self.bytes = self.files.iter().map(|f| f.size).sum();
        self.partitions = summarize_partitions(&self.files);
        self.content_hash = content_hash_of(&self.files, &self.partition_types);
        self
    }

    /// The same version seen through a subset of its files (a gate's scope): rows, bytes and
    /// partitions recomputed.
    pub fn only(&self, keep: impl Fn(&FileEntry) -> bool) -> Manifest {
        let mut m = self.clone();
        m.files.retain(|f| keep(f));
        m.rows = m.files.iter().map(|f| f.rows).sum();
        m.bytes = m.files.iter().map(|f| f.size).sum();
        m.partitions = summarize_partitions(&m.files);
        m
    }

    pub fn to_bytes(&self) -> Bytes {
        let mut v = serde_json::to_vec_pretty(self).expect("manifest serializes");
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

/// `blake3:<hex>` of some bytes: file checksums, manifest checksums, log entry chain.
pub fn checksum(bytes: &[u8]) -> String {
    format!("blake3:{}", blake3::hash(bytes).to_hex())
}

/// The content hash of a set of files: their paths within the version and their checksums.
pub fn content_hash<'a>(
    files: impl IntoIterator<Item = (&'a str, &'a str)>,
    types: &BTreeMap<String, crate::partition::KeyType>,
) -> String {
    let mut pairs: Vec<_> = files.into_iter().collect();
    pairs.sort();
    let mut h = blake3::Hasher::new();
    for (rel, sum) in pairs {
        h.update(rel.as_bytes());
        h.update(b"\t");
        h.update(sum.as_bytes());
        h.update(b"\n");
    }
    // Readers type partition columns by these, so a changed type is other content. `string` is
    // what an undeclared type means, so it adds nothing (hashes of untyped datasets are unchanged).
    // A NUL never occurs in a path: these lines cannot be mistaken for a file's.
    for (key, t) in types
        .iter()
        .filter(|(_, t)| **t != crate::partition::KeyType::String)
    {
        h.update(b"\0type\t");
        h.update(key.as_bytes());
        h.update(b"\t");
        h.update(t.as_str().as_bytes());
        h.update(b"\n");
    }
    format!("blake3:{}", h.finalize().to_hex())
}

/// Summaries of the partitions of a list of files, in key order, with the version folder their
/// files are in.
pub fn summarize_partitions(files: &[FileEntry]) -> Vec<PartitionSummary> {
    type Acc<'a> = (u64, u64, Option<Option<&'a str>>);
    let mut by: BTreeMap<&BTreeMap<String, String>, Acc> = BTreeMap::new();
    for f in files.iter().filter(|f| !f.partition.is_empty()) {
        let e = by.entry(&f.partition).or_default();
        e.0 += 1;
        e.1 += f.rows;
        let o = crate::partition::origin(&f.path);
        e.2 = match e.2 {
            None => Some(o),
            Some(prev) if prev == o => Some(o),
            Some(_) => Some(None),
        };
    }
    by.into_iter()
        .map(|(v, (files, rows, origin))| PartitionSummary {
            values: v.clone(),
            files,
            rows,
            version: origin.flatten().map(str::to_string),
        })
        .collect()
}

/// The content hash of a version's files: their places within a version (below `data/`, wherever
/// they are stored) and their checksums.
pub fn content_hash_of(
    files: &[FileEntry],
    types: &BTreeMap<String, crate::partition::KeyType>,
) -> String {
    content_hash(
        files
            .iter()
            .map(|f| (crate::partition::logical_path(&f.path), f.checksum.as_str())),
        types,
    )
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

    #[test]
    fn content_hash_ignores_order() {
        use crate::partition::KeyType;
        let none = BTreeMap::new();
        let a = content_hash(
            [("a.parquet", "blake3:1"), ("b.parquet", "blake3:2")],
            &none,
        );
        let b = content_hash(
            [("b.parquet", "blake3:2"), ("a.parquet", "blake3:1")],
            &none,
        );
        assert_eq!(a, b);
        assert_ne!(
            a,
            content_hash(
                [("a.parquet", "blake3:2"), ("b.parquet", "blake3:1")],
                &none
            )
        );
        // A declared type is part of the content; `string` is the undeclared default.
        let typed = |t| BTreeMap::from([("n".to_string(), t)]);
        let files = [("n=7/a.parquet", "blake3:1")];
        assert_eq!(
            content_hash(files, &none),
            content_hash(files, &typed(KeyType::String))
        );
        assert_ne!(
            content_hash(files, &typed(KeyType::String)),
            content_hash(files, &typed(KeyType::Int))
        );
        assert_ne!(
            content_hash(files, &typed(KeyType::Int)),
            content_hash(files, &typed(KeyType::Date))
        );
    }
}
