//! The ALSA sequencer layer against third-party programs, in a booted kernel.
//!
//! Every test here needs `/dev/snd/seq`, `aconnect`, `aseqdump` and python-rtmidi, so they are
//! ignored by default; `.ci/alsa/run` boots a stock Debian kernel (MIDI 1.0 sequencer) and a
//! kernel with `CONFIG_SND_SEQ_UMP` under qemu and runs them there with `--ignored`, setting
//! `MIDI_ALSA_EXPECT_UMP` to 0 or 1 so the MIDI 2.0 tests know what the kernel must do.
//! `MIDI_ALSA_PYTHON` names the interpreter that has `rtmidi` (default `/usr/bin/python3`).

mod alsa_support;

use alsa_support::*;
use std::time::Duration;

use midi_loopback::alsa::sys::{port_cap, ump};
use midi_loopback::alsa::{
    Address, EventKind, MidiVersion, Negotiation, PortSpec, Seq, UmpBlock, UmpEndpoint, UmpPacket,
};

const NAME: &str = "Studio Bus (A)";

/// A legacy (MIDI 1.0) client named `NAME` with one duplex port named `NAME`.
fn legacy_bus() -> (Seq, Address) {
    let seq = Seq::open().unwrap_or_else(|err| panic!("{err}"));
    seq.set_client_name(NAME).unwrap();
    seq.set_input_pool(2000).unwrap();
    let port = seq.create_port(&PortSpec::duplex(NAME)).unwrap();
    let address = Address {
        client: seq.client_id(),
        port,
    };
    (seq, address)
}

// ---- MIDI 1.0: any kernel with a sequencer --------------------------------------------------

#[test]
#[ignore = "needs a booted kernel with the ALSA sequencer: .ci/alsa/run"]
fn our_client_and_port_appear_in_aconnect_list() {
    let (seq, address) = legacy_bus();
    let listing = aconnect_list();
    let section = aconnect_section(&listing, seq.client_id());
    println!("aconnect -l shows us as:\n{}", section.join("\n"));
    assert!(
        section
            .first()
            .is_some_and(|h| h.contains(&format!("'{NAME}' [type=user"))),
        "client {} is not listed as '{NAME}':\n{listing}",
        seq.client_id()
    );
    assert!(
        lists_port(&section, address.port, NAME),
        "port {address} missing:\n{listing}"
    );
    // Our own listing agrees with aconnect's.
    let ours = seq.clients().unwrap();
    assert!(
        ours.iter()
            .any(|c| c.client == seq.client_id() && c.name == NAME && c.is_user)
    );
    let ports = seq.ports(seq.client_id()).unwrap();
    assert_eq!(ports.len(), 1);
    assert_eq!(ports[0].name, NAME);
    assert_eq!(
        ports[0].capability & port_cap::SUBS_READ,
        port_cap::SUBS_READ
    );
}

#[test]
#[ignore = "needs a booted kernel with the ALSA sequencer: .ci/alsa/run"]
fn mido_offers_our_port_by_name() {
    let (_seq, address) = legacy_bus();
    let mut peer = Peer::python(&["mido-ports"]);
    // RtMidi names a port "client name:port name client:port".
    let wanted = format!("PORT {NAME}:{NAME} {address}");
    peer.line_matching(&wanted, |l| l == wanted || l == "END");
    assert!(peer.seen.contains(&wanted), "mido listed {:?}", peer.seen);
    peer.wait_success();
}

