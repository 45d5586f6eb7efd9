//! The data path of one established session, the same for host and client: numbering and
//! FEC on the way out, the receive window (order, gaps, duplicates) on the way in,
//! retransmission both ways, trailing keep-alives, liveness pings and session reset.

use super::{Counter, Counters, DownReason, Output, SessionId, Timing};
use super::{HISTORY_COMMANDS, RECEIVE_WINDOW};
use crate::netmidi::packet::{
    self, Command, CommandError, Identity, MAX_DATAGRAM_BYTES, SIGNATURE, bye_reason, encode,
    nak_reason, retransmit_reason,
};
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Instant;

/// Whether a session goes on after a command or a timer.
pub(super) enum Verdict {
    Open,
    Ended(DownReason),
}

/// What handling one datagram produced for its sender: control answers gathered into one
/// datagram (so one datagram in never causes a flood out), datagrams of their own
/// (retransmissions), and delivered UMP.
#[derive(Default)]
pub(super) struct Reply {
    pub control: Vec<Command>,
    pub datagrams: Vec<Vec<u8>>,
    pub delivered: Vec<u32>,
}

impl Reply {
    /// Puts everything into `out`: datagrams for `to`, then the delivery.
    pub fn flush(self, to: SocketAddr, session: Option<SessionId>, out: &mut Vec<Output>) {
        for bytes in self.datagrams.into_iter().chain(pack(self.control)) {
            out.push(Output::Transmit { to, bytes });
        }
        if let (Some(session), false) = (session, self.delivered.is_empty()) {
            out.push(Output::Deliver {
                session,
                words: self.delivered,
            });
        }
    }
}

/// The most UMP-data commands one retransmit request is answered with.
pub(super) const MAX_REPLAY: usize = 256;

/// The most NAKs one incoming datagram can cause.
const MAX_NAKS_PER_DATAGRAM: usize = 4;

impl Reply {
    /// A NAK quoting `header` — never for a NAK (two peers would NAK each other forever),
    /// and at most a few per datagram.
    pub fn nak(&mut self, counters: &mut Counters, reason: u8, header: u32) {
        let code = (header >> 24) as u8;
        if code == packet::code::NAK || code == packet::code::NAK_AMIDI2NET {
            return;
        }
        let sent = self
            .control
            .iter()
            .filter(|c| matches!(c, Command::Nak { .. }))
            .count();
        if sent >= MAX_NAKS_PER_DATAGRAM {
            return;
        }
        counters.add(Counter::NaksSent, 1);
        self.control.push(Command::Nak {
            code: packet::code::NAK,
            reason,
            offending_header: header,
            text: String::new(),
        });
    }
}

/// How the role (host or client) wants a command of an established session handled.
pub(super) enum Route {
    /// The data path handles it.
    Link,
    /// The role handles it after the datagram's earlier commands; the rest is dropped.
    Defer,
    /// NAK: not expected in this state.
    NotExpected,
    /// Drop silently (a duplicate of a handshake reply).
    Ignore,
}

/// Datagrams of at most [`MAX_DATAGRAM_BYTES`] carrying `commands` in order.
pub(super) fn pack(commands: Vec<Command>) -> Vec<Vec<u8>> {
    let mut datagrams = Vec::new();
    let mut current: Vec<u8> = Vec::new();
    for c in commands {
        if !current.is_empty() && current.len() + c.encoded_len() > MAX_DATAGRAM_BYTES {
            datagrams.push(std::mem::take(&mut current));
        }
        if current.is_empty() {
            current.extend_from_slice(&SIGNATURE);
        }
        c.encode(&mut current);
    }
    if !current.is_empty() {
        datagrams.push(current);
    }
    datagrams
}

/// One numbered UMP-data command as sent.
struct Sent {
    seq: u16,
    words: Vec<u32>,
}

impl Sent {
    fn command(&self) -> Command {
        Command::UmpData {
            seq: self.seq,
            words: self.words.clone(),
        }
    }
}

/// The sending side: next number, what was sent (for FEC and retransmission), and the
/// empty commands still due after the last message.
struct Tx {
    next_seq: u16,
    history: VecDeque<Sent>,
    trailing: usize,
    trailing_at: Option<Instant>,
}

/// A position in the receive window.
enum Slot {
    Missing { requested: bool },
    Present(Vec<u32>),
}

/// A first sequence number from 2 up to below this is taken to mean the peer numbered from 0
/// and what came before it is missing; from here on up, that the peer numbers from elsewhere.
const NUMBERING_STARTS_BELOW: usize = 256;

