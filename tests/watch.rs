//! Watching: `midi watch-endpoints` shows changes made by other processes live and ends with
//! exit code 3 when the engine stops; the library's subscription reports existing pairs
//! first; one thread serves several endpoints with `poll` (the `poll_echo` example).

mod common;

use common::TestHome;
use midi_loopback::client::Received;
use midi_loopback::core::protocol::Event;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);

/// A running `midi watch-endpoints --json`, its lines arriving on a channel.
struct Watcher {
    child: Child,
    lines: mpsc::Receiver<serde_json::Value>,
}

impl Watcher {
    fn start(home: &TestHome) -> Watcher {
        let mut child = Command::new(env!("CARGO_BIN_EXE_midi"))
            .args(["watch-endpoints", "--json"])
            .env("MIDI_HOME", home.path())
            .env("MIDI_NO_ALSA", "1")
            .env_remove("MIDI_NO_AUTOSTART")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start midi watch-endpoints");
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let v: serde_json::Value =
                    serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
                if tx.send(v).is_err() {
                    break;
                }
            }
        });
        Watcher { child, lines }
    }

    /// The next event, or a failure naming what was awaited.
    fn next(&self, awaiting: &str) -> serde_json::Value {
        self.lines
            .recv_timeout(WAIT)
            .unwrap_or_else(|_| panic!("no event while waiting for {awaiting}"))
    }

    /// Skips events until one named `name`.
    fn until(&self, name: &str) -> serde_json::Value {
        loop {
            let v = self.next(name);
            if v["event"] == name {
                return v;
            }
        }
    }

    fn exit_code(&mut self) -> i32 {
        for _ in 0..200 {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code().unwrap_or(-1);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("watch-endpoints did not exit");
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn watch_endpoints_json_shows_changes_from_another_process_and_exits_3_when_the_engine_stops() {
    let home = TestHome::new();
    let before = home.create("Before", &[]);
    let mut w = Watcher::start(&home);
    let existing = w.next("the existing pair");
    assert_eq!(existing["event"], "pair_existing");
    assert_eq!(existing["pair"]["association_id"], before["association_id"]);
    assert_eq!(w.next("synced")["event"], "synced");

    let pair = home.create("Watched", &[]);
    let id = pair["association_id"].as_str().unwrap();
    let created = w.until("pair_created");
    assert_eq!(created["pair"]["endpoint_a"]["name"], "Watched (A)");

    home.exec(&["loopback", "update", "-i", id, "--root-name", "Renamed"])
        .success();
    let updated = w.until("pair_updated");
    assert_eq!(updated["changed"], serde_json::json!(["names"]));
    assert_eq!(updated["pair"]["endpoint_b"]["name"], "Renamed (B)");

    home.exec(&["loopback", "mute", "-i", id]).success();
    assert_eq!(
        w.until("pair_updated")["changed"],
        serde_json::json!(["muted"])
    );

    home.exec(&["loopback", "remove", "-i", id]).success();
    let removed = w.until("pair_removed");
    assert_eq!(removed["pair"]["association_id"], id);

    home.exec(&["service", "stop"]).success();
    w.until("engine_stopping");
    assert_eq!(w.exit_code(), 3);
}

#[test]
fn the_subscription_reports_clients_attaching_and_detaching() {
    let home = TestHome::new();
    home.create("Clients", &[]);
    let mut watch = home.client().watch().unwrap();
    let first = watch.next_event(Some(WAIT)).unwrap().unwrap();
    assert!(matches!(first, Event::PairExisting { .. }), "{first:?}");
    assert_eq!(watch.next_event(Some(WAIT)).unwrap(), Some(Event::Synced));
    let b = home.client().open_endpoint("Clients (B)").unwrap();
    match watch.next_event(Some(WAIT)).unwrap().unwrap() {
        Event::ClientAttached { endpoint } => {
            assert_eq!(
                (endpoint.name.as_str(), endpoint.clients),
                ("Clients (B)", 1)
            );
        }
        other => panic!("expected client_attached, got {other:?}"),
    }
    b.close();
    match watch.next_event(Some(WAIT)).unwrap().unwrap() {
        Event::ClientDetached { endpoint } => assert_eq!(endpoint.clients, 0),
        other => panic!("expected client_detached, got {other:?}"),
    }
}

/// The example binaries sit beside the test binaries' folder (`target/<profile>/examples`).
fn example(name: &str) -> std::path::PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("examples")
        .join(name)
}

#[test]
fn the_poll_example_serves_two_endpoints_from_one_thread() {
    let home = TestHome::new();
    home.create("One", &[]);
    home.create("Two", &[]);
    let mut child = Command::new(example("poll_echo"))
        .args(["One (B)", "Two (B)"])
        .env("MIDI_HOME", home.path())
        .env("MIDI_NO_ALSA", "1")
        .stderr(Stdio::piped())
        .spawn()
        .expect("`cargo test` builds the examples; after `cargo test --test watch` alone, run `cargo build --examples` first");
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    while !line.starts_with("ready:") {
        line.clear();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "example ended early"
        );
    }
    let pid = child.id();
    let threads = std::fs::read_dir(format!("/proc/{pid}/task"))
        .unwrap()
        .count();
    assert_eq!(threads, 1, "the example serves everything from one thread");

    let mut one = home.client().open_endpoint("One (A)").unwrap();
    let mut two = home.client().open_endpoint("Two (A)").unwrap();
    for round in 0..50u32 {
        one.send(&[0x2090_3C00 | round]).unwrap();
        two.send(&[0x2080_4000 | round]).unwrap();
    }
    for (conn, base) in [(&mut one, 0x2090_3C00u32), (&mut two, 0x2080_4000)] {
        let mut got = Vec::new();
        while got.len() < 50 {
            match conn.receive(Some(WAIT)).unwrap() {
                Some(Received::Messages(m)) => got.extend(m.iter().map(|m| m.words()[0])),
                other => panic!("expected the echo, got {other:?}"),
            }
        }
        let want: Vec<u32> = (0..50).map(|r| base | r).collect();
        assert_eq!(
            got, want,
            "each endpoint hears its own messages back, in order"
        );
    }
    let _ = child.kill();
    let _ = child.wait();
}
