//! The month's curve, or a zoomed span of it: every drawn series read into the same columns (runs
//! of steps from local midnight, filling the plot's width), the year before dotted, or the
//! difference of two pins over a zero line. The cursor reads its column; once a step has a
//! column of its own it reads that step exactly (the value as stored, its local time with the
//! offset on days of 23 or 25 hours, and its place in the day).

use chrono::{DateTime, Duration, Utc};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::{Paragraph, Widget};

use super::axis::{axis_line, dst_marks, split, time_labels};
use super::legend::{self, Entry};
use super::{cursor_slot, placeholder};
use crate::model::{format_energy, shortest, Month, LOCAL_TZ};
use crate::store::StepValue;
use crate::tui::series::{self, Cell};
use crate::tui::state::span::{hours_of_day, same_day_in, Span};
use crate::tui::state::{App, Groups, Loadable, Series};
use crate::tui::view::fit_fields;
use crate::tui::view::plot::{self, Trace, GUTTER};

/// One series as this view reads it.
struct Drawn {
    name: String,
    steps: Loadable<Vec<StepValue>>,
    cells: Vec<Option<Cell>>,
    trace: Trace,
    style: ratatui::style::Style,
}

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let drawn = app.drawn();
    let (span, steps) = if app.difference_on() {
        let span = app.curve_span();
        let net = match (app.curve_of(&drawn[0], span), app.curve_of(&drawn[1], span)) {
            (Loadable::Ready(a), Loadable::Ready(b)) => {
                let per_hour = app.per_hour();
                let a = series::coarsen(&a, drawn[0].dataset.resolution().per_hour() as usize, per_hour);
                let b = series::coarsen(&b, drawn[1].dataset.resolution().per_hour() as usize, per_hour);
                Loadable::Ready(series::steps_of(&series::subtract(&series::pairs(&a), &series::pairs(&b))))
            }
            (Loadable::Failed(e), _) | (_, Loadable::Failed(e)) => Loadable::Failed(e),
            _ => Loadable::Loading,
        };
        (span, vec![net])
    } else {
        let main = app.main_curve();
        let span = match &main {
            Loadable::Ready(c) => c.span,
            _ => app.curve_span(),
        };
        let main_steps = match main {
            Loadable::Ready(c) => Loadable::Ready(c.steps),
            Loadable::Failed(e) => Loadable::Failed(e),
            Loadable::Loading => Loadable::Loading,
        };
        let mut all = vec![main_steps];
        all.extend(drawn.iter().skip(1).map(|s| app.curve_of(s, span)));
        (span, all)
    };
    // Alone, a series with nothing to draw says why; beside pins, the legend says it.
    let drawable = match &steps[0] {
        Loadable::Ready(v) => !v.is_empty() || steps.len() > 1,
        _ => false,
    };
    if !drawable {
        placeholder(app, &steps[0], area, buf);
        return;
    }
    let names = if app.difference_on() {
        let n = crate::tui::view::names::names(app, &drawn);
        vec![format!("{} − {}", n[0], n[1])]
    } else {
        crate::tui::view::names::names(app, &drawn)
    };
    let per_hour = app.per_hour();
    let group_style = match &app.group {
        Groups::One(g) if !app.difference_on() => app.theme.group_style(g),
        _ => app.theme.series_style(0),
    };
    let rows = legend::rows_for(&names, area.height, area.width);
    let [chart, axis, legend_area, last] = split(area, rows);
    let width = chart.width.saturating_sub(GUTTER) as usize;
    let slots = app.plot_slots(width);
    let (run, starts) = app.step_columns(span, slots);
    let alone = steps.len() == 1;
    let series: Vec<Drawn> = steps
        .into_iter()
        .zip(names)
        .enumerate()
        .map(|(i, (steps, name))| {
            let own = if app.difference_on() {
                per_hour
            } else {
                drawn[i].dataset.resolution().per_hour() as usize
            };
            let steps = match steps {
                Loadable::Ready(v) => Loadable::Ready(series::coarsen(&v, own, per_hour)),
                other => other,
            };
            let cells = match &steps {
                Loadable::Ready(v) => series::cells(v, &starts, span.end),
                _ => vec![None; starts.len()],
            };
            let (trace, style) = legend::trace(app, i, alone, group_style);
            Drawn { name, steps, cells, trace, style }
        })
        .collect();
    let means: Vec<Vec<Option<f64>>> =
        series.iter().map(|d| d.cells.iter().map(|c| c.map(|c| c.mean)).collect()).collect();
    let overlay = year_before(app, &drawn, &starts, span);
    let mut traces: Vec<plot::Series> = series
        .iter()
        .zip(&means)
        .map(|(d, values)| plot::Series { values, style: d.style, trace: d.trace })
        .collect();
    if let Some(values) = &overlay {
        traces.push(plot::Series { values, style: ratatui::style::Style::new(), trace: Trace::Dots });
    }
    let cursor = cursor_slot(app, &starts, span.end);
    let unit = super::draw(app, &traces, cursor, chart, buf);
    let marks = dst_marks(&starts, slots, width);
    axis_line(app, unit, &time_labels(&starts, slots, width), &marks, axis, buf);
    let exact = cursor
        .filter(|c| series[0].cells[*c].is_some_and(|cell| cell.steps == 1) && run == 1 || app.zoomed());
    if series.len() > 1 {
        let entries: Vec<Entry> = series
            .iter()
            .map(|d| Entry {
                swatch: legend::swatch(app, d.trace),
                style: d.style,
                text: format!("{} {}", d.name, value_text(d, cursor, exact.is_some(), app.cursor, per_hour)),
            })
            .collect();
        legend::render(&entries, legend_area, buf);
    }
    let fields = match cursor {
        Some(c) => cursor_fields(app, &series, &starts, c, run, per_hour, exact.is_some(), span, last.width),
        None => summary_fields(app, &series[0], run, per_hour, span, overlay.is_some(), series.len()),
    };
    Paragraph::new(fit_fields(&fields, last.width as usize)).render(last, buf);
}

