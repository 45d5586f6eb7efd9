//! The dashboard's screens as text, at 80×24 and 120×40 (insta snapshots). Everything on
//! screen comes from fixtures (fixed ids, names, uptime and counters), so nothing volatile
//! needs filtering. The snapshots are drawn without colour, which is also what `NO_COLOR`
//! shows: every meaning must be readable in the symbols alone.

mod dashboard_fixtures;

use crossterm::event::KeyCode;
use dashboard_fixtures::*;
use midi_loopback::core::ids::Direction;
use midi_loopback::core::model::PairInfo;
use midi_loopback::core::network::{ClientPresence, ClientState, HostPresence, NetworkPresence};
use midi_loopback::core::protocol::TimedMessage;
use midi_loopback::dashboard::action::{Action, Report};
use midi_loopback::dashboard::app::App;
use midi_loopback::dashboard::runner::dispatch;

/// Snapshots the screen `build` makes, at both sizes the issue asks for.
fn at_both_sizes(name: &str, build: impl Fn(u16, u16) -> App) {
    for (w, h) in [(80, 24), (120, 40)] {
        let app = build(w, h);
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), render(&app));
    }
}

/// A steady 200 msg/s A→B with a burst every ten seconds, and a trickle B→A.
fn busy(_: usize, s: u32) -> (u64, u64) {
    (
        if s.is_multiple_of(10) { 1200 } else { 200 },
        u64::from(s % 2),
    )
}

#[test]
fn no_pairs() {
    at_both_sizes("no_pairs", |w, h| watched(w, h, vec![], 3, |_, _| (0, 0)));
}

#[test]
fn one_pair_with_traffic_both_ways() {
    at_both_sizes("one_pair", |w, h| {
        let mut p = pair(1, "Studio");
        p.persistent = true;
        p.endpoint_a.clients = 1;
        p.endpoint_b.clients = 2;
        watched(w, h, vec![p], 90, busy)
    });
}

#[test]
fn traffic_in_one_direction_only() {
    // A→B carries 500 msg/s, B→A nothing: the two lines must differ in their text.
    at_both_sizes("one_direction", |w, h| {
        watched(w, h, vec![pair(1, "Studio")], 70, |_, _| (500, 0))
    });
}

#[test]
fn twelve_pairs_scrolled_to_the_end() {
    at_both_sizes("twelve_pairs", |w, h| {
        let mut app = watched(w, h, twelve_pairs(), 65, |i, s| match i {
            0 => (50, 50),
            7 => (u64::from(s) * 10, 0),
            11 => (0, 300),
            _ => (0, 0),
        });
        press(&mut app, KeyCode::End);
        app
    });
}

#[test]
fn the_monitor_shows_decoded_messages() {
    at_both_sizes("monitor", |w, h| {
        let pairs = vec![pair(1, "Studio")];
        let mut app = watched(w, h, pairs.clone(), 5, |_, _| (2, 1));
        let id = pairs[0].association_id;
        let msg = |words: &[u32]| TimedMessage::new(0, words).unwrap();
        let messages = vec![
            (Direction::AToB, msg(&[0x2090_3C64])),
            (Direction::AToB, msg(&[0x2080_3C00])),
            (Direction::BToA, msg(&[0x20B0_0740])),
            (Direction::AToB, msg(&[0x4090_3C00, 0xC000_0000])),
            (Direction::BToA, msg(&[0x10F8_0000])),
        ];
        let report = Report::Tapped {
            association_id: id,
            messages,
            skipped: 0,
        };
        dispatch(&mut app, Action::Report(Box::new(report)));
        app
    });
}

#[test]
fn create_form_empty() {
    at_both_sizes("create_form", |w, h| {
        let mut app = watched(w, h, vec![pair(1, "Studio")], 2, |_, _| (0, 0));
        press(&mut app, KeyCode::Char('n'));
        app
    });
}

#[test]
fn create_form_refusing_a_name_in_use() {
    at_both_sizes("create_form_refused", |w, h| {
        let mut app = watched(w, h, vec![pair(1, "Studio")], 2, |_, _| (0, 0));
        press(&mut app, KeyCode::Char('n'));
        type_text(&mut app, "studio");
        app
    });
}

