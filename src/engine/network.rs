//! Network MIDI 2.0 sessions as peers of the engine. A **host** publishes one endpoint: each
//! remote client that comes up is a [`Peer`] attached to that endpoint, so what it sends goes
//! out on the endpoint (`route_send`) and what arrives at the endpoint goes back to it. A
//! **client** session joins a remote host and takes the place of an application on a local
//! endpoint in the same way. The sockets and the protocol are `netmidi`'s driver; this room
//! only joins its events to the engine, on the engine's own thread.

use super::outbox::{DirtyList, Outbox, flush_dirty};
use super::peer::{Batch, Notice, Peer, PeerId};
use super::state::{Attachment, Engine};
use crate::core::clock::monotonic_ns;
use crate::core::config::{self, CLIENTS, ConfigDocument, HOSTS};
use crate::core::error::ErrorKind;
use crate::core::ids::Side;
use crate::core::model::{NameSpec, PairSpec, find_endpoint};
use crate::core::network::{
    ClientInfo, ClientState, ConnectSpec, HostInfo, HostSpec, LocalTarget, Recovery, RemoteSession,
    Secret, Sessions, StoredClient, StoredHost, UserLogin,
};
use crate::core::protocol::{
    self, FrameKind, Reply, Request, RequestFrame, ResponseFrame, WireError,
};
use crate::core::ump;
use crate::netmidi::mdns::{self, Advert};
use crate::netmidi::packet::{Identity, bye_reason};
use crate::netmidi::session::{
    ClientConfig, Counter, Counters, Credentials, DownReason, HostAuth, HostConfig, SessionId,
    Timing, UserCredential,
};
use crate::netmidi::socket::{self, Driver, Event};
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::Duration;
use tokio::sync::Notify;

/// Words that may wait for one host or client task before deliveries to it are refused (and
/// counted as dropped by the router), so a stalled network cannot grow the engine.
const OUTGOING_LIMIT_WORDS: usize = 1 << 20;

/// How soon after traffic a session's recovery counters are read again.
const COUNTERS_REFRESH: Duration = Duration::from_millis(250);

/// Between attempts of a client that keeps trying.
const RETRY_PAUSE: Duration = Duration::from_secs(1);

/// Test knob: `MIDI_NETWORK_TIMEOUT_MS` shortens how long a silent peer is tolerated (and the
/// pauses between invitations), so a dead session ends soon in a test.
const TIMEOUT_VARIABLE: &str = "MIDI_NETWORK_TIMEOUT_MS";

/// Every network session of the engine.
pub struct Network {
    engine: Rc<RefCell<Engine>>,
    dirty: DirtyList,
    /// Where persistent hosts and sessions are kept.
    config_file: PathBuf,
    hosts: RefCell<Vec<Rc<HostRun>>>,
    clients: RefCell<Vec<Rc<ClientRun>>>,
    /// Host and client tasks still running (they say bye before they end).
    tasks: Cell<usize>,
}

/// What waits to go from the engine to the network, filled by the peers' `deliver`.
#[derive(Default)]
struct Outgoing {
    queue: RefCell<Vec<(SessionId, Vec<u32>)>>,
    words: Cell<usize>,
    /// The endpoint went away or the engine stops.
    ended: Cell<bool>,
    bell: Notify,
}

impl Outgoing {
    fn push(&self, session: SessionId, body: &[u8]) -> bool {
        if self.words.get() + body.len() / 4 > OUTGOING_LIMIT_WORDS {
            return false;
        }
        let mut queue = self.queue.borrow_mut();
        let fresh = !matches!(queue.last(), Some((s, _)) if *s == session);
        if fresh {
            queue.push((session, Vec::new()));
        }
        let words = &mut queue.last_mut().expect("just pushed").1;
        let before = words.len();
        for m in protocol::iter_payload(body) {
            words.extend_from_slice(m.words());
        }
        self.words.set(self.words.get() + words.len() - before);
        self.bell.notify_one();
        true
    }

    fn take(&self) -> Vec<(SessionId, Vec<u32>)> {
        self.words.set(0);
        std::mem::take(&mut *self.queue.borrow_mut())
    }

    fn end(&self) {
        self.ended.set(true);
        self.bell.notify_one();
    }
}

/// One network session attached to an endpoint.
struct SessionPeer {
    id: PeerId,
    session: SessionId,
    outgoing: Rc<Outgoing>,
}

impl Peer for SessionPeer {
    fn id(&self) -> PeerId {
        self.id
    }

    fn deliver(&self, batch: Batch<'_>) -> bool {
        self.outgoing.push(self.session, batch.body)
    }

    fn notify(&self, notice: Notice<'_>) {
        if matches!(notice, Notice::Removed(_) | Notice::Stopping) {
            self.outgoing.end();
        }
    }
}

/// Where on the engine a session sends and receives.
#[derive(Debug, Clone, Copy)]
struct Place {
    pair_key: u64,
    side: Side,
}

impl Place {
    fn attachment(self) -> Attachment {
        Attachment::Endpoint {
            pair_key: self.pair_key,
            side: self.side,
        }
    }
}

/// A remote client of a host, while its session is up.
struct Remote {
    peer_id: PeerId,
    info: RemoteSession,
}

struct HostRun {
    place: Place,
    listen: SocketAddr,
    name: String,
    authentication: bool,
    remotes: RefCell<BTreeMap<SessionId, Remote>>,
    /// Messages sent to and received from remote clients that have left, so the host's
    /// totals only grow.
    ended_traffic: std::cell::Cell<(u64, u64)>,
    outgoing: Rc<Outgoing>,
    stop: Notify,
    /// Its key in the configuration file, when it is persistent.
    stored: Option<String>,
    /// What it announces over mDNS, and on which address's interface.
    advert: Option<(Advert, std::net::IpAddr)>,
}

