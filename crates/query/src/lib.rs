//! SQL over the dataset, on Apache DataFusion.
//!
//! [`Engine::open`] registers the manifest's files as the `requests` table (only the files the
//! manifest lists: a concurrent or crashed ingest's files are never read), the `sessions` table
//! written at ingest, the `page_views` view, and clickpath's own functions ([`functions`]). Queries are plain
//! DataFusion SQL; errors are the engine's messages.

pub mod functions;
mod incidents;
mod tables;
pub mod views;

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
    /// The dataset's directory and the manifest its tables were registered from.
    dataset: Option<(std::path::PathBuf, clickpath_store::dataset::Manifest)>,
    runtime: tokio::runtime::Runtime,
    /// The dataset was written before the sessions table existed.
    without_sessions: bool,
}

impl Engine {
    /// Opens the dataset in `dir` (its current manifest).
    pub fn open(dir: &Path) -> Result<Self> {
        let mut engine = Self::without_tables()?;
        let manifest = clickpath_store::dataset::open_for_read(dir)?;
        engine.without_sessions = !manifest.sessions_table && !manifest.files.is_empty();
        engine
            .runtime
            .block_on(tables::register(&engine.ctx, dir, &manifest))?;
        engine.dataset = Some((dir.to_path_buf(), manifest));
        Ok(engine)
    }

    /// The report's session figures for `filter`, as plans (`views`).
    pub fn session_figures(
        &self,
        filter: &views::Filter,
        cfg: &clickpath_analytics::TrafficConfig,
    ) -> Result<views::SessionFigures> {
        Ok(self
            .runtime
            .block_on(views::session_figures(&self.ctx, filter, cfg))?)
    }

    /// The report's broken links for `filter`, as a plan (`views`); `site_hosts`: the dataset's;
    /// `funnels`: the same filter's (their in-funnel times), if the report has funnels.
    pub fn broken_links(
        &self,
        filter: &views::Filter,
        site_hosts: &[String],
        funnels: Option<&views::Funnels>,
        top: usize,
    ) -> Result<views::BrokenLinks> {
        let none = Default::default();
        let in_funnel = funnels.map_or(&none, |f| &f.in_funnel);
        Ok(self.runtime.block_on(views::broken_links(
            &self.ctx, filter, site_hosts, in_funnel, top,
        ))?)
    }

    /// The report's request figures for `filter`, as plans (`views`).
    pub fn request_figures(
        &self,
        filter: &views::Filter,
        top: usize,
    ) -> Result<views::RequestFigures> {
        Ok(self
            .runtime
            .block_on(views::request_figures(&self.ctx, filter, top))?)
    }

    /// The report's error causes and error-log summary for `filter` (`views::causes`);
    /// `zone_flag`: `--error-log-tz`.
    pub fn causes(
        &self,
        filter: &views::Filter,
        zone_flag: Option<i16>,
    ) -> Result<(
        Vec<clickpath_analytics::report::CauseRow>,
        Option<clickpath_analytics::report::ErrorLogReport>,
    )> {
        let events = self.events()?;
        Ok(self
            .runtime
            .block_on(views::causes(&self.ctx, &events, filter, zone_flag))?)
    }

    /// The report's funnels for `filter` (`views::funnels`).
    pub fn funnels(
        &self,
        filter: &views::Filter,
        funnels: &[clickpath_analytics::funnel_config::Funnel],
        money: &clickpath_analytics::Money,
        top: usize,
    ) -> Result<views::Funnels> {
        let events = self.events()?;
        Ok(self.runtime.block_on(views::funnels(
            &self.ctx, &events, filter, funnels, money, top,
        ))?)
    }

    /// The report's restarts, reloads and incidents for `filter` (`views::incidents`), with the
    /// same filter's funnels (their estimate of lost conversions), the site's hosts and
    /// `--error-log-tz` (`zone_flag`).
    pub fn incidents(
        &self,
        filter: &views::Filter,
        cfg: &clickpath_analytics::TrafficConfig,
        funnels: Option<&views::Funnels>,
        site_hosts: &[String],
    ) -> Result<clickpath_analytics::planned_diary::Stories> {
        let events = self.events()?;
        let lost = funnels.and_then(|f| f.lost.as_ref());
        Ok(self.runtime.block_on(views::incidents(
            &self.ctx,
            &events,
            filter,
            &cfg.funnels,
            lost,
            &cfg.money,
            site_hosts,
            cfg.error_log_tz,
        ))?)
    }

