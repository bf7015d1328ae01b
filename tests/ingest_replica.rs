//! Ingest from the replica into SQLite: exactly the records the generator produced for every
//! catalogued dataset, DST days of 23 and 25 hours (92 and 100 quarter-hours), no duplicates;
//! a rerun changes nothing; a revised month replaces its values in place; faults are retried;
//! a stricter window limit is met by splitting; a municipality year keeps the rate limit.

#![allow(clippy::unwrap_used)] // tests fail loudly by design

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{Datelike, NaiveDate};
use common::*;
use elhub_explorer::ingest::{Outcome, Progress};
use elhub_explorer::model::{Dataset, Month, PriceArea, SeriesKey, Window, LOCAL_TZ};
use elhub_explorer::replica::generator;
use elhub_explorer::replica::{Fault, Faults};
use elhub_explorer::report::ingest_summary;
use elhub_explorer::store::{Scope, StepValue, UpsertStats};

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
        feed: None,
    });
    let dir = tempfile::tempdir().unwrap();
    let sinks = Arc::new(vec![temp_sqlite(&dir)]);
    let client = Arc::new(fast_client(&replica.url()));
    let year = range("2021-01", "2021-12");
    let (summary, events) = ingest_range(&client, &sinks, Dataset::PRODUCTION, year).await;
    assert_eq!(summary.outcome(), Outcome::Done, "{}", ingest_summary(&summary));
    assert!(events.iter().any(|e| matches!(e, Progress::Retry { .. })), "faults were injected and retried");
    // Retry-After: 1 was honoured (not the 5-50 ms backoff of this client).
    assert!(events.iter().any(|e| matches!(e,
        Progress::Retry { reason, delay, .. } if reason == "HTTP 429" && *delay == Duration::from_secs(1))));

    // Exactly what the generator produced: 215,353 records, as the real 2021 data had.
    let expected = replica.state.records(Dataset::PRODUCTION, year.from().start_utc(), year.to().end_utc());
    assert_eq!(expected.len(), 215_353);
    assert_eq!(summary.fetched, 215_353);
    assert_eq!(summary.per_sink[0].1, UpsertStats { new: 215_353, updated: 0, unchanged: 0 });
    let store = &sinks[0];
    assert_eq!(store.count(Dataset::PRODUCTION).await.unwrap(), 215_353);
    let got = stored(store, Dataset::PRODUCTION).await;
    assert_eq!(got.len(), 215_353, "no duplicates");
    assert_eq!(got, sorted(expected.clone()), "every record as generated");

    // Per-series annual totals match the generator's.
    let mut want: HashMap<(String, String), f64> = HashMap::new();
    for r in &expected {
        *want.entry((r.entity.clone(), r.group.clone())).or_default() += r.quantity_kwh;
    }
    for area in PriceArea::ALL {
        for t in
            store.annual_totals(Dataset::PRODUCTION, &Scope::Entity(area.to_string()), 2021).await.unwrap()
        {
            let w = want[&(area.to_string(), t.group.clone())];
            assert!((t.kwh - w).abs() <= w.abs() * 1e-12, "{area} {}: {} vs {w}", t.group, t.kwh);
        }
    }

    // DST: 23 hours on 2021-03-28, 25 on 2021-10-31 (local days).
    let march = month_steps(store, Dataset::PRODUCTION, "NO1", "hydro", "2021-03").await;
    assert_eq!(steps_on(&march, NaiveDate::from_ymd_opt(2021, 3, 28).unwrap()), 23);
    let october = month_steps(store, Dataset::PRODUCTION, "NO1", "hydro", "2021-10").await;
    assert_eq!(october.len(), 745);
    assert_eq!(steps_on(&october, NaiveDate::from_ymd_opt(2021, 10, 31).unwrap()), 25);

    // A rerun changes nothing.
    let (again, _) = ingest_range(&client, &sinks, Dataset::PRODUCTION, year).await;
    assert_eq!(again.outcome(), Outcome::Done);
    assert_eq!(again.per_sink[0].1, UpsertStats { new: 0, updated: 0, unchanged: 215_353 });
    assert_eq!(store.count(Dataset::PRODUCTION).await.unwrap(), 215_353);

    // A revised month replaces its values in place.
    let may: Month = "2021-05".parse().unwrap();
    replica.state.revise(Dataset::PRODUCTION, may);
    let (revised, _) = ingest_range(&client, &sinks, Dataset::PRODUCTION, range("2021-05", "2021-05")).await;
    assert_eq!(revised.per_sink[0].1, UpsertStats { new: 0, updated: 17_856, unchanged: 0 });
    assert_eq!(store.count(Dataset::PRODUCTION).await.unwrap(), 215_353);
    let now_expected =
        replica.state.records(Dataset::PRODUCTION, year.from().start_utc(), year.to().end_utc());
    assert_ne!(now_expected, expected);
    assert_eq!(stored(store, Dataset::PRODUCTION).await, sorted(now_expected));
}

