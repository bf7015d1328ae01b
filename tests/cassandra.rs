//! Cassandra against a real node. With ELHUB_TEST_CASSANDRA=host:port: 2021 from the replica
//! into SQLite and Cassandra in one ingest, exact counts, rerun idempotent, revisions replace,
//! `--store cassandra` export identical to SQLite's. Always: an unreachable node leaves SQLite
//! complete and the run partly done (exit 3).

#![allow(clippy::unwrap_used)] // tests fail loudly by design

mod common;

use std::sync::Arc;

use assert_cmd::Command;
use common::*;
use elhub_explorer::export::{self, ExportFilter, ExportFormat};
use elhub_explorer::ingest::exit;
use elhub_explorer::model::{Dataset, Month, PriceArea};
use elhub_explorer::store::UpsertStats;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(cassandra_server),
    ignore = "ELHUB_TEST_CASSANDRA is not set: no Cassandra node to test against"
)]
async fn a_year_into_sqlite_and_cassandra_at_once() {
    let replica = start_replica().await;
    let dir = tempfile::tempdir().unwrap();
    let cassandra = test_cassandra("year").await;
    let sinks = Arc::new(vec![temp_sqlite(&dir), cassandra]);
    let client = Arc::new(fast_client(&replica.url()));
    let year = range("2021-01", "2021-12");
    let started = std::time::Instant::now();
    let (summary, _) = ingest_range(&client, &sinks, Dataset::Production, year).await;
    eprintln!("a year into SQLite and Cassandra in {:.1} s", started.elapsed().as_secs_f64());
    assert_eq!(summary.exit_code(), exit::DONE, "{}", summary.render());
    let all_new = UpsertStats { new: 215_353, updated: 0, unchanged: 0 };
    assert_eq!(summary.per_sink[1].1, all_new);
    assert_eq!(sinks[1].count(Dataset::Production).await.unwrap(), 215_353);

    let (again, _) = ingest_range(&client, &sinks, Dataset::Production, year).await;
    assert_eq!(again.per_sink[1].1, UpsertStats { new: 0, updated: 0, unchanged: 215_353 });
    assert_eq!(sinks[1].count(Dataset::Production).await.unwrap(), 215_353);

    let may: Month = "2021-05".parse().unwrap();
    replica.state.revise(Dataset::Production, may);
    let (revised, _) = ingest_range(&client, &sinks, Dataset::Production, range("2021-05", "2021-05")).await;
    assert_eq!(revised.per_sink[1].1, UpsertStats { new: 0, updated: 17_856, unchanged: 0 });
    assert_eq!(sinks[1].count(Dataset::Production).await.unwrap(), 215_353);

    let started = std::time::Instant::now();
    let mut from_sqlite = Vec::new();
    let mut from_cassandra = Vec::new();
    let filter = ExportFilter::default();
    export::export(&sinks[0], Dataset::Production, &filter, ExportFormat::Csv, &mut from_sqlite)
        .await
        .unwrap();
    export::export(&sinks[1], Dataset::Production, &filter, ExportFormat::Csv, &mut from_cassandra)
        .await
        .unwrap();
    eprintln!("both exports in {:.1} s", started.elapsed().as_secs_f64());
    assert_eq!(from_sqlite.iter().filter(|b| **b == b'\n').count(), 215_354);
    assert!(from_sqlite == from_cassandra, "the Cassandra export differs from the SQLite export");
    for area in PriceArea::ALL {
        let s = sinks[0].annual_totals(Dataset::Production, area, 2021).await.unwrap();
        let c = sinks[1].annual_totals(Dataset::Production, area, 2021).await.unwrap();
        assert_eq!(s.len(), c.len());
        for (a, b) in s.iter().zip(&c) {
            assert_eq!((&a.group, a.hours), (&b.group, b.hours));
            assert!(
                (a.kwh - b.kwh).abs() <= a.kwh.abs() * 1e-12,
                "{area} {}: {} vs {}",
                a.group,
                a.kwh,
                b.kwh
            );
        }
    }
    drop_mongo(&sinks[1]).await;
}

/// No node needed: the address is closed. SQLite completes; the run is partly done.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_cassandra_leaves_sqlite_complete_and_exits_3() {
    let replica = start_replica().await;
    let d = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let (url, dir) = (replica.url(), d.path().to_path_buf());
    let o = tokio::task::spawn_blocking(move || {
        Command::cargo_bin("elhub-explorer")
            .unwrap()
            .current_dir(&dir)
            .env_clear()
            .env("HOME", &dir)
            .env("XDG_STATE_HOME", dir.join("state"))
            .env("XDG_DATA_HOME", dir.join("data"))
            .env("ELHUB_CASSANDRA_PASSWORD", "hunter2")
            .env("ELHUB_CASSANDRA_USER", "elhub")
            .args(["--ingest-only", "--api-url", &url, "--from", "2021-02", "--to", "2021-02"])
            .args(["--sinks", "sqlite,cassandra", "--cassandra", &format!("127.0.0.1:{port}")])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(err.contains(&format!("Cassandra at 127.0.0.1:{port}")), "{err}");
    assert!(err.contains("sqlite: 16128 new"), "{err}");
    assert!(err.contains("cassandra was not written"), "{err}");
    assert!(!err.contains("hunter2"), "the password leaked: {err}");
}
