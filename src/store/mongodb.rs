//! MongoDB as a sink and a read store: one collection per dataset with documents keyed
//! `_id = "{entity}|{group}|{start_utc}"`, fields named as in the API (`priceArea`,
//! `municipalityNumber` or `gridArea`; `productionGroup` or `consumptionGroup`; `startTime`,
//! `endTime`, `quantityKwh`, `lastUpdatedTime`, `meteringPointCount`), BSON dates, and a unique
//! compound index (entity, group, startTime); plus `elhub_series`, `elhub_entities`,
//! `elhub_fetched_windows`, `elhub_rollups` (daily and monthly rollups, unique on dataset,
//! entity, group, period and key), `elhub_synced` (when each month was last found current by
//! the change feed) and `elhub_meta` (the schema version).
//!
//! Writes are raw `update` commands with many unordered upsert statements (servers before 8.0
//! have no `bulkWrite`). A statement matches only a stored document with an older
//! `lastUpdatedTime`; when the stored one is as new or newer, the upsert's insert hits the
//! `_id` and fails with a duplicate-key error, which counts as "unchanged". So the newest value
//! wins, a rerun changes nothing, and no record is ever doubled. The window's stored values are
//! read first, so the rollups written with it are those of the final values.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use mongodb::bson::{self, doc, Bson, Document};
use mongodb::options::{ClientOptions, IndexOptions};
use mongodb::{Client, Collection, Database, IndexModel};

use super::merge::{day_rollups_of, merge, month_of_days, DayRollup, StoredValue};
use super::{
    Backend, Checkpoint, MonthCoverage, Period, Result, Rollup, Scope, StepValue, StoreError, StoreKind,
    UpsertStats,
};
use crate::model::{
    all_time_utc, month_key, utc_text, Dataset, Entity, EntityKind, Month, Point, Record, SeriesKey,
    WindowData,
};

/// Statements per `update` command: well under the 16 MB command and 100,000-statement limits.
const BATCH: usize = 5_000;
const SERIES: &str = "elhub_series";
const WINDOWS: &str = "elhub_fetched_windows";
const ENTITIES: &str = "elhub_entities";
const ROLLUPS: &str = "elhub_rollups";
const META: &str = "elhub_meta";
const SYNCED: &str = "elhub_synced";
const DUPLICATE_KEY: i64 = 11000;
/// The layout this program writes: 2 added the entity and the rollups.
const SCHEMA_VERSION: i32 = 2;

/// How to reach MongoDB and where the data goes.
#[derive(Debug, Clone, PartialEq)]
pub struct MongoSettings {
    /// Connection string; may carry credentials, so it is only ever printed redacted.
    pub uri: String,
    pub database: String,
    /// Collection names by dataset alias, where they differ from the catalogue's.
    pub collections: HashMap<String, String>,
    /// Used when the URI does not set `serverSelectionTimeoutMS`.
    pub server_selection_timeout: Duration,
}

impl MongoSettings {
    pub fn collection(&self, dataset: Dataset) -> &str {
        self.collections.get(dataset.as_str()).map_or(dataset.spec().collection, String::as_str)
    }
}

pub struct MongoStore {
    db: Database,
    settings: MongoSettings,
    /// The hosts, for messages and the status line (never the credentials).
    hosts: String,
}

impl MongoStore {
    /// Connects (a `ping` within the server selection timeout), creates the indexes if absent
    /// and brings a store written by an older version up to date.
    pub async fn open(settings: MongoSettings) -> Result<MongoStore> {
        let hosts = uri_hosts(&settings.uri);
        let secrets = uri_secrets(&settings.uri);
        let mut options = ClientOptions::parse(&settings.uri).await.map_err(|e| {
            let shown = redact_uri(&settings.uri);
            if !settings.uri.contains("://") {
                // Not a URI: the driver's words might quote any part of it.
                return StoreError::config(format!(
                    "MongoDB URI {shown}: it must start with mongodb:// or mongodb+srv://"
                ));
            }
            let detail = match e.kind.as_ref() {
                mongodb::error::ErrorKind::InvalidArgument { message, .. } => message.clone(),
                other => other.to_string(),
            };
            StoreError::config(format!("MongoDB URI {shown}: {}", one_line(&detail, &secrets)))
        })?;
        if options.server_selection_timeout.is_none() {
            options.server_selection_timeout = Some(settings.server_selection_timeout);
        }
        if options.connect_timeout.is_none() {
            options.connect_timeout = Some(settings.server_selection_timeout);
        }
        options.app_name.get_or_insert_with(|| "elhub-explorer".to_string());
        let tls = matches!(options.tls, Some(mongodb::options::Tls::Enabled(_)));
        let client = Client::with_options(options).map_err(|e| error(&hosts, &secrets, e))?;
        let db = client.database(&settings.database);
        let store = MongoStore { db, settings, hosts };
        store.db.run_command(doc! {"ping": 1}).await.map_err(|e| {
            let no_server = matches!(e.kind.as_ref(), mongodb::error::ErrorKind::ServerSelection { .. });
            let e = store.error(e);
            // A TLS client facing a plaintext server (or an untrusted certificate) often just times out.
            if tls && no_server {
                StoreError::unavailable(format!(
                    "{} (TLS is on: does the server speak TLS with a certificate this machine trusts?)",
                    e.message
                ))
            } else {
                e
            }
        })?;
        store.ensure_indexes().await?;
        store.upgrade().await?;
        Ok(store)
    }

