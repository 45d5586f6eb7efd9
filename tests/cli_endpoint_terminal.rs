//! `midi endpoint monitor` on a real terminal (tmux): with no ENDPOINT it offers a picker,
//! then shows messages as they arrive, and Esc stops it with a summary and exit 0.

mod dashboard_fixtures;

use dashboard_fixtures::terminal::Session;
use midi_loopback::client::Client;
use midi_loopback::core::{NameSpec, PairSpec};

#[test]
fn monitor_without_an_endpoint_offers_a_picker_then_watches_the_choice() {
    let session = Session::new();
    let mut options = session.options();
    options.autostart = true;
    options.engine_program = Some(env!("CARGO_BIN_EXE_midi").into());
    let mut client = Client::connect(&options).expect("engine");
    for root in ["First", "Second"] {
        client
            .create(&PairSpec {
                names: Some(NameSpec::Root(root.into())),
                ..Default::default()
            })
            .unwrap();
    }
    session.open(&["endpoint", "monitor"], 120, 30);
    session.wait_for("the picker", |s| {
        s.contains("Please select an endpoint") && s.contains("Second (B)")
    });
    // First (A), First (B), Second (A), Second (B): three down, then Enter.
    session.keys(&["Down", "Down", "Down", "Enter"]);
    session.wait_for("the monitor to start", |s| {
        s.contains("Monitoring Second (B)")
    });
    let mut a = Client::connect(&options)
        .unwrap()
        .open_endpoint("Second (A)")
        .unwrap();
    a.send(&[0x2090_3C64]).unwrap();
    session.wait_for("the message", |s| {
        s.contains("20903C64") && s.contains("MIDI 1.0 Note On")
    });
    session.keys(&["Escape"]);
    let screen = session.wait_for("the summary", |s| s.contains("One message received"));
    assert!(screen.contains("One message received"), "{screen}");
    assert_eq!(session.wait_for_exit(), "0");
}
