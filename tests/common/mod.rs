//! Shared test support: an isolated state root per test, the `midi` binary pointed at it, and
//! an engine that is always stopped when the test ends (pass or fail).

#![allow(dead_code)] // each test file uses a different part of this module

pub mod namespace;

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

    /// `midi` with this home, no colour, no ALSA bridge in the engines it starts, and no
    /// inherited engine settings.
    pub fn midi(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_midi"));
        cmd.env("MIDI_HOME", self.path())
            .env("MIDI_NO_ALSA", "1")
            .env_remove("MIDI_NO_AUTOSTART")
            .env("NO_COLOR", "1")
            .timeout(std::time::Duration::from_secs(60));
        cmd
    }

    /// Client options for the library, pointed at this home and this build's `midi`.
    pub fn options(&self) -> ClientOptions {
        let mut o = ClientOptions::from_env(Some(self.path())).expect("options");
        o.autostart = true;
        o.no_alsa = true;
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
        // A test may leave the state root unusable (open to others, say), so the polite stop
        // is refused; no engine may outlive its test all the same.
        // (An engine run inside the test process itself stops with the test.)
        if let Some(pid) = self.engine_pid().filter(|&pid| pid != std::process::id()) {
            // SAFETY: kill has no memory effects; the pid is the engine this home locked.
            unsafe { libc::kill(pid as i32, libc::SIGKILL) };
        }
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
    /// Asserts exit code 0, showing the output when it is not.
    pub fn success(&self) -> &Outcome {
        assert_eq!(
            self.code, 0,
            "stdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

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

/// True while `pid` exists and is not a zombie (an exited engine nobody reaped yet). A killed
/// process whose main thread is a zombie still lives while another of its threads finishes
/// (a write the engine waits for on a blocking thread): its socket and locks are still open.
pub fn process_is_live(pid: u32) -> bool {
    let thread_is_live = |stat: &str| {
        // The state follows the parenthesised command name.
        stat.rsplit_once(')')
            .map(|(_, rest)| !rest.trim_start().starts_with(['Z', 'X']))
            .unwrap_or(false)
    };
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    if thread_is_live(&stat) {
        return true;
    }
    let Ok(threads) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return false;
    };
    threads.flatten().any(|t| {
        std::fs::read_to_string(t.path().join("stat")).is_ok_and(|stat| thread_is_live(&stat))
    })
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

// ---- Helpers for the reliability tests (issue 7): seeded randomness, the engine's pid and
// memory, and a raw protocol connection that can say anything, well-formed or not. ----

/// A tiny seeded random number generator (SplitMix64), so a failing run can be replayed.
pub struct SplitMix64(pub u64);

impl SplitMix64 {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// True once in `n` times on average.
    pub fn one_in(&mut self, n: u64) -> bool {
        self.below(n) == 0
    }

    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next_u64() as u8).collect()
    }
}

/// The seed of a randomised test: `MIDI_TEST_SEED` when set (to replay a failure), else
/// `default`. Printed, so a failure's output says how to replay it.
pub fn test_seed(default: u64) -> u64 {
    let seed = std::env::var("MIDI_TEST_SEED")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(default);
    eprintln!("seed {seed} (replay with MIDI_TEST_SEED={seed})");
    seed
}

impl TestHome {
    /// The pid the running engine wrote into `engine.lock`, if the file names a live process.
    pub fn engine_pid(&self) -> Option<u32> {
        let text = std::fs::read_to_string(self.path().join("engine.lock")).ok()?;
        let pid = text.trim().parse().ok()?;
        process_is_live(pid).then_some(pid)
    }

    /// The engine's log so far (empty when there is none).
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(self.path().join("engine.log")).unwrap_or_default()
    }
}

/// Resident memory of a process in KiB (`VmRSS` in `/proc/PID/status`).
pub fn vm_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// What one read on a [`RawConn`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawRead {
    Frame(u8, Vec<u8>),
    Closed,
    TimedOut,
}

/// A connection to the engine socket that speaks the wire format by hand, so a test can send
/// exactly the bytes it wants — a well-behaved hello, or garbage.
pub struct RawConn {
    pub stream: std::os::unix::net::UnixStream,
    buf: Vec<u8>,
}

impl RawConn {
    pub fn connect(socket: &Path) -> RawConn {
        let stream = std::os::unix::net::UnixStream::connect(socket)
            .unwrap_or_else(|e| panic!("connect to {}: {e}", socket.display()));
        RawConn {
            stream,
            buf: Vec::new(),
        }
    }

    /// `[length u32 LE][kind][payload]`.
    pub fn frame(kind: u8, payload: &[u8]) -> Vec<u8> {
        let mut out = ((payload.len() + 1) as u32).to_le_bytes().to_vec();
        out.push(kind);
        out.extend_from_slice(payload);
        out
    }

