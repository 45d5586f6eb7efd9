//! A small tokio driver: one task owns a UDP socket (IPv4 or IPv6) and one state machine
//! (a [`Host`] or a [`Client`]), feeds it datagrams, requests and timer ticks, sends what it
//! says to send, and talks to its owner through channels. It sleeps exactly until the state
//! machine's next deadline.
//!
//! The owner must keep reading [`Driver::next_event`]: events are queued without bound so
//! the socket task never waits on its owner.

use super::packet::Identity;
use super::session::{
    Client, ClientConfig, Counters, DownReason, Host, HostConfig, Output, SendError, SessionId,
};
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Instant;
use thiserror::Error;
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

/// What the driver tells its owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Up {
        session: SessionId,
        peer: SocketAddr,
        remote: Identity,
    },
    Down {
        session: SessionId,
        peer: SocketAddr,
        reason: DownReason,
    },
    Ump {
        session: SessionId,
        words: Vec<u32>,
    },
}

/// Why a request to the driver failed.
#[derive(Debug, Error)]
pub enum DriverError {
    #[error(transparent)]
    Send(#[from] SendError),
    #[error("the network MIDI driver has stopped")]
    Stopped,
}

enum Request {
    Send {
        session: SessionId,
        words: Vec<u32>,
        done: oneshot::Sender<Result<(), SendError>>,
    },
    Reset {
        session: SessionId,
        done: oneshot::Sender<Result<(), SendError>>,
    },
    Close {
        session: SessionId,
    },
    Counters {
        session: SessionId,
        done: oneshot::Sender<Option<Counters>>,
    },
    Shutdown,
}

/// A running host or client.
pub struct Driver {
    local_addr: SocketAddr,
    requests: mpsc::UnboundedSender<Request>,
    events: mpsc::UnboundedReceiver<Event>,
    task: JoinHandle<io::Result<()>>,
}

/// What we ask of the kernel for each socket's receive buffer (it caps it at
/// `net.core.rmem_max`): a burst such as 64 KB of SysEx is about 50 full datagrams, and the
/// default buffer holds only some of them while our task is busy sending.
const RECEIVE_BUFFER_BYTES: usize = 1 << 20;

/// Yield to other tasks after this many datagrams sent in a row, so a receiver in the same
/// process (or runtime) drains its socket during a burst.
const DATAGRAMS_BETWEEN_YIELDS: usize = 4;

/// A non-blocking UDP socket on `addr` with a large receive buffer. An IPv6 wildcard
/// address also takes IPv4 peers (as mapped addresses), as the system allows.
fn bind_udp(addr: SocketAddr) -> io::Result<UdpSocket> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
    if addr.is_ipv6() && addr.ip().is_unspecified() {
        let _ = socket.set_only_v6(false);
    }
    // Not fatal: the default buffer works, it only drops more under a burst.
    let _ = socket.set_recv_buffer_size(RECEIVE_BUFFER_BYTES);
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    UdpSocket::from_std(socket.into())
}

/// Binds `bind` (e.g. `0.0.0.0:5673` or `[::]:5673`; port 0 picks one) and runs a host.
pub async fn spawn_host(bind: SocketAddr, config: HostConfig) -> io::Result<Driver> {
    start_host(bind, config)
}

/// [`spawn_host`] for a caller that is not async itself (it must run inside a tokio runtime).
pub fn start_host(bind: SocketAddr, config: HostConfig) -> io::Result<Driver> {
    let socket = bind_udp(bind)?;
    start(
        socket,
        Machine::Host(Box::new(Host::new(config))),
        Vec::new(),
    )
}

/// Binds an ephemeral port of `host`'s address family and invites `host`.
pub async fn spawn_client(host: SocketAddr, config: ClientConfig) -> io::Result<Driver> {
    start_client(host, config)
}

