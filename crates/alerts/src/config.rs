//! The `[alerts]` section of `clickpath.toml` (docs/alerts.md), and its runtime form.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::labels::Labels;
use crate::rules::{self, RuleDefaults};

const MICROS: i64 = 1_000_000;

/// `[alerts]`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertsConfig {
    /// Labels the notifications are grouped by (`["host"]`).
    pub group_by: Option<Vec<String>>,
    /// Wait this long after a group's first alert before its first notification (`30s`).
    pub group_wait: Option<String>,
    /// Wait this long between notifications of a group that changed (`5m`).
    pub group_interval: Option<String>,
    /// Send a group that has not changed again after this long (`4h`).
    pub repeat_interval: Option<String>,
    /// The dashboard's address: each alert links to its window there.
    pub dashboard_url: Option<String>,
    /// The `host` label (default: the site's first host).
    pub host: Option<String>,
    /// Built-in rules by name: `[alerts.rules.error_burst]`.
    #[serde(default)]
    pub rules: BTreeMap<String, RuleConfig>,
    #[serde(default)]
    pub receiver: Vec<ReceiverConfig>,
    /// Replaces the default inhibition rules when given.
    pub inhibit: Option<Vec<InhibitConfig>>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleConfig {
    pub enabled: Option<bool>,
    /// The condition must hold this long (log time) before the alert fires.
    #[serde(rename = "for")]
    pub for_: Option<String>,
    /// Keep firing this long (log time) after the condition stopped holding.
    pub keep_firing_for: Option<String>,
    pub severity: Option<String>,
    /// `log_silent`: minutes without a new line.
    pub after: Option<String>,
    /// `traffic_drop`, `conversion_drop`, `bot_surge`: the ratio to the baseline that alerts.
    pub ratio: Option<f64>,
    /// `traffic_drop`, `conversion_drop`, `bot_surge`, `log_silent`: the least count expected
    /// in the window for the rule to judge.
    pub min_expected: Option<f64>,
}

/// One receiver: exactly one of `webhook`, `slack`, `alertmanager`, `smtp`, `command`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiverConfig {
    pub name: Option<String>,
    pub webhook: Option<String>,
    pub slack: Option<String>,
    pub alertmanager: Option<String>,
    /// `smtp://user@host:587` (STARTTLS) or `smtps://user@host:465`.
    pub smtp: Option<String>,
    /// A command and its arguments; it reads the JSON on stdin.
    pub command: Option<Vec<String>>,
    /// Bearer token or SMTP password, from a file ...
    pub secret_file: Option<PathBuf>,
    /// ... or an environment variable.
    pub secret_env: Option<String>,
    pub from: Option<String>,
    #[serde(default)]
    pub to: Vec<String>,
    /// Extra CA certificate (PEM) for the SMTP server's or webhook's TLS.
    pub ca_file: Option<PathBuf>,
    /// Per attempt (`10s`).
    pub timeout: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InhibitConfig {
    /// Alert names that mute ...
    pub source: Vec<String>,
    /// ... these alert names ...
    pub target: Vec<String>,
    /// ... when these labels are equal (`["host"]`).
    #[serde(default)]
    pub equal: Vec<String>,
}

/// A duration like `30s`, `5m`, `4h`, `1h30m`, `2d`, `0`, in micros.
pub fn duration(s: &str) -> Result<i64> {
    clickpath_model::parse_duration_micros(s)
        .ok_or_else(|| Error::Config(format!("`{s}` is not a duration like 30s, 5m or 1h30m")))
}

/// One rule as it runs.
#[derive(Clone, Debug)]
pub struct Rule {
    pub name: &'static str,
    pub for_: i64,
    pub keep_firing_for: i64,
    pub severity: String,
    pub after: i64,
    pub ratio: f64,
    pub min_expected: f64,
    /// Rank: the rule that leads a group's story (lower first).
    pub rank: usize,
}

#[derive(Clone, Debug)]
pub struct Inhibit {
    pub source: Vec<String>,
    pub target: Vec<String>,
    pub equal: Vec<String>,
}

