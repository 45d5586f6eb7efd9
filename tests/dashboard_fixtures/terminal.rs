//! `midi dashboard` on a real terminal: a tmux server of its own (its socket inside a
//! temporary `MIDI_HOME`), the dashboard started in it, the screen read back with
//! `capture-pane`, keys sent with `send-keys`. Dropping the [`Session`] kills the server and
//! stops the engine that runs in that home, whatever happened (pass, fail or panic).

use midi_loopback::client::ClientOptions;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// How long any one wait may take before the test fails (generous: CI machines are busy).
pub const DEADLINE: Duration = Duration::from_secs(20);

/// A temporary `MIDI_HOME` and a tmux server of our own.
pub struct Session {
    home: tempfile::TempDir,
    socket: PathBuf,
}

impl Session {
    /// A fresh, private home; nothing runs yet.
    pub fn new() -> Session {
        let home = tempfile::Builder::new()
            .prefix("midi-d")
            // The engine refuses a state directory that group or others can read.
            .permissions(std::fs::Permissions::from_mode(0o700))
            .tempdir_in("/tmp") // short: a socket path must stay under about 107 bytes
            .expect("temp dir");
        let socket = home.path().join("tmux.sock");
        Session { home, socket }
    }

    pub fn home(&self) -> &Path {
        self.home.path()
    }

    fn exit_code_file(&self) -> PathBuf {
        self.home().join("dashboard-exit-code")
    }

    /// `midi` with this home and no colour.
    pub fn midi(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_midi"));
        cmd.env("MIDI_HOME", self.home())
            .env("MIDI_NO_ALSA", "1")
            .env_remove("MIDI_NO_AUTOSTART")
            .env("NO_COLOR", "1");
        cmd
    }

    /// Client options for this home that never start an engine (the test decides who does).
    pub fn options(&self) -> ClientOptions {
        let mut o = ClientOptions::from_env(Some(self.home())).expect("options");
        o.autostart = false;
        o.no_alsa = true;
        o
    }

    /// Starts `midi dashboard` in a `width` × `height` tmux window (its stderr to a file, so
    /// log lines never land on the screen under test).
    pub fn open_dashboard(&self, width: u16, height: u16) {
        self.start(&["dashboard"], Some("dashboard.err"), width, height);
    }

    /// Starts any `midi` command on the terminal, stderr included (pickers draw there).
    pub fn open(&self, args: &[&str], width: u16, height: u16) {
        self.start(args, None, width, height);
    }

    fn start(&self, args: &[&str], stderr_file: Option<&str>, width: u16, height: u16) {
        // The exit code goes to a file: after `q` the alternate screen is gone, and nothing
        // else on screen would tell.
        let quoted: Vec<String> = args.iter().map(|a| format!("'{a}'")).collect();
        let redirect = stderr_file
            .map(|f| format!("2> '{}/{f}'", self.home().display()))
            .unwrap_or_default();
        let script = format!(
            "MIDI_HOME='{home}' NO_COLOR=1 '{midi}' {args} {redirect}; \
             echo $? > '{code}'; sleep 600",
            home = self.home().display(),
            midi = env!("CARGO_BIN_EXE_midi"),
            args = quoted.join(" "),
            code = self.exit_code_file().display(),
        );
        let (w, h) = (width.to_string(), height.to_string());
        let out = self.tmux(&[
            "new-session",
            "-d",
            "-s",
            "dash",
            "-x",
            &w,
            "-y",
            &h,
            "sh",
            "-c",
            &script,
        ]);
        assert!(
            out.status.success(),
            "tmux new-session failed (is tmux installed? .ci/install-test-deps installs it): {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn tmux(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .args(["-f", "/dev/null"])
            .args(args)
            .output()
            .expect("run tmux")
    }

    /// The process id of `midi dashboard`: the child of the shell tmux started.
    pub fn dashboard_pid(&self) -> u32 {
        let out = self.tmux(&["display-message", "-p", "-t", "dash", "#{pane_pid}"]);
        let shell: u32 = String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .expect("tmux names the pane's process");
        let children = std::fs::read_to_string(format!("/proc/{shell}/task/{shell}/children"))
            .expect("read the shell's children");
        children
            .split_whitespace()
            .next()
            .expect("the dashboard runs under the shell")
            .parse()
            .unwrap()
    }

    pub fn screen(&self) -> String {
        let out = self.tmux(&["capture-pane", "-p", "-t", "dash"]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Keys as tmux names them (`Enter`, `q`, …).
    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "dash"];
        args.extend_from_slice(keys);
        assert!(self.tmux(&args).status.success());
    }

    /// Text typed literally.
    pub fn type_text(&self, text: &str) {
        assert!(
            self.tmux(&["send-keys", "-t", "dash", "-l", text])
                .status
                .success()
        );
    }

    /// Polls the screen until `ready` says yes; fails with the screen, the engine's log and
    /// the dashboard's stderr after the deadline.
    pub fn wait_for(&self, what: &str, ready: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if ready(&screen) {
                return screen;
            }
            assert!(
                start.elapsed() < DEADLINE,
                "waited {DEADLINE:?} for {what}; the screen shows:\n{screen}\n{}",
                self.diagnostics()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits for the dashboard to exit and returns its exit code.
    pub fn wait_for_exit(&self) -> String {
        let start = Instant::now();
        loop {
            if let Ok(code) = std::fs::read_to_string(self.exit_code_file()) {
                return code.trim().to_string();
            }
            assert!(
                start.elapsed() < DEADLINE,
                "the dashboard did not exit; the screen shows:\n{}\n{}",
                self.screen(),
                self.diagnostics()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn diagnostics(&self) -> String {
        let read = |name: &str| std::fs::read_to_string(self.home().join(name)).unwrap_or_default();
        format!(
            "engine log:\n{}\ndashboard stderr:\n{}",
            read("engine.log"),
            read("dashboard.err")
        )
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]);
        let _ = self.midi().args(["service", "stop"]).output();
    }
}
