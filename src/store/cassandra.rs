//! Cassandra / ScyllaDB as a sink and a read store (`scylla` crate, CQL v4, prepared statements).
//!
//! A table per dataset (the catalogue's `table`), partitioned `((<entity>, grp, year),
//! start_time)` with the entity column named as in the export (`price_area`, `municipality`,
//! `grid_area`) and `year` the local (Europe/Oslo) year: a month's curve is one partition slice,
//! and a partition holds at most a year of one series (35,136 quarter-hours, about 1.5 MB).
//! Beside them: `series_by_entity ((dataset), entity, grp, year)` lists the partitions,
//! `entities ((kind), id)` names them, `rollup_day ((dataset, entity, grp, year), day)` and
//! `rollup_month ((dataset, entity, grp), month)` hold the sums, counts, minima and maxima,
//! `fetched_windows` the months fetched, `schema_version` the layout (2; version 1 is
//! upgraded on open).
//!
//! Newest `lastUpdatedTime` wins through the write timestamp: every cell is written
//! `USING TIMESTAMP <lastUpdatedTime in µs>`, so Cassandra's last-write-wins keeps the newest
//! revision whatever order writes arrive in, idempotently, with no Paxos round per row (a
//! lightweight transaction would cost four round trips per record). Before writing a window,
//! one read per partition slice finds what is stored, to count new / updated / unchanged, to
//! skip unchanged rows (which also keeps an equal timestamp from letting Cassandra's value
//! tie-break replace a stored value), and to compute the rollups of the final values.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Datelike, Utc};
use futures_util::{StreamExt, TryStreamExt};
use scylla::client::session::Session;
use scylla::client::session_builder::SessionBuilder;
use scylla::statement::batch::{Batch, BatchType};
use scylla::statement::prepared::PreparedStatement;
use scylla::value::MaybeUnset;

use super::merge::{merge, StoredValue};
use super::rollup::{month_of_days, months_with_days, DayRollup};
use super::{
    Backend, Checkpoint, MonthCoverage, Period, Result, Rollup, Scope, StepValue, StoreError, StoreKind,
    UpsertStats,
};
use crate::model::{
    instant, month_key, year_bounds_utc, Dataset, Entity, EntityKind, Month, Point, Record, SeriesKey,
    WindowData, LOCAL_TZ,
};

/// The schema this program writes; `schema_version` lets a later one migrate.
pub const SCHEMA_VERSION: i32 = 2;
/// Single statements of one kind in flight at once (the window's reads; its entity and
/// series-list writes).
const CONCURRENCY: usize = 64;
/// Rows in one unlogged batch of one partition: about 16 KB, well under Cassandra's 50 KB
/// failure threshold (64 rows, under its 5 KB warning, gave 67,000 records/s on one node
/// where 250 give 130,000).
const BATCH_ROWS: usize = 250;
/// Batches in flight at once.
const IN_FLIGHT: usize = 32;
/// Series whose rollups are written at once (each has its own days in flight).
const ROLLUP_SERIES: usize = 8;

/// How to reach the cluster and where the data goes.
#[derive(Debug, Clone, PartialEq)]
pub struct CassandraSettings {
    /// `host:port` contact points.
    pub contact_points: Vec<String>,
    pub keyspace: String,
    /// The replication map of `CREATE KEYSPACE`, e.g. `{'class': 'SimpleStrategy', 'replication_factor': 1}`.
    pub replication: String,
    /// Prefer this datacenter for requests (a multi-DC cluster).
    pub local_datacenter: Option<String>,
    pub username: Option<String>,
    /// From the environment only; never printed.
    pub password: Option<String>,
    pub connect_timeout: Duration,
    /// Connect with TLS, trusting the web PKI roots and `tls_ca_file` (PEM) if given.
    pub tls: bool,
    pub tls_ca_file: Option<std::path::PathBuf>,
    /// Of every write and read (`consistency` under `[cassandra]`).
    pub consistency: Consistency,
}

/// The consistency level of the store's writes and reads, as `config.toml` spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Consistency {
    One,
    Two,
    Three,
    Quorum,
    #[default]
    LocalQuorum,
    EachQuorum,
    All,
    LocalOne,
}

impl Consistency {
    pub fn as_str(self) -> &'static str {
        match self {
            Consistency::One => "one",
            Consistency::Two => "two",
            Consistency::Three => "three",
            Consistency::Quorum => "quorum",
            Consistency::LocalQuorum => "local_quorum",
            Consistency::EachQuorum => "each_quorum",
            Consistency::All => "all",
            Consistency::LocalOne => "local_one",
        }
    }

    fn level(self) -> scylla::statement::Consistency {
        use scylla::statement::Consistency as C;
        match self {
            Consistency::One => C::One,
            Consistency::Two => C::Two,
            Consistency::Three => C::Three,
            Consistency::Quorum => C::Quorum,
            Consistency::LocalQuorum => C::LocalQuorum,
            Consistency::EachQuorum => C::EachQuorum,
            Consistency::All => C::All,
            Consistency::LocalOne => C::LocalOne,
        }
    }
}

impl CassandraSettings {
    pub fn hosts(&self) -> String {
        self.contact_points.join(",")
    }
}

/// The statements of one dataset's table, prepared once.
struct TableStatements {
    insert: PreparedStatement,
    slice: PreparedStatement,
    steps: PreparedStatement,
    records: PreparedStatement,
    count: PreparedStatement,
}

/// The statements of the shared tables.
struct Shared {
    add_series: PreparedStatement,
    series: PreparedStatement,
    add_entity: PreparedStatement,
    entities: PreparedStatement,
    add_day: PreparedStatement,
    days: PreparedStatement,
    add_month: PreparedStatement,
    months: PreparedStatement,
    checkpoint: PreparedStatement,
    coverage: PreparedStatement,
    add_synced: PreparedStatement,
    synced: PreparedStatement,
}

pub struct CassandraStore {
    session: Session,
    settings: CassandraSettings,
    tables: Vec<TableStatements>,
    shared: Shared,
}

