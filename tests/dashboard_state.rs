//! The dashboard's state machine, driven the way a user drives it: key presses (and mouse
//! events) through the real key map into `App::update`, engine reports as the source thread
//! would send them. Assertions read the state and the commands the app asks the engine for.

mod dashboard_fixtures;

use crossterm::event::{
    Event, KeyCode, KeyEvent, KeyEventKind, KeyEventState, KeyModifiers, MouseButton, MouseEvent,
    MouseEventKind,
};
use dashboard_fixtures::*;
use midi_loopback::core::ids::{Direction, Side};
use midi_loopback::core::model::{NameSpec, PairUpdate};
use midi_loopback::core::protocol::TimedMessage;
use midi_loopback::core::rules::RuleError;
use midi_loopback::dashboard::action::{Action, Command, Report, UpdatePurpose};
use midi_loopback::dashboard::app::{
    App, EngineState, MONITOR_CAPACITY, Mode, NOTICE_FOR, TEST_NOTE_OFF, TEST_NOTE_ON,
};
use midi_loopback::dashboard::form::Field;
use midi_loopback::dashboard::runner::{EventSource, Timing, dispatch, run_app};
use midi_loopback::dashboard::theme::Theme;
use midi_loopback::dashboard::{keys, strings};
use std::collections::VecDeque;
use std::time::Duration;

/// An app showing `n` of the twelve fixture pairs on an 80×24 screen.
fn with_pairs(n: usize) -> App {
    let pairs = twelve_pairs().into_iter().take(n).collect();
    watched(80, 24, pairs, 1, |_, _| (0, 0))
}

fn selected_id(app: &App) -> midi_loopback::core::ids::AssociationId {
    app.selected_pair().unwrap().info.association_id
}

fn report(app: &mut App, report: Report) {
    dispatch(app, Action::Report(Box::new(report)));
}

fn done(
    app: &mut App,
    command: Command,
    result: Result<Option<midi_loopback::core::PairInfo>, String>,
) {
    report(app, Report::Done { command, result });
}

fn lose_engine(app: &mut App) {
    report(
        app,
        Report::Unreachable {
            reason: "the engine stopped".into(),
        },
    );
}

fn form_error(app: &App) -> Option<(Field, String)> {
    let verdict = app.check_form().expect("a form is open");
    verdict.err().map(|e| (e.field, e.message))
}

// -- Quitting, help --------------------------------------------------------------------------

#[test]
fn q_esc_and_ctrl_c_quit() {
    for (code, mods) in [
        (KeyCode::Char('q'), KeyModifiers::NONE),
        (KeyCode::Esc, KeyModifiers::NONE),
        (KeyCode::Char('c'), KeyModifiers::CONTROL),
    ] {
        let mut app = with_pairs(1);
        press_with(&mut app, code, mods);
        assert!(app.should_quit, "{code:?} quits");
    }
    // Ctrl-C quits from inside a form too, where q is just a letter.
    let mut app = with_pairs(1);
    press(&mut app, KeyCode::Char('n'));
    press(&mut app, KeyCode::Char('q'));
    assert!(!app.should_quit);
    press_with(&mut app, KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert!(app.should_quit);
}

#[test]
fn only_key_presses_count() {
    let mut app = with_pairs(1);
    for kind in [KeyEventKind::Release, KeyEventKind::Repeat] {
        let key = KeyEvent {
            code: KeyCode::Char('q'),
            modifiers: KeyModifiers::NONE,
            kind,
            state: KeyEventState::NONE,
        };
        assert_eq!(keys::action_for(&app, &Event::Key(key)), None);
    }
    press(&mut app, KeyCode::Char('q'));
    assert!(app.should_quit);
}

#[test]
fn help_opens_with_question_mark_or_f1_and_closes() {
    for open in [KeyCode::Char('?'), KeyCode::F(1)] {
        for close in [KeyCode::Char('?'), KeyCode::Esc, KeyCode::Enter] {
            let mut app = with_pairs(1);
            press(&mut app, open);
            assert_eq!(app.mode, Mode::Help);
            press(&mut app, KeyCode::Char('n')); // other keys do nothing under help
            assert_eq!(app.mode, Mode::Help);
            press(&mut app, close);
            assert_eq!(app.mode, Mode::Normal);
            assert!(!app.should_quit, "{close:?} closes help, not the dashboard");
        }
    }
    let mut app = with_pairs(1);
    press(&mut app, KeyCode::Char('?'));
    press(&mut app, KeyCode::Char('q'));
    assert!(app.should_quit);
}

// -- Selection and scrolling -----------------------------------------------------------------

#[test]
fn arrows_and_vi_keys_move_the_selection_within_bounds() {
    let mut app = with_pairs(3);
    assert_eq!(app.selected, 0);
    press(&mut app, KeyCode::Up);
    assert_eq!(app.selected, 0);
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Char('j'));
    assert_eq!(app.selected, 2);
    press(&mut app, KeyCode::Down);
    assert_eq!(app.selected, 2);
    press(&mut app, KeyCode::Char('k'));
    assert_eq!(app.selected, 1);
    press(&mut app, KeyCode::Char('G'));
    assert_eq!(app.selected, 2);
    press(&mut app, KeyCode::Char('g'));
    assert_eq!(app.selected, 0);
    press(&mut app, KeyCode::End);
    assert_eq!(app.selected, 2);
    press(&mut app, KeyCode::Home);
    assert_eq!(app.selected, 0);
}

