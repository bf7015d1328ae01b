//! Trust under hostile input (issue 12): the binary against a misbehaving API and damaged
//! stores. Nothing outside the requested window is stored, memory stays bounded by an endless
//! body, an export is atomic and a snapshot, secrets and terminal control codes are never
//! printed, Retry-After dates are honoured, a month without valid records fails, reading
//! commands create nothing, and an unreachable API is given up early.

#![allow(clippy::unwrap_used)] // tests fail loudly by design

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use common::case::*;
use common::*;
use elhub_explorer::model::{Dataset, Month};
use elhub_explorer::replica::Faults;

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

async fn output(mut c: std::process::Command) -> Output {
    tokio::task::spawn_blocking(move || c.output().unwrap()).await.unwrap()
}

/// A February answer carrying a January record (revised later, another value) leaves the
/// complete January as it was; the record is rejected, counted and named in the log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_outside_the_window_is_rejected_and_named() {
    let replica = start_replica().await;
    let case = Case::new("");
    assert_clean(&case.ingest(&replica.url(), range("2021-01", "2021-01"), &[]).await, 0);
    replica
        .state
        .set_faults(Faults { sequence: Faults::parse_sequence("outside").unwrap(), ..Faults::default() });
    let err = assert_clean(&case.ingest(&replica.url(), range("2021-02", "2021-02"), &[]).await, 0);
    assert!(err.contains("1 rejected"), "{err}");
    assert!(case.log().contains("lies outside the requested window"), "the log names it");
    assert_exact(&case, &replica, range("2021-01", "2021-02")).await;
}

/// An endless body ends at the configured limit as a failed attempt; memory stays bounded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_body_stops_at_the_limit() {
    let replica = with_faults("endless,endless,endless", 1).await;
    let case = Case::with_config(
        "[api]\nmax_retries = 2\nmin_backoff_ms = 5\nmax_backoff_secs = 1\nmax_body_mb = 8\n",
    );
    let mut child = case
        .command(&replica.url(), range("2021-02", "2021-02"), &[])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut peak_kb = 0u64;
    while child.try_wait().unwrap().is_none() {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        let hwm = status
            .lines()
            .find(|l| l.starts_with("VmHWM:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok());
        peak_kb = peak_kb.max(hwm.unwrap_or(0));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let o = child.wait_with_output().unwrap();
    let err = assert_clean(&o, 1);
    assert!(err.contains("larger than the limit of 8 MB (api.max_body_mb)"), "{err}");
    assert!(peak_kb < 120_000, "peak memory {peak_kb} kB while the body never ended");
}

/// `export -o keep.csv` that fails halfway (a damaged page) leaves keep.csv as it was, and no
/// temporary file behind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_export_keeps_the_old_file() {
    let replica = start_replica().await;
    let case = Case::new("");
    assert_clean(&case.ingest(&replica.url(), range("2021-01", "2021-03"), &[]).await, 0);
    let keep = case.dir.path().join("keep.csv");
    std::fs::write(&keep, "the good export of yesterday\n").unwrap();
    // Damage the pages in the middle of the file (records), not its first page (the schema).
    let db = case.db();
    let mut bytes = std::fs::read(&db).unwrap();
    let n = bytes.len();
    bytes[n / 2..n * 3 / 4].fill(0xA5);
    std::fs::write(&db, bytes).unwrap();
    let o = output(case.run(&["export", "--db", db.to_str().unwrap(), "-o", "keep.csv"])).await;
    let err = assert_clean(&o, 1);
    assert!(err.contains("malformed") || err.contains("not a SQLite database"), "{err}");
    assert_eq!(std::fs::read_to_string(&keep).unwrap(), "the good export of yesterday\n");
    let left: Vec<_> = std::fs::read_dir(case.dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name())
        .filter(|n| n.to_string_lossy().starts_with(".elhub-export-"))
        .collect();
    assert!(left.is_empty(), "temporary files left: {left:?}");
}

/// Exports taken while an ingest writes revisions are snapshots: every month of every export
/// holds one revision (one lastUpdatedTime) across all its series, never half of two.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_taken_while_an_ingest_writes_is_whole_windows() {
    let replica = start_replica().await;
    let case = Case::new("");
    let year = range("2021-01", "2021-12");
    assert_clean(&case.ingest(&replica.url(), year, &[]).await, 0);
    let db = case.db().to_str().unwrap().to_string();
    let mut exports = 0;
    for _ in 0..4 {
        for m in year.months() {
            replica.state.revise(Dataset::PRODUCTION, m);
        }
        let writer = case.command(&replica.url(), year, &["--force", "--concurrency", "1"]);
        let ingest = output(writer);
        let reads = async {
            let mut found = Vec::new();
            for _ in 0..6 {
                let o = output(case.run(&["export", "--db", &db])).await;
                assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
                found.push(stdout(&o));
            }
            found
        };
        let (o, found) = tokio::join!(ingest, reads);
        assert_clean(&o, 0);
        for csv in found {
            exports += 1;
            // month -> the lastUpdatedTimes seen in it
            let mut revisions: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
            for line in csv.lines().skip(1) {
                let f: Vec<&str> = line.split(',').collect();
                let start: chrono::DateTime<chrono::Utc> = f[2].parse().unwrap();
                revisions.entry(Month::containing(start).to_string()).or_default().insert(f[5].to_string());
            }
            assert_eq!(revisions.len(), 12);
            for (month, seen) in revisions {
                assert_eq!(seen.len(), 1, "export {exports}: {month} mixes revisions {seen:?}");
            }
        }
    }
}

