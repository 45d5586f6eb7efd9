//! Two engines (two state roots) joined over Network MIDI 2.0 on 127.0.0.1 through
//! `midi network host` and `midi network connect`: messages of every size both ways, in
//! order and none lost; 64 KB of SysEx intact; a shared secret accepted and refused; a peer
//! that disappears times out, and a client that keeps trying comes back; list and stop.

mod common;

use common::{Outcome, TestHome, attached_clients, wait_until};
use midi_loopback::client::{EndpointConnection, Received};
use midi_loopback::core::protocol;
use serde_json::Value;
use std::time::{Duration, Instant};

/// A guard against a hang, not a measurement.
const PATIENCE: Duration = Duration::from_secs(30);

fn midi(home: &TestHome, env: &[(&str, &str)], args: &[&str]) -> Outcome {
    common::network_midi(home, env, args)
}

/// Creates `Remote (A)` / `(B)` in `remote` and returns `network connect ADDR --endpoint
/// "Remote (A)" EXTRA…` for it, to try one set of credentials after another.
fn remote_connector<'a>(remote: &'a TestHome, addr: &'a str) -> impl Fn(&[&str]) -> Outcome + 'a {
    midi(
        remote,
        &[],
        &["loopback", "create", "--root-name", "Remote"],
    )
    .success();
    move |extra: &[&str]| {
        let mut args = vec!["network", "connect", addr, "--endpoint", "Remote (A)"];
        args.extend_from_slice(extra);
        midi(remote, &[], &args)
    }
}

/// Creates `ROOT (A)`/`ROOT (B)` in `home`, hosts `ROOT (A)` and returns the port.
fn host(home: &TestHome, env: &[(&str, &str)], root: &str, extra: &[&str]) -> u16 {
    midi(home, env, &["loopback", "create", "--root-name", root]).success();
    let endpoint = format!("{root} (A)");
    let mut args = vec!["network", "host", endpoint.as_str(), "--json"];
    args.extend_from_slice(extra);
    if !extra.contains(&"--port") {
        args.extend_from_slice(&["--port", "0"]);
    }
    let out = midi(home, env, &args);
    out.success();
    let listen = out.json()["listen"].as_str().expect("listen").to_string();
    listen.rsplit_once(':').unwrap().1.parse().expect("a port")
}

fn list(home: &TestHome) -> Value {
    let out = midi(home, &[], &["network", "list", "--json"]);
    out.success();
    out.json()
}

/// Two engines: `Stage (A)` hosted in the first, `Remote (A)` joined to it in the second.
/// Local applications use `Stage (B)` and `Remote (B)`.
struct Link {
    stage: TestHome,
    remote: TestHome,
}

fn link() -> Link {
    let stage = TestHome::new();
    let remote = TestHome::new();
    let port = host(&stage, &[], "Stage", &[]);
    let addr = format!("127.0.0.1:{port}");
    let out = midi(
        &remote,
        &[],
        &[
            "network",
            "connect",
            &addr,
            "--root-name",
            "Remote",
            "--json",
        ],
    );
    out.success();
    assert_eq!(out.json()["state"], "up");
    assert_eq!(out.json()["endpoint"], "Remote (A)");
    // The host attaches its session when the handshake ends on its side.
    assert!(wait_until(PATIENCE, || attached_clients(
        &stage,
        "Stage (A)"
    ) == 1));
    assert_eq!(attached_clients(&remote, "Remote (A)"), 1);
    Link { stage, remote }
}

/// `n` messages of 1, 2 and 4 words in turn, each carrying its index.
fn numbered(n: u32) -> Vec<Vec<u32>> {
    (0..n)
        .map(|i| match i % 4 {
            0 => vec![0x2090_0000 | (i & 0x7F) << 8 | 0x40],
            1 => vec![0x4090_0000 | (i & 0x7F) << 8, i],
            2 => vec![0x5000_0000, i, !i, i ^ 0x5555_5555],
            _ => vec![0x0010_0000 | (i & 0xFFFF)],
        })
        .collect()
}

