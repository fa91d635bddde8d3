//! Gates end to end: the real binary judging generated nights against the last-known-good, and the
//! edge cases on the library.

use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{Field, Schema};
use lastgood::gates::ks::KsFacts;
use lastgood::gates::null_rate::NullRateFacts;
use lastgood::gates::{Facts, Outcome, Report, Validations};
use lastgood::ops::publish::{PublishOptions, PublishOutcome, publish};
use lastgood::ops::status::PointerStatus;
use lastgood::ops::validate::{Rules, validate};
use lastgood::synth::Variant;
use lastgood::{Context, Dataset, DatasetName, Store, VersionId};

use crate::util::*;

const ROWS: usize = 20_000;

fn gate<'a>(
    out: &'a PublishOutcome,
    name: &str,
    column: Option<&str>,
) -> &'a lastgood::gates::GateResult {
    out.gates
        .iter()
        .find(|g| g.name == name && g.column.as_deref() == column)
        .unwrap_or_else(|| panic!("no gate {name} {column:?} in {:#?}", out.gates))
}

/// Publishes a good baseline, then each bad night: exit 3, the named gate fails, the pointer stays.
#[test]
fn bad_nights_fail_their_gate_and_leave_the_pointer() {
    let t = tempfile::tempdir().unwrap();
    let (cwd, root) = (t.path(), t.path().join("lake"));
    let base = data(cwd, "base", ROWS, 2, 1, Variant::Good);
    let first: PublishOutcome = ok_json(&lastgood(
        cwd,
        &root,
        &["publish", "churn", base.to_str().unwrap(), "--json"],
    ));
    assert!(first.passed && first.promoted);
    assert_eq!(first.baseline, None);
    assert_eq!(
        gate(&first, "ks", Some("score")).outcome,
        Outcome::Skipped,
        "no baseline on the first publish"
    );
    assert_eq!(
        gate(&first, "null_rate", Some("score")).outcome,
        Outcome::Pass,
        "gates without a baseline still run"
    );

    let cases = [
        (Variant::Shift, "ks", Some("score")),
        (Variant::Nulls, "null_rate", Some("spend_30d")),
        (Variant::DropCol, "schema", None),
        (Variant::Retype, "schema", None),
    ];
    for (i, (variant, name, column)) in cases.into_iter().enumerate() {
        let src = data(cwd, &format!("bad{i}"), ROWS, 2, 10 + i as u64, variant);
        let o = lastgood(
            cwd,
            &root,
            &["publish", "churn", src.to_str().unwrap(), "--json"],
        );
        assert_eq!(code(&o), 3, "{variant:?}: {}", stderr(&o));
        assert!(
            stderr(&o).starts_with("lastgood: gates failed for churn/"),
            "{}",
            stderr(&o)
        );
        let out: PublishOutcome = serde_json::from_slice(&o.stdout).unwrap();
        assert!(!out.passed && !out.promoted);
        assert_eq!(out.baseline.as_deref(), Some(first.version.as_str()));
        let g = gate(&out, name, column);
        assert_eq!(g.outcome, Outcome::Fail, "{variant:?}: {g:#?}");
        let show: PointerStatus = ok_json(&lastgood(
            cwd,
            &root,
            &["pointer", "show", "churn", "--json"],
        ));
        assert_eq!(
            show.version.as_deref(),
            Some(first.version.as_str()),
            "{variant:?}: the pointer stayed"
        );
        // The evidence stays beside the sealed version.
        let report = root.join("churn").join(out.report.as_ref().unwrap());
        let stored: Report = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
        assert!(!stored.passed);
        // pointer set refuses it without --force.
        let set = lastgood(
            cwd,
            &root,
            &["pointer", "set", "churn", &out.version, "--reason", "try"],
        );
        fails_with(&set, 4, "failed its gates");
    }

    // The KS gate reports the numbers asked for.
    let shifted: PublishOutcome = serde_json::from_slice(
        &lastgood(
            cwd,
            &root,
            &[
                "publish",
                "churn",
                cwd.join("bad0").to_str().unwrap(),
                "--json",
            ],
        )
        .stdout,
    )
    .unwrap();
    let ks = gate(&shifted, "ks", Some("score"));
    let Facts::Ks(KsFacts {
        test: Some(test), ..
    }) = &ks.facts
    else {
        panic!("no KS test: {ks:#?}")
    };
    assert!(test.statistic > 0.1 && test.p_value < 0.001, "{test:#?}");
    assert_eq!(
        (test.n_candidate, test.n_baseline),
        (ROWS as u64, ROWS as u64)
    );

    // A good night and an additive night pass and are promoted.
    for (name, variant, seed) in [("good", Variant::Good, 30), ("added", Variant::AddCol, 31)] {
        let src = data(cwd, name, ROWS, 2, seed, variant);
        let out: PublishOutcome = ok_json(&lastgood(
            cwd,
            &root,
            &["publish", "churn", src.to_str().unwrap(), "--json"],
        ));
        assert!(out.passed && out.promoted, "{name}: {:#?}", out.gates);
        assert!(
            out.gates
                .iter()
                .all(|g| g.outcome != Outcome::Fail && g.outcome != Outcome::Error)
        );
    }
    let h: Vec<lastgood::pointer::LogEntry> = ok_json(&lastgood(
        cwd,
        &root,
        &["pointer", "history", "churn", "--json"],
    ));
    assert_eq!(h.len(), 3, "only the passing publishes moved the pointer");
    let verdict = h[0]
        .verdict
        .as_ref()
        .expect("the entry carries the verdict");
    assert!(verdict.passed);
    assert!(verdict.report.starts_with("versions/"));

    // Human output: the verdict first, a table of gates.
    let src = data(cwd, "shift2", ROWS, 1, 40, Variant::Shift);
    let o = lastgood(cwd, &root, &["publish", "churn", src.to_str().unwrap()]);
    assert_eq!(code(&o), 3);
    let text = stdout(&o);
    assert!(text.starts_with("FAILED churn/"), "{text}");
    assert!(
        text.contains("VERDICT") && text.contains("FAIL ") && text.contains("score"),
        "{text}"
    );
}

