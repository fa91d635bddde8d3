//! `lastgood doctor`: verify a dataset end to end, and repair what is safe to repair.
//!
//! 1. The log: every position from 1 to the head present and parsing, each entry's `prev` the
//!    checksum of the entry before, its `from` the previous state's version, and its recorded state
//!    equal to the replay of its action on the previous state.
//! 2. Every entry's target sealed, with the manifest checksum it recorded; the rules object an
//!    entry puts in force (`configure`, a first publish) present with its checksum.
//! 3. Every sealed version: its manifest parses, and each file it lists exists with the size and
//!    BLAKE3 checksum the manifest says. Unsealed version folders (a publish in flight or interrupted)
//!    are reported, not counted as problems.
//! 4. No stray objects: every object under a sealed version's `data/` is listed by some sealed
//!    manifest (a writer that lost a race for the same `--version` with other content, and died
//!    before deleting its uploads, leaves such files).
//! 5. The pointer file: present, parsing, and naming the head's seq and version.
//! 6. The Delta projection, when on ([`crate::delta::check`]): a commit per entry up to the head,
//!    each written by lastgood for its entry with the files the log implies, none beyond the head,
//!    checkpoints where due. (The files it names are the manifests' files, verified in 3.)
//!
//! `--repair` rewrites a missing or stale pointer file from the log's head as it is when the repair
//! is written (never from the head doctor read at its start, never to a position older than the
//! file's own), deletes stray objects (no version lists them, and none ever can: their folder's
//! version is sealed), and writes the Delta commits and checkpoints the log implies that are
//! missing; nothing else is ever changed. A log whose head readers refuse (a pointer file past the
//! log, an entry that does not follow the one before) is replayed from its positions alone and
//! reported.

use futures::{StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};

