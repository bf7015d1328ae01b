//! The help overlay: every key from the key table, centred over the panes; any key closes it.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Widget};

use crate::tui::keys::KEYS;
use crate::tui::state::App;

pub struct HelpOverlay<'a> {
    pub app: &'a App,
}

/// What help says besides the keys.
const NOTES: [(&str, &str); 3] = [
    ("--ascii", "no block or braille glyphs"),
    ("NO_COLOR=1", "no colours"),
    ("logs", "~/.local/state/elhub-explorer/"),
];

impl Widget for HelpOverlay<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let app = self.app;
        let rows: Vec<(&str, &str)> = KEYS
            .iter()
            .map(|b| (if app.theme.ascii { b.ascii_label } else { b.label }, b.help))
            .chain(std::iter::once(("", "")))
            .chain(NOTES)
            .collect();
        let width = 72.min(area.width);
        let height = (rows.len() as u16 + 2).min(area.height);
        let popup = Rect {
            x: area.x + (area.width - width) / 2,
            y: area.y + (area.height - height) / 2,
            width,
            height,
        };
        Clear.render(popup, buf);
        let lines: Vec<Line> = rows
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