#[test]
fn validate_runs_gates_without_moving_anything() {
    let t = tempfile::tempdir().unwrap();
    let (cwd, root) = (t.path(), t.path().join("lake"));
    let a = data(cwd, "a", ROWS, 1, 1, Variant::Good);
    let b = data(cwd, "b", ROWS, 1, 2, Variant::Shift);
    let pa: PublishOutcome = ok_json(&lastgood(
        cwd,
        &root,
        &[
            "publish",
            "churn",
            a.to_str().unwrap(),
            "--version",
            "a",
            "--json",
        ],
    ));
    let pb = lastgood(
        cwd,
        &root,
        &[
            "publish",
            "churn",
            b.to_str().unwrap(),
            "--version",
            "b",
            "--no-promote",
            "--json",
        ],
    );
    assert_eq!(code(&pb), 3, "--no-promote still judges");
    let o = lastgood(cwd, &root, &["validate", "churn", "b", "--json"]);
    assert_eq!(code(&o), 3);
    let r: Report = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        (r.version.as_str(), r.baseline.as_deref(), r.passed),
        ("b", Some("a"), false)
    );
    for key in ["version", "baseline", "passed", "gates"] {
        assert!(serde_json::to_value(&r).unwrap().get(key).is_some());
    }
    // Against itself there is nothing to find; a warn-only file never blocks.
    let same: Report = ok_json(&lastgood(
        cwd,
        &root,
        &["validate", "churn", "a", "--against", "a", "--json"],
    ));
    assert!(same.passed);
    std::fs::write(cwd.join("warn.toml"), "[[gate]]\nname = \"drift\"\nkind = \"ks\"\ncolumn = \"score\"\nmax_statistic = 0.05\nseverity = \"warn\"\n").unwrap();
    let warned: Report = ok_json(&lastgood(
        cwd,
        &root,
        &[
            "validate",
            "churn",
            "b",
            "--validations",
            "warn.toml",
            "--json",
        ],
    ));
    assert!(warned.passed);
    assert_eq!(warned.gates[0].outcome, Outcome::Fail);
    assert_eq!(
        warned
            .validations
            .checksum
            .as_deref()
            .map(|s| s.starts_with("blake3:")),
        Some(true)
    );
    let show: PointerStatus = ok_json(&lastgood(
        cwd,
        &root,
        &["pointer", "show", "churn", "--json"],
    ));
    assert_eq!(show.version.as_deref(), Some(pa.version.as_str()));
}

