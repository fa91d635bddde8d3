//! Airflow 3: an asset event on every pointer move, through Airflow's public REST API, so DAGs
//! scheduled on the asset (`schedule=[Asset(...)]`) run after a promote, a revert, a `pointer
//! set` or a partition revert, whoever made it and from wherever.
//!
//! 1. Authenticate: `LASTGOOD_AIRFLOW_TOKEN` is a bearer token (a JWT from `/auth/token`, or an
//!    API token); else `LASTGOOD_AIRFLOW_USERNAME` and `LASTGOOD_AIRFLOW_PASSWORD` are exchanged
//!    for one (`POST /auth/token`, as Airflow's simple, FAB and Keycloak auth managers take them);
//!    else no credentials (an Airflow with `simple_auth_manager_all_admins`).
//! 2. Find the asset's id: `asset_id` when configured, else `GET /api/v2/assets?uri_pattern=…`
//!    and the asset whose URI (else name) is exactly `asset`.
//! 3. `POST /api/v2/assets/events` with `{"asset_id", "extra"}`; `extra` says what moved: dataset,
//!    version, from, seq, action, actor, reason, forced, at, the report's location, and for a
//!    partition revert the partitions.

use serde::Deserialize;
use serde_json::json;

use super::sent::{Sent, Target, client, http_error};
use super::settings::AirflowSettings as Config;
use crate::dataset::Dataset;

use crate::pointer::{Action, LogEntry};
use crate::spec::detail::Detail;

pub const TOKEN_ENV: &str = "LASTGOOD_AIRFLOW_TOKEN";
pub const USERNAME_ENV: &str = "LASTGOOD_AIRFLOW_USERNAME";
pub const PASSWORD_ENV: &str = "LASTGOOD_AIRFLOW_PASSWORD";

/// The `extra` of the asset event for a move: what a downstream DAG needs to know.
pub async fn extra(ds: &Dataset, entry: &LogEntry) -> serde_json::Value {
    let report = match (&entry.verdict, &entry.to) {
        (Some(v), _) if entry.action == Action::Promote => ds
            .layout
            .resolve(&v.report)
            .ok()
            .map(|p| ds.store.url_of(&p)),
        // A set or revert runs no gates: the newest report of the version moved to.
        (_, Some(to)) => crate::ops::report::newest_url(ds, to).await.ok().flatten(),
        _ => None,
    };
    let mut extra = json!({
        "producer": "lastgood",
        "dataset": ds.name().as_str(),
        "version": entry.to,
        "from": entry.from,
        "seq": entry.seq,
        "action": entry.action.as_str(),
        "actor": entry.actor,
        "reason": entry.reason,
        "forced": entry.forced,
        "at": entry.at,
        "report": report,
    });
    let partitions: Vec<String> = match &entry.detail {
        Some(Detail::PartitionRevert(d)) => {
            d.partitions.iter().map(|p| p.partition.clone()).collect()
        }
        _ => Vec::new(),
    };
    if entry.action == Action::Revert
        && !partitions.is_empty()
        && let Some(o) = extra.as_object_mut()
    {
        o.insert("partitions".into(), json!(partitions));
    }
    extra
}

/// Sends the asset event for `entry` (a move); never fails: the outcome is in the [`Sent`].
pub async fn announce(ds: &Dataset, cfg: &Config, entry: &LogEntry) -> Sent {
    let to = cfg.api("api/v2/assets/events");
    let extra = extra(ds, entry).await;
    let result = send(cfg, &extra).await;
    Sent {
        target: Target::Airflow,
        event: "asset_event".into(),
        to,
        ok: result.is_ok(),
        seq: Some(entry.seq),
        run_id: None,
        error: result.err(),
    }
}

async fn send(cfg: &Config, extra: &serde_json::Value) -> std::result::Result<(), String> {
    let http = client(cfg.timeout_seconds)?;
    let token = token(cfg, &http).await?;
    let auth = |r: reqwest::RequestBuilder| match &token {
        Some(t) => r.bearer_auth(t),
        None => r,
    };
    let asset_id = match cfg.asset_id {
        Some(id) => id,
        None => find_asset(cfg, &http, &auth).await?,
    };
    let body = json!({"asset_id": asset_id, "extra": extra});
    let url = cfg.api("api/v2/assets/events");
    let resp = auth(http.post(&url))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .map_err(|e| format!("POST {url}: {}", http_error(&e)))?;
    expect_success(resp, &url).await.map(|_| ())
}

/// The bearer token, from the environment (see the module doc).
async fn token(
    cfg: &Config,
    http: &reqwest::Client,
) -> std::result::Result<Option<String>, String> {
    if let Some(t) = std::env::var(TOKEN_ENV).ok().filter(|t| !t.is_empty()) {
        return Ok(Some(t));
    }
    let (Ok(user), Ok(password)) = (std::env::var(USERNAME_ENV), std::env::var(PASSWORD_ENV))
    else {
        return Ok(None);
    };
    let url = cfg.api("auth/token");
    let resp = http
        .post(&url)
        .header("content-type", "application/json")
        .body(json!({"username": user, "password": password}).to_string())
        .send()
        .await
        .map_err(|e| format!("POST {url}: {}", http_error(&e)))?;
    let body = expect_success(resp, &url).await?;
    #[derive(Deserialize)]
    struct Token {
        access_token: String,
    }
    let t: Token = serde_json::from_str(&body)
        .map_err(|e| format!("{url} answered without an access_token: {e}"))?;
    Ok(Some(t.access_token))
}

async fn find_asset(
    cfg: &Config,
    http: &reqwest::Client,
    auth: &impl Fn(reqwest::RequestBuilder) -> reqwest::RequestBuilder,
) -> std::result::Result<u64, String> {
    #[derive(Deserialize)]
    struct Asset {
        id: u64,
        #[serde(default)]
        uri: Option<String>,
        #[serde(default)]
        name: Option<String>,
    }
    #[derive(Deserialize)]
    struct Assets {
        assets: Vec<Asset>,
    }
    let mut url = url::Url::parse(&cfg.api("api/v2/assets"))
        .map_err(|e| format!("notify.airflow.url {:?}: {e}", cfg.url))?;
    url.query_pairs_mut()
        .append_pair("uri_pattern", &cfg.asset)
        .append_pair("limit", "100");
    let resp = auth(http.get(url.as_str()))
        .send()
        .await
        .map_err(|e| format!("GET {url}: {}", http_error(&e)))?;
    let body = expect_success(resp, url.as_str()).await?;
    let found: Assets =
        serde_json::from_str(&body).map_err(|e| format!("{url} answered unexpectedly: {e}"))?;
    let pick = |f: &dyn Fn(&Asset) -> bool| found.assets.iter().find(|a| f(a)).map(|a| a.id);
    pick(&|a| a.uri.as_deref() == Some(cfg.asset.as_str()))
        .or_else(|| pick(&|a| a.name.as_deref() == Some(cfg.asset.as_str())))
        .ok_or_else(|| {
            format!(
                "Airflow knows no asset {:?} (a DAG must declare Asset({:?}) and be parsed first)",
                cfg.asset, cfg.asset
            )
        })
}

/// The body of a 2xx answer; otherwise the status and the start of the body, one line.
async fn expect_success(resp: reqwest::Response, url: &str) -> std::result::Result<String, String> {
    let status = resp.status();
    let body = resp.text().await.unwrap_or_default();
    if status.is_success() {
        return Ok(body);
    }
    let short: String = body.replace('\n', " ").chars().take(200).collect();
    Err(format!("{url} answered {status}: {short}"))
}
