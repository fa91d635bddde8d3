//! Synthetic nightly prediction outputs, deterministic from a seed: the shapes of
//! `shared/bench/gen_predictions.py`, for the examples, the tests and the benchmark.
//!
//! Columns: `customer_id` (utf8, never null), `score` (float64, Beta(2,5)), `segment` (utf8, six
//! values), `tenure_days` (int64, 1% null), `spend_30d` (float64, Gamma(2,40), 2% null),
//! `scored_at` (timestamp µs UTC). Variants make the classic bad nights.
//!
//! The seed is the night: what a customer is (segment, tenure, spend, the model's view of them)
//! comes from the customer's number alone ([`Customer`]), and each night re-scores them with a little
//! noise, a day later. Two good nights are therefore two re-scorings of the same customers, as a
//! nightly job's are, and a keyed comparison of them agrees. [`crate::breakage`] builds on the same
//! customers: a population that comes and goes, and each way a night breaks.

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

pub const SEGMENTS: [&str; 6] = ["consumer", "smb", "enterprise", "public", "edu", "partner"];

/// The kind of night.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// Same distributions as any other good night (a fresh draw).
    Good,
    /// `score` shifted up by 0.10 (clipped to 1): the KS gate fails.
    Shift,
    /// `spend_30d` null rate 30% instead of 2%.
    Nulls,
    /// `segment` missing.
    DropCol,
    /// `model_version` added (additive: fine).
    AddCol,
    /// `score` as float32.
    Retype,
    /// Every score 0.5: a broken model that still writes a well-formed file.
    Constant,
}

impl std::str::FromStr for Variant {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Ok(match s {
            "good" => Variant::Good,
            "shift" => Variant::Shift,
            "nulls" => Variant::Nulls,
            "dropcol" => Variant::DropCol,
            "addcol" => Variant::AddCol,
            "retype" => Variant::Retype,
            "constant" => Variant::Constant,
            _ => return Err(Error::input(format!("unknown variant {s}"))),
        })
    }
}

