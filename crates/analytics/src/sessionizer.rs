//! Session ids at ingest, by the same rules as the traffic report: a visitor's session ends
//! after the idle timeout (or at local midnight, or on a new campaign, when configured), and the
//! stream's clock closes sessions it has left behind. The state is saved between ingest runs
//! so that a session spanning two runs keeps one id. Each open session also keeps its row of the
//! `sessions` table (`session_table.rs`), handed over when the session closes.

use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};

use crate::derived::SessionInput;
use crate::session_rule::{Arrival, SessionRules, Span};
use crate::session_table::{RowFacts, SessionRow};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Open {
    pub id: u64,
    #[serde(flatten)]
    pub span: Span,
    /// Absent in states saved before the sessions table.
    #[serde(default)]
    pub row: SessionRow,
}

/// What a sessionizer remembers between runs.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionState {
    clock: Option<i64>,
    last_sweep: Option<i64>,
    open: Vec<(u64, Open)>,
    robots_txt: Vec<u64>,
}

/// The stateful columns of one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionOutput {
    /// Null for bots.
    pub session_id: Option<u64>,
    pub bot: bool,
    /// A browser user agent that fetched `/robots.txt`: a crawler from then on.
    pub robots_txt_fetcher: bool,
}

pub struct Sessionizer {
    rules: SessionRules,
    clock: i64,
    last_sweep: i64,
    open: FxHashMap<u64, Open>,
    robots_txt: FxHashSet<u64>,
    site_hosts: Vec<String>,
    /// Sessions closed since the last `take_closed`.
    closed: Vec<Open>,
}

impl Sessionizer {
    /// `site_hosts`: the dataset's (a landing referred by one of them has no referrer domain).
    pub fn new(rules: SessionRules, state: SessionState, site_hosts: Vec<String>) -> Self {
        Self {
            rules,
            clock: state.clock.unwrap_or(i64::MIN),
            last_sweep: state.last_sweep.unwrap_or(i64::MIN),
            open: state.open.into_iter().collect(),
            robots_txt: state.robots_txt.into_iter().collect(),
            site_hosts,
            closed: Vec::new(),
        }
    }

    /// The sessions closed since the last call, for the sessions table.
    pub fn take_closed(&mut self) -> Vec<Open> {
        std::mem::take(&mut self.closed)
    }

    /// The state to save (sorted, so that equal states serialise equally).
    pub fn state(&self) -> SessionState {
        let mut open: Vec<(u64, Open)> = self.open.iter().map(|(k, v)| (*k, v.clone())).collect();
        open.sort_unstable_by_key(|e| e.0);
        let mut robots_txt: Vec<u64> = self.robots_txt.iter().copied().collect();
        robots_txt.sort_unstable();
        SessionState {
            clock: (self.clock != i64::MIN).then_some(self.clock),
            last_sweep: (self.last_sweep != i64::MIN).then_some(self.last_sweep),
            open,
            robots_txt,
        }
    }

    /// Open sessions (memory follows visitors active within the timeout).
    pub fn open_sessions(&self) -> usize {
        self.open.len()
    }

    /// The open sessions, oldest first.
    pub fn open(&self) -> Vec<&Open> {
        let mut open: Vec<&Open> = self.open.values().collect();
        open.sort_unstable_by_key(|o| o.id);
        open
    }

    /// Assigns one request, whose dataset row number is `seq`; `facts` are what its session's
    /// row takes from it.
    pub fn next(&mut self, seq: u64, r: &SessionInput, facts: &RowFacts<'_>) -> SessionOutput {
        let t = r.ts;
        self.clock = self.clock.max(t);
        if SessionRules::sweep_due(self.clock, self.last_sweep) {
            self.last_sweep = self.clock;
            let horizon = self.rules.horizon(self.clock);
            self.closed.extend(
                self.open
                    .extract_if(|_, s| s.span.last < horizon)
                    .map(|(_, s)| s),
            );
        }
        let mut robots_txt_fetcher = false;
        if !r.bot {
            if r.robots_txt {
                self.robots_txt.insert(r.who);
            }
            robots_txt_fetcher = !self.robots_txt.is_empty() && self.robots_txt.contains(&r.who);
        }
        if r.bot || robots_txt_fetcher {
            return SessionOutput {
                session_id: None,
                bot: true,
                robots_txt_fetcher,
            };
        }
        let a = Arrival {
            ts: t,
            day: i64::from(r.day),
            page: r.page,
            campaign: r.utm,
        };
        if self
            .rules
            .starts_new(self.open.get(&r.visitor).map(|o| &o.span), &a)
        {
            let new = Open {
                id: seq,
                span: Span::start(&a),
                row: SessionRow::start(r.visitor, facts, &self.site_hosts),
            };
            if let Some(old) = self.open.insert(r.visitor, new) {
                self.closed.push(old);
            }
        }
        let s = self.open.get_mut(&r.visitor).expect("session just ensured");
        let earliest = t < s.span.first;
        let lands = s.span.join(&a);
        s.row
            .add(t, r.page, earliest, lands, facts, &self.site_hosts);
        SessionOutput {
            session_id: Some(s.id),
            bot: false,
            robots_txt_fetcher: false,
        }
    }
}
