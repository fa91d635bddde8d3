//! The breakage benchmark's generator: sound nights of a customer population, and each way a night
//! goes wrong.
//!
//! A nightly job re-scores mostly the same customers. Night `n` holds the customers numbered
//! `n·rows/100 … n·rows/100 + rows` (1% leave and 1% join each night), less ½% who are absent that
//! night; each is re-scored with a little noise ([`Customer::rescored`]), the whole population drifts
//! a little (the scores' logit mean by 0.004 a night, newer customers lean towards `smb`), tenure
//! grows by a day and the run is a day later. The same columns as [`crate::synth`].
//!
//! A [`Breakage`] turns night `n` into a bad night of one class: the ones marginal distributions
//! hide (scores assigned to the wrong customers, 5% silently defaulted to 0, one segment shifted, a
//! segment missing, customers duplicated by a join fan-out, yesterday re-published, probabilities
//! above 1) and the classic ones. Each names the gate kind of `lastgood init --sample`'s file that
//! must catch it. `tests/it/breakage.rs` runs them all at 200k rows; `examples/breakage.rs` at any
//! size, printing the README's table.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{
    ArrayRef, Float32Array, Float64Array, Int64Array, StringArray, TimestampMicrosecondArray,
};
use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

use crate::error::{Error, Result};
use crate::synth::{Customer, DAY_MICROS, NIGHT_ZERO_MICROS, Rng, SEGMENTS};

/// How a night is broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Breakage {
    /// A misaligned feature join: every score belongs to another customer; marginals identical.
    WrongCustomers,
    /// 5% of scores silently defaulted to 0.
    DefaultedScores,
    /// One segment's (`smb`) scores 0.10 higher; the others held.
    SegmentShift,
    /// A whole segment (`enterprise`) missing.
    SegmentMissing,
    /// 5% of customers duplicated by a join fan-out (two or three rows each).
    FanOut,
    /// Yesterday's output re-published as tonight's (the same rows, written again).
    Republished,
    /// 1% of scores above 1 (an uncalibrated model's raw output).
    AboveOne,
    /// 3% of scores null where there were none.
    NewNulls,
    /// `spend_30d` gone.
    ColumnGone,
    /// `score` written as float32.
    TypeChanged,
    /// 2% of scores NaN.
    NanScores,
    /// Every score 0.10 higher.
    GlobalShift,
    /// 30% of the rows.
    RowCollapse,
    /// 25% more customers, all new and all `enterprise`: the segment mix changes.
    SegmentMix,
    /// Scores re-computed but `scored_at` still yesterday's.
    StaleTimestamps,
    /// `scored_at` a thousand times too far from the epoch (nanoseconds written as microseconds…).
    FutureTimestamps,
    /// Every score 0.5: a broken model that still writes a well-formed file.
    ConstantScores,
    /// Scores are 1 − score: the model predicts the other class.
    FlippedScores,
    /// 3% of `spend_30d` negative (refunds netted in the wrong sign).
    NegativeSpend,
    /// `tenure_days` in months.
    TenureUnits,
    /// 1% of `customer_id` null.
    NullKeys,
    /// No rows at all.
    Empty,
}

impl Breakage {
    pub const ALL: [Breakage; 22] = [
        Breakage::WrongCustomers,
        Breakage::DefaultedScores,
        Breakage::SegmentShift,
        Breakage::SegmentMissing,
        Breakage::FanOut,
        Breakage::Republished,
        Breakage::AboveOne,
        Breakage::NewNulls,
        Breakage::ColumnGone,
        Breakage::TypeChanged,
        Breakage::NanScores,
        Breakage::GlobalShift,
        Breakage::RowCollapse,
        Breakage::SegmentMix,
        Breakage::StaleTimestamps,
        Breakage::FutureTimestamps,
        Breakage::ConstantScores,
        Breakage::FlippedScores,
        Breakage::NegativeSpend,
        Breakage::TenureUnits,
        Breakage::NullKeys,
        Breakage::Empty,
    ];

