//! The configuration file (SPEC §11), in the layout Windows MIDI Services uses for its MIDI 2.0
//! loopback transport, so a pair section can move between the two.
//!
//! The document is kept as a JSON tree and edited in place: keys and sections this product does
//! not know (other transports, `_comment`, entries that break a rule) survive every rewrite.

use super::ids::AssociationId;
use super::model::{ConflictIndex, EndpointDefinition, PairDefinition};
use super::rules;
use serde_json::{Map, Value, json};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// The class id of the Windows MIDI Services MIDI 2.0 loopback transport (`LOOP`).
pub const LOOP_TRANSPORT_KEY: &str = "{942BF02D-93C0-4EA8-B03E-D51156CA75E1}";
const TRANSPORTS: &str = "endpointTransportPluginSettings";

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("cannot read configuration file {path}: {source}")]
    Read { path: PathBuf, source: io::Error },
    #[error(
        "configuration file {path} is not valid JSON at line {line}, column {column}: {message}; fix or move the file (it is left untouched)"
    )]
    Parse {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error(
        "configuration file {path} is valid JSON but not an object at the top level; fix or move the file (it is left untouched)"
    )]
    NotAnObject { path: PathBuf },
    #[error("cannot write configuration file {path}: {source}")]
    Write { path: PathBuf, source: io::Error },
}

/// An entry of the file that breaks a rule: reported, skipped, and left in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedEntry {
    pub key: String,
    pub reason: String,
}

/// The configuration file as a JSON tree.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigDocument {
    root: Value,
}

impl Default for ConfigDocument {
    fn default() -> Self {
        ConfigDocument {
            root: json!({
                "header": { "product": "midi", "fileVersion": 1 },
                TRANSPORTS: { LOOP_TRANSPORT_KEY: { "create": {} } }
            }),
        }
    }
}

impl ConfigDocument {
    /// Reads the file; a missing file is an empty document.
    pub fn load(path: &Path) -> Result<ConfigDocument, ConfigError> {
        match fs::read_to_string(path) {
            Ok(text) => ConfigDocument::parse(&text, path),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(ConfigDocument::default()),
            Err(source) => Err(ConfigError::Read {
                path: path.to_path_buf(),
                source,
            }),
        }
    }

    /// Parses text; `path` only names the file in errors.
    pub fn parse(text: &str, path: &Path) -> Result<ConfigDocument, ConfigError> {
        let root: Value = serde_json::from_str(text).map_err(|e| ConfigError::Parse {
            path: path.to_path_buf(),
            line: e.line(),
            column: e.column(),
            message: e
                .to_string()
                .split(" at line")
                .next()
                .unwrap_or("")
                .to_string(),
        })?;
        if !root.is_object() {
            return Err(ConfigError::NotAnObject {
                path: path.to_path_buf(),
            });
        }
        Ok(ConfigDocument { root })
    }

