//! `midi bench`: how fast is the engine on this machine, and how close to the limit?
//!
//! Every figure is measured twice in the same run: through the engine (a temporary pair in a
//! private engine) and through a baseline with none of the engine's logic — a bare relay
//! ([`relay`]) that copies bytes between two clients over the same kind of socket, and for held
//! messages a sleeper ([`sleeper`]) that waits for each timestamp on the same kind of timer.
//! Both sides use the same client code, message mix and batch size, so the ratio isolates what
//! the engine's own logic costs. The measures run in rounds, engine and baseline alternating
//! ([`rounds`]), and the medians are judged against the targets ([`verdict`]).

pub mod cost;
pub mod relay;
pub mod rounds;
pub mod scheduled;
pub mod sleeper;
pub mod verdict;

use crate::client::wire::Wire;
use crate::client::{Client, ClientOptions, EndpointConnection, Received};
use crate::core::paths::Paths;
use crate::core::protocol::{self, FrameKind, TimedMessage};
use crate::core::{NameSpec, PairSpec};
use serde::Serialize;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Messages per write, the same for the engine and the baseline.
pub const BATCH: usize = 256;
/// How far the sender may run ahead of the slowest receiver (messages). Far below a receiver
/// queue, so a receiver that keeps up never loses anything.
const WINDOW: u64 = 64 * 1024;
/// A receiver that sees nothing for this long gives up and counts the rest as lost.
pub(crate) const STALL: Duration = Duration::from_secs(5);

/// The message mix: 4 × 32-bit, 4 × 64-bit, 1 × 96-bit, 3 × 128-bit in every 12.
pub fn message_mix() -> Vec<TimedMessage> {
    let m = |w: &[u32]| TimedMessage::new(0, w).expect("valid UMP");
    vec![
        m(&[0x2090_3C64]),
        m(&[0x4090_3C00, 0xC000_0000]),
        m(&[0x2080_3C00]),
        m(&[0x4080_3C00, 0x0000_0000]),
        m(&[0xD010_0000, 0x02FA_F080, 0, 0]),
        m(&[0x20B0_0740]),
        m(&[0x40B0_0700, 0x8000_0000]),
        m(&[0xB000_0000, 0x0102_0304, 0x0506_0708]),
        m(&[0xF000_0101, 0x1F00_0000, 0, 0]),
        m(&[0x20E0_0040]),
        m(&[0x40E0_0000, 0x8000_0000]),
        m(&[0x5001_0203, 0x0405_0607, 0x0809_0A0B, 0x0C0D_0E0F]),
    ]
}

/// One side of a measured path: the engine's endpoint, or a raw connection to the relay.
pub trait Link: Send {
    fn send(&mut self, batch: &[TimedMessage]) -> anyhow::Result<()>;
    /// Appends what arrives within `timeout` to `out`; returns how many messages came.
    fn receive(&mut self, timeout: Duration, out: &mut Vec<TimedMessage>) -> anyhow::Result<usize>;
}

impl Link for EndpointConnection {
    fn send(&mut self, batch: &[TimedMessage]) -> anyhow::Result<()> {
        Ok(self.send_batch(batch)?)
    }

    fn receive(&mut self, timeout: Duration, out: &mut Vec<TimedMessage>) -> anyhow::Result<usize> {
        match EndpointConnection::receive(self, Some(timeout))? {
            Some(Received::Messages(m)) => {
                let n = m.len();
                out.extend(m);
                Ok(n)
            }
            Some(Received::Overflow { .. }) | None => Ok(0),
        }
    }
}

/// A raw connection to the relay, speaking the same frames as the engine's clients.
pub struct RelayLink {
    wire: Wire,
    payload: Vec<u8>,
}

impl RelayLink {
    fn connect(socket: &Path) -> anyhow::Result<RelayLink> {
        Ok(RelayLink {
            wire: Wire::new(UnixStream::connect(socket)?),
            payload: Vec::with_capacity(BATCH * 24),
        })
    }
}

impl Link for RelayLink {
    fn send(&mut self, batch: &[TimedMessage]) -> anyhow::Result<()> {
        self.payload.clear();
        for m in batch {
            protocol::put_message(&mut self.payload, m.timestamp, m.words());
        }
        Ok(self.wire.write_frame(FrameKind::Send, &self.payload)?)
    }

    fn receive(&mut self, timeout: Duration, out: &mut Vec<TimedMessage>) -> anyhow::Result<usize> {
        match self.wire.read_frame(Some(Instant::now() + timeout))? {
            Some(f) => {
                let before = out.len();
                out.extend(protocol::iter_payload(&f.payload));
                Ok(out.len() - before)
            }
            None => Ok(0),
        }
    }
}

