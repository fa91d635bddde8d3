//! Notifications (issue 16): a stub Airflow API server on 127.0.0.1 receives exactly the expected
//! asset event on every move; OpenLineage run events validate against the vendored spec
//! (tests/fixtures/openlineage/, see SOURCE.md there); a failed notification never blocks a move
//! and is sent again by `lastgood notify`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use lastgood::synth::Variant;
use serde_json::{Value, json};

use crate::util::*;

/// One request the stub received.
#[derive(Debug, Clone)]
struct Request {
    method: String,
    target: String,
    authorization: Option<String>,
    body: Value,
}

/// A tiny HTTP/1.1 server on 127.0.0.1 answering like Airflow 3's API (and an OpenLineage
/// endpoint); `failing` makes it answer 503 to everything.
struct Stub {
    url: String,
    requests: Arc<Mutex<Vec<Request>>>,
    failing: Arc<AtomicBool>,
}

impl Stub {
    fn start() -> Stub {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let failing = Arc::new(AtomicBool::new(false));
        let (reqs, fail) = (requests.clone(), failing.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    continue;
                }
                let mut parts = line.split_whitespace();
                let method = parts.next().unwrap_or("").to_string();
                let target = parts.next().unwrap_or("").to_string();
                let (mut length, mut authorization) = (0usize, None);
                loop {
                    let mut h = String::new();
                    reader.read_line(&mut h).unwrap();
                    let h = h.trim_end();
                    if h.is_empty() {
                        break;
                    }
                    let (k, v) = h.split_once(':').unwrap_or((h, ""));
                    match k.to_ascii_lowercase().as_str() {
                        "content-length" => length = v.trim().parse().unwrap_or(0),
                        "authorization" => authorization = Some(v.trim().to_string()),
                        _ => {}
                    }
                }
                let mut body = vec![0u8; length];
                reader.read_exact(&mut body).unwrap();
                let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                reqs.lock().unwrap().push(Request {
                    method: method.clone(),
                    target: target.clone(),
                    authorization,
                    body,
                });
                let (status, answer) = if fail.load(Ordering::SeqCst) {
                    (
                        "503 Service Unavailable",
                        json!({"detail": "down for maintenance"}),
                    )
                } else if target == "/auth/token" {
                    ("201 Created", json!({"access_token": "jwt-from-stub"}))
                } else if target.starts_with("/api/v2/assets?") {
                    (
                        "200 OK",
                        json!({"assets": [
                            {"id": 3, "name": "other", "uri": "s3://ml-out/lake/other"},
                            {"id": 7, "name": "churn_scores", "uri": "s3://ml-out/lake/churn"}
                        ], "total_entries": 2}),
                    )
                } else if target == "/api/v2/assets/events" {
                    ("200 OK", json!({"id": 1, "asset_id": 7}))
                } else if target == "/api/v1/lineage" {
                    ("201 Created", json!({}))
                } else {
                    ("404 Not Found", json!({"detail": "Not Found"}))
                };
                let text = answer.to_string();
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{text}",
                    text.len()
                );
            }
        });
        Stub {
            url,
            requests,
            failing,
        }
    }

    fn take(&self) -> Vec<Request> {
        std::mem::take(&mut *self.requests.lock().unwrap())
    }

    /// The asset events received (POST /api/v2/assets/events), bodies only.
    fn events(reqs: &[Request]) -> Vec<Value> {
        reqs.iter()
            .filter(|r| r.method == "POST" && r.target == "/api/v2/assets/events")
            .map(|r| r.body.clone())
            .collect()
    }
}

fn config(cwd: &Path, body: &str) {
    std::fs::write(
        cwd.join("lastgood.toml"),
        format!("root = \"lake\"\n\n[datasets.churn]\n{body}"),
    )
    .unwrap();
}

fn run(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut all = vec![
        ("LASTGOOD_AIRFLOW_TOKEN", ""),
        ("LASTGOOD_AIRFLOW_USERNAME", "lastgood-bot"),
        ("LASTGOOD_AIRFLOW_PASSWORD", "s3cret"),
        ("LASTGOOD_OPENLINEAGE_API_KEY", ""),
    ];
    all.extend_from_slice(env);
    lg_env(cwd, cwd.join("lake").to_str().unwrap(), args, &all)
}

