//! The read pointer: an append-only, numbered log of moves, and the pointer file consumers read.
//!
//! Moving the pointer:
//! 1. Read the head: the pointer file's `seq` is a hint; the log entry at the hint is read and the
//!    next position probed (galloping forward, then bisecting, if the hint is stale or missing).
//! 2. Decide from the head's [`State`] alone: policy (reverted, expected current version) is checked
//!    here, and a refusal changes nothing.
//! 3. Write the entry at `head + 1` create-if-absent. Exactly one writer wins each position; a loser
//!    starts again from 1 when its decision still holds on the new head, or reports a conflict.
//! 4. Rewrite the pointer file from the entry and the target's manifest, then check the next
//!    position once more, so a slower writer never leaves an older pointer file behind.

mod entry;
mod file;
pub mod lifecycle;
mod log;

pub use entry::{Action, Collecting, Frozen, KNOWN_GOOD_DEPTH, LogEntry, State};
pub use file::{PointerFile, PointerFileEntry};
pub use log::{
    Head, Move, commit, history, left_behind, read_entry, read_existing_head, read_head, scan_head,
    sync_pointer_file,
};
