//! Two-sample Kolmogorov–Smirnov test, reproducing `scipy.stats.ks_2samp`
//! (two-sided, `method='auto'`, SciPy 1.17) without any crate beyond `std`.
//!
//! # Algorithm
//!
//! 1. **Statistic.** Both samples arrive sorted ascending and free of NaN. The
//!    right-continuous empirical CDFs `F1(x) = #{a <= x}/n1` and
//!    `F2(x) = #{b <= x}/n2` are evaluated at every pooled value by one merge
//!    walk over the two slices (SciPy does the same with
//!    `searchsorted(side='right')` over the concatenation). At every distinct
//!    value the walk skips *all* equal values in both samples, so ties are
//!    counted on the right exactly as SciPy counts them, then forms
//!    `F1 - F2 = i as f64 / n1 as f64 - j as f64 / n2 as f64` with the same
//!    float divisions NumPy performs. `D = max(max(F1-F2), -min(F1-F2))`, with
//!    the positive side winning ties as in SciPy.
//! 2. **Mode.** If `max(n1, n2) <= 10000` (`MAX_AUTO_N`) the exact null
//!    distribution is attempted, otherwise the asymptotic one is used.
//! 3. **Exact.** With `g = gcd(n1, n2)` and `lcm = n1/g * n2`, the statistic
//!    is snapped onto the lattice of attainable values: `h = round(D * lcm)`,
//!    `D = h / lcm` (this adjusted `D` is what SciPy reports). `h == 0` gives
//!    `p = 1`. Otherwise `P(D_{n1,n2} >= h/lcm)` is computed by
//!    * `n1 == n2`: Hodges' alternating binomial sum evaluated Horner-style
//!      (`_compute_prob_outside_square`);
//!    * `n1 != n2`: the lattice-path "inside method" recursion that carries
//!      `1 - p` directly (Viehmann 2021; `_compute_outer_prob_inside_method`).
//!
//!    If the result is NaN or outside `[0, 1]` SciPy gives up on the exact
//!    value and falls back to step 4 (keeping the snapped `D`). This does
//!    happen: two perfectly interleaved samples of equal size give
//!    `D = 1/n` and a Horner sum of `1.0000000000000002`.
//! 4. **Asymptotic.** `en = m*n/(m+n)` in floating point with `m >= n`, then
//!    `p = kstwo.sf(D, round_half_even(en))`: the survival function of the
//!    *one-sample* two-sided KS distribution `D_N` with `N = round(en)`.
//! 5. **`kstwo.sf`** follows Simard & L'Ecuyer (2011) as SciPy's `_kolmogn`
//!    does: the Ruben–Gambino closed forms near the ends of the support,
//!    `2 * smirnov(n, x)` (the exact one-sided Smirnov/Birnbaum–Tingey sum in
//!    double-double arithmetic, ported from `xsf`) when the intersection term
//!    vanishes or is negligible, the Durbin matrix algorithm in the
//!    Marsaglia–Tsang–Wang formulation, the Pomeranz recursion, and the
//!    Pelz–Good asymptotic series, each on the same `(n, n*x^2)` regions and
//!    with the same thresholds as SciPy.
//! 6. **Clip.** The p-value is clipped to `[0, 1]`.
//!
//! # Accuracy and cost
//!
//! The statistic and the exact two-sample recursions are the same float
//! operations in the same order as SciPy and match it bitwise. Matrix
//! products and convolutions in `kstwo.sf` are summed in plain loop order
//! rather than by BLAS, so those p-values agree with SciPy to rounding
//! (within ~1e-12 relative), not bit for bit.
//!
//! The statistic is one allocation-free pass. The p-value cost is that of
//! SciPy's algorithms: the exact path is O(max(n1,n2) * band width), up to
//! about 0.6 s (release build, same as SciPy) for two samples near 10000
//! values with a large `D`; the asymptotic path is
//! microseconds except where `kstwo.sf` needs the Smirnov sum
//! (`140 < N <= 10^6` and `N*D^2 >= 2.2`), which is O(N) double-double terms,
//! about a second at `N = 10^6` (SciPy is slower there); beyond `10^6` a
//! closed-form approximation takes over.

/// Which null distribution produced the p-value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KsMethod {
    /// Exact distribution of the two-sample statistic (Hodges / Viehmann).
    Exact,
    /// `kstwo.sf(D, round(n1*n2/(n1+n2)))`, used for large samples or when the
    /// exact computation failed numerically.
    Asymptotic,
}

/// Result of the two-sample test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KsResult {
    /// The KS statistic `D`. In exact mode this is SciPy's lattice-snapped
    /// value `round(D * lcm) / lcm`, which can differ from the raw maximum by
    /// a rounding error.
    pub statistic: f64,
    /// Two-sided p-value, clipped to `[0, 1]`.
    pub p_value: f64,
    /// Pooled value at which `D` is attained, chosen as SciPy's
    /// `statistic_location` is (first occurrence in `concat(a, b)`).
    pub location: f64,
    /// Size of the first sample.
    pub n1: u64,
    /// Size of the second sample.
    pub n2: u64,
    /// Distribution used for the p-value.
    pub method: KsMethod,
}

/// `ks_2samp(method='auto')` tries the exact distribution only when both
/// sample sizes are at most this; beyond it the exact recursion is slow and
/// numerically fragile.
pub const MAX_AUTO_N: u64 = 10_000;

/// D over two ascending-sorted slices with no NaN (the caller removes
/// nulls/NaN and sorts; `±inf` are fine because they compare normally).
///
/// Evaluates the right-continuous ECDFs at every pooled value, handling ties
/// as SciPy does (`searchsorted(side='right')`): a single O(n1 + n2) merge
/// walk that, at each distinct value, advances past all equal values in both
/// slices and then computes `|i/n1 - j/n2|` with integer counters and the same
/// float divisions NumPy uses, so `D` matches SciPy exactly. No allocation.
///
/// Returns `(D, location)`; the location reproduces SciPy's
/// `statistic_location`: SciPy takes `argmax` over `concat(a, b)`, i.e. the
/// smallest value of `a` reaching the extreme, else the smallest of `b`, and
/// prefers the positive side `F1 - F2` when both sides reach the same size.
///
/// Returns `None` if either slice is empty (SciPy raises there; the test is
/// undefined). Unsorted input gives a meaningless answer; NaN cannot hang
/// the walk because every step consumes at least one element.
pub fn statistic_sorted(a: &[f64], b: &[f64]) -> Option<(f64, f64)> {
    let mut w = Walk::new(a.len() as u64, b.len() as u64);
    w.feed(a, b);
    w.finish()
}

/// The walk of [`statistic_sorted`], resumable: fed ascending chunks of both samples in turn, where
/// every value of a chunk is above every value of the chunks before and a run of equal values never
/// spans two chunks. This is how D is computed over key ranges that are sorted one at a time
/// (bounded memory); one chunk holding everything is [`statistic_sorted`].
#[derive(Debug, Clone)]
pub struct Walk {
    n1: u64,
    n2: u64,
    /// Values of each sample consumed so far.
    i: u64,
    j: u64,
    max_d: f64,
    max_loc: (Option<f64>, Option<f64>),
    min_d: f64,
    min_loc: (Option<f64>, Option<f64>),
}

impl Walk {
    /// A walk over samples of `n1` and `n2` values in all.
    pub fn new(n1: u64, n2: u64) -> Walk {
        Walk {
            n1,
            n2,
            i: 0,
            j: 0,
            max_d: f64::NEG_INFINITY,
            max_loc: (None, None),
            min_d: f64::INFINITY,
            min_loc: (None, None),
        }
    }

