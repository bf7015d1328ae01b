//! MongoDB as a sink and a read store, a day per document (layout version 3, see `days`): per
//! dataset `<collection>_days` (one document per series and local day: the day's steps and its
//! rollup; unique on entity, group and day) and the view `<collection>` (one record-shaped
//! document per step, the API's field names, for queries written against the earlier layout);
//! `elhub_all_days` (per dataset, group and day every entity's sum per step); `elhub_rollups`
//! (monthly rollups, unique on dataset, entity, group, period and key); `elhub_series`,
//! `elhub_entities`, `elhub_fetched_windows`, `elhub_synced` (when each month was last found
//! current by the change feed) and `elhub_meta` (the layout version). A store in the layout of
//! one document per record (versions 1 and 2) is converted on open (`migrate`).
//!
//! Writes are raw `update` commands with many unordered upsert statements (servers before 8.0
//! have no `bulkWrite`). A window's stored days are read first and merged step by step with the
//! incoming records (newest `lastUpdatedTime` wins, `merge`); only the days that change are
//! written, each whole and only over the revision read. So a rerun writes nothing, no step is
//! ever doubled, and a concurrent writer's values are merged, not lost. The all-entity days and
//! the months of the window are then computed again from what is stored.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use mongodb::bson::{self, doc, rawdoc, Bson, Document, RawArrayBuf, RawBson, RawDocument, RawDocumentBuf};
use mongodb::options::{ClientOptions, IndexOptions};
use mongodb::{Client, Collection, Database, IndexModel};

mod days;
pub mod migrate;

use self::days::{
    all_day_statement, by_day, day_document, day_id, day_range, day_statement, decode_all_day_rollup,
    decode_all_day_steps, decode_day_rollup, decode_raw_day, overlay, points_of, raw_number, steps_in,
    upsert_by_id, view_pipeline, StoredDay, ALL_DAYS, DAYS_SUFFIX,
};
use super::merge::{merge, StoredValue};
use super::rollup::{local_day_key, month_of_days, months_with_days, sum_over_entities, DayRollup};
use super::{
    Backend, Checkpoint, MonthCoverage, Period, Result, Rollup, Scope, StepValue, StoreError, StoreKind,
    UpsertStats,
};
use crate::model::{
    day_key, month_key, Dataset, Entity, EntityKind, Month, Point, Record, SeriesData, SeriesKey, WindowData,
};

