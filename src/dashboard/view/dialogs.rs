//! What opens over the main screen: the create / rename form, the remove confirmation and the
//! help overlay.

use crate::dashboard::app::App;
use crate::dashboard::form::{Field, Form};
use crate::dashboard::keys;
use crate::dashboard::strings;
use crate::dashboard::theme::Theme;
use crate::dashboard::widgets::hints::hints_line;
use crate::dashboard::widgets::popup::popup;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

/// Columns for the field labels in the form.
const LABEL_WIDTH: usize = 15;

pub fn form(frame: &mut Frame, form: &Form, app: &App, theme: Theme) {
    let fields = form.fields();
    let height = fields.len() as u16 + 9;
    let width = frame.area().width.saturating_sub(4).min(76);
    let inner = popup(frame, width, height, form.title(), theme);
    let [hint_area, fields_area, message_area] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Length(fields.len() as u16 + 1),
        Constraint::Fill(1),
    ])
    .areas(inner);

    frame.render_widget(
        Paragraph::new(form.hint())
            .style(theme.dim())
            .wrap(Wrap { trim: true }),
        hint_area,
    );

    let verdict = app.check_form().expect("a form is open");
    let error_field = match (&verdict, form.touched) {
        (Err(e), true) => Some(e.field),
        _ => None,
    };
    let value_width = (fields_area.width as usize).saturating_sub(LABEL_WIDTH + 3);
    let mut lines = Vec::new();
    for (row, &field) in fields.iter().enumerate() {
        let focused = form.focused() == field;
        let marker = if error_field == Some(field) {
            Span::styled(strings::ERROR_MARK, theme.error())
        } else if focused {
            Span::styled("▸", theme.focus())
        } else {
            Span::raw(" ")
        };
        let label_style = if focused { theme.focus() } else { theme.base() };
        let mut spans = vec![
            marker,
            Span::raw(" "),
            Span::styled(format!("{:<LABEL_WIDTH$}", field.label()), label_style),
        ];
        if field == Field::Persistent {
            let check = if form.persistent {
                strings::CHECKBOX_ON
            } else {
                strings::CHECKBOX_OFF
            };
            spans.push(Span::styled(check, label_style));
            spans.push(Span::styled(
                format!(" {}", field.placeholder()),
                theme.dim(),
            ));
        } else if let Some(derived) = form.derived_name(field) {
            spans.push(Span::styled(derived, theme.dim()));
        } else {
            let input = form.input(field);
            if input.value().is_empty() && !focused {
                spans.push(Span::styled(field.placeholder(), theme.dim()));
            } else {
                let (shown, cursor_col) = visible_slice(input.value(), input.cursor(), value_width);
                spans.push(Span::styled(shown, theme.input()));
                if focused {
                    let x = fields_area.x + (LABEL_WIDTH + 2 + cursor_col) as u16;
                    frame.set_cursor_position(Position::new(x, fields_area.y + row as u16));
                }
            }
        }
        lines.push(Line::from(spans));
    }
    frame.render_widget(Paragraph::new(lines), fields_area);

    let message = if form.busy {
        Line::styled(strings::FORM_BUSY, theme.dim())
    } else if let Some(note) = form.note {
        Line::styled(note, theme.dim())
    } else if let Some(e) = &form.engine_error {
        Line::styled(format!("{} {e}", strings::ERROR_MARK), theme.error())
    } else {
        match (&verdict, form.touched) {
            (Err(e), true) => Line::styled(
                format!("{} {}", strings::ERROR_MARK, e.message),
                theme.error(),
            ),
            (Ok(_), true) => Line::styled(strings::FORM_OK, theme.ok()),
            _ => Line::raw(""),
        }
    };
    frame.render_widget(
        Paragraph::new(message).wrap(Wrap { trim: true }),
        message_area,
    );
}

/// The part of `value` that fits in `width` columns with the cursor in view, and the cursor's
/// column within it.
fn visible_slice(value: &str, cursor: usize, width: usize) -> (String, usize) {
    let chars: Vec<char> = value.chars().collect();
    let width = width.max(1);
    let start = (cursor + 1).saturating_sub(width);
    let shown: String = chars.iter().skip(start).take(width).collect();
    let cursor_col = crate::face::output::width(&chars[start..cursor].iter().collect::<String>());
    (shown, cursor_col)
}

pub fn confirm_remove(
    frame: &mut Frame,
    name_a: &str,
    name_b: &str,
    association_id: &str,
    persistent: bool,
    theme: Theme,
) {
    let width = frame.area().width.saturating_sub(4).min(64);
    let inner = popup(frame, width, 9, strings::CONFIRM_TITLE, theme);
    let mut lines = vec![
        Line::raw(strings::confirm_body(name_a, name_b, association_id)),
        Line::styled(strings::CONFIRM_CLIENTS, theme.dim()),
    ];
    if persistent {
        lines.push(Line::styled(strings::CONFIRM_PERSISTENT, theme.dim()));
    }
    lines.push(Line::raw(""));
    lines.push(hints_line(
        &keys::confirm_hints(),
        inner.width as usize,
        theme,
    ));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), inner);
}

/// The keys of the main screen, from the table the key handler reads ([`keys::MAIN`]), and
/// what the table's columns mean. On a screen too short for it all, it scrolls (↑ ↓).
pub fn help(frame: &mut Frame, app: &App, theme: Theme) {
    let labels: Vec<Vec<String>> = keys::MAIN
        .iter()
        .map(|s| s.lines.iter().map(|l| l.keys()).collect())
        .collect();
    let key_width = labels
        .iter()
        .flatten()
        .map(|k| crate::face::output::width(k))
        .chain(strings::LEGEND.iter().map(|(c, _)| c.len()))
        .max()
        .unwrap_or(0);
    let mut lines = Vec::new();
    for (section, labels) in keys::MAIN.iter().zip(&labels) {
        lines.push(Line::styled(section.title, theme.title()));
        for (line, label) in section.lines.iter().zip(labels) {
            lines.push(Line::from(vec![
                Span::styled(format!("  {label:<key_width$}  "), theme.key()),
                Span::raw(line.text),
            ]));
        }
    }
    lines.push(Line::styled(strings::LEGEND_TITLE, theme.title()));
    for (column, meaning) in strings::LEGEND {
        lines.push(Line::from(vec![
            Span::styled(format!("  {column:<key_width$}  "), theme.key()),
            Span::raw(*meaning),
        ]));
    }
    let width = frame.area().width.saturating_sub(4).min(76);
    // Short of the whole screen, so the footer still says how to scroll and close.
    let height = (lines.len() as u16 + 2).min(frame.area().height.saturating_sub(2));
    let inner = popup(frame, width, height, strings::HELP_TITLE, theme);
    let hidden = (lines.len() as u16).saturating_sub(inner.height);
    let scroll = app.help_scroll.min(hidden);
    if scroll < hidden {
        // Say there is more, on the bottom edge of the frame.
        let more = Rect {
            y: inner.y + inner.height,
            height: 1,
            ..inner
        };
        frame.render_widget(
            Paragraph::new(Line::styled(
                format!(" {} ", strings::HELP_MORE),
                theme.dim(),
            ))
            .alignment(ratatui::layout::Alignment::Right),
            more,
        );
    }
    frame.render_widget(Paragraph::new(lines).scroll((scroll, 0)), inner);
}
