//! E-mail over SMTP (lettre): `smtp://user@host:587` with STARTTLS required, `smtps://` with
//! TLS from the start; a login when a password is given (file or environment). The message id
//! is the notification's, so a mail system can drop a repeat.

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{Message, SmtpTransport, Transport};

use super::Notifier;
use crate::config::ReceiverConfig;
use crate::error::{Error, Result};
use crate::payload::Notification;

pub struct Smtp {
    transport: SmtpTransport,
    from: String,
    to: Vec<String>,
}

impl Smtp {
    pub fn new(
        url: &str,
        password: Option<String>,
        c: &ReceiverConfig,
        timeout: Duration,
    ) -> Result<Smtp> {
        let bad = |why: String| Error::Receiver {
            spec: super::redact(url),
            why,
        };
        let (wrapper, rest) = match url.split_once("://") {
            Some(("smtp", r)) => (false, r),
            Some(("smtps", r)) => (true, r),
            _ => return Err(bad("not smtp:// or smtps://".into())),
        };
        let rest = rest.trim_end_matches('/');
        let (user, hostport) = match rest.rsplit_once('@') {
            Some((u, _)) if u.contains(':') => {
                return Err(bad(
                    "no password in the URL: use secret_file or secret_env".into()
                ));
            }
            Some((u, h)) => (Some(u.to_owned()), h),
            None => (None, rest),
        };
        let (host, port) = match hostport.rsplit_once(':') {
            Some((h, p)) => (
                h.trim_matches(['[', ']']).to_owned(),
                p.parse::<u16>()
                    .map_err(|_| bad(format!("`{p}` is not a port")))?,
            ),
            None => (hostport.to_owned(), if wrapper { 465 } else { 587 }),
        };
        let mut tls = TlsParameters::builder(host.clone());
        if let Some(ca) = &c.ca_file {
            let pem = std::fs::read(ca).map_err(crate::error::io(ca))?;
            let cert =
                Certificate::from_pem(&pem).map_err(|e| bad(format!("{}: {e}", ca.display())))?;
            tls = tls.add_root_certificate(cert);
        }
        let tls = tls.build_rustls().map_err(|e| bad(e.to_string()))?;
        let mut b = SmtpTransport::builder_dangerous(host.as_str())
            .port(port)
            .timeout(Some(timeout))
            .tls(if wrapper {
                Tls::Wrapper(tls)
            } else {
                Tls::Required(tls)
            });
        match (user, password) {
            (Some(u), Some(p)) => b = b.credentials(Credentials::new(u, p)),
            (Some(u), None) => {
                return Err(bad(format!(
                    "a login as {u} needs its password in {} or a secret_file",
                    c.secret_env.as_deref().unwrap_or("CLICKPATH_SMTP_PASSWORD")
                )));
            }
            _ => {}
        }
        if c.to.is_empty() {
            return Err(bad("no recipient: add ?to=ADDRESS (or `to = [...]`)".into()));
        }
        Ok(Smtp {
            transport: b.build(),
            from: c
                .from
                .clone()
                .unwrap_or_else(|| "clickpath <clickpath@localhost>".into()),
            to: c.to.clone(),
        })
    }
}

impl Notifier for Smtp {
    fn send(&self, n: &Notification, _: &str) -> std::result::Result<(), String> {
        let mut m = Message::builder()
            .from(
                self.from
                    .parse()
                    .map_err(|e| format!("from {}: {e}", self.from))?,
            )
            .subject(n.subject())
            .message_id(Some(format!("<{}@clickpath>", n.id)))
            .header(ContentType::TEXT_PLAIN);
        for to in &self.to {
            m = m.to(to.parse().map_err(|e| format!("to {to}: {e}"))?);
        }
        let email = m.body(n.text()).map_err(|e| e.to_string())?;
        self.transport
            .send(&email)
            .map(|_| ())
            .map_err(|e| format!("SMTP: {e}"))
    }
}