#[test]
fn the_table_scrolls_to_keep_the_selection_visible() {
    let mut app = with_pairs(12); // 80×24 shows four pairs
    press(&mut app, KeyCode::End);
    assert_eq!((app.selected, app.offset), (11, 8));
    press(&mut app, KeyCode::PageUp);
    assert_eq!((app.selected, app.offset), (7, 7));
    press(&mut app, KeyCode::PageUp);
    press(&mut app, KeyCode::PageUp);
    assert_eq!((app.selected, app.offset), (0, 0));
    press(&mut app, KeyCode::PageDown);
    assert_eq!((app.selected, app.offset), (4, 1));
    // A taller terminal shows ten pairs, and fills the table rather than leave blank rows.
    press(&mut app, KeyCode::End);
    dispatch(&mut app, Action::Resize(120, 40));
    assert_eq!((app.selected, app.offset), (11, 2));
    press(&mut app, KeyCode::Home);
    dispatch(&mut app, Action::Resize(80, 24));
    press(&mut app, KeyCode::PageDown);
    assert_eq!((app.selected, app.offset), (4, 1));
}

#[test]
fn changing_the_selection_retargets_the_monitor() {
    let mut app = with_pairs(2);
    let first = selected_id(&app);
    press(&mut app, KeyCode::Down);
    let second = selected_id(&app);
    assert_ne!(first, second);
    assert_eq!(app.take_commands(), vec![Command::Watch(Some(second))]);
    assert_eq!(app.monitor.association_id, Some(second));
}

#[test]
fn the_mouse_selects_and_scrolls() {
    let mut app = with_pairs(12);
    let table = midi_loopback::dashboard::layout::areas(app.screen, 12).table;
    let mouse = |kind, row| {
        Event::Mouse(MouseEvent {
            kind,
            column: 10,
            row,
            modifiers: KeyModifiers::NONE,
        })
    };
    // The third pair's second line (rows: border, headers, then two per pair).
    let click = mouse(MouseEventKind::Down(MouseButton::Left), table.y + 2 + 5);
    let action = keys::action_for(&app, &click).unwrap();
    dispatch(&mut app, action);
    assert_eq!(app.selected, 2);
    let wheel = mouse(MouseEventKind::ScrollDown, table.y + 3);
    let action = keys::action_for(&app, &wheel).unwrap();
    dispatch(&mut app, action);
    assert_eq!(app.selected, 3);
    // A click on the border selects nothing.
    let border = mouse(MouseEventKind::Down(MouseButton::Left), table.y);
    assert_eq!(keys::action_for(&app, &border), None);
}

// -- Editing the selected pair ---------------------------------------------------------------

#[test]
fn p_toggles_persistence_and_reports_the_result() {
    let mut app = with_pairs(2); // pair 1 is persistent in the fixtures
    app.take_commands();
    let id = selected_id(&app);
    press(&mut app, KeyCode::Char('p'));
    let commands = app.take_commands();
    assert_eq!(
        commands,
        vec![Command::Update {
            association_id: id,
            update: PairUpdate {
                persistent: Some(false),
                ..Default::default()
            },
            purpose: UpdatePurpose::Persistence,
        }]
    );
    let mut after = app.selected_pair().unwrap().info.clone();
    after.persistent = false;
    done(&mut app, commands[0].clone(), Ok(Some(after)));
    assert!(!app.selected_pair().unwrap().info.persistent);
    assert!(app.notice.as_ref().unwrap().text.contains("transient"));
}

#[test]
fn m_mutes_and_unmutes() {
    let mut app = with_pairs(1);
    app.take_commands();
    let id = selected_id(&app);
    press(&mut app, KeyCode::Char('m'));
    let commands = app.take_commands();
    assert_eq!(
        commands,
        vec![Command::SetMuted {
            association_id: id,
            muted: true
        }]
    );
    let mut after = app.selected_pair().unwrap().info.clone();
    after.muted = true;
    done(&mut app, commands[0].clone(), Ok(Some(after)));
    assert!(app.selected_pair().unwrap().info.muted);
    press(&mut app, KeyCode::Char('m'));
    assert_eq!(
        app.take_commands(),
        vec![Command::SetMuted {
            association_id: id,
            muted: false
        }]
    );
}

#[test]
fn remove_asks_first_and_y_or_enter_confirms() {
    for open in [KeyCode::Char('d'), KeyCode::Delete] {
        for confirm in [KeyCode::Char('y'), KeyCode::Enter] {
            let mut app = with_pairs(2);
            app.take_commands();
            let id = selected_id(&app);
            press(&mut app, open);
            assert!(matches!(app.mode, Mode::ConfirmRemove { .. }));
            assert!(
                app.take_commands().is_empty(),
                "nothing happens before the answer"
            );
            press(&mut app, confirm);
            assert_eq!(app.mode, Mode::Normal);
            let commands = app.take_commands();
            assert_eq!(commands, vec![Command::Remove { association_id: id }]);
            let removed = app.selected_pair().unwrap().info.clone();
            done(&mut app, commands[0].clone(), Ok(Some(removed)));
            assert_eq!(app.pairs.len(), 1);
            assert!(app.notice.as_ref().unwrap().text.contains("removed"));
        }
    }
}

