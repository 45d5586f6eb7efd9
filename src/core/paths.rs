//! Where the state lives: one function computes every path, and every face and the
//! engine call it, so they can never disagree about where the socket is.

use std::fs;
use std::io;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use thiserror::Error;

/// The file name of the configuration file.
pub const CONFIG_FILE_NAME: &str = "midi.midiconfig.json";
/// The file name of the lock beside it.
pub const CONFIG_LOCK_NAME: &str = "midi.midiconfig.lock";

/// Who holds a configuration lock: the engine's pid and socket, as it wrote them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockHolder {
    pub pid: u32,
    pub socket: PathBuf,
}

impl LockHolder {
    /// What the engine writes into the lock.
    pub fn to_text(&self) -> String {
        format!("{}\n{}\n", self.pid, self.socket.display())
    }

    pub fn parse(text: &str) -> Option<LockHolder> {
        let mut lines = text.lines();
        let pid = lines.next()?.trim().parse().ok()?;
        let socket = PathBuf::from(lines.next()?);
        Some(LockHolder { pid, socket })
    }
}

/// The pid an engine wrote into its `engine.lock`, if an engine holds it.
pub fn engine_pid(engine_lock: &Path) -> Option<u32> {
    use std::io::Read;
    let mut f = fs::File::open(engine_lock).ok()?;
    if !matches!(f.try_lock_shared(), Err(fs::TryLockError::WouldBlock)) {
        return None;
    }
    let mut text = String::new();
    f.read_to_string(&mut text).ok()?;
    text.trim().parse().ok()
}

/// The engine holding `lock`, if one does (it is locked and names its holder).
pub fn lock_holder(lock: &Path) -> Option<LockHolder> {
    use std::io::Read;
    let mut f = fs::File::open(lock).ok()?;
    match f.try_lock_shared() {
        Err(fs::TryLockError::WouldBlock) => {}
        _ => return None, // nobody holds it (or it cannot be locked at all)
    }
    let mut text = String::new();
    f.read_to_string(&mut text).ok()?;
    LockHolder::parse(&text)
}

/// Every path the engine and its clients use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    /// `MIDI_HOME`/`--home` when given: the one directory that holds everything.
    pub home: Option<PathBuf>,
    /// The private directory holding the socket, the locks and the log.
    pub runtime_dir: PathBuf,
    pub socket: PathBuf,
    /// Held by the engine for its whole life: one engine per state root.
    pub engine_lock: PathBuf,
    /// Held by a client while it starts an engine, so racing clients start only one.
    pub startup_lock: PathBuf,
    pub log: PathBuf,
    pub config_dir: PathBuf,
    pub config_file: PathBuf,
    /// Beside the configuration file, held by the engine that serves it for its whole life and
    /// naming that engine's pid and socket: one configuration file has one engine, and a
    /// client whose runtime directory differs finds the engine through it.
    pub config_lock: PathBuf,
    /// Why the runtime directory is not the usual one, when it is not: the engine logs it.
    pub notice: Option<String>,
}

#[derive(Debug, Error)]
pub enum PathError {
    #[error("cannot work out where the configuration lives: set MIDI_HOME=DIR or pass --home DIR")]
    NoConfigDir,
    #[error("cannot create directory {path}: {source}")]
    Create { path: PathBuf, source: io::Error },
    #[error("refusing to use {path}: it is a symbolic link; point MIDI_HOME at a real directory")]
    Symlink { path: PathBuf },
    #[error("refusing to use {path}: it is not a directory")]
    NotADirectory { path: PathBuf },
    #[error("refusing to use {path}: it is owned by uid {owner}, not by you (uid {me})")]
    ForeignOwner { path: PathBuf, owner: u32, me: u32 },
    #[error(
        "the socket path {path} is too long for a Unix socket ({len} bytes, the limit is {max}); use a shorter MIDI_HOME"
    )]
    SocketPathTooLong {
        path: PathBuf,
        len: usize,
        max: usize,
    },
    #[error(
        "refusing to use {path}: its mode is {mode:04o}, so other users can reach it; run `chmod 700 {path}`"
    )]
    TooOpen { path: PathBuf, mode: u32 },
}

