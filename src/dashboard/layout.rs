//! Where each panel goes on a screen of a given size. The view draws into these areas and the
//! app scrolls and maps mouse clicks with the same numbers, so the two never disagree.

use ratatui::layout::{Constraint, Layout, Rect};

/// Below this the dashboard shows a "too small" notice instead of panels.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 16;
/// Each pair takes two lines in the table: one per endpoint and direction.
pub const ROW_HEIGHT: u16 = 2;
/// The table's frame: top border, column headers, bottom border.
const TABLE_CHROME: u16 = 3;

/// The panels of the main screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    pub header: Rect,
    pub table: Rect,
    pub detail: Rect,
    pub footer: Rect,
}

/// Splits the screen: header, pair table (as tall as the pairs need, within limits), the
/// selected pair's detail, footer.
pub fn areas(screen: Rect, pairs: usize) -> Areas {
    let [header, body, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(screen);
    // The detail keeps at least 10 lines (meters and a few monitor rows), and two fifths of
    // a tall screen.
    let detail_min = 10.max(body.height * 2 / 5);
    let room = (body.height.saturating_sub(detail_min + TABLE_CHROME) / ROW_HEIGHT).max(1);
    // Whole rows only: a spare line goes to the detail instead.
    let table_height = TABLE_CHROME + ROW_HEIGHT * room.min(pairs.max(1) as u16);
    let [table, detail] =
        Layout::vertical([Constraint::Length(table_height), Constraint::Fill(1)]).areas(body);
    Areas {
        header,
        table,
        detail,
        footer,
    }
}

/// How many pairs fit in the table area.
pub fn table_capacity(table: Rect) -> usize {
    (table.height.saturating_sub(TABLE_CHROME) / ROW_HEIGHT) as usize
}

/// The pair index under a screen row of the table, given the first pair shown.
pub fn pair_at(table: Rect, offset: usize, column: u16, row: u16) -> Option<usize> {
    let first_row = table.y + 2; // border and column headers
    let inside = column > table.x
        && column + 1 < table.x + table.width
        && row >= first_row
        && row + 1 < table.y + table.height;
    inside.then(|| offset + ((row - first_row) / ROW_HEIGHT) as usize)
}

/// Whether a screen position lies inside an area.
pub fn contains(area: Rect, column: u16, row: u16) -> bool {
    column >= area.x && column < area.x + area.width && row >= area.y && row < area.y + area.height
}

/// The detail panel's inside split into the meters (left) and the monitor (right).
pub fn detail_columns(inner: Rect) -> [Rect; 2] {
    let meters = (inner.width / 3).clamp(34, 56).min(inner.width);
    Layout::horizontal([Constraint::Length(meters), Constraint::Fill(1)]).areas(inner)
}

/// A box of at most `width` × `height` in the middle of `area`.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_smallest_screen_still_has_every_panel() {
        let a = areas(Rect::new(0, 0, 80, 24), 12);
        assert_eq!(a.header.height, 1);
        assert_eq!(a.footer.height, 1);
        assert!(table_capacity(a.table) >= 4);
        assert!(a.detail.height >= 10);
        assert_eq!(pair_at(a.table, 3, 5, a.table.y + 2), Some(3));
        assert_eq!(pair_at(a.table, 3, 5, a.table.y + 4), Some(4));
        assert_eq!(pair_at(a.table, 3, 5, a.table.y + 1), None);
    }
}
