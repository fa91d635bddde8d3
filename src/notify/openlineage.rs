//! OpenLineage: one run per publish, so lineage tools (Marquez, DataHub, OpenMetadata…) see each
//! version of the dataset, whether it went live, and what its gates found.
//!
//! 1. Before the publish seals anything: a `START` event (a new run id, time-ordered UUID v7),
//!    its inputs the source folders, its output the dataset.
//! 2. After it: `COMPLETE` when the version was promoted (or judged and kept with
//!    `--no-promote`), `FAIL` when a gate failed or the publish failed (with the `errorMessage` run
//!    facet), `ABORT` when policy refused the promotion (a frozen dataset). The output dataset
//!    carries the `version` facet (the version id), `dataQualityAssertions` (one assertion per gate
//!    result) and `dataQualityMetrics` (rows, bytes, files; per column the null counts and value
//!    counts the gates measured).
//! 3. Each event is POSTed to `{url}/api/v1/lineage` (with `LASTGOOD_OPENLINEAGE_API_KEY` as a
//!    bearer token when set), or appended to `file` as one JSON line.
//!
//! `lastgood notify DATASET SEQ` re-sends a promotion's run (START and COMPLETE) from its stored
//! report, under a run id derived from the report, so sending it again twice is the same run.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::sent::{Sent, Target, client, http_error};
use super::settings::OpenLineageSettings as Config;
use crate::dataset::Dataset;
use crate::error::{Error, Result};
use crate::gates::{Facts, GateResult, Severity};

pub const API_KEY_ENV: &str = "LASTGOOD_OPENLINEAGE_API_KEY";
const SPEC: &str = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent";
const VERSION_FACET: &str = "https://openlineage.io/spec/facets/1-0-1/DatasetVersionDatasetFacet.json#/$defs/DatasetVersionDatasetFacet";
const ASSERTIONS_FACET: &str = "https://openlineage.io/spec/facets/1-1-0/DataQualityAssertionsDatasetFacet.json#/$defs/DataQualityAssertionsDatasetFacet";
const METRICS_FACET: &str = "https://openlineage.io/spec/facets/1-0-0/DataQualityMetricsDatasetFacet.json#/$defs/DataQualityMetricsDatasetFacet";
const ERROR_FACET: &str = "https://openlineage.io/spec/facets/1-0-1/ErrorMessageRunFacet.json#/$defs/ErrorMessageRunFacet";

/// The `producer` of every event and facet: this build of lastgood.
pub fn producer() -> String {
    format!("urn:lastgood:{}", env!("CARGO_PKG_VERSION"))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum EventType {
    Start,
    Complete,
    Abort,
    Fail,
}

impl EventType {
    pub fn as_str(&self) -> &'static str {
        match self {
            EventType::Start => "START",
            EventType::Complete => "COMPLETE",
            EventType::Abort => "ABORT",
            EventType::Fail => "FAIL",
        }
    }
}

/// A run event, as the OpenLineage spec (2-0-2) defines it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunEvent {
    pub event_time: String,
    pub producer: String,
    #[serde(rename = "schemaURL")]
    pub schema_url: String,
    pub event_type: EventType,
    pub run: Run,
    pub job: Job,
    pub inputs: Vec<DatasetRef>,
    pub outputs: Vec<DatasetRef>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Run {
    pub run_id: String,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub facets: Map<String, Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Job {
    pub namespace: String,
    pub name: String,
}

/// A dataset of an event: `namespace` and `name` by OpenLineage's naming (`file` and an absolute
/// path; `s3://bucket` and the key prefix), and its facets.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DatasetRef {
    pub namespace: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub facets: Map<String, Value>,
}

