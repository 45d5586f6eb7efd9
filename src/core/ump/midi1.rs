//! Translation between Universal MIDI Packets and MIDI 1.0 byte messages, for endpoints bridged
//! to MIDI 1.0 ports (the ALSA sequencer on kernels without UMP support).
//!
//! It follows the default translation rules of the UMP specification (M2-104-UM, its appendix
//! on translating between the MIDI 1.0 and MIDI 2.0 protocols). Both directions and
//! `docs/TRANSLATION.md` read the same three tables below ([`translation_markdown`] writes the
//! document), so a rule is changed in one place:
//!
//! - MIDI 1.0 status bytes: how many data bytes follow, and which UMP type carries them.
//! - MIDI 2.0 channel voice (UMP type 4) statuses: how each scales down to MIDI 1.0.
//! - UMP message types: what a MIDI 1.0 port does with each.
//!
//! # Conventions
//!
//! - A MIDI 1.0 port carries group 1 of its endpoint: group index 0 in the words
//!   ([`LEGACY_GROUP`]). What comes from the port goes out on it; UMP on other groups is not
//!   sent to the port.
//! - Nothing is dropped silently. Whatever is not translated is reported, in stream order, as
//!   a [`NotTranslated`] reason for the caller to count.
//! - Both translators are stateful per stream, and report through one callback that receives
//!   each translated message or reason as it happens.
//! - Data bytes and 7-bit UMP fields must have their top bit clear (a byte of 0x80 or more
//!   would be a status byte in MIDI 1.0); reserved bits and unused bytes are ignored.

use std::fmt::Write as _;

use thiserror::Error;

use super::decode::Words;
use super::{FramingError, check_single_message, message_type};

/// The group (0-based, as in the words) that a MIDI 1.0 port carries: group 1 of its endpoint.
pub const LEGACY_GROUP: u8 = 0;

/// The most data bytes (F0 and F7 not counted) that [`UmpToMidi1`] assembles into one SysEx
/// message. A longer SysEx is dropped and counted ([`NotTranslated::SysExTooLong`]), so a
/// sender that never ends a SysEx cannot make the engine grow without bound.
pub const MAX_SYSEX_BYTES: usize = 1 << 20;

const SYSEX_START: u8 = 0xF0;
const SYSEX_END: u8 = 0xF7;

// ---------------------------------------------------------------------------------------------
// The tables.

/// How many data bytes follow a MIDI 1.0 status byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DataBytes {
    Fixed(u8),
    /// System exclusive: any number, up to End of Exclusive (F7).
    UntilEnd,
}

/// Which UMP message type carries a MIDI 1.0 message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Carrier {
    /// Type 1: the status and data bytes in one word.
    System,
    /// Type 2: the status and data bytes in one word.
    ChannelVoice,
    /// Type 3: the data bytes in 64-bit packets of up to 6.
    SysEx7,
    /// None: an undefined status, or End of Exclusive outside a SysEx.
    Dropped,
}

impl Carrier {
    const fn ump_type(self) -> Option<u8> {
        match self {
            Carrier::System => Some(0x1),
            Carrier::ChannelVoice => Some(0x2),
            Carrier::SysEx7 => Some(0x3),
            Carrier::Dropped => None,
        }
    }
}

/// One MIDI 1.0 status byte: a channel voice status (low nibble 0 here, any channel on the
/// wire) or a system status.
struct Midi1Kind {
    status: u8,
    name: &'static str,
    data: DataBytes,
    carrier: Carrier,
    /// The rule in words, beyond "status and data bytes unchanged".
    rule: &'static str,
}

const fn midi1(
    status: u8,
    name: &'static str,
    data: DataBytes,
    carrier: Carrier,
    rule: &'static str,
) -> Midi1Kind {
    Midi1Kind {
        status,
        name,
        data,
        carrier,
        rule,
    }
}

use Carrier::{ChannelVoice, Dropped, SysEx7, System};
use DataBytes::{Fixed, UntilEnd};

const UNDEFINED: &str = "undefined; dropped and counted";
const SYSEX_RULE: &str =
    "data bytes in packets of up to 6 (Complete, or Start, Continue..., End); F0, F7 implied";

/// Every MIDI 1.0 status: the seven channel voice statuses 8n to En, then F0 to FF in order
/// ([`midi1_kind`] indexes it).
#[rustfmt::skip]
const MIDI1_KINDS: [Midi1Kind; 23] = [
    midi1(0x80, "Note Off",                     Fixed(2), ChannelVoice, ""),
    midi1(0x90, "Note On",                      Fixed(2), ChannelVoice, "velocity 0 stays a Note On of velocity 0"),
    midi1(0xA0, "Poly Pressure",                Fixed(2), ChannelVoice, ""),
    midi1(0xB0, "Control Change",               Fixed(2), ChannelVoice, "bank select, RPN and NRPN controllers too"),
    midi1(0xC0, "Program Change",               Fixed(1), ChannelVoice, ""),
    midi1(0xD0, "Channel Pressure",             Fixed(1), ChannelVoice, ""),
    midi1(0xE0, "Pitch Bend",                   Fixed(2), ChannelVoice, "LSB then MSB, as on the wire"),
    midi1(0xF0, "System Exclusive",             UntilEnd, SysEx7,       SYSEX_RULE),
    midi1(0xF1, "MIDI Time Code Quarter Frame", Fixed(1), System,       ""),
    midi1(0xF2, "Song Position Pointer",        Fixed(2), System,       ""),
    midi1(0xF3, "Song Select",                  Fixed(1), System,       ""),
    midi1(0xF4, "(undefined)",                  Fixed(0), Dropped,      UNDEFINED),
    midi1(0xF5, "(undefined)",                  Fixed(0), Dropped,      UNDEFINED),
    midi1(0xF6, "Tune Request",                 Fixed(0), System,       ""),
    midi1(0xF7, "End of Exclusive",             Fixed(0), Dropped,      "ends a SysEx; on its own, dropped and counted"),
    midi1(0xF8, "Timing Clock",                 Fixed(0), System,       ""),
    midi1(0xF9, "(undefined)",                  Fixed(0), Dropped,      UNDEFINED),
    midi1(0xFA, "Start",                        Fixed(0), System,       ""),
    midi1(0xFB, "Continue",                     Fixed(0), System,       ""),
    midi1(0xFC, "Stop",                         Fixed(0), System,       ""),
    midi1(0xFD, "(undefined)",                  Fixed(0), Dropped,      UNDEFINED),
    midi1(0xFE, "Active Sensing",               Fixed(0), System,       ""),
    midi1(0xFF, "Reset",                        Fixed(0), System,       ""),
];

