//! The wire protocol between the engine and its clients (documented in `docs/PROTOCOL.md`).
//!
//! Every frame is `[length: u32 LE][kind: u8][payload]`, where `length` counts the kind byte and
//! the payload. Control frames (hello, requests, responses, events) carry JSON: they are rare
//! and easy to debug. UMP traffic travels in binary frames, never JSON: a payload is a run of
//! messages, each `[timestamp: u64 LE][word: u32 LE]×n`, where n follows from the first word's
//! message type.

use super::error::ErrorKind;
use super::ids::{AssociationId, Direction};
use super::model::{DirectionStats, EndpointInfo, PairDefinition, PairInfo, PairUpdate};
use super::ump;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Bumped whenever a frame or a request changes incompatibly.
pub const PROTOCOL_VERSION: u32 = 2;
/// The largest frame the engine accepts from a client (payload plus kind byte), and the
/// largest data frame it sends. Bigger ones close the connection: 1 MiB holds about 87,000
/// one-word messages.
pub const MAX_FRAME_BYTES: usize = 1 << 20;
/// The largest frame a client accepts from the engine: answers such as the list of 10,000
/// pairs (about 7 MB of JSON) are bigger than any batch.
pub const MAX_ENGINE_FRAME_BYTES: usize = 64 << 20;
/// Bytes before a frame's payload: the length and the kind.
pub const HEADER_BYTES: usize = 5;
/// Bytes of a message's timestamp.
pub const TIMESTAMP_BYTES: usize = 8;

/// What a frame carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum FrameKind {
    /// Client → engine, first frame: JSON [`Hello`].
    Hello = 1,
    /// Engine → client, answer to hello: JSON [`Welcome`].
    Welcome = 2,
    /// Client → engine: JSON [`RequestFrame`].
    Request = 3,
    /// Engine → client: JSON [`ResponseFrame`].
    Response = 4,
    /// Engine → client, unprompted: JSON [`Event`].
    Event = 5,
    /// Client → engine: UMP messages sent out on the client's open endpoint.
    Send = 16,
    /// Engine → client: UMP messages arriving at the client's open endpoint.
    Deliver = 17,
    /// Engine → tap client: `[direction: u8]` then messages crossing the tapped pair.
    TapDeliver = 18,
}

impl FrameKind {
    pub fn from_byte(b: u8) -> Option<FrameKind> {
        Some(match b {
            1 => FrameKind::Hello,
            2 => FrameKind::Welcome,
            3 => FrameKind::Request,
            4 => FrameKind::Response,
            5 => FrameKind::Event,
            16 => FrameKind::Send,
            17 => FrameKind::Deliver,
            18 => FrameKind::TapDeliver,
            _ => return None,
        })
    }
}

/// Appends a frame header for a payload of `payload_len` bytes.
pub fn put_header(buf: &mut Vec<u8>, kind: FrameKind, payload_len: usize) {
    buf.extend_from_slice(&((payload_len + 1) as u32).to_le_bytes());
    buf.push(kind as u8);
}

/// Appends a whole JSON frame.
pub fn put_json<T: Serialize>(buf: &mut Vec<u8>, kind: FrameKind, value: &T) {
    let body = serde_json::to_vec(value).expect("protocol types always serialise");
    put_header(buf, kind, body.len());
    buf.extend_from_slice(&body);
}

/// Appends one message (timestamp and words) to a data payload.
pub fn put_message(buf: &mut Vec<u8>, timestamp: u64, words: &[u32]) {
    buf.extend_from_slice(&timestamp.to_le_bytes());
    for w in words {
        buf.extend_from_slice(&w.to_le_bytes());
    }
}

/// A frame header read off the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub kind_byte: u8,
    /// Bytes of payload that follow the header.
    pub payload_len: usize,
}

/// Why a frame header is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("frame of {0} bytes is larger than the limit of {MAX_FRAME_BYTES}")]
    TooLarge(usize),
    #[error("frame with length 0 has no kind")]
    Empty,
}

