//! The help overlay: every key, centred over the panes; any key closes it.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Widget};

use crate::tui::state::App;

pub struct HelpOverlay<'a> {
    pub app: &'a App,
}

/// The key map as shown; `state::handle_key` is the one that acts.
pub const KEYS: [(&str, &str); 16] = [
    ("1-5", "price area NO1..NO5"),
    ("↑ ↓  k j", "move in the focused pane (area, group, progress)"),
    ("← →  h l", "previous / next month"),
    ("g  G", "next / previous group"),
    ("y  Y", "next / previous year"),
    ("b", "bars / sectors (pie)"),
    ("d", "production / consumption"),
    ("r", "fetch missing and maybe-revised months"),
    ("R", "refetch every month of the configured range"),
    ("Tab  S-Tab", "focus the next / previous pane"),
    ("?", "this help (any key closes it)"),
    ("q  Esc  C-c", "quit"),
    ("", ""),
    ("--ascii", "no block or braille glyphs"),
    ("NO_COLOR=1", "no colours"),
    ("logs", "~/.local/state/elhub-explorer/"),
];

impl Widget for HelpOverlay<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let app = self.app;
        let width = 64.min(area.width);
        let height = (KEYS.len() as u16 + 4).min(area.height);
        let popup = Rect {
            x: area.x + (area.width - width) / 2,
            y: area.y + (area.height - height) / 2,
            width,
            height,
        };
        Clear.render(popup, buf);
        let lines: Vec<Line> = KEYS
            .iter()
            .map(|(k, what)| {
                Line::from(vec![Span::styled(format!(" {k:<12}"), app.theme.key()), Span::raw(*what)])
            })
            .collect();
        let block = Block::bordered()
            .border_set(app.theme.border_set())
            .title(Line::from(" Keys ").style(app.theme.title()))
            .title_bottom(Line::from(" any key closes ").style(app.theme.dim()));
        Paragraph::new(lines).block(block).render(popup, buf);
    }
}
