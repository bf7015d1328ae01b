//! MongoDB as a sink and a read store: one collection per dataset with documents keyed
//! `_id = "{area}|{group}|{start_utc}"`, fields named as in the API, BSON dates, and a unique
//! compound index (priceArea, group, startTime); plus `elhub_series` and
//! `elhub_fetched_windows` for the series present and the months fetched.
//!
//! Writes are raw `update` commands with many unordered upsert statements (servers before 8.0
//! have no `bulkWrite`). A statement matches only a stored document with an older
//! `lastUpdatedTime`; when the stored one is as new or newer, the upsert's insert hits the
//! `_id` and fails with a duplicate-key error, which counts as "unchanged". So the newest value
//! wins, a rerun changes nothing, and no record is ever doubled.

use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use mongodb::bson::{self, doc, Bson, Document};
use mongodb::options::{ClientOptions, IndexOptions};
use mongodb::{Client, Collection, Database, IndexModel};

use super::{GroupTotal, HourValue, MonthCoverage, Result, StoreError, UpsertStats};
use crate::elhub::{ParsedWindow, Window};
use crate::export::utc_text;
use crate::model::{year_bounds_utc, Dataset, Group, Month, PriceArea, Record};

/// Statements per `update` command: well under the 16 MB command and 100,000-statement limits.
const BATCH: usize = 5_000;
const SERIES: &str = "elhub_series";
const WINDOWS: &str = "elhub_fetched_windows";
const DUPLICATE_KEY: i64 = 11000;

/// How to reach MongoDB and where the data goes.
#[derive(Debug, Clone, PartialEq)]
pub struct MongoSettings {
    /// Connection string; may carry credentials, so it is only ever printed redacted.
    pub uri: String,
    pub database: String,
    pub production_collection: String,
    pub consumption_collection: String,
    /// Used when the URI does not set `serverSelectionTimeoutMS`.
    pub server_selection_timeout: Duration,
}

impl MongoSettings {
    pub fn collection(&self, dataset: Dataset) -> &str {
        match dataset {
            Dataset::Production => &self.production_collection,
            Dataset::Consumption => &self.consumption_collection,
        }
    }
}

pub struct MongoStore {
    db: Database,
    settings: MongoSettings,
    /// The hosts, for messages and the status line (never the credentials).
    hosts: String,
}

impl MongoStore {
    /// Connects (a `ping` within the server selection timeout) and creates the indexes if absent.
    pub async fn open(settings: MongoSettings) -> Result<MongoStore> {
        let hosts = uri_hosts(&settings.uri);
        let secret = uri_password(&settings.uri);
        let mut options = ClientOptions::parse(&settings.uri).await.map_err(|e| {
            let detail = match e.kind.as_ref() {
                mongodb::error::ErrorKind::InvalidArgument { message, .. } => message.clone(),
                other => other.to_string(),
            };
            StoreError::Config(format!(
                "MongoDB URI {}: {}",
                redact_uri(&settings.uri),
                one_line(&detail, &secret)
            ))
        })?;
        if options.server_selection_timeout.is_none() {
            options.server_selection_timeout = Some(settings.server_selection_timeout);
        }
        if options.connect_timeout.is_none() {
            options.connect_timeout = Some(settings.server_selection_timeout);
        }
        options.app_name.get_or_insert_with(|| "elhub-explorer".to_string());
        let tls = matches!(options.tls, Some(mongodb::options::Tls::Enabled(_)));
        let client = Client::with_options(options).map_err(|e| error(&hosts, &secret, e))?;
        let db = client.database(&settings.database);
        let store = MongoStore { db, settings, hosts };
        store.db.run_command(doc! {"ping": 1}).await.map_err(|e| match (store.error(e), tls) {
            // A TLS client facing a plaintext server (or an untrusted certificate) often just times out.
            (StoreError::Runtime(m), true) if m.contains("cannot be reached") => StoreError::Runtime(
                format!("{m} (TLS is on: does the server speak TLS with a certificate this machine trusts?)"),
            ),
            (other, _) => other,
        })?;
        for dataset in Dataset::ALL {
            let keys = doc! {"priceArea": 1, dataset.group_field(): 1, "startTime": 1};
            let index = IndexModel::builder()
                .keys(keys)
                .options(IndexOptions::builder().name("area_group_start".to_string()).unique(true).build())
                .build();
            store.records(dataset).create_index(index).await.map_err(|e| store.error(e))?;
        }
        Ok(store)
    }

