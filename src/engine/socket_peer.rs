//! A socket client as a [`Peer`]: batches become `deliver` or `tap` frames in the
//! connection's [`Outbox`], notices become JSON events. The framing lives here and in the
//! outbox, nowhere else in the engine.

use super::outbox::Outbox;
use super::peer::{Batch, Notice, Peer, PeerId, Target};
use crate::core::ids::Side;
use crate::core::protocol::{self, Event, FrameKind};
use std::rc::Rc;

/// What a connection's peer stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Endpoint(Side),
    Tap,
    Watcher,
}

pub struct SocketPeer {
    pub outbox: Rc<Outbox>,
    pub role: Role,
}

impl SocketPeer {
    pub fn new(outbox: &Rc<Outbox>, role: Role) -> Rc<SocketPeer> {
        Rc::new(SocketPeer {
            outbox: outbox.clone(),
            role,
        })
    }

    fn watch_event(notice: Notice<'_>) -> Option<Event> {
        Some(match notice {
            Notice::Existing(pair) => Event::PairExisting { pair: pair.clone() },
            Notice::Synced => Event::Synced,
            Notice::Created(pair) => Event::PairCreated { pair: pair.clone() },
            Notice::Updated { pair, change } => {
                let changed = [
                    (change.renamed, "names"),
                    (change.persistence, "persistence"),
                    (change.muted, "muted"),
                ]
                .into_iter()
                .filter(|(yes, _)| *yes)
                .map(|(_, what)| what.to_string())
                .collect();
                Event::PairUpdated {
                    pair: pair.clone(),
                    changed,
                }
            }
            Notice::Removed(pair) => Event::PairRemoved { pair: pair.clone() },
            Notice::Attached { pair, side } => Event::ClientAttached {
                endpoint: pair.endpoint(side).clone(),
            },
            Notice::Detached { pair, side } => Event::ClientDetached {
                endpoint: pair.endpoint(side).clone(),
            },
            // Every connection hears of the stop from the server, once, whatever its role.
            Notice::Stopping => return None,
        })
    }
}

impl Peer for SocketPeer {
    fn id(&self) -> PeerId {
        self.outbox.conn_id
    }

    fn deliver(&self, batch: Batch<'_>) -> bool {
        match batch.target {
            Target::Side(_) => {
                self.outbox
                    .try_push_data(FrameKind::Deliver, &[], batch.body, batch.messages)
            }
            Target::Tap => self.outbox.try_push_data(
                FrameKind::TapDeliver,
                &[protocol::direction_byte(batch.dir)],
                batch.body,
                batch.messages,
            ),
        }
    }

    fn notify(&self, notice: Notice<'_>) {
        let event = match (self.role, notice) {
            (Role::Watcher, n) => Self::watch_event(n),
            (Role::Endpoint(side), Notice::Removed(pair)) => Some(Event::EndpointRemoved {
                endpoint: pair.endpoint(side).name.clone(),
            }),
            (Role::Tap, Notice::Removed(pair)) => Some(Event::EndpointRemoved {
                endpoint: pair.association_id.to_string(),
            }),
            // Renames and mutes reach a socket client through `watch`, not its data stream.
            _ => None,
        };
        if let Some(event) = event {
            self.outbox.push_event(&event);
        }
    }
}
