//! Property tests of Network MIDI 2.0 (`netmidi`): arbitrary bytes never panic the parser;
//! every well-formed command survives encode → parse unchanged; and arbitrary datagrams
//! thrown at a host with an established session never panic it — from strangers they leave
//! the session working exactly, and from the peer's own address a session reset heals
//! whatever they did (unless they ended the session, which a bye may).
//!
//! `PROPTEST_CASES=N` runs more cases.

mod common;

use common::proptest_config as config;
use midi_loopback::core::ump::message_words;
use midi_loopback::netmidi::packet::{self, Command, Identity, parse};
use midi_loopback::netmidi::session::{
    Client, ClientConfig, Credentials, Host, HostAuth, HostConfig, Output,
};
use proptest::prelude::*;
use std::net::SocketAddr;
use std::time::Instant;

const CODES: [u8; 18] = [
    0x01, 0x02, 0x03, 0x10, 0x11, 0x12, 0x13, 0x20, 0x21, 0x7F, 0x80, 0x81, 0x82, 0x83, 0x8F, 0xF0,
    0xF1, 0xFF,
];

fn whole_messages() -> impl Strategy<Value = Vec<u32>> {
    let message = any::<u32>().prop_flat_map(|first| {
        proptest::collection::vec(any::<u32>(), message_words(first) - 1).prop_map(move |rest| {
            let mut m = vec![first];
            m.extend(rest);
            m
        })
    });
    proptest::collection::vec(message, 0..4).prop_map(|ms| ms.concat())
}

/// One command packet with a consistent length: a known or random code, random
/// command-specific bits, and a payload of random words or of whole UMP messages.
fn command_bytes() -> impl Strategy<Value = Vec<u8>> {
    let code = prop_oneof![4 => proptest::sample::select(CODES.to_vec()), 1 => any::<u8>()];
    let payload = prop_oneof![
        proptest::collection::vec(any::<u32>(), 0..12),
        whole_messages()
    ];
    (code, any::<u16>(), payload).prop_map(|(code, cs, payload)| {
        let mut b = vec![code, payload.len() as u8];
        b.extend_from_slice(&cs.to_be_bytes());
        for w in payload {
            b.extend_from_slice(&w.to_be_bytes());
        }
        b
    })
}

fn datagram() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        1 => proptest::collection::vec(any::<u8>(), 0..64),
        4 => proptest::collection::vec(command_bytes(), 0..6)
            .prop_map(|cmds| b"MIDI".iter().copied().chain(cmds.concat()).collect()),
    ]
}

fn text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 éü]{0,30}"
}

fn identity() -> impl Strategy<Value = Identity> {
    ("[a-zA-Z0-9 éü]{0,20}", "[ -~]{0,42}").prop_map(|(n, p)| Identity::new(&n, &p).unwrap())
}

fn well_formed_command() -> impl Strategy<Value = Command> {
    prop_oneof![
        (any::<u8>(), identity()).prop_map(|(capabilities, identity)| Command::Invitation {
            capabilities,
            identity
        }),
        any::<[u8; 32]>().prop_map(|digest| Command::InvitationWithAuth { digest }),
        (any::<[u8; 32]>(), "[a-z]{1,40}")
            .prop_map(|(digest, user)| Command::InvitationWithUserAuth { digest, user }),
        identity().prop_map(|identity| Command::Accepted { identity }),
        identity().prop_map(|identity| Command::Pending { identity }),
        (any::<[u8; 16]>(), any::<u8>(), identity()).prop_map(|(nonce, state, identity)| {
            Command::AuthRequired {
                nonce,
                state,
                identity,
            }
        }),
        any::<[u8; 4]>().prop_map(|id| Command::Ping { id }),
        any::<[u8; 4]>().prop_map(|id| Command::PingReply { id }),
        (any::<u16>(), any::<u16>())
            .prop_map(|(seq, count)| Command::RetransmitRequest { seq, count }),
        (any::<u16>(), any::<u8>())
            .prop_map(|(seq, reason)| Command::RetransmitError { seq, reason }),
        Just(Command::SessionReset),
        Just(Command::SessionResetReply),
        (any::<u8>(), any::<u32>(), text()).prop_map(|(reason, offending_header, text)| {
            Command::Nak {
                code: packet::code::NAK,
                reason,
                offending_header,
                text,
            }
        }),
        (any::<u8>(), text()).prop_map(|(reason, text)| Command::Bye { reason, text }),
        Just(Command::ByeReply),
        (any::<u16>(), whole_messages()).prop_map(|(seq, words)| Command::UmpData { seq, words }),
    ]
}

const HOST: &str = "192.0.2.1:5673";
const CLIENT: &str = "192.0.2.2:40000";

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// Host and client with a session up (over a lossless, instant link).
struct Pair {
    now: Instant,
    host: Host,
    client: Client,
}

impl Pair {
    fn up(secret: Option<&str>) -> Pair {
        let now = Instant::now();
        let id = Identity::new("Prop", "p").unwrap();
        let (auth, credentials) = match secret {
            Some(s) => (
                HostAuth::SharedSecret(s.into()),
                Credentials::SharedSecret(s.into()),
            ),
            None => (HostAuth::Open, Credentials::None),
        };
        let host = Host::new(HostConfig::new(id.clone(), auth));
        let (client, out) = Client::connect(ClientConfig::new(id, credentials), addr(HOST), now);
        let mut pair = Pair { now, host, client };
        pair.exchange(out);
        assert!(pair.client.is_up());
        pair
    }

