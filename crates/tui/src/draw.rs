//! The screen: headline figures, the live strip of the last minutes, the tab bar, the panels
//! in a grid (as many as the terminal holds: one column at 80x24, three at 160x48), and the
//! status line; a panel expanded, a drill-down, the help or a prompt over them.

use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Cell, Clear, Paragraph, Row, Sparkline, Table, TableState};
use unicode_width::UnicodeWidthStr;

use crate::app::{App, Prompt};
use crate::text::{clean, of, percent, short_time, thousands};

/// Narrowest panel, in columns, and the fewest rows one shows.
const PANEL_WIDTH: u16 = 52;
const PANEL_HEIGHT: u16 = 8;

pub const KEYS: &[(&str, &str)] = &[
    ("Tab / Shift-Tab", "next / previous panel"),
    ("1-9, 0", "panel 1-9, 10"),
    ("j k, arrows", "move in the panel (PgUp PgDn g G)"),
    ("Enter", "expand the panel; on a row of it: its requests"),
    ("d", "the requests behind the selected row"),
    ("Esc", "back (drill-down, expanded panel, search)"),
    ("/", "search every panel; n: next panel with matches"),
    (
        ": or F",
        "filter: from= to= channel= campaign= device= country= audience=",
    ),
    ("s", "sort by the next column (again: the report's order)"),
    ("f", "freeze / unfreeze updates"),
    ("?", "this help"),
    ("q, Ctrl-C", "quit"),
];

fn style(app: &App, color: Color) -> Style {
    if app.color {
        Style::default().fg(color)
    } else {
        Style::default()
    }
}

fn bold() -> Style {
    Style::default().add_modifier(Modifier::BOLD)
}

