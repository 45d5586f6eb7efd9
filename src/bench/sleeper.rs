//! The baseline for held messages: a process that keeps what side A sends until each message's
//! timestamp and then writes it to side B, with none of the engine's logic. It sleeps on the
//! same kind of timer the engine uses (a timerfd on the monotonic clock with an absolute
//! nanosecond deadline, see `engine::timer`), blocked in `read` until it fires — so how late its
//! messages leave is the machine's own limit for waking on time.

use crate::client::wire::Wire;
use crate::core::clock::monotonic_ns;
use crate::core::protocol::{self, FrameKind, TimedMessage};
use crate::engine::timer::TimerFd;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::Path;
use std::sync::{Arc, Mutex};

/// Serves one pair of clients: the first to connect is side A, the second side B. Runs until
/// A hangs up or B stops reading.
pub fn serve(socket: &Path) -> io::Result<()> {
    let _ = std::fs::remove_file(socket);
    let listener = UnixListener::bind(socket)?;
    let (a, _) = listener.accept()?;
    let (b, _) = listener.accept()?;
    let shared = Arc::new(Shared {
        held: Mutex::new(Held::default()),
        timer: TimerFd::new_blocking()?,
    });
    let taker = {
        let shared = shared.clone();
        std::thread::spawn(move || take_in(a, &shared))
    };
    let sent = send_when_due(b, &shared);
    let _ = taker.join();
    let _ = std::fs::remove_file(socket);
    sent
}

/// What both threads see: the held messages and the timer armed for the earliest of them.
/// Every change to either happens under the lock, so the timer always matches the heap.
struct Shared {
    held: Mutex<Held>,
    timer: TimerFd,
}

#[derive(Default)]
struct Held {
    heap: BinaryHeap<Reverse<Waiting>>,
    next_seq: u64,
    /// Side A hung up: the sender stops.
    closed: bool,
}

/// A held message, ordered by timestamp, then arrival (as the engine orders them).
#[derive(Debug, PartialEq, Eq)]
struct Waiting {
    due_ns: u64,
    seq: u64,
    message: TimedMessage,
}

impl Ord for Waiting {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.due_ns, self.seq).cmp(&(other.due_ns, other.seq))
    }
}

impl PartialOrd for Waiting {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// Reads A's batches and holds every message, re-arming the timer when one is due sooner.
fn take_in(a: UnixStream, shared: &Shared) {
    let mut wire = Wire::new(a);
    while let Ok(Some(frame)) = wire.read_frame(None) {
        let mut held = shared.held.lock().expect("no panics under the lock");
        for message in protocol::iter_payload(&frame.payload) {
            let due_ns = message.timestamp;
            let sooner = held.heap.peek().is_none_or(|Reverse(w)| due_ns < w.due_ns);
            let seq = held.next_seq;
            held.next_seq += 1;
            held.heap.push(Reverse(Waiting {
                due_ns,
                seq,
                message,
            }));
            if sooner && shared.timer.set_deadline(due_ns).is_err() {
                break;
            }
        }
    }
    let mut held = shared.held.lock().expect("no panics under the lock");
    held.closed = true;
    let _ = shared.timer.set_deadline(0); // wakes the sender to see it
}

/// Sleeps until the earliest deadline, then writes everything due to B in one frame.
fn send_when_due(b: UnixStream, shared: &Shared) -> io::Result<()> {
    let mut wire = Wire::new(b);
    let mut payload = Vec::new();
    loop {
        shared.timer.read_expirations()?;
        payload.clear();
        {
            let mut held = shared.held.lock().expect("no panics under the lock");
            if held.closed {
                return Ok(());
            }
            let now = monotonic_ns();
            while held.heap.peek().is_some_and(|Reverse(w)| w.due_ns <= now) {
                let Reverse(w) = held.heap.pop().expect("peeked");
                protocol::put_message(&mut payload, w.due_ns, w.message.words());
            }
            match held.heap.peek() {
                Some(Reverse(next)) => shared.timer.set_deadline(next.due_ns)?,
                None => shared.timer.clear()?,
            }
        }
        if !payload.is_empty() {
            wire.write_frame(FrameKind::Deliver, &payload)?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::{Link, RelayLink};
    use std::time::{Duration, Instant};

    #[test]
    fn holds_each_message_until_its_timestamp_and_sends_them_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("sleeper.sock");
        let server = {
            let socket = socket.clone();
            std::thread::spawn(move || serve(&socket))
        };
        let connect = || {
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                match RelayLink::connect(&socket) {
                    Ok(l) => break l,
                    Err(e) if Instant::now() > deadline => panic!("no sleeper: {e}"),
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        };
        let mut a = connect();
        let mut b = connect();
        // One batch, out of timestamp order; the second and third share a timestamp.
        let now = monotonic_ns();
        let stamps = [now + 3_000_000, now + 1_000_000, now + 1_000_000, now];
        let batch: Vec<TimedMessage> = stamps
            .iter()
            .zip(0u32..)
            .map(|(&t, i)| TimedMessage::new(t, &[0x2090_3C00 | i]).unwrap())
            .collect();
        a.send(&batch).unwrap();
        let mut got = Vec::new();
        while got.len() < batch.len() {
            let mut buf = Vec::new();
            assert!(b.receive(Duration::from_secs(10), &mut buf).unwrap() > 0);
            let arrived = monotonic_ns();
            for m in buf {
                assert!(arrived >= m.timestamp, "a message left early");
                got.push(m.words()[0] & 0xFF);
            }
        }
        assert_eq!(got, [3, 1, 2, 0]);
        drop(a);
        server.join().unwrap().unwrap();
        assert!(!socket.exists(), "the sleeper removes its socket");
    }
}
