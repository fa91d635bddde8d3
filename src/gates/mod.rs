//! Validation gates: judge a sealed candidate version against the last-known-good baseline before
//! the pointer moves, and keep the evidence.
//!
//! 1. The gates come from `validations/<dataset>.toml`, or the documented defaults
//!    ([`Validations::defaults`]).
//! 2. Both versions are registered with one DataFusion session as tables `candidate` and `baseline`
//!    (exactly the files their manifests list).
//! 3. Each gate produces one result per column it looks at: pass, fail, skipped (it needs a baseline
//!    and there is none, or there is nothing to compare) or error (it could not be evaluated: an
//!    unknown column, a non-numeric KS column); an error blocks like a failure.
//! 4. Counts come from what is cheapest and exact: row counts from the manifests, null counts from
//!    Parquet footer statistics when every file has them (a scan otherwise), NaN counts and KS values
//!    from one scan of the columns involved. The report says which way each count was obtained.
//! 5. The report (verdict, each gate's configuration, baseline, hashes of the validations file and
//!    the contract) is stored create-if-absent beside the version: the evidence stays even when the
//!    pointer never moves.

pub mod bounded;
pub mod config;
mod contract;
mod distribution;
pub mod ks;
mod ks_gate;
mod null_rate;
mod report;
mod row_count;
mod run;
mod schema;
mod sort;
mod sql;

pub use config::{GateSpec, Kind, Severity, Validations};
pub use contract::Contract;
pub use report::{GateResult, Outcome, Report, Verdict, label as report_label};
pub use run::{evaluate, latest_report, store_report};
