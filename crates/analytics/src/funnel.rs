//! Funnel and goal accounting over closed sessions: steps reached in order, time between steps,
//! the errors met inside the funnel, their cost in conversions, and breakdowns.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use rustc_hash::FxHashMap;

use crate::funnel_config::{Funnel, FunnelMode, Goal};
use crate::histogram::SecondsHistogram;
use crate::numbers::{round2, share};
use crate::report::*;
use crate::session::{ClosedSession, ErrorKind, Event, Landing, VisitorId};
use crate::speed::{SPEED_BUCKETS, SpeedHistogram, speed_bucket};

/// Names for ids, provided by the aggregator when the report is built.
pub(crate) trait Names {
    fn path(&self, id: u32) -> &str;
    fn channel(&self, l: &Landing) -> String;
    fn campaign(&self, l: &Landing) -> Option<String>;
    fn device(&self, agent: u32) -> String;
    fn host(&self, id: u32) -> &str;
    /// The site's own hosts.
    fn site_hosts(&self) -> &[String];
}

/// Money settings.
#[derive(Clone, Debug, Default)]
pub struct Money {
    pub average_order_value: Option<f64>,
    pub currency: Option<String>,
}

/// A session-mode funnel's lost-conversion estimate, kept apart from the funnel once its
/// figures are built (the planned incidents ask it, `planned_diary`).
#[derive(Clone, Debug, Default)]
pub struct LostEstimate {
    /// (time of its first error at the step, step, error kinds) of each errored session that
    /// left.
    left_at: Vec<(i64, usize, u8)>,
    /// Per step: the share of the sessions that reached it without an error and converted.
    rate: Vec<f64>,
}

impl LostEstimate {
    /// [`FunnelStats::lost_between`].
    pub fn between(&self, start: i64, end: i64, kinds: u8) -> f64 {
        lost_in(&self.left_at, |j| self.rate[j], start, end, kinds)
    }
}

/// The estimate over the sessions whose error at a step came in `[start, end)`, counting only
/// errors of the kinds in `kinds`: each left-behind session counts the step's clean rate.
fn lost_in(
    left_at: &[(i64, usize, u8)],
    rate: impl Fn(usize) -> f64,
    start: i64,
    end: i64,
    kinds: u8,
) -> f64 {
    left_at
        .iter()
        .filter(|(t, _, k)| *t >= start && *t < end && k & kinds != 0)
        .map(|&(_, j, _)| rate(j))
        .sum()
}

#[derive(Default, Clone, Copy)]
struct KindCount {
    sessions: u64,
    converted: u64,
}

/// A window-mode funnel in progress for one visitor.
struct Window {
    reached_at: Vec<i64>,
}

pub(crate) struct FunnelStats {
    funnel: Funnel,
    /// Bit of the first step in the request masks.
    bit0: usize,
    reached: Vec<u64>,
    step_time: Vec<SecondsHistogram>,
    step_speed: Vec<SpeedHistogram>,
    left_here: Vec<u64>,
    left_after_error: Vec<u64>,
    server_errors: ErrorSessions,
    kinds: [KindCount; 5],
    error_paths: FxHashMap<(u16, u32), (u64, u64)>,
    errored: Vec<u64>,
    errored_and_left: Vec<u64>,
    clean_reached: Vec<u64>,
    clean_converted: Vec<u64>,
    /// Sessions that met an error at a step, per step and cause.
    errored_by_cause: Vec<FxHashMap<crate::explain::CauseId, u64>>,
    /// Sessions that met an error at a step and left: (time of their first error there, step,
    /// the kinds of errors there as `ErrorKind` bits), for the lost conversions of an
    /// incident's window.
    errored_left_at: Vec<(i64, usize, u8)>,
    by_landing: FxHashMap<Landing, Vec<u64>>,
    by_agent: FxHashMap<u32, Vec<u64>>,
    by_entry: FxHashMap<u32, Vec<u64>>,
    by_speed: [(u64, u64); 5],
    windows: FxHashMap<VisitorId, Window>,
    /// Window starts, earliest first, to close expired windows without scanning them all.
    window_starts: BinaryHeap<Reverse<(i64, VisitorId)>>,
}

