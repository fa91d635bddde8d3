//! Issue 15, "the 2 a.m. CLI", through the real binary: refs, quiet output that fits the terminal,
//! lifecycle told truthfully, a bounded streaming query, lean `--json`, the on-call's HTML report,
//! Spark-shaped outputs. Stable human output is compared with golden files in tests/golden/
//! (`LASTGOOD_BLESS=1` rewrites them); `--json` is parsed back into the library's types.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use lastgood::ops::datasets::DatasetRow;
use lastgood::ops::init::InitOutcome;
use lastgood::ops::publish::PublishOutcome;
use lastgood::ops::set::MoveOutcome;
use lastgood::ops::validate::ValidateOutcome;
use lastgood::ops::versions::{EventKind, VersionDetail, VersionRow};
use lastgood::partition::KeyType;
use lastgood::synth::Variant;

use crate::util::*;

/// The binary with a terminal width (COLUMNS) and no colour unless asked.
fn lgw(cwd: &Path, root: &Path, cols: usize, args: &[&str]) -> Output {
    lastgood_env(cwd, root, args, &[("COLUMNS", &cols.to_string())])
}

/// Human output with what changes run to run replaced: the temp folder, times, durations, report
/// names (the actor is fixed: tester@ci).
pub(crate) fn normalise(s: &str, tmp: &Path) -> String {
    let s = s.replace(tmp.to_str().unwrap(), "<TMP>");
    let s = regex::Regex::new(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC")
        .unwrap()
        .replace_all(&s, "<TIME>");
    let s = regex::Regex::new(r"\d{8}T\d{6,12}Z-(publish|validate)")
        .unwrap()
        .replace_all(&s, "<STAMP>-$1");
    let s = regex::Regex::new(r"\b\d+ ms\b")
        .unwrap()
        .replace_all(&s, "<N> ms");
    // A manifest records when it was sealed: its checksum changes run to run.
    let s = regex::Regex::new(r"\(blake3:[0-9a-f]{64}\)")
        .unwrap()
        .replace_all(&s, "(<CHECKSUM>)");
    s.into_owned()
}

/// Compares with tests/golden/NAME, or writes it with LASTGOOD_BLESS=1.
pub(crate) fn golden(name: &str, got: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("LASTGOOD_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("{} missing: run with LASTGOOD_BLESS=1", path.display()));
    assert_eq!(
        got, want,
        "{name} differs from the golden file (LASTGOOD_BLESS=1 rewrites it)"
    );
}

/// mon, tue promoted; wed (drift) rejected; thu (nulls) forced live, then reverted. Ids chosen so
/// refs and goldens are stable.
pub(crate) fn week(cwd: &Path, root: &Path) {
    let nights = [
        ("mon-1", Variant::Good, 1, "mon"),
        ("tue-2", Variant::Good, 2, "tue"),
        ("wed-3", Variant::Shift, 3, "wed"),
        ("thu-4", Variant::Nulls, 4, "thu"),
    ];
    for (id, variant, seed, night) in nights {
        let d = data(cwd, night, 2000, 2, seed, variant);
        let meta = format!("night={night}");
        let mut args = vec![
            "publish",
            "churn",
            d.to_str().unwrap(),
            "--version",
            id,
            "--meta",
            &meta,
            "--meta",
            "model=churn-v1.14",
            "--message",
            night,
        ];
        if night == "thu" {
            args.extend(["--force", "--reason", "upstream: nulls expected"]);
        }
        let o = lastgood(cwd, root, &args);
        let want = if night == "wed" { 3 } else { 0 };
        assert_eq!(code(&o), want, "{night}: {}", stderr(&o));
    }
    let o = lastgood(
        cwd,
        root,
        &[
            "pointer",
            "revert",
            "churn",
            "--reason",
            "spend_30d blank for 30% of customers",
        ],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
}

fn show(cwd: &Path, root: &Path, r: &str) -> VersionDetail {
    ok_json(&lastgood(cwd, root, &["show", "churn", r, "--json"]))
}

#[test]
fn refs_name_versions_wherever_a_version_is_named() {
    let t = tempfile::tempdir().unwrap();
    let (cwd, root) = (t.path(), t.path().join("lake"));
    week(cwd, &root);
    // After the revert: tue current, mon last-known-good; the revert moved thu -> tue.
    assert_eq!(show(cwd, &root, "current").version, "tue-2");
    assert_eq!(show(cwd, &root, "lkg").version, "mon-1");
    assert_eq!(show(cwd, &root, "previous").version, "thu-4");
    assert_eq!(show(cwd, &root, "latest").version, "thu-4");
    assert_eq!(show(cwd, &root, "@1").version, "mon-1");
    assert_eq!(show(cwd, &root, "@3").version, "thu-4");
    assert_eq!(show(cwd, &root, "we").version, "wed-3");
    assert_eq!(show(cwd, &root, "tue-2!").version, "tue-2");

    // A sealed-only version sharing a prefix: the exact id still wins, the prefix is ambiguous.
    let extra = data(cwd, "extra", 2000, 1, 9, Variant::Good);
    let o = lastgood(
        cwd,
        &root,
        &[
            "publish",
            "churn",
            extra.to_str().unwrap(),
            "--version",
            "tue-2b",
            "--no-promote",
        ],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(show(cwd, &root, "tue-2").version, "tue-2");
    fails_with(
        &lastgood(cwd, &root, &["show", "churn", "tue"]),
        2,
        "ambiguous",
    );
    fails_with(
        &lastgood(cwd, &root, &["show", "churn", "zzz"]),
        2,
        "not found (or not sealed): no version id starts with it",
    );
    fails_with(
        &lastgood(cwd, &root, &["show", "churn", "@99"]),
        2,
        "no history entry 99",
    );
    fails_with(&lastgood(cwd, &root, &["show", "churn", "@x"]), 2, "@N");

    // validate, resolve, query, report, pin and pointer set take refs too.
    let v: ValidateOutcome = ok_json(&lastgood(
        cwd,
        &root,
        &["validate", "churn", "lkg", "--against", "@2", "--json"],
    ));
    assert_eq!(
        (v.report.version.as_str(), v.report.baseline.as_deref()),
        ("mon-1", Some("tue-2"))
    );
    let urls = stdout(&lastgood(
        cwd,
        &root,
        &["resolve", "churn", "--version", "previous"],
    ));
    assert!(urls.lines().all(|u| u.contains("/thu-4/")), "{urls}");
    // @N resolves through the history, as --seq does (the entry's manifest checksum is checked).
    let at2: lastgood::ops::resolve::Resolved = ok_json(&lastgood(
        cwd,
        &root,
        &["resolve", "churn", "--version", "@2", "--json"],
    ));
    assert_eq!((at2.version.as_str(), at2.seq), ("tue-2", Some(2)));
    let q = lastgood(
        cwd,
        &root,
        &[
            "query",
            "churn",
            "SELECT count(*) AS n FROM churn",
            "--version",
            "tue-2b",
            "--format",
            "csv",
        ],
    );
    assert_eq!(stdout(&q), "n\n2000\n", "{}", stderr(&q));
    assert_eq!(
        code(&lastgood(cwd, &root, &["report", "churn", "we"])),
        0,
        "report by prefix"
    );
    let pin = lastgood(cwd, &root, &["pin", "churn", "lkg", "--json"]);
    assert_eq!(code(&pin), 0, "{}", stderr(&pin));
    let moved: MoveOutcome = ok_json(&lastgood(
        cwd,
        &root,
        &[
            "pointer",
            "set",
            "churn",
            "@1",
            "--reason",
            "back to monday",
            "--json",
        ],
    ));
    assert!(moved.moved);
    assert_eq!(moved.to.as_deref(), Some("mon-1"));

    // Setting the pointer where it already is moves nothing and says so (action set, not the
    // head entry's action).
    let pin2 = lastgood(cwd, &root, &["pin", "churn", "tue-2"]);
    assert_eq!(code(&pin2), 0);
    let same: MoveOutcome = ok_json(&lastgood(
        cwd,
        &root,
        &[
            "pointer", "set", "churn", "current", "--reason", "again", "--json",
        ],
    ));
    assert!(!same.moved);
    assert_eq!(same.action, "set");
    assert_eq!(
        (same.from.as_deref(), same.to.as_deref()),
        (Some("mon-1"), Some("mon-1"))
    );
    let human = stdout(&lastgood(
        cwd,
        &root,
        &["pointer", "set", "churn", "mon", "--reason", "again"],
    ));
    assert!(human.contains("nothing moved"), "{human}");
}

#[test]
fn versions_and_show_tell_each_versions_life() {
    let t = tempfile::tempdir().unwrap();
    let (cwd, root) = (t.path(), t.path().join("lake"));
    week(cwd, &root);
    let rows: Vec<VersionRow> = ok_json(&lastgood(cwd, &root, &["versions", "churn", "--json"]));
    let status = |v: &str| {
        rows.iter()
            .find(|r| r.version == v)
            .map(|r| (r.status.clone(), r.failed_gates.clone()))
            .unwrap()
    };
    assert_eq!(status("mon-1").0, vec!["last-known-good"]);
    assert_eq!(status("tue-2").0, vec!["current"]);
    assert_eq!(
        status("wed-3"),
        (vec!["rejected".to_string()], vec!["ks(score)".to_string()])
    );
    assert_eq!(
        status("thu-4"),
        (
            vec!["reverted".to_string(), "forced".to_string()],
            vec!["null_rate(spend_30d)".to_string()]
        )
    );

    // Filters: status, meta, newest N.
    let f: Vec<VersionRow> = ok_json(&lastgood(
        cwd,
        &root,
        &[
            "versions",
            "churn",
            "--status",
            "rejected",
            "--meta",
            "night=wed",
            "--json",
        ],
    ));
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].version, "wed-3");
    let f: Vec<VersionRow> = ok_json(&lastgood(
        cwd,
        &root,
        &[
            "versions",
            "churn",
            "--meta",
            "model=churn-v1.14",
            "--limit",
            "2",
            "--json",
        ],
    ));
    assert_eq!(
        f.iter().map(|r| r.version.as_str()).collect::<Vec<_>>(),
        ["wed-3", "thu-4"]
    );
    let none: Vec<VersionRow> = ok_json(&lastgood(
        cwd,
        &root,
        &[
            "versions",
            "churn",
            "--status",
            "rejected",
            "--meta",
            "night=mon",
            "--json",
        ],
    ));
    assert!(none.is_empty());
    fails_with(
        &lastgood(cwd, &root, &["versions", "churn", "--status", "bogus"]),
        2,
        "unknown status",
    );

    // show: the consequence first, then the events of the history.
    let thu = show(cwd, &root, "thu-4");
    let c = thu.consequence();
    assert_eq!(c.headline, "REVERTED");
    assert!(
        c.line.contains("spend_30d blank") && c.line.contains("upstream: nulls expected"),
        "{}",
        c.line
    );
    let kinds: Vec<(EventKind, bool)> = thu.events.iter().map(|e| (e.what, e.forced)).collect();
    assert_eq!(
        kinds,
        [(EventKind::Promoted, true), (EventKind::Reverted, false)]
    );
    let wed = show(cwd, &root, "wed-3");
    assert_eq!(wed.consequence().headline, "NOT PROMOTED");
    assert!(
        wed.consequence()
            .line
            .contains("consumers still read tue-2"),
        "{}",
        wed.consequence().line
    );
    assert!(
        wed.report
            .as_deref()
            .is_some_and(|r| r.starts_with("file:///")),
        "{:?}",
        wed.report
    );
    let human = lgw(cwd, &root, 120, &["show", "churn", "thu-4"]);
    golden("show_reverted.txt", &normalise(&stdout(&human), cwd));
    let human = lgw(cwd, &root, 120, &["versions", "churn"]);
    golden("versions.txt", &normalise(&stdout(&human), cwd));

    // gc's leftovers are "collected", a folder without a manifest otherwise in flight; never
    // "unsealed".
    let o = lastgood(
        cwd,
        &root,
        &["gc", "churn", "--keep", "1", "--grace", "0s", "--json"],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    // gc deleted wed-3 (rejected, unpinned, not among the last held). Its folder coming back
    // with files (as when kept versions still use them) lists it as collected.
    let gone = root.join("churn/versions/wed-3/data");
    std::fs::create_dir_all(&gone).unwrap();
    std::fs::write(gone.join("part-0.parquet"), b"still used").unwrap();
    let inflight = root.join("churn/versions/fri-5/data");
    std::fs::create_dir_all(&inflight).unwrap();
    std::fs::write(inflight.join("part-0.parquet"), b"half").unwrap();
    let rows: Vec<VersionRow> = ok_json(&lastgood(cwd, &root, &["versions", "churn", "--json"]));
    let st = |v: &str| {
        rows.iter()
            .find(|r| r.version == v)
            .map(|r| r.status.clone())
    };
    assert_eq!(st("wed-3"), Some(vec!["collected".to_string()]));
    assert_eq!(st("fri-5"), Some(vec!["in-flight".to_string()]));
    fails_with(
        &lastgood(cwd, &root, &["show", "churn", "fri-5"]),
        2,
        "in flight",
    );
    let human = stdout(&lastgood(cwd, &root, &["versions", "churn"]));
    assert!(!human.contains("unsealed"), "{human}");
    fails_with(
        &lastgood(cwd, &root, &["show", "churn", "wed-3"]),
        2,
        "collected by gc",
    );
}

#[test]
fn publish_is_quiet_fits_the_terminal_and_colours_on_demand() {
    let t = tempfile::tempdir().unwrap();
    let (cwd, root) = (t.path(), t.path().join("lake"));
    let mon = data(cwd, "mon", 2000, 2, 1, Variant::Good);
    let wed = data(cwd, "wed", 2000, 2, 3, Variant::Shift);
    let o = lgw(
        cwd,
        &root,
        100,
        &[
            "publish",
            "churn",
            mon.to_str().unwrap(),
            "--version",
            "mon-1",
        ],
    );
    assert_eq!(code(&o), 0);
    golden("publish_first.txt", &normalise(&stdout(&o), cwd));
    let o = lgw(
        cwd,
        &root,
        100,
        &[
            "publish",
            "churn",
            wed.to_str().unwrap(),
            "--version",
            "wed-3",
        ],
    );
    assert_eq!(code(&o), 3);
    let out = stdout(&o);
    golden("publish_rejected.txt", &normalise(&out, cwd));
    // A verdict line with counts, then only the gates that did not pass.
    let first = out.lines().next().unwrap();
    assert!(
        first.starts_with("FAILED churn/wed-3 against mon-1: PASS "),
        "{first}"
    );
    assert!(
        !out.contains("\npass "),
        "passing gates are not listed: {out}"
    );
    for line in out.lines() {
        assert!(line.chars().count() <= 100, "wider than 100: {line:?}");
    }
    // -v: the full table.
    let v = lgw(cwd, &root, 100, &["validate", "churn", "wed-3", "-v"]);
    assert_eq!(code(&v), 3);
    assert!(stdout(&v).contains("\npass "), "{}", stdout(&v));
    // Narrow terminals cut details with …, never wrap.
    let narrow = lgw(cwd, &root, 60, &["validate", "churn", "wed-3", "-v"]);
    let text = stdout(&narrow);
    assert!(text.contains('…'), "{text}");
    let table: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("VERDICT"))
        .take_while(|l| !l.starts_with("judged"))
        .collect();
    assert!(table.len() > 5, "{text}");
    for line in table {
        assert!(line.chars().count() <= 60, "wider than 60: {line:?}");
    }
    // --color always colours even into a pipe; never and auto (a pipe) do not.
    let c = lastgood(
        cwd,
        &root,
        &["report", "churn", "wed-3", "--color", "always"],
    );
    assert!(stdout(&c).contains("\x1b[1;31mFAILED"), "{}", stdout(&c));
    for when in ["never", "auto"] {
        let c = lastgood(cwd, &root, &["report", "churn", "wed-3", "--color", when]);
        assert!(!stdout(&c).contains('\x1b'), "{when}");
    }
    // One timestamp format in human output.
    let iso = regex::Regex::new(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}").unwrap();
    for args in [
        vec!["pointer", "show", "churn"],
        vec!["pointer", "history", "churn"],
        vec!["versions", "churn"],
        vec!["show", "churn", "wed-3"],
        vec!["report", "churn", "wed-3"],
        vec!["datasets"],
    ] {
        let o = lastgood(cwd, &root, &args);
        let s = stdout(&o);
        assert!(!iso.is_match(&s), "{args:?} prints an ISO time: {s}");
        assert!(s.contains(" UTC"), "{args:?}: {s}");
    }
}

#[test]
fn json_is_lean_and_names_the_report_absolutely() {
    let t = tempfile::tempdir().unwrap();
    let (cwd, root) = (t.path(), t.path().join("lake"));
    let mon = data(cwd, "mon", 5000, 2, 1, Variant::Good);
    let tue = data(cwd, "tue", 5000, 2, 2, Variant::Good);
    let _: PublishOutcome = ok_json(&lastgood(
        cwd,
        &root,
        &["publish", "churn", mon.to_str().unwrap(), "--json"],
    ));
    let o = lastgood(
        cwd,
        &root,
        &["publish", "churn", tue.to_str().unwrap(), "--json"],
    );
    let raw = stdout(&o);
    let p: PublishOutcome = ok_json(&o);
    assert!(
        !raw.contains("\"ecdf\""),
        "no chart points: {} bytes",
        raw.len()
    );
    assert!(raw.len() < 16_000, "publish --json is {} bytes", raw.len());
    let url = p.report_url.expect("an absolute report location");
    let file = url.strip_prefix("file://").unwrap();
    assert!(
        Path::new(file).is_absolute() && Path::new(file).is_file(),
        "{url}"
    );
    // --charts keeps them; report --json has them.
    let o = lastgood(
        cwd,
        &root,
        &["validate", "churn", "current", "--charts", "--json"],
    );
    assert!(stdout(&o).contains("\"ecdf\""));
    let v: ValidateOutcome = ok_json(&o);
    assert!(v.report_url.starts_with("file:///") && v.report_url.ends_with(".json"));
    let r: serde_json::Value = ok_json(&lastgood(
        cwd,
        &root,
        &["report", "churn", "current", "--json"],
    ));
    assert!(r.to_string().contains("\"ecdf\""));
    assert!(r["report_url"].as_str().unwrap().starts_with("file:///"));
    let v: ValidateOutcome = ok_json(&lastgood(
        cwd,
        &root,
        &["validate", "churn", "current", "--json"],
    ));
    assert!(
        v.report
            .gates
            .iter()
            .all(|g| serde_json::to_value(g).unwrap().get("ecdf").is_none())
    );
    let html: serde_json::Value = ok_json(&lastgood(
        cwd,
        &root,
        &["report", "churn", "current", "--html", "r.html", "--json"],
    ));
    assert!(Path::new(html["html"].as_str().unwrap()).is_absolute());
    assert!(html["report_url"].as_str().unwrap().starts_with("file:///"));
}

#[test]
fn query_streams_in_every_format_bounded_by_default() {
    let t = tempfile::tempdir().unwrap();
    let (cwd, root) = (t.path(), t.path().join("lake"));
    let mon = data(cwd, "mon", 1000, 2, 1, Variant::Good);
    assert_eq!(
        code(&lastgood(
            cwd,
            &root,
            &["publish", "churn", mon.to_str().unwrap()]
        )),
        0
    );
    let sql = "SELECT score, customer_id, segment FROM churn ORDER BY customer_id";
    // Table: the first 100 rows by default, a note on stderr.
    let o = lgw(cwd, &root, 80, &["query", "churn", sql]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = stdout(&o);
    assert_eq!(out.lines().count(), 101, "header + 100 rows");
    assert!(out.starts_with("score"), "column order kept: {out}");
    assert!(stderr(&o).contains("first 100 rows"), "{}", stderr(&o));
    let o = lgw(cwd, &root, 80, &["query", "churn", sql, "--limit", "5"]);
    assert_eq!(stdout(&o).lines().count(), 6);
    let o = lgw(cwd, &root, 80, &["query", "churn", sql, "--all"]);
    assert_eq!(stdout(&o).lines().count(), 1001);
    assert!(stderr(&o).is_empty(), "{}", stderr(&o));
    // CSV: every row by default, header first, columns in the query's order.
    let o = lastgood(cwd, &root, &["query", "churn", sql, "--format", "csv"]);
    let csv = stdout(&o);
    assert_eq!(csv.lines().next(), Some("score,customer_id,segment"));
    assert_eq!(csv.lines().count(), 1001);
    // JSON lines and JSON: parsed back, keys in the query's order.
    let o = lastgood(
        cwd,
        &root,
        &["query", "churn", sql, "--format", "jsonl", "--limit", "3"],
    );
    let lines: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert!(stdout(&o).starts_with("{\"score\":"), "{}", stdout(&o));
    let o = lastgood(cwd, &root, &["query", "churn", sql, "--json"]);
    let rows: Vec<serde_json::Value> = ok_json(&o);
    assert_eq!(rows.len(), 1000);
    assert_eq!(rows[0]["customer_id"], lines[0]["customer_id"]);
    // Markdown.
    let o = lastgood(
        cwd,
        &root,
        &[
            "query", "churn", sql, "--format", "markdown", "--limit", "2",
        ],
    );
    let md = stdout(&o);
    let l: Vec<&str> = md.lines().collect();
    assert_eq!(l.len(), 4, "{md}");
    assert!(
        l[0].starts_with("| score") && l[1].starts_with("| ---"),
        "{md}"
    );
    // An empty result keeps its header.
    let o = lastgood(
        cwd,
        &root,
        &[
            "query",
            "churn",
            "SELECT customer_id FROM churn WHERE false",
            "--format",
            "csv",
        ],
    );
    assert_eq!(stdout(&o), "customer_id\n");
    // A reader closing the pipe early is not an error.
    let bin = env!("CARGO_BIN_EXE_lastgood");
    let o = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "set -o pipefail; '{bin}' --root '{}' query churn '{sql}' --all --format csv | head -n 2",
            root.display()
        ))
        .current_dir(cwd)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&o.stdout).lines().count(), 2);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn datasets_lists_every_dataset_with_its_pointer() {
    let t = tempfile::tempdir().unwrap();
    let (cwd, root) = (t.path(), t.path().join("lake"));
    let mon = data(cwd, "mon", 500, 1, 1, Variant::Good);
    for ds in ["churn", "upsell"] {
        let o = lastgood(cwd, &root, &["publish", ds, mon.to_str().unwrap()]);
        assert_eq!(code(&o), 0);
    }
    std::fs::create_dir_all(root.join("not-a-dataset/other")).unwrap();
    let o = lastgood(cwd, &root, &["freeze", "upsell", "--reason", "INC-1"]);
    assert_eq!(code(&o), 0);
    let rows: Vec<DatasetRow> = ok_json(&lastgood(cwd, &root, &["datasets", "--json"]));
    assert_eq!(
        rows.iter().map(|r| r.dataset.as_str()).collect::<Vec<_>>(),
        ["churn", "upsell"]
    );
    assert!(rows.iter().all(|r| r.version.is_some()));
    assert_eq!(rows[0].last_move.as_ref().unwrap().action, "promote");
    assert_eq!(rows[1].frozen.as_deref(), Some("INC-1"));
    let human = stdout(&lastgood(cwd, &root, &["datasets"]));
    assert!(
        human.starts_with("DATASET") && human.contains("FROZEN: INC-1"),
        "{human}"
    );
}

