//! How the product prints: colour (or not), tables, key/value blocks, JSON, errors, and the
//! display width of text. Every command, the wizard and the dashboard print through these so
//! the product has one look.
//!
//! Standard output is written only through [`out`], [`outln!`] and [`Stdout`], so a reader
//! that goes away (`midi loopback list | head -1`) ends every command the same way: the write
//! fails with [`ReaderGone`], which the dispatch turns into a quiet exit 0, as ripgrep does.
//! Standard error is written through [`errln!`], which never fails: a diagnostic nobody can
//! read is not worth a panic.

use serde::Serialize;
use std::fmt;
use std::io::{self, IsTerminal, Write};
use unicode_width::UnicodeWidthStr;

/// `println!` that returns an `io::Result` instead of panicking (see [`out`]).
macro_rules! outln {
    () => {
        $crate::face::output::out("\n")
    };
    ($($arg:tt)*) => {
        $crate::face::output::out(&format!("{}\n", format_args!($($arg)*)))
    };
}
pub(crate) use outln;

/// `eprintln!` that never panics (see [`note`]).
macro_rules! errln {
    ($($arg:tt)*) => {
        $crate::face::output::note(format_args!($($arg)*))
    };
}
pub(crate) use errln;

/// `--color`: when to use colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// Whether to colour, decided once from `--color`, `NO_COLOR` and whether stdout is a terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    pub color: bool,
}

impl Style {
    pub fn new(choice: ColorChoice) -> Style {
        use ColorChoice::*;
        let color = match choice {
            Always => true,
            Never => false,
            Auto => std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal(),
        };
        Style { color }
    }

    pub fn plain() -> Style {
        Style { color: false }
    }

    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    pub fn ok(&self, text: &str) -> String {
        self.paint("32", text)
    }
    pub fn bad(&self, text: &str) -> String {
        self.paint("1;31", text)
    }
    pub fn warn(&self, text: &str) -> String {
        self.paint("33", text)
    }
    pub fn dim(&self, text: &str) -> String {
        self.paint("2", text)
    }
    pub fn bold(&self, text: &str) -> String {
        self.paint("1", text)
    }
    pub fn id(&self, text: &str) -> String {
        self.paint("36", text)
    }
}

/// The width output must fit: `COLUMNS` when it is set (so a script or a test can ask for a
/// width), else the terminal's when stdout is one; `None` in a pipe, where nothing is cut.
pub fn terminal_width() -> Option<usize> {
    if let Some(columns) = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|&c| c > 0)
    {
        return Some(columns);
    }
    if !std::io::stdout().is_terminal() {
        return None;
    }
    crossterm::terminal::size().ok().map(|(w, _)| w as usize)
}

/// Display width of a string (wide characters count two; the colour codes of [`Style`] take
/// no room).
pub fn width(s: &str) -> usize {
    if !s.contains('\x1b') {
        return UnicodeWidthStr::width(s);
    }
    let mut total = 0;
    let mut rest = s;
    while let Some(start) = rest.find("\x1b[") {
        total += UnicodeWidthStr::width(&rest[..start]);
        let after = &rest[start + 2..];
        rest = match after.find('m') {
            Some(end) => &after[end + 1..],
            None => "",
        };
    }
    total + UnicodeWidthStr::width(rest)
}

/// Cuts `s` to at most `max` columns, ending in `…` when anything was cut.
pub fn ellipsize(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w + 1 > max {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

/// Cuts `s` to at most `max` columns in the middle, keeping its end: what tells names apart
/// is often at the end (`Studio Live… (A)` and `Studio Live… (B)`).
pub fn ellipsize_middle(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_string();
    }
    if max < 6 {
        return ellipsize(s, max);
    }
    // A third for the end, at least ` (A)`.
    let tail_width = ((max - 1) / 3).max(4);
    let chars: Vec<char> = s.chars().collect();
    let mut tail = String::new();
    let mut used = 0;
    for &c in chars.iter().rev() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w > tail_width {
            break;
        }
        tail.insert(0, c);
        used += w;
    }
    let head = ellipsize(s, max - used);
    format!("{head}{tail}")
}

