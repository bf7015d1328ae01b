//! The embedded default store: one SQLite file in WAL mode, one IMMEDIATE transaction per
//! fetched window holding its records, entities, rollups and (with a month's last window) its
//! checkpoint.
//!
//! Schema 3: `series` names each (dataset, entity, group) once with an integer id; `records` is
//! keyed (series_id, start_utc) WITHOUT ROWID, times as Unix seconds (the end is the start plus
//! the dataset's resolution); `rollup_day` and `rollup_month` hold per series and local day or
//! month the sum, count, min and max, maintained in the same transaction as the records;
//! `entities` keeps names and a grid area's price area; schema 4 adds `synced`, schema 5
//! `steps_all` (per dataset, group and step the sum over every entity, kept by each write).
//! Older schemas are migrated on open.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{
    params, Connection, ErrorCode, OpenFlags, OptionalExtension, Transaction, TransactionBehavior,
};

use super::merge::{merge, StoredValue};
use super::rollup::{day_rollups_of, month_rollups, months_of, DayRollup};
use super::{
    Backend, Checkpoint, ErrorKind, MonthCoverage, Period, Result, Rollup, Scope, StepValue, StoreError,
    StoreKind, UpsertStats,
};
use crate::model::{
    day_key, instant, month_key, Dataset, Entity, EntityKind, Month, Point, Record, SeriesKey, WindowData,
};

