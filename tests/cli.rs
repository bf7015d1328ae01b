//! The binary's contract: bad input gives one clear line and exit code 2 (1 for run-time
//! failures), never a panic; and a full ingest, summary and export against the replica.

#![allow(clippy::unwrap_used)] // tests fail loudly by design

mod common;

use std::process::Output;

use assert_cmd::Command;

use common::binary as cmd;

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs and checks: exit `code`, exactly one line on stderr containing every `needle`.
fn fails_with(c: &mut Command, code: i32, needles: &[&str]) -> String {
    let o = c.output().unwrap();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(code), "stderr: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line expected: {err}");
    assert!(!err.contains("panicked"), "{err}");
    for n in needles {
        assert!(err.contains(n), "'{n}' not in: {err}");
    }
    err
}

/// A loopback port nothing listens on.
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

#[test]
fn month_13_is_a_usage_error() {
    let d = tempfile::tempdir().unwrap();
    fails_with(cmd(d.path()).args(["--ingest-only", "--from", "2021-13"]), 2, &["2021-13", "01 to 12"]);
}

#[test]
fn from_after_to_is_a_usage_error() {
    let d = tempfile::tempdir().unwrap();
    fails_with(
        cmd(d.path()).args(["--ingest-only", "--from", "2021-05", "--to", "2021-02"]),
        2,
        &["2021-05", "after"],
    );
}

#[test]
fn unknown_dataset_is_a_usage_error() {
    let d = tempfile::tempdir().unwrap();
    fails_with(cmd(d.path()).args(["summary", "--dataset", "exchange"]), 2, &["unknown dataset 'exchange'"]);
    fails_with(cmd(d.path()).args(["summary"]).env("ELHUB_DATASET", "exchange"), 2, &["exchange"]);
}

#[test]
fn missing_config_file_is_named() {
    let d = tempfile::tempdir().unwrap();
    fails_with(cmd(d.path()).args(["summary", "--config", "nope.toml"]), 2, &["nope.toml", "not found"]);
}

#[test]
fn broken_config_file_names_file_and_line() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("bad.toml"), "[api]\nurl = \"http://x\"\nconcurrency = \"four\"\n").unwrap();
    fails_with(cmd(d.path()).args(["summary", "-c", "bad.toml"]), 2, &["bad.toml", "line 3"]);
    // ./config.toml is picked up by default, and an unknown key is an error, not ignored.
    std::fs::write(d.path().join("config.toml"), "[range]\nfrom = \"2021-01\"\nyaer = 2021\n").unwrap();
    fails_with(cmd(d.path()).args(["summary"]), 2, &["config.toml", "line 3", "yaer"]);
}

