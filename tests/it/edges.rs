//! Issue 12, the edges: what a writer puts on the store is what its manifest says, doctor's memory,
//! revert after a partition revert, validate judging as publish does, mirrors, long names. Each test
//! is a defect reproduced through the real binary.

use std::path::Path;
use std::process::{Command, Stdio};

use lastgood::synth::Variant;
use serde_json::Value;

use crate::util::{code, data, fails_with, lg, lg_env, ok_json, s3_root, stderr};

fn local_root(t: &tempfile::TempDir) -> String {
    t.path().join("lake").display().to_string()
}

fn first_parquet(dir: &Path) -> std::path::PathBuf {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
        .collect();
    files.sort();
    files.remove(0)
}

/// Defect 11: a source file replaced after publish hashed it and before it uploaded it. The
/// version must never carry bytes other than its manifest's checksum: the publish fails (exit 2,
/// naming the file), nothing is sealed, the pointer stays.
fn source_replaced_mid_publish(root: &str, env: &[(&str, &str)]) {
    let t = tempfile::tempdir().unwrap();
    let cwd = t.path();
    let mon = data(cwd, "mon", 5_000, 1, 1, Variant::Good);
    let tue = data(cwd, "tue", 5_000, 2, 2, Variant::Good);
    let other = data(cwd, "other", 5_000, 2, 3, Variant::Good);
    let first: Value = ok_json(&lg_env(
        cwd,
        root,
        &["publish", "scores", mon.to_str().unwrap(), "--json"],
        env,
    ));

    let hook = cwd.join("hook");
    std::fs::create_dir_all(&hook).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lastgood"));
    cmd.current_dir(cwd)
        .args(["--root", root, "publish", "scores", tue.to_str().unwrap()])
        .env_remove("LASTGOOD_ROOT")
        .env_remove("LASTGOOD_CONFIG")
        .env("LASTGOOD_ACTOR", "tester@ci")
        .env("LASTGOOD_FAULT_PAUSE_BEFORE_UPLOAD", &hook)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let child = cmd.spawn().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !hook.join("paused").exists() {
        assert!(std::time::Instant::now() < deadline, "publish never paused");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // The producer rewrites the file (a new file renamed over it, as writers do).
    let victim = first_parquet(&tue);
    let staged = cwd.join("staged.parquet");
    std::fs::copy(first_parquet(&other), &staged).unwrap();
    std::fs::rename(&staged, &victim).unwrap();
    std::fs::write(hook.join("resume"), b"").unwrap();
    let o = child.wait_with_output().unwrap();

    fails_with(&o, 2, "changed");
    let name = victim.file_name().unwrap().to_str().unwrap();
    assert!(stderr(&o).contains(name), "{}", stderr(&o));
    let show: Value = ok_json(&lg(cwd, root, &["pointer", "show", "scores", "--json"]));
    assert_eq!(show["version"], first["version"]);
    let versions: Value = ok_json(&lg(cwd, root, &["versions", "scores", "--json"]));
    let sealed = versions
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["sealed"] == true)
        .count();
    assert_eq!(sealed, 1, "nothing sealed: {versions}");
    // Publishing the files as they now are works, and every byte matches its checksum.
    ok_json::<Value>(&lg_env(
        cwd,
        root,
        &["publish", "scores", tue.to_str().unwrap(), "--json"],
        env,
    ));
    let d = lg(cwd, root, &["doctor", "scores", "--json"]);
    assert_eq!(code(&d), 0, "{}", String::from_utf8_lossy(&d.stdout));
}

#[test]
fn local_source_replaced_mid_publish_seals_nothing() {
    let t = tempfile::tempdir().unwrap();
    source_replaced_mid_publish(&local_root(&t), &[]);
}

#[test]
fn s3_source_replaced_mid_publish_seals_nothing() {
    if let Some(root) = s3_root("replaced") {
        source_replaced_mid_publish(&root, &[]);
    }
}

