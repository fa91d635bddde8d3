//! The keyed gate: join the candidate and the baseline on a key and compare entity by entity
//! ([`crate::stats::keyed`]), exactly and within `LASTGOOD_MEMORY_LIMIT`.
//!
//! 1. Resolve the compared columns: the ones named, or every column on both sides of one kind
//!    (numeric or not) except the key, identifiers (`id`, `*_id`, `*_key`) and times and dates
//!    (they move every night by design).
//! 2. No baseline, or a baseline without rows: skipped. Otherwise one comparison reads the key and
//!    compared columns of both sides (in passes by a hash of the key when they do not fit).
//! 3. One result for the keys (`matched_share` against `min_matched_share`), then one per compared
//!    column: numeric columns against `max_moved_share`, `max_unchanged_share`, `min_spearman`,
//!    `min_pearson`, `max_mean_abs_change`; categorical ones against `max_changed_share`. Any
//!    threshold crossed fails the result; a threshold whose measure is undefined (no key compared,
//!    no finite pair, a constant side for a correlation) fails it too: nothing vouches for the data.

use arrow::datatypes::SchemaRef;
use datafusion::prelude::SessionContext;
use futures::StreamExt;
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::gates::probe::quote;
use crate::gates::run::error_result;
use crate::gates::{Gate, GateResult, GateSpec, Outcome, Probe, Side};
use crate::stats::keyed::{
    Batches, ColumnChange, Comparison, Keys, Request, Table, Tolerance, compare_tables,
};

/// A table of a DataFusion session as one side of a keyed comparison (the probe's `candidate` or
/// `baseline`, or any registered table).
pub struct SqlTable {
    ctx: SessionContext,
    name: String,
    schema: SchemaRef,
    rows: u64,
}

impl SqlTable {
    pub fn new(ctx: &SessionContext, name: &str, schema: SchemaRef, rows: u64) -> SqlTable {
        SqlTable {
            ctx: ctx.clone(),
            name: name.to_string(),
            schema,
            rows,
        }
    }

    /// One side of the probe (`None` when it has no such side).
    pub(crate) fn side(probe: &Probe<'_>, side: Side) -> Option<SqlTable> {
        let d = probe.side(side)?;
        Some(SqlTable::new(&probe.ctx, side.table(), d.schema.clone(), d.rows))
    }
}

impl Table for SqlTable {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn rows(&self) -> u64 {
        self.rows
    }

    fn scan(&self, columns: Vec<String>) -> BoxFuture<'static, Result<Batches>> {
        let (ctx, name) = (self.ctx.clone(), self.name.clone());
        Box::pin(async move {
            let what = format!("reading {} of {name}", columns.join(", "));
            let q = format!(
                "SELECT {} FROM {}",
                columns.iter().map(|c| quote(c)).collect::<Vec<_>>().join(", "),
                quote(&name)
            );
            let df = ctx
                .sql(&q)
                .await
                .map_err(|e| Error::datafusion(&what, e))?;
            let stream = df
                .execute_stream()
                .await
                .map_err(|e| Error::datafusion(&what, e))?;
            Ok(stream
                .map(move |b| b.map_err(|e| Error::datafusion(&what, e)))
                .boxed())
        })
    }
}

/// Compare the candidate with the baseline key by key.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Keyed {
    /// The key columns (integers or strings; several make a composite key).
    pub key: Vec<String>,
    /// Compared columns; by default every non-key column on both sides but identifiers and times.
    pub columns: Option<Vec<String>>,
    /// A numeric value moved when |c − b| > tolerance + relative_tolerance × |b| (default 0 each:
    /// any change).
    pub tolerance: Option<f64>,
    pub relative_tolerance: Option<f64>,
    /// Fail when fewer of the baseline's keys are in the candidate.
    pub min_matched_share: Option<f64>,
    /// Fail when more of the compared keys moved (numeric columns).
    pub max_moved_share: Option<f64>,
    /// Fail when more of the compared keys are exactly unchanged: yesterday's output re-published.
    pub max_unchanged_share: Option<f64>,
    pub min_spearman: Option<f64>,
    pub min_pearson: Option<f64>,
    pub max_mean_abs_change: Option<f64>,
    /// Fail when more of the compared keys changed value (categorical columns).
    pub max_changed_share: Option<f64>,
}

/// The keyed gate's report: the keys result carries `keys`, a column result its `change`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct KeyedFacts {
    pub observed: Option<KeyedObserved>,
    pub threshold: Option<Keyed>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keys: Option<Keys>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change: Option<ColumnChange>,
    /// Scans of each side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passes: Option<u32>,
}