async fn month_steps(
    store: &elhub_explorer::store::Store,
    d: Dataset,
    entity: &str,
    group: &str,
    month: &str,
) -> Vec<StepValue> {
    let m: Month = month.parse().unwrap();
    store.steps(d, &SeriesKey::new(entity, group), m.start_utc(), m.end_utc()).await.unwrap()
}

fn steps_on(steps: &[StepValue], day: NaiveDate) -> usize {
    steps.iter().filter(|h| h.start.with_timezone(&LOCAL_TZ).date_naive() == day).count()
}

/// One DST month of every catalogued dataset: exact records and totals, the DST days' steps,
/// entity names and a grid area's price area, a rerun unchanged, and a revision in place.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_dataset_lands_exactly_with_its_dst_days() {
    let replica = start_replica().await;
    let dir = tempfile::tempdir().unwrap();
    let sinks = Arc::new(vec![temp_sqlite(&dir)]);
    let client = Arc::new(fast_client(&replica.url()));
    let store = &sinks[0];
    // 31 March 2024 has 23 hours (92 quarter-hours); 27 October 2024 has 25 (100).
    let (spring, autumn) =
        (NaiveDate::from_ymd_opt(2024, 3, 31).unwrap(), NaiveDate::from_ymd_opt(2024, 10, 27).unwrap());
    for dataset in Dataset::all() {
        for month in ["2024-03", "2024-10"] {
            let r = range(month, month);
            let (summary, _) = ingest_range(&client, &sinks, dataset, r).await;
            assert_eq!(summary.outcome(), Outcome::Done, "{dataset} {month}: {}", ingest_summary(&summary));
            assert_eq!(summary.rejected, 0, "{dataset}");
        }
        let expected: Vec<_> = ["2024-03", "2024-10"]
            .iter()
            .flat_map(|m| {
                let m: Month = m.parse().unwrap();
                replica.state.records(dataset, m.start_utc(), m.end_utc())
            })
            .collect();
        assert!(!expected.is_empty(), "{dataset}");
        let got = stored(store, dataset).await;
        assert_eq!(got.len(), expected.len(), "{dataset}: record count");
        assert!(got == sorted(expected.clone()), "{dataset}: records differ from the generated ones");
        // Per-series totals of the two months, from the rollups, equal the generator's.
        let mut want: HashMap<(String, String), f64> = HashMap::new();
        for r in &expected {
            *want.entry((r.entity.clone(), r.group.clone())).or_default() += r.quantity_kwh;
        }
        let entities: Vec<String> = {
            let mut e: Vec<String> =
                store.series(dataset).await.unwrap().into_iter().map(|k| k.entity).collect();
            e.dedup();
            e
        };
        for entity in entities.iter().take(12) {
            for t in store.annual_totals(dataset, &Scope::Entity(entity.clone()), 2024).await.unwrap() {
                let w = want[&(entity.clone(), t.group.clone())];
                assert!(
                    (t.kwh - w).abs() <= w.abs() * 1e-9 + 1e-9,
                    "{dataset} {entity} {}: {} vs {w}",
                    t.group,
                    t.kwh
                );
            }
        }
        // DST days.
        let (entity, group) = (&expected[0].entity, &expected[0].group);
        let per_hour = dataset.resolution().per_hour() as usize;
        let march = month_steps(store, dataset, entity, group, "2024-03").await;
        assert_eq!(steps_on(&march, spring), 23 * per_hour, "{dataset}: 23-hour day");
        let october = month_steps(store, dataset, entity, group, "2024-10").await;
        assert_eq!(steps_on(&october, autumn), 25 * per_hour, "{dataset}: 25-hour day");
        // A rerun changes nothing; a revision replaces in place.
        let (again, _) = ingest_range(&client, &sinks, dataset, range("2024-10", "2024-10")).await;
        let n = october_count(&expected);
        assert_eq!(again.per_sink[0].1, UpsertStats { new: 0, updated: 0, unchanged: n }, "{dataset}");
        replica.state.revise(dataset, "2024-10".parse().unwrap());
        let (revised, _) = ingest_range(&client, &sinks, dataset, range("2024-10", "2024-10")).await;
        assert_eq!(revised.per_sink[0].1, UpsertStats { new: 0, updated: n, unchanged: 0 }, "{dataset}");
        assert_eq!(store.count(dataset).await.unwrap(), expected.len() as u64, "{dataset}: no duplicates");
    }
    // Entities come with their names as sent, and grid areas with their price area.
    let municipalities = store.entities(elhub_explorer::model::EntityKind::Municipality).await.unwrap();
    assert_eq!(municipalities.len(), 361);
    assert!(municipalities.iter().any(|m| m.id == "5041" && m.name == "SnÃ¥sa"));
    assert!(municipalities.iter().any(|m| m.id == "0000"));
    let grid = store.entities(elhub_explorer::model::EntityKind::GridArea).await.unwrap();
    assert_eq!(grid.len(), 99);
    assert!(grid.iter().any(|g| g.id == "50YWO-6UUIJ4BF1D"
        && g.name == "EIDSIVA-D"
        && g.price_area.as_deref() == Some("NO1")));
}

