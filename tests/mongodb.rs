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

/// Hourly records of March 2021 (a DST month: 743 hours) for four price-area series.
fn march_records(updated_after_days: i64, bump: f64) -> Vec<elhub_explorer::model::Record> {
    use elhub_explorer::model::{Dataset, Month, Point, Record};
    let march: Month = "2021-03".parse().unwrap();
    let mut out = Vec::new();
    for (area, group) in [("NO1", "hydro"), ("NO1", "wind"), ("NO2", "hydro"), ("NO5", "solar")] {
        let mut t = march.start_utc().timestamp();
        while t < march.end_utc().timestamp() {
            let kwh = 1000.0 + (t % 86_400) as f64 / 3600.0 + bump;
            let p = Point { start: t, kwh, updated: t + updated_after_days * 86_400, metering_points: None };
            out.push(Record::new(Dataset::PRODUCTION, area, group, &p));
            t += 3600;
        }
    }
    out
}

/// `march_records` as one window of the month, a series each.
fn march_window(updated_after_days: i64, bump: f64) -> std::sync::Arc<elhub_explorer::model::WindowData> {
    use elhub_explorer::model::{Dataset, Month, Point, SeriesData, SeriesKey, Window, WindowData};
    let march: Month = "2021-03".parse().unwrap();
    let mut data = WindowData::new(Dataset::PRODUCTION, Window::of_month(march));
    let records = march_records(updated_after_days, bump);
    for chunk in records.chunk_by(|a, b| (&a.entity, &a.group) == (&b.entity, &b.group)) {
        let points = chunk
            .iter()
            .map(|r| Point {
                start: r.start.timestamp(),
                kwh: r.quantity_kwh,
                updated: r.last_updated.timestamp(),
                metering_points: None,
            })
            .collect();
        data.series.push(SeriesData { key: SeriesKey::new(&chunk[0].entity, &chunk[0].group), points });
    }
    std::sync::Arc::new(data)
}

