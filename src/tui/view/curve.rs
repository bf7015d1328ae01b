//! The curve pane: the selected series (an entity's group, all groups, all of Norway) as the
//! view chosen with `v`: the month's steps (this file), the year's days (`year.rs`) or the
//! month's average day (`profile.rs`). Each has a y-axis with its unit, local dates under it, and
//! a last line that reads the cursor or sums up what is drawn, its fields dropped whole by
//! priority when the pane is narrow.

use chrono::{Datelike, Timelike};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

use super::plot::{Plot, GUTTER};
use super::{fit_fields, pane_block};
use crate::model::{format_energy, printable, LOCAL_TZ};
use crate::store::StepValue;
use crate::tui::series::{self, Bucket};
use crate::tui::state::{App, CurveView, Loadable, Pane, ALL};

pub struct CurvePane<'a> {
    pub app: &'a App,
}

pub const MONTHS: [&str; 12] =
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// The series as titles name it: `NO1 Oslo hydro`, `Norway all groups`.
pub fn series_title(app: &App) -> String {
    let group = if app.group == ALL { "all groups".to_string() } else { printable(&app.group).into_owned() };
    format!("{} {group}", super::totals::entity_title(app))
}

/// Slots a plot of `width` columns has: two per cell for a braille line.
pub fn slots_for(app: &App, width: usize) -> usize {
    app.plot_slots(width)
}

/// The plot, x-axis and last line of a curve view.
pub(crate) fn split(area: Rect) -> [Rect; 3] {
    Layout::vertical([Constraint::Min(1), Constraint::Length(1), Constraint::Length(1)]).areas(area)
}

impl Widget for CurvePane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let app = self.app;
        let (kind, when, stale) = match app.view {
            CurveView::Month => {
                let kind = match app.dataset.resolution().per_hour() {
                    1 => "Hourly",
                    _ => "Quarter-hourly",
                };
                (
                    kind,
                    format!("{} {}", MONTHS[app.month.month() as usize - 1], app.year()),
                    app.curve_to_draw().1,
                )
            }
            CurveView::Year => ("Daily", app.year().to_string(), false),
            CurveView::Profile => {
                ("Average day", format!("{} {}", MONTHS[app.month.month() as usize - 1], app.year()), false)
            }
        };
        let series = Span::styled(series_title(app), app.theme.group_style(&app.group));
        let loading = if stale { " · loading…" } else { "" };
        let scale = if app.zero_based { "from zero" } else { "from min" };
        let titles = vec![
            Line::from(vec![
                Span::raw(format!(" {kind} · ")),
                series.clone(),
                Span::raw(format!(" · {when}{loading} · {scale} ")),
            ]),
            Line::from(vec![
                Span::raw(format!(" {kind} · ")),
                series.clone(),
                Span::raw(format!(" · {when}{loading} ")),
            ]),
            Line::from(vec![Span::raw(" "), series, Span::raw(format!(" · {when} "))]),
            Line::from(format!(" {when} ")),
        ];
        let titles = if app.entity.is_empty() {
            vec![Line::from(format!(" {kind} · {} ", app.dataset)), Line::from(format!(" {kind} "))]
        } else {
            titles
        };
        let block = pane_block(app, Pane::Hourly, area.width, titles);
        let inner = block.inner(area);
        block.render(area, buf);
        if app.entity.is_empty() {
            return super::totals::no_entity(app, inner, buf);
        }
        match app.view {
            CurveView::Month => render_month(app, inner, buf),
            CurveView::Year => super::year::render_year(app, inner, buf),
            CurveView::Profile => super::profile::render_profile(app, inner, buf),
        }
    }
}

