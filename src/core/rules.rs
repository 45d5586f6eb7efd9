//! Every rule a pair must satisfy, in one place.
//!
//! `midi loopback create`, the wizard, the dashboard form and the engine all call these
//! functions, so a value refused by one face is refused by all of them with the same words.
//!
//! Names are for people, so two names clash when a person could not tell them apart: they are
//! compared after leaving out invisible (default-ignorable) characters, with compatibility
//! forms folded (NFKC) and case folded, and then by their confusable skeleton (Unicode
//! Technical Standard #39), so `Piano`, `Pi\u{200B}ano`, `ＰＩＡＮＯ` and a Cyrillic `Рiano`
//! are one name. [`escape_for_display`] is what every face prints a name or description through.

use super::ids::{AssociationId, UniqueIdentifier};
use std::borrow::Cow;
use std::fmt;
use thiserror::Error;
use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};
use uuid::Uuid;

/// The UMP endpoint-name limit, in UTF-8 bytes.
pub const MAX_NAME_BYTES: usize = 98;
/// The longest description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 500;
/// The longest unique identifier after stripping, in characters.
pub const MAX_UNIQUE_ID_CHARS: usize = 32;
/// What `--root-name` appends for each side: a space, then `(A)` / `(B)`.
pub const SUFFIX_A: &str = " (A)";
pub const SUFFIX_B: &str = " (B)";

/// A value that breaks one of the rules. Each message names the value and the rule.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RuleError {
    #[error("{field} is empty; give a name of 1 to {limit} bytes", limit = name_limit(field))]
    EmptyName { field: &'static str },
    #[error(
        "{field} {value:?} contains a control character (U+{code:04X}); use printable characters only"
    )]
    ControlCharacter {
        field: &'static str,
        value: String,
        code: u32,
    },
    #[error(
        "{field} {value:?} is {bytes} bytes long; the limit is {limit} UTF-8 bytes (nothing is truncated)"
    )]
    NameTooLong {
        field: &'static str,
        value: String,
        bytes: usize,
        limit: usize,
    },
    #[error(
        "{field} {value:?} has nothing visible in it (only invisible characters such as U+{code:04X}); give a name a person can read"
    )]
    InvisibleName {
        field: &'static str,
        value: String,
        code: u32,
    },
    #[error("{}", same_names_message(value, other, *how))]
    SameNames {
        value: String,
        other: String,
        how: NameClash,
    },
    #[error(
        "association id {value:?} is not a GUID; expected 32 hex digits like 7af38a08-0f4b-43ad-b218-1757496f0034, with or without braces"
    )]
    MalformedGuid { value: String },
    #[error(
        "association id {value:?} is the nil GUID; give any other GUID, or leave it out for a random one"
    )]
    NilGuid { value: String },
    #[error(
        "unique identifier {value:?} has no ASCII letters or digits; it needs 1 to {MAX_UNIQUE_ID_CHARS} after stripping other characters"
    )]
    EmptyUniqueIdentifier { value: String },
    #[error(
        "unique identifier {value:?} is {len} characters{}; the limit is {MAX_UNIQUE_ID_CHARS}",
        if stripped == value { String::new() } else { format!(" after stripping ({stripped:?})") }
    )]
    UniqueIdentifierTooLong {
        value: String,
        stripped: String,
        len: usize,
    },
    #[error("description is {chars} characters long; the limit is {MAX_DESCRIPTION_CHARS}")]
    DescriptionTooLong { chars: usize },
    #[error(
        "description contains a control character (U+{code:04X}); use printable characters only"
    )]
    DescriptionControlCharacter { code: u32 },
    #[error("both endpoint names are needed: give a root name, or a name for A and a name for B")]
    MissingNames,
}

fn same_names_message(value: &str, other: &str, how: NameClash) -> String {
    match how {
        NameClash::SameIgnoringCase => {
            format!(
                "the A and B names are the same ({value:?}, ignoring case); give two different names"
            )
        }
        NameClash::LookAlike => format!(
            "the A and B names look the same ({value:?} and {other:?}: {COMPARED}); give two names a person can tell apart"
        ),
    }
}

/// How names are compared, in the words every message uses.
pub const COMPARED: &str =
    "names are compared ignoring case, width, invisible characters and lookalike letters";

/// Why two names count as one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameClash {
    /// The same text, ignoring case and surrounding white space.
    SameIgnoringCase,
    /// Different text that a person could not tell apart: it differs only in invisible
    /// characters, compatibility forms (full-width letters, ligatures) or lookalike letters
    /// of another script.
    LookAlike,
}

