//! The API's JSON:API payload, parsed in one pass with borrowed strings into a `WindowData`,
//! generic over the catalogue: the records are found under the dataset's records key (or, if
//! that key is absent, under the one array of records present, with a warning), the entity id
//! comes from the JSON:API element (`data[].id`), and the `"*"` element is skipped.
//!
//! Elements are turned into series one at a time as the parser reaches them, so what is held
//! besides the body is one element's raw records, not the window's (a month of grid areas is a
//! 90 MB body of 370,000 records).
//!
//! A bad record (a missing field, a non-finite or negative quantity, a time off the dataset's
//! step, an end that is not start + resolution, a start outside the requested window) is
//! rejected and counted without failing the rest of the window.

use std::borrow::Cow;
use std::fmt;

use chrono::DateTime;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use crate::model::{Dataset, Entity, Point, SeriesData, SeriesKey, Window, WindowData};

#[derive(Debug, thiserror::Error)]
pub enum PayloadError {
    /// The body is not the JSON:API document expected (truncated, malformed, wrong shape).
    #[error("unparsable response body: {0}")]
    Malformed(#[from] serde_json::Error),
    /// A JSON document without the JSON:API `data` member: not an answer with records.
    #[error("the response has no `data` member")]
    NoData,
}

pub type Result<T> = std::result::Result<T, PayloadError>;

/// The largest quantity accepted for one record, in kWh: 100 TWh, far above all of Norway's
/// production in an hour (about 20 GWh), yet small enough that no sum overflows.
pub const MAX_QUANTITY_KWH: f64 = 1e11;

/// A parsed body: the window's data and, when the records were not under the dataset's
/// records key, the key they were found under (the caller warns once per run).
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    pub data: WindowData,
    pub fallback_key: Option<String>,
}

#[derive(Deserialize)]
struct Element<'a> {
    #[serde(borrow)]
    id: Text<'a>,
    #[serde(borrow, default)]
    attributes: Attributes<'a>,
    #[serde(default)]
    relationships: Option<serde_json::Value>,
}

/// A string borrowed from the body where it can be (no escapes), else owned; null and other
/// types become `None`.
#[derive(Debug, Default)]
struct Text<'a>(Option<Cow<'a, str>>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> std::result::Result<Text<'de>, E> {
                Ok(Text(Some(Cow::Borrowed(v))))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Text<'de>, E> {
                Ok(Text(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_string<E: de::Error>(self, v: String) -> std::result::Result<Text<'de>, E> {
                Ok(Text(Some(Cow::Owned(v))))
            }
            fn visit_unit<E: de::Error>(self) -> std::result::Result<Text<'de>, E> {
                Ok(Text(None))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> std::result::Result<Text<'de>, E> {
                Ok(Text(None))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> std::result::Result<Text<'de>, E> {
                Ok(Text(None))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> std::result::Result<Text<'de>, E> {
                Ok(Text(None))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> std::result::Result<Text<'de>, E> {
                Ok(Text(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> std::result::Result<Text<'de>, A::Error> {
                while a.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Text(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> std::result::Result<Text<'de>, A::Error> {
                while a.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Text(None))
            }
        }
        d.deserialize_any(V)
    }
}

/// An element's attributes: its name, and every array of records-like objects by key.
#[derive(Default)]
struct Attributes<'a> {
    name: Option<Cow<'a, str>>,
    arrays: Vec<(Cow<'a, str>, Vec<RawRecord<'a>>)>,
}

impl<'de: 'a, 'a> Deserialize<'de> for Attributes<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Attributes<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an attributes object")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<Attributes<'de>, A::Error> {
                let mut out = Attributes::default();
                while let Some(key) = map.next_key::<Text<'de>>()? {
                    let key = key.0.unwrap_or_default();
                    if key == "name" {
                        out.name = map.next_value::<Text<'de>>()?.0;
                    } else if let Some(records) = map.next_value::<MaybeRecords<'de>>()?.0 {
                        out.arrays.push((key, records));
                    }
                }
                Ok(out)
            }
        }
        d.deserialize_map(V)
    }
}

