//! The documented limits (docs/PROTOCOL.md "Limits"), each tested at its edge: the largest
//! frame, the number of clients, the number of pairs, the messages held for the future and
//! how far ahead a timestamp may lie. Under the limit everything works; one past it, the
//! engine refuses with a clear error and carries on.

mod common;

use common::{RawConn, RawRead, TestHome, frame_json, wait_until};
use midi_loopback::client::{Client, ClientError, EndpointConnection, Received};
use midi_loopback::core::clock::monotonic_ns;
use midi_loopback::core::paths::Paths;
use midi_loopback::core::protocol::{self, MAX_FRAME_BYTES, TimedMessage};
use midi_loopback::core::{ErrorKind, NameSpec, PairSpec};
use midi_loopback::engine::Limits;
use serde_json::json;
use std::time::Duration;

const WAIT: Option<Duration> = Some(Duration::from_secs(30));
/// The limits as documented.
const MAX_CLIENTS: usize = 1024;
const MAX_PAIRS: usize = 10_000;
const MAX_HELD: usize = 100_000;

fn root(name: &str) -> PairSpec {
    PairSpec {
        names: Some(NameSpec::Root(name.into())),
        ..Default::default()
    }
}

/// Receives until `n` messages arrived, failing on overflow, errors or a long silence.
fn receive_n(conn: &mut EndpointConnection, n: usize) -> Vec<TimedMessage> {
    let mut got = Vec::new();
    while got.len() < n {
        match conn.receive(WAIT) {
            Ok(Some(Received::Messages(m))) => got.extend(m),
            other => panic!("after {} of {n} messages: {other:?}", got.len()),
        }
    }
    got
}

fn one_word_payload(count: usize, timestamp: u64, first: u32) -> Vec<u8> {
    let mut payload = Vec::with_capacity(count * 12);
    for i in 0..count {
        protocol::put_message(&mut payload, timestamp, &[0x2000_0000 | (first + i as u32)]);
    }
    payload
}

#[test]
fn a_frame_of_exactly_the_limit_is_served_and_one_byte_more_closes_the_connection() {
    let home = TestHome::new();
    home.create("Big", &[]);
    let mut client = home.client();
    // A request whose frame is exactly 1 MiB (JSON padded with white space).
    let mut raw = RawConn::connect(&home.socket());
    raw.hello();
    let mut body = br#"{"id":1,"op":"ping"}"#.to_vec();
    body.resize(MAX_FRAME_BYTES - 1, b' ');
    raw.send_frame(3, &body).expect("write");
    match raw.read(Duration::from_secs(30)) {
        RawRead::Frame(4, p) => assert_eq!(frame_json(&p)["result"]["Ok"]["reply"], "pong"),
        other => panic!("a frame of exactly the limit was not served: {other:?}"),
    }
    // The biggest data frame that holds whole messages arrives whole at B.
    let mut a = home.client().open_endpoint("Big (A)").unwrap();
    let mut b = home.client().open_endpoint("Big (B)").unwrap();
    let count = (MAX_FRAME_BYTES - 1) / 12;
    a.send_payload(&one_word_payload(count, 0, 0)).unwrap();
    a.flush().expect("a full-size batch is accepted");
    let got = receive_n(&mut b, count);
    assert!(
        got.iter()
            .enumerate()
            .all(|(i, m)| m.words() == [0x2000_0000 | i as u32])
    );
    // One byte more: a refused event naming the limit, then the connection is closed.
    let mut header = ((MAX_FRAME_BYTES + 1) as u32).to_le_bytes().to_vec();
    header.push(3);
    raw.write(&header).expect("write");
    let frames = raw.until_closed(Duration::from_secs(20));
    let refused: Vec<_> = frames.iter().map(|(_, p)| frame_json(p)).collect();
    assert!(
        refused.iter().any(|e| e["event"] == "refused"
            && e["message"]
                .as_str()
                .is_some_and(|m| m.contains(&MAX_FRAME_BYTES.to_string()))),
        "{refused:?}"
    );
    client.ping().expect("the engine carries on");
    let pair = &client.list_pairs().unwrap()[0];
    assert_eq!(pair.a_to_b.messages, count as u64);
    assert_eq!(pair.a_to_b.dropped_overflow, 0);
}

