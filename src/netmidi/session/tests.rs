//! The session protocol driven through both state machines with a fake clock: nothing here
//! sleeps; time is an `Instant` the test moves forward.

use super::*;
use crate::netmidi::packet::{self, Command, bye_reason, code, nak_reason, parse};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

pub(super) fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

pub(super) fn identity(name: &str) -> Identity {
    Identity::new(name, "test-1").unwrap()
}

/// Repeatable nonces.
pub(super) fn counting_entropy() -> Entropy {
    let mut n = 0u8;
    Box::new(move |buf: &mut [u8]| {
        for b in buf {
            n = n.wrapping_add(37);
            *b = n;
        }
    })
}

pub(super) fn commands_of(bytes: &[u8]) -> Vec<Command> {
    parse(bytes)
        .expect("we only send well-framed datagrams")
        .into_iter()
        .map(|c| c.expect("we only send well-formed commands"))
        .collect()
}

pub(super) fn transmits(out: &[Output]) -> Vec<(SocketAddr, Vec<u8>)> {
    out.iter()
        .filter_map(|o| match o {
            Output::Transmit { to, bytes } => Some((*to, bytes.clone())),
            _ => None,
        })
        .collect()
}

pub(super) fn delivered(out: &[Output]) -> Vec<u32> {
    out.iter()
        .filter_map(|o| match o {
            Output::Deliver { words, .. } => Some(words.clone()),
            _ => None,
        })
        .flatten()
        .collect()
}

fn sent_commands(out: &[Output]) -> Vec<Command> {
    transmits(out)
        .iter()
        .flat_map(|(_, b)| commands_of(b))
        .collect()
}

fn down_reason(out: &[Output]) -> Option<DownReason> {
    out.iter().find_map(|o| match o {
        Output::SessionDown { reason, .. } => Some(reason.clone()),
        _ => None,
    })
}

pub(super) const HOST: &str = "192.0.2.1:5673";
pub(super) const CLIENT: &str = "192.0.2.2:40000";

/// A host and a client joined by a link the test controls.
pub(super) struct Pair {
    pub now: Instant,
    pub host: Host,
    pub client: Client,
    /// What each side emitted and nobody has looked at yet (besides transmits in flight).
    pub host_out: Vec<Output>,
    pub client_out: Vec<Output>,
    /// Datagrams in flight: (to host?, bytes).
    pub flight: Vec<(bool, Vec<u8>)>,
}

impl Pair {
    pub fn new(auth: HostAuth, credentials: Credentials) -> Pair {
        let now = Instant::now();
        let host = Host::with_entropy(HostConfig::new(identity("Host"), auth), counting_entropy());
        let (client, out) = Client::connect(
            ClientConfig::new(identity("Client"), credentials),
            addr(HOST),
            now,
        );
        let mut pair = Pair {
            now,
            host,
            client,
            host_out: Vec::new(),
            client_out: Vec::new(),
            flight: Vec::new(),
        };
        pair.take_client(out);
        pair
    }

    /// An open host and a client with a session up.
    pub fn up() -> Pair {
        let mut p = Pair::new(HostAuth::Open, Credentials::None);
        p.run();
        assert!(p.client.is_up(), "handshake completes");
        p.host_out.clear();
        p.client_out.clear();
        p
    }

    pub fn take_client(&mut self, out: Vec<Output>) {
        for (_, bytes) in transmits(&out) {
            self.flight.push((true, bytes));
        }
        self.client_out.extend(
            out.into_iter()
                .filter(|o| !matches!(o, Output::Transmit { .. })),
        );
    }

    pub fn take_host(&mut self, out: Vec<Output>) {
        for (to, bytes) in transmits(&out) {
            if to == addr(CLIENT) {
                self.flight.push((false, bytes));
            }
        }
        self.host_out.extend(
            out.into_iter()
                .filter(|o| !matches!(o, Output::Transmit { .. })),
        );
    }

    /// Delivers one datagram in flight.
    pub fn deliver_one(&mut self, to_host: bool, bytes: &[u8]) {
        if to_host {
            let out = self.host.handle_datagram(self.now, addr(CLIENT), bytes);
            self.take_host(out);
        } else {
            let out = self.client.handle_datagram(self.now, addr(HOST), bytes);
            self.take_client(out);
        }
    }

