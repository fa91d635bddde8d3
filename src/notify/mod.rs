//! Announcing what lastgood did to the orchestrators that schedule around it: an Airflow asset
//! event for every pointer move ([`airflow`]) and an OpenLineage run per publish ([`openlineage`]).
//!
//! Why here and not in the DAG: Airflow marks an asset updated only when the task that produces it
//! succeeds, so an analyst's 2 a.m. `pointer revert` from a laptop would trigger nothing
//! downstream. The configuration is part of the dataset's rules (`notify` in
//! `[datasets.NAME]` of lastgood.toml, recorded on the store with the gates), so every writer on
//! every machine announces its moves. Secrets never go in the rules: they come from environment
//! variables (`LASTGOOD_AIRFLOW_TOKEN`, …).
//!
//! A notification never blocks or undoes a move:
//! 1. the move (or the publish) is done and its log entry written first;
//! 2. then each configured target is sent its event, each request bounded by a timeout;
//! 3. a failure becomes a [`Sent`] with `ok: false` (printed in `--json` as `notifications`, and
//!    as a warning on stderr), never an error: the exit code is the move's;
//! 4. `lastgood notify DATASET SEQ` sends again what history entry SEQ announced.

pub mod airflow;
pub mod openlineage;
pub mod sent;
pub mod settings;

pub use sent::{Sent, Target, skipped};
pub use settings::{AirflowSettings, Notify, OpenLineageSettings};

use crate::dataset::Dataset;
use crate::error::{Error, Result};
use crate::pointer::{self, LogEntry};

/// Announces history entry `seq` of `ds` to every target that takes it: a move (promote, set,
/// revert, partition revert) goes to Airflow as an asset event. Marks (freeze, pin, gc…) are not
/// announced.
pub async fn announce_entry(ds: &Dataset, notify: &Notify, seq: u64) -> Result<Vec<Sent>> {
    let Some(airflow) = &notify.airflow else {
        return Ok(Vec::new());
    };
    let entry = read_entry(ds, seq).await?;
    if !entry.action.moves() {
        return Ok(Vec::new());
    }
    Ok(vec![airflow::announce(ds, airflow, &entry).await])
}

/// The log entry at `seq`, or a one-line error naming the range.
pub async fn read_entry(ds: &Dataset, seq: u64) -> Result<LogEntry> {
    match pointer::read_entry(ds, seq).await? {
        Some((entry, _)) => Ok(entry),
        None => {
            let head = pointer::read_existing_head(ds).await?;
            Err(Error::NotFound(format!(
                "{} has no history entry #{seq} (the newest is #{})",
                ds.name(),
                head.entry.as_ref().map(|e| e.seq).unwrap_or(0)
            )))
        }
    }
}