    /// Consumes the next chunk of each sample (either may be empty).
    pub fn feed(&mut self, a: &[f64], b: &[f64]) {
        let (n1, n2) = (a.len(), b.len());
        let (f1, f2) = (self.n1 as f64, self.n2 as f64);
        let (mut i, mut j) = (0usize, 0usize);
        while i < n1 || j < n2 {
            let take_a = j >= n2 || (i < n1 && a[i] <= b[j]);
            let v = if take_a { a[i] } else { b[j] };
            // Values actually present in each sample (first of the tie run), so
            // the location is an element of the data like SciPy's.
            let mut in_a = None;
            let mut in_b = None;
            if take_a {
                in_a = Some(a[i]);
                i += 1;
            } else {
                in_b = Some(b[j]);
                j += 1;
            }
            while i < n1 && a[i] == v {
                if in_a.is_none() {
                    in_a = Some(a[i]);
                }
                i += 1;
            }
            while j < n2 && b[j] == v {
                if in_b.is_none() {
                    in_b = Some(b[j]);
                }
                j += 1;
            }
            let diff = (self.i + i as u64) as f64 / f1 - (self.j + j as u64) as f64 / f2;
            self.record(diff, in_a, in_b);
        }
        self.i += n1 as u64;
        self.j += n2 as u64;
    }

    /// Consumes a run of `na` values of the first sample and `nb` of the second, all equal to `v`
    /// (a range of one key: counted, never held).
    pub fn feed_ties(&mut self, v: f64, na: u64, nb: u64) {
        if na == 0 && nb == 0 {
            return;
        }
        self.i += na;
        self.j += nb;
        let diff = self.i as f64 / self.n1 as f64 - self.j as f64 / self.n2 as f64;
        self.record(diff, (na > 0).then_some(v), (nb > 0).then_some(v));
    }

    fn record(&mut self, diff: f64, in_a: Option<f64>, in_b: Option<f64>) {
        if diff > self.max_d {
            self.max_d = diff;
            self.max_loc = (in_a, in_b);
        } else if diff == self.max_d {
            self.max_loc = (self.max_loc.0.or(in_a), self.max_loc.1.or(in_b));
        }
        if diff < self.min_d {
            self.min_d = diff;
            self.min_loc = (in_a, in_b);
        } else if diff == self.min_d {
            self.min_loc = (self.min_loc.0.or(in_a), self.min_loc.1.or(in_b));
        }
    }

    /// `(D, location)`, or `None` when either sample is empty.
    pub fn finish(&self) -> Option<(f64, f64)> {
        if self.n1 == 0 || self.n2 == 0 {
            return None;
        }
        // SciPy: minS = clip(-min, 0, 1); maxS = max; minS wins only if strictly larger.
        let min_s = clip01(-self.min_d);
        let max_s = self.max_d;
        if min_s > max_s {
            Some((min_s, self.min_loc.0.or(self.min_loc.1).unwrap_or(f64::NAN)))
        } else {
            Some((max_s, self.max_loc.0.or(self.max_loc.1).unwrap_or(f64::NAN)))
        }
    }
}

/// The two-sided p-value for statistic `d` with sample sizes `n1`, `n2`, as
/// `ks_2samp(method='auto')` computes it: exact when `max(n1, n2) <= 10000`
/// and the exact computation succeeds; otherwise
/// `kstwo.sf(d, round(n1*n2/(n1+n2)))`.
///
/// Returns `(statistic, p, method)`. The statistic is returned because the
/// exact path replaces `d` by `round(d*lcm)/lcm` (SciPy reports that value,
/// and keeps it even when it then falls back to the asymptotic path).
///
/// `n1 == 0` or `n2 == 0` has no test; returns `(d, NaN, Asymptotic)`.
pub fn p_value(d: f64, n1: u64, n2: u64) -> (f64, f64, KsMethod) {
    if n1 == 0 || n2 == 0 {
        return (d, f64::NAN, KsMethod::Asymptotic);
    }
    let mut d = d;
    let mut prob = f64::NAN;
    let mut method = if n1.max(n2) <= MAX_AUTO_N {
        KsMethod::Exact
    } else {
        KsMethod::Asymptotic
    };
    if method == KsMethod::Exact {
        let g = gcd(n1, n2);
        let (success, d_snapped, p) = attempt_exact_2kssamp(n1, n2, g, d);
        d = d_snapped;
        if success {
            prob = p;
        } else {
            method = KsMethod::Asymptotic;
        }
    }
    if method == KsMethod::Asymptotic {
        // Floats on purpose: SciPy avoids integer overflow this way, and the
        // rounding of en must match.
        let (m, n) = if n1 >= n2 {
            (n1 as f64, n2 as f64)
        } else {
            (n2 as f64, n1 as f64)
        };
        let en = m * n / (m + n);
        prob = kstwo_sf_nf(d, en.round_ties_even());
    }
    (d, clip01(prob), method)
}

impl KsResult {
    /// The result for statistic `d` reached at `location` with sample sizes `n1`, `n2`: the
    /// p-value (and the statistic it reports) as [`p_value`] computes them.
    pub fn new(d: f64, location: f64, n1: u64, n2: u64) -> KsResult {
        let (statistic, p_value, method) = p_value(d, n1, n2);
        KsResult {
            statistic,
            p_value,
            location,
            n1,
            n2,
            method,
        }
    }
}

/// Convenience: statistic and p-value of two ascending-sorted, NaN-free
/// slices (see [`statistic_sorted`] and [`p_value`]). `None` if either is
/// empty.
pub fn ks_2samp_sorted(a: &[f64], b: &[f64]) -> Option<KsResult> {
    let (d, location) = statistic_sorted(a, b)?;
    let (n1, n2) = (a.len() as u64, b.len() as u64);
    Some(KsResult::new(d, location, n1, n2))
}

/// Survival function of the one-sample two-sided KS distribution,
/// `scipy.stats.kstwo.sf(x, n)` = `P(D_n > x)`.
///
/// Follows SciPy's distribution wrapper first (`n == 0` is invalid → NaN;
/// NaN `x` → NaN; `x <= 0.5/n` → 1; `x >= 1` → 0), then `_kolmogn`.
pub fn kstwo_sf(x: f64, n: u64) -> f64 {
    kstwo_sf_nf(x, n as f64)
}

// ---------------------------------------------------------------------------
// Two-sample exact distribution (scipy/stats/_stats_py.py, _stats_pythran.py)
// ---------------------------------------------------------------------------

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        let t = a % b;
        a = b;
        b = t;
    }
    a
}

/// Clip to [0, 1] like `np.clip`: NaN stays NaN so callers can detect it.
fn clip01(p: f64) -> f64 {
    p.clamp(0.0, 1.0)
}

/// `_attempt_exact_2kssamp` for the two-sided alternative: returns
/// `(success, snapped d, probability)`. SciPy's FloatingPointError guard can
/// never fire on this path (pure-Python floats and a pythran kernel do not
/// raise), so failure means NaN or a probability outside `[0, 1]`.
fn attempt_exact_2kssamp(n1: u64, n2: u64, g: u64, d: f64) -> (bool, f64, f64) {
    let lcm = (n1 / g) * n2;
    let h = (d * lcm as f64).round_ties_even() as i64;
    let d = h as f64 / lcm as f64;
    if h == 0 {
        return (true, d, 1.0);
    }
    let prob = if n1 == n2 {
        compute_prob_outside_square(n1 as i64, h)
    } else {
        compute_outer_prob_inside_method(n1 as i64, n2 as i64, g as i64, h)
    };
    if !(0.0..=1.0).contains(&prob) {
        return (false, d, prob);
    }
    (true, d, prob)
}

