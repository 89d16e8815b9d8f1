//! Which dataset rows a dashboard filter selects.
//!
//! Channel, campaign, device and country select whole human sessions by their landing: the session's
//! earliest page view (its first request when it has none), as the report attributes sessions.
//! A session is never cut in two, so its figures stay those of the unfiltered report. Bot
//! requests have no session and are selected by their own values. The audience keeps humans,
//! bots or both; the date range is applied by the reader (`--from` / `--to`). Over the whole
//! dataset the landings are read from the sessions table; within a date range, or after a
//! prune, from the rows.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use anyhow::{Context, Result};
use arrow_array::cast::AsArray;
use arrow_array::types::{TimestampMicrosecondType, UInt64Type};
use arrow_array::{Array, BooleanArray, RecordBatch, StringArray};
use clickpath_model::{dataset as col, field};
use clickpath_server::{Audience, Filter};
use clickpath_store::dataset::{DataFile, Manifest, OrderedReader};

/// Columns [`Selection::mask`] reads.
pub const COLUMNS: [&str; 6] = [
    col::SESSION_ID,
    col::IS_BOT,
    col::CHANNEL,
    col::UTM_CAMPAIGN,
    col::DEVICE,
    col::COUNTRY,
];

pub struct Selection {
    filter: Filter,
    /// Human sessions whose landing matches; None when no session filter is set.
    sessions: Option<HashSet<u64>>,
}

fn strings<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a StringArray> {
    batch
        .column_by_name(name)
        .with_context(|| format!("the dataset has no `{name}` column"))?
        .as_string_opt::<i32>()
        .with_context(|| format!("`{name}` is not text"))
}

/// The columns a filter compares.
struct Values<'a> {
    channel: &'a StringArray,
    campaign: &'a StringArray,
    device: &'a StringArray,
    country: &'a StringArray,
}

impl<'a> Values<'a> {
    fn of(batch: &'a RecordBatch) -> Result<Self> {
        Ok(Values {
            channel: strings(batch, col::CHANNEL)?,
            campaign: strings(batch, col::UTM_CAMPAIGN)?,
            device: strings(batch, col::DEVICE)?,
            country: strings(batch, col::COUNTRY)?,
        })
    }
}

/// Row `r` of a text column.
pub fn text_at(a: &StringArray, r: usize) -> Option<&str> {
    a.is_valid(r).then(|| a.value(r))
}

fn bools<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a BooleanArray> {
    Ok(batch
        .column_by_name(name)
        .with_context(|| format!("the dataset has no `{name}` column"))?
        .as_boolean())
}

impl Selection {
    /// None when the filter keeps every row of the date range (`files`, of `m`).
    pub fn new(
        dir: &Path,
        m: &Manifest,
        files: &[DataFile],
        filter: &Filter,
    ) -> Result<Option<Selection>> {
        let by_session = filter.channel.is_some()
            || filter.campaign.is_some()
            || filter.device.is_some()
            || filter.country.is_some();
        if !by_session && filter.audience.is_none() {
            return Ok(None);
        }
        let sessions = if by_session && filter.audience != Some(Audience::Bots) {
            // (After a prune, a session that began on a pruned day has no row but requests.)
            let whole = filter.from.is_none() && filter.to.is_none() && m.pruned_before.is_none();
            let table = if whole {
                sessions_landing(dir, m, filter)?
            } else {
                None
            };
            Some(match table {
                Some(s) => s,
                None => matching_sessions(dir, files, filter)?,
            })
        } else {
            None
        };
        Ok(Some(Selection {
            filter: filter.clone(),
            sessions,
        }))
    }

    /// Whether row `r` has the filter's channel, campaign, device and country.
    fn values_match(&self, v: &Values, r: usize) -> bool {
        let want = |w: &Option<String>, a| w.as_deref().is_none_or(|w| Some(w) == text_at(a, r));
        want(&self.filter.channel, v.channel)
            && want(&self.filter.campaign, v.campaign)
            && want(&self.filter.device, v.device)
            && want(&self.filter.country, v.country)
    }

