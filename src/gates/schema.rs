//! The schema gate: every consumer of the baseline can read the candidate.
//!
//! Additive only: every baseline column present with the same logical type (recursively for nested
//! types; timestamp unit and zone; decimal precision and scale), a non-null column may not become
//! nullable, new columns are allowed, order is ignored. Utf8, LargeUtf8 and Utf8View are one type,
//! as are the binaries and the list flavours, and a dictionary counts as its values. With
//! `widening = true`, int32->int64 (any narrower to wider integer of the same signedness),
//! float32->float64 and a larger decimal precision at the same scale are allowed too.

use arrow::datatypes::{DataType, Field, Fields};
use serde::{Deserialize, Serialize};

use crate::gates::contract::Contract;
use crate::gates::{Gate, GateResult, GateSpec, Outcome, Probe, Side};

/// Every consumer of the baseline can read the candidate (additive changes only).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchemaGate {
    /// Also allow int32->int64, float32->float64 and a larger decimal precision.
    #[serde(default)]
    pub widening: bool,
}

/// The schema gate's (and the contract check's) report.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SchemaFacts {
    pub observed: Option<SchemaObserved>,
    pub threshold: Option<SchemaThreshold>,
    /// `baseline` or `contract`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub against: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SchemaObserved {
    pub problems: Vec<String>,
    /// Columns the candidate adds (against the baseline only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub added: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SchemaThreshold {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additive: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub widening: Option<bool>,
    /// The contract's path (against the contract only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contract: Option<String>,
}

impl Gate for SchemaGate {
    const KIND: &'static str = "schema";
    type Facts = SchemaFacts;

    async fn evaluate(&self, spec: &GateSpec, probe: &Probe<'_>) -> Vec<GateResult> {
        check(spec, self, probe).await
    }

    fn badness(f: &SchemaFacts) -> Option<f64> {
        f.observed.as_ref().map(|o| o.problems.len() as f64)
    }
}

/// Why `cand` cannot replace `base`, if it cannot.
pub fn incompatibility(base: &DataType, cand: &DataType, widening: bool) -> Option<String> {
    use DataType::*;
    let (b, c) = (normalize(base), normalize(cand));
    let differ = || Some(format!("{base} -> {cand}"));
    match (&b, &c) {
        (List(bf), List(cf)) => field_problem(bf, cf, widening).map(|p| format!("list item: {p}")),
        (FixedSizeList(bf, bn), FixedSizeList(cf, cn)) => {
            if bn != cn {
                return differ();
            }
            field_problem(bf, cf, widening).map(|p| format!("list item: {p}"))
        }
        (Struct(bf), Struct(cf)) => fields_problems(bf, cf, widening).into_iter().next(),
        (Map(bf, _), Map(cf, _)) => {
            field_problem(bf, cf, widening).map(|p| format!("map entries: {p}"))
        }
        (Timestamp(bu, bz), Timestamp(cu, cz)) => (bu != cu || bz != cz).then(differ).flatten(),
        (Decimal128(bp, bs), Decimal128(cp, cs))
        | (Decimal256(bp, bs), Decimal256(cp, cs))
        | (Decimal128(bp, bs), Decimal256(cp, cs)) => {
            let same =
                bp == cp && bs == cs && std::mem::discriminant(&b) == std::mem::discriminant(&c);
            let wider = widening && bs == cs && cp >= bp;
            (!(same || wider)).then(differ).flatten()
        }
        _ if b == c => None,
        _ if widening && widens(&b, &c) => None,
        _ => differ(),
    }
}

fn normalize(t: &DataType) -> DataType {
    use DataType::*;
    match t {
        Dictionary(_, v) => normalize(v),
        LargeUtf8 | Utf8View => Utf8,
        LargeBinary | BinaryView => Binary,
        LargeList(f) | ListView(f) | LargeListView(f) => List(f.clone()),
        other => other.clone(),
    }
}

