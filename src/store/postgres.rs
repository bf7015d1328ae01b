//! PostgreSQL (14 and later, tested on 15): a schema of its own (`elhub`, configurable) with the
//! tables of the SQLite store, records partitioned by local year, and the analyst's views
//! (`store::views`, with `timestamptz` times).
//!
//! A window is written in one transaction, behind an advisory lock per dataset (so the read,
//! the merge and the write see the same rows, as SQLite's IMMEDIATE transaction does): the
//! stored values of the window are read with one query, merged record by record
//! (`store::merge`: the newest `lastUpdatedTime` wins), and only what is new or newer is sent,
//! by binary `COPY` into a temporary staging table and one `INSERT … ON CONFLICT … DO UPDATE …
//! WHERE` newer; the day rollups computed by the merge, the month rollups recomputed from the
//! days, the all-entity step sums moved by what changed, and, with the month's last window, the
//! checkpoint, all in the same transaction.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, Mutex};
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{Client, Config, GenericClient};

use super::merge::{merge, StoredValue};
use super::rollup::months_of;
use super::{
    Backend, Checkpoint, MonthCoverage, Period, Result, Rollup, Scope, StepValue, StoreError, StoreKind,
    UpsertStats,
};
use crate::model::{
    day_key, instant, month_key, Dataset, Entity, EntityKind, Month, Point, Record, SeriesKey, WindowData,
};

/// The layout version this program writes (`meta.schema_version`).
const SCHEMA_VERSION: i64 = 1;

/// How the connection is encrypted: libpq's `sslmode` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    /// Plain text.
    Disable,
    /// TLS when the server offers it, else plain text; the certificate is not checked (libpq's
    /// default).
    Prefer,
    /// TLS or nothing; the certificate is not checked.
    Require,
    /// TLS with a certificate signed by a trusted CA (the web PKI roots, or `tls_ca_file`).
    VerifyCa,
    /// That, and a certificate made out to the host connected to.
    VerifyFull,
}

impl std::str::FromStr for SslMode {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "disable" => Ok(SslMode::Disable),
            "prefer" | "allow" => Ok(SslMode::Prefer),
            "require" => Ok(SslMode::Require),
            "verify-ca" => Ok(SslMode::VerifyCa),
            "verify-full" => Ok(SslMode::VerifyFull),
            _ => Err(format!(
                "unknown sslmode '{s}' (expected disable, prefer, require, verify-ca or verify-full)"
            )),
        }
    }
}

impl SslMode {
    fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }
}

crate::model::deserialize_from_str!(SslMode);

/// Where and how to connect.
#[derive(Debug, Clone)]
pub struct PostgresSettings {
    /// A libpq connection string: `postgresql://user:pass@host:port/db?sslmode=…` or
    /// `host=… user=… dbname=…`. It may carry a password, so it is only printed redacted.
    pub url: String,
    /// The schema that holds the tables and views.
    pub schema: String,
    /// From the connection string when it names one, else this.
    pub sslmode: SslMode,
    /// PEM CA certificates trusted besides the web PKI roots (`sslrootcert` in the string).
    pub ca_file: Option<PathBuf>,
    pub connect_timeout: Duration,
}

pub struct PostgresStore {
    writer: Mutex<Client>,
    reader: Mutex<Client>,
    /// Identifiers, quoted: `"elhub"`.
    schema: String,
    /// `postgresql://user@host:port/db`, never the password.
    location: String,
    /// The connection string's secrets, scrubbed from every message.
    secrets: Vec<String>,
    /// Series ids of committed writes.
    ids: std::sync::Mutex<HashMap<(Dataset, SeriesKey), i64>>,
    /// Local years whose records partition exists.
    years: std::sync::Mutex<HashSet<i32>>,
}

/// Connection string, sslmode and CA file with the parts tokio-postgres does not take
/// (`sslmode=verify-*`, `sslrootcert`) taken out and applied by us.
struct Parsed {
    config: Config,
    sslmode: SslMode,
    ca_file: Option<PathBuf>,
}

fn parse(settings: &PostgresSettings) -> Result<Parsed> {
    let bad =
        |why: String| StoreError::config(format!("the PostgreSQL connection string is not valid: {why}"));
    let mut sslmode = settings.sslmode;
    let mut ca_file = settings.ca_file.clone();
    let text = settings.url.trim();
    let rest: String = if text.contains("://") {
        let mut url = reqwest::Url::parse(text).map_err(|e| bad(e.to_string()))?;
        let mut kept = Vec::new();
        for (k, v) in url.query_pairs() {
            match k.as_ref() {
                "sslmode" => sslmode = v.parse().map_err(bad)?,
                "sslrootcert" => ca_file = Some(PathBuf::from(v.as_ref())),
                _ => kept.push((k.into_owned(), v.into_owned())),
            }
        }
        url.set_query(None);
        if !kept.is_empty() {
            url.query_pairs_mut().extend_pairs(kept);
        }
        url.to_string()
    } else {
        let mut kept = Vec::new();
        for (k, v) in key_values(text).map_err(bad)? {
            match k.as_str() {
                "sslmode" => sslmode = v.parse().map_err(bad)?,
                "sslrootcert" => ca_file = Some(PathBuf::from(v)),
                _ => kept.push(format!("{k}='{}'", v.replace('\\', "\\\\").replace('\'', "\\'"))),
            }
        }
        kept.join(" ")
    };
    let mut config: Config = rest.parse().map_err(|e: tokio_postgres::Error| bad(error_text(&e)))?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(settings.connect_timeout);
    }
    config.ssl_mode(match sslmode {
        SslMode::Disable => tokio_postgres::config::SslMode::Disable,
        SslMode::Prefer => tokio_postgres::config::SslMode::Prefer,
        _ => tokio_postgres::config::SslMode::Require,
    });
    config.application_name("elhub-explorer");
    Ok(Parsed { config, sslmode, ca_file })
}