/// `P(D_{n,n} >= h/n)` = `2 * sum_k (-1)^k binom(2n, n-(k+1)h) / binom(2n, n)`,
/// with each ratio expanded into `h` simple factors and nested Horner-style
/// (`2*A0*(1 - A1*(1 - A2*(...)))`) to avoid the subtractive cancellation
/// of the plain alternating sum.
fn compute_prob_outside_square(n: i64, h: i64) -> f64 {
    let mut p = 0.0f64;
    let mut k = (n as f64 / h as f64).floor() as i64;
    while k >= 0 {
        let mut p1 = 1.0f64;
        for j in 0..h {
            p1 = (n - k * h - j) as f64 * p1 / (n + k * h + j + 1) as f64;
        }
        p = p1 * (1.0 - p);
        k -= 1;
    }
    2.0 * p
}

/// Proportion of monotone lattice paths (0,0)→(m,n) that leave the band
/// `|x/m - y/n| < h/lcm(m,n)`, i.e. `P(D_{m,n} >= h/lcm)`. One sliding column
/// window is kept; each entry is the running proportion (already divided by
/// the binomial), with cells outside the band set to 1 so the recursion
/// carries `1 - p` directly and needs no huge binomials (Viehmann 2021).
fn compute_outer_prob_inside_method(m: i64, n: i64, g: i64, h: i64) -> f64 {
    let (m, n) = if m < n { (n, m) } else { (m, n) };
    let mg = m / g;
    let ng = n / g;
    let mut minj: i64 = 0;
    let mut maxj: i64 = ((h as f64 / mg as f64).ceil() as i64).min(n + 1);
    let mut curlen = maxj - minj;
    let len_a = (2 * maxj + 2).min(n + 1) as usize;
    let mut a = vec![1.0f64; len_a];
    for x in &mut a[minj as usize..maxj as usize] {
        *x = 0.0;
    }
    for i in 1..=m {
        let (lastminj, lastlen) = (minj, curlen);
        minj = (((ng * i - h) as f64 / mg as f64).floor() as i64 + 1).max(0);
        minj = minj.min(n);
        maxj = (((ng * i + h) as f64 / mg as f64).ceil() as i64).min(n + 1);
        if maxj <= minj {
            return 1.0;
        }
        let fi = i as f64;
        let mut val = if minj == 0 { 0.0 } else { 1.0 };
        for jj in 0..(maxj - minj) {
            let j = jj + minj;
            val = (a[(jj + minj - lastminj) as usize] * fi + val * j as f64) / (i + j) as f64;
            a[jj as usize] = val;
        }
        curlen = maxj - minj;
        if lastlen > curlen {
            // Python slice assignment: both ends clamp to the array.
            let hi = ((maxj - minj + (lastlen - curlen)) as usize).min(a.len());
            let lo = ((maxj - minj) as usize).min(hi);
            for x in &mut a[lo..hi] {
                *x = 1.0;
            }
        }
    }
    a[(maxj - minj - 1) as usize]
}

// ---------------------------------------------------------------------------
// One-sample two-sided distribution (scipy/stats/_ksstats.py)
// ---------------------------------------------------------------------------

/// 2^128 and its inverse: the rescaling step used by SciPy's Durbin and
/// Pomeranz loops to keep intermediates inside the double range.
const E128: i32 = 128;
const EP128: f64 = 340282366920938463463374607431768211456.0; // 2^128
const EM128: f64 = 1.0 / EP128; // 2^-128, exact

// Constants exactly as NumPy computes them in _ksstats.py.
const SQRT2PI: f64 = 2.5066282746310002; // np.sqrt(2*np.pi)
const LOG_2PI: f64 = 1.8378770664093453; // np.log(2*np.pi)
const SQRT3: f64 = 1.7320508075688772; // np.sqrt(3)
const PI_SQUARED: f64 = 9.869604401089358; // np.pi**2
const PI_FOUR: f64 = 97.40909103400242; // np.pi**4
const PI_SIX: f64 = 961.3891935753043; // np.pi**6
const MIN_LOG: f64 = -708.0;

/// Stirling series coefficients `B_{2j}/(2j)/(2j-1)`, j = 8..1 (digits as in SciPy).
#[allow(clippy::excessive_precision)]
const STIRLING_COEFFS: [f64; 8] = [
    -2.955065359477124183e-2,
    6.4102564102564102564e-3,
    -1.9175269175269175269e-3,
    8.4175084175084175084e-4,
    -5.952380952380952381e-4,
    7.9365079365079365079e-4,
    -2.7777777777777777778e-3,
    8.3333333333333333333e-2,
];

/// `kstwo.sf(x, n)` with `n` as the float SciPy passes around: the
/// `rv_continuous.sf` wrapper (argument check, support `(0.5/n, 1)`)
/// followed by `_kolmogn(n, x, cdf=False)`.
fn kstwo_sf_nf(x: f64, n: f64) -> f64 {
    if !(n >= 1.0 && n == n.round_ties_even()) || x.is_nan() {
        return f64::NAN;
    }
    if x <= 0.5 / n {
        return 1.0;
    }
    if x >= 1.0 {
        return 0.0;
    }
    kolmogn_sf(n as i64, x)
}

/// `log(n! / n^n)` by Stirling with the `n log n` term removed up front, to
/// avoid cancellation.
fn log_nfactorial_div_n_pow_n(n: i64) -> f64 {
    let nf = n as f64;
    let rn = 1.0 / nf;
    let z = rn / nf;
    let mut poly = 0.0;
    for c in STIRLING_COEFFS {
        poly = poly * z + c;
    }
    nf.ln() / 2.0 - nf + LOG_2PI / 2.0 + rn * poly
}

/// `_kolmogn(n, x, cdf=False)`: Simard & L'Ecuyer's choice of method for the
/// survival function of `D_n`. Requires `n >= 1`.
fn kolmogn_sf(n: i64, x: f64) -> f64 {
    if x >= 1.0 {
        return 0.0;
    }
    if x <= 0.0 {
        return 1.0;
    }
    let nf = n as f64;
    let t = nf * x;
    if t <= 1.0 {
        // Ruben–Gambino: P(D_n <= x) = n!/n^n (2t-1)^n for 1/2n <= x <= 1/n.
        if t <= 0.5 {
            return 1.0;
        }
        let prob = if n <= 140 {
            let r = 1.0 / nf;
            let c = 2.0 * t - 1.0;
            let mut p = 1.0;
            for i in 1..=n {
                p *= i as f64 * r * c;
            }
            p
        } else {
            (log_nfactorial_div_n_pow_n(n) + nf * (2.0 * t - 1.0).ln()).exp()
        };
        return clip01(1.0 - prob);
    }
    if t >= (n - 1) as f64 {
        // Ruben–Gambino upper end: P(D_n >= x) = 2 (1-x)^n.
        return clip01(2.0 * (1.0 - x).powf(nf));
    }
    if x >= 0.5 {
        // D_n+ >= x and D_n- >= x cannot both hold: exactly twice one side.
        return clip01(2.0 * smirnov(n, x));
    }
    let nxsquared = t * x;
    if n <= 140 {
        if nxsquared <= 0.754693 {
            return clip01(1.0 - kolmogn_dmtw_cdf(n, x));
        }
        if nxsquared <= 4.0 {
            return clip01(1.0 - kolmogn_pomeranz_cdf(n, x));
        }
        // Miller's approximation: the intersection term is negligible.
        return clip01(2.0 * smirnov(n, x));
    }
    if nxsquared >= 370.0 {
        return 0.0;
    }
    if nxsquared >= 2.2 {
        return clip01(2.0 * smirnov(n, x));
    }
    let cdf = if nxsquared >= 18.0 {
        1.0
    } else if n <= 100_000 && nf * x.powf(1.5) <= 1.4 {
        kolmogn_dmtw_cdf(n, x)
    } else {
        kolmogn_pelz_good_cdf(n, x)
    };
    clip01(1.0 - cdf)
}

