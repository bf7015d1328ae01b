//! The store interface shared by every backend: idempotent writes of a fetched window with its
//! rollups (and, with the month's last window, its checkpoint), and the queries the explorer,
//! export and summary need. The store speaks the model only (`WindowData`, `Record`, `Entity`).
//!
//! `Backend` is written out once and implemented by each backend; `Store` holds one behind a
//! box, so callers never dispatch by hand. Every backend passes the same contract tests
//! (tests/store_contract.rs).

pub mod cassandra;
pub mod merge;
pub mod mongodb;
pub mod postgres;
mod queries;
pub mod rollup;
pub use queries::PointCount;
pub mod secrets;
pub mod sqlite;
pub mod views;

use std::ops::Deref;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tokio::sync::mpsc;

use crate::model::{Dataset, Entity, EntityKind, Group, Month, Record, SeriesKey, Window, WindowData};
use rollup::DayRollup;

pub use self::cassandra::{CassandraSettings, CassandraStore};
pub use self::mongodb::{MongoSettings, MongoStore};
pub use self::postgres::{PostgresSettings, PostgresStore, SslMode};
pub use sqlite::SqliteStore;

/// What went wrong, as far as a caller acts on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The store cannot be opened as configured (a missing directory, a file that is not a
    /// database, a bad keyspace name): the user's to fix, exit code 2.
    Config,
    /// Another process holds the store's lock longer than we wait.
    Locked,
    /// The server cannot be reached, refused the login, or went away.
    Unavailable,
    /// Anything else while working (disk full, a refused write, a corrupt page).
    Runtime,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct StoreError {
    pub kind: ErrorKind,
    pub message: String,
}

impl StoreError {
    pub fn config(message: impl Into<String>) -> StoreError {
        StoreError { kind: ErrorKind::Config, message: message.into() }
    }

    pub fn runtime(message: impl Into<String>) -> StoreError {
        StoreError { kind: ErrorKind::Runtime, message: message.into() }
    }

    pub fn unavailable(message: impl Into<String>) -> StoreError {
        StoreError { kind: ErrorKind::Unavailable, message: message.into() }
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// Which backend; the names of `--store` and `--sinks`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StoreKind {
    Sqlite,
    Postgres,
    Cassandra,
    Mongodb,
}

impl StoreKind {
    pub fn as_str(self) -> &'static str {
        match self {
            StoreKind::Sqlite => "sqlite",
            StoreKind::Postgres => "postgres",
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
            "postgres" | "postgresql" | "pg" => Ok(StoreKind::Postgres),
            "cassandra" | "scylla" | "scylladb" => Ok(StoreKind::Cassandra),
            "mongodb" | "mongo" => Ok(StoreKind::Mongodb),
            _ => Err(format!("unknown store '{s}' (expected sqlite, postgres, cassandra or mongodb)")),
        }
    }
}

crate::model::deserialize_from_str!(StoreKind);

/// What a write did, record by record.
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

/// One time step of one series, for the curve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepValue {
    pub start: DateTime<Utc>,
    pub kwh: f64,
}

impl StepValue {
    /// (Unix seconds of the start, kWh): what the rollups are computed from.
    pub fn pair(&self) -> (i64, f64) {
        (self.start.timestamp(), self.kwh)
    }
}

/// A fetched month, as recorded by the checkpoint written with its last window.
#[derive(Debug, Clone, PartialEq)]
pub struct MonthCoverage {
    pub month: Month,
    pub records: u64,
    pub rejected: u64,
    pub fetched_at: DateTime<Utc>,
}

/// When a month is complete in a store whose checkpoints are `coverage`: fetched after the
/// month ended (a month fetched while under way is partial) with records (an empty answer for a
/// past month is more likely a glitch than the truth, and asking again is cheap) — or, before the
/// dataset's first month with data, fetched at all: an empty answer there is the truth, and a
/// wrong guess of the first month costs one request a month, once. The time it was fetched, if
/// so.
pub fn complete_at(coverage: &[MonthCoverage], month: Month, first_month: Month) -> Option<DateTime<Utc>> {
    coverage
        .iter()
        .find(|c| c.month == month && (c.records > 0 || month < first_month))
        .map(|c| c.fetched_at)
        .filter(|t| *t >= month.end_utc())
}

/// The months of `first..=last` from the dataset's first month on that have ended by `now` and
/// are not complete in `coverage` (a month that failed, was fetched while under way, or was
/// never fetched): what a read of that range from the store misses. Sorted.
pub fn incomplete_months(
    coverage: &[MonthCoverage],
    first: Month,
    last: Month,
    first_month: Month,
    now: DateTime<Utc>,
) -> Vec<Month> {
    let mut out = Vec::new();
    let mut month = first.max(first_month);
    while month <= last && month.end_utc() <= now {
        if complete_at(coverage, month, first_month).is_none() {
            out.push(month);
        }
        month = month.next();
    }
    out
}

