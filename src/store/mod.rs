//! The store interface shared by every backend: idempotent upserts of a fetched window with its
//! checkpoint, and the queries the explorer, export and summary need.
//!
//! A closed set of backends, so an enum rather than trait objects: each method dispatches to
//! the backend, and every backend passes the same contract tests (tests/store_contract.rs).

pub mod cassandra;
pub mod mongodb;
pub mod sqlite;

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::elhub::{ParsedWindow, Window};
use crate::model::{Dataset, Group, Month, PriceArea, Record};

pub use self::cassandra::{CassandraSettings, CassandraStore};
pub use self::mongodb::{MongoSettings, MongoStore};
pub use sqlite::SqliteStore;

#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// The store cannot be opened as configured (a missing directory, a file that is not a database).
    #[error("{0}")]
    Config(String),
    /// The store failed while working (locked, disk full, gone away).
    #[error("{0}")]
    Runtime(String),
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// Which backend; the names of `--store` and `--sinks`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StoreKind {
    Sqlite,
    Cassandra,
    Mongodb,
}

impl StoreKind {
    pub fn as_str(self) -> &'static str {
        match self {
            StoreKind::Sqlite => "sqlite",
            StoreKind::Cassandra => "cassandra",
            StoreKind::Mongodb => "mongodb",
        }
    }
}

impl std::fmt::Display for StoreKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for StoreKind {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "sqlite" => Ok(StoreKind::Sqlite),
            "cassandra" | "scylla" | "scylladb" => Ok(StoreKind::Cassandra),
            "mongodb" | "mongo" => Ok(StoreKind::Mongodb),
            _ => Err(format!("unknown store '{s}' (expected sqlite, cassandra or mongodb)")),
        }
    }
}

/// What an upsert did, record by record.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct UpsertStats {
    /// Keys not stored before.
    pub new: u64,
    /// Stored before with an older `lastUpdatedTime`: value replaced.
    pub updated: u64,
    /// Stored with the same or a newer `lastUpdatedTime`: left as it was.
    pub unchanged: u64,
}

impl UpsertStats {
    pub fn add(&mut self, other: UpsertStats) {
        self.new += other.new;
        self.updated += other.updated;
        self.unchanged += other.unchanged;
    }

    pub fn total(&self) -> u64 {
        self.new + self.updated + self.unchanged
    }
}

/// The annual (or any period's) total of one group.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupTotal {
    pub group: Group,
    pub kwh: f64,
    /// Hours stored, to show how complete the total is.
    pub hours: u64,
}

/// One hour of one series, for the hourly view.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HourValue {
    pub start: DateTime<Utc>,
    pub kwh: f64,
}

/// A fetched month, as recorded by the checkpoint written with its records.
#[derive(Debug, Clone, PartialEq)]
pub struct MonthCoverage {
    pub month: Month,
    pub records: u64,
    pub rejected: u64,
    pub fetched_at: DateTime<Utc>,
}

/// An opened store.
pub enum Store {
    Sqlite(SqliteStore),
    Mongodb(MongoStore),
    /// Boxed: the session and prepared statements make it much larger than the others.
    Cassandra(Box<CassandraStore>),
}

impl Store {
    pub fn kind(&self) -> StoreKind {
        match self {
            Store::Sqlite(_) => StoreKind::Sqlite,
            Store::Mongodb(_) => StoreKind::Mongodb,
            Store::Cassandra(_) => StoreKind::Cassandra,
        }
    }

    /// Where the store is, for messages (credentials redacted).
    pub fn location(&self) -> String {
        match self {
            Store::Sqlite(s) => s.path().display().to_string(),
            Store::Mongodb(s) => s.location(),
            Store::Cassandra(s) => s.location(),
        }
    }

    /// Upserts a fetched month's records and records the month as fetched, in one transaction
    /// where the backend has them: a crash leaves either both or neither.
    pub async fn upsert_window(
        &self,
        dataset: Dataset,
        month: Month,
        window: Window,
        parsed: &Arc<ParsedWindow>,
    ) -> Result<UpsertStats> {
        match self {
            Store::Sqlite(s) => s.upsert_window(dataset, month, window, parsed).await,
            Store::Mongodb(s) => s.upsert_window(dataset, month, window, parsed).await,
            Store::Cassandra(s) => s.upsert_window(dataset, month, window, parsed).await,
        }
    }

    /// The series stored for a dataset, sorted by area then group.
    pub async fn series(&self, dataset: Dataset) -> Result<Vec<(PriceArea, Group)>> {
        match self {
            Store::Sqlite(s) => s.series(dataset).await,
            Store::Mongodb(s) => s.series(dataset).await,
            Store::Cassandra(s) => s.series(dataset).await,
        }
    }

    /// The records of one series in [from, to), sorted by start.
    pub async fn series_records(
        &self,
        dataset: Dataset,
        area: PriceArea,
        group: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Record>> {
        match self {
            Store::Sqlite(s) => s.series_records(dataset, area, group, from, to).await,
            Store::Mongodb(s) => s.series_records(dataset, area, group, from, to).await,
            Store::Cassandra(s) => s.series_records(dataset, area, group, from, to).await,
        }
    }

    /// Totals per group of one area over a local year, sorted by group.
    pub async fn annual_totals(
        &self,
        dataset: Dataset,
        area: PriceArea,
        year: i32,
    ) -> Result<Vec<GroupTotal>> {
        match self {
            Store::Sqlite(s) => s.annual_totals(dataset, area, year).await,
            Store::Mongodb(s) => s.annual_totals(dataset, area, year).await,
            Store::Cassandra(s) => s.annual_totals(dataset, area, year).await,
        }
    }

    /// The hourly values of one series in one local month, sorted by start.
    pub async fn hourly(
        &self,
        dataset: Dataset,
        area: PriceArea,
        group: &str,
        month: Month,
    ) -> Result<Vec<HourValue>> {
        match self {
            Store::Sqlite(s) => s.hourly(dataset, area, group, month).await,
            Store::Mongodb(s) => s.hourly(dataset, area, group, month).await,
            Store::Cassandra(s) => s.hourly(dataset, area, group, month).await,
        }
    }

    /// The months fetched for a dataset, sorted.
    pub async fn coverage(&self, dataset: Dataset) -> Result<Vec<MonthCoverage>> {
        match self {
            Store::Sqlite(s) => s.coverage(dataset).await,
            Store::Mongodb(s) => s.coverage(dataset).await,
            Store::Cassandra(s) => s.coverage(dataset).await,
        }
    }

    /// How many records are stored for a dataset.
    pub async fn count(&self, dataset: Dataset) -> Result<u64> {
        match self {
            Store::Sqlite(s) => s.count(dataset).await,
            Store::Mongodb(s) => s.count(dataset).await,
            Store::Cassandra(s) => s.count(dataset).await,
        }
    }
}

crate::model::deserialize_from_str!(StoreKind);
