//! The one rollup rule every backend follows: a day's rollup is the sum, count, minimum and
//! maximum of the series' values in that local day; a month's is made from its days; the
//! all-entity rollups are sums and counts over the entities (no min or max: those of a sum are
//! not known). Backends store what these compute; none computes a rollup another way.

use super::Rollup;

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
    pub(crate) fn of(day: i32, kwh: f64) -> DayRollup {
        DayRollup { day, kwh, count: 1, min: kwh, max: kwh }
    }

    pub(crate) fn add(&mut self, kwh: f64) {
        self.kwh += kwh;
        self.count += 1;
        self.min = self.min.min(kwh);
        self.max = self.max.max(kwh);
    }
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

/// The months of `days` (sorted), in order: each month's rollup with its days.
pub fn months_with_days(days: &[DayRollup]) -> impl Iterator<Item = (DayRollup, &[DayRollup])> {
    days.chunk_by(|a, b| a.day / 100 == b.day / 100).filter_map(|m| Some((month_of_days(m)?, m)))
}

/// The rollups of the months of `days` (sorted), one per month in order.
pub fn month_rollups(days: &[DayRollup]) -> Vec<DayRollup> {
    months_with_days(days).map(|(m, _)| m).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn months_come_from_their_days() {
        let d = |day, kwh| DayRollup { day, kwh, count: 24, min: kwh / 24.0, max: kwh / 12.0 };
        let months = month_rollups(&[d(20210130, 24.0), d(20210131, 48.0), d(20210201, 12.0)]);
        assert_eq!(
            months,
            [
                DayRollup { day: 202101, kwh: 72.0, count: 48, min: 1.0, max: 4.0 },
                DayRollup { day: 202102, kwh: 12.0, count: 24, min: 0.5, max: 1.0 },
            ]
        );
        assert!(month_rollups(&[]).is_empty());
    }
}
