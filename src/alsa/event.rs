//! Sequencer events as Rust values: decoding the cells `read()` delivers and encoding the
//! cells `write()` takes.
//!
//! The byte stream of the sequencer device is a run of fixed cells — 28 bytes for a legacy
//! client, 32 for a UMP client ([`CellFormat`]) — where a variable-length event (SysEx) is
//! followed by its data. On read the kernel pads that data to a whole number of cells; on write
//! it takes the data unpadded, right after the cell. Decoding never panics: a cell that lies
//! about its length, or a value outside its MIDI range, is a [`DecodeError`].

use thiserror::Error;

use super::sys::{self, SeqAddr, SeqEvent, SeqUmpEvent, address, event_flags, event_type};
use crate::core::ump::message_words;

/// A sequencer address: client number and port number (`aconnect` writes it `128:0`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Address {
    pub client: u8,
    pub port: u8,
}

impl std::fmt::Display for Address {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.client, self.port)
    }
}

impl From<SeqAddr> for Address {
    fn from(addr: SeqAddr) -> Self {
        Address {
            client: addr.client,
            port: addr.port,
        }
    }
}

/// Which cells a client reads and writes: set by the client's MIDI version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellFormat {
    /// 28-byte `snd_seq_event` cells (a MIDI 1.0 client).
    Legacy,
    /// 32-byte `snd_seq_ump_event` cells (a client with `midi_version` 1 or 2).
    Ump,
}

impl CellFormat {
    /// The cell size in bytes.
    pub const fn cell_bytes(self) -> usize {
        match self {
            CellFormat::Legacy => size_of::<SeqEvent>(),
            CellFormat::Ump => size_of::<SeqUmpEvent>(),
        }
    }
}

/// One Universal MIDI Packet carried in a UMP cell: 1 to 4 words, as its type says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UmpPacket {
    words: [u32; 4],
    len: u8,
}

impl UmpPacket {
    /// The packet whose first words are `words`; its length follows from the message type.
    /// `None` when `words` is shorter than that type needs.
    pub fn new(words: &[u32]) -> Option<UmpPacket> {
        let first = *words.first()?;
        let len = message_words(first);
        let mut packet = UmpPacket {
            words: [0; 4],
            len: len as u8,
        };
        packet.words[..len].copy_from_slice(words.get(..len)?);
        Some(packet)
    }

    /// The packet's words (1 to 4).
    pub fn words(&self) -> &[u32] {
        &self.words[..self.len as usize]
    }
}

/// What an event says. MIDI 1.0 channel messages carry 0-based channels (0–15).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    NoteOn {
        channel: u8,
        note: u8,
        velocity: u8,
    },
    NoteOff {
        channel: u8,
        note: u8,
        velocity: u8,
    },
    KeyPressure {
        channel: u8,
        note: u8,
        pressure: u8,
    },
    ControlChange {
        channel: u8,
        controller: u8,
        value: u8,
    },
    ProgramChange {
        channel: u8,
        program: u8,
    },
    ChannelPressure {
        channel: u8,
        pressure: u8,
    },
    /// −8192 to 8191, 0 is the centre.
    PitchBend {
        channel: u8,
        value: i16,
    },
    /// The SysEx bytes as carried, `F0 … F7` when complete (a long message may arrive in
    /// several events; only the first starts with F0, only the last ends with F7).
    SysEx(Vec<u8>),
    /// MIDI beats (sixteenth notes) since the start, 0 to 16383.
    SongPosition(u16),
    SongSelect(u8),
    /// The MIDI time code quarter-frame data byte (0–127).
    QuarterFrame(u8),
    TuneRequest,
    Clock,
    Start,
    Continue,
    Stop,
    ActiveSensing,
    Reset,
    /// A UMP packet (only a UMP client reads or writes these).
    Ump(UmpPacket),
    /// Announcements from the system client (0:1) to clients that subscribed to it.
    ClientStart(Address),
    ClientExit(Address),
    ClientChange(Address),
    PortStart(Address),
    PortExit(Address),
    PortChange(Address),
    /// Someone connected `sender` to `dest`; a port's owner gets these for its own ports.
    PortSubscribed {
        sender: Address,
        dest: Address,
    },
    PortUnsubscribed {
        sender: Address,
        dest: Address,
    },
    /// A type this module does not translate (queue control, SMF meta, user events …).
    Unknown {
        event_type: u8,
    },
}