#[test]
fn validations_file_and_contract_from_the_conventional_places() {
    let t = tempfile::tempdir().unwrap();
    let (cwd, root) = (t.path(), t.path().join("lake"));
    std::fs::create_dir_all(cwd.join("validations")).unwrap();
    std::fs::create_dir_all(cwd.join("schemas")).unwrap();
    std::fs::write(
        cwd.join("validations/churn.toml"),
        r#"
[[gate]]
name = "score_range"
kind = "sql"
query = "select min(score) >= 0 and max(score) <= 1 from candidate"
expect = true

[[gate]]
name = "unique_ids"
kind = "sql"
query = "select count(*) - count(distinct customer_id) from candidate"
max = 0

[[gate]]
name = "segment_mix"
kind = "distribution"
column = "segment"
max_change = 0.05
max_psi = 0.1

[[gate]]
name = "rows"
kind = "row_count"
min_ratio = 0.9
max_ratio = 1.1
"#,
    )
    .unwrap();
    std::fs::write(
        cwd.join("schemas/churn.contract.json"),
        r#"{"dataset": "churn", "columns": [
            {"name": "customer_id", "type": "Utf8", "nullable": false},
            {"name": "score", "type": "Float64", "nullable": true},
            {"name": "segment", "type": "Utf8"}]}"#,
    )
    .unwrap();
    let a = data(cwd, "a", ROWS, 1, 1, Variant::Good);
    let out: PublishOutcome = ok_json(&lastgood(
        cwd,
        &root,
        &["publish", "churn", a.to_str().unwrap(), "--json"],
    ));
    let names: Vec<&str> = out.gates.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(
        names,
        vec![
            "score_range",
            "unique_ids",
            "segment_mix",
            "rows",
            "contract"
        ],
        "the file replaces the defaults; the contract is checked"
    );
    assert!(out.passed, "{:#?}", out.gates);
    let b = data(cwd, "b", ROWS / 2, 1, 2, Variant::Good);
    let o = lastgood(
        cwd,
        &root,
        &["publish", "churn", b.to_str().unwrap(), "--json"],
    );
    assert_eq!(code(&o), 3);
    let out: PublishOutcome = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(gate(&out, "rows", None).outcome, Outcome::Fail);
    assert_eq!(gate(&out, "score_range", None).outcome, Outcome::Pass);
    let dropped = data(cwd, "dropped", ROWS, 1, 3, Variant::DropCol);
    let o = lastgood(
        cwd,
        &root,
        &["publish", "churn", dropped.to_str().unwrap(), "--json"],
    );
    let out: PublishOutcome = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(gate(&out, "contract", None).outcome, Outcome::Fail);
    assert_eq!(
        gate(&out, "segment_mix", Some("segment")).outcome,
        Outcome::Error
    );

    // Bad validations files: one line, exit 2, with what is wrong and where.
    std::fs::write(cwd.join("bad_kind.toml"), "[[gate]]\nkind = \"entropy\"\n").unwrap();
    std::fs::write(
        cwd.join("bad_toml.toml"),
        "[[gate]]\nkind = \"ks\"\nmax_statistic = = 0.1\n",
    )
    .unwrap();
    std::fs::write(
        cwd.join("bad_field.toml"),
        "[[gate]]\nkind = \"ks\"\ncolumn = \"score\"\nmax_stat = 0.1\n",
    )
    .unwrap();
    for (file, needle) in [
        ("bad_kind.toml", "unknown kind \"entropy\""),
        ("bad_toml.toml", "line 3, column"),
        ("bad_field.toml", "unknown field `max_stat`"),
    ] {
        fails_with(
            &lastgood(
                cwd,
                &root,
                &["validate", "churn", &out.version, "--validations", file],
            ),
            2,
            needle,
        );
    }
}

// --- edge cases on the library -----------------------------------------------------------------

fn write(dir: &std::path::Path, name: &str, cols: Vec<(&str, ArrayRef)>) -> String {
    let fields: Vec<Field> = cols
        .iter()
        .map(|(n, a)| Field::new(*n, a.data_type().clone(), true))
        .collect();
    let batch = RecordBatch::try_new(
        Arc::new(Schema::new(fields)),
        cols.into_iter().map(|(_, a)| a).collect(),
    )
    .unwrap();
    let path = dir.join(name);
    std::fs::create_dir_all(&path).unwrap();
    let file = std::fs::File::create(path.join("part-0.parquet")).unwrap();
    let mut w = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    path.display().to_string()
}

