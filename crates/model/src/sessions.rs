//! The Arrow schema of the dataset's `sessions` table: one row per human session, written at
//! ingest when the session closes (docs/dataset.md, "The sessions table"). Its figures are the
//! streaming report's: the session rule, landing, agent and page order are the report's.

use std::sync::{Arc, OnceLock};

use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};

/// The `seq` of the session's first request (the `session_id` of its requests).
pub const SESSION_ID: &str = "session_id";
pub const VISITOR: &str = "visitor";
/// Local date and hour (0-23) of the session's earliest request.
pub const DATE: &str = "date";
pub const HOUR: &str = "hour";
/// Earliest and latest request (UTC).
pub const STARTED: &str = "started";
pub const ENDED: &str = "ended";
/// The first request read (UTC): the session began when it arrived, which is `started` unless
/// the log wrote an earlier request later (the report's `sessions_started`). Null in files
/// written before the column.
pub const ARRIVED: &str = "arrived";
/// `ended - started` in seconds, fractions kept.
pub const DURATION_S: &str = "duration_s";
pub const REQUESTS: &str = "requests";
pub const PAGE_VIEWS: &str = "page_views";
/// First and last page view by time (null without page views).
pub const ENTRY_PAGE: &str = "entry_page";
pub const EXIT_PAGE: &str = "exit_page";
/// The first three page views by time, ` > `-joined (the report's `pages.paths`).
pub const JOURNEY: &str = "journey";
/// Of the landing (the earliest page view, else the first request): its channel, the external
/// referrer's domain (`www.` stripped; null for none or the site's own) and its UTM parameters.
pub const CHANNEL: &str = "channel";
pub const REFERRER_DOMAIN: &str = "referrer_domain";
pub const UTM_SOURCE: &str = "utm_source";
pub const UTM_MEDIUM: &str = "utm_medium";
pub const UTM_CAMPAIGN: &str = "utm_campaign";
pub const UTM_TERM: &str = "utm_term";
pub const UTM_CONTENT: &str = "utm_content";
/// Of the session's first request: device class, browser, OS, country, server.
pub const DEVICE: &str = "device";
pub const BROWSER: &str = "browser";
pub const OS: &str = "os";
pub const COUNTRY: &str = "country";
pub const SERVER: &str = "server";
/// Responses with status 500-599 and 400-499.
pub const SERVER_ERRORS: &str = "server_errors";
pub const CLIENT_ERRORS: &str = "client_errors";
/// Responses a WAF, rate limiter or rule turned away (401, 403, 405, 406, 407, 429, 444, 451,
/// 499: the report's rejected requests).
pub const REJECTED: &str = "rejected";
/// Each page view followed by another, in time order: its `path`, the `next_path` and the
/// microseconds between them (`gap_us`: its time on page).
pub const PAGE_STEPS: &str = "page_steps";

pub fn sessions_schema() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    SCHEMA
        .get_or_init(|| {
            let utf8 = |name: &str, nullable: bool| Field::new(name, DataType::Utf8, nullable);
            let ts = |name: &str| {
                Field::new(
                    name,
                    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
                    false,
                )
            };
            let count = |name: &str| Field::new(name, DataType::UInt64, false);
            Arc::new(Schema::new(vec![
                Field::new(SESSION_ID, DataType::UInt64, false),
                Field::new(VISITOR, DataType::UInt64, false),
                Field::new(DATE, DataType::Date32, false),
                Field::new(HOUR, DataType::UInt8, false),
                ts(STARTED),
                ts(ENDED),
                Field::new(
                    ARRIVED,
                    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
                    true,
                ),
                Field::new(DURATION_S, DataType::Float64, false),
                count(REQUESTS),
                count(PAGE_VIEWS),
                utf8(ENTRY_PAGE, true),
                utf8(EXIT_PAGE, true),
                utf8(JOURNEY, true),
                utf8(CHANNEL, false),
                utf8(REFERRER_DOMAIN, true),
                utf8(UTM_SOURCE, true),
                utf8(UTM_MEDIUM, true),
                utf8(UTM_CAMPAIGN, true),
                utf8(UTM_TERM, true),
                utf8(UTM_CONTENT, true),
                utf8(DEVICE, false),
                utf8(BROWSER, false),
                utf8(OS, false),
                utf8(COUNTRY, true),
                utf8(SERVER, true),
                count(SERVER_ERRORS),
                count(CLIENT_ERRORS),
                // Files written before the column read as null.
                Field::new(REJECTED, DataType::UInt64, true),
                Field::new(
                    PAGE_STEPS,
                    DataType::List(Arc::new(Field::new(
                        "item",
                        DataType::Struct(
                            vec![
                                Field::new("path", DataType::Utf8, false),
                                Field::new("next_path", DataType::Utf8, false),
                                Field::new("gap_us", DataType::Int64, false),
                            ]
                            .into(),
                        ),
                        false,
                    ))),
                    // Files written before the column read as null.
                    true,
                ),
            ]))
        })
        .clone()
}
