//! Starting an engine when none answers, the way atuin does it: a start-up lock so
//! racing clients start one engine, a stale socket removed, the engine re-executed in its own
//! session with null stdio, readiness polled with a bounded wait.

use super::{ClientError, ClientOptions, Connection, Result};
use crate::core::paths::Paths;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::IsTerminal;
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long a new engine may take to answer.
const START_TIMEOUT: Duration = Duration::from_secs(10);
/// The spinner appears only if starting takes longer than this.
const SPINNER_AFTER: Duration = Duration::from_millis(200);

pub(super) fn start_and_connect(opts: &ClientOptions) -> Result<Connection> {
    let paths = &opts.paths;
    paths.ensure_private_dirs()?;
    let lock_err = |e: std::io::Error| ClientError::StartFailed {
        reason: format!(
            "cannot take the start-up lock {}: {e}",
            paths.startup_lock.display()
        ),
        log: paths.log.clone(),
    };
    let startup = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(&paths.startup_lock)
        .map_err(lock_err)?;
    // Whoever gets the lock first starts the engine; the others find it running afterwards.
    startup.lock().map_err(lock_err)?;
    if let Some(conn) = Connection::open(opts)? {
        return Ok(conn);
    }
    let mut child = if engine_lock_is_held(paths) {
        None // an engine is starting up right now; just wait for it
    } else {
        remove_stale_socket(paths);
        Some(spawn_engine(opts)?)
    };

    let started = Instant::now();
    let mut spinner: Option<Spinner> = None;
    let result = loop {
        if let Some(conn) = Connection::open(opts)? {
            break Ok(conn);
        }
        if let Some(c) = child.as_mut()
            && let Ok(Some(status)) = c.try_wait()
        {
            // It may have lost a race with an engine started by hand; look once more.
            std::thread::sleep(Duration::from_millis(50));
            if let Some(conn) = Connection::open(opts)? {
                break Ok(conn);
            }
            break Err(ClientError::StartFailed {
                reason: last_log_error(paths)
                    .unwrap_or_else(|| format!("the engine exited with {status}")),
                log: paths.log.clone(),
            });
        }
        if started.elapsed() > START_TIMEOUT {
            break Err(ClientError::StartFailed {
                reason: format!("no answer within {} s", START_TIMEOUT.as_secs()),
                log: paths.log.clone(),
            });
        }
        if spinner.is_none()
            && opts.progress
            && started.elapsed() > SPINNER_AFTER
            && std::io::stderr().is_terminal()
        {
            spinner = Some(Spinner::default());
        }
        if let Some(s) = spinner.as_mut() {
            s.tick("starting the engine…");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    if let Some(s) = spinner {
        s.clear();
    }
    drop(startup);
    if let Some(mut c) = child {
        // Reap the engine when it eventually exits, so it never lingers as a zombie of ours.
        std::thread::spawn(move || c.wait());
    }
    result
}

/// A one-line spinner on stderr, drawn by the polling loop itself: the library needs no
/// terminal-UI crate for the one moment it shows progress.
#[derive(Default)]
struct Spinner {
    frame: usize,
    drawn: Option<Instant>,
}

impl Spinner {
    const FRAMES: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

    fn tick(&mut self, message: &str) {
        if self
            .drawn
            .is_some_and(|t| t.elapsed() < Duration::from_millis(80))
        {
            return;
        }
        self.drawn = Some(Instant::now());
        self.frame = (self.frame + 1) % Self::FRAMES.len();
        eprint!("\r{} {message}", Self::FRAMES[self.frame]);
    }

    fn clear(self) {
        // Carriage return, erase the line: the terminal is left as it was.
        eprint!("\r\x1b[2K");
    }
}

fn engine_lock_is_held(paths: &Paths) -> bool {
    match File::open(&paths.engine_lock) {
        Ok(f) => matches!(f.try_lock_shared(), Err(TryLockError::WouldBlock)),
        Err(_) => false,
    }
}

/// Waits (bounded) until no engine holds the lock of this state root.
pub(super) fn wait_for_lock_release(paths: &Paths, deadline: Instant) {
    while engine_lock_is_held(paths) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// No engine holds the lock, so a socket file is a leftover: remove it (only if it is a socket).
fn remove_stale_socket(paths: &Paths) {
    use std::os::unix::fs::FileTypeExt;
    if let Ok(meta) = std::fs::symlink_metadata(&paths.socket)
        && meta.file_type().is_socket()
    {
        let _ = std::fs::remove_file(&paths.socket);
    }
}

/// The `midi` binary to run as the engine.
fn engine_program(opts: &ClientOptions) -> PathBuf {
    if let Some(p) = &opts.engine_program {
        return p.clone();
    }
    if let Ok(exe) = std::env::current_exe() {
        if exe.file_stem().is_some_and(|s| s == "midi") {
            return exe;
        }
        // An application built beside `midi` (cargo's examples live one folder below it).
        for dir in exe.ancestors().skip(1).take(2) {
            let candidate = dir.join("midi");
            if candidate.is_file() {
                return candidate;
            }
        }
    }
    PathBuf::from("midi")
}

fn spawn_engine(opts: &ClientOptions) -> Result<std::process::Child> {
    let program = engine_program(opts);
    let mut cmd = Command::new(&program);
    if let Some(home) = &opts.paths.home {
        cmd.arg("--home").arg(home);
    }
    cmd.args(["service", "run", "--background"]);
    if opts.no_alsa {
        cmd.env("MIDI_NO_ALSA", "1");
    }
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    // SAFETY: setsid is async-signal-safe; it detaches the engine from our terminal and
    // process group, so Ctrl-C or closing the terminal does not stop it.
    unsafe {
        cmd.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    cmd.spawn().map_err(|e| ClientError::StartFailed {
        reason: format!("cannot run {}: {e}", program.display()),
        log: opts.paths.log.clone(),
    })
}

/// The last error the engine logged, to explain why it did not start.
fn last_log_error(paths: &Paths) -> Option<String> {
    let text = std::fs::read_to_string(&paths.log).ok()?;
    let line = text.lines().rev().find(|l| l.contains("ERROR"))?;
    Some(
        line.split("ERROR")
            .nth(1)?
            .trim()
            .trim_start_matches(|c: char| c == ':' || c.is_whitespace())
            .to_string(),
    )
}
