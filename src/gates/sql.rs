//! The sql gate: any DataFusion SQL over `candidate` and `baseline` returning one value, compared
//! with an expectation.

use datafusion::common::ScalarValue;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::gates::run::error_result;
use crate::gates::{Gate, GateResult, GateSpec, Outcome, Probe};

/// Any DataFusion SQL over `candidate` and `baseline` returning one value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sql {
    pub query: String,
    /// The value must equal this (a boolean, number or string).
    pub expect: Option<toml::Value>,
    /// Or lie within [min, max].
    pub min: Option<f64>,
    pub max: Option<f64>,
}

/// One value: what a query returned, or what it must equal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Scalar {
    Bool(bool),
    Number(f64),
    Text(String),
}

/// The sql gate's report: `observed` is the query's value (null when it was null).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SqlFacts {
    pub observed: Option<Scalar>,
    pub threshold: Option<SqlThreshold>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SqlThreshold {
    pub expect: Option<Scalar>,
    pub min: Option<f64>,
    pub max: Option<f64>,
}

impl Gate for Sql {
    const KIND: &'static str = "sql";
    type Facts = SqlFacts;

    fn check_config(&self) -> std::result::Result<(), String> {
        if self.expect.is_none() && self.min.is_none() && self.max.is_none() {
            return Err("set expect, or min and/or max".into());
        }
        Ok(())
    }

    async fn evaluate(&self, spec: &GateSpec, probe: &Probe<'_>) -> Vec<GateResult> {
        check(spec, self, probe).await
    }
}

impl Scalar {
    fn to_json(&self) -> serde_json::Value {
        match self {
            Scalar::Bool(b) => json!(b),
            Scalar::Number(x) => json!(x),
            Scalar::Text(s) => json!(s),
        }
    }
}

impl std::fmt::Display for Scalar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.to_json())
    }
}

async fn check(spec: &GateSpec, g: &Sql, probe: &Probe<'_>) -> Vec<GateResult> {
    let mut facts = SqlFacts {
        threshold: Some(SqlThreshold {
            expect: g.expect.as_ref().map(toml_to_scalar),
            min: g.min,
            max: g.max,
        }),
        query: Some(g.query.clone()),
        ..Default::default()
    };
    let r = GateResult::new(&spec.name, None, spec.severity, facts.clone());
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
    let observed = scalar_of(&value);
    let shown = observed
        .as_ref()
        .map(|o| o.to_string())
        .unwrap_or_else(|| "null".into());
    facts.observed = observed.clone();
    let r = GateResult::new(&spec.name, None, spec.severity, facts);
    let mut problems = Vec::new();
    if let Some(want) = &g.expect
        && Some(toml_to_scalar(want)) != observed
    {
        problems.push(format!("got {shown}, expected {}", toml_to_scalar(want)));
    }
    if g.min.is_some() || g.max.is_some() {
        match observed {
            Some(Scalar::Number(x)) => {
                if g.min.is_some_and(|m| x < m) || g.max.is_some_and(|m| x > m) {
                    problems.push(format!("got {x}, outside [{}, {}]", fmt(g.min), fmt(g.max)));
                }
            }
            _ => problems.push(format!("got {shown}, not a number")),
        }
    }
    vec![if problems.is_empty() {
        r.outcome(Outcome::Pass, format!("got {shown}"))
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

fn toml_to_scalar(v: &toml::Value) -> Scalar {
    match v {
        toml::Value::String(s) => Scalar::Text(s.clone()),
        toml::Value::Integer(i) => Scalar::Number(*i as f64),
        toml::Value::Float(f) => Scalar::Number(*f),
        toml::Value::Boolean(b) => Scalar::Bool(*b),
        other => Scalar::Text(other.to_string()),
    }
}

fn scalar_of(v: &ScalarValue) -> Option<Scalar> {
    if v.is_null() {
        return None;
    }
    Some(match v {
        ScalarValue::Boolean(Some(b)) => Scalar::Bool(*b),
        ScalarValue::Utf8(Some(s))
        | ScalarValue::LargeUtf8(Some(s))
        | ScalarValue::Utf8View(Some(s)) => Scalar::Text(s.clone()),
        other => match other.cast_to(&arrow::datatypes::DataType::Float64) {
            Ok(ScalarValue::Float64(Some(f))) => Scalar::Number(f),
            _ => Scalar::Text(other.to_string()),
        },
    })
}
