//! `midi loopback create | list | remove | update | mute | unmute` through the binary: the four
//! create forms the README shows, every rule of `core::rules` with its exit code, and
//! the promise that a refused command creates nothing.

mod common;

use common::{Outcome, TestHome};
use serde_json::Value;

const GUID: &str = "7af38a08-0f4b-43ad-b218-1757496f0034";
const GUID_HEX: &str = "7af38a080f4b43adb2181757496f0034";

/// True for `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` in lower-case hex, without braces.
fn is_lowercase_guid(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_digit() || ('a'..='f').contains(&c),
        })
}

/// The value printed after `label` in the human report of a pair (`  Label  value`).
fn field(out: &str, label: &str) -> String {
    out.lines()
        .map(str::trim_start)
        .find_map(|l| l.strip_prefix(label))
        .unwrap_or_else(|| panic!("no {label:?} line in:\n{out}"))
        .trim()
        .to_string()
}

/// Runs a command that must be refused: checks the exit code, that the first line of stderr
/// names every needle (the value and the rule), that stdout stays empty, and that the pairs
/// are exactly what they were before.
fn refused(home: &TestHome, args: &[&str], code: i32, needles: &[&str]) -> Outcome {
    let before = home.list_json();
    let out = home.exec(args);
    assert_eq!(
        out.code, code,
        "{args:?} should exit {code}\nstdout: {}\nstderr: {}",
        out.stdout, out.stderr
    );
    assert!(
        out.stdout.is_empty(),
        "{args:?} printed on stdout: {}",
        out.stdout
    );
    let first = out.stderr.lines().next().unwrap_or_default();
    for needle in needles {
        assert!(
            first.contains(needle),
            "{args:?}: the first line of stderr should mention {needle:?}:\n{}",
            out.stderr
        );
    }
    assert_eq!(home.list_json(), before, "{args:?} changed the pairs");
    out
}

/// Like [`refused`], for clap's own errors, whose first line does not name every flag.
fn refused_by_clap(home: &TestHome, args: &[&str], needles: &[&str]) {
    let before = home.list_json();
    let out = home.exec(args);
    assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
    for needle in needles {
        assert!(
            out.stderr.contains(needle),
            "{args:?}: stderr should mention {needle:?}:\n{}",
            out.stderr
        );
    }
    assert_eq!(home.list_json(), before, "{args:?} changed the pairs");
}

fn created(home: &TestHome, args: &[&str]) -> Value {
    let mut all = vec!["loopback", "create", "--json"];
    all.extend_from_slice(args);
    let out = home.exec(&all);
    assert_eq!(out.code, 0, "{args:?} failed: {}", out.stderr);
    out.json()
}

fn names(pair: &Value) -> (String, String) {
    (
        pair["endpoint_a"]["name"].as_str().unwrap().to_string(),
        pair["endpoint_b"]["name"].as_str().unwrap().to_string(),
    )
}

// ---- The four create forms the README shows ----

