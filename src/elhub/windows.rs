//! Request windows: one local month per request, split into halves (down to single days) when
//! the API refuses a window as too wide. Bounds are local midnights sent with their UTC offset.

use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::model::{local_midnight_utc, Month, LOCAL_TZ};

/// A half-open interval [start, end) of whole local days, in UTC instants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Window {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl Window {
    /// The window of one local month: 744 hours in January, 743 in March, 745 in October.
    pub fn of_month(month: Month) -> Window {
        Window { start: month.start_utc(), end: month.end_utc() }
    }

    pub fn start_date(&self) -> NaiveDate {
        self.start.with_timezone(&LOCAL_TZ).date_naive()
    }

    pub fn end_date(&self) -> NaiveDate {
        self.end.with_timezone(&LOCAL_TZ).date_naive()
    }

    /// Local days covered.
    pub fn days(&self) -> i64 {
        (self.end_date() - self.start_date()).num_days()
    }

    pub fn hours(&self) -> i64 {
        (self.end - self.start).num_hours()
    }

    /// Two halves split at a local midnight, or `None` for a single day.
    pub fn split(&self) -> Option<(Window, Window)> {
        let days = self.days();
        if days < 2 {
            return None;
        }
        let mid = local_midnight_utc(self.start_date() + Duration::days(days / 2));
        Some((Window { start: self.start, end: mid }, Window { start: mid, end: self.end }))
    }

    /// `startDate` as the API wants it: local time with its offset, e.g. `2021-01-01T00:00:00+01:00`.
    pub fn start_param(&self) -> String {
        format_local(self.start)
    }

    pub fn end_param(&self) -> String {
        format_local(self.end)
    }

    /// Whether an instant lies in the window.
    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        self.start <= t && t < self.end
    }
}

impl std::fmt::Display for Window {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}..{}", self.start_date(), self.end_date())
    }
}

/// An instant as local ISO 8601 with offset (`+01:00` / `+02:00`).
pub fn format_local(t: DateTime<Utc>) -> String {
    t.with_timezone(&LOCAL_TZ).format("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn month(s: &str) -> Month {
        s.parse().unwrap()
    }

    #[test]
    fn month_windows_carry_local_offsets() {
        let w = Window::of_month(month("2021-03"));
        assert_eq!(w.start_param(), "2021-03-01T00:00:00+01:00");
        assert_eq!(w.end_param(), "2021-04-01T00:00:00+02:00");
        assert_eq!(w.hours(), 743);
        assert_eq!(Window::of_month(month("2021-10")).hours(), 745);
        assert_eq!(w.days(), 31);
    }

    #[test]
    fn split_halves_down_to_single_days() {
        let w = Window::of_month(month("2021-10"));
        let (a, b) = w.split().unwrap();
        assert_eq!(a.start, w.start);
        assert_eq!(b.end, w.end);
        assert_eq!(a.end, b.start);
        assert_eq!(a.days() + b.days(), 31);
        assert_eq!(a.hours() + b.hours(), 745);
        assert_eq!(b.start_param(), "2021-10-16T00:00:00+02:00");
        // Keep splitting the first half: every piece is whole local days, ending in one day.
        let mut piece = w;
        while let Some((first, _)) = piece.split() {
            piece = first;
        }
        assert_eq!(piece.days(), 1);
        assert_eq!(piece.hours(), 24);
    }

    #[test]
    fn dst_day_window_has_25_hours() {
        let day = Window {
            start: local_midnight_utc(NaiveDate::from_ymd_opt(2021, 10, 31).unwrap()),
            end: local_midnight_utc(NaiveDate::from_ymd_opt(2021, 11, 1).unwrap()),
        };
        assert_eq!(day.hours(), 25);
        assert!(day.split().is_none());
    }
}
