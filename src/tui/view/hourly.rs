//! The curve of the selected series and month: a sparkline with one column per step (an hour
//! or a quarter-hour), or per bucket of hours when the month has more steps than the pane has
//! columns, local dates on the axis, and min / mean / max / total.

use chrono::Datelike;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Sparkline, Widget, Wrap};

use super::pane_block;
use crate::model::{format_energy, Resolution, LOCAL_TZ};
use crate::store::StepValue;
use crate::tui::state::{App, Loadable, Pane};

pub struct HourlyPane<'a> {
    pub app: &'a App,
}

const MONTHS: [&str; 12] =
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

impl Widget for HourlyPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let app = self.app;
        let month_name = MONTHS[app.month.month() as usize - 1];
        let resolution = app.dataset.resolution();
        let kind = match resolution {
            Resolution::Hour => "Hourly",
            Resolution::QuarterHour => "Quarter-hourly",
        };
        let series = Span::styled(
            format!("{} {}", super::totals::entity_title(app), crate::model::printable(&app.group)),
            app.theme.group_style(&app.group),
        );
        let (shown, stale) = app.curve_to_draw();
        let when = format!("{month_name} {}{}", app.month.year(), if stale { " · loading…" } else { "" });
        let titles = vec![
            Line::from(vec![
                Span::raw(format!(" {kind} · ")),
                series.clone(),
                Span::raw(format!(" · {when} · min–max scale ")),
            ]),
            Line::from(vec![
                Span::raw(format!(" {kind} · ")),
                series.clone(),
                Span::raw(format!(" · {when} ")),
            ]),
            Line::from(vec![Span::raw(" "), series, Span::raw(format!(" · {when} "))]),
        ];
        let block = pane_block(app, Pane::Hourly, area.width, titles);
        let inner = block.inner(area);
        block.render(area, buf);
        if app.entity.is_empty() {
            return super::totals::no_entity(app, inner, buf);
        }
        let values = match shown {
            None | Some(Loadable::Loading) => {
                return Paragraph::new("loading…").style(app.theme.dim()).render(inner, buf)
            }
            Some(Loadable::Failed(e)) => {
                return Paragraph::new(format!("query failed: {e}")).style(app.theme.bad()).render(inner, buf)
            }
            Some(Loadable::Ready(v)) if v.is_empty() => {
                return Paragraph::new(format!(
                    "No data for {} {} in {}. ←/→ change the month, g the group, r fetches {}.",
                    super::totals::entity_title(app),
                    crate::model::printable(&app.group),
                    app.month,
                    app.range
                ))
                .style(app.theme.dim())
                .wrap(Wrap { trim: true })
                .render(inner, buf)
            }
            Some(Loadable::Ready(v)) => v,
        };
        let [chart, axis, stats] =
            Layout::vertical([Constraint::Min(1), Constraint::Length(1), Constraint::Length(1)]).areas(inner);
        let per_hour = resolution.per_hour() as usize;
        let run = bucket_steps(values.len(), per_hour, chart.width as usize);
        let buckets = bucket_means(values, per_hour, chart.width as usize);
        let data = spark_levels(&buckets, chart.height);
        Sparkline::default()
            .data(&data)
            .max(10_000)
            .bar_set(app.theme.spark_set())
            .style(app.theme.group_style(&app.group))
            .render(chart, buf);
        Paragraph::new(axis_line(values, run, axis.width as usize)).style(app.theme.dim()).render(axis, buf);
        let total: f64 = values.iter().map(|v| v.kwh).sum();
        let min = values.iter().map(|v| v.kwh).fold(f64::INFINITY, f64::min);
        let top = values.iter().map(|v| v.kwh).fold(f64::NEG_INFINITY, f64::max);
        let per_col = match (run, per_hour) {
            (1, 1) => String::new(),
            (1, _) => " · 15 min/col".to_string(),
            (r, p) if r < p => format!(" · {} min/col", r * 60 / p),
            (r, p) => format!(" · {} h/col", r / p),
        };
        let hours = values.len() / per_hour;
        Paragraph::new(Line::from(vec![
            Span::raw(format!(
                "min {}  mean {}  max {}  total {}",
                format_energy(min),
                format_energy(total / values.len() as f64),
                format_energy(top),
                format_energy(total)
            )),
            Span::styled(format!("  {hours} h{per_col}"), app.theme.dim()),
        ]))
        .render(stats, buf);
    }
}

/// Sparkline levels up to 10,000 spanning the buckets' min..max, so a curve that never nears
/// zero (hydro) still shows its shape. The minimum keeps a sliver of at least one eighth of a
/// row at this height (and at least 4%), so no column looks missing. A flat curve sits at half.
pub fn spark_levels(buckets: &[f64], rows: u16) -> Vec<u64> {
    let min = buckets.iter().copied().fold(f64::INFINITY, f64::min);
    let max = buckets.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let span = max - min;
    let floor = (10_000u64.div_ceil(8 * rows.max(1) as u64)).max(400) as f64;
    buckets
        .iter()
        .map(
            |v| {
                if span > 0.0 {
                    (floor + (v - min) / span * (10_000.0 - floor)).round() as u64
                } else {
                    5_000
                }
            },
        )
        .collect()
}

