//! A `promote` entry's `verdict`: the gate verdict that allowed the move (SPEC.md, "Log entry").

use serde::{Deserialize, Serialize};

/// The short verdict a log entry carries; the full report is the object `report` names.
///
/// Fields are declared in key order: the entry serializes them sorted, like every free-form object
/// of the format.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Verdict {
    /// The version the gates judged against; null on a first publish.
    pub baseline: Option<String>,
    /// Labels (`name` or `name(column)`) of the fail-severity gates that failed.
    pub failed: Vec<String>,
    pub passed: bool,
    /// Dataset-relative path of the full gate report.
    pub report: String,
    /// Labels of the warn-severity gates that did not pass.
    pub warned: Vec<String>,
}
