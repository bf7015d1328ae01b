//! PostgreSQL as a sink and as the explorer's store (issue 20), against a real server
//! (ELHUB_TEST_POSTGRES; `.ci/run` starts a throwaway cluster): a year of production exact and
//! exported byte for byte as SQLite's, reruns and revisions, kill -9 and the rerun, failures as
//! one line with exit 3 and SQLite intact, TLS refused cleanly, the views with Grafana's and
//! psql's queries equal to `summary`, and the explorer reading it.

#![allow(clippy::unwrap_used)] // tests fail loudly by design

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use common::case::{assert_clean, Case};
use common::{postgres_settings, postgres_url, range, start_replica, test_postgres};
use elhub_explorer::model::Dataset;

async fn output(mut c: Command) -> Output {
    tokio::task::spawn_blocking(move || c.output().unwrap()).await.unwrap()
}

/// A case whose config names a schema of its own on the test server (dropped at the end).
fn case_on(name: &str) -> (Case, String) {
    let schema = postgres_settings(name).schema;
    (Case::new(&format!("[postgres]\nschema = \"{schema}\"\nsslmode = \"disable\"\n")), schema)
}

/// The binary with the test server's connection string in the environment (as a user keeps
/// it, with its password).
fn run(case: &Case, args: &[&str]) -> Command {
    let mut c = case.run(args);
    c.env("ELHUB_POSTGRES_URL", postgres_url());
    c
}

async fn drop_schema(schema: &str) {
    let (client, conn) = tokio_postgres::connect(&postgres_url(), tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(conn);
    client.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).await.unwrap();
}

/// A year of production into SQLite and PostgreSQL at once: 215,353 records each, a rerun
/// changes nothing, a revision replaces in place, the exports are byte for byte the same and so
/// is every annual total.
#[cfg_attr(
    not(postgres_server),
    ignore = "ELHUB_TEST_POSTGRES is not set: no PostgreSQL server to test against (.ci/run starts one)"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_year_into_sqlite_and_postgres_at_once() {
    common::year_into_sqlite_and(test_postgres("year").await).await;
}

