//! Shared helpers: data folders, running the binary, reading JSON back into the library's types.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use lastgood::synth::{self, Variant};
use serde::de::DeserializeOwned;

/// A folder of `files` Parquet files of `rows` rows in all.
pub fn data(
    dir: &Path,
    name: &str,
    rows: usize,
    files: usize,
    seed: u64,
    variant: Variant,
) -> PathBuf {
    let d = dir.join(name);
    synth::write_dir(&d, rows, files, seed, variant).expect("synthetic data");
    d
}

/// The real binary, run in `cwd` with `--root root`, no config from the environment.
pub fn lastgood(cwd: &Path, root: &Path, args: &[&str]) -> Output {
    lastgood_env(cwd, root, args, &[])
}

pub fn lastgood_env(cwd: &Path, root: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    lg_env(cwd, root.to_str().expect("UTF-8 path"), args, env)
}

pub fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Asserts success and parses `--json` stdout.
pub fn ok_json<T: DeserializeOwned>(o: &Output) -> T {
    assert_eq!(code(o), 0, "stdout: {}\nstderr: {}", stdout(o), stderr(o));
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(o)))
}

/// Asserts the exit code and a one-line `lastgood: …` error on stderr that mentions `needle`.
pub fn fails_with(o: &Output, exit: i32, needle: &str) {
    let err = stderr(o);
    assert_eq!(code(o), exit, "stdout: {}\nstderr: {err}", stdout(o));
    assert!(err.starts_with("lastgood: "), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(err.contains(needle), "expected {needle:?} in {err}");
    assert!(!err.contains("panicked"), "{err}");
}

/// Every file below `dir` with its bytes, sorted by path: to show nothing sealed changed.
pub fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    fn walk(d: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
        if let Ok(rd) = std::fs::read_dir(d) {
            for e in rd.flatten() {
                let p = e.path();
                if p.is_dir() {
                    walk(&p, out);
                } else {
                    out.push((p.clone(), std::fs::read(&p).unwrap()));
                }
            }
        }
    }
    walk(dir, &mut out);
    out.sort();
    out
}

/// The S3 root for a test: a fresh prefix in the bucket that tests/run.sh serves with SeaweedFS.
/// Without it, CI fails loudly; a developer running one test by hand is told how to get it.
pub fn s3_root(test: &str) -> Option<String> {
    cloud_root(Cloud::S3, test)
}

/// The emulated clouds tests/run.sh starts, each announced by one variable naming its root.
#[derive(Debug, Clone, Copy)]
pub enum Cloud {
    /// SeaweedFS (tests/s3/seaweedfs.sh).
    S3,
    /// Azurite (tests/azure/azurite.sh).
    Azure,
    /// fake-gcs-server behind tests/gcs/proxy.py (tests/gcs/fake-gcs.sh).
    Gcs,
}

impl Cloud {
    fn var(self) -> &'static str {
        match self {
            Cloud::S3 => "LASTGOOD_TEST_S3",
            Cloud::Azure => "LASTGOOD_TEST_AZURE",
            Cloud::Gcs => "LASTGOOD_TEST_GCS",
        }
    }

    fn server(self) -> &'static str {
        match self {
            Cloud::S3 => "SeaweedFS",
            Cloud::Azure => "Azurite",
            Cloud::Gcs => "the GCS emulator",
        }
    }
}

/// A fresh root for `test` on an emulated cloud. Without the server's variable CI fails loudly;
/// a developer running one test by hand is told how to get it.
pub fn cloud_root(cloud: Cloud, test: &str) -> Option<String> {
    match std::env::var(cloud.var()) {
        Ok(base) => {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos();
            Some(format!("{}/{test}-{nanos}", base.trim_end_matches('/')))
        }
        Err(_) if std::env::var("CI").is_ok() => {
            panic!(
                "{} is not set: run the suite with `bash tests/run.sh`, which starts {}",
                cloud.var(),
                cloud.server()
            )
        }
        Err(_) => {
            eprintln!(
                "NOT RUN: {test} needs {} that `bash tests/run.sh` starts ({})",
                cloud.server(),
                cloud.var()
            );
            None
        }
    }
}

/// Every object of a dataset except the pointer file, with its bytes, on any store: what must never
/// change once written.
pub fn sealed_objects(root: &str, dataset: &str) -> Vec<(String, Vec<u8>)> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let store = lastgood::Store::open(root).unwrap();
        let ds = lastgood::Dataset::new(store, lastgood::DatasetName::new(dataset).unwrap());
        let mut out = Vec::new();
        for o in ds.store.list(ds.layout.prefix()).await.unwrap() {
            if o.location.filename() == Some("pointer.json") {
                continue;
            }
            let bytes = ds.store.get(&o.location).await.unwrap().unwrap();
            out.push((o.location.to_string(), bytes.to_vec()));
        }
        out.sort();
        out
    })
}

/// The binary with a root given as a string (a folder or a URL).
pub fn lg(cwd: &Path, root: &str, args: &[&str]) -> Output {
    lg_env(cwd, root, args, &[])
}

