//! How a loopback pair reads to a person. `midi loopback create` and the wizard both end by
//! printing [`created`], so the two ways of making a pair report it the same way.

use super::output::{Style, key_values, width};
use super::pair_ref;
use crate::core::model::PairInfo;

/// What a whole pair is called in a sentence: its root name (`Studio`) when it has one, else
/// both names (`Synth Out / Synth In`) — never just endpoint A's.
pub fn pair_name(pair: &PairInfo) -> String {
    match pair_ref::root_name(pair) {
        Some(root) => root.to_string(),
        None => format!("{} / {}", pair.endpoint_a.name, pair.endpoint_b.name),
    }
}

/// How to name the pair on a command line: its root name, else endpoint A's name, quoted
/// for a shell when needed.
pub fn pair_argument(pair: &PairInfo) -> String {
    let name = pair_ref::root_name(pair).unwrap_or(&pair.endpoint_a.name);
    shell_quote(name)
}

/// Quotes a word for a POSIX shell when it needs it, the way a person would type it.
pub fn shell_quote(word: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "_./:=@%+,-".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        word.to_string()
    } else if !word.contains(['"', '$', '`', '\\', '!']) {
        format!("\"{word}\"")
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// A shell command broken between its words (never inside quotes, never between a flag and
/// its value) into lines of at most `max` columns that end in ` \`, the continuations
/// indented by four, so it can still be copied and run: the manual pages and the wizard's
/// summary print long commands this way.
pub fn continued_command(code: &str, max: usize) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    let mut quote: Option<char> = None;
    let mut word = String::new();
    for c in code.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            None if c == '"' || c == '\'' => quote = Some(c),
            _ => {}
        }
        if c == ' ' && quote.is_none() {
            if !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
            continue;
        }
        word.push(c);
    }
    words.extend((!word.is_empty()).then_some(word));
    // A flag and its value stay on one line: `--unique-identifier abc12345`.
    let mut grouped: Vec<String> = Vec::new();
    for w in words {
        match grouped.last_mut() {
            Some(flag) if flag.starts_with('-') && !flag.contains(' ') && !w.starts_with('-') => {
                flag.push(' ');
                flag.push_str(&w);
            }
            _ => grouped.push(w),
        }
    }
    let words = grouped;
    let mut lines: Vec<String> = vec![String::new()];
    for w in words {
        let last = lines.last_mut().expect("one line at least");
        let fits = width(last) + 1 + width(&w) + 2 <= max;
        if last.trim().is_empty() || fits {
            if !last.trim().is_empty() {
                last.push(' ');
            }
            last.push_str(&w);
        } else {
            last.push_str(" \\");
            lines.push(format!("    {w}"));
        }
    }
    lines
}

/// The report of a new pair, the same from `midi loopback create` and from the wizard.
pub fn created(s: Style, pair: &PairInfo) -> String {
    let mut out = format!("{}\n\n{}", s.ok("Loopback pair created."), details(s, pair));
    out.push_str(&format!(
        "\nWhat goes out on A arrives at B, and the other way round.\n{}\n",
        s.dim(&format!(
            "Remove it with: midi loopback remove --association-id {}",
            pair.association_id
        ))
    ));
    out
}

/// The key/value block of one pair: its endpoints, ids, persistence and mute.
pub fn details(s: Style, pair: &PairInfo) -> String {
    let persistence = if pair.persistent {
        "yes (stored in the configuration file)"
    } else {
        "no (lasts until the engine stops; --persistent keeps it)"
    };
    block(s, pair, persistence)
}

/// The block of a pair that was just removed: nothing to keep any more, so no advice.
pub fn removed(s: Style, pair: &PairInfo) -> String {
    let persistence = if pair.persistent {
        "yes (its entry in the configuration file is deleted too)"
    } else {
        "no"
    };
    block(s, pair, persistence)
}

fn block(s: Style, pair: &PairInfo, persistence: &str) -> String {
    key_values(
        s,
        &[
            ("Endpoint A", s.bold(&pair.endpoint_a.name)),
            ("", s.id(pair.endpoint_a.id.as_str())),
            ("Endpoint B", s.bold(&pair.endpoint_b.name)),
            ("", s.id(pair.endpoint_b.id.as_str())),
            ("Association Id", s.id(&pair.association_id.to_string())),
            ("Unique Id", pair.unique_identifier.to_string()),
            ("Persistent", persistence.to_string()),
            ("Muted", yes_no(pair.muted).to_string()),
        ],
    )
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_quoted_only_when_needed() {
        assert_eq!(shell_quote("abc12345"), "abc12345");
        assert_eq!(shell_quote("My Loopback (A)"), "\"My Loopback (A)\"");
        assert_eq!(shell_quote("it's $5"), r"'it'\''s $5'");
        assert_eq!(shell_quote(""), "\"\"");
    }
}