    /// Delivers everything in flight (and what that causes) without loss.
    pub fn run(&mut self) {
        while !self.flight.is_empty() {
            let flight = std::mem::take(&mut self.flight);
            for (to_host, bytes) in flight {
                self.deliver_one(to_host, &bytes);
            }
        }
    }

    /// Moves the clock and runs both sides' timers (delivering what they send).
    pub fn advance(&mut self, by: Duration) {
        let end = self.now + by;
        loop {
            let next = [self.host.next_deadline(), self.client.next_deadline()]
                .into_iter()
                .flatten()
                .filter(|&t| t <= end)
                .min();
            let Some(t) = next else { break };
            self.now = self.now.max(t);
            let out = self.host.poll_timers(self.now);
            self.take_host(out);
            let out = self.client.poll_timers(self.now);
            self.take_client(out);
            self.run();
        }
        self.now = end;
    }

    pub fn host_session(&self) -> SessionId {
        self.host.sessions()[0].id
    }

    pub fn client_sends(&mut self, words: &[u32]) {
        let out = self.client.send_ump(self.now, words).unwrap();
        self.take_client(out);
    }

    pub fn host_sends(&mut self, words: &[u32]) {
        let id = self.host_session();
        let out = self.host.send_ump(self.now, id, words).unwrap();
        self.take_host(out);
    }

    pub fn host_got(&mut self) -> Vec<u32> {
        let words = delivered(&self.host_out);
        self.host_out
            .retain(|o| !matches!(o, Output::Deliver { .. }));
        words
    }

    pub fn client_got(&mut self) -> Vec<u32> {
        let words = delivered(&self.client_out);
        self.client_out
            .retain(|o| !matches!(o, Output::Deliver { .. }));
        words
    }
}

fn note_on(n: u8) -> [u32; 2] {
    [0x4090_0000 | (u32::from(n) << 8), 0xC000_0000]
}

#[test]
fn handshake_exchanges_identities_and_a_note_goes_both_ways() {
    let mut p = Pair::new(HostAuth::Open, Credentials::None);
    let invitation = commands_of(&p.flight[0].1);
    assert!(matches!(
        &invitation[..],
        [Command::Invitation { capabilities: 0, identity }] if identity.endpoint_name() == "Client"
    ));
    p.run();
    assert!(p.client.is_up());
    let up = |out: &[Output]| {
        out.iter().find_map(|o| match o {
            Output::SessionUp { remote, peer, .. } => Some((remote.clone(), *peer)),
            _ => None,
        })
    };
    assert_eq!(up(&p.host_out), Some((identity("Client"), addr(CLIENT))));
    assert_eq!(up(&p.client_out), Some((identity("Host"), addr(HOST))));
    p.client_sends(&note_on(60));
    p.run();
    assert_eq!(p.host_got(), note_on(60));
    p.host_sends(&note_on(61));
    p.run();
    assert_eq!(p.client_got(), note_on(61));
}

#[test]
fn a_quiet_session_sleeps_until_the_liveness_check() {
    let mut p = Pair::up();
    assert_eq!(p.host.next_deadline(), Some(p.now + Duration::from_secs(5)));
    p.client_sends(&note_on(1));
    // The client now owes trailing keep-alives.
    assert_eq!(
        p.client.next_deadline(),
        Some(p.now + Duration::from_millis(100))
    );
}

fn handshake(auth: HostAuth, credentials: Credentials) -> Pair {
    let mut p = Pair::new(auth, credentials);
    p.run();
    p
}

#[test]
fn shared_secret_is_accepted() {
    let mut p = handshake(
        HostAuth::SharedSecret("s3cret".into()),
        Credentials::SharedSecret("s3cret".into()),
    );
    assert!(p.client.is_up());
    p.client_sends(&note_on(5));
    p.run();
    assert_eq!(p.host_got(), note_on(5));
}