/// Reads a header from the first five bytes of `buf`: a frame from a client, at most
/// [`MAX_FRAME_BYTES`].
pub fn parse_header(buf: &[u8; HEADER_BYTES]) -> Result<Header, FrameError> {
    let header = read_header(buf)?;
    if header.payload_len + 1 > MAX_FRAME_BYTES {
        return Err(FrameError::TooLarge(header.payload_len + 1));
    }
    Ok(header)
}

/// Reads a header without a size limit (the caller applies its own, e.g.
/// [`MAX_ENGINE_FRAME_BYTES`] for frames from the engine).
pub fn read_header(buf: &[u8; HEADER_BYTES]) -> Result<Header, FrameError> {
    let len = u32::from_le_bytes([buf[0], buf[1], buf[2], buf[3]]) as usize;
    if len == 0 {
        return Err(FrameError::Empty);
    }
    Ok(Header {
        kind_byte: buf[4],
        payload_len: len - 1,
    })
}

/// One message read from a data payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimedMessage {
    /// Nanoseconds on the monotonic clock (0 = "now" when sending).
    pub timestamp: u64,
    words: [u32; 4],
    len: u8,
}

impl TimedMessage {
    /// A message from its words; `None` unless the words form exactly one UMP.
    pub fn new(timestamp: u64, words: &[u32]) -> Option<TimedMessage> {
        ump::check_single_message(words).ok()?;
        let mut w = [0u32; 4];
        w[..words.len()].copy_from_slice(words);
        Some(TimedMessage {
            timestamp,
            words: w,
            len: words.len() as u8,
        })
    }

    pub fn words(&self) -> &[u32] {
        &self.words[..self.len as usize]
    }
}

/// A data payload that ends in the middle of a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "batch ends in the middle of message {index} (byte {offset} of {len}); nothing in it was delivered"
)]
pub struct MalformedBatch {
    pub index: usize,
    pub offset: usize,
    pub len: usize,
}

/// Walks a data payload message by message. Check it first with [`scan_payload`]; an iterator
/// over a malformed payload stops at the broken message.
pub struct PayloadIter<'a> {
    rest: &'a [u8],
}

pub fn iter_payload(payload: &[u8]) -> PayloadIter<'_> {
    PayloadIter { rest: payload }
}

impl<'a> Iterator for PayloadIter<'a> {
    /// (offset of the timestamp within the remaining slice is not needed by callers)
    type Item = TimedMessage;

    fn next(&mut self) -> Option<TimedMessage> {
        let (len, ts, first) = message_at(self.rest)?;
        let mut words = [0u32; 4];
        words[0] = first;
        for (i, w) in words.iter_mut().enumerate().take(len).skip(1) {
            let at = TIMESTAMP_BYTES + 4 * i;
            *w = u32::from_le_bytes(self.rest[at..at + 4].try_into().ok()?);
        }
        self.rest = &self.rest[TIMESTAMP_BYTES + 4 * len..];
        Some(TimedMessage {
            timestamp: ts,
            words,
            len: len as u8,
        })
    }
}

/// (word count, timestamp, first word) of the message at the start of `buf`, if it is whole.
#[inline]
fn message_at(buf: &[u8]) -> Option<(usize, u64, u32)> {
    if buf.len() < TIMESTAMP_BYTES + 4 {
        return None;
    }
    let ts = u64::from_le_bytes(buf[..8].try_into().ok()?);
    let first = u32::from_le_bytes(buf[8..12].try_into().ok()?);
    let len = ump::message_words(first);
    if buf.len() < TIMESTAMP_BYTES + 4 * len {
        return None;
    }
    Some((len, ts, first))
}

/// What a scan of a data payload found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PayloadSummary {
    pub messages: u64,
    pub words: u64,
    /// Messages whose timestamp is 0 (to be stamped on arrival).
    pub unstamped: u64,
    /// The latest timestamp in the payload.
    pub max_timestamp: u64,
}

/// Checks that a data payload is whole messages only, and counts them.
pub fn scan_payload(payload: &[u8]) -> Result<PayloadSummary, MalformedBatch> {
    scan(&mut ReadOnly(payload))
}

