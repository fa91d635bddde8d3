//! The keyed and unique gates through the real binary: exact numbers against DuckDB on the same
//! Parquet files (tests/consumers/keyed_duckdb.py), and every edge with a verdict or a one-line
//! error.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use lastgood::gates::keyed::KeyedFacts;
use lastgood::gates::unique::UniqueFacts;
use lastgood::gates::{Facts, GateResult, Outcome, Report};
use lastgood::stats::keyed::ColumnChange;
use lastgood::synth::Rng;
use parquet::arrow::ArrowWriter;

use crate::util::*;

type Row = (Option<String>, Option<f64>, Option<&'static str>);

const SEGMENTS: [&str; 6] = ["consumer", "smb", "enterprise", "public", "edu", "partner"];

/// Writes rows as `files` Parquet files (columns `key`, score, segment).
fn write(dir: &Path, key: &str, rows: &[Row], files: usize) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let schema = Arc::new(Schema::new(vec![
        Field::new(key, DataType::Utf8, true),
        Field::new("score", DataType::Float64, true),
        Field::new("segment", DataType::Utf8, true),
    ]));
    let per = rows.len().div_ceil(files).max(1);
    let chunks: Vec<&[Row]> = if rows.is_empty() {
        vec![&[]]
    } else {
        rows.chunks(per).collect()
    };
    for (i, chunk) in chunks.into_iter().enumerate() {
        let cols: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from(
                chunk.iter().map(|r| r.0.clone()).collect::<Vec<_>>(),
            )),
            Arc::new(Float64Array::from(
                chunk.iter().map(|r| r.1).collect::<Vec<_>>(),
            )),
            Arc::new(StringArray::from(
                chunk.iter().map(|r| r.2).collect::<Vec<_>>(),
            )),
        ];
        let batch = RecordBatch::try_new(schema.clone(), cols).unwrap();
        let f = std::fs::File::create(dir.join(format!("part-{i:03}.parquet"))).unwrap();
        let mut w = ArrowWriter::try_new(f, schema.clone(), None).unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
    }
    dir.to_path_buf()
}

/// Keys longer than 15 bytes (stored aside, compared as bytes).
fn key(i: usize) -> Option<String> {
    Some(format!("customer-{i:08}"))
}

/// A baseline night and a candidate night with every case mixed in: keys only on one side, null
/// keys, duplicated keys, unchanged, moved and nudged scores, nulls and NaN both ways, changed
/// segments.
fn nights(n: usize) -> (Vec<Row>, Vec<Row>) {
    let mut rng = Rng::new(42);
    let scores: Vec<f64> = (0..n + 500).map(|_| rng.uniform()).collect();
    let mut base = Vec::new();
    for i in 0..n {
        let k = if i % 997 == 0 { None } else { key(i) };
        let v = if i % 331 == 0 {
            None
        } else if i % 337 == 0 {
            Some(f64::NAN)
        } else {
            Some(scores[i])
        };
        let row = (k, v, Some(SEGMENTS[i % 6]));
        if i % 1009 == 0 {
            base.push(row.clone());
        }
        base.push(row);
    }
    let mut cand = Vec::new();
    for i in 500..n + 500 {
        let k = if i % 991 == 0 { None } else { key(i) };
        let v = if i % 401 == 0 {
            None
        } else if i % 409 == 0 {
            Some(f64::NAN)
        } else {
            Some(match i % 5 {
                0 => scores[i],
                1 => scores[i] + 0.3,
                _ => scores[i] + (rng.uniform() - 0.5) / 10.0,
            })
        };
        let g = if i % 503 == 0 {
            None
        } else {
            Some(SEGMENTS[(i + usize::from(i % 7 == 0)) % 6])
        };
        let row = (k, v, g);
        if i % 1013 == 0 {
            cand.push(row.clone());
        }
        cand.push(row);
    }
    (base, cand)
}

const GATES: &str = r#"
[[gate]]
name = "same_customers"
kind = "keyed"
key = ["customer_id"]
columns = ["score", "segment"]
tolerance = 0.2
min_matched_share = 0.99
max_moved_share = 0.5
min_spearman = 0.5
max_changed_share = 0.5

[[gate]]
name = "one_row_per_customer"
kind = "unique"
key = ["customer_id"]
"#;

