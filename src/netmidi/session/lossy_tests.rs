//! A lossy link in simulated time: 10 % of datagrams dropped, the rest delayed by 5–15 ms
//! (so they overtake each other), 6,000 messages each way. Everything must arrive, once,
//! in order. The link keeps its own books on how each message first reached the receiver
//! — in its first datagram, as an FEC copy in a later one, or in a retransmission — and
//! the test prints them (`cargo test --lib lossy_link -- --nocapture`).

use super::tests::{CLIENT, HOST, addr, commands_of, identity};
use super::*;
use crate::netmidi::packet::Command;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::time::{Duration, Instant};

/// xorshift64*: repeatable randomness without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Side {
    Host,
    Client,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Carrier {
    /// Sent by `send_ump` or a timer.
    Regular,
    /// Sent in answer to a datagram (a retransmit request).
    Answer,
}

/// How messages reached one receiver: their first datagram was not lost (`direct`), or it
/// was and a later datagram's FEC copy or a retransmission brought them.
#[derive(Default, Debug)]
struct Books {
    direct: u64,
    fec: u64,
    retransmit: u64,
}

/// (arrival, datagram id, to, bytes, whether it answered a datagram)
type InFlight = (Instant, u64, Side, Vec<u8>, bool);

struct Link {
    rng: Rng,
    queue: BinaryHeap<Reverse<InFlight>>,
    order: u64,
    /// Uniform: each datagram is lost with probability 1/10. Bursty: a loss starts with
    /// probability 1/50 and takes 3 to 7 datagrams (about 10 % in all, in runs FEC cannot
    /// cover).
    bursty: bool,
    burst_left: u64,
    dropped: HashSet<u64>,
    /// First datagram that carried each sequence number, per sender.
    primary: HashMap<(Side, u16), u64>,
    /// Sequence numbers each receiver has seen, and how.
    seen: HashSet<(Side, u16)>,
    books: HashMap<Side, Books>,
}

impl Link {
    fn send(
        &mut self,
        now: Instant,
        from: Side,
        out: Vec<Output>,
        carrier: Carrier,
        sink: &mut Sink,
    ) {
        for o in out {
            match o {
                Output::Transmit { bytes, .. } => {
                    self.order += 1;
                    let id = self.order;
                    for c in commands_of(&bytes) {
                        if let Command::UmpData { seq, .. } = c {
                            self.primary.entry((from, seq)).or_insert(id);
                        }
                    }
                    if self.lose() {
                        self.dropped.insert(id);
                        continue;
                    }
                    let delay = Duration::from_micros(5_000 + self.rng.below(10_000));
                    let to = if from == Side::Host {
                        Side::Client
                    } else {
                        Side::Host
                    };
                    let answer = carrier == Carrier::Answer;
                    self.queue
                        .push(Reverse((now + delay, id, to, bytes, answer)));
                }
                Output::Deliver { words, .. } => sink.got(from, words),
                Output::SessionDown { reason, .. } => panic!("{from:?} went down: {reason:?}"),
                _ => {}
            }
        }
    }

    fn lose(&mut self) -> bool {
        if !self.bursty {
            return self.rng.below(10) == 0;
        }
        if self.burst_left == 0 && self.rng.below(50) == 0 {
            self.burst_left = 3 + self.rng.below(5);
        }
        if self.burst_left > 0 {
            self.burst_left -= 1;
            return true;
        }
        false
    }

    /// Books the first arrival of each numbered message in a datagram reaching `to`.
    fn book(&mut self, to: Side, bytes: &[u8], answer: bool) {
        let from = if to == Side::Host {
            Side::Client
        } else {
            Side::Host
        };
        for c in commands_of(bytes) {
            let Command::UmpData { seq, words } = c else {
                continue;
            };
            if words.is_empty() || !self.seen.insert((to, seq)) {
                continue;
            }
            let primary = self.primary[&(from, seq)];
            let books = self.books.entry(to).or_default();
            if !self.dropped.contains(&primary) {
                // It was not lost (a later copy may still have overtaken it).
                books.direct += 1;
            } else if answer {
                books.retransmit += 1;
            } else {
                books.fec += 1;
            }
        }
    }
}

#[derive(Default)]
struct Sink {
    host_got: Vec<u32>,
    client_got: Vec<u32>,
}

impl Sink {
    fn got(&mut self, side: Side, words: Vec<u32>) {
        match side {
            Side::Host => self.host_got.extend(words),
            Side::Client => self.client_got.extend(words),
        }
    }
}

/// Message `i` of a stream: a mix of 1-, 2- and 4-word messages, each telling its index.
fn message(i: u32) -> Vec<u32> {
    match i % 3 {
        0 => vec![0x2090_0000 | (i & 0xFFFF)],
        1 => vec![0x4090_0000 | (i & 0xFFFF), i],
        _ => vec![0xF000_0000, i, !i, i ^ 0x5555_5555],
    }
}