impl Paths {
    /// Resolves the paths: `home` (the `--home` flag) first, then `MIDI_HOME`, then the
    /// platform's directories (`$XDG_CONFIG_HOME/midi`, `$XDG_RUNTIME_DIR/midi`, `/tmp/midi-$UID`;
    /// see [`shared_temp_runtime_dir`] for when the last is not used).
    pub fn resolve(home: Option<&Path>) -> Result<Paths, PathError> {
        let home = home
            .map(Path::to_path_buf)
            .or_else(|| {
                std::env::var_os("MIDI_HOME")
                    .filter(|v| !v.is_empty())
                    .map(PathBuf::from)
            })
            .map(absolute);
        if let Some(home) = home {
            return Paths::in_dir(home.clone(), Some(home.clone()), home).checked();
        }
        let config_dir = match std::env::var_os("XDG_CONFIG_HOME").map(PathBuf::from) {
            Some(dir) if dir.is_absolute() => dir.join("midi"),
            _ => directories::ProjectDirs::from("", "", "midi")
                .map(|p| p.config_dir().to_path_buf())
                .ok_or(PathError::NoConfigDir)?,
        };
        let (runtime_dir, notice) = match std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from) {
            Some(dir) if dir.is_absolute() => (dir.join("midi"), None),
            _ => shared_temp_runtime_dir(),
        };
        let mut paths = Paths::in_dir(runtime_dir, None, config_dir);
        paths.notice = notice;
        paths.checked()
    }

    /// Refuses a socket path longer than `sockaddr_un` can hold (108 bytes with the NUL).
    fn checked(self) -> Result<Paths, PathError> {
        const MAX: usize = 107;
        let len = self.socket.as_os_str().len();
        if len > MAX {
            return Err(PathError::SocketPathTooLong {
                path: self.socket,
                len,
                max: MAX,
            });
        }
        Ok(self)
    }

    fn in_dir(runtime_dir: PathBuf, home: Option<PathBuf>, config_dir: PathBuf) -> Paths {
        Paths {
            home,
            socket: runtime_dir.join("engine.sock"),
            engine_lock: runtime_dir.join("engine.lock"),
            startup_lock: runtime_dir.join("engine.startup.lock"),
            log: runtime_dir.join("engine.log"),
            config_file: config_dir.join(CONFIG_FILE_NAME),
            config_lock: config_dir.join(CONFIG_LOCK_NAME),
            config_dir,
            runtime_dir,
            notice: None,
        }
    }

    /// These paths with the runtime directory of another engine that holds this configuration
    /// file's lock, when that engine's socket is not ours.
    pub fn served_elsewhere(&self) -> Option<Paths> {
        let holder = lock_holder(&self.config_lock)?;
        if holder.socket == self.socket {
            return None;
        }
        let runtime_dir = holder.socket.parent()?.to_path_buf();
        Some(Paths {
            home: self.home.clone(),
            config_dir: self.config_dir.clone(),
            config_file: self.config_file.clone(),
            config_lock: self.config_lock.clone(),
            ..Paths::in_dir(runtime_dir, None, self.config_dir.clone())
        })
    }

    /// Creates (0700) and checks the runtime and configuration directories.
    pub fn ensure_private_dirs(&self) -> Result<(), PathError> {
        ensure_private_dir(&self.runtime_dir)?;
        if self.config_dir != self.runtime_dir {
            ensure_private_dir(&self.config_dir)?;
        }
        Ok(())
    }
}

/// `/tmp/midi-$UID` when `XDG_RUNTIME_DIR` is not set. Anyone can create that name first, so
/// when it exists and is not ours to use (another user's, a link, open to others), a directory
/// of our own under the user's state directory (`~/.local/state/midi/runtime`) is used
/// instead, with a notice saying why — one planted directory must not lock us out for good.
fn shared_temp_runtime_dir() -> (PathBuf, Option<String>) {
    let shared = std::env::temp_dir().join(format!("midi-{}", current_uid()));
    if fs::symlink_metadata(&shared).is_err() {
        return (shared, None); // not there yet: ensure_private_dirs makes it, 0700
    }
    let Err(problem) = check_private_dir(&shared) else {
        return (shared, None);
    };
    match own_runtime_dir() {
        Some(own) => {
            let notice = format!(
                "{problem}; the socket, locks and log are in {} instead",
                own.display()
            );
            (own, Some(notice))
        }
        None => (shared, None), // nowhere else to go: the check reports the problem
    }
}

/// A runtime directory only this user's home holds.
fn own_runtime_dir() -> Option<PathBuf> {
    let dirs = directories::ProjectDirs::from("", "", "midi")?;
    let base = dirs.state_dir().unwrap_or(dirs.cache_dir());
    Some(base.join("runtime"))
}

fn absolute(p: PathBuf) -> PathBuf {
    if p.is_absolute() {
        p
    } else {
        std::env::current_dir().map(|d| d.join(&p)).unwrap_or(p)
    }
}

/// The real user id of this process.
pub fn current_uid() -> u32 {
    // SAFETY: getuid cannot fail and has no preconditions.
    unsafe { libc::getuid() }
}

/// Creates `dir` with mode 0700 if it is missing, then refuses it unless it is a real directory
/// (not a symlink), owned by this user, and closed to group and others.
pub fn ensure_private_dir(dir: &Path) -> Result<(), PathError> {
    if fs::symlink_metadata(dir).is_err() {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|source| PathError::Create {
                path: dir.to_path_buf(),
                source,
            })?;
        // recursive(true) applies the mode to the last component, but umask may have narrowed
        // or a racing creator may have made it first: the checks below decide.
    }
    check_private_dir(dir)
}

/// The checks of [`ensure_private_dir`] without creating anything.
pub fn check_private_dir(dir: &Path) -> Result<(), PathError> {
    let meta = fs::symlink_metadata(dir).map_err(|source| PathError::Create {
        path: dir.to_path_buf(),
        source,
    })?;
    if meta.file_type().is_symlink() {
        return Err(PathError::Symlink {
            path: dir.to_path_buf(),
        });
    }
    if !meta.is_dir() {
        return Err(PathError::NotADirectory {
            path: dir.to_path_buf(),
        });
    }
    let me = current_uid();
    if meta.uid() != me {
        return Err(PathError::ForeignOwner {
            path: dir.to_path_buf(),
            owner: meta.uid(),
            me,
        });
    }
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(PathError::TooOpen {
            path: dir.to_path_buf(),
            mode,
        });
    }
    Ok(())
}
