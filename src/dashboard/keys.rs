//! Keys and the mouse, turned into [`Action`]s. What a key means depends on what is open:
//! in a form, letters are text; on the main screen, they are commands. Only key presses
//! count (terminals that report releases and repeats would act twice otherwise).
//!
//! The tables below are the one source for the keys: the handler looks keys up in them, the
//! help overlay prints [`MAIN`], and the footer hints name actions whose keys come from the
//! same tables, so what the screen says a key does is what it does.

use super::action::Action;
use super::app::{App, Mode};
use super::form::Field;
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

/// A key as the dashboard binds it: on its own (Shift is part of the key: `G`, `S-Tab`), or
/// with Ctrl.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Plain(KeyCode),
    Ctrl(char),
}

impl Key {
    /// The key a terminal event is, if the dashboard could bind it (Ctrl only with letters).
    fn of(event: KeyEvent) -> Option<Key> {
        if !event.modifiers.contains(KeyModifiers::CONTROL) {
            return Some(Key::Plain(event.code));
        }
        match event.code {
            KeyCode::Char(c) => Some(Key::Ctrl(c.to_ascii_lowercase())),
            _ => None,
        }
    }

    /// How help and hints show the key.
    pub fn name(self) -> String {
        let code = match self {
            Key::Ctrl(c) => return format!("Ctrl-{}", c.to_ascii_uppercase()),
            Key::Plain(code) => code,
        };
        let name = match code {
            KeyCode::Char(' ') => "Space",
            KeyCode::Char(c) => return c.to_string(),
            KeyCode::F(n) => return format!("F{n}"),
            KeyCode::Up => "↑",
            KeyCode::Down => "↓",
            KeyCode::Left => "←",
            KeyCode::Right => "→",
            KeyCode::PageUp => "PgUp",
            KeyCode::PageDown => "PgDn",
            KeyCode::BackTab => "S-Tab",
            other => return format!("{other:?}"),
        };
        name.to_string()
    }
}

/// Keys that all do one thing.
#[derive(Debug)]
pub struct Binding {
    pub keys: &'static [Key],
    pub action: Action,
}

/// One line of the help overlay: the bindings it explains, and what it says they do.
#[derive(Debug)]
pub struct HelpLine {
    pub bindings: &'static [Binding],
    pub text: &'static str,
}

impl HelpLine {
    /// The keys column: the first key of each binding, then the second of each, and so on,
    /// the groups parted by ` / ` (`↑ ↓ / k j`: the arrows, or else k and j).
    pub fn keys(&self) -> String {
        let longest = self.bindings.iter().map(|b| b.keys.len()).max();
        (0..longest.unwrap_or(0))
            .map(|i| {
                let group: Vec<String> = self
                    .bindings
                    .iter()
                    .filter_map(|b| b.keys.get(i).map(|k| k.name()))
                    .collect();
                group.join(" ")
            })
            .collect::<Vec<_>>()
            .join(" / ")
    }
}

/// A part of the help overlay, under its title.
#[derive(Debug)]
pub struct HelpSection {
    pub title: &'static str,
    pub lines: &'static [HelpLine],
}

/// A footer hint: actions, shown by the first key of each (`a/b`), and a word for them.
#[derive(Debug)]
pub struct Hint {
    pub actions: &'static [Action],
    pub text: &'static str,
}

const fn key(c: char) -> Key {
    Key::Plain(KeyCode::Char(c))
}

const fn code(code: KeyCode) -> Key {
    Key::Plain(code)
}

// Short forms for the tables (macros, not functions: the `&[…]` inside a struct literal is
// what lets a constant borrow it for good).
macro_rules! bind {
    ([$($key:expr),+ $(,)?], $action:expr) => {
        Binding { keys: &[$($key),+], action: $action }
    };
}
macro_rules! line {
    ($text:expr, $($binding:expr),+ $(,)?) => {
        HelpLine { text: $text, bindings: &[$($binding),+] }
    };
}
macro_rules! hint {
    ($text:expr, $($action:expr),+ $(,)?) => {
        Hint { text: $text, actions: &[$($action),+] }
    };
}

