//! The shared [`Probe`]: both sides of a comparison (two versions, or one slice of each) as
//! DataFusion tables `candidate` and `baseline`, with what gates read from them cached: null and
//! NaN counts (footer statistics when they suffice), sorted numeric values, value scans
//! ([`crate::stats::Scan`]) and the memory budget they must stay within.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use arrow::array::{Array, ArrayRef, Float64Array};
use arrow::datatypes::{DataType, SchemaRef};
use arrow::record_batch::RecordBatch;
use datafusion::prelude::SessionContext;
use futures::StreamExt;

use crate::dataset::{Dataset, Sealed};
use crate::error::{Error, Result};
use crate::stats::bounded::{self, Histogram};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    Candidate,
    Baseline,
}

impl Side {
    pub fn table(self) -> &'static str {
        match self {
            Side::Candidate => "candidate",
            Side::Baseline => "baseline",
        }
    }
}

/// Null and NaN counts of one column on one side.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Counts {
    pub rows: u64,
    pub nulls: u64,
    /// "footer" (Parquet statistics of every file) or "scan".
    pub null_source: &'static str,
    /// For float columns, when asked for.
    pub nans: Option<u64>,
}

/// A column's sorted values, shared by the gates that read them.
type Sorted = Arc<Vec<f64>>;

/// One side: its schema, its rows, and the sealed version when the side is a whole version (its
/// manifest and footers then answer counts without a scan); a slice has none.
#[derive(Debug, Clone)]
pub struct SideData<'a> {
    pub schema: SchemaRef,
    pub rows: u64,
    pub sealed: Option<&'a Sealed>,
}

/// What a gate kind reads ahead of evaluation, so one scan per side serves every gate.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Needs {
    /// Numeric columns whose sorted values it compares on both sides.
    pub sorted: Vec<String>,
}

/// Both sides as DataFusion tables, with cached counts and values.
pub struct Probe<'a> {
    pub ctx: SessionContext,
    pub ds: &'a Dataset,
    candidate: SideData<'a>,
    baseline: Option<SideData<'a>>,
    cache: Mutex<HashMap<(Side, String), Counts>>,
    /// Sorted non-null, non-NaN values of numeric columns, and their NaN counts, from one scan per
    /// side.
    sorted: Mutex<HashMap<(Side, String), Sorted>>,
    nans: Mutex<HashMap<(Side, String), u64>>,
    /// How many values may be held sorted at once ([`crate::stats::bounded`]).
    pub budget: u64,
    /// Every needed column's sorted values fit at once (and were read up front); otherwise each
    /// gate forgets its column's values when done.
    pub keep_sorted: bool,
    histograms: Mutex<HashMap<String, (Histogram, Histogram)>>,
}

/// One side of a probe as a [`crate::stats::Scan`] source.
pub struct SideScan<'p, 'a> {
    probe: &'p Probe<'a>,
    side: Side,
}

impl crate::stats::Scan for SideScan<'_, '_> {
    fn for_each_values<F>(
        &self,
        columns: &[String],
        f: F,
    ) -> impl std::future::Future<Output = Result<Vec<u64>>> + Send
    where
        F: FnMut(usize, f64) + Send,
    {
        self.probe.for_each_values(self.side, columns, f)
    }
}

