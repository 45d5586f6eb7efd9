//! The client library: what applications, and this product's own faces, use to talk to the
//! engine. Blocking and dependency-light, so it fits any program.
//!
//! ```no_run
//! use midi_loopback::client::{Client, ClientOptions};
//! use midi_loopback::core::{NameSpec, PairSpec};
//!
//! let options = ClientOptions::from_env(None)?;
//! let mut client = Client::connect(&options)?; // starts an engine if none runs
//! let pair = client.create(&PairSpec {
//!     names: Some(NameSpec::Root("My Loopback".into())),
//!     ..Default::default()
//! })?;
//! let mut a = Client::connect(&options)?.open_endpoint(pair.endpoint_a.id.as_str())?;
//! let mut b = Client::connect(&options)?.open_endpoint(&pair.endpoint_b.name)?;
//! a.send(&[0x2090_3C64])?; // MIDI 1.0 note on, middle C
//! let got = b.receive(Some(std::time::Duration::from_secs(1)))?;
//! # Ok::<(), midi_loopback::client::ClientError>(())
//! ```

mod autostart;
mod endpoint;
mod network;
pub(crate) mod wire;

pub use endpoint::{EndpointConnection, Received, TapConnection, WatchConnection};

use crate::core::error::ErrorKind;
use crate::core::ids::AssociationId;
use crate::core::model::{EndpointInfo, PairDefinition, PairInfo, PairSpec, PairUpdate};
use crate::core::paths::{PathError, Paths};
use crate::core::protocol::{
    EngineStatus, Event, FrameKind, Hello, PROTOCOL_VERSION, Reply, Request, RequestFrame,
    ResponseFrame, Welcome,
};
use crate::core::rules::RuleError;
use std::collections::VecDeque;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use thiserror::Error;
use wire::{RawFrame, Wire};

/// Everything that can go wrong talking to the engine. [`ClientError::kind`] gives the exit code.
#[derive(Debug, Error)]
pub enum ClientError {
    #[error(
        "no engine is running at {socket} and autostart is off (MIDI_NO_AUTOSTART=1); start one with `midi service start`"
    )]
    NotRunning { socket: PathBuf },
    #[error("the engine could not be started: {reason}")]
    StartFailed { reason: String, log: PathBuf },
    #[error("{message}")]
    Engine { kind: ErrorKind, message: String },
    #[error(transparent)]
    Rule(#[from] RuleError),
    #[error("the engine at {socket} refused this client: {reason}")]
    Refused { socket: PathBuf, reason: String },
    #[error("lost the connection to the engine: {0}")]
    Disconnected(io::Error),
    #[error("endpoint {endpoint:?} was removed")]
    EndpointRemoved { endpoint: String },
    #[error("the engine stopped")]
    EngineStopped,
    #[error("the engine sent something this client does not understand: {0}")]
    Protocol(String),
    #[error(
        "the engine{} did not answer {what} within {} s; it may be stopped or wedged: `midi service stop --force` ends it",
        pid.map(|p| format!(" (pid {p})")).unwrap_or_default(),
        waited.as_secs_f64()
    )]
    NoAnswer {
        pid: Option<u32>,
        what: String,
        waited: Duration,
    },
    #[error(transparent)]
    Paths(#[from] PathError),
}

impl ClientError {
    /// The kind of failure, which decides the exit code.
    pub fn kind(&self) -> ErrorKind {
        match self {
            ClientError::NotRunning { .. } | ClientError::StartFailed { .. } => {
                ErrorKind::Unreachable
            }
            ClientError::Refused { .. } | ClientError::NoAnswer { .. } => ErrorKind::Unreachable,
            ClientError::Engine { kind, .. } => *kind,
            ClientError::Rule(_) => ErrorKind::Invalid,
            _ => ErrorKind::Failed,
        }
    }
}

impl From<io::Error> for ClientError {
    fn from(e: io::Error) -> Self {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            ClientError::EngineStopped
        } else {
            ClientError::Disconnected(e)
        }
    }
}

pub type Result<T, E = ClientError> = std::result::Result<T, E>;

