//! The replica's deterministic data for every catalogued dataset: realistic volumes per entity
//! and group with seasonal and daily shape, solar at zero at night, NO4 `other` mostly zero,
//! a series that starts mid-2021 (NO4 solar, so 2021 has 215,353 production records as the
//! real data did), quarter-hours from 22 May 2023, and revisions.
//!
//! The same functions answer the replica's requests and the tests' expectations.

use std::f64::consts::PI;

use chrono::{DateTime, NaiveDate, Utc};

use super::places::{places, unit_noise, Place};
use crate::model::{
    civil_from_days, days_from_civil, local_midnight_utc, oslo_offset_secs, Dataset, Entity, EntityKind,
    Month, Point, PriceArea, Resolution, SeriesData, SeriesKey, Window, WindowData,
};

/// The first instant of a dataset's data: its catalogue month, and for the quarter-hourly
/// production the day the Nordic 15-minute settlement began (2023-05-22).
pub fn data_start(dataset: Dataset) -> i64 {
    match dataset.resolution() {
        Resolution::QuarterHour => midnight(2023, 5, 22),
        Resolution::Hour => dataset.spec().first_month.start_utc().timestamp(),
    }
}

/// The series that starts mid-year: NO4 solar from 2021-06-02 00:00 local.
pub fn late_series_start() -> DateTime<Utc> {
    crate::model::instant(midnight(2021, 6, 2))
}

fn midnight(y: i32, m: u32, d: u32) -> i64 {
    local_midnight_utc(NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()).timestamp()
}

/// When a series begins.
fn series_start(dataset: Dataset, place: &Place, group: &str) -> i64 {
    let start = data_start(dataset);
    let production = dataset.spec().group_field == "productionGroup";
    if production && place.id == "NO4" && group == "solar" {
        start.max(late_series_start().timestamp())
    } else {
        start
    }
}

/// A stable key for a series, mixed into its noise.
fn series_key(dataset: Dataset, place: &Place, group: &str) -> u64 {
    let mut k = (dataset.api_name().len() as u64 + 1) * 1_000_003;
    for b in dataset.spec().group_field.bytes().chain(place.id.bytes()).chain(group.bytes()) {
        k = k.wrapping_mul(31).wrapping_add(b as u64);
    }
    k
}

/// Average kWh per hour of a series, before shape and noise.
fn base_kwh(dataset: Dataset, place: &Place, group: &str) -> f64 {
    let production = dataset.spec().group_field == "productionGroup";
    match dataset.entity() {
        EntityKind::PriceArea => {
            let i = place.id.parse::<PriceArea>().map_or(0, PriceArea::index);
            let pick = |v: [f64; 5]| v[i];
            match (production, group) {
                (true, "hydro") => pick([2.3e6, 5.4e6, 1.7e6, 2.2e6, 3.5e6]),
                (true, "wind") => pick([4.0e4, 3.2e5, 5.2e5, 4.4e5, 3.0e4]),
                (true, "thermal") => pick([2.2e4, 1.1e4, 3.1e4, 1.4e4, 6.3e4]),
                (true, "solar") => pick([9.0e3, 7.5e3, 2.0e3, 6.0e2, 1.5e3]),
                (true, "other") => pick([1.3e4, 8.0e3, 5.0e3, 0.0, 6.0e3]),
                (false, "household") => pick([1.6e6, 9.0e5, 7.0e5, 5.0e5, 6.0e5]),
                (false, "cabin") => pick([1.1e5, 9.0e4, 5.0e4, 3.0e4, 4.0e4]),
                (false, "primary") => pick([9.0e4, 6.0e4, 8.0e4, 7.0e4, 1.1e5]),
                (false, "secondary") => pick([4.0e5, 1.3e6, 6.0e5, 7.0e5, 9.0e5]),
                (false, "tertiary") => pick([1.0e6, 5.0e5, 4.5e5, 3.0e5, 3.8e5]),
                _ => 1.0e4,
            }
        }
        EntityKind::Municipality => {
            let people = place.weight;
            match group {
                "private" => people * 0.6,
                "business" => people * 0.5,
                // Industry is where the plants are: a few municipalities use a lot, most little.
                "industry" => people * 4.0 * unit_noise(series_key(dataset, place, "plant")).powi(4),
                _ => people * 0.1,
            }
        }
        EntityKind::GridArea => {
            let customers = place.weight * 1000.0;
            customers
                * match group {
                    "household" => 1.6,
                    "cabin" => 0.15,
                    "primary" => 0.2,
                    "secondary" => 1.4,
                    "tertiary" => 1.0,
                    _ => 0.1,
                }
        }
    }
}

