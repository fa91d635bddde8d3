//! Reliability on every store: the local filesystem here, the SeaweedFS S3 server that
//! tests/run.sh starts. Crash at every write, processes racing, integrity checks, transient faults.

use std::process::{Command, Stdio};
use std::sync::Arc;

use lastgood::faults::{Fault, FaultyStore};
use lastgood::ops::doctor::DoctorReport;
use lastgood::ops::publish::{PublishOptions, PublishOutcome, publish};
use lastgood::ops::resolve::Resolved;
use lastgood::ops::{revert, set};
use lastgood::pointer::LogEntry;
use lastgood::synth::Variant;
use lastgood::{Context, Dataset, DatasetName, Store};

use crate::util::*;

fn local_root(t: &tempfile::TempDir) -> String {
    t.path().join("lake").display().to_string()
}

fn doctor(cwd: &std::path::Path, root: &str, ds: &str) -> DoctorReport {
    let o = lg(cwd, root, &["doctor", ds, "--json"]);
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {} {}", stdout(&o), stderr(&o)))
}

/// Kills each command (abort, as SIGKILL: no cleanup) before its 1st, 2nd, … write, until it runs
/// through. After every cut: the pointer names a sealed, intact version (the old one or the new
/// one); nothing sealed before changed; the same command run again completes; doctor is healthy
/// after --repair.
fn crash_at_every_write(root: &str) {
    let t = tempfile::tempdir().unwrap();
    let cwd = t.path();
    let v1 = data(cwd, "v1", 2000, 1, 1, Variant::Good);
    let v2 = data(cwd, "v2", 2000, 1, 2, Variant::Good);
    let v3 = data(cwd, "v3", 2000, 2, 3, Variant::Good);
    let v3s = v3.to_str().unwrap().to_string();
    let commands: Vec<(&str, Vec<&str>, &str)> = vec![
        (
            "publish",
            vec!["publish", "DS", &v3s, "--version", "v3"],
            "v3",
        ),
        (
            "set",
            vec!["pointer", "set", "DS", "v1", "--reason", "cut"],
            "v1",
        ),
        (
            "revert",
            vec!["pointer", "revert", "DS", "--to", "v1", "--reason", "cut"],
            "v1",
        ),
    ];
    for (name, args, target) in commands {
        for n in 0.. {
            let ds = format!("{name}{n}");
            for (v, src) in [("v1", &v1), ("v2", &v2)] {
                let o = lg(
                    cwd,
                    root,
                    &["publish", &ds, src.to_str().unwrap(), "--version", v],
                );
                assert_eq!(code(&o), 0, "{}", stderr(&o));
            }
            let before = sealed_objects(root, &ds);
            let args: Vec<&str> = args
                .iter()
                .map(|a| if *a == "DS" { ds.as_str() } else { a })
                .collect();
            let cut = lg_env(
                cwd,
                root,
                &args,
                &[("LASTGOOD_FAULT_ABORT_AFTER_WRITES", &n.to_string())],
            );
            if cut.status.success() {
                // Every earlier n was a cut.
                assert!(n >= 2, "{name}: the loop cut {n} times");
                break;
            }
            assert!(
                stderr(&cut).contains("fault injection: aborting"),
                "{name} cut {n}: {}",
                stderr(&cut)
            );

            let r: Resolved = ok_json(&lg(cwd, root, &["resolve", &ds, "--json"]));
            assert!(
                r.version == "v2" || r.version == target,
                "{name} cut {n}: pointer at {}",
                r.version
            );
            let after = sealed_objects(root, &ds);
            for obj in &before {
                assert!(
                    after.contains(obj),
                    "{name} cut {n}: {} changed or vanished",
                    obj.0
                );
            }
            let report = doctor(cwd, root, &ds);
            // A cut after the log entry leaves the pointer file or the Delta projection behind.
            assert!(
                report.problems.iter().all(|p| p.kind == "pointer_file"
                    || (p.kind == "delta" && p.message.starts_with("missing"))),
                "{name} cut {n}: {:?}",
                report.problems
            );

            let again = lg(cwd, root, &args);
            assert_eq!(
                code(&again),
                0,
                "{name} cut {n}: re-run: {}",
                stderr(&again)
            );
            let r: Resolved = ok_json(&lg(cwd, root, &["resolve", &ds, "--json"]));
            assert_eq!(r.version, target, "{name} cut {n}");
            let o = lg(cwd, root, &["doctor", &ds, "--repair"]);
            assert_eq!(code(&o), 0, "{}", stdout(&o));
            assert!(doctor(cwd, root, &ds).ok);
        }
    }
}