struct ClientRun {
    spec: ConnectSpec,
    /// Its key in the configuration file, when it is persistent.
    stored: Option<String>,
    place: Cell<Option<Place>>,
    state: Cell<ClientState>,
    remote_name: RefCell<Option<String>>,
    last_error: RefCell<Option<String>>,
    sent: Cell<u64>,
    received: Cell<u64>,
    recovery: Cell<Recovery>,
    outgoing: Rc<Outgoing>,
    stop: Notify,
    stopped: Cell<bool>,
}

fn err(kind: ErrorKind, message: impl Into<String>) -> WireError {
    WireError {
        kind,
        message: message.into(),
    }
}

/// The protocol's clocks, shortened by [`TIMEOUT_VARIABLE`] when it is set.
fn timing() -> Timing {
    let mut t = Timing::default();
    let ms = std::env::var(TIMEOUT_VARIABLE)
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|&ms| ms >= 50);
    if let Some(ms) = ms {
        t.liveness = Duration::from_millis(ms);
        t.ping_interval = Duration::from_millis(ms / 10);
        t.invitation_retry = Duration::from_millis(ms / 5);
    }
    t
}

/// Turns stamped messages into UMP words' payload for `route_send`: timestamps of 0, "now".
fn payload_of(words: &[u32], out: &mut Vec<u8>) {
    out.clear();
    let mut rest = words;
    while let Some(&first) = rest.first() {
        let n = ump::message_words(first).min(rest.len());
        protocol::put_message(out, 0, &rest[..n]);
        rest = &rest[n..];
    }
}

/// Why a client session ended, in words, and the kind of failure it is.
fn down_text(host: SocketAddr, reason: &DownReason) -> (ErrorKind, String) {
    match reason {
        DownReason::NoAnswer => (
            ErrorKind::Unreachable,
            format!(
                "no Network MIDI host answered at {host}; check the address and port, and that `midi network host` runs there"
            ),
        ),
        DownReason::Refused {
            reason: bye_reason::NO_MATCHING_AUTH | bye_reason::AUTH_MISSING_PRIOR_ATTEMPT,
        } => (
            ErrorKind::Failed,
            format!(
                "the host at {host} refused the session: it requires a shared secret or a user; give --secret-file FILE, or --user NAME --password-file FILE"
            ),
        ),
        DownReason::Refused {
            reason: bye_reason::USER_NOT_FOUND,
        } => (
            ErrorKind::Failed,
            format!("authentication failed: the host at {host} knows no such user; check --user"),
        ),
        DownReason::Refused {
            reason: bye_reason::AUTH_FAILED,
        } => (
            ErrorKind::Failed,
            format!(
                "authentication failed: the host at {host} rejected the secret; check the file given with --secret-file"
            ),
        ),
        DownReason::Refused {
            reason: bye_reason::TOO_MANY_SESSIONS,
        } => (
            ErrorKind::Failed,
            format!(
                "the host at {host} refused the session: it already serves as many clients as it takes"
            ),
        ),
        DownReason::Refused { reason } => (
            ErrorKind::Failed,
            format!("the host at {host} refused the session (bye reason 0x{reason:02X})"),
        ),
        DownReason::AuthenticationNeeded { user_auth: false } => (
            ErrorKind::Failed,
            format!("the host at {host} requires a shared secret; give it with --secret-file FILE"),
        ),
        DownReason::AuthenticationNeeded { user_auth: true } => (
            ErrorKind::Failed,
            format!(
                "the host at {host} requires a user name and password; give them with --user NAME --password-file FILE"
            ),
        ),
        DownReason::AuthenticationRejected => (
            ErrorKind::Failed,
            format!(
                "authentication failed: the host at {host} rejected the secret or password; check --secret-file, or --user and --password-file"
            ),
        ),
        DownReason::Timeout => (
            ErrorKind::Unreachable,
            format!("the host at {host} stopped answering; the session timed out"),
        ),
        DownReason::PeerBye { text, .. } if !text.is_empty() => (
            ErrorKind::Failed,
            format!("the host at {host} ended the session: {text}"),
        ),
        DownReason::PeerBye { .. } => (
            ErrorKind::Failed,
            format!("the host at {host} ended the session"),
        ),
        other => (
            ErrorKind::Failed,
            format!("the session with {host} ended: {other:?}"),
        ),
    }
}

/// Whether trying again could help (a wrong secret stays wrong).
fn worth_retrying(reason: &DownReason) -> bool {
    !matches!(
        reason,
        DownReason::AuthenticationNeeded { .. }
            | DownReason::AuthenticationRejected
            | DownReason::Closed
    )
}

impl Network {
    pub fn new(engine: Rc<RefCell<Engine>>, dirty: DirtyList, config_file: PathBuf) -> Rc<Network> {
        Rc::new(Network {
            engine,
            dirty,
            config_file,
            hosts: RefCell::new(Vec::new()),
            clients: RefCell::new(Vec::new()),
            tasks: Cell::new(0),
        })
    }

    /// Whether this request is one of ours (answered by [`Network::handle`]).
    pub fn handles(request: &Request) -> bool {
        matches!(
            request,
            Request::NetworkHost { .. }
                | Request::NetworkConnect { .. }
                | Request::NetworkList
                | Request::NetworkStop { .. }
                | Request::NetworkDiscover { .. }
        )
    }

