//! Canonical CSV / JSON export, sorted by area, group and start, and the annual summary table.
//!
//! CSV columns (DESIGN.md): `price_area,group,start_utc,end_utc,quantity_kwh,last_updated_utc`,
//! plus `metering_points` for consumption; times as `2021-01-01T00:00:00Z`; quantities in the
//! shortest form that parses back to the same f64. One series is held in memory at a time.

use std::io::Write;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use crate::model::{all_time_utc, format_energy, Dataset, PriceArea, Record};
use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot write the export: {0}")]
    Write(String),
    #[error("the reader of the export went away")]
    BrokenPipe,
}

impl From<std::io::Error> for ExportError {
    fn from(e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            ExportError::BrokenPipe
        } else {
            ExportError::Write(e.to_string())
        }
    }
}

impl From<csv::Error> for ExportError {
    fn from(e: csv::Error) -> Self {
        match e.into_kind() {
            csv::ErrorKind::Io(io) => io.into(),
            other => ExportError::Write(format!("{other:?}")),
        }
    }
}

pub type Result<T> = std::result::Result<T, ExportError>;

pub use crate::cli::ExportFormat;

/// Which records to export.
#[derive(Debug, Clone, Default)]
pub struct ExportFilter {
    pub area: Option<PriceArea>,
    pub group: Option<String>,
}

/// A UTC instant as `2021-01-01T00:00:00Z`.
pub fn utc_text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The CSV header for a dataset.
pub fn csv_header(dataset: Dataset) -> Vec<&'static str> {
    let mut h = vec!["price_area", "group", "start_utc", "end_utc", "quantity_kwh", "last_updated_utc"];
    if dataset == Dataset::Consumption {
        h.push("metering_points");
    }
    h
}

#[derive(Serialize)]
struct JsonRecord<'a> {
    price_area: &'a str,
    group: &'a str,
    start_utc: String,
    end_utc: String,
    quantity_kwh: f64,
    last_updated_utc: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    metering_points: Option<u32>,
}

/// Writes every stored record of `dataset` that passes `filter`; returns how many.
pub async fn export(
    store: &Store,
    dataset: Dataset,
    filter: &ExportFilter,
    format: ExportFormat,
    out: impl Write,
) -> Result<u64> {
    let series = store.series(dataset).await?;
    let (from, to) = all_time_utc();
    let mut count = 0u64;
    let mut writer = RecordWriter::new(dataset, format, out)?;
    for (area, group) in series {
        if filter.area.is_some_and(|a| a != area) || filter.group.as_ref().is_some_and(|g| *g != group) {
            continue;
        }
        let records = store.series_records(dataset, area, &group, from, to).await?;
        for r in &records {
            writer.write(r)?;
        }
        count += records.len() as u64;
    }
    writer.finish()?;
    Ok(count)
}

/// Streams records in one format: the header (or `[`), a record at a time, then `finish`.
pub enum RecordWriter<W: Write> {
    Csv(Box<csv::Writer<W>>, Dataset),
    Json(W, bool),
}

impl<W: Write> RecordWriter<W> {
    pub fn new(dataset: Dataset, format: ExportFormat, out: W) -> Result<Self> {
        Ok(match format {
            ExportFormat::Csv => {
                let mut w = csv::Writer::from_writer(out);
                w.write_record(csv_header(dataset))?;
                RecordWriter::Csv(Box::new(w), dataset)
            }
            ExportFormat::Json => {
                let mut out = out;
                out.write_all(b"[")?;
                RecordWriter::Json(out, true)
            }
        })
    }

    pub fn write(&mut self, r: &Record) -> Result<()> {
        match self {
            RecordWriter::Csv(w, dataset) => {
                let quantity = r.quantity_kwh.to_string();
                let start = utc_text(r.start);
                let end = utc_text(r.end());
                let updated = utc_text(r.last_updated);
                let mut fields = vec![r.area.as_str(), &r.group, &start, &end, &quantity, &updated];
                let points = r.metering_points.map(|p| p.to_string()).unwrap_or_default();
                if *dataset == Dataset::Consumption {
                    fields.push(&points);
                }
                w.write_record(fields)?;
            }
            RecordWriter::Json(out, first) => {
                out.write_all(if *first { b"\n" } else { b",\n" })?;
                *first = false;
                let j = JsonRecord {
                    price_area: r.area.as_str(),
                    group: &r.group,
                    start_utc: utc_text(r.start),
                    end_utc: utc_text(r.end()),
                    quantity_kwh: r.quantity_kwh,
                    last_updated_utc: utc_text(r.last_updated),
                    metering_points: r.metering_points,
                };
                serde_json::to_writer(&mut *out, &j).map_err(std::io::Error::from)?;
            }
        }
        Ok(())
    }

    pub fn finish(self) -> Result<()> {
        match self {
            RecordWriter::Csv(mut w, _) => w.flush()?,
            RecordWriter::Json(mut out, _) => {
                out.write_all(b"\n]\n")?;
                out.flush()?;
            }
        }
        Ok(())
    }
}

