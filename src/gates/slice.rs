//! Sliced gates: any kind with `by = ["segment", ...]` is judged per slice, one place for every
//! kind.
//!
//! 1. The `by` columns must exist on both sides (else one error result naming the side).
//! 2. One `GROUP BY` per side lists the slices (each combination of the `by` values; a null value
//!    is a slice of its own) and their rows. More than [`MAX_SLICES`] is an error: slicing by an
//!    identifier is a mistake, and every slice costs a scan.
//! 3. Each slice becomes a probe of its own: views `candidate` and `baseline` holding the slice's
//!    rows, registered in a fresh session sharing the stores, so every kind (and every `sql` query)
//!    runs on the slice unchanged.
//! 4. A slice is judged when it has at least `min_slice_rows` rows (default 1) on each side it is
//!    on; a smaller one is reported, not judged. A slice only in the candidate is judged as a first
//!    publish would be (kinds that compare with the baseline skip it, the others judge it); a slice
//!    only in the baseline has vanished: a failure when it had `min_slice_rows` rows.
//! 5. One result per column the kind reports: its outcome is the worst judged slice's, its facts
//!    the worst slice's, and `slices` holds every slice's verdict, the worst first (error, fail,
//!    pass, skipped, not judged; within each, the furthest past its threshold first).

use std::collections::BTreeMap;

use datafusion::common::{Column, ScalarValue};
use datafusion::logical_expr::{Expr, lit};
use datafusion::prelude::SessionContext;

use crate::error::{Error, Result};
use crate::gates::probe::quote;
use crate::gates::run::error_result;
use crate::gates::{Facts, GateResult, GateSpec, Outcome, Probe, Side, SideData, SliceResult};

/// At most this many slices per gate.
pub const MAX_SLICES: usize = 1000;

/// A slice's values as text (`None` for null), the key both sides are matched on.
type Key = Vec<Option<String>>;

/// One slice as found on one side: its typed values (to filter on) and its rows.
#[derive(Debug, Clone)]
struct Found {
    values: Vec<ScalarValue>,
    rows: u64,
}

/// Judges `spec` per slice of `probe`.
pub async fn evaluate(spec: &GateSpec, probe: &Probe<'_>) -> Vec<GateResult> {
    match run(spec, probe).await {
        Ok(r) => r,
        Err(e) => vec![error_result(spec, None, e)],
    }
}

async fn run(spec: &GateSpec, probe: &Probe<'_>) -> Result<Vec<GateResult>> {
    // 1. The by columns, on both sides.
    for side in [Side::Candidate, Side::Baseline] {
        if side == Side::Baseline && !probe.has_baseline() {
            continue;
        }
        let df = probe
            .ctx
            .table(side.table())
            .await
            .map_err(|e| Error::datafusion(format!("reading {}", side.table()), e))?;
        for c in &spec.by {
            if df.schema().field_with_unqualified_name(c).is_err() {
                return Err(Error::input(format!(
                    "cannot slice by {c:?}: no such column in the {}",
                    side.table()
                )));
            }
        }
    }
    // 2. The slices of each side.
    let cand = slices(probe, Side::Candidate, &spec.by).await?;
    let base = if probe.has_baseline() {
        Some(slices(probe, Side::Baseline, &spec.by).await?)
    } else {
        None
    };
    let mut keys: Vec<&Key> = cand.keys().collect();
    if let Some(b) = &base {
        keys.extend(b.keys().filter(|k| !cand.contains_key(*k)));
    }
    keys.sort();
    if keys.len() > MAX_SLICES {
        return Err(Error::input(format!(
            "{} slices by {}: more than {MAX_SLICES} (slice by a column with fewer values)",
            keys.len(),
            spec.by.join(", ")
        )));
    }
    let min = spec.min_slice_rows.unwrap_or(1);
    // 3-4. Each slice.
    let mut per_slice: Vec<(SliceResult, Vec<GateResult>)> = Vec::new();
    for key in keys {
        let c = cand.get(key);
        let b = base.as_ref().map(|b| b.get(key));
        let slice: BTreeMap<String, Option<String>> =
            spec.by.iter().cloned().zip(key.iter().cloned()).collect();
        let rows = c.map_or(0, |f| f.rows);
        let baseline_rows = b.map(|b| b.map_or(0, |f| f.rows));
        let skeleton = |outcome, judged, message: String| SliceResult {
            slice: slice.clone(),
            rows,
            baseline_rows,
            judged,
            outcome,
            passed: !matches!(outcome, Outcome::Fail | Outcome::Error),
            message,
            facts: spec.kind.empty_facts(),
        };
        let Some(c) = c else {
            // Only in the baseline: vanished.
            let base_rows = baseline_rows.unwrap_or(0);
            let s = if base_rows >= min {
                skeleton(
                    Outcome::Fail,
                    true,
                    format!("vanished: {base_rows} rows in the baseline, none in the candidate"),
                )
            } else {
                skeleton(
                    Outcome::Skipped,
                    false,
                    format!(
                        "vanished: {base_rows} rows in the baseline (under min_slice_rows {min}: not judged)"
                    ),
                )
            };
            per_slice.push((s, Vec::new()));
            continue;
        };
        let b = b.flatten();
        if rows < min || b.is_some_and(|b| b.rows < min) {
            let s = skeleton(
                Outcome::Skipped,
                false,
                format!(
                    "{rows} rows{}: under min_slice_rows {min}, not judged",
                    b.map(|b| format!(" ({} in the baseline)", b.rows))
                        .unwrap_or_default()
                ),
            );
            per_slice.push((s, Vec::new()));
            continue;
        }
        let results = match judge(spec, probe, c, b).await {
            Ok(r) => r,
            Err(e) => vec![error_result(spec, None, e)],
        };
        let new = base.is_some() && b.is_none();
        let results = results
            .into_iter()
            .map(|mut r| {
                if new {
                    r.message = format!("new slice (not in the baseline): {}", r.message);
                }
                r
            })
            .collect();
        per_slice.push((skeleton(Outcome::Pass, true, String::new()), results));
    }
    Ok(assemble(spec, per_slice))
}

