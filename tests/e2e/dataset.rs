//! The dataset: `clickpath ingest` exactly once across slices, rotation and kill -9; reports and
//! SQL from it; retention and compaction; bad situations (a second writer, no space, no
//! directory) with clear errors.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::{clickpath, loggen, run};

/// A small multi-day loggen log (two local days, +0100, out-of-order lines, malformed lines);
/// also the example dataset of docs/sql.md.
pub const LOG: &[&str] = &[
    "--seed",
    "5",
    "--lines",
    "40000",
    "--visitors-per-hour",
    "40",
    "--tz",
    "+0100",
];

fn ingest(dir: &Path, data: &str, files: &[&str], extra: &[&str]) -> (i32, String, String) {
    run(clickpath(dir)
        .args(["ingest", "-q", "--data", data])
        .args(extra)
        .args(files))
}

fn ingest_ok(dir: &Path, data: &str, files: &[&str], extra: &[&str]) -> String {
    let (code, _, err) = ingest(dir, data, files, extra);
    assert_eq!(code, 0, "{err}");
    err
}

fn sql(dir: &Path, data: &str, query: &str, output: &str) -> String {
    let (code, out, err) =
        run(clickpath(dir).args(["sql", "--data", data, "--output", output, query]));
    assert_eq!(code, 0, "{query}: {err}");
    out
}

/// Every row, every column but the given ones, in `seq` order, as CSV.
fn rows(dir: &Path, data: &str, except: &str) -> String {
    let q = if except.is_empty() {
        "SELECT * FROM requests ORDER BY seq".to_owned()
    } else {
        format!("SELECT * EXCLUDE ({except}) FROM requests ORDER BY seq")
    };
    sql(dir, data, &q, "csv")
}

fn manifest(dir: &Path, data: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join(data).join("manifest.json")).unwrap())
        .unwrap()
}

fn append(path: &Path, bytes: &[u8]) {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap()
        .write_all(bytes)
        .unwrap();
}

fn gzip(path: &Path, to: &Path) {
    let data = std::fs::read(path).unwrap();
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(to).unwrap(),
        flate2::Compression::fast(),
    );
    enc.write_all(&data).unwrap();
    enc.finish().unwrap();
    std::fs::remove_file(path).unwrap();
}

fn report_json(dir: &Path, args: &[&str]) -> Value {
    let (code, out, err) = run(clickpath(dir)
        .args(["report", "--json", "--top", "50"])
        .args(args));
    assert_eq!(code, 0, "{err}");
    let mut v: Value = serde_json::from_str(&out).unwrap();
    let o = v.as_object_mut().unwrap();
    o.remove("input");
    o.remove("generator");
    v
}

#[test]
fn ingest_in_slices_equals_ingest_in_one_go_and_a_rerun_adds_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let truth = loggen(d, LOG);
    let whole = std::fs::read(d.join("access.log")).unwrap();
    ingest_ok(d, "one", &["access.log"], &[]);
    let m = manifest(d, "one");
    assert_eq!(m["next_seq"], truth["valid_requests"]);
    assert_eq!(m["sources"][0]["requests"], truth["valid_requests"]);

    // The same log as it grows: cut in the middle of lines, each part ingested as it comes.
    let growing = d.join("growing.log");
    let cuts = [
        0,
        whole.len() / 7 + 13,
        whole.len() / 2 + 5,
        whole.len() - 40,
        whole.len(),
    ];
    for w in cuts.windows(2) {
        append(&growing, &whole[w[0]..w[1]]);
        ingest_ok(d, "slices", &["growing.log"], &["--commit-every", "300KiB"]);
    }
    // A session that spans two runs is one session: every column equal, session ids included,
    // and so is its row of the sessions table.
    assert_eq!(rows(d, "one", ""), rows(d, "slices", ""));
    let sessions_of =
        |data: &str| sql(d, data, "SELECT * FROM sessions ORDER BY session_id", "csv");
    assert_eq!(sessions_of("one"), sessions_of("slices"));
    let sessions = sql(
        d,
        "slices",
        "SELECT count(DISTINCT session_id) AS n FROM requests",
        "csv",
    );
    assert_eq!(sessions, format!("n\n{}\n", truth["human_sessions"]));

    // Nothing new: nothing added, dataset unchanged.
    let before = manifest(d, "slices");
    let err = ingest_ok(d, "slices", &["growing.log", "access.log"], &[]);
    assert!(err.contains("same file as an earlier argument"), "{err}");
    assert!(err.contains("added 0 requests"), "{err}");
    assert_eq!(manifest(d, "slices")["files"], before["files"]);
}

