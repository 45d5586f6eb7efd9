//! Hostile input (issue 7): clients that send random bytes, oversized, truncated or unknown
//! frames, requests the engine does not know, the wrong handshake, data before `open`, or
//! that vanish mid-frame. Each gets an error or a closed connection, and the engine — the
//! same process, not a restarted one — and a well-behaved pair keep working throughout.

mod common;

/// A hello of this build's protocol.
fn hello_json(client: &str) -> String {
    json!({"protocol": PROTOCOL_VERSION, "client": client}).to_string()
}

use common::{RawConn, SplitMix64, TestHome, frame_json, test_seed, wait_until};
use midi_loopback::client::{EndpointConnection, Received};
use midi_loopback::core::protocol::{MAX_FRAME_BYTES, PROTOCOL_VERSION};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const HELLO: u8 = 1;
const WELCOME: u8 = 2;
const REQUEST: u8 = 3;
const RESPONSE: u8 = 4;
const EVENT: u8 = 5;
const SEND: u8 = 16;
const CLOSE_WITHIN: Duration = Duration::from_secs(20);

/// A live pair with a sender on A and a receiver on B, opened before the hostile traffic, and
/// the engine's pid: after every attack the same engine must still route A→B and answer.
struct Witness {
    home: TestHome,
    a: EndpointConnection,
    b: EndpointConnection,
    pid: u32,
    next: u32,
}

impl Witness {
    fn new() -> Witness {
        let home = TestHome::new();
        let mut client = home.client();
        let pid = client.status().expect("status").pid;
        home.create("Witness", &[]);
        let a = home.client().open_endpoint("Witness (A)").expect("open A");
        let b = home.client().open_endpoint("Witness (B)").expect("open B");
        let mut w = Witness {
            home,
            a,
            b,
            pid,
            next: 0,
        };
        w.check("before any attack");
        w
    }

    fn raw(&self) -> RawConn {
        RawConn::connect(&self.home.socket())
    }

    /// The engine is the same process, answers a new client, and still routes A→B exactly.
    fn check(&mut self, after: &str) {
        assert_eq!(
            self.home.engine_pid(),
            Some(self.pid),
            "the engine died or was replaced after {after}"
        );
        let mut client = midi_loopback::client::Client::connect(&self.home.options())
            .unwrap_or_else(|e| panic!("a new client was not served after {after}: {e}"));
        client
            .ping()
            .unwrap_or_else(|e| panic!("ping after {after}: {e}"));
        assert_eq!(client.engine_pid(), self.pid, "a new engine after {after}");
        let words = [
            0x2090_0000 | (self.next & 0xFFFF),
            0x4000_0000 | self.next,
            self.next,
        ];
        self.next += 1;
        self.a.send(&words[..1]).expect("witness send 1");
        self.a.send(&words[1..]).expect("witness send 2");
        let mut got = Vec::new();
        while got.len() < 2 {
            match self.b.receive(Some(Duration::from_secs(20))) {
                Ok(Some(Received::Messages(m))) => got.extend(m),
                other => panic!("witness pair broken after {after}: {other:?}"),
            }
        }
        assert_eq!(got[0].words(), &words[..1], "after {after}");
        assert_eq!(got[1].words(), &words[1..], "after {after}");
    }

    /// Connected clients besides the asker; hostile connections must not linger.
    fn wait_for_clients(&self, want: u64) {
        let mut client = self.home.client();
        let mut last = 0;
        let settled = wait_until(Duration::from_secs(20), || {
            last = client.status().expect("status").clients;
            last == want
        });
        assert!(settled, "{last} clients connected, want {want}");
    }
}

impl Drop for Witness {
    fn drop(&mut self) {
        // A wedged engine would not hear `service stop`; it must not outlive the test.
        self.home.stop_engine();
        if common::process_is_live(self.pid) {
            // SAFETY: kill only sends a signal to the engine this test started.
            unsafe { libc::kill(self.pid as i32, libc::SIGKILL) };
        }
    }
}

fn events(frames: &[(u8, Vec<u8>)]) -> Vec<Value> {
    frames
        .iter()
        .filter(|(k, _)| *k == EVENT)
        .map(|(_, p)| frame_json(p))
        .collect()
}

fn assert_refused_event(frames: &[(u8, Vec<u8>)], mentions: &str) {
    let evs = events(frames);
    assert!(
        evs.iter().any(|e| e["event"] == "refused"
            && e["message"].as_str().is_some_and(|m| m.contains(mentions))),
        "no refused event mentioning {mentions:?} in {evs:?}"
    );
}