/// The same through multipart uploads (the threshold lowered so every file goes up in parts).
#[test]
fn s3_multipart_source_replaced_mid_publish_seals_nothing() {
    if let Some(root) = s3_root("replaced-multipart") {
        source_replaced_mid_publish(&root, &[("LASTGOOD_MULTIPART_THRESHOLD", "1")]);
    }
}

/// Azure and GCS (the emulators tests/run.sh starts): single puts and multipart uploads.
#[test]
fn azure_and_gcs_source_replaced_mid_publish_seals_nothing() {
    use crate::util::{Cloud, cloud_root};
    for cloud in [Cloud::Azure, Cloud::Gcs] {
        for env in [&[][..], &[("LASTGOOD_MULTIPART_THRESHOLD", "1")][..]] {
            if let Some(root) = cloud_root(cloud, "replaced") {
                source_replaced_mid_publish(&root, env);
            }
        }
    }
}

/// Runs the binary and returns its output and its peak RSS in bytes (from `wait4`, this child
/// alone).
#[allow(clippy::zombie_processes)] // reaped by wait4, which clippy does not see
fn lg_peak_rss(cwd: &Path, root: &str, args: &[&str]) -> (std::process::Output, u64) {
    use std::io::Read;
    let mut child = Command::new(env!("CARGO_BIN_EXE_lastgood"))
        .current_dir(cwd)
        .arg("--root")
        .arg(root)
        .args(args)
        .env_remove("LASTGOOD_ROOT")
        .env_remove("LASTGOOD_CONFIG")
        .env("LASTGOOD_ACTOR", "tester@ci")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (mut out, mut err) = (Vec::new(), Vec::new());
    child.stdout.take().unwrap().read_to_end(&mut out).unwrap();
    child.stderr.take().unwrap().read_to_end(&mut err).unwrap();
    let mut status = 0;
    // SAFETY: plain libc call on our own child, with valid pointers to locals.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    assert_eq!(pid, child.id() as libc::pid_t);
    use std::os::unix::process::ExitStatusExt;
    let output = std::process::Output {
        status: std::process::ExitStatus::from_raw(status),
        stdout: out,
        stderr: err,
    };
    (output, usage.ru_maxrss as u64 * 1024)
}

