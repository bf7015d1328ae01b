//! The year view of the curve pane: the selected series' daily totals over the local year as a
//! curve (from the daily rollups, no scan of records), and its twelve monthly totals beside it
//! when the pane is wide, below it when it is not, or the viewed month's alone when it is small.

use chrono::Datelike;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::curve::{axis_line, column_of, cursor_slot, placeholder, slots_for, split, MONTHS};
use super::fit_fields;
use super::plot::{self, Plot, GUTTER};
use crate::model::format_energy;
use crate::tui::series;
use crate::tui::state::App;

/// Width of the monthly table beside the curve: `Mar  2.91 TWh`.
const TABLE: u16 = 15;

/// Where the curve and the monthly totals go in the pane's inner `area`: months beside the curve
/// when wide, below it when there are rows to spare, else none. (curve, months, beside, months
/// a line).
pub fn parts(area: Rect) -> (Rect, Option<Rect>, bool, usize) {
    let beside = area.width >= 60 + TABLE && area.height >= 13;
    let per_line = (area.width.saturating_sub(4) as usize / 10).max(1);
    let below_rows = 12usize.div_ceil(per_line) as u16;
    let below = !beside && area.height >= below_rows + 6;
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

pub fn render_year(app: &App, area: Rect, buf: &mut Buffer) {
    let Some(rollups) = placeholder(app, app.years.get(&app.year_key()), area, buf) else { return };
    let days = series::days_of(rollups);
    let months = series::months_of(&days);
    let (stored, possible) = app.year_coverage();
    let (curve_area, months_area, beside, per_line) = parts(area);
    let [chart, axis, last] = split(curve_area);
    let width = chart.width.saturating_sub(GUTTER) as usize;
    let slots = slots_for(app, width);
    let (run, values) = series::day_columns(&days, slots);
    let cursor = cursor_slot(app, values.len());
    let unit = Plot {
        theme: &app.theme,
        values: &values,
        overlay: None,
        line: app.line,
        zero_based: app.zero_based,
        cursor,
        style: app.theme.group_style(&app.group),
    }
    .render(chart, buf);
    let labels: Vec<(usize, String)> = (0..values.len())
        .filter_map(|i| {
            let (d, _) = days[i * run];
            let first_of_month = i == 0 || days[(i - 1) * run].0.month() != d.month();
            let name = MONTHS[d.month0() as usize];
            let text = if width >= 12 * 5 { name.to_string() } else { name[..1].to_string() };
            first_of_month.then(|| (column_of(i, values.len(), slots, width), text))
        })
        .collect();
    axis_line(app, unit, &labels, axis, buf);
    let total: f64 = days.iter().map(|d| d.1).sum();
    let month_total = months[app.month.month() as usize - 1];
    let mut fields = match cursor.and_then(|c| days.get(c * run).map(|d| (c, d))) {
        Some((c, (day, _))) => {
            let span = &days[c * run..((c + 1) * run).min(days.len())];
            let when = match span {
                [only] => only.0.format("%a %-d %b").to_string(),
                _ => format!("{}–{}", day.format("%-d %b"), span[span.len() - 1].0.format("%-d %b")),
            };
            let value = if span.len() == 1 {
                format_energy(values[c])
            } else {
                format!("mean {}/day", format_energy(values[c]))
            };
            let month = months[day.month0() as usize]
                .map(|m| format!("{} {}", MONTHS[day.month0() as usize], format_energy(m)));
            vec![(0, when), (1, value)].into_iter().chain(month.map(|m| (2, m))).collect::<Vec<_>>()
        }
        None => vec![
            (0, format!("total {}", format_energy(total))),
            (3, format!("{}/col", crate::model::count(run, "day"))),
        ],
    };
    if stored < possible {
        fields.push((1, format!("{stored} of {possible} months stored")));
    }
    if months_area.is_none() && cursor.is_none() {
        if let Some(m) = month_total {
            fields.push((2, format!("{} {}", MONTHS[app.month.month() as usize - 1], format_energy(m))));
        }
    }
    Paragraph::new(fit_fields(&fields, last.width as usize)).render(last, buf);
    if let Some(m) = months_area {
        render_months(app, &months, m, beside, per_line, buf);
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