fn floats(v: Vec<Option<f64>>) -> ArrayRef {
    Arc::new(Float64Array::from(v))
}

async fn judge(ds: &Dataset, src: String, id: &str, rules: &Rules) -> PublishOutcome {
    let opts = PublishOptions {
        sources: vec![src],
        version: Some(VersionId::new(id).unwrap()),
        rules: rules.clone(),
        ..Default::default()
    };
    publish(ds, &Context::new("t"), opts).await.unwrap()
}

fn find<'a>(out: &'a PublishOutcome, name: &str, col: &str) -> &'a lastgood::gates::GateResult {
    out.gates
        .iter()
        .find(|g| g.name == name && g.column.as_deref() == Some(col))
        .unwrap_or_else(|| panic!("{name} {col}: {:#?}", out.gates))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edge_cases_give_clear_verdicts() {
    let t = tempfile::tempdir().unwrap();
    let ds = Dataset::new(Store::memory(), DatasetName::new("edge").unwrap());
    let rules = Rules::defaults();
    let n = 1000;
    let normal: Vec<Option<f64>> = (0..n).map(|i| Some(i as f64 / n as f64)).collect();
    let ids =
        |k: usize| -> ArrayRef { Arc::new(Int64Array::from((0..k as i64).collect::<Vec<_>>())) };
    let labels = |k: usize| -> ArrayRef {
        Arc::new(StringArray::from(
            (0..k).map(|i| format!("s{}", i % 3)).collect::<Vec<_>>(),
        ))
    };
    let base = write(
        t.path(),
        "base",
        vec![
            ("id", ids(n)),
            ("score", floats(normal.clone())),
            ("label", labels(n)),
        ],
    );
    let first = judge(&ds, base, "base", &rules).await;
    assert!(first.passed);

    // A column all null: the null-rate gate fails it; ks reports an error, not a pass.
    let all_null = write(
        t.path(),
        "all_null",
        vec![
            ("id", ids(n)),
            ("score", floats(vec![None; n])),
            ("label", labels(n)),
        ],
    );
    let out = judge(&ds, all_null, "all_null", &rules).await;
    assert!(!out.passed);
    assert_eq!(find(&out, "null_rate", "score").outcome, Outcome::Fail);
    let ks = find(&out, "ks", "score");
    assert_eq!(ks.outcome, Outcome::Error, "{ks:#?}");
    assert!(
        ks.message.contains("no non-null, non-NaN values"),
        "{}",
        ks.message
    );

    // All NaN: NaN is not null. The null rate passes, NaN where the baseline had none fails.
    let all_nan = write(
        t.path(),
        "all_nan",
        vec![
            ("id", ids(n)),
            ("score", floats(vec![Some(f64::NAN); n])),
            ("label", labels(n)),
        ],
    );
    let out = judge(&ds, all_nan, "all_nan", &rules).await;
    let nr = find(&out, "null_rate", "score");
    assert_eq!(nr.outcome, Outcome::Fail, "{nr:#?}");
    let Facts::NullRate(NullRateFacts {
        counts: Some(c), ..
    }) = &nr.facts
    else {
        panic!("no counts: {nr:#?}")
    };
    assert_eq!((c.null_count, c.nan_count), (0, Some(Some(n as u64))));
    assert!(
        nr.message.contains("NaN where the baseline had none"),
        "{}",
        nr.message
    );
    assert_eq!(find(&out, "ks", "score").outcome, Outcome::Error);

    // ±inf are values: KS takes them.
    let mut with_inf = normal.clone();
    with_inf[0] = Some(f64::NEG_INFINITY);
    with_inf[1] = Some(f64::INFINITY);
    let inf = write(
        t.path(),
        "inf",
        vec![
            ("id", ids(n)),
            ("score", floats(with_inf)),
            ("label", labels(n)),
        ],
    );
    let out = judge(&ds, inf, "inf", &rules).await;
    let ks = find(&out, "ks", "score");
    assert_eq!(ks.outcome, Outcome::Pass, "{ks:#?}");
    let Facts::Ks(KsFacts {
        test: Some(test), ..
    }) = &ks.facts
    else {
        panic!("no KS test: {ks:#?}")
    };
    assert_eq!(test.n_candidate, n as u64);

    // Zero rows: the row_count gate fails it, ks is skipped with a reason.
    let empty = write(
        t.path(),
        "empty",
        vec![
            ("id", ids(0)),
            ("score", floats(vec![])),
            ("label", labels(0)),
        ],
    );
    let out = judge(&ds, empty, "empty", &rules).await;
    assert!(!out.passed);
    assert_eq!(
        out.gates
            .iter()
            .find(|g| g.name == "row_count")
            .unwrap()
            .outcome,
        Outcome::Fail
    );
    assert_eq!(find(&out, "ks", "score").outcome, Outcome::Skipped);

    // A KS column missing on one side, a non-numeric KS column, a gate naming an unknown column.
    let mut v = Validations::parse(
        "[[gate]]\nname = \"k\"\nkind = \"ks\"\ncolumns = [\"score\", \"label\", \"nope\"]\nmax_statistic = 0.5\n[[gate]]\nname = \"n\"\nkind = \"null_rate\"\ncolumns = [\"ghost\"]\nmax_rate = 0.1\n",
        std::path::Path::new("t.toml"),
    )
    .unwrap();
    v.checksum = Some("blake3:0".into());
    let custom = Rules {
        validations: v,
        contract: None,
    };
    let dropped = write(
        t.path(),
        "dropped",
        vec![("id", ids(n)), ("label", labels(n))],
    );
    let out = judge(&ds, dropped, "dropped", &custom).await;
    assert_eq!(find(&out, "k", "score").outcome, Outcome::Error);
    assert!(
        find(&out, "k", "score")
            .message
            .contains("no column \"score\" in the candidate")
    );
    assert_eq!(find(&out, "k", "label").outcome, Outcome::Error);
    assert!(find(&out, "k", "label").message.contains("not numeric"));
    assert_eq!(find(&out, "k", "nope").outcome, Outcome::Error);
    assert_eq!(find(&out, "n", "ghost").outcome, Outcome::Error);
    assert!(!out.passed);

    // validate a sealed version against any other.
    let (r, path) = validate(
        &ds,
        &Context::new("t"),
        &rules,
        &VersionId::new("inf").unwrap(),
        Some(&VersionId::new("base").unwrap()),
        None,
        &[],
    )
    .await
    .unwrap();
    assert!(r.passed && path.starts_with("versions/inf/reports/"));
}