#[test]
fn a_wrong_secret_is_rejected_and_the_host_forgets_the_handshake() {
    let p = handshake(
        HostAuth::SharedSecret("right".into()),
        Credentials::SharedSecret("wrong".into()),
    );
    assert!(p.client.is_down());
    assert_eq!(
        down_reason(&p.client_out),
        Some(DownReason::AuthenticationRejected)
    );
    assert!(p.host.sessions().is_empty());
    assert_eq!(
        p.host.next_deadline(),
        None,
        "the client's bye dropped the handshake"
    );
    let host = p.host.counters(None).unwrap();
    assert_eq!(host.get(Counter::AuthenticationFailures), 1);
}

#[test]
fn user_and_password_are_accepted_and_a_wrong_password_or_user_is_not() {
    let users = HostAuth::Users(vec![UserCredential {
        user: "ann".into(),
        password: "pw".into(),
    }]);
    let cred = |u: &str, pw: &str| {
        Credentials::User(UserCredential {
            user: u.into(),
            password: pw.into(),
        })
    };
    assert!(handshake(users.clone(), cred("ann", "pw")).client.is_up());
    for (u, pw) in [("ann", "nope"), ("bob", "pw")] {
        let p = handshake(users.clone(), cred(u, pw));
        assert_eq!(
            down_reason(&p.client_out),
            Some(DownReason::AuthenticationRejected),
            "{u}/{pw}"
        );
    }
}

#[test]
fn required_authentication_without_credentials_is_refused() {
    // The client offers no capability: the host says bye "no matching authentication".
    let p = handshake(HostAuth::SharedSecret("s".into()), Credentials::None);
    assert_eq!(
        down_reason(&p.client_out),
        Some(DownReason::Refused {
            reason: bye_reason::NO_MATCHING_AUTH
        })
    );
    // A host that challenges anyway (Zephyr does): the client says it cannot answer.
    let mut p = Pair::new(HostAuth::Open, Credentials::None);
    let challenge = packet::encode(&[Command::AuthRequired {
        nonce: [b'n'; 16],
        state: 0,
        identity: identity("Z"),
    }]);
    let out = p.client.handle_datagram(p.now, addr(HOST), &challenge);
    assert_eq!(
        down_reason(&out),
        Some(DownReason::AuthenticationNeeded { user_auth: false })
    );
    assert!(matches!(
        &sent_commands(&out)[..],
        [Command::Bye {
            reason: bye_reason::INVITATION_CANCELED,
            ..
        }]
    ));
}

#[test]
fn repeated_wrong_digests_end_in_bye_auth_failed_with_fresh_nonces() {
    let mut host = Host::with_entropy(
        HostConfig::new(identity("H"), HostAuth::SharedSecret("x".into())),
        counting_entropy(),
    );
    let now = Instant::now();
    let from = addr(CLIENT);
    let invite = packet::encode(&[Command::Invitation {
        capabilities: packet::capability::AUTH,
        identity: identity("C"),
    }]);
    let mut nonces = Vec::new();
    let mut out = host.handle_datagram(now, from, &invite);
    for attempt in 1..=3 {
        match &sent_commands(&out)[..] {
            [Command::AuthRequired { nonce, state, .. }] => {
                assert_eq!(*state, u8::from(attempt > 1));
                nonces.push(*nonce);
            }
            other => panic!("attempt {attempt}: {other:?}"),
        }
        let wrong = packet::encode(&[Command::InvitationWithAuth { digest: [0; 32] }]);
        out = host.handle_datagram(now, from, &wrong);
    }
    assert!(matches!(
        &sent_commands(&out)[..],
        [Command::Bye {
            reason: bye_reason::AUTH_FAILED,
            ..
        }]
    ));
    assert_ne!(nonces[0], nonces[1]);
    assert!(host.sessions().is_empty());
    // The right digest for an old nonce is now worthless: no handshake is pending.
    let late = packet::encode(&[Command::InvitationWithAuth {
        digest: shared_secret_digest(&nonces[2], "x"),
    }]);
    assert!(transmits(&host.handle_datagram(now, from, &late)).is_empty());
}