#[test]
#[ignore = "needs a booted kernel with the ALSA sequencer: .ci/alsa/run"]
fn a_note_we_send_reaches_aseqdump() {
    let (seq, address) = legacy_bus();
    let mut dump = Peer::spawn("aseqdump", &["-p", &address.to_string()]);
    // An event sent before the subscription exists is dropped, so wait for it. (aseqdump's
    // banner is no sign: its stdout is a pipe, flushed only after the first event.)
    wait_until("aseqdump to subscribe", || {
        seq.port_info(address).unwrap().read_use >= 1
    });
    seq.send(
        address.port,
        &[EventKind::NoteOn {
            channel: 0,
            note: 60,
            velocity: 100,
        }],
    )
    .unwrap();
    let line = dump.line_matching("a note-on", |l| l.contains("Note on"));
    println!("aseqdump printed: {line}");
    assert!(line.contains(&address.to_string()), "{line}");
    assert!(line.contains("note 60, velocity 100"), "{line}");
}

#[test]
#[ignore = "needs a booted kernel with the ALSA sequencer: .ci/alsa/run"]
fn a_note_python_rtmidi_sends_arrives_in_our_read() {
    let (mut seq, address) = legacy_bus();
    let peer = Peer::python(&["send", &address.to_string(), "903c64"]);
    let (source, kind) = read_until(&mut seq, "a note-on from rtmidi", |e| {
        matches!(e.kind, EventKind::NoteOn { .. }).then(|| (e.source, e.kind.clone()))
    });
    assert_eq!(
        kind,
        EventKind::NoteOn {
            channel: 0,
            note: 60,
            velocity: 100
        }
    );
    assert_ne!(
        source.client,
        seq.client_id(),
        "the note came from the peer's own client"
    );
    peer.wait_success();
}

#[test]
#[ignore = "needs a booted kernel with the ALSA sequencer: .ci/alsa/run"]
fn a_1000_byte_sysex_travels_both_ways_intact() {
    let (mut seq, address) = legacy_bus();
    let outgoing = sysex_of(1000, 3);
    let mut listener = Peer::python(&["receive", &address.to_string(), "60"]);
    listener.line_matching("READY", |l| l == "READY");
    wait_until("rtmidi to subscribe", || {
        seq.port_info(address).unwrap().read_use >= 1
    });
    seq.send(address.port, &[EventKind::SysEx(outgoing.clone())])
        .unwrap();
    let got = listener.line_matching("the SysEx", |l| l.starts_with("GOT "));
    assert_eq!(
        got,
        format!("GOT {}", hex(&outgoing)),
        "rtmidi received a different SysEx"
    );

    let incoming = sysex_of(1000, 5);
    let _sender = Peer::python(&["send", &address.to_string(), &hex(&incoming)]);
    let mut assembled = Vec::new();
    read_until(&mut seq, "the whole SysEx from rtmidi", |e| match &e.kind {
        EventKind::SysEx(chunk) => {
            assembled.extend_from_slice(chunk);
            (assembled.last() == Some(&0xF7)).then_some(())
        }
        _ => None,
    });
    assert_eq!(assembled.len(), 1000);
    assert_eq!(assembled, incoming, "our read got a different SysEx");
}

#[test]
#[ignore = "needs a booted kernel with the ALSA sequencer: .ci/alsa/run"]
fn a_renamed_port_shows_its_new_name_in_aconnect() {
    let (seq, address) = legacy_bus();
    let renamed = "Studio Bus (A) renamed";
    seq.rename_port(address.port, renamed).unwrap();
    let listing = aconnect_list();
    let section = aconnect_section(&listing, seq.client_id());
    assert!(
        lists_port(&section, address.port, renamed),
        "rename not visible:\n{listing}"
    );
    assert!(
        !lists_port(&section, address.port, NAME),
        "old name still listed:\n{listing}"
    );
    assert_eq!(seq.port_info(address).unwrap().name, renamed);
}