pub(crate) fn quote(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

pub(crate) fn is_float(t: &DataType) -> bool {
    matches!(t, DataType::Float16 | DataType::Float32 | DataType::Float64)
}

/// Integers, floats, decimals, timestamps and dates: what KS takes, as f64.
pub(crate) fn is_numeric(t: &DataType) -> bool {
    t.is_numeric()
        || matches!(
            t,
            DataType::Timestamp(..) | DataType::Date32 | DataType::Date64 | DataType::Duration(_)
        )
}

impl<'a> Probe<'a> {
    pub fn new(
        ds: &'a Dataset,
        candidate: &'a Sealed,
        baseline: Option<&'a Sealed>,
    ) -> Result<Self> {
        let ctx = SessionContext::new();
        crate::table::register(&ctx, "candidate", ds, candidate)?;
        if let Some(b) = baseline {
            crate::table::register(&ctx, "baseline", ds, b)?;
        }
        let side = |s: &'a Sealed| {
            Ok::<_, Error>(SideData {
                schema: s.manifest.schema.to_arrow()?,
                rows: s.manifest.rows,
                sealed: Some(s),
            })
        };
        Self::with_sides(ctx, ds, side(candidate)?, baseline.map(side).transpose()?)
    }

    /// A probe over tables already registered in `ctx` as `candidate` (and `baseline` when
    /// `baseline` is given): how a slice is judged.
    pub fn with_sides(
        ctx: SessionContext,
        ds: &'a Dataset,
        candidate: SideData<'a>,
        baseline: Option<SideData<'a>>,
    ) -> Result<Self> {
        Ok(Probe {
            ctx,
            ds,
            candidate,
            baseline,
            cache: Mutex::new(HashMap::new()),
            sorted: Mutex::new(HashMap::new()),
            nans: Mutex::new(HashMap::new()),
            budget: bounded::values_budget(bounded::memory_limit()?),
            keep_sorted: false,
            histograms: Mutex::new(HashMap::new()),
        })
    }

    pub fn has_baseline(&self) -> bool {
        self.baseline.is_some()
    }

    pub fn side(&self, side: Side) -> Option<&SideData<'a>> {
        match side {
            Side::Candidate => Some(&self.candidate),
            Side::Baseline => self.baseline.as_ref(),
        }
    }

    /// One side as a source of values for the statistics engine.
    pub fn scan(&self, side: Side) -> SideScan<'_, 'a> {
        SideScan { probe: self, side }
    }

    pub fn schema(&self, side: Side) -> SchemaRef {
        self.schema_opt(side)
            .unwrap_or_else(|| self.candidate.schema.clone())
    }

    pub fn schema_opt(&self, side: Side) -> Option<SchemaRef> {
        self.side(side).map(|s| s.schema.clone())
    }

    pub fn rows(&self, side: Side) -> Option<u64> {
        self.side(side).map(|s| s.rows)
    }

    /// Null counts (and NaN counts of float columns when `nans`) of `columns`: footer statistics
    /// where every file has them, one scan for the rest.
    pub async fn counts(
        &self,
        side: Side,
        columns: &[String],
        nans: bool,
    ) -> Result<HashMap<String, Counts>> {
        let Some(data) = self.side(side) else {
            return Ok(HashMap::new());
        };
        let (schema, rows) = (&data.schema, data.rows);
        let mut out = HashMap::new();
        let mut scan_nulls = Vec::new();
        let mut scan_nans = Vec::new();
        for c in columns {
            if let Some(hit) = self.cache.lock().expect("cache").get(&(side, c.clone()))
                && (!nans
                    || hit.nans.is_some()
                    || !schema
                        .field_with_name(c)
                        .is_ok_and(|f| is_float(f.data_type())))
            {
                out.insert(c.clone(), *hit);
                continue;
            }
            let Ok(field) = schema.field_with_name(c) else {
                continue;
            };
            let footer: Option<u64> = data.sealed.and_then(|sealed| {
                if sealed.manifest.files.is_empty() {
                    return Some(0);
                }
                sealed
                    .manifest
                    .files
                    .iter()
                    .map(|f| f.null_counts.get(c).copied())
                    .sum::<Option<u64>>()
            });
            match footer {
                Some(n) => {
                    out.insert(
                        c.clone(),
                        Counts {
                            rows,
                            nulls: n,
                            null_source: "footer",
                            nans: None,
                        },
                    );
                }
                None => scan_nulls.push(c.clone()),
            }
            if nans && is_float(field.data_type()) {
                match self.nans.lock().expect("cache").get(&(side, c.clone())) {
                    Some(&n) => {
                        if let Some(e) = out.get_mut(c) {
                            e.nans = Some(n);
                        } else {
                            scan_nulls.push(c.clone());
                            scan_nans.push(c.clone());
                        }
                    }
                    None => scan_nans.push(c.clone()),
                }
            }
        }
        if !scan_nulls.is_empty() || !scan_nans.is_empty() {
            let mut exprs = vec!["count(*)".to_string()];
            exprs.extend(scan_nulls.iter().map(|c| format!("count({})", quote(c))));
            exprs.extend(
                scan_nans
                    .iter()
                    .map(|c| format!("sum(CASE WHEN isnan({}) THEN 1 ELSE 0 END)", quote(c))),
            );
            let q = format!("SELECT {} FROM {}", exprs.join(", "), side.table());
            let batches = self.sql(&q).await?;
            let b = batches
                .first()
                .ok_or_else(|| Error::input("count query returned nothing"))?;
            let num = |i: usize| -> u64 {
                let col = b.column(i);
                let cast = arrow::compute::cast(col, &DataType::UInt64).ok();
                cast.and_then(|a| {
                    let a = a
                        .as_any()
                        .downcast_ref::<arrow::array::UInt64Array>()?
                        .clone();
                    (!a.is_null(0)).then(|| a.value(0))
                })
                .unwrap_or(0)
            };
            let scanned_rows = num(0);
            for (i, c) in scan_nulls.iter().enumerate() {
                out.insert(
                    c.clone(),
                    Counts {
                        rows: scanned_rows,
                        nulls: scanned_rows - num(1 + i),
                        null_source: "scan",
                        nans: None,
                    },
                );
            }
            for (i, c) in scan_nans.iter().enumerate() {
                if let Some(e) = out.get_mut(c) {
                    e.nans = Some(num(1 + scan_nulls.len() + i));
                }
            }
        }
        let mut cache = self.cache.lock().expect("cache");
        for (c, v) in &out {
            cache.insert((side, c.clone()), *v);
        }
        Ok(out)
    }

    /// The sorted non-null, non-NaN values of a numeric column as f64 (timestamps and dates as
    /// their integer value).
    pub async fn sorted_values(&self, side: Side, column: &str) -> Result<Arc<Vec<f64>>> {
        if let Some(v) = self
            .sorted
            .lock()
            .expect("cache")
            .get(&(side, column.to_string()))
        {
            return Ok(v.clone());
        }
        self.prefetch_side(side, &[column.to_string()]).await?;
        self.sorted
            .lock()
            .expect("cache")
            .get(&(side, column.to_string()))
            .cloned()
            .ok_or_else(|| Error::input(format!("no values read for {}.{column}", side.table())))
    }

    /// Reads and sorts the values of `columns` on both sides at once: one scan per side decoding
    /// only these columns, then each column sorted on a blocking thread, all in parallel. NaN counts
    /// are kept for [`Probe::counts`], which then needs no scan of its own.
    pub async fn prefetch(&self, columns: &[String]) -> Result<()> {
        if columns.is_empty() {
            return Ok(());
        }
        let (a, b) = tokio::join!(
            self.prefetch_side(Side::Candidate, columns),
            self.prefetch_side(Side::Baseline, columns)
        );
        a.and(b)
    }

    async fn prefetch_side(&self, side: Side, columns: &[String]) -> Result<()> {
        let Some(SideData { schema, .. }) = self.side(side) else {
            return Ok(());
        };
        let columns: Vec<&String> = columns
            .iter()
            .filter(|c| schema.field_with_name(c).is_ok())
            .collect();
        if columns.is_empty() {
            return Ok(());
        }
        let names: Vec<String> = columns.iter().map(|c| (*c).clone()).collect();
        let rows = self.rows(side).unwrap_or(0) as usize;
        let mut values: Vec<Vec<f64>> = columns.iter().map(|_| Vec::with_capacity(rows)).collect();
        let mut nans = vec![0u64; columns.len()];
        self.scan_f64(side, &names, |i, f| {
            let out = &mut values[i];
            let before = out.len();
            if f.null_count() == 0 {
                out.extend(f.values().iter().copied().filter(|v| !v.is_nan()));
            } else {
                out.extend(f.iter().flatten().filter(|v| !v.is_nan()));
            }
            let non_null = f.len() - f.null_count();
            nans[i] += (non_null - (out.len() - before)) as u64;
        })
        .await?;
        let sorted = futures::future::try_join_all(
            values
                .into_iter()
                .map(|v| tokio::task::spawn_blocking(move || crate::stats::sort::sort_f64(v))),
        )
        .await
        .map_err(|e| Error::input(format!("sorting: {e}")))?;
        let mut cache = self.sorted.lock().expect("cache");
        let mut nan_cache = self.nans.lock().expect("cache");
        for ((c, v), n) in columns.iter().zip(sorted).zip(nans) {
            cache.insert((side, (*c).clone()), Arc::new(v));
            nan_cache.insert((side, (*c).clone()), n);
        }
        Ok(())
    }

    /// Calls `f` with every non-null, non-NaN value of a numeric column of one side, as f64, in one
    /// scan decoding only that column; returns the number of NaNs.
    pub async fn for_each_value(
        &self,
        side: Side,
        column: &str,
        mut f: impl FnMut(f64) + Send,
    ) -> Result<u64> {
        let nans = self
            .for_each_values(side, &[column.to_string()], |_, x| f(x))
            .await?;
        Ok(nans[0])
    }

    /// [`Probe::for_each_value`] for several columns in one scan: `f(column index, value)`;
    /// returns the NaN count of each.
    pub async fn for_each_values(
        &self,
        side: Side,
        columns: &[String],
        mut f: impl FnMut(usize, f64) + Send,
    ) -> Result<Vec<u64>> {
        let mut nans = vec![0; columns.len()];
        self.scan_f64(side, columns, |i, a| {
            for v in a.iter().flatten() {
                if v.is_nan() {
                    nans[i] += 1;
                } else {
                    f(i, v);
                }
            }
        })
        .await?;
        Ok(nans)
    }

    /// One scan of one side decoding only `columns`, each batch's columns as f64 (timestamps and
    /// dates as their integer value): `f(column index, values)`. Shows a progress bar.
    async fn scan_f64(
        &self,
        side: Side,
        columns: &[String],
        mut f: impl FnMut(usize, &Float64Array),
    ) -> Result<()> {
        let what = || format!("reading {} of {}", columns.join(", "), side.table());
        let q = format!(
            "SELECT {} FROM {}",
            columns
                .iter()
                .map(|c| quote(c))
                .collect::<Vec<_>>()
                .join(", "),
            side.table()
        );
        let df = self
            .ctx
            .sql(&q)
            .await
            .map_err(|e| Error::datafusion(what(), e))?;
        let mut stream = df
            .execute_stream()
            .await
            .map_err(|e| Error::datafusion(what(), e))?;
        let bar = crate::progress::Bar::new(
            side.table(),
            self.rows(side).unwrap_or(0),
            crate::progress::Unit::Rows,
        );
        while let Some(batch) = stream.next().await {
            let batch = batch.map_err(|e| Error::datafusion(what(), e))?;
            bar.inc(batch.num_rows() as u64);
            for i in 0..columns.len() {
                f(i, &to_f64(batch.column(i))?);
            }
        }
        Ok(())
    }

    /// The histograms of every needed column that does not fit the memory limit, both sides, one
    /// scan each ([`crate::stats::bounded`]).
    pub async fn prefetch_histograms(&self, columns: &[String]) -> Result<()> {
        if columns.is_empty() || self.baseline.is_none() {
            return Ok(());
        }
        let (cand, base) = (self.scan(Side::Candidate), self.scan(Side::Baseline));
        let (a, b) = tokio::join!(
            bounded::histograms(&cand, columns),
            bounded::histograms(&base, columns)
        );
        let mut h = self.histograms.lock().expect("cache");
        for ((c, a), b) in columns.iter().zip(a?).zip(b?) {
            h.insert(c.clone(), (a, b));
        }
        Ok(())
    }

    /// A column's histograms, taken out of the cache (each is walked once).
    pub fn histogram(&self, column: &str) -> Option<(Histogram, Histogram)> {
        self.histograms.lock().expect("cache").remove(column)
    }

    /// Whether both sides' values of `columns`, sorted, fit the memory limit.
    pub fn fits(&self, columns: usize) -> bool {
        let rows = self.rows(Side::Candidate).unwrap_or(0) + self.rows(Side::Baseline).unwrap_or(0);
        rows.saturating_mul(columns as u64) <= self.budget
    }

    /// Forgets the sorted values of a column once its gate is done (bounded memory).
    pub fn evict(&self, column: &str) {
        let mut s = self.sorted.lock().expect("cache");
        s.remove(&(Side::Candidate, column.to_string()));
        s.remove(&(Side::Baseline, column.to_string()));
    }

    /// Records NaN counts found by a bounded walk, for [`Probe::counts`].
    pub fn record_nans(&self, column: &str, candidate: u64, baseline: u64) {
        let mut n = self.nans.lock().expect("cache");
        n.insert((Side::Candidate, column.to_string()), candidate);
        n.insert((Side::Baseline, column.to_string()), baseline);
    }

    pub async fn sql(&self, q: &str) -> Result<Vec<RecordBatch>> {
        let df = self
            .ctx
            .sql(q)
            .await
            .map_err(|e| Error::datafusion(format!("query {q:?}"), e))?;
        df.collect()
            .await
            .map_err(|e| Error::datafusion(format!("query {q:?}"), e))
    }
}

