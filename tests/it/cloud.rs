//! The cloud edges (issue 17): root URLs in every form object_store knows, and kept as given in
//! what lastgood prints; missing credentials refused before any request (no metadata server);
//! definite answers never retried; a missing bucket or container the same exit code everywhere.
//! Servers are on 127.0.0.1 only: the emulators tests/run.sh starts, or a counting stub here.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use lastgood::ops::publish::PublishOutcome;
use lastgood::ops::resolve::Resolved;
use lastgood::synth::Variant;

use crate::util::*;

/// An HTTP server on 127.0.0.1 that answers every request with `status` and counts them.
struct Stub {
    port: u16,
    hits: Arc<AtomicUsize>,
}

impl Stub {
    fn start(status: u16) -> Stub {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let hits = Arc::new(AtomicUsize::new(0));
        let counted = hits.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { continue };
                let counted = counted.clone();
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(conn.try_clone().unwrap());
                    let mut len = 0usize;
                    let mut line = String::new();
                    let mut first = true;
                    loop {
                        line.clear();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        if first {
                            counted.fetch_add(1, Ordering::SeqCst);
                            first = false;
                        }
                        let l = line.trim_end().to_ascii_lowercase();
                        if let Some(v) = l.strip_prefix("content-length:") {
                            len = v.trim().parse().unwrap_or(0);
                        }
                        if l.is_empty() {
                            break;
                        }
                    }
                    let mut body = vec![0u8; len];
                    let _ = reader.read_exact(&mut body);
                    let text = "<Error><Code>Stub</Code><Message>stub answer</Message></Error>";
                    let _ = write!(
                        conn,
                        "HTTP/1.1 {status} Stub\r\nContent-Type: application/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
                        text.len()
                    );
                });
            }
        });
        Stub { port, hits }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

/// The binary with only the given cloud variables: every AWS_/AZURE_/GOOGLE_/GCE_ variable of the
/// test environment is removed first, and HOME is an empty folder (no gcloud credentials file).
fn lg_clean(cwd: &std::path::Path, root: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lastgood"));
    cmd.current_dir(cwd).arg("--root").arg(root).args(args);
    for (k, _) in std::env::vars() {
        if ["AWS_", "AZURE_", "AZURITE_", "GOOGLE_", "GCE_", "LASTGOOD_"]
            .iter()
            .any(|p| k.starts_with(p))
            || k == "SERVICE_ACCOUNT"
        {
            cmd.env_remove(k);
        }
    }
    cmd.env("HOME", cwd).env("LASTGOOD_ACTOR", "tester@ci");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run lastgood")
}

/// A GCS service-account file that sends every request to `base` without asking for tokens.
fn gcs_account(dir: &std::path::Path, base: &str) -> String {
    let p = dir.join("sa.json");
    std::fs::write(
        &p,
        format!(
            r#"{{"disable_oauth": true, "gcs_base_url": "{base}", "client_email": "t@localhost", "private_key": "", "private_key_id": ""}}"#
        ),
    )
    .unwrap();
    p.display().to_string()
}

