//! Reading UMP words typed by a person or written in a file: `0x…` is hex and `0b…` binary
//! whatever the chosen format; otherwise the `--word-format` decides.

use super::args::WordFormat;
use crate::core::ump::{self, FramingError};
use crate::face::output::count;

/// Parses one 32-bit word.
pub fn parse_word(text: &str, format: WordFormat) -> Result<u32, String> {
    let t = text.trim().replace('_', "");
    let lower = t.to_ascii_lowercase();
    let (digits, radix, name) = if let Some(h) = lower.strip_prefix("0x") {
        (h.to_string(), 16, "hex")
    } else if let Some(b) = lower.strip_prefix("0b") {
        (b.to_string(), 2, "binary")
    } else {
        match format {
            WordFormat::Hex => (lower.clone(), 16, "hex"),
            WordFormat::Decimal => (lower.clone(), 10, "decimal"),
            WordFormat::Binary => (lower.clone(), 2, "binary"),
        }
    };
    u32::from_str_radix(&digits, radix)
        .map_err(|_| format!("{text:?} is not a 32-bit {name} number"))
}

/// Parses the words of one message and checks they form exactly one UMP.
pub fn parse_message(texts: &[String], format: WordFormat) -> Result<Vec<u32>, String> {
    if texts.is_empty() || texts.len() > 4 {
        return Err(format!(
            "{} words given; a message has 1 to 4 32-bit words",
            texts.len()
        ));
    }
    let words = texts
        .iter()
        .enumerate()
        .map(|(i, t)| parse_word(t, format).map_err(|e| format!("word {}: {e}", i + 1)))
        .collect::<Result<Vec<u32>, String>>()?;
    ump::check_single_message(&words).map_err(|e| match e {
        FramingError::WrongLength {
            mt,
            first,
            needed,
            given,
        } => format!(
            "a message of type {mt:X} (first word 0x{first:08X}) has exactly {}, but {given} {} given",
            count(needed as u64, "word", "words"),
            if given == 1 { "was" } else { "were" }
        ),
        other => other.to_string(),
    })?;
    Ok(words)
}

/// Parses a message file: one UMP per line, words separated by spaces, commas, `|` or tabs;
/// `#` comments and blank lines skipped. Any bad line refuses the whole file, naming the line.
pub fn parse_file(text: &str, format: WordFormat) -> Result<Vec<Vec<u32>>, String> {
    let mut messages = Vec::new();
    let mut errors = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let tokens: Vec<String> = line
            .split(|c: char| c == ',' || c == '|' || c.is_whitespace())
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect();
        match parse_message(&tokens, format) {
            Ok(words) => messages.push(words),
            Err(e) => errors.push(format!("line {}: {e}", n + 1)),
        }
    }
    if !errors.is_empty() {
        let shown: Vec<_> = errors.iter().take(5).cloned().collect();
        let more = if errors.len() > 5 {
            format!(" (and {} more)", errors.len() - 5)
        } else {
            String::new()
        };
        return Err(format!("{}{more}", shown.join("; ")));
    }
    Ok(messages)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_win_over_the_format() {
        assert_eq!(
            parse_word("0x20903C64", WordFormat::Decimal),
            Ok(0x2090_3C64)
        );
        assert_eq!(parse_word("0b101", WordFormat::Hex), Ok(5));
        assert_eq!(parse_word("20903c64", WordFormat::Hex), Ok(0x2090_3C64));
        assert_eq!(parse_word("42", WordFormat::Decimal), Ok(42));
        assert!(parse_word("0x1_0000_0000", WordFormat::Hex).is_err());
    }

    #[test]
    fn message_length_must_match_the_type() {
        let w = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(parse_message(&w(&["0x40903C00"]), WordFormat::Hex).is_err());
        assert!(parse_message(&w(&["0x40903C00", "0xC0000000"]), WordFormat::Hex).is_ok());
    }

    #[test]
    fn file_lines_and_comments() {
        let text = "# header\n0x20903C64\n\n0x40903C00, 0xC0000000 # trailing\n0x20803C00|\n";
        assert_eq!(parse_file(text, WordFormat::Hex).unwrap().len(), 3);
        let bad = "0x20903C64\n0x40903C00\n";
        assert_eq!(
            parse_file(bad, WordFormat::Hex).unwrap_err(),
            "line 2: a message of type 4 (first word 0x40903C00) has exactly 2 words, but 1 was given"
        );
    }
}
