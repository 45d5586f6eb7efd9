//! Persistent writes must not stall routing (issue 11, item 11): with a configuration file that
//! holds a large section the product does not own, every persistent change reads and rewrites
//! tens of megabytes and waits for the disk. That work happens off the routing path, so
//! messages keep flowing while a persistent create waits for its answer.
//!
//! The test counts round trips that complete between a create request being sent and its
//! answer arriving; it never measures how long anything takes. The ignored `write_stall_figures`
//! prints the figures recorded in `BENCHMARKS.md`.

mod common;

use common::TestHome;
use midi_loopback::client::{Client, EndpointConnection, Received};
use midi_loopback::core::model::{NameSpec, PairSpec};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A configuration file with one pair and a large unknown section: `entries` small objects,
/// which the engine must parse, keep and write back at every persistent change.
fn large_config(entries: usize) -> String {
    let mut bulk = String::with_capacity(entries * 24);
    for n in 0..entries {
        if n > 0 {
            bulk.push(',');
        }
        bulk.push_str(&format!("{{\"sample\":{n},\"on\":true}}"));
    }
    format!(
        r#"{{
  "header": {{ "product": "midi", "fileVersion": 1 }},
  "someoneElsesArchive": [{bulk}],
  "endpointTransportPluginSettings": {{
    "{{942BF02D-93C0-4EA8-B03E-D51156CA75E1}}": {{
      "create": {{
        "7af38a08-0f4b-43ad-b218-1757496f0034": {{
          "endpointA": {{ "name": "Ping (A)", "uniqueIdentifier": "ping1" }},
          "endpointB": {{ "name": "Ping (B)", "uniqueIdentifier": "ping1" }}
        }}
      }}
    }}
  }}
}}
"#
    )
}

/// Sends one message A→B at a time and waits for it, until told to stop. Every message carries
/// its sequence number, so a lost or reordered one is caught. Returns the round trips done and
/// the longest one.
fn ping_loop(
    mut a: EndpointConnection,
    mut b: EndpointConnection,
    done: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
) -> (u64, Duration) {
    let mut longest = Duration::ZERO;
    let mut sequence: u32 = 0;
    while !stop.load(Ordering::Relaxed) {
        // A MIDI 1.0 note on in a 32-bit packet; note and velocity carry the sequence number.
        let word = 0x2090_0000 | ((sequence >> 7) & 0x7f) << 8 | (sequence & 0x7f);
        let sent = Instant::now();
        a.send(&[word]).expect("send");
        match b.receive(Some(Duration::from_secs(30))).expect("receive") {
            Some(Received::Messages(msgs)) => {
                assert_eq!(msgs.len(), 1, "one message per round trip");
                assert_eq!(
                    msgs[0].words(),
                    &[word],
                    "message {sequence} arrived as something else"
                );
            }
            Some(Received::Overflow { dropped }) => {
                panic!("{dropped} messages dropped at round trip {sequence}")
            }
            None => panic!("message {sequence} did not arrive within 30 s"),
        }
        longest = longest.max(sent.elapsed());
        sequence = (sequence + 1) % (1 << 14);
        done.fetch_add(1, Ordering::SeqCst);
    }
    (done.load(Ordering::SeqCst), longest)
}

struct Run {
    /// Round trips that completed while each create waited for its answer.
    during_create: Vec<u64>,
    round_trips: u64,
    longest_round_trip: Duration,
    longest_create: Duration,
}

