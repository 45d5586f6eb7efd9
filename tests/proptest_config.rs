//! Property tests of the configuration file (`core::config`): the parser never
//! panics, whatever the text or the shape of the JSON; valid pairs written are read back
//! exactly; every key and section the product does not know survives every rewrite as the
//! same text (numbers as written — big integers, trailing zeros, exponents, `-0` — string
//! escapes, duplicate keys); duplicate keys where the product reads are refused naming both
//! places; a part the product cannot edit safely is refused, never replaced; an entry's key is
//! read in any case, with or without braces, and kept as written; a removed pair is gone.
//!
//! `PROPTEST_CASES=N` runs more cases (docs/RELIABILITY.md records a long run).

use midi_loopback::core::config::{ConfigDocument, ConfigError, LOOP_TRANSPORT_KEY};
use midi_loopback::core::rules;
use midi_loopback::core::{AssociationId, NameSpec, PairDefinition, PairSpec};
mod common;

use common::proptest_config as config;
use proptest::prelude::*;
use serde_json::{Map, Value, json};
use std::path::Path;

const TRANSPORTS: &str = "endpointTransportPluginSettings";

/// Any JSON value (no floats: they need not print back identically).
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<String>().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::vec(("[a-zA-Z_{}-]{1,8}", inner), 0..4)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// Keys this product does not know, never colliding with one it does.
fn unknown_entries() -> impl Strategy<Value = Vec<(String, Value)>> {
    proptest::collection::btree_map("x[a-zA-Z0-9_]{0,8}", any_json(), 0..4)
        .prop_map(|m| m.into_iter().collect())
}

/// A valid pair with names, ids and a description drawn from everything the rules allow.
fn pair() -> impl Strategy<Value = PairDefinition> {
    (
        "[\\PC&&[^\\s]][\\PC]{0,20}[\\PC&&[^\\s]]",
        proptest::option::of("[a-zA-Z0-9]{1,32}"),
        proptest::option::of("[\\PC]{0,60}"),
        any::<bool>(),
        any::<[u8; 16]>(),
    )
        .prop_filter_map("valid pair", |(root, unique, description, muted, id)| {
            let uuid = uuid::Uuid::from_bytes(id);
            let mut def = PairSpec {
                names: Some(NameSpec::Root(root)),
                association_id: Some(uuid.to_string()),
                unique_identifier: unique,
                description,
                persistent: true,
            }
            .resolve()
            .ok()?;
            def.muted = muted;
            Some(def)
        })
}

/// Pairs that do not conflict with one another (later conflicting ones dropped).
fn pairs() -> impl Strategy<Value = Vec<PairDefinition>> {
    proptest::collection::vec(pair(), 0..8).prop_map(|all| {
        let mut kept: Vec<PairDefinition> = Vec::new();
        for def in all {
            if !kept.iter().any(|k| k.association_id == def.association_id)
                && def.check_conflicts(kept.iter()).is_ok()
            {
                kept.push(def);
            }
        }
        kept
    })
}

/// The loop transport's key in any case, as a hand-edited file might have it.
fn loop_key() -> impl Strategy<Value = String> {
    any::<u64>().prop_map(|mask| {
        LOOP_TRANSPORT_KEY
            .chars()
            .enumerate()
            .map(|(i, c)| {
                if mask >> (i % 64) & 1 == 1 {
                    c.to_ascii_lowercase()
                } else {
                    c
                }
            })
            .collect()
    })
}

