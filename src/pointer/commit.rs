//! Appending to the pointer log: the move procedure every entry, move or mark, goes through
//! (SPEC.md, "Moving the pointer"), and keeping `pointer.json` and the Delta projection in step.
//!
//! 1. Read the head.
//! 2. Decide from the head's state alone (the verb's `decide`, which applies
//!    [`crate::pointer::policy`]): nothing to do, refuse, or an entry.
//! 3. For a move, read the target's manifest and check it against the head's `collecting`
//!    ([`policy::check_move_target`]); for a mark, verify the current version's manifest.
//! 4. Build the entry for `head + 1`, its state by the action's transition, and create it. Exactly
//!    one writer wins each position; a loser starts again from 1 when its decision still holds on
//!    the new head, or reports a conflict.
//! 5. Rewrite the pointer file from the entry and the target's manifest, then check the next
//!    position once more, so a slower writer never leaves an older pointer file behind.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::dataset::{Dataset, Sealed};
use crate::error::{Error, Result};
use crate::log::{Head, advance, read_entry, read_head};
use crate::names::VersionId;
use crate::pointer::policy;
use crate::spec::action::Action;
use crate::spec::checksum::checksum;
use crate::spec::detail::Detail;
use crate::spec::log_entry::{self as entry, LogEntry};
use crate::spec::pointer_file::PointerFile;
use crate::spec::state::State;
use crate::spec::verdict::Verdict;
use crate::store::Put;

/// How often a writer that lost a log position tries again when its decision still holds.
const MAX_ATTEMPTS: u32 = 12;
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
    pub verdict: Option<Verdict>,
    pub detail: Option<Detail>,
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
            policy::check_move_target(ds, &state, &target).await?;
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
                checksum: Some(checksum(&entry.to_bytes())),
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
