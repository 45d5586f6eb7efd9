//! `midi endpoint …` from the command line: send, monitor, files, listing, and their errors.

mod common;

use common::TestHome;
use predicates::prelude::*;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Starts `midi endpoint monitor ENDPOINT ARGS…` and waits until it is attached.
fn spawn_monitor(home: &TestHome, endpoint: &str, args: &[&str]) -> Child {
    let before = clients_on(home, endpoint);
    let child = Command::new(env!("CARGO_BIN_EXE_midi"))
        .env("MIDI_HOME", home.path())
        .env("MIDI_NO_ALSA", "1")
        .env("NO_COLOR", "1")
        .args(["endpoint", "monitor", endpoint])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn monitor");
    let deadline = Instant::now() + Duration::from_secs(30);
    while clients_on(home, endpoint) <= before {
        assert!(Instant::now() < deadline, "monitor never attached");
        std::thread::sleep(Duration::from_millis(20));
    }
    child
}

fn clients_on(home: &TestHome, endpoint: &str) -> u32 {
    home.client()
        .list_endpoints()
        .unwrap()
        .iter()
        .find(|e| e.name.eq_ignore_ascii_case(endpoint) || e.id.as_str() == endpoint)
        .map(|e| e.clients)
        .unwrap_or(0)
}

/// Waits for a monitor to finish; returns (exit code, stdout, stderr).
fn finish(child: Child) -> (i32, String, String) {
    let out = child.wait_with_output().expect("monitor output");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json_lines(stdout: &str) -> Vec<serde_json::Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect()
}

#[test]
fn a_note_sent_on_a_arrives_decoded_at_b() {
    let home = TestHome::new();
    home.create("My Loopback", &[]);
    let mon = spawn_monitor(
        &home,
        "My Loopback (B)",
        &["--count", "1", "--timeout", "60"],
    );
    home.midi()
        .args(["endpoint", "send-message", "My Loopback (A)", "0x20903C64"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "Sent 1 message through My Loopback (A)",
        ));
    let (code, out, err) = finish(mon);
    assert_eq!(code, 0, "{err}");
    let row = out.lines().nth(1).expect("a row after the header");
    for part in ["20903C64", "MIDI 1.0 Note On", "C4 (60)", "velocity 100"] {
        assert!(row.contains(part), "{part:?} missing in {row:?}");
    }
    // Group 1, channel 1 in their columns.
    assert!(row.contains("  1   1  "), "{row:?}");
    assert!(err.contains("One message received"), "{err}");
}

#[test]
fn the_reverse_direction_works_and_json_lines_carry_the_fields() {
    let home = TestHome::new();
    home.create("Rev", &[]);
    let mon = spawn_monitor(
        &home,
        "rev (a)",
        &["--json", "--count", "2", "--timeout", "60"],
    );
    home.midi()
        .args(["endpoint", "send", "REV (B)", "0x20903C64"])
        .assert()
        .success();
    home.midi()
        .args(["endpoint", "send", "Rev (B)", "0x40903C00", "0xC0000000"])
        .assert()
        .success();
    let (code, out, _) = finish(mon);
    assert_eq!(code, 0);
    let rows = json_lines(&out);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["index"], 1);
    assert!(rows[0]["timestamp"].as_u64().unwrap() > 0);
    assert_eq!(rows[0]["words"], serde_json::json!([0x2090_3C64u32]));
    assert_eq!(rows[0]["message_type"], "MIDI 1.0 Note On");
    assert_eq!(rows[0]["group"], 1);
    assert_eq!(rows[0]["channel"], 1);
    assert_eq!(rows[0]["note"], 60);
    assert_eq!(rows[0]["velocity"], 100);
    assert_eq!(
        rows[1]["words"],
        serde_json::json!([0x4090_3C00u32, 0xC000_0000u32])
    );
    assert_eq!(rows[1]["message_type"], "MIDI 2.0 Note On");
}

