//! The host role: accepts invitations (open, or after a shared-secret or user challenge),
//! keeps several sessions at once within a cap, and turns strangers away. An address with
//! no session never gets data delivered: an invitation is handled, a ping gets a ping
//! reply, a bye a bye reply, UMP data or a session reset a bye "session not established"
//! (as amidi2net does); everything else from it is ignored, so the host reflects nothing
//! bigger than what it was sent.

use super::auth::{Entropy, digests_match, new_nonce, os_entropy};
use super::link::{Link, Reply, Route, Verdict, pack};
use super::{
    Counter, Counters, DownReason, HostAuth, HostConfig, Output, SendError, SessionId,
    shared_secret_digest, user_digest,
};
use crate::core::ump::split_messages;
use crate::netmidi::packet::{
    Command, CommandError, DIGEST_BYTES, Identity, NONCE_BYTES, auth_state, bye_reason, capability,
    parse,
};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// A handshake waiting for the client's digest.
struct Handshake {
    nonce: [u8; NONCE_BYTES],
    user_auth: bool,
    remote: Identity,
    failures: u8,
    expires: Instant,
}

/// Invitations counted in fixed one-second windows.
struct RateWindow {
    started: Option<Instant>,
    count: u32,
}

impl RateWindow {
    fn allow(&mut self, now: Instant, per_second: u32) -> bool {
        match self.started {
            Some(t) if now.duration_since(t) < Duration::from_secs(1) => {}
            _ => {
                self.started = Some(now);
                self.count = 0;
            }
        }
        self.count += 1;
        self.count <= per_second
    }
}

/// A session as the host sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    pub id: SessionId,
    pub peer: SocketAddr,
    pub remote: Identity,
}

/// The host state machine.
pub struct Host {
    config: HostConfig,
    entropy: Entropy,
    sessions: BTreeMap<SocketAddr, Link>,
    pending: BTreeMap<SocketAddr, Handshake>,
    next_id: u64,
    rate: RateWindow,
    counters: Counters,
}

impl Host {
    pub fn new(config: HostConfig) -> Host {
        Host::with_entropy(config, os_entropy())
    }

    /// A host whose nonces come from `entropy` (tests make them repeatable).
    pub fn with_entropy(config: HostConfig, entropy: Entropy) -> Host {
        Host {
            config,
            entropy,
            sessions: BTreeMap::new(),
            pending: BTreeMap::new(),
            next_id: 1,
            rate: RateWindow {
                started: None,
                count: 0,
            },
            counters: Counters::default(),
        }
    }

    pub fn identity(&self) -> &Identity {
        &self.config.identity
    }

    /// The established sessions.
    pub fn sessions(&self) -> Vec<SessionInfo> {
        self.sessions
            .values()
            .map(|l| SessionInfo {
                id: l.id,
                peer: l.peer,
                remote: l.remote.clone(),
            })
            .collect()
    }

    /// A session's counters, or the host's own (traffic of no session) for `None`.
    pub fn counters(&self, session: Option<SessionId>) -> Option<&Counters> {
        match session {
            None => Some(&self.counters),
            Some(id) => self.link(id).map(|l| &l.counters),
        }
    }

    fn link(&self, id: SessionId) -> Option<&Link> {
        self.sessions.values().find(|l| l.id == id)
    }

    fn link_mut(&mut self, id: SessionId) -> Result<&mut Link, SendError> {
        self.sessions
            .values_mut()
            .find(|l| l.id == id)
            .ok_or(SendError::UnknownSession(id))
    }

    /// One datagram from `from`.
    pub fn handle_datagram(&mut self, now: Instant, from: SocketAddr, bytes: &[u8]) -> Vec<Output> {
        let mut out = Vec::new();
        let Ok(commands) = parse(bytes) else {
            let (counters, session) = match self.sessions.get_mut(&from) {
                Some(link) => (&mut link.counters, Some(link.id)),
                None => (&mut self.counters, None),
            };
            counters.add(Counter::DatagramsDropped, 1);
            out.push(Output::Counted {
                session,
                counter: Counter::DatagramsDropped,
                n: 1,
            });
            return out;
        };
        let before = self.counters.clone();
        if self.sessions.contains_key(&from) {
            self.on_session_datagram(now, from, commands, &mut out);
        } else {
            self.on_stranger_datagram(now, from, commands, &mut out);
        }
        self.counters.emit_growth(&before, None, &mut out);
        out
    }

