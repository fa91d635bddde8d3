//! Exact KS within a memory limit, for columns whose values do not fit it (hundreds of millions of
//! rows).
//!
//! The in-memory path holds both sides' values of a column and sorts them (16 bytes a value with
//! the sort's scratch). When that exceeds the limit, the column is split by value into key ranges
//! that fit, and each range is read, sorted and walked in turn: exact, no spill files.
//!
//! 1. Histogram: one scan of both sides counts values per bucket of their order-preserving u64 key
//!    (the top 20 bits: 2^20 buckets), and counts NaNs.
//! 2. Plan: consecutive buckets are grouped into ranges of at most the budget's number of values. A
//!    bucket alone above it is split again by a histogram of its own keys (another scan), down to
//!    single keys, which are only counted: a run of equal values is never held.
//! 3. Walk: for each range in key order, one scan of both sides keeps only the values in the range;
//!    they are sorted ([`super::sort`]) and fed to the resumable KS walk ([`super::ks::Walk`]),
//!    which continues from the counts of the ranges before. Equal values share a key, so a tie run
//!    never spans two ranges (-0.0 is folded into 0.0 for that).
//! 4. The ECDF points a report keeps are picked by rank on the way, exactly as the in-memory path
//!    picks them.
//!
//! About two to four scans per side of the one column, against one for the in-memory path.

use std::collections::BTreeMap;

use super::Scan;
use super::ecdf::ECDF_POINTS;
use super::ks::{KsResult, Walk};
use super::sort::{key, sort_f64, unkey};
use crate::error::{Error, Result};

/// The default memory limit: 2 GiB.
pub const DEFAULT_LIMIT: u64 = 2 << 30;

/// What the process needs besides the values (decoding buffers, DataFusion, the runtime).
const RESERVE: u64 = 384 << 20;

/// Bytes a value costs while it is sorted: itself and the sort's scratch.
const PER_VALUE: u64 = 16;

const BUCKET_BITS: u32 = 20;

/// The memory limit: `LASTGOOD_MEMORY_LIMIT` (`2GiB`, `512MiB`, `1500000000`), else 2 GiB.
pub fn memory_limit() -> Result<u64> {
    match std::env::var("LASTGOOD_MEMORY_LIMIT") {
        Ok(s) if !s.trim().is_empty() => parse_bytes(&s),
        _ => Ok(DEFAULT_LIMIT),
    }
}

/// Gives the memory freed since the last call back to the operating system.
///
/// The limit is on the process's resident memory, and glibc's allocator keeps freed small blocks
/// in per-thread arenas: after a bounded pass frees its buckets, or a gate its columns, the next
/// step's allocations would come on top of memory nobody uses. Called between gates and between
/// the passes of the bounded algorithms; a no-op where the allocator is not glibc's.
pub fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks the allocator's own free lists; no pointer is passed.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// `2GiB`, `512MiB`, `64KiB`, `2GB`, or a number of bytes.
pub fn parse_bytes(s: &str) -> Result<u64> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let n: u64 = t[..split]
        .parse()
        .map_err(|_| Error::input(format!("invalid memory limit {s:?}: use e.g. 2GiB, 512MiB")))?;
    let unit: u64 = match t[split..].trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kib" | "k" => 1 << 10,
        "mib" | "m" => 1 << 20,
        "gib" | "g" => 1 << 30,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        _ => {
            return Err(Error::input(format!(
                "invalid memory limit {s:?}: use e.g. 2GiB, 512MiB"
            )));
        }
    };
    Ok(n.saturating_mul(unit))
}

/// How many values may be held at once under `limit` bytes.
pub fn values_budget(limit: u64) -> u64 {
    (limit.saturating_sub(RESERVE) / PER_VALUE).max(1 << 16)
}

/// `-0.0` and `0.0` compare equal in the walk, so they must share a key.
fn key_of(x: f64) -> u64 {
    key(if x == 0.0 { 0.0 } else { x })
}

/// A range of keys `lo..=hi` and how many values of each side fall in it.
#[derive(Debug, Clone, Copy)]
struct Range {
    lo: u64,
    hi: u64,
    a: u64,
    b: u64,
}

/// The result of the bounded walk, in the in-memory path's terms.
pub struct Bounded {
    pub ks: KsResult,
    pub ecdf_a: Vec<[f64; 2]>,
    pub ecdf_b: Vec<[f64; 2]>,
    pub nans_a: u64,
    pub nans_b: u64,
    /// Scans of each side, for the report.
    pub passes: u32,
}

/// Per-bucket counts of the top key bits of one side's values of a column, and its NaN count.
#[derive(Debug, Clone, Default)]
pub struct Histogram {
    counts: BTreeMap<u64, u64>,
    nans: u64,
}