#[test]
fn ten_thousand_messages_arrive_complete_and_in_order() {
    let home = TestHome::new();
    home.create("Bulk", &[]);
    let mon = spawn_monitor(
        &home,
        "Bulk (B)",
        &[
            "--json",
            "--no-decode",
            "--count",
            "10000",
            "--timeout",
            "120",
        ],
    );
    home.midi()
        .args([
            "endpoint",
            "send-message",
            "Bulk (A)",
            "0x40903C00",
            "0x00000000",
        ])
        .args(["--count", "10000", "--pause", "0", "--increment"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "Sent 10000 messages as fast as possible",
        ));
    let (code, out, err) = finish(mon);
    assert_eq!(code, 0, "{err}");
    let rows = json_lines(&out);
    assert_eq!(rows.len(), 10_000);
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(
            row["words"][1].as_u64().unwrap(),
            i as u64,
            "row {i} out of order"
        );
    }
}

#[test]
fn three_monitors_each_get_everything_and_the_sender_side_gets_nothing() {
    let home = TestHome::new();
    home.create("Fan", &[]);
    let monitors: Vec<Child> = (0..3)
        .map(|_| {
            spawn_monitor(
                &home,
                "Fan (B)",
                &["--json", "--count", "5", "--timeout", "60"],
            )
        })
        .collect();
    let same_side = spawn_monitor(&home, "Fan (A)", &["--json", "--timeout", "2"]);
    home.midi()
        .args([
            "endpoint",
            "send-message",
            "Fan (A)",
            "0x20903C00",
            "-c",
            "5",
            "-p",
            "0",
            "-i",
        ])
        .assert()
        .success();
    for m in monitors {
        let (code, out, _) = finish(m);
        assert_eq!(code, 0);
        assert_eq!(json_lines(&out).len(), 5);
    }
    let (code, out, err) = finish(same_side);
    assert_eq!(code, 0);
    assert!(out.is_empty(), "echoed back to the sending side: {out}");
    assert!(err.contains("No messages received"), "{err}");
}

#[test]
fn a_malformed_message_is_refused_with_exit_2() {
    let home = TestHome::new();
    home.create("Bad", &[]);
    home.midi()
        .args(["endpoint", "send-message", "Bad (A)", "0x40903C00"])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("type 4").and(predicate::str::contains("exactly 2 words")),
        );
    home.midi()
        .args(["endpoint", "send-message", "Bad (A)", "0xZZ"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "\"0xZZ\" is not a 32-bit hex number",
        ));
    home.midi()
        .args([
            "endpoint",
            "send-message",
            "Bad (A)",
            "1",
            "2",
            "3",
            "4",
            "5",
        ])
        .assert()
        .code(2);
    home.midi()
        .args(["endpoint", "send-message", "Bad (A)"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("ENDPOINT then 1 to 4 words"));
    // Nothing was delivered or counted.
    let pairs = home.client().list_pairs().unwrap();
    assert_eq!(pairs[0].a_to_b.messages, 0);
}

#[test]
fn word_formats_and_offsets() {
    let home = TestHome::new();
    home.create("Fmt", &[]);
    let mon = spawn_monitor(
        &home,
        "Fmt (B)",
        &["--json", "--count", "3", "--timeout", "60"],
    );
    home.midi()
        .args(["endpoint", "send", "Fmt (A)", "546323556", "-w", "decimal"])
        .assert()
        .success();
    home.midi()
        .args([
            "endpoint",
            "send",
            "Fmt (A)",
            "0b00100000100100000011110001100100",
            "-w",
            "decimal",
        ])
        .assert()
        .success();
    home.midi()
        .args([
            "endpoint",
            "send",
            "Fmt (A)",
            "20903C64",
            "--offset-microseconds",
            "1000",
        ])
        .assert()
        .success();
    let (code, out, _) = finish(mon);
    assert_eq!(code, 0);
    for row in json_lines(&out) {
        assert_eq!(row["words"], serde_json::json!([0x2090_3C64u32]));
    }
}