/// Bound in every mode, after its own keys: Ctrl-C always quits, even where letters are text.
const EVERYWHERE: &[Binding] = &[bind!([Key::Ctrl('c')], Action::Quit)];

/// The main screen; the help overlay shows exactly this.
pub const MAIN: &[HelpSection] = &[
    HelpSection {
        title: "Pairs",
        lines: &[
            line!(
                "select a pair (also the mouse and its wheel)",
                bind!([code(KeyCode::Up), key('k')], Action::SelectPrevious),
                bind!([code(KeyCode::Down), key('j')], Action::SelectNext),
            ),
            line!(
                "first / last pair",
                bind!([code(KeyCode::Home), key('g')], Action::SelectFirst),
                bind!([code(KeyCode::End), key('G')], Action::SelectLast),
            ),
            line!(
                "scroll the pair list by a page",
                bind!([code(KeyCode::PageUp)], Action::PageUp),
                bind!([code(KeyCode::PageDown)], Action::PageDown),
            ),
            line!(
                "filter pairs by name (Enter keeps it, Esc drops it)",
                bind!([key('/')], Action::OpenFilter),
            ),
        ],
    },
    HelpSection {
        title: "Edit the selected pair",
        lines: &[
            line!(
                "new pair (a form with the same rules as `create`)",
                bind!(
                    [key('n'), key('+'), code(KeyCode::Insert)],
                    Action::OpenCreate
                ),
            ),
            line!(
                "rename its endpoints and description",
                bind!([key('r'), code(KeyCode::F(2))], Action::OpenRename),
            ),
            line!(
                "toggle persistent (kept across restarts)",
                bind!([key('p')], Action::TogglePersistent),
            ),
            line!(
                "mute / unmute (a muted pair drops everything)",
                bind!([key('m')], Action::ToggleMute),
            ),
            line!(
                "remove it (asks first)",
                bind!([key('d'), code(KeyCode::Delete)], Action::AskRemove),
            ),
            line!(
                "send a test note on/off from side A / B",
                bind!([key('a')], Action::SendTestNote(Side::A)),
                bind!([key('b')], Action::SendTestNote(Side::B)),
            ),
        ],
    },
    HelpSection {
        title: "Monitor",
        lines: &[
            line!("pause / resume", bind!([key(' ')], Action::TogglePause)),
            line!(
                "scroll older / newer",
                bind!([key('[')], Action::MonitorOlder),
                bind!([key(']')], Action::MonitorNewer),
            ),
            line!("clear", bind!([key('c')], Action::MonitorClear)),
            line!(
                "show / hide timing clock and active sensing",
                bind!([key('f')], Action::ToggleRealTime),
            ),
        ],
    },
    HelpSection {
        title: "Dashboard",
        lines: &[
            line!(
                "start the engine when none runs",
                bind!([key('s')], Action::StartEngine),
            ),
            line!(
                "this help",
                bind!([key('?'), code(KeyCode::F(1))], Action::ToggleHelp),
            ),
            line!("quit", bind!([key('q'), Key::Ctrl('c')], Action::Quit)),
            line!(
                "drop the filter; with none, quit",
                bind!([code(KeyCode::Esc)], Action::Close),
            ),
        ],
    },
];

/// Lines of the help overlay: each section's title and lines, then the column legend.
pub fn help_lines() -> usize {
    let keys: usize = MAIN.iter().map(|s| s.lines.len() + 1).sum();
    keys + 1 + super::strings::LEGEND.len()
}

/// While the help overlay is open (on a short screen it scrolls).
const IN_HELP: &[Binding] = &[
    bind!(
        [code(KeyCode::Esc), key('?'), code(KeyCode::Enter)],
        Action::Close
    ),
    bind!([key('q')], Action::Quit),
    bind!([code(KeyCode::Down), key('j')], Action::SelectNext),
    bind!([code(KeyCode::Up), key('k')], Action::SelectPrevious),
];

/// While the filter is typed: letters are text.
const IN_FILTER: &[Binding] = &[
    bind!([code(KeyCode::Enter)], Action::Submit),
    bind!([code(KeyCode::Esc)], Action::Close),
    bind!([code(KeyCode::Backspace)], Action::Backspace),
    bind!([key(' ')], Action::ToggleField),
    bind!([Key::Ctrl('u')], Action::ClearField),
];