/// The receiving side. `window[0]` is the next expected number and is always missing when
/// the window is not empty; the window is empty when nothing is out of order.
struct Rx {
    next: Option<u16>,
    window: VecDeque<Slot>,
    /// Something arrived beyond the window: ask from `next` onwards.
    far_ahead: bool,
    request_at: Option<Instant>,
    attempts: u8,
    /// `next` when the current datagram started, to see progress.
    next_at_start: Option<u16>,
    /// While our own session reset is unanswered, the peer's old numbering must not become
    /// our new baseline.
    ignore_data: bool,
}

struct Liveness {
    check_at: Instant,
    pings_sent: u8,
    ping_id: u32,
}

struct ResetRetry {
    at: Instant,
    sent: u8,
}

/// An established session's data path.
pub(super) struct Link {
    pub id: SessionId,
    pub peer: SocketAddr,
    pub remote: Identity,
    pub counters: Counters,
    fec_depth: usize,
    timing: Timing,
    tx: Tx,
    rx: Rx,
    alive: Liveness,
    reset: Option<ResetRetry>,
}

/// `a − b` on the 16-bit circle, as a signed distance.
fn seq_diff(a: u16, b: u16) -> i32 {
    i32::from(a.wrapping_sub(b) as i16)
}

impl Link {
    pub fn new(
        id: SessionId,
        peer: SocketAddr,
        remote: Identity,
        fec_depth: usize,
        timing: Timing,
        now: Instant,
    ) -> Link {
        Link {
            id,
            peer,
            remote,
            counters: Counters::default(),
            fec_depth: fec_depth.min(super::MAX_FEC_DEPTH),
            timing,
            tx: Tx {
                next_seq: 0,
                history: VecDeque::new(),
                trailing: 0,
                trailing_at: None,
            },
            rx: Rx {
                next: None,
                window: VecDeque::new(),
                far_ahead: false,
                request_at: None,
                attempts: 0,
                next_at_start: None,
                ignore_data: false,
            },
            alive: Liveness {
                check_at: now + timing.liveness,
                pings_sent: 0,
                ping_id: 0,
            },
            reset: None,
        }
    }

    /// A datagram from the peer arrived: it is alive.
    fn heard(&mut self, now: Instant) {
        self.alive.check_at = now + self.timing.liveness;
        self.alive.pings_sent = 0;
        self.rx.next_at_start = self.rx.next;
    }

    /// Runs a datagram's commands: malformed ones and unknown codes are NAKed, the rest go
    /// where `route` says. Returns whether the session goes on, and a deferred command.
    pub fn run(
        &mut self,
        now: Instant,
        commands: Vec<Result<Command, CommandError>>,
        route: impl Fn(&Command) -> Route,
        reply: &mut Reply,
    ) -> (Verdict, Option<Command>) {
        self.heard(now);
        let mut deferred = None;
        let mut verdict = Verdict::Open;
        for parsed in commands {
            let command = match parsed {
                Ok(Command::Unknown { header }) => {
                    reply.nak(&mut self.counters, nak_reason::NOT_SUPPORTED, header);
                    continue;
                }
                Ok(command) => command,
                Err(e) => {
                    reply.nak(&mut self.counters, nak_reason::MALFORMED, e.header);
                    continue;
                }
            };
            match route(&command) {
                Route::Link => verdict = self.handle(&command, reply),
                Route::Defer => deferred = Some(command),
                Route::NotExpected => {
                    let header = command_header(&command);
                    reply.nak(&mut self.counters, nak_reason::NOT_EXPECTED, header);
                }
                Route::Ignore => {}
            }
            if deferred.is_some() || matches!(verdict, Verdict::Ended(_)) {
                break;
            }
        }
        self.settle(now);
        (verdict, deferred)
    }

    /// Handles one command of an established session (the role-specific ones are handled
    /// by the host or client before they get here).
    fn handle(&mut self, command: &Command, reply: &mut Reply) -> Verdict {
        match command {
            Command::UmpData { seq, words } => self.receive(*seq, words, &mut reply.delivered),
            Command::Ping { id } => reply.control.push(Command::PingReply { id: *id }),
            Command::PingReply { .. } => {}
            Command::RetransmitRequest { seq, count } => {
                self.answer_retransmit(*seq, *count, reply);
            }
            Command::RetransmitError { seq, .. } => self.give_up_gap(*seq, &mut reply.delivered),
            Command::SessionReset => {
                self.restart_numbering();
                reply.control.push(Command::SessionResetReply);
            }
            Command::SessionResetReply => {
                self.reset = None;
                self.rx.ignore_data = false;
            }
            Command::Nak { .. } => self.counters.add(Counter::NaksReceived, 1),
            Command::Bye { reason, text } => {
                reply.control.push(Command::ByeReply);
                return Verdict::Ended(DownReason::PeerBye {
                    reason: *reason,
                    text: text.clone(),
                });
            }
            // We forget a session as soon as we say bye, so a late reply means nothing.
            Command::ByeReply => {}
            _ => unreachable!("role commands are handled by the host or the client"),
        }
        Verdict::Open
    }