/// Collects messages at `to` until `n` have arrived.
fn receive(to: &mut EndpointConnection, n: usize) -> Vec<Vec<u32>> {
    let deadline = Instant::now() + PATIENCE;
    let mut got = Vec::new();
    while got.len() < n && Instant::now() < deadline {
        match to
            .receive(Some(Duration::from_millis(200)))
            .expect("receive")
        {
            Some(Received::Messages(ms)) => got.extend(ms.iter().map(|m| m.words().to_vec())),
            Some(Received::Overflow { dropped }) => panic!("{dropped} messages dropped"),
            None => {}
        }
    }
    got
}

fn send_all(from: &mut EndpointConnection, messages: &[Vec<u32>]) {
    let mut payload = Vec::new();
    for chunk in messages.chunks(100) {
        payload.clear();
        for m in chunk {
            protocol::put_message(&mut payload, 0, m);
        }
        from.send_payload(&payload).expect("send");
    }
    from.flush().expect("the engine took every message");
}

#[test]
fn messages_of_every_size_cross_both_ways_in_order() {
    let l = link();
    let mut stage_b = l.stage.client().open_endpoint("Stage (B)").unwrap();
    let mut remote_b = l.remote.client().open_endpoint("Remote (B)").unwrap();
    let messages = numbered(2_000);

    send_all(&mut remote_b, &messages);
    assert_eq!(receive(&mut stage_b, messages.len()), messages);

    send_all(&mut stage_b, &messages);
    assert_eq!(receive(&mut remote_b, messages.len()), messages);

    // Nothing more arrives: no duplicates.
    let extra = stage_b.receive(Some(Duration::from_millis(300))).unwrap();
    assert!(extra.is_none(), "unexpected extra messages: {extra:?}");

    let sessions = list(&l.stage);
    let session = &sessions["hosts"][0]["sessions"][0];
    assert_eq!(session["remote_name"], "Remote (A)");
    assert_eq!(session["messages_received"], 2_000);
    assert_eq!(session["messages_sent"], 2_000);
}

/// SysEx7 packets (start, continue…, end) carrying `len` bytes.
fn sysex7(len: usize) -> Vec<Vec<u32>> {
    let data: Vec<u8> = (0..len).map(|i| (i * 13 % 128) as u8).collect();
    let chunks: Vec<&[u8]> = data.chunks(6).collect();
    let last = chunks.len() - 1;
    chunks
        .iter()
        .enumerate()
        .map(|(i, chunk)| {
            let status: u32 = match i {
                0 => 1,
                i if i == last => 3,
                _ => 2,
            };
            let mut b = [0u8; 6];
            b[..chunk.len()].copy_from_slice(chunk);
            vec![
                0x3000_0000
                    | status << 20
                    | (chunk.len() as u32) << 16
                    | u32::from(b[0]) << 8
                    | u32::from(b[1]),
                u32::from_be_bytes([b[2], b[3], b[4], b[5]]),
            ]
        })
        .collect()
}

#[test]
fn sixty_four_kilobytes_of_sysex_arrive_intact() {
    let l = link();
    let mut stage_b = l.stage.client().open_endpoint("Stage (B)").unwrap();
    let mut remote_b = l.remote.client().open_endpoint("Remote (B)").unwrap();
    let sysex = sysex7(65_536);
    send_all(&mut stage_b, &sysex);
    assert_eq!(receive(&mut remote_b, sysex.len()), sysex);
    send_all(&mut remote_b, &sysex);
    assert_eq!(receive(&mut stage_b, sysex.len()), sysex);
}

