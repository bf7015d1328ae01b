//! A test case that drives the binary: a directory with a config of quick retries and its own
//! XDG directories, an ingest command, and checks of what it printed and stored.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use super::{sorted, start_replica, stored};
use elhub_explorer::model::{Dataset, MonthRange};
use elhub_explorer::replica::{Faults, Replica};
use elhub_explorer::store::{SqliteStore, Store};

/// A test directory with a config of quick retries and its own XDG directories.
pub struct Case {
    pub dir: tempfile::TempDir,
    pub db: Option<PathBuf>,
}

impl Case {
    /// Quick retries (six, 5 ms doubling to 1 s) plus `extra_config`.
    pub fn new(extra_config: &str) -> Case {
        Case::with_config(&format!(
            "[api]\nmax_retries = 6\nmin_backoff_ms = 5\nmax_backoff_secs = 1\nmax_retry_after_secs = 2\n{extra_config}"
        ))
    }

    pub fn with_config(config: &str) -> Case {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("test.toml"), config).unwrap();
        Case { dir, db: None }
    }

    pub fn db(&self) -> PathBuf {
        self.db.clone().unwrap_or_else(|| self.dir.path().join("e.sqlite"))
    }

    /// The binary with this case's directory, environment and config, and `args`.
    pub fn run(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_elhub-explorer"));
        let d = self.dir.path();
        c.current_dir(d)
            .env_clear()
            .env("HOME", d)
            .env("XDG_STATE_HOME", d.join("state"))
            .args(["-c", "test.toml"])
            .args(args)
            .stdin(Stdio::null());
        c
    }

    pub fn command(&self, url: &str, range: MonthRange, extra: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_elhub-explorer"));
        let d = self.dir.path();
        c.current_dir(d)
            .env_clear()
            .env("HOME", d)
            .env("XDG_STATE_HOME", d.join("state"))
            .args(["--ingest-only", "-c", "test.toml", "--api-url", url, "--db"])
            .arg(self.db())
            .args(["--from", &range.from().to_string(), "--to", &range.to().to_string()])
            .args(extra)
            .stdin(Stdio::null());
        c
    }

    /// Runs an ingest to the end (off the async workers, so an in-process replica keeps serving).
    pub async fn ingest(&self, url: &str, range: MonthRange, extra: &[&str]) -> Output {
        let mut c = self.command(url, range, extra);
        tokio::task::spawn_blocking(move || c.output().unwrap()).await.unwrap()
    }

    /// The log file the binary wrote.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("state/elhub-explorer/elhub-explorer.log"))
            .unwrap_or_default()
    }

    pub async fn store(&self) -> Store {
        Store::new(SqliteStore::open(&self.db()).unwrap())
    }
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn assert_clean(o: &Output, code: i32) -> String {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(code), "{err}");
    assert!(!err.contains("panicked") && !err.contains("RUST_BACKTRACE"), "{err}");
    err
}

/// The store holds exactly what the replica serves for the range: every record once.
pub async fn assert_exact(case: &Case, replica: &Replica, range: MonthRange) {
    let expected = replica.state.records(Dataset::PRODUCTION, range.from().start_utc(), range.to().end_utc());
    let store = case.store().await;
    let got = stored(&store, Dataset::PRODUCTION).await;
    assert_eq!(got.len(), expected.len(), "record count");
    assert!(got == sorted(expected), "stored records differ from the generated ones");
    let conn = rusqlite::Connection::open(case.db()).unwrap();
    let check: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(check, "ok");
}

pub async fn with_faults(sequence: &str, every: u64) -> Replica {
    let r = start_replica().await;
    r.state.set_faults(Faults {
        sequence: Faults::parse_sequence(sequence).unwrap(),
        every,
        ..Faults::default()
    });
    r
}
