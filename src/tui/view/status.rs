//! The status line: key hints on the left (dropped from the end on narrow terminals, but
//! `? help` always stays), a notice if any, and which store, dataset and range are shown.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use crate::tui::keys::ALWAYS;
use crate::tui::state::App;

pub struct StatusLine<'a> {
    pub app: &'a App,
}

impl Widget for StatusLine<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let app = self.app;
        let width = area.width as usize;
        let hints = crate::tui::keys::hints_ranked(app.theme.ascii);
        let hint_len = |(k, w, _): &(&str, &str, u8)| k.chars().count() + w.len() + 3;
        let (always, optional): (Vec<_>, Vec<_>) = hints.iter().partition(|(_, _, rank)| *rank >= ALWAYS);
        let always_len: usize = always.iter().map(&hint_len).sum();
        let room = width.saturating_sub(always_len + 1);
        // A notice comes before the optional hints and is shortened only at a word, never in
        // a number; otherwise the store and range, keeping their end (the file name).
        // While a month is typed after `:`, the line shows it, and what it takes.
        let typing =
            app.jump.as_ref().map(|t| format!(":{}_  {}", crate::model::printable(t), preview(app, t)));
        let (right, right_style, reserve) = match typing.as_ref().or(app.message.as_ref()) {
            Some(m) if app.jump.is_some() => {
                let text = fit_words(m, room);
                let n = text.chars().count();
                (text, app.theme.key(), n)
            }
            Some(m) => {
                let text = fit_words(&crate::model::printable(m), room);
                let n = text.chars().count();
                (text, app.theme.warn(), n)
            }
            None => {
                // The store and the year on screen; narrow, the file's name and the year, then
                // the year alone: never a name cut in the middle.
                let file = app.store_label.rsplit(' ').next().unwrap_or(&app.store_label);
                let room = room.saturating_sub(hints_min(&optional));
                let text = [
                    format!("{} · {}", app.store_label, app.year()),
                    format!("{file} · {}", app.year()),
                    app.year().to_string(),
                ]
                .into_iter()
                .find(|t| t.chars().count() <= room.max(4))
                .unwrap_or_else(|| app.year().to_string());
                let n = text.chars().count().min(24);
                (text, app.theme.dim(), n)
            }
        };
        let mut used = always_len;
        let mut spans = Vec::new();
        for h in &optional {
            if used + hint_len(h) + reserve + 1 > width {
                break;
            }
            used += hint_len(h);
            spans.push(Span::styled(format!(" {}", h.0), app.theme.key()));
            spans.push(Span::raw(format!(" {} ", h.1)));
        }
        for h in &always {
            spans.push(Span::styled(format!(" {}", h.0), app.theme.key()));
            spans.push(Span::raw(format!(" {} ", h.1)));
        }
        let space = width.saturating_sub(used + 1);
        let count = right.chars().count();
        let shown: String = if count <= space {
            right
        } else if app.message.is_some() || app.jump.is_some() {
            fit_words(&right, space)
        } else {
            // Keep the end (file name, range) rather than the start of a long path.
            std::iter::once('…').chain(right.chars().skip(count + 1 - space.max(1))).collect()
        };
        spans.push(Span::raw(" ".repeat(width.saturating_sub(used + shown.chars().count()))));
        spans.push(Span::styled(shown, right_style));
        Paragraph::new(Line::from(spans)).render(area, buf);
    }
}

/// Columns the most important optional hints take (the first four), kept before the store.
fn hints_min(optional: &[(&str, &str, u8)]) -> usize {
    optional.iter().take(4).map(|(k, w, _)| k.chars().count() + w.len() + 3).sum()
}

/// What Enter would do with the text typed after `:`.
fn preview(app: &App, text: &str) -> String {
    use crate::tui::state::prompt::Target;
    if text.trim().is_empty() {
        return "a day, month, year, dataset, entity or group; Enter goes, Esc leaves".into();
    }
    match app.prompt_context().target(text) {
        Ok(Target::Day(d)) => format!("→ {} (a day, zoomed)", d.format("%a %-d %b %Y")),
        Ok(Target::Month(m)) => format!("→ {m}"),
        Ok(Target::Year(y)) => format!("→ {y}"),
        Ok(Target::Dataset(d)) => format!("→ dataset {d}"),
        Ok(Target::Entity(e)) => format!("→ {}", crate::tui::view::entity_name(app, app.kind(), &e)),
        Ok(Target::Group(g)) => format!("→ group {}", g.title()),
        Ok(Target::Quit) => "→ quit".into(),
        Err(why) => why,
    }
}

/// `text` if it fits `width` columns, else its first whole words and `…`.
pub fn fit_words(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut out = String::new();
    for word in text.split(' ') {
        let extra = word.chars().count() + usize::from(!out.is_empty());
        if out.chars().count() + extra + 1 > width {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    if width > 0 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::fit_words;

    #[test]
    fn notices_are_shortened_at_words() {
        assert_eq!(fit_words("a fetch is already running", 30), "a fetch is already running");
        assert_eq!(fit_words("a fetch is already running", 22), "a fetch is already…");
        assert_eq!(fit_words("total 2.03 TWh", 12), "total 2.03…");
        assert_eq!(fit_words("total 2.03 TWh", 9), "total…");
    }
}
