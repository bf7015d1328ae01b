//! The SQLite store as the analyst's SQL interface (issue 18): a view per dataset with the
//! documented columns, DST-exact local times and repaired names, equal to `export` row for row;
//! the `entities` and `stored_months` views; a store of schema 5 getting them on open; and the
//! README's three examples (sqlite3, Python with pandas, DuckDB on a Parquet tree) run as written
//! and compared with `summary` and `export`.

#![allow(clippy::unwrap_used)] // tests fail loudly by design

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use common::{fast_client, ingest_range, range, start_replica};
use elhub_explorer::export::{self, ExportFormat, ExportJob};
use elhub_explorer::model::{format_local, Dataset, LOCAL_TZ};
use elhub_explorer::store::{views, SqliteStore, Store};

/// A home directory whose default store holds production 2021 and a month of municipalities
/// (January 2024), as the README's examples expect them at `~/.local/share/elhub-explorer/`.
struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    async fn new() -> Home {
        let dir = tempfile::tempdir().unwrap();
        let home = Home { dir };
        std::fs::create_dir_all(home.db().parent().unwrap()).unwrap();
        let replica = start_replica().await;
        let client = Arc::new(fast_client(&replica.url()));
        let sinks = Arc::new(vec![Store::new(SqliteStore::open(&home.db()).unwrap())]);
        for (dataset, months) in [
            (Dataset::PRODUCTION, range("2021-01", "2021-12")),
            (Dataset::CONSUMPTION_MUNICIPALITY, range("2024-01", "2024-01")),
        ] {
            let (summary, _) = ingest_range(&client, &sinks, dataset, months).await;
            assert_eq!(summary.outcome(), elhub_explorer::ingest::Outcome::Done);
        }
        home
    }

    fn db(&self) -> PathBuf {
        self.dir.path().join(".local/share/elhub-explorer/elhub.sqlite")
    }

    fn store(&self) -> Store {
        Store::new(SqliteStore::open_read_only(&self.db(), std::time::Duration::from_secs(5)).unwrap())
    }

    /// A shell command run as the README gives it, with this home and the built binary (and,
    /// where set, the test Python as `python3`) first on the PATH.
    fn shell(&self, script: &str) -> std::process::Output {
        let bin = self.dir.path().join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        let link = |name: &str, to: &str| {
            let at = bin.join(name);
            if !at.exists() {
                std::os::unix::fs::symlink(to, at).unwrap();
            }
        };
        link("elhub-explorer", env!("CARGO_BIN_EXE_elhub-explorer"));
        if let Ok(python) = std::env::var("ELHUB_TEST_PYTHON") {
            // A script, not a link: a virtualenv's Python finds its packages from its own path.
            let at = bin.join("python3");
            std::fs::write(&at, format!("#!/bin/sh\nexec '{python}' \"$@\"\n")).unwrap();
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&at, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
        std::process::Command::new("sh")
            .arg("-c")
            .arg(script)
            .current_dir(self.dir.path())
            .env_clear()
            .env("HOME", self.dir.path())
            .env("PATH", path)
            .output()
            .unwrap()
    }
}

/// Every record of a dataset as export writes it, with the names export gives.
async fn exported(store: &Store, dataset: Dataset) -> Vec<elhub_explorer::model::Record> {
    let series = store.series(dataset).await.unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::channel(2);
    let (from, to) = elhub_explorer::model::all_time_utc();
    let read = store.snapshot(dataset, series, from, to, tx);
    let collect = async {
        let mut out = Vec::new();
        while let Some(chunk) = rx.recv().await {
            out.extend(chunk.unwrap());
        }
        out
    };
    tokio::join!(read, collect).1
}

