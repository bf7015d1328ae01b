//! What the curve pane computes from series, without drawing: a span's time axis and its
//! columns (runs of steps that start at local midnight, so days look alike after a DST change),
//! each series' values per column, the average day (weekdays and weekends apart), a step's place
//! in its day, the year's days and months from daily rollups, and mean metering point counts.
//! Pure functions, tested here; the views only lay them out.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveDate, Offset, Timelike, Utc, Weekday};

use crate::model::LOCAL_TZ;
use crate::store::{PointCount, StepValue};

/// Hours a column may stand for: runs that divide a day, then whole days.
const RUN_HOURS: [usize; 11] = [1, 2, 3, 4, 6, 8, 12, 24, 48, 72, 168];

/// One column of the curve: the steps of a run of local hours.
#[derive(Debug, Clone, PartialEq)]
pub struct Bucket {
    /// The first step's start.
    pub start: DateTime<Utc>,
    pub steps: usize,
    pub mean: f64,
    pub min: f64,
    pub max: f64,
}

/// The run of steps a column stands for: the smallest of 1 step (when quarter-hours fit), a
/// part of an hour, or `RUN_HOURS`, whose columns fit in `width` (`per_hour` steps an hour).
/// Returns steps per column.
pub fn run_steps(steps: usize, per_hour: usize, width: usize) -> usize {
    let (width, per_hour) = (width.max(1), per_hour.max(1));
    let runs =
        (1..per_hour).filter(|r| per_hour.is_multiple_of(*r)).chain(RUN_HOURS.iter().map(|h| h * per_hour));
    runs.into_iter().find(|b| steps.div_ceil(*b) <= width).unwrap_or(steps.div_ceil(width))
}

/// The columns of a curve `width` wide. A run of hours that divides a day starts at local
/// midnight and at every multiple of the run after it, by the local clock: on the day summer
/// time ends the repeated hour joins its run (a 3-hour column then holds 4 hours), on the day
/// it starts the missing hour leaves its run short. Whole days and weeks count local days.
pub fn buckets(values: &[StepValue], per_hour: usize, width: usize) -> Vec<Bucket> {
    buckets_of_run(values, per_hour, run_steps(values.len(), per_hour, width))
}

/// The columns of a curve with `run` steps a column (another series' run, to line up with it).
pub fn buckets_of_run(values: &[StepValue], per_hour: usize, run: usize) -> Vec<Bucket> {
    let (per_hour, run) = (per_hour.max(1), run.max(1));
    let Some(first) = values.first() else { return Vec::new() };
    let first_day = local_day(first.start);
    let key = |v: &StepValue| -> i64 {
        let local = v.start.with_timezone(&LOCAL_TZ);
        // An hour or less a column: the repeated hour of the day summer time ends is a column
        // of its own, told apart by its offset (winter time, +01:00).
        let winter = || i64::from(local.offset().fix().local_minus_utc() == 3600);
        if run < per_hour {
            // Parts of an hour: runs of steps within the hour.
            let step = (local.minute() as usize * per_hour / 60) / run;
            (local.date_naive() - first_day).num_days() * 100_000
                + local.hour() as i64 * 1000
                + winter() * 100
                + step as i64
        } else if run == per_hour {
            (local.date_naive() - first_day).num_days() * 1000 + local.hour() as i64 * 10 + winter()
        } else if run / per_hour < 24 {
            (local.date_naive() - first_day).num_days() * 100
                + (local.hour() as usize / (run / per_hour)) as i64
        } else {
            (local.date_naive() - first_day).num_days() / (run / per_hour / 24) as i64
        }
    };
    let mut out: Vec<Bucket> = Vec::new();
    let mut last_key = None;
    for v in values {
        let k = key(v);
        match out.last_mut() {
            Some(b) if last_key == Some(k) => {
                b.mean += v.kwh; // a sum until the end
                b.min = b.min.min(v.kwh);
                b.max = b.max.max(v.kwh);
                b.steps += 1;
            }
            _ => out.push(Bucket { start: v.start, steps: 1, mean: v.kwh, min: v.kwh, max: v.kwh }),
        }
        last_key = Some(k);
    }
    for b in &mut out {
        b.mean /= b.steps as f64;
    }
    out
}

