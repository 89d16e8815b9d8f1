//! docs/openapi.json against the running server: every documented operation answers with a
//! documented status and a body its schema accepts, every documented parameter is accepted,
//! and every API path the dashboard's script calls is documented.

use std::io::BufRead;
use std::path::Path;

use serde_json::Value;

use crate::dashboard::{add_user, config, sample};
use crate::http::{Server, event_stream, http};
use crate::{clickpath, run};

/// Validates `v` against the schema at JSON pointer `pointer` of the spec (references to
/// `#/components/schemas/...` resolve in it), with `format` checked: where it broke it.
fn check(spec: &Value, pointer: &str, v: &Value, at: &str) -> Result<(), String> {
    let mut root = spec.clone();
    root["$schema"] = "https://json-schema.org/draft/2020-12/schema".into();
    root["$ref"] = format!("#{pointer}").into();
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&root)
        .map_err(|e| format!("{pointer}: not a schema: {e}"))?;
    let errors: Vec<String> = validator
        .iter_errors(v)
        .map(|e| format!("{at}{}: {e}", e.instance_path()))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("\n"))
    }
}

/// The JSON pointer of an operation's response schema.
fn response_schema(spec: &Value, path: &str, status: u16) -> String {
    let escaped = path.replace('~', "~0").replace('/', "~1");
    let pointer =
        format!("/paths/{escaped}/get/responses/{status}/content/application~1json/schema");
    assert!(
        spec.pointer(&pointer).is_some(),
        "{path}: status {status} is not documented"
    );
    pointer
}

#[test]
fn the_validator_refuses_what_the_spec_forbids() {
    // The checks this test relies on: a key no schema lists, a malformed date-time, a pattern.
    let spec: Value = serde_json::from_str(
        &std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/openapi.json"))
            .unwrap(),
    )
    .unwrap();
    let row = "/components/schemas/Row";
    assert!(
        check(
            &spec,
            row,
            &serde_json::json!({"value": "/", "count": 1}),
            ""
        )
        .is_ok()
    );
    let extra = check(
        &spec,
        row,
        &serde_json::json!({"value": "/", "count": 1, "x": 2}),
        "",
    );
    assert!(extra.unwrap_err().contains("Additional properties"));
    let request = serde_json::json!({"file": "a", "line": 1, "time": "yesterday", "method": null,
        "path": "/", "query": null, "status": 200, "referrer": null, "user_agent": null,
        "bot": null, "raw": null, "summary": ""});
    let bad_time = check(&spec, "/components/schemas/Request", &request, "");
    assert!(
        bad_time.unwrap_err().contains("date-time"),
        "formats are checked"
    );
    let bucket = serde_json::json!({"at": "noon", "requests": 1, "human_requests": 1, "pageviews": 1, "sessions": 1});
    assert!(check(&spec, "/components/schemas/TimeBucket", &bucket, "").is_err());
}

#[test]
fn the_openapi_file_describes_the_server() {
    let spec: Value = serde_json::from_str(
        &std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/openapi.json"))
            .unwrap(),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    add_user(dir.path(), "ana", "correct horse battery");
    let (_, token, _) =
        run(clickpath(dir.path()).args(["user", "token", "t", "--users", "users.json"]));
    let bearer = format!("Bearer {}", token.trim());
    let server = Server::start(
        dir.path(),
        &[
            "--users",
            "users.json",
            "-c",
            config().to_str().unwrap(),
            sample().to_str().unwrap(),
            sample().with_file_name("error.log.gz").to_str().unwrap(),
        ],
    );
    let a = &server.addr;
    let auth = [("Authorization", bearer.as_str())];

    let paths = spec["paths"].as_object().unwrap();
    assert_eq!(paths.len(), 4);
    for (path, item) in paths {
        let op = &item["get"];
        assert!(op.is_object(), "{path}: the API is read-only (GET)");
        // Without credentials: the documented 401.
        let r = http(a, "GET", path, &[], None);
        assert_eq!(r.status, 401, "{path}");
        check(&spec, &response_schema(&spec, path, 401), &r.json(), path).unwrap();

        if op["responses"]["200"]["content"]["text/event-stream"].is_object() {
            let mut s = event_stream(a, path, &auth);
            let mut head = String::new();
            while !head.ends_with("\r\n\r\n") {
                s.read_line(&mut head).unwrap();
            }
            assert!(head.starts_with("HTTP/1.1 200"), "{head}");
            assert!(
                head.to_ascii_lowercase()
                    .contains("content-type: text/event-stream"),
                "{head}"
            );
            continue;
        }
        let params = op["parameters"].as_array().unwrap();
        let examples: Vec<(String, String)> = params
            .iter()
            .filter(|p| !p["example"].is_null())
            .map(|p| {
                let v = match &p["example"] {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                (p["name"].as_str().unwrap().to_owned(), v)
            })
            .collect();
        let mut queries: Vec<String> = vec![String::new()];
        queries.extend(examples.iter().map(|(k, v)| format!("{k}={v}")));
        queries.push(
            examples
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("&"),
        );
        for q in &queries {
            let r = http(a, "GET", &format!("{path}?{q}"), &auth, None);
            assert_eq!(r.status, 200, "{path}?{q}: {}", r.body);
            check(
                &spec,
                &response_schema(&spec, path, 200),
                &r.json(),
                &format!("{path}?{q}"),
            )
            .unwrap_or_else(|e| panic!("{e}"));
        }
        let r = http(a, "GET", &format!("{path}?undocumented=1"), &auth, None);
        assert_eq!(r.status, 400);
        check(&spec, &response_schema(&spec, path, 400), &r.json(), path).unwrap();
    }
    // The whole report validates, nested parts included (the unfiltered one has every table,
    // the sample's incident with its lines, error-log events in the documented window).
    let full = http(a, "GET", "/api/report", &auth, None).json();
    assert!(!full["funnels"].as_array().unwrap().is_empty());
    assert!(!full["incidents"].as_array().unwrap().is_empty());
    let window = http(
        a,
        "GET",
        "/api/error-lines?start=2024-03-01T10:02:00Z&end=2024-03-01T10:15:00Z",
        &auth,
        None,
    )
    .json();
    assert!(window["total"].as_u64().unwrap() > 0);
    assert!(
        !full["errors"]["internal_links"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // Every API path the dashboard's script calls is documented.
    let js = include_str!("../../crates/server/assets/app.js");
    let called: Vec<&str> = js
        .split('\'')
        .filter(|s| s.starts_with("/api/"))
        .map(|s| s.trim_end_matches('?'))
        .collect();
    assert_eq!(called.len(), 4, "{called:?}");
    for c in called {
        assert!(paths.contains_key(c), "{c} is not in docs/openapi.json");
    }
}