fn run_lossy_link(
    seed: u64,
    bursty: bool,
    messages: u32,
) -> (Books, Books, Counters, Counters, usize) {
    let t0 = Instant::now();
    let mut now = t0;
    let mut host = Host::with_entropy(
        HostConfig::new(identity("H"), HostAuth::Open),
        super::tests::counting_entropy(),
    );
    let (mut client, out) = Client::connect(
        ClientConfig::new(identity("C"), Credentials::None),
        addr(HOST),
        now,
    );
    let mut link = Link {
        rng: Rng(seed),
        queue: BinaryHeap::new(),
        order: 0,
        bursty,
        burst_left: 0,
        dropped: HashSet::new(),
        primary: HashMap::new(),
        seen: HashSet::new(),
        books: HashMap::new(),
    };
    let mut sink = Sink::default();
    link.send(now, Side::Client, out, Carrier::Regular, &mut sink);
    let want: Vec<u32> = (0..messages).flat_map(message).collect();
    let mut next = 0;
    let limit = t0 + Duration::from_secs(120);
    while now < limit {
        now += Duration::from_millis(1);
        let mut session = host.sessions().first().map(|s| s.id);
        while let Some(Reverse((at, ..))) = link.queue.peek()
            && *at <= now
        {
            let Reverse((_, _, to, bytes, answer)) = link.queue.pop().expect("peeked");
            link.book(to, &bytes, answer);
            let out = match to {
                Side::Host => host.handle_datagram(now, addr(CLIENT), &bytes),
                Side::Client => client.handle_datagram(now, addr(HOST), &bytes),
            };
            link.send(now, to, out, Carrier::Answer, &mut sink);
            session = host.sessions().first().map(|s| s.id);
        }
        if let (Some(id), true) = (session, client.is_up())
            && next < messages
        {
            let m = message(next);
            let out = client.send_ump(now, &m).expect("client sends");
            link.send(now, Side::Client, out, Carrier::Regular, &mut sink);
            let out = host.send_ump(now, id, &m).expect("host sends");
            link.send(now, Side::Host, out, Carrier::Regular, &mut sink);
            next += 1;
        }
        if host.next_deadline().is_some_and(|t| t <= now) {
            let out = host.poll_timers(now);
            link.send(now, Side::Host, out, Carrier::Regular, &mut sink);
        }
        if client.next_deadline().is_some_and(|t| t <= now) {
            let out = client.poll_timers(now);
            link.send(now, Side::Client, out, Carrier::Regular, &mut sink);
        }
        if next == messages
            && sink.host_got.len() == want.len()
            && sink.client_got.len() == want.len()
        {
            break;
        }
    }
    assert_eq!(
        sink.host_got.len(),
        want.len(),
        "host: everything arrived (seed {seed})"
    );
    assert!(
        sink.host_got == want,
        "host: in order, none twice (seed {seed})"
    );
    assert!(
        sink.client_got == want,
        "client: in order, none twice (seed {seed})"
    );
    let host_counters = host
        .counters(host.sessions().first().map(|s| s.id))
        .unwrap()
        .clone();
    let client_counters = client.counters().clone();
    assert_eq!(host_counters.get(Counter::Lost), 0);
    assert_eq!(client_counters.get(Counter::Lost), 0);
    let mut books = link.books;
    let host_books = books.remove(&Side::Host).unwrap_or_default();
    let client_books = books.remove(&Side::Client).unwrap_or_default();
    (
        host_books,
        client_books,
        host_counters,
        client_counters,
        link.dropped.len(),
    )
}

#[test]
fn lossy_link_loses_nothing_and_keeps_order() {
    let messages = 6_000;
    for (seed, bursty) in [
        (0x5EED_0001, false),
        (0xC0FF_EE42, false),
        (0xB0B5_0003, true),
    ] {
        let (host, client, hc, cc, dropped) = run_lossy_link(seed, bursty, messages);
        let mode = if bursty { "bursty" } else { "uniform" };
        for (name, books, counters) in [("client→host", &host, &hc), ("host→client", &client, &cc)]
        {
            println!(
                "lossy link ({mode}, seed {seed:#x}) {name}: {messages} messages; {} arrived in \
                 their own datagram, {} recovered by FEC, {} by retransmission; receiver asked \
                 {} times, dropped {} duplicates",
                books.direct,
                books.fec,
                books.retransmit,
                counters.get(Counter::RetransmitRequested),
                counters.get(Counter::Duplicates),
            );
            assert_eq!(
                books.direct + books.fec + books.retransmit,
                u64::from(messages)
            );
            assert!(books.fec > 0, "{name}: FEC recovered some losses");
            if bursty {
                assert!(
                    books.retransmit > 0,
                    "{name}: retransmission recovered bursts"
                );
            }
        }
        println!("lossy link ({mode}, seed {seed:#x}): {dropped} datagrams dropped in all");
    }
}
