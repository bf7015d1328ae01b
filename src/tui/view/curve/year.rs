//! The year view of the curve pane: the daily totals of every drawn series over the local year
//! (from the daily rollups, no scan of records; per metering point each day by its mean count),
//! or the difference of two pins, and the current series' twelve monthly totals beside the curve
//! when the pane is wide, below it when it is not, or the viewed month's alone when it is small.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::axis::{axis_line, dst_columns, dst_mark, month_labels, split, MONTHS};
use super::legend::{self, Entry};
use super::placeholder;
use crate::model::format_energy;
use crate::tui::series;
use crate::tui::state::{App, Groups, Loadable};
use crate::tui::view::fit_fields;
use crate::tui::view::plot::{self, GUTTER};

/// Width of the monthly table beside the curve: `Mar  2.91 TWh`.
const TABLE: u16 = 15;

/// Where the curve and the monthly totals go in the pane's inner `area`: months beside the curve
/// when wide, below it when there are rows to spare (the plot keeps three), else none. (curve,
/// months, beside, months a line).
pub fn parts(area: Rect) -> (Rect, Option<Rect>, bool, usize) {
    let beside = area.width >= 60 + TABLE && area.height >= 13;
    let per_line = (area.width.saturating_sub(4) as usize / 10).max(1);
    let below_rows = 12usize.div_ceil(per_line) as u16;
    let below = !beside && area.height >= below_rows + 5;
    if beside {
        let [c, m] = Layout::horizontal([Constraint::Min(0), Constraint::Length(TABLE)]).areas(area);
        (c, Some(m), true, per_line)
    } else if below {
        let [c, m] = Layout::vertical([Constraint::Min(0), Constraint::Length(below_rows)]).areas(area);
        (c, Some(m), false, per_line)
    } else {
        (area, None, false, per_line)
    }
}

/// The days of one series, and its value per column of `firsts` (`run` days each): the mean of
/// the days it has there.
fn columns_of(days: &[(NaiveDate, f64)], firsts: &[NaiveDate], run: usize) -> Vec<Option<f64>> {
    let by_day: BTreeMap<NaiveDate, f64> = days.iter().copied().collect();
    firsts
        .iter()
        .map(|first| {
            let values: Vec<f64> =
                first.iter_days().take(run).filter_map(|d| by_day.get(&d).copied()).collect();
            (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
        })
        .collect()
}

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let drawn = app.drawn();
    let data: Vec<Loadable<Vec<(NaiveDate, f64)>>> = if app.difference_on() {
        vec![match (app.year_of(&drawn[0]), app.year_of(&drawn[1])) {
            (Loadable::Ready(a), Loadable::Ready(b)) => Loadable::Ready(series::subtract(&a, &b)),
            (Loadable::Failed(e), _) | (_, Loadable::Failed(e)) => Loadable::Failed(e),
            _ => Loadable::Loading,
        }]
    } else {
        drawn.iter().map(|s| app.year_of(s)).collect()
    };
    let drawable = match &data[0] {
        Loadable::Ready(v) => !v.is_empty() || data.len() > 1,
        _ => false,
    };
    if !drawable {
        placeholder(app, &data[0], area, buf);
        return;
    }
    let main: &[(NaiveDate, f64)] = match &data[0] {
        Loadable::Ready(v) => v,
        _ => &[],
    };
    let months = series::months_of(main);
    let (stored, possible) = app.year_coverage();
    let names = if app.difference_on() {
        let n = crate::tui::view::names::names(app, &drawn);
        vec![format!("{} − {}", n[0], n[1])]
    } else {
        crate::tui::view::names::names(app, &drawn)
    };
    let (curve_area, months_area, beside, per_line) = parts(area);
    let rows = legend::rows_for(&names, curve_area.height, curve_area.width);
    let [chart, axis, legend_area, last] = split(curve_area, rows);
    let width = chart.width.saturating_sub(GUTTER) as usize;
    let slots = app.plot_slots(width);
    let (run, firsts) = app.day_columns(slots);
    let group_style = match &app.group {
        Groups::One(g) if !app.difference_on() => app.theme.group_style(g),
        _ => app.theme.series_style(0),
    };
    let values: Vec<Vec<Option<f64>>> = data
        .iter()
        .map(|d| match d {
            Loadable::Ready(days) => columns_of(days, &firsts, run),
            _ => vec![None; firsts.len()],
        })
        .collect();
    let alone = data.len() == 1;
    let styled: Vec<(plot::Trace, ratatui::style::Style)> =
        (0..data.len()).map(|i| legend::trace(app, i, alone, group_style)).collect();
    let traces: Vec<plot::Series> = values
        .iter()
        .zip(&styled)
        .map(|(v, (trace, style))| plot::Series { values: v, style: *style, trace: *trace })
        .collect();
    let cursor_day = app.cursor.map(series::local_day);
    let cursor = cursor_day.and_then(|d| firsts.partition_point(|f| *f <= d).checked_sub(1));
    let unit = super::draw(app, &traces, cursor, chart, buf);
    let marks = dst_columns(&firsts, run, slots, width);
    axis_line(app, unit, &month_labels(&firsts, slots, width), &marks, axis, buf);
    let value_at = |d: &Loadable<Vec<(NaiveDate, f64)>>, c: Option<usize>| -> String {
        match d {
            Loadable::Loading => "loading…".into(),
            Loadable::Failed(_) => "query failed".into(),
            Loadable::Ready(v) if v.is_empty() => "not stored".into(),
            Loadable::Ready(v) => match c {
                Some(c) => values_at(v, &firsts, run, c),
                None => format!("total {}", format_energy(v.iter().map(|d| d.1).sum())),
            },
        }
    };
    if data.len() > 1 {
        let entries: Vec<Entry> = data
            .iter()
            .zip(&names)
            .zip(&styled)
            .map(|((d, name), (trace, style))| Entry {
                swatch: legend::swatch(app, *trace),
                style: *style,
                text: format!("{name} {}", value_at(d, cursor)),
            })
            .collect();
        legend::render(&entries, legend_area, buf);
    }
    let mut fields = match cursor {
        Some(c) => {
            let span: Vec<NaiveDate> = firsts[c].iter_days().take(run).collect();
            let when = match span.as_slice() {
                [only] => only.format("%a %-d %b").to_string(),
                _ => format!("{}–{}", span[0].format("%-d %b"), span[span.len() - 1].format("%-d %b")),
            };
            let mut f = vec![(0, when)];
            if data.len() == 1 {
                let v = value_at(&data[0], Some(c));
                f.push((1, if app.difference_on() { format!("net {v}") } else { v }));
                let month = firsts[c].month0() as usize;
                if let Some(m) = months[month] {
                    f.push((2, format!("{} {}", MONTHS[month], format_energy(m))));
                }
            }
            if let Some(mark) = span.iter().find_map(|d| dst_mark(*d)) {
                f.push((3, format!("a day of {mark}")));
            }
            f
        }
        None if data.len() > 1 => vec![(0, "[ ] reads every series at one day".to_string())],
        None => vec![
            (
                0,
                format!(
                    "{} {}",
                    if app.difference_on() { "net" } else { "total" },
                    format_energy(main.iter().map(|d| d.1).sum())
                ),
            ),
            (3, format!("{}/col", crate::model::count(run, "day"))),
        ],
    };
    if stored < possible {
        fields.push((1, format!("{stored} of {possible} months stored")));
    }
    if months_area.is_none() && cursor.is_none() && data.len() == 1 {
        if let Some(m) = months[app.month.month() as usize - 1] {
            fields.push((2, format!("{} {}", MONTHS[app.month.month() as usize - 1], format_energy(m))));
        }
    }
    Paragraph::new(fit_fields(&fields, last.width as usize)).render(last, buf);
    if let Some(m) = months_area {
        render_months(app, &months, m, beside, per_line, buf);
    }
}

