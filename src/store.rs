//! A root URL opened as an object store, with the few operations lastgood needs and the error
//! context it wants.
//!
//! Everything lastgood writes goes through two primitives whose guarantees the spec relies on:
//! [`Store::create`] (create-if-absent: exactly one writer of a key wins, the others see
//! [`Put::Exists`]) and [`Store::overwrite`] (an atomic replace, used only for the pointer file and
//! never for sealed objects). Every kind of store object_store offers provides both: the local
//! filesystem by a staged write then a hard link (create) or a rename (overwrite), S3 by `If-None-Match: *`, GCS and Azure by their own preconditions.

use std::sync::Arc;

use bytes::Bytes;
use futures::TryStreamExt;
use object_store::memory::InMemory;
use object_store::path::Path;
use object_store::{
    ObjectMeta, ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload, WriteMultipart,
};
use tokio::io::AsyncReadExt;
use url::Url;

use crate::error::{Error, Result};

/// Files larger than this are uploaded in parts (which object stores cannot make conditional; see
/// the spec, "Large files"). `LASTGOOD_MULTIPART_THRESHOLD` (bytes) overrides it, for tests.
pub const MULTIPART_THRESHOLD: u64 = 64 * 1024 * 1024;

fn multipart_threshold() -> u64 {
    static T: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *T.get_or_init(|| {
        std::env::var("LASTGOOD_MULTIPART_THRESHOLD")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(MULTIPART_THRESHOLD)
    })
}
const PART_SIZE: usize = 5 * 1024 * 1024;
const PART_CONCURRENCY: usize = 4;

/// What a create-if-absent put found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Put {
    Created,
    Exists,
}

/// An object store plus the prefix of the root inside it.
#[derive(Debug, Clone)]
pub struct Store {
    inner: Arc<dyn ObjectStore>,
    /// The root's prefix inside `inner`.
    base: Path,
    /// `scheme://authority` of the store, as DataFusion registers it.
    store_url: Url,
    /// What precedes an object's path in its full URL (`s3://bucket`,
    /// `abfss://container@account.dfs.core.windows.net`): the root as given, less its prefix.
    object_base: String,
    /// What the user gave, for messages (credentials are never part of it: they come from the
    /// environment).
    display: String,
    /// A plain local filesystem (no wrapper): uploads from local files are kernel copies.
    fast_local: bool,
}

impl Store {
    /// Opens a root: a local folder (relative or absolute), `file://`, `memory://`, or any cloud URL
    /// object_store parses (`s3://bucket/prefix`, `gs://bucket/prefix`, `az://container/prefix`,
    /// `abfss://container@account.dfs.core.windows.net/prefix`, `adl://`, `azure://`,
    /// `https://account.blob.core.windows.net/container/prefix`; see [`crate::cloud`]).
    /// Cloud credentials and endpoints come from the standard environment variables.
    ///
    /// Built with the test-only `faults` feature (tests, examples and benchmarks enable it; the
    /// shipped binary never has it), the store is wrapped in a [`crate::faults::FaultyStore`] when
    /// `LASTGOOD_FAULT_*` asks for one, so crash tests can drive the real binary.
    pub fn open(root: &str) -> Result<Store> {
        #[cfg_attr(not(feature = "faults"), allow(unused_mut))]
        let mut store = Self::open_plain(root)?;
        #[cfg(feature = "faults")]
        if let Some(fault) = crate::faults::Fault::from_env() {
            store.inner = Arc::new(crate::faults::FaultyStore::new(store.inner, fault));
            store.fast_local = false;
        }
        Ok(store)
    }

    fn open_plain(root: &str) -> Result<Store> {
        let root = root.trim();
        if root.is_empty() {
            return Err(Error::input(
                "empty root: give --root or set root in lastgood.toml",
            ));
        }
        match Url::parse(root) {
            Ok(url) if url.scheme().len() > 1 => Self::open_url(root, url),
            // No scheme (or a Windows drive letter): a local folder.
            _ => Self::open_local(std::path::Path::new(root), root),
        }
    }

    fn open_local(dir: &std::path::Path, display: &str) -> Result<Store> {
        let abs = std::path::absolute(dir).map_err(|e| Error::io(format!("root {display}"), e))?;
        let mut segments = Vec::new();
        for c in abs.components() {
            match c {
                std::path::Component::Normal(s) => segments.push(
                    s.to_str()
                        .ok_or_else(|| Error::input(format!("root {display}: not valid UTF-8")))?
                        .to_string(),
                ),
                std::path::Component::ParentDir => {
                    segments.pop();
                }
                _ => {}
            }
        }
        let base = Path::from_iter(segments.iter().map(String::as_str));
        Ok(Store {
            // Deletes (gc) take empty folders with them, so a collected version leaves no folder behind.
            inner: Arc::new(
                object_store::local::LocalFileSystem::new().with_automatic_cleanup(true),
            ),
            base,
            store_url: Url::parse("file:///").expect("static url"),
            object_base: "file://".into(),
            display: abs.display().to_string(),
            fast_local: true,
        })
    }