/// Raises this process's open-file limit so it can hold more than a thousand connections;
/// an engine started from here inherits it.
fn allow_open_files(want: u64) {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit read and write the struct we own.
    unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) };
    if lim.rlim_cur >= want {
        return;
    }
    lim.rlim_cur = want.min(lim.rlim_max).max(lim.rlim_cur);
    if lim.rlim_max < want {
        // Only root may raise the hard limit; CI runs as root.
        lim.rlim_max = want;
        lim.rlim_cur = want;
    }
    let rc = unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) };
    assert_eq!(rc, 0, "cannot raise the open-file limit to {want}");
}

/// Greets `n` raw connections; each must be welcomed.
fn greet_many(home: &TestHome, n: usize) -> Vec<RawConn> {
    (0..n)
        .map(|_| {
            let mut raw = RawConn::connect(&home.socket());
            raw.hello();
            raw
        })
        .collect()
}

/// The next hello on a new connection: `Ok(welcome)` or why it never came.
fn try_hello(home: &TestHome) -> Result<serde_json::Value, String> {
    let mut raw = RawConn::connect(&home.socket());
    raw.send_json(1, &json!({"protocol": midi_loopback::core::protocol::PROTOCOL_VERSION, "client": "one too many"}))
        .map_err(|e| e.to_string())?;
    match raw.read(Duration::from_secs(20)) {
        RawRead::Frame(2, p) => Ok(frame_json(&p)),
        other => Err(format!("no welcome: {other:?}")),
    }
}

fn assert_client_limit_at_the_edge(home: &TestHome) {
    let mut client = home.client(); // one of the 1,024
    let mut conns = greet_many(home, MAX_CLIENTS - 1);
    assert_eq!(client.status().unwrap().clients, (MAX_CLIENTS - 1) as u64);
    // The 1,025th is refused in the welcome, with the reason, and the others carry on.
    let welcome = try_hello(home).expect("the client past the limit hears why");
    let reason = welcome["refused"].as_str().unwrap_or_else(|| {
        panic!("client {} was accepted: {welcome}", MAX_CLIENTS + 1);
    });
    assert!(reason.contains(&MAX_CLIENTS.to_string()), "{reason}");
    // The library says so as an `unreachable` error, not a hang.
    match Client::connect(&home.options()) {
        Err(e @ ClientError::Refused { .. }) => assert_eq!(e.kind(), ErrorKind::Unreachable),
        Err(e) => panic!("expected a refusal, got {e}"),
        Ok(_) => panic!("client {} was accepted", MAX_CLIENTS + 1),
    }
    client.ping().expect("a connected client carries on");
    // A freed place can be taken again.
    drop(conns.pop());
    let freed = wait_until(Duration::from_secs(20), || {
        client.status().unwrap().clients == (MAX_CLIENTS - 2) as u64
    });
    assert!(freed, "the engine did not notice a client leaving");
    let welcome = try_hello(home).expect("welcome");
    assert!(welcome["refused"].is_null(), "{welcome}");
}

#[test]
fn the_client_limit_refuses_the_next_handshake_with_a_reason() {
    allow_open_files(4096);
    let home = TestHome::new();
    assert_client_limit_at_the_edge(&home);
}

#[test]
fn the_client_limit_holds_for_an_engine_started_with_a_soft_limit_of_1024_open_files() {
    // 1,024 open files is the usual soft limit of a login session; the engine needs more
    // than that to keep its promise of 1,024 clients, and must see to it itself.
    allow_open_files(4096);
    let home = TestHome::new();
    let mut start = std::process::Command::new(env!("CARGO_BIN_EXE_midi"));
    start
        .args(["service", "start"])
        .env("MIDI_HOME", home.path())
        .env("MIDI_NO_ALSA", "1")
        .env("NO_COLOR", "1");
    use std::os::unix::process::CommandExt;
    // SAFETY: setrlimit is async-signal-safe; it only lowers the soft limit of the child.
    unsafe {
        start.pre_exec(|| {
            let mut lim = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim);
            lim.rlim_cur = 1024;
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
            Ok(())
        });
    }
    let out = start.output().expect("midi service start");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_client_limit_at_the_edge(&home);
}