/// The slices of one side and their rows.
async fn slices(probe: &Probe<'_>, side: Side, by: &[String]) -> Result<BTreeMap<Key, Found>> {
    let cols: Vec<String> = by.iter().map(|c| quote(c)).collect();
    let q = format!(
        "SELECT {c}, count(*) FROM {t} GROUP BY {c}",
        c = cols.join(", "),
        t = side.table()
    );
    let mut out = BTreeMap::new();
    for batch in probe.sql(&q).await? {
        let n = batch.num_columns();
        let counts = arrow::compute::cast(batch.column(n - 1), &arrow::datatypes::DataType::UInt64)
            .map_err(|e| Error::input(format!("counting slices: {e}")))?;
        for row in 0..batch.num_rows() {
            let mut values = Vec::with_capacity(by.len());
            let mut key = Vec::with_capacity(by.len());
            for i in 0..by.len() {
                let v = ScalarValue::try_from_array(batch.column(i), row)
                    .map_err(|e| Error::datafusion("reading a slice value", e))?;
                key.push((!v.is_null()).then(|| text(&v)));
                values.push(v);
            }
            let rows = ScalarValue::try_from_array(&counts, row)
                .ok()
                .and_then(|v| match v {
                    ScalarValue::UInt64(Some(n)) => Some(n),
                    _ => None,
                })
                .unwrap_or(0);
            out.insert(key, Found { values, rows });
        }
    }
    Ok(out)
}

/// A value as people read it (`a`, `3`, `2026-11-21`), without SQL quotes.
fn text(v: &ScalarValue) -> String {
    match v {
        ScalarValue::Utf8(Some(s))
        | ScalarValue::LargeUtf8(Some(s))
        | ScalarValue::Utf8View(Some(s)) => s.clone(),
        ScalarValue::Dictionary(_, inner) => text(inner),
        other => other.to_string(),
    }
}

/// The filter selecting one slice's rows.
fn filter(by: &[String], values: &[ScalarValue]) -> Option<Expr> {
    by.iter()
        .zip(values)
        .map(|(c, v)| {
            let col = Expr::Column(Column::new_unqualified(c));
            if v.is_null() {
                col.is_null()
            } else {
                col.eq(lit(v.clone()))
            }
        })
        .reduce(Expr::and)
}

/// Runs the gate's kind on one slice: a probe over views of the slice's rows.
async fn judge(
    spec: &GateSpec,
    parent: &Probe<'_>,
    cand: &Found,
    base: Option<&Found>,
) -> Result<Vec<GateResult>> {
    let ctx =
        SessionContext::new_with_config_rt(parent.ctx.copied_config(), parent.ctx.runtime_env());
    let c = view(&ctx, parent, &spec.by, Side::Candidate, cand).await?;
    let b = match base {
        Some(b) => Some(view(&ctx, parent, &spec.by, Side::Baseline, b).await?),
        None => None,
    };
    let mut probe = Probe::with_sides(ctx, parent.ds, c, b)?;
    if base.is_some() {
        let mut sorted = spec.kind.needs(&probe).sorted;
        sorted.sort();
        sorted.dedup();
        if probe.fits(sorted.len()) {
            probe.keep_sorted = true;
            let _ = probe.prefetch(&sorted).await;
        }
    }
    Ok(spec.kind.evaluate(spec, &probe).await)
}