    /// Delivers the client's transmits to the host and back until both are quiet; returns
    /// what the host delivered.
    fn exchange(&mut self, out: Vec<Output>) -> Vec<u32> {
        let mut got = Vec::new();
        let mut to_host = transmits(&out);
        while !to_host.is_empty() {
            let mut to_client = Vec::new();
            for bytes in to_host {
                let out = self.host.handle_datagram(self.now, addr(CLIENT), &bytes);
                got.extend(delivered(&out));
                to_client.extend(transmits_to(&out, addr(CLIENT)));
            }
            to_host = Vec::new();
            for bytes in to_client {
                let out = self.client.handle_datagram(self.now, addr(HOST), &bytes);
                to_host.extend(transmits(&out));
            }
        }
        got
    }

    /// The session works: a note from the client arrives once, intact.
    fn note_arrives(&mut self, note: u8) -> bool {
        let words = [0x4090_0000 | (u32::from(note) << 8), 0xC000_0000];
        let out = self.client.send_ump(self.now, &words).unwrap();
        self.exchange(out) == words
    }
}

fn transmits(out: &[Output]) -> Vec<Vec<u8>> {
    out.iter()
        .filter_map(|o| match o {
            Output::Transmit { bytes, .. } => Some(bytes.clone()),
            _ => None,
        })
        .collect()
}

fn transmits_to(out: &[Output], to: SocketAddr) -> Vec<Vec<u8>> {
    out.iter()
        .filter_map(|o| match o {
            Output::Transmit { to: t, bytes } if *t == to => Some(bytes.clone()),
            _ => None,
        })
        .collect()
}

fn delivered(out: &[Output]) -> Vec<u32> {
    out.iter()
        .filter_map(|o| match o {
            Output::Deliver { words, .. } => Some(words.clone()),
            _ => None,
        })
        .flatten()
        .collect()
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn arbitrary_bytes_never_panic_the_parser(bytes in proptest::collection::vec(any::<u8>(), 0..1500)) {
        let _ = parse(&bytes);
    }

    #[test]
    fn framed_commands_parse_one_by_one(cmds in proptest::collection::vec(command_bytes(), 0..8)) {
        let bytes: Vec<u8> = b"MIDI".iter().copied().chain(cmds.concat()).collect();
        let parsed = parse(&bytes).expect("consistent lengths always frame");
        prop_assert_eq!(parsed.len(), cmds.len());
    }

    #[test]
    fn well_formed_commands_survive_a_round_trip(cmds in proptest::collection::vec(well_formed_command(), 1..6)) {
        let back: Vec<Command> = parse(&packet::encode(&cmds))
            .unwrap()
            .into_iter()
            .map(|c| c.expect("well-formed"))
            .collect();
        prop_assert_eq!(back, cmds);
    }

    #[test]
    fn strangers_cannot_disturb_an_established_session(
        secret in proptest::option::of("[a-z]{1,8}"),
        garbage in proptest::collection::vec((datagram(), 0..4u8), 1..10),
    ) {
        let mut p = Pair::up(secret.as_deref());
        // A stranger whose garbage happens to hold a valid invitation (possible with no
        // secret) is a stranger no more: it has a session of its own, and its data counts.
        let mut invited = std::collections::HashSet::new();
        for (bytes, who) in &garbage {
            let from = SocketAddr::from(([198, 51, 100, *who], 1000 + u16::from(*who)));
            let out = p.host.handle_datagram(p.now, from, bytes);
            if out.iter().any(|o| matches!(o, Output::SessionUp { peer, .. } if *peer == from)) {
                invited.insert(from);
            }
            if !invited.contains(&from) {
                prop_assert!(delivered(&out).is_empty(), "a stranger's data was delivered");
            }
            prop_assert!(transmits_to(&out, addr(CLIENT)).is_empty(), "the session's peer was told something");
        }
        prop_assert!(p.note_arrives(60));
        prop_assert!(p.host.sessions().iter().any(|s| s.peer == addr(CLIENT)));
    }

    #[test]
    fn garbage_from_the_peer_never_panics_and_a_reset_heals_it(
        garbage in proptest::collection::vec(datagram(), 1..10),
    ) {
        let mut p = Pair::up(None);
        prop_assert!(p.note_arrives(1));
        let mut ended = false;
        for bytes in &garbage {
            let out = p.host.handle_datagram(p.now, addr(CLIENT), bytes);
            ended |= out.iter().any(|o| matches!(o, Output::SessionDown { .. }));
            prop_assert!(p.host.sessions().len() <= 1);
            if !p.host.sessions().is_empty() {
                prop_assert!(p.host.next_deadline().is_some(), "a live session always has a timer");
            }
        }
        if !ended {
            let out = p.client.reset_session(p.now).unwrap();
            p.exchange(out);
            prop_assert!(p.note_arrives(2), "after a reset the session carries data again");
        }
    }
}
