//! The scriptable command line: clap definitions in [`args`], one module per command group,
//! and the shell completers in `complete`. Commands are thin: they parse, call the client
//! library, and print through the shared style in [`crate::face::output`]. Which command runs
//! is decided by the dispatch in [`crate::app`].

pub mod args;
pub(crate) mod bench;
mod complete;
pub(crate) mod docs;
pub(crate) mod endpoint;
pub(crate) mod loopback;
mod measure;
mod monitor;
pub(crate) mod network;
mod play;
mod properties;
mod request;
mod send;
pub(crate) mod service;
mod sysex;
pub(crate) mod time;
pub(crate) mod watch;
mod words;
