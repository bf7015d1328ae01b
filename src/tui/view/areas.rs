//! The price-area selector: NO1–NO5 with their cities, the selected one highlighted.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::pane_block;
use crate::model::PriceArea;
use crate::tui::state::{App, Pane};

pub struct AreasPane<'a> {
    pub app: &'a App,
}

impl Widget for AreasPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let app = self.app;
        let lines: Vec<Line> = PriceArea::ALL
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let selected = *a == app.area;
                let marker = if selected { ">" } else { " " };
                let text = format!("{marker}{} {} {}", i + 1, a.as_str(), a.city());
                let style = if selected { app.theme.selected() } else { Default::default() };
                Line::from(Span::styled(
                    format!("{text:<width$}", width = area.width.saturating_sub(2) as usize),
                    style,
                ))
            })
            .collect();
        Paragraph::new(lines)
            .block(pane_block(app, Pane::Areas, Line::from(" Price areas ")))
            .render(area, buf);
    }
}
