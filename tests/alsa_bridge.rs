//! The engine's ALSA sequencer bridge against third-party programs, in a booted kernel.
//!
//! Each test starts an engine with the bridge on (the ordinary suite keeps it off with
//! `MIDI_NO_ALSA=1`), creates pairs with the `midi` binary, and checks what `aconnect`,
//! `aseqdump`, python-rtmidi and (on a UMP kernel) pylibremidi see and send. Ignored by
//! default: `.ci/alsa/run` runs them with `--ignored` in a stock Debian kernel (MIDI 1.0
//! sequencer, `MIDI_ALSA_EXPECT_UMP=0`) and in a kernel with `CONFIG_SND_SEQ_UMP` (`=1`).

mod alsa_support;
mod common;

use alsa_support::*;
use common::TestHome;
use midi_loopback::alsa::{Address, EventKind, Seq};
use midi_loopback::client::{Client, EndpointConnection, Received};
use serde_json::Value;
use std::os::fd::AsRawFd;
use std::time::Duration;

/// An engine with its ALSA bridge, stopped when the test ends.
struct Bridge {
    home: TestHome,
}

impl Bridge {
    fn start() -> Bridge {
        Bridge::start_with(&[])
    }

    /// An engine started with these environment variables (the bridge's caps, say).
    fn start_with(env: &[(&str, &str)]) -> Bridge {
        let bridge = Bridge {
            home: TestHome::new(),
        };
        let mut cmd = bridge.midi();
        cmd.args(["service", "start"]);
        for (name, value) in env {
            cmd.env(name, value);
        }
        cmd.assert().success();
        bridge
    }

    /// `midi` for this engine, the bridge left on.
    fn midi(&self) -> assert_cmd::Command {
        let mut cmd = self.home.midi();
        cmd.env_remove("MIDI_NO_ALSA");
        cmd
    }

