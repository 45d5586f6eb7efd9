//! Shared test support: an isolated state root per test, the `midi` binary pointed at it, and
//! an engine that is always stopped when the test ends (pass or fail).

#![allow(dead_code)] // each test file uses a different part of this module

use assert_cmd::Command;
use midi_loopback::client::{Client, ClientOptions};
use std::path::{Path, PathBuf};

/// A temporary `MIDI_HOME`. Dropping it stops the engine that runs there and removes the dir.
pub struct TestHome {
    dir: tempfile::TempDir,
}

impl TestHome {
    pub fn new() -> TestHome {
        // Short paths: a Unix socket path must stay under about 107 bytes.
        use std::os::unix::fs::PermissionsExt;
        // 0700, as the engine insists: a state root others can enter is refused.
        let dir = tempfile::Builder::new()
            .prefix("midi-t")
            .permissions(std::fs::Permissions::from_mode(0o700))
            .tempdir_in("/tmp")
            .expect("temp dir");
        TestHome { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn config_file(&self) -> PathBuf {
        self.path().join("midi.midiconfig.json")
    }

    pub fn socket(&self) -> PathBuf {
        self.path().join("engine.sock")
    }

    /// `midi` with this home, no colour, and no inherited engine settings.
    pub fn midi(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_midi"));
        cmd.env("MIDI_HOME", self.path())
            .env_remove("MIDI_NO_AUTOSTART")
            .env("NO_COLOR", "1")
            .timeout(std::time::Duration::from_secs(60));
        cmd
    }

    /// Client options for the library, pointed at this home and this build's `midi`.
    pub fn options(&self) -> ClientOptions {
        let mut o = ClientOptions::from_env(Some(self.path())).expect("options");
        o.autostart = true;
        o.engine_program = Some(PathBuf::from(env!("CARGO_BIN_EXE_midi")));
        o
    }

    /// A control connection (starting the engine if needed).
    pub fn client(&self) -> Client {
        Client::connect(&self.options()).expect("connect to the engine")
    }

    /// Creates a pair `ROOT (A)` / `ROOT (B)` through the CLI and returns its JSON.
    pub fn create(&self, root: &str, extra: &[&str]) -> serde_json::Value {
        let out = self
            .midi()
            .args(["loopback", "create", "--root-name", root, "--json"])
            .args(extra)
            .output()
            .expect("run midi");
        assert!(
            out.status.success(),
            "create failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("create --json prints JSON")
    }

    /// Stops the engine if one runs (idempotent).
    pub fn stop_engine(&self) {
        let _ = self.midi().args(["service", "stop"]).output();
    }
}

impl Drop for TestHome {
    fn drop(&mut self) {
        self.stop_engine();
    }
}

// ---- Helpers for the loopback, service, persistence and autostart tests (issue 2). ----

/// What one finished `midi` run left behind.
#[derive(Debug)]
pub struct Outcome {
    /// The exit code (-1 when a signal ended the process).
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Outcome {
    /// The whole of stdout parsed as JSON (panics with the output when it is not).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not one JSON value ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }
}

impl TestHome {
    /// Runs `midi ARGS…` in this home and returns its exit code and output.
    pub fn exec(&self, args: &[&str]) -> Outcome {
        let out = self.midi().args(args).output().expect("run midi");
        Outcome {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// `midi loopback list --json`, which must succeed.
    pub fn list_json(&self) -> Vec<serde_json::Value> {
        let out = self.exec(&["loopback", "list", "--json"]);
        assert_eq!(out.code, 0, "list failed: {}", out.stderr);
        match out.json() {
            serde_json::Value::Array(items) => items,
            other => panic!("list --json is not an array: {other}"),
        }
    }
}

/// Live (not zombie) `midi … service run` processes whose command line names `home`.
pub fn live_engine_pids(home: &Path) -> Vec<u32> {
    let home = home.to_string_lossy().into_owned();
    let mut pids = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return pids;
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let args: Vec<String> = cmdline
            .split(|b| *b == 0)
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        let is_engine = args.windows(2).any(|w| w[0] == "service" && w[1] == "run");
        if is_engine && args.iter().any(|a| a.contains(&home)) && process_is_live(pid) {
            pids.push(pid);
        }
    }
    pids
}

/// True while `pid` exists and is not a zombie (an exited engine nobody reaped yet).
pub fn process_is_live(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the parenthesised command name.
        Ok(stat) => stat
            .rsplit_once(')')
            .map(|(_, rest)| !rest.trim_start().starts_with(['Z', 'X']))
            .unwrap_or(false),
        Err(_) => false,
    }
}

/// Polls `done` every 20 ms until it holds or `limit` passes; returns whether it held.
pub fn wait_until(limit: std::time::Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + limit;
    loop {
        if done() {
            return true;
        }
        if std::time::Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}
