//! The few points of an empirical CDF a report keeps to draw it.

/// How many points of each ECDF a report keeps for pictures (`lastgood report --html`).
pub const ECDF_POINTS: usize = 256;

/// About [`ECDF_POINTS`] `[x, F(x)]` pairs of a sorted sample's right-continuous ECDF, at evenly
/// spaced ranks (always the minimum and the maximum), ties collapsed.
pub fn ecdf_points(sorted: &[f64]) -> Vec<[f64; 2]> {
    let n = sorted.len();
    let mut out: Vec<[f64; 2]> = Vec::with_capacity(ECDF_POINTS + 1);
    if n == 0 {
        return out;
    }
    for i in 0..=ECDF_POINTS {
        let x = sorted[i * (n - 1) / ECDF_POINTS];
        if out.last().is_some_and(|p| p[0] == x) {
            continue;
        }
        let at_or_below = sorted.partition_point(|v| *v <= x);
        out.push([x, at_or_below as f64 / n as f64]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::ecdf_points;

    #[test]
    fn ecdf_points_are_the_right_continuous_ecdf() {
        let v: Vec<f64> = (0..1000).map(|i| (i / 10) as f64).collect();
        let p = ecdf_points(&v);
        assert_eq!(p.first(), Some(&[0.0, 0.01]));
        assert_eq!(p.last(), Some(&[99.0, 1.0]));
        assert!(p.len() <= 100, "ties collapse");
        assert!(p.windows(2).all(|w| w[0][0] < w[1][0] && w[0][1] < w[1][1]));
        assert!(ecdf_points(&[]).is_empty());
    }
}
