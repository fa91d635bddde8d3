//! The pointer log, read: its head, one entry, its history. Nothing here writes; appending is
//! [`crate::pointer`]'s. Readers that never write (resolve, the Delta projection, doctor) need only
//! this module.
//!
//! 1. Head discovery: the pointer file's `seq` is a hint; the entry at the hint is read and the next
//!    position probed (galloping forward, then bisecting, if the hint is stale or missing).
//! 2. Every entry past a known one must follow it (`prev`): a stray or edited entry is never adopted.

use futures::{StreamExt, TryStreamExt};

use crate::dataset::Dataset;
use crate::error::{Error, Result};
use crate::names::VersionId;
use crate::spec::checksum::checksum;
use crate::spec::log_entry::LogEntry;
use crate::spec::pointer_file::PointerFile;
use crate::spec::state::State;

/// The newest entry of the log (none for a dataset whose pointer never moved).
#[derive(Debug, Clone, Default)]
pub struct Head {
    pub seq: u64,
    pub entry: Option<LogEntry>,
    /// Checksum of the head entry's bytes: the next entry's `prev`.
    pub checksum: Option<String>,
}

impl Head {
    pub fn state(&self) -> State {
        self.entry
            .as_ref()
            .map(|e| e.state.clone())
            .unwrap_or_default()
    }

    pub fn version(&self) -> Option<&VersionId> {
        self.entry.as_ref().and_then(|e| e.state.version.as_ref())
    }
}

/// Reads one entry; `None` when the position is empty.
pub async fn read_entry(ds: &Dataset, seq: u64) -> Result<Option<(LogEntry, String)>> {
    let Some(bytes) = ds.store.get(&ds.layout.log_entry(seq)).await? else {
        return Ok(None);
    };
    let e = LogEntry::parse(&bytes, ds.name(), seq)?;
    Ok(Some((e, checksum(&bytes))))
}

async fn exists(ds: &Dataset, seq: u64) -> Result<bool> {
    ds.store.exists(&ds.layout.log_entry(seq)).await
}

/// Finds the head: from a position known to exist (or 0), gallop forward and bisect. Positions are
/// filled without gaps, so "exists" is monotone. With a fresh hint this is one request.
async fn find_head(ds: &Dataset, mut lo: u64) -> Result<u64> {
    let mut step = 1u64;
    let mut hi = loop {
        let probe = lo + step;
        if exists(ds, probe).await? {
            lo = probe;
            step = step.saturating_mul(2);
        } else {
            break probe;
        }
    };
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if exists(ds, mid).await? {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Ok(lo)
}

/// Reads the head of the log: pointer file (hint), the entry at the hint, a probe past it.
///
/// The pointer file is written after its entry, so the entry it names must exist: when it does not
/// (the newest entries deleted), readers refuse rather than move consumers back.
pub async fn read_head(ds: &Dataset) -> Result<Head> {
    let hint = match ds.store.get(&ds.layout.pointer_file()).await? {
        Some(bytes) => PointerFile::parse(&bytes, ds.name())
            .map(|p| p.seq)
            .unwrap_or(0),
        None => 0,
    };
    if hint == 0 {
        return Ok(advance(ds, 0, None).await?.unwrap_or_default());
    }
    let (entry, checksum) = read_entry(ds, hint).await?.ok_or_else(|| {
        Error::Corrupt(format!(
            "the pointer file of {} names log entry {hint}, which is missing: the log lost its newest entries (deleted?); nothing was changed: restore them, `lastgood doctor {}` shows the log",
            ds.name(),
            ds.name()
        ))
    })?;
    Ok(advance(ds, hint, Some(checksum.clone()))
        .await?
        .unwrap_or(Head {
            seq: hint,
            entry: Some(entry),
            checksum: Some(checksum),
        }))
}

/// The head past position `from` (whose entry's checksum is `from_sum`), or `None` when there is
/// nothing past it. Every entry past `from` must follow the one before it (`prev`), so an entry
/// that is not part of the log — a stray written beyond a gap, an edited one — is never adopted.
/// From nothing (`from` 0), the head's own link is checked.
pub(crate) async fn advance(
    ds: &Dataset,
    from: u64,
    from_sum: Option<String>,
) -> Result<Option<Head>> {
    let seq = find_head(ds, from).await?;
    if seq == from {
        return Ok(None);
    }
    let missing = |s: u64| {
        Error::Corrupt(format!(
            "log entry {s} of {} is missing below entry {seq}: the log has a gap; `lastgood doctor {}` shows it",
            ds.name(),
            ds.name()
        ))
    };
    let link = |s: u64| async move {
        Ok::<_, Error>(read_entry(ds, s).await?.ok_or_else(|| missing(s))?.1)
    };
    let (first, mut prev) = match from_sum {
        Some(sum) => (from + 1, Some(sum)),
        None if from > 0 => (from + 1, Some(link(from).await?)),
        None if seq > 1 => (seq, Some(link(seq - 1).await?)),
        None => (seq, None),
    };
    let mut entries = futures::stream::iter(first..=seq)
        .map(|s| async move { (s, read_entry(ds, s).await) })
        .buffered(16);
    let mut head = None;
    while let Some((s, e)) = entries.next().await {
        let (e, sum) = e?.ok_or_else(|| missing(s))?;
        if prev.is_some() && e.prev != prev {
            return Err(Error::Corrupt(format!(
                "log entry {s} of {} does not follow entry {} (its prev is not that entry's checksum): a stray or edited entry is never adopted; `lastgood doctor {}` shows it",
                ds.name(),
                s - 1,
                ds.name()
            )));
        }
        prev = Some(sum.clone());
        head = Some(Head {
            seq: s,
            entry: Some(e),
            checksum: Some(sum),
        });
    }
    Ok(head)
}

/// The head as the log's positions alone show it, trusting no pointer file and checking no link:
/// for doctor, which reports what [`read_head`] refuses.
pub async fn scan_head(ds: &Dataset) -> Result<Head> {
    let seq = find_head(ds, 0).await?;
    if seq == 0 {
        return Ok(Head::default());
    }
    let (entry, checksum) = read_entry(ds, seq)
        .await?
        .ok_or_else(|| Error::Corrupt(format!("log entry {seq} of {} vanished", ds.name())))?;
    Ok(Head {
        seq,
        entry: Some(entry),
        checksum: Some(checksum),
    })
}

/// The head of an existing dataset's log. A dataset with neither a log entry nor a version folder
/// is a name that does not exist (exit 2): commands that read or mark a dataset never create one.
pub async fn read_existing_head(ds: &Dataset) -> Result<Head> {
    let head = read_head(ds).await?;
    if head.seq == 0 && ds.version_ids().await?.is_empty() {
        return Err(ds.not_found());
    }
    Ok(head)
}

/// The newest `limit` entries, newest first.
pub async fn history(ds: &Dataset, limit: Option<u64>) -> Result<Vec<LogEntry>> {
    let head = read_existing_head(ds).await?;
    let oldest = match limit {
        Some(n) => head.seq.saturating_sub(n.saturating_sub(1)).max(1),
        None => 1,
    };
    if head.seq == 0 || limit == Some(0) {
        return Ok(Vec::new());
    }
    futures::stream::iter((oldest..=head.seq).rev())
        .map(|seq| async move {
            read_entry(ds, seq).await?.map(|(e, _)| e).ok_or_else(|| {
                Error::Corrupt(format!(
                    "log entry {seq} of {} is missing: the log has a gap",
                    ds.name()
                ))
            })
        })
        .buffered(16)
        .try_collect()
        .await
}