impl EventKind {
    /// True for the kernel's announcements and subscription notices — not music.
    pub fn is_system(&self) -> bool {
        matches!(
            self,
            EventKind::ClientStart(_)
                | EventKind::ClientExit(_)
                | EventKind::ClientChange(_)
                | EventKind::PortStart(_)
                | EventKind::PortExit(_)
                | EventKind::PortChange(_)
                | EventKind::PortSubscribed { .. }
                | EventKind::PortUnsubscribed { .. }
        )
    }
}

/// A decoded event with where it came from and where it was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub source: Address,
    pub dest: Address,
    pub kind: EventKind,
}

/// A cell the decoder could not turn into an [`Event`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DecodeError {
    #[error("truncated input: a {cell}-byte event cell needs {cell} bytes, {available} remain")]
    TruncatedCell { cell: usize, available: usize },
    #[error(
        "truncated input: a variable-length event declares {declared} data bytes (padded to {padded}), {available} remain"
    )]
    TruncatedData {
        declared: usize,
        padded: usize,
        available: usize,
    },
    #[error("a UMP packet of type {mt:X} needs {needed} words, its cell holds 4")]
    BadUmpPacket { mt: u8, needed: usize },
    #[error("a SysEx event (type 130) without the variable-length flag (flags {flags:#04x})")]
    SysExNotVariable { flags: u8 },
    #[error(transparent)]
    OutOfRange(#[from] OutOfRange),
}