/// Round trips A→B→A, one message at a time: B echoes every message back. Nanoseconds each.
pub fn round_trips(
    a: &mut dyn Link,
    mut b: Box<dyn Link>,
    n: u32,
    tick: &dyn Fn(u64),
) -> anyhow::Result<Vec<u64>> {
    let echo = std::thread::spawn(move || -> anyhow::Result<()> {
        let mut buf = Vec::new();
        let mut echoed = 0u32;
        while echoed < n {
            buf.clear();
            if b.receive(STALL, &mut buf)? == 0 {
                anyhow::bail!("the echo side received nothing for {} s", STALL.as_secs());
            }
            echoed += buf.len() as u32;
            b.send(&buf)?;
        }
        Ok(())
    });
    let msg = [TimedMessage::new(0, &[0x2090_3C64]).expect("valid UMP")];
    let mut samples = Vec::with_capacity(n as usize);
    let mut buf = Vec::new();
    for i in 0..n {
        let t = Instant::now();
        a.send(&msg)?;
        buf.clear();
        while buf.is_empty() {
            if a.receive(STALL, &mut buf)? == 0 {
                anyhow::bail!("round trip {i} never came back");
            }
        }
        samples.push(t.elapsed().as_nanos() as u64);
        if i % 1000 == 0 {
            tick(u64::from(i));
        }
    }
    echo.join()
        .map_err(|_| anyhow::anyhow!("echo thread panicked"))??;
    Ok(samples)
}

/// What a throughput run measured.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Throughput {
    pub messages: u64,
    pub msgs_per_s: f64,
    pub words_per_s: f64,
    /// Messages some receiver never got.
    pub lost: u64,
}

/// Sends `total` messages from `a` in batches; every receiver must get all of them.
pub fn throughput(
    a: &mut dyn Link,
    receivers: Vec<Box<dyn Link>>,
    total: u64,
    tick: &dyn Fn(u64),
) -> anyhow::Result<Throughput> {
    let mix = message_mix();
    let counters: Vec<Arc<AtomicU64>> = receivers
        .iter()
        .map(|_| Arc::new(AtomicU64::new(0)))
        .collect();
    let handles: Vec<_> = receivers
        .into_iter()
        .zip(counters.iter().cloned())
        .map(|(mut r, count)| {
            std::thread::spawn(move || -> anyhow::Result<u64> {
                let mut buf = Vec::with_capacity(64 * 1024);
                let mut got = 0u64;
                while got < total {
                    buf.clear();
                    let n = r.receive(STALL, &mut buf)?;
                    if n == 0 {
                        break; // stalled: the rest is lost
                    }
                    got += n as u64;
                    count.store(got, Ordering::Release);
                }
                Ok(got)
            })
        })
        .collect();
    let started = Instant::now();
    let mut batch = Vec::with_capacity(BATCH);
    let (mut sent, mut words, mut i) = (0u64, 0u64, 0usize);
    while sent < total {
        batch.clear();
        while batch.len() < BATCH && sent + (batch.len() as u64) < total {
            let m = mix[i % mix.len()];
            words += m.words().len() as u64;
            batch.push(m);
            i += 1;
        }
        // Keep within the window of the slowest receiver, so nobody overflows.
        let mut waited = Instant::now();
        loop {
            let slowest = counters
                .iter()
                .map(|c| c.load(Ordering::Acquire))
                .min()
                .unwrap_or(sent);
            if sent - slowest <= WINDOW {
                break;
            }
            if waited.elapsed() > STALL {
                anyhow::bail!("receivers stopped taking messages");
            }
            std::thread::sleep(Duration::from_micros(20));
            if handles.iter().any(|h| h.is_finished()) {
                waited = Instant::now() - STALL; // a receiver gave up; stop waiting for it
            }
        }
        a.send(&batch)?;
        sent += batch.len() as u64;
        if sent % (BATCH as u64 * 256) < BATCH as u64 {
            tick(sent);
        }
    }
    let mut lost = 0;
    for h in handles {
        let got = h
            .join()
            .map_err(|_| anyhow::anyhow!("receiver panicked"))??;
        lost = lost.max(total - got);
    }
    let secs = started.elapsed().as_secs_f64();
    Ok(Throughput {
        messages: total,
        msgs_per_s: total as f64 / secs,
        words_per_s: words as f64 / secs,
        lost,
    })
}

/// A private engine in a temporary state root, stopped when dropped.
pub struct PrivateEngine {
    pub options: ClientOptions,
    dir: tempfile::TempDir,
}

