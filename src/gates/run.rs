//! Running the gates: the shared [`Probe`] over both versions, and storing reports.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use arrow::array::{Array, ArrayRef, Float64Array};
use arrow::datatypes::{DataType, SchemaRef};
use arrow::record_batch::RecordBatch;
use chrono::{DateTime, Utc};
use datafusion::prelude::SessionContext;
use futures::StreamExt;
use serde_json::json;

use crate::context::Context;
use crate::dataset::{Dataset, Sealed};
use crate::error::{Error, Result};
use crate::gates::contract::Contract;
use crate::gates::report::{self, GateResult, Outcome, Report};
use crate::gates::{Kind, Validations, distribution, ks_gate, null_rate, row_count, schema, sql};
use crate::names::VersionId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Side {
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
pub(crate) struct Counts {
    pub rows: u64,
    pub nulls: u64,
    /// "footer" (Parquet statistics of every file) or "scan".
    pub null_source: &'static str,
    /// For float columns, when asked for.
    pub nans: Option<u64>,
}

/// A column's sorted values, shared by the gates that read them.
type Sorted = Arc<Vec<f64>>;

/// Both versions as DataFusion tables, with cached counts.
pub(crate) struct Probe<'a> {
    pub ctx: SessionContext,
    candidate: (&'a Sealed, SchemaRef),
    baseline: Option<(&'a Sealed, SchemaRef)>,
    cache: Mutex<HashMap<(Side, String), Counts>>,
    /// Sorted non-null, non-NaN values of the KS columns, and their NaN counts, from one scan per side.
    sorted: Mutex<HashMap<(Side, String), Sorted>>,
    nans: Mutex<HashMap<(Side, String), u64>>,
    /// How many values may be held sorted at once ([`super::bounded`]).
    pub budget: u64,
    /// Every KS column's sorted values fit at once (and were read up front); otherwise each KS gate
    /// forgets its column's values when done.
    pub keep_sorted: bool,
    histograms: Mutex<HashMap<String, (super::bounded::Histogram, super::bounded::Histogram)>>,
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
    pub fn new(ds: &Dataset, candidate: &'a Sealed, baseline: Option<&'a Sealed>) -> Result<Self> {
        let ctx = SessionContext::new();
        crate::table::register(&ctx, "candidate", ds, candidate)?;
        if let Some(b) = baseline {
            crate::table::register(&ctx, "baseline", ds, b)?;
        }
        let schema_of = |s: &Sealed| s.manifest.schema.to_arrow();
        Ok(Probe {
            candidate: (candidate, schema_of(candidate)?),
            baseline: baseline
                .map(|b| Ok::<_, Error>((b, schema_of(b)?)))
                .transpose()?,
            ctx,
            cache: Mutex::new(HashMap::new()),
            sorted: Mutex::new(HashMap::new()),
            nans: Mutex::new(HashMap::new()),
            budget: super::bounded::values_budget(super::bounded::memory_limit()?),
            keep_sorted: false,
            histograms: Mutex::new(HashMap::new()),
        })
    }

    pub fn has_baseline(&self) -> bool {
        self.baseline.is_some()
    }

    fn side(&self, side: Side) -> Option<&(&'a Sealed, SchemaRef)> {
        match side {
            Side::Candidate => Some(&self.candidate),
            Side::Baseline => self.baseline.as_ref(),
        }
    }

    pub fn schema(&self, side: Side) -> SchemaRef {
        self.schema_opt(side)
            .unwrap_or_else(|| self.candidate.1.clone())
    }

    pub fn schema_opt(&self, side: Side) -> Option<SchemaRef> {
        self.side(side).map(|s| s.1.clone())
    }

    pub fn rows(&self, side: Side) -> Option<u64> {
        self.side(side).map(|s| s.0.manifest.rows)
    }

    /// Null counts (and NaN counts of float columns when `nans`) of `columns`: footer statistics
    /// where every file has them, one scan for the rest.
    pub async fn counts(
        &self,
        side: Side,
        columns: &[String],
        nans: bool,
    ) -> Result<HashMap<String, Counts>> {
        let Some((sealed, schema)) = self.side(side) else {
            return Ok(HashMap::new());
        };
        let rows = sealed.manifest.rows;
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
            let footer: Option<u64> = sealed
                .manifest
                .files
                .iter()
                .map(|f| f.null_counts.get(c).copied())
                .sum::<Option<u64>>();
            let footer = if sealed.manifest.files.is_empty() {
                Some(0)
            } else {
                footer
            };
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
    /// are kept for the null_rate gate, which then needs no scan of its own.
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
        let Some((_, schema)) = self.side(side) else {
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
                .map(|v| tokio::task::spawn_blocking(move || super::sort::sort_f64(v))),
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
        mut f: impl FnMut(f64),
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
        mut f: impl FnMut(usize, f64),
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

    /// The histograms of every KS column that does not fit the memory limit, both sides, one scan
    /// each ([`super::bounded`]).
    pub async fn prefetch_histograms(&self, columns: &[String]) -> Result<()> {
        if columns.is_empty() || self.baseline.is_none() {
            return Ok(());
        }
        let (a, b) = tokio::join!(
            super::bounded::histograms(self, Side::Candidate, columns),
            super::bounded::histograms(self, Side::Baseline, columns)
        );
        let mut h = self.histograms.lock().expect("cache");
        for ((c, a), b) in columns.iter().zip(a?).zip(b?) {
            h.insert(c.clone(), (a, b));
        }
        Ok(())
    }

    /// A column's histograms, taken out of the cache (each is walked once).
    pub fn histogram(
        &self,
        column: &str,
    ) -> Option<(super::bounded::Histogram, super::bounded::Histogram)> {
        self.histograms.lock().expect("cache").remove(column)
    }

    /// Whether both sides' values of `columns`, sorted, fit the memory limit.
    pub fn fits(&self, columns: usize) -> bool {
        let rows = self.rows(Side::Candidate).unwrap_or(0) + self.rows(Side::Baseline).unwrap_or(0);
        rows.saturating_mul(columns as u64) <= self.budget
    }

    /// Forgets the sorted values of a column once its KS gate is done (bounded memory).
    pub fn evict(&self, column: &str) {
        let mut s = self.sorted.lock().expect("cache");
        s.remove(&(Side::Candidate, column.to_string()));
        s.remove(&(Side::Baseline, column.to_string()));
    }

    /// Records NaN counts found by a bounded KS walk, for the null_rate gate.
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
    Ok(f.as_any()
        .downcast_ref::<Float64Array>()
        .expect("cast to Float64")
        .clone())
}

/// Runs every gate of `validations` on `candidate` against `baseline`.
pub async fn evaluate(
    ds: &Dataset,
    ctx: &Context,
    candidate: &Sealed,
    baseline: Option<&Sealed>,
    validations: &Validations,
    contract: Option<&Contract>,
    purpose: &str,
) -> Result<Report> {
    let started = Instant::now();
    let mut probe = Probe::new(ds, candidate, baseline)?;
    // Every column a KS gate will compare, read and sorted up front in one pass per side.
    if baseline.is_some() && candidate.manifest.rows > 0 {
        let mut ks_columns: Vec<String> = Vec::new();
        for spec in &validations.gates {
            if let Kind::Ks(g) = &spec.kind {
                ks_columns.extend(ks_gate::columns(g, &probe));
            }
        }
        let both = |c: &String| {
            [Side::Candidate, Side::Baseline].iter().all(|s| {
                probe
                    .schema(*s)
                    .field_with_name(c)
                    .is_ok_and(|f| is_numeric(f.data_type()))
            })
        };
        ks_columns.retain(both);
        ks_columns.sort();
        ks_columns.dedup();
        // A failure here shows up again, per column, in the KS gate's own results. Beyond the
        // memory limit, each KS gate reads its column alone (or in key ranges).
        if probe.fits(ks_columns.len()) {
            probe.keep_sorted = true;
            let _ = probe.prefetch(&ks_columns).await;
        } else if !probe.fits(1) {
            let _ = probe.prefetch_histograms(&ks_columns).await;
        }
    }
    let mut gates = Vec::new();
    for spec in &validations.gates {
        let mut results = match &spec.kind {
            Kind::Schema(g) => schema::check(spec, g, &probe).await,
            Kind::RowCount(g) => row_count::check(spec, g, &probe),
            Kind::NullRate(g) => null_rate::check(spec, g, &probe).await,
            Kind::Ks(g) => ks_gate::check(spec, g, &probe).await,
            Kind::Distribution(g) => distribution::check(spec, g, &probe).await,
            Kind::Sql(g) => sql::check(spec, g, &probe).await,
        };
        gates.append(&mut results);
    }
    if let Some(c) = contract {
        gates.push(schema::check_contract(c, &probe).await);
    }
    let passed = !gates.iter().any(GateResult::blocks);
    Ok(Report {
        format: report::FORMAT.into(),
        format_version: report::FORMAT_VERSION,
        dataset: ds.name().to_string(),
        version: candidate.manifest.version.to_string(),
        baseline: baseline.map(|b| b.manifest.version.to_string()),
        passed,
        purpose: purpose.to_string(),
        at: ctx.now(),
        actor: ctx.actor.clone(),
        validations: json!({
            "source": validations.source.as_ref().map(|p| p.display().to_string()).unwrap_or_else(|| "defaults".into()),
            "checksum": validations.checksum,
            "gates": validations.gates,
        }),
        contract: contract
            .map(|c| json!({"path": c.path.display().to_string(), "checksum": c.checksum})),
        scope: None,
        gates,
        duration_ms: started.elapsed().as_millis() as u64,
    })
}

/// A result for a gate that could not run at all.
pub(crate) fn error_result(
    spec: &crate::gates::GateSpec,
    column: Option<&str>,
    e: impl std::fmt::Display,
) -> GateResult {
    GateResult::new(&spec.name, spec.kind.name(), column, spec.severity)
        .outcome(Outcome::Error, e.to_string())
}

fn report_name(at: DateTime<Utc>, purpose: &str) -> String {
    format!("{}-{purpose}", at.format("%Y%m%dT%H%M%S%6fZ"))
}

/// Stores the report beside the version, create-if-absent; returns its dataset-relative path.
pub async fn store_report(ds: &Dataset, report: &Report) -> Result<String> {
    let v = VersionId::new(&report.version)?;
    let mut at = report.at;
    loop {
        let name = report_name(at, &report.purpose);
        let path = ds.layout.report(&v, &name);
        match ds.store.create(&path, report.to_bytes()).await? {
            crate::store::Put::Created => return Ok(format!("versions/{v}/reports/{name}.json")),
            // Two runs in the same microsecond: take the next one.
            crate::store::Put::Exists => at += chrono::Duration::microseconds(1),
        }
    }
}

/// The newest report about `v`, if gates ever ran on it.
pub async fn latest_report(ds: &Dataset, v: &VersionId) -> Result<Option<Report>> {
    let mut objs = ds.store.list(&ds.layout.reports_prefix(v)).await?;
    objs.sort_by(|a, b| a.location.as_ref().cmp(b.location.as_ref()));
    let Some(last) = objs.last() else {
        return Ok(None);
    };
    let bytes = ds.store.get(&last.location).await?.unwrap_or_default();
    serde_json::from_slice(&bytes).map(Some).map_err(|e| {
        Error::Corrupt(format!(
            "gate report {}: {e}",
            ds.store.url_of(&last.location)
        ))
    })
}
