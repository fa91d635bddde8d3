//! `lastgood delta build`: the Delta Lake projection of an existing dataset, from its log.
//!
//! 1. Read the head. If the projection is off, read every log entry and the manifest of every
//!    version the pointer held that is still sealed, and refuse (exit 2, nothing written) if one
//!    has a type Delta cannot represent.
//! 2. Write Delta version 0 create-if-absent: the projection is on from now on, and every later log
//!    entry is projected by whoever writes or reads the head.
//! 3. Catch up: every missing commit from the first to the head's, in order, each derived from its
//!    log entry ([`crate::delta`]), with a checkpoint every 100.
//! 4. Write every checkpoint that is due and missing, then catch the pointer file (and the
//!    projection, with entries written meanwhile) up to the head.
//!
//! Run on a dataset that is already projected, it only writes what is missing: it is how a
//! projection that fell behind is caught up by hand (doctor --repair does the same).

use serde::{Deserialize, Serialize};

use crate::context::Context;
use crate::dataset::Dataset;
use crate::delta;
use crate::error::Result;
use crate::pointer;

/// What `lastgood delta build` did.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BuildOutcome {
    pub dataset: String,
    /// The table's URL: what Delta readers open.
    pub table: String,
    /// This run wrote Delta version 0 (the projection was off).
    pub turned_on: bool,
    /// The table's newest version, equal to the log's head seq.
    pub delta_version: u64,
    pub commits_written: u64,
    pub checkpoints_written: u64,
}

pub async fn build(ds: &Dataset, ctx: &Context) -> Result<BuildOutcome> {
    // 1.
    let head = pointer::read_head(ds).await?;
    if !delta::is_on(ds).await? {
        let entries = pointer::history(ds, None).await?;
        let mut seen = std::collections::BTreeSet::new();
        for v in entries.iter().filter_map(|e| e.state.version.as_ref()) {
            if seen.insert(v.clone())
                && let Some(s) = ds.sealed(v).await?
            {
                delta::metadata_of(ds, &s.manifest)?;
            }
        }
    }
    // 2.
    let turned_on = delta::create_table(ds, ctx.now()).await?;
    // 3.
    let mut done = delta::catch_up(ds, head.seq).await?;
    // 4.
    done.checkpoints += delta::checkpoints_missing(ds, head.seq, true).await?;
    pointer::sync_pointer_file(ds, &head).await?;
    Ok(BuildOutcome {
        dataset: ds.name().to_string(),
        table: ds.store.url_of(ds.layout.prefix()),
        turned_on,
        delta_version: head.seq,
        commits_written: done.commits,
        checkpoints_written: done.checkpoints,
    })
}
