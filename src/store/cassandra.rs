//! Cassandra / ScyllaDB as a sink and a read store (`scylla` crate, CQL v4, prepared statements).
//!
//! A table per dataset, partitioned `((price_area, grp, year), start_time)` with `year` the
//! local (Europe/Oslo) year: an hourly month is one partition slice and an annual total one
//! aggregate per partition. `series` lists the (area, group, year) partitions present,
//! `fetched_windows` the months fetched, `schema_version` the schema.
//!
//! Newest `lastUpdatedTime` wins through the write timestamp: every cell is written
//! `USING TIMESTAMP <lastUpdatedTime in µs>`, so Cassandra's last-write-wins keeps the newest
//! revision whatever order writes arrive in, idempotently, with no read-before-write on the
//! write path and no Paxos round per row (a lightweight transaction would cost four round trips
//! per record). Before writing a month, one read per partition slice finds what is stored, to
//! count new / updated / unchanged and to skip unchanged rows (which also keeps an equal
//! timestamp from letting Cassandra's value tie-break replace a stored value).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Datelike, Utc};
use futures_util::{StreamExt, TryStreamExt};
use scylla::client::session::Session;
use scylla::client::session_builder::SessionBuilder;
use scylla::statement::prepared::PreparedStatement;
use scylla::value::MaybeUnset;

use super::{GroupTotal, HourValue, MonthCoverage, Result, StoreError, UpsertStats};
use crate::elhub::{ParsedWindow, Window};
use crate::model::{year_bounds_utc, Dataset, Group, Month, PriceArea, Record, LOCAL_TZ};

/// The schema this program writes; `schema_version` lets a later one migrate.
pub const SCHEMA_VERSION: i32 = 1;
/// Writes in flight at once per sink.
const WRITE_CONCURRENCY: usize = 64;

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
}

impl CassandraSettings {
    pub fn hosts(&self) -> String {
        self.contact_points.join(",")
    }
}

/// The statements, one set per dataset, prepared once.
struct Statements {
    insert: PreparedStatement,
    slice: PreparedStatement,
    hourly: PreparedStatement,
    records: PreparedStatement,
    total: PreparedStatement,
}

pub struct CassandraStore {
    session: Session,
    settings: CassandraSettings,
    production: Statements,
    consumption: Statements,
    add_series: PreparedStatement,
    series: PreparedStatement,
    checkpoint: PreparedStatement,
    coverage: PreparedStatement,
}

/// The table of a dataset.
pub fn table(dataset: Dataset) -> &'static str {
    match dataset {
        Dataset::Production => "production_hourly",
        Dataset::Consumption => "consumption_hourly",
    }
}

/// `CREATE` statements for the keyspace and its tables, in order.
pub fn schema_statements(keyspace: &str, replication: &str) -> Vec<String> {
    let mut out = vec![format!("CREATE KEYSPACE IF NOT EXISTS {keyspace} WITH replication = {replication}")];
    for dataset in Dataset::ALL {
        out.push(format!(
            "CREATE TABLE IF NOT EXISTS {keyspace}.{} (
                price_area text, grp text, year int, start_time timestamp,
                quantity_kwh double, last_updated timestamp, metering_points int,
                PRIMARY KEY ((price_area, grp, year), start_time)
            ) WITH CLUSTERING ORDER BY (start_time ASC)",
            table(dataset)
        ));
    }
    out.push(format!(
        "CREATE TABLE IF NOT EXISTS {keyspace}.series (
            dataset text, price_area text, grp text, year int,
            PRIMARY KEY ((dataset), price_area, grp, year))"
    ));
    out.push(format!(
        "CREATE TABLE IF NOT EXISTS {keyspace}.fetched_windows (
            dataset text, month text, start_time timestamp, end_time timestamp, fetched_at timestamp,
            records bigint, rejected bigint,
            PRIMARY KEY ((dataset), month))"
    ));
    out.push(format!(
        "CREATE TABLE IF NOT EXISTS {keyspace}.schema_version (id int PRIMARY KEY, version int)"
    ));
    out
}

