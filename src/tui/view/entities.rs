//! The entity list of the current dataset: the five price areas with their cities, the
//! municipalities by number and name, or the grid areas by name; the selected one marked, the
//! list scrolled to keep it in view, and the filter typed after `/` in the bottom border.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::pane_block;
use crate::model::{printable, EntityKind};
use crate::tui::state::{App, Loadable, Pane};

pub struct EntitiesPane<'a> {
    pub app: &'a App,
}

impl Widget for EntitiesPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let app = self.app;
        let kind = app.kind();
        let all = app.all_entities();
        let list = app.visible_entities();
        // The list's first row is all of them together, not an entity to count.
        let shown = list.len().saturating_sub(1);
        let count =
            if shown == all.len() { format!("{}", all.len()) } else { format!("{shown}/{}", all.len()) };
        let mut titles = vec![Line::from(format!(" {} ", kind.title()))];
        if kind != EntityKind::PriceArea {
            titles.insert(0, Line::from(format!(" {} · {count} ", kind.title())));
        }
        let mut block = pane_block(app, Pane::Entities, area.width, titles);
        if app.filter.editing || !app.filter.text.is_empty() {
            let cursor = if app.filter.editing { "_" } else { "" };
            block = block.title_bottom(Line::from(vec![Span::styled(
                format!(" /{}{cursor} ", printable(&app.filter.text)),
                app.theme.key(),
            )]));
        }
        let inner = block.inner(area);
        block.render(area, buf);
        let width = inner.width as usize;
        if list.is_empty() {
            let text = match (app.q.entities.get(&kind), app.filter.text.is_empty()) {
                (_, false) => "Nothing matches. Esc drops the filter.".to_string(),
                (Some(Loadable::Loading), _) => "reading the store…".to_string(),
                (Some(Loadable::Failed(e)), _) => e.clone(),
                _ => format!("None stored yet. r fetches {}.", app.viewed_range()),
            };
            Paragraph::new(text)
                .style(app.theme.dim())
                .wrap(ratatui::widgets::Wrap { trim: true })
                .render(inner, buf);
            return;
        }
        // Keep the selection in view, a third of the way down where the list allows.
        let rows = inner.height as usize;
        let selected = list.iter().position(|e| Some(&e.scope) == app.entity.as_ref());
        let first = selected.map_or(0, |i| i.saturating_sub(rows / 3)).min(list.len().saturating_sub(rows));
        let lines: Vec<Line> = list
            .iter()
            .enumerate()
            .skip(first)
            .take(rows)
            .map(|(i, e)| {
                let is_selected = Some(i) == selected;
                let marker = if is_selected { ">" } else { " " };
                let number = if i < 10 { format!("{i}") } else { " ".to_string() };
                let text = match kind {
                    _ if e.scope == crate::store::Scope::All => format!("{marker}{number} {}", e.name),
                    // Grid areas are known by their names; their EIC ids are 16 characters.
                    EntityKind::GridArea => format!("{marker}{number} {}", printable(&e.name)),
                    _ => format!("{marker}{number} {} {}", printable(e.id()), printable(&e.name)),
                };
                // A long name ends in an ellipsis rather than mid-word without a sign.
                let text: String = if text.chars().count() > width {
                    text.chars().take(width.saturating_sub(1)).chain(std::iter::once('…')).collect()
                } else {
                    text
                };
                let style = if is_selected {
                    app.theme.selected(app.focus == Pane::Entities)
                } else {
                    Default::default()
                };
                Line::from(Span::styled(format!("{text:<width$}"), style))
            })
            .collect();
        Paragraph::new(lines).render(inner, buf);
    }
}
