//! The Delta Lake projection (issue 14): a crash between a log entry and its Delta commit, repaired
//! by the next command, on the local filesystem and S3; doctor finding commits lastgood did not
//! write; checkpoints every 100 commits; types Delta cannot represent refused. Read back by the real
//! `deltalake` (the consumers' venv); tests/consumers/test_delta.py tells the whole story with
//! deltalake and polars.

use std::path::Path;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, Int64Array, RecordBatch, TimestampMicrosecondArray, TimestampNanosecondArray,
    UInt32Array,
};
use arrow::datatypes::{Field, Schema};
use lastgood::ops::doctor::DoctorReport;
use lastgood::synth::Variant;
use lastgood::{Context, Dataset, DatasetName, Store, VersionId};
use serde::Deserialize;

use crate::util::*;

const VIEW: &str = r#"
import deltalake, json, os, sys
import pyarrow as pa
uri, version = sys.argv[1], (None if sys.argv[2] == "-" else int(sys.argv[2]))
so = {}
if uri.startswith("s3://"):
    so = {"AWS_ENDPOINT_URL": os.environ["AWS_ENDPOINT"], "AWS_ALLOW_HTTP": "true",
          "AWS_ACCESS_KEY_ID": os.environ["AWS_ACCESS_KEY_ID"],
          "AWS_SECRET_ACCESS_KEY": os.environ["AWS_SECRET_ACCESS_KEY"],
          "AWS_REGION": os.environ.get("AWS_REGION", "us-east-1")}
dt = deltalake.DeltaTable(uri, storage_options=so, version=version)
t = dt.to_pyarrow_table()
files = pa.table(dt.get_add_actions(flatten=True)).column("path").to_pylist()
print(json.dumps({"version": dt.version(), "files": sorted(files), "rows": t.num_rows,
                  "columns": t.schema.names, "reader": dt.protocol().min_reader_version}))
sys.stdout.flush()
# Skip interpreter teardown: deltalake's native threads can abort the process while it exits.
os._exit(0)
"#;

/// What `deltalake` sees of a table.
#[derive(Debug, Deserialize)]
struct View {
    version: u64,
    files: Vec<String>,
    rows: u64,
    columns: Vec<String>,
    /// The protocol's minReaderVersion.
    reader: u64,
}

fn table_uri(root: &str, ds: &str) -> String {
    format!("{}/{ds}", root.trim_end_matches('/'))
}

fn view(root: &str, ds: &str, version: Option<u64>) -> View {
    let python = python_with("deltalake");
    let v = version.map_or("-".to_string(), |v| v.to_string());
    let o = std::process::Command::new(python)
        .args(["-c", VIEW, &table_uri(root, ds), &v])
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "deltalake reading {ds}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap()
}

fn block_on<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

fn dataset(root: &str, ds: &str) -> Dataset {
    Dataset::new(Store::open(root).unwrap(), DatasetName::new(ds).unwrap())
}

/// The log's head seq, and the data files of the version at log position `at` (default: the head).
fn log_files(root: &str, ds: &str, at: Option<u64>) -> (u64, Vec<String>, u64) {
    block_on(async {
        let d = dataset(root, ds);
        let head = lastgood::pointer::read_head(&d).await.unwrap();
        let seq = at.unwrap_or(head.seq);
        let (e, _) = lastgood::pointer::read_entry(&d, seq)
            .await
            .unwrap()
            .unwrap();
        let v = e.state.version.unwrap();
        let m = d.require(&v).await.unwrap().manifest;
        let mut files: Vec<String> = m.files.iter().map(|f| f.path.clone()).collect();
        files.sort();
        (head.seq, files, m.rows)
    })
}

