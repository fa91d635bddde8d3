//! The real binary on a temporary local root, as the scheduler and the analyst use it.

use std::process::Command;

use lastgood::ops::publish::PublishOutcome;
use lastgood::ops::resolve::Resolved;
use lastgood::ops::set::MoveOutcome;
use lastgood::ops::status::PointerStatus;
use lastgood::ops::versions::VersionRow;
use lastgood::pointer::LogEntry;
use lastgood::synth::Variant;

use crate::util::*;

#[test]
fn publish_show_publish_revert_history() {
    let t = tempfile::tempdir().unwrap();
    let (cwd, root) = (t.path(), t.path().join("lake"));
    let mon = data(cwd, "mon", 1000, 2, 1, Variant::Good);
    let tue = data(cwd, "tue", 1000, 2, 2, Variant::Good);

    let p1: PublishOutcome = ok_json(&lastgood(
        cwd,
        &root,
        &[
            "publish",
            "churn",
            mon.to_str().unwrap(),
            "--meta",
            "model=churn-v1.14",
            "--json",
        ],
    ));
    assert!(p1.created && p1.promoted);
    let show: PointerStatus = ok_json(&lastgood(
        cwd,
        &root,
        &["pointer", "show", "churn", "--json"],
    ));
    assert_eq!(show.version.as_deref(), Some(p1.version.as_str()));

    let p2: PublishOutcome = ok_json(&lastgood(
        cwd,
        &root,
        &[
            "publish",
            "churn",
            tue.to_str().unwrap(),
            "--message",
            "tuesday",
            "--json",
        ],
    ));
    assert_eq!(p2.parent.as_deref(), Some(p1.version.as_str()));
    assert!(p2.version > p1.version, "generated ids sort by time");

    let human = lastgood(cwd, &root, &["pointer", "show", "churn"]);
    assert_eq!(code(&human), 0);
    assert!(
        stdout(&human).contains(&format!("churn -> {}", p2.version)),
        "{}",
        stdout(&human)
    );

    let r: MoveOutcome = ok_json(&lastgood(
        cwd,
        &root,
        &[
            "pointer",
            "revert",
            "churn",
            "--reason",
            "all scores 0.5",
            "--json",
        ],
    ));
    assert_eq!(
        (r.from.as_deref(), r.to.as_deref()),
        (Some(p2.version.as_str()), Some(p1.version.as_str()))
    );

    let h: Vec<LogEntry> = ok_json(&lastgood(
        cwd,
        &root,
        &["pointer", "history", "churn", "--json"],
    ));
    assert_eq!(h.len(), 3);
    assert_eq!(h[0].action.as_str(), "revert");
    assert_eq!(h[0].actor, "tester@ci");
    assert_eq!(h[0].reason.as_deref(), Some("all scores 0.5"));
    let raw: serde_json::Value = serde_json::from_slice(
        &lastgood(
            cwd,
            &root,
            &["pointer", "history", "churn", "--json", "--limit", "1"],
        )
        .stdout,
    )
    .unwrap();
    let first = &raw.as_array().unwrap()[0];
    for key in ["seq", "action", "from", "to", "actor", "at", "reason"] {
        assert!(first.get(key).is_some(), "history entry has {key}: {first}");
    }
    assert_eq!(raw.as_array().unwrap().len(), 1);

    let human = stdout(&lastgood(cwd, &root, &["pointer", "history", "churn"]));
    assert!(human.starts_with("SEQ"), "{human}");
    assert!(human.contains("all scores 0.5"));

    // resolve: the current version's files, one URL a line, that exist on disk.
    let urls = stdout(&lastgood(cwd, &root, &["resolve", "churn"]));
    assert_eq!(urls.lines().count(), 2);
    for u in urls.lines() {
        assert!(u.starts_with("file:///") && u.contains(&p1.version), "{u}");
    }
    let paths = stdout(&lastgood(
        cwd,
        &root,
        &["resolve", "churn", "--format", "paths"],
    ));
    for p in paths.lines() {
        assert!(std::path::Path::new(p).is_file(), "{p}");
    }
    let res: Resolved = ok_json(&lastgood(cwd, &root, &["resolve", "churn", "--json"]));
    assert_eq!(
        (res.version.as_str(), res.rows),
        (p1.version.as_str(), 1000)
    );

    // The consumers' pointer file names the same files.
    let pf: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root.join("churn/pointer.json")).unwrap()).unwrap();
    assert_eq!(pf["version"], p1.version.as_str());
    assert_eq!(pf["files"].as_array().unwrap().len(), 2);

    let vs: Vec<VersionRow> = ok_json(&lastgood(cwd, &root, &["versions", "churn", "--json"]));
    assert_eq!(vs.len(), 2);
    assert_eq!(vs[0].status, vec!["current"]);
    assert_eq!(vs[1].status, vec!["reverted"]);
    assert_eq!(
        vs[0].meta.get("model").map(String::as_str),
        Some("churn-v1.14")
    );
    let detail = stdout(&lastgood(cwd, &root, &["show", "churn", &p2.version]));
    assert!(
        detail.contains("tuesday") && detail.contains("reverted") && detail.contains("score"),
        "{detail}"
    );

    // Publishing the reverted content again is refused (exit 4), pointer untouched.
    let again = lastgood(cwd, &root, &["publish", "churn", tue.to_str().unwrap()]);
    fails_with(&again, 4, "reverted");
    let show: PointerStatus = ok_json(&lastgood(
        cwd,
        &root,
        &["pointer", "show", "churn", "--json"],
    ));
    assert_eq!(show.version.as_deref(), Some(p1.version.as_str()));
}

