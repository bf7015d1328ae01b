//! What each mode does once the command line is parsed: open the stores, run, and turn every
//! failure into one line on stderr and an exit code (DESIGN.md: 0, 1, 2, 3).

use std::io::{BufWriter, Write};
use std::net::SocketAddr;
use std::sync::Arc;

use crate::cli::{Cli, Command, ExportArgs, ReplicaArgs, SummaryArgs};
use crate::elhub::ElhubClient;
use crate::export;
use crate::ingest::{CancellationToken, FetchMode, Launch, Outcome};
use crate::model::{all_time_utc, printable, Dataset, EntityKind, PriceArea, SeriesKey};
use crate::outfile::{Links, OutFile};
use crate::replica::{self, Faults, ReplicaState};
use crate::report;
use crate::settings::Settings;
use crate::store::{CassandraStore, ErrorKind, MongoStore, SqliteStore, Store, StoreError, StoreKind};
use crate::summary::{self, SummaryFormat};

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
        Some(Command::Datasets(_)) => run_datasets(&settings).await,
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

/// Writes `body` to `path` whole (crate::outfile: devices, FIFOs and links respected, the mode
/// kept or the umask's).
fn write_whole(path: &std::path::Path, links: Links, body: &[u8]) -> Result<(), Failure> {
    crate::outfile::write_whole(path, links, body).map_err(|e| Failure::failed(format!("cannot write {e}")))
}

/// The completion script of a shell, from the command-line definition.
pub fn completions(shell: clap_complete::Shell) -> Vec<u8> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut crate::cli::command(), "elhub-explorer", &mut out);
    if shell == clap_complete::Shell::Bash {
        // clap_complete 4.6 spells a hyphenated program's states two ways in bash, so nothing
        // after a subcommand completes (clap-rs/clap#6421); a no-op once that is fixed.
        let script = String::from_utf8_lossy(&out).replace("elhub__subcmd__explorer", "elhub__explorer");
        return script.into_bytes();
    }
    out
}

/// The manual pages, roff, from the command-line definition: (file name, page), the main
/// command's first.
pub fn man_pages() -> Result<Vec<(String, Vec<u8>)>, Failure> {
    let cmd = crate::cli::command();
    let render = |c: clap::Command| -> Result<Vec<u8>, Failure> {
        let mut out = Vec::new();
        clap_mangen::Man::new(c).render(&mut out).map_err(|e| Failure::failed(e.to_string()))?;
        Ok(out)
    };
    let mut pages = vec![("elhub-explorer.1".to_string(), render(cmd.clone())?)];
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        let name = format!("elhub-explorer-{}", sub.get_name());
        let page =
            sub.clone().display_name(name.clone()).bin_name(name.clone()).version(env!("CARGO_PKG_VERSION"));
        pages.push((format!("{name}.1"), render(page)?));
    }
    Ok(pages)
}

/// `man`: the main page on standard output, or every page into `dir`.
fn write_man(dir: Option<&std::path::Path>) -> Result<i32, Failure> {
    let pages = man_pages()?;
    let Some(dir) = dir else { return print_out(&pages[0].1) };
    std::fs::create_dir_all(dir)
        .map_err(|e| Failure::usage(format!("cannot create {}: {e}", dir.display())))?;
    for (name, page) in &pages {
        // A link at a page's name is replaced, never written through (its target stays).
        write_whole(&dir.join(name), Links::Replace, page)?;
    }
    eprintln!("wrote {} manual pages to {}", pages.len(), dir.display());
    Ok(exit::DONE)
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

fn fetch_mode(cli: &Cli) -> FetchMode {
    match (cli.force, cli.refresh) {
        (true, _) => FetchMode::Force,
        (false, true) => FetchMode::Refresh,
        (false, false) => FetchMode::Resume,
    }
}

/// Cancels `stop` on the first Ctrl-C or SIGTERM; a second one ends the process at once
/// (what was written is whole: every window is one transaction, or upserts a rerun repeats).
fn stop_on_signals(stop: CancellationToken) {
    tokio::spawn(async move {
        #[cfg(unix)]
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        for n in 0.. {
            #[cfg(unix)]
            let terminated = async {
                match term.as_mut() {
                    Some(t) => {
                        t.recv().await;
                    }
                    None => std::future::pending().await,
                }
            };
            #[cfg(not(unix))]
            let terminated = std::future::pending::<()>();
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminated => {}
            }
            if n == 0 {
                eprintln!("elhub-explorer: stopping: what is being written finishes, the rest is left for a rerun (again to stop at once)");
                stop.cancel();
            } else {
                std::process::exit(exit::PARTIAL);
            }
        }
    });
}