/// Histograms of several columns of one side, in one scan decoding just those columns.
pub async fn histograms(side: &impl Scan, columns: &[String]) -> Result<Vec<Histogram>> {
    let mut out = vec![Histogram::default(); columns.len()];
    let nans = side
        .for_each_values(columns, |i, x| {
            *out[i]
                .counts
                .entry(key_of(x) >> (64 - BUCKET_BITS))
                .or_default() += 1;
        })
        .await?;
    for (h, n) in out.iter_mut().zip(nans) {
        h.nans = n;
    }
    Ok(out)
}

/// Exact KS of `column` between sides `a` and `b` holding at most `budget` values at once.
/// `cached`: both histograms when a scan of several columns already took them.
pub async fn ks<S: Scan>(
    a: &S,
    b: &S,
    column: &str,
    budget: u64,
    cached: Option<(Histogram, Histogram)>,
) -> Result<Option<Bounded>> {
    // 1. Histogram of the top key bits, and NaN counts.
    let (ha, hb) = match cached {
        Some(h) => h,
        None => {
            let one = [column.to_string()];
            let (x, y) = tokio::join!(histograms(a, &one), histograms(b, &one));
            let first = |v: Vec<Histogram>| v.into_iter().next().unwrap_or_default();
            (first(x?), first(y?))
        }
    };
    let (nans_a, nans_b) = (ha.nans, hb.nans);
    let (ha, hb) = (ha.counts, hb.counts);
    let (n1, n2) = (ha.values().sum::<u64>(), hb.values().sum::<u64>());
    if n1 == 0 || n2 == 0 {
        return Ok(None);
    }
    let mut passes = 1;
    let shift = 64 - BUCKET_BITS;
    let top: Vec<Range> = merge(&ha, &hb, |bucket| {
        (bucket << shift, (bucket << shift) | ((1 << shift) - 1))
    });

    // 2. Plan: split buckets too big to hold, then group.
    let mut fine: Vec<Range> = Vec::new();
    for r in top {
        refine(a, b, column, r, budget, &mut fine, &mut passes).await?;
    }
    let mut plan: Vec<Range> = Vec::new();
    for r in fine {
        match plan.last_mut() {
            Some(last)
                if last.lo != last.hi && r.lo != r.hi && last.a + last.b + r.a + r.b <= budget =>
            {
                last.hi = r.hi;
                last.a += r.a;
                last.b += r.b;
            }
            _ => plan.push(r),
        }
    }

    // 3. Walk the ranges in order.
    let mut walk = Walk::new(n1, n2);
    let mut ecdf_a = Picker::new(n1);
    let mut ecdf_b = Picker::new(n2);
    for r in plan {
        if r.lo == r.hi {
            let v = unkey(r.lo);
            walk.feed_ties(v, r.a, r.b);
            ecdf_a.ties(v, r.a);
            ecdf_b.ties(v, r.b);
            continue;
        }
        let (x, y) = tokio::join!(
            collect(a, column, r.lo, r.hi, r.a),
            collect(b, column, r.lo, r.hi, r.b)
        );
        let (x, y) = (x?, y?);
        passes += 1;
        walk.feed(&x, &y);
        ecdf_a.chunk(&x);
        ecdf_b.chunk(&y);
    }
    let Some((d, location)) = walk.finish() else {
        return Ok(None);
    };
    Ok(Some(Bounded {
        ks: KsResult::new(d, location, n1, n2),
        ecdf_a: ecdf_a.points,
        ecdf_b: ecdf_b.points,
        nans_a,
        nans_b,
        passes,
    }))
}

/// One side's values of `column` whose keys lie in `lo..=hi`, sorted (-0.0 folded into 0.0).
async fn collect(side: &impl Scan, column: &str, lo: u64, hi: u64, n: u64) -> Result<Vec<f64>> {
    let mut out = Vec::with_capacity(n as usize);
    side.for_each_value(column, |x| {
        let k = key_of(x);
        if k >= lo && k <= hi {
            out.push(if x == 0.0 { 0.0 } else { x });
        }
    })
    .await?;
    tokio::task::spawn_blocking(move || sort_f64(out))
        .await
        .map_err(|e| Error::input(format!("sorting: {e}")))
}

/// Counts of one side's keys in `lo..=hi`, by `(key - lo) >> shift`.
async fn sub_histogram(
    side: &impl Scan,
    column: &str,
    lo: u64,
    hi: u64,
    shift: u32,
) -> Result<BTreeMap<u64, u64>> {
    let mut counts: BTreeMap<u64, u64> = BTreeMap::new();
    side.for_each_value(column, |x| {
        let k = key_of(x);
        if k >= lo && k <= hi {
            *counts.entry((k - lo) >> shift).or_default() += 1;
        }
    })
    .await?;
    Ok(counts)
}