/// The record that a month was fetched whole: written with the month's last window.
#[derive(Debug, Clone, PartialEq)]
pub struct Checkpoint {
    pub month: Month,
    pub window: Window,
    /// When the month's fetch began (decides whether the month had ended: DESIGN.md, Resume).
    pub fetched_at: DateTime<Utc>,
    pub records: u64,
    pub rejected: u64,
}

/// Whose rollups a query wants.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scope {
    /// One entity: `NO1`, `0301`, a grid area's EIC.
    Entity(String),
    /// Every entity of the dataset summed: all of Norway, all municipalities.
    All,
}

/// The period of a rollup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// Keys `yyyymmdd` of local days.
    Day,
    /// Keys `yyyymm` of local months.
    Month,
}

/// A rollup of one group over one day or month: the sum, count, and (for one entity) the
/// smallest and largest step.
#[derive(Debug, Clone, PartialEq)]
pub struct Rollup {
    pub group: Group,
    /// `yyyymmdd` or `yyyymm`.
    pub key: i32,
    pub kwh: f64,
    pub count: u64,
    pub min: Option<f64>,
    pub max: Option<f64>,
}

/// The total of one group over a period (a year), from rollups.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupTotal {
    pub group: Group,
    pub kwh: f64,
    /// Records stored, to show how complete the total is.
    pub count: u64,
}

/// What every backend does. Queries are sorted as documented on each method.
#[async_trait]
pub trait Backend: Send + Sync {
    fn kind(&self) -> StoreKind;

    /// Where the store is, for messages (credentials redacted).
    fn location(&self) -> String;

    /// A setting the summary line of a run names beside the store's counts, if any
    /// (Cassandra: the consistency of its writes and reads).
    fn summary_note(&self) -> Option<String> {
        None
    }

    /// Upserts a window's records (a newer `lastUpdatedTime` replaces, an older one never
    /// does), its entities and the rollups of the days and months it touches; with
    /// `checkpoint`, also records the month as fetched. One transaction where the backend has
    /// them: a crash leaves all or nothing.
    async fn write_window(
        &self,
        data: &Arc<WindowData>,
        checkpoint: Option<&Checkpoint>,
    ) -> Result<UpsertStats>;

    /// The series stored for a dataset, sorted by entity then group.
    async fn series(&self, dataset: Dataset) -> Result<Vec<SeriesKey>>;

    /// Per step in [from, to), the sum over every entity of one group (every group: `None`),
    /// sorted, where the backend keeps such sums (SQLite's `steps_all`); None where it does not
    /// (the caller then sums the series).
    async fn all_entity_steps(
        &self,
        _dataset: Dataset,
        _group: Option<&str>,
        _from: DateTime<Utc>,
        _to: DateTime<Utc>,
    ) -> Result<Option<Vec<StepValue>>> {
        Ok(None)
    }

    /// The entities seen of a kind, sorted by id.
    async fn entities(&self, kind: EntityKind) -> Result<Vec<Entity>>;

