//! Exports, sorted by entity, group and start: canonical CSV and JSON (`RecordWriter`) and
//! Parquet (`parquet`), one file or a Hive-style tree of them.
//!
//! CSV columns (DESIGN.md): the entity's column (`price_area`, `municipality` or `grid_area`),
//! then `group,start_utc,end_utc,quantity_kwh,last_updated_utc`, plus `metering_points` where
//! the dataset has them, then `start_local` (with its offset) and `entity_name` (appended, so
//! readers of the first columns keep working); times as `2021-01-01T00:00:00Z`; quantities in
//! the shortest form that parses back to the same f64. One series is held in memory at a time.

pub mod parquet;

use std::io::Write;

use chrono::{DateTime, Utc};
use serde::ser::{SerializeMap, Serializer};
use tokio::sync::mpsc;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::model::{format_local, printable, utc_text, Dataset, Record, SeriesKey};
use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot write the export: {0}")]
    Write(String),
    #[error("the reader of the export went away")]
    BrokenPipe,
    #[error("cannot write the Parquet file: {0}")]
    Parquet(String),
}

impl From<::parquet::errors::ParquetError> for ExportError {
    fn from(e: ::parquet::errors::ParquetError) -> Self {
        match e {
            ::parquet::errors::ParquetError::External(inner) => match inner.downcast::<std::io::Error>() {
                Ok(io) => (*io).into(),
                Err(other) => ExportError::Parquet(other.to_string()),
            },
            other => ExportError::Parquet(other.to_string()),
        }
    }
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

/// The export's output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    Csv,
    Json,
    /// Typed columns, zstd-compressed (the SQL views' columns).
    Parquet,
}

/// The CSV header for a dataset.
pub fn csv_header(dataset: Dataset) -> Vec<&'static str> {
    let mut h =
        vec![dataset.entity().column(), "group", "start_utc", "end_utc", "quantity_kwh", "last_updated_utc"];
    if dataset.has_metering_points() {
        h.push("metering_points");
    }
    h.extend(["start_local", "entity_name"]);
    h
}

/// What to export: the series (chosen by the caller from `--entity`, `--area`, `--group`) of
/// a dataset over [from, to), in a format, with the entities' names (id → name); with
/// `escape`, control characters in entity and group names become visible escapes (for a
/// terminal, not a file).
#[derive(Debug, Clone)]
pub struct ExportJob {
    pub dataset: Dataset,
    pub series: Vec<SeriesKey>,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub format: ExportFormat,
    pub escape: bool,
    pub names: HashMap<String, String>,
}

impl ExportJob {
    /// All of the series' records, unescaped, without names (the id stands for the name).
    pub fn all_of(dataset: Dataset, series: Vec<SeriesKey>, format: ExportFormat) -> ExportJob {
        let (from, to) = crate::model::all_time_utc();
        ExportJob { dataset, series, from, to, format, escape: false, names: HashMap::new() }
    }
}

/// The names to export for a dataset's entities: id → the name shown (repaired where the API
/// sent it mis-encoded).
pub async fn names_of(store: &Store, dataset: Dataset) -> Result<HashMap<String, String>> {
    Ok(store
        .entities(dataset.entity())
        .await?
        .iter()
        .map(|e| (e.id.clone(), e.display_name().into_owned()))
        .collect())
}

/// Feeds every stored record the job asks for to `sink`, read as one snapshot where the store
/// can give one (SQLite: a window written meanwhile is all in or all out); returns how many.
async fn each_record(
    store: &Store,
    job: &ExportJob,
    mut sink: impl FnMut(Record) -> Result<()>,
) -> Result<u64> {
    let (tx, mut rx) = mpsc::channel(2);
    let read = store.snapshot(job.dataset, job.series.clone(), job.from, job.to, tx);
    let write = async move {
        let mut count = 0u64;
        while let Some(chunk) = rx.recv().await {
            for r in chunk? {
                sink(r)?;
                count += 1;
            }
        }
        Ok(count)
    };
    // The reader stops as soon as the writer has gone (its channel closes).
    let ((), written) = tokio::join!(read, write);
    written
}

/// Writes every stored record the job asks for as CSV or JSON; returns how many.
pub async fn export(store: &Store, job: &ExportJob, out: impl Write) -> Result<u64> {
    let mut writer = RecordWriter::new(job.dataset, job.format, out)?.with_names(job.names.clone());
    let escape = job.escape;
    let count = each_record(store, job, |mut r| {
        if escape {
            r.entity = printable(&r.entity).into_owned();
            r.group = printable(&r.group).into_owned();
        }
        writer.write(&r)
    })
    .await?;
    writer.finish()?;
    Ok(count)
}

