//! Profiling a sample for `lastgood init --sample`: what each column is, and the gates that follow
//! from it, as Deequ's constraint suggestion and TFDV's schema inference do.
//!
//! 1. One pass over the sample's Parquet files, a batch at a time: per column the nulls and NaN,
//!    numeric min, max, mean and standard deviation, up to [`MAX_CATEGORIES`] distinct values with
//!    their counts, whether the values look quantized, and, for string and integer columns with no
//!    null, whether every value is distinct (exact: 64-bit hashes of strings, integers as they are,
//!    sorted at the end; memory 8 bytes a row, dropped as soon as a repeat shows).
//! 2. Each column gets a [`Role`]: a key (unique, never null, id-like), a score (a float named like
//!    one or within [0, 1]), a timestamp, a category (a string or boolean with few values), a
//!    numeric feature, a constant, free text.
//! 3. [`validations_toml`] writes the gates the roles call for, each with a comment saying why it
//!    was chosen and what the profile saw: keys get `unique` and a `keyed` comparison of the scores
//!    with the last-known-good; categories get `distribution` and are the slices (`by`) of the
//!    scores' KS gates; numeric columns get `range` where the sample shows a natural bound
//!    (probabilities in [0, 1], never negative); timestamps get `freshness`; keys and timestamps are
//!    not KS-tested; columns with no null in the sample may not have any.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::hash::{Hash, Hasher};
use std::path::PathBuf;

use arrow::array::{Array, AsArray};
use arrow::datatypes::{DataType, Float64Type, Int64Type, TimeUnit, TimestampMicrosecondType};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A string or boolean column with at most this many distinct values (and at most a tenth as many
/// as rows) is a category.
pub const MAX_CATEGORIES: usize = 50;
/// Uniqueness is checked exactly on up to this many values a column (then taken as seen).
const MAX_KEY_VALUES: usize = 50_000_000;
/// Values looked at to tell a continuous float from a quantized one.
const QUANTIZE_PROBE: usize = 10_000;

/// What a column is, for the gates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Unique, never null, id-like: identifies the entity a row is about.
    Key,
    /// A model's output: a float named like a score, or within [0, 1].
    Score,
    /// Another number (a feature).
    Numeric,
    /// Few distinct values: a segment, a label.
    Category,
    /// A moment: timestamps and dates.
    Timestamp,
    /// One value throughout the sample.
    Constant,
    /// Strings with many values, and anything else.
    Other,
}

/// One column's profile.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ColumnProfile {
    pub name: String,
    pub data_type: String,
    pub role: Role,
    pub nulls: u64,
    /// NaN in a float column.
    pub nans: u64,
    /// Numeric columns: over finite values.
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub mean: Option<f64>,
    pub std: Option<f64>,
    /// The number of distinct values, when at most [`MAX_CATEGORIES`] (then `categories` has them).
    pub distinct: Option<u64>,
    /// Every non-null value distinct (string and integer columns without nulls).
    pub unique: bool,
    /// A float column with few distinct values among its first values (rounded scores).
    pub quantized: bool,
    /// Category counts, most frequent first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<(String, u64)>,
    /// Timestamps: the earliest and latest, RFC 3339.
    pub earliest: Option<String>,
    pub latest: Option<String>,
}

/// A sample's profile.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Profile {
    pub rows: u64,
    pub files: usize,
    pub columns: Vec<ColumnProfile>,
}

impl Profile {
    pub fn column(&self, name: &str) -> Option<&ColumnProfile> {
        self.columns.iter().find(|c| c.name == name)
    }

    fn with(&self, role: Role) -> impl Iterator<Item = &ColumnProfile> {
        self.columns.iter().filter(move |c| c.role == role)
    }

    /// The key the keyed comparison joins on: an id-like name first, then a string, then the first.
    pub fn primary_key(&self) -> Option<&ColumnProfile> {
        let keys: Vec<&ColumnProfile> = self.with(Role::Key).collect();
        keys.iter()
            .find(|c| id_like(&c.name))
            .or_else(|| keys.iter().find(|c| c.data_type == "Utf8"))
            .or(keys.first())
            .copied()
    }

