//! The fault matrix: the binary against the replica's fault switches and against a hostile
//! machine. After each case the store holds exactly the generated records, once each (after
//! the rerun where the case needs one); no case panics, and each says what happened.

#![allow(clippy::unwrap_used)] // tests fail loudly by design

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::case::*;
use common::*;
use elhub_explorer::model::{Dataset, MonthRange};
use elhub_explorer::replica::{self, Faults};

fn two_months() -> MonthRange {
    range("2021-03", "2021-04")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bursts_of_503() {
    let replica = with_faults("503,503,503,503", 1).await;
    let case = Case::new("");
    let err = assert_clean(&case.ingest(&replica.url(), two_months(), &[]).await, 0);
    assert!(err.contains("HTTP 503, retry 4"), "{err}");
    assert_exact(&case, &replica, two_months()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_many_requests_with_and_without_retry_after() {
    let replica = with_faults("429:1,429:none,429:1", 1).await;
    let case = Case::new("");
    let started = Instant::now();
    let err = assert_clean(&case.ingest(&replica.url(), two_months(), &[]).await, 0);
    assert!(err.contains("HTTP 429, retry 1 in 1.0 s"), "Retry-After is honoured: {err}");
    assert!(started.elapsed() >= Duration::from_secs(2), "two Retry-After waits per month");
    assert_exact(&case, &replica, two_months()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeouts_and_slow_bodies() {
    let replica = with_faults("slow:2500,slowbody:2500", 1).await;
    let case = Case::new("timeout_secs = 1\n");
    let err = assert_clean(&case.ingest(&replica.url(), two_months(), &[]).await, 0);
    assert!(err.matches("timeout, retry").count() >= 2, "{err}");
    assert_exact(&case, &replica, two_months()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncated_and_malformed_bodies() {
    let replica = with_faults("truncated,malformed", 1).await;
    let case = Case::new("");
    let err = assert_clean(&case.ingest(&replica.url(), two_months(), &[]).await, 0);
    assert!(err.contains("bad body, retry 1") && err.contains("bad body, retry 2"), "{err}");
    assert_exact(&case, &replica, two_months()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_month_is_asked_again_on_the_rerun() {
    let replica = with_faults("empty", 1).await;
    let case = Case::new("");
    let err = assert_clean(&case.ingest(&replica.url(), two_months(), &[]).await, 0);
    assert!(err.contains("2021-03: 0 records"), "{err}");
    // The next run finds the empty months incomplete and fetches them (the replica now answers).
    let err = assert_clean(&case.ingest(&replica.url(), two_months(), &[]).await, 0);
    assert!(err.contains("2021-03: 17832 records (17832 new"), "{err}");
    assert_exact(&case, &replica, two_months()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn windows_refused_as_too_wide_are_split() {
    let replica = start_replica().await;
    replica.state.set_faults(Faults { max_days: Some(10), ..Faults::default() });
    let case = Case::new("");
    let err = assert_clean(&case.ingest(&replica.url(), two_months(), &[]).await, 0);
    assert!(err.contains("refused as too wide, fetching it in halves"), "{err}");
    assert_exact(&case, &replica, two_months()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_going_away_mid_run() {
    let replica = start_replica().await;
    replica.state.set_faults(Faults { latency: Duration::from_millis(300), ..Faults::default() });
    let (addr, url) = (replica.addr, replica.url());
    let case = Case::with_config("[api]\nmax_retries = 2\nmin_backoff_ms = 5\nmax_backoff_secs = 1\n");
    let six = range("2021-01", "2021-06");
    let child = case.command(&url, six, &["--concurrency", "1"]).stderr(Stdio::piped()).spawn().unwrap();
    // Let two months land, then take the API away.
    let db = case.db();
    wait_until(|| months_fetched(&db) >= 2).await;
    replica.stop().await;
    let o = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap()).await.unwrap();
    let err = assert_clean(&o, 3);
    assert!(err.contains("cannot connect to the API"), "{err}");
    assert!(err.contains("a rerun with the same range completes what is missing"), "{err}");
    // The API comes back: the rerun fetches only what is missing, and the store is exact.
    let back = replica::spawn(addr, replica_state()).await.unwrap();
    let err = assert_clean(&case.ingest(&back.url(), six, &[]).await, 0);
    assert!(err.contains("already complete in every sink (--force fetches them)"), "{err}");
    assert_exact(&case, &back, six).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_locked_by_another_process_for_a_while() {
    let replica = start_replica().await;
    let case = Case::new("[store]\nbusy_timeout_secs = 20\n");
    assert_clean(&case.ingest(&replica.url(), range("2021-01", "2021-02"), &[]).await, 0);
    // Another process (sqlite3's way: an exclusive transaction) holds the file for 1.5 s.
    let locker = hold_lock(case.db(), Duration::from_millis(1500));
    let err = assert_clean(&case.ingest(&replica.url(), two_months(), &[]).await, 0);
    assert!(err.contains("2 of 2 months done"), "{err}");
    locker.join().unwrap();
    assert_exact(&case, &replica, range("2021-01", "2021-04")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_locked_for_too_long_fails_clearly_and_the_rerun_repairs() {
    let replica = start_replica().await;
    let case = Case::new("[store]\nbusy_timeout_secs = 1\n");
    assert_clean(&case.ingest(&replica.url(), range("2021-01", "2021-02"), &[]).await, 0);
    let locker = hold_lock(case.db(), Duration::from_secs(4));
    let err = assert_clean(&case.ingest(&replica.url(), two_months(), &[]).await, 1);
    assert!(err.contains("locked by another process"), "{err}");
    locker.join().unwrap();
    assert_clean(&case.ingest(&replica.url(), two_months(), &[]).await, 0);
    assert_exact(&case, &replica, range("2021-01", "2021-04")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(root_user), ignore = "needs root to mount a small tmpfs for the disk-full case")]
async fn a_full_disk_loses_nothing_already_stored() {
    let replica = start_replica().await;
    let mut case = Case::new("");
    let mount = case.dir.path().join("small");
    std::fs::create_dir(&mount).unwrap();
    let status =
        Command::new("mount").args(["-t", "tmpfs", "-o", "size=3m", "tmpfs"]).arg(&mount).status().unwrap();
    assert!(status.success(), "mount a 3 MB tmpfs");
    struct Unmount(PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg(&self.0).status();
        }
    }
    let _unmount = Unmount(mount.clone());
    case.db = Some(mount.join("e.sqlite"));
    let year = range("2021-01", "2021-12");
    let o = case.ingest(&replica.url(), year, &["--concurrency", "1"]).await;
    let err = stderr(&o);
    assert!(matches!(o.status.code(), Some(1) | Some(3)), "{err}");
    assert!(err.contains("the disk is full"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    // What was stored is intact and whole months only.
    let store = case.store().await;
    let coverage = store.coverage(Dataset::PRODUCTION).await.unwrap();
    let counted: u64 = coverage.iter().map(|c| c.records).sum();
    assert_eq!(store.count(Dataset::PRODUCTION).await.unwrap(), counted, "no partial month");
    drop(store);
    // Room again: the rerun completes the year exactly.
    let status = Command::new("mount").args(["-o", "remount,size=128m"]).arg(&mount).status().unwrap();
    assert!(status.success());
    assert_clean(&case.ingest(&replica.url(), year, &[]).await, 0);
    assert_exact(&case, &replica, year).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_write_then_resume() {
    let replica = start_replica().await;
    replica.state.set_faults(Faults { latency: Duration::from_millis(150), ..Faults::default() });
    let case = Case::new("");
    let year = range("2021-01", "2021-12");
    let mut child = case.command(&replica.url(), year, &["--concurrency", "2"]).spawn().unwrap();
    let db = case.db();
    wait_until(|| months_fetched(&db) >= 3).await;
    child.kill().unwrap(); // SIGKILL
    let _ = child.wait();
    let before = months_fetched(&db);
    assert!(before < 12, "killed before the end");
    let err = assert_clean(&case.ingest(&replica.url(), year, &[]).await, 0);
    assert!(err.contains(&format!("{before} months already complete")), "{err}");
    assert_exact(&case, &replica, year).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_ingests_at_once_on_the_same_database() {
    let replica = start_replica().await;
    replica.state.set_faults(Faults { latency: Duration::from_millis(30), ..Faults::default() });
    let case = Case::new("");
    let year = range("2021-01", "2021-12");
    let mut a = case.command(&replica.url(), year, &[]);
    let mut b = case.command(&replica.url(), year, &["--force"]);
    let (oa, ob) = tokio::join!(
        tokio::task::spawn_blocking(move || a.output().unwrap()),
        tokio::task::spawn_blocking(move || b.output().unwrap())
    );
    assert_clean(&oa.unwrap(), 0);
    assert_clean(&ob.unwrap(), 0);
    assert_exact(&case, &replica, year).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_with_ctrl_c_leaves_whole_months_and_says_what_is_left() {
    let replica = start_replica().await;
    replica.state.set_faults(Faults { latency: Duration::from_millis(250), ..Faults::default() });
    let case = Case::new("");
    let year = range("2021-01", "2021-12");
    let child =
        case.command(&replica.url(), year, &["--concurrency", "1"]).stderr(Stdio::piped()).spawn().unwrap();
    let db = case.db();
    wait_until(|| months_fetched(&db) >= 2).await;
    let pid = child.id().to_string();
    assert!(Command::new("kill").args(["-INT", &pid]).status().unwrap().success());
    let o = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap()).await.unwrap();
    let err = assert_clean(&o, 3);
    assert!(err.contains("stopping: what is being written finishes"), "{err}");
    assert!(err.contains("stopped:") && err.contains("months left"), "{err}");
    let store = case.store().await;
    let coverage = store.coverage(Dataset::PRODUCTION).await.unwrap();
    assert_eq!(
        store.count(Dataset::PRODUCTION).await.unwrap(),
        coverage.iter().map(|c| c.records).sum::<u64>()
    );
    drop(store);
    assert_clean(&case.ingest(&replica.url(), year, &[]).await, 0);
    assert_exact(&case, &replica, year).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(tmux_present),
    ignore = "tmux is not installed: the explorer cannot be driven in a terminal here"
)]
async fn the_explorer_reads_while_an_ingest_writes() {
    let replica = start_replica().await;
    let case = Case::new("");
    // Something to show first: January, then the explorer opens on it.
    assert_clean(&case.ingest(&replica.url(), range("2021-01", "2021-01"), &[]).await, 0);
    let socket = format!("elhub-faults-{}", std::process::id());
    let tmux = |args: &[&str]| {
        let o = Command::new("tmux").arg("-L").arg(&socket).args(args).output().unwrap();
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let script = format!(
        "cd '{}' && env -i HOME=/tmp TERM=xterm-256color XDG_STATE_HOME=state '{}' -c test.toml --db '{}' --from 2021-01 --to 2021-01; sleep 30",
        case.dir.path().display(),
        env!("CARGO_BIN_EXE_elhub-explorer"),
        case.db().display()
    );
    tmux(&["new-session", "-d", "-s", "t", "-x", "110", "-y", "32", &script]);
    struct Kill<'a>(&'a dyn Fn(&[&str]) -> String);
    impl Drop for Kill<'_> {
        fn drop(&mut self) {
            (self.0)(&["kill-server"]);
        }
    }
    let _kill = Kill(&tmux);
    wait_until(|| tmux(&["capture-pane", "-p", "-t", "t"]).contains("Hourly · NO1 Oslo hydro · Jan 2021"))
        .await;
    // A headless ingest writes the rest of the year while the explorer is being used.
    let mut writer = case.command(&replica.url(), range("2021-02", "2021-12"), &[]);
    let ingest = tokio::task::spawn_blocking(move || writer.output().unwrap());
    for key in ["2", "3", "4", "5", "1", "l", "h", "g", "b", "b"] {
        tmux(&["send-keys", "-t", "t", key]);
        tokio::time::sleep(Duration::from_millis(80)).await;
    }
    assert_clean(&ingest.await.unwrap(), 0);
    // Still responsive, never an error: February (written meanwhile) shows when asked for.
    tmux(&["send-keys", "-t", "t", "l"]);
    wait_until(|| tmux(&["capture-pane", "-p", "-t", "t"]).contains("Feb 2021")).await;
    wait_until(|| tmux(&["capture-pane", "-p", "-t", "t"]).contains("672 h")).await;
    let screen = tmux(&["capture-pane", "-p", "-t", "t"]);
    assert!(!screen.contains("query failed"), "{screen}");
    assert_exact(&case, &replica, range("2021-01", "2021-12")).await;
}

/// Months recorded as fetched in the database (0 while it does not exist yet).
fn months_fetched(db: &Path) -> usize {
    let Ok(conn) = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
    else {
        return 0;
    };
    conn.query_row("SELECT COUNT(*) FROM fetched_windows WHERE records > 0", [], |r| r.get::<_, i64>(0))
        .map(|n| n as usize)
        .unwrap_or(0)
}

async fn wait_until(done: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Holds an exclusive lock on the database from another connection for `how_long`.
fn hold_lock(db: PathBuf, how_long: Duration) -> std::thread::JoinHandle<()> {
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let handle = std::thread::spawn(move || {
        let conn = rusqlite::Connection::open(db).unwrap();
        conn.execute_batch("BEGIN EXCLUSIVE").unwrap();
        ready_tx.send(()).unwrap();
        std::thread::sleep(how_long);
        conn.execute_batch("COMMIT").unwrap();
    });
    ready_rx.recv().unwrap();
    handle
}

fn replica_state() -> std::sync::Arc<replica::ReplicaState> {
    use chrono::TimeZone;
    replica::ReplicaState::new(chrono::Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap())
}
