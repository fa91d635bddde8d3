//! Progress bars on stderr for the slow steps (hashing sources, uploads, gate scans).
//!
//! Off unless the binary turns them on ([`enable`]: a terminal on stderr, no `--json`, no
//! `--no-progress`), and even then a bar only appears once its step has run for a second: quick
//! commands print nothing extra. The library only counts; nothing is drawn for library users.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

static ENABLED: AtomicBool = AtomicBool::new(false);

/// How long a step runs before its bar appears.
const DELAY: Duration = Duration::from_secs(1);

pub fn enable(on: bool) {
    ENABLED.store(on, Ordering::Relaxed);
}

#[derive(Debug, Clone, Copy)]
pub enum Unit {
    Bytes,
    Rows,
    Files,
}

/// A step's bar: counts always, draws only when enabled and after [`DELAY`].
pub struct Bar {
    bar: Option<ProgressBar>,
    started: Instant,
}

impl Bar {
    pub fn new(label: &str, total: u64, unit: Unit) -> Bar {
        if !ENABLED.load(Ordering::Relaxed) {
            return Bar {
                bar: None,
                started: Instant::now(),
            };
        }
        let template = match unit {
            Unit::Bytes => "{msg:>10} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {eta}",
            Unit::Rows => "{msg:>10} [{bar:30}] {human_pos}/{human_len} rows {per_sec} {eta}",
            Unit::Files => "{msg:>10} [{bar:30}] {pos}/{len} files {eta}",
        };
        let style = ProgressStyle::with_template(template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden())
            .with_style(style)
            .with_message(label.to_string());
        Bar {
            bar: Some(bar),
            started: Instant::now(),
        }
    }

    pub fn inc(&self, n: u64) {
        let Some(bar) = &self.bar else { return };
        bar.inc(n);
        if bar.is_hidden() && self.started.elapsed() >= DELAY {
            bar.set_draw_target(ProgressDrawTarget::stderr());
        }
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
