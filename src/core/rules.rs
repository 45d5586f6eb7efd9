//! Every rule a pair must satisfy (SPEC §4), in one place.
//!
//! `midi loopback create`, the wizard, the dashboard form and the engine all call these
//! functions, so a value refused by one face is refused by all of them with the same words.

use super::ids::{AssociationId, UniqueIdentifier};
use thiserror::Error;
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
    #[error("the A and B names are the same ({value:?}, ignoring case); give two different names")]
    SameNames { value: String },
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
        "unique identifier {value:?} is {len} characters after stripping ({stripped:?}); the limit is {MAX_UNIQUE_ID_CHARS}"
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

/// The byte limit of a name field: a root name leaves room for the " (A)" suffix.
fn name_limit(field: &str) -> usize {
    if field == "root name" {
        MAX_NAME_BYTES - SUFFIX_A.len()
    } else {
        MAX_NAME_BYTES
    }
}

/// Validates one endpoint name: trimmed, non-empty, no control characters, at most 98 bytes.
/// Returns the trimmed name.
pub fn validate_endpoint_name(field: &'static str, raw: &str) -> Result<String, RuleError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(RuleError::EmptyName { field });
    }
    if let Some(c) = name.chars().find(|c| c.is_control()) {
        return Err(RuleError::ControlCharacter {
            field,
            value: name.to_string(),
            code: c as u32,
        });
    }
    if name.len() > MAX_NAME_BYTES {
        return Err(RuleError::NameTooLong {
            field,
            value: name.to_string(),
            bytes: name.len(),
            limit: MAX_NAME_BYTES,
        });
    }
    Ok(name.to_string())
}

/// Turns a root name into the two endpoint names, `ROOT (A)` and `ROOT (B)`.
pub fn names_from_root(raw: &str) -> Result<(String, String), RuleError> {
    let root = raw.trim();
    if root.is_empty() {
        return Err(RuleError::EmptyName { field: "root name" });
    }
    if let Some(c) = root.chars().find(|c| c.is_control()) {
        return Err(RuleError::ControlCharacter {
            field: "root name",
            value: root.to_string(),
            code: c as u32,
        });
    }
    let limit = MAX_NAME_BYTES - SUFFIX_A.len();
    if root.len() > limit {
        return Err(RuleError::NameTooLong {
            field: "root name",
            value: root.to_string(),
            bytes: root.len(),
            limit,
        });
    }
    Ok((format!("{root}{SUFFIX_A}"), format!("{root}{SUFFIX_B}")))
}

/// Endpoint names compare ignoring case (and surrounding white space).
pub fn names_clash(a: &str, b: &str) -> bool {
    name_key(a) == name_key(b)
}

/// The form in which names are compared: two names clash when their keys are equal.
pub fn name_key(name: &str) -> String {
    name.trim().to_lowercase()
}

/// Validates a pair's two names together: each on its own, then that they differ.
pub fn validate_name_pair(raw_a: &str, raw_b: &str) -> Result<(String, String), RuleError> {
    let a = validate_endpoint_name("name A", raw_a)?;
    let b = validate_endpoint_name("name B", raw_b)?;
    if names_clash(&a, &b) {
        return Err(RuleError::SameNames { value: a });
    }
    Ok((a, b))
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

/// Validates a description: at most 500 characters, no control characters. Returns it trimmed.
pub fn validate_description(raw: &str) -> Result<String, RuleError> {
    let d = raw.trim();
    let chars = d.chars().count();
    if chars > MAX_DESCRIPTION_CHARS {
        return Err(RuleError::DescriptionTooLong { chars });
    }
    if let Some(c) = d.chars().find(|c| c.is_control()) {
        return Err(RuleError::DescriptionControlCharacter { code: c as u32 });
    }
    Ok(d.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
