//! One JSON POST with a timeout (ureq, blocking: each receiver has its own thread).

use std::time::Duration;

pub fn post_json(
    url: &str,
    body: &serde_json::Value,
    headers: &[(&str, String)],
    timeout: Duration,
) -> Result<(), String> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .build()
        .into();
    let mut req = agent.post(url).header("Content-Type", "application/json");
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    match req.send(body.to_string()) {
        Ok(resp) if resp.status().is_success() => Ok(()),
        Ok(resp) => Err(format!("{url} answered {}", resp.status())),
        Err(e) => Err(format!("{url}: {e}")),
    }
}
