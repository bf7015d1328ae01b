//! Fetch progress: a line per month (waiting, fetching, retry n with reason, done with count,
//! failed with reason), an overall gauge and the rate; or what is stored when nothing runs.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

use super::pane_block;
use crate::model::thousands;
use crate::tui::state::{App, FetchState, Loadable, MonthStatus, Pane};

pub struct ProgressPane<'a> {
    pub app: &'a App,
}

impl Widget for ProgressPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let app = self.app;
        // A finished fetch of another dataset gives way to what is stored of this one.
        let fetch = app.fetch.as_ref().filter(|f| f.running() || f.dataset == app.dataset);
        let (state, dataset) = match fetch {
            Some(f) if f.running() => ("Fetching", Some(f.dataset)),
            Some(f) => ("Fetched", Some(f.dataset)),
            None => ("Stored", Some(app.dataset)),
        };
        // The dataset only where it fits whole: a long alias is never cut.
        let mut titles = vec![Line::from(format!(" {state} "))];
        if let Some(d) = dataset {
            titles.insert(0, Line::from(format!(" {state} {d} ")));
        }
        let block = pane_block(app, Pane::Progress, area.width, titles);
        let inner = block.inner(area);
        block.render(area, buf);
        match fetch {
            Some(fetch) => render_fetch(app, fetch, inner, buf),
            None => render_stored(app, inner, buf),
        }
    }
}

fn status_span(app: &App, status: &MonthStatus, width: usize) -> Span<'static> {
    let t = &app.theme;
    let (glyph, text, style): (&str, String, Style) = match status {
        MonthStatus::Waiting => (if t.ascii { "-" } else { "·" }, "waiting".into(), t.dim()),
        MonthStatus::Fetching => (if t.ascii { ">" } else { "…" }, "fetching".into(), t.warn()),
        MonthStatus::Partly { done, of } => {
            (if t.ascii { ">" } else { "…" }, format!("{done}/{of} days"), t.warn())
        }
        MonthStatus::Retry { attempt, reason } => {
            // "HTTP 503" -> "503": the side pane is narrow.
            let reason = reason.trim_start_matches("HTTP ");
            (
                if t.ascii { "~" } else { "↻" },
                format!("retry {attempt}: {}", crate::model::printable(reason)),
                t.warn(),
            )
        }
        MonthStatus::Done { records, rejected } => {
            let rej = if *rejected > 0 { format!(" -{rejected}") } else { String::new() };
            (if t.ascii { "+" } else { "✓" }, format!("{}{rej}", thousands(*records)), t.good())
        }
        MonthStatus::SinkFailed { reason } | MonthStatus::Failed { reason } => {
            (if t.ascii { "!" } else { "✗" }, crate::model::printable(reason).into_owned(), t.bad())
        }
    };
    let mut s = format!("{glyph} {text}");
    if s.chars().count() > width {
        s = s.chars().take(width.saturating_sub(1)).collect::<String>() + "…";
    }
    Span::styled(s, style)
}

fn render_fetch(app: &App, fetch: &FetchState, area: Rect, buf: &mut Buffer) {
    let [list, gauge, rate] =
        Layout::vertical([Constraint::Min(0), Constraint::Length(1), Constraint::Length(1)]).areas(area);
    let width = list.width.saturating_sub(8) as usize;
    // Keep the scrolled-to line visible; while running, follow the first unfinished month.
    let visible = list.height as usize;
    let focus_line = if app.focus == Pane::Progress {
        app.progress_scroll
    } else {
        fetch.months.iter().position(|(_, s)| !matches!(s, MonthStatus::Done { .. })).unwrap_or(0)
    };
    let first =
        focus_line.saturating_sub(visible.saturating_sub(1)).min(fetch.months.len().saturating_sub(visible));
    let lines: Vec<Line> = fetch
        .months
        .iter()
        .skip(first)
        .take(visible)
        .map(|(m, s)| Line::from(vec![Span::raw(format!("{m} ")), status_span(app, s, width)]))
        .collect();
    Paragraph::new(lines).render(list, buf);

    let done = fetch.completed();
    let total = fetch.months.len().max(1);
    let bar_w = (gauge.width as usize).saturating_sub(7);
    let filled = done * bar_w / total;
    let (full, empty) = if app.theme.ascii { ("#", ".") } else { ("█", "░") };
    Paragraph::new(Line::from(vec![
        Span::styled(full.repeat(filled), app.theme.good()),
        Span::styled(empty.repeat(bar_w - filled), app.theme.dim()),
        Span::raw(format!(" {:>3}%", done * 100 / total)),
    ]))
    .render(gauge, buf);
    let secs = fetch.elapsed(app.now).as_secs_f64();
    let per_sec = if secs > 0.0 { fetch.records as f64 / secs } else { 0.0 };
    Paragraph::new(format!("{}/{} · {} rec/s", done, fetch.months.len(), thousands(per_sec.round() as u64)))
        .style(app.theme.dim())
        .render(rate, buf);
}

/// What is stored for the dataset, when no fetch has run in this session.
fn render_stored(app: &App, area: Rect, buf: &mut Buffer) {
    let lines = match app.coverage.get(&app.dataset) {
        Some(Loadable::Ready(c)) if !c.is_empty() => {
            let records: u64 = c.iter().map(|m| m.records).sum();
            let (first, last) = (c[0].month, c[c.len() - 1].month);
            vec![
                Line::from(format!("{} stored", crate::model::count(c.len(), "month"))),
                Line::from(format!("{first}..{last}")),
                Line::from(format!("{} records", thousands(records))),
                Line::from(""),
                Line::from(Span::styled(format!("r fetches {}", app.range), app.theme.dim())),
            ]
        }
        Some(Loadable::Ready(_)) => vec![
            Line::from(format!("No {} data stored.", app.dataset)),
            Line::from(Span::styled(format!("r fetches {}", app.range), app.theme.dim())),
        ],
        Some(Loadable::Failed(e)) => vec![Line::from(Span::styled(e.clone(), app.theme.bad()))],
        _ => vec![Line::from(Span::styled("reading the store…", app.theme.dim()))],
    };
    Paragraph::new(lines).wrap(Wrap { trim: true }).render(area, buf);
}