#[test]
fn unreachable_api_fails_with_exit_1() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("fast.toml"), "[api]\nmax_retries = 1\nmin_backoff_ms = 10\n").unwrap();
    let url = format!("http://127.0.0.1:{}", closed_port());
    let o = cmd(d.path())
        .args(["--ingest-only", "-c", "fast.toml", "--api-url", &url, "--from", "2021-01", "--to", "2021-02"])
        .output()
        .unwrap();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("cannot connect to the API at"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn bad_api_url_is_a_usage_error() {
    let d = tempfile::tempdir().unwrap();
    fails_with(cmd(d.path()).args(["--ingest-only", "--api-url", "ftp://example"]), 2, &["invalid API URL"]);
}

#[test]
fn db_in_a_missing_directory_is_a_usage_error() {
    let d = tempfile::tempdir().unwrap();
    fails_with(
        cmd(d.path()).args(["summary", "--db", "no/such/dir/e.sqlite"]),
        2,
        &["no/such/dir", "does not exist"],
    );
}

#[test]
fn a_file_that_is_not_a_database_is_refused_and_kept() {
    let d = tempfile::tempdir().unwrap();
    let notes = d.path().join("notes.txt");
    let text = "these are my notes, not a database, and they must survive\n".repeat(100);
    std::fs::write(&notes, &text).unwrap();
    fails_with(
        cmd(d.path()).args(["summary", "--db", "notes.txt"]),
        2,
        &["notes.txt", "not a SQLite database"],
    );
    assert_eq!(std::fs::read_to_string(&notes).unwrap(), text, "the file is untouched");
}

#[test]
fn unknown_flag_is_one_line() {
    let d = tempfile::tempdir().unwrap();
    fails_with(cmd(d.path()).args(["--frm", "2021-01"]), 2, &["--frm"]);
}

#[test]
fn unknown_replica_fault_is_a_usage_error() {
    let d = tempfile::tempdir().unwrap();
    fails_with(
        cmd(d.path()).args(["replica", "--listen", "127.0.0.1:0", "--faults", "teapot"]),
        2,
        &["teapot"],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingest_summary_and_export_through_the_binary() {
    let replica = common::start_replica().await;
    let d = tempfile::tempdir().unwrap();
    let url = replica.url();
    let dir = d.path().to_path_buf();
    let o = tokio::task::spawn_blocking(move || {
        cmd(&dir)
            .args(["--ingest-only", "--api-url", &url, "--from", "2021-03", "--to", "2021-04"])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(err.contains("2 of 2 months done"), "{err}");
    assert!(err.contains("35112 new"), "{err}"); // 24 series x (743 + 720) hours
                                                 // The default store went to the XDG data directory.
    assert!(d.path().join("data/elhub-explorer/elhub.sqlite").is_file());
    assert!(d.path().join("state/elhub-explorer/elhub-explorer.log").is_file());

    let o = cmd(d.path()).args(["summary", "--year", "2021", "--area", "NO2"]).output().unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0));
    assert!(out.contains("NO2   Kristiansand  hydro"), "{out}");
    assert!(!out.contains("NO1"), "{out}");

    let o = cmd(d.path())
        .args(["export", "--area", "NO1", "--group", "hydro", "-o", "out.csv"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let csv = std::fs::read_to_string(d.path().join("out.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 1 + 743 + 720);
    assert_eq!(lines[0], "price_area,group,start_utc,end_utc,quantity_kwh,last_updated_utc");
    assert!(lines[1].starts_with("NO1,hydro,2021-02-28T23:00:00Z,2021-03-01T00:00:00Z,"), "{}", lines[1]);
}

/// The datasets beyond price areas through the binary: aliases and Elhub names, the entity
/// column of the export, `--entity` and `--area`, `summary` with names, and `datasets`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn municipalities_and_grid_areas_through_the_binary() {
    let replica = common::start_replica().await;
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("config.toml"), "[api]\nrate_limit = 0\n").unwrap();
    let url = replica.url();
    let dir = d.path().to_path_buf();
    let o = tokio::task::spawn_blocking(move || {
        let ingest = |dataset: &str| {
            cmd(&dir)
                .args([
                    "--ingest-only",
                    "--api-url",
                    &url,
                    "--dataset",
                    dataset,
                    "--from",
                    "2021-02",
                    "--to",
                    "2021-02",
                ])
                .output()
                .unwrap()
        };
        [ingest("CONSUMPTION_PER_GROUP_MUNICIPALITY_HOUR"), ingest("Consumption-Grid-Area")]
    })
    .await
    .unwrap();
    for o in &o {
        assert_eq!(o.status.code(), Some(0), "{}", stderr(o));
    }
    assert!(stderr(&o[0]).contains("727776 new"), "{}", stderr(&o[0])); // 361 x 3 x 672
    assert!(stderr(&o[1]).contains("332640 new"), "{}", stderr(&o[1])); // 99 x 5 x 672

    let out = |args: &[&str]| {
        let o = cmd(d.path()).args(args).output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        String::from_utf8(o.stdout).unwrap()
    };
    let csv =
        out(&["export", "--dataset", "consumption-municipality", "--entity", "5501", "--group", "private"]);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "municipality,group,start_utc,end_utc,quantity_kwh,last_updated_utc,metering_points"
    );
    assert_eq!(lines.len(), 1 + 672);
    assert!(lines[1].starts_with("5501,private,2021-01-31T23:00:00Z,2021-02-01T00:00:00Z,"), "{}", lines[1]);
    let grid =
        out(&["export", "--dataset", "consumption-grid-area", "--area", "NO1", "--group", "household"]);
    assert!(grid.starts_with("grid_area,group,"), "{}", &grid[..80]);
    assert!(grid.contains("\n50YWO-6UUIJ4BF1D,household,"), "EIDSIVA-D lies in NO1");
    let in_no1 = grid.lines().count() - 1;
    assert!(in_no1 % 672 == 0 && in_no1 > 672 && in_no1 < 99 * 672, "{in_no1}");
    let summary =
        out(&["summary", "--dataset", "consumption-municipality", "--entity", "5041", "--year", "2021"]);
    assert!(
        summary.contains("5041") && summary.contains("SnÃ¥sa") && summary.contains("industry"),
        "{summary}"
    );
    assert!(!summary.contains("0301"), "{summary}");
    let grid_summary = out(&["summary", "--dataset", "consumption-grid-area", "--year", "2021"]);
    assert!(
        grid_summary
            .lines()
            .any(|l| l.starts_with("NO1 ") && l.contains("grid areas") && l.contains("household")),
        "grid areas roll up to their price areas: {grid_summary}"
    );
    let datasets = out(&["datasets"]);
    assert!(
        datasets.contains("consumption-municipality  CONSUMPTION_PER_GROUP_MUNICIPALITY_HOUR"),
        "{datasets}"
    );
    assert!(datasets.contains("2021-02 (1 month, 727,776 records)"), "{datasets}");
    assert!(datasets.lines().any(|l| l.starts_with("production ") && l.ends_with("nothing")), "{datasets}");
    assert!(datasets.contains("production-15min") && datasets.contains("inferred"), "{datasets}");
    // Municipalities have no price area: --area says so instead of exporting nothing.
    fails_with(
        cmd(d.path()).args(["export", "--dataset", "consumption-municipality", "--area", "NO1"]),
        2,
        &["municipalities", "--entity"],
    );
}
