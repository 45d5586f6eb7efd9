//! `midi service start | stop | restart | status | ping` and `MIDI_NO_AUTOSTART` through the
//! binary.

mod common;

use common::{TestHome, live_engine_pids};
use serde_json::Value;

fn status_json(home: &TestHome) -> Value {
    let out = home.exec(&["service", "status", "--json"]);
    assert_eq!(out.code, 0, "status: {}", out.stderr);
    out.json()
}

fn engine_pid(home: &TestHome) -> u64 {
    status_json(home)["pid"].as_u64().expect("pid is a number")
}

#[test]
fn status_without_an_engine_exits_3() {
    let home = TestHome::new();
    let out = home.exec(&["service", "status"]);
    assert_eq!(out.code, 3, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("not running"), "{}", out.stdout);
    assert!(
        out.stdout.contains(&home.socket().display().to_string()),
        "names the socket it looked at: {}",
        out.stdout
    );
    // Asking does not start one.
    assert!(!home.socket().exists());
    assert!(live_engine_pids(home.path()).is_empty());
}

#[test]
fn status_json_without_an_engine_says_running_false() {
    let home = TestHome::new();
    let out = home.exec(&["service", "status", "--json"]);
    assert_eq!(out.code, 3, "{}", out.stderr);
    let st = out.json(); // nothing but JSON on stdout
    assert_eq!(st["running"], false);
    assert!(st["pid"].is_null());
    assert_eq!(st["socket"], home.socket().display().to_string());
    assert_eq!(st["config"], home.config_file().display().to_string());
    assert!(!home.socket().exists());
}

#[test]
fn status_json_describes_the_running_engine() {
    let home = TestHome::new();
    home.create("Kept", &["--persistent"]);
    home.create("Passing", &[]);
    home.create("Another", &[]);
    let st = status_json(&home);
    assert_eq!(st["running"], true);
    assert!(st["pid"].as_u64().unwrap() > 0);
    assert_eq!(st["version"], env!("CARGO_PKG_VERSION"));
    assert!(st["uptime_s"].is_u64(), "{st}");
    assert_eq!(st["socket"], home.socket().display().to_string());
    assert_eq!(st["config"], home.config_file().display().to_string());
    assert_eq!(st["pairs"]["total"], 3, "{st}");
    assert_eq!(st["pairs"]["persistent"], 1, "{st}");
    assert_eq!(st["pairs"]["transient"], 2, "{st}");
    assert!(st["clients"].is_u64(), "{st}");
}

