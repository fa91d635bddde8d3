//! `lastgood pointer show` and `pointer history`: where the pointer is, and how it got there.
//!
//! `show` reads the head (a constant number of requests), checks the current version's manifest
//! against the checksum recorded when the pointer moved, and repairs a stale pointer file.

use serde::{Deserialize, Serialize};

use crate::dataset::Dataset;
use crate::error::Result;
use crate::pointer::{self, LogEntry};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PointerStatus {
    pub dataset: String,
    /// The version consumers read; null when the pointer never moved.
    pub version: Option<String>,
    /// The newest history entry.
    pub seq: u64,
    /// The entry that moved the pointer where it is (marks such as freeze or pin may follow it).
    pub moved_at_seq: Option<u64>,
    pub action: Option<String>,
    pub actor: Option<String>,
    pub at: Option<chrono::DateTime<chrono::Utc>>,
    pub reason: Option<String>,
    pub last_known_good: Option<String>,
    pub reverted: Vec<String>,
    /// Versions protected from gc.
    pub pinned: Vec<String>,
    /// Set while the dataset is frozen (nothing is promoted).
    pub frozen: Option<pointer::Frozen>,
    pub rows: Option<u64>,
    pub files: Option<usize>,
    pub manifest_checksum: Option<String>,
    pub pointer_file: String,
}

pub async fn show(ds: &Dataset) -> Result<PointerStatus> {
    let head = pointer::read_head(ds).await?;
    let mut status = PointerStatus {
        dataset: ds.name().to_string(),
        version: None,
        seq: head.seq,
        moved_at_seq: None,
        action: None,
        actor: None,
        at: None,
        reason: None,
        last_known_good: None,
        reverted: vec![],
        pinned: vec![],
        frozen: None,
        rows: None,
        files: None,
        manifest_checksum: None,
        pointer_file: ds.store.url_of(&ds.layout.pointer_file()),
    };
    let Some(e) = &head.entry else {
        if ds.version_ids().await?.is_empty() {
            return Err(ds.not_found());
        }
        return Ok(status);
    };
    let state = &e.state;
    if let Some(v) = &state.version {
        let sealed = ds.require_verified(v, e.recorded_checksum(v)).await?;
        status.rows = Some(sealed.manifest.rows);
        status.files = Some(sealed.manifest.files.len());
        status.manifest_checksum = Some(sealed.checksum);
    }
    status.version = state.version.as_ref().map(|v| v.to_string());
    // Who moved the pointer there: the head, unless marks (freeze, pin, gc) came after the move.
    let moved = match state.moved_at_seq {
        Some(s) if s != head.seq => pointer::read_entry(ds, s).await?.map(|(e, _)| e),
        _ => None,
    };
    let mover = moved.as_ref().unwrap_or(e);
    status.moved_at_seq = Some(mover.seq);
    status.action = Some(mover.action.as_str().to_string());
    status.actor = Some(mover.actor.clone());
    status.at = Some(mover.at);
    status.reason = mover.reason.clone();
    status.pinned = state.pinned.iter().map(|v| v.to_string()).collect();
    status.frozen = state.frozen.clone();
    status.last_known_good = state.last_known_good().map(|v| v.to_string());
    status.reverted = state.reverted.iter().map(|v| v.to_string()).collect();
    pointer::sync_pointer_file(ds, &head).await?;
    Ok(status)
}

pub async fn history(ds: &Dataset, limit: Option<u64>) -> Result<Vec<LogEntry>> {
    pointer::history(ds, limit).await
}
