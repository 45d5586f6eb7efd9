//! A framed box over the screen for dialogs and the help overlay.

use crate::dashboard::layout;
use crate::dashboard::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::{Block, BorderType, Clear};

/// Clears a centred box of at most `width` × `height`, frames it with `title`, and returns the
/// area inside the frame.
pub fn popup(frame: &mut Frame, width: u16, height: u16, title: &str, theme: Theme) -> Rect {
    let area = layout::centered(frame.area(), width, height);
    frame.render_widget(Clear, area);
    let block = Block::bordered()
        .border_type(BorderType::Double)
        .border_style(theme.border_focus())
        .title(Span::styled(format!(" {title} "), theme.title()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    inner
}