#[test]
fn remove_is_cancelled_by_n_esc_or_q() {
    for cancel in [KeyCode::Char('n'), KeyCode::Esc, KeyCode::Char('q')] {
        let mut app = with_pairs(1);
        app.take_commands();
        press(&mut app, KeyCode::Char('d'));
        press(&mut app, KeyCode::Char('x')); // ignored
        assert!(matches!(app.mode, Mode::ConfirmRemove { .. }));
        press(&mut app, cancel);
        assert_eq!(app.mode, Mode::Normal);
        assert!(!app.should_quit);
        assert!(app.take_commands().is_empty());
    }
}

#[test]
fn a_confirmation_for_a_vanished_pair_closes() {
    let mut app = with_pairs(2);
    press(&mut app, KeyCode::Char('d'));
    let rest: Vec<_> = twelve_pairs().into_iter().skip(1).take(1).collect();
    snapshot(&mut app, &rest, 5.0);
    assert_eq!(app.mode, Mode::Normal);
}

#[test]
fn a_and_b_send_a_test_note_from_each_side() {
    for (key, side) in [(KeyCode::Char('a'), Side::A), (KeyCode::Char('b'), Side::B)] {
        let mut app = with_pairs(1);
        app.take_commands();
        press(&mut app, key);
        let endpoint = app.selected_pair().unwrap().info.endpoint(side).clone();
        let commands = app.take_commands();
        assert_eq!(
            commands,
            vec![Command::SendTestNote {
                endpoint: endpoint.id.to_string(),
                first: vec![TEST_NOTE_ON],
                then: vec![TEST_NOTE_OFF],
                then_after_ms: 300,
            }]
        );
        done(&mut app, commands[0].clone(), Ok(None));
        assert!(app.notice.as_ref().unwrap().text.contains(&endpoint.name));
    }
}

#[test]
fn a_test_note_into_a_muted_pair_says_nothing_arrived() {
    let mut app = with_pairs(1);
    let mut muted = app.selected_pair().unwrap().info.clone();
    muted.muted = true;
    done(
        &mut app,
        Command::SetMuted {
            association_id: muted.association_id,
            muted: true,
        },
        Ok(Some(muted.clone())),
    );
    app.take_commands();
    press(&mut app, KeyCode::Char('a'));
    let commands = app.take_commands();
    done(&mut app, commands[0].clone(), Ok(None));
    let notice = app.notice.as_ref().unwrap();
    assert!(notice.is_error, "a warning, not a success: {}", notice.text);
    assert!(
        notice.text.contains("muted") && notice.text.contains("nothing arrived"),
        "{}",
        notice.text
    );
    assert!(!notice.text.starts_with('✓'), "{}", notice.text);
}

#[test]
fn a_failed_command_says_why() {
    let mut app = with_pairs(1);
    app.take_commands();
    press(&mut app, KeyCode::Char('m'));
    let command = app.take_commands().remove(0);
    done(&mut app, command, Err("no such pair".into()));
    let notice = app.notice.clone().unwrap();
    assert!(notice.is_error);
    assert!(
        notice.text.contains("mute failed: no such pair"),
        "{}",
        notice.text
    );
}

#[test]
fn pair_keys_need_a_pair_and_an_engine() {
    let mut app = with_pairs(0);
    for key in ['r', 'p', 'm', 'd', 'a', 'b'] {
        press(&mut app, KeyCode::Char(key));
        assert_eq!(app.mode, Mode::Normal);
        assert!(app.take_commands().is_empty());
        assert_eq!(app.notice.as_ref().unwrap().text, strings::NEEDS_PAIR);
    }
    let mut app = with_pairs(1);
    lose_engine(&mut app);
    app.take_commands();
    for key in ['n', 'r', 'p', 'm', 'd', 'a', 'b'] {
        press(&mut app, KeyCode::Char(key));
        assert_eq!(app.mode, Mode::Normal);
        assert!(app.take_commands().is_empty());
        assert_eq!(app.notice.as_ref().unwrap().text, strings::NEEDS_ENGINE);
    }
}

#[test]
fn a_tick_never_cancels_a_frame_that_is_due() {
    let mut app = with_pairs(1);
    let now = app.now;
    app.dirty = false;
    dispatch(&mut app, Action::Tick(now));
    assert!(!app.dirty, "a tick alone draws nothing");
    press(&mut app, KeyCode::Char('m'));
    dispatch(&mut app, Action::Tick(now));
    assert!(app.dirty, "the key's change still needs its frame");
}

#[test]
fn notices_expire() {
    let mut app = with_pairs(0);
    press(&mut app, KeyCode::Char('m'));
    assert!(app.notice.is_some());
    let later = app.now + NOTICE_FOR + Duration::from_millis(1);
    dispatch(&mut app, Action::Tick(later));
    assert!(app.notice.is_none());
}

// -- The engine going and coming back --------------------------------------------------------

