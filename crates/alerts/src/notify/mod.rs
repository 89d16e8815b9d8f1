//! Receivers: one file per kind of notifier, each behind [`Notifier`]; `deliver.rs` runs one
//! thread per receiver over its journal, with timeouts and retries with backoff.

mod alertmanager;
mod command;
pub mod deliver;
mod http;
mod slack;
mod smtp;
mod webhook;

use std::time::Duration;

use crate::config::{ReceiverConfig, duration};
use crate::error::{Error, Result};
use crate::payload::Notification;

pub trait Notifier: Send + Sync {
    /// Sends one notification; an error is retried later (`deliver.rs`).
    fn send(&self, n: &Notification, receiver: &str) -> std::result::Result<(), String>;
}

pub struct Receiver {
    pub name: String,
    /// `webhook`, `slack`, `alertmanager`, `smtp` or `command`.
    pub kind: &'static str,
    pub notifier: Box<dyn Notifier>,
}

/// `--notify SPEC`: `webhook:URL`, `slack:URL`, `alertmanager:URL`,
/// `smtp://user@host:587?from=A&to=B` (password from `CLICKPATH_SMTP_PASSWORD`) or `cmd:COMMAND`.
pub fn from_spec(spec: &str) -> Result<ReceiverConfig> {
    let bad = |why: &str| Error::Receiver {
        spec: redact(spec),
        why: why.to_owned(),
    };
    let mut c = ReceiverConfig::default();
    if let Some(url) = spec.strip_prefix("webhook:") {
        c.webhook = Some(url.to_owned());
        c.secret_env = Some("CLICKPATH_WEBHOOK_TOKEN".into());
    } else if let Some(url) = spec.strip_prefix("slack:") {
        c.slack = Some(url.to_owned());
    } else if let Some(url) = spec.strip_prefix("alertmanager:") {
        c.alertmanager = Some(url.to_owned());
    } else if let Some(cmd) = spec.strip_prefix("cmd:") {
        if cmd.trim().is_empty() {
            return Err(bad("no command after cmd:"));
        }
        c.command = Some(vec!["/bin/sh".into(), "-c".into(), cmd.to_owned()]);
    } else if spec.starts_with("smtp://") || spec.starts_with("smtps://") {
        let (base, query) = spec.split_once('?').unwrap_or((spec, ""));
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            match pair.split_once('=') {
                Some(("to", v)) => c.to.push(v.to_owned()),
                Some(("from", v)) => c.from = Some(v.to_owned()),
                Some(("ca", v)) => c.ca_file = Some(v.into()),
                _ => return Err(bad("the SMTP options are to=, from= and ca=")),
            }
        }
        let rest = base.split_once("://").map_or("", |(_, r)| r);
        if rest
            .split_once('@')
            .is_some_and(|(user, _)| user.contains(':'))
        {
            return Err(bad(
                "no password in the URL: put it in CLICKPATH_SMTP_PASSWORD or a secret_file",
            ));
        }
        c.smtp = Some(base.to_owned());
        c.secret_env = Some("CLICKPATH_SMTP_PASSWORD".into());
    } else {
        return Err(bad("unknown kind"));
    }
    Ok(c)
}

/// `scheme://user:***@host...`: a password given in a URL is never printed.
pub(crate) fn redact(spec: &str) -> String {
    let Some((scheme, rest)) = spec.split_once("://") else {
        return spec.to_owned();
    };
    match rest.split_once('@') {
        Some((user, host)) if user.contains(':') => {
            let name = user.split(':').next().unwrap_or("");
            format!("{scheme}://{name}:***@{host}")
        }
        _ => spec.to_owned(),
    }
}

/// The secret of a receiver: from its file, else its environment variable (never printed).
fn secret(c: &ReceiverConfig) -> Result<Option<String>> {
    if let Some(p) = &c.secret_file {
        let s = std::fs::read_to_string(p).map_err(crate::error::io(p))?;
        return Ok(Some(s.trim_end_matches(['\n', '\r']).to_owned()));
    }
    Ok(c.secret_env
        .as_deref()
        .and_then(|v| std::env::var(v).ok())
        .filter(|s| !s.is_empty()))
}

pub fn build(c: &ReceiverConfig, index: usize) -> Result<Receiver> {
    let timeout = Duration::from_micros(
        c.timeout
            .as_deref()
            .map_or(Ok(10_000_000), duration)?
            .max(1) as u64,
    );
    let kinds = [
        c.webhook.is_some(),
        c.slack.is_some(),
        c.alertmanager.is_some(),
        c.smtp.is_some(),
        c.command.is_some(),
    ];
    if kinds.iter().filter(|k| **k).count() != 1 {
        return Err(Error::Config(format!(
            "receiver {}: give exactly one of webhook, slack, alertmanager, smtp, command",
            index + 1
        )));
    }
    let secret = secret(c)?;
    let (kind, notifier): (&'static str, Box<dyn Notifier>) = if let Some(url) = &c.webhook {
        (
            "webhook",
            Box::new(webhook::Webhook::new(url, secret, timeout)),
        )
    } else if let Some(url) = &c.slack {
        ("slack", Box::new(slack::Slack::new(url, timeout)))
    } else if let Some(url) = &c.alertmanager {
        (
            "alertmanager",
            Box::new(alertmanager::Alertmanager::new(url, timeout)),
        )
    } else if let Some(url) = &c.smtp {
        ("smtp", Box::new(smtp::Smtp::new(url, secret, c, timeout)?))
    } else {
        let argv = c.command.clone().unwrap_or_default();
        if argv.is_empty() {
            return Err(Error::Config(format!(
                "receiver {}: empty command",
                index + 1
            )));
        }
        ("command", Box::new(command::Command::new(argv, timeout)))
    };
    Ok(Receiver {
        name: c
            .name
            .clone()
            .unwrap_or_else(|| format!("{kind}-{}", index + 1)),
        kind,
        notifier,
    })
}
