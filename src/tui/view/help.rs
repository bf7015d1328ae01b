//! The help overlay: every key from the key table, what the symbols mean and what `r` and `R`
//! fetch, centred over the panes and scrolled with ↑/↓ when the terminal is short. Esc, `?`, `q`
//! or any other key closes it; Ctrl-C quits.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Widget};

use crate::tui::keys::help_rows;
use crate::tui::state::App;

pub struct HelpOverlay<'a> {
    pub app: &'a App,
}

impl Widget for HelpOverlay<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let app = self.app;
        let rows = help_rows(app.theme.ascii);
        let key_w = rows.iter().map(|(k, _)| k.chars().count()).max().unwrap_or(8).min(16);
        let width = (key_w as u16 + 3 + 62 + 2).min(area.width);
        // Meanings wrap between words under their own column.
        let text_w = (width as usize).saturating_sub(key_w + 3 + 2).max(10);
        let mut lines: Vec<Line> = Vec::new();
        for (k, what) in &rows {
            for (i, part) in super::wrap_words(what, text_w).into_iter().enumerate() {
                let key = if i == 0 { *k } else { "" };
                lines.push(Line::from(vec![
                    Span::styled(format!(" {key:<key_w$}  "), app.theme.key()),
                    Span::raw(part),
                ]));
            }
        }
        let height = (lines.len() as u16 + 2).min(area.height);
        let visible = height.saturating_sub(2) as usize;
        let first = app.help_scroll.min(lines.len().saturating_sub(visible));
        let popup = Rect {
            x: area.x + (area.width - width) / 2,
            y: area.y + (area.height - height) / 2,
            width,
            height,
        };
        Clear.render(popup, buf);
        let more = lines.len() > visible;
        let lines: Vec<Line> = lines.into_iter().skip(first).take(visible).collect();
        let bottom =
            if more { " ↑↓ scroll · Esc closes · C-c quits " } else { " Esc closes · C-c quits " };
        let block = Block::bordered()
            .border_set(app.theme.border_set(true))
            .title(Line::from(" Keys ").style(app.theme.title()))
            .title_bottom(Line::from(bottom).style(app.theme.dim()));
        Paragraph::new(lines).block(block).render(popup, buf);
    }
}
