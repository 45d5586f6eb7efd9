//! A JSON tree that keeps every value as it was written, for editing a file that is not all
//! ours: numbers and strings keep their text (`123456789012345678901234567890`, `1.10`, `1e2`,
//! `-0`, `"\u00e9"`), and objects keep every member in order — duplicate keys included — each
//! with the line and column where its key stands, so an ambiguity can be named, not guessed.
//!
//! Only the layout (indentation, spaces) is rewritten: [`Node::to_pretty`] prints the same
//! shape `serde_json` pretty-prints.

use serde::de::IgnoredAny;
use std::fmt;

/// Where something stands in the text: line and column from 1, the column in bytes (as
/// `serde_json` counts it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}", self.line, self.column)
    }
}

/// One JSON value, with scalars kept as written.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// `null`, `true`, `false` or a number, exactly as written.
    Literal(String),
    /// A string: as written (quotes and escapes included), and what it says.
    String {
        raw: String,
        value: String,
    },
    Array(Vec<Node>),
    Object(Object),
}

/// An object's members, in the order written, duplicates kept.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Object {
    pub members: Vec<Member>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    /// The key as it reads (escapes resolved).
    pub key: String,
    raw_key: String,
    /// Where the key stands in the text it was read from; `None` for a member added since.
    pub at: Option<Position>,
    pub value: Node,
}

/// Why a text is not JSON, where, in `serde_json`'s own words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl Node {
    /// A string value, written the way `serde_json` writes strings.
    pub fn string(value: &str) -> Node {
        Node::String {
            raw: serde_json::to_string(value).expect("a string always serialises"),
            value: value.to_string(),
        }
    }

    pub fn bool(value: bool) -> Node {
        Node::Literal(value.to_string())
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Node::String { value, .. } => Some(value),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Node::Literal(t) if t == "true" => Some(true),
            Node::Literal(t) if t == "false" => Some(false),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Node::Literal(t) if t == "null")
    }

    pub fn as_object(&self) -> Option<&Object> {
        match self {
            Node::Object(o) => Some(o),
            _ => None,
        }
    }

    pub fn as_object_mut(&mut self) -> Option<&mut Object> {
        match self {
            Node::Object(o) => Some(o),
            _ => None,
        }
    }

    /// What kind of value this is, for messages ("a string", "an array", …).
    pub fn kind(&self) -> &'static str {
        match self {
            Node::Literal(t) if t == "null" => "null",
            Node::Literal(t) if t == "true" || t == "false" => "a boolean",
            Node::Literal(_) => "a number",
            Node::String { .. } => "a string",
            Node::Array(_) => "an array",
            Node::Object(_) => "an object",
        }
    }

    /// The value on one line, scalars as written.
    pub fn to_compact(&self) -> String {
        let mut out = String::new();
        self.write(&mut out, None);
        out
    }

    /// The value pretty-printed with two-space indentation, scalars as written.
    pub fn to_pretty(&self) -> String {
        let mut out = String::new();
        self.write(&mut out, Some(0));
        out
    }

    /// Writes the value; `indent` is `None` for one line, else the current depth.
    fn write(&self, out: &mut String, indent: Option<usize>) {
        match self {
            Node::Literal(raw) | Node::String { raw, .. } => out.push_str(raw),
            Node::Array(items) => write_list(out, indent, ('[', ']'), items, |out, item, inner| {
                item.write(out, inner)
            }),
            Node::Object(obj) => obj.write(out, indent),
        }
    }
}

fn write_list<T>(
    out: &mut String,
    indent: Option<usize>,
    (open, close): (char, char),
    items: &[T],
    mut each: impl FnMut(&mut String, &T, Option<usize>),
) {
    out.push(open);
    if items.is_empty() {
        out.push(close);
        return;
    }
    let inner = indent.map(|d| d + 1);
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        if let Some(depth) = inner {
            out.push('\n');
            out.push_str(&"  ".repeat(depth));
        }
        each(out, item, inner);
    }
    if let Some(depth) = indent {
        out.push('\n');
        out.push_str(&"  ".repeat(depth));
    }
    out.push(close);
}

impl Object {
    /// The object pretty-printed (see [`Node::to_pretty`]).
    pub fn to_pretty(&self) -> String {
        let mut out = String::new();
        self.write(&mut out, Some(0));
        out
    }

    fn write(&self, out: &mut String, indent: Option<usize>) {
        write_list(
            out,
            indent,
            ('{', '}'),
            &self.members,
            |out, member, inner| {
                out.push_str(&member.raw_key);
                out.push_str(if inner.is_some() { ": " } else { ":" });
                member.value.write(out, inner);
            },
        )
    }

