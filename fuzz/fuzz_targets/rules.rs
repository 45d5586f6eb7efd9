//! The naming rules on arbitrary text: no panic, and what is accepted obeys the rules
//! (trimmed, never truncated, within the limits, free of control characters).
#![no_main]

use libfuzzer_sys::fuzz_target;
use midi_loopback::core::rules;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(name) = rules::validate_endpoint_name("name", &text) {
        assert_eq!(name, text.trim());
        assert!(!name.is_empty() && name.len() <= rules::MAX_NAME_BYTES);
        assert!(!name.chars().any(char::is_control));
    }
    if let Ok((a, b)) = rules::names_from_root(&text) {
        assert!(rules::validate_name_pair(&a, &b).is_ok());
    }
    if let Ok(id) = rules::clean_unique_identifier(&text) {
        assert!(id.as_str().chars().all(|c| c.is_ascii_alphanumeric()));
        assert!((1..=rules::MAX_UNIQUE_ID_CHARS).contains(&id.as_str().len()));
    }
    if let Ok(id) = rules::parse_association_id(&text) {
        assert!(!id.0.is_nil());
        assert_eq!(rules::parse_association_id(&id.config_key()).unwrap(), id);
    }
    let _ = rules::validate_description(&text);
});
