//! lastgood keeps batch prediction outputs safe to read.
//!
//! Every publish becomes an immutable, sealed **version** (Parquet files plus a manifest written
//! last); consumers read through one **pointer** that moves forward on promote and back on revert,
//! recorded in an append-only log. The on-store format is specified in `SPEC.md`.
//!
//! ```no_run
//! # async fn demo() -> lastgood::Result<()> {
//! use lastgood::{Context, Dataset, DatasetName, Store};
//! use lastgood::ops::publish::{publish, PublishOptions};
//!
//! let ds = Dataset::new(Store::open("./lake")?, DatasetName::new("churn_scores")?);
//! let ctx = Context::from_env();
//! let out = publish(&ds, &ctx, PublishOptions { sources: vec!["out/".into()], ..Default::default() }).await?;
//! println!("{} promoted: {}", out.version, out.promoted);
//! # Ok(()) }
//! ```

pub mod breakage;
pub mod cloud;
pub mod config;
pub mod context;
pub mod dataset;
pub mod delta;
pub mod error;
#[cfg(feature = "faults")]
pub mod faults;
pub mod gates;
pub mod html;
pub mod layout;
pub mod log;
pub mod manifest;
pub mod names;
pub mod notify;
pub mod ops;
pub mod partition;
pub mod pointer;
pub mod profile;
pub mod progress;
pub mod refs;
pub mod source;
pub mod spec;
pub mod stats;
pub mod store;
pub mod synth;
pub mod table;
pub mod text;

pub use context::Context;
pub use dataset::{Dataset, Sealed};
pub use error::{Error, Result};
pub use names::{DatasetName, VersionId};
/// The dataset's rules on the store (`rules set`, `rules show`, how a writer settles its own):
/// a verb, [`ops::rules`], kept at its old path.
pub use ops::rules;
pub use store::Store;