    /// After all commands of a datagram: (re)arm the retransmit timer for any gap.
    fn settle(&mut self, now: Instant) {
        if !self.has_gap() {
            self.rx.request_at = None;
            self.rx.attempts = 0;
            return;
        }
        if self.rx.next != self.rx.next_at_start {
            self.rx.attempts = 0;
        }
        if self.rx.request_at.is_none() {
            self.rx.request_at = Some(now + self.timing.missing_wait);
        }
    }

    fn has_gap(&self) -> bool {
        !self.rx.window.is_empty() || self.rx.far_ahead
    }

    /// Takes one UMP-data command into the window and delivers what is now in order.
    fn receive(&mut self, seq: u16, words: &[u32], delivered: &mut Vec<u32>) {
        if self.rx.ignore_data {
            return;
        }
        let next = match self.rx.next {
            Some(next) => next,
            // Numbering starts at 0 (amidi2net's at 1). A first datagram's lone command
            // comes again as the next one's FEC copy, so a first number from 2 up to a few
            // datagrams' worth means whole datagrams were lost or overtaken: the gap before
            // it is asked for.
            None if (2..NUMBERING_STARTS_BELOW).contains(&usize::from(seq)) => {
                *self.rx.next.insert(0)
            }
            // 0, 1, or a peer that numbers from elsewhere: its first number is the baseline.
            None => {
                self.rx.next = Some(seq.wrapping_add(1));
                self.deliver(words.to_vec(), delivered);
                return;
            }
        };
        let ahead = seq_diff(seq, next);
        if ahead < 0 {
            self.counters.add(Counter::Duplicates, 1);
            return;
        }
        let ahead = ahead as usize;
        if ahead >= RECEIVE_WINDOW {
            self.rx.far_ahead = true;
            self.counters.add(Counter::OutOfWindow, 1);
            return;
        }
        let filling_gap = ahead < self.rx.window.len();
        while self.rx.window.len() <= ahead {
            self.rx.window.push_back(Slot::Missing { requested: false });
        }
        match &self.rx.window[ahead] {
            Slot::Present(_) => {
                self.counters.add(Counter::Duplicates, 1);
                return;
            }
            Slot::Missing { requested } => {
                let counter = match (filling_gap, requested) {
                    (_, true) => Some(Counter::RetransmitRecovered),
                    (true, false) => Some(Counter::GapsFilledLate),
                    (false, false) => None,
                };
                if let Some(c) = counter {
                    self.counters.add(c, 1);
                }
            }
        }
        self.rx.window[ahead] = Slot::Present(words.to_vec());
        self.drain(delivered);
    }

    /// Delivers the run of present commands at the front of the window.
    fn drain(&mut self, delivered: &mut Vec<u32>) {
        while let Some(Slot::Present(_)) = self.rx.window.front() {
            let Some(Slot::Present(words)) = self.rx.window.pop_front() else {
                unreachable!("front checked above");
            };
            self.rx.next = self.rx.next.map(|n| n.wrapping_add(1));
            self.deliver(words, delivered);
        }
    }

    fn deliver(&mut self, words: Vec<u32>, delivered: &mut Vec<u32>) {
        let messages = crate::core::ump::split_messages(&words).map_or(0, |m| m.len());
        self.counters
            .add(Counter::MessagesDelivered, messages as u64);
        delivered.extend(words);
    }

    /// The peer no longer has `seq`: if it opens the current gap, skip the whole gap (up to
    /// the next command we hold) and go on; if nothing is held, start afresh from whatever
    /// comes next.
    fn give_up_gap(&mut self, seq: u16, delivered: &mut Vec<u32>) {
        let Some(next) = self.rx.next else { return };
        let gap = self
            .rx
            .window
            .iter()
            .position(|s| matches!(s, Slot::Present(_)));
        let offset = seq_diff(seq, next);
        match gap {
            Some(len) if (0..len as i32).contains(&offset) => {
                self.rx.window.drain(..len);
                self.rx.next = Some(next.wrapping_add(len as u16));
                self.counters.add(Counter::Lost, len as u64);
                self.drain(delivered);
            }
            None if self.has_gap() && offset >= 0 => {
                self.counters
                    .add(Counter::Lost, self.rx.window.len() as u64);
                self.rx.window.clear();
                self.rx.far_ahead = false;
                self.rx.next = None;
            }
            _ => return,
        }
        self.rx.attempts = 0;
        self.rx.request_at = None;
    }