    /// `mongodb://host:port/db` with no credentials.
    pub fn location(&self) -> String {
        format!("{}/{}", self.hosts, self.settings.database)
    }

    fn records(&self, dataset: Dataset) -> Collection<Document> {
        self.db.collection(self.settings.collection(dataset))
    }

    fn error(&self, e: mongodb::error::Error) -> StoreError {
        error(&self.hosts, &uri_password(&self.settings.uri), e)
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
            let tally = tally(&reply, n)
                .map_err(|m| StoreError::Runtime(format!("MongoDB at {}: {m}", self.hosts)))?;
            stats.add(tally);
        }
        Ok(stats)
    }

    pub async fn upsert_window(
        &self,
        dataset: Dataset,
        month: Month,
        window: Window,
        parsed: &std::sync::Arc<ParsedWindow>,
    ) -> Result<UpsertStats> {
        let statements = parsed.records.iter().map(upsert_statement).collect();
        let stats = self.upsert_statements(self.settings.collection(dataset), statements).await?;
        let mut series: Vec<(PriceArea, &str)> =
            parsed.records.iter().map(|r| (r.area, r.group.as_str())).collect();
        series.dedup();
        let series_statements = series
            .into_iter()
            .map(|(area, group)| {
                let id = format!("{dataset}|{area}|{group}");
                let set = doc! {"dataset": dataset.as_str(), "priceArea": area.as_str(), "group": group};
                doc! {"q": {"_id": id}, "u": {"$set": set}, "upsert": true}
            })
            .collect();
        self.upsert_statements(SERIES, series_statements).await?;
        // The checkpoint goes last: a crash before it leaves the month to be fetched again,
        // which is harmless since upserts are idempotent.
        let checkpoint = doc! {
            "dataset": dataset.as_str(),
            "month": month.to_string(),
            "start": bson_date(window.start),
            "end": bson_date(window.end),
            "fetchedAt": bson_date(Utc::now()),
            "records": parsed.records.len() as i64,
            "rejected": parsed.rejected as i64,
        };
        let id = format!("{dataset}|{month}");
        self.upsert_statements(
            WINDOWS,
            vec![doc! {"q": {"_id": id}, "u": {"$set": checkpoint}, "upsert": true}],
        )
        .await?;
        Ok(stats)
    }

    pub async fn series(&self, dataset: Dataset) -> Result<Vec<(PriceArea, Group)>> {
        let coll: Collection<Document> = self.db.collection(SERIES);
        let mut cursor = coll
            .find(doc! {"dataset": dataset.as_str()})
            .sort(doc! {"priceArea": 1, "group": 1})
            .await
            .map_err(|e| self.error(e))?;
        let mut out = Vec::new();
        while let Some(d) = cursor.try_next().await.map_err(|e| self.error(e))? {
            if let (Ok(area), Ok(group)) = (d.get_str("priceArea"), d.get_str("group")) {
                if let Ok(area) = area.parse() {
                    out.push((area, group.to_string()));
                }
            }
        }
        Ok(out)
    }

    pub async fn series_records(
        &self,
        dataset: Dataset,
        area: PriceArea,
        group: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Record>> {
        let mut cursor = self
            .records(dataset)
            .find(series_filter(dataset, area, group, from, to))
            .sort(doc! {"startTime": 1})
            .await
            .map_err(|e| self.error(e))?;
        let mut out = Vec::new();
        while let Some(d) = cursor.try_next().await.map_err(|e| self.error(e))? {
            out.push(
                decode_record(&d, dataset)
                    .map_err(|m| StoreError::Runtime(format!("MongoDB at {}: {m}", self.hosts)))?,
            );
        }
        Ok(out)
    }

    pub async fn annual_totals(
        &self,
        dataset: Dataset,
        area: PriceArea,
        year: i32,
    ) -> Result<Vec<GroupTotal>> {
        let (from, to) = year_bounds_utc(year);
        let mut cursor = self
            .records(dataset)
            .aggregate(totals_pipeline(dataset, area, from, to))
            .await
            .map_err(|e| self.error(e))?;
        let mut out = Vec::new();
        while let Some(d) = cursor.try_next().await.map_err(|e| self.error(e))? {
            let group = d.get_str("_id").unwrap_or_default().to_string();
            let kwh = d.get("kwh").and_then(number).unwrap_or(0.0);
            let hours = d.get("hours").and_then(number).unwrap_or(0.0) as u64;
            out.push(GroupTotal { group, kwh, hours });
        }
        Ok(out)
    }

    pub async fn hourly(
        &self,
        dataset: Dataset,
        area: PriceArea,
        group: &str,
        month: Month,
    ) -> Result<Vec<HourValue>> {
        let mut cursor = self
            .records(dataset)
            .find(series_filter(dataset, area, group, month.start_utc(), month.end_utc()))
            .sort(doc! {"startTime": 1})
            .projection(doc! {"_id": 0, "startTime": 1, "quantityKwh": 1})
            .await
            .map_err(|e| self.error(e))?;
        let mut out = Vec::new();
        while let Some(d) = cursor.try_next().await.map_err(|e| self.error(e))? {
            let start = d.get_datetime("startTime").map(from_bson_date);
            let kwh = d.get("quantityKwh").and_then(number);
            if let (Ok(start), Some(kwh)) = (start, kwh) {
                out.push(HourValue { start, kwh });
            }
        }
        Ok(out)
    }

    pub async fn coverage(&self, dataset: Dataset) -> Result<Vec<MonthCoverage>> {
        let coll: Collection<Document> = self.db.collection(WINDOWS);
        let mut cursor = coll
            .find(doc! {"dataset": dataset.as_str()})
            .sort(doc! {"month": 1})
            .await
            .map_err(|e| self.error(e))?;
        let mut out = Vec::new();
        while let Some(d) = cursor.try_next().await.map_err(|e| self.error(e))? {
            let month = d.get_str("month").ok().and_then(|m| m.parse().ok());
            let fetched_at = d.get_datetime("fetchedAt").map(from_bson_date);
            if let (Some(month), Ok(fetched_at)) = (month, fetched_at) {
                out.push(MonthCoverage {
                    month,
                    records: d.get("records").and_then(number).unwrap_or(0.0) as u64,
                    rejected: d.get("rejected").and_then(number).unwrap_or(0.0) as u64,
                    fetched_at,
                });
            }
        }
        Ok(out)
    }

    pub async fn count(&self, dataset: Dataset) -> Result<u64> {
        self.records(dataset).count_documents(doc! {}).await.map_err(|e| self.error(e))
    }

    /// Drops the whole database: the test suites' clean-up of their own databases.
    pub async fn drop_database(&self) -> Result<()> {
        self.db.drop().await.map_err(|e| self.error(e))
    }
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
    format!("{}|{}|{}", r.area, r.group, utc_text(r.start))
}