/// How a column gives way when a table is wider than its screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fit {
    /// Never cut: short values (flags, counts, a side).
    Keep,
    /// Cut in the middle with `…`, keeping the end, down to `min` columns: names.
    Middle { min: usize },
    /// Cut at the end with `…`, down to `min` columns: ids, recognised by their start.
    End { min: usize },
}

impl Fit {
    fn min(self) -> Option<usize> {
        match self {
            Fit::Keep => None,
            Fit::Middle { min } | Fit::End { min } => Some(min),
        }
    }

    /// `text` cut to `max` columns this way.
    pub fn apply(self, text: &str, max: usize) -> String {
        match self {
            Fit::Keep => text.to_string(),
            Fit::Middle { .. } => ellipsize_middle(text, max),
            Fit::End { .. } => ellipsize(text, max),
        }
    }
}

/// On a screen, a name column ([`Fit::Middle`]) is never wider than this, so one long name
/// does not pad every row to the far edge of a wide terminal.
const WIDEST_CUT_COLUMN: usize = 40;

#[derive(Debug, Clone)]
struct Column {
    header: String,
    /// A shorter header for when the column is cut narrower than `header`.
    short_header: Option<String>,
    fit: Fit,
    /// Columns with a lower rank give way first (ids before names).
    rank: u8,
}

/// A plain table: a header row and aligned columns separated by two spaces, fitted to a
/// width by cutting the columns that may be cut (see [`Fit`]).
#[derive(Debug, Default)]
pub struct Table {
    columns: Vec<Column>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(headers: &[&str]) -> Table {
        Table {
            columns: headers
                .iter()
                .map(|h| Column {
                    header: h.to_string(),
                    short_header: None,
                    fit: Fit::Keep,
                    rank: 0,
                })
                .collect(),
            rows: Vec::new(),
        }
    }

    /// Lets column `col` be cut this way when the table is too wide; columns of a lower
    /// `rank` are cut first, each down to its minimum, before the next rank gives way.
    pub fn fit(mut self, col: usize, fit: Fit, rank: u8) -> Table {
        self.columns[col].fit = fit;
        self.columns[col].rank = rank;
        self
    }

    /// Adds a column after the others (one that only some tables have), fitted this way.
    pub fn column(mut self, header: &str, fit: Fit, rank: u8) -> Table {
        self.columns.push(Column {
            header: header.to_string(),
            short_header: None,
            fit,
            rank,
        });
        self
    }

    /// The header column `col` shows when it is cut narrower than its full header.
    pub fn short_header(mut self, col: usize, short: &str) -> Table {
        self.columns[col].short_header = Some(short.to_string());
        self
    }

