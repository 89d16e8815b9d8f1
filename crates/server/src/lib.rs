//! What people look at: the report as one self-contained HTML file ([`html`]) and the dashboard
//! server ([`run`]) with its login ([`users`]).
//!
//! The server knows nothing about logs: a [`Backend`] (the binary's, over the dataset) answers
//! "the report for this filter" and "the requests behind this figure". This crate does HTTP,
//! access control, security headers, TLS and live updates.

pub mod html;
mod metrics;
mod routes;
mod tls;
pub mod users;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::sync::watch;

pub use ipnet::IpNet;
pub use metrics::{Exposition, serve_metrics};
pub use users::{Users, UsersFile};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is damaged: {message}")]
    Damaged { path: String, message: String },
    #[error("{0}")]
    Invalid(String),
    #[error(
        "refusing to serve on {0} without a login: anyone who can reach it would see the data. \
         Add a user with `clickpath user add NAME --users FILE`, then start again with \
         `--users FILE` (or bind 127.0.0.1)"
    )]
    NeedsLogin(SocketAddr),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("TLS: {0}")]
    Tls(String),
}

impl Error {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        Error::Io {
            path: path.display().to_string(),
            source,
        }
    }
}

/// The dashboard's filters, as the query string gives them (checked by [`Filter::from_query`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Filter {
    /// `YYYY-MM-DD`, included.
    pub from: Option<String>,
    pub to: Option<String>,
    /// Sessions whose landing page view came from this channel.
    pub channel: Option<String>,
    /// ... with this `utm_campaign`.
    pub campaign: Option<String>,
    /// ... on this device class.
    pub device: Option<String>,
    /// ... from this country (datasets ingested with `--geoip`).
    pub country: Option<String>,
    /// Humans, bots or (None) both.
    pub audience: Option<Audience>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Audience {
    Humans,
    Bots,
}

/// Which requests a figure stands for (`/api/requests`), within the filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Drill {
    pub path: Option<String>,
    pub status: Option<u16>,
    pub bot: Option<String>,
    /// Requests in `[start, end)`, UTC micros (an incident's window).
    pub start: Option<i64>,
    pub end: Option<i64>,
    /// Status class: `5xx`, `4xx`, or one code's class from `status`.
    pub class: Option<u16>,
    pub limit: usize,
}

const FILTER_KEYS: [&str; 7] = [
    "from", "to", "channel", "campaign", "device", "country", "audience",
];
const DRILL_KEYS: [&str; 7] = ["path", "status", "bot", "start", "end", "class", "limit"];
const LINES_KEYS: [&str; 3] = ["start", "end", "limit"];
/// Most requests one drill-down returns.
pub const MAX_DRILL: usize = 1000;

/// `YYYY-MM-DD`, a day of the calendar (no month 13, no February 31).
fn is_date(s: &str) -> bool {
    clickpath_model::parse_date(s).is_some()
}

impl Filter {
    /// From query parameters; unknown names and malformed values are errors that say which.
    pub fn from_query(q: &HashMap<String, String>, extra: &[&str]) -> Result<Filter, String> {
        for k in q.keys() {
            if !FILTER_KEYS.contains(&k.as_str()) && !extra.contains(&k.as_str()) {
                return Err(format!(
                    "unknown parameter `{k}`; filters are {}",
                    FILTER_KEYS.join(", ")
                ));
            }
        }
        let get = |k: &str| q.get(k).filter(|v| !v.is_empty()).cloned();
        for k in ["from", "to"] {
            if let Some(d) = get(k).filter(|d| !is_date(d)) {
                return Err(format!("`{k}={d}` is not a date like 2026-11-29"));
            }
        }
        let audience = match get("audience").as_deref() {
            None => None,
            Some("humans") => Some(Audience::Humans),
            Some("bots") => Some(Audience::Bots),
            Some(other) => {
                return Err(format!(
                    "`audience={other}`: use humans or bots (or leave it out for both)"
                ));
            }
        };
        Ok(Filter {
            from: get("from"),
            to: get("to"),
            channel: get("channel"),
            campaign: get("campaign"),
            device: get("device"),
            country: get("country"),
            audience,
        })
    }
}

impl Drill {
    pub fn from_query(q: &HashMap<String, String>) -> Result<Drill, String> {
        let get = |k: &str| q.get(k).filter(|v| !v.is_empty()).cloned();
        let status = match get("status") {
            None => None,
            Some(s) => Some(
                s.parse::<u16>()
                    .map_err(|_| format!("`status={s}` is not a status code"))?,
            ),
        };
        let limit = match get("limit") {
            None => 100,
            Some(s) => s
                .parse::<usize>()
                .map_err(|_| format!("`limit={s}` is not a number"))?
                .min(MAX_DRILL),
        };
        let time = |k: &str| -> Result<Option<i64>, String> {
            get(k)
                .map(|t| {
                    clickpath_model::parse_rfc3339(&t)
                        .ok_or_else(|| format!("`{k}={t}` is not a time like 2026-11-29T10:00:00Z"))
                })
                .transpose()
        };
        let class = match get("class").as_deref() {
            None => None,
            Some(c @ ("1xx" | "2xx" | "3xx" | "4xx" | "5xx")) => {
                Some(u16::from(c.as_bytes()[0] - b'0'))
            }
            Some(other) => return Err(format!("`class={other}`: use 2xx, 3xx, 4xx or 5xx")),
        };
        Ok(Drill {
            path: get("path"),
            status,
            bot: get("bot"),
            start: time("start")?,
            end: time("end")?,
            class,
            limit,
        })
    }
}

