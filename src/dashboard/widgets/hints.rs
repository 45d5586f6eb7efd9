//! The footer's key hints: as many as fit, in the order given (the hints themselves come
//! from the key tables in `dashboard::keys`).

use crate::dashboard::theme::Theme;
use ratatui::text::{Line, Span};

/// `key action  key action …`, dropping hints from the end when `width` is too small.
pub fn hints_line(hints: &[(String, &str)], width: usize, theme: Theme) -> Line<'static> {
    let mut spans = Vec::new();
    let mut used = 0;
    for (key, what) in hints {
        let w = crate::face::output::width(key) + 1 + crate::face::output::width(what);
        let gap = if spans.is_empty() { 1 } else { 2 };
        if used + gap + w > width {
            break;
        }
        spans.push(Span::raw(" ".repeat(gap)));
        spans.push(Span::styled(key.clone(), theme.key()));
        spans.push(Span::raw(format!(" {what}")));
        used += gap + w;
    }
    Line::from(spans)
}