#[test]
fn s_starts_the_engine_only_when_none_answers() {
    let mut app = with_pairs(1);
    app.take_commands();
    press(&mut app, KeyCode::Char('s'));
    assert!(app.take_commands().is_empty());
    lose_engine(&mut app);
    press(&mut app, KeyCode::Char('s'));
    assert_eq!(app.take_commands(), vec![Command::StartEngine]);
    done(&mut app, Command::StartEngine, Ok(None));
    assert_eq!(app.notice.as_ref().unwrap().text, strings::DONE_STARTED);
}

#[test]
fn an_engine_restart_shows_reconnecting_then_resumes() {
    let mut app = app(80, 24);
    lose_engine(&mut app);
    assert!(matches!(
        app.engine,
        EngineState::Lost {
            was_running: false,
            ..
        }
    ));
    let pairs = twelve_pairs();
    snapshot(&mut app, &pairs[..2], 1.0);
    assert!(app.is_connected());
    lose_engine(&mut app);
    assert!(matches!(
        app.engine,
        EngineState::Lost {
            was_running: true,
            ..
        }
    ));
    // After the restart only the persistent pair is back, and its counters start again.
    snapshot(&mut app, &pairs[..1], 5.0);
    assert!(app.is_connected());
    assert_eq!(app.pairs.len(), 1);
    assert_eq!(app.selected, 0);
}

#[test]
fn a_vanished_pair_moves_the_selection_and_the_monitor() {
    let mut app = with_pairs(3);
    press(&mut app, KeyCode::End);
    app.take_commands();
    let pairs = twelve_pairs();
    snapshot(&mut app, &pairs[..2], 5.0);
    assert_eq!(app.selected, 1);
    let now_selected = selected_id(&app);
    assert_eq!(
        app.take_commands(),
        vec![Command::Watch(Some(now_selected))]
    );
    snapshot(&mut app, &[], 6.0);
    assert!(app.selected_pair().is_none());
    assert_eq!(app.take_commands(), vec![Command::Watch(None)]);
}

// -- Meters ----------------------------------------------------------------------------------

#[test]
fn rates_come_from_counter_deltas_so_a_burst_shows_within_one_poll() {
    let mut app = app(80, 24);
    let mut p = pair(1, "Studio");
    snapshot(&mut app, std::slice::from_ref(&p), 0.0);
    p.a_to_b.messages = 1000; // the engine's own one-second rate still says 0
    snapshot(&mut app, std::slice::from_ref(&p), 0.25);
    let row = app.selected_pair().unwrap();
    assert_eq!(row.meter(Direction::AToB).rate, 4000.0);
    assert_eq!(row.meter(Direction::BToA).rate, 0.0);
    assert_eq!(app.total_rate(), 4000.0);
}

#[test]
fn a_sides_network_rate_comes_from_its_deltas_and_rests_when_the_session_ends() {
    use midi_loopback::core::network::{ClientPresence, ClientState, NetworkPresence};
    let mut app = app(80, 24);
    let mut p = pair(1, "Studio");
    let mut presence = NetworkPresence {
        clients: vec![ClientPresence {
            host: "127.0.0.1:5673".parse().unwrap(),
            state: ClientState::Up,
            remote_name: Some("Stage (A)".into()),
        }],
        messages_sent: 100,
        messages_received: 100,
        ..NetworkPresence::default()
    };
    p.endpoint_b.network_presence = Some(Box::new(presence.clone()));
    snapshot(&mut app, std::slice::from_ref(&p), 0.0);
    presence.messages_sent += 30;
    presence.messages_received += 20;
    p.endpoint_b.network_presence = Some(Box::new(presence));
    snapshot(&mut app, std::slice::from_ref(&p), 0.5);
    let row = app.selected_pair().unwrap();
    assert!(row.network_meter(Side::A).is_none());
    // Both ways together: 50 messages in half a second.
    assert_eq!(row.network_meter(Side::B).unwrap().rate, 100.0);

    p.endpoint_b.network_presence = None;
    snapshot(&mut app, std::slice::from_ref(&p), 1.0);
    let row = app.selected_pair().unwrap();
    assert!(row.network_meter(Side::B).is_none() && !row.on_network());
    assert_eq!(row.network[1].rate, 0.0);
}

// -- The monitor -----------------------------------------------------------------------------

fn tap(app: &mut App, n: usize) {
    let id = selected_id(app);
    let messages = (0..n)
        .map(|i| {
            let note = 0x2090_3C64 | ((i as u32 % 128) << 8);
            (Direction::AToB, TimedMessage::new(0, &[note]).unwrap())
        })
        .collect();
    report(
        app,
        Report::Tapped {
            association_id: id,
            messages,
            skipped: 0,
        },
    );
}

#[test]
fn the_monitor_keeps_what_crosses_the_selected_pair_only() {
    let mut app = with_pairs(2);
    tap(&mut app, 3);
    assert_eq!(app.monitor.entries.len(), 3);
    assert_eq!(app.monitor.entries[2].index, 3);
    // Copies for a pair no longer watched are ignored.
    let other = app.pairs[1].info.association_id;
    report(
        &mut app,
        Report::Tapped {
            association_id: other,
            messages: vec![(
                Direction::BToA,
                TimedMessage::new(0, &[0x2090_3C64]).unwrap(),
            )],
            skipped: 0,
        },
    );
    assert_eq!(app.monitor.entries.len(), 3);
    tap(&mut app, MONITOR_CAPACITY);
    assert_eq!(app.monitor.entries.len(), MONITOR_CAPACITY);
}