/// Kills `pointer revert` before each of its writes in turn. Before any repair, deltalake sees a
/// version the log holds (at or behind the head, never ahead) with exactly that position's files;
/// after the next command (`pointer show`, a reader of the head), it sees the head.
fn crash_between_entry_and_commit(root: &str) {
    let t = tempfile::tempdir().unwrap();
    let cwd = t.path();
    let v1 = data(cwd, "v1", 500, 2, 1, Variant::Good);
    let v2 = data(cwd, "v2", 500, 1, 2, Variant::Good);
    let mut lagged = false;
    for n in 0.. {
        let ds = format!("cut{n}");
        for (v, src) in [("v1", &v1), ("v2", &v2)] {
            let o = lg(
                cwd,
                root,
                &["publish", &ds, src.to_str().unwrap(), "--version", v],
            );
            assert_eq!(code(&o), 0, "{}", stderr(&o));
        }
        let args = ["pointer", "revert", &ds, "--reason", "cut"];
        let cut = lg_env(
            cwd,
            root,
            &args,
            &[("LASTGOOD_FAULT_ABORT_AFTER_WRITES", &n.to_string())],
        );
        if cut.status.success() {
            assert!(n >= 2, "the loop cut {n} times");
            break;
        }
        assert!(stderr(&cut).contains("fault injection: aborting"));
        let (head, _, _) = log_files(root, &ds, None);
        let seen = view(root, &ds, None);
        assert!(seen.version <= head, "cut {n}: Delta ahead of the log");
        let (_, files, rows) = log_files(root, &ds, Some(seen.version));
        assert_eq!(seen.files, files, "cut {n}: Delta shows another version");
        assert_eq!(seen.rows, rows);
        lagged |= seen.version < head;

        let o = lg(cwd, root, &["pointer", "show", &ds]);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        let seen = view(root, &ds, None);
        let (head, files, _) = log_files(root, &ds, None);
        assert_eq!(
            seen.version, head,
            "cut {n}: not caught up by the next command"
        );
        assert_eq!(seen.files, files);
        let report: DoctorReport = ok_json(&lg(cwd, root, &["doctor", &ds, "--json"]));
        assert!(report.ok, "cut {n}: {:?}", report.problems);
    }
    assert!(
        lagged,
        "no cut fell between a log entry and its Delta commit"
    );
}

#[test]
fn local_delta_crash_between_entry_and_commit() {
    let t = tempfile::tempdir().unwrap();
    crash_between_entry_and_commit(&t.path().join("lake").display().to_string());
}

#[test]
fn s3_delta_crash_between_entry_and_commit() {
    if let Some(root) = s3_root("delta-crash") {
        crash_between_entry_and_commit(&root);
    }
}

fn doctor_json(cwd: &Path, root: &str, ds: &str, repair: bool) -> DoctorReport {
    let mut args = vec!["doctor", ds, "--json"];
    if repair {
        args.push("--repair");
    }
    let o = lg(cwd, root, &args);
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", stderr(&o)))
}

