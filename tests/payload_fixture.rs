//! The real API excerpt in tests/fixtures (a copy of shared/fixtures) parses to its 60 records.

#![allow(clippy::unwrap_used)] // tests fail loudly by design

use chrono::{DateTime, Utc};
use elhub_explorer::elhub::parse_window;
use elhub_explorer::model::{Dataset, PriceArea};

const FIXTURE: &[u8] = include_bytes!("fixtures/elhub-production-2023-05-03-excerpt.json");

fn utc(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

#[test]
fn the_real_excerpt_yields_60_records_in_utc() {
    let parsed = parse_window(FIXTURE, Dataset::Production).unwrap();
    assert_eq!(parsed.records.len(), 60);
    assert_eq!(parsed.rejected, 0);
    let first = &parsed.records[0];
    assert_eq!(first.area, PriceArea::NO1);
    assert_eq!(first.group, "hydro");
    // 2023-05-03T20:00:00+02:00 is 18:00 UTC.
    assert_eq!(first.start, utc("2023-05-03T18:00:00Z"));
    assert_eq!(first.end(), utc("2023-05-03T19:00:00Z"));
    assert_eq!(first.quantity_kwh, 1982521.1);
    assert_eq!(first.last_updated, utc("2025-03-29T00:45:15Z"));
    // Three areas, five groups, four hours; the "*" element is skipped.
    let areas: std::collections::BTreeSet<_> = parsed.records.iter().map(|r| r.area).collect();
    assert_eq!(areas.into_iter().collect::<Vec<_>>(), [PriceArea::NO1, PriceArea::NO2, PriceArea::NO4]);
    let starts: std::collections::BTreeSet<_> = parsed.records.iter().map(|r| r.start).collect();
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
    assert!(parsed.records.iter().any(|r| r.quantity_kwh == 0.0));
}

#[test]
fn the_excerpt_matches_the_shared_copy() {
    let shared =
        concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/fixtures/elhub-production-2023-05-03-excerpt.json");
    match std::fs::read(shared) {
        Ok(bytes) => assert_eq!(bytes, FIXTURE, "tests/fixtures is out of date with shared/fixtures"),
        Err(_) => eprintln!("skipped: {shared} is not beside this checkout, nothing to compare"),
    }
}
