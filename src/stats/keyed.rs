//! Keyed comparison: the candidate against the baseline entity by entity, joined on a key of one or
//! more integer or string columns. Exact, and within a memory limit.
//!
//! What is counted (every count is exact):
//! - Per side: rows, rows with a null key (any key column null: such a row matches nothing),
//!   distinct keys, keys on more than one row (`duplicated`) and the rows beyond the first of each
//!   key (`duplicate_rows`), with a few duplicated keys as examples.
//! - Distinct keys on both sides (`matched`), only in the candidate, only in the baseline;
//!   `matched_share` = matched / the baseline's distinct keys.
//! - **Duplicated keys are matched but not compared**: a key on several rows of either side has no
//!   single value to compare (which of its rows would be "the" customer?), so it counts in
//!   `matched` and `matched_duplicated`, and the value comparison runs over the `compared` keys, those
//!   on exactly one row of each side. The `unique` gate fails on the duplicates themselves.
//! - Per compared numeric column, over the compared keys: `moved` (both values numbers and
//!   |c − b| > tolerance + relative_tolerance × |b|, or a value that appeared or vanished: null or NaN
//!   on one side, a number on the other), `unchanged` (c == b, or null on both sides, or NaN on both
//!   sides), each null/NaN transition counted, and over the pairs finite on both sides: Spearman's
//!   rank correlation (average ranks for ties), Pearson's correlation, the mean |c − b| and a
//!   histogram of c − b. A null turning into NaN (or back) is neither moved nor unchanged.
//! - Per compared categorical column (anything not numeric, compared as bytes): `changed` = compared
//!   keys whose value differs (null against a value differs; null on both sides does not).
//!
//! The algorithm:
//! 1. Plan: the schemas give each key column a kind (integer-like or string-like, the same on both
//!    sides) and each compared column a kind (numeric or categorical, the same on both sides); the
//!    row counts and the memory limit give the number of passes P. A row belongs to the pass chosen
//!    by a hash of its key, so each pass holds about 1/P of each side and a key's rows on both sides
//!    are in the same pass.
//! 2. Per pass, one scan of each side (both at once; only the key and compared columns are
//!    decoded): a row's key becomes a 16-byte code (the key itself when it fits in 15 bytes; else a
//!    hash, with the bytes kept aside to compare, so a hash collision never joins two keys). Rows of
//!    other passes are dropped; the rest go, by the same hash, into one of B small buckets as flat
//!    records: the key code, then each compared value.
//! 3. Per bucket (on every core): sort each side's records by key and walk both runs at once,
//!    counting keys and comparing the values of keys on one row of each side. Pairs of finite
//!    numbers are kept (16 bytes each) for step 4; the buckets are freed as they are done.
//! 4. Per numeric column, over the kept pairs: Pearson's correlation in two passes (means, then
//!    centred sums), the mean |change|, the histogram; then Spearman exactly: the pairs are radix
//!    sorted by the baseline value and given doubled average ranks (integers: ranks of a tie run
//!    i+1..=j average to (i+1+j)/2), radix sorted by the candidate value and ranked the same way, and
//!    the correlation of the ranks is formed from integer sums (i128), rounded once at the end.
//!
//! Memory: about (8 × record words × 1.25 + long key bytes) per row of a pass, plus 16 bytes per
//! finite pair and column kept for step 4 (and as much again while it sorts).

use std::cmp::Ordering;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BinaryArray, BinaryViewArray, Float64Array, Int64Array,
    LargeBinaryArray, LargeStringArray, StringArray, StringViewArray, UInt64Array,
};
use arrow::datatypes::{DataType, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use futures::StreamExt;
use futures::future::BoxFuture;
use futures::stream::BoxStream;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// When a numeric value "moved": |c − b| > absolute + relative × |b| (numpy's `isclose` rule; with
/// only one set, just that one; with neither, any change).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Tolerance {
    pub absolute: f64,
    pub relative: f64,
}

impl Tolerance {
    fn moved(&self, b: f64, c: f64) -> bool {
        (c - b).abs() > self.absolute + self.relative * b.abs()
    }
}

/// Record batches of a scan.
pub type Batches = BoxStream<'static, Result<RecordBatch>>;

/// One side of a keyed comparison: a table that can be read again, a few columns at a time.
pub trait Table: Send + Sync {
    fn schema(&self) -> SchemaRef;
    /// Its rows, or an estimate: plans the passes.
    fn rows(&self) -> u64;
    /// One scan decoding only `columns`, in this order.
    fn scan(&self, columns: Vec<String>) -> BoxFuture<'static, Result<Batches>>;
}

/// What to compare.
pub struct Request<'a> {
    pub candidate: &'a dyn Table,
    /// `None`: only the candidate's keys are counted (duplicates, nulls), as the `unique` gate does.
    pub baseline: Option<&'a dyn Table>,
    pub key: &'a [String],
    /// Compared columns (may be empty: keys only).
    pub columns: &'a [String],
    pub tolerance: Tolerance,
    /// Bytes the comparison may use (see [`RESERVE`]).
    pub memory_limit: u64,
}

/// Keys of one side.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SideKeys {
    pub rows: u64,
    /// Rows with a null in any key column: they match nothing.
    pub null_keys: u64,
    /// Distinct non-null keys.
    pub distinct: u64,
    /// Distinct keys found on more than one row.
    pub duplicated: u64,
    /// Rows beyond the first of each key (rows − null_keys − distinct).
    pub duplicate_rows: u64,
    /// Up to [`EXAMPLES`] duplicated keys, as text.
    pub examples: Vec<String>,
}

/// How many duplicated keys a report names.
pub const EXAMPLES: usize = 5;

/// Keys of both sides.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Keys {
    pub candidate: SideKeys,
    /// `None` when only the candidate was read.
    pub baseline: Option<SideKeys>,
    /// Distinct keys on both sides.
    pub matched: u64,
    pub only_candidate: u64,
    pub only_baseline: u64,
    /// Matched keys on exactly one row of each side: the keys whose values are compared.
    pub compared: u64,
    /// Matched keys on several rows of either side: matched, not compared.
    pub matched_duplicated: u64,
    /// matched / the baseline's distinct keys (none when the baseline has no key).
    pub matched_share: Option<f64>,
}

/// Null and NaN transitions of a numeric column over the compared keys (baseline → candidate).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Missing {
    pub both_null: u64,
    pub null_to_value: u64,
    pub value_to_null: u64,
    pub both_nan: u64,
    pub nan_to_value: u64,
    pub value_to_nan: u64,
    pub null_to_nan: u64,
    pub nan_to_null: u64,
}

/// Counts of c − b per bin: `edges` has one more entry than `counts`; the last bin is closed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangeHistogram {
    pub edges: Vec<f64>,
    pub counts: Vec<u64>,
}

/// How many bins the histogram of change has.
pub const BINS: usize = 40;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NumericChange {
    pub column: String,
    /// Compared keys.
    pub pairs: u64,
    pub moved: u64,
    pub moved_share: Option<f64>,
    pub unchanged: u64,
    pub unchanged_share: Option<f64>,
    /// Compared keys whose values are finite numbers on both sides: what the correlations, the mean
    /// change and the histogram are over.
    pub finite_pairs: u64,
    pub spearman: Option<f64>,
    pub pearson: Option<f64>,
    pub mean_abs_change: Option<f64>,
    pub missing: Missing,
    pub histogram: Option<ChangeHistogram>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoricalChange {
    pub column: String,
    pub pairs: u64,
    pub changed: u64,
    pub changed_share: Option<f64>,
    pub both_null: u64,
    pub null_to_value: u64,
    pub value_to_null: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ColumnChange {
    Numeric(NumericChange),
    Categorical(CategoricalChange),
}

impl ColumnChange {
    pub fn column(&self) -> &str {
        match self {
            ColumnChange::Numeric(n) => &n.column,
            ColumnChange::Categorical(c) => &c.column,
        }
    }
}

/// The result of a keyed comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub keys: Keys,
    pub columns: Vec<ColumnChange>,
    /// Scans of each side (one per pass).
    pub passes: u32,
}

/// What the process needs besides the comparison (decoding buffers, DataFusion, the runtime).
pub const RESERVE: u64 = 384 << 20;

// Key and value codes: two u64 words. The top byte of the second word says what the code is: 0..=15
// the length of bytes stored inline (little-endian in the 16 bytes), INT or UINT an integer in the
// first word, LONG a hash in the first word and the offset of the bytes in the side's arena below
// the tag, NULL a null value.
const INT: u64 = 0x10;
const UINT: u64 = 0x11;
const NULL: u64 = 0xFE;
const LONG: u64 = 0xFF;
const TAG_SHIFT: u32 = 56;

/// A null numeric value, a NaN payload no computation produces (real NaNs become [`NAN`]).
const NULL_BITS: u64 = 0x7FF4_DEAD_BEEF_0001;
const NAN_BITS: u64 = 0x7FF8_0000_0000_0000;

type Code = [u64; 2];

fn tag(c: &Code) -> u64 {
    c[1] >> TAG_SHIFT
}

fn splitmix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn hash_bytes(b: &[u8]) -> u64 {
    let mut h = 0x243F_6A88_85A3_08D3 ^ b.len() as u64;
    let mut chunks = b.chunks_exact(8);
    for c in &mut chunks {
        let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        h = (h ^ w).wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(29);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut w = [0u8; 8];
        w[..rest.len()].copy_from_slice(rest);
        h = (h ^ u64::from_le_bytes(w))
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .rotate_left(29);
    }
    splitmix(h)
}

/// The hash that picks a key's pass and bucket: the same for equal keys on both sides.
fn key_hash(c: &Code) -> u64 {
    if tag(c) == LONG {
        splitmix(c[0] ^ 0x5555)
    } else {
        splitmix(c[0] ^ splitmix(c[1]))
    }
}

/// Bytes as a code: inline when they fit, else their hash now and their offset once stored.
enum Pending {
    Code(Code),
    Long(u64),
}

fn bytes_code(b: &[u8]) -> Pending {
    let n = b.len();
    if n > 15 {
        return Pending::Long(hash_bytes(b));
    }
    // The 16 bytes `b`, zeros, `n` as two little-endian words, without a variable-length copy
    // (this runs once per row): whole-word loads, the tail by an overlapping load shifted down.
    let word = |s: &[u8]| u64::from_le_bytes([s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]]);
    let small = |s: &[u8]| s.iter().rev().fold(0u64, |w, &x| (w << 8) | x as u64);
    let (lo, hi) = match n {
        0..=7 => (small(b), 0),
        8 => (word(b), 0),
        _ => (word(b), word(&b[n - 8..]) >> (8 * (16 - n))),
    };
    Pending::Code([lo, hi | ((n as u64) << TAG_SHIFT)])
}

