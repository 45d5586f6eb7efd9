//! Decoding one Universal MIDI Packet into a one-line human text and machine-readable JSON
//! fields, for `midi endpoint monitor` and the dashboard.
//!
//! The engine never calls this: it forwards words untouched. Decoding is only for people (the
//! text) and for scripts reading the monitor's JSON output (the fields), so it follows the UMP
//! specification (M2-104-UM v1.1) closely enough to explain a message, without validating it.
//!
//! # Conventions
//!
//! - The caller has already framed the message (see [`super::message_words`]), but [`decode`]
//!   is defensive anyway: missing words read as 0, words beyond the message's length are
//!   ignored (a reserved type shows every word it is given, up to four), reserved bits are
//!   ignored, and no input panics. Unknown message types decode as "Reserved (type 6)" and so
//!   on, unknown statuses within a known type get a label saying so.
//! - Groups and channels are shown 1-based (1 to 16), as on front panels and in DAWs, both in
//!   [`Decoded::group`] / [`Decoded::channel`] and in the `"group"` / `"channel"` fields.
//!   Function block "first group" is 1-based too.
//! - Middle C: note 60 is C4, the convention of Yamaha/MMA "C3" differs. So note names run
//!   from "C-1" (note 0) to "G9" (note 127); note 9 is "A-1". See [`note_name`].
//! - Values are shown raw (as on the wire) with a percentage of full scale where that helps,
//!   e.g. a MIDI 2.0 velocity of 49152 is "75.0%". Pitch bends also show their signed offset
//!   from the centre (8192 for MIDI 1.0, 0x80000000 for MIDI 2.0).
//! - `text` is empty for messages that carry no data (Timing Clock, NOOP, Start of Clip...):
//!   the label already says everything.

use std::fmt::Write as _;

use serde_json::{Map, Value};

use super::message_type;

/// A decoded message.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    /// A short label such as "MIDI 1.0 Note On".
    pub message_type: String,
    /// The group, 1 to 16, for messages that have one.
    pub group: Option<u8>,
    /// The channel, 1 to 16, for channel messages.
    pub channel: Option<u8>,
    /// The decoded data as one line of text.
    pub text: String,
    /// The decoded data as JSON fields.
    pub fields: Map<String, Value>,
}

/// Decodes one message (its words, 1 to 4). Never panics; see the module doc for how odd
/// input is treated.
pub fn decode(words: &[u32]) -> Decoded {
    let w = Words::new(words);
    match message_type(w.word(0)) {
        0x0 => utility(&w),
        0x1 => system(&w),
        0x2 => midi1_channel_voice(&w),
        0x3 => sysex7(&w),
        0x4 => midi2_channel_voice(&w),
        0x5 => data128(&w),
        0xD => flex_data(&w),
        0xF => ump_stream(&w),
        mt => reserved(mt, words),
    }
}

/// True for the MIDI 1.0 system real-time messages that arrive many times a second and drown
/// everything else: Timing Clock (0xF8) and Active Sensing (0xFE). The monitor hides them
/// unless asked (`-r`).
pub fn is_hidden_real_time(words: &[u32]) -> bool {
    let w = Words::new(words);
    message_type(w.word(0)) == 0x1 && matches!(w.byte(1), 0xF8 | 0xFE)
}

/// The name of a note number with its octave, where note 60 is "C4" (so note 0 is "C-1" and
/// note 9 is "A-1"). Sharps, not flats, as most MIDI tools print them.
pub fn note_name(note: u8) -> String {
    const NAMES: [&str; 12] = [
        "C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B",
    ];
    let octave = i32::from(note / 12) - 1;
    format!("{}{octave}", NAMES[usize::from(note % 12)])
}

/// The common name of a MIDI 1.0 control change number (also used for MIDI 2.0 control
/// changes, which share the numbering), for the few that people recognise.
pub fn controller_name(controller: u8) -> Option<&'static str> {
    Some(match controller {
        0 => "Bank Select MSB",
        1 => "Modulation",
        2 => "Breath",
        4 => "Foot",
        5 => "Portamento Time",
        6 => "Data Entry MSB",
        7 => "Volume",
        8 => "Balance",
        10 => "Pan",
        11 => "Expression",
        32 => "Bank Select LSB",
        38 => "Data Entry LSB",
        64 => "Sustain",
        65 => "Portamento",
        66 => "Sostenuto",
        67 => "Soft Pedal",
        98 => "NRPN LSB",
        99 => "NRPN MSB",
        100 => "RPN LSB",
        101 => "RPN MSB",
        120 => "All Sound Off",
        121 => "Reset All Controllers",
        122 => "Local Control",
        123 => "All Notes Off",
        124 => "Omni Off",
        125 => "Omni On",
        126 => "Mono On",
        127 => "Poly On",
        _ => return None,
    })
}

// ---------------------------------------------------------------------------------------------
// Plumbing shared by every family.

/// The packet as exactly four words, so field access never goes out of bounds: words the
/// caller did not give read as 0. Shared with the MIDI 1.0 translation in [`super::midi1`].
pub(super) struct Words([u32; 4]);

impl Words {
    pub(super) fn new(words: &[u32]) -> Self {
        let mut padded = [0; 4];
        for (slot, word) in padded.iter_mut().zip(words) {
            *slot = *word;
        }
        Self(padded)
    }

    pub(super) fn word(&self, index: usize) -> u32 {
        self.0[index]
    }