#[test]
fn idempotent_republish_and_refused_overwrite() {
    let t = tempfile::tempdir().unwrap();
    let (cwd, root) = (t.path(), t.path().join("lake"));
    let a = data(cwd, "a", 300, 1, 1, Variant::Good);
    let b = data(cwd, "b", 300, 1, 2, Variant::Good);
    let first: PublishOutcome = ok_json(&lastgood(
        cwd,
        &root,
        &[
            "publish",
            "churn",
            a.to_str().unwrap(),
            "--version",
            "v1",
            "--json",
        ],
    ));
    let again: PublishOutcome = ok_json(&lastgood(
        cwd,
        &root,
        &[
            "publish",
            "churn",
            a.to_str().unwrap(),
            "--version",
            "v1",
            "--json",
        ],
    ));
    assert!(first.created && !again.created && again.promoted);
    assert_eq!(first.seq, again.seq);

    let sealed = snapshot(&root.join("churn/versions"));
    let refused = lastgood(
        cwd,
        &root,
        &["publish", "churn", b.to_str().unwrap(), "--version", "v1"],
    );
    fails_with(&refused, 4, "already sealed with other content");
    assert_eq!(
        snapshot(&root.join("churn/versions")),
        sealed,
        "sealed files byte-identical"
    );
}

