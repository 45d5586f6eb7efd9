//! Taking the terminal over and giving it back: raw mode, the alternate screen and mouse
//! reports on the way in, all undone on the way out, on `q`, on an error and on a panic.

use crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use crossterm::execute;
use ratatui::DefaultTerminal;

/// Enters the full-screen mode. Whatever happens next, [`leave`] or the panic hook restores
/// the terminal.
pub fn enter() -> std::io::Result<DefaultTerminal> {
    // Installed before ratatui's own hook, which runs first, restores raw mode and the screen,
    // then calls this one.
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = execute!(std::io::stdout(), DisableMouseCapture);
        previous(info);
    }));
    let terminal = ratatui::try_init()?;
    execute!(std::io::stdout(), EnableMouseCapture)?;
    Ok(terminal)
}

/// Gives the terminal back as it was.
pub fn leave() {
    let _ = execute!(std::io::stdout(), DisableMouseCapture);
    ratatui::restore();
}