/// libpq's `key=value` pairs (values bare or single-quoted with backslash escapes).
fn key_values(text: &str) -> std::result::Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.peek().is_none() {
            return Ok(out);
        }
        let key: String = std::iter::from_fn(|| chars.next_if(|c| *c != '=' && !c.is_whitespace())).collect();
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.next() != Some('=') {
            return Err(format!("'{key}' has no value"));
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut value = String::new();
        if chars.peek() == Some(&'\'') {
            chars.next();
            loop {
                match chars.next() {
                    Some('\\') => value.extend(chars.next()),
                    Some('\'') => break,
                    Some(c) => value.push(c),
                    None => return Err(format!("the value of '{key}' has no closing quote")),
                }
            }
        } else {
            value = std::iter::from_fn(|| chars.next_if(|c| !c.is_whitespace())).collect();
        }
        out.push((key, value));
    }
}

/// `postgresql://user@host:port/db`: where the store is, never the password.
fn location_of(config: &Config) -> String {
    use tokio_postgres::config::Host;
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(h)) if h.contains(':') => format!("[{h}]"),
        Some(Host::Tcp(h)) => h.clone(),
        #[cfg(unix)]
        Some(Host::Unix(p)) => p.display().to_string(),
        None => "localhost".into(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let user = config.get_user().map(|u| format!("{u}@")).unwrap_or_default();
    format!("postgresql://{user}{host}:{port}/{}", config.get_dbname().unwrap_or(""))
}

