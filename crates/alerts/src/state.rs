//! Each alert's state in log time, as Prometheus's rule evaluation keeps it: pending while its
//! condition has held for less than `for`, firing after, kept firing for `keep_firing_for`
//! after the condition stops, then resolved. An alert is its rule plus its labels; its
//! fingerprint is Alertmanager's of those labels.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::config::Rule;
use crate::labels::{Labels, fingerprint};
use crate::rules::Active;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pending,
    Firing,
    Resolved,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Firing => "firing",
            Status::Resolved => "resolved",
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Alert {
    pub rule: String,
    pub rank: usize,
    pub labels: Labels,
    pub fingerprint: String,
    pub status: Status,
    /// Log time (UTC micros) of the first evaluation that saw the condition hold.
    pub active_at: i64,
    /// The start of the log window it is about (Alertmanager's `startsAt`).
    pub starts_at: i64,
    /// The end of that window so far; `endsAt` once resolved.
    pub window_end: i64,
    /// The report's story kind for the window (`server_restart`...).
    pub kind: String,
    /// Log time of the last evaluation that saw the condition hold.
    pub last_held: i64,
    pub value: Option<f64>,
    pub baseline: Option<f64>,
    pub summary: Option<String>,
    /// What a person needs to act, filled in by the engine.
    pub annotations: BTreeMap<String, String>,
    /// It was inhibited while it fired: it stays so until it resolves (the story it belongs
    /// to was told by the alert that inhibited it).
    #[serde(default)]
    pub inhibited: bool,
}

/// Every alert not yet forgotten, by fingerprint.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Alerts {
    pub by_fingerprint: BTreeMap<String, Alert>,
}

/// What changed in one evaluation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    Firing(String),
    Resolved(String),
}

impl Alerts {
    /// One evaluation at log time `now`: `held` are the alerts whose condition holds, with
    /// their rule and labels. `complete` says `now` ends a whole minute: only then do alerts
    /// stop holding (a minute seen in part may still fill up), and a firing alert that has not
    /// held for its rule's `keep_firing_for` is resolved.
    pub fn step(
        &mut self,
        now: i64,
        held: Vec<(&Rule, Labels, Active)>,
        complete: bool,
        rules: &[Rule],
    ) -> Vec<Change> {
        let mut changes = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        for (rule, labels, a) in held {
            let fp = fingerprint(&labels);
            seen.insert(fp.clone());
            let fresh = || Alert {
                rule: rule.name.to_owned(),
                rank: rule.rank,
                labels: labels.clone(),
                fingerprint: fp.clone(),
                status: Status::Pending,
                active_at: now,
                starts_at: a.window.start,
                window_end: a.window.end,
                kind: a.window.kind.as_str().to_owned(),
                last_held: now,
                value: a.value,
                baseline: a.baseline,
                summary: a.summary.clone(),
                annotations: BTreeMap::new(),
                inhibited: false,
            };
            let alert = self.by_fingerprint.entry(fp.clone()).or_insert_with(fresh);
            if alert.status == Status::Resolved {
                // Back before its resolution was told: a new alert (Alertmanager sees the same
                // fingerprint firing, so the flap is not told).
                *alert = fresh();
            }
            alert.last_held = now;
            alert.window_end = alert.window_end.max(a.window.end);
            alert.starts_at = alert.starts_at.min(a.window.start);
            alert.value = a.value;
            alert.baseline = a.baseline;
            if a.summary.is_some() {
                alert.summary = a.summary;
            }
            if alert.status == Status::Pending && now - alert.active_at >= rule.for_ {
                alert.status = Status::Firing;
                changes.push(Change::Firing(fp));
            }
        }
        if !complete {
            return changes;
        }
        let keep_for = |name: &str| {
            rules
                .iter()
                .find(|r| r.name == name)
                .map_or(0, |r| r.keep_firing_for)
        };
        self.by_fingerprint.retain(|fp, a| {
            if seen.contains(fp) {
                return true;
            }
            match a.status {
                // Never fired: forgotten, nothing was told.
                Status::Pending => false,
                Status::Firing => {
                    if now - a.last_held >= keep_for(&a.rule) {
                        a.status = Status::Resolved;
                        changes.push(Change::Resolved(fp.clone()));
                    }
                    true
                }
                Status::Resolved => true,
            }
        });
        changes
    }

    pub fn firing(&self) -> impl Iterator<Item = &Alert> {
        self.by_fingerprint
            .values()
            .filter(|a| a.status == Status::Firing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::AlertsConfig;
    use clickpath_analytics::incidents::{Kind, MINUTE};

    fn held(rule: &Rule, start: i64) -> Vec<(&Rule, Labels, Active)> {
        let labels: Labels = [("alertname".to_owned(), rule.name.to_owned())].into();
        vec![(
            rule,
            labels,
            Active::new(Kind::ErrorBurst, start, start + MINUTE),
        )]
    }

    #[test]
    fn for_and_keep_firing_for() {
        let mut cfg = AlertsConfig::default();
        let r = crate::config::RuleConfig {
            for_: Some("2m".into()),
            keep_firing_for: Some("3m".into()),
            ..Default::default()
        };
        cfg.rules.insert("error_burst".into(), r);
        let settings = cfg.build().unwrap();
        let rule = settings
            .rules
            .iter()
            .find(|r| r.name == "error_burst")
            .unwrap();
        let mut alerts = Alerts::default();
        let m = |i: i64| i * MINUTE;
        // Holds at minutes 0 and 1: pending (for = 2m not reached).
        assert!(
            alerts
                .step(m(0), held(rule, 0), true, &settings.rules)
                .is_empty()
        );
        assert!(
            alerts
                .step(m(1), held(rule, 0), true, &settings.rules)
                .is_empty()
        );
        // At minute 2 it has held 2 minutes: fires.
        let c = alerts.step(m(2), held(rule, 0), true, &settings.rules);
        assert!(matches!(c.as_slice(), [Change::Firing(_)]));
        // Stops at minute 3; kept firing until 3 minutes after minute 2.
        assert!(alerts.step(m(3), vec![], true, &settings.rules).is_empty());
        assert!(alerts.step(m(4), vec![], true, &settings.rules).is_empty());
        let c = alerts.step(m(5), vec![], true, &settings.rules);
        assert!(matches!(c.as_slice(), [Change::Resolved(_)]));
        // A pending alert that stops holding is forgotten without a word.
        let mut other = Alerts::default();
        other.step(m(0), held(rule, 0), true, &settings.rules);
        assert!(other.step(m(1), vec![], true, &settings.rules).is_empty());
        assert!(other.by_fingerprint.is_empty());
    }
}
