//! The embedded default store: one SQLite file in WAL mode, one transaction per fetched window
//! with its checkpoint.
//!
//! Schema 2: `series` names each (dataset, area, group) once with an integer id, and `records`
//! is keyed (series_id, start_utc): small integer keys make an upsert about twice as fast as
//! the text keys of schema 1 (migrated on open). Upserts keep the newest `last_updated`
//! (`revisions` counts replacements); new / updated / unchanged come from `changes()` and a
//! count of each series' rows in the window before and after.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeZone, Utc};
use rusqlite::{params, Connection, ErrorCode, OpenFlags, OptionalExtension, Transaction};

use super::{GroupTotal, HourValue, MonthCoverage, Result, StoreError, UpsertStats};
use crate::elhub::{ParsedWindow, Window};
use crate::model::{year_bounds_utc, Dataset, Group, Month, PriceArea, Record};

const SCHEMA_VERSION: i64 = 2;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS series (
    id         INTEGER PRIMARY KEY,
    dataset    TEXT NOT NULL,
    price_area TEXT NOT NULL,
    grp        TEXT NOT NULL,
    UNIQUE (dataset, price_area, grp)
);
CREATE TABLE IF NOT EXISTS records (
    series_id       INTEGER NOT NULL,  -- series.id
    start_utc       INTEGER NOT NULL,  -- Unix seconds of the hour's start: the key is never local time
    quantity_kwh    REAL    NOT NULL,
    last_updated    INTEGER NOT NULL,  -- Unix seconds of Elhub's lastUpdatedTime
    metering_points INTEGER,           -- consumption only
    revisions       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (series_id, start_utc)
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

/// Rows per multi-row upsert statement (fewer statement steps per record).
const ROWS_PER_STATEMENT: usize = 64;

fn upsert_sql(rows: usize) -> String {
    let values = vec!["(?, ?, ?, ?, ?)"; rows].join(", ");
    format!(
        "INSERT INTO records (series_id, start_utc, quantity_kwh, last_updated, metering_points) VALUES {values}
         ON CONFLICT (series_id, start_utc) DO UPDATE SET
            quantity_kwh = excluded.quantity_kwh,
            last_updated = excluded.last_updated,
            metering_points = excluded.metering_points,
            revisions = records.revisions + 1
         WHERE excluded.last_updated > records.last_updated"
    )
}

/// Joins records to their series for reads.
const SERIES_JOIN: &str = "FROM records r JOIN series s ON s.id = r.series_id";

/// A SQLite database with a writer and a reader connection, so the explorer can read while
/// an ingest writes (WAL mode).
pub struct SqliteStore {
    path: PathBuf,
    writer: Arc<Mutex<Connection>>,
    reader: Arc<Mutex<Connection>>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path`. The directory must exist unless it is
    /// the default data directory, which the caller creates.
    pub fn open(path: &Path) -> Result<SqliteStore> {
        Self::open_with(path, std::time::Duration::from_secs(30))
    }

    /// Opens with a given wait for other processes' locks.
    pub fn open_with(path: &Path, busy_timeout: std::time::Duration) -> Result<SqliteStore> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            if !dir.is_dir() {
                return Err(StoreError::Config(format!(
                    "cannot open the database {}: the directory {} does not exist",
                    path.display(),
                    dir.display()
                )));
            }
        }
        if path.is_dir() {
            return Err(StoreError::Config(format!(
                "cannot open the database {}: it is a directory",
                path.display()
            )));
        }
        // SQLite can answer BUSY without waiting while another process is creating the file or
        // switching it to WAL; such a moment passes, so try again until the busy timeout.
        let deadline = std::time::Instant::now() + busy_timeout;
        let (writer, reader) = loop {
            let attempt = open_connection(path, busy_timeout).and_then(|mut writer| {
                init_schema(&mut writer, path)?;
                Ok((writer, open_connection(path, busy_timeout)?))
            });
            match attempt {
                Err(StoreError::Runtime(m))
                    if std::time::Instant::now() < deadline && m.contains("locked") =>
                {
                    std::thread::sleep(std::time::Duration::from_millis(25));
                }
                other => break other?,
            }
        };
        Ok(SqliteStore {
            path: path.to_path_buf(),
            writer: Arc::new(Mutex::new(writer)),
            reader: Arc::new(Mutex::new(reader)),
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
            f(&mut guard).map_err(|e| runtime_error(&path, e))
        })
        .await
        .map_err(|e| StoreError::Runtime(format!("SQLite task failed: {e}")))?
    }

    pub async fn upsert_window(
        &self,
        dataset: Dataset,
        month: Month,
        window: Window,
        parsed: &Arc<ParsedWindow>,
    ) -> Result<UpsertStats> {
        // Shared with the blocking task (and the other sinks) rather than copied.
        let parsed = parsed.clone();
        self.with(&self.writer, move |conn| {
            let (records, rejected) = (&parsed.records, parsed.rejected);
            let tx = conn.transaction()?;
            let ids = series_ids(&tx, dataset, records)?;
            let spans = series_spans(records, &ids);
            let before = count_spans(&tx, &spans)?;
            let mut changed = 0u64;
            {
                let mut many = tx.prepare_cached(&upsert_sql(ROWS_PER_STATEMENT))?;
                let mut one = tx.prepare_cached(&upsert_sql(1))?;
                // Records come grouped by series: one id lookup per run of equal series.
                let series_of: Vec<i64> = records
                    .chunk_by(|a, b| a.area == b.area && a.group == b.group)
                    .flat_map(|run| std::iter::repeat_n(ids[&(run[0].area, run[0].group.as_str())], run.len()))
                    .collect();
                let rows: Vec<(&Record, i64)> = records.iter().zip(series_of).collect();
                let mut chunks = rows.chunks_exact(ROWS_PER_STATEMENT);
                for chunk in &mut chunks {
                    for (i, (r, id)) in chunk.iter().enumerate() {
                        bind_record(&mut many, i * 5, *id, r)?;
                    }
                    changed += many.raw_execute()? as u64;
                }
                for (r, id) in chunks.remainder() {
                    bind_record(&mut one, 0, *id, r)?;
                    changed += one.raw_execute()? as u64;
                }
            }
            let after = count_spans(&tx, &spans)?;
            tx.execute(
                "INSERT INTO fetched_windows (dataset, month, start_utc, end_utc, fetched_at, records, rejected)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (dataset, month) DO UPDATE SET start_utc = excluded.start_utc,
                    end_utc = excluded.end_utc, fetched_at = excluded.fetched_at,
                    records = excluded.records, rejected = excluded.rejected",
                params![
                    dataset.as_str(),
                    month.to_string(),
                    window.start.timestamp(),
                    window.end.timestamp(),
                    Utc::now().timestamp(),
                    records.len() as i64,
                    rejected as i64
                ],
            )?;
            tx.commit()?;
            let new = after.saturating_sub(before);
            let updated = changed.saturating_sub(new);
            Ok(UpsertStats { new, updated, unchanged: (records.len() as u64).saturating_sub(new + updated) })
        })
        .await
    }

    pub async fn series(&self, dataset: Dataset) -> Result<Vec<(PriceArea, Group)>> {
        self.with(&self.reader, move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT price_area, grp FROM series WHERE dataset = ?1 ORDER BY price_area, grp",
            )?;
            let rows = stmt.query_map(params![dataset.as_str()], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (area, group) = row?;
                // Areas outside NO1-NO5 cannot be written (the parser rejects them).
                if let Ok(area) = area.parse() {
                    out.push((area, group));
                }
            }
            Ok(out)
        })
        .await
    }

    pub async fn series_records(
        &self,
        dataset: Dataset,
        area: PriceArea,
        group: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Record>> {
        let group = group.to_string();
        self.with(&self.reader, move |conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT r.start_utc, r.quantity_kwh, r.last_updated, r.metering_points {SERIES_JOIN}
                 WHERE s.dataset = ?1 AND s.price_area = ?2 AND s.grp = ?3 AND r.start_utc >= ?4 AND r.start_utc < ?5
                 ORDER BY r.start_utc"
            ))?;
            let rows = stmt.query_map(
                params![dataset.as_str(), area.as_str(), group, from.timestamp(), to.timestamp()],
                |row| {
                    Ok(Record {
                        dataset,
                        area,
                        group: group.clone(),
                        start: instant(row.get(0)?),
                        quantity_kwh: row.get(1)?,
                        last_updated: instant(row.get(2)?),
                        metering_points: row.get(3)?,
                    })
                },
            )?;
            rows.collect()
        })
        .await
    }

    pub async fn annual_totals(
        &self,
        dataset: Dataset,
        area: PriceArea,
        year: i32,
    ) -> Result<Vec<GroupTotal>> {
        let (from, to) = year_bounds_utc(year);
        self.with(&self.reader, move |conn| {
            // Each series' year is one range of the primary key: the cost is the year's rows,
            // not every row the area ever had.
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT s.grp, SUM(r.quantity_kwh), COUNT(*) {SERIES_JOIN}
                 WHERE s.dataset = ?1 AND s.price_area = ?2 AND r.start_utc >= ?3 AND r.start_utc < ?4
                 GROUP BY s.grp ORDER BY s.grp"
            ))?;
            let rows = stmt.query_map(
                params![dataset.as_str(), area.as_str(), from.timestamp(), to.timestamp()],
                |row| {
                    Ok(GroupTotal {
                        group: row.get(0)?,
                        kwh: row.get(1)?,
                        hours: row.get::<_, i64>(2)? as u64,
                    })
                },
            )?;
            rows.collect()
        })
        .await
    }

    pub async fn hourly(
        &self,
        dataset: Dataset,
        area: PriceArea,
        group: &str,
        month: Month,
    ) -> Result<Vec<HourValue>> {
        let group = group.to_string();
        self.with(&self.reader, move |conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT r.start_utc, r.quantity_kwh {SERIES_JOIN}
                 WHERE s.dataset = ?1 AND s.price_area = ?2 AND s.grp = ?3 AND r.start_utc >= ?4 AND r.start_utc < ?5
                 ORDER BY r.start_utc"
            ))?;
            let rows = stmt.query_map(
                params![
                    dataset.as_str(),
                    area.as_str(),
                    group,
                    month.start_utc().timestamp(),
                    month.end_utc().timestamp()
                ],
                |row| Ok(HourValue { start: instant(row.get(0)?), kwh: row.get(1)? }),
            )?;
            rows.collect()
        })
        .await
    }

    pub async fn coverage(&self, dataset: Dataset) -> Result<Vec<MonthCoverage>> {
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

    pub async fn count(&self, dataset: Dataset) -> Result<u64> {
        self.with(&self.reader, move |conn| {
            conn.query_row(
                &format!("SELECT COUNT(*) {SERIES_JOIN} WHERE s.dataset = ?1"),
                params![dataset.as_str()],
                |row| row.get::<_, i64>(0),
            )
            .map(|n| n as u64)
        })
        .await
    }
}

/// The id of every series in `records`, created as needed.
fn series_ids<'a>(
    tx: &Transaction,
    dataset: Dataset,
    records: &'a [Record],
) -> rusqlite::Result<HashMap<(PriceArea, &'a str), i64>> {
    let mut ids = HashMap::new();
    let mut add =
        tx.prepare_cached("INSERT OR IGNORE INTO series (dataset, price_area, grp) VALUES (?1, ?2, ?3)")?;
    let mut get =
        tx.prepare_cached("SELECT id FROM series WHERE dataset = ?1 AND price_area = ?2 AND grp = ?3")?;
    for run in records.chunk_by(|a, b| a.area == b.area && a.group == b.group) {
        let r = &run[0];
        if let std::collections::hash_map::Entry::Vacant(slot) = ids.entry((r.area, r.group.as_str())) {
            let names = params![dataset.as_str(), r.area.as_str(), r.group];
            add.execute(names)?;
            slot.insert(get.query_row(names, |row| row.get(0))?);
        }
    }
    Ok(ids)
}

/// Per series id, the first and last start in `records` (one pass, a lookup per run of
/// equal series).
fn series_spans(records: &[Record], ids: &HashMap<(PriceArea, &str), i64>) -> HashMap<i64, (i64, i64)> {
    let mut spans: HashMap<i64, (i64, i64)> = HashMap::new();
    for run in records.chunk_by(|a, b| a.area == b.area && a.group == b.group) {
        let id = ids[&(run[0].area, run[0].group.as_str())];
        for r in run {
            let t = r.start.timestamp();
            let span = spans.entry(id).or_insert((t, t));
            span.0 = span.0.min(t);
            span.1 = span.1.max(t);
        }
    }
    spans
}

/// Rows stored within the spans (a primary-key range count per series).
fn count_spans(tx: &Transaction, spans: &HashMap<i64, (i64, i64)>) -> rusqlite::Result<u64> {
    let mut stmt = tx.prepare_cached(
        "SELECT COUNT(*) FROM records WHERE series_id = ?1 AND start_utc >= ?2 AND start_utc <= ?3",
    )?;
    let mut total = 0u64;
    for (id, (first, last)) in spans {
        total += stmt.query_row(params![id, first, last], |row| row.get::<_, i64>(0))? as u64;
    }
    Ok(total)
}

/// Binds one record's five values at `offset` (0-based) of an upsert statement.
fn bind_record(
    stmt: &mut rusqlite::CachedStatement,
    offset: usize,
    series_id: i64,
    r: &Record,
) -> rusqlite::Result<()> {
    stmt.raw_bind_parameter(offset + 1, series_id)?;
    stmt.raw_bind_parameter(offset + 2, r.start.timestamp())?;
    stmt.raw_bind_parameter(offset + 3, r.quantity_kwh)?;
    stmt.raw_bind_parameter(offset + 4, r.last_updated.timestamp())?;
    stmt.raw_bind_parameter(offset + 5, r.metering_points)?;
    Ok(())
}

fn instant(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(secs, 0).single().unwrap_or_default()
}

fn open_connection(path: &Path, busy_timeout: std::time::Duration) -> Result<Connection> {
    let flags =
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(|e| config_error(path, e))?;
    // Wait for another process's write (a second ingest, the explorer) instead of failing.
    conn.busy_timeout(busy_timeout).map_err(|e| config_error(path, e))?;
    conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;")
        .map_err(|e| config_error(path, e))?;
    Ok(conn)
}

/// Creates or migrates the schema. One IMMEDIATE transaction, so two processes opening a new
/// file at once take turns (the second waits on the busy timeout and finds it done).
fn init_schema(conn: &mut Connection, path: &Path) -> Result<()> {
    let err = |e| config_error(path, e);
    // The usual case, a current schema, needs no lock: readers never wait on a writer here.
    if schema_version(conn).map_err(err)?.as_deref() == Some(SCHEMA_VERSION.to_string().as_str()) {
        return Ok(());
    }
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(err)?;
    let version = schema_version(&tx).map_err(err)?;
    match version.as_deref().map(str::parse::<i64>) {
        None => {
            tx.execute_batch(SCHEMA).map_err(err)?;
            tx.execute("INSERT INTO meta VALUES ('schema_version', ?1)", params![SCHEMA_VERSION.to_string()])
                .map_err(err)?;
        }
        Some(Ok(1)) => {
            tx.execute_batch(MIGRATE_1_TO_2).map_err(err)?;
            tracing::info!(path = %path.display(), "migrated the database from schema 1 to 2");
        }
        Some(Ok(v)) if v == SCHEMA_VERSION => {}
        Some(_) => {
            return Err(StoreError::Config(format!(
                "the database {} has schema version {}, this program knows version {SCHEMA_VERSION}",
                path.display(),
                version.unwrap_or_default()
            )))
        }
    }
    tx.commit().map_err(err)
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

fn describe(path: &Path, e: &rusqlite::Error) -> String {
    let what = match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) => "it is not a SQLite database".to_string(),
        Some(ErrorCode::DatabaseBusy) | Some(ErrorCode::DatabaseLocked) => {
            "the database is locked by another process".to_string()
        }
        Some(ErrorCode::DiskFull) => "the disk is full".to_string(),
        Some(ErrorCode::ReadOnly) => "the database is read-only".to_string(),
        Some(ErrorCode::CannotOpen) => "the file cannot be opened".to_string(),
        Some(ErrorCode::PermissionDenied) => "permission denied".to_string(),
        _ => e.to_string(),
    };
    format!("SQLite database {}: {what}", path.display())
}

/// An error opening the store: the configuration's fault (exit 2), except a lock held by
/// another process, which is a run-time condition (exit 1) a rerun gets past.
fn config_error(path: &Path, e: rusqlite::Error) -> StoreError {
    match e.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => StoreError::Runtime(describe(path, &e)),
        _ => StoreError::Config(describe(path, &e)),
    }
}

fn runtime_error(path: &Path, e: rusqlite::Error) -> StoreError {
    StoreError::Runtime(describe(path, &e))
}