    /// Answers a network request on `outbox`: at once, or (connect) once the session is up.
    pub fn handle(self: &Rc<Self>, frame: RequestFrame, outbox: &Rc<Outbox>) {
        let result = match frame.request {
            Request::NetworkHost { host } => self.host(host),
            Request::NetworkList => Ok(self.sessions()),
            Request::NetworkStop { target } => self.stop(&target),
            Request::NetworkConnect { connect } => {
                let (answer, answered) = tokio::sync::oneshot::channel();
                self.connect(connect, answer);
                let outbox = outbox.clone();
                let dirty = self.dirty.clone();
                tokio::task::spawn_local(async move {
                    let result = answered.await.unwrap_or_else(|_| {
                        Err(err(ErrorKind::Failed, "the engine stopped the session"))
                    });
                    respond(&outbox, frame.id, result.map(Reply::Network));
                    flush_dirty(&dirty);
                });
                return;
            }
            Request::NetworkDiscover { interface, wait_ms } => {
                let outbox = outbox.clone();
                let dirty = self.dirty.clone();
                // Bounded: a client waits for the answer (10 s by default).
                let wait = Duration::from_millis(wait_ms.min(8_000));
                tokio::task::spawn_local(async move {
                    let result = mdns::browse(interface, wait)
                        .await
                        .map(|found| {
                            Reply::Discovered(crate::core::network::Discovery {
                                hosts: found.into_iter().map(discovered).collect(),
                            })
                        })
                        .map_err(|e| {
                            err(
                                ErrorKind::Failed,
                                format!("cannot ask the network over mDNS: {e}"),
                            )
                        });
                    respond(&outbox, frame.id, result);
                    flush_dirty(&dirty);
                });
                return;
            }
            _ => return,
        };
        respond(outbox, frame.id, result.map(Reply::Network));
    }

    /// Whether some host or client task has yet to say bye and end.
    pub fn busy(&self) -> bool {
        self.tasks.get() > 0
    }

    /// Runs a host or client task, counted while it lives.
    fn spawn(self: &Rc<Self>, task: impl std::future::Future<Output = ()> + 'static) {
        self.tasks.set(self.tasks.get() + 1);
        let me = self.clone();
        tokio::task::spawn_local(async move {
            task.await;
            me.tasks.set(me.tasks.get() - 1);
        });
    }

    /// Ends every session (the engine stops).
    pub fn stop_all(&self) {
        for h in self.hosts.borrow_mut().drain(..) {
            h.stop.notify_one();
        }
        for c in self.clients.borrow_mut().drain(..) {
            c.stopped.set(true);
            c.stop.notify_one();
        }
    }

    /// The pair key and side of an endpoint named by id or name.
    fn find(&self, wanted: &str) -> Result<Place, WireError> {
        let engine = self.engine.borrow();
        let now = monotonic_ns();
        for (&pair_key, pair) in &engine.pairs {
            let info = pair.info(now);
            if let Some(ep) = find_endpoint(std::slice::from_ref(&info), wanted) {
                return Ok(Place {
                    pair_key,
                    side: ep.side,
                });
            }
        }
        Err(err(
            ErrorKind::NotFound,
            format!(
                "no endpoint has the id or name {wanted:?}; `midi endpoint list` shows the endpoints"
            ),
        ))
    }

    /// The endpoint's name and id now (it may have been renamed), or why not.
    fn endpoint_of(&self, place: Place) -> Option<(String, String)> {
        let engine = self.engine.borrow();
        let pair = engine.pairs.get(&place.pair_key)?;
        let ep = pair.def.endpoint(place.side);
        Some((
            ep.name.clone(),
            pair.def.endpoint_id(place.side).to_string(),
        ))
    }

    /// A wire identity for an endpoint: its name, and its pair's unique identifier.
    fn identity(&self, place: Place, name: Option<&str>) -> Result<Identity, WireError> {
        let engine = self.engine.borrow();
        let pair = engine
            .pairs
            .get(&place.pair_key)
            .ok_or_else(|| err(ErrorKind::NotFound, "the endpoint was removed"))?;
        let name = name.unwrap_or(&pair.def.endpoint(place.side).name);
        Identity::new(name, pair.def.unique_identifier.as_str())
            .map_err(|e| err(ErrorKind::Invalid, e.to_string()))
    }

    fn host(self: &Rc<Self>, spec: HostSpec) -> Result<Sessions, WireError> {
        self.start_host(spec, None)
    }

