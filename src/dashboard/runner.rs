//! The event loop, generic over the ratatui [`Backend`] (gitui's shape): the real terminal in
//! `midi dashboard`, a `TestBackend` with scripted events in the tests.
//!
//! Ticks and frames are separate: the tick (the refresh rate) only expires notices, the source
//! thread polls the engine on its own clock, and a frame is drawn only when something changed,
//! at most [`Timing::frame`] apart, so a flood of tap reports costs a bounded number of draws.

use super::action::{Action, Command, Report};
use super::app::App;
use super::keys;
use super::strings;
use super::theme::Theme;
use super::view;
use crossterm::event::{self, Event};
use ratatui::Terminal;
use ratatui::backend::Backend;
use std::io;
use std::sync::mpsc::{Receiver, Sender, TryRecvError};
use std::time::{Duration, Instant};

/// The longest the loop waits for a key before it looks at the engine's reports again.
const REPORT_LATENCY: Duration = Duration::from_millis(50);

/// Where terminal events come from.
pub trait EventSource {
    /// Waits up to `timeout` for the next event; `Ok(None)` when none came.
    fn next_event(&mut self, timeout: Duration) -> io::Result<Option<Event>>;
}

/// The real terminal's events, through crossterm.
pub struct TerminalEvents;

impl EventSource for TerminalEvents {
    fn next_event(&mut self, timeout: Duration) -> io::Result<Option<Event>> {
        if event::poll(timeout)? {
            event::read().map(Some)
        } else {
            Ok(None)
        }
    }
}

/// How often things happen.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// The refresh rate: notices expire on this clock.
    pub tick: Duration,
    /// The shortest time between two frames.
    pub frame: Duration,
}

impl Timing {
    pub fn new(refresh: Duration) -> Timing {
        Timing {
            tick: refresh,
            frame: Duration::from_millis(33),
        }
    }
}

/// Runs the dashboard until the user quits. Reports come from the source thread, commands go
/// to it.
pub fn run_app<B: Backend>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    theme: Theme,
    events: &mut impl EventSource,
    reports: &Receiver<Report>,
    commands: &Sender<Command>,
    timing: Timing,
) -> anyhow::Result<()>
where
    B::Error: Send + Sync + 'static,
{
    let size = terminal.size()?;
    dispatch(app, Action::Resize(size.width, size.height));
    let mut last_tick = Instant::now();
    let mut last_draw: Option<Instant> = None;
    loop {
        let frame_due = last_draw.is_none_or(|t| t.elapsed() >= timing.frame);
        if app.dirty && frame_due {
            terminal.draw(|f| view::draw(f, app, theme))?;
            app.dirty = false;
            last_draw = Some(Instant::now());
        }
        let mut timeout = timing
            .tick
            .saturating_sub(last_tick.elapsed())
            .min(REPORT_LATENCY);
        if app.dirty
            && let Some(t) = last_draw
        {
            timeout = timeout.min(timing.frame.saturating_sub(t.elapsed()));
        }
        if let Some(event) = events.next_event(timeout)?
            && let Some(action) = keys::action_for(app, &event)
        {
            dispatch(app, action);
        }
        loop {
            match reports.try_recv() {
                Ok(report) => dispatch(app, Action::Report(Box::new(report))),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => anyhow::bail!(strings::POLLER_STOPPED),
            }
        }
        if last_tick.elapsed() >= timing.tick {
            dispatch(app, Action::Tick(Instant::now()));
            last_tick = Instant::now();
        }
        for command in app.take_commands() {
            // A closed channel means the source is gone; the next try_recv says so.
            let _ = commands.send(command);
        }
        if app.should_quit {
            return Ok(());
        }
    }
}

/// Applies an action and whatever it leads to.
pub fn dispatch(app: &mut App, action: Action) {
    let mut next = Some(action);
    while let Some(action) = next {
        next = app.update(action);
    }
}