    /// Byte `index` (0 to 15) of the packet, counting from the most significant byte of word 0,
    /// which is how the specification draws its tables.
    pub(super) fn byte(&self, index: usize) -> u8 {
        (self.0[index / 4] >> (24 - 8 * (index % 4))) as u8
    }

    /// Bytes `start..end` of the packet (see [`Words::byte`]).
    fn bytes(&self, start: usize, end: usize) -> Vec<u8> {
        (start..end).map(|i| self.byte(i)).collect()
    }

    /// The raw 4-bit group field (0-based) of the message types that have one.
    pub(super) fn group(&self) -> u8 {
        self.byte(0) & 0x0F
    }

    /// The low nibble of byte `index`, e.g. the channel of a channel voice message.
    fn low_nibble(&self, index: usize) -> u8 {
        self.byte(index) & 0x0F
    }

    /// Byte `index` with its top (reserved) bit cleared, for the 7-bit fields.
    fn byte7(&self, index: usize) -> u8 {
        self.byte(index) & 0x7F
    }
}

/// A [`Decoded`] under construction; keeps "group" and "channel" first among the fields.
struct Out {
    message_type: String,
    group: Option<u8>,
    channel: Option<u8>,
    fields: Map<String, Value>,
}

impl Out {
    fn new(message_type: impl Into<String>) -> Self {
        Self {
            message_type: message_type.into(),
            group: None,
            channel: None,
            fields: Map::new(),
        }
    }

    /// Sets the group from its raw 0-based field; shown 1-based.
    fn group(mut self, raw: u8) -> Self {
        let group = (raw & 0x0F) + 1;
        self.group = Some(group);
        self.field("group", group)
    }

    /// Sets the channel from its raw 0-based field; shown 1-based.
    fn channel(mut self, raw: u8) -> Self {
        let channel = (raw & 0x0F) + 1;
        self.channel = Some(channel);
        self.field("channel", channel)
    }

    fn field(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.fields.insert(key.to_owned(), value.into());
        self
    }

    fn text(self, text: impl Into<String>) -> Decoded {
        Decoded {
            message_type: self.message_type,
            group: self.group,
            channel: self.channel,
            text: text.into(),
            fields: self.fields,
        }
    }
}

/// The four forms a multi-packet message can take; SysEx7, SysEx8, flex data and UMP stream
/// messages all number them the same way.
const FORMS: [&str; 4] = ["Complete", "Start", "Continue", "End"];

fn form_name(form: u8) -> &'static str {
    FORMS[usize::from(form & 0x3)]
}

/// Adds the form to a text unless the message is complete, which is the usual case.
fn with_form(text: String, form: u8) -> String {
    match form & 0x3 {
        0 => text,
        _ => format!("{text} ({})", form_name(form).to_lowercase()),
    }
}

/// `value` as a percentage of `full_scale`, one decimal: "75.0%".
fn percent(value: u32, full_scale: u32) -> String {
    format!("{:.1}%", f64::from(value) * 100.0 / f64::from(full_scale))
}

/// Bytes as uppercase hex separated by spaces: "F0 7E 7F".
fn hex_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let _ = write!(out, "{b:02X}");
    }
    out
}

/// "N bytes: 01 02" (or "0 bytes"), the text of the SysEx families.
fn bytes_text(bytes: &[u8]) -> String {
    match bytes.len() {
        0 => "0 bytes".to_owned(),
        1 => format!("1 byte: {}", hex_bytes(bytes)),
        n => format!("{n} bytes: {}", hex_bytes(bytes)),
    }
}

/// UTF-8 text carried in a packet, without the zero padding at its end. Lossy, because a
/// character may straddle two packets of a multi-packet text.
fn packet_text(bytes: &[u8]) -> String {
    let len = bytes.iter().rposition(|b| *b != 0).map_or(0, |i| i + 1);
    String::from_utf8_lossy(&bytes[..len]).into_owned()
}

/// Quotes a decoded string for the one-line text, escaping control characters and newlines.
fn quoted(text: &str) -> String {
    format!("{text:?}")
}

fn yes_no(flag: bool) -> &'static str {
    if flag { "yes" } else { "no" }
}

/// Bit `index` of `value` (0 = least significant) as a bool.
fn bit(value: impl Into<u32>, index: u32) -> bool {
    (value.into() >> index) & 1 == 1
}

/// "C4 (60)", and the "note" / "note_name" fields.
fn with_note(out: Out, note: u8) -> (Out, String) {
    let name = note_name(note);
    let text = format!("{name} ({note})");
    (out.field("note", note).field("note_name", name), text)
}

/// "controller 7 (Volume)", and the "controller" / "controller_name" fields.
fn with_controller(out: Out, controller: u8) -> (Out, String) {
    match controller_name(controller) {
        Some(name) => (
            out.field("controller", controller)
                .field("controller_name", name),
            format!("controller {controller} ({name})"),
        ),
        None => (
            out.field("controller", controller),
            format!("controller {controller}"),
        ),
    }
}

/// A pitch bend value with its signed offset from the centre: "8192 (+0)".
fn with_bend(out: Out, value: u32, centre: u32) -> (Out, String) {
    let offset = i64::from(value) - i64::from(centre);
    (
        out.field("value", value).field("offset", offset),
        format!("pitch bend {value} ({offset:+})"),
    )
}

