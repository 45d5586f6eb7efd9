//! An idle engine with messages held far in the future makes no wake-up until the first is
//! due (issue 14). The scheduler arms one timer for the earliest held message and sleeps; it
//! does not poll.
//!
//! Wake-ups are counted, not timed: the kernel counts every time the engine's thread blocks
//! and is woken again (`voluntary_ctxt_switches` of the engine's main thread, which runs
//! every task). A second test holds messages a moment ahead and sees the count grow, so the
//! count is known to notice a wake-up.

mod common;

use common::TestHome;
use midi_loopback::client::{EndpointConnection, Received};
use midi_loopback::core::clock::monotonic_ns;
use std::time::Duration;

/// How often the engine's main thread (the one that runs every task) has slept and been
/// woken so far.
fn wake_ups(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/status"))
        .expect("the engine's thread status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("voluntary_ctxt_switches:"))
        .expect("voluntary_ctxt_switches in /proc status")
        .trim()
        .parse()
        .expect("a count")
}

/// Waits (a bounded number of times) until the engine's count stays the same over one
/// interval, so what came before — answers written, connections settled — is over. Returns
/// the count it settled at.
fn settled(pid: u32) -> u64 {
    let mut last = wake_ups(pid);
    for _ in 0..50 {
        std::thread::sleep(Duration::from_millis(200));
        let now = wake_ups(pid);
        if now == last {
            return now;
        }
        last = now;
    }
    panic!("the engine (pid {pid}) never went quiet: {last} wake-ups and counting");
}

/// A pair with a sender on A and a receiver on B; the sender holds `count` messages
/// `ahead_ns` in the future (the earliest first) and waits until the engine has them.
fn hold(home: &TestHome, count: u32, ahead_ns: u64) -> (EndpointConnection, EndpointConnection) {
    home.create("Later", &[]);
    let mut sender = home.client().open_endpoint("Later (A)").expect("open A");
    let receiver = home.client().open_endpoint("Later (B)").expect("open B");
    let first = monotonic_ns() + ahead_ns;
    for n in 0..count {
        let due = first + u64::from(n) * 1_000_000_000;
        sender
            .send_at(due, &[0x2090_3C00 | n])
            .expect("send a held message");
    }
    sender.flush().expect("the engine took the held messages");
    (sender, receiver)
}

#[test]
fn messages_held_a_minute_ahead_cause_no_wake_up_while_the_engine_is_idle() {
    let home = TestHome::new();
    let (_sender, mut receiver) = hold(&home, 10, 60_000_000_000);
    let pid = home.engine_pid().expect("the engine runs");
    let before = settled(pid);
    // Two seconds of nothing: no timer tick, no poll, no early delivery.
    std::thread::sleep(Duration::from_secs(2));
    let after = wake_ups(pid);
    assert_eq!(
        after,
        before,
        "the idle engine woke {} times with its messages a minute away",
        after - before
    );
    match receiver.try_receive().expect("receive") {
        None => {}
        Some(other) => panic!("a held message arrived early: {other:?}"),
    }
}

#[test]
fn the_count_notices_the_wake_up_for_a_message_that_falls_due() {
    let home = TestHome::new();
    // Far enough ahead that the engine has gone quiet before it is due.
    let (_sender, mut receiver) = hold(&home, 1, 8_000_000_000);
    let pid = home.engine_pid().expect("the engine runs");
    let before = settled(pid);
    assert!(
        receiver.try_receive().expect("receive").is_none(),
        "the engine took longer to go quiet than the message was held; nothing was shown"
    );
    match receiver
        .receive(Some(Duration::from_secs(30)))
        .expect("receive")
    {
        Some(Received::Messages(msgs)) => assert_eq!(msgs[0].words(), &[0x2090_3C00]),
        other => panic!("the held message did not arrive: {other:?}"),
    }
    assert!(
        wake_ups(pid) > before,
        "the engine delivered a held message without the count noticing a wake-up"
    );
}
