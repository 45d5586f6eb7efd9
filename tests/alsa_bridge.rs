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
use midi_loopback::alsa::{Address, Seq};
use midi_loopback::client::{Client, EndpointConnection, Received};
use serde_json::Value;

/// An engine with its ALSA bridge, stopped when the test ends.
struct Bridge {
    home: TestHome,
}

impl Bridge {
    fn start() -> Bridge {
        let bridge = Bridge {
            home: TestHome::new(),
        };
        bridge.midi().args(["service", "start"]).assert().success();
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
        serde_json::from_str::<Value>(&text).expect("list --json")["pairs"]
            .as_array()
            .cloned()
            .unwrap_or_default()
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
        let mut found = None;
        wait_until(&format!("ALSA addresses for {root}"), || {
            found = self.pair(root).and_then(|p| {
                Some((
                    address(p["endpoint_a"]["alsa"]["address"].as_str()?),
                    address(p["endpoint_b"]["alsa"]["address"].as_str()?),
                ))
            });
            found.is_some()
        });
        found.expect("waited for it")
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
    for (port, reader) in [(a, "Studio Bus (B)"), (b, "Studio Bus (A)")] {
        let mut conn = bus.open(reader);
        Peer::python(&["send", &port.to_string(), "903c64"]).wait_success();
        let words = receive_words(&mut conn, 1);
        // A MIDI 1.0 port's note arrives as a MIDI 1.0 UMP; a MIDI 2.0 client gets the
        // kernel's MIDI 2.0 form (velocity 100 scaled to 16 bits).
        let expected = if expect_ump() {
            vec![0x4090_3C00, 0xC924_0000]
        } else {
            vec![0x2090_3C64]
        };
        assert_eq!(words, vec![expected], "writing to {port}, read on {reader}");
    }
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
