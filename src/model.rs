//! The domain vocabulary: datasets, price areas, groups, hourly records and local months.
//!
//! Every record is keyed by (dataset, area, group, start instant in UTC); local (Europe/Oslo)
//! time appears only where a person thinks in it: months, years and the API's request windows.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, TimeZone, Utc};
use chrono_tz::Europe::Oslo;
use chrono_tz::Tz;

/// The time zone the API speaks and people think in.
pub const LOCAL_TZ: Tz = Oslo;

/// One of the hourly datasets the program fetches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dataset {
    Production,
    Consumption,
}

impl Dataset {
    pub const ALL: [Dataset; 2] = [Dataset::Production, Dataset::Consumption];

    /// The name used on the command line, in config files and in stores.
    pub fn as_str(self) -> &'static str {
        match self {
            Dataset::Production => "production",
            Dataset::Consumption => "consumption",
        }
    }

    /// The `dataset=` value of the API.
    pub fn api_name(self) -> &'static str {
        match self {
            Dataset::Production => "PRODUCTION_PER_GROUP_MBA_HOUR",
            Dataset::Consumption => "CONSUMPTION_PER_GROUP_MBA_HOUR",
        }
    }

    /// The attribute of a price-area element that holds the hourly list.
    pub fn list_field(self) -> &'static str {
        match self {
            Dataset::Production => "productionPerGroupMbaHour",
            Dataset::Consumption => "consumptionPerGroupMbaHour",
        }
    }

    /// The record field (and API filter parameter) that names the group.
    pub fn group_field(self) -> &'static str {
        match self {
            Dataset::Production => "productionGroup",
            Dataset::Consumption => "consumptionGroup",
        }
    }

    /// The groups known to exist; the set stays open (an unknown group is data).
    pub fn known_groups(self) -> &'static [&'static str] {
        match self {
            Dataset::Production => &["hydro", "wind", "thermal", "solar", "other"],
            Dataset::Consumption => &["household", "cabin", "primary", "secondary", "tertiary"],
        }
    }

    pub fn from_api_name(name: &str) -> Option<Dataset> {
        Dataset::ALL.into_iter().find(|d| d.api_name() == name)
    }
}

impl fmt::Display for Dataset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Dataset {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        Dataset::ALL
            .into_iter()
            .find(|d| d.as_str() == lower || d.api_name().eq_ignore_ascii_case(&lower))
            .ok_or_else(|| format!("unknown dataset '{s}' (expected production or consumption)"))
    }
}

/// A Norwegian price area (bidding zone).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PriceArea {
    NO1,
    NO2,
    NO3,
    NO4,
    NO5,
}

impl PriceArea {
    pub const ALL: [PriceArea; 5] =
        [PriceArea::NO1, PriceArea::NO2, PriceArea::NO3, PriceArea::NO4, PriceArea::NO5];

    pub fn as_str(self) -> &'static str {
        match self {
            PriceArea::NO1 => "NO1",
            PriceArea::NO2 => "NO2",
            PriceArea::NO3 => "NO3",
            PriceArea::NO4 => "NO4",
            PriceArea::NO5 => "NO5",
        }
    }

    pub fn eic(self) -> &'static str {
        match self {
            PriceArea::NO1 => "10YNO-1--------2",
            PriceArea::NO2 => "10YNO-2--------T",
            PriceArea::NO3 => "10YNO-3--------J",
            PriceArea::NO4 => "10YNO-4--------9",
            PriceArea::NO5 => "10Y1001A1001A48H",
        }
    }

    /// The largest city of the area, as people name the areas.
    pub fn city(self) -> &'static str {
        match self {
            PriceArea::NO1 => "Oslo",
            PriceArea::NO2 => "Kristiansand",
            PriceArea::NO3 => "Trondheim",
            PriceArea::NO4 => "Tromsø",
            PriceArea::NO5 => "Bergen",
        }
    }

    /// Position 0..5 in `ALL`.
    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for PriceArea {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for PriceArea {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let upper = s.trim().to_ascii_uppercase();
        PriceArea::ALL
            .into_iter()
            .find(|a| a.as_str() == upper)
            .ok_or_else(|| format!("unknown price area '{s}' (expected NO1, NO2, NO3, NO4 or NO5)"))
    }
}

/// A production or consumption group. The set is open: an unknown group is data, not an error.
pub type Group = String;

/// One hourly volume of one series.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub dataset: Dataset,
    pub area: PriceArea,
    pub group: Group,
    /// Start of the hour, the key; the end is always one hour later.
    pub start: DateTime<Utc>,
    pub quantity_kwh: f64,
    pub last_updated: DateTime<Utc>,
    /// Consumption only: how many metering points the volume covers.
    pub metering_points: Option<u32>,
}

impl Record {
    pub fn end(&self) -> DateTime<Utc> {
        self.start + Duration::hours(1)
    }
}

/// A calendar month in Europe/Oslo, the unit of fetching and of the hourly view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Month {
    year: i32,
    month: u32,
}

impl Month {
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
    fn names_parse_case_insensitively() {
        assert_eq!("no4".parse::<PriceArea>(), Ok(PriceArea::NO4));
        assert_eq!(PriceArea::NO4.city(), "Tromsø");
        assert!("NO6".parse::<PriceArea>().is_err());
        assert_eq!("Consumption".parse::<Dataset>(), Ok(Dataset::Consumption));
        assert!("exchange".parse::<Dataset>().unwrap_err().contains("unknown dataset"));
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

deserialize_from_str!(Dataset, PriceArea, Month);