#[test]
fn fec_recovers_a_single_lost_datagram_without_asking() {
    let mut p = Pair::up();
    p.client_sends(&note_on(1));
    p.run();
    p.client_sends(&note_on(2));
    p.flight.clear(); // lost
    p.client_sends(&note_on(3));
    p.run();
    let mut want = note_on(1).to_vec();
    want.extend(note_on(2));
    want.extend(note_on(3));
    assert_eq!(p.host_got(), want);
    let c = p.host.counters(Some(p.host_session())).unwrap();
    assert_eq!(c.get(Counter::RetransmitRequested), 0);
    assert_eq!(c.get(Counter::Duplicates), 1, "note 1 came again as FEC");
}

fn notes(range: std::ops::Range<u8>) -> Vec<u32> {
    range.flat_map(note_on).collect()
}

#[test]
fn a_burst_of_losses_is_recovered_by_retransmission() {
    let mut p = Pair::up();
    for n in 0..10 {
        p.client_sends(&note_on(n));
        if (2..8).contains(&n) {
            p.flight.clear(); // six datagrams in a row lost: FEC (3) cannot cover them
        }
        p.run();
    }
    assert_eq!(p.host_got(), notes(0..2), "the rest waits for the gap");
    p.advance(Duration::from_millis(40)); // past the 30 ms wait: request, replay
    assert_eq!(p.host_got(), notes(2..10));
    let c = p.host.counters(Some(p.host_session())).unwrap().clone();
    assert_eq!(c.get(Counter::RetransmitRequested), 1);
    assert_eq!(
        c.get(Counter::RetransmitRecovered),
        3,
        "2..5; 5..8 came as FEC of 8 and 9"
    );
    let client = p.client.counters();
    assert_eq!(client.get(Counter::RetransmitAnswered), 3);
}

#[test]
fn reordered_datagrams_are_delivered_in_order() {
    let mut p = Pair::up();
    // The first number received sets the baseline, so the first datagram goes first.
    p.client_sends(&note_on(0));
    p.run();
    for n in 1..9 {
        p.client_sends(&note_on(n));
    }
    let mut flight = std::mem::take(&mut p.flight);
    flight.reverse();
    for (to_host, bytes) in flight {
        p.deliver_one(to_host, &bytes);
    }
    assert_eq!(p.host_got(), notes(0..9));
}

#[test]
fn duplicates_are_delivered_once() {
    let mut p = Pair::up();
    p.client_sends(&note_on(9));
    let (_, bytes) = p.flight[0].clone();
    p.deliver_one(true, &bytes);
    p.deliver_one(true, &bytes);
    assert_eq!(p.host_got(), note_on(9));
    let c = p.host.counters(Some(p.host_session())).unwrap();
    assert_eq!(c.get(Counter::Duplicates), 1);
}

#[test]
fn sequence_numbers_wrap_around_with_a_loss_at_the_wrap() {
    let mut p = Pair::up();
    p.client.link_for_test().set_next_seq(65_530);
    let mut seqs = Vec::new();
    for n in 0..12 {
        p.client_sends(&note_on(n));
        for c in commands_of(&p.flight[0].1) {
            if let Command::UmpData { seq, .. } = c {
                seqs.push(seq);
            }
        }
        if (5..10).contains(&n) {
            p.flight.clear(); // 65535, 0, 1, 2, 3 lost
        }
        p.run();
    }
    assert!(seqs.contains(&65_535) && seqs.contains(&0));
    p.advance(Duration::from_millis(200));
    assert_eq!(p.host_got(), notes(0..12));
}

#[test]
fn a_silent_peer_gets_three_pings_then_bye_timeout() {
    let mut p = Pair::up();
    let t0 = p.now;
    // The client vanishes: nothing it would send arrives, and it hears nothing.
    let mut pings = Vec::new();
    let mut bye_at = None;
    let end = t0 + Duration::from_secs(7);
    while let Some(t) = p.host.next_deadline().filter(|&t| t <= end) {
        p.now = t;
        for c in sent_commands(&p.host.poll_timers(t)) {
            match c {
                Command::Ping { .. } => pings.push(t - t0),
                Command::Bye { reason, .. } => bye_at = Some((t - t0, reason)),
                other => panic!("{other:?}"),
            }
        }
    }
    let ms = Duration::from_millis;
    assert_eq!(pings, [ms(5000), ms(5100), ms(5200)]);
    assert_eq!(bye_at, Some((ms(5300), bye_reason::TIMEOUT)));
    assert!(p.host.sessions().is_empty());
}

