//! One file per verb. Each takes a [`crate::Dataset`] (and a [`crate::Context`] when it writes) and
//! returns a serializable outcome: the CLI prints it as a table or, with `--json`, as is.

pub mod datasets;
pub mod delta;
pub mod doctor;
pub mod freeze;
pub mod gc;
pub mod init;
pub mod pin;
pub mod publish;
pub mod query;
pub mod report;
pub mod resolve;
pub mod revert;
pub mod rules;
pub mod set;
pub mod status;
pub mod validate;
pub mod versions;
