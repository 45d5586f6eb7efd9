//! The routing contract, through the client library: exact pass-through both ways,
//! fan-out, no echo, framing refusals, stuck receivers, mute, removal, scheduling, taps.

mod common;

use common::TestHome;
use midi_loopback::client::{ClientError, EndpointConnection, Received};
use midi_loopback::core::clock::monotonic_ns;
use midi_loopback::core::ids::Direction;
use midi_loopback::core::protocol::{self, TimedMessage};
use std::time::Duration;

const WAIT: Option<Duration> = Some(Duration::from_secs(20));

/// Reads until `n` messages have arrived (or fails after a generous deadline).
fn receive_n(conn: &mut EndpointConnection, n: usize) -> Vec<TimedMessage> {
    let mut got = Vec::new();
    while got.len() < n {
        match conn.receive(WAIT).expect("receive") {
            Some(Received::Messages(m)) => got.extend(m),
            Some(Received::Overflow { dropped }) => panic!("unexpected overflow of {dropped}"),
            None => panic!("timed out with {} of {n} messages", got.len()),
        }
    }
    got
}

/// Asserts nothing arrives (a ping round trip on the engine first makes this deterministic:
/// anything routed before it would already be queued ahead of the answer).
fn assert_nothing_pending(conn: &mut EndpointConnection) {
    conn.flush().expect("flush");
    match conn
        .receive(Some(Duration::from_millis(50)))
        .expect("receive")
    {
        None => {}
        Some(other) => panic!("expected nothing, got {other:?}"),
    }
}

fn words_of(msgs: &[TimedMessage]) -> Vec<Vec<u32>> {
    msgs.iter().map(|m| m.words().to_vec()).collect()
}

const SAMPLES: [&[u32]; 4] = [
    &[0x2090_3C64],
    &[0x4090_3C00, 0xC000_0000],
    &[0xB000_0001, 0x0203_0405, 0x0607_0809],
    &[0xF000_0101, 0x1F00_0000, 0, 0],
];

#[test]
fn a_to_b_and_b_to_a_deliver_exactly_the_words_by_name_and_by_id() {
    let home = TestHome::new();
    let pair = home.create("Exact", &[]);
    let a_id = pair["endpoint_a"]["id"].as_str().unwrap().to_string();
    // By name in another case on one side, by id on the other.
    let mut a = home.client().open_endpoint(&a_id.to_uppercase()).unwrap();
    let mut b = home.client().open_endpoint("exact (b)").unwrap();
    for words in SAMPLES {
        a.send(words).unwrap();
    }
    assert_eq!(
        words_of(&receive_n(&mut b, 4)),
        SAMPLES.map(|w| w.to_vec()).to_vec()
    );
    for words in SAMPLES.iter().rev() {
        b.send(words).unwrap();
    }
    let back = words_of(&receive_n(&mut a, 4));
    let want: Vec<Vec<u32>> = SAMPLES.iter().rev().map(|w| w.to_vec()).collect();
    assert_eq!(back, want);
    assert_nothing_pending(&mut a);
    assert_nothing_pending(&mut b);
}

#[test]
fn fan_out_reaches_every_client_of_the_other_side_and_never_echoes() {
    let home = TestHome::new();
    home.create("Fan", &[]);
    let mut sender = home.client().open_endpoint("Fan (A)").unwrap();
    let mut same_side = home.client().open_endpoint("Fan (A)").unwrap();
    let mut receivers: Vec<_> = (0..3)
        .map(|_| home.client().open_endpoint("Fan (B)").unwrap())
        .collect();
    let batch: Vec<TimedMessage> = (0..100u32)
        .map(|i| TimedMessage::new(0, &[0x2090_0000 | i]).unwrap())
        .collect();
    sender.send_batch(&batch).unwrap();
    for r in &mut receivers {
        let got = receive_n(r, 100);
        assert_eq!(words_of(&got), words_of(&batch));
    }
    assert_nothing_pending(&mut sender);
    assert_nothing_pending(&mut same_side);
    let pairs = home.client().list_pairs().unwrap();
    assert_eq!(pairs[0].endpoint_a.clients, 2);
    assert_eq!(pairs[0].endpoint_b.clients, 3);
    assert_eq!(pairs[0].a_to_b.messages, 100);
    assert_eq!(pairs[0].a_to_b.words, 100);
}

