//! The KS port against SciPy: every fixture in `tests/fixtures/ks` (written by
//! `make_fixtures.py` from `scipy.stats.ks_2samp` / `scipy.stats.kstwo.sf`).
//!
//! Tolerances: statistic 1e-12 absolute (same float operations as NumPy);
//! p-value 1e-3 relative, or 1e-12 absolute when SciPy's p is below 1e-300; `kstwo.sf` 1e-6 relative. The method and `statistic_location` must
//! match exactly.

use std::path::PathBuf;

use lastgood::stats::ks::{KsMethod, ks_2samp_sorted, kstwo_sf};
use serde_json::Value;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/ks");

fn fixture_dir() -> PathBuf {
    PathBuf::from(FIXTURES)
}

/// A JSON number, or the strings "inf" / "-inf" (JSON has no infinities).
fn num(v: &Value) -> f64 {
    match v {
        Value::Number(n) => n.as_f64().expect("f64"),
        Value::String(s) if s == "inf" => f64::INFINITY,
        Value::String(s) if s == "-inf" => f64::NEG_INFINITY,
        other => panic!("not a number: {other}"),
    }
}

fn sorted(v: &Value) -> Vec<f64> {
    let mut xs: Vec<f64> = v.as_array().expect("array").iter().map(num).collect();
    xs.sort_by(f64::total_cmp);
    xs
}

fn rel_err(got: f64, want: f64) -> f64 {
    if got == want {
        0.0
    } else {
        (got - want).abs() / want.abs()
    }
}

#[test]
fn ks_2samp_matches_scipy() {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(fixture_dir())
        .expect("fixture dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .filter(|p| p.file_name().is_some_and(|n| n != "kstwo.json"))
        .collect();
    cases.sort();
    assert!(
        cases.len() >= 10,
        "expected the KS fixtures, found {}",
        cases.len()
    );
    let mut failures = Vec::new();
    for path in &cases {
        let doc: Value =
            serde_json::from_str(&std::fs::read_to_string(path).expect("read")).expect("json");
        let name = doc["name"].as_str().expect("name");
        let (a, b) = (sorted(&doc["a"]), sorted(&doc["b"]));
        let want_d = num(&doc["statistic"]);
        let want_p = num(&doc["p_value"]);
        let want_loc = num(&doc["location"]);
        let want_method = match doc["method"].as_str().expect("method") {
            "exact" => KsMethod::Exact,
            "asymptotic" => KsMethod::Asymptotic,
            other => panic!("{name}: unknown method {other}"),
        };
        let r = ks_2samp_sorted(&a, &b).expect("non-empty samples");
        let d_err = (r.statistic - want_d).abs();
        // Below 1e-300 a relative comparison is meaningless: compare absolutely.
        let tiny = want_p < 1e-300;
        let p_err = if tiny {
            (r.p_value - want_p).abs()
        } else {
            rel_err(r.p_value, want_p)
        };
        eprintln!(
            "{name:28} D={:.17} |dD|={d_err:.2e}  p={:.17e} {}={p_err:.2e}  {:?}",
            r.statistic,
            r.p_value,
            if tiny { "abs" } else { "rel" },
            r.method
        );
        if d_err > 1e-12 {
            failures.push(format!(
                "{name}: statistic {} vs scipy {want_d}",
                r.statistic
            ));
        }
        if p_err.is_nan() || p_err > if tiny { 1e-12 } else { 1e-3 } {
            failures.push(format!("{name}: p-value {} vs scipy {want_p}", r.p_value));
        }
        if r.method != want_method {
            failures.push(format!(
                "{name}: method {:?} vs scipy {want_method:?}",
                r.method
            ));
        }
        if r.location != want_loc {
            failures.push(format!(
                "{name}: location {} vs scipy {want_loc}",
                r.location
            ));
        }
        assert_eq!(
            (r.n1, r.n2),
            (a.len() as u64, b.len() as u64),
            "{name}: sizes"
        );
    }
    assert!(
        failures.is_empty(),
        "mismatches against SciPy:\n{}",
        failures.join("\n")
    );
}

#[test]
fn kstwo_sf_matches_scipy() {
    let path = fixture_dir().join("kstwo.json");
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("read")).expect("json");
    let points = doc["points"].as_array().expect("points");
    assert!(!points.is_empty());
    let mut failures = Vec::new();
    for p in points {
        let n = p["n"].as_u64().expect("n");
        let x = num(&p["x"]);
        let want = num(&p["sf"]);
        let got = kstwo_sf(x, n);
        let err = rel_err(got, want);
        eprintln!("kstwo.sf(x={x:e}, n={n:7}) = {got:.17e} scipy {want:.17e} rel={err:.2e}");
        if err.is_nan() || err > 1e-6 {
            failures.push(format!("kstwo.sf({x}, {n}) = {got} vs scipy {want}"));
        }
    }
    assert!(
        failures.is_empty(),
        "mismatches against SciPy:\n{}",
        failures.join("\n")
    );
}
