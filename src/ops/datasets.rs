//! `lastgood datasets`: the datasets under a root, with where each pointer is and its last move.
//!
//! 1. List the folders directly under the root; a folder is a dataset when its name is a valid
//!    dataset name and it holds a `versions/` or `log/` folder (other folders are left out).
//! 2. Read each dataset's head (a constant number of requests each, 8 datasets at a time) and the
//!    entry that last moved its pointer.

use chrono::{DateTime, Utc};
use futures::{StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};

use crate::dataset::Dataset;
use crate::error::Result;
use crate::names::DatasetName;
use crate::pointer;
use crate::store::Store;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DatasetRow {
    pub dataset: String,
    /// What consumers read; none when the pointer never moved.
    pub version: Option<String>,
    /// The newest history entry (0: none).
    pub seq: u64,
    /// The entry that last moved the pointer: its action, time and actor.
    pub last_move: Option<LastMove>,
    /// The reason the dataset is frozen, if it is.
    pub frozen: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LastMove {
    pub seq: u64,
    pub action: String,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub forced: bool,
    pub reason: Option<String>,
}

/// Every dataset under the root of `store`, by name.
pub async fn list(store: &Store) -> Result<Vec<DatasetRow>> {
    let mut names: Vec<DatasetName> = store
        .list_dirs(store.base())
        .await?
        .into_iter()
        .filter_map(|d| DatasetName::new(d).ok())
        .collect();
    names.sort();
    let rows: Vec<Option<DatasetRow>> = futures::stream::iter(names)
        .map(|name| {
            let ds = Dataset::new(store.clone(), name);
            async move { row(&ds).await }
        })
        .buffered(8)
        .try_collect()
        .await?;
    Ok(rows.into_iter().flatten().collect())
}

async fn row(ds: &Dataset) -> Result<Option<DatasetRow>> {
    let dirs = ds.store.list_dirs(ds.layout.prefix()).await?;
    if !dirs.iter().any(|d| d == "versions" || d == "log") {
        return Ok(None);
    }
    let head = pointer::read_head(ds).await?;
    let state = head.state();
    let mover = match (state.moved_at_seq, &head.entry) {
        (Some(s), Some(e)) if s == e.seq => Some(e.clone()),
        (Some(s), _) => pointer::read_entry(ds, s).await?.map(|(e, _)| e),
        (None, e) => e.clone().filter(|e| e.action.moves()),
    };
    Ok(Some(DatasetRow {
        dataset: ds.name().to_string(),
        version: state.version.as_ref().map(|v| v.to_string()),
        seq: head.seq,
        last_move: mover.map(|e| LastMove {
            seq: e.seq,
            action: e.action.as_str().to_string(),
            at: e.at,
            actor: e.actor,
            forced: e.forced,
            reason: e.reason,
        }),
        frozen: state.frozen.map(|f| f.reason),
    }))
}