/// The whole text of a driver error (its kind, then its sources), one line.
fn error_text(e: &tokio_postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return db.message().to_string();
    }
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let more = s.to_string();
        if !text.contains(&more) {
            text = format!("{text}: {more}");
        }
        source = s.source();
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl PostgresStore {
    /// Connects (twice: a writer and a reader), makes or upgrades the schema, and the views.
    pub async fn open(settings: PostgresSettings) -> Result<PostgresStore> {
        if !valid_identifier(&settings.schema) {
            return Err(StoreError::config(format!(
                "postgres.schema '{}' is not a plain name (letters, digits and _, starting with a letter)",
                settings.schema
            )));
        }
        let secrets = super::secrets::conninfo_secrets(&settings.url);
        let scrub = |mut e: StoreError| {
            e.message = super::secrets::scrub(&e.message, &secrets);
            e
        };
        let parsed = parse(&settings).map_err(scrub)?;
        let location = location_of(&parsed.config);
        let writer = connect(&parsed, &location).await.map_err(scrub)?;
        let reader = connect(&parsed, &location).await.map_err(scrub)?;
        let schema = format!("\"{}\"", settings.schema);
        let store = PostgresStore {
            writer: Mutex::new(writer),
            reader: Mutex::new(reader),
            schema,
            location,
            secrets,
            ids: std::sync::Mutex::new(HashMap::new()),
            years: std::sync::Mutex::new(HashSet::new()),
        };
        store.init_schema().await?;
        Ok(store)
    }

    fn err(&self, e: tokio_postgres::Error) -> StoreError {
        let mut err = classify(&self.location, &e);
        err.message = super::secrets::scrub(&err.message, &self.secrets);
        err
    }

    async fn init_schema(&self) -> Result<()> {
        let mut client = self.writer.lock().await;
        let tx = client.transaction().await.map_err(|e| self.err(e))?;
        // One at a time: two programs opening a new schema take turns.
        tx.execute("SELECT pg_advisory_xact_lock(7263451)", &[]).await.map_err(|e| self.err(e))?;
        let s = &self.schema;
        let exists: bool = tx
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'meta')",
                &[&s.trim_matches('"')],
            )
            .await
            .map_err(|e| self.err(e))?
            .get(0);
        let version: Option<i64> = if exists {
            tx.query_opt(&format!("SELECT value::int8 FROM {s}.meta WHERE key = 'schema_version'"), &[])
                .await
                .map_err(|e| self.err(e))?
                .map(|r| r.get(0))
        } else {
            None
        };
        match version {
            Some(SCHEMA_VERSION) => return Ok(()),
            Some(v) if v > SCHEMA_VERSION => {
                return Err(StoreError::config(format!(
                    "PostgreSQL at {}: the schema {s} has layout version {v}; this program knows version {SCHEMA_VERSION}",
                    self.location
                )))
            }
            _ => {}
        }
        tx.batch_execute(&schema_sql(s)).await.map_err(|e| self.err(e))?;
        for statement in super::views::postgres_statements(s) {
            tx.batch_execute(&statement).await.map_err(|e| self.err(e))?;
        }
        tx.execute(
            &format!(
                "INSERT INTO {s}.meta (key, value) VALUES ('schema_version', $1)
                 ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value"
            ),
            &[&SCHEMA_VERSION.to_string()],
        )
        .await
        .map_err(|e| self.err(e))?;
        tx.commit().await.map_err(|e| self.err(e))
    }

    /// Makes the records partitions of the local years `window` touches, once each.
    async fn ensure_partitions(&self, years: &[i32]) -> Result<()> {
        let missing: Vec<i32> = {
            let known = self.years.lock().unwrap_or_else(|e| e.into_inner());
            years.iter().copied().filter(|y| !known.contains(y)).collect()
        };
        if missing.is_empty() {
            return Ok(());
        }
        let mut client = self.writer.lock().await;
        let tx = client.transaction().await.map_err(|e| self.err(e))?;
        tx.execute("SELECT pg_advisory_xact_lock(7263452)", &[]).await.map_err(|e| self.err(e))?;
        let s = &self.schema;
        for year in &missing {
            // A local year starts at midnight in winter time: +01:00.
            tx.batch_execute(&format!(
                "CREATE TABLE IF NOT EXISTS {s}.records_{year} PARTITION OF {s}.records
                 FOR VALUES FROM ('{year}-01-01 00:00:00+01') TO ('{}-01-01 00:00:00+01')",
                year + 1
            ))
            .await
            .map_err(|e| self.err(e))?;
        }
        tx.commit().await.map_err(|e| self.err(e))?;
        self.years.lock().unwrap_or_else(|e| e.into_inner()).extend(missing);
        Ok(())
    }

    /// The ids of `keys` in `dataset`, made where new (not yet cached: the caller caches them
    /// after its transaction commits).
    async fn series_ids(
        &self,
        tx: &tokio_postgres::Transaction<'_>,
        dataset: Dataset,
        keys: &[&SeriesKey],
    ) -> Result<HashMap<SeriesKey, i64>> {
        let mut out = HashMap::new();
        let mut unknown: Vec<&SeriesKey> = Vec::new();
        {
            let cache = self.ids.lock().unwrap_or_else(|e| e.into_inner());
            for k in keys {
                match cache.get(&(dataset, (*k).clone())) {
                    Some(id) => {
                        out.insert((*k).clone(), *id);
                    }
                    None => unknown.push(k),
                }
            }
        }
        if unknown.is_empty() {
            return Ok(out);
        }
        let s = &self.schema;
        let entities: Vec<&str> = unknown.iter().map(|k| k.entity.as_str()).collect();
        let groups: Vec<&str> = unknown.iter().map(|k| k.group.as_str()).collect();
        tx.execute(
            &format!(
                "INSERT INTO {s}.series (dataset, entity, grp) SELECT $1, e, g FROM unnest($2::text[], $3::text[]) AS u(e, g)
                 ON CONFLICT (dataset, entity, grp) DO NOTHING"
            ),
            &[&dataset.as_str(), &entities, &groups],
        )
        .await
        .map_err(|e| self.err(e))?;
        let rows = tx
            .query(
                &format!(
                    "SELECT s.id, s.entity, s.grp FROM {s}.series s JOIN unnest($2::text[], $3::text[]) AS u(e, g)
                     ON s.entity = u.e AND s.grp = u.g WHERE s.dataset = $1"
                ),
                &[&dataset.as_str(), &entities, &groups],
            )
            .await
            .map_err(|e| self.err(e))?;
        for row in rows {
            out.insert(SeriesKey { entity: row.get(1), group: row.get(2) }, row.get(0));
        }
        Ok(out)
    }

    async fn write_in(
        &self,
        tx: &tokio_postgres::Transaction<'_>,
        data: &WindowData,
        checkpoint: Option<&Checkpoint>,
    ) -> Result<(UpsertStats, HashMap<SeriesKey, i64>)> {
        let s = &self.schema;
        let dataset = data.dataset;
        let e = |e| self.err(e);
        tx.execute("SELECT pg_advisory_xact_lock(7263500 + $1::int8)", &[&(dataset.index() as i64)])
            .await
            .map_err(e)?;
        self.upsert_entities(tx, &data.entities).await?;
        let keys: Vec<&SeriesKey> = data.series.iter().map(|s| &s.key).collect();
        let ids = self.series_ids(tx, dataset, &keys).await?;
        let (from, to) = (data.window.start, data.window.end);
        let id_list: Vec<i64> = data.series.iter().filter_map(|s| ids.get(&s.key).copied()).collect();
        // What is stored in the window, by series.
        let mut stored: HashMap<i64, Vec<StoredValue>> = HashMap::new();
        for row in tx
            .query(
                &format!(
                    "SELECT series_id, start_utc, kwh, last_updated FROM {s}.records
                     WHERE series_id = ANY($1) AND start_utc >= $2 AND start_utc < $3 ORDER BY series_id, start_utc"
                ),
                &[&id_list, &from, &to],
            )
            .await
            .map_err(e)?
        {
            let (start, updated): (DateTime<Utc>, DateTime<Utc>) = (row.get(1), row.get(3));
            stored.entry(row.get(0)).or_default().push((start.timestamp(), row.get(2), updated.timestamp()));
        }
        let bounds = data.window.day_bounds();
        let mut stats = UpsertStats::default();
        let mut writes: Vec<(i64, &Point)> = Vec::new();
        let mut days = DayColumns::default();
        let mut months: HashSet<i32> = HashSet::new();
        let mut deltas: HashMap<(String, i64), (f64, i64)> = HashMap::new();
        for series in &data.series {
            let Some(id) = ids.get(&series.key).copied() else { continue };
            let old = stored.get(&id).map_or(&[][..], Vec::as_slice);
            let merged = merge(&series.points, old, &bounds);
            stats.add(merged.stats);
            for p in &merged.writes {
                let before = old.binary_search_by_key(&p.start, |v| v.0).ok().map(|i| old[i].1);
                let d = deltas.entry((series.key.group.clone(), p.start)).or_insert((0.0, 0));
                d.0 += p.kwh - before.unwrap_or(0.0);
                d.1 += i64::from(before.is_none());
            }
            writes.extend(merged.writes.iter().map(|p| (id, *p)));
            for d in &merged.days {
                days.push(id, d);
            }
            months.extend(months_of(&merged.days));
        }
        if !writes.is_empty() {
            // Nothing stored in the window (and the dataset's lock held): the rows go straight
            // into the table, one pass instead of staging and upserting.
            self.copy_records(tx, dataset, &writes, stored.is_empty()).await?;
        }
        // The window's day rollups as merged, then the months they fall in.
        let (first_day, last_day) = (
            bounds.first().map_or(0, |b| day_key(b.0)),
            bounds.len().checked_sub(2).map_or(0, |i| day_key(bounds[i].0)),
        );
        tx.execute(
            &format!("DELETE FROM {s}.rollup_day WHERE series_id = ANY($1) AND day BETWEEN $2 AND $3"),
            &[&id_list, &first_day, &last_day],
        )
        .await
        .map_err(e)?;
        tx.execute(
            &format!(
                "INSERT INTO {s}.rollup_day (series_id, day, kwh, n, min_kwh, max_kwh)
                 SELECT * FROM unnest($1::int8[], $2::int4[], $3::float8[], $4::int8[], $5::float8[], $6::float8[])"
            ),
            &[&days.ids, &days.day, &days.kwh, &days.n, &days.min, &days.max],
        )
        .await
        .map_err(e)?;
        for month in months {
            tx.execute(
                &format!(
                    "INSERT INTO {s}.rollup_month (series_id, month, kwh, n, min_kwh, max_kwh)
                     SELECT series_id, $2::int4, sum(kwh), sum(n), min(min_kwh), max(max_kwh) FROM {s}.rollup_day
                     WHERE series_id = ANY($1) AND day BETWEEN $2 * 100 + 1 AND $2 * 100 + 31 GROUP BY series_id
                     ON CONFLICT (series_id, month) DO UPDATE SET kwh = EXCLUDED.kwh, n = EXCLUDED.n,
                        min_kwh = EXCLUDED.min_kwh, max_kwh = EXCLUDED.max_kwh"
                ),
                &[&id_list, &month],
            )
            .await
            .map_err(e)?;
        }
        if !deltas.is_empty() {
            let (mut groups, mut starts, mut kwh, mut n) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
            for ((g, t), (dk, dn)) in deltas {
                groups.push(g);
                starts.push(instant(t));
                kwh.push(dk);
                n.push(dn);
            }
            tx.execute(
                &format!(
                    "INSERT INTO {s}.steps_all (dataset, grp, start_utc, kwh, n)
                     SELECT $1, * FROM unnest($2::text[], $3::timestamptz[], $4::float8[], $5::int8[])
                     ON CONFLICT (dataset, grp, start_utc) DO UPDATE
                        SET kwh = {s}.steps_all.kwh + EXCLUDED.kwh, n = {s}.steps_all.n + EXCLUDED.n"
                ),
                &[&dataset.as_str(), &groups, &starts, &kwh, &n],
            )
            .await
            .map_err(e)?;
        }
        if let Some(c) = checkpoint {
            tx.execute(
                &format!(
                    "INSERT INTO {s}.fetched_windows (dataset, month, start_utc, end_utc, fetched_at, records, rejected)
                     VALUES ($1, $2, $3, $4, $5, $6, $7)
                     ON CONFLICT (dataset, month) DO UPDATE SET start_utc = EXCLUDED.start_utc, end_utc = EXCLUDED.end_utc,
                        fetched_at = EXCLUDED.fetched_at, records = EXCLUDED.records, rejected = EXCLUDED.rejected"
                ),
                &[
                    &dataset.as_str(),
                    &c.month.to_string(),
                    &c.window.start,
                    &c.window.end,
                    &c.fetched_at,
                    &(c.records as i64),
                    &(c.rejected as i64),
                ],
            )
            .await
            .map_err(e)?;
        }
        Ok((stats, ids))
    }

    /// The new and newer records, by binary COPY into the session's staging table and one
    /// upsert from it (a newer `lastUpdatedTime` replaces; the merge already chose them, the
    /// condition keeps a concurrent writer's newer value).
    async fn copy_records(
        &self,
        tx: &tokio_postgres::Transaction<'_>,
        dataset: Dataset,
        rows: &[(i64, &Point)],
        all_new: bool,
    ) -> Result<()> {
        let s = &self.schema;
        let e = |e| self.err(e);
        let target = if all_new {
            format!("{s}.records")
        } else {
            tx.batch_execute(&format!(
                "CREATE TEMP TABLE IF NOT EXISTS elhub_staging (LIKE {s}.records) ON COMMIT DELETE ROWS"
            ))
            .await
            .map_err(e)?;
            "elhub_staging".to_string()
        };
        let sink = tx
            .copy_in(&format!(
                "COPY {target} (series_id, start_utc, kwh, last_updated, metering_points) FROM STDIN BINARY"
            ))
            .await
            .map_err(e)?;
        let writer = BinaryCopyInWriter::new(
            sink,
            &[Type::INT8, Type::TIMESTAMPTZ, Type::FLOAT8, Type::TIMESTAMPTZ, Type::INT4],
        );
        let mut writer = std::pin::pin!(writer);
        for (id, p) in rows {
            let points: Option<i32> = if dataset.has_metering_points() {
                p.metering_points.map(|m| i32::try_from(m).unwrap_or(i32::MAX))
            } else {
                None
            };
            let (start, updated) = (instant(p.start), instant(p.updated));
            let row: [&(dyn ToSql + Sync); 5] = [id, &start, &p.kwh, &updated, &points];
            writer.as_mut().write(&row).await.map_err(e)?;
        }
        writer.as_mut().finish().await.map_err(e)?;
        if all_new {
            return Ok(());
        }
        tx.execute(
            &format!(
                "INSERT INTO {s}.records (series_id, start_utc, kwh, last_updated, metering_points)
                 SELECT series_id, start_utc, kwh, last_updated, metering_points FROM elhub_staging
                 ON CONFLICT (series_id, start_utc) DO UPDATE SET kwh = EXCLUDED.kwh,
                    last_updated = EXCLUDED.last_updated, metering_points = EXCLUDED.metering_points
                 WHERE {s}.records.last_updated < EXCLUDED.last_updated"
            ),
            &[],
        )
        .await
        .map_err(e)?;
        Ok(())
    }

    async fn upsert_entities(&self, tx: &tokio_postgres::Transaction<'_>, entities: &[Entity]) -> Result<()> {
        if entities.is_empty() {
            return Ok(());
        }
        let s = &self.schema;
        let kinds: Vec<&str> = entities.iter().map(|e| e.kind.as_str()).collect();
        let ids: Vec<&str> = entities.iter().map(|e| e.id.as_str()).collect();
        let names: Vec<&str> = entities.iter().map(|e| e.name.as_str()).collect();
        let shown: Vec<String> = entities.iter().map(|e| e.display_name().into_owned()).collect();
        let areas: Vec<Option<&str>> = entities.iter().map(|e| e.price_area.as_deref()).collect();
        tx.execute(
            &format!(
                "INSERT INTO {s}.entity_names (kind, id, name, display_name, price_area)
                 SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
                 ON CONFLICT (kind, id) DO UPDATE SET name = EXCLUDED.name, display_name = EXCLUDED.display_name,
                    price_area = EXCLUDED.price_area
                 WHERE {s}.entity_names.name IS DISTINCT FROM EXCLUDED.name
                    OR {s}.entity_names.price_area IS DISTINCT FROM EXCLUDED.price_area"
            ),
            &[&kinds, &ids, &names, &shown, &areas],
        )
        .await
        .map_err(|e| self.err(e))?;
        Ok(())
    }
}