/// The launcher of fetches for these settings (headless and the explorer share it).
fn launch(settings: &Settings, client: Arc<ElhubClient>, sinks: Arc<Vec<Store>>, mode: FetchMode) -> Launch {
    Launch {
        client,
        sinks,
        dataset: settings.dataset,
        range: settings.range,
        concurrency: settings.concurrency,
        mode,
        policy: settings.refresh,
    }
}

/// A range wholly after this month has nothing to fetch: a usage error naming the last month
/// that can have data, not "already stored".
fn range_has_begun(range: crate::model::MonthRange) -> Result<(), Failure> {
    let this = crate::model::Month::containing(chrono::Utc::now());
    if range.from() > this {
        return Err(Failure::usage(format!(
            "the range {range} lies in the future: {this} is the last month that can have data"
        )));
    }
    Ok(())
}

async fn run_ingest(settings: &Settings, mode: FetchMode) -> Result<i32, Failure> {
    range_has_begun(settings.range)?;
    let client = ElhubClient::new(settings.client.clone()).map_err(|e| Failure::usage(e.to_string()))?;
    let (sinks, unavailable) = open_sinks(settings).await?;
    for (_, why) in &unavailable {
        eprintln!("elhub-explorer: {} (the other sinks go on)", printable(why));
    }
    let running = launch(settings, Arc::new(client), Arc::new(sinks), mode).start();
    stop_on_signals(running.stop.clone());
    let reporter = tokio::spawn(report::report(running.progress));
    let mut summary =
        running.task.await.map_err(|e| Failure::failed(format!("the ingest task failed: {e}")))?;
    let _ = reporter.await;
    summary.unavailable_sinks = unavailable;
    eprint!("{}", report::ingest_summary(&summary));
    Ok(exit_code(summary.outcome()))
}

async fn run_tui(settings: &Settings, cli: &Cli, launched: std::time::Instant) -> Result<i32, Failure> {
    use std::io::IsTerminal;
    range_has_begun(settings.range)?;
    // The explorer creates the default store on a first run; an explicit --db must exist.
    if settings.read_store == StoreKind::Sqlite && !settings.db_is_default {
        SqliteStore::must_exist(&settings.db_path)?;
    }
    if !std::io::stdout().is_terminal() {
        return Err(Failure::usage(
            "the explorer needs a terminal; use --ingest-only, export or summary in scripts",
        ));
    }
    let client = ElhubClient::new(settings.client.clone()).map_err(|e| Failure::usage(e.to_string()))?;
    let read = open_store(
        settings,
        settings.read_store,
        if settings.db_is_default { Access::Create } else { Access::Write },
    )
    .await?;
    let (sinks, unavailable) = open_sinks(settings).await?;
    let view_file = settings.log_path.with_file_name("view.json");
    let explorer = crate::tui::Explorer {
        notice: unavailable.first().map(|(_, why)| format!("{why}; r writes the other sinks")),
        read: Arc::new(read),
        launch: launch(settings, Arc::new(client), Arc::new(sinks), FetchMode::Resume),
        theme: crate::tui::theme::Theme::from_env(cli.ascii),
        launched,
        restore: remembered_view(settings, cli, &view_file),
        view_file: Some(view_file),
        range_given: cli.options().range.given(),
    };
    crate::tui::run(explorer).await.map_err(|e| Failure::failed(format!("terminal error: {e}")))?;
    Ok(exit::DONE)
}

/// The view the last run ended on, unless `--fresh`; a dataset or range named on the command
/// line wins over it (another dataset: the defaults; a month outside the range: the newest).
fn remembered_view(
    settings: &Settings,
    cli: &Cli,
    path: &std::path::Path,
) -> Option<crate::tui::remember::SavedView> {
    if cli.fresh {
        return None;
    }
    let saved = crate::tui::remember::load(path)?;
    let (dataset, month) = saved.parsed()?;
    let options = cli.options();
    if options.store.dataset.is_some_and(|d| d != dataset) {
        return None;
    }
    if options.range.given() && !settings.range.contains(month) {
        return None;
    }
    Some(saved)
}