impl fmt::Display for NameClash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NameClash::SameIgnoringCase => "ignoring case",
            NameClash::LookAlike => COMPARED,
        })
    }
}

/// The byte limit of a name field: a root name leaves room for the " (A)" suffix.
fn name_limit(field: &str) -> usize {
    if field == "root name" {
        MAX_NAME_BYTES - SUFFIX_A.len()
    } else {
        MAX_NAME_BYTES
    }
}

/// Validates one endpoint name: trimmed, non-empty, no control characters (bidirectional
/// controls and line separators included), something visible in it, at most 98 bytes.
/// Returns the trimmed name.
pub fn validate_endpoint_name(field: &'static str, raw: &str) -> Result<String, RuleError> {
    let name = raw.trim();
    check_name_text(field, name, MAX_NAME_BYTES)?;
    Ok(name.to_string())
}

/// Turns a root name into the two endpoint names, `ROOT (A)` and `ROOT (B)`.
pub fn names_from_root(raw: &str) -> Result<(String, String), RuleError> {
    let root = raw.trim();
    check_name_text("root name", root, MAX_NAME_BYTES - SUFFIX_A.len())?;
    Ok((format!("{root}{SUFFIX_A}"), format!("{root}{SUFFIX_B}")))
}

/// The rules of one trimmed name (or root name) against a byte limit.
fn check_name_text(field: &'static str, name: &str, limit: usize) -> Result<(), RuleError> {
    if name.is_empty() {
        return Err(RuleError::EmptyName { field });
    }
    if let Some(c) = name.chars().find(|c| is_refused_control(*c)) {
        return Err(RuleError::ControlCharacter {
            field,
            value: name.to_string(),
            code: c as u32,
        });
    }
    if name
        .chars()
        .all(|c| is_default_ignorable(c) || c.is_whitespace())
    {
        let code = name
            .chars()
            .find(|c| is_default_ignorable(*c))
            .unwrap_or(' ') as u32;
        return Err(RuleError::InvisibleName {
            field,
            value: name.to_string(),
            code,
        });
    }
    if name.len() > limit {
        return Err(RuleError::NameTooLong {
            field,
            value: name.to_string(),
            bytes: name.len(),
            limit,
        });
    }
    Ok(())
}

/// A character no name or description may hold: a control character, a bidirectional
/// control (it reorders the text printed after it, a whole table row), or a line or
/// paragraph separator (it breaks the row).
pub fn is_refused_control(c: char) -> bool {
    c.is_control() || is_bidi_control(c) || matches!(c, '\u{2028}' | '\u{2029}')
}

/// The Bidi_Control characters: marks, embeddings, overrides and isolates.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Unicode's Default_Ignorable_Code_Point property (DerivedCoreProperties): characters that
/// show nothing by themselves — zero-width spaces and joiners, the byte-order mark, soft
/// hyphens, fillers, variation selectors, tags.
pub fn is_default_ignorable(c: char) -> bool {
    const RANGES: &[(char, char)] = &[
        ('\u{00AD}', '\u{00AD}'),
        ('\u{034F}', '\u{034F}'),
        ('\u{061C}', '\u{061C}'),
        ('\u{115F}', '\u{1160}'),
        ('\u{17B4}', '\u{17B5}'),
        ('\u{180B}', '\u{180F}'),
        ('\u{200B}', '\u{200F}'),
        ('\u{202A}', '\u{202E}'),
        ('\u{2060}', '\u{206F}'),
        ('\u{3164}', '\u{3164}'),
        ('\u{FE00}', '\u{FE0F}'),
        ('\u{FEFF}', '\u{FEFF}'),
        ('\u{FFA0}', '\u{FFA0}'),
        ('\u{FFF0}', '\u{FFF8}'),
        ('\u{1BCA0}', '\u{1BCA3}'),
        ('\u{1D173}', '\u{1D17A}'),
        ('\u{E0000}', '\u{E0FFF}'),
    ];
    c >= '\u{00AD}' && RANGES.iter().any(|(lo, hi)| (*lo..=*hi).contains(&c))
}

fn without_ignorables(text: &str) -> String {
    text.chars().filter(|c| !is_default_ignorable(*c)).collect()
}

/// The rule every face and the engine apply: two endpoint names clash when a person could not
/// tell them apart.
pub fn names_clash(a: &str, b: &str) -> bool {
    name_clash(a, b).is_some()
}