    async fn ensure_indexes(&self) -> Result<()> {
        for dataset in Dataset::all() {
            let kind = dataset.entity();
            let keys = doc! {kind.document_field(): 1, dataset.group_field(): 1, "startTime": 1};
            // Price-area collections keep the index name their first version gave them.
            let name = if kind == EntityKind::PriceArea { "area_group_start" } else { "entity_group_start" };
            self.create_index(self.settings.collection(dataset), keys, name).await?;
        }
        let keys = doc! {"dataset": 1, "entity": 1, "group": 1, "period": 1, "key": 1};
        self.create_index(ROLLUPS, keys, "rollup_key").await
    }

    async fn create_index(&self, collection: &str, keys: Document, name: &str) -> Result<()> {
        let index = IndexModel::builder()
            .keys(keys)
            .options(IndexOptions::builder().name(name.to_string()).unique(true).build())
            .build();
        self.db.collection::<Document>(collection).create_index(index).await.map_err(|e| self.error(e))?;
        Ok(())
    }

    /// Version 1 listed series by `priceArea` and had no rollups: name the entity and build them.
    async fn upgrade(&self) -> Result<()> {
        let meta: Collection<Document> = self.db.collection(META);
        let version = meta
            .find_one(doc! {"_id": "schema"})
            .await
            .map_err(|e| self.error(e))?
            .and_then(|d| d.get("version").and_then(number))
            .unwrap_or(1.0) as i32;
        if version >= SCHEMA_VERSION {
            return Ok(());
        }
        let series: Collection<Document> = self.db.collection(SERIES);
        let mut legacy = series.find(doc! {"entity": {"$exists": false}}).await.map_err(|e| self.error(e))?;
        let mut statements = Vec::new();
        while let Some(d) = legacy.try_next().await.map_err(|e| self.error(e))? {
            if let (Some(id), Ok(area)) = (d.get("_id").cloned(), d.get_str("priceArea")) {
                statements.push(doc! {"q": {"_id": id}, "u": {"$set": {"entity": area}}});
            }
        }
        if !statements.is_empty() {
            self.upsert_statements(SERIES, statements).await?;
            for dataset in Dataset::all() {
                self.rebuild_rollups(dataset).await?;
            }
            tracing::info!(hosts = %self.hosts, "upgraded the MongoDB layout to version {SCHEMA_VERSION}");
        }
        meta.update_one(doc! {"_id": "schema"}, doc! {"$set": {"version": SCHEMA_VERSION}})
            .upsert(true)
            .await
            .map_err(|e| self.error(e))?;
        Ok(())
    }

    fn records(&self, dataset: Dataset) -> Collection<Document> {
        self.db.collection(self.settings.collection(dataset))
    }

    fn error(&self, e: mongodb::error::Error) -> StoreError {
        error(&self.hosts, &uri_secrets(&self.settings.uri), e)
    }

    fn bad(&self, m: impl std::fmt::Display) -> StoreError {
        StoreError::runtime(format!("MongoDB at {}: {m}", self.hosts))
    }

    /// Runs `update` commands in batches; adds up what they did.
    async fn upsert_statements(&self, collection: &str, statements: Vec<Document>) -> Result<UpsertStats> {
        let mut stats = UpsertStats::default();
        let mut statements = statements.into_iter().peekable();
        while statements.peek().is_some() {
            let batch: Vec<Document> = statements.by_ref().take(BATCH).collect();
            let n = batch.len();
            let reply =
                self.db.run_command(update_command(collection, batch)).await.map_err(|e| self.error(e))?;
            stats.add(tally(&reply, n).map_err(|m| self.bad(m))?);
        }
        Ok(stats)
    }

    /// The documents of `filter`, sorted and projected.
    async fn find(
        &self,
        collection: &Collection<Document>,
        filter: Document,
        sort: Document,
        projection: Option<Document>,
    ) -> Result<Vec<Document>> {
        let mut find = collection.find(filter).sort(sort);
        if let Some(p) = projection {
            find = find.projection(p);
        }
        let mut cursor = find.await.map_err(|e| self.error(e))?;
        let mut out = Vec::new();
        while let Some(d) = cursor.try_next().await.map_err(|e| self.error(e))? {
            out.push(d);
        }
        Ok(out)
    }