impl FunnelStats {
    pub fn new(funnel: Funnel, bit0: usize) -> Self {
        let n = funnel.steps.len();
        Self {
            bit0,
            reached: vec![0; n],
            step_time: (0..n).map(|_| SecondsHistogram::new(24 * 3600)).collect(),
            step_speed: vec![SpeedHistogram::default(); n],
            left_here: vec![0; n],
            left_after_error: vec![0; n],
            server_errors: ErrorSessions::default(),
            kinds: [KindCount::default(); 5],
            error_paths: FxHashMap::default(),
            errored: vec![0; n],
            errored_and_left: vec![0; n],
            clean_reached: vec![0; n],
            clean_converted: vec![0; n],
            errored_by_cause: vec![FxHashMap::default(); n],
            errored_left_at: Vec::new(),
            by_landing: FxHashMap::default(),
            by_agent: FxHashMap::default(),
            by_entry: FxHashMap::default(),
            by_speed: [(0, 0); 5],
            windows: FxHashMap::default(),
            window_starts: BinaryHeap::new(),
            funnel,
        }
    }

    fn steps(&self) -> usize {
        self.funnel.steps.len()
    }

    fn bit(&self, step: usize) -> u64 {
        1 << (self.bit0 + step)
    }

    fn all_bits(&self) -> u64 {
        (((1u128 << self.steps()) - 1) as u64) << self.bit0
    }

    /// Counts the steps reached at `reached_at` (times of steps 0..k, in order).
    fn count_reached(&mut self, reached_at: &[i64]) {
        for (k, _) in reached_at.iter().enumerate() {
            self.reached[k] += 1;
            if k > 0 {
                self.step_time[k].add((reached_at[k] - reached_at[k - 1]) as f64 / 1e6);
            }
        }
    }

    /// Indexes of the events that reached each step, in order (session mode).
    fn reached(&self, events: &[Event]) -> Vec<usize> {
        let n = self.steps();
        let mut reached = Vec::with_capacity(n);
        for (i, e) in events.iter().enumerate() {
            if reached.len() < n && e.matches & self.bit(reached.len()) != 0 {
                reached.push(i);
            }
        }
        reached
    }

    /// Counts a closed session. In session mode, returns when the session was inside this
    /// funnel: from its first step until it converted, or to its end if it left.
    pub fn add_session(&mut self, s: &ClosedSession<'_>) -> Option<(i64, i64)> {
        match self.funnel.mode {
            FunnelMode::Session => self.add_in_session(s),
            FunnelMode::Window => {
                self.add_to_window(s);
                None
            }
        }
    }