use crate::dataset::Dataset;
use crate::error::{Error, Result};
use crate::manifest;
use crate::names::VersionId;
use crate::pointer::roles;
use crate::pointer::{self, LogEntry, PointerFile, State};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Problem {
    /// `log`, `version`, `file`, `stray`, `pointer_file` or `delta`.
    pub kind: String,
    pub subject: String,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DoctorReport {
    pub dataset: String,
    pub ok: bool,
    pub log_entries: u64,
    pub versions_sealed: usize,
    pub versions_unsealed: Vec<String>,
    pub files_verified: usize,
    pub bytes_verified: u64,
    pub problems: Vec<Problem>,
    pub repaired: Vec<String>,
}

fn problem(kind: &str, subject: impl ToString, message: impl ToString) -> Problem {
    Problem {
        kind: kind.into(),
        subject: subject.to_string(),
        message: message.to_string(),
    }
}

/// One log position as read: the entry and the checksum of its bytes, or nothing, or why not.
type EntryRead = Result<Option<(LogEntry, String)>>;

pub async fn doctor(ds: &Dataset, repair: bool) -> Result<DoctorReport> {
    let mut problems = Vec::new();
    let mut repaired = Vec::new();

    // 1-2. The log, replayed: from the head its positions show, when readers refuse the head (a
    // pointer file past the log, an entry that does not follow the one before).
    let head = match pointer::read_existing_head(ds).await {
        Ok(head) => head,
        Err(Error::Corrupt(why)) => {
            problems.push(problem("log", "head", why));
            pointer::scan_head(ds).await?
        }
        Err(e) => return Err(e),
    };
    let entries: Vec<(u64, EntryRead)> = futures::stream::iter(1..=head.seq)
        .map(|seq| async move { (seq, pointer::read_entry(ds, seq).await) })
        .buffered(16)
        .collect()
        .await;
    // Versions a later gc deleted are named by older entries and no longer sealed: fine for those.
    let read: Vec<LogEntry> = entries
        .iter()
        .filter_map(|(_, e)| e.as_ref().ok().and_then(|e| e.as_ref()))
        .map(|(e, _)| e.clone())
        .collect();
    let collected = roles::collected_in(&read);
    let collected_after = |v: &VersionId, seq: u64| collected.get(v).is_some_and(|gc| *gc > seq);
    let mut state = State::default();
    let mut prev: Option<String> = None;
    for (seq, e) in entries {
        let (e, sum) = match e {
            Ok(Some(x)) => x,
            Ok(None) => {
                problems.push(problem("log", seq, "missing: the log has a gap"));
                prev = None;
                continue;
            }
            Err(err) => {
                problems.push(problem("log", seq, err));
                prev = None;
                continue;
            }
        };
        if seq > 1 && prev.is_some() && e.prev != prev {
            problems.push(problem(
                "log",
                seq,
                "prev does not match the checksum of the entry before (edited?)",
            ));
        }
        if e.from != state.version {
            problems.push(problem(
                "log",
                seq,
                format!(
                    "from {:?} but the pointer was at {:?}",
                    e.from, state.version
                ),
            ));
        }
        let mut expected = state.after(&e);
        if let Some(x) = expected.as_mut().filter(|_| e.state.moved_at_seq.is_none()) {
            // Entries written before moved_at_seq existed.
            x.moved_at_seq = None;
        }
        if let Some(x) = expected.as_mut().filter(|_| e.state.collecting.is_none()) {
            // Entries written before gc entries were carried in the state.
            x.collecting = None;
        }
        if expected.as_ref() != Some(&e.state) {
            problems.push(problem(
                "log",
                seq,
                "recorded state does not follow from the previous one",
            ));
        }
        // The rules an entry puts in force must exist with their checksum.
        if let Some(r) = &e.rules
            && let Err(err) = crate::ops::rules::read(ds, r).await
        {
            problems.push(problem("rules", seq, err));
        }
        if let Some(to) = &e.to {
            match ds.sealed(to).await {
                Ok(Some(s)) => {
                    if e.manifest_checksum
                        .as_deref()
                        .is_some_and(|c| c != s.checksum)
                    {
                        problems.push(problem(
                            "version",
                            to,
                            format!("manifest changed since entry {seq} recorded it"),
                        ));
                    }
                }
                Ok(None) if collected_after(to, seq) => {}
                Ok(None) => problems.push(problem(
                    "log",
                    seq,
                    format!("names {to}, which is not sealed"),
                )),
                Err(err) => problems.push(problem("version", to, err)),
            }
        }
        state = e.state.clone();
        prev = Some(sum);
    }

    // 3. Every version and its files.
    let ids = ds.version_ids().await?;
    let mut unsealed = Vec::new();
    let mut sealed = Vec::new();
    for id in &ids {
        match ds.sealed(id).await {
            Ok(Some(s)) => sealed.push((id.clone(), s)),
            // A collected version's folder may still hold files later versions refer to.
            Ok(None) if collected.contains_key(id) => {}
            Ok(None) => {
                // Not an empty "folder" some S3 servers keep after a gc.
                if !ds
                    .store
                    .list(&ds.layout.version_prefix(id))
                    .await?
                    .is_empty()
                {
                    unsealed.push(id.to_string());
                }
            }
            Err(e) => problems.push(problem("version", id, e)),
        }
    }
    // Each file once, though many versions may list it (carried-forward partitions).
    let mut seen = std::collections::BTreeSet::new();
    let files: Vec<(VersionId, manifest::FileEntry)> = sealed
        .iter()
        .flat_map(|(id, s)| {
            s.manifest
                .files
                .iter()
                .map(move |f| (id.clone(), f.clone()))
        })
        .filter(|(_, f)| seen.insert(f.path.clone()))
        .collect();
    let checks: Vec<(VersionId, String, u64, Option<String>)> = futures::stream::iter(files)
        .map(|(id, f)| async move {
            let why = verify_file(ds, &f).await;
            Ok::<_, Error>((id, f.path, f.size, why))
        })
        .buffer_unordered(4)
        .try_collect()
        .await?;
    let files_verified = checks.len();
    let bytes_verified = checks.iter().map(|c| c.2).sum();
    for (id, path, _, why) in checks {
        if let Some(why) = why {
            problems.push(problem("file", format!("{id}: {path}"), why));
        }
    }

    // 4. Stray objects in sealed versions' data folders.
    let listed: std::collections::BTreeSet<object_store::path::Path> = sealed
        .iter()
        .flat_map(|(_, s)| s.manifest.files.iter())
        .filter_map(|f| ds.layout.resolve(&f.path).ok())
        .collect();
    for (id, _) in &sealed {
        let data = ds.layout.version_prefix(id).join("data");
        for o in ds.store.list(&data).await? {
            if listed.contains(&o.location) {
                continue;
            }
            let subject = o
                .location
                .as_ref()
                .strip_prefix(ds.layout.prefix().as_ref())
                .unwrap_or(o.location.as_ref())
                .trim_start_matches('/')
                .to_string();
            if repair {
                ds.store.delete(&o.location).await?;
                repaired.push(format!("stray object deleted: {subject}"));
            } else {
                problems.push(problem(
                    "stray",
                    subject,
                    format!(
                        "in sealed version {id}'s folder but listed by no manifest (left by a losing writer of the same id); `lastgood doctor --repair` deletes it"
                    ),
                ));
            }
        }
    }

    // 5. The pointer file.
    if let Some(entry) = head.entry.as_ref().filter(|e| e.state.version.is_some()) {
        let (stale, ahead) = match ds.store.get(&ds.layout.pointer_file()).await? {
            None => (Some("missing".to_string()), false),
            Some(b) => match PointerFile::parse(&b, ds.name()) {
                Err(e) => (Some(e.to_string()), false),
                Ok(p) if p.seq != entry.seq || Some(&p.version) != entry.state.version.as_ref() => {
                    (
                        Some(format!(
                            "names {} (entry {}) but the log's head is entry {}",
                            p.version, p.seq, entry.seq
                        )),
                        p.seq > entry.seq,
                    )
                }
                // A copy or mirror: consumers following its urls read the original (or nothing,
                // once it is deleted).
                Ok(p) => (p.elsewhere(ds), false),
            },
        };
        match stale {
            // Past the log: entries were lost; moving consumers back is never a repair.
            Some(why) if ahead => problems.push(problem(
                "pointer_file",
                "pointer.json",
                format!("{why}: the log lost its newest entries (deleted?); not repaired"),
            )),
            // From the head as it is now, not as it was when doctor started: a move that landed
            // meanwhile is never undone.
            Some(why) if repair => match pointer::sync_pointer_file(ds, &head).await {
                Ok(()) => repaired.push(format!(
                    "pointer file rewritten from the log's head ({why})"
                )),
                Err(e) => problems.push(problem("pointer_file", "pointer.json", e)),
            },
            Some(why) => problems.push(problem(
                "pointer_file",
                "pointer.json",
                format!("{why}; `lastgood doctor --repair` rewrites it"),
            )),
            None => {}
        }
    }

    // 6. The Delta projection.
    let (findings, fixed) = crate::delta::check(ds, head.seq, repair).await?;
    problems.extend(
        findings
            .into_iter()
            .map(|f| problem("delta", f.subject, f.message)),
    );
    repaired.extend(fixed);

    Ok(DoctorReport {
        dataset: ds.name().to_string(),
        ok: problems.is_empty(),
        log_entries: head.seq,
        versions_sealed: sealed.len(),
        versions_unsealed: unsealed,
        files_verified,
        bytes_verified,
        problems,
        repaired,
    })
}

/// Why a manifest's file does not verify, if it does not.
async fn verify_file(ds: &Dataset, f: &manifest::FileEntry) -> Option<String> {
    let path = match ds.layout.resolve(&f.path) {
        Ok(p) => p,
        Err(e) => return Some(e.to_string()),
    };
    // Streamed through the hasher: doctor's memory does not grow with the files' sizes.
    match ds.store.checksum(&path).await {
        Err(e) => Some(e.to_string()),
        Ok(None) => Some("missing".into()),
        Ok(Some((size, _))) if size != f.size => {
            Some(format!("{size} bytes, the manifest says {}", f.size))
        }
        Ok(Some((_, sum))) => {
            (sum != f.checksum).then(|| format!("checksum {sum}, the manifest says {}", f.checksum))
        }
    }
}
