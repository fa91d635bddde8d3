//! The manifest's arithmetic: checksums, the content hash, and what follows from a version's files.
//!
//! The record itself is [`crate::spec::manifest`] (re-exported here). A version exists for readers
//! once `versions/<id>/manifest.json` exists, and only then; its exact bytes are hashed
//! ([`checksum`]) into every pointer log entry and the pointer file that name the version.

use std::collections::BTreeMap;

use crate::layout::{logical_path, origin};
pub use crate::spec::checksum::checksum;
pub use crate::spec::manifest::{
    ColumnInfo, FORMAT, FORMAT_VERSION, FileEntry, Manifest, PartitionSummary, Producer, SchemaInfo,
};
use crate::spec::partitioning::KeyType;

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
}

/// The content hash of a set of files: their paths within the version and their checksums.
pub fn content_hash<'a>(
    files: impl IntoIterator<Item = (&'a str, &'a str)>,
    types: &BTreeMap<String, KeyType>,
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
    for (key, t) in types.iter().filter(|(_, t)| **t != KeyType::String) {
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
        let o = origin(&f.path);
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
pub fn content_hash_of(files: &[FileEntry], types: &BTreeMap<String, KeyType>) -> String {
    content_hash(
        files
            .iter()
            .map(|f| (logical_path(&f.path), f.checksum.as_str())),
        types,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_hash_ignores_order() {
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