    /// The records of one series in [from, to), sorted by start.
    async fn series_records(
        &self,
        dataset: Dataset,
        series: &SeriesKey,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Record>>;

    /// Every record of `series` in [from, to), a series at a time into `out`, as one consistent
    /// snapshot where the backend can give one (SQLite reads in one transaction, so a window
    /// written meanwhile is either all in or all out); the others read series by series.
    /// Stops at the first error (sent) or when `out` is closed.
    async fn snapshot(
        &self,
        dataset: Dataset,
        series: Vec<SeriesKey>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        out: mpsc::Sender<Result<Vec<Record>>>,
    ) {
        for key in series {
            let records = self.series_records(dataset, &key, from, to).await;
            let failed = records.is_err();
            if out.send(records).await.is_err() || failed {
                return;
            }
        }
    }

    /// The metering point count of every step of one series in [from, to) that has one, sorted:
    /// (Unix seconds of the start, count). What kWh per metering point is read from.
    async fn point_steps(
        &self,
        dataset: Dataset,
        series: &SeriesKey,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<(i64, u32)>> {
        let records = self.series_records(dataset, series, from, to).await?;
        Ok(records.into_iter().filter_map(|r| Some((r.start.timestamp(), r.metering_points?))).collect())
    }

    /// The values of one series in [from, to), sorted by start: the curve.
    async fn steps(
        &self,
        dataset: Dataset,
        series: &SeriesKey,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<StepValue>>;

    /// Rollups of `scope` per group and period with keys in [from, to], sorted by group then key.
    async fn rollups(
        &self,
        dataset: Dataset,
        scope: &Scope,
        period: Period,
        from: i32,
        to: i32,
    ) -> Result<Vec<Rollup>>;

    /// The entities with at least one record in a local month, sorted.
    async fn entities_with_data(&self, dataset: Dataset, month: Month) -> Result<Vec<String>>;

    /// The months fetched for a dataset, sorted.
    async fn coverage(&self, dataset: Dataset) -> Result<Vec<MonthCoverage>>;

    /// When each month of a dataset was last found current by a refresh that read the change
    /// feed (nothing listed as changed since then), sorted. Months never so found are absent.
    async fn synced(&self, dataset: Dataset) -> Result<Vec<(Month, DateTime<Utc>)>>;

    /// Records that `months` of a dataset were current at `at` (replacing what was recorded).
    async fn set_synced(&self, dataset: Dataset, months: &[Month], at: DateTime<Utc>) -> Result<()>;

    /// Recomputes every rollup of a dataset from its records (`rebuild-rollups`: after a crash
    /// between a window's records and its rollups on a backend without transactions, or to
    /// check them); returns the series rebuilt. By default series by series over the one
    /// primitive `replace_rollups`, then `rebuild_all_entity`; SQLite and PostgreSQL override
    /// it to rebuild in one transaction.
    async fn rebuild_rollups(&self, dataset: Dataset) -> Result<u64> {
        let series = self.series(dataset).await?;
        let (from, to) = crate::model::all_time_utc();
        for key in &series {
            let steps = self.steps(dataset, key, from, to).await?;
            let days = rollup::day_rollups_of(steps.iter().map(StepValue::pair));
            self.replace_rollups(dataset, key, &days).await?;
        }
        self.rebuild_all_entity(dataset).await?;
        Ok(series.len() as u64)
    }

    /// Replaces every rollup stored for one series with `days` (the day rollups of its whole
    /// history, sorted) and the months `rollup::month_rollups` makes of them: the primitive of
    /// the default `rebuild_rollups`, all a backend without transactions writes for it.
    async fn replace_rollups(
        &self,
        _dataset: Dataset,
        _series: &SeriesKey,
        _days: &[DayRollup],
    ) -> Result<()> {
        Err(StoreError::runtime(format!("{} rebuilds its rollups in one transaction", self.kind())))
    }

    /// Recomputes what a backend keeps over all entities (MongoDB's all-entity days) once every
    /// series' rollups were replaced; nothing by default.
    async fn rebuild_all_entity(&self, _dataset: Dataset) -> Result<()> {
        Ok(())
    }

    /// How many records are stored for a dataset (counted in the records, not the rollups).
    async fn count(&self, dataset: Dataset) -> Result<u64>;

    /// Drops the database, keyspace or file's data: the test suites' clean-up.
    async fn destroy(&self) -> Result<()>;
}

/// An opened store of any backend.
pub struct Store(Box<dyn Backend>);

impl Store {
    pub fn new(backend: impl Backend + 'static) -> Store {
        Store(Box::new(backend))
    }
}

impl Deref for Store {
    type Target = dyn Backend;
    fn deref(&self) -> &Self::Target {
        self.0.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn incomplete_months_are_failed_partial_or_never_fetched_and_ended() {
        let m = |s: &str| s.parse::<Month>().unwrap();
        let at = |m: Month, days: i64| m.end_utc() + chrono::Duration::days(days);
        let c = |month: Month, records: u64, fetched_at| MonthCoverage {
            month,
            records,
            rejected: 0,
            fetched_at,
        };
        let coverage = [
            c(m("2022-01"), 100, at(m("2022-01"), 3)),
            c(m("2022-02"), 100, at(m("2022-02"), -2)), // fetched while under way
            c(m("2022-03"), 0, at(m("2022-03"), 3)),    // an empty answer for a past month
            c(m("2022-05"), 100, at(m("2022-05"), 3)),
        ];
        let now = Utc.with_ymd_and_hms(2022, 6, 15, 0, 0, 0).unwrap();
        let first_month = m("2021-01");
        // 2022-04 never fetched; 2022-06 is under way (not ended): not named.
        assert_eq!(
            incomplete_months(&coverage, m("2022-01"), m("2022-12"), first_month, now),
            [m("2022-02"), m("2022-03"), m("2022-04")]
        );
        // Before the dataset's first month nothing is missing.
        assert!(incomplete_months(&coverage, m("2020-01"), m("2022-01"), m("2022-01"), now).is_empty());
        assert_eq!(complete_at(&coverage, m("2022-05"), first_month), Some(at(m("2022-05"), 3)));
    }
}