/// The upsert of one record; its write timestamp is the record's `lastUpdatedTime`.
pub fn insert_cql(keyspace: &str, dataset: Dataset) -> String {
    format!(
        "INSERT INTO {keyspace}.{} (price_area, grp, year, start_time, quantity_kwh, last_updated, metering_points)
         VALUES (?, ?, ?, ?, ?, ?, ?) USING TIMESTAMP ?",
        table(dataset)
    )
}

/// The local year of an instant: the partition a record belongs to.
pub fn partition_year(t: DateTime<Utc>) -> i32 {
    t.with_timezone(&LOCAL_TZ).year()
}

/// Microseconds since the epoch: the write timestamp of a record.
pub fn write_timestamp(r: &Record) -> i64 {
    r.last_updated.timestamp_micros()
}

/// The bound values of `insert_cql` for a record. Production has no metering points: the column
/// is left unset rather than null, which would write a tombstone.
#[allow(clippy::type_complexity)]
pub fn insert_values(
    r: &Record,
) -> (&'static str, &str, i32, DateTime<Utc>, f64, DateTime<Utc>, MaybeUnset<i32>, i64) {
    let points = match r.metering_points {
        Some(p) => MaybeUnset::Set(p.min(i32::MAX as u32) as i32),
        None => MaybeUnset::Unset,
    };
    (
        r.area.as_str(),
        r.group.as_str(),
        partition_year(r.start),
        r.start,
        r.quantity_kwh,
        r.last_updated,
        points,
        write_timestamp(r),
    )
}

/// A row of the `records` query: start_time, quantity_kwh, last_updated, metering_points.
pub type RecordRow = (DateTime<Utc>, f64, DateTime<Utc>, Option<i32>);

/// A row of the `records` query as a record.
pub fn decode_row(dataset: Dataset, area: PriceArea, group: &str, row: RecordRow) -> Record {
    let (start, quantity_kwh, last_updated, points) = row;
    Record {
        dataset,
        area,
        group: group.to_string(),
        start,
        quantity_kwh,
        last_updated,
        metering_points: points.map(|p| p.max(0) as u32),
    }
}

