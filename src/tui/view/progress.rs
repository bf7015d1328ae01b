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
        let failed = fetch.map_or(0, FetchState::failed);
        let (state, dataset) = match fetch {
            Some(f) if f.running() => ("Fetching".to_string(), Some(f.dataset)),
            Some(f) if failed > 0 && failed == f.months.len() => ("Failed".to_string(), Some(f.dataset)),
            Some(f) if failed > 0 => (format!("Fetched, {failed} failed"), Some(f.dataset)),
            Some(f) => ("Fetched".to_string(), Some(f.dataset)),
            None => ("Stored".to_string(), Some(app.dataset)),
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

/// The month whose reason the pane spells out: the line scrolled to while the pane has the
/// focus, else the first month that failed.
fn explained(app: &App, fetch: &FetchState) -> Option<(crate::model::Month, String)> {
    let reason = |s: &MonthStatus| match s {
        MonthStatus::Failed { reason } | MonthStatus::SinkFailed { reason } => Some(reason.clone()),
        MonthStatus::Retry { attempt, reason } => Some(format!("retry {attempt}: {reason}")),
        _ => None,
    };
    let focused = fetch.months.get(app.progress_scroll).filter(|_| app.focus == Pane::Progress);
    if let Some(r) = focused.and_then(|(m, s)| reason(s).map(|r| (*m, r))) {
        return Some(r);
    }
    fetch.months.iter().find_map(|(m, s)| match s {
        MonthStatus::Failed { reason } | MonthStatus::SinkFailed { reason } => Some((*m, reason.clone())),
        _ => None,
    })
}

fn render_fetch(app: &App, fetch: &FetchState, area: Rect, buf: &mut Buffer) {
    // A reason in full under the list, where the pane has rows for it.
    let detail = explained(app, fetch).map(|(m, r)| format!("{m}: {}", crate::model::printable(&r)));
    let detail_rows = detail.as_ref().map_or(0, |d| {
        (super::wrap_words(d, area.width.max(1) as usize).len() as u16).min(area.height.saturating_sub(4))
    });
    let [list, why, gauge, rate] = Layout::vertical([
        Constraint::Min(0),
        Constraint::Length(detail_rows),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    if let Some(d) = detail.filter(|_| detail_rows > 0) {
        Paragraph::new(d).style(app.theme.bad_plain()).wrap(Wrap { trim: true }).render(why, buf);
    }
    let width = list.width.saturating_sub(8) as usize;
    // Keep the scrolled-to line visible; while running, follow the first unfinished month.
    let visible = list.height as usize;
    let focused = app.focus == Pane::Progress;
    let focus_line = if focused {
        app.progress_scroll
    } else {
        fetch.months.iter().position(|(_, s)| !matches!(s, MonthStatus::Done { .. })).unwrap_or(0)
    };
    let first =
        focus_line.saturating_sub(visible.saturating_sub(1)).min(fetch.months.len().saturating_sub(visible));
    let lines: Vec<Line> = fetch
        .months
        .iter()
        .enumerate()
        .skip(first)
        .take(visible)
        .map(|(i, (m, s))| {
            let month_style =
                if focused && i == app.progress_scroll { app.theme.selected(true) } else { Style::new() };
            Line::from(vec![
                Span::styled(format!("{m}"), month_style),
                Span::raw(" "),
                status_span(app, s, width),
            ])
        })
        .collect();
    Paragraph::new(lines).render(list, buf);

    // The gauge: months fetched in green, months failed in red (and another glyph, for NO_COLOR).
    let done = fetch.completed();
    let failed = fetch.failed();
    let total = fetch.months.len().max(1);
    let bar_w = (gauge.width as usize).saturating_sub(7);
    let filled = done * bar_w / total;
    let bad = (failed * bar_w).div_ceil(total).min(filled);
    let (full, broken, empty) = if app.theme.ascii { ("#", "x", ".") } else { ("█", "▒", "░") };
    Paragraph::new(Line::from(vec![
        Span::styled(full.repeat(filled - bad), app.theme.good()),
        Span::styled(broken.repeat(bad), app.theme.bad_plain()),
        Span::styled(empty.repeat(bar_w - filled), app.theme.dim()),
        Span::raw(format!(" {:>3}%", done * 100 / total)),
    ]))
    .render(gauge, buf);
    // The rate only once a second has passed: before that it is noise.
    let secs = fetch.elapsed(app.now).as_secs_f64();
    let mut fields = vec![(0, format!("{}/{}", done, fetch.months.len()))];
    if failed > 0 {
        fields.push((1, format!("{failed} failed")));
    }
    if secs >= 1.0 {
        fields.push((2, format!("{} rec/s", thousands((fetch.records as f64 / secs).round() as u64))));
    }
    Paragraph::new(super::fit_fields(&fields, rate.width as usize)).style(app.theme.dim()).render(rate, buf);
}

/// What is stored for the dataset, when no fetch has run in this session.
fn render_stored(app: &App, area: Rect, buf: &mut Buffer) {
    let lines = match app.q.coverage.get(&app.dataset) {
        Some(Loadable::Ready(c)) if !c.is_empty() => {
            let records: u64 = c.iter().map(|m| m.records).sum();
            let (first, last) = (c[0].month, c[c.len() - 1].month);
            vec![
                Line::from(format!("{} stored", crate::model::count(c.len(), "month"))),
                Line::from(format!("{first}..{last}")),
                Line::from(format!("{} records", thousands(records))),
                Line::from(""),
                Line::from(Span::styled(format!("r fetches {}", app.viewed_range()), app.theme.dim())),
            ]
        }
        Some(Loadable::Ready(_)) => vec![
            // The title names the dataset; a long alias would break mid-word here.
            Line::from("Nothing stored yet."),
            Line::from(Span::styled(format!("r fetches {}", app.viewed_range()), app.theme.dim())),
        ],
        Some(Loadable::Failed(e)) => vec![Line::from(Span::styled(e.clone(), app.theme.bad()))],
        _ => vec![Line::from(Span::styled("reading the store…", app.theme.dim()))],
    };
    Paragraph::new(lines).wrap(Wrap { trim: true }).render(area, buf);
}
