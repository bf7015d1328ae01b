//! Helpers shared by the integration tests: a replica on a free loopback port, a client with
//! short backoffs, a store in a temporary directory, and an ingest that collects its events.
#![allow(dead_code)]

pub mod case;
pub mod screens;
pub mod tmux;

use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use elhub_explorer::elhub::{ClientConfig, ElhubClient};
use elhub_explorer::export::{self, ExportFormat};
use elhub_explorer::ingest::{self, IngestPlan, IngestSummary, Outcome, Progress};
use elhub_explorer::model::{Dataset, Month, MonthRange, PriceArea, Record};
use elhub_explorer::replica::{self, Replica, ReplicaState};
use elhub_explorer::store::{
    CassandraSettings, CassandraStore, MongoSettings, MongoStore, Scope, SqliteStore, Store, UpsertStats,
};
use tokio::sync::mpsc;

/// A replica whose data ends at a fixed instant, so tests do not depend on today's date.
pub async fn start_replica() -> Replica {
    let until = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    replica::spawn("127.0.0.1:0".parse().unwrap(), ReplicaState::new(until)).await.unwrap()
}

/// A client with short backoffs and no rate limit, for a replica on this machine.
pub fn fast_client(url: &str) -> ElhubClient {
    ElhubClient::new(client_config(url)).unwrap()
}

/// A client that keeps to the API's rate limit, as a real run does.
pub fn polite_client(url: &str) -> ElhubClient {
    ElhubClient::new(ClientConfig { rate_limit: ClientConfig::default().rate_limit, ..client_config(url) })
        .unwrap()
}

fn client_config(url: &str) -> ClientConfig {
    ClientConfig {
        base_url: url.to_string(),
        timeout: Duration::from_secs(10),
        max_retries: 6,
        min_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(50),
        max_retry_after: Duration::from_secs(2),
        rate_limit: 0.0,
        max_body_bytes: ClientConfig::default().max_body_bytes,
    }
}

pub fn temp_sqlite(dir: &tempfile::TempDir) -> Store {
    Store::new(SqliteStore::open(&dir.path().join("test.sqlite")).unwrap())
}

/// Runs an ingest of `range` into `sinks`; returns the summary and every progress event.
pub async fn ingest_range(
    client: &Arc<ElhubClient>,
    sinks: &Arc<Vec<Store>>,
    dataset: Dataset,
    range: MonthRange,
) -> (IngestSummary, Vec<Progress>) {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let summary =
        ingest::run(client.clone(), sinks.clone(), IngestPlan::for_range(dataset, range, 4), tx).await;
    let mut events = Vec::new();
    while let Ok(e) = rx.try_recv() {
        events.push(e);
    }
    (summary, events)
}

pub fn range(from: &str, to: &str) -> MonthRange {
    MonthRange::new(from.parse().unwrap(), to.parse().unwrap()).unwrap()
}

/// The server the MongoDB tests use. Those tests are `#[ignore]`d (reason shown) unless the
/// variable was set at build time (build.rs), so reaching here without it is a mistake.
pub fn mongo_uri() -> String {
    std::env::var("ELHUB_TEST_MONGODB_URI")
        .expect("ELHUB_TEST_MONGODB_URI names the MongoDB server to test against")
}

/// A MongoDB store in a database of its own on the test server.
pub async fn test_mongo(name: &str) -> Store {
    Store::new(MongoStore::open(mongo_settings(&mongo_uri(), name)).await.unwrap())
}

/// Settings for a test database `elhub_test_<pid>_<name>` (dropped by `drop_store`), the name
/// cut short enough for MongoDB's 64-character limit.
pub fn mongo_settings(uri: &str, name: &str) -> MongoSettings {
    let short: String = name.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').take(32).collect();
    MongoSettings {
        uri: uri.to_string(),
        database: format!("elhub_test_{}_{short}", std::process::id()),
        collections: Default::default(),
        server_selection_timeout: Duration::from_secs(5),
    }
}

