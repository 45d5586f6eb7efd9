//! The seam every transport attaches through.
//!
//! A [`Peer`] is whatever sits on one side of a pair (or taps it, or watches the engine): a
//! socket client today, an ALSA sequencer port or a network session tomorrow. The router hands
//! it batches of stamped messages and the state tells it what happened to the pair; how the
//! messages travel on (frames on a socket, events to the kernel, datagrams) is the peer's own
//! business. A new transport is a new type that implements this trait and calls
//! [`Engine::route_send`](super::state::Engine) with what it receives — nothing else in the
//! engine changes.

use crate::core::ids::{Direction, Side};
use crate::core::model::PairInfo;

/// Identifies a peer within the engine, so it can be detached and never hears its own sends.
/// Socket connections use their connection number; other transports take numbers from
/// [`Engine::next_peer_id`](super::state::Engine::next_peer_id).
pub type PeerId = u64;

/// Where a batch is going.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// To a peer attached to this side: the messages arrive at its endpoint.
    Side(Side),
    /// To a peer tapping the pair: copies of what crosses it.
    Tap,
}

/// Stamped messages for one peer: `[timestamp u64 LE][word u32 LE]×n` each, exactly as the
/// sender's words left it (see `docs/PROTOCOL.md`), all crossing the pair in `dir`.
#[derive(Debug, Clone, Copy)]
pub struct Batch<'a> {
    pub dir: Direction,
    pub target: Target,
    pub body: &'a [u8],
    pub messages: u64,
}

/// What the engine tells its peers about. Peers attached to a pair hear about that pair;
/// watchers hear about every pair.
#[derive(Debug, Clone, Copy)]
pub enum Notice<'a> {
    /// A pair that existed when a watcher subscribed.
    Existing(&'a PairInfo),
    /// Sent to a watcher once every existing pair has been reported.
    Synced,
    Created(&'a PairInfo),
    Updated {
        pair: &'a PairInfo,
        change: Change,
    },
    Removed(&'a PairInfo),
    /// A client attached to, or detached from, one side (the count is in `pair`).
    Attached {
        pair: &'a PairInfo,
        side: Side,
    },
    Detached {
        pair: &'a PairInfo,
        side: Side,
    },
    /// The engine is stopping; nothing more will be delivered.
    Stopping,
}

/// What an update changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Change {
    pub renamed: bool,
    pub persistence: bool,
    pub muted: bool,
}

/// Whatever is attached to a side of a pair, taps a pair, or watches the engine.
///
/// Both methods are called on the engine's one thread, with the engine state borrowed: a peer
/// must not call back into the engine from them, only queue what it has to do.
pub trait Peer {
    fn id(&self) -> PeerId;

    /// Takes a batch, or refuses it whole when this peer has no room. A refused batch is lost
    /// for this peer alone; the router counts it (`dropped_overflow`) and the peer says so to
    /// its user in its own way.
    fn deliver(&self, batch: Batch<'_>) -> bool;

    /// Hears of a change to what it is attached to (or, for a watcher, to any pair).
    fn notify(&self, notice: Notice<'_>);
}