#[test]
fn an_answered_ping_keeps_the_session() {
    let mut p = Pair::up();
    p.advance(Duration::from_secs(30));
    assert!(p.client.is_up());
    assert_eq!(p.host.sessions().len(), 1);
    let pings = p
        .host
        .counters(Some(p.host_session()))
        .unwrap()
        .get(Counter::PingsSent);
    assert!(pings >= 1, "the host checked on the quiet client");
}

#[test]
fn bye_ends_both_sides() {
    let mut p = Pair::up();
    let out = p.client.close();
    assert_eq!(down_reason(&out), Some(DownReason::Closed));
    p.take_client(out);
    p.run();
    assert!(matches!(
        down_reason(&p.host_out),
        Some(DownReason::PeerBye {
            reason: bye_reason::TERMINATED,
            ..
        })
    ));
    assert!(p.host.sessions().is_empty());
}

#[test]
fn session_reset_restarts_numbering_on_both_sides() {
    let mut p = Pair::up();
    for n in 0..5 {
        p.client_sends(&note_on(n));
        p.host_sends(&note_on(n));
    }
    p.run();
    p.host_got();
    p.client_got();
    let out = p.client.reset_session(p.now).unwrap();
    p.take_client(out);
    p.run();
    p.client_sends(&note_on(50));
    let first = commands_of(&p.flight[0].1);
    assert!(
        matches!(first[..], [Command::UmpData { seq: 0, .. }]),
        "{first:?}"
    );
    p.run();
    p.host_sends(&note_on(51));
    p.run();
    assert_eq!(p.host_got(), note_on(50));
    assert_eq!(p.client_got(), note_on(51));
}

#[test]
fn strangers_never_get_data_delivered() {
    let mut host = Host::new(HostConfig::new(identity("H"), HostAuth::Open));
    let now = Instant::now();
    let stranger = addr("198.51.100.7:999");
    let send = |host: &mut Host, cmd: Command| {
        host.handle_datagram(now, stranger, &packet::encode(&[cmd]))
    };
    let out = send(
        &mut host,
        Command::UmpData {
            seq: 1,
            words: note_on(1).to_vec(),
        },
    );
    assert!(delivered(&out).is_empty());
    assert!(matches!(
        &sent_commands(&out)[..],
        [Command::Bye {
            reason: bye_reason::SESSION_NOT_ESTABLISHED,
            ..
        }]
    ));
    let out = send(&mut host, Command::SessionReset);
    assert!(matches!(
        &sent_commands(&out)[..],
        [Command::Bye { reason: 0x05, .. }]
    ));
    let out = send(&mut host, Command::Ping { id: [1, 2, 3, 4] });
    assert_eq!(
        sent_commands(&out),
        [Command::PingReply { id: [1, 2, 3, 4] }]
    );
    let out = send(
        &mut host,
        Command::Bye {
            reason: 1,
            text: String::new(),
        },
    );
    assert_eq!(sent_commands(&out), [Command::ByeReply]);
    for quiet in [
        Command::RetransmitRequest { seq: 0, count: 0 },
        Command::PingReply { id: [0; 4] },
        Command::Unknown {
            header: 0x4400_0000,
        },
        Command::InvitationWithAuth { digest: [0; 32] },
    ] {
        assert!(
            transmits(&send(&mut host, quiet.clone())).is_empty(),
            "{quiet:?}"
        );
    }
    assert!(host.sessions().is_empty());
}