/// Drops a test database or keyspace (a no-op for SQLite, whose directory goes away).
pub async fn drop_store(store: &Store) {
    store.destroy().await.unwrap();
}

/// A Cassandra store in a keyspace of its own (`elhub_test_<pid>_<name>`) on the cluster at
/// ELHUB_TEST_CASSANDRA. Those tests are ignored (reason shown) unless it was set at build time.
pub async fn test_cassandra(name: &str) -> Store {
    Store::new(CassandraStore::open(cassandra_settings(name)).await.unwrap())
}

pub fn cassandra_settings(name: &str) -> CassandraSettings {
    let hosts = std::env::var("ELHUB_TEST_CASSANDRA")
        .expect("ELHUB_TEST_CASSANDRA names the Cassandra node to test against");
    cassandra_settings_at(&hosts, name)
}

/// Settings for a test keyspace on the given contact points.
pub fn cassandra_settings_at(hosts: &str, name: &str) -> CassandraSettings {
    let short: String = name.chars().filter(|c| c.is_ascii_alphanumeric()).take(24).collect();
    CassandraSettings {
        contact_points: hosts.split(',').map(str::to_string).collect(),
        keyspace: format!("elhub_test_{}_{short}", std::process::id()),
        replication: "{'class': 'SimpleStrategy', 'replication_factor': 1}".into(),
        local_datacenter: None,
        username: None,
        password: None,
        connect_timeout: Duration::from_secs(10),
        tls: false,
        tls_ca_file: None,
        consistency: Default::default(),
    }
}

/// The server the PostgreSQL tests use (ELHUB_TEST_POSTGRES, a connection string with its
/// password). Those tests are ignored (reason shown) unless it was set at build time.
pub fn postgres_url() -> String {
    std::env::var("ELHUB_TEST_POSTGRES")
        .expect("ELHUB_TEST_POSTGRES names the PostgreSQL server to test against")
}

/// Settings for a schema of its own (`elhub_test_<pid>_<name>`) on the test server.
pub fn postgres_settings(name: &str) -> elhub_explorer::store::PostgresSettings {
    let short: String = name
        .to_ascii_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(40)
        .collect();
    elhub_explorer::store::PostgresSettings {
        url: postgres_url(),
        schema: format!("elhub_test_{}_{short}", std::process::id()),
        sslmode: elhub_explorer::store::SslMode::Disable,
        ca_file: None,
        connect_timeout: Duration::from_secs(10),
    }
}

/// A PostgreSQL store in a schema of its own on the test server.
pub async fn test_postgres(name: &str) -> Store {
    Store::new(elhub_explorer::store::PostgresStore::open(postgres_settings(name)).await.unwrap())
}

/// Every stored record of a dataset, series by series (sorted by entity, group, start).
pub async fn stored(store: &Store, dataset: Dataset) -> Vec<Record> {
    let mut out = Vec::new();
    let (from, to) = elhub_explorer::model::all_time_utc();
    for key in store.series(dataset).await.unwrap() {
        out.extend(store.series_records(dataset, &key, from, to).await.unwrap());
    }
    out
}

/// Records in the order `stored` returns them.
pub fn sorted(mut records: Vec<Record>) -> Vec<Record> {
    records.sort_by(|a, b| (&a.entity, &a.group, a.start).cmp(&(&b.entity, &b.group, b.start)));
    records
}

/// Every series of a dataset, for an export of everything.
pub async fn all_series(store: &Store, dataset: Dataset) -> Vec<elhub_explorer::model::SeriesKey> {
    store.series(dataset).await.unwrap()
}

/// The binary in `dir` with nothing of the caller's environment and its own XDG directories,
/// so neither a repository's config.toml nor the user's files are involved.
pub fn binary(dir: &std::path::Path) -> assert_cmd::Command {
    let mut c = assert_cmd::Command::cargo_bin("elhub-explorer").unwrap();
    c.current_dir(dir)
        .env_clear()
        .env("HOME", dir)
        .env("XDG_DATA_HOME", dir.join("data"))
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .env("XDG_STATE_HOME", dir.join("state"));
    c
}

