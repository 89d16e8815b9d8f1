//! The Arrow schema of the dataset's `requests` table: the hit columns, then what clickpath
//! derives at ingest (docs/dataset.md).

use std::sync::{Arc, OnceLock};

use arrow_schema::{DataType, Field, Schema, SchemaRef};

use crate::hit_schema;

/// Row number over the whole dataset, in ingest order (input order within a file).
pub const SEQ: &str = "seq";
/// Local date of the request (its time plus the log's UTC offset); the partition key.
pub const DATE: &str = "date";
/// Keyed hash of what identifies a visitor (client and user agent, or client alone).
pub const VISITOR: &str = "visitor";
/// The `seq` of the session's first request; null for bots.
pub const SESSION_ID: &str = "session_id";
pub const IS_BOT: &str = "is_bot";
/// Bot family (`search`, `ai`, `seo`, `monitoring`, `library`, `headless`, `scanner`, `empty_ua`, `robots_txt`, `other`); null for humans.
pub const BOT_FAMILY: &str = "bot_family";
pub const BOT_NAME: &str = "bot_name";
pub const IS_PAGE_VIEW: &str = "is_page_view";
pub const DEVICE: &str = "device";
pub const BROWSER: &str = "browser";
pub const OS: &str = "os";
/// Lower-cased host of the referrer.
pub const REFERRER_HOST: &str = "referrer_host";
/// Marketing channel of this request's referrer and query.
pub const CHANNEL: &str = "channel";
pub const UTM_SOURCE: &str = "utm_source";
pub const UTM_MEDIUM: &str = "utm_medium";
pub const UTM_CAMPAIGN: &str = "utm_campaign";
/// False for requests read with a format that has no user-agent field.
pub const USER_AGENT_LOGGED: &str = "user_agent_logged";
/// ISO 3166 country of the client address, looked up at ingest with `--geoip`; null without it
/// and for addresses the database does not know.
pub const COUNTRY: &str = "country";

/// The server that shipped the line to `clickpath receive` (its syslog hostname or HTTP label);
/// null for lines read from files.
pub const SERVER: &str = "server";

/// Derived columns that depend on earlier requests (computed in input order).
pub const STATEFUL: [&str; 5] = [SEQ, SESSION_ID, IS_BOT, BOT_FAMILY, BOT_NAME];

/// The `requests` table: [`hit_schema`] (where `file_id` is the source's id in the manifest),
/// then the derived columns.
pub fn dataset_schema() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    SCHEMA
        .get_or_init(|| {
            let utf8 = |name: &str, nullable: bool| Field::new(name, DataType::Utf8, nullable);
            let mut fields: Vec<Field> = hit_schema()
                .fields()
                .iter()
                .map(|f| f.as_ref().clone())
                .collect();
            fields.extend([
                Field::new(SEQ, DataType::UInt64, false),
                Field::new(DATE, DataType::Date32, false),
                Field::new(VISITOR, DataType::UInt64, false),
                Field::new(SESSION_ID, DataType::UInt64, true),
                Field::new(IS_BOT, DataType::Boolean, false),
                utf8(BOT_FAMILY, true),
                utf8(BOT_NAME, true),
                Field::new(IS_PAGE_VIEW, DataType::Boolean, false),
                utf8(DEVICE, false),
                utf8(BROWSER, false),
                utf8(OS, false),
                utf8(REFERRER_HOST, true),
                utf8(CHANNEL, false),
                utf8(UTM_SOURCE, true),
                utf8(UTM_MEDIUM, true),
                utf8(UTM_CAMPAIGN, true),
                Field::new(USER_AGENT_LOGGED, DataType::Boolean, false),
                utf8(COUNTRY, true),
                utf8(SERVER, true),
            ]);
            Arc::new(Schema::new(fields))
        })
        .clone()
}
