//! The console commands beside send and monitor: `endpoint properties` (`info`), `endpoint
//! request endpoint-info | function-blocks` (with `--wait`), `endpoint play-notes`,
//! `endpoint send-sysex-file` and `midi time` — what each does through the binary, with a
//! client of the library playing the application on the other side, and their error paths.

mod common;

use common::TestHome;
use midi_loopback::client::{EndpointConnection, Received};
use midi_loopback::core::clock::monotonic_ns;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Every message that arrives at `conn` until `done` says enough or `limit` passes.
fn gather(
    conn: &mut EndpointConnection,
    limit: Duration,
    done: impl Fn(&[Vec<u32>]) -> bool,
) -> Vec<Vec<u32>> {
    let deadline = Instant::now() + limit;
    let mut got = Vec::new();
    while !done(&got) && Instant::now() < deadline {
        if let Ok(Some(Received::Messages(msgs))) = conn.receive(Some(Duration::from_millis(50))) {
            got.extend(msgs.iter().map(|m| m.words().to_vec()));
        }
    }
    got
}

fn spawn(home: &TestHome, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_midi"))
        .args(args)
        .env("MIDI_HOME", home.path())
        .env("MIDI_NO_ALSA", "1")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn interrupt(child: &Child) {
    // SAFETY: kill has no memory effects; the pid is our own child's.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
}

fn refused(home: &TestHome, args: &[&str], code: i32, needle: &str) {
    let out = home.exec(args);
    assert_eq!(out.code, code, "{args:?}: {}", out.stderr);
    assert!(
        out.stderr.contains(needle),
        "{args:?}: no {needle:?} in\n{}",
        out.stderr
    );
    assert!(out.stdout.is_empty(), "{args:?} printed: {}", out.stdout);
}

// ---- midi time ----

#[test]
fn time_reports_the_clock_every_timestamp_uses() {
    let home = TestHome::new();
    let before = monotonic_ns();
    let json = home.exec(&["time", "--json"]).json();
    let after = monotonic_ns();
    let now = json["now_ns"].as_u64().unwrap();
    assert!(
        before <= now && now <= after,
        "{before} <= {now} <= {after}"
    );
    assert_eq!(json["clock"], "CLOCK_MONOTONIC");
    assert!(json["resolution_ns"].as_u64().unwrap() >= 1);
    assert_eq!(json["max_schedule_ahead_ns"], 300_000_000_000u64);
    let text = home.exec(&["clock"]);
    assert_eq!(text.code, 0);
    for shown in ["CLOCK_MONOTONIC", "Resolution", "Now", "300 s"] {
        assert!(text.stdout.contains(shown), "{}", text.stdout);
    }
    assert!(home.engine_pid().is_none(), "the clock needs no engine");
}

// ---- endpoint properties ----

#[test]
fn properties_show_the_endpoint_its_pair_and_its_traffic() {
    let home = TestHome::new();
    home.create(
        "Props",
        &["-u", "props1", "--persistent", "--description", "desk"],
    );
    let mut a = home.client().open_endpoint("Props (A)").unwrap();
    for _ in 0..3 {
        a.send(&[0x2090_3C64]).unwrap();
    }
    a.flush().unwrap();
    let json = home
        .exec(&["endpoint", "properties", "props (a)", "--json"])
        .json();
    assert_eq!(json["id"], "midiu_loop_a_props1");
    assert_eq!(json["name"], "Props (A)");
    assert_eq!(json["side"], "A");
    assert_eq!(json["description"], "desk");
    assert_eq!(json["clients"], 1);
    assert_eq!(json["pair"]["root_name"], "Props");
    assert_eq!(json["pair"]["persistent"], true);
    assert_eq!(json["pair"]["muted"], false);
    assert_eq!(json["partner"]["name"], "Props (B)");
    assert_eq!(json["sent"]["messages"], 3);
    assert_eq!(json["received"]["messages"], 0);
    let b = home
        .exec(&["endpoint", "info", "midiu_loop_b_props1", "--json"])
        .json();
    assert_eq!(b["received"]["messages"], 3);
    assert_eq!(b["partner"]["id"], "midiu_loop_a_props1");
    let text = home.exec(&["endpoint", "props", "Props (B)"]);
    assert_eq!(text.code, 0, "{}", text.stderr);
    for shown in [
        "Props (B)",
        "midiu_loop_b_props1",
        "Other side",
        "Props (A)",
        "yes (stored in the configuration file)",
        "Received A→B",
        "3 messages",
    ] {
        assert!(
            text.stdout.contains(shown),
            "no {shown:?}:\n{}",
            text.stdout
        );
    }
}

#[test]
fn properties_of_an_unknown_endpoint_are_not_found() {
    let home = TestHome::new();
    home.create("Props", &[]);
    refused(
        &home,
        &["endpoint", "properties", "Props"],
        4,
        "did you mean \"Props (A)\"",
    );
    refused(&home, &["endpoint", "info", "nothing"], 4, "no endpoint");
    let out = home.exec(&["endpoint", "properties"]);
    assert_eq!(out.code, 2);
}

// ---- endpoint request ----

#[test]
fn request_endpoint_info_waits_for_the_replies_of_the_other_side() {
    let home = TestHome::new();
    home.create("Ask", &[]);
    let mut b = home.client().open_endpoint("Ask (B)").unwrap();
    let responder = std::thread::spawn(move || {
        let got = gather(&mut b, Duration::from_secs(20), |m| !m.is_empty());
        // Answer as a device would: endpoint info, then its name.
        b.send(&[0xF001_0101, 0x8300_0000, 0, 0]).unwrap();
        b.send(&[0xF003_4B65, 0x7973_0000, 0, 0]).unwrap();
        b.flush().unwrap();
        got
    });
    let out = home.exec(&[
        "endpoint",
        "request",
        "endpoint-info",
        "Ask (A)",
        "--all",
        "--wait",
        "2",
    ]);
    let asked = responder.join().unwrap();
    assert_eq!(
        asked,
        vec![vec![0xF000_0101, 0x1F, 0, 0]],
        "the request as sent"
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("Sent Endpoint Discovery"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("Endpoint Info"), "{}", out.stdout);
    assert!(out.stdout.contains("F0034B65"), "{}", out.stdout);
    assert!(out.stderr.contains("2 replies"), "{}", out.stderr);
}

#[test]
fn request_function_blocks_as_json_lists_only_the_replies() {
    let home = TestHome::new();
    home.create("Blocks", &[]);
    let mut b = home.client().open_endpoint("Blocks (B)").unwrap();
    let responder = std::thread::spawn(move || {
        let got = gather(&mut b, Duration::from_secs(20), |m| !m.is_empty());
        b.send(&[0x2090_3C64]).unwrap(); // not a reply: ignored
        b.send(&[0xF011_8011, 0x0001_0000, 0, 0]).unwrap();
        b.flush().unwrap();
        got
    });
    let out = home.exec(&[
        "endpoint",
        "req",
        "fb",
        "Blocks (A)",
        "-n",
        "3",
        "--wait",
        "2",
        "--json",
    ]);
    let asked = responder.join().unwrap();
    assert_eq!(asked[0][0], 0xF010_0303);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let json = out.json();
    assert_eq!(json["request"]["message_type"], "Function Block Discovery");
    assert_eq!(json["replies"].as_array().unwrap().len(), 1, "{json}");
    assert_eq!(json["replies"][0]["words_hex"][0], "0xF0118011");
    assert_eq!(json["ignored"], 1);
}

#[test]
fn a_request_nobody_answers_exits_1_after_waiting_and_0_without_waiting() {
    let home = TestHome::new();
    home.create("Silent", &[]);
    let mut b = home.client().open_endpoint("Silent (B)").unwrap();
    let out = home.exec(&[
        "endpoint",
        "request",
        "endpoint-info",
        "Silent (A)",
        "--wait",
        "0.3",
    ]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("No reply in 0.3 s"), "{}", out.stderr);
    let out = home.exec(&["endpoint", "request", "em", "Silent (A)", "--name"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("midi endpoint monitor"),
        "{}",
        out.stdout
    );
    // Both requests crossed the pair.
    let got = gather(&mut b, Duration::from_secs(10), |m| m.len() >= 2);
    assert_eq!(got[0], vec![0xF000_0101, 0x01, 0, 0]);
    assert_eq!(got[1], vec![0xF000_0101, 0x05, 0, 0]);
}

#[test]
fn request_errors_say_what_is_wrong() {
    let home = TestHome::new();
    home.create("Req", &[]);
    refused(
        &home,
        &[
            "endpoint",
            "request",
            "endpoint-info",
            "Req (A)",
            "--endpoint-info",
            "false",
        ],
        2,
        "nothing to request",
    );
    refused(
        &home,
        &[
            "endpoint",
            "request",
            "function-blocks",
            "Req (A)",
            "-i",
            "false",
            "-f",
            "false",
        ],
        2,
        "nothing to request",
    );
    refused(
        &home,
        &["endpoint", "request", "fb", "Req (A)", "--number", "32"],
        2,
        "32",
    );
    refused(
        &home,
        &["endpoint", "request", "fb", "Req (A)", "--all", "-n", "1"],
        2,
        "cannot be used",
    );
    refused(
        &home,
        &["endpoint", "request", "em", "Req (A)", "--wait", "-1"],
        2,
        "seconds",
    );
    refused(
        &home,
        &["endpoint", "request", "em", "Nope", "--wait", "1"],
        4,
        "no endpoint",
    );
}

// ---- endpoint play-notes ----

#[test]
fn play_notes_plays_each_note_on_then_off_in_sequence() {
    let home = TestHome::new();
    home.create("Keys", &[]);
    let mut b = home.client().open_endpoint("Keys (B)").unwrap();
    let out = home.exec(&[
        "endpoint",
        "play-notes",
        "Keys (A)",
        "C4",
        "64",
        "--length",
        "30",
        "--rest",
        "0",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("Played 2 notes"), "{}", out.stdout);
    let got = gather(&mut b, Duration::from_secs(10), |m| m.len() >= 4);
    // Velocity 75 % of 127 is 95 (0x5F); channel 1, group 1.
    assert_eq!(
        got,
        vec![
            vec![0x2090_3C5F],
            vec![0x2080_3C00],
            vec![0x2090_405F],
            vec![0x2080_4000]
        ]
    );
    let out = home.exec(&[
        "endpoint",
        "play",
        "Keys (A)",
        "A4",
        "--midi2",
        "--channel",
        "10",
        "--group",
        "2",
        "--velocity",
        "100",
        "--length",
        "30",
        "--rest",
        "0",
        "--count",
        "2",
        "--json",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.json()["played"], 2);
    let got = gather(&mut b, Duration::from_secs(10), |m| m.len() >= 4);
    assert_eq!(got[0], vec![0x4199_4500, 0xFFFF_0000]);
    assert_eq!(got[1], vec![0x4189_4500, 0]);
    assert_eq!(got.len(), 4);
}

#[test]
fn a_note_that_is_on_when_ctrl_c_comes_is_switched_off() {
    let home = TestHome::new();
    home.create("Held", &[]);
    let mut b = home.client().open_endpoint("Held (B)").unwrap();
    for (forever, code) in [(false, 1), (true, 0)] {
        let mut args = vec![
            "endpoint",
            "play-notes",
            "Held (A)",
            "C4",
            "--length",
            "20000",
        ];
        if forever {
            args.push("--forever");
        }
        let child = spawn(&home, &args);
        let on = gather(&mut b, Duration::from_secs(20), |m| !m.is_empty());
        assert_eq!(on, vec![vec![0x2090_3C5F]]);
        interrupt(&child);
        let off = gather(&mut b, Duration::from_secs(20), |m| !m.is_empty());
        assert_eq!(off, vec![vec![0x2080_3C00]], "the note is switched off");
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(code), "forever {forever}");
        assert!(String::from_utf8_lossy(&out.stdout).contains("stopped by Ctrl-C"));
    }
}

#[test]
fn play_notes_errors_say_what_is_wrong() {
    let home = TestHome::new();
    home.create("Keys", &[]);
    refused(
        &home,
        &["endpoint", "play-notes", "Keys (A)", "H4"],
        2,
        "\"H4\" is not a note",
    );
    refused(
        &home,
        &["endpoint", "play-notes", "Keys (A)", "G#9"],
        2,
        "128",
    );
    refused(
        &home,
        &["endpoint", "play-notes", "Keys (A)", "C4", "--length", "10"],
        2,
        "at least 30 ms",
    );
    refused(
        &home,
        &[
            "endpoint",
            "play-notes",
            "Keys (A)",
            "C4",
            "--channel",
            "17",
        ],
        2,
        "17",
    );
    refused(
        &home,
        &["endpoint", "play-notes", "Keys (A)", "C4", "-c", "0"],
        2,
        "at least 1",
    );
    refused(
        &home,
        &["endpoint", "play-notes", "Keys (A)", "C4", "-v", "0"],
        2,
        "percentage",
    );
    refused(&home, &["endpoint", "play-notes", "Keys"], 2, "NOTES");
    refused(
        &home,
        &["endpoint", "play-notes", "Nope", "C4"],
        4,
        "no endpoint",
    );
}

// ---- endpoint send-sysex-file ----

/// Reassembles SysEx7 packets into messages (their data bytes), checking the group.
fn reassemble(packets: &[Vec<u32>], group: u32) -> Vec<Vec<u8>> {
    let mut messages = Vec::new();
    let mut current = Vec::new();
    for p in packets {
        assert_eq!(p[0] >> 28, 3, "a SysEx7 packet: {p:08X?}");
        assert_eq!(p[0] >> 24 & 0xF, group - 1, "on group {group}");
        let status = p[0] >> 20 & 0xF;
        let count = (p[0] >> 16 & 0xF) as usize;
        let bytes = [
            (p[0] >> 8) as u8,
            p[0] as u8,
            (p[1] >> 24) as u8,
            (p[1] >> 16) as u8,
            (p[1] >> 8) as u8,
            p[1] as u8,
        ];
        current.extend_from_slice(&bytes[..count]);
        if status == 0 || status == 3 {
            messages.push(std::mem::take(&mut current));
        }
    }
    messages
}

fn syx(messages: &[Vec<u8>]) -> Vec<u8> {
    messages
        .iter()
        .flat_map(|m| [vec![0xF0], m.clone(), vec![0xF7]].concat())
        .collect()
}

#[test]
fn a_sysex_file_of_many_messages_arrives_whole_in_sysex7_packets() {
    let home = TestHome::new();
    home.create("Dump", &[]);
    let mut b = home.client().open_endpoint("Dump (B)").unwrap();
    let messages: Vec<Vec<u8>> = vec![
        vec![0x7E, 0x7F, 0x06, 0x01],
        (0..6).collect(),
        (0..1000).map(|i| (i % 128) as u8).collect(),
        vec![],
    ];
    let file = home.path().join("dump.syx");
    std::fs::write(&file, syx(&messages)).unwrap();
    let out = home.exec(&[
        "endpoint",
        "send-sysex-file",
        "Dump (A)",
        file.to_str().unwrap(),
        "--group",
        "3",
        "--pause",
        "0",
        "--messages",
        "16",
        "--json",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let report = out.json();
    // 1 + 1 + 167 + 1 packets.
    assert_eq!(report["packets"], 170);
    assert_eq!(report["packets_sent"], 170);
    assert_eq!(report["messages"], 4);
    let got = gather(&mut b, Duration::from_secs(20), |m| m.len() >= 170);
    assert_eq!(got.len(), 170);
    assert_eq!(reassemble(&got, 3), messages);
    let text = home.exec(&[
        "endpoint",
        "send-sysex",
        "Dump (A)",
        file.to_str().unwrap(),
        "-p",
        "0",
    ]);
    assert!(
        text.stdout
            .contains("Sent 4 SysEx messages (1010 data bytes) as 170 SysEx7 packets on group 1"),
        "{}",
        text.stdout
    );
}

#[test]
fn a_file_that_is_not_sysex_is_refused_with_the_offset_and_nothing_is_sent() {
    let home = TestHome::new();
    home.create("Dump", &[]);
    let dir = home.path();
    for (name, bytes, needle) in [
        ("notes.syx", vec![0x90, 0x3C, 0x64], "offset 0 is not F0"),
        (
            "status.syx",
            vec![0xF0, 1, 2, 0xF7, 0xF0, 1, 0x90, 0xF7],
            "offset 6",
        ),
        ("short.syx", vec![0xF0, 1, 2, 0xF7, 0xF0, 1], "no F7"),
        ("empty.syx", vec![], "empty"),
    ] {
        let file = dir.join(name);
        std::fs::write(&file, bytes).unwrap();
        refused(
            &home,
            &[
                "endpoint",
                "send-sysex-file",
                "Dump (A)",
                file.to_str().unwrap(),
            ],
            2,
            needle,
        );
    }
    assert_eq!(
        home.list_json()[0]["a_to_b"]["messages"],
        0,
        "nothing was sent"
    );
    refused(
        &home,
        &[
            "endpoint",
            "send-sysex-file",
            "Dump (A)",
            "/nonexistent/x.syx",
        ],
        2,
        "cannot read",
    );
    let ok = dir.join("ok.syx");
    std::fs::write(&ok, [0xF0, 1, 0xF7]).unwrap();
    for group in ["0", "17"] {
        refused(
            &home,
            &[
                "endpoint",
                "send-sysex-file",
                "Dump (A)",
                ok.to_str().unwrap(),
                "-g",
                group,
            ],
            2,
            group,
        );
    }
}

#[test]
fn ctrl_c_during_a_sysex_transfer_ends_the_message_under_way() {
    let home = TestHome::new();
    home.create("Slow", &[]);
    let mut b = home.client().open_endpoint("Slow (B)").unwrap();
    let file = home.path().join("big.syx");
    std::fs::write(&file, syx(&[vec![0x11; 600]])).unwrap();
    let child = spawn(
        &home,
        &[
            "endpoint",
            "send-sysex-file",
            "Slow (A)",
            file.to_str().unwrap(),
            "-m",
            "2",
            "-p",
            "300",
        ],
    );
    let first = gather(&mut b, Duration::from_secs(20), |m| m.len() >= 2);
    interrupt(&child);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let mut got = first;
    got.extend(gather(&mut b, Duration::from_millis(500), |_| false));
    assert!(got.len() < 100, "stopped early: {} packets", got.len());
    let last = got.last().unwrap();
    assert_eq!(last[0] >> 20 & 0xF, 3, "the message is ended: {last:08X?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("stopped by Ctrl-C"));
}

#[test]
fn play_notes_reconnects_when_its_endpoint_comes_back_unless_told_not_to() {
    let home = TestHome::new();
    home.create("Back", &["-u", "back1"]);
    let mut b = home.client().open_endpoint("Back (B)").unwrap();
    let child = spawn(
        &home,
        &[
            "endpoint",
            "play-notes",
            "Back (A)",
            "C4",
            "--forever",
            "--length",
            "40",
            "--rest",
            "0",
        ],
    );
    assert!(!gather(&mut b, Duration::from_secs(20), |m| m.len() >= 2).is_empty());
    home.exec(&["loopback", "remove", "Back"]).success();
    std::thread::sleep(Duration::from_millis(300));
    home.create("Back", &["-u", "back1"]);
    let mut b = home.client().open_endpoint("Back (B)").unwrap();
    let again = gather(&mut b, Duration::from_secs(20), |m| m.len() >= 2);
    assert!(
        again.contains(&vec![0x2090_3C5F]),
        "playing on: {again:08X?}"
    );
    interrupt(&child);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("waiting for Back (A) to come back"),
        "{stderr}"
    );

    let child = spawn(
        &home,
        &[
            "endpoint",
            "play-notes",
            "Back (A)",
            "C4",
            "--forever",
            "--length",
            "40",
            "--rest",
            "0",
            "--auto-reconnect",
            "false",
        ],
    );
    assert!(!gather(&mut b, Duration::from_secs(20), |m| !m.is_empty()).is_empty());
    home.exec(&["loopback", "remove", "Back"]).success();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
