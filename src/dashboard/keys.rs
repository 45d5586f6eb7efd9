//! Keys and the mouse, turned into [`Action`]s. What a key means depends on what is open:
//! in a form, letters are text; on the main screen, they are commands. Only key presses
//! count (terminals that report releases and repeats would act twice otherwise).
//!
//! The tables below are the one source for the keys: the handler looks keys up in them, the
//! help overlay prints [`MAIN`], and the footer hints name actions whose keys come from the
//! same tables, so what the screen says a key does is what it does.

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

/// Bound in every mode, after its own keys: Ctrl-C always quits, even where letters are text.
const EVERYWHERE: &[Binding] = &[Binding {
    keys: &[Key::Ctrl('c')],
    action: Action::Quit,
}];

/// The main screen; the help overlay shows exactly this.
pub const MAIN: &[HelpSection] = &[
    HelpSection {
        title: "Pairs",
        lines: &[
            HelpLine {
                bindings: &[
                    Binding {
                        keys: &[code(KeyCode::Up), key('k')],
                        action: Action::SelectPrevious,
                    },
                    Binding {
                        keys: &[code(KeyCode::Down), key('j')],
                        action: Action::SelectNext,
                    },
                ],
                text: "select a pair (also the mouse and its wheel)",
            },
            HelpLine {
                bindings: &[
                    Binding {
                        keys: &[code(KeyCode::Home), key('g')],
                        action: Action::SelectFirst,
                    },
                    Binding {
                        keys: &[code(KeyCode::End), key('G')],
                        action: Action::SelectLast,
                    },
                ],
                text: "first / last pair",
            },
            HelpLine {
                bindings: &[
                    Binding {
                        keys: &[code(KeyCode::PageUp)],
                        action: Action::PageUp,
                    },
                    Binding {
                        keys: &[code(KeyCode::PageDown)],
                        action: Action::PageDown,
                    },
                ],
                text: "scroll the pair list by a page",
            },
        ],
    },
    HelpSection {
        title: "Edit the selected pair",
        lines: &[
            HelpLine {
                bindings: &[Binding {
                    keys: &[key('n'), key('+'), code(KeyCode::Insert)],
                    action: Action::OpenCreate,
                }],
                text: "new pair (a form with the same rules as `create`)",
            },
            HelpLine {
                bindings: &[Binding {
                    keys: &[key('r'), code(KeyCode::F(2))],
                    action: Action::OpenRename,
                }],
                text: "rename its endpoints and description",
            },
            HelpLine {
                bindings: &[Binding {
                    keys: &[key('p')],
                    action: Action::TogglePersistent,
                }],
                text: "toggle persistent (kept across restarts)",
            },
            HelpLine {
                bindings: &[Binding {
                    keys: &[key('m')],
                    action: Action::ToggleMute,
                }],
                text: "mute / unmute (a muted pair drops everything)",
            },
            HelpLine {
                bindings: &[Binding {
                    keys: &[key('d'), code(KeyCode::Delete)],
                    action: Action::AskRemove,
                }],
                text: "remove it (asks first)",
            },
            HelpLine {
                bindings: &[
                    Binding {
                        keys: &[key('a')],
                        action: Action::SendTestNote(Side::A),
                    },
                    Binding {
                        keys: &[key('b')],
                        action: Action::SendTestNote(Side::B),
                    },
                ],
                text: "send a test note on/off from side A / B",
            },
        ],
    },
    HelpSection {
        title: "Monitor",
        lines: &[
            HelpLine {
                bindings: &[Binding {
                    keys: &[key(' ')],
                    action: Action::TogglePause,
                }],
                text: "pause / resume",
            },
            HelpLine {
                bindings: &[
                    Binding {
                        keys: &[key('[')],
                        action: Action::MonitorOlder,
                    },
                    Binding {
                        keys: &[key(']')],
                        action: Action::MonitorNewer,
                    },
                ],
                text: "scroll older / newer",
            },
            HelpLine {
                bindings: &[Binding {
                    keys: &[key('c')],
                    action: Action::MonitorClear,
                }],
                text: "clear",
            },
            HelpLine {
                bindings: &[Binding {
                    keys: &[key('f')],
                    action: Action::ToggleRealTime,
                }],
                text: "show / hide timing clock and active sensing",
            },
        ],
    },
    HelpSection {
        title: "Dashboard",
        lines: &[
            HelpLine {
                bindings: &[Binding {
                    keys: &[key('s')],
                    action: Action::StartEngine,
                }],
                text: "start the engine when none runs",
            },
            HelpLine {
                bindings: &[Binding {
                    keys: &[key('?'), code(KeyCode::F(1))],
                    action: Action::ToggleHelp,
                }],
                text: "this help",
            },
            HelpLine {
                bindings: &[Binding {
                    keys: &[key('q'), code(KeyCode::Esc), Key::Ctrl('c')],
                    action: Action::Quit,
                }],
                text: "quit",
            },
        ],
    },
];

/// While the help overlay is open.
const IN_HELP: &[Binding] = &[
    Binding {
        keys: &[code(KeyCode::Esc), key('?'), code(KeyCode::Enter)],
        action: Action::Close,
    },
    Binding {
        keys: &[key('q')],
        action: Action::Quit,
    },
];