/// Statements per command, and the bytes they may take together: well under the 16 MB command
/// and 100,000-statement limits (an hourly day is about 1 KB, a quarter-hourly one 4 KB).
const BATCH: usize = 5_000;
const BATCH_BYTES: usize = 8 << 20;
const SERIES: &str = "elhub_series";
const WINDOWS: &str = "elhub_fetched_windows";
const ENTITIES: &str = "elhub_entities";
const ROLLUPS: &str = "elhub_rollups";
const META: &str = "elhub_meta";
const SYNCED: &str = "elhub_synced";
const DUPLICATE_KEY: i64 = 11000;
/// The layout this program writes: 2 added the entity and the rollups, 3 a day per document.
const SCHEMA_VERSION: i32 = 3;
/// Day documents made and sent at a time.
const DAYS_AT_ONCE: usize = 2_000;
/// How often a window's days are read and merged again when another writer changed them meanwhile.
const ATTEMPTS: usize = 5;

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
    /// The name of a dataset's record-shaped view (the collection of one document per record
    /// in the earlier layout).
    pub fn collection(&self, dataset: Dataset) -> &str {
        self.collections.get(dataset.as_str()).map_or(dataset.spec().collection, String::as_str)
    }

    /// The collection of a dataset's days: the view's name and `_days`.
    pub fn days(&self, dataset: Dataset) -> String {
        format!("{}{DAYS_SUFFIX}", self.collection(dataset))
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
        MongoStore::open_converting(settings, None).await
    }

    /// As `open`, but a conversion from the record layout stops after `series` series and the
    /// open fails: what a kill midway leaves, for the tests.
    #[doc(hidden)]
    pub async fn open_stopping_conversion(settings: MongoSettings, series: usize) -> Result<MongoStore> {
        MongoStore::open_converting(settings, Some(series)).await
    }

    async fn open_converting(settings: MongoSettings, stop_after: Option<usize>) -> Result<MongoStore> {
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
        store.upgrade(stop_after).await?;
        store.ensure_views().await?;
        Ok(store)
    }

    /// Brings a store written by an older version to this layout: version 1 listed series by
    /// `priceArea`; versions 1 and 2 kept a document per record, converted by `migrate`.
    async fn upgrade(&self, stop_after: Option<usize>) -> Result<()> {
        let meta: Collection<Document> = self.db.collection(META);
        let version = meta
            .find_one(doc! {"_id": "schema"})
            .await
            .map_err(|e| self.error(e))?
            .and_then(|d| d.get("version").and_then(number))
            .unwrap_or(1.0) as i32;
        if version < 2 {
            let series: Collection<Document> = self.db.collection(SERIES);
            let mut legacy =
                series.find(doc! {"entity": {"$exists": false}}).await.map_err(|e| self.error(e))?;
            let mut statements = Vec::new();
            while let Some(d) = legacy.try_next().await.map_err(|e| self.error(e))? {
                if let (Some(id), Ok(area)) = (d.get("_id").cloned(), d.get_str("priceArea")) {
                    statements.push(doc! {"q": {"_id": id}, "u": {"$set": {"entity": area}}});
                }
            }
            self.update(SERIES, statements).await?;
        }
        // A record collection where the view goes is converted, whatever the version says (a
        // conversion stopped midway resumes here).
        for dataset in Dataset::all() {
            let records = self.collection_type(self.settings.collection(dataset)).await?;
            if records.as_deref() == Some("collection")
                && !migrate::records_to_days(self, dataset, stop_after).await?
            {
                return Err(self.bad(format!("the conversion of {dataset} was stopped")));
            }
        }
        if version < SCHEMA_VERSION {
            meta.update_one(doc! {"_id": "schema"}, doc! {"$set": {"version": SCHEMA_VERSION}})
                .upsert(true)
                .await
                .map_err(|e| self.error(e))?;
        }
        Ok(())
    }

    /// The indexes (before a conversion, which reads the days by them).
    async fn ensure_indexes(&self) -> Result<()> {
        for dataset in Dataset::all() {
            let kind = dataset.entity();
            let keys = doc! {kind.document_field(): 1, dataset.group_field(): 1, "day": 1};
            self.create_index(&self.settings.days(dataset), keys, "series_day").await?;
            self.create_index_on(&self.settings.days(dataset), doc! {"day": 1}, "day", false).await?;
        }
        self.create_index(ALL_DAYS, doc! {"dataset": 1, "group": 1, "day": 1}, "dataset_group_day").await?;
        let keys = doc! {"dataset": 1, "entity": 1, "group": 1, "period": 1, "key": 1};
        self.create_index(ROLLUPS, keys, "rollup_key").await?;
        self.create_index_on(ROLLUPS, doc! {"dataset": 1, "period": 1, "key": 1}, "period_key", false).await
    }

    /// Each dataset's record-shaped view (made again if its pipeline changed).
    async fn ensure_views(&self) -> Result<()> {
        for dataset in Dataset::all() {
            let name = self.settings.collection(dataset);
            let pipeline = view_pipeline(dataset);
            match self.collection_info(name).await? {
                Some(info) if info.get_str("type") == Ok("view") => {
                    let options = info.get_document("options").ok();
                    let same = options.is_some_and(|o| {
                        o.get_str("viewOn") == Ok(self.settings.days(dataset).as_str())
                            && o.get_array("pipeline").ok().is_some_and(|p| {
                                p.iter().filter_map(Bson::as_document).eq(pipeline.iter())
                            })
                    });
                    if !same {
                        self.db.collection::<Document>(name).drop().await.map_err(|e| self.error(e))?;
                        self.create_view(dataset).await?;
                    }
                }
                Some(_) => {
                    return Err(self.bad(format!(
                        "{name} is not the view of {}: it was made by another program; rename it or choose another collection name",
                        self.settings.days(dataset)
                    )))
                }
                None => self.create_view(dataset).await?,
            }
        }
        Ok(())
    }

    async fn create_view(&self, dataset: Dataset) -> Result<()> {
        let command = doc! {
            "create": self.settings.collection(dataset),
            "viewOn": self.settings.days(dataset),
            "pipeline": view_pipeline(dataset),
        };
        self.db.run_command(command).await.map_err(|e| self.error(e))?;
        Ok(())
    }

    /// What `listCollections` says of a name: absent, a collection or a view.
    async fn collection_info(&self, name: &str) -> Result<Option<Document>> {
        let reply = self
            .db
            .run_command(doc! {"listCollections": 1, "filter": {"name": name}})
            .await
            .map_err(|e| self.error(e))?;
        let first = reply
            .get_document("cursor")
            .ok()
            .and_then(|c| c.get_array("firstBatch").ok())
            .and_then(|b| b.first())
            .and_then(Bson::as_document)
            .cloned();
        Ok(first)
    }

    async fn collection_type(&self, name: &str) -> Result<Option<String>> {
        Ok(self.collection_info(name).await?.and_then(|i| i.get_str("type").ok().map(str::to_string)))
    }

    async fn create_index(&self, collection: &str, keys: Document, name: &str) -> Result<()> {
        self.create_index_on(collection, keys, name, true).await
    }

    async fn create_index_on(
        &self,
        collection: &str,
        keys: Document,
        name: &str,
        unique: bool,
    ) -> Result<()> {
        let index = IndexModel::builder()
            .keys(keys)
            .options(IndexOptions::builder().name(name.to_string()).unique(unique).build())
            .build();
        self.db.collection::<Document>(collection).create_index(index).await.map_err(|e| self.error(e))?;
        Ok(())
    }

    fn days_of(&self, dataset: Dataset) -> Collection<Document> {
        self.db.collection(&self.settings.days(dataset))
    }

    fn error(&self, e: mongodb::error::Error) -> StoreError {
        error(&self.hosts, &uri_secrets(&self.settings.uri), e)
    }

    fn bad(&self, m: impl std::fmt::Display) -> StoreError {
        StoreError::runtime(format!("MongoDB at {}: {m}", self.hosts))
    }

    /// Runs `update` statements built as raw BSON (`days::upsert_by_id`) in batches; adds up
    /// what they did.
    pub(crate) async fn upsert_raw(
        &self,
        collection: &str,
        statements: Vec<RawDocumentBuf>,
    ) -> Result<UpsertStats> {
        Ok(self.update_raw(collection, statements).await?.0)
    }

    /// Runs `update` commands in batches; returns what they did and the statements (by index)
    /// refused with a duplicate key.
    async fn update(&self, collection: &str, statements: Vec<Document>) -> Result<(UpsertStats, Vec<usize>)> {
        let raw = statements
            .iter()
            .map(|s| RawDocumentBuf::from_document(s).map_err(|e| self.bad(e)))
            .collect::<Result<_>>()?;
        self.update_raw(collection, raw).await
    }

    /// As `update`, with statements built as raw BSON.
    async fn update_raw(
        &self,
        collection: &str,
        statements: Vec<RawDocumentBuf>,
    ) -> Result<(UpsertStats, Vec<usize>)> {
        self.batched(statements, |batch| {
            let mut c = RawDocumentBuf::new();
            c.append("update", collection);
            c.append("updates", batch);
            c.append("ordered", false);
            c
        })
        .await
    }

    /// Inserts documents with `insert` commands; returns the documents (by index) refused
    /// because their `_id` is taken (written meanwhile by another).
    async fn insert(&self, collection: &str, documents: Vec<RawDocumentBuf>) -> Result<Vec<usize>> {
        let command = |batch| {
            let mut c = RawDocumentBuf::new();
            c.append("insert", collection);
            c.append("documents", batch);
            c.append("ordered", false);
            c
        };
        Ok(self.batched(documents, command).await?.1)
    }

    /// Runs the commands `command` makes of `items`, at most `BATCH` items and `BATCH_BYTES`
    /// each; adds up what they did and lists the items refused with a duplicate key.
    async fn batched(
        &self,
        items: Vec<RawDocumentBuf>,
        command: impl Fn(RawArrayBuf) -> RawDocumentBuf,
    ) -> Result<(UpsertStats, Vec<usize>)> {
        let mut stats = UpsertStats::default();
        let mut refused = Vec::new();
        let mut items = items.into_iter().peekable();
        let mut first = 0;
        while items.peek().is_some() {
            let (mut batch, mut n, mut bytes) = (RawArrayBuf::new(), 0, 0);
            while let Some(d) =
                items.next_if(|d| n == 0 || (n < BATCH && bytes + d.as_bytes().len() <= BATCH_BYTES))
            {
                bytes += d.as_bytes().len();
                batch.push(d);
                n += 1;
            }
            let reply = self.db.run_raw_command(command(batch)).await.map_err(|e| self.error(e))?;
            let (done, duplicates) = tally(&reply, n).map_err(|m| self.bad(m))?;
            stats.add(done);
            refused.extend(duplicates.into_iter().map(|i| first + i));
            first += n;
        }
        Ok((stats, refused))
    }

    /// The documents of `filter`, sorted and projected, each through `decode`.
    async fn find<T>(
        &self,
        collection: &Collection<Document>,
        filter: Document,
        sort: Document,
        projection: Option<Document>,
        mut decode: impl FnMut(&Document) -> Option<T>,
    ) -> Result<Vec<T>> {
        let mut find = collection.find(filter).sort(sort);
        if let Some(p) = projection {
            find = find.projection(p);
        }
        let mut cursor = find.await.map_err(|e| self.error(e))?;
        let mut out = Vec::new();
        while let Some(d) = cursor.try_next().await.map_err(|e| self.error(e))? {
            out.extend(decode(&d));
        }
        Ok(out)
    }

    /// As `find`, each document read in place by `decode` (no document tree is built).
    async fn find_raw<T>(
        &self,
        collection: &str,
        filter: Document,
        sort: Document,
        projection: Option<Document>,
        mut decode: impl FnMut(&RawDocument) -> Option<T>,
    ) -> Result<Vec<T>> {
        let coll = self.db.collection::<RawDocumentBuf>(collection);
        let mut find = coll.find(filter).sort(sort);
        if let Some(p) = projection {
            find = find.projection(p);
        }
        let mut cursor = find.await.map_err(|e| self.error(e))?;
        let mut out = Vec::new();
        while cursor.advance().await.map_err(|e| self.error(e))? {
            out.extend(decode(cursor.current()));
        }
        Ok(out)
    }

    /// The stored days of one series in [from, to), sorted.
    async fn series_days(
        &self,
        dataset: Dataset,
        series: &SeriesKey,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<StoredDay>> {
        let filter = doc! {
            dataset.entity().document_field(): series.entity.as_str(),
            dataset.group_field(): series.group.as_str(),
            "day": day_range(from, to),
        };
        self.read_days(dataset, filter).await
    }

    /// The stored days `filter` selects, sorted by day; a day that cannot be read is an error
    /// naming it.
    async fn read_days(&self, dataset: Dataset, filter: Document) -> Result<Vec<StoredDay>> {
        let collection = self.settings.days(dataset);
        let days =
            self.find_raw(&collection, filter, doc! {"day": 1}, None, |d| Some(read_day(d, dataset))).await?;
        days.into_iter().map(|d| d.map_err(|m| self.bad(format!("{collection}: {m}")))).collect()
    }

    /// Every series' stored days between `first` and `last` (yyyymmdd), per series, sorted: one
    /// read by the `day` index (a filter of many `$in` values makes some servers scan).
    async fn days_between(
        &self,
        dataset: Dataset,
        first: i32,
        last: i32,
    ) -> Result<BTreeMap<SeriesKey, Vec<StoredDay>>> {
        let mut out: BTreeMap<SeriesKey, Vec<StoredDay>> = BTreeMap::new();
        for day in self.read_days(dataset, doc! {"day": {"$gte": first, "$lte": last}}).await? {
            out.entry(day.key.clone()).or_default().push(day);
        }
        Ok(out)
    }

    /// Merges `series` into their stored days and writes the days that change. Returns, per
    /// series, the merge's counts, the days' rollups and the final values of the window; and
    /// the series whose days another writer changed after they were read.
    async fn write_days<'a>(
        &self,
        data: &WindowData,
        series: &[&'a SeriesData],
        stored: &mut BTreeMap<SeriesKey, Vec<StoredDay>>,
    ) -> Result<(Vec<Merged<'a>>, Vec<&'a SeriesData>)> {
        let dataset = data.dataset;
        let bounds = data.window.day_bounds();
        let mut out = Vec::with_capacity(series.len());
        // The days to write, light: (series, day, its values in `finals`, the revision read).
        // Their documents are made a batch at a time below, so a window of many days never
        // holds a BSON document per step at once.
        let mut writes: Vec<(usize, i32, std::ops::Range<usize>, Option<i64>)> = Vec::new();
        for (i, s) in series.iter().enumerate() {
            let days = stored.remove(&s.key).unwrap_or_default();
            let points = points_of(&days);
            let values: Vec<StoredValue> = points.iter().map(|p| (p.start, p.kwh, p.updated)).collect();
            let merged = merge(&s.points, &values, &bounds);
            let finals = overlay(&points, &merged.writes);
            if !merged.writes.is_empty() {
                let changed: HashSet<i32> = merged.writes.iter().map(|p| local_day_key(p.start)).collect();
                let revs: HashMap<i32, i64> = days.iter().map(|d| (d.day, d.rev)).collect();
                let mut at = 0;
                for (day, points) in by_day(&finals) {
                    if changed.contains(&day) {
                        writes.push((i, day, at..at + points.len(), revs.get(&day).copied()));
                    }
                    at += points.len();
                }
            }
            out.push(Merged { key: &s.key, stats: merged.stats, days: merged.days, finals });
        }
        let collection = self.settings.days(dataset);
        let mut again = Vec::new();
        for chunk in writes.chunks(DAYS_AT_ONCE) {
            // A new day is inserted (several times cheaper than an upsert); a stored one is
            // replaced over the revision read.
            let (new, stored): (Vec<_>, Vec<_>) = chunk.iter().partition(|w| w.3.is_none());
            let documents = new
                .iter()
                .map(|(i, day, range, _)| {
                    let m = &out[*i];
                    day_document(dataset, m.key, *day, &m.finals[range.clone()], 1, true)
                })
                .collect();
            again.extend(self.insert(&collection, documents).await?.iter().map(|k| new[*k].0));
            let statements = stored
                .iter()
                .map(|(i, day, range, read)| {
                    let m = &out[*i];
                    day_statement(dataset, m.key, *day, &m.finals[range.clone()], *read)
                })
                .collect();
            let (_, refused) = self.update_raw(&collection, statements).await?;
            again.extend(refused.iter().map(|k| stored[*k].0));
        }
        again.sort();
        again.dedup();
        Ok((out, again.into_iter().map(|i| series[i]).collect()))
    }

    /// The month rollups of the series written, each with its days: the window's from the
    /// merge, the month's other days from the stored month (one read of the window's months).
    async fn month_statements(
        &self,
        dataset: Dataset,
        merged: &BTreeMap<&SeriesKey, Vec<DayRollup>>,
        first: i32,
        last: i32,
    ) -> Result<Vec<RawDocumentBuf>> {
        if merged.is_empty() {
            return Ok(Vec::new());
        }
        let filter = doc! {"dataset": dataset.as_str(), "period": "month", "key": {"$gte": first / 100, "$lte": last / 100}};
        let stored: HashMap<(SeriesKey, i32), Vec<DayRollup>> = self
            .find_raw(ROLLUPS, filter, doc! {"key": 1}, None, |d| {
                let key = SeriesKey::new(d.get_str("entity").ok()?, d.get_str("group").ok()?);
                Some(((key, raw_number(d.get("key").ok()??)? as i32), decode_month_days(d)))
            })
            .await?
            .into_iter()
            .collect();
        let mut statements = Vec::new();
        for (key, window) in merged {
            for month in (first / 100..=last / 100).filter(|m| m % 100 >= 1 && m % 100 <= 12) {
                let mut days: Vec<DayRollup> = stored
                    .get(&((*key).clone(), month))
                    .map(|d| d.iter().filter(|r| r.day < first || r.day > last).copied().collect())
                    .unwrap_or_default();
                days.extend(window.iter().filter(|r| r.day / 100 == month));
                days.sort_by_key(|r| r.day);
                if let Some(m) = month_of_days(&days) {
                    statements.push(month_statement(dataset, key, &m, &days));
                }
            }
        }
        Ok(statements)
    }

    /// The all-entity days `first..=last` (yyyymmdd) of a dataset from every series' final
    /// values of those days.
    fn all_day_statements<'a>(
        dataset: Dataset,
        series: impl Iterator<Item = (&'a SeriesKey, &'a [Point])>,
    ) -> Vec<RawDocumentBuf> {
        // (group, day) -> start -> (sum, series added).
        type Sums<'a> = BTreeMap<(&'a str, i32), BTreeMap<i64, (f64, u64)>>;
        let mut sums: Sums = BTreeMap::new();
        for (key, points) in series {
            for (day, points) in by_day(points) {
                let steps = sums.entry((key.group.as_str(), day)).or_default();
                for p in points {
                    let e = steps.entry(p.start).or_default();
                    e.0 += p.kwh;
                    e.1 += 1;
                }
            }
        }
        sums.iter()
            .map(|((group, day), steps)| {
                let steps: Vec<(i64, f64, u64)> = steps.iter().map(|(t, (q, n))| (*t, *q, *n)).collect();
                all_day_statement(dataset, group, *day, &steps)
            })
            .collect()
    }

    /// Computes the all-entity days `first..=last` (yyyymmdd) of a dataset again from every
    /// series' stored days (`rebuild-rollups` and the conversion).
    async fn refresh_all_days(&self, dataset: Dataset, first: i32, last: i32) -> Result<()> {
        let days = self.days_between(dataset, first, last).await?;
        let points: Vec<(&SeriesKey, Vec<Point>)> =
            days.iter().map(|(key, days)| (key, points_of(days))).collect();
        let statements =
            MongoStore::all_day_statements(dataset, points.iter().map(|(k, p)| (*k, p.as_slice())));
        let all: Collection<Document> = self.db.collection(ALL_DAYS);
        all.delete_many(doc! {"dataset": dataset.as_str(), "day": {"$gte": first, "$lte": last}})
            .await
            .map_err(|e| self.error(e))?;
        self.upsert_raw(ALL_DAYS, statements).await.map(|_| ())
    }

    /// All of a dataset's all-entity days again, a month at a time (so memory holds one month
    /// of days, not the dataset's history).
    async fn refresh_all_days_by_month(&self, dataset: Dataset) -> Result<()> {
        let edge = |order: i32| async move {
            let d = self
                .days_of(dataset)
                .find_one(doc! {})
                .sort(doc! {"day": order})
                .projection(doc! {"_id": 0, "day": 1})
                .await
                .map_err(|e| self.error(e))?;
            Ok::<_, StoreError>(d.and_then(|d| d.get("day").and_then(number)).map(|d| d as i32 / 100))
        };
        let (Some(first), Some(last)) = (edge(1).await?, edge(-1).await?) else {
            let all: Collection<Document> = self.db.collection(ALL_DAYS);
            all.delete_many(doc! {"dataset": dataset.as_str()}).await.map_err(|e| self.error(e))?;
            return Ok(());
        };
        let mut month = first;
        while month <= last {
            self.refresh_all_days(dataset, month * 100 + 1, month * 100 + 31).await?;
            month = if month % 100 >= 12 { (month / 100 + 1) * 100 + 1 } else { month + 1 };
        }
        Ok(())
    }

    /// Drops the whole database: the test suites' clean-up of their own databases.
    pub async fn drop_database(&self) -> Result<()> {
        self.db.drop().await.map_err(|e| self.error(e))
    }
}

