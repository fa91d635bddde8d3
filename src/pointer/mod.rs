//! The read pointer: an append-only, numbered log of entries, the pointer file consumers read, and
//! the rules every entry obeys.
//!
//! - Reading the log (head discovery, entries, history) is [`crate::log`]'s, re-exported here.
//! - [`policy`]: the rules every move and mark obeys (frozen, reverted, forced, reason required,
//!   collected, the last-known-good, no rewind). Verbs decide with them.
//! - [`commit`]: the move procedure (decide on the head, check, create-if-absent at `head + 1`,
//!   retry on a lost position), and keeping `pointer.json` and the Delta projection in step.
//! - [`roles`]: what a version is (current, last-known-good, pinned, reverted, rejected, forced,
//!   collected, in flight…), computed once for `versions`, `show`, gc, doctor and the HTML report.
//! - [`outcome`]: what a move or mark did, the shape of the verbs' `--json`.
//!
//! The records themselves (entry, state, detail, pointer file) are [`crate::spec`]'s.
//!
//! Moving the pointer:
//! 1. Read the head: the pointer file's `seq` is a hint; the log entry at the hint is read and the
//!    next position probed (galloping forward, then bisecting, if the hint is stale or missing).
//! 2. Decide from the head's [`State`] alone, by [`policy`]; a refusal changes nothing.
//! 3. Write the entry at `head + 1` create-if-absent. Exactly one writer wins each position; a loser
//!    starts again from 1 when its decision still holds on the new head, or reports a conflict.
//! 4. Rewrite the pointer file from the entry and the target's manifest, then check the next
//!    position once more, so a slower writer never leaves an older pointer file behind.
//!
//! To add a pointer action: a variant of [`crate::spec::Action`] and its state transition
//! (`State::after` in [`crate::spec::log_entry`]); its detail type in [`crate::spec::detail`] if
//! it records one; its refusals in [`policy`]; a verb in `src/ops/` that calls [`commit()`] with
//! a `decide` built from them; and, if it changes what a version is, [`roles`].

pub mod commit;
mod file;
pub mod outcome;
pub mod policy;
pub mod roles;

pub use crate::log::{Head, history, read_entry, read_existing_head, read_head, scan_head};
pub use crate::spec::action::Action;
pub use crate::spec::detail::{Detail, GcDetail, PartitionRevertDetail, RevertedPartition};
pub use crate::spec::log_entry::LogEntry;
pub use crate::spec::state::{Collecting, Frozen, KNOWN_GOOD_DEPTH, State};
pub use crate::spec::verdict::Verdict;
pub use commit::{Move, commit, sync_pointer_file};
pub use file::{PointerFile, PointerFileEntry};
pub use outcome::{MarkOutcome, MoveOutcome};
pub use policy::left_behind;