/// In the create and rename forms, where every other letter is text
/// (see [`action_for_key`]). Ctrl-U, Ctrl-A and Ctrl-E are the readline keys people's
/// fingers know.
const IN_FORM: &[Binding] = &[
    Binding {
        keys: &[code(KeyCode::Enter)],
        action: Action::Submit,
    },
    Binding {
        keys: &[code(KeyCode::Esc)],
        action: Action::Close,
    },
    Binding {
        keys: &[code(KeyCode::Tab), code(KeyCode::Down)],
        action: Action::NextField,
    },
    Binding {
        keys: &[code(KeyCode::BackTab), code(KeyCode::Up)],
        action: Action::PreviousField,
    },
    // Space types a space in a text field, and ticks the checkbox on it.
    Binding {
        keys: &[key(' ')],
        action: Action::ToggleField,
    },
    Binding {
        keys: &[code(KeyCode::Backspace)],
        action: Action::Backspace,
    },
    Binding {
        keys: &[code(KeyCode::Delete)],
        action: Action::DeleteForward,
    },
    Binding {
        keys: &[code(KeyCode::Left)],
        action: Action::CursorLeft,
    },
    Binding {
        keys: &[code(KeyCode::Right)],
        action: Action::CursorRight,
    },
    Binding {
        keys: &[code(KeyCode::Home), Key::Ctrl('a')],
        action: Action::CursorHome,
    },
    Binding {
        keys: &[code(KeyCode::End), Key::Ctrl('e')],
        action: Action::CursorEnd,
    },
    Binding {
        keys: &[Key::Ctrl('u')],
        action: Action::ClearField,
    },
];

/// In the remove confirmation.
const IN_CONFIRM: &[Binding] = &[
    Binding {
        keys: &[key('y'), key('Y'), code(KeyCode::Enter)],
        action: Action::Confirm,
    },
    Binding {
        keys: &[key('n'), key('N'), code(KeyCode::Esc), key('q')],
        action: Action::Close,
    },
];

// The footer hints, in the order shown; the footer drops hints from the end when the
// terminal is narrow.
const HINTS_MAIN: &[Hint] = &[
    Hint {
        actions: &[Action::Quit],
        text: "quit",
    },
    Hint {
        actions: &[Action::ToggleHelp],
        text: "help",
    },
    Hint {
        actions: &[Action::SelectPrevious, Action::SelectNext],
        text: "select",
    },
    Hint {
        actions: &[Action::OpenCreate],
        text: "new",
    },
    Hint {
        actions: &[Action::OpenRename],
        text: "rename",
    },
    Hint {
        actions: &[Action::ToggleMute],
        text: "mute",
    },
    Hint {
        actions: &[Action::TogglePersistent],
        text: "persist",
    },
    Hint {
        actions: &[Action::AskRemove],
        text: "remove",
    },
    Hint {
        actions: &[Action::SendTestNote(Side::A), Action::SendTestNote(Side::B)],
        text: "test note",
    },
    Hint {
        actions: &[Action::TogglePause],
        text: "pause",
    },
];
const HINTS_NO_PAIRS: &[Hint] = &[
    Hint {
        actions: &[Action::Quit],
        text: "quit",
    },
    Hint {
        actions: &[Action::ToggleHelp],
        text: "help",
    },
    Hint {
        actions: &[Action::OpenCreate],
        text: "new pair",
    },
];
const HINTS_UNREACHABLE: &[Hint] = &[
    Hint {
        actions: &[Action::Quit],
        text: "quit",
    },
    Hint {
        actions: &[Action::ToggleHelp],
        text: "help",
    },
    Hint {
        actions: &[Action::StartEngine],
        text: "start the engine",
    },
];
const HINTS_HELP: &[Hint] = &[
    Hint {
        actions: &[Action::Close],
        text: "close help",
    },
    Hint {
        actions: &[Action::Quit],
        text: "quit",
    },
];
const HINTS_FORM: &[Hint] = &[
    Hint {
        actions: &[Action::Submit],
        text: "save",
    },
    Hint {
        actions: &[Action::Close],
        text: "cancel",
    },
    Hint {
        actions: &[Action::NextField],
        text: "next field",
    },
    Hint {
        actions: &[Action::PreviousField],
        text: "previous",
    },
    Hint {
        actions: &[Action::ToggleField],
        text: "toggle",
    },
];
const HINTS_CONFIRM: &[Hint] = &[
    Hint {
        actions: &[Action::Confirm],
        text: "remove",
    },
    Hint {
        actions: &[Action::Close],
        text: "keep it",
    },
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
        Mode::Form(_) => IN_FORM.iter().collect(),
        Mode::ConfirmRemove { .. } => IN_CONFIRM.iter().collect(),
    };
    own.into_iter().chain(EVERYWHERE).collect()
}

/// Each mode's hints, for the footer and for the tests that check them against the keys.
fn hints_of(app: &App) -> &'static [Hint] {
    match &app.mode {
        Mode::Help => HINTS_HELP,
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
        (None, Mode::Form(_), Key::Plain(KeyCode::Char(c))) => Some(Action::Input(c)),
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
        let tables: [(Mode, &[Hint]); 6] = [
            (Mode::Normal, HINTS_MAIN),
            (Mode::Normal, HINTS_NO_PAIRS),
            (Mode::Normal, HINTS_UNREACHABLE),
            (Mode::Help, HINTS_HELP),
            (Mode::Form(Box::new(Form::create())), HINTS_FORM),
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
                let names: Vec<&str> = label.split('/').collect();
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