#[test]
fn spark_outputs_need_their_success_marker_and_init_infers_partition_types() {
    let t = tempfile::tempdir().unwrap();
    let (cwd, root) = (t.path(), t.path().join("lake"));
    // A Spark-style folder: partitions date=…/hour=…, _SUCCESS written last.
    let out = cwd.join("out");
    for (date, hour) in [("2026-11-21", "01"), ("2026-11-22", "02")] {
        data(
            &out.join(format!("date={date}")),
            &format!("hour={hour}"),
            300,
            1,
            1,
            Variant::Good,
        );
    }
    let o = lastgood(
        cwd,
        &root,
        &[
            "init",
            "scores",
            "--sample",
            out.to_str().unwrap(),
            "--partition-by",
            "date",
            "--partition-by",
            "hour",
            "--json",
        ],
    );
    let init: InitOutcome = ok_json(&o);
    assert_eq!(init.partition_types.get("date"), Some(&KeyType::Date));
    assert_eq!(init.partition_types.get("hour"), Some(&KeyType::Int));
    let toml = std::fs::read_to_string(cwd.join("lastgood.toml")).unwrap();
    assert!(
        toml.contains(r#"partition_types = { date = "date", hour = "int" }"#),
        "{toml}"
    );
    // A sample that is itself a partition folder still tells the type of its key.
    let t2 = tempfile::tempdir().unwrap();
    let one = out.join("date=2026-11-21");
    let init: InitOutcome = ok_json(&lastgood(
        t2.path(),
        &root,
        &[
            "init",
            "scores",
            "--sample",
            one.to_str().unwrap(),
            "--partition-by",
            "date",
            "--json",
        ],
    ));
    assert_eq!(init.partition_types.get("date"), Some(&KeyType::Date));

    // The success marker, a typed field of the dataset's config.
    let spark = cwd.join("spark");
    let run = data(&spark, "run1", 400, 3, 2, Variant::Good);
    std::fs::write(
        cwd.join("marker.toml"),
        format!(
            "root = {:?}\n[datasets.churn]\nsuccess_marker = \"_SUCCESS\"\n",
            root.to_str().unwrap()
        ),
    )
    .unwrap();
    let with_config = |args: &[&str]| {
        let mut a = vec!["--config", "marker.toml"];
        a.extend_from_slice(args);
        lastgood(cwd, &root, &a)
    };
    let before = snapshot(&root);
    fails_with(
        &with_config(&["publish", "churn", run.to_str().unwrap()]),
        2,
        "no _SUCCESS marker",
    );
    assert_eq!(snapshot(&root), before, "nothing sealed");
    std::fs::write(run.join("_SUCCESS"), b"").unwrap();
    let p: PublishOutcome = ok_json(&with_config(&[
        "publish",
        "churn",
        run.to_str().unwrap(),
        "--json",
    ]));
    assert!(p.promoted && p.files == 3);
    fails_with(
        &lastgood(cwd, &root, &["--config", "bad.toml", "datasets"]),
        2,
        "bad.toml",
    );
    std::fs::write(
        cwd.join("badmarker.toml"),
        "[datasets.churn]\nsuccess_marker = \"../x\"\n",
    )
    .unwrap();
    fails_with(
        &lastgood(
            cwd,
            &root,
            &[
                "--config",
                "badmarker.toml",
                "publish",
                "churn",
                run.to_str().unwrap(),
            ],
        ),
        2,
        "success_marker",
    );
}

/// Where screenshots are kept for a person to look at.
fn shots() -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("html-shots");
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn html_report_says_what_happened_for_forced_and_reverted_versions() {
    let t = tempfile::tempdir().unwrap();
    let (cwd, root) = (t.path(), t.path().join("lake"));
    week(cwd, &root);
    // thu-4: forced live, then reverted. A second forced one stays live.
    let fri = data(cwd, "fri", 2000, 2, 5, Variant::Nulls);
    let o = lastgood(
        cwd,
        &root,
        &[
            "publish",
            "churn",
            fri.to_str().unwrap(),
            "--version",
            "fri-5",
            "--meta",
            "night=fri",
            "--meta",
            "model=churn-v1.14",
            "--force",
            "--reason",
            "known null spike, approved by ana",
        ],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/html/render.sh");
    let rfc3339 = regex::Regex::new(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d+").unwrap();
    for (v, headline, words) in [
        (
            "thu-4",
            "REVERTED",
            vec!["reverted at", "spend_30d blank", "upstream: nulls expected"],
        ),
        (
            "fri-5",
            "FORCED LIVE",
            vec!["FORCED live by", "known null spike"],
        ),
        ("wed-3", "NOT PROMOTED", vec!["consumers still read"]),
    ] {
        let html = shots().join(format!("report-{v}.html"));
        let o = lastgood(
            cwd,
            &root,
            &["report", "churn", v, "--html", html.to_str().unwrap()],
        );
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        let png = shots().join(format!("report-{v}.png"));
        let r = Command::new("bash")
            .arg(&script)
            .arg(&html)
            .arg(&png)
            .env("RENDER_WINDOW", "1200,1800")
            .output()
            .unwrap();
        assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
        let dom = String::from_utf8_lossy(&r.stdout);
        let title = &dom[dom.find("<title>").unwrap()..dom.find("</title>").unwrap()];
        assert!(title.contains(headline), "{v}: {title}");
        let dom = &dom[dom.find("<body").unwrap()..];
        let head = dom
            .find(headline)
            .unwrap_or_else(|| panic!("{headline} in {v}"));
        let verdict = dom.find("FAILED").expect("the gate verdict");
        assert!(
            head < verdict,
            "{v}: the consequence comes before the verdict"
        );
        for w in words {
            assert!(dom.contains(w), "{v}: {w:?} on the page");
        }
        for w in [
            "night=",
            "model=churn-v1.14",
            "blocking",
            "Columns",
            "p95",
            "Distinct",
        ] {
            assert!(dom.contains(w), "{v}: {w:?} on the page");
        }
        assert!(!rfc3339.is_match(dom), "{v}: raw RFC 3339 times");
        assert!(std::fs::metadata(&png).unwrap().len() > 30_000);
    }
}
