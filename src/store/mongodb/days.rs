//! The day-per-document layout (layout version 3): one document per series and local day in
//! `<collection>_days`, holding the day's steps in order and the day's rollup; one document per
//! dataset, group and local day in `elhub_all_days`, holding every entity's sum per step; and
//! the record-shaped view `<collection>` over the days, for queries written against one document
//! per record.
//!
//! A series day: `{_id: "NO1|hydro|20210328", priceArea: "NO1", productionGroup: "hydro",
//! day: 20210328, steps: [{t: startTime, q: kWh, u: lastUpdatedTime, m: meteringPointCount}, …],
//! kwh, n, min, max, rev}`. Step fields are one letter: a year of municipalities is 9.5 million
//! of them. `rev` counts the writes of the day: a write replaces a day only at the revision it
//! read, so two writers never lose each other's values (the loser reads again and merges).

use chrono::{DateTime, Utc};
use mongodb::bson::{doc, Document, RawArrayBuf, RawBsonRef, RawDocument, RawDocumentBuf};

use super::number;
use crate::model::{Dataset, Point, SeriesKey};
use crate::store::rollup::{local_day_key, DayRollup};
use crate::store::{Rollup, StepValue};

/// The suffix of a dataset's day collection: `production_days` beside the view `production`.
pub const DAYS_SUFFIX: &str = "_days";
/// Per dataset, group and local day, the sum over every entity per step.
pub const ALL_DAYS: &str = "elhub_all_days";

/// `"NO1|hydro|20210328"`.
pub fn day_id(key: &SeriesKey, day: i32) -> String {
    format!("{}|{}|{day}", key.entity, key.group)
}

/// A series day as stored: its revision and steps.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredDay {
    pub key: SeriesKey,
    pub day: i32,
    pub rev: i64,
    pub points: Vec<Point>,
}

/// A series' stored days as one run of points, in order.
pub fn points_of(days: &[StoredDay]) -> Vec<Point> {
    days.iter().flat_map(|d| d.points.iter().copied()).collect()
}

/// The local days `[from, to)` touches, as an inclusive `day` filter.
pub fn day_range(from: DateTime<Utc>, to: DateTime<Utc>) -> Document {
    doc! {"$gte": local_day_key(from.timestamp()), "$lte": local_day_key(to.timestamp() - 1)}
}

fn step(p: &Point) -> RawDocumentBuf {
    let mut s = RawDocumentBuf::new();
    s.append("t", bson_date_secs(p.start));
    s.append("q", p.kwh);
    s.append("u", bson_date_secs(p.updated));
    if let Some(m) = p.metering_points {
        s.append("m", i64::from(m));
    }
    s
}

fn bson_date_secs(t: i64) -> mongodb::bson::DateTime {
    mongodb::bson::DateTime::from_millis(t * 1000)
}

fn secs(d: &mongodb::bson::DateTime) -> i64 {
    d.timestamp_millis().div_euclid(1000)
}

/// The rollup of one day's values (all in the same local day).
/// Built by `DayRollup`'s own arithmetic (`store::rollup`), the one rule every backend uses.
pub fn rollup_of(day: i32, points: &[Point]) -> DayRollup {
    let mut r = DayRollup::of(day, points.first().map_or(0.0, |p| p.kwh));
    for p in points.iter().skip(1) {
        r.add(p.kwh);
    }
    if points.is_empty() {
        r.count = 0;
    }
    r
}

/// A series day as written, at revision `rev`, with its `_id` when `with_id` (built as raw
/// BSON: a document tree per step costs several allocations a step).
pub fn day_document(
    dataset: Dataset,
    key: &SeriesKey,
    day: i32,
    points: &[Point],
    rev: i64,
    with_id: bool,
) -> RawDocumentBuf {
    let r = rollup_of(day, points);
    let mut d = RawDocumentBuf::new();
    if with_id {
        d.append("_id", day_id(key, day));
    }
    d.append(dataset.entity().document_field(), key.entity.as_str());
    d.append(dataset.group_field(), key.group.as_str());
    d.append("day", day);
    let mut steps = RawArrayBuf::new();
    for p in points {
        steps.push(step(p));
    }
    d.append("steps", steps);
    d.append("kwh", r.kwh);
    d.append("n", r.count as i64);
    d.append("min", r.min);
    d.append("max", r.max);
    d.append("rev", rev);
    d
}

