//! The configuration file, in the layout Windows MIDI Services uses for its MIDI 2.0
//! loopback transport, so a pair section can move between the two.
//!
//! The document is kept as a [`json_tree`] and edited in place: keys and sections this product
//! does not know (other transports, `_comment`, entries that break a rule) survive every rewrite
//! as the same text — numbers and strings as written, duplicate keys and all. What the product
//! cannot edit without guessing — two keys where it needs one, a value that is not an object
//! where it needs an object — is refused, naming the place, and the file left untouched.

mod network;

pub use network::{CLIENTS, HOSTS, NETWORK_TRANSPORT_KEY};

use super::ids::AssociationId;
use super::json_tree::{self, Member, Node, Object};
use super::model::{ConflictIndex, EndpointDefinition, PairDefinition};
use super::rules;
use std::collections::HashMap;
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use thiserror::Error;

/// The class id of the Windows MIDI Services MIDI 2.0 loopback transport (`LOOP`).
pub const LOOP_TRANSPORT_KEY: &str = "{942BF02D-93C0-4EA8-B03E-D51156CA75E1}";
const TRANSPORTS: &str = "endpointTransportPluginSettings";
/// The loopback transport's switch for the ALSA sequencer bridge.
pub const ALSA_SETTING: &str = "alsaSequencer";
const BOM: char = '\u{FEFF}';

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
    #[error(
        "configuration file {path} is a {kind}, not a regular file; replace it with a regular file or a symbolic link to one (it is left untouched)"
    )]
    NotAFile { path: PathBuf, kind: &'static str },
    #[error(
        "configuration file {path} cannot be edited safely: {detail}; fix that part by hand (the file is left untouched)"
    )]
    Uneditable { path: PathBuf, detail: String },
    #[error(
        "configuration file {path} leads to {target}, {reason}; nothing was written — keep the file in a directory only you can write"
    )]
    UnsafeTarget {
        path: PathBuf,
        target: PathBuf,
        reason: String,
    },
    #[error("cannot write configuration file {path}: {source}")]
    Write { path: PathBuf, source: io::Error },
}

/// An entry of the file that breaks a rule: reported, skipped, and left in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedEntry {
    pub key: String,
    pub reason: String,
}

/// The configuration file as a tree that keeps what it does not own as written.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigDocument {
    root: Object,
    /// Names the file in errors.
    path: PathBuf,
    /// The file began with a UTF-8 byte-order mark; a rewrite keeps it.
    bom: bool,
}

impl Default for ConfigDocument {
    fn default() -> Self {
        let mut section = Object::default();
        let mut transports = Object::default();
        let mut header = Object::default();
        header.push("product", Node::string("midi"));
        header.push("fileVersion", Node::Literal("1".into()));
        section.push("create", Node::Object(Object::default()));
        transports.push(LOOP_TRANSPORT_KEY, Node::Object(section));
        let mut root = Object::default();
        root.push("header", Node::Object(header));
        root.push(TRANSPORTS, Node::Object(transports));
        ConfigDocument {
            root,
            path: PathBuf::new(),
            bom: false,
        }
    }
}

/// Why a part of the file the product must edit cannot be edited without guessing.
struct Blocked {
    place: String,
    problem: String,
}