#[test]
fn space_pauses_brackets_scroll_and_c_clears_the_monitor() {
    let mut app = with_pairs(1);
    tap(&mut app, 5);
    press(&mut app, KeyCode::Char(' '));
    assert!(app.monitor.paused);
    tap(&mut app, 2);
    assert_eq!(app.monitor.entries.len(), 5, "paused: nothing new is added");
    assert_eq!(app.monitor.skipped, 2, "but it is counted");
    press(&mut app, KeyCode::Char(' '));
    assert!(!app.monitor.paused);
    press(&mut app, KeyCode::Char('['));
    press(&mut app, KeyCode::Char('['));
    assert_eq!(app.monitor.scroll, 2);
    assert!(app.monitor.paused, "reading back holds the view still");
    press(&mut app, KeyCode::Char(']'));
    assert_eq!(app.monitor.scroll, 1);
    press(&mut app, KeyCode::Char(' '));
    assert_eq!((app.monitor.paused, app.monitor.scroll), (false, 0));
    press(&mut app, KeyCode::Char('c'));
    assert!(app.monitor.entries.is_empty());
}

#[test]
fn f_shows_the_timing_clock_the_monitor_hides_by_default() {
    let mut app = with_pairs(1);
    let id = selected_id(&app);
    let clock = |app: &mut App| {
        let messages = vec![(
            Direction::AToB,
            TimedMessage::new(0, &[0x10F8_0000]).unwrap(),
        )];
        report(
            app,
            Report::Tapped {
                association_id: id,
                messages,
                skipped: 0,
            },
        );
    };
    clock(&mut app);
    assert!(app.monitor.entries.is_empty());
    assert_eq!(app.monitor.hidden, 1);
    press(&mut app, KeyCode::Char('f'));
    clock(&mut app);
    assert_eq!(app.monitor.entries.len(), 1);
    assert_eq!(app.monitor.entries[0].index, 2, "hidden ones still count");
    press(&mut app, KeyCode::Char('f'));
    assert!(!app.monitor.show_real_time);
}

// -- The create form -------------------------------------------------------------------------

#[test]
fn n_opens_the_create_form_and_esc_cancels_it() {
    for open in [KeyCode::Char('n'), KeyCode::Char('+'), KeyCode::Insert] {
        let mut app = with_pairs(1);
        app.take_commands();
        press(&mut app, open);
        assert_eq!(app.form().unwrap().focused(), Field::Root);
        type_text(&mut app, "Half typed");
        press(&mut app, KeyCode::Esc);
        assert_eq!(app.mode, Mode::Normal);
        assert!(!app.should_quit);
        assert!(app.take_commands().is_empty());
    }
}

#[test]
fn creating_a_pair_from_a_root_name() {
    let mut app = with_pairs(1);
    app.take_commands();
    press(&mut app, KeyCode::Char('n'));
    type_text(&mut app, "New Rig");
    assert_eq!(form_error(&app), None);
    press(&mut app, KeyCode::Enter);
    assert!(app.form().unwrap().busy);
    type_text(&mut app, "ignored while the engine decides");
    let commands = app.take_commands();
    let [Command::Create(def)] = commands.as_slice() else {
        panic!("expected one create, got {commands:?}");
    };
    assert_eq!(def.endpoint_a.name, "New Rig (A)");
    assert_eq!(def.endpoint_b.name, "New Rig (B)");
    assert!(!def.persistent);
    // The engine creates it; the form closes and the new pair is selected once it shows.
    let mut created = pair(50, "New Rig");
    created.association_id = def.association_id;
    done(&mut app, commands[0].clone(), Ok(Some(created.clone())));
    assert_eq!(app.mode, Mode::Normal);
    assert!(
        app.notice
            .as_ref()
            .unwrap()
            .text
            .contains("created New Rig (A)")
    );
    let mut pairs: Vec<_> = app.pairs.iter().map(|p| p.info.clone()).collect();
    pairs.push(created);
    snapshot(&mut app, &pairs, 3.0);
    assert_eq!(selected_id(&app), def.association_id);
}

#[test]
fn creating_with_two_names_every_option_and_persistence() {
    let mut app = with_pairs(1);
    app.take_commands();
    press(&mut app, KeyCode::Char('n'));
    press(&mut app, KeyCode::Tab); // to name A
    assert_eq!(app.form().unwrap().focused(), Field::NameA);
    type_text(&mut app, "Left");
    press(&mut app, KeyCode::Down);
    type_text(&mut app, "Right");
    press(&mut app, KeyCode::Tab);
    type_text(&mut app, "for tests");
    press(&mut app, KeyCode::Tab);
    type_text(&mut app, "abc-123_45!");
    press(&mut app, KeyCode::Tab);
    type_text(&mut app, "{7AF38A08-0F4B-43AD-B218-1757496F0034}");
    press(&mut app, KeyCode::Tab);
    assert_eq!(app.form().unwrap().focused(), Field::Persistent);
    press(&mut app, KeyCode::Char(' '));
    assert!(app.form().unwrap().persistent);
    press(&mut app, KeyCode::Enter);
    let commands = app.take_commands();
    let [Command::Create(def)] = commands.as_slice() else {
        panic!("expected one create, got {commands:?}");
    };
    assert_eq!(
        (def.endpoint_a.name.as_str(), def.endpoint_b.name.as_str()),
        ("Left", "Right")
    );
    assert_eq!(def.endpoint_a.description, "for tests");
    assert_eq!(def.unique_identifier.as_str(), "abc12345");
    assert_eq!(
        def.association_id.to_string(),
        "7af38a08-0f4b-43ad-b218-1757496f0034"
    );
    assert!(def.persistent);
}

