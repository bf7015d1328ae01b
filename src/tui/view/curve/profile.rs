//! The average-day view of the curve pane: for each local hour of the month, the mean over its
//! weekdays and, as a line of its own colour or mark, over its weekends; beside pins, each
//! series' weekdays; with `=`, the difference of two pins' weekdays.

use chrono::Timelike;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::{Paragraph, Widget};

use super::axis::{axis_line, column_of, split};
use super::legend::{self, Entry};
use super::placeholder;
use crate::model::format_energy;
use crate::store::StepValue;
use crate::tui::series;
use crate::tui::state::span::Span;
use crate::tui::state::{App, Groups, Loadable, Series};
use crate::tui::view::fit_fields;
use crate::tui::view::plot::{self, Trace, GUTTER};

/// The hour of the largest value, and the value.
fn peak(hours: &[Option<f64>]) -> Option<(usize, f64)> {
    hours.iter().enumerate().filter_map(|(h, v)| v.map(|v| (h, v))).max_by(|a, b| a.1.total_cmp(&b.1))
}

/// A series' average weekday and weekend of the month on screen.
fn profile_of(app: &App, s: &Series) -> Loadable<[Vec<Option<f64>>; 2]> {
    match app.curve_of(s, Span::of_month(app.month)) {
        Loadable::Ready(steps) => Loadable::Ready(profile(&steps, s)),
        Loadable::Failed(e) => Loadable::Failed(e),
        Loadable::Loading => Loadable::Loading,
    }
}

fn profile(steps: &[StepValue], s: &Series) -> [Vec<Option<f64>>; 2] {
    series::day_profile(steps, s.dataset.resolution().per_hour() as usize)
}

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let drawn = app.drawn();
    let main_steps = app.curve_of(&drawn[0], Span::of_month(app.month));
    let Some(steps) = placeholder(app, &main_steps, area, buf) else { return };
    // (name, hourly values, how drawn)
    let mut lines: Vec<(String, Vec<Option<f64>>, Trace, ratatui::style::Style)> = Vec::new();
    let group_style = match &app.group {
        Groups::One(g) if drawn.len() == 1 => app.theme.group_style(g),
        _ => app.theme.series_style(0),
    };
    let [weekday, weekend] = profile(steps, &drawn[0]);
    if app.difference_on() {
        let names = crate::tui::view::names::names(app, &drawn);
        let other = match profile_of(app, &drawn[1]) {
            Loadable::Ready([w, _]) => w,
            _ => vec![None; 24],
        };
        let net = weekday.iter().zip(&other).map(|(a, b)| Some((*a)? - (*b)?)).collect();
        lines.push((format!("{} − {}, weekdays", names[0], names[1]), net, Trace::Main, group_style));
    } else if drawn.len() == 1 {
        lines.push(("weekdays".into(), weekday, Trace::Main, group_style));
        let (trace, style) = legend::trace(app, 1, false, group_style);
        lines.push(("weekends".into(), weekend, trace, style));
    } else {
        let names = crate::tui::view::names::names(app, &drawn);
        for (i, (s, name)) in drawn.iter().zip(names).enumerate() {
            let values = if i == 0 {
                weekday.clone()
            } else {
                match profile_of(app, s) {
                    Loadable::Ready([w, _]) => w,
                    _ => vec![None; 24],
                }
            };
            let (trace, style) = legend::trace(app, i, false, group_style);
            lines.push((format!("{name}, weekdays"), values, trace, style));
        }
    }
    let rows =
        legend::rows_for(&lines.iter().map(|l| l.0.clone()).collect::<Vec<_>>(), area.height, area.width);
    let [chart, axis, legend_area, last] = split(area, rows);
    let width = chart.width.saturating_sub(GUTTER) as usize;
    let cursor = app.cursor.map(|t| t.with_timezone(&crate::model::LOCAL_TZ).hour() as usize);
    let traces: Vec<plot::Series> = lines
        .iter()
        .map(|(_, v, trace, style)| plot::Series { values: v, style: *style, trace: *trace })
        .collect();
    let unit = super::draw(app, &traces, cursor, chart, buf);
    let slots = app.plot_slots(width);
    let every = if width >= 24 * 4 { 3 } else { 6 };
    let labels: Vec<_> =
        (0..24).step_by(every).map(|h| (column_of(h, 24, slots, width), format!("{h:02}"), 1)).collect();
    axis_line(app, unit, &labels, &[], axis, buf);
    let value = |v: Option<f64>| v.map_or("-".to_string(), format_energy);
    let entries: Vec<Entry> = lines
        .iter()
        .map(|(name, v, trace, style)| Entry {
            swatch: legend::swatch(app, *trace),
            style: *style,
            text: match cursor {
                Some(h) => format!("{name} {}", value(v[h])),
                None => match peak(v) {
                    Some((h, p)) => format!("{name}: peak {h:02}:00 {}", format_energy(p)),
                    None => format!("{name}: not stored"),
                },
            },
        })
        .collect();
    legend::render(&entries, legend_area, buf);
    let fields = match cursor {
        Some(h) => vec![(0, format!("{h:02}:00–{:02}:00", (h + 1) % 24))],
        None => vec![(0, "[ ] reads an hour".to_string())],
    };
    Paragraph::new(fit_fields(&fields, last.width as usize)).render(last, buf);
}
