//! The status line: key hints on the left (dropped from the end on narrow terminals, but
//! `? help` always stays), a notice if any, and which store, dataset and range are shown.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use crate::tui::state::App;

pub struct StatusLine<'a> {
    pub app: &'a App,
}

impl Widget for StatusLine<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let app = self.app;
        let right = match &app.message {
            Some(m) => crate::model::printable(m).into_owned(),
            // The dataset is in every pane's title; the store and range are only here.
            None => format!("{} · {}", app.store_label, app.range),
        };
        let right_style = if app.message.is_some() { app.theme.warn() } else { app.theme.dim() };
        let width = area.width as usize;
        // Hints first, leaving the right-hand text at least a short tail; `? help` always stays.
        let room = width.saturating_sub(right.chars().count().min(36) + 1);
        let hints = crate::tui::keys::hints(app.theme.ascii);
        let (help, rest) = hints.split_last().unwrap_or((&("?", "help"), &[]));
        let hint_len = |(k, w): &(&str, &str)| k.chars().count() + w.len() + 3;
        let mut used = hint_len(help);
        let mut spans = Vec::new();
        for h in rest {
            if used + hint_len(h) > room {
                break;
            }
            used += hint_len(h);
            spans.push(Span::styled(format!(" {}", h.0), app.theme.key()));
            spans.push(Span::raw(format!(" {} ", h.1)));
        }
        spans.push(Span::styled(format!(" {}", help.0), app.theme.key()));
        spans.push(Span::raw(format!(" {} ", help.1)));
        let space = width.saturating_sub(used + 1);
        let count = right.chars().count();
        let shown: String = if count > space {
            // Keep the end (file name, dataset, range) rather than the start of a long path.
            std::iter::once('…').chain(right.chars().skip(count + 1 - space.max(1))).collect()
        } else {
            right
        };
        spans.push(Span::raw(" ".repeat(width.saturating_sub(used + shown.chars().count()))));
        spans.push(Span::styled(shown, right_style));
        Paragraph::new(Line::from(spans)).render(area, buf);
    }
}
