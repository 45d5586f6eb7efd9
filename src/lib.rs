//! `midi`: MIDI 2.0 loopback endpoint pairs from the terminal.
//!
//! One crate, four faces over one core (see `docs/ARCHITECTURE.md`):
//! - [`core`]: the model, the rules, UMP framing and decoding, the configuration file, the
//!   wire protocol. Everything else depends on it.
//! - [`engine`]: the background process that owns the pairs and routes the messages.
//! - [`client`]: the library applications (and the faces) use to talk to the engine.
//! - [`cli`], [`dashboard`], [`wizard`]: the faces a person uses.
//! - [`alsa`]: the ALSA sequencer interface the Linux bridge stands on.

pub mod alsa;
pub mod bench;
pub mod cli;
pub mod client;
pub mod core;
pub mod dashboard;
pub mod engine;
pub mod wizard;
