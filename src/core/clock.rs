//! The one clock every timestamp uses: the system's monotonic clock, in nanoseconds.
//!
//! `CLOCK_MONOTONIC` is shared by every process on the machine, so a client can stamp a message
//! for the future and the engine agrees on when that is.

/// Nanoseconds on the system's monotonic clock.
pub fn monotonic_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the timespec we own; CLOCK_MONOTONIC always exists on Linux.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    (ts.tv_sec as u64) * 1_000_000_000 + ts.tv_nsec as u64
}

/// The resolution of the monotonic clock in nanoseconds, as the system reports it (1 on most
/// Linux systems with a high-resolution timer).
pub fn resolution_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_getres writes into the timespec we own; CLOCK_MONOTONIC always exists on Linux.
    unsafe { libc::clock_getres(libc::CLOCK_MONOTONIC, &mut ts) };
    (ts.tv_sec as u64) * 1_000_000_000 + ts.tv_nsec as u64
}

/// How far in the future a timestamp may lie before it is refused (up to 5 minutes).
pub const MAX_SCHEDULE_AHEAD_NS: u64 = 5 * 60 * 1_000_000_000;
