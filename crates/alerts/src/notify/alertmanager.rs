//! Hands the alerts to an Alertmanager (`POST {url}/api/v2/alerts`), which then groups and
//! routes them itself.

use std::time::Duration;

use super::{Notifier, http};
use crate::payload::Notification;

pub struct Alertmanager {
    url: String,
    timeout: Duration,
}

impl Alertmanager {
    pub fn new(url: &str, timeout: Duration) -> Alertmanager {
        Alertmanager {
            url: format!("{}/api/v2/alerts", url.trim_end_matches('/')),
            timeout,
        }
    }
}

impl Notifier for Alertmanager {
    fn send(&self, n: &Notification, _: &str) -> Result<(), String> {
        http::post_json(&self.url, &n.alertmanager(), &[], self.timeout)
    }
}