    fn add_in_session(&mut self, s: &ClosedSession<'_>) -> Option<(i64, i64)> {
        let n = self.steps();
        let reached_by = self.reached(s.events);
        for (k, &i) in reached_by.iter().enumerate() {
            if let Some(d) = s.events[i].duration_us {
                self.step_speed[k].add(d);
            }
        }
        let reached_at: Vec<i64> = reached_by.iter().map(|&i| s.events[i].ts).collect();
        let reached = reached_at.len();
        let converted = reached == n;
        // The contract figure: a 5xx on any step's URL, in the funnel or not.
        let mask = self.all_bits();
        if s.events
            .iter()
            .any(|e| e.status >= 500 && e.path_matches & mask != 0)
        {
            self.server_errors.sessions += 1;
            // Never reached the last step, in order or not.
            let last = self.bit(n - 1);
            if !s.events.iter().any(|e| e.matches & last != 0) {
                self.server_errors.not_converted += 1;
            }
        }
        if let Some(first_page) = s.pages().next()
            && let Some(d) = first_page.duration_us
        {
            let b = &mut self.by_speed[speed_bucket(d)];
            b.0 += 1;
            b.1 += u64::from(converted);
        }
        if reached == 0 {
            return None;
        }
        self.count_reached(&reached_at);
        bump(
            self.by_landing
                .entry(s.landing)
                .or_insert_with(|| vec![0; n]),
            reached,
        );
        bump(
            self.by_agent.entry(s.agent).or_insert_with(|| vec![0; n]),
            reached,
        );
        if let Some(entry) = s.entry {
            bump(
                self.by_entry.entry(entry).or_insert_with(|| vec![0; n]),
                reached,
            );
        }

        // Errors from entering the first step until converting or leaving.
        let start = reached_at[0];
        let end = if converted {
            reached_at[n - 1]
        } else {
            i64::MAX
        };
        let mut kinds = 0u8;
        let mut errored_at = 0u64;
        let mut first_error_at = vec![i64::MAX; n];
        let mut kinds_at = vec![0u8; n];
        let mut causes_at: Vec<Vec<crate::explain::CauseId>> = vec![Vec::new(); n];
        let mut pairs: Vec<(u16, u32)> = Vec::new();
        for e in s
            .events
            .iter()
            .filter(|e| e.status >= 400 && e.ts >= start && e.ts <= end)
        {
            let Some(kind) = ErrorKind::of(e.status) else {
                continue;
            };
            kinds |= kind.bit();
            let at_step = reached_at.iter().filter(|&&t| t <= e.ts).count().max(1) - 1;
            errored_at |= 1 << at_step;
            first_error_at[at_step] = first_error_at[at_step].min(e.ts);
            kinds_at[at_step] |= kind.bit();
            if !causes_at[at_step].contains(&e.cause) {
                causes_at[at_step].push(e.cause);
            }
            if !pairs.contains(&(e.status, e.path)) {
                pairs.push((e.status, e.path));
            }
        }
        let any = kinds != 0;
        for (i, kind) in ErrorKind::ALL.iter().enumerate() {
            if kinds & kind.bit() != 0 {
                self.kinds[i].sessions += 1;
                self.kinds[i].converted += u64::from(converted);
            }
        }
        if any {
            self.kinds[4].sessions += 1;
            self.kinds[4].converted += u64::from(converted);
        }
        for p in pairs {
            let e = self.error_paths.entry(p).or_default();
            e.0 += 1;
            e.1 += u64::from(!converted);
        }
        if !converted {
            self.left_here[reached - 1] += 1;
            self.left_after_error[reached - 1] += u64::from(any);
        }
        for j in 0..n {
            if errored_at & (1 << j) != 0 {
                self.errored[j] += 1;
                self.errored_and_left[j] += u64::from(!converted);
                for &c in &causes_at[j] {
                    *self.errored_by_cause[j].entry(c).or_default() += 1;
                }
                if !converted {
                    self.errored_left_at
                        .push((first_error_at[j], j, kinds_at[j]));
                }
            }
        }
        if !any {
            for k in 0..reached {
                self.clean_reached[k] += 1;
                self.clean_converted[k] += u64::from(converted);
            }
        }
        Some((start, end))
    }

    /// Window mode: steps in order within `window_s` of the first, across the visitor's sessions.
    fn add_to_window(&mut self, s: &ClosedSession<'_>) {
        let n = self.steps();
        let window = self.funnel.window_s * 1_000_000;
        for e in s.events {
            if let Some(w) = self.windows.get(&s.visitor)
                && e.ts > w.reached_at[0] + window
            {
                let w = self.windows.remove(&s.visitor).expect("just seen");
                self.count_reached(&w.reached_at);
            }
            let first_bit = self.bit(0);
            let bit0 = self.bit0;
            match self.windows.get_mut(&s.visitor) {
                None if e.matches & first_bit != 0 => {
                    self.windows.insert(
                        s.visitor,
                        Window {
                            reached_at: vec![e.ts],
                        },
                    );
                }
                Some(w)
                    if w.reached_at.len() < n
                        && e.matches & (1 << (bit0 + w.reached_at.len())) != 0 =>
                {
                    w.reached_at.push(e.ts);
                }
                _ => {}
            }
        }
    }

