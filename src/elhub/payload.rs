//! The API's JSON:API payload: serde types and their normalisation into `Record`s.
//!
//! A response is parsed in one pass with borrowed strings. The `"*"` aggregate element is
//! skipped, offsets become UTC, unknown groups are kept, and a bad record (a missing field, a
//! non-finite or negative quantity, a time not on the hour) is rejected and counted without
//! failing the rest of the window.

use std::borrow::Cow;
use std::fmt;

use chrono::{DateTime, Duration, Timelike, Utc};
use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

use crate::model::{Dataset, PriceArea, Record};

#[derive(Debug, thiserror::Error)]
pub enum PayloadError {
    /// The body is not the JSON:API document expected (truncated, malformed, wrong shape).
    #[error("unparsable response body: {0}")]
    Malformed(#[from] serde_json::Error),
}

pub type Result<T> = std::result::Result<T, PayloadError>;

/// How many rejection reasons are kept verbatim; the rest are only counted.
const KEPT_REASONS: usize = 5;

/// The records of one response, and what was rejected from it.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ParsedWindow {
    pub records: Vec<Record>,
    pub rejected: u64,
    /// The first few rejection reasons, for the log and the summary.
    pub rejection_samples: Vec<String>,
}

impl ParsedWindow {
    /// Appends another part (a split window) to this one.
    pub fn absorb(&mut self, other: ParsedWindow) {
        self.records.extend(other.records);
        self.rejected += other.rejected;
        let room = KEPT_REASONS.saturating_sub(self.rejection_samples.len());
        self.rejection_samples.extend(other.rejection_samples.into_iter().take(room));
    }

    fn reject(&mut self, reason: String) {
        self.rejected += 1;
        if self.rejection_samples.len() < KEPT_REASONS {
            self.rejection_samples.push(reason);
        }
    }
}

#[derive(Deserialize)]
struct Document<'a> {
    #[serde(borrow, default)]
    data: Vec<Element<'a>>,
}

#[derive(Deserialize)]
struct Element<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(borrow)]
    attributes: Attributes<'a>,
}

#[derive(Deserialize)]
struct Attributes<'a> {
    #[serde(borrow, rename = "productionPerGroupMbaHour", default)]
    production: Vec<RawRecord<'a>>,
    #[serde(borrow, rename = "consumptionPerGroupMbaHour", default)]
    consumption: Vec<RawRecord<'a>>,
}

/// A record as sent, every field optional so one bad record does not fail the window.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawRecord<'a> {
    #[serde(borrow)]
    start_time: Option<Cow<'a, str>>,
    #[serde(borrow)]
    end_time: Option<Cow<'a, str>>,
    #[serde(borrow)]
    last_updated_time: Option<Cow<'a, str>>,
    #[serde(borrow)]
    price_area: Option<Cow<'a, str>>,
    #[serde(borrow)]
    production_group: Option<Cow<'a, str>>,
    #[serde(borrow)]
    consumption_group: Option<Cow<'a, str>>,
    #[serde(default)]
    quantity_kwh: Lenient,
    #[serde(default)]
    metering_point_count: Lenient,
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
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut a: A) -> std::result::Result<Lenient, A::Error> {
                while a.next_element::<de::IgnoredAny>()?.is_some() {}
                Ok(Lenient::Other)
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut a: A) -> std::result::Result<Lenient, A::Error> {
                while a.next_entry::<de::IgnoredAny, de::IgnoredAny>()?.is_some() {}
                Ok(Lenient::Other)
            }
        }
        d.deserialize_any(V)
    }
}

/// Parses one response body of `dataset` into records.
pub fn parse_window(body: &[u8], dataset: Dataset) -> Result<ParsedWindow> {
    let doc: Document = serde_json::from_slice(body)?;
    let mut out = ParsedWindow::default();
    for element in doc.data {
        if element.id == "*" {
            continue; // the aggregate placeholder, always empty
        }
        let list = match dataset {
            Dataset::Production => element.attributes.production,
            Dataset::Consumption => element.attributes.consumption,
        };
        out.records.reserve(list.len());
        for raw in list {
            match normalise(raw, dataset) {
                Ok(record) => out.records.push(record),
                Err(reason) => out.reject(format!("{}: {reason}", element.id)),
            }
        }
    }
    Ok(out)
}