#[test]
fn a_shared_secret_is_accepted_and_a_wrong_or_missing_one_refused() {
    let stage = TestHome::new();
    let remote = TestHome::new();
    let right = stage.path().join("right.secret");
    let wrong = stage.path().join("wrong.secret");
    std::fs::write(&right, "open sesame\n").unwrap();
    std::fs::write(&wrong, "open barley\n").unwrap();
    let (right, wrong) = (right.to_str().unwrap(), wrong.to_str().unwrap());
    let port = host(&stage, &[], "Stage", &["--secret-file", right]);
    let addr = format!("127.0.0.1:{port}");
    let connect = remote_connector(&remote, &addr);

    let refused = connect(&["--secret-file", wrong]);
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("authentication failed"),
        "{}",
        refused.stderr
    );

    let missing = connect(&[]);
    assert_eq!(missing.code, 1, "{}", missing.stderr);
    assert!(
        missing.stderr.contains("requires a shared secret"),
        "{}",
        missing.stderr
    );
    assert_eq!(attached_clients(&stage, "Stage (A)"), 0);
    assert!(list(&remote)["clients"].as_array().unwrap().is_empty());

    let accepted = connect(&["--secret-file", right, "--json"]);
    accepted.success();
    assert_eq!(accepted.json()["state"], "up");
    assert!(wait_until(PATIENCE, || attached_clients(
        &stage,
        "Stage (A)"
    ) == 1));

    // The secret went nowhere it could be read.
    let shown = [refused, missing, accepted];
    let logs = stage.log_text() + &remote.log_text();
    for text in shown
        .iter()
        .flat_map(|o| [&o.stdout, &o.stderr])
        .chain([&logs])
    {
        assert!(
            !text.contains("sesame") && !text.contains("barley"),
            "{text}"
        );
    }
}

/// A UDP port that was free a moment ago.
fn free_port() -> u16 {
    let s = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    s.local_addr().unwrap().port()
}

fn kill(home: &TestHome) {
    let pid = home.engine_pid().expect("an engine runs");
    // SAFETY: kill has no memory effects; the pid is the engine this home locked.
    unsafe { libc::kill(pid as i32, libc::SIGKILL) };
    assert!(wait_until(PATIENCE, || home.engine_pid().is_none()));
}

/// Short timeouts, so a dead peer is noticed soon (the test waits for it, never times it).
const QUICK: &[(&str, &str)] = &[("MIDI_NETWORK_TIMEOUT_MS", "1000")];

#[test]
fn a_vanished_client_times_out_and_the_host_forgets_it() {
    let stage = TestHome::new();
    let remote = TestHome::new();
    let port = host(&stage, QUICK, "Stage", &[]);
    let addr = format!("127.0.0.1:{port}");
    midi(
        &remote,
        QUICK,
        &["network", "connect", &addr, "--root-name", "Remote"],
    )
    .success();
    assert!(wait_until(PATIENCE, || attached_clients(
        &stage,
        "Stage (A)"
    ) == 1));

    kill(&remote); // no bye: only the silence tells
    assert!(wait_until(PATIENCE, || attached_clients(
        &stage,
        "Stage (A)"
    ) == 0));
    let hosts = &list(&stage)["hosts"];
    assert_eq!(hosts[0]["sessions"].as_array().unwrap().len(), 0);
}

#[test]
fn a_client_that_keeps_trying_reconnects_when_the_host_returns() {
    let stage = TestHome::new();
    let remote = TestHome::new();
    let port = free_port().to_string();
    host(&stage, QUICK, "Stage", &["--port", &port]);
    let addr = format!("127.0.0.1:{port}");
    midi(
        &remote,
        QUICK,
        &[
            "network",
            "connect",
            &addr,
            "--root-name",
            "Remote",
            "--retry",
        ],
    )
    .success();
    let state = |home: &TestHome| list(home)["clients"][0]["state"].clone();
    assert_eq!(state(&remote), "up");

    kill(&stage);
    assert!(wait_until(PATIENCE, || state(&remote) == "connecting"));
    // Timed out (the host said no bye), and perhaps already tried again since.
    let error = list(&remote)["clients"][0]["last_error"].clone();
    let error = error.as_str().unwrap_or_default();
    assert!(
        error.contains("stopped answering") || error.contains("no Network MIDI host answered"),
        "{error}"
    );

    host(&stage, QUICK, "Stage", &["--port", &port]);
    assert!(wait_until(PATIENCE, || state(&remote) == "up"));
    assert!(wait_until(PATIENCE, || attached_clients(
        &stage,
        "Stage (A)"
    ) == 1));
    // The session is whole again: a note crosses.
    let mut stage_b = stage.client().open_endpoint("Stage (B)").unwrap();
    let mut remote_b = remote.client().open_endpoint("Remote (B)").unwrap();
    send_all(&mut remote_b, &[vec![0x2090_3C64]]);
    assert_eq!(receive(&mut stage_b, 1), vec![vec![0x2090_3C64]]);
}

