//! Starting the engine on demand: racing commands end with one engine, a stale
//! socket is recovered from, one engine per state root, and unsafe state roots are refused.

mod common;

use common::{TestHome, live_engine_pids, process_is_live, wait_until};
use std::process::{Command, Stdio};
use std::time::Duration;

fn status_pid(home: &TestHome) -> u32 {
    let out = home.exec(&["service", "status", "--json"]);
    assert_eq!(out.code, 0, "status: {}", out.stderr);
    out.json()["pid"].as_u64().expect("pid") as u32
}

/// `midi ARGS` in `home`, spawned without waiting.
fn spawn_midi(home: &TestHome, args: &[&str]) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_midi"))
        .env("MIDI_HOME", home.path())
        .env("MIDI_NO_ALSA", "1")
        .env_remove("MIDI_NO_AUTOSTART")
        .env("NO_COLOR", "1")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn midi")
}

#[test]
fn commands_racing_to_autostart_end_with_one_engine() {
    let home = TestHome::new();
    let names: Vec<String> = (0..6).map(|i| format!("Race {i}")).collect();
    let mut children = Vec::new();
    for name in &names {
        children.push(spawn_midi(
            &home,
            &["loopback", "create", "--root-name", name],
        ));
        children.push(spawn_midi(&home, &["loopback", "list", "--json"]));
    }
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "a racing command failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let pid = status_pid(&home);
    assert_eq!(
        live_engine_pids(home.path()),
        vec![pid],
        "exactly one engine for this state root"
    );
    let lock = std::fs::read_to_string(home.path().join("engine.lock")).unwrap();
    assert_eq!(lock.trim(), pid.to_string(), "the lock names the engine");
    // Every create reached that one engine.
    assert_eq!(home.list_json().len(), names.len());
}

#[test]
fn status_from_racing_commands_names_the_same_engine() {
    let home = TestHome::new();
    let children: Vec<_> = (0..6)
        .map(|_| spawn_midi(&home, &["service", "start"]))
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let pids: Vec<u32> = (0..3).map(|_| status_pid(&home)).collect();
    assert!(pids.iter().all(|p| *p == pids[0]), "{pids:?}");
    assert_eq!(live_engine_pids(home.path()), vec![pids[0]]);
}

#[test]
fn a_stale_socket_file_is_recovered_from() {
    let home = TestHome::new();
    // A socket file with nothing listening, as a crashed engine leaves it.
    drop(std::os::unix::net::UnixListener::bind(home.socket()).unwrap());
    assert!(home.socket().exists());

    // Nothing answers: status says so rather than failing oddly.
    assert_eq!(home.exec(&["service", "status"]).code, 3);
    let out = home
        .midi()
        .env("MIDI_NO_AUTOSTART", "1")
        .args(["loopback", "list"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));

    let out = home.exec(&["loopback", "create", "-r", "After", "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let pid = status_pid(&home);
    assert!(process_is_live(pid));
    assert_eq!(home.list_json().len(), 1);
}

#[test]
fn an_engine_killed_outright_is_replaced() {
    let home = TestHome::new();
    home.create("Lost", &[]);
    let old = status_pid(&home);
    // SAFETY: kill has no memory-safety preconditions; `old` is the engine of this test's home.
    assert_eq!(unsafe { libc::kill(old as i32, libc::SIGKILL) }, 0);
    assert!(
        wait_until(Duration::from_secs(10), || !process_is_live(old)),
        "the engine did not die"
    );
    assert!(
        home.socket().exists(),
        "SIGKILL leaves the socket file behind"
    );

    let pairs = home.list_json();
    assert!(pairs.is_empty(), "a new engine, without the transient pair");
    let new = status_pid(&home);
    assert_ne!(new, old);
    assert_eq!(live_engine_pids(home.path()), vec![new]);
}

#[test]
fn a_second_engine_for_the_same_root_is_refused() {
    let home = TestHome::new();
    assert_eq!(home.exec(&["service", "start"]).code, 0);
    let pid = status_pid(&home);
    let out = home.exec(&["service", "run"]);
    assert_ne!(out.code, 0, "a second engine must not run");
    assert!(out.stderr.contains("already running"), "{}", out.stderr);
    assert!(
        out.stderr.contains(&pid.to_string()),
        "names the running one: {}",
        out.stderr
    );
    // The first one is unharmed.
    assert_eq!(status_pid(&home), pid);
    assert!(home.socket().exists());
}

#[test]
fn a_file_in_the_way_of_the_socket_is_not_removed() {
    let home = TestHome::new();
    std::fs::write(home.socket(), "not a socket").unwrap();
    let out = home.exec(&["loopback", "list"]);
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(out.stderr.contains("not a socket"), "{}", out.stderr);
    assert!(
        out.stderr.contains(&home.socket().display().to_string()),
        "{}",
        out.stderr
    );
    assert_eq!(std::fs::read(home.socket()).unwrap(), b"not a socket");
}

#[test]
fn a_symlinked_state_root_is_refused() {
    let home = TestHome::new();
    let link = home.path().with_extension("link");
    std::os::unix::fs::symlink(home.path(), &link).unwrap();
    let out = home
        .midi()
        .env("MIDI_HOME", &link)
        .env("MIDI_NO_ALSA", "1")
        .args(["loopback", "list"])
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&link);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0));
    assert!(stderr.contains("symbolic link"), "{stderr}");
    assert!(stderr.contains(&link.display().to_string()), "{stderr}");
    assert!(!home.socket().exists(), "no engine started behind the link");
}

#[test]
fn a_state_root_open_to_others_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let home = TestHome::new();
    std::fs::set_permissions(home.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = home.exec(&["loopback", "list"]);
    std::fs::set_permissions(home.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    assert_ne!(out.code, 0);
    assert!(
        out.stderr.contains(&home.path().display().to_string()),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("chmod 700"),
        "says how to fix it: {}",
        out.stderr
    );
    assert!(!home.socket().exists());
}

#[test]
fn racing_creates_of_one_name_make_exactly_one_pair() {
    let home = TestHome::new();
    let children: Vec<_> = (0..6)
        .map(|_| spawn_midi(&home, &["loopback", "create", "--root-name", "Contested"]))
        .collect();
    let mut codes: Vec<i32> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap().status.code().unwrap_or(-1))
        .collect();
    codes.sort();
    assert_eq!(
        codes,
        vec![0, 5, 5, 5, 5, 5],
        "one wins, the others conflict"
    );
    assert_eq!(home.list_json().len(), 1);
    assert_eq!(live_engine_pids(home.path()).len(), 1);
}

#[test]
fn a_state_root_too_long_for_a_socket_path_is_explained() {
    // A Unix socket path must stay under about 107 bytes; a deep MIDI_HOME breaks that. The
    // user must learn which path is too long, not that a connection was "lost".
    let home = TestHome::new();
    let deep = home.path().join("d".repeat(110));
    std::fs::create_dir(&deep).unwrap();
    std::fs::set_permissions(&deep, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    let out = home
        .midi()
        .env("MIDI_HOME", &deep)
        .env("MIDI_NO_ALSA", "1")
        .args(["loopback", "list"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0));
    let first = stderr.lines().next().unwrap_or_default();
    assert!(
        first.contains(&deep.display().to_string()) && first.contains("too long"),
        "the first line should name the path and say it is too long: {stderr}"
    );
    assert!(
        !first.contains("lost the connection"),
        "nothing was connected, so nothing was lost: {stderr}"
    );
}