/// Issue 12, defects 5 and 7, through the binary: gc on a partitioned dataset killed before its
/// 1st, 2nd, … write. After every cut: every sealed version has all its files (doctor finds no
/// missing or damaged file), no `pointer set` lands on a version the gc entry collects, the
/// pointer stays; gc run again completes and doctor is healthy.
fn crash_gc_at_every_write(root: &str) {
    let t = tempfile::tempdir().unwrap();
    let cwd = t.path();
    let nights: Vec<_> = (0..4)
        .map(|i| data(cwd, &format!("n{i}"), 300, 1, i + 1, Variant::Good))
        .collect();
    let mut config = String::new();
    for n in 0.. {
        let ds = format!("gccut{n}");
        config.push_str(&format!("[datasets.{ds}]\npartition_by = [\"date\"]\n"));
        std::fs::write(cwd.join("lastgood.toml"), &config).unwrap();
        // n1 carries n0's night 1; n2 replaces night 1: gc --keep 1 collects n0 and n1, and n1
        // lists a file in n0's folder.
        for (i, date) in [(0usize, "1"), (1, "2"), (2, "1"), (3, "3")] {
            let o = lg(
                cwd,
                root,
                &[
                    "publish",
                    &ds,
                    nights[i].to_str().unwrap(),
                    "--partition",
                    &format!("date={date}"),
                    "--version",
                    &format!("n{i}"),
                ],
            );
            assert_eq!(code(&o), 0, "{}", stderr(&o));
        }
        let gc = ["gc", &ds, "--keep", "1", "--grace", "0s"];
        let cut = lg_env(
            cwd,
            root,
            &gc,
            &[("LASTGOOD_FAULT_ABORT_AFTER_WRITES", &n.to_string())],
        );
        if cut.status.success() {
            assert!(n >= 3, "gc: the loop cut {n} times");
            break;
        }
        assert!(
            stderr(&cut).contains("fault injection: aborting"),
            "gc cut {n}: {}",
            stderr(&cut)
        );
        let report = doctor(cwd, root, &ds);
        // A cut after the log entry leaves the pointer file or the Delta projection behind.
        assert!(
            report.problems.iter().all(|p| p.kind == "pointer_file"
                || (p.kind == "delta" && p.message.starts_with("missing"))),
            "gc cut {n}: {:?}",
            report.problems
        );
        let h: Vec<LogEntry> = ok_json(&lg(
            cwd,
            root,
            &["pointer", "history", &ds, "--limit", "1", "--json"],
        ));
        let recorded = h[0].action.as_str() == "gc";
        for doomed in ["n0", "n1"].iter().filter(|_| recorded) {
            let o = lg(
                cwd,
                root,
                &["pointer", "set", &ds, doomed, "--reason", "back", "--force"],
            );
            assert!(
                matches!(code(&o), 2 | 4),
                "gc cut {n}: set {doomed}: {}",
                stderr(&o)
            );
        }
        let r: Resolved = ok_json(&lg(cwd, root, &["resolve", &ds, "--json"]));
        assert_eq!(r.version, "n3", "gc cut {n}");
        let again = lg(cwd, root, &gc);
        assert_eq!(code(&again), 0, "gc cut {n}: re-run: {}", stderr(&again));
        let o = lg(cwd, root, &["doctor", &ds, "--repair"]);
        assert_eq!(code(&o), 0, "{}", stdout(&o));
        let report = doctor(cwd, root, &ds);
        assert!(report.ok, "gc cut {n}: {:?}", report.problems);
    }
}