/// Stores long bytes in the arena (length-prefixed) and returns their code.
fn store_long(hash: u64, b: &[u8], arena: &mut Vec<u8>) -> Code {
    let offset = arena.len() as u64;
    arena.extend_from_slice(&(b.len() as u32).to_le_bytes());
    arena.extend_from_slice(b);
    [hash, (LONG << TAG_SHIFT) | offset]
}

fn long_bytes<'a>(c: &Code, arena: &'a [u8]) -> &'a [u8] {
    let at = (c[1] & ((1 << TAG_SHIFT) - 1)) as usize;
    let len = u32::from_le_bytes([arena[at], arena[at + 1], arena[at + 2], arena[at + 3]]) as usize;
    &arena[at + 4..at + 4 + len]
}

fn inline_bytes(c: &Code) -> Vec<u8> {
    let mut a = [0u8; 16];
    a[..8].copy_from_slice(&c[0].to_le_bytes());
    a[8..].copy_from_slice(&c[1].to_le_bytes());
    a[..(tag(c) as usize).min(15)].to_vec()
}

/// A total order on codes consistent with equality of what they encode.
fn cmp_code(a: &Code, arena_a: &[u8], b: &Code, arena_b: &[u8]) -> Ordering {
    if tag(a) == LONG && tag(b) == LONG {
        a[0].cmp(&b[0])
            .then_with(|| long_bytes(a, arena_a).cmp(long_bytes(b, arena_b)))
    } else {
        (a[1], a[0]).cmp(&(b[1], b[0]))
    }
}

fn eq_code(a: &Code, arena_a: &[u8], b: &Code, arena_b: &[u8]) -> bool {
    if tag(a) == LONG && tag(b) == LONG {
        a[0] == b[0] && long_bytes(a, arena_a) == long_bytes(b, arena_b)
    } else {
        a == b
    }
}

/// How a key column is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyKind {
    /// Integers, dates, timestamps, booleans: compared as integers.
    Int,
    /// Strings and binary: compared as bytes.
    Bytes,
}

fn key_kind(t: &DataType) -> Option<KeyKind> {
    use DataType::*;
    match t {
        Int8 | Int16 | Int32 | Int64 | UInt8 | UInt16 | UInt32 | UInt64 | Boolean | Date32
        | Date64 | Timestamp(..) | Time32(_) | Time64(_) | Duration(_) => Some(KeyKind::Int),
        Utf8 | LargeUtf8 | Utf8View | Binary | LargeBinary | BinaryView | FixedSizeBinary(_) => {
            Some(KeyKind::Bytes)
        }
        Dictionary(_, v) => key_kind(v).filter(|k| *k == KeyKind::Bytes),
        _ => None,
    }
}

/// Integers, floats, decimals, timestamps, dates and durations: compared as numbers.
fn is_numeric(t: &DataType) -> bool {
    t.is_numeric()
        || matches!(
            t,
            DataType::Timestamp(..) | DataType::Date32 | DataType::Date64 | DataType::Duration(_)
        )
}

/// The record layout shared by both sides.
#[derive(Debug, Clone)]
struct Layout {
    keys: Vec<KeyKind>,
    /// Per compared column: numeric (one word) or categorical (a two-word code).
    numeric: Vec<bool>,
    /// Words per record.
    stride: usize,
}

impl Layout {
    fn offset(&self, column: usize) -> usize {
        2 + self.numeric[..column]
            .iter()
            .map(|n| if *n { 1 } else { 2 })
            .sum::<usize>()
    }
}

/// Checks the key and compared columns against both schemas and makes the record layout.
fn layout(key: &[String], columns: &[String], sides: &[(&str, &Schema)]) -> Result<Layout> {
    if key.is_empty() {
        return Err(Error::input(
            "a keyed comparison needs at least one key column",
        ));
    }
    let mut keys = Vec::new();
    for k in key {
        let mut kind = None;
        let mut seen: Option<(&str, DataType)> = None;
        for (side, schema) in sides {
            let f = schema
                .field_with_name(k)
                .map_err(|_| Error::input(format!("no key column {k:?} in the {side}")))?;
            let t = f.data_type();
            let Some(this) = key_kind(t) else {
                return Err(Error::input(format!(
                    "key column {k} is {t} in the {side}: keys must be integers or strings"
                )));
            };
            if let Some((other, ot)) = &seen {
                let same_ints =
                    this == KeyKind::Int && (t == ot || (t.is_integer() && ot.is_integer()));
                if kind != Some(this) || (this == KeyKind::Int && !same_ints) {
                    return Err(Error::input(format!(
                        "key column {k} is {t} in the {side} but {ot} in the {other}: keys of different types never match"
                    )));
                }
            }
            kind = Some(this);
            seen = Some((side, t.clone()));
        }
        keys.extend(kind);
    }
    let mut numeric = Vec::new();
    for c in columns {
        if key.contains(c) {
            return Err(Error::input(format!(
                "column {c} is part of the key: it cannot also be compared"
            )));
        }
        let mut kind: Option<(bool, &str, DataType)> = None;
        for (side, schema) in sides {
            let f = schema
                .field_with_name(c)
                .map_err(|_| Error::input(format!("no column {c:?} in the {side}")))?;
            let n = is_numeric(f.data_type());
            if let Some((m, other, ot)) = &kind
                && *m != n
            {
                return Err(Error::input(format!(
                    "column {c} is {} in the {side} but {ot} in the {other}: numeric on one side only",
                    f.data_type()
                )));
            }
            kind = Some((n, side, f.data_type().clone()));
        }
        numeric.extend(kind.map(|k| k.0));
    }
    let stride = 2 + numeric
        .iter()
        .map(|n| if *n { 1 } else { 2 })
        .sum::<usize>();
    Ok(Layout {
        keys,
        numeric,
        stride,
    })
}

/// The bytes of a string-like array, whatever its encoding.
enum ByteCol {
    Utf8(StringArray),
    LargeUtf8(LargeStringArray),
    Utf8View(StringViewArray),
    Binary(BinaryArray),
    LargeBinary(LargeBinaryArray),
    BinaryView(BinaryViewArray),
}

impl ByteCol {
    fn new(a: &ArrayRef) -> Result<ByteCol> {
        Ok(match a.data_type() {
            DataType::Utf8 => ByteCol::Utf8(a.as_string::<i32>().clone()),
            DataType::LargeUtf8 => ByteCol::LargeUtf8(a.as_string::<i64>().clone()),
            DataType::Utf8View => ByteCol::Utf8View(a.as_string_view().clone()),
            DataType::Binary => ByteCol::Binary(a.as_binary::<i32>().clone()),
            DataType::LargeBinary => ByteCol::LargeBinary(a.as_binary::<i64>().clone()),
            DataType::BinaryView => ByteCol::BinaryView(a.as_binary_view().clone()),
            DataType::FixedSizeBinary(_) => ByteCol::new(&cast(a, &DataType::Binary)?)?,
            _ => ByteCol::new(&cast(a, &DataType::Utf8)?)?,
        })
    }

    fn get(&self, i: usize) -> Option<&[u8]> {
        match self {
            ByteCol::Utf8(a) => a.is_valid(i).then(|| a.value(i).as_bytes()),
            ByteCol::LargeUtf8(a) => a.is_valid(i).then(|| a.value(i).as_bytes()),
            ByteCol::Utf8View(a) => a.is_valid(i).then(|| a.value(i).as_bytes()),
            ByteCol::Binary(a) => a.is_valid(i).then(|| a.value(i)),
            ByteCol::LargeBinary(a) => a.is_valid(i).then(|| a.value(i)),
            ByteCol::BinaryView(a) => a.is_valid(i).then(|| a.value(i)),
        }
    }
}

enum KeyCol {
    I64(Int64Array),
    U64(UInt64Array),
    Bytes(ByteCol),
}

fn cast(a: &ArrayRef, t: &DataType) -> Result<ArrayRef> {
    arrow::compute::cast(a, t)
        .map_err(|e| Error::input(format!("reading {} as {t}: {e}", a.data_type())))
}

impl KeyCol {
    fn new(a: &ArrayRef, kind: KeyKind) -> Result<KeyCol> {
        Ok(match (kind, a.data_type()) {
            (KeyKind::Bytes, _) => KeyCol::Bytes(ByteCol::new(a)?),
            (KeyKind::Int, DataType::UInt64) => KeyCol::U64(a.as_primitive().clone()),
            (KeyKind::Int, DataType::Int64) => KeyCol::I64(a.as_primitive().clone()),
            (KeyKind::Int, DataType::Boolean) => KeyCol::I64(
                cast(&cast(a, &DataType::Int8)?, &DataType::Int64)?
                    .as_primitive()
                    .clone(),
            ),
            (KeyKind::Int, _) => KeyCol::I64(cast(a, &DataType::Int64)?.as_primitive().clone()),
        })
    }

