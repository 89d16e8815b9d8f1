//! Human 5xx far above their usual share of human requests (loggen's `outage-5xx`,
//! `conversion-drop`).

use super::{Evidence, excess};

pub fn detect(ev: &Evidence<'_>) -> Vec<(i64, i64)> {
    excess(ev.series, |m| m.human_5xx, |m| m.human_requests, 4.0, 5.0)
}
