//! `lastgood query`: DataFusion SQL over the current version (or any version), the table named
//! after the dataset. Reads exactly the files the version's manifest lists; partition columns come
//! from the manifest.
//!
//! 1. Resolve the version and register it as a table ([`crate::table`]).
//! 2. Plan the SQL; with a row limit, plan one row more than asked, to know whether rows were left
//!    out.
//! 3. Stream the result batch by batch into the writer of the format: nothing but the current
//!    batch is held (a table holds its first block of rows, to size its columns). Column order is
//!    the query's.
//! 4. A reader that closes the pipe ends the query quietly.

use std::io::Write;

use arrow::array::RecordBatch;
use arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::prelude::SessionContext;
use futures::StreamExt;
use serde::{Deserialize, Serialize};

use crate::dataset::Dataset;
use crate::error::{Error, Result};
use crate::ops::resolve::{self, At, Resolved};

/// How rows are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Aligned columns for people, fitted to a width.
    #[default]
    Table,
    /// RFC 4180 with a header row.
    Csv,
    /// One JSON object a line.
    Jsonl,
    /// One JSON array of objects.
    Json,
    /// A GitHub-flavoured Markdown table.
    Markdown,
}

impl Format {
    /// The row limit when none is asked for: formats people read stop at 100 rows; machine
    /// formats stream everything.
    pub fn default_limit(self) -> Option<usize> {
        match self {
            Format::Table | Format::Markdown => Some(100),
            Format::Csv | Format::Jsonl | Format::Json => None,
        }
    }
}

/// How many rows a table sizes its columns on before it starts printing.
const TABLE_BLOCK: usize = 1000;

#[derive(Debug, Clone, Default)]
pub struct QueryOptions {
    pub format: Format,
    /// At most this many rows (none: all).
    pub limit: Option<usize>,
    /// Fit tables to this many columns of text (none: no limit).
    pub width: Option<usize>,
}

/// What a streamed query did.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct QueryOutcome {
    pub dataset: String,
    pub version: String,
    /// Rows written.
    pub rows: u64,
    /// The limit left rows out.
    pub truncated: bool,
    /// The reader closed the pipe before the end.
    pub closed: bool,
}

/// Plans `sql` over the version `at` names.
async fn plan(
    ds: &Dataset,
    at: &At,
    sql: &str,
) -> Result<(Resolved, datafusion::dataframe::DataFrame)> {
    let (resolved, sealed) = resolve::resolve(ds, at).await?;
    let ctx = SessionContext::new();
    crate::table::register(&ctx, ds.name().as_str(), ds, &sealed)?;
    let df = ctx.sql(sql).await.map_err(|e| {
        // A hint where one helps: the table's name and columns.
        let columns: Vec<String> = sealed
            .manifest
            .schema
            .columns
            .iter()
            .map(|c| c.name.clone())
            .chain(sealed.manifest.partition_keys.iter().cloned())
            .collect();
        Error::input(format!(
            "query: {}; the table is {} with columns {}",
            first_line(&e.to_string()).trim_end_matches('.'),
            ds.name(),
            columns.join(", ")
        ))
    })?;
    Ok((resolved, df))
}

/// Runs `sql` and collects every row: for the library's callers and small results. The CLI uses
/// [`stream`].
pub async fn query(ds: &Dataset, at: &At, sql: &str) -> Result<(Resolved, Vec<RecordBatch>)> {
    let (resolved, df) = plan(ds, at, sql).await?;
    let batches = df
        .collect()
        .await
        .map_err(|e| Error::datafusion("running the query", e))?;
    Ok((resolved, batches))
}

