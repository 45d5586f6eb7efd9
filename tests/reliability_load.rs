//! Load (issue 7): 256 concurrent clients — 128 senders and 128 fast receivers on 128 pairs —
//! each sender pushing 10,000 messages, while one more pair has a receiver that never reads.
//! Zero loss and exact order for everyone else, the stuck receiver's own losses counted
//! exactly, the same engine up throughout, and its memory bounded. And a monitor whose
//! engine goes away exits with a clear message instead of hanging.

mod common;

use common::{SplitMix64, TestHome, test_seed, vm_rss_kib, wait_until};
use midi_loopback::client::{Client, EndpointConnection, Received};
use midi_loopback::core::protocol;
use midi_loopback::core::ump::message_words;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

const PAIRS: usize = 128;
const MESSAGES: usize = 10_000;
const STUCK_MESSAGES: usize = 600_000;
/// The engine's resident memory must stay under this, whatever the load (documented in
/// docs/RELIABILITY.md).
const RSS_BOUND_KIB: u64 = 256 * 1024;

/// Message `k` of pair `p`: random words of a random type, the same on both ends.
fn message_stream(seed: u64, pair: usize) -> impl Iterator<Item = Vec<u32>> {
    let mut rng = SplitMix64(seed ^ ((pair as u64 + 1) << 40));
    std::iter::repeat_with(move || {
        let first = rng.next_u64() as u32;
        let mut words = vec![first];
        for _ in 1..message_words(first) {
            words.push(rng.next_u64() as u32);
        }
        words
    })
}

fn sender(mut a: EndpointConnection, seed: u64, pair: usize, start: Arc<Barrier>) {
    let mut rng = SplitMix64(seed ^ 0xABCD ^ pair as u64);
    let mut stream = message_stream(seed, pair);
    start.wait();
    let mut sent = 0;
    let mut payload = Vec::new();
    while sent < MESSAGES {
        let n = (1 + rng.below(200) as usize).min(MESSAGES - sent);
        payload.clear();
        for words in stream.by_ref().take(n) {
            protocol::put_message(&mut payload, 0, &words);
        }
        a.send_payload(&payload).expect("send");
        sent += n;
    }
    a.flush().expect("every batch accepted");
}

fn receiver(mut b: EndpointConnection, seed: u64, pair: usize) -> Result<(), String> {
    let mut want = message_stream(seed, pair);
    let mut got = 0;
    let mut last_ts = 0;
    while got < MESSAGES {
        match b.receive(Some(Duration::from_secs(60))) {
            Ok(Some(Received::Messages(msgs))) => {
                for m in msgs {
                    let w = want.next().expect("endless");
                    if m.words() != w.as_slice() {
                        return Err(format!(
                            "pair {pair}: message {got} is {:08X?}, sent {w:08X?}",
                            m.words()
                        ));
                    }
                    if m.timestamp < last_ts || m.timestamp == 0 {
                        return Err(format!("pair {pair}: timestamp out of order at {got}"));
                    }
                    last_ts = m.timestamp;
                    got += 1;
                }
            }
            Ok(Some(Received::Overflow { dropped })) => {
                return Err(format!(
                    "pair {pair}: {dropped} dropped after {got} messages"
                ));
            }
            other => return Err(format!("pair {pair}: after {got} messages: {other:?}")),
        }
    }
    Ok(())
}