    /// Window mode: counts the windows that closed before `clock`.
    pub fn sweep(&mut self, clock: i64) {
        let window = self.funnel.window_s * 1_000_000;
        while let Some(&Reverse((start, visitor))) = self.window_starts.peek() {
            if start + window >= clock {
                break;
            }
            self.window_starts.pop();
            // The visitor's window may have been closed and another opened since.
            if self
                .windows
                .get(&visitor)
                .is_some_and(|w| w.reached_at[0] == start)
            {
                let w = self.windows.remove(&visitor).expect("just seen");
                self.count_reached(&w.reached_at);
            }
        }
    }

    /// The lost-conversion estimate over the sessions whose error at a step came in
    /// `[start, end)` (the same estimate as the whole funnel's, within a window), counting
    /// only errors of the kinds in `kinds` (`ErrorKind` bits).
    pub fn lost_between(&self, start: i64, end: i64, kinds: u8) -> f64 {
        let rate = |j: usize| share(self.clean_converted[j], self.clean_reached[j]);
        lost_in(&self.errored_left_at, rate, start, end, kinds)
    }

    /// The lost-conversion estimate, apart from the funnel (session mode).
    pub fn lost_estimate(&self) -> LostEstimate {
        LostEstimate {
            left_at: self.errored_left_at.clone(),
            rate: (0..self.steps())
                .map(|j| share(self.clean_converted[j], self.clean_reached[j]))
                .collect(),
        }
    }

    pub fn is_session_mode(&self) -> bool {
        self.funnel.mode == FunnelMode::Session
    }

    /// The steps' matchers, in order.
    pub fn matchers(&self) -> impl Iterator<Item = &crate::matcher::Matcher> {
        self.funnel.steps.iter().map(|(_, m)| m)
    }

    pub fn step_names(&self) -> Vec<String> {
        self.funnel.steps.iter().map(|(n, _)| n.clone()).collect()
    }