#[test]
fn a_root_name_disables_the_two_name_fields() {
    let mut app = with_pairs(0);
    press(&mut app, KeyCode::Char('n'));
    type_text(&mut app, "Rig");
    press(&mut app, KeyCode::Tab);
    assert_eq!(app.form().unwrap().focused(), Field::Description);
    press(&mut app, KeyCode::BackTab);
    assert_eq!(app.form().unwrap().focused(), Field::Root);
    press(&mut app, KeyCode::Up); // wraps to the last field
    assert_eq!(app.form().unwrap().focused(), Field::Persistent);
    assert_eq!(
        app.form().unwrap().derived_name(Field::NameB).as_deref(),
        Some("Rig (B)")
    );
}

#[test]
fn the_create_form_refuses_a_name_already_in_use() {
    let mut app = with_pairs(1); // "Studio (A)" / "Studio (B)"
    app.take_commands();
    press(&mut app, KeyCode::Char('n'));
    type_text(&mut app, "STUDIO");
    let (field, message) = form_error(&app).expect("a clash is refused");
    assert_eq!(field, Field::Root);
    assert!(
        message.contains("already used by \"Studio (A)\""),
        "{message}"
    );
    press(&mut app, KeyCode::Enter);
    assert!(
        app.take_commands().is_empty(),
        "a refused form sends nothing"
    );
    assert!(app.form().is_some(), "and stays open to be fixed");
    // Fixing it, as the user types, clears the error.
    type_text(&mut app, " 2");
    assert_eq!(form_error(&app), None);
}

#[test]
fn the_create_form_applies_the_core_rules_as_the_user_types() {
    let mut app = with_pairs(0);
    press(&mut app, KeyCode::Char('n'));
    assert_eq!(
        form_error(&app).unwrap(),
        (Field::Root, RuleError::MissingNames.to_string())
    );
    // Too long: 96 bytes plus " (A)" is over the 98-byte endpoint-name limit.
    type_text(&mut app, &"x".repeat(96));
    let (field, message) = form_error(&app).unwrap();
    assert_eq!(field, Field::Root);
    assert!(message.contains("limit is 94 UTF-8 bytes"), "{message}");
    press_with(&mut app, KeyCode::Char('u'), KeyModifiers::CONTROL);
    assert_eq!(app.form().unwrap().input(Field::Root).value(), "");
    // Two names that are the same, ignoring case.
    press(&mut app, KeyCode::Tab);
    type_text(&mut app, "Same");
    press(&mut app, KeyCode::Tab);
    type_text(&mut app, "SAME");
    let (field, message) = form_error(&app).unwrap();
    assert_eq!(field, Field::NameB);
    assert!(message.contains("are the same"), "{message}");
    // Name B alone is not enough.
    press_with(&mut app, KeyCode::Char('u'), KeyModifiers::CONTROL);
    assert_eq!(form_error(&app).unwrap().0, Field::NameB);
    type_text(&mut app, "Other");
    assert_eq!(form_error(&app), None);
    // A bad association id and a unique id with nothing left after stripping.
    for _ in 0..3 {
        press(&mut app, KeyCode::Tab);
    }
    assert_eq!(app.form().unwrap().focused(), Field::AssociationId);
    type_text(&mut app, "not-a-guid");
    assert_eq!(form_error(&app).unwrap().0, Field::AssociationId);
    press_with(&mut app, KeyCode::Char('u'), KeyModifiers::CONTROL);
    press(&mut app, KeyCode::BackTab);
    type_text(&mut app, "-_-");
    let (field, message) = form_error(&app).unwrap();
    assert_eq!(field, Field::UniqueId);
    assert!(message.contains("no ASCII letters or digits"), "{message}");
}

#[test]
fn form_fields_edit_at_the_cursor() {
    let mut app = with_pairs(0);
    press(&mut app, KeyCode::Char('n'));
    type_text(&mut app, "Rg");
    press(&mut app, KeyCode::Left);
    type_text(&mut app, "i");
    press(&mut app, KeyCode::Home);
    press(&mut app, KeyCode::Delete);
    type_text(&mut app, "B");
    press(&mut app, KeyCode::End);
    type_text(&mut app, " X");
    press(&mut app, KeyCode::Backspace);
    press_with(&mut app, KeyCode::Char('a'), KeyModifiers::CONTROL);
    press(&mut app, KeyCode::Right);
    press_with(&mut app, KeyCode::Char('e'), KeyModifiers::CONTROL);
    type_text(&mut app, "1");
    let input = app.form().unwrap().input(Field::Root);
    assert_eq!(input.value(), "Big 1");
    assert_eq!(input.cursor(), 5);
}

