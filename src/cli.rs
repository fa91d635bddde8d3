//! The command line, defined once: help text, completions and the man page all come from here.
//! The global flags are here; each command's flags are in its file under `commands/`.

use std::path::{Path, PathBuf};

use clap::{CommandFactory, Parser, ValueEnum};
use lastgood::config::Config;
use lastgood::{Context, Result};

use crate::commands::Command;
use crate::commands::prelude::Env;

/// The main help's footer: refs, then the exit codes.
pub const AFTER_HELP: &str = "\
Versions can be named by ref: an id or a unique prefix of one, current, lkg (last-known-good),
previous (before the current one), latest (newest sealed), @N (after history entry N).

Exit codes:
  0  ok
  1  unexpected failure (store, I/O)
  2  bad usage or bad input (a bad name or file, something not found, a store object that does not verify)
  3  gates failed; the pointer did not move
  4  refused by policy (a reverted version, nothing to revert to, a sealed id with other content)
  5  conflict: the pointer moved underneath and was left as it was; safe to retry";

#[derive(Debug, Parser)]
#[command(
    name = "lastgood",
    version,
    about = "Immutable, checked versions of batch prediction outputs behind one atomic read pointer",
    after_help = AFTER_HELP
)]
pub struct Cli {
    /// Config file [default: ./lastgood.toml, if present]
    #[arg(long, global = true, env = "LASTGOOD_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Root of the datasets: a folder, file://, s3://bucket/prefix, gs://…, az://… (overrides the config)
    #[arg(long, global = true, env = "LASTGOOD_ROOT", value_name = "URL")]
    pub root: Option<String>,
    /// Print machine-readable JSON on stdout (errors too, as {"error": …})
    #[arg(long, global = true)]
    pub json: bool,
    /// Print nothing but errors
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Say more (on stderr)
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// No progress bars on stderr (they only show on a terminal, for steps over a second)
    #[arg(long, global = true)]
    pub no_progress: bool,
    /// Colour verdicts: auto (on a terminal, unless NO_COLOR is set), always, never
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
    /// Who acts, recorded in history [default: $USER@host]
    #[arg(long, global = true, env = "LASTGOOD_ACTOR", value_name = "NAME")]
    pub actor: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// What every command runs with: the config (`--config`, else ./lastgood.toml if present),
    /// who acts, and the global flags.
    pub fn env(&self) -> Result<Env> {
        let cli = self;
        let config = match &cli.config {
            Some(p) => Config::load(p, true)?,
            None => Config::load(Path::new("lastgood.toml"), false)?,
        };
        let actor = cli
            .actor
            .clone()
            .or_else(|| config.actor.clone())
            .unwrap_or_else(lastgood::context::default_actor);
        if cli.verbose > 0 {
            let file = cli.config.as_deref().unwrap_or(Path::new("lastgood.toml"));
            let file = if file.is_file() {
                file.display().to_string()
            } else {
                "none (no lastgood.toml here)".to_string()
            };
            let root = config
                .root(cli.root.as_deref())
                .unwrap_or_else(|_| "(none)".into());
            eprintln!("lastgood: config {file}, root {root}, actor {actor}");
        }
        Ok(Env {
            cli: Cli::command,
            root: cli.root.clone(),
            ctx: Context::new(actor),
            config,
            json: cli.json,
            quiet: cli.quiet,
            verbose: cli.verbose > 0,
        })
    }
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// Whether verdicts are coloured: never with `--json`; on `auto`, only on a terminal without
    /// NO_COLOR.
    pub fn colour(self, json: bool) -> bool {
        use std::io::IsTerminal;
        !json
            && match self {
                ColorChoice::Always => true,
                ColorChoice::Never => false,
                ColorChoice::Auto => {
                    std::io::stdout().is_terminal()
                        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                }
            }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn flags_are_consistent() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