/// The row of a status byte (0x80 to 0xFF); `None` for a data byte.
fn midi1_kind(status: u8) -> Option<&'static Midi1Kind> {
    match status {
        0x80..=0xEF => Some(&MIDI1_KINDS[usize::from(status >> 4) - 8]),
        0xF0..=0xFF => Some(&MIDI1_KINDS[7 + usize::from(status & 0x0F)]),
        _ => None,
    }
}

/// System real-time messages (F8 to FF) may appear anywhere, even inside another message.
const fn is_real_time(status: u8) -> bool {
    status >= 0xF8
}

/// How a MIDI 2.0 channel voice message becomes MIDI 1.0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Midi2Rule {
    /// Velocity 16 to 7 bits; the attribute is dropped. A Note On whose velocity scales to 0 is
    /// sent with velocity 1, because velocity 0 would end the note in MIDI 1.0.
    Note {
        midi1_status: u8,
    },
    /// The value 32 to 7 bits, after the note or controller number if the MIDI 1.0 message has one.
    Value7 {
        midi1_status: u8,
    },
    /// 32 to 14 bits.
    PitchBend,
    /// The program; with the bank-valid flag, CC 0 and CC 32 with the bank first.
    Program,
    /// A registered (RPN) or assignable (NRPN) controller as four control changes: the number
    /// (bank, index), then the value 32 to 14 bits as Data Entry MSB (CC 6) and LSB (CC 38).
    Controller {
        bank_cc: u8,
        index_cc: u8,
    },
    NoForm(NoForm),
    Reserved,
}

struct Midi2Kind {
    status: u8,
    name: &'static str,
    rule: Midi2Rule,
}

const fn midi2(status: u8, name: &'static str, rule: Midi2Rule) -> Midi2Kind {
    Midi2Kind { status, name, rule }
}

/// Every MIDI 2.0 channel voice status (the high nibble of byte 1), 0 to F in order.
#[rustfmt::skip]
const MIDI2_KINDS: [Midi2Kind; 16] = [
    midi2(0x0, "Registered Per-Note Controller", Midi2Rule::NoForm(NoForm::PerNote)),
    midi2(0x1, "Assignable Per-Note Controller", Midi2Rule::NoForm(NoForm::PerNote)),
    midi2(0x2, "Registered Controller (RPN)",    Midi2Rule::Controller { bank_cc: 101, index_cc: 100 }),
    midi2(0x3, "Assignable Controller (NRPN)",   Midi2Rule::Controller { bank_cc: 99, index_cc: 98 }),
    midi2(0x4, "Relative Registered Controller", Midi2Rule::NoForm(NoForm::RelativeController)),
    midi2(0x5, "Relative Assignable Controller", Midi2Rule::NoForm(NoForm::RelativeController)),
    midi2(0x6, "Per-Note Pitch Bend",            Midi2Rule::NoForm(NoForm::PerNote)),
    midi2(0x7, "(reserved)",                     Midi2Rule::Reserved),
    midi2(0x8, "Note Off",                       Midi2Rule::Note { midi1_status: 0x80 }),
    midi2(0x9, "Note On",                        Midi2Rule::Note { midi1_status: 0x90 }),
    midi2(0xA, "Poly Pressure",                  Midi2Rule::Value7 { midi1_status: 0xA0 }),
    midi2(0xB, "Control Change",                 Midi2Rule::Value7 { midi1_status: 0xB0 }),
    midi2(0xC, "Program Change",                 Midi2Rule::Program),
    midi2(0xD, "Channel Pressure",               Midi2Rule::Value7 { midi1_status: 0xD0 }),
    midi2(0xE, "Pitch Bend",                     Midi2Rule::PitchBend),
    midi2(0xF, "Per-Note Management",            Midi2Rule::NoForm(NoForm::PerNote)),
];

/// What a MIDI 1.0 port does with a UMP message type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bridge {
    /// The MIDI 1.0 message whose bytes the word carries (types 1 and 2).
    Bytes(Carrier),
    /// SysEx7 packets assembled into one F0 ... F7 message.
    SysEx7,
    /// Scaled down by the MIDI 2.0 table.
    Midi2,
    NoForm(NoForm),
}

struct UmpTypeKind {
    mt: u8,
    name: &'static str,
    /// Whether the type has a group field (only group 1 reaches a MIDI 1.0 port).
    grouped: bool,
    bridge: Bridge,
}

const fn ump_type(mt: u8, name: &'static str, grouped: bool, bridge: Bridge) -> UmpTypeKind {
    UmpTypeKind {
        mt,
        name,
        grouped,
        bridge,
    }
}

const RESERVED: Bridge = Bridge::NoForm(NoForm::ReservedType);

/// Every UMP message type, 0 to F in order.
#[rustfmt::skip]
const UMP_TYPES: [UmpTypeKind; 16] = [
    ump_type(0x0, "Utility",                           false, Bridge::NoForm(NoForm::Utility)),
    ump_type(0x1, "System Common and Real Time",       true,  Bridge::Bytes(System)),
    ump_type(0x2, "MIDI 1.0 Channel Voice",            true,  Bridge::Bytes(ChannelVoice)),
    ump_type(0x3, "Data 64 (SysEx7)",                  true,  Bridge::SysEx7),
    ump_type(0x4, "MIDI 2.0 Channel Voice",            true,  Bridge::Midi2),
    ump_type(0x5, "Data 128 (SysEx8, Mixed Data Set)", true,  Bridge::NoForm(NoForm::Data128)),
    ump_type(0x6, "(reserved)",                        false, RESERVED),
    ump_type(0x7, "(reserved)",                        false, RESERVED),
    ump_type(0x8, "(reserved)",                        false, RESERVED),
    ump_type(0x9, "(reserved)",                        false, RESERVED),
    ump_type(0xA, "(reserved)",                        false, RESERVED),
    ump_type(0xB, "(reserved)",                        false, RESERVED),
    ump_type(0xC, "(reserved)",                        false, RESERVED),
    ump_type(0xD, "Flex Data",                         true,  Bridge::NoForm(NoForm::FlexData)),
    ump_type(0xE, "(reserved)",                        false, RESERVED),
    ump_type(0xF, "UMP Stream",                        false, Bridge::NoForm(NoForm::UmpStream)),
];

// ---------------------------------------------------------------------------------------------
// Why something was not translated.

/// A kind of UMP message that MIDI 1.0 cannot express.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NoForm {
    /// Type 0: NOOP, jitter-reduction clock and timestamps, delta clockstamps.
    Utility,
    /// Per-note controllers, per-note pitch bend and per-note management (type 4).
    PerNote,
    /// Relative registered and assignable controllers (type 4).
    RelativeController,
    /// Type 5: SysEx8 and mixed data sets.
    Data128,
    /// Type D: flex data (tempo, time signature, texts...).
    FlexData,
    /// Type F: UMP stream messages (endpoint and function block discovery...).
    UmpStream,
    /// Types 6 to C and E, which the UMP specification reserves.
    ReservedType,
}