fn history(cwd: &Path) -> Vec<Value> {
    ok_json(&run(cwd, &["pointer", "history", "churn", "--json"], &[]))
}

/// The asset event lastgood must send for history entry `seq`, built from the entry itself.
fn expected_event(cwd: &Path, seq: u64, report: Value) -> Value {
    let e = history(cwd).into_iter().find(|e| e["seq"] == seq).unwrap();
    json!({"asset_id": 7, "extra": {
        "producer": "lastgood",
        "dataset": "churn",
        "version": e["to"],
        "from": e["from"],
        "seq": seq,
        "action": e["action"],
        "actor": "tester@ci",
        "reason": e["reason"],
        "forced": e["forced"],
        "at": e["at"],
        "report": report,
    }})
}

#[test]
fn airflow_gets_exactly_one_asset_event_per_move() {
    let stub = Stub::start();
    let t = tempfile::tempdir().unwrap();
    let cwd = t.path();
    config(
        cwd,
        &format!(
            "[datasets.churn.notify.airflow]\nurl = \"{}/\"\nasset = \"s3://ml-out/lake/churn\"\n",
            stub.url
        ),
    );
    let mon = data(cwd, "mon", 400, 2, 1, Variant::Good);
    let tue = data(cwd, "tue", 400, 2, 2, Variant::Good);
    let wed = data(cwd, "wed", 400, 2, 3, Variant::Shift);

    // A promote: log in, find the asset by URI, post the event.
    let out: Value = ok_json(&run(
        cwd,
        &["publish", "churn", mon.to_str().unwrap(), "--json"],
        &[],
    ));
    let reqs = stub.take();
    let seen: Vec<(&str, &str)> = reqs
        .iter()
        .map(|r| (r.method.as_str(), r.target.as_str()))
        .collect();
    assert_eq!(
        seen,
        [
            ("POST", "/auth/token"),
            (
                "GET",
                "/api/v2/assets?uri_pattern=s3%3A%2F%2Fml-out%2Flake%2Fchurn&limit=100"
            ),
            ("POST", "/api/v2/assets/events"),
        ]
    );
    assert_eq!(
        reqs[0].body,
        json!({"username": "lastgood-bot", "password": "s3cret"})
    );
    assert_eq!(
        reqs[2].authorization.as_deref(),
        Some("Bearer jwt-from-stub")
    );
    let report = out["report_url"].clone();
    assert!(report.as_str().unwrap().starts_with("file://"), "{out}");
    assert_eq!(
        Stub::events(&reqs),
        [expected_event(cwd, 1, report)],
        "the promote's event"
    );
    assert_eq!(
        out["notifications"],
        json!([{"target": "airflow", "event": "asset_event", "to": format!("{}/api/v2/assets/events", stub.url), "ok": true, "seq": 1}])
    );

    // A rejected night moves nothing: no event. A token from the environment skips the login.
    let o = run(
        cwd,
        &["publish", "churn", wed.to_str().unwrap(), "--json"],
        &[("LASTGOOD_AIRFLOW_TOKEN", "api-token")],
    );
    assert_eq!(code(&o), 3, "{}", stderr(&o));
    assert!(
        stub.take().is_empty(),
        "no event for a publish that did not move the pointer"
    );
    let out2: Value = ok_json(&run(
        cwd,
        &["publish", "churn", tue.to_str().unwrap(), "--json"],
        &[("LASTGOOD_AIRFLOW_TOKEN", "api-token")],
    ));
    let reqs = stub.take();
    assert_eq!(reqs.len(), 2, "{reqs:?}");
    assert!(
        reqs.iter()
            .all(|r| r.authorization.as_deref() == Some("Bearer api-token"))
    );
    assert_eq!(
        Stub::events(&reqs),
        [expected_event(cwd, 2, out2["report_url"].clone())]
    );

    // A revert from another machine: no lastgood.toml there, the rules on the store say where.
    let elsewhere = cwd.join("laptop");
    std::fs::create_dir(&elsewhere).unwrap();
    let back: Value = ok_json(&lg_env(
        &elsewhere,
        cwd.join("lake").to_str().unwrap(),
        &[
            "pointer",
            "revert",
            "churn",
            "--reason",
            "scores look off",
            "--json",
        ],
        &[
            ("LASTGOOD_AIRFLOW_TOKEN", "api-token"),
            ("LASTGOOD_ACTOR", "tester@ci"),
        ],
    ));
    assert_eq!(back["seq"], 3);
    let reqs = stub.take();
    // The version reverted to was judged when it was published: its report.
    let mon_report = out["report_url"].clone();
    assert_eq!(
        Stub::events(&reqs),
        [expected_event(cwd, 3, mon_report.clone())]
    );
    assert_eq!(Stub::events(&reqs)[0]["extra"]["action"], "revert");
    assert_eq!(Stub::events(&reqs)[0]["extra"]["reason"], "scores look off");
    assert_eq!(back["notifications"][0]["ok"], true);

    // pointer set, then set again to where it is: one event, for the move only.
    let set = ok_json::<Value>(&run(
        cwd,
        &[
            "pointer",
            "set",
            "churn",
            out2["version"].as_str().unwrap(),
            "--reason",
            "tue was fine",
            "--force",
            "--json",
        ],
        &[("LASTGOOD_AIRFLOW_TOKEN", "t")],
    ));
    assert_eq!(set["seq"], 4);
    let again = ok_json::<Value>(&run(
        cwd,
        &[
            "pointer",
            "set",
            "churn",
            out2["version"].as_str().unwrap(),
            "--reason",
            "again",
            "--json",
        ],
        &[("LASTGOOD_AIRFLOW_TOKEN", "t")],
    ));
    assert_eq!(again["moved"], false);
    assert!(again.get("notifications").is_none(), "{again}");
    assert_eq!(
        Stub::events(&stub.take()),
        [expected_event(cwd, 4, out2["report_url"].clone())]
    );
}