    /// Starts a host; `stored` is its key when it came from the configuration file.
    fn start_host(
        self: &Rc<Self>,
        spec: HostSpec,
        stored: Option<String>,
    ) -> Result<Sessions, WireError> {
        let place = self.find(&spec.endpoint)?;
        if self
            .hosts
            .borrow()
            .iter()
            .any(|h| h.place.pair_key == place.pair_key && h.place.side == place.side)
        {
            return Err(err(
                ErrorKind::Conflict,
                format!(
                    "{:?} is already hosted; `midi network list` shows where, `midi network stop` ends it",
                    spec.endpoint
                ),
            ));
        }
        let identity = self.identity(place, spec.name.as_deref())?;
        let auth = match (&spec.secret, &spec.user) {
            (Some(s), _) => HostAuth::SharedSecret(s.0.clone()),
            (None, Some(login)) => HostAuth::Users(vec![UserCredential {
                user: login.user.clone(),
                password: login.password.0.clone(),
            }]),
            (None, None) => HostAuth::Open,
        };
        let mut config = HostConfig::new(identity.clone(), auth);
        config.timing = timing();
        let bind = SocketAddr::new(spec.bind, spec.port);
        let driver = socket::start_host(bind, config).map_err(|e| {
            err(
                ErrorKind::Failed,
                format!("cannot listen on {bind}: {e}; choose another --port (0 picks a free one) or --bind address"),
            )
        })?;
        let stored = match (stored, spec.persistent) {
            (Some(key), _) => Some(key),
            (None, true) => Some(self.store_host(place, &spec)?),
            (None, false) => None,
        };
        let advert = spec.advertise.then(|| {
            let advert = Advert {
                instance: identity.endpoint_name().to_string(),
                endpoint_name: identity.endpoint_name().to_string(),
                product_instance_id: identity.product_instance_id().to_string(),
                address: driver.local_addr(),
            };
            (advert, spec.bind)
        });
        let run = Rc::new(HostRun {
            advert,
            stored,
            place,
            listen: driver.local_addr(),
            name: identity.endpoint_name().to_string(),
            authentication: spec.secret.is_some() || spec.user.is_some(),
            remotes: RefCell::new(BTreeMap::new()),
            ended_traffic: std::cell::Cell::new((0, 0)),
            outgoing: Rc::default(),
            stop: Notify::new(),
        });
        tracing::info!(
            "network host for {:?} listening on {}{}",
            spec.endpoint,
            run.listen,
            if run.authentication {
                " (shared secret required)"
            } else {
                ""
            }
        );
        self.hosts.borrow_mut().push(run.clone());
        let answer = Sessions {
            hosts: self.host_info(&run).into_iter().collect(),
            clients: Vec::new(),
        };
        self.spawn(self.clone().run_host(run, driver));
        Ok(answer)
    }

    fn host_info(&self, run: &HostRun) -> Option<HostInfo> {
        let (endpoint, endpoint_id) = self.endpoint_of(run.place)?;
        Some(HostInfo {
            endpoint,
            endpoint_id,
            listen: run.listen,
            name: run.name.clone(),
            authentication: run.authentication,
            sessions: run
                .remotes
                .borrow()
                .values()
                .map(|r| r.info.clone())
                .collect(),
            ended_sessions_sent: run.ended_traffic.get().0,
            ended_sessions_received: run.ended_traffic.get().1,
            persistent: run.stored.is_some(),
        })
    }

    fn client_info(&self, run: &ClientRun) -> ClientInfo {
        let (endpoint, endpoint_id) = run
            .place
            .get()
            .and_then(|p| self.endpoint_of(p))
            .unwrap_or_default();
        ClientInfo {
            host: run.spec.host,
            endpoint,
            endpoint_id,
            state: run.state.get(),
            remote_name: run.remote_name.borrow().clone(),
            retry: run.spec.retry,
            last_error: run.last_error.borrow().clone(),
            messages_sent: run.sent.get(),
            messages_received: run.received.get(),
            recovery: run.recovery.get(),
            persistent: run.stored.is_some(),
        }
    }

    /// Every host and client session, as `network list` reports them.
    pub fn sessions(&self) -> Sessions {
        Sessions {
            hosts: self
                .hosts
                .borrow()
                .iter()
                .filter_map(|h| self.host_info(h))
                .collect(),
            clients: self
                .clients
                .borrow()
                .iter()
                .map(|c| self.client_info(c))
                .collect(),
        }
    }

    fn stop(&self, target: &str) -> Result<Sessions, WireError> {
        let wanted = target.trim();
        let place = self.find(wanted).ok();
        let same_place =
            |p: Place| place.is_some_and(|w| w.pair_key == p.pair_key && w.side == p.side);
        let host_matches =
            |addr: SocketAddr| addr.to_string() == wanted || addr.ip().to_string() == wanted;
        let mut stopped = Sessions::default();
        let hosts: Vec<Rc<HostRun>> = self.hosts.borrow().clone();
        for h in hosts.iter().filter(|h| same_place(h.place)) {
            stopped.hosts.extend(self.host_info(h));
            self.forget(HOSTS, h.stored.as_deref());
            h.stop.notify_one();
        }
        self.hosts.borrow_mut().retain(|h| !same_place(h.place));
        let clients: Vec<Rc<ClientRun>> = self.clients.borrow().clone();
        let chosen =
            |c: &ClientRun| c.place.get().is_some_and(same_place) || host_matches(c.spec.host);
        for c in clients.iter().filter(|c| chosen(c)) {
            stopped.clients.push(self.client_info(c));
            self.forget(CLIENTS, c.stored.as_deref());
            c.stopped.set(true);
            c.stop.notify_one();
        }
        self.clients.borrow_mut().retain(|c| !chosen(c));
        if stopped.hosts.is_empty() && stopped.clients.is_empty() {
            return Err(err(
                ErrorKind::NotFound,
                format!(
                    "no network host or session is on {wanted:?}; `midi network list` shows them (give an endpoint or HOST:PORT)"
                ),
            ));
        }
        tracing::info!("network sessions on {wanted:?} stopped");
        Ok(stopped)
    }

    /// Applies one change to the configuration file's network section, durably.
    fn edit_stored(
        &self,
        list: &str,
        key: &str,
        entry: Option<serde_json::Value>,
    ) -> Result<(), WireError> {
        let failed = |e: config::ConfigError| err(ErrorKind::Failed, e.to_string());
        let mut doc = ConfigDocument::load(&self.config_file).map_err(failed)?;
        if doc
            .set_network_entry(list, key, entry.as_ref())
            .map_err(failed)?
        {
            config::write_atomic(&self.config_file, &doc.to_json_string()).map_err(failed)?;
        }
        Ok(())
    }