/// An engine run inside this test process with its own limits, so a limit can be reached
/// in a moment instead of with thousands of pairs (the `midi` binary always runs with the
/// documented defaults, checked in `the_documented_limits_are_the_defaults`).
struct InProcessEngine {
    home: TestHome,
    thread: Option<std::thread::JoinHandle<Result<(), midi_loopback::engine::EngineError>>>,
}

impl InProcessEngine {
    fn start(limits: Limits) -> InProcessEngine {
        let home = TestHome::new();
        let paths = Paths::resolve(Some(home.path())).expect("paths");
        let thread = std::thread::spawn(move || {
            let alsa = midi_loopback::engine::AlsaRequest::Off("an in-process test engine".into());
            midi_loopback::engine::run_with(&paths, limits, alsa)
        });
        let engine = InProcessEngine {
            home,
            thread: Some(thread),
        };
        let opts = engine.options();
        let up = wait_until(Duration::from_secs(20), || {
            matches!(Client::connect_running(&opts), Ok(Some(_)))
        });
        assert!(up, "the in-process engine did not start");
        engine
    }

    fn options(&self) -> midi_loopback::client::ClientOptions {
        let mut o = self.home.options();
        o.autostart = false;
        o
    }

    fn client(&self) -> Client {
        Client::connect(&self.options()).expect("connect")
    }
}

impl Drop for InProcessEngine {
    fn drop(&mut self) {
        if let Ok(Some(c)) = Client::connect_running(&self.options()) {
            let _ = c.shutdown();
        }
        if let Some(t) = self.thread.take() {
            let result = t.join().expect("the engine thread panicked");
            if !std::thread::panicking() {
                result.expect("the engine stopped with an error");
            }
        }
    }
}

#[test]
fn the_documented_limits_are_the_defaults() {
    let d = Limits::default();
    assert_eq!(d.max_clients, MAX_CLIENTS);
    assert_eq!(d.max_pairs, MAX_PAIRS);
    assert_eq!(d.receiver_queue_bytes, 4 << 20);
    assert_eq!(MAX_FRAME_BYTES, 1 << 20);
    assert_eq!(
        midi_loopback::core::clock::MAX_SCHEDULE_AHEAD_NS,
        300 * 1_000_000_000
    );
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/PROTOCOL.md"))
        .expect("docs/PROTOCOL.md");
    for row in [
        "| 1 MiB |",
        "| 4 MiB |",
        "| 1,024 |",
        "| 10,000 |",
        "| 100,000 |",
        "| 300 s |",
    ] {
        assert!(
            doc.contains(row),
            "docs/PROTOCOL.md lost the limit row {row}"
        );
    }
}

#[test]
fn the_pair_limit_refuses_the_next_create_with_a_reason_and_leaves_the_file_alone() {
    let limit = 25;
    let engine = InProcessEngine::start(Limits {
        max_pairs: limit,
        ..Limits::default()
    });
    let mut client = engine.client();
    for i in 0..limit {
        let mut spec = root(&format!("P{i}"));
        spec.persistent = i % 2 == 0;
        client
            .create(&spec)
            .unwrap_or_else(|e| panic!("pair {i} of {limit}: {e}"));
    }
    let file_before = std::fs::read(engine.home.config_file()).expect("config");
    for persistent in [false, true] {
        let mut spec = root("One too many");
        spec.persistent = persistent;
        let err = client
            .create(&spec)
            .expect_err("a pair past the limit was created");
        assert_eq!(err.kind(), ErrorKind::Failed);
        assert!(err.to_string().contains(&format!("{limit} pairs")), "{err}");
    }
    assert_eq!(
        std::fs::read(engine.home.config_file()).unwrap(),
        file_before,
        "a refused create touched the file"
    );
    assert_eq!(client.list_pairs().unwrap().len(), limit);
    // Removing one makes room again.
    let first = client.list_pairs().unwrap()[0].association_id;
    client.remove_pair(first).unwrap();
    client.create(&root("One too many")).expect("room again");
    assert_eq!(client.status().unwrap().pairs.total, limit as u64);
}

