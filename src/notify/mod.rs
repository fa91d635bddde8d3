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

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::dataset::Dataset;
use crate::error::{Error, Result};
use crate::pointer::{self, LogEntry};

/// Where a dataset's moves and publishes are announced: `[datasets.NAME.notify.airflow]` and
/// `[datasets.NAME.notify.openlineage]` in lastgood.toml.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notify {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub airflow: Option<airflow::Config>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub openlineage: Option<openlineage::Config>,
}

impl Notify {
    /// Checks the settings a writer brings (one line naming the problem, exit 2).
    pub fn check(&self) -> Result<()> {
        if let Some(a) = &self.airflow {
            a.check()?;
        }
        if let Some(o) = &self.openlineage {
            o.check()?;
        }
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.airflow.is_none() && self.openlineage.is_none()
    }
}

/// Which orchestrator a notification went to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    Airflow,
    Openlineage,
}

/// One notification sent (or not): an element of `notifications` in `--json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sent {
    pub target: Target,
    /// `asset_event` for Airflow; the OpenLineage event type (`START`, `COMPLETE`, `FAIL`, `ABORT`).
    pub event: String,
    /// Where it went: the endpoint's URL, or the file events are appended to.
    pub to: String,
    pub ok: bool,
    /// The history entry announced (Airflow), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    /// The OpenLineage run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
    /// Why it failed, one line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Sent {
    /// The warning a failed notification prints on stderr (without the `lastgood: ` prefix).
    pub fn warning(&self, dataset: &str) -> Option<String> {
        let why = self.error.as_deref()?;
        let again = match self.seq {
            Some(seq) => format!("; send it again with `lastgood notify {dataset} {seq}`"),
            None => String::new(),
        };
        let target = match self.target {
            Target::Airflow => "Airflow",
            Target::Openlineage => "OpenLineage",
        };
        Some(format!(
            "warning: the {target} {} for {dataset} was not sent ({why}); the pointer move stands{again}",
            self.event
        ))
    }
}

/// Targets this process must not announce to: `LASTGOOD_NOTIFY_SKIP=airflow` (or `openlineage`,
/// or both, comma-separated), e.g. in an Airflow task whose `outlets` already record the asset
/// event. `lastgood notify` sends regardless.
pub fn skipped(target: Target) -> bool {
    let name = match target {
        Target::Airflow => "airflow",
        Target::Openlineage => "openlineage",
    };
    std::env::var("LASTGOOD_NOTIFY_SKIP").is_ok_and(|v| {
        v.split(',')
            .map(str::trim)
            .any(|t| t.eq_ignore_ascii_case(name) || t == "all")
    })
}

/// The HTTP client every target uses: bounded, so a dead orchestrator delays a move by at most
/// the timeout per request, never blocks it.
pub(crate) fn client(timeout_seconds: Option<u64>) -> std::result::Result<reqwest::Client, String> {
    let timeout = Duration::from_secs(timeout_seconds.unwrap_or(10).max(1));
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(5)))
        .user_agent(concat!("lastgood/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| format!("building the HTTP client: {e}"))
}

/// An error from reqwest as one line, with its cause (connection refused, timed out…).
pub(crate) fn http_error(e: &reqwest::Error) -> String {
    let mut msg = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        msg.push_str(&format!(": {s}"));
        src = s.source();
    }
    msg
}

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