/// A 32-bit MIDI 2.0 value (controller, pressure) under `key`, with its percentage of full
/// scale in the text: "value 2147483648 (50.0%)".
fn with_value32(out: Out, key: &str, value: u32) -> (Out, String) {
    (
        out.field(key, value),
        format!("{key} {value} ({})", percent(value, u32::MAX)),
    )
}

// ---------------------------------------------------------------------------------------------
// Type 0: utility messages. Groupless since UMP 1.1, so no group is shown.

/// Jitter reduction clocks and timestamps count in units of 1/31250 s, i.e. 32 µs.
const JR_TICK_US: u32 = 32;

fn utility(w: &Words) -> Decoded {
    let status = w.byte(1) >> 4;
    let data16 = w.word(0) & 0xFFFF;
    let jr = |label: &str| {
        let micros = data16 * JR_TICK_US;
        Out::new(label)
            .field("status", status)
            .field("time", data16)
            .field("time_us", micros)
            .text(format!(
                "time {data16} (x 32 us = {:.3} ms)",
                f64::from(micros) / 1000.0
            ))
    };
    match status {
        0x0 => Out::new("NOOP").field("status", status).text(""),
        0x1 => jr("JR Clock"),
        0x2 => jr("JR Timestamp"),
        0x3 => Out::new("Delta Clockstamp TPQN")
            .field("status", status)
            .field("ticks_per_quarter_note", data16)
            .text(format!("{data16} ticks per quarter note")),
        0x4 => {
            let ticks = w.word(0) & 0x000F_FFFF;
            Out::new("Delta Clockstamp")
                .field("status", status)
                .field("ticks", ticks)
                .text(format!("{ticks} ticks since the last event"))
        }
        _ => Out::new(format!("Utility (reserved status {status})"))
            .field("status", status)
            .text(format!("data 0x{:05X}", w.word(0) & 0x000F_FFFF)),
    }
}

// ---------------------------------------------------------------------------------------------
// Type 1: MIDI 1.0 system common and system real time.

const MTC_PIECES: [&str; 8] = [
    "frames low nibble",
    "frames high nibble",
    "seconds low nibble",
    "seconds high nibble",
    "minutes low nibble",
    "minutes high nibble",
    "hours low nibble",
    "hours high nibble and rate",
];

fn system(w: &Words) -> Decoded {
    let status = w.byte(1);
    let (d1, d2) = (w.byte7(2), w.byte7(3));
    let label = match status {
        0xF1 => "MTC Quarter Frame",
        0xF2 => "Song Position",
        0xF3 => "Song Select",
        0xF6 => "Tune Request",
        0xF8 => "Timing Clock",
        0xFA => "Start",
        0xFB => "Continue",
        0xFC => "Stop",
        0xFE => "Active Sensing",
        0xFF => "Reset",
        _ => "",
    };
    if label.is_empty() {
        return Out::new(format!("System (undefined status 0x{status:02X})"))
            .group(w.group())
            .field("status", status)
            .text(format!("data {}", hex_bytes(&[w.byte(2), w.byte(3)])));
    }
    let out = Out::new(label).group(w.group()).field("status", status);
    match status {
        0xF1 => {
            let (piece, value) = (d1 >> 4, d1 & 0x0F);
            out.field("piece", piece)
                .field("value", value)
                .text(format!(
                    "piece {piece} ({}) value {value}",
                    MTC_PIECES[usize::from(piece & 0x7)]
                ))
        }
        0xF2 => {
            // Song position counts MIDI beats: sixteenth notes, six timing clocks each.
            let position = u16::from(d1) | (u16::from(d2) << 7);
            out.field("position", position)
                .text(format!("position {position} (sixteenth notes)"))
        }
        0xF3 => out.field("song", d1).text(format!("song {d1}")),
        _ => out.text(""),
    }
}

// ---------------------------------------------------------------------------------------------
// Type 2: MIDI 1.0 channel voice.

fn midi1_channel_voice(w: &Words) -> Decoded {
    let status = w.byte(1) >> 4;
    let (d1, d2) = (w.byte7(2), w.byte7(3));
    let cv = |name: &str| {
        Out::new(format!("MIDI 1.0 {name}"))
            .group(w.group())
            .channel(w.low_nibble(1))
    };
    match status {
        0x8 | 0x9 => {
            let name = if status == 0x8 { "Note Off" } else { "Note On" };
            let (out, note) = with_note(cv(name), d1);
            // A Note On with velocity 0 is a Note Off in MIDI 1.0 (running status trick).
            let aside = if status == 0x9 && d2 == 0 {
                " (= note off)"
            } else {
                ""
            };
            out.field("velocity", d2)
                .text(format!("note {note} velocity {d2}{aside}"))
        }
        0xA => {
            let (out, note) = with_note(cv("Poly Pressure"), d1);
            out.field("pressure", d2)
                .text(format!("note {note} pressure {d2}"))
        }
        0xB => {
            let (out, controller) = with_controller(cv("Control Change"), d1);
            out.field("value", d2)
                .text(format!("{controller} value {d2}"))
        }
        0xC => cv("Program Change")
            .field("program", d1)
            .text(format!("program {d1}")),
        0xD => cv("Channel Pressure")
            .field("pressure", d1)
            .text(format!("pressure {d1}")),
        0xE => {
            let value = u32::from(d1) | (u32::from(d2) << 7);
            let (out, text) = with_bend(cv("Pitch Bend"), value, 0x2000);
            out.text(text)
        }
        _ => Out::new(format!(
            "MIDI 1.0 Channel Voice (invalid status 0x{:02X})",
            w.byte(1)
        ))
        .group(w.group())
        .field("status", w.byte(1))
        .text(format!("data {}", hex_bytes(&[w.byte(2), w.byte(3)]))),
    }
}