/// The main series' year before, one value a column, where `o` asks for it.
fn year_before(
    app: &App,
    drawn: &[Series],
    starts: &[DateTime<Utc>],
    span: Span,
) -> Option<Vec<Option<f64>>> {
    if !app.look.overlay || app.difference_on() {
        return None;
    }
    let main = drawn.first()?;
    let Loadable::Ready(before) = app.curve_of(main, app.year_before()) else { return None };
    if before.is_empty() {
        return None;
    }
    // Each step a year later by the local calendar, so a leap day or DST shifts nothing.
    let later: Vec<StepValue> = before
        .iter()
        .map(|s| {
            let m = Month::containing(s.start);
            let next = Month::new(m.year() + 1, m.month()).unwrap_or(m);
            StepValue { start: same_day_in(s.start, next) + minutes_past_hour(s.start), kwh: s.kwh }
        })
        .collect();
    let per_hour = app.per_hour();
    let later = series::coarsen(&later, main.dataset.resolution().per_hour() as usize, per_hour);
    Some(series::cells(&later, starts, span.end).into_iter().map(|c| c.map(|c| c.mean)).collect())
}

fn minutes_past_hour(t: DateTime<Utc>) -> Duration {
    Duration::seconds(t.timestamp().rem_euclid(3600))
}

/// A series' value at the cursor (exact: the step as stored), or its total over the span.
fn value_text(
    d: &Drawn,
    cursor: Option<usize>,
    exact: bool,
    at: Option<DateTime<Utc>>,
    per_hour: usize,
) -> String {
    match &d.steps {
        Loadable::Loading => return "loading…".into(),
        Loadable::Failed(_) => return "query failed".into(),
        Loadable::Ready(v) if v.is_empty() => return "not stored".into(),
        Loadable::Ready(_) => {}
    }
    match cursor {
        Some(_) if exact => match (&d.steps, at) {
            (Loadable::Ready(v), Some(at)) => {
                v.iter().find(|s| s.start == at).map_or("-".into(), |s| format!("{} kWh", shortest(s.kwh)))
            }
            _ => "-".into(),
        },
        Some(c) => {
            let per = if per_hour == 1 { "/h" } else { "/15 min" };
            d.cells[c].map_or("-".into(), |cell| format!("mean {}{per}", format_energy(cell.mean)))
        }
        None => {
            let total: f64 = d.cells.iter().flatten().map(|c| c.sum).sum();
            format!("total {}", format_energy(total))
        }
    }
}