/// A secret in any option of a MongoDB URI is never printed, on the command line or in a
/// config file (which refuses it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_in_uri_options_are_never_printed() {
    let replica = start_replica().await;
    let case = Case::new("");
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let uri = format!("mongodb://u:pw-1@127.0.0.1:{port}/?tlsCertificateKeyFilePassword=pw-2&serverSelectionTimeoutMS=300&bogusOption=x");
    let o = output(case.command(
        &replica.url(),
        range("2021-02", "2021-02"),
        &["--sinks", "sqlite,mongodb", "--mongodb-uri", &uri],
    ))
    .await;
    let err = stderr(&o);
    assert!(!err.contains("pw-1") && !err.contains("pw-2"), "a secret leaked: {err}");
    assert!(err.contains("MongoDB"), "{err}");
    let bad = format!("mongodb://127.0.0.1:{port}/?tls=true&tlsCertificateKeyFilePassword=pw-3");
    std::fs::write(case.dir.path().join("test.toml"), format!("[mongodb]\nuri = \"{bad}\"\n")).unwrap();
    let o = output(case.run(&["summary", "--store", "mongodb"])).await;
    let err = assert_clean(&o, 2);
    assert!(err.contains("carries a secret") && !err.contains("pw-3"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

/// Group names holding terminal control sequences are escaped wherever a command prints them;
/// an export to a file keeps the data as it came.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_characters_from_the_api_never_reach_the_terminal() {
    let replica = with_faults("hostile", 1).await;
    let case = Case::new("");
    let o = case.ingest(&replica.url(), range("2021-02", "2021-02"), &[]).await;
    let err = assert_clean(&o, 0);
    // Control characters, and the bidirectional override that reorders what follows it.
    let raw = |t: &str| t.chars().any(|c| (c.is_control() && c != '\n') || c == '\u{202E}');
    assert!(!raw(&err), "{err:?}");
    let db = case.db().to_str().unwrap().to_string();
    for args in [vec!["summary", "--db", &db, "--year", "2021"], vec!["datasets", "--db", &db]] {
        let o = output(case.run(&args)).await;
        assert_eq!(o.status.code(), Some(0));
        assert!(!raw(&stdout(&o)) && !raw(&stderr(&o)), "{args:?}: {:?}", stdout(&o));
    }
    let summary = stdout(&output(case.run(&["summary", "--db", &db, "--year", "2021"])).await);
    assert!(summary.contains("\\u{1b}]0;pwned\\u{7}"), "shown escaped: {summary}");
    assert!(summary.contains("\\u{202e}lasrever"), "the override shown escaped: {summary}");
    let o = output(case.run(&["export", "--db", &db, "-o", "raw.csv"])).await;
    assert_eq!(o.status.code(), Some(0));
    let file = std::fs::read_to_string(case.dir.path().join("raw.csv")).unwrap();
    assert!(file.contains("\u{1b}]0;pwned\u{7}"), "the file keeps the data");
    assert!(file.contains("\u{202E}lasrever"), "the file keeps the data");
}

/// Retry-After as an HTTP date (RFC 9110) is honoured, not replaced by the backoff.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_as_an_http_date_is_honoured() {
    let replica = with_faults("429at:3", 1).await;
    let case = Case::with_config(
        "[api]\nmax_retries = 6\nmin_backoff_ms = 5\nmax_backoff_secs = 1\nmax_retry_after_secs = 10\n",
    );
    let started = Instant::now();
    let err = assert_clean(&case.ingest(&replica.url(), range("2021-02", "2021-02"), &[]).await, 0);
    // The date has one-second precision: two to three seconds ahead.
    assert!(err.contains("HTTP 429, retry 1 in 2.") || err.contains("HTTP 429, retry 1 in 3.0"), "{err}");
    assert!(started.elapsed() >= Duration::from_secs(2));
}

