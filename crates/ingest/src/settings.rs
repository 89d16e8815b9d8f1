//! The settings a dataset's derived columns depend on (session rules, visitor key, page rules,
//! site hosts, addresses and countries), kept in its manifest. One dataset has one set: every
//! ingest into it, and every report or dashboard over it, uses them; a flag that asks for
//! another value is refused (never mixed with the stored session ids).

use std::path::Path;

use clickpath_analytics::pages::PageRules;
use clickpath_analytics::{SessionRules, TrafficConfig, VisitorKey};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// As stored in `manifest.json` (`settings`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatasetSettings {
    pub session_timeout_s: i64,
    pub split_at_midnight: bool,
    pub split_on_campaign: bool,
    /// `ip+ua` or `ip`.
    pub visitor_key: String,
    /// Empty: none given and none could be inferred.
    pub site_hosts: Vec<String>,
    /// The site hosts were inferred from the first lines of the first ingest (none given).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub site_hosts_inferred: bool,
    /// Empty: the default (`/api/`).
    pub api_prefixes: Vec<String>,
    pub raw_ip: bool,
    /// A `country` column looked up at ingest (only datasets with countries say so).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub geoip: bool,
}

/// What a command's flags ask for; `None` (or empty) when not given.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GivenSettings {
    pub session_timeout_s: Option<i64>,
    pub split_at_midnight: bool,
    pub split_on_campaign: bool,
    pub visitor_key: Option<VisitorKey>,
    pub site_hosts: Vec<String>,
    pub api_prefixes: Vec<String>,
    pub raw_ip: bool,
    pub geoip: bool,
}

fn key_name(k: VisitorKey) -> &'static str {
    match k {
        VisitorKey::IpUa => "ip+ua",
        VisitorKey::Ip => "ip",
    }
}

fn sorted(v: &[String]) -> Vec<String> {
    let mut v: Vec<String> = v.iter().map(|s| s.to_ascii_lowercase()).collect();
    v.sort();
    v.dedup();
    v
}

impl GivenSettings {
    /// The settings of a new dataset: what was given, else the defaults.
    pub fn or_defaults(&self) -> DatasetSettings {
        DatasetSettings {
            session_timeout_s: self
                .session_timeout_s
                .unwrap_or(SessionRules::default().timeout_s),
            split_at_midnight: self.split_at_midnight,
            split_on_campaign: self.split_on_campaign,
            visitor_key: key_name(self.visitor_key.unwrap_or(VisitorKey::IpUa)).into(),
            site_hosts: sorted(&self.site_hosts),
            site_hosts_inferred: false,
            api_prefixes: self.api_prefixes.clone(),
            raw_ip: self.raw_ip,
            geoip: self.geoip,
        }
    }

    /// The dataset's settings, checked against what was given: a given value that differs is
    /// an error that names it. `raw_ip` and `geoip` may be asked of a dataset that has them.
    pub fn check(&self, dir: &Path, stored: &DatasetSettings) -> Result<DatasetSettings> {
        let refuse = |setting: &str, dataset: String, given: String| {
            Err(Error::Settings {
                dir: dir.to_path_buf(),
                setting: setting.into(),
                dataset,
                given,
            })
        };
        if let Some(t) = self.session_timeout_s
            && t != stored.session_timeout_s
        {
            return refuse(
                "--session-timeout",
                format!("{}s", stored.session_timeout_s),
                format!("{t}s"),
            );
        }
        for (flag, given, have) in [
            (
                "--split-at-midnight",
                self.split_at_midnight,
                stored.split_at_midnight,
            ),
            (
                "--split-on-campaign",
                self.split_on_campaign,
                stored.split_on_campaign,
            ),
            ("--raw-ip", self.raw_ip, stored.raw_ip),
            ("--geoip", self.geoip, stored.geoip),
        ] {
            if given && !have {
                return refuse(flag, "off".into(), "on".into());
            }
        }
        if let Some(k) = self.visitor_key
            && key_name(k) != stored.visitor_key
        {
            return refuse(
                "--visitor-key",
                stored.visitor_key.clone(),
                key_name(k).into(),
            );
        }
        let hosts = sorted(&self.site_hosts);
        if !hosts.is_empty() && hosts != sorted(&stored.site_hosts) {
            let shown = |h: &[String]| {
                if h.is_empty() {
                    "none".to_owned()
                } else {
                    h.join(", ")
                }
            };
            return refuse(
                "site hosts (--site-host, site_hosts in the config)",
                shown(&stored.site_hosts),
                shown(&hosts),
            );
        }
        if !self.api_prefixes.is_empty() && self.api_prefixes != stored.api_prefixes {
            return refuse(
                "--api-prefix",
                format!("{:?}", stored.api_prefixes),
                format!("{:?}", self.api_prefixes),
            );
        }
        Ok(stored.clone())
    }
}

impl DatasetSettings {
    /// From a manifest's `settings`.
    pub fn from_json(dir: &Path, v: &serde_json::Value) -> Result<Self> {
        serde_json::from_value(v.clone()).map_err(|e| Error::Damaged {
            path: dir.join(clickpath_store::dataset::MANIFEST),
            message: format!("its settings do not read: {e}"),
        })
    }

    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("settings serialise")
    }

    pub fn rules(&self) -> SessionRules {
        SessionRules {
            timeout_s: self.session_timeout_s,
            split_at_midnight: self.split_at_midnight,
            split_on_campaign: self.split_on_campaign,
        }
    }

    pub fn visitor_key(&self) -> VisitorKey {
        if self.visitor_key == "ip" {
            VisitorKey::Ip
        } else {
            VisitorKey::IpUa
        }
    }

    /// What the report says the site hosts came from.
    pub fn site_hosts_from(&self) -> &'static str {
        if self.site_hosts_inferred {
            "inferred at ingest"
        } else {
            "flag"
        }
    }

    pub fn page_rules(&self) -> PageRules {
        let mut pages = PageRules::default();
        if !self.api_prefixes.is_empty() {
            pages.api_prefixes = self.api_prefixes.clone();
        }
        pages
    }

    /// The report's configuration these settings fix (no funnels, goals or money: those are
    /// the reader's).
    pub fn traffic_config(&self) -> TrafficConfig {
        let rules = self.rules();
        TrafficConfig {
            session_timeout_s: rules.timeout_s,
            split_at_midnight: rules.split_at_midnight,
            split_on_campaign: rules.split_on_campaign,
            visitor_key: self.visitor_key(),
            pages: self.page_rules(),
            site_hosts: self.site_hosts.clone(),
            site_hosts_from: self.site_hosts_from().to_owned(),
            ..TrafficConfig::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_values_must_match_the_dataset() {
        let dir = Path::new("/d");
        let stored = GivenSettings {
            split_at_midnight: true,
            ..Default::default()
        }
        .or_defaults();
        // Nothing given: the dataset's.
        assert_eq!(
            GivenSettings::default().check(dir, &stored).unwrap(),
            stored
        );
        let err = GivenSettings {
            session_timeout_s: Some(600),
            ..Default::default()
        }
        .check(dir, &stored)
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("--session-timeout 1800s; this run asks for 600s"),
            "{err}"
        );
        let err = GivenSettings {
            site_hosts: vec!["shop.example.com".into()],
            ..Default::default()
        }
        .check(dir, &stored)
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("site_hosts in the config) none; this run"),
            "{err}"
        );
        // The stored JSON keeps the shape older datasets have.
        let v = stored.to_json();
        assert_eq!(v["visitor_key"], "ip+ua");
        assert!(v.get("geoip").is_none());
    }
}
