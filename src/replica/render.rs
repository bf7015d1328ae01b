//! JSON:API bodies in the API's shape (ELHUB_API.md) for every entity kind: the `"*"` element
//! first in a listing, each entity's attributes (`eic` and `name` for areas; `municipalityNumber`,
//! `name` and `nameNo` for municipalities; `eic`, `name`, `status` and the `price-area`
//! relationship for grid areas) and its records under the dataset's records key.
//!
//! Written by hand rather than through serde: the replica renders millions of records for the
//! benchmarks, and three local times per record are most of the work.

use std::fmt::Write;

use super::places::place;
use crate::model::{write_local, Dataset, EntityKind, PriceArea, WindowData};

/// The body for one request. `listing` is true for `/{entity}` (all entities, with the `"*"`
/// element), false for `/{entity}/{id}`.
pub fn render(data: &WindowData, listing: bool, link: &str, created: i64) -> Vec<u8> {
    let dataset = data.dataset;
    let spec = dataset.spec();
    let kind = spec.entity;
    let mut out = String::with_capacity(64 + data.len() * 260);
    out.push_str("{\"data\":[");
    if listing {
        out.push_str("{\"attributes\":{");
        entity_attributes(&mut out, kind, "*", "*");
        let _ = write!(out, ",\"{}\":[]}},\"id\":\"*\",\"type\":\"{}\"}}", spec.records_key, kind.path());
    }
    let mut series = data.series.iter().peekable();
    for (n, entity) in data.entities.iter().enumerate() {
        if listing || n > 0 {
            out.push(',');
        }
        out.push_str("{\"attributes\":{");
        entity_attributes(&mut out, kind, &entity.id, &entity.name);
        let _ = write!(out, ",\"{}\":[", spec.records_key);
        let mut first = true;
        while let Some(s) = series.next_if(|s| s.key.entity == entity.id) {
            for p in &s.points {
                if !first {
                    out.push(',');
                }
                first = false;
                record(
                    &mut out,
                    dataset,
                    &entity.id,
                    &s.key.group,
                    p.start,
                    p.kwh,
                    p.updated,
                    p.metering_points,
                );
            }
        }
        out.push_str("]},\"id\":");
        json_string(&mut out, &entity.id);
        if let Some(area) = &entity.price_area {
            out.push_str(",\"relationships\":{\"grid-owner\":{\"data\":{\"id\":\"7080005046220\",\"type\":\"parties\"}},\"price-area\":{\"data\":{\"id\":");
            json_string(&mut out, area);
            out.push_str(",\"type\":\"price-areas\"}}}");
        }
        let _ = write!(out, ",\"type\":\"{}\"}}", kind.path());
    }
    out.push_str("],\"links\":{\"self\":");
    json_string(&mut out, link);
    out.push_str("},\"meta\":{\"created\":\"");
    write_local(created, &mut out);
    out.push_str("\"}}");
    out.into_bytes()
}

fn entity_attributes(out: &mut String, kind: EntityKind, id: &str, name: &str) {
    match kind {
        EntityKind::PriceArea => {
            let eic = id.parse::<PriceArea>().map_or("*", PriceArea::eic);
            out.push_str("\"country\":\"NO\",\"eic\":");
            json_string(out, eic);
            out.push_str(",\"name\":");
            json_string(out, name);
        }
        EntityKind::Municipality => {
            out.push_str("\"municipalityNumber\":");
            json_string(out, id);
            out.push_str(",\"name\":");
            json_string(out, name);
            out.push_str(",\"nameNo\":");
            json_string(out, place(kind, id).map_or(name, |p| p.name_no.as_str()));
        }
        EntityKind::GridArea => {
            out.push_str("\"eic\":");
            json_string(out, id);
            out.push_str(",\"name\":");
            json_string(out, name);
            out.push_str(",\"status\":\"Active\"");
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn record(
    out: &mut String,
    dataset: Dataset,
    entity: &str,
    group: &str,
    start: i64,
    kwh: f64,
    updated: i64,
    metering_points: Option<u32>,
) {
    let spec = dataset.spec();
    out.push_str("{\"");
    out.push_str(spec.group_field);
    out.push_str("\":");
    json_string(out, group);
    out.push_str(",\"endTime\":\"");
    write_local(start + spec.resolution.seconds(), out);
    if let Some(field) = spec.entity.record_field() {
        out.push_str("\",\"");
        out.push_str(field);
        out.push_str("\":");
        json_string(out, entity);
        out.push_str(",\"lastUpdatedTime\":\"");
    } else {
        out.push_str("\",\"lastUpdatedTime\":\"");
    }
    write_local(updated, out);
    out.push('"');
    if let Some(n) = metering_points {
        let _ = write!(out, ",\"meteringPointCount\":{n}");
    }
    // f64's Display is the shortest text that reads back to the same number.
    let _ = write!(out, ",\"quantityKwh\":{kwh:?},\"startTime\":\"");
    write_local(start, out);
    out.push_str("\"}");
}

/// A JSON string literal.
fn json_string(out: &mut String, s: &str) {
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.push('"');
        out.push_str(s);
        out.push('"');
    } else {
        out.push_str(&serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elhub::parse_window;
    use crate::model::{Month, Window};
    use crate::replica::generator::window_data;
    use chrono::Utc;

    #[test]
    fn every_dataset_renders_what_the_parser_reads_back() {
        for dataset in Dataset::all() {
            let month: Month = "2024-11".parse().unwrap();
            let window = crate::elhub::request_windows(dataset, month, Utc::now())[0];
            let data = window_data(dataset, window, Utc::now(), None, None, &[]);
            assert!(!data.is_empty(), "{dataset}");
            let body = render(&data, true, "/x?dataset=\"q\"", 0);
            let back = parse_window(&body, dataset, window).unwrap();
            assert_eq!(back.fallback_key, None, "{dataset}");
            assert_eq!(back.data.rejected, 0, "{dataset}: {:?}", back.data.rejection_samples);
            assert_eq!(back.data.series, data.series, "{dataset}");
            assert_eq!(back.data.entities, data.entities, "{dataset}");
        }
    }

    #[test]
    fn quantities_are_written_in_the_shortest_exact_form() {
        let w = Window::of_month("2021-01".parse().unwrap());
        let mut data = window_data(Dataset::PRODUCTION, w, Utc::now(), Some("NO1"), Some("hydro"), &[]);
        data.series[0].points.truncate(1);
        data.series[0].points[0].kwh = 0.1 + 0.2;
        let body = String::from_utf8(render(&data, false, "/", 0)).unwrap();
        assert!(body.contains("\"quantityKwh\":0.30000000000000004"), "{body}");
        assert!(body.starts_with("{\"data\":[{\"attributes\":{\"country\":\"NO\",\"eic\":\"10YNO-1--------2\",\"name\":\"NO1\""), "{body}");
    }
}