/// Opens every sink. A sink that cannot be reached does not stop the others: it is reported
/// and the run ends partly done (exit 3). A configuration error, or no sink at all, stops here.
async fn open_sinks(settings: &Settings) -> Result<(Vec<Store>, Vec<(StoreKind, String)>), Failure> {
    let mut sinks = Vec::new();
    let mut unavailable = Vec::new();
    for kind in &settings.sinks {
        match open_store(settings, *kind, Access::Create).await {
            Ok(store) => sinks.push(store),
            Err(f) if f.code == exit::FAILED => {
                tracing::warn!(%kind, "sink unavailable: {}", f.message);
                unavailable.push((*kind, f.message));
            }
            Err(f) => return Err(f),
        }
    }
    if sinks.is_empty() {
        let why: Vec<&str> = unavailable.iter().map(|(_, why)| why.as_str()).collect();
        return Err(Failure::failed(format!("no sink could be opened: {}", why.join("; "))));
    }
    Ok((sinks, unavailable))
}

/// The entities `--entity` and `--area` choose among those stored (None: all of them).
async fn chosen_entities(
    store: &Store,
    dataset: Dataset,
    entity: Option<&str>,
    area: Option<PriceArea>,
) -> Result<Option<Vec<String>>, Failure> {
    let kind = dataset.entity();
    match (entity, area) {
        (Some(e), _) if kind == EntityKind::PriceArea => {
            let a: PriceArea = e.parse().map_err(Failure::usage)?;
            if area.is_some_and(|x| x != a) {
                return Err(Failure::usage(format!(
                    "--entity {e} and --area {} name different areas",
                    area.map_or("", PriceArea::as_str)
                )));
            }
            Ok(Some(vec![a.to_string()]))
        }
        (Some(e), _) => Ok(Some(vec![e.trim().to_string()])),
        (None, Some(a)) => match kind {
            EntityKind::PriceArea => Ok(Some(vec![a.to_string()])),
            EntityKind::GridArea => {
                let ids = store
                    .entities(kind)
                    .await?
                    .into_iter()
                    .filter(|g| g.price_area.as_deref() == Some(a.as_str()))
                    .map(|g| g.id)
                    .collect();
                Ok(Some(ids))
            }
            EntityKind::Municipality => Err(Failure::usage(format!(
                "{dataset} has no price areas (municipalities are not assigned to one); use --entity NUMBER"
            ))),
        },
        (None, None) => Ok(None),
    }
}

async fn run_export(settings: &Settings, cli: &Cli, args: &ExportArgs) -> Result<i32, Failure> {
    use std::io::IsTerminal;
    let store = open_store(settings, settings.read_store, Access::Read).await?;
    let dataset = settings.dataset;
    let entities = chosen_entities(&store, dataset, args.entity.as_deref(), args.area).await?;
    let stored = store.series(dataset).await?;
    let series: Vec<SeriesKey> = stored
        .iter()
        .filter(|k| entities.as_ref().is_none_or(|e| e.contains(&k.entity)))
        .filter(|k| args.group.as_ref().is_none_or(|g| *g == k.group))
        .cloned()
        .collect();
    if series.is_empty() && (args.entity.is_some() || args.area.is_some() || args.group.is_some()) {
        return Err(Failure::usage(no_match(dataset, args, &stored)));
    }
    // The range given on the command line (--year, --from, --to), else everything stored.
    let (from, to) = if cli.options().range.given() {
        (settings.range.from().start_utc(), settings.range.to().end_utc())
    } else {
        all_time_utc()
    };
    let mut job = export::ExportJob { dataset, series, from, to, format: args.format, escape: false };
    let result = match &args.output {
        // Written whole or not at all, respecting what is at the path (crate::outfile): a failure
        // halfway leaves the old file as it was.
        Some(path) => {
            let mut out = OutFile::create(path, Links::Follow)
                .map_err(|e| Failure::usage(format!("cannot write {e}")))?;
            match export::export(&store, &job, BufWriter::new(out.file())).await {
                Ok(n) => out.commit().map(|_| n).map_err(|e| Failure::failed(format!("cannot write {e}"))),
                Err(e) => Err(export_failure(e)),
            }
        }
        None => {
            job.escape = std::io::stdout().is_terminal();
            let stdout = std::io::stdout().lock();
            export::export(&store, &job, BufWriter::new(stdout)).await.map_err(export_failure)
        }
    };
    match result {
        Ok(n) => {
            if let Some(path) = &args.output {
                eprintln!(
                    "wrote {} of {dataset} to {}",
                    crate::model::count(n as usize, "record"),
                    path.display()
                );
            }
            Ok(exit::DONE)
        }
        // `export | head` closes the pipe early: that is the reader's choice, not a failure.
        Err(f) if f.code == exit::DONE => Ok(exit::DONE),
        Err(f) => Err(f),
    }
}