/// The upsert of a series day written over the revision `read`. When another writer changed
/// the day since, the query misses, the insert hits the `_id` and the statement fails with a
/// duplicate key: the caller reads the day again. Without `read` (the conversion), the day is
/// written whatever is stored, at revision 1.
pub fn day_statement(
    dataset: Dataset,
    key: &SeriesKey,
    day: i32,
    points: &[Point],
    read: Option<i64>,
) -> RawDocumentBuf {
    let mut q = RawDocumentBuf::new();
    q.append("_id", day_id(key, day));
    if let Some(read) = read {
        q.append("rev", read);
    }
    let mut u = RawDocumentBuf::new();
    u.append("$set", day_document(dataset, key, day, points, read.unwrap_or(0) + 1, false));
    let mut s = RawDocumentBuf::new();
    s.append("q", q);
    s.append("u", u);
    s.append("upsert", true);
    s
}

/// A number stored as double, int32 or int64, read in place.
pub fn raw_number(b: RawBsonRef) -> Option<f64> {
    b.as_f64().or_else(|| b.as_i32().map(f64::from)).or_else(|| b.as_i64().map(|v| v as f64))
}

/// A stored series day back into its steps, read in place (no document tree: a window reads
/// thousands of days of 24 to 100 steps).
pub fn decode_raw_day(d: &RawDocument, dataset: Dataset) -> Option<StoredDay> {
    let key = SeriesKey::new(
        d.get_str(dataset.entity().document_field()).ok()?,
        d.get_str(dataset.group_field()).ok()?,
    );
    let day = raw_number(d.get("day").ok()??)? as i32;
    let rev = d.get("rev").ok().flatten().and_then(raw_number).unwrap_or(0.0) as i64;
    let mut points = Vec::new();
    for s in d.get_array("steps").ok()? {
        let s = s.ok()?.as_document()?;
        points.push(Point {
            start: secs(&s.get_datetime("t").ok()?),
            kwh: raw_number(s.get("q").ok()??)?,
            updated: s.get_datetime("u").map(|u| secs(&u)).unwrap_or(0),
            metering_points: s.get("m").ok().flatten().and_then(raw_number).map(|m| m as u32),
        });
    }
    Some(StoredDay { key, day, rev, points })
}

/// The day rollup a series day holds (projected without its steps).
pub fn decode_day_rollup(d: &Document, group_field: &str) -> Option<(String, DayRollup)> {
    let kwh = d.get("kwh").and_then(number)?;
    Some((
        d.get_str(group_field).ok()?.to_string(),
        DayRollup {
            day: d.get("day").and_then(number)? as i32,
            kwh,
            count: d.get("n").and_then(number)? as u64,
            min: d.get("min").and_then(number).unwrap_or(kwh),
            max: d.get("max").and_then(number).unwrap_or(kwh),
        },
    ))
}

/// The final values of a day range: `stored` with `writes` (both sorted by start) in their place.
pub fn overlay(stored: &[Point], writes: &[&Point]) -> Vec<Point> {
    let mut out = Vec::with_capacity(stored.len() + writes.len());
    let (mut i, mut j) = (0, 0);
    while i < stored.len() || j < writes.len() {
        match (stored.get(i), writes.get(j)) {
            (Some(s), Some(w)) if s.start == w.start => {
                out.push(**w);
                i += 1;
                j += 1;
            }
            (Some(s), Some(w)) if s.start < w.start => {
                out.push(*s);
                i += 1;
            }
            (Some(s), None) => {
                out.push(*s);
                i += 1;
            }
            (_, Some(w)) => {
                out.push(**w);
                j += 1;
            }
            (None, None) => break,
        }
    }
    out
}

/// Points (sorted) split into their local days.
pub fn by_day(points: &[Point]) -> Vec<(i32, &[Point])> {
    let mut out: Vec<(i32, &[Point])> = Vec::new();
    let mut first = 0;
    for i in 1..=points.len() {
        let day = local_day_key(points[i - 1].start);
        if i == points.len() || local_day_key(points[i].start) != day {
            out.push((day, &points[first..i]));
            first = i;
        }
    }
    out
}