impl DatasetRef {
    /// From a URL (`file:///…`, `s3://bucket/prefix`) or a local path.
    pub fn from_location(location: &str) -> DatasetRef {
        let (namespace, name) = match url::Url::parse(location) {
            Ok(u) if u.scheme() == "file" => ("file".to_string(), u.path().to_string()),
            Ok(u) if u.has_host() => (
                format!("{}://{}", u.scheme(), u.authority()),
                u.path().trim_start_matches('/').to_string(),
            ),
            _ => (
                "file".to_string(),
                std::path::absolute(location)
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|_| location.to_string()),
            ),
        };
        DatasetRef {
            namespace,
            name: name.trim_end_matches('/').to_string(),
            facets: Map::new(),
        }
    }
}

/// What a publish came to, for the closing event.
#[derive(Debug, Clone)]
pub struct Judged<'a> {
    pub version: &'a str,
    pub rows: u64,
    pub bytes: u64,
    pub files: usize,
    pub gates: &'a [GateResult],
    pub end: EventType,
    /// Why it failed or was refused, for the `errorMessage` run facet.
    pub message: Option<String>,
}

/// One publish's run: the ids and datasets every event of it repeats.
#[derive(Debug, Clone)]
pub struct PublishRun {
    pub run_id: String,
    pub job: Job,
    pub inputs: Vec<DatasetRef>,
    pub output: DatasetRef,
}

impl PublishRun {
    /// A new run (UUID v7: time-ordered, as OpenLineage recommends) for publishing `sources`.
    pub fn new(cfg: &Config, ds: &Dataset, sources: &[String], now: DateTime<Utc>) -> PublishRun {
        let random = uuid::Uuid::new_v4();
        let mut tail = [0u8; 10];
        tail.copy_from_slice(&random.as_bytes()[6..16]);
        let id =
            uuid::Builder::from_unix_timestamp_millis(now.timestamp_millis().max(0) as u64, &tail)
                .into_uuid();
        Self::with_id(cfg, ds, sources, id.to_string())
    }

    /// A run whose id is derived from `seed` (a stored report's location): re-sending it is the
    /// same run.
    pub fn derived(cfg: &Config, ds: &Dataset, seed: &str) -> PublishRun {
        let hash = blake3::hash(seed.as_bytes());
        let mut b = [0u8; 16];
        b.copy_from_slice(&hash.as_bytes()[..16]);
        let id = uuid::Builder::from_custom_bytes(b).into_uuid();
        Self::with_id(cfg, ds, &[], id.to_string())
    }

    fn with_id(cfg: &Config, ds: &Dataset, sources: &[String], run_id: String) -> PublishRun {
        PublishRun {
            run_id,
            job: Job {
                namespace: cfg.namespace.clone().unwrap_or_else(|| "lastgood".into()),
                name: cfg
                    .job
                    .clone()
                    .unwrap_or_else(|| format!("publish.{}", ds.name())),
            },
            inputs: sources
                .iter()
                .map(|s| DatasetRef::from_location(s))
                .collect(),
            output: DatasetRef::from_location(&ds.store.url_of(ds.layout.prefix())),
        }
    }

    pub fn start(&self, at: DateTime<Utc>) -> RunEvent {
        self.event(EventType::Start, at, Map::new(), self.output.clone())
    }

    /// The closing event, with the gate report's facets on the output.
    pub fn end(&self, at: DateTime<Utc>, judged: &Judged) -> RunEvent {
        let mut output = self.output.clone();
        output.facets = facets(judged);
        let mut run_facets = Map::new();
        if let Some(m) = &judged.message {
            run_facets.insert(
                "errorMessage".into(),
                facet(
                    ERROR_FACET,
                    [
                        ("message", Value::from(m.clone())),
                        ("programmingLanguage", "rust".into()),
                    ],
                ),
            );
        }
        self.event(judged.end, at, run_facets, output)
    }

    /// The closing event of a publish that failed before its gates judged anything.
    pub fn failed(&self, at: DateTime<Utc>, message: &str) -> RunEvent {
        let mut run_facets = Map::new();
        run_facets.insert(
            "errorMessage".into(),
            facet(
                ERROR_FACET,
                [
                    ("message", Value::from(message)),
                    ("programmingLanguage", "rust".into()),
                ],
            ),
        );
        self.event(EventType::Fail, at, run_facets, self.output.clone())
    }

