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

use crate::gates::{Facts, GateSpec, Severity};
use crate::partition::Scope;

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
    /// The slice's rows in the candidate and (when there is a baseline) in the baseline. Named
    /// apart from the kinds' own `rows`, which sit beside them.
    #[serde(rename = "slice_rows")]
    pub rows: u64,
    #[serde(rename = "baseline_slice_rows")]
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

    /// What was measured (a number, or an object for several numbers), as JSON: for displays
    /// that show every kind alike.
    pub fn observed(&self) -> Value {
        self.facts.observed_json()
    }

    /// The limits it was held to, as JSON.
    pub fn threshold(&self) -> Value {
        self.facts.threshold_json()
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
    /// Where the gates came from.
    pub validations: ValidationsRecord,
    /// The contract schema the candidate was checked against.
    pub contract: Option<ContractRecord>,
    /// For a partitioned publish, which partitions were compared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<Scope>,
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

// The report's records of what judged it. Their fields are in alphabetical order: the order the
// reports have always had them in (they were written through `serde_json::json!`, whose objects
// sort their keys), so the bytes stay the same.

/// Where a run's gates came from (the report's `validations`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValidationsRecord {
    /// `blake3:` of the validations file's bytes (or the rules' checksum); null for the defaults.
    pub checksum: Option<String>,
    /// Each gate's configuration, as in the validations file.
    pub gates: Vec<RecordedGate>,
    /// The validations file's path, `rules/<hex>.json`, or `defaults`.
    pub source: String,
}

/// One gate's configuration as a report records it. Serialized with its keys sorted, as reports
/// have always written it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum RecordedGate {
    Spec(Box<GateSpec>),
    /// A configuration this binary cannot read as a gate (the first reports nested each gate's
    /// kind in an object of its own; a kind's setting since renamed), kept as written: a report is
    /// evidence and stays readable whatever became of the settings it records.
    Unread(Map<String, Value>),
}

impl Serialize for RecordedGate {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            // Through `Value`, whose objects sort their keys.
            RecordedGate::Spec(g) => serde_json::to_value(g)
                .map_err(serde::ser::Error::custom)?
                .serialize(s),
            RecordedGate::Unread(m) => m.serialize(s),
        }
    }
}

impl ValidationsRecord {
    pub fn new(v: &crate::gates::Validations) -> Self {
        ValidationsRecord {
            checksum: v.checksum.clone(),
            gates: v
                .gates
                .iter()
                .map(|g| RecordedGate::Spec(Box::new(g.clone())))
                .collect(),
            source: v
                .source
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "defaults".into()),
        }
    }
}

/// The contract a run checked the candidate against (the report's `contract`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContractRecord {
    /// `blake3:` of the contract file's bytes (or the rules' checksum).
    pub checksum: String,
    /// The contract file's path (or `rules/<hex>.json`).
    pub path: String,
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

