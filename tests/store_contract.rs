//! The store contract: what every backend must do, run here against SQLite. The suite is a set
//! of functions over `&Store`, so the Cassandra and MongoDB stores run the very same checks.

#![allow(clippy::unwrap_used)] // tests fail loudly by design

mod common;

use chrono::{DateTime, Duration, TimeZone, Utc};
use elhub_explorer::elhub::{ParsedWindow, Window};
use elhub_explorer::export::{self, ExportFilter, ExportFormat};
use elhub_explorer::model::{Dataset, Month, PriceArea, Record};
use elhub_explorer::store::{Store, UpsertStats};

fn month(s: &str) -> Month {
    s.parse().unwrap()
}

fn record(
    dataset: Dataset,
    area: PriceArea,
    group: &str,
    start: DateTime<Utc>,
    q: f64,
    updated_days: i64,
) -> Record {
    Record {
        dataset,
        area,
        group: group.into(),
        start,
        quantity_kwh: q,
        last_updated: Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap() + Duration::days(updated_days),
        metering_points: (dataset == Dataset::Consumption).then_some(1234),
    }
}

/// Every hour of `m` for two series of NO1 and one of NO2, values from the hour index.
fn month_records(dataset: Dataset, m: Month, updated_days: i64, bump: f64) -> Vec<Record> {
    let groups: &[(PriceArea, &str)] = match dataset {
        Dataset::Production => {
            &[(PriceArea::NO1, "hydro"), (PriceArea::NO1, "wind"), (PriceArea::NO2, "hydro")]
        }
        Dataset::Consumption => &[(PriceArea::NO1, "household"), (PriceArea::NO5, "cabin")],
    };
    let mut out = Vec::new();
    for (area, group) in groups {
        for h in 0..m.hours() {
            let q = if *group == "wind" && h % 5 == 0 { 0.0 } else { 1000.0 + h as f64 + 0.125 + bump };
            out.push(record(dataset, *area, group, m.start_utc() + Duration::hours(h), q, updated_days));
        }
    }
    out
}

async fn upsert(store: &Store, dataset: Dataset, m: Month, records: Vec<Record>) -> UpsertStats {
    let parsed = std::sync::Arc::new(ParsedWindow { records, rejected: 0, rejection_samples: vec![] });
    store.upsert_window(dataset, m, Window::of_month(m), &parsed).await.unwrap()
}

pub async fn upserts_are_idempotent_and_newest_wins(store: &Store) {
    let d = Dataset::Production;
    let oct = month("2021-10");
    let first = month_records(d, oct, 0, 0.0);
    let n = first.len() as u64;
    assert_eq!(n, 3 * 745, "October has 745 local hours");
    assert_eq!(upsert(store, d, oct, first.clone()).await, UpsertStats { new: n, updated: 0, unchanged: 0 });
    assert_eq!(upsert(store, d, oct, first.clone()).await, UpsertStats { new: 0, updated: 0, unchanged: n });
    assert_eq!(store.count(d).await.unwrap(), n);
    // An older revision never replaces a newer one.
    let older = month_records(d, oct, -5, 99.0);
    assert_eq!(upsert(store, d, oct, older).await, UpsertStats { new: 0, updated: 0, unchanged: n });
    // A newer one replaces in place.
    let newer = month_records(d, oct, 3, 0.5);
    assert_eq!(upsert(store, d, oct, newer.clone()).await, UpsertStats { new: 0, updated: n, unchanged: 0 });
    assert_eq!(store.count(d).await.unwrap(), n);
    let stored =
        store.series_records(d, PriceArea::NO1, "hydro", oct.start_utc(), oct.end_utc()).await.unwrap();
    let expected: Vec<Record> =
        newer.into_iter().filter(|r| r.area == PriceArea::NO1 && r.group == "hydro").collect();
    assert_eq!(stored, expected);
}

