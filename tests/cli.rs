//! The binary's contract: bad input gives one clear line and exit code 2 (1 for run-time
//! failures), never a panic; and a full ingest, summary and export against the replica.

#![allow(clippy::unwrap_used)] // tests fail loudly by design

mod common;

use std::process::Output;

use assert_cmd::Command;

use common::binary as cmd;
use elhub_explorer::summary;

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
    assert!(out.contains("NO2  Kristiansand hydro"), "{out}");
    assert!(!out.contains("NO1"), "{out}");
    summary_formats_match_the_store(d.path());

    let o = cmd(d.path())
        .args(["export", "--area", "NO1", "--group", "hydro", "-o", "out.csv"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let csv = std::fs::read_to_string(d.path().join("out.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 1 + 743 + 720);
    assert_eq!(
        lines[0],
        "price_area,group,start_utc,end_utc,quantity_kwh,last_updated_utc,start_local,entity_name"
    );
    assert!(lines[1].starts_with("NO1,hydro,2021-02-28T23:00:00Z,2021-03-01T00:00:00Z,"), "{}", lines[1]);
    assert!(
        lines[1].ends_with(",2021-03-01T00:00:00+01:00,Oslo"),
        "a price area is named by its city: {}",
        lines[1]
    );
}

/// `summary --format csv|json` parse, agree with each other, and match the stored records:
/// each entity's group total is the sum of its exported quantities, each `all` row the sum of
/// what it covers; `--unit` scales the value column.
fn summary_formats_match_the_store(dir: &std::path::Path) {
    use std::collections::BTreeMap;
    let run = |args: &[&str]| {
        let o = cmd(dir).args(args).output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        String::from_utf8(o.stdout).unwrap()
    };
    let mut exported: BTreeMap<(String, String), f64> = BTreeMap::new();
    let export = run(&["export", "--year", "2021"]);
    let mut reader = csv::Reader::from_reader(export.as_bytes());
    for r in reader.records() {
        let r = r.unwrap();
        *exported.entry((r[0].to_string(), r[1].to_string())).or_default() += r[4].parse::<f64>().unwrap();
    }
    assert_eq!(exported.len(), 24, "4 to 5 groups in each of 5 areas");

    let text = run(&["summary", "--year", "2021", "--format", "csv"]);
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(reader.headers().unwrap(), vec!["year", "level", "entity", "name", "group", "kwh", "records"]);
    let rows: Vec<summary::Row> = reader.deserialize().map(Result::unwrap).collect();
    let json: Vec<summary::Row> =
        serde_json::from_str(&run(&["summary", "--year", "2021", "--format", "json"])).unwrap();
    assert_eq!(rows, json, "CSV and JSON carry the same rows");

    let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs().max(1.0);
    let mut checked = 0;
    for r in rows.iter().filter(|r| r.level == summary::Level::Entity && r.group != "all") {
        let stored = exported[&(r.entity.clone(), r.group.clone())];
        assert!(close(r.kwh, stored), "{r:?} against {stored}");
        assert_eq!(r.records, 743 + 720, "{r:?}");
        checked += 1;
    }
    assert_eq!(checked, 24);
    let total: f64 = exported.values().sum();
    let all = rows.iter().find(|r| r.level == summary::Level::All && r.group == "all").unwrap();
    assert_eq!((all.entity.as_str(), all.name.as_str()), ("all", "Norway"));
    assert!(close(all.kwh, total), "{all:?} against {total}");
    let hydro: f64 = exported.iter().filter(|((_, g), _)| g == "hydro").map(|(_, v)| v).sum();
    let all_hydro = rows.iter().find(|r| r.level == summary::Level::All && r.group == "hydro").unwrap();
    assert!(close(all_hydro.kwh, hydro), "{all_hydro:?} against {hydro}");
    // Groups in catalogue order within each block, each block closed by its `all`.
    let no1: Vec<&str> = rows.iter().filter(|r| r.entity == "NO1").map(|r| r.group.as_str()).collect();
    let known = elhub_explorer::model::Dataset::PRODUCTION.known_groups();
    let ranks: Vec<usize> =
        no1[..no1.len() - 1].iter().map(|g| known.iter().position(|k| k == g).unwrap()).collect();
    assert!(ranks.windows(2).all(|w| w[0] < w[1]) && no1.last() == Some(&"all"), "{no1:?}");

    let gwh = run(&["summary", "--year", "2021", "--format", "csv", "--unit", "GWh", "--entity", "NO1"]);
    let mut reader = csv::Reader::from_reader(gwh.as_bytes());
    assert_eq!(&reader.headers().unwrap()[5], "gwh");
    let first = reader.records().next().unwrap().unwrap();
    let kwh = rows.iter().find(|r| r.entity == "NO1" && r.group == first[4]).unwrap().kwh;
    assert!(close(first[5].parse::<f64>().unwrap() * 1e6, kwh), "{first:?} against {kwh}");
    let table = run(&["summary", "--year", "2021", "--unit", "MWh"]);
    assert!(table.contains("totals in MWh") && table.contains("total MWh"), "{table}");
    assert!(table.lines().any(|l| l.starts_with("all  Norway") && l.contains(" all ")), "{table}");
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
        "municipality,group,start_utc,end_utc,quantity_kwh,last_updated_utc,metering_points,start_local,entity_name"
    );
    assert_eq!(lines.len(), 1 + 672);
    assert!(lines[1].starts_with("5501,private,2021-01-31T23:00:00Z,2021-02-01T00:00:00Z,"), "{}", lines[1]);
    assert!(lines[1].ends_with(",2021-02-01T00:00:00+01:00,Tromsø"), "{}", lines[1]);
    // The same by name, however it is typed.
    for name in ["tromso", "Tromsø", "TROMSØ", "troms"] {
        let by_name =
            out(&["export", "--dataset", "consumption-municipality", "--entity", name, "--group", "private"]);
        assert!(by_name == csv, "--entity {name}");
    }
    let grid =
        out(&["export", "--dataset", "consumption-grid-area", "--area", "NO1", "--group", "household"]);
    assert!(grid.starts_with("grid_area,group,"), "{}", &grid[..80]);
    assert!(grid.contains("\n50YWO-6UUIJ4BF1D,household,"), "EIDSIVA-D lies in NO1");
    let in_no1 = grid.lines().count() - 1;
    assert!(in_no1 % 672 == 0 && in_no1 > 672 && in_no1 < 99 * 672, "{in_no1}");
    let summary =
        out(&["summary", "--dataset", "consumption-municipality", "--entity", "5041", "--year", "2021"]);
    assert!(
        summary.contains("5041") && summary.contains("Snåsa") && summary.contains("industry"),
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
    assert!(datasets.contains("  stored: 2021-02 (1 month, 727,776 records)"), "{datasets}");
    assert!(datasets.contains("production                PRODUCTION_PER_GROUP_MBA_HOUR\n  price areas · 1 h steps · a month a request · from 2021-01\n  stored: nothing yet\n"), "{datasets}");
    assert!(datasets.contains("production-15min") && datasets.contains("shape inferred"), "{datasets}");
    assert!(datasets.lines().all(|l| l.chars().count() <= 80), "fits 80 columns: {datasets}");
    let rows: serde_json::Value = serde_json::from_str(&out(&["datasets", "--format", "json"])).unwrap();
    let muni = rows.as_array().unwrap().iter().find(|r| r["dataset"] == "consumption-municipality").unwrap();
    assert_eq!((muni["months_stored"].as_u64(), muni["records_stored"].as_u64()), (Some(1), Some(727_776)));
    assert!(out(&["datasets", "--format", "csv"]).starts_with("dataset,elhub_name,entity,step,request_window,first_month,shape,months_stored,records_stored,first_stored,last_stored\n"));

    // Entities: listed with names and what is stored; named by number, name or a part of it.
    let listed = out(&["entities", "--dataset", "consumption-municipality"]);
    assert!(
        listed.starts_with("consumption-municipality: 361 municipalities, 361 with data stored\n"),
        "{listed}"
    );
    assert!(listed.contains("\n5041  Snåsa ") && listed.contains("\n5501  Tromsø "), "{listed}");
    assert!(listed.lines().all(|l| l.chars().count() <= 80), "{listed}");
    let csv = out(&["entities", "--dataset", "consumption-municipality", "--format", "csv"]);
    assert!(csv.contains("\n5041,Snåsa,SnÃ¥sa,true\n"), "the name shown and as sent: {csv}");
    let grid = out(&["entities", "--dataset", "consumption-grid-area", "--format", "json"]);
    let grid: serde_json::Value = serde_json::from_str(&grid).unwrap();
    assert!(grid
        .as_array()
        .unwrap()
        .iter()
        .any(|g| g["id"] == "50YWO-6UUIJ4BF1D" && g["price_area"] == "NO1" && g["stored"] == true));
    let areas = out(&["entities", "--dataset", "production"]);
    assert!(areas.contains("NO5  Bergen") && areas.contains("5 price areas, 0 with data stored"), "{areas}");
    fails_with(
        cmd(d.path()).args(["summary", "--dataset", "consumption-municipality", "--entity", "s"]),
        2,
        &["--entity s matches", "municipalities", "give one of the ids"],
    );
    fails_with(
        cmd(d.path()).args(["export", "--dataset", "consumption-municipality", "--entity", "narvik"]),
        2,
        &[
            "no municipality matches --entity narvik",
            "elhub-explorer entities --dataset consumption-municipality",
        ],
    );
    let bergen = out(&[
        "summary",
        "--dataset",
        "consumption-municipality",
        "--entity",
        "bergen",
        "--year",
        "2021",
        "--format",
        "csv",
    ]);
    assert!(bergen.lines().skip(1).all(|l| l.contains(",4601,Bergen,")), "{bergen}");
    // Municipalities have no price area: --area says so instead of exporting nothing.
    fails_with(
        cmd(d.path()).args(["export", "--dataset", "consumption-municipality", "--area", "NO1"]),
        2,
        &["municipalities", "--entity"],
    );
}

#[test]
fn completion_scripts_for_each_shell() {
    let d = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let o = cmd(d.path()).args(["completions", shell]).output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{shell}: {}", stderr(&o));
        let script = String::from_utf8(o.stdout).unwrap();
        assert!(script.len() > 1000, "{shell}: {script}");
        assert!(!script.contains("no-rate-limit"), "{shell} offers the hidden --no-rate-limit");
        assert!(script.contains("ingest-only"), "{shell}: the other options stay");
        for word in ["summary", "export", "datasets", "dataset", "format"] {
            assert!(script.contains(word), "{shell} script lacks {word}");
        }
        // PowerShell's and Elvish's scripts complete names, not values.
        assert!(
            ["powershell", "elvish"].contains(&shell) || script.contains("consumption-grid-area"),
            "{shell}"
        );
    }
    fails_with(cmd(d.path()).args(["completions", "tcsh"]), 2, &["tcsh"]);
    let help =
        String::from_utf8(cmd(d.path()).args(["completions", "--help"]).output().unwrap().stdout).unwrap();
    assert!(help.contains("bash, zsh, fish, powershell or elvish"), "{help}");
}

/// Completes `line` (its last word) with the bash script the binary prints; the candidates.
fn bash_complete(dir: &std::path::Path, words: &[&str]) -> Vec<String> {
    let script = dir.join("elhub-explorer.bash");
    let o = cmd(dir).args(["completions", "bash"]).output().unwrap();
    std::fs::write(&script, o.stdout).unwrap();
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let (cur, prev) = (words[words.len() - 1], words[words.len() - 2]);
    let program = format!(
        "source '{}'; COMP_WORDS=({}); COMP_CWORD={}; _elhub__explorer elhub-explorer '{cur}' '{prev}'; \
         printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        script.display(),
        quoted.join(" "),
        words.len() - 1
    );
    let o = std::process::Command::new("bash").args(["--norc", "-c", &program]).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    String::from_utf8(o.stdout).unwrap().lines().map(String::from).collect()
}

#[test]
fn bash_completes_subcommands_their_options_and_values() {
    let d = tempfile::tempdir().unwrap();
    assert_eq!(bash_complete(d.path(), &["elhub-explorer", "su"]), ["summary"]);
    // After a subcommand (clap-rs/clap#6421 broke this for hyphenated programs).
    assert_eq!(bash_complete(d.path(), &["elhub-explorer", "summary", "--for"]), ["--format"]);
    assert_eq!(
        bash_complete(d.path(), &["elhub-explorer", "summary", "--format", ""]),
        ["table", "csv", "json"]
    );
    assert_eq!(
        bash_complete(d.path(), &["elhub-explorer", "export", "--dataset", "consumption-"]),
        ["consumption-municipality", "consumption-grid-area"]
    );
}

#[test]
fn man_pages_print_and_write() {
    let d = tempfile::tempdir().unwrap();
    let o = cmd(d.path()).arg("man").output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let page = String::from_utf8(o.stdout).unwrap();
    assert!(page.contains(".TH elhub-explorer 1"), "{page}");
    for section in [".SH NAME", ".SH SYNOPSIS", ".SH OPTIONS", ".SH SUBCOMMANDS"] {
        assert!(page.contains(section), "{section} missing");
    }
    assert!(page.contains("\\-\\-ingest\\-only"), "options are listed");
    for section in [".SH KEYS", ".SH FILES", ".SH EXIT STATUS", ".SH EXAMPLES", ".SH SEE ALSO"] {
        assert!(page.contains(section), "{section} missing");
    }
    assert!(page.contains("\\fBelhub\\-explorer\\-export\\fR(1)"), "{page}");
    assert!(!page.contains("explorer\\-help"), "no page for a help subcommand is written, so none is named");
    assert!(
        page.contains(".nf\nelhub\\-explorer \\-\\-ingest\\-only \\-\\-year 2024\n"),
        "examples kept as typed"
    );
    assert!(
        page.contains("\\fBs\\fR\n") && page.contains("\\fBq"),
        "the explorer's keys, from its key table"
    );
    assert!(!page.contains(".SH EXTRA"), "the help text's own layout is not reflowed into the page");

    let o = cmd(d.path()).args(["man", "--dir", "man1"]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let summary = std::fs::read_to_string(d.path().join("man1/elhub-explorer-summary.1")).unwrap();
    assert!(summary.contains(".TH elhub-explorer-summary 1"), "{summary}");
    assert!(summary.contains("\\-\\-format") && !summary.contains("\\-\\-sinks"), "{summary}");
    for page in [
        "elhub-explorer.1",
        "elhub-explorer-export.1",
        "elhub-explorer-datasets.1",
        "elhub-explorer-entities.1",
    ] {
        assert!(d.path().join("man1").join(page).is_file(), "{page}");
    }
    assert!(!d.path().join("man1/elhub-explorer-help.1").exists());
    let export = std::fs::read_to_string(d.path().join("man1/elhub-explorer-export.1")).unwrap();
    assert!(export.contains(".SH EXAMPLES") && export.contains("\\-\\-partition"), "{export}");
    if std::process::Command::new("manpath").output().is_ok() {
        // The test's directory is on no search path: the note says how to add it.
        assert!(stderr(&o).contains("note: man does not search"), "{}", stderr(&o));
        assert!(stderr(&o).contains("export MANPATH="), "{}", stderr(&o));
    }
    std::fs::write(d.path().join("file"), "").unwrap();
    fails_with(cmd(d.path()).args(["man", "--dir", "file"]), 2, &["file"]);
}

/// A flag beats its environment variable wherever the flag stands, before the subcommand too.
#[test]
fn a_flag_beats_the_environment_before_or_after_the_subcommand() {
    let d = tempfile::tempdir().unwrap();
    for args in [&["--db", "flag.sqlite", "summary"][..], &["summary", "--db", "flag.sqlite"][..]] {
        let err = fails_with(cmd(d.path()).env("ELHUB_DB", "env.sqlite").args(args), 2, &["flag.sqlite"]);
        assert!(!err.contains("env.sqlite"), "{args:?}: {err}");
    }
    fails_with(cmd(d.path()).env("ELHUB_DB", "env.sqlite").arg("summary"), 2, &["env.sqlite"]);
}

/// Without a store, `datasets` still lists the catalogue (exit 0) and says nothing is stored.
#[test]
fn datasets_without_a_store_lists_the_catalogue() {
    let d = tempfile::tempdir().unwrap();
    let o = cmd(d.path()).args(["datasets", "--db", "none.sqlite"]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.contains("consumption-grid-area") && text.contains("stored: nothing yet"), "{text}");
    assert!(
        text.ends_with("Nothing stored yet: none.sqlite does not exist (an ingest makes it).\n"),
        "{text}"
    );
    assert!(!d.path().join("none.sqlite").exists(), "and makes no store");
}

/// Names, years, groups and ranges as a new user types them: `summary` without --year covers
/// every stored year and says which; `--group` narrows it; a range starting before the
/// dataset's first month starts there, saying so; one wholly before it is refused; headless lines
/// off a terminal carry the local time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn years_groups_and_ranges_as_a_new_user_types_them() {
    let replica = common::start_replica().await;
    let d = tempfile::tempdir().unwrap();
    let run = |args: Vec<String>| {
        let dir = d.path().to_path_buf();
        tokio::task::spawn_blocking(move || cmd(&dir).args(args).output().unwrap())
    };
    let url = replica.url();
    let args = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    for (from, to) in [("2021-12", "2021-12"), ("2022-01", "2022-02")] {
        let o = run(args(&["--ingest-only", "--api-url", &url, "--from", from, "--to", to])).await.unwrap();
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(0), "{err}");
        // Not a terminal: every line behind its local time.
        assert!(
            err.lines().all(|l| l.len() > 20
                && l.as_bytes()[4] == b'-'
                && l.as_bytes()[10] == b' '
                && l.as_bytes()[13] == b':'),
            "{err}"
        );
    }
    let o = run(args(&["summary", "--area", "NO4"])).await.unwrap();
    let (out, err) = (String::from_utf8_lossy(&o.stdout).into_owned(), stderr(&o));
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(
        err.contains("production: stored 2021 (1 of 12 months), 2022 (2 of 12 months); each summarised"),
        "{err}"
    );
    assert!(
        out.contains("production 2021 (local year") && out.contains("production 2022 (local year"),
        "{out}"
    );
    let o = run(args(&["summary", "--area", "NO4", "--group", "hydro", "--format", "csv"])).await.unwrap();
    let csv = String::from_utf8_lossy(&o.stdout).into_owned();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(csv.lines().count(), 3, "a header, then NO4 hydro in 2021 and 2022: {csv}");
    assert!(csv.lines().skip(1).all(|l| l.contains(",NO4,Tromsø,hydro,")), "{csv}");
    // --group in any case: the table keeps the shares of the group's block.
    let o = run(args(&["summary", "--area", "NO4", "--group", "Hydro", "--year", "2022"])).await.unwrap();
    let table = String::from_utf8_lossy(&o.stdout).into_owned();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let hydro = table.lines().find(|l| l.starts_with("NO4")).unwrap();
    assert!(hydro.contains("hydro") && !hydro.contains(" 0.0%"), "a share, not 0.0%: {table}");
    assert!(
        table.starts_with("production 2022 (local year), 2 of 12 months stored (Europe/Oslo)"),
        "{table}"
    );
    // Months of a range are summed, not their whole years.
    let o = run(args(&[
        "summary", "--area", "NO4", "--group", "hydro", "--from", "2022-02", "--to", "2022-02", "--format",
        "csv",
    ]))
    .await
    .unwrap();
    let feb: f64 = String::from_utf8_lossy(&o.stdout)
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .nth(5)
        .unwrap()
        .parse()
        .unwrap();
    let o =
        run(args(&["export", "--area", "NO4", "--group", "hydro", "--from", "2022-02", "--to", "2022-02"]))
            .await
            .unwrap();
    let exported: f64 = String::from_utf8_lossy(&o.stdout)
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(4).unwrap().parse::<f64>().unwrap())
        .sum();
    assert!((feb - exported).abs() < 0.01, "February alone: {feb} vs {exported}");
    let o = run(args(&["summary", "--from", "2022-02", "--to", "2022-03"])).await.unwrap();
    assert!(String::from_utf8_lossy(&o.stdout)
        .starts_with("production 2022-02..2022-03 (local months), 1 of 2 months stored"));
    // A read whose range has months the store lacks says so in one line (the totals miss them);
    // --strict makes that a failure that writes nothing.
    let o = run(args(&["summary", "--area", "NO4"])).await.unwrap();
    let err = stderr(&o);
    assert!(
        err.contains(
            "warning: the sqlite store lacks 21 months of production (2021-01..2021-11, 2022-03..2022-12: \
             never fetched, failed, or fetched before the month ended); totals miss them."
        ) && err.contains(
            "`elhub-explorer --ingest-only --dataset production --from 2021-01 --to 2022-12` fetches them"
        ),
        "{err}"
    );
    assert_eq!(err.matches("warning").count(), 1, "one line: {err}");
    // Only the years summarised: 2022 alone lacks 2022-03..2022-12.
    let o = run(args(&["summary", "--year", "2022"])).await.unwrap();
    assert!(stderr(&o).contains("lacks 10 months of production (2022-03..2022-12:"), "{}", stderr(&o));
    for range in [&["--from", "2022-01", "--to", "2022-02"][..], &[]] {
        let o = run(args(&[&["export", "-o", "whole.csv"], range].concat())).await.unwrap();
        assert_eq!(o.status.code(), Some(0));
        assert!(!stderr(&o).contains("warning"), "every month of {range:?} is complete: {}", stderr(&o));
    }
    let o = run(args(&["export", "--from", "2022-01", "--to", "2022-04", "--strict", "-o", "strict.csv"]))
        .await
        .unwrap();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("the sqlite store lacks 2 months of production (2022-03..2022-04"), "{err}");
    assert!(err.trim_end().ends_with("(--strict)") && err.lines().count() == 1, "{err}");
    assert!(!d.path().join("strict.csv").exists(), "--strict writes nothing");
    let o = run(args(&["summary", "--year", "2022", "--strict"])).await.unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(o.stdout.is_empty());
    // A usage error stays a usage error under --strict (the check comes after the arguments').
    let o = run(args(&["export", "--partition", "--strict", "--from", "2022-03"])).await.unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    // A last month whose checkpoint is missing (a run that died in it) but whose records are
    // there is named by an export of everything stored.
    let db = d.path().join("data/elhub-explorer/elhub.sqlite");
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute("DELETE FROM fetched_windows WHERE month = '2022-02'", []).unwrap();
    drop(conn);
    let o = run(args(&["export", "-o", "all.csv"])).await.unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert!(stderr(&o).contains("lacks 1 month of production (2022-02:"), "{}", stderr(&o));
    let o = run(args(&["--ingest-only", "--api-url", &url, "--from", "2022-02", "--to", "2022-02"]))
        .await
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    for cmd in ["summary", "export"] {
        let o = run(args(&[cmd, "--from", "2999-01"])).await.unwrap();
        assert_eq!(o.status.code(), Some(2), "{cmd}: {}", stderr(&o));
        assert!(stderr(&o).contains("lies in the future"), "{}", stderr(&o));
    }
    // The format follows the file's extension; `-o -` is standard output; a directory needs
    // --partition.
    let o = run(args(&["export", "--area", "NO4", "-o", "no4.parquet"])).await.unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let bytes = std::fs::read(d.path().join("no4.parquet")).unwrap();
    assert!(bytes.starts_with(b"PAR1") && bytes.ends_with(b"PAR1"), "a Parquet file");
    let o = run(args(&["export", "--area", "NO4", "-o", "-"])).await.unwrap();
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("price_area,group,"));
    assert!(!d.path().join("-").exists(), "no file named -");
    std::fs::create_dir(d.path().join("lake")).unwrap();
    let o = run(args(&["export", "-o", "lake"])).await.unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("-o lake is a directory: give a file, or --partition"), "{}", stderr(&o));
    let o = run(args(&["export", "--entity", "bregen"])).await.unwrap();
    assert!(
        stderr(&o).contains(
            "no price area matches --entity bregen (did you mean Bergen (NO5)? elhub-explorer entities"
        ),
        "{}",
        stderr(&o)
    );
    let o = run(args(&["summary", "--group", "hydropower"])).await.unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no production group is named hydropower (stored: hydro,"), "{}", stderr(&o));

    // The quarter-hourly dataset begins in 2023-05.
    let o = run(args(&[
        "--ingest-only",
        "--api-url",
        &url,
        "--dataset",
        "production-15min",
        "--from",
        "2021-06",
        "--to",
        "2021-12",
    ]))
    .await
    .unwrap();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("production-15min has data from 2023-05 (as far as is known): the range 2021-06"),
        "{err}"
    );
    assert!(err.contains("lies before it; use --from 2023-05 or later"), "{err}");
    let o = run(args(&[
        "--ingest-only",
        "--api-url",
        &url,
        "--dataset",
        "production-15min",
        "--from",
        "2023-03",
        "--to",
        "2023-05",
    ]))
    .await
    .unwrap();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(
        err.contains("note: production-15min has data from 2023-05 (as far as is known): fetching 2023-05\n"),
        "{err}"
    );
    assert!(err.contains("fetching production-15min 2023-05: 1 month"), "{err}");
}
