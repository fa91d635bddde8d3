//! The rules every entry obeys, in one place: what a move may do, what it records, and which
//! version a revert goes back to (SPEC.md, "Requirements for Writers", "Revert", "Lifecycle").
//! Verbs decide with these on each head they read; [`crate::pointer::commit`] checks the lifecycle
//! once more on the head it writes after.
//!
//! 1. **A reason** is required for `set`, `revert` (whole or partition), `freeze` and `rules set`
//!    ([`require_reason`]).
//! 2. **Frozen**: no `promote` and no `set` while the state is frozen (`--force` does not override
//!    it); reverts, marks and gc still work ([`frozen_refusal`], [`admit`]).
//! 3. **Reverted**: a version a revert moved away from is not moved to again without `--force`;
//!    forcing records `forced` and clears the mark ([`admit`]). Reverted *content* stays refused
//!    under any id, even after gc ([`reverted_content`]).
//! 4. **Failed gates**: `set` and `revert --to` to a version whose newest report failed need
//!    `--force`, recorded as `forced` ([`gates_failed`]).
//! 5. **Collected is final**: no move lands on a version the newest gc entry collects, or on one
//!    listing a file gc is deleting ([`check_move_target`]); no pin of one; a collected id is never
//!    sealed again ([`collected_ever`]).
//! 6. **The last-known-good**: a plain revert goes to `known_good[0]`, the newest version the
//!    pointer held that was not reverted ([`last_known_good`]).
//! 7. **No rewind**: a re-publish of content the pointer has left never moves it back
//!    ([`left_behind`]); `pointer set` does, on purpose.
//!
//! Architecture Invariant: verbs never test `state.frozen`, `state.reverted` or
//! `state.collecting` themselves for a refusal; they call these. A new pointer action adds its
//! rules here.

use futures::StreamExt;

use crate::dataset::{Dataset, Sealed};
use crate::error::{Error, Result};
use crate::log::{Head, history, read_entry};
use crate::names::VersionId;
use crate::spec::action::Action;
use crate::spec::log_entry::LogEntry;
use crate::spec::state::{KNOWN_GOOD_DEPTH, State};

/// Rule 1: `--reason` must say something.
pub fn require_reason(reason: &str) -> Result<()> {
    if reason.trim().is_empty() {
        return Err(Error::input(
            "--reason is required and must not be empty: say why the pointer moves",
        ));
    }
    Ok(())
}

/// Rule 2: the refusal for a promotion while frozen, if frozen.
pub fn frozen_refusal(ds: &Dataset, state: &State) -> Option<String> {
    state.frozen.as_ref().map(|f| {
        format!(
            "dataset {} is frozen since {} by {} ({}); `lastgood unfreeze {}` first",
            ds.name(),
            f.at.format("%Y-%m-%d %H:%M UTC"),
            f.actor,
            f.reason,
            ds.name()
        )
    })
}

/// Whether `action` is held back by a freeze: `promote` and `set`; a revert is what an operator
/// does while a frozen dataset is investigated.
pub fn frozen_out(action: Action) -> bool {
    matches!(action, Action::Promote | Action::Set)
}

/// Rules 2 and 3 for a move of `action` to `to`, decided on `state`: refused when frozen (for
/// promote and set) or when `to` was reverted and there is no `force`. Returns whether the move
/// overrides a revert (the entry is then `forced`).
pub fn admit(
    ds: &Dataset,
    state: &State,
    action: Action,
    to: &VersionId,
    force: bool,
) -> Result<bool> {
    if frozen_out(action)
        && let Some(why) = frozen_refusal(ds, state)
    {
        return Err(Error::Refused(why));
    }
    let reverted = state.is_reverted(to);
    if reverted && !force {
        let name = ds.name();
        return Err(Error::Refused(match action {
            Action::Promote => format!(
                "version {to} of {name} was reverted before; pass --force with --reason to promote it again"
            ),
            Action::Revert => {
                format!("version {to} of {name} was reverted too; pass --force to use it")
            }
            _ => format!("version {to} of {name} was reverted; pass --force to point at it again"),
        }));
    }
    Ok(reverted)
}

