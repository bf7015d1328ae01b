//! The embedded default store: one SQLite file in WAL mode, one table keyed
//! (dataset, price_area, grp, start_utc), one transaction per fetched window with its checkpoint.
//!
//! Upserts keep the newest `last_updated`; `revisions` counts replacements, which also lets one
//! statement tell new, updated and unchanged records apart (RETURNING yields no row when the
//! conflict's WHERE keeps the stored row).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeZone, Utc};
use rusqlite::{params, Connection, ErrorCode, OpenFlags, OptionalExtension};

use super::{GroupTotal, HourValue, MonthCoverage, Result, StoreError, UpsertStats};
use crate::elhub::{ParsedWindow, Window};
use crate::model::{year_bounds_utc, Dataset, Group, Month, PriceArea, Record};

const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS records (
    dataset         TEXT    NOT NULL,
    price_area      TEXT    NOT NULL,
    grp             TEXT    NOT NULL,
    start_utc       INTEGER NOT NULL,  -- Unix seconds of the hour's start: the key is never local time
    quantity_kwh    REAL    NOT NULL,
    last_updated    INTEGER NOT NULL,  -- Unix seconds of Elhub's lastUpdatedTime
    metering_points INTEGER,           -- consumption only
    revisions       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (dataset, price_area, grp, start_utc)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS series (
    dataset TEXT NOT NULL, price_area TEXT NOT NULL, grp TEXT NOT NULL,
    PRIMARY KEY (dataset, price_area, grp)
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

const UPSERT: &str = "
INSERT INTO records (dataset, price_area, grp, start_utc, quantity_kwh, last_updated, metering_points)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
ON CONFLICT (dataset, price_area, grp, start_utc) DO UPDATE SET
    quantity_kwh = excluded.quantity_kwh,
    last_updated = excluded.last_updated,
    metering_points = excluded.metering_points,
    revisions = records.revisions + 1
WHERE excluded.last_updated > records.last_updated
RETURNING revisions";

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
        let writer = open_connection(path, busy_timeout)?;
        init_schema(&writer, path)?;
        let reader = open_connection(path, busy_timeout)?;
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
        parsed: &ParsedWindow,
    ) -> Result<UpsertStats> {
        // The records move into the blocking task; cloning a month (~18k records) costs ~1 ms,
        // far less than the write, and keeps the caller's copy for the other sinks.
        let records = parsed.records.clone();
        let rejected = parsed.rejected;
        self.with(&self.writer, move |conn| {
            let tx = conn.transaction()?;
            let mut stats = UpsertStats::default();
            {
                let mut upsert = tx.prepare_cached(UPSERT)?;
                let mut add_series = tx.prepare_cached("INSERT OR IGNORE INTO series VALUES (?1, ?2, ?3)")?;
                let mut last_series: Option<(PriceArea, &str)> = None;
                for r in &records {
                    if last_series != Some((r.area, r.group.as_str())) {
                        add_series.execute(params![r.dataset.as_str(), r.area.as_str(), r.group])?;
                        last_series = Some((r.area, r.group.as_str()));
                    }
                    let revisions: Option<i64> = upsert
                        .query_row(
                            params![
                                r.dataset.as_str(),
                                r.area.as_str(),
                                r.group,
                                r.start.timestamp(),
                                r.quantity_kwh,
                                r.last_updated.timestamp(),
                                r.metering_points
                            ],
                            |row| row.get(0),
                        )
                        .optional()?;
                    match revisions {
                        None => stats.unchanged += 1,
                        Some(0) => stats.new += 1,
                        Some(_) => stats.updated += 1,
                    }
                }
            }
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
            Ok(stats)
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
            let mut stmt = conn.prepare_cached(
                "SELECT start_utc, quantity_kwh, last_updated, metering_points FROM records
                 WHERE dataset = ?1 AND price_area = ?2 AND grp = ?3 AND start_utc >= ?4 AND start_utc < ?5
                 ORDER BY start_utc",
            )?;
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
            // Driven by the series table, each series' year is one range of the primary key:
            // the cost is the year's rows, not every row the area ever had.
            let mut stmt = conn.prepare_cached(
                "SELECT s.grp, SUM(r.quantity_kwh), COUNT(r.start_utc)
                 FROM series s JOIN records r
                   ON r.dataset = s.dataset AND r.price_area = s.price_area AND r.grp = s.grp
                  AND r.start_utc >= ?3 AND r.start_utc < ?4
                 WHERE s.dataset = ?1 AND s.price_area = ?2
                 GROUP BY s.grp ORDER BY s.grp",
            )?;
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
            let mut stmt = conn.prepare_cached(
                "SELECT start_utc, quantity_kwh FROM records
                 WHERE dataset = ?1 AND price_area = ?2 AND grp = ?3 AND start_utc >= ?4 AND start_utc < ?5
                 ORDER BY start_utc",
            )?;
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
                "SELECT COUNT(*) FROM records WHERE dataset = ?1",
                params![dataset.as_str()],
                |row| row.get::<_, i64>(0),
            )
            .map(|n| n as u64)
        })
        .await
    }
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

fn init_schema(conn: &Connection, path: &Path) -> Result<()> {
    conn.execute_batch(SCHEMA).map_err(|e| config_error(path, e))?;
    let version: Option<String> = conn
        .query_row("SELECT value FROM meta WHERE key = 'schema_version'", [], |r| r.get(0))
        .optional()
        .map_err(|e| config_error(path, e))?;
    match version.as_deref().map(str::parse::<i64>) {
        None => {
            conn.execute(
                "INSERT INTO meta VALUES ('schema_version', ?1)",
                params![SCHEMA_VERSION.to_string()],
            )
            .map_err(|e| config_error(path, e))?;
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
    Ok(())
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

fn config_error(path: &Path, e: rusqlite::Error) -> StoreError {
    StoreError::Config(describe(path, &e))
}

fn runtime_error(path: &Path, e: rusqlite::Error) -> StoreError {
    StoreError::Runtime(describe(path, &e))
}