/// Runs `sql` and writes the rows to `out` as they come, in `opts.format`.
pub async fn stream(
    ds: &Dataset,
    at: &At,
    sql: &str,
    opts: &QueryOptions,
    out: &mut dyn Write,
) -> Result<QueryOutcome> {
    let (resolved, mut df) = plan(ds, at, sql).await?;
    if let Some(n) = opts.limit {
        df = df
            .limit(0, Some(n.saturating_add(1)))
            .map_err(|e| Error::datafusion("limiting the query", e))?;
    }
    let mut batches = df
        .execute_stream()
        .await
        .map_err(|e| Error::datafusion("running the query", e))?;
    let schema = batches.schema();
    let mut pipe = Pipe {
        inner: out,
        closed: false,
    };
    let mut sink = Sink::new(opts, &mut pipe);
    let mut left = opts.limit.unwrap_or(usize::MAX);
    let mut rows = 0u64;
    let mut truncated = false;
    let mut failed: Option<Error> = None;
    while let Some(b) = batches.next().await {
        let b = b.map_err(|e| Error::datafusion("running the query", e))?;
        if b.num_rows() == 0 {
            continue;
        }
        if left == 0 {
            truncated = true;
            break;
        }
        let take = b.num_rows().min(left);
        if take < b.num_rows() {
            truncated = true;
        }
        if let Err(e) = sink.write(&b.slice(0, take)) {
            failed = Some(e);
            break;
        }
        left -= take;
        rows += take as u64;
        if truncated {
            break;
        }
    }
    match failed {
        None => {
            if let Err(e) = sink.finish(&schema) {
                failed = Some(e);
            }
        }
        Some(_) => drop(sink),
    }
    let closed = pipe.closed;
    match failed {
        Some(_) if closed => {}
        Some(e) => return Err(e),
        None => {}
    }
    Ok(QueryOutcome {
        dataset: resolved.dataset,
        version: resolved.version,
        rows,
        truncated,
        closed,
    })
}

/// The output, remembering whether the reader went away (a closed pipe is not an error).
struct Pipe<'a> {
    inner: &'a mut dyn Write,
    closed: bool,
}

impl Write for Pipe<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.inner.write(buf).inspect_err(|e| {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                self.closed = true;
            }
        })
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush().inspect_err(|e| {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                self.closed = true;
            }
        })
    }
}

/// One writer per format.
enum Sink<'a, 'b> {
    Csv(Box<arrow_csv::Writer<&'a mut Pipe<'b>>>),
    Jsonl(arrow_json::LineDelimitedWriter<&'a mut Pipe<'b>>),
    Json(arrow_json::ArrayWriter<&'a mut Pipe<'b>>),
    Text {
        out: &'a mut Pipe<'b>,
        markdown: bool,
        width: Option<usize>,
        /// Rows held until the columns are sized (the first block).
        held: Vec<Vec<String>>,
        header: Vec<String>,
        widths: Option<Vec<usize>>,
    },
}

fn io(e: impl std::fmt::Display) -> Error {
    Error::input(format!("writing the query result: {e}"))
}

impl<'a, 'b> Sink<'a, 'b> {
    fn new(opts: &QueryOptions, out: &'a mut Pipe<'b>) -> Self {
        match opts.format {
            Format::Csv => Sink::Csv(Box::new(
                arrow_csv::WriterBuilder::new().with_header(true).build(out),
            )),
            Format::Jsonl => Sink::Jsonl(
                arrow_json::WriterBuilder::new()
                    .with_explicit_nulls(true)
                    .build(out),
            ),
            Format::Json => Sink::Json(
                arrow_json::WriterBuilder::new()
                    .with_explicit_nulls(true)
                    .build(out),
            ),
            Format::Table | Format::Markdown => Sink::Text {
                out,
                markdown: opts.format == Format::Markdown,
                width: opts.width,
                held: Vec::new(),
                header: Vec::new(),
                widths: None,
            },
        }
    }