/// Hours a column stands for, as the stats line says it: `1 h`, `15 min`, `3 h`, `1 day`.
pub fn run_label(run: usize, per_hour: usize) -> String {
    let minutes = run * 60 / per_hour.max(1);
    match minutes {
        m if m < 60 => format!("{m} min"),
        m if m % 1440 == 0 => crate::model::count(m / 1440, "day"),
        m => format!("{} h", m / 60),
    }
}

/// The local day of an instant.
pub fn local_day(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&LOCAL_TZ).date_naive()
}

/// The average day: for each local hour 0..24, the mean over the month's weekdays and over its
/// weekends (Saturday, Sunday); None where the month has no such hour.
pub fn day_profile(values: &[StepValue], per_hour: usize) -> [Vec<Option<f64>>; 2] {
    let mut sums = [[0.0f64; 24]; 2];
    let mut counts = [[0usize; 24]; 2];
    for v in values {
        let local = v.start.with_timezone(&LOCAL_TZ);
        let weekend = matches!(local.weekday(), Weekday::Sat | Weekday::Sun) as usize;
        let h = local.hour() as usize;
        // An hour's value: quarter-hours add up to it.
        sums[weekend][h] += v.kwh;
        counts[weekend][h] += 1;
    }
    let per_hour = per_hour.max(1) as f64;
    let mean = |k: usize| -> Vec<Option<f64>> {
        (0..24).map(|h| (counts[k][h] > 0).then(|| sums[k][h] / counts[k][h] as f64 * per_hour)).collect()
    };
    [mean(0), mean(1)]
}

/// Per local day, the total of its steps: the year view's curve from daily rollups
/// (`yyyymmdd` keys), sorted.
pub fn days_of(rollups: &[(i32, f64)]) -> Vec<(NaiveDate, f64)> {
    let mut out: Vec<(NaiveDate, f64)> = rollups
        .iter()
        .filter_map(|(k, kwh)| {
            Some((NaiveDate::from_ymd_opt(k / 10_000, (k / 100 % 100) as u32, (k % 100) as u32)?, *kwh))
        })
        .collect();
    out.sort_by_key(|(d, _)| *d);
    out
}

/// Per month 1..=12, the sum of its days (None for a month without any).
pub fn months_of(days: &[(NaiveDate, f64)]) -> [Option<f64>; 12] {
    let mut out = [None; 12];
    for (d, kwh) in days {
        let m = &mut out[d.month0() as usize];
        *m = Some(m.unwrap_or(0.0) + kwh);
    }
    out
}

/// The start of every step of `per_hour` steps an hour in [start, end): the time axis of a span,
/// whatever is stored of it.
pub fn grid(start: DateTime<Utc>, end: DateTime<Utc>, per_hour: usize) -> Vec<DateTime<Utc>> {
    let step = chrono::Duration::seconds(3600 / per_hour.max(1) as i64);
    std::iter::successors(Some(start), |t| Some(*t + step)).take_while(|t| *t < end).collect()
}

/// The columns of a curve over `grid` in `slots` columns: runs of steps that start at local
/// midnight (`buckets_of_run`); returns the steps a column holds and each column's start.
pub fn columns(grid: &[DateTime<Utc>], per_hour: usize, slots: usize) -> (usize, Vec<DateTime<Utc>>) {
    let run = run_steps(grid.len(), per_hour, slots);
    let zeros: Vec<StepValue> = grid.iter().map(|t| StepValue { start: *t, kwh: 0.0 }).collect();
    (run, buckets_of_run(&zeros, per_hour, run).into_iter().map(|b| b.start).collect())
}

/// The column of `starts` that holds `t` (None before the first).
pub fn column_at(starts: &[DateTime<Utc>], t: DateTime<Utc>) -> Option<usize> {
    starts.partition_point(|s| *s <= t).checked_sub(1)
}

/// What a series holds in one column.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cell {
    pub sum: f64,
    pub mean: f64,
    pub min: f64,
    pub max: f64,
    pub steps: usize,
}