#[test]
#[ignore = "needs a booted kernel with the ALSA sequencer: .ci/alsa/run"]
fn a_deleted_port_is_gone_from_aconnect() {
    let (seq, address) = legacy_bus();
    assert!(lists_port(
        &aconnect_section(&aconnect_list(), seq.client_id()),
        address.port,
        NAME
    ));
    seq.delete_port(address.port).unwrap();
    let listing = aconnect_list();
    let section = aconnect_section(&listing, seq.client_id());
    assert!(
        !lists_port(&section, address.port, NAME),
        "port still listed:\n{listing}"
    );
    assert!(seq.ports(seq.client_id()).unwrap().is_empty());
    assert!(
        seq.port_info(address).is_err(),
        "the kernel still knows port {address}"
    );
}

// ---- MIDI 2.0: what the kernel must do with and without SND_SEQ_UMP --------------------------

fn studio_endpoint() -> UmpEndpoint {
    UmpEndpoint {
        name: NAME.into(),
        product_id: "midi-loopback-test".into(),
        protocol_caps: ump::PROTO_MIDI1 | ump::PROTO_MIDI2,
        protocol: ump::PROTO_MIDI2,
        num_blocks: 1,
        flags: ump::EP_INFO_STATIC_BLOCKS,
        version: 0,
        manufacturer_id: 0x7D,
        family_id: 0x0102,
        model_id: 0x0304,
        sw_revision: [0, 1, 0, 0],
    }
}

fn studio_block() -> UmpBlock {
    UmpBlock {
        name: "Bus".into(),
        direction: ump::DIR_BIDIRECTION,
        active: true,
        first_group: 0,
        num_groups: 1,
        midi_ci_version: 0,
        ui_hint: ump::BLOCK_UI_HINT_BOTH,
        flags: 0,
    }
}

/// A UMP MIDI 2.0 client presented like alsa-lib's: port 0 "MIDI 2.0", port 1 "Group 1 (Bus)".
/// `None` (after checking the kernel refused UMP the way it should) on a kernel without it.
fn ump_bus() -> Option<(Seq, Address)> {
    let mut seq = Seq::open().unwrap_or_else(|err| panic!("{err}"));
    if !expect_ump() {
        let err = seq.create_ump_endpoint(&studio_endpoint(), 1).unwrap_err();
        assert!(err.to_string().contains("midi_version"), "{err}");
        assert_eq!(seq.midi_version().unwrap(), Some(MidiVersion::Legacy));
        return None;
    }
    seq.set_input_pool(2000).unwrap();
    seq.create_ump_endpoint(&studio_endpoint(), 1).unwrap();
    seq.create_ump_block(0, &studio_block()).unwrap();
    let group_port = Address {
        client: seq.client_id(),
        port: 1,
    };
    Some((seq, group_port))
}

#[test]
#[ignore = "needs a booted kernel with the ALSA sequencer: .ci/alsa/run"]
fn midi2_negotiation_matches_the_kernel() {
    let mut seq = Seq::open().unwrap();
    let outcome = seq.negotiate_midi2().unwrap();
    let (major, minor, sub) = seq.kernel_protocol();
    println!("kernel sequencer protocol {major}.{minor}.{sub}: {outcome}");
    if expect_ump() {
        assert_eq!(outcome, Negotiation::Midi2);
        assert_eq!(seq.midi_version().unwrap(), Some(MidiVersion::UmpMidi2));
    } else {
        assert_eq!(outcome, Negotiation::Midi1NoUmpKernel);
        assert_eq!(
            outcome.to_string(),
            "MIDI 1.0 (this kernel has no UMP sequencer)"
        );
        assert_eq!(seq.midi_version().unwrap(), Some(MidiVersion::Legacy));
    }
}

