//! Time as the program thinks in it: records are keyed on UTC instants; local (Europe/Oslo)
//! time appears only where a person thinks in it: days, months, years and request windows.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, SecondsFormat, TimeZone, Utc};
use chrono_tz::Europe::Oslo;
use chrono_tz::Tz;

/// The time zone the API speaks and people think in.
pub const LOCAL_TZ: Tz = Oslo;

/// A calendar month in Europe/Oslo, the unit of fetching and of the hourly view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Month {
    year: i32,
    month: u32,
}

impl Month {
    /// A month known to be valid at compile time (the catalogue's first months).
    pub(crate) const fn known(year: i32, month: u32) -> Month {
        assert!(month >= 1 && month <= 12 && year >= 1900 && year <= 9998);
        Month { year, month }
    }

    /// A month, if `month` is 1..=12 and the year is one the API could hold.
    pub fn new(year: i32, month: u32) -> Option<Month> {
        ((1..=12).contains(&month) && (1900..=9998).contains(&year)).then_some(Month { year, month })
    }

    pub fn year(self) -> i32 {
        self.year
    }

    pub fn month(self) -> u32 {
        self.month
    }

    pub fn next(self) -> Month {
        if self.month == 12 {
            Month { year: self.year + 1, month: 1 }
        } else {
            Month { year: self.year, month: self.month + 1 }
        }
    }

    pub fn prev(self) -> Month {
        if self.month == 1 {
            Month { year: self.year - 1, month: 12 }
        } else {
            Month { year: self.year, month: self.month - 1 }
        }
    }

    /// The first day of the month as a date.
    pub fn first_day(self) -> NaiveDate {
        // Invariant of `Month`: year and month are valid, so day 1 exists.
        NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or(NaiveDate::MIN)
    }

    /// Local midnight at the start of the month, as a UTC instant.
    pub fn start_utc(self) -> DateTime<Utc> {
        local_midnight_utc(self.first_day())
    }

    /// Local midnight at the start of the next month, as a UTC instant (exclusive end).
    pub fn end_utc(self) -> DateTime<Utc> {
        self.next().start_utc()
    }

    /// Hours in the month: 743 in March and 745 in October because of DST.
    pub fn hours(self) -> i64 {
        (self.end_utc() - self.start_utc()).num_hours()
    }

    /// The local month that contains an instant.
    pub fn containing(instant: DateTime<Utc>) -> Month {
        let local = instant.with_timezone(&LOCAL_TZ);
        Month { year: local.year(), month: local.month() }
    }

    /// The month of a local date.
    pub fn of_date(date: NaiveDate) -> Month {
        Month { year: date.year(), month: date.month() }
    }

    /// Months of a local year.
    pub fn of_year(year: i32) -> Option<MonthRange> {
        MonthRange::new(Month::new(year, 1)?, Month::new(year, 12)?).ok()
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl FromStr for Month {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let (y, m) = t
            .split_once('-')
            .ok_or_else(|| format!("invalid month '{s}' (expected YYYY-MM, e.g. 2021-01)"))?;
        if y.len() != 4 || m.is_empty() || m.len() > 2 {
            return Err(format!("invalid month '{s}' (expected YYYY-MM, e.g. 2021-01)"));
        }
        let year: i32 = y.parse().map_err(|_| format!("invalid year in month '{s}' (expected YYYY-MM)"))?;
        let month: u32 = m.parse().map_err(|_| format!("invalid month '{s}' (expected YYYY-MM)"))?;
        if !(1..=12).contains(&month) {
            return Err(format!("invalid month '{s}': the month must be 01 to 12"));
        }
        Month::new(year, month).ok_or_else(|| format!("invalid month '{s}': year out of range"))
    }
}

/// Local midnight of a date in Europe/Oslo as UTC. Oslo's DST changes happen at 02:00/03:00,
/// so midnight always exists exactly once; the fallback keeps this total anyway.
pub fn local_midnight_utc(date: NaiveDate) -> DateTime<Utc> {
    let naive = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    match LOCAL_TZ.from_local_datetime(&naive) {
        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.with_timezone(&Utc),
        LocalResult::None => Utc.from_utc_datetime(&naive),
    }
}

/// An inclusive range of local months, `from <= to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MonthRange {
    from: Month,
    to: Month,
}

impl MonthRange {
    pub fn new(from: Month, to: Month) -> Result<MonthRange, String> {
        if from > to {
            return Err(format!("the range starts after it ends: --from {from} is after --to {to}"));
        }
        Ok(MonthRange { from, to })
    }

    pub fn from(self) -> Month {
        self.from
    }

