//! The built-in rules, one per file, a row each in [`RULES`] (docs/alerts.md). A rule reads what
//! the incident detectors saw of the recent minutes (`TrafficAggregator::live`) and says which
//! alerts hold now, in log time. The first five are the incident detectors themselves.

mod bot_surge;
mod conversion_drop;
mod incident;
mod log_silent;
mod traffic_drop;

use clickpath_analytics::incidents::{Kind, LiveView, MINUTE, Window};

use crate::config::Rule;
use crate::history::History;
use crate::labels::Labels;

/// What a rule reads.
pub struct Input<'a> {
    pub view: &'a LiveView,
    pub history: &'a History,
    /// The log time of the evaluation (UTC micros).
    pub now: i64,
    /// Wall-clock micros since the followed logs last grew (only while following).
    pub silent_for: Option<i64>,
}

impl Input<'_> {
    /// The start of the minute `now` is in.
    pub fn minute(&self) -> i64 {
        self.now.div_euclid(MINUTE) * MINUTE
    }
}

/// An alert that holds now.
#[derive(Clone, Debug)]
pub struct Active {
    /// Labels beside `alertname`, `host`, `severity` (`upstream`, `funnel`).
    pub labels: Labels,
    /// The log window it is about (for the incident's figures and first lines); `kind` says
    /// which of the report's stories tells it best.
    pub window: Window,
    /// What the rule saw and what it expected, when the rule compares with a baseline.
    pub value: Option<f64>,
    pub baseline: Option<f64>,
    /// The rule's own sentence, when the incident's story is not the right one.
    pub summary: Option<String>,
}

impl Active {
    pub(crate) fn new(kind: Kind, start: i64, end: i64) -> Active {
        Active {
            labels: Labels::new(),
            window: Window { kind, start, end },
            value: None,
            baseline: None,
            summary: None,
        }
    }
}

/// Defaults of a rule.
pub struct RuleDefaults {
    pub for_: i64,
    pub keep_firing_for: i64,
    pub severity: &'static str,
    pub after: i64,
    pub ratio: f64,
    pub min_expected: f64,
}

pub struct Registered {
    pub name: &'static str,
    pub eval: fn(&Input<'_>, &Rule) -> Vec<Active>,
    pub defaults: RuleDefaults,
}

const M: i64 = MINUTE;

const fn d(for_: i64, keep: i64, severity: &'static str) -> RuleDefaults {
    RuleDefaults {
        for_,
        keep_firing_for: keep,
        severity,
        after: 5 * M,
        ratio: 0.0,
        min_expected: 0.0,
    }
}

/// The rules, in the order they lead a group's story.
pub const RULES: &[Registered] = &[
    Registered {
        name: "server_restart",
        eval: incident::server_restart,
        defaults: d(0, 10 * M, "critical"),
    },
    Registered {
        name: "upstream_outage",
        eval: incident::upstream_outage,
        defaults: d(0, 15 * M, "critical"),
    },
    Registered {
        name: "rate_limit_storm",
        eval: incident::rate_limit_storm,
        defaults: d(0, 5 * M, "warning"),
    },
    Registered {
        name: "not_found_storm",
        eval: incident::not_found_storm,
        defaults: d(0, 10 * M, "warning"),
    },
    Registered {
        name: "error_burst",
        eval: incident::error_burst,
        defaults: d(0, 5 * M, "critical"),
    },
    Registered {
        name: "conversion_drop",
        eval: conversion_drop::eval,
        defaults: RuleDefaults {
            ratio: 0.3,
            min_expected: 5.0,
            ..d(0, 15 * M, "critical")
        },
    },
    Registered {
        name: "bot_surge",
        eval: bot_surge::eval,
        defaults: RuleDefaults {
            ratio: 5.0,
            min_expected: 3000.0,
            ..d(0, 10 * M, "warning")
        },
    },
    Registered {
        name: "traffic_drop",
        eval: traffic_drop::eval,
        defaults: RuleDefaults {
            ratio: 0.5,
            min_expected: 30.0,
            ..d(5 * M, 15 * M, "warning")
        },
    },
    Registered {
        name: "log_silent",
        eval: log_silent::eval,
        defaults: RuleDefaults {
            min_expected: 30.0,
            ..d(0, 0, "critical")
        },
    },
];

pub(crate) fn registered(name: &str) -> Option<&'static Registered> {
    RULES.iter().find(|r| r.name == name)
}
