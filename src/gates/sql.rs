//! The sql gate: any DataFusion SQL over `candidate` and `baseline` returning one value, compared
//! with an expectation.

use datafusion::common::ScalarValue;
use serde_json::json;

use crate::gates::GateSpec;
use crate::gates::config::Sql;
use crate::gates::report::{GateResult, Outcome};
use crate::gates::run::{Probe, error_result};

pub(crate) async fn check(spec: &GateSpec, g: &Sql, probe: &Probe<'_>) -> Vec<GateResult> {
    let r = GateResult::new(&spec.name, "sql", None, spec.severity)
        .threshold(
            json!({"expect": g.expect.as_ref().map(toml_to_json), "min": g.min, "max": g.max}),
        )
        .detail("query", g.query.clone());
    if !probe.has_baseline() && mentions_baseline(&g.query) {
        return vec![r.outcome(Outcome::Skipped, "no baseline: first publish")];
    }
    let batches = match probe.sql(&g.query).await {
        Ok(b) => b,
        Err(e) => return vec![error_result(spec, None, e)],
    };
    let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
    let Some(b) = batches.iter().find(|b| b.num_rows() > 0) else {
        return vec![r.outcome(
            Outcome::Error,
            "the query returned no rows; it must return one value",
        )];
    };
    if rows != 1 || b.num_columns() != 1 {
        return vec![r.outcome(
            Outcome::Error,
            format!(
                "the query returned {rows} rows of {} columns; it must return one value",
                b.num_columns()
            ),
        )];
    }
    let value = match ScalarValue::try_from_array(b.column(0), 0) {
        Ok(v) => v,
        Err(e) => return vec![error_result(spec, None, e)],
    };
    let observed = scalar_to_json(&value);
    let r = r.observed(observed.clone());
    let mut problems = Vec::new();
    if let Some(want) = &g.expect
        && toml_to_json(want) != observed
    {
        problems.push(format!("got {observed}, expected {}", toml_to_json(want)));
    }
    if g.min.is_some() || g.max.is_some() {
        match observed.as_f64() {
            None => problems.push(format!("got {observed}, not a number")),
            Some(x) => {
                if g.min.is_some_and(|m| x < m) || g.max.is_some_and(|m| x > m) {
                    problems.push(format!("got {x}, outside [{}, {}]", fmt(g.min), fmt(g.max)));
                }
            }
        }
    }
    vec![if problems.is_empty() {
        r.outcome(Outcome::Pass, format!("got {observed}"))
    } else {
        r.outcome(Outcome::Fail, problems.join("; "))
    }]
}

fn fmt(v: Option<f64>) -> String {
    v.map(|x| x.to_string()).unwrap_or_else(|| "-".into())
}

fn mentions_baseline(q: &str) -> bool {
    q.to_ascii_lowercase()
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .any(|w| w == "baseline")
}

fn toml_to_json(v: &toml::Value) -> serde_json::Value {
    match v {
        toml::Value::String(s) => json!(s),
        toml::Value::Integer(i) => json!(*i as f64),
        toml::Value::Float(f) => json!(f),
        toml::Value::Boolean(b) => json!(b),
        other => json!(other.to_string()),
    }
}

fn scalar_to_json(v: &ScalarValue) -> serde_json::Value {
    if v.is_null() {
        return serde_json::Value::Null;
    }
    match v {
        ScalarValue::Boolean(Some(b)) => json!(b),
        ScalarValue::Utf8(Some(s))
        | ScalarValue::LargeUtf8(Some(s))
        | ScalarValue::Utf8View(Some(s)) => json!(s),
        other => match other.cast_to(&arrow::datatypes::DataType::Float64) {
            Ok(ScalarValue::Float64(Some(f))) => json!(f),
            _ => json!(other.to_string()),
        },
    }
}