    /// Retransmit requests for every gap (at most 8 in one datagram), marking what is asked.
    fn retransmit_requests(&mut self) -> Vec<Command> {
        let Some(next) = self.rx.next else {
            return Vec::new();
        };
        let mut requests = Vec::new();
        let mut i = 0;
        while i < self.rx.window.len() && requests.len() < 8 {
            if matches!(self.rx.window[i], Slot::Present(_)) {
                i += 1;
                continue;
            }
            let start = i;
            while let Some(Slot::Missing { requested }) = self.rx.window.get_mut(i) {
                *requested = true;
                i += 1;
            }
            requests.push(Command::RetransmitRequest {
                seq: next.wrapping_add(start as u16),
                count: (i - start) as u16,
            });
        }
        if self.rx.far_ahead && requests.len() < 8 {
            let seq = next.wrapping_add(self.rx.window.len() as u16);
            requests.push(Command::RetransmitRequest { seq, count: 0 });
            self.rx.far_ahead = false;
        }
        self.counters
            .add(Counter::RetransmitRequested, requests.len() as u64);
        requests
    }

    /// Replays `count` commands from `seq` (0: up to the latest) out of the history, or a
    /// retransmit error for what it no longer (or never) had.
    fn answer_retransmit(&mut self, seq: u16, count: u16, reply: &mut Reply) {
        let refuse = |link: &mut Link, reply: &mut Reply| {
            link.counters.add(Counter::RetransmitRefused, 1);
            reply.control.push(Command::RetransmitError {
                seq,
                reason: retransmit_reason::NO_DATA,
            });
        };
        let (Some(oldest), Some(latest)) = (self.tx.history.front(), self.tx.history.back()) else {
            return refuse(self, reply);
        };
        if seq_diff(seq, latest.seq) > 0 {
            return refuse(self, reply);
        }
        let from = seq_diff(seq, oldest.seq);
        let end = if count == 0 {
            self.tx.history.len() as i32
        } else {
            (from + i32::from(count)).min(self.tx.history.len() as i32)
        };
        let start = from.max(0);
        // An 8-byte request must not buy 40 KB of answer: the receiver asks again for more.
        let end = end.min(start + MAX_REPLAY as i32);
        if start < end {
            let replay: Vec<Command> = self
                .tx
                .history
                .range(start as usize..end as usize)
                .map(Sent::command)
                .collect();
            self.counters
                .add(Counter::RetransmitAnswered, replay.len() as u64);
            reply.datagrams.extend(pack(replay));
        }
        if from < 0 || start >= end {
            refuse(self, reply);
        }
    }

    /// Numbers and sends whole messages: each datagram starts with the last `fec_depth`
    /// commands sent before it, oldest first, then as many new ones as fit.
    pub fn send(&mut self, now: Instant, messages: &[&[u32]], out: &mut Vec<Output>) {
        if messages.is_empty() {
            return;
        }
        self.counters
            .add(Counter::MessagesSent, messages.len() as u64);
        let new: Vec<Vec<u32>> = messages.iter().map(|m| m.to_vec()).collect();
        self.transmit(new, out);
        self.tx.trailing = self.fec_depth + 1;
        self.tx.trailing_at = Some(now + self.timing.keepalive_interval);
    }

    fn transmit(&mut self, new: Vec<Vec<u32>>, out: &mut Vec<Output>) {
        let mut new = new.into_iter().peekable();
        while new.peek().is_some() {
            let fec_from = self.tx.history.len().saturating_sub(self.fec_depth);
            let mut commands: Vec<Command> = self
                .tx
                .history
                .range(fec_from..)
                .map(Sent::command)
                .collect();
            let mut size = 4 + commands.iter().map(Command::encoded_len).sum::<usize>();
            while let Some(words) = new.next_if(|w| size + 4 + 4 * w.len() <= MAX_DATAGRAM_BYTES) {
                size += 4 + 4 * words.len();
                let sent = Sent {
                    seq: self.tx.next_seq,
                    words,
                };
                self.tx.next_seq = self.tx.next_seq.wrapping_add(1);
                commands.push(sent.command());
                self.tx.history.push_back(sent);
                if self.tx.history.len() > HISTORY_COMMANDS {
                    self.tx.history.pop_front();
                }
            }
            out.push(Output::Transmit {
                to: self.peer,
                bytes: encode(&commands),
            });
        }
    }

