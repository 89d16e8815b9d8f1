//! Human 404s with a referrer on the site far above usual: a broken link or asset deployed
//! (loggen's `404-storm`).

use super::{Evidence, excess};

pub fn detect(ev: &Evidence<'_>) -> Vec<(i64, i64)> {
    excess(
        ev.series,
        |m| m.human_404_internal,
        |m| m.human_requests,
        4.0,
        10.0,
    )
}
