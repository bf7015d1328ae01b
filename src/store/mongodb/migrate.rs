//! The conversion of a store in the layout of one document per record (versions 1 and 2) to a
//! day per document. It runs on open, series by series in the order of the records' unique
//! index, each series' days written whole (so writing one again changes nothing) before a marker
//! in `elhub_meta` records the series as done: a conversion killed midway resumes after the last
//! series done. The record collection is dropped only once every series is converted, and the
//! view takes its name; progress is written to stderr and the log.

use futures_util::TryStreamExt;
use mongodb::bson::{doc, Document};
use mongodb::Collection;

use super::days::{by_day, day_statement, rollup_of};
use super::{bson_date, month_statements_of, number, series_statement, MongoStore, META, SERIES};
use crate::model::{utc_text, Dataset, Point, Record, SeriesKey};
use crate::store::Result;

/// The `_id` of a record in the earlier layout: `"NO1|hydro|2021-01-01T00:00:00Z"`.
pub fn record_id(r: &Record) -> String {
    format!("{}|{}|{}", r.entity, r.group, utc_text(r.start))
}

/// A record as the earlier layout stored it, with the API's field names (what the view shows).
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

/// A record of the earlier layout back into its series and value.
pub fn decode_record(d: &Document, dataset: Dataset) -> std::result::Result<(SeriesKey, Point), String> {
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
    Ok((SeriesKey::new(entity, group), point))
}

fn say(text: &str) {
    tracing::info!("{text}");
    eprint!("{}", crate::report::for_stderr(text));
}

/// Converts the record collection of `dataset`, resuming after the last series a stopped
/// conversion finished; with `stop_after`, stops after that many series (what a kill midway
/// leaves, for the tests). True when the conversion is complete.
pub async fn records_to_days(
    store: &MongoStore,
    dataset: Dataset,
    stop_after: Option<usize>,
) -> Result<bool> {
    let name = store.settings.collection(dataset).to_string();
    let records: Collection<Document> = store.db.collection(&name);
    let meta: Collection<Document> = store.db.collection(META);
    let marker = format!("migrate|{dataset}");
    let (entity_field, group_field) = (dataset.entity().document_field(), dataset.group_field());
    let after =
        meta.find_one(doc! {"_id": &marker}).await.map_err(|e| store.error(e))?.and_then(|d| {
            Some((d.get_str("entity").ok()?.to_string(), d.get_str("group").ok()?.to_string()))
        });
    let total = records.estimated_document_count().await.map_err(|e| store.error(e))?;
    let host = &store.hosts;
    if total == 0 && after.is_none() {
        // An empty collection (earlier versions made one per dataset with its index): nothing
        // to say, only the name to free for the view.
        records.drop().await.map_err(|e| store.error(e))?;
        return Ok(true);
    }
    say(&match &after {
        None => format!(
            "MongoDB at {host}: converting {name} ({total} records) to a day per document, once; if stopped, the next start resumes it"
        ),
        Some((e, g)) => format!("MongoDB at {host}: resuming the conversion of {name} after series {e} {g}"),
    });
    let filter = match &after {
        None => doc! {},
        Some((e, g)) => {
            doc! {"$or": [{entity_field: {"$gt": e}}, {entity_field: e, group_field: {"$gt": g}}]}
        }
    };
    let mut cursor = records
        .find(filter)
        .sort(doc! {entity_field: 1, group_field: 1, "startTime": 1})
        .await
        .map_err(|e| store.error(e))?;
    let (mut key, mut points): (Option<SeriesKey>, Vec<Point>) = (None, Vec::new());
    let (mut converted, mut series, mut shown) = (0u64, 0usize, 0u64);
    loop {
        let next = cursor.try_next().await.map_err(|e| store.error(e))?;
        let decoded = next
            .map(|d| {
                decode_record(&d, dataset).map_err(|m| {
                    store.bad(format!(
                        "converting {name} to a day per document: {m}; fix or delete that document and open the store again"
                    ))
                })
            })
            .transpose()?;
        if key.is_some() && decoded.as_ref().is_none_or(|(k, _)| Some(k) != key.as_ref()) {
            let done = key.take().unwrap_or_else(|| SeriesKey::new("", ""));
            write_series(store, dataset, &done, &mut points).await?;
            let set = doc! {"entity": &done.entity, "group": &done.group};
            meta.update_one(doc! {"_id": &marker}, doc! {"$set": set})
                .upsert(true)
                .await
                .map_err(|e| store.error(e))?;
            series += 1;
            if converted >= shown + (total / 10).max(1_000) {
                shown = converted;
                let verb = if after.is_some() { "converted since the resumption" } else { "converted" };
                say(&format!("MongoDB: {name}: {converted} of {total} records {verb}"));
            }
            if stop_after == Some(series) {
                return Ok(false);
            }
        }
        let Some((k, p)) = decoded else { break };
        if key.is_none() {
            key = Some(k);
        }
        points.push(p);
        converted += 1;
    }
    store.refresh_all_days_by_month(dataset).await?;
    let rollups: Collection<Document> = store.db.collection(super::ROLLUPS);
    rollups
        .delete_many(doc! {"dataset": dataset.as_str(), "period": "day"})
        .await
        .map_err(|e| store.error(e))?;
    // The marker first: a stop between the two converts again from the start (harmless: each
    // day is written whole), never skips the records of a collection that came back.
    meta.delete_one(doc! {"_id": &marker}).await.map_err(|e| store.error(e))?;
    records.drop().await.map_err(|e| store.error(e))?;
    say(&format!("MongoDB: {name} converted: {converted} records now in {}", store.settings.days(dataset)));
    Ok(true)
}

