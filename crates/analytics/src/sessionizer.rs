//! Session ids at ingest, by the same rules as the traffic report: a visitor's session ends
//! after the idle timeout (or at local midnight, or on a new campaign, when configured), and the
//! stream's clock closes sessions it has left behind. The state is saved between ingest runs
//! so that a session spanning two runs keeps one id.

use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};

use crate::derived::SessionInput;
use crate::traffic::{OUT_OF_ORDER_SLACK_S, SWEEP_EVERY_S};

const MICROS: i64 = 1_000_000;

/// Session rules, fixed for a dataset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRules {
    pub timeout_s: i64,
    pub split_at_midnight: bool,
    pub split_on_campaign: bool,
}

impl Default for SessionRules {
    fn default() -> Self {
        Self {
            timeout_s: 30 * 60,
            split_at_midnight: false,
            split_on_campaign: false,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Open {
    id: u64,
    first: i64,
    last: i64,
    last_day: i32,
    utm: u64,
    landing_at: Option<i64>,
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
        if self.clock >= self.last_sweep.saturating_add(SWEEP_EVERY_S * MICROS) {
            self.last_sweep = self.clock;
            let horizon = self.clock - (self.rules.timeout_s + OUT_OF_ORDER_SLACK_S) * MICROS;
            self.open.retain(|_, s| s.last >= horizon);
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
        let timeout = self.rules.timeout_s * MICROS;
        let rules = self.rules;
        let split = match self.open.get(&r.visitor) {
            None => true,
            Some(s) => {
                t > s.last + timeout
                    || t < s.first - timeout
                    || (rules.split_at_midnight && r.day != s.last_day)
                    || (rules.split_on_campaign && r.page && r.utm != 0 && r.utm != s.utm)
            }
        };
        if split {
            self.open.insert(
                r.visitor,
                Open {
                    id: seq,
                    first: t,
                    last: t,
                    last_day: r.day,
                    utm: r.utm,
                    landing_at: None,
                },
            );
        }
        let s = self.open.get_mut(&r.visitor).expect("session just ensured");
        s.first = s.first.min(t);
        if t > s.last {
            s.last = t;
            s.last_day = r.day;
        }
        if r.page && s.landing_at.is_none_or(|at| t < at) {
            s.landing_at = Some(t);
            s.utm = r.utm;
        }
        SessionOutput {
            session_id: Some(s.id),
            bot: false,
            robots_txt_fetcher: false,
        }
    }
}