#[test]
fn unsupported_and_malformed_commands_are_naked_but_naks_never_are() {
    let mut p = Pair::up();
    let from = addr(CLIENT);
    let out = p.host.handle_datagram(p.now, from, b"MIDI\x44\x00\xAB\xCD");
    assert!(matches!(
        &sent_commands(&out)[..],
        [Command::Nak {
            code: code::NAK,
            reason: nak_reason::NOT_SUPPORTED,
            offending_header: 0x4400_ABCD,
            ..
        }]
    ));
    let out = p.host.handle_datagram(p.now, from, b"MIDI\x20\x00\x00\x00");
    assert!(matches!(
        &sent_commands(&out)[..],
        [Command::Nak {
            reason: nak_reason::MALFORMED,
            offending_header: 0x2000_0000,
            ..
        }]
    ));
    for nak in [
        &b"MIDI\x8F\x01\x01\x00\x44\x00\x00\x00"[..],
        b"MIDI\x7F\x01\x01\x00\x8F\x00\x00\x00",
        b"MIDI\x8F\x00\x01\x00",
    ] {
        assert!(transmits(&p.host.handle_datagram(p.now, from, nak)).is_empty());
    }
    // Many bad commands in one datagram cause a few NAKs, not a flood.
    let flood: Vec<u8> = b"MIDI"
        .iter()
        .copied()
        .chain([0x44, 0, 0, 0].repeat(300))
        .collect();
    let naks = sent_commands(&p.host.handle_datagram(p.now, from, &flood));
    assert_eq!(naks.len(), 4);
    // A handshake reply on a running session is not expected.
    let accepted = packet::encode(&[Command::Accepted {
        identity: identity("x"),
    }]);
    let out = p.host.handle_datagram(p.now, from, &accepted);
    assert!(matches!(
        &sent_commands(&out)[..],
        [Command::Nak {
            reason: nak_reason::NOT_EXPECTED,
            ..
        }]
    ));
    assert_eq!(p.host.sessions().len(), 1);
}

#[test]
fn the_session_cap_and_the_invitation_rate_cap_hold() {
    let mut config = HostConfig::new(identity("H"), HostAuth::Open);
    config.max_sessions = 2;
    config.max_invitations_per_second = 5;
    let mut host = Host::new(config);
    let now = Instant::now();
    let invite = packet::encode(&[Command::Invitation {
        capabilities: 0,
        identity: identity("C"),
    }]);
    let mut byes = 0;
    let mut silent = 0;
    for port in 1..=7u16 {
        let from = SocketAddr::from(([192, 0, 2, 9], port));
        let cmds = sent_commands(&host.handle_datagram(now, from, &invite));
        match &cmds[..] {
            [Command::Accepted { .. }] => {}
            [
                Command::Bye {
                    reason: bye_reason::TOO_MANY_SESSIONS,
                    ..
                },
            ] => byes += 1,
            [] => silent += 1,
            other => panic!("{other:?}"),
        }
    }
    assert_eq!((host.sessions().len(), byes, silent), (2, 3, 2));
    // A second later the rate window is fresh again.
    let from = SocketAddr::from(([192, 0, 2, 9], 100));
    let cmds = sent_commands(&host.handle_datagram(now + Duration::from_secs(1), from, &invite));
    assert!(matches!(&cmds[..], [Command::Bye { reason: 0x40, .. }]));
}

#[test]
fn retransmit_requests_outside_the_history_get_an_error() {
    let mut p = Pair::up();
    for n in 0..3 {
        p.client_sends(&note_on(n));
    }
    p.run();
    let from = addr(HOST);
    for (seq, count) in [(100, 1), (65_000, 1)] {
        let ask = packet::encode(&[Command::RetransmitRequest { seq, count }]);
        let out = p.client.handle_datagram(p.now, from, &ask);
        assert_eq!(
            sent_commands(&out),
            [Command::RetransmitError {
                seq,
                reason: packet::retransmit_reason::NO_DATA
            }],
            "seq {seq}"
        );
    }
    // Count 0 replays everything from the number to the latest.
    let ask = packet::encode(&[Command::RetransmitRequest { seq: 1, count: 0 }]);
    let seqs: Vec<u16> = sent_commands(&p.client.handle_datagram(p.now, from, &ask))
        .into_iter()
        .filter_map(|c| match c {
            Command::UmpData { seq, .. } => Some(seq),
            _ => None,
        })
        .collect();
    assert_eq!(seqs, [1, 2]);
}