#[test]
#[ignore = "needs a booted kernel with the ALSA sequencer: .ci/alsa/run"]
fn ump_endpoint_and_block_read_back_from_the_kernel() {
    let Some((seq, _)) = ump_bus() else { return };
    // Read back through a second client, as any other application would.
    let other = Seq::open().unwrap();
    let endpoint = other.ump_endpoint(seq.client_id()).unwrap();
    assert_eq!(
        endpoint,
        UmpEndpoint {
            version: ump::DEFAULT_VERSION,
            ..studio_endpoint()
        }
    );
    let block = other.ump_block(seq.client_id(), 0).unwrap();
    assert_eq!(
        block,
        UmpBlock {
            midi_ci_version: ump::DEFAULT_MIDI_CI_VERSION,
            ..studio_block()
        }
    );
    let ports = other.ports(seq.client_id()).unwrap();
    let names: Vec<&str> = ports.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["MIDI 2.0", "Group 1 (Bus)"]);
    assert_ne!(ports[0].capability & port_cap::UMP_ENDPOINT, 0);
    assert_eq!(ports[1].ump_group, 1);
    let client = other
        .clients()
        .unwrap()
        .into_iter()
        .find(|c| c.client == seq.client_id())
        .unwrap();
    assert_eq!(
        (client.name.as_str(), client.midi_version),
        (NAME, Some(MidiVersion::UmpMidi2))
    );
    let listing = aconnect_list();
    let section = aconnect_section(&listing, seq.client_id());
    println!(
        "aconnect -l shows our UMP client as:\n{}",
        section.join("\n")
    );
    assert!(lists_port(&section, 1, "Group 1 (Bus)"), "{listing}");
}

#[test]
#[ignore = "needs a booted kernel with the ALSA sequencer: .ci/alsa/run"]
fn a_legacy_aseqdump_gets_the_kernels_midi1_note_from_our_ump_client() {
    let Some((seq, group_port)) = ump_bus() else {
        return;
    };
    let mut dump = Peer::spawn("aseqdump", &["-p", &group_port.to_string()]);
    wait_until("aseqdump to subscribe", || {
        seq.port_info(group_port).unwrap().read_use >= 1
    });
    // MIDI 2.0 note-on, group 0, channel 0, note 60, 16-bit velocity 0x8000 (MIDI 1.0: 64).
    let note = UmpPacket::new(&[0x4090_3c00, 0x8000_0000]).unwrap();
    seq.send(group_port.port, &[EventKind::Ump(note)]).unwrap();
    let line = dump.line_matching("a note-on", |l| l.contains("Note on"));
    println!("aseqdump printed: {line}");
    assert!(line.contains("note 60, velocity 64"), "{line}");
}

#[test]
#[ignore = "needs a booted kernel with the ALSA sequencer: .ci/alsa/run"]
fn a_legacy_rtmidi_note_reaches_our_ump_client_as_midi2() {
    let Some((mut seq, group_port)) = ump_bus() else {
        return;
    };
    let peer = Peer::python(&["send", &group_port.to_string(), "903c64"]);
    let words = read_until(&mut seq, "a UMP note-on", |e| match &e.kind {
        EventKind::Ump(p) => Some(p.words().to_vec()),
        _ => None,
    });
    // Velocity 100 scaled to 16 bits by the MIDI 2.0 rule (bit repetition): 0xC924.
    assert_eq!(words, vec![0x4090_3c00, 0xC924_0000], "{words:08x?}");
    peer.wait_success();
}

fn sysex7_packets(payload: &[u8]) -> Vec<EventKind> {
    let chunks: Vec<&[u8]> = payload.chunks(6).collect();
    chunks
        .iter()
        .enumerate()
        .map(|(i, chunk)| {
            let status = match (i == 0, i == chunks.len() - 1) {
                (true, true) => 0,
                (true, false) => 1,
                (false, false) => 2,
                (false, true) => 3,
            };
            let mut b = [0u8; 6];
            b[..chunk.len()].copy_from_slice(chunk);
            let w0 = 0x3000_0000
                | (status << 20)
                | ((chunk.len() as u32) << 16)
                | (b[0] as u32) << 8
                | b[1] as u32;
            let w1 = u32::from_be_bytes([b[2], b[3], b[4], b[5]]);
            EventKind::Ump(UmpPacket::new(&[w0, w1]).unwrap())
        })
        .collect()
}