pub(crate) fn to_f64(a: &ArrayRef) -> Result<Float64Array> {
    let bad = |e| Error::input(format!("casting to a number: {e}"));
    let a = match a.data_type() {
        DataType::Timestamp(..) | DataType::Date32 | DataType::Date64 | DataType::Duration(_) => {
            arrow::compute::cast(a, &DataType::Int64).map_err(bad)?
        }
        _ => a.clone(),
    };
    let f = arrow::compute::cast(&a, &DataType::Float64).map_err(bad)?;
    f.as_any()
        .downcast_ref::<Float64Array>()
        .cloned()
        .ok_or_else(|| Error::input("casting to a number: not a Float64 array"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::publish::{PublishOptions, publish};
    use crate::stats::bounded::ks;
    use crate::stats::ecdf::ecdf_points;
    use crate::stats::ks::ks_2samp_sorted;
    use crate::synth::Variant;
    use crate::{Context, Dataset, DatasetName, Store, VersionId};

    /// Two sealed versions on a memory store from synthetic nights.
    async fn two_versions(a: Variant, b: Variant) -> (Dataset, tempfile::TempDir) {
        let t = tempfile::tempdir().unwrap();
        let ds = Dataset::new(Store::memory(), DatasetName::new("d").unwrap());
        for (i, v) in [a, b].into_iter().enumerate() {
            let dir = t.path().join(format!("n{i}"));
            crate::synth::write_dir(&dir, 20_000, 3, i as u64 + 1, v).unwrap();
            let o = PublishOptions {
                sources: vec![dir.display().to_string()],
                version: Some(VersionId::new(format!("v{i}")).unwrap()),
                no_promote: true,
                ..Default::default()
            };
            publish(&ds, &Context::new("t"), o).await.unwrap();
        }
        (ds, t)
    }

    /// The bounded walk gives exactly the in-memory answer (D, p, location, ECDF points), with
    /// budgets that force many ranges, refinement down to single keys, and tie runs.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn bounded_equals_in_memory() {
        for (a, b, column) in [
            (Variant::Good, Variant::Shift, "score"),
            (Variant::Good, Variant::Good, "tenure_days"),
            (Variant::Constant, Variant::Good, "score"),
            (Variant::Good, Variant::Nulls, "spend_30d"),
        ] {
            let (ds, _t) = two_versions(a, b).await;
            let (c, b2) = (
                ds.require(&VersionId::new("v1").unwrap()).await.unwrap(),
                ds.require(&VersionId::new("v0").unwrap()).await.unwrap(),
            );
            let probe = Probe::new(&ds, &c, Some(&b2)).unwrap();
            let (x, y) = (
                probe.sorted_values(Side::Candidate, column).await.unwrap(),
                probe.sorted_values(Side::Baseline, column).await.unwrap(),
            );
            let want = ks_2samp_sorted(&x, &y).unwrap();
            for budget in [1_000, 7_777, 1 << 20] {
                let (sa, sb) = (probe.scan(Side::Candidate), probe.scan(Side::Baseline));
                let got = ks(&sa, &sb, column, budget, None).await.unwrap().unwrap();
                let what = format!("{column} {a:?}/{b:?} budget {budget}");
                assert_eq!(got.ks.statistic, want.statistic, "{what}");
                assert_eq!(got.ks.p_value, want.p_value, "{what}");
                assert_eq!(got.ks.location, want.location, "{what}");
                assert_eq!((got.ks.n1, got.ks.n2), (want.n1, want.n2), "{what}");
                assert_eq!(got.ecdf_a, ecdf_points(&x), "{what}");
                assert_eq!(got.ecdf_b, ecdf_points(&y), "{what}");
                if budget < 10_000 {
                    assert!(got.passes > 3, "{what}: {} scans", got.passes);
                }
            }
        }
    }
}

/// Every row group's minimum and maximum of one column, from the Parquet footers.
#[derive(Debug, Clone)]
pub struct FooterBounds {
    pub mins: ArrayRef,
    pub maxes: ArrayRef,
    /// Files whose footers were read.
    pub files: usize,
}

impl Probe<'_> {
    /// The row groups' exact minima and maxima of `column` on a side that is a whole version, read
    /// from the footers (one ranged read per file); `None` when the side is a slice, the column is
    /// nested or a partition key, or any row group lacks an exact statistic (then only a scan
    /// knows).
    #[allow(deprecated)] // ParquetObjectReader: still the one-call footer read over object_store
    pub async fn footer_bounds(&self, side: Side, column: &str) -> Result<Option<FooterBounds>> {
        use parquet::arrow::arrow_reader::statistics::StatisticsConverter;
        use parquet::arrow::async_reader::{AsyncFileReader, ParquetObjectReader};
        let Some(SideData {
            sealed: Some(sealed),
            ..
        }) = self.side(side)
        else {
            return Ok(None);
        };
        let (mut mins, mut maxes) = (Vec::new(), Vec::new());
        for f in &sealed.manifest.files {
            let path = self.ds.layout.resolve(&f.path)?;
            let url = self.ds.store.url_of(&path);
            let mut reader =
                ParquetObjectReader::new(self.ds.store.object_store(), path).with_file_size(f.size);
            let meta = reader.get_metadata(None).await.map_err(|e| {
                Error::Corrupt(format!("the Parquet footer of {url} does not parse: {e}"))
            })?;
            let file_meta = meta.file_metadata();
            let Ok(arrow_schema) = parquet::arrow::parquet_to_arrow_schema(
                file_meta.schema_descr(),
                file_meta.key_value_metadata(),
            ) else {
                return Ok(None);
            };
            let Ok(conv) =
                StatisticsConverter::try_new(column, &arrow_schema, file_meta.schema_descr())
            else {
                return Ok(None);
            };
            let groups = meta.row_groups();
            let exact = |a: parquet::errors::Result<arrow::array::BooleanArray>| {
                a.is_ok_and(|a| a.null_count() == 0 && a.values().iter().all(|b| b))
            };
            if !exact(conv.row_group_is_min_value_exact(groups))
                || !exact(conv.row_group_is_max_value_exact(groups))
            {
                return Ok(None);
            }
            let (Ok(lo), Ok(hi)) = (conv.row_group_mins(groups), conv.row_group_maxes(groups))
            else {
                return Ok(None);
            };
            // A row group of nulls only has no statistic; with a null count equal to its rows
            // it holds nothing to bound.
            let counts = conv.row_group_null_counts(groups).ok();
            for i in 0..lo.len() {
                let all_null = counts
                    .as_ref()
                    .is_some_and(|c| c.is_valid(i) && c.value(i) == groups[i].num_rows() as u64);
                if all_null {
                    continue;
                }
                if lo.is_null(i) || hi.is_null(i) {
                    return Ok(None);
                }
                mins.push(lo.slice(i, 1));
                maxes.push(hi.slice(i, 1));
            }
        }
        let concat = |v: &Vec<ArrayRef>| -> Result<Option<ArrayRef>> {
            if v.is_empty() {
                return Ok(None);
            }
            let refs: Vec<&dyn Array> = v.iter().map(|a| a.as_ref()).collect();
            arrow::compute::concat(&refs)
                .map(Some)
                .map_err(|e| Error::input(format!("footer statistics of {column}: {e}")))
        };
        match (concat(&mins)?, concat(&maxes)?) {
            (Some(mins), Some(maxes)) => Ok(Some(FooterBounds {
                mins,
                maxes,
                files: sealed.manifest.files.len(),
            })),
            // Nothing but nulls (or no files): nothing to bound.
            _ => Ok(Some(FooterBounds {
                mins: arrow::array::new_empty_array(&DataType::Null),
                maxes: arrow::array::new_empty_array(&DataType::Null),
                files: sealed.manifest.files.len(),
            })),
        }
    }
}
