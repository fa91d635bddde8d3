//! The Delta Lake actions lastgood writes, as types: one line of a commit file each, and one row of a
//! checkpoint. Field names and shapes follow the Delta transaction protocol (PROTOCOL.md, "Actions").

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The writer feature no other engine knows: a Delta writer that honours table features (delta-rs,
/// Spark, Databricks) refuses to append, overwrite, OPTIMIZE or otherwise commit to the table, while
/// readers, which only check reader features, read it.
pub const WRITER_FEATURE: &str = "lastgoodManaged";

/// `delta.deletedFileRetentionDuration` and `delta.logRetentionDuration`: 100 years, so a default
/// VACUUM deletes nothing and no engine expires the commits.
pub const RETENTION: &str = "interval 36525 days";

/// One action: `{"add": {…}}`, `{"remove": {…}}`, … (an externally tagged enum is exactly the
/// protocol's one-key objects).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Action {
    CommitInfo(CommitInfo),
    Protocol(Protocol),
    MetaData(Metadata),
    Remove(Remove),
    Add(Add),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Protocol {
    pub min_reader_version: u32,
    pub min_writer_version: u32,
    /// Only with reader version 3: `timestampNtz` when the schema has a timestamp without a zone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reader_features: Option<Vec<String>>,
    pub writer_features: Vec<String>,
}

/// The table feature a `timestamp_ntz` column needs, for readers and writers.
pub const NTZ_FEATURE: &str = "timestampNtz";

impl Protocol {
    /// Readers of any version; writers that honour table features refuse to write.
    pub fn lastgood() -> Protocol {
        Protocol {
            min_reader_version: 1,
            min_writer_version: 7,
            reader_features: None,
            writer_features: vec![WRITER_FEATURE.to_string()],
        }
    }

    /// For a schema with a `timestamp_ntz`: readers must know `timestampNtz` (reader version 3).
    pub fn lastgood_ntz() -> Protocol {
        Protocol {
            min_reader_version: 3,
            min_writer_version: 7,
            reader_features: Some(vec![NTZ_FEATURE.to_string()]),
            writer_features: vec![WRITER_FEATURE.to_string(), NTZ_FEATURE.to_string()],
        }
    }

    /// The protocol a table with this metadata needs.
    pub fn for_metadata(m: &Metadata) -> Protocol {
        if super::schema::uses_ntz(&m.schema_string) {
            Protocol::lastgood_ntz()
        } else {
            Protocol::lastgood()
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Format {
    pub provider: String,
    pub options: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Metadata {
    /// Derived from the dataset's name, so a rebuild writes the same table id.
    pub id: String,
    pub name: Option<String>,
    pub description: Option<String>,
    pub format: Format,
    pub schema_string: String,
    pub partition_columns: Vec<String>,
    pub configuration: BTreeMap<String, String>,
}

impl Metadata {
    pub fn new(dataset: &str, schema_string: String, partition_columns: Vec<String>) -> Metadata {
        let h = blake3::hash(format!("lastgood delta table {dataset}").as_bytes());
        let b = h.as_bytes();
        let hex = |r: std::ops::Range<usize>| -> String {
            b[r].iter().map(|x| format!("{x:02x}")).collect()
        };
        // A version-4-shaped UUID made of hash bytes.
        let id = format!(
            "{}-{}-4{}-8{}-{}",
            hex(0..4),
            hex(4..6),
            &hex(6..8)[1..],
            &hex(8..10)[1..],
            hex(10..16)
        );
        Metadata {
            id,
            name: Some(dataset.to_string()),
            description: Some(
                "The read pointer of a lastgood dataset; written by lastgood only".into(),
            ),
            format: Format {
                provider: "parquet".into(),
                options: BTreeMap::new(),
            },
            schema_string,
            partition_columns,
            configuration: BTreeMap::from([
                (
                    "delta.deletedFileRetentionDuration".to_string(),
                    RETENTION.to_string(),
                ),
                (
                    "delta.logRetentionDuration".to_string(),
                    RETENTION.to_string(),
                ),
            ]),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Add {
    /// Relative to the dataset's root, percent-encoded: `versions/<id>/data/date=2026-11-21/part-0.parquet`.
    pub path: String,
    pub partition_values: BTreeMap<String, String>,
    pub size: u64,
    pub modification_time: i64,
    pub data_change: bool,
    /// JSON text: `numRecords`, `nullCount`, `minValues`, `maxValues`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stats: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Remove {
    pub path: String,
    pub deletion_timestamp: i64,
    pub data_change: bool,
    pub extended_file_metadata: bool,
    pub partition_values: BTreeMap<String, String>,
    pub size: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CommitInfo {
    /// The log entry's `at`, in milliseconds.
    pub timestamp: i64,
    /// `WRITE` (promote, set), `RESTORE` (revert), `LASTGOOD <ACTION>` (marks).
    pub operation: String,
    pub operation_parameters: BTreeMap<String, String>,
    pub engine_info: String,
    pub is_blind_append: bool,
    /// The log entry this commit projects (none for version 0, which creates the table).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lastgood: Option<Provenance>,
}

/// What the pointer log says about the move: the link from a Delta version back to the log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provenance {
    pub seq: u64,
    /// The checksum of the log entry's bytes (`blake3:…`).
    pub entry: String,
    pub action: String,
    pub from: Option<String>,
    pub to: Option<String>,
    pub actor: String,
    pub reason: Option<String>,
    pub forced: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<serde_json::Value>,
}

/// A commit file's bytes: one action per line.
pub fn commit_bytes(actions: &[Action]) -> bytes::Bytes {
    let mut out = Vec::new();
    for a in actions {
        // Plain data: serialization cannot fail.
        out.extend(serde_json::to_vec(a).unwrap_or_default());
        out.push(b'\n');
    }
    out.into()
}

/// Parses a commit file; lines that are not actions lastgood writes come back as errors.
pub fn parse_commit(bytes: &[u8]) -> Result<Vec<Action>, String> {
    bytes
        .split(|b| *b == b'\n')
        .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
        .map(|l| serde_json::from_slice::<Action>(l).map_err(|e| e.to_string()))
        .collect()
}

/// `_delta_log/_last_checkpoint`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LastCheckpoint {
    pub version: u64,
    pub size: u64,
    pub size_in_bytes: u64,
    pub num_of_add_files: u64,
}

/// A data file's path as a relative URI: every byte outside `A-Z a-z 0-9 - . _ ~ / =` percent-encoded.
pub fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/=".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_are_one_key_objects() {
        let a = Action::Protocol(Protocol::lastgood());
        assert_eq!(
            String::from_utf8(commit_bytes(std::slice::from_ref(&a)).to_vec()).unwrap(),
            "{\"protocol\":{\"minReaderVersion\":1,\"minWriterVersion\":7,\"writerFeatures\":[\"lastgoodManaged\"]}}\n"
        );
        assert_eq!(
            parse_commit(&commit_bytes(std::slice::from_ref(&a))).unwrap(),
            vec![a]
        );
        let m = Metadata::new("churn", "{}".into(), vec![]);
        assert_eq!(m.id.len(), 36);
        assert_eq!(&m.id[14..15], "4");
        assert_eq!(m, Metadata::new("churn", "{}".into(), vec![]));
    }

    #[test]
    fn paths_are_percent_encoded() {
        assert_eq!(
            encode_path("versions/v1/data/ts=2026-11-21T02:00+01/a b.parquet"),
            "versions/v1/data/ts=2026-11-21T02%3A00%2B01/a%20b.parquet"
        );
    }
}