impl CassandraStore {
    /// Connects, creates the schema if absent, checks its version and prepares the statements.
    pub async fn open(settings: CassandraSettings) -> Result<CassandraStore> {
        let hosts = settings.hosts();
        if settings.contact_points.is_empty() {
            return Err(StoreError::Config(
                "Cassandra needs contact points: --cassandra HOST:PORT[,..]".into(),
            ));
        }
        if !valid_identifier(&settings.keyspace) {
            return Err(StoreError::Config(format!(
                "Cassandra keyspace '{}' is not a valid name (letters, digits and _; at most 48)",
                settings.keyspace
            )));
        }
        let mut builder = SessionBuilder::new()
            .known_nodes(&settings.contact_points)
            .connection_timeout(settings.connect_timeout);
        if let (Some(user), Some(password)) = (&settings.username, &settings.password) {
            builder = builder.user(user.clone(), password.clone());
        }
        if settings.tls {
            builder = builder.tls_context(Some(tls_config(settings.tls_ca_file.as_deref())?));
        }
        if let Some(dc) = &settings.local_datacenter {
            let policy = scylla::policies::load_balancing::DefaultPolicy::builder()
                .prefer_datacenter(dc.clone())
                .build();
            let profile = scylla::client::execution_profile::ExecutionProfile::builder()
                .load_balancing_policy(policy)
                .build();
            builder = builder.default_execution_profile_handle(profile.into_handle());
        }
        let session = tokio::time::timeout(settings.connect_timeout * 2, builder.build())
            .await
            .map_err(|_| {
                StoreError::Runtime(format!(
                    "Cassandra at {hosts} cannot be reached: no answer within {:?}",
                    settings.connect_timeout * 2
                ))
            })?
            .map_err(|e| describe(&hosts, &e.to_string()))?;
        let ks = settings.keyspace.clone();
        for cql in schema_statements(&ks, &settings.replication) {
            session.query_unpaged(cql, ()).await.map_err(|e| describe(&hosts, &e.to_string()))?;
        }
        session.await_schema_agreement().await.map_err(|e| describe(&hosts, &e.to_string()))?;
        let version: Option<(i32,)> = session
            .query_unpaged(format!("SELECT version FROM {ks}.schema_version WHERE id = 0"), ())
            .await
            .map_err(|e| describe(&hosts, &e.to_string()))?
            .into_rows_result()
            .map_err(|e| describe(&hosts, &e.to_string()))?
            .maybe_first_row::<(i32,)>()
            .map_err(|e| describe(&hosts, &e.to_string()))?;
        match version {
            None => {
                session
                    .query_unpaged(format!("INSERT INTO {ks}.schema_version (id, version) VALUES (0, {SCHEMA_VERSION})"), ())
                    .await
                    .map_err(|e| describe(&hosts, &e.to_string()))?;
            }
            Some((v,)) if v == SCHEMA_VERSION => {}
            Some((v,)) => {
                return Err(StoreError::Config(format!(
                    "Cassandra keyspace {ks} at {hosts} has schema version {v}, this program knows version {SCHEMA_VERSION}"
                )))
            }
        }
        let prepare = |cql: String| {
            let session = &session;
            let hosts = hosts.clone();
            async move { session.prepare(cql).await.map_err(|e| describe(&hosts, &e.to_string())) }
        };
        let mut statements = Vec::new();
        for dataset in Dataset::ALL {
            let t = table(dataset);
            let mut insert = prepare(insert_cql(&ks, dataset)).await?;
            insert.set_is_idempotent(true);
            statements.push(Statements {
                insert,
                slice: prepare(format!(
                    "SELECT start_time, last_updated FROM {ks}.{t}
                     WHERE price_area = ? AND grp = ? AND year = ? AND start_time >= ? AND start_time <= ?"
                ))
                .await?,
                hourly: prepare(format!(
                    "SELECT start_time, quantity_kwh FROM {ks}.{t}
                     WHERE price_area = ? AND grp = ? AND year = ? AND start_time >= ? AND start_time < ?"
                ))
                .await?,
                records: prepare(format!(
                    "SELECT start_time, quantity_kwh, last_updated, metering_points FROM {ks}.{t}
                     WHERE price_area = ? AND grp = ? AND year = ? AND start_time >= ? AND start_time < ?"
                ))
                .await?,
                total: prepare(format!(
                    "SELECT SUM(quantity_kwh), COUNT(*) FROM {ks}.{t} WHERE price_area = ? AND grp = ? AND year = ?"
                ))
                .await?,
            });
        }
        let consumption = statements.pop().ok_or_else(|| StoreError::Runtime("no statements".into()))?;
        let production = statements.pop().ok_or_else(|| StoreError::Runtime("no statements".into()))?;
        Ok(CassandraStore {
            add_series: prepare(format!(
                "INSERT INTO {ks}.series (dataset, price_area, grp, year) VALUES (?, ?, ?, ?)"
            ))
            .await?,
            series: prepare(format!("SELECT price_area, grp, year FROM {ks}.series WHERE dataset = ?")).await?,
            checkpoint: prepare(format!(
                "INSERT INTO {ks}.fetched_windows (dataset, month, start_time, end_time, fetched_at, records, rejected)
                 VALUES (?, ?, ?, ?, ?, ?, ?)"
            ))
            .await?,
            coverage: prepare(format!(
                "SELECT month, records, rejected, fetched_at FROM {ks}.fetched_windows WHERE dataset = ?"
            ))
            .await?,
            session,
            settings,
            production,
            consumption,
        })
    }

    /// `cassandra://host:port/keyspace`, without credentials.
    pub fn location(&self) -> String {
        format!("cassandra://{}/{}", self.settings.hosts(), self.settings.keyspace)
    }

    fn statements(&self, dataset: Dataset) -> &Statements {
        match dataset {
            Dataset::Production => &self.production,
            Dataset::Consumption => &self.consumption,
        }
    }

