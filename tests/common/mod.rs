//! Helpers shared by the integration tests: a replica on a free loopback port, a client with
//! short backoffs, a store in a temporary directory, and an ingest that collects its events.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use elhub_explorer::elhub::replica::{self, Replica, ReplicaState};
use elhub_explorer::elhub::{ClientConfig, ElhubClient};
use elhub_explorer::ingest::{self, IngestPlan, IngestSummary, Progress};
use elhub_explorer::model::{Dataset, MonthRange, Record};
use elhub_explorer::store::{
    CassandraSettings, CassandraStore, MongoSettings, MongoStore, SqliteStore, Store,
};
use tokio::sync::mpsc;

/// A replica whose data ends at a fixed instant, so tests do not depend on today's date.
pub async fn start_replica() -> Replica {
    let until = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    replica::spawn("127.0.0.1:0".parse().unwrap(), ReplicaState::new(until)).await.unwrap()
}

pub fn fast_client(url: &str) -> ElhubClient {
    ElhubClient::new(ClientConfig {
        base_url: url.to_string(),
        timeout: Duration::from_secs(10),
        max_retries: 6,
        min_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(50),
        max_retry_after: Duration::from_secs(2),
    })
    .unwrap()
}

pub fn temp_sqlite(dir: &tempfile::TempDir) -> Store {
    Store::Sqlite(SqliteStore::open(&dir.path().join("test.sqlite")).unwrap())
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
    Store::Mongodb(MongoStore::open(mongo_settings(&mongo_uri(), name)).await.unwrap())
}

/// Settings for a test database `elhub_test_<pid>_<name>` (dropped by `drop_mongo`).
pub fn mongo_settings(uri: &str, name: &str) -> MongoSettings {
    MongoSettings {
        uri: uri.to_string(),
        database: format!("elhub_test_{}_{name}", std::process::id()),
        production_collection: "production".into(),
        consumption_collection: "consumption".into(),
        server_selection_timeout: Duration::from_secs(5),
    }
}

/// Drops a test database or keyspace (a no-op for SQLite, whose directory goes away).
pub async fn drop_mongo(store: &Store) {
    match store {
        Store::Mongodb(m) => m.drop_database().await.unwrap(),
        Store::Cassandra(c) => c.drop_keyspace().await.unwrap(),
        Store::Sqlite(_) => {}
    }
}

/// A Cassandra store in a keyspace of its own (`elhub_test_<pid>_<name>`) on the cluster at
/// ELHUB_TEST_CASSANDRA. Those tests are ignored (reason shown) unless it was set at build time.
pub async fn test_cassandra(name: &str) -> Store {
    Store::Cassandra(Box::new(CassandraStore::open(cassandra_settings(name)).await.unwrap()))
}

pub fn cassandra_settings(name: &str) -> CassandraSettings {
    let hosts = std::env::var("ELHUB_TEST_CASSANDRA")
        .expect("ELHUB_TEST_CASSANDRA names the Cassandra node to test against");
    let short: String = name.chars().filter(|c| c.is_ascii_alphanumeric()).take(24).collect();
    CassandraSettings {
        contact_points: hosts.split(',').map(str::to_string).collect(),
        keyspace: format!("elhub_test_{}_{short}", std::process::id()),
        replication: "{'class': 'SimpleStrategy', 'replication_factor': 1}".into(),
        local_datacenter: None,
        username: None,
        password: None,
        connect_timeout: Duration::from_secs(10),
    }
}

/// Every stored record of a dataset, series by series (sorted by area, group, start).
pub async fn stored(store: &Store, dataset: Dataset) -> Vec<Record> {
    let mut out = Vec::new();
    let (from, to) = elhub_explorer::model::all_time_utc();
    for (area, group) in store.series(dataset).await.unwrap() {
        out.extend(store.series_records(dataset, area, &group, from, to).await.unwrap());
    }
    out
}

/// Records in the order `stored` returns them.
pub fn sorted(mut records: Vec<Record>) -> Vec<Record> {
    records.sort_by(|a, b| (a.area, &a.group, a.start).cmp(&(b.area, &b.group, b.start)));
    records
}
