//! The on-store format as types: one file per record SPEC.md describes, as iceberg-rust's `spec/`.
//!
//! | Object | Type |
//! |---|---|
//! | `versions/<id>/manifest.json` | [`manifest::Manifest`] (its partition key types: [`partitioning::KeyType`]) |
//! | `log/<seq>.json` | [`log_entry::LogEntry`]: its [`action::Action`] tags its [`detail::Detail`]; [`verdict::Verdict`]; [`state::State`] |
//! | `pointer.json` | [`pointer_file::PointerFile`] |
//! | `content/<hex>.json` | [`content_marker::ContentMarker`] |
//! | `rules/<hex>.json` | [`rules::DatasetRules`] (its [`partitioning::Partitioning`]) |
//! | `versions/<id>/reports/<name>.json` | the gate report, [`crate::gates::Report`] |
//!
//! Architecture Invariant: these types are the only shapes written to and read from the store
//! (never a `serde_json::Value` between a writer and its reader), and they know nothing of stores,
//! datasets or policy: parsing, checking what the format itself requires, and serializing. This
//! module re-exports every record but [`rules::DatasetRules`], which holds the gate configuration
//! types: import it from [`rules`] (or [`crate::rules`]), so that the gates, which read
//! manifests, never sit in an import cycle with the records. Golden
//! files in `tests/fixtures/spec/` round-trip through them byte for byte, including entries
//! written by earlier versions. Changing a type here changes the format: SPEC.md and `schemas/`
//! change with it.

pub mod action;
pub mod content_marker;
pub mod detail;
pub mod log_entry;
pub mod manifest;
pub mod partitioning;
pub mod pointer_file;
pub mod rules;
pub mod state;
pub mod verdict;

pub use action::Action;
pub use content_marker::ContentMarker;
pub use detail::{ConfigureDetail, Detail, GcDetail, PartitionRevertDetail, RevertedPartition};
pub use log_entry::LogEntry;
pub use manifest::Manifest;
pub use partitioning::{Compare, KeyType, Partitioning};
pub use pointer_file::{PointerFile, PointerFileEntry};
pub use state::{Collecting, Frozen, KNOWN_GOOD_DEPTH, State};
pub use verdict::Verdict;

/// `blake3:<hex>` of some bytes: file checksums, manifest checksums, the log's `prev` chain, the
/// rules object's name. Always over the bytes as stored, never re-serialized JSON.
pub fn checksum(bytes: &[u8]) -> String {
    format!("blake3:{}", blake3::hash(bytes).to_hex())
}
