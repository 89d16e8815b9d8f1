//! SQL over the dataset, on Apache DataFusion.
//!
//! [`Engine::open`] registers the manifest's files as the `requests` table (only the files the
//! manifest lists: a concurrent or crashed ingest's files are never read), the `sessions` and
//! `page_views` views, and clickpath's own functions ([`functions`]). Queries are plain
//! DataFusion SQL; errors are the engine's messages.

pub mod functions;
mod tables;

pub use datafusion;

use std::path::Path;

use arrow_array::RecordBatch;
use datafusion::error::DataFusionError;
use datafusion::prelude::{SessionConfig, SessionContext};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Store(#[from] clickpath_store::Error),
    #[error("{0}")]
    Query(#[from] DataFusionError),
    #[error("cannot start the query runtime: {0}")]
    Runtime(std::io::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A DataFusion session over one dataset, with its own runtime.
pub struct Engine {
    ctx: SessionContext,
    runtime: tokio::runtime::Runtime,
}

impl Engine {
    /// Opens the dataset in `dir` (its current manifest).
    pub fn open(dir: &Path) -> Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(Error::Runtime)?;
        let config = SessionConfig::new()
            .with_collect_statistics(true)
            .with_information_schema(true);
        let ctx = SessionContext::new_with_config(config);
        functions::register(&ctx);
        let manifest = clickpath_store::dataset::open_for_read(dir)?;
        runtime.block_on(tables::register(&ctx, dir, &manifest))?;
        Ok(Self { ctx, runtime })
    }

    /// Runs every `;`-separated statement; returns the last one's rows.
    pub fn sql(&self, sql: &str) -> Result<Vec<RecordBatch>> {
        self.runtime.block_on(async {
            let mut last = Vec::new();
            for part in split_statements(sql) {
                last = self.ctx.sql(&part).await?.collect().await?;
            }
            Ok(last)
        })
    }
}

/// Splits on `;` outside quotes.
fn split_statements(sql: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    for c in sql.chars() {
        match (quote, c) {
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, ';') => {
                if !cur.trim().is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
                cur.clear();
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    if !cur.trim().is_empty() {
        out.push(cur);
    }
    out
}