pub fn draw(f: &mut Frame, app: &App) {
    let area = f.area();
    let [head, strip, tabs, body, status] = Layout::vertical([
        Constraint::Length(3),
        Constraint::Length(2),
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(area);
    headline(f, app, head);
    live_strip(f, app, strip);
    tab_bar(f, app, tabs);
    if app.answer.is_none() {
        f.render_widget(Paragraph::new("reading the logs…"), body);
    } else if let Some(d) = &app.drill {
        let lines: Vec<Line> = d
            .lines
            .iter()
            .skip(d.scroll)
            .map(|l| Line::raw(l.as_str()))
            .collect();
        let title = format!(
            " {} — {} request(s), {} shown (Esc: back) ",
            d.title,
            thousands(d.total),
            d.lines.len()
        );
        f.render_widget(
            Paragraph::new(lines).block(
                Block::bordered()
                    .title(title)
                    .border_style(style(app, Color::Cyan)),
            ),
            body,
        );
    } else if app.expanded {
        panel(f, app, app.focus, body);
    } else {
        grid(f, app, body);
    }
    status_line(f, app, status);
    if app.help {
        help(f, app, area);
    }
}

fn headline(f: &mut Frame, app: &App, area: Rect) {
    let state = if app.frozen { "FROZEN" } else { "LIVE" };
    let Some(a) = &app.answer else {
        let l = Line::from(vec![
            Span::styled("clickpath top ", bold()),
            Span::raw(clean(&app.name)),
        ]);
        f.render_widget(Paragraph::new(l), area);
        return;
    };
    let r = &a.report;
    let t = &r.traffic;
    let period = r.period.as_ref().map_or_else(String::new, |p| {
        format!("{} .. {}", short_time(&p.first), short_time(&p.last))
    });
    let filter = if a.filter.is_empty() {
        "all traffic".to_owned()
    } else {
        a.filter
            .iter()
            .map(|(k, v)| format!("{k}={}", clean(v)))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let fig = |label: &str, value: String| {
        vec![
            Span::styled(format!("{label} "), style(app, Color::Gray)),
            Span::styled(value, bold()),
            Span::raw("  "),
        ]
    };
    let class = |c: &str| {
        r.statuses
            .classes
            .iter()
            .find(|row| row.value == c)
            .map_or(0, |row| row.count)
    };
    // Narrow terminals get 1.2M for 1,234,567.
    let num = |n: u64| {
        if area.width < 100 {
            compact(n)
        } else {
            thousands(n)
        }
    };
    let line1 = Line::from(vec![
        Span::styled("clickpath top ", bold()),
        Span::styled(
            state,
            style(app, if app.frozen { Color::Red } else { Color::Green })
                .add_modifier(Modifier::BOLD),
        ),
        Span::raw(format!("  {period}  ")),
        Span::styled(filter, style(app, Color::Yellow)),
        Span::raw(format!("  {}", clean(&app.name))),
    ]);
    let line2 = Line::from(
        [
            fig("Requests", num(t.requests)),
            fig("Visitors", num(t.visitors)),
            fig("Sessions", num(t.sessions)),
            fig("Views", num(t.pageviews)),
            fig("Bounce", percent(t.bounce_rate)),
        ]
        .concat(),
    );
    let mut third = Vec::new();
    if let Some(fun) = r.funnels.first() {
        third.push(fig(
            &format!("Conv. {}", clean(&fun.name)),
            percent(fun.conversion_rate),
        ));
    }
    third.push(fig("5xx", num(class("5xx"))));
    third.push(fig("4xx", num(class("4xx"))));
    third.push(fig("Incidents", r.incidents.len().to_string()));
    let firing: u64 = a
        .alerts
        .iter()
        .flatten()
        .filter(|(_, s, _)| s == "firing")
        .map(|(_, _, n)| n)
        .sum();
    third.push(fig("Firing", firing.to_string()));
    third.push(fig("Bots", num(t.bot_requests)));
    f.render_widget(
        Paragraph::new(vec![line1, line2, Line::from(third.concat())]),
        area,
    );
}

/// `1234567` -> `1.2M`; below a million as [`thousands`].
fn compact(n: u64) -> String {
    if n >= 1_000_000 {
        format!("{:.1}M", n as f64 / 1e6)
    } else {
        thousands(n)
    }
}

fn live_strip(f: &mut Frame, app: &App, area: Rect) {
    let Some(a) = &app.answer else { return };
    let tl = &a.report.time.timeline;
    let label_w = 22u16.min(area.width / 3);
    let n = area.width.saturating_sub(label_w) as usize;
    let last = &tl[tl.len().saturating_sub(n)..];
    let minutes = last.first().map_or(1, |b| b.minutes.max(1));
    let span = last.len() as u64 * u64::from(minutes);
    let requests: Vec<u64> = last.iter().map(|b| b.requests).collect();
    let errors: Vec<u64> = last.iter().map(|b| b.errors).collect();
    let [top, bottom] =
        Layout::vertical([Constraint::Length(1), Constraint::Length(1)]).areas(area);
    for (row, values, label, color) in [
        (
            top,
            &requests,
            format!(
                "req/{minutes}m, last {}",
                crate::text::seconds(span as i64 * 60)
            ),
            Color::Green,
        ),
        (
            bottom,
            &errors,
            format!("errors {}", of(errors.iter().sum(), requests.iter().sum())),
            Color::Red,
        ),
    ] {
        let [l, s] =
            Layout::horizontal([Constraint::Length(label_w), Constraint::Fill(1)]).areas(row);
        f.render_widget(Paragraph::new(label), l);
        f.render_widget(
            Sparkline::default().data(values).style(style(app, color)),
            s,
        );
    }
}

fn tab_bar(f: &mut Frame, app: &App, area: Rect) {
    let labels: Vec<String> = app
        .panels
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let key = key_label(i);
            let matches = if app.search.is_empty() {
                String::new()
            } else {
                format!("({})", app.visible(i).len())
            };
            format!(" {key} {}{matches} ", p.title)
        })
        .collect();
    // From a tab that keeps the focused one in view.
    let mut start = 0;
    while start < app.focus
        && labels[start..=app.focus]
            .iter()
            .map(|l| l.width())
            .sum::<usize>()
            > area.width as usize
    {
        start += 1;
    }
    let spans: Vec<Span> = labels
        .into_iter()
        .enumerate()
        .skip(start)
        .map(|(i, l)| {
            if i == app.focus {
                Span::styled(l, style(app, Color::Cyan).add_modifier(Modifier::REVERSED))
            } else {
                Span::raw(l)
            }
        })
        .collect();
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The digit that selects panel `i` (1-9, then 0 for the tenth), `·` past it.
fn key_label(i: usize) -> String {
    if i < 10 {
        ((i + 1) % 10).to_string()
    } else {
        "·".into()
    }
}

/// As many panels as fit, from the page that holds the focused one.
fn grid(f: &mut Frame, app: &App, area: Rect) {
    let cols = (area.width / PANEL_WIDTH).clamp(1, 3);
    let rows = (area.height / PANEL_HEIGHT).clamp(1, 3);
    let per_page = (cols * rows) as usize;
    let first = app.focus / per_page * per_page;
    let row_areas = Layout::vertical(vec![Constraint::Fill(1); rows as usize]).split(area);
    for (r, row_area) in row_areas.iter().enumerate() {
        let cells = Layout::horizontal(vec![Constraint::Fill(1); cols as usize]).split(*row_area);
        for (c, cell) in cells.iter().enumerate() {
            let p = first + r * cols as usize + c;
            if p < app.panels.len() {
                panel(f, app, p, *cell);
            }
        }
    }
}

fn panel(f: &mut Frame, app: &App, p: usize, area: Rect) {
    let focused = p == app.focus;
    let panel = &app.panels[p];
    let rows = app.visible(p);
    let sort = app.sort[p].map_or(String::new(), |c| format!(" sorted by {}", panel.header[c]));
    let title = format!(" {} {}{} ", key_label(p), panel.title, sort);
    let border = if focused {
        style(app, Color::Cyan).add_modifier(Modifier::BOLD)
    } else {
        Style::default()
    };
    let block = Block::bordered().title(title).border_style(border);
    if rows.is_empty() {
        let said = if app.search.is_empty() {
            panel.empty
        } else {
            "no row matches the search"
        };
        f.render_widget(Paragraph::new(said).block(block), area);
        return;
    }
    let numeric: Vec<u16> = (1..panel.header.len())
        .map(|c| {
            rows.iter()
                .map(|r| r.cells.get(c).map_or(0, |s| s.width()))
                .chain([panel.header[c].width()])
                .max()
                .unwrap_or(0) as u16
        })
        .collect();
    let widths: Vec<Constraint> = std::iter::once(Constraint::Fill(1))
        .chain(numeric.iter().map(|&w| Constraint::Length(w)))
        .collect();
    let cell = |c: usize, s: &str| {
        let t = Text::from(s.to_owned());
        Cell::from(if c == 0 {
            t
        } else {
            t.alignment(Alignment::Right)
        })
    };
    let header = Row::new(panel.header.iter().enumerate().map(|(c, h)| cell(c, h)))
        .style(style(app, Color::Yellow).add_modifier(Modifier::BOLD));
    let body = rows
        .iter()
        .map(|r| Row::new(r.cells.iter().enumerate().map(|(c, s)| cell(c, s))));
    let mut table = Table::new(body, widths)
        .header(header)
        .block(block)
        .column_spacing(1);
    let mut state = TableState::default();
    if focused {
        table = table.row_highlight_style(Style::default().add_modifier(Modifier::REVERSED));
        state.select(Some(app.cursor[p]));
    }
    f.render_stateful_widget(table, area, &mut state);
}

fn status_line(f: &mut Frame, app: &App, area: Rect) {
    let line = if let Some((kind, text)) = &app.prompt {
        let label = match kind {
            Prompt::Search => "search: ",
            Prompt::Filter => "filter (key=value ..., empty: all): ",
        };
        Line::from(vec![
            Span::styled(label, bold()),
            Span::raw(clean(text)),
            Span::raw("▏"),
        ])
    } else if let Some(m) = &app.message {
        Line::from(Span::styled(
            clean(m),
            style(app, Color::Red).add_modifier(Modifier::BOLD),
        ))
    } else {
        let search = if app.search.is_empty() {
            String::new()
        } else {
            format!("search \"{}\"  ", clean(&app.search))
        };
        Line::raw(format!(
            "{search}Tab panels  Enter open  / search  : filter  s sort  f freeze  ? help  q quit"
        ))
    };
    f.render_widget(Paragraph::new(line), area);
}

fn help(f: &mut Frame, app: &App, area: Rect) {
    let w = 76.min(area.width);
    let h = (KEYS.len() as u16 + 2).min(area.height);
    let popup = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    };
    let lines: Vec<Line> = KEYS
        .iter()
        .map(|(k, what)| {
            Line::from(vec![
                Span::styled(format!("{k:<16}"), bold()),
                Span::raw(*what),
            ])
        })
        .collect();
    f.render_widget(Clear, popup);
    f.render_widget(
        Paragraph::new(lines).block(
            Block::bordered()
                .title(" keys (any key closes) ")
                .border_style(style(app, Color::Cyan)),
        ),
        popup,
    );
}

/// One screen of `width` x `height` drawn on ratatui's test backend, as lines of text
/// (`clickpath top --screen`, and the tests).
pub fn screen_text(app: &App, width: u16, height: u16) -> Vec<String> {
    let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(width, height))
        .expect("the test backend does not fail");
    term.draw(|f| draw(f, app))
        .expect("the test backend does not fail");
    let buf = term.backend().buffer();
    (0..height)
        .map(|y| {
            let mut line = String::new();
            let mut x = 0;
            while x < width {
                let cell = &buf[(x, y)];
                line.push_str(cell.symbol());
                x += cell.symbol().width().max(1) as u16;
            }
            line.trim_end().to_owned()
        })
        .collect()
}