    /// An integer as (tag, word): values of u64 above i64::MAX get their own tag, so an integer
    /// has one code whatever its column's width.
    fn int(&self, i: usize) -> Option<(u64, u64)> {
        match self {
            KeyCol::I64(a) => a.is_valid(i).then(|| (INT, a.value(i) as u64)),
            KeyCol::U64(a) => a.is_valid(i).then(|| {
                let v = a.value(i);
                if v > i64::MAX as u64 {
                    (UINT, v)
                } else {
                    (INT, v)
                }
            }),
            KeyCol::Bytes(_) => None,
        }
    }
}

/// One side's records of one pass.
#[derive(Default)]
struct SideData {
    buckets: Vec<Vec<u64>>,
    arena: Vec<u8>,
    rows: u64,
    null_keys: u64,
}

/// Where rows go: pass `pass` of `passes`, `buckets` buckets.
#[derive(Debug, Clone, Copy)]
struct Split {
    pass: u64,
    passes: u64,
    buckets: usize,
}

impl Split {
    fn bucket(&self, h: u64) -> Option<usize> {
        let pass = ((h >> 32) * self.passes) >> 32;
        (pass == self.pass).then_some((h as usize) & (self.buckets - 1))
    }
}

/// One scan of a side: every row of this pass into its bucket.
async fn read_side(
    scan: BoxFuture<'static, Result<Batches>>,
    nk: usize,
    layout: Arc<Layout>,
    split: Split,
    expected_rows: u64,
) -> Result<SideData> {
    let mut stream = scan.await?;
    let per_bucket = (expected_rows / split.passes / split.buckets as u64) as usize * 9 / 8 + 16;
    let mut out = SideData {
        buckets: (0..split.buckets)
            .map(|_| Vec::with_capacity(per_bucket * layout.stride))
            .collect(),
        ..Default::default()
    };
    debug_assert_eq!(nk, layout.keys.len());
    let mut buf: Vec<u8> = Vec::new();
    while let Some(batch) = stream.next().await {
        let batch = batch?;
        let n = batch.num_rows();
        out.rows += n as u64;
        let keys: Vec<KeyCol> = layout
            .keys
            .iter()
            .enumerate()
            .map(|(i, k)| KeyCol::new(batch.column(i), *k))
            .collect::<Result<_>>()?;
        enum Val {
            Num(Float64Array),
            Cat(ByteCol),
        }
        let vals: Vec<Val> = layout
            .numeric
            .iter()
            .enumerate()
            .map(|(i, numeric)| {
                let a = batch.column(nk + i);
                Ok(if *numeric {
                    Val::Num(to_f64(a)?)
                } else {
                    Val::Cat(ByteCol::new(a)?)
                })
            })
            .collect::<Result<_>>()?;
        'rows: for row in 0..n {
            // The key's code, or a long key's hash (its bytes in `buf`).
            let pending = if nk == 1 {
                match &keys[0] {
                    KeyCol::Bytes(b) => match b.get(row) {
                        None => None,
                        Some(bytes) => {
                            // Only a long key's bytes are stored (below).
                            if bytes.len() > 15 {
                                buf.clear();
                                buf.extend_from_slice(bytes);
                            }
                            Some(bytes_code(bytes))
                        }
                    },
                    k => k.int(row).map(|(t, v)| Pending::Code([v, t << TAG_SHIFT])),
                }
            } else {
                buf.clear();
                for k in &keys {
                    match k {
                        KeyCol::Bytes(b) => match b.get(row) {
                            None => {
                                out.null_keys += 1;
                                continue 'rows;
                            }
                            Some(bytes) => {
                                buf.push(2);
                                buf.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
                                buf.extend_from_slice(bytes);
                            }
                        },
                        k => match k.int(row) {
                            None => {
                                out.null_keys += 1;
                                continue 'rows;
                            }
                            Some((t, v)) => {
                                buf.push(if t == INT { 1 } else { 3 });
                                buf.extend_from_slice(&v.to_le_bytes());
                            }
                        },
                    }
                }
                Some(bytes_code(&buf))
            };
            let Some(pending) = pending else {
                out.null_keys += 1;
                continue;
            };
            let h = match &pending {
                Pending::Code(c) => key_hash(c),
                Pending::Long(h) => splitmix(h ^ 0x5555),
            };
            let Some(bucket) = split.bucket(h) else {
                continue;
            };
            let code = match pending {
                Pending::Code(c) => c,
                Pending::Long(h) => store_long(h, &buf, &mut out.arena),
            };
            let rec = &mut out.buckets[bucket];
            rec.extend_from_slice(&code);
            for v in &vals {
                match v {
                    Val::Num(a) => rec.push(if a.is_null(row) {
                        NULL_BITS
                    } else {
                        let x = a.value(row);
                        if x.is_nan() { NAN_BITS } else { x.to_bits() }
                    }),
                    Val::Cat(b) => {
                        let code = match b.get(row) {
                            None => [0, NULL << TAG_SHIFT],
                            Some(bytes) => match bytes_code(bytes) {
                                Pending::Code(c) => c,
                                Pending::Long(h) => store_long(h, bytes, &mut out.arena),
                            },
                        };
                        rec.extend_from_slice(&code);
                    }
                }
            }
        }
    }
    Ok(out)
}

/// A numeric column as f64 (timestamps, dates and durations as their integer value).
fn to_f64(a: &ArrayRef) -> Result<Float64Array> {
    let a = match a.data_type() {
        DataType::Timestamp(..) | DataType::Date32 | DataType::Date64 | DataType::Duration(_) => {
            cast(a, &DataType::Int64)?
        }
        _ => a.clone(),
    };
    Ok(cast(&a, &DataType::Float64)?.as_primitive().clone())
}

/// Counts of one side's keys, gathered per bucket.
#[derive(Default)]
struct SideAcc {
    distinct: u64,
    duplicated: u64,
    duplicate_rows: u64,
    examples: Vec<String>,
}

enum ColAcc {
    Num {
        pairs: u64,
        moved: u64,
        unchanged: u64,
        missing: Missing,
        /// (baseline, candidate), both finite: one chunk per thread and pass (never copied
        /// into one vector: that would hold them twice).
        finite: Vec<Vec<[f64; 2]>>,
    },
    Cat {
        pairs: u64,
        changed: u64,
        both_null: u64,
        null_to_value: u64,
        value_to_null: u64,
    },
}

#[derive(Default)]
struct Acc {
    cand: SideAcc,
    base: SideAcc,
    matched: u64,
    only_c: u64,
    only_b: u64,
    compared: u64,
    matched_dup: u64,
    cols: Vec<ColAcc>,
}

impl Acc {
    fn new(layout: &Layout) -> Acc {
        Acc {
            cols: layout
                .numeric
                .iter()
                .map(|n| {
                    if *n {
                        ColAcc::Num {
                            pairs: 0,
                            moved: 0,
                            unchanged: 0,
                            missing: Missing::default(),
                            finite: vec![Vec::new()],
                        }
                    } else {
                        ColAcc::Cat {
                            pairs: 0,
                            changed: 0,
                            both_null: 0,
                            null_to_value: 0,
                            value_to_null: 0,
                        }
                    }
                })
                .collect(),
            ..Default::default()
        }
    }

    fn merge(&mut self, o: Acc) {
        for (s, t) in [(&mut self.cand, o.cand), (&mut self.base, o.base)] {
            s.distinct += t.distinct;
            s.duplicated += t.duplicated;
            s.duplicate_rows += t.duplicate_rows;
            for e in t.examples {
                if s.examples.len() < EXAMPLES {
                    s.examples.push(e);
                }
            }
        }
        self.matched += o.matched;
        self.only_c += o.only_c;
        self.only_b += o.only_b;
        self.compared += o.compared;
        self.matched_dup += o.matched_dup;
        for (a, b) in self.cols.iter_mut().zip(o.cols) {
            match (a, b) {
                (
                    ColAcc::Num {
                        pairs,
                        moved,
                        unchanged,
                        missing,
                        finite,
                    },
                    ColAcc::Num {
                        pairs: p2,
                        moved: m2,
                        unchanged: u2,
                        missing: x,
                        finite: f2,
                    },
                ) => {
                    *pairs += p2;
                    *moved += m2;
                    *unchanged += u2;
                    missing.both_null += x.both_null;
                    missing.null_to_value += x.null_to_value;
                    missing.value_to_null += x.value_to_null;
                    missing.both_nan += x.both_nan;
                    missing.nan_to_value += x.nan_to_value;
                    missing.value_to_nan += x.value_to_nan;
                    missing.null_to_nan += x.null_to_nan;
                    missing.nan_to_null += x.nan_to_null;
                    finite.extend(f2.into_iter().filter(|c| !c.is_empty()));
                }
                (
                    ColAcc::Cat {
                        pairs,
                        changed,
                        both_null,
                        null_to_value,
                        value_to_null,
                    },
                    ColAcc::Cat {
                        pairs: p2,
                        changed: c2,
                        both_null: b2,
                        null_to_value: n2,
                        value_to_null: v2,
                    },
                ) => {
                    *pairs += p2;
                    *changed += c2;
                    *both_null += b2;
                    *null_to_value += n2;
                    *value_to_null += v2;
                }
                _ => {}
            }
        }
    }
}

/// A key as text for people: the integer, the string, or `(a, b)` for several columns.
fn render(code: &Code, arena: &[u8], layout: &Layout) -> String {
    let bytes = match tag(code) {
        INT if layout.keys.len() == 1 => return (code[0] as i64).to_string(),
        UINT => return code[0].to_string(),
        LONG => long_bytes(code, arena).to_vec(),
        _ => inline_bytes(code),
    };
    if layout.keys.len() == 1 {
        return String::from_utf8_lossy(&bytes).into_owned();
    }
    let mut parts = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let t = bytes[at];
        at += 1;
        if t == 2 {
            let Some(len) = bytes.get(at..at + 4) else {
                break;
            };
            let len = u32::from_le_bytes([len[0], len[1], len[2], len[3]]) as usize;
            let s = bytes.get(at + 4..at + 4 + len).unwrap_or_default();
            parts.push(format!("{:?}", String::from_utf8_lossy(s)));
            at += 4 + len;
        } else {
            let Some(w) = bytes.get(at..at + 8) else {
                break;
            };
            let v = u64::from_le_bytes(w.try_into().unwrap_or_default());
            parts.push(if t == 1 {
                (v as i64).to_string()
            } else {
                v.to_string()
            });
            at += 8;
        }
    }
    format!("({})", parts.join(", "))
}

