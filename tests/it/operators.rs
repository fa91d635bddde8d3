//! The operator's and the consumer's commands through the real binary, human and `--json`: freeze,
//! pin, gc, init, schema infer, query, resolve --format duckdb, report --html (rendered by headless
//! Chromium), completions, man pages, and an example in every command's --help.

use std::path::Path;
use std::process::Command;

use lastgood::synth::Variant;
use serde_json::Value;

use crate::util::*;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_lastgood"))
}

fn publish_json(cwd: &Path, root: &Path, src: &Path, extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["publish", "churn", src.to_str().unwrap(), "--json"];
    args.extend_from_slice(extra);
    let o = lastgood(cwd, root, &args);
    (
        code(&o),
        serde_json::from_slice(&o.stdout).unwrap_or(Value::Null),
    )
}

#[test]
fn freeze_seals_and_gates_but_never_promotes_and_revert_still_works() {
    let t = tempfile::tempdir().unwrap();
    let (cwd, root) = (t.path(), t.path().join("lake"));
    let (a, b, c) = (
        data(cwd, "a", 800, 1, 1, Variant::Good),
        data(cwd, "b", 800, 1, 2, Variant::Good),
        data(cwd, "c", 800, 1, 3, Variant::Good),
    );
    let (_, pa) = publish_json(cwd, &root, &a, &[]);
    let (_, pb) = publish_json(cwd, &root, &b, &[]);

    let o = lastgood(
        cwd,
        &root,
        &["freeze", "churn", "--reason", "INC-2041 open"],
    );
    assert_eq!(code(&o), 0);
    assert!(stdout(&o).contains("churn is frozen"), "{}", stdout(&o));
    let again: Value = ok_json(&lastgood(
        cwd,
        &root,
        &["freeze", "churn", "--reason", "x", "--json"],
    ));
    assert_eq!(again["changed"], false, "freezing twice writes nothing");

    // A frozen publish: sealed, judged, report stored, not promoted: exit 4 with the outcome.
    let o = lastgood(
        cwd,
        &root,
        &["publish", "churn", c.to_str().unwrap(), "--json"],
    );
    assert_eq!(code(&o), 4, "{}", stderr(&o));
    let pc: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        (pc["passed"].clone(), pc["promoted"].clone()),
        (true.into(), false.into())
    );
    assert!(pc["frozen"].as_str().unwrap().contains("INC-2041 open"));
    assert!(pc["report"].is_string());
    assert!(stderr(&o).contains("not promoted"), "{}", stderr(&o));
    fails_with(
        &lastgood(
            cwd,
            &root,
            &[
                "pointer",
                "set",
                "churn",
                pc["version"].as_str().unwrap(),
                "--reason",
                "try",
            ],
        ),
        4,
        "is frozen",
    );
    let show: Value = ok_json(&lastgood(
        cwd,
        &root,
        &["pointer", "show", "churn", "--json"],
    ));
    assert_eq!(show["version"], pb["version"]);
    assert_eq!(show["frozen"]["reason"], "INC-2041 open");
    assert_eq!(
        show["action"], "promote",
        "who moved the pointer, not the freeze"
    );
    let human = stdout(&lastgood(cwd, &root, &["pointer", "show", "churn"]));
    assert!(human.contains("frozen           YES"), "{human}");

    // Reverting works while frozen.
    let r: Value = ok_json(&lastgood(
        cwd,
        &root,
        &[
            "pointer", "revert", "churn", "--reason", "b is bad", "--json",
        ],
    ));
    assert_eq!(r["to"], pa["version"]);

    let o: Value = ok_json(&lastgood(
        cwd,
        &root,
        &["unfreeze", "churn", "--reason", "resolved", "--json"],
    ));
    assert_eq!(
        (o["action"].as_str(), o["changed"].as_bool()),
        (Some("unfreeze"), Some(true))
    );
    assert!(o["state"]["frozen"].is_null(), "{o}");
    let o = lastgood(cwd, &root, &["unfreeze", "churn"]);
    assert_eq!(code(&o), 0);
    assert!(
        stdout(&o).contains("not frozen") && stdout(&o).contains("already so"),
        "{}",
        stdout(&o)
    );
    // The same publish again: the sealed version is reused and promoted now.
    let (code_c, pc2) = publish_json(cwd, &root, &c, &[]);
    assert_eq!(code_c, 0);
    assert_eq!(pc2["version"], pc["version"]);
    assert_eq!(
        (pc2["created"].clone(), pc2["moved"].clone()),
        (false.into(), true.into())
    );
    let h: Vec<Value> = ok_json(&lastgood(
        cwd,
        &root,
        &["pointer", "history", "churn", "--json"],
    ));
    let actions: Vec<&str> = h.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        [
            "promote", "unfreeze", "revert", "freeze", "promote", "promote"
        ]
    );
    let human = stdout(&lastgood(cwd, &root, &["pointer", "history", "churn"]));
    assert!(
        human.contains("freeze") && human.contains("INC-2041 open"),
        "{human}"
    );
}