/// Local hour of day (0..24) and day of year (0-based) of an instant.
fn local_hour_and_day(t: i64) -> (f64, f64) {
    let local = t + oslo_offset_secs(t);
    let days = local.div_euclid(86_400);
    let (y, _, _) = civil_from_days(days);
    let ordinal0 = days - days_from_civil(y, 1, 1);
    (local.rem_euclid(86_400) as f64 / 3600.0, ordinal0 as f64)
}

/// One series' constants, computed once per series rather than per record.
struct SeriesShape {
    key: u64,
    base: f64,
    group: Shape,
    per_step: f64,
    step: i64,
}

#[derive(Clone, Copy, PartialEq)]
enum Shape {
    Solar,
    Wind,
    RareOther,
    Heating,
    Flat,
}

impl SeriesShape {
    fn new(dataset: Dataset, place: &Place, group: &str) -> SeriesShape {
        let base = base_kwh(dataset, place, group);
        let shape = match group {
            "solar" => Shape::Solar,
            "wind" => Shape::Wind,
            "other" if base == 0.0 => Shape::RareOther,
            "household" | "cabin" | "private" => Shape::Heating,
            _ => Shape::Flat,
        };
        let res = dataset.resolution();
        SeriesShape {
            key: series_key(dataset, place, group),
            base,
            group: shape,
            per_step: 1.0 / res.per_hour() as f64,
            step: res.seconds(),
        }
    }

    /// The volume of one step. `revision` > 0 gives the revised value of a revised month.
    fn quantity(&self, start: i64, revision: u32) -> f64 {
        let (hour, doy) = local_hour_and_day(start);
        let season = (2.0 * PI * (doy - 15.0) / 365.25).cos(); // +1 mid-January
        let step_index = (start / self.step) as u64;
        let day_index = (start / 86_400) as u64;
        let noise =
            unit_noise(self.key ^ step_index.wrapping_mul(0x2545_F491_4F6C_DD1D) ^ (revision as u64) << 40);
        let weather = unit_noise(self.key.wrapping_add(day_index.wrapping_mul(0x9E37)));
        let daytime = ((hour - 6.0) * PI / 12.0).sin(); // +1 at noon
        let base = self.base;
        let value = match self.group {
            Shape::Solar => {
                let day_length = 12.0 - 6.5 * season; // hours of daylight, short in winter
                let from_noon = (hour + 0.5 * self.per_step - 12.5).abs();
                if from_noon >= day_length / 2.0 {
                    0.0
                } else {
                    let sun = (PI * (0.5 - from_noon / day_length)).sin();
                    base * 4.0 * sun * (1.0 - 0.6 * season) * (0.3 + 0.7 * weather)
                }
            }
            Shape::Wind => base * (0.2 + 1.6 * weather) * (1.0 + 0.35 * season) * (0.9 + 0.2 * noise),
            Shape::RareOther => {
                if noise > 0.97 {
                    50.0 * noise
                } else {
                    0.0
                }
            }
            Shape::Heating => base * (1.0 + 0.45 * season) * (1.0 + 0.25 * daytime) * (0.95 + 0.1 * noise),
            Shape::Flat => base * (1.0 + 0.22 * season) * (1.0 + 0.07 * daytime) * (0.96 + 0.08 * noise),
        };
        (value * self.per_step * 1000.0).round() / 1000.0
    }
}

/// Metering points behind a consumption series (changes slowly, per month).
fn metering_points(dataset: Dataset, place: &Place, group: &str, start: i64) -> Option<u32> {
    if !dataset.has_metering_points() {
        return None;
    }
    let month = Month::containing(crate::model::instant(start));
    let base: f64 = match dataset.entity() {
        EntityKind::PriceArea => {
            let i = place.id.parse::<PriceArea>().map_or(0, PriceArea::index);
            (match group {
                "household" => [1_250_000, 480_000, 420_000, 260_000, 350_000][i],
                "cabin" => [95_000, 110_000, 60_000, 45_000, 70_000][i],
                "primary" => [4_000, 3_500, 6_000, 5_000, 5_500][i],
                "secondary" => [9_000, 7_000, 6_500, 4_000, 6_000][i],
                "tertiary" => [60_000, 35_000, 30_000, 20_000, 28_000][i],
                _ => 1_000,
            }) as f64
        }
        EntityKind::Municipality => {
            place.weight
                * match group {
                    "private" => 0.45,
                    "business" => 0.06,
                    _ => 0.003,
                }
        }
        EntityKind::GridArea => {
            place.weight
                * match group {
                    "household" => 1000.0,
                    "cabin" => 80.0,
                    "primary" => 8.0,
                    "secondary" => 12.0,
                    _ => 60.0,
                }
        }
    };
    Some(base.round() as u32 + 1 + ((month.year() - 2014) * 12 + month.month() as i32) as u32 * 3)
}