    /// The first member under `key`.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.members.iter().find(|m| m.key == key).map(|m| &m.value)
    }

    /// The first two members whose keys are the same (compared by `same`), if any.
    pub fn first_duplicate(&self, same: impl Fn(&str, &str) -> bool) -> Option<(&Member, &Member)> {
        self.members.iter().enumerate().find_map(|(i, first)| {
            self.members[i + 1..]
                .iter()
                .find(|later| same(&first.key, &later.key))
                .map(|later| (first, later))
        })
    }

    /// Sets `key` to `value`: the first member under it is replaced (kept as it is when it
    /// already says the same, so its text does not change), or a member is added at the end.
    pub fn set(&mut self, key: &str, value: Node) {
        match self.members.iter_mut().find(|m| m.key == key) {
            Some(m) if same_meaning(&m.value, &value) => {}
            Some(m) => m.value = value,
            None => self.push(key, value),
        }
    }

    /// Adds a member at the end.
    pub fn push(&mut self, key: &str, value: Node) {
        self.members.push(Member {
            key: key.to_string(),
            raw_key: serde_json::to_string(key).expect("a string always serialises"),
            at: None,
            value,
        });
    }
}

/// Two scalars that say the same (a string however escaped); structures never compare equal,
/// so a replaced structure is always written anew.
fn same_meaning(a: &Node, b: &Node) -> bool {
    match (a, b) {
        (Node::String { value: x, .. }, Node::String { value: y, .. }) => x == y,
        (Node::Literal(x), Node::Literal(y)) => x == y,
        _ => false,
    }
}

/// Parses JSON text. What `serde_json` refuses is refused with its message and position; what
/// it accepts becomes a tree with every scalar as written.
pub fn parse(text: &str) -> Result<Node, SyntaxError> {
    if let Err(quick) = serde_json::from_str::<IgnoredAny>(text) {
        // The full reader words some errors better ("trailing comma"); ask it once it matters.
        let e = serde_json::from_str::<serde_json::Value>(text)
            .err()
            .unwrap_or(quick);
        return Err(SyntaxError {
            line: e.line(),
            column: e.column(),
            message: e
                .to_string()
                .split(" at line")
                .next()
                .unwrap_or("")
                .to_string(),
        });
    }
    let mut parser = Parser {
        text,
        bytes: text.as_bytes(),
        pos: 0,
        lines: LineCount::default(),
    };
    parser.skip_space();
    parser.value()
}

/// A recursive-descent reader for text `serde_json` has already accepted (so the depth is
/// within its limit of 128, and the syntax is right); it only records what it passes.
struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    lines: LineCount,
}

/// How far [`Parser::position`] has counted: newlines before `counted`, and where the last
/// of them ended.
#[derive(Default)]
struct LineCount {
    counted: usize,
    line: usize,
    line_start: usize,
}

