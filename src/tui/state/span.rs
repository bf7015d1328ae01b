//! Time on the curve: how far the month is zoomed (`+`/`-`: two weeks, a week, three days, a
//! day, six hours of quarter-hours), the span on screen, and moving an instant by days in local
//! time. Days are local days (23, 24 or 25 hours); pure functions of instants.

use chrono::{DateTime, Datelike, Days, Duration, NaiveDate, Timelike, Utc};
use serde::{Deserialize, Serialize};

use crate::model::{local_midnight_utc, Month, LOCAL_TZ};

/// How much of time the curve shows: the month, or fewer days or hours around the cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Zoom {
    Month,
    Days(u8),
    Hours(u8),
}

/// The levels `+` goes through, widest first; six hours only for quarter-hourly data.
const LEVELS: [Zoom; 6] =
    [Zoom::Month, Zoom::Days(14), Zoom::Days(7), Zoom::Days(3), Zoom::Days(1), Zoom::Hours(6)];

impl Zoom {
    fn level(self) -> usize {
        LEVELS.iter().position(|z| *z == self).unwrap_or(0)
    }

    /// The next narrower level, if there is one for data of `per_hour` steps an hour.
    pub fn narrower(self, per_hour: usize) -> Option<Zoom> {
        LEVELS.get(self.level() + 1).copied().filter(|z| !matches!(z, Zoom::Hours(_)) || per_hour > 1)
    }

    /// The next wider level (None at the month).
    pub fn wider(self) -> Option<Zoom> {
        self.level().checked_sub(1).map(|l| LEVELS[l])
    }

    /// As messages say it: `two weeks`, `a day`, `6 hours`.
    pub fn label(self) -> String {
        match self {
            Zoom::Month => "the month".into(),
            Zoom::Days(1) => "a day".into(),
            Zoom::Days(7) => "a week".into(),
            Zoom::Days(14) => "two weeks".into(),
            Zoom::Days(n) => format!("{n} days"),
            Zoom::Hours(h) => format!("{h} hours"),
        }
    }
}

/// A span of time on screen: [start, end).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl Span {
    pub fn of_month(month: Month) -> Span {
        Span { start: month.start_utc(), end: month.end_utc() }
    }

    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        self.start <= t && t < self.end
    }

    /// Its middle instant.
    pub fn middle(&self) -> DateTime<Utc> {
        self.start + (self.end - self.start) / 2
    }

    /// The local months it touches, in order.
    pub fn months(&self) -> Vec<Month> {
        let (first, last) =
            (Month::containing(self.start), Month::containing(self.end - Duration::seconds(1)));
        let mut out = vec![first];
        while *out.last().unwrap_or(&last) < last {
            let next = out[out.len() - 1].next();
            out.push(next);
        }
        out
    }

    /// The local days it touches, in order.
    pub fn days(&self) -> Vec<NaiveDate> {
        let (first, last) = (local_day(self.start), local_day(self.end - Duration::seconds(1)));
        first.iter_days().take_while(|d| *d <= last).collect()
    }

    /// As titles say it: `Mon 7 Mar – Sun 13 Mar 2022`, `Sun 30 Oct 2022`, `Sun 30 Oct 2022
    /// 00:00–06:00`.
    pub fn title(&self) -> String {
        let (a, b) =
            (self.start.with_timezone(&LOCAL_TZ), (self.end - Duration::seconds(1)).with_timezone(&LOCAL_TZ));
        let end = self.end.with_timezone(&LOCAL_TZ);
        if a.date_naive() == b.date_naive() {
            let day = a.format("%a %-d %b %Y").to_string();
            if (self.end - self.start) < Duration::hours(20) {
                return format!("{day} {}–{}", a.format("%H:%M"), end.format("%H:%M"));
            }
            return match hours_of_day(a.date_naive()) {
                24 => day,
                hours => format!("{day} ({hours} h)"),
            };
        }
        if a.year() == b.year() {
            format!("{} – {}", a.format("%a %-d %b"), b.format("%a %-d %b %Y"))
        } else {
            format!("{} – {}", a.format("%a %-d %b %Y"), b.format("%a %-d %b %Y"))
        }
    }
}