/// Day rollups as columns, for one `unnest` insert.
#[derive(Default)]
struct DayColumns {
    ids: Vec<i64>,
    day: Vec<i32>,
    kwh: Vec<f64>,
    n: Vec<i64>,
    min: Vec<f64>,
    max: Vec<f64>,
}

impl DayColumns {
    fn push(&mut self, id: i64, d: &super::rollup::DayRollup) {
        self.ids.push(id);
        self.day.push(d.day);
        self.kwh.push(d.kwh);
        self.n.push(d.count as i64);
        self.min.push(d.min);
        self.max.push(d.max);
    }
}

/// Names that need no quoting beyond ours.
fn valid_identifier(name: &str) -> bool {
    name.len() <= 63
        && name.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// The tables (layout version 1) in schema `s` (quoted), made where absent.
fn schema_sql(s: &str) -> String {
    format!(
        "CREATE SCHEMA IF NOT EXISTS {s};
CREATE TABLE IF NOT EXISTS {s}.meta (key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE IF NOT EXISTS {s}.series (
    id      bigserial PRIMARY KEY,
    dataset text NOT NULL,
    entity  text NOT NULL,
    grp     text NOT NULL,
    UNIQUE (dataset, entity, grp)
);
CREATE TABLE IF NOT EXISTS {s}.records (
    series_id       int8             NOT NULL,
    start_utc       timestamptz      NOT NULL,
    kwh             double precision NOT NULL,
    last_updated    timestamptz      NOT NULL,
    metering_points int4,
    PRIMARY KEY (series_id, start_utc)
) PARTITION BY RANGE (start_utc);
CREATE TABLE IF NOT EXISTS {s}.entity_names (
    kind         text NOT NULL,
    id           text NOT NULL,
    name         text NOT NULL,
    display_name text NOT NULL,
    price_area   text,
    PRIMARY KEY (kind, id)
);
CREATE TABLE IF NOT EXISTS {s}.fetched_windows (
    dataset    text        NOT NULL,
    month      text        NOT NULL,
    start_utc  timestamptz NOT NULL,
    end_utc    timestamptz NOT NULL,
    fetched_at timestamptz NOT NULL,
    records    int8        NOT NULL,
    rejected   int8        NOT NULL,
    PRIMARY KEY (dataset, month)
);
CREATE TABLE IF NOT EXISTS {s}.synced (
    dataset   text        NOT NULL,
    month     text        NOT NULL,
    synced_at timestamptz NOT NULL,
    PRIMARY KEY (dataset, month)
);
CREATE TABLE IF NOT EXISTS {s}.rollup_day (
    series_id int8 NOT NULL, day int4 NOT NULL, kwh double precision NOT NULL, n int8 NOT NULL,
    min_kwh double precision NOT NULL, max_kwh double precision NOT NULL,
    PRIMARY KEY (series_id, day)
);
CREATE TABLE IF NOT EXISTS {s}.rollup_month (
    series_id int8 NOT NULL, month int4 NOT NULL, kwh double precision NOT NULL, n int8 NOT NULL,
    min_kwh double precision NOT NULL, max_kwh double precision NOT NULL,
    PRIMARY KEY (series_id, month)
);
CREATE TABLE IF NOT EXISTS {s}.steps_all (
    dataset text NOT NULL, grp text NOT NULL, start_utc timestamptz NOT NULL,
    kwh double precision NOT NULL, n int8 NOT NULL,
    PRIMARY KEY (dataset, grp, start_utc)
);"
    )
}

/// Opens one connection and runs it in the background.
async fn connect(parsed: &Parsed, location: &str) -> Result<Client> {
    let result = if parsed.sslmode == SslMode::Disable {
        parsed.config.connect(tokio_postgres::NoTls).await.map(|(client, conn)| {
            tokio::spawn(async move {
                if let Err(e) = conn.await {
                    tracing::warn!("PostgreSQL connection ended: {e}");
                }
            });
            client
        })
    } else {
        let tls = tls::connector(parsed.sslmode, parsed.ca_file.as_deref())
            .map_err(|why| StoreError::config(format!("PostgreSQL TLS: {why}")))?;
        parsed.config.connect(tls).await.map(|(client, conn)| {
            tokio::spawn(async move {
                if let Err(e) = conn.await {
                    tracing::warn!("PostgreSQL connection ended: {e}");
                }
            });
            client
        })
    };
    result.map_err(|e| {
        let mut err = classify(location, &e);
        if err.message.contains("TLS refused") {
            err.message.push_str(&format!(" (sslmode={}", parsed.sslmode.as_str()));
            if parsed.sslmode == SslMode::Require && err.message.contains("does not support TLS") {
                err.message.push_str("; sslmode=prefer falls back to plain text");
            }
            err.message.push(')');
        }
        err
    })
}

/// A driver error as one line naming PostgreSQL and the server (never a password), with its
/// kind: the server unreachable, a refused login, a missing permission or a refused TLS
/// handshake are `Unavailable` (the other sinks go on); the rest `Runtime`.
fn classify(location: &str, e: &tokio_postgres::Error) -> StoreError {
    use tokio_postgres::error::SqlState;
    let text = error_text(e);
    let at = format!("PostgreSQL at {location}");
    match e.code() {
        Some(c)
            if *c == SqlState::INVALID_PASSWORD || *c == SqlState::INVALID_AUTHORIZATION_SPECIFICATION =>
        {
            StoreError::unavailable(format!("{at} refused the login: {text}"))
        }
        Some(c) if *c == SqlState::INSUFFICIENT_PRIVILEGE => {
            StoreError::unavailable(format!("{at}: permission denied ({text})"))
        }
        Some(c) if *c == SqlState::INVALID_CATALOG_NAME => StoreError::unavailable(format!("{at}: {text}")),
        Some(c)
            if c.code().starts_with("08") || c.code().starts_with("57P") || c.code().starts_with("53") =>
        {
            StoreError::unavailable(format!("{at} went away: {text}"))
        }
        Some(_) => StoreError::runtime(format!("{at}: {text}")),
        None if e.is_closed() => StoreError::unavailable(format!("{at}: the connection was closed")),
        None if text.starts_with("error performing TLS handshake") => StoreError::unavailable(format!(
            "{at}: TLS refused: {}",
            text.trim_start_matches("error performing TLS handshake: ")
        )),
        None if text.starts_with("error connecting to server") || text.contains("timed out") => {
            StoreError::unavailable(format!(
                "{at} cannot be reached: {}",
                text.trim_start_matches("error connecting to server: ")
            ))
        }
        None if text.starts_with("authentication error") || text.contains("password missing") => {
            StoreError::unavailable(format!("{at} refused the login: {text}"))
        }
        None => StoreError::runtime(format!("{at}: {text}")),
    }
}

/// TLS for tokio-postgres through rustls (ring), with libpq's `sslmode` meanings.
mod tls {
    use std::path::Path;
    use std::sync::Arc;

    use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
    use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
    use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
    use rustls::{DigitallySignedStruct, SignatureScheme};

    use super::SslMode;

    pub fn connector(
        mode: SslMode,
        ca_file: Option<&Path>,
    ) -> Result<tokio_postgres_rustls::MakeRustlsConnect, String> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?;
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        if let Some(path) = ca_file {
            use rustls::pki_types::pem::PemObject;
            let certs: Vec<CertificateDer> = CertificateDer::pem_file_iter(path)
                .map_err(|e| format!("cannot read the CA file {}: {e}", path.display()))?
                .collect::<Result<_, _>>()
                .map_err(|e| format!("the CA file {} is not PEM certificates: {e}", path.display()))?;
            if certs.is_empty() {
                return Err(format!("the CA file {} holds no certificate", path.display()));
            }
            for cert in certs {
                roots.add(cert).map_err(|e| format!("the CA file {}: {e}", path.display()))?;
            }
        }
        let webpki =
            rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                .build()
                .map_err(|e| e.to_string())?;
        let verifier: Arc<dyn ServerCertVerifier> = match mode {
            SslMode::VerifyFull => webpki,
            SslMode::VerifyCa => Arc::new(AnyName { inner: webpki }),
            _ => Arc::new(Unchecked { provider }),
        };
        let config = builder.dangerous().with_custom_certificate_verifier(verifier).with_no_client_auth();
        Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
    }

    /// `prefer` and `require`: encrypted, the certificate taken as it is (as libpq does); the
    /// handshake's signatures are still checked.
    #[derive(Debug)]
    struct Unchecked {
        provider: Arc<CryptoProvider>,
    }

    impl ServerCertVerifier for Unchecked {
        fn verify_server_cert(
            &self,
            _: &CertificateDer<'_>,
            _: &[CertificateDer<'_>],
            _: &ServerName<'_>,
            _: &[u8],
            _: UnixTime,
        ) -> Result<ServerCertVerified, rustls::Error> {
            Ok(ServerCertVerified::assertion())
        }
        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
        }
        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
        }
        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.provider.signature_verification_algorithms.supported_schemes()
        }
    }

    /// `verify-ca`: a trusted chain, whatever name the certificate is made out to.
    #[derive(Debug)]
    struct AnyName {
        inner: Arc<rustls::client::WebPkiServerVerifier>,
    }

    impl ServerCertVerifier for AnyName {
        fn verify_server_cert(
            &self,
            end_entity: &CertificateDer<'_>,
            intermediates: &[CertificateDer<'_>],
            server_name: &ServerName<'_>,
            ocsp: &[u8],
            now: UnixTime,
        ) -> Result<ServerCertVerified, rustls::Error> {
            match self.inner.verify_server_cert(end_entity, intermediates, server_name, ocsp, now) {
                Err(rustls::Error::InvalidCertificate(
                    rustls::CertificateError::NotValidForName
                    | rustls::CertificateError::NotValidForNameContext { .. },
                )) => Ok(ServerCertVerified::assertion()),
                other => other,
            }
        }
        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            self.inner.verify_tls12_signature(message, cert, dss)
        }
        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            self.inner.verify_tls13_signature(message, cert, dss)
        }
        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.inner.supported_verify_schemes()
        }
    }
}