#[test]
fn unknown_endpoints_are_not_found() {
    let home = TestHome::new();
    home.create("Known", &[]);
    home.midi()
        .args(["endpoint", "send-message", "Nope", "0x20903C64"])
        .assert()
        .code(4)
        .stderr(predicate::str::contains("\"Nope\""));
    home.midi()
        .args(["endpoint", "monitor", "Nope", "--timeout", "1"])
        .assert()
        .code(4);
    // Off a terminal there is no picker: the endpoint must be named.
    home.midi()
        .args(["endpoint", "monitor"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("needs ENDPOINT"));
}

#[test]
fn removing_the_pair_ends_its_monitors_with_a_clear_error() {
    let home = TestHome::new();
    let pair = home.create("Short", &[]);
    let mon = spawn_monitor(&home, "Short (B)", &["--timeout", "60"]);
    home.midi()
        .args([
            "loopback",
            "remove",
            "-i",
            pair["association_id"].as_str().unwrap(),
        ])
        .assert()
        .success();
    let (code, _, err) = finish(mon);
    assert_eq!(code, 4);
    assert!(err.contains("\"Short (B)\" was removed"), "{err}");
}

#[test]
fn stopping_the_engine_ends_monitors_with_exit_3() {
    let home = TestHome::new();
    home.create("Halt", &[]);
    let mon = spawn_monitor(&home, "Halt (B)", &["--timeout", "60"]);
    home.midi().args(["service", "stop"]).assert().success();
    let (code, _, err) = finish(mon);
    assert_eq!(code, 3);
    assert!(err.contains("the engine stopped"), "{err}");
}

#[test]
fn send_message_file_sends_every_line_and_refuses_a_bad_file_whole() {
    let home = TestHome::new();
    home.create("File", &[]);
    let good = home.path().join("notes.txt");
    std::fs::write(
        &good,
        "# a chord\n0x20903C64\n0x20904064, # E4\n\n0x40903C00 0xC0000000\n0x20803C00|\n",
    )
    .unwrap();
    let bad = home.path().join("bad.txt");
    std::fs::write(&bad, "0x20903C64\n0x40903C00\nnonsense\n").unwrap();
    home.midi()
        .args(["endpoint", "send-message-file", "File (A)"])
        .arg(&bad)
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("line 2")
                .and(predicate::str::contains("line 3"))
                .and(predicate::str::contains("nothing was sent")),
        );
    let mon = spawn_monitor(
        &home,
        "File (B)",
        &["--json", "--count", "4", "--timeout", "60"],
    );
    home.midi()
        .args(["endpoint", "send-message-file", "File (A)"])
        .arg(&good)
        .assert()
        .success()
        .stdout(predicate::str::contains("Sent 4 messages"));
    let (code, out, _) = finish(mon);
    assert_eq!(code, 0);
    let words: Vec<_> = json_lines(&out)
        .iter()
        .map(|r| r["words"].clone())
        .collect();
    assert_eq!(
        words[2],
        serde_json::json!([0x4090_3C00u32, 0xC000_0000u32])
    );
    home.midi()
        .args([
            "endpoint",
            "send-message-file",
            "File (A)",
            "/nonexistent/file.txt",
        ])
        .assert()
        .code(2);
}

#[test]
fn a_capture_file_replays_through_send_message_file() {
    let home = TestHome::new();
    home.create("Cap", &[]);
    let capture = home.path().join("capture.txt");
    let mon = spawn_monitor(
        &home,
        "Cap (B)",
        &[
            "--count",
            "2",
            "--timeout",
            "60",
            "--capture-to-file",
            capture.to_str().unwrap(),
        ],
    );
    home.midi()
        .args(["endpoint", "send", "Cap (A)", "0x20903C64"])
        .assert()
        .success();
    home.midi()
        .args(["endpoint", "send", "Cap (A)", "0x40903C00", "0xC0000000"])
        .assert()
        .success();
    assert_eq!(finish(mon).0, 0);
    let text = std::fs::read_to_string(&capture).unwrap();
    assert!(
        text.contains("0x20903C64\n0x40903C00 0xC0000000\n"),
        "{text}"
    );
    let mon = spawn_monitor(
        &home,
        "Cap (A)",
        &["--json", "--count", "2", "--timeout", "60"],
    );
    home.midi()
        .args(["endpoint", "send-message-file", "Cap (B)"])
        .arg(&capture)
        .assert()
        .success();
    assert_eq!(json_lines(&finish(mon).1).len(), 2);
}

