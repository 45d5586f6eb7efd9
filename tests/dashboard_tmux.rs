//! `midi dashboard` on a real terminal (tmux): it starts, a pair is created through the form,
//! traffic sent by another client shows up as a non-zero rate, and `q` quits with exit code 0.
//!
//! Nothing here depends on timing to pass: every wait polls the screen until what it expects
//! appears, with a generous deadline. The tmux server runs on a socket of its own, and the
//! guard kills it and stops the engine whatever happens (pass, fail or panic).

mod dashboard_fixtures;

use dashboard_fixtures::terminal::Session;
use midi_loopback::client::{Client, ClientOptions};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

/// Another client sending note on / note off from an endpoint until dropped.
struct Traffic {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Traffic {
    fn start(options: ClientOptions, endpoint: &str) -> Traffic {
        let mut conn = Client::connect(&options)
            .expect("connect to the dashboard's engine")
            .open_endpoint(endpoint)
            .expect("open the endpoint the form created");
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                conn.send(&[0x2090_3C64]).expect("send note on");
                conn.send(&[0x2080_3C00]).expect("send note off");
                std::thread::sleep(Duration::from_millis(2));
            }
            conn.close();
        });
        Traffic {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Traffic {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The A→B rate the detail panel shows (`A→B   250 msg/s`), if it is on screen.
fn a_to_b_rate(screen: &str) -> Option<String> {
    screen.lines().find_map(|line| {
        let after = line.split_once("A→B")?.1;
        let rate = after.split_once("msg/s")?.0.trim();
        (!rate.is_empty()).then(|| rate.to_string())
    })
}

#[test]
fn create_a_pair_see_its_traffic_and_quit() {
    let session = Session::new();
    session.open_dashboard(100, 30);
    // The dashboard starts the engine itself (autostart), in this home only.
    session.wait_for("the dashboard with an engine and no pairs", |s| {
        s.contains("engine running") && s.contains("No loopback pairs yet")
    });

    // Create a pair through the form.
    session.keys(&["n"]);
    session.wait_for("the create form", |s| s.contains("New loopback pair"));
    session.type_text("Tmux Rig");
    session.wait_for("the form to accept the name", |s| s.contains("ready"));
    session.keys(&["Enter"]);
    session.wait_for("the new pair in the table", |s| {
        s.contains("created Tmux Rig (A)") && s.contains("▶ Tmux Rig (A)")
    });
    assert_eq!(a_to_b_rate(&session.screen()).as_deref(), Some("0"));

    // Another client sends from A; the meter moves and the monitor decodes.
    let traffic = Traffic::start(session.options(), "Tmux Rig (A)");
    let screen = session.wait_for("a non-zero A→B rate", |s| {
        a_to_b_rate(s).is_some_and(|r| r != "0")
    });
    assert!(
        screen.contains("MIDI 1.0 Note On"),
        "the monitor decodes what crosses the pair:\n{screen}"
    );
    drop(traffic);

    session.keys(&["q"]);
    assert_eq!(
        session.wait_for_exit(),
        "0",
        "midi dashboard exits with 0 on q"
    );
}

#[test]
fn off_a_terminal_it_refuses_and_starts_nothing() {
    let session = Session::new();
    let out = session
        .midi()
        .arg("dashboard")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run midi");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("needs a terminal"), "{stderr}");
    assert!(stderr.contains("midi loopback list --json"), "{stderr}");
    assert!(
        !session.home().join("engine.sock").exists(),
        "no engine was started"
    );
}

#[test]
fn it_rides_out_an_engine_restart_and_shows_the_pairs_again() {
    let session = Session::new();
    let created = session
        .midi()
        .args(["loopback", "create", "--root-name", "Kept", "--persistent"])
        .output()
        .unwrap();
    assert!(created.status.success(), "{created:?}");
    session.open_dashboard(100, 30);
    session.wait_for("the stored pair", |s| {
        s.contains("engine running") && s.contains("Kept (A)")
    });
    let stopped = session.midi().args(["service", "stop"]).output().unwrap();
    assert!(stopped.status.success(), "{stopped:?}");
    session.wait_for("the dashboard to notice the engine is gone", |s| {
        s.contains("reconnecting") || s.contains("engine unreachable")
    });
    let started = session.midi().args(["service", "start"]).output().unwrap();
    assert!(started.status.success(), "{started:?}");
    session.wait_for("the pair back from the new engine", |s| {
        s.contains("engine running") && s.contains("Kept (A)")
    });
    session.keys(&["q"]);
    assert_eq!(session.wait_for_exit(), "0");
}