    /// What is stored in the window for the window's series, per series.
    async fn stored_in(&self, data: &WindowData) -> Result<HashMap<SeriesKey, Vec<StoredValue>>> {
        let dataset = data.dataset;
        let (entity_field, group_field) = (dataset.entity().document_field(), dataset.group_field());
        let mut entities: Vec<&str> = data.series.iter().map(|s| s.key.entity.as_str()).collect();
        entities.sort();
        entities.dedup();
        let mut groups: Vec<&str> = data.series.iter().map(|s| s.key.group.as_str()).collect();
        groups.sort();
        groups.dedup();
        let mut out: HashMap<SeriesKey, Vec<StoredValue>> = HashMap::new();
        if entities.is_empty() {
            return Ok(out);
        }
        let filter = doc! {
            entity_field: {"$in": entities},
            group_field: {"$in": groups},
            "startTime": {"$gte": bson_date(data.window.start), "$lt": bson_date(data.window.end)},
        };
        let projection = doc! {"_id": 0, entity_field: 1, group_field: 1, "startTime": 1, "quantityKwh": 1, "lastUpdatedTime": 1};
        for d in self.find(&self.records(dataset), filter, doc! {"startTime": 1}, Some(projection)).await? {
            let (Ok(entity), Ok(group)) = (d.get_str(entity_field), d.get_str(group_field)) else { continue };
            let (Ok(start), Ok(updated)) = (d.get_datetime("startTime"), d.get_datetime("lastUpdatedTime"))
            else {
                continue;
            };
            let kwh = d.get("quantityKwh").and_then(number).unwrap_or(0.0);
            out.entry(SeriesKey::new(entity, group)).or_default().push((
                start.timestamp_millis().div_euclid(1000),
                kwh,
                updated.timestamp_millis().div_euclid(1000),
            ));
        }
        Ok(out)
    }

    /// Drops the whole database: the test suites' clean-up of their own databases.
    pub async fn drop_database(&self) -> Result<()> {
        self.db.drop().await.map_err(|e| self.error(e))
    }
}

#[async_trait]
impl Backend for MongoStore {
    fn kind(&self) -> StoreKind {
        StoreKind::Mongodb
    }

    /// `mongodb://host:port/db` with no credentials.
    fn location(&self) -> String {
        format!("{}/{}", self.hosts, self.settings.database)
    }

    async fn write_window(
        &self,
        data: &Arc<WindowData>,
        checkpoint: Option<&Checkpoint>,
    ) -> Result<UpsertStats> {
        let dataset = data.dataset;
        let entity_statements = data
            .entities
            .iter()
            .map(|e| {
                let id = format!("{}|{}", e.kind.as_str(), e.id);
                let set = doc! {"kind": e.kind.as_str(), "id": &e.id, "name": &e.name, "priceArea": e.price_area.as_deref()};
                doc! {"q": {"_id": id}, "u": {"$set": set}, "upsert": true}
            })
            .collect();
        self.upsert_statements(ENTITIES, entity_statements).await?;
        let mut stored = self.stored_in(data).await?;
        let bounds = data.window.day_bounds();
        let mut stats = UpsertStats::default();
        // The points to write, light; their statements are built a batch at a time below, so a
        // merged write of many days never holds a document per record at once.
        let mut writes: Vec<(&SeriesKey, Point)> = Vec::with_capacity(data.len());
        let mut rollup_statements = Vec::new();
        let mut touched: Vec<(&SeriesKey, i32)> = Vec::new();
        for s in &data.series {
            let merged = merge(&s.points, stored.remove(&s.key).as_deref().unwrap_or(&[]), &bounds);
            stats.add(merged.stats);
            writes.extend(merged.writes.iter().map(|p| (&s.key, **p)));
            rollup_statements
                .extend(merged.days.iter().map(|d| rollup_statement(dataset, &s.key, Period::Day, d)));
            touched.extend(super::merge::months_of(&merged.days).into_iter().map(|m| (&s.key, m)));
        }
        for chunk in writes.chunks(BATCH) {
            let statements = chunk
                .iter()
                .map(|(key, p)| upsert_statement(&Record::new(dataset, &key.entity, &key.group, p)))
                .collect();
            self.upsert_statements(self.settings.collection(dataset), statements).await?;
        }
        self.upsert_statements(ROLLUPS, rollup_statements).await?;
        // Each touched month again from its days: one read of the days of the window's months.
        let months: Vec<i32> = {
            let mut m: Vec<i32> = touched.iter().map(|t| t.1).collect();
            m.sort();
            m.dedup();
            m
        };
        if let (Some(first), Some(last)) = (months.first(), months.last()) {
            let filter = doc! {"dataset": dataset.as_str(), "period": "day", "key": {"$gte": first * 100, "$lte": last * 100 + 99}};
            let coll: Collection<Document> = self.db.collection(ROLLUPS);
            let mut days_of: HashMap<(String, String, i32), Vec<DayRollup>> = HashMap::new();
            for d in self.find(&coll, filter, doc! {"key": 1}, None).await? {
                if let Some(r) = decode_rollup(&d) {
                    let (entity, group) =
                        (d.get_str("entity").unwrap_or_default(), d.get_str("group").unwrap_or_default());
                    days_of.entry((entity.to_string(), group.to_string(), r.key / 100)).or_default().push(
                        DayRollup {
                            day: r.key,
                            kwh: r.kwh,
                            count: r.count,
                            min: r.min.unwrap_or(r.kwh),
                            max: r.max.unwrap_or(r.kwh),
                        },
                    );
                }
            }
            let month_statements = touched
                .iter()
                .filter_map(|(key, month)| {
                    let days = days_of.get(&(key.entity.clone(), key.group.clone(), *month))?;
                    month_of_days(days).map(|m| rollup_statement(dataset, key, Period::Month, &m))
                })
                .collect();
            self.upsert_statements(ROLLUPS, month_statements).await?;
        }
        let series_statements = data
            .series
            .iter()
            .map(|s| {
                let id = format!("{dataset}|{}|{}", s.key.entity, s.key.group);
                let set = doc! {"dataset": dataset.as_str(), "entity": &s.key.entity, "group": &s.key.group};
                doc! {"q": {"_id": id}, "u": {"$set": set}, "upsert": true}
            })
            .collect();
        self.upsert_statements(SERIES, series_statements).await?;
        // The checkpoint goes last: a crash before it leaves the month to be fetched again,
        // which is harmless since upserts are idempotent.
        if let Some(c) = checkpoint {
            let set = doc! {
                "dataset": dataset.as_str(),
                "month": c.month.to_string(),
                "start": bson_date(c.window.start),
                "end": bson_date(c.window.end),
                "fetchedAt": bson_date(c.fetched_at),
                "records": c.records as i64,
                "rejected": c.rejected as i64,
            };
            let id = format!("{dataset}|{}", c.month);
            self.upsert_statements(
                WINDOWS,
                vec![doc! {"q": {"_id": id}, "u": {"$set": set}, "upsert": true}],
            )
            .await?;
        }
        Ok(stats)
    }