    pub fn to(self) -> Month {
        self.to
    }

    pub fn months(self) -> impl Iterator<Item = Month> {
        let to = self.to;
        std::iter::successors(Some(self.from), move |m| (*m < to).then(|| m.next()))
    }

    pub fn len(self) -> usize {
        ((self.to.year - self.from.year) * 12 + self.to.month as i32 - self.from.month as i32 + 1) as usize
    }

    pub fn is_empty(self) -> bool {
        false
    }

    pub fn contains(self, month: Month) -> bool {
        self.from <= month && month <= self.to
    }

    /// The local years the range touches.
    pub fn years(self) -> std::ops::RangeInclusive<i32> {
        self.from.year..=self.to.year
    }
}

impl fmt::Display for MonthRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.from == self.to {
            write!(f, "{}", self.from)
        } else {
            write!(f, "{}..{}", self.from, self.to)
        }
    }
}

/// Start (inclusive) and end (exclusive) of a local year as UTC instants.
pub fn year_bounds_utc(year: i32) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(NaiveDate::MIN);
    let end = NaiveDate::from_ymd_opt(year + 1, 1, 1).unwrap_or(NaiveDate::MAX);
    (local_midnight_utc(start), local_midnight_utc(end))
}

/// The widest span any store is asked about: local 1900 to 9999. (Not `DateTime::MIN_UTC`:
/// some servers refuse BSON dates outside the years 1-9999.)
pub fn all_time_utc() -> (DateTime<Utc>, DateTime<Utc>) {
    (year_bounds_utc(1900).0, year_bounds_utc(9998).1)
}

/// A UTC instant as `2021-01-01T00:00:00Z`: the export's and the stores' text form.
pub fn utc_text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Unix seconds as an instant (out-of-range values, which no store writes, become the epoch).
pub fn instant(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(secs, 0).single().unwrap_or_default()
}

/// A local day as the number `yyyymmdd`: the key of daily rollups.
pub fn day_key(date: NaiveDate) -> i32 {
    date.year() * 10_000 + date.month() as i32 * 100 + date.day() as i32
}

/// A local month as the number `yyyymm`: the key of monthly rollups.
pub fn month_key(month: Month) -> i32 {
    month.year() * 100 + month.month() as i32
}

/// The date of a `yyyymmdd` day key.
pub fn day_of_key(key: i32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(key / 10_000, (key / 100 % 100) as u32, (key % 100) as u32)
}

/// A half-open interval [start, end) of whole local days, as UTC instants: one request to
/// the API, and the unit a store writes in one transaction.
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

    /// The window of one local day: 23, 24 or 25 hours.
    pub fn of_day(date: NaiveDate) -> Window {
        Window { start: local_midnight_utc(date), end: local_midnight_utc(date + Duration::days(1)) }
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

    /// Whether an instant lies in the window.
    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        self.start <= t && t < self.end
    }

    /// Whether Unix seconds lie in the window.
    pub fn contains_secs(&self, t: i64) -> bool {
        self.start.timestamp() <= t && t < self.end.timestamp()
    }

    /// The local days of the window with the UTC second each starts at, and the window's end
    /// last: `[(day, start), .., (end_day, end)]`, so day `i` is `[bounds[i].1, bounds[i+1].1)`.
    pub fn day_bounds(&self) -> Vec<(NaiveDate, i64)> {
        let mut out = Vec::with_capacity(self.days() as usize + 1);
        let mut day = self.start_date();
        loop {
            let t = local_midnight_utc(day);
            out.push((day, t.timestamp()));
            if t >= self.end {
                return out;
            }
            day += Duration::days(1);
        }
    }
}

impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.days() == 1 {
            write!(f, "{}", self.start_date())
        } else {
            write!(f, "{}..{}", self.start_date(), self.end_date())
        }
    }
}

/// An instant as local ISO 8601 with offset (`+01:00` / `+02:00`), as the API writes it.
pub fn format_local(t: DateTime<Utc>) -> String {
    let mut out = String::with_capacity(25);
    write_local(t.timestamp(), &mut out);
    out
}