/// [`spawn_client`] for a caller that is not async itself (it must run inside a tokio runtime).
pub fn start_client(host: SocketAddr, config: ClientConfig) -> io::Result<Driver> {
    let any = match host {
        SocketAddr::V4(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        SocketAddr::V6(_) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    };
    let socket = bind_udp(SocketAddr::new(any, 0))?;
    let (client, first) = Client::connect(config, host, Instant::now());
    start(socket, Machine::Client(Box::new(client)), first)
}

/// Spawns the task; `first` are outputs the state machine produced before it had a socket.
fn start(socket: UdpSocket, machine: Machine, first: Vec<Output>) -> io::Result<Driver> {
    let local_addr = socket.local_addr()?;
    let (requests, request_rx) = mpsc::unbounded_channel();
    let (event_tx, events) = mpsc::unbounded_channel();
    let task = tokio::spawn(run(socket, machine, first, request_rx, event_tx));
    Ok(Driver {
        local_addr,
        requests,
        events,
        task,
    })
}

impl Driver {
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The next event; `None` once the driver has stopped.
    pub async fn next_event(&mut self) -> Option<Event> {
        self.events.recv().await
    }

    /// Sends whole UMP messages on a session.
    pub async fn send(&self, session: SessionId, words: Vec<u32>) -> Result<(), DriverError> {
        let (done, answer) = oneshot::channel();
        self.request(Request::Send {
            session,
            words,
            done,
        })?;
        Ok(answer.await.map_err(|_| DriverError::Stopped)??)
    }

    /// Starts a session reset.
    pub async fn reset(&self, session: SessionId) -> Result<(), DriverError> {
        let (done, answer) = oneshot::channel();
        self.request(Request::Reset { session, done })?;
        Ok(answer.await.map_err(|_| DriverError::Stopped)??)
    }

    /// Says bye on one session.
    pub fn close(&self, session: SessionId) -> Result<(), DriverError> {
        self.request(Request::Close { session })
    }

    /// A session's counters (`None` if it does not exist).
    pub async fn counters(&self, session: SessionId) -> Result<Option<Counters>, DriverError> {
        let (done, answer) = oneshot::channel();
        self.request(Request::Counters { session, done })?;
        answer.await.map_err(|_| DriverError::Stopped)
    }

    /// Says bye on every session and waits for the task to end.
    pub async fn shutdown(self) -> io::Result<()> {
        let _ = self.requests.send(Request::Shutdown);
        self.task.await.unwrap_or_else(|e| Err(io::Error::other(e)))
    }

    fn request(&self, request: Request) -> Result<(), DriverError> {
        self.requests
            .send(request)
            .map_err(|_| DriverError::Stopped)
    }
}

/// The two roles behind one interface, so the loop is written once.
enum Machine {
    Host(Box<Host>),
    Client(Box<Client>),
}

impl Machine {
    fn datagram(&mut self, now: Instant, from: SocketAddr, bytes: &[u8]) -> Vec<Output> {
        match self {
            Machine::Host(h) => h.handle_datagram(now, from, bytes),
            Machine::Client(c) => c.handle_datagram(now, from, bytes),
        }
    }

    fn timers(&mut self, now: Instant) -> Vec<Output> {
        match self {
            Machine::Host(h) => h.poll_timers(now),
            Machine::Client(c) => c.poll_timers(now),
        }
    }

    fn deadline(&self) -> Option<Instant> {
        match self {
            Machine::Host(h) => h.next_deadline(),
            Machine::Client(c) => c.next_deadline(),
        }
    }

    /// The client, if `session` is its session.
    fn client_for(&mut self, session: SessionId) -> Result<&mut Client, SendError> {
        match self {
            Machine::Client(c) if c.session() == session => Ok(c),
            _ => Err(SendError::UnknownSession(session)),
        }
    }

    fn send(
        &mut self,
        now: Instant,
        session: SessionId,
        words: &[u32],
    ) -> Result<Vec<Output>, SendError> {
        match self {
            Machine::Host(h) => h.send_ump(now, session, words),
            Machine::Client(_) => self.client_for(session)?.send_ump(now, words),
        }
    }

    fn reset(&mut self, now: Instant, session: SessionId) -> Result<Vec<Output>, SendError> {
        match self {
            Machine::Host(h) => h.reset_session(now, session),
            Machine::Client(_) => self.client_for(session)?.reset_session(now),
        }
    }

    fn close(&mut self, session: SessionId) -> Vec<Output> {
        match self {
            Machine::Host(h) => h.close(session).unwrap_or_default(),
            Machine::Client(_) => self
                .client_for(session)
                .map(|c| c.close())
                .unwrap_or_default(),
        }
    }

    fn counters(&mut self, session: SessionId) -> Option<Counters> {
        match self {
            Machine::Host(h) => h.counters(Some(session)).cloned(),
            Machine::Client(_) => self.client_for(session).ok().map(|c| c.counters().clone()),
        }
    }

    /// Carries out a request; `None` means shut down.
    fn request(&mut self, now: Instant, request: Request) -> Option<Vec<Output>> {
        let out = match request {
            Request::Shutdown => return None,
            Request::Send {
                session,
                words,
                done,
            } => answer(self.send(now, session, &words), done),
            Request::Reset { session, done } => answer(self.reset(now, session), done),
            Request::Close { session } => self.close(session),
            Request::Counters { session, done } => {
                let _ = done.send(self.counters(session));
                Vec::new()
            }
        };
        Some(out)
    }

    fn close_all(&mut self) -> Vec<Output> {
        match self {
            Machine::Host(h) => h.close_all(),
            Machine::Client(c) => c.close(),
        }
    }

    /// A client whose session ended has nothing more to do.
    fn finished(&self) -> bool {
        matches!(self, Machine::Client(c) if c.is_down())
    }
}

fn answer(
    result: Result<Vec<Output>, SendError>,
    done: oneshot::Sender<Result<(), SendError>>,
) -> Vec<Output> {
    match result {
        Ok(out) => {
            let _ = done.send(Ok(()));
            out
        }
        Err(e) => {
            let _ = done.send(Err(e));
            Vec::new()
        }
    }
}

async fn run(
    socket: UdpSocket,
    mut machine: Machine,
    first: Vec<Output>,
    mut requests: mpsc::UnboundedReceiver<Request>,
    events: mpsc::UnboundedSender<Event>,
) -> io::Result<()> {
    let mut buf = vec![0u8; 65_536];
    let v6 = socket.local_addr()?.is_ipv6();
    dispatch(&socket, v6, first, &events).await;
    loop {
        let deadline = machine.deadline().map(tokio::time::Instant::from_std);
        let out = tokio::select! {
            received = socket.recv_from(&mut buf) => match received {
                Ok((n, from)) => machine.datagram(Instant::now(), unmap(from), &buf[..n]),
                // An ICMP error for an earlier datagram; the session timers deal with it.
                Err(e) if matches!(e.kind(), io::ErrorKind::ConnectionRefused | io::ErrorKind::ConnectionReset) => Vec::new(),
                Err(e) => return Err(e),
            },
            request = requests.recv() => {
                let now = Instant::now();
                match request.and_then(|r| machine.request(now, r)) {
                    Some(out) => out,
                    None => {
                        let out = machine.close_all();
                        dispatch(&socket, v6, out, &events).await;
                        return Ok(());
                    }
                }
            },
            () = sleep_until(deadline) => machine.timers(Instant::now()),
        };
        dispatch(&socket, v6, out, &events).await;
        if machine.finished() {
            return Ok(());
        }
    }
}

async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(t) => tokio::time::sleep_until(t).await,
        None => std::future::pending().await,
    }
}