/// An export's failure as a line and a code (a closed pipe is no failure: code 0).
fn export_failure(e: export::ExportError) -> Failure {
    match e {
        export::ExportError::Store(e) => e.into(),
        export::ExportError::BrokenPipe => Failure { code: exit::DONE, message: String::new() },
        e => Failure::failed(e.to_string()),
    }
}

/// Why `--entity`, `--area` or `--group` chose nothing, with what is stored.
fn no_match(dataset: Dataset, args: &ExportArgs, stored: &[SeriesKey]) -> String {
    let list = |mut items: Vec<&str>| {
        items.sort();
        items.dedup();
        let n = items.len();
        let shown = items.iter().take(12).map(|s| printable(s).into_owned()).collect::<Vec<_>>().join(", ");
        if n > 12 {
            format!("{shown}, … ({n})")
        } else if n == 0 {
            "none".to_string()
        } else {
            shown
        }
    };
    let mut asked = Vec::new();
    if let Some(e) = &args.entity {
        asked.push(format!("--entity {}", printable(e)));
    }
    if let Some(a) = args.area {
        asked.push(format!("--area {a}"));
    }
    if let Some(g) = &args.group {
        asked.push(format!("--group {}", printable(g)));
    }
    format!(
        "no {dataset} records match {} (stored {}: {}; groups: {})",
        asked.join(" "),
        dataset.entity().title().to_lowercase(),
        list(stored.iter().map(|k| k.entity.as_str()).collect()),
        list(stored.iter().map(|k| k.group.as_str()).collect())
    )
}

async fn run_summary(settings: &Settings, cli: &Cli, args: &SummaryArgs) -> Result<i32, Failure> {
    let store = open_store(settings, settings.read_store, Access::Read).await?;
    let dataset = settings.dataset;
    let kind = dataset.entity();
    let years: Vec<i32> = match cli.options().range.year {
        Some(y) => vec![y],
        None => settings.range.years().collect(),
    };
    let chosen = chosen_entities(&store, dataset, args.entity.as_deref(), args.area).await?;
    let mut ids: Vec<String> = match kind {
        EntityKind::PriceArea => PriceArea::ALL.iter().map(|a| a.to_string()).collect(),
        _ => {
            let mut ids: Vec<String> = store.series(dataset).await?.into_iter().map(|k| k.entity).collect();
            ids.dedup();
            ids
        }
    };
    if let Some(chosen) = &chosen {
        ids.retain(|id| chosen.contains(id));
    }
    let names = store.entities(kind).await?;
    let selection = summary::Selection { ids, filtered: chosen.is_some() };
    let mut rows = Vec::new();
    for year in &years {
        rows.extend(summary::year_rows(&store, dataset, *year, &selection, &names).await?);
    }
    let out = match args.format {
        SummaryFormat::Table => {
            let unit = summary::unit_for(&rows, args.unit);
            let mut text = String::new();
            for year in years {
                let of_year: Vec<summary::Row> = rows.iter().filter(|r| r.year == year).cloned().collect();
                text.push_str(&summary::table(dataset, year, &of_year, unit));
            }
            text.into_bytes()
        }
        SummaryFormat::Csv => {
            use std::io::IsTerminal;
            summary::csv(&rows, args.unit, std::io::stdout().is_terminal())
                .map_err(|e| Failure::failed(format!("cannot write the CSV: {e}")))?
        }
        SummaryFormat::Json => summary::json(&rows, args.unit)
            .map_err(|e| Failure::failed(format!("cannot write the JSON: {e}")))?,
    };
    print_out(&out)
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

async fn run_datasets(settings: &Settings) -> Result<i32, Failure> {
    let store = open_store(settings, settings.read_store, Access::Read).await?;
    let mut stored = Vec::new();
    for dataset in Dataset::all() {
        stored.push((dataset, store.coverage(dataset).await?));
    }
    print_out(report::datasets_table(&stored).as_bytes())
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