/// Writes every stored record the job asks for as one Parquet file; returns how many.
pub async fn export_parquet(store: &Store, job: &ExportJob, out: impl Write + Send) -> Result<u64> {
    let mut writer = parquet::ParquetWriter::new(job.dataset, job.names.clone(), out)?;
    each_record(store, job, |r| Ok(writer.write(&r)?)).await?;
    Ok(writer.finish()?)
}

/// Writes the job's records as a Hive-style tree under `dir`, a file per local year:
/// `dataset=<alias>/year=<YYYY>/part-0.parquet` (each whole or not at all; a year without
/// records gets no file). Spark, DuckDB, polars and pyarrow read the tree as one table with
/// `dataset` and `year` columns. Returns each file written with its record count.
pub async fn export_partitioned(store: &Store, job: &ExportJob, dir: &Path) -> Result<Vec<(PathBuf, u64)>> {
    use chrono::Datelike;
    let year_of = |t: DateTime<Utc>| t.with_timezone(&crate::model::LOCAL_TZ).year();
    let (first, last) = (year_of(job.from), year_of(job.to - chrono::Duration::seconds(1)));
    let mut years: Vec<i32> = store
        .coverage(job.dataset)
        .await?
        .iter()
        .filter(|c| c.records > 0)
        .map(|c| c.month.year())
        .filter(|y| (first..=last).contains(y))
        .collect();
    years.dedup();
    let mut written = Vec::new();
    for year in years {
        let (from, to) = crate::model::year_bounds_utc(year);
        let of_year = ExportJob { from: from.max(job.from), to: to.min(job.to), ..job.clone() };
        let folder = dir.join(format!("dataset={}", job.dataset)).join(format!("year={year}"));
        std::fs::create_dir_all(&folder)
            .map_err(|e| ExportError::Write(format!("{}: {e}", folder.display())))?;
        let path = folder.join("part-0.parquet");
        let mut out = crate::outfile::OutFile::create(&path, crate::outfile::Links::Follow)?;
        let n = export_parquet(store, &of_year, std::io::BufWriter::new(out.file())).await?;
        if n > 0 {
            out.commit()?;
            written.push((path, n));
        } else {
            // Filtered down to nothing: no file, and no empty folders left behind.
            drop(out);
            let _ = std::fs::remove_dir(&folder);
            let _ = std::fs::remove_dir(dir.join(format!("dataset={}", job.dataset)));
        }
    }
    Ok(written)
}

/// Streams records as CSV or JSON: the header (or `[`), a record at a time, then `finish`.
pub struct RecordWriter<W: Write> {
    out: Text<W>,
    dataset: Dataset,
    /// Entity id → name; an entity without one is named by its id.
    names: HashMap<String, String>,
}

enum Text<W: Write> {
    Csv(Box<csv::Writer<W>>),
    Json(W, bool),
}

impl<W: Write> RecordWriter<W> {
    /// A writer of CSV or JSON (Parquet has its own, `parquet::ParquetWriter`).
    pub fn new(dataset: Dataset, format: ExportFormat, out: W) -> Result<Self> {
        let out = match format {
            ExportFormat::Csv => {
                let mut w = csv::Writer::from_writer(out);
                w.write_record(csv_header(dataset))?;
                Text::Csv(Box::new(w))
            }
            ExportFormat::Json => {
                let mut out = out;
                out.write_all(b"[")?;
                Text::Json(out, true)
            }
            ExportFormat::Parquet => {
                return Err(ExportError::Write("Parquet is written by export_parquet".into()))
            }
        };
        Ok(RecordWriter { out, dataset, names: HashMap::new() })
    }

    /// Names the entities (id → name) in the `entity_name` column.
    pub fn with_names(mut self, names: HashMap<String, String>) -> Self {
        self.names = names;
        self
    }

    pub fn write(&mut self, r: &Record) -> Result<()> {
        let name = self.names.get(&r.entity).map_or(r.entity.as_str(), String::as_str);
        let local = format_local(r.start);
        match &mut self.out {
            Text::Csv(w) => {
                let quantity = shortest(r.quantity_kwh);
                let start = utc_text(r.start);
                let end = utc_text(r.end);
                let updated = utc_text(r.last_updated);
                let mut fields = vec![r.entity.as_str(), &r.group, &start, &end, &quantity, &updated];
                let points = r.metering_points.map(|p| p.to_string()).unwrap_or_default();
                if self.dataset.has_metering_points() {
                    fields.push(&points);
                }
                fields.extend([local.as_str(), name]);
                w.write_record(fields)?;
            }
            Text::Json(out, first) => {
                out.write_all(if *first { b"\n" } else { b",\n" })?;
                *first = false;
                json_record(&mut *out, r, &local, name).map_err(std::io::Error::from)?;
            }
        }
        Ok(())
    }