impl std::fmt::Display for NoForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            NoForm::Utility => "a utility message (type 0)",
            NoForm::PerNote => "a MIDI 2.0 per-note message",
            NoForm::RelativeController => "a MIDI 2.0 relative controller",
            NoForm::Data128 => "a SysEx8 or mixed data set message (type 5)",
            NoForm::FlexData => "a flex data message (type D)",
            NoForm::UmpStream => "a UMP stream message (type F)",
            NoForm::ReservedType => "a message of a reserved type",
        })
    }
}

/// The form of a SysEx7 packet (the status nibble).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SysExForm {
    Complete = 0,
    Start = 1,
    Continue = 2,
    End = 3,
}

impl SysExForm {
    fn from_status(status: u8) -> Option<Self> {
        Some(match status {
            0 => SysExForm::Complete,
            1 => SysExForm::Start,
            2 => SysExForm::Continue,
            3 => SysExForm::End,
            _ => return None,
        })
    }
}

/// What makes an input ill-formed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Error)]
pub enum Malformed {
    #[error("nothing was given; a message has a status byte or 1 to 4 words")]
    Empty,
    #[error("a UMP message of type {mt:X} has {needed} word(s), but {given} were given")]
    WrongLength { mt: u8, needed: usize, given: usize },
    #[error("status 0x{status:02X} is not defined for UMP type {mt:X}")]
    ReservedStatus { mt: u8, status: u8 },
    #[error("byte 0x{byte:02X} has its top bit set where a data byte (0x00 to 0x7F) belongs")]
    HighDataBit { byte: u8 },
    #[error("a SysEx7 packet says it holds {count} bytes; it holds 0 to 6")]
    SysExByteCount { count: u8 },
    #[error("a SysEx7 {form:?} packet came without a Start before it")]
    SysExWithoutStart { form: SysExForm },
    #[error("data byte 0x{byte:02X} came without a status byte (and no running status applies)")]
    DataWithoutStatus { byte: u8 },
    #[error("message 0x{status:02X} ended after {have} of its {needed} data bytes")]
    Truncated { status: u8, have: u8, needed: u8 },
    #[error("status 0x{status:02X} is undefined in MIDI 1.0")]
    UndefinedStatus { status: u8 },
    #[error("End of Exclusive (0xF7) came outside a SysEx")]
    StrayEndOfExclusive,
    #[error(
        "the bytes are not one complete message: a status byte and its data, or F0, data bytes and F7"
    )]
    NotOneMessage,
}

/// Why a message was not translated. The engine counts these ([`NotTranslated::key`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Error)]
pub enum NotTranslated {
    #[error(
        "group {} is not carried by a MIDI 1.0 port, which carries group 1 only",
        u16::from(*group) + 1
    )]
    OtherGroup {
        /// The group as in the words (0-based).
        group: u8,
    },
    #[error("{0} has no MIDI 1.0 form")]
    NoMidi1Form(NoForm),
    #[error("malformed: {0}")]
    Malformed(Malformed),
    #[error("a SysEx ended before its End of Exclusive and was dropped")]
    SysExAborted,
    #[error("a SysEx of more than {cap} data bytes was dropped; at most {cap} are assembled")]
    SysExTooLong { cap: usize },
}

impl NotTranslated {
    /// A short, stable name to count the reason under.
    pub const fn key(&self) -> &'static str {
        match self {
            NotTranslated::OtherGroup { .. } => "other_group",
            NotTranslated::NoMidi1Form(_) => "no_midi1_form",
            NotTranslated::Malformed(_) => "malformed",
            NotTranslated::SysExAborted => "sysex_aborted",
            NotTranslated::SysExTooLong { .. } => "sysex_too_long",
        }
    }
}

impl From<Malformed> for NotTranslated {
    fn from(why: Malformed) -> Self {
        NotTranslated::Malformed(why)
    }
}

impl From<FramingError> for NotTranslated {
    fn from(error: FramingError) -> Self {
        NotTranslated::Malformed(match error {
            FramingError::Empty => Malformed::Empty,
            FramingError::WrongLength {
                mt, needed, given, ..
            }
            | FramingError::Truncated {
                mt,
                needed,
                available: given,
                ..
            } => Malformed::WrongLength { mt, needed, given },
        })
    }
}

/// A byte of a 7-bit field, refused if its top bit is set.
fn seven(byte: u8) -> Result<u8, NotTranslated> {
    if byte < 0x80 {
        Ok(byte)
    } else {
        Err(Malformed::HighDataBit { byte }.into())
    }
}

// ---------------------------------------------------------------------------------------------
// Scaling down: a plain shift, which inverts the specification's min-centre-max up-scaling.

const fn scale_16_to_7(value: u16) -> u8 {
    (value >> 9) as u8
}

const fn scale_32_to_7(value: u32) -> u8 {
    (value >> 25) as u8
}

const fn scale_32_to_14(value: u32) -> u16 {
    (value >> 18) as u16
}

// ---------------------------------------------------------------------------------------------
// UMP to MIDI 1.0.

/// A MIDI 1.0 message of at most three bytes.
#[derive(Debug, Clone, Copy, Default)]
struct Short {
    bytes: [u8; 3],
    len: usize,
}

impl Short {
    fn new(status: u8) -> Self {
        Short {
            bytes: [status, 0, 0],
            len: 1,
        }
    }

    fn with(mut self, data: u8) -> Self {
        self.bytes[self.len] = data;
        self.len += 1;
        self
    }

    fn as_slice(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

/// The up to four MIDI 1.0 messages one MIDI 2.0 message becomes (an RPN is four CCs).
#[derive(Default)]
struct Shorts {
    items: [Short; 4],
    len: usize,
}

impl Shorts {
    fn push(&mut self, short: Short) {
        self.items[self.len] = short;
        self.len += 1;
    }

    fn cc(&mut self, channel: u8, controller: u8, value: u8) {
        self.push(Short::new(0xB0 | channel).with(controller).with(value));
    }

    fn as_slice(&self) -> &[Short] {
        &self.items[..self.len]
    }
}

/// Where a SysEx7 stream stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Assembly {
    Idle,
    /// Between a Start and its End; the buffer holds F0 and the data so far.
    Collecting,
    /// The SysEx under way was already dropped and counted; its remaining packets go too.
    Discarding,
}

/// Translates the UMP messages of one stream (one endpoint's output) into MIDI 1.0 messages
/// for a MIDI 1.0 port. Stateful only for SysEx7, whose packets it assembles into one whole
/// F0 ... F7 message of up to [`MAX_SYSEX_BYTES`] data bytes. Other messages between the
/// packets of a SysEx pass through at once; the SysEx follows whole when its End arrives.
#[derive(Debug)]
pub struct UmpToMidi1 {
    assembly: Assembly,
    sysex: Vec<u8>,
}

impl Default for UmpToMidi1 {
    fn default() -> Self {
        Self::new()
    }
}

impl UmpToMidi1 {
    pub fn new() -> Self {
        UmpToMidi1 {
            assembly: Assembly::Idle,
            sysex: Vec::new(),
        }
    }

