//! The curve pane: the selected series (an entity's group, all groups, all of Norway), with the
//! pinned series beside it or the difference of two pins, as the view chosen with `v`: the
//! month's steps or a zoomed span of them (`month.rs`), the year's days (`year.rs`) or the
//! month's average day (`profile.rs`). Each has a y-axis with its unit, local times under it
//! (`axis.rs`), a legend when several series are drawn (`legend.rs`), and a last line that reads
//! the cursor or sums up what is drawn, its fields dropped whole by priority when narrow.

mod axis;
mod legend;
mod month;
mod profile;
mod year;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

use crate::model::printable;
use crate::tui::state::{App, CurveView, Loadable, Pane};

pub use axis::MONTHS;
pub use year::parts as year_parts;

pub struct CurvePane<'a> {
    pub app: &'a App,
}

/// The series on screen as titles name it: `NO1 Oslo hydro`, `Norway all groups`.
pub fn series_title(app: &App) -> String {
    app.series().map_or_else(String::new, |s| super::names::full_name(app, &s))
}

impl Widget for CurvePane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let app = self.app;
        let drawn = app.drawn();
        let (kind, when, stale) = match app.look.view {
            CurveView::Month => {
                let kind = match app.per_hour() {
                    1 => "Hourly",
                    _ => "Quarter-hourly",
                };
                let when = if app.zoomed() {
                    app.curve_span().title()
                } else {
                    format!("{} {}", MONTHS[app.month.month() as usize - 1], app.year())
                };
                (kind, when, matches!(app.main_curve(), Loadable::Ready(c) if c.stale))
            }
            CurveView::Year => ("Daily", app.year().to_string(), false),
            CurveView::Profile => {
                ("Average day", format!("{} {}", MONTHS[app.month.month() as usize - 1], app.year()), false)
            }
        };
        // With `=`, what the two share and the two; narrow, the two alone (they say what is shown).
        let (what, brief) = if app.difference_on() {
            let names = super::names::names(app, &drawn);
            let shared = super::names::shared(app, &drawn);
            let sep = if shared.is_empty() { "" } else { ": " };
            let two = format!("{} − {}", names[0], names[1]);
            (format!("{shared}{sep}{two}"), two)
        } else {
            let shared = super::names::shared(app, &drawn);
            (shared.clone(), shared)
        };
        let style = match (&app.group, drawn.len()) {
            (crate::tui::state::Groups::One(g), 1) => app.theme.group_style(g),
            _ => ratatui::style::Style::new(),
        };
        let series = Span::styled(what, style);
        let per_point = if drawn.iter().any(|s| app.per_point(s)) { " · per metering point" } else { "" };
        let loading = if stale { " · loading…" } else { "" };
        let scale = if app.look.zero_based || app.difference_on() { "from zero" } else { "from min" };
        let short = if per_point.is_empty() { "" } else { " · per point" };
        let titles = vec![
            Line::from(vec![
                Span::raw(format!(" {kind} · ")),
                series.clone(),
                Span::raw(format!(" · {when}{per_point}{loading} · {scale} ")),
            ]),
            Line::from(vec![
                Span::raw(format!(" {kind} · ")),
                series.clone(),
                Span::raw(format!(" · {when}{per_point}{loading} ")),
            ]),
            Line::from(vec![
                Span::raw(" "),
                series.clone(),
                Span::raw(format!(" · {when}{short}{loading} ")),
            ]),
            Line::from(vec![Span::raw(" "), series, Span::raw(format!(" · {when}{short} "))]),
            Line::from(format!(" {brief} · {when}{short} ")),
            Line::from(format!(" {kind} · {when}{short} ")),
            Line::from(format!(" {when}{short} ")),
        ];
        let titles = if app.entity.is_none() {
            vec![Line::from(format!(" {kind} · {} ", app.dataset)), Line::from(format!(" {kind} "))]
        } else {
            titles
        };
        let Some(inner) = super::data_pane(app, Pane::Hourly, area, buf, titles) else {
            return;
        };
        match app.look.view {
            CurveView::Month => month::render(app, inner, buf),
            CurveView::Year => year::render(app, inner, buf),
            CurveView::Profile => profile::render(app, inner, buf),
        }
    }
}

/// What a curve view says instead of a plot: loading, a failed query, or no data (it is coming,
/// or how to get it). None when there is data to draw.
pub(crate) fn placeholder<'a, T>(
    app: &App,
    loaded: &'a Loadable<Vec<T>>,
    area: Rect,
    buf: &mut Buffer,
) -> Option<&'a [T]> {
    let text = match loaded {
        Loadable::Loading => ("loading…".to_string(), app.theme.dim()),
        Loadable::Failed(e) => (format!("query failed: {}", printable(e)), app.theme.bad()),
        Loadable::Ready(v) if v.is_empty() && app.coming() => (
            format!("{} is being fetched: the curve fills as its days land.", when_text(app)),
            app.theme.dim(),
        ),
        Loadable::Ready(v) if v.is_empty() => (
            format!(
                "No data for {} in {}. ←/→ change the month, g the group; r fetches {}.",
                series_title(app),
                when_text(app),
                app.viewed_range()
            ),
            app.theme.dim(),
        ),
        Loadable::Ready(v) => return Some(v),
    };
    Paragraph::new(text.0).style(text.1).wrap(Wrap { trim: true }).render(area, buf);
    None
}

/// The time on screen as texts say it: `2021`, `2021-03`, a zoomed span's title.
fn when_text(app: &App) -> String {
    match app.look.view {
        CurveView::Year => app.year().to_string(),
        CurveView::Month if app.zoomed() => app.curve_span().title(),
        _ => app.month.to_string(),
    }
}

/// Draws `series` in `area` as every curve view does (a line and from zero for a difference);
/// returns the unit of the y-axis.
pub(crate) fn draw(
    app: &App,
    series: &[crate::tui::view::plot::Series],
    cursor: Option<usize>,
    area: Rect,
    buf: &mut Buffer,
) -> &'static str {
    crate::tui::view::plot::Plot {
        theme: &app.theme,
        series,
        line: app.look.line || app.difference_on(),
        zero_based: app.look.zero_based || app.difference_on(),
        cursor,
    }
    .render(area, buf)
}

/// The column of `starts` (the last ending at `end`) the cursor is in, when it is on and in view.
pub fn cursor_slot(
    app: &App,
    starts: &[chrono::DateTime<chrono::Utc>],
    end: chrono::DateTime<chrono::Utc>,
) -> Option<usize> {
    let at = app.cursor.filter(|t| *t < end)?;
    crate::tui::series::column_at(starts, at)
}