    /// A short name (`wrong_customers`).
    pub fn slug(self) -> &'static str {
        match self {
            Breakage::WrongCustomers => "wrong_customers",
            Breakage::DefaultedScores => "defaulted_scores",
            Breakage::SegmentShift => "segment_shift",
            Breakage::SegmentMissing => "segment_missing",
            Breakage::FanOut => "fan_out",
            Breakage::Republished => "republished",
            Breakage::AboveOne => "above_one",
            Breakage::NewNulls => "new_nulls",
            Breakage::ColumnGone => "column_gone",
            Breakage::TypeChanged => "type_changed",
            Breakage::NanScores => "nan_scores",
            Breakage::GlobalShift => "global_shift",
            Breakage::RowCollapse => "row_collapse",
            Breakage::SegmentMix => "segment_mix",
            Breakage::StaleTimestamps => "stale_timestamps",
            Breakage::FutureTimestamps => "future_timestamps",
            Breakage::ConstantScores => "constant_scores",
            Breakage::FlippedScores => "flipped_scores",
            Breakage::NegativeSpend => "negative_spend",
            Breakage::TenureUnits => "tenure_units",
            Breakage::NullKeys => "null_keys",
            Breakage::Empty => "empty",
        }
    }

    /// What went wrong, for the table.
    pub fn what(self) -> &'static str {
        match self {
            Breakage::WrongCustomers => "scores assigned to the wrong customers (misaligned join)",
            Breakage::DefaultedScores => "5% of scores silently defaulted to 0",
            Breakage::SegmentShift => "one segment's scores +0.10, the others held",
            Breakage::SegmentMissing => "a whole segment missing",
            Breakage::FanOut => "5% of customers duplicated by a join fan-out",
            Breakage::Republished => "yesterday's output re-published",
            Breakage::AboveOne => "1% of probabilities above 1",
            Breakage::NewNulls => "3% of scores null where there were none",
            Breakage::ColumnGone => "a column gone (spend_30d)",
            Breakage::TypeChanged => "a type changed (score float64 -> float32)",
            Breakage::NanScores => "2% of scores NaN",
            Breakage::GlobalShift => "every score +0.10",
            Breakage::RowCollapse => "row count collapse (30% of the rows)",
            Breakage::SegmentMix => "segment mix change (+25% new enterprise customers)",
            Breakage::StaleTimestamps => "timestamps not advancing (scored_at yesterday's)",
            Breakage::FutureTimestamps => "timestamps in the wrong unit (x1000)",
            Breakage::ConstantScores => "every score 0.5 (a broken model)",
            Breakage::FlippedScores => "scores flipped (1 - score)",
            Breakage::NegativeSpend => "3% of spend_30d negative",
            Breakage::TenureUnits => "tenure_days in months",
            Breakage::NullKeys => "1% of customer_id null",
            Breakage::Empty => "no rows",
        }
    }

    /// The gate kind of `init --sample`'s file that must catch it (others may too).
    pub fn caught_by(self) -> &'static str {
        match self {
            Breakage::WrongCustomers | Breakage::DefaultedScores | Breakage::Republished => "keyed",
            Breakage::SegmentShift
            | Breakage::GlobalShift
            | Breakage::ConstantScores
            | Breakage::FlippedScores
            | Breakage::TenureUnits => "ks",
            Breakage::SegmentMissing | Breakage::SegmentMix => "distribution",
            Breakage::FanOut | Breakage::NullKeys => "unique",
            Breakage::AboveOne | Breakage::NegativeSpend => "range",
            Breakage::NewNulls | Breakage::NanScores => "null_rate",
            Breakage::ColumnGone | Breakage::TypeChanged => "schema",
            Breakage::RowCollapse | Breakage::Empty => "row_count",
            Breakage::StaleTimestamps | Breakage::FutureTimestamps => "freshness",
        }
    }
}

impl std::str::FromStr for Breakage {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Breakage::ALL
            .into_iter()
            .find(|b| b.slug() == s)
            .ok_or_else(|| Error::input(format!("unknown breakage {s}")))
    }
}

/// A population of about `rows` customers a night, the same customers from night to night
/// (mostly), deterministic from `seed`.
#[derive(Debug, Clone, Copy)]
pub struct Population {
    pub rows: usize,
    pub seed: u64,
    /// Parquet files a night is written as.
    pub files: usize,
}

impl Population {
    pub fn new(rows: usize) -> Self {
        Population {
            rows,
            seed: 1,
            files: (rows / 2_000_000).max(1),
        }
    }

    /// The first customer number of night `n`: 1% of the population turns over each night.
    fn start(&self, night: u64) -> u64 {
        night * (self.rows as u64 / 100)
    }

    /// Whether customer `i` is scored on night `n` (½% are absent on any night).
    fn present(&self, i: u64, night: u64) -> bool {
        let mut r = Rng::new(i ^ night.wrapping_mul(0xA076_1D64_78BD_642F) ^ self.seed);
        r.uniform() >= 0.005
    }

