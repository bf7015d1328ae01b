//! What every backend does between reading a window's stored values and writing: decide, record
//! by record, what is new, newer or unchanged (newest `lastUpdatedTime` wins, an equal one keeps
//! the stored value), and compute the daily rollups of the window's final values. Windows are
//! whole local days, so the days a window touches are complete in what it reads and writes.

use chrono::NaiveDate;

use super::{Rollup, UpsertStats};
use crate::model::{day_key, Point};

/// A stored value of a series: (start, kWh, last updated), all Unix seconds but the kWh.
pub type StoredValue = (i64, f64, i64);

/// One day's rollup of a series.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DayRollup {
    /// `yyyymmdd` of the local day.
    pub day: i32,
    pub kwh: f64,
    pub count: u64,
    pub min: f64,
    pub max: f64,
}

impl DayRollup {
    fn of(day: i32, kwh: f64) -> DayRollup {
        DayRollup { day, kwh, count: 1, min: kwh, max: kwh }
    }

    fn add(&mut self, kwh: f64) {
        self.kwh += kwh;
        self.count += 1;
        self.min = self.min.min(kwh);
        self.max = self.max.max(kwh);
    }
}

/// The outcome of merging a series' incoming records into what is stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Merged<'a> {
    pub stats: UpsertStats,
    /// The incoming records to write: new, or newer than what is stored.
    pub writes: Vec<&'a Point>,
    /// The rollups of every day of the window that holds a value after the write.
    pub days: Vec<DayRollup>,
}

/// Merges `incoming` (sorted by start, one per start) into `stored` (sorted by start) over a
/// window whose local days start at `bounds` (see `Window::day_bounds`).
pub fn merge<'a>(incoming: &'a [Point], stored: &[StoredValue], bounds: &[(NaiveDate, i64)]) -> Merged<'a> {
    let mut stats = UpsertStats::default();
    let mut writes = Vec::new();
    let mut days: Vec<DayRollup> = Vec::new();
    let mut day_index = 0usize;
    let mut add = |t: i64, kwh: f64, days: &mut Vec<DayRollup>| {
        while day_index + 1 < bounds.len() && t >= bounds[day_index + 1].1 {
            day_index += 1;
        }
        let day = day_key(bounds[day_index.min(bounds.len().saturating_sub(1))].0);
        match days.last_mut() {
            Some(d) if d.day == day => d.add(kwh),
            _ => days.push(DayRollup::of(day, kwh)),
        }
    };
    let (mut i, mut j) = (0, 0);
    while i < incoming.len() || j < stored.len() {
        let next_in = incoming.get(i).map(|p| p.start);
        let next_st = stored.get(j).map(|s| s.0);
        match (next_in, next_st) {
            (Some(a), Some(b)) if a == b => {
                let (p, s) = (&incoming[i], stored[j]);
                if p.updated > s.2 {
                    stats.updated += 1;
                    writes.push(p);
                    add(p.start, p.kwh, &mut days);
                } else {
                    stats.unchanged += 1;
                    add(s.0, s.1, &mut days);
                }
                i += 1;
                j += 1;
            }
            (Some(a), b) if b.is_none_or(|b| a < b) => {
                let p = &incoming[i];
                stats.new += 1;
                writes.push(p);
                add(p.start, p.kwh, &mut days);
                i += 1;
            }
            _ => {
                let s = stored[j];
                add(s.0, s.1, &mut days);
                j += 1;
            }
        }
    }
    Merged { stats, writes, days }
}

/// The rollups of a series' whole history, computed from all its values (sorted by start):
/// what `rebuild` and a migration write.
pub fn day_rollups_of(values: impl IntoIterator<Item = (i64, f64)>) -> Vec<DayRollup> {
    let mut days: Vec<DayRollup> = Vec::new();
    for (t, kwh) in values {
        let day = local_day_key(t);
        match days.last_mut() {
            Some(d) if d.day == day => d.add(kwh),
            _ => days.push(DayRollup::of(day, kwh)),
        }
    }
    days
}

/// The `yyyymmdd` key of the local day an instant falls in.
pub fn local_day_key(t: i64) -> i32 {
    let local = t + crate::model::oslo_offset_secs(t);
    let (y, m, d) = crate::model::civil_from_days(local.div_euclid(86_400));
    (y * 10_000 + m * 100 + d) as i32
}