/// Steps per column: 1 when the month fits, else the smallest run of hours that divides a day
/// (or is whole days) and fits, so every day looks alike instead of aliasing against the daily
/// cycle. `per_hour` is 1 for hourly data, 4 for quarter-hours (which may also run 2 a column).
pub fn bucket_steps(steps: usize, per_hour: usize, width: usize) -> usize {
    const HOURS: [usize; 11] = [1, 2, 3, 4, 6, 8, 12, 24, 48, 72, 168];
    let width = width.max(1);
    let per_hour = per_hour.max(1);
    let runs =
        (1..per_hour).filter(|r| per_hour.is_multiple_of(*r)).chain(HOURS.iter().map(|h| h * per_hour));
    runs.into_iter().find(|b| steps.div_ceil(*b) <= width).unwrap_or(steps.div_ceil(width))
}

/// Means of consecutive runs of `bucket_steps` steps (the last run may be shorter).
pub fn bucket_means(values: &[StepValue], per_hour: usize, width: usize) -> Vec<f64> {
    let run = bucket_steps(values.len(), per_hour, width);
    values.chunks(run).map(|c| c.iter().map(|v| v.kwh).sum::<f64>() / c.len() as f64).collect()
}

/// Local day numbers under the columns where weeks start, e.g. `1      8      15`.
fn axis_line(values: &[StepValue], run: usize, width: usize) -> String {
    let mut line = vec![' '; width];
    let Some(first) = values.first() else { return String::new() };
    let first_day = first.start.with_timezone(&LOCAL_TZ).date_naive();
    let mut next_free = 0usize;
    for (i, v) in values.iter().enumerate() {
        let local = v.start.with_timezone(&LOCAL_TZ);
        let day = local.date_naive();
        let is_label_day = (day - first_day).num_days() % 7 == 0 || day.day() == 1;
        let at_midnight = i == 0 || values[i - 1].start.with_timezone(&LOCAL_TZ).date_naive() != day;
        if !(is_label_day && at_midnight) {
            continue;
        }
        let col = i / run.max(1);
        let label = if day.day() == 1 {
            format!("|{} {}", MONTHS[day.month0() as usize], day.day())
        } else {
            format!("|{}", day.day())
        };
        if col < next_free || col + label.len() > width {
            continue;
        }
        for (k, c) in label.chars().enumerate() {
            line[col + k] = c;
        }
        next_free = col + label.len() + 1;
    }
    line.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone, Utc};

    fn hours(n: usize) -> Vec<StepValue> {
        let t0 = Utc.with_ymd_and_hms(2021, 2, 28, 23, 0, 0).unwrap();
        (0..n).map(|i| StepValue { start: t0 + Duration::hours(i as i64), kwh: i as f64 }).collect()
    }

    #[test]
    fn buckets_are_means_of_runs_that_divide_a_day() {
        let v = hours(10);
        assert_eq!(bucket_means(&v, 1, 20), (0..10).map(|i| i as f64).collect::<Vec<_>>());
        assert_eq!(bucket_means(&v, 1, 5), vec![0.5, 2.5, 4.5, 6.5, 8.5]);
        assert_eq!(bucket_means(&v, 1, 4), vec![1.0, 4.0, 7.0, 9.0], "runs of 3, the last shorter");
        assert_eq!(bucket_steps(744, 1, 100), 8);
        assert_eq!(bucket_steps(743, 1, 100), 8);
        assert_eq!(bucket_steps(720, 1, 96), 8);
        assert_eq!(bucket_steps(744, 1, 60), 24);
        assert_eq!(bucket_steps(744, 1, 744), 1);
        assert_eq!(bucket_means(&hours(743), 1, 100).len(), 93);
    }

    #[test]
    fn quarter_hours_bucket_like_hours() {
        // October 2023: 2,980 quarter-hours (745 hours).
        assert_eq!(bucket_steps(2980, 4, 100), 32, "8 hours a column, as for hourly data");
        assert_eq!(bucket_steps(2980, 4, 1500), 2, "half-hours when the pane is wide");
        assert_eq!(bucket_steps(2980, 4, 3000), 1);
        assert_eq!(bucket_steps(96, 4, 30), 4, "a day of quarter-hours, an hour a column");
    }

    #[test]
    fn levels_span_min_to_max() {
        assert_eq!(spark_levels(&[2.0e6, 2.5e6, 3.0e6], 30), vec![400, 5_200, 10_000]);
        assert_eq!(spark_levels(&[7.0, 7.0], 30), vec![5_000, 5_000]);
        assert_eq!(spark_levels(&[0.0, 10.0], 4), vec![400, 10_000], "4% is more than an eighth of 4 rows");
        // One row: 4% would round to nothing, so the minimum gets one eighth of the row.
        assert_eq!(spark_levels(&[0.0, 10.0], 1), vec![1_250, 10_000]);
    }

    #[test]
    fn axis_labels_week_starts_in_local_days() {
        let v = hours(743); // March 2021 from local midnight
        let line = axis_line(&v, 8, 100);
        assert!(line.starts_with("|Mar 1"), "{line}");
        assert!(line.contains("|8 "), "{line}");
        assert!(line.contains("|29"), "{line}");
        assert_eq!(line.chars().count(), 100);
    }
}