    fn store_host(&self, place: Place, spec: &HostSpec) -> Result<String, WireError> {
        let (_, endpoint_id) = self
            .endpoint_of(place)
            .ok_or_else(|| err(ErrorKind::NotFound, "the endpoint was removed"))?;
        if spec.port == 0 {
            return Err(err(
                ErrorKind::Invalid,
                "a persistent host needs a fixed port, so its clients find it again: give --port N (0 picks another one each time)",
            ));
        }
        if spec.secret.is_some() && spec.secret_file.is_none() {
            return Err(err(
                ErrorKind::Invalid,
                "a persistent host keeps its secret in a file: give it with --secret-file, not through the environment",
            ));
        }
        let entry = StoredHost {
            endpoint: endpoint_id.clone(),
            port: spec.port,
            bind: spec.bind,
            name: spec.name.clone(),
            secret_file: spec.secret_file.clone(),
            user: spec.user.as_ref().map(|u| u.user.clone()),
            password_file: spec.password_file.clone(),
            advertise: spec.advertise,
        };
        let value = serde_json::to_value(&entry).expect("entries always serialise");
        self.edit_stored(HOSTS, &endpoint_id, Some(value))?;
        Ok(endpoint_id)
    }

    fn store_client(&self, spec: &ConnectSpec) -> Result<String, WireError> {
        if spec.secret.is_some() && spec.secret_file.is_none() {
            return Err(err(
                ErrorKind::Invalid,
                "a persistent session keeps its secret in a file: give it with --secret-file, not through the environment",
            ));
        }
        let key = spec.host.to_string();
        let entry = StoredClient {
            host: spec.host,
            target: spec.target.clone(),
            secret_file: spec.secret_file.clone(),
            user: spec.user.as_ref().map(|u| u.user.clone()),
            password_file: spec.password_file.clone(),
        };
        let value = serde_json::to_value(&entry).expect("entries always serialise");
        self.edit_stored(CLIENTS, &key, Some(value))?;
        Ok(key)
    }

    /// Removes a stopped host's or session's entry, if it had one.
    fn forget(&self, list: &str, stored: Option<&str>) {
        if let Some(key) = stored
            && let Err(e) = self.edit_stored(list, key, None)
        {
            self.engine.borrow_mut().warn(format!(
                "the stopped network entry {key} stays in the configuration file: {}",
                e.message
            ));
        }
    }

    /// Starts the persistent hosts and client sessions of the configuration file; what
    /// cannot start is a warning, and stays in the file.
    pub fn restore(self: &Rc<Self>) {
        let Ok(doc) = ConfigDocument::load(&self.config_file) else {
            return; // the engine reported the file already
        };
        for (key, value) in doc.network_entries(HOSTS) {
            let started = serde_json::from_value::<StoredHost>(value)
                .map_err(|e| e.to_string())
                .and_then(|h| stored_host_spec(h).map_err(|e| e.message))
                .and_then(|spec| {
                    self.start_host(spec, Some(key.clone()))
                        .map_err(|e| e.message)
                });
            if let Err(e) = started {
                self.warn_entry(HOSTS, &key, &e);
            }
        }
        for (key, value) in doc.network_entries(CLIENTS) {
            let spec = serde_json::from_value::<StoredClient>(value)
                .map_err(|e| e.to_string())
                .and_then(|c| stored_client_spec(c).map_err(|e| e.message));
            match spec {
                Ok(spec) => {
                    let (answer, _) = tokio::sync::oneshot::channel();
                    self.start_client(spec, answer, Some(key));
                }
                Err(e) => self.warn_entry(CLIENTS, &key, &e),
            }
        }
    }

    fn warn_entry(&self, list: &str, key: &str, reason: &str) {
        self.engine.borrow_mut().warn(format!(
            "network {list} entry {key} not started (left in the file): {reason}"
        ));
    }

    /// Attaches a session's peer to its endpoint; `None` when the endpoint is gone.
    fn attach(&self, place: Place, session: SessionId, outgoing: &Rc<Outgoing>) -> Option<PeerId> {
        let mut engine = self.engine.borrow_mut();
        if !engine.pairs.contains_key(&place.pair_key) {
            return None;
        }
        let id = engine.next_peer_id();
        let peer = Rc::new(SessionPeer {
            id,
            session,
            outgoing: outgoing.clone(),
        });
        engine.attach(place.pair_key, place.side, peer, monotonic_ns());
        drop(engine);
        flush_dirty(&self.dirty);
        Some(id)
    }

    fn detach(&self, place: Place, peer: PeerId) {
        self.engine
            .borrow_mut()
            .detach(place.attachment(), peer, monotonic_ns());
        flush_dirty(&self.dirty);
    }

    /// Sends what came from the network out on the endpoint; false when the endpoint is gone.
    fn route_in(&self, place: Place, peer: PeerId, words: &[u32], buffers: &mut Buffers) -> bool {
        payload_of(words, &mut buffers.payload);
        let result = self.engine.borrow_mut().route_send(
            place.attachment(),
            peer,
            &mut buffers.payload,
            monotonic_ns(),
            &mut buffers.scratch,
        );
        flush_dirty(&self.dirty);
        match result {
            Ok(()) => true,
            Err(refusal) => {
                tracing::warn!("network messages refused: {refusal}");
                self.engine.borrow().pairs.contains_key(&place.pair_key)
            }
        }
    }

