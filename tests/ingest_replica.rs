//! Ingest of 2021 from the replica into SQLite, with faults switched on: exactly the records the
//! generator produced, DST days of 23 and 25 hours, no duplicates; a rerun changes nothing; a
//! revised month replaces its values in place; a stricter window limit is met by splitting.

#![allow(clippy::unwrap_used)] // tests fail loudly by design

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use common::*;
use elhub_explorer::elhub::replica::{Fault, Faults};
use elhub_explorer::ingest::{exit, Progress};
use elhub_explorer::model::{Dataset, Month, PriceArea, LOCAL_TZ};
use elhub_explorer::store::UpsertStats;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_year_with_faults_lands_exactly_once() {
    let replica = start_replica().await;
    replica.state.set_faults(Faults {
        sequence: vec![
            Fault::Unavailable,
            Fault::TooManyRequests { retry_after: Some(1) },
            Fault::Truncated,
            Fault::Malformed,
            Fault::TooManyRequests { retry_after: None },
        ],
        every: 2,
        latency: Duration::from_millis(5),
        max_days: None,
    });
    let dir = tempfile::tempdir().unwrap();
    let sinks = Arc::new(vec![temp_sqlite(&dir)]);
    let client = Arc::new(fast_client(&replica.url()));
    let year = range("2021-01", "2021-12");
    let (summary, events) = ingest_range(&client, &sinks, Dataset::Production, year).await;
    assert_eq!(summary.exit_code(), exit::DONE, "{}", summary.render());
    assert!(events.iter().any(|e| matches!(e, Progress::Retry { .. })), "faults were injected and retried");
    // Retry-After: 1 was honoured (not the 5-50 ms backoff of this client).
    assert!(events.iter().any(|e| matches!(e,
        Progress::Retry { reason, delay, .. } if reason == "HTTP 429" && *delay == Duration::from_secs(1))));

    // Exactly what the generator produced: 215,353 records, as the real 2021 data had.
    let expected = replica.state.records(Dataset::Production, year.from().start_utc(), year.to().end_utc());
    assert_eq!(expected.len(), 215_353);
    assert_eq!(summary.fetched, 215_353);
    assert_eq!(summary.per_sink[0].1, UpsertStats { new: 215_353, updated: 0, unchanged: 0 });
    let store = &sinks[0];
    assert_eq!(store.count(Dataset::Production).await.unwrap(), 215_353);
    let got = stored(store, Dataset::Production).await;
    assert_eq!(got.len(), 215_353, "no duplicates");
    assert_eq!(got, sorted(expected.clone()), "every record as generated");

    // Per-series annual totals match the generator's.
    let mut want: HashMap<(PriceArea, String), f64> = HashMap::new();
    for r in &expected {
        *want.entry((r.area, r.group.clone())).or_default() += r.quantity_kwh;
    }
    for area in PriceArea::ALL {
        for t in store.annual_totals(Dataset::Production, area, 2021).await.unwrap() {
            let w = want[&(area, t.group.clone())];
            assert!((t.kwh - w).abs() <= w.abs() * 1e-12, "{area} {}: {} vs {w}", t.group, t.kwh);
        }
    }

    // DST: 23 hours on 2021-03-28, 25 on 2021-10-31 (local days).
    let hours_on = |hourly: &[elhub_explorer::store::HourValue], day: NaiveDate| {
        hourly.iter().filter(|h| h.start.with_timezone(&LOCAL_TZ).date_naive() == day).count()
    };
    let march =
        store.hourly(Dataset::Production, PriceArea::NO1, "hydro", "2021-03".parse().unwrap()).await.unwrap();
    assert_eq!(hours_on(&march, NaiveDate::from_ymd_opt(2021, 3, 28).unwrap()), 23);
    let october =
        store.hourly(Dataset::Production, PriceArea::NO1, "hydro", "2021-10".parse().unwrap()).await.unwrap();
    assert_eq!(october.len(), 745);
    assert_eq!(hours_on(&october, NaiveDate::from_ymd_opt(2021, 10, 31).unwrap()), 25);

    // A rerun changes nothing.
    let (again, _) = ingest_range(&client, &sinks, Dataset::Production, year).await;
    assert_eq!(again.exit_code(), exit::DONE);
    assert_eq!(again.per_sink[0].1, UpsertStats { new: 0, updated: 0, unchanged: 215_353 });
    assert_eq!(store.count(Dataset::Production).await.unwrap(), 215_353);

    // A revised month replaces its values in place.
    let may: Month = "2021-05".parse().unwrap();
    replica.state.revise(Dataset::Production, may);
    let (revised, _) = ingest_range(&client, &sinks, Dataset::Production, range("2021-05", "2021-05")).await;
    assert_eq!(revised.per_sink[0].1, UpsertStats { new: 0, updated: 17_856, unchanged: 0 });
    assert_eq!(store.count(Dataset::Production).await.unwrap(), 215_353);
    let now_expected =
        replica.state.records(Dataset::Production, year.from().start_utc(), year.to().end_utc());
    assert_ne!(now_expected, expected);
    assert_eq!(stored(store, Dataset::Production).await, sorted(now_expected));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn windows_refused_as_too_wide_are_split() {
    let replica = start_replica().await;
    replica.state.set_faults(Faults { max_days: Some(6), ..Faults::default() });
    let dir = tempfile::tempdir().unwrap();
    let sinks = Arc::new(vec![temp_sqlite(&dir)]);
    let client = Arc::new(fast_client(&replica.url()));
    let (summary, events) =
        ingest_range(&client, &sinks, Dataset::Consumption, range("2021-10", "2021-10")).await;
    assert_eq!(summary.exit_code(), exit::DONE, "{}", summary.render());
    assert!(events.iter().any(|e| matches!(e, Progress::Split { .. })));
    let m: Month = "2021-10".parse().unwrap();
    let expected = replica.state.records(Dataset::Consumption, m.start_utc(), m.end_utc());
    assert_eq!(expected.len(), 25 * 745);
    assert_eq!(stored(&sinks[0], Dataset::Consumption).await, sorted(expected));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_window_that_keeps_failing_is_reported_and_the_rest_lands() {
    let replica = start_replica().await;
    replica.state.set_faults(Faults {
        sequence: vec![Fault::Unavailable; 20],
        every: 3,
        ..Faults::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let sinks = Arc::new(vec![temp_sqlite(&dir)]);
    let client = Arc::new(fast_client(&replica.url()));
    let year = range("2021-01", "2021-12");
    let (summary, events) = ingest_range(&client, &sinks, Dataset::Production, year).await;
    assert_eq!(summary.exit_code(), exit::PARTIAL, "{}", summary.render());
    assert!(!summary.failed_months.is_empty() && summary.failed_months.len() < 12);
    assert!(summary.failed_months[0].1.contains("503"), "{:?}", summary.failed_months);
    assert_eq!(
        events.iter().filter(|e| matches!(e, Progress::Failed { .. })).count(),
        summary.failed_months.len()
    );
    // The rerun, with the API healthy again, completes the year exactly.
    replica.state.set_faults(Faults::default());
    let (rerun, _) = ingest_range(&client, &sinks, Dataset::Production, year).await;
    assert_eq!(rerun.exit_code(), exit::DONE);
    assert_eq!(sinks[0].count(Dataset::Production).await.unwrap(), 215_353);
    assert_eq!(rerun.per_sink[0].1.new + summary.per_sink[0].1.new, 215_353);
}