/// Step 3 for one bucket: sort both sides by key, walk them together.
fn match_bucket(
    c: &[u64],
    b: &[u64],
    arena_c: &[u8],
    arena_b: &[u8],
    layout: &Layout,
    tol: Tolerance,
    acc: &mut Acc,
) {
    let s = layout.stride;
    let code = |recs: &[u64], i: u32| -> Code {
        let at = i as usize * s;
        [recs[at], recs[at + 1]]
    };
    let sorted = |recs: &[u64], arena: &[u8]| {
        let mut ix: Vec<u32> = (0..(recs.len() / s) as u32).collect();
        ix.sort_unstable_by(|x, y| cmp_code(&code(recs, *x), arena, &code(recs, *y), arena));
        ix
    };
    let (ic, ib) = (sorted(c, arena_c), sorted(b, arena_b));
    // The end of the run of equal keys starting at `i`.
    let run = |recs: &[u64], arena: &[u8], ix: &[u32], i: usize| {
        let k = code(recs, ix[i]);
        let mut j = i + 1;
        while j < ix.len() && eq_code(&code(recs, ix[j]), arena, &k, arena) {
            j += 1;
        }
        j
    };
    let side = |acc: &mut SideAcc, n: usize, k: &Code, arena: &[u8]| {
        acc.distinct += 1;
        if n > 1 {
            acc.duplicated += 1;
            acc.duplicate_rows += n as u64 - 1;
            if acc.examples.len() < EXAMPLES {
                acc.examples.push(render(k, arena, layout));
            }
        }
    };
    let (mut i, mut j) = (0, 0);
    while i < ic.len() || j < ib.len() {
        let ord = match (ic.get(i), ib.get(j)) {
            (Some(x), Some(y)) => cmp_code(&code(c, *x), arena_c, &code(b, *y), arena_b),
            (Some(_), None) => Ordering::Less,
            _ => Ordering::Greater,
        };
        match ord {
            Ordering::Less => {
                let e = run(c, arena_c, &ic, i);
                side(&mut acc.cand, e - i, &code(c, ic[i]), arena_c);
                acc.only_c += 1;
                i = e;
            }
            Ordering::Greater => {
                let e = run(b, arena_b, &ib, j);
                side(&mut acc.base, e - j, &code(b, ib[j]), arena_b);
                acc.only_b += 1;
                j = e;
            }
            Ordering::Equal => {
                let (ei, ej) = (run(c, arena_c, &ic, i), run(b, arena_b, &ib, j));
                side(&mut acc.cand, ei - i, &code(c, ic[i]), arena_c);
                side(&mut acc.base, ej - j, &code(b, ib[j]), arena_b);
                acc.matched += 1;
                if ei - i == 1 && ej - j == 1 {
                    acc.compared += 1;
                    let rc = &c[ic[i] as usize * s..][..s];
                    let rb = &b[ib[j] as usize * s..][..s];
                    compare(rc, rb, arena_c, arena_b, layout, tol, acc);
                } else {
                    acc.matched_dup += 1;
                }
                i = ei;
                j = ej;
            }
        }
    }
}

/// The values of one compared key.
fn compare(
    rc: &[u64],
    rb: &[u64],
    arena_c: &[u8],
    arena_b: &[u8],
    layout: &Layout,
    tol: Tolerance,
    acc: &mut Acc,
) {
    for (k, col) in acc.cols.iter_mut().enumerate() {
        let at = layout.offset(k);
        match col {
            ColAcc::Num {
                pairs,
                moved,
                unchanged,
                missing,
                finite,
            } => {
                *pairs += 1;
                let (xc, xb) = (rc[at], rb[at]);
                let state = |x: u64| match x {
                    NULL_BITS => 0,
                    NAN_BITS => 1,
                    _ => 2,
                };
                match (state(xb), state(xc)) {
                    (2, 2) => {
                        let (vb, vc) = (f64::from_bits(xb), f64::from_bits(xc));
                        if vc == vb {
                            *unchanged += 1;
                        } else if tol.moved(vb, vc) {
                            *moved += 1;
                        }
                        if vb.is_finite()
                            && vc.is_finite()
                            && let Some(chunk) = finite.last_mut()
                        {
                            chunk.push([vb, vc]);
                        }
                    }
                    (0, 0) => {
                        missing.both_null += 1;
                        *unchanged += 1;
                    }
                    (1, 1) => {
                        missing.both_nan += 1;
                        *unchanged += 1;
                    }
                    (0, 2) => {
                        missing.null_to_value += 1;
                        *moved += 1;
                    }
                    (2, 0) => {
                        missing.value_to_null += 1;
                        *moved += 1;
                    }
                    (1, 2) => {
                        missing.nan_to_value += 1;
                        *moved += 1;
                    }
                    (2, 1) => {
                        missing.value_to_nan += 1;
                        *moved += 1;
                    }
                    (0, 1) => missing.null_to_nan += 1,
                    _ => missing.nan_to_null += 1,
                }
            }
            ColAcc::Cat {
                pairs,
                changed,
                both_null,
                null_to_value,
                value_to_null,
            } => {
                *pairs += 1;
                let (cc, cb) = ([rc[at], rc[at + 1]], [rb[at], rb[at + 1]]);
                match (tag(&cb) == NULL, tag(&cc) == NULL) {
                    (true, true) => *both_null += 1,
                    (true, false) => {
                        *null_to_value += 1;
                        *changed += 1;
                    }
                    (false, true) => {
                        *value_to_null += 1;
                        *changed += 1;
                    }
                    (false, false) => {
                        if !eq_code(&cc, arena_c, &cb, arena_b) {
                            *changed += 1;
                        }
                    }
                }
            }
        }
    }
}

/// How many passes the join needs under `limit`, and how many buckets each pass has.
/// How many passes the join needs under the limit, how many buckets each pass has, and whether the
/// finite pairs go to disk (when holding them all would take more than half the limit).
fn plan(req: &Request<'_>, layout: &Layout) -> (u64, usize, bool) {
    let (rows_c, rows_b) = (req.candidate.rows(), req.baseline.map_or(0, |b| b.rows()));
    let rows = rows_c + rows_b;
    let long_guess: u64 = if layout.keys.contains(&KeyKind::Bytes) {
        8
    } else {
        0
    } + 8 * layout.numeric.iter().filter(|n| !**n).count() as u64;
    let per_row = layout.stride as u64 * 8 * 5 / 4 + long_guess + 4;
    let numeric = layout.numeric.iter().filter(|n| **n).count() as u64;
    let pairs = rows_c.min(rows_b) * 32 * numeric;
    let usable = req.memory_limit.saturating_sub(RESERVE);
    let spill = pairs > usable / 2;
    // Spilled, a pass holds its own pairs until it ends; else all pairs stay to the end.
    let (per_row, held) = if spill {
        (per_row + 16 * numeric, 0)
    } else {
        (per_row, pairs)
    };
    let avail = usable.saturating_sub(held).max(1 << 20);
    let passes = (rows * per_row).div_ceil(avail).max(1);
    let per_pass = rows / passes;
    // Each row is appended to its bucket's tail: at most 1024 buckets a side keep every tail (and
    // the bucket headers) in the core's cache while a scan scatters rows; with 16,384 buckets at
    // 10M rows, a cache miss per row made the scatter half of the comparison's time. A bucket is
    // then sorted alone (about 10,000 records a side at 2 × 10M rows: within L2).
    let buckets = (per_pass / 2048).max(1).next_power_of_two().min(1 << 10) as usize;
    (passes, buckets, spill)
}