/// [`scan_payload`], writing `now` into every zero timestamp in the same pass, in place, so a
/// batch can be forwarded without copying it first. On error the payload is partly stamped.
pub fn scan_and_stamp(payload: &mut [u8], now: u64) -> Result<PayloadSummary, MalformedBatch> {
    scan(&mut Stamping(payload, now))
}

/// A payload as [`scan`] walks it: read-only, or stamping as it goes.
trait Walked {
    fn bytes(&self) -> &[u8];
    fn unstamped_at(&mut self, _offset: usize) {}
}

struct ReadOnly<'a>(&'a [u8]);

impl Walked for ReadOnly<'_> {
    fn bytes(&self) -> &[u8] {
        self.0
    }
}

struct Stamping<'a>(&'a mut [u8], u64);

impl Walked for Stamping<'_> {
    fn bytes(&self) -> &[u8] {
        self.0
    }
    fn unstamped_at(&mut self, offset: usize) {
        self.0[offset..offset + TIMESTAMP_BYTES].copy_from_slice(&self.1.to_le_bytes());
    }
}

fn scan(payload: &mut impl Walked) -> Result<PayloadSummary, MalformedBatch> {
    let mut s = PayloadSummary::default();
    let mut offset = 0;
    let total = payload.bytes().len();
    while offset < total {
        let Some((len, ts, _)) = message_at(&payload.bytes()[offset..]) else {
            return Err(MalformedBatch {
                index: s.messages as usize,
                offset,
                len: total,
            });
        };
        if ts == 0 {
            s.unstamped += 1;
            payload.unstamped_at(offset);
        }
        s.messages += 1;
        s.words += len as u64;
        s.max_timestamp = s.max_timestamp.max(ts);
        offset += TIMESTAMP_BYTES + 4 * len;
    }
    Ok(s)
}

/// Byte length of the message at the start of a payload already checked by [`scan_payload`].
#[inline]
pub fn message_bytes_at(payload: &[u8]) -> usize {
    let first = u32::from_le_bytes(payload[8..12].try_into().expect("checked payload"));
    TIMESTAMP_BYTES + 4 * ump::message_words(first)
}

/// The first frame a client sends.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Hello {
    pub protocol: u32,
    /// Who is connecting, for the log (`midi 0.1.0`, an application's name…).
    pub client: String,
}

/// The engine's answer to [`Hello`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Welcome {
    pub protocol: u32,
    pub version: String,
    pub pid: u32,
    /// `None` when the handshake succeeded; otherwise why the engine refuses the client.
    pub refused: Option<String>,
}

/// A control request; `id` pairs it with its response.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RequestFrame {
    pub id: u64,
    #[serde(flatten)]
    pub request: Request,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Request {
    Ping,
    Status,
    ListPairs,
    CreatePair {
        pair: PairDefinition,
    },
    RemovePair {
        association_id: AssociationId,
    },
    UpdatePair {
        association_id: AssociationId,
        update: PairUpdate,
    },
    SetMuted {
        association_id: AssociationId,
        muted: bool,
    },
    /// Attach this connection to an endpoint (by id or name, ignoring case) to send and receive.
    Open {
        endpoint: String,
    },
    /// Detach from the open endpoint.
    Close,
    /// Receive copies of a pair's traffic in both directions without being a client of it.
    Tap {
        association_id: AssociationId,
    },
    /// Hear of every change to the pairs as events: each existing pair first, then `synced`,
    /// then every change until the connection closes.
    Watch,
    /// Every pair's traffic counters, without the rest of the pair (what a live view polls
    /// while it follows the pairs themselves with `watch`).
    Counters,
    /// Stop the engine gracefully.
    Shutdown,
    /// Publish an endpoint as a Network MIDI 2.0 host.
    NetworkHost {
        host: super::network::HostSpec,
    },
    /// Join a remote Network MIDI 2.0 host through a local endpoint; answered once the
    /// session is up (or, with `retry`, once the first attempt is over).
    NetworkConnect {
        connect: super::network::ConnectSpec,
    },
    /// Every host and client session.
    NetworkList,
    /// End the hosts and client sessions on an endpoint (id or name), or the client
    /// sessions to a host (`ADDRESS:PORT`).
    NetworkStop {
        target: String,
    },
    /// Ask the network (over mDNS, on the interface of `interface` in its family, or in
    /// both families where the system lets it) which hosts there are, waiting `wait_ms`
    /// for answers.
    NetworkDiscover {
        #[serde(default)]
        interface: Option<std::net::IpAddr>,
        wait_ms: u64,
    },
}