impl Parser<'_> {
    fn skip_space(&mut self) {
        while matches!(self.bytes.get(self.pos), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    /// The position of `offset`, counting lines from where the last call left off (the reader
    /// asks in increasing order, so a large file is scanned once).
    fn position(&mut self, offset: usize) -> Position {
        if offset < self.lines.counted {
            self.lines = LineCount::default();
        }
        for (i, b) in self.bytes[self.lines.counted..offset].iter().enumerate() {
            if *b == b'\n' {
                self.lines.line += 1;
                self.lines.line_start = self.lines.counted + i + 1;
            }
        }
        self.lines.counted = offset;
        Position {
            line: self.lines.line + 1,
            column: offset - self.lines.line_start + 1,
        }
    }

    fn fail(&mut self, message: impl Into<String>) -> SyntaxError {
        let at = self.position(self.pos);
        SyntaxError {
            line: at.line,
            column: at.column,
            message: message.into(),
        }
    }

    /// Expects `byte` (after space) and steps over it.
    fn expect(&mut self, byte: u8) -> Result<(), SyntaxError> {
        self.skip_space();
        if self.bytes.get(self.pos) != Some(&byte) {
            return Err(self.fail(format!("expected `{}`", byte as char)));
        }
        self.pos += 1;
        Ok(())
    }

    /// True (and steps over it) when the next byte after space is `byte`.
    fn eat(&mut self, byte: u8) -> bool {
        self.skip_space();
        let found = self.bytes.get(self.pos) == Some(&byte);
        if found {
            self.pos += 1;
        }
        found
    }

    fn value(&mut self) -> Result<Node, SyntaxError> {
        self.skip_space();
        match self.bytes.get(self.pos) {
            Some(b'{') => self.object(),
            Some(b'[') => self.array(),
            Some(b'"') => {
                let (raw, value) = self.string()?;
                Ok(Node::String { raw, value })
            }
            Some(_) => {
                let start = self.pos;
                while matches!(
                    self.bytes.get(self.pos),
                    Some(b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E' | b'a'..=b'z')
                ) {
                    self.pos += 1;
                }
                if start == self.pos {
                    return Err(self.fail("expected value"));
                }
                Ok(Node::Literal(self.text[start..self.pos].to_string()))
            }
            None => Err(self.fail("expected value")),
        }
    }

    /// A string token: its text as written, and its value as `serde_json` reads it (which
    /// refuses lone surrogates that its syntax check lets through).
    fn string(&mut self) -> Result<(String, String), SyntaxError> {
        let start = self.pos;
        self.pos += 1;
        loop {
            match self.bytes.get(self.pos) {
                Some(b'\\') => self.pos += 2,
                Some(b'"') => break,
                Some(_) => self.pos += 1,
                None => return Err(self.fail("EOF while parsing a string")),
            }
        }
        self.pos += 1;
        let raw = &self.text[start..self.pos];
        match serde_json::from_str::<String>(raw) {
            Ok(value) => Ok((raw.to_string(), value)),
            Err(e) => {
                let at = self.position(start);
                Err(SyntaxError {
                    line: at.line,
                    column: at.column + e.column() - 1,
                    message: e
                        .to_string()
                        .split(" at line")
                        .next()
                        .unwrap_or("")
                        .to_string(),
                })
            }
        }
    }

    fn array(&mut self) -> Result<Node, SyntaxError> {
        self.expect(b'[')?;
        let mut items = Vec::new();
        if self.eat(b']') {
            return Ok(Node::Array(items));
        }
        loop {
            items.push(self.value()?);
            if self.eat(b']') {
                return Ok(Node::Array(items));
            }
            self.expect(b',')?;
        }
    }

    fn object(&mut self) -> Result<Node, SyntaxError> {
        self.expect(b'{')?;
        let mut members = Vec::new();
        if self.eat(b'}') {
            return Ok(Node::Object(Object { members }));
        }
        loop {
            self.skip_space();
            let at = self.position(self.pos);
            let (raw_key, key) = self.string()?;
            self.expect(b':')?;
            let value = self.value()?;
            members.push(Member {
                key,
                raw_key,
                at: Some(at),
                value,
            });
            if self.eat(b'}') {
                return Ok(Node::Object(Object { members }));
            }
            self.expect(b',')?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_keep_their_text_and_duplicates_their_places() {
        let text = "{\n  \"n\": 123456789012345678901234567890,\n  \"d\": [1.10, 1e2, -0],\n  \"s\": \"\\u00e9\",\n  \"n\": {}\n}";
        let tree = parse(text).unwrap();
        assert_eq!(
            tree.to_pretty(),
            text.replace("[1.10, 1e2, -0]", "[\n    1.10,\n    1e2,\n    -0\n  ]")
        );
        let obj = tree.as_object().unwrap();
        let (first, later) = obj.first_duplicate(|a, b| a == b).unwrap();
        assert_eq!(first.at, Some(Position { line: 2, column: 3 }));
        assert_eq!(later.at, Some(Position { line: 5, column: 3 }));
        assert_eq!(obj.get("s").and_then(Node::as_str), Some("é"));
    }

    #[test]
    fn the_pretty_form_is_serde_jsons() {
        let text = r#"{"a":[],"b":{},"c":[{"x":null,"y":[true,false]}],"d":"q\"uote"}"#;
        let value: serde_json::Value = serde_json::from_str(text).unwrap();
        let tree = parse(text).unwrap();
        assert_eq!(
            tree.to_pretty(),
            serde_json::to_string_pretty(&value).unwrap()
        );
        assert_eq!(tree.to_compact(), text);
    }

    #[test]
    fn what_serde_json_refuses_is_refused_in_its_words() {
        for text in [
            "{\"a\": }",
            "[1,]",
            "\"\\ud800\"",
            "{\"a\": \"\\udc00x\"}",
            "",
        ] {
            let theirs = serde_json::from_str::<serde_json::Value>(text).unwrap_err();
            let ours = parse(text).unwrap_err();
            assert_eq!(
                (ours.line, ours.column),
                (theirs.line(), theirs.column()),
                "{text}"
            );
            assert!(
                theirs.to_string().starts_with(&ours.message),
                "{text}: {ours:?}"
            );
        }
    }

    #[test]
    fn setting_the_same_value_keeps_its_text() {
        let mut tree = parse(r#"{"name": "\u0050iano", "muted": false}"#).unwrap();
        let obj = tree.as_object_mut().unwrap();
        obj.set("name", Node::string("Piano"));
        obj.set("muted", Node::bool(true));
        obj.set("new", Node::string("x"));
        assert_eq!(
            tree.to_compact(),
            r#"{"name":"\u0050iano","muted":true,"new":"x"}"#
        );
    }
}