/// Defect 17: doctor verified a file by reading it whole (a 2 GB file: 2 GB of RSS). A 192 MiB
/// file (random, so nothing compresses it) must verify in well under its size.
#[test]
fn doctor_verifies_a_large_file_in_bounded_memory() {
    use arrow::array::{BinaryArray, RecordBatch};
    use arrow::datatypes::{DataType, Field, Schema};
    let t = tempfile::tempdir().unwrap();
    let cwd = t.path();
    let src = cwd.join("big");
    std::fs::create_dir_all(&src).unwrap();
    let schema = std::sync::Arc::new(Schema::new(vec![Field::new(
        "blob",
        DataType::Binary,
        false,
    )]));
    let props = parquet::file::properties::WriterProperties::builder()
        .set_dictionary_enabled(false)
        .set_statistics_enabled(parquet::file::properties::EnabledStatistics::None)
        .set_max_row_group_row_count(Some(4))
        .build();
    let f = std::fs::File::create(src.join("part-0.parquet")).unwrap();
    let mut w = parquet::arrow::ArrowWriter::try_new(f, schema.clone(), Some(props)).unwrap();
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    // Written 4 MiB at a time: a child's peak RSS starts from its parent's (fork, then exec keeps
    // the high-water mark), so this process stays small.
    for _ in 0..48 {
        let values: Vec<Vec<u8>> = (0..4)
            .map(|_| {
                (0..(1 << 17))
                    .flat_map(|_| {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        x.to_le_bytes()
                    })
                    .collect()
            })
            .collect();
        let array = BinaryArray::from_iter_values(values.iter());
        w.write(&RecordBatch::try_new(schema.clone(), vec![std::sync::Arc::new(array)]).unwrap())
            .unwrap();
    }
    w.close().unwrap();
    let size = std::fs::metadata(src.join("part-0.parquet")).unwrap().len();
    assert!(size > 190 << 20, "{size}");
    // A child's peak RSS (wait4) starts from this process's at the fork (exec keeps the high-water
    // mark): the bound is this process's peak plus 64 MiB, well under the file's size.
    let hwm = || -> u64 {
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
        line.split_whitespace()
            .nth(1)
            .unwrap()
            .parse::<u64>()
            .unwrap()
            * 1024
    };
    let root = local_root(&t);
    let o = lg(
        cwd,
        &root,
        &["publish", "blobs", src.to_str().unwrap(), "--json"],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let parent = hwm();
    assert!(
        parent < 128 << 20,
        "this test process peaked at {parent} bytes"
    );
    let (o, rss) = lg_peak_rss(cwd, &root, &["doctor", "blobs", "--json"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let report: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["files_verified"], 1, "{report}");
    assert!(
        rss < parent + (64 << 20),
        "doctor's peak RSS {rss} bytes for a {size}-byte file: not streamed (this test process: {parent})"
    );
}

/// Defect 16 (part): a file name of about 238 characters failed on the local store only (exit 1).
/// Names up to 255 bytes (the local filesystem's limit) publish alike on every store; a longer one
/// (only a remote source can have it) is refused with exit 2 naming it, before anything is written.
fn long_file_names(root: &str) {
    let t = tempfile::tempdir().unwrap();
    let cwd = t.path();
    let src = data(cwd, "night", 2_000, 1, 1, Variant::Good);
    for len in [238, 255] {
        let name = format!("{}.parquet", "p".repeat(len - ".parquet".len()));
        let dir = cwd.join(format!("long-{len}"));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(first_parquet(&src), dir.join(&name)).unwrap();
        let o = lg(
            cwd,
            root,
            &["publish", "long", dir.to_str().unwrap(), "--json"],
        );
        let v: Value = ok_json(&o);
        assert_eq!(v["promoted"], true, "{v}");
        let files: Value = ok_json(&lg(cwd, root, &["resolve", "long", "--json"]));
        assert!(files.to_string().contains(&name), "{files}");
    }
    let d = lg(cwd, root, &["doctor", "long", "--json"]);
    assert_eq!(code(&d), 0, "{}", String::from_utf8_lossy(&d.stdout));
}

#[test]
fn local_long_file_names_publish() {
    let t = tempfile::tempdir().unwrap();
    long_file_names(&local_root(&t));
}

#[test]
fn s3_long_file_names_publish() {
    if let Some(root) = s3_root("longnames") {
        long_file_names(&root);
    }
}

const DAILY: &str = r#"root = "lake"

[datasets.daily]
partition_by = ["date"]
partition_types = { date = "date" }
"#;

/// Defect 4: nights 1-4 published one at a time, night 2 bad (found later) and reverted alone.
/// A plain revert then must not go to the last-known-good night-3 version, which still carries
/// night 2's bad files (and lacks night 4): it refuses (exit 4), naming the bad partition and
/// `--to`; `--to` to a version without it works.
#[test]
fn plain_revert_after_a_partition_revert_never_brings_the_bad_partition_back() {
    let t = tempfile::tempdir().unwrap();
    let cwd = t.path();
    std::fs::write(cwd.join("lastgood.toml"), DAILY).unwrap();
    let root = cwd.join("lake").display().to_string();
    let mut ids = Vec::new();
    for i in 1..=4 {
        let src = data(cwd, &format!("n{i}"), 2_000, 1, i, Variant::Good);
        let date = format!("2026-11-0{i}");
        let v: Value = ok_json(&lg(
            cwd,
            &root,
            &[
                "publish",
                "daily",
                src.to_str().unwrap(),
                "--partition",
                &format!("date={date}"),
                "--json",
            ],
        ));
        ids.push(v["version"].as_str().unwrap().to_string());
    }
    let pr: Value = ok_json(&lg(
        cwd,
        &root,
        &[
            "pointer",
            "revert",
            "daily",
            "--partition",
            "date=2026-11-02",
            "--reason",
            "night 2 scored with a stale model",
            "--json",
        ],
    ));
    let after_partition_revert = pr["to"].as_str().unwrap().to_string();

    let o = lg(
        cwd,
        &root,
        &["pointer", "revert", "daily", "--reason", "undo"],
    );
    fails_with(&o, 4, "--to");
    let err = stderr(&o);
    assert!(err.contains("date=2026-11-02"), "{err}");
    assert!(
        err.contains(&ids[2]),
        "names the version it will not go to: {err}"
    );
    assert!(
        err.contains(&ids[0]),
        "names the newest version without it: {err}"
    );
    let show: Value = ok_json(&lg(cwd, &root, &["pointer", "show", "daily", "--json"]));
    assert_eq!(show["version"], after_partition_revert.as_str());

    // On purpose, to a version without night 2's bad files: allowed.
    let back: Value = ok_json(&lg(
        cwd,
        &root,
        &[
            "pointer",
            "revert",
            "daily",
            "--to",
            &ids[0],
            "--reason",
            "back to night 1",
            "--json",
        ],
    ));
    assert_eq!(back["to"], ids[0].as_str());
}

fn publish_night(cwd: &Path, root: &str, src: &Path, date: &str) -> (i32, Value) {
    let o = lg(
        cwd,
        root,
        &[
            "publish",
            "daily",
            src.to_str().unwrap(),
            "--partition",
            &format!("date={date}"),
            "--json",
        ],
    );
    (code(&o), serde_json::from_slice(&o.stdout).unwrap())
}

/// The gates' verdicts by name, and the D statistics where there are some.
fn verdicts(gates: &Value) -> Vec<(String, String, String)> {
    gates
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["name"].as_str().unwrap_or_default().to_string(),
                g["status"].to_string(),
                g["observed"].to_string(),
            )
        })
        .collect()
}