/// A backend's answer to bad parameters (400) or its own failure (500).
#[derive(Debug)]
pub struct BackendError {
    pub bad_request: bool,
    pub message: String,
}

/// The data behind the dashboard.
pub trait Backend: Send + Sync + 'static {
    /// The data's version now (a dataset's commit). Answers are cached per version and
    /// dropped when it changes, also by another process.
    fn version(&self) -> Result<u64, BackendError>;
    /// The report (the JSON of `clickpath report --json`) for the filter, and the version of
    /// the data it was computed from (one snapshot for the whole answer).
    fn report(&self, filter: &Filter) -> Result<(u64, serde_json::Value), BackendError>;
    /// `{"total": n, "requests": [{"file", "line", "raw", ...}]}`: the requests behind a figure.
    fn requests(&self, filter: &Filter, drill: &Drill) -> Result<serde_json::Value, BackendError>;
    /// `{"total": n, "events": [{"file", "line", "raw", ...}]}`: the error-log events of a
    /// window (`drill.start`, `drill.end`).
    fn error_lines(&self, drill: &Drill) -> Result<serde_json::Value, BackendError>;
    /// Prometheus text for `GET /metrics`, from the unfiltered report (None: no metrics).
    fn metrics(&self, _report: &serde_json::Value) -> Option<String> {
        None
    }
}

/// Tells open dashboards that the data changed (they refetch).
#[derive(Clone)]
pub struct Live(Arc<watch::Sender<u64>>);

impl Default for Live {
    fn default() -> Self {
        Live(Arc::new(watch::channel(0).0))
    }
}

impl Live {
    /// The data changed.
    pub fn changed(&self) {
        self.0.send_modify(|v| *v += 1);
    }
}

/// Certificate chain and private key, PEM.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

pub struct ServerConfig {
    pub bind: SocketAddr,
    /// Who may log in (read again when it changes); `None` or empty at start: nobody needs to
    /// (loopback only).
    pub users: Option<UsersFile>,
    pub tls: Option<TlsFiles>,
    /// Reverse proxies whose `X-Forwarded-For` names the client (the login limit is per
    /// client, not per proxy).
    pub trusted_proxies: Vec<IpNet>,
}

/// Only loopback may be served without users.
pub fn check_access(bind: SocketAddr, users: Option<&Users>) -> Result<(), Error> {
    if users.is_none_or(Users::is_empty) && !bind.ip().is_loopback() {
        return Err(Error::NeedsLogin(bind));
    }
    Ok(())
}

/// Serves until Ctrl-C or SIGTERM. Prints the address it listens on to stderr.
pub fn run(config: ServerConfig, backend: Arc<dyn Backend>, live: Live) -> Result<(), Error> {
    check_access(
        config.bind,
        config.users.as_ref().map(|u| u.current()).as_deref(),
    )?;
    let users = config.users.filter(|u| !u.current().is_empty());
    let tls = config.tls.as_ref().map(tls::server_config).transpose()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Invalid(format!("cannot start the server runtime: {e}")))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(config.bind)
            .await
            .map_err(|source| Error::Bind {
                addr: config.bind,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| Error::Bind {
            addr: config.bind,
            source,
        })?;
        let state =
            routes::State::new(backend, users, tls.is_some(), live, config.trusted_proxies);
        let login = if state.login_required() {
            "login required"
        } else {
            "no login: loopback only"
        };
        let scheme = if tls.is_some() { "https" } else { "http" };
        eprintln!("clickpath: dashboard at {scheme}://{addr}/ ({login}); Ctrl-C stops it");
        if tls.is_none() && !addr.ip().is_loopback() {
            eprintln!(
                "clickpath: warning: plain HTTP off loopback: passwords and session cookies cross the network in clear; give --tls-cert and --tls-key (or put a TLS proxy in front)"
            );
        }
        let app = routes::router(state);
        let result = match tls {
            Some(tls) => {
                let listener = tls::TlsListener::new(listener, tls);
                axum::serve(
                    listener,
                    app.into_make_service_with_connect_info::<routes::Peer>(),
                )
                .with_graceful_shutdown(shutdown())
                .await
            }
            None => {
                axum::serve(
                    listener,
                    app.into_make_service_with_connect_info::<routes::Peer>(),
                )
                .with_graceful_shutdown(shutdown())
                .await
            }
        };
        result.map_err(|source| Error::Bind { addr, source })
    })
}

async fn shutdown() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => return std::future::pending().await,
            };
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
