//! What every command shares, as cargo's `command_prelude`: the [`Env`] it runs with (the config,
//! the root, who acts, the global output flags), what it hands back ([`Done`]), how its outcome
//! prints ([`Outcome`]), and the rules flags (`--validations`, `--contract`) that publish, validate
//! and `rules set` share. Command files import from here, never from their parent, so no module
//! imports one that imports it back.

use std::path::PathBuf;

use lastgood::config::Config;
use lastgood::ops::validate::Rules;
use lastgood::rules::{DatasetRules, Settled};
use lastgood::{Context, Dataset, DatasetName, Result, Store};
use serde::Serialize;

use lastgood::error::Exit;

/// Which gates judge the version.
#[derive(Debug, clap::Args)]
pub struct RulesArgs {
    /// Gates file [default: the dataset's in lastgood.toml, else validations/DATASET.toml, else the defaults]
    #[arg(long, value_name = "FILE")]
    pub validations: Option<PathBuf>,
    /// Contract schema [default: the dataset's in lastgood.toml, else schemas/DATASET.contract.json]
    #[arg(long, value_name = "FILE")]
    pub contract: Option<PathBuf>,
}

impl RulesArgs {
    /// Rules given by flag: a what-if, not the recorded rules.
    pub fn given(&self) -> bool {
        self.validations.is_some() || self.contract.is_some()
    }
}

pub struct Env {
    /// The whole command line's definition (completions and man pages are made from it).
    pub cli: fn() -> clap::Command,
    pub config: Config,
    /// `--root` (or LASTGOOD_ROOT), before the config's.
    pub root: Option<String>,
    pub ctx: Context,
    pub json: bool,
    pub quiet: bool,
    pub verbose: bool,
}

impl Env {
    /// An outcome as `--json`, for people, or nothing with `--quiet`; with the exit status it means.
    pub fn done<T: Outcome>(&self, value: &T) -> Done {
        Done {
            out: self.print(value),
            exit: value.exit(),
        }
    }

    /// An outcome as `--json`, for people, or nothing with `--quiet`.
    pub fn print<T: Outcome>(&self, value: &T) -> String {
        if self.json {
            json(value)
        } else if self.quiet {
            String::new()
        } else {
            value.human(self.verbose)
        }
    }

    /// The store at the root.
    pub fn store(&self) -> Result<Store> {
        Store::open(&self.config.root(self.root.as_deref())?)
    }

    pub fn dataset(&self, name: &str) -> Result<Dataset> {
        let name = DatasetName::new(name)?;
        let delta = self.config.dataset(name.as_str()).delta.unwrap_or(true);
        let mut ds = Dataset::new(self.store()?, name);
        ds.delta = delta;
        Ok(ds)
    }

    /// The rules of the flags, else the config's for the dataset.
    pub fn rules(&self, dataset: &str, args: &RulesArgs) -> Result<Rules> {
        if args.given() {
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
    pub fn local_rules(&self, dataset: &str, args: &RulesArgs) -> Result<Option<DatasetRules>> {
        let conventional = [
            format!("validations/{dataset}.toml"),
            format!("schemas/{dataset}.contract.json"),
        ]
        .iter()
        .any(|p| self.config.dir.join(p).is_file());
        if !args.given() && !self.config.datasets.contains_key(dataset) && !conventional {
            return Ok(None);
        }
        let d = self.config.dataset(dataset);
        let mut rules = DatasetRules::new(
            d.partitioning()?,
            &self.rules(dataset, args)?,
            d.success_marker()?,
        );
        // Where moves are announced travels with the rules (issue 16, commands::notify).
        if let Some(n) = d.notify.filter(|n| !n.is_empty()) {
            n.check()?;
            rules.notify = Some(n);
        }
        Ok(Some(rules))
    }

    /// The rules a writer applies, settled against the store's ([`lastgood::rules::settle`]).
    pub async fn settled(&self, ds: &Dataset, args: &RulesArgs) -> Result<(Settled, Rules)> {
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
}

/// One line of JSON.
pub fn json<T: Serialize + ?Sized>(value: &T) -> String {
    format!(
        "{}\n",
        serde_json::to_string(value).expect("outcomes serialize")
    )
}

/// What a command printed, and how the process ends.
pub struct Done {
    /// Stdout.
    pub out: String,
    /// After printing: exit with this status and one line on stderr (gates failed, refused by a
    /// freeze, problems found). `None`: success.
    pub exit: Option<(Exit, String)>,
}

impl Done {
    /// Output that is not an outcome (a query's rows were streamed; completions; a contract).
    pub fn text(out: String) -> Done {
        Done { out, exit: None }
    }
}

/// What a command returns, printed as itself with `--json` (the outcomes are the wire format) or
/// for people, and the exit status it means.
pub trait Outcome: Serialize {
    /// For people: aligned, short, one timestamp format ([`crate::render`]). `verbose` (`-v`)
    /// shows everything, e.g. the gates that passed.
    fn human(&self, verbose: bool) -> String;

    /// A failure that is not an error, with the line to print on stderr: gates failed (exit 3), a
    /// frozen dataset (4), problems found (2). `None`: success.
    fn exit(&self) -> Option<(Exit, String)> {
        None
    }
}
