//! What every target shares: the record of one notification ([`Sent`]), the bounded HTTP client,
//! and the per-process switch (`LASTGOOD_NOTIFY_SKIP`).

use std::time::Duration;

use serde::{Deserialize, Serialize};

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
