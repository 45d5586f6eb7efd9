//! The real `midi` binary's wizard: on a pseudo-terminal (expectrl) a person's keystrokes
//! create a pair that `midi loopback list` then shows, or cancel with nothing created; off a
//! terminal the wizard refuses and names the flags to use instead.
//!
//! Every wait is for a piece of text, never for a length of time; the timeout only bounds a
//! hang.

#![cfg(unix)]

mod common;

use common::TestHome;
use expectrl::process::unix::WaitStatus;
use expectrl::session::OsSession as Session;
use expectrl::{Eof, Expect};
use std::time::Duration;

/// `midi ARGS` on a new pseudo-terminal, with the test's state root.
fn on_terminal(home: &TestHome, args: &[&str]) -> Session {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_midi"));
    cmd.args(args)
        .env("MIDI_HOME", home.path())
        .env("MIDI_NO_ALSA", "1")
        .env("NO_COLOR", "1")
        .env("TERM", "xterm")
        .env_remove("MIDI_NO_AUTOSTART");
    let mut session = Session::spawn(cmd).expect("spawn midi on a pseudo-terminal");
    session.set_expect_timeout(Some(Duration::from_secs(60)));
    session
}

/// Reads everything up to the end and returns the exit code.
fn finish(mut session: Session) -> (String, i32) {
    let rest = session.expect(Eof).expect("midi exits");
    let text = String::from_utf8_lossy(rest.as_bytes()).into_owned();
    match session.get_process().wait().expect("wait for midi") {
        WaitStatus::Exited(_, code) => (text, code),
        other => panic!("midi did not exit normally: {other:?}\n{text}"),
    }
}

fn pairs(home: &TestHome) -> serde_json::Value {
    let out = home
        .midi()
        .args(["loopback", "list", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn a_person_creates_a_pair_with_the_wizard_and_list_shows_it() {
    let home = TestHome::new();
    let mut wizard = on_terminal(&home, &["loopback", "wizard"]);
    wizard.expect("A and B").unwrap();
    wizard
        .expect("How do you want to name the endpoints?")
        .unwrap();
    wizard.send("\r").unwrap(); // quick (the default)
    wizard.expect("Name of the pair").unwrap();
    wizard.send("Wizard Test").unwrap();
    wizard.send("\r").unwrap();
    wizard
        .expect("Keep the pair when the engine restarts")
        .unwrap();
    wizard.send("y").unwrap();
    wizard.expect("The same from a script:").unwrap();
    wizard.expect("Create this pair?").unwrap();
    wizard.send("\r").unwrap();
    let (output, code) = finish(wizard);
    assert_eq!(code, 0, "{output}");
    for shown in [
        "Loopback pair created.",
        "midi endpoint monitor \"Wizard Test (B)\"",
        "midi endpoint send-message \"Wizard Test (A)\" 0x20903C64",
    ] {
        assert!(output.contains(shown), "no {shown:?} in:\n{output}");
    }

    let list = pairs(&home);
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0]["endpoint_a"]["name"], "Wizard Test (A)");
    assert_eq!(list[0]["endpoint_b"]["name"], "Wizard Test (B)");
    assert_eq!(list[0]["persistent"], true);
    let config = std::fs::read_to_string(home.config_file()).unwrap();
    assert!(config.contains("Wizard Test (A)"), "stored: {config}");
}

#[test]
fn create_without_names_on_a_terminal_is_the_wizard_and_keeps_its_flags() {
    let home = TestHome::new();
    let mut wizard = on_terminal(&home, &["loopback", "create", "-u", "wiz-01"]);
    wizard
        .expect("How do you want to name the endpoints?")
        .unwrap();
    wizard.send("\r").unwrap();
    wizard.expect("Name of the pair").unwrap();
    // A clash with nothing, but too long for a root name: refused, then corrected in place.
    wizard.send("x".repeat(95)).unwrap();
    wizard.send("\r").unwrap();
    wizard.expect("the limit is 94").unwrap();
    for _ in 0..95 {
        wizard.send("\x7f").unwrap(); // Backspace
    }
    wizard.send("Flags\r").unwrap();
    wizard.expect("Keep the pair").unwrap();
    wizard.send("n").unwrap();
    wizard.expect("--unique-identifier wiz01").unwrap();
    wizard.expect("Create this pair?").unwrap();
    wizard.send("\r").unwrap();
    let (output, code) = finish(wizard);
    assert_eq!(code, 0, "{output}");
    let list = pairs(&home);
    assert_eq!(list[0]["endpoint_a"]["name"], "Flags (A)");
    assert_eq!(list[0]["unique_identifier"], "wiz01");
    assert_eq!(list[0]["persistent"], false);
}

#[test]
fn esc_at_a_question_cancels_with_nothing_created() {
    let home = TestHome::new();
    let mut wizard = on_terminal(&home, &["loopback", "wizard"]);
    wizard
        .expect("How do you want to name the endpoints?")
        .unwrap();
    wizard.send("\r").unwrap();
    wizard.expect("Name of the pair").unwrap();
    wizard.send("Never").unwrap();
    wizard.send("\x1b").unwrap(); // Esc
    wizard.expect("cancelled, nothing created").unwrap();
    let (output, code) = finish(wizard);
    assert_eq!(code, 1, "{output}");
    assert_eq!(pairs(&home), serde_json::json!([]));
}

#[test]
fn ctrl_c_at_a_choice_cancels_with_nothing_created() {
    let home = TestHome::new();
    let mut wizard = on_terminal(&home, &["loopback", "wizard"]);
    wizard
        .expect("How do you want to name the endpoints?")
        .unwrap();
    wizard.send("\x03").unwrap(); // Ctrl-C
    wizard.expect("cancelled, nothing created").unwrap();
    let (output, code) = finish(wizard);
    assert_eq!(code, 1, "{output}");
    assert_eq!(pairs(&home), serde_json::json!([]));
}

#[test]
fn off_a_terminal_the_wizard_refuses_and_names_the_create_flags() {
    let home = TestHome::new();
    let out = home.midi().args(["loopback", "wizard"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    for flag in [
        "midi loopback create",
        "--root-name",
        "--name-a",
        "--name-b",
        "--association-id",
        "--unique-identifier",
        "--persistent",
    ] {
        assert!(stderr.contains(flag), "no {flag} in: {stderr}");
    }
    assert!(out.stdout.is_empty());
    assert!(
        !home.socket().exists(),
        "refusing needs no engine, so none was started"
    );
}

#[test]
fn off_a_terminal_create_without_names_refuses_and_names_root_name() {
    let home = TestHome::new();
    let out = home.midi().args(["loopback", "create"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--root-name"), "{stderr}");
    assert!(stderr.contains("midi loopback wizard"), "{stderr}");
}
