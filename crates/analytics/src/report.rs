//! The traffic report as data: what `clickpath report --json` prints (docs/report-json.md) and
//! what the terminal and CSV renderers show.

use serde::{Deserialize, Serialize};

/// A value and how many times it was counted (what is counted is said by the list's name).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Row {
    pub value: String,
    pub count: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
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
    pub funnels: Vec<FunnelReport>,
    pub goals: Vec<GoalReport>,
    pub errors: ErrorsReport,
    /// The server's restarts and crashes, and its upstream's outages (from the error log).
    pub restarts: Vec<RestartRow>,
    /// Reloads and log rotations: the server went on answering.
    pub reloads: Vec<ReloadRow>,
    /// Errors grouped into stories, earliest first.
    pub incidents: Vec<IncidentRow>,
    /// What the error logs held (null without one).
    pub error_log: Option<ErrorLogReport>,
    /// Currency label of money figures, when configured.
    pub currency: Option<String>,
    /// What the reader should know to trust the figures (missing fields...).
    pub notes: Vec<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Settings {
    pub session_timeout_s: i64,
    pub split_at_midnight: bool,
    pub split_on_campaign: bool,
    /// `ip+ua` or `ip`.
    pub visitor_key: String,
    pub top: usize,
}

impl Settings {
    /// The settings `cfg` gives the report.
    pub fn of(cfg: &crate::TrafficConfig) -> Self {
        Settings {
            session_timeout_s: cfg.session_timeout_s,
            split_at_midnight: cfg.split_at_midnight,
            split_on_campaign: cfg.split_on_campaign,
            visitor_key: match cfg.visitor_key {
                crate::VisitorKey::IpUa => "ip+ua".into(),
                crate::VisitorKey::Ip => "ip".into(),
            },
            top: cfg.top,
        }
    }
}

