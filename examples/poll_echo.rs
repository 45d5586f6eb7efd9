//! One thread serving many endpoints with `poll`: everything arriving at any of the given
//! endpoints is sent straight back out on it. The shape an application with its own event
//! loop (an audio host, a bridge) uses: non-blocking connections and their descriptors.
//!
//! Run: `cargo run --example poll_echo -- "Synth (B)" "Drums (B)"`, then send to
//! `Synth (A)` or `Drums (A)` and watch the echo arrive there
//! (`midi endpoint monitor "Synth (A)"`).

use midi_loopback::client::{Client, ClientError, ClientOptions, EndpointConnection, Received};
use midi_loopback::core::protocol::TimedMessage;
use std::os::fd::AsRawFd;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let names: Vec<String> = std::env::args().skip(1).collect();
    if names.is_empty() {
        return Err("usage: poll_echo ENDPOINT… (endpoint ids or names)".into());
    }
    let options = ClientOptions::from_env(None)?;
    let mut conns = Vec::new();
    for name in &names {
        let mut conn = Client::connect(&options)?.open_endpoint(name)?;
        conn.set_nonblocking(true)?;
        eprintln!("echoing on {} ({})", conn.info().name, conn.info().id);
        conns.push(conn);
    }
    eprintln!("ready: {} endpoint(s) on one thread", conns.len());
    while !conns.is_empty() {
        let mut fds: Vec<libc::pollfd> = conns
            .iter()
            .map(|c| libc::pollfd {
                fd: c.as_raw_fd(),
                // Wait for room only while something is queued, so an idle loop sleeps.
                events: libc::POLLIN | if c.unsent() > 0 { libc::POLLOUT } else { 0 },
                revents: 0,
            })
            .collect();
        // SAFETY: `fds` is a valid array of `fds.len()` pollfd structs for the whole call.
        let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, -1) };
        if n < 0 {
            let err = std::io::Error::last_os_error();
            if err.kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return Err(err.into());
        }
        let mut gone = Vec::new();
        for (i, (conn, fd)) in conns.iter_mut().zip(&fds).enumerate() {
            if fd.revents & libc::POLLOUT != 0 {
                conn.flush_unsent()?;
            }
            if fd.revents & (libc::POLLIN | libc::POLLHUP | libc::POLLERR) != 0 && !serve(conn)? {
                gone.push(i);
            }
        }
        for i in gone.into_iter().rev() {
            conns.remove(i);
        }
    }
    Ok(())
}

/// Echoes everything that waits on one connection; false once its endpoint is gone.
fn serve(conn: &mut EndpointConnection) -> Result<bool, ClientError> {
    loop {
        match conn.try_receive() {
            Ok(Some(Received::Messages(messages))) => {
                let replies: Vec<_> = messages
                    .iter()
                    .filter_map(|m| TimedMessage::new(0, m.words()))
                    .collect();
                conn.send_batch(&replies)?;
            }
            Ok(Some(Received::Overflow { dropped })) => eprintln!("fell behind: {dropped} dropped"),
            Ok(None) => return Ok(true),
            Err(ClientError::EndpointRemoved { endpoint }) => {
                eprintln!("{endpoint} was removed");
                return Ok(false);
            }
            Err(ClientError::EngineStopped) => return Ok(false),
            Err(e) => return Err(e),
        }
    }
}
