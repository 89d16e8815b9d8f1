//! The columns of a hit batch that the aggregations read, looked up once per batch.

use arrow_array::cast::AsArray;
use arrow_array::types::{Int16Type, TimestampMicrosecondType, UInt16Type, UInt32Type, UInt64Type};
use arrow_array::{
    Array, Int16Array, RecordBatch, StringArray, TimestampMicrosecondArray, UInt16Array,
    UInt32Array, UInt64Array,
};
use clickpath_model::{dataset, field};

pub(crate) struct Hits<'a> {
    pub ts: &'a TimestampMicrosecondArray,
    pub tz: &'a Int16Array,
    pub client: &'a UInt64Array,
    pub ip: &'a StringArray,
    pub host: &'a StringArray,
    pub method: &'a StringArray,
    pub path: &'a StringArray,
    pub query: &'a StringArray,
    pub status: &'a UInt16Array,
    pub referrer: &'a StringArray,
    pub ua: &'a StringArray,
    pub duration: &'a UInt64Array,
    /// Countries looked up at ingest (dataset rows only).
    pub country: Option<&'a StringArray>,
    pub file_id: &'a UInt32Array,
    pub line: &'a UInt64Array,
}

impl<'a> Hits<'a> {
    /// Panics if `batch` does not have the hit schema (a bug, not bad input).
    pub fn of(batch: &'a RecordBatch) -> Self {
        let col = |n| batch.column_by_name(n).expect("hit schema column");
        Self {
            ts: col(field::TS).as_primitive::<TimestampMicrosecondType>(),
            tz: col(field::TZ_OFFSET_MIN).as_primitive::<Int16Type>(),
            client: col(field::CLIENT).as_primitive::<UInt64Type>(),
            ip: col(field::IP).as_string::<i32>(),
            host: col(field::HOST).as_string::<i32>(),
            method: col(field::METHOD).as_string::<i32>(),
            path: col(field::PATH).as_string::<i32>(),
            query: col(field::QUERY).as_string::<i32>(),
            status: col(field::STATUS).as_primitive::<UInt16Type>(),
            referrer: col(field::REFERRER).as_string::<i32>(),
            ua: col(field::USER_AGENT).as_string::<i32>(),
            duration: col(field::DURATION_US).as_primitive::<UInt64Type>(),
            country: batch
                .column_by_name(dataset::COUNTRY)
                .map(|c| c.as_string::<i32>()),
            file_id: col(field::FILE_ID).as_primitive::<UInt32Type>(),
            line: col(field::LINE).as_primitive::<UInt64Type>(),
        }
    }
}

/// A string cell, `None` when null.
pub(crate) fn opt(a: &StringArray, r: usize) -> Option<&str> {
    a.is_valid(r).then(|| a.value(r))
}
