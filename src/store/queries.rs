//! The queries every backend answers alike, built on `Backend`'s primitives: totals over months
//! from the monthly rollups, a year's daily totals from the daily rollups, curves summed over
//! series, every entity's total side by side, and what the metering point counts say (kWh per
//! metering point). Written once here, so the explorer, `summary` and the benches ask the store
//! and never sum in their own loops.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::{GroupTotal, Period, Result, Scope, StepValue, Store};
use crate::model::{
    civil_from_days, month_key, oslo_offset_secs, year_bounds_utc, Dataset, Group, Month, SeriesKey,
};

/// The metering points behind one group of one entity on one local day: their sum over the
/// day's steps and how many steps there were, so means can be taken over any span of days.
#[derive(Debug, Clone, PartialEq)]
pub struct PointCount {
    pub entity: String,
    pub group: Group,
    /// `yyyymmdd` of the local day.
    pub day: i32,
    /// The sum of every step's count.
    pub points: u64,
    /// Steps with a count.
    pub steps: u32,
}

impl Store {
    /// Totals per group of `scope` over a local year, from the monthly rollups; sorted by group.
    pub async fn annual_totals(&self, dataset: Dataset, scope: &Scope, year: i32) -> Result<Vec<GroupTotal>> {
        let (Some(first), Some(last)) = (Month::new(year, 1), Month::new(year, 12)) else {
            return Ok(Vec::new());
        };
        self.totals_between(dataset, scope, first, last).await
    }

    /// Totals per group of `scope` over the local months `first..=last`, from the monthly
    /// rollups; sorted by group.
    pub async fn totals_between(
        &self,
        dataset: Dataset,
        scope: &Scope,
        first: Month,
        last: Month,
    ) -> Result<Vec<GroupTotal>> {
        let months = self.rollups(dataset, scope, Period::Month, month_key(first), month_key(last)).await?;
        let mut out: Vec<GroupTotal> = Vec::new();
        for r in months {
            match out.last_mut() {
                Some(t) if t.group == r.group => {
                    t.kwh += r.kwh;
                    t.count += r.count;
                }
                _ => out.push(GroupTotal { group: r.group, kwh: r.kwh, count: r.count }),
            }
        }
        Ok(out)
    }

    /// The total of each local day of `year` for `scope` and one group (every group together:
    /// `None`), from the daily rollups (no scan of records); `(yyyymmdd, kWh)` sorted by day.
    pub async fn daily_totals(
        &self,
        dataset: Dataset,
        scope: &Scope,
        group: Option<&str>,
        year: i32,
    ) -> Result<Vec<(i32, f64)>> {
        let (from, to) = (year * 10_000 + 101, year * 10_000 + 1231);
        let rollups = self.rollups(dataset, scope, Period::Day, from, to).await?;
        let mut days: BTreeMap<i32, f64> = BTreeMap::new();
        for r in rollups.iter().filter(|r| group.is_none_or(|g| r.group == g)) {
            *days.entry(r.key).or_default() += r.kwh;
        }
        Ok(days.into_iter().collect())
    }

