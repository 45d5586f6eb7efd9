//! The dashboard's only contact with the engine: a background thread that follows the pairs
//! through a `watch` subscription (created, changed, removed, clients coming and going), reads
//! only the counters, the status and the network sessions every refresh, carries out the
//! [`Command`]s the app asks for, and keeps a tap on the selected pair in a second thread.
//! Everything it learns goes to the UI thread as [`Report`]s over a channel, so drawing never
//! waits on the engine.
//!
//! It never starts an engine on its own: when the engine stops or restarts it reports
//! "unreachable" and retries, so `midi service stop` stays stopped while the dashboard is open.
//! Only [`Command::StartEngine`] (the user pressing `s`) starts one.

use super::action::{Command, Report};
use crate::client::{Client, ClientError, ClientOptions, WatchConnection};
use crate::core::ids::{AssociationId, Direction};
use crate::core::model::PairInfo;
use crate::core::protocol::{Event, TimedMessage};
use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How often to retry when no engine answers (at most; never faster than the refresh).
const RETRY_EVERY: Duration = Duration::from_secs(1);
/// The tap thread sends what it gathered at most this often, so a flood of messages becomes
/// a few reports a second instead of one per message.
const TAP_BATCH: Duration = Duration::from_millis(100);
/// Most messages one tap report carries; the rest are only counted.
const TAP_BATCH_MAX: usize = super::app::MONITOR_CAPACITY;

/// Starts the source thread with the connection made at start-up, or why there is none; the
/// thread ends when the command sender is dropped.
pub fn spawn(
    options: ClientOptions,
    client: Result<Client, String>,
    refresh: Duration,
    commands: Receiver<Command>,
    reports: Sender<Report>,
) -> JoinHandle<()> {
    std::thread::Builder::new()
        .name("dashboard-source".into())
        .spawn(move || {
            let (client, start_error) = match client {
                Ok(c) => (Some(c), None),
                Err(e) => (None, Some(e)),
            };
            Source {
                options,
                client,
                start_error,
                refresh,
                reports,
                watched: None,
                tap: None,
                following: None,
            }
            .run(commands)
        })
        .expect("spawn the dashboard's source thread")
}

struct Source {
    options: ClientOptions,
    client: Option<Client>,
    /// Why the engine could not be started when the dashboard opened: a better reason to show
    /// than "no engine is running", until an engine answers.
    start_error: Option<String>,
    refresh: Duration,
    reports: Sender<Report>,
    watched: Option<AssociationId>,
    tap: Option<Tap>,
    /// The subscription and the pairs as it has reported them, in the engine's order.
    following: Option<(WatchConnection, Vec<PairInfo>)>,
}

/// Applies one change event to the pairs a subscription follows.
fn apply_event(pairs: &mut Vec<PairInfo>, event: Event) {
    let find = |pairs: &Vec<PairInfo>, id| pairs.iter().position(|p| p.association_id == id);
    match event {
        Event::PairExisting { pair } | Event::PairCreated { pair } => {
            match find(pairs, pair.association_id) {
                Some(i) => pairs[i] = pair,
                None => pairs.push(pair),
            }
        }
        Event::PairUpdated { pair, .. } => {
            if let Some(i) = find(pairs, pair.association_id) {
                pairs[i] = pair;
            }
        }
        Event::PairRemoved { pair } => {
            if let Some(i) = find(pairs, pair.association_id) {
                pairs.remove(i);
            }
        }
        Event::ClientAttached { endpoint } | Event::ClientDetached { endpoint } => {
            if let Some(i) = find(pairs, endpoint.association_id) {
                let side = endpoint.side;
                match side {
                    crate::core::ids::Side::A => pairs[i].endpoint_a.clients = endpoint.clients,
                    crate::core::ids::Side::B => pairs[i].endpoint_b.clients = endpoint.clients,
                }
            }
        }
        _ => {}
    }
}