#[test]
fn two_hundred_fifty_six_clients_lose_nothing_and_a_stuck_receiver_only_loses_its_own() {
    let home = TestHome::new();
    let seed = test_seed(0x10AD_0256);
    let mut control = home.client();
    let pid = control.status().unwrap().pid;
    for p in 0..PAIRS {
        home.client()
            .create(&midi_loopback::core::PairSpec {
                names: Some(midi_loopback::core::NameSpec::Root(format!("Load {p}"))),
                ..Default::default()
            })
            .unwrap();
    }
    control
        .create(&midi_loopback::core::PairSpec {
            names: Some(midi_loopback::core::NameSpec::Root("Stuck".into())),
            ..Default::default()
        })
        .unwrap();
    let rss_before = vm_rss_kib(pid).expect("rss");

    // Every client connects and opens its endpoint first; then all senders start at once.
    let start = Arc::new(Barrier::new(PAIRS + 2));
    let mut receivers = Vec::new();
    let mut senders = Vec::new();
    for p in 0..PAIRS {
        let b = home
            .client()
            .open_endpoint(&format!("Load {p} (B)"))
            .unwrap();
        receivers.push(std::thread::spawn(move || receiver(b, seed, p)));
        let a = home
            .client()
            .open_endpoint(&format!("Load {p} (A)"))
            .unwrap();
        let start = start.clone();
        senders.push(std::thread::spawn(move || sender(a, seed, p, start)));
    }
    // A tap on the first pair that never reads: its copies are its own to lose.
    let load0 = control.list_pairs().unwrap()[0].association_id;
    let _stuck_tap = home.client().tap(load0).unwrap();
    let mut stuck_b = home.client().open_endpoint("Stuck (B)").unwrap();
    let mut stuck_a = home.client().open_endpoint("Stuck (A)").unwrap();
    let stuck_sender = {
        let start = start.clone();
        std::thread::spawn(move || {
            start.wait();
            let mut payload = Vec::new();
            for chunk in 0..STUCK_MESSAGES / 50_000 {
                payload.clear();
                for i in 0..50_000u32 {
                    let n = chunk as u32 * 50_000 + i;
                    protocol::put_message(&mut payload, 0, &[0x2000_0000 | n]);
                }
                stuck_a.send_payload(&payload).expect("stuck pair send");
            }
            stuck_a.flush().expect("stuck pair batches accepted");
        })
    };
    assert_eq!(control.status().unwrap().clients, 2 * PAIRS as u64 + 3);

    // Watch the engine's memory while the load runs.
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watcher = {
        let done = done.clone();
        std::thread::spawn(move || {
            let mut peak = 0;
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                peak = peak.max(vm_rss_kib(pid).unwrap_or(0));
                std::thread::sleep(Duration::from_millis(20));
            }
            peak
        })
    };
    let began = Instant::now();
    start.wait();
    for s in senders {
        s.join().expect("a sender failed");
    }
    let errors: Vec<String> = receivers
        .into_iter()
        .filter_map(|r| r.join().expect("a receiver panicked").err())
        .collect();
    let elapsed = began.elapsed();
    stuck_sender.join().expect("the stuck pair's sender failed");
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let peak = watcher.join().unwrap().max(vm_rss_kib(pid).unwrap_or(0));
    assert!(
        errors.is_empty(),
        "{} receivers failed: {errors:#?}",
        errors.len()
    );
    eprintln!(
        "{PAIRS} pairs x {MESSAGES} messages in {elapsed:?} ({:.0} messages/s); engine RSS {rss_before} KiB before, peak {peak} KiB",
        (PAIRS * MESSAGES) as f64 / elapsed.as_secs_f64()
    );

    // The same engine, every other pair's counters exact, memory bounded.
    assert_eq!(
        control.status().unwrap().pid,
        pid,
        "the engine was replaced"
    );
    let pairs = control.list_pairs().unwrap();
    for p in &pairs {
        if p.endpoint_a.name == "Stuck (A)" {
            continue;
        }
        assert_eq!(
            (
                p.a_to_b.messages,
                p.a_to_b.dropped_overflow,
                p.a_to_b.refused
            ),
            (MESSAGES as u64, 0, 0),
            "{}",
            p.endpoint_a.name
        );
    }
    assert!(
        peak < RSS_BOUND_KIB,
        "engine RSS peaked at {peak} KiB, over the bound of {RSS_BOUND_KIB} KiB"
    );

    // The stuck receiver lost messages, and exactly as many as it is told and as counted.
    let stuck = pairs
        .iter()
        .find(|p| p.endpoint_a.name == "Stuck (A)")
        .unwrap();
    let counted = stuck.a_to_b.dropped_overflow;
    assert!(counted > 0, "a receiver that never reads lost nothing");
    assert_eq!(stuck.a_to_b.messages, STUCK_MESSAGES as u64);
    let (mut received, mut told) = (0u64, 0u64);
    let mut last: Option<u32> = None;
    while received + told < STUCK_MESSAGES as u64 {
        match stuck_b.receive(Some(Duration::from_secs(30))) {
            Ok(Some(Received::Messages(m))) => {
                for msg in &m {
                    let n = msg.words()[0] & 0x0FFF_FFFF;
                    assert!(
                        last.is_none_or(|l| n > l),
                        "out of order: {n} after {last:?}"
                    );
                    last = Some(n);
                }
                received += m.len() as u64;
            }
            Ok(Some(Received::Overflow { dropped })) => told += dropped,
            other => panic!("stuck receiver after {received} + {told} dropped: {other:?}"),
        }
    }
    assert_eq!(received + told, STUCK_MESSAGES as u64);
    assert_eq!(told, counted, "overflow events and the counter disagree");
}