/// A series' value in column `c`: the day's, or the mean of the days.
fn values_at(days: &[(NaiveDate, f64)], firsts: &[NaiveDate], run: usize, c: usize) -> String {
    match columns_of(days, &firsts[c..=c], run)[0] {
        Some(v) if run == 1 => format_energy(v),
        Some(v) => format!("mean {}/day", format_energy(v)),
        None => "-".into(),
    }
}

/// The twelve monthly totals in one unit: a table, or lines of `Jan 2.31`.
fn render_months(
    app: &App,
    months: &[Option<f64>; 12],
    area: Rect,
    beside: bool,
    per_line: usize,
    buf: &mut Buffer,
) {
    let max = months.iter().flatten().fold(0.0f64, |a, b| a.max(b.abs()));
    let (divisor, unit) = plot::unit(max);
    let cell = |i: usize| -> String {
        let value = months[i].map_or("-".to_string(), |v| plot::label(v, divisor, max));
        format!("{} {value:>4}", MONTHS[i])
    };
    let style =
        |i: usize| if i == (app.month.month() as usize - 1) { app.theme.title() } else { Default::default() };
    let lines: Vec<Line> = if beside {
        std::iter::once(Line::styled(format!(" {unit:>8}"), app.theme.dim()))
            .chain((0..12).map(|i| Line::styled(format!(" {}", cell(i)), style(i))))
            .collect()
    } else {
        (0..12)
            .collect::<Vec<_>>()
            .chunks(per_line)
            .enumerate()
            .map(|(row, chunk)| {
                // The unit once, before the first month.
                let lead = if row == 0 { format!("{unit} ") } else { "    ".to_string() };
                let spans = std::iter::once(Span::styled(lead, app.theme.dim()))
                    .chain(chunk.iter().map(|&i| Span::styled(format!("{}  ", cell(i)), style(i))));
                Line::from(spans.collect::<Vec<_>>())
            })
            .collect()
    };
    Paragraph::new(lines).render(area, buf);
}