    /// The slice columns: categories with at least two values, fewest values first, at most two.
    pub fn slices(&self) -> Vec<&ColumnProfile> {
        let mut s: Vec<&ColumnProfile> = self
            .with(Role::Category)
            .filter(|c| c.distinct.unwrap_or(0) >= 2)
            .collect();
        s.sort_by_key(|c| c.distinct);
        s.truncate(2);
        s
    }

    /// A one-line summary for `init`'s output.
    pub fn summary(&self) -> String {
        let names = |r: Role| {
            let v: Vec<&str> = self.with(r).map(|c| c.name.as_str()).collect();
            if v.is_empty() {
                "none".to_string()
            } else {
                v.join(", ")
            }
        };
        format!(
            "profiled {} rows: keys {}; scores {}; slices {}; timestamps {}",
            self.rows,
            names(Role::Key),
            names(Role::Score),
            {
                let s: Vec<&str> = self.slices().iter().map(|c| c.name.as_str()).collect();
                if s.is_empty() {
                    "none".to_string()
                } else {
                    s.join(", ")
                }
            },
            names(Role::Timestamp)
        )
    }
}

/// `id`, `customer_id`, `order_key`, `uuid`: named like a row identifier.
fn id_like(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n == "id"
        || n == "key"
        || n.ends_with("_id")
        || n.ends_with("_key")
        || n.contains("uuid")
        || (name.len() > 2 && name.ends_with("Id"))
}

fn score_like(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    ["score", "prob", "pred", "propensity", "likelihood", "yhat"]
        .iter()
        .any(|w| n.contains(w))
}

/// What one column has shown so far.
#[derive(Default)]
struct Acc {
    nulls: u64,
    nans: u64,
    count: u64,
    min: f64,
    max: f64,
    sum: f64,
    sumsq: f64,
    finite: u64,
    cats: Option<HashMap<String, u64>>,
    /// Still a key candidate: hashes of every value so far.
    keys: Option<Vec<u64>>,
    probe: Vec<u64>,
    ts_min: Option<i64>,
    ts_max: Option<i64>,
}

#[derive(Clone, Copy, PartialEq)]
enum Class {
    Float,
    Int,
    Str,
    Bool,
    Time,
    Other,
}

fn class(t: &DataType) -> Class {
    match t {
        DataType::Float16 | DataType::Float32 | DataType::Float64 => Class::Float,
        DataType::Decimal128(..) | DataType::Decimal256(..) => Class::Float,
        t if t.is_integer() => Class::Int,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => Class::Str,
        DataType::Dictionary(_, v)
            if matches!(v.as_ref(), DataType::Utf8 | DataType::LargeUtf8) =>
        {
            Class::Str
        }
        DataType::Boolean => Class::Bool,
        DataType::Timestamp(..) | DataType::Date32 | DataType::Date64 => Class::Time,
        _ => Class::Other,
    }
}

/// Profiles the sample's files (local Parquet).
pub fn profile(files: &[PathBuf]) -> Result<Profile> {
    let mut schema = None;
    let mut accs: Vec<Acc> = Vec::new();
    let mut classes: Vec<Class> = Vec::new();
    let mut rows = 0u64;
    for path in files {
        let bad =
            |e: &dyn std::fmt::Display| Error::input(format!("profiling {}: {e}", path.display()));
        let file = std::fs::File::open(path)
            .map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
        let reader = ParquetRecordBatchReaderBuilder::try_new(file)
            .map_err(|e| bad(&e))?
            .with_batch_size(65_536)
            .build()
            .map_err(|e| bad(&e))?;
        for batch in reader {
            let batch = batch.map_err(|e| bad(&e))?;
            let s = schema.get_or_insert_with(|| {
                let s = batch.schema();
                classes = s.fields().iter().map(|f| class(f.data_type())).collect();
                accs = classes
                    .iter()
                    .map(|c| Acc {
                        min: f64::INFINITY,
                        max: f64::NEG_INFINITY,
                        cats: matches!(c, Class::Str | Class::Bool | Class::Int | Class::Float)
                            .then(HashMap::new),
                        keys: matches!(c, Class::Str | Class::Int).then(Vec::new),
                        ..Default::default()
                    })
                    .collect();
                s
            });
            rows += batch.num_rows() as u64;
            for (i, field) in s.fields().iter().enumerate() {
                let Some(col) = batch.column_by_name(field.name()) else {
                    return Err(bad(&format!(
                        "no column {:?}: the sample's files differ",
                        field.name()
                    )));
                };
                observe(&mut accs[i], classes[i], col.as_ref()).map_err(|e| bad(&e))?;
            }
        }
    }
    let Some(schema) = schema else {
        return Ok(Profile {
            rows: 0,
            files: files.len(),
            columns: Vec::new(),
        });
    };
    let columns = schema
        .fields()
        .iter()
        .zip(accs)
        .zip(classes)
        .map(|((f, acc), cls)| finish(f.name(), f.data_type(), cls, acc, rows))
        .collect();
    Ok(Profile {
        rows,
        files: files.len(),
        columns,
    })
}