fn normalise(raw: RawRecord, dataset: Dataset) -> std::result::Result<Record, String> {
    let area: PriceArea = raw.price_area.as_deref().ok_or("missing priceArea")?.parse()?;
    let group = match dataset {
        Dataset::Production => raw.production_group,
        Dataset::Consumption => raw.consumption_group,
    }
    .ok_or_else(|| format!("missing {}", dataset.group_field()))?;
    if group.trim().is_empty() {
        return Err(format!("empty {}", dataset.group_field()));
    }
    let start = parse_instant(raw.start_time.as_deref(), "startTime")?;
    if start.minute() != 0 || start.second() != 0 || start.nanosecond() != 0 {
        return Err(format!("startTime {start} is not on the hour"));
    }
    let end = parse_instant(raw.end_time.as_deref(), "endTime")?;
    if end - start != Duration::hours(1) {
        return Err(format!("endTime {end} is not one hour after startTime {start}"));
    }
    let last_updated = parse_instant(raw.last_updated_time.as_deref(), "lastUpdatedTime")?;
    let quantity_kwh = match raw.quantity_kwh {
        Lenient::Number(q) if q.is_finite() && q >= 0.0 => q,
        Lenient::Number(q) => return Err(format!("quantityKwh {q} is not a finite, non-negative number")),
        Lenient::Missing => return Err("missing quantityKwh".into()),
        Lenient::Other => return Err("quantityKwh is not a number".into()),
    };
    let metering_points = match (dataset, raw.metering_point_count) {
        (Dataset::Production, _) => None,
        (Dataset::Consumption, Lenient::Number(n))
            if n >= 0.0 && n.fract() == 0.0 && n <= u32::MAX as f64 =>
        {
            Some(n as u32)
        }
        (Dataset::Consumption, Lenient::Missing) => return Err("missing meteringPointCount".into()),
        (Dataset::Consumption, _) => return Err("meteringPointCount is not a whole number".into()),
    };
    Ok(Record {
        dataset,
        area,
        group: group.into_owned(),
        start,
        quantity_kwh,
        last_updated,
        metering_points,
    })
}

fn parse_instant(value: Option<&str>, field: &str) -> std::result::Result<DateTime<Utc>, String> {
    let text = value.ok_or_else(|| format!("missing {field}"))?;
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| format!("{field} '{text}' is not an ISO 8601 time with offset"))
}

/// The message of a JSON:API error body (`{"errors":[{"title":..,"detail":..}]}`), or the
/// start of a text body.
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
    if let Ok(e) = serde_json::from_slice::<Errors>(body) {
        let parts: Vec<String> =
            e.errors.into_iter().filter_map(|o| o.detail.or(o.title).or(o.code)).collect();
        if !parts.is_empty() {
            return parts.join("; ");
        }
    }
    let text = String::from_utf8_lossy(body);
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut cut: String = one_line.chars().take(200).collect();
    if one_line.chars().count() > 200 {
        cut.push('…');
    }
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(records: &str) -> Vec<u8> {
        format!(
            r#"{{"data":[{{"attributes":{{"country":"NO","eic":"*","name":"*","productionPerGroupMbaHour":[]}},"id":"*","type":"price-areas"}},
            {{"attributes":{{"name":"NO1","productionPerGroupMbaHour":[{records}]}},"id":"NO1","type":"price-areas"}}]}}"#
        )
        .into_bytes()
    }

    const GOOD: &str = r#"{"endTime":"2021-01-01T01:00:00+01:00","lastUpdatedTime":"2024-02-01T10:00:00+01:00","priceArea":"NO1","productionGroup":"hydro","quantityKwh":2507716.8,"startTime":"2021-01-01T00:00:00+01:00"}"#;

    #[test]
    fn converts_offsets_to_utc() {
        let parsed = parse_window(&body(GOOD), Dataset::Production).unwrap();
        assert_eq!(parsed.rejected, 0);
        let r = &parsed.records[0];
        assert_eq!(r.start.to_rfc3339(), "2020-12-31T23:00:00+00:00");
        assert_eq!(r.quantity_kwh, 2507716.8);
        assert_eq!(r.area, PriceArea::NO1);
        assert_eq!(r.group, "hydro");
    }

    #[test]
    fn rejects_bad_records_but_keeps_the_window() {
        let bad = [
            GOOD.replace("2507716.8", "-1.0"),
            GOOD.replace("2507716.8", "\"NaN\""),
            GOOD.replace("2507716.8", "null"),
            GOOD.replace("\"priceArea\":\"NO1\",", ""),
            GOOD.replace("T00:00:00+01:00\"", "T00:30:00+01:00\""),
            GOOD.replace("\"lastUpdatedTime\":\"2024-02-01T10:00:00+01:00\",", ""),
            GOOD.replace("\"productionGroup\":\"hydro\",", ""),
            GOOD.replace("2021-01-01T01:00:00+01:00", "2021-01-01T03:00:00+01:00"),
        ];
        let all = format!("{GOOD},{}", bad.join(","));
        let parsed = parse_window(&body(&all), Dataset::Production).unwrap();
        assert_eq!(parsed.records.len(), 1);
        assert_eq!(parsed.rejected, bad.len() as u64);
        assert_eq!(parsed.rejection_samples.len(), KEPT_REASONS);
        assert!(parsed.rejection_samples[0].contains("not a finite"), "{:?}", parsed.rejection_samples);
    }

    #[test]
    fn keeps_unknown_groups() {
        let parsed = parse_window(&body(&GOOD.replace("hydro", "tidal")), Dataset::Production).unwrap();
        assert_eq!(parsed.records[0].group, "tidal");
    }

    #[test]
    fn truncated_body_is_an_error() {
        let b = body(GOOD);
        assert!(parse_window(&b[..b.len() - 10], Dataset::Production).is_err());
    }

    #[test]
    fn error_bodies_become_one_line() {
        let json = br#"{"errors":[{"status":"400","title":"Bad Request","detail":"range too long"}]}"#;
        assert_eq!(error_message(json), "range too long");
        assert_eq!(error_message(b"Service\n  Unavailable"), "Service Unavailable");
    }
}
