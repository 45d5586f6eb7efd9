//! The selected pair up close: a bigger meter per direction and the live monitor of the
//! messages crossing it, decoded.

use crate::core::ids::{Direction, Side};
use crate::core::ump::decode::decode;
use crate::dashboard::app::{App, MonitorEntry, PairRow};
use crate::dashboard::format;
use crate::dashboard::layout;
use crate::dashboard::strings;
use crate::dashboard::theme::Theme;
use crate::dashboard::widgets::meter::MeterPanel;
use crate::face::output::ellipsize;
use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

/// A monitor this wide also shows the raw words.
const WORDS_FROM_WIDTH: u16 = 64;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let block = Block::bordered().border_style(theme.border());
    let Some(row) = app.selected_pair() else {
        let inner = block.inner(area);
        frame.render_widget(block, area);
        frame.render_widget(
            Paragraph::new(strings::DETAIL_NONE)
                .style(theme.dim())
                .wrap(Wrap { trim: true }),
            inner,
        );
        return;
    };
    let p = &row.info;
    let mut flags = vec![p.association_id.to_string()];
    if p.persistent {
        flags.push(strings::OP_PERSISTENT.to_string());
    }
    if p.feedback_loop {
        flags.push(strings::DETAIL_LOOP.to_string());
    } else if p.muted {
        flags.push(strings::DETAIL_MUTED.to_string());
    }
    if p.endpoint_a.alsa.is_some() || p.endpoint_b.alsa.is_some() {
        let address =
            |e: &crate::core::model::EndpointInfo| e.alsa.as_ref().map(|a| a.address.clone());
        flags.push(strings::detail_alsa(
            address(&p.endpoint_a).as_deref(),
            address(&p.endpoint_b).as_deref(),
        ));
    }
    let block = block
        .title(Span::styled(
            format!(
                " {} ",
                strings::detail_title(&p.endpoint_a.name, &p.endpoint_b.name)
            ),
            theme.title(),
        ))
        .title_bottom(
            Line::styled(format!(" {} ", flags.join(" · ")), theme.dim())
                .alignment(Alignment::Right),
        );
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let [meters, monitor] = layout::detail_columns(inner);
    let [upper, lower] = Layout::vertical([Constraint::Fill(1), Constraint::Fill(1)]).areas(meters);
    let (a, _) = MeterPanel::history(row.meter(Direction::AToB), upper.width as usize);
    let (b, _) = MeterPanel::history(row.meter(Direction::BToA), upper.width as usize);
    let max = a.iter().chain(&b).copied().max().unwrap_or(0);
    for (dir, area) in [(Direction::AToB, upper), (Direction::BToA, lower)] {
        let area = Rect {
            width: area.width.saturating_sub(1),
            ..area
        };
        // The side that sends this direction: its network session shows under its meter.
        let side = match dir {
            Direction::AToB => Side::A,
            Direction::BToA => Side::B,
        };
        let area = draw_network(frame, area, row, side, theme);
        let panel = MeterPanel {
            direction: dir,
            meter: row.meter(dir),
            max,
            theme,
        };
        frame.render_widget(panel, area);
    }
    draw_monitor(frame, monitor, app, theme);
}

/// Lines under a side's meter: its network sessions, and its traffic with the network (when
/// the panel has room for them above the meter's own lines). Returns what is left.
fn draw_network(frame: &mut Frame, area: Rect, row: &PairRow, side: Side, theme: Theme) -> Rect {
    const LINES: u16 = 2;
    let (Some(n), Some(meter)) = (
        row.info.endpoint(side).network_presence.as_deref(),
        row.network_meter(side),
    ) else {
        return area;
    };
    if area.height < LINES + 3 {
        return area;
    }
    let width = area.width as usize;
    let lines = vec![
        Line::raw(ellipsize(
            &strings::detail_network(side.letter(), n, width),
            width,
        )),
        Line::styled(
            ellipsize(
                &strings::detail_network_traffic(
                    &format::count(n.messages_sent),
                    &format::count(n.messages_received),
                    &format::rate(meter.rate),
                    width,
                ),
                width,
            ),
            theme.dim(),
        ),
    ];
    let [rest, bottom] =
        Layout::vertical([Constraint::Fill(1), Constraint::Length(LINES)]).areas(area);
    frame.render_widget(Paragraph::new(lines), bottom);
    rest
}

fn draw_monitor(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let m = &app.monitor;
    let state = if m.paused {
        Span::styled(strings::MONITOR_PAUSED, theme.warn())
    } else {
        Span::styled(strings::MONITOR_LIVE, theme.ok())
    };
    let mut title = vec![
        Span::styled(format!(" {} · ", strings::MONITOR_TITLE), theme.title()),
        state,
        Span::raw(" "),
    ];
    if m.skipped > 0 {
        title.push(Span::styled(
            format!("{} ", strings::monitor_skipped(m.skipped)),
            theme.dim(),
        ));
    }
    if m.hidden > 0 && !m.show_real_time {
        title.push(Span::styled(
            format!("{} ", strings::monitor_hidden(m.hidden)),
            theme.dim(),
        ));
    }
    let mut block = Block::new()
        .borders(Borders::LEFT)
        .border_style(theme.border())
        .title(Line::from(title));
    if m.scroll > 0 {
        block = block.title_bottom(
            Line::styled(
                format!(" {} ", strings::monitor_scrolled(m.scroll)),
                theme.dim(),
            )
            .alignment(Alignment::Right),
        );
    }
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if m.entries.is_empty() {
        let lines = vec![
            Line::styled(strings::MONITOR_EMPTY, theme.dim()),
            Line::styled(strings::MONITOR_EMPTY_HINT, theme.dim()),
        ];
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), inner);
        return;
    }
    let rows = inner.height as usize;
    let end = m.entries.len() - m.scroll.min(m.entries.len());
    let start = end.saturating_sub(rows);
    let with_words = inner.width >= WORDS_FROM_WIDTH;
    // Only the visible rows are decoded: the tap may bring thousands of messages a second.
    let lines: Vec<Line> = m
        .entries
        .range(start..end)
        .map(|e| monitor_line(e, inner.width as usize, with_words, theme))
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

fn monitor_line(e: &MonitorEntry, width: usize, with_words: bool, theme: Theme) -> Line<'static> {
    let words = e.message.words();
    let d = decode(words);
    let head = format!("{:>5} ", e.index);
    let used = crate::face::output::width(&head) + 3;
    let mut spans = vec![
        Span::styled(head, theme.dim()),
        Span::styled(e.direction.label(), theme.direction(e.direction)),
    ];
    let mut rest = String::new();
    if with_words {
        let hex: Vec<String> = words.iter().map(|w| format!("{w:08X}")).collect();
        rest.push_str(&format!(" {:<17}", hex.join(" ")));
    }
    let place = match (d.group, d.channel) {
        (Some(g), Some(c)) => format!(" g{g} ch{c}"),
        (Some(g), None) => format!(" g{g}"),
        _ => String::new(),
    };
    rest.push_str(&format!("{place} {}", d.message_type));
    if !d.text.is_empty() {
        rest.push_str(&format!(": {}", d.text));
    }
    spans.push(Span::raw(crate::face::output::ellipsize(
        &rest,
        width.saturating_sub(used),
    )));
    Line::from(spans)
}
