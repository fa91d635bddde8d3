//! The cloud object stores (S3, GCS, Azure Blob): opening a root URL as one, with credentials
//! checked before any request, and the rule for which failed requests are worth repeating.
//!
//! 1. The URL's kind comes from object_store's own parser ([`ObjectStoreScheme::parse`]), so every
//!    form it knows is accepted (`s3://`, `s3a://`, `gs://`, `az://`, `adl://`, `azure://`,
//!    `abfs[s]://container@account.dfs.core.windows.net`, `https://account.blob.core.windows.net/container`,
//!    `https://bucket.s3.region.amazonaws.com`), and the part of the URL before the root's prefix is
//!    kept as it was given, so the object URLs lastgood prints open the same objects again.
//! 2. The builder reads the store's standard environment variables; lastgood then checks that they
//!    name credentials. Without any, the clients would ask the cloud's instance metadata server;
//!    lastgood refuses instead (exit 2, naming what to set) unless `LASTGOOD_CLOUD_METADATA=true`
//!    says that is meant (a VM or pod with an instance identity).
//! 3. A plain-HTTP endpoint without the store's "allow HTTP" switch is refused up front, by name.
//! 4. Every client sends its requests through [`DefiniteAnswers`]: a server error that cannot
//!    change on retry (501 Not Implemented, 505, …) comes back at once instead of being retried.

use std::sync::Arc;

use async_trait::async_trait;
use object_store::client::{
    HttpClient, HttpConnector, HttpError, HttpErrorKind, HttpRequest, HttpResponse, HttpService,
    ReqwestConnector,
};
use object_store::path::Path;
use object_store::{ClientOptions, ObjectStore, ObjectStoreScheme, RetryConfig};
use url::Url;

use crate::error::{Error, Result};

/// A cloud store opened from a root URL.
pub(crate) struct Opened {
    pub store: Arc<dyn ObjectStore>,
    /// The root's prefix inside the store.
    pub base: Path,
    /// `scheme://authority`, the key DataFusion registers the store under.
    pub store_url: Url,
    /// What precedes an object's path in its full URL (`s3://bucket`,
    /// `abfss://container@account.dfs.core.windows.net`, `https://account.blob.core.windows.net/container`).
    pub object_base: String,
}

/// Opens `url` (already known to be a URL) as a cloud store; `None` for the kinds that are not cloud
/// stores (`file://`, `memory://`), which the caller opens itself.
pub(crate) fn open(display: &str, url: &Url) -> Result<Option<Opened>> {
    let bad = |msg: String| Error::input(format!("root {display}: {msg}"));
    let (scheme, base) = ObjectStoreScheme::parse(url).map_err(|e| {
        bad(format!(
            "not a store URL lastgood knows ({e}); use a local folder, s3://, gs://, az://, abfss://, adl:// or https://ACCOUNT.blob.core.windows.net/CONTAINER"
        ))
    })?;
    let store: Arc<dyn ObjectStore> = match scheme {
        ObjectStoreScheme::Local | ObjectStoreScheme::Memory => return Ok(None),
        ObjectStoreScheme::AmazonS3 => Arc::new(open_s3(url).map_err(bad)?),
        ObjectStoreScheme::GoogleCloudStorage => Arc::new(open_gcs(url).map_err(bad)?),
        ObjectStoreScheme::MicrosoftAzure => Arc::new(open_azure(url).map_err(bad)?),
        ObjectStoreScheme::Http => {
            return Err(bad(
                "plain HTTP(S) roots are not supported (no conditional writes); an S3-compatible or Azure endpoint goes in AWS_ENDPOINT / AZURE_STORAGE_ENDPOINT with an s3:// or az:// root".into(),
            ));
        }
        _ => return Err(bad("unsupported kind of store".into())),
    };
    // DataFusion keys stores by scheme and host (without any user part).
    let store_url = Url::parse(&format!(
        "{}://{}",
        url.scheme(),
        &url[url::Position::BeforeHost..url::Position::AfterPort]
    ))
    .map_err(|e| bad(e.to_string()))?;
    Ok(Some(Opened {
        store,
        object_base: object_base(url, &base),
        base,
        store_url,
    }))
}

/// The URL up to the root's prefix: scheme, authority as given (user part included) and the path
/// segments that are not part of the prefix (the container of an `https://…blob.core.windows.net`
/// URL, the bucket of a path-style S3 URL).
fn object_base(url: &Url, base: &Path) -> String {
    let segments: Vec<&str> = url
        .path_segments()
        .map(|s| s.filter(|s| !s.is_empty()).collect())
        .unwrap_or_default();
    let lead = segments.len().saturating_sub(base.parts().count());
    let mut out = url[..url::Position::AfterPort].to_string();
    for s in &segments[..lead] {
        out.push('/');
        out.push_str(s);
    }
    out
}

fn set(k: &str) -> bool {
    std::env::var(k).is_ok_and(|v| !v.trim().is_empty())
}

fn truthy(v: Option<String>) -> bool {
    v.is_some_and(|v| {
        matches!(
            v.trim().to_ascii_lowercase().as_str(),
            "true" | "1" | "yes" | "on"
        )
    })
}

