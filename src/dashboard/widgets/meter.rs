//! One direction's meter in the detail panel: rate, peak, totals and drops in words, and a
//! sparkline of the recent past under them. The words differ between a busy and an idle
//! direction, so the difference shows without colour.

use crate::core::ids::Direction;
use crate::dashboard::format;
use crate::dashboard::meter::{DirectionMeter, span_for};
use crate::dashboard::strings;
use crate::dashboard::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Sparkline, Widget};

pub struct MeterPanel<'a> {
    pub direction: Direction,
    pub meter: &'a DirectionMeter,
    /// The scale both directions of the pair share, so their bars compare.
    pub max: u64,
    pub theme: Theme,
}

impl MeterPanel<'_> {
    /// The sparkline's values for `columns` bars, and the seconds the line spans.
    pub fn history(meter: &DirectionMeter, columns: usize) -> (Vec<u64>, usize) {
        let (per, span) = span_for(columns);
        (meter.sparkline(columns, per), span)
    }
}

impl Widget for MeterPanel<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if area.height == 0 || area.width == 0 {
            return;
        }
        let t = self.theme;
        let m = self.meter;
        let s = &m.stats;
        let dir_style = t.direction(self.direction);
        let (values, span) = Self::history(m, area.width as usize);
        let mut lines = vec![
            Line::from(vec![
                Span::styled(
                    format!("{} ", self.direction.label()),
                    dir_style.add_modifier(ratatui::style::Modifier::BOLD),
                ),
                Span::styled(format!("{:>5}", format::rate(m.rate)), t.header_label()),
                Span::raw(format!(" {}", strings::RATE_UNIT)),
                Span::styled(
                    format!("  {} {}", strings::LABEL_PEAK, format::rate(m.peak)),
                    t.dim(),
                ),
            ]),
            Line::from(vec![
                Span::raw(format!(
                    "{} {}",
                    strings::LABEL_TOTAL,
                    format::count(s.messages)
                )),
                Span::raw(format!(
                    "  {} {}",
                    strings::LABEL_DROPS,
                    format::count(m.drops())
                )),
                Span::raw(format!(
                    "  {} {}",
                    strings::LABEL_REFUSED,
                    format::count(s.refused)
                )),
            ]),
        ];
        // Taller panels also say where the drops come from, and what span the bars cover.
        if area.height >= 6 {
            lines.push(Line::styled(
                format!(
                    "{} {} · {} {} · {}",
                    strings::LABEL_OVERFLOW,
                    format::count(s.dropped_overflow),
                    strings::LABEL_MUTED,
                    format::count(s.dropped_muted),
                    strings::history_caption(span),
                ),
                t.dim(),
            ));
        }
        let text_rows = (lines.len() as u16).min(area.height);
        Paragraph::new(lines).render(
            Rect {
                height: text_rows,
                ..area
            },
            buf,
        );
        let spark_area = Rect {
            y: area.y + text_rows,
            height: area.height - text_rows,
            ..area
        };
        if spark_area.height > 0 {
            Sparkline::default()
                .data(values)
                .max(self.max.max(1))
                .style(dir_style)
                .render(spark_area, buf);
        }
    }
}