/// Publishers, an operator and an analyst on one dataset at once, as separate processes.
fn processes_race(root: &str) {
    let t = tempfile::tempdir().unwrap();
    let cwd = t.path();
    for (v, seed) in [("v1", 1), ("v2", 2)] {
        let d = data(cwd, v, 2000, 1, seed, Variant::Good);
        assert_eq!(
            code(&lg(
                cwd,
                root,
                &["publish", "race", d.to_str().unwrap(), "--version", v]
            )),
            0
        );
    }
    let mut jobs: Vec<Vec<String>> = Vec::new();
    for i in 0..3 {
        let d = data(cwd, &format!("p{i}"), 2000, 1, 10 + i, Variant::Good);
        jobs.push(vec![
            "publish".into(),
            "race".into(),
            d.display().to_string(),
            "--version".into(),
            format!("p{i}"),
        ]);
    }
    jobs.push(vec![
        "pointer".into(),
        "set".into(),
        "race".into(),
        "v1".into(),
        "--reason".into(),
        "op".into(),
    ]);
    jobs.push(vec![
        "pointer".into(),
        "revert".into(),
        "race".into(),
        "--reason".into(),
        "analyst".into(),
    ]);
    jobs.push(vec![
        "pointer".into(),
        "set".into(),
        "race".into(),
        "v2".into(),
        "--reason".into(),
        "op2".into(),
    ]);
    let children: Vec<_> = jobs
        .iter()
        .map(|args| {
            Command::new(env!("CARGO_BIN_EXE_lastgood"))
                .current_dir(cwd)
                .args(["--root", root, "--json"])
                .args(args)
                .env_remove("LASTGOOD_FAULT_ABORT_AFTER_WRITES")
                .env_remove("LASTGOOD_FAULT_FAIL_AFTER_WRITES")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut won: Vec<u64> = Vec::new();
    for (args, c) in jobs.iter().zip(children) {
        let o = c.wait_with_output().unwrap();
        match code(&o) {
            0 => {
                let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
                let moved = v
                    .get("moved")
                    .map(|m| m == true)
                    .unwrap_or(v["promoted"] == true);
                if moved {
                    won.push(v["seq"].as_u64().unwrap());
                }
            }
            4 | 5 => {} // refused (e.g. nothing left to revert) or lost the race: allowed, nothing written
            other => panic!("{args:?}: exit {other}: {}", stderr(&o)),
        }
    }
    let h: Vec<LogEntry> = ok_json(&lg(cwd, root, &["pointer", "history", "race", "--json"]));
    let head = h[0].seq;
    won.sort();
    let expected: Vec<u64> = (3..=head).collect();
    assert_eq!(
        won, expected,
        "every winning action exactly once, at its own position, no gaps"
    );
    let report = doctor(cwd, root, "race");
    assert!(report.ok, "{:?}", report.problems);
}

/// doctor finds a tampered data file, an edited log entry and a stale pointer file; --repair fixes
/// only the pointer file.
fn doctor_finds_problems(root: &str) {
    let t = tempfile::tempdir().unwrap();
    let cwd = t.path();
    for (v, seed) in [("v1", 1), ("v2", 2)] {
        let d = data(cwd, v, 500, 1, seed, Variant::Good);
        assert_eq!(
            code(&lg(
                cwd,
                root,
                &["publish", "doc", d.to_str().unwrap(), "--version", v]
            )),
            0
        );
    }
    let report = doctor(cwd, root, "doc");
    assert!(
        report.ok && report.files_verified == 2 && report.log_entries == 2,
        "{report:?}"
    );

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let ds = Dataset::new(Store::open(root).unwrap(), DatasetName::new("doc").unwrap());
        // A stale pointer file (entry 1's).
        let e1 = ds
            .store
            .get(&ds.layout.log_entry(1))
            .await
            .unwrap()
            .unwrap();
        let e1: LogEntry = serde_json::from_slice(&e1).unwrap();
        let v1 = ds
            .require(&lastgood::VersionId::new("v1").unwrap())
            .await
            .unwrap();
        let stale =
            lastgood::pointer::PointerFile::new(&ds, &e1, &v1.manifest, &v1.checksum).unwrap();
        ds.store
            .overwrite(&ds.layout.pointer_file(), stale.to_bytes())
            .await
            .unwrap();
    });
    let o = lg(cwd, root, &["doctor", "doc"]);
    assert_eq!(code(&o), 2);
    assert!(stdout(&o).contains("pointer_file"), "{}", stdout(&o));
    let o = lg(cwd, root, &["doctor", "doc", "--repair"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert!(stdout(&o).contains("repaired: pointer file rewritten"));
    assert!(doctor(cwd, root, "doc").ok);

    rt.block_on(async {
        let ds = Dataset::new(Store::open(root).unwrap(), DatasetName::new("doc").unwrap());
        // A data file tampered with, and a log entry edited by hand.
        let m = ds
            .require(&lastgood::VersionId::new("v1").unwrap())
            .await
            .unwrap();
        let path = ds.layout.resolve(&m.manifest.files[0].path).unwrap();
        let mut bytes = ds.store.get(&path).await.unwrap().unwrap().to_vec();
        let mid = bytes.len() / 2;
        bytes[mid] ^= 0xff;
        ds.store.overwrite(&path, bytes.into()).await.unwrap();
        let entry = ds.layout.log_entry(1);
        let text =
            String::from_utf8(ds.store.get(&entry).await.unwrap().unwrap().to_vec()).unwrap();
        ds.store
            .overwrite(&entry, text.replace("tester@ci", "mallory@ci").into())
            .await
            .unwrap();
    });
    let report = doctor(cwd, root, "doc");
    assert!(!report.ok);
    let kinds: Vec<(&str, &str)> = report
        .problems
        .iter()
        .map(|p| (p.kind.as_str(), p.message.as_str()))
        .collect();
    assert!(
        kinds
            .iter()
            .any(|(k, m)| *k == "file" && m.contains("checksum")),
        "{kinds:?}"
    );
    assert!(
        kinds.iter().any(|(k, m)| *k == "log" && m.contains("prev")),
        "{kinds:?}"
    );
    let o = lg(cwd, root, &["doctor", "doc", "--repair"]);
    assert_eq!(code(&o), 2, "--repair does not hide damage it must not fix");
}

#[test]
fn local_crash_at_every_write() {
    let t = tempfile::tempdir().unwrap();
    crash_at_every_write(&local_root(&t));
}

#[test]
fn local_crash_gc_at_every_write() {
    let t = tempfile::tempdir().unwrap();
    crash_gc_at_every_write(&local_root(&t));
}

#[test]
fn s3_crash_gc_at_every_write() {
    if let Some(root) = s3_root("crashgc") {
        crash_gc_at_every_write(&root);
    }
}

#[test]
fn local_processes_race() {
    let t = tempfile::tempdir().unwrap();
    processes_race(&local_root(&t));
}

#[test]
fn local_doctor_finds_problems() {
    let t = tempfile::tempdir().unwrap();
    doctor_finds_problems(&local_root(&t));
}

#[test]
fn s3_crash_at_every_write() {
    if let Some(root) = s3_root("crash") {
        crash_at_every_write(&root);
    }
}

#[test]
fn s3_processes_race() {
    if let Some(root) = s3_root("race") {
        processes_race(&root);
    }
}

#[test]
fn s3_doctor_finds_problems() {
    if let Some(root) = s3_root("doctor") {
        doctor_finds_problems(&root);
    }
}

/// Transient failures of the store are retried (bounded); persistent ones end in a clear error with
/// the pointer untouched.
async fn transient_faults(store: Store) {
    let t = tempfile::tempdir().unwrap();
    let ds = Dataset::new(store.clone(), DatasetName::new("flaky").unwrap());
    let a = data(t.path(), "a", 300, 1, 1, Variant::Good);
    let b = data(t.path(), "b", 300, 1, 2, Variant::Good);
    let opts = |src: &std::path::Path| PublishOptions {
        sources: vec![src.display().to_string()],
        ..Default::default()
    };
    publish(&ds, &Context::new("t"), opts(&a)).await.unwrap();

    // Every other write fails once: the retries absorb it.
    let flaky = Arc::new(FaultyStore::new(
        store.object_store(),
        Fault::FailEveryOther,
    ));
    let flaky_ds = Dataset::new(
        Store::with_store(
            flaky.clone(),
            store.base().clone(),
            store.store_url().clone(),
        ),
        ds.name().clone(),
    );
    let out: PublishOutcome = publish(&flaky_ds, &Context::new("t"), opts(&b))
        .await
        .unwrap();
    assert!(out.promoted);
    assert!(
        flaky.writes() > 6,
        "failures happened and were retried: {}",
        flaky.writes()
    );
    let reverted = revert::revert(&flaky_ds, &Context::new("t"), None, "flaky revert", false)
        .await
        .unwrap();
    assert!(reverted.moved);
    set::set(
        &flaky_ds,
        &Context::new("t"),
        &lastgood::VersionId::new(&out.version).unwrap(),
        "back",
        true,
    )
    .await
    .unwrap();

    // A store that keeps failing: a clear error naming what failed, and the pointer where it was.
    let c = data(t.path(), "c", 300, 1, 3, Variant::Good);
    let dead = Arc::new(FaultyStore::new(store.object_store(), Fault::FailAfter(0)));
    let dead_ds = Dataset::new(
        Store::with_store(dead, store.base().clone(), store.store_url().clone()),
        ds.name().clone(),
    );
    let err = publish(&dead_ds, &Context::new("t"), opts(&c))
        .await
        .unwrap_err();
    assert_eq!(err.exit_code(), 1);
    assert!(err.to_string().contains("injected failure"), "{err}");
    let err = revert::revert(&dead_ds, &Context::new("t"), None, "dead", false)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("injected failure"), "{err}");
    let (now, _) = lastgood::ops::resolve::resolve(&ds, &lastgood::ops::resolve::At::Current)
        .await
        .unwrap();
    assert_eq!(now.version, out.version);
    let report = lastgood::ops::doctor::doctor(&ds, false).await.unwrap();
    assert!(report.ok, "{:?}", report.problems);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_transient_faults() {
    transient_faults(Store::memory()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_transient_faults() {
    let t = tempfile::tempdir().unwrap();
    transient_faults(Store::open(&local_root(&t)).unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_transient_faults() {
    if let Some(root) = s3_root("transient") {
        transient_faults(Store::open(&root).unwrap()).await;
    }
}

/// A real SIGKILL at arbitrary moments of a publish: the same invariants as the cut tests.
fn sigkill_mid_publish(root: &str) {
    let t = tempfile::tempdir().unwrap();
    let cwd = t.path();
    let first = data(cwd, "first", 400_000, 2, 1, Variant::Good);
    let big = data(cwd, "big", 400_000, 6, 2, Variant::Good);
    for (i, delay_ms) in [5u64, 30, 60, 120, 250].into_iter().enumerate() {
        let ds = format!("kill{i}");
        assert_eq!(
            code(&lg(
                cwd,
                root,
                &["publish", &ds, first.to_str().unwrap(), "--version", "v1"]
            )),
            0
        );
        let before = sealed_objects(root, &ds);
        let mut child = Command::new(env!("CARGO_BIN_EXE_lastgood"))
            .current_dir(cwd)
            .args([
                "--root",
                root,
                "publish",
                &ds,
                big.to_str().unwrap(),
                "--version",
                "v2",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let r: Resolved = ok_json(&lg(cwd, root, &["resolve", &ds, "--json"]));
        assert!(r.version == "v1" || r.version == "v2");
        let after = sealed_objects(root, &ds);
        assert!(
            before.iter().all(|o| after.contains(o)),
            "nothing sealed changed"
        );
        let again = lg(
            cwd,
            root,
            &["publish", &ds, big.to_str().unwrap(), "--version", "v2"],
        );
        assert_eq!(code(&again), 0, "{}", stderr(&again));
        assert_eq!(
            ok_json::<Resolved>(&lg(cwd, root, &["resolve", &ds, "--json"])).version,
            "v2"
        );
        assert!(doctor(cwd, root, &ds).ok);
    }
}

#[test]
fn local_sigkill_mid_publish() {
    let t = tempfile::tempdir().unwrap();
    sigkill_mid_publish(&local_root(&t));
}

#[test]
fn s3_sigkill_mid_publish() {
    if let Some(root) = s3_root("sigkill") {
        sigkill_mid_publish(&root);
    }
}

#[test]
fn unreachable_root_and_missing_credentials_are_bad_input() {
    let t = tempfile::tempdir().unwrap();
    let cwd = t.path();
    let env = [
        ("AWS_ENDPOINT", "http://127.0.0.1:9"),
        ("AWS_ALLOW_HTTP", "true"),
        ("AWS_ACCESS_KEY_ID", "AKIDTEST"),
        ("AWS_SECRET_ACCESS_KEY", "sEcReT-never-printed"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
    ];
    let o = lg_env(cwd, "s3://nobucket/x", &["pointer", "show", "churn"], &env);
    fails_with(&o, 2, "s3://nobucket");
    assert!(
        !stderr(&o).contains("sEcReT") && !stdout(&o).contains("sEcReT"),
        "credentials never printed"
    );
    let o = Command::new(env!("CARGO_BIN_EXE_lastgood"))
        .current_dir(cwd)
        .args(["--root", "s3://nobucket/x", "pointer", "show", "churn"])
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ENDPOINT", "http://127.0.0.1:9")
        .output()
        .unwrap();
    fails_with(&o, 2, "no S3 credentials");
}

/// Large files go up in parts (S3's minimum part is 5 MiB; the threshold is lowered so a test file
/// qualifies); the result verifies like any other file and a re-run is idempotent.
fn multipart_upload(root: &str) {
    let t = tempfile::tempdir().unwrap();
    let cwd = t.path();
    let big = data(cwd, "big", 600_000, 1, 1, Variant::Good);
    let size = std::fs::metadata(big.join("part-00000.parquet"))
        .unwrap()
        .len();
    assert!(size > 6 * 1024 * 1024, "the file spans two parts: {size}");
    let env = [("LASTGOOD_MULTIPART_THRESHOLD", "1048576")];
    let out: PublishOutcome = ok_json(&lg_env(
        cwd,
        root,
        &["publish", "big", big.to_str().unwrap(), "--json"],
        &env,
    ));
    assert!(out.promoted && out.bytes == size);
    assert!(
        doctor(cwd, root, "big").ok,
        "the uploaded parts hash to the manifest's checksum"
    );
    let again: PublishOutcome = ok_json(&lg_env(
        cwd,
        root,
        &["publish", "big", big.to_str().unwrap(), "--json"],
        &env,
    ));
    assert!(!again.created && again.version == out.version);
}

#[test]
fn local_multipart_upload() {
    let t = tempfile::tempdir().unwrap();
    multipart_upload(&local_root(&t));
}

#[test]
fn s3_multipart_upload() {
    if let Some(root) = s3_root("multipart") {
        multipart_upload(&root);
    }
}

/// Every object of the dataset, pointer file included.
fn everything(root: &str, dataset: &str) -> Vec<(String, Vec<u8>)> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let ds = Dataset::new(
            Store::open(root).unwrap(),
            DatasetName::new(dataset).unwrap(),
        );
        let mut out = Vec::new();
        for o in ds.store.list(ds.layout.prefix()).await.unwrap() {
            out.push((
                o.location.to_string(),
                ds.store.get(&o.location).await.unwrap().unwrap().to_vec(),
            ));
        }
        out.sort();
        out
    })
}

/// Bad input on a real store: one line naming the problem, exit 2, the pointer and every sealed
/// object untouched. Hand-edited store objects are refused the same way.
fn bad_input_changes_nothing(root: &str) {
    let t = tempfile::tempdir().unwrap();
    let cwd = t.path();
    let good = data(cwd, "good", 300, 1, 1, Variant::Good);
    let g = good.to_str().unwrap();
    assert_eq!(
        code(&lg(cwd, root, &["publish", "churn", g, "--version", "v1"])),
        0
    );
    std::fs::write(cwd.join("junk.parquet"), "not parquet").unwrap();
    std::fs::create_dir_all(cwd.join("empty")).unwrap();
    let dropped = data(cwd, "dropped", 300, 1, 2, Variant::DropCol);
    std::fs::copy(
        dropped.join("part-00000.parquet"),
        good.join("part-00001.parquet"),
    )
    .unwrap();
    let before = everything(root, "churn");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["publish", "churn", "junk.parquet"],
            "not a readable Parquet file",
        ),
        (vec!["publish", "churn", "empty"], "no Parquet files"),
        (vec!["publish", "churn", g], "different schemas"),
        (
            vec!["publish", "churn", "junk.parquet", "--version", "../../x"],
            "invalid version id",
        ),
        (
            vec!["pointer", "set", "churn", "a b", "--reason", "x"],
            "invalid version id",
        ),
        (
            vec!["pointer", "set", "churn", "nope", "--reason", "x"],
            "not found",
        ),
        (
            vec!["publish", "churn/../x", "junk.parquet"],
            "invalid dataset name",
        ),
    ];
    for (args, needle) in cases {
        fails_with(&lg(cwd, root, &args), 2, needle);
    }
    assert_eq!(everything(root, "churn"), before, "nothing changed");

    // A manifest edited by hand: readers refuse the version.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let ds = Dataset::new(
            Store::open(root).unwrap(),
            DatasetName::new("churn").unwrap(),
        );
        let m = ds.layout.manifest(&lastgood::VersionId::new("v1").unwrap());
        let text = String::from_utf8(ds.store.get(&m).await.unwrap().unwrap().to_vec()).unwrap();
        ds.store
            .overwrite(
                &m,
                text.replacen("\"rows\": 300", "\"rows\": 3000", 1).into(),
            )
            .await
            .unwrap();
    });
    fails_with(&lg(cwd, root, &["resolve", "churn"]), 2, "v1");
    // A log entry edited into garbage: a one-line error, exit 2.
    rt.block_on(async {
        let ds = Dataset::new(
            Store::open(root).unwrap(),
            DatasetName::new("churn").unwrap(),
        );
        ds.store
            .overwrite(
                &ds.layout.log_entry(1),
                bytes::Bytes::from_static(b"{\"seq\": 1, oops"),
            )
            .await
            .unwrap();
    });
    fails_with(
        &lg(cwd, root, &["pointer", "show", "churn"]),
        2,
        "log entry 1",
    );
}

#[test]
fn local_bad_input_changes_nothing() {
    let t = tempfile::tempdir().unwrap();
    bad_input_changes_nothing(&local_root(&t));
}

#[test]
fn s3_bad_input_changes_nothing() {
    if let Some(root) = s3_root("badinput") {
        bad_input_changes_nothing(&root);
    }
}

/// Sources given as URLs on the store itself (a Spark job writing to S3, then `lastgood publish`
/// from there); and the consumers' API: the current version as a DataFusion table.
fn url_sources_and_table(root: &str) {
    let t = tempfile::tempdir().unwrap();
    let cwd = t.path();
    let out = cwd.join("out");
    lastgood::synth::write_dir(&out.join("date=2026-11-21"), 400, 2, 1, Variant::Good).unwrap();
    std::fs::write(out.join("_SUCCESS"), "").unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let incoming = format!("{}/incoming/job-1", root.trim_end_matches('/'));
    let incoming_url = if root.contains("://") {
        incoming.clone()
    } else {
        format!("file://{incoming}")
    };
    rt.block_on(async {
        let store = Store::open(&incoming).unwrap();
        for e in walk(&out) {
            let rel = e.strip_prefix(&out).unwrap().to_str().unwrap().to_string();
            let dest = rel.split('/').fold(store.base().clone(), |p, s| p.join(s));
            store
                .overwrite(&dest, std::fs::read(&e).unwrap().into())
                .await
                .unwrap();
        }
    });
    let p: PublishOutcome = ok_json(&lg(
        cwd,
        root,
        &["publish", "fromurl", &incoming_url, "--json"],
    ));
    assert_eq!(
        (p.files, p.rows),
        (2, 400),
        "the folder's Parquet files only"
    );
    rt.block_on(async {
        let ds = Dataset::new(Store::open(root).unwrap(), DatasetName::new("fromurl").unwrap());
        let (_, sealed) = lastgood::ops::resolve::resolve(&ds, &lastgood::ops::resolve::At::Current).await.unwrap();
        let ctx = datafusion::prelude::SessionContext::new();
        lastgood::table::register(&ctx, "preds", &ds, &sealed).unwrap();
        let batches = ctx
            .sql("SELECT date, count(*) AS n, count(DISTINCT customer_id) AS ids FROM preds WHERE date = '2026-11-21' GROUP BY date")
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        let text = arrow::util::pretty::pretty_format_batches(&batches).unwrap().to_string();
        assert!(text.contains("2026-11-21") && text.contains("| 400 | 400 |"), "{text}");
        let none = ctx.sql("SELECT count(*) FROM preds WHERE date = '2026-11-22'").await.unwrap().collect().await.unwrap();
        let text = arrow::util::pretty::pretty_format_batches(&none).unwrap().to_string();
        assert!(text.contains("| 0 "), "partition filters prune: {text}");
    });
}

fn walk(d: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(d).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p))
        } else {
            out.push(p)
        }
    }
    out
}

