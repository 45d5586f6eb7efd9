//! Shared by the dashboard's tests: pairs and engine states with fixed ids, names, times and
//! counters (nothing volatile reaches a snapshot), a renderer that draws the real view on a
//! `TestBackend`, and in [`terminal`] the dashboard on a real terminal (tmux).

#![allow(dead_code)] // each test file uses a different part of this module

pub mod terminal;

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use midi_loopback::core::ids::{AssociationId, EndpointId, Side};
use midi_loopback::core::model::{DirectionStats, EndpointInfo, PairInfo};
use midi_loopback::core::protocol::{EngineStatus, PairCounts, TrafficTotals};
use midi_loopback::core::rules;
use midi_loopback::dashboard::action::{Action, Report};
use midi_loopback::dashboard::app::App;
use midi_loopback::dashboard::runner::dispatch;
use midi_loopback::dashboard::theme::Theme;
use midi_loopback::dashboard::{keys, view};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// A fixed association id per pair number, so snapshots never see a random one.
pub fn association_id(n: u32) -> AssociationId {
    // Real ids differ in their first digits too, which the table's short id shows.
    let head = n.wrapping_mul(0x9E37_79B1) ^ 0x7af3_8a08;
    let text = format!("{head:08x}-0f4b-43ad-b218-1757496f{n:04x}");
    rules::parse_association_id(&text).expect("fixture ids are GUIDs")
}

fn endpoint(
    pair: &AssociationId,
    unique: &str,
    side: Side,
    name: &str,
    clients: u32,
) -> EndpointInfo {
    EndpointInfo {
        id: EndpointId::for_side(&rules::clean_unique_identifier(unique).unwrap(), side),
        name: name.to_string(),
        description: String::new(),
        side,
        association_id: *pair,
        clients,
        alsa: None,
        network_presence: None,
    }
}

/// Pair number `n`, named `ROOT (A)` / `ROOT (B)`, with no traffic yet.
pub fn pair(n: u32, root: &str) -> PairInfo {
    let id = association_id(n);
    let unique = id.simple_hex();
    PairInfo {
        association_id: id,
        unique_identifier: rules::clean_unique_identifier(&unique).unwrap(),
        persistent: false,
        muted: false,
        feedback_loop: false,
        endpoint_a: endpoint(&id, &unique, Side::A, &format!("{root} (A)"), 0),
        endpoint_b: endpoint(&id, &unique, Side::B, &format!("{root} (B)"), 0),
        a_to_b: DirectionStats::default(),
        b_to_a: DirectionStats::default(),
    }
}

/// Twelve pairs with a few flags and clients set.
pub fn twelve_pairs() -> Vec<PairInfo> {
    let names = [
        "Studio",
        "Live Rig",
        "DAW Sync",
        "Drum Machine",
        "Synth Bus",
        "Lighting",
        "Click Track",
        "Video Sync",
        "Test Rig",
        "Sequencer",
        "Looper",
        "Spare",
    ];
    names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let mut p = pair(i as u32 + 1, name);
            p.persistent = i % 3 == 0;
            p.muted = i == 4;
            p.endpoint_a.clients = (i % 2) as u32;
            p.endpoint_b.clients = (i % 3) as u32;
            p
        })
        .collect()
}

pub fn status(pairs: &[PairInfo]) -> EngineStatus {
    let persistent = pairs.iter().filter(|p| p.persistent).count() as u64;
    EngineStatus {
        running: true,
        pid: 4242,
        version: "0.1.0".into(),
        protocol: 1,
        uptime_s: 3725,
        socket: PathBuf::from("/tmp/midi-test/engine.sock"),
        config: PathBuf::from("/tmp/midi-test/midi.midiconfig.json"),
        log: PathBuf::from("/tmp/midi-test/engine.log"),
        pairs: PairCounts {
            total: pairs.len() as u64,
            persistent,
            transient: pairs.len() as u64 - persistent,
        },
        clients: 2,
        traffic: TrafficTotals::default(),
        warnings: Vec::new(),
        alsa: None,
    }
}

/// The instant every test's clock starts at.
pub fn t0() -> Instant {
    // One fixed point per process; only differences from it matter.
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    *START.get_or_init(Instant::now)
}

/// An app on a `width` × `height` screen.
pub fn app(width: u16, height: u16) -> App {
    let mut app = App::new(t0());
    dispatch(&mut app, Action::Resize(width, height));
    app
}

/// Feeds one snapshot of `pairs`, read `seconds` after [`t0`].
pub fn snapshot(app: &mut App, pairs: &[PairInfo], seconds: f64) {
    let report = Report::Snapshot {
        at: t0() + Duration::from_secs_f64(seconds),
        status: status(pairs),
        pairs: pairs.to_vec(),
    };
    dispatch(app, Action::Report(Box::new(report)));
}

/// An app that has watched `pairs` for `seconds` seconds of polls (one per second), with
/// `traffic(pair index, second)` giving (A→B, B→A) messages sent in that second.
pub fn watched(
    width: u16,
    height: u16,
    mut pairs: Vec<PairInfo>,
    seconds: u32,
    traffic: impl Fn(usize, u32) -> (u64, u64),
) -> App {
    let mut app = app(width, height);
    snapshot(&mut app, &pairs, 0.0);
    for s in 1..=seconds {
        for (i, p) in pairs.iter_mut().enumerate() {
            let (ab, ba) = traffic(i, s);
            p.a_to_b.messages += ab;
            p.a_to_b.words += ab;
            p.b_to_a.messages += ba;
            p.b_to_a.words += ba;
        }
        snapshot(&mut app, &pairs, s as f64);
    }
    // Drop the commands the snapshots caused (the monitor's watch request).
    app.take_commands();
    app
}

/// Presses a key, as the terminal would report it.
pub fn press(app: &mut App, code: KeyCode) {
    press_with(app, code, KeyModifiers::NONE);
}

pub fn press_with(app: &mut App, code: KeyCode, modifiers: KeyModifiers) {
    let event = Event::Key(KeyEvent::new(code, modifiers));
    if let Some(action) = keys::action_for(app, &event) {
        dispatch(app, action);
    }
}

/// Types text into whatever has the focus.
pub fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        press(app, KeyCode::Char(c));
    }
}

/// The screen as text, drawn without colour (what `NO_COLOR` shows).
pub fn render(app: &App) -> String {
    let mut terminal = Terminal::new(TestBackend::new(app.screen.width, app.screen.height))
        .expect("test terminal");
    terminal
        .draw(|f| view::draw(f, app, Theme::plain()))
        .expect("draw");
    terminal.backend().to_string()
}