    /// Translates one UMP message (its words, exactly as many as its type has). `emit` gets
    /// each complete MIDI 1.0 message (a status byte and its data; a SysEx from F0 to F7) and
    /// each reason something was not translated, in order: usually one or the other, none for
    /// a SysEx packet that is not the last, and a reason then a message when a new SysEx
    /// interrupts an unfinished one.
    pub fn translate(&mut self, words: &[u32], mut emit: impl FnMut(Result<&[u8], NotTranslated>)) {
        if let Err(why) = self.translate_one(words, &mut emit) {
            emit(Err(why));
        }
    }

    fn translate_one<E>(&mut self, words: &[u32], emit: &mut E) -> Result<(), NotTranslated>
    where
        E: FnMut(Result<&[u8], NotTranslated>),
    {
        check_single_message(words)?;
        let w = Words::new(words);
        let kind = &UMP_TYPES[usize::from(message_type(w.word(0)))];
        if kind.grouped && w.group() != LEGACY_GROUP {
            return Err(NotTranslated::OtherGroup { group: w.group() });
        }
        match kind.bridge {
            Bridge::Bytes(carrier) => emit(Ok(fixed_message(&w, carrier)?.as_slice())),
            Bridge::Midi2 => {
                for short in midi2_to_midi1(&w)?.as_slice() {
                    emit(Ok(short.as_slice()));
                }
            }
            Bridge::SysEx7 => self.sysex7(&w, emit)?,
            Bridge::NoForm(form) => return Err(NotTranslated::NoMidi1Form(form)),
        }
        Ok(())
    }

    fn sysex7<E>(&mut self, w: &Words, emit: &mut E) -> Result<(), NotTranslated>
    where
        E: FnMut(Result<&[u8], NotTranslated>),
    {
        let Some(form) = SysExForm::from_status(w.byte(1) >> 4) else {
            let status = w.byte(1) >> 4;
            return Err(Malformed::ReservedStatus { mt: 0x3, status }.into());
        };
        let data = match sysex7_data(w) {
            Ok(data) => data,
            Err(why) => {
                // A bad packet spoils the SysEx it belongs to; a bad Start or Complete also
                // ends the one under way, as a good one would.
                if matches!(form, SysExForm::Start | SysExForm::Complete) && self.abort() {
                    emit(Err(NotTranslated::SysExAborted));
                }
                self.release();
                self.assembly = match form {
                    SysExForm::Start | SysExForm::Continue => Assembly::Discarding,
                    SysExForm::Complete | SysExForm::End => Assembly::Idle,
                };
                return Err(why);
            }
        };
        let data = data.as_slice();
        match form {
            SysExForm::Complete | SysExForm::Start => {
                if self.abort() {
                    emit(Err(NotTranslated::SysExAborted));
                }
                self.sysex.push(SYSEX_START);
                self.sysex.extend_from_slice(data);
                if form == SysExForm::Start {
                    self.assembly = Assembly::Collecting;
                } else {
                    self.finish_sysex(emit);
                }
                Ok(())
            }
            SysExForm::Continue | SysExForm::End => match self.assembly {
                Assembly::Idle => Err(Malformed::SysExWithoutStart { form }.into()),
                Assembly::Discarding => {
                    if form == SysExForm::End {
                        self.assembly = Assembly::Idle;
                    }
                    Ok(())
                }
                Assembly::Collecting => self.append(form, data, emit),
            },
        }
    }

    /// Adds a Continue or End packet to the SysEx under way.
    fn append<E>(&mut self, form: SysExForm, data: &[u8], emit: &mut E) -> Result<(), NotTranslated>
    where
        E: FnMut(Result<&[u8], NotTranslated>),
    {
        // The buffer holds F0 before the data.
        if self.sysex.len() - 1 + data.len() > MAX_SYSEX_BYTES {
            self.release();
            self.assembly = if form == SysExForm::End {
                Assembly::Idle
            } else {
                Assembly::Discarding
            };
            return Err(NotTranslated::SysExTooLong {
                cap: MAX_SYSEX_BYTES,
            });
        }
        self.sysex.extend_from_slice(data);
        if form == SysExForm::End {
            self.finish_sysex(emit);
        }
        Ok(())
    }

    fn finish_sysex<E>(&mut self, emit: &mut E)
    where
        E: FnMut(Result<&[u8], NotTranslated>),
    {
        self.sysex.push(SYSEX_END);
        emit(Ok(&self.sysex));
        self.release();
        self.assembly = Assembly::Idle;
    }

    /// Drops a SysEx under way; true if it still had to be counted.
    fn abort(&mut self) -> bool {
        let counted = self.assembly == Assembly::Collecting;
        self.release();
        self.assembly = Assembly::Idle;
        counted
    }

