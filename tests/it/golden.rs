//! Golden files of the whole command line (issue 11: written before the binary was split into a
//! file per command, to show the split changed nothing a user sees).
//!
//! - `tests/golden/help/*.txt`: `--help` of every command and subcommand, found by walking the
//!   "Commands:" sections, so a new verb without a golden file fails here.
//! - `tests/golden/commands/*.txt`: one script of every verb on a fixed dataset (the week of
//!   cli_ux: mon and tue promoted, wed rejected, thu forced live then reverted), run twice on two
//!   identical stores: once for the human output, once with `--json`. Each file holds both runs of a
//!   step with exit code, stdout and stderr, with what changes run to run normalised.
//!
//! `LASTGOOD_BLESS=1` rewrites them.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output};

use lastgood::synth::Variant;

use crate::cli_ux::{golden, normalise, week};
use crate::util::*;

/// The binary with no configuration from the environment and a fixed width.
fn help(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lastgood"))
        .args(args)
        .arg("--help")
        .env_remove("LASTGOOD_ROOT")
        .env_remove("LASTGOOD_CONFIG")
        .env_remove("LASTGOOD_ACTOR")
        .env("COLUMNS", "100")
        .output()
        .expect("run lastgood")
}

/// The subcommands a help page lists under "Commands:" (without `help`).
fn subcommands(page: &str) -> Vec<String> {
    page.lines()
        .skip_while(|l| l.trim_end() != "Commands:")
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter(|l| l.starts_with("  ") && !l.starts_with("    "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(str::to_string)
        .collect()
}

#[test]
fn help_of_every_command_is_golden() {
    let mut todo = vec![Vec::<String>::new()];
    let mut seen = BTreeSet::new();
    while let Some(path) = todo.pop() {
        let args: Vec<&str> = path.iter().map(String::as_str).collect();
        let o = help(&args);
        assert_eq!(code(&o), 0, "{args:?}: {}", stderr(&o));
        let page = stdout(&o);
        let name = std::iter::once("lastgood")
            .chain(args.iter().copied())
            .collect::<Vec<_>>()
            .join("-");
        golden(&format!("help/{name}.txt"), &page);
        seen.insert(name);
        for sub in subcommands(&page) {
            let mut p = path.clone();
            p.push(sub);
            todo.push(p);
        }
    }
    // Every verb of the README is there (the walk found the tree, not an empty page).
    for n in [
        "lastgood-publish",
        "lastgood-pointer-revert",
        "lastgood-rules-set",
        "lastgood-delta-build",
        "lastgood-schema-infer",
        "lastgood-man",
    ] {
        assert!(seen.contains(n), "{n} not found in {seen:?}");
    }
    // No golden file left for a command that is gone.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/help");
    if std::env::var_os("LASTGOOD_BLESS").is_none() {
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let f = e.file_name().to_string_lossy().into_owned();
            let stem = f.trim_end_matches(".txt");
            assert!(seen.contains(stem), "{f}: no such command any more");
        }
    }
}

/// One run of a step: the command, its exit code, stdout (JSON pretty-printed), stderr.
fn record(args: &[&str], o: &Output, tmp: &Path) -> String {
    let out = stdout(o);
    let out = match serde_json::from_str::<serde_json::Value>(&out) {
        Ok(v) if !out.trim().is_empty() => {
            format!("{}\n", serde_json::to_string_pretty(&v).unwrap())
        }
        _ => out,
    };
    let mut s = format!("$ lastgood {}\nexit {}\n{out}", args.join(" "), code(o));
    let err = stderr(o);
    if !err.is_empty() {
        s.push_str("--- stderr\n");
        s.push_str(&err);
    }
    normalise_json(&normalise(&s, tmp))
}

/// What changes run to run in `--json`: times, durations, the checksums of records that hold a
/// time, ids made of the time.
fn normalise_json(s: &str) -> String {
    let subs = [
        (
            r#""\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})""#,
            r#""<TIME>""#,
        ),
        (r#""(duration_ms|elapsed_ms)": \d+"#, r#""$1": "<N>""#),
        (r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC", "<TIME>"),
        (
            r#""(manifest_checksum|checksum|entry_checksum|prev)": "blake3:[0-9a-f]{64}""#,
            r#""$1": "<CHECKSUM>""#,
        ),
        (r"\d{8}T\d{9}Z-[0-9a-f]{8}", "<VERSION-ID>"),
    ];
    let mut s = s.to_string();
    for (re, with) in subs {
        s = regex::Regex::new(re)
            .unwrap()
            .replace_all(&s, with)
            .into_owned();
    }
    s
}

/// A step of the script: a name and the arguments, or something done to the files in between.
enum Step<'a> {
    Run(&'a str, Vec<String>),
    /// Run without a --json twin (output that is the same either way, or not JSON).
    Once(&'a str, Vec<String>),
    Do(Box<dyn Fn(&Path, &Path) + 'a>),
}

fn run<'a>(name: &'a str, args: &[&str]) -> Step<'a> {
    Step::Run(name, args.iter().map(|s| s.to_string()).collect())
}

fn once<'a>(name: &'a str, args: &[&str]) -> Step<'a> {
    Step::Once(name, args.iter().map(|s| s.to_string()).collect())
}

/// Every verb, in an order that leaves something for the next to do.
fn script<'a>() -> Vec<Step<'a>> {
    let partitioned = "root = \"lake\"\n\n[datasets.daily]\npartition_by = [\"date\"]\npartition_types = { date = \"date\" }\n";
    vec![
        run("datasets", &["datasets"]),
        run("versions", &["versions", "churn"]),
        run(
            "versions-filtered",
            &["versions", "churn", "--status", "rejected", "--limit", "1"],
        ),
        run("show", &["show", "churn", "thu-4"]),
        run("show-current", &["show", "churn", "current"]),
        run("pointer-show", &["pointer", "show", "churn"]),
        run("pointer-history", &["pointer", "history", "churn"]),
        run(
            "pointer-history-limit",
            &["pointer", "history", "churn", "--limit", "2"],
        ),
        run("rules-show", &["rules", "show", "churn"]),
        run("validate-fails", &["validate", "churn", "wed-3"]),
        run(
            "validate-passes",
            &["validate", "churn", "lkg", "--against", "@2"],
        ),
        run("report", &["report", "churn", "wed-3"]),
        run("report-list", &["report", "churn", "wed-3", "--list"]),
        run(
            "report-html",
            &["report", "churn", "wed-3", "--html", "wed.html"],
        ),
        run("resolve", &["resolve", "churn"]),
        run("resolve-at-seq", &["resolve", "churn", "--seq", "1"]),
        run(
            "resolve-formats",
            &["resolve", "churn", "--version", "mon-1", "--format", "json"],
        ),
        once(
            "resolve-sql-list",
            &["resolve", "churn", "--format", "sql-list"],
        ),
        once(
            "resolve-duckdb",
            &["resolve", "churn", "--format", "duckdb"],
        ),
        once("resolve-paths", &["resolve", "churn", "--format", "paths"]),
        run(
            "query",
            &[
                "query",
                "churn",
                "SELECT segment, count(*) AS n FROM churn GROUP BY 1 ORDER BY 1",
            ],
        ),
        once(
            "query-csv",
            &[
                "query",
                "churn",
                "SELECT customer_id, segment FROM churn ORDER BY 1",
                "--format",
                "csv",
                "--limit",
                "3",
            ],
        ),
        once(
            "query-truncated",
            &[
                "query",
                "churn",
                "SELECT customer_id FROM churn ORDER BY 1",
                "--limit",
                "2",
            ],
        ),
        Step::Do(Box::new(|cwd, _| {
            data(cwd, "fri", 2000, 2, 5, Variant::Good);
            data(cwd, "sat", 2000, 2, 6, Variant::Shift);
        })),
        run(
            "publish",
            &[
                "publish",
                "churn",
                "fri",
                "--version",
                "fri-5",
                "--meta",
                "night=fri",
                "-m",
                "friday",
            ],
        ),
        run(
            "publish-again",
            &["publish", "churn", "fri", "--version", "fri-5"],
        ),
        run(
            "publish-rejected",
            &["publish", "churn", "sat", "--version", "sat-6"],
        ),
        run(
            "publish-no-promote",
            &[
                "publish",
                "churn",
                "sat",
                "--version",
                "sat-6b",
                "--no-promote",
            ],
        ),
        run("pin", &["pin", "churn", "mon-1", "--reason", "Q4 audit"]),
        run("pin-again", &["pin", "churn", "mon-1"]),
        run(
            "unpin",
            &["unpin", "churn", "mon-1", "--reason", "audit done"],
        ),
        run("freeze", &["freeze", "churn", "--reason", "INC-2041"]),
        run(
            "publish-frozen",
            &["publish", "churn", "mon", "--version", "mon-again"],
        ),
        run("unfreeze", &["unfreeze", "churn", "--reason", "resolved"]),
        run("unfreeze-again", &["unfreeze", "churn"]),
        run(
            "pointer-set",
            &[
                "pointer",
                "set",
                "churn",
                "tue-2",
                "--reason",
                "serve tuesday",
            ],
        ),
        run(
            "pointer-set-refused",
            &["pointer", "set", "churn", "wed-3", "--reason", "try"],
        ),
        run(
            "pointer-set-forced",
            &[
                "pointer", "set", "churn", "wed-3", "--reason", "try", "--force",
            ],
        ),
        run(
            "pointer-revert",
            &["pointer", "revert", "churn", "--reason", "back"],
        ),
        run(
            "pointer-revert-to",
            &[
                "pointer", "revert", "churn", "--to", "mon-1", "--reason", "monday",
            ],
        ),
        run(
            "rules-set",
            &["rules", "set", "churn", "--reason", "the defaults"],
        ),
        run(
            "gc-dry-run",
            &["gc", "churn", "--keep", "1", "--grace", "0s", "--dry-run"],
        ),
        run("gc", &["gc", "churn", "--keep", "1", "--grace", "0s"]),
        run("doctor", &["doctor", "churn"]),
        Step::Do(Box::new(|_, root| {
            std::fs::remove_file(root.join("churn/pointer.json")).unwrap();
        })),
        run("doctor-problems", &["doctor", "churn"]),
        run("doctor-repair", &["doctor", "churn", "--repair"]),
        run("delta-build", &["delta", "build", "churn"]),
        run("show-not-found", &["show", "churn", "zzz"]),
        run("usage-error", &["show", "churn"]),
        run("bad-dataset", &["versions", "Bad/Name"]),
        Step::Do(Box::new(move |cwd, _| {
            std::fs::write(cwd.join("daily.toml"), partitioned).unwrap();
            data(&cwd.join("d1"), "part", 600, 1, 1, Variant::Good);
            data(&cwd.join("d2"), "part", 600, 1, 2, Variant::Good);
        })),
        run(
            "publish-partition",
            &[
                "--config",
                "daily.toml",
                "publish",
                "daily",
                "d1/part",
                "--partition",
                "date=2026-11-21",
                "--version",
                "d-1",
            ],
        ),
        run(
            "publish-partition-2",
            &[
                "--config",
                "daily.toml",
                "publish",
                "daily",
                "d2/part",
                "--partition",
                "date=2026-11-22",
                "--version",
                "d-2",
            ],
        ),
        run(
            "versions-partitioned",
            &["--config", "daily.toml", "versions", "daily"],
        ),
        run(
            "show-partitioned",
            &["--config", "daily.toml", "show", "daily", "d-2"],
        ),
        run(
            "pointer-revert-partition",
            &[
                "--config",
                "daily.toml",
                "pointer",
                "revert",
                "daily",
                "--partition",
                "date=2026-11-22",
                "--reason",
                "stale model",
            ],
        ),
        run(
            "resolve-partition",
            &[
                "--config",
                "daily.toml",
                "resolve",
                "daily",
                "--partition",
                "date=2026-11-21",
            ],
        ),
        run(
            "init",
            &["init", "churn", "--sample", "mon", "--dir", "proj"],
        ),
        run(
            "init-again",
            &["init", "churn", "--sample", "mon", "--dir", "proj"],
        ),
        once(
            "schema-infer",
            &["schema", "infer", "mon", "--dataset", "churn"],
        ),
        run("demo-data", &["demo-data", "demo", "--rows", "500"]),
        run("man", &["man", "--out", "man"]),
    ]
}

#[test]
fn every_command_human_and_json_is_golden() {
    let human = tempfile::tempdir().unwrap();
    let json = tempfile::tempdir().unwrap();
    let mut outputs: Vec<(String, String)> = Vec::new();
    for (i, t) in [&human, &json].into_iter().enumerate() {
        let (cwd, root) = (t.path(), t.path().join("lake"));
        week(cwd, &root);
        let mut n = 0;
        for step in script() {
            let (name, mut args, twin) = match step {
                Step::Do(f) => {
                    f(cwd, &root);
                    continue;
                }
                Step::Run(name, args) => (name, args, true),
                Step::Once(name, args) => (name, args, false),
            };
            n += 1;
            if i == 1 && twin {
                args.push("--json".into());
            }
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let o = lastgood_env(cwd, &root, &args, &[("COLUMNS", "120")]);
            let rec = record(&args, &o, cwd);
            let file = format!("commands/{n:02}-{name}.txt");
            if i == 0 {
                outputs.push((file, rec));
            } else if twin {
                outputs[n - 1].1.push('\n');
                outputs[n - 1].1.push_str(&rec);
            }
        }
    }
    // Every differing file at once, each with its first differing line.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut differ = Vec::new();
    for (file, text) in &outputs {
        if std::env::var_os("LASTGOOD_BLESS").is_some() {
            golden(file, text);
            continue;
        }
        let want = std::fs::read_to_string(dir.join(file)).unwrap_or_default();
        if *text != want {
            let line = text
                .lines()
                .zip(want.lines().chain(std::iter::repeat("<end>")))
                .find(|(a, b)| a != b)
                .map(|(a, b)| format!("got {a:?}\n    want {b:?}"))
                .unwrap_or_else(|| "(lengths differ)".into());
            differ.push(format!("{file}: {line}"));
        }
    }
    assert!(
        differ.is_empty(),
        "differ from tests/golden (LASTGOOD_BLESS=1 rewrites them):\n{}",
        differ.join("\n")
    );
    // Completions come from the same definition as --help; their text is clap's.
    let t = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish"] {
        let o = lastgood(t.path(), &t.path().join("lake"), &["completions", shell]);
        assert_eq!(code(&o), 0, "{shell}: {}", stderr(&o));
        let s = stdout(&o);
        assert!(s.contains("lastgood") && s.contains("revert"), "{shell}");
    }
}