/// Ranges of the buckets present on either side, in order, with their key bounds.
fn merge(
    ha: &BTreeMap<u64, u64>,
    hb: &BTreeMap<u64, u64>,
    bounds: impl Fn(u64) -> (u64, u64),
) -> Vec<Range> {
    let mut all: BTreeMap<u64, (u64, u64)> = BTreeMap::new();
    for (k, n) in ha {
        all.entry(*k).or_default().0 += n;
    }
    for (k, n) in hb {
        all.entry(*k).or_default().1 += n;
    }
    all.into_iter()
        .map(|(bucket, (a, b))| {
            let (lo, hi) = bounds(bucket);
            Range { lo, hi, a, b }
        })
        .collect()
}

/// Splits a range holding more than `budget` values by a histogram of its keys (one scan of both
/// sides), recursively, down to single keys, which need no memory.
async fn refine<S: Scan>(
    a: &S,
    b: &S,
    column: &str,
    r: Range,
    budget: u64,
    out: &mut Vec<Range>,
    passes: &mut u32,
) -> Result<()> {
    let mut stack = vec![r];
    while let Some(r) = stack.pop() {
        if r.a + r.b <= budget || r.lo == r.hi {
            out.push(r);
            continue;
        }
        let width = r.hi - r.lo;
        let shift = (64 - width.leading_zeros()).saturating_sub(BUCKET_BITS);
        let (ha, hb) = tokio::join!(
            sub_histogram(a, column, r.lo, r.hi, shift),
            sub_histogram(b, column, r.lo, r.hi, shift)
        );
        *passes += 1;
        let parts = merge(&ha?, &hb?, |sub| {
            let lo = r.lo + (sub << shift);
            (lo, (lo + ((1u64 << shift) - 1)).min(r.hi))
        });
        // Popped last-first: push in reverse so they come out in key order.
        stack.extend(parts.into_iter().rev());
    }
    Ok(())
}

/// Picks the ECDF points of [`super::ecdf::ecdf_points`] by global rank as chunks go by.
struct Picker {
    n: u64,
    /// Values seen so far.
    seen: u64,
    /// The next point index (0..=ECDF_POINTS).
    next: usize,
    points: Vec<[f64; 2]>,
}

impl Picker {
    fn new(n: u64) -> Picker {
        Picker {
            n,
            seen: 0,
            next: 0,
            points: Vec::new(),
        }
    }

    fn rank(&self, i: usize) -> u64 {
        (i as u64 * (self.n - 1)) / ECDF_POINTS as u64
    }

    fn push(&mut self, x: f64, at_or_below: u64) {
        if self.points.last().is_some_and(|p| p[0] == x) {
            return;
        }
        self.points.push([x, at_or_below as f64 / self.n as f64]);
    }

    fn chunk(&mut self, sorted: &[f64]) {
        let end = self.seen + sorted.len() as u64;
        while self.next <= ECDF_POINTS && self.rank(self.next) < end {
            let x = sorted[(self.rank(self.next) - self.seen) as usize];
            let below = self.seen + sorted.partition_point(|v| *v <= x) as u64;
            self.push(x, below);
            self.next += 1;
        }
        self.seen = end;
    }

    fn ties(&mut self, v: f64, count: u64) {
        let end = self.seen + count;
        while self.next <= ECDF_POINTS && self.rank(self.next) < end {
            self.push(v, end);
            self.next += 1;
        }
        self.seen = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn byte_sizes() {
        assert_eq!(parse_bytes("2GiB").unwrap(), 2 << 30);
        assert_eq!(parse_bytes("512MiB").unwrap(), 512 << 20);
        assert_eq!(parse_bytes("1500").unwrap(), 1500);
        assert_eq!(parse_bytes(" 3 gb ").unwrap(), 3_000_000_000);
        assert!(parse_bytes("lots").is_err());
        assert!(parse_bytes("2TiB").is_err());
    }

    #[test]
    fn picker_matches_ecdf_points_over_chunks_and_ties() {
        let mut v: Vec<f64> = (0..10_000)
            .map(|i| ((i * 7919) % 1000) as f64 / 10.0)
            .collect();
        v.sort_by(f64::total_cmp);
        let whole = crate::stats::ecdf::ecdf_points(&v);
        let mut p = Picker::new(v.len() as u64);
        // Chunks at tie boundaries, some as tie runs.
        let mut i = 0;
        while i < v.len() {
            let mut j = i;
            while j < v.len() && v[j] == v[i] {
                j += 1;
            }
            if (i / 97) % 2 == 0 {
                p.ties(v[i], (j - i) as u64);
            } else {
                p.chunk(&v[i..j]);
            }
            i = j;
        }
        assert_eq!(p.points, whole);
    }
}