    fn create_section(&self) -> Option<&Map<String, Value>> {
        self.root
            .get(TRANSPORTS)?
            .as_object()?
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(LOOP_TRANSPORT_KEY))?
            .1
            .get("create")?
            .as_object()
    }

    fn create_section_mut(&mut self) -> &mut Map<String, Value> {
        let root = self.root.as_object_mut().expect("checked at parse");
        let transports = root
            .entry(TRANSPORTS)
            .or_insert_with(|| Value::Object(Map::new()));
        if !transports.is_object() {
            *transports = Value::Object(Map::new());
        }
        let transports = transports.as_object_mut().expect("made an object above");
        let key = transports
            .keys()
            .find(|k| k.eq_ignore_ascii_case(LOOP_TRANSPORT_KEY))
            .cloned()
            .unwrap_or_else(|| LOOP_TRANSPORT_KEY.to_string());
        let section = transports
            .entry(key)
            .or_insert_with(|| Value::Object(Map::new()));
        if !section.is_object() {
            *section = Value::Object(Map::new());
        }
        let create = section
            .as_object_mut()
            .expect("made an object above")
            .entry("create")
            .or_insert_with(|| Value::Object(Map::new()));
        if !create.is_object() {
            *create = Value::Object(Map::new());
        }
        create.as_object_mut().expect("made an object above")
    }

    /// The pairs the file defines, and the entries that break a rule (by key, with the reason).
    /// Conflicts between entries (a name or unique identifier used twice) skip the later entry.
    pub fn pairs(&self) -> (Vec<PairDefinition>, Vec<SkippedEntry>) {
        let mut pairs: Vec<PairDefinition> = Vec::new();
        let mut skipped = Vec::new();
        let Some(create) = self.create_section() else {
            return (pairs, skipped);
        };
        let mut in_use = ConflictIndex::default();
        for (key, entry) in create {
            if key.starts_with('_') {
                continue; // `_comment` and friends are allowed anywhere
            }
            let result = parse_entry(key, entry).and_then(|def| {
                if in_use.contains(def.association_id) {
                    return Err(format!(
                        "association id {} appears twice",
                        def.association_id
                    ));
                }
                in_use.check(&def).map_err(|e| e.to_string())?;
                Ok(def)
            });
            match result {
                Ok(def) => {
                    in_use.insert(&def);
                    pairs.push(def);
                }
                Err(reason) => skipped.push(SkippedEntry {
                    key: key.clone(),
                    reason,
                }),
            }
        }
        (pairs, skipped)
    }

    fn find_key(&self, id: AssociationId) -> Option<String> {
        self.create_section()?
            .keys()
            .find(|k| rules::parse_association_id(k).ok() == Some(id))
            .cloned()
    }

    /// Adds or replaces a pair, keeping any fields of an existing entry that this product does
    /// not know.
    pub fn upsert_pair(&mut self, def: &PairDefinition) {
        let key = self.find_key(def.association_id);
        let create = self.create_section_mut();
        let key = key.unwrap_or_else(|| def.association_id.config_key());
        let entry = create
            .entry(key)
            .or_insert_with(|| Value::Object(Map::new()));
        if !entry.is_object() {
            *entry = Value::Object(Map::new());
        }
        let entry = entry.as_object_mut().expect("made an object above");
        for (field, endpoint) in [
            ("endpointA", &def.endpoint_a),
            ("endpointB", &def.endpoint_b),
        ] {
            let slot = entry
                .entry(field)
                .or_insert_with(|| Value::Object(Map::new()));
            if !slot.is_object() {
                *slot = Value::Object(Map::new());
            }
            let slot = slot.as_object_mut().expect("made an object above");
            slot.insert("name".into(), Value::String(endpoint.name.clone()));
            slot.insert(
                "description".into(),
                Value::String(endpoint.description.clone()),
            );
            slot.insert(
                "uniqueIdentifier".into(),
                Value::String(def.unique_identifier.to_string()),
            );
        }
        entry.insert("muted".into(), Value::Bool(def.muted));
    }

    /// Removes every entry that names the pair (a hand-edited file may name it twice, in two
    /// key forms); false when there was none.
    pub fn remove_pair(&mut self, id: AssociationId) -> bool {
        let Some(create) = self.create_section() else {
            return false;
        };
        let keys: Vec<String> = create
            .keys()
            .filter(|k| rules::parse_association_id(k).ok() == Some(id))
            .cloned()
            .collect();
        let section = self.create_section_mut();
        for key in &keys {
            section.shift_remove(key);
        }
        !keys.is_empty()
    }

    /// The document as pretty-printed JSON, ending in a newline.
    pub fn to_json_string(&self) -> String {
        let mut s =
            serde_json::to_string_pretty(&self.root).expect("a JSON tree always serialises");
        s.push('\n');
        s
    }

    pub fn as_value(&self) -> &Value {
        &self.root
    }
}