async fn dispatch(
    socket: &UdpSocket,
    v6: bool,
    out: Vec<Output>,
    events: &mpsc::UnboundedSender<Event>,
) {
    let mut sent = 0;
    for o in out {
        let event = match o {
            Output::Transmit { to, bytes } => {
                let to = if v6 { map(to) } else { to };
                // A datagram that cannot be sent is a lost datagram; the protocol recovers.
                let _ = socket.send_to(&bytes, to).await;
                sent += 1;
                if sent % DATAGRAMS_BETWEEN_YIELDS == 0 {
                    tokio::task::yield_now().await;
                }
                continue;
            }
            Output::Deliver { session, words } => Event::Ump { session, words },
            Output::SessionUp {
                session,
                peer,
                remote,
            } => Event::Up {
                session,
                peer,
                remote,
            },
            Output::SessionDown {
                session,
                peer,
                reason,
            } => Event::Down {
                session,
                peer,
                reason,
            },
            Output::Counted { .. } => continue,
        };
        // The owner went away: nobody is left to tell.
        let _ = events.send(event);
    }
}

/// An IPv4 peer seen through an IPv6 socket is the same peer as on an IPv4 socket.
fn unmap(addr: SocketAddr) -> SocketAddr {
    match addr {
        SocketAddr::V6(v6) => match v6.ip().to_ipv4_mapped() {
            Some(v4) => SocketAddr::new(IpAddr::V4(v4), v6.port()),
            None => addr,
        },
        SocketAddr::V4(_) => addr,
    }
}

fn map(addr: SocketAddr) -> SocketAddr {
    match addr {
        SocketAddr::V4(v4) => SocketAddr::new(IpAddr::V6(v4.ip().to_ipv6_mapped()), v4.port()),
        SocketAddr::V6(_) => addr,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapped_ipv4_peers_are_the_same_peers() {
        let v4: SocketAddr = "192.0.2.1:5673".parse().unwrap();
        let mapped: SocketAddr = "[::ffff:192.0.2.1]:5673".parse().unwrap();
        assert_eq!(unmap(mapped), v4);
        assert_eq!(map(v4), mapped);
        let v6: SocketAddr = "[2001:db8::1]:9".parse().unwrap();
        assert_eq!(unmap(v6), v6);
        assert_eq!(map(v6), v6);
    }
}
