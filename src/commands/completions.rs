//! `lastgood completions`: shell completions from the one clap definition of the flags.

use clap::CommandFactory;

use super::Done;
use crate::cli::Cli;

/// Print shell completions (bash, zsh, fish, elvish, powershell)
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  lastgood completions bash > /etc/bash_completion.d/lastgood\n  lastgood completions zsh > \"${fpath[1]}/_lastgood\""
)]
pub struct Args {
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

pub fn exec(a: Args) -> Done {
    let mut cmd = Cli::command();
    let mut buf = Vec::new();
    clap_complete::generate(a.shell, &mut cmd, "lastgood", &mut buf);
    Done::text(String::from_utf8_lossy(&buf).into_owned())
}