/// SplitMix64: small, fast, good enough for synthetic data, and the same everywhere.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in (0, 1).
    pub fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    /// Beta(2, 5): the 2nd smallest of 6 uniforms.
    pub fn beta_2_5(&mut self) -> f64 {
        let mut u = [0.0; 6];
        for x in &mut u {
            *x = self.uniform();
        }
        u.sort_by(f64::total_cmp);
        u[1]
    }
    /// Gamma(2, scale): the sum of two exponentials.
    pub fn gamma_2(&mut self, scale: f64) -> f64 {
        -scale * (self.uniform().ln() + self.uniform().ln())
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
    /// Standard normal (Box–Muller, one of the pair).
    pub fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

/// What a customer is, the same every night: from the customer's number alone.
#[derive(Debug, Clone, Copy)]
pub struct Customer {
    /// The score the model would give with nothing changing, Beta(2, 5).
    pub score: f64,
    pub segment: usize,
    /// Tenure on night 0.
    pub tenure0: i64,
    /// Typical 30-day spend, Gamma(2, 40).
    pub spend: f64,
}

impl Customer {
    pub fn new(number: u64) -> Self {
        let mut r = Rng::new(number.wrapping_mul(0xD6E8_FEB8_6659_FD93) ^ 0x5EED);
        Customer {
            score: r.beta_2_5(),
            segment: r.below(6) as usize,
            tenure0: r.below(3650) as i64,
            spend: r.gamma_2(40.0),
        }
    }

    /// Tonight's score: the lasting one re-scored with a little noise (on the logit scale, so it
    /// stays in (0, 1)).
    pub fn rescored(&self, rng: &mut Rng, logit_shift: f64) -> f64 {
        let s = self.score.clamp(1e-9, 1.0 - 1e-9);
        let z = (s / (1.0 - s)).ln() + logit_shift + NIGHTLY_NOISE * rng.normal();
        1.0 / (1.0 + (-z).exp())
    }
}

/// The standard deviation of a customer's score from one night to the next, on the logit scale.
pub const NIGHTLY_NOISE: f64 = 0.05;

/// 2026-11-22T02:00:00Z: night 0's run.
pub const NIGHT_ZERO_MICROS: i64 = 1_795_312_800_000_000;
pub const DAY_MICROS: i64 = 86_400_000_000;

/// One batch of `n` rows of night `night`, ids starting at `offset`.
pub fn batch(rng: &mut Rng, n: usize, variant: Variant, offset: usize, night: u64) -> RecordBatch {
    let customers: Vec<Customer> = (0..n).map(|i| Customer::new((offset + i) as u64)).collect();
    let ids: StringArray = (0..n)
        .map(|i| Some(format!("c{:012}", offset + i)))
        .collect();
    let score: Vec<f64> = customers
        .iter()
        .map(|c| {
            let s = c.rescored(rng, 0.0);
            match variant {
                Variant::Shift => (s + 0.10).min(1.0),
                Variant::Constant => 0.5,
                _ => s,
            }
        })
        .collect();
    let segment: StringArray = customers
        .iter()
        .map(|c| Some(SEGMENTS[c.segment]))
        .collect();
    let tenure: Int64Array = customers
        .iter()
        .map(|c| (rng.uniform() >= 0.01).then_some(c.tenure0 + night as i64))
        .collect();
    let null_rate = if variant == Variant::Nulls {
        0.30
    } else {
        0.02
    };
    let spend: Float64Array = customers
        .iter()
        .map(|c| {
            let v = c.spend * (0.1 * rng.normal()).exp();
            (rng.uniform() >= null_rate).then_some(v)
        })
        .collect();
    let base = NIGHT_ZERO_MICROS + night as i64 * DAY_MICROS;
    let ts = TimestampMicrosecondArray::from(
        (0..n)
            .map(|_| base + rng.below(3_600_000_000) as i64)
            .collect::<Vec<_>>(),
    )
    .with_timezone("UTC");

    let mut fields = vec![Field::new("customer_id", DataType::Utf8, false)];
    let mut cols: Vec<ArrayRef> = vec![Arc::new(ids)];
    if variant == Variant::Retype {
        fields.push(Field::new("score", DataType::Float32, true));
        cols.push(Arc::new(
            score
                .iter()
                .map(|s| Some(*s as f32))
                .collect::<Float32Array>(),
        ));
    } else {
        fields.push(Field::new("score", DataType::Float64, true));
        cols.push(Arc::new(Float64Array::from(score)));
    }
    if variant != Variant::DropCol {
        fields.push(Field::new("segment", DataType::Utf8, true));
        cols.push(Arc::new(segment));
    }
    fields.push(Field::new("tenure_days", DataType::Int64, true));
    cols.push(Arc::new(tenure));
    fields.push(Field::new("spend_30d", DataType::Float64, true));
    cols.push(Arc::new(spend));
    fields.push(Field::new(
        "scored_at",
        DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
        true,
    ));
    cols.push(Arc::new(ts));
    if variant == Variant::AddCol {
        fields.push(Field::new("model_version", DataType::Utf8, true));
        cols.push(Arc::new(StringArray::from(vec!["churn-v1.14"; n])));
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), cols).expect("columns match the schema")
}

/// Writes `rows` rows of night `seed` over `files` Parquet files `part-00000.parquet`… into `dir`
/// (created), zstd, row groups of at most one million rows. Customers `c000000000000`… are the same
/// every night; the night re-scores them and runs `seed` days after 2026-11-22T02:00Z.
pub fn write_dir(
    dir: &Path,
    rows: usize,
    files: usize,
    seed: u64,
    variant: Variant,
) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
    let mut rng = Rng::new(seed);
    let files = files.max(1);
    let per = rows.div_ceil(files);
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .set_max_row_group_row_count(Some(1_000_000))
        .build();
    let mut out = Vec::new();
    let mut done = 0;
    for k in 0..files {
        let n = per.min(rows - done);
        if n == 0 && k > 0 {
            break;
        }
        let path = dir.join(format!("part-{k:05}.parquet"));
        let file = std::fs::File::create(&path)
            .map_err(|e| Error::io(format!("creating {}", path.display()), e))?;
        let mut left = n;
        let mut writer: Option<ArrowWriter<std::fs::File>> = None;
        let mut file = Some(file);
        loop {
            let chunk = left.min(100_000);
            let b = batch(&mut rng, chunk, variant, done + (n - left), seed);
            let w = match &mut writer {
                Some(w) => w,
                None => writer.insert(
                    ArrowWriter::try_new(
                        file.take().expect("file"),
                        b.schema(),
                        Some(props.clone()),
                    )
                    .map_err(|e| Error::input(format!("writing {}: {e}", path.display())))?,
                ),
            };
            w.write(&b)
                .map_err(|e| Error::input(format!("writing {}: {e}", path.display())))?;
            left -= chunk;
            if left == 0 {
                break;
            }
        }
        writer
            .expect("written")
            .close()
            .map_err(|e| Error::input(format!("writing {}: {e}", path.display())))?;
        done += n;
        out.push(path);
    }
    Ok(out)
}