/// A store in the earlier layout of one document per record is converted on open: a conversion
/// stopped midway resumes, every record reads back exactly, the record collection becomes the
/// view of the days, and opening again changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(mongodb_server),
    ignore = "ELHUB_TEST_MONGODB_URI is not set: no MongoDB server to test against"
)]
async fn a_store_of_a_document_per_record_is_converted_on_open_and_resumes() {
    use elhub_explorer::model::Dataset;
    use elhub_explorer::store::mongodb::migrate::record_document;
    use elhub_explorer::store::{Period, Scope, Store};
    use futures_util::TryStreamExt;
    use mongodb::bson::{doc, Document};
    let settings = mongo_settings(&mongo_uri(), "convert");
    let client = mongodb::Client::with_uri_str(&settings.uri).await.unwrap();
    let db = client.database(&settings.database);
    let records = march_records(1, 0.0);
    db.collection::<Document>("production").insert_many(records.iter().map(record_document)).await.unwrap();
    db.collection::<Document>("elhub_meta").insert_one(doc! {"_id": "schema", "version": 2}).await.unwrap();
    // Earlier versions made every dataset's collection with its index, most of them empty.
    db.create_collection("consumption").await.unwrap();
    // Killed after two of the four series: the open fails, the records are all still there.
    let stopped = MongoStore::open_stopping_conversion(settings.clone(), 2).await;
    assert!(stopped.is_err_and(|e| e.message.contains("stopped")));
    assert_eq!(db.collection::<Document>("production").count_documents(doc! {}).await.unwrap(), 2972);
    let marker = db.collection::<Document>("elhub_meta").find_one(doc! {"_id": "migrate|production"}).await;
    assert_eq!(marker.unwrap().unwrap().get_str("group").unwrap(), "wind", "NO1 wind was the second series");
    let store = Store::new(MongoStore::open(settings.clone()).await.unwrap());
    assert_eq!(stored(&store, Dataset::PRODUCTION).await, sorted(records.clone()));
    assert_eq!(store.count(Dataset::PRODUCTION).await.unwrap(), 2972);
    let kinds: Vec<(String, String)> = {
        let reply = db
            .run_command(
                doc! {"listCollections": 1, "filter": {"name": {"$in": ["production", "production_days"]}}},
            )
            .await
            .unwrap();
        let batch = reply.get_document("cursor").unwrap().get_array("firstBatch").unwrap().clone();
        let mut k: Vec<(String, String)> = batch
            .iter()
            .map(|c| {
                let c = c.as_document().unwrap();
                (c.get_str("name").unwrap().to_string(), c.get_str("type").unwrap().to_string())
            })
            .collect();
        k.sort();
        k
    };
    assert_eq!(
        kinds,
        [("production".into(), "view".into()), ("production_days".into(), "collection".into())]
    );
    assert_eq!(
        db.collection::<Document>("elhub_meta").find_one(doc! {"_id": "migrate|production"}).await.unwrap(),
        None,
        "the marker goes when the conversion is done"
    );
    let reply = db.run_command(doc! {"listCollections": 1, "filter": {"name": "consumption"}}).await.unwrap();
    let first = reply.get_document("cursor").unwrap().get_array("firstBatch").unwrap()[0]
        .as_document()
        .unwrap()
        .clone();
    assert_eq!(
        first.get_str("type").unwrap(),
        "view",
        "an empty record collection gives its name to the view"
    );
    assert_eq!(db.collection::<Document>("production_days").count_documents(doc! {}).await.unwrap(), 4 * 31);
    // The view is the records as the earlier layout held them, field for field (but `_id`).
    let mut view: Vec<Document> =
        db.collection::<Document>("production").find(doc! {}).await.unwrap().try_collect().await.unwrap();
    view.sort_by_key(|d| {
        (
            d.get_str("priceArea").unwrap().to_string(),
            d.get_str("productionGroup").unwrap().to_string(),
            d.get_datetime("startTime").unwrap().timestamp_millis(),
        )
    });
    let want: Vec<Document> = sorted(records.clone())
        .iter()
        .map(|r| {
            let mut d = record_document(r);
            d.remove("_id");
            d
        })
        .collect();
    assert_eq!(view, want);
    // Month rollups and all of Norway's days came with it.
    let months =
        store.rollups(Dataset::PRODUCTION, &Scope::All, Period::Month, 202103, 202103).await.unwrap();
    let total: f64 = records.iter().map(|r| r.quantity_kwh).sum();
    assert!((months.iter().map(|r| r.kwh).sum::<f64>() - total).abs() < 1e-6 * total);
    let days =
        store.rollups(Dataset::PRODUCTION, &Scope::All, Period::Day, 20210301, 20210331).await.unwrap();
    assert_eq!(days.iter().map(|r| r.count).sum::<u64>(), 2972);
    // Opening again finds nothing to convert.
    drop(MongoStore::open(settings.clone()).await.unwrap());
    assert_eq!(stored(&store, Dataset::PRODUCTION).await, sorted(records));
    drop_store(&store).await;
}

/// Two writers of the same days at once, one with newer values: whatever the interleaving, the
/// newer values are what stays (a day is written only over the revision its writer read).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(mongodb_server),
    ignore = "ELHUB_TEST_MONGODB_URI is not set: no MongoDB server to test against"
)]
async fn two_writers_of_the_same_days_keep_the_newest_values() {
    use elhub_explorer::model::Dataset;
    let (older, newer) = (march_window(1, 0.0), march_window(2, 0.5));
    for round in 0..3 {
        let name = format!("writers{round}");
        let (a, b) = (test_mongo(&name).await, test_mongo(&name).await);
        let (x, y) = tokio::join!(a.write_window(&older, None), b.write_window(&newer, None));
        x.unwrap();
        y.unwrap();
        assert_eq!(stored(&a, Dataset::PRODUCTION).await, sorted(march_records(2, 0.5)), "round {round}");
        drop_store(&a).await;
    }
}