/// The all-entity document of one dataset, group and day: per step the sum and how many
/// series added to it.
pub fn all_day_statement(
    dataset: Dataset,
    group: &str,
    day: i32,
    steps: &[(i64, f64, u64)],
) -> RawDocumentBuf {
    let (kwh, n) = steps.iter().fold((0.0, 0u64), |(k, n), s| (k + s.1, n + s.2));
    let mut list = RawArrayBuf::new();
    for (t, q, c) in steps {
        let mut s = RawDocumentBuf::new();
        s.append("t", bson_date_secs(*t));
        s.append("q", *q);
        s.append("n", *c as i64);
        list.push(s);
    }
    let mut set = RawDocumentBuf::new();
    set.append("dataset", dataset.as_str());
    set.append("group", group);
    set.append("day", day);
    set.append("steps", list);
    set.append("kwh", kwh);
    set.append("n", n as i64);
    upsert_by_id(format!("{dataset}|{group}|{day}"), set)
}

/// `{q: {_id: id}, u: {$set: set}, upsert: true}`, built as raw BSON (a document tree costs
/// an allocation a value, and a window's statements number in the tens of thousands).
pub fn upsert_by_id(id: String, set: RawDocumentBuf) -> RawDocumentBuf {
    let mut q = RawDocumentBuf::new();
    q.append("_id", id);
    let mut u = RawDocumentBuf::new();
    u.append("$set", set);
    let mut s = RawDocumentBuf::new();
    s.append("q", q);
    s.append("u", u);
    s.append("upsert", true);
    s
}

/// An all-entity day as a day rollup (sums and counts only).
pub fn decode_all_day_rollup(d: &Document) -> Option<Rollup> {
    Some(Rollup {
        group: d.get_str("group").ok()?.to_string(),
        key: d.get("day").and_then(number)? as i32,
        kwh: d.get("kwh").and_then(number)?,
        count: d.get("n").and_then(number)? as u64,
        min: None,
        max: None,
    })
}

/// An all-entity day's steps in [from, to).
pub fn decode_all_day_steps(d: &Document, from: i64, to: i64) -> Vec<(i64, f64)> {
    let Ok(steps) = d.get_array("steps") else { return Vec::new() };
    steps
        .iter()
        .filter_map(|s| {
            let s = s.as_document()?;
            let t = secs(s.get_datetime("t").ok()?);
            (from..to).contains(&t).then_some((t, s.get("q").and_then(number)?))
        })
        .collect()
}