/// The local time of a step, with its offset on a day of 23 or 25 hours (`Sun 30 Oct 02:00+01:00`,
/// the second 02:00).
fn local_time(t: DateTime<Utc>, narrow: bool) -> String {
    let local = t.with_timezone(&LOCAL_TZ);
    // Narrow, the time alone: the day is in the title, the value matters more.
    let date = if narrow { local.format("%H:%M") } else { local.format("%a %-d %b %H:%M") };
    if hours_of_day(local.date_naive()) != 24 {
        format!("{date}{}", local.format("%:z"))
    } else {
        date.to_string()
    }
}

#[allow(clippy::too_many_arguments)]
fn cursor_fields(
    app: &App,
    series: &[Drawn],
    starts: &[DateTime<Utc>],
    c: usize,
    run: usize,
    per_hour: usize,
    exact: bool,
    span: Span,
    width: u16,
) -> Vec<(u8, String)> {
    let Some(at) = app.cursor else { return Vec::new() };
    let start = starts[c];
    let end = starts.get(c + 1).copied().unwrap_or(span.end);
    let mut fields = Vec::new();
    let place = exact.then(|| {
        let (k, of) = series::place_in_day(at, per_hour);
        let step = if per_hour == 1 { "hour" } else { "step" };
        (2, format!("{step} {k} of {of}"))
    });
    if exact {
        // The year is in the title.
        fields.push((0, local_time(at, width < 48)));
    } else if run / per_hour >= 24 {
        fields.push((0, start.with_timezone(&LOCAL_TZ).format("%a %-d %b").to_string()));
    } else {
        let (a, b) = (start.with_timezone(&LOCAL_TZ), end.with_timezone(&LOCAL_TZ));
        fields.push((0, format!("{}–{}", a.format("%a %-d %b %H:%M"), b.format("%H:%M"))));
    }
    let main = &series[0];
    let day = series::local_day(at);
    if series.len() == 1 {
        let value = value_text(main, Some(c), exact, Some(at), per_hour);
        let label = if app.difference_on() { format!("net {value}") } else { value };
        fields.push((1, label));
        fields.extend(place.clone());
        if exact {
            if let Some(cell) = main.cells[c] {
                fields.push((4, format!("({})", format_energy(cell.mean))));
            }
        }
        if let Loadable::Ready(v) = &main.steps {
            let total: f64 = v.iter().filter(|s| series::local_day(s.start) == day).map(|s| s.kwh).sum();
            fields.push((3, format!("day {}", format_energy(total))));
        }
    }
    if series.len() > 1 {
        fields.extend(place);
    }
    if let Some(mark) = super::axis::dst_mark(day) {
        fields.push((5, format!("a day of {mark}")));
    }
    fields
}

fn summary_fields(
    app: &App,
    main: &Drawn,
    run: usize,
    per_hour: usize,
    span: Span,
    overlay: bool,
    drawn: usize,
) -> Vec<(u8, String)> {
    let Loadable::Ready(values) = &main.steps else { return Vec::new() };
    let expected = series::grid(span.start, span.end, per_hour).len();
    let stored = values.len();
    let mut fields = Vec::new();
    if drawn > 1 {
        fields.push((0, "[ ] reads every series at one time".to_string()));
    } else if !values.is_empty() {
        let total: f64 = values.iter().map(|v| v.kwh).sum();
        let (min, max) =
            values.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v.kwh), b.max(v.kwh)));
        let step = if per_hour == 1 { "hour" } else { "15 min" };
        let name = if app.difference_on() { "net" } else { "total" };
        fields.push((0, format!("{name} {}", format_energy(total))));
        if stored < expected {
            fields.push((1, format!("partial: {} of {} h", stored / per_hour, expected / per_hour)));
        }
        fields.push((
            2,
            format!(
                "per {step} min {} mean {} max {}",
                format_energy(min),
                format_energy(total / values.len() as f64),
                format_energy(max)
            ),
        ));
        if overlay {
            fields.push((3, format!("dotted: {}", app.year() - 1)));
        }
    }
    fields.push((4, format!("{} h", stored / per_hour)));
    fields.push((5, format!("{}/col", series::run_label(run, per_hour))));
    fields
}
