//! The average-day view of the curve pane: for each local hour of the month, the mean over its
//! weekdays (drawn) and over its weekends (dotted), to see the daily shape.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::{Paragraph, Widget};

use super::curve::{axis_line, column_of, cursor_slot, placeholder, slots_for, split};
use super::fit_fields;
use super::plot::{Plot, GUTTER};
use crate::model::format_energy;
use crate::tui::series;
use crate::tui::state::App;

/// The hour of the largest value, and the value.
fn peak(hours: &[Option<f64>]) -> Option<(usize, f64)> {
    hours.iter().enumerate().filter_map(|(h, v)| v.map(|v| (h, v))).max_by(|a, b| a.1.total_cmp(&b.1))
}

pub fn render_profile(app: &App, area: Rect, buf: &mut Buffer) {
    let Some(steps) = placeholder(app, app.curve_to_draw().0, area, buf) else { return };
    let [weekday, weekend] = series::day_profile(steps, app.dataset.resolution().per_hour() as usize);
    // A month always has weekdays; an hour missing from them (a DST gap) reads as the weekends'.
    let values: Vec<f64> = (0..24).map(|h| weekday[h].or(weekend[h]).unwrap_or(0.0)).collect();
    let [chart, axis, last] = split(area);
    let width = chart.width.saturating_sub(GUTTER) as usize;
    let cursor = cursor_slot(app, 24);
    let unit = Plot {
        theme: &app.theme,
        values: &values,
        overlay: Some(&weekend),
        line: app.line,
        zero_based: app.zero_based,
        cursor,
        style: app.theme.group_style(&app.group),
    }
    .render(chart, buf);
    let slots = slots_for(app, width);
    let every = if width >= 24 * 4 { 3 } else { 6 };
    let labels: Vec<(usize, String)> =
        (0..24).step_by(every).map(|h| (column_of(h, 24, slots, width), format!("{h:02}"))).collect();
    axis_line(app, unit, &labels, axis, buf);
    let value = |v: Option<f64>| v.map_or("-".to_string(), format_energy);
    let fields = match cursor {
        Some(h) => vec![
            (0, format!("{h:02}:00–{:02}:00", (h + 1) % 24)),
            (1, format!("weekdays {}", value(weekday[h]))),
            (2, format!("weekends {}", value(weekend[h]))),
        ],
        None => {
            let mut f = vec![(4, "dotted: weekends".to_string())];
            if let Some((h, v)) = peak(&weekday) {
                f.insert(0, (0, format!("peak {h:02}:00 {}", format_energy(v))));
            }
            if let Some((h, v)) = peak(&weekend) {
                f.insert(1, (1, format!("weekends {h:02}:00 {}", format_energy(v))));
            }
            f
        }
    };
    Paragraph::new(fit_fields(&fields, last.width as usize)).render(last, buf);
}