/// A result for a gate that could not run at all.
pub(crate) fn error_result(
    spec: &crate::gates::GateSpec,
    column: Option<&str>,
    e: impl std::fmt::Display,
) -> GateResult {
    GateResult::new(&spec.name, column, spec.severity, spec.kind.empty_facts())
        .outcome(Outcome::Error, e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A report as the code before typed facts wrote it (every kind, a skipped, an error, the
    /// contract): it reads into the typed records and writes back the same JSON.
    #[test]
    fn reports_written_before_typed_facts_still_read() {
        let gates = json!([
            {"name": "schema", "kind": "schema", "column": null, "severity": "fail", "outcome": "pass",
             "passed": true, "observed": {"problems": [], "added": ["x"]},
             "threshold": {"additive": true, "widening": false}, "message": "added x", "against": "baseline"},
            {"name": "null_rate", "kind": "null_rate", "column": "score", "severity": "fail",
             "outcome": "fail", "passed": false, "observed": 0.3,
             "threshold": {"max_rate": null, "max_increase_pp": 5.0, "max_nan_rate": null, "max_nan_increase_pp": null},
             "message": "null rate 0.00% -> 30.00%", "null_count": 30, "rows": 100, "null_rate": 0.3,
             "null_count_source": "footer", "baseline_null_count": 0, "baseline_null_rate": 0.0,
             "baseline_null_count_source": "footer", "nan_count": null, "baseline_nan_count": 0,
             "nan_count_source": "scan"},
            {"name": "null_rate", "kind": "null_rate", "column": "id", "severity": "fail",
             "outcome": "pass", "passed": true, "observed": 0.0,
             "threshold": {"max_rate": null, "max_increase_pp": 5.0, "max_nan_rate": null, "max_nan_increase_pp": null},
             "message": "null rate 0.00%", "null_count": 0, "rows": 100, "null_rate": 0.0,
             "null_count_source": "footer", "baseline_null_count": null, "baseline_null_rate": null,
             "baseline_null_count_source": null},
            {"name": "ks", "kind": "ks", "column": "score", "severity": "fail", "outcome": "pass",
             "passed": true, "observed": {"statistic": 0.01, "p_value": 0.9},
             "threshold": {"max_statistic": 0.1, "min_p_value": 0.001}, "message": "D=0.0100",
             "statistic": 0.01, "p_value": 0.9, "n_candidate": 100, "n_baseline": 90, "location": 0.5,
             "ecdf": {"candidate": [[0.0, 0.5], [1.0, 1.0]], "baseline": [[0.0, 1.0]]}, "scans": 1,
             "method": "exact"},
            {"name": "ks", "kind": "ks", "column": "tenure", "severity": "fail", "outcome": "skipped",
             "passed": true, "observed": null,
             "threshold": {"max_statistic": 0.1, "min_p_value": 0.001}, "message": "no baseline: first publish"},
            {"name": "ks", "kind": "ks", "column": "label", "severity": "fail", "outcome": "error",
             "passed": false, "observed": null, "threshold": null, "message": "label is Utf8, not numeric"},
            {"name": "segments", "kind": "distribution", "column": "segment", "severity": "warn",
             "outcome": "pass", "passed": true, "observed": {"max_change": 0.01, "psi": 0.001},
             "threshold": {"max_change": 0.05, "max_psi": null}, "message": "max change 1.00 points (a)",
             "max_change": 0.01, "psi": 0.001, "most_changed": "a", "new_categories": [],
             "vanished_categories": ["z"], "shares": {"a": 0.5, "b": 0.5}, "baseline_shares": {"a": 0.49, "b": 0.5, "z": 0.01}},
            {"name": "row_count", "kind": "row_count", "column": null, "severity": "fail",
             "outcome": "fail", "passed": false, "observed": 0,
             "threshold": {"min_ratio": 0.5, "max_ratio": 2.0, "allow_empty": false},
             "message": "zero rows", "rows": 0, "count_source": "manifest"},
            {"name": "in_range", "kind": "sql", "column": null, "severity": "fail", "outcome": "pass",
             "passed": true, "observed": true, "threshold": {"expect": true, "min": null, "max": null},
             "message": "got true", "query": "select true"},
            {"name": "contract", "kind": "schema", "column": null, "severity": "fail", "outcome": "pass",
             "passed": true, "observed": {"problems": []}, "threshold": {"contract": "c.json"},
             "message": "matches c.json", "against": "contract"}
        ]);
        let results: Vec<GateResult> = serde_json::from_value(gates.clone()).unwrap();
        assert_eq!(results.len(), 10);
        let Facts::Ks(ks) = &results[3].facts else {
            panic!("{:?}", results[3].facts)
        };
        assert_eq!(ks.test.as_ref().map(|t| t.n_baseline), Some(90));
        assert_eq!(results[7].observed(), json!(0.0));
        let back = serde_json::to_value(&results).unwrap();
        // The same JSON, but for `0` read as the float ratio it always was.
        let mut want = gates;
        want[7]["observed"] = json!(0.0);
        assert_eq!(back, want);
        let lean = |g: &GateResult| serde_json::to_value(g.clone().without_charts()).unwrap();
        assert!(lean(&results[3]).get("ecdf").is_none());
        assert!(lean(&results[6]).get("shares").is_none());
    }
}
