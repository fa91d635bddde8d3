//! Validation gates: judge a sealed candidate version against the last-known-good baseline before
//! the pointer moves, and keep the evidence.
//!
//! 1. The gates come from `validations/<dataset>.toml`, or the documented defaults
//!    ([`Validations::defaults`]).
//! 2. Both versions are registered with one DataFusion session as tables `candidate` and `baseline`
//!    (exactly the files their manifests list): the shared [`Probe`].
//! 3. Each gate produces one result per column it looks at: pass, fail, skipped (it needs a baseline
//!    and there is none, or there is nothing to compare) or error (it could not be evaluated: an
//!    unknown column, a non-numeric KS column); an error blocks like a failure. A gate with
//!    `by = [...]` is judged per slice ([`slice`]): the slice's rows on both sides, each slice's
//!    verdict in its result, the worst slice first.
//! 4. Counts come from what is cheapest and exact: row counts from the manifests, null counts and
//!    minimum/maximum from Parquet footer statistics when every file has them (a scan otherwise),
//!    NaN counts and KS values from one scan of the columns involved. The report says which way
//!    each count was obtained.
//! 5. The report (verdict, each gate's configuration, baseline, hashes of the validations file and
//!    the contract) is stored create-if-absent beside the version: the evidence stays even when the
//!    pointer never moves.
//!
//! # Adding a gate kind
//! One new file `src/gates/<kind>.rs` holding the kind's settings (a serde struct with
//! `deny_unknown_fields`: the strict TOML keys), its typed facts (what it observed and the
//! thresholds it held them to, as they appear in the report) and an `impl` [`Gate`]; and one line in
//! the [`registry!`] below. Parsing, slicing (`by`), the report's JSON and the human table follow.

use std::fmt::Debug;
use std::future::Future;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

pub mod config;
mod contract;
mod probe;
mod report;
mod run;
pub mod slice;

pub use config::{GateSpec, Severity, Validations};
pub use contract::Contract;
pub use probe::{Counts, Needs, Probe, Side, SideData};
pub use report::{
    ContractRecord, GateResult, Outcome, RecordedGate, Report, SliceResult, ValidationsRecord,
    Verdict, label as report_label,
};
pub use run::{evaluate, latest_report, store_report};

/// What every gate kind provides. The registry dispatches to it; nothing else names a kind.
pub trait Gate:
    Sized + Clone + Debug + PartialEq + Serialize + DeserializeOwned + Send + Sync
{
    /// The name in `kind = "..."`.
    const KIND: &'static str;

    /// What the kind observed and the thresholds it held them to, as the report carries them
    /// (flattened into each result beside `name`, `column`, `outcome`...). `Default` is the facts
    /// of a gate that could not run (`observed` and `threshold` null).
    type Facts: Default + Clone + Debug + PartialEq + Serialize + DeserializeOwned + Send + Sync;

    /// Checks of the settings that serde cannot express (at least one threshold set...).
    fn check_config(&self) -> Result<(), String> {
        Ok(())
    }

    /// What the kind reads from the data ahead of evaluation, so that one scan per side serves
    /// every gate.
    fn needs(&self, _probe: &Probe<'_>) -> Needs {
        Needs::default()
    }

    /// Judges the candidate (against the baseline): one result per column it looks at, or one for
    /// the table. Never panics: a problem is an `error` result naming it.
    fn evaluate(
        &self,
        spec: &GateSpec,
        probe: &Probe<'_>,
    ) -> impl Future<Output = Vec<GateResult>> + Send;

    /// Drops what only draws charts (ECDF points, category shares): most of a report's bytes.
    fn strip_charts(_facts: &mut Self::Facts) {}

    /// How far a result is past its threshold (higher is worse), to show the worst slice first.
    fn badness(_facts: &Self::Facts) -> Option<f64> {
        None
    }
}