/// Whether, and why, two names clash (see [`names_clash`]).
pub fn name_clash(a: &str, b: &str) -> Option<NameClash> {
    NameProbe::new(a).clash(b)
}

/// One name made ready to be compared with many (the engine checks a new name against every
/// name it holds): its skeletons are worked out once.
pub struct NameProbe<'a> {
    name: &'a str,
    skeletons: [String; 2],
}

impl<'a> NameProbe<'a> {
    pub fn new(name: &'a str) -> NameProbe<'a> {
        NameProbe {
            name,
            skeletons: name_skeletons(name),
        }
    }

    /// Whether, and why, `other` clashes with this name.
    pub fn clash(&self, other: &str) -> Option<NameClash> {
        // Equal ignoring case implies equal skeletons, so one lookup decides most comparisons.
        let mine = &self.skeletons;
        let hit = with_skeletons(other, |theirs| theirs[0] == mine[0] || theirs[1] == mine[1]);
        if !hit {
            None
        } else if self.name.trim().to_lowercase() == other.trim().to_lowercase() {
            Some(NameClash::SameIgnoringCase)
        } else {
            Some(NameClash::LookAlike)
        }
    }
}

/// The form in which a name is looked up (`endpoint open NAME`): invisible characters left
/// out, compatibility forms folded (NFKC), case folded, trimmed.
pub fn name_key(name: &str) -> String {
    if name.is_ascii() {
        // Nothing to leave out or fold but case.
        return name.trim().to_ascii_lowercase();
    }
    let folded = caseless::default_case_fold_str(&shown_form(name));
    folded.nfkc().collect::<String>().trim().to_string()
}

/// The name as a reader sees it, case kept: invisible characters left out, compatibility
/// forms folded (NFKC), trimmed.
fn shown_form(name: &str) -> String {
    if name.is_ascii() {
        return name.trim().to_string();
    }
    without_ignorables(name)
        .nfkc()
        .collect::<String>()
        .trim()
        .to_string()
}

/// The two confusable skeletons (Unicode Technical Standard #39) two names are compared by:
/// that of the [`name_key`], which catches lookalikes in any case (`рiano` for `Piano`), and
/// that of the name as shown, which catches lookalikes whose other case differs (a Cyrillic
/// `М` looks like `M`, but its small form `м` not like `m`). Two names clash when either
/// skeleton is the same.
pub fn name_skeletons(name: &str) -> [String; 2] {
    with_skeletons(name, <[String; 2]>::clone)
}

/// Calls `f` with a name's skeletons. The engine compares each new name with every name it
/// holds, and a file of 10,000 pairs is checked at start, so skeletons are remembered (per
/// thread, bounded, forgotten all at once when full) instead of folding the same names again.
fn with_skeletons<R>(name: &str, f: impl FnOnce(&[String; 2]) -> R) -> R {
    type Memo = std::collections::HashMap<String, [String; 2], BuildFnv>;
    thread_local! {
        static MEMO: std::cell::RefCell<Memo> = Default::default();
    }
    const MEMO_LIMIT: usize = 32_768;
    MEMO.with(|memo| {
        let mut memo = memo.borrow_mut();
        if let Some(found) = memo.get(name) {
            return f(found);
        }
        if memo.len() >= MEMO_LIMIT {
            memo.clear();
        }
        let skeletons = [
            unicode_security::skeleton(&name_key(name)).collect(),
            unicode_security::skeleton(&shown_form(name)).collect(),
        ];
        f(memo.entry(name.to_string()).or_insert(skeletons))
    })
}

/// FNV-1a: the memo's keys are short names, for which SipHash's setup costs more than the
/// hashing; collisions only cost time.
#[derive(Default)]
struct Fnv(u64);

type BuildFnv = std::hash::BuildHasherDefault<Fnv>;

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut hash = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for b in bytes {
            hash = (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = hash;
    }
}

/// Validates a pair's two names together: each on its own, then that they differ.
pub fn validate_name_pair(raw_a: &str, raw_b: &str) -> Result<(String, String), RuleError> {
    let a = validate_endpoint_name("name A", raw_a)?;
    let b = validate_endpoint_name("name B", raw_b)?;
    if let Some(how) = name_clash(&a, &b) {
        return Err(RuleError::SameNames {
            value: a,
            other: b,
            how,
        });
    }
    Ok((a, b))
}

/// A name or description made safe to print: every character that would not show as itself —
/// control and format characters (bidirectional controls, zero-width characters, the
/// byte-order mark), line and paragraph separators, invisible fillers — is written as
/// `\u{XXXX}`, so a terminal row shows exactly what the text holds and nothing reorders it.
pub fn escape_for_display(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if needs_escape(c) {
            out.push_str(&format!("\\u{{{:04X}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

fn needs_escape(c: char) -> bool {
    match c.general_category() {
        GeneralCategory::Control
        | GeneralCategory::Format
        | GeneralCategory::LineSeparator
        | GeneralCategory::ParagraphSeparator => true,
        _ => is_default_ignorable(c) && !is_variation_selector(c),
    }
}

/// Unicode's Variation_Selector characters: they pick the form of the character before them
/// (an emoji's colour form, a CJK glyph), so they are shown, not escaped.
pub fn is_variation_selector(c: char) -> bool {
    matches!(c, '\u{180B}'..='\u{180D}' | '\u{180F}' | '\u{FE00}'..='\u{FE0F}' | '\u{E0100}'..='\u{E01EF}')
}

/// Parses an association id: a GUID with or without braces, in any case; never the nil GUID.
pub fn parse_association_id(raw: &str) -> Result<AssociationId, RuleError> {
    let s = raw.trim();
    let inner = s
        .strip_prefix('{')
        .and_then(|rest| rest.strip_suffix('}'))
        .unwrap_or(s);
    // Only the hyphenated or plain forms; uuid also accepts urn: prefixes, which a GUID is not.
    let looks_right = (inner.len() == 36 || inner.len() == 32)
        && inner.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
    let uuid = match (looks_right, Uuid::try_parse(inner)) {
        (true, Ok(u)) => u,
        _ => {
            return Err(RuleError::MalformedGuid {
                value: raw.to_string(),
            });
        }
    };
    if uuid.is_nil() {
        return Err(RuleError::NilGuid {
            value: raw.to_string(),
        });
    }
    Ok(AssociationId(uuid))
}

/// Cleans a unique identifier the way device ids are named: every character that is not an
/// ASCII letter or digit is stripped (`abc-123_45!` becomes `abc12345`); 1 to 32 must remain.
pub fn clean_unique_identifier(raw: &str) -> Result<UniqueIdentifier, RuleError> {
    let stripped: String = raw.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    if stripped.is_empty() {
        return Err(RuleError::EmptyUniqueIdentifier {
            value: raw.to_string(),
        });
    }
    let len = stripped.len();
    if len > MAX_UNIQUE_ID_CHARS {
        return Err(RuleError::UniqueIdentifierTooLong {
            value: raw.to_string(),
            stripped,
            len,
        });
    }
    Ok(UniqueIdentifier::from_clean(stripped))
}

/// Validates a description: at most 500 characters, no control characters (bidirectional
/// controls and line separators included). Returns it trimmed.
pub fn validate_description(raw: &str) -> Result<String, RuleError> {
    let d = raw.trim();
    let chars = d.chars().count();
    if chars > MAX_DESCRIPTION_CHARS {
        return Err(RuleError::DescriptionTooLong { chars });
    }
    if let Some(c) = d.chars().find(|c| is_refused_control(*c)) {
        return Err(RuleError::DescriptionControlCharacter { code: c as u32 });
    }
    Ok(d.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_unique_id_with_nothing_stripped_is_named_once() {
        let long = "a".repeat(33);
        let msg = clean_unique_identifier(&long).unwrap_err().to_string();
        assert_eq!(msg.matches(&long).count(), 1, "{msg}");
        assert!(!msg.contains("stripping"), "{msg}");
        let dashed = format!("{long}-");
        let msg = clean_unique_identifier(&dashed).unwrap_err().to_string();
        assert!(msg.contains("after stripping"), "{msg}");
    }

    #[test]
    fn root_name_gets_suffixes() {
        let (a, b) = names_from_root("  My Loopback ").unwrap();
        assert_eq!(a, "My Loopback (A)");
        assert_eq!(b, "My Loopback (B)");
    }

    #[test]
    fn name_limit_is_98_bytes_not_chars() {
        let ok = "é".repeat(49); // 98 bytes
        assert!(validate_endpoint_name("name A", &ok).is_ok());
        let too_long = "é".repeat(50);
        assert!(matches!(
            validate_endpoint_name("name A", &too_long),
            Err(RuleError::NameTooLong { bytes: 100, .. })
        ));
    }

    #[test]
    fn guid_forms() {
        let id = "7af38a08-0f4b-43ad-b218-1757496f0034";
        let want = parse_association_id(id).unwrap();
        assert_eq!(
            parse_association_id(&format!("{{{}}}", id.to_uppercase())).unwrap(),
            want
        );
        assert_eq!(
            parse_association_id("7AF38A080F4B43ADB2181757496F0034").unwrap(),
            want
        );
        assert!(matches!(
            parse_association_id("00000000-0000-0000-0000-000000000000"),
            Err(RuleError::NilGuid { .. })
        ));
        assert!(matches!(
            parse_association_id("not-a-guid"),
            Err(RuleError::MalformedGuid { .. })
        ));
        assert!(matches!(
            parse_association_id("urn:uuid:7af38a08-0f4b-43ad-b218-1757496f0034"),
            Err(RuleError::MalformedGuid { .. })
        ));
    }

    #[test]
    fn unique_identifier_is_stripped() {
        assert_eq!(
            clean_unique_identifier("abc-123_45!").unwrap().as_str(),
            "abc12345"
        );
        assert!(clean_unique_identifier("-_-").is_err());
        assert!(clean_unique_identifier(&"a".repeat(33)).is_err());
        assert!(clean_unique_identifier(&"a".repeat(32)).is_ok());
    }

    #[test]
    fn the_default_ignorable_table_is_the_one_the_skeleton_leaves_out() {
        // The confusables crate drops exactly Default_Ignorable_Code_Point from a skeleton;
        // no other character's skeleton is empty, so the two tables must agree everywhere.
        for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
            let dropped = unicode_security::skeleton(c.encode_utf8(&mut [0; 4]))
                .next()
                .is_none();
            assert_eq!(is_default_ignorable(c), dropped, "U+{:04X}", c as u32);
        }
    }

    #[test]
    fn invisible_and_bidi_names_are_refused() {
        for raw in [
            "\u{200B}",
            "\u{200B}\u{FEFF}\u{2060}",
            "\u{200D} \u{200C}",
            "\u{3164}",
        ] {
            assert!(
                matches!(
                    validate_endpoint_name("name A", raw),
                    Err(RuleError::InvisibleName { .. })
                ),
                "{raw:?}"
            );
        }
        for raw in [
            "abc\u{202E}def",
            "\u{2066}x",
            "a\u{200F}",
            "line\u{2028}break",
        ] {
            assert!(
                matches!(
                    validate_endpoint_name("name A", raw),
                    Err(RuleError::ControlCharacter { .. })
                ),
                "{raw:?}"
            );
            assert!(names_from_root(raw).is_err());
            assert!(validate_description(raw).is_err());
        }
        assert!(validate_endpoint_name("name A", "Emoji \u{2764}\u{FE0F}").is_ok());
    }

    #[test]
    fn names_clash_when_a_person_could_not_tell_them_apart() {
        let clash = |a: &str, b: &str| name_clash(a, b);
        assert_eq!(clash("Piano", " piano "), Some(NameClash::SameIgnoringCase));
        for lookalike in [
            "Pi\u{200B}ano",
            "\u{FEFF}Piano",
            "Pi\u{0430}no",
            "\u{0420}iano",
            "ＰＩＡＮＯ",
            "Pia\u{00AD}no",
            "STRASSE",
            "\u{041C}IDI",
        ] {
            let base = match lookalike {
                "STRASSE" => "straße",
                "\u{041C}IDI" => "MIDI",
                _ => "Piano",
            };
            assert_eq!(
                clash(base, lookalike),
                Some(NameClash::LookAlike),
                "{lookalike:?}"
            );
            assert!(names_clash(lookalike, base));
        }
        assert_eq!(clash("Piano", "Pianos"), None);
        assert_eq!(clash("Piano (A)", "Piano (B)"), None);
        let refused = validate_name_pair("Piano", "Pi\u{200B}ano").unwrap_err();
        assert!(refused.to_string().contains("look the same"), "{refused}");
    }

    #[test]
    fn display_escapes_what_would_not_show_as_itself() {
        assert_eq!(escape_for_display("Piano (A)"), "Piano (A)");
        assert!(matches!(escape_for_display("é€𝄞"), Cow::Borrowed(_)));
        assert_eq!(
            escape_for_display("abc\u{202E}fed\u{200B}\u{FEFF}\u{1b}[31m\u{3164}"),
            "abc\\u{202E}fed\\u{200B}\\u{FEFF}\\u{001B}[31m\\u{3164}"
        );
        assert_eq!(escape_for_display("\u{2764}\u{FE0F}"), "\u{2764}\u{FE0F}");
        assert_eq!(escape_for_display("a\u{2028}b"), "a\\u{2028}b");
    }
}