/// The README's code block that follows `marker`.
fn readme_block(marker: &str) -> String {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let at = readme.find(&format!("<!-- README example: {marker}")).unwrap_or_else(|| panic!("no {marker}"));
    let rest = &readme[at..];
    let open = rest.find("```").unwrap();
    let body = &rest[open..];
    let body = &body[body.find('\n').unwrap() + 1..];
    body[..body.find("```").unwrap()].to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_store_as_sql() {
    let home = Home::new().await;
    views_are_the_export_row_for_row(&home).await;
    entities_and_stored_months(&home);
    readme_sqlite3_example(&home).await;
    a_schema_5_store_gets_the_views(&home).await;
}

#[cfg_attr(
    not(python_readers),
    ignore = "ELHUB_TEST_PYTHON is not set: no Python with pandas, pyarrow and duckdb (.ci/run installs them)"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readmes_python_examples_run_as_written() {
    let home = Home::new().await;
    readme_pandas_example(&home).await;
    readme_duckdb_example(&home).await;
}

/// Each view has the documented columns, and its rows are the export's, field for field:
/// the local start with its offset (the DST days have 23 and 25 rows a series), the name.
async fn views_are_the_export_row_for_row(home: &Home) {
    let store = home.store();
    let conn =
        rusqlite::Connection::open_with_flags(home.db(), rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    for dataset in Dataset::all() {
        let view = views::view_name(dataset);
        let columns: Vec<String> = conn
            .prepare(&format!("SELECT name FROM pragma_table_info('{view}')"))
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(columns, views::columns(dataset), "{view}");
    }
    for dataset in [Dataset::PRODUCTION, Dataset::CONSUMPTION_MUNICIPALITY] {
        let names = export::names_of(&store, dataset).await.unwrap();
        let records = exported(&store, dataset).await;
        let entity = dataset.entity().column();
        let mut stmt = conn
            .prepare(&format!(
                "SELECT * FROM {} ORDER BY {entity}, grp, start_utc",
                views::view_name(dataset)
            ))
            .unwrap();
        let mut rows = stmt.query([]).unwrap();
        let mut n = 0;
        while let Some(row) = rows.next().unwrap() {
            let r = &records[n];
            let text = |i: usize| row.get::<_, String>(i).unwrap();
            assert_eq!(text(0), elhub_explorer::model::utc_text(r.start));
            assert_eq!(text(1), format_local(r.start), "start_local of {r:?}");
            assert_eq!(
                (text(2), text(3), text(4)),
                (r.entity.clone(), names[&r.entity].clone(), r.group.clone())
            );
            assert_eq!(row.get::<_, f64>(5).unwrap(), r.quantity_kwh, "kwh exactly as stored");
            let last = if dataset.has_metering_points() {
                assert_eq!(row.get::<_, Option<u32>>(6).unwrap(), r.metering_points);
                7
            } else {
                6
            };
            assert_eq!(text(last), elhub_explorer::model::utc_text(r.last_updated));
            n += 1;
        }
        assert_eq!(n, records.len(), "{dataset}: every record, once");
    }
    // The days summer time begins and ends: 23 and 25 local hours in every series.
    let hours = |day: &str| -> Vec<i64> {
        conn.prepare(&format!(
            "SELECT count(*) FROM production WHERE start_local LIKE '{day}T%' GROUP BY price_area, grp"
        ))
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
    };
    assert!(hours("2021-03-28").iter().all(|n| *n == 23) && hours("2021-03-28").len() == 24);
    assert!(hours("2021-10-31").iter().all(|n| *n == 25) && hours("2021-10-31").len() == 25);
    let twice: Vec<String> = conn
        .prepare("SELECT start_local FROM production WHERE price_area = 'NO1' AND grp = 'hydro' AND start_local LIKE '2021-10-31T02:%' ORDER BY start_utc")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(twice, ["2021-10-31T02:00:00+02:00", "2021-10-31T02:00:00+01:00"]);
}

/// `entities` names every entity (repaired, and as sent); `stored_months` is what `datasets`
/// counts.
fn entities_and_stored_months(home: &Home) {
    let conn =
        rusqlite::Connection::open_with_flags(home.db(), rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let snasa: (String, String, String) = conn
        .query_row("SELECT kind, name, name_as_sent FROM entities WHERE id = '5041'", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .unwrap();
    assert_eq!(snasa, ("municipality".into(), "Snåsa".into(), "SnÃ¥sa".into()));
    let kinds: Vec<(String, i64)> = conn
        .prepare("SELECT kind, count(*) FROM entities GROUP BY kind ORDER BY kind")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(kinds, [("municipality".to_string(), 361), ("price_area".to_string(), 5)]);
    let months: Vec<(String, String, i64)> = conn
        .prepare("SELECT dataset, month, records FROM stored_months ORDER BY dataset, month")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(months.len(), 13);
    assert_eq!(months[0].0, "consumption-municipality");
    assert_eq!(months.iter().filter(|m| m.0 == "production").map(|m| m.2).sum::<i64>(), 215_353);
}

/// The daily totals the README's sqlite3 command prints are the export's records summed by
/// local day and group.
async fn readme_sqlite3_example(home: &Home) {
    let block = readme_block("sqlite3 daily totals");
    let sql = block.split('"').nth(1).unwrap().to_string();
    let printed: Vec<(String, String, f64)> = if which("sqlite3") {
        // The command exactly as written.
        let o = home.shell(&block);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8(o.stdout)
            .unwrap()
            .lines()
            .skip(2)
            .map(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                (f[0].to_string(), f[1].to_string(), f[2].parse().unwrap())
            })
            .collect()
    } else {
        // No sqlite3 here: the query itself, through SQLite.
        let conn = rusqlite::Connection::open(home.db()).unwrap();
        let mut stmt = conn.prepare(&sql).unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().map(Result::unwrap).collect()
    };
    let mut want: BTreeMap<(String, String), f64> = BTreeMap::new();
    for r in exported(&home.store(), Dataset::PRODUCTION).await {
        let local = r.start.with_timezone(&LOCAL_TZ);
        if r.entity == "NO2" && local.format("%Y-%m").to_string() == "2021-03" {
            *want.entry((local.format("%Y-%m-%d").to_string(), r.group.clone())).or_default() +=
                r.quantity_kwh;
        }
    }
    assert_eq!(printed.len(), want.len(), "31 days × NO2's groups");
    for ((day, grp, mwh), ((d, g), kwh)) in printed.iter().zip(&want) {
        assert_eq!((day, grp), (d, g));
        assert!((mwh - (kwh / 1000.0 * 10.0).round() / 10.0).abs() < 0.051, "{day} {grp}: {mwh} vs {kwh}");
    }
}

fn which(program: &str) -> bool {
    std::process::Command::new(program).arg("-version").output().is_ok()
}

/// The README's pandas example prints the five largest municipalities of January 2024 in GWh,
/// as the records sum to.
async fn readme_pandas_example(home: &Home) {
    let block = readme_block("pandas top municipalities");
    let o = home.shell(&format!("python3 - <<'PY'\n{block}PY\n"));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let printed = String::from_utf8(o.stdout).unwrap();
    let mut totals: BTreeMap<String, f64> = BTreeMap::new();
    let store = home.store();
    let names = export::names_of(&store, Dataset::CONSUMPTION_MUNICIPALITY).await.unwrap();
    for r in exported(&store, Dataset::CONSUMPTION_MUNICIPALITY).await {
        *totals.entry(names[&r.entity].clone()).or_default() += r.quantity_kwh;
    }
    let mut top: Vec<(String, f64)> = totals.into_iter().collect();
    top.sort_by(|a, b| b.1.total_cmp(&a.1));
    for (name, kwh) in top.iter().take(5) {
        let line = printed
            .lines()
            .find(|l| l.starts_with(name.as_str()))
            .unwrap_or_else(|| panic!("{name} in {printed}"));
        let gwh: f64 = line.split_whitespace().last().unwrap().parse().unwrap();
        assert!((gwh - kwh / 1e6).abs() < 0.051, "{name}: {gwh} vs {kwh}");
    }
}

/// The README's DuckDB example, on the tree its own export command writes, prints the annual
/// totals per group that `summary` gives.
async fn readme_duckdb_example(home: &Home) {
    let o = home.shell(&readme_block("duckdb on a parquet tree"));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let printed = String::from_utf8(o.stdout).unwrap();
    assert!(home.dir.path().join("lake/dataset=production/year=2021/part-0.parquet").is_file());
    let summary = home.shell("elhub-explorer summary --year 2021 --format csv --unit GWh");
    let summary = String::from_utf8(summary.stdout).unwrap();
    for line in
        summary.lines().filter(|l| l.contains(",all,all,Norway,") && !l.contains(",all,all,Norway,all,"))
    {
        let f: Vec<&str> = line.split(',').collect();
        let (group, gwh): (&str, f64) = (f[4], f[5].parse().unwrap());
        // DuckDB's box: │ year │ grp │ gwh │.
        let shown: f64 = printed
            .lines()
            .map(|l| l.split('│').map(str::trim).collect::<Vec<_>>())
            .find(|f| f.len() == 5 && f[1] == "2021" && f[2] == group)
            .unwrap_or_else(|| panic!("{group} in {printed}"))[3]
            .parse()
            .unwrap();
        assert!((shown - gwh).abs() < 0.051, "{group}: {shown} vs {gwh}");
    }
}

/// A store left at schema 5 (the table `entities`, no views, no repaired names) gets the views
/// and the names when it is opened, and exports the same.
async fn a_schema_5_store_gets_the_views(home: &Home) {
    let path = home.dir.path().join("v5.sqlite");
    std::fs::copy(home.db(), &path).unwrap();
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        for view in views::all_names() {
            conn.execute_batch(&format!("DROP VIEW {view}")).unwrap();
        }
        conn.execute_batch(
            "DROP TABLE oslo_offsets;
             ALTER TABLE entity_names DROP COLUMN display_name;
             ALTER TABLE entity_names RENAME TO entities;
             UPDATE meta SET value = '5' WHERE key = 'schema_version';",
        )
        .unwrap();
    }
    let store = Store::new(SqliteStore::open(&path).unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    let version: String =
        conn.query_row("SELECT value FROM meta WHERE key = 'schema_version'", [], |r| r.get(0)).unwrap();
    assert_eq!(version, "7");
    let name: String = conn
        .query_row(
            "SELECT entity_name FROM consumption_municipality WHERE municipality = '5041' LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(name, "Snåsa");
    let n: i64 = conn.query_row("SELECT count(*) FROM production", [], |r| r.get(0)).unwrap();
    assert_eq!(n, 215_353);
    assert!(csv_of(&store).await == csv_of(&home.store()).await, "the same export after the migration");
}

/// The production export (with names) as CSV.
async fn csv_of(store: &Store) -> Vec<u8> {
    let series = store.series(Dataset::PRODUCTION).await.unwrap();
    let mut job = ExportJob::all_of(Dataset::PRODUCTION, series, ExportFormat::Csv);
    job.names = export::names_of(store, Dataset::PRODUCTION).await.unwrap();
    let mut out = Vec::new();
    export::export(store, &job, &mut out).await.unwrap();
    out
}
