//! What each mode does once the command line is parsed: open the stores, run, and turn every
//! failure into one line on stderr and an exit code (DESIGN.md: 0, 1, 2, 3). The modes live
//! beside: `fetch` (headless ingest and the explorer), `read` (export, summary, datasets,
//! entities), `docs` (completion scripts and manual pages).

mod asked;
mod docs;
mod fetch;
mod read;

use std::io::Write;
use std::net::SocketAddr;

use crate::cli::{Cli, Command, ReplicaArgs};
use crate::ingest::Outcome;
use crate::model::{printable, Dataset};
use crate::replica::{self, Faults, ReplicaState};
use crate::settings::Settings;
use crate::store::{
    CassandraStore, ErrorKind, MongoStore, PostgresStore, SqliteStore, Store, StoreError, StoreKind,
};

use crate::outfile::Links;
pub use docs::{completions, man_pages};
use docs::{write_man, write_whole};
use fetch::{fetch_mode, run_ingest, run_tui};
use read::{run_datasets, run_entities, run_export, run_summary};

/// The exit codes of DESIGN.md.
pub mod exit {
    pub const DONE: i32 = 0;
    pub const FAILED: i32 = 1;
    pub const USAGE: i32 = 2;
    pub const PARTIAL: i32 = 3;
}

/// The exit code of an ingest's outcome.
pub fn exit_code(outcome: Outcome) -> i32 {
    match outcome {
        Outcome::Done => exit::DONE,
        Outcome::Failed => exit::FAILED,
        Outcome::Partial => exit::PARTIAL,
    }
}

/// A failure that ends the program: one line and an exit code.
#[derive(Debug)]
pub struct Failure {
    pub code: i32,
    pub message: String,
}

impl Failure {
    pub fn usage(message: impl Into<String>) -> Failure {
        Failure { code: exit::USAGE, message: message.into() }
    }

    pub fn failed(message: impl Into<String>) -> Failure {
        Failure { code: exit::FAILED, message: message.into() }
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        match e.kind {
            ErrorKind::Config => Failure::usage(e.message),
            ErrorKind::Locked | ErrorKind::Unavailable | ErrorKind::Runtime => Failure::failed(e.message),
        }
    }
}

/// Parses the command line, runs, and returns the process exit code.
pub fn main() -> i32 {
    let launched = std::time::Instant::now();
    let cli = match Cli::parse_args(std::env::args_os()) {
        Ok(cli) => cli,
        Err(e) => return clap_exit(e),
    };
    let _ = color_eyre::install();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("elhub-explorer: cannot start the async runtime: {e}");
            return exit::FAILED;
        }
    };
    let code = match runtime.block_on(run(cli, launched)) {
        Ok(code) => code,
        Err(f) => {
            eprintln!("elhub-explorer: {}", printable(&f.message));
            f.code
        }
    };
    // Do not wait for stray background tasks (a replica, a slow request) on the way out.
    runtime.shutdown_background();
    code
}

/// Help and version go to stdout with 0; usage errors become one line with exit code 2.
fn clap_exit(e: clap::Error) -> i32 {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            exit::DONE
        }
        _ => {
            let text = e.render().to_string();
            let line: Vec<&str> = text
                .lines()
                .map(str::trim)
                .filter(|l| {
                    !l.is_empty() && !l.starts_with("Usage:") && !l.starts_with("For more information")
                })
                .collect();
            let line = line.join(" ");
            eprintln!("elhub-explorer: {}", printable(line.trim_start_matches("error: ")));
            exit::USAGE
        }
    }
}

async fn run(cli: Cli, launched: std::time::Instant) -> Result<i32, Failure> {
    match &cli.command {
        Some(Command::Replica(args)) => return run_replica(args).await,
        Some(Command::Completions(args)) => {
            let script = completions(args.shell);
            return match &args.output {
                Some(path) => write_whole(path, Links::Follow, &script).map(|_| {
                    eprintln!("wrote the {} completion script to {}", args.shell, path.display());
                    exit::DONE
                }),
                None => print_out(&script),
            };
        }
        Some(Command::Man(args)) => return write_man(args.dir.as_deref()),
        _ => {}
    }
    let settings = Settings::load(&cli.options()).map_err(|e| Failure::usage(e.0))?;
    init_log(&settings);
    tracing::info!(config = ?settings.config_file, range = %settings.range, dataset = %settings.dataset, "starting");
    match &cli.command {
        Some(Command::Export(args)) => run_export(&settings, &cli, args).await,
        Some(Command::Summary(args)) => run_summary(&settings, &cli, args).await,
        Some(Command::Datasets(args)) => run_datasets(&settings, args.format).await,
        Some(Command::Entities(args)) => run_entities(&settings, args.format).await,
        Some(Command::RebuildRollups(_)) => run_rebuild(&settings, cli.options().store.dataset).await,
        Some(Command::Replica(_) | Command::Completions(_) | Command::Man(_)) => {
            unreachable!("handled above")
        }
        None if cli.ingest_only => run_ingest(&settings, fetch_mode(&cli)).await,
        None => run_tui(&settings, &cli, launched).await,
    }
}