/// `CREATE` statements for the keyspace and its tables, in order.
pub fn schema_statements(keyspace: &str, replication: &str) -> Vec<String> {
    let mut out = vec![format!("CREATE KEYSPACE IF NOT EXISTS {keyspace} WITH replication = {replication}")];
    for dataset in Dataset::all() {
        let entity = dataset.entity().column();
        out.push(format!(
            "CREATE TABLE IF NOT EXISTS {keyspace}.{} (
                {entity} text, grp text, year int, start_time timestamp,
                quantity_kwh double, last_updated timestamp, metering_points int,
                PRIMARY KEY (({entity}, grp, year), start_time)
            ) WITH CLUSTERING ORDER BY (start_time ASC)",
            dataset.spec().table
        ));
    }
    out.push(format!(
        "CREATE TABLE IF NOT EXISTS {keyspace}.series_by_entity (
            dataset text, entity text, grp text, year int, PRIMARY KEY ((dataset), entity, grp, year))"
    ));
    out.push(format!(
        "CREATE TABLE IF NOT EXISTS {keyspace}.entities (kind text, id text, name text, price_area text, PRIMARY KEY ((kind), id))"
    ));
    out.push(format!(
        "CREATE TABLE IF NOT EXISTS {keyspace}.rollup_day (
            dataset text, entity text, grp text, year int, day int, kwh double, n bigint, min_kwh double, max_kwh double,
            PRIMARY KEY ((dataset, entity, grp, year), day))"
    ));
    out.push(format!(
        "CREATE TABLE IF NOT EXISTS {keyspace}.rollup_month (
            dataset text, entity text, grp text, month int, kwh double, n bigint, min_kwh double, max_kwh double,
            PRIMARY KEY ((dataset, entity, grp), month))"
    ));
    out.push(format!(
        "CREATE TABLE IF NOT EXISTS {keyspace}.fetched_windows (
            dataset text, month text, start_time timestamp, end_time timestamp, fetched_at timestamp,
            records bigint, rejected bigint,
            PRIMARY KEY ((dataset), month))"
    ));
    // Added after schema 2 without a version change: older programs never read it.
    out.push(format!(
        "CREATE TABLE IF NOT EXISTS {keyspace}.synced (dataset text, month text, synced_at timestamp, PRIMARY KEY ((dataset), month))"
    ));
    out.push(format!(
        "CREATE TABLE IF NOT EXISTS {keyspace}.schema_version (id int PRIMARY KEY, version int)"
    ));
    out
}

/// The upsert of one record; its write timestamp is the record's `lastUpdatedTime`.
pub fn insert_cql(keyspace: &str, dataset: Dataset) -> String {
    format!(
        "INSERT INTO {keyspace}.{} ({}, grp, year, start_time, quantity_kwh, last_updated, metering_points)
         VALUES (?, ?, ?, ?, ?, ?, ?) USING TIMESTAMP ?",
        dataset.spec().table,
        dataset.entity().column()
    )
}

/// The local year of an instant: the partition a record belongs to.
pub fn partition_year(t: DateTime<Utc>) -> i32 {
    t.with_timezone(&LOCAL_TZ).year()
}

/// The bound values of `insert_cql` for a point of a series. A dataset without metering
/// points leaves the column unset rather than null, which would write a tombstone.
#[allow(clippy::type_complexity)]
pub fn insert_values<'a>(
    series: &'a SeriesKey,
    p: &Point,
) -> (&'a str, &'a str, i32, DateTime<Utc>, f64, DateTime<Utc>, MaybeUnset<i32>, i64) {
    let points = match p.metering_points {
        Some(n) => MaybeUnset::Set(n.min(i32::MAX as u32) as i32),
        None => MaybeUnset::Unset,
    };
    let start = instant(p.start);
    (
        series.entity.as_str(),
        series.group.as_str(),
        partition_year(start),
        start,
        p.kwh,
        instant(p.updated),
        points,
        p.updated * 1_000_000,
    )
}

/// A row of the `records` query: start_time, quantity_kwh, last_updated, metering_points.
pub type RecordRow = (DateTime<Utc>, f64, DateTime<Utc>, Option<i32>);

/// A row of the `records` query as a record.
pub fn decode_row(dataset: Dataset, series: &SeriesKey, row: RecordRow) -> Record {
    let (start, kwh, updated, points) = row;
    let p = Point {
        start: start.timestamp(),
        kwh,
        updated: updated.timestamp(),
        metering_points: points.map(|p| p.max(0) as u32),
    };
    Record::new(dataset, &series.entity, &series.group, &p)
}

/// A rollup row: key, kwh, n, min, max.
type RollupRow = (i32, f64, i64, f64, f64);

