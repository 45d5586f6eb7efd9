//! The pair table: two lines per pair, one per endpoint and its outgoing direction, each with
//! its own meter (rate, a sparkline of the last minute or more, total, drops).

use crate::core::ids::Direction;
use crate::dashboard::app::{App, PairRow};
use crate::dashboard::format;
use crate::dashboard::layout;
use crate::dashboard::meter::span_for;
use crate::dashboard::strings;
use crate::dashboard::theme::Theme;
use crate::dashboard::widgets::spark::spark_text;
use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Rect};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table};

/// Fixed column widths: mark, id, flags, clients, direction, rate, total, drops (and the
/// network column, [`strings::NETWORK_WIDTH`], while some pair has a network session).
const MARK: u16 = 1;
const ID: u16 = 8;
const FLAGS: u16 = 3;
const CLIENTS: u16 = 2;
const DIR: u16 = 3;
const RATE: u16 = 5;
const TOTAL: u16 = 5;
const DROPS: u16 = 5;
const COLUMNS: u16 = 10;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let mut block = Block::bordered()
        .border_style(theme.border())
        .title(Span::styled(
            format!(
                " {} ",
                strings::table_title(
                    app.pairs.len(),
                    app.pairs.len() + app.hidden.len(),
                    &app.filter
                )
            ),
            theme.title(),
        ));
    let capacity = layout::table_capacity(area);
    let shown_end = (app.offset + capacity).min(app.pairs.len());
    if app.pairs.len() > capacity {
        let below = app.pairs.len() - shown_end;
        block = block.title_bottom(
            Line::styled(
                format!(" {} ", strings::more_pairs(app.offset, below)),
                theme.dim(),
            )
            .alignment(Alignment::Right),
        );
    }
    let inner = block.inner(area);
    frame.render_widget(block, area);

    if app.pairs.is_empty() {
        let text = if app.hidden.is_empty() {
            strings::NO_PAIRS
        } else {
            strings::NO_MATCH
        };
        frame.render_widget(Paragraph::new(text).style(theme.dim()), inner);
        return;
    }

    // Decided over every pair, the filtered-out too, so a filter does not move the columns.
    let network = app.all_pairs().any(|r| r.on_network());
    let network_width = if network {
        strings::NETWORK_WIDTH + 1
    } else {
        0
    };
    let fixed =
        MARK + ID + FLAGS + CLIENTS + DIR + RATE + TOTAL + DROPS + (COLUMNS - 1) + network_width;
    let rest = inner.width.saturating_sub(fixed);
    // Half the room for the sparkline, as long as names keep 20 columns.
    let spark_width = (rest / 2).min(rest.saturating_sub(20)).max(6);
    let name_width = rest.saturating_sub(spark_width);
    let (per_column, span) = span_for(spark_width as usize);

    let mut header = vec![
        Cell::from(""),
        Cell::from(strings::COL_PAIR),
        Cell::from(strings::COL_ID),
        Cell::from(strings::COL_FLAGS),
        Cell::from(strings::COL_CLIENTS),
    ];
    if network {
        header.push(Cell::from(strings::COL_NETWORK));
    }
    header.extend([
        Cell::from(strings::COL_DIR),
        Cell::from(Line::from(strings::COL_RATE).alignment(Alignment::Right)),
        Cell::from(strings::col_history(span)),
        Cell::from(Line::from(strings::COL_TOTAL).alignment(Alignment::Right)),
        Cell::from(Line::from(strings::COL_DROPS).alignment(Alignment::Right)),
    ]);
    let header = Row::new(header).style(theme.header_label());

    let rows: Vec<Row> = app.pairs[app.offset..shown_end]
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let selected = app.offset + i == app.selected;
            let widths = (name_width, spark_width, per_column);
            pair_row(row, selected, widths, network, theme)
        })
        .collect();
    let mut widths = vec![
        Constraint::Length(MARK),
        Constraint::Length(name_width),
        Constraint::Length(ID),
        Constraint::Length(FLAGS),
        Constraint::Length(CLIENTS),
    ];
    if network {
        widths.push(Constraint::Length(strings::NETWORK_WIDTH));
    }
    widths.extend([
        Constraint::Length(DIR),
        Constraint::Length(RATE),
        Constraint::Length(spark_width),
        Constraint::Length(TOTAL),
        Constraint::Length(DROPS),
    ]);
    frame.render_widget(
        Table::new(rows, widths).header(header).column_spacing(1),
        inner,
    );
}