/// A body without `data`, or a month whose every record fails validation, is a failed month
/// (exit 1), and the summary says why; an empty month stays what it was (exit 0, asked again).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_month_without_valid_records_fails() {
    let replica = with_faults("nodatamember,nodatamember,nodatamember", 1).await;
    let case = Case::with_config("[api]\nmax_retries = 2\nmin_backoff_ms = 5\nmax_backoff_secs = 1\n");
    let err = assert_clean(&case.ingest(&replica.url(), range("2021-02", "2021-02"), &[]).await, 1);
    assert!(err.contains("failed 2021-02: the response has no `data` member"), "{err}");
    let replica = with_faults("invalid", 1).await;
    let err = assert_clean(&case.ingest(&replica.url(), range("2021-03", "2021-03"), &[]).await, 1);
    assert!(
        err.contains(
            "failed 2021-03: every record was rejected (17832; the first: NO1: missing quantityKwh)"
        ),
        "{err}"
    );
    assert_eq!(case.store().await.count(Dataset::PRODUCTION).await.unwrap(), 0);
}

/// export and summary on a mistyped --db say so and create nothing; datasets and entities
/// create nothing either. Only an ingest or the explorer (which fetches on a first run) makes
/// the file, and the explorer without a terminal stops before it does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reading_commands_never_create_a_database() {
    let case = Case::new("");
    for args in [vec!["export", "--db", "typo.sqlite"], vec!["summary", "--db", "typo.sqlite"]] {
        let o = output(case.run(&args)).await;
        let err = assert_clean(&o, 2);
        assert!(err.contains("the database typo.sqlite does not exist"), "{args:?}: {err}");
        assert!(!case.dir.path().join("typo.sqlite").exists(), "{args:?} created it");
    }
    let o = output(case.run(&["--db", "typo.sqlite"])).await;
    let err = assert_clean(&o, 2);
    assert!(err.contains("the explorer needs a terminal"), "{err}");
    assert!(!case.dir.path().join("typo.sqlite").exists(), "the explorer without a terminal created it");
    // The catalogue is known without a store: datasets and entities say nothing is stored.
    for args in [vec!["datasets", "--db", "typo.sqlite"], vec!["entities", "--db", "typo.sqlite"]] {
        let o = output(case.run(&args)).await;
        assert_clean(&o, 0);
        assert!(!case.dir.path().join("typo.sqlite").exists(), "{args:?} created it");
    }
}

/// An API that cannot be reached is given up after the first windows fail to connect: one
/// line, exit 1, in seconds rather than minutes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_api_is_given_up_early() {
    let case = Case::with_config("");
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let started = Instant::now();
    let o = case.ingest(&format!("http://127.0.0.1:{port}"), range("2021-01", "2022-12"), &[]).await;
    let err = assert_clean(&o, 1);
    assert!(err.contains(&format!("cannot reach the API at http://127.0.0.1:{port}")), "{err}");
    assert!(err.contains("months not tried"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(60), "took {:?}", started.elapsed());
}

