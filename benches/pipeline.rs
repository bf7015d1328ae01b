//! Benchmarks of the ingest pipeline: payload parse throughput, SQLite upsert rate, and a full
//! year from a local replica into SQLite end to end.
//!
//! Run: `cargo bench --bench pipeline` (figures in the README and the issue notes).

use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use elhub_explorer::elhub::{parse_window, ClientConfig, ElhubClient};
use elhub_explorer::ingest::{self, IngestPlan};
use elhub_explorer::model::{Dataset, Month, MonthRange, Window, WindowData};
use elhub_explorer::replica::{self, generator, render::render, ReplicaState};
use elhub_explorer::store::{SqliteStore, Store};

fn january() -> Month {
    "2021-01".parse().expect("valid month")
}

fn month_body() -> Vec<u8> {
    let data =
        generator::window_data(Dataset::PRODUCTION, Window::of_month(january()), Utc::now(), None, None, &[]);
    render(&data, true, "/price-areas", 0)
}

fn parse(c: &mut Criterion) {
    let body = month_body();
    let mut g = c.benchmark_group("parse");
    g.throughput(Throughput::Bytes(body.len() as u64));
    g.bench_function("month_of_production_17856_records", |b| {
        b.iter(|| parse_window(&body, Dataset::PRODUCTION, Window::of_month(january())).expect("parses"))
    });
    g.finish();
}

fn upsert(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let m = january();
    let parsed: Arc<WindowData> =
        Arc::new(parse_window(&month_body(), Dataset::PRODUCTION, Window::of_month(m)).expect("parses").data);
    let mut g = c.benchmark_group("sqlite_upsert");
    g.throughput(Throughput::Elements(parsed.len() as u64));
    g.sample_size(10);
    g.bench_function("month_new_records", |b| {
        b.iter_batched(
            || {
                let dir = tempfile::tempdir().expect("tempdir");
                let store = Store::new(SqliteStore::open(&dir.path().join("b.sqlite")).expect("open"));
                (dir, store)
            },
            |(_dir, store)| rt.block_on(store.write_window(&parsed, None)),
            BatchSize::PerIteration,
        )
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::new(SqliteStore::open(&dir.path().join("b.sqlite")).expect("open"));
    rt.block_on(store.write_window(&parsed, None)).expect("writes");
    g.bench_function("month_unchanged_records", |b| {
        b.iter(|| rt.block_on(store.write_window(&parsed, None)))
    });
    g.finish();
}

fn full_year(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    let until = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().expect("valid");
    let replica = rt
        .block_on(replica::spawn("127.0.0.1:0".parse().expect("addr"), ReplicaState::new(until)))
        .expect("replica");
    let client = Arc::new(
        ElhubClient::new(ClientConfig {
            base_url: replica.url(),
            rate_limit: 0.0,
            ..ClientConfig::default()
        })
        .expect("client"),
    );
    let year = MonthRange::new("2021-01".parse().expect("m"), "2021-12".parse().expect("m")).expect("range");
    let mut g = c.benchmark_group("end_to_end");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(15));
    g.throughput(Throughput::Elements(215_353));
    g.bench_function("year_2021_replica_to_new_sqlite", |b| {
        b.iter_batched(
            || tempfile::tempdir().expect("tempdir"),
            |dir| {
                let store = Store::new(SqliteStore::open(&dir.path().join("y.sqlite")).expect("open"));
                let sinks = Arc::new(vec![store]);
                let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
                let summary = rt.block_on(ingest::run(
                    client.clone(),
                    sinks,
                    IngestPlan::for_range(Dataset::PRODUCTION, year, 4),
                    tx,
                ));
                assert_eq!(summary.fetched, 215_353);
                dir
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

criterion_group!(benches, parse, upsert, full_year);
criterion_main!(benches);