/// Missing credentials on any cloud: exit 2 within a second, naming what to set, and not one
/// request to the instance metadata server (pointed at a counting stub here); with
/// LASTGOOD_CLOUD_METADATA=true the metadata server is asked.
#[test]
fn missing_credentials_are_bad_input_without_metadata_requests() {
    let t = tempfile::tempdir().unwrap();
    let cwd = t.path();
    let meta = Stub::start(404);
    // (root, variables, what the message names)
    type Case<'a> = (&'a str, Vec<(&'a str, String)>, &'a str);
    let cases: Vec<Case> = vec![
        (
            "s3://bucket/lake",
            vec![
                ("AWS_METADATA_ENDPOINT", meta.url()),
                ("AWS_REGION", "us-east-1".into()),
            ],
            "no S3 credentials",
        ),
        (
            "gs://bucket/lake",
            vec![
                ("GCE_METADATA_HOST", format!("127.0.0.1:{}", meta.port)),
                ("GCE_METADATA_IP", format!("127.0.0.1:{}", meta.port)),
            ],
            "no GCS credentials",
        ),
        (
            "az://container/lake",
            vec![
                ("AZURE_STORAGE_ACCOUNT_NAME", "acct".into()),
                ("AZURE_MSI_ENDPOINT", format!("{}/token", meta.url())),
            ],
            "no Azure credentials",
        ),
    ];
    for (root, env, needle) in &cases {
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let started = Instant::now();
        let o = lg_clean(cwd, root, &["pointer", "show", "churn"], &env);
        let took = started.elapsed();
        fails_with(&o, 2, needle);
        assert!(
            stderr(&o).contains("LASTGOOD_CLOUD_METADATA"),
            "{}",
            stderr(&o)
        );
        assert!(took < Duration::from_secs(1), "{root}: {took:?}");
        assert_eq!(meta.hits(), 0, "{root}: no request to the metadata server");
    }
    // Opted in: the metadata server is what gives credentials, so it is asked.
    let env = [
        ("AZURE_STORAGE_ACCOUNT_NAME", "acct".to_string()),
        ("AZURE_MSI_ENDPOINT", format!("{}/token", meta.url())),
        ("AZURE_STORAGE_ENDPOINT", "http://127.0.0.1:9/acct".into()),
        ("AZURE_ALLOW_HTTP", "true".into()),
        ("LASTGOOD_CLOUD_METADATA", "true".into()),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let o = lg_clean(
        cwd,
        "az://container/lake",
        &["pointer", "show", "churn"],
        &env,
    );
    assert_ne!(code(&o), 0);
    assert!(meta.hits() > 0, "LASTGOOD_CLOUD_METADATA=true asks it");
}

/// An http:// endpoint without the store's allow-HTTP switch: a message naming the switch.
#[test]
fn plain_http_endpoint_needs_allow_http() {
    let t = tempfile::tempdir().unwrap();
    let cwd = t.path();
    let o = lg_clean(
        cwd,
        "az://container/lake",
        &["pointer", "show", "churn"],
        &[
            ("AZURE_STORAGE_ACCOUNT_NAME", "devstoreaccount1"),
            ("AZURE_STORAGE_ACCOUNT_KEY", "a2V5"),
            (
                "AZURE_STORAGE_ENDPOINT",
                "http://127.0.0.1:9/devstoreaccount1",
            ),
        ],
    );
    fails_with(&o, 2, "AZURE_ALLOW_HTTP=true");
    let o = lg_clean(
        cwd,
        "s3://bucket/lake",
        &["pointer", "show", "churn"],
        &[
            ("AWS_ACCESS_KEY_ID", "k"),
            ("AWS_SECRET_ACCESS_KEY", "s"),
            ("AWS_REGION", "us-east-1"),
            ("AWS_ENDPOINT", "http://127.0.0.1:9"),
        ],
    );
    fails_with(&o, 2, "AWS_ALLOW_HTTP=true");
}

/// A root that is not a store lastgood can write to: refused by name, exit 2.
#[test]
fn unsupported_roots_are_refused() {
    let t = tempfile::tempdir().unwrap();
    for root in ["ftp://host/x", "http://example.com/lake"] {
        fails_with(
            &lg_clean(t.path(), root, &["pointer", "show", "churn"], &[]),
            2,
            root,
        );
    }
}

/// Definite answers (400, 501) are not retried: one request each, on every cloud client. A 503
/// is retried.
#[test]
fn definite_answers_are_not_retried() {
    let t = tempfile::tempdir().unwrap();
    let cwd = t.path();
    for status in [400u16, 501] {
        for cloud in ["s3", "azure", "gcs"] {
            let stub = Stub::start(status);
            let account = gcs_account(cwd, &stub.url());
            let (root, env): (&str, Vec<(&str, String)>) = match cloud {
                "s3" => (
                    "s3://bucket/lake",
                    vec![
                        ("AWS_ACCESS_KEY_ID", "k".into()),
                        ("AWS_SECRET_ACCESS_KEY", "s".into()),
                        ("AWS_REGION", "us-east-1".into()),
                        ("AWS_ENDPOINT", stub.url()),
                        ("AWS_ALLOW_HTTP", "true".into()),
                    ],
                ),
                "azure" => (
                    "az://container/lake",
                    vec![
                        ("AZURE_STORAGE_USE_EMULATOR", "true".into()),
                        ("AZURITE_BLOB_STORAGE_URL", stub.url()),
                    ],
                ),
                _ => (
                    "gs://bucket/lake",
                    vec![("GOOGLE_SERVICE_ACCOUNT", account.clone())],
                ),
            };
            let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let o = lg_clean(cwd, root, &["pointer", "show", "churn"], &env);
            assert_ne!(code(&o), 0, "{cloud} {status}: {}", stderr(&o));
            assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
            assert_eq!(
                stub.hits(),
                1,
                "{cloud} {status}: asked once: {}",
                stderr(&o)
            );
        }
    }
    let stub = Stub::start(503);
    let o = lg_clean(
        cwd,
        "s3://bucket/lake",
        &["pointer", "show", "churn"],
        &[
            ("AWS_ACCESS_KEY_ID", "k"),
            ("AWS_SECRET_ACCESS_KEY", "s"),
            ("AWS_REGION", "us-east-1"),
            ("AWS_ENDPOINT", &stub.url()),
            ("AWS_ALLOW_HTTP", "true"),
        ],
    );
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(stub.hits() > 1, "a 503 may pass: retried");
}

/// A bucket or container that does not exist: exit 2 with the same message on a list (versions)
/// and, with `write`, on a write (publish).
fn missing_bucket(root: &str, write: bool) {
    let t = tempfile::tempdir().unwrap();
    let cwd = t.path();
    let src = data(cwd, "src", 50, 1, 1, Variant::Good);
    fails_with(&lg(cwd, root, &["versions", "churn"]), 2, "does not exist");
    if write {
        let o = lg(cwd, root, &["publish", "churn", src.to_str().unwrap()]);
        fails_with(&o, 2, "does not exist");
    }
}

/// The same root in a bucket that does not exist: `s3://lastgood-test/x` → `s3://no-such-bucket-<nanos>/x`.
fn other_bucket(root: &str) -> String {
    let (scheme, rest) = root.split_once("://").unwrap();
    let path = rest.split_once('/').map(|(_, p)| p).unwrap_or("");
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{scheme}://no-such-bucket-{nanos}/{path}")
}

#[test]
fn s3_missing_bucket_is_bad_input() {
    // Lists only: SeaweedFS creates a missing bucket on the first write of an admin identity
    // (AWS answers 404 NoSuchBucket, which lastgood turns into the same exit 2 as on a list).
    if let Some(root) = s3_root("nobucket") {
        missing_bucket(&other_bucket(&root), false);
    }
}

#[test]
fn azure_missing_container_is_bad_input() {
    if let Some(root) = cloud_root(Cloud::Azure, "nocontainer") {
        missing_bucket(&other_bucket(&root), true);
    }
}

#[test]
fn gcs_missing_bucket_is_bad_input() {
    if let Some(root) = cloud_root(Cloud::Gcs, "nobucket") {
        missing_bucket(&other_bucket(&root), true);
    }
}

/// Every Azure URL form object_store knows opens the same container on Azurite (emulator mode
/// keeps the requests on 127.0.0.1), and the URLs lastgood prints keep the form given, so they
/// open the same objects again: an abfss root's `container@account` survives into resolve, the
/// pointer file and the publish outcome, and that URL works as a root.
#[test]
fn azure_url_forms_round_trip() {
    let Some(root) = cloud_root(Cloud::Azure, "urlforms") else {
        return;
    };
    let t = tempfile::tempdir().unwrap();
    let cwd = t.path();
    let prefix = root.strip_prefix("az://lastgood-test/").unwrap();
    let forms = [
        format!("abfss://lastgood-test@devstoreaccount1.dfs.core.windows.net/{prefix}"),
        format!("https://devstoreaccount1.blob.core.windows.net/lastgood-test/{prefix}"),
        format!("adl://lastgood-test/{prefix}"),
        format!("azure://lastgood-test/{prefix}"),
        format!("abfs://lastgood-test/{prefix}"),
    ];
    let src = data(cwd, "src", 100, 1, 1, Variant::Good);
    let p: PublishOutcome = ok_json(&lg(
        cwd,
        &forms[0],
        &[
            "publish",
            "churn",
            src.to_str().unwrap(),
            "--version",
            "v1",
            "--json",
        ],
    ));
    assert!(
        p.manifest
            .starts_with(&format!("{}/churn/versions/v1/", forms[0])),
        "{}",
        p.manifest
    );
    for form in &forms {
        let r: Resolved = ok_json(&lg(cwd, form, &["resolve", "churn", "--json"]));
        assert_eq!(r.version, "v1", "{form}");
        for f in &r.files {
            assert!(
                f.url
                    .starts_with(&format!("{form}/churn/versions/v1/data/")),
                "{form}: {}",
                f.url
            );
        }
    }
    // The pointer file's root, fed back as a root, is the same dataset.
    let o = lg(cwd, &forms[0], &["pointer", "show", "churn", "--json"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let bytes = sealed_pointer(&forms[0]);
    let pf: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    let pf_root = pf["root"].as_str().unwrap();
    assert_eq!(pf_root, format!("{}/churn/", forms[0]));
    let again_root = pf_root.trim_end_matches('/').trim_end_matches("churn");
    let v2 = data(cwd, "v2", 100, 1, 2, Variant::Good);
    let p: PublishOutcome = ok_json(&lg(
        cwd,
        again_root.trim_end_matches('/'),
        &["publish", "churn", v2.to_str().unwrap(), "--json"],
    ));
    assert!(p.promoted, "{p:?}");
    // A data file's URL works as a publish source too.
    let r: Resolved = ok_json(&lg(cwd, &forms[1], &["resolve", "churn", "--json"]));
    let url = &r.files[0].url;
    let p: PublishOutcome = ok_json(&lg(cwd, &forms[2], &["publish", "copied", url, "--json"]));
    assert_eq!(p.rows, 100);
}

fn sealed_pointer(root: &str) -> Vec<u8> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let ds = lastgood::Dataset::new(
                lastgood::Store::open(root).unwrap(),
                lastgood::DatasetName::new("churn").unwrap(),
            );
            ds.store
                .get(&ds.layout.pointer_file())
                .await
                .unwrap()
                .unwrap()
                .to_vec()
        })
}