/// A record as stored, with the API's field names.
pub fn record_document(r: &Record) -> Document {
    let mut d = doc! {
        "_id": record_id(r),
        "priceArea": r.area.as_str(),
        r.dataset.group_field(): r.group.as_str(),
        "startTime": bson_date(r.start),
        "endTime": bson_date(r.end()),
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
    area: PriceArea,
    group: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Document {
    doc! {
        "priceArea": area.as_str(),
        dataset.group_field(): group,
        "startTime": {"$gte": bson_date(from), "$lt": bson_date(to)},
    }
}

/// Totals per group of one area over [from, to): `$match` on the index prefix, `$group`, `$sort`.
pub fn totals_pipeline(
    dataset: Dataset,
    area: PriceArea,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<Document> {
    vec![
        doc! {"$match": {"priceArea": area.as_str(), "startTime": {"$gte": bson_date(from), "$lt": bson_date(to)}}},
        doc! {"$group": {"_id": format!("${}", dataset.group_field()), "kwh": {"$sum": "$quantityKwh"}, "hours": {"$sum": 1}}},
        doc! {"$sort": {"_id": 1}},
    ]
}

/// A stored document back into a record.
pub fn decode_record(d: &Document, dataset: Dataset) -> std::result::Result<Record, String> {
    let id = d.get_str("_id").unwrap_or("?");
    let bad = |what: &str| format!("document {id}: {what}");
    let area =
        d.get_str("priceArea").map_err(|_| bad("no priceArea"))?.parse().map_err(|e: String| bad(&e))?;
    let group = d.get_str(dataset.group_field()).map_err(|_| bad("no group"))?.to_string();
    let start = from_bson_date(d.get_datetime("startTime").map_err(|_| bad("no startTime"))?);
    let last_updated =
        from_bson_date(d.get_datetime("lastUpdatedTime").map_err(|_| bad("no lastUpdatedTime"))?);
    let quantity_kwh = d.get("quantityKwh").and_then(number).ok_or_else(|| bad("no quantityKwh"))?;
    let metering_points = d.get("meteringPointCount").and_then(number).map(|n| n as u32);
    Ok(Record { dataset, area, group, start, quantity_kwh, last_updated, metering_points })
}

/// The password of a connection string, if any (to scrub it from any message).
fn uri_password(uri: &str) -> Option<String> {
    let rest = uri.split_once("://")?.1;
    let authority = rest.split(['/', '?']).next()?;
    let userinfo = authority.rsplit_once('@')?.0;
    userinfo.split_once(':').map(|(_, p)| p.to_string()).filter(|p| !p.is_empty())
}

/// The connection string with any password replaced by `***`.
pub fn redact_uri(uri: &str) -> String {
    match uri_password(uri) {
        Some(p) => uri.replacen(&format!(":{p}@"), ":***@", 1),
        None => uri.to_string(),
    }
}

/// Whether a connection string carries a password.
pub fn uri_has_password(uri: &str) -> bool {
    uri_password(uri).is_some()
}

/// `mongodb://host:port` (or `mongodb+srv://cluster`), without credentials or options.
pub fn uri_hosts(uri: &str) -> String {
    let Some((scheme, rest)) = uri.split_once("://") else { return "MongoDB".into() };
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    let hosts = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    format!("{scheme}://{hosts}")
}

/// A driver message on one line, at most 240 characters, with the password scrubbed.
fn one_line(message: &str, secret: &Option<String>) -> String {
    let mut text = message.split_whitespace().collect::<Vec<_>>().join(" ");
    if let Some(s) = secret {
        text = text.replace(s.as_str(), "***");
    }
    if text.chars().count() > 240 {
        text = text.chars().take(239).collect::<String>() + "…";
    }
    text
}

fn error(hosts: &str, secret: &Option<String>, e: mongodb::error::Error) -> StoreError {
    use mongodb::error::ErrorKind;
    let line = |m: &str| one_line(m, secret);
    match e.kind.as_ref() {
        ErrorKind::Authentication { .. } => StoreError::Runtime(format!(
            "MongoDB at {hosts}: authentication failed (check the user, password and authSource of the URI)"
        )),
        ErrorKind::ServerSelection { message, .. } => StoreError::Runtime(format!(
            "MongoDB at {hosts} cannot be reached: {}",
            selection_cause(&line(message))
        )),
        ErrorKind::Command(c) if c.code == 13 || c.code_name == "Unauthorized" => {
            StoreError::Runtime(format!("MongoDB at {hosts}: not permitted: {}", line(&c.message)))
        }
        ErrorKind::Command(c) => StoreError::Runtime(format!(
            "MongoDB at {hosts}: {} ({}): {}",
            c.code_name,
            c.code,
            line(&c.message)
        )),
        ErrorKind::InvalidArgument { message, .. } => {
            StoreError::Config(format!("MongoDB at {hosts}: {}", line(message)))
        }
        ErrorKind::DnsResolve { message, .. } => {
            StoreError::Config(format!("MongoDB at {hosts}: cannot resolve the host: {}", line(message)))
        }
        ErrorKind::Io(io) => {
            StoreError::Runtime(format!("MongoDB at {hosts}: connection lost: {}", line(&io.to_string())))
        }
        other => StoreError::Runtime(format!("MongoDB at {hosts}: {}", line(&other.to_string()))),
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
        Record {
            dataset,
            area: PriceArea::NO4,
            group: if dataset == Dataset::Production { "hydro".into() } else { "cabin".into() },
            start: Utc.with_ymd_and_hms(2021, 10, 31, 1, 0, 0).unwrap(),
            quantity_kwh: 1982521.1,
            last_updated: Utc.with_ymd_and_hms(2025, 3, 29, 0, 45, 15).unwrap(),
            metering_points: (dataset == Dataset::Consumption).then_some(4321),
        }
    }

    #[test]
    fn documents_use_the_api_field_names_and_bson_dates() {
        let d = record_document(&record(Dataset::Production));
        assert_eq!(d.get_str("_id").unwrap(), "NO4|hydro|2021-10-31T01:00:00Z");
        assert_eq!(d.get_str("priceArea").unwrap(), "NO4");
        assert_eq!(d.get_str("productionGroup").unwrap(), "hydro");
        assert_eq!(d.get_datetime("startTime").unwrap().timestamp_millis(), 1_635_642_000_000);
        assert_eq!(d.get_datetime("endTime").unwrap().timestamp_millis(), 1_635_645_600_000);
        assert_eq!(d.get_f64("quantityKwh").unwrap(), 1982521.1);
        assert!(!d.contains_key("meteringPointCount"));
        let c = record_document(&record(Dataset::Consumption));
        assert_eq!(c.get_str("consumptionGroup").unwrap(), "cabin");
        assert_eq!(c.get_i64("meteringPointCount").unwrap(), 4321);
    }

    #[test]
    fn documents_decode_back_to_the_record() {
        for dataset in Dataset::ALL {
            let r = record(dataset);
            assert_eq!(decode_record(&record_document(&r), dataset).unwrap(), r);
        }
        let mut broken = record_document(&record(Dataset::Production));
        broken.remove("startTime");
        assert!(decode_record(&broken, Dataset::Production).unwrap_err().contains("startTime"));
    }

    #[test]
    fn upsert_matches_only_older_documents() {
        let r = record(Dataset::Production);
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
    fn the_totals_pipeline_matches_groups_and_sorts() {
        let (from, to) = year_bounds_utc(2021);
        let p = totals_pipeline(Dataset::Consumption, PriceArea::NO1, from, to);
        assert_eq!(p.len(), 3);
        let m = p[0].get_document("$match").unwrap();
        assert_eq!(m.get_str("priceArea").unwrap(), "NO1");
        assert_eq!(
            m.get_document("startTime").unwrap().get_datetime("$gte").map(from_bson_date).unwrap(),
            from
        );
        let g = p[1].get_document("$group").unwrap();
        assert_eq!(g.get_str("_id").unwrap(), "$consumptionGroup");
        assert_eq!(g.get_document("kwh").unwrap().get_str("$sum").unwrap(), "$quantityKwh");
        assert_eq!(p[2].get_document("$sort").unwrap().get_i32("_id").unwrap(), 1);
        let f = series_filter(Dataset::Production, PriceArea::NO2, "wind", from, to);
        assert_eq!(f.get_str("productionGroup").unwrap(), "wind");
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
    fn uris_are_redacted() {
        let uri = "mongodb+srv://elhub:s3cr%40t@cluster0.abcde.mongodb.net/elhub?retryWrites=true";
        assert_eq!(
            redact_uri(uri),
            "mongodb+srv://elhub:***@cluster0.abcde.mongodb.net/elhub?retryWrites=true"
        );
        assert_eq!(uri_hosts(uri), "mongodb+srv://cluster0.abcde.mongodb.net");
        assert!(uri_has_password(uri));
        assert_eq!(redact_uri("mongodb://localhost:27017"), "mongodb://localhost:27017");
        assert!(!uri_has_password("mongodb://reader@h1:1,h2:2/?authSource=admin"));
        assert_eq!(uri_hosts("mongodb://reader@h1:1,h2:2/?authSource=admin"), "mongodb://h1:1,h2:2");
        assert_eq!(one_line("auth\n failed for s3cr%40t", &Some("s3cr%40t".into())), "auth failed for ***");
    }
}
