//! The engine: the background process that owns the pairs, routes the messages between their
//! endpoints and keeps the persistent pairs in the configuration file.
//!
//! One engine per state root: it holds `engine.lock` for its whole life. It runs on a tokio
//! current-thread runtime (see `docs/ARCHITECTURE.md` for why) and never busy-polls: with no
//! traffic and nothing scheduled, every task is parked.

mod alsa_bridge;
mod client_socket;
mod counters;
mod frames;
#[cfg(test)]
mod memory;
mod network;
mod outbox;
pub mod peer;
mod persist;
mod router;
mod scheduler;
mod server;
mod socket_peer;
mod state;
pub(crate) mod timer;
mod writer;

pub use alsa_bridge::{AlsaRequest, NO_ALSA_ENV, SHARED_CLIENT_NAME, UMP_CLIENT_CAP};
pub use server::Limits;

use crate::core::config::{self, ConfigDocument, ConfigError};
use crate::core::paths::{PathError, Paths};
use persist::Persistence;
use server::Server;
use state::Engine;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{self, Read, Seek, Write};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum EngineError {
    #[error(transparent)]
    Paths(#[from] PathError),
    #[error(
        "an engine is already running for this state root (pid {pid}, lock {lock}); `midi service stop` stops it"
    )]
    AlreadyRunning { pid: String, lock: PathBuf },
    #[error(
        "another engine (pid {pid}, socket {socket}) already serves the configuration file {config}; one configuration file has one engine: use that one (commands find it through {lock}) or stop it with `midi service stop`"
    )]
    ConfigInUse {
        pid: String,
        socket: String,
        config: PathBuf,
        lock: PathBuf,
    },
    #[error("cannot take the engine lock {path}: {source}")]
    Lock { path: PathBuf, source: io::Error },
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("refusing to start: {path} exists and is not a socket; move it away")]
    NotASocket { path: PathBuf },
    #[error("cannot listen on {path}: {source}")]
    Bind { path: PathBuf, source: io::Error },
    #[error("engine runtime failed: {0}")]
    Runtime(io::Error),
}

/// Runs the engine in the foreground until it is told to stop (a `shutdown` request, SIGTERM
/// or SIGINT), presenting its endpoints to the ALSA sequencer unless [`NO_ALSA_ENV`] or the
/// configuration file says not to. Returns once every client has been told and the socket
/// is gone.
pub fn run(paths: &Paths, limits: Limits) -> Result<(), EngineError> {
    run_with(paths, limits, AlsaRequest::Auto)
}