#[test]
fn rotation_by_rename_compression_and_copytruncate_loses_and_repeats_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let truth = loggen(d, LOG);
    std::fs::rename(d.join("access.log"), d.join("all.log")).unwrap();
    let whole = std::fs::read_to_string(d.join("all.log")).unwrap();
    let lines: Vec<&str> = whole.split_inclusive('\n').collect();
    let part = |a: usize, b: usize| lines[a * lines.len() / 8..b * lines.len() / 8].concat();
    let log = |name: &str| d.join(name);
    let rotated = ["access.log*"];

    append(&log("access.log"), part(0, 1).as_bytes());
    ingest_ok(d, "data", &rotated, &[]);
    // logrotate `create`: lines written before the rename are read from access.log.1.
    append(&log("access.log"), part(1, 2).as_bytes());
    std::fs::rename(log("access.log"), log("access.log.1")).unwrap();
    append(&log("access.log"), part(2, 3).as_bytes());
    ingest_ok(d, "data", &rotated, &[]);
    // Next rotation with `delaycompress`: access.log.1 is compressed to access.log.2.gz.
    append(&log("access.log"), part(3, 4).as_bytes());
    gzip(&log("access.log.1"), &log("access.log.2.gz"));
    std::fs::rename(log("access.log"), log("access.log.1")).unwrap();
    append(&log("access.log"), part(4, 5).as_bytes());
    ingest_ok(d, "data", &rotated, &[]);
    // `copytruncate`: access.log is copied to access.log.1 and truncated in place.
    append(&log("access.log"), part(5, 6).as_bytes());
    std::fs::rename(log("access.log.2.gz"), log("access.log.3.gz")).unwrap();
    gzip(&log("access.log.1"), &log("access.log.2.gz"));
    std::fs::copy(log("access.log"), log("access.log.1")).unwrap();
    std::fs::File::create(log("access.log")).unwrap();
    append(&log("access.log"), part(6, 8).as_bytes());
    ingest_ok(d, "data", &rotated, &[]);
    let err = ingest_ok(d, "data", &rotated, &[]);
    assert!(err.contains("added 0 requests"), "{err}");

    let m = manifest(d, "data");
    assert_eq!(m["next_seq"], truth["valid_requests"]);
    assert_eq!(m["sources"].as_array().unwrap().len(), 4, "{m}");
    // Rows, sessions and their order as if the log had been one file read once.
    ingest_ok(d, "one", &["all.log"], &[]);
    assert_eq!(
        rows(d, "data", "file_id, line"),
        rows(d, "one", "file_id, line")
    );
}

#[test]
fn ingests_killed_at_any_moment_then_rerun_leave_the_dataset_of_one_uninterrupted_run() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let truth = loggen(d, LOG);
    let total = truth["valid_requests"].as_u64().unwrap();
    let args = ["--commit-every", "256KiB"];
    ingest_ok(d, "reference", &["access.log"], &args);

    let mut partial_states = std::collections::BTreeSet::new();
    for i in 0..16u64 {
        let mut child = clickpath(d)
            .args(["ingest", "-q", "--data", "killed", "access.log"])
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(15 + i * i * 3));
        let _ = child.kill(); // SIGKILL
        child.wait().unwrap();
        if let Ok(text) = std::fs::read_to_string(d.join("killed/manifest.json")) {
            let n = serde_json::from_str::<Value>(&text).unwrap()["next_seq"]
                .as_u64()
                .unwrap();
            if n > 0 && n < total {
                partial_states.insert(n);
            }
        }
    }
    assert!(
        partial_states.len() >= 2,
        "the kills should land in the middle of the ingest: {partial_states:?}"
    );
    let err = ingest_ok(d, "killed", &["access.log"], &args);
    assert_eq!(manifest(d, "killed")["next_seq"], total, "{err}");
    assert_eq!(rows(d, "killed", ""), rows(d, "reference", ""));
    // No file is left that the manifest does not list.
    let listed: Vec<String> = manifest(d, "killed")["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_owned())
        .collect();
    let mut on_disk = Vec::new();
    for day in std::fs::read_dir(d.join("killed/requests")).unwrap() {
        for f in std::fs::read_dir(day.unwrap().path()).unwrap() {
            on_disk.push(
                f.unwrap()
                    .path()
                    .strip_prefix(d.join("killed"))
                    .unwrap()
                    .display()
                    .to_string(),
            );
        }
    }
    on_disk.sort();
    let mut listed_sorted = listed.clone();
    listed_sorted.sort();
    assert_eq!(on_disk, listed_sorted);
}

