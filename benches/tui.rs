//! The explorer's speed with every catalogued dataset stored, 2021-2025 (about 73 M records,
//! 2.5 GB; built once from an in-process replica and kept in target/bench-data, which takes a
//! few minutes the first time):
//!
//! 1. key press to redrawn frame, including the queries the key causes: the loop's own
//!    `handle_key` -> `update` -> `query` -> `update` -> `view::render` on a 120x40 TestBackend,
//!    over 600 presses of a fixed key tour through every dataset (areas, all of Norway,
//!    municipalities, grid areas, quarter-hours); p50, p99 and max, once with every press
//!    querying the store (caches cleared: the worst case) and once with the explorer's caching.
//! 2. the all-municipalities annual total of a year (the all-entity rollups), 200 times.
//! 3. the real binary in tmux (when tmux is here): time from process start to the first full
//!    frame (from its log), and its peak resident memory after a key tour (VmHWM).
//!
//! Run: `cargo bench --bench tui`. With `ELHUB_BENCH_POSTGRES=URL` and `-- --postgres-only`,
//! only the key tour runs, on the PostgreSQL store that `benches/postgres.sh` filled (schema
//! `elhub_bench`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use elhub_explorer::elhub::{ClientConfig, ElhubClient};
use elhub_explorer::ingest::{self, IngestPlan};
use elhub_explorer::model::{Dataset, MonthRange};
use elhub_explorer::replica::{self, ReplicaState};
use elhub_explorer::store::{Scope, SqliteStore, Store};
use elhub_explorer::tui::input::handle_key;
use elhub_explorer::tui::state::{update, Action, App, Cache, Effect};
use elhub_explorer::tui::theme::Theme;
use elhub_explorer::tui::{query, view};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

/// Areas and all of Norway; zoom to a day and back; pins of three areas and their difference;
/// production minus consumption of an area; then each dataset in turn (`d`), moving through its
/// entities, months, groups and years, per metering point too.
const KEY_TOUR: &str = "23ll gyYh b4Gl51hhjjkgyb 0lg v]]yv]>v c]o]hl z ++]]>+]]<[-- 1p2p3p ]>=v=v=vP \
     2pd2p= lh=P D d0h2 a3a d jjjjlgkk0h vYv]v m]m d jjjl0gh d jjlh m+]-m y0d";

fn five_years() -> MonthRange {
    MonthRange::new("2021-01".parse().expect("month"), "2025-12".parse().expect("month")).expect("range")
}

/// The database with every dataset, ingested once from the replica.
fn all_datasets_db(rt: &tokio::runtime::Runtime) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    std::fs::create_dir_all(&dir).expect("bench-data directory");
    let path = dir.join("all-datasets.sqlite");
    let done = dir.join("all-datasets.complete");
    if done.exists() && path.exists() {
        return path;
    }
    let _ = std::fs::remove_file(&path);
    eprintln!("building {} (every dataset 2021-2025 from the replica, once)…", path.display());
    let until = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().expect("instant");
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
    let store = Arc::new(vec![Store::new(SqliteStore::open(&path).expect("open"))]);
    for dataset in Dataset::all() {
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
        let plan = IngestPlan::for_range(dataset, five_years(), 4);
        let summary = rt.block_on(ingest::run(client.clone(), store.clone(), plan, tx));
        eprint!("{}", elhub_explorer::report::ingest_summary(&summary));
        assert_eq!(summary.outcome(), ingest::Outcome::Done, "the bench database is whole");
    }
    std::fs::write(&done, "").expect("marker");
    path
}