fn hash_str(s: &str) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    s.hash(&mut h);
    h.finish()
}

fn observe(acc: &mut Acc, cls: Class, col: &dyn Array) -> std::result::Result<(), String> {
    acc.nulls += col.null_count() as u64;
    acc.count += (col.len() - col.null_count()) as u64;
    if acc.nulls > 0 {
        acc.keys = None;
    }
    let cast = |t: &DataType| arrow::compute::cast(&arrow::array::make_array(col.to_data()), t);
    match cls {
        Class::Float | Class::Int => {
            let f = cast(&DataType::Float64).map_err(|e| e.to_string())?;
            let f = f.as_primitive::<Float64Type>();
            for v in f.iter().flatten() {
                if v.is_nan() {
                    acc.nans += 1;
                    continue;
                }
                if !v.is_finite() {
                    continue;
                }
                acc.min = acc.min.min(v);
                acc.max = acc.max.max(v);
                acc.sum += v;
                acc.sumsq += v * v;
                acc.finite += 1;
                if acc.probe.len() < QUANTIZE_PROBE {
                    acc.probe.push(v.to_bits());
                }
            }
            if cls == Class::Int {
                let i = cast(&DataType::Int64).map_err(|e| e.to_string())?;
                let i = i.as_primitive::<Int64Type>();
                if let Some(k) = &mut acc.keys {
                    k.extend(i.iter().flatten().map(|v| v as u64));
                }
                count_cats(acc, i.iter().flatten().map(|v| v.to_string()));
            } else {
                // Floats: counted as categories only to tell a handful of values (a flag) apart.
                count_cats(acc, f.iter().flatten().map(|v| v.to_string()));
            }
        }
        Class::Str | Class::Bool => {
            let s = cast(&DataType::Utf8).map_err(|e| e.to_string())?;
            let s = s.as_string::<i32>();
            if let Some(k) = &mut acc.keys {
                k.extend(s.iter().flatten().map(hash_str));
            }
            count_cats(acc, s.iter().flatten().map(str::to_string));
        }
        Class::Time => {
            let t = cast(&DataType::Timestamp(TimeUnit::Microsecond, None))
                .map_err(|e| e.to_string())?;
            let t = t.as_primitive::<TimestampMicrosecondType>();
            for v in t.iter().flatten() {
                acc.ts_min = Some(acc.ts_min.map_or(v, |m| m.min(v)));
                acc.ts_max = Some(acc.ts_max.map_or(v, |m| m.max(v)));
            }
        }
        Class::Other => {}
    }
    // A repeat among the first values rules a key out early (and frees the memory).
    if let Some(k) = &mut acc.keys {
        if k.len() > MAX_KEY_VALUES {
            k.truncate(MAX_KEY_VALUES);
        } else if k.len() <= 200_000 {
            let mut c = k.clone();
            c.sort_unstable();
            if c.windows(2).any(|w| w[0] == w[1]) {
                acc.keys = None;
            }
        }
    }
    Ok(())
}

fn count_cats(acc: &mut Acc, values: impl Iterator<Item = String>) {
    let Some(cats) = &mut acc.cats else { return };
    for v in values {
        if let Some(n) = cats.get_mut(&v) {
            *n += 1;
        } else if cats.len() >= MAX_CATEGORIES {
            acc.cats = None;
            return;
        } else {
            cats.insert(v, 1);
        }
    }
}