#[test]
fn an_unreachable_host_exits_3_and_stop_ends_sessions() {
    let l = link();
    let nobody = format!("127.0.0.1:{}", free_port());
    let out = midi(
        &l.remote,
        &[],
        &["network", "connect", &nobody, "--endpoint", "Remote (B)"],
    );
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(
        out.stderr.contains("no Network MIDI host answered"),
        "{}",
        out.stderr
    );

    let text = midi(&l.stage, &[], &["network", "list"]);
    text.success();
    assert!(
        text.stdout.contains("Stage (A)") && text.stdout.contains("1 client"),
        "{}",
        text.stdout
    );

    let status = midi(&l.stage, &[], &["service", "status"]);
    status.success();
    assert!(
        status.stdout.contains("host \"Stage (A)\""),
        "{}",
        status.stdout
    );
    let status = midi(&l.remote, &[], &["service", "status", "--json"]);
    status.success();
    assert_eq!(status.json()["network"]["clients"][0]["state"], "up");

    let props = midi(&l.stage, &[], &["endpoint", "properties", "Stage (A)"]);
    props.success();
    assert!(
        props.stdout.contains("hosted on 127.0.0.1:"),
        "{}",
        props.stdout
    );
    let props = midi(
        &l.remote,
        &[],
        &["endpoint", "properties", "Remote (A)", "--json"],
    );
    props.success();
    let line = props.json()["network"][0]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        line.starts_with("client of 127.0.0.1:") && line.ends_with("(up)"),
        "{line}"
    );

    let none = midi(&l.remote, &[], &["network", "stop", "Nowhere (A)"]);
    assert_eq!(none.code, 4, "{}", none.stderr);

    let stopped = midi(&l.remote, &[], &["network", "stop", "Remote (A)", "--json"]);
    stopped.success();
    assert_eq!(stopped.json()["clients"][0]["endpoint"], "Remote (A)");
    // The bye reaches the host, which lets go of the session.
    assert!(wait_until(PATIENCE, || attached_clients(
        &l.stage,
        "Stage (A)"
    ) == 0));

    let host_stopped = midi(&l.stage, &[], &["network", "stop", "Stage (A)"]);
    host_stopped.success();
    assert!(
        host_stopped.stdout.contains("Stopped hosting"),
        "{}",
        host_stopped.stdout
    );
    assert!(list(&l.stage)["hosts"].as_array().unwrap().is_empty());
}

#[test]
fn hosting_a_wider_address_warns_and_bad_input_is_explained() {
    let home = TestHome::new();
    midi(&home, &[], &["loopback", "create", "--root-name", "Stage"]).success();
    let wide = midi(
        &home,
        &[],
        &[
            "network",
            "host",
            "Stage (A)",
            "--bind",
            "0.0.0.0",
            "--port",
            "0",
            "--no-advertise",
        ],
    );
    wide.success();
    assert!(
        wide.stderr.contains("reachable from other machines"),
        "{}",
        wide.stderr
    );
    assert!(wide.stdout.contains("Hosting"), "{}", wide.stdout);

    let twice = midi(&home, &[], &["network", "host", "Stage (A)", "--port", "0"]);
    assert_eq!(twice.code, 5, "{}", twice.stderr);

    let missing = midi(
        &home,
        &[],
        &["network", "host", "Nowhere (A)", "--port", "0"],
    );
    assert_eq!(missing.code, 4, "{}", missing.stderr);

    let no_file = midi(
        &home,
        &[],
        &[
            "network",
            "host",
            "Stage (B)",
            "--secret-file",
            "/nonexistent/secret",
        ],
    );
    assert_eq!(no_file.code, 2, "{}", no_file.stderr);
    assert!(
        no_file.stderr.contains("cannot read the secret file"),
        "{}",
        no_file.stderr
    );

    let bad_port = midi(&home, &[], &["network", "connect", "127.0.0.1:http"]);
    assert_eq!(bad_port.code, 2, "{}", bad_port.stderr);
}