/// `LASTGOOD_CLOUD_METADATA=true`: credentials may come from the cloud's instance metadata server.
fn metadata_allowed() -> bool {
    truthy(std::env::var("LASTGOOD_CLOUD_METADATA").ok())
}

const METADATA_HINT: &str =
    "or LASTGOOD_CLOUD_METADATA=true to take them from the instance metadata server";

/// An endpoint that speaks plain HTTP needs the store's switch for it.
fn check_http(
    endpoint: Option<String>,
    allowed: bool,
    switch: &str,
) -> std::result::Result<(), String> {
    match endpoint {
        Some(e) if e.trim().to_ascii_lowercase().starts_with("http://") && !allowed => Err(
            format!("the endpoint {e} is plain HTTP: set {switch}=true to allow it"),
        ),
        _ => Ok(()),
    }
}

fn open_s3(url: &Url) -> std::result::Result<object_store::aws::AmazonS3, String> {
    use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey as K};
    let b = AmazonS3Builder::from_env().with_url(url.as_str());
    let has = |k: K| b.get_config_value(&k).is_some_and(|v| !v.is_empty());
    let credentials = has(K::AccessKeyId)
        || has(K::WebIdentityTokenFile)
        || has(K::ContainerCredentialsRelativeUri)
        || has(K::ContainerCredentialsFullUri)
        || truthy(b.get_config_value(&K::SkipSignature));
    // The AWS convention for "no instance metadata" is honoured too.
    let imds_disabled = truthy(std::env::var("AWS_EC2_METADATA_DISABLED").ok());
    if !credentials && (imds_disabled || !metadata_allowed()) {
        return Err(format!(
            "no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (AWS_SKIP_SIGNATURE=true for a public bucket), {METADATA_HINT}"
        ));
    }
    check_http(
        b.get_config_value(&K::Endpoint),
        truthy(b.get_config_value(&K::Client(object_store::ClientConfigKey::AllowHttp))),
        "AWS_ALLOW_HTTP",
    )?;
    b.with_retry(retry_config())
        .with_http_connector(DefiniteAnswers)
        .build()
        .map_err(|e| e.to_string())
}

fn open_gcs(url: &Url) -> std::result::Result<object_store::gcp::GoogleCloudStorage, String> {
    use object_store::gcp::{GoogleCloudStorageBuilder, GoogleConfigKey as K};
    let b = GoogleCloudStorageBuilder::from_env().with_url(url.as_str());
    let has = |k: K| b.get_config_value(&k).is_some_and(|v| !v.is_empty());
    // Application default credentials: the file gcloud writes, where object_store looks for it.
    let adc = std::env::var_os("HOME").is_some_and(|h| {
        std::path::Path::new(&h)
            .join(".config/gcloud/application_default_credentials.json")
            .is_file()
    });
    let credentials = has(K::ServiceAccount)
        || has(K::ServiceAccountKey)
        || has(K::ApplicationCredentials)
        || set("SERVICE_ACCOUNT")
        || truthy(b.get_config_value(&K::SkipSignature))
        || adc;
    if !credentials && !metadata_allowed() {
        return Err(format!(
            "no GCS credentials: set GOOGLE_APPLICATION_CREDENTIALS or GOOGLE_SERVICE_ACCOUNT (a service-account JSON file) or GOOGLE_SERVICE_ACCOUNT_KEY (its content), {METADATA_HINT}"
        ));
    }
    b.with_retry(retry_config())
        .with_http_connector(DefiniteAnswers)
        .build()
        .map_err(|e| e.to_string())
}

fn open_azure(url: &Url) -> std::result::Result<object_store::azure::MicrosoftAzure, String> {
    use object_store::azure::{AzureConfigKey as K, MicrosoftAzureBuilder};
    let b = MicrosoftAzureBuilder::from_env().with_url(url.as_str());
    let has = |k: K| b.get_config_value(&k).is_some_and(|v| !v.is_empty());
    let emulator = truthy(b.get_config_value(&K::UseEmulator));
    let credentials = emulator
        || has(K::AccessKey)
        || has(K::SasKey)
        || has(K::Token)
        || (has(K::ClientId)
            && has(K::AuthorityId)
            && (has(K::ClientSecret) || has(K::FederatedTokenFile)))
        || truthy(b.get_config_value(&K::UseAzureCli))
        || truthy(b.get_config_value(&K::SkipSignature))
        || has(K::FabricSessionToken);
    if !credentials && !metadata_allowed() {
        return Err(format!(
            "no Azure credentials: set AZURE_STORAGE_ACCOUNT_NAME with AZURE_STORAGE_ACCOUNT_KEY, AZURE_STORAGE_SAS_TOKEN or AZURE_STORAGE_TOKEN; or AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_CLIENT_SECRET; or AZURE_USE_AZURE_CLI=true; or AZURE_STORAGE_USE_EMULATOR=true for Azurite; {METADATA_HINT}"
        ));
    }
    if !emulator {
        check_http(
            b.get_config_value(&K::Endpoint),
            truthy(b.get_config_value(&K::Client(object_store::ClientConfigKey::AllowHttp))),
            "AZURE_ALLOW_HTTP",
        )?;
    }
    b.with_retry(retry_config())
        .with_http_connector(DefiniteAnswers)
        .build()
        .map_err(|e| e.to_string())
}