#[test]
fn interrupted_publish_is_never_pointed_to() {
    let t = tempfile::tempdir().unwrap();
    let (cwd, root) = (t.path(), t.path().join("lake"));
    let a = data(cwd, "a", 100, 1, 1, Variant::Good);
    let b = data(cwd, "b", 100, 3, 2, Variant::Good);
    ok_json::<PublishOutcome>(&lastgood(
        cwd,
        &root,
        &[
            "publish",
            "churn",
            a.to_str().unwrap(),
            "--version",
            "good",
            "--json",
        ],
    ));
    // Killed (abort, as SIGKILL) after two of its three data files.
    let killed = lastgood_env(
        cwd,
        &root,
        &["publish", "churn", b.to_str().unwrap(), "--version", "next"],
        &[("LASTGOOD_FAULT_ABORT_AFTER_WRITES", "2")],
    );
    assert!(!killed.status.success());
    // Uploads run concurrently: the abort may land before or after the first files are in place.
    assert!(!root.join("churn/versions/next/manifest.json").exists());

    let res: Resolved = ok_json(&lastgood(cwd, &root, &["resolve", "churn", "--json"]));
    assert_eq!(res.version, "good");
    fails_with(
        &lastgood(
            cwd,
            &root,
            &["pointer", "set", "churn", "next", "--reason", "x"],
        ),
        2,
        "not sealed",
    );
    let vs: Vec<VersionRow> = ok_json(&lastgood(cwd, &root, &["versions", "churn", "--json"]));
    assert!(
        vs.iter().all(|v| v.version != "next" || !v.sealed),
        "never sealed"
    );

    // The same command again completes.
    let done: PublishOutcome = ok_json(&lastgood(
        cwd,
        &root,
        &[
            "publish",
            "churn",
            b.to_str().unwrap(),
            "--version",
            "next",
            "--json",
        ],
    ));
    assert!(done.created && done.promoted);
    assert_eq!(
        ok_json::<Resolved>(&lastgood(cwd, &root, &["resolve", "churn", "--json"])).version,
        "next"
    );
}

#[test]
fn several_processes_move_the_pointer_at_once() {
    let t = tempfile::tempdir().unwrap();
    let (cwd, root) = (t.path(), t.path().join("lake"));
    let n = 6;
    for i in 0..n {
        let d = data(cwd, &format!("d{i}"), 20, 1, i, Variant::Good);
        ok_json::<PublishOutcome>(&lastgood(
            cwd,
            &root,
            &[
                "publish",
                "churn",
                d.to_str().unwrap(),
                "--version",
                &format!("v{i}"),
                "--no-promote",
                "--json",
            ],
        ));
    }
    let children: Vec<_> = (0..n)
        .map(|i| {
            Command::new(env!("CARGO_BIN_EXE_lastgood"))
                .current_dir(cwd)
                .args([
                    "--root",
                    root.to_str().unwrap(),
                    "--json",
                    "--actor",
                    &format!("w{i}"),
                    "pointer",
                    "set",
                    "churn",
                    &format!("v{i}"),
                    "--reason",
                    "race",
                ])
                .env_remove("LASTGOOD_FAULT_ABORT_AFTER_WRITES")
                .env_remove("LASTGOOD_FAULT_FAIL_AFTER_WRITES")
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut winners = 0;
    for c in children {
        let o = c.wait_with_output().unwrap();
        match code(&o) {
            0 => winners += 1,
            5 => {} // lost every retry: allowed, and nothing was written for it
            other => panic!("exit {other}: {}", stderr(&o)),
        }
    }
    let h: Vec<LogEntry> = ok_json(&lastgood(
        cwd,
        &root,
        &["pointer", "history", "churn", "--json"],
    ));
    assert_eq!(
        h.len(),
        winners,
        "every winning move exactly once, no lost entry"
    );
    for w in h.windows(2) {
        assert_eq!(w[0].seq, w[1].seq + 1, "gap-free");
        assert_eq!(w[0].from, w[1].to);
    }
    let show: PointerStatus = ok_json(&lastgood(
        cwd,
        &root,
        &["pointer", "show", "churn", "--json"],
    ));
    assert_eq!(
        show.version.as_ref(),
        h[0].to.as_ref().map(|v| v.to_string()).as_ref()
    );
    let pf: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root.join("churn/pointer.json")).unwrap()).unwrap();
    assert_eq!(
        pf["seq"], h[0].seq,
        "the pointer file agrees with the log's head"
    );
}