/// The first and last local day (yyyymmdd) of a window's day bounds.
fn window_days(bounds: &[(chrono::NaiveDate, i64)]) -> (i32, i32) {
    let first = bounds.first().map_or(0, |b| day_key(b.0));
    let last = bounds.len().checked_sub(2).map_or(first, |i| day_key(bounds[i].0));
    (first, last)
}

/// What merging one series of a window gave.
struct Merged<'a> {
    key: &'a SeriesKey,
    stats: UpsertStats,
    /// The rollups of the window's days after the write.
    days: Vec<DayRollup>,
    /// The window's values after the write.
    finals: Vec<Point>,
}

/// A month's rollup document, with its days' rollups (`days: [[yyyymmdd, kWh, n, min, max]]`)
/// so a write of some of its days recomputes it without reading the days. Built as raw BSON:
/// a window of municipalities writes a thousand of them, each with a month of days.
fn month_statement(dataset: Dataset, key: &SeriesKey, m: &DayRollup, days: &[DayRollup]) -> RawDocumentBuf {
    let (id, mut set) = rollup_set(dataset, key, Period::Month, m);
    let mut list = RawArrayBuf::new();
    for d in days {
        let mut r = RawArrayBuf::new();
        r.push(d.day);
        r.push(d.kwh);
        r.push(d.count as i64);
        r.push(d.min);
        r.push(d.max);
        list.push(r);
    }
    set.append("days", list);
    upsert_by_id(id, set)
}