    fn open_url(display: &str, url: Url) -> Result<Store> {
        match url.scheme() {
            "file" => {
                let path = url
                    .to_file_path()
                    .map_err(|_| Error::input(format!("root {display}: not a local path")))?;
                return Self::open_local(&path, display);
            }
            "memory" => {
                let base = Path::from_url_path(url.path())
                    .map_err(|e| Error::input(format!("root {display}: {e}")))?;
                let mut store = Self::with_store(
                    Arc::new(InMemory::new()),
                    base,
                    Url::parse("memory://").expect("static url"),
                );
                store.display = display.to_string();
                return Ok(store);
            }
            _ => {}
        }
        let Some(cloud) = crate::cloud::open(display, &url)? else {
            return Err(Error::input(format!("root {display}: not a local path")));
        };
        Ok(Store {
            inner: cloud.store,
            base: cloud.base,
            store_url: cloud.store_url,
            object_base: cloud.object_base,
            display: display.to_string(),
            fast_local: false,
        })
    }

    /// A fresh in-memory store, for tests and examples.
    pub fn memory() -> Store {
        Self::with_store(
            Arc::new(InMemory::new()),
            Path::default(),
            Url::parse("memory://").expect("static url"),
        )
    }

    /// Wraps any object store (for instance a fault-injecting wrapper in tests).
    pub fn with_store(inner: Arc<dyn ObjectStore>, base: Path, store_url: Url) -> Store {
        let display = format!(
            "{}{}",
            store_url.as_str().trim_end_matches('/'),
            if base.as_ref().is_empty() {
                String::new()
            } else {
                format!("/{base}")
            }
        );
        Store {
            inner,
            base,
            object_base: store_url.as_str().trim_end_matches('/').to_string(),
            store_url,
            display,
            fast_local: false,
        }
    }

    pub fn base(&self) -> &Path {
        &self.base
    }

    pub fn object_store(&self) -> Arc<dyn ObjectStore> {
        self.inner.clone()
    }

    /// `scheme://authority/`, the key DataFusion registers the store under.
    pub fn store_url(&self) -> &Url {
        &self.store_url
    }

    /// The full URL of an object, as consumers (DuckDB, pyarrow, DataFusion) take it.
    pub fn url_of(&self, path: &Path) -> String {
        let scheme = self.store_url.scheme();
        match scheme {
            "file" => format!("file:///{path}"),
            "memory" => format!("memory:///{path}"),
            _ => format!("{}/{path}", self.object_base),
        }
    }

    /// The local filesystem path of an object, when the store is the local filesystem.
    pub fn local_path_of(&self, path: &Path) -> Option<std::path::PathBuf> {
        if self.store_url.scheme() != "file" {
            return None;
        }
        // object_store's own mapping of a path to the filesystem (percent-decoding its parts).
        object_store::local::LocalFileSystem::new()
            .path_to_filesystem(path)
            .ok()
    }

    pub fn display(&self) -> &str {
        &self.display
    }