#[test]
fn a_second_writer_is_refused_and_a_failed_write_leaves_the_dataset_consistent() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    loggen(d, LOG);
    ingest_ok(d, "reference", &["access.log"], &[]);

    // Another process holds the lock.
    std::fs::create_dir_all(d.join("data")).unwrap();
    let lock = std::fs::File::create(d.join("data/.lock")).unwrap();
    lock.try_lock().unwrap();
    std::fs::write(d.join("data/.lock"), "pid 4242\n").unwrap();
    let (code, _, err) = ingest(d, "data", &["access.log"], &[]);
    assert_eq!(code, 2);
    assert!(
        err.contains("is being written by another clickpath (pid 4242)"),
        "{err}"
    );
    drop(lock);

    // The disk fills up (a file size limit stands in for it): a clear error, then a rerun
    // with room finishes the job as if nothing had happened.
    let (code, _, err) = run(Command::new("sh")
        .arg("-c")
        .arg("trap '' XFSZ; ulimit -f 300; exec \"$@\"")
        .arg("sh")
        .arg(env!("CARGO_BIN_EXE_clickpath"))
        .args([
            "ingest",
            "-q",
            "--data",
            "data",
            "--commit-every",
            "4MiB",
            "access.log",
        ])
        .env("CLICKPATH_SECRET_FILE", d.join("secret"))
        .current_dir(d));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("cannot write") && err.contains("File too large"),
        "{err}"
    );
    ingest_ok(d, "data", &["access.log"], &[]);
    assert_eq!(rows(d, "data", ""), rows(d, "reference", ""));

    // A dataset path under a file.
    std::fs::write(d.join("plain"), "x").unwrap();
    let (code, _, err) = ingest(d, "plain/data", &["access.log"], &[]);
    assert_eq!(code, 2);
    assert!(
        err.contains("cannot write plain/data") && err.contains("Not a directory"),
        "{err}"
    );
    // Other settings than the dataset's.
    let (code, _, err) = ingest(d, "data", &["access.log"], &["--session-timeout", "10m"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("was ingested with --session-timeout 1800s; this run asks for 600s"),
        "{err}"
    );
    // No dataset.
    let (code, _, err) = run(clickpath(d).args(["report", "--data", "nothing"]));
    assert_eq!(code, 2);
    assert!(err.contains("no dataset here"), "{err}");
}

#[test]
fn reports_from_the_dataset_equal_reports_from_the_files() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    loggen(d, LOG);
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/clickpath.toml");
    let config = config.to_str().unwrap();
    // The config's site hosts are the dataset's too (they shape its channels).
    ingest_ok(
        d,
        "data",
        &["access.log"],
        &["--commit-every", "1MiB", "-c", config],
    );
    for range in [&[][..], &["--from", "2024-03-02"], &["--to", "2024-03-01"]] {
        let files = report_json(d, &[&["-c", config, "access.log"], range].concat());
        let data = report_json(d, &[&["-c", config, "--data", "data"], range].concat());
        assert_eq!(files, data, "range {range:?}");
        assert!(files["traffic"]["sessions"].as_u64().unwrap() > 100);
    }
    let day1 = report_json(d, &["--data", "data", "--to", "2024-03-01"]);
    let day2 = report_json(d, &["--data", "data", "--from", "2024-03-02"]);
    let all = report_json(d, &["--data", "data"]);
    assert_eq!(
        day1["traffic"]["requests"].as_u64().unwrap()
            + day2["traffic"]["requests"].as_u64().unwrap(),
        all["traffic"]["requests"].as_u64().unwrap()
    );
}