/// The binary writes both stores; summary, export and datasets read PostgreSQL as SQLite; the
/// records sit in a partition per local year; the views have their columns, DST-exact.
#[cfg_attr(
    not(postgres_server),
    ignore = "ELHUB_TEST_POSTGRES is not set: no PostgreSQL server to test against (.ci/run starts one)"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_writes_and_reads_postgres() {
    let replica = start_replica().await;
    let (case, schema) = case_on("binary");
    let mut ingest = case.command(
        &replica.url(),
        range("2021-10", "2021-11"),
        &["--sinks", "sqlite,postgres", "--dataset", "consumption"],
    );
    ingest.env("ELHUB_POSTGRES_URL", postgres_url());
    let err = assert_clean(&output(ingest).await, 0);
    assert!(err.contains("postgres: 36625 new, 0 updated, 0 unchanged"), "{err}");
    let db = case.db();
    let db = db.to_str().unwrap();
    for args in [
        vec!["summary", "--dataset", "consumption", "--year", "2021", "--format", "csv"],
        vec!["export", "--dataset", "consumption"],
        vec!["export", "--dataset", "consumption", "--format", "json", "--entity", "bergen"],
        vec!["entities", "--dataset", "consumption"],
        vec!["datasets"],
    ] {
        let read = |store: &str| {
            let mut a = args.clone();
            a.extend(["--db", db, "--store", store]);
            run(&case, &a)
        };
        let (pg, lite) = (output(read("postgres")).await, output(read("sqlite")).await);
        assert_clean(&pg, 0);
        assert!(pg.stdout == lite.stdout, "{args:?} differs between PostgreSQL and SQLite");
    }
    let (client, conn) = tokio_postgres::connect(&postgres_url(), tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(conn);
    let partitions: Vec<String> = client
        .query(
            "SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
             WHERE i.inhparent = $1::text::regclass ORDER BY 1",
            &[&format!("{schema}.records")],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(partitions, ["records_2021"], "a partition per local year");
    // The last Sunday of October 2021: 25 local hours, the second 02:00 at +01:00.
    let rows = client
        .query(
            &format!(
                "SELECT start_local, to_char(start_utc AT TIME ZONE 'UTC', 'HH24:MI') FROM {schema}.consumption
                 WHERE price_area = 'NO5' AND grp = 'household' AND start_local LIKE '2021-10-31%' ORDER BY start_utc"
            ),
            &[],
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), 25);
    let (l2, l3): (String, String) = (rows[2].get(0), rows[3].get(0));
    assert_eq!((l2.as_str(), l3.as_str()), ("2021-10-31T02:00:00+02:00", "2021-10-31T02:00:00+01:00"));
    let columns: Vec<String> = client
        .query(
            "SELECT column_name::text FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'consumption' ORDER BY ordinal_position",
            &[&schema],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(columns, elhub_explorer::store::views::columns(Dataset::CONSUMPTION));
    drop_schema(&schema).await;
}

/// The README's Grafana query (its macros expanded as Grafana does) and psql query on the view
/// give `summary`'s annual totals.
#[cfg_attr(
    not(postgres_server),
    ignore = "ELHUB_TEST_POSTGRES is not set: no PostgreSQL server to test against (.ci/run starts one)"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grafana_and_psql_queries_on_the_views_give_summarys_totals() {
    let replica = start_replica().await;
    let (case, schema) = case_on("grafana");
    let mut ingest = case.command(&replica.url(), range("2021-01", "2021-12"), &["--sinks", "postgres"]);
    ingest.env("ELHUB_POSTGRES_URL", postgres_url());
    assert_clean(&output(ingest).await, 0);
    let summary = output(run(
        &case,
        &["summary", "--store", "postgres", "--year", "2021", "--entity", "NO2", "--format", "json"],
    ))
    .await;
    assert_clean(&summary, 0);
    let rows: serde_json::Value = serde_json::from_slice(&summary.stdout).unwrap();
    let want: std::collections::BTreeMap<String, f64> = rows
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["group"] != "all")
        .map(|r| (r["group"].as_str().unwrap().to_string(), r["kwh"].as_f64().unwrap()))
        .collect();
    // Grafana: the README's query, the dashboard's range 2021, a day per point.
    let grafana = readme_block("grafana")
        .replace("elhub.", &format!("{schema}."))
        .replace(
            "$__timeFilter(start_utc)",
            "start_utc BETWEEN '2020-12-31T23:00:00Z' AND '2021-12-31T22:59:59Z'",
        )
        .replace(
            "$__timeGroupAlias(start_utc, '1d')",
            "floor(extract(epoch from start_utc)/86400)*86400 AS \"time\"",
        );
    let (client, conn) = tokio_postgres::connect(&postgres_url(), tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(conn);
    let mut got: std::collections::BTreeMap<String, f64> = std::collections::BTreeMap::new();
    for row in client.query(&grafana, &[]).await.unwrap_or_else(|e| panic!("{grafana}: {e}")) {
        let (group, mwh): (String, f64) = (row.get("metric"), row.get("mwh"));
        *got.entry(group).or_default() += mwh * 1000.0;
    }
    assert_eq!(got.keys().collect::<Vec<_>>(), want.keys().collect::<Vec<_>>());
    for (group, kwh) in &want {
        assert!((got[group] - kwh).abs() < 1.0, "{group}: {} vs {kwh}", got[group]);
    }
    // psql, as the README writes it (where psql is installed).
    if Command::new("psql").arg("--version").output().is_ok() {
        let command = readme_block("psql").replace("elhub.", &format!("{schema}."));
        let o = Command::new("sh")
            .args(["-c", &command])
            .env("ELHUB_POSTGRES_URL", postgres_url())
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let printed = String::from_utf8(o.stdout).unwrap();
        for (group, kwh) in want.iter().filter(|(g, _)| g.as_str() != "all") {
            let line = printed
                .lines()
                .find(|l| l.trim_start().starts_with(&format!("{group} ")))
                .unwrap_or_else(|| panic!("{group}: {printed}"));
            let gwh: f64 = line.split('|').nth(1).unwrap().trim().parse().unwrap();
            assert!((gwh - kwh / 1e6).abs() < 0.051, "{group}: {gwh} vs {kwh}");
        }
    }
    drop_schema(&schema).await;
}

/// The README's code block that follows `<!-- README example: postgres NAME`.
fn readme_block(name: &str) -> String {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let at =
        readme.find(&format!("<!-- README example: postgres {name}")).unwrap_or_else(|| panic!("no {name}"));
    let rest = &readme[at..];
    let body = &rest[rest.find("```").unwrap()..];
    let body = &body[body.find('\n').unwrap() + 1..];
    body[..body.find("```").unwrap()].to_string()
}

/// kill -9 in the middle of an ingest into PostgreSQL: whole windows only, and the rerun ends
/// exact (the export equals SQLite's of the same year).
#[cfg_attr(
    not(postgres_server),
    ignore = "ELHUB_TEST_POSTGRES is not set: no PostgreSQL server to test against (.ci/run starts one)"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_ingest_then_the_rerun_is_exact() {
    let replica = start_replica().await;
    replica.state.set_faults(elhub_explorer::replica::Faults {
        latency: Duration::from_millis(150),
        ..Default::default()
    });
    let (case, schema) = case_on("kill");
    let year = range("2021-01", "2021-12");
    let mut child = {
        let mut c = case.command(&replica.url(), year, &["--sinks", "postgres", "--concurrency", "2"]);
        c.env("ELHUB_POSTGRES_URL", postgres_url()).stderr(Stdio::null());
        c.spawn().unwrap()
    };
    let store = test_postgres_schema(&schema).await;
    let started = std::time::Instant::now();
    loop {
        let n = store.count(Dataset::PRODUCTION).await.unwrap_or(0);
        if n > 0 || started.elapsed() > Duration::from_secs(60) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let partial = store.count(Dataset::PRODUCTION).await.unwrap();
    assert!(partial > 0 && partial < 215_353, "killed midway: {partial}");
    // Whole windows only: every local month is all there or not there at all.
    let (client, conn) = tokio_postgres::connect(&postgres_url(), tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(conn);
    for row in client
        .query(
            &format!("SELECT substr(start_local, 1, 7), count(*) FROM {schema}.production GROUP BY 1"),
            &[],
        )
        .await
        .unwrap()
    {
        let (month, n): (String, i64) = (row.get(0), row.get(1));
        let m: elhub_explorer::model::Month = month.parse().unwrap();
        let full = replica.state.records(Dataset::PRODUCTION, m.start_utc(), m.end_utc()).len() as i64;
        assert_eq!(n, full, "{month} is whole");
    }
    replica.state.set_faults(Default::default());
    let mut rerun = case.command(&replica.url(), year, &["--sinks", "postgres"]);
    rerun.env("ELHUB_POSTGRES_URL", postgres_url());
    assert_clean(&output(rerun).await, 0);
    assert_eq!(store.count(Dataset::PRODUCTION).await.unwrap(), 215_353);
    let expected = common::sorted(replica.state.records(
        Dataset::PRODUCTION,
        year.from().start_utc(),
        year.to().end_utc(),
    ));
    assert!(common::stored(&store, Dataset::PRODUCTION).await == expected, "exact after the rerun");
    drop_schema(&schema).await;
}

async fn test_postgres_schema(schema: &str) -> elhub_explorer::store::Store {
    let mut settings = postgres_settings("x");
    settings.schema = schema.to_string();
    elhub_explorer::store::Store::new(elhub_explorer::store::PostgresStore::open(settings).await.unwrap())
}

/// An unreachable server, a wrong password and a TLS handshake the server refuses: one line
/// naming PostgreSQL and the host, never the password; SQLite is written whole and the run ends
/// partly done (exit 3).
#[cfg_attr(
    not(postgres_server),
    ignore = "ELHUB_TEST_POSTGRES is not set: no PostgreSQL server to test against (.ci/run starts one)"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_are_one_line_without_the_password_and_sqlite_completes() {
    let replica = start_replica().await;
    let good = postgres_url();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let wrong_password = good.replacen(":ci-only-password@", ":not-the-password-9z@", 1);
    assert_ne!(wrong_password, good, "the test server's URL has the CI password");
    let sep = if good.contains('?') { '&' } else { '?' };
    for (url, expected, secret) in [
        (
            format!("postgresql://elhub_ci:s3cret-xyz@127.0.0.1:{port}/elhub_ci"),
            format!("PostgreSQL at postgresql://elhub_ci@127.0.0.1:{port}/elhub_ci cannot be reached"),
            "s3cret-xyz",
        ),
        (wrong_password.clone(), "refused the login".to_string(), "not-the-password-9z"),
        (format!("{good}{sep}sslmode=require"), "TLS refused".to_string(), "ci-only-password"),
    ] {
        let (case, schema) = case_on("fail");
        let mut c =
            case.command(&replica.url(), range("2021-03", "2021-03"), &["--sinks", "sqlite,postgres"]);
        c.env("ELHUB_POSTGRES_URL", &url);
        let o = output(c).await;
        let err = assert_clean(&o, 3);
        let said: Vec<&str> = err.lines().filter(|l| l.contains("PostgreSQL")).collect();
        assert!(!said.is_empty() && said.iter().all(|l| l.contains(&expected)), "{expected}: {err}");
        assert!(!err.contains(secret) && !String::from_utf8_lossy(&o.stdout).contains(secret), "{err}");
        assert!(!case.log().contains(secret), "the log keeps the password out too");
        assert_eq!(case.store().await.count(Dataset::PRODUCTION).await.unwrap(), 17_832, "SQLite whole");
        if expected == "TLS refused" {
            assert!(err.contains("does not support TLS"), "{err}");
        }
        drop_schema(&schema).await;
    }
}

/// The explorer on `--store postgres` shows what it shows on SQLite: the same totals, the same
/// curve (the screens equal but for the status line naming the store).
#[cfg_attr(
    not(all(postgres_server, tmux_present)),
    ignore = "needs ELHUB_TEST_POSTGRES (a PostgreSQL server) and tmux (.ci/run has both)"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_explorer_on_postgres_shows_what_it_shows_on_sqlite() {
    let replica = start_replica().await;
    let (case, schema) = case_on("explorer");
    let mut ingest =
        case.command(&replica.url(), range("2021-03", "2021-03"), &["--sinks", "sqlite,postgres"]);
    ingest.env("ELHUB_POSTGRES_URL", postgres_url());
    assert_clean(&output(ingest).await, 0);
    let bin = env!("CARGO_BIN_EXE_elhub-explorer");
    let d = case.dir.path();
    let screen_of = |store: &str| -> String {
        let script = format!(
            "cd '{dir}' && env -i HOME='{dir}' PATH=/usr/bin:/bin TERM=xterm-256color XDG_STATE_HOME='{dir}/{store}' \
             ELHUB_POSTGRES_URL='{url}' '{bin}' -c test.toml --db '{db}' --store {store} --fresh --from 2021-03 --to 2021-03; sleep 60",
            dir = d.display(),
            url = postgres_url(),
            db = case.db().display(),
        );
        let tmux = common::tmux::Tmux { socket: format!("elhub-pg-{}-{store}", std::process::id()) };
        tmux.run(&["new-session", "-d", "-s", "e2e", "-x", "120", "-y", "36", &script]);
        tmux.wait_for(&["Hourly · NO1 Oslo hydro · Mar 2021", "743 h"]);
        tmux.keys(&["v"]);
        tmux.wait_for(&["Daily · NO1 Oslo hydro · 2021", "total ", "days/col"]);
        let screen = tmux.screen();
        tmux.keys(&["q"]);
        // The last line names the store; the rest is the data.
        let lines: Vec<&str> = screen.lines().collect();
        lines[..lines.len() - 1].join("\n")
    };
    let (lite, pg) = (screen_of("sqlite"), screen_of("postgres"));
    assert_eq!(pg, lite, "the screens differ");
    assert!(lite.contains("TWh") || lite.contains("GWh"), "totals shown: {lite}");
    drop_schema(&schema).await;
}