/// A document with unknown parts everywhere: at the top, in the header, other transports,
/// beside `create`, and comment keys inside `create`. Returns the text and every unknown
/// part with its path.
fn document() -> impl Strategy<Value = (String, Vec<(Vec<String>, Value)>)> {
    (
        unknown_entries(),
        unknown_entries(),
        proptest::collection::btree_map(any::<[u8; 16]>(), any_json(), 0..3),
        unknown_entries(),
        proptest::collection::btree_map("_[a-z]{0,6}", any_json(), 0..3),
        loop_key(),
    )
        .prop_map(|(top, header, transports, beside, comments, key)| {
            let mut known: Vec<(Vec<String>, Value)> = Vec::new();
            let mut root = Map::new();
            let mut head = Map::new();
            head.insert("product".into(), json!("midi"));
            head.insert("fileVersion".into(), json!(1));
            for (k, v) in header {
                known.push((vec!["header".into(), k.clone()], v.clone()));
                head.insert(k, v);
            }
            root.insert("header".into(), Value::Object(head));
            for (k, v) in top {
                known.push((vec![k.clone()], v.clone()));
                root.insert(k, v);
            }
            let mut ts = Map::new();
            for (id, v) in transports {
                let k = format!("{{{}}}", uuid::Uuid::from_bytes(id).hyphenated()).to_uppercase();
                if k.eq_ignore_ascii_case(LOOP_TRANSPORT_KEY) {
                    continue;
                }
                known.push((vec![TRANSPORTS.into(), k.clone()], v.clone()));
                ts.insert(k, v);
            }
            let mut section = Map::new();
            for (k, v) in beside {
                known.push((vec![TRANSPORTS.into(), key.clone(), k.clone()], v.clone()));
                section.insert(k, v);
            }
            let mut create = Map::new();
            for (k, v) in comments {
                known.push((
                    vec![TRANSPORTS.into(), key.clone(), "create".into(), k.clone()],
                    v.clone(),
                ));
                create.insert(k, v);
            }
            section.insert("create".into(), Value::Object(create));
            ts.insert(key, Value::Object(section));
            root.insert(TRANSPORTS.into(), Value::Object(ts));
            (Value::Object(root).to_string(), known)
        })
}

/// A number as a person might write it: integers too big for any machine type, decimals with
/// trailing zeros, exponents in either case and sign, negative zero.
fn raw_number() -> impl Strategy<Value = String> {
    prop_oneof![
        "-?(0|[1-9][0-9]{0,40})",
        "-?(0|[1-9][0-9]{0,5})\\.[0-9]{0,5}0{1,3}",
        "-?(0|[1-9][0-9]{0,3})(\\.[0-9]{1,4})?[eE][+-]?[0-9]{1,3}",
        Just("-0".to_string()),
        Just("-0.0".to_string()),
        Just("1E400".to_string()),
    ]
}

/// The compact JSON text of any value, as a person might write it: numbers in every form,
/// strings with escapes `serde_json` would not write, objects that repeat a key.
fn raw_json() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("null".to_string()),
        Just("true".to_string()),
        Just("false".to_string()),
        raw_number(),
        any::<String>().prop_map(|s| serde_json::to_string(&s).unwrap()),
        "[a-z]{0,4}".prop_map(|s| format!("\"\\u00e9{s}\\/\\u0041\"")),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4)
                .prop_map(|items| format!("[{}]", items.join(","))),
            proptest::collection::vec(("[a-c]{1,2}", inner), 0..4).prop_map(|kv| {
                let members: Vec<String> = kv.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
                format!("{{{}}}", members.join(","))
            }),
        ]
    })
}

/// Unknown members as compact text (`"key":value`), keys starting with `x` so they never
/// meet one the product knows; the same key may come twice.
fn raw_members() -> impl Strategy<Value = Vec<String>> {
    proptest::collection::vec(("x[a-c]{0,2}", raw_json()), 0..4)
        .prop_map(|kv| kv.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect())
}

/// `text` without the white space between tokens (strings kept whole).
fn compact(text: &str) -> String {
    let (mut out, mut in_string, mut escaped) = (String::new(), false, false);
    for c in text.chars() {
        if in_string {
            in_string = escaped || c != '"';
            escaped = !escaped && c == '\\';
        } else if c.is_whitespace() {
            continue;
        } else {
            in_string = c == '"';
        }
        out.push(c);
    }
    out
}

/// Line and column (bytes, from 1) of the `n`th occurrence of `needle` in `text`.
fn position_of(text: &str, needle: &str, n: usize) -> String {
    let offset = text
        .match_indices(needle)
        .nth(n)
        .unwrap_or_else(|| panic!("{needle} {n} not in {text}"))
        .0;
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    format!(
        "line {}, column {}",
        before.matches('\n').count() + 1,
        offset - line_start + 1
    )
}

fn at<'a>(value: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(value, |v, k| v.get(k))
}

fn reparse(doc: &ConfigDocument) -> ConfigDocument {
    ConfigDocument::parse(&doc.to_json_string(), Path::new("t.json"))
        .expect("what the product writes, it reads")
}

