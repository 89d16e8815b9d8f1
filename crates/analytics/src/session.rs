//! What a session keeps while open, shared by the aggregators that read closed sessions.

use crate::channel::ClickIds;

/// Where a session landed from: interned referrer host, UTM set, click ids, request host.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) struct Landing {
    pub referrer_host: u32,
    pub utm: u32,
    pub clicks: ClickIds,
    pub vhost: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct VisitorId {
    pub client: u64,
    pub agent: u32,
}

/// A request worth keeping in the session: a page view, an error response, or a request that
/// matches a funnel step or goal.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Event {
    pub ts: i64,
    pub path: u32,
    /// 0 when the log had no status.
    pub status: u16,
    pub page: bool,
    /// Funnel steps and goals this request matches (one bit each).
    pub matches: u64,
    /// Funnel steps whose path conditions alone this request matches (for errors).
    pub path_matches: u64,
    pub duration_us: Option<u64>,
    /// Referrer (interned host, interned path) of a 404.
    pub referrer: (u32, u32),
    /// What the error log says caused an error response (`explain::NONE`: nothing).
    pub cause: crate::explain::CauseId,
}

/// A closed session, events ordered by time, as the funnel, goal and error aggregators see it.
pub(crate) struct ClosedSession<'a> {
    pub visitor: VisitorId,
    pub events: &'a [Event],
    pub landing: Landing,
    pub agent: u32,
    /// Path of the first page view.
    pub entry: Option<u32>,
}

impl ClosedSession<'_> {
    pub fn pages(&self) -> impl Iterator<Item = &Event> {
        self.events.iter().filter(|e| e.page)
    }
}

/// Kinds of error responses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ErrorKind {
    /// 5xx
    Server,
    /// 401, 403, 405, 406, 407, 429, 444, 451, 499: a WAF, rate limiter or rule turned it away.
    Rejected,
    /// 404, 410
    NotFound,
    /// Any other 4xx.
    OtherClient,
}

impl ErrorKind {
    pub const ALL: [ErrorKind; 4] = [
        ErrorKind::Server,
        ErrorKind::Rejected,
        ErrorKind::NotFound,
        ErrorKind::OtherClient,
    ];

    pub fn of(status: u16) -> Option<ErrorKind> {
        match status {
            500..=599 => Some(ErrorKind::Server),
            401 | 403 | 405 | 406 | 407 | 429 | 444 | 451 | 499 => Some(ErrorKind::Rejected),
            404 | 410 => Some(ErrorKind::NotFound),
            400..=499 => Some(ErrorKind::OtherClient),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Server => "server",
            ErrorKind::Rejected => "rejected",
            ErrorKind::NotFound => "not_found",
            ErrorKind::OtherClient => "other_4xx",
        }
    }

    pub fn bit(self) -> u8 {
        1 << self as u8
    }
}