/// Square matrix product (row-major), plain i-k-j loops.
fn matmul(a: &[f64], b: &[f64], out: &mut [f64], m: usize) {
    out.iter_mut().for_each(|x| *x = 0.0);
    for i in 0..m {
        for k in 0..m {
            let aik = a[i * m + k];
            if aik == 0.0 {
                continue;
            }
            let brow = &b[k * m..(k + 1) * m];
            let orow = &mut out[i * m..(i + 1) * m];
            for (o, &bv) in orow.iter_mut().zip(brow) {
                *o += aik * bv;
            }
        }
    }
}

/// `P(D_n <= d)` by Durbin's matrix algorithm as organised by Marsaglia, Tsang
/// & Wang (2003): with `d = (k - h)/n`, the answer is `n!/n^n` times the
/// `(k,k)` entry of `H^n` for an `(2k-1)`-square matrix `H`; powers by
/// repeated squaring, rescaled by 2^128 to stay in range. O(m^3 log n).
fn kolmogn_dmtw_cdf(n: i64, d: f64) -> f64 {
    if d >= 1.0 {
        return 1.0;
    }
    let nd = n as f64 * d;
    if nd <= 0.5 {
        return 0.0;
    }
    let k = nd.ceil() as usize;
    let h = k as f64 - nd;
    let m = 2 * k - 1;

    let mut v = vec![0.0f64; m];
    let mut w = vec![0.0f64; m];
    let mut fac = 1.0f64;
    for j in 1..=m {
        v[j - 1] = 1.0 - h.powf(j as f64);
        w[j - 1] = fac;
        fac /= j as f64; // may underflow; harmless
        v[j - 1] *= fac;
    }
    let tt = (2.0 * h - 1.0).max(0.0).powf(m as f64) - 2.0 * h.powf(m as f64);
    v[m - 1] = (1.0 + tt) * fac;

    let mut hm = vec![0.0f64; m * m];
    for i in 1..m {
        for r in (i - 1)..m {
            hm[r * m + i] = w[r - (i - 1)];
        }
    }
    for r in 0..m {
        hm[r * m] = v[r];
    }
    for c in 0..m {
        hm[(m - 1) * m + c] = v[m - 1 - c];
    }

    let mut hpwr = vec![0.0f64; m * m];
    for i in 0..m {
        hpwr[i * m + i] = 1.0;
    }
    let mut tmp = vec![0.0f64; m * m];
    let mut nn = n;
    let mut expnt: i32 = 0;
    let mut hexpnt: i32 = 0;
    while nn > 0 {
        if nn % 2 == 1 {
            matmul(&hpwr, &hm, &mut tmp, m);
            std::mem::swap(&mut hpwr, &mut tmp);
            expnt += hexpnt;
        }
        nn /= 2;
        if nn == 0 {
            break; // SciPy squares once more here, but the result is unused.
        }
        matmul(&hm, &hm, &mut tmp, m);
        std::mem::swap(&mut hm, &mut tmp);
        hexpnt *= 2;
        if hm[(k - 1) * m + (k - 1)].abs() > EP128 {
            hm.iter_mut().for_each(|x| *x /= EP128);
            hexpnt += E128;
        }
    }

    let mut p = hpwr[(k - 1) * m + (k - 1)];
    let nf = n as f64;
    for i in 1..=n {
        p = i as f64 * p / nf;
        if p.abs() < EM128 {
            p *= EP128;
            expnt -= E128;
        }
    }
    if expnt != 0 {
        p = ldexp(p, expnt);
    }
    clip01(p)
}

/// Row interval `[j1, j2]` of the non-zero entries in Pomeranz's recursion.
fn pomeranz_compute_j1j2(i: i64, n: i64, ll: i64, ceilf: i64, roundf: i64) -> (i64, i64) {
    let (j1, j2) = if i == 0 {
        (-ll - ceilf - 1, ll + ceilf - 1)
    } else {
        let (ip1div2, ip1mod2) = ((i + 1).div_euclid(2), (i + 1).rem_euclid(2));
        if ip1mod2 == 0 {
            if ip1div2 == n + 1 {
                (n - ll - ceilf - 1, n + ll + ceilf - 1)
            } else {
                (ip1div2 - 1 - ll - roundf - 1, ip1div2 + ll - 1 + ceilf - 1)
            }
        } else {
            (ip1div2 - 1 - ll - 1, ip1div2 + ll + roundf - 1)
        }
    };
    ((j1 + 2).max(0), j2.min(n))
}

/// `P(D_n <= x)` by Pomeranz's (1974) recursion: each row is the previous
/// row convolved with (unnormalised) Poisson weights; only two rows and
/// their non-zero windows are kept, rescaled by 2^128 against underflow.
fn kolmogn_pomeranz_cdf(n: i64, x: f64) -> f64 {
    let nf = n as f64;
    let t = nf * x;
    let ll = t.floor() as i64;
    let f = t - ll as f64;
    let g = f.min(1.0 - f);
    let ceilf = if f > 0.0 { 1 } else { 0 };
    let roundf = if f > 0.5 { 1 } else { 0 };
    let npwrs = (2 * (ll + 1)) as usize;
    let mut gpower = vec![0.0f64; npwrs];
    let mut twogpower = vec![0.0f64; npwrs];
    let mut onem2gpower = vec![0.0f64; npwrs];
    gpower[0] = 1.0;
    twogpower[0] = 1.0;
    onem2gpower[0] = 1.0;
    let mut expnt: i32 = 0;
    let (g_over_n, two_g_over_n, one_minus_two_g_over_n) =
        (g / nf, 2.0 * g / nf, (1.0 - 2.0 * g) / nf);
    for m in 1..npwrs {
        let mf = m as f64;
        gpower[m] = gpower[m - 1] * g_over_n / mf;
        twogpower[m] = twogpower[m - 1] * two_g_over_n / mf;
        onem2gpower[m] = onem2gpower[m - 1] * one_minus_two_g_over_n / mf;
    }

    let mut v0 = vec![0.0f64; npwrs];
    let mut v1 = vec![0.0f64; npwrs];
    v1[0] = 1.0;
    let (mut v0s, mut v1s): (i64, i64) = (0, 0);
    let mut conv = vec![0.0f64; 2 * npwrs];

    let (mut j1, _) = pomeranz_compute_j1j2(0, n, ll, ceilf, roundf);
    for i in 1..(2 * n + 2) {
        let k1 = j1;
        std::mem::swap(&mut v0, &mut v1);
        std::mem::swap(&mut v0s, &mut v1s);
        v1.iter_mut().for_each(|x| *x = 0.0);
        let (new_j1, j2) = pomeranz_compute_j1j2(i, n, ll, ceilf, roundf);
        j1 = new_j1;
        let pwrs: &[f64] = if i == 1 || i == 2 * n + 1 {
            &gpower
        } else if i % 2 == 1 {
            &twogpower
        } else {
            &onem2gpower
        };
        let ln2 = j2 - k1 + 1;
        if ln2 > 0 {
            // Python slices clamp at the end; in the region where SciPy calls
            // Pomeranz (0.754693 < n x^2 <= 4, n <= 140) start >= 0 always.
            let start = (k1 - v0s).max(0) as usize;
            let src = &v0[start.min(npwrs)..((k1 - v0s + ln2).max(0) as usize).min(npwrs)];
            let ker = &pwrs[..(ln2 as usize).min(npwrs)];
            // np.convolve(src, ker), mode 'full'.
            let clen = src.len() + ker.len() - 1;
            for c in conv[..clen].iter_mut() {
                *c = 0.0;
            }
            for (p, &sv) in src.iter().enumerate() {
                for (q, &kv) in ker.iter().enumerate() {
                    conv[p + q] += sv * kv;
                }
            }
            let conv_start = (j1 - k1) as usize;
            let conv_len = (j2 - j1 + 1).max(0) as usize;
            let end = (conv_start + conv_len).min(clen);
            let piece = &conv[conv_start.min(end)..end];
            v1[..piece.len()].copy_from_slice(piece);
            let vmax = v1.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            if 0.0 < vmax && vmax < EM128 {
                v1.iter_mut().for_each(|x| *x *= EP128);
                expnt -= E128;
            }
            v1s = v0s + j1 - k1;
        }
    }

    let mut ans = v1[(n - v1s) as usize];
    for m in 1..=n {
        if ans.abs() > EP128 {
            ans *= EM128;
            expnt += E128;
        }
        ans *= m as f64;
    }
    if expnt != 0 {
        ans = ldexp(ans, expnt);
    }
    clip01(ans)
}