// ---------------------------------------------------------------------------------------------
// Type 3: SysEx7 in 64-bit packets (up to 6 bytes each).

fn sysex7(w: &Words) -> Decoded {
    let status = w.byte(1) >> 4;
    let count = w.low_nibble(1);
    if status > 3 {
        return Out::new(format!("SysEx7 (reserved status {status})"))
            .group(w.group())
            .field("status", status)
            .text(format!("data {}", hex_bytes(&w.bytes(2, 8))));
    }
    // More than 6 is invalid; show what the packet can hold rather than read past it.
    let bytes = w.bytes(2, 2 + usize::from(count.min(6)));
    Out::new(format!("SysEx7 {}", form_name(status)))
        .group(w.group())
        .field("status", status)
        .field("form", form_name(status).to_lowercase())
        .field("byte_count", count)
        .field("bytes", hex_bytes(&bytes))
        .text(bytes_text(&bytes))
}

// ---------------------------------------------------------------------------------------------
// Type 4: MIDI 2.0 channel voice.

fn midi2_channel_voice(w: &Words) -> Decoded {
    let status = w.byte(1) >> 4;
    let (b2, b3) = (w.byte7(2), w.byte(3));
    let data = w.word(1);
    let cv = |name: &str| {
        Out::new(format!("MIDI 2.0 {name}"))
            .group(w.group())
            .channel(w.low_nibble(1))
    };
    match status {
        0x0 | 0x1 => {
            let kind = if status == 0x0 {
                "Registered"
            } else {
                "Assignable"
            };
            let (out, note) = with_note(cv(&format!("{kind} Per-Note Controller")), b2);
            let (out, value) = with_value32(out.field("controller", b3), "value", data);
            out.text(format!("note {note} controller {b3} {value}"))
        }
        0x2..=0x5 => controller_message(w, cv, status),
        0x6 => {
            let (out, note) = with_note(cv("Per-Note Pitch Bend"), b2);
            let (out, bend) = with_bend(out, data, 0x8000_0000);
            out.text(format!("note {note} {bend}"))
        }
        0x8 | 0x9 => {
            let name = if status == 0x8 { "Note Off" } else { "Note On" };
            let (out, note) = with_note(cv(name), b2);
            let velocity = data >> 16;
            let attribute_data = data & 0xFFFF;
            let mut text = format!(
                "note {note} velocity {velocity} ({}) attribute {b3} data {attribute_data}",
                percent(velocity, 0xFFFF)
            );
            // Attribute type 3 carries the note's pitch as 7.9 fixed point (semitones).
            if b3 == 3 {
                let _ = write!(text, " (pitch {:.3})", f64::from(attribute_data) / 512.0);
            }
            out.field("velocity", velocity)
                .field("attribute_type", b3)
                .field("attribute_data", attribute_data)
                .text(text)
        }
        0xA => {
            let (out, note) = with_note(cv("Poly Pressure"), b2);
            let (out, pressure) = with_value32(out, "pressure", data);
            out.text(format!("note {note} {pressure}"))
        }
        0xB => {
            let (out, controller) = with_controller(cv("Control Change"), b2);
            let (out, value) = with_value32(out, "value", data);
            out.text(format!("{controller} {value}"))
        }
        0xC => {
            let program = w.byte7(4);
            let out = cv("Program Change").field("program", program);
            // Without the bank-valid flag the bank bytes are to be ignored.
            if bit(b3, 0) {
                let (msb, lsb) = (w.byte7(6), w.byte7(7));
                out.field("bank_valid", true)
                    .field("bank_msb", msb)
                    .field("bank_lsb", lsb)
                    .text(format!("program {program} bank {msb}:{lsb}"))
            } else {
                out.field("bank_valid", false)
                    .text(format!("program {program}"))
            }
        }
        0xD => {
            let (out, pressure) = with_value32(cv("Channel Pressure"), "pressure", data);
            out.text(pressure)
        }
        0xE => {
            let (out, text) = with_bend(cv("Pitch Bend"), data, 0x8000_0000);
            out.text(text)
        }
        0xF => {
            let (out, note) = with_note(cv("Per-Note Management"), b2);
            let (detach, reset) = (bit(b3, 1), bit(b3, 0));
            out.field("detach", detach)
                .field("reset", reset)
                .text(format!(
                    "note {note} detach {} reset {}",
                    yes_no(detach),
                    yes_no(reset)
                ))
        }
        _ => Out::new(format!(
            "MIDI 2.0 Channel Voice (reserved status 0x{status:X})"
        ))
        .group(w.group())
        .channel(w.low_nibble(1))
        .field("status", status)
        .text(format!("data {}", hex_bytes(&w.bytes(2, 8)))),
    }
}