#[test]
fn spark_folder_publishes_its_parquet_files_only() {
    let t = tempfile::tempdir().unwrap();
    let (cwd, root) = (t.path(), t.path().join("lake"));
    let out = cwd.join("spark_out");
    lastgood::synth::write_dir(&out.join("date=2026-11-21"), 100, 2, 1, Variant::Good).unwrap();
    std::fs::write(out.join("_SUCCESS"), "").unwrap();
    std::fs::write(out.join("date=2026-11-21/.part-00000.parquet.crc"), "crc").unwrap();
    std::fs::create_dir_all(out.join("_temporary/0")).unwrap();
    std::fs::write(out.join("_temporary/0/part-9.parquet"), "partial").unwrap();
    let p: PublishOutcome = ok_json(&lastgood(
        cwd,
        &root,
        &["publish", "churn", out.to_str().unwrap(), "--json"],
    ));
    assert_eq!((p.files, p.rows), (2, 100));
    let res: Resolved = ok_json(&lastgood(cwd, &root, &["resolve", "churn", "--json"]));
    for f in &res.files {
        assert!(
            f.path.contains("/data/date=2026-11-21/part-0000"),
            "{}",
            f.path
        );
        assert_eq!(
            f.partition.get("date").map(String::as_str),
            Some("2026-11-21")
        );
    }
    // --partition places files under a partition folder.
    let night = data(cwd, "night", 50, 1, 2, Variant::Good);
    let p: PublishOutcome = ok_json(&lastgood(
        cwd,
        &root,
        &[
            "publish",
            "nightly",
            night.to_str().unwrap(),
            "--partition",
            "date=2026-11-22",
            "--json",
        ],
    ));
    let res: Resolved = ok_json(&lastgood(cwd, &root, &["resolve", "nightly", "--json"]));
    assert_eq!(
        res.files[0].path,
        format!(
            "versions/{}/data/date=2026-11-22/part-00000.parquet",
            p.version
        )
    );
}

#[test]
fn bad_input_is_one_line_exit_2_and_changes_nothing() {
    let t = tempfile::tempdir().unwrap();
    let (cwd, root) = (t.path(), t.path().join("lake"));
    let good = data(cwd, "good", 100, 1, 1, Variant::Good);
    ok_json::<PublishOutcome>(&lastgood(
        cwd,
        &root,
        &[
            "publish",
            "churn",
            good.to_str().unwrap(),
            "--version",
            "v1",
            "--json",
        ],
    ));
    let before = snapshot(&root);

    std::fs::write(cwd.join("notes.parquet"), "this is not parquet").unwrap();
    let truncated = cwd.join("trunc.parquet");
    let bytes = std::fs::read(good.join("part-00000.parquet")).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    std::fs::create_dir_all(cwd.join("empty")).unwrap();
    let other_schema = data(cwd, "dropped", 100, 1, 2, Variant::DropCol);
    let mixed = cwd.join("mixed");
    std::fs::create_dir_all(&mixed).unwrap();
    std::fs::copy(good.join("part-00000.parquet"), mixed.join("a.parquet")).unwrap();
    std::fs::copy(
        other_schema.join("part-00000.parquet"),
        mixed.join("b.parquet"),
    )
    .unwrap();
    let g = good.to_str().unwrap();

    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["publish", "churn", "notes.parquet"],
            "not a readable Parquet file",
        ),
        (
            vec!["publish", "churn", "trunc.parquet"],
            "not a readable Parquet file",
        ),
        (vec!["publish", "churn", "empty"], "no Parquet files"),
        (
            vec!["publish", "churn", "missing.parquet"],
            "missing.parquet",
        ),
        (vec!["publish", "churn", "mixed"], "different schemas"),
        (
            vec!["publish", "churn", g, "--version", "../escape"],
            "invalid version id",
        ),
        (
            vec!["publish", "churn", g, "--version", "a/b"],
            "invalid version id",
        ),
        (
            vec!["publish", "churn", g, "--version", "with space"],
            "invalid version id",
        ),
        (
            vec!["publish", "churn", g, "--version", "v\u{0456}1"],
            "invalid version id",
        ),
        (
            vec!["publish", "churn", g, "--version", "v\u{7}1"],
            "invalid version id",
        ),
        (vec!["publish", "../etc", g], "invalid dataset name"),
        (
            vec!["publish", "churn", g, "--meta", "novalue"],
            "key=value",
        ),
        (
            vec!["publish", "churn", g, "--partition", "date=../x"],
            "invalid partition value",
        ),
        (vec!["pointer", "show", "nosuch"], "not found"),
        (vec!["show", "churn", "v9"], "not found"),
        (
            vec!["pointer", "revert", "churn", "--reason", ""],
            "--reason",
        ),
    ];
    for (args, needle) in cases {
        let o = lastgood(cwd, &root, &args);
        fails_with(&o, 2, needle);
    }
    // clap's own usage errors: exit 2, no panic.
    let o = lastgood(cwd, &root, &["publish", "--no-such-flag"]);
    assert_eq!(code(&o), 2);
    let o = lastgood(cwd, &root, &["pointer", "revert", "churn"]);
    assert_eq!(code(&o), 2, "--reason is required");
    // Config: a named config that is missing, and a malformed one with line and column.
    std::fs::write(cwd.join("bad.toml"), "root = \"lake\"\nactor = = 1\n").unwrap();
    fails_with(
        &lastgood(cwd, &root, &["--config", "bad.toml", "versions", "churn"]),
        2,
        "line 2, column",
    );
    fails_with(
        &lastgood(cwd, &root, &["--config", "nope.toml", "versions", "churn"]),
        2,
        "nope.toml",
    );
    // --json errors are JSON on stdout too.
    let o = lastgood(cwd, &root, &["show", "churn", "v9", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["error"]["exit_code"], 2);
    assert_eq!(v["error"]["kind"], "not_found");

    assert_eq!(snapshot(&root), before, "nothing on the store changed");
}