#[test]
fn a_retransmit_error_gives_up_the_gap_and_delivers_the_rest() {
    let mut p = Pair::up();
    for n in 0..9 {
        p.client_sends(&note_on(n));
        if (1..6).contains(&n) {
            p.flight.clear();
        }
        p.run();
    }
    // 1 and 2 are beyond FEC's reach (3..5 came with 6..8).
    assert_eq!(p.host_got(), note_on(0));
    let error = packet::encode(&[Command::RetransmitError { seq: 1, reason: 1 }]);
    let out = p.host.handle_datagram(p.now, addr(CLIENT), &error);
    assert_eq!(delivered(&out), notes(3..9));
    let c = p.host.counters(Some(p.host_session())).unwrap();
    assert_eq!(c.get(Counter::Lost), 2);
}

#[test]
fn trailing_keepalives_recover_a_lost_last_message() {
    let mut p = Pair::up();
    p.client_sends(&note_on(1));
    p.run();
    p.client_sends(&note_on(2));
    p.flight.clear(); // the last message is lost; nothing else would carry it
    let t0 = p.now;
    let mut empties = Vec::new();
    while let Some(t) = p
        .client
        .next_deadline()
        .filter(|&t| t < t0 + Duration::from_secs(1))
    {
        p.now = t;
        let out = p.client.poll_timers(t);
        // The new command is the last of each datagram; the others are FEC copies.
        for (_, bytes) in transmits(&out) {
            if let Some(Command::UmpData { seq, words }) = commands_of(&bytes).pop()
                && words.is_empty()
            {
                empties.push((t - t0, seq));
            }
        }
        p.take_client(out);
        p.run();
    }
    let ms = Duration::from_millis;
    assert_eq!(
        empties,
        [(ms(100), 2), (ms(200), 3), (ms(300), 4), (ms(400), 5)]
    );
    let mut want = note_on(1).to_vec();
    want.extend(note_on(2));
    assert_eq!(p.host_got(), want);
}

#[test]
fn an_unanswered_client_gives_up() {
    let mut p = Pair::new(HostAuth::Open, Credentials::None);
    p.flight.clear();
    let mut invitations = 1;
    let mut reason = None;
    while let Some(t) = p.client.next_deadline() {
        p.now = t;
        let out = p.client.poll_timers(t);
        invitations += sent_commands(&out)
            .iter()
            .filter(|c| matches!(c, Command::Invitation { .. }))
            .count();
        reason = reason.or(down_reason(&out));
    }
    assert_eq!(invitations, 5);
    assert_eq!(reason, Some(DownReason::NoAnswer));
    assert_eq!(
        p.client.send_ump(p.now, &note_on(1)),
        Err(SendError::UnknownSession(SessionId(1)))
    );
}

#[test]
fn a_lost_accept_is_healed_by_the_next_invitation() {
    let mut p = Pair::new(HostAuth::Open, Credentials::None);
    let invitation = p.flight.remove(0).1;
    p.deliver_one(true, &invitation);
    p.flight.clear(); // the accept is lost
    let first = p.host_session();
    p.advance(Duration::from_millis(1100));
    assert!(p.client.is_up());
    let second = p.host_session();
    assert_ne!(first, second);
    assert!(p.host_out.iter().any(|o| matches!(o,
        Output::SessionDown { session, reason: DownReason::Replaced, .. } if *session == first)));
    p.client_sends(&note_on(7));
    p.run();
    assert_eq!(p.host_got(), note_on(7));
}

#[test]
fn sending_checks_the_framing_and_the_session() {
    let mut p = Pair::up();
    assert!(matches!(
        p.client.send_ump(p.now, &[0x4090_3C00]),
        Err(SendError::Framing(_))
    ));
    assert_eq!(
        p.host.send_ump(p.now, SessionId(99), &note_on(1)),
        Err(SendError::UnknownSession(SessionId(99)))
    );
    let fresh = Pair::new(HostAuth::Open, Credentials::None);
    let mut client = fresh.client;
    assert_eq!(
        client.send_ump(fresh.now, &note_on(1)),
        Err(SendError::NotEstablished)
    );
}

