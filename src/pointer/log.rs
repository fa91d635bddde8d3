//! Reading and appending the pointer log.

use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::{StreamExt, TryStreamExt};

use crate::dataset::{Dataset, Sealed};
use crate::error::{Error, Result};
use crate::manifest;
use crate::names::VersionId;
use crate::pointer::{Action, LogEntry, PointerFile, State, entry};
use crate::store::Put;

/// How often a writer that lost a log position tries again when its decision still holds.
const MAX_ATTEMPTS: u32 = 12;

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
    let e: LogEntry = serde_json::from_slice(&bytes).map_err(|e| {
        Error::Corrupt(format!(
            "log entry {seq} of {}: does not parse: {e}",
            ds.name()
        ))
    })?;
    if e.seq != seq || e.format != entry::FORMAT || e.format_version != entry::FORMAT_VERSION {
        return Err(Error::Corrupt(format!(
            "log entry {seq} of {}: wrong seq or format",
            ds.name()
        )));
    }
    Ok(Some((e, manifest::checksum(&bytes))))
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
async fn advance(ds: &Dataset, from: u64, from_sum: Option<String>) -> Result<Option<Head>> {
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

/// A log entry to append, decided against a head: a move of the pointer, or a mark that leaves it
/// where it is (freeze, pin, gc).
#[derive(Debug, Clone)]
pub struct Move {
    pub action: Action,
    /// Where the pointer goes; ignored by marks, which keep the current version.
    pub to: Option<VersionId>,
    /// The version a pin or unpin names.
    pub subject: Option<VersionId>,
    pub reason: Option<String>,
    pub forced: bool,
    pub verdict: Option<serde_json::Value>,
    pub detail: Option<serde_json::Value>,
    /// The rules the entry puts in force (see [`LogEntry::rules`]).
    pub rules: Option<String>,
}

impl Move {
    /// Move the pointer to `to`.
    pub fn to(action: Action, to: VersionId) -> Move {
        Move {
            to: Some(to),
            ..Move::mark(action)
        }
    }

    /// Change the state without moving the pointer.
    pub fn mark(action: Action) -> Move {
        Move {
            action,
            to: None,
            subject: None,
            reason: None,
            forced: false,
            verdict: None,
            detail: None,
            rules: None,
        }
    }
}

/// Appends the move `decide` makes from the current head, retrying on a lost position as long as
/// `decide` still agrees on the new head. `decide` returns `Ok(None)` when there is nothing to do
/// (the pointer already is where it should be), an error to refuse, or the move.
///
/// Returns the entry written (or the head entry when there was nothing to do) and whether one was
/// written, and leaves the pointer file in step with the log.
pub async fn commit<F>(
    ds: &Dataset,
    actor: &str,
    at: DateTime<Utc>,
    decide: F,
) -> Result<(LogEntry, bool)>
where
    F: Fn(&Head) -> Result<Option<Move>>,
{
    let mut attempt = 0;
    loop {
        attempt += 1;
        let head = read_head(ds).await?;
        let Some(mv) = decide(&head)? else {
            let entry = head
                .entry
                .clone()
                .ok_or_else(|| Error::Input("nothing to do on an empty log".into()))?;
            sync_pointer_file(ds, &head).await?;
            return Ok((entry, false));
        };
        let state = head.state();
        let (to, target) = if mv.action.moves() {
            let to = mv
                .to
                .clone()
                .ok_or_else(|| Error::Input(format!("a {} needs a version", mv.action.as_str())))?;
            let target = ds.require(&to).await?;
            // Decided on this head, checked on it: a gc entry since the decision is seen here.
            super::lifecycle::check_move_target(ds, &state, &target).await?;
            (Some(to), Some(target))
        } else {
            // A mark keeps the pointer, and the checksum recorded when it moved there.
            match &state.version {
                Some(v) => {
                    let recorded = head
                        .entry
                        .as_ref()
                        .and_then(|e| e.manifest_checksum.clone());
                    let target = ds.require_verified(v, recorded.as_deref()).await?;
                    (Some(v.clone()), Some(target))
                }
                None => (None, None),
            }
        };
        // The Delta projection refuses a version it cannot represent, and is created before the
        // first entry of a dataset that gets it.
        crate::delta::before_entry(
            ds,
            head.seq,
            target.as_ref().filter(|_| mv.action.moves()),
            at,
        )
        .await?;
        let mut entry = LogEntry {
            format: entry::FORMAT.into(),
            format_version: entry::FORMAT_VERSION,
            seq: head.seq + 1,
            action: mv.action,
            from: state.version.clone(),
            to: to.clone(),
            actor: actor.to_string(),
            at,
            reason: mv.reason.clone(),
            forced: mv.forced,
            manifest_checksum: target.as_ref().map(|t| t.checksum.clone()),
            verdict: mv.verdict.clone(),
            subject: mv.subject.clone(),
            detail: mv.detail.clone(),
            rules: mv.rules.clone(),
            prev: head.checksum.clone(),
            state: State::default(),
        };
        entry.state = state
            .after(&entry)
            .ok_or_else(|| Error::Input(format!("a {} needs a version", mv.action.as_str())))?;
        let put = ds
            .store
            .create(&ds.layout.log_entry(entry.seq), entry.to_bytes())
            .await?;
        // A create whose answer was lost and retried finds its own entry: that is a win too.
        let won = put == Put::Created
            || read_entry(ds, entry.seq)
                .await?
                .is_some_and(|(e, _)| e == entry);
        if won {
            if let Some(target) = &target {
                write_pointer_file(ds, &entry, target).await.map_err(|e| {
                    Error::io(
                        format!(
                            "the pointer of {} moved to {} (history #{}) but its pointer file was not rewritten; `lastgood pointer show {}` repairs it",
                            ds.name(),
                            target.manifest.version,
                            entry.seq,
                            ds.name()
                        ),
                        std::io::Error::other(e.to_string()),
                    )
                })?;
            }
            let head = Head {
                seq: entry.seq,
                entry: Some(entry.clone()),
                checksum: Some(crate::manifest::checksum(&entry.to_bytes())),
            };
            sync_pointer_file(ds, &head).await?;
            return Ok((entry, true));
        }
        if attempt >= MAX_ATTEMPTS {
            return Err(Error::Conflict(format!(
                "log position {} of {} was taken {MAX_ATTEMPTS} times by other writers; try again",
                entry.seq,
                ds.name()
            )));
        }
        // Lost the position to another writer: back off a little (jittered) and decide again.
        let jitter = (at.timestamp_subsec_nanos() as u64 + attempt as u64 * 7919) % 20;
        tokio::time::sleep(Duration::from_millis(5 * attempt as u64 + jitter)).await;
    }
}

async fn write_pointer_file(ds: &Dataset, entry: &LogEntry, target: &Sealed) -> Result<()> {
    let pf = PointerFile::new(ds, entry, &target.manifest, &target.checksum)?;
    ds.store
        .overwrite(&ds.layout.pointer_file(), pf.to_bytes())
        .await
}

/// Makes the pointer file reflect the log's head, if a newer entry exists than `known`: after a
/// writer rewrites the pointer file it checks the next position, so the last writer to touch the
/// file always writes the newest head. Also repairs a stale file left by a crash. Then the Delta
/// projection is caught up to the same head, the same way ([`crate::delta::catch_up`]).
pub async fn sync_pointer_file(ds: &Dataset, known: &Head) -> Result<()> {
    let head = sync_pointer_file_only(ds, known).await?;
    crate::delta::catch_up(ds, head).await.map_err(|e| {
        Error::io(
            format!(
                "the Delta projection of {} is behind its log (entry {head}); the next command or `lastgood doctor --repair` catches it up",
                ds.name()
            ),
            std::io::Error::other(e.to_string()),
        )
    })?;
    Ok(())
}

/// The pointer file part of [`sync_pointer_file`]; returns the head it reached.
async fn sync_pointer_file_only(ds: &Dataset, known: &Head) -> Result<u64> {
    // A file whose URLs lead elsewhere (a copied or mirrored dataset) is rewritten for here.
    let (current_file, mut here) = match ds.store.get(&ds.layout.pointer_file()).await? {
        Some(b) => match PointerFile::parse(&b, ds.name()) {
            Ok(p) => (Some(p.seq), p.elsewhere(ds).is_none()),
            Err(_) => (None, true),
        },
        None => (None, true),
    };
    let mut file_seq = current_file;
    let mut head = known.clone();
    for _ in 0..MAX_ATTEMPTS {
        if let Some(newer) = advance(ds, head.seq, head.checksum.clone()).await? {
            head = newer;
        }
        let Some(entry) = head.entry.clone() else {
            return Ok(head.seq);
        };
        match file_seq {
            // Written after its entry, the file is never ahead of the log, unless entries were
            // deleted: never "repair" it backwards.
            Some(f) if f > head.seq => {
                return Err(Error::Corrupt(format!(
                    "the pointer file of {} names log entry {f}, past the log's head {}: the log lost its newest entries (deleted?); nothing was changed",
                    ds.name(),
                    head.seq
                )));
            }
            Some(f) if f == head.seq && here => return Ok(head.seq),
            _ => {}
        }
        let Some(v) = entry.state.version.clone() else {
            return Ok(head.seq);
        };
        let target = ds
            .require_verified(
                &v,
                entry
                    .manifest_checksum
                    .as_deref()
                    .filter(|_| entry.to.as_ref() == Some(&v)),
            )
            .await?;
        write_pointer_file(ds, &entry, &target).await?;
        file_seq = Some(head.seq);
        here = true;
    }
    Ok(head.seq)
}

/// Whether the pointer held `v` before and has since left it for another version (not reverted:
/// a reverted version has its own refusal). The state remembers the newest
/// [`KNOWN_GOOD_DEPTH`](entry::KNOWN_GOOD_DEPTH) such versions; when that list is full, older moves
/// are looked up in the log itself.
pub async fn left_behind(ds: &Dataset, head: &Head, v: &VersionId) -> Result<bool> {
    let state = head.state();
    if state.version.as_ref() == Some(v) || state.is_reverted(v) {
        return Ok(false);
    }
    if state.known_good.contains(v) {
        return Ok(true);
    }
    if state.known_good.len() < entry::KNOWN_GOOD_DEPTH {
        return Ok(false);
    }
    let moved_to = |e: &LogEntry| e.action.moves() && e.to.as_ref() == Some(v);
    let mut older = futures::stream::iter((1..=head.seq).rev())
        .map(|seq| async move { read_entry(ds, seq).await })
        .buffered(16);
    while let Some(e) = older.next().await {
        if e?.is_some_and(|(e, _)| moved_to(&e)) {
            return Ok(true);
        }
    }
    Ok(false)
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