#[test]
fn a_batch_ending_mid_message_is_refused_whole_and_others_carry_on() {
    let home = TestHome::new();
    home.create("Frame", &[]);
    let mut bad = home.client().open_endpoint("Frame (A)").unwrap();
    let mut good = home.client().open_endpoint("Frame (A)").unwrap();
    let mut b = home.client().open_endpoint("Frame (B)").unwrap();
    let mut payload = Vec::new();
    protocol::put_message(&mut payload, 0, &[0x2090_3C64]);
    protocol::put_message(&mut payload, 0, &[0x4090_3C00, 0xC000_0000]);
    payload.truncate(payload.len() - 4); // the 64-bit message loses its second word
    bad.send_payload(&payload).unwrap();
    let err = bad.flush().unwrap_err();
    assert!(
        err.to_string().contains("middle of message 1"),
        "unclear refusal: {err}"
    );
    good.send(&[0x2080_3C00]).unwrap();
    good.flush().unwrap();
    // Only the good client's message arrives: nothing of the refused batch.
    assert_eq!(words_of(&receive_n(&mut b, 1)), vec![vec![0x2080_3C00]]);
    assert_nothing_pending(&mut b);
    let pairs = home.client().list_pairs().unwrap();
    assert_eq!(pairs[0].a_to_b.refused, 1);
    assert_eq!(pairs[0].a_to_b.messages, 1);
    // The refused client's connection still works.
    bad.send(&[0x2090_3C01]).unwrap();
    bad.flush().unwrap();
    assert_eq!(words_of(&receive_n(&mut b, 1)), vec![vec![0x2090_3C01]]);
}

#[test]
fn a_stuck_receiver_loses_only_its_own_messages() {
    let home = TestHome::new();
    home.create("Stuck", &[]);
    let mut sender = home.client().open_endpoint("Stuck (A)").unwrap();
    let _stuck = home.client().open_endpoint("Stuck (B)").unwrap(); // never reads
    let mut reader = home.client().open_endpoint("Stuck (B)").unwrap();
    const CHUNK: usize = 10_000;
    const CHUNKS: usize = 100; // 1,000,000 messages: far more than one receiver queue holds
    let mut next = 0u32;
    for _ in 0..CHUNKS {
        let batch: Vec<TimedMessage> = (0..CHUNK)
            .map(|_| {
                next += 1;
                TimedMessage::new(0, &[0x2090_0000 | (next & 0xFFFF)]).unwrap()
            })
            .collect();
        for part in batch.chunks(1000) {
            sender.send_batch(part).unwrap();
        }
        // The reader keeps up: it takes each chunk whole before the next is sent.
        let got = receive_n(&mut reader, CHUNK);
        assert_eq!(words_of(&got), words_of(&batch));
    }
    sender.flush().unwrap();
    let pairs = home.client().list_pairs().unwrap();
    let stats = pairs[0].a_to_b;
    assert_eq!(stats.messages, (CHUNK * CHUNKS) as u64);
    assert!(
        stats.dropped_overflow > 0,
        "the stuck receiver's drops are counted"
    );
    assert!(
        stats.dropped_overflow < (CHUNK * CHUNKS) as u64,
        "only the stuck receiver dropped"
    );
}

#[test]
fn a_muted_pair_drops_and_counts() {
    let home = TestHome::new();
    let pair = home.create("Mute", &[]);
    let id =
        midi_loopback::core::rules::parse_association_id(pair["association_id"].as_str().unwrap())
            .unwrap();
    let mut a = home.client().open_endpoint("Mute (A)").unwrap();
    let mut b = home.client().open_endpoint("Mute (B)").unwrap();
    home.client().set_muted(id, true).unwrap();
    for _ in 0..5 {
        a.send(&[0x2090_3C64]).unwrap();
    }
    assert_nothing_pending(&mut b);
    home.client().set_muted(id, false).unwrap();
    a.send(&[0x2080_3C00]).unwrap();
    assert_eq!(words_of(&receive_n(&mut b, 1)), vec![vec![0x2080_3C00]]);
    let stats = home.client().list_pairs().unwrap()[0].a_to_b;
    assert_eq!((stats.dropped_muted, stats.messages), (5, 1));
}

