//! `docs/TRANSLATION.md` is what the translation tables in `src/core/ump/midi1.rs` generate.
//! When a rule changes, this test fails until the file is regenerated:
//!
//! ```text
//! MIDI_UPDATE_GENERATED=1 cargo test --test translation_doc
//! ```

use midi_loopback::core::ump::midi1::{MAX_SYSEX_BYTES, translation_markdown};
use std::path::Path;

fn updating() -> bool {
    std::env::var_os("MIDI_UPDATE_GENERATED").is_some_and(|v| v == "1")
}

#[test]
fn the_translation_document_in_the_repository_is_current() {
    let want = translation_markdown();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/TRANSLATION.md");
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    if have != want && updating() {
        std::fs::write(&path, &want).unwrap();
        return;
    }
    assert!(
        have == want,
        "docs/TRANSLATION.md is stale; regenerate with MIDI_UPDATE_GENERATED=1 cargo test --test translation_doc"
    );
}

#[test]
fn the_document_shows_every_status_and_type_and_the_rules_people_look_up() {
    let doc = translation_markdown();
    for shown in [
        "| `9n` | Note On | 2 | type 2 |",
        "| `F0` | System Exclusive | any, to `F7` | type 3 |",
        "| `F8` | Timing Clock | 0 | type 1 | bytes unchanged; real time |",
        "| `F4` | (undefined) | 0 | none |",
        "| `2` | Registered Controller (RPN) | CC 101, CC 100, CC 6, CC 38 |",
        "| `3` | Assignable Controller (NRPN) | CC 99, CC 98, CC 6, CC 38 |",
        "a velocity that scales to 0 is sent as 1",
        "(`>> 25`)",
        "(`>> 18`)",
        "| `D` | Flex Data | group 1 only | not sent; counted (no MIDI 1.0 form) |",
        "| `F` | UMP Stream | no group |",
        "`sysex_too_long`",
    ] {
        assert!(doc.contains(shown), "no {shown:?} in:\n{doc}");
    }
    assert!(doc.contains(&MAX_SYSEX_BYTES.to_string()));
    // One row per MIDI 1.0 status, per MIDI 2.0 status and per UMP type.
    assert_eq!(doc.matches("\n| `").count(), 23 + 16 + 16 + 5);
}
