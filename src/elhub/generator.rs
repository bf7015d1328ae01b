//! The replica's deterministic data: realistic hourly volumes per area and group with seasonal
//! and daily shape, solar at zero at night, NO4 `other` mostly zero, a series that starts
//! mid-2021 (so 2021 has 215,353 production records, as the real data did), and revisions.
//!
//! The same function answers the replica's requests and the tests' expectations.

use chrono::{DateTime, Datelike, Duration, TimeZone, Timelike, Utc};

use crate::model::{Dataset, Month, PriceArea, Record, LOCAL_TZ};

/// First hour the replica has data for (local 2014-01-01 00:00).
pub fn data_start() -> DateTime<Utc> {
    crate::model::local_midnight_utc(chrono::NaiveDate::from_ymd_opt(2014, 1, 1).unwrap_or_default())
}

/// The series that starts mid-year: NO4 solar from 2021-06-02 00:00 local.
pub fn late_series_start() -> DateTime<Utc> {
    crate::model::local_midnight_utc(chrono::NaiveDate::from_ymd_opt(2021, 6, 2).unwrap_or_default())
}

/// Every series of a dataset with the instant it starts (None: from `data_start`).
pub fn series(dataset: Dataset) -> Vec<(PriceArea, &'static str, Option<DateTime<Utc>>)> {
    let mut out = Vec::new();
    for area in PriceArea::ALL {
        for &group in dataset.known_groups() {
            let starts = (dataset == Dataset::Production && area == PriceArea::NO4 && group == "solar")
                .then(late_series_start);
            out.push((area, group, starts));
        }
    }
    out
}

/// Average kWh per hour of a series, before shape and noise.
fn base_kwh(dataset: Dataset, area: PriceArea, group: &str) -> f64 {
    let i = area.index();
    let pick = |v: [f64; 5]| v[i];
    match (dataset, group) {
        (Dataset::Production, "hydro") => pick([2.3e6, 5.4e6, 1.7e6, 2.2e6, 3.5e6]),
        (Dataset::Production, "wind") => pick([4.0e4, 3.2e5, 5.2e5, 4.4e5, 3.0e4]),
        (Dataset::Production, "thermal") => pick([2.2e4, 1.1e4, 3.1e4, 1.4e4, 6.3e4]),
        (Dataset::Production, "solar") => pick([9.0e3, 7.5e3, 2.0e3, 6.0e2, 1.5e3]),
        (Dataset::Production, "other") => pick([1.3e4, 8.0e3, 5.0e3, 0.0, 6.0e3]),
        (Dataset::Consumption, "household") => pick([1.6e6, 9.0e5, 7.0e5, 5.0e5, 6.0e5]),
        (Dataset::Consumption, "cabin") => pick([1.1e5, 9.0e4, 5.0e4, 3.0e4, 4.0e4]),
        (Dataset::Consumption, "primary") => pick([9.0e4, 6.0e4, 8.0e4, 7.0e4, 1.1e5]),
        (Dataset::Consumption, "secondary") => pick([4.0e5, 1.3e6, 6.0e5, 7.0e5, 9.0e5]),
        (Dataset::Consumption, "tertiary") => pick([1.0e6, 5.0e5, 4.5e5, 3.0e5, 3.8e5]),
        _ => 1.0e4,
    }
}