/// Publishes `base` (promoted) and `cand` (not promoted) as versions `base` and `cand` of a fresh
/// dataset, then validates `cand` with `gates`: the report (exit 0 or 3).
fn judge(cwd: &Path, name: &str, base: &Path, cand: &Path, gates: &str) -> Report {
    let root = cwd.join(format!("lake-{name}"));
    let file = cwd.join(format!("{name}.toml"));
    std::fs::write(&file, gates).unwrap();
    for (src, version, extra) in [(base, "base", None), (cand, "cand", Some("--no-promote"))] {
        let mut args = vec![
            "publish",
            "d",
            src.to_str().unwrap(),
            "--version",
            version,
            "--validations",
            file.to_str().unwrap(),
            "--json",
        ];
        args.extend(extra);
        let o = lastgood(cwd, &root, &args);
        assert!(
            matches!(code(&o), 0 | 3),
            "{name} {version}: {}",
            stderr(&o)
        );
    }
    let o = lastgood(
        cwd,
        &root,
        &[
            "validate",
            "d",
            "cand",
            "--against",
            "base",
            "--validations",
            file.to_str().unwrap(),
            "--charts",
            "--json",
        ],
    );
    assert!(matches!(code(&o), 0 | 3), "{name}: {}", stderr(&o));
    assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
    // Every stored report matches the gate report's JSON Schema.
    let schema = crate::schemas::validator("gate-report.schema.json");
    for report in reports(&root) {
        crate::schemas::check(&schema, &report);
    }
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(&o)))
}

/// The stored gate reports under a root.
fn reports(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(reports(&p));
        } else if p.parent().is_some_and(|d| d.ends_with("reports")) {
            out.push(p);
        }
    }
    out
}

fn result<'a>(r: &'a Report, name: &str, column: Option<&str>) -> &'a GateResult {
    r.gates
        .iter()
        .find(|g| g.name == name && g.column.as_deref() == column)
        .unwrap_or_else(|| panic!("no {name} {column:?} in {:#?}", r.gates))
}

fn keyed(g: &GateResult) -> &KeyedFacts {
    match &g.facts {
        Facts::Keyed(f) => f,
        other => panic!("not keyed: {other:?}"),
    }
}

fn unique(g: &GateResult) -> &UniqueFacts {
    match &g.facts {
        Facts::Unique(f) => f,
        other => panic!("not unique: {other:?}"),
    }
}

