//! Keys and the mouse, turned into [`Action`]s. What a key means depends on what is open:
//! in a form, letters are text; on the main screen, they are commands. Only key presses
//! count (terminals that report releases and repeats would act twice otherwise).

use super::action::Action;
use super::app::{App, Mode};
use super::layout;
use crate::core::ids::Side;
use crossterm::event::{
    Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};

/// The action for a terminal event, if it means anything now.
pub fn action_for(app: &App, event: &Event) -> Option<Action> {
    match event {
        Event::Key(key) => action_for_key(&app.mode, *key),
        Event::Mouse(mouse) => action_for_mouse(app, *mouse),
        Event::Resize(w, h) => Some(Action::Resize(*w, *h)),
        _ => None,
    }
}

/// The action for a key in the current mode.
pub fn action_for_key(mode: &Mode, key: KeyEvent) -> Option<Action> {
    if key.kind != KeyEventKind::Press {
        return None;
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if ctrl && key.code == KeyCode::Char('c') {
        return Some(Action::Quit);
    }
    match mode {
        Mode::Normal => normal_key(key.code, ctrl),
        Mode::Help => match key.code {
            KeyCode::Char('q') => Some(Action::Quit),
            KeyCode::Char('?') | KeyCode::Esc | KeyCode::Enter => Some(Action::Close),
            _ => None,
        },
        Mode::Form(_) => form_key(key.code, ctrl),
        Mode::ConfirmRemove { .. } => match key.code {
            KeyCode::Char('y') | KeyCode::Char('Y') | KeyCode::Enter => Some(Action::Confirm),
            KeyCode::Char('n') | KeyCode::Char('N') | KeyCode::Esc | KeyCode::Char('q') => {
                Some(Action::Close)
            }
            _ => None,
        },
    }
}

fn normal_key(code: KeyCode, ctrl: bool) -> Option<Action> {
    if ctrl {
        return None;
    }
    Some(match code {
        KeyCode::Char('q') => Action::Quit,
        KeyCode::Esc => Action::Close,
        KeyCode::Char('?') | KeyCode::F(1) => Action::ToggleHelp,
        KeyCode::Down | KeyCode::Char('j') => Action::SelectNext,
        KeyCode::Up | KeyCode::Char('k') => Action::SelectPrevious,
        KeyCode::Home | KeyCode::Char('g') => Action::SelectFirst,
        KeyCode::End | KeyCode::Char('G') => Action::SelectLast,
        KeyCode::PageDown => Action::PageDown,
        KeyCode::PageUp => Action::PageUp,
        KeyCode::Char('n') | KeyCode::Char('+') | KeyCode::Insert => Action::OpenCreate,
        KeyCode::Char('r') | KeyCode::F(2) => Action::OpenRename,
        KeyCode::Char('p') => Action::TogglePersistent,
        KeyCode::Char('m') => Action::ToggleMute,
        KeyCode::Char('d') | KeyCode::Delete => Action::AskRemove,
        KeyCode::Char('a') => Action::SendTestNote(Side::A),
        KeyCode::Char('b') => Action::SendTestNote(Side::B),
        KeyCode::Char(' ') => Action::TogglePause,
        KeyCode::Char('[') => Action::MonitorOlder,
        KeyCode::Char(']') => Action::MonitorNewer,
        KeyCode::Char('c') => Action::MonitorClear,
        KeyCode::Char('f') => Action::ToggleRealTime,
        KeyCode::Char('s') => Action::StartEngine,
        _ => return None,
    })
}

fn form_key(code: KeyCode, ctrl: bool) -> Option<Action> {
    if ctrl {
        // The readline keys people's fingers know.
        return match code {
            KeyCode::Char('u') => Some(Action::ClearField),
            KeyCode::Char('a') => Some(Action::CursorHome),
            KeyCode::Char('e') => Some(Action::CursorEnd),
            _ => None,
        };
    }
    Some(match code {
        KeyCode::Esc => Action::Close,
        KeyCode::Enter => Action::Submit,
        KeyCode::Tab | KeyCode::Down => Action::NextField,
        KeyCode::BackTab | KeyCode::Up => Action::PreviousField,
        KeyCode::Backspace => Action::Backspace,
        KeyCode::Delete => Action::DeleteForward,
        KeyCode::Left => Action::CursorLeft,
        KeyCode::Right => Action::CursorRight,
        KeyCode::Home => Action::CursorHome,
        KeyCode::End => Action::CursorEnd,
        // Space types a space in a text field, and ticks the checkbox on it.
        KeyCode::Char(' ') => Action::ToggleField,
        KeyCode::Char(c) => Action::Input(c),
        _ => return None,
    })
}

/// Clicks select a pair; the wheel moves the selection over the table and scrolls the monitor
/// over the detail panel. Only on the main screen: dialogs are keyboard-driven.
pub fn action_for_mouse(app: &App, mouse: MouseEvent) -> Option<Action> {
    if app.mode != Mode::Normal {
        return None;
    }
    let areas = layout::areas(app.screen, app.pairs.len());
    let (x, y) = (mouse.column, mouse.row);
    match mouse.kind {
        MouseEventKind::Down(MouseButton::Left) => layout::pair_at(areas.table, app.offset, x, y)
            .filter(|&i| i < app.pairs.len())
            .map(Action::Select),
        MouseEventKind::ScrollDown if layout::contains(areas.table, x, y) => {
            Some(Action::SelectNext)
        }
        MouseEventKind::ScrollUp if layout::contains(areas.table, x, y) => {
            Some(Action::SelectPrevious)
        }
        MouseEventKind::ScrollUp if layout::contains(areas.detail, x, y) => {
            Some(Action::MonitorOlder)
        }
        MouseEventKind::ScrollDown if layout::contains(areas.detail, x, y) => {
            Some(Action::MonitorNewer)
        }
        _ => None,
    }
}
