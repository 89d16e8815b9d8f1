//! What the dashboard shows and how keys change it, apart from any terminal (the screens are
//! tested on ratatui's test backend, `draw`).

use clickpath_analytics::TrafficReport;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::panels::{AlertCount, Pairs, Panel, PanelRow, panels};

/// One answer of the source: the report for a filter.
pub struct Answer {
    pub report: TrafficReport,
    /// A watcher's saved alert states (None: no watcher keeps any for this data).
    pub alerts: Option<Vec<AlertCount>>,
    /// The filter it was computed for.
    pub filter: Pairs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prompt {
    Search,
    Filter,
}

/// The requests behind a row, as the logs hold them.
pub struct DrillView {
    pub title: String,
    pub total: u64,
    pub lines: Vec<String>,
    pub scroll: usize,
}

/// What the keys ask of the source.
#[derive(Debug, PartialEq)]
pub enum Action {
    None,
    Quit,
    /// Compute the report for this filter.
    Filter(Pairs),
    /// Show the requests behind a row: (title, filter, drill-down).
    Drill(String, Pairs, Pairs),
}

pub struct App {
    /// What the inputs are (files, a dataset), for the title.
    pub name: String,
    pub answer: Option<Answer>,
    /// Arrived while frozen.
    pending: Option<Answer>,
    pub panels: Vec<Panel>,
    pub focus: usize,
    /// Per panel: the selected visible row, and the sort column (None: the report's order).
    pub cursor: Vec<usize>,
    pub sort: Vec<Option<usize>>,
    pub expanded: bool,
    pub help: bool,
    pub frozen: bool,
    pub prompt: Option<(Prompt, String)>,
    pub search: String,
    pub drill: Option<DrillView>,
    /// The last error or notice, until the next key.
    pub message: Option<String>,
    pub color: bool,
}

impl App {
    pub fn new(name: &str, color: bool) -> App {
        App {
            name: name.to_owned(),
            answer: None,
            pending: None,
            panels: Vec::new(),
            focus: 0,
            cursor: Vec::new(),
            sort: Vec::new(),
            expanded: false,
            help: false,
            frozen: false,
            prompt: None,
            search: String::new(),
            drill: None,
            message: None,
            color,
        }
    }

    /// A new answer: shown now, or when updates are unfrozen.
    pub fn set_answer(&mut self, a: Answer) {
        if self.frozen {
            self.pending = Some(a);
            return;
        }
        self.panels = panels(&a.report, a.alerts.as_deref());
        self.cursor.resize(self.panels.len(), 0);
        self.sort.resize(self.panels.len(), None);
        self.focus = self.focus.min(self.panels.len().saturating_sub(1));
        for p in 0..self.panels.len() {
            let n = self.visible(p).len();
            self.cursor[p] = self.cursor[p].min(n.saturating_sub(1));
        }
        self.answer = Some(a);
    }

    pub fn filter(&self) -> Pairs {
        self.answer
            .as_ref()
            .map(|a| a.filter.clone())
            .unwrap_or_default()
    }

    /// Panel `p`'s rows as shown: those matching the search, in the chosen order.
    pub fn visible(&self, p: usize) -> Vec<&PanelRow> {
        let Some(panel) = self.panels.get(p) else {
            return Vec::new();
        };
        let needle = self.search.to_lowercase();
        let mut rows: Vec<&PanelRow> = panel
            .rows
            .iter()
            .filter(|r| {
                needle.is_empty() || r.cells.iter().any(|c| c.to_lowercase().contains(&needle))
            })
            .collect();
        if let Some(col) = self.sort.get(p).copied().flatten() {
            let key = |r: &PanelRow| r.cells.get(col).cloned().unwrap_or_default();
            let number = |s: &str| s.replace([',', '%'], "").parse::<f64>().ok();
            rows.sort_by(|a, b| match (number(&key(a)), number(&key(b))) {
                // Figures largest first, names in order.
                (Some(x), Some(y)) => y.total_cmp(&x),
                _ => key(a).cmp(&key(b)),
            });
        }
        rows
    }

    fn move_focus(&mut self, to: usize) {
        if !self.panels.is_empty() {
            self.focus = to % self.panels.len();
        }
    }

    fn scroll(&mut self, by: isize) {
        if let Some(d) = &mut self.drill {
            d.scroll = d
                .scroll
                .saturating_add_signed(by)
                .min(d.lines.len().saturating_sub(1));
            return;
        }
        let n = self.visible(self.focus).len();
        if let Some(c) = self.cursor.get_mut(self.focus) {
            *c = c.saturating_add_signed(by).min(n.saturating_sub(1));
        }
    }

    /// The drill-down of the selected row of the focused panel.
    fn drill_selected(&self) -> Action {
        let rows = self.visible(self.focus);
        let Some(r) = rows.get(self.cursor[self.focus]) else {
            return Action::None;
        };
        if r.drill.is_empty() {
            return Action::None;
        }
        let title = format!("{}: {}", self.panels[self.focus].title, r.cells[0]);
        Action::Drill(title, self.filter(), r.drill.clone())
    }