/// A series' values per column of `starts` (the last column ends at `end`); None where it has
/// no step.
pub fn cells(values: &[StepValue], starts: &[DateTime<Utc>], end: DateTime<Utc>) -> Vec<Option<Cell>> {
    let mut out: Vec<Option<Cell>> = vec![None; starts.len()];
    for v in values.iter().filter(|v| v.start < end) {
        let Some(i) = column_at(starts, v.start) else { continue };
        let c = out[i].get_or_insert(Cell {
            sum: 0.0,
            mean: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            steps: 0,
        });
        c.sum += v.kwh;
        c.min = c.min.min(v.kwh);
        c.max = c.max.max(v.kwh);
        c.steps += 1;
    }
    for c in out.iter_mut().flatten() {
        c.mean = c.sum / c.steps as f64;
    }
    out
}

/// Steps summed into coarser steps (quarter-hours into hours), so series of different
/// resolutions share one time axis.
pub fn coarsen(values: &[StepValue], from_per_hour: usize, to_per_hour: usize) -> Vec<StepValue> {
    if to_per_hour >= from_per_hour || to_per_hour == 0 {
        return values.to_vec();
    }
    let step = 3600 / to_per_hour as i64;
    let mut out: Vec<StepValue> = Vec::new();
    for v in values {
        let start = v.start.timestamp() - v.start.timestamp().rem_euclid(step);
        match out.last_mut() {
            Some(last) if last.start.timestamp() == start => last.kwh += v.kwh,
            _ => out.push(StepValue { start: crate::model::instant(start), kwh: v.kwh }),
        }
    }
    out
}

/// The steps of a local day, and which of them `t` is (1-based): `hour 3 of 25`.
pub fn place_in_day(t: DateTime<Utc>, per_hour: usize) -> (usize, usize) {
    let day = local_day(t);
    let midnight = crate::model::local_midnight_utc(day);
    let next = crate::model::local_midnight_utc(day.succ_opt().unwrap_or(day));
    let step = 3600 / per_hour.max(1) as i64;
    let index = (t - midnight).num_seconds() / step;
    (index as usize + 1, ((next - midnight).num_seconds() / step) as usize)
}

/// `a` minus `b` where both have the key (a step's start, a day): the difference of two series.
pub fn subtract<K: Ord + Copy>(a: &[(K, f64)], b: &[(K, f64)]) -> Vec<(K, f64)> {
    let b: BTreeMap<K, f64> = b.iter().copied().collect();
    a.iter().filter_map(|(k, v)| b.get(k).map(|w| (*k, v - w))).collect()
}

/// Steps as (start, kWh) pairs, and back.
pub fn pairs(steps: &[StepValue]) -> Vec<(DateTime<Utc>, f64)> {
    steps.iter().map(|s| (s.start, s.kwh)).collect()
}

pub fn steps_of(pairs: &[(DateTime<Utc>, f64)]) -> Vec<StepValue> {
    pairs.iter().map(|(start, kwh)| StepValue { start: *start, kwh: *kwh }).collect()
}

/// The mean metering point counts of a year, from the store's daily counts.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PointMeans {
    /// Per (entity, group): the year's mean count per step.
    year: BTreeMap<(String, String), f64>,
    /// Per (day, group): the day's mean count per step, summed over entities.
    days: BTreeMap<(i32, String), f64>,
}

impl PointMeans {
    pub fn of(counts: &[PointCount]) -> PointMeans {
        let mut sums: BTreeMap<(String, String), (u64, u64)> = BTreeMap::new();
        let mut days: BTreeMap<(i32, String), f64> = BTreeMap::new();
        for c in counts.iter().filter(|c| c.steps > 0) {
            let s = sums.entry((c.entity.clone(), c.group.clone())).or_default();
            s.0 += c.points;
            s.1 += u64::from(c.steps);
            *days.entry((c.day, c.group.clone())).or_default() += c.points as f64 / f64::from(c.steps);
        }
        let year = sums.into_iter().map(|(k, (points, steps))| (k, points as f64 / steps as f64)).collect();
        PointMeans { year, days }
    }