#[test]
fn config_file_sets_root_and_actor() {
    let t = tempfile::tempdir().unwrap();
    let cwd = t.path();
    std::fs::write(
        cwd.join("lastgood.toml"),
        "root = \"lake\"\nactor = \"nightly-job\"\n",
    )
    .unwrap();
    let d = data(cwd, "d", 10, 1, 1, Variant::Good);
    let o = Command::new(env!("CARGO_BIN_EXE_lastgood"))
        .current_dir(cwd)
        .env_remove("LASTGOOD_ROOT")
        .env_remove("LASTGOOD_ACTOR")
        .args(["publish", "churn", d.to_str().unwrap(), "--json"])
        .output()
        .unwrap();
    let p: PublishOutcome = ok_json(&o);
    assert!(
        cwd.join("lake/churn/versions")
            .join(&p.version)
            .join("manifest.json")
            .is_file()
    );
    let h = Command::new(env!("CARGO_BIN_EXE_lastgood"))
        .current_dir(cwd)
        .env_remove("LASTGOOD_ROOT")
        .env_remove("LASTGOOD_ACTOR")
        .args(["pointer", "history", "churn", "--json"])
        .output()
        .unwrap();
    let h: Vec<LogEntry> = ok_json(&h);
    assert_eq!(h[0].actor, "nightly-job");
}

#[test]
fn help_documents_exit_codes() {
    let o = Command::new(env!("CARGO_BIN_EXE_lastgood"))
        .arg("--help")
        .output()
        .unwrap();
    let help = stdout(&o);
    for line in [
        "0  ok",
        "3  gates failed",
        "4  refused by policy",
        "5  conflict",
    ] {
        assert!(help.contains(line), "{help}");
    }
    for sub in [
        &["publish", "--help"][..],
        &["pointer", "revert", "--help"],
        &["resolve", "--help"],
    ] {
        let o = Command::new(env!("CARGO_BIN_EXE_lastgood"))
            .args(sub)
            .output()
            .unwrap();
        assert!(stdout(&o).contains("Example"), "{sub:?}");
    }
}
