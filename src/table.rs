//! Consumers' library API: a sealed version as a DataFusion table.
//!
//! The table is exactly the files the manifest lists, wherever they are stored (a version may refer
//! to files under other versions' prefixes), with Hive partition columns whose values come from the
//! manifest, not from parsing paths. Filters on partition columns prune files before any is opened.

use std::sync::Arc;

use arrow::datatypes::{DataType, Field, FieldRef, SchemaRef};
use async_trait::async_trait;
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::{DFSchema, ScalarValue, project_schema};
use datafusion::datasource::listing::PartitionedFile;
use datafusion::datasource::listing::helpers::{expr_applicable_for_cols, filter_partitioned_file};
use datafusion::datasource::physical_plan::{FileGroup, FileScanConfigBuilder, ParquetSource};
use datafusion::datasource::source::DataSourceExec;
use datafusion::datasource::table_schema::TableSchema;
use datafusion::execution::object_store::ObjectStoreUrl;
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown, TableType};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::empty::EmptyExec;
use datafusion::prelude::SessionContext;
use object_store::ObjectMeta;
use object_store::path::Path;

use crate::dataset::{Dataset, Sealed};
use crate::error::{Error, Result};
use crate::partition::KeyType;

#[derive(Debug, Clone)]
struct TableFile {
    path: Path,
    size: u64,
    partition_values: Vec<ScalarValue>,
}

/// A partition value as its declared type (a manifest's values were checked at publish; a value
/// that does not parse is a corrupt manifest).
fn typed(key: &str, v: String, t: KeyType) -> Result<ScalarValue> {
    let bad = || Error::Corrupt(format!("partition {key}={v:?} is not a {t:?}"));
    Ok(match t {
        KeyType::String => ScalarValue::Utf8(Some(v)),
        KeyType::Int => ScalarValue::Int64(Some(v.parse().map_err(|_| bad())?)),
        KeyType::Date => {
            let d = chrono::NaiveDate::parse_from_str(&v, "%Y-%m-%d").map_err(|_| bad())?;
            let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("the epoch");
            ScalarValue::Date32(Some((d - epoch).num_days() as i32))
        }
    })
}

/// The files of one sealed version, as a table.
#[derive(Debug)]
pub struct VersionTable {
    store_url: ObjectStoreUrl,
    table_schema: TableSchema,
    files: Vec<TableFile>,
}

impl VersionTable {
    /// The table of a sealed version. Partition keys that are also columns of the files stay file
    /// columns.
    pub fn new(ds: &Dataset, sealed: &Sealed) -> Result<Self> {
        let m = &sealed.manifest;
        let file_schema = m.schema.to_arrow()?;
        let keys: Vec<&String> = m
            .partition_keys
            .iter()
            .filter(|k| file_schema.field_with_name(k).is_err())
            .collect();
        let type_of = |k: &str| m.partition_types.get(k).copied().unwrap_or_default();
        let parts: Vec<FieldRef> = keys
            .iter()
            .map(|k| {
                let t = match type_of(k) {
                    KeyType::String => DataType::Utf8,
                    KeyType::Date => DataType::Date32,
                    KeyType::Int => DataType::Int64,
                };
                Arc::new(Field::new(k.as_str(), t, true))
            })
            .collect();
        let files = m
            .files
            .iter()
            .map(|f| {
                Ok(TableFile {
                    path: ds.layout.resolve(&f.path)?,
                    size: f.size,
                    partition_values: keys
                        .iter()
                        .map(|k| {
                            let v = f.partition.get(*k).cloned().unwrap_or_default();
                            typed(k, v, type_of(k))
                        })
                        .collect::<Result<_>>()?,
                })
            })
            .collect::<Result<_>>()?;
        let store_url = ObjectStoreUrl::parse(ds.store.store_url().as_str())
            .map_err(|e| Error::datafusion("registering the store", e))?;
        Ok(VersionTable {
            store_url,
            table_schema: TableSchema::builder(file_schema)
                .with_table_partition_cols(parts)
                .build(),
            files,
        })
    }

    fn partition_names(&self) -> Vec<&str> {
        self.table_schema
            .table_partition_cols()
            .iter()
            .map(|f| f.name().as_str())
            .collect()
    }

    fn is_partition_filter(&self, e: &Expr) -> bool {
        let names = self.partition_names();
        !names.is_empty() && expr_applicable_for_cols(&names, e)
    }
}

#[async_trait]
impl TableProvider for VersionTable {
    fn schema(&self) -> SchemaRef {
        Arc::clone(self.table_schema.table_schema())
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> datafusion::error::Result<Vec<TableProviderFilterPushDown>> {
        Ok(filters
            .iter()
            .map(|f| {
                if self.is_partition_filter(f) {
                    TableProviderFilterPushDown::Exact
                } else {
                    TableProviderFilterPushDown::Inexact
                }
            })
            .collect())
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> datafusion::error::Result<Arc<dyn ExecutionPlan>> {
        let part_filters: Vec<Expr> = filters
            .iter()
            .filter(|f| self.is_partition_filter(f))
            .cloned()
            .collect();
        let part_schema = DFSchema::from_unqualified_fields(
            self.table_schema.table_partition_cols().clone(),
            Default::default(),
        )?;
        let mut files = Vec::with_capacity(self.files.len());
        for f in &self.files {
            let pf = PartitionedFile::new_from_meta(ObjectMeta {
                location: f.path.clone(),
                // Sealed files never change, so a constant time is a valid cache key.
                last_modified: chrono::DateTime::<chrono::Utc>::UNIX_EPOCH,
                size: f.size,
                e_tag: None,
                version: None,
            })
            .with_partition_values(f.partition_values.clone());
            if let Some(pf) = filter_partitioned_file(pf, &part_filters, &part_schema)? {
                files.push(pf);
            }
        }
        if files.is_empty() {
            return Ok(Arc::new(EmptyExec::new(project_schema(
                &self.schema(),
                projection,
            )?)));
        }
        let source = ParquetSource::new(self.table_schema.clone())
            .with_table_parquet_options(state.table_options().parquet.clone());
        let groups = FileGroup::new(files).split_files(state.config().target_partitions().max(1));
        let conf = FileScanConfigBuilder::new(self.store_url.clone(), Arc::new(source))
            .with_file_groups(groups)
            .with_projection_indices(projection.cloned())?
            .with_limit(limit)
            .build();
        Ok(DataSourceExec::from_data_source(conf))
    }
}

/// Registers the dataset's store with `ctx` and the version as table `name`.
pub fn register(ctx: &SessionContext, name: &str, ds: &Dataset, sealed: &Sealed) -> Result<()> {
    ctx.register_object_store(ds.store.store_url(), ds.store.object_store());
    let table = VersionTable::new(ds, sealed)?;
    ctx.register_table(name, Arc::new(table))
        .map_err(|e| Error::datafusion(format!("registering table {name}"), e))?;
    Ok(())
}
