//! The unique gate: no key on two rows of the candidate, and no null key; exact, within
//! `LASTGOOD_MEMORY_LIMIT` (the keyed engine, [`crate::stats::keyed`], on the candidate alone).
//!
//! 1. Read the key columns of the candidate (in passes by a hash of the key when they do not fit).
//! 2. Count distinct keys, keys on several rows, the rows beyond the first of each key
//!    (`duplicate_rows`) and rows with a null in a key column, naming a few duplicated keys.
//! 3. Fail when duplicate_rows > max_duplicates (default 0) or null_keys > max_null_keys (default 0).
//!    Needs no baseline; an empty candidate passes (the row_count gate judges emptiness).

use serde::{Deserialize, Serialize};

use crate::gates::keyed::SqlTable;
use crate::gates::run::error_result;
use crate::gates::{Gate, GateResult, GateSpec, Outcome, Probe, Side};
use crate::stats::keyed::{Request, SideKeys, Tolerance, compare_tables};

/// One row per key.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unique {
    pub key: Vec<String>,
    /// Rows beyond the first of each key allowed.
    #[serde(default)]
    pub max_duplicates: u64,
    /// Rows with a null key allowed.
    #[serde(default)]
    pub max_null_keys: u64,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct UniqueFacts {
    pub observed: Option<UniqueObserved>,
    pub threshold: Option<UniqueThreshold>,
    /// The candidate's key counts, with example duplicated keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keys: Option<SideKeys>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passes: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct UniqueObserved {
    pub duplicate_rows: u64,
    pub duplicated_keys: u64,
    pub null_keys: u64,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct UniqueThreshold {
    pub max_duplicates: u64,
    pub max_null_keys: u64,
}

impl Gate for Unique {
    const KIND: &'static str = "unique";
    type Facts = UniqueFacts;

    fn check_config(&self) -> Result<(), String> {
        if self.key.is_empty() {
            return Err("set key = [\"column\", ...]".into());
        }
        Ok(())
    }

    async fn evaluate(&self, spec: &GateSpec, probe: &Probe<'_>) -> Vec<GateResult> {
        vec![self.check(spec, probe).await]
    }

    fn badness(f: &UniqueFacts) -> Option<f64> {
        f.observed
            .as_ref()
            .map(|o| (o.duplicate_rows + o.null_keys) as f64)
    }
}

impl Unique {
    async fn check(&self, spec: &GateSpec, probe: &Probe<'_>) -> GateResult {
        let limit = match crate::stats::bounded::memory_limit() {
            Ok(l) => l,
            Err(e) => return error_result(spec, None, e),
        };
        let Some(cand) = SqlTable::side(probe, Side::Candidate) else {
            return error_result(spec, None, "no candidate");
        };
        let req = Request {
            candidate: &cand,
            baseline: None,
            key: &self.key,
            columns: &[],
            tolerance: Tolerance::default(),
            memory_limit: limit,
        };
        let cmp = match compare_tables(&req).await {
            Ok(c) => c,
            Err(e) => return error_result(spec, None, e),
        };
        let k = cmp.keys.candidate;
        let mut msg = format!(
            "{} rows, {} distinct keys; {} duplicate rows over {} keys, {} null keys",
            k.rows, k.distinct, k.duplicate_rows, k.duplicated, k.null_keys
        );
        if !k.examples.is_empty() {
            msg.push_str(&format!(" (e.g. {})", k.examples.join(", ")));
        }
        let fails = k.duplicate_rows > self.max_duplicates || k.null_keys > self.max_null_keys;
        let facts = UniqueFacts {
            observed: Some(UniqueObserved {
                duplicate_rows: k.duplicate_rows,
                duplicated_keys: k.duplicated,
                null_keys: k.null_keys,
            }),
            threshold: Some(UniqueThreshold {
                max_duplicates: self.max_duplicates,
                max_null_keys: self.max_null_keys,
            }),
            keys: Some(k),
            passes: Some(cmp.passes),
        };
        let r = GateResult::new(&spec.name, None, spec.severity, facts);
        if fails {
            r.outcome(
                Outcome::Fail,
                format!(
                    "{msg}: above max_duplicates = {} or max_null_keys = {}",
                    self.max_duplicates, self.max_null_keys
                ),
            )
        } else {
            r.outcome(Outcome::Pass, msg)
        }
    }
}