#[test]
fn rename_form() {
    at_both_sizes("rename_form", |w, h| {
        let mut app = watched(w, h, vec![pair(1, "Studio")], 2, |_, _| (0, 0));
        press(&mut app, KeyCode::Char('r'));
        app
    });
}

#[test]
fn remove_confirmation() {
    at_both_sizes("confirm_remove", |w, h| {
        let mut p = pair(1, "Studio");
        p.persistent = true;
        let mut app = watched(w, h, vec![p], 2, |_, _| (0, 0));
        press(&mut app, KeyCode::Char('d'));
        app
    });
}

#[test]
fn help_overlay() {
    at_both_sizes("help", |w, h| {
        let mut app = watched(w, h, vec![pair(1, "Studio")], 2, |_, _| (0, 0));
        press(&mut app, KeyCode::Char('?'));
        app
    });
}

#[test]
fn engine_unreachable() {
    at_both_sizes("unreachable", |w, h| {
        let mut app = app(w, h);
        let reason = "no engine is running at /tmp/midi-test/engine.sock".to_string();
        dispatch(
            &mut app,
            Action::Report(Box::new(Report::Unreachable { reason })),
        );
        app
    });
}

#[test]
fn engine_restarting() {
    at_both_sizes("reconnecting", |w, h| {
        let mut app = watched(w, h, vec![pair(1, "Studio")], 2, |_, _| (1, 1));
        let reason = "the engine stopped".to_string();
        dispatch(
            &mut app,
            Action::Report(Box::new(Report::Unreachable { reason })),
        );
        app
    });
}

#[test]
fn long_names_keep_their_side_at_80_columns() {
    at_both_sizes("long_names", |w, h| {
        let pairs = vec![
            pair(1, "Studio Live Rig Main Stage Left"),
            pair(2, "Studio Live Rig Main Stage Right"),
        ];
        watched(w, h, pairs, 5, |_, _| (0, 0))
    });
    let app = watched(
        80,
        24,
        vec![pair(1, "Studio Live Rig Main Stage Left")],
        5,
        |_, _| (0, 0),
    );
    let screen = render(&app);
    for side in ["(A)", "(B)"] {
        assert!(
            screen.lines().skip(2).take(3).any(|l| l.contains(side)),
            "{side} lost:\n{screen}"
        );
    }
}

#[test]
fn a_filter_lists_only_the_pairs_whose_names_contain_it() {
    at_both_sizes("filtered", |w, h| {
        let mut app = watched(w, h, twelve_pairs(), 5, |_, _| (0, 0));
        press(&mut app, KeyCode::Char('/'));
        type_text(&mut app, "sync");
        app
    });
}

#[test]
fn the_help_explains_the_columns() {
    let app = {
        let mut app = watched(120, 40, vec![pair(1, "Studio")], 5, |_, _| (0, 0));
        press(&mut app, KeyCode::Char('?'));
        app
    };
    let screen = render(&app);
    // Each column's name, then what it means, on one line of the help.
    let explained = |screen: &str, column: &str, meaning: &str| {
        screen.lines().any(|l| {
            l.split_once(&format!("  {column} "))
                .is_some_and(|(_, rest)| rest.trim_start().starts_with(meaning))
        })
    };
    for (column, meaning) in [
        ("P", "persistent"),
        ("M", "muted"),
        ("CL", "clients"),
        ("DIR", "the direction"),
    ] {
        assert!(
            explained(&screen, column, meaning),
            "no {column}:\n{screen}"
        );
    }
    // On 80×24 it scrolls to the same legend.
    let mut small = watched(80, 24, vec![pair(1, "Studio")], 5, |_, _| (0, 0));
    press(&mut small, KeyCode::Char('?'));
    assert!(!explained(&render(&small), "CL", "clients"));
    for _ in 0..30 {
        press(&mut small, KeyCode::Down);
    }
    let screen = render(&small);
    assert!(explained(&screen, "CL", "clients"), "{screen}");
    assert!(!screen.contains("↓ more"), "{screen}");
}