/// The records of one series in [from, to), sorted by start.
async fn read_series(
    client: &impl GenericClient,
    s: &str,
    dataset: Dataset,
    series: &SeriesKey,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> std::result::Result<Vec<Record>, tokio_postgres::Error> {
    let rows = client
        .query(
            &format!(
                "SELECT r.start_utc, r.kwh, r.last_updated, r.metering_points FROM {s}.series s
                 JOIN {s}.records r ON r.series_id = s.id
                 WHERE s.dataset = $1 AND s.entity = $2 AND s.grp = $3 AND r.start_utc >= $4 AND r.start_utc < $5
                 ORDER BY r.start_utc"
            ),
            &[&dataset.as_str(), &series.entity, &series.group, &from, &to],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|row| {
            let start: DateTime<Utc> = row.get(0);
            let updated: DateTime<Utc> = row.get(2);
            let points: Option<i32> = row.get(3);
            let p = Point {
                start: start.timestamp(),
                kwh: row.get(1),
                updated: updated.timestamp(),
                metering_points: points.map(|p| p.max(0) as u32),
            };
            Record::new(dataset, &series.entity, &series.group, &p)
        })
        .collect())
}

#[async_trait]
impl Backend for PostgresStore {
    fn kind(&self) -> StoreKind {
        StoreKind::Postgres
    }