#[test]
fn pin_shows_in_versions_and_gc_plans_in_human_and_json() {
    let t = tempfile::tempdir().unwrap();
    let (cwd, root) = (t.path(), t.path().join("lake"));
    let mut ids = Vec::new();
    for i in 1..=4 {
        let src = data(cwd, &format!("d{i}"), 500, 1, i, Variant::Good);
        let (_, p) = publish_json(cwd, &root, &src, &[]);
        ids.push(p["version"].as_str().unwrap().to_string());
    }
    let p: Value = ok_json(&lastgood(
        cwd,
        &root,
        &["pin", "churn", &ids[0], "--reason", "audit", "--json"],
    ));
    assert_eq!(
        (p["action"].as_str(), p["changed"].as_bool()),
        (Some("pin"), Some(true))
    );
    let rows: Vec<Value> = ok_json(&lastgood(cwd, &root, &["versions", "churn", "--json"]));
    assert!(
        rows[0]["status"]
            .as_array()
            .unwrap()
            .contains(&"pinned".into())
    );
    assert!(stdout(&lastgood(cwd, &root, &["versions", "churn"])).contains("pinned"));
    fails_with(
        &lastgood(
            cwd,
            &root,
            &["pin", "churn", "20200101T000000000Z-00000000"],
        ),
        2,
        "not found",
    );

    // Everything is younger than the default grace period: nothing to delete.
    let plan: Value = ok_json(&lastgood(
        cwd,
        &root,
        &["gc", "churn", "--keep", "1", "--json"],
    ));
    assert!(plan["deleted"].as_array().unwrap().is_empty());
    // Without it: v2 goes (v1 pinned, v3 last-known-good, v4 current).
    let human = stdout(&lastgood(
        cwd,
        &root,
        &["gc", "churn", "--keep", "1", "--grace", "0s", "--dry-run"],
    ));
    assert!(
        human.contains("dry run: would delete 1 version(s)"),
        "{human}"
    );
    assert!(
        human.contains(&ids[1]) && human.contains("pinned"),
        "{human}"
    );
    let done: Value = ok_json(&lastgood(
        cwd,
        &root,
        &["gc", "churn", "--keep", "1", "--grace", "0s", "--json"],
    ));
    assert_eq!(
        done["deleted"][0]["version"].as_str(),
        Some(ids[1].as_str())
    );
    assert!(!root.join("churn/versions").join(&ids[1]).exists());
    let h: Vec<Value> = ok_json(&lastgood(
        cwd,
        &root,
        &["pointer", "history", "churn", "--limit", "1", "--json"],
    ));
    assert_eq!(h[0]["action"], "gc");
    assert_eq!(h[0]["detail"]["deleted"][0].as_str(), Some(ids[1].as_str()));
    fails_with(
        &lastgood(cwd, &root, &["gc", "churn", "--older-than", "soon"]),
        2,
        "invalid age",
    );

    let u: Value = ok_json(&lastgood(
        cwd,
        &root,
        &["unpin", "churn", &ids[0], "--json"],
    ));
    assert_eq!(u["changed"], true);
    assert!(u["state"]["pinned"].is_null(), "{u}");
    let human = stdout(&lastgood(cwd, &root, &["pin", "churn", &ids[2]]));
    assert!(
        human.contains(&format!(
            "{} of churn is pinned: gc keeps it (history #",
            ids[2]
        )),
        "{human}"
    );
    let human = stdout(&lastgood(cwd, &root, &["unpin", "churn", &ids[2]]));
    assert!(human.contains("is not pinned"), "{human}");
}