#[test]
fn receivers_vanishing_mid_stream_change_nobody_elses_delivery() {
    // Each of 16 pairs has a steady receiver and a second one on the same side that hangs
    // up after a while (some mid-frame, having sent half a request): the steady ones get
    // every message, in order, from the same engine.
    const N: usize = 16;
    let home = TestHome::new();
    let seed = test_seed(0xD15A_99EA);
    let mut control = home.client();
    let pid = control.status().unwrap().pid;
    let start = Arc::new(Barrier::new(2 * N + 1));
    let mut threads = Vec::new();
    for p in 0..N {
        home.create(&format!("Load {p}"), &[]);
        let steady = home
            .client()
            .open_endpoint(&format!("Load {p} (B)"))
            .unwrap();
        threads.push(std::thread::spawn(move || receiver(steady, seed, p)));
        let mut leaving = home
            .client()
            .open_endpoint(&format!("Load {p} (B)"))
            .unwrap();
        let start_leaving = start.clone();
        threads.push(std::thread::spawn(move || {
            start_leaving.wait();
            let mut got = 0;
            while got < 500 * (p + 1) {
                match leaving.receive(Some(Duration::from_secs(60))) {
                    Ok(Some(Received::Messages(m))) => got += m.len(),
                    Ok(Some(Received::Overflow { .. })) => {}
                    other => return Err(format!("leaving receiver {p}: {other:?}")),
                }
            }
            if p % 2 == 0 {
                // Half a data frame, then gone.
                let _ = leaving.send_payload(&[1, 2, 3]);
            }
            leaving.close();
            Ok(())
        }));
        let a = home
            .client()
            .open_endpoint(&format!("Load {p} (A)"))
            .unwrap();
        let start = start.clone();
        threads.push(std::thread::spawn(move || {
            sender(a, seed, p, start);
            Ok(())
        }));
    }
    start.wait();
    let errors: Vec<String> = threads
        .into_iter()
        .filter_map(|t| t.join().expect("a client thread panicked").err())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(
        control.status().unwrap().pid,
        pid,
        "the engine was replaced"
    );
    let left = wait_until(Duration::from_secs(20), || {
        control.status().unwrap().clients == 0
    });
    assert!(left, "clients that hung up are still counted");
    for p in control.list_pairs().unwrap() {
        assert_eq!(p.a_to_b.messages, MESSAGES as u64, "{}", p.endpoint_a.name);
        assert_eq!(p.endpoint_b.clients, 0, "{}", p.endpoint_b.name);
    }
}