/// Doctor finds a commit beyond the head, an edited commit and a missing one; --repair writes the
/// missing one and touches nothing else.
#[test]
fn delta_doctor_finds_commits_lastgood_did_not_write() {
    let t = tempfile::tempdir().unwrap();
    let cwd = t.path();
    let root = cwd.join("lake").display().to_string();
    for (v, seed) in [("v1", 1), ("v2", 2)] {
        let src = data(cwd, v, 300, 1, seed, Variant::Good);
        let o = lg(
            cwd,
            &root,
            &["publish", "d", src.to_str().unwrap(), "--version", v],
        );
        assert_eq!(code(&o), 0, "{}", stderr(&o));
    }
    let o = lg(cwd, &root, &["pointer", "revert", "d", "--reason", "r"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(doctor_json(cwd, &root, "d", false).ok);
    let log = cwd.join("lake/d/_delta_log");
    let commit = |k: u64| log.join(format!("{k:020}.json"));
    let delta_problems = |r: &DoctorReport| -> Vec<String> {
        r.problems
            .iter()
            .filter(|p| p.kind == "delta")
            .map(|p| format!("{}: {}", p.subject, p.message))
            .collect()
    };

    // An engine that ignored the writer feature appended version 4.
    std::fs::write(
        commit(4),
        "{\"commitInfo\":{\"timestamp\":1,\"operation\":\"WRITE\"}}\n{\"add\":{\"path\":\"x.parquet\",\"partitionValues\":{},\"size\":1,\"modificationTime\":1,\"dataChange\":true}}\n",
    )
    .unwrap();
    let r = doctor_json(cwd, &root, "d", false);
    let found = delta_problems(&r);
    assert!(
        found
            .iter()
            .any(|p| p.contains("00000000000000000004.json") && p.contains("beyond")),
        "{found:?}"
    );
    std::fs::remove_file(commit(4)).unwrap();

    // Commit 2 edited by hand: its files are not the ones entry 2 implies.
    let original = std::fs::read(commit(2)).unwrap();
    let edited = String::from_utf8(original.clone())
        .unwrap()
        .replace("\"add\"", "\"remove\"");
    std::fs::write(commit(2), edited).unwrap();
    let found = delta_problems(&doctor_json(cwd, &root, "d", false));
    assert!(
        found
            .iter()
            .any(|p| p.contains("00000000000000000002.json")
                && p.contains("not written by lastgood")),
        "{found:?}"
    );
    std::fs::write(commit(2), &original).unwrap();

    // The head's commit lost (a crash before it): found, and repaired.
    let head = std::fs::read(commit(3)).unwrap();
    std::fs::remove_file(commit(3)).unwrap();
    let found = delta_problems(&doctor_json(cwd, &root, "d", false));
    assert!(found.iter().any(|p| p.contains("missing")), "{found:?}");
    let r = doctor_json(cwd, &root, "d", true);
    assert!(r.ok, "{:?}", r.problems);
    assert_eq!(
        std::fs::read(commit(3)).unwrap(),
        head,
        "rebuilt byte for byte"
    );
    assert!(doctor_json(cwd, &root, "d", false).ok);

    // A data file of the current version gone (a forced VACUUM): a `file` problem.
    let (_, files, _) = log_files(&root, "d", None);
    std::fs::remove_file(cwd.join("lake/d").join(&files[0])).unwrap();
    let r = doctor_json(cwd, &root, "d", false);
    assert!(
        r.problems
            .iter()
            .any(|p| p.kind == "file" && p.message == "missing"),
        "{:?}",
        r.problems
    );
    // Moves still project (the lost file's add has no min/max): no command is stuck on it.
    for (v, force) in [("v2", "--force"), ("v1", "--force")] {
        let o = lg(
            cwd,
            &root,
            &["pointer", "set", "d", v, "--reason", "x", force],
        );
        assert_eq!(code(&o), 0, "{}", stderr(&o));
    }
    let r = doctor_json(cwd, &root, "d", false);
    assert!(
        r.problems.iter().all(|p| p.kind == "file"),
        "{:?}",
        r.problems
    );
    let last = std::fs::read_to_string(commit(5)).unwrap();
    assert!(
        last.contains(&files[0]) && last.contains("numRecords"),
        "{last}"
    );
}

/// Moves past 200: checkpoints at 100 and 200 and `_last_checkpoint`; deltalake reads the head from
/// the checkpoint alone (the commits before it deleted), and time travel still works before that.
#[test]
fn delta_checkpoints_every_100_commits() {
    let t = tempfile::tempdir().unwrap();
    let cwd = t.path();
    let root = cwd.join("lake").display().to_string();
    for (v, seed, files) in [("a", 1, 2), ("b", 2, 3)] {
        let src = data(cwd, v, 200, files, seed, Variant::Good);
        let o = lg(
            cwd,
            &root,
            &["publish", "cp", src.to_str().unwrap(), "--version", v],
        );
        assert_eq!(code(&o), 0, "{}", stderr(&o));
    }
    block_on(async {
        let d = dataset(&root, "cp");
        let ctx = Context::new("t");
        for i in 0..203 {
            let to = VersionId::new(if i % 2 == 0 { "a" } else { "b" }).unwrap();
            lastgood::ops::set::set(&d, &ctx, &to, "flip", false)
                .await
                .unwrap();
        }
    });
    let log = cwd.join("lake/cp/_delta_log");
    assert!(log.join(format!("{:020}.checkpoint.parquet", 100)).exists());
    assert!(log.join(format!("{:020}.checkpoint.parquet", 200)).exists());
    let last: serde_json::Value =
        serde_json::from_slice(&std::fs::read(log.join("_last_checkpoint")).unwrap()).unwrap();
    assert_eq!(last["version"], 200);
    assert_eq!(last["numOfAddFiles"], 3, "version b at 200: {last}");
    let (head, files, rows) = log_files(&root, "cp", None);
    assert_eq!(head, 205);
    let seen = view(&root, "cp", None);
    assert_eq!((seen.version, &seen.files, seen.rows), (205, &files, rows));
    let (_, files99, _) = log_files(&root, "cp", Some(99));
    assert_eq!(view(&root, "cp", Some(99)).files, files99);
    let o = lg(cwd, &root, &["doctor", "cp"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));

    // The checkpoint alone is the table at 200: remove every commit before it.
    for k in 0..=200 {
        std::fs::remove_file(log.join(format!("{k:020}.json"))).unwrap();
    }
    let seen = view(&root, "cp", None);
    assert_eq!((seen.version, &seen.files, seen.rows), (205, &files, rows));
}

fn write_parquet(path: &Path, columns: Vec<(&str, ArrayRef)>) {
    let schema = Arc::new(Schema::new(
        columns
            .iter()
            .map(|(n, a)| Field::new(*n, a.data_type().clone(), true))
            .collect::<Vec<_>>(),
    ));
    let batch =
        RecordBatch::try_new(schema.clone(), columns.into_iter().map(|c| c.1).collect()).unwrap();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let f = std::fs::File::create(path).unwrap();
    let mut w = parquet::arrow::ArrowWriter::try_new(f, schema, None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

/// Nanosecond timestamps and unsigned integers: refused at publish (nothing sealed) and at init
/// while the projection is on, with the column named; accepted with `delta = false`; and
/// `delta build` refuses a log that reached such a version, writing nothing.
#[test]
fn delta_refuses_types_it_cannot_represent() {
    let t = tempfile::tempdir().unwrap();
    let cwd = t.path();
    let root = cwd.join("lake").display().to_string();
    let ns = cwd.join("ns/part-0.parquet");
    write_parquet(
        &ns,
        vec![
            ("id", Arc::new(Int64Array::from(vec![1, 2])) as ArrayRef),
            (
                "at",
                Arc::new(TimestampNanosecondArray::from(vec![1, 2])) as ArrayRef,
            ),
        ],
    );
    let unsigned = cwd.join("u/part-0.parquet");
    write_parquet(
        &unsigned,
        vec![("n", Arc::new(UInt32Array::from(vec![1, 2])) as ArrayRef)],
    );
    let o = lg(cwd, &root, &["publish", "d", ns.to_str().unwrap()]);
    fails_with(&o, 2, "column \"at\"");
    assert!(
        stderr(&o).contains("nanoseconds") && stderr(&o).contains("delta = false"),
        "{}",
        stderr(&o)
    );
    assert_eq!(stderr(&o).trim().lines().count(), 1);
    assert!(!cwd.join("lake/d/versions").exists(), "nothing sealed");
    let o = lg(cwd, &root, &["publish", "d", unsigned.to_str().unwrap()]);
    fails_with(&o, 2, "unsigned");

    let o = lg(
        cwd,
        &root,
        &["init", "d", "--sample", ns.to_str().unwrap(), "--dir", "p1"],
    );
    fails_with(&o, 2, "column \"at\"");
    let o = lg(
        cwd,
        &root,
        &[
            "init",
            "d",
            "--sample",
            ns.to_str().unwrap(),
            "--dir",
            "p2",
            "--no-delta",
        ],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let toml = std::fs::read_to_string(cwd.join("p2/lastgood.toml")).unwrap();
    assert!(toml.contains("\ndelta = false"), "{toml}");

    // With the projection off, the version is sealed and promoted; no Delta table.
    std::fs::write(
        cwd.join("lastgood.toml"),
        "[datasets.legacy]\ndelta = false\n\n[datasets.legacy2]\ndelta = false\n",
    )
    .unwrap();
    let o = lg(cwd, &root, &["publish", "legacy", ns.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(!cwd.join("lake/legacy/_delta_log").exists());
    let o = lg(cwd, &root, &["delta", "build", "legacy"]);
    fails_with(&o, 2, "nanoseconds");
    assert!(
        !cwd.join("lake/legacy/_delta_log").exists(),
        "nothing written"
    );

    // Sealed (not promoted) while off, then the projection turned on: moving to it is refused.
    let good = data(cwd, "good", 100, 1, 1, Variant::Good);
    let o = lg(cwd, &root, &["publish", "legacy2", good.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let o = lg(
        cwd,
        &root,
        &[
            "publish",
            "legacy2",
            ns.to_str().unwrap(),
            "--version",
            "nsv",
            "--no-promote",
        ],
    );
    assert!(
        cwd.join("lake/legacy2/versions/nsv/manifest.json").exists(),
        "{}",
        stderr(&o)
    );
    let o = lg(cwd, &root, &["delta", "build", "legacy2"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let before = std::fs::read_dir(cwd.join("lake/legacy2/log"))
        .unwrap()
        .count();
    let o = lg(
        cwd,
        &root,
        &[
            "pointer", "set", "legacy2", "nsv", "--reason", "x", "--force",
        ],
    );
    fails_with(
        &o,
        2,
        "version nsv of legacy2 cannot be read as a Delta table",
    );
    let after = std::fs::read_dir(cwd.join("lake/legacy2/log"))
        .unwrap()
        .count();
    assert_eq!(before, after, "no log entry");
}

/// An additive schema change is a metaData update: the new column from its version on, not before.
/// The new column is a timestamp without a time zone: Delta's `timestamp_ntz`, whose reader feature
/// the protocol states from that version, and no longer after a revert to the old schema.
#[test]
fn delta_schema_changes_are_metadata_updates() {
    let t = tempfile::tempdir().unwrap();
    let cwd = t.path();
    let root = cwd.join("lake").display().to_string();
    let ids: Vec<i64> = (1..=300).collect();
    let one = cwd.join("one/part-0.parquet");
    write_parquet(
        &one,
        vec![("id", Arc::new(Int64Array::from(ids.clone())) as ArrayRef)],
    );
    let two = cwd.join("two/part-0.parquet");
    write_parquet(
        &two,
        vec![
            ("id", Arc::new(Int64Array::from(ids.clone())) as ArrayRef),
            (
                "at",
                Arc::new(TimestampMicrosecondArray::from(ids)) as ArrayRef,
            ),
        ],
    );
    for (src, v) in [(&one, "one"), (&two, "two")] {
        let o = lg(
            cwd,
            &root,
            &["publish", "s", src.to_str().unwrap(), "--version", v],
        );
        assert_eq!(code(&o), 0, "{}", stderr(&o));
    }
    let now = view(&root, "s", None);
    assert_eq!(
        (now.columns.as_slice(), now.rows, now.reader),
        (&["id".to_string(), "at".to_string()][..], 300, 3)
    );
    let then = view(&root, "s", Some(1));
    assert_eq!(
        (then.columns.as_slice(), then.reader),
        (&["id".to_string()][..], 1)
    );
    let o = lg(cwd, &root, &["pointer", "revert", "s", "--reason", "r"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let back = view(&root, "s", None);
    assert_eq!(
        (back.columns.as_slice(), back.reader),
        (&["id".to_string()][..], 1)
    );
    let o = lg(cwd, &root, &["doctor", "s"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
}
