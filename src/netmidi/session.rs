//! The Network MIDI 2.0 session protocol as sans-IO state machines: [`Host`] (accepts
//! invitations, several sessions at once) and [`Client`] (invites one host). They never touch
//! a socket or read a clock: the caller hands in datagrams with their sender and the current
//! time, and gets back [`Output`]s to act on — datagrams to send, UMP to deliver, sessions
//! that came up or went down, counters that moved. [`Host::next_deadline`] tells the caller
//! when to call `poll_timers` again, so a driver sleeps exactly until then.
//!
//! The data path of an established session (sequence numbers, FEC, the receive window,
//! retransmission, keep-alives, liveness pings, session reset) is [`link`], shared by both
//! roles; the handshakes are in [`host`] and [`client`]; digests and nonces in [`auth`].

mod auth;
mod client;
mod host;
mod link;

pub use auth::{Entropy, os_entropy, shared_secret_digest, user_digest};
pub use client::Client;
pub use host::{Host, SessionInfo};

use super::packet::Identity;
use crate::core::ump::FramingError;
use std::net::SocketAddr;
use std::time::Duration;
use thiserror::Error;

/// A session's id, unique for the life of one [`Host`] or [`Client`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionId(pub u64);

/// What the caller must do after feeding a state machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Send these bytes to this address.
    Transmit { to: SocketAddr, bytes: Vec<u8> },
    /// Whole UMP messages that arrived on a session, in order, none twice.
    Deliver { session: SessionId, words: Vec<u32> },
    /// The handshake finished; data may flow.
    SessionUp {
        session: SessionId,
        peer: SocketAddr,
        remote: Identity,
    },
    /// The session ended (or, for a client, never came up).
    SessionDown {
        session: SessionId,
        peer: SocketAddr,
        reason: DownReason,
    },
    /// A counter moved by `n` while handling one call (`session` is `None` for traffic
    /// that belongs to no session).
    Counted {
        session: Option<SessionId>,
        counter: Counter,
        n: u64,
    },
}

/// Why a session ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DownReason {
    /// The peer said bye (reason byte as sent, see `packet::bye_reason`).
    PeerBye { reason: u8, text: String },
    /// We closed it.
    Closed,
    /// The peer stopped answering pings.
    Timeout,
    /// Messages stayed missing after every retransmit request.
    TooManyMissing,
    /// Host: the same address invited again and the new session took its place.
    Replaced,
    /// Client: the host refused the invitation with this bye reason.
    Refused { reason: u8 },
    /// Client: the host asks for a kind of authentication we have no credentials for.
    AuthenticationNeeded { user_auth: bool },
    /// Client: the host rejected our digest.
    AuthenticationRejected,
    /// Client: no answer to any invitation.
    NoAnswer,
}

/// Things counted per session (and, with no session, per state machine).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Counter {
    /// UMP messages handed to `send_ump`.
    MessagesSent,
    /// UMP messages delivered.
    MessagesDelivered,
    /// UMP-data commands received again (FEC copies, retransmissions of what we had).
    Duplicates,
    /// Commands that filled a gap without a retransmit request (FEC or reordering).
    GapsFilledLate,
    /// Commands that filled a gap after we asked for them.
    RetransmitRecovered,
    /// Retransmit requests we sent.
    RetransmitRequested,
    /// UMP-data commands we sent again because the peer asked.
    RetransmitAnswered,
    /// Retransmit errors we sent (the history no longer had what was asked).
    RetransmitRefused,
    /// Sequence numbers given up on after the peer said it no longer has them.
    Lost,
    /// UMP-data commands too far ahead of the receive window (asked again later).
    OutOfWindow,
    /// Datagrams whose framing was broken (wrong signature, length, truncation).
    DatagramsDropped,
    /// Commands we answered with a NAK (malformed, unsupported or unexpected).
    NaksSent,
    /// NAKs received (never answered).
    NaksReceived,
    /// Pings we sent because the peer was silent.
    PingsSent,
    /// Commands from addresses with no session, ignored or turned away.
    FromUnknownPeer,
    /// Invitations ignored because of the invitation rate cap.
    InvitationsRateLimited,
    /// Invitations refused (session cap, no matching authentication method).
    InvitationsRefused,
    /// Wrong digests, unknown users.
    AuthenticationFailures,
}

impl Counter {
    pub const ALL: [Counter; 18] = [
        Counter::MessagesSent,
        Counter::MessagesDelivered,
        Counter::Duplicates,
        Counter::GapsFilledLate,
        Counter::RetransmitRecovered,
        Counter::RetransmitRequested,
        Counter::RetransmitAnswered,
        Counter::RetransmitRefused,
        Counter::Lost,
        Counter::OutOfWindow,
        Counter::DatagramsDropped,
        Counter::NaksSent,
        Counter::NaksReceived,
        Counter::PingsSent,
        Counter::FromUnknownPeer,
        Counter::InvitationsRateLimited,
        Counter::InvitationsRefused,
        Counter::AuthenticationFailures,
    ];
}

/// A set of counter values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counters([u64; Counter::ALL.len()]);

impl Counters {
    pub fn get(&self, counter: Counter) -> u64 {
        self.0[counter as usize]
    }

    pub(crate) fn add(&mut self, counter: Counter, n: u64) {
        self.0[counter as usize] += n;
    }

