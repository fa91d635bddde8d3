//! What gates found: one [`GateResult`] per gate and column, gathered in a [`Report`].

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::gates::Severity;

pub const FORMAT: &str = "lastgood.gate-report";
pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Pass,
    Fail,
    /// Not evaluated, with the reason in `message` (no baseline, nothing to compare).
    Skipped,
    /// Could not be evaluated (unknown column, wrong type): blocks like a failure.
    Error,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GateResult {
    pub name: String,
    pub kind: String,
    pub column: Option<String>,
    pub severity: Severity,
    pub outcome: Outcome,
    /// False for a failure or an error, whatever the severity.
    pub passed: bool,
    /// What was measured (a number, or an object for several numbers).
    pub observed: Value,
    /// The limits it was held to.
    pub threshold: Value,
    /// One line for people.
    pub message: String,
    /// Kind-specific facts: for ks `statistic`, `p_value`, `n_candidate`, `n_baseline`,
    /// `location`, `method`; for null_rate the counts and how each was obtained.
    #[serde(flatten)]
    pub details: Map<String, Value>,
}

impl GateResult {
    pub fn new(name: &str, kind: &str, column: Option<&str>, severity: Severity) -> Self {
        GateResult {
            name: name.to_string(),
            kind: kind.to_string(),
            column: column.map(str::to_string),
            severity,
            outcome: Outcome::Pass,
            passed: true,
            observed: Value::Null,
            threshold: Value::Null,
            message: String::new(),
            details: Map::new(),
        }
    }

    pub fn outcome(mut self, outcome: Outcome, message: impl Into<String>) -> Self {
        self.outcome = outcome;
        self.passed = matches!(outcome, Outcome::Pass | Outcome::Skipped);
        self.message = message.into();
        self
    }

    pub fn observed(mut self, v: impl Into<Value>) -> Self {
        self.observed = v.into();
        self
    }

    pub fn threshold(mut self, v: impl Into<Value>) -> Self {
        self.threshold = v.into();
        self
    }

    pub fn detail(mut self, k: &str, v: impl Into<Value>) -> Self {
        self.details.insert(k.to_string(), v.into());
        self
    }

    /// Details that only draw charts (ECDF points, category shares): most of a report's bytes.
    pub const CHART_DETAILS: [&str; 3] = ["ecdf", "shares", "baseline_shares"];

    /// The result without its chart points: what `publish --json` and `validate --json` print
    /// (`report --json` and `--charts` keep them).
    pub fn without_charts(mut self) -> Self {
        for k in Self::CHART_DETAILS {
            self.details.remove(k);
        }
        self
    }

    /// Whether this result blocks promotion.
    pub fn blocks(&self) -> bool {
        !self.passed && self.severity == Severity::Fail
    }
}

/// A gate run: `versions/<id>/reports/<time>-<purpose>.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub format: String,
    pub format_version: u32,
    pub dataset: String,
    pub version: String,
    /// The version judged against (the pointer's target); none on a first publish.
    pub baseline: Option<String>,
    /// No fail-severity gate failed or errored.
    pub passed: bool,
    /// `publish` or `validate`.
    pub purpose: String,
    pub at: DateTime<Utc>,
    pub actor: String,
    /// Where the gates came from: `{"source": path or "defaults", "checksum", "gates": [...]}`.
    pub validations: Value,
    /// The contract schema the candidate was checked against: `{"path", "checksum"}`.
    pub contract: Option<Value>,
    /// For a partitioned publish, which partitions were compared:
    /// `{"compare", "candidate": [..], "baseline": [..], "why"}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<Value>,
    pub gates: Vec<GateResult>,
    pub duration_ms: u64,
}

impl Report {
    pub fn failed(&self) -> Vec<&GateResult> {
        self.gates.iter().filter(|g| g.blocks()).collect()
    }

    /// The short verdict a log entry carries.
    pub fn verdict(&self, report_path: &str) -> Verdict {
        let names = |pred: &dyn Fn(&GateResult) -> bool| {
            let mut v: Vec<String> = self.gates.iter().filter(|g| pred(g)).map(label).collect();
            v.dedup();
            v
        };
        Verdict {
            passed: self.passed,
            baseline: self.baseline.clone(),
            report: report_path.to_string(),
            failed: names(&|g| g.blocks()),
            warned: names(&|g| !g.passed && g.severity == Severity::Warn),
        }
    }

    pub fn to_bytes(&self) -> bytes::Bytes {
        let mut v = serde_json::to_vec_pretty(self).expect("report serializes");
        v.push(b'\n');
        v.into()
    }
}

/// `name` or `name(column)`.
pub fn label(g: &GateResult) -> String {
    match &g.column {
        Some(c) => format!("{}({c})", g.name),
        None => g.name.clone(),
    }
}

/// The verdict recorded in the pointer log entry that promotes a version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    pub passed: bool,
    pub baseline: Option<String>,
    /// Dataset-relative path of the full report.
    pub report: String,
    pub failed: Vec<String>,
    pub warned: Vec<String>,
}
