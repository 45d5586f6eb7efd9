//! The client role: invites one host, retries while it gets no answer, answers a
//! shared-secret or user challenge once, and then runs the data path. It listens only to
//! the address it invited.

use super::auth::{shared_secret_digest, user_digest};
use super::link::{Link, Reply, Route, Verdict, pack};
use super::{
    ClientConfig, Counter, Counters, Credentials, DownReason, Output, SendError, SessionId,
};
use crate::core::ump::split_messages;
use crate::netmidi::packet::{
    Command, CommandError, NONCE_BYTES, auth_state, bye_reason, capability, parse,
};
use std::net::SocketAddr;
use std::time::Instant;

/// How many "pending" replies (a person must accept us) keep the invitation going.
const MAX_PENDING_REPLIES: u8 = 30;

struct Inviting {
    sent: u8,
    next_at: Instant,
    answered: bool,
    pendings: u8,
}

enum State {
    Inviting(Inviting),
    Up(Box<Link>),
    Down,
}

/// The client state machine: one session with one host.
pub struct Client {
    config: ClientConfig,
    host: SocketAddr,
    id: SessionId,
    state: State,
    counters: Counters,
}

impl Client {
    /// Starts inviting `host`; the first invitation is in the outputs.
    pub fn connect(config: ClientConfig, host: SocketAddr, now: Instant) -> (Client, Vec<Output>) {
        let mut client = Client {
            config,
            host,
            id: SessionId(1),
            state: State::Inviting(Inviting {
                sent: 0,
                next_at: now,
                answered: false,
                pendings: 0,
            }),
            counters: Counters::default(),
        };
        let out = client.poll_timers(now);
        (client, out)
    }

    pub fn session(&self) -> SessionId {
        self.id
    }

    pub fn host(&self) -> SocketAddr {
        self.host
    }

    pub fn is_up(&self) -> bool {
        matches!(self.state, State::Up(_))
    }

    pub fn is_down(&self) -> bool {
        matches!(self.state, State::Down)
    }

    pub fn counters(&self) -> &Counters {
        match &self.state {
            State::Up(link) => &link.counters,
            _ => &self.counters,
        }
    }

    fn invitation(&self) -> Command {
        let capabilities = match self.config.credentials {
            Credentials::None => 0,
            Credentials::SharedSecret(_) => capability::AUTH,
            Credentials::User(_) => capability::USER_AUTH,
        };
        Command::Invitation {
            capabilities,
            identity: self.config.identity.clone(),
        }
    }

    /// One datagram from `from`; only the invited host's are read.
    pub fn handle_datagram(&mut self, now: Instant, from: SocketAddr, bytes: &[u8]) -> Vec<Output> {
        let mut out = Vec::new();
        let before = self.counters().clone();
        if from != self.host {
            self.counters_mut().add(Counter::FromUnknownPeer, 1);
        } else {
            match parse(bytes) {
                Err(_) => self.counters_mut().add(Counter::DatagramsDropped, 1),
                Ok(commands) => self.on_host_datagram(now, commands, &mut out),
            }
        }
        let session = Some(self.id);
        self.counters().emit_growth(&before, session, &mut out);
        out
    }

    fn counters_mut(&mut self) -> &mut Counters {
        match &mut self.state {
            State::Up(link) => &mut link.counters,
            _ => &mut self.counters,
        }
    }

    fn on_host_datagram(
        &mut self,
        now: Instant,
        commands: Vec<Result<Command, CommandError>>,
        out: &mut Vec<Output>,
    ) {
        let mut rest = commands.into_iter();
        // Handshake replies until the session is up; the rest of the datagram is data.
        while let State::Inviting(_) = self.state {
            let Some(parsed) = rest.next() else { return };
            if let Ok(command) = parsed {
                self.while_inviting(now, command, out);
            }
        }
        if let State::Up(link) = &mut self.state {
            let mut reply = Reply::default();
            let (verdict, _) = link.run(now, rest.collect(), route_when_up, &mut reply);
            reply.flush(self.host, Some(self.id), out);
            if let Verdict::Ended(reason) = verdict {
                self.go_down(reason, out);
            }
        }
    }

    fn while_inviting(&mut self, now: Instant, command: Command, out: &mut Vec<Output>) {
        let State::Inviting(inv) = &mut self.state else {
            return;
        };
        match command {
            Command::Accepted { identity } => {
                let c = &self.config;
                let link = Link::new(
                    self.id,
                    self.host,
                    identity.clone(),
                    c.fec_depth,
                    c.timing,
                    now,
                );
                let mut link = Box::new(link);
                link.counters = std::mem::take(&mut self.counters);
                self.state = State::Up(link);
                out.push(Output::SessionUp {
                    session: self.id,
                    peer: self.host,
                    remote: identity,
                });
            }
            Command::Pending { .. } if inv.pendings < MAX_PENDING_REPLIES => {
                inv.pendings += 1;
                inv.sent = 0;
            }
            Command::AuthRequired { nonce, state, .. } => {
                self.answer(now, false, &nonce, state, out)
            }
            Command::UserAuthRequired { nonce, state, .. } => {
                self.answer(now, true, &nonce, state, out)
            }
            Command::Bye { reason, .. } => {
                self.send(vec![Command::ByeReply], out);
                self.go_down(DownReason::Refused { reason }, out);
            }
            Command::Ping { id } => self.send(vec![Command::PingReply { id }], out),
            Command::Nak { .. } => self.counters.add(Counter::NaksReceived, 1),
            _ => {}
        }
    }

