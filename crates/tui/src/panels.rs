//! The dashboard's panels, each a table built from the report's own structures: its figures
//! are picked and formatted (`text`); the only arithmetic is a row's share of its total, rounded
//! as the report rounds shares. A row may name the requests behind it (the web dashboard's
//! drill-down parameters: `path`, `status`, `class`, `bot`, `start`, `end`).

use clickpath_analytics::incidents::{Class, Kind};
use clickpath_analytics::report::Row;
use clickpath_analytics::{TrafficReport, campaign_label};

use crate::text::{clean, of, percent, seconds, short_time, thousands};

/// `key=value` pairs: a filter or a drill-down, as the web dashboard's query parameters.
pub type Pairs = Vec<(String, String)>;

/// An alert in a watcher's saved state: (alert name, state, how many).
pub type AlertCount = (String, String, u64);

pub struct Panel {
    pub title: String,
    pub header: Vec<&'static str>,
    pub rows: Vec<PanelRow>,
    /// Said when there is no row.
    pub empty: &'static str,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PanelRow {
    pub cells: Vec<String>,
    /// The requests behind the row (empty: none to show).
    pub drill: Pairs,
}

fn row(cells: Vec<String>, drill: &[(&str, &str)]) -> PanelRow {
    PanelRow {
        cells,
        drill: drill
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    }
}

fn panel(title: &str, header: Vec<&'static str>, rows: Vec<PanelRow>) -> Panel {
    Panel {
        title: title.to_owned(),
        header,
        rows,
        empty: "nothing yet",
    }
}

/// Which of an incident's requests its drill-down shows, besides its window: the responses
/// the incident is about ([`Kind::class`]), asked as the web dashboard asks for them
/// (`incidentDrill` in crates/server/assets/app.js: a rate-limit storm's 4xx, an unknown kind's
/// 5xx); none for a traffic drop (all its requests).
fn incident_requests(kind: &str) -> Option<(&'static str, &'static str)> {
    match Kind::named(kind).map_or(Some(Class::ServerError), Kind::class)? {
        Class::ServerError => Some(("class", "5xx")),
        Class::NotFound => Some(("status", "404")),
        Class::RateLimited | Class::Forbidden => Some(("class", "4xx")),
    }
}

/// `rows` with their share of `total`; `drill` names the requests behind a value.
fn counted(rows: &[Row], total: u64, drill: Option<&str>) -> Vec<PanelRow> {
    rows.iter()
        .map(|r| {
            // A status that is not a code ("-": none logged) names no requests.
            let d: Vec<(&str, &str)> = drill
                .filter(|k| *k != "status" || r.value.parse::<u16>().is_ok())
                .map(|k| (k, r.value.as_str()))
                .into_iter()
                .collect();
            row(
                vec![clean(&r.value), thousands(r.count), of(r.count, total)],
                &d,
            )
        })
        .collect()
}

