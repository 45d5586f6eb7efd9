//! The full-screen dashboard: `midi dashboard`, also `tui` and `top`.
//!
//! The rooms, from the outside in:
//! - [`terminal`] takes the terminal over and always gives it back;
//! - [`runner`] is the event loop, generic over the ratatui backend so tests drive it;
//! - [`source`] is the background thread that talks to the engine (counters, commands, tap);
//! - [`keys`] turns keys and the mouse into [`action::Action`]s;
//! - [`app`] holds the state and changes it, without I/O; [`form`] and [`meter`] are its parts;
//! - [`view`] draws the state (panels), with [`widgets`] (reusable pieces), [`layout`] (where
//!   things go), [`theme`] (colour or not), [`format`](mod@format) (numbers) and [`strings`] (every text).

pub mod action;
pub mod app;
pub mod form;
pub mod format;
pub mod keys;
pub mod layout;
pub mod meter;
pub mod runner;
pub mod source;
pub mod strings;
pub mod terminal;
pub mod theme;
pub mod view;
pub mod widgets;

use crate::core::ErrorKind;
use crate::face::{Context, UserError};
use action::{Action, Report};
use app::App;
use runner::{TerminalEvents, Timing};
use std::io::IsTerminal;
use std::sync::mpsc;
use std::time::{Duration, Instant};
use theme::Theme;

/// Runs `midi dashboard` until the user quits, refreshing the meters every `refresh`; exit
/// code 0 then.
pub fn run(ctx: &Context, refresh: Duration) -> anyhow::Result<i32> {
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return Err(UserError::new(ErrorKind::Invalid, strings::NOT_A_TERMINAL)
            .hint(strings::NOT_A_TERMINAL_HINT)
            .into());
    }
    let mut app = App::new(Instant::now());
    // Connect (and autostart, with the usual spinner) before the screen is ours. A failure
    // is not fatal: the dashboard shows it and keeps trying.
    let client = ctx.client().map_err(|e| e.to_string());
    if let Err(reason) = &client {
        let report = Report::Unreachable {
            reason: reason.clone(),
        };
        runner::dispatch(&mut app, Action::Report(Box::new(report)));
    }
    let (command_tx, command_rx) = mpsc::channel();
    let (report_tx, report_rx) = mpsc::channel();
    // Not joined on the way out: it ends when the command channel closes, and the process
    // should not wait for an engine that is slow to answer.
    let _source = source::spawn(ctx.options.clone(), client, refresh, command_rx, report_tx);

    let mut terminal = terminal::enter()?;
    let result = runner::run_app(
        &mut terminal,
        &mut app,
        Theme::new(ctx.style.color),
        &mut TerminalEvents,
        &report_rx,
        &command_tx,
        Timing::new(refresh),
    );
    terminal::leave();
    result?;
    Ok(0)
}
