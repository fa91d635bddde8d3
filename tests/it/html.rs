//! The HTML report (`src/html.rs`) of stored reports, byte for byte against golden pages
//! (`tests/golden/html/`, `LASTGOOD_BLESS=1` rewrites them): every report fixture of
//! `tests/fixtures/spec/report/` (every kind, sliced gates, a keyed histogram, a partitioned
//! publish's scope) and the shapes earlier versions wrote (`old/report/`). The goldens were first
//! written by the page renderer that read the JSON by string keys; the typed one draws the same page.

use std::path::{Path, PathBuf};

use lastgood::ops::report::{ColumnStat, ColumnStats};
use lastgood::ops::versions::VersionDetail;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn reports() -> Vec<PathBuf> {
    let dir = root().join("tests/fixtures/spec");
    let mut out: Vec<PathBuf> = ["report", "old/report"]
        .iter()
        .flat_map(|d| std::fs::read_dir(dir.join(d)).unwrap())
        .map(|e| e.unwrap().path())
        .collect();
    out.sort();
    out
}

/// `got` against the golden file `name`, naming the first line that differs.
fn same_as_golden(name: &str, got: &str) {
    let path = root().join("tests/golden/html").join(name);
    if std::env::var_os("LASTGOOD_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("{} missing: run with LASTGOOD_BLESS=1", path.display()));
    if got != want {
        let (n, (g, w)) = got
            .lines()
            .zip(want.lines())
            .enumerate()
            .find(|(_, (g, w))| g != w)
            .unwrap_or((0, ("(lengths differ)", "")));
        panic!(
            "{name} differs from its golden page at line {}:\n got: {g}\nwant: {w}",
            n + 1
        );
    }
}

fn page(report: &Path, ctx: &lastgood::html::PageContext) -> String {
    let r: lastgood::gates::Report =
        serde_json::from_slice(&std::fs::read(report).unwrap()).unwrap();
    lastgood::html::render_with(&r, ctx)
}

#[test]
fn every_stored_report_renders_as_its_golden_page() {
    let all = reports();
    assert!(all.len() >= 6, "{all:?}");
    for p in &all {
        let name = p.file_stem().unwrap().to_str().unwrap();
        let html = page(p, &Default::default());
        assert!(html.starts_with("<!DOCTYPE html>"), "{name}");
        same_as_golden(&format!("{name}.html"), &html);
    }
}

/// The richest page: every kind, with the version's life, the partitions compared and the
/// columns' statistics around it.
#[test]
fn a_rich_report_with_its_version_and_columns_renders_as_its_golden_page() {
    let show = root().join("tests/fixtures/html/rich-r2-show.json");
    let detail: VersionDetail = serde_json::from_slice(&std::fs::read(show).unwrap()).unwrap();
    let stat = |rows, nulls, mean| ColumnStat {
        rows,
        nulls,
        distinct: Some(rows - nulls),
        mean,
        p5: mean.map(|m| m / 10.0),
        p50: mean,
        p95: mean.map(|m| m * 1.9),
    };
    let stats = vec![
        ColumnStats {
            column: "score".into(),
            data_type: "Float64".into(),
            candidate: Some(stat(300, 0, Some(0.5123))),
            baseline: Some(stat(300, 0, Some(0.3977))),
        },
        ColumnStats {
            column: "segment".into(),
            data_type: "Utf8".into(),
            candidate: Some(stat(300, 3, None)),
            baseline: None,
        },
    ];
    let report = root().join("tests/fixtures/spec/report/rich-r2-publish.json");
    let html = page(
        &report,
        &lastgood::html::PageContext {
            origin: Some(
                "file:///srv/lake/rich/versions/r2/reports/20261202T051146479751Z-publish.json",
            ),
            version: Some(&detail),
            stats: &stats,
        },
    );
    for section in [
        "consequence",
        "verdict",
        "gates",
        "slices",
        "columns",
        "drift",
        "nulls",
        "mix",
        "keyed",
        "schema",
    ] {
        assert!(
            html.contains(&format!("id=\"{section}\"")),
            "no {section} section"
        );
    }
    assert!(html.contains("date=2026-11-22 new: against the most recent partition"));
    same_as_golden("rich-r2-with-context.html", &html);
}

/// A report in the first shape (each gate's kind nested, KS without scans or ECDF) stored as a
/// version's newest report: `report` reads it through the typed report, as a table, as `--json`
/// (as stored) and as the page.
#[test]
fn the_binary_renders_an_old_report_stored_on_a_version() {
    use crate::util::*;
    let t = tempfile::tempdir().unwrap();
    let (cwd, root) = (t.path(), t.path().join("lake"));
    let night = data(cwd, "mon", 300, 1, 1, lastgood::synth::Variant::Good);
    let o = lastgood(
        cwd,
        &root,
        &[
            "publish",
            "churn",
            night.to_str().unwrap(),
            "--version",
            "mon",
        ],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let fixture = self::root().join("tests/fixtures/spec/old/report/2026-11-22-first-gates.json");
    // Named later than the publish's own report, so it is the newest.
    let dest = root.join("churn/versions/mon/reports/29991231T000000000000Z-validate.json");
    std::fs::copy(&fixture, &dest).unwrap();

    let table = lastgood(cwd, &root, &["report", "churn", "mon"]);
    assert_eq!(code(&table), 0, "{}", stderr(&table));
    assert!(
        stdout(&table).contains("D=0.2451 at 0.5 (p=2.500e-9, n=100 vs 90)"),
        "{}",
        stdout(&table)
    );
    let json: serde_json::Value =
        ok_json(&lastgood(cwd, &root, &["report", "churn", "mon", "--json"]));
    let mut stored: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&fixture).unwrap()).unwrap();
    stored["report_url"] = json["report_url"].clone();
    assert_eq!(json, stored, "--json is the report as stored");
    let page = cwd.join("old.html");
    let o = lastgood(
        cwd,
        &root,
        &["report", "churn", "mon", "--html", page.to_str().unwrap()],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let html = std::fs::read_to_string(&page).unwrap();
    for shown in [
        "<h1>FAILED</h1>",
        "D = 0.2451 (max 0.1) · p = 2.500e-9 (min 0.001) · at 0.5 · n = 100 vs 90",
        "tenure_days: Int64 -&gt; Utf8 (not widening)",
        "validations/churn_scores.toml (blake3:5e5e",
    ] {
        assert!(html.contains(shown), "{shown} not in the page");
    }

    // A report this binary cannot read (a gate kind from a later version): `--json` still prints
    // it as stored; the table and the page say which report, in one line.
    let mut future = stored.clone();
    future["gates"][0]["kind"] = serde_json::json!("from_the_future");
    future.as_object_mut().unwrap().remove("report_url");
    let newer = root.join("churn/versions/mon/reports/29991231T000000000001Z-validate.json");
    std::fs::write(&newer, serde_json::to_vec_pretty(&future).unwrap()).unwrap();
    let json: serde_json::Value =
        ok_json(&lastgood(cwd, &root, &["report", "churn", "mon", "--json"]));
    assert_eq!(json["gates"][0]["kind"], "from_the_future");
    fails_with(
        &lastgood(cwd, &root, &["report", "churn", "mon"]),
        2,
        "29991231T000000000001Z-validate.json",
    );
    fails_with(
        &lastgood(cwd, &root, &["report", "churn", "mon", "--html", "x.html"]),
        2,
        "unknown variant `from_the_future`",
    );
}