/// An event the encoder refused to put into a cell.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EncodeError {
    #[error(transparent)]
    OutOfRange(#[from] OutOfRange),
    #[error("a UMP packet needs a UMP client (midi_version 1 or 2); this client is MIDI 1.0")]
    UmpNeedsUmpClient,
    #[error("an empty SysEx has nothing to send; give at least one byte (F0 … F7)")]
    EmptySysEx,
    #[error("a SysEx of {len} bytes is too long for one event; the limit is {max}")]
    SysExTooLong { len: usize, max: usize },
    #[error("{kind} events come from the kernel; an application cannot send one")]
    NotSendable { kind: &'static str },
}

/// A MIDI 1.0 value outside its range, met while decoding or encoding.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{what} {value} is out of range: MIDI 1.0 allows {} to {}", range.0, range.1)]
pub struct OutOfRange {
    pub what: &'static str,
    pub value: i64,
    pub range: (i64, i64),
}

// The ranges of the legacy event fields, shared by the decoder and the encoder.
const CHANNEL: (i64, i64) = (0, 15);
const DATA7: (i64, i64) = (0, 127);
const PITCH_BEND: (i64, i64) = (-8192, 8191);
const SONG_POSITION: (i64, i64) = (0, 16383);
/// The parameter of a control-layout event that has none (program, pressure, bend …).
const NO_PARAM: Field = ("parameter", 0, (0, 0));

/// A value to store, with its name and range for the error.
type Field = (&'static str, i64, (i64, i64));

fn check(what: &'static str, value: i64, range: (i64, i64)) -> Result<i64, OutOfRange> {
    if (range.0..=range.1).contains(&value) {
        Ok(value)
    } else {
        Err(OutOfRange { what, value, range })
    }
}

/// The longest SysEx one event carries: `ext.len` has 30 bits, the top two are kernel flags.
pub const MAX_SYSEX_BYTES: usize = (1 << 30) - 1;

/// Decodes everything one `read()` delivered. A framing error (a cell or its data cut short)
/// ends the batch, since nothing after it can be framed; a bad value spoils only its event.
pub fn decode_batch(bytes: &[u8], format: CellFormat) -> Vec<Result<Event, DecodeError>> {
    let mut events = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        match decode_one(rest, format) {
            Ok((event, used)) => {
                events.push(event);
                rest = &rest[used..];
            }
            Err(framing) => {
                events.push(Err(framing));
                break;
            }
        }
    }
    events
}

/// Decodes the event at the start of `bytes`: the event (or its value error) and how many
/// bytes it used, or a framing error.
fn decode_one(
    bytes: &[u8],
    format: CellFormat,
) -> Result<(Result<Event, DecodeError>, usize), DecodeError> {
    let cell = format.cell_bytes();
    let truncated = DecodeError::TruncatedCell {
        cell,
        available: bytes.len(),
    };
    let head = sys::read_struct::<SeqEvent>(bytes).ok_or(truncated.clone())?;
    let mut used = cell;
    if bytes.len() < cell {
        return Err(truncated);
    }
    let mut var_data: &[u8] = &[];
    if head.flags & event_flags::LENGTH_MASK == event_flags::LENGTH_VARIABLE {
        // ext.len: the low 30 bits; the kernel clears its own flag bits before copying out.
        let declared =
            (u32::from_ne_bytes(head.data[0..4].try_into().unwrap()) & 0x3fff_ffff) as usize;
        let padded = declared.div_ceil(cell) * cell;
        let available = bytes.len() - cell;
        if padded > available {
            return Err(DecodeError::TruncatedData {
                declared,
                padded,
                available,
            });
        }
        var_data = &bytes[cell..cell + declared];
        used += padded;
    }
    let source = Address::from(head.source);
    let dest = Address::from(head.dest);
    let kind = if format == CellFormat::Ump && head.flags & event_flags::UMP != 0 {
        let ump = sys::read_struct::<SeqUmpEvent>(bytes).ok_or(truncated)?;
        decode_ump(&ump.data)
    } else {
        decode_legacy(&head, var_data)
    };
    Ok((kind.map(|kind| Event { source, dest, kind }), used))
}

fn decode_ump(data: &[u8; 16]) -> Result<EventKind, DecodeError> {
    let words: Vec<u32> = data
        .chunks_exact(4)
        .map(|w| u32::from_ne_bytes(w.try_into().unwrap()))
        .collect();
    // Every type has at most 4 words, so a 4-word cell always holds the whole packet.
    UmpPacket::new(&words)
        .map(EventKind::Ump)
        .ok_or(DecodeError::BadUmpPacket {
            mt: (words[0] >> 28) as u8,
            needed: message_words(words[0]),
        })
}

fn decode_legacy(head: &SeqEvent, var_data: &[u8]) -> Result<EventKind, DecodeError> {
    if let Some(channel_message) = decode_channel(head.event_type, &head.data) {
        return Ok(channel_message?);
    }
    let d = &head.data;
    let value = i32::from_ne_bytes(d[8..12].try_into().unwrap()) as i64;
    let addr = |at: usize| Address {
        client: d[at],
        port: d[at + 1],
    };
    use event_type as t;
    Ok(match head.event_type {
        t::SONGPOS => EventKind::SongPosition(check("song position", value, SONG_POSITION)? as u16),
        t::SONGSEL => EventKind::SongSelect(check("song number", value, DATA7)? as u8),
        t::QFRAME => EventKind::QuarterFrame(check("quarter frame", value, DATA7)? as u8),
        t::TUNE_REQUEST => EventKind::TuneRequest,
        t::CLOCK => EventKind::Clock,
        t::START => EventKind::Start,
        t::CONTINUE => EventKind::Continue,
        t::STOP => EventKind::Stop,
        t::SENSING => EventKind::ActiveSensing,
        t::RESET => EventKind::Reset,
        t::SYSEX if head.flags & event_flags::LENGTH_MASK != event_flags::LENGTH_VARIABLE => {
            return Err(DecodeError::SysExNotVariable { flags: head.flags });
        }
        t::SYSEX => EventKind::SysEx(var_data.to_vec()),
        t::CLIENT_START => EventKind::ClientStart(addr(0)),
        t::CLIENT_EXIT => EventKind::ClientExit(addr(0)),
        t::CLIENT_CHANGE => EventKind::ClientChange(addr(0)),
        t::PORT_START => EventKind::PortStart(addr(0)),
        t::PORT_EXIT => EventKind::PortExit(addr(0)),
        t::PORT_CHANGE => EventKind::PortChange(addr(0)),
        t::PORT_SUBSCRIBED => EventKind::PortSubscribed {
            sender: addr(0),
            dest: addr(2),
        },
        t::PORT_UNSUBSCRIBED => EventKind::PortUnsubscribed {
            sender: addr(0),
            dest: addr(2),
        },
        other => EventKind::Unknown { event_type: other },
    })
}

/// The channel messages — note layout (channel, note, velocity) or control layout (channel,
/// 32-bit parameter, 32-bit value) — or `None` for any other type.
fn decode_channel(type_byte: u8, d: &[u8; 12]) -> Option<Result<EventKind, OutOfRange>> {
    use event_type as t;
    if !matches!(
        type_byte,
        t::NOTEON
            | t::NOTEOFF
            | t::KEYPRESS
            | t::CONTROLLER
            | t::PGMCHANGE
            | t::CHANPRESS
            | t::PITCHBEND
    ) {
        return None;
    }
    let decode = || {
        let channel = check("channel", d[0].into(), CHANNEL)? as u8;
        let note = || check("note", d[1].into(), DATA7).map(|n| n as u8);
        let third = |what| check(what, d[2].into(), DATA7).map(|v| v as u8);
        let param = u32::from_ne_bytes(d[4..8].try_into().unwrap()) as i64;
        let value = i32::from_ne_bytes(d[8..12].try_into().unwrap()) as i64;
        let value7 = |what| check(what, value, DATA7).map(|v| v as u8);
        Ok(match type_byte {
            t::NOTEON => EventKind::NoteOn {
                channel,
                note: note()?,
                velocity: third("velocity")?,
            },
            t::NOTEOFF => EventKind::NoteOff {
                channel,
                note: note()?,
                velocity: third("velocity")?,
            },
            t::KEYPRESS => EventKind::KeyPressure {
                channel,
                note: note()?,
                pressure: third("key pressure")?,
            },
            t::CONTROLLER => EventKind::ControlChange {
                channel,
                controller: check("controller", param, DATA7)? as u8,
                value: value7("controller value")?,
            },
            t::PGMCHANGE => EventKind::ProgramChange {
                channel,
                program: value7("program")?,
            },
            t::CHANPRESS => EventKind::ChannelPressure {
                channel,
                pressure: value7("channel pressure")?,
            },
            _ => EventKind::PitchBend {
                channel,
                value: check("pitch bend", value, PITCH_BEND)? as i16,
            },
        })
    };
    Some(decode())
}

/// Appends the cell (and for SysEx, its data) that sends `kind` from our port `source_port`
/// straight to that port's subscribers, bypassing any queue.
pub fn encode(
    kind: &EventKind,
    source_port: u8,
    format: CellFormat,
    out: &mut Vec<u8>,
) -> Result<(), EncodeError> {
    let mut cell = SeqUmpEvent {
        queue: address::QUEUE_DIRECT,
        source: SeqAddr {
            client: 0,
            port: source_port,
        },
        dest: SeqAddr {
            client: address::SUBSCRIBERS,
            port: address::UNKNOWN,
        },
        ..SeqUmpEvent::default()
    };
    let mut var_data: &[u8] = &[];
    match kind {
        EventKind::Ump(packet) => {
            if format != CellFormat::Ump {
                return Err(EncodeError::UmpNeedsUmpClient);
            }
            cell.flags |= event_flags::UMP;
            for (slot, word) in cell.data.chunks_exact_mut(4).zip(packet.words()) {
                slot.copy_from_slice(&word.to_ne_bytes());
            }
        }
        EventKind::SysEx(bytes) => {
            if bytes.is_empty() {
                return Err(EncodeError::EmptySysEx);
            }
            if bytes.len() > MAX_SYSEX_BYTES {
                return Err(EncodeError::SysExTooLong {
                    len: bytes.len(),
                    max: MAX_SYSEX_BYTES,
                });
            }
            cell.event_type = event_type::SYSEX;
            cell.flags |= event_flags::LENGTH_VARIABLE;
            // The pointer half of `ext` stays 0: the kernel points it at the data that follows.
            cell.data[0..4].copy_from_slice(&(bytes.len() as u32).to_ne_bytes());
            var_data = bytes;
        }
        other => {
            let (event_type, data) = encode_fixed(other)?;
            cell.event_type = event_type;
            cell.data[..12].copy_from_slice(&data);
        }
    }
    // A UMP client's legacy events (SysEx, clock …) still travel in 28-byte cells: the kernel
    // reads 32 only when the UMP flag is set.
    let bytes = sys::struct_bytes(&cell);
    let cell_len = if cell.flags & event_flags::UMP != 0 {
        32
    } else {
        28
    };
    out.extend_from_slice(&bytes[..cell_len]);
    out.extend_from_slice(var_data);
    Ok(())
}

/// The type byte and 12 data bytes of a fixed-length legacy event.
fn encode_fixed(kind: &EventKind) -> Result<(u8, [u8; 12]), EncodeError> {
    use EventKind as K;
    use event_type as t;
    fn v(value: impl Into<i64>) -> i64 {
        value.into()
    }
    let not_sendable = |kind| Err(EncodeError::NotSendable { kind });
    let cell = match *kind {
        K::NoteOn {
            channel,
            note,
            velocity,
        } => note_cell(t::NOTEON, channel, note, ("velocity", velocity)),
        K::NoteOff {
            channel,
            note,
            velocity,
        } => note_cell(t::NOTEOFF, channel, note, ("velocity", velocity)),
        K::KeyPressure {
            channel,
            note,
            pressure,
        } => note_cell(t::KEYPRESS, channel, note, ("key pressure", pressure)),
        K::ControlChange {
            channel,
            controller,
            value,
        } => control_cell(
            t::CONTROLLER,
            channel,
            ("controller", v(controller), DATA7),
            ("controller value", v(value), DATA7),
        ),
        K::ProgramChange { channel, program } => control_cell(
            t::PGMCHANGE,
            channel,
            NO_PARAM,
            ("program", v(program), DATA7),
        ),
        K::ChannelPressure { channel, pressure } => control_cell(
            t::CHANPRESS,
            channel,
            NO_PARAM,
            ("channel pressure", v(pressure), DATA7),
        ),
        K::PitchBend { channel, value } => control_cell(
            t::PITCHBEND,
            channel,
            NO_PARAM,
            ("pitch bend", v(value), PITCH_BEND),
        ),
        K::SongPosition(beats) => control_cell(
            t::SONGPOS,
            0,
            NO_PARAM,
            ("song position", v(beats), SONG_POSITION),
        ),
        K::SongSelect(song) => {
            control_cell(t::SONGSEL, 0, NO_PARAM, ("song number", v(song), DATA7))
        }
        K::QuarterFrame(byte) => {
            control_cell(t::QFRAME, 0, NO_PARAM, ("quarter frame", v(byte), DATA7))
        }
        K::TuneRequest => Ok((t::TUNE_REQUEST, [0; 12])),
        K::Clock => Ok((t::CLOCK, [0; 12])),
        K::Start => Ok((t::START, [0; 12])),
        K::Continue => Ok((t::CONTINUE, [0; 12])),
        K::Stop => Ok((t::STOP, [0; 12])),
        K::ActiveSensing => Ok((t::SENSING, [0; 12])),
        K::Reset => Ok((t::RESET, [0; 12])),
        K::Ump(_) | K::SysEx(_) => unreachable!("encoded by the caller"),
        K::ClientStart(_) | K::ClientExit(_) | K::ClientChange(_) => {
            return not_sendable("client announcement");
        }
        K::PortStart(_) | K::PortExit(_) | K::PortChange(_) => {
            return not_sendable("port announcement");
        }
        K::PortSubscribed { .. } | K::PortUnsubscribed { .. } => {
            return not_sendable("subscription notice");
        }
        K::Unknown { .. } => return not_sendable("untranslated (unknown type)"),
    };
    Ok(cell?)
}

/// The note layout: channel, note, then velocity or pressure.
fn note_cell(
    event_type: u8,
    channel: u8,
    note: u8,
    third: (&'static str, u8),
) -> Result<(u8, [u8; 12]), OutOfRange> {
    let mut d = [0u8; 12];
    d[0] = check("channel", channel.into(), CHANNEL)? as u8;
    d[1] = check("note", note.into(), DATA7)? as u8;
    d[2] = check(third.0, third.1.into(), DATA7)? as u8;
    Ok((event_type, d))
}

/// The control layout: channel, a 32-bit parameter, a signed 32-bit value.
fn control_cell(
    event_type: u8,
    channel: u8,
    param: Field,
    value: Field,
) -> Result<(u8, [u8; 12]), OutOfRange> {
    let mut d = [0u8; 12];
    d[0] = check("channel", channel.into(), CHANNEL)? as u8;
    d[4..8].copy_from_slice(&(check(param.0, param.1, param.2)? as u32).to_ne_bytes());
    d[8..12].copy_from_slice(&(check(value.0, value.1, value.2)? as i32).to_ne_bytes());
    Ok((event_type, d))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(kind: EventKind, format: CellFormat) -> Vec<u8> {
        let mut out = Vec::new();
        encode(&kind, 3, format, &mut out).unwrap();
        out
    }

    /// What the kernel hands a reader: our cell, padded var data, and a real source address.
    fn as_delivered(mut written: Vec<u8>, format: CellFormat) -> Vec<u8> {
        let cell = format.cell_bytes();
        if written.len() >= 28 && written[1] & event_flags::UMP == 0 && format == CellFormat::Ump {
            written.splice(28..28, [0u8; 4]);
        }
        written[12] = 130;
        let padded = written.len().div_ceil(cell) * cell;
        written.resize(padded, 0);
        written
    }

    #[test]
    fn every_translated_kind_survives_encode_then_decode() {
        let kinds = vec![
            EventKind::NoteOn {
                channel: 9,
                note: 60,
                velocity: 100,
            },
            EventKind::NoteOff {
                channel: 0,
                note: 127,
                velocity: 0,
            },
            EventKind::KeyPressure {
                channel: 15,
                note: 1,
                pressure: 2,
            },
            EventKind::ControlChange {
                channel: 1,
                controller: 7,
                value: 127,
            },
            EventKind::ProgramChange {
                channel: 2,
                program: 5,
            },
            EventKind::ChannelPressure {
                channel: 3,
                pressure: 64,
            },
            EventKind::PitchBend {
                channel: 4,
                value: -8192,
            },
            EventKind::PitchBend {
                channel: 4,
                value: 8191,
            },
            EventKind::SysEx(
                (0..1000)
                    .map(|i| if i == 0 { 0xF0 } else { (i % 128) as u8 })
                    .collect(),
            ),
            EventKind::SongPosition(16383),
            EventKind::SongSelect(9),
            EventKind::QuarterFrame(0x71),
            EventKind::TuneRequest,
            EventKind::Clock,
            EventKind::Start,
            EventKind::Continue,
            EventKind::Stop,
            EventKind::ActiveSensing,
            EventKind::Reset,
        ];
        for format in [CellFormat::Legacy, CellFormat::Ump] {
            for kind in &kinds {
                let bytes = as_delivered(one(kind.clone(), format), format);
                let decoded = decode_batch(&bytes, format);
                assert_eq!(decoded.len(), 1, "{kind:?} in {format:?}");
                let event = decoded[0].clone().unwrap();
                assert_eq!(&event.kind, kind);
                assert_eq!(
                    event.source,
                    Address {
                        client: 130,
                        port: 3
                    }
                );
                assert_eq!(
                    event.dest,
                    Address {
                        client: address::SUBSCRIBERS,
                        port: 253
                    }
                );
            }
        }
    }

    #[test]
    fn a_note_on_cell_has_the_kernel_layout() {
        let bytes = one(
            EventKind::NoteOn {
                channel: 1,
                note: 60,
                velocity: 100,
            },
            CellFormat::Legacy,
        );
        assert_eq!(bytes.len(), 28);
        assert_eq!(bytes[0], event_type::NOTEON);
        assert_eq!(bytes[3], address::QUEUE_DIRECT);
        assert_eq!(
            &bytes[12..16],
            &[0, 3, address::SUBSCRIBERS, address::UNKNOWN]
        );
        assert_eq!(&bytes[16..19], &[1, 60, 100]);
    }

    #[test]
    fn sysex_is_written_unpadded_after_its_cell() {
        let bytes = one(EventKind::SysEx(vec![0xF0, 1, 2, 0xF7]), CellFormat::Ump);
        assert_eq!(
            bytes.len(),
            28 + 4,
            "legacy cell even for a UMP client, then the data"
        );
        assert_eq!(
            bytes[1] & event_flags::LENGTH_MASK,
            event_flags::LENGTH_VARIABLE
        );
        assert_eq!(&bytes[16..20], &4u32.to_ne_bytes());
        assert_eq!(&bytes[28..], &[0xF0, 1, 2, 0xF7]);
    }

    #[test]
    fn ump_packets_travel_in_32_byte_cells() {
        let packet = UmpPacket::new(&[0x4090_3c00, 0xc924_0000]).unwrap();
        let bytes = one(EventKind::Ump(packet), CellFormat::Ump);
        assert_eq!(bytes.len(), 32);
        assert_ne!(bytes[1] & event_flags::UMP, 0);
        let decoded = decode_batch(&as_delivered(bytes, CellFormat::Ump), CellFormat::Ump);
        let EventKind::Ump(back) = &decoded[0].as_ref().unwrap().kind else {
            panic!("{decoded:?}")
        };
        assert_eq!(back.words(), &[0x4090_3c00, 0xc924_0000]);
        let mut out = Vec::new();
        assert_eq!(
            encode(&EventKind::Ump(packet), 0, CellFormat::Legacy, &mut out),
            Err(EncodeError::UmpNeedsUmpClient)
        );
    }

    #[test]
    fn a_batch_of_mixed_cells_decodes_in_order() {
        let mut bytes = Vec::new();
        for kind in [
            EventKind::Clock,
            EventKind::SysEx(vec![0xF0, 0x7E, 0xF7]),
            EventKind::NoteOn {
                channel: 0,
                note: 64,
                velocity: 1,
            },
        ] {
            bytes.extend(as_delivered(
                one(kind, CellFormat::Legacy),
                CellFormat::Legacy,
            ));
        }
        let kinds: Vec<EventKind> = decode_batch(&bytes, CellFormat::Legacy)
            .into_iter()
            .map(|e| e.unwrap().kind)
            .collect();
        assert_eq!(
            kinds,
            vec![
                EventKind::Clock,
                EventKind::SysEx(vec![0xF0, 0x7E, 0xF7]),
                EventKind::NoteOn {
                    channel: 0,
                    note: 64,
                    velocity: 1
                },
            ]
        );
    }

    #[test]
    fn system_events_decode_to_addresses() {
        let mut cell = [0u8; 28];
        cell[0] = event_type::PORT_SUBSCRIBED;
        cell[16..20].copy_from_slice(&[129, 0, 128, 2]);
        let event = decode_batch(&cell, CellFormat::Legacy).remove(0).unwrap();
        assert_eq!(
            event.kind,
            EventKind::PortSubscribed {
                sender: Address {
                    client: 129,
                    port: 0
                },
                dest: Address {
                    client: 128,
                    port: 2
                }
            }
        );
        assert!(event.kind.is_system());
        cell[0] = event_type::CLIENT_START;
        assert_eq!(
            decode_batch(&cell, CellFormat::Legacy)
                .remove(0)
                .unwrap()
                .kind,
            EventKind::ClientStart(Address {
                client: 129,
                port: 0
            })
        );
        cell[0] = 99; // a user event type
        assert_eq!(
            decode_batch(&cell, CellFormat::Legacy)
                .remove(0)
                .unwrap()
                .kind,
            EventKind::Unknown { event_type: 99 }
        );
    }

    #[test]
    fn truncated_input_is_an_error_not_a_panic() {
        let note = one(
            EventKind::NoteOn {
                channel: 0,
                note: 1,
                velocity: 1,
            },
            CellFormat::Legacy,
        );
        for len in 1..28 {
            let got = decode_batch(&note[..len], CellFormat::Legacy);
            assert_eq!(
                got,
                vec![Err(DecodeError::TruncatedCell {
                    cell: 28,
                    available: len
                })]
            );
        }
        // A UMP reader given a 28-byte remainder.
        assert!(matches!(
            decode_batch(&note, CellFormat::Ump)[..],
            [Err(DecodeError::TruncatedCell {
                cell: 32,
                available: 28
            })]
        ));
        // A SysEx that declares more data than follows.
        let sysex = as_delivered(
            one(EventKind::SysEx(vec![0xF0; 100]), CellFormat::Legacy),
            CellFormat::Legacy,
        );
        let got = decode_batch(&sysex[..28 + 50], CellFormat::Legacy);
        assert_eq!(
            got,
            vec![Err(DecodeError::TruncatedData {
                declared: 100,
                padded: 112,
                available: 50
            })]
        );
        let mut huge = [0u8; 28];
        huge[0] = event_type::SYSEX;
        huge[1] = event_flags::LENGTH_VARIABLE;
        huge[16..20].copy_from_slice(&u32::MAX.to_ne_bytes());
        assert!(matches!(
            decode_batch(&huge, CellFormat::Legacy)[..],
            [Err(DecodeError::TruncatedData { .. })]
        ));
    }

    #[test]
    fn out_of_range_values_spoil_only_their_event() {
        let mut bytes = one(
            EventKind::NoteOn {
                channel: 0,
                note: 1,
                velocity: 1,
            },
            CellFormat::Legacy,
        );
        bytes[16] = 16; // channel 16
        bytes.extend(one(EventKind::Stop, CellFormat::Legacy));
        let got = decode_batch(&bytes, CellFormat::Legacy);
        assert_eq!(
            got[0],
            Err(DecodeError::OutOfRange(OutOfRange {
                what: "channel",
                value: 16,
                range: (0, 15)
            }))
        );
        assert_eq!(got[1].as_ref().unwrap().kind, EventKind::Stop);
        let mut sysex = [0u8; 28];
        sysex[0] = event_type::SYSEX;
        assert!(matches!(
            decode_batch(&sysex, CellFormat::Legacy)[0],
            Err(DecodeError::SysExNotVariable { .. })
        ));
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        // A cheap deterministic fuzz: every prefix of pseudo-random streams, both formats.
        let mut state = 0x1234_5678u32;
        let mut bytes = vec![0u8; 600];
        for round in 0..200 {
            for b in bytes.iter_mut() {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                *b = state as u8;
            }
            bytes[1] = if round % 2 == 0 {
                event_flags::LENGTH_VARIABLE
            } else {
                event_flags::UMP
            };
            for format in [CellFormat::Legacy, CellFormat::Ump] {
                let _ = decode_batch(&bytes[..(round * 3) % 600], format);
            }
        }
    }

    #[test]
    fn the_encoder_checks_ranges_and_refuses_kernel_events() {
        let mut out = Vec::new();
        let bad = EventKind::NoteOn {
            channel: 16,
            note: 0,
            velocity: 0,
        };
        let err = encode(&bad, 0, CellFormat::Legacy, &mut out).unwrap_err();
        assert_eq!(
            err.to_string(),
            "channel 16 is out of range: MIDI 1.0 allows 0 to 15"
        );
        let bad = EventKind::PitchBend {
            channel: 0,
            value: 9000,
        };
        assert!(matches!(
            encode(&bad, 0, CellFormat::Legacy, &mut out),
            Err(EncodeError::OutOfRange(_))
        ));
        let notice = EventKind::PortExit(Address::default());
        assert!(matches!(
            encode(&notice, 0, CellFormat::Legacy, &mut out),
            Err(EncodeError::NotSendable { .. })
        ));
        assert_eq!(
            encode(&EventKind::SysEx(vec![]), 0, CellFormat::Legacy, &mut out),
            Err(EncodeError::EmptySysEx)
        );
        assert!(out.is_empty(), "nothing is appended for a refused event");
    }

    #[test]
    fn ump_packet_length_follows_the_message_type() {
        assert_eq!(UmpPacket::new(&[0x2090_3c64]).unwrap().words().len(), 1);
        assert_eq!(
            UmpPacket::new(&[0x4090_3c00, 1, 2, 3]).unwrap().words(),
            &[0x4090_3c00, 1]
        );
        assert_eq!(
            UmpPacket::new(&[0xF000_0000, 1, 2, 3])
                .unwrap()
                .words()
                .len(),
            4
        );
        assert!(UmpPacket::new(&[0x4090_3c00]).is_none());
        assert!(UmpPacket::new(&[]).is_none());
    }
}
