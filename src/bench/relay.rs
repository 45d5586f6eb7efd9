//! The baseline: a relay that only copies bytes between two clients over the same kind of
//! socket the engine uses, with none of the engine's logic. Whatever it achieves is the limit
//! of this machine; the engine's figures are read against it.

use std::io::{self, Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::Path;

/// Serves `pairs` pairs of clients: of each two that connect, the first is side A and the
/// second side B. Every byte from one goes to the other until either hangs up; each
/// direction is a thread blocked in `read`, the least a relay can do per message.
pub fn serve(socket: &Path, pairs: usize) -> io::Result<()> {
    let _ = std::fs::remove_file(socket);
    let listener = UnixListener::bind(socket)?;
    let mut threads = Vec::with_capacity(2 * pairs);
    for _ in 0..pairs {
        let (a, _) = listener.accept()?;
        let (b, _) = listener.accept()?;
        let (a2, b2) = (a.try_clone()?, b.try_clone()?);
        threads.push(std::thread::spawn(move || copy(a, b)));
        threads.push(std::thread::spawn(move || copy(b2, a2)));
    }
    for t in threads {
        let _ = t.join();
    }
    let _ = std::fs::remove_file(socket);
    Ok(())
}

fn copy(mut from: UnixStream, mut to: UnixStream) {
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if to.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
        }
    }
    let _ = to.shutdown(std::net::Shutdown::Both);
}