/// Pelz–Good (1976) approximation to `P(D_n <= x)`: the Li-Chien/Korolyuk
/// expansion `K0 + K1/sqrt(n) + K2/n + K3/n^1.5` in `z = x sqrt(n)`, rewritten
/// through Jacobi theta identities so that it converges fast for small `z`.
/// Not clipped (SciPy clips in the caller).
fn kolmogn_pelz_good_cdf(n: i64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let nf = n as f64;
    let z = nf.sqrt() * x;
    let (zsquared, zthree, zfour, zsix) = (z.powf(2.0), z.powf(3.0), z.powf(4.0), z.powf(6.0));

    let qlog = -PI_SQUARED / 8.0 / zsquared;
    if qlog < MIN_LOG {
        return 0.0;
    }
    let q = qlog.exp();

    let k1a = -zsquared;
    let k1b = PI_SQUARED / 4.0;

    let k2a = 6.0 * zsix + 2.0 * zfour;
    let k2b = (2.0 * zfour - 5.0 * zsquared) * PI_SQUARED / 4.0;
    let k2c = PI_FOUR * (1.0 - 2.0 * zsquared) / 16.0;

    let k3d = PI_SIX * (5.0 - 30.0 * zsquared) / 64.0;
    let k3c = PI_FOUR * (-60.0 * zsquared + 212.0 * zfour) / 16.0;
    let k3b = PI_SQUARED * (135.0 * zfour - 96.0 * zsix) / 4.0;
    let k3a = -30.0 * zsix - 90.0 * z.powf(8.0);

    let mut kk = [0.0f64; 4];
    // Horner scheme for sum c_i q^(i^2) over odd i.
    let maxk = (16.0 * z / std::f64::consts::PI).ceil() as i64;
    for k in (1..=maxk).rev() {
        let m = 2 * k - 1;
        let (msquared, mfour, msix) = (
            (m * m) as f64,
            (m * m * m * m) as f64,
            (m * m * m * m * m * m) as f64,
        );
        let qpower = q.powf((8 * k) as f64);
        let coeffs = [
            1.0,
            k1a + k1b * msquared,
            k2a + k2b * msquared + k2c * mfour,
            k3a + k3b * msquared + k3c * mfour + k3d * msix,
        ];
        for (acc, c) in kk.iter_mut().zip(coeffs) {
            *acc *= qpower;
            *acc += c;
        }
    }
    let divs = [z, 6.0 * zfour, 72.0 * z.powf(7.0), 6480.0 * z.powf(10.0)];
    for (acc, dv) in kk.iter_mut().zip(divs) {
        *acc *= q;
        *acc *= SQRT2PI;
        *acc /= dv;
    }

    // The other sums, over all integers k: direct evaluation.
    let q = (-PI_SQUARED / 2.0 / zsquared).exp();
    let sqrt3z = SQRT3 * z;
    let mut k2extra = 0.0f64;
    let mut k3extra = 0.0f64;
    for k in (1..=maxk).rev() {
        let ksquared = (k * k) as f64;
        let kspi = std::f64::consts::PI * k as f64;
        let qp = q.powf(ksquared);
        k2extra += ksquared * qp;
        k3extra += (sqrt3z + kspi) * (sqrt3z - kspi) * ksquared * qp;
    }
    k2extra *= PI_SQUARED * SQRT2PI / (-36.0 * zthree);
    kk[2] += k2extra;
    k3extra *= PI_SQUARED * SQRT2PI / (216.0 * zsix);
    kk[3] += k3extra;
    for (i, acc) in kk.iter_mut().enumerate() {
        *acc /= nf.powf(i as f64 / 2.0);
    }
    kk.iter().sum()
}

// ---------------------------------------------------------------------------
// ldexp / frexp (std has neither)
// ---------------------------------------------------------------------------

/// `x * 2^n` without spurious overflow/underflow in intermediate steps
/// (musl's scalbn).
fn ldexp(x: f64, n: i32) -> f64 {
    let mut y = x;
    let mut n = n;
    let p1023 = f64::from_bits(0x7fe0_0000_0000_0000); // 2^1023
    let pm1022_53 = f64::from_bits(0x0360_0000_0000_0000); // 2^-1022 * 2^53 = 2^-969
    if n > 1023 {
        y *= p1023;
        n -= 1023;
        if n > 1023 {
            y *= p1023;
            n -= 1023;
            if n > 1023 {
                n = 1023;
            }
        }
    } else if n < -1022 {
        y *= pm1022_53;
        n += 1022 - 53;
        if n < -1022 {
            y *= pm1022_53;
            n += 1022 - 53;
            if n < -1022 {
                n = -1022;
            }
        }
    }
    y * f64::from_bits(((0x3ff + n) as u64) << 52)
}

/// C's `frexp`: `x = m * 2^e` with `0.5 <= |m| < 1` (zero, inf, NaN → `(x, 0)`).
fn frexp(x: f64) -> (f64, i32) {
    let bits = x.to_bits();
    let ee = ((bits >> 52) & 0x7ff) as i32;
    if ee == 0 {
        if x != 0.0 {
            let (m, e) = frexp(x * f64::from_bits(0x43f0_0000_0000_0000)); // 2^64
            return (m, e - 64);
        }
        return (x, 0);
    }
    if ee == 0x7ff {
        return (x, 0);
    }
    let e = ee - 0x3fe;
    let mbits = (bits & 0x800f_ffff_ffff_ffff) | 0x3fe0_0000_0000_0000;
    (f64::from_bits(mbits), e)
}

// ---------------------------------------------------------------------------
// Double-double arithmetic (xsf/cephes/dd_real.h, from the qd package)
// ---------------------------------------------------------------------------

mod dd {
    use std::ops::{Add, Div, Mul, Neg, Sub};

    /// Unevaluated sum `hi + lo` with `|lo| <= ulp(hi)/2`: ~106-bit precision.
    #[derive(Debug, Clone, Copy, PartialEq)]
    pub(super) struct Dd {
        pub hi: f64,
        pub lo: f64,
    }

