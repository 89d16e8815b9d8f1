//! docs/openapi.json against the running server: every documented operation answers with a
//! documented status and a body its schema accepts, every documented parameter is accepted,
//! and every API path the dashboard's script calls is documented.

use std::io::BufRead;
use std::path::Path;

use serde_json::Value;

use crate::dashboard::{add_user, config, sample};
use crate::http::{Server, event_stream, http};
use crate::{clickpath, run};

fn resolve<'a>(spec: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(r) => {
            let name = r.strip_prefix("#/components/schemas/").expect("local refs");
            &spec["components"]["schemas"][name]
        }
        None => schema,
    }
}

fn type_ok(t: &str, v: &Value) -> bool {
    match t {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "integer" => v.is_u64() || v.is_i64(),
        "number" => v.is_number(),
        "boolean" => v.is_boolean(),
        "null" => v.is_null(),
        other => panic!("schema type {other} not handled"),
    }
}

/// The schema subset the file uses: type (or types), enum, required, properties, items, minimum,
/// maximum. Returns where the value broke it.
fn check(spec: &Value, schema: &Value, v: &Value, at: &str) -> Result<(), String> {
    let schema = resolve(spec, schema);
    if let Some(t) = schema.get("type") {
        let types: Vec<&str> = match t {
            Value::String(s) => vec![s.as_str()],
            Value::Array(a) => a.iter().map(|x| x.as_str().unwrap()).collect(),
            _ => panic!("bad type at {at}"),
        };
        if !types.iter().any(|t| type_ok(t, v)) {
            return Err(format!("{at}: {v} is not {types:?}"));
        }
    }
    if let Some(e) = schema["enum"].as_array() {
        if !e.contains(v) {
            return Err(format!("{at}: {v} not in {e:?}"));
        }
    }
    if let (Some(min), Some(n)) = (schema["minimum"].as_f64(), v.as_f64()) {
        if n < min {
            return Err(format!("{at}: {n} < {min}"));
        }
    }
    if let (Some(max), Some(n)) = (schema["maximum"].as_f64(), v.as_f64()) {
        if n > max {
            return Err(format!("{at}: {n} > {max}"));
        }
    }
    if let Some(obj) = v.as_object() {
        for r in schema["required"].as_array().into_iter().flatten() {
            if !obj.contains_key(r.as_str().unwrap()) {
                return Err(format!("{at}: missing `{r}`"));
            }
        }
        if let Some(props) = schema["properties"].as_object() {
            for (k, s) in props {
                if let Some(x) = obj.get(k) {
                    check(spec, s, x, &format!("{at}.{k}"))?;
                }
            }
        }
    }
    if let (Some(items), Some(arr)) = (schema.get("items"), v.as_array()) {
        for (i, x) in arr.iter().enumerate() {
            check(spec, items, x, &format!("{at}[{i}]"))?;
        }
    }
    Ok(())
}

fn response_schema(op: &Value, status: u16) -> &Value {
    let r = &op["responses"][status.to_string()];
    assert!(r.is_object(), "status {status} is not documented");
    &r["content"]["application/json"]["schema"]
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
        ],
    );
    let a = &server.addr;
    let auth = [("Authorization", bearer.as_str())];

    let paths = spec["paths"].as_object().unwrap();
    assert_eq!(paths.len(), 3);
    for (path, item) in paths {
        let op = &item["get"];
        assert!(op.is_object(), "{path}: the API is read-only (GET)");
        // Without credentials: the documented 401.
        let r = http(a, "GET", path, &[], None);
        assert_eq!(r.status, 401, "{path}");
        check(&spec, response_schema(op, 401), &r.json(), path).unwrap();

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
                response_schema(op, 200),
                &r.json(),
                &format!("{path}?{q}"),
            )
            .unwrap();
        }
        let r = http(a, "GET", &format!("{path}?undocumented=1"), &auth, None);
        assert_eq!(r.status, 400);
        check(&spec, response_schema(op, 400), &r.json(), path).unwrap();
    }
    // The whole report validates, nested parts included (the unfiltered one has every table).
    let full = http(a, "GET", "/api/report", &auth, None).json();
    assert!(!full["funnels"].as_array().unwrap().is_empty());
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
    assert_eq!(called.len(), 3, "{called:?}");
    for c in called {
        assert!(paths.contains_key(c), "{c} is not in docs/openapi.json");
    }
}