/// Appends Unix seconds as Oslo local time with offset, `2021-01-01T00:00:00+01:00`, without
/// a time-zone lookup (the replica writes three per record).
pub fn write_local(t: i64, out: &mut String) {
    let offset = oslo_offset_secs(t);
    let local = t + offset;
    let (y, m, d) = civil_from_days(local.div_euclid(86_400));
    let secs = local.rem_euclid(86_400);
    let two = |out: &mut String, v: i64| {
        out.push((b'0' + (v / 10) as u8) as char);
        out.push((b'0' + (v % 10) as u8) as char);
    };
    two(out, y / 100);
    two(out, y % 100);
    out.push('-');
    two(out, m);
    out.push('-');
    two(out, d);
    out.push('T');
    two(out, secs / 3600);
    out.push(':');
    two(out, secs / 60 % 60);
    out.push(':');
    two(out, secs % 60);
    out.push(if offset < 0 { '-' } else { '+' });
    two(out, offset.abs() / 3600);
    out.push(':');
    two(out, offset.abs() / 60 % 60);
}

/// Oslo's UTC offset at an instant, in seconds. Since 1996 it follows the EU rule (summer time
/// from 01:00 UTC on the last Sunday of March to 01:00 UTC on the last Sunday of October),
/// computed directly; other years ask the time-zone database.
pub fn oslo_offset_secs(t: i64) -> i64 {
    let (year, _, _) = civil_from_days(t.div_euclid(86_400));
    if !(1996..=2099).contains(&year) {
        return Utc.timestamp_opt(t, 0).single().map_or(3600, |u| {
            use chrono::Offset;
            u.with_timezone(&LOCAL_TZ).offset().fix().local_minus_utc() as i64
        });
    }
    let (summer, winter) = oslo_summer_time(year);
    if (summer..winter).contains(&t) {
        7200
    } else {
        3600
    }
}

/// When summer time begins and ends in a year by the EU rule (Oslo since 1996): 01:00 UTC on
/// the last Sundays of March and October, as Unix seconds.
pub fn oslo_summer_time(year: i64) -> (i64, i64) {
    let last_sunday_1am = |month: i64| {
        let day31 = days_from_civil(year, month, 31);
        let weekday = (day31 + 4).rem_euclid(7); // 1970-01-01 was a Thursday; Sunday is 0
        (day31 - weekday) * 86_400 + 3600
    };
    (last_sunday_1am(3), last_sunday_1am(10))
}

/// Days from 1970-01-01 to a civil date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day number counted from 1970-01-01: (year, month, day).
pub fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// 1234567 -> "1,234,567".
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `x` with `decimals` places and thousands separators: `12,345.6`.
pub fn grouped(x: f64, decimals: usize) -> String {
    let text = format!("{:.*}", decimals, x.abs());
    let (int, frac) = text.split_once('.').map_or((text.as_str(), None), |(i, f)| (i, Some(f)));
    let mut out = match int.parse::<u64>() {
        Ok(n) => thousands(n),
        Err(_) => int.to_string(),
    };
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    if x < 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0') {
        out.insert(0, '-');
    }
    out
}