    async fn run_host(self: Rc<Self>, run: Rc<HostRun>, mut driver: Driver) {
        let mut buffers = Buffers::default();
        let advertising = run.advert.clone().map(|(advert, bind)| {
            let engine = self.engine.clone();
            tokio::task::spawn_local(async move {
                if let Err(e) = mdns::advertise(advert, bind).await {
                    engine
                        .borrow_mut()
                        .warn(format!("a network host cannot advertise over mDNS: {e}"));
                }
            })
        });
        let mut refresh_at = None;
        loop {
            tokio::select! {
                () = sleep_until(refresh_at) => {
                    refresh_at = None;
                    let sessions: Vec<SessionId> = run.remotes.borrow().keys().copied().collect();
                    for session in sessions {
                        if let Ok(Some(c)) = driver.counters(session).await
                            && let Some(r) = run.remotes.borrow_mut().get_mut(&session)
                        {
                            r.info.recovery = recovery_of(&c);
                        }
                    }
                    continue;
                }
                event = driver.next_event() => match event {
                    None => break,
                    Some(Event::Up { session, peer, remote }) => {
                        let Some(peer_id) = self.attach(run.place, session, &run.outgoing) else { break };
                        tracing::info!("network session from {peer} ({:?}) up", remote.endpoint_name());
                        run.remotes.borrow_mut().insert(session, Remote {
                            peer_id,
                            info: RemoteSession {
                                peer,
                                remote_name: remote.endpoint_name().to_string(),
                                messages_sent: 0,
                                messages_received: 0,
                                recovery: Recovery::default(),
                            },
                        });
                    }
                    Some(Event::Down { session, peer, reason }) => {
                        tracing::info!("network session from {peer} ended: {reason:?}");
                        if let Some(r) = run.remotes.borrow_mut().remove(&session) {
                            let (sent, received) = run.ended_traffic.get();
                            run.ended_traffic.set((
                                sent + r.info.messages_sent,
                                received + r.info.messages_received,
                            ));
                            self.detach(run.place, r.peer_id);
                        }
                    }
                    Some(Event::Ump { session, words }) => {
                        let peer_id = {
                            let mut remotes = run.remotes.borrow_mut();
                            let Some(r) = remotes.get_mut(&session) else { continue };
                            r.info.messages_received += ump_count(&words);
                            r.peer_id
                        };
                        if !self.route_in(run.place, peer_id, &words, &mut buffers) {
                            break;
                        }
                    }
                },
                () = run.outgoing.bell.notified() => {
                    if run.outgoing.ended.get() {
                        break;
                    }
                    for (session, words) in run.outgoing.take() {
                        let n = ump_count(&words);
                        if driver.send(session, words).await.is_ok()
                            && let Some(r) = run.remotes.borrow_mut().get_mut(&session)
                        {
                            r.info.messages_sent += n;
                        }
                    }
                }
                () = run.stop.notified() => break,
            }
            refresh_at.get_or_insert_with(|| tokio::time::Instant::now() + COUNTERS_REFRESH);
        }
        let remotes = std::mem::take(&mut *run.remotes.borrow_mut());
        for r in remotes.values() {
            self.detach(run.place, r.peer_id);
        }
        self.hosts.borrow_mut().retain(|h| !Rc::ptr_eq(h, &run));
        if let Some(task) = advertising {
            task.abort();
        }
        let _ = driver.shutdown().await;
        tracing::info!("network host on {} stopped", run.listen);
    }

    fn connect(
        self: &Rc<Self>,
        spec: ConnectSpec,
        answer: tokio::sync::oneshot::Sender<Result<Sessions, WireError>>,
    ) {
        self.start_client(spec, answer, None);
    }

    /// Starts a client session; `stored` is its key when it came from the configuration file.
    fn start_client(
        self: &Rc<Self>,
        mut spec: ConnectSpec,
        answer: tokio::sync::oneshot::Sender<Result<Sessions, WireError>>,
        stored: Option<String>,
    ) {
        let stored = match (stored, spec.persistent) {
            (Some(key), _) => Some(key),
            (None, true) => match self.store_client(&spec) {
                Ok(key) => Some(key),
                Err(e) => {
                    let _ = answer.send(Err(e));
                    return;
                }
            },
            (None, false) => None,
        };
        // A persistent session keeps trying, and finds the pair it made the last time.
        if stored.is_some() {
            spec.retry = true;
            if let LocalTarget::RootName(root) = &spec.target
                && self.find(&format!("{root} (A)")).is_ok()
            {
                spec.target = LocalTarget::Endpoint(format!("{root} (A)"));
            }
        }
        let place = match &spec.target {
            LocalTarget::Endpoint(name) => match self.find(name) {
                Ok(p) => Some(p),
                Err(e) => {
                    let _ = answer.send(Err(e));
                    return;
                }
            },
            LocalTarget::RootName(root) => match self.create_pair(root) {
                Ok(p) => Some(p),
                Err(e) => {
                    let _ = answer.send(Err(e));
                    return;
                }
            },
            LocalTarget::RemoteName => None,
        };
        let run = Rc::new(ClientRun {
            spec,
            stored,
            place: Cell::new(place),
            state: Cell::new(ClientState::Connecting),
            remote_name: RefCell::new(None),
            last_error: RefCell::new(None),
            sent: Cell::new(0),
            received: Cell::new(0),
            recovery: Cell::new(Recovery::default()),
            outgoing: Rc::default(),
            stop: Notify::new(),
            stopped: Cell::new(false),
        });
        self.clients.borrow_mut().push(run.clone());
        self.spawn(self.clone().run_client(run, answer));
    }