#[test]
fn prune_drops_old_days_and_compact_keeps_every_row() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let truth = loggen(d, &[LOG, &["--error-log", "error.log"][..]].concat());
    // The error log by day (nginx's lines start with the local date), ingested apart.
    let errors = std::fs::read_to_string(d.join("error.log")).unwrap();
    let (errors_1, errors_2): (Vec<&str>, Vec<&str>) = errors
        .split_inclusive('\n')
        .partition(|l| l.starts_with("2024/03/01"));
    std::fs::write(d.join("error-1.log"), errors_1.concat()).unwrap();
    std::fs::write(d.join("error-2.log"), errors_2.concat()).unwrap();
    ingest_ok(
        d,
        "data",
        &["error-1.log", "access.log"],
        &["--commit-every", "512KiB"],
    );
    ingest_ok(d, "data", &["error-2.log"], &[]);
    assert_eq!(
        sql(d, "data", "SELECT count(*) AS n FROM events", "csv"),
        format!("n\n{}\n", truth["error_log"]["total_lines"])
    );
    let before = rows(d, "data", "");
    let files_before = manifest(d, "data")["files"].as_array().unwrap().len();
    assert!(files_before > 4);
    let all_sessions = "SELECT * FROM sessions ORDER BY session_id";
    let sessions_before = sql(d, "data", all_sessions, "csv");
    assert_eq!(
        sessions_before.lines().count() - 1,
        truth["human_sessions"].as_u64().unwrap() as usize
    );
    let day2_sessions = "SELECT count(*) AS n FROM sessions WHERE date >= DATE '2024-03-02'";
    let sessions_from_day2 = sql(d, "data", day2_sessions, "csv");

    let (code, _, err) = run(clickpath(d).args(["compact", "--data", "data"]));
    assert_eq!(code, 0, "{err}");
    let m = manifest(d, "data");
    assert_eq!(
        m["files"].as_array().unwrap().len(),
        2,
        "one file per day: {m}"
    );
    assert_eq!(rows(d, "data", ""), before);
    // The sessions closed in each commit: one file per day of their start now, the same rows.
    assert_eq!(m["sessions"].as_array().unwrap().len(), 2, "{m}");
    assert_eq!(sql(d, "data", all_sessions, "csv"), sessions_before);
    // Ingesting goes on after compaction.
    let err = ingest_ok(d, "data", &["access.log"], &[]);
    assert!(err.contains("added 0 requests"), "{err}");

    // Keep the days from 2024-03-02: older than (today - 2024-03-02) days goes.
    let today = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        / 86_400;
    let march_2 = 19_784; // days from 1970-01-01 to 2024-03-02
    let keep = format!("{}d", today - march_2);
    let (code, _, err) = run(clickpath(d).args(["prune", "--data", "data", "--older-than", &keep]));
    assert_eq!(code, 0, "{err}");
    let day2 = sql(
        d,
        "data",
        "SELECT min(date) AS first, count(*) AS n FROM requests",
        "csv",
    );
    let expected = sql(
        d,
        "data",
        "SELECT count(*) FROM requests WHERE date >= DATE '2024-03-02'",
        "csv",
    );
    assert!(day2.starts_with("first,n\n2024-03-02,"), "{day2}");
    assert_eq!(
        day2.lines().nth(1).unwrap().split(',').nth(1),
        expected.lines().nth(1)
    );
    assert!(manifest(d, "data")["next_seq"] == truth["valid_requests"]);
    // The sessions that began on the first day went with it, the others stayed.
    assert_eq!(
        sql(d, "data", "SELECT count(*) AS n FROM sessions", "csv"),
        sessions_from_day2
    );
    // The first day's error-log events went with it.
    assert_eq!(
        sql(d, "data", "SELECT count(*) AS n FROM events", "csv"),
        format!("n\n{}\n", errors_2.len())
    );
    // The dashboard over what is left: each channel's sessions are the report's row for it
    // (the sessions that began on the pruned day and went on after midnight included).
    assert_eq!(manifest(d, "data")["pruned_before"], "2024-03-02");
    let report = report_json(d, &["--data", "data"]);
    let server = crate::http::Server::start(d, &["--data", "data"]);
    let channels = report["acquisition"]["channels"].as_array().unwrap();
    assert!(channels.len() >= 3, "{channels:?}");
    for c in channels {
        let name = c["value"].as_str().unwrap();
        let r = crate::http::get(&server.addr, &format!("/api/report?channel={name}")).json();
        assert_eq!(r["traffic"]["sessions"], c["count"], "channel {name}");
    }
}