/// A quantity in kWh, shown in the largest unit that keeps it readable.
pub fn format_energy(kwh: f64) -> String {
    let abs = kwh.abs();
    let (value, unit) = if abs >= 1e9 {
        (kwh / 1e9, "TWh")
    } else if abs >= 1e6 {
        (kwh / 1e6, "GWh")
    } else if abs >= 1e3 {
        (kwh / 1e3, "MWh")
    } else {
        (kwh, "kWh")
    };
    if value.abs() >= 100.0 {
        format!("{value:.0} {unit}")
    } else if value.abs() >= 10.0 {
        format!("{value:.1} {unit}")
    } else {
        format!("{value:.2} {unit}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grouped_numbers() {
        assert_eq!(grouped(12345.64, 1), "12,345.6");
        assert_eq!(grouped(0.04, 1), "0.0");
        assert_eq!(grouped(-0.04, 1), "0.0");
        assert_eq!(grouped(-1234567.0, 0), "-1,234,567");
        assert_eq!(grouped(999.96, 1), "1,000.0");
    }

    #[test]
    fn months_parse_and_reject() {
        assert_eq!("2021-03".parse::<Month>(), Ok(Month { year: 2021, month: 3 }));
        assert!("2021-13".parse::<Month>().unwrap_err().contains("01 to 12"));
        assert!("2021-00".parse::<Month>().is_err());
        assert!("21-01".parse::<Month>().is_err());
        assert!("2021".parse::<Month>().is_err());
        assert!("2021-1x".parse::<Month>().is_err());
    }

    #[test]
    fn dst_months_have_743_and_745_hours() {
        let hours: Vec<i64> = Month::of_year(2021).unwrap().months().map(Month::hours).collect();
        assert_eq!(hours, vec![744, 672, 743, 720, 744, 720, 744, 744, 720, 745, 720, 744]);
    }

    #[test]
    fn month_bounds_are_local_midnight() {
        let jan = Month::new(2021, 1).unwrap();
        assert_eq!(jan.start_utc().to_rfc3339(), "2020-12-31T23:00:00+00:00");
        let jul = Month::new(2021, 7).unwrap();
        assert_eq!(jul.start_utc().to_rfc3339(), "2021-06-30T22:00:00+00:00");
        assert_eq!(Month::containing(jul.start_utc()), jul);
        assert_eq!(Month::containing(jul.start_utc() - Duration::seconds(1)), jul.prev());
    }

    #[test]
    fn ranges_iterate_inclusively_and_reject_reversed() {
        let r = MonthRange::new("2020-11".parse().unwrap(), "2021-02".parse().unwrap()).unwrap();
        let names: Vec<String> = r.months().map(|m| m.to_string()).collect();
        assert_eq!(names, ["2020-11", "2020-12", "2021-01", "2021-02"]);
        assert_eq!(r.len(), 4);
        let err = MonthRange::new("2021-05".parse().unwrap(), "2021-02".parse().unwrap());
        assert!(err.unwrap_err().contains("after"));
    }

    #[test]
    fn month_windows_split_down_to_single_days() {
        let w = Window::of_month("2021-10".parse().unwrap());
        assert_eq!(w.hours(), 745);
        assert_eq!(w.days(), 31);
        let (a, b) = w.split().unwrap();
        assert_eq!((a.start, b.end, a.end), (w.start, w.end, b.start));
        assert_eq!(a.hours() + b.hours(), 745);
        assert_eq!(format_local(b.start), "2021-10-16T00:00:00+02:00");
        let mut piece = w;
        while let Some((first, _)) = piece.split() {
            piece = first;
        }
        assert_eq!((piece.days(), piece.hours()), (1, 24));
        let dst = Window::of_day(NaiveDate::from_ymd_opt(2021, 10, 31).unwrap());
        assert_eq!(dst.hours(), 25);
        assert!(dst.split().is_none());
        assert_eq!(dst.to_string(), "2021-10-31");
    }

    #[test]
    fn day_bounds_follow_local_midnights() {
        let w = Window::of_month("2021-03".parse().unwrap());
        let b = w.day_bounds();
        assert_eq!(b.len(), 32);
        assert_eq!(b[0].1, w.start.timestamp());
        assert_eq!(b[31].1, w.end.timestamp());
        assert_eq!(b[28].1 - b[27].1, 23 * 3600, "28 March has 23 hours");
        assert_eq!(day_key(b[27].0), 20210328);
        assert_eq!(day_of_key(20210328), Some(b[27].0));
        assert_eq!(month_key("2021-03".parse().unwrap()), 202103);
        assert_eq!(utc_text(w.start), "2021-02-28T23:00:00Z");
    }

    #[test]
    fn the_direct_offset_and_format_agree_with_the_time_zone_database() {
        let mut t = Utc.with_ymd_and_hms(2019, 1, 1, 0, 0, 0).unwrap().timestamp();
        let end = Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap().timestamp();
        while t < end {
            let u = instant(t);
            assert_eq!(
                format_local(u),
                u.with_timezone(&LOCAL_TZ).format("%Y-%m-%dT%H:%M:%S%:z").to_string()
            );
            t += 1800 + 7 * 86_400 / 3;
        }
        for day in [-1000, 0, 18_000, 20_454, 60_000] {
            let (y, m, d) = civil_from_days(day);
            assert_eq!(days_from_civil(y, m, d), day);
        }
        let summer = Utc.with_ymd_and_hms(1990, 7, 1, 0, 0, 0).unwrap().timestamp();
        assert_eq!(oslo_offset_secs(summer), 7200, "older years ask the database");
        assert_eq!(
            format_local(Utc.with_ymd_and_hms(2021, 10, 31, 1, 0, 0).unwrap()),
            "2021-10-31T02:00:00+01:00"
        );
        assert_eq!(
            format_local(Utc.with_ymd_and_hms(2021, 10, 31, 0, 0, 0).unwrap()),
            "2021-10-31T02:00:00+02:00"
        );
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(215353), "215,353");
        assert_eq!(thousands(2215353), "2,215,353");
    }

    #[test]
    fn energy_units_scale() {
        assert_eq!(format_energy(512.0), "512 kWh");
        assert_eq!(format_energy(2_507_716.8), "2.51 GWh");
        assert_eq!(format_energy(45.3e9), "45.3 TWh");
    }
}

/// Config-file values parse with the same rules (and messages) as the command line.
macro_rules! deserialize_from_str {
    ($($t:ty),*) => {$(
        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    )*};
}
pub(crate) use deserialize_from_str;

deserialize_from_str!(Month);