/// One series' days (each written whole, at revision 1) and months; empties `points`.
async fn write_series(
    store: &MongoStore,
    dataset: Dataset,
    key: &SeriesKey,
    points: &mut Vec<Point>,
) -> Result<()> {
    points.sort_by_key(|p| p.start);
    let days = by_day(points);
    let statements = days.iter().map(|(day, pts)| day_statement(dataset, key, *day, pts, None)).collect();
    let (_, refused) = store.update_raw(&store.settings.days(dataset), statements).await?;
    if !refused.is_empty() {
        return Err(store.bad(format!(
            "converting {}: {} days of {} {} were refused (written meanwhile by another program?); open the store again",
            store.settings.collection(dataset),
            refused.len(),
            key.entity,
            key.group
        )));
    }
    let rollups: Vec<_> = days.iter().map(|(day, pts)| rollup_of(*day, pts)).collect();
    let months = month_statements_of(dataset, key, &rollups);
    store.upsert_raw(super::ROLLUPS, months).await?;
    store.upsert_raw(SERIES, vec![series_statement(dataset, key)]).await?;
    points.clear();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::EntityKind;
    use chrono::{TimeZone, Utc};

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
    fn records_of_the_earlier_layout_decode_back() {
        let d = record_document(&record(Dataset::PRODUCTION));
        assert_eq!(d.get_str("_id").unwrap(), "NO4|hydro|2021-10-31T01:00:00Z");
        assert_eq!(d.get_str("priceArea").unwrap(), "NO4");
        assert_eq!(d.get_datetime("startTime").unwrap().timestamp_millis(), 1_635_642_000_000);
        for dataset in Dataset::all() {
            let r = record(dataset);
            let (key, p) = decode_record(&record_document(&r), dataset).unwrap();
            assert_eq!(Record::new(dataset, &key.entity, &key.group, &p), r);
        }
        let mut broken = record_document(&record(Dataset::PRODUCTION));
        broken.remove("startTime");
        assert!(decode_record(&broken, Dataset::PRODUCTION).unwrap_err().contains("startTime"));
    }
}