    /// Answers a challenge once; a second challenge that says our digest was wrong ends it.
    fn answer(
        &mut self,
        now: Instant,
        user_auth: bool,
        nonce: &[u8; NONCE_BYTES],
        state: u8,
        out: &mut Vec<Output>,
    ) {
        let State::Inviting(inv) = &mut self.state else {
            return;
        };
        if state != auth_state::FIRST && inv.answered {
            self.counters.add(Counter::AuthenticationFailures, 1);
            return self.give_up(DownReason::AuthenticationRejected, out);
        }
        let command = match (&self.config.credentials, user_auth) {
            (Credentials::SharedSecret(secret), false) => Command::InvitationWithAuth {
                digest: shared_secret_digest(nonce, secret),
            },
            (Credentials::User(u), true) => Command::InvitationWithUserAuth {
                digest: user_digest(nonce, &u.user, &u.password),
                user: u.user.clone(),
            },
            _ => return self.give_up(DownReason::AuthenticationNeeded { user_auth }, out),
        };
        inv.answered = true;
        inv.next_at = now + self.config.timing.invitation_retry;
        self.send(vec![command], out);
    }

    /// Ends the handshake with a bye "invitation canceled", so the host forgets it too.
    fn give_up(&mut self, reason: DownReason, out: &mut Vec<Output>) {
        let bye = Command::Bye {
            reason: bye_reason::INVITATION_CANCELED,
            text: String::new(),
        };
        self.send(vec![bye], out);
        self.go_down(reason, out);
    }

    fn go_down(&mut self, reason: DownReason, out: &mut Vec<Output>) {
        if let State::Up(link) = std::mem::replace(&mut self.state, State::Down) {
            self.counters = link.counters;
        }
        out.push(Output::SessionDown {
            session: self.id,
            peer: self.host,
            reason,
        });
    }

    fn send(&self, commands: Vec<Command>, out: &mut Vec<Output>) {
        for bytes in pack(commands) {
            out.push(Output::Transmit {
                to: self.host,
                bytes,
            });
        }
    }

    /// Runs the timers that are due: invitation retries, then the data path's.
    pub fn poll_timers(&mut self, now: Instant) -> Vec<Output> {
        let mut out = Vec::new();
        let before = self.counters().clone();
        match &mut self.state {
            State::Inviting(inv) if inv.next_at <= now => {
                if inv.sent >= self.config.timing.invitation_attempts {
                    self.give_up(DownReason::NoAnswer, &mut out);
                } else {
                    inv.sent += 1;
                    inv.next_at = now + self.config.timing.invitation_retry;
                    let invitation = self.invitation();
                    self.send(vec![invitation], &mut out);
                }
            }
            State::Up(link) if link.next_deadline() <= now => {
                if let Verdict::Ended(reason) = link.poll(now, &mut out) {
                    self.go_down(reason, &mut out);
                }
            }
            _ => {}
        }
        self.counters()
            .emit_growth(&before, Some(self.id), &mut out);
        out
    }

    /// When `poll_timers` next has work (`None` once the session is down).
    pub fn next_deadline(&self) -> Option<Instant> {
        match &self.state {
            State::Inviting(inv) => Some(inv.next_at),
            State::Up(link) => Some(link.next_deadline()),
            State::Down => None,
        }
    }

    /// Sends whole UMP messages to the host.
    pub fn send_ump(&mut self, now: Instant, words: &[u32]) -> Result<Vec<Output>, SendError> {
        let messages = split_messages(words)?;
        let link = self.link_mut()?;
        let mut out = Vec::new();
        let before = link.counters.clone();
        link.send(now, &messages, &mut out);
        link.counters.emit_growth(&before, Some(link.id), &mut out);
        Ok(out)
    }

    fn link_mut(&mut self) -> Result<&mut Link, SendError> {
        match &mut self.state {
            State::Up(link) => Ok(link),
            State::Inviting(_) => Err(SendError::NotEstablished),
            State::Down => Err(SendError::UnknownSession(self.id)),
        }
    }

    /// Starts a session reset (both numberings start again).
    pub fn reset_session(&mut self, now: Instant) -> Result<Vec<Output>, SendError> {
        let mut out = Vec::new();
        self.link_mut()?.start_reset(now, &mut out);
        Ok(out)
    }

    /// Says bye (or cancels the invitation).
    pub fn close(&mut self) -> Vec<Output> {
        let mut out = Vec::new();
        match &mut self.state {
            State::Up(link) => {
                link.say_bye(bye_reason::TERMINATED, &mut out);
                self.go_down(DownReason::Closed, &mut out);
            }
            State::Inviting(_) => self.give_up(DownReason::Closed, &mut out),
            State::Down => {}
        }
        out
    }

    #[cfg(test)]
    pub(super) fn link_for_test(&mut self) -> &mut Link {
        self.link_mut().expect("session is up")
    }
}

/// A client takes no invitations; duplicates of the host's replies are dropped.
fn route_when_up(command: &Command) -> Route {
    match command {
        Command::Accepted { .. } | Command::Pending { .. } => Route::Ignore,
        Command::Invitation { .. }
        | Command::InvitationWithAuth { .. }
        | Command::InvitationWithUserAuth { .. }
        | Command::AuthRequired { .. }
        | Command::UserAuthRequired { .. } => Route::NotExpected,
        _ => Route::Link,
    }
}