/// The measures held to thresholds (those that apply to the result).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct KeyedObserved {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matched_share: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moved_share: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unchanged_share: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spearman: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pearson: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean_abs_change: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changed_share: Option<f64>,
}

impl Gate for Keyed {
    const KIND: &'static str = "keyed";
    type Facts = KeyedFacts;

    fn check_config(&self) -> Result<(), String> {
        if self.key.is_empty() {
            return Err("set key = [\"column\", ...]".into());
        }
        let t = [
            self.min_matched_share,
            self.max_moved_share,
            self.max_unchanged_share,
            self.min_spearman,
            self.min_pearson,
            self.max_mean_abs_change,
            self.max_changed_share,
        ];
        if t.iter().all(Option::is_none) {
            return Err("set at least one threshold (min_matched_share, max_moved_share, max_unchanged_share, min_spearman, min_pearson, max_mean_abs_change, max_changed_share)".into());
        }
        for (name, v) in [
            ("tolerance", self.tolerance),
            ("relative_tolerance", self.relative_tolerance),
        ] {
            if v.is_some_and(|v| !(v >= 0.0 && v.is_finite())) {
                return Err(format!("{name} must be a finite number >= 0"));
            }
        }
        Ok(())
    }

    async fn evaluate(&self, spec: &GateSpec, probe: &Probe<'_>) -> Vec<GateResult> {
        self.check(spec, probe).await
    }

    fn strip_charts(f: &mut KeyedFacts) {
        if let Some(ColumnChange::Numeric(n)) = &mut f.change {
            n.histogram = None;
        }
    }

    fn badness(f: &KeyedFacts) -> Option<f64> {
        let o = f.observed.as_ref()?;
        o.matched_share
            .map(|m| 1.0 - m)
            .or(o.moved_share)
            .or(o.changed_share)
    }
}

/// `id`, `customer_id`, `order_key`: named like a row identifier.
fn is_identifier(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n == "id" || n.ends_with("_id") || n.ends_with("_key")
}

fn is_temporal(t: &arrow::datatypes::DataType) -> bool {
    use arrow::datatypes::DataType::*;
    matches!(t, Timestamp(..) | Date32 | Date64 | Time32(_) | Time64(_))
}

impl Keyed {
    /// The compared columns (step 1).
    fn columns(&self, probe: &Probe<'_>) -> Vec<String> {
        if let Some(c) = &self.columns {
            return c.clone();
        }
        let cand = probe.schema(Side::Candidate);
        let base = probe.schema(Side::Baseline);
        cand.fields()
            .iter()
            .filter(|f| !self.key.contains(f.name()) && !is_identifier(f.name()))
            .filter(|f| !is_temporal(f.data_type()))
            .filter(|f| {
                base.field_with_name(f.name()).is_ok_and(|b| {
                    crate::gates::probe::is_numeric(b.data_type())
                        == crate::gates::probe::is_numeric(f.data_type())
                })
            })
            .map(|f| f.name().clone())
            .collect()
    }