/// A month's rollup from its days' rollups.
pub fn month_of_days(days: &[DayRollup]) -> Option<DayRollup> {
    let first = days.first()?;
    let mut m = DayRollup { day: first.day / 100, ..*first };
    for d in &days[1..] {
        m.kwh += d.kwh;
        m.count += d.count;
        m.min = m.min.min(d.min);
        m.max = m.max.max(d.max);
    }
    Some(m)
}

/// The months (`yyyymm`) that the day rollups fall in, without repeats.
pub fn months_of(days: &[DayRollup]) -> Vec<i32> {
    let mut months: Vec<i32> = days.iter().map(|d| d.day / 100).collect();
    months.dedup();
    months
}

/// Sums per-entity rollups (sorted by group then key) into all-entity rollups: sums and counts
/// add up; a min or max of a sum across entities is not known, so they are left out.
pub fn sum_over_entities(mut rows: Vec<Rollup>) -> Vec<Rollup> {
    rows.sort_by(|a, b| a.group.cmp(&b.group).then(a.key.cmp(&b.key)));
    let mut out: Vec<Rollup> = Vec::new();
    for r in rows {
        match out.last_mut() {
            Some(o) if o.group == r.group && o.key == r.key => {
                o.kwh += r.kwh;
                o.count += r.count;
            }
            _ => out.push(Rollup { min: None, max: None, ..r }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Window;

    fn p(start: i64, kwh: f64, updated: i64) -> Point {
        Point { start, kwh, updated, metering_points: None }
    }

    #[test]
    fn newest_wins_and_days_roll_up_the_final_values() {
        let w = Window::of_day(NaiveDate::from_ymd_opt(2021, 3, 28).unwrap());
        let bounds = w.day_bounds();
        let t0 = w.start.timestamp();
        let incoming = [p(t0, 1.0, 10), p(t0 + 3600, 2.0, 10), p(t0 + 7200, 3.0, 5)];
        let stored = [(t0 + 3600, 20.0, 9), (t0 + 7200, 30.0, 9), (t0 + 10800, 40.0, 9)];
        let m = merge(&incoming, &stored, &bounds);
        assert_eq!(m.stats, UpsertStats { new: 1, updated: 1, unchanged: 1 });
        assert_eq!(m.writes.iter().map(|p| p.start).collect::<Vec<_>>(), [t0, t0 + 3600]);
        assert_eq!(
            m.days,
            [DayRollup { day: 20210328, kwh: 1.0 + 2.0 + 30.0 + 40.0, count: 4, min: 1.0, max: 40.0 }]
        );
        // The same from the whole history.
        let again = day_rollups_of([(t0, 1.0), (t0 + 3600, 2.0), (t0 + 7200, 30.0), (t0 + 10800, 40.0)]);
        assert_eq!(again, m.days);
    }

    #[test]
    fn month_windows_split_into_local_days() {
        let w = Window::of_month("2021-10".parse().unwrap());
        let pts: Vec<Point> = (0..w.hours()).map(|h| p(w.start.timestamp() + h * 3600, 1.0, 1)).collect();
        let m = merge(&pts, &[], &w.day_bounds());
        assert_eq!(m.days.len(), 31);
        assert_eq!(m.days[0].day, 20211001);
        assert_eq!(m.days[30].count, 25, "31 October has 25 hours");
        assert_eq!(month_of_days(&m.days).map(|d| (d.day, d.count)), Some((202110, 745)));
        assert_eq!(months_of(&m.days), [202110]);
        assert_eq!(local_day_key(w.start.timestamp()), 20211001);
    }

    #[test]
    fn all_entity_sums_drop_min_and_max() {
        let r = |g: &str, key, kwh| Rollup {
            group: g.into(),
            key,
            kwh,
            count: 1,
            min: Some(kwh),
            max: Some(kwh),
        };
        let sum = sum_over_entities(vec![r("b", 1, 1.0), r("a", 1, 2.0), r("a", 1, 3.0), r("a", 2, 4.0)]);
        assert_eq!(
            sum.iter().map(|r| (r.group.as_str(), r.key, r.kwh, r.count)).collect::<Vec<_>>(),
            [("a", 1, 5.0, 2), ("a", 2, 4.0, 1), ("b", 1, 1.0, 1)]
        );
        assert!(sum.iter().all(|r| r.min.is_none() && r.max.is_none()));
    }
}