/// The registered (RPN) and assignable (NRPN) controllers, absolute or relative: statuses 2 to
/// 5 share one layout of bank, index and 32-bit data.
fn controller_message(w: &Words, cv: impl Fn(&str) -> Out, status: u8) -> Decoded {
    let (bank, index) = (w.byte7(2), w.byte7(3));
    let data = w.word(1);
    let name = match status {
        0x2 => "RPN",
        0x3 => "NRPN",
        0x4 => "Relative RPN",
        _ => "Relative NRPN",
    };
    let out = cv(name).field("bank", bank).field("index", index);
    let mut text = format!("bank {bank} index {index}");
    // Bank 0 of the registered controllers holds the MIDI 1.0 RPNs everybody knows.
    let known = match (status, bank, index) {
        (0x2 | 0x4, 0, 0) => Some("Pitch Bend Sensitivity"),
        (0x2 | 0x4, 0, 1) => Some("Fine Tuning"),
        (0x2 | 0x4, 0, 2) => Some("Coarse Tuning"),
        (0x2 | 0x4, 0, 3) => Some("Tuning Program Change"),
        (0x2 | 0x4, 0, 4) => Some("Tuning Bank Select"),
        (0x2 | 0x4, 0, 5) => Some("Modulation Depth Range"),
        (0x2 | 0x4, 0, 6) => Some("MPE Configuration"),
        _ => None,
    };
    let out = match known {
        Some(known) => {
            let _ = write!(text, " ({known})");
            out.field("controller_name", known)
        }
        None => out,
    };
    if status >= 0x4 {
        // Relative controllers carry a signed increment.
        let delta = data as i32;
        out.field("value", delta)
            .text(format!("{text} increment {delta:+}"))
    } else {
        let (out, value) = with_value32(out, "value", data);
        out.text(format!("{text} {value}"))
    }
}

// ---------------------------------------------------------------------------------------------
// Type 5: SysEx8 and Mixed Data Set, 128-bit packets.

fn data128(w: &Words) -> Decoded {
    let status = w.byte(1) >> 4;
    let low = w.low_nibble(1);
    let out = |label: String| Out::new(label).group(w.group()).field("status", status);
    match status {
        0x0..=0x3 => {
            // The byte count includes the stream id, which is byte 2; data follows it.
            let data_len = usize::from(low.clamp(1, 14)) - 1;
            let stream_id = w.byte(2);
            let bytes = w.bytes(3, 3 + data_len);
            out(format!("SysEx8 {}", form_name(status)))
                .field("form", form_name(status).to_lowercase())
                .field("stream_id", stream_id)
                .field("byte_count", data_len)
                .field("bytes", hex_bytes(&bytes))
                .text(format!("stream {stream_id}, {}", bytes_text(&bytes)))
        }
        0x8 => {
            let valid_bytes = w.word(0) & 0xFFFF;
            let (chunks, chunk) = (w.word(1) >> 16, w.word(1) & 0xFFFF);
            let (manufacturer, device) = (w.word(2) >> 16, w.word(2) & 0xFFFF);
            let (sub_id_1, sub_id_2) = (w.word(3) >> 16, w.word(3) & 0xFFFF);
            out("Mixed Data Set Header".to_owned())
                .field("mds_id", low)
                .field("valid_bytes", valid_bytes)
                .field("chunks", chunks)
                .field("chunk", chunk)
                .field("manufacturer_id", manufacturer)
                .field("device_id", device)
                .field("sub_id_1", sub_id_1)
                .field("sub_id_2", sub_id_2)
                .text(format!(
                    "set {low} chunk {chunk} of {chunks}, {valid_bytes} valid bytes, \
                     manufacturer 0x{manufacturer:04X} device 0x{device:04X} \
                     sub ids 0x{sub_id_1:04X} 0x{sub_id_2:04X}"
                ))
        }
        0x9 => {
            let bytes = w.bytes(2, 16);
            out("Mixed Data Set Payload".to_owned())
                .field("mds_id", low)
                .field("bytes", hex_bytes(&bytes))
                .text(format!("set {low}, {}", bytes_text(&bytes)))
        }
        _ => out(format!("Data (reserved status {status})"))
            .text(format!("data {}", hex_bytes(&w.bytes(2, 16)))),
    }
}

// ---------------------------------------------------------------------------------------------
// Type D: flex data.

/// Tonic note names of the flex data key signature and chord messages: 1 = A to 7 = G.
fn tonic_name(tonic: u8) -> &'static str {
    match tonic {
        1 => "A",
        2 => "B",
        3 => "C",
        4 => "D",
        5 => "E",
        6 => "F",
        7 => "G",
        0 => "unknown",
        _ => "reserved",
    }
}

const METADATA_TEXTS: [&str; 13] = [
    "Metadata Text",
    "Project Name",
    "Composition Name",
    "MIDI Clip Name",
    "Copyright Notice",
    "Composer Name",
    "Lyricist Name",
    "Arranger Name",
    "Publisher Name",
    "Primary Performer Name",
    "Accompanying Performer Name",
    "Recording Date",
    "Recording Location",
];

const PERFORMANCE_TEXTS: [&str; 5] = [
    "Performance Text",
    "Lyrics",
    "Lyrics Language",
    "Ruby",
    "Ruby Language",
];

