//! Parquet export (issue 18) read back: by the parquet crate's own reader always (schema, types,
//! zstd, every record, totals equal to `summary`), and by real readers where the test Python has
//! them (pyarrow and DuckDB: types, counts, DST days of 23 and 25 rows, annual totals per group,
//! the partitioned tree read as one table with `dataset` and `year` columns).

#![allow(clippy::unwrap_used)] // tests fail loudly by design

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Output;

use common::case::{assert_clean, Case};
use common::{range, start_replica};
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::RowAccessor;

/// A case with production 2021 and consumption (with metering points) for 2021, exported as one
/// Parquet file each and as a partitioned tree.
async fn exported() -> Case {
    let replica = start_replica().await;
    let case = Case::new("");
    assert_clean(&case.ingest(&replica.url(), range("2021-01", "2021-12"), &[]).await, 0);
    assert_clean(
        &case.ingest(&replica.url(), range("2021-01", "2021-12"), &["--dataset", "consumption"]).await,
        0,
    );
    let db = case.db();
    let db = db.to_str().unwrap();
    for args in [
        vec!["export", "--db", db, "--format", "parquet", "-o", "production.parquet"],
        vec![
            "export",
            "--db",
            db,
            "--dataset",
            "consumption",
            "--format",
            "parquet",
            "-o",
            "consumption.parquet",
        ],
        vec![
            "export",
            "--db",
            db,
            "--dataset",
            "consumption",
            "--format",
            "parquet",
            "--partition",
            "-o",
            "lake",
        ],
        vec!["export", "--db", db, "--format", "parquet", "--partition", "--area", "NO1", "-o", "no1"],
    ] {
        let o = output(case.run(&args)).await;
        assert_clean(&o, 0);
    }
    case
}

async fn output(mut c: std::process::Command) -> Output {
    tokio::task::spawn_blocking(move || c.output().unwrap()).await.unwrap()
}