/// When a step's month settled: some weeks after it ended (Elhub's lastUpdatedTime of data
/// never revised).
pub fn settled_at(start: i64) -> i64 {
    let month = Month::containing(crate::model::instant(start));
    month.end_utc().timestamp() + 17 * 86_400 + 3 * 3600 + 45 * 60
}

/// A span of revised steps: [from, to) in Unix seconds (a local day), how often it was
/// revised, and the `lastUpdatedTime` its steps carry since (later than settling, and later
/// with every revision).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Revised {
    pub from: i64,
    pub to: i64,
    pub count: u32,
    pub stamp: i64,
}

/// When Elhub last updated a step whose month settled at `settled`.
pub fn last_updated(settled: i64, revised: Option<&Revised>) -> i64 {
    revised.map_or(settled, |r| r.stamp)
}

/// Whether the replica serves this entity at all (one grid area is inactive).
pub fn serves(place: &Place) -> bool {
    place.active
}

/// What a request for `window` gets: every series of `dataset` with steps starting in the
/// window and before `until`, in the API's order (entity, group, time), restricted to one entity
/// and group when given. `revised` lists the revised spans, sorted and not overlapping.
pub fn window_data(
    dataset: Dataset,
    window: Window,
    until: DateTime<Utc>,
    entity: Option<&str>,
    group: Option<&str>,
    revised: &[Revised],
) -> WindowData {
    let mut out = WindowData::new(dataset, window);
    let step = dataset.resolution().seconds();
    let to = window.end.timestamp().min(until.timestamp());
    for place in places(dataset.entity()).iter().filter(|p| serves(p) && entity.is_none_or(|e| e == p.id)) {
        out.entities.push(Entity {
            kind: dataset.entity(),
            id: place.id.clone(),
            name: place.name.clone(),
            price_area: (dataset.entity() == EntityKind::GridArea)
                .then(|| place.price_area.as_str().to_string()),
        });
        for &g in dataset.known_groups().iter().filter(|g| group.is_none_or(|x| x == **g)) {
            let from = window.start.timestamp().max(series_start(dataset, place, g));
            let mut t = from + (step - from.rem_euclid(step)) % step;
            if t >= to {
                continue;
            }
            let shape = SeriesShape::new(dataset, place, g);
            let mut points = Vec::with_capacity(((to - t) / step) as usize + 1);
            let mut month_end = Month::containing(crate::model::instant(t)).end_utc().timestamp();
            let mut points_of_month = metering_points(dataset, place, g, t);
            let mut settled = settled_at(t);
            let mut r = revised.partition_point(|x| x.to <= t);
            while t < to {
                if t >= month_end {
                    month_end = Month::containing(crate::model::instant(t)).end_utc().timestamp();
                    points_of_month = metering_points(dataset, place, g, t);
                    settled = settled_at(t);
                }
                while revised.get(r).is_some_and(|x| x.to <= t) {
                    r += 1;
                }
                let revision = revised.get(r).filter(|x| x.from <= t);
                points.push(Point {
                    start: t,
                    kwh: shape.quantity(t, revision.map_or(0, |x| x.count)),
                    updated: last_updated(settled, revision),
                    metering_points: points_of_month,
                });
                t += step;
            }
            out.series.push(SeriesData { key: SeriesKey::new(&place.id, g), points });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Timelike};

    fn month_count(dataset: Dataset, m: &str) -> usize {
        let m: Month = m.parse().unwrap();
        window_data(dataset, Window::of_month(m), Utc::now(), None, None, &[]).len()
    }

    #[test]
    fn production_2021_has_the_real_monthly_counts() {
        let counts: Vec<usize> = Month::of_year(2021)
            .unwrap()
            .months()
            .map(|m| month_count(Dataset::PRODUCTION, &m.to_string()))
            .collect();
        assert_eq!(
            counts,
            [17856, 16128, 17832, 17280, 17856, 17976, 18600, 18600, 18000, 18625, 18000, 18600]
        );
    }

    #[test]
    fn every_dataset_has_plausible_data() {
        // 15-minute data begins on 22 May 2023, so May has 10 days of it.
        assert_eq!(month_count(Dataset::PRODUCTION_15MIN, "2023-04"), 0);
        assert_eq!(month_count(Dataset::PRODUCTION_15MIN, "2023-05"), 25 * 10 * 96);
        assert_eq!(month_count(Dataset::PRODUCTION_15MIN, "2023-10"), 25 * (31 * 96 + 4));
        let day = Window::of_day(NaiveDate::from_ymd_opt(2021, 3, 28).unwrap());
        let muni = window_data(Dataset::CONSUMPTION_MUNICIPALITY, day, Utc::now(), None, None, &[]);
        assert_eq!(muni.len(), 361 * 3 * 23);
        assert_eq!(muni.entities.len(), 361);
        let grid = window_data(Dataset::CONSUMPTION_GRID_AREA, day, Utc::now(), None, None, &[]);
        assert_eq!(grid.entities.len(), 99, "the inactive grid area is left out");
        assert!(grid.entities.iter().all(|e| e.price_area.is_some()));
        assert_eq!(grid.len(), 99 * 5 * 23);
        // Norway's private consumption is some 40 TWh a year: a January hour of it is ~5-7 GWh.
        let jan = Window::of_day(NaiveDate::from_ymd_opt(2022, 1, 10).unwrap());
        let m = window_data(Dataset::CONSUMPTION_MUNICIPALITY, jan, Utc::now(), None, Some("private"), &[]);
        let noon: f64 = m.series.iter().map(|s| s.points[12].kwh).sum();
        assert!((3.0e6..9.0e6).contains(&noon), "{noon}");
    }

    #[test]
    fn magnitudes_and_shapes_are_realistic() {
        let jan = Window::of_month("2021-01".parse().unwrap());
        let hydro = window_data(Dataset::PRODUCTION, jan, Utc::now(), Some("NO1"), Some("hydro"), &[]);
        let pts = &hydro.series[0].points;
        let mean = pts.iter().map(|p| p.kwh).sum::<f64>() / pts.len() as f64;
        // Real NO1 hydro in early January 2021: about 2.5 GWh per hour.
        assert!((2.0e6..3.5e6).contains(&mean), "{mean}");
        let solar = window_data(Dataset::PRODUCTION, jan, Utc::now(), Some("NO1"), Some("solar"), &[]);
        let at = |p: &Point| crate::model::instant(p.start).with_timezone(&crate::model::LOCAL_TZ).hour();
        assert!(solar.series[0].points.iter().filter(|p| at(p) == 0).all(|p| p.kwh == 0.0));
        assert!(solar.series[0].points.iter().any(|p| p.kwh > 0.0));
        // A quarter-hour is about a quarter of the hour's volume.
        let may = Window::of_month("2024-05".parse().unwrap());
        let q = window_data(Dataset::PRODUCTION_15MIN, may, Utc::now(), Some("NO2"), Some("hydro"), &[]);
        let h = window_data(Dataset::PRODUCTION, may, Utc::now(), Some("NO2"), Some("hydro"), &[]);
        let (qs, hs): (f64, f64) =
            (q.series[0].points.iter().map(|p| p.kwh).sum(), h.series[0].points.iter().map(|p| p.kwh).sum());
        assert!((qs / hs - 1.0).abs() < 0.05, "{qs} vs {hs}");
    }

    #[test]
    fn revisions_change_values_and_times() {
        let t = Utc.with_ymd_and_hms(2021, 5, 1, 0, 0, 0).unwrap();
        let w = Window { start: t, end: t + chrono::Duration::hours(1) };
        let a = window_data(Dataset::PRODUCTION, w, Utc::now(), Some("NO2"), Some("hydro"), &[]);
        let day =
            |count, stamp| Revised { from: t.timestamp() - 7200, to: t.timestamp() + 79_200, count, stamp };
        let b = window_data(
            Dataset::PRODUCTION,
            w,
            Utc::now(),
            Some("NO2"),
            Some("hydro"),
            &[day(1, 2_000_000_000)],
        );
        let c = window_data(
            Dataset::PRODUCTION,
            w,
            Utc::now(),
            Some("NO2"),
            Some("hydro"),
            &[day(2, 2_000_000_001)],
        );
        let (a, b, c) = (a.series[0].points[0], b.series[0].points[0], c.series[0].points[0]);
        assert_ne!(a.kwh, b.kwh);
        assert_ne!(b.kwh, c.kwh);
        assert_eq!(a.updated, settled_at(t.timestamp()));
        assert_eq!((b.updated, c.updated), (2_000_000_000, 2_000_000_001), "the revision's stamp");
        let other_day =
            Revised { from: t.timestamp() + 86_400, to: t.timestamp() + 2 * 86_400, count: 1, stamp: 1 };
        let e = window_data(Dataset::PRODUCTION, w, Utc::now(), Some("NO2"), Some("hydro"), &[other_day]);
        assert_eq!(e.series[0].points[0], a, "a revision of another day changes nothing here");
    }
}