    /// Timers: trailing keep-alives, retransmit requests, reset retries, liveness.
    pub fn poll(&mut self, now: Instant, out: &mut Vec<Output>) -> Verdict {
        if self.tx.trailing_at.is_some_and(|at| at <= now) {
            self.transmit(vec![Vec::new()], out);
            self.tx.trailing -= 1;
            self.tx.trailing_at =
                (self.tx.trailing > 0).then(|| now + self.timing.keepalive_interval);
        }
        if self.rx.request_at.is_some_and(|at| at <= now) {
            if self.rx.attempts >= self.timing.retransmit_attempts {
                self.say_bye(bye_reason::TOO_MANY_MISSING, out);
                return Verdict::Ended(DownReason::TooManyMissing);
            }
            self.rx.attempts += 1;
            let requests = self.retransmit_requests();
            self.push_control(requests, out);
            self.rx.request_at = self.has_gap().then(|| now + self.timing.retransmit_wait);
        }
        self.poll_reset(now, out);
        self.poll_liveness(now, out)
    }

    fn poll_reset(&mut self, now: Instant, out: &mut Vec<Output>) {
        let Some(retry) = &mut self.reset else { return };
        if retry.at > now {
            return;
        }
        if retry.sent >= self.timing.reset_attempts {
            // The peer never answered; take its data again rather than drop it forever.
            self.reset = None;
            self.rx.ignore_data = false;
            return;
        }
        retry.sent += 1;
        retry.at = now + self.timing.reset_retry;
        self.push_control(vec![Command::SessionReset], out);
    }

    fn poll_liveness(&mut self, now: Instant, out: &mut Vec<Output>) -> Verdict {
        if self.alive.check_at > now {
            return Verdict::Open;
        }
        if self.alive.pings_sent >= self.timing.ping_attempts {
            self.say_bye(bye_reason::TIMEOUT, out);
            return Verdict::Ended(DownReason::Timeout);
        }
        self.alive.pings_sent += 1;
        self.alive.ping_id = self.alive.ping_id.wrapping_add(1);
        self.alive.check_at = now + self.timing.ping_interval;
        self.counters.add(Counter::PingsSent, 1);
        let ping = Command::Ping {
            id: self.alive.ping_id.to_be_bytes(),
        };
        self.push_control(vec![ping], out);
        Verdict::Open
    }

    /// The earliest time `poll` has work.
    pub fn next_deadline(&self) -> Instant {
        [
            self.tx.trailing_at,
            self.rx.request_at,
            self.reset.as_ref().map(|r| r.at),
        ]
        .into_iter()
        .flatten()
        .fold(self.alive.check_at, Instant::min)
    }

    /// Starts a session reset from our side: both numberings start again, and the peer's
    /// data is ignored until it confirms (its old numbers would poison our new baseline).
    pub fn start_reset(&mut self, now: Instant, out: &mut Vec<Output>) {
        self.restart_numbering();
        self.rx.ignore_data = true;
        self.reset = Some(ResetRetry {
            at: now + self.timing.reset_retry,
            sent: 1,
        });
        self.push_control(vec![Command::SessionReset], out);
    }

    /// What a reset clears: our numbering from 0 with an empty history, and the receive
    /// side waiting for whatever number comes first.
    fn restart_numbering(&mut self) {
        self.tx.next_seq = 0;
        self.tx.history.clear();
        self.tx.trailing = 0;
        self.tx.trailing_at = None;
        self.rx.next = None;
        self.rx.next_at_start = None;
        self.rx.window.clear();
        self.rx.far_ahead = false;
        self.rx.request_at = None;
        self.rx.attempts = 0;
    }

    pub fn say_bye(&mut self, reason: u8, out: &mut Vec<Output>) {
        let bye = Command::Bye {
            reason,
            text: String::new(),
        };
        self.push_control(vec![bye], out);
    }

    fn push_control(&self, commands: Vec<Command>, out: &mut Vec<Output>) {
        for bytes in pack(commands) {
            out.push(Output::Transmit {
                to: self.peer,
                bytes,
            });
        }
    }

    #[cfg(test)]
    pub fn set_next_seq(&mut self, seq: u16) {
        self.tx.next_seq = seq;
    }
}

/// The header word a command was sent with (for quoting it in a NAK).
fn command_header(command: &Command) -> u32 {
    let bytes = encode(std::slice::from_ref(command));
    u32::from_be_bytes([bytes[4], bytes[5], bytes[6], bytes[7]])
}