/// Writes to standard output; a reader that went away early (`| head`) is no failure.
fn print_out(text: &[u8]) -> Result<i32, Failure> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text).and_then(|_| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Failure::failed(e.to_string())),
        _ => Ok(exit::DONE),
    }
}

/// Logs go to a file in the state directory, never to the screen (the reporter owns stderr).
fn init_log(settings: &Settings) {
    let Some(dir) = settings.log_path.parent() else {
        return;
    };
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        // A FIFO at the log's path without a reader must not hold the program up.
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32);
    }
    let Ok(file) = options.open(&settings.log_path) else {
        return;
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("ELHUB_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("elhub_explorer=info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(std::sync::Mutex::new(file))
        .try_init();
}

/// How a command opens its store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// An ingest or the explorer: a new SQLite file is made where none is.
    Create,
    /// `rebuild-rollups`: an existing store, written.
    Write,
    /// export, summary, datasets: an existing store, only read (SQLite opens read-only).
    Read,
}

/// Opens one store by kind. Only `Create` makes a new SQLite file: a reading command on a path
/// that does not exist says so instead of leaving an empty database there.
pub async fn open_store(settings: &Settings, kind: StoreKind, access: Access) -> Result<Store, Failure> {
    match kind {
        StoreKind::Sqlite if access == Access::Read => {
            Ok(Store::new(SqliteStore::open_read_only(&settings.db_path, settings.busy_timeout)?))
        }
        StoreKind::Sqlite if access == Access::Write => {
            Ok(Store::new(SqliteStore::open_existing(&settings.db_path, settings.busy_timeout)?))
        }
        StoreKind::Sqlite => {
            if settings.db_is_default {
                if let Some(dir) = settings.db_path.parent() {
                    std::fs::create_dir_all(dir).map_err(|e| {
                        Failure::usage(format!("cannot create the data directory {}: {e}", dir.display()))
                    })?;
                }
            }
            Ok(Store::new(SqliteStore::open_with(&settings.db_path, settings.busy_timeout)?))
        }
        StoreKind::Postgres => {
            let postgres = settings.postgres.clone().ok_or_else(|| {
                Failure::usage(
                    "the postgres store needs a connection string: --postgres URL or ELHUB_POSTGRES_URL",
                )
            })?;
            Ok(Store::new(PostgresStore::open(postgres).await?))
        }
        StoreKind::Mongodb => {
            let mongo = settings.mongodb.clone().ok_or_else(|| {
                Failure::usage("the mongodb store needs a URI: --mongodb-uri or ELHUB_MONGODB_URI")
            })?;
            Ok(Store::new(MongoStore::open(mongo).await?))
        }
        StoreKind::Cassandra => {
            let cassandra = settings.cassandra.clone().ok_or_else(|| {
                Failure::usage(
                    "the cassandra store needs contact points: --cassandra HOST:PORT[,..] or ELHUB_CASSANDRA",
                )
            })?;
            Ok(Store::new(CassandraStore::open(cassandra).await?))
        }
    }
}

async fn run_rebuild(settings: &Settings, only: Option<Dataset>) -> Result<i32, Failure> {
    let store = open_store(settings, settings.read_store, Access::Write).await?;
    for dataset in Dataset::all().filter(|d| only.is_none_or(|o| o == *d)) {
        let started = std::time::Instant::now();
        let series = store.rebuild_rollups(dataset).await?;
        eprintln!(
            "{dataset}: the rollups of {} rebuilt from the records in {:.2} s",
            crate::model::count(series as usize, "series"),
            started.elapsed().as_secs_f64()
        );
    }
    Ok(exit::DONE)
}

async fn run_replica(args: &ReplicaArgs) -> Result<i32, Failure> {
    let sequence = Faults::parse_sequence(&args.faults).map_err(Failure::usage)?;
    let state = ReplicaState::new(chrono::Utc::now());
    state.set_faults(Faults {
        sequence,
        every: args.fault_every,
        latency: std::time::Duration::from_millis(args.latency_ms),
        max_days: args.max_days,
        feed: args.feed_fault,
    });
    let ready = |addr: SocketAddr| {
        eprintln!("replica of the Elhub API listening on http://{addr}");
        eprintln!("try: elhub-explorer --api-url http://{addr} --ingest-only --year 2021");
    };
    tokio::select! {
        r = replica::serve(args.listen, state, ready) => {
            r.map_err(|e| Failure::usage(format!("cannot listen on {}: {e}", args.listen)))?;
        }
        _ = tokio::signal::ctrl_c() => {}
    }
    Ok(exit::DONE)
}
