//! Errors of the library, each carrying the dataset, version, path or gate it is about.
//!
//! Every error maps to one documented exit code (see [`Error::exit_code`]); the CLI prints it as
//! `lastgood: <message>` on one line.

use std::fmt;

/// What went wrong, in the classes the exit codes distinguish.
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
    /// Gates with severity `fail` failed; the pointer did not move. Exit 3.
    #[error("{0}")]
    GatesFailed(String),
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
    /// The process exit code documented in the README and `--help`.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Input(_) | Error::NotFound(_) | Error::Corrupt(_) => 2,
            Error::GatesFailed(_) => 3,
            Error::Refused(_) => 4,
            Error::Conflict(_) => 5,
            Error::Store { source, .. } => match source {
                object_store::Error::NotFound { .. }
                | object_store::Error::InvalidPath { .. }
                | object_store::Error::PermissionDenied { .. }
                | object_store::Error::Unauthenticated { .. } => 2,
                // A root that cannot be reached at all is bad input, not a fault of the store.
                e if unreachable(e) => 2,
                _ => 1,
            },
            Error::Io { .. } | Error::DataFusion { .. } => 1,
        }
    }

    /// A short, stable name of the class, used in `--json` error output.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Input(_) => "input",
            Error::NotFound(_) => "not_found",
            Error::Corrupt(_) => "corrupt",
            Error::GatesFailed(_) => "gates_failed",
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
