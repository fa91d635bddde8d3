//! The `lastgood` binary: parse flags once, dispatch to the library, print, exit with the
//! documented code.

mod cli;
mod output;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use lastgood::config::Config;
use lastgood::names::parse_pair;
use lastgood::ops::{publish, resolve, revert, set, status, versions};
use lastgood::{Context, Dataset, DatasetName, Error, Result, Store, VersionId};
use serde::Serialize;

use cli::{Cli, Command, PointerCommand, ResolveFormat};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let json = cli.json;
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return fail(&Error::io("starting the runtime", e), json),
    };
    match runtime.block_on(run(cli)) {
        Ok(out) => {
            if !out.is_empty() && !emit(&out) {
                return ExitCode::SUCCESS; // broken pipe: the reader has gone, which is fine
            }
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e, json),
    }
}

fn fail(e: &Error, json: bool) -> ExitCode {
    let msg = e.to_string().replace('\n', " ");
    if json {
        let v = serde_json::json!({"error": {"kind": e.kind(), "message": msg, "exit_code": e.exit_code()}});
        emit(&format!("{v}\n"));
    }
    eprintln!("lastgood: {msg}");
    ExitCode::from(e.exit_code())
}

/// Writes to stdout; false when the pipe is closed.
fn emit(s: &str) -> bool {
    let mut out = std::io::stdout().lock();
    out.write_all(s.as_bytes())
        .and_then(|_| out.flush())
        .is_ok()
}

struct Env {
    config: Config,
    root: Option<String>,
    ctx: Context,
}

impl Env {
    fn dataset(&self, name: &str) -> Result<Dataset> {
        let name = DatasetName::new(name)?;
        let store = Store::open(&self.config.root(self.root.as_deref())?)?;
        Ok(Dataset::new(store, name))
    }
}

fn render<T: Serialize>(
    json: bool,
    quiet: bool,
    value: &T,
    human: impl FnOnce(&T) -> String,
) -> String {
    if json {
        format!(
            "{}\n",
            serde_json::to_string(value).expect("outcomes serialize")
        )
    } else if quiet {
        String::new()
    } else {
        human(value)
    }
}

async fn run(cli: Cli) -> Result<String> {
    let config = match &cli.config {
        Some(p) => Config::load(p, true)?,
        None => Config::load(std::path::Path::new("lastgood.toml"), false)?,
    };
    let actor = cli
        .actor
        .clone()
        .or_else(|| config.actor.clone())
        .unwrap_or_else(lastgood::context::default_actor);
    let env = Env {
        root: cli.root.clone(),
        ctx: Context::new(actor),
        config,
    };
    let (json, quiet) = (cli.json, cli.quiet);
    Ok(match cli.command {
        Command::Publish(a) => {
            let ds = env.dataset(&a.dataset)?;
            let opts = publish::PublishOptions {
                sources: a.sources,
                version: a.version.map(VersionId::new).transpose()?,
                partition: a
                    .partition
                    .iter()
                    .map(|p| parse_pair(p))
                    .collect::<Result<_>>()?,
                meta: a
                    .meta
                    .iter()
                    .map(|p| parse_pair(p))
                    .collect::<Result<_>>()?,
                message: a.message,
                no_promote: a.no_promote,
                force: a.force,
                reason: a.reason,
            };
            let out = publish::publish(&ds, &env.ctx, opts).await?;
            render(json, quiet, &out, output::publish)
        }
        Command::Pointer(PointerCommand::Show { dataset }) => {
            let out = status::show(&env.dataset(&dataset)?).await?;
            render(json, quiet, &out, output::status)
        }
        Command::Pointer(PointerCommand::History { dataset, limit }) => {
            let out = status::history(&env.dataset(&dataset)?, limit).await?;
            render(json, quiet, &out, |e| output::history(e))
        }
        Command::Pointer(PointerCommand::Set {
            dataset,
            version,
            reason,
            force,
        }) => {
            let out = set::set(
                &env.dataset(&dataset)?,
                &env.ctx,
                &VersionId::new(version)?,
                &reason,
                force,
            )
            .await?;
            render(json, quiet, &out, output::moved)
        }
        Command::Pointer(PointerCommand::Revert {
            dataset,
            to,
            reason,
            force,
        }) => {
            let to = to.map(VersionId::new).transpose()?;
            let out = revert::revert(
                &env.dataset(&dataset)?,
                &env.ctx,
                to.as_ref(),
                &reason,
                force,
            )
            .await?;
            render(json, quiet, &out, output::moved)
        }
        Command::Versions { dataset } => {
            let out = versions::list(&env.dataset(&dataset)?).await?;
            render(json, quiet, &out, |r| output::versions(r))
        }
        Command::Show { dataset, version } => {
            let out = versions::show(&env.dataset(&dataset)?, &VersionId::new(version)?).await?;
            render(json, quiet, &out, output::version)
        }
        Command::Resolve {
            dataset,
            version,
            seq,
            format,
        } => {
            let ds = env.dataset(&dataset)?;
            let at = match (version, seq) {
                (Some(v), _) => resolve::At::Version(VersionId::new(v)?),
                (None, Some(s)) => resolve::At::Seq(s),
                (None, None) => resolve::At::Current,
            };
            let (out, _) = resolve::resolve(&ds, &at).await?;
            match format {
                _ if json => render(true, false, &out, |_| String::new()),
                ResolveFormat::Json => render(true, false, &out, |_| String::new()),
                ResolveFormat::Urls => output::resolved_urls(&out),
                ResolveFormat::Paths => {
                    let mut s = String::new();
                    for f in &out.files {
                        let p = ds.layout.resolve(&f.path)?;
                        let local = ds.store.local_path_of(&p).ok_or_else(|| {
                            Error::input("--format paths needs a local root; use --format urls")
                        })?;
                        s.push_str(&format!("{}\n", local.display()));
                    }
                    s
                }
                ResolveFormat::SqlList => {
                    let items: Vec<String> = out
                        .files
                        .iter()
                        .map(|f| format!("'{}'", f.url.replace('\'', "''")))
                        .collect();
                    format!("{}\n", items.join(", "))
                }
            }
        }
    })
}