    fn run(&self, args: &[&str]) -> String {
        let out = self.midi().args(args).output().expect("run midi");
        assert!(
            out.status.success(),
            "midi {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn pairs(&self) -> Vec<Value> {
        let text = self.run(&["loopback", "list", "--json"]);
        serde_json::from_str::<Vec<Value>>(&text).expect("list --json: an array of pairs")
    }

    fn pair(&self, root: &str) -> Option<Value> {
        let name = format!("{root} (A)");
        self.pairs()
            .into_iter()
            .find(|p| p["endpoint_a"]["name"] == name.as_str())
    }

    /// Creates `ROOT (A)` / `ROOT (B)` and waits until the bridge presents both; their ALSA
    /// addresses.
    fn create(&self, root: &str) -> (Address, Address) {
        self.run(&["loopback", "create", "--root-name", root]);
        let deadline = std::time::Instant::now() + PEER_TIMEOUT;
        loop {
            let pair = self.pair(root);
            let found = pair.as_ref().and_then(|p| {
                Some((
                    address(p["endpoint_a"]["alsa"]["address"].as_str()?),
                    address(p["endpoint_b"]["alsa"]["address"].as_str()?),
                ))
            });
            if let Some(found) = found {
                return found;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no ALSA addresses for {root}: the pair is {pair:?}; the bridge says {}",
                self.status()["alsa"]
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn open(&self, endpoint: &str) -> EndpointConnection {
        let mut options = self.home.options();
        options.no_alsa = false;
        Client::connect(&options)
            .and_then(|c| c.open_endpoint(endpoint))
            .unwrap_or_else(|e| panic!("open {endpoint}: {e}"))
    }

    fn status(&self) -> Value {
        serde_json::from_str(&self.run(&["service", "status", "--json"])).expect("status --json")
    }
}

fn address(text: &str) -> Address {
    let (client, port) = text.split_once(':').expect("client:port");
    Address {
        client: client.parse().expect("client"),
        port: port.parse().expect("port"),
    }
}

/// The words of the next messages that arrive, skipping nothing: at least `count` of them.
fn receive_words(conn: &mut EndpointConnection, count: usize) -> Vec<Vec<u32>> {
    let mut got = Vec::new();
    while got.len() < count {
        match conn.receive(Some(PEER_TIMEOUT)).expect("receive") {
            Some(Received::Messages(messages)) => {
                got.extend(messages.iter().map(|m| m.words().to_vec()))
            }
            Some(Received::Overflow { dropped }) => panic!("{dropped} messages dropped"),
            None => panic!("only {got:08x?} arrived within {PEER_TIMEOUT:?}"),
        }
    }
    got
}

/// Every message that arrives until one satisfies `last` (included).
fn receive_until(conn: &mut EndpointConnection, last: impl Fn(&[u32]) -> bool) -> Vec<Vec<u32>> {
    let mut got: Vec<Vec<u32>> = Vec::new();
    while !got.last().is_some_and(|w| last(w)) {
        got.extend(receive_words(conn, 1));
    }
    got
}

/// Waits until someone has subscribed to read from `port`.
fn wait_for_reader(port: Address) {
    let seq = Seq::open().expect("open the sequencer");
    wait_until(&format!("a reader of {port}"), || {
        seq.port_info(port).is_ok_and(|info| info.read_use >= 1)
    });
}

/// SysEx7 UMP packets (group 1) carrying `sysex` (F0 … F7).
fn sysex7_words(sysex: &[u8]) -> Vec<Vec<u32>> {
    let payload = &sysex[1..sysex.len() - 1];
    let chunks: Vec<&[u8]> = payload.chunks(6).collect();
    chunks
        .iter()
        .enumerate()
        .map(|(i, chunk)| {
            let status = match (chunks.len(), i) {
                (1, _) => 0,
                (_, 0) => 1,
                (n, i) if i == n - 1 => 3,
                _ => 2,
            };
            let mut bytes = [0u8; 8];
            bytes[0] = 0x30;
            bytes[1] = (status << 4) | chunk.len() as u8;
            bytes[2..2 + chunk.len()].copy_from_slice(chunk);
            vec![
                u32::from_be_bytes(bytes[..4].try_into().unwrap()),
                u32::from_be_bytes(bytes[4..].try_into().unwrap()),
            ]
        })
        .collect()
}

/// The SysEx (F0 … F7) that SysEx7 packets carry.
fn sysex_from_words(packets: &[Vec<u32>]) -> Vec<u8> {
    let mut bytes = vec![0xF0];
    for words in packets {
        let raw: Vec<u8> = words.iter().flat_map(|w| w.to_be_bytes()).collect();
        assert_eq!(raw[0] >> 4, 3, "not a SysEx7 packet: {words:08x?}");
        let len = usize::from(raw[1] & 0x0F);
        bytes.extend_from_slice(&raw[2..2 + len]);
    }
    bytes.push(0xF7);
    bytes
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
        .collect()
}

// ---- every kernel with a sequencer ----------------------------------------------------------

#[test]
#[ignore = "needs a booted kernel with the ALSA sequencer: .ci/alsa/run"]
fn studio_bus_appears_in_aconnect_and_service_status_says_how() {
    let bus = Bridge::start();
    let (a, b) = bus.create("Studio Bus");
    let listing = aconnect_list();
    println!("aconnect -l with the Studio Bus pair:\n{listing}");
    for (endpoint, name) in [(a, "Studio Bus (A)"), (b, "Studio Bus (B)")] {
        let section = aconnect_section(&listing, endpoint.client);
        assert!(
            !section.is_empty(),
            "no client {} in {listing}",
            endpoint.client
        );
        if expect_ump() {
            assert!(section[0].contains(&format!("'{name}'")), "{section:?}");
            assert!(lists_port(&section, 0, "MIDI 2.0"), "{section:?}");
            assert!(lists_port(&section, 1, "Group 1 (Loopback)"), "{section:?}");
        } else {
            assert!(section[0].contains("'MIDI Loopbacks'"), "{section:?}");
            assert!(lists_port(&section, endpoint.port, name), "{section:?}");
        }
    }
    let status = bus.status();
    let expected = if expect_ump() { "ump" } else { "midi1" };
    assert_eq!(status["alsa"]["state"], expected, "{status}");
    let text = bus.run(&["service", "status"]);
    let line = text
        .lines()
        .find(|l| l.contains("ALSA sequencer"))
        .unwrap_or_else(|| panic!("no ALSA line in {text}"));
    let summary = if expect_ump() {
        "UMP (MIDI 2.0)"
    } else {
        "MIDI 1.0 (this kernel has no UMP sequencer)"
    };
    assert!(line.contains(summary), "{line}");
}

#[test]
#[ignore = "needs a booted kernel with the ALSA sequencer: .ci/alsa/run"]
fn a_note_sent_out_on_a_reaches_aseqdump_reading_b() {
    let bus = Bridge::start();
    let (_, b) = bus.create("Studio Bus");
    let mut dump = Peer::spawn("aseqdump", &["-p", &b.to_string()]);
    wait_for_reader(b);
    // A flex data message first: no MIDI 1.0 form, so a MIDI 1.0 port gets nothing of it.
    bus.run(&[
        "endpoint",
        "send-message",
        "Studio Bus (A)",
        "0xD0100001",
        "0x00000000",
        "0x00000000",
        "0x00000000",
    ]);
    bus.run(&["endpoint", "send-message", "Studio Bus (A)", "0x20903C64"]);
    let line = dump.line_matching("a note-on", |l| l.contains("Note on"));
    assert!(line.contains("note 60, velocity 100"), "{line}");
    if !expect_ump() {
        let status = bus.status();
        assert_eq!(
            status["alsa"]["not_translated"]["no_midi1_form"], 1,
            "{status}"
        );
    }
}

#[test]
#[ignore = "needs a booted kernel with the ALSA sequencer: .ci/alsa/run"]
fn rtmidi_writing_to_one_side_reaches_a_client_of_the_other() {
    let bus = Bridge::start();
    let (a, b) = bus.create("Studio Bus");
    // A MIDI 1.0 port's note arrives as a MIDI 1.0 UMP; a MIDI 2.0 client gets the kernel's
    // MIDI 2.0 form (velocity 100 scaled to 16 bits).
    let expected: Vec<u32> = if expect_ump() {
        vec![0x4090_3C00, 0xC924_0000]
    } else {
        vec![0x2090_3C64]
    };

    // python-rtmidi writes to A; `midi endpoint monitor` on B prints the words.
    let clients_of_b = |bus: &Bridge| {
        bus.pair("Studio Bus").expect("the pair")["endpoint_b"]["clients"]
            .as_u64()
            .unwrap_or(0)
    };
    let before = clients_of_b(&bus);
    let mut monitor = Peer::spawn_command(
        std::process::Command::new(env!("CARGO_BIN_EXE_midi"))
            .args([
                "endpoint",
                "monitor",
                "Studio Bus (B)",
                "--json",
                "--count",
                "1",
            ])
            .env("MIDI_HOME", bus.home.path())
            .env_remove("MIDI_NO_ALSA"),
    );
    wait_until("the monitor to attach to B", || clients_of_b(&bus) > before);
    Peer::python(&["send", &a.to_string(), "903c64"]).wait_success();
    let line = monitor.line_matching("the monitored note", |l| l.starts_with('{'));
    let json: Value = serde_json::from_str(&line).expect("monitor --json");
    let words: Vec<u32> = json["words"]
        .as_array()
        .expect("words")
        .iter()
        .map(|w| w.as_u64().expect("a word") as u32)
        .collect();
    assert_eq!(words, expected, "rtmidi → A, monitor on B: {line}");

    // The other way: python-rtmidi writes to B; our client on A receives it.
    let mut on_a = bus.open("Studio Bus (A)");
    Peer::python(&["send", &b.to_string(), "903c64"]).wait_success();
    assert_eq!(
        receive_words(&mut on_a, 1),
        vec![expected],
        "rtmidi → B, client on A"
    );
}

#[test]
#[ignore = "needs a booted kernel with the ALSA sequencer: .ci/alsa/run"]
fn a_1000_byte_sysex_crosses_both_ways_intact() {
    let bus = Bridge::start();
    let (a, b) = bus.create("Studio Bus");
    let sysex = sysex_of(1000, 3);

    // An ALSA application writes it to A; our client on B reassembles the SysEx7 packets.
    let mut on_b = bus.open("Studio Bus (B)");
    Peer::python(&["send", &a.to_string(), &hex(&sysex)]).wait_success();
    let packets = sysex7_words(&sysex).len();
    let got = receive_words(&mut on_b, packets);
    assert_eq!(sysex_from_words(&got), sysex, "ALSA → A → B");

    // Our client sends it out on A; an ALSA application reading B gets it whole.
    let mut listener = Peer::python(&["receive", &b.to_string(), "60"]);
    listener.line_matching("READY", |l| l == "READY");
    wait_for_reader(b);
    let mut on_a = bus.open("Studio Bus (A)");
    for words in sysex7_words(&sysex) {
        on_a.send(&words).expect("send");
    }
    on_a.flush().expect("flush");
    let line = listener.line_matching("the SysEx", |l| l.starts_with("GOT "));
    assert_eq!(unhex(&line[4..]), sysex, "A → B → ALSA");
}

#[test]
#[ignore = "needs a booted kernel with the ALSA sequencer: .ci/alsa/run"]
fn rename_remove_a_second_pair_and_engine_stop_show_in_aconnect() {
    let bus = Bridge::start();
    bus.create("Studio Bus");
    bus.create("Second Bus");
    let listing = aconnect_list();
    for name in [
        "Studio Bus (A)",
        "Studio Bus (B)",
        "Second Bus (A)",
        "Second Bus (B)",
    ] {
        assert!(
            listing.contains(&format!("'{name}")),
            "no {name} in {listing}"
        );
    }
    bus.run(&[
        "loopback",
        "update",
        "Second Bus",
        "--root-name",
        "Renamed Bus",
    ]);
    wait_until("the new names in aconnect -l", || {
        let listing = aconnect_list();
        listing.contains("'Renamed Bus (A)") && !listing.contains("'Second Bus (A)")
    });
    bus.run(&["loopback", "remove", "Renamed Bus"]);
    wait_until("the removed pair to leave aconnect -l", || {
        !aconnect_list().contains("'Renamed Bus")
    });
    assert!(aconnect_list().contains("'Studio Bus (A)"));
    bus.run(&["service", "stop"]);
    wait_until("the engine's presences to leave aconnect -l", || {
        !aconnect_list().contains("'Studio Bus")
    });
}

#[test]
#[ignore = "needs a booted kernel with the ALSA sequencer: .ci/alsa/run"]
fn a_muted_pair_delivers_nothing_to_alsa() {
    let bus = Bridge::start();
    let (_, b) = bus.create("Studio Bus");
    let mut dump = Peer::spawn("aseqdump", &["-p", &b.to_string()]);
    wait_for_reader(b);
    bus.run(&["loopback", "mute", "Studio Bus"]);
    bus.run(&["endpoint", "send-message", "Studio Bus (A)", "0x20903C64"]);
    bus.run(&["loopback", "unmute", "Studio Bus"]);
    bus.run(&["endpoint", "send-message", "Studio Bus (A)", "0x20903D64"]);
    // Messages leave in order: the first note aseqdump prints is the one sent unmuted.
    let line = dump.line_matching("a note-on", |l| l.contains("Note on"));
    assert!(
        line.contains("note 61"),
        "the muted note got through: {line}"
    );
    let pair = bus.pair("Studio Bus").expect("the pair");
    assert_eq!(pair["a_to_b"]["dropped_muted"], 1, "{pair}");
}

#[test]
#[ignore = "needs a booted kernel with the ALSA sequencer: .ci/alsa/run"]
fn a_feedback_loop_made_with_aconnect_mutes_the_pair_until_unmute() {
    let bus = Bridge::start();
    let (a, b) = bus.create("Studio Bus");
    let wire = |args: &[&str]| {
        let out = std::process::Command::new("aconnect")
            .args(args)
            .output()
            .expect("run aconnect");
        assert!(out.status.success(), "aconnect {args:?}: {out:?}");
    };
    // What leaves B's port comes back into A's: every message would go round for ever.
    wire(&[&b.to_string(), &a.to_string()]);
    bus.run(&["endpoint", "send-message", "Studio Bus (A)", "0x20903C64"]);
    wait_until("the engine to mute the looping pair", || {
        bus.pair("Studio Bus")
            .is_some_and(|p| p["feedback_loop"] == true && p["muted"] == true)
    });
    let status = bus.run(&["service", "status"]);
    assert!(status.contains("feedback loop"), "{status}");
    let list = bus.run(&["loopback", "list"]);
    assert!(
        list.contains("loop"),
        "loopback list does not say so:\n{list}"
    );
    wire(&["-d", &b.to_string(), &a.to_string()]);
    bus.run(&["loopback", "unmute", "Studio Bus"]);
    let pair = bus.pair("Studio Bus").expect("the pair");
    assert_eq!(pair["muted"], false, "{pair}");
    assert!(
        pair.get("feedback_loop").is_none_or(|v| v == false),
        "{pair}"
    );
}

// ---- a kernel with the UMP sequencer --------------------------------------------------------

#[test]
#[ignore = "needs a booted kernel with the ALSA sequencer: .ci/alsa/run"]
fn each_endpoint_is_a_midi2_client_with_its_endpoint_info() {
    if !expect_ump() {
        return;
    }
    let bus = Bridge::start();
    let (a, _) = bus.create("Studio Bus");
    let pair = bus.pair("Studio Bus").expect("the pair");
    let seq = Seq::open().expect("open the sequencer");
    let info = seq.ump_endpoint(a.client).expect("UMP endpoint info");
    assert_eq!(info.name, "Studio Bus (A)");
    assert_eq!(info.product_id, pair["unique_identifier"].as_str().unwrap());
    let block = seq.ump_block(a.client, 0).expect("function block");
    assert_eq!(block.name, "Loopback");
}

#[test]
#[ignore = "needs a booted kernel with the ALSA sequencer: .ci/alsa/run"]
fn a_midi2_note_crosses_unchanged_to_a_ump_reader_and_as_midi1_to_a_legacy_one() {
    if !expect_ump() {
        return;
    }
    let bus = Bridge::start();
    let (_, b) = bus.create("Studio Bus");
    let group_port = Address {
        client: b.client,
        port: 1,
    };
    let mut ump_reader = Peer::ump_python(&["receive", &group_port.to_string(), "60"]);
    ump_reader.line_matching("READY", |l| l == "READY");
    let mut legacy = Peer::spawn("aseqdump", &["-p", &b.to_string()]);
    wait_for_reader(group_port);
    wait_for_reader(b);
    // A MIDI 2.0 note-on with a 16-bit velocity (MIDI 1.0: 64) and attribute data.
    bus.run(&[
        "endpoint",
        "send-message",
        "Studio Bus (A)",
        "0x40903C03",
        "0x80001234",
    ]);
    let got = ump_reader.line_matching("the UMP note", |l| l.starts_with("GOT "));
    assert!(got.starts_with("GOT 40903c03 80001234"), "{got}");
    let line = legacy.line_matching("a note-on", |l| l.contains("Note on"));
    assert!(line.contains("note 60, velocity 64"), "{line}");
}

#[test]
#[ignore = "needs a booted kernel with the ALSA sequencer: .ci/alsa/run"]
fn a_ump_client_writing_to_a_reaches_our_client_on_b_unchanged() {
    if !expect_ump() {
        return;
    }
    let bus = Bridge::start();
    let (a, _) = bus.create("Studio Bus");
    let mut on_b = bus.open("Studio Bus (B)");
    let group_port = Address {
        client: a.client,
        port: 1,
    };
    Peer::ump_python(&["send", &group_port.to_string(), "40b00700,deadbeef"]).wait_success();
    assert_eq!(
        receive_words(&mut on_b, 1),
        vec![vec![0x40B0_0700, 0xDEAD_BEEF]]
    );
}

#[test]
#[ignore = "needs a booted kernel with the ALSA sequencer: .ci/alsa/run"]
fn nothing_echoes_back_to_the_sending_side() {
    let bus = Bridge::start();
    let (a, _) = bus.create("Studio Bus");
    let mut dump_a = Peer::spawn("aseqdump", &["-p", &a.to_string()]);
    wait_for_reader(a);
    // Out on A (arrives at B only), then out on B (arrives at A): aseqdump on A sees only
    // the second.
    bus.run(&["endpoint", "send-message", "Studio Bus (A)", "0x20903C64"]);
    bus.run(&["endpoint", "send-message", "Studio Bus (B)", "0x20903E64"]);
    let line = dump_a.line_matching("a note-on", |l| l.contains("Note on"));
    assert!(line.contains("note 62"), "A heard its own message: {line}");
}

#[test]
#[ignore = "needs a booted kernel with the ALSA sequencer: .ci/alsa/run"]
fn past_every_cap_service_status_names_the_endpoints_left_out() {
    // One client of its own (UMP kernels) and one shared port, where the defaults are 16
    // and 254: two pairs leave endpoints without a presence.
    let bus = Bridge::start_with(&[("MIDI_ALSA_CLIENT_CAP", "1"), ("MIDI_ALSA_PORT_CAP", "1")]);
    bus.run(&["loopback", "create", "--root-name", "First"]);
    bus.run(&["loopback", "create", "--root-name", "Second"]);
    let presented = if expect_ump() { 2 } else { 1 };
    let mut status = Value::Null;
    wait_until("the bridge to report what it left out", || {
        status = bus.status();
        status["alsa"]["missing"].as_array().map(Vec::len) == Some(4 - presented)
    });
    let missing = status["alsa"]["missing"].to_string();
    assert!(missing.contains("Second (B)"), "{missing}");
    assert!(missing.contains("its limit"), "{missing}");
    let text = bus.run(&["service", "status"]);
    assert!(text.contains("no ALSA presence for Second (B)"), "{text}");
    // Removing a pair makes room: the endpoints left out get their presence (on a UMP
    // kernel, Second (A) takes the freed client and Second (B) the freed port).
    bus.run(&["loopback", "remove", "First"]);
    wait_until("the endpoints left out to be presented", || {
        bus.pair("Second").is_some_and(|p| {
            !p["endpoint_a"]["alsa"].is_null()
                && (!expect_ump() || !p["endpoint_b"]["alsa"].is_null())
        })
    });
}

#[test]
#[ignore = "needs a booted kernel with the ALSA sequencer: .ci/alsa/run"]
fn a_sysex_without_its_end_is_dropped_and_counted_and_the_next_note_arrives() {
    let bus = Bridge::start();
    let (a, _) = bus.create("Studio Bus");
    let mut on_b = bus.open("Studio Bus (B)");
    // A client that writes a SysEx and never ends it, then a note.
    let seq = Seq::open().expect("open the sequencer");
    let port = seq
        .create_port(&midi_loopback::alsa::PortSpec::duplex("bad input"))
        .expect("port");
    let ours = Address {
        client: seq.client_id(),
        port,
    };
    seq.subscribe(ours, a).expect("subscribe to A");
    seq.send(
        port,
        &[
            EventKind::SysEx(vec![0xF0, 0x7D, 0x01, 0x02]),
            EventKind::NoteOn {
                channel: 0,
                note: 60,
                velocity: 100,
            },
        ],
    )
    .expect("send");
    let words = receive_until(&mut on_b, |w| (w[0] >> 20) & 0xF == 0x9);
    let expected = if expect_ump() {
        0x4090_3C00
    } else {
        0x2090_3C64
    };
    let note = words.last().expect("the note");
    assert_eq!(
        note[0] & 0xFFFF_FF00,
        expected & 0xFFFF_FF00,
        "{words:08x?}"
    );
    if !expect_ump() {
        assert_eq!(
            words.len(),
            1,
            "the unfinished SysEx got through: {words:08x?}"
        );
        let status = bus.status();
        assert_eq!(
            status["alsa"]["dropped_input"]["sysex_aborted"], 1,
            "{status}"
        );
    }
}

// ---- performance (figures for BENCHMARKS.md; nothing about time is asserted) ----------------

/// A client that writes every event it reads back out of its port, until `stop`.
fn echo(seq: Seq, port: u8, stop: std::sync::Arc<std::sync::atomic::AtomicBool>) {
    let mut seq = seq;
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        let events: Vec<EventKind> = seq
            .read_events()
            .expect("read")
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| !e.kind.is_system())
            .map(|e| e.kind)
            .collect();
        if events.is_empty() {
            wait_readable(&seq);
        } else {
            seq.send(port, &events).expect("echo");
        }
    }
}

/// Sleeps until `seq` has something to read (or 100 ms pass): no spinning, the guest has one
/// CPU for the engine and every client.
fn wait_readable(seq: &Seq) {
    let mut fd = libc::pollfd {
        fd: seq.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one pollfd we own, for the duration of the call.
    unsafe { libc::poll(&mut fd, 1, 100) };
}

/// A client with one duplex port.
fn client_with_port(name: &str) -> (Seq, Address) {
    let seq = Seq::open().expect("open the sequencer");
    seq.set_input_pool(2000).expect("pool");
    let port = seq
        .create_port(&midi_loopback::alsa::PortSpec::duplex(name))
        .expect("port");
    let address = Address {
        client: seq.client_id(),
        port,
    };
    (seq, address)
}

/// Round trips of `count` notes from `seq`'s port, each waited for before the next; sorted
/// nanoseconds.
fn round_trips(seq: &mut Seq, port: u8, count: usize) -> Vec<u64> {
    let mut times = Vec::with_capacity(count);
    for i in 0..count {
        let note = EventKind::NoteOn {
            channel: 0,
            note: (i % 128) as u8,
            velocity: 100,
        };
        let start = std::time::Instant::now();
        seq.send(port, std::slice::from_ref(&note)).expect("send");
        loop {
            wait_readable(seq);
            let back = seq.read_events().expect("read");
            if back
                .iter()
                .any(|e| e.as_ref().is_ok_and(|e| e.kind == note))
            {
                break;
            }
            assert!(start.elapsed() < PEER_TIMEOUT, "note {i} never came back");
        }
        times.push(start.elapsed().as_nanos() as u64);
    }
    times.sort_unstable();
    times
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i] as f64 / 1000.0
}

#[test]
#[ignore = "needs a booted kernel with the ALSA sequencer: .ci/alsa/run"]
fn round_trip_through_a_pair_beside_a_direct_subscription() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    const COUNT: usize = 500;
    let bus = Bridge::start();
    let (a, b) = bus.create("Bench Bus");
    let stop = Arc::new(AtomicBool::new(false));

    // Ours: X writes into A and reads A; the echo client reads B and writes into B.
    let (mut x, x_addr) = client_with_port("bench sender");
    let (e, e_addr) = client_with_port("bench echo");
    x.subscribe(x_addr, a).unwrap();
    x.subscribe(a, x_addr).unwrap();
    e.subscribe(b, e_addr).unwrap();
    e.subscribe(e_addr, b).unwrap();
    let echo_thread = {
        let stop = stop.clone();
        std::thread::spawn(move || echo(e, e_addr.port, stop))
    };
    let through_pair = round_trips(&mut x, x_addr.port, COUNT);
    stop.store(true, Ordering::Relaxed);
    echo_thread.join().unwrap();

    // The yardstick: the same two kinds of client, subscribed to each other directly.
    stop.store(false, Ordering::Relaxed);
    let (mut y, y_addr) = client_with_port("direct sender");
    let (f, f_addr) = client_with_port("direct echo");
    y.subscribe(y_addr, f_addr).unwrap();
    y.subscribe(f_addr, y_addr).unwrap();
    let echo_thread = {
        let stop = stop.clone();
        std::thread::spawn(move || echo(f, f_addr.port, stop))
    };
    let direct = round_trips(&mut y, y_addr.port, COUNT);
    stop.store(true, Ordering::Relaxed);
    echo_thread.join().unwrap();

    // 10,000 notes at 10,000 a second into A, counted by a reader of B.
    let (mut reader, r_addr) = client_with_port("bench reader");
    reader.subscribe(b, r_addr).unwrap();
    let sender = std::thread::spawn(move || {
        let start = std::time::Instant::now();
        for i in 0..10_000u32 {
            // Ten notes a millisecond, sleeping between the bursts.
            if i % 10 == 0 {
                let due = start + Duration::from_millis(u64::from(i / 10));
                if let Some(wait) = due.checked_duration_since(std::time::Instant::now()) {
                    std::thread::sleep(wait);
                }
            }
            let note = EventKind::NoteOn {
                channel: 0,
                note: (i % 128) as u8,
                velocity: 1,
            };
            while x.send(x_addr.port, std::slice::from_ref(&note)).is_err() {
                std::thread::yield_now(); // our own output pool is full: wait, do not lose
            }
        }
    });
    let mut arrived = 0usize;
    let deadline = std::time::Instant::now() + PEER_TIMEOUT;
    while arrived < 10_000 && std::time::Instant::now() < deadline {
        wait_readable(&reader);
        match reader.read_events() {
            Ok(events) => {
                arrived += events
                    .iter()
                    .filter(|e| e.as_ref().is_ok_and(|e| !e.kind.is_system()))
                    .count()
            }
            Err(err) => println!("reader: {err}"),
        }
    }
    sender.join().unwrap();
    let tier = if expect_ump() {
        "UMP kernel"
    } else {
        "MIDI 1.0 kernel"
    };
    println!(
        "BENCH alsa round trip ({tier}, {COUNT} notes): through a pair p50 {:.0} µs p99 {:.0} µs; direct subscription p50 {:.0} µs p99 {:.0} µs; ratio p50 {:.2}",
        percentile(&through_pair, 0.5),
        percentile(&through_pair, 0.99),
        percentile(&direct, 0.5),
        percentile(&direct, 0.99),
        percentile(&through_pair, 0.5) / percentile(&direct, 0.5)
    );
    let pair = bus.pair("Bench Bus").expect("the pair");
    println!(
        "BENCH alsa 10,000 notes at 10,000/s into A: {arrived} arrived at a reader of B ({} lost; engine: A→B {}, bridge dropped {})",
        10_000 - arrived,
        pair["a_to_b"],
        bus.status()["alsa"]["dropped_input"]
    );
}
