//! Cassandra against a real node. With ELHUB_TEST_CASSANDRA=host:port: 2021 from the replica
//! into SQLite and Cassandra in one ingest, exact counts, rerun idempotent, revisions replace,
//! `--store cassandra` export identical to SQLite's. Always: an unreachable node leaves SQLite
//! complete and the run partly done (exit 3).

#![allow(clippy::unwrap_used)] // tests fail loudly by design

mod common;

use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(cassandra_server),
    ignore = "ELHUB_TEST_CASSANDRA is not set: no Cassandra node to test against"
)]
async fn a_year_into_sqlite_and_cassandra_at_once() {
    year_into_sqlite_and(test_cassandra("year").await).await;
}

/// No node needed: the address is closed. SQLite completes; the run is partly done.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_cassandra_leaves_sqlite_complete_and_exits_3() {
    let replica = start_replica().await;
    let d = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let (url, dir) = (replica.url(), d.path().to_path_buf());
    let o = tokio::task::spawn_blocking(move || {
        binary(&dir)
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

/// ELHUB_TEST_CASSANDRA_TLS=host:port,/path/to/ca.pem: a node with client encryption on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(cassandra_tls_server),
    ignore = "ELHUB_TEST_CASSANDRA_TLS is not set: no Cassandra node with TLS to test against"
)]
async fn tls_with_the_cluster_ca_and_a_clear_line_without_it() {
    use elhub_explorer::store::{CassandraStore, Store};
    let spec = std::env::var("ELHUB_TEST_CASSANDRA_TLS").unwrap();
    let (host, ca) = spec.split_once(',').expect("host:port,ca.pem");
    let mut settings = cassandra_settings_at(host, "tls");
    settings.tls = true;
    settings.tls_ca_file = Some(ca.into());
    let store = Store::new(CassandraStore::open(settings.clone()).await.unwrap());
    assert_eq!(store.coverage(elhub_explorer::model::Dataset::PRODUCTION).await.unwrap(), vec![]);
    drop_store(&store).await;
    settings.tls_ca_file = None; // web PKI roots only: the cluster's own CA is unknown
    let err = CassandraStore::open(settings.clone()).await.err().unwrap().to_string();
    assert!(err.starts_with(&format!("Cassandra at {host}: TLS certificate not trusted")), "{err}");
    settings.tls = false;
    let err = CassandraStore::open(settings).await.err().unwrap().to_string();
    assert!(err.starts_with(&format!("Cassandra at {host}")) && err.contains("set tls = true"), "{err}");
}
