//! The real API excerpts in tests/fixtures (copies of shared/fixtures) parse to their records.

#![allow(clippy::unwrap_used)] // tests fail loudly by design

use chrono::{DateTime, NaiveDate, Utc};
use elhub_explorer::elhub::parse_window;
use elhub_explorer::model::{Dataset, Window};

const PRODUCTION: &[u8] = include_bytes!("fixtures/elhub-production-2023-05-03-excerpt.json");
const GRID_AREA: &[u8] = include_bytes!("fixtures/elhub-grid-area-2024-11-01-excerpt.json");

fn utc(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

#[test]
fn the_real_excerpt_yields_60_records_in_utc() {
    let window = Window::of_day(NaiveDate::from_ymd_opt(2023, 5, 3).unwrap());
    let parsed = parse_window(PRODUCTION, Dataset::PRODUCTION, window).unwrap();
    assert_eq!((parsed.data.len(), parsed.data.rejected, parsed.fallback_key), (60, 0, None));
    let records: Vec<_> = parsed.data.records().collect();
    let first = &records[0];
    assert_eq!((first.entity.as_str(), first.group.as_str()), ("NO1", "hydro"));
    // 2023-05-03T20:00:00+02:00 is 18:00 UTC.
    assert_eq!(first.start, utc("2023-05-03T18:00:00Z"));
    assert_eq!(first.end, utc("2023-05-03T19:00:00Z"));
    assert_eq!(first.quantity_kwh, 1982521.1);
    assert_eq!(first.last_updated, utc("2025-03-29T00:45:15Z"));
    // Three areas, five groups, four hours; the "*" element is skipped.
    let areas: std::collections::BTreeSet<_> = records.iter().map(|r| r.entity.as_str()).collect();
    assert_eq!(areas.into_iter().collect::<Vec<_>>(), ["NO1", "NO2", "NO4"]);
    let starts: std::collections::BTreeSet<_> = records.iter().map(|r| r.start).collect();
    assert_eq!(
        starts.into_iter().collect::<Vec<_>>(),
        [
            utc("2023-05-03T18:00:00Z"),
            utc("2023-05-03T19:00:00Z"),
            utc("2023-05-03T20:00:00Z"),
            utc("2023-05-03T21:00:00Z")
        ]
    );
    // A zero is a real value, kept as such.
    assert!(records.iter().any(|r| r.quantity_kwh == 0.0));
    assert_eq!(parsed.data.entities.len(), 3);
}

#[test]
fn the_real_grid_area_excerpt_names_its_entity_and_price_area() {
    let window = Window::of_day(NaiveDate::from_ymd_opt(2024, 11, 1).unwrap());
    let parsed = parse_window(GRID_AREA, Dataset::CONSUMPTION_GRID_AREA, window).unwrap();
    assert_eq!((parsed.data.len(), parsed.data.rejected), (1, 0));
    let r = parsed.data.records().next().unwrap();
    assert_eq!(
        (r.entity.as_str(), r.group.as_str(), r.metering_points),
        ("50YWO-6UUIJ4BF1D", "household", Some(140210))
    );
    assert_eq!(r.start, utc("2024-10-31T23:00:00Z"));
    assert_eq!(parsed.data.entities[0].price_area.as_deref(), Some("NO1"));
}

#[test]
#[cfg_attr(
    not(shared_fixtures),
    ignore = "../shared/fixtures is not beside this checkout: nothing to compare with"
)]
fn the_excerpts_match_the_shared_copies() {
    for (name, bytes) in [
        ("elhub-production-2023-05-03-excerpt.json", PRODUCTION),
        ("elhub-grid-area-2024-11-01-excerpt.json", GRID_AREA),
    ] {
        let shared = format!("{}/../shared/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
        assert_eq!(
            std::fs::read(&shared).unwrap(),
            bytes,
            "tests/fixtures/{name} is out of date with shared/fixtures"
        );
    }
}