/// A stable pseudo-random number in [0, 1) for a key (splitmix64).
fn unit_noise(key: u64) -> f64 {
    let mut z = key.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

fn series_key(dataset: Dataset, area: PriceArea, group: &str) -> u64 {
    let mut k = (dataset as u64 + 1) * 1_000_003 + area.index() as u64 * 7919;
    for b in group.bytes() {
        k = k.wrapping_mul(31).wrapping_add(b as u64);
    }
    k
}

/// The volume of one hour. `revision` > 0 gives the revised value of a revised month.
pub fn quantity(dataset: Dataset, area: PriceArea, group: &str, start: DateTime<Utc>, revision: u32) -> f64 {
    let local = start.with_timezone(&LOCAL_TZ);
    let hour = local.hour() as f64;
    let doy = local.ordinal0() as f64;
    let season = (2.0 * std::f64::consts::PI * (doy - 15.0) / 365.25).cos(); // +1 mid-January
    let base = base_kwh(dataset, area, group);
    let key = series_key(dataset, area, group);
    let hour_index = start.timestamp() as u64 / 3600;
    let day_index = hour_index / 24;
    let noise = unit_noise(key ^ hour_index.wrapping_mul(0x2545_F491_4F6C_DD1D) ^ (revision as u64) << 40);
    let weather = unit_noise(key.wrapping_add(day_index.wrapping_mul(0x9E37)));
    let daytime = ((hour - 6.0) * std::f64::consts::PI / 12.0).sin(); // +1 at noon
    let value = match group {
        "solar" => {
            let day_length = 12.0 - 6.5 * season; // hours of daylight, short in winter
            let from_noon = (hour + 0.5 - 12.5).abs();
            if from_noon >= day_length / 2.0 {
                0.0
            } else {
                let sun = (std::f64::consts::PI * (0.5 - from_noon / day_length)).sin();
                base * 4.0 * sun * (1.0 - 0.6 * season) * (0.3 + 0.7 * weather)
            }
        }
        "wind" => base * (0.2 + 1.6 * weather) * (1.0 + 0.35 * season) * (0.9 + 0.2 * noise),
        "other" if base == 0.0 => {
            if noise > 0.97 {
                50.0 * noise
            } else {
                0.0
            }
        }
        "household" | "cabin" => base * (1.0 + 0.45 * season) * (1.0 + 0.25 * daytime) * (0.95 + 0.1 * noise),
        _ => base * (1.0 + 0.22 * season) * (1.0 + 0.07 * daytime) * (0.96 + 0.08 * noise),
    };
    (value * 1000.0).round() / 1000.0
}

/// Metering points behind a consumption series (changes slowly, per month).
pub fn metering_points(area: PriceArea, group: &str, start: DateTime<Utc>) -> u32 {
    let month = Month::containing(start);
    let base = match group {
        "household" => [1_250_000, 480_000, 420_000, 260_000, 350_000][area.index()],
        "cabin" => [95_000, 110_000, 60_000, 45_000, 70_000][area.index()],
        "primary" => [4_000, 3_500, 6_000, 5_000, 5_500][area.index()],
        "secondary" => [9_000, 7_000, 6_500, 4_000, 6_000][area.index()],
        "tertiary" => [60_000, 35_000, 30_000, 20_000, 28_000][area.index()],
        _ => 1_000,
    };
    base + ((month.year() - 2014) * 12 + month.month() as i32) as u32 * 37
}

/// When Elhub last updated an hour: settled some weeks after its month, later for a revision.
pub fn last_updated(start: DateTime<Utc>, revision: u32) -> DateTime<Utc> {
    let month = Month::containing(start);
    let settled = month.end_utc() + Duration::days(17) + Duration::hours(3) + Duration::minutes(45);
    let t = settled + Duration::days(31 * revision as i64);
    Utc.timestamp_opt(t.timestamp(), 0).single().unwrap_or(t)
}

/// Every record of `dataset` with start in [from, to) and before `until`, in API order
/// (area, group, time), restricted to one area and group when given.
#[allow(clippy::too_many_arguments)]
pub fn records(
    dataset: Dataset,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    until: DateTime<Utc>,
    area: Option<PriceArea>,
    group: Option<&str>,
    revision_of: &dyn Fn(Month) -> u32,
) -> Vec<Record> {
    let from = from.max(data_start());
    let to = to.min(until);
    let mut out = Vec::new();
    if from >= to {
        return out;
    }
    out.reserve(((to - from).num_hours().max(0) as usize) * 25);
    for (a, g, starts) in series(dataset) {
        if area.is_some_and(|x| x != a) || group.is_some_and(|x| x != g) {
            continue;
        }
        let mut t = starts.map_or(from, |s| s.max(from));
        // Align to the hour.
        t = Utc.timestamp_opt(t.timestamp() - t.timestamp().rem_euclid(3600), 0).single().unwrap_or(t);
        let mut month = Month::containing(t);
        let mut revision = revision_of(month);
        while t < to {
            if !month.end_utc().gt(&t) {
                month = Month::containing(t);
                revision = revision_of(month);
            }
            out.push(Record {
                dataset,
                area: a,
                group: g.to_string(),
                start: t,
                quantity_kwh: quantity(dataset, a, g, t, revision),
                last_updated: last_updated(t, revision),
                metering_points: (dataset == Dataset::Consumption).then(|| metering_points(a, g, t)),
            });
            t += Duration::hours(1);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn year_count(dataset: Dataset, year: i32) -> Vec<usize> {
        Month::of_year(year)
            .unwrap()
            .months()
            .map(|m| records(dataset, m.start_utc(), m.end_utc(), Utc::now(), None, None, &|_| 0).len())
            .collect()
    }

    #[test]
    fn production_2021_has_the_real_monthly_counts() {
        assert_eq!(
            year_count(Dataset::Production, 2021),
            [17856, 16128, 17832, 17280, 17856, 17976, 18600, 18600, 18000, 18625, 18000, 18600]
        );
    }

    #[test]
    fn magnitudes_are_realistic() {
        let jan = "2021-01".parse::<Month>().unwrap();
        let r = records(
            Dataset::Production,
            jan.start_utc(),
            jan.end_utc(),
            Utc::now(),
            Some(PriceArea::NO1),
            Some("hydro"),
            &|_| 0,
        );
        let mean = r.iter().map(|r| r.quantity_kwh).sum::<f64>() / r.len() as f64;
        // Real NO1 hydro in early January 2021: about 2.5 GWh per hour.
        assert!((2.0e6..3.5e6).contains(&mean), "{mean}");
        let solar = records(
            Dataset::Production,
            jan.start_utc(),
            jan.end_utc(),
            Utc::now(),
            Some(PriceArea::NO1),
            Some("solar"),
            &|_| 0,
        );
        let mut midnight = solar.iter().filter(|r| r.start.with_timezone(&LOCAL_TZ).hour() == 0);
        assert!(midnight.clone().count() > 0 && midnight.all(|r| r.quantity_kwh == 0.0));
        assert!(solar.iter().any(|r| r.quantity_kwh > 0.0));
    }

    #[test]
    fn revisions_change_values_and_times() {
        let t = "2021-05".parse::<Month>().unwrap().start_utc();
        let a = quantity(Dataset::Production, PriceArea::NO2, "hydro", t, 0);
        let b = quantity(Dataset::Production, PriceArea::NO2, "hydro", t, 1);
        assert_ne!(a, b);
        assert!(last_updated(t, 1) > last_updated(t, 0));
        assert_eq!(a, quantity(Dataset::Production, PriceArea::NO2, "hydro", t, 0));
    }
}