/// `summary --format json` of a year: kWh per (entity, group) for the entities' rows.
async fn summary_totals(case: &Case, dataset: &str) -> BTreeMap<(String, String), f64> {
    let db = case.db();
    let o = output(case.run(&[
        "summary",
        "--db",
        db.to_str().unwrap(),
        "--dataset",
        dataset,
        "--year",
        "2021",
        "--format",
        "json",
    ]))
    .await;
    assert_clean(&o, 0);
    let rows: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    rows.as_array()
        .unwrap()
        .iter()
        .filter(|r| r["level"] == "entity" && r["group"] != "all")
        .map(|r| {
            (
                (r["entity"].as_str().unwrap().to_string(), r["group"].as_str().unwrap().to_string()),
                r["kwh"].as_f64().unwrap(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parquet_read_back_by_the_parquet_crate() {
    let case = exported().await;
    let file = std::fs::File::open(case.dir.path().join("consumption.parquet")).unwrap();
    let reader = SerializedFileReader::new(file).unwrap();
    let meta = reader.metadata();
    assert_eq!(meta.file_metadata().num_rows(), 219_000, "every record of consumption 2021");
    let schema = meta.file_metadata().schema_descr();
    let described: Vec<String> = schema
        .columns()
        .iter()
        .map(|c| format!("{} {:?} {:?}", c.name(), c.physical_type(), c.logical_type_ref()))
        .collect();
    assert_eq!(
        described[0],
        "start_utc INT64 Some(Timestamp(TimestampType { is_adjusted_to_u_t_c: true, unit: MICROS }))"
    );
    assert_eq!(described[1], "start_local BYTE_ARRAY Some(String)");
    assert_eq!(described[2], "price_area BYTE_ARRAY Some(String)");
    assert_eq!(described[5], "kwh DOUBLE None");
    assert_eq!(described[6], "metering_points INT64 None");
    assert_eq!(
        described[7],
        "last_updated INT64 Some(Timestamp(TimestampType { is_adjusted_to_u_t_c: true, unit: MICROS }))"
    );
    let group = meta.row_group(0);
    assert!(group.columns().iter().all(|c| matches!(c.compression(), parquet::basic::Compression::ZSTD(_))));
    // Totals per area and group equal summary's.
    let mut totals: BTreeMap<(String, String), f64> = BTreeMap::new();
    for row in reader.get_row_iter(None).unwrap() {
        let row = row.unwrap();
        let (area, grp, kwh) = (
            row.get_string(2).unwrap().clone(),
            row.get_string(4).unwrap().clone(),
            row.get_double(5).unwrap(),
        );
        *totals.entry((area, grp)).or_default() += kwh;
    }
    let want = summary_totals(&case, "consumption").await;
    assert_eq!(totals.len(), want.len());
    for (key, kwh) in &want {
        assert!((totals[key] - kwh).abs() < 0.001, "{key:?}: {} vs {kwh}", totals[key]);
    }
    // The tree: a file per year under dataset=…; NO1 alone keeps its filter.
    assert!(case.dir.path().join("lake/dataset=consumption/year=2021/part-0.parquet").is_file());
    let no1 = SerializedFileReader::new(
        std::fs::File::open(case.dir.path().join("no1/dataset=production/year=2021/part-0.parquet")).unwrap(),
    )
    .unwrap();
    assert_eq!(no1.metadata().file_metadata().num_rows(), 5 * 8760, "NO1's five groups");
    let bytes = std::fs::metadata(case.dir.path().join("production.parquet")).unwrap().len();
    assert!(bytes < 215_353 * 10, "{bytes} bytes: a few bytes a record");
}

/// pyarrow and DuckDB read the files: types, counts, the DST days, totals, and the tree as one
/// table.
#[cfg_attr(
    not(python_readers),
    ignore = "ELHUB_TEST_PYTHON is not set: no Python with pyarrow and duckdb (.ci/run installs them)"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pyarrow_and_duckdb_read_the_files() {
    let case = exported().await;
    let script = r#"
import json, sys
import duckdb, pyarrow.parquet as pq, pyarrow.dataset as ds
t = pq.read_table("production.parquet")
out = {"rows": t.num_rows, "schema": {f.name: str(f.type) for f in t.schema}}
out["dst"] = duckdb.sql("""
    SELECT substr(start_local, 1, 10) AS day, (count(*) // count(DISTINCT price_area || grp))::INTEGER AS hours
    FROM 'production.parquet' WHERE substr(start_local, 1, 10) IN ('2021-03-28', '2021-10-31', '2021-06-01')
    GROUP BY day ORDER BY day""").fetchall()
out["totals"] = duckdb.sql("""
    SELECT price_area, grp, sum(kwh) FROM 'production.parquet' GROUP BY ALL ORDER BY ALL""").fetchall()
tree = ds.dataset("lake", partitioning="hive").to_table()
out["tree_rows"] = tree.num_rows
out["tree_columns"] = tree.column_names
out["tree_duckdb"] = duckdb.sql("""
    SELECT dataset, year, count(*), sum(metering_points) > 0
    FROM read_parquet('lake/**/*.parquet', hive_partitioning = true) GROUP BY ALL""").fetchall()
out["first"] = duckdb.sql("SELECT start_utc::VARCHAR, start_local, kwh FROM 'consumption.parquet' LIMIT 1").fetchall()
json.dump(out, sys.stdout, default=str)
"#;
    let python = std::env::var("ELHUB_TEST_PYTHON").unwrap();
    let mut c = std::process::Command::new(python);
    c.current_dir(case.dir.path()).args(["-c", script]);
    let o = output(c).await;
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let got: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(got["rows"], 215_353);
    let schema = &got["schema"];
    assert_eq!(schema["start_utc"], "timestamp[us, tz=UTC]");
    assert_eq!(schema["last_updated"], "timestamp[us, tz=UTC]");
    assert_eq!(schema["start_local"], "string");
    assert_eq!(schema["price_area"], "string");
    assert_eq!(schema["kwh"], "double");
    assert_eq!(
        got["dst"],
        serde_json::json!([["2021-03-28", 23], ["2021-06-01", 24], ["2021-10-31", 25]]),
        "the short and the long day, from the local times"
    );
    let want = summary_totals(&case, "production").await;
    let totals = got["totals"].as_array().unwrap();
    assert_eq!(totals.len(), want.len());
    for t in totals {
        let key = (t[0].as_str().unwrap().to_string(), t[1].as_str().unwrap().to_string());
        assert!((t[2].as_f64().unwrap() - want[&key]).abs() < 0.001, "{key:?}");
    }
    assert_eq!(got["tree_rows"], 219_000);
    let columns: Vec<&str> =
        got["tree_columns"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
    assert!(columns.ends_with(&["dataset", "year"]), "{columns:?}");
    assert_eq!(got["tree_duckdb"], serde_json::json!([["consumption", 2021, 219_000, true]]));
    // The first record as export writes it.
    let db = case.db();
    let csv = output(case.run(&["export", "--db", db.to_str().unwrap(), "--dataset", "consumption"])).await;
    let first = String::from_utf8(csv.stdout).unwrap().lines().nth(1).unwrap().to_string();
    let f: Vec<&str> = first.split(',').collect();
    let kwh: f64 = f[4].parse().unwrap();
    assert_eq!(got["first"][0][2].as_f64().unwrap(), kwh, "{first}");
    assert_eq!(got["first"][0][1], f[7], "start_local: {first}");
    assert!(Path::new(&case.dir.path().join("lake")).is_dir());
}