/// An attribute value: `Some` when it is an array whose items are all objects.
struct MaybeRecords<'a>(Option<Vec<RawRecord<'a>>>);

impl<'de: 'a, 'a> Deserialize<'de> for MaybeRecords<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = MaybeRecords<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any value")
            }
            fn visit_seq<A: SeqAccess<'de>>(
                self,
                mut a: A,
            ) -> std::result::Result<MaybeRecords<'de>, A::Error> {
                let mut records = Vec::with_capacity(a.size_hint().unwrap_or(0));
                let mut all_objects = true;
                while let Some(item) = a.next_element::<MaybeRecord<'de>>()? {
                    match item.0 {
                        Some(r) => records.push(r),
                        None => all_objects = false,
                    }
                }
                Ok(MaybeRecords(all_objects.then_some(records)))
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut a: A,
            ) -> std::result::Result<MaybeRecords<'de>, A::Error> {
                while a.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(MaybeRecords(None))
            }
            fn visit_borrowed_str<E: de::Error>(
                self,
                _: &'de str,
            ) -> std::result::Result<MaybeRecords<'de>, E> {
                Ok(MaybeRecords(None))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> std::result::Result<MaybeRecords<'de>, E> {
                Ok(MaybeRecords(None))
            }
            fn visit_unit<E: de::Error>(self) -> std::result::Result<MaybeRecords<'de>, E> {
                Ok(MaybeRecords(None))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> std::result::Result<MaybeRecords<'de>, E> {
                Ok(MaybeRecords(None))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> std::result::Result<MaybeRecords<'de>, E> {
                Ok(MaybeRecords(None))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> std::result::Result<MaybeRecords<'de>, E> {
                Ok(MaybeRecords(None))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> std::result::Result<MaybeRecords<'de>, E> {
                Ok(MaybeRecords(None))
            }
        }
        d.deserialize_any(V)
    }
}

/// A record as sent, every field optional so that one bad record does not fail the window.
#[derive(Default)]
struct RawRecord<'a> {
    start: Option<Cow<'a, str>>,
    end: Option<Cow<'a, str>>,
    updated: Option<Cow<'a, str>>,
    quantity: Lenient,
    metering_points: Lenient,
    /// Fields ending in `Group` (`productionGroup`, `consumptionGroup`).
    groups: Vec<(Cow<'a, str>, Option<Cow<'a, str>>)>,
    /// The record's own entity field (`priceArea`, `gridArea`), where it has one.
    entity: Vec<(Cow<'a, str>, Option<Cow<'a, str>>)>,
}

/// An array item: `Some` when it is an object.
struct MaybeRecord<'a>(Option<RawRecord<'a>>);

impl<'de: 'a, 'a> Deserialize<'de> for MaybeRecord<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = MaybeRecord<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a record object")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<MaybeRecord<'de>, A::Error> {
                let mut r = RawRecord::default();
                while let Some(key) = map.next_key::<Text<'de>>()? {
                    let key = key.0.unwrap_or_default();
                    match key.as_ref() {
                        "startTime" => r.start = map.next_value::<Text<'de>>()?.0,
                        "endTime" => r.end = map.next_value::<Text<'de>>()?.0,
                        "lastUpdatedTime" => r.updated = map.next_value::<Text<'de>>()?.0,
                        "quantityKwh" => r.quantity = map.next_value()?,
                        "meteringPointCount" => r.metering_points = map.next_value()?,
                        "priceArea" | "gridArea" | "municipalityNumber" => {
                            r.entity.push((key, map.next_value::<Text<'de>>()?.0))
                        }
                        k if k.ends_with("Group") => r.groups.push((key, map.next_value::<Text<'de>>()?.0)),
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(MaybeRecord(Some(r)))
            }
            fn visit_seq<A: SeqAccess<'de>>(
                self,
                mut a: A,
            ) -> std::result::Result<MaybeRecord<'de>, A::Error> {
                while a.next_element::<IgnoredAny>()?.is_some() {}
                Ok(MaybeRecord(None))
            }
            fn visit_borrowed_str<E: de::Error>(
                self,
                _: &'de str,
            ) -> std::result::Result<MaybeRecord<'de>, E> {
                Ok(MaybeRecord(None))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> std::result::Result<MaybeRecord<'de>, E> {
                Ok(MaybeRecord(None))
            }
            fn visit_unit<E: de::Error>(self) -> std::result::Result<MaybeRecord<'de>, E> {
                Ok(MaybeRecord(None))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> std::result::Result<MaybeRecord<'de>, E> {
                Ok(MaybeRecord(None))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> std::result::Result<MaybeRecord<'de>, E> {
                Ok(MaybeRecord(None))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> std::result::Result<MaybeRecord<'de>, E> {
                Ok(MaybeRecord(None))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> std::result::Result<MaybeRecord<'de>, E> {
                Ok(MaybeRecord(None))
            }
        }
        d.deserialize_any(V)
    }
}

