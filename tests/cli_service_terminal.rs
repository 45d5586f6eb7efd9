//! `midi service stop` and `restart` on a real terminal (tmux): when transient pairs that are
//! about to end have clients attached, they ask first; `n` keeps the engine, `y` stops it,
//! `--yes` does not ask.

mod dashboard_fixtures;

use dashboard_fixtures::terminal::Session;
use midi_loopback::client::{Client, EndpointConnection};
use midi_loopback::core::{NameSpec, PairSpec};

/// An engine in the session's home with a transient pair `Busy` whose A side has a client
/// (the returned connection) and a persistent pair `Kept`.
fn busy_engine(session: &Session) -> (Client, EndpointConnection) {
    let mut options = session.options();
    options.autostart = true;
    options.engine_program = Some(env!("CARGO_BIN_EXE_midi").into());
    let mut client = Client::connect(&options).expect("engine");
    client
        .create(&PairSpec {
            names: Some(NameSpec::Root("Busy".into())),
            ..Default::default()
        })
        .unwrap();
    client
        .create(&PairSpec {
            names: Some(NameSpec::Root("Kept".into())),
            persistent: true,
            ..Default::default()
        })
        .unwrap();
    let attached = Client::connect(&options)
        .unwrap()
        .open_endpoint("Busy (A)")
        .unwrap();
    (client, attached)
}

fn engine_answers(session: &Session) -> bool {
    matches!(Client::connect_running(&session.options()), Ok(Some(_)))
}

#[test]
fn stop_asks_before_ending_a_transient_pair_with_clients_and_n_keeps_the_engine() {
    let session = Session::new();
    let (_client, _attached) = busy_engine(&session);
    session.open(&["service", "stop"], 100, 20);
    let screen = session.wait_for("the question", |s| s.contains("Stop the engine anyway?"));
    assert!(screen.contains("Busy (A) / Busy (B): 1 client"), "{screen}");
    assert!(screen.contains("1 transient pair ends"), "{screen}");
    session.type_text("n");
    assert_eq!(session.wait_for_exit(), "1");
    let screen = session.screen();
    assert!(screen.contains("Nothing stopped"), "{screen}");
    assert!(engine_answers(&session), "the engine still runs");
}

#[test]
fn restart_asks_too_and_y_goes_ahead() {
    let session = Session::new();
    let (_client, _attached) = busy_engine(&session);
    session.open(&["service", "restart"], 100, 20);
    session.wait_for("the question", |s| s.contains("Restart the engine anyway?"));
    session.type_text("y");
    assert_eq!(session.wait_for_exit(), "0");
    let screen = session.screen();
    assert!(
        screen.contains("1 transient pair ended; 1 persistent pair came back"),
        "{screen}"
    );
}

#[test]
fn yes_stops_without_asking() {
    let session = Session::new();
    let (_client, _attached) = busy_engine(&session);
    session.open(&["service", "stop", "--yes"], 100, 20);
    assert_eq!(session.wait_for_exit(), "0");
    let screen = session.screen();
    assert!(!screen.contains("anyway?"), "{screen}");
    assert!(screen.contains("1 transient pair ended"), "{screen}");
    assert!(!engine_answers(&session));
}