    /// The object's bytes, or `None` when it does not exist.
    pub async fn get(&self, path: &Path) -> Result<Option<Bytes>> {
        match retrying(|| async { self.inner.get(path).await?.bytes().await }).await {
            Ok(b) => Ok(Some(b)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(Error::store(format!("reading {}", self.url_of(path)), e)),
        }
    }

    /// The object's size and BLAKE3 checksum (`blake3:<hex>`), `None` when it does not exist.
    /// The bytes are streamed through the hasher as they arrive: memory stays bounded by the
    /// client's chunk size, whatever the object's size.
    pub async fn checksum(&self, path: &Path) -> Result<Option<(u64, String)>> {
        let ctx = || format!("reading {}", self.url_of(path));
        let got = match retrying(|| self.inner.get(path)).await {
            Ok(g) => g,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(Error::store(ctx(), e)),
        };
        let mut stream = got.into_stream();
        let mut hasher = blake3::Hasher::new();
        let mut size = 0u64;
        while let Some(chunk) = stream
            .try_next()
            .await
            .map_err(|e| Error::store(ctx(), e))?
        {
            size += chunk.len() as u64;
            hasher.update(&chunk);
        }
        Ok(Some((
            size,
            format!("blake3:{}", hasher.finalize().to_hex()),
        )))
    }

    pub async fn head(&self, path: &Path) -> Result<Option<ObjectMeta>> {
        match retrying(|| self.inner.head(path)).await {
            Ok(m) => Ok(Some(m)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(Error::store(format!("checking {}", self.url_of(path)), e)),
        }
    }

    pub async fn exists(&self, path: &Path) -> Result<bool> {
        Ok(self.head(path).await?.is_some())
    }

    /// Create-if-absent.
    pub async fn create(&self, path: &Path, bytes: Bytes) -> Result<Put> {
        let opts = PutOptions {
            mode: PutMode::Create,
            ..Default::default()
        };
        match retrying(|| {
            self.inner
                .put_opts(path, PutPayload::from(bytes.clone()), opts.clone())
        })
        .await
        {
            Ok(_) => Ok(Put::Created),
            Err(object_store::Error::AlreadyExists { .. })
            | Err(object_store::Error::Precondition { .. }) => Ok(Put::Exists),
            Err(e) => Err(self.write_failed(format!("writing {}", self.url_of(path)), e)),
        }
    }

    /// An atomic replace. Only ever used for the pointer file.
    pub async fn overwrite(&self, path: &Path, bytes: Bytes) -> Result<()> {
        retrying(|| self.inner.put(path, PutPayload::from(bytes.clone())))
            .await
            .map(|_| ())
            .map_err(|e| self.write_failed(format!("writing {}", self.url_of(path)), e))
    }

    /// Uploads a local file create-if-absent, verifying on the way that the bytes it writes hash
    /// to `checksum` (what the manifest will say): a file changed since it was hashed (a producer
    /// still writing) is never created, and the upload fails naming it. Files above
    /// [`MULTIPART_THRESHOLD`] go up in parts, after a check that the key is absent (multipart
    /// uploads cannot be conditional); a mismatch aborts the upload before it completes.
    pub async fn upload_file(
        &self,
        local: &std::path::Path,
        dest: &Path,
        size: u64,
        checksum: &str,
    ) -> Result<Put> {
        let ctx = || format!("uploading {} to {}", local.display(), self.url_of(dest));
        let changed = |now: &str| {
            Error::input(format!(
                "{} changed while being published (hashed as {checksum}, now {now}): publish again once it is finished",
                local.display()
            ))
        };
        if let Some(target) = self.local_path_of(dest).filter(|_| self.fast_local) {
            let src = local.to_path_buf();
            let expected = checksum.to_string();
            let copied = tokio::task::spawn_blocking(move || copy_create(&src, &target, &expected))
                .await
                .map_err(|e| Error::io(ctx(), std::io::Error::other(e)))?
                .map_err(|e| Error::io(ctx(), e))?;
            return match copied {
                Copied::Put(put) => Ok(put),
                Copied::Changed(now) => Err(changed(&now)),
            };
        }
        if size <= multipart_threshold() {
            let bytes = tokio::fs::read(local)
                .await
                .map_err(|e| Error::io(ctx(), e))?;
            let now = crate::manifest::checksum(&bytes);
            if now != checksum {
                return Err(changed(&now));
            }
            return self.create(dest, Bytes::from(bytes)).await;
        }
        if self.exists(dest).await? {
            return Ok(Put::Exists);
        }
        let upload = self
            .inner
            .put_multipart(dest)
            .await
            .map_err(|e| self.write_failed(ctx(), e))?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_SIZE);
        let mut file = match tokio::fs::File::open(local).await {
            Ok(f) => f,
            Err(e) => {
                let _ = writer.abort().await;
                return Err(Error::io(ctx(), e));
            }
        };
        let mut hasher = blake3::Hasher::new();
        let mut buf = vec![0u8; PART_SIZE];
        loop {
            let n = match file.read(&mut buf).await {
                Ok(n) => n,
                Err(e) => {
                    let _ = writer.abort().await;
                    return Err(Error::io(ctx(), e));
                }
            };
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            if let Err(e) = writer.wait_for_capacity(PART_CONCURRENCY).await {
                let _ = writer.abort().await;
                return Err(self.write_failed(ctx(), e));
            }
            writer.write(&buf[..n]);
        }
        let now = format!("blake3:{}", hasher.finalize().to_hex());
        if now != checksum {
            // Never completed: the object does not come into being.
            let _ = writer.abort().await;
            return Err(changed(&now));
        }
        writer
            .finish()
            .await
            .map_err(|e| self.write_failed(ctx(), e))?;
        Ok(Put::Created)
    }

    /// Deletes an object; one already gone is fine.
    pub async fn delete(&self, path: &Path) -> Result<()> {
        match retrying(|| self.inner.delete(path)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(Error::store(format!("deleting {}", self.url_of(path)), e)),
        }
    }

    /// The names of the "folders" directly under `prefix`.
    pub async fn list_dirs(&self, prefix: &Path) -> Result<Vec<String>> {
        let listing = retrying(|| self.inner.list_with_delimiter(Some(prefix)))
            .await
            .map_err(|e| self.write_failed(format!("listing {}", self.url_of(prefix)), e))?;
        Ok(listing
            .common_prefixes
            .iter()
            .filter_map(|p| p.filename().map(str::to_string))
            .collect())
    }

    /// A failed write or list. "Not found" there can only mean the bucket or container is missing:
    /// bad input (exit 2) with a message that says so, the same for every operation.
    fn write_failed(&self, what: String, e: object_store::Error) -> Error {
        let missing = matches!(e, object_store::Error::NotFound { .. })
            || crate::cloud::answered_status(&e) == Some(404);
        if missing {
            Error::NotFound(format!(
                "{what}: not found (HTTP 404): the bucket or container of root {} does not exist",
                self.display
            ))
        } else {
            Error::store(what, e)
        }
    }

    /// Every object below `prefix`.
    pub async fn list(&self, prefix: &Path) -> Result<Vec<ObjectMeta>> {
        retrying(|| self.inner.list(Some(prefix)).try_collect::<Vec<_>>())
            .await
            .map_err(|e| self.write_failed(format!("listing {}", self.url_of(prefix)), e))
    }
}

/// Our own bounded retry, around the client's: for errors that are not answers (not found, exists,
/// precondition, permission, nor any other definite answer), three attempts with 50 ms and 200 ms pauses.
async fn retrying<T, F, Fut>(mut f: F) -> std::result::Result<T, object_store::Error>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = std::result::Result<T, object_store::Error>>,
{
    let mut pause = std::time::Duration::from_millis(50);
    for _ in 1..ATTEMPTS {
        match f().await {
            Err(e) if is_transient(&e) => {
                tokio::time::sleep(pause).await;
                pause *= 4;
            }
            other => return other,
        }
    }
    f().await
}

const ATTEMPTS: u32 = 3;

/// Errors that are not an answer about the object and may pass: worth another attempt. A request
/// the server answered with a definite status (400, 501, …) is not repeated.
pub fn is_transient(e: &object_store::Error) -> bool {
    matches!(
        e,
        object_store::Error::Generic { .. } | object_store::Error::JoinError { .. }
    ) && crate::cloud::answered_status(e).is_none_or(crate::cloud::retryable_status)
}

/// What [`copy_create`] did.
enum Copied {
    Put(Put),
    /// The copy does not hash to the expected checksum (the source changed): not linked.
    Changed(String),
}

/// Local to local: a kernel copy to a staging file beside the target (with the source's
/// permissions, as `fs::copy` gives), hashed, then persisted without clobbering (an atomic
/// rename-if-absent, or a hard link): the same create-if-absent the object store gives, without
/// reading the file into memory. The copy is hashed before it is persisted, so the target holds
/// exactly the bytes `checksum` names, or nothing; a staging file not persisted is removed.
fn copy_create(
    src: &std::path::Path,
    target: &std::path::Path,
    checksum: &str,
) -> std::io::Result<Copied> {
    let dir = target
        .parent()
        .ok_or_else(|| std::io::Error::other("no parent folder"))?;
    std::fs::create_dir_all(dir)?;
    let mut from = std::fs::File::open(src)?;
    // Named by tempfile, not after the target: a name near the filesystem's 255-byte limit fits.
    let mut staged = tempfile::Builder::new()
        .prefix(".lastgood-")
        .suffix(".staging")
        .permissions(from.metadata()?.permissions())
        .tempfile_in(dir)?;
    std::io::copy(&mut from, staged.as_file_mut())?;
    let mut h = blake3::Hasher::new();
    h.update_reader(staged.reopen()?)?;
    let now = format!("blake3:{}", h.finalize().to_hex());
    if now != checksum {
        return Ok(Copied::Changed(now));
    }
    match staged.persist_noclobber(target) {
        Ok(_) => Ok(Copied::Put(Put::Created)),
        Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => {
            Ok(Copied::Put(Put::Exists))
        }
        Err(e) => Err(e.error),
    }
}
