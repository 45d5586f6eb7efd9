//! Property tests of the rules every face and the engine apply (`core::rules`, `core::model`):
//! names are trimmed, never truncated, at most 98 bytes, free of control characters
//! (bidirectional controls included) and hold something visible; names clash ignoring case,
//! and also when they differ only in invisible characters, width or lookalike letters;
//! what is printed escapes every character that would not show as itself;
//! unique identifiers are stripped to ASCII letters and digits;
//! GUIDs are accepted in every documented form and nothing else; whatever a spec resolves to,
//! the engine's own check accepts.
//!
//! `PROPTEST_CASES=N` runs more cases (docs/RELIABILITY.md records a long run).

use midi_loopback::core::ids::{EndpointId, Side};
use midi_loopback::core::model::{ConflictError, ConflictIndex};
use midi_loopback::core::rules::{self, MAX_DESCRIPTION_CHARS, MAX_NAME_BYTES, RuleError};
use midi_loopback::core::{AssociationId, NameSpec, PairSpec, PairUpdate};
mod common;

use common::proptest_config as config;
use proptest::prelude::*;

/// Any text, biased towards the edges: white space around, control characters, multi-byte
/// characters, lengths around the limits.
fn raw_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[ \t\n\r]{0,3}[a-zA-Z0-9 ()é€𝄞\u{7f}\u{0}\u{1b}\u{85}\u{a0}]{0,120}[ \t\n\r]{0,3}",
        "[ ]{0,2}[a-z\u{200b}\u{200d}\u{feff}\u{ad}\u{3164}\u{202e}\u{2066}\u{200f}\u{2028} ]{0,8}[ ]{0,2}",
        "[ ]{0,2}[a-z]{90,100}[ ]{0,2}",
        "[é€]{30,52}",
    ]
}

/// A name the rules accept.
fn valid_name() -> impl Strategy<Value = String> {
    "[\\PC&&[^\\s]][\\PC]{0,20}[\\PC&&[^\\s]]".prop_filter("a valid name", |s| {
        rules::validate_endpoint_name("name A", s).as_deref() == Ok(s.as_str())
    })
}

/// Characters that show nothing: zero-width space, joiners, word joiner, byte-order mark,
/// soft hyphen.
const INVISIBLE: [char; 6] = [
    '\u{200B}', '\u{200C}', '\u{200D}', '\u{2060}', '\u{FEFF}', '\u{AD}',
];

/// A Latin letter's Cyrillic twin, where it has one.
fn cyrillic_twin(c: char) -> Option<char> {
    let pairs = [
        ('a', 'а'),
        ('c', 'с'),
        ('e', 'е'),
        ('o', 'о'),
        ('p', 'р'),
        ('x', 'х'),
        ('y', 'у'),
        ('A', 'А'),
        ('B', 'В'),
        ('C', 'С'),
        ('E', 'Е'),
        ('H', 'Н'),
        ('K', 'К'),
        ('M', 'М'),
        ('O', 'О'),
        ('P', 'Р'),
        ('T', 'Т'),
        ('X', 'Х'),
    ];
    pairs
        .iter()
        .find(|(latin, _)| *latin == c)
        .map(|(_, twin)| *twin)
}

/// `name` disguised: invisible characters slipped in, letters swapped for lookalikes or for
/// their full-width forms, as `mask` picks.
fn disguise(name: &str, mask: u64) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        let bits = mask.rotate_right((i * 3 % 64) as u32) & 0b111;
        match bits {
            1 => {
                out.push(INVISIBLE[i % INVISIBLE.len()]);
                out.push(c);
            }
            2 => out.push(cyrillic_twin(c).unwrap_or(c)),
            3 if c.is_ascii_graphic() => {
                out.push(char::from_u32(c as u32 - 0x21 + 0xFF01).unwrap())
            }
            _ => out.push(c),
        }
    }
    out
}

