//! The on-store format as types: one file per record SPEC.md describes, as iceberg-rust's `spec/`.
//!
//! | Object | Type |
//! |---|---|
//! | `versions/<id>/manifest.json` | [`manifest::Manifest`] (its partition key types: [`partitioning::KeyType`]) |
//! | `log/<seq>.json` | [`log_entry::LogEntry`]: its [`action::Action`] tags its [`detail::Detail`]; [`verdict::Verdict`]; [`state::State`] |
//! | `pointer.json` | [`pointer_file::PointerFile`] |
//! | `content/<hex>.json` | [`content_marker::ContentMarker`] |
//! | `rules/<hex>.json` | [`rules::Rules`] (its [`partitioning::Partitioning`]; with the gates' configuration types, [`crate::rules::DatasetRules`]) |
//! | `versions/<id>/reports/<name>.json` | the gate report, [`crate::gates::Report`] |
//!
//! Architecture Invariant: these types are the only shapes written to and read from the store
//! (never a `serde_json::Value` between a writer and its reader), and they know nothing of stores,
//! datasets or policy: parsing, checking what the format itself requires, and serializing. The
//! gates sit above the records (they read manifests): the rules record takes the gates'
//! configuration types as parameters rather than importing them. Golden
//! files in `tests/fixtures/spec/` round-trip through them byte for byte, including entries
//! written by earlier versions. Changing a type here changes the format: SPEC.md and `schemas/`
//! change with it.

pub mod action;
pub mod checksum;
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
pub use checksum::checksum;
pub use content_marker::ContentMarker;
pub use detail::{ConfigureDetail, Detail, GcDetail, PartitionRevertDetail, RevertedPartition};
pub use log_entry::LogEntry;
pub use manifest::Manifest;
pub use partitioning::{Compare, KeyType, Partitioning};
pub use pointer_file::{PointerFile, PointerFileEntry};
pub use rules::Rules;
pub use state::{Collecting, Frozen, KNOWN_GOOD_DEPTH, State};
pub use verdict::Verdict;