    fn on_session_datagram(
        &mut self,
        now: Instant,
        from: SocketAddr,
        commands: Vec<Result<Command, CommandError>>,
        out: &mut Vec<Output>,
    ) {
        let awaiting_digest = self.pending.contains_key(&from);
        let link = self.sessions.get_mut(&from).expect("caller checked");
        let before = link.counters.clone();
        let mut reply = Reply::default();
        let route = |c: &Command| match c {
            Command::Invitation { .. } => Route::Defer,
            Command::InvitationWithAuth { .. } | Command::InvitationWithUserAuth { .. }
                if awaiting_digest =>
            {
                Route::Defer
            }
            Command::InvitationWithAuth { .. }
            | Command::InvitationWithUserAuth { .. }
            | Command::Accepted { .. }
            | Command::Pending { .. }
            | Command::AuthRequired { .. }
            | Command::UserAuthRequired { .. } => Route::NotExpected,
            _ => Route::Link,
        };
        let (verdict, deferred) = link.run(now, commands, route, &mut reply);
        let id = link.id;
        reply.flush(from, Some(id), out);
        link.counters.emit_growth(&before, Some(id), out);
        if let Verdict::Ended(reason) = verdict {
            self.end(from, reason, out);
        }
        if let Some(command) = deferred {
            self.handshake_command(now, from, command, out);
        }
    }

    fn on_stranger_datagram(
        &mut self,
        now: Instant,
        from: SocketAddr,
        commands: Vec<Result<Command, CommandError>>,
        out: &mut Vec<Output>,
    ) {
        let mut control = Vec::new();
        let mut said_bye = false;
        for parsed in commands {
            match parsed {
                Ok(
                    command @ (Command::Invitation { .. }
                    | Command::InvitationWithAuth { .. }
                    | Command::InvitationWithUserAuth { .. }),
                ) => self.handshake_command(now, from, command, out),
                Ok(Command::Ping { id }) => control.push(Command::PingReply { id }),
                Ok(Command::Bye { .. }) => {
                    self.pending.remove(&from);
                    control.push(Command::ByeReply);
                }
                Ok(Command::UmpData { .. } | Command::SessionReset) if !said_bye => {
                    said_bye = true;
                    control.push(bye(bye_reason::SESSION_NOT_ESTABLISHED));
                    self.counters.add(Counter::FromUnknownPeer, 1);
                }
                _ => self.counters.add(Counter::FromUnknownPeer, 1),
            }
            // Once a session exists, the rest of this datagram was not meant for a stranger.
            if self.sessions.contains_key(&from) {
                break;
            }
        }
        for bytes in pack(control) {
            out.push(Output::Transmit { to: from, bytes });
        }
    }

    /// Invitations and digests, from strangers and (re-inviting) sessions alike.
    fn handshake_command(
        &mut self,
        now: Instant,
        from: SocketAddr,
        command: Command,
        out: &mut Vec<Output>,
    ) {
        match command {
            Command::Invitation {
                capabilities,
                identity,
            } => self.invite(now, from, capabilities, identity, out),
            Command::InvitationWithAuth { digest } => self.check_secret(now, from, &digest, out),
            Command::InvitationWithUserAuth { digest, user } => {
                self.check_user(now, from, &digest, &user, out);
            }
            _ => unreachable!("only handshake commands are passed here"),
        }
    }