    pub fn finish(mut self, names: &dyn Names, money: &Money, top: usize) -> FunnelReport {
        let open: Vec<Window> = self.windows.drain().map(|(_, w)| w).collect();
        for w in open {
            self.count_reached(&w.reached_at);
        }
        let n = self.steps();
        let first = self.reached[0];
        let conversions = self.reached[n - 1];
        let steps = (0..n)
            .map(|k| {
                let prev = if k == 0 { first } else { self.reached[k - 1] };
                let timed = k > 0 && self.step_time[k].count() > 0;
                StepReport {
                    name: self.funnel.steps[k].0.clone(),
                    sessions: self.reached[k],
                    conversion_from_previous: share(self.reached[k], prev),
                    conversion_from_first: share(self.reached[k], first),
                    drop_off: prev - self.reached[k],
                    median_s_from_previous: timed.then(|| self.step_time[k].quantile(0.5)),
                    p90_s_from_previous: timed.then(|| self.step_time[k].quantile(0.9)),
                    left_here: self.left_here[k],
                    left_after_error: self.left_after_error[k],
                    duration_p50_ms: self.step_speed[k].quantile_ms(0.5),
                    duration_p95_ms: self.step_speed[k].quantile_ms(0.95),
                }
            })
            .collect();
        let session_mode = self.funnel.mode == FunnelMode::Session;
        let kind_names = ErrorKind::ALL.iter().map(|k| k.as_str()).chain(["any"]);
        let errors_in_funnel = kind_names
            .zip(self.kinds)
            .map(|(k, c)| ErrorKindRow {
                kind: k.into(),
                sessions: c.sessions,
                converted: c.converted,
                not_converted: c.sessions - c.converted,
            })
            .collect();
        let mut error_paths: Vec<ErrorPath> = self
            .error_paths
            .iter()
            .map(|(&(status, path), &(sessions, not_converted))| ErrorPath {
                status,
                path: names.path(path).to_owned(),
                sessions,
                not_converted,
            })
            .collect();
        error_paths.sort_by(|a, b| {
            (b.not_converted, b.sessions)
                .cmp(&(a.not_converted, a.sessions))
                // Server errors first among equals: they are the ones to fix.
                .then_with(|| b.status.cmp(&a.status))
                .then_with(|| a.path.cmp(&b.path))
        });
        error_paths.truncate(top);
        let by_step: Vec<LostAtStep> = (0..n)
            .map(|j| {
                let rate = share(self.clean_converted[j], self.clean_reached[j]);
                LostAtStep {
                    errored_by_cause: self.errored_by_cause[j]
                        .iter()
                        .map(|(&c, &n)| (crate::explain::cause_name(c).to_owned(), n))
                        .collect(),
                    step: self.funnel.steps[j].0.clone(),
                    errored: self.errored[j],
                    errored_and_left: self.errored_and_left[j],
                    clean_conversion_rate: rate,
                    lost: round2(self.errored_and_left[j] as f64 * rate),
                }
            })
            .collect();
        let estimate = round2(by_step.iter().map(|s| s.lost).sum::<f64>());
        let aov = money.average_order_value;
        let breakdown = session_mode.then(|| {
            let rows = |m: FxHashMap<String, Vec<u64>>| -> Vec<BreakdownRow> {
                let mut v: Vec<BreakdownRow> = m
                    .into_iter()
                    .map(|(value, steps)| BreakdownRow {
                        conversion_rate: share(steps[n - 1], steps[0]),
                        value,
                        steps,
                    })
                    .collect();
                v.sort_by(|a, b| {
                    b.steps[0]
                        .cmp(&a.steps[0])
                        .then_with(|| a.value.cmp(&b.value))
                });
                v.truncate(top);
                v
            };
            let fold = |pairs: Vec<(String, &Vec<u64>)>| {
                let mut m: FxHashMap<String, Vec<u64>> = FxHashMap::default();
                for (k, v) in pairs {
                    let e = m.entry(k).or_insert_with(|| vec![0; n]);
                    for (a, b) in e.iter_mut().zip(v) {
                        *a += b;
                    }
                }
                m
            };
            Breakdown {
                channel: rows(fold(
                    self.by_landing
                        .iter()
                        .map(|(l, v)| (names.channel(l), v))
                        .collect(),
                )),
                campaign: rows(fold(
                    self.by_landing
                        .iter()
                        .filter_map(|(l, v)| names.campaign(l).map(|c| (c, v)))
                        .collect(),
                )),
                device: rows(fold(
                    self.by_agent
                        .iter()
                        .map(|(a, v)| (names.device(*a), v))
                        .collect(),
                )),
                landing_page: rows(fold(
                    self.by_entry
                        .iter()
                        .map(|(p, v)| (names.path(*p).to_owned(), v))
                        .collect(),
                )),
            }
        });
        let by_speed = SPEED_BUCKETS
            .iter()
            .zip(self.by_speed)
            .filter(|(_, (s, _))| *s > 0)
            .map(|((label, _), (sessions, conversions))| SpeedRow {
                bucket: (*label).into(),
                sessions,
                conversions,
                conversion_rate: share(conversions, sessions),
            })
            .collect();
        FunnelReport {
            name: self.funnel.name.clone(),
            mode: if session_mode {
                "session".into()
            } else {
                "window".into()
            },
            steps,
            conversions,
            conversion_rate: share(conversions, first),
            revenue: aov.map(|v| round2(conversions as f64 * v)),
            server_errors: self.server_errors.clone(),
            errors_in_funnel,
            error_paths,
            lost_conversions: session_mode.then(|| LostConversions {
                estimate,
                value: aov.map(|v| round2(estimate * v)),
                by_step,
            }),
            breakdown,
            by_speed,
        }
    }
}

/// Sessions reaching steps `0..reached`.
fn bump(v: &mut [u64], reached: usize) {
    for x in &mut v[..reached] {
        *x += 1;
    }
}