/// A stored day, or why it cannot be read (naming its `_id`): a day skipped would be taken
/// for a new one, and a read would leave its values out without a word.
fn read_day(d: &RawDocument, dataset: Dataset) -> std::result::Result<StoredDay, String> {
    decode_raw_day(d, dataset).ok_or_else(|| {
        let id = d.get_str("_id").unwrap_or("?");
        format!("day document {id} cannot be read (a field missing or of another type); fix or delete it, then run again")
    })
}

/// The days' rollups a month document holds, read in place.
fn decode_month_days(d: &RawDocument) -> Vec<DayRollup> {
    let Ok(days) = d.get_array("days") else { return Vec::new() };
    days.into_iter()
        .filter_map(|r| {
            let r = r.ok()?.as_array()?;
            let n = |i: usize| r.get(i).ok().flatten().and_then(raw_number);
            Some(DayRollup { day: n(0)? as i32, kwh: n(1)?, count: n(2)? as u64, min: n(3)?, max: n(4)? })
        })
        .collect()
}

/// The listing of a series in `elhub_series` (written with its days).
fn series_statement(dataset: Dataset, key: &SeriesKey) -> RawDocumentBuf {
    let set =
        rawdoc! {"dataset": dataset.as_str(), "entity": key.entity.as_str(), "group": key.group.as_str()};
    upsert_by_id(format!("{dataset}|{}|{}", key.entity, key.group), set)
}