    async fn series(&self, dataset: Dataset) -> Result<Vec<SeriesKey>> {
        let coll: Collection<Document> = self.db.collection(SERIES);
        let docs = self
            .find(&coll, doc! {"dataset": dataset.as_str()}, doc! {"entity": 1, "group": 1}, None)
            .await?;
        let mut out: Vec<SeriesKey> = docs
            .iter()
            .filter_map(|d| {
                let entity = d.get_str("entity").or_else(|_| d.get_str("priceArea")).ok()?;
                Some(SeriesKey::new(entity, d.get_str("group").ok()?))
            })
            .collect();
        out.sort();
        Ok(out)
    }

    async fn entities(&self, kind: EntityKind) -> Result<Vec<Entity>> {
        let coll: Collection<Document> = self.db.collection(ENTITIES);
        let docs = self.find(&coll, doc! {"kind": kind.as_str()}, doc! {"id": 1}, None).await?;
        Ok(docs
            .iter()
            .filter_map(|d| {
                Some(Entity {
                    kind,
                    id: d.get_str("id").ok()?.to_string(),
                    name: d.get_str("name").ok()?.to_string(),
                    price_area: d.get_str("priceArea").ok().map(str::to_string),
                })
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
        let docs = self
            .find(
                &self.records(dataset),
                series_filter(dataset, series, from, to),
                doc! {"startTime": 1},
                None,
            )
            .await?;
        docs.iter().map(|d| decode_record(d, dataset).map_err(|m| self.bad(m))).collect()
    }

    async fn steps(
        &self,
        dataset: Dataset,
        series: &SeriesKey,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<StepValue>> {
        let projection = doc! {"_id": 0, "startTime": 1, "quantityKwh": 1};
        let docs = self
            .find(
                &self.records(dataset),
                series_filter(dataset, series, from, to),
                doc! {"startTime": 1},
                Some(projection),
            )
            .await?;
        Ok(docs
            .iter()
            .filter_map(|d| {
                let start = from_bson_date(d.get_datetime("startTime").ok()?);
                Some(StepValue { start, kwh: d.get("quantityKwh").and_then(number)? })
            })
            .collect())
    }

    async fn rollups(
        &self,
        dataset: Dataset,
        scope: &Scope,
        period: Period,
        from: i32,
        to: i32,
    ) -> Result<Vec<Rollup>> {
        let coll: Collection<Document> = self.db.collection(ROLLUPS);
        let mut filter = doc! {"dataset": dataset.as_str(), "period": period_name(period), "key": {"$gte": from, "$lte": to}};
        if let Scope::Entity(e) = scope {
            filter.insert("entity", e.as_str());
        }
        let rows: Vec<Rollup> = self
            .find(&coll, filter, doc! {"group": 1, "key": 1}, None)
            .await?
            .iter()
            .filter_map(decode_rollup)
            .collect();
        Ok(match scope {
            Scope::Entity(_) => rows,
            Scope::All => super::merge::sum_over_entities(rows),
        })
    }

    async fn entities_with_data(&self, dataset: Dataset, month: Month) -> Result<Vec<String>> {
        let coll: Collection<Document> = self.db.collection(ROLLUPS);
        let filter =
            doc! {"dataset": dataset.as_str(), "period": "month", "key": month_key(month), "n": {"$gt": 0}};
        let docs = self.find(&coll, filter, doc! {"entity": 1}, Some(doc! {"_id": 0, "entity": 1})).await?;
        let mut out: Vec<String> =
            docs.iter().filter_map(|d| d.get_str("entity").ok().map(str::to_string)).collect();
        out.dedup();
        Ok(out)
    }

    async fn coverage(&self, dataset: Dataset) -> Result<Vec<MonthCoverage>> {
        let coll: Collection<Document> = self.db.collection(WINDOWS);
        let docs = self.find(&coll, doc! {"dataset": dataset.as_str()}, doc! {"month": 1}, None).await?;
        Ok(docs
            .iter()
            .filter_map(|d| {
                Some(MonthCoverage {
                    month: d.get_str("month").ok()?.parse().ok()?,
                    records: d.get("records").and_then(number).unwrap_or(0.0) as u64,
                    rejected: d.get("rejected").and_then(number).unwrap_or(0.0) as u64,
                    fetched_at: from_bson_date(d.get_datetime("fetchedAt").ok()?),
                })
            })
            .collect())
    }

    async fn synced(&self, dataset: Dataset) -> Result<Vec<(Month, DateTime<Utc>)>> {
        let coll: Collection<Document> = self.db.collection(SYNCED);
        let docs = self.find(&coll, doc! {"dataset": dataset.as_str()}, doc! {"month": 1}, None).await?;
        Ok(docs
            .iter()
            .filter_map(|d| {
                Some((
                    d.get_str("month").ok()?.parse().ok()?,
                    from_bson_date(d.get_datetime("syncedAt").ok()?),
                ))
            })
            .collect())
    }

    async fn set_synced(&self, dataset: Dataset, months: &[Month], at: DateTime<Utc>) -> Result<()> {
        let statements = months
            .iter()
            .map(|m| {
                let set =
                    doc! {"dataset": dataset.as_str(), "month": m.to_string(), "syncedAt": bson_date(at)};
                doc! {"q": {"_id": format!("{dataset}|{m}")}, "u": {"$set": set}, "upsert": true}
            })
            .collect();
        self.upsert_statements(SYNCED, statements).await.map(|_| ())
    }

    async fn rebuild_rollups(&self, dataset: Dataset) -> Result<u64> {
        let series = self.series(dataset).await?;
        let (from, to) = all_time_utc();
        for key in &series {
            let days = day_rollups_of(self.steps(dataset, key, from, to).await?.iter().map(StepValue::pair));
            let rollups: Collection<Document> = self.db.collection(ROLLUPS);
            rollups
                .delete_many(doc! {"dataset": dataset.as_str(), "entity": &key.entity, "group": &key.group})
                .await
                .map_err(|e| self.error(e))?;
            let mut statements: Vec<Document> =
                days.iter().map(|d| rollup_statement(dataset, key, Period::Day, d)).collect();
            for month in days.chunk_by(|a, b| a.day / 100 == b.day / 100) {
                if let Some(m) = month_of_days(month) {
                    statements.push(rollup_statement(dataset, key, Period::Month, &m));
                }
            }
            self.upsert_statements(ROLLUPS, statements).await?;
        }
        Ok(series.len() as u64)
    }

    async fn count(&self, dataset: Dataset) -> Result<u64> {
        self.records(dataset).count_documents(doc! {}).await.map_err(|e| self.error(e))
    }

    async fn destroy(&self) -> Result<()> {
        self.drop_database().await
    }
}

fn period_name(period: Period) -> &'static str {
    match period {
        Period::Day => "day",
        Period::Month => "month",
    }
}

/// One rollup document's upsert: `_id` = `dataset|entity|group|period|key`.
fn rollup_statement(dataset: Dataset, key: &SeriesKey, period: Period, r: &DayRollup) -> Document {
    let period = period_name(period);
    let id = format!("{dataset}|{}|{}|{period}|{}", key.entity, key.group, r.day);
    let set = doc! {
        "dataset": dataset.as_str(), "entity": &key.entity, "group": &key.group, "period": period, "key": r.day,
        "kwh": r.kwh, "n": r.count as i64, "min": r.min, "max": r.max,
    };
    doc! {"q": {"_id": id}, "u": {"$set": set}, "upsert": true}
}

fn decode_rollup(d: &Document) -> Option<Rollup> {
    Some(Rollup {
        group: d.get_str("group").ok()?.to_string(),
        key: d.get("key").and_then(number)? as i32,
        kwh: d.get("kwh").and_then(number)?,
        count: d.get("n").and_then(number)? as u64,
        min: d.get("min").and_then(number),
        max: d.get("max").and_then(number),
    })
}

fn bson_date(t: DateTime<Utc>) -> bson::DateTime {
    bson::DateTime::from_millis(t.timestamp_millis())
}

fn from_bson_date(t: &bson::DateTime) -> DateTime<Utc> {
    use chrono::TimeZone;
    Utc.timestamp_millis_opt(t.timestamp_millis()).single().unwrap_or_default()
}

/// A number stored as double, int32 or int64.
fn number(b: &Bson) -> Option<f64> {
    match b {
        Bson::Double(v) => Some(*v),
        Bson::Int32(v) => Some(*v as f64),
        Bson::Int64(v) => Some(*v as f64),
        _ => None,
    }
}

/// The document `_id` of a record: `"NO1|hydro|2021-01-01T00:00:00Z"`.
pub fn record_id(r: &Record) -> String {
    format!("{}|{}|{}", r.entity, r.group, utc_text(r.start))
}

/// A record as stored, with the API's field names.
pub fn record_document(r: &Record) -> Document {
    let mut d = doc! {
        "_id": record_id(r),
        r.dataset.entity().document_field(): r.entity.as_str(),
        r.dataset.group_field(): r.group.as_str(),
        "startTime": bson_date(r.start),
        "endTime": bson_date(r.end),
        "quantityKwh": r.quantity_kwh,
        "lastUpdatedTime": bson_date(r.last_updated),
    };
    if let Some(points) = r.metering_points {
        d.insert("meteringPointCount", points as i64);
    }
    d
}

/// One upsert statement of an `update` command: replaces the fields of a stored document only
/// if it is older; inserts it if absent.
pub fn upsert_statement(r: &Record) -> Document {
    let mut set = record_document(r);
    set.remove("_id");
    doc! {
        "q": {"_id": record_id(r), "lastUpdatedTime": {"$lt": bson_date(r.last_updated)}},
        "u": {"$set": set},
        "upsert": true,
    }
}

/// The `update` command for a batch of statements, unordered so one refused statement does
/// not stop the rest.
pub fn update_command(collection: &str, statements: Vec<Document>) -> Document {
    doc! {"update": collection, "updates": statements, "ordered": false}
}

/// What an `update` reply says about `statements` upserts: inserted (`upserted`), replaced
/// (`nModified`), and unchanged (duplicate-key refusals, or matched without change). Any
/// other write error or a write concern error fails the batch.
pub fn tally(reply: &Document, statements: usize) -> std::result::Result<UpsertStats, String> {
    if let Ok(wce) = reply.get_document("writeConcernError") {
        return Err(format!("write concern error: {}", wce.get_str("errmsg").unwrap_or("unknown")));
    }
    if let Ok(errors) = reply.get_array("writeErrors") {
        for e in errors {
            let e = e.as_document().ok_or("malformed writeErrors entry")?;
            let code = e.get("code").and_then(number).unwrap_or(0.0) as i64;
            if code != DUPLICATE_KEY {
                return Err(format!("write error {code}: {}", e.get_str("errmsg").unwrap_or("unknown")));
            }
        }
    }
    let new = reply.get_array("upserted").map_or(0, |a| a.len()) as u64;
    let updated = reply.get("nModified").and_then(number).unwrap_or(0.0) as u64;
    let unchanged = (statements as u64).saturating_sub(new + updated);
    Ok(UpsertStats { new, updated, unchanged })
}

/// The filter of one series over [from, to).
pub fn series_filter(
    dataset: Dataset,
    series: &SeriesKey,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Document {
    doc! {
        dataset.entity().document_field(): series.entity.as_str(),
        dataset.group_field(): series.group.as_str(),
        "startTime": {"$gte": bson_date(from), "$lt": bson_date(to)},
    }
}

/// A stored document back into a record.
pub fn decode_record(d: &Document, dataset: Dataset) -> std::result::Result<Record, String> {
    let id = d.get_str("_id").unwrap_or("?");
    let bad = |what: &str| format!("document {id}: {what}");
    let entity = d.get_str(dataset.entity().document_field()).map_err(|_| bad("no entity"))?;
    let group = d.get_str(dataset.group_field()).map_err(|_| bad("no group"))?;
    let start = d.get_datetime("startTime").map_err(|_| bad("no startTime"))?;
    let updated = d.get_datetime("lastUpdatedTime").map_err(|_| bad("no lastUpdatedTime"))?;
    let point = Point {
        start: start.timestamp_millis().div_euclid(1000),
        kwh: d.get("quantityKwh").and_then(number).ok_or_else(|| bad("no quantityKwh"))?,
        updated: updated.timestamp_millis().div_euclid(1000),
        metering_points: d.get("meteringPointCount").and_then(number).map(|n| n as u32),
    };
    Ok(Record::new(dataset, entity, group, &point))
}

pub use super::secrets::{redact_uri, uri_has_secret};
use super::secrets::{scrub, uri_secrets};

/// `mongodb://host:port` (or `mongodb+srv://cluster`), without credentials or options. Shown
/// only for a URI the driver has parsed (an encoded user part has no `/` or `?`).
pub fn uri_hosts(uri: &str) -> String {
    let Some((scheme, rest)) = uri.split_once("://") else { return "MongoDB".into() };
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    let hosts = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    format!("{scheme}://{hosts}")
}

/// A driver message on one line, at most 240 characters, with every secret scrubbed.
fn one_line(message: &str, secrets: &[String]) -> String {
    let mut text = scrub(&message.split_whitespace().collect::<Vec<_>>().join(" "), secrets);
    if text.chars().count() > 240 {
        text = text.chars().take(239).collect::<String>() + "…";
    }
    text
}

fn error(hosts: &str, secrets: &[String], e: mongodb::error::Error) -> StoreError {
    use mongodb::error::ErrorKind;
    let line = |m: &str| one_line(m, secrets);
    match e.kind.as_ref() {
        ErrorKind::Authentication { .. } => StoreError::unavailable(format!(
            "MongoDB at {hosts}: authentication failed (check the user, password and authSource of the URI)"
        )),
        ErrorKind::ServerSelection { message, .. } => StoreError::unavailable(format!(
            "MongoDB at {hosts} cannot be reached: {}",
            selection_cause(&line(message))
        )),
        ErrorKind::Command(c) if c.code == 13 || c.code_name == "Unauthorized" => {
            StoreError::unavailable(format!("MongoDB at {hosts}: not permitted: {}", line(&c.message)))
        }
        ErrorKind::Command(c) => StoreError::runtime(format!(
            "MongoDB at {hosts}: {} ({}): {}",
            c.code_name,
            c.code,
            line(&c.message)
        )),
        ErrorKind::InvalidArgument { message, .. } => {
            StoreError::config(format!("MongoDB at {hosts}: {}", line(message)))
        }
        ErrorKind::DnsResolve { message, .. } => {
            StoreError::config(format!("MongoDB at {hosts}: cannot resolve the host: {}", line(message)))
        }
        ErrorKind::Io(io) => {
            StoreError::unavailable(format!("MongoDB at {hosts}: connection lost: {}", line(&io.to_string())))
        }
        other => StoreError::unavailable(format!("MongoDB at {hosts}: {}", line(&other.to_string()))),
    }
}

/// The cause inside the driver's server-selection report (which lists the whole topology).
pub fn selection_cause(message: &str) -> String {
    let lower = message.to_ascii_lowercase();
    let known = [
        ("connection refused", "connection refused (is the server running, and on this port?)"),
        ("certificate", "TLS certificate rejected"),
        ("tls", "TLS handshake failed"),
        ("timed out", "timed out"),
        ("failed to lookup", "the host name does not resolve"),
        ("no route to host", "no route to host"),
    ];
    match known.iter().find(|(needle, _)| lower.contains(needle)) {
        Some((_, cause)) => format!("{cause}; no server answered within the selection timeout"),
        None => format!("no server answered within the selection timeout ({message})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn record(dataset: Dataset) -> Record {
        let group = if dataset == Dataset::PRODUCTION { "hydro" } else { "cabin" };
        let point = Point {
            start: Utc.with_ymd_and_hms(2021, 10, 31, 1, 0, 0).unwrap().timestamp(),
            kwh: 1982521.1,
            updated: Utc.with_ymd_and_hms(2025, 3, 29, 0, 45, 15).unwrap().timestamp(),
            metering_points: dataset.has_metering_points().then_some(4321),
        };
        let entity = match dataset.entity() {
            EntityKind::PriceArea => "NO4",
            EntityKind::Municipality => "5501",
            EntityKind::GridArea => "50YWO-6UUIJ4BF1D",
        };
        Record::new(dataset, entity, group, &point)
    }

    #[test]
    fn documents_use_the_api_field_names_and_bson_dates() {
        let d = record_document(&record(Dataset::PRODUCTION));
        assert_eq!(d.get_str("_id").unwrap(), "NO4|hydro|2021-10-31T01:00:00Z");
        assert_eq!(d.get_str("priceArea").unwrap(), "NO4");
        assert_eq!(d.get_str("productionGroup").unwrap(), "hydro");
        assert_eq!(d.get_datetime("startTime").unwrap().timestamp_millis(), 1_635_642_000_000);
        assert_eq!(d.get_datetime("endTime").unwrap().timestamp_millis(), 1_635_645_600_000);
        assert_eq!(d.get_f64("quantityKwh").unwrap(), 1982521.1);
        assert!(!d.contains_key("meteringPointCount"));
        let c = record_document(&record(Dataset::CONSUMPTION));
        assert_eq!(c.get_str("consumptionGroup").unwrap(), "cabin");
        assert_eq!(c.get_i64("meteringPointCount").unwrap(), 4321);
        let m = record_document(&record(Dataset::CONSUMPTION_MUNICIPALITY));
        assert_eq!(m.get_str("municipalityNumber").unwrap(), "5501");
        let g = record_document(&record(Dataset::CONSUMPTION_GRID_AREA));
        assert_eq!(g.get_str("gridArea").unwrap(), "50YWO-6UUIJ4BF1D");
        let q = record_document(&record(Dataset::PRODUCTION_15MIN));
        assert_eq!(
            q.get_datetime("endTime").unwrap().timestamp_millis()
                - q.get_datetime("startTime").unwrap().timestamp_millis(),
            900_000
        );
    }

    #[test]
    fn documents_decode_back_to_the_record() {
        for dataset in Dataset::all() {
            let r = record(dataset);
            assert_eq!(decode_record(&record_document(&r), dataset).unwrap(), r);
        }
        let mut broken = record_document(&record(Dataset::PRODUCTION));
        broken.remove("startTime");
        assert!(decode_record(&broken, Dataset::PRODUCTION).unwrap_err().contains("startTime"));
    }

    #[test]
    fn upsert_matches_only_older_documents() {
        let r = record(Dataset::PRODUCTION);
        let s = upsert_statement(&r);
        assert!(s.get_bool("upsert").unwrap());
        let q = s.get_document("q").unwrap();
        assert_eq!(q.get_str("_id").unwrap(), "NO4|hydro|2021-10-31T01:00:00Z");
        let lt = q.get_document("lastUpdatedTime").unwrap().get_datetime("$lt").unwrap();
        assert_eq!(from_bson_date(lt), r.last_updated);
        let set = s.get_document("u").unwrap().get_document("$set").unwrap();
        assert!(!set.contains_key("_id"), "_id comes from the query on insert");
        assert_eq!(set.get_f64("quantityKwh").unwrap(), r.quantity_kwh);
        let cmd = update_command("production", vec![s]);
        assert_eq!(cmd.get_str("update").unwrap(), "production");
        assert!(!cmd.get_bool("ordered").unwrap());
        assert_eq!(cmd.get_array("updates").unwrap().len(), 1);
    }

    #[test]
    fn replies_tally_new_updated_and_unchanged() {
        let reply = doc! {
            "ok": 1.0, "n": 7, "nModified": 2,
            "upserted": [{"index": 0, "_id": "a"}, {"index": 3, "_id": "b"}],
            "writeErrors": [{"index": 5, "code": 11000, "errmsg": "E11000 duplicate key"}],
        };
        assert_eq!(tally(&reply, 6).unwrap(), UpsertStats { new: 2, updated: 2, unchanged: 2 });
        let other = doc! {"ok": 1.0, "n": 0, "writeErrors": [{"index": 0, "code": 2, "errmsg": "bad value"}]};
        assert!(tally(&other, 1).unwrap_err().contains("bad value"));
        let wce = doc! {"ok": 1.0, "n": 1, "writeConcernError": {"code": 64, "errmsg": "waiting for replication timed out"}};
        assert!(tally(&wce, 1).unwrap_err().contains("replication"));
        assert_eq!(tally(&doc! {"ok": 1.0, "n": 3, "nModified": 3i64}, 3).unwrap().updated, 3);
    }

    #[test]
    fn rollup_documents_round_trip() {
        let key = SeriesKey::new("0301", "private");
        let day = DayRollup { day: 20210328, kwh: 12.5, count: 23, min: 0.25, max: 1.5 };
        let s = rollup_statement(Dataset::CONSUMPTION_MUNICIPALITY, &key, Period::Day, &day);
        assert_eq!(
            s.get_document("q").unwrap().get_str("_id").unwrap(),
            "consumption-municipality|0301|private|day|20210328"
        );
        let set = s.get_document("u").unwrap().get_document("$set").unwrap();
        let r = decode_rollup(set).unwrap();
        assert_eq!(
            (r.group.as_str(), r.key, r.kwh, r.count, r.min, r.max),
            ("private", 20210328, 12.5, 23, Some(0.25), Some(1.5))
        );
        let f = series_filter(
            Dataset::CONSUMPTION_GRID_AREA,
            &SeriesKey::new("X", "household"),
            Utc::now(),
            Utc::now(),
        );
        assert_eq!(f.get_str("gridArea").unwrap(), "X");
        assert_eq!(f.get_str("consumptionGroup").unwrap(), "household");
    }

    #[test]
    fn server_selection_reports_name_the_cause() {
        let refused = "Server selection timeout: No available servers. Topology: { Type: Unknown, Servers: [ { Address: 127.0.0.1:1, Type: Unknown, Error: Kind: I/O error: Connection refused (os error 111) } ] }";
        assert!(selection_cause(refused).starts_with("connection refused"));
        assert!(selection_cause("invalid peer certificate: UnknownIssuer")
            .starts_with("TLS certificate rejected"));
        assert!(selection_cause("something else").contains("(something else)"));
    }

    #[test]
    fn hosts_and_messages_keep_no_secret() {
        let uri = "mongodb+srv://elhub:s3cr%40t@cluster0.abcde.mongodb.net/elhub?retryWrites=true";
        assert_eq!(uri_hosts(uri), "mongodb+srv://cluster0.abcde.mongodb.net");
        assert_eq!(uri_hosts("mongodb://reader@h1:1,h2:2/?authSource=admin"), "mongodb://h1:1,h2:2");
        assert_eq!(one_line("auth\n failed for s3cr%40t", &uri_secrets(uri)), "auth failed for ***");
        assert_eq!(
            redact_uri(uri),
            "mongodb+srv://elhub:***@cluster0.abcde.mongodb.net/elhub?retryWrites=true"
        );
        assert!(uri_has_secret(uri));
    }
}