/// Rule 3, for content: the version the content marker names, when it was reverted; refused
/// unless `force`. Returns whether the content was reverted (a promotion is then `forced`).
pub fn reverted_content(
    ds: &Dataset,
    state: &State,
    marked: Option<&VersionId>,
    force: bool,
) -> Result<bool> {
    match marked.filter(|x| state.is_reverted(x)) {
        Some(x) if !force => Err(Error::Refused(format!(
            "this content was reverted as version {x} of {}; pass --force with --reason to publish it again",
            ds.name()
        ))),
        Some(_) => Ok(true),
        None => Ok(false),
    }
}

/// Rule 4: whether the newest gate report on `v` failed; refused unless `force`.
pub async fn gates_failed(ds: &Dataset, v: &VersionId, force: bool) -> Result<bool> {
    match crate::gates::latest_report(ds, v).await? {
        Some(r) if !r.passed => {
            if !force {
                let failed: Vec<String> = r
                    .failed()
                    .iter()
                    .map(|g| crate::gates::report_label(g))
                    .collect();
                return Err(Error::Refused(format!(
                    "version {v} of {} failed its gates ({}); pass --force with --reason to point at it anyway",
                    ds.name(),
                    failed.join(", ")
                )));
            }
            Ok(true)
        }
        _ => Ok(false),
    }
}

/// Rule 5: refuses a move onto `target` when the newest gc entry collects it, or deletes a file
/// it lists (a partition revert `--to` a collected version, a version carrying files of one).
pub async fn check_move_target(ds: &Dataset, state: &State, target: &Sealed) -> Result<()> {
    let Some(c) = &state.collecting else {
        return Ok(());
    };
    let v = &target.manifest.version;
    if c.versions.contains(v) {
        return Err(collected_error(ds, v, c.seq));
    }
    let folders: Vec<String> = c
        .versions
        .iter()
        .map(|d| format!("versions/{d}/"))
        .collect();
    let at_risk: Vec<&str> = target
        .manifest
        .files
        .iter()
        .map(|f| f.path.as_str())
        .filter(|p| folders.iter().any(|f| p.starts_with(f.as_str())))
        .collect();
    if at_risk.is_empty() {
        return Ok(());
    }
    let kept = match read_entry(ds, c.seq).await? {
        Some((e, _)) => e.kept_files(),
        None => Vec::new(),
    };
    match at_risk.iter().find(|p| !kept.iter().any(|k| k == *p)) {
        Some(p) => Err(Error::Refused(format!(
            "version {v} of {} lists {p}, a file of a version gc collects (history #{}): the pointer never moves to a version whose files are being deleted; publish the files again",
            ds.name(),
            c.seq
        ))),
        None => Ok(()),
    }
}

/// Rule 5: a version the newest gc entry collects is refused (a pin, a partition revert's source).
pub fn refuse_collected(ds: &Dataset, state: &State, v: &VersionId) -> Result<()> {
    match state.collected_by(v) {
        Some(seq) => Err(collected_error(ds, v, seq)),
        None => Ok(()),
    }
}

/// The refusal for a version a gc entry collected.
pub fn collected_error(ds: &Dataset, v: &VersionId, seq: u64) -> Error {
    Error::Refused(format!(
        "version {v} of {} was collected by gc (history #{seq}): a collected version is never pointed at or sealed again; publish its files again for a new version",
        ds.name()
    ))
}

/// Rule 5: the gc entry that collected `v`, looking through the whole history: for an id chosen by
/// hand (`publish --version`), which must never seal a collected id again.
pub async fn collected_ever(ds: &Dataset, state: &State, v: &VersionId) -> Result<Option<u64>> {
    if let Some(seq) = state.collected_by(v) {
        return Ok(Some(seq));
    }
    if state.collecting.is_none() {
        // No gc ever ran on this dataset.
        return Ok(None);
    }
    Ok(history(ds, None)
        .await?
        .iter()
        .find(|e| e.deleted().contains(v))
        .map(|e| e.seq))
}