#[test]
fn init_infer_query_and_duckdb_resolve() {
    let t = tempfile::tempdir().unwrap();
    let cwd = t.path();
    let sample = data(cwd, "sample", 1000, 2, 1, Variant::Good);
    let demo = bin()
        .current_dir(cwd)
        .args(["demo-data", "demo", "--rows", "500", "--json"])
        .output()
        .unwrap();
    let demo: Vec<Value> = serde_json::from_slice(&demo.stdout).unwrap();
    assert_eq!(demo.len(), 4);
    assert!(cwd.join("demo/wed-drift/part-00000.parquet").is_file());
    let o = bin()
        .current_dir(cwd)
        .args(["init", "churn", "--sample", sample.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    for f in [
        "lastgood.toml",
        "validations/churn.toml",
        "schemas/churn.contract.json",
    ] {
        assert!(
            stdout(&o).contains(&format!("wrote ./{f}")),
            "{}",
            stdout(&o)
        );
        assert!(cwd.join(f).is_file());
    }
    let contract: Value =
        serde_json::from_slice(&std::fs::read(cwd.join("schemas/churn.contract.json")).unwrap())
            .unwrap();
    let col = |n: &str| {
        contract["columns"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == n)
            .unwrap()
            .clone()
    };
    assert_eq!(col("score")["type"], "Float64");
    assert_eq!(
        col("customer_id")["nullable"],
        false,
        "no nulls in the sample"
    );
    assert_eq!(col("tenure_days")["nullable"], true, "nulls in the sample");
    // A second init keeps everything.
    let again: Value = serde_json::from_slice(
        &bin()
            .current_dir(cwd)
            .args(["init", "churn", "--json"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert!(again["written"].as_array().unwrap().is_empty(), "{again}");
    assert_eq!(again["kept"].as_array().unwrap().len(), 3);

    // The starter project works as it is: publish with its gates and contract, then query.
    let o = bin()
        .current_dir(cwd)
        .args(["publish", "churn", sample.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    assert!(cwd.join("lake/churn/pointer.json").is_file());
    let q = bin()
        .current_dir(cwd)
        .args([
            "query",
            "churn",
            "SELECT count(*) AS n, count(DISTINCT segment) AS s FROM churn",
            "--json",
        ])
        .output()
        .unwrap();
    let rows: Value = serde_json::from_slice(&q.stdout).unwrap();
    assert_eq!(rows, serde_json::json!([{"n": 1000, "s": 6}]));
    let human = stdout(
        &bin()
            .current_dir(cwd)
            .args(["query", "churn", "SELECT count(*) AS n FROM churn"])
            .output()
            .unwrap(),
    );
    assert_eq!(human, "n\n1000\n", "{human}");
    let bad = bin()
        .current_dir(cwd)
        .args(["query", "churn", "SELECT nope FROM churn"])
        .output()
        .unwrap();
    fails_with(&bad, 2, "nope");

    let inferred = bin()
        .args([
            "schema",
            "infer",
            sample.to_str().unwrap(),
            "--dataset",
            "churn",
        ])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&inferred.stdout).unwrap();
    assert_eq!(v, contract, "schema infer prints what init wrote");

    // resolve --format duckdb: DuckDB reads exactly the current version through it.
    let expr = stdout(
        &bin()
            .current_dir(cwd)
            .args(["resolve", "churn", "--format", "duckdb"])
            .output()
            .unwrap(),
    );
    assert!(expr.starts_with("read_parquet(['/"), "{expr}");
    let python = python_with("duckdb");
    let o = Command::new(python)
        .args([
            "-c",
            &format!(
                "import duckdb; print(duckdb.sql(\"SELECT count(*) FROM {}\").fetchall()[0][0])",
                expr.trim()
            ),
        ])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim(),
        "1000",
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn html_report_renders_in_headless_chromium() {
    let t = tempfile::tempdir().unwrap();
    let (cwd, root) = (t.path(), t.path().join("lake"));
    let good = data(cwd, "good", 5000, 1, 1, Variant::Good);
    let shifted = data(cwd, "shifted", 5000, 1, 2, Variant::Shift);
    publish_json(cwd, &root, &good, &[]);
    let (exit, bad) = publish_json(cwd, &root, &shifted, &[]);
    assert_eq!(exit, 3);
    let v = bad["version"].as_str().unwrap();
    let rows: Vec<Value> = ok_json(&lastgood(cwd, &root, &["versions", "churn", "--json"]));
    let row = rows.iter().find(|r| r["version"] == v).unwrap();
    assert_eq!(row["status"], serde_json::json!(["rejected"]));
    let html = cwd.join("report.html");
    let o = lastgood(
        cwd,
        &root,
        &["report", "churn", v, "--html", html.to_str().unwrap()],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "no network"
    );
    let png = cwd.join("report.png");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/html/render.sh");
    let o = Command::new("bash")
        .arg(&script)
        .arg(&html)
        .arg(&png)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let dom = String::from_utf8_lossy(&o.stdout);
    let verdict = dom.find("FAILED").expect("verdict in the rendered page");
    let table = dom.find("<table").expect("gate table");
    assert!(verdict < table, "the verdict comes first");
    assert!(
        dom.contains("ks(score)") || dom.contains("ks</"),
        "the failed gate is named"
    );
    let charts = dom.matches("<svg").count();
    assert!(charts >= 2, "an ECDF chart per KS gate: {charts}");
    assert!(dom.contains("D = "), "D is marked");
    let size = std::fs::metadata(&png).unwrap().len();
    assert!(
        size > 30_000,
        "a real screenshot, not a blank page: {size} bytes"
    );
    // The table, --json and --list read the same stored report.
    let json: Value = ok_json(&lastgood(cwd, &root, &["report", "churn", v, "--json"]));
    assert_eq!(json["passed"], false);
    assert!(
        json["gates"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["ecdf"]["candidate"].is_array())
    );
    assert!(stdout(&lastgood(cwd, &root, &["report", "churn", v])).starts_with("FAILED"));
    let names: Vec<String> = ok_json(&lastgood(
        cwd,
        &root,
        &["report", "churn", v, "--list", "--json"],
    ));
    assert_eq!(names.len(), 1);
}

#[test]
fn completions_man_pages_and_an_example_in_every_help() {
    let o = bin().args(["completions", "bash"]).output().unwrap();
    assert!(stdout(&o).contains("_lastgood()") && stdout(&o).contains("revert"));
    let t = tempfile::tempdir().unwrap();
    let o = bin()
        .args(["man", "--out", t.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(code(&o), 0);
    let page = std::fs::read_to_string(t.path().join("lastgood.1")).unwrap();
    assert!(page.contains(".TH lastgood"), "{page}");
    assert!(t.path().join("lastgood-pointer-revert.1").is_file());

    // Every command's --help carries an example.
    let top = stdout(&bin().arg("--help").output().unwrap());
    let mut commands: Vec<Vec<String>> = Vec::new();
    for name in subcommands(&top) {
        let help = stdout(&bin().args([&name, "--help"]).output().unwrap());
        let subs = subcommands(&help);
        if subs.is_empty() {
            commands.push(vec![name]);
        } else {
            commands.extend(subs.into_iter().map(|s| vec![name.clone(), s]));
        }
    }
    assert!(commands.len() >= 20, "{commands:?}");
    for c in &commands {
        let help = stdout(&bin().args(c).arg("--help").output().unwrap());
        assert!(
            help.contains("Example"),
            "{c:?} --help has no example:\n{help}"
        );
    }
}

/// The command names listed under "Commands:" in a --help text.
fn subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .filter(|n| n != "help")
        .collect()
}

/// Colour on a terminal only, never with NO_COLOR; never in pipes (every other test reads plain text).
#[test]
fn colour_only_on_a_terminal_and_never_with_no_color() {
    let t = tempfile::tempdir().unwrap();
    let (cwd, root) = (t.path(), t.path().join("lake"));
    let good = data(cwd, "good", 2000, 1, 1, Variant::Good);
    let shifted = data(cwd, "shifted", 2000, 1, 2, Variant::Shift);
    publish_json(cwd, &root, &good, &[]);
    let (_, bad) = publish_json(cwd, &root, &shifted, &[]);
    let cmd = format!(
        "{} --root {} report churn {}",
        env!("CARGO_BIN_EXE_lastgood"),
        root.display(),
        bad["version"].as_str().unwrap()
    );
    // `script` gives the command a pseudo-terminal.
    let tty = |no_color: Option<&str>| {
        let mut c = Command::new("script");
        c.args(["-qec", &cmd, "/dev/null"]).env_remove("NO_COLOR");
        if let Some(v) = no_color {
            c.env("NO_COLOR", v);
        }
        stdout(&c.output().expect("script (util-linux) runs"))
    };
    let coloured = tty(None);
    assert!(coloured.contains("\x1b[1;31mFAILED\x1b[0m"), "{coloured:?}");
    let plain = tty(Some("1"));
    assert!(
        plain.contains("FAILED") && !plain.contains('\x1b'),
        "{plain:?}"
    );
    let piped = stdout(&lastgood(
        cwd,
        &root,
        &["report", "churn", bad["version"].as_str().unwrap()],
    ));
    assert!(
        piped.starts_with("FAILED") && !piped.contains('\x1b'),
        "{piped:?}"
    );
}
