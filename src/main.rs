//! The `lastgood` binary: parse flags once, dispatch to the library, print, exit with the
//! documented code.

mod announce;
mod cli;
mod output;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;
use lastgood::config::Config;
use lastgood::names::parse_pair;
use lastgood::ops::validate::{self, Rules};
use lastgood::ops::{
    doctor, freeze, gc, init, pin, publish, query, report, resolve, revert, set, status, versions,
};
use lastgood::{Context, Dataset, DatasetName, Error, Result, Store, VersionId, refs};
use serde::Serialize;

use cli::{Cli, Command, DeltaCommand, PointerCommand, ResolveFormat, RulesCommand, SchemaCommand};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => return usage_error(e),
    };
    let json = cli.json;
    let stderr_tty = std::io::stderr().is_terminal();
    lastgood::progress::enable(stderr_tty && !json && !cli.quiet && !cli.no_progress);
    output::set_colour(
        !json
            && match cli.color {
                cli::ColorChoice::Always => true,
                cli::ColorChoice::Never => false,
                cli::ColorChoice::Auto => {
                    std::io::stdout().is_terminal()
                        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                }
            },
    );
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return fail(&Error::io("starting the runtime", e), json),
    };
    match runtime.block_on(run(cli)) {
        Ok(Done { out, failure }) => {
            // A closed pipe (the reader has gone) is not an error.
            if !out.is_empty() {
                emit(&out);
            }
            match failure {
                Some((code, why)) => {
                    eprintln!("lastgood: {why}");
                    ExitCode::from(code)
                }
                None => ExitCode::SUCCESS,
            }
        }
        Err(e) => fail(&e, json),
    }
}

/// Bad flags: clap's message (exit 2), and with `--json` the same `{"error": …}` as every other
/// failure. Help and version go to stdout with exit 0.
fn usage_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    let wants_json = std::env::args().any(|a| a == "--json");
    if !wants_json
        || matches!(
            e.kind(),
            ErrorKind::DisplayHelp
                | ErrorKind::DisplayVersion
                | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
        )
    {
        let _ = e.print();
        return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
    }
    // The message without clap's usage and tip lines, on one line.
    let rendered = e.render().to_string();
    let msg = rendered
        .lines()
        .map(str::trim)
        .take_while(|l| !l.is_empty() && !l.starts_with("Usage:"))
        .collect::<Vec<_>>()
        .join(" ")
        .trim_start_matches("error: ")
        .to_string();
    let v = serde_json::json!({"error": {"kind": "usage", "message": msg, "exit_code": 2}});
    emit(&format!("{v}\n"));
    eprintln!("lastgood: {msg} (see --help)");
    ExitCode::from(2)
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

/// What a command printed, and whether its gates failed (exit 3, after printing the verdict).
struct Done {
    out: String,
    /// After printing: exit with this code and one line on stderr (gates failed: 3; doctor found
    /// problems: 2).
    failure: Option<(u8, String)>,
}

impl From<String> for Done {
    fn from(out: String) -> Self {
        Done { out, failure: None }
    }
}

struct Env {
    config: Config,
    root: Option<String>,
    ctx: Context,
}

impl Env {
    fn rules(&self, dataset: &str, args: &cli::RulesArgs) -> Result<Rules> {
        if args.validations.is_some() || args.contract.is_some() {
            let mut r = Rules::from_files(args.validations.as_deref(), args.contract.as_deref())?;
            if r.contract.is_none() && args.contract.is_none() {
                r.contract = Rules::for_dataset(&self.config, dataset)?.contract;
            }
            return Ok(r);
        }
        Rules::for_dataset(&self.config, dataset)
    }