/// The local day of an instant.
pub fn local_day(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&LOCAL_TZ).date_naive()
}

/// Hours in a local day: 23 on the day summer time starts, 25 on the day it ends, else 24.
pub fn hours_of_day(day: NaiveDate) -> i64 {
    let next = day.succ_opt().unwrap_or(day);
    (local_midnight_utc(next) - local_midnight_utc(day)).num_hours()
}

/// The span of `zoom` around `at`: its month; days with `at`'s day in the middle; or the block of
/// hours from local midnight that holds it.
pub fn span_around(zoom: Zoom, at: DateTime<Utc>) -> Span {
    match zoom {
        Zoom::Month => Span::of_month(Month::containing(at)),
        Zoom::Days(n) => days_from(local_day(at) - Days::new(u64::from(n.saturating_sub(1)) / 2), n),
        Zoom::Hours(h) => {
            let midnight = local_midnight_utc(local_day(at));
            let block = Duration::hours(i64::from(h.max(1)));
            let k = (at - midnight).num_seconds() / block.num_seconds();
            let start = midnight + block * k as i32;
            Span { start, end: start + block }
        }
    }
}

fn days_from(first: NaiveDate, n: u8) -> Span {
    Span { start: local_midnight_utc(first), end: local_midnight_utc(first + Days::new(u64::from(n.max(1)))) }
}

/// `span` moved as little as it takes (whole days, or whole blocks of hours) to hold `at`.
pub fn pan_to(zoom: Zoom, span: Span, at: DateTime<Utc>) -> Span {
    if span.contains(at) {
        return span;
    }
    match zoom {
        Zoom::Month => Span::of_month(Month::containing(at)),
        Zoom::Days(n) if at < span.start => days_from(local_day(at), n),
        Zoom::Days(n) => days_from(local_day(at) - Days::new(u64::from(n.saturating_sub(1))), n),
        Zoom::Hours(_) => span_around(zoom, at),
    }
}

/// The span before (-1) or after (+1) `span`, of the same zoom.
pub fn next_span(zoom: Zoom, span: Span, by: i32) -> Span {
    match zoom {
        Zoom::Month => {
            let m = Month::containing(span.start);
            Span::of_month(if by < 0 { m.prev() } else { m.next() })
        }
        Zoom::Days(n) => {
            let first = local_day(span.start);
            let moved =
                if by < 0 { first - Days::new(u64::from(n)) } else { first + Days::new(u64::from(n)) };
            days_from(moved, n)
        }
        Zoom::Hours(h) => {
            let block = Duration::hours(i64::from(h));
            let start = if by < 0 { span.start - block } else { span.end };
            span_around(zoom, start)
        }
    }
}

/// `at` moved by whole local days, keeping its local time (the first such instant where the
/// clock repeats an hour; the next hour where it skips one).
pub fn add_days(at: DateTime<Utc>, days: i64) -> DateTime<Utc> {
    let local = at.with_timezone(&LOCAL_TZ).naive_local();
    let target = if days < 0 {
        local.checked_sub_days(Days::new(days.unsigned_abs()))
    } else {
        local.checked_add_days(Days::new(days as u64))
    };
    let Some(target) = target else { return at };
    use chrono::TimeZone;
    match LOCAL_TZ.from_local_datetime(&target) {
        chrono::LocalResult::Single(t) => t.with_timezone(&Utc),
        chrono::LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
        chrono::LocalResult::None => {
            let later = target + Duration::hours(1);
            LOCAL_TZ.from_local_datetime(&later).earliest().map_or(at, |t| t.with_timezone(&Utc))
        }
    }
}

/// `at`'s day in `month`: the same day of the month (or the month's last), same local time.
pub fn same_day_in(at: DateTime<Utc>, month: Month) -> DateTime<Utc> {
    let local = at.with_timezone(&LOCAL_TZ);
    let last = month.next().first_day().pred_opt().map_or(28, |d| d.day());
    let day = month.first_day().with_day(local.day().min(last)).unwrap_or(month.first_day());
    let midnight = local_midnight_utc(day);
    add_hours_local(midnight, local.hour())
}