    /// A curve summed over series: of one entity (or every entity, `None`) and one group (or
    /// every group, `None`), per step, sorted by start. All of Norway's hydro, NO1's groups
    /// together, or everything.
    pub async fn summed_steps(
        &self,
        dataset: Dataset,
        entity: Option<&str>,
        group: Option<&str>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<StepValue>> {
        if entity.is_none() {
            if let Some(steps) = self.0.all_entity_steps(dataset, group, from, to).await? {
                return Ok(steps);
            }
        }
        let mut sums: BTreeMap<DateTime<Utc>, f64> = BTreeMap::new();
        for key in self.matching_series(dataset, entity, group).await? {
            for s in self.steps(dataset, &key, from, to).await? {
                *sums.entry(s.start).or_default() += s.kwh;
            }
        }
        Ok(sums.into_iter().map(|(start, kwh)| StepValue { start, kwh }).collect())
    }

    /// As `summed_steps`, in kWh per metering point: per step, the volume of the series that
    /// carry a count divided by the sum of their counts (the average household of a
    /// municipality, of its private group). Steps without a count are left out.
    pub async fn steps_per_point(
        &self,
        dataset: Dataset,
        entity: Option<&str>,
        group: Option<&str>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<StepValue>> {
        let mut sums: BTreeMap<DateTime<Utc>, (f64, u64)> = BTreeMap::new();
        for key in self.matching_series(dataset, entity, group).await? {
            for r in self.series_records(dataset, &key, from, to).await? {
                if let Some(points) = r.metering_points.filter(|p| *p > 0) {
                    let sum = sums.entry(r.start).or_default();
                    sum.0 += r.quantity_kwh;
                    sum.1 += u64::from(points);
                }
            }
        }
        Ok(sums
            .into_iter()
            .map(|(start, (kwh, points))| StepValue { start, kwh: kwh / points as f64 })
            .collect())
    }

    /// The metering point counts of `year` per entity, group and local day, for one entity or
    /// every entity (`None`); sorted by entity, group and day. One pass over the year's records
    /// of the series asked for.
    pub async fn point_counts(
        &self,
        dataset: Dataset,
        entity: Option<&str>,
        year: i32,
    ) -> Result<Vec<PointCount>> {
        let (from, to) = year_bounds_utc(year);
        let mut out = Vec::new();
        for key in self.matching_series(dataset, entity, None).await? {
            // Steps come sorted, so a day's steps are together: one count per run of a local
            // day, found without a time-zone lookup (8,760 steps a series).
            let mut days: Vec<(i64, u64, u32)> = Vec::with_capacity(366);
            for (start, points) in self.point_steps(dataset, &key, from, to).await? {
                let day = (start + oslo_offset_secs(start)).div_euclid(86_400);
                match days.last_mut() {
                    Some(d) if d.0 == day => {
                        d.1 += u64::from(points);
                        d.2 += 1;
                    }
                    _ => days.push((day, u64::from(points), 1)),
                }
            }
            out.extend(days.into_iter().map(|(day, points, steps)| {
                let (y, m, d) = civil_from_days(day);
                PointCount {
                    entity: key.entity.clone(),
                    group: key.group.clone(),
                    day: (y * 10_000 + m * 100 + d) as i32,
                    points,
                    steps,
                }
            }));
        }
        Ok(out)
    }

    /// One group's total (or every group's together, `None`) over a local year for every
    /// entity of a dataset that has it, in the store's entity order: the entities side by side.
    pub async fn entity_totals(
        &self,
        dataset: Dataset,
        group: Option<&str>,
        year: i32,
    ) -> Result<Vec<(String, f64)>> {
        let wanted = |g: &str| group.is_none_or(|w| w == g);
        let mut entities: Vec<String> =
            self.series(dataset).await?.into_iter().filter(|k| wanted(&k.group)).map(|k| k.entity).collect();
        entities.dedup();
        let mut out = Vec::new();
        for entity in entities {
            let totals = self.annual_totals(dataset, &Scope::Entity(entity.clone()), year).await?;
            let mut matching = totals.iter().filter(|t| wanted(&t.group)).peekable();
            if matching.peek().is_some() {
                out.push((entity, matching.map(|t| t.kwh).sum()));
            }
        }
        Ok(out)
    }

    /// The series of one entity (every entity: `None`) and one group (every group: `None`).
    async fn matching_series(
        &self,
        dataset: Dataset,
        entity: Option<&str>,
        group: Option<&str>,
    ) -> Result<Vec<SeriesKey>> {
        let wanted =
            |k: &SeriesKey| entity.is_none_or(|e| k.entity == e) && group.is_none_or(|g| k.group == g);
        Ok(self.series(dataset).await?.into_iter().filter(wanted).collect())
    }
}