fn flip_ascii_case(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_lowercase() {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect()
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn an_endpoint_name_is_accepted_exactly_when_the_rules_allow_it(raw in raw_text()) {
        let trimmed = raw.trim();
        let control = trimmed.chars().find(|c| rules::is_refused_control(*c));
        let visible = trimmed.chars().any(|c| !rules::is_default_ignorable(c) && !c.is_whitespace());
        match rules::validate_endpoint_name("name A", &raw) {
            Ok(name) => {
                // Trimmed, never truncated or otherwise changed.
                prop_assert_eq!(&name, trimmed);
                prop_assert!(!name.is_empty());
                prop_assert!(name.len() <= MAX_NAME_BYTES);
                prop_assert!(control.is_none());
                prop_assert!(visible);
            }
            Err(RuleError::EmptyName { .. }) => prop_assert!(trimmed.is_empty()),
            Err(RuleError::ControlCharacter { code, value, .. }) => {
                prop_assert_eq!(Some(code), control.map(|c| c as u32));
                prop_assert_eq!(value, trimmed);
            }
            Err(RuleError::InvisibleName { value, code, .. }) => {
                prop_assert!(control.is_none() && !visible && !trimmed.is_empty());
                prop_assert_eq!(value, trimmed);
                prop_assert!(rules::is_default_ignorable(char::from_u32(code).unwrap()));
            }
            Err(RuleError::NameTooLong { bytes, limit, .. }) => {
                prop_assert!(control.is_none() && visible);
                prop_assert_eq!(bytes, trimmed.len());
                prop_assert_eq!(limit, MAX_NAME_BYTES);
                prop_assert!(bytes > MAX_NAME_BYTES);
            }
            Err(other) => prop_assert!(false, "unexpected {other:?}"),
        }
    }

    #[test]
    fn a_root_name_gives_two_valid_names_or_a_reason(raw in raw_text()) {
        let root = raw.trim();
        match rules::names_from_root(&raw) {
            Ok((a, b)) => {
                prop_assert_eq!(&a, &format!("{root} (A)"));
                prop_assert_eq!(&b, &format!("{root} (B)"));
                // What a root name gives always passes the pair rules unchanged.
                let (va, vb) = rules::validate_name_pair(&a, &b).expect("root names are valid");
                prop_assert_eq!((va, vb), (a, b));
            }
            Err(_) => prop_assert!(
                root.is_empty()
                    || root.chars().any(rules::is_refused_control)
                    || root.chars().all(|c| rules::is_default_ignorable(c) || c.is_whitespace())
                    || root.len() + " (A)".len() > MAX_NAME_BYTES
            ),
        }
    }

    #[test]
    fn invisible_characters_width_and_lookalike_letters_make_no_new_name(
        name in valid_name(),
        mask in any::<u64>(),
    ) {
        let disguised = disguise(&name, mask);
        prop_assert!(rules::names_clash(&name, &disguised), "{:?} and {:?}", name, disguised);
        prop_assert!(rules::names_clash(&disguised, &name));
        let (mine, theirs) = (rules::name_skeletons(&name), rules::name_skeletons(&disguised));
        prop_assert!(mine[0] == theirs[0] || mine[1] == theirs[1]);
        prop_assert!(rules::validate_name_pair(&name, &disguised).is_err());
        // Nor can another pair take it: the engine's check and the file's index both refuse.
        let mine = PairSpec { names: Some(NameSpec::Each { a: name.clone(), b: "Other one".into() }), ..Default::default() };
        let theirs = PairSpec { names: Some(NameSpec::Each { a: "Third one".into(), b: disguised.clone() }), ..Default::default() };
        if let (Ok(mine), Ok(theirs)) = (mine.resolve(), theirs.resolve()) {
            let refused = theirs.check_conflicts([&mine]);
            prop_assert!(matches!(refused, Err(ConflictError::Name { .. })), "{:?}", refused);
            let mut index = ConflictIndex::default();
            index.insert(&mine);
            prop_assert!(index.check(&theirs).is_err());
        }
    }

    #[test]
    fn a_bidirectional_control_anywhere_is_refused(
        name in valid_name(),
        control in prop::sample::select(vec!['\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}', '\u{200E}', '\u{200F}', '\u{061C}']),
        at in any::<prop::sample::Index>(),
    ) {
        let chars: Vec<char> = name.chars().collect();
        let cut = at.index(chars.len() + 1);
        let text: String = chars[..cut].iter().chain([&control]).chain(&chars[cut..]).collect();
        let refused = rules::validate_endpoint_name("name A", &text);
        prop_assert!(matches!(refused, Err(RuleError::ControlCharacter { code, .. }) if code == control as u32), "{:?}", refused);
        prop_assert!(rules::names_from_root(&text).is_err());
        prop_assert!(rules::validate_description(&text).is_err());
    }

    #[test]
    fn what_is_printed_shows_every_character_as_itself_or_escaped(raw in raw_text()) {
        let shown = rules::escape_for_display(&raw);
        prop_assert!(!shown.chars().any(|c| rules::is_refused_control(c) || (rules::is_default_ignorable(c) && !rules::is_variation_selector(c))), "{:?}", shown);
        // Nothing is lost and nothing else is touched: turning each escape back gives the text.
        if !raw.contains('\\') {
            let mut back = String::new();
            let mut rest = shown.as_ref();
            while let Some(at) = rest.find("\\u{") {
                back.push_str(&rest[..at]);
                let end = rest[at..].find('}').unwrap() + at;
                let code = u32::from_str_radix(&rest[at + 3..end], 16).unwrap();
                back.push(char::from_u32(code).unwrap());
                rest = &rest[end + 1..];
            }
            back.push_str(rest);
            prop_assert_eq!(back, raw);
        }
    }

    #[test]
    fn names_clash_ignoring_case_and_surrounding_space(name in valid_name(), pad in "[ \t]{0,3}") {
        prop_assert!(rules::names_clash(&name, &name));
        let flipped = flip_ascii_case(&name);
        prop_assert!(rules::names_clash(&name, &flipped));
        let padded = format!("{pad}{flipped}{pad}");
        prop_assert!(rules::names_clash(&padded, &name));
        prop_assert!(rules::validate_name_pair(&name, &flipped).is_err());
        prop_assert!(rules::validate_name_pair(&flipped, &name).is_err());
    }

    #[test]
    fn a_pair_of_names_is_valid_when_each_is_and_they_differ(a in raw_text(), b in raw_text()) {
        let one = rules::validate_endpoint_name("name A", &a);
        let other = rules::validate_endpoint_name("name B", &b);
        let result = rules::validate_name_pair(&a, &b);
        match (&one, &other) {
            (Ok(x), Ok(y)) => prop_assert_eq!(result.is_ok(), !rules::names_clash(x, y)),
            _ => prop_assert!(result.is_err()),
        }
        // The rule is symmetric.
        prop_assert_eq!(
            rules::validate_name_pair(&a, &b).is_ok(),
            rules::validate_name_pair(&b, &a).is_ok()
        );
    }

    #[test]
    fn a_unique_identifier_keeps_only_ascii_letters_and_digits(raw in prop_oneof![
        any::<String>(),
        "[a-zA-Z0-9_ !.é-]{0,50}",
    ]) {
        let stripped: String = raw.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
        match rules::clean_unique_identifier(&raw) {
            Ok(id) => {
                prop_assert_eq!(id.as_str(), stripped.as_str());
                prop_assert!((1..=32).contains(&stripped.len()));
                // Cleaning is idempotent, and the endpoint ids follow from it, lower-case.
                prop_assert_eq!(rules::clean_unique_identifier(id.as_str()).unwrap(), id.clone());
                let lower = stripped.to_lowercase();
                let (ep_a, ep_b) = (EndpointId::for_side(&id, Side::A), EndpointId::for_side(&id, Side::B));
                prop_assert_eq!(ep_a.as_str(), format!("midiu_loop_a_{lower}"));
                prop_assert_eq!(ep_b.as_str(), format!("midiu_loop_b_{lower}"));
            }
            Err(RuleError::EmptyUniqueIdentifier { .. }) => prop_assert!(stripped.is_empty()),
            Err(RuleError::UniqueIdentifierTooLong { len, stripped: s, .. }) => {
                prop_assert_eq!(len, stripped.len());
                prop_assert_eq!(s, stripped.clone());
                prop_assert!(len > 32);
            }
            Err(other) => prop_assert!(false, "unexpected {other:?}"),
        }
    }

    #[test]
    fn every_documented_guid_form_names_the_same_pair(
        bytes in any::<[u8; 16]>(),
        braces in any::<bool>(),
        hyphens in any::<bool>(),
        case_mask in any::<u64>(),
        pad in "[ \t]{0,2}",
    ) {
        let uuid = uuid::Uuid::from_bytes(bytes);
        prop_assume!(!uuid.is_nil());
        let plain = if hyphens { uuid.hyphenated().to_string() } else { uuid.simple().to_string() };
        // Any mix of upper and lower case.
        let mixed: String = plain
            .chars()
            .enumerate()
            .map(|(i, c)| if case_mask >> (i % 64) & 1 == 1 { c.to_ascii_uppercase() } else { c })
            .collect();
        let text = if braces { format!("{pad}{{{mixed}}}{pad}") } else { format!("{pad}{mixed}{pad}") };
        let id = rules::parse_association_id(&text).expect("a valid GUID form");
        prop_assert_eq!(id, AssociationId(uuid));
        // Printed lower-case without braces; stored upper-case in braces; both read back.
        prop_assert_eq!(id.to_string(), uuid.hyphenated().to_string());
        let key = id.config_key();
        prop_assert_eq!(&key, &format!("{{{}}}", uuid.hyphenated().to_string().to_uppercase()));
        prop_assert_eq!(rules::parse_association_id(&key).unwrap(), id);
        prop_assert_eq!(rules::parse_association_id(&id.to_string()).unwrap(), id);
    }

    #[test]
    fn anything_that_is_not_a_guid_is_refused_and_nothing_panics(raw in prop_oneof![
        any::<String>(),
        "[{]?[0-9a-fA-F-]{28,40}[}]?",
        "urn:uuid:[0-9a-f-]{36}",
        "[{(\\[]?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}[})\\]]?",
    ]) {
        if let Ok(id) = rules::parse_association_id(&raw) {
            // Whatever was accepted is 32 hex digits, optionally hyphenated and in braces.
            let inner = raw.trim();
            let inner = inner.strip_prefix('{').and_then(|r| r.strip_suffix('}')).unwrap_or(inner);
            prop_assert_eq!(inner.chars().filter(|c| c.is_ascii_hexdigit()).count(), 32);
            prop_assert_eq!(inner.replace('-', "").to_lowercase(), id.simple_hex());
            prop_assert!(!id.0.is_nil());
        }
    }

    #[test]
    fn a_description_is_trimmed_and_limited_never_cut(raw in prop_oneof![
        any::<String>(),
        "[ ]{0,2}[a-zé]{490,510}[ ]{0,2}",
        "[a-z\u{0}\u{7}\n ]{0,20}",
    ]) {
        let trimmed = raw.trim();
        match rules::validate_description(&raw) {
            Ok(d) => {
                prop_assert_eq!(d.as_str(), trimmed);
                prop_assert!(d.chars().count() <= MAX_DESCRIPTION_CHARS);
                prop_assert!(!d.chars().any(rules::is_refused_control));
            }
            Err(_) => prop_assert!(
                trimmed.chars().count() > MAX_DESCRIPTION_CHARS
                    || trimmed.chars().any(rules::is_refused_control)
            ),
        }
    }

    #[test]
    fn whatever_a_spec_resolves_to_the_engine_accepts(
        root in raw_text(),
        a in raw_text(),
        b in raw_text(),
        use_root in any::<bool>(),
        unique in proptest::option::of("[a-zA-Z0-9_!-]{0,40}"),
        description in proptest::option::of(raw_text()),
        persistent in any::<bool>(),
    ) {
        let spec = PairSpec {
            names: Some(if use_root { NameSpec::Root(root) } else { NameSpec::Each { a, b } }),
            association_id: None,
            unique_identifier: unique.clone(),
            description,
            persistent,
        };
        if let Ok(def) = spec.resolve() {
            prop_assert!(def.validate().is_ok(), "{def:?}");
            prop_assert_eq!(def.persistent, persistent);
            prop_assert!(!def.muted);
            if unique.is_none() {
                prop_assert_eq!(def.unique_identifier.as_str(), def.association_id.simple_hex());
            }
            // A pair never conflicts with itself; another with the same names in another
            // case, or the same unique identifier in another case, does.
            prop_assert!(def.check_conflicts([&def]).is_ok());
            let mut same_id = def.clone();
            same_id.association_id = AssociationId::new_random();
            same_id.unique_identifier =
                rules::clean_unique_identifier(&flip_ascii_case(def.unique_identifier.as_str()))
                    .unwrap();
            same_id.endpoint_a.name = "Unrelated name A".into();
            same_id.endpoint_b.name = "Unrelated name B".into();
            let conflict = same_id.check_conflicts([&def]);
            prop_assert!(
                matches!(conflict, Err(ConflictError::UniqueIdentifier { .. })),
                "{conflict:?}"
            );
            let mut same_name = def.clone();
            same_name.association_id = AssociationId::new_random();
            same_name.unique_identifier =
                rules::clean_unique_identifier(&same_name.association_id.simple_hex()).unwrap();
            same_name.endpoint_a.name = "Unrelated name A".into();
            same_name.endpoint_b.name = flip_ascii_case(&def.endpoint_a.name);
            let conflict = same_name.check_conflicts([&def]);
            prop_assert!(matches!(conflict, Err(ConflictError::Name { .. })), "{conflict:?}");
        }
    }

    #[test]
    fn an_update_keeps_the_pair_valid_or_is_refused_whole(
        root in valid_name().prop_filter("short", |s| s.len() <= 90),
        new_root in proptest::option::of(raw_text()),
        name_a in proptest::option::of(raw_text()),
        name_b in proptest::option::of(raw_text()),
        description in proptest::option::of(raw_text()),
        persistent in proptest::option::of(any::<bool>()),
    ) {
        let current = PairSpec {
            names: Some(NameSpec::Root(root)),
            ..Default::default()
        }
        .resolve()
        .expect("valid");
        let update = PairUpdate {
            names: new_root.map(NameSpec::Root),
            name_a,
            name_b,
            description,
            persistent,
        };
        if let Ok(next) = update.apply(&current) {
            prop_assert!(next.validate().is_ok(), "{next:?}");
            prop_assert_eq!(next.association_id, current.association_id);
            prop_assert_eq!(&next.unique_identifier, &current.unique_identifier);
            prop_assert_eq!(next.muted, current.muted);
            prop_assert_eq!(next.persistent, persistent.unwrap_or(current.persistent));
        }
    }
}

#[test]
fn the_nil_guid_is_refused_in_every_form() {
    for form in [
        "00000000-0000-0000-0000-000000000000",
        "{00000000-0000-0000-0000-000000000000}",
        "00000000000000000000000000000000",
        "{00000000000000000000000000000000}",
    ] {
        assert!(
            matches!(
                rules::parse_association_id(form),
                Err(RuleError::NilGuid { .. })
            ),
            "{form}"
        );
    }
}