/// A UDP relay between a client and a host that drops about 10 % of the datagrams and swaps
/// about 10 % with the one after (reordering), in both directions. Returns its address and
/// a handle that stops it and gives (forwarded, dropped, reordered).
fn lossy_relay(
    host: std::net::SocketAddr,
) -> (std::net::SocketAddr, impl FnOnce() -> (u64, u64, u64)) {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(20)))
        .unwrap();
    let addr = socket.local_addr().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let stopping = stop.clone();
    let thread = std::thread::spawn(move || {
        let mut rng: u64 = 0x5EED_1234_ABCD_0001;
        let mut roll = move || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng % 100
        };
        let (mut forwarded, mut dropped, mut reordered) = (0u64, 0u64, 0u64);
        let mut client: Option<std::net::SocketAddr> = None;
        let mut held: Option<(Vec<u8>, std::net::SocketAddr)> = None;
        let mut buf = vec![0u8; 65_536];
        while !stopping.load(Ordering::Relaxed) {
            let (n, from) = match socket.recv_from(&mut buf) {
                Ok(got) => got,
                Err(_) => {
                    // Quiet: a held datagram goes now.
                    if let Some((bytes, to)) = held.take() {
                        let _ = socket.send_to(&bytes, to);
                    }
                    continue;
                }
            };
            let to = if from == host {
                match client {
                    Some(c) => c,
                    None => continue,
                }
            } else {
                client = Some(from);
                host
            };
            match roll() {
                0..10 => dropped += 1,
                10..20 if held.is_none() => {
                    reordered += 1;
                    held = Some((buf[..n].to_vec(), to));
                }
                _ => {
                    forwarded += 1;
                    let _ = socket.send_to(&buf[..n], to);
                    if let Some((bytes, to)) = held.take() {
                        let _ = socket.send_to(&bytes, to);
                    }
                }
            }
        }
        (forwarded, dropped, reordered)
    });
    let finish = move || {
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        thread.join().unwrap()
    };
    (addr, finish)
}

/// Asserts that every message came, in order, naming the first that did not.
fn same(got: &[Vec<u32>], want: &[Vec<u32>]) {
    let first_wrong = got.iter().zip(want).position(|(g, w)| g != w);
    assert!(
        first_wrong.is_none() && got.len() == want.len(),
        "{} of {} messages arrived; the first out of place is number {first_wrong:?}",
        got.len(),
        want.len()
    );
}

#[test]
fn through_a_relay_that_drops_and_reorders_nothing_is_lost_or_repeated() {
    let stage = TestHome::new();
    let remote = TestHome::new();
    let port = host(&stage, &[], "Stage", &[]);
    let (relay, finish) = lossy_relay(format!("127.0.0.1:{port}").parse().unwrap());
    let out = midi(
        &remote,
        &[],
        &[
            "network",
            "connect",
            &relay.to_string(),
            "--root-name",
            "Remote",
        ],
    );
    out.success();
    assert!(wait_until(PATIENCE, || attached_clients(
        &stage,
        "Stage (A)"
    ) == 1));
    let mut stage_b = stage.client().open_endpoint("Stage (B)").unwrap();
    let mut remote_b = remote.client().open_endpoint("Remote (B)").unwrap();

    // 5,000 messages a second: 50 every 10 ms, for a second, each way.
    let messages = numbered(5_000);
    let paced = |from: &mut EndpointConnection| {
        for chunk in messages.chunks(50) {
            send_all(from, chunk);
            std::thread::sleep(Duration::from_millis(10));
        }
    };
    paced(&mut remote_b);
    same(&receive(&mut stage_b, messages.len()), &messages);
    paced(&mut stage_b);
    same(&receive(&mut remote_b, messages.len()), &messages);
    let extra = remote_b.receive(Some(Duration::from_millis(300))).unwrap();
    assert!(extra.is_none(), "unexpected extra messages: {extra:?}");

    let (forwarded, dropped, reordered) = finish();
    eprintln!("relay: {forwarded} datagrams forwarded, {dropped} dropped, {reordered} reordered");
    assert!(
        dropped > 0 && reordered > 0,
        "the relay lost nothing: not a test"
    );
    // What each side recovered, by FEC or reordering (filled late) and by retransmission;
    // the counters are read a moment after the traffic.
    let recovered = |r: &Value| {
        r["filled_late"].as_u64().unwrap_or(0) + r["retransmit_recovered"].as_u64().unwrap_or(0)
    };
    let host_side = || list(&stage)["hosts"][0]["sessions"][0]["recovery"].clone();
    let client_side = || list(&remote)["clients"][0]["recovery"].clone();
    assert!(wait_until(PATIENCE, || recovered(&host_side())
        + recovered(&client_side())
        > 0));
    eprintln!("host recovered: {}", host_side());
    eprintln!("client recovered: {}", client_side());
    assert_eq!(host_side()["lost"], 0);
    assert_eq!(client_side()["lost"], 0);
}