/// Starts the engine on a large file, runs the ping loop, and makes up to `creates` persistent
/// pairs one after the other, stopping early once one saw `enough` round trips complete while
/// it waited.
fn run(home: &TestHome, entries: usize, creates: usize, enough: u64) -> Run {
    std::fs::write(home.config_file(), large_config(entries)).unwrap();
    // A rewrite of a large file in a debug build may take longer than the usual deadline.
    let mut options = home.options();
    options.request_timeout = Duration::from_secs(120);
    let mut control = Client::connect(&options).expect("connect");
    let a = home.client().open_endpoint("Ping (A)").expect("open A");
    let b = home.client().open_endpoint("Ping (B)").expect("open B");
    let done = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let pinger = {
        let (done, stop) = (done.clone(), stop.clone());
        std::thread::spawn(move || ping_loop(a, b, done, stop))
    };
    // The loop is running before the first create.
    assert!(common::wait_until(Duration::from_secs(30), || done
        .load(Ordering::SeqCst)
        > 10));

    let mut during_create = Vec::new();
    let mut longest_create = Duration::ZERO;
    for n in 0..creates {
        // Resolved here, so the window counted holds only the request and its answer.
        let def = PairSpec {
            names: Some(NameSpec::Root(format!("Stored {n}"))),
            association_id: None,
            unique_identifier: None,
            description: None,
            persistent: true,
        }
        .resolve()
        .expect("a valid pair");
        let before = done.load(Ordering::SeqCst);
        let started = Instant::now();
        control.create_pair(def).expect("persistent create");
        longest_create = longest_create.max(started.elapsed());
        let after = done.load(Ordering::SeqCst);
        during_create.push(after - before);
        if after - before >= enough {
            break;
        }
    }
    stop.store(true, Ordering::Relaxed);
    let (round_trips, longest_round_trip) = pinger.join().expect("the ping loop failed");
    Run {
        during_create,
        round_trips,
        longest_round_trip,
        longest_create,
    }
}

/// The engine's own count of what crossed `Ping` A→B, and of what it dropped.
fn engine_counts(client: &mut Client) -> (u64, u64) {
    let pairs = client.list_pairs().expect("list");
    let ping = pairs
        .iter()
        .find(|p| p.endpoint_a.name == "Ping (A)")
        .expect("the ping pair");
    let stats = &ping.a_to_b;
    (
        stats.messages,
        stats.dropped_overflow + stats.dropped_muted + stats.refused,
    )
}

#[test]
fn messages_flow_while_a_persistent_create_waits_for_the_disk() {
    let home = TestHome::new();
    // About 10 MB to read and rewrite at every create. On an engine that writes on the thread
    // that routes, only the round trip or two it handles before it reads the create request
    // complete while the create waits; here, every one that fits in the write (thousands).
    const ENOUGH: u64 = 200;
    let run = run(&home, 400_000, 8, ENOUGH);
    eprintln!(
        "round trips while each create waited: {:?}; {} round trips in all",
        run.during_create, run.round_trips
    );
    assert!(
        run.during_create.iter().any(|&n| n >= ENOUGH),
        "in {} persistent creates, none saw {ENOUGH} round trips complete while it waited: {:?}",
        run.during_create.len(),
        run.during_create
    );
    // Every message sent arrived (the loop checks each one) and the engine counted each.
    let (messages, dropped) = engine_counts(&mut home.client());
    assert_eq!(messages, run.round_trips, "the engine's count of A→B");
    assert_eq!(dropped, 0);
    // And every create was durable: a restart brings them all back.
    home.stop_engine();
    let created = run.during_create.len();
    let names: Vec<String> = home
        .client()
        .list_pairs()
        .unwrap()
        .into_iter()
        .map(|p| p.endpoint_a.name)
        .collect();
    for n in 0..created {
        assert!(
            names.contains(&format!("Stored {n} (A)")),
            "Stored {n} is missing after a restart: {names:?}"
        );
    }
}

/// The figures in `BENCHMARKS.md`: the longest message round trip and the longest persistent
/// create while creates run back to back on a file with a large unknown section.
/// `cargo test --release --test hardening_writes -- --ignored --nocapture`
#[test]
#[ignore = "prints figures; run by hand"]
fn write_stall_figures() {
    for (entries, label) in [(0, "small file"), (2_000_000, "about 50 MB")] {
        let home = TestHome::new();
        let run = run(&home, entries, 20, u64::MAX);
        println!(
            "{label}: {} creates, longest create {:.1} ms; {} round trips, longest {:.2} ms; round trips during each create: {:?}",
            run.during_create.len(),
            run.longest_create.as_secs_f64() * 1e3,
            run.round_trips,
            run.longest_round_trip.as_secs_f64() * 1e3,
            run.during_create
        );
    }
}
