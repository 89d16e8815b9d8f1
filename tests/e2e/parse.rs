//! `clickpath parse` and `check-format` on real files: outputs, inputs, errors.

use std::io::Write;

use crate::{clickpath, run};

const LINES: &str = concat!(
    r#"2001:db8::1 - - [01/Mar/2024:10:00:00 +0100] "GET /product/1?utm_source=x HTTP/2.0" 200 512 "https://www.google.com/" "Mozilla/5.0 \"Q\"""#,
    "\n",
    r#"192.0.2.1 - - [01/Mar/2024:10:00:05 +0100] "GET /cart HTTP/2.0" 404 - "-" "-""#,
    "\n",
    r#"192.0.2.1 - - [01-Mar-2024:10:00:06 +0100] "GET /cart HTTP/2.0" 200 1 "-" "-""#,
    "\n",
);

fn ndjson(stdout: &str) -> Vec<serde_json::Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn ndjson_has_the_documented_keys_and_nulls() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.log"), LINES).unwrap();
    let (code, out, err) = run(clickpath(dir.path()).args(["parse", "a.log", "--raw-ip"]));
    assert_eq!(code, 0, "{err}");
    let rows = ndjson(&out);
    assert_eq!(rows.len(), 2);
    let r = &rows[0];
    assert_eq!(r["ts"], "2024-03-01T09:00:00Z");
    assert_eq!(r["ip"], "2001:db8::1");
    assert_eq!(
        (
            r["method"].as_str(),
            r["path"].as_str(),
            r["query"].as_str()
        ),
        (Some("GET"), Some("/product/1"), Some("utm_source=x"))
    );
    assert_eq!(
        (r["status"].as_u64(), r["bytes"].as_u64()),
        (Some(200), Some(512))
    );
    assert_eq!(r["user_agent"], "Mozilla/5.0 \"Q\"");
    assert!(r["host"].is_null());
    let r = &rows[1];
    assert!(r["bytes"].is_null() && r["referrer"].is_null() && r["user_agent"].is_null());
    assert_eq!(r["line"], 2);
    // The totals are on stderr, with the rejected line's reason.
    assert!(
        err.contains("read 3 lines from 1 file(s): 2 requests, 1 rejected (bad_timestamp 1)"),
        "{err}"
    );
}

#[test]
fn without_raw_ip_only_a_stable_key_is_written() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.log"), LINES).unwrap();
    let (_, first, _) = run(clickpath(dir.path()).args(["parse", "a.log"]));
    let (_, again, _) = run(clickpath(dir.path()).args(["parse", "a.log"]));
    assert_eq!(
        first, again,
        "the key is stable across runs with the same secret"
    );
    assert!(!first.contains("2001:db8::1") && !first.contains("192.0.2.1"));
    let rows = ndjson(&first);
    assert!(rows[0].get("ip").is_none());
    assert_eq!(rows[0]["client"].as_str().unwrap().len(), 16);
    assert_ne!(rows[0]["client"], rows[1]["client"]);
    // Another secret, other keys.
    let other = tempfile::tempdir().unwrap();
    std::fs::write(other.path().join("a.log"), LINES).unwrap();
    let (_, other_out, _) = run(clickpath(other.path()).args(["parse", "a.log"]));
    assert_ne!(ndjson(&other_out)[0]["client"], rows[0]["client"]);
}

