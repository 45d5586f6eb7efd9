//! The configuration file parser on arbitrary text: no panic; a document that parses can
//! be read, edited and written, and what is written parses again and holds the edit.
#![no_main]

use libfuzzer_sys::fuzz_target;
use midi_loopback::core::config::ConfigDocument;
use midi_loopback::core::{NameSpec, PairSpec};
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(mut doc) = ConfigDocument::parse(text, Path::new("fuzz.json")) else {
        return;
    };
    let (pairs, _skipped) = doc.pairs();
    let def = PairSpec {
        names: Some(NameSpec::Root("Fuzz Pair Zz9".into())),
        association_id: Some("0f0e0d0c-0b0a-4908-8706-050403020100".into()),
        unique_identifier: Some("fuzzzz9".into()),
        persistent: true,
        ..Default::default()
    }
    .resolve()
    .unwrap();
    let before = doc.clone();
    let stored = doc.upsert_pair(&def).is_ok();
    if !stored {
        assert!(doc == before, "a refused edit changed the document");
    }
    let written = doc.to_json_string();
    let mut again = ConfigDocument::parse(&written, Path::new("fuzz.json")).expect("reads its own file");
    let clash = pairs.iter().any(|p| def.check_conflicts([p]).is_err());
    if stored && !clash {
        assert!(again.pairs().0.contains(&def));
    }
    let _ = again.remove_pair(def.association_id);
    let _ = ConfigDocument::parse(&again.to_json_string(), Path::new("fuzz.json")).expect("reads");
});