impl Request {
    /// The request's name on the wire, for messages.
    pub fn name(&self) -> &'static str {
        match self {
            Request::Ping => "ping",
            Request::Status => "status",
            Request::ListPairs => "list_pairs",
            Request::CreatePair { .. } => "create_pair",
            Request::RemovePair { .. } => "remove_pair",
            Request::UpdatePair { .. } => "update_pair",
            Request::SetMuted { .. } => "set_muted",
            Request::Open { .. } => "open",
            Request::Close => "close",
            Request::Tap { .. } => "tap",
            Request::Watch => "watch",
            Request::Counters => "counters",
            Request::Shutdown => "shutdown",
            Request::NetworkHost { .. } => "network_host",
            Request::NetworkConnect { .. } => "network_connect",
            Request::NetworkList => "network_list",
            Request::NetworkStop { .. } => "network_stop",
            Request::NetworkDiscover { .. } => "network_discover",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ResponseFrame {
    pub id: u64,
    pub result: Result<Reply, WireError>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "reply", rename_all = "snake_case")]
pub enum Reply {
    Pong,
    Status(EngineStatus),
    Pairs { pairs: Vec<PairInfo> },
    Counters { pairs: Vec<PairCounters> },
    Pair(PairInfo),
    Opened(EndpointInfo),
    Done,
    Network(super::network::Sessions),
    Discovered(super::network::Discovery),
}

/// An error as the engine reports it: its kind decides the exit code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireError {
    pub kind: ErrorKind,
    pub message: String,
}

/// Something the engine tells a client without being asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// The endpoint (or tapped pair) this connection used was removed.
    EndpointRemoved { endpoint: String },
    /// A batch this client sent was refused; nothing of it was delivered.
    Refused { message: String },
    /// This client's queue was full, so messages meant for it were dropped.
    Overflow { dropped: u64 },
    /// The engine is stopping; the connection closes next.
    EngineStopping,
    /// Watching: a pair that existed when the subscription began.
    PairExisting { pair: PairInfo },
    /// Watching: every existing pair has been reported; changes follow from here on.
    Synced,
    /// Watching: a pair was created.
    PairCreated { pair: PairInfo },
    /// Watching: a pair changed; `changed` names what (`names`, `persistence`, `muted`).
    PairUpdated {
        pair: PairInfo,
        changed: Vec<String>,
    },
    /// Watching: a pair was removed.
    PairRemoved { pair: PairInfo },
    /// Watching: a client attached to an endpoint (`clients` is the count now).
    ClientAttached { endpoint: EndpointInfo },
    /// Watching: a client detached from an endpoint.
    ClientDetached { endpoint: EndpointInfo },
}

/// One pair's counters, as `counters` reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PairCounters {
    pub association_id: AssociationId,
    pub a_to_b: DirectionStats,
    pub b_to_a: DirectionStats,
}

/// Pair counts of [`EngineStatus`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PairCounts {
    pub total: u64,
    pub persistent: u64,
    pub transient: u64,
}

/// Traffic totals of [`EngineStatus`]: the counters of every pair and direction added up.
pub type TrafficTotals = DirectionStats;

