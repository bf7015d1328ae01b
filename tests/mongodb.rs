//! MongoDB against a real server. With ELHUB_TEST_MONGODB_URI (CI starts SecantusDB): 2021
//! from the replica into SQLite and MongoDB in one ingest, exact counts, rerun idempotent,
//! revisions replace, `--store mongodb` export identical to SQLite's; with
//! ELHUB_TEST_MONGODB_AUTH_URI (a server run with --auth, URI with good credentials): a wrong
//! password is one clear line. Always: an unreachable server leaves SQLite complete, exit 3.

#![allow(clippy::unwrap_used)] // tests fail loudly by design

mod common;

use common::*;
use elhub_explorer::store::{ErrorKind, MongoStore};

use common::binary as cmd;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(mongodb_server),
    ignore = "ELHUB_TEST_MONGODB_URI is not set: no MongoDB server to test against"
)]
async fn a_year_into_sqlite_and_mongodb_at_once() {
    year_into_sqlite_and(test_mongo("year").await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(mongodb_server),
    ignore = "ELHUB_TEST_MONGODB_URI is not set: no MongoDB server to test against"
)]
async fn the_binary_reads_and_writes_mongodb() {
    let replica = start_replica().await;
    let d = tempfile::tempdir().unwrap();
    let settings = mongo_settings(&mongo_uri(), "binary");
    let (url, dir, uri, db) =
        (replica.url(), d.path().to_path_buf(), settings.uri.clone(), settings.database.clone());
    let o = tokio::task::spawn_blocking(move || {
        cmd(&dir)
            .args([
                "--ingest-only",
                "--api-url",
                &url,
                "--dataset",
                "consumption",
                "--from",
                "2021-10",
                "--to",
                "2021-10",
            ])
            .args(["--sinks", "sqlite,mongodb", "--mongodb-db", &db])
            .env("ELHUB_MONGODB_URI", &uri)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(err.contains("mongodb: 18625 new"), "{err}"); // 25 series x 745 hours
    let export = |store: &str| {
        let o = cmd(d.path())
            .args([
                "export",
                "--dataset",
                "consumption",
                "--store",
                store,
                "--mongodb-db",
                &settings.database,
            ])
            .env("ELHUB_MONGODB_URI", &settings.uri)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
        o.stdout
    };
    let mongo_csv = export("mongodb");
    assert_eq!(mongo_csv, export("sqlite"));
    let text = String::from_utf8(mongo_csv).unwrap();
    assert!(text
        .starts_with("price_area,group,start_utc,end_utc,quantity_kwh,last_updated_utc,metering_points,start_local,entity_name\n"));
    assert_eq!(text.lines().count(), 18_626);
    let store = MongoStore::open(settings).await.unwrap();
    store.drop_database().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(mongodb_server),
    ignore = "ELHUB_TEST_MONGODB_URI is not set: no MongoDB server to test against"
)]
async fn tls_against_a_plaintext_server_is_one_clear_line() {
    let uri = mongo_uri();
    let sep = if uri.contains('?') { '&' } else { '?' };
    let tls = format!("{uri}{sep}tls=true&serverSelectionTimeoutMS=1500");
    let err = MongoStore::open(mongo_settings(&tls, "tls")).await.err().unwrap();
    assert_eq!(err.kind, ErrorKind::Unavailable, "{err:?}");
    let message = err.message;
    assert!(message.starts_with("MongoDB at mongodb://"), "{message}");
    assert!(message.contains("TLS"), "{message}");
    assert_eq!(message.lines().count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(mongodb_auth_server),
    ignore = "ELHUB_TEST_MONGODB_AUTH_URI is not set: no MongoDB server with --auth to test against"
)]
async fn a_wrong_password_is_one_clear_line_without_the_password() {
    let Ok(good) = std::env::var("ELHUB_TEST_MONGODB_AUTH_URI") else {
        panic!("ELHUB_TEST_MONGODB_AUTH_URI names a server run with --auth (mongodb://user:password@host:port/?authSource=admin)");
    };
    let store = MongoStore::open(mongo_settings(&good, "auth")).await.unwrap();
    store.drop_database().await.unwrap();
    // mongodb://user:password@host/... -> mongodb://user:wrong-password@host/...
    let (credentials, host) = good.rsplit_once('@').unwrap();
    let (user, _password) = credentials.rsplit_once(':').unwrap();
    let bad = format!("{user}:wrong-password@{host}");
    let err = MongoStore::open(mongo_settings(&bad, "auth")).await.err().unwrap();
    assert_eq!(err.kind, ErrorKind::Unavailable, "{err:?}");
    let message = err.message;
    assert!(message.contains("authentication failed"), "{message}");
    assert!(message.starts_with("MongoDB at mongodb://127.0.0.1:"), "{message}");
    assert!(!message.contains("wrong-password"), "the password leaked: {message}");
    let no_credentials = format!("mongodb://{}", good.rsplit_once('@').unwrap().1);
    let err = MongoStore::open(mongo_settings(&no_credentials, "auth")).await.err().unwrap();
    assert!(err.to_string().contains("not permitted"), "{err}");
}

/// No server needed: the address is closed. The SQLite sink completes, the run is partly done.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_mongodb_leaves_sqlite_complete_and_exits_3() {
    let replica = start_replica().await;
    let d = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let uri = format!("mongodb://elhub:hunter2@127.0.0.1:{port}/?serverSelectionTimeoutMS=800");
    let (url, dir) = (replica.url(), d.path().to_path_buf());
    let o = tokio::task::spawn_blocking(move || {
        cmd(&dir)
            .args(["--ingest-only", "--api-url", &url, "--from", "2021-02", "--to", "2021-02"])
            .args(["--sinks", "sqlite,mongodb"])
            .env("ELHUB_MONGODB_URI", &uri)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(
        err.contains(&format!("MongoDB at mongodb://127.0.0.1:{port} cannot be reached: connection refused")),
        "{err}"
    );
    assert!(!err.contains("hunter2"), "the password leaked: {err}");
    assert!(err.contains("sqlite: 16128 new"), "{err}");
    assert!(err.contains("mongodb was not written"), "{err}");

    // Reading from it: one line, exit 1.
    let uri = format!("mongodb://elhub:hunter2@127.0.0.1:{port}/?serverSelectionTimeoutMS=800");
    let o = cmd(d.path())
        .args(["summary", "--store", "mongodb"])
        .env("ELHUB_MONGODB_URI", &uri)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(!err.contains("hunter2"), "{err}");
}

#[test]
fn a_password_in_the_config_file_is_refused() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("c.toml"), "[mongodb]\nuri = \"mongodb://u:pw-xyzzy@h:1\"\n").unwrap();
    let o = cmd(d.path()).args(["summary", "-c", "c.toml"]).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("ELHUB_MONGODB_URI") && !err.contains("pw-xyzzy"), "{err}");
}

#[test]
fn mongodb_without_a_uri_is_a_usage_error() {
    let d = tempfile::tempdir().unwrap();
    let o = cmd(d.path()).args(["summary", "--store", "mongodb"]).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("--mongodb-uri"), "{err}");
}
