//! A Slack-compatible incoming-webhook message (`text` + `blocks`, escaped).

use std::time::Duration;

use super::{Notifier, http};
use crate::payload::Notification;

pub struct Slack {
    url: String,
    timeout: Duration,
}

impl Slack {
    pub fn new(url: &str, timeout: Duration) -> Slack {
        Slack {
            url: url.to_owned(),
            timeout,
        }
    }
}

impl Notifier for Slack {
    fn send(&self, n: &Notification, _: &str) -> Result<(), String> {
        http::post_json(&self.url, &n.slack(), &[], self.timeout)
    }
}