    /// Marks columns that may be cut at the end (with `…`) to fit the terminal.
    pub fn shrink(self, columns: &[usize]) -> Table {
        columns
            .iter()
            .fold(self, |t, &c| t.fit(c, Fit::End { min: 8 }, 0))
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// The width of each column once fitted to `max_width` (unlimited with `None`).
    fn widths(&self, max_width: Option<usize>) -> Vec<usize> {
        let n = self.columns.len();
        let mut widths: Vec<usize> = (0..n)
            .map(|i| {
                self.rows
                    .iter()
                    .map(|r| width(&r[i]))
                    .chain([width(&self.columns[i].header)])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let Some(max) = max_width else {
            return widths;
        };
        for (w, c) in widths.iter_mut().zip(&self.columns) {
            if matches!(c.fit, Fit::Middle { .. }) {
                *w = (*w).min(WIDEST_CUT_COLUMN);
            }
        }
        let total = |w: &[usize]| w.iter().sum::<usize>() + 2 * n.saturating_sub(1);
        while total(&widths) > max {
            // The widest column of the lowest rank that can still give.
            let Some(col) = (0..n)
                .filter(|&c| self.columns[c].fit.min().is_some_and(|m| widths[c] > m))
                .min_by_key(|&c| (self.columns[c].rank, std::cmp::Reverse(widths[c])))
            else {
                break;
            };
            widths[col] -= 1;
        }
        widths
    }

    /// Renders the table, fitting `max_width` when given.
    pub fn render(&self, style: Style, max_width: Option<usize>) -> String {
        let widths = self.widths(max_width);
        let n = widths.len();
        let line = |cells: &[String], bold: bool| {
            let mut out = String::new();
            for (i, cell) in cells.iter().enumerate() {
                let fit = match self.columns[i].fit {
                    Fit::Keep => Fit::End { min: 0 },
                    other => other,
                };
                let text = fit.apply(cell, widths[i]);
                let pad = widths[i].saturating_sub(width(&text));
                let shown = if bold { style.bold(&text) } else { text };
                out.push_str(&shown);
                if i + 1 != n {
                    out.push_str(&" ".repeat(pad + 2));
                }
            }
            out.trim_end().to_string()
        };
        let headers: Vec<String> = self
            .columns
            .iter()
            .zip(&widths)
            .map(|(c, &w)| match &c.short_header {
                Some(short) if width(&c.header) > w => short.clone(),
                _ => c.header.clone(),
            })
            .collect();
        let mut out = line(&headers, true);
        out.push('\n');
        for r in &self.rows {
            out.push_str(&line(r, false));
            out.push('\n');
        }
        out
    }
}

/// Columns of fixed widths for rows printed one at a time, as they come (the monitor): the
/// widths are chosen before the first row; a cell longer than its column continues on the
/// next line, in its column, broken at a space (right-aligned number columns never break).
/// The last column takes what is left, or everything with no width to fit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowLayout {
    /// Each column but the last: its width and whether it is right-aligned.
    pub columns: Vec<(usize, bool)>,
    /// The last column's width; `None`: unlimited, rows never wrap.
    pub last: Option<usize>,
}

impl RowLayout {
    /// The lines of one row.
    pub fn render(&self, cells: &[String]) -> Vec<String> {
        // Right-aligned columns hold numbers: one too long for its column pushes the row
        // rather than break in two.
        let wrap_cell = |text: &str, w: Option<usize>, right: bool| match w {
            Some(w) if self.last.is_some() && !right => wrap(text, w),
            _ => vec![text.to_string()],
        };
        let mut pieces: Vec<Vec<String>> = Vec::with_capacity(cells.len());
        for (i, cell) in cells.iter().enumerate() {
            let (w, right) = match self.columns.get(i) {
                Some(&(w, right)) => (Some(w), right),
                None => (self.last, false),
            };
            pieces.push(wrap_cell(cell, w, right));
        }
        let height = pieces.iter().map(Vec::len).max().unwrap_or(1);
        (0..height)
            .map(|line| {
                let mut out = String::new();
                for (i, cell) in pieces.iter().enumerate() {
                    let text = cell.get(line).map(String::as_str).unwrap_or("");
                    match self.columns.get(i) {
                        Some(&(w, right)) => {
                            let pad = " ".repeat(w.saturating_sub(width(text)));
                            if right {
                                out.push_str(&pad);
                                out.push_str(text);
                            } else {
                                out.push_str(text);
                                out.push_str(&pad);
                            }
                            out.push_str("  ");
                        }
                        None => out.push_str(text),
                    }
                }
                out.trim_end().to_string()
            })
            .collect()
    }
}

/// `1 pair`, `2 pairs`, `0 pairs`: a number with its noun, never `pair(s)`.
pub fn count(n: u64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// Breaks `text` into lines of at most `max` columns at spaces (runs of spaces between words
/// become one); a word longer than a line is cut where it must, so nothing is lost.
pub fn wrap(text: &str, max: usize) -> Vec<String> {
    wrap_with(text, max, true)
}

/// Like [`wrap`], but a word longer than a line stays whole on a line of its own (an id, a
/// path: cut in two it could not be copied).
pub fn wrap_words(text: &str, max: usize) -> Vec<String> {
    wrap_with(text, max, false)
}

fn wrap_with(text: &str, max: usize, cut_long_words: bool) -> Vec<String> {
    let max = max.max(1);
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let gap = usize::from(!line.is_empty());
        if !line.is_empty() && width(&line) + gap + width(word) > max {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
        while cut_long_words && width(&line) > max {
            let (head, rest) = split_at_width(&line, max);
            lines.push(head);
            line = rest;
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// The first `max` columns of `s`, and the rest.
fn split_at_width(s: &str, max: usize) -> (String, String) {
    let mut used = 0;
    for (i, c) in s.char_indices() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w > max {
            return (s[..i].to_string(), s[i..].to_string());
        }
        used += w;
    }
    (s.to_string(), String::new())
}

/// A duration as people read it, at most two units, the second zero-padded so a live
/// display keeps its width: `12s`, `4m 05s`, `1h 02m`, `3d 04h`.
pub fn duration(seconds: u64) -> String {
    let (d, h, m, s) = (
        seconds / 86_400,
        seconds / 3600 % 24,
        seconds / 60 % 60,
        seconds % 60,
    );
    if d > 0 {
        format!("{d}d {h:02}h")
    } else if h > 0 {
        format!("{h}h {m:02}m")
    } else if m > 0 {
        format!("{m}m {s:02}s")
    } else {
        format!("{s}s")
    }
}

/// A sentence or two as lines that fit the screen (see [`terminal_width`]), broken at spaces,
/// ending in a newline; as it is off a terminal. Words are never cut.
pub fn paragraph(text: &str) -> String {
    let mut out = paragraph_at(text, terminal_width());
    out.push('\n');
    out
}

/// Text fitted to a screen of a known width (unchanged with `None`): each line of it broken
/// at spaces, so no word is cut by the terminal's own wrapping.
pub fn paragraph_at(text: &str, screen: Option<usize>) -> String {
    match screen {
        Some(w) => text
            .lines()
            .map(|line| wrap_words(line, w).join("\n"))
            .collect::<Vec<_>>()
            .join("\n"),
        None => text.to_string(),
    }
}

/// Key/value lines, the keys aligned, for one object (a created pair, the engine status). On
/// a screen (see [`terminal_width`]) a long plain value continues under itself, broken at
/// spaces; a word is never cut, so ids and paths stay whole.
pub fn key_values(style: Style, rows: &[(&str, String)]) -> String {
    key_values_at(style, rows, terminal_width())
}

/// [`key_values`] for a screen of a known width (the wizard's terminal is stderr), or
/// unlimited with `None`.
pub fn key_values_at(style: Style, rows: &[(&str, String)], screen: Option<usize>) -> String {
    let w = rows.iter().map(|(k, _)| width(k)).max().unwrap_or(0);
    let indent = 2 + w + 2;
    let mut out = String::new();
    for (k, v) in rows {
        let pad = " ".repeat(w - width(k));
        let lines = match screen {
            Some(screen) => wrap_words(v, screen.saturating_sub(indent)),
            _ => vec![v.clone()],
        };
        for (i, line) in lines.iter().enumerate() {
            match i {
                0 => out.push_str(&format!("  {}{pad}  {line}\n", style.dim(k))),
                _ => out.push_str(&format!("{}{line}\n", " ".repeat(indent))),
            }
        }
    }
    out
}

/// Prints a value as pretty JSON on stdout (the only thing printed in `--json` mode).
pub fn print_json<T: Serialize>(value: &T) -> io::Result<()> {
    let mut text = serde_json::to_string_pretty(value).expect("output types always serialise");
    text.push('\n');
    out(&text)
}

/// Prints an error the one way the product does: `error: …` then `hint: …` lines, on stderr.
pub fn print_error(message: &str, hint: Option<&str>) {
    let style = Style {
        color: std::env::var_os("NO_COLOR").is_none() && std::io::stderr().is_terminal(),
    };
    errln!("{} {message}", style.bad("error:"));
    if let Some(h) = hint {
        errln!("{} {h}", style.dim("hint:"));
    }
}

/// Prints a warning the way errors are printed (`warning: …`, then `hint: …`), on stderr:
/// something the user should know about a command that still succeeded.
pub fn print_warning(message: &str, hint: Option<&str>) {
    let style = Style {
        color: std::env::var_os("NO_COLOR").is_none() && std::io::stderr().is_terminal(),
    };
    errln!("{} {message}", style.warn("warning:"));
    if let Some(h) = hint {
        errln!("{} {h}", style.dim("hint:"));
    }
}

/// Why a write to standard output failed when its reader closed the pipe. Only writes
/// through this module carry it, so a broken pipe to the engine is never mistaken for it.
#[derive(Debug)]
pub struct ReaderGone;

impl fmt::Display for ReaderGone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the reader of standard output went away")
    }
}

impl std::error::Error for ReaderGone {}

fn mark_reader_gone(e: io::Error) -> io::Error {
    if e.kind() == io::ErrorKind::BrokenPipe {
        io::Error::new(io::ErrorKind::BrokenPipe, ReaderGone)
    } else {
        e
    }
}

/// Writes `text` to standard output at once (flushed, so a closed reader is noticed here).
pub fn out(text: &str) -> io::Result<()> {
    let mut stdout = io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(mark_reader_gone)
}

/// Standard output as a [`Write`] for streams of lines (monitor, watch); wrap it in a
/// `BufWriter` and flush after each batch.
pub struct Stdout(io::Stdout);

impl Stdout {
    pub fn new() -> Stdout {
        Stdout(io::stdout())
    }
}

impl Default for Stdout {
    fn default() -> Stdout {
        Stdout::new()
    }
}

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf).map_err(mark_reader_gone)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.0.flush().map_err(mark_reader_gone)
    }
}

