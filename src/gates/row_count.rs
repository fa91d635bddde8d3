//! The row_count gate: the candidate's rows over the baseline's within [min_ratio, max_ratio].

use serde::{Deserialize, Serialize};

use crate::gates::{Gate, GateResult, GateSpec, Outcome, Probe, Side};

/// Row count against the baseline's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RowCount {
    #[serde(default = "half")]
    pub min_ratio: f64,
    #[serde(default = "two")]
    pub max_ratio: f64,
    /// Zero rows pass.
    #[serde(default)]
    pub allow_empty: bool,
}

fn half() -> f64 {
    0.5
}
fn two() -> f64 {
    2.0
}

impl Default for RowCount {
    fn default() -> Self {
        RowCount {
            min_ratio: 0.5,
            max_ratio: 2.0,
            allow_empty: false,
        }
    }
}

/// The row_count gate's report: `observed` is the ratio (0 for an empty candidate).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RowCountFacts {
    pub observed: Option<f64>,
    pub threshold: Option<RowCountThreshold>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<u64>,
    /// `manifest` (or `scan` for a slice).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count_source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_rows: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RowCountThreshold {
    pub min_ratio: f64,
    pub max_ratio: f64,
    pub allow_empty: bool,
}

impl Gate for RowCount {
    const KIND: &'static str = "row_count";
    type Facts = RowCountFacts;

    async fn evaluate(&self, spec: &GateSpec, probe: &Probe<'_>) -> Vec<GateResult> {
        vec![self.check(spec, probe)]
    }

    fn badness(f: &RowCountFacts) -> Option<f64> {
        f.observed.map(|r| (r - 1.0).abs())
    }
}

impl RowCount {
    fn check(&self, spec: &GateSpec, probe: &Probe<'_>) -> GateResult {
        let rows = probe.rows(Side::Candidate).unwrap_or(0);
        let sealed = probe.side(Side::Candidate).is_some_and(|s| s.sealed.is_some());
        let mut facts = RowCountFacts {
            threshold: Some(RowCountThreshold {
                min_ratio: self.min_ratio,
                max_ratio: self.max_ratio,
                allow_empty: self.allow_empty,
            }),
            rows: Some(rows),
            count_source: Some(if sealed { "manifest" } else { "scan" }.into()),
            ..Default::default()
        };
        let result = |facts: RowCountFacts| GateResult::new(&spec.name, None, spec.severity, facts);
        if rows == 0 && !self.allow_empty {
            facts.observed = Some(0.0);
            return result(facts).outcome(Outcome::Fail, "zero rows (set allow_empty = true to allow)");
        }
        let Some(base) = probe.rows(Side::Baseline) else {
            return result(facts).outcome(
                Outcome::Skipped,
                format!("{rows} rows; no baseline to compare with"),
            );
        };
        facts.baseline_rows = Some(base);
        if base == 0 {
            return result(facts).outcome(
                Outcome::Skipped,
                format!("{rows} rows; the baseline has none"),
            );
        }
        let ratio = rows as f64 / base as f64;
        facts.observed = Some(ratio);
        let msg = format!("{rows} rows, {ratio:.3}x the baseline's {base}");
        if rows == 0 && self.allow_empty {
            return result(facts).outcome(Outcome::Pass, format!("{msg} (empty allowed)"));
        }
        if ratio < self.min_ratio || ratio > self.max_ratio {
            result(facts).outcome(
                Outcome::Fail,
                format!("{msg}: outside [{}, {}]", self.min_ratio, self.max_ratio),
            )
        } else {
            result(facts).outcome(Outcome::Pass, msg)
        }
    }
}