/// What `midi service status` shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EngineStatus {
    pub running: bool,
    pub pid: u32,
    pub version: String,
    pub protocol: u32,
    pub uptime_s: u64,
    pub socket: PathBuf,
    pub config: PathBuf,
    pub log: PathBuf,
    pub pairs: PairCounts,
    pub clients: u64,
    pub traffic: TrafficTotals,
    /// What the user should know: configuration entries skipped at start, and the like.
    #[serde(default)]
    pub warnings: Vec<String>,
    /// The ALSA sequencer bridge (absent from engines that have none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alsa: Option<Box<AlsaStatus>>,
}

/// Whether and how the engine presents its endpoints to ALSA sequencer applications.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlsaState {
    /// Each endpoint is a MIDI 2.0 (UMP) sequencer client (up to a cap, then a MIDI 1.0 port).
    Ump,
    /// Each endpoint is a MIDI 1.0 port: this kernel has no UMP sequencer.
    Midi1,
    /// Switched off (`service run --no-alsa`, `MIDI_NO_ALSA`, or the configuration file).
    Off,
    /// The sequencer device could not be opened (`detail` says why).
    Unavailable,
}

/// What the ALSA bridge reports in `service status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlsaStatus {
    pub state: AlsaState,
    /// What follows "ALSA sequencer: " in `service status`.
    pub summary: String,
    /// Why it is off or unavailable; empty otherwise.
    #[serde(default)]
    pub detail: String,
    /// Sequencer clients the engine holds (each counts against the kernel's 64 user clients).
    #[serde(default)]
    pub clients: u32,
    /// Endpoints that have no ALSA presence, each with the reason.
    #[serde(default)]
    pub missing: Vec<String>,
    /// Messages not sent to MIDI 1.0 ports (no MIDI 1.0 form, another group …), by reason.
    #[serde(default)]
    pub not_translated: std::collections::BTreeMap<String, u64>,
    /// Events from ALSA applications that were dropped (malformed, unknown type, overflow),
    /// by reason.
    #[serde(default)]
    pub dropped_input: std::collections::BTreeMap<String, u64>,
}

impl AlsaStatus {
    /// The bridge's state before (or without) a sequencer.
    pub fn new(state: AlsaState, detail: impl Into<String>) -> AlsaStatus {
        let detail = detail.into();
        let summary = match state {
            AlsaState::Ump => "UMP (MIDI 2.0)".to_string(),
            AlsaState::Midi1 => "MIDI 1.0 (this kernel has no UMP sequencer)".to_string(),
            AlsaState::Off => "off".to_string(),
            AlsaState::Unavailable => format!("unavailable: {detail}"),
        };
        AlsaStatus {
            state,
            summary,
            detail,
            clients: 0,
            missing: Vec::new(),
            not_translated: Default::default(),
            dropped_input: Default::default(),
        }
    }
}

/// The tap payload's direction byte.
pub fn direction_byte(d: Direction) -> u8 {
    d.index() as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_round_trip_and_truncation() {
        let mut buf = Vec::new();
        put_message(&mut buf, 0, &[0x2090_3C64]);
        put_message(&mut buf, 7, &[0x4090_3C00, 0x8000_0000]);
        let s = scan_payload(&buf).unwrap();
        let mut stamped = buf.clone();
        assert_eq!(scan_and_stamp(&mut stamped, 99).unwrap(), s);
        let times: Vec<u64> = iter_payload(&stamped).map(|m| m.timestamp).collect();
        assert_eq!(times, vec![99, 7]);
        assert_eq!(
            (s.messages, s.words, s.unstamped, s.max_timestamp),
            (2, 3, 1, 7)
        );
        let msgs: Vec<_> = iter_payload(&buf).collect();
        assert_eq!(msgs[1].words(), &[0x4090_3C00, 0x8000_0000]);
        assert!(scan_payload(&buf[..buf.len() - 1]).is_err());
        assert!(scan_payload(&buf[..3]).is_err());
    }

    #[test]
    fn request_json_shape() {
        let r = RequestFrame {
            id: 3,
            request: Request::Open {
                endpoint: "x".into(),
            },
        };
        let text = serde_json::to_string(&r).unwrap();
        assert_eq!(text, r#"{"id":3,"op":"open","endpoint":"x"}"#);
    }
}
