//! Parquet export: the columns of the SQL views (`store::views::columns`), typed — `start_utc`
//! and `last_updated` as UTC instants (microseconds), `start_local` as text with its offset,
//! ids, names and groups as strings, `kwh` as float64, `metering_points` as int64 (nullable) —
//! compressed with zstd, in row groups of `ROW_GROUP_ROWS`. Rows are held compactly until a row
//! group is full, then written a column at a time, so memory stays bounded by one row group
//! whatever the export's size.

use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;

use parquet::basic::{Compression, ZstdLevel};
use parquet::data_type::{ByteArray, ByteArrayType, DoubleType, Int64Type};
use parquet::file::properties::{EnabledStatistics, WriterProperties, WriterVersion};
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;
use parquet::schema::types::ColumnPath;

use crate::model::{write_local, Dataset, Record};
use crate::store::views;

/// Rows per row group: large enough for readers to skip by statistics and compress well, small
/// enough that a group's rows (40 bytes each) stay a few MB.
pub const ROW_GROUP_ROWS: usize = 262_144;

/// Values handed to a column writer at a time.
const BATCH: usize = 65_536;

/// One row, compact: its series by number, times as Unix seconds.
struct Row {
    series: u32,
    start: i64,
    kwh: f64,
    updated: i64,
    metering_points: Option<u32>,
}

/// Writes records of one dataset as a Parquet file.
pub struct ParquetWriter<W: Write + Send> {
    dataset: Dataset,
    writer: SerializedFileWriter<W>,
    /// Entity id → the name to write (repaired where mis-encoded).
    names: HashMap<String, String>,
    /// Per series: entity, entity name, group, as shared byte strings.
    series: Vec<[ByteArray; 3]>,
    series_of: HashMap<(String, String), u32>,
    rows: Vec<Row>,
    written: u64,
}

type Result<T> = std::result::Result<T, parquet::errors::ParquetError>;

/// The schema of a dataset's file: its view's columns, typed.
pub fn schema(dataset: Dataset) -> String {
    let mut fields = Vec::new();
    for column in views::columns(dataset) {
        fields.push(match column {
            "start_utc" | "last_updated" => format!("required int64 {column} (TIMESTAMP(MICROS,true));"),
            "kwh" => "required double kwh;".to_string(),
            "metering_points" => "optional int64 metering_points;".to_string(),
            other => format!("required binary {other} (STRING);"),
        });
    }
    format!("message {} {{\n  {}\n}}", views::view_name(dataset), fields.join("\n  "))
}

impl<W: Write + Send> ParquetWriter<W> {
    pub fn new(dataset: Dataset, names: HashMap<String, String>, out: W) -> Result<Self> {
        let schema = Arc::new(parse_message_type(&schema(dataset))?);
        let props = WriterProperties::builder()
            .set_writer_version(WriterVersion::PARQUET_2_0)
            .set_compression(Compression::ZSTD(ZstdLevel::try_new(3)?))
            // Quantities are nearly all distinct: a dictionary would only cost.
            .set_column_dictionary_enabled(ColumnPath::from("kwh"), false)
            .set_statistics_enabled(EnabledStatistics::Chunk)
            .set_created_by(concat!("elhub-explorer ", env!("CARGO_PKG_VERSION")).to_string())
            .build();
        let writer = SerializedFileWriter::new(out, schema, Arc::new(props))?;
        Ok(ParquetWriter {
            dataset,
            writer,
            names,
            series: Vec::new(),
            series_of: HashMap::new(),
            rows: Vec::with_capacity(ROW_GROUP_ROWS),
            written: 0,
        })
    }

    /// Adds one record; a full row group is written out.
    pub fn write(&mut self, r: &Record) -> Result<()> {
        let key = (r.entity.clone(), r.group.clone());
        let series = match self.series_of.get(&key) {
            Some(n) => *n,
            None => {
                let name = self.names.get(&r.entity).map_or(r.entity.as_str(), String::as_str);
                let n = self.series.len() as u32;
                self.series.push([
                    ByteArray::from(r.entity.as_str()),
                    ByteArray::from(name),
                    ByteArray::from(r.group.as_str()),
                ]);
                self.series_of.insert(key, n);
                n
            }
        };
        self.rows.push(Row {
            series,
            start: r.start.timestamp(),
            kwh: r.quantity_kwh,
            updated: r.last_updated.timestamp(),
            metering_points: r.metering_points,
        });
        if self.rows.len() >= ROW_GROUP_ROWS {
            self.flush_group()?;
        }
        Ok(())
    }