    fn event(
        &self,
        event_type: EventType,
        at: DateTime<Utc>,
        run_facets: Map<String, Value>,
        output: DatasetRef,
    ) -> RunEvent {
        RunEvent {
            event_time: at.to_rfc3339_opts(SecondsFormat::Micros, true),
            producer: producer(),
            schema_url: SPEC.into(),
            event_type,
            run: Run {
                run_id: self.run_id.clone(),
                facets: run_facets,
            },
            job: self.job.clone(),
            inputs: self.inputs.clone(),
            outputs: vec![output],
        }
    }
}

fn facet<const N: usize>(schema: &str, fields: [(&str, Value); N]) -> Value {
    let mut m = Map::new();
    m.insert("_producer".into(), producer().into());
    m.insert("_schemaURL".into(), schema.into());
    for (k, v) in fields {
        m.insert(k.into(), v);
    }
    Value::Object(m)
}

/// Compact text of a gate's observed value or threshold.
fn text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// The output dataset's facets from a judged version.
fn facets(j: &Judged) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert(
        "version".into(),
        facet(VERSION_FACET, [("datasetVersion", j.version.into())]),
    );
    let assertions: Vec<Value> = j
        .gates
        .iter()
        .map(|g| {
            let mut a = Map::new();
            a.insert("assertion".into(), g.kind().into());
            a.insert("success".into(), g.passed.into());
            a.insert("name".into(), g.name.clone().into());
            if let Some(c) = &g.column {
                a.insert("column".into(), c.clone().into());
            }
            let severity = match g.severity {
                Severity::Fail => "error",
                Severity::Warn => "warn",
            };
            a.insert("severity".into(), severity.into());
            if let Some(t) = text(&g.threshold()) {
                a.insert("expected".into(), t.into());
            }
            if let Some(o) = text(&g.observed()) {
                a.insert("actual".into(), o.into());
            }
            if !g.message.is_empty() {
                a.insert("description".into(), g.message.clone().into());
            }
            Value::Object(a)
        })
        .collect();
    out.insert(
        "dataQualityAssertions".into(),
        facet(ASSERTIONS_FACET, [("assertions", Value::Array(assertions))]),
    );
    // Per column, what the gates counted on the candidate: nulls (null_rate), values (ks).
    let mut columns: Map<String, Value> = Map::new();
    for g in j.gates {
        let Some(c) = &g.column else { continue };
        let entry = columns
            .entry(c.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        let Some(m) = entry.as_object_mut() else {
            continue;
        };
        match &g.facts {
            Facts::NullRate(f) => {
                if let Some(c) = &f.counts {
                    m.insert("nullCount".into(), c.null_count.into());
                }
            }
            Facts::Ks(f) => {
                if let Some(t) = &f.test {
                    m.insert("count".into(), t.n_candidate.into());
                }
            }
            _ => {}
        }
    }
    columns.retain(|_, v| v.as_object().is_some_and(|m| !m.is_empty()));
    out.insert(
        "dataQualityMetrics".into(),
        facet(
            METRICS_FACET,
            [
                ("rowCount", j.rows.into()),
                ("bytes", j.bytes.into()),
                ("fileCount", (j.files as u64).into()),
                ("columnMetrics", Value::Object(columns)),
            ],
        ),
    );
    out
}

/// Sends one event; never fails: the outcome is in the [`Sent`].
pub async fn send(cfg: &Config, event: &RunEvent) -> Sent {
    let to = cfg.destination();
    let result = deliver(cfg, event, &to).await;
    Sent {
        target: Target::Openlineage,
        event: event.event_type.as_str().into(),
        to,
        ok: result.is_ok(),
        seq: None,
        run_id: Some(event.run.run_id.clone()),
        error: result.err(),
    }
}