/// Steps of series days (sorted) in [from, to), for the curve.
pub fn steps_in(days: &[StoredDay], from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<StepValue> {
    let (from, to) = (from.timestamp(), to.timestamp());
    days.iter()
        .flat_map(|d| &d.points)
        .filter(|p| (from..to).contains(&p.start))
        .map(|p| StepValue { start: crate::model::instant(p.start), kwh: p.kwh })
        .collect()
}

/// The record-shaped view over a dataset's days: one document per step with the API's field
/// names, as the layout of one document per record had them (without its `_id`).
pub fn view_pipeline(dataset: Dataset) -> Vec<Document> {
    let (entity, group) = (dataset.entity().document_field(), dataset.group_field());
    let step_ms = dataset.resolution().seconds() * 1000;
    let mut project = doc! {
        "_id": 0,
        entity: 1,
        group: 1,
        "startTime": "$steps.t",
        "endTime": {"$add": ["$steps.t", step_ms]},
        "quantityKwh": "$steps.q",
        "lastUpdatedTime": "$steps.u",
    };
    if dataset.has_metering_points() {
        project.insert("meteringPointCount", "$steps.m");
    }
    vec![doc! {"$unwind": "$steps"}, doc! {"$project": project}]
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn p(start: i64, kwh: f64, updated: i64) -> Point {
        Point { start, kwh, updated, metering_points: Some(7) }
    }

    #[test]
    fn a_day_round_trips_with_its_rollup_and_revision() {
        let t0 = Utc.with_ymd_and_hms(2021, 3, 27, 23, 0, 0).unwrap().timestamp(); // 28 March local
        let points: Vec<Point> = (0..23).map(|h| p(t0 + h * 3600, h as f64, 5)).collect();
        let key = SeriesKey::new("0301", "private");
        let dataset = Dataset::CONSUMPTION_MUNICIPALITY;
        let s = day_statement(dataset, &key, 20210328, &points, Some(2)).to_document().unwrap();
        let q = s.get_document("q").unwrap();
        assert_eq!(q.get_str("_id").unwrap(), "0301|private|20210328");
        assert_eq!(q.get_i64("rev").unwrap(), 2, "written only over the revision read");
        let mut fields = s.get_document("u").unwrap().get_document("$set").unwrap().clone();
        assert_eq!(fields.get_str("municipalityNumber").unwrap(), "0301");
        assert_eq!((fields.get_f64("kwh").unwrap(), fields.get_i64("n").unwrap()), (253.0, 23));
        assert_eq!((fields.get_f64("min").unwrap(), fields.get_f64("max").unwrap()), (0.0, 22.0));
        fields.insert("_id", "0301|private|20210328");
        let raw = RawDocumentBuf::from_document(&fields).unwrap();
        let back = decode_raw_day(&raw, dataset).unwrap();
        assert_eq!(back, StoredDay { key: key.clone(), day: 20210328, rev: 3, points: points.clone() });
        let (group, r) = decode_day_rollup(&fields, dataset.group_field()).unwrap();
        assert_eq!((group.as_str(), r.day, r.count), ("private", 20210328, 23));
        assert_eq!(by_day(&points).len(), 1, "a DST day of 23 hours is one day");
    }

    #[test]
    fn writes_take_their_place_among_the_stored_values() {
        let stored = [p(0, 1.0, 1), p(3600, 2.0, 1), p(7200, 3.0, 1)];
        let (a, b) = (p(3600, 20.0, 2), p(10800, 40.0, 2));
        let out = overlay(&stored, &[&a, &b]);
        assert_eq!(out.iter().map(|p| p.kwh).collect::<Vec<_>>(), [1.0, 20.0, 3.0, 40.0]);
        let before = p(-3600, 9.0, 2);
        assert_eq!(overlay(&stored, &[&before])[0].kwh, 9.0);
        assert!(overlay(&[], &[]).is_empty());
    }

    #[test]
    fn points_split_at_local_midnight() {
        // 2021-10-31 has 25 hours in Oslo: 22:00 UTC on the 30th to 23:00 UTC on the 31st.
        let t0 = Utc.with_ymd_and_hms(2021, 10, 30, 22, 0, 0).unwrap().timestamp();
        let points: Vec<Point> = (-2..27).map(|h| p(t0 + h * 3600, 1.0, 1)).collect();
        let days = by_day(&points);
        assert_eq!(
            days.iter().map(|(d, p)| (*d, p.len())).collect::<Vec<_>>(),
            [(20211030, 2), (20211031, 25), (20211101, 2)]
        );
        assert!(by_day(&[]).is_empty());
    }

    #[test]
    fn the_view_gives_the_record_fields() {
        let pipeline = view_pipeline(Dataset::PRODUCTION_15MIN);
        assert_eq!(pipeline[0].get_str("$unwind").unwrap(), "$steps");
        let project = pipeline[1].get_document("$project").unwrap();
        for field in
            ["priceArea", "productionGroup", "startTime", "endTime", "quantityKwh", "lastUpdatedTime"]
        {
            assert!(project.contains_key(field), "{field}");
        }
        let end = project.get_document("endTime").unwrap().get_array("$add").unwrap();
        assert_eq!(end[1].as_i64(), Some(900_000));
        assert!(!project.contains_key("meteringPointCount"));
        let c = view_pipeline(Dataset::CONSUMPTION_MUNICIPALITY);
        assert!(c[1].get_document("$project").unwrap().contains_key("meteringPointCount"));
    }

    #[test]
    fn all_entity_days_sum_their_steps() {
        let s = all_day_statement(Dataset::PRODUCTION, "hydro", 20210101, &[(0, 1.5, 2), (3600, 2.5, 3)])
            .to_document()
            .unwrap();
        let set = s.get_document("u").unwrap().get_document("$set").unwrap();
        assert_eq!(s.get_document("q").unwrap().get_str("_id").unwrap(), "production|hydro|20210101");
        assert!(s.get_bool("upsert").unwrap());
        let r = decode_all_day_rollup(set).unwrap();
        assert_eq!((r.group.as_str(), r.key, r.kwh, r.count), ("hydro", 20210101, 4.0, 5));
        assert_eq!(decode_all_day_steps(set, 0, 3600), [(0, 1.5)]);
    }
}