    /// Writes the rows held as one row group, a column at a time in batches.
    fn flush_group(&mut self) -> Result<()> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let rows = std::mem::take(&mut self.rows);
        let mut group = self.writer.next_row_group()?;
        let micros = |secs: i64| secs * 1_000_000;
        for column in views::columns(self.dataset) {
            let Some(mut col) = group.next_column()? else { break };
            match column {
                "start_utc" | "last_updated" => {
                    let w = col.typed::<Int64Type>();
                    for chunk in rows.chunks(BATCH) {
                        let values: Vec<i64> = chunk
                            .iter()
                            .map(|r| micros(if column == "start_utc" { r.start } else { r.updated }))
                            .collect();
                        w.write_batch(&values, None, None)?;
                    }
                }
                "start_local" => {
                    let w = col.typed::<ByteArrayType>();
                    let mut text = String::with_capacity(32);
                    for chunk in rows.chunks(BATCH) {
                        let values: Vec<ByteArray> = chunk
                            .iter()
                            .map(|r| {
                                text.clear();
                                write_local(r.start, &mut text);
                                ByteArray::from(text.as_str())
                            })
                            .collect();
                        w.write_batch(&values, None, None)?;
                    }
                }
                "kwh" => {
                    let w = col.typed::<DoubleType>();
                    for chunk in rows.chunks(BATCH) {
                        let values: Vec<f64> = chunk.iter().map(|r| r.kwh).collect();
                        w.write_batch(&values, None, None)?;
                    }
                }
                "metering_points" => {
                    let w = col.typed::<Int64Type>();
                    for chunk in rows.chunks(BATCH) {
                        let values: Vec<i64> =
                            chunk.iter().filter_map(|r| r.metering_points.map(i64::from)).collect();
                        let defined: Vec<i16> =
                            chunk.iter().map(|r| i16::from(r.metering_points.is_some())).collect();
                        w.write_batch(&values, Some(&defined), None)?;
                    }
                }
                text_column => {
                    // The entity's column, its name, the group: shared per series.
                    let which = match text_column {
                        "entity_name" => 1,
                        "grp" => 2,
                        _ => 0,
                    };
                    let w = col.typed::<ByteArrayType>();
                    for chunk in rows.chunks(BATCH) {
                        let values: Vec<ByteArray> =
                            chunk.iter().map(|r| self.series[r.series as usize][which].clone()).collect();
                        w.write_batch(&values, None, None)?;
                    }
                }
            }
            col.close()?;
        }
        group.close()?;
        self.written += rows.len() as u64;
        self.rows = rows;
        self.rows.clear();
        Ok(())
    }

    /// Writes what is held and the footer; the records written.
    pub fn finish(mut self) -> Result<u64> {
        self.flush_group()?;
        let mut out = self.writer.into_inner()?;
        out.flush()?;
        Ok(self.written)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Point;
    use parquet::file::reader::{FileReader, SerializedFileReader};

    /// Rows beyond a row group's size start the next group; every row is there, the nullable
    /// metering points included.
    #[test]
    fn rows_fill_row_groups_in_turn() {
        let dataset = Dataset::CONSUMPTION;
        let mut file = tempfile::tempfile().unwrap();
        let mut w =
            ParquetWriter::new(dataset, HashMap::from([("NO1".into(), "Oslo".into())]), &mut file).unwrap();
        let n = ROW_GROUP_ROWS + 1000;
        for i in 0..n as i64 {
            let p = Point {
                start: i * 3600,
                kwh: i as f64,
                updated: 0,
                metering_points: (i % 2 == 0).then_some(7),
            };
            w.write(&Record::new(dataset, "NO1", "household", &p)).unwrap();
        }
        assert_eq!(w.finish().unwrap(), n as u64);
        let reader = SerializedFileReader::new(file).unwrap();
        let meta = reader.metadata();
        assert_eq!(meta.num_row_groups(), 2);
        assert_eq!(meta.row_group(0).num_rows(), ROW_GROUP_ROWS as i64);
        assert_eq!(meta.file_metadata().num_rows(), n as i64);
        let nulls = meta.row_group(0).column(6).statistics().and_then(|s| s.null_count_opt());
        assert_eq!(nulls, Some(ROW_GROUP_ROWS as u64 / 2), "every other row has no metering points");
    }

    #[test]
    fn the_schema_is_the_views_columns_typed() {
        assert_eq!(
            schema(Dataset::CONSUMPTION_MUNICIPALITY),
            "message consumption_municipality {\n  required int64 start_utc (TIMESTAMP(MICROS,true));\n  required binary start_local (STRING);\n  required binary municipality (STRING);\n  required binary entity_name (STRING);\n  required binary grp (STRING);\n  required double kwh;\n  optional int64 metering_points;\n  required int64 last_updated (TIMESTAMP(MICROS,true));\n}"
        );
    }
}