#[test]
fn a_pair_muted_for_a_feedback_loop_with_its_alsa_addresses() {
    use midi_loopback::core::model::AlsaPresence;
    at_both_sizes("feedback_loop_alsa", |w, h| {
        let mut p = pair(1, "Studio");
        p.muted = true;
        p.feedback_loop = true;
        for (endpoint, address) in [(&mut p.endpoint_a, "128:0"), (&mut p.endpoint_b, "129:0")] {
            endpoint.alsa = Some(Box::new(AlsaPresence {
                address: address.into(),
                name: endpoint.name.clone(),
                kind: "ump".into(),
            }));
            endpoint.clients = 1;
        }
        watched(w, h, vec![p], 30, |_, _| (0, 0))
    });
}

/// `Stage (A)` hosted with one remote client, `Link (B)` a client still joining its host,
/// `Spare` off the network.
fn on_the_network() -> Vec<PairInfo> {
    let address = |text: &str| text.parse().unwrap();
    let mut stage = pair(1, "Stage");
    stage.endpoint_a.clients = 1;
    stage.endpoint_a.network_presence = Some(Box::new(NetworkPresence {
        host: Some(HostPresence {
            listen: address("127.0.0.1:5673"),
            name: "Stage (A)".into(),
            remote_clients: 1,
        }),
        ..NetworkPresence::default()
    }));
    let mut link = pair(2, "Link");
    link.endpoint_b.clients = 1;
    link.endpoint_b.network_presence = Some(Box::new(NetworkPresence {
        clients: vec![ClientPresence {
            host: address("192.168.1.20:5673"),
            state: ClientState::Connecting,
            remote_name: None,
        }],
        ..NetworkPresence::default()
    }));
    vec![stage, link, pair(3, "Spare")]
}

/// Polls once a second for `seconds`: the remote client of `Stage (A)` sends 50 messages a
/// second (out on A, across to B) and receives 10 (what B sends).
fn network_traffic(width: u16, height: u16, seconds: u32) -> App {
    let mut pairs = on_the_network();
    let mut app = app(width, height);
    snapshot(&mut app, &pairs, 0.0);
    for s in 1..=seconds {
        let stage = &mut pairs[0];
        stage.a_to_b.messages += 50;
        stage.b_to_a.messages += 10;
        let n = stage.endpoint_a.network_presence.as_mut().unwrap();
        n.messages_received += 50;
        n.messages_sent += 10;
        snapshot(&mut app, &pairs, f64::from(s));
    }
    app.take_commands();
    app
}

#[test]
fn network_sessions_in_the_table_and_the_detail() {
    at_both_sizes("network_sessions", |w, h| network_traffic(w, h, 20));
    let app = network_traffic(80, 24, 20);
    let screen = render(&app);
    let line = |name: &str| {
        screen
            .lines()
            .find(|l| l.contains(name))
            .unwrap_or_else(|| panic!("no {name}:\n{screen}"))
            .to_string()
    };
    assert!(line("NET").contains("ENDPOINTS"), "{screen}");
    assert!(line("Stage (A)").contains("host"), "{screen}");
    assert!(line("Link (B)").contains("joining"), "{screen}");
    assert!(!line("Spare (A)").contains("host"), "{screen}");
    // The detail of the selected pair (Stage) names the session and counts its traffic
    // (both ways together for the rate), in the room there is.
    assert!(screen.contains("A hosted on 127.0.0.1:5673 "), "{screen}");
    assert!(
        screen.contains("sent 200 · received 1.00k · 60/s"),
        "{screen}"
    );
    let wide = render(&network_traffic(200, 50, 20));
    assert!(
        wide.contains("A hosted on 127.0.0.1:5673 (1 remote client)"),
        "{wide}"
    );
    assert!(
        wide.contains("to network 200 · from network 1.00k · 60 msg/s"),
        "{wide}"
    );
}

#[test]
fn without_network_sessions_the_table_has_no_network_column() {
    let app = watched(80, 24, vec![pair(1, "Studio")], 2, |_, _| (0, 0));
    assert!(!render(&app).contains("NET"));
}