    pub fn finish(self) -> Result<()> {
        match self.out {
            Text::Csv(mut w) => w.flush()?,
            Text::Json(mut out, _) => {
                out.write_all(b"\n]\n")?;
                out.flush()?;
            }
        }
        Ok(())
    }
}

pub use crate::model::shortest;

/// One record as a JSON object, keys in the CSV's order (serde_json keeps the order written).
fn json_record(out: impl Write, r: &Record, local: &str, name: &str) -> serde_json::Result<()> {
    let mut ser = serde_json::Serializer::new(out);
    let mut map = ser.serialize_map(None)?;
    map.serialize_entry(r.dataset.entity().column(), &r.entity)?;
    map.serialize_entry("group", &r.group)?;
    map.serialize_entry("start_utc", &utc_text(r.start))?;
    map.serialize_entry("end_utc", &utc_text(r.end))?;
    map.serialize_entry("quantity_kwh", &r.quantity_kwh)?;
    map.serialize_entry("last_updated_utc", &utc_text(r.last_updated))?;
    if let Some(p) = r.metering_points {
        map.serialize_entry("metering_points", &p)?;
    }
    map.serialize_entry("start_local", local)?;
    map.serialize_entry("entity_name", name)?;
    map.end()
}

/// Reads the canonical CSV back into records (the inverse of the CSV export).
pub fn read_csv(dataset: Dataset, input: impl std::io::Read) -> std::result::Result<Vec<Record>, String> {
    let mut reader = csv::Reader::from_reader(input);
    let header: Vec<String> =
        reader.headers().map_err(|e| e.to_string())?.iter().map(str::to_string).collect();
    // The columns of earlier versions (without start_local and entity_name) are read too.
    let full = csv_header(dataset);
    if header != full && header != full[..full.len() - 2] {
        return Err(format!("unexpected header {header:?}"));
    }
    let instant = |text: &str| {
        DateTime::parse_from_rfc3339(text).map(|t| t.to_utc()).map_err(|e| format!("bad time '{text}': {e}"))
    };
    let mut out = Vec::new();
    for (i, row) in reader.records().enumerate() {
        let row = row.map_err(|e| e.to_string())?;
        let field = |n: usize| row.get(n).ok_or_else(|| format!("row {}: missing column {n}", i + 1));
        let points = if dataset.has_metering_points() {
            let text = field(6)?;
            (!text.is_empty())
                .then(|| text.parse().map_err(|e| format!("row {}: points: {e}", i + 1)))
                .transpose()?
        } else {
            None
        };
        let record = Record {
            dataset,
            entity: field(0)?.to_string(),
            group: field(1)?.to_string(),
            start: instant(field(2)?)?,
            end: instant(field(3)?)?,
            quantity_kwh: field(4)?.parse().map_err(|e| format!("row {}: quantity: {e}", i + 1))?,
            last_updated: instant(field(5)?)?,
            metering_points: points,
        };
        if (record.end - record.start).num_seconds() != dataset.resolution().seconds() {
            return Err(format!(
                "row {}: end_utc is not {} after start_utc",
                i + 1,
                dataset.resolution().label()
            ));
        }
        out.push(record);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Point;

    #[test]
    fn quantities_round_trip_in_shortest_form() {
        for q in [2507716.8, 0.0, 0.1 + 0.2, 1982521.123, 5e-324, 1.7976931348623157e308, 1e-5, 9.99e-6] {
            let text = shortest(q);
            assert_eq!(text.parse::<f64>().unwrap(), q, "{text}");
            assert!(text.len() <= 24, "{text} is not short");
        }
        assert_eq!(shortest(5e-324), "5e-324");
        assert_eq!(shortest(1.5e-7), "1.5e-7");
        assert_eq!(shortest(2507716.8), "2507716.8", "the usual values as before");
        assert_eq!(shortest(0.00001), "0.00001");
        assert_eq!(shortest(100000000000.0), "100000000000");
        let p = Point { start: 0, kwh: 5e-324, updated: 0, metering_points: None };
        let mut out = Vec::new();
        let mut w = RecordWriter::new(Dataset::PRODUCTION, ExportFormat::Csv, &mut out).unwrap();
        w.write(&Record::new(Dataset::PRODUCTION, "NO1", "hydro", &p)).unwrap();
        w.finish().unwrap();
        let csv = String::from_utf8(out).unwrap();
        assert!(csv.contains(",5e-324,") && csv.len() < 200, "{csv}");
    }

    #[test]
    fn csv_round_trips_awkward_groups_and_quantities_for_every_dataset() {
        let t0 = DateTime::parse_from_rfc3339("2021-10-31T01:00:00Z").unwrap().timestamp();
        let groups =
            ["hydro", "with,comma", "with \"quotes\"", "line\nbreak", " padded ", "vannkraft æøå", ""];
        let quantities = [0.0, 2507716.8, 0.1 + 0.2, 5e-324, 1.7976931348623157e308, 123456789.12345679];
        for dataset in Dataset::all() {
            let records: Vec<Record> = groups
                .iter()
                .zip(quantities.iter().cycle())
                .enumerate()
                .map(|(i, (g, q))| {
                    let p = Point {
                        start: t0 + i as i64 * dataset.resolution().seconds(),
                        kwh: *q,
                        updated: t0 + 40 * 86_400,
                        metering_points: dataset.has_metering_points().then_some(i as u32 * 1000),
                    };
                    Record::new(dataset, ["NO1", "0301", "50YWO-6UUIJ4BF1D"][i % 3], g, &p)
                })
                .collect();
            let mut out = Vec::new();
            let mut w = RecordWriter::new(dataset, ExportFormat::Csv, &mut out).unwrap();
            for r in &records {
                w.write(r).unwrap();
            }
            w.finish().unwrap();
            assert_eq!(read_csv(dataset, out.as_slice()).unwrap(), records, "{dataset}");
        }
    }

    #[test]
    fn the_first_column_is_named_after_the_entity_and_local_time_and_name_come_last() {
        assert_eq!(
            csv_header(Dataset::PRODUCTION).join(","),
            "price_area,group,start_utc,end_utc,quantity_kwh,last_updated_utc,start_local,entity_name"
        );
        assert_eq!(
            csv_header(Dataset::CONSUMPTION)[6..],
            ["metering_points", "start_local", "entity_name"],
            "the new columns are appended, after those earlier readers know"
        );
        assert_eq!(csv_header(Dataset::CONSUMPTION_MUNICIPALITY)[0], "municipality");
        assert_eq!(csv_header(Dataset::CONSUMPTION_GRID_AREA)[0], "grid_area");
        // The second 02:00 of 30 October 2022 (winter time again), named.
        let p = Point { start: 1_667_091_600, kwh: 1.5, updated: 0, metering_points: Some(7) };
        let names: HashMap<String, String> = [("0301".to_string(), "Oslo".to_string())].into();
        let mut out = Vec::new();
        let mut w = RecordWriter::new(Dataset::CONSUMPTION_MUNICIPALITY, ExportFormat::Json, &mut out)
            .unwrap()
            .with_names(names.clone());
        w.write(&Record::new(Dataset::CONSUMPTION_MUNICIPALITY, "0301", "private", &p)).unwrap();
        w.finish().unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "[\n{\"municipality\":\"0301\",\"group\":\"private\",\"start_utc\":\"2022-10-30T01:00:00Z\",\"end_utc\":\"2022-10-30T02:00:00Z\",\"quantity_kwh\":1.5,\"last_updated_utc\":\"1970-01-01T00:00:00Z\",\"metering_points\":7,\"start_local\":\"2022-10-30T02:00:00+01:00\",\"entity_name\":\"Oslo\"}\n]\n"
        );
        let mut out = Vec::new();
        let mut w = RecordWriter::new(Dataset::CONSUMPTION_MUNICIPALITY, ExportFormat::Csv, &mut out)
            .unwrap()
            .with_names(names);
        w.write(&Record::new(Dataset::CONSUMPTION_MUNICIPALITY, "0301", "private", &p)).unwrap();
        w.write(&Record::new(Dataset::CONSUMPTION_MUNICIPALITY, "9999", "private", &p)).unwrap();
        w.finish().unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains(",7,2022-10-30T02:00:00+01:00,Oslo\n"), "{text}");
        assert!(text.ends_with(",7,2022-10-30T02:00:00+01:00,9999\n"), "no name: the id: {text}");
        // An export of an earlier version (without the two columns) still reads back.
        let old = "municipality,group,start_utc,end_utc,quantity_kwh,last_updated_utc,metering_points\n0301,private,2022-10-30T01:00:00Z,2022-10-30T02:00:00Z,1.5,1970-01-01T00:00:00Z,7\n";
        assert_eq!(read_csv(Dataset::CONSUMPTION_MUNICIPALITY, old.as_bytes()).unwrap().len(), 1);
    }
}