/// How to reach the engine.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    pub paths: Paths,
    /// Start an engine when none answers (off with `MIDI_NO_AUTOSTART=1`).
    pub autostart: bool,
    /// The `midi` binary to start; found next to this program or on `PATH` when unset.
    pub engine_program: Option<PathBuf>,
    /// Shown in the engine's log.
    pub client_name: String,
    /// Show a spinner on stderr (on a terminal only) while an engine starts.
    pub progress: bool,
    /// How long the handshake and each request may wait for the engine's answer
    /// (`MIDI_REQUEST_TIMEOUT` seconds; 10 s by default).
    pub request_timeout: Duration,
    /// Start the engine with its ALSA sequencer bridge off (`MIDI_NO_ALSA=1`), as tests do so
    /// that no port reaches a developer's desktop session.
    pub no_alsa: bool,
}

/// The default of [`ClientOptions::request_timeout`].
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

impl ClientOptions {
    /// Options from the environment: `--home` (if given), `MIDI_HOME`, `MIDI_NO_AUTOSTART`,
    /// `MIDI_NO_ALSA`.
    pub fn from_env(home: Option<&Path>) -> Result<ClientOptions> {
        let no_autostart = std::env::var("MIDI_NO_AUTOSTART")
            .map(|v| !v.is_empty() && v != "0")
            .unwrap_or(false);
        Ok(ClientOptions {
            paths: Paths::resolve(home)?,
            autostart: !no_autostart,
            engine_program: std::env::var_os("MIDI_ENGINE_BIN").map(PathBuf::from),
            client_name: format!(
                "{} (pid {})",
                std::env::current_exe()
                    .ok()
                    .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
                    .unwrap_or_else(|| "client".into()),
                std::process::id()
            ),
            progress: false,
            request_timeout: request_timeout_from_env()?,
            no_alsa: std::env::var_os("MIDI_NO_ALSA").is_some_and(|v| !v.is_empty() && v != "0"),
        })
    }
}

fn request_timeout_from_env() -> Result<Duration> {
    let Some(text) = std::env::var("MIDI_REQUEST_TIMEOUT")
        .ok()
        .filter(|v| !v.is_empty())
    else {
        return Ok(DEFAULT_REQUEST_TIMEOUT);
    };
    match text.trim().parse::<f64>() {
        Ok(s) if s > 0.0 && s <= 86_400.0 => Ok(Duration::from_secs_f64(s)),
        _ => Err(ClientError::Engine {
            kind: ErrorKind::Invalid,
            message: format!(
                "MIDI_REQUEST_TIMEOUT={text:?} is not a number of seconds between 0 and 86400 (for example 2.5)"
            ),
        }),
    }
}

/// A connection with its request counter and whatever arrived while it waited for a response.
pub(crate) struct Connection {
    wire: Wire,
    next_id: u64,
    /// Frames that arrived while a response was awaited; handed out by `receive` later.
    pending: VecDeque<RawFrame>,
    pub(crate) welcome: Welcome,
    request_timeout: Duration,
}

