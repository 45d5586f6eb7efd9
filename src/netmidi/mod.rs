//! Network MIDI 2.0: UMP over UDP, as the MIDI Association specified it in 2024 and as
//! Windows MIDI Services, amidi2net and Zephyr implement it (see `docs/NETWORK.md`).
//!
//! - [`packet`]: datagrams and command packets, parsed with every field checked.
//! - [`session`]: the sans-IO state machines for both roles, host and client, driven by
//!   datagrams and a clock the caller passes in.
//! - [`socket`]: a small tokio driver that owns a UDP socket and runs one state machine.
//! - [`mdns`]: discovery (`_midi2._udp`) over IPv4 and IPv6 multicast DNS, with
//!   [`interfaces`] naming the IPv6 interfaces a group is joined on.

pub mod interfaces;
pub mod mdns;
pub mod packet;
pub mod session;
pub mod socket;

/// The UDP port a host listens on unless told otherwise. The specification registers no
/// port (discovery over mDNS announces the real one); amidi2net's documentation uses this
/// one in its examples, so both sides of a hand-made link guess the same.
pub const DEFAULT_PORT: u16 = crate::core::network::DEFAULT_PORT;