async fn deliver(cfg: &Config, event: &RunEvent, to: &str) -> std::result::Result<(), String> {
    let body = serde_json::to_string(event).map_err(|e| format!("serializing the event: {e}"))?;
    if cfg.url.is_none() {
        use std::io::Write;
        let mut line = body.into_bytes();
        line.push(b'\n');
        // One write of the whole line, appended: concurrent writers do not interleave lines.
        return std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(to)
            .and_then(|mut f| f.write_all(&line))
            .map_err(|e| format!("appending to {to}: {e}"));
    }
    let http = client(cfg.timeout_seconds)?;
    let mut req = http
        .post(to)
        .header("content-type", "application/json")
        .body(body);
    if let Some(key) = std::env::var(API_KEY_ENV).ok().filter(|k| !k.is_empty()) {
        req = req.bearer_auth(key);
    }
    let resp = req
        .send()
        .await
        .map_err(|e| format!("POST {to}: {}", http_error(&e)))?;
    let status = resp.status();
    if status.is_success() {
        return Ok(());
    }
    let body = resp.text().await.unwrap_or_default();
    let short: String = body.replace('\n', " ").chars().take(200).collect();
    Err(format!("{to} answered {status}: {short}"))
}

/// The gate results and time of a stored report, for re-sending its run.
#[derive(Deserialize)]
struct StoredReport {
    at: DateTime<Utc>,
    passed: bool,
    gates: Vec<GateResult>,
}

/// Re-sends the run of the publish whose report is `report` (dataset-relative), closing it as
/// `end` at `at`: START (at the report's time) and the closing event.
pub async fn resend(
    ds: &Dataset,
    cfg: &Config,
    version: &crate::VersionId,
    report: Option<&str>,
    closed_at: Option<DateTime<Utc>>,
) -> Result<Vec<Sent>> {
    let name = report.and_then(|r| r.rsplit('/').next());
    let stored = crate::ops::report::load(ds, version, name).await?;
    let parsed: StoredReport = serde_json::from_value(stored.json.clone())
        .map_err(|e| Error::Corrupt(format!("gate report {}: {e}", stored.url)))?;
    let (resolved, _) =
        crate::ops::resolve::resolve(ds, &crate::ops::resolve::At::Version(version.clone()))
            .await?;
    let run = PublishRun::derived(cfg, ds, &stored.url);
    // A promotion went live (forced or not); otherwise the report's verdict decides.
    let end = if closed_at.is_some() || parsed.passed {
        EventType::Complete
    } else {
        EventType::Fail
    };
    let message = (end == EventType::Fail).then(|| {
        let failed: Vec<String> = parsed
            .gates
            .iter()
            .filter(|g| g.blocks())
            .map(crate::gates::report_label)
            .collect();
        format!("gates failed: {}", failed.join(", "))
    });
    let judged = Judged {
        version: version.as_str(),
        rows: resolved.rows,
        bytes: resolved.files.iter().map(|f| f.size).sum(),
        files: resolved.files.len(),
        gates: &parsed.gates,
        end,
        message,
    };
    let start = run.start(parsed.at);
    let close = run.end(closed_at.unwrap_or(parsed.at), &judged);
    Ok(vec![send(cfg, &start).await, send(cfg, &close).await])
}

impl<'a> Judged<'a> {
    /// What a publish came to: COMPLETE when promoted (or kept with `--no-promote` after passing),
    /// ABORT when policy refused the promotion (frozen), FAIL when a gate failed.
    pub fn from_publish(out: &'a crate::ops::publish::PublishOutcome) -> Judged<'a> {
        let (end, message) = if let Some(why) = &out.frozen {
            (EventType::Abort, Some(format!("not promoted: {why}")))
        } else if !out.passed && !out.promoted {
            let failed: Vec<String> = out
                .gates
                .iter()
                .filter(|g| g.blocks())
                .map(crate::gates::report_label)
                .collect();
            (
                EventType::Fail,
                Some(format!("gates failed: {}", failed.join(", "))),
            )
        } else {
            (EventType::Complete, None)
        };
        Judged {
            version: &out.version,
            rows: out.rows,
            bytes: out.bytes,
            files: out.files,
            gates: &out.gates,
            end,
            message,
        }
    }
}