impl PrivateEngine {
    pub fn start() -> anyhow::Result<PrivateEngine> {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::Builder::new()
            .prefix("midi-bench-")
            .permissions(std::fs::Permissions::from_mode(0o700))
            .tempdir()?;
        let mut options = ClientOptions::from_env(Some(dir.path()))?;
        options.autostart = true;
        // MIDI_ENGINE_BIN (already read) may name a wrapper, e.g. a profiler around `midi`.
        if options.engine_program.is_none() {
            options.engine_program = std::env::current_exe().ok();
        }
        options.progress = true;
        Client::connect(&options)?; // starts it
        Ok(PrivateEngine { options, dir })
    }

    pub fn client(&self) -> anyhow::Result<Client> {
        Ok(Client::connect(&self.options)?)
    }

    /// A fresh pair and `receivers` connections on B, plus one on A.
    pub fn links(
        &self,
        tag: &str,
        receivers: usize,
    ) -> anyhow::Result<(EndpointConnection, Vec<EndpointConnection>)> {
        let pair = self.client()?.create(&PairSpec {
            names: Some(NameSpec::Root(format!("bench {tag}"))),
            ..Default::default()
        })?;
        let a = self.client()?.open_endpoint(pair.endpoint_a.id.as_str())?;
        let bs = (0..receivers)
            .map(|_| {
                self.client()?
                    .open_endpoint(pair.endpoint_b.id.as_str())
                    .map_err(anyhow::Error::from)
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok((a, bs))
    }

    /// Removes every pair, so the next round starts as this one did; returns how many
    /// messages the engine counted as dropped or refused on them.
    pub fn clear_pairs(&self) -> anyhow::Result<u64> {
        let mut client = self.client()?;
        let mut dropped = 0;
        for pair in client.list_pairs()? {
            for d in [pair.a_to_b, pair.b_to_a] {
                dropped += d.dropped_overflow + d.refused;
            }
            client.remove_pair(pair.association_id)?;
        }
        Ok(dropped)
    }

    pub fn paths(&self) -> &Paths {
        &self.options.paths
    }

    /// The private state root, where the relay's socket goes too.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for PrivateEngine {
    fn drop(&mut self) {
        if let Ok(Some(c)) = Client::connect_running(&self.options) {
            let _ = c.shutdown();
        }
    }
}

/// Which baseline process serves a measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BaselineKind {
    /// [`relay`]: copies bytes between the two clients.
    Relay,
    /// [`sleeper`]: holds each message until its timestamp.
    Sleeper,
}

impl BaselineKind {
    /// The hidden `midi bench` flag that runs this baseline.
    fn flag(self) -> &'static str {
        match self {
            BaselineKind::Relay => "--relay-socket",
            BaselineKind::Sleeper => "--sleeper-socket",
        }
    }
}

/// A baseline process serving one A and one B connection, stopped when dropped.
pub struct Relay {
    child: std::process::Child,
    socket: PathBuf,
}

impl Relay {
    /// A baseline serving one pair: its A and its B link.
    pub fn start(
        dir: &Path,
        tag: &str,
        kind: BaselineKind,
    ) -> anyhow::Result<(Relay, RelayLink, RelayLink)> {
        let (relay, mut links) = Relay::start_pairs(dir, tag, kind, 1)?;
        let b = links.pop().expect("two links");
        let a = links.pop().expect("two links");
        Ok((relay, a, b))
    }

    /// A baseline serving `pairs` pairs: links A, B, A, B, … (link `k`'s peer is `k ^ 1`).
    pub fn start_pairs(
        dir: &Path,
        tag: &str,
        kind: BaselineKind,
        pairs: usize,
    ) -> anyhow::Result<(Relay, Vec<RelayLink>)> {
        let socket = dir.join(format!("baseline-{tag}.sock"));
        let mut command = std::process::Command::new(std::env::current_exe()?);
        command.arg("bench").arg(kind.flag()).arg(&socket);
        if pairs != 1 {
            command.arg("--relay-pairs").arg(pairs.to_string());
        }
        let child = command
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .spawn()?;
        let relay = Relay { child, socket };
        let deadline = Instant::now() + Duration::from_secs(10);
        let first = loop {
            match RelayLink::connect(&relay.socket) {
                Ok(l) => break l,
                Err(e) if Instant::now() > deadline => {
                    return Err(e.context("the baseline process did not start"));
                }
                Err(_) => std::thread::sleep(Duration::from_millis(5)),
            }
        };
        // Accepted in order: of each two connections, the first is A, the second B.
        let mut links = vec![first];
        for _ in 1..2 * pairs {
            links.push(RelayLink::connect(&relay.socket)?);
        }
        Ok((relay, links))
    }

    /// The baseline process, whose CPU time the cost measure reads.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.socket);
    }
}
