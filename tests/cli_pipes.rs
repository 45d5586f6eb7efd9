//! A reader that goes away early (`midi loopback list --json | head -1`) ends every command
//! quietly, as ripgrep does: no panic text, no error line, exit 0 — in every output mode.

mod common;

use common::TestHome;
use midi_loopback::core::{NameSpec, PairSpec};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// `midi ARGS…` in `home` with stdout on a pipe and stderr captured.
fn spawn(home: &TestHome, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_midi"))
        .args(args)
        .env("MIDI_HOME", home.path())
        .env("MIDI_NO_ALSA", "1")
        .env("NO_COLOR", "1")
        .env_remove("COLUMNS")
        .env_remove("COMPLETE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run midi")
}

/// Waits for the child (bounded) and returns its exit code and stderr.
fn finish(mut child: Child, what: &str) -> (Option<i32>, String) {
    let ended = common::wait_until(Duration::from_secs(30), || {
        child.try_wait().expect("wait").is_some()
    });
    if !ended {
        let _ = child.kill();
        let _ = child.wait();
        panic!("`midi {what}` kept running after its reader went away");
    }
    let status = child.wait().expect("wait");
    let mut stderr = String::new();
    use std::io::Read;
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    (status.code(), stderr)
}

/// Runs `midi ARGS…`, lets `reader` play the reader that goes away, and checks the end:
/// exit 0, no panic and no error on stderr; returns stderr.
fn assert_quiet(home: &TestHome, args: &[&str], reader: impl FnOnce(&mut Child)) -> String {
    let mut child = spawn(home, args);
    reader(&mut child);
    let what = args.join(" ");
    let (code, stderr) = finish(child, &what);
    assert_eq!(
        code,
        Some(0),
        "`midi {what}` whose reader went away must exit 0; stderr:\n{stderr}"
    );
    let lower = stderr.to_lowercase();
    for bad in ["panic", "error", "broken pipe"] {
        assert!(
            !lower.contains(bad),
            "`midi {what}` whose reader went away printed {bad:?}:\n{stderr}"
        );
    }
    stderr
}

/// The reader closes the pipe before the command writes anything.
fn closed_at_once(child: &mut Child) {
    drop(child.stdout.take());
}

#[test]
fn every_output_mode_ends_quietly_when_nobody_reads_stdout() {
    let home = TestHome::new();
    home.create("Piped", &[]);
    for args in [
        &["loopback", "list"][..],
        &["loopback", "list", "--json"],
        &["endpoint", "list"],
        &["endpoint", "list", "--json"],
        &["enumerate", "endpoints", "--json"],
        &["service", "ping", "--count", "3"],
        &["service", "ping", "--count", "3", "--json"],
        &["service", "status"],
        &["service", "status", "--json"],
        &["loopback", "mute", "-i", "placeholder"],
        &["completions", "bash"],
        &["--help"],
        &["loopback", "create", "--help"],
        &["--version"],
    ] {
        let id = home.list_json()[0]["association_id"]
            .as_str()
            .unwrap()
            .to_string();
        let args: Vec<&str> = args
            .iter()
            .map(|a| if *a == "placeholder" { id.as_str() } else { a })
            .collect();
        let stderr = assert_quiet(&home, &args, closed_at_once);
        assert!(stderr.is_empty(), "`midi {args:?}` printed:\n{stderr}");
    }
}

#[test]
fn a_long_list_read_by_head_dash_1_ends_quietly() {
    let home = TestHome::new();
    let mut client = home.client();
    for i in 0..300 {
        client
            .create(&PairSpec {
                names: Some(NameSpec::Root(format!("Pair number {i}"))),
                ..Default::default()
            })
            .unwrap();
    }
    for args in [
        &["loopback", "list", "--json"][..],
        &["loopback", "list"],
        &["endpoint", "list", "--json"],
    ] {
        // As `head -1` does: read one line, then close the pipe while midi still writes.
        let stderr = assert_quiet(&home, args, |child| {
            let mut reader = BufReader::new(child.stdout.take().unwrap());
            let mut first = String::new();
            reader.read_line(&mut first).unwrap();
            assert!(!first.is_empty());
        });
        assert!(stderr.is_empty(), "`midi {args:?}` printed:\n{stderr}");
    }
}

#[test]
fn monitor_and_watch_end_quietly_when_their_reader_goes_away() {
    let home = TestHome::new();
    home.create("Watched", &[]);
    // The table's header is the first write.
    assert_quiet(
        &home,
        &["endpoint", "monitor", "Watched (B)", "--count", "5"],
        closed_at_once,
    );
    // JSON lines: the monitor notices at the first message after `head -3` has gone.
    assert_quiet(
        &home,
        &[
            "endpoint",
            "monitor",
            "Watched (B)",
            "--json",
            "--count",
            "50",
        ],
        |child| {
            let mut sender = home.client().open_endpoint("Watched (A)").unwrap();
            let attached = common::wait_until(Duration::from_secs(20), || {
                home.list_json()[0]["endpoint_b"]["clients"] == 1
            });
            assert!(attached, "the monitor never attached");
            let mut reader = BufReader::new(child.stdout.take().unwrap());
            sender.send(&[0x2090_3C64]).unwrap();
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            assert!(line.contains("\"index\":1"), "{line}");
            drop(reader);
            for _ in 0..5 {
                sender.send(&[0x2080_3C00]).unwrap();
                std::thread::sleep(Duration::from_millis(20));
            }
        },
    );
    assert_quiet(
        &home,
        &["watch-endpoints", "--timeout", "20"],
        closed_at_once,
    );
    assert_quiet(
        &home,
        &["watch-endpoints", "--json", "--timeout", "20"],
        closed_at_once,
    );
}