/// 2021 from the replica into SQLite and `other` in one ingest: exact counts, a rerun changes
/// nothing, a revised month replaces its values, both stores export the same bytes and agree on
/// every annual total. Drops `other`'s test database at the end.
pub async fn year_into_sqlite_and(other: Store) {
    let replica = start_replica().await;
    let dir = tempfile::tempdir().unwrap();
    let sinks = Arc::new(vec![temp_sqlite(&dir), other]);
    let client = Arc::new(fast_client(&replica.url()));
    let year = range("2021-01", "2021-12");
    let started = std::time::Instant::now();
    let (summary, _) = ingest_range(&client, &sinks, Dataset::PRODUCTION, year).await;
    eprintln!("a year into SQLite and {} in {:.1} s", sinks[1].kind(), started.elapsed().as_secs_f64());
    assert_eq!(summary.outcome(), Outcome::Done, "{}", elhub_explorer::report::ingest_summary(&summary));
    let all_new = UpsertStats { new: 215_353, updated: 0, unchanged: 0 };
    assert_eq!(summary.per_sink[0].1, all_new);
    assert_eq!(summary.per_sink[1].1, all_new);
    assert_eq!(sinks[1].count(Dataset::PRODUCTION).await.unwrap(), 215_353);

    let (again, _) = ingest_range(&client, &sinks, Dataset::PRODUCTION, year).await;
    assert_eq!(again.per_sink[1].1, UpsertStats { new: 0, updated: 0, unchanged: 215_353 });
    assert_eq!(sinks[1].count(Dataset::PRODUCTION).await.unwrap(), 215_353);

    let may: Month = "2021-05".parse().unwrap();
    replica.state.revise(Dataset::PRODUCTION, may);
    let (revised, _) = ingest_range(&client, &sinks, Dataset::PRODUCTION, range("2021-05", "2021-05")).await;
    assert_eq!(revised.per_sink[1].1, UpsertStats { new: 0, updated: 17_856, unchanged: 0 });
    assert_eq!(sinks[1].count(Dataset::PRODUCTION).await.unwrap(), 215_353);

    let mut from_sqlite = Vec::new();
    let mut from_other = Vec::new();
    let series = all_series(&sinks[0], Dataset::PRODUCTION).await;
    assert_eq!(series, all_series(&sinks[1], Dataset::PRODUCTION).await);
    export::export(
        &sinks[0],
        &export::ExportJob::all_of(Dataset::PRODUCTION, series.to_vec(), ExportFormat::Csv),
        &mut from_sqlite,
    )
    .await
    .unwrap();
    export::export(
        &sinks[1],
        &export::ExportJob::all_of(Dataset::PRODUCTION, series.to_vec(), ExportFormat::Csv),
        &mut from_other,
    )
    .await
    .unwrap();
    assert_eq!(from_sqlite.iter().filter(|b| **b == b'\n').count(), 215_354);
    assert!(from_sqlite == from_other, "the {} export differs from the SQLite export", sinks[1].kind());
    for area in PriceArea::ALL {
        let scope = Scope::Entity(area.to_string());
        let s = sinks[0].annual_totals(Dataset::PRODUCTION, &scope, 2021).await.unwrap();
        let o = sinks[1].annual_totals(Dataset::PRODUCTION, &scope, 2021).await.unwrap();
        assert_eq!(s.len(), o.len());
        for (a, b) in s.iter().zip(&o) {
            assert_eq!((&a.group, a.count), (&b.group, b.count));
            assert!(
                (a.kwh - b.kwh).abs() <= a.kwh.abs() * 1e-12,
                "{area} {}: {} vs {}",
                a.group,
                a.kwh,
                b.kwh
            );
        }
    }
    drop_store(&sinks[1]).await;
}