/// The independent Python peer (`tests/netmidi/peer.py`), killed and reaped however the test
/// ends, its progress lines read on a thread.
struct PythonPeer {
    child: std::process::Child,
    lines: std::sync::mpsc::Receiver<Value>,
}

impl Drop for PythonPeer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl PythonPeer {
    /// `None` (with a note saying why) where python3 is missing.
    fn start(args: &[&str]) -> Option<PythonPeer> {
        use std::io::BufRead;
        use std::process::{Command, Stdio};
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/netmidi/peer.py");
        let Ok(mut child) = Command::new("python3")
            .arg(script)
            .args(args)
            .stdout(Stdio::piped())
            .spawn()
        else {
            eprintln!("SKIPPED: python3 is not installed, so the independent peer cannot run");
            return None;
        };
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
            {
                let value = serde_json::from_str(&line).unwrap_or(Value::String(line));
                if tx.send(value).is_err() {
                    break;
                }
            }
        });
        Some(PythonPeer { child, lines })
    }

    /// The next line reporting `event`; a violation the peer found fails the test.
    fn until(&self, event: &str) -> Value {
        loop {
            let line = self.lines.recv_timeout(PATIENCE).expect("the peer reports");
            assert_ne!(
                line["event"], "error",
                "the Python peer found a violation: {line}"
            );
            if line["event"] == event {
                return line;
            }
        }
    }

    fn exits_cleanly(mut self) {
        let status = self.child.wait().expect("wait for the peer");
        assert!(status.success(), "the Python peer exited with {status}");
    }
}

const PEER_SECRET: &str = "peer secret";
const NOTE_ON: [u32; 2] = [0x4090_3C00, 0xC000_0000];
const NOTE_OFF: [u32; 2] = [0x4080_3C00, 0x0000_0000];

fn hex(words: &[u32]) -> String {
    let hex: Vec<String> = words.iter().map(|w| format!("{w:08x}")).collect();
    hex.join(",")
}

fn words_of(line: &Value) -> Vec<u32> {
    let words = line["words"].as_array().expect("words");
    words.iter().map(|w| w.as_u64().unwrap() as u32).collect()
}

#[test]
fn the_python_client_joins_an_engine_host() {
    let stage = TestHome::new();
    let secret = stage.path().join("peer.secret");
    std::fs::write(&secret, PEER_SECRET).unwrap();
    let port = host(
        &stage,
        &[],
        "Stage",
        &["--secret-file", secret.to_str().unwrap()],
    );
    let mut stage_b = stage.client().open_endpoint("Stage (B)").unwrap();
    let port = port.to_string();
    let note_on = hex(&NOTE_ON);
    let args = [
        "client",
        "127.0.0.1",
        &port,
        "--secret",
        PEER_SECRET,
        "--send",
        &note_on,
        "--expect",
        "2",
    ];
    let Some(peer) = PythonPeer::start(&args) else {
        return;
    };
    peer.until("up");
    // Its note went out on Stage (A) and arrives at Stage (B); ours goes back to it.
    assert_eq!(receive(&mut stage_b, 1), vec![NOTE_ON.to_vec()]);
    send_all(&mut stage_b, &[NOTE_OFF.to_vec()]);
    assert_eq!(words_of(&peer.until("ump")), NOTE_OFF);
    peer.until("done");
    peer.exits_cleanly();
    // It said bye: the host lets go of its session.
    assert!(wait_until(PATIENCE, || attached_clients(
        &stage,
        "Stage (A)"
    ) == 0));
}