    fn location(&self) -> String {
        format!("{} (schema {})", self.location, self.schema.trim_matches('"'))
    }

    async fn write_window(
        &self,
        data: &Arc<WindowData>,
        checkpoint: Option<&Checkpoint>,
    ) -> Result<UpsertStats> {
        let years = {
            use chrono::Datelike;
            let local = |t: DateTime<Utc>| t.with_timezone(&crate::model::LOCAL_TZ).year();
            let (first, last) =
                (local(data.window.start), local(data.window.end - chrono::Duration::seconds(1)));
            (first..=last).collect::<Vec<i32>>()
        };
        self.ensure_partitions(&years).await?;
        let mut client = self.writer.lock().await;
        let tx = client.transaction().await.map_err(|e| self.err(e))?;
        let (stats, ids) = self.write_in(&tx, data, checkpoint).await?;
        tx.commit().await.map_err(|e| self.err(e))?;
        let mut cache = self.ids.lock().unwrap_or_else(|e| e.into_inner());
        cache.extend(ids.into_iter().map(|(k, id)| ((data.dataset, k), id)));
        Ok(stats)
    }

    async fn series(&self, dataset: Dataset) -> Result<Vec<SeriesKey>> {
        let s = &self.schema;
        let client = self.reader.lock().await;
        let rows = client
            .query(
                &format!("SELECT entity, grp FROM {s}.series WHERE dataset = $1 ORDER BY entity, grp"),
                &[&dataset.as_str()],
            )
            .await
            .map_err(|e| self.err(e))?;
        Ok(rows.iter().map(|r| SeriesKey { entity: r.get(0), group: r.get(1) }).collect())
    }