/// Declares the gate kinds: `"kind" => module::Settings`, one line each. Generates the module
/// declarations, [`Kind`] (the settings of a gate, tagged by `kind`), [`Facts`] (a result's typed
/// observations, tagged by `kind`), [`KINDS`] and the dispatch to [`Gate`].
macro_rules! registry {
    ($($kind:literal => $module:ident :: $ty:ident),* $(,)?) => {
        $(pub mod $module;)*
        pub use self::{$($module::$ty),*};

        /// A gate's kind and its kind's settings; serialized flat, `{"kind": "ks", ...}`, as in
        /// the TOML.
        #[derive(Debug, Clone, PartialEq, Serialize)]
        #[serde(tag = "kind")]
        pub enum Kind {
            $(#[serde(rename = $kind)] $ty($ty),)*
        }

        /// What a result observed, typed by kind; serialized flat into the result.
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(tag = "kind")]
        pub enum Facts {
            $(#[serde(rename = $kind)] $ty(<$ty as Gate>::Facts),)*
        }

        /// Every kind's name, in registry order.
        pub const KINDS: &[&str] = &[$($kind),*];

        impl Kind {
            pub fn name(&self) -> &'static str {
                match self { $(Kind::$ty(_) => $kind,)* }
            }

            /// The settings of `kind` from the rest of a `[[gate]]` table; `None` for an unknown
            /// kind.
            pub(crate) fn parse(
                kind: &str,
                settings: toml::Value,
            ) -> Option<std::result::Result<Kind, toml::de::Error>> {
                match kind {
                    $($kind => Some(settings.try_into().map(Kind::$ty)),)*
                    _ => None,
                }
            }

            pub(crate) fn check_config(&self) -> std::result::Result<(), String> {
                match self { $(Kind::$ty(g) => g.check_config(),)* }
            }

            pub fn needs(&self, probe: &Probe<'_>) -> Needs {
                match self { $(Kind::$ty(g) => g.needs(probe),)* }
            }

            pub async fn evaluate(&self, spec: &GateSpec, probe: &Probe<'_>) -> Vec<GateResult> {
                match self { $(Kind::$ty(g) => g.evaluate(spec, probe).await,)* }
            }

            /// The facts of a result that observed nothing (an error before any measurement).
            pub fn empty_facts(&self) -> Facts {
                match self { $(Kind::$ty(_) => Facts::$ty(Default::default()),)* }
            }
        }

        impl Facts {
            pub fn kind(&self) -> &'static str {
                match self { $(Facts::$ty(_) => $kind,)* }
            }

            pub fn strip_charts(&mut self) {
                match self { $(Facts::$ty(f) => <$ty as Gate>::strip_charts(f),)* }
            }

            pub fn badness(&self) -> Option<f64> {
                match self { $(Facts::$ty(f) => <$ty as Gate>::badness(f),)* }
            }

            /// What was measured, as JSON: for the generic displays (the human table, the HTML
            /// page's gate table, OpenLineage's `actual`) that show any kind alike. Every kind's
            /// facts have an `observed` field.
            pub fn observed_json(&self) -> serde_json::Value {
                match self {
                    $(Facts::$ty(f) => serde_json::to_value(&f.observed).unwrap_or_default(),)*
                }
            }

            /// The limits the measure was held to, as JSON (every kind's facts have a `threshold`).
            pub fn threshold_json(&self) -> serde_json::Value {
                match self {
                    $(Facts::$ty(f) => serde_json::to_value(&f.threshold).unwrap_or_default(),)*
                }
            }
        }

        $(impl From<<$ty as Gate>::Facts> for Facts {
            fn from(f: <$ty as Gate>::Facts) -> Facts {
                Facts::$ty(f)
            }
        })*
    };
}

// The registry: one line per kind.
registry! {
    "null_rate" => null_rate::NullRate,
    "ks" => ks::Ks,
    "distribution" => distribution::Distribution,
    "schema" => schema::SchemaGate,
    "row_count" => row_count::RowCount,
    "sql" => sql::Sql,
    "range" => range::Range,
    "freshness" => freshness::Freshness,
    "keyed" => keyed::Keyed,
    "unique" => unique::Unique,
}