/// The cloud clients retry timeouts, throttling and the server errors that may pass (500, 502,
/// 503, 504) themselves: at most 4 times, within 30 s, with exponential backoff. Conditional writes
/// are retried too; a create whose first attempt landed comes back as "already exists", which every
/// writer resolves by comparing content.
fn retry_config() -> RetryConfig {
    RetryConfig {
        max_retries: 4,
        retry_timeout: std::time::Duration::from_secs(30),
        backoff: object_store::BackoffConfig::default(),
    }
}

/// HTTP statuses that may change on a retry: a timeout, throttling, a failing or overloaded server
/// or gateway. Every other answer is definite.
pub(crate) fn retryable_status(status: u16) -> bool {
    matches!(status, 408 | 429 | 500 | 502 | 503 | 504)
}

/// The HTTP status a failed request was answered with, when it was answered: found in the error's
/// chain of sources (object_store does not expose its retry error's type, only its text).
pub(crate) fn answered_status(e: &(dyn std::error::Error + 'static)) -> Option<u16> {
    let mut src: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = src {
        if let Some(d) = s.downcast_ref::<Definite>() {
            return Some(d.status);
        }
        let text = s.to_string();
        if let Some(i) = text.find("status code: ") {
            let code = &text[i + "status code: ".len()..];
            if let Some(n) = code.get(..3).and_then(|c| c.parse().ok()) {
                return Some(n);
            }
        }
        src = s.source();
    }
    None
}

/// A server error that retrying cannot change.
#[derive(Debug)]
struct Definite {
    status: u16,
    reason: String,
    body: String,
}

impl std::fmt::Display for Definite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Server returned non-2xx status code: {} {}",
            self.status, self.reason
        )?;
        match self.body.trim() {
            "" => Ok(()),
            b => write!(f, ": {}", b.chars().take(300).collect::<String>()),
        }
    }
}

impl std::error::Error for Definite {}

/// The standard connector, with 5xx answers that cannot change on retry turned into errors the
/// client does not retry (it retries every 5xx otherwise).
#[derive(Debug, Default)]
struct DefiniteAnswers;

impl HttpConnector for DefiniteAnswers {
    fn connect(&self, options: &ClientOptions) -> object_store::Result<HttpClient> {
        Ok(HttpClient::new(Definitely(
            ReqwestConnector::default().connect(options)?,
        )))
    }
}

#[derive(Debug)]
struct Definitely(HttpClient);

#[async_trait]
impl HttpService for Definitely {
    async fn call(&self, req: HttpRequest) -> std::result::Result<HttpResponse, HttpError> {
        let resp = self.0.execute(req).await?;
        let status = resp.status();
        if status.is_server_error() && !retryable_status(status.as_u16()) {
            let body = resp.into_body().bytes().await.unwrap_or_default();
            return Err(HttpError::new(
                HttpErrorKind::Unknown,
                Definite {
                    status: status.as_u16(),
                    reason: status.canonical_reason().unwrap_or("").to_string(),
                    body: String::from_utf8_lossy(&body).into_owned(),
                },
            ));
        }
        Ok(resp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(u: &str) -> String {
        let url = Url::parse(u).unwrap();
        let (_, p) = ObjectStoreScheme::parse(&url).unwrap();
        object_base(&url, &p)
    }

    #[test]
    fn object_base_keeps_what_precedes_the_prefix() {
        assert_eq!(
            base("abfss://lake@acct.dfs.core.windows.net/a/b"),
            "abfss://lake@acct.dfs.core.windows.net"
        );
        assert_eq!(
            base("https://acct.blob.core.windows.net/lake/a/b"),
            "https://acct.blob.core.windows.net/lake"
        );
        assert_eq!(base("az://lake/a"), "az://lake");
        assert_eq!(base("adl://lake"), "adl://lake");
        assert_eq!(base("s3://bucket/x/y/"), "s3://bucket");
        assert_eq!(
            base("https://s3.eu-west-1.amazonaws.com/bucket/x"),
            "https://s3.eu-west-1.amazonaws.com/bucket"
        );
    }

    #[test]
    fn only_passing_failures_are_retryable() {
        for s in [408, 429, 500, 502, 503, 504] {
            assert!(retryable_status(s), "{s}");
        }
        for s in [400, 401, 403, 404, 409, 412, 501, 505, 507] {
            assert!(!retryable_status(s), "{s}");
        }
        let d = Definite {
            status: 501,
            reason: "Not Implemented".into(),
            body: String::new(),
        };
        assert_eq!(answered_status(&d), Some(501));
        let e = std::io::Error::other("Server returned non-2xx status code: 400 Bad Request: no");
        assert_eq!(answered_status(&e), Some(400));
        assert_eq!(
            answered_status(&std::io::Error::other("connection reset")),
            None
        );
    }
}
