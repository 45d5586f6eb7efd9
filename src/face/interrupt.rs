//! Ctrl-C and SIGTERM as a flag, so a face stops cleanly instead of being killed: long-running
//! commands (monitor, send) still print their summary, and the wizard cancels with "nothing
//! created". The one place the product sets signal handlers.

use std::sync::atomic::{AtomicBool, Ordering};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    INTERRUPTED.store(true, Ordering::SeqCst);
}

fn handler() -> libc::sighandler_t {
    on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t
}

/// Installs the handlers for the rest of the process; from then on Ctrl-C and SIGTERM set the
/// flag instead of ending it.
pub fn install() {
    // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
    unsafe {
        libc::signal(libc::SIGINT, handler());
        libc::signal(libc::SIGTERM, handler());
    }
}

/// Whether Ctrl-C (or SIGTERM, after [`install`]) arrived.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// Ctrl-C sets the flag only while this lives (the flag starts clear); the previous handling
/// of SIGINT comes back when it is dropped.
pub struct Guard {
    previous: libc::sighandler_t,
}

impl Guard {
    pub fn install() -> Guard {
        INTERRUPTED.store(false, Ordering::SeqCst);
        // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
        let previous = unsafe { libc::signal(libc::SIGINT, handler()) };
        Guard { previous }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        // SAFETY: restores the disposition saved by `install`.
        unsafe {
            libc::signal(libc::SIGINT, self.previous);
        }
    }
}