    /// The customer's segment: newer customers (a higher number) lean towards `smb`, so the mix
    /// drifts a little as the population turns over.
    fn segment(&self, i: u64, c: &Customer) -> usize {
        let turned = i as f64 / self.rows.max(1) as f64;
        let mut r = Rng::new(i.wrapping_mul(0x2545_F491_4F6C_DD1D) ^ self.seed);
        if r.uniform() < (0.02 * turned).min(0.2) {
            1
        } else {
            c.segment
        }
    }

    /// Writes night `night` (or its broken variant) into `dir` (created); returns the files.
    pub fn write_night(
        &self,
        dir: &Path,
        night: u64,
        breakage: Option<Breakage>,
    ) -> Result<Vec<PathBuf>> {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
        // Yesterday re-published: yesterday's rows, written again (other files, same rows).
        let (night, files) = match breakage {
            Some(Breakage::Republished) => (night.saturating_sub(1), self.files + 1),
            _ => (night, self.files),
        };
        let customers = self.start(night)..self.start(night) + self.rows as u64;
        let per_file = (self.rows as u64).div_ceil(files as u64).max(1);
        let mut rng = Rng::new(self.seed.wrapping_mul(1_000_003) ^ night);
        let mut out = Vec::new();
        let mut extra_next = self.start(night) + 10 * self.rows as u64 + 1;
        for k in 0..files as u64 {
            let lo = customers.start + k * per_file;
            let hi = (lo + per_file).min(customers.end);
            if lo >= hi && k > 0 {
                break;
            }
            let path = dir.join(format!("part-{k:05}.parquet"));
            let mut writer: Option<ArrowWriter<std::fs::File>> = None;
            let mut at = lo;
            loop {
                let end = (at + 100_000).min(hi);
                let mut cols = self.rows_of(&mut rng, at..end, night);
                if let Some(b) = breakage {
                    apply(b, &mut cols, &mut rng, &mut extra_next, night);
                }
                let batch = cols.batch(breakage)?;
                let w = match &mut writer {
                    Some(w) => w,
                    None => {
                        let file = std::fs::File::create(&path)
                            .map_err(|e| Error::io(format!("creating {}", path.display()), e))?;
                        let props = WriterProperties::builder()
                            .set_compression(Compression::ZSTD(ZstdLevel::default()))
                            .set_max_row_group_row_count(Some(1_000_000))
                            .build();
                        writer.insert(
                            ArrowWriter::try_new(file, batch.schema(), Some(props)).map_err(
                                |e| Error::input(format!("writing {}: {e}", path.display())),
                            )?,
                        )
                    }
                };
                w.write(&batch)
                    .map_err(|e| Error::input(format!("writing {}: {e}", path.display())))?;
                at = end;
                if at >= hi {
                    break;
                }
            }
            if let Some(w) = writer {
                w.close()
                    .map_err(|e| Error::input(format!("writing {}: {e}", path.display())))?;
                out.push(path);
            }
        }
        Ok(out)
    }

    /// The rows of customers `range` on night `night` (the absent ones left out).
    fn rows_of(&self, rng: &mut Rng, range: std::ops::Range<u64>, night: u64) -> Cols {
        let mut cols = Cols::default();
        let drift = 0.004 * night as f64;
        let run = NIGHT_ZERO_MICROS + night as i64 * DAY_MICROS;
        for i in range {
            if !self.present(i, night) {
                continue;
            }
            let c = Customer::new(i);
            cols.push(
                i,
                Some(c.rescored(rng, drift)),
                self.segment(i, &c),
                c,
                night,
                rng,
                run,
            );
        }
        cols
    }
}

/// One batch's columns, row by row, before they become Arrow arrays.
#[derive(Debug, Default)]
struct Cols {
    id: Vec<Option<String>>,
    score: Vec<Option<f64>>,
    segment: Vec<usize>,
    tenure: Vec<Option<i64>>,
    spend: Vec<Option<f64>>,
    scored_at: Vec<i64>,
}