impl Connection {
    /// Connects and shakes hands; `Ok(None)` when nothing listens at the socket.
    fn open(opts: &ClientOptions) -> Result<Option<Connection>> {
        // Only talk to an engine whose socket lives in a private directory of ours; this also
        // turns a state root that is a file (or a symlink, or open to others) into a clear error.
        if std::fs::symlink_metadata(&opts.paths.runtime_dir).is_ok() {
            crate::core::paths::check_private_dir(&opts.paths.runtime_dir)?;
        }
        let stream = match std::os::unix::net::UnixStream::connect(&opts.paths.socket) {
            Ok(s) => s,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::NotFound | io::ErrorKind::ConnectionRefused
                ) =>
            {
                return Ok(None);
            }
            Err(e) => return Err(ClientError::Disconnected(e)),
        };
        let mut wire = Wire::new(stream);
        wire.write_json(
            FrameKind::Hello,
            &Hello {
                protocol: PROTOCOL_VERSION,
                client: opts.client_name.clone(),
            },
        )?;
        let deadline = Instant::now() + opts.request_timeout;
        let frame = wire
            .read_frame(Some(deadline))?
            .ok_or_else(|| ClientError::NoAnswer {
                pid: crate::core::paths::engine_pid(&opts.paths.engine_lock),
                what: "the handshake".into(),
                waited: opts.request_timeout,
            })?;
        if frame.kind != FrameKind::Welcome as u8 {
            return Err(ClientError::Protocol(format!(
                "expected a welcome, got frame kind {}",
                frame.kind
            )));
        }
        let welcome: Welcome = serde_json::from_slice(&frame.payload)
            .map_err(|e| ClientError::Protocol(e.to_string()))?;
        if let Some(reason) = welcome.refused.clone() {
            return Err(ClientError::Refused {
                socket: opts.paths.socket.clone(),
                reason,
            });
        }
        Ok(Some(Connection {
            wire,
            next_id: 1,
            pending: VecDeque::new(),
            welcome,
            request_timeout: opts.request_timeout,
        }))
    }

    fn request(&mut self, request: Request) -> Result<Reply> {
        // Requests wait for their answer, so a non-blocking connection blocks for this one.
        let was_nonblocking = self.wire.is_nonblocking();
        if was_nonblocking {
            self.wire.set_nonblocking(false)?;
        }
        let result = self.request_blocking(request);
        if was_nonblocking {
            self.wire.set_nonblocking(true)?;
        }
        result
    }

    fn request_blocking(&mut self, request: Request) -> Result<Reply> {
        let id = self.next_id;
        self.next_id += 1;
        let what = format!("the {} request", request.name());
        self.wire
            .write_json(FrameKind::Request, &RequestFrame { id, request })?;
        let deadline = Instant::now() + self.request_timeout;
        loop {
            let Some(frame) = self.wire.read_frame(Some(deadline))? else {
                return Err(ClientError::NoAnswer {
                    pid: Some(self.welcome.pid),
                    what,
                    waited: self.request_timeout,
                });
            };
            if frame.kind == FrameKind::Response as u8 {
                let response: ResponseFrame = serde_json::from_slice(&frame.payload)
                    .map_err(|e| ClientError::Protocol(e.to_string()))?;
                if response.id != id {
                    continue; // an answer to a request abandoned earlier
                }
                return response.result.map_err(|e| ClientError::Engine {
                    kind: e.kind,
                    message: e.message,
                });
            }
            self.pending.push_back(frame);
        }
    }

    /// The next frame that is not a response: one saved earlier, else one off the wire.
    fn next_unsolicited(&mut self, deadline: Option<Instant>) -> Result<Option<RawFrame>> {
        if let Some(f) = self.pending.pop_front() {
            return Ok(Some(f));
        }
        loop {
            match self.wire.read_frame(deadline)? {
                None => return Ok(None),
                Some(f) if f.kind == FrameKind::Response as u8 => continue,
                Some(f) => return Ok(Some(f)),
            }
        }
    }
}

fn parse_event(payload: &[u8]) -> Result<Event> {
    serde_json::from_slice(payload).map_err(|e| ClientError::Protocol(e.to_string()))
}

fn unexpected(reply: Reply) -> ClientError {
    ClientError::Protocol(format!("unexpected reply {reply:?}"))
}

/// A control connection to the engine.
pub struct Client {
    conn: Connection,
    paths: Paths,
}

impl Client {
    /// Connects to the engine, starting one first if none answers (unless autostart is off).
    pub fn connect(opts: &ClientOptions) -> Result<Client> {
        if let Some(client) = Client::connect_running(opts)? {
            return Ok(client);
        }
        if !opts.autostart {
            return Err(ClientError::NotRunning {
                socket: opts.paths.socket.clone(),
            });
        }
        let conn = autostart::start_and_connect(opts)?;
        Ok(Client {
            conn,
            paths: opts.paths.clone(),
        })
    }

    /// Connects only if an engine already runs; never starts one. An engine that serves the
    /// same configuration file from another runtime directory (another session's
    /// `XDG_RUNTIME_DIR`) is found through the lock beside that file.
    pub fn connect_running(opts: &ClientOptions) -> Result<Option<Client>> {
        if let Some(conn) = Connection::open(opts)? {
            return Ok(Some(Client {
                conn,
                paths: opts.paths.clone(),
            }));
        }
        let Some(elsewhere) = opts.paths.served_elsewhere() else {
            return Ok(None);
        };
        let redirected = ClientOptions {
            paths: elsewhere,
            ..opts.clone()
        };
        Ok(Connection::open(&redirected)?.map(|conn| Client {
            conn,
            paths: redirected.paths,
        }))
    }

    /// The engine's version, as it said in the handshake.
    pub fn engine_version(&self) -> &str {
        &self.conn.welcome.version
    }

    /// The engine's process id.
    pub fn engine_pid(&self) -> u32 {
        self.conn.welcome.pid
    }