/// Compares the candidate with the baseline on the key (or, without a baseline, counts the
/// candidate's keys).
pub async fn compare_tables(req: &Request<'_>) -> Result<Comparison> {
    // 1. Plan.
    let sc = req.candidate.schema();
    let sb = req.baseline.map(|b| b.schema());
    let mut sides: Vec<(&str, &Schema)> = vec![("candidate", &sc)];
    if let Some(s) = &sb {
        sides.push(("baseline", s));
    }
    let layout = Arc::new(layout(req.key, req.columns, &sides)?);
    let (passes, buckets, spill) = plan(req, &layout);
    let mut spills: Vec<Option<Spill>> = Vec::new();
    if spill {
        for n in &layout.numeric {
            spills.push(if *n { Some(Spill::new()?) } else { None });
        }
    }
    let mut total = Acc::new(&layout);
    let (mut rows_c, mut rows_b, mut nulls_c, mut nulls_b) = (0, 0, 0, 0);
    for pass in 0..passes {
        // 2. Read both sides at once.
        let split = Split {
            pass,
            passes,
            buckets,
        };
        let read = |table: &dyn Table| {
            tokio::spawn(read_side(
                table.scan([req.key, req.columns].concat()),
                req.key.len(),
                layout.clone(),
                split,
                table.rows(),
            ))
        };
        let hc = read(req.candidate);
        let hb = req.baseline.map(read);
        let joined = |e: tokio::task::JoinError| Error::input(format!("reading keys: {e}"));
        let c = hc.await.map_err(joined)??;
        let b = match hb {
            Some(h) => h.await.map_err(joined)??,
            None => SideData {
                buckets: vec![Vec::new(); buckets],
                ..Default::default()
            },
        };
        // Every pass reads every row: count rows and null keys once.
        if pass == 0 {
            (rows_c, rows_b, nulls_c, nulls_b) = (c.rows, b.rows, c.null_keys, b.null_keys);
        }
        // 3. Match bucket by bucket on every core.
        let layout2 = layout.clone();
        let tol = req.tolerance;
        let acc = tokio::task::spawn_blocking(move || match_all(c, b, &layout2, tol))
            .await
            .map_err(|e| Error::input(format!("comparing keys: {e}")))?;
        total.merge(acc);
        crate::stats::bounded::release_freed_memory();
        // Beyond the limit, each pass's finite pairs go to disk.
        for (col, sp) in total.cols.iter_mut().zip(spills.iter_mut()) {
            if let (ColAcc::Num { finite, .. }, Some(sp)) = (col, sp) {
                for chunk in finite.iter() {
                    sp.push_pairs(chunk)?;
                }
                *finite = vec![Vec::new()];
            }
        }
    }
    // Ranking spilled pairs holds a range of records and the radix sort's scratch (32 bytes a
    // record) while a chunk of the spill file is read: half the usable memory, so the pairs of the
    // last pass and the allocator's slack fit beside it.
    crate::stats::bounded::release_freed_memory();
    let budget = (req.memory_limit.saturating_sub(RESERVE) / 64).max(1 << 12);
    // 4. Per numeric column: correlations, change.
    let mut columns = Vec::new();
    let cols = std::mem::take(&mut total.cols);
    let mut spills = spills.into_iter();
    for (name, col) in req.columns.iter().zip(cols) {
        let spilled = spills.next().flatten();
        columns.push(match col {
            ColAcc::Num {
                pairs,
                moved,
                unchanged,
                missing,
                finite,
            } => {
                let (finite_pairs, pearson, mean_abs_change, histogram, spearman) = match spilled {
                    None => {
                        let n = finite.iter().map(|c| c.len() as u64).sum();
                        let (p, m, h) = moments_by(n, |f| {
                            finite.iter().for_each(|c| f(c));
                            Ok(())
                        })?;
                        let s = tokio::task::spawn_blocking(move || spearman_chunks(finite))
                            .await
                            .map_err(|e| Error::input(format!("ranking: {e}")))?;
                        (n, p, m, h, s)
                    }
                    Some(sp) => tokio::task::spawn_blocking(move || {
                        let (p, m, h) = sp.moments()?;
                        let s = spearman_spilled(&sp, budget)?;
                        Ok::<_, Error>((sp.n, p, m, h, s))
                    })
                    .await
                    .map_err(|e| Error::input(format!("ranking: {e}")))??,
                };
                ColumnChange::Numeric(NumericChange {
                    column: name.clone(),
                    pairs,
                    moved,
                    moved_share: share(moved, pairs),
                    unchanged,
                    unchanged_share: share(unchanged, pairs),
                    finite_pairs,
                    spearman,
                    pearson,
                    mean_abs_change,
                    missing,
                    histogram,
                })
            }
            ColAcc::Cat {
                pairs,
                changed,
                both_null,
                null_to_value,
                value_to_null,
            } => ColumnChange::Categorical(CategoricalChange {
                column: name.clone(),
                pairs,
                changed,
                changed_share: share(changed, pairs),
                both_null,
                null_to_value,
                value_to_null,
            }),
        });
    }
    let side = |a: SideAcc, rows: u64, nulls: u64| SideKeys {
        rows,
        null_keys: nulls,
        distinct: a.distinct,
        duplicated: a.duplicated,
        duplicate_rows: a.duplicate_rows,
        examples: a.examples,
    };
    let base = req
        .baseline
        .map(|_| side(std::mem::take(&mut total.base), rows_b, nulls_b));
    Ok(Comparison {
        keys: Keys {
            matched_share: base.as_ref().and_then(|b| share(total.matched, b.distinct)),
            candidate: side(std::mem::take(&mut total.cand), rows_c, nulls_c),
            baseline: base,
            matched: total.matched,
            only_candidate: total.only_c,
            only_baseline: total.only_b,
            compared: total.compared,
            matched_duplicated: total.matched_dup,
        },
        columns,
        passes: passes as u32,
    })
}

fn share(n: u64, of: u64) -> Option<f64> {
    (of > 0).then(|| n as f64 / of as f64)
}

/// Step 3 over every bucket, split between the cores.
fn match_all(c: SideData, b: SideData, layout: &Layout, tol: Tolerance) -> Acc {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 8);
    let mut work: Vec<(Vec<u64>, Vec<u64>)> = c.buckets.into_iter().zip(b.buckets).collect();
    let chunk = work.len().div_ceil(threads).max(1);
    let (arena_c, arena_b) = (&c.arena[..], &b.arena[..]);
    let mut total = Acc::new(layout);
    std::thread::scope(|s| {
        let handles: Vec<_> = work
            .chunks_mut(chunk)
            .map(|part| {
                s.spawn(move || {
                    let mut acc = Acc::new(layout);
                    // At most one pair per candidate record: reserved, so no doubling slack.
                    let cap: usize = part
                        .iter()
                        .map(|(bc, bb)| bc.len().min(bb.len()) / layout.stride)
                        .sum();
                    for col in &mut acc.cols {
                        if let ColAcc::Num { finite, .. } = col {
                            finite[0].reserve_exact(cap);
                        }
                    }
                    for (bc, bb) in part.iter_mut() {
                        match_bucket(bc, bb, arena_c, arena_b, layout, tol, &mut acc);
                        // Free as we go: the pairs kept for step 4 grow meanwhile.
                        *bc = Vec::new();
                        *bb = Vec::new();
                    }
                    acc
                })
            })
            .collect();
        for h in handles {
            if let Ok(acc) = h.join() {
                total.merge(acc);
            }
        }
    });
    total
}

/// Pearson's correlation (two passes), the mean |c − b| and the histogram of c − b.
type Moments = (Option<f64>, Option<f64>, Option<ChangeHistogram>);

#[cfg(test)]
fn moments(pairs: &[[f64; 2]]) -> Moments {
    let once = |f: &mut dyn FnMut(&[[f64; 2]])| {
        f(pairs);
        Ok(())
    };
    moments_by(pairs.len() as u64, once).unwrap_or((None, None, None))
}

/// [`moments`] over pairs read in chunks, twice (`scan` calls its argument with every chunk).
fn moments_by(
    count: u64,
    mut scan: impl FnMut(&mut dyn FnMut(&[[f64; 2]])) -> Result<()>,
) -> Result<Moments> {
    if count == 0 {
        return Ok((None, None, None));
    }
    let n = count as f64;
    let (mut sb, mut sc, mut sabs) = (0.0, 0.0, 0.0);
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    scan(&mut |pairs| {
        for [b, c] in pairs {
            sb += b;
            sc += c;
            let d = c - b;
            sabs += d.abs();
            lo = lo.min(d);
            hi = hi.max(d);
        }
    })?;
    let (mb, mc) = (sb / n, sc / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    let flat = lo == hi || !(hi - lo).is_finite();
    let w = (hi - lo) / BINS as f64;
    let mut counts = vec![0u64; BINS];
    scan(&mut |pairs| {
        for [b, c] in pairs {
            let (x, y) = (b - mb, c - mc);
            sxy += x * y;
            sxx += x * x;
            syy += y * y;
            if !flat {
                let i = (((c - b) - lo) / w) as usize;
                counts[i.min(BINS - 1)] += 1;
            }
        }
    })?;
    let pearson =
        (sxx > 0.0 && syy > 0.0).then(|| (sxy / (sxx.sqrt() * syy.sqrt())).clamp(-1.0, 1.0));
    let histogram = if flat {
        ChangeHistogram {
            edges: vec![lo, hi],
            counts: vec![count],
        }
    } else {
        ChangeHistogram {
            edges: (0..=BINS)
                .map(|i| if i == BINS { hi } else { lo + w * i as f64 })
                .collect(),
            counts,
        }
    };
    Ok((pearson, Some(sabs / n), Some(histogram)))
}

/// An order-preserving u64 of a float (-0.0 folded into 0.0: they tie).
fn order_key(x: f64) -> u64 {
    let b = if x == 0.0 { 0 } else { x.to_bits() };
    if b >> 63 == 1 { !b } else { b | (1 << 63) }
}

/// Sorts records by their first word. Large inputs: one MSD pass on the 11 highest bits in which
/// the keys differ scatters the records into up to 2,048 buckets, each a contiguous run of the
/// output that only its own keys fall in; the buckets (mostly small enough for the core's cache)
/// are then sorted on every core. An LSD radix over the whole array (6 passes of scattered writes
/// to 160 MB at 10M records) cost more than the rest of Spearman's ranking together.
fn radix_by_first(v: Vec<[u64; 2]>) -> Vec<[u64; 2]> {
    const BITS: u32 = 11;
    const B: usize = 1 << BITS;
    if v.len() < 1 << 16 {
        return radix_lsd(v);
    }
    let (or, and) = v
        .iter()
        .fold((0u64, !0u64), |(o, a), r| (o | r[0], a & r[0]));
    let differ = or ^ and;
    if differ == 0 {
        return v;
    }
    let shift = (64 - differ.leading_zeros()).saturating_sub(BITS);
    let digit = |r: &[u64; 2]| ((r[0] >> shift) as usize) & (B - 1);
    let mut counts = vec![0usize; B];
    for r in &v {
        counts[digit(r)] += 1;
    }
    let mut at = vec![0usize; B];
    let mut sum = 0;
    for (o, c) in at.iter_mut().zip(&counts) {
        *o = sum;
        sum += c;
    }
    let mut out = vec![[0u64; 2]; v.len()];
    for r in &v {
        let d = digit(r);
        out[at[d]] = *r;
        at[d] += 1;
    }
    drop(v);
    // The buckets as slices of the output, whole buckets to each core, about equal shares.
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 8);
    let share = out.len().div_ceil(threads);
    let mut parts: Vec<Vec<&mut [[u64; 2]]>> = vec![Vec::new()];
    let (mut rest, mut filled): (&mut [[u64; 2]], usize) = (&mut out, 0);
    for &c in counts.iter().filter(|c| **c > 0) {
        let (bucket, tail) = std::mem::take(&mut rest).split_at_mut(c);
        rest = tail;
        if c == 1 {
            continue;
        }
        if filled >= share {
            parts.push(Vec::new());
            filled = 0;
        }
        filled += c;
        if let Some(part) = parts.last_mut() {
            part.push(bucket);
        }
    }
    std::thread::scope(|s| {
        for part in parts {
            s.spawn(move || {
                for bucket in part {
                    bucket.sort_unstable_by_key(|r| r[0]);
                }
            });
        }
    });
    out
}