fn finish(name: &str, t: &DataType, cls: Class, acc: Acc, rows: u64) -> ColumnProfile {
    let unique = acc.keys.is_some_and(|mut k| {
        k.sort_unstable();
        !k.windows(2).any(|w| w[0] == w[1])
    }) && acc.nulls == 0
        && rows > 1;
    let numeric = matches!(cls, Class::Float | Class::Int) && acc.finite > 0;
    let mean = numeric.then(|| acc.sum / acc.finite as f64);
    let std = mean.map(|m| (acc.sumsq / acc.finite as f64 - m * m).max(0.0).sqrt());
    let mut probe = acc.probe.clone();
    probe.sort_unstable();
    probe.dedup();
    let quantized =
        cls == Class::Float && !acc.probe.is_empty() && probe.len() * 2 < acc.probe.len();
    let mut categories: Vec<(String, u64)> = acc
        .cats
        .map(|c| c.into_iter().collect())
        .unwrap_or_default();
    categories.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let distinct = (!categories.is_empty() || acc.count == 0).then_some(categories.len() as u64);
    let (min, max) = if numeric {
        (Some(acc.min), Some(acc.max))
    } else {
        (None, None)
    };
    let role = if distinct == Some(1) {
        Role::Constant
    } else if cls == Class::Time {
        Role::Timestamp
    } else if unique && (id_like(name) || (cls == Class::Str && rows >= 2)) {
        Role::Key
    } else if matches!(cls, Class::Str | Class::Bool)
        && distinct.is_some_and(|d| d >= 2 && (d * 10 <= rows || cls == Class::Bool))
    {
        Role::Category
    } else if cls == Class::Float
        && (score_like(name) || min.is_some_and(|m| m >= 0.0) && max.is_some_and(|m| m <= 1.0))
    {
        Role::Score
    } else if numeric {
        Role::Numeric
    } else {
        Role::Other
    };
    let ts = |v: Option<i64>| {
        v.and_then(chrono::DateTime::from_timestamp_micros)
            .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
    };
    ColumnProfile {
        name: name.to_string(),
        data_type: format!("{t}"),
        role,
        nulls: acc.nulls,
        nans: acc.nans,
        min,
        max,
        mean,
        std,
        distinct,
        unique,
        quantized,
        categories: if role == Role::Category || role == Role::Constant {
            categories
        } else {
            Vec::new()
        },
        earliest: ts(acc.ts_min),
        latest: ts(acc.ts_max),
    }
}

impl ColumnProfile {
    fn microseconds_span(&self) -> Option<i64> {
        let p = |s: &Option<String>| {
            s.as_deref()
                .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
                .map(|d| d.timestamp_micros())
        };
        Some(p(&self.latest)? - p(&self.earliest)?)
    }
}

/// A number for a TOML file: short, and always with a decimal point.
fn num(v: f64) -> String {
    let s = format!("{}", (v * 1e6).round() / 1e6);
    if s.contains('.') || s.contains('e') || s.contains("inf") || s.contains("NaN") {
        s
    } else {
        format!("{s}.0")
    }
}

/// A tolerance two significant digits wide.
fn round2(v: f64) -> f64 {
    if v <= 0.0 || !v.is_finite() {
        return 0.0;
    }
    let mag = 10f64.powf(v.log10().floor() - 1.0);
    (v / mag).round() * mag
}

fn list(cols: &[&ColumnProfile]) -> String {
    let v: Vec<String> = cols.iter().map(|c| format!("{:?}", c.name)).collect();
    format!("[{}]", v.join(", "))
}

fn pct(n: u64, d: u64) -> String {
    if d == 0 {
        "0%".into()
    } else {
        format!("{:.2}%", n as f64 * 100.0 / d as f64)
    }
}

/// The share of matched keys whose score may move by more than the tolerance on a sound night.
pub const MAX_MOVED_SHARE: f64 = 0.02;

