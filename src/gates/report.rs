//! What gates found: one [`GateResult`] per gate and column, gathered in a [`Report`].
//!
//! A result's observations and thresholds are typed per kind ([`Facts`], declared by each kind's
//! file) and serialized flat beside the common fields, so the JSON is
//! `{"name", "kind", "column", "severity", "outcome", "passed", "observed", "threshold",
//! "message", <the kind's other facts>}` as `schemas/gate-report.schema.json` describes; a sliced
//! gate adds `slices`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::gates::{Facts, Severity};

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
    /// `kind`, `observed`, `threshold` and the kind's other facts.
    #[serde(flatten)]
    pub facts: Facts,
    pub column: Option<String>,
    pub severity: Severity,
    pub outcome: Outcome,
    /// False for a failure or an error, whatever the severity.
    pub passed: bool,
    /// One line for people.
    pub message: String,
    /// A sliced gate (`by`): every slice's verdict, the worst first. The result's own outcome is
    /// the worst judged slice's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub slices: Vec<SliceResult>,
}

/// One slice of a sliced gate: the rows whose `by` columns hold these values, on both sides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SliceResult {
    /// The `by` columns' values (as text; null for a null value: nulls are a slice of their own).
    pub slice: BTreeMap<String, Option<String>>,
    /// The slice's rows in the candidate and (when there is a baseline) in the baseline.
    pub rows: u64,
    pub baseline_rows: Option<u64>,
    /// False when the slice is below `min_slice_rows`: reported, not judged.
    pub judged: bool,
    pub outcome: Outcome,
    pub passed: bool,
    pub message: String,
    #[serde(flatten)]
    pub facts: Facts,
}

impl SliceResult {
    /// `segment=a, region=null`.
    pub fn label(&self) -> String {
        self.slice
            .iter()
            .map(|(k, v)| format!("{k}={}", v.as_deref().unwrap_or("null")))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl GateResult {
    /// A result of `facts` (the kind comes with them); passing until [`GateResult::outcome`].
    pub fn new(
        name: &str,
        column: Option<&str>,
        severity: Severity,
        facts: impl Into<Facts>,
    ) -> Self {
        GateResult {
            name: name.to_string(),
            facts: facts.into(),
            column: column.map(str::to_string),
            severity,
            outcome: Outcome::Pass,
            passed: true,
            message: String::new(),
            slices: Vec::new(),
        }
    }

    pub fn outcome(mut self, outcome: Outcome, message: impl Into<String>) -> Self {
        self.outcome = outcome;
        self.passed = matches!(outcome, Outcome::Pass | Outcome::Skipped);
        self.message = message.into();
        self
    }

    /// The kind's name (`ks`, `null_rate`...).
    pub fn kind(&self) -> &'static str {
        self.facts.kind()
    }

    /// The facts as JSON, for generic rendering (the human table, `--json` consumers).
    fn facts_json(&self) -> Map<String, Value> {
        match serde_json::to_value(&self.facts) {
            Ok(Value::Object(m)) => m,
            _ => Map::new(),
        }
    }

    /// What was measured (a number, or an object for several numbers), as JSON.
    pub fn observed(&self) -> Value {
        self.facts_json().remove("observed").unwrap_or(Value::Null)
    }

    /// The limits it was held to, as JSON.
    pub fn threshold(&self) -> Value {
        self.facts_json().remove("threshold").unwrap_or(Value::Null)
    }

    /// The kind's other facts as JSON (for ks `statistic`, `p_value`, `n_candidate`...).
    pub fn details(&self) -> Map<String, Value> {
        let mut m = self.facts_json();
        for k in ["kind", "observed", "threshold"] {
            m.remove(k);
        }
        m
    }

    /// The result without its chart points: what `publish --json` and `validate --json` print
    /// (`report --json` and `--charts` keep them).
    pub fn without_charts(mut self) -> Self {
        self.facts.strip_charts();
        for s in &mut self.slices {
            s.facts.strip_charts();
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