    /// Empties the buffer, and gives back the memory of an unusually long SysEx.
    fn release(&mut self) {
        self.sysex.clear();
        self.sysex.shrink_to(4096);
    }
}

/// The data bytes of a SysEx7 packet, checked.
fn sysex7_data(w: &Words) -> Result<Short6, NotTranslated> {
    let count = w.byte(1) & 0x0F;
    if count > 6 {
        return Err(Malformed::SysExByteCount { count }.into());
    }
    let mut data = Short6 {
        len: usize::from(count),
        ..Short6::default()
    };
    for (index, slot) in data.bytes.iter_mut().enumerate().take(data.len) {
        *slot = seven(w.byte(2 + index))?;
    }
    Ok(data)
}

/// The up to six data bytes of a SysEx7 packet.
#[derive(Debug, Clone, Copy, Default)]
struct Short6 {
    bytes: [u8; 6],
    len: usize,
}

impl Short6 {
    fn as_slice(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

/// A type 1 or type 2 word as the MIDI 1.0 message whose bytes it carries.
fn fixed_message(w: &Words, carrier: Carrier) -> Result<Short, NotTranslated> {
    let status = w.byte(1);
    let reserved = Malformed::ReservedStatus {
        mt: message_type(w.word(0)),
        status,
    };
    let kind = midi1_kind(status)
        .filter(|kind| kind.carrier == carrier)
        .ok_or(reserved)?;
    let Fixed(count) = kind.data else {
        return Err(reserved.into());
    };
    let mut short = Short::new(status);
    for index in 0..usize::from(count) {
        short = short.with(seven(w.byte(2 + index))?);
    }
    Ok(short)
}

/// A MIDI 2.0 channel voice message (type 4) scaled down to MIDI 1.0.
fn midi2_to_midi1(w: &Words) -> Result<Shorts, NotTranslated> {
    let (status, channel) = (w.byte(1) >> 4, w.byte(1) & 0x0F);
    let data = w.word(1);
    let mut out = Shorts::default();
    match MIDI2_KINDS[usize::from(status)].rule {
        Midi2Rule::Note { midi1_status } => {
            let mut velocity = scale_16_to_7((data >> 16) as u16);
            if midi1_status == 0x90 && velocity == 0 {
                velocity = 1;
            }
            out.push(
                Short::new(midi1_status | channel)
                    .with(seven(w.byte(2))?)
                    .with(velocity),
            );
        }
        Midi2Rule::Value7 { midi1_status } => {
            let mut short = Short::new(midi1_status | channel);
            if midi1_kind(midi1_status).is_some_and(|kind| kind.data == Fixed(2)) {
                short = short.with(seven(w.byte(2))?);
            }
            out.push(short.with(scale_32_to_7(data)));
        }
        Midi2Rule::PitchBend => {
            let value = scale_32_to_14(data);
            let (lsb, msb) = ((value & 0x7F) as u8, (value >> 7) as u8);
            out.push(Short::new(0xE0 | channel).with(lsb).with(msb));
        }
        Midi2Rule::Program => program_change(w, channel, &mut out)?,
        Midi2Rule::Controller { bank_cc, index_cc } => {
            let (bank, index) = (seven(w.byte(2))?, seven(w.byte(3))?);
            let value = scale_32_to_14(data);
            out.cc(channel, bank_cc, bank);
            out.cc(channel, index_cc, index);
            out.cc(channel, 6, (value >> 7) as u8);
            out.cc(channel, 38, (value & 0x7F) as u8);
        }
        Midi2Rule::NoForm(form) => return Err(NotTranslated::NoMidi1Form(form)),
        Midi2Rule::Reserved => return Err(Malformed::ReservedStatus { mt: 0x4, status }.into()),
    }
    Ok(out)
}

/// Program change: with the bank-valid flag (bit 0 of byte 3), Bank Select MSB (CC 0) and LSB
/// (CC 32) go first, as MIDI 1.0 selects banks.
fn program_change(w: &Words, channel: u8, out: &mut Shorts) -> Result<(), NotTranslated> {
    let program = seven(w.byte(4))?;
    if w.byte(3) & 0x01 == 1 {
        let (msb, lsb) = (seven(w.byte(6))?, seven(w.byte(7))?);
        out.cc(channel, 0, msb);
        out.cc(channel, 32, lsb);
    }
    out.push(Short::new(0xC0 | channel).with(program));
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// MIDI 1.0 to UMP.

/// A type 1 or type 2 word carrying a MIDI 1.0 message of at most three bytes, on group 1.
/// `carrier` is `System` or `ChannelVoice`, the carriers with a one-word form.
fn fixed_word(carrier: Carrier, bytes: &[u8]) -> u32 {
    debug_assert!(matches!(carrier, System | ChannelVoice), "{carrier:?}");
    let mt = carrier.ump_type().unwrap_or(0x1);
    let mut word = (u32::from(mt) << 28) | (u32::from(LEGACY_GROUP) << 24);
    for (index, byte) in bytes.iter().take(3).enumerate() {
        word |= u32::from(*byte) << (16 - 8 * index);
    }
    word
}

/// One SysEx7 packet of up to six data bytes, on group 1.
fn sysex7_packet(form: SysExForm, data: &[u8]) -> [u32; 2] {
    let mut bytes = [0u8; 8];
    bytes[0] = 0x30 | LEGACY_GROUP;
    bytes[1] = ((form as u8) << 4) | data.len() as u8;
    bytes[2..2 + data.len()].copy_from_slice(data);
    let word = |i: usize| u32::from_be_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
    [word(0), word(4)]
}

/// Cuts the data of a SysEx into packets as it arrives. It holds up to six bytes back, so the
/// last packet can say End (or Complete) without an empty packet after it.
#[derive(Debug, Clone, Copy, Default)]
struct SysExPacker {
    held: Short6,
    /// A Start packet went out.
    started: bool,
}

impl SysExPacker {
    fn push<E>(&mut self, byte: u8, emit: &mut E)
    where
        E: FnMut(Result<&[u32], NotTranslated>),
    {
        if self.held.len == 6 {
            let form = if self.started {
                SysExForm::Continue
            } else {
                SysExForm::Start
            };
            emit(Ok(&sysex7_packet(form, self.held.as_slice())));
            self.started = true;
            self.held.len = 0;
        }
        self.held.bytes[self.held.len] = byte;
        self.held.len += 1;
    }

    fn end<E>(self, emit: &mut E)
    where
        E: FnMut(Result<&[u32], NotTranslated>),
    {
        let form = if self.started {
            SysExForm::End
        } else {
            SysExForm::Complete
        };
        emit(Ok(&sysex7_packet(form, self.held.as_slice())));
    }
}

/// A message whose data bytes are still to come.
#[derive(Debug, Clone, Copy)]
struct Pending {
    short: Short,
    /// Bytes in all, status included.
    needed: usize,
    carrier: Carrier,
}

impl Pending {
    /// `None` for a status without data bytes, which is complete at once.
    fn new(kind: &Midi1Kind, status: u8) -> Option<Self> {
        match kind.data {
            Fixed(count) if count > 0 => Some(Pending {
                short: Short::new(status),
                needed: 1 + usize::from(count),
                carrier: kind.carrier,
            }),
            _ => None,
        }
    }
}

/// Where a MIDI 1.0 byte stream stands.
#[derive(Debug, Clone, Copy)]
enum Parse {
    /// Between messages.
    Idle,
    /// Inside a message with a status and data bytes.
    Message(Pending),
    /// Inside a SysEx.
    SysEx(SysExPacker),
}

/// Parses the MIDI 1.0 byte stream of one MIDI 1.0 port into UMP on group 1: channel voice as
/// type 2, system common and real time as type 1, SysEx of any length as type 3 packets.
/// Handles running status, real-time bytes anywhere (also inside a message or a SysEx: they go
/// out at once), and SysEx split across calls. A SysEx cut off by another status byte is
/// dropped and counted; if it had already filled a Start packet, that packet has gone out, and
/// receivers ([`UmpToMidi1`] included) drop the unfinished SysEx when the next one starts.
#[derive(Debug, Clone)]
pub struct Midi1ToUmp {
    /// The channel voice message that data bytes without a status byte continue (running
    /// status), before its first data byte.
    running: Option<Pending>,
    parse: Parse,
}

impl Default for Midi1ToUmp {
    fn default() -> Self {
        Self::new()
    }
}

impl Midi1ToUmp {
    pub fn new() -> Self {
        Midi1ToUmp {
            running: None,
            parse: Parse::Idle,
        }
    }

    /// Feeds bytes of the stream. `emit` gets each UMP message (its words) as soon as it is
    /// complete, and each reason something was dropped, in order.
    pub fn push_bytes(
        &mut self,
        bytes: &[u8],
        mut emit: impl FnMut(Result<&[u32], NotTranslated>),
    ) {
        for &byte in bytes {
            self.push(byte, &mut emit);
        }
    }

    /// Ends the stream (the port closed): an unfinished message or SysEx is dropped and
    /// reported, and running status is forgotten.
    pub fn finish(&mut self, mut emit: impl FnMut(Result<&[u32], NotTranslated>)) {
        self.drop_unfinished(&mut emit);
        self.running = None;
    }

    fn push<E>(&mut self, byte: u8, emit: &mut E)
    where
        E: FnMut(Result<&[u32], NotTranslated>),
    {
        match midi1_kind(byte) {
            None => self.data_byte(byte, emit),
            Some(kind) if is_real_time(byte) => match kind.carrier {
                System => emit(Ok(&[fixed_word(System, &[byte])])),
                _ => emit(Err(Malformed::UndefinedStatus { status: byte }.into())),
            },
            Some(kind) => self.status_byte(kind, byte, emit),
        }
    }

    fn status_byte<E>(&mut self, kind: &Midi1Kind, status: u8, emit: &mut E)
    where
        E: FnMut(Result<&[u32], NotTranslated>),
    {
        if let (Parse::SysEx(packer), SYSEX_END) = (self.parse, status) {
            packer.end(emit);
            self.parse = Parse::Idle;
            return;
        }
        self.drop_unfinished(emit);
        self.running = None;
        match kind.carrier {
            SysEx7 => self.parse = Parse::SysEx(SysExPacker::default()),
            System | ChannelVoice => match Pending::new(kind, status) {
                None => emit(Ok(&[fixed_word(kind.carrier, &[status])])),
                Some(pending) => {
                    // Only a channel voice status runs on; every other status cancels it.
                    if kind.carrier == ChannelVoice {
                        self.running = Some(pending);
                    }
                    self.parse = Parse::Message(pending);
                }
            },
            Dropped if status == SYSEX_END => emit(Err(Malformed::StrayEndOfExclusive.into())),
            Dropped => emit(Err(Malformed::UndefinedStatus { status }.into())),
        }
    }

    fn data_byte<E>(&mut self, byte: u8, emit: &mut E)
    where
        E: FnMut(Result<&[u32], NotTranslated>),
    {
        match &mut self.parse {
            Parse::SysEx(packer) => packer.push(byte, emit),
            Parse::Message(pending) => {
                pending.short = pending.short.with(byte);
                if pending.short.len == pending.needed {
                    emit(Ok(&[fixed_word(pending.carrier, pending.short.as_slice())]));
                    self.parse = Parse::Idle;
                }
            }
            Parse::Idle => match self.running {
                Some(pending) => {
                    self.parse = Parse::Message(pending);
                    self.data_byte(byte, emit);
                }
                None => emit(Err(Malformed::DataWithoutStatus { byte }.into())),
            },
        }
    }

    /// Reports and forgets a message or SysEx that a status byte (or the end) cut off.
    fn drop_unfinished<E>(&mut self, emit: &mut E)
    where
        E: FnMut(Result<&[u32], NotTranslated>),
    {
        match std::mem::replace(&mut self.parse, Parse::Idle) {
            Parse::Idle => {}
            Parse::Message(pending) => emit(Err(Malformed::Truncated {
                status: pending.short.bytes[0],
                have: (pending.short.len - 1) as u8,
                needed: (pending.needed - 1) as u8,
            }
            .into())),
            Parse::SysEx(_) => emit(Err(NotTranslated::SysExAborted)),
        }
    }
}

/// Translates one complete MIDI 1.0 message — a status byte and its data bytes, or a SysEx
/// from F0 to F7 — into UMP words on group 1 (several SysEx7 packets for a long SysEx). For
/// messages that arrive already parsed, as sequencer events do; a SysEx that arrives in
/// pieces goes through [`Midi1ToUmp`], which assembles nothing and keeps no limit.
pub fn message_to_ump(bytes: &[u8]) -> Result<Vec<u32>, NotTranslated> {
    let (&status, data) = bytes.split_first().ok_or(Malformed::Empty)?;
    let kind = midi1_kind(status).ok_or(Malformed::DataWithoutStatus { byte: status })?;
    match (kind.carrier, kind.data) {
        (SysEx7, _) => sysex_to_ump(data),
        (System | ChannelVoice, Fixed(count)) => {
            let count = usize::from(count);
            if data.len() < count {
                return Err(Malformed::Truncated {
                    status,
                    have: data.len() as u8,
                    needed: count as u8,
                }
                .into());
            }
            if data.len() > count {
                return Err(Malformed::NotOneMessage.into());
            }
            for byte in data {
                seven(*byte)?;
            }
            Ok(vec![fixed_word(kind.carrier, bytes)])
        }
        _ if status == SYSEX_END => Err(Malformed::StrayEndOfExclusive.into()),
        _ => Err(Malformed::UndefinedStatus { status }.into()),
    }
}

/// The packets of a SysEx whose bytes after F0 are `rest` (ending in F7).
fn sysex_to_ump(rest: &[u8]) -> Result<Vec<u32>, NotTranslated> {
    let Some(data) = rest.strip_suffix(&[SYSEX_END]) else {
        return Err(NotTranslated::SysExAborted);
    };
    if data.iter().any(|byte| *byte >= 0x80) {
        return Err(Malformed::NotOneMessage.into());
    }
    let mut words = Vec::with_capacity(2 * data.len().div_ceil(6).max(1));
    let mut packer = SysExPacker::default();
    let mut collect = |packet: Result<&[u32], NotTranslated>| {
        if let Ok(packet) = packet {
            words.extend_from_slice(packet);
        }
    };
    for byte in data {
        packer.push(*byte, &mut collect);
    }
    packer.end(&mut collect);
    Ok(words)
}

// ---------------------------------------------------------------------------------------------
// The document.

/// `docs/TRANSLATION.md`: the three tables and the rules around them, in Markdown.
pub fn translation_markdown() -> String {
    let mut doc = String::new();
    doc.push_str(DOC_INTRO);
    doc.push_str("\n## MIDI 1.0 messages and UMP, both ways\n\n");
    doc.push_str(
        "Each MIDI 1.0 message travels in UMP on group 1 as below, and a UMP message of type 1 \
         or 2 becomes the MIDI 1.0 message whose bytes it carries (a status the table does not \
         give that type is malformed). `n` is the channel.\n\n",
    );
    doc.push_str(&midi1_table());
    doc.push_str("\n## MIDI 2.0 channel voice (type 4) to MIDI 1.0\n\n");
    doc.push_str(
        "Values are scaled down by a plain shift (`>>`), which undoes the specification's \
         min-centre-max scaling up exactly: a MIDI 1.0 value scaled up and back is itself.\n\n",
    );
    doc.push_str(&midi2_table());
    doc.push_str("\n## UMP message types on a MIDI 1.0 port\n\n");
    doc.push_str(&ump_types_table());
    doc.push_str(&sysex_section());
    doc.push_str(&reasons_section());
    doc
}

const DOC_INTRO: &str = "# Translation to and from MIDI 1.0

<!-- Generated from the tables in src/core/ump/midi1.rs by `translation_markdown`; do not edit.
     Regenerate with: MIDI_UPDATE_GENERATED=1 cargo test --test translation_doc -->

Where the engine bridges an endpoint to a MIDI 1.0 port (the ALSA sequencer on a kernel
without UMP support), it translates between the UMP words of the endpoint and MIDI 1.0
messages itself, following the default translation rules of the UMP specification
(M2-104-UM). The translation code reads the tables below; this page is generated from them.

- **Groups.** A MIDI 1.0 port carries group 1 of its endpoint (group index 0 in the words).
  What arrives on the port goes out on group 1; messages on other groups are not sent to the
  port.
- **Nothing is dropped silently.** What is not translated is counted under a reason (the last
  section).
- **Data bytes** (and the 7-bit fields of UMP) must have their top bit clear; reserved bits and
  unused bytes are ignored.
- **MIDI 1.0 byte streams** may use running status (channel voice only; any other status
  cancels it) and put real-time messages (F8 to FF) anywhere, even inside another message or a
  SysEx: they pass at once.
";

/// A Markdown table.
fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = format!("| {} |\n", header.join(" | "));
    let _ = writeln!(out, "|{}", "---|".repeat(header.len()));
    for row in rows {
        let _ = writeln!(out, "| {} |", row.join(" | "));
    }
    out
}

fn status_label(kind: &Midi1Kind) -> String {
    if kind.status < 0xF0 {
        format!("`{:X}n`", kind.status >> 4)
    } else {
        format!("`{:02X}`", kind.status)
    }
}

fn midi1_table() -> String {
    let rows: Vec<Vec<String>> = MIDI1_KINDS
        .iter()
        .map(|kind| {
            let data = match kind.data {
                Fixed(count) => count.to_string(),
                UntilEnd => "any, to `F7`".to_owned(),
            };
            let ump = match kind.carrier.ump_type() {
                Some(mt) => format!("type {mt}"),
                None => "none".to_owned(),
            };
            let mut rule = match kind.carrier {
                System | ChannelVoice => "bytes unchanged".to_owned(),
                SysEx7 | Dropped => String::new(),
            };
            if is_real_time(kind.status) && kind.carrier == System {
                rule.push_str("; real time");
            }
            if !kind.rule.is_empty() {
                if !rule.is_empty() {
                    rule.push_str("; ");
                }
                rule.push_str(kind.rule);
            }
            vec![status_label(kind), kind.name.to_owned(), data, ump, rule]
        })
        .collect();
    table(&["Status", "Message", "Data bytes", "UMP", "Rule"], &rows)
}

fn midi2_rule_text(rule: Midi2Rule) -> (String, String) {
    let name_of = |status: u8| midi1_kind(status).map_or("?", |kind| kind.name);
    match rule {
        Midi2Rule::Note { midi1_status } => (
            format!("{} `{:X}n`", name_of(midi1_status), midi1_status >> 4),
            if midi1_status == 0x90 {
                "velocity 16 to 7 bits (`>> 9`); a velocity that scales to 0 is sent as 1 \
                 (0 would end the note); attribute dropped"
                    .to_owned()
            } else {
                "velocity 16 to 7 bits (`>> 9`); attribute dropped".to_owned()
            },
        ),
        Midi2Rule::Value7 { midi1_status } => (
            format!("{} `{:X}n`", name_of(midi1_status), midi1_status >> 4),
            "value 32 to 7 bits (`>> 25`)".to_owned(),
        ),
        Midi2Rule::PitchBend => (
            "Pitch Bend `En`".to_owned(),
            "32 to 14 bits (`>> 18`), LSB then MSB".to_owned(),
        ),
        Midi2Rule::Program => (
            "[CC 0, CC 32,] Program Change `Cn`".to_owned(),
            "with the bank-valid flag, Bank Select MSB (CC 0) and LSB (CC 32) first".to_owned(),
        ),
        Midi2Rule::Controller { bank_cc, index_cc } => (
            format!("CC {bank_cc}, CC {index_cc}, CC 6, CC 38"),
            format!(
                "CC {bank_cc} = bank, CC {index_cc} = index, then the value 32 to 14 bits \
                 (`>> 18`): CC 6 its upper 7 bits, CC 38 its lower 7"
            ),
        ),
        Midi2Rule::NoForm(_) => ("none".to_owned(), "no MIDI 1.0 form; counted".to_owned()),
        Midi2Rule::Reserved => ("none".to_owned(), "malformed; counted".to_owned()),
    }
}

fn midi2_table() -> String {
    let rows: Vec<Vec<String>> = MIDI2_KINDS
        .iter()
        .map(|kind| {
            let (midi1, rule) = midi2_rule_text(kind.rule);
            vec![
                format!("`{:X}`", kind.status),
                kind.name.to_owned(),
                midi1,
                rule,
            ]
        })
        .collect();
    table(&["Status", "MIDI 2.0 message", "MIDI 1.0", "Rule"], &rows)
}

fn ump_types_table() -> String {
    let rows: Vec<Vec<String>> = UMP_TYPES
        .iter()
        .map(|kind| {
            let bridge = match kind.bridge {
                Bridge::Bytes(_) => "the MIDI 1.0 message it carries (first table)".to_owned(),
                Bridge::SysEx7 => "packets assembled into one `F0` ... `F7` message".to_owned(),
                Bridge::Midi2 => "scaled down (second table)".to_owned(),
                Bridge::NoForm(_) => "not sent; counted (no MIDI 1.0 form)".to_owned(),
            };
            let groups = if kind.grouped {
                "group 1 only"
            } else {
                "no group"
            };
            vec![
                format!("`{:X}`", kind.mt),
                kind.name.to_owned(),
                groups.to_owned(),
                bridge,
            ]
        })
        .collect();
    table(&["Type", "Messages", "Groups", "On a MIDI 1.0 port"], &rows)
}

fn sysex_section() -> String {
    format!(
        "\n## System exclusive\n\n\
         - **To UMP**, a SysEx of any length becomes SysEx7 packets of up to 6 data bytes: one \
         Complete packet for up to 6, otherwise Start, Continue..., End. Packets go out as the \
         bytes arrive, so there is no limit; a SysEx split across several sequencer events is \
         one SysEx. A SysEx that another status byte cuts off is dropped and counted; if a \
         Start packet already went out, the receiver is left with a SysEx without an End, \
         which receivers (this translator included) drop when the next SysEx starts.\n\
         - **From UMP**, the packets of a SysEx are assembled into one whole `F0` ... `F7` \
         message of at most {MAX_SYSEX_BYTES} data bytes; a longer one is dropped and counted. \
         Other messages between the packets pass at once; the SysEx follows when its End \
         arrives. A Start or Complete packet while a SysEx is unfinished drops the unfinished \
         one (counted); a Continue or End without a Start is malformed.\n"
    )
}

fn reasons_section() -> String {
    let examples = [
        NotTranslated::OtherGroup { group: 1 },
        NotTranslated::NoMidi1Form(NoForm::FlexData),
        NotTranslated::Malformed(Malformed::DataWithoutStatus { byte: 0x40 }),
        NotTranslated::SysExAborted,
        NotTranslated::SysExTooLong {
            cap: MAX_SYSEX_BYTES,
        },
    ];
    let rows: Vec<Vec<String>> = examples
        .iter()
        .map(|why| vec![format!("`{}`", why.key()), why.to_string()])
        .collect();
    format!(
        "\n## What is counted\n\nEach message that is not translated is counted under one of \
         these reasons (an example of each):\n\n{}",
        table(&["Reason", "Example"], &rows)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_table_row_sits_where_its_lookup_finds_it() {
        for status in 0x80..=0xFFu8 {
            let kind = midi1_kind(status).expect("every status byte has a row");
            let want = if status < 0xF0 { status & 0xF0 } else { status };
            assert_eq!(kind.status, want, "row for 0x{status:02X}");
        }
        assert!(midi1_kind(0x7F).is_none());
        for (index, kind) in MIDI2_KINDS.iter().enumerate() {
            assert_eq!(usize::from(kind.status), index);
        }
        for (index, kind) in UMP_TYPES.iter().enumerate() {
            assert_eq!(usize::from(kind.mt), index);
        }
    }

    #[test]
    fn the_tables_agree_with_each_other() {
        // Every MIDI 1.0 status the MIDI 2.0 table scales down to is a channel voice status.
        for kind in &MIDI2_KINDS {
            if let Midi2Rule::Note { midi1_status } | Midi2Rule::Value7 { midi1_status } = kind.rule
            {
                let midi1 = midi1_kind(midi1_status).unwrap();
                assert_eq!(midi1.carrier, ChannelVoice, "{}", kind.name);
            }
        }
        // Real-time statuses carry no data; channel voice statuses carry one or two bytes.
        for kind in &MIDI1_KINDS {
            if is_real_time(kind.status) {
                assert_eq!(kind.data, Fixed(0), "{}", kind.name);
            }
            if kind.carrier == ChannelVoice {
                assert!(matches!(kind.data, Fixed(1 | 2)), "{}", kind.name);
            }
        }
    }

    /// The specification's min-centre-max scaling up (the MIDI Association's bit scaling
    /// paper), written out here to check that scaling down undoes it.
    fn scale_up(value: u32, from_bits: u32, to_bits: u32) -> u32 {
        let shift = to_bits - from_bits;
        let centre = 1 << (from_bits - 1);
        let up = value << shift;
        if value <= centre {
            return up;
        }
        let repeat_bits = from_bits - 1;
        let repeat = value & ((1 << repeat_bits) - 1);
        let mut fill = 0u32;
        let mut remaining = shift as i32;
        while remaining > 0 {
            remaining -= repeat_bits as i32;
            fill |= if remaining >= 0 {
                repeat << remaining
            } else {
                repeat >> -remaining
            };
        }
        up | fill
    }

    #[test]
    fn scaling_down_undoes_the_specifications_scaling_up() {
        for value in 0..0x80u32 {
            assert_eq!(
                u32::from(scale_16_to_7(scale_up(value, 7, 16) as u16)),
                value
            );
            assert_eq!(u32::from(scale_32_to_7(scale_up(value, 7, 32))), value);
        }
        for value in 0..0x4000u32 {
            assert_eq!(u32::from(scale_32_to_14(scale_up(value, 14, 32))), value);
        }
        // ni-midi2 (value translation tests): min, centre and max map onto each other.
        assert_eq!(scale_up(0x40, 7, 16), 0x8000);
        assert_eq!(scale_up(0x7F, 7, 16), 0xFFFF);
        assert_eq!(scale_up(0x7F, 7, 32), 0xFFFF_FFFF);
        assert_eq!(scale_up(0x3FFF, 14, 32), 0xFFFF_FFFF);
        assert_eq!(scale_up(0x2000, 14, 32), 0x8000_0000);
        assert_eq!(scale_16_to_7(0xFFFF), 0x7F);
        assert_eq!(scale_32_to_7(0x8000_0000), 0x40);
        assert_eq!(scale_32_to_14(0xFFFF_FFFF), 0x3FFF);
    }

    #[test]
    fn packets_and_words_are_laid_out_as_the_specification_draws_them() {
        assert_eq!(fixed_word(ChannelVoice, &[0x9E, 0x30, 0x7F]), 0x209E_307F);
        assert_eq!(fixed_word(System, &[0xF8]), 0x10F8_0000);
        assert_eq!(
            sysex7_packet(SysExForm::End, &[0x3B, 0x3C, 0x3D, 0x3E, 0x3F]),
            [0x3035_3B3C, 0x3D3E_3F00]
        );
        assert_eq!(sysex7_packet(SysExForm::Complete, &[]), [0x3000_0000, 0]);
    }
}