/// The reference reports' queries, written for a document per record, run unchanged on the
/// view: the README's pymongo example (a pie of NO1's groups, a line of its hydro power) gives
/// the stored totals and hours.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(all(mongodb_server, python_readers)),
    ignore = "ELHUB_TEST_MONGODB_URI or ELHUB_TEST_PYTHON is not set: no MongoDB server or no Python with pymongo"
)]
async fn the_readmes_pymongo_queries_run_on_the_view() {
    use elhub_explorer::model::Dataset;
    use elhub_explorer::store::{Period, Scope};
    use std::sync::Arc;
    let replica = start_replica().await;
    let settings = mongo_settings(&mongo_uri(), "pymongo");
    let store = test_mongo("pymongo").await;
    let sinks = Arc::new(vec![store]);
    let client = Arc::new(fast_client(&replica.url()));
    let (summary, _) = ingest_range(&client, &sinks, Dataset::PRODUCTION, range("2021-01", "2021-01")).await;
    assert_eq!(summary.outcome(), elhub_explorer::ingest::Outcome::Done);
    let readme =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let at = readme.find("<!-- README example: pymongo on the view").expect("the README's pymongo example");
    let body = &readme[at..];
    let body = &body[body.find("```").unwrap()..];
    let body = &body[body.find('\n').unwrap() + 1..];
    let script = &body[..body.find("```").unwrap()];
    let o = std::process::Command::new(std::env::var("ELHUB_TEST_PYTHON").unwrap())
        .args(["-c", script])
        .env("ELHUB_MONGODB_URI", &settings.uri)
        .env("ELHUB_MONGODB_DB", &settings.database)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let printed = String::from_utf8(o.stdout).unwrap();
    let store = &sinks[0];
    let months = store
        .rollups(Dataset::PRODUCTION, &Scope::Entity("NO1".into()), Period::Month, 202101, 202101)
        .await
        .unwrap();
    assert!(months.len() >= 3, "{months:?}");
    for m in &months {
        let line = printed
            .lines()
            .find(|l| l.split_whitespace().next() == Some(m.group.as_str()))
            .unwrap_or_else(|| panic!("{} in {printed}", m.group));
        let gwh: f64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
        assert!((gwh - m.kwh / 1e6).abs() < 0.0006, "{}: {gwh} vs {}", m.group, m.kwh);
    }
    assert!(
        printed.contains("744 hours from 2020-12-31 23:00:00+00:00 to 2021-01-31 22:00:00+00:00"),
        "{printed}"
    );
    drop_store(store).await;
}

/// A day document another program broke is an error naming it, never a day taken as missing
/// (which would be written again as new, or left out of a read without a word).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(mongodb_server),
    ignore = "ELHUB_TEST_MONGODB_URI is not set: no MongoDB server to test against"
)]
async fn a_day_document_that_cannot_be_read_is_named() {
    use elhub_explorer::model::{Dataset, Month, SeriesKey};
    use mongodb::bson::{doc, Document};
    let settings = mongo_settings(&mongo_uri(), "broken");
    let store = test_mongo("broken").await;
    let march: Month = "2021-03".parse().unwrap();
    let data = march_window(1, 0.0);
    store.write_window(&data, None).await.unwrap();
    let client = mongodb::Client::with_uri_str(&settings.uri).await.unwrap();
    let days = client.database(&settings.database).collection::<Document>("production_days");
    days.update_one(doc! {"_id": "NO1|hydro|20210305"}, doc! {"$set": {"steps": "garbled"}}).await.unwrap();
    let key = SeriesKey::new("NO1", "hydro");
    let read = store.series_records(Dataset::PRODUCTION, &key, march.start_utc(), march.end_utc()).await;
    let e = read.unwrap_err();
    assert!(
        e.message.contains("NO1|hydro|20210305") && e.message.contains("cannot be read"),
        "{}",
        e.message
    );
    let write = store.write_window(&data, None).await.unwrap_err();
    assert!(write.message.contains("NO1|hydro|20210305"), "{}", write.message);
    drop_store(&store).await;
}