/// Every count and measure of the keyed gate equals DuckDB's on the same files.
#[test]
fn keyed_numbers_equal_duckdb() {
    let python = python_with("duckdb");
    let t = tempfile::tempdir().unwrap();
    let cwd = t.path();
    let (b, c) = nights(20_000);
    let base = write(&cwd.join("base"), "customer_id", &b, 2);
    let cand = write(&cwd.join("cand"), "customer_id", &c, 3);
    let r = judge(cwd, "mixed", &base, &cand, GATES);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/consumers/keyed_duckdb.py");
    let o = std::process::Command::new(python)
        .arg(script)
        .args([base.to_str().unwrap(), cand.to_str().unwrap()])
        .args(["customer_id", "score", "segment", "0.2"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let d: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let n = |k: &str| d[k].as_u64().unwrap_or_else(|| panic!("{k}: {d}"));
    let x = |k: &str| d[k].as_f64().unwrap_or_else(|| panic!("{k}: {d}"));

    let keys_result = result(&r, "same_customers", None);
    let k = keyed(keys_result).keys.as_ref().unwrap();
    let kb = k.baseline.as_ref().unwrap();
    assert_eq!(
        (
            kb.rows,
            kb.null_keys,
            kb.distinct,
            kb.duplicated,
            kb.duplicate_rows
        ),
        (
            n("rows_b"),
            n("null_b"),
            n("distinct_b"),
            n("duplicated_b"),
            n("duplicate_rows_b")
        )
    );
    let kc = &k.candidate;
    assert_eq!(
        (
            kc.rows,
            kc.null_keys,
            kc.distinct,
            kc.duplicated,
            kc.duplicate_rows
        ),
        (
            n("rows_c"),
            n("null_c"),
            n("distinct_c"),
            n("duplicated_c"),
            n("duplicate_rows_c")
        )
    );
    assert_eq!(
        (k.matched, k.compared, k.only_baseline, k.only_candidate),
        (
            n("matched"),
            n("compared"),
            n("only_baseline"),
            n("only_candidate")
        )
    );
    let share = n("matched") as f64 / n("distinct_b") as f64;
    assert!((k.matched_share.unwrap() - share).abs() < 1e-15);
    assert!(
        kc.duplicated > 0 && kb.null_keys > 0 && k.matched_duplicated > 0,
        "{k:?}"
    );
    // 97.5% matched < 0.99: the keys result fails, naming the share.
    assert_eq!(
        keys_result.outcome,
        Outcome::Fail,
        "{}",
        keys_result.message
    );
    assert!(
        keys_result.message.contains("matched share"),
        "{}",
        keys_result.message
    );

    let score = result(&r, "same_customers", Some("score"));
    let Some(ColumnChange::Numeric(s)) = keyed(score).change.as_deref() else {
        panic!("{score:?}")
    };
    assert_eq!(s.pairs, n("compared"));
    assert_eq!((s.moved, s.unchanged), (n("moved"), n("unchanged")));
    let m = &s.missing;
    assert_eq!(
        (
            m.null_to_value,
            m.value_to_null,
            m.nan_to_value,
            m.value_to_nan,
            m.both_null,
            m.both_nan
        ),
        (
            n("null_to_value"),
            n("value_to_null"),
            n("nan_to_value"),
            n("value_to_nan"),
            n("both_null"),
            n("both_nan")
        )
    );
    assert!(m.null_to_value > 0 && m.value_to_null > 0 && m.value_to_nan > 0 && m.nan_to_value > 0);
    assert_eq!(s.finite_pairs, n("finite_pairs"));
    for (ours, theirs) in [
        (s.pearson, x("pearson")),
        (s.spearman, x("spearman")),
        (s.mean_abs_change, x("mean_abs_change")),
    ] {
        let ours = ours.unwrap();
        assert!((ours - theirs).abs() < 1e-9, "{ours} vs DuckDB {theirs}");
    }
    assert_eq!(score.outcome, Outcome::Pass, "{}", score.message);
    let h = s.histogram.as_ref().expect("--charts keeps the histogram");
    assert_eq!(h.counts.iter().sum::<u64>(), s.finite_pairs);
    assert_eq!(h.edges.len(), h.counts.len() + 1);

    let seg = result(&r, "same_customers", Some("segment"));
    let Some(ColumnChange::Categorical(g)) = keyed(seg).change.as_deref() else {
        panic!("{seg:?}")
    };
    assert_eq!((g.pairs, g.changed), (n("compared"), n("changed")));
    assert_eq!(seg.outcome, Outcome::Pass);

    let u = result(&r, "one_row_per_customer", None);
    let uf = unique(u).observed.as_ref().unwrap();
    assert_eq!(
        (uf.duplicate_rows, uf.duplicated_keys, uf.null_keys),
        (n("duplicate_rows_c"), n("duplicated_c"), n("null_c"))
    );
    assert_eq!(u.outcome, Outcome::Fail);
    assert!(u.message.contains("e.g. customer-"), "{}", u.message);
    assert!(!r.passed);

    // The schema is not vacuous for these kinds: a keyed column result without its counts fails.
    let schema = crate::schemas::validator("gate-report.schema.json");
    let mut changed = 0;
    for stored in reports(&cwd.join("lake-mixed")) {
        let mut doc: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&stored).unwrap()).unwrap();
        assert!(schema.is_valid(&doc));
        let before = changed;
        for g in doc["gates"].as_array_mut().unwrap() {
            if g["kind"] == "keyed" && g["column"] == "score" && g["outcome"] == "pass" {
                g["change"].as_object_mut().unwrap().remove("moved");
                changed += 1;
            }
        }
        if changed > before {
            assert!(!schema.is_valid(&doc));
        }
    }
    assert!(changed > 0);
}