/// A number field that accepts anything: a number, a numeric string ("NaN" included), or
/// something else, which becomes `Other` and rejects the record instead of the window.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
enum Lenient {
    #[default]
    Missing,
    Number(f64),
    Other,
}

impl<'de> Deserialize<'de> for Lenient {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Lenient;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<Lenient, E> {
                Ok(Lenient::Number(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<Lenient, E> {
                Ok(Lenient::Number(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<Lenient, E> {
                Ok(Lenient::Number(v as f64))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Lenient, E> {
                Ok(v.trim().parse().map(Lenient::Number).unwrap_or(Lenient::Other))
            }
            fn visit_unit<E: de::Error>(self) -> std::result::Result<Lenient, E> {
                Ok(Lenient::Missing)
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> std::result::Result<Lenient, E> {
                Ok(Lenient::Other)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> std::result::Result<Lenient, A::Error> {
                while a.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Lenient::Other)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> std::result::Result<Lenient, A::Error> {
                while a.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Lenient::Other)
            }
        }
        d.deserialize_any(V)
    }
}

/// Parses one response body of `dataset` for `window` into records.
pub fn parse_window(body: &[u8], dataset: Dataset, window: Window) -> Result<Parsed> {
    let mut builder = Builder {
        dataset,
        from: window.start.timestamp(),
        to: window.end.timestamp(),
        out: WindowData::new(dataset, window),
        fallback_key: None,
        seen: std::collections::HashSet::new(),
    };
    let mut de = serde_json::Deserializer::from_slice(body);
    let found = DocumentSeed(&mut builder).deserialize(&mut de)?;
    de.end()?;
    if !found {
        return Err(PayloadError::NoData);
    }
    Ok(Parsed { data: builder.out, fallback_key: builder.fallback_key })
}

/// The window's data as elements arrive.
struct Builder {
    dataset: Dataset,
    from: i64,
    to: i64,
    out: WindowData,
    fallback_key: Option<String>,
    /// Entity ids met so far: a second listing of one is rejected.
    seen: std::collections::HashSet<String>,
}

impl Builder {
    /// One element: its entity, and its records as series (bad ones rejected with a reason).
    fn add(&mut self, element: Element) {
        let spec = self.dataset.spec();
        let out = &mut self.out;
        let Some(id) = element.id.0 else {
            out.reject("an element without an id".into());
            return;
        };
        if id == "*" {
            return; // the aggregate placeholder, always empty
        }
        if id.is_empty() || id.len() > 64 || id.chars().any(crate::model::is_unprintable) {
            out.reject(format!("element id {:?} is not a usable entity id", crate::model::printable(&id)));
            return;
        }
        let Attributes { name, mut arrays } = element.attributes;
        if !self.seen.insert(id.to_string()) {
            // A second listing of an entity: the first stays, name and records; every record of
            // this one is rejected (never a mix of two listings, never counted as stored twice).
            let n = arrays.iter().map(|(_, r)| r.len()).sum::<usize>();
            for _ in 0..n {
                out.reject(format!(
                    "{}: listed again in the response (the first listing is kept)",
                    crate::model::printable(&id)
                ));
            }
            return;
        }
        let records = match arrays.iter().position(|(k, _)| k == spec.records_key) {
            Some(i) => arrays.swap_remove(i).1,
            None if arrays.len() == 1 => {
                let (key, records) = arrays.swap_remove(0);
                self.fallback_key.get_or_insert_with(|| key.into_owned());
                records
            }
            None => Vec::new(),
        };
        out.entities.push(Entity {
            kind: spec.entity,
            id: id.to_string(),
            name: name.map_or_else(|| id.to_string(), Cow::into_owned),
            price_area: element.relationships.as_ref().and_then(price_area_of),
        });
        let mut series: Vec<SeriesData> = Vec::new();
        for raw in records {
            match normalise(raw, self.dataset, &id, self.from, self.to) {
                Ok((group, point)) => {
                    // Records come grouped by series: look at the last one first.
                    match series.iter_mut().rev().find(|s| s.key.group == group) {
                        Some(s) => s.points.push(point),
                        None => {
                            series.push(SeriesData { key: SeriesKey::new(&id, &group), points: vec![point] })
                        }
                    }
                }
                Err(reason) => out.reject(format!("{id}: {reason}")),
            }
        }
        for mut s in series {
            if !s.points.is_sorted_by_key(|p| p.start) {
                s.points.sort_by_key(|p| p.start);
            }
            dedup_points(&mut s, out);
            out.series.push(s);
        }
    }
}

/// The top-level document: its `data` list goes to the builder; whether there was one.
struct DocumentSeed<'b>(&'b mut Builder);

impl<'de> DeserializeSeed<'de> for DocumentSeed<'_> {
    type Value = bool;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<bool, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for DocumentSeed<'_> {
    type Value = bool;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON:API document")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<bool, A::Error> {
        let mut found = false;
        while let Some(key) = map.next_key::<Text<'de>>()? {
            if key.0.as_deref() == Some("data") && !found {
                found = map.next_value_seed(ElementsSeed(&mut *self.0))?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }
}

/// The `data` list, element by element into the builder; `false` for `null`.
struct ElementsSeed<'b>(&'b mut Builder);

impl<'de> DeserializeSeed<'de> for ElementsSeed<'_> {
    type Value = bool;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<bool, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ElementsSeed<'_> {
    type Value = bool;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of elements")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<bool, A::Error> {
        while let Some(element) = seq.next_element::<Element<'de>>()? {
            self.0.add(element);
        }
        Ok(true)
    }
    fn visit_unit<E: de::Error>(self) -> std::result::Result<bool, E> {
        Ok(false)
    }
}