    /// The rules this writer brings, as they would be recorded: `None` when it has none of its
    /// own (no section in lastgood.toml, no conventional files, no flags), so the store's apply.
    fn local_rules(
        &self,
        dataset: &str,
        args: &cli::RulesArgs,
    ) -> Result<Option<lastgood::rules::DatasetRules>> {
        let conventional = [
            format!("validations/{dataset}.toml"),
            format!("schemas/{dataset}.contract.json"),
        ]
        .iter()
        .any(|p| self.config.dir.join(p).is_file());
        if args.validations.is_none()
            && args.contract.is_none()
            && !self.config.datasets.contains_key(dataset)
            && !conventional
        {
            return Ok(None);
        }
        let d = self.config.dataset(dataset);
        let mut rules = lastgood::rules::DatasetRules::new(
            d.partitioning()?,
            &self.rules(dataset, args)?,
            d.success_marker()?,
        );
        // issue 16: where moves are announced travels with the rules.
        if let Some(n) = d.notify.filter(|n| !n.is_empty()) {
            n.check()?;
            rules.notify = Some(n);
        }
        Ok(Some(rules))
    }

    /// The rules a writer applies, settled against the store's ([`lastgood::rules::settle`]).
    async fn settled(
        &self,
        ds: &Dataset,
        args: &cli::RulesArgs,
    ) -> Result<(lastgood::rules::Settled, Rules)> {
        let local = self.local_rules(ds.name().as_str(), args)?;
        let had_local = local.is_some();
        let s = lastgood::rules::settle(ds, local).await?;
        let rules = if had_local {
            self.rules(ds.name().as_str(), args)?
        } else {
            s.rules.to_rules(&s.checksum)
        };
        Ok((s, rules))
    }

