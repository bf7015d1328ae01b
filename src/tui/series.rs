//! What the curve pane computes from a series' values, without drawing: buckets that start at
//! local midnight (so days look alike after a DST change), the average day (weekdays and
//! weekends apart), the reading under the cursor, and the year's days and months from daily
//! rollups. Pure functions, tested here; the views only lay them out.

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc, Weekday};

use crate::model::LOCAL_TZ;
use crate::store::StepValue;

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
        if run < per_hour {
            // Parts of an hour: runs of steps within the hour.
            let step = (local.minute() as usize * per_hour / 60) / run;
            (local.date_naive() - first_day).num_days() * 10_000 + local.hour() as i64 * 100 + step as i64
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

/// What the cursor reads at a column: when it starts (local), the column's value (the mean of
/// its steps, as drawn) and the total of the local day it lies in.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    pub start: DateTime<Utc>,
    pub value: f64,
    pub day_total: f64,
}

pub fn reading(values: &[StepValue], buckets: &[Bucket], column: usize) -> Option<Reading> {
    let b = buckets.get(column)?;
    let day = local_day(b.start);
    let day_total = values.iter().filter(|v| local_day(v.start) == day).map(|v| v.kwh).sum();
    Some(Reading { start: b.start, value: b.mean, day_total })
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

/// Days a column stands for, and the columns' mean daily values, for `slots` columns: whole
/// days, so the scale reads per day.
pub fn day_columns(days: &[(NaiveDate, f64)], slots: usize) -> (usize, Vec<f64>) {
    let run = days.len().div_ceil(slots.max(1)).max(1);
    (run, days.chunks(run).map(|c| c.iter().map(|d| d.1).sum::<f64>() / c.len() as f64).collect())
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

    #[test]
    fn the_cursor_reads_its_column_and_its_day() {
        let t0 = Utc.with_ymd_and_hms(2021, 2, 28, 23, 0, 0).unwrap();
        let v = hours_from(t0, 48, |i| if i < 24 { 1.0 } else { 2.0 });
        let b = buckets(&v, 1, 16); // 3-hour columns
        let r = reading(&v, &b, 9).unwrap();
        assert_eq!((r.value, r.day_total), (2.0, 48.0));
        assert_eq!(r.start.with_timezone(&LOCAL_TZ).hour(), 3);
        assert!(reading(&v, &b, 99).is_none());
    }

    #[test]
    fn years_and_changes() {
        let days = days_of(&[(20210302, 2.0), (20210301, 1.0), (20210401, 5.0)]);
        assert_eq!(days[0].0, NaiveDate::from_ymd_opt(2021, 3, 1).unwrap());
        let months = months_of(&days);
        assert_eq!((months[2], months[3], months[0]), (Some(3.0), Some(5.0), None));
        assert_eq!(change_pct(110.0, 100.0), Some(10.0));
        assert_eq!(change_pct(1.0, 0.0), None);
        let d0 = NaiveDate::from_ymd_opt(2021, 1, 1).unwrap();
        let year: Vec<(NaiveDate, f64)> = (0..365).map(|i| (d0 + chrono::Days::new(i), i as f64)).collect();
        let (run, values) = day_columns(&year, 400);
        assert_eq!((run, values.len()), (1, 365));
        let (run, values) = day_columns(&year, 100);
        assert_eq!((run, values.len()), (4, 92));
        assert_eq!(values[0], 1.5, "a mean per day");
    }
}