#[test]
fn an_engine_client_joins_the_python_host() {
    let remote = TestHome::new();
    let note_off = hex(&NOTE_OFF);
    let args = [
        "host",
        "--secret",
        PEER_SECRET,
        "--send",
        &note_off,
        "--expect",
        "2",
    ];
    let Some(peer) = PythonPeer::start(&args) else {
        return;
    };
    let port = peer.until("listening")["port"].as_u64().expect("a port");
    let secret = remote.path().join("peer.secret");
    std::fs::write(&secret, format!("{PEER_SECRET}\n")).unwrap();
    let addr = format!("127.0.0.1:{port}");
    let out = midi(
        &remote,
        &[],
        &[
            "network",
            "connect",
            &addr,
            "--secret-file",
            secret.to_str().unwrap(),
            "--json",
        ],
    );
    out.success();
    // With neither --endpoint nor --root-name, the pair is named after the remote endpoint.
    let remote_name = out.json()["remote_name"].as_str().unwrap().to_string();
    assert_eq!(out.json()["endpoint"], format!("{remote_name} (A)"));
    let mut local = remote
        .client()
        .open_endpoint(&format!("{remote_name} (B)"))
        .unwrap();
    send_all(&mut local, &[NOTE_ON.to_vec()]);
    assert_eq!(words_of(&peer.until("ump")), NOTE_ON);
    assert_eq!(receive(&mut local, 1), vec![NOTE_OFF.to_vec()]);
    midi(&remote, &[], &["network", "stop", &addr]).success();
    peer.until("done");
    peer.exits_cleanly();
}

#[test]
fn a_user_and_password_are_accepted_and_a_wrong_or_missing_password_refused() {
    let stage = TestHome::new();
    let remote = TestHome::new();
    let right = stage.path().join("ada.password");
    let wrong = stage.path().join("wrong.password");
    std::fs::write(&right, "swordfish\n").unwrap();
    std::fs::write(&wrong, "trout\n").unwrap();
    let (right, wrong) = (right.to_str().unwrap(), wrong.to_str().unwrap());
    let port = host(
        &stage,
        &[],
        "Stage",
        &["--user", "ada", "--password-file", right],
    );
    let addr = format!("127.0.0.1:{port}");
    let connect = remote_connector(&remote, &addr);

    let refused = connect(&["--user", "ada", "--password-file", wrong]);
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("authentication failed"),
        "{}",
        refused.stderr
    );

    let stranger = connect(&["--user", "bob", "--password-file", right]);
    assert_eq!(stranger.code, 1, "{}", stranger.stderr);
    assert!(
        stranger.stderr.contains("authentication failed"),
        "{}",
        stranger.stderr
    );

    let missing = connect(&[]);
    assert_eq!(missing.code, 1, "{}", missing.stderr);
    assert!(missing.stderr.contains("requires a"), "{}", missing.stderr);

    let no_password = connect(&["--user", "ada"]);
    assert_eq!(no_password.code, 2, "{}", no_password.stderr);

    connect(&["--user", "ada", "--password-file", right]).success();
    assert!(wait_until(PATIENCE, || attached_clients(
        &stage,
        "Stage (A)"
    ) == 1));
    let logs = stage.log_text() + &remote.log_text();
    assert!(!logs.contains("swordfish") && !logs.contains("trout"));
}