const SCHEMA_VERSION: i64 = 7;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS series (
    id      INTEGER PRIMARY KEY,
    dataset TEXT NOT NULL,
    entity  TEXT NOT NULL,             -- NO1, 0301, a grid area's EIC
    grp     TEXT NOT NULL,
    UNIQUE (dataset, entity, grp)
);
CREATE TABLE IF NOT EXISTS records (
    series_id       INTEGER NOT NULL,  -- series.id
    start_utc       INTEGER NOT NULL,  -- Unix seconds of the step's start: the key is never local time
    quantity_kwh    REAL    NOT NULL,
    last_updated    INTEGER NOT NULL,  -- Unix seconds of Elhub's lastUpdatedTime
    metering_points INTEGER,           -- where the dataset has them
    PRIMARY KEY (series_id, start_utc)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS entity_names (  -- `entities` until schema 5: the name is the view's now
    kind         TEXT NOT NULL,        -- price-areas, municipalities, grid-areas
    id           TEXT NOT NULL,
    name         TEXT NOT NULL,        -- as the API sent it
    price_area   TEXT,                 -- a grid area's price area
    display_name TEXT NOT NULL DEFAULT '', -- repaired where it came mis-encoded (schema 6)
    PRIMARY KEY (kind, id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS oslo_offsets (   -- Oslo's UTC offset from each change on (schema 6)
    since_utc   INTEGER PRIMARY KEY,   -- Unix seconds
    offset_secs INTEGER NOT NULL       -- 3600 or 7200
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS fetched_windows (
    dataset    TEXT    NOT NULL,
    month      TEXT    NOT NULL,       -- local month, YYYY-MM
    start_utc  INTEGER NOT NULL,
    end_utc    INTEGER NOT NULL,
    fetched_at INTEGER NOT NULL,
    records    INTEGER NOT NULL,
    rejected   INTEGER NOT NULL,
    PRIMARY KEY (dataset, month)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS synced (
    dataset   TEXT    NOT NULL,
    month     TEXT    NOT NULL,        -- local month, YYYY-MM
    synced_at INTEGER NOT NULL,        -- Unix seconds: the change feed had nothing newer then
    PRIMARY KEY (dataset, month)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rollup_day (
    series_id INTEGER NOT NULL,
    day       INTEGER NOT NULL,        -- local day, yyyymmdd
    kwh       REAL    NOT NULL,
    n         INTEGER NOT NULL,
    min_kwh   REAL    NOT NULL,
    max_kwh   REAL    NOT NULL,
    PRIMARY KEY (series_id, day)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS steps_all (
    dataset   TEXT    NOT NULL,
    grp       TEXT    NOT NULL,
    start_utc INTEGER NOT NULL,        -- Unix seconds of the step's start
    kwh       REAL    NOT NULL,        -- the sum over the dataset's entities
    n         INTEGER NOT NULL,        -- how many entities
    PRIMARY KEY (dataset, grp, start_utc)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rollup_month (
    series_id INTEGER NOT NULL,
    month     INTEGER NOT NULL,        -- local month, yyyymm
    kwh       REAL    NOT NULL,
    n         INTEGER NOT NULL,
    min_kwh   REAL    NOT NULL,
    max_kwh   REAL    NOT NULL,
    PRIMARY KEY (series_id, month)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS month_all (   -- per dataset, group and local month the sum over every entity (schema 7)
    dataset   TEXT    NOT NULL,
    grp       TEXT    NOT NULL,
    month     INTEGER NOT NULL,        -- local month, yyyymm
    kwh       REAL    NOT NULL,
    n         INTEGER NOT NULL,        -- records
    PRIMARY KEY (dataset, grp, month)
) WITHOUT ROWID;
";

/// Schema 1 keyed records on (dataset, price_area, grp, start_utc) text; moved over in one
/// transaction.
const MIGRATE_1_TO_2: &str = "
ALTER TABLE records RENAME TO records_v1;
ALTER TABLE series RENAME TO series_v1;
CREATE TABLE series (
    id INTEGER PRIMARY KEY, dataset TEXT NOT NULL, price_area TEXT NOT NULL, grp TEXT NOT NULL,
    UNIQUE (dataset, price_area, grp)
);
CREATE TABLE records (
    series_id INTEGER NOT NULL, start_utc INTEGER NOT NULL, quantity_kwh REAL NOT NULL,
    last_updated INTEGER NOT NULL, metering_points INTEGER, revisions INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (series_id, start_utc)
) WITHOUT ROWID;
INSERT INTO series (dataset, price_area, grp)
    SELECT DISTINCT dataset, price_area, grp FROM records_v1 ORDER BY dataset, price_area, grp;
INSERT INTO records
    SELECT s.id, r.start_utc, r.quantity_kwh, r.last_updated, r.metering_points, r.revisions
    FROM records_v1 r JOIN series s ON s.dataset = r.dataset AND s.price_area = r.price_area AND s.grp = r.grp;
DROP TABLE records_v1;
DROP TABLE series_v1;
UPDATE meta SET value = '2' WHERE key = 'schema_version';
";

/// Schema 2 named a series' entity `price_area` and counted revisions per record; schema 3
/// names it `entity`, drops the count (nothing read it; a byte a record), and adds entities and
/// rollups, which the migration then fills from the records.
const MIGRATE_2_TO_3: &str = "
ALTER TABLE series RENAME COLUMN price_area TO entity;
ALTER TABLE records DROP COLUMN revisions;
INSERT OR IGNORE INTO entity_names (kind, id, name) SELECT DISTINCT 'price-areas', entity, entity FROM series;
UPDATE meta SET value = '3' WHERE key = 'schema_version';
";

/// The all-entity sums of a dataset's steps (schema 5), kept by each write and recomputed from
/// the records by a rebuild: all of Norway's curve is then one range read, not a sum over every
/// series (1,083 of them for municipalities).
const CLEAR_STEPS_ALL: &str =
    "DELETE FROM steps_all WHERE dataset = ?1 AND start_utc >= ?2 AND start_utc < ?3";
const SUM_STEPS_ALL: &str = "INSERT INTO steps_all (dataset, grp, start_utc, kwh, n)
    SELECT s.dataset, s.grp, r.start_utc, SUM(r.quantity_kwh), COUNT(*)
    FROM series s JOIN records r ON r.series_id = s.id
    WHERE s.dataset = ?1 AND r.start_utc >= ?2 AND r.start_utc < ?3
    GROUP BY s.grp, r.start_utc";

/// The all-entity monthly totals (schema 7) of `dataset`'s local months `from..=to` (yyyymm),
/// recomputed from the series' monthly rollups: all of Norway's year is twelve rows per group,
/// not 13,000 (1,083 municipality series).
fn refresh_month_all(tx: &Transaction, dataset: &str, from: i32, to: i32) -> rusqlite::Result<()> {
    tx.prepare_cached("DELETE FROM month_all WHERE dataset = ?1 AND month BETWEEN ?2 AND ?3")?
        .execute(params![dataset, from, to])?;
    tx.prepare_cached(
        "INSERT INTO month_all (dataset, grp, month, kwh, n)
         SELECT s.dataset, s.grp, t.month, SUM(t.kwh), SUM(t.n) FROM series s JOIN rollup_month t ON t.series_id = s.id
         WHERE s.dataset = ?1 AND t.month BETWEEN ?2 AND ?3 GROUP BY s.grp, t.month",
    )?
    .execute(params![dataset, from, to])?;
    Ok(())
}

/// Recomputes the all-entity monthly totals of `dataset` (every dataset: `None`) over all time.
fn rebuild_month_all(tx: &Transaction, dataset: Option<Dataset>) -> rusqlite::Result<()> {
    for d in datasets_of(tx, dataset)? {
        refresh_month_all(tx, &d, i32::MIN, i32::MAX)?;
    }
    Ok(())
}

/// Adds a write's changes to the all-entity step sums (in its transaction, so they stay the
/// sums of the records; `rebuild` recomputes them from the records).
fn add_to_steps_all(
    tx: &Transaction,
    dataset: Dataset,
    deltas: HashMap<(String, i64), (f64, i64)>,
) -> rusqlite::Result<()> {
    let mut read =
        tx.prepare_cached("SELECT kwh, n FROM steps_all WHERE dataset = ?1 AND grp = ?2 AND start_utc = ?3")?;
    let mut write = tx.prepare_cached(
        "INSERT OR REPLACE INTO steps_all (dataset, grp, start_utc, kwh, n) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for ((group, start), (kwh, n)) in deltas {
        let (old_kwh, old_n): (f64, i64) = read
            .query_row(params![dataset.as_str(), group, start], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?
            .unwrap_or((0.0, 0));
        write.execute(params![dataset.as_str(), group, start, old_kwh + kwh, old_n + n])?;
    }
    Ok(())
}

/// Recomputes the all-entity step sums of `dataset` (every dataset: `None`) over all time.
fn rebuild_steps_all(tx: &Transaction, dataset: Option<Dataset>) -> rusqlite::Result<()> {
    for d in datasets_of(tx, dataset)? {
        tx.execute(CLEAR_STEPS_ALL, params![d, i64::MIN, i64::MAX])?;
        tx.execute(SUM_STEPS_ALL, params![d, i64::MIN, i64::MAX])?;
    }
    Ok(())
}

/// `dataset`'s name, or (`None`) every dataset stored.
fn datasets_of(tx: &Transaction, dataset: Option<Dataset>) -> rusqlite::Result<Vec<String>> {
    match dataset {
        Some(d) => Ok(vec![d.as_str().to_string()]),
        None => {
            let mut stmt = tx.prepare("SELECT DISTINCT dataset FROM series")?;
            let rows = stmt.query_map([], |r| r.get(0))?;
            rows.collect()
        }
    }
}

/// Rows per multi-row upsert statement (fewer statement steps per record).
const ROWS_PER_STATEMENT: usize = 64;

fn upsert_sql(rows: usize) -> String {
    let values = vec!["(?, ?, ?, ?, ?)"; rows].join(", ");
    format!(
        "INSERT INTO records (series_id, start_utc, quantity_kwh, last_updated, metering_points) VALUES {values}
         ON CONFLICT (series_id, start_utc) DO UPDATE SET
            quantity_kwh = excluded.quantity_kwh,
            last_updated = excluded.last_updated,
            metering_points = excluded.metering_points
         WHERE excluded.last_updated > records.last_updated"
    )
}

/// A SQLite database with a writer and a reader connection, so the explorer can read while
/// an ingest writes (WAL mode).
pub struct SqliteStore {
    path: PathBuf,
    writer: Arc<Mutex<Connection>>,
    reader: Arc<Mutex<Connection>>,
    /// Series ids known to be committed, so a write does not look each one up again.
    ids: Arc<Mutex<HashMap<(Dataset, SeriesKey), i64>>>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path`. The directory must exist.
    pub fn open(path: &Path) -> Result<SqliteStore> {
        Self::open_with(path, std::time::Duration::from_secs(30))
    }

    /// Opens an existing database only, for writing (`rebuild-rollups`): a mistyped path is an
    /// error naming it, not a new empty database.
    pub fn open_existing(path: &Path, busy_timeout: std::time::Duration) -> Result<SqliteStore> {
        Self::must_exist(path)?;
        Self::open_with(path, busy_timeout)
    }

    /// Opens an existing database for reading only: what export, summary and datasets do. No
    /// write access is needed: where SQLite cannot make its shared-memory file beside the
    /// database (a directory or disk that is read-only) and no write-ahead log is pending, the
    /// file is read as immutable. A schema from an older version is migrated first, which does
    /// need write access.
    pub fn open_read_only(path: &Path, busy_timeout: std::time::Duration) -> Result<SqliteStore> {
        Self::must_exist(path)?;
        let config = |e| error(path, e, ErrorKind::Config);
        let conn = match open_reader(path, busy_timeout, false) {
            Ok(conn) => conn,
            // Only where SQLite cannot make its shared-memory file because the directory cannot
            // be written, and no write-ahead log is pending: an immutable read takes no locks,
            // so it is for files nobody can be writing.
            Err(e)
                if matches!(
                    e.sqlite_error_code(),
                    Some(rusqlite::ErrorCode::CannotOpen | rusqlite::ErrorCode::ReadOnly)
                ) && !wal_pending(path)
                    && !crate::outfile::dir_writable(
                        path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new(".")),
                    ) =>
            {
                tracing::info!(path = %path.display(), "reading the database as immutable: its directory cannot be written");
                open_reader(path, busy_timeout, true).map_err(|_| config(e))?
            }
            Err(e) => return Err(config(e)),
        };
        let version = schema_version(&conn).map_err(|e| error(path, e, ErrorKind::Config))?;
        if version.as_deref() != Some(SCHEMA_VERSION.to_string().as_str()) {
            drop(conn);
            return Self::open_with(path, busy_timeout);
        }
        let conn = Arc::new(Mutex::new(conn));
        Ok(SqliteStore {
            path: path.to_path_buf(),
            writer: conn.clone(),
            reader: conn,
            ids: Arc::new(Mutex::new(HashMap::new())),
        })
    }

    /// An error naming `path` unless a database file is there.
    pub fn must_exist(path: &Path) -> Result<()> {
        if path.exists() {
            return not_a_special_file(path);
        }
        Err(StoreError::config(format!(
            "the database {} does not exist (an ingest creates it: --ingest-only --db {})",
            path.display(),
            path.display()
        )))
    }

    /// Opens (creating if needed) with a given wait for other processes' locks.
    pub fn open_with(path: &Path, busy_timeout: std::time::Duration) -> Result<SqliteStore> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            if !dir.is_dir() {
                return Err(StoreError::config(format!(
                    "cannot open the database {}: the directory {} does not exist",
                    path.display(),
                    dir.display()
                )));
            }
        }
        not_a_special_file(path)?;
        // SQLite can answer BUSY without waiting while another process is creating the file or
        // switching it to WAL; such a moment passes, so try again until the busy timeout.
        let deadline = std::time::Instant::now() + busy_timeout;
        let (writer, reader) = loop {
            let attempt = open_connection(path, busy_timeout).and_then(|mut writer| {
                init_schema(&mut writer, path)?;
                tune_writer(&writer, path)?;
                Ok((writer, open_connection(path, busy_timeout)?))
            });
            match attempt {
                Err(e) if e.kind == ErrorKind::Locked && std::time::Instant::now() < deadline => {
                    std::thread::sleep(std::time::Duration::from_millis(25));
                }
                other => break other?,
            }
        };
        Ok(SqliteStore {
            path: path.to_path_buf(),
            writer: Arc::new(Mutex::new(writer)),
            reader: Arc::new(Mutex::new(reader)),
            ids: Arc::new(Mutex::new(HashMap::new())),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    async fn with<T: Send + 'static>(
        &self,
        conn: &Arc<Mutex<Connection>>,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> Result<T> {
        let conn = conn.clone();
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = conn.lock().unwrap_or_else(|e| e.into_inner());
            f(&mut guard).map_err(|e| error(&path, e, ErrorKind::Runtime))
        })
        .await
        .map_err(|e| StoreError::runtime(format!("SQLite task failed: {e}")))?
    }
}

#[async_trait]
impl Backend for SqliteStore {
    fn kind(&self) -> StoreKind {
        StoreKind::Sqlite
    }

    fn location(&self) -> String {
        self.path.display().to_string()
    }

    async fn write_window(
        &self,
        data: &Arc<WindowData>,
        checkpoint: Option<&Checkpoint>,
    ) -> Result<UpsertStats> {
        // Shared with the blocking task (and the other sinks) rather than copied.
        let data = data.clone();
        let checkpoint = checkpoint.cloned();
        let ids = self.ids.clone();
        let known: HashMap<SeriesKey, i64> = {
            let cache = ids.lock().unwrap_or_else(|e| e.into_inner());
            data.series
                .iter()
                .filter_map(|s| cache.get(&(data.dataset, s.key.clone())).map(|id| (s.key.clone(), *id)))
                .collect()
        };
        let (stats, created) = self
            .with(&self.writer, move |conn| {
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
                let result = write_in(&tx, &data, known, checkpoint.as_ref())?;
                tx.commit()?;
                Ok(result)
            })
            .await?;
        // Only ids of a committed transaction go into the cache.
        ids.lock().unwrap_or_else(|e| e.into_inner()).extend(created);
        Ok(stats)
    }

    async fn series(&self, dataset: Dataset) -> Result<Vec<SeriesKey>> {
        self.with(&self.reader, move |conn| {
            let mut stmt = conn
                .prepare_cached("SELECT entity, grp FROM series WHERE dataset = ?1 ORDER BY entity, grp")?;
            let rows = stmt.query_map(params![dataset.as_str()], |row| {
                Ok(SeriesKey { entity: row.get(0)?, group: row.get(1)? })
            })?;
            rows.collect()
        })
        .await
    }

    async fn entities(&self, kind: EntityKind) -> Result<Vec<Entity>> {
        self.with(&self.reader, move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT id, name, price_area FROM entity_names WHERE kind = ?1 ORDER BY id",
            )?;
            let rows = stmt.query_map(params![kind.as_str()], |row| {
                Ok(Entity { kind, id: row.get(0)?, name: row.get(1)?, price_area: row.get(2)? })
            })?;
            rows.collect()
        })
        .await
    }

    async fn series_records(
        &self,
        dataset: Dataset,
        series: &SeriesKey,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Record>> {
        let series = series.clone();
        self.with(&self.reader, move |conn| read_series(conn, dataset, &series, from, to)).await
    }

    async fn snapshot(
        &self,
        dataset: Dataset,
        series: Vec<SeriesKey>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        out: tokio::sync::mpsc::Sender<Result<Vec<Record>>>,
    ) {
        let (conn, path) = (self.reader.clone(), self.path.clone());
        let sender = out.clone();
        let read = tokio::task::spawn_blocking(move || {
            let mut guard = conn.lock().unwrap_or_else(|e| e.into_inner());
            // One read transaction: WAL gives it one snapshot of the file, whatever is written meanwhile.
            let tx = match guard.transaction() {
                Ok(tx) => tx,
                Err(e) => {
                    return sender.blocking_send(Err(error(&path, e, ErrorKind::Runtime))).unwrap_or(())
                }
            };
            for key in series {
                let records = read_series(&tx, dataset, &key, from, to)
                    .map_err(|e| error(&path, e, ErrorKind::Runtime));
                let failed = records.is_err();
                if sender.blocking_send(records).is_err() || failed {
                    return;
                }
            }
        });
        if let Err(e) = read.await {
            let _ = out.send(Err(StoreError::runtime(format!("SQLite task failed: {e}")))).await;
        }
    }

    async fn point_steps(
        &self,
        dataset: Dataset,
        series: &SeriesKey,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<(i64, u32)>> {
        let series = series.clone();
        self.with(&self.reader, move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT r.start_utc, r.metering_points FROM series s JOIN records r ON r.series_id = s.id
                 WHERE s.dataset = ?1 AND s.entity = ?2 AND s.grp = ?3 AND r.start_utc >= ?4 AND r.start_utc < ?5
                   AND r.metering_points IS NOT NULL
                 ORDER BY r.start_utc",
            )?;
            let rows = stmt.query_map(
                params![dataset.as_str(), series.entity, series.group, from.timestamp(), to.timestamp()],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )?;
            rows.collect()
        })
        .await
    }

    async fn steps(
        &self,
        dataset: Dataset,
        series: &SeriesKey,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<StepValue>> {
        let series = series.clone();
        self.with(&self.reader, move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT r.start_utc, r.quantity_kwh FROM series s JOIN records r ON r.series_id = s.id
                 WHERE s.dataset = ?1 AND s.entity = ?2 AND s.grp = ?3 AND r.start_utc >= ?4 AND r.start_utc < ?5
                 ORDER BY r.start_utc",
            )?;
            let rows = stmt.query_map(
                params![dataset.as_str(), series.entity, series.group, from.timestamp(), to.timestamp()],
                |row| Ok(StepValue { start: instant(row.get(0)?), kwh: row.get(1)? }),
            )?;
            rows.collect()
        })
        .await
    }

    async fn rollups(
        &self,
        dataset: Dataset,
        scope: &Scope,
        period: Period,
        from: i32,
        to: i32,
    ) -> Result<Vec<Rollup>> {
        let scope = scope.clone();
        self.with(&self.reader, move |conn| {
            let (table, key) = match period {
                Period::Day => ("rollup_day", "day"),
                Period::Month => ("rollup_month", "month"),
            };
            let sql = match scope {
                Scope::Entity(_) => format!(
                    "SELECT s.grp, t.{key}, t.kwh, t.n, t.min_kwh, t.max_kwh FROM series s JOIN {table} t ON t.series_id = s.id
                     WHERE s.dataset = ?1 AND s.entity = ?2 AND t.{key} BETWEEN ?3 AND ?4 ORDER BY s.grp, t.{key}"
                ),
                Scope::All if period == Period::Month => "SELECT grp, month, kwh, n, NULL, NULL FROM month_all
                     WHERE dataset = ?1 AND ?2 IS NULL AND month BETWEEN ?3 AND ?4 ORDER BY grp, month"
                    .to_string(),
                Scope::All => format!(
                    "SELECT s.grp, t.{key}, SUM(t.kwh), SUM(t.n), NULL, NULL FROM series s JOIN {table} t ON t.series_id = s.id
                     WHERE s.dataset = ?1 AND ?2 IS NULL AND t.{key} BETWEEN ?3 AND ?4 GROUP BY s.grp, t.{key} ORDER BY s.grp, t.{key}"
                ),
            };
            let entity = match &scope {
                Scope::Entity(e) => Some(e.clone()),
                Scope::All => None,
            };
            let mut stmt = conn.prepare_cached(&sql)?;
            let rows = stmt.query_map(params![dataset.as_str(), entity, from, to], |row| {
                Ok(Rollup {
                    group: row.get(0)?,
                    key: row.get(1)?,
                    kwh: row.get(2)?,
                    count: row.get::<_, i64>(3)? as u64,
                    min: row.get(4)?,
                    max: row.get(5)?,
                })
            })?;
            rows.collect()
        })
        .await
    }

    async fn entities_with_data(&self, dataset: Dataset, month: Month) -> Result<Vec<String>> {
        self.with(&self.reader, move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT DISTINCT s.entity FROM series s JOIN rollup_month m ON m.series_id = s.id
                 WHERE s.dataset = ?1 AND m.month = ?2 AND m.n > 0 ORDER BY s.entity",
            )?;
            let rows = stmt.query_map(params![dataset.as_str(), month_key(month)], |r| r.get(0))?;
            rows.collect()
        })
        .await
    }

    async fn coverage(&self, dataset: Dataset) -> Result<Vec<MonthCoverage>> {
        self.with(&self.reader, move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT month, records, rejected, fetched_at FROM fetched_windows WHERE dataset = ?1 ORDER BY month",
            )?;
            let rows = stmt.query_map(params![dataset.as_str()], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?, row.get::<_, i64>(2)?, row.get::<_, i64>(3)?))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (month, records, rejected, fetched_at) = row?;
                if let Ok(month) = month.parse() {
                    out.push(MonthCoverage {
                        month,
                        records: records as u64,
                        rejected: rejected as u64,
                        fetched_at: instant(fetched_at),
                    });
                }
            }
            Ok(out)
        })
        .await
    }

    async fn count(&self, dataset: Dataset) -> Result<u64> {
        self.with(&self.reader, move |conn| {
            conn.query_row(
                "SELECT COUNT(*) FROM series s JOIN records r ON r.series_id = s.id WHERE s.dataset = ?1",
                params![dataset.as_str()],
                |row| row.get::<_, i64>(0),
            )
            .map(|n| n as u64)
        })
        .await
    }

    async fn synced(&self, dataset: Dataset) -> Result<Vec<(Month, DateTime<Utc>)>> {
        self.with(&self.reader, move |conn| {
            let mut stmt =
                conn.prepare_cached("SELECT month, synced_at FROM synced WHERE dataset = ?1 ORDER BY month")?;
            let rows = stmt.query_map(params![dataset.as_str()], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (month, at) = row?;
                if let Ok(month) = month.parse() {
                    out.push((month, instant(at)));
                }
            }
            Ok(out)
        })
        .await
    }

    async fn set_synced(&self, dataset: Dataset, months: &[Month], at: DateTime<Utc>) -> Result<()> {
        let months: Vec<String> = months.iter().map(Month::to_string).collect();
        self.with(&self.writer, move |conn| {
            let tx = conn.transaction()?;
            {
                let mut stmt = tx.prepare_cached(
                    "INSERT INTO synced (dataset, month, synced_at) VALUES (?1, ?2, ?3)
                     ON CONFLICT (dataset, month) DO UPDATE SET synced_at = excluded.synced_at",
                )?;
                for month in &months {
                    stmt.execute(params![dataset.as_str(), month, at.timestamp()])?;
                }
            }
            tx.commit()
        })
        .await
    }

    async fn all_entity_steps(
        &self,
        dataset: Dataset,
        group: Option<&str>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Option<Vec<StepValue>>> {
        let group = group.map(str::to_string);
        self.with(&self.reader, move |conn| {
            // Group by group, each a range of the primary key; summed here for all groups.
            let groups: Vec<String> = match group {
                Some(g) => vec![g],
                None => {
                    let mut stmt =
                        conn.prepare_cached("SELECT DISTINCT grp FROM series WHERE dataset = ?1")?;
                    let rows = stmt.query_map(params![dataset.as_str()], |r| r.get(0))?;
                    rows.collect::<rusqlite::Result<_>>()?
                }
            };
            let mut stmt = conn.prepare_cached(
                "SELECT start_utc, kwh FROM steps_all WHERE dataset = ?1 AND grp = ?2
                 AND start_utc >= ?3 AND start_utc < ?4 ORDER BY start_utc",
            )?;
            let mut sums: std::collections::BTreeMap<i64, f64> = std::collections::BTreeMap::new();
            for g in groups {
                let rows = stmt
                    .query_map(params![dataset.as_str(), g, from.timestamp(), to.timestamp()], |r| {
                        Ok((r.get::<_, i64>(0)?, r.get::<_, f64>(1)?))
                    })?;
                for row in rows {
                    let (start, kwh) = row?;
                    *sums.entry(start).or_default() += kwh;
                }
            }
            Ok(Some(sums.into_iter().map(|(start, kwh)| StepValue { start: instant(start), kwh }).collect()))
        })
        .await
    }

    async fn rebuild_rollups(&self, dataset: Dataset) -> Result<u64> {
        self.with(&self.writer, move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let n = rebuild(&tx, Some(dataset))?;
            tx.commit()?;
            Ok(n)
        })
        .await
    }

    async fn destroy(&self) -> Result<()> {
        // A test's database lives in its temporary directory, which goes with it.
        Ok(())
    }
}

/// Series ids a write created, for the cache once its transaction is committed.
type CreatedIds = Vec<((Dataset, SeriesKey), i64)>;

/// The write of one window inside its transaction; returns the stats and the series ids it
/// created.
fn write_in(
    tx: &Transaction,
    data: &WindowData,
    mut known: HashMap<SeriesKey, i64>,
    checkpoint: Option<&Checkpoint>,
) -> rusqlite::Result<(UpsertStats, CreatedIds)> {
    let dataset = data.dataset;
    upsert_entities(tx, &data.entities)?;
    let bounds = data.window.day_bounds();
    let (from, to) = (data.window.start.timestamp(), data.window.end.timestamp());
    let (first_day, last_day) = (
        bounds.first().map_or(0, |b| day_key(b.0)),
        bounds.len().checked_sub(2).map_or(0, |i| day_key(bounds[i].0)),
    );
    let mut stats = UpsertStats::default();
    let mut created = Vec::new();
    let mut rows: Vec<(i64, &Point)> = Vec::with_capacity(data.len());
    let mut deltas: HashMap<(String, i64), (f64, i64)> = HashMap::new();
    {
        let mut stored_stmt = tx.prepare_cached(
            "SELECT start_utc, quantity_kwh, last_updated FROM records WHERE series_id = ?1 AND start_utc >= ?2 AND start_utc < ?3 ORDER BY start_utc",
        )?;
        let mut clear_days =
            tx.prepare_cached("DELETE FROM rollup_day WHERE series_id = ?1 AND day BETWEEN ?2 AND ?3")?;
        let mut add_day = tx.prepare_cached("INSERT INTO rollup_day (series_id, day, kwh, n, min_kwh, max_kwh) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?;
        for s in &data.series {
            let id = match known.get(&s.key) {
                Some(id) => *id,
                None => {
                    let id = series_id(tx, dataset, &s.key)?;
                    known.insert(s.key.clone(), id);
                    created.push(((dataset, s.key.clone()), id));
                    id
                }
            };
            let stored: Vec<StoredValue> = stored_stmt
                .query_map(params![id, from, to], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<rusqlite::Result<_>>()?;
            let merged = merge(&s.points, &stored, &bounds);
            stats.add(merged.stats);
            // What each write changes in the all-entity sums: the new value less the stored one.
            for p in &merged.writes {
                let old = stored.binary_search_by_key(&p.start, |v| v.0).ok().map(|i| stored[i].1);
                let e = deltas.entry((s.key.group.clone(), p.start)).or_insert((0.0, 0));
                e.0 += p.kwh - old.unwrap_or(0.0);
                e.1 += i64::from(old.is_none());
            }
            rows.extend(merged.writes.iter().map(|p| (id, *p)));
            clear_days.execute(params![id, first_day, last_day])?;
            for d in &merged.days {
                add_day.execute(params![id, d.day, d.kwh, d.count as i64, d.min, d.max])?;
            }
            for month in months_of(&merged.days) {
                refresh_month(tx, id, month)?;
            }
        }
    }
    {
        let mut many = tx.prepare_cached(&upsert_sql(ROWS_PER_STATEMENT))?;
        let mut one = tx.prepare_cached(&upsert_sql(1))?;
        let mut chunks = rows.chunks_exact(ROWS_PER_STATEMENT);
        for chunk in &mut chunks {
            for (i, (id, p)) in chunk.iter().enumerate() {
                bind_point(&mut many, i * 5, *id, p)?;
            }
            many.raw_execute()?;
        }
        for (id, p) in chunks.remainder() {
            bind_point(&mut one, 0, *id, p)?;
            one.raw_execute()?;
        }
    }
    add_to_steps_all(tx, dataset, deltas)?;
    if !data.series.is_empty() {
        refresh_month_all(tx, dataset.as_str(), first_day / 100, last_day / 100)?;
    }
    if let Some(c) = checkpoint {
        tx.execute(
            "INSERT INTO fetched_windows (dataset, month, start_utc, end_utc, fetched_at, records, rejected)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (dataset, month) DO UPDATE SET start_utc = excluded.start_utc,
                end_utc = excluded.end_utc, fetched_at = excluded.fetched_at,
                records = excluded.records, rejected = excluded.rejected",
            params![
                dataset.as_str(),
                c.month.to_string(),
                c.window.start.timestamp(),
                c.window.end.timestamp(),
                c.fetched_at.timestamp(),
                c.records as i64,
                c.rejected as i64
            ],
        )?;
    }
    Ok((stats, created))
}

/// The records of one series in [from, to), sorted by start.
fn read_series(
    conn: &Connection,
    dataset: Dataset,
    series: &SeriesKey,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> rusqlite::Result<Vec<Record>> {
    let mut stmt = conn.prepare_cached(
        "SELECT r.start_utc, r.quantity_kwh, r.last_updated, r.metering_points
         FROM series s JOIN records r ON r.series_id = s.id
         WHERE s.dataset = ?1 AND s.entity = ?2 AND s.grp = ?3 AND r.start_utc >= ?4 AND r.start_utc < ?5
         ORDER BY r.start_utc",
    )?;
    let rows = stmt.query_map(
        params![dataset.as_str(), series.entity, series.group, from.timestamp(), to.timestamp()],
        |row| {
            let p = Point {
                start: row.get(0)?,
                kwh: row.get(1)?,
                updated: row.get(2)?,
                metering_points: row.get(3)?,
            };
            Ok(Record::new(dataset, &series.entity, &series.group, &p))
        },
    )?;
    rows.collect()
}

/// A month's rollup from its days' rollups.
fn refresh_month(tx: &Transaction, series_id: i64, month: i32) -> rusqlite::Result<()> {
    let mut stmt = tx.prepare_cached(
        "INSERT OR REPLACE INTO rollup_month (series_id, month, kwh, n, min_kwh, max_kwh)
         SELECT ?1, ?2, SUM(kwh), SUM(n), MIN(min_kwh), MAX(max_kwh) FROM rollup_day
         WHERE series_id = ?1 AND day BETWEEN ?2 * 100 AND ?2 * 100 + 99 HAVING COUNT(*) > 0",
    )?;
    stmt.execute(params![series_id, month])?;
    Ok(())
}

/// The id of a series, created if new.
fn series_id(tx: &Transaction, dataset: Dataset, key: &SeriesKey) -> rusqlite::Result<i64> {
    let mut add =
        tx.prepare_cached("INSERT OR IGNORE INTO series (dataset, entity, grp) VALUES (?1, ?2, ?3)")?;
    let mut get =
        tx.prepare_cached("SELECT id FROM series WHERE dataset = ?1 AND entity = ?2 AND grp = ?3")?;
    let names = params![dataset.as_str(), key.entity, key.group];
    add.execute(names)?;
    get.query_row(names, |row| row.get(0))
}

fn upsert_entities(tx: &Transaction, entities: &[Entity]) -> rusqlite::Result<()> {
    let mut stmt = tx.prepare_cached(
        "INSERT INTO entity_names (kind, id, name, price_area, display_name) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (kind, id) DO UPDATE SET name = excluded.name, price_area = excluded.price_area,
             display_name = excluded.display_name
         WHERE name IS NOT excluded.name OR price_area IS NOT excluded.price_area",
    )?;
    for e in entities {
        stmt.execute(params![e.kind.as_str(), e.id, e.name, e.price_area, e.display_name()])?;
    }
    Ok(())
}

/// The analyst's interface (schema 6, `store::views`): Oslo's offsets, the repaired names, and
/// the views, made again by every migration.
fn write_interface(tx: &Transaction) -> rusqlite::Result<()> {
    tx.execute("DELETE FROM oslo_offsets", [])?;
    {
        let mut add = tx.prepare("INSERT INTO oslo_offsets (since_utc, offset_secs) VALUES (?1, ?2)")?;
        add.execute(params![i64::MIN / 2, 3600])?;
        for year in 1996..=2099 {
            let (summer, winter) = crate::model::oslo_summer_time(year);
            add.execute(params![summer, 7200])?;
            add.execute(params![winter, 3600])?;
        }
    }
    let names: Vec<(String, String, String)> = {
        let mut stmt = tx.prepare("SELECT kind, id, name FROM entity_names")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let mut set = tx.prepare("UPDATE entity_names SET display_name = ?3 WHERE kind = ?1 AND id = ?2")?;
    for (kind, id, name) in names {
        let Some(entity_kind) = EntityKind::from_path(&kind) else { continue };
        let entity = Entity { kind: entity_kind, id, name, price_area: None };
        set.execute(params![kind, entity.id, entity.display_name()])?;
    }
    for statement in super::views::sqlite_statements() {
        tx.execute_batch(&statement)?;
    }
    Ok(())
}

/// Recomputes the rollups of every series of `dataset` (all datasets: `None`) from the
/// records; returns how many series.
fn rebuild(tx: &Transaction, dataset: Option<Dataset>) -> rusqlite::Result<u64> {
    let ids: Vec<i64> = {
        let mut stmt = tx.prepare("SELECT id FROM series WHERE ?1 IS NULL OR dataset = ?1 ORDER BY id")?;
        let rows = stmt.query_map(params![dataset.map(Dataset::as_str)], |r| r.get(0))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let mut values =
        tx.prepare("SELECT start_utc, quantity_kwh FROM records WHERE series_id = ?1 ORDER BY start_utc")?;
    rebuild_steps_all(tx, dataset)?;
    for id in &ids {
        tx.execute("DELETE FROM rollup_day WHERE series_id = ?1", params![id])?;
        tx.execute("DELETE FROM rollup_month WHERE series_id = ?1", params![id])?;
        let rows = values.query_map(params![id], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, f64>(1)?)))?;
        let days: Vec<DayRollup> = day_rollups_of(rows.collect::<rusqlite::Result<Vec<_>>>()?);
        let mut add = tx.prepare_cached("INSERT INTO rollup_day (series_id, day, kwh, n, min_kwh, max_kwh) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?;
        let mut add_month =
            tx.prepare_cached("INSERT INTO rollup_month (series_id, month, kwh, n, min_kwh, max_kwh) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?;
        for d in &days {
            add.execute(params![id, d.day, d.kwh, d.count as i64, d.min, d.max])?;
        }
        for m in month_rollups(&days) {
            add_month.execute(params![id, m.day, m.kwh, m.count as i64, m.min, m.max])?;
        }
    }
    rebuild_month_all(tx, dataset)?;
    Ok(ids.len() as u64)
}

/// Binds one point's five values at `offset` (0-based) of an upsert statement.
fn bind_point(
    stmt: &mut rusqlite::CachedStatement,
    offset: usize,
    series_id: i64,
    p: &Point,
) -> rusqlite::Result<()> {
    stmt.raw_bind_parameter(offset + 1, series_id)?;
    stmt.raw_bind_parameter(offset + 2, p.start)?;
    stmt.raw_bind_parameter(offset + 3, p.kwh)?;
    stmt.raw_bind_parameter(offset + 4, p.updated)?;
    stmt.raw_bind_parameter(offset + 5, p.metering_points)?;
    Ok(())
}

/// The writer's page cache (8 MB) holds the B-tree pages a write touches (a day of
/// municipalities appends to each of 1,083 series' last leaf), and the WAL grows to 32 MB
/// before it is copied into the file, so a page that every write touches is copied once per
/// many writes, not once per write.
fn tune_writer(conn: &Connection, path: &Path) -> Result<()> {
    conn.execute_batch("PRAGMA cache_size = -8192; PRAGMA wal_autocheckpoint = 8192;")
        .map_err(|e| error(path, e, ErrorKind::Config))
}

fn open_connection(path: &Path, busy_timeout: std::time::Duration) -> Result<Connection> {
    let flags =
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let config = |e| error(path, e, ErrorKind::Config);
    let conn = Connection::open_with_flags(path, flags).map_err(config)?;
    // Wait for another process's write (a second ingest, the explorer) instead of failing.
    conn.busy_timeout(busy_timeout).map_err(config)?;
    conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;")
        .map_err(config)?;
    Ok(conn)
}

/// A database path must hold a regular file (or nothing yet): a directory, device, FIFO or
/// socket there is an error naming it (opening a FIFO would wait forever).
fn not_a_special_file(path: &Path) -> Result<()> {
    let what = match std::fs::metadata(path) {
        Ok(m) if m.is_file() => return Ok(()),
        Ok(m) if m.is_dir() => "a directory",
        Ok(_) => "not a regular file (a device, FIFO or socket)",
        Err(_) => return Ok(()),
    };
    Err(StoreError::config(format!("cannot open the database {}: it is {what}", path.display())))
}

/// A read-only connection, immutable (`file:…?immutable=1`: no locks, no shared memory) when
/// asked; the schema is read at once, so a file SQLite cannot open fails here.
fn open_reader(
    path: &Path,
    busy_timeout: std::time::Duration,
    immutable: bool,
) -> rusqlite::Result<Connection> {
    let flags =
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI;
    let name = if immutable {
        format!("file:{}?immutable=1", uri_path(path))
    } else {
        format!("file:{}", uri_path(path))
    };
    let conn = Connection::open_with_flags(name, flags)?;
    conn.busy_timeout(busy_timeout)?;
    schema_version(&conn)?;
    Ok(conn)
}

/// A path as the path of a `file:` URI: `%`, `?` and `#` (and anything not printable ASCII)
/// percent-encoded.
fn uri_path(path: &Path) -> String {
    let mut out = String::new();
    for b in path.as_os_str().as_encoded_bytes() {
        match b {
            b'%' | b'?' | b'#' => out.push_str(&format!("%{b:02X}")),
            0x21..=0x7e => out.push(*b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Whether a write-ahead log with content lies beside the database (an immutable read would
/// miss what it holds).
fn wal_pending(path: &Path) -> bool {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    std::fs::metadata(wal).is_ok_and(|m| m.len() > 0)
}

/// Creates or migrates the schema. One IMMEDIATE transaction, so two processes opening a new
/// file at once take turns (the second waits on the busy timeout and finds it done).
fn init_schema(conn: &mut Connection, path: &Path) -> Result<()> {
    let err = |e| error(path, e, ErrorKind::Config);
    // The usual case, a current schema, needs no lock: readers never wait on a writer here.
    if schema_version(conn).map_err(err)?.as_deref() == Some(SCHEMA_VERSION.to_string().as_str()) {
        return Ok(());
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(err)?;
    let version = schema_version(&tx).map_err(err)?;
    match version.as_deref().map(str::parse::<i64>) {
        None => {
            tx.execute_batch(SCHEMA).map_err(err)?;
            write_interface(&tx).map_err(err)?;
            tx.execute("INSERT INTO meta VALUES ('schema_version', ?1)", params![SCHEMA_VERSION.to_string()])
                .map_err(err)?;
        }
        Some(Ok(v @ 1..=6)) => {
            if v == 1 {
                tx.execute_batch(MIGRATE_1_TO_2).map_err(err)?;
            }
            if v >= 3
                && has_table(&tx, "entities").map_err(err)?
                && !has_table(&tx, "entity_names").map_err(err)?
            {
                // Schema 6: the plain name `entities` goes to the view; the table gains the
                // repaired names.
                tx.execute_batch(
                    "ALTER TABLE entities RENAME TO entity_names;
                     ALTER TABLE entity_names ADD COLUMN display_name TEXT NOT NULL DEFAULT '';",
                )
                .map_err(err)?;
            }
            // Creates what later schemas added (4: `synced`, 5: `steps_all`, 6: `oslo_offsets`,
            // 7: `month_all`).
            tx.execute_batch(SCHEMA).map_err(err)?;
            if v <= 2 {
                tx.execute_batch(MIGRATE_2_TO_3).map_err(err)?;
                let series = rebuild(&tx, None).map_err(err)?;
                tracing::info!(path = %path.display(), series, "rebuilt the rollups");
            } else {
                if v <= 4 {
                    // Schema 5: the all-entity step sums, from the records.
                    rebuild_steps_all(&tx, None).map_err(err)?;
                }
                // Schema 7: the all-entity monthly totals, from the monthly rollups.
                rebuild_month_all(&tx, None).map_err(err)?;
            }
            write_interface(&tx).map_err(err)?;
            tx.execute(
                "UPDATE meta SET value = ?1 WHERE key = 'schema_version'",
                params![SCHEMA_VERSION.to_string()],
            )
            .map_err(err)?;
            tracing::info!(path = %path.display(), "migrated the database from schema {v} to {SCHEMA_VERSION}");
        }
        Some(Ok(v)) if v == SCHEMA_VERSION => {}
        Some(_) => {
            return Err(StoreError::config(format!(
                "the database {} has schema version {}, this program knows version {SCHEMA_VERSION}",
                path.display(),
                version.unwrap_or_default()
            )))
        }
    }
    tx.commit().map_err(err)
}

/// Whether a table of that name exists.
fn has_table(conn: &Connection, name: &str) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1)",
        params![name],
        |r| r.get(0),
    )
}

fn schema_version(conn: &Connection) -> rusqlite::Result<Option<String>> {
    let has_meta: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta')",
        [],
        |r| r.get(0),
    )?;
    if !has_meta {
        return Ok(None);
    }
    conn.query_row("SELECT value FROM meta WHERE key = 'schema_version'", [], |r| r.get(0)).optional()
}

/// One line naming the file and what is wrong, with its kind: a lock held by another process is
/// `Locked` (a rerun gets past it), other failures `otherwise`.
fn error(path: &Path, e: rusqlite::Error, otherwise: ErrorKind) -> StoreError {
    let (kind, what) = match e.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
            (ErrorKind::Locked, "the database is locked by another process".to_string())
        }
        Some(ErrorCode::NotADatabase) => (otherwise, "it is not a SQLite database".to_string()),
        Some(ErrorCode::DiskFull) => (otherwise, "the disk is full".to_string()),
        Some(ErrorCode::ReadOnly) => (otherwise, "the database is read-only".to_string()),
        Some(ErrorCode::CannotOpen) => (otherwise, "the file cannot be opened".to_string()),
        Some(ErrorCode::PermissionDenied) => (otherwise, "permission denied".to_string()),
        _ => (otherwise, e.to_string()),
    };
    StoreError { kind, message: format!("SQLite database {}: {what}", path.display()) }
}
