//! The engine's cost at musical rates: many pairs, each carrying a steady stream both ways,
//! one message per write as a live player sends — and the engine's own CPU time over the run.
//!
//! The CPU time is the engine process's, read from the kernel (per-thread run time in
//! nanoseconds from `/proc/<pid>/task/*/schedstat`, or `utime + stime` in clock ticks from
//! `/proc/<pid>/stat` where that is missing), so the load generator's own work never counts.

use super::{PrivateEngine, STALL};
use crate::client::{EndpointConnection, Received};
use std::sync::Barrier;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Pairs in the run, each carrying [`RATE_PER_S`] messages per second in each direction.
pub const PAIRS: usize = 16;
pub const RATE_PER_S: u32 = 1_000;

/// What the run measured.
#[derive(Debug, Clone, Copy, Default)]
pub struct Cost {
    pub seconds: f64,
    pub sent: u64,
    pub delivered: u64,
    /// The engine's CPU time over the run, nanoseconds.
    pub engine_cpu_ns: u64,
}

impl Cost {
    pub fn cpu_ns_per_message(&self) -> f64 {
        self.engine_cpu_ns as f64 / self.delivered.max(1) as f64
    }

    /// The engine's CPU time as a share of one core over the run (1.0 = a whole core).
    pub fn core_share(&self) -> f64 {
        self.engine_cpu_ns as f64 / 1e9 / self.seconds
    }
}

/// Runs [`PAIRS`] pairs at [`RATE_PER_S`] both ways for `seconds`; `tick` gets the share of
/// the run done (0.0–1.0).
pub fn musical_rates(
    engine: &PrivateEngine,
    seconds: f64,
    tick: &(dyn Fn(f64) + Sync),
) -> anyhow::Result<Cost> {
    let pid = engine.client()?.engine_pid();
    // Endpoint k's peer is k ^ 1: the A and B of the same pair.
    let mut ends = Vec::with_capacity(2 * PAIRS);
    for p in 0..PAIRS {
        let (a, mut bs) = engine.links(&format!("musical {p}"), 1)?;
        ends.push(a);
        ends.push(bs.remove(0));
    }
    let sent: Vec<AtomicU64> = (0..ends.len()).map(|_| AtomicU64::new(0)).collect();
    let sending_done = Barrier::new(ends.len());
    let cpu_before = cpu_time_ns(pid)?;
    let started = Instant::now();
    let end = started + Duration::from_secs_f64(seconds);
    let count = ends.len();
    let delivered = std::thread::scope(|s| -> anyhow::Result<u64> {
        let handles: Vec<_> = ends
            .into_iter()
            .enumerate()
            .map(|(k, conn)| {
                let (sent, done) = (&sent, &sending_done);
                // Players are not in lockstep: each starts at its own point in the period.
                let phase = Duration::from_secs(1) / RATE_PER_S * k as u32 / count as u32;
                let tick = (k == 0).then_some(tick);
                s.spawn(move || play(conn, k, started + phase, end, sent, done, tick))
            })
            .collect();
        let mut total = 0;
        for h in handles {
            total += h
                .join()
                .map_err(|_| anyhow::anyhow!("a player thread panicked"))??;
        }
        Ok(total)
    })?;
    let seconds = started.elapsed().as_secs_f64();
    let engine_cpu_ns = cpu_time_ns(pid)?.saturating_sub(cpu_before);
    Ok(Cost {
        seconds,
        sent: sent.iter().map(|c| c.load(Ordering::Acquire)).sum(),
        delivered,
        engine_cpu_ns,
    })
}

/// One player on endpoint `k`: sends one message per period until `end`, receiving what its
/// peer sends in between; then drains until it has everything its peer sent. Returns how many
/// messages it received.
fn play(
    mut conn: EndpointConnection,
    k: usize,
    first: Instant,
    end: Instant,
    sent: &[AtomicU64],
    sending_done: &Barrier,
    tick: Option<&(dyn Fn(f64) + Sync)>,
) -> anyhow::Result<u64> {
    let period = Duration::from_secs(1) / RATE_PER_S;
    let note = [if k.is_multiple_of(2) {
        0x2090_3C64
    } else {
        0x2080_3C00
    }];
    let total = end.saturating_duration_since(first).as_secs_f64();
    let (mut next, mut got, mut mine) = (first, 0u64, 0u64);
    while next < end {
        let now = Instant::now();
        if now >= next {
            conn.send(&note)?;
            mine += 1;
            next += period;
            if let Some(tick) = tick
                && mine % 100 == 0
            {
                tick((next - first).as_secs_f64() / total);
            }
            continue;
        }
        got += received(conn.receive(Some(next - now))?);
    }
    sent[k].store(mine, Ordering::Release);
    sending_done.wait();
    let expected = sent[k ^ 1].load(Ordering::Acquire);
    while got < expected {
        match conn.receive(Some(STALL))? {
            None => break, // stalled: the rest is lost
            r => got += received(r),
        }
    }
    Ok(got)
}

fn received(r: Option<Received>) -> u64 {
    match r {
        Some(Received::Messages(m)) => m.len() as u64,
        Some(Received::Overflow { .. }) | None => 0,
    }
}

/// A process's CPU time so far (user + system, all its live threads), in nanoseconds.
pub fn cpu_time_ns(pid: u32) -> anyhow::Result<u64> {
    match schedstat_ns(pid) {
        Some(ns) => Ok(ns),
        None => stat_ticks_ns(pid),
    }
}

/// The first field of each thread's `schedstat` is its time on a CPU, in nanoseconds.
fn schedstat_ns(pid: u32) -> Option<u64> {
    let mut total = 0;
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).ok()? {
        let text = std::fs::read_to_string(task.ok()?.path().join("schedstat")).ok()?;
        total += text.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(total)
}

/// `utime + stime` from `/proc/<pid>/stat`, converted from clock ticks.
fn stat_ticks_ns(pid: u32) -> anyhow::Result<u64> {
    let path = format!("/proc/{pid}/stat");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| anyhow::anyhow!("cannot read the engine's CPU time from {path}: {e}"))?;
    // The command name may hold spaces; the fields after its closing parenthesis do not.
    let fields: Vec<&str> = text
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let field = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok());
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
    let (Some(utime), Some(stime)) = (field(11), field(12)) else {
        anyhow::bail!("{path} has no utime and stime fields");
    };
    // SAFETY: sysconf only reads a configuration value.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
    Ok((utime + stime) * 1_000_000_000 / per_second)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_ways_of_reading_cpu_time_see_this_process_work() {
        let pid = std::process::id();
        let before = cpu_time_ns(pid).unwrap();
        let t = Instant::now();
        let mut x = 0u64;
        while t.elapsed() < Duration::from_millis(50) {
            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(7));
        }
        assert!(cpu_time_ns(pid).unwrap() > before, "no CPU time counted");
        assert!(stat_ticks_ns(pid).unwrap() > 0);
    }
}
