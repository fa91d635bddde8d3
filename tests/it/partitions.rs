//! Partitioned datasets, end to end with the real binary and DuckDB reading through the pointer:
//! seven nights published one partition at a time, a night replaced by a re-run, one bad night
//! reverted alone, then gc keeping every referenced file.

use std::collections::BTreeMap;
use std::path::Path;

use lastgood::synth::Variant;
use serde_json::Value;

use crate::util::{code, data, fails_with, lastgood, ok_json, python_with, stdout};

const CONFIG: &str = r#"root = "lake"

[datasets.daily]
partition_by = ["date"]
partition_types = { date = "date" }
"#;

fn night(i: usize) -> String {
    format!("2026-11-{:02}", 14 + i)
}

/// Rows per date as DuckDB reads them through the pointer file (the files it lists, nothing else).
fn duckdb_rows(python: &Path, root: &Path) -> BTreeMap<String, u64> {
    let script = r#"
import duckdb, json, sys
from urllib.parse import urlparse, unquote
p = json.load(open(sys.argv[1]))
paths = [unquote(urlparse(f["url"]).path) for f in p["files"]]
rows = duckdb.sql(
    "select cast(date as varchar), count(*) from read_parquet(?, hive_partitioning = true) group by 1 order by 1",
    params=[paths],
).fetchall()
print(json.dumps({d: n for d, n in rows}))
"#;
    let out = std::process::Command::new(python)
        .arg("-c")
        .arg(script)
        .arg(root.join("daily/pointer.json"))
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "duckdb: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Rows per date of the current version according to lastgood (`show --json`).
fn partitions_of(dir: &Path, root: &Path, version: &str) -> Vec<Value> {
    let v: Value = ok_json(&lastgood(dir, root, &["show", "daily", version, "--json"]));
    v["partitions"].as_array().unwrap().clone()
}

fn rows_by_date(parts: &[Value]) -> BTreeMap<String, u64> {
    parts
        .iter()
        .map(|p| {
            (
                p["values"]["date"].as_str().unwrap().to_string(),
                p["rows"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn publish(dir: &Path, root: &Path, src: &Path, date: &str) -> std::process::Output {
    lastgood(
        dir,
        root,
        &[
            "publish",
            "daily",
            src.to_str().unwrap(),
            "--partition",
            &format!("date={date}"),
            "--json",
        ],
    )
}

#[test]
fn seven_nights_replace_one_revert_one_then_gc() {
    let python = python_with("duckdb");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("lastgood.toml"), CONFIG).unwrap();
    let root = dir.join("lake");
    let mut expected: BTreeMap<String, u64> = BTreeMap::new();
    let mut versions = Vec::new();

    // Seven nights, one partition each: every version lists all partitions so far, and writes only
    // its own night's files.
    for i in 1..=7 {
        let rows = 3000 + 100 * i;
        let src = data(dir, &format!("night{i}"), rows, 2, i as u64, Variant::Good);
        let out: Value = ok_json(&publish(dir, &root, &src, &night(i)));
        assert_eq!(out["promoted"], true, "{out}");
        assert_eq!(out["carried_files"], 2 * (i as u64 - 1));
        let v = out["version"].as_str().unwrap().to_string();
        expected.insert(night(i), rows as u64);
        let parts = partitions_of(dir, &root, &v);
        crate::schemas::check(
            &crate::schemas::validator("manifest.schema.json"),
            &root.join(format!("daily/versions/{v}/manifest.json")),
        );
        assert_eq!(rows_by_date(&parts), expected, "night {i}");
        for (k, p) in parts.iter().enumerate() {
            assert_eq!(
                p["version"].as_str(),
                Some(versions.get(k).unwrap_or(&v).as_str())
            );
        }
        let own = std::fs::read_dir(root.join(format!("daily/versions/{v}/data")))
            .unwrap()
            .count();
        assert_eq!(own, 1, "only night {i}'s folder is written under {v}");
        if i > 1 {
            let scope = report_scope(&root, &out);
            assert_eq!(scope["compare"], "partition");
            assert_eq!(scope["candidate"][0], format!("date={}", night(i)));
            assert_eq!(
                scope["baseline"][0],
                format!("date={}", night(i - 1)),
                "{scope}"
            );
        }
        assert_eq!(
            duckdb_rows(&python, &root),
            expected,
            "DuckDB after night {i}"
        );
        versions.push(v);
    }

    // A shifted re-run of night 6 is judged against night 6 itself, and refused.
    let bad = data(dir, "night6-shifted", 3600, 2, 66, Variant::Shift);
    let out = publish(dir, &root, &bad, &night(6));
    assert_eq!(code(&out), 3, "{}", stdout(&out));
    let out: Value = serde_json::from_slice(&out.stdout).unwrap();
    let scope = report_scope(&root, &out);
    assert_eq!(scope["baseline"][0], format!("date={}", night(6)));
    assert!(scope["why"].as_str().unwrap().contains("previous self"));
    assert_eq!(duckdb_rows(&python, &root), expected);

    // Night 5 re-run: replaced in place; the other six nights are carried forward.
    let rerun = data(dir, "night5-rerun", 3333, 1, 55, Variant::Good);
    let out: Value = ok_json(&publish(dir, &root, &rerun, &night(5)));
    assert_eq!(out["carried_files"], 12);
    let v5b = out["version"].as_str().unwrap().to_string();
    expected.insert(night(5), 3333);
    let parts = partitions_of(dir, &root, &v5b);
    assert_eq!(rows_by_date(&parts), expected);
    assert_eq!(parts[4]["version"].as_str(), Some(v5b.as_str()));
    assert_eq!(parts[5]["version"].as_str(), Some(versions[5].as_str()));
    assert_eq!(duckdb_rows(&python, &root), expected);

    // Night 3 re-scored with a stale model (passes the gates, found bad later), then reverted
    // alone: night 3 goes back to its first files; nights 4-7 (and the re-run of 5) stay.
    let stale = data(dir, "night3-stale", 2900, 1, 33, Variant::Good);
    let out: Value = ok_json(&publish(dir, &root, &stale, &night(3)));
    let v3b = out["version"].as_str().unwrap().to_string();
    let mut with_stale = expected.clone();
    with_stale.insert(night(3), 2900);
    assert_eq!(duckdb_rows(&python, &root), with_stale);
    let out: Value = ok_json(&lastgood(
        dir,
        &root,
        &[
            "pointer",
            "revert",
            "daily",
            "--partition",
            &format!("date={}", night(3)),
            "--reason",
            "night 3 re-scored with a stale model",
            "--json",
        ],
    ));
    assert_eq!(out["action"], "revert");
    assert_eq!(out["from"].as_str(), Some(v3b.as_str()));
    assert_eq!(
        out["partitions"][0]["replaced"].as_str(),
        Some(v3b.as_str())
    );
    assert_eq!(out["partitions"][0]["from"].as_str(), Some(v5b.as_str()));
    let reverted_to = out["to"].as_str().unwrap().to_string();
    // Same content as before the stale re-run: the pointer goes back to that very version.
    assert_eq!(reverted_to, v5b);
    assert_eq!(duckdb_rows(&python, &root), expected);
    // The stale re-run is marked reverted: a later plain revert never goes back to it.
    let show: Value = ok_json(&lastgood(
        dir,
        &root,
        &["pointer", "show", "daily", "--json"],
    ));
    assert!(
        show["reverted"]
            .as_array()
            .unwrap()
            .contains(&v3b.clone().into()),
        "{show}"
    );
    assert_ne!(show["last_known_good"].as_str(), Some(v3b.as_str()));

    // Night 7 re-run, then night 3 reverted to its first publish explicitly: a new version that is
    // the current one except night 3; the history says so.
    let rerun7 = data(dir, "night7-rerun", 3777, 1, 77, Variant::Good);
    ok_json::<Value>(&publish(dir, &root, &rerun7, &night(7)));
    expected.insert(night(7), 3777);
    let out: Value = ok_json(&lastgood(
        dir,
        &root,
        &[
            "pointer",
            "revert",
            "daily",
            "--partition",
            &format!("date={}", night(2)),
            "--to",
            &versions[0],
            "--reason",
            "night 2 must not exist yet",
            "--json",
        ],
    ));
    assert_eq!(out["created"], true, "{out}");
    assert_eq!(out["partitions"][0]["rows"], 0);
    expected.remove(&night(2));
    assert_eq!(duckdb_rows(&python, &root), expected);
    let hist: Vec<Value> = ok_json(&lastgood(
        dir,
        &root,
        &["pointer", "history", "daily", "--json", "--limit", "1"],
    ));
    assert_eq!(
        hist[0]["detail"]["partitions"][0]["partition"],
        format!("date={}", night(2))
    );

    // `query` sees the declared type: date is a DATE, and filters on it prune partitions.
    let q: Value = ok_json(&lastgood(
        dir,
        &root,
        &[
            "query",
            "daily",
            "SELECT arrow_typeof(date) AS t, count(*) AS n FROM daily WHERE date = DATE '2026-11-18' GROUP BY 1",
            "--json",
        ],
    ));
    assert_eq!(q[0]["t"], "Date32", "{q}");
    assert_eq!(q[0]["n"].as_u64(), Some(expected[&night(4)]));

    // resolve --partition narrows to one night's files.
    let r: Value = ok_json(&lastgood(
        dir,
        &root,
        &[
            "resolve",
            "daily",
            "--partition",
            &format!("date={}", night(4)),
            "--json",
        ],
    ));
    assert_eq!(r["rows"].as_u64(), Some(expected[&night(4)]));
    fails_with(
        &lastgood(
            dir,
            &root,
            &["resolve", "daily", "--partition", "date=1999-01-01"],
        ),
        2,
        "no partition date=1999-01-01",
    );

    // gc keeps the reverted night's version as evidence by default.
    let plan: Value = ok_json(&lastgood(
        dir,
        &root,
        &[
            "gc",
            "daily",
            "--keep",
            "1",
            "--grace",
            "0s",
            "--dry-run",
            "--json",
        ],
    ));
    assert!(
        plan["kept"].as_array().unwrap().iter().any(|k| k["why"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w == "reverted")),
        "{plan}"
    );
    // gc, released: keep only what the pointer needs; every file a kept manifest lists stays, the
    // replaced, reverted and rejected nights' files go.
    let before = count_parquet(&root.join("daily"));
    let out: Value = ok_json(&lastgood(
        dir,
        &root,
        &[
            "gc",
            "daily",
            "--keep",
            "1",
            "--grace",
            "0s",
            "--include-reverted",
            "--json",
        ],
    ));
    assert!(!out["deleted"].as_array().unwrap().is_empty(), "{out}");
    let referenced: u64 = out["deleted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["referenced"].as_u64().unwrap())
        .sum();
    assert!(
        referenced > 0,
        "carried files of collected versions stay: {out}"
    );
    let after = count_parquet(&root.join("daily"));
    assert!(after < before, "{after} < {before}");
    let current: Value = ok_json(&lastgood(dir, &root, &["resolve", "daily", "--json"]));
    let kept_files = current["files"].as_array().unwrap().len();
    let lkg: Value = ok_json(&lastgood(
        dir,
        &root,
        &["pointer", "show", "daily", "--json"],
    ));
    let lkg = lkg["last_known_good"].as_str().unwrap().to_string();
    let lkg_files: Value = ok_json(&lastgood(
        dir,
        &root,
        &["resolve", "daily", "--version", &lkg, "--json"],
    ));
    let mut all: Vec<&str> = current["files"]
        .as_array()
        .unwrap()
        .iter()
        .chain(lkg_files["files"].as_array().unwrap())
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    all.sort();
    all.dedup();
    assert_eq!(
        after,
        all.len(),
        "exactly the referenced files remain ({kept_files} current)"
    );
    assert_eq!(duckdb_rows(&python, &root), expected);
    let doctor = lastgood(dir, &root, &["doctor", "daily"]);
    assert_eq!(code(&doctor), 0, "{}", stdout(&doctor));
}

#[test]
fn files_must_match_the_declared_partitioning() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("lastgood.toml"), CONFIG).unwrap();
    let root = dir.join("lake");
    let src = data(dir, "n", 500, 1, 1, Variant::Good);
    let s = src.to_str().unwrap();
    fails_with(
        &lastgood(dir, &root, &["publish", "daily", s]),
        2,
        "daily is partitioned by [date] but the files are not partitioned",
    );
    fails_with(
        &lastgood(
            dir,
            &root,
            &["publish", "daily", s, "--partition", "region=eu"],
        ),
        2,
        "partitioned by [region]",
    );
    fails_with(
        &lastgood(
            dir,
            &root,
            &["publish", "daily", s, "--partition", "date=2026-13-45"],
        ),
        2,
        "is not a date",
    );
    fails_with(
        &lastgood(
            dir,
            &root,
            &["publish", "daily", s, "--partition", "date=2026-1-5"],
        ),
        2,
        "canonical form",
    );
    assert!(!root.join("daily").exists(), "nothing written");
}

/// Typed partitions stay readable: a partition revert cannot bring back values of another type.
#[test]
fn partition_types_hold_across_reverts() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let root = dir.join("lake");
    let src = data(dir, "n", 500, 1, 1, Variant::Good);
    let s = src.to_str().unwrap();
    let config = |types: &str| {
        std::fs::write(
            dir.join("lastgood.toml"),
            format!("[datasets.nums]\npartition_by = [\"n\"]\n{types}"),
        )
        .unwrap()
    };
    config("");
    let v1: Value = ok_json(&lastgood(
        dir,
        &root,
        &["publish", "nums", s, "--partition", "n=x", "--json"],
    ));
    config("partition_types = { n = \"int\" }\n");
    // The type is part of the dataset's rules on the store: changed on purpose first.
    ok_json::<Value>(&lastgood(
        dir,
        &root,
        &["rules", "set", "nums", "--reason", "n is an int", "--json"],
    ));
    // Carrying the untyped `n=x` forward under the int type is refused; --full rewrites all.
    fails_with(
        &lastgood(dir, &root, &["publish", "nums", s, "--partition", "n=1"]),
        2,
        "does not have the declared partition types",
    );
    fails_with(
        &lastgood(
            dir,
            &root,
            &["publish", "nums", s, "--partition", "n=01", "--full"],
        ),
        2,
        "canonical form",
    );
    ok_json::<Value>(&lastgood(
        dir,
        &root,
        &[
            "publish",
            "nums",
            s,
            "--partition",
            "n=1",
            "--full",
            "--json",
        ],
    ));
    let q: Value = ok_json(&lastgood(
        dir,
        &root,
        &[
            "query",
            "nums",
            "SELECT arrow_typeof(n) AS t FROM nums LIMIT 1",
            "--json",
        ],
    ));
    assert_eq!(q[0]["t"], "Int64");
    fails_with(
        &lastgood(
            dir,
            &root,
            &[
                "pointer",
                "revert",
                "nums",
                "--partition",
                "n=x",
                "--to",
                v1["version"].as_str().unwrap(),
                "--reason",
                "r",
            ],
        ),
        2,
        "cannot give n=x back",
    );
    let doctor = lastgood(dir, &root, &["doctor", "nums"]);
    assert_eq!(code(&doctor), 0, "{}", stdout(&doctor));
}

fn report_scope(root: &Path, publish: &Value) -> Value {
    let path = publish["report"].as_str().unwrap();
    crate::schemas::check(
        &crate::schemas::validator("gate-report.schema.json"),
        &root.join("daily").join(path),
    );
    let r: Value =
        serde_json::from_slice(&std::fs::read(root.join("daily").join(path)).unwrap()).unwrap();
    r["scope"].clone()
}

fn count_parquet(dir: &Path) -> usize {
    let mut n = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "parquet") {
                n += 1;
            }
        }
    }
    n
}
