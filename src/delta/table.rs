//! The table at one log position, and the `add` actions of its files: what a commit and a
//! checkpoint both derive from.

use std::collections::BTreeMap;

use futures::{StreamExt, TryStreamExt};

use super::actions::{Add, Metadata, encode_path};
use super::stats;
use crate::dataset::Dataset;
use crate::error::Result;
use crate::manifest::FileEntry;

/// The table at one log position: the files of the pointer's version (none when the pointer never
/// moved, or when the version is no longer sealed), its metadata when known, and the manifest's
/// time (every add's `modificationTime`).
#[derive(Debug, Clone, Default)]
pub(super) struct Position {
    pub files: BTreeMap<String, FileEntry>,
    pub meta: Option<Metadata>,
    pub created_ms: i64,
    /// False when the version is no longer sealed (collected): its files are unknown now.
    pub gone: bool,
}

async fn add_of(ds: &Dataset, f: &FileEntry, created_ms: i64) -> Result<Add> {
    Ok(Add {
        path: encode_path(&f.path),
        partition_values: f.partition.clone(),
        size: f.size,
        modification_time: created_ms,
        data_change: true,
        stats: Some(stats::of_file(ds, f).await),
    })
}

pub(super) async fn adds(
    ds: &Dataset,
    files: Vec<&FileEntry>,
    created_ms: i64,
) -> Result<Vec<Add>> {
    let owned: Vec<FileEntry> = files.into_iter().cloned().collect();
    futures::stream::iter(owned)
        .map(|f| async move { add_of(ds, &f, created_ms).await })
        .buffered(8)
        .try_collect()
        .await
}