    pub fn on_key(&mut self, k: KeyEvent) -> Action {
        self.message = None;
        if k.modifiers.contains(KeyModifiers::CONTROL) && k.code == KeyCode::Char('c') {
            return Action::Quit;
        }
        if let Some((_, text)) = &mut self.prompt {
            if k.modifiers.contains(KeyModifiers::CONTROL) {
                // Ctrl-U empties the line, as in a shell.
                if k.code == KeyCode::Char('u') {
                    text.clear();
                }
                return Action::None;
            }
            match k.code {
                KeyCode::Backspace => {
                    text.pop();
                }
                KeyCode::Char(c) => text.push(c),
                KeyCode::Esc => self.prompt = None,
                KeyCode::Enter => {
                    let (kind, text) = self.prompt.take().expect("a prompt");
                    return match kind {
                        Prompt::Search => {
                            self.search = text.trim().to_owned();
                            for p in 0..self.panels.len() {
                                self.cursor[p] = 0;
                            }
                            Action::None
                        }
                        Prompt::Filter => match parse_pairs(&text) {
                            Ok(pairs) => Action::Filter(pairs),
                            Err(e) => {
                                self.message = Some(e);
                                Action::None
                            }
                        },
                    };
                }
                _ => {}
            }
            return Action::None;
        }
        if self.help {
            self.help = false;
            return if k.code == KeyCode::Char('q') {
                Action::Quit
            } else {
                Action::None
            };
        }
        let n = self.panels.len().max(1);
        match k.code {
            KeyCode::Char('q') => return Action::Quit,
            KeyCode::Char('?') => self.help = true,
            // Back: from a drill-down, an expanded panel, a search.
            KeyCode::Esc if self.drill.take().is_some() => {}
            KeyCode::Esc if self.expanded => self.expanded = false,
            KeyCode::Esc => self.search.clear(),
            KeyCode::Tab => {
                self.drill = None;
                self.move_focus(self.focus + 1);
            }
            KeyCode::BackTab => {
                self.drill = None;
                self.move_focus(self.focus + n - 1);
            }
            KeyCode::Char(c @ '0'..='9') => {
                let i = (c as usize - '0' as usize + 9) % 10;
                if i < self.panels.len() {
                    self.drill = None;
                    self.focus = i;
                }
            }
            KeyCode::Char('j') | KeyCode::Down => self.scroll(1),
            KeyCode::Char('k') | KeyCode::Up => self.scroll(-1),
            KeyCode::PageDown => self.scroll(10),
            KeyCode::PageUp => self.scroll(-10),
            KeyCode::Char('g') | KeyCode::Home => self.scroll(isize::MIN / 2),
            KeyCode::Char('G') | KeyCode::End => self.scroll(isize::MAX / 2),
            KeyCode::Enter if self.drill.is_none() => {
                if self.expanded {
                    return self.drill_selected();
                }
                self.expanded = true;
            }
            KeyCode::Char('d') if self.drill.is_none() => return self.drill_selected(),
            KeyCode::Char('s') => {
                if let Some(p) = self.panels.get(self.focus) {
                    let cols = p.header.len();
                    let s = &mut self.sort[self.focus];
                    *s = match *s {
                        None => Some(0),
                        Some(c) if c + 1 < cols => Some(c + 1),
                        Some(_) => None,
                    };
                    self.cursor[self.focus] = 0;
                }
            }
            KeyCode::Char('f') => {
                self.frozen = !self.frozen;
                if !self.frozen
                    && let Some(a) = self.pending.take()
                {
                    self.set_answer(a);
                }
            }
            KeyCode::Char('/') => self.prompt = Some((Prompt::Search, self.search.clone())),
            KeyCode::Char(':') | KeyCode::Char('F') => {
                let now = self
                    .filter()
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(" ");
                self.prompt = Some((Prompt::Filter, now));
            }
            KeyCode::Char('n') => {
                // The next panel with rows matching the search.
                for step in 1..=n {
                    let p = (self.focus + step) % n;
                    if !self.visible(p).is_empty() {
                        self.focus = p;
                        break;
                    }
                }
            }
            _ => {}
        }
        Action::None
    }