fn add_hours_local(midnight: DateTime<Utc>, hour: u32) -> DateTime<Utc> {
    midnight + Duration::hours(i64::from(hour))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn utc(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
    }

    #[test]
    fn zoom_levels_go_to_a_day_or_six_hours_of_quarter_hours() {
        let mut z = Zoom::Month;
        let mut seen = vec![z];
        while let Some(n) = z.narrower(1) {
            z = n;
            seen.push(z);
        }
        assert_eq!(seen, [Zoom::Month, Zoom::Days(14), Zoom::Days(7), Zoom::Days(3), Zoom::Days(1)]);
        assert_eq!(Zoom::Days(1).narrower(4), Some(Zoom::Hours(6)));
        assert_eq!(Zoom::Hours(6).wider(), Some(Zoom::Days(1)));
        assert_eq!(Zoom::Month.wider(), None);
    }

    #[test]
    fn spans_are_local_days_around_the_instant() {
        // Thu 10 Mar 2022 12:00 local: a week from Mon 7 Mar to Sun 13 Mar.
        let at = utc(2022, 3, 10, 11);
        let week = span_around(Zoom::Days(7), at);
        assert_eq!(week.title(), "Mon 7 Mar – Sun 13 Mar 2022");
        assert_eq!(week.start, utc(2022, 3, 6, 23));
        assert_eq!(span_around(Zoom::Days(1), at).title(), "Thu 10 Mar 2022");
        // The day summer time ends has 25 hours; six-hour blocks count from local midnight.
        let dst = utc(2022, 10, 30, 1); // 02:00+01:00, the second 02:00
        let day = span_around(Zoom::Days(1), dst);
        assert_eq!((day.end - day.start).num_hours(), 25);
        assert_eq!(day.title(), "Sun 30 Oct 2022 (25 h)");
        assert_eq!(hours_of_day(local_day(dst)), 25);
        assert_eq!(hours_of_day(NaiveDate::from_ymd_opt(2022, 3, 27).unwrap()), 23);
        let six = span_around(Zoom::Hours(6), dst);
        assert_eq!(six.title(), "Sun 30 Oct 2022 00:00–05:00", "six hours of a 25-hour day end at 05:00");
        assert_eq!(
            span_around(Zoom::Days(3), utc(2022, 12, 31, 12)).title(),
            "Fri 30 Dec 2022 – Sun 1 Jan 2023"
        );
        assert_eq!(span_around(Zoom::Days(3), utc(2022, 12, 31, 12)).months().len(), 2);
    }

    #[test]
    fn panning_moves_whole_days_and_days_keep_the_local_time() {
        let week = span_around(Zoom::Days(7), utc(2022, 3, 10, 11));
        let after = pan_to(Zoom::Days(7), week, utc(2022, 3, 13, 23)); // Mon 14 Mar 00:00
        assert_eq!(after.title(), "Tue 8 Mar – Mon 14 Mar 2022");
        let before = pan_to(Zoom::Days(7), week, utc(2022, 3, 5, 12));
        assert_eq!(before.title(), "Sat 5 Mar – Fri 11 Mar 2022");
        assert_eq!(next_span(Zoom::Days(7), week, 1).title(), "Mon 14 Mar – Sun 20 Mar 2022");
        // Across the spring change: 12:00 stays 12:00 (11:00 UTC, then 10:00 UTC).
        assert_eq!(add_days(utc(2022, 3, 26, 11), 1), utc(2022, 3, 27, 10));
        assert_eq!(add_days(utc(2022, 3, 27, 10), -1), utc(2022, 3, 26, 11));
        assert_eq!(
            same_day_in(utc(2022, 3, 31, 11), "2022-02".parse().unwrap()),
            utc(2022, 2, 28, 12),
            "13:00 local"
        );
    }
}
