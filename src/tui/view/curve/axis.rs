//! What the curve views share: the pane's rows (plot, x-axis, legend, last line), the labels
//! under the plot (local days, weeks, hours or months, each at the first column of its slot, and
//! the days of 23 and 25 hours marked), and the x-axis line itself.

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};

use crate::model::LOCAL_TZ;
use crate::tui::series::local_day;
use crate::tui::state::span::hours_of_day;
use crate::tui::state::App;
use crate::tui::view::plot::{first_column, GUTTER};

pub const MONTHS: [&str; 12] =
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// The plot, x-axis, `legend` lines and last line of a curve view.
pub fn split(area: Rect, legend: u16) -> [Rect; 4] {
    Layout::vertical([
        Constraint::Min(1),
        Constraint::Length(1),
        Constraint::Length(legend),
        Constraint::Length(1),
    ])
    .areas(area)
}

/// The column (cell) where slot `i` of `n` starts in a plot of `width` cells and `slots`
/// sub-columns: where a label under it goes.
pub fn column_of(i: usize, n: usize, slots: usize, width: usize) -> usize {
    let per_cell = (slots / width.max(1)).max(1);
    first_column(i, n, slots) / per_cell
}

/// `23 h` or `25 h` for a day summer time starts or ends.
pub fn dst_mark(day: NaiveDate) -> Option<String> {
    let hours = hours_of_day(day);
    (hours != 24).then(|| format!("{hours} h"))
}

/// A label under the plot: its column, text and rank (lower is placed first where labels would
/// overlap).
pub type Label = (usize, String, u8);

/// Labels under the columns of a curve whose columns start at `starts` (`slots` sub-columns in
/// `width` cells): hours when the span is a day or less, else days (every day when there is
/// room, else weeks and firsts of months), the days of 23 and 25 hours marked first.
pub fn time_labels(starts: &[DateTime<Utc>], slots: usize, width: usize) -> Vec<Label> {
    let (Some(first), Some(last)) = (starts.first(), starts.last()) else { return Vec::new() };
    let n = starts.len();
    let days = (local_day(*last) - local_day(*first)).num_days() as usize + 1;
    let col = |i: usize| column_of(i, n, slots, width);
    let mut out = Vec::new();
    if days <= 1 && n > 1 {
        // Hours: every k-th local hour, k the smallest of 1, 2, 3, 6 whose labels fit.
        let hours = ((*last - *first).num_hours() as usize + 1).max(1);
        let every = [1, 2, 3, 6, 12].into_iter().find(|k| width / hours.div_ceil(*k) >= 4).unwrap_or(12);
        let mut last_hour = None;
        for (i, t) in starts.iter().enumerate() {
            let local = t.with_timezone(&LOCAL_TZ);
            let key = (local.hour(), local.offset().to_string());
            if local.minute() != 0
                || last_hour == Some(key.clone())
                || !(local.hour() as usize).is_multiple_of(every)
            {
                continue;
            }
            last_hour = Some(key);
            out.push((col(i), format!("{:02}", local.hour()), 2));
        }
        if let Some(mark) = dst_mark(local_day(*first)) {
            out.push((col(0), mark, 0));
        }
        return out;
    }
    // Every k-th day labelled, k the smallest of 1, 2 and 7 whose labels have room (a weekday
    // and its day need 8 columns with the bar and a blank, a day number 4); the first of the
    // month always, the days of 23 and 25 hours first of all.
    let room = width / days.max(1);
    let (every, long) = match room {
        r if r >= 8 => (1, true),
        r if r >= 4 => (1, false),
        r if r >= 2 => (2, false),
        _ => (7, false),
    };
    let mut last_day = None;
    for (i, t) in starts.iter().enumerate() {
        let day = local_day(*t);
        if last_day == Some(day) {
            continue;
        }
        last_day = Some(day);
        let first_day = i == 0 || day.day() == 1;
        let nth = (day - local_day(*first)).num_days();
        match dst_mark(day) {
            Some(mark) => out.push((col(i), format!("{} {mark}", day.day()), 0)),
            None if first_day => {
                out.push((col(i), format!("{} {}", MONTHS[day.month0() as usize], day.day()), 1))
            }
            None if nth % every == 0 => {
                let text = if long { day.format("%a %-d").to_string() } else { day.day().to_string() };
                out.push((col(i), text, 2))
            }
            None => {}
        }
    }
    out
}

