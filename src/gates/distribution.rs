//! The distribution gate: category shares of a column against the baseline's.
//!
//! Shares are over non-null values. The L-infinity change is the largest absolute change of one
//! category's share; the population stability index is sum((c - b) * ln(c / b)) over all
//! categories, with shares floored at 1e-4 so a new or vanished category counts as a large but
//! finite shift.

use std::collections::BTreeMap;

use arrow::array::AsArray;
use arrow::datatypes::{DataType, Int64Type};
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::gates::probe::quote;
use crate::gates::run::error_result;
use crate::gates::{Gate, GateResult, GateSpec, Outcome, Probe, Side};

/// Category shares of a column against the baseline's.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Distribution {
    pub column: String,
    /// Fail when the largest absolute change of a category's share (L-infinity) is above this.
    pub max_change: Option<f64>,
    /// Fail when the population stability index is above this (0.1 watch, 0.25 act, by custom).
    pub max_psi: Option<f64>,
}

/// The distribution gate's report.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DistributionFacts {
    pub observed: Option<DistributionObserved>,
    pub threshold: Option<DistributionThreshold>,
    #[serde(flatten)]
    pub shift: Option<Shift>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DistributionObserved {
    pub max_change: f64,
    pub psi: f64,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DistributionThreshold {
    pub max_change: Option<f64>,
    pub max_psi: Option<f64>,
}

/// How the category shares moved.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Shift {
    pub max_change: f64,
    pub psi: f64,
    /// The category whose share moved most.
    pub most_changed: String,
    pub new_categories: Vec<String>,
    pub vanished_categories: Vec<String>,
    /// Shares of non-null values per category (charts only: dropped from `--json` unless asked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shares: Option<BTreeMap<String, f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_shares: Option<BTreeMap<String, f64>>,
}

impl Gate for Distribution {
    const KIND: &'static str = "distribution";
    type Facts = DistributionFacts;

    fn check_config(&self) -> std::result::Result<(), String> {
        if self.max_change.is_none() && self.max_psi.is_none() {
            return Err("set max_change or max_psi".into());
        }
        Ok(())
    }

    async fn evaluate(&self, spec: &GateSpec, probe: &Probe<'_>) -> Vec<GateResult> {
        check(spec, self, probe).await
    }

    fn strip_charts(f: &mut DistributionFacts) {
        if let Some(s) = &mut f.shift {
            s.shares = None;
            s.baseline_shares = None;
        }
    }

    fn badness(f: &DistributionFacts) -> Option<f64> {
        f.observed.as_ref().map(|o| o.psi)
    }
}

const FLOOR: f64 = 1e-4;

async fn shares(probe: &Probe<'_>, side: Side, column: &str) -> Result<BTreeMap<String, f64>> {
    let q = format!(
        "SELECT CAST({c} AS VARCHAR) AS k, CAST(count(*) AS BIGINT) AS n FROM {t} WHERE {c} IS NOT NULL GROUP BY 1",
        c = quote(column),
        t = side.table()
    );
    let mut counts = BTreeMap::new();
    for b in probe.sql(&q).await? {
        let k = arrow::compute::cast(b.column(0), &DataType::Utf8)
            .map_err(|e| crate::Error::input(e.to_string()))?;
        let k = k.as_string::<i32>();
        let n = b.column(1).as_primitive::<Int64Type>();
        for i in 0..b.num_rows() {
            counts.insert(k.value(i).to_string(), n.value(i) as f64);
        }
    }
    let total: f64 = counts.values().sum();
    if total > 0.0 {
        counts.values_mut().for_each(|v| *v /= total);
    }
    Ok(counts)
}

async fn check(spec: &GateSpec, g: &Distribution, probe: &Probe<'_>) -> Vec<GateResult> {
    let c = g.column.as_str();
    if probe.schema(Side::Candidate).field_with_name(c).is_err() {
        return vec![error_result(
            spec,
            Some(c),
            format!("no column {c:?} in the candidate"),
        )];
    }
    let mut facts = DistributionFacts {
        threshold: Some(DistributionThreshold {
            max_change: g.max_change,
            max_psi: g.max_psi,
        }),
        ..Default::default()
    };
    let r = GateResult::new(&spec.name, Some(c), spec.severity, facts.clone());
    if !probe.has_baseline() {
        return vec![r.outcome(Outcome::Skipped, "no baseline: first publish")];
    }
    if probe.schema(Side::Baseline).field_with_name(c).is_err() {
        return vec![r.outcome(Outcome::Skipped, format!("{c} is new: not in the baseline"))];
    }
    let (cand, base) = match (
        shares(probe, Side::Candidate, c).await,
        shares(probe, Side::Baseline, c).await,
    ) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return vec![error_result(spec, Some(c), e)],
    };
    let mut keys: Vec<&String> = cand.keys().chain(base.keys()).collect();
    keys.sort();
    keys.dedup();
    let (mut linf, mut psi, mut worst) = (0.0f64, 0.0f64, String::new());
    for k in &keys {
        let (p, q) = (
            cand.get(*k).copied().unwrap_or(0.0),
            base.get(*k).copied().unwrap_or(0.0),
        );
        if (p - q).abs() > linf {
            linf = (p - q).abs();
            worst = (*k).clone();
        }
        let (pf, qf) = (p.max(FLOOR), q.max(FLOOR));
        psi += (pf - qf) * (pf / qf).ln();
    }
    let new: Vec<&String> = cand.keys().filter(|k| !base.contains_key(*k)).collect();
    let vanished: Vec<&String> = base.keys().filter(|k| !cand.contains_key(*k)).collect();
    facts.observed = Some(DistributionObserved {
        max_change: linf,
        psi,
    });
    facts.shift = Some(Shift {
        max_change: linf,
        psi,
        most_changed: worst.clone(),
        new_categories: new.iter().map(|s| s.to_string()).collect(),
        vanished_categories: vanished.iter().map(|s| s.to_string()).collect(),
        shares: Some(cand.clone()),
        baseline_shares: Some(base.clone()),
    });
    let r = GateResult::new(&spec.name, Some(c), spec.severity, facts);
    let mut problems = Vec::new();
    if g.max_change.is_some_and(|m| linf > m) {
        problems.push(format!(
            "share of {worst:?} moved {:.2} points (max {:.2})",
            linf * 100.0,
            g.max_change.unwrap_or(0.0) * 100.0
        ));
    }
    if g.max_psi.is_some_and(|m| psi > m) {
        problems.push(format!("PSI {psi:.4} above {}", g.max_psi.unwrap_or(0.0)));
    }
    let mut msg = format!(
        "max change {:.2} points ({worst}), PSI {psi:.4}",
        linf * 100.0
    );
    if !new.is_empty() {
        msg.push_str(&format!(
            "; new: {}",
            new.iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if !vanished.is_empty() {
        msg.push_str(&format!(
            "; vanished: {}",
            vanished
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    vec![if problems.is_empty() {
        r.outcome(Outcome::Pass, msg)
    } else {
        r.outcome(Outcome::Fail, format!("{}; {msg}", problems.join("; ")))
    }]
}