#[test]
fn a_failed_notification_never_blocks_a_move_and_is_sent_again() {
    let stub = Stub::start();
    let t = tempfile::tempdir().unwrap();
    let cwd = t.path();
    config(
        cwd,
        &format!(
            "[datasets.churn.notify.airflow]\nurl = \"{}\"\nasset = \"churn_scores\"\n",
            stub.url
        ),
    );
    let mon = data(cwd, "mon", 300, 1, 1, Variant::Good);
    stub.failing.store(true, Ordering::SeqCst);
    let o = run(
        cwd,
        &["publish", "churn", mon.to_str().unwrap(), "--json"],
        &[],
    );
    let out: Value = ok_json(&o);
    assert_eq!(out["promoted"], true, "the move stands");
    let n = &out["notifications"][0];
    assert_eq!(n["ok"], false);
    assert!(n["error"].as_str().unwrap().contains("503"), "{n}");
    let err = stderr(&o);
    assert!(
        err.contains("warning: the Airflow asset_event for churn was not sent")
            && err.contains("`lastgood notify churn 1`"),
        "{err}"
    );
    let status: Value = ok_json(&run(cwd, &["pointer", "show", "churn", "--json"], &[]));
    assert_eq!(status["version"], out["version"]);

    // Airflow is back: `notify` sends the same event, matched by name this time.
    stub.failing.store(false, Ordering::SeqCst);
    stub.take();
    let resent: Value = ok_json(&run(cwd, &["notify", "churn", "1", "--json"], &[]));
    assert_eq!(resent["notifications"][0]["ok"], true, "{resent}");
    assert_eq!(
        Stub::events(&stub.take()),
        [expected_event(cwd, 1, out["report_url"].clone())]
    );

    // While it fails, `notify` says so with exit 1; a mark is not announced; no such entry is 2.
    stub.failing.store(true, Ordering::SeqCst);
    let o = run(cwd, &["notify", "churn", "1"], &[]);
    fails_with(&o, 1, "1 of 1 notification(s) for churn failed");
    assert!(
        stdout(&o).contains("FAILED airflow asset_event"),
        "{}",
        stdout(&o)
    );
    stub.failing.store(false, Ordering::SeqCst);
    ok_json::<Value>(&run(
        cwd,
        &["freeze", "churn", "--reason", "x", "--json"],
        &[],
    ));
    fails_with(&run(cwd, &["notify", "churn", "2"], &[]), 2, "not a move");
    fails_with(
        &run(cwd, &["notify", "churn", "9"], &[]),
        2,
        "no history entry #9",
    );
}