/// `validations/<dataset>.toml` for this profile: the default gates and those the columns call for,
/// each commented with why and what the profile saw.
pub fn validations_toml(dataset: &str, p: &Profile) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"# Gates for {dataset}, written by `lastgood init --sample` from a profile of the sample
# ({} rows in {} file(s)). Each publish is judged against the last-known-good version (the
# pointer's target) before the pointer moves. severity = "fail" (the default) blocks promotion
# (exit 3); "warn" is only reported. Every result is stored beside the version:
# `lastgood report {dataset} V`. Each gate says why it is here and what the profile saw; edit freely.
#
# What the profile saw, column by column:"#,
        p.rows, p.files
    );
    for c in &p.columns {
        let _ = writeln!(
            s,
            "#   {:<24} {:<10} {}",
            c.name,
            role_name(c.role),
            seen(c, p.rows)
        );
    }
    s.push('\n');

    s.push_str(
        r#"[[gate]]
name = "schema"
kind = "schema"            # consumers of the baseline can read the candidate: additive changes only
# widening = true          # also allow int32->int64, float32->float64, wider decimals

[[gate]]
name = "row_count"
kind = "row_count"         # rows within 0.5x..2x of the baseline's, and never empty
"#,
    );
    let _ = writeln!(
        s,
        "# the sample has {} rows; for a re-scoring of the same population tighter bounds fit:\n# min_ratio = 0.8\n# max_ratio = 1.25\n",
        p.rows
    );

    // Nulls: columns without any may not get any; the others may not rise by 5 points.
    let complete: Vec<&ColumnProfile> = p
        .columns
        .iter()
        .filter(|c| c.nulls == 0 && c.nans == 0 && p.rows >= 1000)
        .collect();
    if !complete.is_empty() {
        let _ = writeln!(
            s,
            r#"# No null (nor NaN) in any of the sample's {} rows: a null or NaN here is a defect upstream.
[[gate]]
name = "never_null"
kind = "null_rate"
columns = {}
max_rate = 0.0             # NaN where the baseline had none fails too
"#,
            p.rows,
            list(&complete)
        );
    }
    s.push_str(
        r#"[[gate]]
name = "null_rate"
kind = "null_rate"         # every column: the null rate may not rise by more than 5 points
max_increase_pp = 5.0
"#,
    );
    let nullable: Vec<String> = p
        .columns
        .iter()
        .filter(|c| c.nulls > 0)
        .map(|c| format!("{} {}", c.name, pct(c.nulls, p.rows)))
        .collect();
    if !nullable.is_empty() {
        let _ = writeln!(s, "# null in the sample: {}", nullable.join(", "));
    }
    s.push('\n');

    // Keys: unique, and the scores compared customer by customer with the last-known-good.
    let scores: Vec<&ColumnProfile> = p.with(Role::Score).collect();
    for k in p.with(Role::Key) {
        let _ = writeln!(
            s,
            r#"# {}: {} distinct values in {} rows, never null{}: a key.
# A duplicate (a join that fanned out) or a null key fails.
[[gate]]
name = "unique_{}"
kind = "unique"
key = [{:?}]
"#,
            k.name,
            p.rows,
            p.rows,
            if id_like(&k.name) {
                ", named like an id"
            } else {
                ""
            },
            gate_name(&k.name),
            k.name
        );
    }
    match p.primary_key() {
        Some(k) => {
            for c in &scores {
                let sd = c.std.unwrap_or(0.0);
                let tol = round2(sd / 2.0).max(1e-6);
                let (unchanged, why) = if c.quantized {
                    (
                        0.99,
                        "the sample's values are rounded (few distinct), so many stay equal",
                    )
                } else {
                    (
                        0.5,
                        "continuous values: a re-scored customer's score is rarely bit-identical",
                    )
                };
                let _ = writeln!(
                    s,
                    r#"# {score} compared customer by customer ({key}) with the last-known-good: a nightly job
# re-scores mostly the same customers, each a little differently. This catches what every
# marginal hides: scores joined to the wrong customers (rank correlation collapses), a share of
# scores silently defaulted (they move by more than the tolerance), yesterday's output re-published
# (nothing changed), customers lost. The profile saw {score} with mean {mean} and standard
# deviation {sd}: a customer "moved" when their score changed by more than half of that.
[[gate]]
name = "same_customers_{gname}"
kind = "keyed"
key = [{key:?}]
columns = [{score:?}]
tolerance = {tol}          # half the sample's standard deviation of {score}
min_matched_share = 0.9    # customers of the baseline still scored (sound nights: ~98%)
max_moved_share = {moved}     # at most 2% of customers move by more than the tolerance
min_spearman = 0.9         # the ranking of customers holds
max_unchanged_share = {unchanged}  # {why}
"#,
                    score = c.name,
                    key = k.name,
                    gname = gate_name(&c.name),
                    mean = num(c.mean.unwrap_or(0.0)),
                    sd = num(sd),
                    tol = num(tol),
                    moved = num(MAX_MOVED_SHARE),
                );
            }
            if scores.is_empty() {
                let _ = writeln!(
                    s,
                    r#"# {key} identifies the rows, but no column looks like a score (a float named score/prob/pred,
# or within [0, 1]): compare one entity by entity with the last-known-good like this:
# [[gate]]
# name = "same_customers"
# kind = "keyed"
# key = [{key:?}]
# columns = ["prediction"]
# tolerance = 0.1
# min_matched_share = 0.9
# max_moved_share = 0.02
# min_spearman = 0.9
"#,
                    key = k.name
                );
            }
        }
        None => {
            s.push_str(
                "# No key: no column is unique, never null and id-like in the sample. If the rows are\n# identified by several columns, add `unique` and `keyed` gates with key = [\"a\", \"b\"].\n\n",
            );
        }
    }

    // Ranges: natural bounds the sample shows.
    let numeric: Vec<&ColumnProfile> = p
        .columns
        .iter()
        .filter(|c| matches!(c.role, Role::Score | Role::Numeric) && c.min.is_some())
        .collect();
    let probs: Vec<&ColumnProfile> = numeric
        .iter()
        .copied()
        .filter(|c| {
            c.data_type.starts_with("Float")
                && c.min.is_some_and(|m| m >= 0.0)
                && c.max.is_some_and(|m| m <= 1.0)
        })
        .collect();
    if !probs.is_empty() {
        let seen: Vec<String> = probs
            .iter()
            .map(|c| {
                format!(
                    "{} in [{}, {}]",
                    c.name,
                    num(c.min.unwrap_or(0.0)),
                    num(c.max.unwrap_or(0.0))
                )
            })
            .collect();
        let _ = writeln!(
            s,
            r#"# Probabilities: the sample has {}.
[[gate]]
name = "probabilities"
kind = "range"
columns = {}
min = 0.0
max = 1.0
"#,
            seen.join(", "),
            list(&probs)
        );
    }
    let nonneg: Vec<&ColumnProfile> = numeric
        .iter()
        .copied()
        .filter(|c| c.min.is_some_and(|m| m >= 0.0) && !probs.iter().any(|q| q.name == c.name))
        .collect();
    if !nonneg.is_empty() {
        let seen: Vec<String> = nonneg
            .iter()
            .map(|c| format!("{} min {}", c.name, num(c.min.unwrap_or(0.0))))
            .collect();
        let _ = writeln!(
            s,
            r#"# Never negative in the sample: a negative value is a sign or unit error.
# ({})
[[gate]]
name = "non_negative"
kind = "range"
columns = {}
min = 0.0
"#,
            seen.join(", "),
            list(&nonneg)
        );
    }

    // Timestamps: the latest must move forward.
    for t in p.with(Role::Timestamp) {
        let span = t.microseconds_span().unwrap_or(i64::MAX);
        let run_like = span <= 2 * 86_400_000_000;
        let _ = writeln!(
            s,
            r#"# {name}: {earliest} .. {latest} in the sample:
# {how}.
[[gate]]
name = "fresh_{gname}"
kind = "freshness"
column = {name:?}          # the latest {name} must move forward against the baseline's ...
{min}max_advance = "31d"        # ... and by at most a month (a unit or clock error jumps years)
{sev}"#,
            name = t.name,
            gname = gate_name(&t.name),
            earliest = t.earliest.as_deref().unwrap_or("-"),
            latest = t.latest.as_deref().unwrap_or("-"),
            how = if run_like {
                "within two days, so it says when the rows were produced; a re-published or stale\n# output does not advance it"
            } else {
                "spread over more than two days: event times, whose latest may stand still; a warning\n# only"
            },
            min = if run_like {
                "min_advance = \"1h\"         # ... by at least an hour: a run that did not happen keeps yesterday's\n                           # (a job that runs more often than hourly: lower it)\n"
            } else {
                ""
            },
            sev = if run_like {
                ""
            } else {
                "severity = \"warn\"\n"
            },
        );
    }

    // Categories: their mix, and slices of the scores.
    for c in p.with(Role::Category) {
        let shares: Vec<String> = c
            .categories
            .iter()
            .take(8)
            .map(|(v, n)| format!("{v} {}", pct(*n, p.rows)))
            .collect();
        let more = c.categories.len().saturating_sub(8);
        let _ = writeln!(
            s,
            r#"# {name}: {n} values, a category; a value missing, or the mix moving, fails.
# ({shares}{more})
[[gate]]
name = "mix_{gname}"
kind = "distribution"
column = {name:?}
max_change = 0.05          # no value's share moves by more than 5 points
max_psi = 0.1              # population stability index
"#,
            name = c.name,
            gname = gate_name(&c.name),
            n = c.categories.len(),
            shares = shares.join(", "),
            more = if more > 0 {
                format!(", {more} more")
            } else {
                String::new()
            },
        );
    }

    // KS: numbers that are neither keys nor timestamps.
    let ks: Vec<&ColumnProfile> = numeric.clone();
    if !ks.is_empty() {
        let _ = writeln!(
            s,
            r#"# Distributions of the numeric columns (keys and timestamps are not KS-tested: their values
# move by design).
[[gate]]
name = "ks"
kind = "ks"                # two-sample Kolmogorov-Smirnov per column
columns = {}
max_statistic = 0.1        # fails when D >= 0.1 ...
min_p_value = 0.001        # ... and p < 0.001 (at millions of rows p alone fires every night)
"#,
            list(&ks)
        );
    }
    let slices = p.slices();
    for c in &scores {
        for by in &slices {
            let _ = writeln!(
                s,
                r#"# {score} per {by} ({n} slices): one segment's scores shifting while the others hold barely
# moves the whole; judged slice by slice, worst first.
[[gate]]
name = "ks_{gs}_by_{gb}"
kind = "ks"
column = {score:?}
by = [{by:?}]
min_slice_rows = 1000      # smaller slices are reported, not judged
max_statistic = 0.1
min_p_value = 0.001
"#,
                score = c.name,
                by = by.name,
                n = by.distinct.unwrap_or(0),
                gs = gate_name(&c.name),
                gb = gate_name(&by.name),
            );
        }
    }
    let others: Vec<String> = p
        .columns
        .iter()
        .filter(|c| matches!(c.role, Role::Constant | Role::Other))
        .map(|c| c.name.clone())
        .collect();
    if !others.is_empty() {
        let _ = writeln!(
            s,
            "# Not gated beyond nulls: {} (one value, or free text, in the sample).",
            others.join(", ")
        );
    }
    s
}