#[test]
fn local_url_sources_and_table() {
    let t = tempfile::tempdir().unwrap();
    url_sources_and_table(&local_root(&t));
}

#[test]
fn s3_url_sources_and_table() {
    if let Some(root) = s3_root("urlsrc") {
        url_sources_and_table(&root);
    }
}

/// The reliability scenarios on the other emulated clouds (issue 17): Azure on Azurite, GCS on
/// fake-gcs-server behind tests/gcs/proxy.py. Each runs like its s3_ twin.
macro_rules! on_cloud {
    ($cloud:ident, $($name:ident => $scenario:ident),* $(,)?) => {
        $( #[test]
           fn $name() {
               if let Some(root) = cloud_root(Cloud::$cloud, stringify!($name)) {
                   $scenario(&root);
               }
           } )*
    };
}

fn transient_faults_on(root: &str) {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(transient_faults(Store::open(root).unwrap()));
}

on_cloud!(Azure,
    azure_crash_at_every_write => crash_at_every_write,
    azure_processes_race => processes_race,
    azure_doctor_finds_problems => doctor_finds_problems,
    azure_transient_faults => transient_faults_on,
    azure_sigkill_mid_publish => sigkill_mid_publish,
    azure_multipart_upload => multipart_upload,
    azure_bad_input_changes_nothing => bad_input_changes_nothing,
    azure_url_sources_and_table => url_sources_and_table,
);

// Multipart on GCS: the proxy keeps the parts and completes the upload (the emulator has no
// XML-API multipart upload): GCS semantics, as for every write there.
on_cloud!(Gcs,
    gcs_multipart_upload => multipart_upload,
    gcs_crash_at_every_write => crash_at_every_write,
    gcs_processes_race => processes_race,
    gcs_doctor_finds_problems => doctor_finds_problems,
    gcs_transient_faults => transient_faults_on,
    gcs_sigkill_mid_publish => sigkill_mid_publish,
    gcs_bad_input_changes_nothing => bad_input_changes_nothing,
    gcs_url_sources_and_table => url_sources_and_table,
);
