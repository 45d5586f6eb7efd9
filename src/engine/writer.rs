//! Persistent changes off the routing path. A change that the configuration file must hold is
//! checked and its names reserved on the engine thread, written durably on a blocking thread,
//! and applied and answered only once the file holds it. Rewriting a large file takes a while;
//! meanwhile messages, transient changes and every other client are served.
//!
//! One write at a time, in the order the requests came: they take turns through an async
//! mutex, and each one is checked only when its turn comes, against the state the writes
//! before it left.

use super::persist::{Durable, Persistence};
use super::state::{Control, Engine};
use crate::core::error::ErrorKind;
use crate::core::ids::AssociationId;
use crate::core::model::PairInfo;
use crate::core::protocol::WireError;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use tokio::sync::Mutex;

pub struct Writer {
    persistence: Persistence,
    /// Held by the change being written; the others wait their turn in order.
    turn: Mutex<()>,
    /// Changes waiting or being written, per pair. Any other change to such a pair waits its
    /// turn too, so it cannot slip in between the check and the apply of one before it.
    queued: RefCell<HashMap<AssociationId, usize>>,
}

impl Writer {
    pub fn new(persistence: Persistence) -> Rc<Writer> {
        Rc::new(Writer {
            persistence,
            turn: Mutex::new(()),
            queued: RefCell::new(HashMap::new()),
        })
    }

    /// Whether `control` has to wait for the file: it changes what the file holds, or a change
    /// to the same pair is still on its way there.
    pub fn must_wait(&self, engine: &Engine, control: &Control) -> bool {
        engine.writes_file(control) || self.queued.borrow().contains_key(&control.pair())
    }

    /// Checks `control` when its turn comes, writes what it changes durably, then applies it.
    pub async fn run(
        &self,
        engine: &RefCell<Engine>,
        control: Control,
    ) -> Result<PairInfo, WireError> {
        let pair = control.pair();
        *self.queued.borrow_mut().entry(pair).or_default() += 1;
        let result = self.take_turn(engine, control).await;
        let mut queued = self.queued.borrow_mut();
        if let Some(n) = queued.get_mut(&pair) {
            *n -= 1;
            if *n == 0 {
                queued.remove(&pair);
            }
        }
        result
    }

    async fn take_turn(
        &self,
        engine: &RefCell<Engine>,
        control: Control,
    ) -> Result<PairInfo, WireError> {
        let _turn = self.turn.lock().await;
        let pending = engine.borrow_mut().prepare(control)?;
        if let Some(write) = pending.write.clone()
            && let Err(e) = self.write(write).await
        {
            engine.borrow_mut().abandon(&pending);
            return Err(e);
        }
        let now = crate::core::clock::monotonic_ns();
        engine.borrow_mut().commit(pending, now)
    }

    /// A write no answer waits for (clearing a removed transient pair's entry, should the file
    /// hold one): it takes its turn like the others, and a failure is only logged.
    pub fn write_later(self: &Rc<Self>, write: Durable) {
        let writer = self.clone();
        tokio::task::spawn_local(async move {
            let _turn = writer.turn.lock().await;
            if let Err(e) = writer.write(write).await {
                tracing::warn!("{}", e.message);
            }
        });
    }

    async fn write(&self, write: Durable) -> Result<(), WireError> {
        let persistence = self.persistence.clone();
        tokio::task::spawn_blocking(move || persistence.write(&write))
            .await
            .unwrap_or_else(|e| {
                Err(WireError {
                    kind: ErrorKind::Failed,
                    message: format!(
                        "writing the configuration file {} failed ({e}); nothing was changed",
                        self.persistence.path.display()
                    ),
                })
            })
    }
}