#[test]
fn persistent_hosts_and_sessions_come_back_with_their_engines() {
    let stage = TestHome::new();
    let remote = TestHome::new();
    let secret = stage.path().join("kept.secret");
    std::fs::write(&secret, "kept secret\n").unwrap();
    let secret = secret.to_str().unwrap();
    midi(
        &stage,
        &[],
        &["loopback", "create", "--root-name", "Stage", "--persistent"],
    )
    .success();
    let port = free_port().to_string();
    let hosted = midi(
        &stage,
        &[],
        &[
            "network",
            "host",
            "Stage (A)",
            "--port",
            &port,
            "--secret-file",
            secret,
            "--persistent",
            "--json",
        ],
    );
    hosted.success();
    assert_eq!(hosted.json()["persistent"], true);
    let addr = format!("127.0.0.1:{port}");
    midi(
        &remote,
        &[],
        &[
            "network",
            "connect",
            &addr,
            "--root-name",
            "Remote",
            "--secret-file",
            secret,
            "--persistent",
        ],
    )
    .success();

    // Each file has its own network section, which names the secret's file, never the secret.
    let section = |home: &TestHome| {
        let text = std::fs::read_to_string(home.config_file()).unwrap();
        assert!(!text.contains("kept secret"), "{text}");
        let v: Value = serde_json::from_str(&text).unwrap();
        v["endpointTransportPluginSettings"]["networkMidi2"].clone()
    };
    assert_eq!(section(&stage)["hosts"].as_object().unwrap().len(), 1);
    assert_eq!(section(&remote)["clients"][&addr]["host"], addr.as_str());

    midi(&stage, &[], &["service", "restart"]).success();
    midi(&remote, &[], &["service", "restart"]).success();
    let state = |home: &TestHome| list(home)["clients"][0]["state"].clone();
    assert!(wait_until(PATIENCE, || state(&remote) == "up"));
    assert!(wait_until(PATIENCE, || attached_clients(
        &stage,
        "Stage (A)"
    ) == 1));
    assert_eq!(list(&stage)["hosts"][0]["persistent"], true);
    let mut stage_b = stage.client().open_endpoint("Stage (B)").unwrap();
    let mut remote_b = remote.client().open_endpoint("Remote (B)").unwrap();
    send_all(&mut remote_b, &[vec![0x2090_3C64]]);
    assert_eq!(receive(&mut stage_b, 1), vec![vec![0x2090_3C64]]);

    let moving = midi(
        &stage,
        &[],
        &[
            "network",
            "host",
            "Stage (B)",
            "--port",
            "0",
            "--persistent",
        ],
    );
    assert_eq!(moving.code, 2, "{}", moving.stderr);
    assert!(moving.stderr.contains("fixed port"), "{}", moving.stderr);

    // Stopping one forgets it.
    midi(&stage, &[], &["network", "stop", "Stage (A)"]).success();
    assert!(section(&stage)["hosts"].as_object().unwrap().is_empty());
    midi(&remote, &[], &["network", "stop", &addr]).success();
    assert!(section(&remote)["clients"].as_object().unwrap().is_empty());
}

#[test]
fn random_datagrams_to_a_live_host_leave_its_real_session_serving() {
    let stage = TestHome::new();
    let remote = TestHome::new();
    let port = host(&stage, &[], "Stage", &[]);
    let addr = format!("127.0.0.1:{port}");
    midi(
        &remote,
        &[],
        &["network", "connect", &addr, "--root-name", "Remote"],
    )
    .success();
    assert!(wait_until(PATIENCE, || attached_clients(
        &stage,
        "Stage (A)"
    ) == 1));

    // A stranger sends garbage: random bytes, and random bytes after the signature.
    let stranger = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let mut rng: u64 = 0xBAD5_EED5;
    for i in 0..2_000 {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let len = (rng % 200) as usize;
        let mut datagram: Vec<u8> = (0..len).map(|k| (rng >> (k % 56)) as u8).collect();
        if i % 2 == 0 && datagram.len() >= 4 {
            datagram[..4].copy_from_slice(b"MIDI");
        }
        stranger.send_to(&datagram, &addr).unwrap();
    }

    let mut stage_b = stage.client().open_endpoint("Stage (B)").unwrap();
    let mut remote_b = remote.client().open_endpoint("Remote (B)").unwrap();
    let messages = numbered(200);
    send_all(&mut remote_b, &messages);
    same(&receive(&mut stage_b, messages.len()), &messages);
    send_all(&mut stage_b, &messages);
    same(&receive(&mut remote_b, messages.len()), &messages);
    assert_eq!(
        attached_clients(&stage, "Stage (A)"),
        1,
        "the stranger got a session"
    );
}