/// What a curve view says instead of a plot: loading, a failed query, or no data (and how to
/// get it). None when there is data to draw.
pub(crate) fn placeholder<'a, T>(
    app: &App,
    loaded: Option<&'a Loadable<Vec<T>>>,
    area: Rect,
    buf: &mut Buffer,
) -> Option<&'a [T]> {
    let text = match loaded {
        None | Some(Loadable::Loading) => ("loading…".to_string(), app.theme.dim()),
        Some(Loadable::Failed(e)) => (format!("query failed: {}", printable(e)), app.theme.bad()),
        Some(Loadable::Ready(v)) if v.is_empty() => (
            format!(
                "No data for {} in {}. ←/→ change the month, g the group; r fetches {}.",
                series_title(app),
                match app.view {
                    CurveView::Year => app.year().to_string(),
                    _ => app.month.to_string(),
                },
                app.viewed_range()
            ),
            app.theme.dim(),
        ),
        Some(Loadable::Ready(v)) => return Some(v),
    };
    Paragraph::new(text.0).style(text.1).wrap(Wrap { trim: true }).render(area, buf);
    None
}

/// The buckets of the month's curve as drawn in a plot `width` columns wide.
pub fn month_buckets(app: &App, values: &[StepValue], width: usize) -> Vec<Bucket> {
    series::buckets(values, app.dataset.resolution().per_hour() as usize, slots_for(app, width))
}

/// The cursor's slot of `slots`, when it is on.
pub fn cursor_slot(app: &App, slots: usize) -> Option<usize> {
    app.cursor.map(|c| c.min(slots.saturating_sub(1)))
}

fn render_month(app: &App, area: Rect, buf: &mut Buffer) {
    let Some(values) = placeholder(app, app.curve_to_draw().0, area, buf) else { return };
    let [chart, axis, last] = split(area);
    let width = chart.width.saturating_sub(GUTTER) as usize;
    let per_hour = app.dataset.resolution().per_hour() as usize;
    let buckets = month_buckets(app, values, width);
    let means: Vec<f64> = buckets.iter().map(|b| b.mean).collect();
    // The year before, matched by local day and time so a leap day or DST shifts nothing.
    let overlay: Option<Vec<Option<f64>>> = match app.overlay_curve().filter(|_| app.overlay) {
        Some(Loadable::Ready(before)) if !before.is_empty() => {
            let key = |b: &Bucket| {
                let t = b.start.with_timezone(&LOCAL_TZ);
                (t.day(), t.hour(), t.minute())
            };
            // The same run of hours a column as the curve, so every column has its match.
            let run = series::run_steps(values.len(), per_hour, slots_for(app, width));
            let earlier: std::collections::HashMap<_, f64> =
                series::buckets_of_run(before, per_hour, run).iter().map(|b| (key(b), b.mean)).collect();
            Some(buckets.iter().map(|b| earlier.get(&key(b)).copied()).collect())
        }
        _ => None,
    };
    let cursor = cursor_slot(app, buckets.len());
    let unit = Plot {
        theme: &app.theme,
        values: &means,
        overlay: overlay.as_deref(),
        line: app.line,
        zero_based: app.zero_based,
        cursor,
        style: app.theme.group_style(&app.group),
    }
    .render(chart, buf);
    let starts: Vec<_> = buckets.iter().map(|b| b.start).collect();
    let labels = day_labels(&starts, slots_for(app, width), width);
    axis_line(app, unit, &labels, axis, buf);
    let run = series::run_steps(values.len(), per_hour, slots_for(app, width));
    let fields = match cursor.and_then(|c| series::reading(values, &buckets, c)) {
        Some(r) => {
            let local = r.start.with_timezone(&LOCAL_TZ);
            // The column ends where the next begins (on a DST day a run holds an hour more or less).
            let end = cursor
                .and_then(|c| buckets.get(c + 1))
                .map_or(r.start + chrono::Duration::minutes((60 * run / per_hour) as i64), |b| b.start)
                .with_timezone(&LOCAL_TZ);
            let when = if run / per_hour >= 24 {
                local.format("%a %-d %b").to_string()
            } else if run == 1 {
                local.format("%a %-d %b %H:%M").to_string()
            } else {
                format!("{}–{}", local.format("%a %-d %b %H:%M"), end.format("%H:%M"))
            };
            let day = format!("day {}", format_energy(r.day_total));
            if run / per_hour >= 24 {
                // A column of whole days: the day's total says most.
                vec![(0, when), (1, day), (2, format!("mean {}/h", format_energy(r.value)))]
            } else {
                let value = if run == 1 {
                    format_energy(r.value)
                } else {
                    format!("mean {}", format_energy(r.value))
                };
                vec![(0, when), (1, value), (2, day)]
            }
        }
        None => {
            let total: f64 = values.iter().map(|v| v.kwh).sum();
            let (min, max) = values
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v.kwh), b.max(v.kwh)));
            let step = if per_hour == 1 { "hour" } else { "15 min" };
            let expected = app.month.hours() as usize * per_hour;
            let mut fields = vec![
                (0, format!("total {}", format_energy(total))),
                (
                    2,
                    format!(
                        "per {step} min {} mean {} max {}",
                        format_energy(min),
                        format_energy(total / values.len() as f64),
                        format_energy(max)
                    ),
                ),
                (4, format!("{} h", values.len() / per_hour)),
                (5, format!("{}/col", series::run_label(run, per_hour))),
            ];
            if values.len() < expected {
                fields.insert(
                    1,
                    (1, format!("partial: {} of {} h", values.len() / per_hour, expected / per_hour)),
                );
            }
            if overlay.is_some() {
                fields.push((3, format!("dotted: {}", app.year() - 1)));
            }
            fields
        }
    };
    Paragraph::new(fit_fields(&fields, last.width as usize)).render(last, buf);
}