fn october_count(records: &[elhub_explorer::model::Record]) -> u64 {
    let oct: Month = "2024-10".parse().unwrap();
    records.iter().filter(|r| Month::containing(r.start) == oct).count() as u64
}

/// All of 2021 of municipality consumption: 365 one-day requests, never more than five in a
/// second (from the replica's request log), and exactly the records the generator made.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_municipality_year_keeps_the_rate_limit_and_lands_exactly() {
    let replica = start_replica().await;
    let dir = tempfile::tempdir().unwrap();
    let sinks = Arc::new(vec![temp_sqlite(&dir)]);
    let client = Arc::new(polite_client(&replica.url()));
    let d = Dataset::CONSUMPTION_MUNICIPALITY;
    let (summary, _) = ingest_range(&client, &sinks, d, range("2021-01", "2021-12")).await;
    assert_eq!(summary.outcome(), Outcome::Done, "{}", ingest_summary(&summary));
    let log = replica.state.request_log();
    assert_eq!(log.len(), 365, "one request a day");
    assert!(log
        .iter()
        .all(|r| r.path.starts_with("/municipalities?dataset=CONSUMPTION_PER_GROUP_MUNICIPALITY_HOUR")));
    for w in log.windows(6) {
        assert!(w[5].ms - w[0].ms >= 1000, "six requests within {} ms: {:?}", w[5].ms - w[0].ms, w);
    }
    // The generator's count and per-series totals, a day at a time.
    let mut want: HashMap<SeriesKey, (u64, f64)> = HashMap::new();
    let mut day = NaiveDate::from_ymd_opt(2021, 1, 1).unwrap();
    while day.year() == 2021 {
        let data = generator::window_data(d, Window::of_day(day), replica.state.until(), None, None, &[]);
        for s in data.series {
            let e = want.entry(s.key).or_default();
            e.0 += s.points.len() as u64;
            e.1 += s.points.iter().map(|p| p.kwh).sum::<f64>();
        }
        day = day.succ_opt().unwrap();
    }
    let total: u64 = want.values().map(|v| v.0).sum();
    assert_eq!(total, 361 * 3 * 8760);
    let store = &sinks[0];
    assert_eq!(summary.fetched, total);
    assert_eq!(store.count(d).await.unwrap(), total);
    assert_eq!(store.series(d).await.unwrap().len(), want.len());
    let mut by_entity: HashMap<String, Vec<(String, u64, f64)>> = HashMap::new();
    for (k, (n, kwh)) in &want {
        by_entity.entry(k.entity.clone()).or_default().push((k.group.clone(), *n, *kwh));
    }
    for (entity, groups) in &by_entity {
        let totals = store.annual_totals(d, &Scope::Entity(entity.clone()), 2021).await.unwrap();
        assert_eq!(totals.len(), groups.len(), "{entity}");
        for (group, n, kwh) in groups {
            let t = totals.iter().find(|t| &t.group == group).unwrap();
            assert_eq!(t.count, *n, "{entity} {group}");
            assert!((t.kwh - kwh).abs() <= kwh.abs() * 1e-9 + 1e-6, "{entity} {group}: {} vs {kwh}", t.kwh);
        }
    }
    // And some series record by record, the odd ones among them.
    for (entity, group) in [("0301", "private"), ("5041", "industry"), ("0000", "business")] {
        let key = SeriesKey::new(entity, group);
        let (from, to) =
            (range("2021-01", "2021-12").from().start_utc(), range("2021-01", "2021-12").to().end_utc());
        let got = store.series_records(d, &key, from, to).await.unwrap();
        let data = generator::window_data(
            d,
            Window { start: from, end: to },
            replica.state.until(),
            Some(entity),
            Some(group),
            &[],
        );
        let expected: Vec<_> = data.records().collect();
        assert_eq!(got.len(), 8760, "{entity} {group}");
        assert!(got == expected, "{entity} {group} differs from the generated records");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn windows_refused_as_too_wide_are_split() {
    let replica = start_replica().await;
    replica.state.set_faults(Faults { max_days: Some(6), ..Faults::default() });
    let dir = tempfile::tempdir().unwrap();
    let sinks = Arc::new(vec![temp_sqlite(&dir)]);
    let client = Arc::new(fast_client(&replica.url()));
    let (summary, events) =
        ingest_range(&client, &sinks, Dataset::CONSUMPTION, range("2021-10", "2021-10")).await;
    assert_eq!(summary.outcome(), Outcome::Done, "{}", ingest_summary(&summary));
    assert!(events.iter().any(|e| matches!(e, Progress::Split { .. })));
    let m: Month = "2021-10".parse().unwrap();
    let expected = replica.state.records(Dataset::CONSUMPTION, m.start_utc(), m.end_utc());
    assert_eq!(expected.len(), 25 * 745);
    assert_eq!(stored(&sinks[0], Dataset::CONSUMPTION).await, sorted(expected));
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
    let (summary, events) = ingest_range(&client, &sinks, Dataset::PRODUCTION, year).await;
    assert_eq!(summary.outcome(), Outcome::Partial, "{}", ingest_summary(&summary));
    assert!(!summary.failed_months.is_empty() && summary.failed_months.len() < 12);
    assert!(summary.failed_months[0].1.contains("503"), "{:?}", summary.failed_months);
    assert_eq!(
        events.iter().filter(|e| matches!(e, Progress::Failed { .. })).count(),
        summary.failed_months.len()
    );
    // The rerun, with the API healthy again, completes the year exactly.
    replica.state.set_faults(Faults::default());
    let (rerun, _) = ingest_range(&client, &sinks, Dataset::PRODUCTION, year).await;
    assert_eq!(rerun.outcome(), Outcome::Done);
    assert_eq!(sinks[0].count(Dataset::PRODUCTION).await.unwrap(), 215_353);
    assert_eq!(rerun.per_sink[0].1.new + summary.per_sink[0].1.new, 215_353);
}

/// A municipality month whose one day keeps failing: the other days are written, the month
/// gets no checkpoint (so a rerun fetches it again), and the rerun completes it exactly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_day_leaves_its_month_to_the_rerun() {
    let replica = start_replica().await;
    replica.state.set_faults(Faults {
        sequence: vec![Fault::Unavailable; 20],
        every: 9,
        ..Faults::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let sinks = Arc::new(vec![temp_sqlite(&dir)]);
    let client = Arc::new(fast_client(&replica.url()));
    let d = Dataset::CONSUMPTION_MUNICIPALITY;
    let feb = range("2021-02", "2021-02");
    let (summary, events) = ingest_range(&client, &sinks, d, feb).await;
    assert_eq!(summary.outcome(), Outcome::Failed, "{}", ingest_summary(&summary));
    assert!(events.iter().any(|e| matches!(e, Progress::WindowDone { of: 28, .. })));
    assert!(sinks[0].coverage(d).await.unwrap().is_empty(), "no checkpoint for a month with a failed day");
    let partial = sinks[0].count(d).await.unwrap();
    assert!(partial > 0 && partial < 361 * 3 * 672, "{partial}");
    replica.state.set_faults(Faults::default());
    let (rerun, _) = ingest_range(&client, &sinks, d, feb).await;
    assert_eq!(rerun.outcome(), Outcome::Done);
    assert_eq!(sinks[0].count(d).await.unwrap(), 361 * 3 * 672);
    assert_eq!(rerun.per_sink[0].1.new, 361 * 3 * 672 - partial);
    assert_eq!(sinks[0].coverage(d).await.unwrap().len(), 1);
}

/// What the explorer shows for an entity and for all of Norway is what `summary` prints: the
/// same rollups, through the explorer's own queries; and all of Norway's curve is the sum of
/// the areas' curves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_explorers_totals_are_those_of_summary() {
    use elhub_explorer::store::Scope;
    use elhub_explorer::summary::{year_rows, Level, Selection};
    use elhub_explorer::tui::state::{Answer, CurveKey, Groups, Query, Series, TotalsKey};
    let replica = start_replica().await;
    let dir = tempfile::tempdir().unwrap();
    let sinks = Arc::new(vec![temp_sqlite(&dir)]);
    let client = Arc::new(fast_client(&replica.url()));
    for dataset in [Dataset::PRODUCTION, Dataset::CONSUMPTION_MUNICIPALITY] {
        let (summary, _) = ingest_range(&client, &sinks, dataset, range("2021-03", "2021-03")).await;
        assert_eq!(summary.outcome(), Outcome::Done, "{}", ingest_summary(&summary));
        let store = &sinks[0];
        let ids: Vec<String> = {
            let mut ids: Vec<String> =
                store.series(dataset).await.unwrap().into_iter().map(|k| k.entity).collect();
            ids.dedup();
            ids
        };
        let names = store.entities(dataset.entity()).await.unwrap();
        let year = ("2021-01".parse().unwrap(), "2021-12".parse().unwrap());
        let rows = year_rows(store, dataset, year, &Selection { ids: ids.clone(), filtered: false }, &names)
            .await
            .unwrap();
        for (entity, level) in [(ids[1].as_str(), Level::Entity), ("", Level::All)] {
            let scope = if entity.is_empty() { Scope::All } else { Scope::Entity(entity.to_string()) };
            let key = TotalsKey { dataset, entity: scope, year: 2021 };
            let Answer::Totals(_, Ok(totals)) = elhub_explorer::tui::query(store, Query::Totals(key)).await
            else {
                panic!("no totals for {entity}");
            };
            let printed: Vec<_> = rows
                .iter()
                .filter(|r| {
                    r.level == level && r.group != "all" && (level == Level::All || r.entity == entity)
                })
                .collect();
            assert_eq!(totals.len(), printed.len(), "{dataset} {entity}");
            for t in &totals {
                let row = printed.iter().find(|r| r.group == t.group).unwrap();
                assert!(
                    (row.kwh - t.kwh).abs() <= 1e-6 * t.kwh.max(1.0),
                    "{dataset} {entity} {}: {} vs {}",
                    t.group,
                    row.kwh,
                    t.kwh
                );
                assert_eq!(row.records, t.count);
            }
        }
        // All of Norway's curve: per hour, the sum of every entity's value.
        let group = dataset.known_groups()[0].to_string();
        let month: Month = "2021-03".parse().unwrap();
        let series = Series { dataset, entity: Scope::All, group: Groups::One(group.clone()) };
        let key = CurveKey { series, month, per_point: false };
        let Answer::Curve(_, Ok(curve)) = elhub_explorer::tui::query(store, Query::Curve(key)).await else {
            panic!("no curve");
        };
        assert_eq!(curve.len(), 743);
        let expected: f64 = replica
            .state
            .records(dataset, month.start_utc(), month.start_utc() + chrono::Duration::hours(1))
            .iter()
            .filter(|r| r.group == group)
            .map(|r| r.quantity_kwh)
            .sum();
        assert!((curve[0].kwh - expected).abs() < 1e-6 * expected, "{} vs {expected}", curve[0].kwh);
    }
}