/// One value per start: of records sent twice, the newest revision stays, the others are
/// rejected (a store would otherwise count them twice).
fn dedup_points(s: &mut SeriesData, out: &mut WindowData) {
    if s.points.windows(2).all(|w| w[0].start != w[1].start) {
        return;
    }
    let mut kept: Vec<crate::model::Point> = Vec::with_capacity(s.points.len());
    for p in s.points.drain(..) {
        match kept.last_mut() {
            Some(last) if last.start == p.start => {
                out.reject(format!(
                    "{} {}: a second record for {}",
                    s.key.entity,
                    s.key.group,
                    crate::model::instant(p.start)
                ));
                if p.updated > last.updated {
                    *last = p;
                }
            }
            _ => kept.push(p),
        }
    }
    s.points = kept;
}

/// The `price-area` relationship of a grid area: `{"data": {"id": "NO1", ..}}`.
fn price_area_of(relationships: &serde_json::Value) -> Option<String> {
    let id = relationships.get("price-area")?.get("data")?.get("id")?.as_str()?;
    (!id.is_empty() && id.len() <= 16 && !id.chars().any(crate::model::is_unprintable))
        .then(|| id.to_string())
}

fn normalise(
    raw: RawRecord,
    dataset: Dataset,
    entity: &str,
    from: i64,
    to: i64,
) -> std::result::Result<(String, Point), String> {
    let spec = dataset.spec();
    if let Some((field, value)) =
        raw.entity.iter().find(|(k, _)| Some(k.as_ref()) == spec.entity.record_field())
    {
        if value.as_deref().is_some_and(|v| v != entity) {
            return Err(format!(
                "{field} {:?} under entity {entity}",
                crate::model::printable(value.as_deref().unwrap_or(""))
            ));
        }
    }
    let group = raw
        .groups
        .into_iter()
        .find(|(k, _)| k == spec.group_field)
        .and_then(|(_, v)| v)
        .ok_or_else(|| format!("missing {}", spec.group_field))?;
    if group.trim().is_empty() {
        return Err(format!("empty {}", spec.group_field));
    }
    let step = spec.resolution.seconds();
    let start = parse_instant(raw.start.as_deref(), "startTime")?;
    if start.rem_euclid(step) != 0 {
        return Err(format!(
            "startTime {} is not on a {} step",
            crate::model::instant(start),
            spec.resolution.label()
        ));
    }
    if start < from || start >= to {
        return Err(format!("startTime {} lies outside the requested window", crate::model::instant(start)));
    }
    let end = parse_instant(raw.end.as_deref(), "endTime")?;
    if end - start != step {
        return Err(format!(
            "endTime is {} s after startTime {}, not {}",
            end - start,
            crate::model::instant(start),
            spec.resolution.label()
        ));
    }
    let updated = parse_instant(raw.updated.as_deref(), "lastUpdatedTime")?;
    let kwh = match raw.quantity {
        Lenient::Number(q) if q.is_finite() && (0.0..=MAX_QUANTITY_KWH).contains(&q) => q,
        Lenient::Number(q) => {
            return Err(format!("quantityKwh {q} is not a number from 0 to {MAX_QUANTITY_KWH:e} kWh"))
        }
        Lenient::Missing => return Err("missing quantityKwh".into()),
        Lenient::Other => return Err("quantityKwh is not a number".into()),
    };
    // An extra field the catalogue expects but a response lacks costs nothing: it is empty.
    let metering_points = match (spec.metering_points, raw.metering_points) {
        (false, _) | (true, Lenient::Missing) => None,
        (true, Lenient::Number(n)) if n >= 0.0 && n.fract() == 0.0 && n <= u32::MAX as f64 => Some(n as u32),
        (true, _) => return Err("meteringPointCount is not a whole number".into()),
    };
    Ok((group.into_owned(), Point { start, kwh, updated, metering_points }))
}

