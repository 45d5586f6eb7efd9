//! Persistent pairs and the configuration file: what survives a
//! restart, the exact layout written, hand-written files and their unknown parts, entries that
//! break a rule, files that are not JSON, and the file modes.

mod common;

use common::TestHome;
use serde_json::{Value, json};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

const GUID: &str = "7af38a08-0f4b-43ad-b218-1757496f0034";
const GUID_KEY: &str = "{7AF38A08-0F4B-43AD-B218-1757496F0034}";
const LOOP_KEY: &str = "{942BF02D-93C0-4EA8-B03E-D51156CA75E1}";

fn read_config(home: &TestHome) -> Value {
    let text = std::fs::read_to_string(home.config_file()).expect("the configuration file exists");
    serde_json::from_str(&text).expect("the configuration file is JSON")
}

/// The loopback transport's `create` section of the file (empty when there is no file).
fn stored_entries(home: &TestHome) -> serde_json::Map<String, Value> {
    if !home.config_file().exists() {
        return serde_json::Map::new();
    }
    read_config(home)["endpointTransportPluginSettings"][LOOP_KEY]["create"]
        .as_object()
        .cloned()
        .unwrap_or_default()
}

fn restart(home: &TestHome) {
    let out = home.exec(&["service", "restart"]);
    assert_eq!(out.code, 0, "restart failed: {}", out.stderr);
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

fn ids(pairs: &[Value]) -> Vec<String> {
    pairs
        .iter()
        .map(|p| p["association_id"].as_str().unwrap().to_string())
        .collect()
}

// ---- What survives a restart ----

#[test]
fn a_persistent_pair_is_back_after_restart_and_a_transient_one_is_not() {
    let home = TestHome::new();
    let kept = home.create(
        "Kept",
        &[
            "-i",
            GUID,
            "-u",
            "abc12345",
            "--description",
            "stays",
            "--persistent",
        ],
    );
    let passing = home.create("Passing", &[]);
    assert_eq!(home.list_json(), vec![kept.clone(), passing]);
    restart(&home);
    let pairs = home.list_json();
    assert_eq!(pairs, vec![kept], "exactly the persistent pair, unchanged");
}

#[test]
fn a_muted_persistent_pair_comes_back_muted() {
    let home = TestHome::new();
    home.create("Quiet", &["-i", GUID, "--persistent"]);
    assert_eq!(home.exec(&["loopback", "mute", "-i", GUID]).code, 0);
    assert_eq!(stored_entries(&home)[GUID_KEY]["muted"], true);
    restart(&home);
    let pairs = home.list_json();
    assert_eq!(pairs.len(), 1);
    assert_eq!(pairs[0]["muted"], true);
    assert_eq!(pairs[0]["persistent"], true);
}

#[test]
fn removing_a_persistent_pair_removes_its_entry() {
    let home = TestHome::new();
    home.create("Gone", &["-i", GUID, "--persistent"]);
    let other = home.create("Other", &["--persistent"]);
    let other_key = format!(
        "{{{}}}",
        other["association_id"].as_str().unwrap().to_uppercase()
    );
    let entries = stored_entries(&home);
    assert!(entries.contains_key(GUID_KEY) && entries.contains_key(&other_key));

    let out = home.exec(&["loopback", "remove", "-i", GUID]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let entries = stored_entries(&home);
    assert!(
        !entries.contains_key(GUID_KEY),
        "entry still stored: {entries:?}"
    );
    assert!(entries.contains_key(&other_key), "the other entry went too");
    restart(&home);
    assert_eq!(
        ids(&home.list_json()),
        vec![other["association_id"].as_str().unwrap()]
    );
}

#[test]
fn update_changes_persistence_both_ways() {
    let home = TestHome::new();
    home.create("Flip", &["-i", GUID, "-u", "flip1"]);
    assert!(!stored_entries(&home).contains_key(GUID_KEY));

    // Transient to persistent: stored at once.
    let out = home.exec(&["loopback", "update", "-i", GUID, "--persistent", "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.json()["persistent"], true);
    let entry = &stored_entries(&home)[GUID_KEY];
    assert_eq!(entry["endpointA"]["name"], "Flip (A)");
    assert_eq!(entry["endpointB"]["uniqueIdentifier"], "flip1");

    // A rename of a persistent pair is stored too.
    let out = home.exec(&["loopback", "update", "-i", GUID, "--root-name", "Flop"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let entry = &stored_entries(&home)[GUID_KEY];
    assert_eq!(entry["endpointA"]["name"], "Flop (A)");
    assert_eq!(entry["endpointB"]["name"], "Flop (B)");
    restart(&home);
    let pairs = home.list_json();
    assert_eq!(pairs.len(), 1);
    assert_eq!(pairs[0]["endpoint_a"]["name"], "Flop (A)");

    // Persistent to transient: the entry goes, the pair stays until the engine stops.
    let out = home.exec(&["loopback", "update", "-i", GUID, "--transient", "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.json()["persistent"], false);
    assert!(!stored_entries(&home).contains_key(GUID_KEY));
    assert_eq!(home.list_json().len(), 1);
    restart(&home);
    assert!(home.list_json().is_empty());
}

#[test]
fn a_refused_update_leaves_the_file_alone() {
    let home = TestHome::new();
    home.create("Mine", &["-i", GUID, "--persistent"]);
    home.create("Theirs", &[]);
    let before = std::fs::read(home.config_file()).unwrap();
    let out = home.exec(&["loopback", "update", "-i", GUID, "--root-name", "theirs"]);
    assert_eq!(out.code, 5, "{}", out.stderr);
    let out = home.exec(&["loopback", "update", "-i", GUID, "--name-a", ""]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert_eq!(std::fs::read(home.config_file()).unwrap(), before);
}

// ---- The layout written ----

#[test]
fn the_file_written_matches_the_spec_layout() {
    let home = TestHome::new();
    home.create(
        "My Loopback",
        &["-i", GUID, "-u", "abc12345", "--persistent"],
    );
    let text = std::fs::read_to_string(home.config_file()).unwrap();
    assert!(text.contains(GUID_KEY), "key upper-case in braces:\n{text}");
    assert!(text.contains(LOOP_KEY), "{text}");
    let expected = json!({
        "header": { "product": "midi", "fileVersion": 1 },
        "endpointTransportPluginSettings": {
            LOOP_KEY: {
                "create": {
                    GUID_KEY: {
                        "endpointA": { "name": "My Loopback (A)", "description": "", "uniqueIdentifier": "abc12345" },
                        "endpointB": { "name": "My Loopback (B)", "description": "", "uniqueIdentifier": "abc12345" },
                        "muted": false
                    }
                }
            }
        }
    });
    assert_eq!(read_config(&home), expected, "file:\n{text}");
}

#[test]
fn a_transient_pair_is_never_written() {
    let home = TestHome::new();
    home.create("Passing", &["-i", GUID]);
    if home.config_file().exists() {
        assert!(stored_entries(&home).is_empty(), "{:?}", read_config(&home));
    }
}

// ---- Hand-written files ----

const HAND_WRITTEN: &str = r#"{
  "_comment": "written by hand; keep this",
  "header": { "product": "midi", "fileVersion": 1, "_comment": "header note" },
  "endpointTransportPluginSettings": {
    "{C95DCD1F-CDE3-4C2D-913C-528CB8A4CBE6}": {
      "_comment": "another transport",
      "create": { "x": { "name": "keep me", "options": [1, 2, 3] } }
    },
    "{942BF02D-93C0-4EA8-B03E-D51156CA75E1}": {
      "_comment": "the loopbacks",
      "create": {
        "_comment": "one pair, written in lower case without braces",
        "7af38a08-0f4b-43ad-b218-1757496f0034": {
          "_comment": "entry note",
          "endpointA": { "name": "Hand (A)", "description": "from the file", "uniqueIdentifier": "hand1" },
          "endpointB": { "name": "Hand (B)", "description": "from the file", "uniqueIdentifier": "hand1" },
          "muted": true
        }
      }
    }
  }
}
"#;

#[test]
fn a_hand_written_file_loads_and_its_unknown_parts_survive_a_rewrite() {
    let home = TestHome::new();
    std::fs::write(home.config_file(), HAND_WRITTEN).unwrap();
    let original: Value = serde_json::from_str(HAND_WRITTEN).unwrap();

    let pairs = home.list_json();
    assert_eq!(pairs.len(), 1, "{pairs:?}");
    let pair = &pairs[0];
    assert_eq!(pair["association_id"], GUID);
    assert_eq!(pair["unique_identifier"], "hand1");
    assert_eq!(pair["persistent"], true);
    assert_eq!(pair["muted"], true);
    assert_eq!(pair["endpoint_a"]["name"], "Hand (A)");
    assert_eq!(pair["endpoint_b"]["description"], "from the file");

    // Make the engine rewrite the file.
    let new = home.create("Fresh", &["--persistent"]);
    let new_key = format!(
        "{{{}}}",
        new["association_id"].as_str().unwrap().to_uppercase()
    );
    let written = read_config(&home);
    let transports = &written["endpointTransportPluginSettings"];
    let loop_section = &transports[LOOP_KEY];
    assert_eq!(written["_comment"], original["_comment"]);
    assert_eq!(written["header"], original["header"]);
    assert_eq!(
        transports["{C95DCD1F-CDE3-4C2D-913C-528CB8A4CBE6}"],
        original["endpointTransportPluginSettings"]["{C95DCD1F-CDE3-4C2D-913C-528CB8A4CBE6}"],
        "another transport's section is kept as it was"
    );
    assert_eq!(loop_section["_comment"], "the loopbacks");
    let create = loop_section["create"].as_object().unwrap();
    assert_eq!(
        create["_comment"],
        "one pair, written in lower case without braces"
    );
    assert_eq!(
        create["7af38a08-0f4b-43ad-b218-1757496f0034"],
        original["endpointTransportPluginSettings"][LOOP_KEY]["create"]["7af38a08-0f4b-43ad-b218-1757496f0034"],
        "the hand-written entry is kept as it was"
    );
    assert_eq!(create[&new_key]["endpointA"]["name"], "Fresh (A)");

    // And it still loads after a restart, with both pairs.
    restart(&home);
    assert_eq!(home.list_json().len(), 2);
}

#[test]
fn a_hand_written_pair_can_be_updated_and_removed() {
    let home = TestHome::new();
    std::fs::write(home.config_file(), HAND_WRITTEN).unwrap();
    let out = home.exec(&["loopback", "update", "-i", GUID, "--root-name", "Renamed"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let text = std::fs::read_to_string(home.config_file()).unwrap();
    assert!(text.contains("Renamed (A)"), "{text}");
    assert!(!text.contains("Hand (A)"), "{text}");
    assert!(
        text.contains("entry note"),
        "unknown keys of the entry are kept:\n{text}"
    );

    let out = home.exec(&["loopback", "remove", "-i", GUID]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let text = std::fs::read_to_string(home.config_file()).unwrap();
    assert!(
        !text.to_lowercase().contains(GUID),
        "entry still there:\n{text}"
    );
    assert!(text.contains("another transport"), "{text}");
}

#[test]
fn entries_that_break_a_rule_are_skipped_and_stay_in_the_file() {
    let home = TestHome::new();
    let text = r#"{
  "header": { "product": "midi", "fileVersion": 1 },
  "endpointTransportPluginSettings": {
    "{942BF02D-93C0-4EA8-B03E-D51156CA75E1}": {
      "create": {
        "{7AF38A08-0F4B-43AD-B218-1757496F0034}": {
          "endpointA": { "name": "Good (A)", "description": "", "uniqueIdentifier": "good1" },
          "endpointB": { "name": "Good (B)", "description": "", "uniqueIdentifier": "good1" },
          "muted": false
        },
        "{11111111-2222-4333-8444-555555555555}": {
          "endpointA": { "name": "Twin", "description": "", "uniqueIdentifier": "twin1" },
          "endpointB": { "name": "TWIN", "description": "", "uniqueIdentifier": "twin1" },
          "muted": false
        },
        "not-a-guid": {
          "endpointA": { "name": "Bad key (A)", "description": "", "uniqueIdentifier": "bad1" },
          "endpointB": { "name": "Bad key (B)", "description": "", "uniqueIdentifier": "bad1" }
        },
        "{22222222-2222-4333-8444-555555555555}": {
          "endpointA": { "name": "Clash (A)", "description": "", "uniqueIdentifier": "GOOD1" },
          "endpointB": { "name": "Clash (B)", "description": "", "uniqueIdentifier": "GOOD1" }
        },
        "{33333333-2222-4333-8444-555555555555}": {
          "endpointA": { "name": "Long (A)", "description": "", "uniqueIdentifier": "long1" },
          "endpointB": { "name": "LONG_NAME_PLACEHOLDER", "description": "", "uniqueIdentifier": "long1" }
        }
      }
    }
  }
}
"#
    .replace("LONG_NAME_PLACEHOLDER", &"n".repeat(99));
    std::fs::write(home.config_file(), &text).unwrap();
    let original: Value = serde_json::from_str(&text).unwrap();
    let original_create = original["endpointTransportPluginSettings"][LOOP_KEY]["create"].clone();

    let pairs = home.list_json();
    assert_eq!(ids(&pairs), vec![GUID], "only the good entry loads");

    // Each skipped entry is reported by its key.
    let log = std::fs::read_to_string(home.path().join("engine.log")).unwrap();
    for key in [
        "{11111111-2222-4333-8444-555555555555}",
        "not-a-guid",
        "{22222222-2222-4333-8444-555555555555}",
        "{33333333-2222-4333-8444-555555555555}",
    ] {
        assert!(log.contains(key), "{key} not reported in the log:\n{log}");
    }

    // A rewrite keeps every skipped entry as it was.
    home.create("Fresh", &["--persistent"]);
    let entries = stored_entries(&home);
    for (key, value) in original_create.as_object().unwrap() {
        assert_eq!(entries.get(key), Some(value), "{key} changed or lost");
    }
    assert_eq!(
        entries.len(),
        original_create.as_object().unwrap().len() + 1
    );
}

// ---- Files that are not JSON ----

const BROKEN: &str = "{\n  \"header\": { \"product\": \"midi\", \"fileVersion\": 1 },\n  \"endpointTransportPluginSettings\": {\n    oops\n  }\n}\n";

/// `line L` and `column C` of serde_json's own error for `text`.
fn error_position(text: &str) -> (String, String) {
    let e = serde_json::from_str::<Value>(text).unwrap_err();
    (
        format!("line {}", e.line()),
        format!("column {}", e.column()),
    )
}

#[test]
fn a_file_that_is_not_json_stops_the_engine_from_starting_and_is_left_unchanged() {
    let home = TestHome::new();
    std::fs::write(home.config_file(), BROKEN).unwrap();
    let (line, column) = error_position(BROKEN);
    let path = home.config_file().display().to_string();

    let out = home.exec(&["service", "start"]);
    assert_ne!(out.code, 0, "the engine must refuse: {}", out.stdout);
    for needle in [&path, &line, &column] {
        assert!(
            out.stderr.contains(needle.as_str()),
            "stderr should name {needle}:\n{}",
            out.stderr
        );
    }
    assert_eq!(home.exec(&["service", "status"]).code, 3, "no engine runs");
    assert!(common::live_engine_pids(home.path()).is_empty());

    // A command that autostarts says the same, and nothing ever rewrites the file.
    let out = home.exec(&["loopback", "create", "-r", "Nope", "--persistent"]);
    assert_ne!(out.code, 0);
    assert!(out.stderr.contains(&path), "{}", out.stderr);
    assert_eq!(
        std::fs::read(home.config_file()).unwrap(),
        BROKEN.as_bytes()
    );

    // The log says it too.
    let log = std::fs::read_to_string(home.path().join("engine.log")).unwrap();
    assert!(
        log.contains(&path) && log.contains(&line) && log.contains(&column),
        "{log}"
    );
}

#[test]
fn the_foreground_engine_refuses_a_file_that_is_not_json() {
    let home = TestHome::new();
    std::fs::write(home.config_file(), BROKEN).unwrap();
    let (line, column) = error_position(BROKEN);
    let out = home.exec(&["service", "run"]);
    assert_ne!(out.code, 0);
    for needle in [home.config_file().display().to_string(), line, column] {
        assert!(out.stderr.contains(&needle), "{needle}:\n{}", out.stderr);
    }
    assert_eq!(
        std::fs::read(home.config_file()).unwrap(),
        BROKEN.as_bytes()
    );
}

#[test]
fn the_refusal_is_one_clear_line_without_internal_names() {
    // The first line a user reads names the file and the position, in plain words: no Rust
    // module path (`midi_loopback::…`) copied from the log.
    let home = TestHome::new();
    std::fs::write(home.config_file(), BROKEN).unwrap();
    let out = home.exec(&["service", "start"]);
    assert_ne!(out.code, 0);
    let first = out.stderr.lines().next().unwrap_or_default();
    assert!(
        !first.contains("midi_loopback::"),
        "internal module path in the message: {first}"
    );
    assert!(
        first.contains(&home.config_file().display().to_string()),
        "{first}"
    );
}

#[test]
fn json_that_is_not_an_object_is_refused_too() {
    let home = TestHome::new();
    std::fs::write(home.config_file(), "[1, 2, 3]\n").unwrap();
    let out = home.exec(&["service", "start"]);
    assert_ne!(out.code, 0);
    assert!(
        out.stderr
            .contains(&home.config_file().display().to_string()),
        "{}",
        out.stderr
    );
    assert_eq!(std::fs::read(home.config_file()).unwrap(), b"[1, 2, 3]\n");
}

#[test]
fn a_file_broken_while_the_engine_runs_is_never_overwritten() {
    let home = TestHome::new();
    home.create("Stored", &["-i", GUID, "--persistent"]);
    std::fs::write(home.config_file(), BROKEN).unwrap();
    let before = home.list_json();

    let out = home.exec(&["loopback", "create", "-r", "Another", "--persistent"]);
    assert_ne!(out.code, 0, "a persistent create cannot be made durable");
    assert!(
        out.stderr
            .contains(&home.config_file().display().to_string()),
        "{}",
        out.stderr
    );
    let out = home.exec(&["loopback", "remove", "-i", GUID]);
    assert_ne!(out.code, 0, "removing the stored entry is impossible");
    let out = home.exec(&["loopback", "update", "-i", GUID, "-r", "Renamed"]);
    assert_ne!(out.code, 0);

    assert_eq!(
        std::fs::read(home.config_file()).unwrap(),
        BROKEN.as_bytes()
    );
    assert_eq!(
        home.list_json(),
        before,
        "nothing changed in the engine either"
    );
    // Transient pairs do not need the file.
    home.create("Passing", &[]);
}

#[test]
fn removing_a_transient_pair_needs_no_file_even_a_broken_one() {
    let home = TestHome::new();
    home.create("Stored", &["-i", GUID, "--persistent"]);
    for broken in [BROKEN, "[1, 2, 3]\n"] {
        std::fs::write(home.config_file(), broken).unwrap();
        let passing = home.create("Passing", &[]);
        let id = passing["association_id"].as_str().unwrap();
        let out = home.exec(&["loopback", "remove", "-i", id]);
        assert_eq!(
            out.code, 0,
            "a transient pair needs no file: {}",
            out.stderr
        );
        assert_eq!(ids(&home.list_json()), vec![GUID]);
        assert_eq!(
            std::fs::read(home.config_file()).unwrap(),
            broken.as_bytes()
        );
        // The stored pair still cannot be removed while its entry cannot be.
        assert_ne!(home.exec(&["loopback", "remove", "-i", GUID]).code, 0);
    }
}

#[test]
fn a_leftover_temporary_file_is_cleared_and_the_real_file_used() {
    let home = TestHome::new();
    std::fs::write(home.config_file(), HAND_WRITTEN).unwrap();
    let temp = home.path().join(".midi.midiconfig.json.tmp");
    std::fs::write(&temp, "{ \"torn\": ").unwrap();
    let pairs = home.list_json();
    assert_eq!(ids(&pairs), vec![GUID]);
    assert!(!temp.exists(), "the torn temporary file is removed");
    assert_eq!(
        std::fs::read_to_string(home.config_file()).unwrap(),
        HAND_WRITTEN
    );
}

// ---- Modes ----

/// A state root that does not exist yet, inside a TestHome; its engine is stopped on drop.
struct FreshRoot {
    path: PathBuf,
    _parent: TestHome,
}

impl FreshRoot {
    fn new() -> FreshRoot {
        let parent = TestHome::new();
        FreshRoot {
            path: parent.path().join("state"),
            _parent: parent,
        }
    }

    fn midi(&self) -> assert_cmd::Command {
        let mut cmd = self._parent.midi();
        cmd.env("MIDI_HOME", &self.path).env("MIDI_NO_ALSA", "1");
        cmd
    }
}

impl Drop for FreshRoot {
    fn drop(&mut self) {
        let _ = self.midi().args(["service", "stop"]).output();
    }
}

#[test]
fn directory_file_and_socket_are_for_the_owner_only() {
    let root = FreshRoot::new();
    let out = root
        .midi()
        .args(["loopback", "create", "-r", "Private", "--persistent"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(mode(&root.path), 0o700, "state directory");
    assert_eq!(
        mode(&root.path.join("midi.midiconfig.json")),
        0o600,
        "configuration file"
    );
    assert_eq!(mode(&root.path.join("engine.sock")), 0o600, "socket");
    assert_eq!(mode(&root.path.join("engine.log")), 0o600, "log");
}

#[test]
fn a_rewritten_file_becomes_owner_only() {
    let home = TestHome::new();
    std::fs::write(home.config_file(), HAND_WRITTEN).unwrap();
    std::fs::set_permissions(home.config_file(), std::fs::Permissions::from_mode(0o644)).unwrap();
    home.create("Fresh", &["--persistent"]);
    assert_eq!(mode(&home.config_file()), 0o600);
    assert_eq!(mode(&home.socket()), 0o600);
    assert_eq!(mode(home.path()), 0o700);
}

#[test]
fn racing_persistent_creates_are_all_stored() {
    let home = TestHome::new();
    let spawned: Vec<_> = (0..6)
        .map(|i| {
            std::process::Command::new(env!("CARGO_BIN_EXE_midi"))
                .env("MIDI_HOME", home.path())
                .env("MIDI_NO_ALSA", "1")
                .env_remove("MIDI_NO_AUTOSTART")
                .args(["loopback", "create", "--persistent", "--root-name"])
                .arg(format!("Stored {i}"))
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in spawned {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(
        stored_entries(&home).len(),
        6,
        "every acknowledged create is in the file"
    );
    restart(&home);
    assert_eq!(home.list_json().len(), 6);
}