#[test]
fn an_idle_engine_uses_no_cpu_with_clients_attached_and_messages_held() {
    let home = TestHome::new();
    home.create("Idle", &[]);
    let pid = home.engine_pid().expect("engine");
    let mut a = home.client().open_endpoint("Idle (A)").unwrap();
    let _b = home.client().open_endpoint("Idle (B)").unwrap();
    let _control = home.client();
    // A message held for four minutes: the engine has a timer, not a reason to spin.
    let later = midi_loopback::core::clock::monotonic_ns() + 240 * 1_000_000_000;
    a.send_at(later, &[0x2090_3C64]).unwrap();
    a.flush().unwrap();
    let before = cpu_ticks(pid);
    std::thread::sleep(Duration::from_secs(2));
    let used = cpu_ticks(pid) - before;
    // A busy-polling engine would use about 200 ticks (2 s of CPU) here.
    assert!(
        used <= 10,
        "the idle engine used {used} ticks of CPU in 2 s"
    );
}

/// User plus system CPU time of a process, in clock ticks (`/proc/PID/stat` fields 14, 15).
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("stat");
    let after_name = stat.rsplit_once(')').expect("stat format").1;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // Field 3 (state) is fields[0], so utime (14) and stime (15) are fields[11] and [12].
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

fn spawn_monitor(home: &TestHome, endpoint: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_midi"))
        .args(["endpoint", "monitor", endpoint])
        .env("MIDI_HOME", home.path())
        .env("MIDI_NO_ALSA", "1")
        .env("NO_COLOR", "1")
        .env_remove("MIDI_NO_AUTOSTART")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn monitor")
}

/// Waits until the monitor is attached (the endpoint counts it).
fn wait_attached(home: &TestHome, endpoint: &str) {
    let opts = home.options();
    let attached = wait_until(Duration::from_secs(20), || {
        Client::connect(&opts)
            .and_then(|mut c| c.list_endpoints())
            .map(|eps| eps.iter().any(|e| e.name == endpoint && e.clients == 1))
            .unwrap_or(false)
    });
    assert!(attached, "the monitor never attached to {endpoint}");
}

/// The monitor's exit code and stderr, failing (and killing it) if it hangs.
fn wait_exit(mut child: Child, limit: Duration) -> (i32, String) {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            let out = child.wait_with_output().expect("output");
            return (
                status.code().unwrap_or(-1),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            );
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().expect("output");
            panic!(
                "the monitor hung for {limit:?}; stderr: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_monitor_exits_with_code_3_and_a_clear_message_when_the_engine_restarts_or_dies() {
    let home = TestHome::new();
    home.create("Mon", &[]);
    // A graceful restart underneath it.
    let monitor = spawn_monitor(&home, "Mon (B)");
    wait_attached(&home, "Mon (B)");
    let out = home.exec(&["service", "restart"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let (code, stderr) = wait_exit(monitor, Duration::from_secs(30));
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("engine stopped"), "{stderr}");

    // An engine killed outright underneath it.
    home.create("Mon", &[]);
    let monitor = spawn_monitor(&home, "Mon (B)");
    wait_attached(&home, "Mon (B)");
    let pid = home.engine_pid().expect("engine pid");
    // SAFETY: kill only sends a signal to the engine this test started.
    unsafe { libc::kill(pid as i32, libc::SIGKILL) };
    let (code, stderr) = wait_exit(monitor, Duration::from_secs(30));
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("engine stopped"), "{stderr}");

    // Its pair removed underneath it: exit 4, saying so.
    home.create("Mon", &[]);
    let monitor = spawn_monitor(&home, "Mon (B)");
    wait_attached(&home, "Mon (B)");
    let id = home.list_json()[0]["association_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(home.exec(&["loopback", "remove", "-i", &id]).code, 0);
    let (code, stderr) = wait_exit(monitor, Duration::from_secs(30));
    assert_eq!(code, 4, "{stderr}");
    assert!(stderr.contains("removed"), "{stderr}");
}