impl Cols {
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        i: u64,
        score: Option<f64>,
        segment: usize,
        c: Customer,
        night: u64,
        rng: &mut Rng,
        run: i64,
    ) {
        self.id.push(Some(format!("c{i:012}")));
        self.score.push(score);
        self.segment.push(segment);
        self.tenure
            .push((rng.uniform() >= 0.01).then_some(c.tenure0 + night as i64));
        let seasonal = 1.0 + 0.02 * (night as f64 / 4.0).sin();
        self.spend.push(
            (rng.uniform() >= 0.02).then_some(c.spend * seasonal * (0.1 * rng.normal()).exp()),
        );
        self.scored_at.push(run + rng.below(3_600_000_000) as i64);
    }

    fn len(&self) -> usize {
        self.id.len()
    }

    /// Keeps the rows `keep` says yes to.
    fn retain(&mut self, mut keep: impl FnMut(usize, &Cols) -> bool) {
        let idx: Vec<usize> = (0..self.len()).filter(|&i| keep(i, self)).collect();
        self.select(&idx);
    }

    /// The rows at `idx`, in that order (repeats allowed).
    fn select(&mut self, idx: &[usize]) {
        fn pick<T: Clone>(v: &[T], idx: &[usize]) -> Vec<T> {
            idx.iter().map(|&i| v[i].clone()).collect()
        }
        self.id = pick(&self.id, idx);
        self.score = pick(&self.score, idx);
        self.segment = pick(&self.segment, idx);
        self.tenure = pick(&self.tenure, idx);
        self.spend = pick(&self.spend, idx);
        self.scored_at = pick(&self.scored_at, idx);
    }

    fn batch(self, breakage: Option<Breakage>) -> Result<RecordBatch> {
        let mut fields = vec![Field::new("customer_id", DataType::Utf8, true)];
        let mut cols: Vec<ArrayRef> = vec![Arc::new(StringArray::from(self.id))];
        if breakage == Some(Breakage::TypeChanged) {
            fields.push(Field::new("score", DataType::Float32, true));
            cols.push(Arc::new(
                self.score
                    .iter()
                    .map(|s| s.map(|s| s as f32))
                    .collect::<Float32Array>(),
            ));
        } else {
            fields.push(Field::new("score", DataType::Float64, true));
            cols.push(Arc::new(Float64Array::from(self.score)));
        }
        fields.push(Field::new("segment", DataType::Utf8, true));
        cols.push(Arc::new(
            self.segment
                .iter()
                .map(|s| Some(SEGMENTS[*s]))
                .collect::<StringArray>(),
        ));
        fields.push(Field::new("tenure_days", DataType::Int64, true));
        cols.push(Arc::new(Int64Array::from(self.tenure)));
        if breakage != Some(Breakage::ColumnGone) {
            fields.push(Field::new("spend_30d", DataType::Float64, true));
            cols.push(Arc::new(Float64Array::from(self.spend)));
        }
        fields.push(Field::new(
            "scored_at",
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            true,
        ));
        cols.push(Arc::new(
            TimestampMicrosecondArray::from(self.scored_at).with_timezone("UTC"),
        ));
        RecordBatch::try_new(Arc::new(Schema::new(fields)), cols)
            .map_err(|e| Error::input(format!("a synthetic batch: {e}")))
    }
}

/// `smb`, `enterprise`: the segments the segment breakages touch.
const SMB: usize = 1;
const ENTERPRISE: usize = 2;

fn apply(b: Breakage, cols: &mut Cols, rng: &mut Rng, next_id: &mut u64, night: u64) {
    let n = cols.len();
    match b {
        Breakage::WrongCustomers => {
            // Off by a few rows: every customer gets a neighbour's score.
            if n > 1 {
                let k = 1 + rng.below((n as u64 - 1).min(97)) as usize;
                cols.score.rotate_left(k);
            }
        }
        Breakage::DefaultedScores => {
            for s in &mut cols.score {
                if rng.uniform() < 0.05 {
                    *s = Some(0.0);
                }
            }
        }
        Breakage::SegmentShift => {
            for (s, seg) in cols.score.iter_mut().zip(&cols.segment) {
                if *seg == SMB {
                    *s = s.map(|s| (s + 0.10).min(1.0));
                }
            }
        }
        Breakage::SegmentMissing => cols.retain(|i, c| c.segment[i] != ENTERPRISE),
        Breakage::FanOut => {
            let mut idx = Vec::with_capacity(n + n / 10);
            for i in 0..n {
                idx.push(i);
                if rng.uniform() < 0.05 {
                    idx.extend(std::iter::repeat_n(i, 1 + rng.below(2) as usize));
                }
            }
            cols.select(&idx);
        }
        Breakage::Republished | Breakage::ColumnGone | Breakage::TypeChanged => {}
        Breakage::AboveOne => {
            for s in &mut cols.score {
                if rng.uniform() < 0.01 {
                    *s = s.map(|s| 1.0 + s);
                }
            }
        }
        Breakage::NewNulls => {
            for s in &mut cols.score {
                if rng.uniform() < 0.03 {
                    *s = None;
                }
            }
        }
        Breakage::NanScores => {
            for s in &mut cols.score {
                if rng.uniform() < 0.02 {
                    *s = Some(f64::NAN);
                }
            }
        }
        Breakage::GlobalShift => {
            for s in &mut cols.score {
                *s = s.map(|s| (s + 0.10).min(1.0));
            }
        }
        Breakage::RowCollapse => {
            let mut r = rng.clone();
            cols.retain(|_, _| r.uniform() < 0.3);
        }
        Breakage::SegmentMix => {
            let add = n / 4;
            let run = NIGHT_ZERO_MICROS + night as i64 * DAY_MICROS;
            for _ in 0..add {
                let c = Customer::new(*next_id);
                let score = c.rescored(rng, 0.004 * night as f64);
                cols.push(*next_id, Some(score), ENTERPRISE, c, night, rng, run);
                *next_id += 1;
            }
        }
        Breakage::StaleTimestamps => {
            for t in &mut cols.scored_at {
                *t -= DAY_MICROS;
            }
        }
        Breakage::FutureTimestamps => {
            for t in &mut cols.scored_at {
                *t = t.saturating_mul(1000);
            }
        }
        Breakage::ConstantScores => {
            for s in &mut cols.score {
                *s = Some(0.5);
            }
        }
        Breakage::FlippedScores => {
            for s in &mut cols.score {
                *s = s.map(|s| 1.0 - s);
            }
        }
        Breakage::NegativeSpend => {
            for s in &mut cols.spend {
                if rng.uniform() < 0.03 {
                    *s = s.map(|s| -s);
                }
            }
        }
        Breakage::TenureUnits => {
            for t in &mut cols.tenure {
                *t = t.map(|t| t / 30);
            }
        }
        Breakage::NullKeys => {
            for id in &mut cols.id {
                if rng.uniform() < 0.01 {
                    *id = None;
                }
            }
        }
        Breakage::Empty => cols.retain(|_, _| false),
    }
}