/// In the create and rename forms, where every other letter is text
/// (see [`action_for_key`]). Ctrl-U, Ctrl-A and Ctrl-E are the readline keys people's
/// fingers know.
const IN_FORM: &[Binding] = &[
    bind!([code(KeyCode::Enter)], Action::Submit),
    bind!([code(KeyCode::Esc)], Action::Close),
    bind!([code(KeyCode::Tab), code(KeyCode::Down)], Action::NextField),
    bind!(
        [code(KeyCode::BackTab), code(KeyCode::Up)],
        Action::PreviousField
    ),
    // Space types a space in a text field, and ticks the checkbox on it.
    bind!([key(' ')], Action::ToggleField),
    bind!([code(KeyCode::Backspace)], Action::Backspace),
    bind!([code(KeyCode::Delete)], Action::DeleteForward),
    bind!([code(KeyCode::Left)], Action::CursorLeft),
    bind!([code(KeyCode::Right)], Action::CursorRight),
    bind!([code(KeyCode::Home), Key::Ctrl('a')], Action::CursorHome),
    bind!([code(KeyCode::End), Key::Ctrl('e')], Action::CursorEnd),
    bind!([Key::Ctrl('u')], Action::ClearField),
];

/// In the remove confirmation.
const IN_CONFIRM: &[Binding] = &[
    bind!([key('y'), key('Y'), code(KeyCode::Enter)], Action::Confirm),
    bind!(
        [key('n'), key('N'), code(KeyCode::Esc), key('q')],
        Action::Close
    ),
];

// The footer hints, in the order shown; the footer drops hints from the end when the
// terminal is narrow.
const HINTS_MAIN: &[Hint] = &[
    hint!("quit", Action::Quit),
    hint!("help", Action::ToggleHelp),
    hint!("select", Action::SelectPrevious, Action::SelectNext),
    hint!("new", Action::OpenCreate),
    hint!("rename", Action::OpenRename),
    hint!("mute", Action::ToggleMute),
    hint!("persist", Action::TogglePersistent),
    hint!("remove", Action::AskRemove),
    hint!(
        "test note",
        Action::SendTestNote(Side::A),
        Action::SendTestNote(Side::B)
    ),
    hint!("filter", Action::OpenFilter),
    hint!("pause", Action::TogglePause),
];
const HINTS_NO_PAIRS: &[Hint] = &[
    hint!("quit", Action::Quit),
    hint!("help", Action::ToggleHelp),
    hint!("new pair", Action::OpenCreate),
];
const HINTS_UNREACHABLE: &[Hint] = &[
    hint!("quit", Action::Quit),
    hint!("help", Action::ToggleHelp),
    hint!("start the engine", Action::StartEngine),
];
const HINTS_HELP: &[Hint] = &[
    hint!("close help", Action::Close),
    hint!("scroll", Action::SelectNext, Action::SelectPrevious),
    hint!("quit", Action::Quit),
];
const HINTS_FILTER: &[Hint] = &[
    hint!("keep the filter", Action::Submit),
    hint!("drop it", Action::Close),
];
const HINTS_FORM: &[Hint] = &[
    hint!("save", Action::Submit),
    hint!("cancel", Action::Close),
    hint!("next field", Action::NextField),
    hint!("previous", Action::PreviousField),
];
/// On the checkbox, the key that ticks it is worth a hint; elsewhere Space is a space.
const HINTS_FORM_CHECKBOX: &[Hint] = &[
    hint!("save", Action::Submit),
    hint!("cancel", Action::Close),
    hint!("toggle", Action::ToggleField),
    hint!("next field", Action::NextField),
    hint!("previous", Action::PreviousField),
];
const HINTS_CONFIRM: &[Hint] = &[
    hint!("remove", Action::Confirm),
    hint!("keep it", Action::Close),
];

