//! Alertmanager's webhook payload, POSTed as JSON; the notification id in `Idempotency-Key`
//! (and the body's `notificationId`), an optional bearer token.

use std::time::Duration;

use super::{Notifier, http};
use crate::payload::Notification;

pub struct Webhook {
    url: String,
    token: Option<String>,
    timeout: Duration,
}

impl Webhook {
    pub fn new(url: &str, token: Option<String>, timeout: Duration) -> Webhook {
        Webhook {
            url: url.to_owned(),
            token,
            timeout,
        }
    }
}

impl Notifier for Webhook {
    fn send(&self, n: &Notification, receiver: &str) -> Result<(), String> {
        let mut headers = vec![("Idempotency-Key", n.id.clone())];
        if let Some(t) = &self.token {
            headers.push(("Authorization", format!("Bearer {t}")));
        }
        http::post_json(&self.url, &n.webhook(receiver), &headers, self.timeout)
    }
}
