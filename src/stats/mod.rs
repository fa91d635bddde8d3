//! The statistics engine: exact two-sample Kolmogorov–Smirnov ([`ks`]), its bounded-memory walk
//! over key ranges ([`bounded`]), the radix sort both use ([`sort`]) and the ECDF points a report
//! keeps ([`ecdf`]); the exact keyed comparison of two tables on a key ([`keyed`]).
//!
//! Nothing here knows about gates, versions or DataFusion: values arrive through [`Scan`], which
//! the gates' `Probe` implements for one side of a comparison (Arrow batches through
//! [`keyed::Table`] for the keyed comparison). The arrow is one-way: `gates` uses
//! `stats`, never the reverse.

pub mod bounded;
pub mod ecdf;
pub mod keyed;
pub mod ks;
pub mod sort;

use std::future::Future;

use crate::error::Result;

/// A source of numeric values that can be read again: one side of a comparison.
pub trait Scan: Sync {
    /// Calls `f(column index, value)` with every non-null, non-NaN value of `columns` as f64, in
    /// one pass decoding only these columns; returns the NaN count of each column.
    fn for_each_values<F>(
        &self,
        columns: &[String],
        f: F,
    ) -> impl Future<Output = Result<Vec<u64>>> + Send
    where
        F: FnMut(usize, f64) + Send;

    /// [`Scan::for_each_values`] for one column; returns its NaN count.
    fn for_each_value<F>(&self, column: &str, mut f: F) -> impl Future<Output = Result<u64>> + Send
    where
        F: FnMut(f64) + Send,
    {
        let columns = [column.to_string()];
        async move {
            let nans = self.for_each_values(&columns, move |_, x| f(x)).await?;
            Ok(nans.first().copied().unwrap_or(0))
        }
    }
}