#[test]
fn an_oversized_frame_is_refused_and_the_connection_closed() {
    let mut w = Witness::new();
    for (greet, len) in [
        (false, MAX_FRAME_BYTES + 1),
        (true, MAX_FRAME_BYTES + 1),
        (true, u32::MAX as usize),
        (false, u32::MAX as usize),
    ] {
        let mut raw = w.raw();
        if greet {
            raw.hello();
        }
        let mut header = (len as u32).to_le_bytes().to_vec();
        header.push(SEND);
        raw.write(&header).expect("write header");
        let frames = raw.until_closed(CLOSE_WITHIN);
        assert_refused_event(&frames, "larger than the limit");
        w.check(&format!("a frame of {len} bytes (greeted: {greet})"));
    }
    w.wait_for_clients(2);
}

#[test]
fn a_zero_length_frame_is_refused_and_the_connection_closed() {
    let mut w = Witness::new();
    for greet in [false, true] {
        let mut raw = w.raw();
        if greet {
            raw.hello();
        }
        raw.write(&[0, 0, 0, 0, SEND]).expect("write");
        let frames = raw.until_closed(CLOSE_WITHIN);
        assert_refused_event(&frames, "length 0");
        w.check("a zero-length frame");
    }
}

#[test]
fn a_truncated_frame_then_disconnect_delivers_nothing_and_leaves_nothing_behind() {
    let mut w = Witness::new();
    // A sender on the witness pair's A side that dies in the middle of a data frame.
    let mut raw = w.raw();
    raw.hello();
    let (resp, _) = raw.request(json!({"id": 1, "op": "open", "endpoint": "Witness (A)"}));
    assert!(resp["result"]["Ok"].is_object(), "{resp}");
    let mut payload = Vec::new();
    for i in 0..10u32 {
        payload.extend_from_slice(&0u64.to_le_bytes());
        payload.extend_from_slice(&(0x2090_0000 | i).to_le_bytes());
    }
    let frame = RawConn::frame(SEND, &payload);
    raw.write(&frame[..frame.len() / 2]).expect("write half");
    drop(raw);
    // Mid-header, mid-hello and mid-request disconnects too.
    for cut in [
        RawConn::frame(HELLO, hello_json("x").as_bytes())[..7].to_vec(),
        vec![0x10, 0x00],
    ] {
        let mut raw = w.raw();
        raw.write(&cut).expect("write");
    }
    let mut raw = w.raw();
    raw.hello();
    let req = RawConn::frame(REQUEST, br#"{"id":1,"op":"ping"}"#);
    raw.write(&req[..9]).expect("write");
    drop(raw);

    // Nothing of the half frame reached B: the next thing B sees is the witness's own traffic.
    w.check("disconnects in the middle of frames");
    w.wait_for_clients(2);
    let mut client = w.home.client();
    let pair = &client.list_pairs().expect("list")[0];
    assert_eq!(
        pair.a_to_b.refused, 0,
        "a vanished half frame is not a refusal"
    );
    assert_eq!(pair.endpoint_a.clients, 1, "the dead sender is detached");
}

#[test]
fn frames_of_a_kind_a_client_may_not_send_are_refused_and_the_connection_closed() {
    let mut w = Witness::new();
    for kind in [0u8, 2, 4, 5, 6, 15, 17, 18, 19, 127, 255] {
        let mut raw = w.raw();
        raw.hello();
        raw.send_frame(kind, b"{}").expect("write");
        let frames = raw.until_closed(CLOSE_WITHIN);
        assert_refused_event(&frames, &format!("frame kind {kind}"));
    }
    w.check("unknown frame kinds");
    // Before the handshake, anything but a hello ends the connection at once.
    for kind in [0u8, 2, 3, 16, 200] {
        let mut raw = w.raw();
        raw.send_frame(kind, br#"{"id":1,"op":"ping"}"#)
            .expect("write");
        let frames = raw.until_closed(CLOSE_WITHIN);
        assert!(
            frames.iter().all(|(k, _)| *k != RESPONSE),
            "kind {kind} before hello was answered: {frames:?}"
        );
    }
    w.check("frames before the hello");
    w.wait_for_clients(2);
}

#[test]
fn requests_the_engine_does_not_understand_get_an_error_and_the_connection_stays() {
    let mut w = Witness::new();
    let mut raw = w.raw();
    raw.hello();
    // With a readable id: an `invalid` error answer to that id.
    for (id, body) in [
        (7u64, json!({"id": 7, "op": "explode"})),
        (8, json!({"id": 8})),
        (9, json!({"id": 9, "op": "create_pair", "pair": 42})),
        (
            10,
            json!({"id": 10, "op": "remove_pair", "association_id": "not-a-guid"}),
        ),
        (11, json!({"id": 11, "op": "open"})),
        (
            12,
            json!({"id": 12, "op": "set_muted", "association_id": "7af38a08-0f4b-43ad-b218-1757496f0034", "muted": "yes"}),
        ),
        (u64::MAX, json!({"id": u64::MAX, "op": "PING"})),
    ] {
        let (resp, _) = raw.request(body.clone());
        assert_eq!(resp["id"], json!(id));
        assert_eq!(
            resp["result"]["Err"]["kind"], "invalid",
            "{body} answered {resp}"
        );
        assert!(
            resp["result"]["Err"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    }
    // Without a readable id: a `refused` event; the connection stays open either way.
    for payload in [
        &b"{\"id\":"[..],
        b"not json at all",
        b"",
        b"[1,2,3]",
        b"null",
        b"{\"id\":\"one\",\"op\":\"ping\"}",
        b"{\"id\":-1,\"op\":\"ping\"}",
        b"\xff\xfe\x00garbage",
    ] {
        raw.send_frame(REQUEST, payload).expect("write");
        let (resp, others) = raw.request(json!({"id": 99, "op": "ping"}));
        assert_eq!(resp["result"]["Ok"]["reply"], "pong", "after {payload:?}");
        assert_refused_event(&others, "not understood");
    }
    w.check("requests the engine does not understand");
}

#[test]
fn a_hello_with_another_protocol_or_unreadable_is_refused_in_the_welcome() {
    let mut w = Witness::new();
    let hellos: Vec<Vec<u8>> = vec![
        json!({"protocol": 0, "client": "old"})
            .to_string()
            .into_bytes(),
        json!({"protocol": PROTOCOL_VERSION + 1, "client": "new"})
            .to_string()
            .into_bytes(),
        json!({"protocol": u32::MAX, "client": "x"})
            .to_string()
            .into_bytes(),
        json!({"protocol": PROTOCOL_VERSION.to_string(), "client": "x"})
            .to_string()
            .into_bytes(),
        json!({"client": "x"}).to_string().into_bytes(),
        b"hello engine".to_vec(),
        Vec::new(),
    ];
    for hello in hellos {
        let mut raw = w.raw();
        raw.send_frame(HELLO, &hello).expect("write");
        let frames = raw.until_closed(CLOSE_WITHIN);
        let label = String::from_utf8_lossy(&hello).into_owned();
        assert_eq!(frames.len(), 1, "{label}: {frames:?}");
        assert_eq!(frames[0].0, WELCOME, "{label}");
        let welcome = frame_json(&frames[0].1);
        let reason = welcome["refused"].as_str().unwrap_or_else(|| {
            panic!("hello {label} was accepted: {welcome}");
        });
        assert!(!reason.is_empty());
        assert_eq!(welcome["protocol"], PROTOCOL_VERSION);
    }
    // The version message says what to do.
    let mut raw = w.raw();
    raw.send_json(
        HELLO,
        &json!({"protocol": PROTOCOL_VERSION + 1, "client": "new"}),
    )
    .expect("write");
    let frames = raw.until_closed(CLOSE_WITHIN);
    let reason = frame_json(&frames[0].1)["refused"].to_string();
    assert!(
        reason.contains(&format!("protocol {PROTOCOL_VERSION}"))
            && reason.contains(&(PROTOCOL_VERSION + 1).to_string()),
        "{reason}"
    );
    w.check("refused handshakes");
    w.wait_for_clients(2);
}

#[test]
fn data_before_open_is_refused_and_the_connection_stays_usable() {
    let mut w = Witness::new();
    let mut raw = w.raw();
    raw.hello();
    let mut payload = 0u64.to_le_bytes().to_vec();
    payload.extend_from_slice(&0x2090_3C64u32.to_le_bytes());
    raw.send_frame(SEND, &payload).expect("write");
    let (resp, others) = raw.request(json!({"id": 1, "op": "ping"}));
    assert_eq!(resp["result"]["Ok"]["reply"], "pong");
    assert_refused_event(&others, "open");
    // The same connection may open and send now; B gets exactly that message.
    let (resp, _) = raw.request(json!({"id": 2, "op": "open", "endpoint": "witness (a)"}));
    assert!(resp["result"]["Ok"].is_object(), "{resp}");
    raw.send_frame(SEND, &payload).expect("write");
    match w.b.receive(Some(Duration::from_secs(20))) {
        Ok(Some(Received::Messages(m))) => {
            assert_eq!(m.len(), 1);
            assert_eq!(m[0].words(), &[0x2090_3C64]);
        }
        other => panic!("expected the message, got {other:?}"),
    }
    // A tap may not send either.
    let id = w.home.client().list_pairs().unwrap()[0].association_id;
    let (resp, _) = raw.request(json!({"id": 3, "op": "tap", "association_id": id}));
    assert_eq!(resp["result"]["Ok"]["reply"], "done", "{resp}");
    raw.send_frame(SEND, &payload).expect("write");
    let (_, others) = raw.request(json!({"id": 4, "op": "ping"}));
    assert_refused_event(&others, "tap");
    w.check("data before open");
}

#[test]
fn clients_that_say_nothing_or_stall_mid_hello_are_disconnected_after_the_deadline() {
    let mut w = Witness::new();
    let started = Instant::now();
    let mut silent = w.raw();
    let mut half_header = w.raw();
    half_header.write(&[30, 0]).expect("write");
    let mut half_hello = w.raw();
    let hello = RawConn::frame(HELLO, hello_json("slow").as_bytes());
    half_hello.write(&hello[..12]).expect("write");
    // Meanwhile everyone else is served as usual.
    w.check("three stalled connections");
    for raw in [&mut silent, &mut half_header, &mut half_hello] {
        let frames = raw.until_closed(Duration::from_secs(40));
        assert!(frames.is_empty(), "{frames:?}");
    }
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(8),
        "closed after {waited:?}, before the documented 10 s"
    );
    w.check("the stalled connections were dropped");
}

/// Between `min` and `min + spread - 1` random bytes.
fn some_bytes(rng: &mut SplitMix64, min: usize, spread: u64) -> Vec<u8> {
    let n = min + rng.below(spread) as usize;
    rng.bytes(n)
}

/// One hostile connection: a seeded mix of garbage, well-formed frames of every kind with
/// random payloads, and requests with random fields; then it hangs up and reads to the end.
fn hostile_round(socket: &std::path::Path, rng: &mut SplitMix64) {
    let mut raw = RawConn::connect(socket);
    if rng.one_in(2) {
        raw.hello();
    }
    for _ in 0..1 + rng.below(8) {
        let bytes = match rng.below(7) {
            0 => some_bytes(rng, 1, 64),
            1 => {
                let n = rng.below(300) as usize;
                RawConn::frame(rng.next_u64() as u8, &rng.bytes(n))
            }
            2 => {
                let n = rng.below(200) as usize;
                RawConn::frame(SEND, &rng.bytes(n))
            }
            3 => {
                let ops = [
                    "ping",
                    "status",
                    "list_pairs",
                    "open",
                    "close",
                    "tap",
                    "create_pair",
                    "remove_pair",
                    "update_pair",
                    "set_muted",
                    "bogus",
                ];
                let op = ops[rng.below(ops.len() as u64) as usize];
                let junk = [
                    json!(null),
                    json!(rng.next_u64()),
                    json!("witness (b)"),
                    json!({"a": [1, 2]}),
                    json!("7af38a08-0f4b-43ad-b218-1757496f0034"),
                ];
                let pick =
                    |rng: &mut SplitMix64| junk[rng.below(junk.len() as u64) as usize].clone();
                let body = json!({
                    "id": rng.below(1000),
                    "op": op,
                    "endpoint": pick(rng),
                    "association_id": pick(rng),
                    "pair": pick(rng),
                    "update": pick(rng),
                    "muted": pick(rng),
                });
                RawConn::frame(REQUEST, body.to_string().as_bytes())
            }
            4 => {
                // A frame cut short: the engine must wait for the rest, not misread.
                let f = RawConn::frame(REQUEST, br#"{"id":5,"op":"status"}"#);
                f[..1 + rng.below(f.len() as u64 - 1) as usize].to_vec()
            }
            5 => RawConn::frame(HELLO, &some_bytes(rng, 0, 40)),
            _ => {
                // A length field near or past the limit, with a few bytes of it.
                let len = (MAX_FRAME_BYTES as u64 - 2 + rng.below(4)) as u32;
                let mut f = len.to_le_bytes().to_vec();
                f.push(SEND);
                f.extend(some_bytes(rng, 0, 16));
                f
            }
        };
        if raw.write(&bytes).is_err() {
            break; // the engine already hung up on us
        }
    }
    let _ = raw.stream.shutdown(std::net::Shutdown::Write);
    let _ = raw.until_closed(CLOSE_WITHIN);
}

#[test]
fn random_bytes_and_frames_from_many_clients_never_disturb_the_engine_or_a_live_pair() {
    let mut w = Witness::new();
    let seed = test_seed(0x5EED_0007);
    let socket = w.home.socket();
    let rounds_per_thread = 60;
    let threads: Vec<_> = (0..4u64)
        .map(|t| {
            let socket = socket.clone();
            std::thread::spawn(move || {
                let mut rng = SplitMix64(seed ^ (t << 32));
                for _ in 0..rounds_per_thread {
                    hostile_round(&socket, &mut rng);
                }
            })
        })
        .collect();
    // The witness pair keeps talking, in order and without loss, all the while.
    let mut checks = 0;
    while threads.iter().any(|t| !t.is_finished()) {
        w.check("hostile clients running");
        checks += 1;
    }
    for t in threads {
        t.join().expect("a hostile thread panicked");
    }
    w.check("240 hostile connections");
    assert!(checks > 0);
    w.wait_for_clients(2);
    // What the junk asked for may have created nothing: the witness is the only pair.
    assert_eq!(w.home.client().list_pairs().unwrap().len(), 1);
}

#[test]
fn a_client_flooding_requests_it_never_reads_neither_starves_others_nor_grows_the_engine() {
    // Fifty pairs with long names and descriptions make each `list_pairs` answer about 90 KB;
    // 2,000 such requests are 66 KB to send and 180 MB of answers if the engine kept them all
    // for a client that never reads.
    let mut w = Witness::new();
    let mut client = w.home.client();
    for i in 0..49 {
        let spec = midi_loopback::core::PairSpec {
            names: Some(midi_loopback::core::NameSpec::Root(format!(
                "{i:03} {}",
                "n".repeat(80)
            ))),
            description: Some("d".repeat(400)),
            ..Default::default()
        };
        client.create(&spec).expect("create");
    }
    drop(client);
    let before = common::vm_rss_kib(w.pid).expect("rss");
    let mut raw = w.raw();
    raw.hello();
    let mut flood = Vec::new();
    for id in 0..2000u64 {
        flood.extend(RawConn::frame(
            REQUEST,
            json!({"id": id, "op": "list_pairs"}).to_string().as_bytes(),
        ));
    }
    raw.stream
        .set_write_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let written = raw.write(&flood).is_ok();
    // Wait until the engine has read all of it, or stops reading (a bounded engine may), or
    // its memory passes the bound; whichever comes first.
    let bound_kib = 128 * 1024;
    let mut peak = before;
    let mut unread = unread_bytes(&raw);
    let mut still_since = Instant::now();
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        peak = peak.max(common::vm_rss_kib(w.pid).unwrap_or(0));
        let now_unread = unread_bytes(&raw);
        if now_unread == 0 || peak > before + bound_kib {
            break;
        }
        if now_unread != unread {
            unread = now_unread;
            still_since = Instant::now();
        } else if still_since.elapsed() > Duration::from_secs(3) {
            break; // the engine stopped reading from this client
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    // Everyone else is still served promptly (the client library gives a handshake 10 s)...
    w.check("a flood of requests whose answers nobody reads");
    peak = peak.max(common::vm_rss_kib(w.pid).unwrap_or(0));
    eprintln!(
        "engine RSS {before} KiB before, peak {peak} KiB; flood written: {written}, unread by the engine: {} bytes",
        unread_bytes(&raw)
    );
    // ...and the engine does not hold an unbounded backlog of answers for the flooder.
    assert!(
        peak < before + bound_kib,
        "the engine grew from {before} KiB to {peak} KiB holding answers its client never reads"
    );
    drop(raw);
    w.check("the flooding client left");
}

/// Bytes written on this connection that the engine has not read yet (`SIOCOUTQ`).
fn unread_bytes(raw: &RawConn) -> usize {
    use std::os::fd::AsRawFd;
    let mut n: libc::c_int = 0;
    // SAFETY: TIOCOUTQ (SIOCOUTQ) writes one int into `n`, which we own.
    let rc = unsafe { libc::ioctl(raw.stream.as_raw_fd(), libc::TIOCOUTQ, &mut n) };
    if rc != 0 { 0 } else { n as usize }
}
