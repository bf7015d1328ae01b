//! The canonical CSV export read back gives the same records, whatever the group names
//! (commas, quotes, newlines, any Unicode) and quantities (any finite non-negative f64).
#![no_main]

use arbitrary::Arbitrary;
use chrono::{TimeZone, Utc};
use elhub_explorer::export::{read_csv, ExportFormat, RecordWriter};
use elhub_explorer::model::{Dataset, PriceArea, Record};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    consumption: bool,
    rows: Vec<Row>,
}

#[derive(Arbitrary, Debug)]
struct Row {
    area: u8,
    group: String,
    hour: u32,
    quantity: f64,
    updated: u32,
    points: u32,
}

fuzz_target!(|input: Input| {
    let dataset = if input.consumption { Dataset::Consumption } else { Dataset::Production };
    let t0 = Utc.with_ymd_and_hms(2014, 1, 1, 0, 0, 0).unwrap();
    let records: Vec<Record> = input
        .rows
        .iter()
        .filter(|r| r.quantity.is_finite() && r.quantity >= 0.0)
        .map(|r| Record {
            dataset,
            area: PriceArea::ALL[r.area as usize % 5],
            group: r.group.clone(),
            start: t0 + chrono::Duration::hours((r.hour % 2_000_000) as i64),
            quantity_kwh: r.quantity,
            last_updated: t0 + chrono::Duration::seconds(r.updated as i64),
            metering_points: (dataset == Dataset::Consumption).then_some(r.points),
        })
        .collect();
    let mut out = Vec::new();
    let mut writer = RecordWriter::new(dataset, ExportFormat::Csv, &mut out).unwrap();
    for r in &records {
        writer.write(r).unwrap();
    }
    writer.finish().unwrap();
    let back = read_csv(dataset, out.as_slice()).unwrap();
    assert_eq!(back, records);
});