/// Labels under the slots where local weeks (and months) start: (column, text).
pub(crate) fn day_labels(
    starts: &[chrono::DateTime<chrono::Utc>],
    slots: usize,
    width: usize,
) -> Vec<(usize, String)> {
    let Some(first) = starts.first() else { return Vec::new() };
    let first_day = series::local_day(*first);
    let mut out = Vec::new();
    let mut last_day = None;
    for (i, t) in starts.iter().enumerate() {
        let day = series::local_day(*t);
        if last_day == Some(day) {
            continue;
        }
        last_day = Some(day);
        if (day - first_day).num_days() % 7 != 0 && day.day() != 1 {
            continue;
        }
        let text = if day.day() == 1 {
            format!("{} {}", MONTHS[day.month0() as usize], day.day())
        } else {
            day.day().to_string()
        };
        out.push((column_of(i, starts.len(), slots, width), text));
    }
    out
}

/// The column where slot `i` of `n` starts, as `Plot` lays slots out over `slots` sub-columns
/// in `width` cells (each slot the same whole number of sub-columns).
pub(crate) fn column_of(i: usize, n: usize, slots: usize, width: usize) -> usize {
    let each = (slots / n.max(1)).max(1);
    let per_cell = (slots / width.max(1)).max(1);
    i * each / per_cell
}

/// The x-axis: the unit in the gutter, then `|label`s where they fit without overlapping.
pub(crate) fn axis_line(app: &App, unit: &str, labels: &[(usize, String)], area: Rect, buf: &mut Buffer) {
    let width = area.width.saturating_sub(GUTTER) as usize;
    let mut line = vec![' '; width];
    let mut next_free = 0;
    for (col, text) in labels {
        let label = format!("|{text}");
        let len = label.chars().count();
        if *col < next_free || col + len > width {
            continue;
        }
        for (k, c) in label.chars().enumerate() {
            line[col + k] = c;
        }
        next_free = col + len + 1;
    }
    let text = format!("{unit:>4} {}", line.into_iter().collect::<String>());
    buf.set_stringn(area.x, area.y, text, area.width as usize, app.theme.dim());
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone, Utc};

    #[test]
    fn labels_mark_week_starts_at_their_columns() {
        // March 2021 from local midnight, 3-hour columns: 248 slots in 248 columns.
        let t0 = Utc.with_ymd_and_hms(2021, 2, 28, 23, 0, 0).unwrap();
        let starts: Vec<_> = (0..248).map(|i| t0 + Duration::hours(3 * i)).collect();
        let labels = day_labels(&starts, 248, 248);
        assert_eq!(labels[0], (0, "Mar 1".to_string()));
        assert_eq!(labels[1], (56, "8".to_string()), "a week of 8 columns a day later");
        // Braille: two slots a column.
        assert_eq!(column_of(56, 248, 496, 248), 56, "a slot a column, or two sub-columns of braille");
        assert_eq!(column_of(6, 24, 100, 100), 24, "24 hours in 100 columns: 4 columns an hour");
    }
}