    /// The rows of `batch` (read with [`COLUMNS`]) the filter keeps.
    pub fn mask(&self, batch: &RecordBatch) -> Result<BooleanArray> {
        let session = batch
            .column_by_name(col::SESSION_ID)
            .context("session_id column")?
            .as_primitive::<UInt64Type>();
        let is_bot = bools(batch, col::IS_BOT)?;
        let values = Values::of(batch)?;
        Ok((0..batch.num_rows())
            .map(|r| {
                let keep = if is_bot.value(r) {
                    self.filter.audience != Some(Audience::Humans) && self.values_match(&values, r)
                } else {
                    self.filter.audience != Some(Audience::Bots)
                        && match &self.sessions {
                            None => true,
                            Some(s) => session.is_valid(r) && s.contains(&session.value(r)),
                        }
                };
                Some(keep)
            })
            .collect())
    }
}

/// Human sessions whose landing matches the filter, from the sessions table (one row per
/// session, its landing's channel, campaign, device and country, by the rule
/// `matching_sessions` follows); None for a dataset without the table.
fn sessions_landing(dir: &Path, m: &Manifest, filter: &Filter) -> Result<Option<HashSet<u64>>> {
    let probe = Selection {
        filter: filter.clone(),
        sessions: None,
    };
    let columns = [
        col::SESSION_ID,
        col::CHANNEL,
        col::UTM_CAMPAIGN,
        col::DEVICE,
        col::COUNTRY,
    ];
    let Some(batches) = clickpath_store::dataset::read_sessions(dir, m, &columns)? else {
        return Ok(None);
    };
    let mut out = HashSet::new();
    for batch in &batches {
        let session = batch
            .column_by_name(col::SESSION_ID)
            .context("session_id column")?
            .as_primitive::<UInt64Type>();
        let values = Values::of(batch)?;
        out.extend(
            (0..batch.num_rows())
                .filter(|&r| probe.values_match(&values, r))
                .map(|r| session.value(r)),
        );
    }
    Ok(Some(out))
}

/// Human sessions whose landing matches the filter: one pass over the rows in `seq` order
/// (within a date range, where a session's landing is its earliest page view of those days).
fn matching_sessions(dir: &Path, files: &[DataFile], filter: &Filter) -> Result<HashSet<u64>> {
    struct Landing {
        page: bool,
        ts: i64,
        matches: bool,
    }
    let probe = Selection {
        filter: filter.clone(),
        sessions: None,
    };
    let columns = [
        col::SESSION_ID,
        col::IS_BOT,
        col::IS_PAGE_VIEW,
        field::TS,
        col::CHANNEL,
        col::UTM_CAMPAIGN,
        col::DEVICE,
        col::COUNTRY,
    ];
    let mut landings: HashMap<u64, Landing> = HashMap::new();
    for batch in OrderedReader::new(dir, files.to_vec(), &columns) {
        let batch = batch?;
        let session = batch
            .column_by_name(col::SESSION_ID)
            .context("session_id column")?
            .as_primitive::<UInt64Type>();
        let is_bot = bools(&batch, col::IS_BOT)?;
        let is_page = bools(&batch, col::IS_PAGE_VIEW)?;
        let ts = batch
            .column_by_name(field::TS)
            .context("ts column")?
            .as_primitive_opt::<TimestampMicrosecondType>()
            .context("ts is not a timestamp")?;
        let values = Values::of(&batch)?;
        for r in 0..batch.num_rows() {
            if is_bot.value(r) || session.is_null(r) {
                continue;
            }
            let page = is_page.value(r);
            let t = ts.value(r);
            let matches = || probe.values_match(&values, r);
            match landings.get_mut(&session.value(r)) {
                None => {
                    landings.insert(
                        session.value(r),
                        Landing {
                            page,
                            ts: t,
                            matches: matches(),
                        },
                    );
                }
                Some(l) if page && (!l.page || t < l.ts) => {
                    *l = Landing {
                        page,
                        ts: t,
                        matches: matches(),
                    };
                }
                Some(_) => {}
            }
        }
    }
    Ok(landings
        .into_iter()
        .filter(|(_, l)| l.matches)
        .map(|(s, _)| s)
        .collect())
}