    fn invite(
        &mut self,
        now: Instant,
        from: SocketAddr,
        caps: u8,
        remote: Identity,
        out: &mut Vec<Output>,
    ) {
        if !self.rate.allow(now, self.config.max_invitations_per_second) {
            self.counters.add(Counter::InvitationsRateLimited, 1);
            return;
        }
        if !self.room_for(from) {
            return self.refuse(from, bye_reason::TOO_MANY_SESSIONS, out);
        }
        let (capable, user_auth) = match &self.config.auth {
            HostAuth::Open => return self.establish(now, from, remote, out),
            HostAuth::SharedSecret(_) => (caps & capability::AUTH != 0, false),
            HostAuth::Users(_) => (caps & capability::USER_AUTH != 0, true),
        };
        if !capable {
            self.pending.remove(&from);
            return self.refuse(from, bye_reason::NO_MATCHING_AUTH, out);
        }
        if !self.pending.contains_key(&from) && self.pending.len() >= self.config.max_pending {
            return self.refuse(from, bye_reason::TOO_MANY_SESSIONS, out);
        }
        let handshake = Handshake {
            nonce: new_nonce(&mut self.entropy),
            user_auth,
            remote,
            failures: 0,
            expires: now + self.config.timing.handshake_timeout,
        };
        self.send_challenge(from, &handshake, auth_state::FIRST, out);
        self.pending.insert(from, handshake);
    }

    /// Whether one more session fits (a session `from` already has would be replaced).
    fn room_for(&self, from: SocketAddr) -> bool {
        let others = self.sessions.len() - usize::from(self.sessions.contains_key(&from));
        others < self.config.max_sessions
    }

    fn send_challenge(&self, to: SocketAddr, h: &Handshake, state: u8, out: &mut Vec<Output>) {
        let identity = self.config.identity.clone();
        let nonce = h.nonce;
        let challenge = if h.user_auth {
            Command::UserAuthRequired {
                nonce,
                state,
                identity,
            }
        } else {
            Command::AuthRequired {
                nonce,
                state,
                identity,
            }
        };
        transmit(to, challenge, out);
    }

    fn check_secret(
        &mut self,
        now: Instant,
        from: SocketAddr,
        digest: &[u8; DIGEST_BYTES],
        out: &mut Vec<Output>,
    ) {
        let (Some(h), HostAuth::SharedSecret(secret)) =
            (self.pending.get(&from), &self.config.auth)
        else {
            return self.unexpected_digest(from);
        };
        if h.user_auth {
            return self.unexpected_digest(from);
        }
        let ok = digests_match(&shared_secret_digest(&h.nonce, secret), digest);
        self.conclude(now, from, ok, out);
    }

    fn check_user(
        &mut self,
        now: Instant,
        from: SocketAddr,
        digest: &[u8; DIGEST_BYTES],
        user: &str,
        out: &mut Vec<Output>,
    ) {
        let (Some(h), HostAuth::Users(users)) = (self.pending.get(&from), &self.config.auth) else {
            return self.unexpected_digest(from);
        };
        if !h.user_auth {
            return self.unexpected_digest(from);
        }
        // An unknown user costs the same digest as a known one and gets the same answer.
        let (password, known) = match users.iter().find(|u| u.user == user) {
            Some(u) => (u.password.as_str(), true),
            None => ("", false),
        };
        let ok = digests_match(&user_digest(&h.nonce, user, password), digest) && known;
        self.conclude(now, from, ok, out);
    }

    fn unexpected_digest(&mut self, _from: SocketAddr) {
        self.counters.add(Counter::FromUnknownPeer, 1);
    }

    /// The digest was checked: a session, another challenge, or bye after too many tries.
    fn conclude(&mut self, now: Instant, from: SocketAddr, ok: bool, out: &mut Vec<Output>) {
        if ok {
            let h = self.pending.remove(&from).expect("checked by the caller");
            if !self.room_for(from) {
                return self.refuse(from, bye_reason::TOO_MANY_SESSIONS, out);
            }
            return self.establish(now, from, h.remote, out);
        }
        self.counters.add(Counter::AuthenticationFailures, 1);
        let h = self.pending.get_mut(&from).expect("checked by the caller");
        h.failures += 1;
        if h.failures >= self.config.max_auth_failures {
            self.pending.remove(&from);
            return self.refuse(from, bye_reason::AUTH_FAILED, out);
        }
        // A fresh nonce each time: a captured digest is worth nothing.
        h.nonce = new_nonce(&mut self.entropy);
        let h = &self.pending[&from];
        self.send_challenge(from, h, auth_state::WRONG_DIGEST, out);
    }

