//! The small edges a new user trips over: messages that read as sentences (no `word(s)`, no
//! rate of a single message, no `0 is not in 1..18446744073709551615`), suggestions for a
//! name that is nearly right, help that keeps the global options apart, a removed pair's
//! report that gives no advice about keeping it, monitor JSON with hex words.

mod common;

use common::TestHome;
use std::io::BufRead;
use std::process::{Command, Stdio};
use std::time::Duration;

#[test]
fn one_message_is_reported_without_a_rate_and_without_plural_s() {
    let home = TestHome::new();
    home.create("Edge", &[]);
    let out = home.exec(&["endpoint", "send-message", "Edge (A)", "0x20903C64"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.starts_with("Sent 1 message through Edge (A)"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("(s)"), "{}", out.stdout);
    assert!(!out.stdout.contains("messages/s"), "{}", out.stdout);
    assert_eq!(out.stdout.lines().count(), 1, "{}", out.stdout);
    let json = home
        .exec(&[
            "endpoint",
            "send-message",
            "Edge (A)",
            "0x20903C64",
            "--json",
        ])
        .json();
    assert!(json["rate_msgs_per_s"].is_null(), "{json}");
}

#[test]
fn a_message_of_the_wrong_length_is_described_in_words() {
    let home = TestHome::new();
    home.create("Edge", &[]);
    let out = home.exec(&["endpoint", "send-message", "Edge (A)", "0x40903C00"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("has exactly 2 words, but 1 was given"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_count_of_zero_is_refused_in_words() {
    let home = TestHome::new();
    for args in [
        &[
            "endpoint",
            "send-message",
            "X (A)",
            "0x20903C64",
            "--count",
            "0",
        ][..],
        &["endpoint", "monitor", "X (B)", "--count", "0"],
    ] {
        let out = home.exec(args);
        assert_eq!(out.code, 2, "{args:?}");
        assert!(
            out.stderr.contains("the count must be at least 1"),
            "{args:?}: {}",
            out.stderr
        );
        assert!(
            !out.stderr.contains("18446744073709551615"),
            "{}",
            out.stderr
        );
    }
}

#[test]
fn an_endpoint_name_that_is_nearly_right_gets_a_suggestion() {
    let home = TestHome::new();
    home.create("Studio", &[]);
    let out = home.exec(&["endpoint", "send-message", "studio", "0x20903C64"]);
    assert_eq!(out.code, 4, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("hint: did you mean \"Studio (A)\" or \"Studio (B)\"?"),
        "{}",
        out.stderr
    );
    let out = home.exec(&["endpoint", "monitor", "Nothing Like It", "--count", "1"]);
    assert_eq!(out.code, 4);
    assert!(!out.stderr.contains("did you mean"), "{}", out.stderr);
}

#[test]
fn global_options_have_a_heading_of_their_own() {
    let out = Command::new(env!("CARGO_BIN_EXE_midi"))
        .args(["loopback", "create", "--help"])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    let own = help.find("\nOptions:").expect("an Options heading");
    let global = help
        .find("\nGlobal options:")
        .expect("a Global options heading");
    assert!(own < global, "{help}");
    let own_options = &help[own..global];
    for flag in ["--home", "--color"] {
        assert!(
            !own_options.contains(flag),
            "{flag} among the own options:\n{help}"
        );
        assert!(
            help[global..].contains(flag),
            "{flag} not under Global options:\n{help}"
        );
    }
}

#[test]
fn a_removed_pair_is_reported_without_advice_about_keeping_it() {
    let home = TestHome::new();
    home.create("Gone", &[]);
    home.create("Stored", &["--persistent"]);
    let out = home.exec(&["loopback", "remove", "Gone"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.starts_with("Removed loopback pair."),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("--persistent"), "{}", out.stdout);
    let out = home.exec(&["loopback", "remove", "Stored"]);
    assert!(
        out.stdout
            .contains("its entry in the configuration file is deleted too"),
        "{}",
        out.stdout
    );
}

#[test]
fn monitor_json_gives_the_words_in_hex_too() {
    let home = TestHome::new();
    home.create("Edge", &[]);
    let mut child = Command::new(env!("CARGO_BIN_EXE_midi"))
        .args(["endpoint", "monitor", "Edge (B)", "--json", "--count", "1"])
        .env("MIDI_HOME", home.path())
        .env("MIDI_NO_ALSA", "1")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    assert!(common::wait_until(Duration::from_secs(20), || {
        home.list_json()[0]["endpoint_b"]["clients"] == 1
    }));
    let mut a = home.client().open_endpoint("Edge (A)").unwrap();
    a.send(&[0x4090_3C00, 0xC000_0000]).unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(child.wait().unwrap().success());
    let row: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(
        row["words"],
        serde_json::json!([0x4090_3C00u32, 0xC000_0000u32])
    );
    assert_eq!(
        row["words_hex"],
        serde_json::json!(["0x40903C00", "0xC0000000"])
    );
    assert_eq!(row["group"], 1, "1-based, as the help says: {row}");
}