#[test]
fn status_human_shows_the_figures() {
    let home = TestHome::new();
    home.create("Kept", &["--persistent"]);
    let pid = engine_pid(&home);
    let out = home.exec(&["service", "status"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let text = &out.stdout;
    assert!(text.contains("running"), "{text}");
    assert!(text.contains(&pid.to_string()), "{text}");
    assert!(text.contains(env!("CARGO_PKG_VERSION")), "{text}");
    assert!(
        text.contains(&home.socket().display().to_string()),
        "{text}"
    );
    assert!(
        text.contains(&home.config_file().display().to_string()),
        "{text}"
    );
    for label in ["Uptime", "Pairs", "Clients", "Traffic"] {
        assert!(text.contains(label), "{label} missing:\n{text}");
    }
    assert!(text.contains("1 persistent"), "{text}");
}

#[test]
fn no_autostart_with_no_engine_exits_3() {
    let home = TestHome::new();
    let guid = "7af38a08-0f4b-43ad-b218-1757496f0034";
    for args in [
        &["loopback", "list"][..],
        &["loopback", "list", "--json"],
        &["loopback", "create", "--root-name", "My Loopback"],
        &["loopback", "remove", "-i", guid],
        &["loopback", "mute", "-i", guid],
        &["service", "ping", "-c", "1"],
    ] {
        let out = home
            .midi()
            .env("MIDI_NO_AUTOSTART", "1")
            .args(args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?} printed on stdout");
        assert!(
            stderr.contains("MIDI_NO_AUTOSTART") && stderr.contains("midi service start"),
            "{args:?}: the message should say why and what to do: {stderr}"
        );
    }
    assert!(!home.socket().exists(), "no engine was started");
    assert!(live_engine_pids(home.path()).is_empty());
}

#[test]
fn no_autostart_still_uses_a_running_engine() {
    let home = TestHome::new();
    assert_eq!(home.exec(&["service", "start"]).code, 0);
    let out = home
        .midi()
        .env("MIDI_NO_AUTOSTART", "1")
        .args(["loopback", "create", "-r", "Fine", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn validation_errors_come_before_the_engine() {
    // A bad value is a usage error (2), not an unreachable engine (3), even with autostart off.
    let home = TestHome::new();
    let out = home
        .midi()
        .env("MIDI_NO_AUTOSTART", "1")
        .args(["loopback", "create", "--root-name", ""])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn start_is_idempotent() {
    let home = TestHome::new();
    let first = home.exec(&["service", "start"]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    let pid = engine_pid(&home);
    assert!(first.stdout.contains(&pid.to_string()), "{}", first.stdout);
    let second = home.exec(&["service", "start"]);
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert!(
        second.stdout.contains("already running"),
        "{}",
        second.stdout
    );
    assert_eq!(engine_pid(&home), pid, "the same engine");
    assert_eq!(live_engine_pids(home.path()), vec![pid as u32]);
}

#[test]
fn stop_when_nothing_runs_succeeds() {
    let home = TestHome::new();
    let out = home.exec(&["service", "stop"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("No engine"), "{}", out.stdout);
    assert!(!home.socket().exists(), "stop does not start an engine");
}

#[test]
fn stop_ends_the_engine_and_its_transient_pairs() {
    let home = TestHome::new();
    home.create("Passing", &[]);
    let pid = engine_pid(&home);
    let out = home.exec(&["service", "stop"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains(&pid.to_string()), "{}", out.stdout);
    assert_eq!(home.exec(&["service", "status"]).code, 3);
    assert!(!home.socket().exists(), "the socket is removed");
    assert!(
        common::wait_until(std::time::Duration::from_secs(10), || {
            !common::process_is_live(pid as u32)
        }),
        "the engine process ended"
    );
    // The next command starts a fresh engine, without the transient pair.
    assert!(home.list_json().is_empty());
    assert_ne!(engine_pid(&home), pid);
}

#[test]
fn restart_replaces_the_engine() {
    let home = TestHome::new();
    // With nothing running, restart starts one.
    let out = home.exec(&["service", "restart"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let first = engine_pid(&home);
    let out = home.exec(&["service", "restart"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let second = engine_pid(&home);
    assert_ne!(first, second);
    assert!(out.stdout.contains(&second.to_string()), "{}", out.stdout);
    assert_eq!(live_engine_pids(home.path()), vec![second as u32]);
}

#[test]
fn ping_prints_each_round_trip_and_a_summary() {
    let home = TestHome::new();
    let out = home.exec(&["service", "ping", "-c", "5"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(
        lines.len(),
        6,
        "5 round trips and a summary:\n{}",
        out.stdout
    );
    for line in &lines[..5] {
        assert!(line.starts_with("ping"), "{line}");
        assert!(line.contains("µs"), "{line}");
    }
    let summary = lines[5];
    for word in ["5", "min", "median", "p99", "max", "µs"] {
        assert!(summary.contains(word), "{word} missing in {summary}");
    }
    let out = home.exec(&["service", "ping", "--count", "3", "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.json().is_object());
}

#[test]
fn ping_count_must_be_positive() {
    let home = TestHome::new();
    let out = home.exec(&["service", "ping", "-c", "0"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(!home.socket().exists());
}

#[test]
fn home_flag_overrides_midi_home() {
    let flag_home = TestHome::new();
    let env_home = TestHome::new();
    let out = env_home
        .midi()
        .arg("--home")
        .arg(flag_home.path())
        .args(["loopback", "create", "-r", "Flagged", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(flag_home.list_json().len(), 1);
    assert!(env_home.list_json().is_empty());
}

#[test]
fn stop_and_restart_say_how_many_transient_pairs_ended_and_that_persistent_ones_are_kept() {
    let home = TestHome::new();
    home.create("Passing", &[]);
    home.create("Fleeting", &[]);
    home.create("Kept", &["--persistent"]);
    // Off a terminal nobody is asked, even with a client attached.
    let _client = home.client().open_endpoint("Passing (A)").unwrap();
    let out = home.exec(&["service", "stop"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains(
            "2 transient pairs ended; 1 persistent pair is kept and comes back at the next start."
        ),
        "{}",
        out.stdout
    );
    home.create("Another", &[]);
    let out = home.exec(&["service", "restart"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains(
            "1 transient pair ended; 1 persistent pair came back from the configuration file."
        ),
        "{}",
        out.stdout
    );
    let out = home.exec(&["service", "stop", "--yes"]);
    assert!(
        out.stdout
            .contains("No transient pair ended; 1 persistent pair is kept"),
        "{}",
        out.stdout
    );
}

#[test]
fn an_engine_without_pairs_stops_with_no_count_to_report() {
    let home = TestHome::new();
    home.exec(&["service", "start"]).success();
    let out = home.exec(&["service", "stop"]);
    assert!(out.stdout.contains("It had no pairs."), "{}", out.stdout);
}

#[test]
fn skipped_configuration_entries_are_named_by_list_and_status() {
    let home = TestHome::new();
    let side = |name: &str, unique: &str| serde_json::json!({ "name": name, "description": "", "uniqueIdentifier": unique });
    let doc = serde_json::json!({
        "endpointTransportPluginSettings": {
            midi_loopback::core::config::LOOP_TRANSPORT_KEY: { "create": {
                "{7AF38A08-0F4B-43AD-B218-1757496F0034}": {
                    "endpointA": side("Good (A)", "good1"), "endpointB": side("Good (B)", "good1")
                },
                "{11111111-0F4B-43AD-B218-1757496F0034}": {
                    "endpointA": side("", "empty1"), "endpointB": side("Empty (B)", "empty1")
                },
                "{22222222-0F4B-43AD-B218-1757496F0034}": {
                    "endpointA": side("good (a)", "dup1"), "endpointB": side("Dup (B)", "dup1")
                }
            }}
        }
    });
    std::fs::write(home.config_file(), doc.to_string()).unwrap();
    for args in [&["loopback", "list"][..], &["loopback", "list", "--json"]] {
        let out = home.exec(args);
        assert_eq!(out.code, 0, "{}", out.stderr);
        for entry in ["{11111111-", "{22222222-"] {
            let line = out
                .stderr
                .lines()
                .find(|l| l.contains(entry))
                .unwrap_or_else(|| panic!("{args:?}: no warning for {entry}:\n{}", out.stderr));
            assert!(line.starts_with("warning: configuration entry"), "{line}");
            assert!(line.contains("skipped"), "{line}");
        }
        assert!(out.stderr.contains("empty"), "the reason: {}", out.stderr);
        assert!(out.stderr.contains("Good (A)"), "the clash: {}", out.stderr);
    }
    assert_eq!(home.list_json().len(), 1);
    let out = home.exec(&["service", "status"]);
    assert!(
        out.stdout
            .contains("Warning: configuration entry {11111111-"),
        "{}",
        out.stdout
    );
}