    fn dataset(&self, name: &str) -> Result<Dataset> {
        let name = DatasetName::new(name)?;
        let store = Store::open(&self.config.root(self.root.as_deref())?)?;
        let delta = self.config.dataset(name.as_str()).delta.unwrap_or(true);
        let mut ds = Dataset::new(store, name);
        ds.delta = delta;
        Ok(ds)
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

fn gates_failed(
    dataset: &str,
    version: &str,
    gates: &[lastgood::gates::GateResult],
    pointer: &str,
) -> String {
    let failed: Vec<String> = gates
        .iter()
        .filter(|g| g.blocks())
        .map(lastgood::gates::report_label)
        .collect();
    format!(
        "gates failed for {dataset}/{version}: {}; {pointer}",
        failed.join(", ")
    )
}

async fn run(cli: Cli) -> Result<Done> {
    let config = match &cli.config {
        Some(p) => Config::load(p, true)?,
        None => Config::load(std::path::Path::new("lastgood.toml"), false)?,
    };
    let actor = cli
        .actor
        .clone()
        .or_else(|| config.actor.clone())
        .unwrap_or_else(lastgood::context::default_actor);
    if cli.verbose > 0 {
        let config_file = cli
            .config
            .as_deref()
            .unwrap_or(std::path::Path::new("lastgood.toml"));
        let config_file = if config_file.is_file() {
            config_file.display().to_string()
        } else {
            "none (no lastgood.toml here)".to_string()
        };
        let root = config
            .root(cli.root.as_deref())
            .unwrap_or_else(|_| "(none)".into());
        eprintln!("lastgood: config {config_file}, root {root}, actor {actor}");
    }
    let env = Env {
        root: cli.root.clone(),
        ctx: Context::new(actor),
        config,
    };
    let (json, quiet, verbose) = (cli.json, cli.quiet, cli.verbose > 0);
    Ok(Done::from(match cli.command {
        Command::Init {
            dataset,
            sample,
            partition_by,
            dir,
            no_delta,
        } => {
            let root = cli.root.clone().unwrap_or_else(|| "lake".into());
            let out = init::init(&init::InitOptions {
                dataset,
                dir,
                root,
                sample,
                partition_by,
                no_delta,
            })
            .await?;
            render(json, quiet, &out, output::init)
        }
        Command::DemoData { dir, rows } => {
            use lastgood::synth::{Variant, write_dir};
            let nights = [
                ("mon", Variant::Good, "a good night"),
                ("tue", Variant::Good, "another good night"),
                (
                    "wed-drift",
                    Variant::Shift,
                    "scores 0.10 higher: the ks gate fails",
                ),
                (
                    "thu-nulls",
                    Variant::Nulls,
                    "spend_30d 30% null: the null_rate gate fails",
                ),
            ];
            let mut written = Vec::new();
            for (i, (name, variant, what)) in nights.iter().enumerate() {
                let d = dir.join(name);
                write_dir(&d, rows, 2, i as u64 + 1, *variant)?;
                written.push(serde_json::json!({"path": d.display().to_string(), "rows": rows, "what": what}));
            }
            render(json, quiet, &written, |w| {
                w.iter()
                    .map(|n| {
                        format!(
                            "wrote {:<24} {}\n",
                            n["path"].as_str().unwrap_or(""),
                            n["what"].as_str().unwrap_or("")
                        )
                    })
                    .collect()
            })
        }
        Command::Schema(SchemaCommand::Infer { sample, dataset }) => {
            if let Some(d) = &dataset {
                DatasetName::new(d)?;
            }
            let c = init::infer(&sample, dataset).await?;
            format!(
                "{}\n",
                serde_json::to_string_pretty(&c).expect("contract serializes")
            )
        }
        Command::Query {
            dataset,
            sql,
            version,
            limit,
            all,
            format,
        } => {
            let ds = env.dataset(&dataset)?;
            let at = match version {
                Some(v) => resolve::At::from_ref(&ds, &v).await?,
                None => resolve::At::Current,
            };
            let format: query::Format = match format {
                Some(f) => f.into(),
                None if json => query::Format::Json,
                None => query::Format::Table,
            };
            let opts = query::QueryOptions {
                format,
                limit: if all {
                    None
                } else {
                    limit.or(format.default_limit())
                },
                width: lastgood::text::terminal_width(),
            };
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
            let done = query::stream(&ds, &at, &sql, &opts, &mut out).await?;
            drop(out);
            if done.truncated && !quiet {
                eprintln!(
                    "lastgood: showing the first {} rows; --limit N or --all for more",
                    done.rows
                );
            }
            String::new()
        }
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut cmd, "lastgood", &mut buf);
            String::from_utf8_lossy(&buf).into_owned()
        }
        Command::Man { out } => {
            let cmd = <Cli as clap::CommandFactory>::command();
            std::fs::create_dir_all(&out)
                .map_err(|e| Error::io(format!("creating {}", out.display()), e))?;
            clap_mangen::generate_to(cmd, &out)
                .map_err(|e| Error::io(format!("writing man pages to {}", out.display()), e))?;
            let mut pages: Vec<String> = std::fs::read_dir(&out)
                .map_err(|e| Error::io(format!("reading {}", out.display()), e))?
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with("lastgood") && n.ends_with(".1"))
                .collect();
            pages.sort();
            render(json, quiet, &pages, |p| {
                format!(
                    "wrote {} man pages to {} (man {}/lastgood.1)\n",
                    p.len(),
                    out.display(),
                    out.display()
                )
            })
        }
        Command::Publish(a) => {
            let ds = env.dataset(&a.dataset)?;
            let (settled, rules) = env.settled(&ds, &a.rules).await?;
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
                rules,
                partitioning: settled.rules.partitioning.clone(),
                full: a.full,
                success_marker: settled.rules.success_marker.clone(),
                record_rules: settled.record.then(|| settled.rules.clone()),
            };
            // issue 16: OpenLineage START before anything is sealed; never fails the publish.
            let notes = announce::PublishNotes::start(
                &ds,
                settled.rules.notify.clone(),
                &opts.sources,
                env.ctx.now(),
            )
            .await;
            let mut out = match publish::publish(&ds, &env.ctx, opts).await {
                Ok(out) => out,
                Err(e) => {
                    notes.failed(&ds, &e, env.ctx.now()).await;
                    return Err(e);
                }
            };
            let notifications = notes.finished(&ds, &out, env.ctx.now()).await;
            for why in &out.ignored {
                eprintln!("lastgood: warning: {why}");
            }
            if !a.charts {
                out.gates = out
                    .gates
                    .into_iter()
                    .map(lastgood::gates::GateResult::without_charts)
                    .collect();
            }
            let text = render(
                json,
                quiet,
                &announce::Announced {
                    outcome: &out,
                    notifications,
                },
                |o| output::publish(o.outcome, verbose),
            );
            if let Some(why) = &out.frozen {
                return Ok(Done {
                    out: text,
                    failure: Some((
                        4,
                        format!("{}/{} not promoted: {why}", out.dataset, out.version),
                    )),
                });
            }
            if !out.passed && !out.promoted {
                let pointer = match &out.baseline {
                    Some(b) => format!("the pointer stays at {b}"),
                    None => "the pointer did not move".to_string(),
                };
                return Ok(Done {
                    out: text,
                    failure: Some((
                        3,
                        gates_failed(&out.dataset, &out.version, &out.gates, &pointer),
                    )),
                });
            }
            text
        }
        Command::Delta(DeltaCommand::Build { dataset }) => {
            let out = lastgood::ops::delta::build(&env.dataset(&dataset)?, &env.ctx).await?;
            render(json, quiet, &out, output::delta_build)
        }
        Command::Doctor { dataset, repair } => {
            let report = doctor::doctor(&env.dataset(&dataset)?, repair).await?;
            let text = render(json, quiet, &report, output::doctor);
            if !report.ok {
                let msg = format!("{} problem(s) in {}", report.problems.len(), report.dataset);
                return Ok(Done {
                    out: text,
                    failure: Some((2, msg)),
                });
            }
            text
        }
        Command::Validate {
            dataset,
            version,
            against,
            partition,
            rules,
            charts,
        } => {
            let ds = env.dataset(&dataset)?;
            // Explicit files are a what-if; otherwise judge by the rules publish would apply.
            let (rules, partitioning) = if rules.validations.is_some() || rules.contract.is_some() {
                (
                    env.rules(&dataset, &rules)?,
                    env.config.dataset(&dataset).partitioning()?,
                )
            } else {
                let (s, r) = env.settled(&ds, &rules).await?;
                (r, s.rules.partitioning)
            };
            let against = refs::resolve_opt(&ds, against.as_deref()).await?;
            let version = refs::resolve(&ds, &version).await?;
            let selectors = partition
                .iter()
                .map(|s| lastgood::partition::selector(s))
                .collect::<lastgood::Result<Vec<_>>>()?;
            let (report, path) = validate::validate(
                &ds,
                &env.ctx,
                &rules,
                &version,
                against.as_ref(),
                partitioning.as_ref(),
                &selectors,
            )
            .await?;
            let out = validate::ValidateOutcome::new(&ds, report, path, charts)?;
            let report = &out.report;
            let text = render(json, quiet, &out, |o| {
                output::report(&o.report, &o.report_url, verbose)
            });
            if !report.passed {
                let msg = gates_failed(
                    &report.dataset,
                    &report.version,
                    &report.gates,
                    "nothing was moved",
                );
                return Ok(Done {
                    out: text,
                    failure: Some((3, msg)),
                });
            }
            text
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
            let ds = env.dataset(&dataset)?;
            let version = refs::resolve(&ds, &version).await?;
            let out = set::set(&ds, &env.ctx, &version, &reason, force).await?;
            let notifications = announce::after_move(
                &ds,
                env.config.dataset(&dataset).notify.as_ref(),
                out.seq,
                out.moved,
            )
            .await;
            render(
                json,
                quiet,
                &announce::Announced {
                    outcome: &out,
                    notifications,
                },
                |o| output::moved(o.outcome),
            )
        }
        Command::Pointer(PointerCommand::Revert {
            dataset,
            to,
            reason,
            force,
            partition,
        }) => {
            let to = refs::resolve_opt(&env.dataset(&dataset)?, to.as_deref()).await?;
            if !partition.is_empty() {
                let selectors = partition
                    .iter()
                    .map(|p| lastgood::partition::selector(p))
                    .collect::<Result<Vec<_>>>()?;
                let ds = env.dataset(&dataset)?;
                let out =
                    revert::revert_partitions(&ds, &env.ctx, &selectors, to.as_ref(), &reason)
                        .await?;
                let notifications = announce::after_move(
                    &ds,
                    env.config.dataset(&dataset).notify.as_ref(),
                    out.moved.seq,
                    out.moved.moved,
                )
                .await;
                return Ok(Done::from(render(
                    json,
                    quiet,
                    &announce::Announced {
                        outcome: &out,
                        notifications,
                    },
                    |o| output::partition_revert(o.outcome),
                )));
            }
            let ds = env.dataset(&dataset)?;
            let out = revert::revert(&ds, &env.ctx, to.as_ref(), &reason, force).await?;
            let notifications = announce::after_move(
                &ds,
                env.config.dataset(&dataset).notify.as_ref(),
                out.seq,
                out.moved,
            )
            .await;
            render(
                json,
                quiet,
                &announce::Announced {
                    outcome: &out,
                    notifications,
                },
                |o| output::moved(o.outcome),
            )
        }
        Command::Rules(RulesCommand::Show { dataset }) => {
            let out = lastgood::rules::show(&env.dataset(&dataset)?).await?;
            render(json, quiet, &out, output::rules_shown)
        }
        Command::Rules(RulesCommand::Set {
            dataset,
            reason,
            rules,
        }) => {
            let ds = env.dataset(&dataset)?;
            let proposed = match env.local_rules(&dataset, &rules)? {
                Some(r) => r,
                None => lastgood::rules::DatasetRules::new(None, &Rules::defaults(), None),
            };
            let out = lastgood::rules::set(&ds, &env.ctx, &proposed, &reason).await?;
            render(json, quiet, &out, output::rules_set)
        }
        // --- issue 16 (wheel): `notify`; to become src/commands/notify.rs ---
        Command::Notify {
            dataset,
            seq,
            version,
        } => {
            let ds = env.dataset(&dataset)?;
            let out = announce::resend(
                &ds,
                env.config.dataset(&dataset).notify.as_ref(),
                seq,
                version.as_deref(),
            )
            .await?;
            let text = render(json, quiet, &out, announce::human);
            let failed = out.notifications.iter().filter(|n| !n.ok).count();
            if failed > 0 {
                return Ok(Done {
                    out: text,
                    failure: Some((
                        1,
                        format!(
                            "{failed} of {} notification(s) for {dataset} failed",
                            out.notifications.len()
                        ),
                    )),
                });
            }
            text
        }
        Command::Freeze { dataset, reason } => {
            let out = freeze::freeze(&env.dataset(&dataset)?, &env.ctx, &reason).await?;
            render(json, quiet, &out, output::mark)
        }
        Command::Unfreeze { dataset, reason } => {
            let out =
                freeze::unfreeze(&env.dataset(&dataset)?, &env.ctx, reason.as_deref()).await?;
            render(json, quiet, &out, output::mark)
        }
        Command::Pin {
            dataset,
            version,
            reason,
        } => {
            let ds = env.dataset(&dataset)?;
            let v = refs::resolve(&ds, &version).await?;
            let out = pin::pin(&ds, &env.ctx, &v, reason.as_deref()).await?;
            render(json, quiet, &out, output::mark)
        }
        Command::Unpin {
            dataset,
            version,
            reason,
        } => {
            let ds = env.dataset(&dataset)?;
            let v = refs::resolve(&ds, &version).await?;
            let out = pin::unpin(&ds, &env.ctx, &v, reason.as_deref()).await?;
            render(json, quiet, &out, output::mark)
        }
        Command::Gc {
            dataset,
            keep,
            older_than,
            grace,
            include_reverted,
            dry_run,
        } => {
            let opts = gc::GcOptions {
                keep,
                older_than: older_than.as_deref().map(gc::parse_age).transpose()?,
                grace: gc::parse_age(&grace)?,
                include_reverted,
                dry_run,
            };
            let out = gc::gc(&env.dataset(&dataset)?, &env.ctx, &opts).await?;
            render(json, quiet, &out, output::gc)
        }
        Command::Report {
            dataset,
            version,
            html,
            name,
            list,
        } => {
            let ds = env.dataset(&dataset)?;
            let v = refs::resolve(&ds, &version).await?;
            if list {
                let names = report::list(&ds, &v).await?;
                return Ok(Done::from(render(json, quiet, &names, |n| {
                    n.iter().map(|s| format!("{s}\n")).collect()
                })));
            }
            let r = report::load(&ds, &v, name.as_deref()).await?;
            match html {
                Some(file) => {
                    let detail = versions::show(&ds, &v).await?;
                    let baseline = r
                        .json
                        .get("baseline")
                        .and_then(|b| b.as_str())
                        .map(VersionId::new)
                        .transpose()?;
                    let stats = report::column_stats(&ds, &v, baseline.as_ref()).await?;
                    let page = lastgood::html::render_with(
                        &r.json,
                        &lastgood::html::PageContext {
                            origin: Some(&r.url),
                            version: Some(&detail),
                            stats: &stats,
                        },
                    );
                    std::fs::write(&file, page)
                        .map_err(|e| Error::io(format!("writing {}", file.display()), e))?;
                    let html = std::path::absolute(&file).unwrap_or(file.clone());
                    let out = serde_json::json!({"report": r.path, "report_url": r.url, "html": html.display().to_string()});
                    render(json, quiet, &out, |_| {
                        format!("wrote {} (from {})\n", html.display(), r.url)
                    })
                }
                None if json => {
                    let mut j = r.json.clone();
                    if let Some(o) = j.as_object_mut() {
                        o.insert("report_url".into(), r.url.clone().into());
                    }
                    format!("{j}\n")
                }
                None => {
                    let parsed: lastgood::gates::Report = serde_json::from_value(r.json.clone())
                        .map_err(|e| Error::Corrupt(format!("gate report {}: {e}", r.url)))?;
                    render(false, quiet, &parsed, |p| {
                        output::report(p, &r.url, verbose)
                    })
                }
            }
        }
        Command::Versions {
            dataset,
            status,
            meta,
            limit,
        } => {
            let filter = versions::Filter::new(&status, &meta, limit)?;
            let out = versions::filter(versions::list(&env.dataset(&dataset)?).await?, &filter);
            render(json, quiet, &out, |r| output::versions(r))
        }
        Command::Datasets => {
            let store = Store::open(&env.config.root(env.root.as_deref())?)?;
            let out = lastgood::ops::datasets::list(&store).await?;
            render(json, quiet, &out, |r| output::datasets(r))
        }
        Command::Show { dataset, version } => {
            let ds = env.dataset(&dataset)?;
            let v = refs::resolve(&ds, &version).await?;
            let out = versions::show(&ds, &v).await?;
            render(json, quiet, &out, output::version)
        }
        Command::Resolve {
            dataset,
            version,
            seq,
            format,
            partition,
        } => {
            let ds = env.dataset(&dataset)?;
            let at = match (version, seq) {
                (Some(v), _) => resolve::At::from_ref(&ds, &v).await?,
                (None, Some(s)) => resolve::At::Seq(s),
                (None, None) => resolve::At::Current,
            };
            let (mut out, _) = resolve::resolve(&ds, &at).await?;
            let selectors = partition
                .iter()
                .map(|p| lastgood::partition::selector(p))
                .collect::<Result<Vec<_>>>()?;
            out.narrow(&selectors)?;
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
                ResolveFormat::Duckdb => {
                    let mut items = Vec::new();
                    for f in &out.files {
                        let p = ds.layout.resolve(&f.path)?;
                        let item = match ds.store.local_path_of(&p) {
                            Some(local) => local.display().to_string(),
                            None => f.url.clone(),
                        };
                        items.push(format!("'{}'", item.replace('\'', "''")));
                    }
                    let hive = if out.files.iter().any(|f| !f.partition.is_empty()) {
                        ", hive_partitioning = true"
                    } else {
                        ""
                    };
                    format!("read_parquet([{}]{hive})\n", items.join(", "))
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
    }))
}