/// Conversions of one goal, with the sessions they come from.
pub(crate) struct GoalStats {
    goal: Goal,
    bit: u64,
    conversions: u64,
    by_landing: FxHashMap<Landing, (u64, u64)>,
    by_agent: FxHashMap<u32, (u64, u64)>,
    by_entry: FxHashMap<u32, (u64, u64)>,
    sessions: u64,
}

impl GoalStats {
    pub fn new(goal: Goal, bit: usize) -> Self {
        Self {
            goal,
            bit: 1 << bit,
            conversions: 0,
            by_landing: FxHashMap::default(),
            by_agent: FxHashMap::default(),
            by_entry: FxHashMap::default(),
            sessions: 0,
        }
    }

    pub fn add_session(&mut self, s: &ClosedSession<'_>) {
        let hit = u64::from(s.events.iter().any(|e: &Event| e.matches & self.bit != 0));
        self.sessions += 1;
        self.conversions += hit;
        let add = |e: &mut (u64, u64)| {
            e.0 += 1;
            e.1 += hit;
        };
        add(self.by_landing.entry(s.landing).or_default());
        add(self.by_agent.entry(s.agent).or_default());
        if let Some(p) = s.entry {
            add(self.by_entry.entry(p).or_default());
        }
    }

    pub fn finish(self, names: &dyn Names, top: usize) -> GoalReport {
        let rows = |pairs: Vec<(String, (u64, u64))>| rate_rows(pairs, top);
        GoalReport {
            name: self.goal.name.clone(),
            conversions: self.conversions,
            conversion_rate: share(self.conversions, self.sessions),
            value: goal_value(&self.goal, self.conversions),
            by_channel: rows(
                self.by_landing
                    .iter()
                    .map(|(l, c)| (names.channel(l), *c))
                    .collect(),
            ),
            by_campaign: rows(
                self.by_landing
                    .iter()
                    .filter_map(|(l, c)| names.campaign(l).map(|n| (n, *c)))
                    .collect(),
            ),
            by_landing_page: rows(
                self.by_entry
                    .iter()
                    .map(|(p, c)| (names.path(*p).to_owned(), *c))
                    .collect(),
            ),
            by_device: rows(
                self.by_agent
                    .iter()
                    .map(|(a, c)| (names.device(*a), *c))
                    .collect(),
            ),
        }
    }
}

/// A goal's money: its conversions at its value, when it has one.
pub fn goal_value(goal: &Goal, conversions: u64) -> Option<f64> {
    goal.value.map(|v| round2(conversions as f64 * v))
}

/// A goal's breakdown rows from (value, (sessions, conversions)) pairs, a value's pairs summed:
/// most sessions first, at most `top`.
pub fn rate_rows(pairs: Vec<(String, (u64, u64))>, top: usize) -> Vec<RateRow> {
    let mut m: FxHashMap<String, (u64, u64)> = FxHashMap::default();
    for (k, (s, c)) in pairs {
        let e = m.entry(k).or_default();
        e.0 += s;
        e.1 += c;
    }
    let mut v: Vec<RateRow> = m
        .into_iter()
        .map(|(value, (sessions, conversions))| RateRow {
            value,
            sessions,
            conversions,
            conversion_rate: share(conversions, sessions),
        })
        .collect();
    v.sort_by(|a, b| {
        b.sessions
            .cmp(&a.sessions)
            .then_with(|| a.value.cmp(&b.value))
    });
    v.truncate(top);
    v
}

/// A session's campaign as goals break it down: `source / medium / campaign`, `-` for a
/// missing one; None without any of the three.
pub fn campaign_label(
    source: Option<&str>,
    medium: Option<&str>,
    campaign: Option<&str>,
) -> Option<String> {
    if source.is_none() && medium.is_none() && campaign.is_none() {
        return None;
    }
    let f = |v: Option<&str>| v.unwrap_or("-").to_owned();
    Some(format!("{} / {} / {}", f(source), f(medium), f(campaign)))
}
