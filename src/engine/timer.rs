//! A high-resolution timer for held messages: a Linux `timerfd` on `CLOCK_MONOTONIC` (the clock
//! of every timestamp, see `core::clock`), armed with absolute nanosecond deadlines.
//!
//! tokio's own timer rounds every sleep up to its one-millisecond wheel, so a message stamped
//! for the future left up to a millisecond late. A timerfd is a kernel hrtimer, without the
//! timer slack that stretches sleeps and poll timeouts: it wakes within microseconds of its
//! deadline, and as a file descriptor it sits in the same epoll set as the sockets, so waiting
//! costs no thread and no busy loop. A cleared timer is not armed at all: with nothing held
//! there is nothing to wake for.
//!
//! [`TimerFd`] is the system interface (the only unsafe code here); [`Timer`] wraps it in
//! tokio's `AsyncFd` for the engine's event loop.

use std::cell::Cell;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use tokio::io::unix::AsyncFd;

/// A one-shot timerfd on `CLOCK_MONOTONIC` with absolute deadlines.
#[derive(Debug)]
pub struct TimerFd {
    fd: OwnedFd,
}

impl TimerFd {
    /// A non-blocking timer, for an event loop: reading before expiry is `WouldBlock`.
    pub fn new() -> io::Result<TimerFd> {
        TimerFd::create(libc::TFD_NONBLOCK)
    }

    /// A blocking timer: [`TimerFd::read_expirations`] sleeps until the deadline.
    pub fn new_blocking() -> io::Result<TimerFd> {
        TimerFd::create(0)
    }

