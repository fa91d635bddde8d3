//! Fault injection for tests: a store wrapper that fails, or kills the process at, the Nth write,
//! and counts every request (the benchmark uses `Fault::Never` for that alone).
//!
//! Writes are `put_opts` and `put_multipart_opts` (deletes count too), in the order the operation
//! makes them, so "cut after N writes" walks a publish through each of its steps. A binary built
//! for the tests honours `LASTGOOD_FAULT_ABORT_AFTER_WRITES=N` (abort the process, like SIGKILL,
//! before write N+1) and `LASTGOOD_FAULT_FAIL_AFTER_WRITES=N` (fail every write after N with a store
//! error) so crash tests can drive the real binary.
//!
//! Test code, out of the production path: this module exists only with the `faults` feature, which
//! the crate's dev-dependency on itself turns on for tests, examples and benchmarks. `cargo build`,
//! `cargo install` and the wheel build without it, so no environment variable can make a shipped
//! binary abort or fail its writes.

use std::fmt;
use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::BoxStream;
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    PutMultipartOptions, PutOptions, PutPayload, PutResult, Result,
};

/// What happens at the cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Every write after the first `n` fails with a store error.
    FailAfter(u64),
    /// The process aborts before write `n + 1`.
    AbortAfter(u64),
    /// Every second write attempt fails: a flaky store that retries get through.
    FailEveryOther,
    /// Nothing fails: the wrapper only counts (the benchmark counts requests per operation).
    Never,
}

impl Fault {
    /// From `LASTGOOD_FAULT_ABORT_AFTER_WRITES` / `LASTGOOD_FAULT_FAIL_AFTER_WRITES`.
    pub fn from_env() -> Option<Fault> {
        let get = |k: &str| std::env::var(k).ok().and_then(|v| v.parse().ok());
        get("LASTGOOD_FAULT_ABORT_AFTER_WRITES")
            .map(Fault::AbortAfter)
            .or_else(|| get("LASTGOOD_FAULT_FAIL_AFTER_WRITES").map(Fault::FailAfter))
    }
}

#[derive(Debug)]
pub struct FaultyStore {
    inner: Arc<dyn ObjectStore>,
    fault: Fault,
    writes: AtomicU64,
    requests: AtomicU64,
}

impl FaultyStore {
    pub fn new(inner: Arc<dyn ObjectStore>, fault: Fault) -> Self {
        FaultyStore {
            inner,
            fault,
            writes: AtomicU64::new(0),
            requests: AtomicU64::new(0),
        }
    }

    /// Requests of any kind so far (a list counts as one).
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
    }

    fn read(&self) {
        self.requests.fetch_add(1, Ordering::SeqCst);
    }

    /// Writes attempted so far.
    pub fn writes(&self) -> u64 {
        self.writes.load(Ordering::SeqCst)
    }

    fn write(&self, location: &Path) -> Result<()> {
        self.read();
        let n = self.writes.fetch_add(1, Ordering::SeqCst) + 1;
        match self.fault {
            Fault::AbortAfter(limit) if n > limit => {
                eprintln!("lastgood: fault injection: aborting before write {n} ({location})");
                std::process::abort();
            }
            Fault::FailAfter(limit) if n > limit => Err(object_store::Error::Generic {
                store: "FaultyStore",
                source: format!("injected failure of write {n} ({location})").into(),
            }),
            Fault::FailEveryOther if n % 2 == 1 => Err(object_store::Error::Generic {
                store: "FaultyStore",
                source: format!("injected transient failure of write {n} ({location})").into(),
            }),
            _ => Ok(()),
        }
    }
}

impl fmt::Display for FaultyStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FaultyStore({})", self.inner)
    }
}

#[async_trait]
impl ObjectStore for FaultyStore {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> Result<PutResult> {
        self.write(location)?;
        self.inner.put_opts(location, payload, opts).await
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> Result<Box<dyn MultipartUpload>> {
        self.write(location)?;
        self.inner.put_multipart_opts(location, opts).await
    }

    async fn get_opts(&self, location: &Path, options: GetOptions) -> Result<GetResult> {
        self.read();
        self.inner.get_opts(location, options).await
    }

    async fn get_ranges(&self, location: &Path, ranges: &[Range<u64>]) -> Result<Vec<Bytes>> {
        self.read();
        self.inner.get_ranges(location, ranges).await
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, Result<Path>>,
    ) -> BoxStream<'static, Result<Path>> {
        if let Err(e) = self.write(&Path::from("(delete)")) {
            return Box::pin(futures::stream::once(async move { Err(e) }));
        }
        self.inner.delete_stream(locations)
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, Result<ObjectMeta>> {
        self.read();
        self.inner.list(prefix)
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> Result<ListResult> {
        self.read();
        self.inner.list_with_delimiter(prefix).await
    }

    async fn copy_opts(&self, from: &Path, to: &Path, options: CopyOptions) -> Result<()> {
        self.write(to)?;
        self.inner.copy_opts(from, to, options).await
    }
}

/// `LASTGOOD_FAULT_PAUSE_BEFORE_UPLOAD=DIR`: a publish whose sources are read and hashed creates
/// `DIR/paused`, then waits (a minute at most) for `DIR/resume` before it uploads, so a test can
/// change a source file in between, as a producer still writing would.
pub async fn pause_before_upload() {
    let Ok(dir) = std::env::var("LASTGOOD_FAULT_PAUSE_BEFORE_UPLOAD") else {
        return;
    };
    let dir = std::path::PathBuf::from(dir);
    let _ = std::fs::write(dir.join("paused"), b"");
    for _ in 0..1200 {
        if dir.join("resume").exists() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
