//! The ALSA sequencer, spoken directly: how a loopback endpoint becomes a client and port that
//! Linux MIDI applications (`aconnect`, `aseqdump`, RtMidi, PipeWire's bridge …) can use.
//!
//! Three layers, outside in:
//! - [`seq`]: the safe client — open, name, MIDI 2.0 negotiation, ports, UMP endpoint and block
//!   records, batched reads and writes, the descriptor to poll.
//! - [`event`]: sequencer events as Rust values, decoded from and encoded to the device's cells;
//!   [`midi1`] turns them into MIDI 1.0 byte messages and back.
//! - [`sys`]: the kernel's structs, constants and ioctl numbers, and the only `unsafe` code.
//!
//! No libasound: the device's ioctl interface is small and stable, and talking to it directly
//! gives MIDI 2.0 (UMP) clients on kernels with `CONFIG_SND_SEQ_UMP` even where the installed
//! alsa-lib predates UMP. Tested against third-party programs in a booted kernel by
//! `tests/alsa_seq.rs` (run by `.ci/alsa/run`).

pub mod event;
pub mod midi1;
pub mod seq;
pub mod sys;

pub use event::{Address, CellFormat, DecodeError, EncodeError, Event, EventKind, UmpPacket};
pub use seq::{
    ClientInfo, MidiVersion, Negotiation, PortInfo, PortSpec, Seq, SeqError, UmpBlock, UmpEndpoint,
};
