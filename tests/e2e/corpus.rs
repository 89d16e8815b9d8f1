//! Golden counts over every file of the real-log corpus (`../shared/corpus/real`, see its
//! SOURCES.md). Each file's format, requests and rejections are stated, and each rejection is
//! explained: these are real third-party logs, messy on purpose.

use crate::{clickpath, corpus, run};

/// (file, format, lines, requests, rejected by reason, directive lines)
type Golden = (
    &'static str,
    &'static str,
    u64,
    u64,
    &'static [(&'static str, u64)],
    u64,
);

const GOLDEN: &[Golden] = &[
    // Line 8899 is cut inside its user agent, the last field: kept with the user agent to the
    // end of the line, as GoAccess does.
    (
        "elastic-apache/apache_logs",
        "combined",
        10_000,
        10_000,
        &[],
        0,
    ),
    // nginx combined plus a trailing "$http_x_forwarded_for": the extra field is tolerated.
    (
        "zanbil-ecommerce/access-10k.log",
        "combined",
        10_000,
        10_000,
        &[],
        0,
    ),
    // Lines wrapped in an extra pair of quotes; all parse with the combined_quoted preset.
    (
        "scanner-attacks-apache/acunetix.txt",
        "combined_quoted",
        6_539,
        6_539,
        &[],
        0,
    ),
    (
        "scanner-attacks-apache/netsparker.txt",
        "combined_quoted",
        7_314,
        7_314,
        &[],
        0,
    ),
    // The last 62 lines are plain combined, not wrapped in quotes: another format mid-file,
    // read with the next best preset (`read_with_another_preset`, checked below).
    (
        "scanner-attacks-apache/w3af.txt",
        "combined_quoted",
        3_996,
        3_996,
        &[],
        0,
    ),
    // A damaged copy: ~61 records were split over two physical lines by a terminal. A first half
    // usually ends early (truncated) and a second half starts with no client (bad_client) or runs
    // out of fields (truncated); a cut inside the size field leaves a first half that still
    // parses (with the size cut short). Plus the stray last line `miriwo`.
    (
        "nasa-http-1995-sample/NASA_access_log_Aug95.head.WRAPPED-LINES.txt",
        "common",
        1_930,
        1_841,
        &[("truncated", 69), ("bad_client", 20)],
        0,
    ),
    // W3C with #Fields headers repeated at every IIS restart; `+` for spaces, CRLF, zstd.
    (
        "iis-w3c-waikolai-2009/u_ex_W3SVC20_2009-2011.concat.log.zst",
        "w3c",
        38_740,
        22_308,
        &[],
        16_432,
    ),
    (
        "iis-w3c-webknowit-2015/u_ex_W3SVC1_2015-2016.concat.log",
        "w3c",
        31_070,
        14_318,
        &[],
        16_752,
    ),
    (
        "iis-w3c-webknowit-2015/u_ex_W3SVC2_2016.concat.log.zst",
        "w3c",
        65_543,
        64_619,
        &[],
        924,
    ),
];

fn check_format(files: &[String]) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = run(clickpath(dir.path())
        .arg("check-format")
        .arg("--json")
        .args(files));
    assert!(code == 0 || code == 1, "{err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}"))
}

#[test]
fn every_real_log_parses_with_its_stated_rejections() {
    let root = corpus();
    let files: Vec<String> = GOLDEN
        .iter()
        .map(|g| root.join(g.0).display().to_string())
        .collect();
    let doc = check_format(&files);
    for (golden, got) in GOLDEN.iter().zip(doc["files"].as_array().unwrap()) {
        let (name, format, lines, requests, rejected, directives) = *golden;
        assert_eq!(got["format"], format, "{name}");
        assert_eq!(got["lines"], lines, "{name}");
        assert_eq!(got["requests"], requests, "{name}");
        assert_eq!(got["directives"], directives, "{name}");
        let want: serde_json::Map<String, serde_json::Value> = rejected
            .iter()
            .map(|(r, n)| ((*r).to_owned(), (*n).into()))
            .collect();
        assert_eq!(
            got["rejected_by_reason"],
            serde_json::Value::Object(want),
            "{name}"
        );
    }
}

#[test]
fn honeynet_rotated_set_parses_whole() {
    // 26 logrotate files (access_log.25 oldest); .6, .7 and .8 hold a single empty line. Request
    // lines with raw quotes and binary junk (Nikto, worms) all parse: quoted fields try each
    // closing quote until the rest of the line fits.
    let pattern = corpus()
        .join("honeynet-redhat-httpd/access_log*")
        .display()
        .to_string();
    let doc = check_format(&[pattern]);
    let files = doc["files"].as_array().unwrap();
    assert_eq!(files.len(), 26);
    assert!(
        files[0]["file"]
            .as_str()
            .unwrap()
            .ends_with("access_log.25")
    );
    assert!(files[25]["file"].as_str().unwrap().ends_with("access_log"));
    assert_eq!(doc["total"]["lines"], 38_490);
    assert_eq!(doc["total"]["requests"], 38_487);
    assert_eq!(doc["total"]["rejected"], 0);
}

#[test]
fn non_log_files_in_the_corpus_are_refused_clearly() {
    let readme = corpus().join("honeynet-redhat-httpd/HoneynetRedHat-readme.txt");
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = run(clickpath(dir.path()).arg("check-format").arg(&readme));
    // Skipped, not fatal: exit 1 (docs/formats.md, "Exit status").
    assert_eq!(code, 1);
    assert!(
        out.contains("HoneynetRedHat-readme.txt: skipped: unknown log format"),
        "{out}"
    );
    assert!(
        out.contains("combined") && out.contains("--format"),
        "{out}{err}"
    );
}