/// One pair's two lines; `widths` are the names', the sparklines' and the seconds each bar
/// covers.
fn pair_row(
    row: &PairRow,
    selected: bool,
    (name_width, spark_width, per_column): (u16, u16, usize),
    network: bool,
    theme: Theme,
) -> Row<'static> {
    let p = &row.info;
    let [a_to_b, b_to_a] = [Direction::AToB, Direction::BToA].map(|d| {
        let m = row.meter(d);
        (m.sparkline(spark_width as usize, per_column), m)
    });
    // Both directions share one scale, so the busier one has the taller bars.
    let max = a_to_b.0.iter().chain(&b_to_a.0).copied().max().unwrap_or(0);
    let two = |a: String, b: String| Text::from(vec![Line::raw(a), Line::raw(b)]);
    let right = |a: String, b: String| {
        Text::from(vec![
            Line::raw(a).alignment(Alignment::Right),
            Line::raw(b).alignment(Alignment::Right),
        ])
    };
    let flags = format!(
        "{} {}",
        if p.persistent {
            strings::FLAG_PERSISTENT
        } else {
            strings::FLAG_OFF
        },
        if p.muted {
            strings::FLAG_MUTED
        } else {
            strings::FLAG_OFF
        }
    );
    // Cut in the middle, so `… (A)` and `… (B)` still tell the two lines apart.
    let name = |n: &str| crate::face::output::ellipsize_middle(n, name_width as usize);
    let dirs = Text::from(vec![
        Line::styled(Direction::AToB.label(), theme.direction(Direction::AToB)),
        Line::styled(Direction::BToA.label(), theme.direction(Direction::BToA)),
    ]);
    let sparks = Text::from(vec![
        Line::styled(spark_text(&a_to_b.0, max), theme.direction(Direction::AToB)),
        Line::styled(spark_text(&b_to_a.0, max), theme.direction(Direction::BToA)),
    ]);
    let mut cells = vec![
        Cell::from(if selected {
            strings::SELECTED_MARK
        } else {
            " "
        }),
        Cell::from(two(name(&p.endpoint_a.name), name(&p.endpoint_b.name))),
        Cell::from(p.association_id.short()).style(theme.dim()),
        Cell::from(flags),
        Cell::from(right(
            p.endpoint_a.clients.to_string(),
            p.endpoint_b.clients.to_string(),
        )),
    ];
    if network {
        let role = |e: &crate::core::model::EndpointInfo| {
            e.network_presence
                .as_deref()
                .map_or(strings::FLAG_OFF, strings::network_role)
                .to_string()
        };
        cells.push(Cell::from(two(role(&p.endpoint_a), role(&p.endpoint_b))));
    }
    cells.extend([
        Cell::from(dirs),
        Cell::from(right(
            format::rate(a_to_b.1.rate),
            format::rate(b_to_a.1.rate),
        )),
        Cell::from(sparks),
        Cell::from(right(
            format::count(a_to_b.1.stats.messages),
            format::count(b_to_a.1.stats.messages),
        )),
        Cell::from(right(
            format::count(a_to_b.1.drops()),
            format::count(b_to_a.1.drops()),
        )),
    ]);
    let style = if selected {
        theme.selected()
    } else {
        theme.base()
    };
    Row::new(cells).height(layout::ROW_HEIGHT).style(style)
}