/// [`run`], with the ALSA bridge switched off by the caller (`service run --no-alsa`) or left
/// to the environment and the configuration file.
pub fn run_with(paths: &Paths, limits: Limits, alsa: AlsaRequest) -> Result<(), EngineError> {
    // Everything the engine creates (socket, log, config) is for its owner only.
    // SAFETY: umask only changes this process's file-creation mask.
    unsafe { libc::umask(0o077) };
    paths.ensure_private_dirs()?;
    if let Some(notice) = &paths.notice {
        tracing::warn!("{notice}");
    }
    let _lock = take_engine_lock(paths)?;
    let _config_lock = take_config_lock(paths)?;
    let mut limits = limits;
    let descriptors = raise_descriptor_limit();
    // Each client costs a descriptor; keep a margin for the listener, files and the runtime,
    // so the last clients get a clear refusal instead of a failing accept.
    let affordable = descriptors.saturating_sub(64) as usize;
    if affordable < limits.max_clients {
        tracing::warn!(
            "only {descriptors} file descriptors allowed: serving at most {affordable} clients"
        );
        limits.max_clients = affordable;
    }

    for temp in config::leftover_temp_files(&paths.config_file) {
        // Left by a crash mid-write; the real file is intact (the rename never happened).
        tracing::warn!("removing the leftover temporary file {}", temp.display());
        let _ = std::fs::remove_file(&temp);
    }
    let doc = ConfigDocument::load(&paths.config_file)?;
    let (pairs, skipped) = doc.pairs();
    let mut engine = Engine::new(
        Persistence {
            path: paths.config_file.clone(),
        },
        limits.max_pairs,
    );
    for s in &skipped {
        engine.warn(format!(
            "configuration entry {} skipped (left in the file): {}",
            s.key, s.reason
        ));
    }
    let alsa = match alsa {
        AlsaRequest::Auto
            if std::env::var_os(NO_ALSA_ENV).is_some_and(|v| !v.is_empty() && v != "0") =>
        {
            AlsaRequest::Off(format!("{NO_ALSA_ENV} is set"))
        }
        AlsaRequest::Auto if doc.alsa_setting() == Some(false) => AlsaRequest::Off(format!(
            "\"{}\": false in {}",
            config::ALSA_SETTING,
            paths.config_file.display()
        )),
        other => other,
    };
    let found = pairs.len();
    for def in pairs.into_iter().take(limits.max_pairs) {
        engine.insert_loaded(def);
    }
    let loaded = engine.pairs.len();
    if found > loaded {
        engine.warn(format!(
            "{} configuration entries past the limit of {} pairs were not loaded (left in the file)",
            found - loaded,
            limits.max_pairs
        ));
    }

    remove_stale_socket(paths)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(EngineError::Runtime)?;
    let local = tokio::task::LocalSet::new();
    local.block_on(&runtime, async {
        let listener =
            tokio::net::UnixListener::bind(&paths.socket).map_err(|source| EngineError::Bind {
                path: paths.socket.clone(),
                source,
            })?;
        std::fs::set_permissions(&paths.socket, std::fs::Permissions::from_mode(0o600)).map_err(
            |source| EngineError::Bind {
                path: paths.socket.clone(),
                source,
            },
        )?;
        tracing::info!(
            "engine {} (pid {}) listening on {}; {loaded} persistent pair(s) from {}",
            env!("CARGO_PKG_VERSION"),
            std::process::id(),
            paths.socket.display(),
            paths.config_file.display()
        );
        let server = Server::new(engine, paths.clone(), limits);
        alsa_bridge::start(&server.engine, &server.dirty, alsa);
        server.network.restore();
        let accept = tokio::task::spawn_local(server.clone().accept_loop(listener));
        tokio::task::spawn_local(server.clone().schedule_loop());
        // Its own task: the future given to `block_on` is polled on every wake-up of any task,
        // and polling the signal handlers there would cost every message a little.
        let _ = tokio::task::spawn_local(wait_for_stop(server.clone())).await;
        server.shutdown.notify_one(); // also stops the accept loop if a signal stopped us
        let _ = accept.await;
        let _ = std::fs::remove_file(&paths.socket);
        server.close_everything();
        // Give the writers a moment to deliver the goodbye, without waiting on a stuck client.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
        while tokio::time::Instant::now() < deadline {
            if !server.writes_pending() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        tracing::info!("engine stopped");
        Ok::<(), EngineError>(())
    })?;
    Ok(())
}

async fn wait_for_stop(server: std::rc::Rc<Server>) {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).ok();
    let mut int = signal(SignalKind::interrupt()).ok();
    let mut hup = signal(SignalKind::hangup()).ok();
    tokio::select! {
        _ = server.shutdown.notified() => {}
        _ = next_signal(&mut term) => tracing::info!("SIGTERM: stopping"),
        _ = next_signal(&mut int) => tracing::info!("SIGINT: stopping"),
        _ = next_signal(&mut hup) => tracing::info!("SIGHUP: stopping"),
    }
}

/// Raises the soft limit on open files to the hard limit (a login session often starts at
/// 1,024); returns the limit now in force.
fn raise_descriptor_limit() -> u64 {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit only read and write the struct we own.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            return 1024;
        }
        if lim.rlim_cur < lim.rlim_max {
            let want = libc::rlimit {
                rlim_cur: lim.rlim_max,
                rlim_max: lim.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &want) == 0 {
                lim.rlim_cur = lim.rlim_max;
            }
        }
    }
    lim.rlim_cur
}