pub async fn queries_answer_totals_hourly_coverage(store: &Store) {
    let d = Dataset::Production;
    for m in ["2021-03", "2021-04", "2022-01"] {
        upsert(store, d, month(m), month_records(d, month(m), 0, 0.0)).await;
    }
    // Hourly: one local month, sorted, DST month with 743 hours.
    let hourly = store.hourly(d, PriceArea::NO1, "hydro", month("2021-03")).await.unwrap();
    assert_eq!(hourly.len(), 743);
    assert!(hourly.windows(2).all(|w| w[0].start < w[1].start));
    assert_eq!(hourly[0].start, month("2021-03").start_utc());
    assert_eq!(hourly[5].kwh, 1005.125);
    // Totals over the local year 2021 only.
    let totals = store.annual_totals(d, PriceArea::NO1, 2021).await.unwrap();
    let groups: Vec<&str> = totals.iter().map(|t| t.group.as_str()).collect();
    assert_eq!(groups, ["hydro", "wind"]);
    let hours = 743 + 720;
    assert_eq!(totals[0].hours, hours);
    let expected: f64 = (0..743).chain(0..720).map(|h| 1000.0 + h as f64 + 0.125).sum();
    assert!((totals[0].kwh - expected).abs() < 1e-6, "{} vs {expected}", totals[0].kwh);
    assert!(store.annual_totals(d, PriceArea::NO3, 2021).await.unwrap().is_empty());
    assert_eq!(store.annual_totals(d, PriceArea::NO2, 2022).await.unwrap()[0].hours, 744);
    // Series and coverage.
    let series = store.series(d).await.unwrap();
    assert_eq!(
        series,
        [
            (PriceArea::NO1, "hydro".to_string()),
            (PriceArea::NO1, "wind".to_string()),
            (PriceArea::NO2, "hydro".to_string())
        ]
    );
    let covered: Vec<String> = store.coverage(d).await.unwrap().iter().map(|c| c.month.to_string()).collect();
    assert_eq!(covered, ["2021-03", "2021-04", "2022-01"]);
    assert_eq!(store.coverage(d).await.unwrap()[0].records, 3 * 743);
    // Datasets do not mix.
    assert_eq!(store.count(Dataset::Consumption).await.unwrap(), 0);
}

pub async fn export_is_canonical(store: &Store) {
    let d = Dataset::Consumption;
    let m = month("2021-01");
    upsert(store, d, m, month_records(d, m, 0, 0.0)).await;
    let mut out = Vec::new();
    let n = export::export(store, d, &ExportFilter::default(), ExportFormat::Csv, &mut out).await.unwrap();
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(n, 2 * 744);
    assert_eq!(lines.len() as u64, n + 1);
    assert_eq!(lines[0], "price_area,group,start_utc,end_utc,quantity_kwh,last_updated_utc,metering_points");
    assert_eq!(
        lines[1],
        "NO1,household,2020-12-31T23:00:00Z,2021-01-01T00:00:00Z,1000.125,2024-01-01T00:00:00Z,1234"
    );
    assert!(lines[745].starts_with("NO5,cabin,2020-12-31T23:00:00Z,"), "{}", lines[745]);
    let mut json = Vec::new();
    let filter = ExportFilter { area: Some(PriceArea::NO5), group: None };
    export::export(store, d, &filter, ExportFormat::Json, &mut json).await.unwrap();
    let parsed: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(parsed.as_array().unwrap().len(), 744);
    assert_eq!(parsed[0]["price_area"], "NO5");
    assert_eq!(parsed[0]["metering_points"], 1234);
    assert_eq!(parsed[0]["quantity_kwh"], 1000.125);
}