#[test]
fn an_engine_refusal_keeps_the_form_open_with_the_reason() {
    let mut app = with_pairs(0);
    press(&mut app, KeyCode::Char('n'));
    type_text(&mut app, "Rig");
    press(&mut app, KeyCode::Enter);
    let command = app.take_commands().pop().unwrap();
    let reason = "endpoint name \"Rig (A)\" is already used".to_string();
    done(&mut app, command, Err(reason.clone()));
    let form = app.form().expect("still open");
    assert!(!form.busy);
    assert_eq!(form.engine_error.as_deref(), Some(reason.as_str()));
    // Editing clears the engine's complaint, which was about the old value.
    type_text(&mut app, "2");
    assert_eq!(app.form().unwrap().engine_error, None);
}

#[test]
fn an_answer_for_a_form_closed_meanwhile_becomes_a_notice() {
    let mut app = with_pairs(0);
    press(&mut app, KeyCode::Char('n'));
    type_text(&mut app, "Rig");
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Esc); // Esc still closes a form that waits for the engine
    assert_eq!(app.mode, Mode::Normal);
    let command = app.take_commands().pop().unwrap();
    done(&mut app, command, Err("the engine stopped".into()));
    let notice = app.notice.clone().unwrap();
    assert!(notice.is_error);
    assert_eq!(
        notice.text,
        strings::failed(strings::OP_CREATE, "the engine stopped")
    );
}

// -- The rename form -------------------------------------------------------------------------

#[test]
fn rename_edits_both_names_and_the_description() {
    for open in [KeyCode::Char('r'), KeyCode::F(2)] {
        let mut app = with_pairs(2);
        app.take_commands();
        let id = selected_id(&app);
        press(&mut app, open);
        let form = app.form().unwrap();
        assert_eq!(form.input(Field::NameA).value(), "Studio (A)");
        assert_eq!(form.focused(), Field::Root);
        // Without the root name, the sides are named one by one.
        press_with(&mut app, KeyCode::Char('u'), KeyModifiers::CONTROL);
        press(&mut app, KeyCode::Tab);
        assert_eq!(app.form().unwrap().focused(), Field::NameA);
        press(&mut app, KeyCode::Tab);
        press_with(&mut app, KeyCode::Char('u'), KeyModifiers::CONTROL);
        type_text(&mut app, "Studio Out");
        press(&mut app, KeyCode::Enter);
        let commands = app.take_commands();
        assert_eq!(
            commands,
            vec![Command::Update {
                association_id: id,
                update: PairUpdate {
                    name_a: Some("Studio (A)".into()),
                    name_b: Some("Studio Out".into()),
                    description: Some(String::new()),
                    ..Default::default()
                },
                purpose: UpdatePurpose::Rename,
            }]
        );
        let mut renamed = app.selected_pair().unwrap().info.clone();
        renamed.endpoint_b.name = "Studio Out".into();
        done(&mut app, commands[0].clone(), Ok(Some(renamed)));
        assert_eq!(app.mode, Mode::Normal);
        assert_eq!(
            app.selected_pair().unwrap().info.endpoint_b.name,
            "Studio Out"
        );
    }
}

#[test]
fn rename_refuses_a_name_of_another_pair() {
    let mut app = with_pairs(2); // "Studio …" and "Live Rig …"
    app.take_commands();
    press(&mut app, KeyCode::Char('r'));
    press_with(&mut app, KeyCode::Char('u'), KeyModifiers::CONTROL); // the root name
    press(&mut app, KeyCode::Tab);
    press_with(&mut app, KeyCode::Char('u'), KeyModifiers::CONTROL);
    type_text(&mut app, "live rig (b)");
    let (field, message) = form_error(&app).unwrap();
    assert_eq!(field, Field::NameA);
    assert!(message.contains("Live Rig (B)"), "{message}");
    press(&mut app, KeyCode::Enter);
    assert!(app.take_commands().is_empty());
    // Its own names are no clash: saving them unchanged is fine.
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Char('r'));
    assert_eq!(form_error(&app), None);
}

// -- The event loop on a test backend --------------------------------------------------------

struct Scripted(VecDeque<Event>);

impl EventSource for Scripted {
    fn next_event(&mut self, _timeout: Duration) -> std::io::Result<Option<Event>> {
        // Typed at a person's pace, so frames are due between keys.
        std::thread::sleep(Duration::from_millis(40));
        Ok(self.0.pop_front())
    }
}

#[test]
fn the_event_loop_draws_reports_forwards_commands_and_quits() {
    let (report_tx, report_rx) = std::sync::mpsc::channel();
    let (command_tx, command_rx) = std::sync::mpsc::channel();
    let pairs = twelve_pairs();
    report_tx
        .send(Report::Snapshot {
            at: t0(),
            status: status(&pairs[..2]),
            pairs: pairs[..2].to_vec(),
        })
        .unwrap();
    let key = |c| Event::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
    let mut events = Scripted(VecDeque::from([
        Event::Resize(80, 24),
        key('j'),
        key('m'),
        key('q'),
    ]));
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(80, 24)).unwrap();
    let mut app = App::new(t0());
    run_app(
        &mut terminal,
        &mut app,
        Theme::plain(),
        &mut events,
        &report_rx,
        &command_tx,
        Timing::new(Duration::from_millis(250)),
    )
    .unwrap();
    assert!(app.should_quit);
    let sent: Vec<Command> = command_rx.try_iter().collect();
    assert!(sent.contains(&Command::SetMuted {
        association_id: pairs[1].association_id,
        muted: true
    }));
    assert!(sent.contains(&Command::Watch(Some(pairs[1].association_id))));
    let screen = terminal.backend().to_string();
    assert!(screen.contains("Live Rig (A)"), "{screen}");
}

