//! How keys move through time and among series: the cursor (`[` `]` `<` `>`), the zoom (`+`
//! `-`), where `:` goes, and pins (`p`). Part of `App`'s update; no I/O.

use chrono::{DateTime, Duration, Utc};

use super::span::{self, Span, Zoom};
use super::{prompt, App, CurveView, MAX_PINS};
use crate::model::{local_midnight_utc, Month};
use crate::tui::series;

impl App {
    /// Puts the cursor in the middle of the view when it is off; false when nothing is drawn yet.
    fn ensure_cursor(&mut self) -> bool {
        if self.cursor.is_some() {
            return true;
        }
        let columns = self.cursor_columns();
        if columns.is_empty() {
            self.message = Some("no curve to read here".into());
            return false;
        }
        self.cursor = Some(if self.zoomed() {
            let span = self.curve_span();
            let per_hour = self.per_hour();
            let grid = series::grid(span.start, span.end, per_hour);
            grid[grid.len() / 2]
        } else {
            columns[columns.len() / 2]
        });
        false
    }

    /// `[`/`]`: a column (zoomed: a step) left or right; the span pans to follow.
    pub(super) fn move_cursor(&mut self, by: i32) {
        if !self.ensure_cursor() {
            return;
        }
        let Some(at) = self.cursor else { return };
        if self.zoomed() {
            let step = Duration::seconds(3600 / self.per_hour() as i64);
            self.move_cursor_to(at + step * by);
            return;
        }
        let columns = self.cursor_columns();
        let i = series::column_at(&columns, at).unwrap_or(0) as i64;
        let j = (i + i64::from(by)).clamp(0, columns.len() as i64 - 1) as usize;
        self.cursor = columns.get(j).copied();
    }

    /// `<`/`>`: a day earlier or later (a week in the year view, an hour in the average day).
    pub(super) fn move_day(&mut self, by: i32) {
        if !self.ensure_cursor() {
            return;
        }
        let Some(at) = self.cursor else { return };
        match self.look.view {
            CurveView::Profile => self.move_cursor(by),
            CurveView::Year => {
                let columns = self.cursor_columns();
                let moved = span::add_days(at, 7 * i64::from(by));
                let (first, last) =
                    (columns.first().copied().unwrap_or(at), columns.last().copied().unwrap_or(at));
                self.cursor = series::column_at(&columns, moved.clamp(first, last))
                    .and_then(|i| columns.get(i).copied());
            }
            CurveView::Month => self.move_cursor_to(span::add_days(at, i64::from(by))),
        }
    }

    /// Puts the cursor on `at` within the months there can be data for; zoomed, the span pans to
    /// hold it, else the month follows it.
    fn move_cursor_to(&mut self, at: DateTime<Utc>) {
        let (first, last) = self.month_bounds();
        let step = Duration::seconds(3600 / self.per_hour() as i64);
        let at = at.clamp(first.start_utc(), last.end_utc() - step);
        self.cursor = Some(at);
        match self.span.filter(|_| self.zoomed()) {
            Some(span) => self.span = Some(span::pan_to(self.zoom, span, at)),
            None => {
                if !Span::of_month(self.month).contains(at) {
                    self.month = Month::containing(at);
                    self.chosen = self.month;
                }
                return;
            }
        }
        self.month = Month::containing(at);
        self.chosen = self.month;
    }

    /// `+`/`-`: a narrower or a wider span around the cursor (or the middle of the view).
    pub(super) fn zoom_by(&mut self, by: i32) {
        match (self.look.view, by > 0) {
            (CurveView::Year, true) | (CurveView::Profile, true) => {
                // Into the month of the cursor's day, the cursor kept.
                if let Some(at) = self.cursor {
                    self.month = self.bounded(Month::containing(at));
                    self.chosen = self.month;
                }
                self.look.view = CurveView::Month;
                self.zoom = Zoom::Month;
                self.span = None;
                return;
            }
            (CurveView::Year, false) => {
                self.message = Some("the year is the widest view; v shows the average day".into());
                return;
            }
            (CurveView::Profile, false) => {
                self.look.view = CurveView::Year;
                self.cursor = None;
                return;
            }
            (CurveView::Month, _) => {}
        }
        let at = self.cursor.unwrap_or_else(|| self.curve_span().middle());
        let next = if by > 0 { self.zoom.narrower(self.per_hour()) } else { self.zoom.wider() };
        match next {
            Some(zoom) => {
                self.zoom = zoom;
                self.span = (zoom != Zoom::Month).then(|| span::span_around(zoom, at));
                self.month = self.bounded(Month::containing(at));
                self.chosen = self.month;
            }
            None if by > 0 => {
                self.message =
                    Some(format!("{} is the closest: every step has a column of its own", self.zoom.label()))
            }
            None => {
                // Wider than the month: the year.
                self.look.view = CurveView::Year;
                self.cursor = self.cursor.map(|c| local_midnight_utc(span::local_day(c)));
            }
        }
    }

    fn unzoom(&mut self) {
        self.zoom = Zoom::Month;
        self.span = None;
    }

    /// Goes where `:` named.
    pub(super) fn jump_to(&mut self, target: prompt::Target) {
        use prompt::Target;
        match target {
            Target::Quit => self.quit = true,
            // A month or a year shows the month whole, whatever the zoom was.
            Target::Month(m) => {
                self.unzoom();
                self.go_to(m)
            }
            Target::Year(y) => {
                self.unzoom();
                self.go_to(Month::new(y, self.month.month()).unwrap_or(self.month))
            }
            Target::Dataset(d) => self.set_dataset(d),
            Target::Entity(scope) => self.select_entity(scope),
            Target::Group(g) => self.group = g,
            Target::Day(day) => {
                let month = Month::of_date(day);
                if self.bounded(month) != month {
                    return self.go_to(month);
                }
                self.look.view = CurveView::Month;
                self.zoom = Zoom::Days(1);
                let start = local_midnight_utc(day);
                self.span = Some(span::span_around(Zoom::Days(1), start));
                self.cursor = Some(start);
                self.month = month;
                self.chosen = month;
            }
        }
    }

    pub(super) fn toggle_pin(&mut self) {
        let Some(series) = self.series() else {
            self.message = Some("no series to pin yet".into());
            return;
        };
        if let Some(i) = self.pins.iter().position(|p| *p == series) {
            self.pins.remove(i);
            self.message = Some(format!("unpinned; {} pinned", self.pins.len()));
        } else if self.pins.len() >= MAX_PINS {
            self.message =
                Some(format!("{MAX_PINS} pins at most; P drops them, p on a pinned series unpins it"));
        } else {
            self.pins.push(series);
            self.message = Some(match self.pins.len() {
                1 => "pinned; pick another series to draw beside it".into(),
                n => format!("{n} pinned; P drops them"),
            });
        }
        if self.pins.len() < 2 {
            self.look.difference = false;
        }
    }
}