/// Beyond the memory limit the KS gates walk key ranges: the same report, more scans.
#[test]
fn ks_under_a_memory_limit_gives_the_same_answer() {
    let t = tempfile::tempdir().unwrap();
    let (cwd, root) = (t.path(), t.path().join("lake"));
    let base = crate::util::data(cwd, "base", 150_000, 3, 1, Variant::Good);
    let cand = crate::util::data(cwd, "cand", 150_000, 3, 2, Variant::Shift);
    let o = crate::util::lastgood(cwd, &root, &["publish", "churn", base.to_str().unwrap()]);
    assert_eq!(crate::util::code(&o), 0);
    let o = crate::util::lastgood(
        cwd,
        &root,
        &[
            "publish",
            "churn",
            cand.to_str().unwrap(),
            "--no-promote",
            "--json",
        ],
    );
    assert_eq!(crate::util::code(&o), 3, "the shifted scores fail");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let version = v["version"].as_str().unwrap();
    let ks = |env: &[(&str, &str)]| -> Vec<serde_json::Value> {
        let o =
            crate::util::lastgood_env(cwd, &root, &["validate", "churn", version, "--json"], env);
        assert_eq!(crate::util::code(&o), 3, "{}", crate::util::stderr(&o));
        let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        r["gates"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|g| g["kind"] == "ks")
            .cloned()
            .collect()
    };
    let free = ks(&[]);
    let tight = ks(&[("LASTGOOD_MEMORY_LIMIT", "1MiB")]);
    assert_eq!(free.len(), tight.len());
    assert!(!free.is_empty());
    for (f, t) in free.iter().zip(&tight) {
        for k in [
            "statistic",
            "p_value",
            "location",
            "n_candidate",
            "n_baseline",
            "ecdf",
            "outcome",
        ] {
            assert_eq!(f[k], t[k], "{k} of {}", f["column"]);
        }
        assert_eq!(f["scans"], 1);
        assert!(t["scans"].as_u64().unwrap() >= 3, "{t}");
    }
    let bad = crate::util::lastgood_env(
        cwd,
        &root,
        &["validate", "churn", version],
        &[("LASTGOOD_MEMORY_LIMIT", "lots")],
    );
    crate::util::fails_with(&bad, 2, "invalid memory limit");
}