fn role_name(r: Role) -> &'static str {
    match r {
        Role::Key => "key",
        Role::Score => "score",
        Role::Numeric => "numeric",
        Role::Category => "category",
        Role::Timestamp => "timestamp",
        Role::Constant => "constant",
        Role::Other => "other",
    }
}

/// What the profile saw of a column, in a few words.
fn seen(c: &ColumnProfile, rows: u64) -> String {
    let mut parts = vec![c.data_type.clone()];
    if c.nulls > 0 {
        parts.push(format!("{} null", pct(c.nulls, rows)));
    }
    if c.nans > 0 {
        parts.push(format!("{} NaN", pct(c.nans, rows)));
    }
    if c.unique {
        parts.push("unique".into());
    }
    if let (Some(lo), Some(hi)) = (c.min, c.max) {
        if c.data_type.starts_with("Int") || c.data_type.starts_with("UInt") {
            parts.push(format!("{lo}..{hi}"));
        } else {
            parts.push(format!("{}..{}", num(lo), num(hi)));
        }
    }
    if let (Some(m), Some(sd)) = (c.mean, c.std) {
        parts.push(format!("mean {} sd {}", num(m), num(sd)));
    }
    if let Some(d) = c.distinct.filter(|_| !c.categories.is_empty()) {
        parts.push(format!("{d} distinct"));
    }
    if let (Some(a), Some(b)) = (&c.earliest, &c.latest) {
        parts.push(format!("{a}..{b}"));
    }
    parts.join(", ")
}