// -- What the first hour found (issue 13) -----------------------------------------------------

#[test]
fn whole_pair_actions_name_the_whole_pair() {
    let mut app = with_pairs(1);
    app.take_commands();
    press(&mut app, KeyCode::Char('m'));
    let commands = app.take_commands();
    let mut after = app.selected_pair().unwrap().info.clone();
    after.muted = true;
    let root = after.endpoint_a.name.trim_end_matches(" (A)").to_string();
    done(&mut app, commands[0].clone(), Ok(Some(after.clone())));
    let text = &app.notice.as_ref().unwrap().text;
    assert_eq!(text, &format!("✓ muted {root}"));
    // A pair named side by side is named by both names.
    after.endpoint_a.name = "Synth Out".into();
    after.endpoint_b.name = "Synth In".into();
    done(
        &mut app,
        Command::Remove {
            association_id: after.association_id,
        },
        Ok(Some(after)),
    );
    assert_eq!(
        app.notice.as_ref().unwrap().text,
        "✓ removed Synth Out / Synth In"
    );
}

#[test]
fn the_rename_form_offers_the_root_name_and_no_toggle() {
    let mut app = with_pairs(1);
    press(&mut app, KeyCode::Char('r'));
    let form = app.form().expect("the rename form");
    assert_eq!(form.fields()[0], Field::Root);
    assert!(!form.input(Field::Root).value().is_empty());
    let hints: Vec<&str> = keys::hints(&app).iter().map(|(_, t)| *t).collect();
    assert!(
        !hints.contains(&"toggle"),
        "nothing to toggle here: {hints:?}"
    );
    press_with(&mut app, KeyCode::Char('u'), KeyModifiers::CONTROL);
    type_text(&mut app, "Renamed");
    press(&mut app, KeyCode::Enter);
    let commands = app.take_commands();
    let Some(Command::Update { update, .. }) = commands.last() else {
        panic!("the rename is sent: {commands:?}");
    };
    assert_eq!(update.names, Some(NameSpec::Root("Renamed".into())));
}

#[test]
fn letters_on_the_persistent_box_tick_it_or_say_what_works() {
    let mut app = with_pairs(1);
    press(&mut app, KeyCode::Char('n'));
    while app.form().unwrap().focused() != Field::Persistent {
        press(&mut app, KeyCode::Tab);
    }
    let hints: Vec<&str> = keys::hints(&app).iter().map(|(_, t)| *t).collect();
    assert!(hints.contains(&"toggle"), "{hints:?}");
    press(&mut app, KeyCode::Char('y'));
    assert!(app.form().unwrap().persistent);
    press(&mut app, KeyCode::Char('x'));
    assert_eq!(app.form().unwrap().note, Some(strings::CHECKBOX_KEYS));
    assert!(app.form().unwrap().persistent, "x changed nothing");
    press(&mut app, KeyCode::Char('n'));
    assert!(!app.form().unwrap().persistent);
    assert_eq!(app.form().unwrap().note, None);
}

#[test]
fn slash_filters_the_pairs_by_name_and_esc_drops_the_filter() {
    let mut app = with_pairs(12);
    press(&mut app, KeyCode::Char('/'));
    assert_eq!(app.mode, Mode::Filter);
    type_text(&mut app, "SYNC");
    let names: Vec<&str> = app
        .pairs
        .iter()
        .map(|p| p.info.endpoint_a.name.as_str())
        .collect();
    assert_eq!(names, ["DAW Sync (A)", "Video Sync (A)"]);
    assert_eq!(app.hidden.len(), 10);
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.mode, Mode::Normal);
    // The filter holds across snapshots, and keys act on the listed pairs.
    snapshot(&mut app, &twelve_pairs(), 6.0);
    assert_eq!(app.pairs.len(), 2);
    press(&mut app, KeyCode::Down);
    assert_eq!(
        app.selected_pair().unwrap().info.endpoint_a.name,
        "Video Sync (A)"
    );
    // A name in use by a hidden pair is still refused by the create form.
    press(&mut app, KeyCode::Char('n'));
    type_text(&mut app, "Studio");
    assert!(app.check_form().unwrap().is_err());
    press(&mut app, KeyCode::Esc);
    // Esc drops the filter (and only then quits), keeping the selection.
    press(&mut app, KeyCode::Esc);
    assert!(!app.should_quit);
    assert_eq!(app.pairs.len(), 12);
    assert_eq!(
        app.selected_pair().unwrap().info.endpoint_a.name,
        "Video Sync (A)"
    );
    press(&mut app, KeyCode::Esc);
    assert!(app.should_quit);
}
