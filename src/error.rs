//! Errors of the library, each carrying the dataset, version, path or gate it is about.
//!
//! Every error maps to one documented exit status (see [`Exit`] and [`Error::exit`]); the CLI prints
//! it as `lastgood: <message>` on one line. An outcome that is not an error but still a failure
//! (gates failed, a frozen dataset, problems found by doctor) names its own [`Exit`] in the binary.

use std::fmt;

/// The process exit statuses, as documented in the README and `lastgood --help`: the one table of
/// them. Errors map to one ([`Error::exit`]); so do outcomes that fail without an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: done.
    Ok,
    /// 1: an unexpected failure (store, I/O).
    Failure,
    /// 2: bad usage or bad input (a bad name or file, something not found, a store object that
    /// does not verify).
    Usage,
    /// 3: gates failed; the pointer did not move.
    GatesFailed,
    /// 4: refused by policy (a reverted version, a frozen dataset, nothing to revert to, a sealed id
    /// with other content).
    Refused,
    /// 5: the pointer moved underneath and was left as it was; safe to retry.
    Conflict,
}

impl Exit {
    /// The number the process exits with.
    pub fn code(self) -> u8 {
        match self {
            Exit::Ok => 0,
            Exit::Failure => 1,
            Exit::Usage => 2,
            Exit::GatesFailed => 3,
            Exit::Refused => 4,
            Exit::Conflict => 5,
        }
    }
}

/// What went wrong, in the classes the exit codes distinguish. Gates that fail are not an error:
/// a publish or validate that judged returns its verdict (and the binary exits 3 after printing it).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad usage or bad input: a malformed name, a missing file, a non-Parquet source. Exit 2.
    #[error("{0}")]
    Input(String),
    /// Something the user named does not exist. Exit 2.
    #[error("{0}")]
    NotFound(String),
    /// An object on the store does not parse or does not verify (edited by hand, truncated). Exit 2.
    #[error("{0}")]
    Corrupt(String),
    /// Refused by policy: a reverted version, a frozen dataset, nothing to revert to, a sealed id
    /// with other content. Exit 4.
    #[error("refused: {0}")]
    Refused(String),
    /// The pointer moved underneath this command; nothing was changed and it is safe to retry. Exit 5.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The object store failed a request (after retries where retrying is safe). Exit 1.
    #[error("{context}: {source}")]
    Store {
        context: String,
        source: object_store::Error,
    },
    /// Local I/O failed. Exit 1.
    #[error("{context}: {source}")]
    Io {
        context: String,
        source: std::io::Error,
    },
    /// A query or scan failed inside DataFusion. Exit 1.
    #[error("{context}: {source}")]
    DataFusion {
        context: String,
        source: Box<datafusion::error::DataFusionError>,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A connection that could not be made (refused, no such host): the root is wrong or down.
fn unreachable(e: &object_store::Error) -> bool {
    let mut src: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = src {
        let text = s.to_string().to_ascii_lowercase();
        if text.contains("connection refused")
            || text.contains("dns error")
            || text.contains("failed to lookup address")
        {
            return true;
        }
        src = s.source();
    }
    false
}

impl Error {
    /// The exit status documented in the README and `--help`.
    pub fn exit(&self) -> Exit {
        match self {
            Error::Input(_) | Error::NotFound(_) | Error::Corrupt(_) => Exit::Usage,
            Error::Refused(_) => Exit::Refused,
            Error::Conflict(_) => Exit::Conflict,
            Error::Store { source, .. } => match source {
                object_store::Error::NotFound { .. }
                | object_store::Error::InvalidPath { .. }
                | object_store::Error::PermissionDenied { .. }
                | object_store::Error::Unauthenticated { .. } => Exit::Usage,
                // A root that cannot be reached at all is bad input, not a fault of the store.
                e if unreachable(e) => Exit::Usage,
                _ => Exit::Failure,
            },
            Error::Io { .. } | Error::DataFusion { .. } => Exit::Failure,
        }
    }

    /// [`Error::exit`] as the number the process exits with.
    pub fn exit_code(&self) -> u8 {
        self.exit().code()
    }

    /// A short, stable name of the class, used in `--json` error output.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Input(_) => "input",
            Error::NotFound(_) => "not_found",
            Error::Corrupt(_) => "corrupt",
            Error::Refused(_) => "refused",
            Error::Conflict(_) => "conflict",
            Error::Store { .. } => "store",
            Error::Io { .. } => "io",
            Error::DataFusion { .. } => "datafusion",
        }
    }

    pub fn input(msg: impl fmt::Display) -> Self {
        Error::Input(msg.to_string())
    }

    pub fn store(context: impl fmt::Display, source: object_store::Error) -> Self {
        Error::Store {
            context: context.to_string(),
            source,
        }
    }

    pub fn io(context: impl fmt::Display, source: std::io::Error) -> Self {
        Error::Io {
            context: context.to_string(),
            source,
        }
    }

    pub fn datafusion(
        context: impl fmt::Display,
        source: datafusion::error::DataFusionError,
    ) -> Self {
        Error::DataFusion {
            context: context.to_string(),
            source: Box::new(source),
        }
    }
}