fn widens(b: &DataType, c: &DataType) -> bool {
    use DataType::*;
    let rank = |t: &DataType| match t {
        Int8 => Some((0, 1)),
        Int16 => Some((0, 2)),
        Int32 => Some((0, 3)),
        Int64 => Some((0, 4)),
        UInt8 => Some((1, 1)),
        UInt16 => Some((1, 2)),
        UInt32 => Some((1, 3)),
        UInt64 => Some((1, 4)),
        Float16 => Some((2, 1)),
        Float32 => Some((2, 2)),
        Float64 => Some((2, 3)),
        _ => None,
    };
    matches!((rank(b), rank(c)), (Some((bk, br)), Some((ck, cr))) if bk == ck && cr > br)
}

fn field_problem(b: &Field, c: &Field, widening: bool) -> Option<String> {
    if let Some(p) = incompatibility(b.data_type(), c.data_type(), widening) {
        return Some(p);
    }
    (!b.is_nullable() && c.is_nullable()).then(|| "non-null became nullable".to_string())
}

fn fields_problems(base: &Fields, cand: &Fields, widening: bool) -> Vec<String> {
    let mut out = Vec::new();
    for bf in base {
        match cand.iter().find(|f| f.name() == bf.name()) {
            None => out.push(format!("{}: missing", bf.name())),
            Some(cf) => {
                if let Some(p) = field_problem(bf, cf, widening) {
                    out.push(format!("{}: {p}", bf.name()));
                }
            }
        }
    }
    out
}

async fn check(spec: &GateSpec, gate: &SchemaGate, probe: &Probe<'_>) -> Vec<GateResult> {
    let cand = probe.schema(Side::Candidate);
    let mut results = Vec::new();
    let mut facts = SchemaFacts {
        threshold: Some(SchemaThreshold {
            additive: Some(true),
            widening: Some(gate.widening),
            contract: None,
        }),
        against: Some("baseline".into()),
        ..Default::default()
    };
    let r = GateResult::new(&spec.name, None, spec.severity, facts.clone());
    results.push(match probe.schema_opt(Side::Baseline) {
        None => r.outcome(Outcome::Skipped, "no baseline: first publish"),
        Some(base) => {
            let problems = fields_problems(base.fields(), cand.fields(), gate.widening);
            let added: Vec<&String> = cand
                .fields()
                .iter()
                .map(|f| f.name())
                .filter(|n| base.field_with_name(n).is_err())
                .collect();
            facts.observed = Some(SchemaObserved {
                problems: problems.clone(),
                added: Some(added.iter().map(|s| s.to_string()).collect()),
            });
            let r = GateResult::new(&spec.name, None, spec.severity, facts);
            if problems.is_empty() {
                let msg = if added.is_empty() {
                    "same columns".to_string()
                } else {
                    format!("added {}", join(&added))
                };
                r.outcome(Outcome::Pass, msg)
            } else {
                r.outcome(Outcome::Fail, problems.join("; "))
            }
        }
    });
    results
}

/// The candidate against the dataset's contract: every contract column present with its type, and
/// no nulls where the contract says never null. Always fail-severity.
pub(crate) async fn check_contract(c: &Contract, probe: &Probe<'_>) -> GateResult {
    let cand = probe.schema(Side::Candidate);
    let mut facts = SchemaFacts {
        threshold: Some(SchemaThreshold {
            contract: Some(c.path.display().to_string()),
            ..Default::default()
        }),
        against: Some("contract".into()),
        ..Default::default()
    };
    let r = GateResult::new("contract", None, crate::gates::Severity::Fail, facts.clone());
    let mut problems = Vec::new();
    let mut must_be_full = Vec::new();
    for col in &c.columns {
        let want = match col.parsed_type() {
            Ok(t) => t,
            Err(e) => return r.outcome(Outcome::Error, e.to_string()),
        };
        match cand.field_with_name(&col.name) {
            Err(_) => problems.push(format!("{}: missing", col.name)),
            Ok(f) => {
                if let Some(p) = incompatibility(&want, f.data_type(), false) {
                    problems.push(format!("{}: {p}", col.name));
                } else if !col.nullable && f.is_nullable() {
                    must_be_full.push(col.name.clone());
                }
            }
        }
    }
    if !must_be_full.is_empty() {
        match probe.counts(Side::Candidate, &must_be_full, false).await {
            Ok(counts) => {
                for name in &must_be_full {
                    if let Some(n) = counts.get(name).filter(|n| n.nulls > 0) {
                        problems.push(format!(
                            "{name}: {} nulls in a column the contract says is never null",
                            n.nulls
                        ));
                    }
                }
            }
            Err(e) => return r.outcome(Outcome::Error, e.to_string()),
        }
    }
    facts.observed = Some(SchemaObserved {
        problems: problems.clone(),
        added: None,
    });
    let r = GateResult::new("contract", None, crate::gates::Severity::Fail, facts);
    if problems.is_empty() {
        r.outcome(Outcome::Pass, format!("matches {}", c.path.display()))
    } else {
        r.outcome(Outcome::Fail, problems.join("; "))
    }
}