    fn create(flags: libc::c_int) -> io::Result<TimerFd> {
        // SAFETY: timerfd_create takes no pointers; a non-negative result is a new descriptor
        // that nothing else owns, so OwnedFd may take it.
        let fd = unsafe { libc::timerfd_create(libc::CLOCK_MONOTONIC, flags | libc::TFD_CLOEXEC) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` was just returned by timerfd_create and is owned by no one else.
        Ok(TimerFd {
            fd: unsafe { OwnedFd::from_raw_fd(fd) },
        })
    }

    /// Arms the timer for `deadline_ns` on the monotonic clock, replacing any earlier
    /// deadline and any expiry not yet read. A deadline already past fires at once.
    pub fn set_deadline(&self, deadline_ns: u64) -> io::Result<()> {
        // An all-zero deadline would disarm the timer instead; 1 ns is just as past.
        self.settime(deadline_ns.max(1), libc::TFD_TIMER_ABSTIME)
    }

    /// Disarms the timer: it will not fire until armed again.
    pub fn clear(&self) -> io::Result<()> {
        self.settime(0, 0)
    }

    fn settime(&self, deadline_ns: u64, flags: libc::c_int) -> io::Result<()> {
        let spec = libc::itimerspec {
            it_interval: libc::timespec {
                tv_sec: 0,
                tv_nsec: 0,
            },
            it_value: libc::timespec {
                tv_sec: (deadline_ns / 1_000_000_000) as libc::time_t,
                tv_nsec: (deadline_ns % 1_000_000_000) as libc::c_long,
            },
        };
        // SAFETY: the descriptor is a live timerfd we own; `spec` is a valid itimerspec that
        // outlives the call, and a null old-value pointer is allowed.
        let rc = unsafe {
            libc::timerfd_settime(self.fd.as_raw_fd(), flags, &spec, std::ptr::null_mut())
        };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// How many times the timer expired since the last read (1 for a one-shot timer). Blocks
    /// until then on a blocking timer; `WouldBlock` on a non-blocking one that has not fired.
    pub fn read_expirations(&self) -> io::Result<u64> {
        let mut count = [0u8; 8];
        loop {
            // SAFETY: reads at most 8 bytes into the 8-byte buffer we own; a timerfd read
            // returns exactly one u64 or fails.
            let n = unsafe { libc::read(self.fd.as_raw_fd(), count.as_mut_ptr().cast(), 8) };
            if n == 8 {
                return Ok(u64::from_ne_bytes(count));
            }
            let err = io::Error::last_os_error();
            if n < 0 && err.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(if n < 0 {
                err
            } else {
                io::Error::new(io::ErrorKind::InvalidData, "short read from a timerfd")
            });
        }
    }
}

impl AsRawFd for TimerFd {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

/// A timerfd in tokio's reactor: arm it with [`Timer::set_deadline`], await [`Timer::wait`].
/// For a current-thread runtime (it is not `Sync`).
#[derive(Debug)]
pub struct Timer {
    fd: AsyncFd<TimerFd>,
    /// The deadline armed and not yet seen to fire, so re-arming the same one costs no call.
    armed: Cell<Option<u64>>,
}

impl Timer {
    /// A disarmed timer. Must be called inside a tokio runtime with I/O enabled.
    pub fn new() -> io::Result<Timer> {
        let timer = TimerFd::new()?;
        // SAFETY: the AsyncFd takes the TimerFd, which owns its descriptor and always returns
        // that same one from as_raw_fd until it is dropped, together with the AsyncFd.
        let fd = unsafe { AsyncFd::register_with_interest(timer, tokio::io::Interest::READABLE) }?;
        Ok(Timer {
            fd,
            armed: Cell::new(None),
        })
    }

    /// Arms the timer for `deadline_ns` (monotonic), replacing any earlier deadline.
    pub fn set_deadline(&self, deadline_ns: u64) -> io::Result<()> {
        if self.armed.get() == Some(deadline_ns) {
            return Ok(());
        }
        self.fd.get_ref().set_deadline(deadline_ns)?;
        self.armed.set(Some(deadline_ns));
        Ok(())
    }

    /// Disarms the timer; [`Timer::wait`] then pends until it is armed again.
    pub fn clear(&self) -> io::Result<()> {
        if self.armed.take().is_some() {
            self.fd.get_ref().clear()?;
        }
        Ok(())
    }

    /// The deadline armed and not yet fired.
    #[cfg(test)]
    pub fn deadline(&self) -> Option<u64> {
        self.armed.get()
    }

    /// Completes once the armed deadline has passed; never while the timer is cleared.
    /// Cancel-safe: dropped before it completes, it leaves the timer armed as it was.
    pub async fn wait(&self) -> io::Result<()> {
        loop {
            let mut ready = self.fd.readable().await?;
            // A re-arm after an expiry leaves tokio's readiness set but nothing to read:
            // try_io then sees WouldBlock, clears the readiness, and we wait again.
            match ready.try_io(|fd| fd.get_ref().read_expirations()) {
                Ok(result) => {
                    result?;
                    self.armed.set(None);
                    return Ok(());
                }
                Err(_would_block) => continue,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::clock::monotonic_ns;
    use std::time::Duration;

    /// Long enough to be sure a wrongly armed timer (due at once) would have fired, yet the
    /// tests only ever assert that a wake-up did or did not happen, never how long it took.
    const QUIET: Duration = Duration::from_millis(30);
    /// A wait that must complete gets this long before the test calls it a hang.
    const HANG: Duration = Duration::from_secs(10);
    const HOUR_NS: u64 = 3_600_000_000_000;

    async fn fires(timer: &Timer, within: Duration) -> bool {
        tokio::time::timeout(within, timer.wait())
            .await
            .map(|r| r.expect("timerfd read"))
            .is_ok()
    }

    #[tokio::test]
    async fn a_deadline_in_the_past_fires_at_once_and_only_once() {
        let timer = Timer::new().unwrap();
        timer.set_deadline(monotonic_ns() - 1_000_000).unwrap();
        assert!(fires(&timer, HANG).await, "a past deadline must fire");
        assert_eq!(timer.deadline(), None);
        assert!(!fires(&timer, QUIET).await, "a one-shot timer fired twice");
    }

    #[tokio::test]
    async fn deadline_zero_fires_instead_of_disarming() {
        let timer = Timer::new().unwrap();
        timer.set_deadline(0).unwrap();
        assert!(fires(&timer, HANG).await);
    }

    #[tokio::test]
    async fn fires_no_earlier_than_its_deadline() {
        let timer = Timer::new().unwrap();
        let deadline = monotonic_ns() + 2_000_000;
        timer.set_deadline(deadline).unwrap();
        assert!(fires(&timer, HANG).await);
        assert!(monotonic_ns() >= deadline, "woke before the deadline");
    }

    #[tokio::test]
    async fn a_cleared_timer_never_fires() {
        let timer = Timer::new().unwrap();
        assert!(!fires(&timer, QUIET).await, "a new timer is not armed");
        // Cleared after it already expired in the kernel: the expiry must be forgotten.
        timer.set_deadline(monotonic_ns() - 1).unwrap();
        std::thread::sleep(Duration::from_millis(2));
        timer.clear().unwrap();
        assert!(!fires(&timer, QUIET).await, "a cleared timer fired");
        // And cleared before its deadline.
        timer.set_deadline(monotonic_ns() + 5_000_000).unwrap();
        timer.clear().unwrap();
        assert!(!fires(&timer, QUIET).await, "a cleared timer fired");
        assert_eq!(timer.deadline(), None);
    }

    #[tokio::test]
    async fn rearming_moves_the_deadline_both_ways() {
        let timer = Timer::new().unwrap();
        // Earlier: a far deadline replaced by a past one fires.
        timer.set_deadline(monotonic_ns() + HOUR_NS).unwrap();
        assert!(!fires(&timer, QUIET).await);
        timer.set_deadline(monotonic_ns() - 1).unwrap();
        assert!(fires(&timer, HANG).await, "moved earlier, it must fire");
        // Later: an expired deadline replaced by a far one does not fire, even though the
        // reactor saw the first expiry.
        timer.set_deadline(monotonic_ns() - 1).unwrap();
        std::thread::sleep(Duration::from_millis(2));
        tokio::task::yield_now().await;
        timer.set_deadline(monotonic_ns() + HOUR_NS).unwrap();
        assert!(!fires(&timer, QUIET).await, "moved later, it fired early");
    }

    #[tokio::test]
    async fn counts_one_wake_up_per_deadline() {
        let timer = Timer::new().unwrap();
        let mut wake_ups = 0;
        for _ in 0..5 {
            timer.set_deadline(monotonic_ns() + 100_000).unwrap();
            // Arming the same deadline again is a no-op, not a second wake-up.
            timer.set_deadline(timer.deadline().unwrap()).unwrap();
            if fires(&timer, HANG).await {
                wake_ups += 1;
            }
        }
        assert_eq!(wake_ups, 5);
        assert!(!fires(&timer, QUIET).await, "woke with nothing armed");
    }

    #[test]
    fn a_blocking_timer_sleeps_until_its_deadline() {
        let timer = TimerFd::new_blocking().unwrap();
        let deadline = monotonic_ns() + 1_000_000;
        timer.set_deadline(deadline).unwrap();
        assert_eq!(timer.read_expirations().unwrap(), 1);
        assert!(monotonic_ns() >= deadline, "woke before the deadline");
    }

    #[test]
    fn a_non_blocking_timer_says_would_block_before_it_fires() {
        let timer = TimerFd::new().unwrap();
        timer.set_deadline(monotonic_ns() + HOUR_NS).unwrap();
        let err = timer.read_expirations().unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
    }
}
