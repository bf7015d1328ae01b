//! The canonical CSV export read back gives the same records, whatever the entity and group
//! names (commas, quotes, newlines, any Unicode) and quantities (any finite non-negative f64),
//! for every catalogued dataset.
#![no_main]

use arbitrary::Arbitrary;
use elhub_explorer::export::{read_csv, ExportFormat, RecordWriter};
use elhub_explorer::model::{Dataset, Point, Record};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    dataset: u8,
    rows: Vec<Row>,
}

#[derive(Arbitrary, Debug)]
struct Row {
    entity: String,
    group: String,
    step: u32,
    quantity: f64,
    updated: u32,
    points: u32,
}

fuzz_target!(|input: Input| {
    let all: Vec<Dataset> = Dataset::all().collect();
    let dataset = all[input.dataset as usize % all.len()];
    let t0 = 1_388_530_800i64; // 2014-01-01 local
    let records: Vec<Record> = input
        .rows
        .iter()
        .filter(|r| r.quantity.is_finite() && r.quantity >= 0.0)
        .map(|r| {
            let p = Point {
                start: t0 + (r.step % 2_000_000) as i64 * dataset.resolution().seconds(),
                kwh: r.quantity,
                updated: t0 + r.updated as i64,
                metering_points: dataset.has_metering_points().then_some(r.points),
            };
            Record::new(dataset, &r.entity, &r.group, &p)
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
