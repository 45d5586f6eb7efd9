//! The engine broken from outside, at the level a user meets it: two engines on one
//! configuration file, receivers that never read, scheduling quotas and order, a wedged engine,
//! a file with more pairs than the engine holds. Each test failed on the engine before the fix.

mod common;

use common::{TestHome, wait_until};
use midi_loopback::client::{EndpointConnection, Received};
use midi_loopback::core::clock::monotonic_ns;
use midi_loopback::core::protocol;
use serde_json::json;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

const WAIT: Option<Duration> = Some(Duration::from_secs(20));

/// A batch of `n` one-word messages for now.
fn flood_payload(n: usize, first: u32) -> Vec<u8> {
    let mut p = Vec::with_capacity(n * 12);
    for i in 0..n {
        protocol::put_message(&mut p, 0, &[0x2090_0000 | ((first + i as u32) & 0xFFFF)]);
    }
    p
}

/// Sends enough to a receiver that never reads to fill its socket and its engine queue.
fn overflow_receiver(a: &mut EndpointConnection) -> u64 {
    let rounds = 60; // 60 × 10,000 × 12 bytes: well past 4 MiB of queue plus the socket's own
    for r in 0..rounds {
        a.send_payload(&flood_payload(10_000, r * 10_000)).unwrap();
        a.flush().unwrap();
    }
    rounds as u64 * 10_000
}

#[test]
fn a_receiver_that_never_reads_gets_one_overflow_count_not_one_event_per_round() {
    let home = TestHome::new();
    home.create("Slow", &[]);
    let mut a = home.client().open_endpoint("Slow (A)").unwrap();
    let mut b = home.client().open_endpoint("Slow (B)").unwrap();
    let sent = overflow_receiver(&mut a);
    // Now B reads everything that waits for it.
    let (mut received, mut dropped, mut overflow_events) = (0u64, 0u64, 0u64);
    while received + dropped < sent {
        match b.receive(WAIT).unwrap() {
            Some(Received::Messages(m)) => received += m.len() as u64,
            Some(Received::Overflow { dropped: n }) => {
                overflow_events += 1;
                dropped += n;
            }
            None => panic!("stalled at {received} received + {dropped} dropped of {sent}"),
        }
    }
    assert_eq!(
        received + dropped,
        sent,
        "every message arrived or was counted"
    );
    assert!(dropped > 0, "the queue did overflow");
    assert!(
        overflow_events <= 2,
        "{overflow_events} overflow events for one stretch of drops"
    );
}

/// Takes a receiver that never reads past its queue's last byte: rounds of shrinking batches,
/// each answered before the next, so every round's drops are told in a round of their own.
/// (Before the fix each such round queued one more overflow event for the receiver, and its
/// backlog grew past the bound on what the engine lets wait for a client.)
fn fill_to_the_last_byte(a: &mut EndpointConnection) {
    for size in [1_000, 100, 10, 1] {
        for r in 0..64 {
            a.send_payload(&flood_payload(size, r * size as u32))
                .unwrap();
            a.flush().unwrap();
        }
    }
}

#[test]
fn a_client_that_does_not_read_its_inbound_traffic_can_still_send_and_ask() {
    let home = TestHome::new();
    home.create("Stuck", &[]);
    let mut a = home.client().open_endpoint("Stuck (A)").unwrap();
    let mut b = home.client().open_endpoint("Stuck (B)").unwrap();
    overflow_receiver(&mut a);
    fill_to_the_last_byte(&mut a);
    // B has not read a thing, and still does not: its own sends must reach A all the same.
    b.send(&[0x2080_3C00]).unwrap();
    b.send(&[0x2080_3C01]).unwrap();
    let mut from_b = Vec::new();
    while from_b.len() < 2 {
        match a.receive(WAIT).unwrap() {
            Some(Received::Messages(m)) => from_b.extend(m.iter().map(|m| m.words().to_vec())),
            other => panic!("after {from_b:?}, B's messages stopped reaching A: {other:?}"),
        }
    }
    assert_eq!(from_b, vec![vec![0x2080_3C00], vec![0x2080_3C01]]);
    // And a request it asks now is answered (the answer comes after everything waiting).
    b.flush().expect("B's own request is answered");
}

