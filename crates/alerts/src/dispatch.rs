//! From alerts to notifications, as Alertmanager's dispatcher does it (wall clock): alerts are
//! grouped by the `group_by` labels; a new group waits `group_wait` for its companions, a group
//! that changed waits `group_interval` after its last notification, an unchanged one is told
//! again after `repeat_interval`. Inhibited and silenced alerts are left out; an alert whose
//! firing was told is told resolved on the same fingerprint, then forgotten.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::config::{Inhibit, Settings};
use crate::labels::{Labels, text};
use crate::payload::{Notification, NotifiedAlert};
use crate::silence::Silence;
use crate::state::{Alert, Alerts, Status};

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Group {
    pub labels: Labels,
    /// Wall clock (UTC micros) of the next notification, when one is due.
    pub next_flush: Option<i64>,
    pub last_flush: Option<i64>,
    /// What the last notification told: fingerprint -> status.
    pub told: BTreeMap<String, String>,
    /// Notifications of this group so far (part of their ids).
    pub flushes: u64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Dispatcher {
    pub groups: BTreeMap<String, Group>,
}

fn inhibited(a: &Alert, all: &Alerts, rules: &[Inhibit]) -> bool {
    rules.iter().any(|r| {
        r.target.contains(&a.rule)
            && all.firing().any(|s| {
                s.fingerprint != a.fingerprint
                    && r.source.contains(&s.rule)
                    && r.equal.iter().all(|k| s.labels.get(k) == a.labels.get(k))
            })
    })
}

/// FNV-1a 64 of a text, hex (ids need no secrecy, only stability across restarts).
fn id_of(s: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}

impl Dispatcher {
    /// The notifications due at `wall` (the delivery clock), `silences` being those in force.
    /// An alert that fired is told firing at least once, even if it resolved before its group
    /// was due (a log read faster than real time); resolved alerts are told once, then removed
    /// from `alerts`, as are those that never fired unmuted.
    pub fn flush(
        &mut self,
        alerts: &mut Alerts,
        settings: &Settings,
        silences: &[Silence],
        wall: i64,
    ) -> Vec<Notification> {
        let group_of = |a: &Alert| -> Labels {
            settings
                .group_by
                .iter()
                .filter_map(|k| a.labels.get(k).map(|v| (k.clone(), v.clone())))
                .collect()
        };
        // Every alert that may be told, by group.
        let mut members: BTreeMap<String, (Labels, Vec<String>)> = BTreeMap::new();
        for a in alerts.by_fingerprint.values() {
            if a.status == Status::Pending {
                continue;
            }
            let labels = group_of(a);
            let key = format!("{{}}:{}", text(&labels));
            members
                .entry(key)
                .or_insert_with(|| (labels, Vec::new()))
                .1
                .push(a.fingerprint.clone());
        }
        let mut out = Vec::new();
        let mut forget: Vec<String> = Vec::new();
        let mut inhibited_now: Vec<String> = Vec::new();
        for (key, (labels, fps)) in &members {
            let group = self.groups.entry(key.clone()).or_insert_with(|| Group {
                labels: labels.clone(),
                next_flush: Some(wall + settings.group_wait),
                ..Group::default()
            });
            // What would be told now.
            let mut now: Vec<(&Alert, Status)> = Vec::new();
            for fp in fps {
                let a = &alerts.by_fingerprint[fp];
                let inhibit = a.inhibited || inhibited(a, alerts, &settings.inhibit);
                let muted = inhibit || silences.iter().any(|s| s.mutes(&a.labels));
                let told_firing = group.told.get(fp).is_some_and(|s| s == "firing");
                if inhibit && !a.inhibited && a.status == Status::Firing && !told_firing {
                    inhibited_now.push(fp.clone());
                }
                match a.status {
                    Status::Firing if !muted => now.push((a, Status::Firing)),
                    Status::Resolved if told_firing => now.push((a, Status::Resolved)),
                    // Fired and over before it was told: told as it was, firing, first.
                    Status::Resolved if !muted => now.push((a, Status::Firing)),
                    Status::Resolved => forget.push(fp.clone()),
                    _ => {}
                }
            }
            now.sort_by(|(x, _), (y, _)| (x.rank, &x.fingerprint).cmp(&(y.rank, &y.fingerprint)));
            let content: BTreeMap<String, String> = now
                .iter()
                .map(|(a, st)| (a.fingerprint.clone(), st.as_str().to_owned()))
                .collect();
            let changed = content != group.told;
            if changed && group.next_flush.is_none() {
                group.next_flush = Some(match group.last_flush {
                    Some(last) => (last + settings.group_interval).max(wall),
                    None => wall + settings.group_wait,
                });
            }
            let repeat = !changed
                && content.values().any(|s| s == "firing")
                && group
                    .last_flush
                    .is_some_and(|l| wall >= l + settings.repeat_interval);
            let due = group.next_flush.is_some_and(|t| wall >= t);
            if !(repeat || (due && changed)) {
                if due {
                    group.next_flush = None;
                }
                continue;
            }
            group.next_flush = None;
            group.last_flush = Some(wall);
            group.flushes += 1;
            let notified: Vec<NotifiedAlert> = now
                .iter()
                .map(|(a, st)| NotifiedAlert {
                    status: st.as_str().to_owned(),
                    labels: a.labels.clone(),
                    annotations: a.annotations.clone(),
                    starts_at: a.starts_at,
                    ends_at: (*st == Status::Resolved).then_some(a.window_end),
                    fingerprint: a.fingerprint.clone(),
                    generator_url: a.annotations.get("dashboard").cloned().unwrap_or_default(),
                })
                .collect();
            let status = if notified.iter().any(|a| a.status == "firing") {
                "firing"
            } else {
                "resolved"
            };
            let fingerprint_text: Vec<String> = notified
                .iter()
                .map(|a| format!("{}:{}:{}", a.fingerprint, a.status, a.starts_at))
                .collect();
            out.push(Notification {
                id: id_of(&format!(
                    "{key}|{}|{}",
                    group.flushes,
                    fingerprint_text.join(",")
                )),
                group_key: key.clone(),
                group_labels: group.labels.clone(),
                status: status.to_owned(),
                alerts: notified,
                external_url: settings.dashboard_url.clone().unwrap_or_default(),
                created: wall,
            });
            // Resolved alerts are told once.
            for (a, st) in &now {
                if *st == Status::Resolved {
                    forget.push(a.fingerprint.clone());
                }
            }
            group.told = content.into_iter().filter(|(_, s)| s == "firing").collect();
        }
        for fp in inhibited_now {
            if let Some(a) = alerts.by_fingerprint.get_mut(&fp) {
                a.inhibited = true;
            }
        }
        for fp in forget {
            alerts.by_fingerprint.remove(&fp);
        }
        // Groups with nothing left to tell are closed.
        self.groups
            .retain(|key, g| members.contains_key(key) || g.next_flush.is_some());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::AlertsConfig;
    use crate::labels::fingerprint;

    const S: i64 = 1_000_000;

    fn alert(rule: &str, rank: usize, status: Status) -> Alert {
        let labels: Labels = [
            ("alertname".to_owned(), rule.to_owned()),
            ("host".to_owned(), "shop".to_owned()),
        ]
        .into();
        Alert {
            rule: rule.to_owned(),
            rank,
            fingerprint: fingerprint(&labels),
            labels,
            status,
            active_at: 0,
            starts_at: 0,
            window_end: 60 * S,
            kind: "error_burst".into(),
            last_held: 0,
            value: None,
            baseline: None,
            summary: None,
            annotations: BTreeMap::new(),
            inhibited: false,
        }
    }

    fn add(alerts: &mut Alerts, a: Alert) -> String {
        let fp = a.fingerprint.clone();
        alerts.by_fingerprint.insert(fp.clone(), a);
        fp
    }

    #[test]
    fn group_wait_interval_inhibition_and_resolved() {
        let settings = AlertsConfig {
            group_wait: Some("30s".into()),
            group_interval: Some("5m".into()),
            repeat_interval: Some("4h".into()),
            ..Default::default()
        }
        .build()
        .unwrap();
        let mut d = Dispatcher::default();
        let mut alerts = Alerts::default();
        let burst = add(&mut alerts, alert("error_burst", 4, Status::Firing));
        // Nothing before group_wait.
        assert!(d.flush(&mut alerts, &settings, &[], 0).is_empty());
        assert!(d.flush(&mut alerts, &settings, &[], 29 * S).is_empty());
        // The outage arrives within group_wait: one notification, the outage first, the burst
        // it inhibits left out (and kept out after).
        let outage = add(&mut alerts, alert("upstream_outage", 1, Status::Firing));
        let n = d.flush(&mut alerts, &settings, &[], 30 * S);
        assert_eq!(n.len(), 1);
        let names: Vec<&str> = n[0]
            .alerts
            .iter()
            .map(|a| a.labels["alertname"].as_str())
            .collect();
        assert_eq!(names, ["upstream_outage"]);
        // The outage resolves: told after group_interval, not before.
        alerts.by_fingerprint.get_mut(&outage).unwrap().status = Status::Resolved;
        assert!(d.flush(&mut alerts, &settings, &[], 60 * S).is_empty());
        let n = d.flush(&mut alerts, &settings, &[], 330 * S);
        assert_eq!(n.len(), 1);
        assert_eq!(n[0].status, "resolved");
        assert_eq!(n[0].alerts[0].ends_at, Some(60 * S));
        // Told once, then forgotten; the burst stays inhibited (it was, when it fired).
        assert!(!alerts.by_fingerprint.contains_key(&outage));
        assert!(
            d.flush(&mut alerts, &settings, &[], 4 * 3600 * S)
                .is_empty()
        );
        assert!(alerts.by_fingerprint[&burst].inhibited);
    }

    #[test]
    fn an_alert_over_before_its_group_was_due_is_told_firing_then_resolved() {
        let settings = AlertsConfig {
            group_wait: Some("30s".into()),
            group_interval: Some("1m".into()),
            ..Default::default()
        }
        .build()
        .unwrap();
        let mut d = Dispatcher::default();
        let mut alerts = Alerts::default();
        let fp = add(&mut alerts, alert("error_burst", 4, Status::Firing));
        assert!(d.flush(&mut alerts, &settings, &[], 0).is_empty());
        alerts.by_fingerprint.get_mut(&fp).unwrap().status = Status::Resolved;
        let n = d.flush(&mut alerts, &settings, &[], 30 * S);
        assert_eq!((n.len(), n[0].alerts[0].status.as_str()), (1, "firing"));
        let n = d.flush(&mut alerts, &settings, &[], 90 * S);
        assert_eq!((n.len(), n[0].alerts[0].status.as_str()), (1, "resolved"));
        // Ids differ between notifications and would be the same when made again.
        assert!(alerts.by_fingerprint.is_empty());
    }
}
