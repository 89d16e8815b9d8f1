//! A notification, and its bodies: Alertmanager's webhook payload (version 4, so receivers
//! built for Alertmanager take it unchanged), Alertmanager's `/api/v2/alerts`, a Slack-style
//! message, and the text of an e-mail.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::labels::Labels;

/// Alertmanager's "no end" time.
const ZERO_TIME: &str = "0001-01-01T00:00:00Z";

pub fn rfc3339(ts: i64) -> String {
    let mut s = String::new();
    // Whole seconds: alert times are minutes or seconds of the log.
    clickpath_model::format_rfc3339_micros(ts.div_euclid(1_000_000) * 1_000_000, &mut s);
    s
}

/// `2026-03-01 10:05 UTC`.
pub fn clock(ts: i64) -> String {
    let t = rfc3339(ts);
    format!("{} {} UTC", &t[..10], &t[11..16])
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct NotifiedAlert {
    /// `firing` or `resolved`.
    pub status: String,
    pub labels: Labels,
    pub annotations: BTreeMap<String, String>,
    /// Log time, UTC micros.
    pub starts_at: i64,
    pub ends_at: Option<i64>,
    pub fingerprint: String,
    pub generator_url: String,
}

/// One notification of one group, as journaled and sent to every receiver.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Notification {
    /// The same for a notification sent again after a restart: receivers may drop repeats.
    pub id: String,
    pub group_key: String,
    pub group_labels: Labels,
    /// `firing` when any alert fires, else `resolved`.
    pub status: String,
    /// Most telling first (the rule that leads the story).
    pub alerts: Vec<NotifiedAlert>,
    pub external_url: String,
    /// Wall clock when it was made, UTC micros.
    pub created: i64,
}

impl Notification {
    /// Labels (or annotations) all alerts share.
    fn common(
        &self,
        f: impl Fn(&NotifiedAlert) -> &BTreeMap<String, String>,
    ) -> BTreeMap<String, String> {
        let mut it = self.alerts.iter();
        let Some(first) = it.next() else {
            return BTreeMap::new();
        };
        let mut common = f(first).clone();
        for a in it {
            common.retain(|k, v| f(a).get(k) == Some(v));
        }
        common
    }

    /// Alertmanager's webhook body (`version` 4) for `receiver`, plus `notificationId`.
    pub fn webhook(&self, receiver: &str) -> Value {
        json!({
            "version": "4",
            "groupKey": self.group_key,
            "truncatedAlerts": 0,
            "status": self.status,
            "receiver": receiver,
            "groupLabels": self.group_labels,
            "commonLabels": self.common(|a| &a.labels),
            "commonAnnotations": self.common(|a| &a.annotations),
            "externalURL": self.external_url,
            "alerts": self.alerts.iter().map(|a| json!({
                "status": a.status,
                "labels": a.labels,
                "annotations": a.annotations,
                "startsAt": rfc3339(a.starts_at),
                "endsAt": a.ends_at.map_or_else(|| ZERO_TIME.to_owned(), rfc3339),
                "generatorURL": a.generator_url,
                "fingerprint": a.fingerprint,
            })).collect::<Vec<_>>(),
            "notificationId": self.id,
        })
    }

    /// Alertmanager's `POST /api/v2/alerts` body (postable alerts).
    pub fn alertmanager(&self) -> Value {
        Value::Array(
            self.alerts
                .iter()
                .map(|a| {
                    let mut v = json!({
                        "labels": a.labels,
                        "annotations": a.annotations,
                        "startsAt": rfc3339(a.starts_at),
                        "generatorURL": a.generator_url,
                    });
                    if let Some(e) = a.ends_at {
                        v["endsAt"] = json!(rfc3339(e));
                    }
                    v
                })
                .collect(),
        )
    }

    /// A one-line subject: `[FIRING:2] server_restart shop.example.com`.
    pub fn subject(&self) -> String {
        let lead = self.alerts.first();
        let firing = self.alerts.iter().filter(|a| a.status == "firing").count();
        let count = if self.status == "firing" {
            firing
        } else {
            self.alerts.len()
        };
        format!(
            "[{}:{}] {} {}",
            self.status.to_uppercase(),
            count,
            lead.and_then(|a| a.labels.get("alertname"))
                .map_or("", |s| s),
            lead.and_then(|a| a.labels.get("host")).map_or("", |s| s),
        )
    }

    /// The text of an e-mail or chat message: each alert's summary, then its figures.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for a in &self.alerts {
            let name = a.labels.get("alertname").map_or("", |s| s);
            out.push_str(&format!(
                "{} {} since {}",
                a.status.to_uppercase(),
                name,
                clock(a.starts_at)
            ));
            if let Some(e) = a.ends_at {
                out.push_str(&format!(", ended {}", clock(e)));
            }
            out.push('\n');
            for (k, v) in &a.annotations {
                out.push_str(&format!("  {k}: {v}\n"));
            }
            out.push('\n');
        }
        out
    }

    /// A Slack-compatible message (`text` + `blocks`). Slack's mrkdwn reads `&`, `<` and `>`
    /// as markup: they are escaped as Slack documents.
    pub fn slack(&self) -> Value {
        let esc = |s: &str| {
            s.replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
        };
        let mut blocks = vec![json!({
            "type": "header",
            "text": {"type": "plain_text", "text": self.subject()}
        })];
        for a in &self.alerts {
            let summary = a.annotations.get("summary").map_or("", |s| s);
            blocks.push(json!({
                "type": "section",
                "text": {"type": "mrkdwn", "text": esc(&format!(
                    "*{}* {} since {}\n{}",
                    a.status,
                    a.labels.get("alertname").map_or("", |s| s),
                    clock(a.starts_at),
                    summary
                ))}
            }));
        }
        json!({"text": esc(&self.subject()), "blocks": blocks})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slack_escapes_markup() {
        let mut ann = BTreeMap::new();
        ann.insert("summary".to_owned(), "<script> & more".to_owned());
        let n = Notification {
            id: "1".into(),
            group_key: "{}".into(),
            group_labels: Labels::new(),
            status: "firing".into(),
            alerts: vec![NotifiedAlert {
                status: "firing".into(),
                labels: Labels::new(),
                annotations: ann,
                starts_at: 0,
                ends_at: None,
                fingerprint: "x".into(),
                generator_url: String::new(),
            }],
            external_url: String::new(),
            created: 0,
        };
        let text = n.slack()["blocks"][1]["text"]["text"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(text.contains("&lt;script&gt; &amp; more"), "{text}");
        assert_eq!(
            n.webhook("r")["alerts"][0]["endsAt"],
            "0001-01-01T00:00:00Z"
        );
        assert_eq!(
            n.webhook("r")["alerts"][0]["startsAt"],
            "1970-01-01T00:00:00Z"
        );
    }
}