    impl Dd {
        pub const fn new(hi: f64) -> Self {
            Dd { hi, lo: 0.0 }
        }
        /// `dd == double` in the C++ sense: exact equality with `lo == 0`.
        pub fn eq_f(self, x: f64) -> bool {
            self.hi == x && self.lo == 0.0
        }
        pub fn lt_f(self, x: f64) -> bool {
            if self.hi < x {
                return true;
            }
            if self.hi > x {
                return false;
            }
            self.lo < 0.0
        }
        pub fn is_finite(self) -> bool {
            self.hi.is_finite()
        }
    }

    #[inline]
    fn quick_two_sum(a: f64, b: f64) -> (f64, f64) {
        let s = a + b;
        let c = s - a;
        (s, b - c)
    }

    #[inline]
    fn two_sum(a: f64, b: f64) -> (f64, f64) {
        let s = a + b;
        let c = s - a;
        let d = b - c;
        let e = s - c;
        (s, (a - e) + d)
    }

    #[inline]
    fn two_prod(a: f64, b: f64) -> (f64, f64) {
        let p = a * b;
        (p, a.mul_add(b, -p))
    }

    impl Neg for Dd {
        type Output = Dd;
        fn neg(self) -> Dd {
            Dd {
                hi: -self.hi,
                lo: -self.lo,
            }
        }
    }

    impl Add for Dd {
        type Output = Dd;
        fn add(self, rhs: Dd) -> Dd {
            let (s1, s2) = two_sum(self.hi, rhs.hi);
            let (t1, t2) = two_sum(self.lo, rhs.lo);
            let s2 = s2 + t1;
            let (s1, s2) = quick_two_sum(s1, s2);
            let s2 = s2 + t2;
            let (s1, s2) = quick_two_sum(s1, s2);
            Dd { hi: s1, lo: s2 }
        }
    }

    impl Add<f64> for Dd {
        type Output = Dd;
        fn add(self, rhs: f64) -> Dd {
            let (s1, s2) = two_sum(self.hi, rhs);
            let s2 = s2 + self.lo;
            let (s1, s2) = quick_two_sum(s1, s2);
            Dd { hi: s1, lo: s2 }
        }
    }

    impl Add<Dd> for f64 {
        type Output = Dd;
        fn add(self, rhs: Dd) -> Dd {
            let (s1, s2) = two_sum(self, rhs.hi);
            let s2 = s2 + rhs.lo;
            let (s1, s2) = quick_two_sum(s1, s2);
            Dd { hi: s1, lo: s2 }
        }
    }

    impl Sub for Dd {
        type Output = Dd;
        fn sub(self, rhs: Dd) -> Dd {
            self + (-rhs)
        }
    }

    impl Sub<f64> for Dd {
        type Output = Dd;
        fn sub(self, rhs: f64) -> Dd {
            let (s1, s2) = two_sum(self.hi, -rhs);
            let s2 = s2 + self.lo;
            let (s1, s2) = quick_two_sum(s1, s2);
            Dd { hi: s1, lo: s2 }
        }
    }

    impl Sub<Dd> for f64 {
        type Output = Dd;
        fn sub(self, rhs: Dd) -> Dd {
            let (s1, s2) = two_sum(self, -rhs.hi);
            let s2 = s2 - rhs.lo;
            let (s1, s2) = quick_two_sum(s1, s2);
            Dd { hi: s1, lo: s2 }
        }
    }

    impl Mul for Dd {
        type Output = Dd;
        fn mul(self, rhs: Dd) -> Dd {
            let (p1, p2) = two_prod(self.hi, rhs.hi);
            let p2 = p2 + (self.hi * rhs.lo + self.lo * rhs.hi);
            let (p1, p2) = quick_two_sum(p1, p2);
            Dd { hi: p1, lo: p2 }
        }
    }

    impl Mul<f64> for Dd {
        type Output = Dd;
        fn mul(self, rhs: f64) -> Dd {
            let (p1, e1) = two_prod(self.hi, rhs);
            let (p2, e2) = two_prod(self.lo, rhs);
            let (p1, e1) = quick_two_sum(p1, e2 + p2 + e1);
            Dd { hi: p1, lo: e1 }
        }
    }

    impl Mul<Dd> for f64 {
        type Output = Dd;
        fn mul(self, rhs: Dd) -> Dd {
            let (p1, e1) = two_prod(self, rhs.hi);
            let (p2, e2) = two_prod(self, rhs.lo);
            let (p1, e1) = quick_two_sum(p1, e2 + p2 + e1);
            Dd { hi: p1, lo: e1 }
        }
    }

    impl Div for Dd {
        type Output = Dd;
        fn div(self, rhs: Dd) -> Dd {
            let q1 = self.hi / rhs.hi;
            let r = self - rhs * q1;
            let q2 = r.hi / rhs.hi;
            let r = r - rhs * q2;
            let q3 = r.hi / rhs.hi;
            let (q1, q2) = quick_two_sum(q1, q2);
            Dd { hi: q1, lo: q2 } + q3
        }
    }

    impl Div<f64> for Dd {
        type Output = Dd;
        fn div(self, rhs: f64) -> Dd {
            self / Dd::new(rhs)
        }
    }

    impl Div<Dd> for f64 {
        type Output = Dd;
        fn div(self, rhs: Dd) -> Dd {
            Dd::new(self) / rhs
        }
    }

    pub(super) fn floor(a: Dd) -> Dd {
        let hi = a.hi.floor();
        if hi == a.hi {
            let lo = a.lo.floor();
            let (hi, lo) = quick_two_sum(hi, lo);
            return Dd { hi, lo };
        }
        Dd { hi, lo: 0.0 }
    }

    pub(super) fn ldexp(a: Dd, e: i32) -> Dd {
        Dd {
            hi: super::ldexp(a.hi, e),
            lo: super::ldexp(a.lo, e),
        }
    }

    /// `a = b * 2^e` with `0.5 <= |b.hi| < 1` (or `|b.hi| == 1` with `lo` of
    /// opposite sign).
    pub(super) fn frexp(a: Dd) -> (Dd, i32) {
        let (mut man, mut exponent) = super::frexp(a.hi);
        let mut b1 = super::ldexp(a.lo, -exponent);
        if man.abs() == 0.5 && man * b1 < 0.0 {
            man *= 2.0;
            b1 *= 2.0;
            exponent -= 1;
        }
        (Dd { hi: man, lo: b1 }, exponent)
    }
}

use dd::Dd;

// ---------------------------------------------------------------------------
// Smirnov one-sided distribution (xsf/cephes/kolmogorov.h)
// ---------------------------------------------------------------------------

const SMIRNOV_MAX_COMPUTE_N: i64 = 1_000_000;
const SM_UPPER_MAX_TERMS: i64 = 3;
const SM_UPPERSUM_MIN_N: i64 = 10;
const SM_MAX_EXPONENT: i32 = 960;
/// cephes MINLOG (`const.h`): log of the smallest subnormal double.
#[allow(clippy::excessive_precision)]
const CEPHES_MINLOG: f64 = -7.451332191019412076235E2;

/// cephes `polevl`: Horner evaluation, coefficients highest degree first.
fn polevl(x: f64, coef: &[f64]) -> f64 {
    let mut ans = coef[0];
    for &c in &coef[1..] {
        ans = ans * x + c;
    }
    ans
}