    /// Creates the transient pair `ROOT (A)` / `ROOT (B)` and returns its side A.
    fn create_pair(&self, root: &str) -> Result<Place, WireError> {
        let def = PairSpec {
            names: Some(NameSpec::Root(root.to_string())),
            ..Default::default()
        }
        .resolve()
        .map_err(|e| err(ErrorKind::Invalid, e.to_string()))?;
        let id = def.association_id;
        let mut engine = self.engine.borrow_mut();
        // Transient: nothing waits for the disk.
        let pending = engine.prepare(super::state::Control::Create(def))?;
        engine.commit(pending, monotonic_ns())?;
        let pair_key = engine
            .pairs
            .iter()
            .find(|(_, p)| p.def.association_id == id)
            .map(|(k, _)| *k)
            .expect("the pair was just created");
        drop(engine);
        flush_dirty(&self.dirty);
        Ok(Place {
            pair_key,
            side: Side::A,
        })
    }

    fn client_config(&self, run: &ClientRun) -> Result<ClientConfig, WireError> {
        let identity = match run.place.get() {
            Some(place) => self.identity(place, None)?,
            None => Identity::new("midi", "midi").expect("a valid identity"),
        };
        let credentials = match (&run.spec.secret, &run.spec.user) {
            (Some(s), _) => Credentials::SharedSecret(s.0.clone()),
            (None, Some(login)) => Credentials::User(UserCredential {
                user: login.user.clone(),
                password: login.password.0.clone(),
            }),
            (None, None) => Credentials::None,
        };
        let mut config = ClientConfig::new(identity, credentials);
        config.timing = timing();
        Ok(config)
    }

    async fn run_client(
        self: Rc<Self>,
        run: Rc<ClientRun>,
        answer: tokio::sync::oneshot::Sender<Result<Sessions, WireError>>,
    ) {
        let mut answer = Some(answer);
        let host = run.spec.host;
        while !run.stopped.get() {
            let outcome = self.client_session(&run, &mut answer).await;
            run.state.set(ClientState::Connecting);
            let Some(reason) = outcome else { break };
            let (kind, text) = down_text(host, &reason);
            tracing::info!("network session with {host}: {text}");
            *run.last_error.borrow_mut() = Some(text.clone());
            let again = run.spec.retry && worth_retrying(&reason) && !run.stopped.get();
            if let Some(a) = answer.take() {
                let _ = a.send(if again {
                    Ok(self.client_answer(&run))
                } else {
                    Err(err(kind, text))
                });
            }
            if !again {
                break;
            }
            tokio::select! {
                () = tokio::time::sleep(RETRY_PAUSE) => {}
                () = run.stop.notified() => break,
            }
        }
        self.clients.borrow_mut().retain(|c| !Rc::ptr_eq(c, &run));
    }

    fn client_answer(&self, run: &ClientRun) -> Sessions {
        Sessions {
            hosts: Vec::new(),
            clients: vec![self.client_info(run)],
        }
    }

    /// One session with the host, from invitation to its end; the reason it ended, or `None`
    /// when it was stopped (or cannot start).
    async fn client_session(
        &self,
        run: &Rc<ClientRun>,
        answer: &mut Option<tokio::sync::oneshot::Sender<Result<Sessions, WireError>>>,
    ) -> Option<DownReason> {
        let fail = |answer: &mut Option<_>, e: WireError| {
            if let Some(a) = answer.take() {
                let _: Result<_, _> = tokio::sync::oneshot::Sender::send(a, Err(e));
            }
            None
        };
        let config = match self.client_config(run) {
            Ok(c) => c,
            Err(e) => return fail(answer, e),
        };
        let mut driver = match socket::start_client(run.spec.host, config) {
            Ok(d) => d,
            Err(e) => {
                let e = err(ErrorKind::Failed, format!("cannot open a UDP socket: {e}"));
                return fail(answer, e);
            }
        };
        let mut session_peer: Option<(SessionId, PeerId, Place)> = None;
        let mut buffers = Buffers::default();
        let mut refresh_at = None;
        let reason = loop {
            tokio::select! {
                () = sleep_until(refresh_at) => {
                    refresh_at = None;
                    if let Some((session, ..)) = session_peer
                        && let Ok(Some(c)) = driver.counters(session).await
                    {
                        run.recovery.set(recovery_of(&c));
                    }
                    continue;
                }
                event = driver.next_event() => match event {
                    None => break DownReason::Closed,
                    Some(Event::Up { session, remote, .. }) => {
                        *run.remote_name.borrow_mut() = Some(remote.endpoint_name().to_string());
                        if run.place.get().is_none() {
                            match self.create_pair(remote.endpoint_name()) {
                                Ok(p) => run.place.set(Some(p)),
                                Err(e) => {
                                    let _ = driver.shutdown().await;
                                    return fail(answer, e);
                                }
                            }
                        }
                        let place = run.place.get().expect("set above");
                        let Some(peer_id) = self.attach(place, session, &run.outgoing) else {
                            let _ = driver.shutdown().await;
                            return fail(answer, err(ErrorKind::NotFound, "the local endpoint was removed"));
                        };
                        session_peer = Some((session, peer_id, place));
                        run.state.set(ClientState::Up);
                        *run.last_error.borrow_mut() = None;
                        tracing::info!("network session with {} up", run.spec.host);
                        if let Some(a) = answer.take() {
                            let _ = a.send(Ok(self.client_answer(run)));
                        }
                    }
                    Some(Event::Down { reason, .. }) => break reason,
                    Some(Event::Ump { words, .. }) => {
                        let Some((_, peer_id, place)) = session_peer else { continue };
                        run.received.set(run.received.get() + ump_count(&words));
                        if !self.route_in(place, peer_id, &words, &mut buffers) {
                            break DownReason::Closed;
                        }
                    }
                },
                () = run.outgoing.bell.notified() => {
                    if run.outgoing.ended.get() {
                        break DownReason::Closed;
                    }
                    for (session, words) in run.outgoing.take() {
                        let n = ump_count(&words);
                        if driver.send(session, words).await.is_ok() {
                            run.sent.set(run.sent.get() + n);
                        }
                    }
                }
                () = run.stop.notified() => {
                    run.stopped.set(true);
                    break DownReason::Closed;
                }
            }
            refresh_at.get_or_insert_with(|| tokio::time::Instant::now() + COUNTERS_REFRESH);
        };
        if let Some((_, peer_id, place)) = session_peer {
            self.detach(place, peer_id);
        }
        let _ = driver.shutdown().await;
        if run.outgoing.ended.get() {
            run.stopped.set(true);
            return fail(
                answer,
                err(ErrorKind::NotFound, "the local endpoint was removed"),
            );
        }
        if run.stopped.get() {
            return None;
        }
        Some(reason)
    }
}