/// A gate-name-safe form of a column name.
fn gate_name(col: &str) -> String {
    col.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_of_the_synthetic_night() {
        let t = tempfile::tempdir().unwrap();
        let files =
            crate::synth::write_dir(t.path(), 5_000, 2, 1, crate::synth::Variant::Good).unwrap();
        let p = profile(&files).unwrap();
        assert_eq!(p.rows, 5_000);
        let role = |n: &str| p.column(n).unwrap().role;
        assert_eq!(role("customer_id"), Role::Key);
        assert_eq!(role("score"), Role::Score);
        assert_eq!(role("segment"), Role::Category);
        assert_eq!(role("tenure_days"), Role::Numeric);
        assert_eq!(role("spend_30d"), Role::Numeric);
        assert_eq!(role("scored_at"), Role::Timestamp);
        assert_eq!(p.primary_key().unwrap().name, "customer_id");
        let text = validations_toml("churn", &p);
        crate::gates::Validations::parse(&text, std::path::Path::new("churn.toml")).unwrap();
        assert!(text.contains("kind = \"keyed\""), "{text}");
        assert!(text.contains("by = [\"segment\"]"), "{text}");
        assert!(
            text.contains("columns = [\"score\", \"tenure_days\", \"spend_30d\"]\nmax_statistic"),
            "keys and timestamps are not KS-tested: {text}"
        );
    }

    /// Odd columns get a role and the file parses: all null, boolean, constant, dates, no key.
    #[test]
    fn odd_columns_and_no_key() {
        use arrow::array::{BooleanArray, Date32Array, Float64Array, Int64Array, StringArray};
        use arrow::datatypes::{Field, Schema};
        use std::sync::Arc;
        let t = tempfile::tempdir().unwrap();
        let n = 2_000;
        let schema = Arc::new(Schema::new(vec![
            Field::new("region", DataType::Utf8, true),
            Field::new("churned", DataType::Boolean, true),
            Field::new("model", DataType::Utf8, true),
            Field::new("blank", DataType::Float64, true),
            Field::new("signup", DataType::Date32, true),
            Field::new("amount", DataType::Int64, true),
        ]));
        let b = arrow::record_batch::RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(StringArray::from_iter_values(
                    (0..n).map(|i| ["n", "s"][i % 2]),
                )),
                Arc::new(BooleanArray::from_iter((0..n).map(|i| Some(i % 3 == 0)))),
                Arc::new(StringArray::from_iter_values((0..n).map(|_| "v1"))),
                Arc::new(Float64Array::from(vec![None::<f64>; n])),
                Arc::new(Date32Array::from_iter_values(
                    (0..n as i32).map(|i| 20_000 + i),
                )),
                Arc::new(Int64Array::from_iter_values((0..n as i64).map(|i| i - 5))),
            ],
        )
        .unwrap();
        let path = t.path().join("a.parquet");
        let mut w = parquet::arrow::ArrowWriter::try_new(
            std::fs::File::create(&path).unwrap(),
            schema,
            None,
        )
        .unwrap();
        w.write(&b).unwrap();
        w.close().unwrap();
        let p = profile(&[path]).unwrap();
        let role = |c: &str| p.column(c).unwrap().role;
        assert_eq!(role("region"), Role::Category);
        assert_eq!(role("churned"), Role::Category);
        assert_eq!(role("model"), Role::Constant);
        assert_eq!(role("blank"), Role::Other);
        assert_eq!(role("signup"), Role::Timestamp);
        assert_eq!(
            role("amount"),
            Role::Numeric,
            "unique but not named like an id"
        );
        assert!(p.primary_key().is_none());
        let text = validations_toml("odd", &p);
        crate::gates::Validations::parse(&text, std::path::Path::new("odd.toml")).unwrap();
        assert!(text.contains("# No key"), "{text}");
        assert!(
            text.contains("severity = \"warn\""),
            "event dates only warn: {text}"
        );
        assert!(
            !text.contains("non_negative"),
            "amount goes below 0: {text}"
        );
    }

    #[test]
    fn tolerances_are_short() {
        assert_eq!(num(round2(0.0812345)), "0.081");
        assert_eq!(num(1.0), "1.0");
        assert_eq!(num(0.02), "0.02");
    }
}