/// The whole alert configuration as it runs.
#[derive(Clone, Debug)]
pub struct Settings {
    pub group_by: Vec<String>,
    pub group_wait: i64,
    pub group_interval: i64,
    pub repeat_interval: i64,
    pub dashboard_url: Option<String>,
    pub host: Option<String>,
    pub rules: Vec<Rule>,
    pub inhibit: Vec<Inhibit>,
    pub receivers: Vec<ReceiverConfig>,
}

impl Settings {
    /// The labels every alert carries besides its own.
    pub fn base_labels(&self, rule: &Rule, host: &str) -> Labels {
        let mut l = Labels::new();
        l.insert("alertname".into(), rule.name.to_owned());
        l.insert("host".into(), host.to_owned());
        l.insert("severity".into(), rule.severity.clone());
        l
    }
}

impl AlertsConfig {
    pub fn build(&self) -> Result<Settings> {
        let dur = |v: &Option<String>, default: i64| v.as_deref().map_or(Ok(default), duration);
        for name in self.rules.keys() {
            if !rules::RULES.iter().any(|r| r.name == name) {
                let known: Vec<&str> = rules::RULES.iter().map(|r| r.name).collect();
                return Err(Error::Config(format!(
                    "no rule `{name}`; the rules are {}",
                    known.join(", ")
                )));
            }
        }
        let mut built = Vec::new();
        for (rank, r) in rules::RULES.iter().enumerate() {
            let c = self.rules.get(r.name).cloned().unwrap_or_default();
            if !c.enabled.unwrap_or(true) {
                continue;
            }
            let d: &RuleDefaults = &r.defaults;
            built.push(Rule {
                name: r.name,
                for_: dur(&c.for_, d.for_)?,
                keep_firing_for: dur(&c.keep_firing_for, d.keep_firing_for)?,
                severity: c.severity.unwrap_or_else(|| d.severity.to_owned()),
                after: dur(&c.after, d.after)?,
                ratio: c.ratio.unwrap_or(d.ratio),
                min_expected: c.min_expected.unwrap_or(d.min_expected),
                rank,
            });
        }
        let inhibit = match &self.inhibit {
            Some(list) => list
                .iter()
                .map(|i| Inhibit {
                    source: i.source.clone(),
                    target: i.target.clone(),
                    equal: i.equal.clone(),
                })
                .collect(),
            None => default_inhibit(),
        };
        Ok(Settings {
            group_by: self.group_by.clone().unwrap_or_else(|| vec!["host".into()]),
            group_wait: dur(&self.group_wait, 30 * MICROS)?,
            group_interval: dur(&self.group_interval, 300 * MICROS)?,
            repeat_interval: dur(&self.repeat_interval, 4 * 3600 * MICROS)?,
            dashboard_url: self.dashboard_url.clone(),
            host: self.host.clone(),
            rules: built,
            inhibit,
            receivers: self.receiver.clone(),
        })
    }
}

/// A restart tells the story of the errors, drops and silence around it; an upstream outage
/// that of the errors and drops it causes; a rate-limit storm that of the bots behind it.
fn default_inhibit() -> Vec<Inhibit> {
    let v = |xs: &[&str]| xs.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    vec![
        Inhibit {
            source: v(&["server_restart"]),
            target: v(&[
                "upstream_outage",
                "error_burst",
                "traffic_drop",
                "conversion_drop",
                "log_silent",
                "not_found_storm",
            ]),
            equal: v(&["host"]),
        },
        Inhibit {
            source: v(&["upstream_outage"]),
            target: v(&["error_burst", "traffic_drop", "conversion_drop"]),
            equal: v(&["host"]),
        },
        Inhibit {
            source: v(&["error_burst"]),
            target: v(&["conversion_drop", "traffic_drop"]),
            equal: v(&["host"]),
        },
        Inhibit {
            source: v(&["rate_limit_storm"]),
            target: v(&["bot_surge"]),
            equal: v(&["host"]),
        },
    ]
}

#[cfg(test)]
mod tests {
    #[test]
    fn durations() {
        assert_eq!(super::duration("1h30m").unwrap(), 5_400_000_000);
        assert_eq!(super::duration("0").unwrap(), 0);
        assert!(super::duration("5 minutes").is_err());
        assert!(super::duration("30").is_err());
    }
}