#[test]
fn removing_a_pair_closes_its_endpoints_cleanly() {
    let home = TestHome::new();
    let pair = home.create("Gone", &[]);
    let id =
        midi_loopback::core::rules::parse_association_id(pair["association_id"].as_str().unwrap())
            .unwrap();
    let mut a = home.client().open_endpoint("Gone (A)").unwrap();
    let mut b = home.client().open_endpoint("Gone (B)").unwrap();
    home.client().remove_pair(id).unwrap();
    for conn in [&mut a, &mut b] {
        match conn.receive(WAIT) {
            Err(ClientError::EndpointRemoved { endpoint }) => {
                assert!(endpoint.starts_with("Gone ("))
            }
            other => panic!("expected endpoint removed, got {other:?}"),
        }
    }
    // Sending on a removed endpoint is refused, not silently lost.
    a.send(&[0x2090_3C64]).unwrap();
    assert!(a.flush().is_err());
}

#[test]
fn stopping_the_engine_tells_its_clients() {
    let home = TestHome::new();
    home.create("Stop", &[]);
    let mut b = home.client().open_endpoint("Stop (B)").unwrap();
    home.client().shutdown().unwrap();
    match b.receive(WAIT) {
        Err(ClientError::EngineStopped) => {}
        other => panic!("expected engine stopped, got {other:?}"),
    }
}

#[test]
fn scheduled_messages_arrive_in_timestamp_order_and_not_early() {
    let home = TestHome::new();
    home.create("Later", &[]);
    let mut a = home.client().open_endpoint("Later (A)").unwrap();
    let mut b = home.client().open_endpoint("Later (B)").unwrap();
    let now = monotonic_ns();
    let ms = 1_000_000;
    let batch = [
        TimedMessage::new(now + 300 * ms, &[0x2090_3C03]).unwrap(),
        TimedMessage::new(now + 100 * ms, &[0x2090_3C01]).unwrap(),
        TimedMessage::new(0, &[0x2090_3C00]).unwrap(),
        TimedMessage::new(now + 200 * ms, &[0x2090_3C02]).unwrap(),
    ];
    a.send_batch(&batch).unwrap();
    let mut got = Vec::new();
    while got.len() < 4 {
        if let Some(Received::Messages(m)) = b.receive(WAIT).unwrap() {
            let arrived = monotonic_ns();
            for msg in &m {
                assert!(arrived >= msg.timestamp, "delivered before its time");
            }
            got.extend(m);
        }
    }
    let order: Vec<u32> = got.iter().map(|m| m.words()[0] & 0xFF).collect();
    assert_eq!(order, vec![0, 1, 2, 3]);
    assert!(got.windows(2).all(|w| w[0].timestamp <= w[1].timestamp));
    assert!(got[0].timestamp >= now, "timestamp 0 is stamped on arrival");
}

#[test]
fn timestamps_more_than_five_minutes_ahead_are_refused() {
    let home = TestHome::new();
    home.create("Far", &[]);
    let mut a = home.client().open_endpoint("Far (A)").unwrap();
    a.send_at(monotonic_ns() + 301 * 1_000_000_000, &[0x2090_3C64])
        .unwrap();
    let err = a.flush().unwrap_err();
    assert!(err.to_string().contains("300 s"), "{err}");
}

#[test]
fn a_tap_sees_both_directions_without_being_a_client() {
    let home = TestHome::new();
    let pair = home.create("Tap", &[]);
    let id =
        midi_loopback::core::rules::parse_association_id(pair["association_id"].as_str().unwrap())
            .unwrap();
    let mut tap = home.client().tap(id).unwrap();
    let mut a = home.client().open_endpoint("Tap (A)").unwrap();
    let mut b = home.client().open_endpoint("Tap (B)").unwrap();
    a.send(&[0x2090_3C64]).unwrap();
    a.flush().unwrap();
    b.send(&[0x2080_3C00]).unwrap();
    b.flush().unwrap();
    let (d1, m1) = tap.receive(WAIT).unwrap().unwrap();
    let (d2, m2) = tap.receive(WAIT).unwrap().unwrap();
    assert_eq!(
        (d1, words_of(&m1)),
        (Direction::AToB, vec![vec![0x2090_3C64]])
    );
    assert_eq!(
        (d2, words_of(&m2)),
        (Direction::BToA, vec![vec![0x2080_3C00]])
    );
    let p = &home.client().list_pairs().unwrap()[0];
    assert_eq!((p.endpoint_a.clients, p.endpoint_b.clients), (1, 1));
}