    /// `Counted` outputs for every counter that grew since `before`.
    fn emit_growth(&self, before: &Counters, session: Option<SessionId>, out: &mut Vec<Output>) {
        for counter in Counter::ALL {
            let n = self.get(counter) - before.get(counter);
            if n > 0 {
                out.push(Output::Counted {
                    session,
                    counter,
                    n,
                });
            }
        }
    }
}

/// How a host authenticates clients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostAuth {
    /// Anyone who invites gets a session.
    Open,
    /// Clients answer SHA-256(nonce ‖ secret).
    SharedSecret(String),
    /// Clients answer SHA-256(nonce ‖ user ‖ password) for one of these users.
    Users(Vec<UserCredential>),
}

/// A user name and password.
#[derive(Clone, PartialEq, Eq)]
pub struct UserCredential {
    pub user: String,
    pub password: String,
}

impl std::fmt::Debug for UserCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "UserCredential {{ user: {:?}, password: <hidden> }}",
            self.user
        )
    }
}

/// What a client can prove when a host challenges it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credentials {
    None,
    SharedSecret(String),
    User(UserCredential),
}

/// The clocks of the protocol. The defaults follow amidi2net's, so both sides of a mixed
/// link give up at about the same time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// Silence after which we start pinging the peer.
    pub liveness: Duration,
    /// Between pings; after `ping_attempts` unanswered pings the session ends.
    pub ping_interval: Duration,
    pub ping_attempts: u8,
    /// How long a gap may wait for FEC or a late datagram before we ask for it.
    pub missing_wait: Duration,
    /// Between retransmit requests for the same gap; after `retransmit_attempts` requests
    /// that brought nothing, the session ends.
    pub retransmit_wait: Duration,
    pub retransmit_attempts: u8,
    /// Between the empty UMP-data commands sent after the last message, so the receiver
    /// sees the last messages repeated (FEC) and notices if they were lost.
    pub keepalive_interval: Duration,
    /// Client: between invitations, and how many to send before giving up.
    pub invitation_retry: Duration,
    pub invitation_attempts: u8,
    /// Host: how long an unfinished handshake (waiting for a digest) is kept.
    pub handshake_timeout: Duration,
    /// Between session-reset commands until the peer answers, and how many to send.
    pub reset_retry: Duration,
    pub reset_attempts: u8,
}

impl Default for Timing {
    fn default() -> Timing {
        Timing {
            liveness: Duration::from_secs(5),
            ping_interval: Duration::from_millis(100),
            ping_attempts: 3,
            missing_wait: Duration::from_millis(30),
            retransmit_wait: Duration::from_millis(100),
            retransmit_attempts: 5,
            keepalive_interval: Duration::from_millis(100),
            invitation_retry: Duration::from_secs(1),
            invitation_attempts: 5,
            handshake_timeout: Duration::from_secs(10),
            reset_retry: Duration::from_millis(100),
            reset_attempts: 3,
        }
    }
}

/// FEC depth: each datagram repeats this many previous UMP-data commands (amidi2net's 3).
pub const DEFAULT_FEC_DEPTH: usize = 3;
/// The most FEC copies a datagram may carry; more would crowd out new messages.
pub const MAX_FEC_DEPTH: usize = 16;
/// UMP-data commands kept per session to answer retransmit requests.
pub const HISTORY_COMMANDS: usize = 2048;
/// How far ahead of the next expected sequence number the receiver keeps commands.
pub const RECEIVE_WINDOW: usize = 1024;

/// A host's settings.
#[derive(Debug, Clone)]
pub struct HostConfig {
    pub identity: Identity,
    pub auth: HostAuth,
    /// Established sessions at once (amidi2net's default 8).
    pub max_sessions: usize,
    /// Handshakes waiting for a digest at once.
    pub max_pending: usize,
    /// Invitations handled per second, from all addresses together.
    pub max_invitations_per_second: u32,
    /// Wrong digests tolerated in one handshake before the host says bye.
    pub max_auth_failures: u8,
    pub fec_depth: usize,
    pub timing: Timing,
}

impl HostConfig {
    pub fn new(identity: Identity, auth: HostAuth) -> HostConfig {
        HostConfig {
            identity,
            auth,
            max_sessions: 8,
            max_pending: 8,
            max_invitations_per_second: 20,
            max_auth_failures: 3,
            fec_depth: DEFAULT_FEC_DEPTH,
            timing: Timing::default(),
        }
    }
}

/// A client's settings.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub identity: Identity,
    pub credentials: Credentials,
    pub fec_depth: usize,
    pub timing: Timing,
}

impl ClientConfig {
    pub fn new(identity: Identity, credentials: Credentials) -> ClientConfig {
        ClientConfig {
            identity,
            credentials,
            fec_depth: DEFAULT_FEC_DEPTH,
            timing: Timing::default(),
        }
    }
}

/// Why UMP could not be sent.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SendError {
    #[error("there is no session {0:?}; it ended or never existed")]
    UnknownSession(SessionId),
    #[error("the session is not established yet; wait for SessionUp before sending")]
    NotEstablished,
    #[error("the words to send are not whole UMP messages: {0}")]
    Framing(#[from] FramingError),
}

#[cfg(test)]
mod lossy_tests;
#[cfg(test)]
mod tests;