    /// The year's mean count per step of one entity (every entity: None) and group (every group:
    /// None): the series' means added up, as their volumes are. None without a count.
    pub fn year_mean(&self, entity: Option<&str>, group: Option<&str>) -> Option<f64> {
        let matching = self
            .year
            .iter()
            .filter(|((e, g), _)| entity.is_none_or(|w| w == e) && group.is_none_or(|w| w == g));
        positive(matching.map(|(_, m)| *m).sum())
    }

    /// A local day's mean count per step (`yyyymmdd`), of one group or every group.
    pub fn day_mean(&self, day: i32, group: Option<&str>) -> Option<f64> {
        let range = self.days.range((day, String::new())..(day + 1, String::new()));
        positive(range.filter(|((_, g), _)| group.is_none_or(|w| w == g)).map(|(_, m)| *m).sum())
    }

    /// Per entity, the year's mean count per step of one group or every group.
    pub fn by_entity(&self, group: Option<&str>) -> std::collections::HashMap<String, f64> {
        let mut out = std::collections::HashMap::new();
        for ((e, g), m) in &self.year {
            if group.is_none_or(|w| w == g) {
                *out.entry(e.clone()).or_insert(0.0) += m;
            }
        }
        out
    }
}

fn positive(x: f64) -> Option<f64> {
    (x > 0.0).then_some(x)
}

