//! MIDI 1.0 byte messages ⇄ sequencer events, for the bridge's MIDI 1.0 ports.
//!
//! The engine carries UMP; a MIDI 1.0 port speaks sequencer events. Between them sit the byte
//! messages of MIDI 1.0, which `core::ump::midi1` translates to and from UMP by the UMP
//! specification's default rules. This module is the other half: one complete byte message
//! (a status byte and its data, or a SysEx from F0 to F7) is one event, and back.

use super::event::EventKind;

/// The event for one complete MIDI 1.0 message, or `None` for bytes that are not one (an
/// empty slice, a lone data byte, a status MIDI 1.0 leaves undefined, missing data).
pub fn event_from_bytes(bytes: &[u8]) -> Option<EventKind> {
    let (&status, data) = bytes.split_first()?;
    let data7 = |i: usize| data.get(i).copied().filter(|b| *b < 0x80);
    let channel = status & 0x0F;
    Some(match status & 0xF0 {
        0x80 => EventKind::NoteOff {
            channel,
            note: data7(0)?,
            velocity: data7(1)?,
        },
        0x90 => EventKind::NoteOn {
            channel,
            note: data7(0)?,
            velocity: data7(1)?,
        },
        0xA0 => EventKind::KeyPressure {
            channel,
            note: data7(0)?,
            pressure: data7(1)?,
        },
        0xB0 => EventKind::ControlChange {
            channel,
            controller: data7(0)?,
            value: data7(1)?,
        },
        0xC0 => EventKind::ProgramChange {
            channel,
            program: data7(0)?,
        },
        0xD0 => EventKind::ChannelPressure {
            channel,
            pressure: data7(0)?,
        },
        0xE0 => {
            let raw = u16::from(data7(0)?) | (u16::from(data7(1)?) << 7);
            EventKind::PitchBend {
                channel,
                value: raw as i16 - 8192,
            }
        }
        _ => match status {
            0xF0 => EventKind::SysEx(bytes.to_vec()),
            0xF1 => EventKind::QuarterFrame(data7(0)?),
            0xF2 => EventKind::SongPosition(u16::from(data7(0)?) | (u16::from(data7(1)?) << 7)),
            0xF3 => EventKind::SongSelect(data7(0)?),
            0xF6 => EventKind::TuneRequest,
            0xF8 => EventKind::Clock,
            0xFA => EventKind::Start,
            0xFB => EventKind::Continue,
            0xFC => EventKind::Stop,
            0xFE => EventKind::ActiveSensing,
            0xFF => EventKind::Reset,
            _ => return None,
        },
    })
}

/// Appends the MIDI 1.0 bytes of a music event to `out`; false (and nothing appended) for an
/// event that has none (the kernel's announcements, UMP packets, unknown types). A SysEx
/// event's bytes go as carried: a piece of a long SysEx stays a piece.
pub fn event_to_bytes(kind: &EventKind, out: &mut Vec<u8>) -> bool {
    let mut put = |bytes: &[u8]| out.extend_from_slice(bytes);
    match *kind {
        EventKind::NoteOff {
            channel,
            note,
            velocity,
        } => put(&[0x80 | channel, note, velocity]),
        EventKind::NoteOn {
            channel,
            note,
            velocity,
        } => put(&[0x90 | channel, note, velocity]),
        EventKind::KeyPressure {
            channel,
            note,
            pressure,
        } => put(&[0xA0 | channel, note, pressure]),
        EventKind::ControlChange {
            channel,
            controller,
            value,
        } => put(&[0xB0 | channel, controller, value]),
        EventKind::ProgramChange { channel, program } => put(&[0xC0 | channel, program]),
        EventKind::ChannelPressure { channel, pressure } => put(&[0xD0 | channel, pressure]),
        EventKind::PitchBend { channel, value } => {
            let raw = (i32::from(value) + 8192).clamp(0, 16383) as u16;
            put(&[0xE0 | channel, (raw & 0x7F) as u8, (raw >> 7) as u8])
        }
        EventKind::SysEx(ref bytes) => put(bytes),
        EventKind::SongPosition(beats) => put(&[0xF2, (beats & 0x7F) as u8, (beats >> 7) as u8]),
        EventKind::SongSelect(song) => put(&[0xF3, song]),
        EventKind::QuarterFrame(data) => put(&[0xF1, data]),
        EventKind::TuneRequest => put(&[0xF6]),
        EventKind::Clock => put(&[0xF8]),
        EventKind::Start => put(&[0xFA]),
        EventKind::Continue => put(&[0xFB]),
        EventKind::Stop => put(&[0xFC]),
        EventKind::ActiveSensing => put(&[0xFE]),
        EventKind::Reset => put(&[0xFF]),
        _ => return false,
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_kind_round_trips() {
        let messages: &[&[u8]] = &[
            &[0x80, 60, 0],
            &[0x9F, 127, 127],
            &[0xA3, 1, 2],
            &[0xB0, 7, 100],
            &[0xC5, 12],
            &[0xD2, 99],
            &[0xE0, 0, 0],
            &[0xE1, 0x7F, 0x7F],
            &[0xE2, 0x00, 0x40],
            &[0xF0, 0x7E, 0x01, 0xF7],
            &[0xF1, 0x35],
            &[0xF2, 0x7F, 0x7F],
            &[0xF3, 9],
            &[0xF6],
            &[0xF8],
            &[0xFA],
            &[0xFB],
            &[0xFC],
            &[0xFE],
            &[0xFF],
        ];
        for bytes in messages {
            let event = event_from_bytes(bytes).unwrap_or_else(|| panic!("{bytes:02X?}"));
            let mut back = Vec::new();
            assert!(event_to_bytes(&event, &mut back));
            assert_eq!(&back, bytes, "{event:?}");
        }
    }

    #[test]
    fn pitch_bend_centre_is_zero() {
        assert_eq!(
            event_from_bytes(&[0xE0, 0x00, 0x40]),
            Some(EventKind::PitchBend {
                channel: 0,
                value: 0
            })
        );
    }

    #[test]
    fn what_is_not_one_message_is_refused() {
        for bytes in [
            &[][..],
            &[0x40],
            &[0x90, 60],
            &[0x90, 60, 0x80],
            &[0xF4],
            &[0xF5],
            &[0xF7],
            &[0xF9],
            &[0xFD],
        ] {
            assert_eq!(event_from_bytes(bytes), None, "{bytes:02X?}");
        }
    }

    #[test]
    fn announcements_have_no_bytes() {
        let mut out = Vec::new();
        let kind = EventKind::PortStart(Default::default());
        assert!(!event_to_bytes(&kind, &mut out));
        assert!(out.is_empty());
    }
}