fn discovered(advert: Advert) -> crate::core::network::DiscoveredHost {
    crate::core::network::DiscoveredHost {
        name: advert.endpoint_name,
        product_instance_id: advert.product_instance_id,
        address: advert.address,
    }
}

/// The first line of a secret or password file.
fn read_first_line(path: &Path) -> Result<Secret, WireError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        err(
            ErrorKind::Failed,
            format!("cannot read {}: {e}", path.display()),
        )
    })?;
    match text.lines().next().map(|l| l.trim_end_matches('\r')) {
        Some(line) if !line.is_empty() => Ok(Secret(line.to_string())),
        _ => Err(err(
            ErrorKind::Failed,
            format!("{} holds nothing on its first line", path.display()),
        )),
    }
}

fn stored_login(
    user: Option<String>,
    password_file: &Option<PathBuf>,
) -> Result<Option<UserLogin>, WireError> {
    match (user, password_file) {
        (Some(user), Some(file)) => Ok(Some(UserLogin {
            user,
            password: read_first_line(file)?,
        })),
        _ => Ok(None),
    }
}

fn stored_host_spec(h: StoredHost) -> Result<HostSpec, WireError> {
    Ok(HostSpec {
        secret: h.secret_file.as_deref().map(read_first_line).transpose()?,
        user: stored_login(h.user, &h.password_file)?,
        endpoint: h.endpoint,
        port: h.port,
        bind: h.bind,
        name: h.name,
        advertise: h.advertise,
        persistent: false,
        secret_file: h.secret_file,
        password_file: h.password_file,
    })
}

fn stored_client_spec(c: StoredClient) -> Result<ConnectSpec, WireError> {
    Ok(ConnectSpec {
        secret: c.secret_file.as_deref().map(read_first_line).transpose()?,
        user: stored_login(c.user, &c.password_file)?,
        host: c.host,
        target: c.target,
        retry: true,
        persistent: false,
        secret_file: c.secret_file,
        password_file: c.password_file,
    })
}

/// Buffers a task keeps between batches, so routing allocates nothing per batch.
#[derive(Default)]
struct Buffers {
    payload: Vec<u8>,
    scratch: Vec<u8>,
}

fn recovery_of(c: &Counters) -> Recovery {
    Recovery {
        filled_late: c.get(Counter::GapsFilledLate),
        retransmit_recovered: c.get(Counter::RetransmitRecovered),
        retransmit_requested: c.get(Counter::RetransmitRequested),
        duplicates: c.get(Counter::Duplicates),
        lost: c.get(Counter::Lost),
        datagrams_dropped: c.get(Counter::DatagramsDropped),
    }
}

async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(t) => tokio::time::sleep_until(t).await,
        None => std::future::pending().await,
    }
}

fn ump_count(words: &[u32]) -> u64 {
    let mut n = 0;
    let mut rest = words;
    while let Some(&first) = rest.first() {
        rest = &rest[ump::message_words(first).min(rest.len())..];
        n += 1;
    }
    n
}

fn respond(outbox: &Outbox, id: u64, result: Result<Reply, WireError>) {
    outbox.push_json(FrameKind::Response, &ResponseFrame { id, result });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_from_the_network_become_whole_unstamped_messages() {
        let words = [0x2090_3C64, 0x4090_3C00, 0x8000_0000];
        let mut payload = Vec::new();
        payload_of(&words, &mut payload);
        let msgs: Vec<_> = protocol::iter_payload(&payload).collect();
        assert_eq!(msgs.len(), 2);
        assert_eq!(msgs[1].words(), &[0x4090_3C00, 0x8000_0000]);
        assert!(msgs.iter().all(|m| m.timestamp == 0));
        assert_eq!(ump_count(&words), 2);
    }

    #[test]
    fn outgoing_words_are_bounded_and_kept_per_session() {
        let out = Outgoing::default();
        let mut body = Vec::new();
        protocol::put_message(&mut body, 5, &[0x2090_3C64]);
        assert!(out.push(SessionId(1), &body));
        assert!(out.push(SessionId(1), &body));
        assert!(out.push(SessionId(2), &body));
        let taken = out.take();
        assert_eq!(taken.len(), 2);
        assert_eq!(taken[0].1, vec![0x2090_3C64, 0x2090_3C64]);
        out.words.set(OUTGOING_LIMIT_WORDS);
        assert!(!out.push(SessionId(1), &body));
    }
}