/// The refusal for a revert of a pointer that never moved.
pub fn nothing_to_revert(ds: &Dataset) -> Error {
    Error::Refused(format!(
        "nothing to revert: the pointer of {} has never moved",
        ds.name()
    ))
}

/// Rule 6: where a plain revert of `bad` goes: the last-known-good.
pub fn last_known_good(ds: &Dataset, state: &State, bad: &VersionId) -> Result<VersionId> {
    state.last_known_good().cloned().ok_or_else(|| {
        Error::Refused(format!(
            "nothing to revert to: {bad} is the only version of {} not reverted that the pointer has held",
            ds.name()
        ))
    })
}

/// Rule 7: whether the pointer held `v` before and has since left it for another version (not
/// reverted: a reverted version has its own refusal). The state remembers the newest
/// [`KNOWN_GOOD_DEPTH`] such versions; when that list is full, older moves are looked up in the
/// log itself.
pub async fn left_behind(ds: &Dataset, head: &Head, v: &VersionId) -> Result<bool> {
    let state = head.state();
    if state.version.as_ref() == Some(v) || state.is_reverted(v) {
        return Ok(false);
    }
    if state.known_good.contains(v) {
        return Ok(true);
    }
    if state.known_good.len() < KNOWN_GOOD_DEPTH {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::names::DatasetName;
    use crate::store::Store;

    fn v(s: &str) -> VersionId {
        VersionId::new(s).unwrap()
    }

    fn ds() -> Dataset {
        Dataset::new(Store::memory(), DatasetName::new("churn").unwrap())
    }

    #[test]
    fn moves_obey_freeze_and_reverts() {
        let ds = ds();
        let mut s = State::default()
            .moved(Action::Promote, &v("v1"))
            .moved(Action::Promote, &v("v2"))
            .moved(Action::Revert, &v("v1"));
        // A reverted target: refused unless forced, and then the move is forced.
        for a in [Action::Promote, Action::Set, Action::Revert] {
            let e = admit(&ds, &s, a, &v("v2"), false).unwrap_err();
            assert_eq!(e.exit_code(), 4, "{a}");
            assert!(e.to_string().contains("was reverted"), "{e}");
            assert!(admit(&ds, &s, a, &v("v2"), true).unwrap(), "{a}");
            assert!(!admit(&ds, &s, a, &v("v3"), false).unwrap(), "{a}");
        }
        // Frozen: no promote and no set, even forced; a revert still goes.
        s.frozen = Some(crate::spec::state::Frozen {
            reason: "incident".into(),
            actor: "ana".into(),
            at: chrono::Utc::now(),
        });
        for a in [Action::Promote, Action::Set] {
            let e = admit(&ds, &s, a, &v("v3"), true).unwrap_err();
            assert!(e.to_string().contains("is frozen"), "{e}");
        }
        assert!(admit(&ds, &s, Action::Revert, &v("v3"), false).is_ok());
        // Reverted content, under any id.
        assert_eq!(
            reverted_content(&ds, &s, Some(&v("v2")), false)
                .unwrap_err()
                .exit_code(),
            4
        );
        assert!(reverted_content(&ds, &s, Some(&v("v2")), true).unwrap());
        assert!(!reverted_content(&ds, &s, Some(&v("v1")), false).unwrap());
    }

    #[test]
    fn reasons_and_the_last_known_good() {
        assert_eq!(require_reason("  ").unwrap_err().exit_code(), 2);
        require_reason("bad night").unwrap();
        let ds = ds();
        let s = State::default().moved(Action::Promote, &v("v1"));
        assert_eq!(
            last_known_good(&ds, &s, &v("v1")).unwrap_err().exit_code(),
            4
        );
        let s = s.moved(Action::Promote, &v("v2"));
        assert_eq!(last_known_good(&ds, &s, &v("v2")).unwrap(), v("v1"));
        let mut s = s;
        s.collecting = Some(crate::spec::state::Collecting {
            seq: 3,
            versions: vec![v("v1")],
        });
        assert_eq!(
            refuse_collected(&ds, &s, &v("v1")).unwrap_err().exit_code(),
            4
        );
        refuse_collected(&ds, &s, &v("v2")).unwrap();
    }
}