/// cephes `expm1` (rational approximation on [-0.5, 0.5]).
#[allow(clippy::excessive_precision)]
fn cephes_expm1(x: f64) -> f64 {
    const EP: [f64; 3] = [
        1.2617719307481059087798E-4,
        3.0299440770744196129956E-2,
        9.9999999999999999991025E-1,
    ];
    const EQ: [f64; 4] = [
        3.0019850513866445504159E-6,
        2.5244834034968410419224E-3,
        2.2726554820815502876593E-1,
        2.0000000000000000000897E0,
    ];
    if !x.is_finite() {
        if x.is_nan() || x > 0.0 {
            return x;
        }
        return -1.0;
    }
    if !(-0.5..=0.5).contains(&x) {
        return x.exp() - 1.0;
    }
    let xx = x * x;
    let r = x * polevl(xx, &EP);
    let r = r / (polevl(xx, &EQ) - r);
    r + r
}

/// `floor(n*x)` and the fractional part, computed exactly in double-double;
/// a remainder that rounds to 1 is carried into the floor.
fn mod_nx(n: i64, x: f64) -> (f64, i64, f64) {
    let nx_d = n as f64 * Dd::new(x);
    let nxfloor_d = dd::floor(nx_d);
    let alpha_d = nx_d - nxfloor_d;
    let mut alpha = alpha_d.hi;
    let mut nxfloor = nxfloor_d.hi as i64;
    if alpha == 1.0 {
        nxfloor += 1;
        alpha = 0.0;
    }
    (alpha, nxfloor, nx_d.hi)
}

/// Binomial coefficient kept as (double-double mantissa in [0.5,1), exponent)
/// because C(n, j) overflows a double; advance C(n, j) → C(n, j+1).
fn update_binomial(cman: &mut Dd, cexpt: &mut i32, n: i64, j: i64) {
    let rat = Dd::new((n - j) as f64) / (j as f64 + 1.0);
    let man2 = *cman * rat;
    let (man2, expt) = dd::frexp(man2);
    *cexpt += expt;
    *cman = man2;
}

/// `a^m` for double-double `a`, trading a little accuracy for speed as xsf
/// does: `pow(hi, m)` corrected by `(1 + lo/hi)^m`.
fn pow_d(a: Dd, m: i64) -> Dd {
    if m <= 0 {
        if m == 0 {
            return Dd::new(1.0);
        }
        return 1.0 / pow_d(a, -m);
    }
    if a.eq_f(0.0) {
        return Dd::new(0.0);
    }
    let mf = m as f64;
    let ans = a.hi.powf(mf);
    let r = a.lo / a.hi;
    let mut adj = mf * r;
    if adj.abs() > 1e-8 {
        if adj.abs() < 1e-4 {
            adj += (mf * r) * ((m - 1) as f64 / 2.0 * r);
        } else {
            adj = cephes_expm1(mf * r.ln_1p());
        }
    }
    Dd::new(ans) + ans * adj
}

/// `pow_d(1 + b, m)` rounded to double (`pow2` in xsf).
fn pow2(a: f64, b: f64, m: i64) -> f64 {
    pow_d(Dd::new(a) + b, m).hi
}

/// xsf's odd "next power of two" helper, ported verbatim.
fn next_power_of_2(x: f64) -> f64 {
    let q = ldexp(x, 1 - 53);
    let mut l = (q + x).abs();
    if l == 0.0 {
        l = x.abs();
    } else {
        let lint = l as i32;
        if lint as f64 == l {
            l = lint as f64;
        }
    }
    l
}

/// `a^m = significand * 2^exponent`, splitting the power so no intermediate
/// underflows below 2^-960.
fn pow2_scaled_d(a: Dd, m: i64) -> (Dd, i32) {
    if m <= 0 {
        if m == 0 {
            return (Dd::new(1.0), 0);
        }
        let (ans, ae1) = pow2_scaled_d(a, -m);
        let (ans, ae2) = dd::frexp(1.0 / ans);
        return (ans, -ae1 + ae2);
    }
    let (y, ye) = dd::frexp(a);
    if m == 1 {
        return (y, ye);
    }
    let mut max_expt = SM_MAX_EXPONENT as i64;
    let mf = m as f64;
    if mf * (y.hi - 1.0) / y.hi < -(SM_MAX_EXPONENT as f64) * std::f64::consts::LN_2 {
        let lg2y = y.hi.ln() / std::f64::consts::LN_2;
        let lg_ans = mf * lg2y;
        if lg_ans <= -(SM_MAX_EXPONENT as f64) {
            max_expt =
                (next_power_of_2(-(SM_MAX_EXPONENT as f64) / lg2y + 1.0) / 2.0) as i32 as i64;
        }
    }
    if m <= max_expt {
        let ans1 = pow_d(y, m);
        let (ans, mut anse) = dd::frexp(ans1);
        anse += (m * ye as i64) as i32;
        return (ans, anse);
    }
    let q = m / max_expt;
    let r = m % max_expt;
    // y^m = (y^maxExpt)^q * y^r
    let (y2r, y2re) = pow2_scaled_d(y, r);
    let (y2m, y2me) = pow2_scaled_d(y, max_expt);
    let (y2mq, mut y2mqe) = pow2_scaled_d(y2m, q);
    let (ans, mut anse) = dd::frexp(y2r * y2mq);
    y2mqe += (y2me as i64 * q) as i32;
    anse += y2mqe + y2re;
    anse += (m * ye as i64) as i32;
    (ans, anse)
}

/// `((a+b)/(c+d))^m` in double-double.
fn pow4_d(a: f64, b: f64, c: f64, d: f64, m: i64) -> Dd {
    if m <= 0 {
        if m == 0 {
            return Dd::new(1.0);
        }
        return pow4_d(c, d, a, b, -m);
    }
    let aa = Dd::new(a) + b;
    let cc = Dd::new(c) + d;
    if aa.eq_f(0.0) {
        return if cc.eq_f(0.0) {
            Dd {
                hi: f64::NAN,
                lo: f64::NAN,
            }
        } else {
            Dd::new(0.0)
        };
    }
    if cc.eq_f(0.0) {
        let inf = if aa.lt_f(0.0) {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        };
        return Dd { hi: inf, lo: inf };
    }
    pow_d(aa / cc, m)
}

/// One term `A_v(n, x) = C(n,v) (1-x-v/n)^(n-v) (x+v/n)^(v-1)` of the
/// Birnbaum–Tingey sum, with powers and binomial carried as scaled
/// mantissa/exponent pairs.
fn compute_av(n: i64, x: f64, v: i64, cman: Dd, cexpt: i32) -> Dd {
    let nf = n as f64;
    let t2x = Dd::new((n - v) as f64) / nf - x; // 1 - x - v/n
    let (t2, t2e) = pow2_scaled_d(t2x, n - v);
    let t1x = Dd::new(v as f64) / nf + x; // x + v/n
    let (t1, t1e) = pow2_scaled_d(t1x, v - 1);
    let ans = t1 * t2;
    let ans = ans * cman;
    let anse = cexpt + t1e + t2e;
    dd::ldexp(ans, anse)
}