pub fn lg_env(cwd: &Path, root: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lastgood"));
    cmd.current_dir(cwd)
        .arg("--root")
        .arg(root)
        .args(args)
        .env_remove("LASTGOOD_ROOT")
        .env_remove("LASTGOOD_CONFIG")
        .env_remove("LASTGOOD_FAULT_ABORT_AFTER_WRITES")
        .env_remove("LASTGOOD_FAULT_FAIL_AFTER_WRITES")
        .env("LASTGOOD_ACTOR", "tester@ci");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run lastgood")
}

/// A Python that imports `module` (duckdb, pyarrow): `LASTGOOD_TEST_PYTHON`, which tests/run.sh
/// sets to a venv it installs them into. Never skipped: without it the test fails and says how.
pub fn python_with(module: &str) -> PathBuf {
    let python = std::env::var("LASTGOOD_TEST_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            let home = std::env::var("HOME").unwrap_or_default();
            PathBuf::from(home).join(".cache/lastgood/consumers-venv/bin/python")
        });
    let ok = Command::new(&python)
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "{} cannot import {module}: run the suite with `bash tests/run.sh`, which installs it (or set LASTGOOD_TEST_PYTHON)",
        python.display()
    );
    python
}

/// Where a [`PauseStore`] holds its command: before the first read, or after the first write, of
/// a path containing the given text.
#[derive(Debug, Clone, Copy)]
pub enum Pause {
    BeforeRead(&'static str),
    AfterWrite(&'static str),
}

/// A store wrapper that holds a command once, at a known step, until the test says go: a
/// deterministic interleaving of two commands (doctor verifying files while a revert lands; a
/// publish between its seal and its gates while gc runs).
#[derive(Debug)]
pub struct PauseStore {
    inner: std::sync::Arc<dyn object_store::ObjectStore>,
    at: Pause,
    paused: std::sync::atomic::AtomicBool,
    reached: tokio::sync::Notify,
    go: tokio::sync::Notify,
}

impl PauseStore {
    /// `store` seen through the wrapper, and the wrapper to drive it.
    pub fn wrap(
        store: &lastgood::Store,
        at: Pause,
    ) -> (lastgood::Store, std::sync::Arc<PauseStore>) {
        let p = std::sync::Arc::new(PauseStore {
            inner: store.object_store(),
            at,
            paused: Default::default(),
            reached: Default::default(),
            go: Default::default(),
        });
        let wrapped =
            lastgood::Store::with_store(p.clone(), store.base().clone(), store.store_url().clone());
        (wrapped, p)
    }

    /// Waits until the paused command has reached its pause.
    pub async fn reached(&self) {
        self.reached.notified().await
    }

    pub fn go(&self) {
        self.go.notify_one()
    }

    /// Holds the caller here the first time `location` matches `text`.
    async fn hold(&self, location: &object_store::path::Path, text: &str) {
        let first = location.as_ref().contains(text)
            && !self.paused.swap(true, std::sync::atomic::Ordering::SeqCst);
        if first {
            self.reached.notify_one();
            self.go.notified().await;
        }
    }
}

impl std::fmt::Display for PauseStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PauseStore({})", self.inner)
    }
}

#[async_trait::async_trait]
impl object_store::ObjectStore for PauseStore {
    async fn put_opts(
        &self,
        location: &object_store::path::Path,
        payload: object_store::PutPayload,
        opts: object_store::PutOptions,
    ) -> object_store::Result<object_store::PutResult> {
        let r = self.inner.put_opts(location, payload, opts).await;
        if let Pause::AfterWrite(text) = self.at {
            self.hold(location, text).await;
        }
        r
    }

    async fn put_multipart_opts(
        &self,
        location: &object_store::path::Path,
        opts: object_store::PutMultipartOptions,
    ) -> object_store::Result<Box<dyn object_store::MultipartUpload>> {
        self.inner.put_multipart_opts(location, opts).await
    }

    async fn get_opts(
        &self,
        location: &object_store::path::Path,
        options: object_store::GetOptions,
    ) -> object_store::Result<object_store::GetResult> {
        if let Pause::BeforeRead(text) = self.at {
            self.hold(location, text).await;
        }
        self.inner.get_opts(location, options).await
    }

    fn delete_stream(
        &self,
        locations: futures::stream::BoxStream<
            'static,
            object_store::Result<object_store::path::Path>,
        >,
    ) -> futures::stream::BoxStream<'static, object_store::Result<object_store::path::Path>> {
        self.inner.delete_stream(locations)
    }

    fn list(
        &self,
        prefix: Option<&object_store::path::Path>,
    ) -> futures::stream::BoxStream<'static, object_store::Result<object_store::ObjectMeta>> {
        self.inner.list(prefix)
    }

    async fn list_with_delimiter(
        &self,
        prefix: Option<&object_store::path::Path>,
    ) -> object_store::Result<object_store::ListResult> {
        self.inner.list_with_delimiter(prefix).await
    }

    async fn copy_opts(
        &self,
        from: &object_store::path::Path,
        to: &object_store::path::Path,
        options: object_store::CopyOptions,
    ) -> object_store::Result<()> {
        self.inner.copy_opts(from, to, options).await
    }
}