fn join(v: &[&String]) -> String {
    v.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::datatypes::TimeUnit;
    use std::sync::Arc;

    #[test]
    fn equivalences_and_changes() {
        use DataType::*;
        assert_eq!(incompatibility(&Utf8, &LargeUtf8, false), None);
        assert_eq!(incompatibility(&Utf8, &Utf8View, false), None);
        assert_eq!(
            incompatibility(&Utf8, &Dictionary(Box::new(Int32), Box::new(Utf8)), false),
            None
        );
        assert!(incompatibility(&Float64, &Float32, false).is_some());
        assert!(incompatibility(&Float32, &Float64, false).is_some());
        assert_eq!(incompatibility(&Float32, &Float64, true), None);
        assert_eq!(incompatibility(&Int32, &Int64, true), None);
        assert!(incompatibility(&Int64, &Int32, true).is_some());
        assert!(incompatibility(&Int32, &UInt64, true).is_some());
        let ts = |u, z: Option<&str>| Timestamp(u, z.map(Into::into));
        assert!(
            incompatibility(
                &ts(TimeUnit::Microsecond, Some("UTC")),
                &ts(TimeUnit::Nanosecond, Some("UTC")),
                true
            )
            .is_some()
        );
        assert!(
            incompatibility(
                &ts(TimeUnit::Microsecond, Some("UTC")),
                &ts(TimeUnit::Microsecond, None),
                true
            )
            .is_some()
        );
        assert!(incompatibility(&Decimal128(10, 2), &Decimal128(12, 2), false).is_some());
        assert_eq!(
            incompatibility(&Decimal128(10, 2), &Decimal128(12, 2), true),
            None
        );
        assert!(incompatibility(&Decimal128(10, 2), &Decimal128(12, 3), true).is_some());
        let item = |t| Arc::new(Field::new("item", t, true));
        assert_eq!(
            incompatibility(&List(item(Utf8)), &LargeList(item(LargeUtf8)), false),
            None
        );
        assert!(incompatibility(&List(item(Int64)), &List(item(Float64)), false).is_some());
    }

    #[test]
    fn nested_structs_are_checked_recursively() {
        let s = |fields: Vec<Field>| DataType::Struct(fields.into());
        let base = s(vec![
            Field::new("a", DataType::Int64, false),
            Field::new("b", DataType::Utf8, true),
        ]);
        let added = s(vec![
            Field::new("b", DataType::Utf8, true),
            Field::new("a", DataType::Int64, false),
            Field::new("c", DataType::Int8, true),
        ]);
        assert_eq!(
            incompatibility(&base, &added, false),
            None,
            "order ignored, additions allowed"
        );
        let dropped = s(vec![Field::new("a", DataType::Int64, false)]);
        assert_eq!(
            incompatibility(&base, &dropped, false).as_deref(),
            Some("b: missing")
        );
        let loosened = s(vec![
            Field::new("a", DataType::Int64, true),
            Field::new("b", DataType::Utf8, true),
        ]);
        assert_eq!(
            incompatibility(&base, &loosened, false).as_deref(),
            Some("a: non-null became nullable")
        );
    }
}
