//! The terminal loop: input never waits for a report. A worker thread owns the source: it
//! follows the inputs every poll, computes the report for the current filter when the data
//! changed, and answers filters and drill-downs; the screen redraws when something changed,
//! at most [`FRAMES_PER_SECOND`] times a second. The terminal is restored on every way out:
//! `q`, Ctrl-C, SIGTERM / SIGINT / SIGHUP, an error, a panic.

use std::io::{self, Stdout};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::event::{self, Event, KeyEventKind};
use ratatui::crossterm::{cursor, execute, terminal};

use crate::app::{Action, Answer, App};
use crate::draw::draw;
use crate::panels::Pairs;

const FRAMES_PER_SECOND: u32 = 10;

/// Where the reports come from.
pub trait Source: Send + 'static {
    /// The report for a filter (`key=value` pairs: the dashboard's filter parameters).
    fn answer(&mut self, filter: &Pairs) -> Result<Answer, String>;
    /// The requests behind a drill-down, as the logs hold them: (how many, lines to show).
    fn requests(&mut self, filter: &Pairs, drill: &Pairs) -> Result<(u64, Vec<String>), String>;
    /// Reads what the inputs gained since; whether the data changed.
    fn follow(&mut self) -> Result<bool, String>;
}

enum Ask {
    Filter(Pairs),
    Drill(String, Pairs, Pairs),
}

enum Told {
    Answer(Box<Answer>),
    Failed(String),
    Drill(String, u64, Vec<String>),
}

/// The worker: follows every `poll`, answers what is asked. A report that took T is followed
/// by a rest of at least 2T before the next poll, so that refreshing a big log's report takes
/// at most about a third of a core, whatever `poll` is.
fn serve(
    mut source: impl Source,
    asks: mpsc::Receiver<Ask>,
    told: mpsc::Sender<Told>,
    poll: Duration,
) {
    let mut filter = Pairs::new();
    let mut next_poll = Instant::now() + poll;
    let answer = |source: &mut dyn Source, f: &Pairs, next_poll: &mut Instant| {
        let start = Instant::now();
        let a = source.answer(f);
        *next_poll = (*next_poll).max(Instant::now() + poll.max(start.elapsed() * 2));
        a
    };
    loop {
        let wait = next_poll.saturating_duration_since(Instant::now());
        let reply = match asks.recv_timeout(wait) {
            Ok(Ask::Filter(f)) => match answer(&mut source, &f, &mut next_poll) {
                Ok(a) => {
                    filter = f;
                    Told::Answer(Box::new(a))
                }
                Err(e) => Told::Failed(e),
            },
            Ok(Ask::Drill(title, f, d)) => match source.requests(&f, &d) {
                Ok((total, lines)) => Told::Drill(title, total, lines),
                Err(e) => Told::Failed(e),
            },
            Err(mpsc::RecvTimeoutError::Timeout) => {
                next_poll = Instant::now() + poll;
                match source.follow() {
                    Ok(false) => continue,
                    Ok(true) => match answer(&mut source, &filter, &mut next_poll) {
                        Ok(a) => Told::Answer(Box::new(a)),
                        Err(e) => Told::Failed(e),
                    },
                    Err(e) => Told::Failed(e),
                }
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => return,
        };
        if told.send(reply).is_err() {
            return;
        }
    }
}

/// Raw mode and the alternate screen while it lives.
struct Screen;

impl Screen {
    fn enter() -> io::Result<Screen> {
        terminal::enable_raw_mode()?;
        let screen = Screen;
        execute!(io::stdout(), terminal::EnterAlternateScreen, cursor::Hide)?;
        Ok(screen)
    }
}

fn restore() {
    let _ = terminal::disable_raw_mode();
    let _ = execute!(io::stdout(), terminal::LeaveAlternateScreen, cursor::Show);
}

impl Drop for Screen {
    fn drop(&mut self) {
        restore();
    }
}

/// Runs the dashboard until the user quits or a signal asks it to stop.
pub fn run(source: impl Source, name: &str, color: bool, poll: Duration) -> io::Result<()> {
    let stop = Arc::new(AtomicBool::new(false));
    let mut signals = signal_hook::iterator::Signals::new([
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGHUP,
    ])?;
    {
        let stop = stop.clone();
        std::thread::Builder::new()
            .name("top-signals".into())
            .spawn(move || {
                if let Some(signal) = signals.forever().next() {
                    stop.store(true, Ordering::Relaxed);
                    // The screen's loop ends within a frame. A terminal that hung up (the SSH
                    // session is gone) can keep crossterm's read of it from returning: then
                    // the process ends here, after a second.
                    std::thread::sleep(Duration::from_secs(1));
                    restore();
                    std::process::exit(128 + signal);
                }
            })?;
    }
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        previous(info);
    }));
    let (ask, asks) = mpsc::channel();
    let (tell, told) = mpsc::channel();
    std::thread::Builder::new()
        .name("top-source".into())
        .spawn(move || serve(source, asks, tell, poll))?;
    let _ = ask.send(Ask::Filter(Pairs::new()));

    let screen = Screen::enter()?;
    let mut term: Terminal<CrosstermBackend<Stdout>> =
        Terminal::new(CrosstermBackend::new(io::stdout()))?;
    let mut app = App::new(name, color);
    let frame = Duration::from_secs(1) / FRAMES_PER_SECOND;
    let mut dirty = true;
    let mut drawn = Instant::now() - frame;
    while !stop.load(Ordering::Relaxed) {
        loop {
            match told.try_recv() {
                Ok(Told::Answer(a)) => app.set_answer(*a),
                Ok(Told::Failed(e)) => app.message = Some(e),
                Ok(Told::Drill(title, total, lines)) => app.set_drill(title, total, lines),
                Err(mpsc::TryRecvError::Empty) => break,
                Err(mpsc::TryRecvError::Disconnected) => {
                    return Err(io::Error::other("the source of the reports stopped"));
                }
            }
            dirty = true;
        }
        if dirty && drawn.elapsed() >= frame {
            term.draw(|f| draw(f, &app))?;
            dirty = false;
            drawn = Instant::now();
        }
        if !event::poll(frame)? {
            continue;
        }
        match event::read()? {
            Event::Key(k) if k.kind != KeyEventKind::Release => {
                dirty = true;
                match app.on_key(k) {
                    Action::None => {}
                    Action::Quit => break,
                    Action::Filter(f) => {
                        app.message = Some("computing…".into());
                        let _ = ask.send(Ask::Filter(f));
                    }
                    Action::Drill(title, f, d) => {
                        app.message = Some("reading the requests…".into());
                        let _ = ask.send(Ask::Drill(title, f, d));
                    }
                }
            }
            Event::Resize(..) => dirty = true,
            _ => {}
        }
    }
    drop(screen);
    Ok(())
}
