//! `lastgood pointer`: show, list or move the read pointer.

use lastgood::Result;

use crate::commands::prelude::{Done, Env};

mod history;
mod revert;
mod set;
mod show;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    Show(show::Args),
    History(history::Args),
    Set(set::Args),
    Revert(revert::Args),
}

impl Command {
    pub async fn exec(self, env: &Env) -> Result<Done> {
        match self {
            Command::Show(a) => show::exec(a, env).await,
            Command::History(a) => history::exec(a, env).await,
            Command::Set(a) => set::exec(a, env).await,
            Command::Revert(a) => revert::exec(a, env).await,
        }
    }
}