/// `notes`: what the reader should know, given whether some requests came from a format
/// without user agents.
pub fn notes(user_agents_missing: bool) -> Vec<String> {
    if user_agents_missing {
        vec!["Some lines come from a format without user agents: their requests count as humans (bots cannot be told apart) and a visitor is an address.".into()]
    } else {
        Vec::new()
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Period {
    /// RFC 3339, UTC.
    pub first: String,
    pub last: String,
}

/// The site's own hosts (internal referrers) and where they came from.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Site {
    pub hosts: Vec<String>,
    /// `flag` (`--site-host`), `vhost` (the log's host field), `referrers` (the referrer host
    /// seen on most human requests) or `none`.
    pub hosts_from: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
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

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Durations {
    pub mean_s: f64,
    pub median_s: u64,
    pub p90_s: u64,
    /// `0-10s`, `10-30s`, `30-60s`, `1-3min`, `3-10min`, `10-30min`, `30min+`.
    pub buckets: Vec<Row>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TimeOnPage {
    /// Page views followed by another page view in the session.
    pub measured: u64,
    /// Last page views of sessions: no next page, so no measured time (not counted as 0).
    pub censored: u64,
    pub mean_s: f64,
    pub median_s: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
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

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NextPages {
    pub from: String,
    /// Page views of `from` (all of them, including the last of a session).
    pub views: u64,
    /// Page views of `from` that ended their session.
    pub exits: u64,
    /// Next page views.
    pub to: Vec<Row>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PageTime {
    pub path: String,
    pub measured: u64,
    pub mean_s: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
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

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Campaign {
    pub source: Option<String>,
    pub medium: Option<String>,
    pub campaign: Option<String>,
    pub sessions: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Technology {
    /// Sessions per device class, browser and OS.
    pub devices: Vec<Row>,
    pub browsers: Vec<Row>,
    pub os: Vec<Row>,
    /// Sessions per country (ISO 3166 code, `unknown` when not found); only with `--geoip`.
    pub countries: Option<Vec<Row>>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Statuses {
    /// Requests per status code (all, humans, bots); `none` counts requests without a status.
    pub all: Vec<Row>,
    pub human: Vec<Row>,
    pub bot: Vec<Row>,
    /// Requests per class `1xx`..`5xx`.
    pub classes: Vec<Row>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Bots {
    pub requests: u64,
    /// Requests per family.
    pub by_family: Vec<Row>,
    /// Per named bot, most requests first.
    pub by_name: Vec<BotRow>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BotRow {
    pub name: String,
    pub family: String,
    pub requests: u64,
    /// Requests per status class.
    pub statuses: Vec<Row>,
    /// Most requested paths.
    pub top_paths: Vec<Row>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Time {
    /// Per local date of the log (the offset it printed).
    pub by_day: Vec<TimeBucket>,
    /// Per local hour of day, 0..23.
    pub by_hour: Vec<TimeBucket>,
    /// The whole period in at most 240 buckets of whole minutes (UTC): the timeline incidents
    /// are marked on.
    pub timeline: Vec<TimelineBucket>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TimelineBucket {
    /// RFC 3339, UTC: the bucket's start.
    pub at: String,
    pub minutes: u32,
    pub requests: u64,
    pub human_requests: u64,
    pub human_5xx: u64,
    pub errors: u64,
    pub sessions_started: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TimeBucket {
    pub at: String,
    pub requests: u64,
    pub human_requests: u64,
    pub pageviews: u64,
    pub sessions: u64,
}

/// One funnel (docs/report-json.md, `funnels[]`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FunnelReport {
    pub name: String,
    /// `session` or `window`.
    pub mode: String,
    pub steps: Vec<StepReport>,
    /// Sessions (window mode: visitor windows) that reached the last step.
    pub conversions: u64,
    /// conversions / sessions reaching the first step.
    pub conversion_rate: f64,
    /// conversions x average order value, when it is configured.
    pub revenue: Option<f64>,
    /// Sessions that received a 5xx on a URL matching any step, and of those the ones that never
    /// reached the last step (no request matching it, in order or not).
    pub server_errors: ErrorSessions,
    /// Sessions that received an error while in the funnel (from the first step until they
    /// converted or left), by kind: `server` (5xx), `rejected` (401, 403, 405, 429, 444, 499...),
    /// `not_found` (404, 410), `any`.
    pub errors_in_funnel: Vec<ErrorKindRow>,
    /// (status, path) of in-funnel errors, most non-converted sessions first.
    pub error_paths: Vec<ErrorPath>,
    pub lost_conversions: Option<LostConversions>,
    /// Steps reached per channel, campaign, device and landing page.
    pub breakdown: Option<Breakdown>,
    /// Conversion by the response time of the landing page view (logs with durations).
    pub by_speed: Vec<SpeedRow>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StepReport {
    pub name: String,
    pub sessions: u64,
    pub conversion_from_previous: f64,
    pub conversion_from_first: f64,
    /// Sessions of the previous step that did not reach this one.
    pub drop_off: u64,
    pub median_s_from_previous: Option<u64>,
    pub p90_s_from_previous: Option<u64>,
    /// Sessions whose furthest step is this one (they left here).
    pub left_here: u64,
    /// Of those, the sessions that had received an error in the funnel before leaving.
    pub left_after_error: u64,
    /// Response time of the page views matching this step (logs with durations).
    pub duration_p50_ms: Option<u64>,
    pub duration_p95_ms: Option<u64>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ErrorSessions {
    pub sessions: u64,
    pub not_converted: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ErrorKindRow {
    pub kind: String,
    pub sessions: u64,
    pub converted: u64,
    pub not_converted: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ErrorPath {
    pub status: u16,
    pub path: String,
    pub sessions: u64,
    pub not_converted: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LostConversions {
    /// Sum over steps of `errored_and_left x clean_conversion_rate`.
    pub estimate: f64,
    /// estimate x average order value, when configured.
    pub value: Option<f64>,
    pub by_step: Vec<LostAtStep>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LostAtStep {
    pub step: String,
    /// Sessions that got an error while at this step (after reaching it, before the next).
    pub errored: u64,
    /// Of those, the sessions that did not convert.
    pub errored_and_left: u64,
    /// Conversion rate from this step of sessions that reached it without any in-funnel error.
    pub clean_conversion_rate: f64,
    pub lost: f64,
    /// Of `errored`, the sessions per cause of their errors at this step (from the error log;
    /// `none`: nothing explains it). A session with errors of two causes counts in both.
    pub errored_by_cause: std::collections::BTreeMap<String, u64>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Breakdown {
    pub channel: Vec<BreakdownRow>,
    pub campaign: Vec<BreakdownRow>,
    pub device: Vec<BreakdownRow>,
    pub landing_page: Vec<BreakdownRow>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BreakdownRow {
    pub value: String,
    /// Sessions reaching each step.
    pub steps: Vec<u64>,
    pub conversion_rate: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SpeedRow {
    /// `<100ms`, `100-300ms`, `300ms-1s`, `1-3s`, `3s+`.
    pub bucket: String,
    pub sessions: u64,
    pub conversions: u64,
    pub conversion_rate: f64,
}

/// One goal (`goals[]`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct GoalReport {
    pub name: String,
    /// Sessions with at least one matching request.
    pub conversions: u64,
    /// conversions / sessions.
    pub conversion_rate: f64,
    pub value: Option<f64>,
    pub by_channel: Vec<RateRow>,
    pub by_campaign: Vec<RateRow>,
    pub by_landing_page: Vec<RateRow>,
    pub by_device: Vec<RateRow>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RateRow {
    pub value: String,
    pub sessions: u64,
    pub conversions: u64,
    pub conversion_rate: f64,
}

/// `errors`: broken links, rejected requests, slow pages.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ErrorsReport {
    /// 404 responses (humans and bots) whose referrer is on the site.
    pub broken_internal_links: u64,
    /// Internal broken links: source page -> missing target.
    pub internal_links: Vec<BrokenLink>,
    /// 404s reached from other sites (inbound links worth a redirect): referrer domain -> target.
    pub external_links: Vec<BrokenLink>,
    /// 404s served to search-engine crawlers, per path.
    pub crawler_not_found: Vec<Row>,
    /// Rejected requests (401, 403, 405, 429, 444, 499...) served to humans and to bots.
    pub rejected_humans: RejectedReport,
    pub rejected_bots: RejectedReport,
    /// Response times per page (logs with durations), most viewed first.
    pub slow_pages: Vec<PageSpeed>,
    /// Every 4xx/5xx response by status and the error-log cause that explains it (`none`: no
    /// event does), most first within a status.
    pub causes: Vec<CauseRow>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CauseRow {
    pub status: u16,
    pub cause: String,
    pub requests: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestartRow {
    /// `server` or `upstream`.
    pub kind: String,
    /// `restart`, `crash` or `outage`.
    pub how: String,
    /// RFC 3339, UTC.
    pub start: String,
    pub end: String,
    /// The backend of an upstream outage, when the error log names it: `127.0.0.1:8080`
    /// (nginx and Apache name the server they tried), a host (older Apache lines) or null.
    pub upstream: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReloadRow {
    pub at: String,
    /// `reload` or `reopen_logs`.
    pub what: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ErrorLogReport {
    pub events: u64,
    pub by_level: Vec<Row>,
    pub by_cause: Vec<Row>,
    /// Events that explain an access-log response.
    pub explaining: u64,
    /// The zone the error log's local times were read in (`+01:00`), and where it came from:
    /// `flag` (--error-log-tz), `access log` (the zone the access lines print) or `assumed`
    /// (UTC: no access line with a zone).
    pub zone: String,
    pub zone_from: String,
    /// What the levels logged can show (restart lines are `[notice]`).
    pub notes: Vec<String>,
}

/// One incident: what, when, why, and what it cost.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct IncidentRow {
    /// `server_restart`, `upstream_outage`, `error_burst`, `not_found_storm`,
    /// `rate_limit_storm`, `traffic_drop`.
    pub kind: String,
    /// RFC 3339, UTC; whole minutes, `end` excluded.
    pub start: String,
    pub end: String,
    pub duration_s: i64,
    /// 5xx, 404, 403 and 429 responses in the window by cause.
    pub causes: std::collections::BTreeMap<String, u64>,
    /// Responses the incident is about: error responses (status >= 400) in the window; for a
    /// traffic drop, the human requests.
    pub requests: u64,
    pub human_requests: u64,
    /// Human sessions whose first request lies in the window.
    pub sessions_started: u64,
    /// Human visitors with a session in the window.
    pub human_visitors: u64,
    /// Requests that reached the first funnel's last step in the window (null without funnel).
    pub conversions: Option<u64>,
    /// The funnel's lost-conversion estimate over the errors met in the window.
    pub conversions_lost: Option<f64>,
    pub money_lost: Option<f64>,
    /// Requests per step of the first funnel in the window.
    pub funnel_steps: Vec<Row>,
    /// The error responses' paths, most first: `status path`.
    pub top_urls: Vec<Row>,
    /// The first lines of both logs in the window: `{file, line, text}` (text read back from
    /// the files where they still are).
    pub first_lines: FirstLines,
    /// The same window the minute before: what normal looked like.
    pub before: Before,
    /// The incident in one paragraph.
    pub story: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct FirstLines {
    pub access: Vec<LineRef>,
    pub error: Vec<LineRef>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LineRef {
    /// The file's name (filled in by whoever knows the inputs, who then drops `file_id`).
    pub file: Option<String>,
    #[serde(default)]
    pub file_id: u32,
    pub line: u64,
    /// The line as the log holds it, read back from the file (null when it is gone); for an
    /// error-log event until then, its message.
    pub text: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Before {
    pub requests: u64,
    pub human_5xx: u64,
    pub sessions_started: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BrokenLink {
    /// Source page (internal) or referrer domain (external).
    pub source: String,
    pub target: String,
    pub hits: u64,
    /// Human sessions that hit it, and of those the ones inside a funnel.
    pub sessions: u64,
    pub in_funnel_sessions: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RejectedReport {
    pub requests: u64,
    /// Human sessions with at least one rejected request (0 for bots).
    pub sessions: u64,
    pub by_status: Vec<Row>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PageSpeed {
    pub path: String,
    pub views: u64,
    pub p50_ms: u64,
    pub p95_ms: u64,
}
