//! Drawing, and nothing else: every function here reads the [`App`] and writes to the frame.
//! The panels live in their own files; reusable pieces are in [`super::widgets`].

mod detail;
mod dialogs;
mod table;

use super::app::{App, EngineState, Mode};
use super::format;
use super::keys;
use super::layout;
use super::strings;
use super::theme::Theme;
use super::widgets::hints::hints_line;
use ratatui::Frame;
use ratatui::layout::{Alignment, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

/// Draws the whole screen.
pub fn draw(frame: &mut Frame, app: &App, theme: Theme) {
    let screen = frame.area();
    if screen.width < layout::MIN_WIDTH || screen.height < layout::MIN_HEIGHT {
        let text = Paragraph::new(strings::TOO_SMALL)
            .wrap(Wrap { trim: true })
            .alignment(Alignment::Center);
        frame.render_widget(text, screen);
        return;
    }
    let areas = layout::areas(screen, app.pairs.len());
    draw_header(frame, areas.header, app, theme);
    if app.is_connected() {
        table::draw(frame, areas.table, app, theme);
        detail::draw(frame, areas.detail, app, theme);
    } else {
        draw_engine_notice(frame, areas.table.union(areas.detail), app, theme);
    }
    draw_footer(frame, areas.footer, app, theme);
    match &app.mode {
        Mode::Normal | Mode::Filter => {}
        Mode::Help => dialogs::help(frame, app, theme),
        Mode::Form(form) => dialogs::form(frame, form, app, theme),
        Mode::ConfirmRemove {
            name_a,
            name_b,
            association_id,
            persistent,
        } => dialogs::confirm_remove(
            frame,
            name_a,
            name_b,
            &association_id.to_string(),
            *persistent,
            theme,
        ),
    }
}

/// Engine state, uptime, pairs, clients and the total rate, on one line.
fn draw_header(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let sep = || Span::styled("  ", theme.dim());
    let mut spans = vec![
        Span::styled(format!(" {} ", strings::APP_TITLE), theme.title()),
        Span::styled("│ ", theme.dim()),
    ];
    match &app.engine {
        EngineState::Connecting => {
            spans.push(Span::styled(strings::ENGINE_CONNECTING, theme.warn()));
        }
        EngineState::Lost { was_running, .. } => {
            let text = if *was_running {
                strings::ENGINE_RECONNECTING
            } else {
                strings::ENGINE_UNREACHABLE
            };
            spans.push(Span::styled(text, theme.error()));
        }
        EngineState::Running(status) => {
            spans.push(Span::styled(strings::ENGINE_RUNNING, theme.ok()));
            spans.push(sep());
            spans.push(Span::raw(format!(
                "{} {}",
                strings::HEADER_UPTIME,
                crate::face::output::duration(status.uptime_s)
            )));
            spans.push(sep());
            spans.push(Span::raw(strings::pairs(status.pairs.total)));
            spans.push(sep());
            spans.push(Span::raw(strings::clients(app.total_clients())));
            spans.push(sep());
            spans.push(Span::styled(
                format!(
                    "{} {}",
                    format::rate(app.total_rate()),
                    strings::HEADER_RATE_UNIT
                ),
                theme.header_label(),
            ));
        }
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// In place of the pairs while no engine answers: why, and what happens next.
fn draw_engine_notice(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let block = Block::bordered().border_style(theme.border());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let lines = match &app.engine {
        EngineState::Lost { reason, .. } => vec![
            Line::styled(strings::UNREACHABLE_TITLE, theme.error()),
            Line::raw(""),
            Line::raw(reason.clone()),
            Line::raw(""),
            Line::styled(strings::UNREACHABLE_RETRY, theme.dim()),
            Line::styled(strings::UNREACHABLE_START, theme.dim()),
        ],
        _ => vec![Line::styled(strings::CONNECTING_BODY, theme.dim())],
    };
    // Vertically centred, a little above the middle.
    let top = inner.height.saturating_sub(lines.len() as u16) / 3;
    let text_area = Rect {
        y: inner.y + top,
        height: inner.height - top,
        ..inner
    };
    frame.render_widget(
        Paragraph::new(lines)
            .alignment(Alignment::Center)
            .wrap(Wrap { trim: true }),
        text_area,
    );
}

/// A notice if one is showing, then the keys that work right now.
fn draw_footer(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let hints = keys::hints(app);
    let mut width = area.width as usize;
    let mut spans = Vec::new();
    if app.mode == Mode::Filter {
        let typed = format!(" {} {}▏ ", strings::FILTER_PROMPT, app.filter);
        width = width.saturating_sub(crate::face::output::width(&typed));
        spans.push(Span::styled(typed, theme.input()));
    }
    if let Some(notice) = &app.notice {
        let style = if notice.is_error {
            theme.error()
        } else {
            theme.ok()
        };
        let text = crate::face::output::ellipsize(&notice.text, width.saturating_sub(1));
        width = width.saturating_sub(crate::face::output::width(&text) + 2);
        spans.push(Span::styled(format!(" {text} "), style));
    }
    spans.extend(hints_line(&hints, width, theme).spans);
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