impl CassandraStore {
    /// Connects, creates the schema if absent, checks or upgrades its version and prepares the
    /// statements.
    pub async fn open(settings: CassandraSettings) -> Result<CassandraStore> {
        let hosts = settings.hosts();
        if settings.contact_points.is_empty() {
            return Err(StoreError::config("Cassandra needs contact points: --cassandra HOST:PORT[,..]"));
        }
        if !valid_identifier(&settings.keyspace) {
            return Err(StoreError::config(format!(
                "Cassandra keyspace '{}' is not a valid name (letters, digits and _; at most 48)",
                settings.keyspace
            )));
        }
        let session = connect(&settings).await?;
        let e = |e: &dyn std::fmt::Display| describe_in(&settings, &e.to_string());
        let ks = settings.keyspace.clone();
        for cql in schema_statements(&ks, &settings.replication) {
            session.query_unpaged(cql, ()).await.map_err(|x| e(&x))?;
        }
        session.await_schema_agreement().await.map_err(|x| e(&x))?;
        let version: Option<(i32,)> = session
            .query_unpaged(format!("SELECT version FROM {ks}.schema_version WHERE id = 0"), ())
            .await
            .map_err(|x| e(&x))?
            .into_rows_result()
            .map_err(|x| e(&x))?
            .maybe_first_row::<(i32,)>()
            .map_err(|x| e(&x))?;
        let upgrade = match version {
            None => false,
            Some((1,)) => true,
            Some((v,)) if v == SCHEMA_VERSION => false,
            Some((v,)) => {
                return Err(StoreError::config(format!(
                    "Cassandra keyspace {ks} at {hosts} has schema version {v}, this program knows version {SCHEMA_VERSION}"
                )))
            }
        };
        let prepare = |cql: String| {
            let session = &session;
            let hosts = hosts.clone();
            async move {
                let mut statement =
                    session.prepare(cql).await.map_err(|x| describe(&hosts, &x.to_string()))?;
                // Every write is idempotent (USING TIMESTAMP, whole values), every read too: the
                // driver may retry each on another replica.
                statement.set_is_idempotent(true);
                Ok::<_, StoreError>(statement)
            }
        };
        let mut tables = Vec::new();
        for dataset in Dataset::all() {
            let (t, entity) = (dataset.spec().table, dataset.entity().column());
            let insert = prepare(insert_cql(&ks, dataset)).await?;
            let select = |columns: &str, upper: &str| {
                format!(
                    "SELECT {columns} FROM {ks}.{t} WHERE {entity} = ? AND grp = ? AND year = ? AND start_time >= ? AND start_time {upper} ?"
                )
            };
            tables.push(TableStatements {
                insert,
                slice: prepare(select("start_time, quantity_kwh, last_updated", "<")).await?,
                steps: prepare(select("start_time, quantity_kwh", "<")).await?,
                records: prepare(select("start_time, quantity_kwh, last_updated, metering_points", "<"))
                    .await?,
                count: prepare(format!(
                    "SELECT COUNT(*) FROM {ks}.{t} WHERE {entity} = ? AND grp = ? AND year = ?"
                ))
                .await?,
            });
        }
        let shared = Shared {
            add_series: prepare(format!("INSERT INTO {ks}.series_by_entity (dataset, entity, grp, year) VALUES (?, ?, ?, ?)")).await?,
            series: prepare(format!("SELECT entity, grp, year FROM {ks}.series_by_entity WHERE dataset = ?")).await?,
            add_entity: prepare(format!("INSERT INTO {ks}.entities (kind, id, name, price_area) VALUES (?, ?, ?, ?)")).await?,
            entities: prepare(format!("SELECT id, name, price_area FROM {ks}.entities WHERE kind = ?")).await?,
            add_day: prepare(format!(
                "INSERT INTO {ks}.rollup_day (dataset, entity, grp, year, day, kwh, n, min_kwh, max_kwh) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
            ))
            .await?,
            days: prepare(format!(
                "SELECT day, kwh, n, min_kwh, max_kwh FROM {ks}.rollup_day WHERE dataset = ? AND entity = ? AND grp = ? AND year = ? AND day >= ? AND day <= ?"
            ))
            .await?,
            add_month: prepare(format!(
                "INSERT INTO {ks}.rollup_month (dataset, entity, grp, month, kwh, n, min_kwh, max_kwh) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            ))
            .await?,
            months: prepare(format!(
                "SELECT month, kwh, n, min_kwh, max_kwh FROM {ks}.rollup_month WHERE dataset = ? AND entity = ? AND grp = ? AND month >= ? AND month <= ?"
            ))
            .await?,
            checkpoint: prepare(format!(
                "INSERT INTO {ks}.fetched_windows (dataset, month, start_time, end_time, fetched_at, records, rejected)
                 VALUES (?, ?, ?, ?, ?, ?, ?)"
            ))
            .await?,
            coverage: prepare(format!("SELECT month, records, rejected, fetched_at FROM {ks}.fetched_windows WHERE dataset = ?")).await?,
            add_synced: prepare(format!("INSERT INTO {ks}.synced (dataset, month, synced_at) VALUES (?, ?, ?)")).await?,
            synced: prepare(format!("SELECT month, synced_at FROM {ks}.synced WHERE dataset = ?")).await?,
        };
        let store = CassandraStore { session, settings, tables, shared };
        if upgrade {
            store.upgrade_from_1().await?;
        }
        if upgrade || version.is_none() {
            store
                .session
                .query_unpaged(
                    format!("INSERT INTO {ks}.schema_version (id, version) VALUES (0, {SCHEMA_VERSION})"),
                    (),
                )
                .await
                .map_err(|x| store.error(x))?;
        }
        Ok(store)
    }

    /// Version 1 listed partitions in `series (dataset, price_area, grp, year)` and had no
    /// entities or rollups: copy the list, name the areas, and build the rollups.
    async fn upgrade_from_1(&self) -> Result<()> {
        let ks = &self.settings.keyspace;
        let rows: Vec<(String, String, String, i32)> = self
            .session
            .query_unpaged(format!("SELECT dataset, price_area, grp, year FROM {ks}.series"), ())
            .await
            .map_err(|x| self.error(x))?
            .into_rows_result()
            .map_err(|x| self.error(x))?
            .rows::<(String, String, String, i32)>()
            .map_err(|x| self.error(x))?
            .collect::<std::result::Result<_, _>>()
            .map_err(|x| self.error(x))?;
        for (dataset, area, group, year) in &rows {
            self.execute(&self.shared.add_series, (dataset.as_str(), area.as_str(), group.as_str(), *year))
                .await?;
            self.execute(
                &self.shared.add_entity,
                ("price-areas", area.as_str(), area.as_str(), None::<&str>),
            )
            .await?;
        }
        for dataset in Dataset::all() {
            self.rebuild_rollups(dataset).await?;
        }
        tracing::info!(keyspace = %ks, "upgraded the Cassandra keyspace to schema {SCHEMA_VERSION}");
        Ok(())
    }

    fn table(&self, dataset: Dataset) -> &TableStatements {
        &self.tables[dataset.index()]
    }

    fn error(&self, e: impl std::fmt::Display) -> StoreError {
        describe_in(&self.settings, &e.to_string())
    }

    async fn execute(
        &self,
        stmt: &PreparedStatement,
        values: impl scylla::serialize::row::SerializeRow,
    ) -> Result<()> {
        self.session.execute_unpaged(stmt, values).await.map(|_| ()).map_err(|e| self.error(e))
    }

    /// Rows of a prepared query, all pages.
    async fn rows<T>(
        &self,
        stmt: &PreparedStatement,
        values: impl scylla::serialize::row::SerializeRow,
    ) -> Result<Vec<T>>
    where
        T: for<'f, 'm> scylla::deserialize::row::DeserializeRow<'f, 'm> + Send + 'static,
    {
        let pager = self.session.execute_iter(stmt.clone(), values).await.map_err(|e| self.error(e))?;
        pager.rows_stream::<T>().map_err(|e| self.error(e))?.try_collect().await.map_err(|e| self.error(e))
    }

    /// Partitions present: (series, years), sorted by series.
    async fn partitions(&self, dataset: Dataset) -> Result<Vec<(SeriesKey, Vec<i32>)>> {
        let rows: Vec<(String, String, i32)> = self.rows(&self.shared.series, (dataset.as_str(),)).await?;
        let mut out: Vec<(SeriesKey, Vec<i32>)> = Vec::new();
        for (entity, group, year) in rows {
            match out.last_mut() {
                Some((k, years)) if k.entity == entity && k.group == group => years.push(year),
                _ => out.push((SeriesKey { entity, group }, vec![year])),
            }
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }

    /// One unlogged batch of `statement` over `rows`, all of one partition (one mutation on one
    /// replica set), idempotent like every statement here.
    async fn write_batch<T: scylla::serialize::row::SerializeRow>(
        &self,
        statement: &PreparedStatement,
        rows: Vec<T>,
    ) -> Result<()> {
        let mut batch = Batch::new(BatchType::Unlogged);
        for _ in &rows {
            batch.append_statement(statement.clone());
        }
        batch.set_is_idempotent(true);
        self.session.batch(&batch, rows).await.map(|_| ()).map_err(|e| self.error(e))
    }

    /// Writes day rollups (unlogged batches of their partition), then each touched month again
    /// from its days: from `days` when they are the months' whole days (`whole`: a window of
    /// whole months, or a rebuild), else from the days stored.
    async fn write_rollups(
        &self,
        dataset: Dataset,
        key: &SeriesKey,
        year: i32,
        days: &[DayRollup],
        whole: bool,
    ) -> Result<()> {
        let d = dataset.as_str();
        for chunk in days.chunks(BATCH_ROWS) {
            let rows = chunk
                .iter()
                .map(|r| {
                    (
                        d,
                        key.entity.as_str(),
                        key.group.as_str(),
                        year,
                        r.day,
                        r.kwh,
                        r.count as i64,
                        r.min,
                        r.max,
                    )
                })
                .collect();
            self.write_batch(&self.shared.add_day, rows).await?;
        }
        for (month, given) in months_with_days(days) {
            let m = if whole {
                month
            } else {
                let rows: Vec<RollupRow> = self
                    .rows(
                        &self.shared.days,
                        (
                            d,
                            key.entity.as_str(),
                            key.group.as_str(),
                            year,
                            month.day * 100,
                            month.day * 100 + 99,
                        ),
                    )
                    .await?;
                let all: Vec<DayRollup> = rows
                    .into_iter()
                    .map(|(day, kwh, n, min, max)| DayRollup { day, kwh, count: n as u64, min, max })
                    .collect();
                let Some(m) = month_of_days(if all.is_empty() { given } else { &all }) else { continue };
                m
            };
            self.execute(
                &self.shared.add_month,
                (d, key.entity.as_str(), key.group.as_str(), m.day, m.kwh, m.count as i64, m.min, m.max),
            )
            .await?;
        }
        Ok(())
    }

    /// Rollups of one series with keys in [from, to].
    async fn series_rollups(
        &self,
        dataset: Dataset,
        key: &SeriesKey,
        years: &[i32],
        period: Period,
        from: i32,
        to: i32,
    ) -> Result<Vec<Rollup>> {
        let d = dataset.as_str();
        let rows: Vec<RollupRow> = match period {
            Period::Month => {
                self.rows(&self.shared.months, (d, key.entity.as_str(), key.group.as_str(), from, to)).await?
            }
            Period::Day => {
                let mut out = Vec::new();
                for year in years.iter().filter(|y| (from / 10_000..=to / 10_000).contains(*y)) {
                    out.extend(
                        self.rows::<RollupRow>(
                            &self.shared.days,
                            (d, key.entity.as_str(), key.group.as_str(), *year, from, to),
                        )
                        .await?,
                    );
                }
                out
            }
        };
        Ok(rows
            .into_iter()
            .map(|(k, kwh, n, min, max)| Rollup {
                group: key.group.clone(),
                key: k,
                kwh,
                count: n as u64,
                min: Some(min),
                max: Some(max),
            })
            .collect())
    }

    /// Drops the keyspace: the test suites' clean-up of their own keyspaces.
    pub async fn drop_keyspace(&self) -> Result<()> {
        self.session
            .query_unpaged(format!("DROP KEYSPACE IF EXISTS {}", self.settings.keyspace), ())
            .await
            .map(|_| ())
            .map_err(|e| self.error(e))
    }
}

/// The driver's default retry decisions (an idempotent statement goes to the next replica after a
/// broken connection, an overloaded or failing node), with two changes found on a three-node
/// cluster with two nodes killed: an idempotent read or write that timed out waiting for its
/// replicas is tried once more on the same coordinator (it answered; by then it may know the
/// dead nodes, and says Unavailable), and an Unavailable answer is not tried elsewhere (the next
/// node in the plan was a dead one, and its "no connections in the pool" hid the lost quorum).
/// Our prepared statements are all idempotent (records carry USING TIMESTAMP, rollups and
/// checkpoints are whole values), so a node that goes down mid-batch costs a retry, not the
/// month.
#[derive(Debug)]
struct Retries;

impl scylla::policies::retry::RetryPolicy for Retries {
    fn new_session(&self) -> Box<dyn scylla::policies::retry::RetrySession> {
        Box::new(RetrySession {
            default: scylla::policies::retry::DefaultRetrySession::new(),
            timed_out: false,
        })
    }
}

struct RetrySession {
    default: scylla::policies::retry::DefaultRetrySession,
    /// A timeout was retried already.
    timed_out: bool,
}

impl scylla::policies::retry::RetrySession for RetrySession {
    fn decide_should_retry(
        &mut self,
        request: scylla::policies::retry::RequestInfo,
    ) -> scylla::policies::retry::RetryDecision {
        match own_decision(request.error, request.is_idempotent, self.timed_out) {
            Some(decision) => {
                self.timed_out |= decision != scylla::policies::retry::RetryDecision::DontRetry;
                decision
            }
            None => self.default.decide_should_retry(request),
        }
    }

    fn reset(&mut self) {
        self.default.reset();
        self.timed_out = false;
    }
}

/// Where `Retries` decides otherwise than the driver: a read or write timeout of an idempotent
/// statement not yet retried for one goes once more to the same coordinator; an Unavailable
/// answer is final. `None`: as the driver decides.
fn own_decision(
    error: &scylla::errors::RequestAttemptError,
    idempotent: bool,
    timed_out: bool,
) -> Option<scylla::policies::retry::RetryDecision> {
    use scylla::errors::{DbError, RequestAttemptError};
    use scylla::policies::retry::RetryDecision;
    match error {
        RequestAttemptError::DbError(DbError::WriteTimeout { .. } | DbError::ReadTimeout { .. }, _)
            if idempotent && !timed_out =>
        {
            Some(RetryDecision::RetrySameTarget(None))
        }
        RequestAttemptError::DbError(DbError::Unavailable { .. }, _) => Some(RetryDecision::DontRetry),
        _ => None,
    }
}

async fn connect(settings: &CassandraSettings) -> Result<Session> {
    let hosts = settings.hosts();
    let mut builder = SessionBuilder::new()
        .known_nodes(&settings.contact_points)
        .connection_timeout(settings.connect_timeout);
    if let (Some(user), Some(password)) = (&settings.username, &settings.password) {
        builder = builder.user(user.clone(), password.clone());
    }
    if settings.tls {
        builder = builder.tls_context(Some(tls_config(settings.tls_ca_file.as_deref())?));
    }
    // Every statement at the configured consistency, retried as `Retries` decides.
    let mut profile = scylla::client::execution_profile::ExecutionProfile::builder()
        .consistency(settings.consistency.level())
        .retry_policy(std::sync::Arc::new(Retries));
    if let Some(dc) = &settings.local_datacenter {
        let policy =
            scylla::policies::load_balancing::DefaultPolicy::builder().prefer_datacenter(dc.clone()).build();
        profile = profile.load_balancing_policy(policy);
    }
    builder = builder.default_execution_profile_handle(profile.build().into_handle());
    tokio::time::timeout(settings.connect_timeout * 2, builder.build())
        .await
        .map_err(|_| {
            StoreError::unavailable(format!(
                "Cassandra at {hosts} cannot be reached: no answer within {:?}",
                settings.connect_timeout * 2
            ))
        })?
        .map_err(|e| describe(&hosts, &e.to_string()))
}

#[async_trait]
impl Backend for CassandraStore {
    fn kind(&self) -> StoreKind {
        StoreKind::Cassandra
    }

    /// `cassandra://host:port/keyspace`, without credentials.
    fn location(&self) -> String {
        format!("cassandra://{}/{}", self.settings.hosts(), self.settings.keyspace)
    }

    fn summary_note(&self) -> Option<String> {
        Some(format!("consistency {}", self.settings.consistency.as_str()))
    }

    async fn write_window(
        &self,
        data: &Arc<WindowData>,
        checkpoint: Option<&Checkpoint>,
    ) -> Result<UpsertStats> {
        let dataset = data.dataset;
        let t = self.table(dataset);
        let entities: Vec<_> = data
            .entities
            .iter()
            .map(|e| {
                self.execute(
                    &self.shared.add_entity,
                    (e.kind.as_str(), e.id.as_str(), e.name.as_str(), e.price_area.as_deref()),
                )
            })
            .collect();
        // A window is whole local days of one month, so of one local year: one partition a series.
        let year = partition_year(data.window.start);
        let bounds = data.window.day_bounds();
        let mut stats = UpsertStats::default();
        // The stored values of every series, CONCURRENCY reads in flight.
        // (Collected first: a stream over a closure's futures is not Send inside async_trait.)
        let reads: Vec<_> = data
            .series
            .iter()
            .map(|s| {
                self.rows::<(DateTime<Utc>, f64, DateTime<Utc>)>(
                    &t.slice,
                    (s.key.entity.as_str(), s.key.group.as_str(), year, data.window.start, data.window.end),
                )
            })
            .collect();
        let stored: Vec<Vec<_>> =
            futures_util::stream::iter(reads).buffered(CONCURRENCY).try_collect().await?;
        let mut writes: Vec<(&SeriesKey, Vec<&Point>)> = Vec::new();
        let mut rollups: Vec<(&SeriesKey, Vec<DayRollup>)> = Vec::new();
        for (s, rows) in data.series.iter().zip(stored) {
            let stored: Vec<StoredValue> = rows
                .into_iter()
                .map(|(start, kwh, updated)| (start.timestamp(), kwh, updated.timestamp()))
                .collect();
            let merged = merge(&s.points, &stored, &bounds);
            stats.add(merged.stats);
            writes.push((&s.key, merged.writes));
            rollups.push((&s.key, merged.days));
        }
        let listed: Vec<_> = data
            .series
            .iter()
            .map(|s| {
                self.execute(
                    &self.shared.add_series,
                    (dataset.as_str(), s.key.entity.as_str(), s.key.group.as_str(), year),
                )
            })
            .collect();
        // Unlogged batches of one partition each (a series' year: one replica set, one
        // mutation), at most IN_FLIGHT in flight.
        let batches: Vec<_> = writes
            .iter()
            .flat_map(|(key, points)| {
                points.chunks(BATCH_ROWS).map(|chunk| {
                    self.write_batch(&t.insert, chunk.iter().map(|p| insert_values(key, p)).collect())
                })
            })
            .collect();
        // A window of whole months (the usual fetch) has every day of its months in the merge.
        let (first, after) = (bounds.first().map(|b| b.0.day()), bounds.last().map(|b| b.0.day()));
        let whole = first == Some(1) && after == Some(1);
        let rollups: Vec<_> =
            rollups.iter().map(|(key, days)| self.write_rollups(dataset, key, year, days, whole)).collect();
        // The entities, the series listed, the records and the rollups at once (none depends
        // on another); the checkpoint goes last: a crash before it leaves the month to be
        // fetched again.
        futures_util::try_join!(
            futures_util::stream::iter(entities).buffer_unordered(CONCURRENCY).try_collect::<()>(),
            futures_util::stream::iter(listed).buffer_unordered(CONCURRENCY).try_collect::<()>(),
            futures_util::stream::iter(batches).buffer_unordered(IN_FLIGHT).try_collect::<()>(),
            futures_util::stream::iter(rollups).buffer_unordered(ROLLUP_SERIES).try_collect::<()>(),
        )?;
        if let Some(c) = checkpoint {
            self.execute(
                &self.shared.checkpoint,
                (
                    dataset.as_str(),
                    c.month.to_string(),
                    c.window.start,
                    c.window.end,
                    c.fetched_at,
                    c.records as i64,
                    c.rejected as i64,
                ),
            )
            .await?;
        }
        Ok(stats)
    }

    async fn series(&self, dataset: Dataset) -> Result<Vec<SeriesKey>> {
        Ok(self.partitions(dataset).await?.into_iter().map(|(k, _)| k).collect())
    }

    async fn entities(&self, kind: EntityKind) -> Result<Vec<Entity>> {
        let rows: Vec<(String, Option<String>, Option<String>)> =
            self.rows(&self.shared.entities, (kind.as_str(),)).await?;
        Ok(rows
            .into_iter()
            .map(|(id, name, price_area)| Entity {
                kind,
                name: name.unwrap_or_else(|| id.clone()),
                id,
                price_area,
            })
            .collect())
    }

    async fn series_records(
        &self,
        dataset: Dataset,
        series: &SeriesKey,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Record>> {
        let mut out = Vec::new();
        for year in self.years_of(dataset, series, from, to).await? {
            let (ys, ye) = year_bounds_utc(year);
            let rows: Vec<RecordRow> = self
                .rows(
                    &self.table(dataset).records,
                    (series.entity.as_str(), series.group.as_str(), year, from.max(ys), to.min(ye)),
                )
                .await?;
            out.extend(rows.into_iter().map(|row| decode_row(dataset, series, row)));
        }
        Ok(out)
    }

    async fn steps(
        &self,
        dataset: Dataset,
        series: &SeriesKey,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<StepValue>> {
        let mut out = Vec::new();
        for year in self.years_of(dataset, series, from, to).await? {
            let (ys, ye) = year_bounds_utc(year);
            let rows: Vec<(DateTime<Utc>, f64)> = self
                .rows(
                    &self.table(dataset).steps,
                    (series.entity.as_str(), series.group.as_str(), year, from.max(ys), to.min(ye)),
                )
                .await?;
            out.extend(rows.into_iter().map(|(start, kwh)| StepValue { start, kwh }));
        }
        Ok(out)
    }

    async fn rollups(
        &self,
        dataset: Dataset,
        scope: &Scope,
        period: Period,
        from: i32,
        to: i32,
    ) -> Result<Vec<Rollup>> {
        let partitions: Vec<(SeriesKey, Vec<i32>)> = self
            .partitions(dataset)
            .await?
            .into_iter()
            .filter(|(k, _)| match scope {
                Scope::Entity(e) => &k.entity == e,
                Scope::All => true,
            })
            .collect();
        let mut rows = Vec::new();
        let queries: Vec<_> = partitions
            .iter()
            .map(|(key, years)| self.series_rollups(dataset, key, years, period, from, to))
            .collect();
        let mut pending = futures_util::stream::iter(queries).buffered(CONCURRENCY);
        while let Some(r) = pending.next().await {
            rows.extend(r?);
        }
        Ok(match scope {
            Scope::Entity(_) => rows,
            Scope::All => super::rollup::sum_over_entities(rows),
        })
    }

    async fn entities_with_data(&self, dataset: Dataset, month: Month) -> Result<Vec<String>> {
        let key = month_key(month);
        let rows = self.rollups(dataset, &Scope::All, Period::Month, key, key).await?;
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        // Rollups of all entities are summed over them: ask each series' month instead.
        let partitions = self.partitions(dataset).await?;
        let queries: Vec<_> = partitions
            .iter()
            .map(|(k, years)| async move {
                let r = self.series_rollups(dataset, k, years, Period::Month, key, key).await?;
                Ok::<_, StoreError>(r.iter().any(|r| r.count > 0).then(|| k.entity.clone()))
            })
            .collect();
        let mut pending = futures_util::stream::iter(queries).buffered(CONCURRENCY);
        let mut out = Vec::new();
        while let Some(r) = pending.next().await {
            out.extend(r?);
        }
        out.sort();
        out.dedup();
        Ok(out)
    }

    async fn coverage(&self, dataset: Dataset) -> Result<Vec<MonthCoverage>> {
        let rows: Vec<(String, i64, i64, DateTime<Utc>)> =
            self.rows(&self.shared.coverage, (dataset.as_str(),)).await?;
        let mut out: Vec<MonthCoverage> = rows
            .into_iter()
            .filter_map(|(month, records, rejected, fetched_at)| {
                Some(MonthCoverage {
                    month: month.parse().ok()?,
                    records: records as u64,
                    rejected: rejected as u64,
                    fetched_at,
                })
            })
            .collect();
        out.sort_by_key(|c| c.month);
        Ok(out)
    }

    async fn synced(&self, dataset: Dataset) -> Result<Vec<(Month, DateTime<Utc>)>> {
        let rows: Vec<(String, DateTime<Utc>)> = self.rows(&self.shared.synced, (dataset.as_str(),)).await?;
        let mut out: Vec<(Month, DateTime<Utc>)> =
            rows.into_iter().filter_map(|(m, at)| Some((m.parse().ok()?, at))).collect();
        out.sort_by_key(|(m, _)| *m);
        Ok(out)
    }

    async fn set_synced(&self, dataset: Dataset, months: &[Month], at: DateTime<Utc>) -> Result<()> {
        for month in months {
            self.execute(&self.shared.add_synced, (dataset.as_str(), month.to_string(), at)).await?;
        }
        Ok(())
    }

    async fn replace_rollups(&self, dataset: Dataset, key: &SeriesKey, days: &[DayRollup]) -> Result<()> {
        let ks = &self.settings.keyspace;
        let d = dataset.as_str();
        // Whole partitions go first (one tombstone each), so no rollup without records stays:
        // the years of the records and those the series is listed in (a crash in a year's first
        // window can leave rollups of a year whose records were not written).
        let (from, to) = crate::model::all_time_utc();
        let mut years: Vec<i32> = days.iter().map(|r| r.day / 10_000).collect();
        years.extend(self.years_of(dataset, key, from, to).await?);
        years.sort();
        years.dedup();
        for year in &years {
            self.session
                .query_unpaged(
                    format!("DELETE FROM {ks}.rollup_day WHERE dataset = ? AND entity = ? AND grp = ? AND year = ?"),
                    (d, key.entity.as_str(), key.group.as_str(), *year),
                )
                .await
                .map_err(|e| self.error(e))?;
        }
        self.session
            .query_unpaged(
                format!("DELETE FROM {ks}.rollup_month WHERE dataset = ? AND entity = ? AND grp = ?"),
                (d, key.entity.as_str(), key.group.as_str()),
            )
            .await
            .map_err(|e| self.error(e))?;
        for year in days.chunk_by(|a, b| a.day / 10_000 == b.day / 10_000) {
            self.write_rollups(dataset, key, year[0].day / 10_000, year, true).await?;
        }
        Ok(())
    }

    async fn count(&self, dataset: Dataset) -> Result<u64> {
        let mut total = 0u64;
        for (key, years) in self.partitions(dataset).await? {
            for year in years {
                let rows: Vec<(i64,)> = self
                    .rows(&self.table(dataset).count, (key.entity.as_str(), key.group.as_str(), year))
                    .await?;
                total += rows.first().map_or(0, |r| r.0 as u64);
            }
        }
        Ok(total)
    }

    async fn destroy(&self) -> Result<()> {
        self.drop_keyspace().await
    }
}

impl CassandraStore {
    /// The partition years of a series that overlap [from, to).
    async fn years_of(
        &self,
        dataset: Dataset,
        series: &SeriesKey,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<i32>> {
        let years = self
            .partitions(dataset)
            .await?
            .into_iter()
            .find(|(k, _)| k == series)
            .map(|(_, y)| y)
            .unwrap_or_default();
        Ok(years
            .into_iter()
            .filter(|y| {
                let (ys, ye) = year_bounds_utc(*y);
                ye > from && ys < to
            })
            .collect())
    }
}

/// A rustls client configuration trusting the web PKI roots and, if given, a PEM file of CAs
/// (a cluster's own CA, as most Cassandra deployments use).
pub fn tls_config(ca_file: Option<&std::path::Path>) -> Result<Arc<rustls::ClientConfig>> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::CertificateDer;
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = ca_file {
        let bad = |e: String| StoreError::config(format!("Cassandra TLS CA file {}: {e}", path.display()));
        let certs = CertificateDer::pem_file_iter(path).map_err(|e| bad(e.to_string()))?;
        let mut added = 0;
        for cert in certs {
            roots.add(cert.map_err(|e| bad(e.to_string()))?).map_err(|e| bad(e.to_string()))?;
            added += 1;
        }
        if added == 0 {
            return Err(bad("no certificate in it".into()));
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| StoreError::config(format!("Cassandra TLS: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// A CQL identifier we can put in statements unquoted.
pub fn valid_identifier(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 48
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit())
}

/// As `describe`, and a coordinator's answer that too few replicas are alive, or answered in
/// time, named as such for the keyspace: a node answered, so the cluster is not "unreachable".
fn describe_in(settings: &CassandraSettings, message: &str) -> StoreError {
    match quorum_lost(&settings.hosts(), &settings.keyspace, &settings.replication, message) {
        Some(e) => {
            tracing::warn!(hosts = %settings.hosts(), "Cassandra: {message}");
            e
        }
        None => describe(&settings.hosts(), message),
    }
}

/// The Unavailable, write-timeout and read-timeout answers of a coordinator (the driver's text:
/// `… (consistency: Quorum, required: 2, alive: 1)`) as one line, with the keyspace's
/// replication factor where the replication map gives one.
fn quorum_lost(hosts: &str, keyspace: &str, replication: &str, message: &str) -> Option<StoreError> {
    let number = |text: &str, name: &str| -> Option<i64> {
        let at = text.find(name)? + name.len();
        let digits: String = text[at..]
            .trim_start_matches([':', ' ', '\'', '"'])
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().ok()
    };
    let at = message.find("consistency: ")? + "consistency: ".len();
    let level: String = message[at..].chars().take_while(char::is_ascii_alphanumeric).collect();
    // `LocalQuorum` as the setting spells it: `local_quorum`.
    let mut consistency = String::new();
    for (i, c) in level.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            consistency.push('_');
        }
        consistency.push(c.to_ascii_lowercase());
    }
    let required = number(&message[at..], "required")?;
    let of = number(replication, "replication_factor").map(|rf| format!(" of {rf}")).unwrap_or_default();
    let replicas = |n: i64| if n == 1 && of.is_empty() { "replica" } else { "replicas" };
    if message.contains("Not enough nodes are alive") {
        let alive = number(&message[at..], "alive")?;
        let lost = if consistency.contains("quorum") { "quorum lost" } else { "too few replicas alive" };
        return Some(StoreError::unavailable(format!(
            "Cassandra at {hosts}: {alive}{of} {} alive for {keyspace}, {consistency} needs {required}: {lost} (a rerun once nodes are back completes what was missed)",
            replicas(alive)
        )));
    }
    if message.contains("Not enough nodes responded") {
        let received = number(&message[at..], "received")?;
        return Some(StoreError::runtime(format!(
            "Cassandra at {hosts}: {received}{of} {} answered in time for {keyspace}, {consistency} needs {required}",
            replicas(received)
        )));
    }
    None
}

/// One line naming Cassandra and the hosts, sorted into the cases a user acts on differently.
pub fn describe(hosts: &str, message: &str) -> StoreError {
    let lower = message.split_whitespace().collect::<Vec<_>>().join(" ").to_ascii_lowercase();
    // The cause whole in the log; on the line, shortened at a word.
    tracing::warn!(%hosts, "Cassandra: {message}");
    let detail = crate::model::one_line(message, 200);
    if lower.contains("certificate") {
        StoreError::unavailable(format!(
            "Cassandra at {hosts}: TLS certificate not trusted (give the cluster's CA as tls_ca_file): {detail}"
        ))
    } else if lower.contains("connection setup request") {
        StoreError::unavailable(format!(
            "Cassandra at {hosts}: the connection handshake failed (does the node require TLS? set tls = true): {detail}"
        ))
    } else if lower.contains("authentication")
        || lower.contains("bad credentials")
        || lower.contains("username and/or password")
    {
        StoreError::unavailable(format!("Cassandra at {hosts}: authentication failed ({detail})"))
    } else if lower.contains("unauthorized") || lower.contains("has no") && lower.contains("permission") {
        StoreError::unavailable(format!("Cassandra at {hosts}: not permitted: {detail}"))
    } else if lower.contains("connection refused")
        || lower.contains("could not connect")
        || lower.contains("failed to connect")
    {
        StoreError::unavailable(format!("Cassandra at {hosts} cannot be reached: {detail}"))
    } else if lower.contains("timed out") || lower.contains("timeout") {
        StoreError::runtime(format!("Cassandra at {hosts}: timed out: {detail}"))
    } else {
        StoreError::runtime(format!("Cassandra at {hosts}: {detail}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn point(dataset: Dataset) -> Point {
        Point {
            // 23:00 UTC on New Year's Eve is 00:00 on 1 January local: the 2021 partition.
            start: Utc.with_ymd_and_hms(2020, 12, 31, 23, 0, 0).unwrap().timestamp(),
            kwh: 2507716.8,
            updated: Utc.with_ymd_and_hms(2024, 2, 1, 9, 0, 0).unwrap().timestamp(),
            metering_points: dataset.has_metering_points().then_some(4321),
        }
    }

    #[test]
    fn schema_partitions_by_entity_group_and_local_year() {
        let cql = schema_statements("elhub", "{'class': 'SimpleStrategy', 'replication_factor': 1}");
        assert!(cql[0].starts_with(
            "CREATE KEYSPACE IF NOT EXISTS elhub WITH replication = {'class': 'SimpleStrategy'"
        ));
        assert!(cql[1].contains("elhub.production_hourly"));
        assert!(cql[1].contains("PRIMARY KEY ((price_area, grp, year), start_time)"), "{}", cql[1]);
        assert!(cql.iter().any(|c| c.contains("elhub.consumption_municipality_hourly")
            && c.contains("PRIMARY KEY ((municipality, grp, year)")));
        assert!(cql.iter().any(|c| c.contains("elhub.consumption_grid_area_hourly")
            && c.contains("PRIMARY KEY ((grid_area, grp, year)")));
        for table in [
            "series_by_entity",
            "entities",
            "rollup_day",
            "rollup_month",
            "fetched_windows",
            "synced",
            "schema_version",
        ] {
            assert!(cql.iter().any(|c| c.contains(&format!("elhub.{table} "))), "{table}");
        }
    }

    #[test]
    fn inserts_carry_the_revision_as_write_timestamp() {
        let cql = insert_cql("ks", Dataset::CONSUMPTION_MUNICIPALITY);
        assert!(cql.contains("INSERT INTO ks.consumption_municipality_hourly (municipality, grp,"), "{cql}");
        assert!(cql.trim_end().ends_with("USING TIMESTAMP ?"));
        let key = SeriesKey::new("NO1", "hydro");
        let p = point(Dataset::CONSUMPTION);
        let v = insert_values(&key, &p);
        assert_eq!((v.0, v.1, v.2), ("NO1", "hydro", 2021), "local year of the start");
        assert_eq!(v.3, instant(p.start));
        assert_eq!(v.4, 2507716.8);
        assert!(matches!(v.6, MaybeUnset::Set(4321)));
        assert_eq!(v.7, 1_706_778_000_000_000, "lastUpdatedTime in microseconds");
        let production = point(Dataset::PRODUCTION);
        assert!(matches!(insert_values(&key, &production).6, MaybeUnset::Unset), "no null, so no tombstone");
    }

    #[test]
    fn rows_decode_back_to_records() {
        for dataset in [Dataset::CONSUMPTION, Dataset::PRODUCTION_15MIN] {
            let key = SeriesKey::new("NO1", "hydro");
            let p = point(dataset);
            let row = (instant(p.start), p.kwh, instant(p.updated), p.metering_points.map(|n| n as i32));
            assert_eq!(decode_row(dataset, &key, row), Record::new(dataset, "NO1", "hydro", &p));
        }
    }

    #[test]
    fn tls_needs_a_readable_ca_file_with_certificates() {
        assert!(tls_config(None).is_ok());
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        assert!(tls_config(Some(&empty)).err().unwrap().to_string().contains("no certificate"));
        let missing = dir.path().join("missing.pem");
        assert!(tls_config(Some(&missing)).err().unwrap().to_string().contains("missing.pem"));
    }

    #[test]
    fn keyspace_names_are_checked() {
        assert!(valid_identifier("elhub_test_1"));
        assert!(!valid_identifier("1elhub"));
        assert!(!valid_identifier("elhub; DROP KEYSPACE x"));
        assert!(!valid_identifier(""));
    }

    #[test]
    fn an_idempotent_timeout_is_retried_once() {
        use scylla::errors::{DbError, RequestAttemptError, WriteType};
        let timeout = RequestAttemptError::DbError(
            DbError::WriteTimeout {
                consistency: scylla::statement::Consistency::LocalQuorum,
                received: 1,
                required: 2,
                write_type: WriteType::UnloggedBatch,
            },
            "timed out".into(),
        );
        use scylla::policies::retry::RetryDecision;
        assert_eq!(own_decision(&timeout, true, false), Some(RetryDecision::RetrySameTarget(None)));
        assert_eq!(own_decision(&timeout, true, true), None, "once, then as the driver decides");
        assert_eq!(own_decision(&timeout, false, false), None, "only what is idempotent");
        // A lost quorum is final: the next node of the plan may be a dead one whose pool error
        // would hide it.
        let unavailable = RequestAttemptError::DbError(
            DbError::Unavailable {
                consistency: scylla::statement::Consistency::LocalQuorum,
                required: 2,
                alive: 1,
            },
            "unavailable".into(),
        );
        assert_eq!(own_decision(&unavailable, true, false), Some(RetryDecision::DontRetry));
        let refused = RequestAttemptError::DbError(DbError::Unauthorized, "no".into());
        assert_eq!(own_decision(&refused, true, false), None, "the rest as the driver decides");
    }

    #[test]
    fn a_lost_quorum_is_named_with_the_keyspace_not_as_unreachable() {
        let settings = CassandraSettings {
            contact_points: vec!["127.0.0.1:9042".into()],
            keyspace: "elhub".into(),
            replication: "{'class': 'SimpleStrategy', 'replication_factor': 3}".into(),
            local_datacenter: None,
            username: None,
            password: None,
            connect_timeout: Duration::from_secs(5),
            tls: false,
            tls_ca_file: None,
            consistency: Consistency::default(),
        };
        // The driver's text of the coordinator's Unavailable answer.
        let unavailable = "Database returned an error: Not enough nodes are alive to satisfy required consistency level (consistency: LocalQuorum, required: 2, alive: 1), Error message: Cannot achieve consistency level LOCAL_QUORUM";
        let e = describe_in(&settings, unavailable);
        assert_eq!(
            e.to_string().split(": quorum lost").next(),
            Some("Cassandra at 127.0.0.1:9042: 1 of 3 replicas alive for elhub, local_quorum needs 2"),
            "{e}"
        );
        assert_eq!(e.kind, super::super::ErrorKind::Unavailable);
        assert!(!e.to_string().contains("cannot be reached"), "{e}");
        let timeout = "Database returned an error: Not enough nodes responded to the write request in time to satisfy required consistency level (consistency: Quorum, received: 1, required: 2, write_type: UNLOGGED_BATCH)";
        let e = describe_in(&settings, timeout);
        assert!(e.to_string().contains("1 of 3 replicas answered in time for elhub, quorum needs 2"), "{e}");
        // Anything else is as before: a refused connection cannot be reached.
        let e = describe_in(&settings, "Control connection pool error: Connection refused (os error 111)");
        assert!(e.to_string().contains("cannot be reached"), "{e}");
        // At a level that is no quorum, too few replicas is said as such.
        let all = unavailable.replace("LocalQuorum, required: 2", "All, required: 3");
        let e = describe_in(&settings, &all);
        assert!(
            e.to_string().contains("1 of 3 replicas alive for elhub, all needs 3: too few replicas alive"),
            "{e}"
        );
    }

    #[test]
    fn errors_name_cassandra_the_hosts_and_the_case() {
        let e =
            describe("127.0.0.1:9042", "Control connection pool error: Connection refused (os error 111)");
        assert_eq!(e.to_string().split(':').next(), Some("Cassandra at 127.0.0.1"));
        assert!(e.to_string().contains("cannot be reached"), "{e}");
        assert_eq!(e.kind, super::super::ErrorKind::Unavailable);
        let e = describe("h:9042", "Authentication failed: Provided username and/or password are incorrect");
        assert!(e.to_string().contains("authentication failed"), "{e}");
        let e = describe("h:9042", "Unauthorized: User elhub has no CREATE permission on <all keyspaces>");
        assert!(e.to_string().contains("not permitted"), "{e}");
        let e = describe("h:9042", "Request timed out");
        assert!(e.to_string().contains("timed out"), "{e}");
        let e = describe("h:9042", "Last connection failed with: invalid peer certificate: UnknownIssuer");
        assert!(e.to_string().contains("TLS certificate not trusted"), "{e}");
        let e = describe("h:9042", "Failed to perform a connection setup request. Request: OPTIONS");
        assert!(e.to_string().contains("set tls = true"), "{e}");
    }
}