#[test]
fn one_sender_holding_its_whole_quota_does_not_starve_another_sender() {
    let home = TestHome::new();
    home.create("Greedy", &[]);
    home.create("Modest", &[]);
    let mut greedy = home.client().open_endpoint("Greedy (A)").unwrap();
    let far = monotonic_ns() + 250 * 1_000_000_000;
    let mut held = 0;
    while held < 100_000 {
        let mut p = Vec::new();
        for i in 0..50_000 {
            protocol::put_message(&mut p, far, &[0x2090_0000 | (i & 0xFFFF)]);
        }
        greedy.send_payload(&p).unwrap();
        held += 50_000;
    }
    greedy
        .flush()
        .expect("the greedy sender's quota holds 100,000");
    greedy.send_at(far, &[0x2090_3C64]).unwrap();
    let err = greedy.flush().expect_err("past its own quota");
    assert!(err.to_string().contains("this client's limit"), "{err}");

    let mut modest = home.client().open_endpoint("Modest (A)").unwrap();
    let mut b = home.client().open_endpoint("Modest (B)").unwrap();
    let soon = monotonic_ns() + 20_000_000;
    modest.send_at(soon, &[0x2090_4000]).unwrap();
    modest
        .flush()
        .expect("another sender still schedules while the greedy one holds its quota");
    match b.receive(WAIT).unwrap() {
        Some(Received::Messages(m)) => assert_eq!(m[0].words(), &[0x2090_4000]),
        other => panic!("expected the scheduled message, got {other:?}"),
    }
}

#[test]
fn a_removed_pair_gives_back_the_scheduling_budget_its_held_messages_took() {
    let home = TestHome::new();
    let hoard = home.create("Hoard", &[]);
    home.create("Other", &[]);
    // One client holds as many future messages on pair 1 as the engine lets it.
    let mut greedy = home.client().open_endpoint("Hoard (A)").unwrap();
    let far = monotonic_ns() + 250 * 1_000_000_000;
    for batch in 0..2u32 {
        let mut p = Vec::new();
        for i in 0..50_000u32 {
            protocol::put_message(
                &mut p,
                far,
                &[0x2090_0000 | ((batch * 50_000 + i) & 0xFFFF)],
            );
        }
        greedy.send_payload(&p).unwrap();
    }
    greedy.flush().expect("100,000 held messages are allowed");
    greedy.send_at(far, &[0x2090_3C64]).unwrap();
    let err = greedy.flush().expect_err("one more is past the limit");
    assert!(err.to_string().contains("held at once"), "{err}");
    // Pair 1 goes, and so does its client; its held messages must not outlive them.
    let id = hoard["association_id"].as_str().unwrap();
    home.exec(&["loopback", "remove", "-i", id]).success();
    drop(greedy);

    let mut other = home.client().open_endpoint("Other (A)").unwrap();
    let mut b = home.client().open_endpoint("Other (B)").unwrap();
    other
        .send_at(monotonic_ns() + 20_000_000, &[0x2090_4000])
        .unwrap();
    other
        .flush()
        .expect("another client schedules on another pair once the hoarding pair is gone");
    match b.receive(WAIT).unwrap() {
        Some(Received::Messages(m)) => {
            let words: Vec<_> = m.iter().map(|m| m.words().to_vec()).collect();
            assert_eq!(words, vec![vec![0x2090_4000]], "only the scheduled message");
        }
        got => panic!("expected the scheduled message, got {got:?}"),
    }
}

#[test]
fn a_message_for_now_never_overtakes_a_held_message_already_due() {
    let home = TestHome::new();
    home.create("Order", &[]);
    let mut a = home.client().open_endpoint("Order (A)").unwrap();
    let mut b = home.client().open_endpoint("Order (B)").unwrap();
    for round in 0..60u32 {
        let due = monotonic_ns() + 2_000_000;
        a.send_at(due, &[0x2090_0000 | round]).unwrap();
        // Wait until the held message is 0.2 ms overdue, then send one for now.
        while monotonic_ns() < due + 200_000 {
            std::hint::spin_loop();
        }
        a.send(&[0x2080_0000 | round]).unwrap();
        let mut got = Vec::new();
        while got.len() < 2 {
            match b.receive(WAIT).unwrap() {
                Some(Received::Messages(m)) => got.extend(m.iter().map(|m| m.words()[0])),
                other => panic!("round {round}: {other:?}"),
            }
        }
        assert_eq!(
            got,
            vec![0x2090_0000 | round, 0x2080_0000 | round],
            "round {round}: the held message must leave first"
        );
    }
}

/// SIGSTOPs a process, and SIGKILLs it when dropped.
struct Frozen(u32);

impl Frozen {
    fn new(pid: u32) -> Frozen {
        // SAFETY: kill has no memory effects; the pid is our test's engine.
        unsafe { libc::kill(pid as i32, libc::SIGSTOP) };
        Frozen(pid)
    }
}

impl Drop for Frozen {
    fn drop(&mut self) {
        // SAFETY: as above.
        unsafe { libc::kill(self.0 as i32, libc::SIGKILL) };
    }
}