/// An absurd quantity (1e308 kWh) is rejected, so totals stay finite.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_absurd_quantity_is_rejected() {
    let replica = with_faults("huge", 1).await;
    let case = Case::new("");
    let err = assert_clean(&case.ingest(&replica.url(), range("2021-02", "2021-02"), &[]).await, 0);
    assert!(err.contains("1 rejected"), "{err}");
    let o = output(case.run(&["summary", "--db", case.db().to_str().unwrap(), "--year", "2021"])).await;
    let out = stdout(&o);
    assert!(!out.contains("inf") && !out.contains("NaN"), "{out}");
}

/// A month that lacks an entity which had data the month before is not marked complete, with
/// a warning; the next run asks for it again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_month_missing_an_entity_is_not_marked_complete() {
    let replica = start_replica().await;
    let case = Case::new("");
    assert_clean(&case.ingest(&replica.url(), range("2021-01", "2021-01"), &[]).await, 0);
    replica
        .state
        .set_faults(Faults { sequence: Faults::parse_sequence("dropentity").unwrap(), ..Faults::default() });
    let err = assert_clean(&case.ingest(&replica.url(), range("2021-02", "2021-02"), &[]).await, 0);
    assert!(err.contains("no data for NO5, which had data in 2021-01"), "{err}");
    let covered: Vec<String> = case
        .store()
        .await
        .coverage(Dataset::PRODUCTION)
        .await
        .unwrap()
        .iter()
        .map(|c| c.month.to_string())
        .collect();
    assert_eq!(covered, ["2021-01"], "February is not complete");
    replica.state.set_faults(Faults::default());
    let err = assert_clean(&case.ingest(&replica.url(), range("2021-01", "2021-02"), &[]).await, 0);
    assert!(err.contains("skipped 1 month already complete"), "{err}");
    assert_exact(&case, &replica, range("2021-01", "2021-02")).await;
}

/// Boolean environment variables take 1/0, true/false, yes/no.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boolean_environment_variables_take_the_usual_words() {
    let case = Case::new("");
    for value in ["1", "0", "true", "false", "yes", "no"] {
        let o = output({
            let mut c = case.run(&["summary", "--db", "nothing.sqlite"]);
            c.env("ELHUB_ASCII", value);
            c
        })
        .await;
        let err = stderr(&o);
        assert!(!err.contains("invalid value"), "ELHUB_ASCII={value}: {err}");
        assert!(err.contains("does not exist"), "ELHUB_ASCII={value}: {err}");
    }
    let o = output({
        let mut c = case.run(&["datasets"]);
        c.env("ELHUB_ASCII", "maybe");
        c
    })
    .await;
    assert_clean(&o, 2);
}

/// export honours --year/--from/--to (everything stored without them); a filter that matches
/// nothing says so with what is stored, and exits 2.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_honours_the_range_and_says_when_nothing_matches() {
    let replica = start_replica().await;
    let case = Case::new("");
    assert_clean(&case.ingest(&replica.url(), range("2021-05", "2021-07"), &[]).await, 0);
    let db = case.db().to_str().unwrap().to_string();
    let lines = |o: &Output| stdout(o).lines().count() - 1;
    let all = output(case.run(&["export", "--db", &db])).await;
    assert_eq!(lines(&all), 17_856 + 17_976 + 18_600);
    let june = output(case.run(&["export", "--db", &db, "--from", "2021-06", "--to", "2021-06"])).await;
    assert_eq!(lines(&june), 17_976);
    let year =
        output(case.run(&["export", "--db", &db, "--year", "2021", "--area", "NO4", "--group", "solar"]))
            .await;
    assert_eq!(lines(&year), (29 + 31) * 24, "NO4 solar starts on 2 June");
    let none = output(case.run(&["export", "--db", &db, "--group", "hydrp"])).await;
    let err = assert_clean(&none, 2);
    assert!(
        err.contains("no production records match --group hydrp")
            && err.contains("groups: hydro, other, solar, thermal, wind"),
        "{err}"
    );
}

/// A redirect loop is named as one, not as a bad body.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_loop_is_named() {
    let replica = with_faults("redirectloop", 1).await;
    let case = Case::new("");
    let err = assert_clean(&case.ingest(&replica.url(), range("2021-02", "2021-02"), &[]).await, 1);
    assert!(err.contains("redirected too many times"), "{err}");
    assert!(!err.contains("bad body"), "{err}");
}