/// The change from `before` to `now` in percent, where it means something.
pub fn change_pct(now: f64, before: f64) -> Option<f64> {
    (before.abs() > f64::EPSILON).then(|| 100.0 * (now - before) / before.abs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn hours_from(t0: DateTime<Utc>, n: usize, value: impl Fn(usize) -> f64) -> Vec<StepValue> {
        (0..n).map(|i| StepValue { start: t0 + Duration::hours(i as i64), kwh: value(i) }).collect()
    }

    #[test]
    fn runs_fit_the_width_and_divide_a_day() {
        assert_eq!(run_steps(744, 1, 744), 1);
        assert_eq!(run_steps(744, 1, 300), 3);
        assert_eq!(run_steps(744, 1, 130), 6);
        assert_eq!(run_steps(744, 1, 60), 24);
        assert_eq!(run_steps(2980, 4, 1500), 2, "half-hours of quarter-hours");
        assert_eq!(run_steps(2980, 4, 100), 32);
        assert_eq!(run_label(3, 1), "3 h");
        assert_eq!(run_label(2, 4), "30 min");
        assert_eq!(run_label(24, 1), "1 day");
    }

    #[test]
    fn buckets_start_at_local_midnight_across_dst() {
        // October 2021: summer time ends on the 31st (25 hours). 745 hours from local midnight.
        let t0 = Utc.with_ymd_and_hms(2021, 9, 30, 22, 0, 0).unwrap();
        let v = hours_from(t0, 745, |i| i as f64);
        let b = buckets(&v, 1, 250); // 3-hour columns
        let local = |b: &Bucket| b.start.with_timezone(&LOCAL_TZ);
        assert!(
            b.iter().all(|b| local(b).hour() % 3 == 0),
            "every column starts on a multiple of 3 local hours"
        );
        let last_day: Vec<&Bucket> = b.iter().filter(|b| local(b).day() == 31).collect();
        assert_eq!(last_day.len(), 8);
        assert_eq!(last_day[0].steps, 4, "the repeated hour joins its run");
        assert_eq!(b.iter().map(|b| b.steps).sum::<usize>(), 745);
        // Counting from the first hour instead, the 31st's columns would start at 23:00.
        assert_eq!(local(last_day[7]).hour(), 21);
    }

    #[test]
    fn the_average_day_splits_weekdays_from_weekends() {
        // 7 days from Monday 1 March 2021, local midnight: value = hour of day, +100 at weekends.
        let t0 = Utc.with_ymd_and_hms(2021, 2, 28, 23, 0, 0).unwrap();
        let v = hours_from(t0, 7 * 24, |i| (i % 24) as f64 + if i >= 5 * 24 { 100.0 } else { 0.0 });
        let [weekday, weekend] = day_profile(&v, 1);
        assert_eq!(weekday[13], Some(13.0));
        assert_eq!(weekend[13], Some(113.0));
        let quarter: Vec<StepValue> =
            (0..4 * 24).map(|i| StepValue { start: t0 + Duration::minutes(15 * i), kwh: 1.0 }).collect();
        assert_eq!(day_profile(&quarter, 4)[0][5], Some(4.0), "quarter-hours add up to the hour");
    }

    /// A span's columns come from its time axis, not from what is stored: a missing day is a
    /// gap, and every series is read into the same columns.
    #[test]
    fn columns_come_from_the_time_axis_and_series_fill_them() {
        let t0 = Utc.with_ymd_and_hms(2022, 10, 29, 22, 0, 0).unwrap(); // Sun 30 Oct 00:00
        let day = grid(t0, t0 + Duration::hours(25), 1);
        assert_eq!(day.len(), 25, "the day summer time ends");
        let (run, starts) = columns(&day, 1, 100);
        assert_eq!((run, starts.len()), (1, 25));
        let (run, starts) = columns(&day, 1, 10);
        assert_eq!((run, starts.len()), (3, 8), "3-hour columns; the repeated hour joins its run");
        assert_eq!(
            column_at(&starts, t0 + Duration::hours(3)),
            Some(0),
            "the second 02:00 is in 00:00-03:00"
        );
        let values = hours_from(t0 + Duration::hours(6), 3, |i| i as f64); // 05:00, 06:00, 07:00
        let c = cells(&values, &starts, t0 + Duration::hours(25));
        assert_eq!(c[0], None);
        assert_eq!(c[1].map(|c| (c.sum, c.steps)), Some((0.0, 1)), "03:00-06:00 holds 05:00");
        assert_eq!(c[2].map(|c| (c.sum, c.steps)), Some((3.0, 2)), "06:00-09:00 the other two");
        assert_eq!(place_in_day(t0 + Duration::hours(3), 1), (4, 25), "the second 02:00 is hour 4 of 25");
        let quarters: Vec<StepValue> =
            (0..8).map(|i| StepValue { start: t0 + Duration::minutes(15 * i), kwh: 1.0 }).collect();
        let hours = coarsen(&quarters, 4, 1);
        assert_eq!(hours.iter().map(|h| h.kwh).collect::<Vec<_>>(), [4.0, 4.0]);
    }

    /// Mean counts per step: a series' over its steps, added up over series; a day's too.
    #[test]
    fn point_means_add_up_over_series() {
        let count = |e: &str, g: &str, day: i32, points: u64, steps: u32| PointCount {
            entity: e.into(),
            group: g.into(),
            day,
            points,
            steps,
        };
        let means = PointMeans::of(&[
            count("0301", "private", 20240101, 24 * 100, 24),
            count("0301", "private", 20240102, 24 * 110, 24),
            count("0301", "business", 20240101, 24 * 10, 24),
            count("5001", "private", 20240101, 24 * 50, 24),
        ]);
        assert_eq!(means.year_mean(Some("0301"), Some("private")), Some(105.0));
        assert_eq!(means.year_mean(Some("0301"), None), Some(115.0));
        assert_eq!(means.year_mean(None, Some("private")), Some(155.0));
        assert_eq!(means.day_mean(20240101, Some("private")), Some(150.0));
        assert_eq!(means.day_mean(20240101, None), Some(160.0));
        assert_eq!(means.day_mean(20240103, None), None);
        assert_eq!(means.by_entity(Some("private"))["5001"], 50.0);
    }

    #[test]
    fn years_and_changes() {
        let days = days_of(&[(20210302, 2.0), (20210301, 1.0), (20210401, 5.0)]);
        assert_eq!(days[0].0, NaiveDate::from_ymd_opt(2021, 3, 1).unwrap());
        let months = months_of(&days);
        assert_eq!((months[2], months[3], months[0]), (Some(3.0), Some(5.0), None));
        assert_eq!(change_pct(110.0, 100.0), Some(10.0));
        assert_eq!(change_pct(1.0, 0.0), None);
    }
}
