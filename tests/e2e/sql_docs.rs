//! Every query of docs/sql.md, run on the example dataset the page describes, must print the
//! result the page shows; where loggen's truth has the figure, it must equal it too.

use std::collections::BTreeMap;
use std::path::Path;

use crate::dataset::LOG;
use crate::{clickpath, loggen, run};

/// `(name, query, expected table)` of each ```sql NAME block followed by a ```text block.
fn examples(doc: &str) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    let mut rest = doc;
    while let Some(i) = rest.find("```sql ") {
        let block = &rest[i + 7..];
        let (name, body) = block.split_once('\n').unwrap();
        let (query, after) = body.split_once("\n```").unwrap();
        let after = after.trim_start_matches('\n').trim_start();
        let text = after
            .strip_prefix("```text\n")
            .unwrap_or_else(|| panic!("example {name} has no ```text result"));
        let (expected, next) = text.split_once("\n```").unwrap();
        out.push((name.to_owned(), query.to_owned(), expected.to_owned()));
        rest = next;
    }
    out
}

/// The cells of a one-row table, by column name.
fn one_row(table: &str) -> BTreeMap<String, String> {
    let rows: Vec<Vec<String>> = table
        .lines()
        .filter(|l| l.starts_with('|'))
        .map(|l| {
            l.split('|')
                .map(|c| c.trim().to_owned())
                .filter(|c| !c.is_empty())
                .collect()
        })
        .collect();
    assert_eq!(rows.len(), 2, "{table}");
    rows[0]
        .iter()
        .cloned()
        .zip(rows[1].iter().cloned())
        .collect()
}

#[test]
fn sql_examples_in_the_docs_give_the_documented_results() {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/sql.md")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // The dataset tests' log, with its error log and an outage.
    let extra = [
        "--error-log",
        "error.log",
        "--incident",
        "outage-5xx@+34h+20m",
    ];
    let truth = loggen(d, &[LOG, &extra[..]].concat());
    assert!(doc.contains("--seed 5 --lines 40000 --visitors-per-hour 40 --tz +0100 \\\n  --error-log error.log --incident outage-5xx@+34h+20m"));
    assert!(doc.contains(
        "clickpath ingest --data data --site-host shop.example.com error.log access.log"
    ));
    let (code, _, err) = run(clickpath(d).args([
        "ingest",
        "-q",
        "--data",
        "data",
        "--site-host",
        "shop.example.com",
        "error.log",
        "access.log",
    ]));
    assert_eq!(code, 0, "{err}");

    let examples = examples(&doc);
    assert!(examples.len() >= 10, "{} examples", examples.len());
    let mut results = BTreeMap::new();
    for (name, query, expected) in &examples {
        let (code, out, err) = run(clickpath(d).args(["sql", "--data", "data", query]));
        assert_eq!(code, 0, "{name}: {err}");
        assert_eq!(out.trim_end(), expected, "docs/sql.md example {name}");
        results.insert(name.as_str(), out);
    }
    let n = |v: &serde_json::Value| v.to_string();
    let funnel = one_row(&results["checkout-funnel"]);
    for step in ["product", "cart", "checkout", "payment", "confirm"] {
        assert_eq!(funnel[step], n(&truth["funnel_sequential"][step]), "{step}");
    }
    let errors = one_row(&results["payment-errors"]);
    assert_eq!(
        errors["sessions_with_payment_5xx"],
        n(&truth["sessions_payment_5xx"])
    );
    assert_eq!(
        errors["not_converted"],
        n(&truth["sessions_payment_5xx_not_converted"])
    );
    let links = one_row(&results["broken-links-total"]);
    assert_eq!(links["hits"], n(&truth["status_404_internal_referrer"]));
    let sessions = one_row(&results["sessionize"]);
    assert_eq!(sessions["sessions_30m"], n(&truth["human_sessions"]));
    // Every event of the error log, and the outage with the causes of its 5xx.
    let events: u64 = results["error-causes"]
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| cause"))
        .map(|l| l.split('|').nth(3).unwrap().trim().parse::<u64>().unwrap())
        .sum();
    assert_eq!(events, truth["error_log"]["total_lines"].as_u64().unwrap());
    let incident = one_row(&results["incidents"]);
    let t = &truth["incidents"][0];
    assert_eq!(incident["kind"], "error_burst");
    assert_eq!(incident["start"], t["start"].as_str().unwrap());
    let causes: serde_json::Value = serde_json::from_str(&incident["causes"]).unwrap();
    assert_eq!(causes, t["causes"]);
}
