//! Security (issue 7): the engine serves its own user only — even when its
//! socket is made reachable by everyone, a process of another user is refused by its peer
//! credentials; a state root that is a symbolic link, owned by someone else or open to others
//! is refused with a message naming the problem; the files stay owner-only whatever the
//! umask; and the engine has no network socket, only its Unix socket.
//!
//! The tests that need a second user run as root (CI does) and switch to `nobody` with
//! `setpriv`; as another user they print why they cannot run and pass.

mod common;

use common::{TestHome, live_engine_pids};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

const NOBODY: u32 = 65534;

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

fn mode(path: &Path) -> u32 {
    std::fs::symlink_metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .mode()
        & 0o7777
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

/// A copy of `midi` that `nobody` may execute, whatever the permissions of the build tree.
struct SharedBinary {
    dir: tempfile::TempDir,
}

impl SharedBinary {
    fn new() -> SharedBinary {
        let dir = tempfile::Builder::new()
            .prefix("midi-bin")
            .tempdir_in("/tmp")
            .expect("temp dir");
        chmod(dir.path(), 0o755);
        let bin = dir.path().join("midi");
        std::fs::copy(env!("CARGO_BIN_EXE_midi"), &bin).expect("copy midi");
        chmod(&bin, 0o755);
        SharedBinary { dir }
    }

    /// `midi ARGS…` as `nobody`, pointed at `home`, never starting an engine.
    fn run_as_nobody(&self, home: &Path, args: &[&str]) -> std::process::Output {
        let mut cmd = assert_cmd::Command::new("setpriv");
        cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(self.dir.path().join("midi"))
            .args(args)
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("MIDI_HOME", home)
            .env("MIDI_NO_ALSA", "1")
            .env("MIDI_NO_AUTOSTART", "1")
            .env("NO_COLOR", "1")
            .current_dir("/")
            .timeout(std::time::Duration::from_secs(60));
        cmd.output().expect("run setpriv")
    }
}

/// Connects to `socket` as `nobody` and sends a protocol hello; prints `welcome` if any answer
/// comes back, `closed` if the engine hangs up.
fn raw_hello_as_nobody(socket: &Path) -> std::process::Output {
    let script = r#"
import json, socket, struct, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect(sys.argv[1])
body = json.dumps({"protocol": int(sys.argv[2]), "client": "intruder"}).encode()
s.sendall(struct.pack("<IB", len(body) + 1, 1) + body)
try:
    print("welcome" if s.recv(4096) else "closed")
except OSError as e:
    print("closed", e)
"#;
    assert_cmd::Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .args(["/usr/bin/python3", "-c", script])
        .arg(socket)
        .arg(midi_loopback::core::protocol::PROTOCOL_VERSION.to_string())
        .env_clear()
        .current_dir("/")
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .expect("run setpriv")
}

fn text(out: &std::process::Output) -> String {
    format!(
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn another_user_is_refused_even_when_the_socket_is_open_to_everyone() {
    if !is_root() {
        eprintln!("skipped: switching to another user needs root (CI runs this test as root)");
        return;
    }
    let home = TestHome::new();
    home.create("Private", &[]);
    let pid = home.engine_pid().expect("engine");
    let bin = SharedBinary::new();

    // As set up: the 0700 directory keeps the other user from even reaching the socket.
    let out = bin.run_as_nobody(home.path(), &["service", "ping", "-c", "1"]);
    assert!(!out.status.success(), "{}", text(&out));

    // Made reachable by everyone: the engine itself refuses the other user. (The guard puts
    // the modes back even if an assertion fails, so the engine can still be stopped.)
    let _restore = RestorePrivate(home.path().to_path_buf());
    chmod(home.path(), 0o777);
    chmod(&home.socket(), 0o777);
    for args in [
        &["service", "ping", "-c", "1"][..],
        &["loopback", "list", "--json"],
        &["loopback", "create", "--root-name", "Intruder"],
        &["service", "stop"],
    ] {
        let out = bin.run_as_nobody(home.path(), args);
        assert!(
            !out.status.success(),
            "another user ran `midi {}`: {}",
            args.join(" "),
            text(&out)
        );
        assert!(
            !String::from_utf8_lossy(&out.stdout).contains("Private"),
            "another user saw the pairs: {}",
            text(&out)
        );
    }
    // The client itself refuses a state root open to others before connecting, so knock on
    // the engine's socket directly, with a raw hello, as the other user.
    let out = raw_hello_as_nobody(&home.socket());
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("welcome"),
        "the engine answered another user's hello: {}",
        text(&out)
    );
    let log = home.log_text();
    assert!(
        log.contains(&format!("refused a connection from uid {NOBODY}")),
        "the engine log does not name the refused uid:\n{log}"
    );
    chmod(home.path(), 0o700);
    chmod(&home.socket(), 0o600);

    // The same engine still serves its own user, and nothing was changed by the other one.
    assert_eq!(
        home.engine_pid(),
        Some(pid),
        "the other user stopped the engine"
    );
    let pairs = home.list_json();
    assert_eq!(pairs.len(), 1);
    assert_eq!(pairs[0]["endpoint_a"]["name"], "Private (A)");
}

#[test]
fn another_user_cannot_start_an_engine_in_someone_elses_state_root() {
    if !is_root() {
        eprintln!("skipped: switching to another user needs root (CI runs this test as root)");
        return;
    }
    let home = TestHome::new();
    let _restore = RestorePrivate(home.path().to_path_buf());
    chmod(home.path(), 0o777); // even when the directory lets them in
    let bin = SharedBinary::new();
    let out = bin.run_as_nobody(home.path(), &["service", "run"]);
    assert!(!out.status.success(), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("refusing to use"), "{}", text(&out));
    assert!(!home.socket().exists(), "a socket was created");
    chmod(home.path(), 0o700);
}

/// Makes a state root private again when dropped (a client refuses to use an open one,
/// so the test's engine could not be stopped otherwise).
struct RestorePrivate(PathBuf);

impl Drop for RestorePrivate {
    fn drop(&mut self) {
        let _ = std::fs::set_permissions(&self.0, std::fs::Permissions::from_mode(0o700));
        let socket = self.0.join("engine.sock");
        if socket.exists() {
            let _ = std::fs::set_permissions(&socket, std::fs::Permissions::from_mode(0o600));
        }
    }
}

/// Runs `midi loopback list` with only the given environment (plus PATH and NO_COLOR).
fn list_with_env(env: &[(&str, &Path)]) -> std::process::Output {
    let mut cmd = assert_cmd::Command::new(env!("CARGO_BIN_EXE_midi"));
    cmd.env("MIDI_NO_ALSA", "1");
    cmd.args(["loopback", "list"])
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("NO_COLOR", "1")
        .timeout(std::time::Duration::from_secs(60));
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run midi")
}

/// The command failed, named the directory and said what is wrong with it, and no engine
/// was started there.
fn assert_refused(out: &std::process::Output, dir: &Path, problem: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{dir:?} was used: {}", text(out));
    assert!(
        stderr.contains(&dir.display().to_string()) && stderr.contains(problem),
        "the message does not name {} and {problem:?}: {}",
        dir.display(),
        text(out)
    );
    assert!(
        live_engine_pids(dir).is_empty(),
        "an engine started in {}",
        dir.display()
    );
}

fn private_temp_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("midi-s")
        .permissions(std::fs::Permissions::from_mode(0o700))
        .tempdir_in("/tmp")
        .expect("temp dir")
}

#[test]
fn a_state_root_that_is_a_symlink_or_open_to_others_is_refused() {
    let outer = private_temp_dir();
    // A symbolic link to a perfectly private directory.
    let real = outer.path().join("real");
    std::fs::create_dir(&real).unwrap();
    chmod(&real, 0o700);
    let link = outer.path().join("link");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    assert_refused(
        &list_with_env(&[("MIDI_HOME", &link)]),
        &link,
        "symbolic link",
    );
    assert!(std::fs::read_dir(&real).unwrap().next().is_none());

    // Group or world may enter, read or write.
    for m in [0o755, 0o750, 0o770, 0o705, 0o701, 0o710, 0o777] {
        let dir = outer.path().join(format!("mode{m:o}"));
        std::fs::create_dir(&dir).unwrap();
        chmod(&dir, m);
        let out = list_with_env(&[("MIDI_HOME", &dir)]);
        assert_refused(&out, &dir, &format!("{m:04o}"));
        assert!(String::from_utf8_lossy(&out.stderr).contains("chmod 700"));
        assert_eq!(mode(&dir), m, "the refused directory was changed");
    }
}

#[test]
fn a_state_root_that_is_a_file_is_refused_with_a_message_naming_it() {
    let outer = private_temp_dir();
    let file = outer.path().join("file");
    std::fs::write(&file, "x").unwrap();
    assert_refused(
        &list_with_env(&[("MIDI_HOME", &file)]),
        &file,
        "not a directory",
    );
}

#[test]
fn a_state_root_owned_by_another_user_is_refused() {
    if !is_root() {
        eprintln!("skipped: giving a directory to another user needs root (CI runs this as root)");
        return;
    }
    let outer = private_temp_dir();
    let dir = outer.path().join("theirs");
    std::fs::create_dir(&dir).unwrap();
    chmod(&dir, 0o700);
    std::os::unix::fs::chown(&dir, Some(NOBODY), Some(NOBODY)).unwrap();
    assert_refused(
        &list_with_env(&[("MIDI_HOME", &dir)]),
        &dir,
        &format!("owned by uid {NOBODY}"),
    );
    // Also when it is the default socket directory under XDG_RUNTIME_DIR.
    let runtime = outer.path().join("run");
    std::fs::create_dir(&runtime).unwrap();
    chmod(&runtime, 0o700);
    std::fs::create_dir(runtime.join("midi")).unwrap();
    chmod(&runtime.join("midi"), 0o700);
    std::os::unix::fs::chown(runtime.join("midi"), Some(NOBODY), Some(NOBODY)).unwrap();
    let config = outer.path().join("config");
    let out = list_with_env(&[("XDG_RUNTIME_DIR", &runtime), ("XDG_CONFIG_HOME", &config)]);
    assert_refused(
        &out,
        &runtime.join("midi"),
        &format!("owned by uid {NOBODY}"),
    );
}

/// Stops whatever engine runs with this environment when the test ends.
struct DefaultDirsEngine {
    runtime: PathBuf,
    config: PathBuf,
}

impl Drop for DefaultDirsEngine {
    fn drop(&mut self) {
        let _ = Command::new(env!("CARGO_BIN_EXE_midi"))
            .args(["service", "stop"])
            .env_remove("MIDI_HOME")
            .env("XDG_RUNTIME_DIR", &self.runtime)
            .env("XDG_CONFIG_HOME", &self.config)
            .output();
    }
}

#[test]
fn a_default_socket_or_config_directory_that_is_a_symlink_is_refused() {
    let outer = private_temp_dir();
    let target = outer.path().join("target");
    std::fs::create_dir(&target).unwrap();
    chmod(&target, 0o700);
    let runtime = outer.path().join("run");
    let config = outer.path().join("config");
    for d in [&runtime, &config] {
        std::fs::create_dir(d).unwrap();
        chmod(d, 0o700);
    }
    let _cleanup = DefaultDirsEngine {
        runtime: runtime.clone(),
        config: config.clone(),
    };
    // The socket directory `$XDG_RUNTIME_DIR/midi` is a link.
    std::os::unix::fs::symlink(&target, runtime.join("midi")).unwrap();
    let out = list_with_env(&[("XDG_RUNTIME_DIR", &runtime), ("XDG_CONFIG_HOME", &config)]);
    assert_refused(&out, &runtime.join("midi"), "symbolic link");
    std::fs::remove_file(runtime.join("midi")).unwrap();

    // The configuration directory `$XDG_CONFIG_HOME/midi` is a link.
    std::os::unix::fs::symlink(&target, config.join("midi")).unwrap();
    let out = list_with_env(&[("XDG_RUNTIME_DIR", &runtime), ("XDG_CONFIG_HOME", &config)]);
    assert_refused(&out, &config.join("midi"), "symbolic link");
    assert!(std::fs::read_dir(&target).unwrap().next().is_none());
}

/// Runs `midi ARGS…` in `home` with a umask of 000, so only the engine's own care keeps
/// its files private.
fn midi_with_open_umask(home: &TestHome, args: &[&str]) {
    use std::os::unix::process::CommandExt;
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_midi"));
    cmd.env("MIDI_NO_ALSA", "1");
    cmd.args(args)
        .env("MIDI_HOME", home.path())
        .env("MIDI_NO_ALSA", "1")
        .env("NO_COLOR", "1");
    // SAFETY: umask is async-signal-safe and only affects the child.
    unsafe {
        cmd.pre_exec(|| {
            libc::umask(0);
            Ok(())
        });
    }
    let out = cmd.output().expect("run midi");
    assert!(out.status.success(), "midi {args:?}: {}", text(&out));
}

fn assert_owner_only(home: &TestHome, when: &str) {
    // SAFETY: getuid has no preconditions.
    let me = unsafe { libc::getuid() };
    assert_eq!(mode(home.path()), 0o700, "state root {when}");
    let mut seen = 0;
    for entry in std::fs::read_dir(home.path()).unwrap() {
        let path = entry.unwrap().path();
        let meta = std::fs::symlink_metadata(&path).unwrap();
        assert_eq!(meta.uid(), me, "{} {when}", path.display());
        assert_eq!(
            meta.mode() & 0o777,
            0o600,
            "{} is {:o} {when}",
            path.display(),
            meta.mode() & 0o777
        );
        seen += 1;
    }
    assert!(seen >= 4, "expected config, socket, log and locks {when}");
    assert!(
        midi_loopback::core::config::leftover_temp_files(&home.config_file()).is_empty(),
        "a temporary file was left {when}"
    );
}

#[test]
fn config_socket_log_and_locks_stay_owner_only_after_every_write_even_with_umask_000() {
    let home = TestHome::new();
    // A file made by hand, readable by all: the first rewrite makes it the owner's alone.
    std::fs::write(
        home.config_file(),
        r#"{"header":{"product":"midi","fileVersion":1},"_comment":"by hand"}"#,
    )
    .unwrap();
    chmod(&home.config_file(), 0o644);
    midi_with_open_umask(&home, &["service", "start"]);
    use midi_loopback::core::{NameSpec, PairSpec, PairUpdate};
    let mut client = home.client();
    let mut ids = Vec::new();
    for i in 0..6 {
        let pair = client
            .create(&PairSpec {
                names: Some(NameSpec::Root(format!("Mode {i}"))),
                persistent: true,
                ..Default::default()
            })
            .unwrap();
        ids.push(pair.association_id);
        assert_owner_only(&home, &format!("after create {i}"));
    }
    for (i, id) in ids.iter().enumerate() {
        client
            .update_pair(
                *id,
                &PairUpdate {
                    description: Some(format!("d{i}")),
                    ..Default::default()
                },
            )
            .unwrap();
        client.set_muted(*id, true).unwrap();
        assert_owner_only(&home, &format!("after update {i}"));
    }
    for id in ids.iter().take(3) {
        client.remove_pair(*id).unwrap();
        assert_owner_only(&home, "after remove");
    }
    drop(client);
    midi_with_open_umask(&home, &["service", "restart"]);
    assert_owner_only(&home, "after a restart with umask 000");
    let text = std::fs::read_to_string(home.config_file()).unwrap();
    assert!(text.contains("by hand"), "the hand-written key was lost");
}

/// Socket inodes listed in a `/proc/PID/net/*` table, with the path column for `unix`.
fn table_inodes(pid: u32, table: &str) -> Vec<(u64, String)> {
    let Ok(text) = std::fs::read_to_string(format!("/proc/{pid}/net/{table}")) else {
        return Vec::new();
    };
    // The inet tables' headers do not split like their rows; their inode is field 9.
    let col = match table {
        "unix" => 6,
        "packet" => 8,
        _ => 9,
    };
    text.lines()
        .skip(1)
        .filter_map(|l| {
            let fields: Vec<&str> = l.split_whitespace().collect();
            let inode = fields.get(col)?.parse().ok()?;
            Some((inode, fields.get(col + 1).unwrap_or(&"").to_string()))
        })
        .collect()
}

#[test]
fn the_engine_has_no_network_socket_only_its_unix_socket() {
    let home = TestHome::new();
    let pair = home.create("Net", &[]);
    let pid = home.engine_pid().expect("engine");
    // Busy: clients on both sides, a tap, traffic.
    let mut a = home.client().open_endpoint("Net (A)").unwrap();
    let mut b = home.client().open_endpoint("Net (B)").unwrap();
    let id: midi_loopback::core::AssociationId =
        serde_json::from_value(pair["association_id"].clone()).unwrap();
    let _tap = home.client().tap(id).unwrap();
    a.send(&[0x2090_3C64]).unwrap();
    assert!(matches!(
        b.receive(Some(std::time::Duration::from_secs(20))),
        Ok(Some(_))
    ));

    let mut sockets = Vec::new();
    for fd in std::fs::read_dir(format!("/proc/{pid}/fd")).unwrap() {
        let Ok(target) = std::fs::read_link(fd.unwrap().path()) else {
            continue;
        };
        let t = target.to_string_lossy().into_owned();
        if let Some(inode) = t.strip_prefix("socket:[").and_then(|r| r.strip_suffix(']')) {
            sockets.push(inode.parse::<u64>().unwrap());
        }
    }
    assert!(
        sockets.len() >= 4,
        "expected the listener and three connections, found {sockets:?}"
    );
    let unix = table_inodes(pid, "unix");
    for inode in &sockets {
        assert!(
            unix.iter().any(|(i, _)| i == inode),
            "engine socket {inode} is not a Unix socket"
        );
    }
    for table in [
        "tcp", "tcp6", "udp", "udp6", "udplite", "udplite6", "raw", "raw6", "packet",
    ] {
        for (inode, _) in table_inodes(pid, table) {
            assert!(
                !sockets.contains(&inode),
                "the engine has a {table} socket ({inode})"
            );
        }
    }
    // Its one listening socket is the file in the state root; no abstract names.
    let socket_path = home.socket().display().to_string();
    let named: Vec<&String> = unix
        .iter()
        .filter(|(i, _)| sockets.contains(i))
        .map(|(_, path)| path)
        .filter(|p| !p.is_empty())
        .collect();
    assert!(
        named.iter().all(|p| **p == socket_path),
        "other named sockets: {named:?}"
    );
    assert!(
        named.contains(&&socket_path),
        "the listener is not {socket_path}"
    );
}