fn stored(doc: &ConfigDocument) -> Vec<PairDefinition> {
    let (pairs, skipped) = doc.pairs();
    assert!(skipped.is_empty(), "{skipped:?}");
    pairs
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn any_text_either_parses_as_an_object_or_is_refused_with_its_position(text in prop_oneof![
        any::<String>(),
        "[{}\\[\\]\":, a-z0-9\n]{0,60}",
        any_json().prop_map(|v| v.to_string()),
        raw_json(),
        raw_json().prop_map(|v| format!("\u{FEFF}{v}")),
    ]) {
        // A leading byte-order mark is accepted; out of it, what serde_json reads is read, and
        // more: numbers beyond what it can hold are kept as text, not refused.
        let json = text.strip_prefix('\u{FEFF}').unwrap_or(&text);
        let theirs = serde_json::from_str::<Value>(json);
        let out_of_range = matches!(&theirs, Err(e) if e.to_string().contains("number out of range"));
        match ConfigDocument::parse(&text, Path::new("f.json")) {
            Ok(doc) => {
                prop_assert!(out_of_range || theirs.unwrap().is_object());
                let _ = doc.pairs();
                let again = reparse(&doc);
                prop_assert_eq!(compact(&again.to_json_string()), compact(&text));
            }
            Err(ConfigError::NotAnObject { .. }) => {
                prop_assert!(out_of_range || !theirs.unwrap().is_object());
            }
            Err(ConfigError::Parse { line, column, .. }) => {
                prop_assert!(theirs.is_err() && !out_of_range);
                prop_assert!(line >= 1 && line <= text.lines().count().max(1) + 1);
                let _ = column;
            }
            Err(other) => prop_assert!(false, "unexpected {other}"),
        }
    }

    #[test]
    fn any_json_object_survives_reading_editing_and_writing(
        root in proptest::collection::vec(("[a-zA-Z]{1,6}", any_json()), 0..4),
        transports in any_json(),
        section in any_json(),
        create in any_json(),
        def in pair(),
        key in loop_key(),
    ) {
        // Odd shapes where the product expects objects: reading never panics, and a pair
        // written into such a file can be read back and removed again.
        let mut obj: Map<String, Value> = root.into_iter().collect();
        let mut sec = match section { Value::Object(m) => m, other => {
            let mut m = Map::new();
            m.insert("x".into(), other);
            m
        }};
        let create_is_object = create.is_object();
        sec.insert("create".into(), create);
        let ts = match transports { Value::Object(mut m) => { m.insert(key, Value::Object(sec)); Value::Object(m) } other => other };
        obj.insert(TRANSPORTS.into(), ts);
        let editable = obj[TRANSPORTS].is_object() && create_is_object;
        let mut doc = ConfigDocument::parse(&Value::Object(obj).to_string(), Path::new("t"))
            .expect("an object");
        let _ = doc.pairs();
        let before = doc.clone();
        match doc.upsert_pair(&def) {
            Ok(()) => prop_assert!(editable, "an odd shape was overwritten"),
            Err(e) => {
                // Refused, never replaced: the document is as it was, and the reason names
                // the file and the place.
                prop_assert!(!editable, "refused a file it can edit: {e}");
                prop_assert_eq!(&doc, &before);
                let message = e.to_string();
                prop_assert!(message.contains("t cannot be edited safely"), "{}", message);
                prop_assert!(message.contains(TRANSPORTS), "{}", message);
                let (pairs, skipped) = doc.pairs();
                prop_assert!(pairs.is_empty() && skipped.len() == 1, "the blocked place is reported");
                return Ok(());
            }
        }
        let mut doc = reparse(&doc);
        prop_assert!(doc.pairs().0.contains(&def), "written pair not read back");
        prop_assert!(doc.remove_pair(def.association_id).unwrap());
        let doc = reparse(&doc);
        prop_assert!(!doc.pairs().0.iter().any(|p| p.association_id == def.association_id));
    }

    #[test]
    fn pairs_round_trip_and_unknown_parts_survive_every_rewrite(
        (text, unknown) in document(),
        defs in pairs(),
        remove_mask in any::<u16>(),
    ) {
        let mut doc = ConfigDocument::parse(&text, Path::new("t.json")).expect("valid document");
        prop_assert!(stored(&doc).is_empty());
        for def in &defs {
            doc.upsert_pair(def).unwrap();
        }
        let mut doc = reparse(&doc);
        prop_assert_eq!(&stored(&doc), &defs);
        let value = doc.to_value();
        for (path, part) in &unknown {
            prop_assert_eq!(at(&value, path), Some(part), "lost {:?}", path);
        }
        // Remove some; exactly the others remain, and the unknown parts still do.
        let mut kept = Vec::new();
        for (i, def) in defs.iter().enumerate() {
            if remove_mask >> i & 1 == 1 {
                prop_assert!(doc.remove_pair(def.association_id).unwrap());
                prop_assert!(!doc.remove_pair(def.association_id).unwrap(), "removed twice");
            } else {
                kept.push(def.clone());
            }
        }
        let doc = reparse(&doc);
        prop_assert_eq!(&stored(&doc), &kept);
        let value = doc.to_value();
        for (path, part) in &unknown {
            prop_assert_eq!(at(&value, path), Some(part), "lost {:?}", path);
        }
    }

    #[test]
    fn an_entry_key_in_any_form_is_read_updated_in_place_and_removed(
        def in pair(),
        braces in any::<bool>(),
        upper in any::<bool>(),
        hyphens in any::<bool>(),
        extra in any_json(),
        new_root in "[a-zA-Z][a-zA-Z0-9 ]{0,20}[a-zA-Z]",
    ) {
        let uuid = def.association_id.0;
        let mut key = if hyphens { uuid.hyphenated().to_string() } else { uuid.simple().to_string() };
        if upper { key = key.to_uppercase(); }
        if braces { key = format!("{{{key}}}"); }
        prop_assert_eq!(rules::parse_association_id(&key).unwrap(), def.association_id);
        // A hand-written entry under that key, with a field this product does not know.
        let entry = json!({
            "endpointA": { "name": def.endpoint_a.name, "description": def.endpoint_a.description,
                           "uniqueIdentifier": def.unique_identifier.as_str(), "xUnknown": extra },
            "endpointB": { "name": def.endpoint_b.name, "description": def.endpoint_b.description,
                           "uniqueIdentifier": def.unique_identifier.as_str() },
            "muted": def.muted,
        });
        let text = json!({ TRANSPORTS: { LOOP_TRANSPORT_KEY: { "create": { key.clone(): entry } } } })
            .to_string();
        let mut doc = ConfigDocument::parse(&text, Path::new("t")).unwrap();
        prop_assert_eq!(stored(&doc), vec![def.clone()]);
        // Renamed: the entry keeps its key and its unknown field.
        let mut renamed = def.clone();
        let (a, b) = rules::names_from_root(&new_root).unwrap();
        renamed.endpoint_a.name = a;
        renamed.endpoint_b.name = b;
        doc.upsert_pair(&renamed).unwrap();
        let mut doc = reparse(&doc);
        prop_assert_eq!(stored(&doc), vec![renamed.clone()]);
        let value = doc.to_value();
        let create = at(&value, &[TRANSPORTS.into(), LOOP_TRANSPORT_KEY.into(), "create".into()])
            .and_then(Value::as_object)
            .unwrap();
        prop_assert_eq!(create.keys().collect::<Vec<_>>(), vec![&key]);
        prop_assert_eq!(&create[&key]["endpointA"]["xUnknown"], &extra);
        prop_assert!(doc.remove_pair(def.association_id).unwrap());
        let doc = reparse(&doc);
        prop_assert!(stored(&doc).is_empty());
    }

    #[test]
    fn an_entry_that_breaks_a_rule_is_skipped_and_kept_as_it_is(
        junk in any_json(),
        junk_key in prop_oneof![
            "[a-zA-Z0-9{}-]{1,40}",
            any::<[u8; 16]>().prop_map(|b| format!("{{{}}}", uuid::Uuid::from_bytes(b))),
        ],
        def in pair(),
    ) {
        prop_assume!(!junk_key.starts_with('_'));
        prop_assume!(rules::parse_association_id(&junk_key).ok() != Some(def.association_id));
        let text = json!({ TRANSPORTS: { LOOP_TRANSPORT_KEY: { "create": { junk_key.clone(): junk.clone() } } } })
            .to_string();
        let mut doc = ConfigDocument::parse(&text, Path::new("t")).unwrap();
        let (pairs, skipped) = doc.pairs();
        // Junk almost never forms a valid entry; when it does not, it is reported by key.
        if pairs.is_empty() {
            prop_assert_eq!(skipped.len(), 1);
            prop_assert_eq!(&skipped[0].key, &junk_key);
            prop_assert!(!skipped[0].reason.is_empty());
        }
        doc.upsert_pair(&def).unwrap();
        let doc = reparse(&doc);
        let value = doc.to_value();
        let create = at(&value, &[TRANSPORTS.into(), LOOP_TRANSPORT_KEY.into(), "create".into()]).unwrap();
        prop_assert_eq!(&create[&junk_key], &junk, "a skipped entry was changed");
        prop_assert!(doc.pairs().0.contains(&def));
    }

    #[test]
    fn numbers_strings_and_duplicate_keys_survive_every_rewrite_as_written(
        top in raw_members(),
        header in raw_members(),
        other in raw_json(),
        beside in raw_members(),
        defs in pairs(),
        bom in any::<bool>(),
    ) {
        let with = |first: &str, rest: &[String]| {
            std::iter::once(first.to_string()).chain(rest.iter().cloned()).collect::<Vec<_>>().join(",")
        };
        let text = format!(
            "{}{{{},\"{TRANSPORTS}\":{{\"{{C95DCD1F-CDE3-4C2D-913C-528CB8A4CBE6}}\":{other},\"{LOOP_TRANSPORT_KEY}\":{{{}}}}}}}",
            if bom { "\u{FEFF}" } else { "" },
            with(&format!("\"header\":{{{}}}", with("\"product\":\"midi\"", &header)), &top),
            with("\"create\":{}", &beside),
        );
        let mut doc = ConfigDocument::parse(&text, Path::new("t.json")).expect("valid document");
        prop_assert!(stored(&doc).is_empty());
        for def in &defs {
            doc.upsert_pair(def).unwrap();
        }
        let written = doc.to_json_string();
        let mut doc = reparse(&doc);
        prop_assert_eq!(&stored(&doc), &defs);
        // Every unknown part is there as it was written, whatever the product added.
        let flat = compact(&written);
        for part in top.iter().chain(&header).chain(&beside).chain([&other]) {
            prop_assert!(flat.contains(part.as_str()), "{} changed in\n{}", part, written);
        }
        prop_assert_eq!(written.starts_with('\u{FEFF}'), bom, "the byte-order mark is kept");
        // With the product's entries gone again, the file is the text it was.
        for def in &defs {
            prop_assert!(doc.remove_pair(def.association_id).unwrap());
        }
        prop_assert_eq!(compact(&doc.to_json_string()), text);
    }

    #[test]
    fn duplicate_keys_where_the_product_reads_are_refused_naming_both_places(
        which in 0..5usize,
        def in pair(),
        other in pair(),
    ) {
        prop_assume!(other.association_id != def.association_id);
        let entry = |name_twice: &str, side_twice: &str| format!(
            "{{\n{side_twice}\"endpointA\": {{ {name_twice}\"name\": {}, \"uniqueIdentifier\": \"{}\" }},\n\"endpointB\": {{ \"name\": {}, \"uniqueIdentifier\": \"{}\" }}\n}}",
            serde_json::to_string(&def.endpoint_a.name).unwrap(),
            def.unique_identifier.as_str(),
            serde_json::to_string(&def.endpoint_b.name).unwrap(),
            def.unique_identifier.as_str(),
        );
        let key = def.association_id.config_key();
        let plain = |create: &str| format!("{{\"{LOOP_TRANSPORT_KEY}\": {{\n\"create\": {create}\n}}}}");
        let (transports, twice, entry_level) = match which {
            0 => (format!("{}, \n\"{TRANSPORTS}\": {{}}", plain("{}")), format!("\"{TRANSPORTS}\""), false),
            1 => (
                format!("{{\"{LOOP_TRANSPORT_KEY}\": {{}},\n\"{}\": {{}}}}", LOOP_TRANSPORT_KEY.to_lowercase()),
                String::new(),
                false,
            ),
            2 => (format!("{{\"{LOOP_TRANSPORT_KEY}\": {{\n\"create\": {{}},\n\"create\": {{}}}}}}"), "\"create\"".into(), false),
            3 => (plain(&format!("{{\"{key}\": {}}}", entry("\"name\": \"Twice\",\n", ""))), "\"name\"".into(), true),
            _ => (plain(&format!("{{\"{key}\": {}}}", entry("", "\"endpointA\": {},\n"))), "\"endpointA\"".into(), true),
        };
        let text = format!("{{\n\"{TRANSPORTS}\": {transports}\n}}");
        let mut doc = ConfigDocument::parse(&text, Path::new("t.json")).expect("valid JSON");
        let (pairs, skipped) = doc.pairs();
        prop_assert!(pairs.is_empty(), "an ambiguous file loaded {:?}", pairs);
        prop_assert_eq!(skipped.len(), 1);
        // Both places are named.
        let (first, second) = if which == 1 {
            (
                position_of(&text, &format!("\"{LOOP_TRANSPORT_KEY}\""), 0),
                position_of(&text, &format!("\"{}\"", LOOP_TRANSPORT_KEY.to_lowercase()), 0),
            )
        } else {
            (position_of(&text, &twice, 0), position_of(&text, &twice, 1))
        };
        let reason = &skipped[0].reason;
        prop_assert!(reason.contains(&first) && reason.contains(&second), "{} and {} not in {}", first, second, reason);
        // The product never chooses between the two: it refuses to edit there, and keeps them.
        let before = doc.clone();
        let same = doc.upsert_pair(&def);
        prop_assert!(same.is_err(), "edited an ambiguous entry");
        prop_assert_eq!(&doc, &before);
        if entry_level {
            doc.upsert_pair(&other).expect("another entry can still be written");
            // The ambiguous entry stays as it was written, both keys and all.
            let create = &text[text.find("\"create\"").unwrap() + "\"create\":".len()..];
            let create = compact(create.trim_end_matches(['}', '\n', ' ']));
            let kept = create.trim_start_matches('{');
            prop_assert!(compact(&doc.to_json_string()).contains(kept), "{} lost", kept);
        } else {
            prop_assert!(doc.upsert_pair(&other).is_err());
            prop_assert!(!doc.remove_pair(other.association_id).unwrap(), "nothing of it is there");
        }
    }
}