/// The columns of the days of 23 and 25 hours among `starts`: marked `▴` under the plot where
/// their label does not fit.
pub fn dst_marks(starts: &[DateTime<Utc>], slots: usize, width: usize) -> Vec<usize> {
    let n = starts.len();
    let mut out = Vec::new();
    let mut last_day = None;
    for (i, t) in starts.iter().enumerate() {
        let day = local_day(*t);
        if last_day != Some(day) && dst_mark(day).is_some() {
            out.push(column_of(i, n, slots, width));
        }
        last_day = Some(day);
    }
    out
}

/// Labels of the year view, whose columns start on `firsts` (days): the months.
pub fn month_labels(firsts: &[NaiveDate], slots: usize, width: usize) -> Vec<Label> {
    let n = firsts.len();
    let mut out = Vec::new();
    for (i, d) in firsts.iter().enumerate() {
        if i == 0 || firsts[i - 1].month() != d.month() {
            let name = MONTHS[d.month0() as usize];
            let text = if width >= 12 * 5 { name.to_string() } else { name[..1].to_string() };
            out.push((column_of(i, n, slots, width), text, 1));
        }
    }
    out
}

/// The columns of the year view that hold a day of 23 or 25 hours: marked under the plot.
pub fn dst_columns(firsts: &[NaiveDate], run: usize, slots: usize, width: usize) -> Vec<usize> {
    let n = firsts.len();
    (0..n)
        .filter(|i| firsts[*i].iter_days().take(run).any(|d| dst_mark(d).is_some()))
        .map(|i| column_of(i, n, slots, width))
        .collect()
}

/// The x-axis: the unit in the gutter, then `|label`s where they fit without overlapping, the
/// lowest ranks first; then a `▴` (`^`) under each of `marks` where the cell is free.
pub fn axis_line(app: &App, unit: &str, labels: &[Label], marks: &[usize], area: Rect, buf: &mut Buffer) {
    let width = area.width.saturating_sub(GUTTER) as usize;
    let mut line = vec![' '; width];
    let mut taken = vec![false; width + 1];
    let mut order: Vec<&Label> = labels.iter().collect();
    order.sort_by_key(|(col, _, rank)| (*rank, *col));
    for (col, text, _) in order {
        let label = format!("|{text}");
        let len = label.chars().count();
        // A label keeps a blank after it, so two never run together.
        let end = (col + len + 1).min(width + 1);
        if col + len > width || taken[*col..end].iter().any(|t| *t) {
            continue;
        }
        for (k, c) in label.chars().enumerate() {
            line[col + k] = c;
        }
        taken[*col..end].iter_mut().for_each(|t| *t = true);
    }
    let glyph = if app.theme.ascii { '^' } else { '▴' };
    for col in marks {
        if line.get(*col) == Some(&' ') {
            line[*col] = glyph;
        }
    }
    let text = format!("{unit:>4} {}", line.into_iter().collect::<String>());
    buf.set_stringn(area.x, area.y, text, area.width as usize, app.theme.dim());
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    #[test]
    fn labels_mark_week_starts_days_of_25_hours_and_hours() {
        // March 2021 from local midnight, 3-hour columns: 248 slots in 248 columns.
        let t0 = Utc.with_ymd_and_hms(2021, 2, 28, 23, 0, 0).unwrap();
        let starts: Vec<_> = (0..248).map(|i| t0 + Duration::hours(3 * i)).collect();
        let labels = time_labels(&starts, 248, 248);
        assert_eq!(labels[0], (0, "Mar 1".to_string(), 1));
        assert!(labels.contains(&(56, "Mon 8".to_string(), 2)), "every day where there is room: {labels:?}");
        // 28 March 2021: summer time starts; the day has 23 hours.
        assert!(labels.iter().any(|(_, t, r)| t == "28 23 h" && *r == 0), "{labels:?}");
        assert_eq!(column_of(6, 24, 100, 100), 25, "24 hours in 100 columns: the 7th starts at 25");
        // One day of 25 hours, hourly: hour labels, and the mark.
        let t0 = Utc.with_ymd_and_hms(2022, 10, 29, 22, 0, 0).unwrap();
        let day: Vec<_> = (0..25).map(|i| t0 + Duration::hours(i)).collect();
        let labels = time_labels(&day, 100, 100);
        assert!(labels.contains(&(0, "25 h".to_string(), 0)), "{labels:?}");
        assert!(labels.contains(&(0, "00".to_string(), 2)), "{labels:?}");
        assert_eq!(labels.iter().filter(|(_, t, _)| t == "02").count(), 2, "02:00 comes twice: {labels:?}");
    }
}