fn flex_data(w: &Words) -> Decoded {
    let form = (w.byte(1) >> 6) & 0x3;
    let address = (w.byte(1) >> 4) & 0x3;
    let (bank, status) = (w.byte(2), w.byte(3));
    let header = |label: &str| {
        let out = Out::new(label).group(w.group());
        // Address 0 sends to one channel; 1 to the whole group (no channel).
        let out = if address == 0 {
            out.channel(w.low_nibble(1))
        } else {
            out
        };
        out.field("status", status)
            .field("bank", bank)
            .field("form", form_name(form).to_lowercase())
    };
    let text_label = match bank {
        1 => METADATA_TEXTS.get(usize::from(status)),
        2 => PERFORMANCE_TEXTS.get(usize::from(status)),
        _ => None,
    };
    if let Some(label) = text_label {
        let text = packet_text(&w.bytes(4, 16));
        return header(label)
            .field("text", text.as_str())
            .text(with_form(quoted(&text), form));
    }
    let (out, text) = match (bank, status) {
        (0, 0x00) => set_tempo(header("Set Tempo"), w),
        (0, 0x01) => set_time_signature(header("Set Time Signature"), w),
        (0, 0x02) => set_metronome(header("Set Metronome"), w),
        (0, 0x05) => set_key_signature(header("Set Key Signature"), w),
        (0, 0x06) => set_chord_name(header("Set Chord Name"), w),
        _ => (
            header(&format!("Flex Data (bank {bank} status {status})")),
            format!("data {}", hex_bytes(&w.bytes(4, 16))),
        ),
    };
    out.text(with_form(text, form))
}

fn set_tempo(out: Out, w: &Words) -> (Out, String) {
    let units = w.word(1);
    let out = out.field("ten_ns_per_quarter_note", units);
    if units == 0 {
        return (out, "0 x 10 ns per quarter note".to_owned());
    }
    // 60 s per minute / (units x 10 ns) per beat.
    let bpm = 6_000_000_000.0 / f64::from(units);
    (
        out.field("bpm", bpm),
        format!("{bpm:.2} BPM ({units} x 10 ns per quarter note)"),
    )
}

fn set_time_signature(out: Out, w: &Words) -> (Out, String) {
    let (numerator, power, thirty_seconds) = (w.byte(4), w.byte(5), w.byte(6));
    // As in Standard MIDI Files, the denominator is a power of two: 2 means a quarter note.
    let denominator = 1u32.checked_shl(u32::from(power));
    let out = out
        .field("numerator", numerator)
        .field("denominator_power", power)
        .field("denominator", denominator)
        .field("thirty_seconds_per_quarter", thirty_seconds);
    let shown = denominator.map_or_else(|| format!("2^{power}"), |d| d.to_string());
    (
        out,
        format!("{numerator}/{shown}, {thirty_seconds} 32nd notes per quarter note"),
    )
}

fn set_metronome(out: Out, w: &Words) -> (Out, String) {
    let clocks = w.byte(4);
    let accents = [w.byte(5), w.byte(6), w.byte(7)];
    let subdivisions = [w.byte(8), w.byte(9)];
    let out = out
        .field("clocks_per_primary_click", clocks)
        .field("bar_accent_1", accents[0])
        .field("bar_accent_2", accents[1])
        .field("bar_accent_3", accents[2])
        .field("subdivision_clicks_1", subdivisions[0])
        .field("subdivision_clicks_2", subdivisions[1]);
    (
        out,
        format!(
            "{clocks} clocks per click, bar accents {}/{}/{}, subdivision clicks {}/{}",
            accents[0], accents[1], accents[2], subdivisions[0], subdivisions[1]
        ),
    )
}

fn set_key_signature(out: Out, w: &Words) -> (Out, String) {
    // A signed nibble: 1 to 7 sharps, -1 to -7 flats; -8 means a non-standard key.
    let sharps_flats = (w.byte(4) as i8) >> 4;
    let tonic = tonic_name(w.low_nibble(4));
    let accidentals = match sharps_flats {
        -8 => "non-standard".to_owned(),
        0 => "no sharps or flats".to_owned(),
        1 => "1 sharp".to_owned(),
        -1 => "1 flat".to_owned(),
        n if n > 0 => format!("{n} sharps"),
        n => format!("{} flats", -n),
    };
    (
        out.field("sharps_flats", sharps_flats)
            .field("tonic", tonic),
        format!("{accidentals}, tonic {tonic}"),
    )
}

/// The chord types of the Set Chord Name message, by number.
const CHORD_TYPES: [&str; 27] = [
    "clear chord",
    "major",
    "major 6th",
    "major 7th",
    "major 9th",
    "major 11th",
    "major 13th",
    "minor",
    "minor 6th",
    "minor 7th",
    "minor 9th",
    "minor 11th",
    "minor 13th",
    "dominant 7th",
    "dominant 9th",
    "dominant 11th",
    "dominant 13th",
    "augmented",
    "augmented 7th",
    "diminished",
    "diminished 7th",
    "half-diminished",
    "minor-major 7th",
    "pedal",
    "power",
    "suspended 2nd",
    "suspended 4th",
];

/// One chord of the Set Chord Name message: accidental nibble, tonic nibble (in `byte`), type
/// and up to `alterations.len()` alterations, e.g. "Gb major 7th (raise 5, add 9)".
fn chord_text(byte: u8, chord_type: u8, alterations: &[u8]) -> String {
    let accidental = match byte >> 4 {
        0x0 => "",
        0x1 => "#",
        0x2 => "##",
        0xF => "b",
        0xE => "bb",
        _ => "?",
    };
    let mut text = format!("{}{accidental} ", tonic_name(byte & 0x0F));
    match CHORD_TYPES.get(usize::from(chord_type)) {
        Some(name) => text.push_str(name),
        None => {
            let _ = write!(text, "chord type {chord_type}");
        }
    }
    let alterations: Vec<String> = alterations
        .iter()
        .filter_map(|a| {
            let kind = match a >> 4 {
                0 => return None,
                1 => "add",
                2 => "subtract",
                3 => "raise",
                4 => "lower",
                _ => "alteration?",
            };
            Some(format!("{kind} {}", a & 0x0F))
        })
        .collect();
    if !alterations.is_empty() {
        let _ = write!(text, " ({})", alterations.join(", "));
    }
    text
}

