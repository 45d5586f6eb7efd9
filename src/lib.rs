//! `midi`: MIDI 2.0 loopback endpoint pairs from the terminal.
//!
//! One crate: a core, an engine, a client library, and the faces a person uses (see
//! `docs/ARCHITECTURE.md`). Arrows point inward only:
//! [`app`] → faces → [`face`] → [`client`] → [`core`], and [`engine`] → [`core`].
//!
//! - [`core`]: the model, the rules, UMP framing and decoding, the configuration file, the
//!   wire protocol. Everything else depends on it.
//! - [`client`]: the library applications (and the faces) use to talk to the engine.
//! - [`engine`] (feature `engine`): the background process that owns the pairs and routes
//!   the messages; [`netmidi`] (feature `engine`): Network MIDI 2.0 (UMP over UDP):
//!   datagrams, sessions, a socket driver; [`alsa`] (feature `engine`): the ALSA sequencer's
//!   kernel interface the Linux bridge stands on.
//! - [`cli`], [`dashboard`], [`wizard`] (feature `cli`): the faces a person uses; [`face`]:
//!   what they share (context, user-facing errors and exit codes, output style, Ctrl-C);
//!   [`bench`](mod@bench): the measurements behind `midi bench`; [`app`]: the dispatch `main` calls,
//!   the one place that knows every face.
//!
//! An application that only talks to the engine depends on this crate with
//! `default-features = false` and gets [`client`] and [`core`], without the terminal crates.

pub mod client;
pub mod core;

#[cfg(feature = "engine")]
pub mod alsa;

#[cfg(feature = "engine")]
pub mod engine;
#[cfg(feature = "engine")]
pub mod netmidi;

#[cfg(feature = "cli")]
pub mod app;
#[cfg(feature = "cli")]
pub mod bench;
#[cfg(feature = "cli")]
pub mod cli;
#[cfg(feature = "cli")]
pub mod dashboard;
#[cfg(feature = "cli")]
pub mod face;
#[cfg(feature = "cli")]
pub mod wizard;