#[test]
fn real_time_messages_are_hidden_unless_asked_for() {
    let home = TestHome::new();
    home.create("Clock", &[]);
    let hidden = spawn_monitor(
        &home,
        "Clock (B)",
        &["--json", "--count", "1", "--timeout", "60"],
    );
    let shown = spawn_monitor(
        &home,
        "Clock (B)",
        &["--json", "-r", "--count", "2", "--timeout", "60"],
    );
    home.midi()
        .args(["endpoint", "send", "Clock (A)", "0x10F80000"])
        .assert()
        .success();
    home.midi()
        .args(["endpoint", "send", "Clock (A)", "0x20903C64"])
        .assert()
        .success();
    let (_, out, err) = finish(hidden);
    assert_eq!(
        json_lines(&out)[0]["words"],
        serde_json::json!([0x2090_3C64u32])
    );
    assert!(
        err.contains("1 timing clock / active sensing hidden"),
        "{err}"
    );
    assert_eq!(json_lines(&finish(shown).1).len(), 2);
}

#[test]
fn endpoint_list_and_enumerate_endpoints() {
    let home = TestHome::new();
    let pair = home.create("Listed", &[]);
    let out = home
        .midi()
        .args(["endpoint", "list", "--json"])
        .output()
        .unwrap();
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert_eq!(list[0]["name"], "Listed (A)");
    assert_eq!(list[0]["side"], "A");
    assert_eq!(list[1]["side"], "B");
    assert_eq!(list[0]["association_id"], pair["association_id"]);
    assert_eq!(list[0]["clients"], 0);
    assert_eq!(list[0]["id"], pair["endpoint_a"]["id"]);
    home.midi()
        .args(["enumerate", "endpoints"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("Listed (B)").and(predicate::str::contains("midiu_loop_b_")),
        );
}

#[test]
fn sending_into_a_muted_pair_warns_that_nothing_was_delivered() {
    let home = TestHome::new();
    home.create("Quiet", &[]);
    home.exec(&["loopback", "mute", "Quiet"]).success();
    let out = home.exec(&["endpoint", "send-message", "Quiet (A)", "0x20903C64"]);
    assert_eq!(out.code, 0, "the send itself worked: {}", out.stderr);
    assert!(
        out.stdout.contains("Sent 1 message through"),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr.contains(
            "warning: pair \"Quiet\" is muted: the message was dropped; nothing was delivered"
        ),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("hint: unmute it with: midi loopback unmute Quiet"),
        "{}",
        out.stderr
    );
    // JSON says so too, and the file form warns the same way.
    let out = home.exec(&[
        "endpoint",
        "send-message",
        "Quiet (B)",
        "0x20903C64",
        "--count",
        "3",
        "--pause",
        "0",
        "--json",
    ]);
    assert_eq!(out.json()["dropped_muted"], 3);
    assert!(
        out.stderr.contains("all 3 messages were dropped"),
        "{}",
        out.stderr
    );
    let file = home.path().join("notes.txt");
    std::fs::write(&file, "0x20903C64\n0x20803C00\n").unwrap();
    let out = home.exec(&[
        "endpoint",
        "send-message-file",
        "Quiet (A)",
        file.to_str().unwrap(),
    ]);
    assert!(
        out.stderr.contains("all 2 messages were dropped"),
        "{}",
        out.stderr
    );
    // Unmuted, nothing is said.
    home.exec(&["loopback", "unmute", "Quiet"]).success();
    let out = home.exec(&[
        "endpoint",
        "send-message",
        "Quiet (A)",
        "0x20903C64",
        "--json",
    ]);
    assert!(out.stderr.is_empty(), "{}", out.stderr);
    assert_eq!(out.json()["dropped_muted"], 0);
}
