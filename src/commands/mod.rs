//! One file per command, as cargo and ripgrep do it: each holds its flags (a clap `Args` struct
//! whose doc comment is the command's one-line help), `exec` (call the library's `ops`, nothing
//! more), and the human rendering of its outcome ([`prelude::Outcome`]). main only parses and
//! dispatches.
//!
//! To add a command: a new file here with `Args`, `exec` and `impl Outcome for` its outcome
//! (importing what every command shares from [`prelude`]), and one variant in [`Command`] (plus its
//! arm in [`Command::exec`]).

use lastgood::Result;

use prelude::{Done, Env};

pub mod prelude;

mod completions;
mod datasets;
mod delta;
mod demo_data;
mod doctor;
mod freeze;
mod gc;
mod init;
mod man;
mod notify;
mod pin;
mod pointer;
mod publish;
mod query;
mod report;
mod resolve;
mod rules;
mod schema;
mod show;
mod unfreeze;
mod unpin;
mod validate;
mod versions;

/// Every command, in the order `--help` lists them.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    Init(init::Args),
    DemoData(demo_data::Args),
    /// Contracts: draft one from sample files
    #[command(subcommand)]
    Schema(schema::Command),
    Publish(publish::Args),
    Validate(validate::Args),
    Report(report::Args),
    Versions(versions::Args),
    Show(show::Args),
    Datasets(datasets::Args),
    Resolve(resolve::Args),
    Query(query::Args),
    /// Show, list or move the read pointer
    #[command(subcommand)]
    Pointer(pointer::Command),
    /// The dataset's rules recorded on the store (partitioning, gates, contract): show or change
    #[command(subcommand)]
    Rules(rules::Command),
    Freeze(freeze::Args),
    Unfreeze(unfreeze::Args),
    Pin(pin::Args),
    Unpin(unpin::Args),
    Gc(gc::Args),
    Doctor(doctor::Args),
    /// The Delta Lake projection: the pointer as a Delta table every engine reads
    #[command(subcommand)]
    Delta(delta::Command),
    Notify(notify::Args),
    Completions(completions::Args),
    Man(man::Args),
}

impl Command {
    pub async fn exec(self, env: &Env) -> Result<Done> {
        match self {
            Command::Init(a) => init::exec(a, env).await,
            Command::DemoData(a) => demo_data::exec(a, env),
            Command::Schema(c) => c.exec().await,
            Command::Publish(a) => publish::exec(a, env).await,
            Command::Validate(a) => validate::exec(a, env).await,
            Command::Report(a) => report::exec(a, env).await,
            Command::Versions(a) => versions::exec(a, env).await,
            Command::Show(a) => show::exec(a, env).await,
            Command::Datasets(a) => datasets::exec(a, env).await,
            Command::Resolve(a) => resolve::exec(a, env).await,
            Command::Query(a) => query::exec(a, env).await,
            Command::Pointer(c) => c.exec(env).await,
            Command::Rules(c) => c.exec(env).await,
            Command::Freeze(a) => freeze::exec(a, env).await,
            Command::Unfreeze(a) => unfreeze::exec(a, env).await,
            Command::Pin(a) => pin::exec(a, env).await,
            Command::Unpin(a) => unpin::exec(a, env).await,
            Command::Gc(a) => gc::exec(a, env).await,
            Command::Doctor(a) => doctor::exec(a, env).await,
            Command::Delta(c) => c.exec(env).await,
            Command::Notify(a) => notify::exec(a, env).await,
            Command::Completions(a) => Ok(completions::exec(a, env)),
            Command::Man(a) => man::exec(a, env),
        }
    }
}
