//! The dataset's contract: the columns every version must have, kept in `schemas/`.
//!
//! ```json
//! {"dataset": "churn_scores",
//!  "columns": [{"name": "customer_id", "type": "Utf8", "nullable": false},
//!              {"name": "score", "type": "Float64", "nullable": true}]}
//! ```
//! Types are Arrow type names as Arrow prints them (`Int64`, `Float64`, `Utf8`,
//! `Timestamp(µs, "UTC")`, `Decimal128(10, 2)`, `List(Int64)`); the same equivalences as the schema
//! gate apply. `"nullable": false` means the column holds no nulls.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use arrow::datatypes::DataType;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contract {
    #[serde(default)]
    pub dataset: Option<String>,
    pub columns: Vec<ContractColumn>,
    #[serde(skip)]
    pub path: PathBuf,
    #[serde(skip)]
    pub checksum: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContractColumn {
    pub name: String,
    #[serde(rename = "type")]
    pub data_type: String,
    #[serde(default = "yes")]
    pub nullable: bool,
}

fn yes() -> bool {
    true
}

impl Contract {
    pub fn load(path: &Path) -> Result<Contract> {
        let text = std::fs::read(path)
            .map_err(|e| Error::input(format!("contract {}: {e}", path.display())))?;
        let mut c: Contract = serde_json::from_slice(&text)
            .map_err(|e| Error::input(format!("contract {}: {e}", path.display())))?;
        for col in &c.columns {
            col.parsed_type()
                .map_err(|e| Error::input(format!("contract {}: {e}", path.display())))?;
        }
        c.path = path.to_path_buf();
        c.checksum = crate::manifest::checksum(&text);
        Ok(c)
    }

    /// A draft contract from a schema: every column with its type and nullability.
    pub fn from_schema(dataset: Option<String>, schema: &arrow::datatypes::Schema) -> Contract {
        Contract {
            dataset,
            columns: schema
                .fields()
                .iter()
                .map(|f| ContractColumn {
                    name: f.name().clone(),
                    data_type: f.data_type().to_string(),
                    nullable: f.is_nullable(),
                })
                .collect(),
            path: PathBuf::new(),
            checksum: String::new(),
        }
    }
}

impl ContractColumn {
    pub fn parsed_type(&self) -> Result<DataType> {
        DataType::from_str(&self.data_type).map_err(|e| {
            Error::input(format!(
                "column {}: type {:?}: {e}",
                self.name, self.data_type
            ))
        })
    }
}