    /// The whole report for `filter`, as plans (`views::report`); None when the settings name no
    /// site host.
    pub fn report(
        &self,
        filter: &views::Filter,
        cfg: &clickpath_analytics::TrafficConfig,
    ) -> Result<Option<clickpath_analytics::TrafficReport>> {
        let events = self.events()?;
        Ok(self
            .runtime
            .block_on(views::report(&self.ctx, &events, filter, cfg))?)
    }

    /// The dataset's error-log events, as `report --data` reads them.
    fn events(&self) -> Result<Vec<RecordBatch>> {
        Ok(match &self.dataset {
            Some((dir, m)) => clickpath_store::dataset::read_events(dir, m)?,
            None => Vec::new(),
        })
    }

    /// The report's goals for `filter`, as plans (`views`).
    pub fn goals(
        &self,
        filter: &views::Filter,
        goals: &[clickpath_analytics::funnel_config::Goal],
        top: usize,
    ) -> Result<Vec<clickpath_analytics::report::GoalReport>> {
        Ok(self
            .runtime
            .block_on(views::goals(&self.ctx, filter, goals, top))?)
    }

    /// A session with clickpath's functions and no tables.
    fn without_tables() -> Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(Error::Runtime)?;
        let mut config = SessionConfig::new()
            .with_collect_statistics(true)
            .with_information_schema(true);
        // Filters evaluated while decoding: a plan that keeps few rows (the 404s of the broken
        // links) does not decode the long text columns of the others.
        config.options_mut().execution.parquet.pushdown_filters = true;
        config.options_mut().execution.parquet.reorder_filters = true;
        // Files whose `seq` ranges overlap (a commit's dates) in groups of their own, so that a
        // plan in reading order merges them rather than sorting (`tables.rs`).
        config
            .options_mut()
            .execution
            .split_file_groups_by_statistics = true;
        let ctx = SessionContext::new_with_config(config);
        functions::register(&ctx);
        Ok(Self {
            ctx,
            runtime,
            dataset: None,
            without_sessions: false,
        })
    }

    /// Runs every statement (split by DataFusion's SQL parser, so a `;` in a string or a
    /// comment is text); returns the last one's rows.
    pub fn sql(&self, sql: &str) -> Result<Vec<RecordBatch>> {
        let result = self.runtime.block_on(async {
            let statements = datafusion::sql::parser::DFParser::parse_sql(sql)?;
            let mut last = Vec::new();
            for statement in statements {
                let plan = self.ctx.state().statement_to_plan(statement).await?;
                last = self.ctx.execute_logical_plan(plan).await?.collect().await?;
            }
            Ok(last)
        });
        match result {
            Err(Error::Query(e))
                if self.without_sessions && e.to_string().contains("sessions' not found") =>
            {
                Err(Error::Query(DataFusionError::Plan(format!(
                    "{e}. This dataset was written by a clickpath without the sessions table \
                     (docs/dataset.md): ingest its logs into a new dataset to have it"
                ))))
            }
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn statements_are_split_by_the_sql_parser() {
        let engine = super::Engine::without_tables().unwrap();
        let sql = "SELECT 1 AS a; -- a comment; with a semicolon
            /* another; one */ SELECT 'x;y' AS b, \"semi;colon\" FROM (SELECT 2 AS \"semi;colon\")";
        let out = engine.sql(sql).unwrap();
        let text = datafusion::arrow::util::pretty::pretty_format_batches(&out)
            .unwrap()
            .to_string();
        assert!(text.contains("x;y") && text.contains("| 2 "), "{text}");
        assert_eq!(engine.sql("SELECT 1;;").unwrap()[0].num_rows(), 1);
    }
}