    fn error(&self, e: impl std::fmt::Display) -> StoreError {
        describe(&self.settings.hosts(), &e.to_string())
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

    pub async fn upsert_window(
        &self,
        dataset: Dataset,
        month: Month,
        window: Window,
        parsed: &Arc<ParsedWindow>,
    ) -> Result<UpsertStats> {
        let st = self.statements(dataset);
        let mut stats = UpsertStats::default();
        let mut to_write: Vec<&Record> = Vec::new();
        // One read per partition slice: what is stored, and how new.
        for run in parsed.records.chunk_by(|a, b| {
            a.area == b.area && a.group == b.group && partition_year(a.start) == partition_year(b.start)
        }) {
            let first = &run[0];
            let (lo, hi) =
                run.iter().fold((first.start, first.start), |(lo, hi), r| (lo.min(r.start), hi.max(r.start)));
            let stored: HashMap<DateTime<Utc>, DateTime<Utc>> = self
                .rows::<(DateTime<Utc>, DateTime<Utc>)>(
                    &st.slice,
                    (first.area.as_str(), first.group.as_str(), partition_year(first.start), lo, hi),
                )
                .await?
                .into_iter()
                .collect();
            for r in run {
                match stored.get(&r.start) {
                    None => {
                        stats.new += 1;
                        to_write.push(r);
                    }
                    Some(t) if *t < r.last_updated => {
                        stats.updated += 1;
                        to_write.push(r);
                    }
                    Some(_) => stats.unchanged += 1,
                }
            }
            self.session
                .execute_unpaged(
                    &self.add_series,
                    (
                        dataset.as_str(),
                        first.area.as_str(),
                        first.group.as_str(),
                        partition_year(first.start),
                    ),
                )
                .await
                .map_err(|e| self.error(e))?;
        }
        // At most WRITE_CONCURRENCY writes in flight.
        let mut pending = futures_util::stream::FuturesUnordered::new();
        for r in to_write {
            if pending.len() >= WRITE_CONCURRENCY {
                if let Some(done) = pending.next().await {
                    let done: std::result::Result<_, scylla::errors::ExecutionError> = done;
                    done.map_err(|e| self.error(e))?;
                }
            }
            pending.push(self.session.execute_unpaged(&st.insert, insert_values(r)));
        }
        while let Some(done) = pending.next().await {
            done.map_err(|e| self.error(e))?;
        }
        // The checkpoint goes last: a crash before it leaves the month to be fetched again.
        self.session
            .execute_unpaged(
                &self.checkpoint,
                (
                    dataset.as_str(),
                    month.to_string(),
                    window.start,
                    window.end,
                    Utc::now(),
                    parsed.records.len() as i64,
                    parsed.rejected as i64,
                ),
            )
            .await
            .map_err(|e| self.error(e))?;
        Ok(stats)
    }

    /// Partitions present: (area, group) -> years, sorted.
    async fn partitions(&self, dataset: Dataset) -> Result<Vec<(PriceArea, Group, Vec<i32>)>> {
        let rows: Vec<(String, String, i32)> = self.rows(&self.series, (dataset.as_str(),)).await?;
        let mut out: Vec<(PriceArea, Group, Vec<i32>)> = Vec::new();
        for (area, group, year) in rows {
            let Ok(area) = area.parse::<PriceArea>() else { continue };
            match out.last_mut() {
                Some((a, g, years)) if *a == area && *g == group => years.push(year),
                _ => out.push((area, group, vec![year])),
            }
        }
        out.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        Ok(out)
    }

    pub async fn series(&self, dataset: Dataset) -> Result<Vec<(PriceArea, Group)>> {
        Ok(self.partitions(dataset).await?.into_iter().map(|(a, g, _)| (a, g)).collect())
    }

    pub async fn series_records(
        &self,
        dataset: Dataset,
        area: PriceArea,
        group: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Record>> {
        let years = self
            .partitions(dataset)
            .await?
            .into_iter()
            .find(|(a, g, _)| *a == area && g == group)
            .map(|(_, _, years)| years)
            .unwrap_or_default();
        let st = self.statements(dataset);
        let mut out = Vec::new();
        for year in years {
            let (ys, ye) = year_bounds_utc(year);
            if ye <= from || ys >= to {
                continue;
            }
            let rows: Vec<RecordRow> =
                self.rows(&st.records, (area.as_str(), group, year, from.max(ys), to.min(ye))).await?;
            out.extend(rows.into_iter().map(|row| decode_row(dataset, area, group, row)));
        }
        Ok(out)
    }

    pub async fn annual_totals(
        &self,
        dataset: Dataset,
        area: PriceArea,
        year: i32,
    ) -> Result<Vec<GroupTotal>> {
        let mut out = Vec::new();
        for (a, group, years) in self.partitions(dataset).await? {
            if a != area || !years.contains(&year) {
                continue;
            }
            let (kwh, hours) = self.partition_total(dataset, area, &group, year).await?;
            if hours > 0 {
                out.push(GroupTotal { group, kwh, hours });
            }
        }
        out.sort_by(|a, b| a.group.cmp(&b.group));
        Ok(out)
    }

    pub async fn hourly(
        &self,
        dataset: Dataset,
        area: PriceArea,
        group: &str,
        month: Month,
    ) -> Result<Vec<HourValue>> {
        let rows: Vec<(DateTime<Utc>, f64)> = self
            .rows(
                &self.statements(dataset).hourly,
                (area.as_str(), group, month.year(), month.start_utc(), month.end_utc()),
            )
            .await?;
        Ok(rows.into_iter().map(|(start, kwh)| HourValue { start, kwh }).collect())
    }

    pub async fn coverage(&self, dataset: Dataset) -> Result<Vec<MonthCoverage>> {
        let rows: Vec<(String, i64, i64, DateTime<Utc>)> =
            self.rows(&self.coverage, (dataset.as_str(),)).await?;
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

    pub async fn count(&self, dataset: Dataset) -> Result<u64> {
        let mut total = 0u64;
        for (area, group, years) in self.partitions(dataset).await? {
            for year in years {
                total += self.partition_total(dataset, area, &group, year).await?.1;
            }
        }
        Ok(total)
    }

    /// kWh and hours stored in one partition (one `SUM`/`COUNT` on the node).
    async fn partition_total(
        &self,
        dataset: Dataset,
        area: PriceArea,
        group: &str,
        year: i32,
    ) -> Result<(f64, u64)> {
        let rows: Vec<(Option<f64>, i64)> =
            self.rows(&self.statements(dataset).total, (area.as_str(), group, year)).await?;
        Ok(rows.first().map_or((0.0, 0), |(sum, n)| (sum.unwrap_or(0.0), *n as u64)))
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

/// A rustls client configuration trusting the web PKI roots and, if given, a PEM file of CAs
/// (a cluster's own CA, as most Cassandra deployments use).
pub fn tls_config(ca_file: Option<&std::path::Path>) -> Result<Arc<rustls::ClientConfig>> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::CertificateDer;
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = ca_file {
        let bad = |e: String| StoreError::Config(format!("Cassandra TLS CA file {}: {e}", path.display()));
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
        .map_err(|e| StoreError::Config(format!("Cassandra TLS: {e}")))?
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

/// One line naming Cassandra and the hosts, sorted into the cases a user acts on differently.
pub fn describe(hosts: &str, message: &str) -> StoreError {
    let flat = message.split_whitespace().collect::<Vec<_>>().join(" ");
    let lower = flat.to_ascii_lowercase();
    let mut detail: String = flat.chars().take(200).collect();
    if flat.chars().count() > 200 {
        detail.push('…');
    }
    if lower.contains("certificate") {
        StoreError::Runtime(format!(
            "Cassandra at {hosts}: TLS certificate not trusted (give the cluster's CA as tls_ca_file): {detail}"
        ))
    } else if lower.contains("connection setup request") {
        StoreError::Runtime(format!(
            "Cassandra at {hosts}: the connection handshake failed (does the node require TLS? set tls = true): {detail}"
        ))
    } else if lower.contains("authentication")
        || lower.contains("bad credentials")
        || lower.contains("username and/or password")
    {
        StoreError::Runtime(format!("Cassandra at {hosts}: authentication failed ({detail})"))
    } else if lower.contains("unauthorized") || lower.contains("has no") && lower.contains("permission") {
        StoreError::Runtime(format!("Cassandra at {hosts}: not permitted: {detail}"))
    } else if lower.contains("connection refused")
        || lower.contains("could not connect")
        || lower.contains("failed to connect")
    {
        StoreError::Runtime(format!("Cassandra at {hosts} cannot be reached: {detail}"))
    } else if lower.contains("timed out") || lower.contains("timeout") {
        StoreError::Runtime(format!("Cassandra at {hosts}: timed out: {detail}"))
    } else {
        StoreError::Runtime(format!("Cassandra at {hosts}: {detail}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn record(dataset: Dataset) -> Record {
        Record {
            dataset,
            area: PriceArea::NO1,
            group: "hydro".into(),
            // 23:00 UTC on New Year's Eve is 00:00 on 1 January local: the 2021 partition.
            start: Utc.with_ymd_and_hms(2020, 12, 31, 23, 0, 0).unwrap(),
            quantity_kwh: 2507716.8,
            last_updated: Utc.with_ymd_and_hms(2024, 2, 1, 9, 0, 0).unwrap(),
            metering_points: (dataset == Dataset::Consumption).then_some(4321),
        }
    }

    #[test]
    fn schema_partitions_by_area_group_and_local_year() {
        let cql = schema_statements("elhub", "{'class': 'SimpleStrategy', 'replication_factor': 1}");
        assert!(cql[0].starts_with(
            "CREATE KEYSPACE IF NOT EXISTS elhub WITH replication = {'class': 'SimpleStrategy'"
        ));
        assert!(cql[1].contains("elhub.production_hourly"));
        assert!(cql[1].contains("PRIMARY KEY ((price_area, grp, year), start_time)"));
        assert!(cql[2].contains("elhub.consumption_hourly"));
        assert!(cql.iter().any(|c| c.contains("elhub.series")));
        assert!(cql.iter().any(|c| c.contains("elhub.fetched_windows")));
        assert!(cql.iter().any(|c| c.contains("elhub.schema_version")));
    }

    #[test]
    fn inserts_carry_the_revision_as_write_timestamp() {
        let cql = insert_cql("ks", Dataset::Consumption);
        assert!(cql.contains("INSERT INTO ks.consumption_hourly"));
        assert!(cql.trim_end().ends_with("USING TIMESTAMP ?"));
        let r = record(Dataset::Consumption);
        let v = insert_values(&r);
        assert_eq!((v.0, v.1, v.2), ("NO1", "hydro", 2021), "local year of the start");
        assert_eq!(v.3, r.start);
        assert_eq!(v.4, 2507716.8);
        assert!(matches!(v.6, MaybeUnset::Set(4321)));
        assert_eq!(v.7, 1_706_778_000_000_000, "lastUpdatedTime in microseconds");
        let production = record(Dataset::Production);
        let p = insert_values(&production);
        assert!(matches!(p.6, MaybeUnset::Unset), "no null, so no tombstone");
    }

    #[test]
    fn rows_decode_back_to_records() {
        let r = record(Dataset::Consumption);
        let row = (r.start, r.quantity_kwh, r.last_updated, Some(4321));
        assert_eq!(decode_row(Dataset::Consumption, PriceArea::NO1, "hydro", row), r);
        let p = record(Dataset::Production);
        assert_eq!(
            decode_row(
                Dataset::Production,
                PriceArea::NO1,
                "hydro",
                (p.start, p.quantity_kwh, p.last_updated, None)
            ),
            p
        );
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
    fn errors_name_cassandra_the_hosts_and_the_case() {
        let e =
            describe("127.0.0.1:9042", "Control connection pool error: Connection refused (os error 111)");
        assert_eq!(e.to_string().split(':').next(), Some("Cassandra at 127.0.0.1"));
        assert!(e.to_string().contains("cannot be reached"), "{e}");
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