/// The month rollup documents (with their days) of a series' days, sorted.
fn month_statements_of(dataset: Dataset, key: &SeriesKey, days: &[DayRollup]) -> Vec<RawDocumentBuf> {
    months_with_days(days).map(|(m, month)| month_statement(dataset, key, &m, month)).collect()
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
                let mut set = rawdoc! {"kind": e.kind.as_str(), "id": e.id.as_str(), "name": e.name.as_str()};
                set.append(
                    "priceArea",
                    e.price_area.as_deref().map_or(RawBson::Null, |a| RawBson::String(a.into())),
                );
                upsert_by_id(format!("{}|{}", e.kind.as_str(), e.id), set)
            })
            .collect();
        self.upsert_raw(ENTITIES, entity_statements).await?;
        let bounds = data.window.day_bounds();
        let (first, last) = window_days(&bounds);
        let mut stats = UpsertStats::default();
        // Every series' days of the window, read once: the window's series are merged into
        // theirs, and all of them make the all-entity days (the window's from their merge
        // below, the others as stored).
        let mut stored = self.days_between(dataset, first, last).await?;
        let written: HashSet<&SeriesKey> = data.series.iter().map(|s| &s.key).collect();
        let mut finals: BTreeMap<SeriesKey, Vec<Point>> = stored
            .iter()
            .filter(|(key, _)| !written.contains(key))
            .map(|(key, days)| (key.clone(), points_of(days)))
            .collect();
        let mut days_of: BTreeMap<&SeriesKey, Vec<DayRollup>> = BTreeMap::new();
        let mut pending: Vec<&SeriesData> = data.series.iter().collect();
        for attempt in 1..=ATTEMPTS {
            let (merged, again) = self.write_days(data, &pending, &mut stored).await?;
            for m in merged {
                // The first reading's counts are what this write found; a second reading sees
                // the other writer's values, not this one's.
                if attempt == 1 {
                    stats.add(m.stats);
                }
                days_of.insert(m.key, m.days);
                finals.insert(m.key.clone(), m.finals);
            }
            pending = again;
            if pending.is_empty() || attempt == ATTEMPTS {
                break;
            }
            stored = self.days_between(dataset, first, last).await?;
        }
        if !pending.is_empty() {
            return Err(self.bad(format!(
                "another writer kept changing the same days of {dataset} ({} series, {ATTEMPTS} attempts); run again",
                pending.len()
            )));
        }
        let months = self.month_statements(dataset, &days_of, first, last).await?;
        self.upsert_raw(ROLLUPS, months).await?;
        if !data.series.is_empty() {
            let statements =
                MongoStore::all_day_statements(dataset, finals.iter().map(|(k, p)| (k, p.as_slice())));
            self.upsert_raw(ALL_DAYS, statements).await?;
        }
        let series_statements = data.series.iter().map(|s| series_statement(dataset, &s.key)).collect();
        self.upsert_raw(SERIES, series_statements).await?;
        // The checkpoint goes last: a crash before it leaves the month to be fetched again,
        // which repairs whatever the crash left (the days are merged, the rest recomputed).
        if let Some(c) = checkpoint {
            let set = rawdoc! {
                "dataset": dataset.as_str(),
                "month": c.month.to_string(),
                "start": bson_date(c.window.start),
                "end": bson_date(c.window.end),
                "fetchedAt": bson_date(c.fetched_at),
                "records": c.records as i64,
                "rejected": c.rejected as i64,
            };
            self.upsert_raw(WINDOWS, vec![upsert_by_id(format!("{dataset}|{}", c.month), set)]).await?;
        }
        Ok(stats)
    }

    async fn series(&self, dataset: Dataset) -> Result<Vec<SeriesKey>> {
        let coll: Collection<Document> = self.db.collection(SERIES);
        let mut out = self
            .find(&coll, doc! {"dataset": dataset.as_str()}, doc! {"entity": 1, "group": 1}, None, |d| {
                let entity = d.get_str("entity").or_else(|_| d.get_str("priceArea")).ok()?;
                Some(SeriesKey::new(entity, d.get_str("group").ok()?))
            })
            .await?;
        out.sort();
        Ok(out)
    }

    async fn all_entity_steps(
        &self,
        dataset: Dataset,
        group: Option<&str>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Option<Vec<StepValue>>> {
        let mut filter = doc! {"dataset": dataset.as_str(), "day": day_range(from, to)};
        if let Some(g) = group {
            filter.insert("group", g);
        }
        let (a, b) = (from.timestamp(), to.timestamp());
        let coll: Collection<Document> = self.db.collection(ALL_DAYS);
        let days =
            self.find(&coll, filter, doc! {"day": 1}, None, |d| Some(decode_all_day_steps(d, a, b))).await?;
        let mut sums: BTreeMap<i64, f64> = BTreeMap::new();
        for (t, q) in days.into_iter().flatten() {
            *sums.entry(t).or_default() += q;
        }
        Ok(Some(
            sums.into_iter().map(|(t, kwh)| StepValue { start: crate::model::instant(t), kwh }).collect(),
        ))
    }

    async fn entities(&self, kind: EntityKind) -> Result<Vec<Entity>> {
        let coll: Collection<Document> = self.db.collection(ENTITIES);
        self.find(&coll, doc! {"kind": kind.as_str()}, doc! {"id": 1}, None, |d| {
            Some(Entity {
                kind,
                id: d.get_str("id").ok()?.to_string(),
                name: d.get_str("name").ok()?.to_string(),
                price_area: d.get_str("priceArea").ok().map(str::to_string),
            })
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
        let (a, b) = (from.timestamp(), to.timestamp());
        Ok(self
            .series_days(dataset, series, from, to)
            .await?
            .iter()
            .flat_map(|d| &d.points)
            .filter(|p| (a..b).contains(&p.start))
            .map(|p| Record::new(dataset, &series.entity, &series.group, p))
            .collect())
    }

    async fn steps(
        &self,
        dataset: Dataset,
        series: &SeriesKey,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<StepValue>> {
        Ok(steps_in(&self.series_days(dataset, series, from, to).await?, from, to))
    }

    async fn rollups(
        &self,
        dataset: Dataset,
        scope: &Scope,
        period: Period,
        from: i32,
        to: i32,
    ) -> Result<Vec<Rollup>> {
        let range = doc! {"$gte": from, "$lte": to};
        match (period, scope) {
            (Period::Day, Scope::Entity(e)) => {
                let (entity_field, group_field) = (dataset.entity().document_field(), dataset.group_field());
                let filter = doc! {entity_field: e.as_str(), "day": range};
                let projection =
                    doc! {"_id": 0, group_field: 1, "day": 1, "kwh": 1, "n": 1, "min": 1, "max": 1};
                let sort = doc! {group_field: 1, "day": 1};
                self.find(&self.days_of(dataset), filter, sort, Some(projection), |d| {
                    let (group, r) = decode_day_rollup(d, group_field)?;
                    Some(Rollup {
                        group,
                        key: r.day,
                        kwh: r.kwh,
                        count: r.count,
                        min: Some(r.min),
                        max: Some(r.max),
                    })
                })
                .await
            }
            (Period::Day, Scope::All) => {
                let coll: Collection<Document> = self.db.collection(ALL_DAYS);
                let filter = doc! {"dataset": dataset.as_str(), "day": range};
                let projection = doc! {"steps": 0};
                self.find(&coll, filter, doc! {"group": 1, "day": 1}, Some(projection), decode_all_day_rollup)
                    .await
            }
            (Period::Month, _) => {
                let coll: Collection<Document> = self.db.collection(ROLLUPS);
                let mut filter = doc! {"dataset": dataset.as_str(), "period": "month", "key": range};
                if let Scope::Entity(e) = scope {
                    filter.insert("entity", e.as_str());
                }
                let projection = doc! {"days": 0};
                let rows = self
                    .find(&coll, filter, doc! {"group": 1, "key": 1}, Some(projection), decode_rollup)
                    .await?;
                Ok(match scope {
                    Scope::Entity(_) => rows,
                    Scope::All => sum_over_entities(rows),
                })
            }
        }
    }

    async fn entities_with_data(&self, dataset: Dataset, month: Month) -> Result<Vec<String>> {
        let coll: Collection<Document> = self.db.collection(ROLLUPS);
        let filter =
            doc! {"dataset": dataset.as_str(), "period": "month", "key": month_key(month), "n": {"$gt": 0}};
        let mut out = self
            .find(&coll, filter, doc! {"entity": 1}, Some(doc! {"_id": 0, "entity": 1}), |d| {
                d.get_str("entity").ok().map(str::to_string)
            })
            .await?;
        out.dedup();
        Ok(out)
    }

    async fn coverage(&self, dataset: Dataset) -> Result<Vec<MonthCoverage>> {
        let coll: Collection<Document> = self.db.collection(WINDOWS);
        self.find(&coll, doc! {"dataset": dataset.as_str()}, doc! {"month": 1}, None, |d| {
            Some(MonthCoverage {
                month: d.get_str("month").ok()?.parse().ok()?,
                records: d.get("records").and_then(number).unwrap_or(0.0) as u64,
                rejected: d.get("rejected").and_then(number).unwrap_or(0.0) as u64,
                fetched_at: from_bson_date(d.get_datetime("fetchedAt").ok()?),
            })
        })
        .await
    }

    async fn synced(&self, dataset: Dataset) -> Result<Vec<(Month, DateTime<Utc>)>> {
        let coll: Collection<Document> = self.db.collection(SYNCED);
        self.find(&coll, doc! {"dataset": dataset.as_str()}, doc! {"month": 1}, None, |d| {
            Some((d.get_str("month").ok()?.parse().ok()?, from_bson_date(d.get_datetime("syncedAt").ok()?)))
        })
        .await
    }

    async fn set_synced(&self, dataset: Dataset, months: &[Month], at: DateTime<Utc>) -> Result<()> {
        let statements = months
            .iter()
            .map(|m| {
                let set =
                    rawdoc! {"dataset": dataset.as_str(), "month": m.to_string(), "syncedAt": bson_date(at)};
                upsert_by_id(format!("{dataset}|{m}"), set)
            })
            .collect();
        self.upsert_raw(SYNCED, statements).await.map(|_| ())
    }

    async fn replace_rollups(&self, dataset: Dataset, key: &SeriesKey, days: &[DayRollup]) -> Result<()> {
        let statements = days
            .iter()
            .map(|r| {
                let set = doc! {"kwh": r.kwh, "n": r.count as i64, "min": r.min, "max": r.max};
                doc! {"q": {"_id": day_id(key, r.day)}, "u": {"$set": set}}
            })
            .collect();
        self.update(&self.settings.days(dataset), statements).await?;
        let rollups: Collection<Document> = self.db.collection(ROLLUPS);
        rollups
            .delete_many(doc! {"dataset": dataset.as_str(), "entity": &key.entity, "group": &key.group})
            .await
            .map_err(|e| self.error(e))?;
        let months = month_statements_of(dataset, key, days);
        self.upsert_raw(ROLLUPS, months).await.map(|_| ())
    }

    async fn rebuild_all_entity(&self, dataset: Dataset) -> Result<()> {
        self.refresh_all_days_by_month(dataset).await
    }

    /// Records stored: the sum of the days' counts (the view would unwind every step).
    async fn count(&self, dataset: Dataset) -> Result<u64> {
        let pipeline = vec![doc! {"$group": {"_id": Bson::Null, "n": {"$sum": "$n"}}}];
        let mut cursor = self.days_of(dataset).aggregate(pipeline).await.map_err(|e| self.error(e))?;
        let first = cursor.try_next().await.map_err(|e| self.error(e))?;
        Ok(first.and_then(|d| d.get("n").and_then(number)).unwrap_or(0.0) as u64)
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

/// A rollup document's `_id` (`dataset|entity|group|period|key`) and fields.
fn rollup_set(dataset: Dataset, key: &SeriesKey, period: Period, r: &DayRollup) -> (String, RawDocumentBuf) {
    let period = period_name(period);
    let id = format!("{dataset}|{}|{}|{period}|{}", key.entity, key.group, r.day);
    let mut set = RawDocumentBuf::new();
    set.append("dataset", dataset.as_str());
    set.append("entity", key.entity.as_str());
    set.append("group", key.group.as_str());
    set.append("period", period);
    set.append("key", r.day);
    set.append("kwh", r.kwh);
    set.append("n", r.count as i64);
    set.append("min", r.min);
    set.append("max", r.max);
    (id, set)
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

/// What an `update` reply says about `statements` upserts: inserted (`upserted`), replaced
/// (`nModified`), unchanged (matched without change, or refused with a duplicate key), and
/// which were refused with a duplicate key (an upsert whose query missed a document that is
/// there: written meanwhile by another). Any other write error or a write concern error fails
/// the batch.
pub fn tally(reply: &Document, statements: usize) -> std::result::Result<(UpsertStats, Vec<usize>), String> {
    if let Ok(wce) = reply.get_document("writeConcernError") {
        return Err(format!("write concern error: {}", wce.get_str("errmsg").unwrap_or("unknown")));
    }
    let mut duplicates = Vec::new();
    if let Ok(errors) = reply.get_array("writeErrors") {
        for e in errors {
            let e = e.as_document().ok_or("malformed writeErrors entry")?;
            let code = e.get("code").and_then(number).unwrap_or(0.0) as i64;
            if code != DUPLICATE_KEY {
                return Err(format!("write error {code}: {}", e.get_str("errmsg").unwrap_or("unknown")));
            }
            duplicates.push(e.get("index").and_then(number).unwrap_or(0.0) as usize);
        }
    }
    let new = reply.get_array("upserted").map_or(0, |a| a.len()) as u64;
    let updated = reply.get("nModified").and_then(number).unwrap_or(0.0) as u64;
    let unchanged = (statements as u64).saturating_sub(new + updated);
    Ok((UpsertStats { new, updated, unchanged }, duplicates))
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

    #[test]
    fn replies_tally_new_updated_and_unchanged() {
        let reply = doc! {
            "ok": 1.0, "n": 7, "nModified": 2,
            "upserted": [{"index": 0, "_id": "a"}, {"index": 3, "_id": "b"}],
            "writeErrors": [{"index": 5, "code": 11000, "errmsg": "E11000 duplicate key"}],
        };
        assert_eq!(tally(&reply, 6).unwrap(), (UpsertStats { new: 2, updated: 2, unchanged: 2 }, vec![5]));
        let other = doc! {"ok": 1.0, "n": 0, "writeErrors": [{"index": 0, "code": 2, "errmsg": "bad value"}]};
        assert!(tally(&other, 1).unwrap_err().contains("bad value"));
        let wce = doc! {"ok": 1.0, "n": 1, "writeConcernError": {"code": 64, "errmsg": "waiting for replication timed out"}};
        assert!(tally(&wce, 1).unwrap_err().contains("replication"));
        assert_eq!(tally(&doc! {"ok": 1.0, "n": 3, "nModified": 3i64}, 3).unwrap().0.updated, 3);
    }

    #[test]
    fn rollup_documents_round_trip() {
        let key = SeriesKey::new("0301", "private");
        let days = [
            DayRollup { day: 20210328, kwh: 12.5, count: 23, min: 0.25, max: 1.5 },
            DayRollup { day: 20210329, kwh: 2.5, count: 24, min: 0.0, max: 0.5 },
        ];
        let month = month_of_days(&days).unwrap();
        let s =
            month_statement(Dataset::CONSUMPTION_MUNICIPALITY, &key, &month, &days).to_document().unwrap();
        assert_eq!(
            s.get_document("q").unwrap().get_str("_id").unwrap(),
            "consumption-municipality|0301|private|month|202103"
        );
        assert!(s.get_bool("upsert").unwrap());
        let set = s.get_document("u").unwrap().get_document("$set").unwrap();
        let r = decode_rollup(set).unwrap();
        assert_eq!(
            (r.group.as_str(), r.key, r.kwh, r.count, r.min, r.max),
            ("private", 202103, 15.0, 47, Some(0.0), Some(1.5))
        );
        assert_eq!((set.get_str("entity").unwrap(), set.get_str("period").unwrap()), ("0301", "month"));
        let raw = RawDocumentBuf::from_document(set).unwrap();
        assert_eq!(decode_month_days(&raw), days);
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