/// A running tap thread and the flag that stops it.
struct Tap {
    association_id: AssociationId,
    stop: Arc<AtomicBool>,
    thread: JoinHandle<()>,
}

impl Drop for Tap {
    fn drop(&mut self) {
        // Not joined: it notices within one receive timeout and exits on its own.
        self.stop.store(true, Ordering::Relaxed);
    }
}

impl Source {
    fn run(mut self, commands: Receiver<Command>) {
        let mut next_poll = Instant::now();
        loop {
            let wait = next_poll.saturating_duration_since(Instant::now());
            match commands.recv_timeout(wait) {
                Ok(Command::Watch(id)) => {
                    self.watched = id;
                    self.sync_tap(None);
                }
                Ok(command) => {
                    let result = self.execute(&command);
                    if self.send(Report::Done { command, result }).is_err() {
                        return;
                    }
                    next_poll = Instant::now(); // show the change at once
                }
                Err(RecvTimeoutError::Timeout) => {
                    let connected = self.poll();
                    if connected.is_err() {
                        return; // the UI has gone
                    }
                    let every = if connected == Ok(true) {
                        self.refresh
                    } else {
                        self.refresh.max(RETRY_EVERY)
                    };
                    next_poll = Instant::now() + every;
                }
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
    }

    fn send(&self, report: Report) -> Result<(), ()> {
        self.reports.send(report).map_err(|_| ())
    }

    /// Reads the counters; `Ok(connected)`, or `Err` when nobody listens to reports any more.
    fn poll(&mut self) -> Result<bool, ()> {
        if self.client.is_none() {
            match Client::connect_running(&self.quiet_options(false)) {
                Ok(Some(c)) => {
                    self.client = Some(c);
                    self.start_error = None;
                }
                Ok(None) => {
                    self.tap = None;
                    let reason = self.start_error.clone().unwrap_or_else(|| {
                        format!(
                            "no engine is running at {}",
                            self.options.paths.socket.display()
                        )
                    });
                    self.send(Report::Unreachable { reason })?;
                    return Ok(false);
                }
                Err(e) => {
                    self.tap = None;
                    self.send(Report::Unreachable {
                        reason: e.to_string(),
                    })?;
                    return Ok(false);
                }
            }
        }
        match self.read_snapshot() {
            Ok((pairs, status)) => {
                let exists = |id: AssociationId| pairs.iter().any(|p| p.association_id == id);
                let watched_exists = self.watched.is_some_and(exists);
                self.send(Report::Snapshot {
                    at: Instant::now(),
                    status,
                    pairs,
                })?;
                self.sync_tap(Some(watched_exists));
                Ok(true)
            }
            Err(e) => {
                self.client = None;
                self.following = None;
                self.tap = None;
                self.send(Report::Unreachable {
                    reason: lost_reason(&e),
                })?;
                Ok(false)
            }
        }
    }

    /// The pairs as the subscription has them (caught up with every event waiting), with the
    /// counters and the status read now.
    fn read_snapshot(
        &mut self,
    ) -> Result<(Vec<PairInfo>, crate::core::protocol::EngineStatus), ClientError> {
        if self.following.is_none() {
            let watch = Client::connect_running(&self.quiet_options(false))?
                .ok_or(ClientError::EngineStopped)?
                .watch()?;
            self.following = Some((watch, Vec::new()));
        }
        let (watch, pairs) = self.following.as_mut().expect("subscribed just above");
        // Everything already sent is waiting in the socket: a short wait drains it.
        while let Some(event) = watch.next_event(Some(Duration::from_millis(1)))? {
            if event == Event::EngineStopping {
                return Err(ClientError::EngineStopped);
            }
            apply_event(pairs, event);
        }
        let client = self.client.as_mut().expect("connected before reading");
        let counters = client.counters()?;
        let status = client.status()?;
        for c in counters {
            if let Some(p) = pairs
                .iter_mut()
                .find(|p| p.association_id == c.association_id)
            {
                p.a_to_b = c.a_to_b;
                p.b_to_a = c.b_to_a;
            }
        }
        // The change events carry no network sessions: their presence and traffic are read
        // every refresh, like the counters.
        let mut pairs = pairs.clone();
        client.network_list()?.mark(&mut pairs);
        Ok((pairs, status))
    }

    /// Options for connections the dashboard makes on its own: no spinner (the screen is
    /// ours) and no autostart unless asked.
    fn quiet_options(&self, autostart: bool) -> ClientOptions {
        let mut o = self.options.clone();
        o.progress = false;
        o.autostart = autostart;
        o
    }

    /// Starts, replaces or stops the tap so it follows the watched pair. `exists`: whether the
    /// watched pair is in the latest snapshot (`None`: not known yet, try anyway).
    fn sync_tap(&mut self, exists: Option<bool>) {
        let alive = self
            .tap
            .as_ref()
            .is_some_and(|t| Some(t.association_id) == self.watched && !t.thread.is_finished());
        if alive {
            return;
        }
        self.tap = None;
        let Some(id) = self.watched else { return };
        if exists == Some(false) || self.client.is_none() {
            return;
        }
        let tap = Client::connect_running(&self.quiet_options(false))
            .and_then(|c| c.ok_or(ClientError::EngineStopped))
            .and_then(|c| c.tap(id));
        if let Ok(connection) = tap {
            let stop = Arc::new(AtomicBool::new(false));
            let reports = self.reports.clone();
            let flag = stop.clone();
            let thread = std::thread::Builder::new()
                .name("dashboard-tap".into())
                .spawn(move || run_tap(connection, flag, reports))
                .expect("spawn the dashboard's tap thread");
            self.tap = Some(Tap {
                association_id: id,
                stop,
                thread,
            });
        }
        // A failed tap is retried at the next poll; the meters work without it.
    }

    /// Carries out one command; the pair as it is afterwards, or why it failed.
    fn execute(
        &mut self,
        command: &Command,
    ) -> Result<Option<crate::core::model::PairInfo>, String> {
        let text = |e: ClientError| e.to_string();
        match command {
            Command::StartEngine => {
                let client = Client::connect(&self.quiet_options(true)).map_err(text)?;
                self.client = Some(client);
                self.start_error = None;
                Ok(None)
            }
            Command::SendTestNote {
                endpoint,
                first,
                then,
                then_after_ms,
            } => {
                // A connection of its own: the control connection cannot open an endpoint and
                // stay a control connection.
                let mut conn = Client::connect_running(&self.quiet_options(false))
                    .map_err(text)?
                    .ok_or_else(|| text(ClientError::EngineStopped))?
                    .open_endpoint(endpoint)
                    .map_err(text)?;
                conn.send(first).map_err(text)?;
                // Stamped for later, so the engine holds the note off and this thread moves on.
                let later = crate::core::clock::monotonic_ns() + then_after_ms * 1_000_000;
                conn.send_at(later, then).map_err(text)?;
                conn.flush().map_err(text)?;
                conn.close();
                Ok(None)
            }
            Command::Watch(_) => Ok(None),
            _ => {
                let Some(client) = self.client.as_mut() else {
                    return Err(super::strings::NEEDS_ENGINE.to_string());
                };
                let result = match command {
                    Command::Create(def) => client.create_pair(def.clone()),
                    Command::Update {
                        association_id,
                        update,
                        ..
                    } => client.update_pair(*association_id, update),
                    Command::SetMuted {
                        association_id,
                        muted,
                    } => client.set_muted(*association_id, *muted),
                    Command::Remove { association_id } => client.remove_pair(*association_id),
                    _ => unreachable!("handled above"),
                };
                match result {
                    Ok(pair) => Ok(Some(pair)),
                    Err(e) => {
                        if matches!(e, ClientError::Disconnected(_) | ClientError::EngineStopped) {
                            self.client = None;
                        }
                        Err(text(e))
                    }
                }
            }
        }
    }
}

/// Words for a lost connection that say what happened, not how the socket failed.
fn lost_reason(e: &ClientError) -> String {
    match e {
        ClientError::EngineStopped => "the engine stopped".to_string(),
        other => other.to_string(),
    }
}

/// The tap thread: gathers copies of the pair's traffic and sends them in batches until told
/// to stop, or until the pair or the engine goes away.
fn run_tap(mut tap: crate::client::TapConnection, stop: Arc<AtomicBool>, reports: Sender<Report>) {
    let association_id = tap.association_id();
    let mut batch: VecDeque<(Direction, TimedMessage)> = VecDeque::new();
    let mut skipped = 0u64;
    let mut batch_start = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        let wait = TAP_BATCH.saturating_sub(batch_start.elapsed());
        match tap.receive(Some(wait.max(Duration::from_millis(1)))) {
            Ok(Some((dir, messages))) => {
                for m in messages {
                    // Keep the newest: past the limit, drop the oldest and count it.
                    if batch.len() == TAP_BATCH_MAX {
                        batch.pop_front();
                        skipped += 1;
                    }
                    batch.push_back((dir, m));
                }
            }
            Ok(None) => {}
            Err(_) => break,
        }
        if batch_start.elapsed() >= TAP_BATCH {
            if !batch.is_empty() || skipped > 0 {
                let report = Report::Tapped {
                    association_id,
                    messages: std::mem::take(&mut batch).into(),
                    skipped: std::mem::take(&mut skipped),
                };
                if reports.send(report).is_err() {
                    return;
                }
            }
            batch_start = Instant::now();
        }
    }
    if !batch.is_empty() {
        let _ = reports.send(Report::Tapped {
            association_id,
            messages: batch.into(),
            skipped,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::model::{NameSpec, PairSpec};

    fn pair(root: &str) -> PairInfo {
        let def = PairSpec {
            names: Some(NameSpec::Root(root.into())),
            ..Default::default()
        }
        .resolve()
        .unwrap();
        let endpoint = |side| crate::core::model::EndpointInfo {
            id: def.endpoint_id(side),
            name: def.endpoint(side).name.clone(),
            description: String::new(),
            side,
            association_id: def.association_id,
            clients: 0,
            alsa: None,
            network_presence: None,
        };
        PairInfo {
            association_id: def.association_id,
            unique_identifier: def.unique_identifier.clone(),
            persistent: false,
            muted: false,
            feedback_loop: false,
            endpoint_a: endpoint(crate::core::ids::Side::A),
            endpoint_b: endpoint(crate::core::ids::Side::B),
            a_to_b: Default::default(),
            b_to_a: Default::default(),
        }
    }

    #[test]
    fn the_followed_pairs_keep_the_engine_order_through_every_kind_of_change() {
        let (one, two, three) = (pair("One"), pair("Two"), pair("Three"));
        let mut pairs = Vec::new();
        apply_event(&mut pairs, Event::PairExisting { pair: one.clone() });
        apply_event(&mut pairs, Event::PairExisting { pair: two.clone() });
        apply_event(&mut pairs, Event::Synced);
        apply_event(
            &mut pairs,
            Event::PairCreated {
                pair: three.clone(),
            },
        );
        let mut renamed = two.clone();
        renamed.endpoint_a.name = "Second (A)".into();
        apply_event(
            &mut pairs,
            Event::PairUpdated {
                pair: renamed,
                changed: vec!["names".into()],
            },
        );
        let mut attached = three.endpoint_b.clone();
        attached.clients = 2;
        apply_event(&mut pairs, Event::ClientAttached { endpoint: attached });
        apply_event(&mut pairs, Event::PairRemoved { pair: one });
        let names: Vec<_> = pairs.iter().map(|p| p.endpoint_a.name.as_str()).collect();
        assert_eq!(names, ["Second (A)", "Three (A)"]);
        assert_eq!(pairs[1].endpoint_b.clients, 2);
    }
}
