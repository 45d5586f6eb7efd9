//! How the product prints: colour (or not), tables, key/value blocks, JSON, errors, and the
//! display width of text. Every command, the wizard and the dashboard print through these so
//! the product has one look.

use serde::Serialize;
use std::io::IsTerminal;
use unicode_width::UnicodeWidthStr;

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

/// The terminal's width when stdout is one; `None` in a pipe (print everything).
pub fn terminal_width() -> Option<usize> {
    if !std::io::stdout().is_terminal() {
        return None;
    }
    crossterm::terminal::size().ok().map(|(w, _)| w as usize)
}

/// Display width of a string (wide characters count two).
pub fn width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
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

/// A plain table: a header row and aligned columns separated by two spaces.
#[derive(Debug, Default)]
pub struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
    /// Columns that may be shortened (with `…`) to fit the terminal.
    shrinkable: Vec<usize>,
}

impl Table {
    pub fn new(headers: &[&str]) -> Table {
        Table {
            headers: headers.iter().map(|h| h.to_string()).collect(),
            ..Default::default()
        }
    }

    /// Marks columns that may be cut with `…` when the table is too wide.
    pub fn shrink(mut self, columns: &[usize]) -> Table {
        self.shrinkable = columns.to_vec();
        self
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// Renders the table, fitting `max_width` when given by cutting the shrinkable columns.
    pub fn render(&self, style: Style, max_width: Option<usize>) -> String {
        let n = self.headers.len();
        let mut widths: Vec<usize> = (0..n)
            .map(|i| {
                self.rows
                    .iter()
                    .map(|r| width(&r[i]))
                    .chain([width(&self.headers[i])])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        if let Some(max) = max_width {
            let total = |w: &[usize]| w.iter().sum::<usize>() + 2 * (n.saturating_sub(1));
            while total(&widths) > max {
                // Cut the widest shrinkable column by one, down to a readable minimum.
                let Some(&col) = self
                    .shrinkable
                    .iter()
                    .filter(|&&c| widths[c] > 8)
                    .max_by_key(|&&c| widths[c])
                else {
                    break;
                };
                widths[col] -= 1;
            }
        }
        let line = |cells: &[String], bold: bool| {
            let mut out = String::new();
            for (i, cell) in cells.iter().enumerate() {
                let text = ellipsize(cell, widths[i]);
                let pad = widths[i] - width(&text);
                let last = i + 1 == n;
                let shown = if bold { style.bold(&text) } else { text };
                out.push_str(&shown);
                if !last {
                    out.push_str(&" ".repeat(pad + 2));
                }
            }
            out.trim_end().to_string()
        };
        let mut out = line(&self.headers, true);
        out.push('\n');
        for r in &self.rows {
            out.push_str(&line(r, false));
            out.push('\n');
        }
        out
    }
}

/// Key/value lines, the keys aligned, for one object (a created pair, the engine status).
pub fn key_values(style: Style, rows: &[(&str, String)]) -> String {
    let w = rows.iter().map(|(k, _)| width(k)).max().unwrap_or(0);
    let mut out = String::new();
    for (k, v) in rows {
        let pad = " ".repeat(w - width(k));
        out.push_str(&format!("  {}{pad}  {v}\n", style.dim(k)));
    }
    out
}

/// Prints a value as pretty JSON on stdout (the only thing printed in `--json` mode).
pub fn print_json<T: Serialize>(value: &T) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).expect("output types always serialise")
    );
}

/// Prints an error the one way the product does: `error: …` then `hint: …` lines, on stderr.
pub fn print_error(message: &str, hint: Option<&str>) {
    let style = Style {
        color: std::env::var_os("NO_COLOR").is_none() && std::io::stderr().is_terminal(),
    };
    eprintln!("{} {message}", style.bad("error:"));
    if let Some(h) = hint {
        eprintln!("{} {h}", style.dim("hint:"));
    }
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
    fn table_aligns_and_shrinks() {
        let mut t = Table::new(&["A", "NAME"]).shrink(&[1]);
        t.row(vec!["x".into(), "a very long name indeed".into()]);
        let full = t.render(Style::plain(), None);
        assert_eq!(full, "A  NAME\nx  a very long name indeed\n");
        let cut = t.render(Style::plain(), Some(15));
        assert_eq!(cut, "A  NAME\nx  a very long…\n");
    }
}
