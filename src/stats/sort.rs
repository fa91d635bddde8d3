//! Sorting f64 values for KS: an LSD radix sort on order-preserving u64 keys.
//!
//! 1. Map each f64 to a u64 whose unsigned order is the float's total order (flip every bit of a
//!    negative, flip the sign bit of a positive).
//! 2. One pass counts the 11-bit digits of all six digit positions at once.
//! 3. Each position whose digit is not the same for every key is scattered into a scratch buffer
//!    (stable), swapping buffers; positions that cannot change the order are skipped (for scores in
//!    [0, 1] the top digits are constant).
//! 4. Map back. Both maps reuse their allocation, so a sort needs the values plus one scratch buffer.
//!
//! O(n) with six passes at most, against O(n log n) comparisons: about 5-10x faster than
//! `sort_unstable_by(f64::total_cmp)` on tens of millions of values. NaN must be removed first.

const BITS: usize = 11;
const BUCKETS: usize = 1 << BITS;
const PASSES: usize = 64_usize.div_ceil(BITS);

pub fn key(x: f64) -> u64 {
    let b = x.to_bits();
    if b >> 63 == 1 { !b } else { b | (1 << 63) }
}

pub fn unkey(k: u64) -> f64 {
    f64::from_bits(if k >> 63 == 1 { k & !(1 << 63) } else { !k })
}

/// Sorts ascending in total order (-inf < … < -0.0 < 0.0 < … < inf).
pub fn sort_f64(values: Vec<f64>) -> Vec<f64> {
    if values.len() < 4096 {
        let mut v = values;
        v.sort_unstable_by(f64::total_cmp);
        return v;
    }
    let mut keys: Vec<u64> = values.into_iter().map(key).collect();
    let mut counts = vec![[0usize; BUCKETS]; PASSES];
    for &k in &keys {
        for (p, c) in counts.iter_mut().enumerate() {
            c[((k >> (p * BITS)) as usize) & (BUCKETS - 1)] += 1;
        }
    }
    let n = keys.len();
    let mut scratch: Vec<u64> = vec![0; n];
    for (p, c) in counts.iter().enumerate() {
        if c.contains(&n) {
            continue; // every key has the same digit here: the pass would not move anything
        }
        let mut offsets = [0usize; BUCKETS];
        let mut sum = 0;
        for (o, &x) in offsets.iter_mut().zip(c.iter()) {
            *o = sum;
            sum += x;
        }
        let shift = p * BITS;
        for &k in &keys {
            let d = ((k >> shift) as usize) & (BUCKETS - 1);
            scratch[offsets[d]] = k;
            offsets[d] += 1;
        }
        std::mem::swap(&mut keys, &mut scratch);
    }
    drop(scratch);
    keys.into_iter().map(unkey).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::Rng;

    #[test]
    fn matches_total_order_sort() {
        let mut rng = Rng::new(7);
        let mut v: Vec<f64> = (0..100_000)
            .map(|i| match i % 7 {
                0 => rng.uniform(),
                1 => -rng.gamma_2(1e6),
                2 => (rng.below(10) as f64) - 5.0,
                3 => f64::INFINITY,
                4 => f64::NEG_INFINITY,
                5 => {
                    if i % 2 == 0 {
                        0.0
                    } else {
                        -0.0
                    }
                }
                _ => rng.gamma_2(40.0) * 1e-300,
            })
            .collect();
        let sorted = sort_f64(v.clone());
        v.sort_unstable_by(f64::total_cmp);
        assert_eq!(sorted.len(), v.len());
        assert!(
            sorted
                .iter()
                .zip(&v)
                .all(|(a, b)| a.to_bits() == b.to_bits())
        );
    }

    #[test]
    fn keys_round_trip() {
        for x in [
            0.0,
            -0.0,
            1.5,
            -1.5,
            f64::MIN_POSITIVE,
            f64::MAX,
            f64::NEG_INFINITY,
        ] {
            assert_eq!(unkey(key(x)).to_bits(), x.to_bits());
        }
        assert!(key(-1.0) < key(-0.0) && key(-0.0) < key(0.0) && key(0.0) < key(1.0));
    }
}