fn parse_entry(key: &str, entry: &Value) -> Result<PairDefinition, String> {
    let association_id = rules::parse_association_id(key).map_err(|e| e.to_string())?;
    let obj = entry
        .as_object()
        .ok_or_else(|| "the entry is not an object".to_string())?;
    let side = |field: &str| -> Result<(String, String, String), String> {
        let ep = obj
            .get(field)
            .and_then(Value::as_object)
            .ok_or_else(|| format!("{field} is missing"))?;
        let text = |name: &str| ep.get(name).and_then(Value::as_str);
        let name = text("name").ok_or_else(|| format!("{field}.name is missing"))?;
        let unique = text("uniqueIdentifier")
            .ok_or_else(|| format!("{field}.uniqueIdentifier is missing"))?;
        Ok((
            name.to_string(),
            text("description").unwrap_or("").to_string(),
            unique.to_string(),
        ))
    };
    let (name_a, desc_a, unique_a) = side("endpointA")?;
    let (name_b, desc_b, unique_b) = side("endpointB")?;
    let unique = rules::clean_unique_identifier(&unique_a).map_err(|e| e.to_string())?;
    let unique_b = rules::clean_unique_identifier(&unique_b).map_err(|e| e.to_string())?;
    if !unique.same_as(&unique_b) {
        return Err(format!(
            "endpointA and endpointB have different unique identifiers ({unique} and {unique_b}); this product keeps one per pair"
        ));
    }
    let (name_a, name_b) =
        rules::validate_name_pair(&name_a, &name_b).map_err(|e| e.to_string())?;
    let desc_a = rules::validate_description(&desc_a).map_err(|e| e.to_string())?;
    let desc_b = rules::validate_description(&desc_b).map_err(|e| e.to_string())?;
    let muted = match obj.get("muted") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => return Err(format!("muted is {other}, not true or false")),
    };
    Ok(PairDefinition {
        association_id,
        unique_identifier: unique,
        endpoint_a: EndpointDefinition {
            name: name_a,
            description: desc_a,
        },
        endpoint_b: EndpointDefinition {
            name: name_b,
            description: desc_b,
        },
        persistent: true,
        muted,
    })
}

/// The temporary file a write goes through, beside the real one.
pub fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.tmp"))
}

/// Writes `contents` so that a crash at any instant leaves either the old or the new file:
/// write a temporary file (0600), fsync it, rename it over the old one, fsync the directory.
pub fn write_atomic(path: &Path, contents: &str) -> Result<(), ConfigError> {
    let err = |source| ConfigError::Write {
        path: path.to_path_buf(),
        source,
    };
    let tmp = temp_path(path);
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(err)?;
    file.write_all(contents.as_bytes()).map_err(err)?;
    file.sync_all().map_err(err)?;
    drop(file);
    fs::rename(&tmp, path).map_err(err)?;
    let dir = path.parent().unwrap_or(Path::new("."));
    File::open(dir).and_then(|d| d.sync_all()).map_err(err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"{
  "header": { "product": "midi", "fileVersion": 1, "_comment": "hand written" },
  "endpointTransportPluginSettings": {
    "{10088473-9478-4E62-850B-3D2315E135B8}": { "create": { "x": { "endpoint": { "name": "Basic" } } } },
    "{942BF02D-93C0-4EA8-B03E-D51156CA75E1}": {
      "_comment": "loopbacks",
      "create": {
        "{7AF38A08-0F4B-43AD-B218-1757496F0034}": {
          "endpointA": { "name": "My Loopback (A)", "description": "", "uniqueIdentifier": "abc12345", "umpOnly": true },
          "endpointB": { "name": "My Loopback (B)", "description": "", "uniqueIdentifier": "abc12345" },
          "muted": false
        },
        "{BAD}": { "endpointA": {} }
      }
    }
  }
}"#;

    #[test]
    fn round_trip_keeps_unknown_parts() {
        let mut doc = ConfigDocument::parse(SAMPLE, Path::new("x")).unwrap();
        let (pairs, skipped) = doc.pairs();
        assert_eq!(pairs.len(), 1);
        assert_eq!(skipped.len(), 1);
        assert_eq!(skipped[0].key, "{BAD}");
        let mut def = pairs[0].clone();
        def.muted = true;
        doc.upsert_pair(&def);
        let text = doc.to_json_string();
        for kept in ["hand written", "loopbacks", "Basic", "umpOnly", "{BAD}"] {
            assert!(text.contains(kept), "{kept} lost in {text}");
        }
        assert!(doc.remove_pair(def.association_id));
        assert!(!doc.to_json_string().contains("7AF38A08"));
    }

    #[test]
    fn parse_error_names_line_and_column() {
        match ConfigDocument::parse("{\n  \"a\": ,\n}", Path::new("f.json")) {
            Err(ConfigError::Parse { line, column, .. }) => {
                assert_eq!(line, 2);
                assert_eq!(column, 8);
            }
            other => panic!("{other:?}"),
        }
    }
}