#[test]
fn create_with_root_name_prints_both_names_ids_and_a_fresh_association_id() {
    let home = TestHome::new();
    let out = home.exec(&["loopback", "create", "--root-name", "My Loopback"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let text = &out.stdout;
    assert_eq!(field(text, "Endpoint A"), "My Loopback (A)");
    assert_eq!(field(text, "Endpoint B"), "My Loopback (B)");
    let association = field(text, "Association Id");
    assert!(is_lowercase_guid(&association), "{association}");
    // The default unique identifier is the association id's 32 hex digits.
    let unique = association.replace('-', "");
    assert_eq!(field(text, "Unique Id"), unique);
    assert!(text.contains(&format!("midiu_loop_a_{unique}")), "{text}");
    assert!(text.contains(&format!("midiu_loop_b_{unique}")), "{text}");
    assert!(field(text, "Persistent").starts_with("no"), "{text}");

    let pairs = home.list_json();
    assert_eq!(pairs.len(), 1);
    assert_eq!(pairs[0]["association_id"], association.as_str());
    assert_eq!(
        names(&pairs[0]),
        ("My Loopback (A)".into(), "My Loopback (B)".into())
    );
}

#[test]
fn create_with_two_names() {
    let home = TestHome::new();
    let out = home.exec(&[
        "loopback",
        "create",
        "--name-a",
        "Loopback One",
        "--name-b",
        "Loopback Two",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(field(&out.stdout, "Endpoint A"), "Loopback One");
    assert_eq!(field(&out.stdout, "Endpoint B"), "Loopback Two");
    let unique = field(&out.stdout, "Unique Id");
    assert!(out.stdout.contains(&format!("midiu_loop_a_{unique}")));
    assert!(out.stdout.contains(&format!("midiu_loop_b_{unique}")));
    let pairs = home.list_json();
    assert_eq!(
        names(&pairs[0]),
        ("Loopback One".into(), "Loopback Two".into())
    );
}

#[test]
fn create_with_association_id() {
    let home = TestHome::new();
    let out = home.exec(&[
        "loopback",
        "create",
        "--root-name",
        "My Loopback",
        "--association-id",
        GUID,
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(field(&out.stdout, "Association Id"), GUID);
    assert_eq!(field(&out.stdout, "Unique Id"), GUID_HEX);
    assert!(out.stdout.contains(&format!("midiu_loop_a_{GUID_HEX}")));
    assert!(out.stdout.contains(&format!("midiu_loop_b_{GUID_HEX}")));
    assert_eq!(home.list_json()[0]["association_id"], GUID);
}

#[test]
fn create_with_unique_identifier() {
    let home = TestHome::new();
    let out = home.exec(&[
        "loopback",
        "create",
        "--root-name",
        "My Loopback",
        "--unique-identifier",
        "abc12345",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(field(&out.stdout, "Unique Id"), "abc12345");
    assert!(
        out.stdout.contains("midiu_loop_a_abc12345"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("midiu_loop_b_abc12345"),
        "{}",
        out.stdout
    );
    assert!(is_lowercase_guid(&field(&out.stdout, "Association Id")));
}

#[test]
fn create_short_flags_work_like_the_long_ones() {
    let home = TestHome::new();
    let pair = created(&home, &["-r", "Short", "-i", GUID, "-u", "Short1"]);
    assert_eq!(names(&pair), ("Short (A)".into(), "Short (B)".into()));
    assert_eq!(pair["association_id"], GUID);
    assert_eq!(pair["unique_identifier"], "Short1");
    let pair = created(&home, &["-a", "One", "-b", "Two"]);
    assert_eq!(names(&pair), ("One".into(), "Two".into()));
}

#[test]
fn create_json_has_the_documented_shape() {
    let home = TestHome::new();
    let out = home.exec(&[
        "loopback",
        "create",
        "--root-name",
        "My Loopback",
        "--association-id",
        GUID,
        "--unique-identifier",
        "abc12345",
        "--description",
        "for the synth",
        "--json",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let pair = out.json(); // the whole of stdout is one JSON object
    assert!(pair.is_object());
    assert_eq!(pair["association_id"], GUID);
    assert_eq!(pair["unique_identifier"], "abc12345");
    assert_eq!(pair["persistent"], false);
    assert_eq!(pair["muted"], false);
    for (side, letter) in [("endpoint_a", "a"), ("endpoint_b", "b")] {
        let ep = &pair[side];
        assert_eq!(ep["id"], format!("midiu_loop_{letter}_abc12345"));
        assert_eq!(
            ep["name"],
            format!("My Loopback ({})", letter.to_uppercase())
        );
        assert_eq!(ep["description"], "for the synth");
    }
    let persistent = created(&home, &["-r", "Kept", "--persistent"]);
    assert_eq!(persistent["persistent"], true);
}

#[test]
fn unique_identifier_in_endpoint_ids_is_lowercase() {
    let home = TestHome::new();
    let pair = created(&home, &["-r", "Upper", "-u", "ABCdef12"]);
    assert_eq!(pair["unique_identifier"], "ABCdef12");
    assert_eq!(pair["endpoint_a"]["id"], "midiu_loop_a_abcdef12");
    assert_eq!(pair["endpoint_b"]["id"], "midiu_loop_b_abcdef12");
}

// ---- Names ----

#[test]
fn names_are_trimmed() {
    let home = TestHome::new();
    let pair = created(&home, &["--root-name", "  My Loopback \t"]);
    assert_eq!(
        names(&pair),
        ("My Loopback (A)".into(), "My Loopback (B)".into())
    );
    let pair = created(&home, &["--name-a", "  Left ", "--name-b", " Right  "]);
    assert_eq!(names(&pair), ("Left".into(), "Right".into()));
}

#[test]
fn empty_names_are_refused() {
    let home = TestHome::new();
    refused(
        &home,
        &["loopback", "create", "--root-name", ""],
        2,
        &["root name", "empty"],
    );
    refused(
        &home,
        &["loopback", "create", "--root-name", "   "],
        2,
        &["root name", "empty"],
    );
    refused(
        &home,
        &["loopback", "create", "--name-a", " ", "--name-b", "B"],
        2,
        &["name A", "empty"],
    );
    refused(
        &home,
        &["loopback", "create", "--name-a", "A", "--name-b", ""],
        2,
        &["name B", "empty"],
    );
}

#[test]
fn empty_root_name_message_states_the_root_name_limit() {
    // The root name may be 94 bytes (98 minus " (A)"); a message that offers "1 to 98 bytes"
    // invites a 95-byte name that is then refused.
    let home = TestHome::new();
    let out = refused(
        &home,
        &["loopback", "create", "--root-name", ""],
        2,
        &["root name", "empty"],
    );
    let first = out.stderr.lines().next().unwrap();
    assert!(
        first.contains("94") && !first.contains("98"),
        "the message should give the root-name limit (94 bytes): {first}"
    );
}

#[test]
fn control_characters_are_refused() {
    let home = TestHome::new();
    refused(
        &home,
        &["loopback", "create", "--root-name", "My\tLoopback"],
        2,
        &["root name", "My\\tLoopback", "control character", "U+0009"],
    );
    refused(
        &home,
        &["loopback", "create", "--name-a", "A\u{7}", "--name-b", "B"],
        2,
        &["name A", "control character", "U+0007"],
    );
    refused(
        &home,
        &[
            "loopback",
            "create",
            "--name-a",
            "A",
            "--name-b",
            "B\u{1b}[31m",
        ],
        2,
        &["name B", "control character", "U+001B"],
    );
    refused(
        &home,
        &[
            "loopback", "create", "--name-a", "A\u{7f}x", "--name-b", "B",
        ],
        2,
        &["name A", "control character", "U+007F"],
    );
}

#[test]
fn names_of_98_bytes_pass_and_99_bytes_are_refused() {
    let home = TestHome::new();
    let a98 = "a".repeat(98);
    let pair = created(&home, &["--name-a", &a98, "--name-b", "short"]);
    assert_eq!(pair["endpoint_a"]["name"], a98.as_str());

    let b99 = "b".repeat(99);
    refused(
        &home,
        &["loopback", "create", "--name-a", "other", "--name-b", &b99],
        2,
        &["name B", &b99, "99 bytes", "98"],
    );
}

#[test]
fn name_length_counts_utf8_bytes_not_characters() {
    let home = TestHome::new();
    let e98 = "é".repeat(49); // 49 characters, 98 bytes
    let pair = created(&home, &["--name-a", &e98, "--name-b", "plain"]);
    assert_eq!(pair["endpoint_a"]["name"], e98.as_str());

    let e100 = "é".repeat(50); // 50 characters, 100 bytes
    refused(
        &home,
        &["loopback", "create", "--name-a", &e100, "--name-b", "x"],
        2,
        &["name A", "100 bytes", "98"],
    );
    let note99 = format!("{}x", "♪".repeat(32)); // 33 characters, 97 bytes: fits
    created(&home, &["--name-a", &note99, "--name-b", "y"]);
}

#[test]
fn root_name_limit_is_94_bytes_because_the_suffix_is_appended() {
    let home = TestHome::new();
    let r94 = "r".repeat(94);
    let pair = created(&home, &["--root-name", &r94]);
    assert_eq!(pair["endpoint_a"]["name"], format!("{r94} (A)"));
    assert_eq!(
        pair["endpoint_a"]["name"].as_str().unwrap().len(),
        98,
        "the longest root name makes a 98-byte endpoint name"
    );
    let s95 = "s".repeat(95);
    refused(
        &home,
        &["loopback", "create", "--root-name", &s95],
        2,
        &["root name", &s95, "95 bytes", "94"],
    );
    let e95 = format!("{}x", "é".repeat(47)); // 48 characters, 95 bytes
    refused(
        &home,
        &["loopback", "create", "--root-name", &e95],
        2,
        &["root name", "95 bytes", "94"],
    );
}

#[test]
fn a_and_b_equal_ignoring_case_is_refused() {
    let home = TestHome::new();
    refused(
        &home,
        &["loopback", "create", "--name-a", "Same", "--name-b", "SAME"],
        2,
        &["Same", "same", "ignoring case"],
    );
    // Trimming happens before the comparison.
    refused(
        &home,
        &[
            "loopback", "create", "--name-a", "twin", "--name-b", "  Twin ",
        ],
        2,
        &["twin", "same"],
    );
}

#[test]
fn a_name_used_by_another_pair_is_a_conflict() {
    let home = TestHome::new();
    home.create("Studio", &[]);
    // The same root name, in another case: both endpoint names clash.
    refused(
        &home,
        &["loopback", "create", "--root-name", "STUDIO"],
        5,
        &["STUDIO (A)", "Studio (A)", "already used", "ignoring case"],
    );
    // One name clashing with the other pair's B side is enough.
    refused(
        &home,
        &[
            "loopback",
            "create",
            "--name-a",
            "fresh",
            "--name-b",
            "studio (b)",
        ],
        5,
        &["studio (b)", "Studio (B)", "already used"],
    );
    refused(
        &home,
        &[
            "loopback",
            "create",
            "--name-a",
            " Studio (A) ",
            "--name-b",
            "new",
        ],
        5,
        &["Studio (A)", "already used"],
    );
}

#[test]
fn root_name_conflicts_with_individual_names() {
    let home = TestHome::new();
    refused_by_clap(
        &home,
        &[
            "loopback",
            "create",
            "--root-name",
            "R",
            "--name-a",
            "A",
            "--name-b",
            "B",
        ],
        &["--root-name", "cannot be used with", "--name-a"],
    );
    refused_by_clap(
        &home,
        &["loopback", "create", "--root-name", "R", "--name-b", "B"],
        &["--root-name", "cannot be used with", "--name-b"],
    );
}

#[test]
fn name_a_and_name_b_are_required_together() {
    let home = TestHome::new();
    refused_by_clap(
        &home,
        &["loopback", "create", "--name-a", "Only A"],
        &["--name-b"],
    );
    refused_by_clap(
        &home,
        &["loopback", "create", "--name-b", "Only B"],
        &["--name-a"],
    );
}

#[test]
fn create_without_names_off_a_terminal_says_which_flags_to_pass() {
    let home = TestHome::new();
    for args in [
        &["loopback", "create"][..],
        &["loopback", "create", "--json"],
        &["loopback", "create", "--persistent", "-u", "abc"],
    ] {
        refused(&home, args, 2, &["--root-name", "--name-a", "--name-b"]);
    }
}

// ---- Association ids ----

#[test]
fn association_id_accepts_braces_upper_case_and_no_hyphens() {
    let home = TestHome::new();
    let braces_upper = format!("{{{}}}", GUID.to_uppercase());
    let pair = created(&home, &["-r", "One", "--association-id", &braces_upper]);
    assert_eq!(
        pair["association_id"], GUID,
        "printed lower-case, no braces"
    );

    let plain = "11111111222243338444555555555555";
    let pair = created(&home, &["-r", "Two", "--association-id", plain]);
    assert_eq!(
        pair["association_id"],
        "11111111-2222-4333-8444-555555555555"
    );

    let braces_plain = "{ABCDEFABCDEF4ABC8DEF0123456789AB}";
    let pair = created(&home, &["-r", "Three", "--association-id", braces_plain]);
    assert_eq!(
        pair["association_id"],
        "abcdefab-cdef-4abc-8def-0123456789ab"
    );

    // Human output prints it the same way.
    let out = home.exec(&[
        "loopback",
        "create",
        "-r",
        "Four",
        "-i",
        "{2222AAAA-2222-4333-8444-555555555555}",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        field(&out.stdout, "Association Id"),
        "2222aaaa-2222-4333-8444-555555555555"
    );
}

#[test]
fn nil_association_id_is_refused() {
    let home = TestHome::new();
    for nil in [
        "00000000-0000-0000-0000-000000000000",
        "{00000000-0000-0000-0000-000000000000}",
        "00000000000000000000000000000000",
    ] {
        refused(
            &home,
            &["loopback", "create", "-r", "Nil", "--association-id", nil],
            2,
            &[nil, "nil GUID"],
        );
    }
}

#[test]
fn malformed_association_ids_are_refused() {
    let home = TestHome::new();
    for bad in [
        "not-a-guid",
        "7af38a08-0f4b-43ad-b218-1757496f003", // one digit short
        "7af38a08-0f4b-43ad-b218-1757496f00345", // one digit long
        "7af38a08-0f4b-43ad-b218-1757496f003g", // not hex
        "{7af38a08-0f4b-43ad-b218-1757496f0034", // unbalanced brace
        "urn:uuid:7af38a08-0f4b-43ad-b218-1757496f0034",
        "12345",
    ] {
        refused(
            &home,
            &["loopback", "create", "-r", "Bad", "--association-id", bad],
            2,
            &[bad, "not a GUID"],
        );
    }
}

#[test]
fn duplicate_association_id_is_a_conflict_whatever_its_form() {
    let home = TestHome::new();
    created(&home, &["-r", "First", "-i", GUID]);
    refused(
        &home,
        &["loopback", "create", "-r", "Second", "-i", GUID],
        5,
        &[GUID, "already used"],
    );
    let other_form = format!("{{{}}}", GUID_HEX.to_uppercase());
    refused(
        &home,
        &["loopback", "create", "-r", "Third", "-i", &other_form],
        5,
        &[GUID, "already used"],
    );
}

// ---- Unique identifiers ----

#[test]
fn unique_identifier_is_stripped_to_letters_and_digits() {
    let home = TestHome::new();
    let pair = created(
        &home,
        &["-r", "Strip", "--unique-identifier", "abc-123_45!"],
    );
    assert_eq!(pair["unique_identifier"], "abc12345");
    assert_eq!(pair["endpoint_a"]["id"], "midiu_loop_a_abc12345");
    assert_eq!(pair["endpoint_b"]["id"], "midiu_loop_b_abc12345");
    // Non-ASCII letters are not ASCII letters: stripped too.
    let pair = created(&home, &["-r", "Umlaut", "--unique-identifier", "Grün 7"]);
    assert_eq!(pair["unique_identifier"], "Grn7");
}

#[test]
fn unique_identifier_of_symbols_only_is_refused() {
    let home = TestHome::new();
    refused(
        &home,
        &[
            "loopback",
            "create",
            "-r",
            "Sym",
            "--unique-identifier=-_-!",
        ],
        2,
        &["unique identifier", "-_-!", "no ASCII letters or digits"],
    );
    refused(
        &home,
        &[
            "loopback",
            "create",
            "-r",
            "Sym",
            "--unique-identifier",
            "éü .",
        ],
        2,
        &["unique identifier", "éü ."],
    );
}

#[test]
fn unique_identifier_of_32_passes_and_33_after_stripping_is_refused() {
    let home = TestHome::new();
    let u32 = "u".repeat(32);
    let pair = created(&home, &["-r", "Long", "-u", &u32]);
    assert_eq!(pair["unique_identifier"], u32.as_str());
    // 66 characters typed, 33 left after stripping: the count after stripping decides.
    let typed = "v-".repeat(33);
    refused(
        &home,
        &["loopback", "create", "-r", "Longer", "-u", &typed],
        2,
        &["unique identifier", &typed, "33 characters", "32"],
    );
    let w33 = "w".repeat(33);
    refused(
        &home,
        &["loopback", "create", "-r", "Longer", "-u", &w33],
        2,
        &["unique identifier", &w33, "33", "32"],
    );
}

#[test]
fn duplicate_unique_identifier_ignoring_case_is_a_conflict() {
    let home = TestHome::new();
    created(&home, &["-r", "First", "-u", "abc12345"]);
    refused(
        &home,
        &["loopback", "create", "-r", "Second", "-u", "ABC12345"],
        5,
        &["ABC12345", "already used", "ignoring case"],
    );
    // Equal after stripping is equal.
    refused(
        &home,
        &["loopback", "create", "-r", "Third", "-u", "abc-123-45"],
        5,
        &["abc12345", "already used"],
    );
}

// ---- Description ----

#[test]
fn description_over_500_characters_is_refused() {
    let home = TestHome::new();
    let d500 = "é".repeat(500); // 500 characters, 1000 bytes: characters count
    let pair = created(&home, &["-r", "Described", "--description", &d500]);
    assert_eq!(pair["endpoint_a"]["description"], d500.as_str());
    assert_eq!(pair["endpoint_b"]["description"], d500.as_str());
    let d501 = "d".repeat(501);
    refused(
        &home,
        &[
            "loopback",
            "create",
            "-r",
            "Too long",
            "--description",
            &d501,
        ],
        2,
        &["description", "501 characters", "500"],
    );
}

// ---- list ----

#[test]
fn list_with_no_pairs() {
    let home = TestHome::new();
    let out = home.exec(&["loopback", "list"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("No loopback pairs"), "{}", out.stdout);
    assert!(out.stdout.contains("--root-name"), "says how to make one");
    let out = home.exec(&["loopback", "list", "--json"]);
    assert_eq!(out.code, 0);
    assert_eq!(out.json(), Value::Array(vec![]));
}

#[test]
fn list_table_shows_every_pair() {
    let home = TestHome::new();
    created(&home, &["-r", "My Loopback", "-i", GUID, "-u", "abc12345"]);
    let muted = created(&home, &["-a", "Left", "-b", "Right", "--persistent"]);
    let muted_id = muted["association_id"].as_str().unwrap();
    assert_eq!(home.exec(&["loopback", "mute", "-i", muted_id]).code, 0);

    let out = home.exec(&["loopback", "list"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(
        lines.len(),
        3,
        "a header and one row per pair:\n{}",
        out.stdout
    );
    for column in ["ASSOCIATION ID", "ENDPOINT A", "ENDPOINT B", "UNIQUE ID"] {
        assert!(lines[0].contains(column), "{}", lines[0]);
    }
    let row = lines.iter().find(|l| l.contains(GUID)).expect("first pair");
    for cell in [
        "My Loopback (A)",
        "My Loopback (B)",
        "abc12345",
        "transient",
        "0/0",
    ] {
        assert!(row.contains(cell), "{cell:?} missing in {row}");
    }
    assert!(!row.contains("muted"), "{row}");
    let row = lines
        .iter()
        .find(|l| l.contains(muted_id))
        .expect("second pair");
    for cell in ["Left", "Right", "persistent", "muted", "0/0"] {
        assert!(row.contains(cell), "{cell:?} missing in {row}");
    }
}

#[test]
fn list_json_is_an_array_shaped_like_create_json() {
    let home = TestHome::new();
    let one = created(&home, &["-r", "One", "-u", "one1"]);
    let two = created(&home, &["-a", "Two A", "-b", "Two B", "--persistent"]);
    let pairs = home.list_json();
    assert_eq!(pairs, vec![one, two], "in creation order, same shape");
    for p in &pairs {
        for key in ["association_id", "unique_identifier", "persistent", "muted"] {
            assert!(p.get(key).is_some(), "{key} missing in {p}");
        }
        for side in ["endpoint_a", "endpoint_b"] {
            for key in ["id", "name", "description"] {
                assert!(p[side].get(key).is_some(), "{side}.{key} missing in {p}");
            }
            assert_eq!(p[side]["clients"], 0);
        }
    }
}

#[test]
fn ls_is_an_alias_of_list() {
    let home = TestHome::new();
    created(&home, &["-r", "Alias"]);
    let out = home.exec(&["loopback", "ls", "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.json().as_array().unwrap().len(), 1);
}

// ---- remove ----

#[test]
fn remove_takes_the_pair_away() {
    let home = TestHome::new();
    created(&home, &["-r", "Gone", "-i", GUID]);
    let keep = created(&home, &["-r", "Kept"]);
    let out = home.exec(&["loopback", "remove", "--association-id", GUID]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("Gone (A)"), "{}", out.stdout);
    assert_eq!(home.list_json(), vec![keep]);
    // A second time there is nothing to remove.
    refused(
        &home,
        &["loopback", "remove", "-i", GUID],
        4,
        &[GUID, "no pair"],
    );
}

#[test]
fn remove_json_prints_the_removed_pair() {
    let home = TestHome::new();
    let pair = created(&home, &["-r", "Gone", "-i", GUID]);
    let out = home.exec(&["loopback", "remove", "-i", GUID, "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let removed = out.json();
    assert_eq!(removed["association_id"], GUID);
    assert_eq!(removed["endpoint_a"], pair["endpoint_a"]);
    assert!(home.list_json().is_empty());
}

#[test]
fn delete_is_an_alias_and_any_guid_form_is_accepted() {
    let home = TestHome::new();
    created(&home, &["-r", "Gone", "-i", GUID]);
    let braces = format!("{{{}}}", GUID.to_uppercase());
    let out = home.exec(&["loopback", "delete", "-i", &braces]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(home.list_json().is_empty());
}

#[test]
fn remove_unknown_id_is_not_found() {
    let home = TestHome::new();
    created(&home, &["-r", "Stays"]);
    refused(
        &home,
        &["loopback", "remove", "-i", GUID],
        4,
        &[GUID, "no pair"],
    );
}

#[test]
fn remove_malformed_id_is_a_usage_error() {
    let home = TestHome::new();
    created(&home, &["-r", "Stays"]);
    refused(
        &home,
        &["loopback", "remove", "-i", "not-a-guid"],
        2,
        &["not-a-guid", "not a GUID"],
    );
    refused(
        &home,
        &[
            "loopback",
            "remove",
            "-i",
            "00000000-0000-0000-0000-000000000000",
        ],
        2,
        &["nil GUID"],
    );
    refused_by_clap(&home, &["loopback", "remove"], &["--association-id"]);
}

// ---- update ----

#[test]
fn update_renames_with_a_root_name() {
    let home = TestHome::new();
    created(&home, &["-r", "Old", "-i", GUID, "-u", "keep1"]);
    let out = home.exec(&[
        "loopback",
        "update",
        "-i",
        GUID,
        "--root-name",
        " Studio ",
        "--json",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let pair = out.json();
    assert_eq!(names(&pair), ("Studio (A)".into(), "Studio (B)".into()));
    // Renaming keeps the identity: same association id, unique id and endpoint ids.
    assert_eq!(pair["association_id"], GUID);
    assert_eq!(pair["unique_identifier"], "keep1");
    assert_eq!(pair["endpoint_a"]["id"], "midiu_loop_a_keep1");
    assert_eq!(home.list_json(), vec![pair]);
}

#[test]
fn update_renames_each_side() {
    let home = TestHome::new();
    created(&home, &["-r", "Old", "-i", GUID]);
    let out = home.exec(&[
        "loopback",
        "update",
        "-i",
        GUID,
        "--name-a",
        "Synth Out",
        "--name-b",
        "Synth In",
        "--json",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(names(&out.json()), ("Synth Out".into(), "Synth In".into()));
    // One side alone keeps the other.
    let out = home.exec(&[
        "loopback", "update", "-i", GUID, "--name-b", "Keys", "--json",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(names(&out.json()), ("Synth Out".into(), "Keys".into()));
    // Changing only the case of its own name is not a clash with itself.
    let out = home.exec(&[
        "loopback",
        "update",
        "-i",
        GUID,
        "--name-a",
        "SYNTH OUT",
        "--json",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.json()["endpoint_a"]["name"], "SYNTH OUT");
    // Human output names the new names.
    let out = home.exec(&["loopback", "update", "-i", GUID, "-r", "Final"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(field(&out.stdout, "Endpoint A"), "Final (A)");
}

#[test]
fn update_changes_the_description() {
    let home = TestHome::new();
    created(&home, &["-r", "Desc", "-i", GUID]);
    let out = home.exec(&[
        "loopback",
        "update",
        "-i",
        GUID,
        "--description",
        "new words",
        "--json",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let pair = out.json();
    assert_eq!(pair["endpoint_a"]["description"], "new words");
    assert_eq!(pair["endpoint_b"]["description"], "new words");
}

#[test]
fn update_applies_the_create_rules() {
    let home = TestHome::new();
    created(&home, &["-r", "Mine", "-i", GUID]);
    created(&home, &["-r", "Theirs"]);
    let s95 = "s".repeat(95);
    refused(
        &home,
        &["loopback", "update", "-i", GUID, "--root-name", &s95],
        2,
        &["root name", "95 bytes", "94"],
    );
    refused(
        &home,
        &["loopback", "update", "-i", GUID, "--root-name", " "],
        2,
        &["root name", "empty"],
    );
    refused(
        &home,
        &["loopback", "update", "-i", GUID, "--name-a", "x\ty"],
        2,
        &["name A", "control character"],
    );
    // The new A equals the current B.
    refused(
        &home,
        &["loopback", "update", "-i", GUID, "--name-a", "mine (b)"],
        2,
        &["mine (b)", "same"],
    );
    refused(
        &home,
        &["loopback", "update", "-i", GUID, "--name-b", "THEIRS (A)"],
        5,
        &["THEIRS (A)", "Theirs (A)", "already used"],
    );
    refused(
        &home,
        &[
            "loopback",
            "update",
            "-i",
            GUID,
            "--description",
            &"d".repeat(501),
        ],
        2,
        &["description", "501", "500"],
    );
    refused_by_clap(
        &home,
        &[
            "loopback",
            "update",
            "-i",
            GUID,
            "--root-name",
            "R",
            "--name-a",
            "A",
        ],
        &["--root-name", "cannot be used with"],
    );
    refused_by_clap(
        &home,
        &[
            "loopback",
            "update",
            "-i",
            GUID,
            "--persistent",
            "--transient",
        ],
        &["--persistent", "--transient"],
    );
}

#[test]
fn update_of_unknown_or_malformed_id() {
    let home = TestHome::new();
    created(&home, &["-r", "Stays"]);
    refused(
        &home,
        &["loopback", "update", "-i", GUID, "--root-name", "New"],
        4,
        &[GUID, "no pair"],
    );
    refused(
        &home,
        &["loopback", "update", "-i", "xyz", "--root-name", "New"],
        2,
        &["xyz", "not a GUID"],
    );
}

#[test]
fn update_with_nothing_to_change_is_a_usage_error() {
    let home = TestHome::new();
    created(&home, &["-r", "Same", "-i", GUID]);
    refused(
        &home,
        &["loopback", "update", "-i", GUID],
        2,
        &["nothing to update", "--root-name", "--persistent"],
    );
}

// ---- mute / unmute ----

#[test]
fn mute_and_unmute_set_the_flag() {
    let home = TestHome::new();
    created(&home, &["-r", "Quiet", "-i", GUID]);
    let out = home.exec(&["loopback", "mute", "-i", GUID, "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.json()["muted"], true);
    assert_eq!(home.list_json()[0]["muted"], true);
    // Muting twice is fine.
    let out = home.exec(&["loopback", "mute", "-i", GUID, "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.json()["muted"], true);

    let out = home.exec(&["loopback", "unmute", "-i", &GUID.to_uppercase(), "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.json()["muted"], false);
    assert_eq!(home.list_json()[0]["muted"], false);

    // The human report says so too.
    let out = home.exec(&["loopback", "mute", "-i", GUID]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.to_lowercase().contains("muted"),
        "{}",
        out.stdout
    );
    assert_eq!(field(&out.stdout, "Muted"), "yes");
}

#[test]
fn mute_of_unknown_or_malformed_id() {
    let home = TestHome::new();
    created(&home, &["-r", "Quiet"]);
    for verb in ["mute", "unmute"] {
        refused(
            &home,
            &["loopback", verb, "-i", GUID],
            4,
            &[GUID, "no pair"],
        );
        refused(
            &home,
            &["loopback", verb, "-i", "nope"],
            2,
            &["nope", "not a GUID"],
        );
    }
}

#[test]
fn description_with_control_characters_is_refused() {
    let home = TestHome::new();
    refused(
        &home,
        &[
            "loopback",
            "create",
            "-r",
            "Desc",
            "--description",
            "two\nlines",
        ],
        2,
        &["description", "control character", "U+000A"],
    );
}

#[test]
fn human_create_report_says_whether_the_pair_is_persistent() {
    let home = TestHome::new();
    let out = home.exec(&["loopback", "create", "-r", "Kept", "--persistent"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        field(&out.stdout, "Persistent").starts_with("yes"),
        "{}",
        out.stdout
    );
    assert_eq!(field(&out.stdout, "Muted"), "no");
    // It tells how to remove the pair again, by its association id.
    let association = field(&out.stdout, "Association Id");
    assert!(out.stdout.contains(&format!(
        "midi loopback remove --association-id {association}"
    )));
}

// ---- naming a pair: PAIR beside -i ----

#[test]
fn remove_update_mute_and_unmute_take_any_name_of_the_pair() {
    let home = TestHome::new();
    let pair = created(&home, &["-r", "My Loopback", "-i", GUID, "-u", "mine1"]);
    created(&home, &["-a", "Synth Out", "-b", "Synth In"]);
    // By root name, ignoring case.
    let out = home.exec(&["loopback", "mute", "my loopback", "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.json()["muted"], true);
    // By either endpoint's name.
    let out = home.exec(&["loopback", "unmute", "MY LOOPBACK (B)", "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.json()["muted"], false);
    // By an endpoint id, and by the association id given as PAIR.
    let out = home.exec(&[
        "loopback",
        "update",
        "midiu_loop_a_mine1",
        "--root-name",
        "Studio",
        "--json",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        names(&out.json()),
        ("Studio (A)".into(), "Studio (B)".into())
    );
    let braces = format!("{{{}}}", GUID.to_uppercase());
    let out = home.exec(&["loopback", "mute", &braces, "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    // A pair named side by side answers to either name.
    let out = home.exec(&["loopback", "remove", "synth in", "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.json()["endpoint_a"]["name"], "Synth Out");
    let out = home.exec(&["loopback", "delete", "studio"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("Studio (A)"), "{}", out.stdout);
    assert!(home.list_json().is_empty());
    let _ = pair;
}

#[test]
fn a_name_no_pair_has_is_not_found_with_a_suggestion() {
    let home = TestHome::new();
    created(&home, &["-r", "My Loopback"]);
    let out = refused(
        &home,
        &["loopback", "remove", "My Loop"],
        4,
        &["\"My Loop\"", "no pair"],
    );
    assert!(
        out.stderr.contains("hint: did you mean \"My Loopback\"?"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_name_two_pairs_answer_to_is_refused_with_both_listed() {
    let home = TestHome::new();
    // "Studio" is the root name of one pair and an endpoint's name in the other.
    let rooted = created(&home, &["-r", "Studio"]);
    let named = created(&home, &["-a", "studio", "-b", "Desk"]);
    let out = refused(
        &home,
        &["loopback", "mute", "STUDIO"],
        2,
        &["names 2 pairs"],
    );
    for pair in [&rooted, &named] {
        let id = pair["association_id"].as_str().unwrap();
        assert!(out.stderr.contains(id), "{id} not among:\n{}", out.stderr);
    }
    assert!(out.stderr.contains("hint:"), "{}", out.stderr);
}

#[test]
fn pair_and_association_id_are_one_or_the_other() {
    let home = TestHome::new();
    created(&home, &["-r", "Only", "-i", GUID]);
    refused_by_clap(
        &home,
        &["loopback", "remove", "Only", "-i", GUID],
        &["cannot be used with"],
    );
    refused_by_clap(
        &home,
        &["loopback", "unmute"],
        &["PAIR", "--association-id"],
    );
    // -i still takes only a GUID, and says how to name a pair instead.
    let out = refused(
        &home,
        &["loopback", "remove", "-i", "Only (A)"],
        2,
        &["not a GUID"],
    );
    assert!(
        out.stderr.contains("midi loopback remove \"Only (A)\""),
        "{}",
        out.stderr
    );
}