/// The panels, in the order of the tab bar (digits 1-9 and 0 select the first ten).
pub fn panels(r: &TrafficReport, alerts: Option<&[AlertCount]>) -> Vec<Panel> {
    let t = &r.traffic;
    let mut out = vec![
        panel(
            "Traffic by day",
            vec!["day", "requests", "humans", "page views", "sessions"],
            r.time
                .by_day
                .iter()
                .map(|b| {
                    row(
                        vec![
                            clean(&b.at),
                            thousands(b.requests),
                            thousands(b.human_requests),
                            thousands(b.pageviews),
                            thousands(b.sessions),
                        ],
                        &[],
                    )
                })
                .collect(),
        ),
        panel(
            "Channels",
            vec!["channel", "sessions", "share"],
            counted(&r.acquisition.channels, t.sessions, None),
        ),
        panel(
            "Campaigns",
            vec!["source / medium / campaign", "sessions", "share"],
            r.acquisition
                .campaigns
                .iter()
                .map(|c| {
                    let name = campaign_label(
                        c.source.as_deref(),
                        c.medium.as_deref(),
                        c.campaign.as_deref(),
                    )
                    .unwrap_or_default();
                    row(
                        vec![
                            clean(&name),
                            thousands(c.sessions),
                            of(c.sessions, t.sessions),
                        ],
                        &[],
                    )
                })
                .collect(),
        ),
        panel(
            "Top pages",
            vec!["page", "views", "share"],
            counted(&r.pages.top, t.pageviews, Some("path")),
        ),
        panel(
            "Entry pages",
            vec!["page", "sessions", "share"],
            counted(&r.pages.entry, t.sessions_with_pageviews, Some("path")),
        ),
        panel(
            "Exit pages",
            vec!["page", "sessions", "share"],
            counted(&r.pages.exit, t.sessions_with_pageviews, Some("path")),
        ),
    ];
    for f in &r.funnels {
        let errored = |k: usize| {
            f.lost_conversions
                .as_ref()
                .and_then(|l| l.by_step.get(k))
                .map_or_else(String::new, |s| thousands(s.errored))
        };
        out.push(panel(
            &format!("Funnel {}", clean(&f.name)),
            vec!["step", "sessions", "from prev", "drop-off", "errored"],
            f.steps
                .iter()
                .enumerate()
                .map(|(k, s)| {
                    row(
                        vec![
                            clean(&s.name),
                            thousands(s.sessions),
                            percent(s.conversion_from_previous),
                            thousands(s.drop_off),
                            errored(k),
                        ],
                        &[],
                    )
                })
                .collect(),
        ));
    }
    let mut incidents: Vec<(String, PanelRow)> = r
        .incidents
        .iter()
        .map(|i| {
            let lost = i
                .conversions_lost
                .map_or_else(String::new, |l| format!("{l:.1}"));
            let cells = vec![
                short_time(&i.start),
                clean(&i.kind),
                seconds(i.duration_s),
                thousands(i.requests),
                lost,
            ];
            let mut drill = vec![("start", i.start.as_str()), ("end", i.end.as_str())];
            drill.extend(incident_requests(&i.kind));
            (i.start.clone(), row(cells, &drill))
        })
        .collect();
    for s in &r.restarts {
        let what = format!("{} ({})", s.kind, s.how);
        let cells = vec![
            short_time(&s.start),
            clean(&what),
            String::new(),
            String::new(),
            String::new(),
        ];
        incidents.push((
            s.start.clone(),
            row(cells, &[("start", &s.start), ("end", &s.end)]),
        ));
    }
    incidents.sort_by(|a, b| a.0.cmp(&b.0));
    out.push(Panel {
        empty: "no incident",
        ..panel(
            "Incidents",
            vec!["start", "what", "lasted", "requests", "conv. lost"],
            incidents.into_iter().map(|(_, r)| r).collect(),
        )
    });
    out.push(Panel {
        empty: match alerts {
            Some(_) => "no alert",
            None => "no alert state: `clickpath watch` on this dataset keeps one",
        },
        ..panel(
            "Alerts",
            vec!["alert", "state", "alerts"],
            alerts
                .unwrap_or_default()
                .iter()
                .map(|(name, state, n)| row(vec![clean(name), clean(state), thousands(*n)], &[]))
                .collect(),
        )
    });
    out.push(Panel {
        empty: "no error response explained by an error log",
        ..panel(
            "Errors by cause",
            vec!["status", "cause", "requests"],
            r.errors
                .causes
                .iter()
                .map(|c| {
                    let status = c.status.to_string();
                    row(
                        vec![status.clone(), clean(&c.cause), thousands(c.requests)],
                        &[("status", &status)],
                    )
                })
                .collect(),
        )
    });
    out.push(Panel {
        empty: "no broken internal link",
        ..panel(
            "Broken links",
            vec!["from -> to", "hits", "sessions", "in funnel"],
            r.errors
                .internal_links
                .iter()
                .map(|l| {
                    row(
                        vec![
                            clean(&format!("{} -> {}", l.source, l.target)),
                            thousands(l.hits),
                            thousands(l.sessions),
                            thousands(l.in_funnel_sessions),
                        ],
                        &[("status", "404"), ("path", &l.target)],
                    )
                })
                .collect(),
        )
    });
    out.push(panel(
        "Status codes",
        vec!["status", "requests", "share"],
        counted(&r.statuses.all, t.requests, Some("status")),
    ));
    out.push(panel(
        "Bots",
        vec!["family / bot", "requests", "share"],
        r.bots
            .by_name
            .iter()
            .map(|b| {
                row(
                    vec![
                        clean(&format!("{} / {}", b.family, b.name)),
                        thousands(b.requests),
                        of(b.requests, r.bots.requests),
                    ],
                    &[("bot", &b.name)],
                )
            })
            .collect(),
    ));
    out.push(panel(
        "Devices",
        vec!["device", "sessions", "share"],
        counted(&r.technology.devices, t.sessions, None),
    ));
    out.push(panel(
        "Referrers",
        vec!["domain", "sessions", "share"],
        counted(&r.acquisition.referrer_domains, t.sessions, None),
    ));
    out
}