    fn write(&mut self, b: &RecordBatch) -> Result<()> {
        match self {
            Sink::Csv(w) => w.write(b).map_err(io),
            Sink::Jsonl(w) => w.write(b).map_err(io),
            Sink::Json(w) => w.write(b).map_err(io),
            Sink::Text {
                out,
                markdown,
                width,
                held,
                header,
                widths,
            } => {
                if header.is_empty() {
                    *header = b
                        .schema()
                        .fields()
                        .iter()
                        .map(|f| f.name().clone())
                        .collect();
                }
                let rows = cells(b, *markdown)?;
                match widths {
                    Some(w) => {
                        let mut s = String::new();
                        for r in &rows {
                            crate::text::line(&mut s, r, w, *markdown);
                        }
                        out.write_all(s.as_bytes()).map_err(io)
                    }
                    None => {
                        held.extend(rows);
                        if held.len() >= TABLE_BLOCK {
                            let w = start_text(out, header, held, *width, *markdown)?;
                            *widths = Some(w);
                        }
                        Ok(())
                    }
                }
            }
        }
    }

    fn finish(self, schema: &arrow::datatypes::SchemaRef) -> Result<()> {
        match self {
            Sink::Csv(mut w) => {
                // A result without rows still gets its header (arrow's writer flushes each write).
                w.write(&RecordBatch::new_empty(schema.clone()))
                    .map_err(io)?;
                (*w).into_inner().flush().map_err(io)
            }
            Sink::Jsonl(mut w) => {
                w.finish().map_err(io)?;
                w.into_inner().flush().map_err(io)
            }
            Sink::Json(mut w) => {
                w.finish().map_err(io)?;
                let out = w.into_inner();
                out.write_all(b"\n").and_then(|_| out.flush()).map_err(io)
            }
            Sink::Text {
                out,
                markdown,
                width,
                mut held,
                mut header,
                widths,
            } => {
                if widths.is_none() {
                    if header.is_empty() {
                        header = schema.fields().iter().map(|f| f.name().clone()).collect();
                    }
                    start_text(out, &header, &mut held, width, markdown)?;
                }
                out.flush().map_err(io)
            }
        }
    }
}

/// Sizes the columns on the held rows, prints the header and them; returns the widths.
fn start_text(
    out: &mut Pipe,
    header: &[String],
    held: &mut Vec<Vec<String>>,
    width: Option<usize>,
    markdown: bool,
) -> Result<Vec<usize>> {
    let head: Vec<&str> = header.iter().map(String::as_str).collect();
    let widths = crate::text::fit(&head, held, if markdown { None } else { width }, 2);
    let mut s = String::new();
    crate::text::line(&mut s, header, &widths, markdown);
    if markdown {
        let rule: Vec<String> = widths.iter().map(|w| "-".repeat((*w).max(3))).collect();
        crate::text::line(&mut s, &rule, &widths, true);
    }
    for r in held.drain(..) {
        crate::text::line(&mut s, &r, &widths, markdown);
    }
    out.write_all(s.as_bytes()).map_err(io)?;
    Ok(widths)
}

/// A batch as text cells, row by row (NULL for nulls; Markdown escapes `|`).
fn cells(b: &RecordBatch, markdown: bool) -> Result<Vec<Vec<String>>> {
    let opts = FormatOptions::default().with_null("NULL");
    let fmts = b
        .columns()
        .iter()
        .map(|c| ArrayFormatter::try_new(c.as_ref(), &opts))
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| Error::input(format!("formatting the result: {e}")))?;
    Ok((0..b.num_rows())
        .map(|i| {
            fmts.iter()
                .map(|f| {
                    let s = f.value(i).to_string().replace(['\n', '\r'], " ");
                    if markdown { s.replace('|', "\\|") } else { s }
                })
                .collect()
        })
        .collect())
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s)
}

/// The rows as JSON objects, one per row.
pub fn to_json_rows(batches: &[RecordBatch]) -> Result<serde_json::Value> {
    let mut w = arrow_json::ArrayWriter::new(Vec::new());
    let refs: Vec<&RecordBatch> = batches.iter().collect();
    w.write_batches(&refs)
        .and_then(|_| w.finish())
        .map_err(|e| Error::input(format!("query result as JSON: {e}")))?;
    let bytes = w.into_inner();
    if bytes.is_empty() {
        return Ok(serde_json::Value::Array(Vec::new()));
    }
    serde_json::from_slice(&bytes).map_err(|e| Error::input(format!("query result as JSON: {e}")))
}
