//! `lastgood man`: man pages (lastgood.1 and one per command) from the one clap definition.

use std::path::PathBuf;

use lastgood::{Error, Result};
use serde::Serialize;

use super::prelude::{Done, Env, Outcome};

/// Write man pages (lastgood.1 and one per command) into a folder
#[derive(Debug, clap::Args)]
#[command(after_help = "Example:\n  lastgood man --out /usr/local/share/man/man1")]
pub struct Args {
    /// The folder to write them into
    #[arg(long, value_name = "DIR", default_value = ".")]
    out: PathBuf,
}

/// The pages written (`--json`: their file names).
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct Pages {
    pages: Vec<String>,
    #[serde(skip)]
    dir: PathBuf,
}

pub fn exec(a: Args, env: &Env) -> Result<Done> {
    let out = &a.out;
    std::fs::create_dir_all(out)
        .map_err(|e| Error::io(format!("creating {}", out.display()), e))?;
    clap_mangen::generate_to((env.cli)(), out)
        .map_err(|e| Error::io(format!("writing man pages to {}", out.display()), e))?;
    let mut pages: Vec<String> = std::fs::read_dir(out)
        .map_err(|e| Error::io(format!("reading {}", out.display()), e))?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("lastgood") && n.ends_with(".1"))
        .collect();
    pages.sort();
    Ok(env.done(&Pages { pages, dir: a.out }))
}

impl Outcome for Pages {
    fn human(&self, _verbose: bool) -> String {
        format!(
            "wrote {} man pages to {} (man {}/lastgood.1)\n",
            self.pages.len(),
            self.dir.display(),
            self.dir.display()
        )
    }
}