/// Defect 15: publish judges a night against its previous night; validate judged whole versions,
/// even `--against` publish's own baseline, so a broken night diluted among six good ones passed.
/// validate judges exactly as publish would (same scope, same verdicts); `--partition` chooses.
#[test]
fn validate_judges_a_partitioned_version_as_publish_did() {
    let t = tempfile::tempdir().unwrap();
    let cwd = t.path();
    std::fs::write(cwd.join("lastgood.toml"), DAILY).unwrap();
    let root = cwd.join("lake").display().to_string();
    let mut ids = Vec::new();
    for i in 1..=6u64 {
        let src = data(cwd, &format!("n{i}"), 2_000, 1, i, Variant::Good);
        let (c, v) = publish_night(cwd, &root, &src, &format!("2026-11-0{i}"));
        assert_eq!(c, 0, "{v}");
        ids.push(v["version"].as_str().unwrap().to_string());
    }
    let broken = data(cwd, "n7", 2_000, 1, 7, Variant::Constant);
    let (c, published) = publish_night(cwd, &root, &broken, "2026-11-07");
    assert_eq!(c, 3, "the broken night fails its gates: {published}");
    let v7 = published["version"].as_str().unwrap().to_string();

    for against in [Some(ids[5].as_str()), None] {
        let mut args = vec!["validate", "daily", v7.as_str(), "--json"];
        if let Some(a) = against {
            args.extend(["--against", a]);
        }
        let o = lg(cwd, &root, &args);
        let v: Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(code(&o), 3, "validate fails as publish did: {v}");
        assert_eq!(v["scope"], published["scope"], "{v}");
        assert_eq!(verdicts(&v["gates"]), verdicts(&published["gates"]));
        crate::schemas::check(
            &crate::schemas::validator("gate-report.schema.json"),
            &Path::new(&root)
                .join("daily")
                .join(v["report_path"].as_str().unwrap()),
        );
    }

    // --partition chooses what to judge: night 1, carried unchanged, against its previous self.
    let o = lg(
        cwd,
        &root,
        &[
            "validate",
            "daily",
            &v7,
            "--partition",
            "date=2026-11-01",
            "--json",
        ],
    );
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(code(&o), 0, "{v}");
    assert_eq!(v["scope"]["candidate"][0], "date=2026-11-01", "{v}");
    assert_eq!(v["scope"]["baseline"][0], "date=2026-11-01", "{v}");
    let o = lg(
        cwd,
        &root,
        &["validate", "daily", &v7, "--partition", "date=2026-12-31"],
    );
    fails_with(&o, 2, "date=2026-12-31");
}

