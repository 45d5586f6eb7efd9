//! What the ALSA sequencer tests share: third-party programs as peers, waiting, reading, and
//! `aconnect -l` parsing. Used by `tests/alsa_seq.rs` and `tests/alsa_bridge.rs`, which run in a
//! booted kernel (`.ci/alsa/run`).
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use midi_loopback::alsa::{Event, Seq};

/// Generous: under qemu's emulator on a busy host a Python start-up alone can take many seconds.
pub const PEER_TIMEOUT: Duration = Duration::from_secs(60);

/// A third-party program that is killed when the test ends, pass or fail.
pub struct Peer {
    child: Child,
    lines: mpsc::Receiver<String>,
    pub seen: Vec<String>,
}

impl Peer {
    pub fn spawn(program: &str, args: &[&str]) -> Peer {
        Peer::spawn_command(Command::new(program).args(args))
    }

    pub fn spawn_command(command: &mut Command) -> Peer {
        let program = command.get_program().to_string_lossy().into_owned();
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|err| panic!("cannot start {program}: {err}"));
        let lines = forward_lines(child.stdout.take().expect("piped stdout"));
        Peer {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    pub fn python(args: &[&str]) -> Peer {
        let python =
            std::env::var("MIDI_ALSA_PYTHON").unwrap_or_else(|_| "/usr/bin/python3".into());
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/alsa_peer.py");
        let mut all = vec![script];
        all.extend_from_slice(args);
        Peer::spawn(&python, &all)
    }

    /// The pylibremidi peer, with the alsa-lib >= 1.2.10 it needs put first on the library path.
    pub fn ump_python(args: &[&str]) -> Peer {
        let python =
            std::env::var("MIDI_ALSA_PYTHON").unwrap_or_else(|_| "/usr/bin/python3".into());
        let setting = |name: &str| {
            std::env::var(name)
                .unwrap_or_else(|_| panic!("{name} is not set; .ci/alsa/run sets it"))
        };
        let libasound = setting("MIDI_ALSA_UMP_LIBASOUND");
        let library_path = match std::env::var("LD_LIBRARY_PATH") {
            Ok(rest) if !rest.is_empty() => format!("{libasound}:{rest}"),
            _ => libasound,
        };
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/alsa_ump_peer.py");
        Peer::spawn_command(
            Command::new(python)
                .arg(script)
                .args(args)
                .env("PYTHONPATH", setting("MIDI_ALSA_PYLIBREMIDI"))
                .env("LD_LIBRARY_PATH", library_path),
        )
    }

    /// The first output line that satisfies `wanted`, or a panic that shows what was printed.
    pub fn line_matching(&mut self, what: &str, wanted: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + PEER_TIMEOUT;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if wanted(&line) {
                        return line;
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => break,
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let status = self.child.wait().ok();
                    panic!(
                        "peer exited ({status:?}) before printing {what}; it printed {:?}",
                        self.seen
                    );
                }
            }
        }
        panic!(
            "no {what} within {PEER_TIMEOUT:?}; the peer printed {:?}",
            self.seen
        )
    }

    pub fn wait_success(mut self) {
        let status = self.child.wait().expect("wait for peer");
        assert!(
            status.success(),
            "peer failed with {status}; it printed {:?}",
            self.seen
        );
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn forward_lines(stdout: ChildStdout) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

pub fn expect_ump() -> bool {
    match std::env::var("MIDI_ALSA_EXPECT_UMP").as_deref() {
        Ok("1") => true,
        Ok("0") => false,
        other => {
            panic!("set MIDI_ALSA_EXPECT_UMP to 1 (kernel has SND_SEQ_UMP) or 0, not {other:?}")
        }
    }
}

pub fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + PEER_TIMEOUT;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Reads until `pick` returns something, skipping the kernel's subscription notices.
pub fn read_until<T>(seq: &mut Seq, what: &str, mut pick: impl FnMut(&Event) -> Option<T>) -> T {
    let deadline = Instant::now() + PEER_TIMEOUT;
    let mut seen = Vec::new();
    loop {
        for event in seq.read_events().expect("read events") {
            let event = event.unwrap_or_else(|err| panic!("undecodable event: {err}"));
            if event.kind.is_system() {
                continue;
            }
            if let Some(found) = pick(&event) {
                return found;
            }
            seen.push(event);
        }
        assert!(
            Instant::now() < deadline,
            "no {what} within {PEER_TIMEOUT:?}; read {seen:?}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

pub fn aconnect_list() -> String {
    let out = Command::new("aconnect")
        .arg("-l")
        .output()
        .expect("run aconnect -l");
    assert!(out.status.success(), "aconnect -l failed: {out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The lines `aconnect -l` prints for client `client`: its header and its ports.
pub fn aconnect_section(listing: &str, client: u8) -> Vec<String> {
    let header = format!("client {client}: ");
    let mut lines = listing.lines().skip_while(|l| !l.starts_with(&header));
    let Some(first) = lines.next() else {
        return Vec::new();
    };
    let mut section = vec![first.to_owned()];
    section.extend(
        lines
            .take_while(|l| !l.starts_with("client "))
            .map(str::to_owned),
    );
    section
}

/// Whether the section lists port `port` under exactly the name `name` (aconnect pads to 16).
pub fn lists_port(section: &[String], port: u8, name: &str) -> bool {
    section.iter().any(|line| {
        let line = line.trim_start();
        line.strip_prefix(&format!("{port} '"))
            .and_then(|rest| rest.split('\'').next())
            .is_some_and(|listed| listed.trim_end() == name)
    })
}

/// `len` bytes `F0 7D … F7`, the middle a pattern that differs with `seed`.
pub fn sysex_of(len: usize, seed: usize) -> Vec<u8> {
    let mut bytes = vec![0xF0, 0x7D];
    bytes.extend((0..len - 3).map(|i| ((i * 7 + seed) % 128) as u8));
    bytes.push(0xF7);
    bytes
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