/// Whether an error is standard output's reader going away: the end of a command whose
/// output nobody reads any more, not a failure.
pub fn reader_gone(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause.is::<ReaderGone>()
            || cause
                .downcast_ref::<io::Error>()
                .and_then(|e| e.get_ref())
                .is_some_and(|inner| inner.is::<ReaderGone>())
    })
}

/// Writes one line to standard error, ignoring failure (nobody may be reading it).
pub fn note(args: fmt::Arguments<'_>) {
    let _ = writeln!(io::stderr().lock(), "{args}");
}

/// Writes `text` to standard error as it is (its own line end: raw mode wants `\r\n`),
/// ignoring failure.
pub fn note_raw(text: &str) {
    let mut stderr = io::stderr().lock();
    let _ = stderr
        .write_all(text.as_bytes())
        .and_then(|()| stderr.flush());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_use_two_units_at_most() {
        assert_eq!(duration(12), "12s");
        assert_eq!(duration(245), "4m 05s");
        assert_eq!(duration(3725), "1h 02m");
        assert_eq!(duration(273_600), "3d 04h");
    }

    #[test]
    fn only_standard_output_losing_its_reader_counts_as_reader_gone() {
        let ours = mark_reader_gone(io::Error::from(io::ErrorKind::BrokenPipe));
        assert!(reader_gone(&anyhow::Error::from(ours).context("listing")));
        // A broken pipe to the engine is a real failure.
        let engine = io::Error::from(io::ErrorKind::BrokenPipe);
        assert!(!reader_gone(&anyhow::Error::from(engine)));
    }

    #[test]
    fn wrapping_breaks_at_spaces_and_cuts_only_words_longer_than_a_line() {
        assert_eq!(
            wrap("note 60 (C4), velocity 100", 12),
            ["note 60", "(C4),", "velocity 100"]
        );
        assert_eq!(wrap("abcdefghij klm", 4), ["abcd", "efgh", "ij", "klm"]);
        assert_eq!(wrap("", 10), [""]);
        assert_eq!(wrap("fits", 10), ["fits"]);
    }

    #[test]
    fn long_values_continue_under_themselves_and_words_stay_whole() {
        let rows = [
            (
                "Id",
                "midiu_loop_a_0123456789abcdef0123456789abcdef".to_string(),
            ),
            (
                "Traffic",
                "12 messages, 14 words; dropped 0 muted".to_string(),
            ),
        ];
        let out = key_values_at(Style::plain(), &rows, Some(30));
        assert_eq!(
            out,
            "  Id       midiu_loop_a_0123456789abcdef0123456789abcdef\n  Traffic  12 messages, 14\n           words; dropped 0\n           muted\n"
        );
        assert_eq!(
            key_values_at(Style::plain(), &rows, None).lines().count(),
            2
        );
    }

    #[test]
    fn colour_codes_take_no_room() {
        let s = Style { color: true };
        assert_eq!(width(&s.ok("Sent")), 4);
        assert_eq!(width(&format!("{} 3 messages", s.bold("x"))), 12);
    }

    #[test]
    fn table_aligns_and_shrinks() {
        let mut t = Table::new(&["A", "NAME"]).shrink(&[1]);
        t.row(vec!["x".into(), "a very long name indeed".into()]);
        let full = t.render(Style::plain(), None);
        assert_eq!(full, "A  NAME\nx  a very long name indeed\n");
        let cut = t.render(Style::plain(), Some(15));
        assert_eq!(cut, "A  NAME\nx  a very long…\n");
    }

    #[test]
    fn names_keep_their_end_and_ids_give_way_first() {
        assert_eq!(ellipsize_middle("Studio Live Rig (A)", 13), "Studio L… (A)");
        assert_eq!(ellipsize_middle("Short (B)", 13), "Short (B)");
        let mut t = Table::new(&["ID", "NAME"])
            .fit(0, Fit::End { min: 8 }, 0)
            .fit(1, Fit::Middle { min: 10 }, 1);
        t.row(vec![
            "7af38a08-0f4b-43ad".into(),
            "Studio Live Rig (A)".into(),
        ]);
        t.row(vec![
            "8bf38a08-0f4b-43ad".into(),
            "Studio Live Rig (B)".into(),
        ]);
        let out = t.render(Style::plain(), Some(30));
        assert_eq!(
            out,
            "ID         NAME\n7af38a08…  Studio Live Rig (A)\n8bf38a08…  Studio Live Rig (B)\n"
        );
        let out = t.render(Style::plain(), Some(22));
        assert!(
            out.contains("Studio … (A)") && out.contains("Studio … (B)"),
            "{out}"
        );
        // A screen wide enough for everything still caps a long name.
        let mut wide = Table::new(&["NAME", "N"]).fit(0, Fit::Middle { min: 10 }, 0);
        wide.row(vec!["x".repeat(90), "1".into()]);
        let line = wide.render(Style::plain(), Some(300));
        assert!(line.lines().all(|l| width(l) <= 40 + 3), "{line}");
        assert!(wide.render(Style::plain(), None).contains(&"x".repeat(90)));
    }

    #[test]
    fn rows_continue_in_their_column_at_a_space() {
        let layout = RowLayout {
            columns: vec![(3, true), (8, false)],
            last: Some(12),
        };
        let lines = layout.render(&[
            "1".into(),
            "40903C00 C0000000".into(),
            "note 60 (C4), velocity 100".into(),
        ]);
        assert_eq!(
            lines,
            [
                "  1  40903C00  note 60",
                "     C0000000  (C4),",
                "               velocity 100"
            ]
        );
        let unlimited = RowLayout {
            last: None,
            ..layout
        };
        assert_eq!(
            unlimited.render(&["1".into(), "40903C00 C0000000".into(), "x".into()]),
            ["  1  40903C00 C0000000  x"]
        );
    }
}