fn set_chord_name(out: Out, w: &Words) -> (Out, String) {
    let chord = chord_text(w.byte(4), w.byte(5), &w.bytes(6, 10));
    let mut text = chord.clone();
    let out = out
        .field("chord", chord)
        .field("tonic", tonic_name(w.low_nibble(4)))
        .field("chord_type", w.byte(5));
    // A bass note of 0 means "same as the chord's tonic": no separate bass to show.
    if w.low_nibble(12) == 0 {
        return (out, text);
    }
    let bass = chord_text(w.byte(12), w.byte(13), &w.bytes(14, 16));
    let _ = write!(text, " / bass {bass}");
    (out.field("bass", bass), text)
}

// ---------------------------------------------------------------------------------------------
// Type F: UMP stream messages. Groupless: they concern the whole endpoint.

fn ump_stream(w: &Words) -> Decoded {
    let form = (w.byte(0) >> 2) & 0x3;
    let status = (u16::from(w.byte(0) & 0x3) << 8) | u16::from(w.byte(1));
    let out = |label: &str| Out::new(label).field("status", status);
    // The three text messages differ only in where their text starts (and a text prefix).
    let named = |key: &str, out: Out, start: usize, prefix: String| {
        let text = packet_text(&w.bytes(start, 16));
        out.field("form", form_name(form).to_lowercase())
            .field(key, text.as_str())
            .text(with_form(format!("{prefix}{}", quoted(&text)), form))
    };
    match status {
        0x00 => endpoint_discovery(out("Endpoint Discovery"), w),
        0x01 => endpoint_info(out("Endpoint Info"), w),
        0x02 => device_identity(out("Device Identity"), w),
        0x03 => named("name", out("Endpoint Name"), 2, String::new()),
        0x04 => named(
            "product_instance_id",
            out("Product Instance Id"),
            2,
            String::new(),
        ),
        0x05 | 0x06 => {
            let label = if status == 0x05 {
                "Stream Configuration Request"
            } else {
                "Stream Configuration Notification"
            };
            let protocol = w.byte(2);
            let protocol_name = match protocol {
                0x01 => "MIDI 1.0",
                0x02 => "MIDI 2.0",
                _ => "unknown",
            };
            let (rx_jr, tx_jr) = (bit(w.byte(3), 1), bit(w.byte(3), 0));
            out(label)
                .field("protocol", protocol)
                .field("protocol_name", protocol_name)
                .field("rx_jr", rx_jr)
                .field("tx_jr", tx_jr)
                .text(format!(
                    "protocol {protocol_name}, JR timestamps rx {} tx {}",
                    yes_no(rx_jr),
                    yes_no(tx_jr)
                ))
        }
        0x10 => {
            let block = w.byte(2);
            let (info, name) = (bit(w.byte(3), 0), bit(w.byte(3), 1));
            let which = if block == 0xFF {
                "all function blocks".to_owned()
            } else {
                format!("function block {block}")
            };
            let wanted = requests(&[(info, "info"), (name, "name")]);
            out("Function Block Discovery")
                .field("function_block", block)
                .field("filter", w.byte(3))
                .field("requests", wanted.clone())
                .text(format!("{which}, requests {}", list_or_none(&wanted)))
        }
        0x11 => function_block_info(out("Function Block Info"), w),
        0x12 => {
            let block = w.byte(2);
            let out = out("Function Block Name").field("function_block", block);
            named("name", out, 3, format!("function block {block} "))
        }
        0x20 => out("Start of Clip").text(""),
        0x21 => out("End of Clip").text(""),
        _ => out(&format!("UMP Stream (reserved status 0x{status:03X})"))
            .text(format!("data {}", hex_bytes(&w.bytes(2, 16)))),
    }
}