/// The bindings of a mode, its own first (so a hint shows `q` for quit, not Ctrl-C), then
/// [`EVERYWHERE`].
fn bindings(mode: &Mode) -> Vec<&'static Binding> {
    let own: Vec<&'static Binding> = match mode {
        Mode::Normal => MAIN
            .iter()
            .flat_map(|section| section.lines)
            .flat_map(|line| line.bindings)
            .collect(),
        Mode::Help => IN_HELP.iter().collect(),
        Mode::Filter => IN_FILTER.iter().collect(),
        Mode::Form(_) => IN_FORM.iter().collect(),
        Mode::ConfirmRemove { .. } => IN_CONFIRM.iter().collect(),
    };
    own.into_iter().chain(EVERYWHERE).collect()
}

/// Each mode's hints, for the footer and for the tests that check them against the keys.
fn hints_of(app: &App) -> &'static [Hint] {
    match &app.mode {
        Mode::Help => HINTS_HELP,
        Mode::Filter => HINTS_FILTER,
        Mode::Form(form) if form.focused() == Field::Persistent => HINTS_FORM_CHECKBOX,
        Mode::Form(_) => HINTS_FORM,
        Mode::ConfirmRemove { .. } => HINTS_CONFIRM,
        Mode::Normal if !app.is_connected() => HINTS_UNREACHABLE,
        Mode::Normal if app.pairs.is_empty() => HINTS_NO_PAIRS,
        Mode::Normal => HINTS_MAIN,
    }
}

/// The action for a key in the current mode.
pub fn action_for_key(mode: &Mode, event: KeyEvent) -> Option<Action> {
    if event.kind != KeyEventKind::Press {
        return None;
    }
    let key = Key::of(event)?;
    let bound = bindings(mode)
        .into_iter()
        .find(|b| b.keys.contains(&key))
        .map(|b| b.action.clone());
    match (bound, mode, key) {
        (None, Mode::Form(_) | Mode::Filter, Key::Plain(KeyCode::Char(c))) => {
            Some(Action::Input(c))
        }
        (bound, _, _) => bound,
    }
}

/// The footer hints for what is on screen: `(keys, what they do)`.
pub fn hints(app: &App) -> Vec<(String, &'static str)> {
    shown(&bindings(&app.mode), hints_of(app))
}

/// The keys line of the remove confirmation: the same as its footer.
pub fn confirm_hints() -> Vec<(String, &'static str)> {
    let bindings: Vec<&Binding> = IN_CONFIRM.iter().collect();
    shown(&bindings, HINTS_CONFIRM)
}