/// Registers one side's slice rows in `ctx` as a view named like the side.
async fn view<'a>(
    ctx: &SessionContext,
    parent: &Probe<'a>,
    by: &[String],
    side: Side,
    found: &Found,
) -> Result<SideData<'a>> {
    let mut df = parent
        .ctx
        .table(side.table())
        .await
        .map_err(|e| Error::datafusion(format!("reading {}", side.table()), e))?;
    if let Some(f) = filter(by, &found.values) {
        df = df
            .filter(f)
            .map_err(|e| Error::datafusion("filtering a slice", e))?;
    }
    ctx.register_table(side.table(), df.into_view())
        .map_err(|e| Error::datafusion("registering a slice", e))?;
    Ok(SideData {
        schema: parent.schema(side),
        rows: found.rows,
        sealed: None,
    })
}

/// Worst first: error, fail, pass, skipped, not judged.
fn rank(s: &SliceResult) -> u8 {
    match (s.judged, s.outcome) {
        (false, _) => 4,
        (true, Outcome::Error) => 0,
        (true, Outcome::Fail) => 1,
        (true, Outcome::Pass) => 2,
        (true, Outcome::Skipped) => 3,
    }
}

/// One result per column: the slices' verdicts, worst first, under the worst judged one.
fn assemble(spec: &GateSpec, per_slice: Vec<(SliceResult, Vec<GateResult>)>) -> Vec<GateResult> {
    let mut columns: Vec<Option<String>> = Vec::new();
    for (_, results) in &per_slice {
        for r in results {
            if !columns.contains(&r.column) {
                columns.push(r.column.clone());
            }
        }
    }
    if columns.is_empty() {
        columns.push(None);
    }
    let mut out = Vec::new();
    for column in columns {
        let mut slices: Vec<SliceResult> = per_slice
            .iter()
            .map(|(skeleton, results)| {
                if skeleton.judged
                    && let Some(r) = results
                        .iter()
                        .find(|r| r.column == column)
                        .or_else(|| results.iter().find(|r| r.column.is_none()))
                {
                    SliceResult {
                        outcome: r.outcome,
                        passed: r.passed,
                        message: r.message.clone(),
                        facts: r.facts.clone(),
                        ..skeleton.clone()
                    }
                } else {
                    skeleton.clone()
                }
            })
            .collect();
        slices.sort_by(|a, b| {
            rank(a).cmp(&rank(b)).then_with(|| {
                let (x, y) = (a.facts.badness(), b.facts.badness());
                y.unwrap_or(f64::NEG_INFINITY)
                    .total_cmp(&x.unwrap_or(f64::NEG_INFINITY))
                    .then_with(|| a.slice.cmp(&b.slice))
            })
        });
        out.push(summarize(spec, column, slices));
    }
    out
}

fn summarize(spec: &GateSpec, column: Option<String>, slices: Vec<SliceResult>) -> GateResult {
    let judged: Vec<&SliceResult> = slices.iter().filter(|s| s.judged).collect();
    let count = |o: Outcome| judged.iter().filter(|s| s.outcome == o).count();
    let (errors, fails, passes) = (
        count(Outcome::Error),
        count(Outcome::Fail),
        count(Outcome::Pass),
    );
    let outcome = if errors > 0 {
        Outcome::Error
    } else if fails > 0 {
        Outcome::Fail
    } else if passes > 0 {
        Outcome::Pass
    } else {
        Outcome::Skipped
    };
    let not_judged = slices.len() - judged.len();
    let mut msg = match outcome {
        Outcome::Error | Outcome::Fail => format!(
            "{} of {} slices by {} failed",
            errors + fails,
            slices.len(),
            spec.by.join(", ")
        ),
        Outcome::Pass => format!(
            "{passes} of {} slices by {} passed",
            slices.len(),
            spec.by.join(", ")
        ),
        Outcome::Skipped => format!(
            "no slice by {} judged ({} slices)",
            spec.by.join(", "),
            slices.len()
        ),
    };
    if not_judged > 0 {
        msg.push_str(&format!(
            "; {not_judged} not judged (under {} rows or vanished while small)",
            spec.min_slice_rows.unwrap_or(1)
        ));
    }
    let worst = slices.first();
    if let Some(w) = worst.filter(|w| w.judged) {
        msg.push_str(&format!("; worst {}: {}", w.label(), w.message));
    }
    let facts: Facts = worst
        .filter(|w| w.judged)
        .map(|w| w.facts.clone())
        .unwrap_or_else(|| spec.kind.empty_facts());
    let mut r =
        GateResult::new(&spec.name, column.as_deref(), spec.severity, facts).outcome(outcome, msg);
    r.slices = slices;
    r
}