#[test]
fn a_dataset_from_before_the_sessions_table_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    loggen(d, LOG);
    ingest_ok(d, "data", &["access.log"], &[]);
    // What an older clickpath wrote: no sessions files, no `sessions_table`.
    let mut m = manifest(d, "data");
    let o = m.as_object_mut().unwrap();
    for key in ["sessions", "open_sessions", "sessions_table"] {
        o.remove(key);
    }
    std::fs::write(d.join("data/manifest.json"), m.to_string()).unwrap();
    let (code, _, err) =
        run(clickpath(d).args(["sql", "--data", "data", "SELECT count(*) FROM sessions"]));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("written by a clickpath without the sessions table"),
        "{err}"
    );
    assert!(err.contains("ingest its logs into a new dataset"), "{err}");
    // The rest of the dataset reads as before.
    assert!(sql(d, "data", "SELECT count(*) AS n FROM requests", "csv").starts_with("n\n"));
}

#[test]
fn a_damaged_data_file_is_named_with_what_to_do_and_the_other_days_still_read() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    loggen(d, LOG);
    ingest_ok(d, "data", &["access.log"], &[]);
    let mut days: Vec<String> = std::fs::read_dir(d.join("data/requests"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    days.sort();
    // The log covers two local days (LOG): one file each.
    assert_eq!(days.len(), 2, "{days:?}");
    let day = |k: usize| days[k].trim_start_matches("date=").to_owned();
    let second = day(1);
    let untouched = report_json(d, &["--data", "data", "--from", &second, "--to", &second]);
    let first = d
        .join("data/requests")
        .join(&days[0])
        .join("part-00000001.parquet");
    let bytes = std::fs::read(&first).unwrap();
    // Damaged in two ways: cut short (no footer) and bytes changed in its data pages.
    let mut flipped = bytes.clone();
    for b in &mut flipped[bytes.len() / 3..bytes.len() / 3 + 2000] {
        *b ^= 0x5a;
    }
    for damaged in [bytes[..bytes.len() / 2].to_vec(), flipped] {
        std::fs::write(&first, &damaged).unwrap();
        let (code, _, err) = run(clickpath(d).args(["report", "-q", "--data", "data"]));
        assert_eq!(code, 2, "{err}");
        assert!(
            err.contains(&format!(
                "cannot read data/requests/{}/part-00000001.parquet",
                days[0]
            )),
            "{err}"
        );
        assert!(
            err.contains("restore it from a backup, or ingest the logs again"),
            "{err}"
        );
        assert!(!err.contains("panicked"), "{err}");
        // The other day's file still gives its report, the same as before the damage.
        let other = report_json(d, &["--data", "data", "--from", &second, "--to", &second]);
        assert_eq!(other, untouched);
    }
}

#[test]
fn sql_answers_counts_from_metadata_and_reports_query_errors() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let truth = loggen(d, LOG);
    ingest_ok(d, "data", &["access.log"], &[]);
    let plan = sql(d, "data", "EXPLAIN SELECT count(*) FROM requests", "table");
    let physical = plan.split("physical_plan").nth(1).unwrap();
    assert!(!physical.contains("DataSourceExec"), "{plan}");
    assert_eq!(
        sql(d, "data", "SELECT count(*) AS n FROM requests", "csv"),
        format!("n\n{}\n", truth["valid_requests"])
    );

    for (query, says) in [
        ("SELECT nope FROM requests", "nope"),
        ("SELEC 1", "SELEC"),
        (
            "SELECT window_funnel(60, ts) FROM requests",
            "window_funnel",
        ),
        ("SELECT * FROM missing_table", "missing_table"),
    ] {
        let (code, _, err) = run(clickpath(d).args(["sql", "--data", "data", query]));
        assert_eq!(code, 2, "{query}");
        assert!(
            err.contains(says) && !err.contains("panicked"),
            "{query}: {err}"
        );
    }
}