#[test]
#[ignore = "needs a booted kernel with the ALSA sequencer: .ci/alsa/run"]
fn a_1000_byte_sysex_crosses_between_ump_and_legacy_intact() {
    let Some((mut seq, group_port)) = ump_bus() else {
        return;
    };
    let outgoing = sysex_of(1000, 3);
    let mut listener = Peer::python(&["receive", &group_port.to_string(), "60"]);
    listener.line_matching("READY", |l| l == "READY");
    wait_until("rtmidi to subscribe", || {
        seq.port_info(group_port).unwrap().read_use >= 1
    });
    // One packet per write with a breath between: the kernel turns each into a legacy event
    // for rtmidi, whose 200-cell input pool would overflow if they all arrived at once.
    for packet in sysex7_packets(&outgoing[1..outgoing.len() - 1]) {
        seq.send(group_port.port, &[packet]).unwrap();
        std::thread::sleep(Duration::from_millis(2));
    }
    let got = listener.line_matching("the SysEx", |l| l.starts_with("GOT "));
    assert_eq!(
        got,
        format!("GOT {}", hex(&outgoing)),
        "rtmidi received a different SysEx"
    );

    let _sender = Peer::python(&["send", &group_port.to_string(), &hex(&outgoing)]);
    let mut payload = Vec::new();
    read_until(&mut seq, "the last SysEx7 packet", |e| {
        let EventKind::Ump(p) = &e.kind else {
            return None;
        };
        let w = p.words();
        assert_eq!(w[0] >> 28, 3, "not a SysEx7 packet: {w:08x?}");
        let count = ((w[0] >> 16) & 0xF) as usize;
        let bytes = [
            (w[0] >> 8) as u8,
            w[0] as u8,
            (w[1] >> 24) as u8,
            (w[1] >> 16) as u8,
            (w[1] >> 8) as u8,
            w[1] as u8,
        ];
        payload.extend_from_slice(&bytes[..count.min(6)]);
        matches!((w[0] >> 20) & 0xF, 0 | 3).then_some(())
    });
    assert_eq!(
        payload,
        &outgoing[1..outgoing.len() - 1],
        "our UMP read got a different SysEx"
    );
}

#[test]
#[ignore = "needs a booted kernel with the ALSA sequencer: .ci/alsa/run"]
fn a_midi2_peer_and_our_ump_client_exchange_ump_unchanged() {
    let Some((mut seq, group_port)) = ump_bus() else {
        return;
    };
    // Ours → pylibremidi: a MIDI 2.0 note-on with a 16-bit velocity and attribute data, which
    // no MIDI 1.0 path could carry.
    let note = [0x4090_3c03, 0x1234_5678];
    let mut listener = Peer::ump_python(&["receive", &group_port.to_string(), "60"]);
    listener.line_matching("READY", |l| l == "READY");
    wait_until("pylibremidi to subscribe", || {
        seq.port_info(group_port).unwrap().read_use >= 1
    });
    seq.send(
        group_port.port,
        &[EventKind::Ump(UmpPacket::new(&note).unwrap())],
    )
    .unwrap();
    let got = listener.line_matching("the UMP note", |l| l.starts_with("GOT "));
    assert!(
        got.starts_with("GOT 40903c03 12345678"),
        "pylibremidi received {got:?}"
    );

    // pylibremidi → ours: a MIDI 2.0 control change with a 32-bit value.
    let control = [0x40B0_0700u32, 0xDEAD_BEEF];
    let words = format!("{:08x},{:08x}", control[0], control[1]);
    let sender = Peer::ump_python(&["send", &group_port.to_string(), &words]);
    let got = read_until(&mut seq, "the UMP control change", |e| match &e.kind {
        EventKind::Ump(p) => Some(p.words().to_vec()),
        _ => None,
    });
    assert_eq!(got, control, "{got:08x?}");
    sender.wait_success();
}
