//! The Arrow schema of one request ("hit").

use std::sync::{Arc, OnceLock};

use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};

use crate::field;

/// The schema every parser fills and every writer and report reads.
///
/// Column order is [`field::ALL`]. Strings are plain `Utf8`: Parquet dictionary-encodes them on
/// write, and the parser stays free of per-row hashing.
pub fn hit_schema() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    SCHEMA
        .get_or_init(|| {
            let utf8 = |name: &str, nullable: bool| Field::new(name, DataType::Utf8, nullable);
            Arc::new(Schema::new(vec![
                Field::new(
                    field::TS,
                    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
                    false,
                ),
                Field::new(field::TZ_OFFSET_MIN, DataType::Int16, true),
                utf8(field::IP, true),
                Field::new(field::CLIENT, DataType::UInt64, false),
                utf8(field::HOST, true),
                utf8(field::METHOD, true),
                utf8(field::PATH, true),
                utf8(field::QUERY, true),
                utf8(field::PROTOCOL, true),
                Field::new(field::STATUS, DataType::UInt16, true),
                Field::new(field::BYTES, DataType::UInt64, true),
                utf8(field::REFERRER, true),
                utf8(field::USER_AGENT, true),
                Field::new(field::DURATION_US, DataType::UInt64, true),
                Field::new(field::JUNK, DataType::Boolean, false),
                Field::new(field::FILE_ID, DataType::UInt32, false),
                Field::new(field::LINE, DataType::UInt64, false),
            ]))
        })
        .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_columns_follow_the_field_list() {
        let schema = hit_schema();
        let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        assert_eq!(names, field::ALL);
    }
}