/// `scipy.special.smirnov(n, x)`: `P(D_n^+ >= x)` for the one-sided
/// statistic (only the survival function is ported; SciPy's simultaneous
/// PDF bookkeeping does not affect it). `n` is an `int` in SciPy; sizes
/// beyond `i32` are handled here without SciPy's wrap-around.
fn smirnov(n: i64, x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if !(n > 0 && (0.0..=1.0).contains(&x)) {
        return f64::NAN;
    }
    if n == 1 {
        return 1.0 - x;
    }
    if x == 0.0 {
        return 1.0;
    }
    if x == 1.0 {
        return 0.0;
    }
    let nf = n as f64;
    let (alpha, nxfl, _nx) = mod_nx(n, x);
    let mut n1mxfl = n - nxfl - if alpha == 0.0 { 0 } else { 1 };
    let mut n1mxceil = n - nxfl;
    // With alpha == 0 the last term belongs to neither summation.
    if alpha == 0.0 {
        n1mxfl -= 1;
        n1mxceil += 1;
    }
    // x <= 1/n
    if nxfl == 0 || (nxfl == 1 && alpha == 0.0) {
        let t = pow2(1.0, x, n - 1);
        let cdf = x * t;
        return 1.0 - cdf;
    }
    // sf underflows
    if -2.0 * nf * x * x < CEPHES_MINLOG {
        return 0.0;
    }
    // x >= 1 - 1/n
    if nxfl >= n - 1 {
        return pow2(1.0, -x, n);
    }
    // n too big to sum: p ~ exp(-(6nx+1)^2 / 18n)
    if n > SMIRNOV_MAX_COMPUTE_N {
        let logp = -(6.0 * nf * x + 1.0).powf(2.0) / 18.0 / nf;
        let sf = if logp < -std::f64::consts::LN_2 {
            logp.exp()
        } else {
            let cdf = -cephes_expm1(logp);
            1.0 - cdf
        };
        return clip01(sf);
    }
    // The upper sum alternates in sign; use it only when it has few terms.
    let n_upper_terms = n - n1mxceil + 1;
    let mut use_upper = n_upper_terms <= 1 && x < 0.5;
    use_upper = use_upper
        || (n >= SM_UPPERSUM_MIN_N && n_upper_terms <= SM_UPPER_MAX_TERMS && x <= 0.5 / nf.sqrt());

    let (start, step, n_terms);
    let mut aj_sum = Dd::new(0.0);
    let mut cman = Dd::new(1.0);
    let mut cexpt: i32 = 0;
    let vmid = n / 2;
    let aj;
    if use_upper {
        start = n;
        step = -1;
        n_terms = n - n1mxceil + 1;
        aj = pow4_d(1.0, x, 1.0, 0.0, n - 1);
    } else {
        start = 0;
        step = 1;
        n_terms = n1mxfl + 1;
        let t2 = pow4_d(1.0, -x, 1.0, 0.0, n);
        aj = t2 / x;
    }
    aj_sum = aj_sum + aj;
    update_binomial(&mut cman, &mut cexpt, n, 0);
    let first_j = 1;
    let mut j = first_j;
    while j < n_terms {
        let v = start + j * step;
        let aj = compute_av(n, x, v, cman, cexpt);
        if aj.is_finite() && !aj.eq_f(0.0) {
            aj_sum = aj_sum + aj;
        }
        // Safe to stop early once the remaining terms cannot matter.
        if !aj.eq_f(0.0) {
            if (4 * (n_terms - j)) as f64 * aj.hi.abs() < f64::EPSILON * aj_sum.hi
                && j != n_terms - 1
            {
                break;
            }
        } else if j > vmid {
            break;
        }
        update_binomial(&mut cman, &mut cexpt, n, j);
        j += 1;
    }
    let prob = (x * aj_sum).hi;
    let sf = if step < 0 { 1.0 - prob } else { prob };
    clip01(sf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_element_each_side() {
        let r = ks_2samp_sorted(&[1.0], &[2.0]).unwrap();
        assert_eq!(r.statistic, 1.0);
        assert_eq!(r.location, 1.0);
        assert_eq!(r.method, KsMethod::Exact);
        // scipy.stats.ks_2samp([1], [2]).pvalue == 1.0
        assert_eq!(r.p_value, 1.0);
        let r = ks_2samp_sorted(&[3.0], &[3.0]).unwrap();
        assert_eq!((r.statistic, r.p_value, r.location), (0.0, 1.0, 3.0));
    }

    #[test]
    fn empty_is_none() {
        assert!(statistic_sorted(&[], &[1.0]).is_none());
        assert!(statistic_sorted(&[1.0], &[]).is_none());
        assert!(ks_2samp_sorted(&[], &[]).is_none());
        assert!(p_value(0.5, 0, 3).1.is_nan());
    }

    #[test]
    fn all_ties() {
        let a = [2.0; 7];
        let b = [2.0; 4];
        let r = ks_2samp_sorted(&a, &b).unwrap();
        assert_eq!((r.statistic, r.p_value, r.location), (0.0, 1.0, 2.0));
        // Ties across samples are consumed together: a = [1,1,2], b = [1,2,2].
        let (d, loc) = statistic_sorted(&[1.0, 1.0, 2.0], &[1.0, 2.0, 2.0]).unwrap();
        assert_eq!(d, 2.0 / 3.0 - 1.0 / 3.0);
        assert_eq!(loc, 1.0);
    }

    #[test]
    fn infinities() {
        // Expected values from scipy.stats.ks_2samp (1.17.1).
        let a = [f64::NEG_INFINITY, 0.0, 1.0, f64::INFINITY];
        let b = [f64::NEG_INFINITY, f64::NEG_INFINITY, 5.0, f64::INFINITY];
        // F1 - F2: -inf: 1/4-2/4, 0: 2/4-2/4, 1: 3/4-2/4, 5: 3/4-3/4, inf: 0.
        let r = ks_2samp_sorted(&a, &b).unwrap();
        assert_eq!((r.statistic, r.p_value, r.location), (0.25, 1.0, 1.0));
        let r = ks_2samp_sorted(&[f64::NEG_INFINITY], &[f64::INFINITY]).unwrap();
        assert_eq!(
            (r.statistic, r.p_value, r.location),
            (1.0, 1.0, f64::NEG_INFINITY)
        );
    }

    #[test]
    fn negative_side_and_tie_preference() {
        // b entirely below a: F1 - F2 = -1 at max(b). SciPy: D=1, p=1/3, loc=2.
        let r = ks_2samp_sorted(&[5.0, 6.0], &[1.0, 2.0]).unwrap();
        assert_eq!((r.statistic, r.location), (1.0, 2.0));
        assert!((r.p_value - 1.0 / 3.0).abs() < 1e-15);
        // +0.5 and -0.5 both attained: SciPy keeps the positive side (loc 1).
        let (d, loc) = statistic_sorted(&[1.0, 4.0], &[2.0, 3.0]).unwrap();
        assert_eq!((d, loc), (0.5, 1.0));
    }

    #[test]
    fn nan_does_not_hang() {
        let _ = statistic_sorted(&[f64::NAN, 1.0], &[0.5, f64::NAN]);
    }

    #[test]
    fn kstwo_support_edges() {
        assert_eq!(kstwo_sf(0.0, 10), 1.0);
        assert_eq!(kstwo_sf(0.05, 10), 1.0);
        assert_eq!(kstwo_sf(1.0, 10), 0.0);
        assert_eq!(kstwo_sf(2.0, 10), 0.0);
        assert!(kstwo_sf(0.3, 0).is_nan());
        assert!(kstwo_sf(f64::NAN, 5).is_nan());
        // n = 1: D_1 is uniform on [1/2, 1]: sf(x) = 2(1-x).
        assert!((kstwo_sf(0.75, 1) - 0.5).abs() < 1e-15);
    }

    #[test]
    fn frexp_ldexp_roundtrip() {
        for &x in &[1.0, 0.5, 3.0, -7.25, 1e-310, 5e-324, 1e300, -0.0] {
            let (m, e) = frexp(x);
            assert_eq!(ldexp(m, e), x);
            if x != 0.0 {
                assert!((0.5..1.0).contains(&m.abs()));
            }
        }
    }
}