    /// Writes raw bytes (an error means the engine already closed the connection).
    pub fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        use std::io::Write;
        self.stream.write_all(bytes)
    }

    pub fn send_frame(&mut self, kind: u8, payload: &[u8]) -> std::io::Result<()> {
        self.write(&RawConn::frame(kind, payload))
    }

    pub fn send_json(&mut self, kind: u8, value: &serde_json::Value) -> std::io::Result<()> {
        self.send_frame(kind, value.to_string().as_bytes())
    }

    /// Says hello with this build's protocol and returns the welcome, which must accept us.
    pub fn hello(&mut self) -> serde_json::Value {
        self.send_json(1, &serde_json::json!({"protocol": midi_loopback::core::protocol::PROTOCOL_VERSION, "client": "raw test"}))
            .expect("send hello");
        match self.read(std::time::Duration::from_secs(20)) {
            RawRead::Frame(2, payload) => {
                let welcome: serde_json::Value =
                    serde_json::from_slice(&payload).expect("welcome is JSON");
                assert!(welcome["refused"].is_null(), "refused: {welcome}");
                welcome
            }
            other => panic!("expected a welcome, got {other:?}"),
        }
    }

    /// The next whole frame, or why there is none.
    pub fn read(&mut self, limit: std::time::Duration) -> RawRead {
        use std::io::Read;
        let deadline = std::time::Instant::now() + limit;
        loop {
            if self.buf.len() >= 5 {
                let len = u32::from_le_bytes([self.buf[0], self.buf[1], self.buf[2], self.buf[3]])
                    as usize;
                // Data frames stay within what a client may send; answers may be bigger.
                let limit = match self.buf[4] {
                    17 | 18 => midi_loopback::core::protocol::MAX_FRAME_BYTES,
                    _ => midi_loopback::core::protocol::MAX_ENGINE_FRAME_BYTES,
                };
                assert!(
                    (1..=limit).contains(&len),
                    "the engine sent a frame (kind {}) of length {len}",
                    self.buf[4]
                );
                if self.buf.len() >= 4 + len {
                    let kind = self.buf[4];
                    let payload = self.buf[5..4 + len].to_vec();
                    self.buf.drain(..4 + len);
                    return RawRead::Frame(kind, payload);
                }
            }
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return RawRead::TimedOut;
            }
            self.stream.set_read_timeout(Some(left)).expect("timeout");
            let mut chunk = vec![0u8; 256 * 1024];
            match self.stream.read(&mut chunk) {
                Ok(0) => return RawRead::Closed,
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    return RawRead::TimedOut;
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => return RawRead::Closed, // reset by the engine: closed as well
            }
        }
    }

    /// Reads frames until the engine closes the connection and returns them; panics when it
    /// stays open longer than `limit`.
    pub fn until_closed(&mut self, limit: std::time::Duration) -> Vec<(u8, Vec<u8>)> {
        let deadline = std::time::Instant::now() + limit;
        let mut frames = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.read(left) {
                RawRead::Frame(k, p) => frames.push((k, p)),
                RawRead::Closed => return frames,
                RawRead::TimedOut => panic!(
                    "the engine kept the connection open for {limit:?}; frames so far: {:?}",
                    frames
                        .iter()
                        .map(|(k, p)| (*k, String::from_utf8_lossy(p).into_owned()))
                        .collect::<Vec<_>>()
                ),
            }
        }
    }

    /// Sends a request and returns its response (`{"id", "result"}`); other frames that
    /// arrive first are returned alongside, in order.
    pub fn request(&mut self, body: serde_json::Value) -> (serde_json::Value, Vec<(u8, Vec<u8>)>) {
        let id = body["id"].clone();
        self.send_json(3, &body).expect("send request");
        let mut others = Vec::new();
        loop {
            match self.read(std::time::Duration::from_secs(30)) {
                RawRead::Frame(4, payload) => {
                    let v: serde_json::Value =
                        serde_json::from_slice(&payload).expect("response is JSON");
                    if v["id"] == id {
                        return (v, others);
                    }
                    others.push((4, payload));
                }
                RawRead::Frame(k, p) => others.push((k, p)),
                other => panic!("no response to {body}: {other:?}"),
            }
        }
    }
}

/// The JSON of a control frame's payload.
pub fn frame_json(payload: &[u8]) -> serde_json::Value {
    serde_json::from_slice(payload)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(payload)))
}

/// The property tests' configuration: `default_cases` cases (a short run for CI) unless
/// `PROPTEST_CASES` asks for more, and no failure files written into the source tree.
pub fn proptest_config(default_cases: u32) -> proptest::test_runner::Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default_cases);
    proptest::test_runner::Config {
        cases,
        failure_persistence: None,
        ..Default::default()
    }
}

// ---- Helpers for the Network MIDI 2.0 tests. ----

/// `midi ARGS…` in `home` as the network tests run it: no secret from the environment, `env`
/// added, and a host that never advertises unless the test asks (no multicast leaves a test
/// that runs outside a network namespace of its own).
pub fn network_midi(home: &TestHome, env: &[(&str, &str)], args: &[&str]) -> Outcome {
    let mut cmd = home.midi();
    cmd.env_remove("MIDI_NETWORK_SECRET");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.args(args);
    if args.starts_with(&["network", "host"]) && !args.contains(&"--no-advertise") {
        cmd.arg("--no-advertise");
    }
    let out = cmd.output().expect("run midi");
    Outcome {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The number of clients attached to an endpoint of `home` (`endpoint list --json`).
pub fn attached_clients(home: &TestHome, endpoint: &str) -> u64 {
    let out = network_midi(home, &[], &["endpoint", "list", "--json"]);
    out.success();
    out.json()
        .as_array()
        .expect("an array")
        .iter()
        .find(|e| e["name"] == endpoint)
        .and_then(|e| e["clients"].as_u64())
        .unwrap_or(0)
}