    /// One control round trip.
    pub fn ping(&mut self) -> Result<Duration> {
        let t = Instant::now();
        match self.conn.request(Request::Ping)? {
            Reply::Pong => Ok(t.elapsed()),
            other => Err(unexpected(other)),
        }
    }

    pub fn status(&mut self) -> Result<EngineStatus> {
        match self.conn.request(Request::Status)? {
            Reply::Status(s) => Ok(s),
            other => Err(unexpected(other)),
        }
    }

    pub fn list_pairs(&mut self) -> Result<Vec<PairInfo>> {
        match self.conn.request(Request::ListPairs)? {
            Reply::Pairs { pairs } => Ok(pairs),
            other => Err(unexpected(other)),
        }
    }

    /// Every pair's traffic counters (cheaper than [`Client::list_pairs`] for a live view).
    pub fn counters(&mut self) -> Result<Vec<crate::core::protocol::PairCounters>> {
        match self.conn.request(Request::Counters)? {
            Reply::Counters { pairs } => Ok(pairs),
            other => Err(unexpected(other)),
        }
    }

    /// Every endpoint, A then B for each pair.
    pub fn list_endpoints(&mut self) -> Result<Vec<EndpointInfo>> {
        Ok(self
            .list_pairs()?
            .into_iter()
            .flat_map(|p| [p.endpoint_a, p.endpoint_b])
            .collect())
    }

    /// Validates a user's request with the shared rules, then creates the pair.
    pub fn create(&mut self, spec: &PairSpec) -> Result<PairInfo> {
        let def = spec.resolve()?;
        self.create_pair(def)
    }

    /// Creates a pair from a definition (the engine checks it again).
    pub fn create_pair(&mut self, pair: PairDefinition) -> Result<PairInfo> {
        self.pair_reply(Request::CreatePair { pair })
    }

    pub fn remove_pair(&mut self, association_id: AssociationId) -> Result<PairInfo> {
        self.pair_reply(Request::RemovePair { association_id })
    }

    pub fn update_pair(
        &mut self,
        association_id: AssociationId,
        update: &PairUpdate,
    ) -> Result<PairInfo> {
        self.pair_reply(Request::UpdatePair {
            association_id,
            update: update.clone(),
        })
    }

    pub fn set_muted(&mut self, association_id: AssociationId, muted: bool) -> Result<PairInfo> {
        self.pair_reply(Request::SetMuted {
            association_id,
            muted,
        })
    }

    fn pair_reply(&mut self, request: Request) -> Result<PairInfo> {
        match self.conn.request(request)? {
            Reply::Pair(p) => Ok(p),
            other => Err(unexpected(other)),
        }
    }

    /// Stops the engine gracefully and waits until it has let go of its lock, so a new one can
    /// start at once.
    pub fn shutdown(mut self) -> Result<()> {
        self.conn.request(Request::Shutdown)?;
        // The engine closes every connection on its way out.
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            match self.conn.wire.read_frame(Some(deadline)) {
                Ok(Some(_)) => continue,
                _ => break,
            }
        }
        autostart::wait_for_lock_release(&self.paths, deadline);
        Ok(())
    }

    /// Attaches this connection to an endpoint (by id or name, ignoring case) to send and
    /// receive. Each open endpoint needs a connection of its own.
    pub fn open_endpoint(mut self, endpoint: &str) -> Result<EndpointConnection> {
        match self.conn.request(Request::Open {
            endpoint: endpoint.to_string(),
        })? {
            Reply::Opened(info) => Ok(EndpointConnection::new(self.conn, info)),
            other => Err(unexpected(other)),
        }
    }

    /// Receives copies of a pair's traffic in both directions, without being one of its clients.
    pub fn tap(mut self, association_id: AssociationId) -> Result<TapConnection> {
        match self.conn.request(Request::Tap { association_id })? {
            Reply::Done => Ok(TapConnection::new(self.conn, association_id)),
            other => Err(unexpected(other)),
        }
    }

    /// Subscribes to changes: every existing pair is reported first (`pair_existing`, then
    /// `synced`), then each change as it happens. Once this returns, no change is missed.
    pub fn watch(mut self) -> Result<WatchConnection> {
        match self.conn.request(Request::Watch)? {
            Reply::Done => Ok(WatchConnection::new(self.conn)),
            other => Err(unexpected(other)),
        }
    }
}