/// An ISO 8601 time with offset as Unix seconds. The API's usual form,
/// `2021-01-01T00:00:00+01:00`, is read directly; any other RFC 3339 form through chrono.
pub fn parse_instant(value: Option<&str>, field: &str) -> std::result::Result<i64, String> {
    let text = value.ok_or_else(|| format!("missing {field}"))?;
    fast_rfc3339(text).or_else(|| DateTime::parse_from_rfc3339(text).ok().map(|t| t.timestamp())).ok_or_else(
        || format!("{field} '{}' is not an ISO 8601 time with offset", crate::model::printable(text)),
    )
}

/// `YYYY-MM-DDTHH:MM:SS±HH:MM` (or `Z`) without fractions, as Unix seconds.
fn fast_rfc3339(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if !(b.len() == 25 || b.len() == 20)
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        b[r].iter().try_fold(0i64, |acc, c| c.is_ascii_digit().then(|| acc * 10 + (c - b'0') as i64))
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 59 {
        return None;
    }
    if d > days_in_month(y, mo) {
        return None;
    }
    let offset = match (b.len(), b[19]) {
        (20, b'Z') => 0,
        (25, sign @ (b'+' | b'-')) if b[22] == b':' => {
            let (oh, om) = (num(20..22)?, num(23..25)?);
            if oh > 23 || om > 59 {
                return None;
            }
            let o = oh * 3600 + om * 60;
            if sign == b'+' {
                o
            } else {
                -o
            }
        }
        _ => return None,
    };
    Some(crate::model::days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + se - offset)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The message of a JSON:API error body (`{"errors":[{"title":..,"detail":..}]}`), or the
/// start of a text body, on one line and with control characters escaped.
pub fn error_message(body: &[u8]) -> String {
    #[derive(Deserialize)]
    struct Errors {
        errors: Vec<ErrorObject>,
    }
    #[derive(Deserialize)]
    struct ErrorObject {
        title: Option<String>,
        detail: Option<String>,
        code: Option<String>,
    }
    let text = match serde_json::from_slice::<Errors>(body) {
        Ok(e) => e
            .errors
            .into_iter()
            .filter_map(|o| o.detail.or(o.title).or(o.code))
            .collect::<Vec<_>>()
            .join("; "),
        Err(_) => String::new(),
    };
    let text = if text.is_empty() { String::from_utf8_lossy(body).into_owned() } else { text };
    crate::model::one_line(&text, 200)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{EntityKind, Month};

    fn jan() -> Window {
        Window::of_month("2021-01".parse::<Month>().unwrap())
    }

    fn body(key: &str, records: &str) -> Vec<u8> {
        format!(
            r#"{{"data":[{{"attributes":{{"country":"NO","eic":"*","name":"*","{key}":[]}},"id":"*","type":"price-areas"}},
            {{"attributes":{{"name":"NO1","{key}":[{records}]}},"id":"NO1","type":"price-areas"}}]}}"#
        )
        .into_bytes()
    }

    const GOOD: &str = r#"{"endTime":"2021-01-01T01:00:00+01:00","lastUpdatedTime":"2024-02-01T10:00:00+01:00","priceArea":"NO1","productionGroup":"hydro","quantityKwh":2507716.8,"startTime":"2021-01-01T00:00:00+01:00"}"#;

    fn parse(b: &[u8]) -> Parsed {
        parse_window(b, Dataset::PRODUCTION, jan()).unwrap()
    }

    #[test]
    fn converts_offsets_to_utc_and_takes_the_entity_from_the_element() {
        let p = parse(&body("productionPerGroupMbaHour", GOOD));
        assert_eq!((p.data.rejected, p.fallback_key), (0, None));
        let r = p.data.records().next().unwrap();
        assert_eq!(r.start.to_rfc3339(), "2020-12-31T23:00:00+00:00");
        assert_eq!(r.end.to_rfc3339(), "2021-01-01T00:00:00+00:00");
        assert_eq!((r.entity.as_str(), r.group.as_str(), r.quantity_kwh), ("NO1", "hydro", 2507716.8));
        assert_eq!(p.data.entities.len(), 1, "the '*' element is skipped");
    }

    /// An id holding a bidirectional override (or a control character) is no usable id.
    #[test]
    fn an_id_with_a_bidi_override_is_refused() {
        let text = String::from_utf8(body("productionPerGroupMbaHour", GOOD))
            .unwrap()
            .replace("\"id\":\"NO1\"", "\"id\":\"NO\u{202E}1\"");
        let p = parse(text.as_bytes());
        assert_eq!((p.data.len(), p.data.rejected), (0, 1));
        assert!(
            p.data.rejection_samples[0].contains("not a usable entity id"),
            "{:?}",
            p.data.rejection_samples
        );
    }

    /// An entity listed again keeps its first listing, name and values; each record of the
    /// others is rejected with its reason, so what is counted is what is stored.
    #[test]
    fn a_second_listing_of_an_entity_is_rejected_whole() {
        let twin = GOOD.replace("2507716.8", "1.0").replace("2024-02-01T10", "2025-02-01T10");
        let text = format!(
            r#"{{"data":[{{"attributes":{{"name":"NO1","productionPerGroupMbaHour":[{GOOD}]}},"id":"NO1","type":"price-areas"}},
            {{"attributes":{{"name":"Evil twin","productionPerGroupMbaHour":[{twin},{twin}]}},"id":"NO1","type":"price-areas"}}]}}"#
        );
        let p = parse(text.as_bytes());
        assert_eq!(p.data.entities.len(), 1);
        assert_eq!(p.data.entities[0].name, "NO1", "the first listing's name");
        let kept: Vec<f64> = p.data.records().map(|r| r.quantity_kwh).collect();
        assert_eq!(kept, [2507716.8], "the first listing's value, never the twin's newer one");
        assert_eq!(p.data.rejected, 2, "each of the twin's records");
        assert!(p.data.rejection_samples[0].contains("NO1: listed again in the response"));
    }

    #[test]
    fn rejects_bad_records_but_keeps_the_window() {
        let bad = [
            GOOD.replace("2507716.8", "-1.0"),
            GOOD.replace("2507716.8", "\"NaN\""),
            GOOD.replace("2507716.8", "null"),
            GOOD.replace("2507716.8", "1e308"),
            GOOD.replace("\"priceArea\":\"NO1\"", "\"priceArea\":\"NO2\""),
            GOOD.replace("T00:00:00+01:00\"", "T00:30:00+01:00\""),
            GOOD.replace("\"lastUpdatedTime\":\"2024-02-01T10:00:00+01:00\",", ""),
            GOOD.replace("\"productionGroup\":\"hydro\",", ""),
            GOOD.replace("2021-01-01T01:00:00+01:00", "2021-01-01T03:00:00+01:00"),
            GOOD.replace("2021-01-01T00:00:00+01:00", "2020-12-31T23:00:00+01:00"),
        ];
        let all = format!("{GOOD},{}", bad.join(","));
        let p = parse(&body("productionPerGroupMbaHour", &all));
        assert_eq!(p.data.len(), 1);
        assert_eq!(p.data.rejected, bad.len() as u64);
        assert_eq!(p.data.rejection_samples.len(), 5);
        assert!(
            p.data.rejection_samples[0].contains("not a number from 0"),
            "{:?}",
            p.data.rejection_samples
        );
        assert!(p.data.rejection_samples[4].contains("under entity NO1"), "{:?}", p.data.rejection_samples);
    }

    #[test]
    fn records_outside_the_window_are_rejected() {
        let feb = Window::of_month("2021-02".parse::<Month>().unwrap());
        let p = parse_window(&body("productionPerGroupMbaHour", GOOD), Dataset::PRODUCTION, feb).unwrap();
        assert_eq!((p.data.len(), p.data.rejected), (0, 1));
        assert!(p.data.rejection_samples[0].contains("outside the requested window"));
    }

    #[test]
    fn a_missing_records_key_falls_back_to_the_one_array_present() {
        let p = parse(&body("productionPerGroupMbaHourV2", GOOD));
        assert_eq!(p.data.len(), 1);
        assert_eq!(p.fallback_key.as_deref(), Some("productionPerGroupMbaHourV2"));
        // Two candidate arrays: nothing is guessed.
        let two = body("a", GOOD)
            .iter()
            .map(|&b| b as char)
            .collect::<String>()
            .replace(r#""name":"NO1","#, r#""name":"NO1","b":[{}],"#);
        assert_eq!(parse(two.as_bytes()).data.len(), 0);
    }

    #[test]
    fn duplicates_keep_the_newest_revision() {
        let newer = GOOD.replace("2024-02-01", "2024-03-01").replace("2507716.8", "7.0");
        let p = parse(&body("productionPerGroupMbaHour", &format!("{GOOD},{newer}")));
        assert_eq!((p.data.len(), p.data.rejected), (1, 1));
        assert_eq!(p.data.series[0].points[0].kwh, 7.0);
    }

    #[test]
    fn keeps_unknown_groups_and_missing_metering_points() {
        let p = parse(&body("productionPerGroupMbaHour", &GOOD.replace("hydro", "tidal")));
        assert_eq!(p.data.series[0].key.group, "tidal");
        let cons = body("consumptionPerGroupMbaHour", &GOOD.replace("productionGroup", "consumptionGroup"));
        let c = parse_window(&cons, Dataset::CONSUMPTION, jan()).unwrap();
        assert_eq!((c.data.len(), c.data.series[0].points[0].metering_points), (1, None));
    }

    #[test]
    fn municipality_and_grid_area_entities() {
        let day = Window::of_day(chrono::NaiveDate::from_ymd_opt(2024, 11, 1).unwrap());
        let grid = include_bytes!("../../tests/fixtures/elhub-grid-area-2024-11-01-excerpt.json");
        let p = parse_window(grid, Dataset::CONSUMPTION_GRID_AREA, day).unwrap();
        assert_eq!(p.data.rejected, 0);
        assert_eq!(p.data.entities[0].id, "50YWO-6UUIJ4BF1D");
        assert_eq!(p.data.entities[0].name, "EIDSIVA-D");
        assert_eq!(p.data.entities[0].price_area.as_deref(), Some("NO1"));
        assert_eq!(p.data.entities[0].kind, EntityKind::GridArea);
        assert_eq!(p.data.series[0].points[0].metering_points, Some(140210));
        let muni = r#"{"data":[{"type":"municipalities","id":"5041","attributes":{"municipalityNumber":"5041","name":"SnÃ¥sa","nameNo":"Snåsa","consumptionPerGroupMunicipalityHour":[
            {"startTime":"2024-11-01T00:00:00+01:00","endTime":"2024-11-01T01:00:00+01:00","consumptionGroup":"private","quantityKwh":812.5,"meteringPointCount":1450,"lastUpdatedTime":"2024-11-03T01:00:00+01:00"}]}}]}"#;
        let p = parse_window(muni.as_bytes(), Dataset::CONSUMPTION_MUNICIPALITY, day).unwrap();
        assert_eq!((p.data.len(), p.data.rejected), (1, 0));
        assert_eq!(p.data.entities[0].name, "SnÃ¥sa", "names are kept as they come");
        assert_eq!(p.data.series[0].key, SeriesKey::new("5041", "private"));
    }

    #[test]
    fn quarter_hours_must_be_fifteen_minutes_long() {
        let q = GOOD.replace("T01:00:00+01:00", "T00:15:00+01:00");
        let ok =
            parse_window(&body("productionPerGroupMba15Min", &q), Dataset::PRODUCTION_15MIN, jan()).unwrap();
        assert_eq!((ok.data.len(), ok.data.rejected), (1, 0));
        let hour = parse_window(&body("productionPerGroupMba15Min", GOOD), Dataset::PRODUCTION_15MIN, jan())
            .unwrap();
        assert_eq!(
            (hour.data.len(), hour.data.rejected),
            (0, 1),
            "an hour-long record in a 15-minute dataset"
        );
        assert!(hour.data.rejection_samples[0].contains("not 15 min"));
    }

    #[test]
    fn the_fast_time_parser_agrees_with_chrono() {
        for t in [
            "2021-01-01T00:00:00+01:00",
            "2021-10-31T02:00:00+02:00",
            "2024-02-29T23:45:00-03:30",
            "1999-12-31T23:59:59Z",
        ] {
            assert_eq!(fast_rfc3339(t), Some(DateTime::parse_from_rfc3339(t).unwrap().timestamp()), "{t}");
        }
        for t in ["2021-02-30T00:00:00+01:00", "2021-13-01T00:00:00+01:00", "2021-01-01 00:00:00+01:00"] {
            assert_eq!(fast_rfc3339(t), None, "{t}");
        }
        assert_eq!(
            parse_instant(Some("2021-01-01T00:00:00.000+01:00"), "t"),
            Ok(1609455600),
            "other forms via chrono"
        );
    }

    #[test]
    fn a_body_without_data_is_an_error() {
        let e = parse_window(br#"{"links":{},"meta":{}}"#, Dataset::PRODUCTION, jan()).unwrap_err();
        assert_eq!(e.to_string(), "the response has no `data` member");
        assert!(parse_window(br#"{"data":[]}"#, Dataset::PRODUCTION, jan()).unwrap().data.is_empty());
    }

    #[test]
    fn truncated_body_is_an_error() {
        let b = body("productionPerGroupMbaHour", GOOD);
        assert!(parse_window(&b[..b.len() - 10], Dataset::PRODUCTION, jan()).is_err());
    }

    #[test]
    fn error_bodies_become_one_printable_line() {
        let json = br#"{"errors":[{"status":"400","title":"Bad Request","detail":"range too long"}]}"#;
        assert_eq!(error_message(json), "range too long");
        assert_eq!(error_message(b"Service\n  Unavailable"), "Service Unavailable");
        assert_eq!(error_message(b"oops \x1b[2J"), "oops \\u{1b}[2J");
    }
}