/// LSD radix on 11-bit digits, skipping digits every key shares.
fn radix_lsd(mut v: Vec<[u64; 2]>) -> Vec<[u64; 2]> {
    const BITS: usize = 11;
    const B: usize = 1 << BITS;
    if v.len() < 4096 {
        v.sort_unstable_by_key(|r| r[0]);
        return v;
    }
    let passes = 64usize.div_ceil(BITS);
    let mut counts = vec![[0usize; B]; passes];
    for r in &v {
        for (p, c) in counts.iter_mut().enumerate() {
            c[((r[0] >> (p * BITS)) as usize) & (B - 1)] += 1;
        }
    }
    let n = v.len();
    let mut scratch = vec![[0u64; 2]; n];
    for (p, c) in counts.iter().enumerate() {
        if c.contains(&n) {
            continue;
        }
        let mut at = [0usize; B];
        let mut sum = 0;
        for (o, x) in at.iter_mut().zip(c.iter()) {
            *o = sum;
            sum += x;
        }
        for r in &v {
            let d = ((r[0] >> (p * BITS)) as usize) & (B - 1);
            scratch[at[d]] = *r;
            at[d] += 1;
        }
        std::mem::swap(&mut v, &mut scratch);
    }
    v
}

/// Spearman's rank correlation of (baseline, candidate) pairs, average ranks for ties, exactly.
pub fn spearman(pairs: Vec<[f64; 2]>) -> Option<f64> {
    spearman_chunks(vec![pairs])
}

/// [`spearman`] over pairs in chunks, each chunk freed as soon as it is converted.
fn spearman_chunks(chunks: Vec<Vec<[f64; 2]>>) -> Option<f64> {
    let n: u64 = chunks.iter().map(|c| c.len() as u64).sum();
    if n < 2 {
        return None;
    }
    let mut recs: Vec<[u64; 2]> = Vec::with_capacity(n as usize);
    for chunk in chunks {
        recs.extend(chunk.iter().map(|[b, c]| [order_key(*b), c.to_bits()]));
    }
    let mut recs = radix_by_first(recs);
    // Doubled average ranks: a tie run at sorted positions i..j (0-based) has ranks i+1..=j, whose
    // average doubled is i+1+j.
    let sum_b2 = tie_ranks(&mut recs, 0, |rec, r| {
        *rec = [order_key(f64::from_bits(rec[1])), r];
    });
    let mut recs = radix_by_first(recs);
    let mut sum_bc: u128 = 0;
    let sum_c2 = tie_ranks(&mut recs, 0, |rec, r| sum_bc += rec[1] as u128 * r as u128);
    rank_correlation(n, sum_b2, sum_bc, sum_c2)
}

/// Pearson's correlation of doubled ranks from their integer sums (the sum of each side's doubled
/// ranks is n(n+1) whatever the ties).
fn rank_correlation(n: u64, sum_b2: u128, sum_bc: u128, sum_c2: u128) -> Option<f64> {
    let n = n as i128;
    let s = n * (n + 1);
    let num = n * sum_bc as i128 - s * s;
    let (db, dc) = (n * sum_b2 as i128 - s * s, n * sum_c2 as i128 - s * s);
    if db <= 0 || dc <= 0 {
        return None;
    }
    Some((num as f64 / ((db as f64).sqrt() * (dc as f64).sqrt())).clamp(-1.0, 1.0))
}

/// Two-word records in a temporary file (deleted when dropped): the finite pairs of one numeric
/// column as f64 bits, when they do not fit the memory limit; or (candidate key, baseline rank)
/// while ranking them.
struct Spill {
    file: std::fs::File,
    n: u64,
}

fn spill_error(e: std::io::Error) -> Error {
    Error::io(
        "a spill file of the keyed comparison (in the temporary directory)",
        e,
    )
}

impl Spill {
    fn new() -> Result<Spill> {
        Ok(Spill {
            file: tempfile::tempfile().map_err(spill_error)?,
            n: 0,
        })
    }

    fn push(&mut self, recs: &[[u64; 2]]) -> Result<()> {
        use std::io::Write;
        let mut buf = Vec::with_capacity(recs.len() * 16);
        for r in recs {
            buf.extend_from_slice(&r[0].to_le_bytes());
            buf.extend_from_slice(&r[1].to_le_bytes());
        }
        (&self.file).write_all(&buf).map_err(spill_error)?;
        self.n += recs.len() as u64;
        Ok(())
    }

    fn push_pairs(&mut self, pairs: &[[f64; 2]]) -> Result<()> {
        for chunk in pairs.chunks(1 << 16) {
            let recs: Vec<[u64; 2]> = chunk
                .iter()
                .map(|[b, c]| [b.to_bits(), c.to_bits()])
                .collect();
            self.push(&recs)?;
        }
        Ok(())
    }

    /// Calls `f` with every record, in chunks, in the order written.
    fn scan(&self, mut f: impl FnMut(&[[u64; 2]])) -> Result<()> {
        use std::io::{Read, Seek, SeekFrom};
        let mut file = &self.file;
        file.seek(SeekFrom::Start(0)).map_err(spill_error)?;
        let mut left = self.n;
        let mut buf = vec![0u8; 16 << 16];
        let mut recs = Vec::with_capacity(1 << 16);
        while left > 0 {
            let k = left.min(1 << 16) as usize;
            file.read_exact(&mut buf[..k * 16]).map_err(spill_error)?;
            recs.clear();
            for c in buf[..k * 16].chunks_exact(16) {
                let w = |i: usize| {
                    u64::from_le_bytes([
                        c[i],
                        c[i + 1],
                        c[i + 2],
                        c[i + 3],
                        c[i + 4],
                        c[i + 5],
                        c[i + 6],
                        c[i + 7],
                    ])
                };
                recs.push([w(0), w(8)]);
            }
            f(&recs);
            left -= k as u64;
        }
        file.seek(SeekFrom::End(0)).map_err(spill_error)?;
        Ok(())
    }

    fn moments(&self) -> Result<Moments> {
        moments_by(self.n, |f| {
            self.scan(|recs| {
                let pairs: Vec<[f64; 2]> = recs
                    .iter()
                    .map(|r| [f64::from_bits(r[0]), f64::from_bits(r[1])])
                    .collect();
                f(&pairs)
            })
        })
    }

    /// Key ranges `lo..=hi` in key order covering every record, each with at most `budget` records
    /// or a single key, with their counts: histograms of ever finer key bits, one scan each.
    fn ranges(&self, key: impl Fn(&[u64; 2]) -> u64, budget: u64) -> Result<Vec<(u64, u64, u64)>> {
        const BITS: u32 = 16;
        let mut out = Vec::new();
        let mut stack = vec![(0u64, u64::MAX, self.n)];
        while let Some((lo, hi, count)) = stack.pop() {
            if count <= budget || lo == hi {
                out.push((lo, hi, count));
                continue;
            }
            let shift = (64 - (hi - lo).leading_zeros()).saturating_sub(BITS);
            let mut counts: std::collections::BTreeMap<u64, u64> = Default::default();
            self.scan(|recs| {
                for r in recs {
                    let k = key(r);
                    if k >= lo && k <= hi {
                        *counts.entry((k - lo) >> shift).or_default() += 1;
                    }
                }
            })?;
            let mut merged: Vec<(u64, u64, u64)> = Vec::new();
            for (sub, n) in counts {
                let a = lo + (sub << shift);
                let b = a.saturating_add((1u64 << shift) - 1).min(hi);
                match merged.last_mut() {
                    Some(m) if m.2 + n <= budget => {
                        m.1 = b;
                        m.2 += n;
                    }
                    _ => merged.push((a, b, n)),
                }
            }
            // Popped last-first: pushed in reverse, they come out in key order.
            stack.extend(merged.into_iter().rev());
        }
        Ok(out)
    }
}

/// [`spearman`] over spilled pairs, holding at most `budget` records (and as many for the sort) at
/// once: the pairs are ranked by the baseline value one key range at a time (ranges in key order,
/// so a range's ranks start after the counts of the ranges before it), written out as (candidate
/// key, baseline rank), then ranked by the candidate value the same way while the rank products
/// are summed. A tie run is one key, so it never spans two ranges; a run longer than the budget
/// is a range of its own and is never held.
fn spearman_spilled(p: &Spill, budget: u64) -> Result<Option<f64>> {
    let n = p.n;
    if n < 2 {
        return Ok(None);
    }
    let kb = |r: &[u64; 2]| order_key(f64::from_bits(r[0]));
    let mut q = Spill::new()?;
    let (mut offset, mut sum_b2) = (0u64, 0u128);
    for (lo, hi, count) in p.ranges(kb, budget)? {
        if lo == hi {
            let r = 2 * offset + count + 1;
            sum_b2 += count as u128 * r as u128 * r as u128;
            let mut out: Vec<[u64; 2]> = Vec::new();
            let mut res = Ok(());
            p.scan(|recs| {
                for x in recs {
                    if kb(x) == lo {
                        out.push([order_key(f64::from_bits(x[1])), r]);
                    }
                }
                if out.len() >= 1 << 16 && res.is_ok() {
                    res = q.push(&out);
                    out.clear();
                }
            })?;
            res?;
            q.push(&out)?;
        } else {
            let mut recs = Vec::with_capacity(count as usize);
            p.scan(|chunk| {
                for x in chunk {
                    let k = kb(x);
                    if k >= lo && k <= hi {
                        recs.push([k, x[1]]);
                    }
                }
            })?;
            let mut recs = radix_by_first(recs);
            sum_b2 += tie_ranks(&mut recs, offset, |rec, r| {
                *rec = [order_key(f64::from_bits(rec[1])), r];
            });
            q.push(&recs)?;
        }
        offset += count;
    }
    let (mut offset, mut sum_c2, mut sum_bc) = (0u64, 0u128, 0u128);
    for (lo, hi, count) in q.ranges(|r| r[0], budget)? {
        if lo == hi {
            let r = 2 * offset + count + 1;
            sum_c2 += count as u128 * r as u128 * r as u128;
            q.scan(|recs| {
                for x in recs {
                    if x[0] == lo {
                        sum_bc += x[1] as u128 * r as u128;
                    }
                }
            })?;
        } else {
            let mut recs = Vec::with_capacity(count as usize);
            q.scan(|chunk| {
                for x in chunk {
                    if x[0] >= lo && x[0] <= hi {
                        recs.push(*x);
                    }
                }
            })?;
            let mut recs = radix_by_first(recs);
            sum_c2 += tie_ranks(&mut recs, offset, |rec, r| {
                sum_bc += rec[1] as u128 * r as u128;
            });
        }
        offset += count;
    }
    Ok(rank_correlation(n, sum_b2, sum_bc, sum_c2))
}