    async fn all_entity_steps(
        &self,
        dataset: Dataset,
        group: Option<&str>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Option<Vec<StepValue>>> {
        let s = &self.schema;
        let client = self.reader.lock().await;
        let rows = client
            .query(
                &format!(
                    "SELECT start_utc, sum(kwh) FROM {s}.steps_all WHERE dataset = $1 AND ($2::text IS NULL OR grp = $2)
                     AND start_utc >= $3 AND start_utc < $4 GROUP BY start_utc ORDER BY start_utc"
                ),
                &[&dataset.as_str(), &group, &from, &to],
            )
            .await
            .map_err(|e| self.err(e))?;
        Ok(Some(rows.iter().map(|r| StepValue { start: r.get(0), kwh: r.get(1) }).collect()))
    }

    async fn entities(&self, kind: EntityKind) -> Result<Vec<Entity>> {
        let s = &self.schema;
        let client = self.reader.lock().await;
        let rows = client
            .query(
                &format!("SELECT id, name, price_area FROM {s}.entity_names WHERE kind = $1 ORDER BY id"),
                &[&kind.as_str()],
            )
            .await
            .map_err(|e| self.err(e))?;
        Ok(rows.iter().map(|r| Entity { kind, id: r.get(0), name: r.get(1), price_area: r.get(2) }).collect())
    }

    async fn series_records(
        &self,
        dataset: Dataset,
        series: &SeriesKey,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Record>> {
        let client = self.reader.lock().await;
        read_series(&*client, &self.schema, dataset, series, from, to).await.map_err(|e| self.err(e))
    }

    async fn snapshot(
        &self,
        dataset: Dataset,
        series: Vec<SeriesKey>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        out: mpsc::Sender<Result<Vec<Record>>>,
    ) {
        let mut client = self.reader.lock().await;
        // One snapshot of the data, whatever is written meanwhile.
        let tx = match client
            .build_transaction()
            .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await
        {
            Ok(tx) => tx,
            Err(e) => {
                let _ = out.send(Err(self.err(e))).await;
                return;
            }
        };
        for key in series {
            let records =
                read_series(&tx, &self.schema, dataset, &key, from, to).await.map_err(|e| self.err(e));
            let failed = records.is_err();
            if out.send(records).await.is_err() || failed {
                return;
            }
        }
        let _ = tx.commit().await;
    }

    async fn steps(
        &self,
        dataset: Dataset,
        series: &SeriesKey,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<StepValue>> {
        let s = &self.schema;
        let client = self.reader.lock().await;
        let rows = client
            .query(
                &format!(
                    "SELECT r.start_utc, r.kwh FROM {s}.series s JOIN {s}.records r ON r.series_id = s.id
                     WHERE s.dataset = $1 AND s.entity = $2 AND s.grp = $3 AND r.start_utc >= $4 AND r.start_utc < $5
                     ORDER BY r.start_utc"
                ),
                &[&dataset.as_str(), &series.entity, &series.group, &from, &to],
            )
            .await
            .map_err(|e| self.err(e))?;
        Ok(rows.iter().map(|r| StepValue { start: r.get(0), kwh: r.get(1) }).collect())
    }

    async fn rollups(
        &self,
        dataset: Dataset,
        scope: &Scope,
        period: Period,
        from: i32,
        to: i32,
    ) -> Result<Vec<Rollup>> {
        let s = &self.schema;
        let (table, key) = match period {
            Period::Day => ("rollup_day", "day"),
            Period::Month => ("rollup_month", "month"),
        };
        let (sql, entity) = match scope {
            Scope::Entity(e) => (
                format!(
                    "SELECT s.grp, t.{key}, t.kwh, t.n, t.min_kwh, t.max_kwh FROM {s}.series s JOIN {s}.{table} t ON t.series_id = s.id
                     WHERE s.dataset = $1 AND s.entity = $2 AND t.{key} BETWEEN $3 AND $4 ORDER BY s.grp, t.{key}"
                ),
                Some(e.clone()),
            ),
            Scope::All => (
                format!(
                    "SELECT s.grp, t.{key}, sum(t.kwh), sum(t.n)::int8, NULL::float8, NULL::float8 FROM {s}.series s
                     JOIN {s}.{table} t ON t.series_id = s.id
                     WHERE s.dataset = $1 AND $2::text IS NULL AND t.{key} BETWEEN $3 AND $4
                     GROUP BY s.grp, t.{key} ORDER BY s.grp, t.{key}"
                ),
                None,
            ),
        };
        let client = self.reader.lock().await;
        let rows =
            client.query(&sql, &[&dataset.as_str(), &entity, &from, &to]).await.map_err(|e| self.err(e))?;
        Ok(rows
            .iter()
            .map(|r| Rollup {
                group: r.get(0),
                key: r.get(1),
                kwh: r.get(2),
                count: r.get::<_, i64>(3) as u64,
                min: r.get(4),
                max: r.get(5),
            })
            .collect())
    }

    async fn entities_with_data(&self, dataset: Dataset, month: Month) -> Result<Vec<String>> {
        let s = &self.schema;
        let client = self.reader.lock().await;
        let rows = client
            .query(
                &format!(
                    "SELECT DISTINCT s.entity FROM {s}.series s JOIN {s}.rollup_month m ON m.series_id = s.id
                     WHERE s.dataset = $1 AND m.month = $2 AND m.n > 0 ORDER BY s.entity"
                ),
                &[&dataset.as_str(), &month_key(month)],
            )
            .await
            .map_err(|e| self.err(e))?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    async fn coverage(&self, dataset: Dataset) -> Result<Vec<MonthCoverage>> {
        let s = &self.schema;
        let client = self.reader.lock().await;
        let rows = client
            .query(
                &format!("SELECT month, records, rejected, fetched_at FROM {s}.fetched_windows WHERE dataset = $1 ORDER BY month"),
                &[&dataset.as_str()],
            )
            .await
            .map_err(|e| self.err(e))?;
        Ok(rows
            .iter()
            .filter_map(|r| {
                let month: String = r.get(0);
                Some(MonthCoverage {
                    month: month.parse().ok()?,
                    records: r.get::<_, i64>(1) as u64,
                    rejected: r.get::<_, i64>(2) as u64,
                    fetched_at: r.get(3),
                })
            })
            .collect())
    }

    async fn synced(&self, dataset: Dataset) -> Result<Vec<(Month, DateTime<Utc>)>> {
        let s = &self.schema;
        let client = self.reader.lock().await;
        let rows = client
            .query(
                &format!("SELECT month, synced_at FROM {s}.synced WHERE dataset = $1 ORDER BY month"),
                &[&dataset.as_str()],
            )
            .await
            .map_err(|e| self.err(e))?;
        Ok(rows.iter().filter_map(|r| Some((r.get::<_, String>(0).parse().ok()?, r.get(1)))).collect())
    }

    async fn set_synced(&self, dataset: Dataset, months: &[Month], at: DateTime<Utc>) -> Result<()> {
        let s = &self.schema;
        let months: Vec<String> = months.iter().map(Month::to_string).collect();
        let client = self.writer.lock().await;
        client
            .execute(
                &format!(
                    "INSERT INTO {s}.synced (dataset, month, synced_at) SELECT $1, m, $3 FROM unnest($2::text[]) AS m
                     ON CONFLICT (dataset, month) DO UPDATE SET synced_at = EXCLUDED.synced_at"
                ),
                &[&dataset.as_str(), &months, &at],
            )
            .await
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    async fn rebuild_rollups(&self, dataset: Dataset) -> Result<u64> {
        let s = &self.schema;
        let mut client = self.writer.lock().await;
        let tx = client.transaction().await.map_err(|e| self.err(e))?;
        let e = |e| self.err(e);
        tx.execute("SELECT pg_advisory_xact_lock(7263500 + $1::int8)", &[&(dataset.index() as i64)])
            .await
            .map_err(e)?;
        let d = dataset.as_str();
        let ids = format!("(SELECT id FROM {s}.series WHERE dataset = $1)");
        for sql in [
            format!("DELETE FROM {s}.rollup_day WHERE series_id IN {ids}"),
            format!("DELETE FROM {s}.rollup_month WHERE series_id IN {ids}"),
            format!("DELETE FROM {s}.steps_all WHERE dataset = $1"),
            // Local days and months, by the time zone database.
            format!(
                "INSERT INTO {s}.rollup_day (series_id, day, kwh, n, min_kwh, max_kwh)
                 SELECT series_id, to_char(start_utc AT TIME ZONE 'Europe/Oslo', 'YYYYMMDD')::int4,
                    sum(kwh), count(*), min(kwh), max(kwh)
                 FROM {s}.records WHERE series_id IN {ids} GROUP BY 1, 2"
            ),
            format!(
                "INSERT INTO {s}.rollup_month (series_id, month, kwh, n, min_kwh, max_kwh)
                 SELECT series_id, day / 100, sum(kwh), sum(n), min(min_kwh), max(max_kwh)
                 FROM {s}.rollup_day WHERE series_id IN {ids} GROUP BY 1, 2"
            ),
            format!(
                "INSERT INTO {s}.steps_all (dataset, grp, start_utc, kwh, n)
                 SELECT $1, se.grp, r.start_utc, sum(r.kwh), count(*) FROM {s}.records r JOIN {s}.series se ON se.id = r.series_id
                 WHERE se.dataset = $1 GROUP BY se.grp, r.start_utc"
            ),
        ] {
            tx.execute(&sql, &[&d]).await.map_err(e)?;
        }
        let n: i64 = tx
            .query_one(&format!("SELECT count(*) FROM {s}.series WHERE dataset = $1"), &[&d])
            .await
            .map_err(e)?
            .get(0);
        tx.commit().await.map_err(e)?;
        Ok(n as u64)
    }

    async fn count(&self, dataset: Dataset) -> Result<u64> {
        let s = &self.schema;
        let client = self.reader.lock().await;
        let n: i64 = client
            .query_one(
                &format!("SELECT count(*) FROM {s}.series s JOIN {s}.records r ON r.series_id = s.id WHERE s.dataset = $1"),
                &[&dataset.as_str()],
            )
            .await
            .map_err(|e| self.err(e))?
            .get(0);
        Ok(n as u64)
    }

    async fn destroy(&self) -> Result<()> {
        let client = self.writer.lock().await;
        client
            .batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema))
            .await
            .map_err(|e| self.err(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(url: &str) -> PostgresSettings {
        PostgresSettings {
            url: url.into(),
            schema: "elhub".into(),
            sslmode: SslMode::Prefer,
            ca_file: None,
            connect_timeout: Duration::from_secs(5),
        }
    }

    /// Both forms of connection string are read; sslmode and sslrootcert are taken out (and
    /// applied by us), and no password is ever part of the location shown.
    #[test]
    fn connection_strings_in_both_forms() {
        let p = parse(&settings("postgresql://elhub:s3cret@db.example:6543/energy?sslmode=verify-full&sslrootcert=/etc/ca.pem&application_name=x")).unwrap();
        assert_eq!(p.sslmode, SslMode::VerifyFull);
        assert_eq!(p.ca_file.as_deref(), Some(std::path::Path::new("/etc/ca.pem")));
        assert_eq!(location_of(&p.config), "postgresql://elhub@db.example:6543/energy");
        assert_eq!(p.config.get_password(), Some(&b"s3cret"[..]));
        let p = parse(&settings(
            "host=127.0.0.1 port=5544 user=me password='a \\'secret\\'' dbname=e sslmode=disable",
        ))
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.config.get_password(), Some(&b"a 'secret'"[..]));
        assert_eq!(p.sslmode, SslMode::Disable);
        assert_eq!(location_of(&p.config), "postgresql://me@127.0.0.1:5544/e");
        let err = parse(&settings("postgresql://x:pw123@h/db?sslmode=sometimes")).err().unwrap();
        assert!(
            err.message.contains("unknown sslmode 'sometimes'") && !err.message.contains("pw123"),
            "{err}"
        );
        assert!(parse(&settings("host=h password")).is_err());
    }

    #[test]
    fn schema_names_are_plain() {
        assert!(valid_identifier("elhub") && valid_identifier("elhub_test_42"));
        assert!(
            !valid_identifier("Elhub")
                && !valid_identifier("a;drop")
                && !valid_identifier("")
                && !valid_identifier("1a")
        );
    }
}
