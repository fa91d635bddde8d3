//! Who acts, and when: injected so tests control time.

use std::sync::Arc;

use chrono::{DateTime, Utc};

type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

#[derive(Clone)]
pub struct Context {
    /// Recorded in every log entry and manifest: `user@host` unless given.
    pub actor: String,
    clock: Clock,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("actor", &self.actor)
            .finish()
    }
}

impl Context {
    pub fn new(actor: impl Into<String>) -> Self {
        Context {
            actor: actor.into(),
            clock: Arc::new(Utc::now),
        }
    }

    /// `$USER@hostname`.
    pub fn from_env() -> Self {
        Self::new(default_actor())
    }

    pub fn with_clock(mut self, clock: impl Fn() -> DateTime<Utc> + Send + Sync + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    pub fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }
}

pub fn default_actor() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "unknown".into());
    let host = gethostname::gethostname().to_string_lossy().into_owned();
    format!("{user}@{host}")
}