fn openlineage_validators() -> (
    jsonschema::Validator,
    Vec<(&'static str, jsonschema::Validator)>,
) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/openlineage");
    let load = |f: &str| -> Value {
        serde_json::from_slice(&std::fs::read(dir.join(f)).unwrap()).unwrap()
    };
    let spec = load("OpenLineage.json");
    let build = |schema: &Value| {
        jsonschema::options()
            .should_validate_formats(true)
            .with_resource(
                "https://openlineage.io/spec/2-0-2/OpenLineage.json",
                jsonschema::Resource::from_contents(spec.clone()).unwrap(),
            )
            .build(schema)
            .unwrap()
    };
    let run_event = build(
        &json!({"$ref": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"}),
    );
    let facets = [
        ("version", "DatasetVersionDatasetFacet.json"),
        (
            "dataQualityAssertions",
            "DataQualityAssertionsDatasetFacet.json",
        ),
        ("dataQualityMetrics", "DataQualityMetricsDatasetFacet.json"),
        ("errorMessage", "ErrorMessageRunFacet.json"),
    ]
    .into_iter()
    .map(|(name, file)| (name, build(&load(file))))
    .collect();
    (run_event, facets)
}

fn assert_valid(v: &jsonschema::Validator, doc: &Value, what: &str) {
    let errors: Vec<String> = v
        .iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect();
    assert!(errors.is_empty(), "{what}: {errors:?}\n{doc:#}");
}

#[test]
fn openlineage_runs_per_publish_validate_against_the_spec() {
    let t = tempfile::tempdir().unwrap();
    let cwd = t.path();
    config(
        cwd,
        "[datasets.churn.notify.openlineage]\nfile = \"lineage.jsonl\"\nnamespace = \"ml\"\n",
    );
    let mon = data(cwd, "mon", 500, 2, 1, Variant::Good);
    let tue = data(cwd, "tue", 500, 2, 2, Variant::Good);
    let wed = data(cwd, "wed", 500, 2, 3, Variant::Shift);
    let first: Value = ok_json(&run(
        cwd,
        &["publish", "churn", mon.to_str().unwrap(), "--json"],
        &[],
    ));
    assert_eq!(
        code(&run(cwd, &["publish", "churn", wed.to_str().unwrap()], &[])),
        3
    );
    ok_json::<Value>(&run(
        cwd,
        &["freeze", "churn", "--reason", "INC-1", "--json"],
        &[],
    ));
    assert_eq!(
        code(&run(cwd, &["publish", "churn", tue.to_str().unwrap()], &[])),
        4
    );
    // A publish that fails outright (no such folder) still closes its run.
    assert_eq!(code(&run(cwd, &["publish", "churn", "missing/"], &[])), 2);

    let lines: Vec<Value> = std::fs::read_to_string(cwd.join("lineage.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let types: Vec<&str> = lines
        .iter()
        .map(|e| e["eventType"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "START", "COMPLETE", "START", "FAIL", "START", "ABORT", "START", "FAIL"
        ]
    );
    let (run_event, facets) = openlineage_validators();
    for (i, e) in lines.iter().enumerate() {
        assert_valid(&run_event, e, &format!("event {i}"));
        for (name, v) in &facets {
            let mut found = e["outputs"][0]["facets"].get(*name).cloned();
            if *name == "errorMessage" {
                found = e["run"]["facets"].get(*name).cloned();
            }
            if let Some(f) = found {
                assert_valid(v, &json!({ *name: f }), &format!("event {i} facet {name}"));
            }
        }
        // Each pair shares its run id; runs differ.
        assert_eq!(e["run"]["runId"], lines[i - i % 2]["run"]["runId"]);
        assert_eq!(
            e["job"],
            json!({"namespace": "ml", "name": "publish.churn"})
        );
    }
    assert_ne!(lines[0]["run"]["runId"], lines[2]["run"]["runId"]);

    // COMPLETE: the version, one assertion per gate, the metrics.
    let done = &lines[1]["outputs"][0];
    let lake = std::fs::canonicalize(cwd.join("lake")).unwrap();
    assert_eq!(done["namespace"], "file");
    assert_eq!(done["name"], format!("{}/churn", lake.display()));
    assert_eq!(
        done["facets"]["version"]["datasetVersion"],
        first["version"]
    );
    let assertions = done["facets"]["dataQualityAssertions"]["assertions"]
        .as_array()
        .unwrap();
    assert_eq!(assertions.len(), first["gates"].as_array().unwrap().len());
    let metrics = &done["facets"]["dataQualityMetrics"];
    assert_eq!(metrics["rowCount"], 500);
    assert_eq!(metrics["fileCount"], 2);
    assert_eq!(metrics["bytes"], first["bytes"]);
    assert_eq!(
        lines[0]["inputs"][0]["name"],
        std::path::absolute(&mon).unwrap().display().to_string()
    );

    // FAIL: the ks assertion failed, the error message names it.
    let failed = &lines[3];
    let ks: Vec<&Value> = failed["outputs"][0]["facets"]["dataQualityAssertions"]["assertions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["success"] == false)
        .collect();
    assert_eq!(ks.len(), 1, "{ks:?}");
    assert_eq!(ks[0]["assertion"], "ks");
    assert_eq!(ks[0]["column"], "score");
    assert_eq!(ks[0]["severity"], "error");
    assert!(
        failed["run"]["facets"]["errorMessage"]["message"]
            .as_str()
            .unwrap()
            .contains("ks(score)")
    );
    assert!(
        lines[5]["run"]["facets"]["errorMessage"]["message"]
            .as_str()
            .unwrap()
            .contains("frozen")
    );
    assert!(
        lines[7]["run"]["facets"]["errorMessage"]["message"]
            .as_str()
            .unwrap()
            .contains("missing")
    );

    // Re-sent from the history: START and COMPLETE again, under one id derived from the report,
    // the same each time; and the rejected night's run by version.
    let resent: Value = ok_json(&run(cwd, &["notify", "churn", "1", "--json"], &[]));
    let again: Value = ok_json(&run(cwd, &["notify", "churn", "1", "--json"], &[]));
    let ids = |r: &Value| -> Vec<Value> {
        r["notifications"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["run_id"].clone())
            .collect()
    };
    assert_eq!(ids(&resent), ids(&again));
    let wed_version: Vec<Value> = ok_json(&run(
        cwd,
        &["versions", "churn", "--status", "rejected", "--json"],
        &[],
    ));
    let wed_version = wed_version[0]["version"].as_str().unwrap().to_string();
    let rejected: Value = ok_json(&run(
        cwd,
        &["notify", "churn", "--version", &wed_version, "--json"],
        &[],
    ));
    let events: Vec<&str> = rejected["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["event"].as_str().unwrap())
        .collect();
    assert_eq!(events, ["START", "FAIL"]);
    let all: Vec<Value> = std::fs::read_to_string(cwd.join("lineage.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(all.len(), 14);
    for e in &all[8..] {
        assert_valid(&run_event, e, "re-sent event");
    }
    assert_eq!(
        all[9]["outputs"][0]["facets"]["version"]["datasetVersion"],
        first["version"]
    );
}

#[test]
fn openlineage_over_http() {
    let stub = Stub::start();
    let t = tempfile::tempdir().unwrap();
    let cwd = t.path();
    config(
        cwd,
        &format!(
            "[datasets.churn.notify.openlineage]\nurl = \"{}\"\n",
            stub.url
        ),
    );
    let mon = data(cwd, "mon", 300, 1, 1, Variant::Good);
    let out: Value = ok_json(&run(
        cwd,
        &["publish", "churn", mon.to_str().unwrap(), "--json"],
        &[("LASTGOOD_OPENLINEAGE_API_KEY", "ol-key")],
    ));
    let reqs = stub.take();
    assert_eq!(reqs.len(), 2);
    assert!(reqs.iter().all(|r| r.method == "POST"
        && r.target == "/api/v1/lineage"
        && r.authorization.as_deref() == Some("Bearer ol-key")));
    assert_eq!(reqs[0].body["eventType"], "START");
    assert_eq!(reqs[1].body["eventType"], "COMPLETE");
    assert_eq!(reqs[0].body["run"]["runId"], reqs[1].body["run"]["runId"]);
    let n: Vec<&str> = out["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["event"].as_str().unwrap())
        .collect();
    assert_eq!(n, ["START", "COMPLETE"]);
    // Bad settings are refused before anything is published.
    config(
        cwd,
        "[datasets.other.notify.openlineage]\nurl = \"ftp://x\"\n",
    );
    fails_with(
        &run(cwd, &["publish", "other", mon.to_str().unwrap()], &[]),
        2,
        "notify.openlineage.url",
    );
}