/// The `| `name` | type | meaning |` rows of the docs/dataset.md section headed `heading`.
fn documented_columns(heading: &str) -> Vec<(String, String)> {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/dataset.md"))
            .unwrap();
    let section = doc.split("\n## ").find(|s| s.starts_with(heading)).unwrap();
    section
        .lines()
        .filter_map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            let name = cells.get(1)?.strip_prefix('`')?.strip_suffix('`')?;
            Some((name.to_owned(), cells.get(2)?.to_string()))
        })
        .collect()
}

/// (name, DuckDB type) of the files the manifest lists under `key`, then ("rows", count).
fn duckdb_columns(data: &Path, key: &str) -> Vec<(String, String)> {
    let script = r#"
import duckdb, json, sys
data, key = sys.argv[1], sys.argv[2]
m = json.load(open(data + "/manifest.json"))
files = [data + "/" + f["path"] for f in m[key]]
if key == "sessions" and m.get("open_sessions"):
    files.append(data + "/" + m["open_sessions"]["path"])
rel = duckdb.read_parquet(files)
for name, type_ in zip(rel.columns, rel.types):
    print(f"{name}\t{type_}")
print("rows\t" + str(rel.aggregate("count(*)").fetchall()[0][0]))
"#;
    let out = Command::new("python3")
        .args(["-c", script, data.to_str().unwrap(), key])
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "DuckDB (pip install duckdb): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let (a, b) = l.split_once('\t').unwrap();
            (a.to_owned(), b.to_owned())
        })
        .collect()
}

#[test]
fn another_reader_sees_the_documented_schema() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let truth = loggen(d, LOG);
    ingest_ok(d, "data", &["access.log"], &["--commit-every", "1MiB"]);
    // DuckDB, reading the files the manifest lists: the requests, then the sessions.
    for (key, heading, rows) in [
        ("files", "The `requests` table", &truth["valid_requests"]),
        ("sessions", "The sessions table", &truth["human_sessions"]),
    ] {
        let documented = documented_columns(heading);
        assert!(documented.len() > 20, "{documented:?}");
        let seen = duckdb_columns(&d.join("data"), key);
        let (count, columns) = seen.split_last().unwrap();
        assert_eq!(count.1, rows.to_string(), "{key}");
        let names = |v: &[(String, String)]| v.iter().map(|c| c.0.clone()).collect::<Vec<_>>();
        assert_eq!(names(columns), names(&documented));
        for ((name, duck), (_, doc)) in columns.iter().zip(&documented) {
            assert!(
                doc.contains(duck.as_str()),
                "{name}: DuckDB sees {duck}, the docs say {doc}"
            );
        }
    }
}

#[test]
fn a_last_line_without_newline_waits_in_a_growing_file_but_not_in_a_compressed_one() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let line = |n: u32| {
        format!(
            "203.0.113.{n} - - [01/Mar/2024:10:00:0{n} +0000] \"GET /p{n} HTTP/1.1\" 200 5 \"-\" \"Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0\""
        )
    };
    let text = format!("{}\n{}", line(1), line(2));
    std::fs::write(d.join("access.log"), &text).unwrap();
    gzip(&d.join("access.log"), &d.join("old.log.gz"));
    std::fs::write(d.join("access.log"), &text).unwrap();
    let err = ingest_ok(d, "plain", &["access.log"], &[]);
    assert!(err.contains("added 1 requests"), "{err}");
    append(&d.join("access.log"), b"\n");
    let err = ingest_ok(d, "plain", &["access.log"], &[]);
    assert!(err.contains("added 1 requests"), "{err}");
    let err = ingest_ok(d, "gz", &["old.log.gz"], &[]);
    assert!(err.contains("added 2 requests"), "{err}");
}