/// Walks records sorted by their first word and calls `each(record, doubled average rank)`, the
/// ranks starting after `offset` records; returns the sum of the squared doubled ranks.
fn tie_ranks(recs: &mut [[u64; 2]], offset: u64, mut each: impl FnMut(&mut [u64; 2], u64)) -> u128 {
    let mut sq: u128 = 0;
    let mut i = 0;
    while i < recs.len() {
        let mut j = i + 1;
        while j < recs.len() && recs[j][0] == recs[i][0] {
            j += 1;
        }
        let r = 2 * offset + (i + 1 + j) as u64;
        sq += (j - i) as u128 * r as u128 * r as u128;
        for rec in &mut recs[i..j] {
            each(rec, r);
        }
        i = j;
    }
    sq
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::Int32Array;
    use arrow::datatypes::Field;

    /// The word-wise key code is the 16 bytes "key, zeros, length" read as two little-endian
    /// words, for every inline length.
    #[test]
    fn inline_codes_are_the_bytes_zero_padded_with_their_length() {
        let all: Vec<u8> = (1..=15).map(|i| 0xA0 + i).collect();
        for n in 0..=15 {
            let mut a = [0u8; 16];
            a[..n].copy_from_slice(&all[..n]);
            a[15] = n as u8;
            let want = [
                u64::from_le_bytes(a[..8].try_into().unwrap()),
                u64::from_le_bytes(a[8..].try_into().unwrap()),
            ];
            match bytes_code(&all[..n]) {
                Pending::Code(c) => {
                    assert_eq!(c, want, "length {n}");
                    assert_eq!(inline_bytes(&c), all[..n].to_vec());
                }
                Pending::Long(_) => panic!("length {n} is inline"),
            }
        }
        assert!(matches!(bytes_code(&[7; 16]), Pending::Long(_)));
    }

    /// Spearman by the definition: ranks with ties averaged, then Pearson of the ranks.
    fn spearman_naive(p: &[[f64; 2]]) -> f64 {
        let rank = |v: Vec<f64>| {
            let mut ix: Vec<usize> = (0..v.len()).collect();
            ix.sort_by(|a, b| v[*a].total_cmp(&v[*b]));
            let mut r = vec![0.0; v.len()];
            let mut i = 0;
            while i < ix.len() {
                let mut j = i + 1;
                while j < ix.len() && v[ix[j]] == v[ix[i]] {
                    j += 1;
                }
                for k in i..j {
                    r[ix[k]] = (i + 1 + j) as f64 / 2.0;
                }
                i = j;
            }
            r
        };
        let rb = rank(p.iter().map(|x| x[0]).collect());
        let rc = rank(p.iter().map(|x| x[1]).collect());
        let pairs: Vec<[f64; 2]> = rb.into_iter().zip(rc).map(|(a, b)| [a, b]).collect();
        moments(&pairs).0.unwrap()
    }

    #[test]
    fn spearman_matches_the_definition_with_ties() {
        let mut rng = crate::synth::Rng::new(3);
        for n in [2usize, 3, 10, 1000, 20_000] {
            let p: Vec<[f64; 2]> = (0..n)
                .map(|i| {
                    let b = (rng.below(50) as f64) / 7.0 - 3.0;
                    let c = if i % 3 == 0 {
                        b
                    } else {
                        rng.uniform() + if i % 2 == 0 { -0.0 } else { 0.0 }
                    };
                    [b, c]
                })
                .collect();
            let want = spearman_naive(&p);
            let got = spearman(p).unwrap();
            assert!((got - want).abs() < 1e-12, "n={n}: {got} vs {want}");
        }
        assert_eq!(
            spearman(vec![[1.0, 2.0], [1.0, 3.0]]),
            None,
            "constant side"
        );
        let r = spearman(vec![[1.0, 2.0], [2.0, 3.0], [3.0, 1.0]]).unwrap();
        assert!((r + 0.5).abs() < 1e-15, "{r}");
    }

    #[test]
    fn spilled_spearman_and_moments_equal_in_memory() {
        let mut rng = crate::synth::Rng::new(11);
        let p: Vec<[f64; 2]> = (0..12_000)
            .map(|i| {
                let b = if i % 4 == 0 {
                    0.5
                } else {
                    (rng.below(300) as f64) / 3.0
                };
                let c = if i % 3 == 0 {
                    b
                } else {
                    rng.uniform() * 100.0 - (i % 2) as f64 * 0.0
                };
                [b, c]
            })
            .collect();
        let mut sp = Spill::new().unwrap();
        sp.push_pairs(&p[..5_000]).unwrap();
        sp.push_pairs(&p[5_000..]).unwrap();
        let want = spearman(p.clone()).unwrap();
        // Budgets that force many ranges, refinement, and a tie run (0.5, a quarter of the
        // pairs) larger than the budget.
        for budget in [700, 1 << 20] {
            let got = spearman_spilled(&sp, budget).unwrap().unwrap();
            assert!(
                (got - want).abs() < 1e-12,
                "budget {budget}: {got} vs {want}"
            );
        }
        let (a, b) = (moments(&p), sp.moments().unwrap());
        assert!((a.0.unwrap() - b.0.unwrap()).abs() < 1e-12);
        assert!((a.1.unwrap() - b.1.unwrap()).abs() < 1e-12);
        assert_eq!(a.2, b.2);
    }

    /// Both paths (LSD below 65,536 records, MSD then per-bucket sorts on every core above), on
    /// spread keys, keys sharing their high bits, heavy ties and one key.
    #[test]
    fn radix_sorts() {
        let mut rng = crate::synth::Rng::new(9);
        for n in [50_000u64, 300_000] {
            let cases: Vec<Vec<[u64; 2]>> = vec![
                (0..n).map(|i| [rng.next_u64() >> (i % 40), i]).collect(),
                (0..n)
                    .map(|i| [(1 << 40) + rng.next_u64() % 1000, i])
                    .collect(),
                (0..n).map(|i| [(rng.next_u64() % 3) << 60, i]).collect(),
                (0..n).map(|i| [7, i]).collect(),
            ];
            for v in cases {
                let got = radix_by_first(v.clone());
                let mut want = v;
                want.sort_by_key(|r| r[0]);
                assert_eq!(
                    got.iter().map(|r| r[0]).collect::<Vec<_>>(),
                    want.iter().map(|r| r[0]).collect::<Vec<_>>()
                );
                let mut payload: Vec<u64> = got.iter().map(|r| r[1]).collect();
                payload.sort_unstable();
                assert_eq!(payload, (0..n).collect::<Vec<_>>(), "every record kept");
            }
        }
    }

    /// A table in memory, scanned as two batches.
    struct Mem {
        batch: RecordBatch,
        rows: u64,
    }

    impl Table for Mem {
        fn schema(&self) -> SchemaRef {
            self.batch.schema()
        }
        fn rows(&self) -> u64 {
            self.rows
        }
        fn scan(&self, columns: Vec<String>) -> BoxFuture<'static, Result<Batches>> {
            let b = &self.batch;
            let ix: Vec<usize> = columns
                .iter()
                .map(|c| b.schema().index_of(c).unwrap())
                .collect();
            let p = b.project(&ix).unwrap();
            let half = p.num_rows() / 2;
            let parts = vec![Ok(p.slice(0, half)), Ok(p.slice(half, p.num_rows() - half))];
            Box::pin(async move { Ok(futures::stream::iter(parts).boxed()) })
        }
    }

    fn table(cols: Vec<(&str, ArrayRef)>) -> Arc<RecordBatch> {
        let schema = Arc::new(Schema::new(
            cols.iter()
                .map(|(n, a)| Field::new(*n, a.data_type().clone(), true))
                .collect::<Vec<_>>(),
        ));
        Arc::new(RecordBatch::try_new(schema, cols.into_iter().map(|c| c.1).collect()).unwrap())
    }

    async fn run(
        c: Arc<RecordBatch>,
        b: Option<Arc<RecordBatch>>,
        key: &[&str],
        cols: &[&str],
        limit: u64,
    ) -> Result<Comparison> {
        // A tiny limit with a large row estimate forces several passes.
        let rows = if limit < 1 << 20 { 200_000 } else { 1000 };
        let mem = |b: &RecordBatch| Mem {
            batch: b.clone(),
            rows,
        };
        let (c, b) = (mem(&c), b.map(|b| mem(&b)));
        let key: Vec<String> = key.iter().map(|s| s.to_string()).collect();
        let cols: Vec<String> = cols.iter().map(|s| s.to_string()).collect();
        compare_tables(&Request {
            candidate: &c,
            baseline: b.as_ref().map(|b| b as &dyn Table),
            key: &key,
            columns: &cols,
            tolerance: Tolerance {
                absolute: 0.1,
                relative: 0.0,
            },
            memory_limit: limit,
        })
        .await
    }

    fn s(v: &[Option<&str>]) -> ArrayRef {
        Arc::new(StringArray::from(v.to_vec()))
    }
    fn f(v: &[Option<f64>]) -> ArrayRef {
        Arc::new(Float64Array::from(v.to_vec()))
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn counts_keys_values_nulls_and_nan() {
        let long = "a-key-longer-than-fifteen-bytes";
        let c = table(vec![
            (
                "id",
                s(&[
                    Some("a"),
                    Some("b"),
                    Some("c"),
                    Some("c"),
                    None,
                    Some("x"),
                    Some(long),
                    Some("n1"),
                    Some("n2"),
                    Some("n3"),
                    Some("n4"),
                ]),
            ),
            (
                "v",
                f(&[
                    Some(1.0),
                    Some(2.5),
                    Some(3.0),
                    Some(3.0),
                    Some(9.0),
                    Some(1.0),
                    Some(7.0),
                    None,
                    Some(f64::NAN),
                    Some(1.0),
                    None,
                ]),
            ),
            (
                "g",
                s(&[
                    Some("x"),
                    Some("y"),
                    Some("z"),
                    Some("z"),
                    None,
                    Some("q"),
                    None,
                    Some("same"),
                    Some("k"),
                    None,
                    Some("w"),
                ]),
            ),
        ]);
        let b = table(vec![
            (
                "id",
                s(&[
                    Some("a"),
                    Some("b"),
                    Some("c"),
                    Some("d"),
                    None,
                    None,
                    Some(long),
                    Some("n1"),
                    Some("n2"),
                    Some("n3"),
                    Some("n4"),
                ]),
            ),
            (
                "v",
                f(&[
                    Some(1.0),
                    Some(2.0),
                    Some(3.0),
                    Some(4.0),
                    Some(1.0),
                    Some(1.0),
                    Some(7.05),
                    None,
                    Some(f64::NAN),
                    None,
                    Some(2.0),
                ]),
            ),
            (
                "g",
                s(&[
                    Some("x"),
                    Some("x"),
                    Some("z"),
                    Some("z"),
                    None,
                    None,
                    Some("p"),
                    Some("same"),
                    Some("k"),
                    Some("r"),
                    None,
                ]),
            ),
        ]);
        for limit in [1 << 40, 1] {
            let r = run(c.clone(), Some(b.clone()), &["id"], &["v", "g"], limit)
                .await
                .unwrap();
            let k = &r.keys;
            assert_eq!(
                (
                    k.candidate.rows,
                    k.candidate.null_keys,
                    k.candidate.distinct
                ),
                (11, 1, 9)
            );
            assert_eq!((k.candidate.duplicated, k.candidate.duplicate_rows), (1, 1));
            assert_eq!(k.candidate.examples, vec!["c".to_string()]);
            let kb = k.baseline.as_ref().unwrap();
            assert_eq!(
                (kb.rows, kb.null_keys, kb.distinct, kb.duplicated),
                (11, 2, 9, 0)
            );
            assert_eq!((k.matched, k.only_candidate, k.only_baseline), (8, 1, 1));
            assert_eq!((k.compared, k.matched_duplicated), (7, 1));
            assert_eq!(k.matched_share, Some(8.0 / 9.0));
            let ColumnChange::Numeric(v) = &r.columns[0] else {
                panic!()
            };
            // a 1->1 unchanged, b 2->2.5 moved, long 7.05->7 within 0.1, n1 null/null unchanged,
            // n2 NaN/NaN unchanged, n3 null->1 moved, n4 2->null moved.
            assert_eq!(
                (v.pairs, v.moved, v.unchanged, v.finite_pairs),
                (7, 3, 3, 3)
            );
            assert_eq!(v.missing.both_null, 1);
            assert_eq!(v.missing.both_nan, 1);
            assert_eq!((v.missing.null_to_value, v.missing.value_to_null), (1, 1));
            assert!((v.mean_abs_change.unwrap() - 0.55 / 3.0).abs() < 1e-12);
            let ColumnChange::Categorical(g) = &r.columns[1] else {
                panic!()
            };
            // a x=x, b x->y, long p->null, n1 same, n2 k, n3 r->null, n4 null->w
            assert_eq!(
                (
                    g.pairs,
                    g.changed,
                    g.both_null,
                    g.null_to_value,
                    g.value_to_null
                ),
                (7, 4, 0, 1, 2)
            );
            assert!(r.passes >= 1);
            if limit == 1 {
                assert!(r.passes > 1, "a tiny limit takes several passes");
            }
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn edges_give_answers_or_one_line_errors() {
        let ints = |v: &[Option<i32>]| -> ArrayRef { Arc::new(Int32Array::from(v.to_vec())) };
        // No overlap.
        let c = table(vec![
            ("id", ints(&[Some(1), Some(2)])),
            ("v", f(&[Some(1.0), Some(2.0)])),
        ]);
        let b = table(vec![
            ("id", Arc::new(Int64Array::from(vec![3, 4])) as ArrayRef),
            ("v", f(&[Some(1.0), Some(2.0)])),
        ]);
        let r = run(c.clone(), Some(b.clone()), &["id"], &["v"], 1 << 40)
            .await
            .unwrap();
        assert_eq!(
            (r.keys.matched, r.keys.only_candidate, r.keys.only_baseline),
            (0, 2, 2)
        );
        assert_eq!(r.keys.matched_share, Some(0.0));
        let ColumnChange::Numeric(v) = &r.columns[0] else {
            panic!()
        };
        assert_eq!((v.moved_share, v.spearman, v.pearson), (None, None, None));
        // All keys duplicated.
        let d = table(vec![
            ("id", ints(&[Some(1), Some(1), Some(3), Some(3)])),
            ("v", f(&[Some(1.0); 4])),
        ]);
        let r = run(d.clone(), Some(b.clone()), &["id"], &["v"], 1 << 40)
            .await
            .unwrap();
        assert_eq!(
            (r.keys.candidate.duplicated, r.keys.candidate.duplicate_rows),
            (2, 2)
        );
        assert_eq!(
            (r.keys.matched, r.keys.compared, r.keys.matched_duplicated),
            (1, 0, 1)
        );
        assert_eq!(r.keys.candidate.examples.len(), 2);
        // Only the candidate (unique).
        let r = run(d, None, &["id"], &[], 1 << 40).await.unwrap();
        assert_eq!(r.keys.baseline, None);
        assert_eq!(r.keys.candidate.duplicated, 2);
        // A key column missing on one side; a type clash; a compared column of another kind.
        let e = run(c.clone(), Some(b.clone()), &["nope"], &[], 1 << 40)
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains("no key column \"nope\" in the candidate"), "{e}");
        let sb = table(vec![("id", s(&[Some("1")])), ("v", s(&[Some("x")]))]);
        let e = run(c.clone(), Some(sb.clone()), &["id"], &[], 1 << 40)
            .await
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("key column id is Utf8 in the baseline but Int32 in the candidate"),
            "{e}"
        );
        let sc = table(vec![("id", s(&[Some("1")])), ("v", f(&[Some(1.0)]))]);
        let e = run(sc, Some(sb), &["id"], &["v"], 1 << 40)
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains("numeric on one side only"), "{e}");
        let e = run(c.clone(), Some(b.clone()), &["v"], &[], 1 << 40)
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains("keys must be integers or strings"), "{e}");
        // An empty side.
        let empty = table(vec![("id", ints(&[])), ("v", f(&[]))]);
        let r = run(empty.clone(), Some(b.clone()), &["id"], &["v"], 1 << 40)
            .await
            .unwrap();
        assert_eq!(
            (r.keys.matched, r.keys.only_baseline, r.keys.matched_share),
            (0, 2, Some(0.0))
        );
        let r = run(c, Some(empty), &["id"], &["v"], 1 << 40).await.unwrap();
        assert_eq!((r.keys.matched_share, r.keys.only_candidate), (None, 2));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn multi_column_keys_and_passes_agree() {
        let n = 5000;
        let mut rng = crate::synth::Rng::new(5);
        let mk = |shift: u64, rng: &mut crate::synth::Rng| {
            let a: Vec<i64> = (0..n).map(|i| (i as i64 + shift as i64) % 700).collect();
            let bb: Vec<String> = (0..n)
                .map(|i| format!("segment-number-{}", (i + shift as usize) / 700))
                .collect();
            let v: Vec<f64> = (0..n).map(|_| rng.uniform()).collect();
            table(vec![
                ("a", Arc::new(Int64Array::from(a)) as ArrayRef),
                ("b", Arc::new(StringArray::from(bb)) as ArrayRef),
                ("v", Arc::new(Float64Array::from(v)) as ArrayRef),
            ])
        };
        let (c, b) = (mk(0, &mut rng), mk(300, &mut rng));
        let one = run(c.clone(), Some(b.clone()), &["a", "b"], &["v"], 1 << 40)
            .await
            .unwrap();
        let many = run(c, Some(b), &["a", "b"], &["v"], 1).await.unwrap();
        assert!(many.passes > 1);
        assert_eq!(one.keys, many.keys);
        assert_eq!(one.keys.matched + one.keys.only_candidate, n as u64);
        let (ColumnChange::Numeric(x), ColumnChange::Numeric(y)) =
            (&one.columns[0], &many.columns[0])
        else {
            panic!()
        };
        assert_eq!(
            (x.moved, x.unchanged, x.finite_pairs),
            (y.moved, y.unchanged, y.finite_pairs)
        );
        assert!((x.spearman.unwrap() - y.spearman.unwrap()).abs() < 1e-12);
        assert!((x.pearson.unwrap() - y.pearson.unwrap()).abs() < 1e-9);
    }
}