#[test]
fn removing_a_pair_removes_every_entry_that_names_it() {
    // A hand-edited file may name one pair twice, in two key forms; the second entry is
    // skipped as a duplicate while the first is there. Removing the pair must not let the
    // skipped one take its place at the next start.
    let id = AssociationId(uuid::Uuid::parse_str("7af38a08-0f4b-43ad-b218-1757496f0034").unwrap());
    let entry = |name: &str| {
        json!({
            "endpointA": { "name": format!("{name} (A)"), "description": "", "uniqueIdentifier": "abc12345" },
            "endpointB": { "name": format!("{name} (B)"), "description": "", "uniqueIdentifier": "abc12345" },
        })
    };
    let text = json!({ TRANSPORTS: { LOOP_TRANSPORT_KEY: { "create": {
        "{7AF38A08-0F4B-43AD-B218-1757496F0034}": entry("First"),
        "7af38a080f4b43adb2181757496f0034": entry("Second"),
    } } } })
    .to_string();
    let mut doc = ConfigDocument::parse(&text, Path::new("t")).unwrap();
    let (pairs, skipped) = doc.pairs();
    assert_eq!(pairs.len(), 1);
    assert_eq!(skipped.len(), 1, "the duplicate is reported");
    assert!(doc.remove_pair(id).unwrap());
    let doc = reparse(&doc);
    let (pairs, _) = doc.pairs();
    assert!(
        !pairs.iter().any(|p| p.association_id == id),
        "removed pair {id} comes back from its duplicate entry: {pairs:?}"
    );
}

#[test]
fn the_written_file_is_pretty_json_ending_in_a_newline() {
    let mut doc = ConfigDocument::default();
    doc.upsert_pair(
        &PairSpec {
            names: Some(NameSpec::Root("Pretty".into())),
            persistent: true,
            ..Default::default()
        }
        .resolve()
        .unwrap(),
    )
    .unwrap();
    let text = doc.to_json_string();
    assert!(text.ends_with("}\n"));
    assert!(text.lines().count() > 10, "{text}");
}