#[test]
fn a_big_batch_is_split_into_datagrams_that_fit() {
    let mut p = Pair::up();
    // 64 KB of SysEx7: 6 bytes per 2-word packet.
    let sysex: Vec<u32> = (0..11_000u32)
        .flat_map(|i| [0x3016_0000 | (i & 0x7F), i & 0x7F7F_7F7F])
        .collect();
    p.client_sends(&sysex);
    assert!(
        p.flight
            .iter()
            .all(|(_, b)| b.len() <= packet::MAX_DATAGRAM_BYTES)
    );
    assert!(p.flight.len() > 1);
    p.run();
    assert_eq!(p.host_got(), sysex);
}

#[test]
fn a_big_gap_is_answered_in_capped_replays_until_it_is_closed() {
    let mut p = Pair::up();
    p.client_sends(&note_on(0));
    p.run();
    let batch: Vec<u32> = (0..600).flat_map(|i| note_on((i % 100) as u8)).collect();
    p.client_sends(&batch);
    p.flight.clear(); // every datagram of the batch is lost
    p.client_sends(&note_on(1));
    p.run();
    let ask = packet::encode(&[Command::RetransmitRequest { seq: 1, count: 0 }]);
    let replayed = sent_commands(&p.client.handle_datagram(p.now, addr(HOST), &ask))
        .iter()
        .filter(|c| matches!(c, Command::UmpData { .. }))
        .count();
    assert_eq!(replayed, link::MAX_REPLAY);
    p.advance(Duration::from_secs(2));
    let mut want = note_on(0).to_vec();
    want.extend(&batch);
    want.extend(note_on(1));
    assert!(p.host_got() == want, "the whole gap was closed, in order");
    assert!(p.host.sessions().len() == 1);
}

#[test]
fn several_sessions_at_once_keep_their_data_apart() {
    let now = Instant::now();
    let mut host = Host::new(HostConfig::new(identity("H"), HostAuth::Open));
    let peers = [
        addr("192.0.2.10:1000"),
        addr("192.0.2.11:1000"),
        addr("[2001:db8::1]:1000"),
    ];
    let mut clients: Vec<Client> = Vec::new();
    for peer in peers {
        let config = ClientConfig::new(identity("C"), Credentials::None);
        let (mut client, out) = Client::connect(config, addr(HOST), now);
        for (_, bytes) in transmits(&out) {
            for (to, reply) in transmits(&host.handle_datagram(now, peer, &bytes)) {
                assert_eq!(to, peer);
                client.handle_datagram(now, addr(HOST), &reply);
            }
        }
        assert!(client.is_up());
        clients.push(client);
    }
    let sessions = host.sessions();
    assert_eq!(sessions.len(), 3);
    for (i, (client, peer)) in clients.iter_mut().zip(peers).enumerate() {
        let words = note_on(i as u8);
        let out = client.send_ump(now, &words).unwrap();
        let (_, bytes) = &transmits(&out)[0];
        let got = host.handle_datagram(now, peer, bytes);
        let session = sessions.iter().find(|s| s.peer == peer).unwrap().id;
        assert_eq!(
            got.iter().find_map(|o| match o {
                Output::Deliver { session: s, words } => Some((*s, words.clone())),
                _ => None,
            }),
            Some((session, words.to_vec()))
        );
    }
}

#[test]
fn a_lost_first_datagram_is_asked_for_again() {
    let mut p = Pair::up();
    // One send that fills several datagrams: the second repeats only the last few commands
    // of the first, so the first ones can come back only by retransmission.
    let words: Vec<u32> = (0..300).flat_map(|n| note_on((n % 128) as u8)).collect();
    p.client_sends(&words);
    let mut flight = std::mem::take(&mut p.flight);
    assert!(
        flight.len() >= 3,
        "the messages fit in {} datagrams",
        flight.len()
    );
    flight.remove(0);
    for (to_host, bytes) in flight {
        p.deliver_one(to_host, &bytes);
    }
    p.run();
    p.advance(Duration::from_millis(500));
    assert_eq!(p.host_got(), words);
    let id = p.host_session();
    let recovered = p
        .host
        .counters(Some(id))
        .unwrap()
        .get(Counter::RetransmitRecovered);
    assert!(recovered > 0, "nothing was retransmitted: not a test");
}