    /// The source's answer to a drill-down.
    pub fn set_drill(&mut self, title: String, total: u64, lines: Vec<String>) {
        self.drill = Some(DrillView {
            title,
            total,
            lines: lines.iter().map(|l| crate::text::clean(l)).collect(),
            scroll: 0,
        });
    }
}

/// `channel=email from=2024-03-08` as pairs (the source says which keys and values are wrong).
pub fn parse_pairs(text: &str) -> Result<Pairs, String> {
    text.split_whitespace()
        .map(|kv| match kv.split_once('=') {
            Some((k, v)) if !k.is_empty() => Ok((k.to_owned(), v.to_owned())),
            _ => Err(format!(
                "`{kv}`: filters are key=value, e.g. `channel=email from=2024-03-08 audience=humans`"
            )),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    use super::*;

    fn key(c: KeyCode) -> KeyEvent {
        KeyEvent::new(c, KeyModifiers::NONE)
    }

    fn typed(app: &mut App, s: &str) -> Action {
        let mut last = Action::None;
        for c in s.chars() {
            last = app.on_key(key(KeyCode::Char(c)));
        }
        last
    }

    /// Two panels of hand-made rows: pages (with drill-downs) and channels.
    fn app() -> App {
        let mut app = App::new("test", false);
        let r = |cells: &[&str], drill: &[(&str, &str)]| PanelRow {
            cells: cells.iter().map(|c| (*c).to_owned()).collect(),
            drill: drill
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        };
        app.panels = vec![
            Panel {
                title: "Top pages".into(),
                header: vec!["page", "views"],
                rows: vec![
                    r(&["/", "1,200"], &[("path", "/")]),
                    r(&["/cart", "90"], &[("path", "/cart")]),
                    r(&["/about", "300"], &[("path", "/about")]),
                ],
                empty: "",
            },
            Panel {
                title: "Channels".into(),
                header: vec!["channel", "sessions"],
                rows: vec![r(&["email", "12"], &[]), r(&["direct", "40"], &[])],
                empty: "",
            },
        ];
        app.cursor = vec![0, 0];
        app.sort = vec![None, None];
        app
    }

    fn first_cells(app: &App, p: usize) -> Vec<String> {
        app.visible(p).iter().map(|r| r.cells[0].clone()).collect()
    }

    #[test]
    fn panels_are_chosen_by_tab_and_digit() {
        let mut a = app();
        a.on_key(key(KeyCode::Tab));
        assert_eq!(a.focus, 1);
        a.on_key(key(KeyCode::Tab));
        assert_eq!(a.focus, 0, "Tab wraps around");
        a.on_key(key(KeyCode::BackTab));
        assert_eq!(a.focus, 1);
        typed(&mut a, "1");
        assert_eq!(a.focus, 0);
        typed(&mut a, "9");
        assert_eq!(a.focus, 0, "no ninth panel: the focus stays");
    }

    #[test]
    fn search_keeps_matching_rows_across_panels() {
        let mut a = app();
        typed(&mut a, "/");
        typed(&mut a, "CA");
        assert_eq!(a.on_key(key(KeyCode::Enter)), Action::None);
        assert_eq!(first_cells(&a, 0), ["/cart"], "case-insensitive");
        assert!(first_cells(&a, 1).is_empty());
        a.on_key(key(KeyCode::Esc));
        assert_eq!(first_cells(&a, 0).len(), 3, "Esc clears the search");
    }

    #[test]
    fn sort_cycles_through_the_columns() {
        let mut a = app();
        typed(&mut a, "s");
        assert_eq!(first_cells(&a, 0), ["/", "/about", "/cart"], "by page");
        typed(&mut a, "s");
        // By views, largest first: 1,200 > 300 > 90 (as numbers, not as text).
        assert_eq!(first_cells(&a, 0), ["/", "/about", "/cart"]);
        a.cursor[0] = 0;
        typed(&mut a, "s");
        assert_eq!(
            first_cells(&a, 0),
            ["/", "/cart", "/about"],
            "the report's order again"
        );
    }

    #[test]
    fn enter_expands_then_drills_into_the_selected_row() {
        let mut a = app();
        a.on_key(key(KeyCode::Down));
        assert_eq!(a.on_key(key(KeyCode::Enter)), Action::None);
        assert!(a.expanded);
        match a.on_key(key(KeyCode::Enter)) {
            Action::Drill(title, filter, drill) => {
                assert_eq!(title, "Top pages: /cart");
                assert!(filter.is_empty());
                assert_eq!(drill, [("path".to_owned(), "/cart".to_owned())]);
            }
            other => panic!("expected a drill-down, got {other:?}"),
        }
        // Channels name no requests: nothing to drill into.
        typed(&mut a, "2");
        assert_eq!(a.on_key(key(KeyCode::Enter)), Action::None);
        a.on_key(key(KeyCode::Esc));
        assert!(!a.expanded);
    }

    #[test]
    fn the_filter_prompt_gives_pairs_or_says_what_is_wrong() {
        let mut a = app();
        typed(&mut a, ":");
        typed(&mut a, "channel=email from=2024-03-08");
        assert_eq!(
            a.on_key(key(KeyCode::Enter)),
            Action::Filter(vec![
                ("channel".into(), "email".into()),
                ("from".into(), "2024-03-08".into())
            ])
        );
        typed(&mut a, ":");
        typed(&mut a, "email");
        assert_eq!(a.on_key(key(KeyCode::Enter)), Action::None);
        assert!(a.message.as_deref().unwrap().contains("key=value"));
    }

    #[test]
    fn q_and_ctrl_c_quit() {
        let mut a = app();
        assert_eq!(typed(&mut a, "q"), Action::Quit);
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(a.on_key(ctrl_c), Action::Quit);
        // In a prompt, q is a letter.
        typed(&mut a, "/");
        assert_eq!(typed(&mut a, "q"), Action::None);
    }
}
