//! What every backend does between reading a window's stored values and writing: decide, record
//! by record, what is new, newer or unchanged (newest `lastUpdatedTime` wins, an equal one keeps
//! the stored value), and compute the daily rollups of the window's final values. Windows are
//! whole local days, so the days a window touches are complete in what it reads and writes.

use chrono::NaiveDate;

use super::rollup::DayRollup;
use super::UpsertStats;
use crate::model::{day_key, Point};

/// A stored value of a series: (start, kWh, last updated), all Unix seconds but the kWh.
pub type StoredValue = (i64, f64, i64);

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Window;
    use crate::store::rollup::{day_rollups_of, local_day_key, month_of_days, months_of};

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
}