#[test]
fn a_wedged_engine_gets_a_deadline_and_service_stop_force_ends_it() {
    let home = TestHome::new();
    home.exec(&["service", "start"]).success();
    let pid = home.engine_pid().expect("engine pid");
    let _frozen = Frozen::new(pid);
    let quick = |args: &[&str]| {
        let out = home
            .midi()
            .env("MIDI_REQUEST_TIMEOUT", "1")
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code().unwrap(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    for args in [
        &["service", "ping"][..],
        &["loopback", "list"],
        &["service", "stop"],
    ] {
        let (code, stderr) = quick(args);
        assert_eq!(code, 3, "{args:?}: {stderr}");
        assert!(
            stderr.contains(&format!("the engine (pid {pid}) did not answer")),
            "{args:?}: {stderr}"
        );
        assert!(stderr.contains("--force"), "{args:?}: {stderr}");
        assert!(!stderr.contains("another version"), "{args:?}: {stderr}");
    }
    let out = home
        .midi()
        .env("MIDI_REQUEST_TIMEOUT", "1")
        .args(["service", "stop", "--force"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("by force") && stdout.contains("transient pairs are lost"),
        "{stdout}"
    );
    assert!(wait_until(Duration::from_secs(10), || {
        !common::process_is_live(pid)
    }));
    assert_eq!(home.exec(&["service", "status"]).code, 3);
}

#[test]
fn a_bad_request_timeout_is_refused_with_what_would_be_right() {
    let home = TestHome::new();
    let out = home
        .midi()
        .env("MIDI_REQUEST_TIMEOUT", "soon")
        .args(["service", "ping"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("MIDI_REQUEST_TIMEOUT") && stderr.contains("seconds"),
        "{stderr}"
    );
}

#[test]
fn a_file_with_more_pairs_than_the_limit_loads_the_first_ones_and_says_so() {
    let home = TestHome::new();
    let max = midi_loopback::engine::Limits::default().max_pairs;
    let mut create = serde_json::Map::new();
    for i in 0..max + 25 {
        let id = uuid::Uuid::new_v4();
        let side = |s: &str| json!({ "name": format!("P{i} ({s})"), "description": "", "uniqueIdentifier": id.simple().to_string() });
        create.insert(
            format!("{{{}}}", id.hyphenated()).to_uppercase(),
            json!({ "endpointA": side("A"), "endpointB": side("B"), "muted": false }),
        );
    }
    let doc = json!({
        "endpointTransportPluginSettings": {
            midi_loopback::core::config::LOOP_TRANSPORT_KEY: { "create": create }
        }
    });
    std::fs::write(home.config_file(), doc.to_string()).unwrap();
    home.exec(&["service", "start"]).success();
    let out = home.exec(&["service", "status", "--json"]);
    let status = out.json();
    assert_eq!(status["pairs"]["total"], max);
    let warnings = status["warnings"].to_string();
    assert!(
        warnings.contains("25 configuration entries past the limit"),
        "{warnings}"
    );
    let text = home.exec(&["service", "status"]);
    assert!(
        text.stdout.contains("Warning: 25 configuration entries"),
        "{}",
        text.stdout
    );
    assert_eq!(
        home.list_json().len(),
        max,
        "every loaded pair can be listed"
    );
}

/// A user whose two sessions have the same configuration directory but different runtime
/// directories (a desktop and an SSH session without `XDG_RUNTIME_DIR`).
struct TwoSessions {
    root: tempfile::TempDir,
}

impl TwoSessions {
    fn new() -> TwoSessions {
        use std::os::unix::fs::PermissionsExt;
        let root = tempfile::Builder::new()
            .prefix("midi-2s")
            .permissions(std::fs::Permissions::from_mode(0o700))
            .tempdir_in("/tmp")
            .unwrap();
        for d in ["config", "run1", "run2"] {
            std::fs::create_dir(root.path().join(d)).unwrap();
            std::fs::set_permissions(root.path().join(d), std::fs::Permissions::from_mode(0o700))
                .unwrap();
        }
        TwoSessions { root }
    }

    fn dir(&self, name: &str) -> PathBuf {
        self.root.path().join(name)
    }

    fn midi(&self, run: &str) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_midi"));
        cmd.env("MIDI_NO_ALSA", "1");
        cmd.env_remove("MIDI_HOME")
            .env_remove("MIDI_NO_AUTOSTART")
            .env("HOME", self.root.path())
            .env("XDG_CONFIG_HOME", self.dir("config"))
            .env("XDG_RUNTIME_DIR", self.dir(run))
            .env("NO_COLOR", "1");
        cmd
    }

    fn run(&self, run: &str, args: &[&str]) -> (i32, String, String) {
        let out = self.midi(run).args(args).output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn engine_pid(&self, run: &str) -> Option<u32> {
        midi_loopback::core::paths::engine_pid(&self.dir(run).join("midi/engine.lock"))
    }
}

impl Drop for TwoSessions {
    fn drop(&mut self) {
        for run in ["run1", "run2"] {
            let _ = self.run(run, &["service", "stop"]);
            if let Some(pid) = self.engine_pid(run) {
                // SAFETY: kill has no memory effects; the pid is an engine of this test.
                unsafe { libc::kill(pid as i32, libc::SIGKILL) };
            }
        }
    }
}

fn config_lock(s: &TwoSessions) -> PathBuf {
    s.dir("config").join("midi").join("midi.midiconfig.lock")
}

#[test]
fn one_configuration_file_has_one_engine_and_a_second_session_finds_it() {
    let s = TwoSessions::new();
    let (code, _, err) = s.run("run1", &["service", "start"]);
    assert_eq!(code, 0, "{err}");
    let first = s.engine_pid("run1").unwrap();
    let lock = std::fs::read_to_string(config_lock(&s)).unwrap();
    assert!(lock.starts_with(&format!("{first}\n")), "{lock}");

    // A second engine for the same file refuses to start, saying where the first one is.
    let (code, _, err) = s.run("run2", &["service", "run"]);
    assert_ne!(code, 0);
    assert!(
        err.contains(&format!("another engine (pid {first}")) && err.contains("engine.sock"),
        "{err}"
    );
    // Commands of the second session use the running engine instead of failing.
    let (code, out, err) = s.run(
        "run2",
        &[
            "loopback",
            "create",
            "-r",
            "Shared",
            "--persistent",
            "--json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let id: serde_json::Value = serde_json::from_str(&out).unwrap();
    let (_, listed, _) = s.run("run1", &["loopback", "list", "--json"]);
    assert!(listed.contains(id["association_id"].as_str().unwrap()));
    assert_eq!(s.engine_pid("run2"), None, "no second engine was started");
    let (code, out, _) = s.run("run2", &["service", "stop"]);
    assert_eq!(code, 0);
    assert!(out.contains(&format!("pid {first}")), "{out}");
    assert!(wait_until(Duration::from_secs(10), || s
        .engine_pid("run1")
        .is_none()));
}

#[test]
fn concurrent_persistent_creates_from_two_sessions_all_come_back() {
    let s = TwoSessions::new();
    assert_eq!(s.run("run1", &["service", "start"]).0, 0);
    let mut children = Vec::new();
    for (i, run) in ["run1", "run2", "run1", "run2"].iter().enumerate() {
        let mut cmd = s.midi(run);
        cmd.args(["loopback", "create", "--persistent", "-r"])
            .arg(format!("Session Pair {i}"));
        children.push(cmd.spawn().unwrap());
    }
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    assert_eq!(s.run("run1", &["service", "restart"]).0, 0);
    let (_, out, _) = s.run("run2", &["loopback", "list", "--json"]);
    let pairs: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(pairs.as_array().unwrap().len(), 4, "{out}");
}

#[test]
fn a_hand_edit_made_while_the_engine_runs_is_checked_before_a_persistent_create() {
    let home = TestHome::new();
    home.create("Existing", &["--persistent"]);
    // Someone adds a pair to the file by hand while the engine runs.
    let mut doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(home.config_file()).unwrap()).unwrap();
    let id = uuid::Uuid::new_v4();
    let key = format!("{{{}}}", id.hyphenated()).to_uppercase();
    let side = |s: &str| json!({ "name": format!("Piano ({s})"), "description": "", "uniqueIdentifier": id.simple().to_string() });
    doc["endpointTransportPluginSettings"][midi_loopback::core::config::LOOP_TRANSPORT_KEY]["create"]
        [&key] = json!({ "endpointA": side("A"), "endpointB": side("B") });
    std::fs::write(
        home.config_file(),
        serde_json::to_string_pretty(&doc).unwrap(),
    )
    .unwrap();

    let out = home.exec(&["loopback", "create", "-r", "Piano", "--persistent"]);
    assert_eq!(out.code, 5, "{}", out.stderr);
    assert!(
        out.stderr.contains("edited while the engine runs") && out.stderr.contains("Piano (A)"),
        "{}",
        out.stderr
    );
    // Nothing was acknowledged that would vanish: after a restart the hand-added pair is there.
    home.exec(&["service", "restart"]).success();
    let names: Vec<String> = home
        .list_json()
        .iter()
        .map(|p| p["endpoint_a"]["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, vec!["Existing (A)", "Piano (A)"]);
}