impl fmt::Display for Blocked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` {}", self.place, self.problem)
    }
}

/// Where a member stands, for messages.
fn at(member: &Member) -> String {
    match member.at {
        Some(p) => format!("at {p}"),
        None => "added since the file was read".to_string(),
    }
}

fn join(place: &str, key: &str) -> String {
    if place.is_empty() {
        key.to_string()
    } else {
        format!("{place}/{key}")
    }
}

/// The one member of `obj` whose key `matches`, which must hold an object: its index, `None`
/// when there is none, or why it cannot be used (it appears twice, or it is not an object).
fn one_object_member(
    obj: &Object,
    place: &str,
    matches: fn(&str) -> bool,
) -> Result<Option<usize>, Blocked> {
    let mut found = obj
        .members
        .iter()
        .enumerate()
        .filter(|(_, m)| matches(&m.key));
    let Some((index, first)) = found.next() else {
        return Ok(None);
    };
    let place = join(place, &first.key);
    if let Some((_, second)) = found.next() {
        return Err(Blocked {
            place,
            problem: format!("appears twice ({} and {})", at(first), at(second)),
        });
    }
    check_object(place, first)?;
    Ok(Some(index))
}

fn check_object(place: String, member: &Member) -> Result<&Object, Blocked> {
    member.value.as_object().ok_or_else(|| Blocked {
        place,
        problem: format!("({}) is {}, not an object", at(member), member.value.kind()),
    })
}

/// One step on the way to the pairs: which key it follows, and the key it writes when missing.
type Step = (fn(&str) -> bool, &'static str);

/// The steps from the top of the file to the loopback transport's `create` section.
const STEPS: [Step; 3] = [
    (|k| k == TRANSPORTS, TRANSPORTS),
    (
        |k| k.eq_ignore_ascii_case(LOOP_TRANSPORT_KEY),
        LOOP_TRANSPORT_KEY,
    ),
    (|k| k == "create", "create"),
];

fn names_pair(key: &str, id: AssociationId) -> bool {
    rules::parse_association_id(key).ok() == Some(id)
}

/// The index of the entry an edit of the pair goes to: the first object under a key naming
/// it, else the first value under such a key (which the edit then refuses to replace).
fn entry_index(create: &Object, id: AssociationId) -> Option<usize> {
    let named = || (create.members.iter().enumerate()).filter(|(_, m)| names_pair(&m.key, id));
    let object = named().find(|(_, m)| m.value.as_object().is_some());
    object.or_else(|| named().next()).map(|(i, _)| i)
}

impl ConfigDocument {
    /// Reads the file; a missing file is an empty document. Anything but a regular file (or a
    /// link to one) is refused without being read: a FIFO would block the reader for good.
    pub fn load(path: &Path) -> Result<ConfigDocument, ConfigError> {
        let read_err = |source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        };
        let mut file = match OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(path)
        {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Ok(ConfigDocument {
                    path: path.to_path_buf(),
                    ..ConfigDocument::default()
                });
            }
            Err(source) => return Err(read_err(source)),
        };
        let meta = file.metadata().map_err(read_err)?;
        if !meta.is_file() {
            return Err(ConfigError::NotAFile {
                path: path.to_path_buf(),
                kind: file_kind(&meta.file_type()),
            });
        }
        let mut text = String::new();
        file.read_to_string(&mut text).map_err(read_err)?;
        ConfigDocument::parse(&text, path)
    }

    /// Parses text (a leading byte-order mark is allowed and kept); `path` names the file in
    /// errors.
    pub fn parse(text: &str, path: &Path) -> Result<ConfigDocument, ConfigError> {
        let (bom, text) = match text.strip_prefix(BOM) {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let root = json_tree::parse(text).map_err(|e| ConfigError::Parse {
            path: path.to_path_buf(),
            line: e.line,
            column: e.column,
            message: e.message,
        })?;
        match root {
            Node::Object(root) => Ok(ConfigDocument {
                root,
                path: path.to_path_buf(),
                bom,
            }),
            _ => Err(ConfigError::NotAnObject {
                path: path.to_path_buf(),
            }),
        }
    }

    /// The loopback transport's `create` section and its place, `None` when the file has none.
    fn create_section(&self) -> Result<Option<(String, &Object)>, Blocked> {
        let (mut obj, mut place) = (&self.root, String::new());
        for (matches, _) in STEPS {
            let Some(i) = one_object_member(obj, &place, matches)? else {
                return Ok(None);
            };
            place = join(&place, &obj.members[i].key);
            obj = obj.members[i].value.as_object().expect("checked above");
        }
        Ok(Some((place, obj)))
    }

    /// The `create` section, made where it is missing. Call only once [`Self::create_section`]
    /// found nothing blocking.
    fn create_section_mut(&mut self) -> &mut Object {
        let mut obj = &mut self.root;
        for (matches, key) in STEPS {
            let index = match obj.members.iter().position(|m| matches(&m.key)) {
                Some(i) => i,
                None => {
                    obj.push(key, Node::Object(Object::default()));
                    obj.members.len() - 1
                }
            };
            obj = obj.members[index]
                .value
                .as_object_mut()
                .expect("checked by create_section");
        }
        obj
    }

    fn uneditable(&self, blocked: Blocked) -> ConfigError {
        ConfigError::Uneditable {
            path: self.path.clone(),
            detail: blocked.to_string(),
        }
    }

    /// The `alsaSequencer` setting of the loopback transport's section: `false` keeps the
    /// engine's endpoints out of the ALSA sequencer, `true` (or no setting) presents them.
    pub fn alsa_setting(&self) -> Option<bool> {
        self.root
            .get(TRANSPORTS)?
            .as_object()?
            .get(LOOP_TRANSPORT_KEY)?
            .as_object()?
            .get(ALSA_SETTING)?
            .as_bool()
    }

    /// The pairs the file defines, and the entries that break a rule (by key, with the reason).
    /// Conflicts between entries (a name or unique identifier used twice) skip the later entry.
    /// When the way to the entries is itself ambiguous or not an object, no pair is read and
    /// that place is reported instead.
    pub fn pairs(&self) -> (Vec<PairDefinition>, Vec<SkippedEntry>) {
        let mut pairs: Vec<PairDefinition> = Vec::new();
        let mut skipped = Vec::new();
        let create = match self.create_section() {
            Ok(Some((_, create))) => create,
            Ok(None) => return (pairs, skipped),
            Err(blocked) => {
                skipped.push(SkippedEntry {
                    key: blocked.place.clone(),
                    reason: format!(
                        "{blocked}, so no pair is read from the file and persistent changes are refused until it is fixed"
                    ),
                });
                return (pairs, skipped);
            }
        };
        let mut in_use = ConflictIndex::default();
        let mut first_at: HashMap<AssociationId, &Member> = HashMap::new();
        for member in &create.members {
            if member.key.starts_with('_') {
                continue; // `_comment` and friends are allowed anywhere
            }
            let result = parse_entry(&member.key, &member.value).and_then(|def| {
                if let Some(first) = first_at.get(&def.association_id) {
                    return Err(format!(
                        "association id {} appears twice ({} and {})",
                        def.association_id,
                        at(first),
                        at(member)
                    ));
                }
                in_use.check(&def).map_err(|e| e.to_string())?;
                Ok(def)
            });
            match result {
                Ok(def) => {
                    in_use.insert(&def);
                    first_at.insert(def.association_id, member);
                    pairs.push(def);
                }
                Err(reason) => skipped.push(SkippedEntry {
                    key: member.key.clone(),
                    reason,
                }),
            }
        }
        (pairs, skipped)
    }

    /// Adds or replaces a pair, keeping any fields of an existing entry that this product does
    /// not know. Refused, with nothing changed, when the entry or the way to it holds something
    /// the product would have to destroy or guess at.
    pub fn upsert_pair(&mut self, def: &PairDefinition) -> Result<(), ConfigError> {
        let id = def.association_id;
        match self.create_section() {
            Err(blocked) => return Err(self.uneditable(blocked)),
            Ok(Some((place, create))) => {
                if let Some(i) = entry_index(create, id) {
                    let m = &create.members[i];
                    check_editable_entry(&join(&place, &m.key), m)
                        .map_err(|b| self.uneditable(b))?;
                }
            }
            Ok(None) => {}
        }
        let create = self.create_section_mut();
        let index = match entry_index(create, id) {
            Some(i) => i,
            None => {
                create.push(&id.config_key(), Node::Object(Object::default()));
                create.members.len() - 1
            }
        };
        let entry = create.members[index]
            .value
            .as_object_mut()
            .expect("checked above");
        for (field, endpoint) in [
            ("endpointA", &def.endpoint_a),
            ("endpointB", &def.endpoint_b),
        ] {
            if entry.get(field).is_none() {
                entry.push(field, Node::Object(Object::default()));
            }
            let slot = entry
                .members
                .iter_mut()
                .find(|m| m.key == field)
                .and_then(|m| m.value.as_object_mut())
                .expect("checked or made above");
            slot.set("name", Node::string(&endpoint.name));
            slot.set("description", Node::string(&endpoint.description));
            slot.set(
                "uniqueIdentifier",
                Node::string(def.unique_identifier.as_str()),
            );
        }
        entry.set("muted", Node::bool(def.muted));
        Ok(())
    }

    /// Removes every entry that names the pair (a hand-edited file may name it twice, in two
    /// key forms); false when there was none, and then nothing is touched. A value under such a
    /// key that is not an object is no entry and stays.
    pub fn remove_pair(&mut self, id: AssociationId) -> Result<bool, ConfigError> {
        let found: Vec<usize> = match self.create_section() {
            Ok(None) => return Ok(false),
            // Nothing was read from a blocked file; refuse only if it may hold the pair.
            Err(blocked) if self.mentions(id) => return Err(self.uneditable(blocked)),
            Err(_) => return Ok(false),
            Ok(Some((_, create))) => create
                .members
                .iter()
                .enumerate()
                .filter(|(_, m)| names_pair(&m.key, id) && m.value.as_object().is_some())
                .map(|(i, _)| i)
                .collect(),
        };
        if found.is_empty() {
            return Ok(false);
        }
        let create = self.create_section_mut();
        for i in found.iter().rev() {
            create.members.remove(*i);
        }
        Ok(true)
    }

    /// True when any key anywhere in the file names the pair.
    fn mentions(&self, id: AssociationId) -> bool {
        fn in_object(o: &Object, id: AssociationId) -> bool {
            o.members
                .iter()
                .any(|m| names_pair(&m.key, id) || in_node(&m.value, id))
        }
        fn in_node(node: &Node, id: AssociationId) -> bool {
            match node {
                Node::Object(o) => in_object(o, id),
                Node::Array(items) => items.iter().any(|n| in_node(n, id)),
                _ => false,
            }
        }
        in_object(&self.root, id)
    }

    /// The document as pretty-printed JSON, ending in a newline, every value the product did
    /// not change as it was written.
    pub fn to_json_string(&self) -> String {
        let mut s = String::new();
        if self.bom {
            s.push(BOM);
        }
        s.push_str(&self.root.to_pretty());
        s.push('\n');
        s
    }

    /// The document as a `serde_json` value, for reading it: numbers as `serde_json` reads
    /// them (one too large for it stays its text), and of duplicate keys the last.
    pub fn to_value(&self) -> serde_json::Value {
        fn object(o: &Object) -> serde_json::Value {
            serde_json::Value::Object(
                o.members
                    .iter()
                    .map(|m| (m.key.clone(), convert(&m.value)))
                    .collect(),
            )
        }
        fn convert(node: &Node) -> serde_json::Value {
            match node {
                Node::Literal(raw) => serde_json::from_str(raw)
                    .unwrap_or_else(|_| serde_json::Value::String(raw.clone())),
                Node::String { value, .. } => serde_json::Value::String(value.clone()),
                Node::Array(items) => items.iter().map(convert).collect(),
                Node::Object(o) => object(o),
            }
        }
        object(&self.root)
    }
}

/// Checks that the product can write its fields into an existing entry without destroying a
/// value it does not understand or choosing between two keys.
fn check_editable_entry(place: &str, member: &Member) -> Result<(), Blocked> {
    let entry = check_object(place.to_string(), member)?;
    no_duplicates(place, entry)?;
    for field in ["endpointA", "endpointB"] {
        let Some(slot) = entry.members.iter().find(|m| m.key == field) else {
            continue;
        };
        let slot_place = join(place, field);
        let slot_obj = check_object(slot_place.clone(), slot)?;
        no_duplicates(&slot_place, slot_obj)?;
        for m in &slot_obj.members {
            if ["name", "description", "uniqueIdentifier"].contains(&m.key.as_str())
                && m.value.as_str().is_none()
            {
                return Err(Blocked {
                    place: join(&slot_place, &m.key),
                    problem: format!("({}) is {}, not a string", at(m), m.value.kind()),
                });
            }
        }
    }
    match entry.members.iter().find(|m| m.key == "muted") {
        Some(m) if m.value.as_bool().is_none() && !m.value.is_null() => Err(Blocked {
            place: join(place, "muted"),
            problem: format!("({}) is {}, not true or false", at(m), m.value.kind()),
        }),
        _ => Ok(()),
    }
}

fn no_duplicates(place: &str, obj: &Object) -> Result<(), Blocked> {
    match obj.first_duplicate(|a, b| a == b) {
        Some((first, second)) => Err(Blocked {
            place: join(place, &first.key),
            problem: format!("appears twice ({} and {})", at(first), at(second)),
        }),
        None => Ok(()),
    }
}

fn file_kind(t: &fs::FileType) -> &'static str {
    if t.is_fifo() {
        "FIFO (named pipe)"
    } else if t.is_socket() {
        "socket"
    } else if t.is_dir() {
        "directory"
    } else if t.is_char_device() {
        "character device"
    } else if t.is_block_device() {
        "block device"
    } else {
        "special file"
    }
}

fn parse_entry(key: &str, entry: &Node) -> Result<PairDefinition, String> {
    let association_id = rules::parse_association_id(key).map_err(|e| e.to_string())?;
    let obj = entry
        .as_object()
        .ok_or_else(|| format!("the entry is {}, not an object", entry.kind()))?;
    no_duplicates(key, obj).map_err(|b| format!("{b}, so the entry is ambiguous"))?;
    let side = |field: &str| -> Result<(String, String, String), String> {
        let ep = obj
            .get(field)
            .and_then(Node::as_object)
            .ok_or_else(|| format!("{field} is missing"))?;
        no_duplicates(&join(key, field), ep)
            .map_err(|b| format!("{b}, so the entry is ambiguous"))?;
        let text = |name: &str| ep.get(name).and_then(Node::as_str);
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
        None => false,
        Some(node) if node.is_null() => false,
        Some(node) => node
            .as_bool()
            .ok_or_else(|| format!("muted is {}, not true or false", node.to_compact()))?,
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

/// Where a write to `path` lands: `path` itself, or — when it is a symbolic link — the file the
/// link leads to, so a link (into a dotfiles repository, say) stays a link and its target is
/// updated. Refused when that is not a regular file, or when its directory is one that
/// someone else can write (they could swap the file under us).
pub fn write_target(path: &Path) -> Result<PathBuf, ConfigError> {
    const MAX_LINKS: usize = 40; // as the kernel allows
    let write_err = |source| ConfigError::Write {
        path: path.to_path_buf(),
        source,
    };
    let mut target = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        match fs::symlink_metadata(&target) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let link = fs::read_link(&target).map_err(write_err)?;
                target = match target.parent() {
                    Some(dir) if link.is_relative() => dir.join(link),
                    _ => link,
                };
            }
            Ok(meta) if !meta.is_file() => {
                return Err(ConfigError::NotAFile {
                    path: target,
                    kind: file_kind(&meta.file_type()),
                });
            }
            // A regular file, or none yet (the link's target is created).
            Ok(_) => return private_directory(path, target),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return private_directory(path, target);
            }
            Err(source) => return Err(write_err(source)),
        }
    }
    Err(write_err(io::Error::other(format!(
        "more than {MAX_LINKS} symbolic links in a row"
    ))))
}

/// Accepts `target` when its directory exists, belongs to this user and no one else may write
/// in it.
fn private_directory(path: &Path, target: PathBuf) -> Result<PathBuf, ConfigError> {
    let dir = target
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let refuse = |reason: String| ConfigError::UnsafeTarget {
        path: path.to_path_buf(),
        target: target.clone(),
        reason,
    };
    let meta = fs::metadata(dir).map_err(|e| {
        refuse(format!(
            "whose directory {} cannot be used: {e}",
            dir.display()
        ))
    })?;
    let me = super::paths::current_uid();
    if meta.uid() != me {
        return Err(refuse(format!(
            "whose directory {} belongs to uid {}, not to you (uid {me})",
            dir.display(),
            meta.uid()
        )));
    }
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o022 != 0 {
        return Err(refuse(format!(
            "whose directory {} is mode {mode:04o}, so others can write in it",
            dir.display()
        )));
    }
    Ok(target)
}

/// The prefix and suffix of every temporary file a write of `target` goes through: a unique
/// name each time, so two writers never share one.
fn temp_affixes(target: &Path) -> (String, &'static str) {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    (format!(".{name}."), ".tmp")
}

/// Temporary files a write of `path` left behind (a crash between writing and renaming),
/// beside the file and beside the file a link leads to. The real file is intact.
pub fn leftover_temp_files(path: &Path) -> Vec<PathBuf> {
    let mut targets = vec![path.to_path_buf()];
    if let Ok(target) = write_target(path)
        && target != path
    {
        targets.push(target);
    }
    let mut found = Vec::new();
    for target in targets {
        let (prefix, suffix) = temp_affixes(&target);
        let dir = target.parent().unwrap_or(Path::new("."));
        let Ok(entries) = fs::read_dir(dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let regular = entry.file_type().is_ok_and(|t| t.is_file());
            if regular && name.starts_with(&prefix) && name.ends_with(suffix) {
                found.push(entry.path());
            }
        }
    }
    found.sort();
    found.dedup();
    found
}

/// Writes `contents` so that a crash at any instant leaves either the old or the new file:
/// write a temporary file of a unique name (0600) beside the target, fsync it, rename it over
/// the target, fsync the directory. A symbolic link is written through (see [`write_target`]).
pub fn write_atomic(path: &Path, contents: &str) -> Result<(), ConfigError> {
    let target = write_target(path)?;
    let err = |source| ConfigError::Write {
        path: target.clone(),
        source,
    };
    let dir = target
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let (prefix, suffix) = temp_affixes(&target);
    let mut file = tempfile::Builder::new()
        .prefix(&prefix)
        .suffix(suffix)
        .permissions(fs::Permissions::from_mode(0o600))
        .tempfile_in(dir)
        .map_err(err)?;
    file.write_all(contents.as_bytes()).map_err(err)?;
    file.as_file().sync_all().map_err(err)?;
    file.persist(&target).map_err(|e| err(e.error))?;
    File::open(dir).and_then(|d| d.sync_all()).map_err(err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_alsa_setting_is_read_from_the_loopback_section() {
        let path = Path::new("midi.midiconfig.json");
        let off = format!(
            r#"{{"endpointTransportPluginSettings": {{"{LOOP_TRANSPORT_KEY}": {{"alsaSequencer": false, "create": {{}}}}}}}}"#
        );
        assert_eq!(
            ConfigDocument::parse(&off, path).unwrap().alsa_setting(),
            Some(false)
        );
        assert_eq!(ConfigDocument::default().alsa_setting(), None);
    }

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
        doc.upsert_pair(&def).unwrap();
        let text = doc.to_json_string();
        for kept in ["hand written", "loopbacks", "Basic", "umpOnly", "{BAD}"] {
            assert!(text.contains(kept), "{kept} lost in {text}");
        }
        assert!(doc.remove_pair(def.association_id).unwrap());
        assert!(!doc.to_json_string().contains("7AF38A08"));
    }

    #[test]
    fn numbers_and_strings_keep_their_text() {
        let text = SAMPLE.replace(
            "\"fileVersion\": 1,",
            "\"fileVersion\": 1, \"big\": 123456789012345678901234567890, \"d\": [1.10, 1e2, -0], \"s\": \"\\u00e9\",",
        );
        let mut doc = ConfigDocument::parse(&text, Path::new("x")).unwrap();
        let mut def = doc.pairs().0[0].clone();
        def.muted = true;
        doc.upsert_pair(&def).unwrap();
        let written = doc.to_json_string();
        for kept in [
            "123456789012345678901234567890",
            "1.10",
            "1e2",
            "-0\n",
            "\"\\u00e9\"",
        ] {
            assert!(written.contains(kept), "{kept} changed in {written}");
        }
    }

    #[test]
    fn a_blocked_way_to_the_pairs_is_reported_and_never_rewritten() {
        for (text, place) in [
            (
                r#"{"endpointTransportPluginSettings": "oops"}"#,
                "endpointTransportPluginSettings",
            ),
            (
                r#"{"endpointTransportPluginSettings": {}, "endpointTransportPluginSettings": {}}"#,
                "endpointTransportPluginSettings",
            ),
            (
                r#"{"endpointTransportPluginSettings": {"{942BF02D-93C0-4EA8-B03E-D51156CA75E1}": {"create": [1]}}}"#,
                "endpointTransportPluginSettings/{942BF02D-93C0-4EA8-B03E-D51156CA75E1}/create",
            ),
            (
                r#"{"endpointTransportPluginSettings": {"{942bf02d-93c0-4ea8-b03e-d51156ca75e1}": {}, "{942BF02D-93C0-4EA8-B03E-D51156CA75E1}": {}}}"#,
                "endpointTransportPluginSettings/{942bf02d-93c0-4ea8-b03e-d51156ca75e1}",
            ),
        ] {
            let mut doc = ConfigDocument::parse(text, Path::new("f.json")).unwrap();
            let before = doc.clone();
            let (pairs, skipped) = doc.pairs();
            assert!(pairs.is_empty());
            assert_eq!(skipped.len(), 1, "{text}");
            assert_eq!(skipped[0].key, place);
            let def = crate::core::PairSpec {
                names: Some(crate::core::NameSpec::Root("New".into())),
                persistent: true,
                ..Default::default()
            }
            .resolve()
            .unwrap();
            let refused = doc.upsert_pair(&def).unwrap_err().to_string();
            assert!(
                refused.contains("f.json") && refused.contains(place),
                "{refused}"
            );
            assert!(refused.contains("line 1, column"), "{refused}");
            assert_eq!(doc, before, "nothing changed");
            assert!(!doc.remove_pair(def.association_id).unwrap());
        }
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