/// The suite for one backend: `$open` takes a test name and yields `(guard, Store)`; the
/// attributes say when the backend's server is missing here (the tests are then ignored, with
/// the reason shown).
macro_rules! contract_tests {
    ($open:expr $(, #[$attr:meta])*) => {
        contract_tests!(@one $open, upserts_are_idempotent_and_newest_wins $(, #[$attr])*);
        contract_tests!(@one $open, queries_answer_totals_hourly_coverage $(, #[$attr])*);
        contract_tests!(@one $open, export_is_canonical $(, #[$attr])*);
    };
    (@one $open:expr, $name:ident $(, #[$attr:meta])*) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        $(#[$attr])*
        async fn $name() {
            let (_guard, store) = $open(stringify!($name)).await;
            super::$name(&store).await;
            crate::common::drop_mongo(&store).await;
        }
    };
}

mod sqlite {
    async fn open(_name: &str) -> (tempfile::TempDir, elhub_explorer::store::Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::common::temp_sqlite(&dir);
        (dir, store)
    }
    contract_tests!(open);
}

mod cassandra {
    async fn open(name: &str) -> ((), elhub_explorer::store::Store) {
        ((), crate::common::test_cassandra(name).await)
    }
    contract_tests!(open, #[cfg_attr(not(cassandra_server), ignore = "ELHUB_TEST_CASSANDRA is not set: no Cassandra node to test against")]);
}

mod mongodb {
    async fn open(name: &str) -> ((), elhub_explorer::store::Store) {
        ((), crate::common::test_mongo(name).await)
    }
    contract_tests!(open, #[cfg_attr(not(mongodb_server), ignore = "ELHUB_TEST_MONGODB_URI is not set: no MongoDB server to test against")]);
}

/// A database written by schema 1 (text keys) opens with every record and coverage intact.
#[tokio::test]
async fn a_schema_1_database_is_migrated_with_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v1.sqlite");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
             INSERT INTO meta VALUES ('schema_version', '1');
             CREATE TABLE records (dataset TEXT NOT NULL, price_area TEXT NOT NULL, grp TEXT NOT NULL,
                 start_utc INTEGER NOT NULL, quantity_kwh REAL NOT NULL, last_updated INTEGER NOT NULL,
                 metering_points INTEGER, revisions INTEGER NOT NULL DEFAULT 0,
                 PRIMARY KEY (dataset, price_area, grp, start_utc)) WITHOUT ROWID;
             CREATE TABLE series (dataset TEXT NOT NULL, price_area TEXT NOT NULL, grp TEXT NOT NULL,
                 PRIMARY KEY (dataset, price_area, grp)) WITHOUT ROWID;
             CREATE TABLE fetched_windows (dataset TEXT NOT NULL, month TEXT NOT NULL, start_utc INTEGER NOT NULL,
                 end_utc INTEGER NOT NULL, fetched_at INTEGER NOT NULL, records INTEGER NOT NULL,
                 rejected INTEGER NOT NULL, PRIMARY KEY (dataset, month)) WITHOUT ROWID;
             INSERT INTO records VALUES ('production', 'NO1', 'hydro', 1609455600, 2507716.8, 1706000000, NULL, 1),
                                        ('production', 'NO1', 'hydro', 1609459200, 2494728.0, 1706000000, NULL, 0),
                                        ('consumption', 'NO5', 'cabin', 1609455600, 812.5, 1706000000, 4321, 0);
             INSERT INTO series VALUES ('production', 'NO1', 'hydro'), ('consumption', 'NO5', 'cabin');
             INSERT INTO fetched_windows VALUES ('production', '2021-01', 1609455600, 1612134000, 1706000000, 2, 0);",
        )
        .unwrap();
    }
    let store =
        elhub_explorer::store::Store::Sqlite(elhub_explorer::store::SqliteStore::open(&path).unwrap());
    assert_eq!(store.count(Dataset::Production).await.unwrap(), 2);
    assert_eq!(store.count(Dataset::Consumption).await.unwrap(), 1);
    let jan = month("2021-01");
    let hydro = store
        .series_records(Dataset::Production, PriceArea::NO1, "hydro", jan.start_utc(), jan.end_utc())
        .await
        .unwrap();
    assert_eq!(hydro.iter().map(|r| r.quantity_kwh).collect::<Vec<_>>(), [2507716.8, 2494728.0]);
    let cabin = store
        .series_records(Dataset::Consumption, PriceArea::NO5, "cabin", jan.start_utc(), jan.end_utc())
        .await
        .unwrap();
    assert_eq!(cabin[0].metering_points, Some(4321));
    assert_eq!(store.coverage(Dataset::Production).await.unwrap()[0].records, 2);
    // And it keeps working as schema 2.
    let records = month_records(Dataset::Production, jan, 0, 0.0);
    let n = records.len() as u64;
    let stats = upsert(&store, Dataset::Production, jan, records).await;
    assert_eq!(stats.new + stats.updated + stats.unchanged, n);
}
