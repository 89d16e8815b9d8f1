//! The traffic report as data: what `clickpath report --json` prints (docs/report-json.md) and
//! what the terminal and CSV renderers show.

use serde::Serialize;

/// A value and how many times it was counted (what is counted is said by the list's name).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Row {
    pub value: String,
    pub count: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct TrafficReport {
    pub settings: Settings,
    pub period: Option<Period>,
    pub site: Site,
    pub traffic: Traffic,
    pub pages: Pages,
    pub acquisition: Acquisition,
    pub technology: Technology,
    pub statuses: Statuses,
    pub bots: Bots,
    pub time: Time,
}

#[derive(Clone, Debug, Serialize)]
pub struct Settings {
    pub session_timeout_s: i64,
    pub split_at_midnight: bool,
    pub split_on_campaign: bool,
    /// `ip+ua` or `ip`.
    pub visitor_key: String,
    pub top: usize,
}

#[derive(Clone, Debug, Serialize)]
pub struct Period {
    /// RFC 3339, UTC.
    pub first: String,
    pub last: String,
}

/// The site's own hosts (internal referrers) and where they came from.
#[derive(Clone, Debug, Serialize)]
pub struct Site {
    pub hosts: Vec<String>,
    /// `flag` (`--site-host`), `vhost` (the log's host field), `referrers` (the referrer host
    /// seen on most human requests) or `none`.
    pub hosts_from: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Traffic {
    /// Well-formed requests.
    pub requests: u64,
    pub human_requests: u64,
    pub bot_requests: u64,
    /// Distinct visitors (visitor key) among humans.
    pub visitors: u64,
    /// Visitors with one session in the data.
    pub visitors_new: u64,
    /// Visitors with two or more sessions in the data.
    pub visitors_returning: u64,
    pub sessions: u64,
    /// Sessions after the visitor's first session in the data.
    pub sessions_returning: u64,
    pub pageviews: u64,
    /// Sessions with at least one page view.
    pub sessions_with_pageviews: u64,
    /// Page views per session with page views.
    pub pages_per_session: f64,
    /// Sessions with exactly one page view.
    pub bounces: u64,
    /// bounces / sessions_with_pageviews.
    pub bounce_rate: f64,
    pub session_duration: Durations,
    pub time_on_page: TimeOnPage,
}

#[derive(Clone, Debug, Serialize)]
pub struct Durations {
    pub mean_s: f64,
    pub median_s: u64,
    pub p90_s: u64,
    /// `0-10s`, `10-30s`, `30-60s`, `1-3min`, `3-10min`, `10-30min`, `30min+`.
    pub buckets: Vec<Row>,
}

#[derive(Clone, Debug, Serialize)]
pub struct TimeOnPage {
    /// Page views followed by another page view in the session.
    pub measured: u64,
    /// Last page views of sessions: no next page, so no measured time (not counted as 0).
    pub censored: u64,
    pub mean_s: f64,
    pub median_s: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Pages {
    /// Page views per path.
    pub top: Vec<Row>,
    /// Sessions per first page.
    pub entry: Vec<Row>,
    /// Sessions per last page.
    pub exit: Vec<Row>,
    /// Sessions per sequence of their first three pages (`/ > /product/1 > /cart`).
    pub paths: Vec<Row>,
    /// What follows a chosen page.
    pub next: Option<NextPages>,
    /// Mean seconds on page per path (measured views only).
    pub time_on_page: Vec<PageTime>,
}

#[derive(Clone, Debug, Serialize)]
pub struct NextPages {
    pub from: String,
    /// Page views of `from` (all of them, including the last of a session).
    pub views: u64,
    /// Page views of `from` that ended their session.
    pub exits: u64,
    /// Next page views.
    pub to: Vec<Row>,
}

#[derive(Clone, Debug, Serialize)]
pub struct PageTime {
    pub path: String,
    pub measured: u64,
    pub mean_s: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Acquisition {
    /// Sessions per channel.
    pub channels: Vec<Row>,
    /// Sessions per (source, medium, campaign).
    pub campaigns: Vec<Campaign>,
    /// Sessions per utm_term.
    pub terms: Vec<Row>,
    /// Sessions per utm_content.
    pub contents: Vec<Row>,
    /// Sessions per external referrer domain.
    pub referrer_domains: Vec<Row>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Campaign {
    pub source: Option<String>,
    pub medium: Option<String>,
    pub campaign: Option<String>,
    pub sessions: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Technology {
    /// Sessions per device class, browser and OS.
    pub devices: Vec<Row>,
    pub browsers: Vec<Row>,
    pub os: Vec<Row>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Statuses {
    /// Requests per status code (all, humans, bots); `none` counts requests without a status.
    pub all: Vec<Row>,
    pub human: Vec<Row>,
    pub bot: Vec<Row>,
    /// Requests per class `1xx`..`5xx`.
    pub classes: Vec<Row>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Bots {
    pub requests: u64,
    /// Requests per family.
    pub by_family: Vec<Row>,
    /// Per named bot, most requests first.
    pub by_name: Vec<BotRow>,
}

#[derive(Clone, Debug, Serialize)]
pub struct BotRow {
    pub name: String,
    pub family: String,
    pub requests: u64,
    /// Requests per status class.
    pub statuses: Vec<Row>,
    /// Most requested paths.
    pub top_paths: Vec<Row>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Time {
    /// Per local date of the log (the offset it printed).
    pub by_day: Vec<TimeBucket>,
    /// Per local hour of day, 0..23.
    pub by_hour: Vec<TimeBucket>,
}

#[derive(Clone, Debug, Serialize)]
pub struct TimeBucket {
    pub at: String,
    pub requests: u64,
    pub human_requests: u64,
    pub pageviews: u64,
    pub sessions: u64,
}