/// The names of the flags that are set, in order.
fn requests(flags: &[(bool, &'static str)]) -> Vec<&'static str> {
    flags
        .iter()
        .filter(|(set, _)| *set)
        .map(|(_, name)| *name)
        .collect()
}

fn list_or_none(items: &[&str]) -> String {
    if items.is_empty() {
        "none".to_owned()
    } else {
        items.join(", ")
    }
}

fn ump_version(out: Out, w: &Words) -> (Out, String) {
    let (major, minor) = (w.byte(2), w.byte(3));
    (
        out.field("ump_version_major", major)
            .field("ump_version_minor", minor),
        format!("UMP {major}.{minor}"),
    )
}

fn endpoint_discovery(out: Out, w: &Words) -> Decoded {
    let (out, version) = ump_version(out, w);
    let filter = w.byte(7);
    let wanted = requests(&[
        (bit(filter, 0), "endpoint info"),
        (bit(filter, 1), "device identity"),
        (bit(filter, 2), "endpoint name"),
        (bit(filter, 3), "product instance id"),
        (bit(filter, 4), "stream configuration"),
    ]);
    out.field("filter", filter)
        .field("requests", wanted.clone())
        .text(format!("{version}, requests {}", list_or_none(&wanted)))
}

fn endpoint_info(out: Out, w: &Words) -> Decoded {
    let (out, version) = ump_version(out, w);
    let blocks = w.byte7(4);
    let static_blocks = bit(w.byte(4), 7);
    let (midi2, midi1) = (bit(w.byte(6), 1), bit(w.byte(6), 0));
    let (rx_jr, tx_jr) = (bit(w.byte(7), 1), bit(w.byte(7), 0));
    let protocols = requests(&[(midi1, "MIDI 1.0"), (midi2, "MIDI 2.0")]);
    out.field("function_blocks", blocks)
        .field("static_function_blocks", static_blocks)
        .field("midi1", midi1)
        .field("midi2", midi2)
        .field("rx_jr", rx_jr)
        .field("tx_jr", tx_jr)
        .text(format!(
            "{version}, {blocks} {} function blocks, protocols {}, JR timestamps rx {} tx {}",
            if static_blocks { "static" } else { "dynamic" },
            list_or_none(&protocols),
            yes_no(rx_jr),
            yes_no(tx_jr)
        ))
}

/// A 14-bit number sent as two 7-bit bytes, least significant first.
fn lsb_first14(lsb: u8, msb: u8) -> u16 {
    u16::from(lsb & 0x7F) | (u16::from(msb & 0x7F) << 7)
}

fn device_identity(out: Out, w: &Words) -> Decoded {
    let manufacturer = hex_bytes(&w.bytes(5, 8));
    let family = lsb_first14(w.byte(8), w.byte(9));
    let model = lsb_first14(w.byte(10), w.byte(11));
    let revision = hex_bytes(&w.bytes(12, 16));
    out.field("manufacturer", manufacturer.as_str())
        .field("family", family)
        .field("model", model)
        .field("software_revision", revision.as_str())
        .text(format!(
            "manufacturer {manufacturer}, family 0x{family:04X}, model 0x{model:04X}, \
             software revision {revision}"
        ))
}

fn function_block_info(out: Out, w: &Words) -> Decoded {
    let active = bit(w.byte(2), 7);
    let block = w.byte7(2);
    let flags = w.byte(3);
    let ui_hint = match (flags >> 4) & 0x3 {
        0 => "unknown",
        1 => "receiver",
        2 => "sender",
        _ => "sender and receiver",
    };
    let midi1 = match (flags >> 2) & 0x3 {
        0 => "no",
        1 => "yes",
        2 => "yes, restricted to 31.25 kb/s",
        _ => "reserved",
    };
    let direction = match flags & 0x3 {
        1 => "input",
        2 => "output",
        3 => "bidirectional",
        _ => "reserved",
    };
    // The first group is 0-based on the wire; shown 1-based like every group here.
    let first_group = u16::from(w.byte(4)) + 1;
    let spanned = w.byte(5);
    let (ci_version, sysex8_streams) = (w.byte(6), w.byte(7));
    let groups = match spanned {
        0 => "no groups".to_owned(),
        1 => format!("group {first_group}"),
        n => format!("groups {first_group}-{}", first_group + u16::from(n) - 1),
    };
    out.field("function_block", block)
        .field("active", active)
        .field("first_group", first_group)
        .field("groups_spanned", spanned)
        .field("direction", direction)
        .field("midi1", midi1)
        .field("ui_hint", ui_hint)
        .field("midi_ci_version", ci_version)
        .field("max_sysex8_streams", sysex8_streams)
        .text(format!(
            "block {block} {}, {groups}, {direction}, UI hint {ui_hint}, MIDI 1.0 {midi1}, \
             MIDI-CI version {ci_version}, {sysex8_streams} SysEx8 streams",
            if active { "active" } else { "inactive" }
        ))
}

// ---------------------------------------------------------------------------------------------
// Types 6 to C and E: reserved.

fn reserved(mt: u8, words: &[u32]) -> Decoded {
    let shown: Vec<String> = words.iter().take(4).map(|w| format!("{w:08X}")).collect();
    Out::new(format!("Reserved (type {mt:X})"))
        .field("words", shown.clone())
        .text(format!("words {}", shown.join(" ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn note_names_put_middle_c_in_octave_4() {
        assert_eq!(note_name(60), "C4");
        assert_eq!(note_name(61), "C#4");
        assert_eq!(note_name(0), "C-1");
        assert_eq!(note_name(9), "A-1");
        assert_eq!(note_name(69), "A4");
        assert_eq!(note_name(127), "G9");
    }

    #[test]
    fn missing_words_read_as_zero() {
        let w = Words::new(&[0x4090_3C00]);
        assert_eq!(w.word(1), 0);
        assert_eq!(w.byte(15), 0);
        assert_eq!(Words::new(&[]).word(0), 0);
    }

    #[test]
    fn helpers_format_compactly() {
        assert_eq!(percent(0xC000, 0xFFFF), "75.0%");
        assert_eq!(hex_bytes(&[0xF0, 0x7E, 0x01]), "F0 7E 01");
        assert_eq!(bytes_text(&[]), "0 bytes");
        assert_eq!(packet_text(b"Main\0\0\0"), "Main");
        assert_eq!(with_form("x".to_owned(), 2), "x (continue)");
    }

    #[test]
    fn the_brief_examples() {
        assert_eq!(decode(&[0x2090_3C64]).text, "note C4 (60) velocity 100");
        assert_eq!(
            decode(&[0x4090_3C00, 0xC000_0000]).text,
            "note C4 (60) velocity 49152 (75.0%) attribute 0 data 0"
        );
    }
}