/// Copies every object of a dataset from one root to another (any stores), as a mirror job does.
fn mirror(from: &str, to: &str, dataset: &str) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let (a, b) = (
            lastgood::Store::open(from).unwrap(),
            lastgood::Store::open(to).unwrap(),
        );
        let prefix = a.base().clone().join(dataset);
        for o in a.list(&prefix).await.unwrap() {
            let rel: Vec<String> = o
                .location
                .prefix_match(a.base())
                .unwrap()
                .map(|p| p.as_ref().to_string())
                .collect();
            let dest = rel
                .iter()
                .fold(b.base().clone(), |p, part| p.join(part.as_str()));
            let bytes = a.get(&o.location).await.unwrap().unwrap();
            b.create(&dest, bytes).await.unwrap();
        }
    });
}

fn pointer_file(root: &str, dataset: &str) -> Value {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let s = lastgood::Store::open(root).unwrap();
        let p = s.base().clone().join(dataset).join("pointer.json");
        serde_json::from_slice(&s.get(&p).await.unwrap().unwrap()).unwrap()
    })
}

/// Defect 19: a mirrored dataset's pointer.json keeps the original's `root` and `url`s; doctor said
/// healthy after the original was deleted. Doctor flags it (exit 2), `--repair` (or any command
/// that syncs the pointer file) rewrites it for where it is read, and every url then leads into
/// the mirror, which alone still holds the data.
fn mirrored_pointer_file(mirror_root: &str) {
    let t = tempfile::tempdir().unwrap();
    let cwd = t.path();
    let original = cwd.join("original").display().to_string();
    let src = data(cwd, "night", 2_000, 2, 1, Variant::Good);
    ok_json::<Value>(&lg(
        cwd,
        &original,
        &["publish", "scores", src.to_str().unwrap(), "--json"],
    ));
    mirror(&original, mirror_root, "scores");
    std::fs::remove_dir_all(&original).unwrap();

    let d = lg(cwd, mirror_root, &["doctor", "scores", "--json"]);
    let report: Value = serde_json::from_slice(&d.stdout).unwrap();
    assert_eq!(code(&d), 2, "{report}");
    let problems = report["problems"].to_string();
    assert!(
        problems.contains("pointer_file") && problems.contains("original"),
        "{problems}"
    );

    let r: Value = ok_json(&lg(
        cwd,
        mirror_root,
        &["doctor", "scores", "--repair", "--json"],
    ));
    assert_eq!(r["ok"], true, "{r}");
    let p = pointer_file(mirror_root, "scores");
    let root = p["root"].as_str().unwrap();
    assert!(!root.contains("/original/"), "{p}");
    for f in p["files"].as_array().unwrap() {
        assert_eq!(
            f["url"].as_str().unwrap(),
            format!("{root}{}", f["path"].as_str().unwrap())
        );
    }
    let d = lg(cwd, mirror_root, &["doctor", "scores", "--json"]);
    assert_eq!(code(&d), 0, "{}", String::from_utf8_lossy(&d.stdout));
}

#[test]
fn local_mirror_pointer_file_is_flagged_and_repaired() {
    let t = tempfile::tempdir().unwrap();
    mirrored_pointer_file(&local_root(&t));
}

#[test]
fn s3_mirror_pointer_file_is_flagged_and_repaired() {
    if let Some(root) = s3_root("mirror") {
        mirrored_pointer_file(&root);
    }
}

/// Long names and mirrors on Azure and GCS (the emulators tests/run.sh starts).
#[test]
fn azure_and_gcs_long_names_and_mirrors() {
    use crate::util::{Cloud, cloud_root};
    for cloud in [Cloud::Azure, Cloud::Gcs] {
        if let Some(root) = cloud_root(cloud, "longnames") {
            long_file_names(&root);
        }
        if let Some(root) = cloud_root(cloud, "mirror") {
            mirrored_pointer_file(&root);
        }
    }
}