/// No overlap, all keys duplicated, a key column missing on one side, one row, an empty side, a
/// slice of one row: each a clear verdict or a one-line error.
#[test]
fn keyed_and_unique_edges() {
    let t = tempfile::tempdir().unwrap();
    let cwd = t.path();
    let row = |i: usize, v: f64| -> Row { (key(i), Some(v), Some(SEGMENTS[i % 6])) };
    let base_rows: Vec<Row> = (0..200).map(|i| row(i, i as f64 / 200.0)).collect();
    let base = write(&cwd.join("base"), "customer_id", &base_rows, 1);

    // No key in common: nothing matched, nothing compared.
    let other: Vec<Row> = (1000..1200).map(|i| row(i, 0.5)).collect();
    let r = judge(
        cwd,
        "disjoint",
        &base,
        &write(&cwd.join("disjoint"), "customer_id", &other, 1),
        GATES,
    );
    let k = result(&r, "same_customers", None);
    assert_eq!(k.outcome, Outcome::Fail);
    assert_eq!(keyed(k).keys.as_ref().unwrap().matched, 0);
    let s = result(&r, "same_customers", Some("score"));
    assert_eq!(s.outcome, Outcome::Fail);
    assert!(
        s.message.contains("undefined (nothing to compare)"),
        "{}",
        s.message
    );
    assert_eq!(
        result(&r, "one_row_per_customer", None).outcome,
        Outcome::Pass
    );

    // Every key twice: matched, none compared; unique fails with the count.
    let twice: Vec<Row> = base_rows
        .iter()
        .flat_map(|r| [r.clone(), r.clone()])
        .collect();
    let r = judge(
        cwd,
        "twice",
        &base,
        &write(&cwd.join("twice"), "customer_id", &twice, 2),
        GATES,
    );
    let k = keyed(result(&r, "same_customers", None))
        .keys
        .clone()
        .unwrap();
    assert_eq!((k.matched, k.compared, k.matched_duplicated), (200, 0, 200));
    assert_eq!(k.candidate.duplicate_rows, 200);
    let u = result(&r, "one_row_per_customer", None);
    assert_eq!(
        (
            u.outcome,
            unique(u).observed.as_ref().unwrap().duplicate_rows
        ),
        (Outcome::Fail, 200)
    );

    // Null keys only: unique fails on them.
    let nulls: Vec<Row> = (0..5)
        .map(|i| (None, Some(i as f64), Some("smb")))
        .collect();
    let r = judge(
        cwd,
        "nullkeys",
        &base,
        &write(&cwd.join("nullkeys"), "customer_id", &nulls, 1),
        GATES,
    );
    let u = result(&r, "one_row_per_customer", None);
    assert_eq!(
        (u.outcome, unique(u).observed.as_ref().unwrap().null_keys),
        (Outcome::Fail, 5)
    );

    // The key column missing in the candidate: one error line per gate, exit 3, no panic.
    let renamed = write(&cwd.join("renamed"), "cust", &base_rows, 1);
    let r = judge(cwd, "renamed", &base, &renamed, GATES);
    for name in ["same_customers", "one_row_per_customer"] {
        let g = result(&r, name, None);
        assert_eq!(g.outcome, Outcome::Error, "{g:?}");
        assert!(
            g.message
                .contains("no key column \"customer_id\" in the candidate"),
            "{}",
            g.message
        );
        assert_eq!(g.message.lines().count(), 1);
    }

    // One row: a verdict (Spearman undefined: the gate says so).
    let one = write(&cwd.join("one"), "customer_id", &base_rows[..1], 1);
    let r = judge(cwd, "one", &base, &one, GATES);
    let k = keyed(result(&r, "same_customers", None))
        .keys
        .clone()
        .unwrap();
    assert_eq!((k.matched, k.compared, k.only_baseline), (1, 1, 199));
    let s = result(&r, "same_customers", Some("score"));
    assert_eq!(s.outcome, Outcome::Fail);
    assert!(s.message.contains("Spearman undefined"), "{}", s.message);

    // An empty candidate: nothing matched (fails); unique has nothing to object to.
    let empty = write(&cwd.join("empty"), "customer_id", &[], 1);
    let r = judge(cwd, "empty", &base, &empty, GATES);
    assert_eq!(result(&r, "same_customers", None).outcome, Outcome::Fail);
    assert_eq!(
        result(&r, "one_row_per_customer", None).outcome,
        Outcome::Pass
    );
    // An empty baseline: nothing to compare with (skipped), stated.
    let r = judge(cwd, "emptybase", &empty, &base, GATES);
    let k = result(&r, "same_customers", None);
    assert_eq!(k.outcome, Outcome::Skipped);
    assert!(k.message.contains("no rows"), "{}", k.message);

    // Sliced by segment, a slice of one row on each side (not the same key): judged per slice,
    // that slice fails and comes first.
    let mut sliced = base_rows.clone();
    sliced.push((key(5000), Some(0.5), Some("solo")));
    let mut base_rows = base_rows;
    base_rows.push((key(6000), Some(0.5), Some("solo")));
    let base = write(&cwd.join("base-solo"), "customer_id", &base_rows, 1);
    let by = "[[gate]]\nname = \"per_segment\"\nkind = \"keyed\"\nkey = [\"customer_id\"]\ncolumns = [\"score\"]\nby = [\"segment\"]\nmin_slice_rows = 1\nmin_matched_share = 0.9\n";
    let r = judge(
        cwd,
        "sliced",
        &base,
        &write(&cwd.join("sliced"), "customer_id", &sliced, 1),
        by,
    );
    let g = &r.gates[0];
    assert_eq!(g.slices[0].label(), "segment=solo", "{g:#?}");
    assert_eq!(g.slices[0].outcome, Outcome::Fail, "{g:#?}");
    assert_eq!(
        g.outcome,
        Outcome::Fail,
        "the solo slice matches nothing: {}",
        g.message
    );
    assert!(
        g.slices[1..].iter().all(|s| s.outcome == Outcome::Pass),
        "{g:#?}"
    );
}