/// Kills the engine of a home if it outlives the test (one still loading a big file does not
/// answer `service stop`).
struct KillEngineOnDrop<'a>(&'a TestHome);

impl Drop for KillEngineOnDrop<'_> {
    fn drop(&mut self) {
        self.0.stop_engine();
        for pid in common::live_engine_pids(self.0.path()) {
            // SAFETY: kill only sends a signal to the engine this test started.
            unsafe { libc::kill(pid as i32, libc::SIGKILL) };
        }
    }
}

#[test]
fn an_engine_whose_file_holds_the_most_pairs_starts_in_time_and_refuses_one_more() {
    // The file may hold as many pairs as the engine does; starting with all of them must fit
    // in the time a client waits for a new engine (10 s), and the limit then holds.
    let home = TestHome::new();
    let _guard = KillEngineOnDrop(&home);
    let mut create = serde_json::Map::new();
    for i in 0..MAX_PAIRS {
        let id = uuid::Uuid::new_v4();
        let side = |s: &str| json!({ "name": format!("P{i} ({s})"), "description": "", "uniqueIdentifier": id.simple().to_string() });
        create.insert(
            format!("{{{}}}", id.hyphenated()).to_uppercase(),
            json!({ "endpointA": side("A"), "endpointB": side("B"), "muted": false }),
        );
    }
    let doc = json!({
        "header": { "product": "midi", "fileVersion": 1 },
        "endpointTransportPluginSettings": {
            midi_loopback::core::config::LOOP_TRANSPORT_KEY: { "create": create }
        }
    });
    std::fs::write(home.config_file(), doc.to_string()).unwrap();
    let started = std::time::Instant::now();
    let out = home.exec(&["service", "start"]);
    eprintln!(
        "an engine with {MAX_PAIRS} stored pairs answered after {:?}",
        started.elapsed()
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let mut client = home.client();
    assert_eq!(client.status().unwrap().pairs.persistent, MAX_PAIRS as u64);
    let err = client
        .create(&root("One too many"))
        .expect_err("pair 10,001 was created");
    assert_eq!(err.kind(), ErrorKind::Failed);
    assert!(err.to_string().contains("10000 pairs"), "{err}");
}

#[test]
fn every_pair_can_be_listed_when_there_are_many_with_long_names() {
    // Well under the 10,000-pair limit, but with names and descriptions as long as the rules
    // allow: `list` (and everything built on it) must still work.
    let home = TestHome::new();
    let mut client = home.client();
    let count = 1500;
    for i in 0..count {
        let spec = PairSpec {
            names: Some(NameSpec::Root(format!("{i:04}{}", "x".repeat(90)))),
            description: Some("d".repeat(500)),
            ..Default::default()
        };
        client
            .create(&spec)
            .unwrap_or_else(|e| panic!("pair {i}: {e}"));
    }
    let pairs = client
        .list_pairs()
        .expect("listing 1,500 pairs through the library");
    assert_eq!(pairs.len(), count);
    let out = home.exec(&["loopback", "list", "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.json().as_array().map(Vec::len), Some(count));
}

/// Sends `count` one-word messages due at `due` in frames of at most 50,000, then flushes.
fn hold(a: &mut EndpointConnection, count: usize, due: u64, first: u32) {
    let mut sent = 0;
    while sent < count {
        let n = (count - sent).min(50_000);
        a.send_payload(&one_word_payload(n, due, first + sent as u32))
            .unwrap();
        sent += n;
    }
    a.flush()
        .expect("held messages under the limit are accepted");
}

#[test]
fn one_hundred_thousand_held_messages_are_accepted_and_one_more_is_refused_whole() {
    let home = TestHome::new();
    home.create("Held", &[]);
    let mut a = home.client().open_endpoint("Held (A)").unwrap();
    let mut b = home.client().open_endpoint("Held (B)").unwrap();
    let far = monotonic_ns() + 250 * 1_000_000_000;
    hold(&mut a, MAX_HELD, far, 0);
    // One more held message: refused, with the limit in the reason.
    a.send_at(far, &[0x2090_3C64]).unwrap();
    let err = a.flush().expect_err("message 100,001 was held");
    assert!(err.to_string().contains("100000"), "{err}");
    // A batch with one message for now and one for later is refused whole.
    let mut mixed = Vec::new();
    protocol::put_message(&mut mixed, 0, &[0x2090_3C01]);
    protocol::put_message(&mut mixed, far, &[0x2090_3C02]);
    a.send_payload(&mixed).unwrap();
    assert!(
        a.flush().is_err(),
        "a batch over the limit was partly accepted"
    );
    // Messages for now still pass; only the one sent after the refusals arrives.
    a.send(&[0x2090_3C03]).unwrap();
    a.flush().unwrap();
    let got = receive_n(&mut b, 1);
    assert_eq!(got[0].words(), &[0x2090_3C03], "a refused batch leaked");
    let pair = &home.client().list_pairs().unwrap()[0];
    assert_eq!(pair.a_to_b.refused, 2);
    assert_eq!(pair.a_to_b.messages, MAX_HELD as u64 + 1);
}

#[test]
fn the_most_held_messages_falling_due_together_arrive_whole_and_in_order() {
    // 100,000 held messages (the limit), all due at the same instant: they must reach the
    // receiver intact, however the engine batches them.
    let home = TestHome::new();
    home.create("Burst", &[]);
    let mut a = home.client().open_endpoint("Burst (A)").unwrap();
    let mut b = home.client().open_endpoint("Burst (B)").unwrap();
    let due = monotonic_ns() + 2_000_000_000;
    hold(&mut a, MAX_HELD, due, 0);
    let got = receive_n(&mut b, MAX_HELD);
    assert!(monotonic_ns() >= due);
    for (i, m) in got.iter().enumerate() {
        assert_eq!(m.words(), &[0x2000_0000 | i as u32], "message {i}");
        assert_eq!(m.timestamp, due);
    }
    let pair = &home.client().list_pairs().unwrap()[0];
    assert_eq!(pair.a_to_b.dropped_overflow, 0);
}

#[test]
fn a_timestamp_up_to_300_s_ahead_is_held_and_further_is_refused() {
    let home = TestHome::new();
    home.create("Ahead", &[]);
    let mut a = home.client().open_endpoint("Ahead (A)").unwrap();
    let mut b = home.client().open_endpoint("Ahead (B)").unwrap();
    let now = monotonic_ns();
    a.send_at(now + 299 * 1_000_000_000, &[0x2090_3C01])
        .unwrap();
    a.flush().expect("299 s ahead is held");
    a.send_at(monotonic_ns() + 301 * 1_000_000_000, &[0x2090_3C02])
        .unwrap();
    let err = a.flush().expect_err("301 s ahead was accepted");
    assert!(err.to_string().contains("300 s"), "{err}");
    // A refused far-future message in a batch takes the whole batch with it.
    let mut mixed = Vec::new();
    protocol::put_message(&mut mixed, 0, &[0x2090_3C03]);
    protocol::put_message(&mut mixed, u64::MAX, &[0x2090_3C04]);
    a.send_payload(&mixed).unwrap();
    assert!(a.flush().is_err());
    a.send(&[0x2090_3C05]).unwrap();
    a.flush().unwrap();
    let got = receive_n(&mut b, 1);
    assert_eq!(got[0].words(), &[0x2090_3C05], "nothing else arrives now");
    let pair = &home.client().list_pairs().unwrap()[0];
    assert_eq!(pair.a_to_b.refused, 2);
}
