//! Session ids at ingest, by the same rules as the traffic report: a visitor's session ends
//! after the idle timeout (or at local midnight, or on a new campaign, when configured), and the
//! stream's clock closes sessions it has left behind. The state is saved between ingest runs
//! so that a session spanning two runs keeps one id.

use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};

use crate::derived::SessionInput;
use crate::session_rule::{Arrival, SessionRules, Span};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Open {
    id: u64,
    #[serde(flatten)]
    span: Span,
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
}

impl Sessionizer {
    pub fn new(rules: SessionRules, state: SessionState) -> Self {
        Self {
            rules,
            clock: state.clock.unwrap_or(i64::MIN),
            last_sweep: state.last_sweep.unwrap_or(i64::MIN),
            open: state.open.into_iter().collect(),
            robots_txt: state.robots_txt.into_iter().collect(),
        }
    }

    /// The state to save (sorted, so that equal states serialise equally).
    pub fn state(&self) -> SessionState {
        let mut open: Vec<(u64, Open)> = self.open.iter().map(|(k, v)| (*k, *v)).collect();
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

    /// Assigns one request, whose dataset row number is `seq`.
    pub fn next(&mut self, seq: u64, r: &SessionInput) -> SessionOutput {
        let t = r.ts;
        self.clock = self.clock.max(t);
        if SessionRules::sweep_due(self.clock, self.last_sweep) {
            self.last_sweep = self.clock;
            let horizon = self.rules.horizon(self.clock);
            self.open.retain(|_, s| s.span.last >= horizon);
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
            self.open.insert(
                r.visitor,
                Open {
                    id: seq,
                    span: Span::start(&a),
                },
            );
        }
        let s = self.open.get_mut(&r.visitor).expect("session just ensured");
        s.span.join(&a);
        SessionOutput {
            session_id: Some(s.id),
            bot: false,
            robots_txt_fetcher: false,
        }
    }
}