    fn establish(
        &mut self,
        now: Instant,
        from: SocketAddr,
        remote: Identity,
        out: &mut Vec<Output>,
    ) {
        if self.sessions.contains_key(&from) {
            self.end(from, DownReason::Replaced, out);
        }
        self.pending.remove(&from);
        let id = SessionId(self.next_id);
        self.next_id += 1;
        let c = &self.config;
        let link = Link::new(id, from, remote.clone(), c.fec_depth, c.timing, now);
        self.sessions.insert(from, link);
        let accepted = Command::Accepted {
            identity: self.config.identity.clone(),
        };
        transmit(from, accepted, out);
        out.push(Output::SessionUp {
            session: id,
            peer: from,
            remote,
        });
    }

    fn refuse(&mut self, to: SocketAddr, reason: u8, out: &mut Vec<Output>) {
        self.counters.add(Counter::InvitationsRefused, 1);
        transmit(to, bye(reason), out);
    }

    fn end(&mut self, peer: SocketAddr, reason: DownReason, out: &mut Vec<Output>) {
        if let Some(link) = self.sessions.remove(&peer) {
            out.push(Output::SessionDown {
                session: link.id,
                peer,
                reason,
            });
        }
    }

    /// Runs the timers that are due.
    pub fn poll_timers(&mut self, now: Instant) -> Vec<Output> {
        let mut out = Vec::new();
        self.pending.retain(|_, h| h.expires > now);
        let mut ended = Vec::new();
        for (peer, link) in &mut self.sessions {
            if link.next_deadline() > now {
                continue;
            }
            let before = link.counters.clone();
            let verdict = link.poll(now, &mut out);
            link.counters.emit_growth(&before, Some(link.id), &mut out);
            if let Verdict::Ended(reason) = verdict {
                ended.push((*peer, reason));
            }
        }
        for (peer, reason) in ended {
            self.end(peer, reason, &mut out);
        }
        out
    }

    /// When `poll_timers` next has work (`None`: nothing until a datagram arrives).
    pub fn next_deadline(&self) -> Option<Instant> {
        let links = self.sessions.values().map(Link::next_deadline);
        let handshakes = self.pending.values().map(|h| h.expires);
        links.chain(handshakes).min()
    }

    /// Sends whole UMP messages on a session.
    pub fn send_ump(
        &mut self,
        now: Instant,
        session: SessionId,
        words: &[u32],
    ) -> Result<Vec<Output>, SendError> {
        let messages = split_messages(words)?;
        let link = self.link_mut(session)?;
        let mut out = Vec::new();
        let before = link.counters.clone();
        link.send(now, &messages, &mut out);
        link.counters.emit_growth(&before, Some(session), &mut out);
        Ok(out)
    }

    /// Starts a session reset (both numberings start again).
    pub fn reset_session(
        &mut self,
        now: Instant,
        session: SessionId,
    ) -> Result<Vec<Output>, SendError> {
        let mut out = Vec::new();
        self.link_mut(session)?.start_reset(now, &mut out);
        Ok(out)
    }

    /// Says bye on one session.
    pub fn close(&mut self, session: SessionId) -> Result<Vec<Output>, SendError> {
        let mut out = Vec::new();
        let link = self.link_mut(session)?;
        link.say_bye(bye_reason::TERMINATED, &mut out);
        let peer = link.peer;
        self.end(peer, DownReason::Closed, &mut out);
        Ok(out)
    }

    /// Says bye on every session (when the host shuts down).
    pub fn close_all(&mut self) -> Vec<Output> {
        let ids: Vec<SessionId> = self.sessions.values().map(|l| l.id).collect();
        ids.into_iter()
            .filter_map(|id| self.close(id).ok())
            .flatten()
            .collect()
    }
}

fn bye(reason: u8) -> Command {
    Command::Bye {
        reason,
        text: String::new(),
    }
}

fn transmit(to: SocketAddr, command: Command, out: &mut Vec<Output>) {
    for bytes in pack(vec![command]) {
        out.push(Output::Transmit { to, bytes });
    }
}
