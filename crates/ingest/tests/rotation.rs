//! A log rotated while an ingest is reading: every line goes in once, the old file's last lines
//! before the new file's first.

use std::io::Write;
use std::path::Path;

use arrow_array::RecordBatch;
use arrow_array::cast::AsArray;
use arrow_array::types::TimestampMicrosecondType;
use clickpath_formats::batch::RowOptions;
use clickpath_formats::input::Source;
use clickpath_formats::pipeline::Options;
use clickpath_ingest::{GivenSettings, IngestConfig, Sink, ingest_into};
use clickpath_model::{ClientKeyer, Secret, field};

/// Combined-format lines `from..to`, one second apart from 2026-03-01 10:00:00 UTC (`day` 1)
/// or 2026-01-01 (`day` 0, the filler).
fn lines(day: u32, from: u32, to: u32) -> String {
    let (date, path) = if day == 0 {
        ("01/Jan/2026", "/filler")
    } else {
        ("01/Mar/2026", "/page")
    };
    (from..to)
        .map(|i| {
            format!(
                "10.0.{}.{} - - [{date}:{:02}:{:02}:{:02} +0000] \"GET {path}/{i} HTTP/1.1\" 200 512 \"-\" \"Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0\"\n",
                i / 250 % 250,
                i % 250,
                10 + i / 3600,
                i / 60 % 60,
                i % 60
            )
        })
        .collect()
}

fn append(path: &Path, text: &str) {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

/// Keeps the times of the March requests it is handed; runs `on_first` at the first batch.
struct Times<F: FnMut()> {
    march: Vec<i64>,
    on_first: Option<F>,
}

const MARCH: i64 = 1_772_323_200_000_000; // 2026-03-01T00:00:00Z

impl<F: FnMut()> Sink for Times<F> {
    fn events(&mut self, _: &RecordBatch) {}
    fn requests(&mut self, hit: &RecordBatch, _: bool) {
        if let Some(mut f) = self.on_first.take() {
            f();
        }
        let ts = hit
            .column_by_name(field::TS)
            .unwrap()
            .as_primitive::<TimestampMicrosecondType>();
        self.march
            .extend(ts.iter().flatten().filter(|&t| t >= MARCH));
    }
}

fn run<F: FnMut()>(data: &Path, files: &[&Path], sink: &mut Times<F>) -> u64 {
    let cfg = IngestConfig {
        dir: data.to_owned(),
        settings: GivenSettings::default(),
        commit_every: 64 << 10,
        geoip: None,
    };
    let mut options = Options::new(RowOptions {
        raw_ip: false,
        client_from_forwarded_for: false,
        keyer: ClientKeyer::new(Secret::from_bytes([7; 16])),
        error_log_tz: None,
    });
    // Two parser threads: the reader is at most six 64 KiB chunks ahead of the sink.
    options.threads = 2;
    let sources: Vec<Source> = files.iter().map(|p| Source::file(*p)).collect();
    ingest_into(&cfg, &sources, options, || {}, sink)
        .unwrap()
        .rows_added
}

#[test]
fn a_log_rotated_mid_ingest_is_read_whole_and_in_order() {
    let tmp = tempfile::tempdir().unwrap();
    let (data, log, old, filler) = (
        tmp.path().join("data"),
        tmp.path().join("access.log"),
        tmp.path().join("access.log.1"),
        tmp.path().join("filler.log"),
    );
    let none = || {};
    append(&log, &lines(1, 0, 100));
    let mut first = Times {
        march: Vec::new(),
        on_first: Some(none),
    };
    assert_eq!(run(&data, &[&log], &mut first), 100);

    // The server writes 100 more lines; the next ingest lists the filler (1.3 MiB: twenty
    // chunks to read before access.log) and access.log, and while it reads the filler,
    // logrotate renames access.log and the server starts a new one with lines 200..300.
    append(&log, &lines(1, 100, 200));
    append(&filler, &lines(0, 0, 10_000));
    let mut second = Times {
        march: Vec::new(),
        on_first: Some(|| {
            std::fs::rename(&log, &old).unwrap();
            append(&log, &lines(1, 200, 300));
        }),
    };
    let added = run(&data, &[&filler, &log], &mut second);
    // The round read the file it listed: the old one's 100 new lines, not the new file.
    assert_eq!(added, 10_000 + 100);
    assert_eq!(second.march.len(), 100);
    // The next round, as the directory now lists them: nothing more of the old file, the new
    // file whole.
    let mut third = Times {
        march: Vec::new(),
        on_first: Some(none),
    };
    assert_eq!(run(&data, &[&old, &log], &mut third), 100);

    // Lines 100..300 in the order the server wrote them, one second apart.
    let seen: Vec<i64> = second.march.iter().chain(&third.march).copied().collect();
    let start = MARCH + 10 * 3_600_000_000;
    let written: Vec<i64> = (100..300)
        .map(|i| start + i64::from(i) * 1_000_000)
        .collect();
    assert_eq!(seen, written);
}
