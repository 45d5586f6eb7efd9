//! What `loopback list`, `endpoint list` and `endpoint monitor` look like on screens 80 and
//! 120 columns wide (`COLUMNS`), kept as insta snapshots: no line past the width, the ids
//! give way before the names, names keep their end (`… (A)` / `… (B)`), one long name does
//! not pad every row, and monitor rows continue in their column at a space. Off a terminal
//! without `COLUMNS` nothing is cut.

mod common;

use common::TestHome;
use midi_loopback::face::output::width;
use std::io::BufRead;
use std::process::{Command, Stdio};
use std::time::Duration;

const LONG: &str = "A very long name that would pad every row of the table far to the right";

/// Four pairs with fixed ids: a short root name, a long root name, two side-by-side names
/// (muted), and one very long name.
fn home_with_pairs() -> TestHome {
    let home = TestHome::new();
    home.create(
        "Studio",
        &[
            "-i",
            "7af38a08-0f4b-43ad-b218-1757496f0034",
            "-u",
            "studio1",
        ],
    );
    home.create(
        "Studio Live Rig Main Stage",
        &[
            "-i",
            "1b2c3d4e-0f4b-43ad-b218-1757496f0034",
            "-u",
            "rig2",
            "--persistent",
        ],
    );
    let out = home.exec(&[
        "loopback",
        "create",
        "-a",
        "Synth Out",
        "-b",
        "Synth In",
        "-i",
        "c0ffee00-0f4b-43ad-b218-1757496f0034",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    home.exec(&["loopback", "mute", "Synth In"]).success();
    home.create(
        LONG,
        &["-i", "d00dfeed-0f4b-43ad-b218-1757496f0034", "-u", "long4"],
    );
    home
}

/// `midi ARGS…` with `COLUMNS` set (or unset with `None`), its stdout.
fn at_width(home: &TestHome, columns: Option<usize>, args: &[&str]) -> String {
    let mut cmd = home.midi();
    cmd.args(args);
    match columns {
        Some(c) => cmd.env("COLUMNS", c.to_string()),
        None => cmd.env_remove("COLUMNS"),
    };
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn assert_fits(text: &str, columns: usize) {
    for line in text.lines() {
        assert!(
            width(line) <= columns,
            "past {columns} columns:\n{line}\n\n{text}"
        );
    }
}

#[test]
fn loopback_list_fits_80_and_120_columns() {
    let home = home_with_pairs();
    for columns in [80, 120] {
        let text = at_width(&home, Some(columns), &["loopback", "list"]);
        assert_fits(&text, columns);
        // What tells the rows apart survives: each pair's own names, and the side.
        for end in ["(A)", "(B)", "Synth Out", "Synth In"] {
            assert!(text.contains(end), "{columns}: no {end:?}:\n{text}");
        }
        insta::assert_snapshot!(format!("loopback_list_{columns}"), text);
    }
}

#[test]
fn one_long_name_does_not_pad_every_row_of_a_wide_screen() {
    let home = home_with_pairs();
    let text = at_width(&home, Some(250), &["loopback", "list"]);
    let studio = text.lines().find(|l| l.contains("studio1")).unwrap();
    // The name column is capped: B's name starts at most 40 + 2 columns after A's.
    let gap = studio.find("Studio (B)").unwrap() - studio.find("Studio (A)").unwrap();
    assert!(gap <= 42, "{studio}");
    assert!(text.contains("(A)") && !text.contains(LONG), "{text}");
    // Off a terminal, without COLUMNS, nothing is cut.
    let piped = at_width(&home, None, &["loopback", "list"]);
    assert!(piped.contains(LONG), "{piped}");
    assert!(
        piped.contains("7af38a08-0f4b-43ad-b218-1757496f0034"),
        "{piped}"
    );
}

#[test]
fn endpoint_list_fits_80_and_120_columns() {
    let home = home_with_pairs();
    for columns in [80, 120] {
        let text = at_width(&home, Some(columns), &["endpoint", "list"]);
        assert_fits(&text, columns);
        insta::assert_snapshot!(format!("endpoint_list_{columns}"), text);
    }
}

/// The monitor's stdout for a fixed set of messages, with the times (which vary) masked.
fn monitor_at(home: &TestHome, columns: Option<usize>, messages: &[&[u32]]) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_midi"));
    match columns {
        Some(c) => cmd.env("COLUMNS", c.to_string()),
        None => cmd.env_remove("COLUMNS"),
    };
    let mut child = cmd
        .args(["endpoint", "monitor", "Studio (B)", "--count"])
        .arg(messages.len().to_string())
        .env("MIDI_HOME", home.path())
        .env("MIDI_NO_ALSA", "1")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut reader = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut header = String::new();
    reader.read_line(&mut header).unwrap();
    let attached = common::wait_until(Duration::from_secs(20), || {
        home.list_json()
            .iter()
            .any(|p| p["endpoint_b"]["name"] == "Studio (B)" && p["endpoint_b"]["clients"] == 1)
    });
    assert!(attached, "the monitor never attached");
    let mut a = home.client().open_endpoint("Studio (A)").unwrap();
    for m in messages {
        a.send(m).unwrap();
    }
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut reader, &mut rest).unwrap();
    assert!(child.wait().unwrap().success());
    mask_times(&format!("{header}{rest}"))
}

/// Every time in seconds (`12.345678`, or `12.345` on a narrow screen) becomes `99.999999`
/// (or `99.999`), keeping its width; other numbers stay.
fn mask_times(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let start = i;
        while i < chars.len() && chars[i].is_ascii_digit() {
            i += 1;
        }
        let int_end = i;
        let decimals = (1..=6)
            .take_while(|&k| chars.get(int_end + k).is_some_and(|c| c.is_ascii_digit()))
            .count();
        let is_time = int_end > start
            && chars.get(int_end) == Some(&'.')
            && (decimals == 3 || decimals == 6)
            && !chars
                .get(int_end + decimals + 1)
                .is_some_and(|c| c.is_ascii_digit() || *c == '%');
        if is_time {
            out.extend(std::iter::repeat_n('9', int_end - start));
            out.push('.');
            out.extend(std::iter::repeat_n('9', decimals));
            i = int_end + 1 + decimals;
        } else if int_end > start {
            out.extend(&chars[start..int_end]);
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

const MESSAGES: [&[u32]; 5] = [
    &[0x2090_3C64],                    // MIDI 1.0 note on
    &[0x4090_3C00, 0xC000_0000],       // MIDI 2.0 note on
    &[0x3090_0102, 0x0304_0506],       // SysEx7, reserved status 9
    &[0xF000_0101, 0x0000_001F, 0, 0], // endpoint discovery
    &[0xF006_0200, 0, 0, 0],           // stream configuration notification
];

#[test]
fn monitor_rows_fit_80_and_120_columns() {
    let home = home_with_pairs();
    for columns in [80, 120] {
        let text = monitor_at(&home, Some(columns), &MESSAGES);
        assert_fits(&text, columns);
        // No word is broken across lines: every decoded word appears whole.
        for word in ["Note", "velocity", "Discovery"] {
            assert!(text.contains(word), "{columns}: {word} broken:\n{text}");
        }
        insta::assert_snapshot!(format!("monitor_{columns}"), text);
    }
}

#[test]
fn off_a_terminal_each_message_is_one_line() {
    let home = home_with_pairs();
    let text = monitor_at(&home, None, &MESSAGES);
    assert_eq!(text.lines().count(), 1 + MESSAGES.len(), "{text}");
}
