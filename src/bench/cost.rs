//! The engine's cost at musical rates: many pairs, each carrying a steady stream both ways,
//! one message per write as a live player sends — and the engine's own CPU time over the run.
//!
//! The CPU time is the engine process's, read from the kernel (per-thread run time in
//! nanoseconds from `/proc/<pid>/task/*/schedstat`, or `utime + stime` in clock ticks from
//! `/proc/<pid>/stat` where that is missing), so the load generator's own work never counts.

use super::{Link, PrivateEngine, STALL};
use crate::core::protocol::TimedMessage;
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
    /// The serving process's CPU time over the run, nanoseconds.
    pub cpu_ns: u64,
    /// Times its threads went to sleep over the run (voluntary context switches): how often
    /// it had to be woken.
    pub sleeps: u64,
}

impl Cost {
    pub fn cpu_ns_per_message(&self) -> f64 {
        self.cpu_ns as f64 / self.delivered.max(1) as f64
    }

    /// The CPU time as a share of one core over the run (1.0 = a whole core).
    pub fn core_share(&self) -> f64 {
        self.cpu_ns as f64 / 1e9 / self.seconds
    }

    pub fn sleeps_per_message(&self) -> f64 {
        self.sleeps as f64 / self.delivered.max(1) as f64
    }
}

/// The engine's ends of [`PAIRS`] fresh pairs: A, B, A, B, … (end `k`'s peer is `k ^ 1`).
pub fn engine_ends(engine: &PrivateEngine) -> anyhow::Result<Vec<Box<dyn Link>>> {
    let mut ends: Vec<Box<dyn Link>> = Vec::with_capacity(2 * PAIRS);
    for p in 0..PAIRS {
        let (a, mut bs) = engine.links(&format!("musical {p}"), 1)?;
        ends.push(Box::new(a));
        ends.push(Box::new(bs.remove(0)));
    }
    Ok(ends)
}

/// Runs the pairs of `ends` (end `k`'s peer is `k ^ 1`) at [`RATE_PER_S`] both ways for
/// `seconds`, reading the CPU time of process `pid` (the engine, or the baseline relay)
/// around the run; `tick` gets the share of the run done (0.0–1.0).
pub fn musical_rates(
    pid: u32,
    ends: Vec<Box<dyn Link>>,
    seconds: f64,
    tick: &(dyn Fn(f64) + Sync),
) -> anyhow::Result<Cost> {
    let sent: Vec<AtomicU64> = (0..ends.len()).map(|_| AtomicU64::new(0)).collect();
    let sending_done = Barrier::new(ends.len());
    let cpu_before = cpu_time_ns(pid)?;
    let sleeps_before = sleeps(pid);
    let started = Instant::now();
    let end = started + Duration::from_secs_f64(seconds);
    let count = ends.len();
    let (delivered, (cpu_after, sleeps_after), ends) =
        std::thread::scope(|s| -> anyhow::Result<_> {
            let handles: Vec<_> = ends
                .into_iter()
                .enumerate()
                .map(|(k, link)| {
                    let (sent, done) = (&sent, &sending_done);
                    // Players are not in lockstep: each starts at its own point in the period.
                    let phase = Duration::from_secs(1) / RATE_PER_S * k as u32 / count as u32;
                    let tick = (k == 0).then_some(tick);
                    s.spawn(move || play(link, k, started + phase, end, sent, done, tick))
                })
                .collect();
            let (mut total, mut kept) = (0, Vec::with_capacity(count));
            for h in handles {
                let (got, link) = h
                    .join()
                    .map_err(|_| anyhow::anyhow!("a player thread panicked"))??;
                total += got;
                kept.push(link);
            }
            // Read before the links close: a relay's threads end with their connections, and
            // the CPU time of a thread that has ended is no longer listed.
            Ok((total, (cpu_time_ns(pid)?, sleeps(pid)), kept))
        })?;
    let seconds = started.elapsed().as_secs_f64();
    drop(ends);
    Ok(Cost {
        seconds,
        sent: sent.iter().map(|c| c.load(Ordering::Acquire)).sum(),
        delivered,
        cpu_ns: cpu_after.saturating_sub(cpu_before),
        sleeps: sleeps_after.saturating_sub(sleeps_before),
    })
}

/// One player on end `k`: sends one message per period until `end`, receiving what its
/// peer sends in between; then drains until it has everything its peer sent. Returns how many
/// messages it received, and its link (still open).
fn play(
    mut link: Box<dyn Link>,
    k: usize,
    first: Instant,
    end: Instant,
    sent: &[AtomicU64],
    sending_done: &Barrier,
    tick: Option<&(dyn Fn(f64) + Sync)>,
) -> anyhow::Result<(u64, Box<dyn Link>)> {
    let period = Duration::from_secs(1) / RATE_PER_S;
    let note = [TimedMessage::new(
        0,
        &[if k.is_multiple_of(2) {
            0x2090_3C64
        } else {
            0x2080_3C00
        }],
    )
    .expect("a valid UMP")];
    let total = end.saturating_duration_since(first).as_secs_f64();
    let (mut next, mut got, mut mine) = (first, 0u64, 0u64);
    let mut inbox = Vec::new();
    while next < end {
        let now = Instant::now();
        if now >= next {
            link.send(&note)?;
            mine += 1;
            next += period;
            if let Some(tick) = tick
                && mine % 100 == 0
            {
                tick((next - first).as_secs_f64() / total);
            }
            continue;
        }
        got += link.receive(next - now, &mut inbox)? as u64;
        inbox.clear();
    }
    sent[k].store(mine, Ordering::Release);
    sending_done.wait();
    let expected = sent[k ^ 1].load(Ordering::Acquire);
    // Until everything arrived, or nothing has for STALL (an event, such as an overflow
    // notice, is not progress but does not end the wait either).
    let mut last_progress = Instant::now();
    while got < expected {
        let quiet = last_progress.elapsed();
        if quiet >= STALL {
            break; // stalled: the rest is lost
        }
        let n = link.receive(STALL - quiet, &mut inbox)?;
        if n > 0 {
            got += n as u64;
            last_progress = Instant::now();
        }
        inbox.clear();
    }
    Ok((got, link))
}

/// A process's CPU time so far (user + system, all its live threads), in nanoseconds.
pub fn cpu_time_ns(pid: u32) -> anyhow::Result<u64> {
    match schedstat_ns(pid) {
        Some(ns) => Ok(ns),
        None => stat_ticks_ns(pid),
    }
}

/// Voluntary context switches of every live thread of a process (0 where `/proc` lacks them).
fn sleeps(pid: u32) -> u64 {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0;
    };
    tasks
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("status")).ok())
        .filter_map(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("voluntary_ctxt_switches:"))
                .and_then(|v| v.trim().parse::<u64>().ok())
        })
        .sum()
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