/// Reads the canonical CSV back into records (the inverse of the CSV export).
pub fn read_csv(dataset: Dataset, input: impl std::io::Read) -> std::result::Result<Vec<Record>, String> {
    let mut reader = csv::Reader::from_reader(input);
    let header: Vec<String> =
        reader.headers().map_err(|e| e.to_string())?.iter().map(str::to_string).collect();
    if header != csv_header(dataset) {
        return Err(format!("unexpected header {header:?}"));
    }
    let instant = |text: &str| {
        DateTime::parse_from_rfc3339(text).map(|t| t.to_utc()).map_err(|e| format!("bad time '{text}': {e}"))
    };
    let mut out = Vec::new();
    for (i, row) in reader.records().enumerate() {
        let row = row.map_err(|e| e.to_string())?;
        let field = |n: usize| row.get(n).ok_or_else(|| format!("row {}: missing column {n}", i + 1));
        let start = instant(field(2)?)?;
        let record = Record {
            dataset,
            area: field(0)?.parse()?,
            group: field(1)?.to_string(),
            start,
            quantity_kwh: field(4)?.parse().map_err(|e| format!("row {}: quantity: {e}", i + 1))?,
            last_updated: instant(field(5)?)?,
            metering_points: match dataset {
                Dataset::Production => None,
                Dataset::Consumption => {
                    Some(field(6)?.parse().map_err(|e| format!("row {}: points: {e}", i + 1))?)
                }
            },
        };
        if instant(field(3)?)? != record.end() {
            return Err(format!("row {}: end_utc is not one hour after start_utc", i + 1));
        }
        out.push(record);
    }
    Ok(out)
}

/// The annual totals table: per year, per area, each group with its total, share and hours.
pub async fn summary(
    store: &Store,
    dataset: Dataset,
    years: &[i32],
    area: Option<PriceArea>,
) -> Result<String> {
    use std::fmt::Write as _;
    let mut s = String::new();
    for &year in years {
        let _ = writeln!(s, "{dataset} {year} (local year, Europe/Oslo)");
        let _ = writeln!(
            s,
            "{:<5} {:<13} {:<10} {:>12} {:>7} {:>6}",
            "area", "city", "group", "total", "share", "hours"
        );
        let mut any = false;
        for a in PriceArea::ALL.into_iter().filter(|a| area.is_none_or(|x| x == *a)) {
            let totals = store.annual_totals(dataset, a, year).await?;
            let sum: f64 = totals.iter().map(|t| t.kwh).sum();
            for t in &totals {
                any = true;
                let share = if sum > 0.0 { 100.0 * t.kwh / sum } else { 0.0 };
                let _ = writeln!(
                    s,
                    "{:<5} {:<13} {:<10} {:>12} {:>6.1}% {:>6}",
                    a.as_str(),
                    a.city(),
                    t.group,
                    format_energy(t.kwh),
                    share,
                    t.hours
                );
            }
            if !totals.is_empty() {
                let _ = writeln!(
                    s,
                    "{:<5} {:<13} {:<10} {:>12}",
                    a.as_str(),
                    a.city(),
                    "all",
                    format_energy(sum)
                );
            }
        }
        if !any {
            let _ = writeln!(s, "(nothing stored for {year}; run --ingest-only with --year {year})");
        }
        let _ = writeln!(s);
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_utc_with_z() {
        let t = DateTime::parse_from_rfc3339("2021-01-01T01:00:00+01:00").unwrap().to_utc();
        assert_eq!(utc_text(t), "2021-01-01T00:00:00Z");
    }

    #[test]
    fn quantities_round_trip_in_shortest_form() {
        for q in [2507716.8, 0.0, 0.1 + 0.2, 1982521.123, 5e-324, 1.7976931348623157e308] {
            let text = q.to_string();
            assert_eq!(text.parse::<f64>().unwrap(), q, "{text}");
        }
        assert_eq!(2507716.8f64.to_string(), "2507716.8");
    }

    #[test]
    fn csv_round_trips_awkward_groups_and_quantities() {
        let t0 = DateTime::parse_from_rfc3339("2021-10-31T01:00:00Z").unwrap().to_utc();
        let groups =
            ["hydro", "with,comma", "with \"quotes\"", "line\nbreak", " padded ", "vannkraft æøå", ""];
        let quantities = [0.0, 2507716.8, 0.1 + 0.2, 5e-324, 1.7976931348623157e308, 123456789.12345679];
        for dataset in Dataset::ALL {
            let records: Vec<Record> = groups
                .iter()
                .zip(quantities.iter().cycle())
                .enumerate()
                .map(|(i, (g, q))| Record {
                    dataset,
                    area: PriceArea::ALL[i % 5],
                    group: g.to_string(),
                    start: t0 + chrono::Duration::hours(i as i64),
                    quantity_kwh: *q,
                    last_updated: t0 + chrono::Duration::days(40),
                    metering_points: (dataset == Dataset::Consumption).then_some(i as u32 * 1000),
                })
                .collect();
            let mut out = Vec::new();
            let mut w = RecordWriter::new(dataset, ExportFormat::Csv, &mut out).unwrap();
            for r in &records {
                w.write(r).unwrap();
            }
            w.finish().unwrap();
            assert_eq!(read_csv(dataset, out.as_slice()).unwrap(), records);
        }
    }

    #[test]
    fn consumption_has_metering_points() {
        assert_eq!(
            csv_header(Dataset::Production).join(","),
            "price_area,group,start_utc,end_utc,quantity_kwh,last_updated_utc"
        );
        assert_eq!(csv_header(Dataset::Consumption).last(), Some(&"metering_points"));
    }
}