async fn next_signal(s: &mut Option<tokio::signal::unix::Signal>) {
    match s {
        Some(s) => {
            s.recv().await;
        }
        None => std::future::pending::<()>().await,
    }
}

/// Takes a lock file for the engine's life and writes `contents` into it; when another
/// process holds it, `busy` turns what that holder wrote into the error to report.
fn take_lock(
    path: &Path,
    contents: &str,
    busy: impl FnOnce(String) -> EngineError,
) -> Result<File, EngineError> {
    let lock_err = |source| EngineError::Lock {
        path: path.to_path_buf(),
        source,
    };
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)
        .map_err(lock_err)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            let mut text = String::new();
            let _ = file.read_to_string(&mut text);
            return Err(busy(text));
        }
        Err(TryLockError::Error(e)) => return Err(lock_err(e)),
    }
    file.set_len(0).map_err(lock_err)?;
    file.rewind().map_err(lock_err)?;
    file.write_all(contents.as_bytes()).map_err(lock_err)?;
    Ok(file)
}

/// Takes `engine.lock` (one engine per runtime directory) and writes our pid into it.
fn take_engine_lock(paths: &Paths) -> Result<File, EngineError> {
    take_lock(&paths.engine_lock, &std::process::id().to_string(), |pid| {
        EngineError::AlreadyRunning {
            pid: pid.trim().to_string(),
            lock: paths.engine_lock.clone(),
        }
    })
}

/// Takes the lock beside the configuration file and records our pid and socket in it. The
/// file itself is replaced at every write, so a lock on it would not last.
fn take_config_lock(paths: &Paths) -> Result<File, EngineError> {
    let holder = crate::core::paths::LockHolder {
        pid: std::process::id(),
        socket: paths.socket.clone(),
    };
    take_lock(&paths.config_lock, &holder.to_text(), |text| {
        let mut lines = text.lines();
        EngineError::ConfigInUse {
            pid: lines.next().unwrap_or("unknown").to_string(),
            socket: lines.next().unwrap_or("unknown").to_string(),
            config: paths.config_file.clone(),
            lock: paths.config_lock.clone(),
        }
    })
}

/// We hold the engine lock, so a socket file left behind belongs to a dead engine.
fn remove_stale_socket(paths: &Paths) -> Result<(), EngineError> {
    match std::fs::symlink_metadata(&paths.socket) {
        Ok(meta) if meta.file_type().is_socket() => {
            tracing::info!("removing the stale socket {}", paths.socket.display());
            std::fs::remove_file(&paths.socket).map_err(|source| EngineError::Bind {
                path: paths.socket.clone(),
                source,
            })
        }
        Ok(_) => Err(EngineError::NotASocket {
            path: paths.socket.clone(),
        }),
        Err(_) => Ok(()),
    }
}

/// Appends one line to the engine's log without going through tracing (whose stderr copy
/// would repeat what `main` prints when the engine runs in the foreground).
pub fn log_to_file(paths: &Paths, line: &str) {
    if let Ok(mut f) = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(&paths.log)
    {
        let _ = writeln!(f, "ERROR {line}");
    }
}

/// Sends the engine's log to its file (0600), and to stderr when it runs in the foreground.
pub fn init_logging(paths: &Paths, to_stderr: bool) {
    use tracing_subscriber::prelude::*;
    let filter = tracing_subscriber::EnvFilter::try_from_env("MIDI_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let file = paths
        .ensure_private_dirs()
        .ok()
        .and_then(|_| {
            OpenOptions::new()
                .create(true)
                .append(true)
                .mode(0o600)
                .open(&paths.log)
                .ok()
        })
        .map(|f| {
            tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_target(false)
                .with_writer(std::sync::Mutex::new(f))
        });
    let stderr = to_stderr.then(|| {
        tracing_subscriber::fmt::layer()
            .with_target(false)
            .with_writer(io::stderr)
    });
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(file)
        .with(stderr)
        .try_init();
}