#[allow(clippy::too_many_arguments)]
/// Writes night `night` of `pop` (broken by `breakage`) below `work`, publishes it to `ds` judged
/// by `rules` (promoted when it passes and `promote`; sealed only otherwise) and removes the written
/// folder: one night of the benchmark, as the nightly job would publish it.
pub async fn publish_night(
    ds: &crate::Dataset,
    ctx: &crate::Context,
    rules: &crate::ops::validate::Rules,
    pop: &Population,
    work: &Path,
    night: u64,
    breakage: Option<Breakage>,
    promote: bool,
) -> Result<crate::ops::publish::PublishOutcome> {
    let dir = work.join(format!(
        "night-{night:03}-{}",
        breakage.map_or("sound", Breakage::slug)
    ));
    pop.write_night(&dir, night, breakage)?;
    let out = crate::ops::publish::publish(
        ds,
        ctx,
        crate::ops::publish::PublishOptions {
            sources: vec![dir.display().to_string()],
            no_promote: !promote,
            rules: rules.clone(),
            meta: [(
                "night".to_string(),
                breakage.map_or_else(|| format!("sound-{night}"), |b| b.slug().to_string()),
            )]
            .into(),
            ..Default::default()
        },
    )
    .await;
    let _ = std::fs::remove_dir_all(&dir);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

    fn read(files: &[PathBuf]) -> Vec<RecordBatch> {
        files
            .iter()
            .flat_map(|f| {
                ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(f).unwrap())
                    .unwrap()
                    .build()
                    .unwrap()
                    .map(|b| b.unwrap())
            })
            .collect()
    }

    #[test]
    fn nights_overlap_and_breakages_do_what_they_say() {
        let t = tempfile::tempdir().unwrap();
        let pop = Population::new(5_000);
        let a = read(&pop.write_night(&t.path().join("a"), 3, None).unwrap());
        let b = read(&pop.write_night(&t.path().join("b"), 4, None).unwrap());
        let rows = |v: &[RecordBatch]| v.iter().map(|b| b.num_rows()).sum::<usize>();
        let (ra, rb) = (rows(&a), rows(&b));
        assert!(ra > 4_900 && ra < 5_000 && rb > 4_900, "{ra} {rb}");
        let again = read(&pop.write_night(&t.path().join("a2"), 3, None).unwrap());
        assert_eq!(a, again, "deterministic");
        let re = read(
            &pop.write_night(&t.path().join("re"), 4, Some(Breakage::Republished))
                .unwrap(),
        );
        assert_eq!(rows(&re), ra);
        let empty = pop
            .write_night(&t.path().join("e"), 4, Some(Breakage::Empty))
            .unwrap();
        assert_eq!(rows(&read(&empty)), 0);
        let fan = read(
            &pop.write_night(&t.path().join("f"), 4, Some(Breakage::FanOut))
                .unwrap(),
        );
        assert!(rows(&fan) > rb + 200, "{}", rows(&fan));
    }
}