fn key(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

/// Answers every query effect, as the loop's tasks would, until none is left.
async fn settle(store: &Store, app: &mut App, mut effects: Vec<Effect>) -> Vec<(Duration, String)> {
    let mut took = Vec::new();
    while let Some(effect) = effects.pop() {
        let Effect::Query(q) = effect else { continue };
        let started = Instant::now();
        let what = format!("{q:?}");
        let answer = query(store, q).await;
        took.push((started.elapsed(), what));
        effects.extend(update(app, Action::Answered(answer)));
    }
    took
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn key_to_frame(rt: &tokio::runtime::Runtime, store: &Store, cold: bool) {
    let mut app = App::new(
        Dataset::PRODUCTION,
        five_years(),
        store.kind().to_string(),
        Theme::default(),
        Instant::now(),
    );
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
    let effects = app.start();
    rt.block_on(settle(store, &mut app, effects));
    let width = view::curve_width(&app, 120, 40);
    update(&mut app, Action::CurveWidth(width));
    let mut times = Vec::new();
    let mut slowest = Vec::new();
    for c in KEY_TOUR.chars().filter(|c| !c.is_whitespace()).cycle().take(600) {
        if cold {
            // Forget every answer: this press pays for its totals and hourly queries.
            app.q.totals = Cache::default();
            app.q.curves = Cache::default();
            app.q.years = Cache::default();
            app.q.sides = Cache::default();
            app.q.points = Cache::default();
        }
        let started = Instant::now();
        let mut queries = Vec::new();
        if let Some(action) = handle_key(&app, key(c)) {
            let effects = update(&mut app, action);
            queries = rt.block_on(settle(store, &mut app, effects));
        }
        let drawn = Instant::now();
        terminal.draw(|f| view::render(&app, f)).expect("draw");
        let took = started.elapsed();
        times.push(took);
        queries.sort_by_key(|q| std::cmp::Reverse(q.0));
        let query = queries
            .first()
            .map_or(String::new(), |(d, q)| format!("; slowest query {:.1} ms: {q}", d.as_secs_f64() * 1e3));
        slowest.push((took, format!("'{c}' (draw {:.1} ms{query})", drawn.elapsed().as_secs_f64() * 1e3)));
        if app.quit {
            break;
        }
    }
    times.sort();
    println!(
        "key press to redrawn frame ({}), {} presses: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        if cold { "every press queries the store" } else { "results cached as the explorer keeps them" },
        times.len(),
        percentile(&times, 0.5).as_secs_f64() * 1e3,
        percentile(&times, 0.99).as_secs_f64() * 1e3,
        times[times.len() - 1].as_secs_f64() * 1e3
    );
    // Where the time goes: the slowest presses and what they showed.
    slowest.sort_by_key(|s| std::cmp::Reverse(s.0));
    for (took, what) in slowest.iter().take(3) {
        println!("  slowest: {:.2} ms after {what}", took.as_secs_f64() * 1e3);
    }
    let _ = update(&mut app, Action::Quit);
}

/// The annual total of every municipality together, from the all-entity rollups.
fn all_municipalities_total(rt: &tokio::runtime::Runtime, store: &Store) {
    let mut times = Vec::new();
    for i in 0..200 {
        let year = 2021 + i % 5;
        let started = Instant::now();
        let totals = rt
            .block_on(store.annual_totals(Dataset::CONSUMPTION_MUNICIPALITY, &Scope::All, year))
            .expect("totals");
        times.push(started.elapsed());
        assert_eq!(totals.len(), 3, "three groups");
    }
    times.sort();
    println!(
        "all municipalities' annual total, 200 queries: p50 {:.2} ms, p99 {:.2} ms",
        percentile(&times, 0.5).as_secs_f64() * 1e3,
        percentile(&times, 0.99).as_secs_f64() * 1e3
    );
}

fn tmux(socket: &str, args: &[&str]) -> String {
    let out = Command::new("tmux").arg("-L").arg(socket).args(args).output().expect("tmux");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Launch to first full frame and peak memory of the real binary, in tmux.
fn real_binary(db: &Path) {
    if !Command::new("tmux").arg("-V").output().is_ok_and(|o| o.status.success()) {
        println!("launch and memory: skipped, tmux is not installed");
        return;
    }
    let bin = env!("CARGO_BIN_EXE_elhub-explorer");
    let mut launches = Vec::new();
    let mut peak_kb = 0u64;
    for run in 0..5 {
        let state = tempfile::tempdir().expect("tempdir");
        let socket = format!("elhub-bench-{}-{run}", std::process::id());
        let cmd = format!(
            "XDG_STATE_HOME='{}' ELHUB_LOG=elhub_explorer=info '{bin}' --db '{}' --from 2021-01 --to 2025-12; sleep 30",
            state.path().display(),
            db.display()
        );
        tmux(&socket, &["new-session", "-d", "-s", "b", "-x", "120", "-y", "40", &cmd]);
        let log = state.path().join("elhub-explorer/elhub-explorer.log");
        let deadline = Instant::now() + Duration::from_secs(20);
        let ms = loop {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            if let Some(rest) = text.split("first full frame ms=").nth(1) {
                break rest.split_whitespace().next().and_then(|v| v.parse::<f64>().ok());
            }
            if Instant::now() > deadline {
                break None;
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        launches.push(ms.expect("the explorer logged its first full frame"));
        let shell = tmux(&socket, &["list-panes", "-t", "b", "-F", "#{pane_pid}"]).trim().to_string();
        let child = Command::new("pgrep").args(["-P", &shell]).output().expect("pgrep");
        let pid = String::from_utf8_lossy(&child.stdout).trim().to_string();
        for c in KEY_TOUR.chars().filter(|c| *c != ' ') {
            tmux(&socket, &["send-keys", "-t", "b", &c.to_string()]);
            std::thread::sleep(Duration::from_millis(40));
        }
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        let hwm = status
            .lines()
            .find(|l| l.starts_with("VmHWM:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0);
        peak_kb = peak_kb.max(hwm);
        tmux(&socket, &["send-keys", "-t", "b", "q"]);
        tmux(&socket, &["kill-server"]);
    }
    launches.sort_by(f64::total_cmp);
    println!(
        "launch to first full frame (process start to a frame with data), 5 runs: median {:.1} ms, max {:.1} ms",
        launches[2], launches[4]
    );
    println!("peak resident memory after a key tour: {:.1} MB", peak_kb as f64 / 1024.0);
}

fn main() {
    // `cargo test --benches` runs benches with --bench absent; keep that quick.
    if !std::env::args().any(|a| a == "--bench") {
        println!("tui bench: run with `cargo bench --bench tui`");
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    if std::env::args().any(|a| a == "--postgres-only") {
        let url = std::env::var("ELHUB_BENCH_POSTGRES").expect("ELHUB_BENCH_POSTGRES names the server");
        let settings = elhub_explorer::store::PostgresSettings {
            url,
            schema: std::env::var("ELHUB_BENCH_POSTGRES_SCHEMA").unwrap_or_else(|_| "elhub_bench".into()),
            sslmode: elhub_explorer::store::SslMode::Prefer,
            ca_file: None,
            connect_timeout: Duration::from_secs(10),
        };
        let store =
            Store::new(rt.block_on(elhub_explorer::store::PostgresStore::open(settings)).expect("open"));
        println!("store: {}", store.location());
        key_to_frame(&rt, &store, true);
        key_to_frame(&rt, &store, false);
        return;
    }
    let db = all_datasets_db(&rt);
    let store = Store::new(SqliteStore::open(&db).expect("open"));
    let mut records = 0;
    for dataset in Dataset::all() {
        records += rt.block_on(store.count(dataset)).expect("count");
    }
    let mb = std::fs::metadata(&db).map_or(0, |m| m.len()) as f64 / 1e6;
    println!("store: {} with {records} records of every dataset, {mb:.0} MB", db.display());
    key_to_frame(&rt, &store, true);
    key_to_frame(&rt, &store, false);
    all_municipalities_total(&rt, &store);
    real_binary(&db);
}