/// Hints with their keys: the first key bound to each action.
fn shown(bindings: &[&Binding], hints: &[Hint]) -> Vec<(String, &'static str)> {
    let first_key = |action: &Action| {
        let binding = bindings.iter().find(|b| b.action == *action)?;
        Some(binding.keys.first()?.name())
    };
    hints
        .iter()
        .filter_map(|hint| {
            let keys: Option<Vec<String>> = hint.actions.iter().map(first_key).collect();
            Some((keys?.join("/"), hint.text))
        })
        .collect()
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::ids::AssociationId;
    use crate::dashboard::form::Form;

    /// Every key a terminal can send that a table could bind: printable ASCII and the named
    /// keys, alone and with Ctrl.
    fn every_key() -> Vec<KeyEvent> {
        let mut codes: Vec<KeyCode> = (' '..='~').map(KeyCode::Char).collect();
        codes.extend((1..=12).map(KeyCode::F));
        codes.extend([
            KeyCode::Up,
            KeyCode::Down,
            KeyCode::Left,
            KeyCode::Right,
            KeyCode::Home,
            KeyCode::End,
            KeyCode::PageUp,
            KeyCode::PageDown,
            KeyCode::Tab,
            KeyCode::BackTab,
            KeyCode::Backspace,
            KeyCode::Enter,
            KeyCode::Esc,
            KeyCode::Insert,
            KeyCode::Delete,
        ]);
        let with = |mods| codes.iter().map(move |&c| KeyEvent::new(c, mods));
        with(KeyModifiers::NONE)
            .chain(with(KeyModifiers::CONTROL))
            .collect()
    }

    fn shown_name(event: KeyEvent) -> Option<String> {
        Key::of(event).map(Key::name)
    }

    fn event(key: Key) -> KeyEvent {
        match key {
            Key::Plain(code) => KeyEvent::new(code, KeyModifiers::NONE),
            Key::Ctrl(c) => KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL),
        }
    }

    #[test]
    fn every_key_the_main_screen_answers_is_in_the_help() {
        let labels: Vec<String> = MAIN
            .iter()
            .flat_map(|s| s.lines)
            .map(|l| l.keys())
            .collect();
        let listed: Vec<&str> = labels
            .iter()
            .flat_map(|l| l.split(" / ").flat_map(|group| group.split(' ')))
            .collect();
        let mut answered = 0;
        for key in every_key() {
            if action_for_key(&Mode::Normal, key).is_some() {
                answered += 1;
                let name = shown_name(key).unwrap();
                assert!(
                    listed.contains(&name.as_str()),
                    "{name} acts but the help omits it"
                );
            }
        }
        assert!(answered > 20, "only {answered} keys act on the main screen");
    }

    #[test]
    fn every_key_in_the_help_does_what_its_line_says() {
        for line in MAIN.iter().flat_map(|s| s.lines) {
            for binding in line.bindings {
                for &key in binding.keys {
                    assert_eq!(
                        action_for_key(&Mode::Normal, event(key)),
                        Some(binding.action.clone()),
                        "{} on the line “{}”",
                        key.name(),
                        line.text
                    );
                }
            }
        }
    }

    #[test]
    fn every_hint_key_maps_to_the_action_it_names() {
        let confirm = Mode::ConfirmRemove {
            association_id: AssociationId::new_random(),
            name_a: "A".into(),
            name_b: "B".into(),
            persistent: false,
        };
        let mut on_checkbox = Form::create();
        while on_checkbox.focused() != Field::Persistent {
            on_checkbox.move_focus(true);
        }
        let tables: [(Mode, &[Hint]); 8] = [
            (Mode::Normal, HINTS_MAIN),
            (Mode::Normal, HINTS_NO_PAIRS),
            (Mode::Normal, HINTS_UNREACHABLE),
            (Mode::Help, HINTS_HELP),
            (Mode::Filter, HINTS_FILTER),
            (Mode::Form(Box::new(Form::create())), HINTS_FORM),
            (Mode::Form(Box::new(on_checkbox)), HINTS_FORM_CHECKBOX),
            (confirm, HINTS_CONFIRM),
        ];
        for (mode, hints) in tables {
            let shown = shown(&bindings(&mode), hints);
            assert_eq!(
                shown.len(),
                hints.len(),
                "a hint with an unbound action in {mode:?}"
            );
            for ((label, text), hint) in shown.iter().zip(hints) {
                // One action's key may itself be `/`.
                let names: Vec<&str> = match hint.actions.len() {
                    1 => vec![label.as_str()],
                    _ => label.split('/').collect(),
                };
                assert_eq!(names.len(), hint.actions.len(), "{label} {text}");
                for (name, action) in names.iter().zip(hint.actions) {
                    let key = every_key()
                        .into_iter()
                        .find(|&k| shown_name(k).as_deref() == Some(*name))
                        .unwrap_or_else(|| panic!("no key is called {name}"));
                    assert_eq!(
                        action_for_key(&mode, key).as_ref(),
                        Some(action),
                        "“{label} {text}” in {mode:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn in_a_form_unbound_letters_are_text_and_ctrl_letters_are_not() {
        let form = Mode::Form(Box::new(Form::create()));
        let press = |code, mods| action_for_key(&form, KeyEvent::new(code, mods));
        assert_eq!(
            press(KeyCode::Char('q'), KeyModifiers::NONE),
            Some(Action::Input('q'))
        );
        assert_eq!(
            press(KeyCode::Char(' '), KeyModifiers::NONE),
            Some(Action::ToggleField)
        );
        assert_eq!(
            press(KeyCode::Char('u'), KeyModifiers::CONTROL),
            Some(Action::ClearField)
        );
        assert_eq!(press(KeyCode::Char('x'), KeyModifiers::CONTROL), None);
        assert_eq!(
            press(KeyCode::Char('c'), KeyModifiers::CONTROL),
            Some(Action::Quit)
        );
    }
}