#[test]
fn csv_and_parquet_outputs() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.log"), LINES).unwrap();
    let (code, out, _) = run(clickpath(dir.path()).args(["parse", "a.log", "--to", "csv"]));
    assert_eq!(code, 0);
    let mut lines = out.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("ts,tz_offset_min,client,host,method,path")
    );
    assert!(lines.next().unwrap().contains(r#","Mozilla/5.0 ""Q""","#));

    let (code, _, err) =
        run(clickpath(dir.path()).args(["parse", "a.log", "--to", "parquet", "-o", "a.parquet"]));
    assert_eq!(code, 0, "{err}");
    use arrow_array::cast::AsArray;
    let file = std::fs::File::open(dir.path().join("a.parquet")).unwrap();
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap();
    let batches: Vec<_> = reader.map(Result::unwrap).collect();
    assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 2);
    let b = &batches[0];
    assert_eq!(b.schema().as_ref(), clickpath_model::hit_schema().as_ref());
    assert_eq!(
        b.column_by_name("path")
            .unwrap()
            .as_string::<i32>()
            .value(1),
        "/cart"
    );
    assert!(
        b.column_by_name("ip").unwrap().is_null(0),
        "no raw IP stored without --raw-ip"
    );
}

#[test]
fn compressed_inputs_are_detected_by_content() {
    let dir = tempfile::tempdir().unwrap();
    let text = LINES.as_bytes();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(text).unwrap();
    // Names that lie: the content decides.
    std::fs::write(dir.path().join("a.log"), gz.finish().unwrap()).unwrap();
    std::fs::write(dir.path().join("b.gz"), zstd::encode_all(text, 3).unwrap()).unwrap();
    let mut bz = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
    bz.write_all(text).unwrap();
    std::fs::write(dir.path().join("c"), bz.finish().unwrap()).unwrap();
    let mut xz = xz2::write::XzEncoder::new(Vec::new(), 6);
    xz.write_all(text).unwrap();
    std::fs::write(dir.path().join("d.txt"), xz.finish().unwrap()).unwrap();
    let (code, out, err) =
        run(clickpath(dir.path()).args(["check-format", "--json", "a.log", "b.gz", "c", "d.txt"]));
    assert_eq!(code, 1, "a rejected line makes check-format exit 1: {err}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let files = doc["files"].as_array().unwrap();
    let got: Vec<(&str, u64, u64)> = files
        .iter()
        .map(|f| {
            (
                f["compression"].as_str().unwrap(),
                f["requests"].as_u64().unwrap(),
                f["rejected"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("gzip", 2, 1),
            ("zstd", 2, 1),
            ("bzip2", 2, 1),
            ("xz", 2, 1)
        ]
    );
    assert_eq!(files[0]["format"], "combined");
    assert_eq!(files[0]["samples"][0]["line"], 3);
    assert_eq!(files[0]["samples"][0]["reason"], "bad_timestamp");
}

#[test]
fn rotated_sets_read_oldest_first_from_a_glob_and_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let line = |h: u32| {
        format!("192.0.2.1 - - [01/Mar/2024:{h:02}:00:00 +0000] \"GET /{h} HTTP/1.1\" 200 1\n")
    };
    std::fs::write(dir.path().join("access.log"), line(3)).unwrap();
    std::fs::write(dir.path().join("access.log.1"), line(2)).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(line(1).as_bytes()).unwrap();
    std::fs::write(dir.path().join("access.log.2.gz"), gz.finish().unwrap()).unwrap();
    let (code, out, err) = run(clickpath(dir.path()).args(["parse", "access.log*"]));
    assert_eq!(code, 0, "{err}");
    let paths: Vec<String> = ndjson(&out)
        .iter()
        .map(|r| r["path"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(paths, ["/1", "/2", "/3"]);
    let files: Vec<u64> = ndjson(&out)
        .iter()
        .map(|r| r["file_id"].as_u64().unwrap())
        .collect();
    assert_eq!(files, [0, 1, 2]);

    let mut child = clickpath(dir.path())
        .args(["parse", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(line(5).as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        ndjson(&String::from_utf8(out.stdout).unwrap())[0]["path"],
        "/5"
    );
}

#[test]
fn bad_invocations_get_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "hello\nworld\n").unwrap();
    let (code, out, err) = run(clickpath(dir.path()).args(["parse", "notes.txt"]));
    // A file in an unknown format is skipped (exit 1), with what was tried.
    assert_eq!((code, out.as_str()), (1, ""));
    assert!(
        err.contains("notes.txt: unknown log format") && err.contains("--format"),
        "{err}"
    );
    // A file that cannot be opened is skipped too; the others are read.
    std::fs::write(
        dir.path().join("ok.log"),
        "192.0.2.1 - - [01/Mar/2024:00:00:01 +0000] \"GET / HTTP/1.1\" 200 1\n",
    )
    .unwrap();
    let (code, out, err) = run(clickpath(dir.path()).args(["parse", "missing.log", "ok.log"]));
    assert_eq!(code, 1);
    assert!(err.contains("cannot read missing.log"), "{err}");
    assert_eq!(ndjson(&out).len(), 1);
    let (code, _, err) = run(clickpath(dir.path()).args(["parse", "*.nothing"]));
    assert_eq!(code, 2);
    assert!(err.contains("*.nothing: no file matches"), "{err}");
    let (code, _, err) =
        run(clickpath(dir.path()).args(["parse", "notes.txt", "--format", "%h %Z"]));
    assert_eq!(code, 2);
    assert!(err.contains("unknown Apache directive %Z"), "{err}");
    std::fs::create_dir(dir.path().join("empty")).unwrap();
    let (code, _, err) = run(clickpath(dir.path()).args(["parse", "empty"]));
    assert_eq!(code, 2);
    assert!(err.contains("empty: the directory has no files"), "{err}");
}

#[test]
fn a_users_format_line_via_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a.log"),
        "shop.example.com 203.0.113.5 [01/Mar/2024:10:00:00 +0000] \"GET /x HTTP/1.1\" 200 10 0.042\n",
    )
    .unwrap();
    let fmt =
        r#"$host $remote_addr [$time_local] "$request" $status $body_bytes_sent $request_time"#;
    let (code, out, err) =
        run(clickpath(dir.path()).args(["parse", "a.log", "--raw-ip", "--format", fmt]));
    assert_eq!(code, 0, "{err}");
    let r = &ndjson(&out)[0];
    assert_eq!(
        (
            r["host"].as_str(),
            r["ip"].as_str(),
            r["duration_us"].as_u64()
        ),
        (Some("shop.example.com"), Some("203.0.113.5"), Some(42_000))
    );
}

#[test]
fn client_from_x_forwarded_for_behind_a_load_balancer() {
    let dir = tempfile::tempdir().unwrap();
    let fmt = r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$http_x_forwarded_for""#;
    std::fs::write(
        dir.path().join("a.log"),
        concat!(
            "10.0.0.5 - - [01/Mar/2024:10:00:00 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"ua\" \"203.0.113.7, 10.0.0.1\"\n",
            "10.0.0.5 - - [01/Mar/2024:10:00:01 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"ua\" \"-\"\n",
        ),
    )
    .unwrap();
    let ips = |extra: &[&str]| -> Vec<String> {
        let (code, out, err) = run(clickpath(dir.path())
            .args(["parse", "a.log", "--raw-ip", "--format", fmt])
            .args(extra));
        assert_eq!(code, 0, "{err}");
        ndjson(&out)
            .iter()
            .map(|r| r["ip"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(ips(&[]), ["10.0.0.5", "10.0.0.5"]);
    // The first forwarded address is the client; without the header, the peer stays.
    assert_eq!(
        ips(&["--client-from-forwarded-for"]),
        ["203.0.113.7", "10.0.0.5"]
    );
}

#[test]
fn every_rejected_line_can_be_kept_whole() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.log"), LINES).unwrap();
    let (code, _, err) = run(clickpath(dir.path()).args([
        "parse",
        "a.log",
        "-o",
        "out.ndjson",
        "--rejects",
        "rejected.txt",
    ]));
    assert_eq!(code, 0, "{err}");
    let kept = std::fs::read_to_string(dir.path().join("rejected.txt")).unwrap();
    let bad = LINES.lines().nth(2).unwrap();
    assert_eq!(kept, format!("a.log:3:16\tbad_timestamp\t{bad}\n"));
}