    async fn check(&self, spec: &GateSpec, probe: &Probe<'_>) -> Vec<GateResult> {
        let facts = KeyedFacts {
            threshold: Some(self.clone()),
            ..Default::default()
        };
        let result = |column: Option<&str>, facts: KeyedFacts| {
            GateResult::new(&spec.name, column, spec.severity, facts)
        };
        // 2. Compare.
        let (Some(cand), Some(base)) = (
            SqlTable::side(probe, Side::Candidate),
            SqlTable::side(probe, Side::Baseline),
        ) else {
            return vec![result(None, facts).outcome(Outcome::Skipped, "no baseline: first publish")];
        };
        if base.rows == 0 {
            return vec![result(None, facts).outcome(
                Outcome::Skipped,
                "the baseline has no rows: no key to compare with",
            )];
        }
        let columns = self.columns(probe);
        let limit = match crate::stats::bounded::memory_limit() {
            Ok(l) => l,
            Err(e) => return vec![error_result(spec, None, e)],
        };
        let req = Request {
            candidate: &cand,
            baseline: Some(&base),
            key: &self.key,
            columns: &columns,
            tolerance: Tolerance {
                absolute: self.tolerance.unwrap_or(0.0),
                relative: self.relative_tolerance.unwrap_or(0.0),
            },
            memory_limit: limit,
        };
        let cmp: Comparison = match compare_tables(&req).await {
            Ok(c) => c,
            Err(e) => return vec![error_result(spec, None, e)],
        };
        // 3. Judge.
        let mut out = Vec::new();
        let k = &cmp.keys;
        let mut f = facts.clone();
        f.observed = Some(KeyedObserved {
            matched_share: k.matched_share,
            ..Default::default()
        });
        f.passes = Some(cmp.passes);
        let mut problems = Vec::new();
        crossed(&mut problems, "matched share", k.matched_share, self.min_matched_share, true);
        let msg = keys_message(k);
        f.keys = Some(cmp.keys.clone());
        out.push(verdict(result(None, f), problems, msg));
        for change in cmp.columns {
            let mut f = facts.clone();
            let mut problems = Vec::new();
            let msg;
            match &change {
                ColumnChange::Numeric(n) => {
                    f.observed = Some(KeyedObserved {
                        moved_share: n.moved_share,
                        unchanged_share: n.unchanged_share,
                        spearman: n.spearman,
                        pearson: n.pearson,
                        mean_abs_change: n.mean_abs_change,
                        ..Default::default()
                    });
                    crossed(&mut problems, "moved share", n.moved_share, self.max_moved_share, false);
                    crossed(&mut problems, "unchanged share", n.unchanged_share, self.max_unchanged_share, false);
                    crossed(&mut problems, "Spearman", n.spearman, self.min_spearman, true);
                    crossed(&mut problems, "Pearson", n.pearson, self.min_pearson, true);
                    crossed(&mut problems, "mean |change|", n.mean_abs_change, self.max_mean_abs_change, false);
                    msg = format!(
                        "{} of {} keys moved, {} unchanged; Spearman {}, Pearson {}, mean |change| {}{}",
                        pct(n.moved_share),
                        n.pairs,
                        pct(n.unchanged_share),
                        num(n.spearman),
                        num(n.pearson),
                        num(n.mean_abs_change),
                        missing_note(n),
                    );
                }
                ColumnChange::Categorical(c) => {
                    f.observed = Some(KeyedObserved {
                        changed_share: c.changed_share,
                        ..Default::default()
                    });
                    crossed(&mut problems, "changed share", c.changed_share, self.max_changed_share, false);
                    msg = format!("{} of {} keys changed value", pct(c.changed_share), c.pairs);
                }
            }
            let column = change.column().to_string();
            f.change = Some(change);
            out.push(verdict(result(Some(&column), f), problems, msg));
        }
        out
    }
}

/// Records a crossed threshold (or one whose measure is undefined).
fn crossed(problems: &mut Vec<String>, what: &str, v: Option<f64>, limit: Option<f64>, min: bool) {
    let Some(limit) = limit else { return };
    match v {
        None => problems.push(format!("{what} undefined (nothing to compare), limit {limit}")),
        Some(v) if (min && v < limit) || (!min && v > limit) => problems.push(format!(
            "{what} {} {} {limit}",
            num(Some(v)),
            if min { "<" } else { ">" }
        )),
        Some(_) => {}
    }
}

fn verdict(r: GateResult, problems: Vec<String>, msg: String) -> GateResult {
    if problems.is_empty() {
        r.outcome(Outcome::Pass, msg)
    } else {
        r.outcome(Outcome::Fail, format!("{}: {msg}", problems.join("; ")))
    }
}

fn pct(v: Option<f64>) -> String {
    v.map_or("-".into(), |v| format!("{:.2}%", v * 100.0))
}

fn num(v: Option<f64>) -> String {
    v.map_or("undefined".into(), |v| format!("{v:.4}"))
}

fn missing_note(n: &crate::stats::keyed::NumericChange) -> String {
    let m = &n.missing;
    let parts: Vec<String> = [
        ("null->value", m.null_to_value),
        ("value->null", m.value_to_null),
        ("NaN->value", m.nan_to_value),
        ("value->NaN", m.value_to_nan),
    ]
    .iter()
    .filter(|(_, n)| *n > 0)
    .map(|(w, n)| format!("{n} {w}"))
    .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join(", "))
    }
}

fn keys_message(k: &Keys) -> String {
    let base = k.baseline.clone().unwrap_or_default();
    let mut s = format!(
        "{} of {} baseline keys matched ({}); {} only in the baseline, {} only in the candidate",
        k.matched,
        base.distinct,
        pct(k.matched_share),
        k.only_baseline,
        k.only_candidate
    );
    for (side, keys) in [("candidate", &k.candidate), ("baseline", &base)] {
        if keys.duplicated > 0 {
            s.push_str(&format!(
                "; {side}: {} duplicated keys (e.g. {})",
                keys.duplicated,
                keys.examples.join(", ")
            ));
        }
        if keys.null_keys > 0 {
            s.push_str(&format!("; {side}: {} rows with a null key", keys.null_keys));
        }
    }
    if k.matched_duplicated > 0 {
        s.push_str(&format!(
            "; {} duplicated matched keys not compared",
            k.matched_duplicated
        ));
    }
    s
}
