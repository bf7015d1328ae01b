//! The modes that fetch: `--ingest-only` (headless, for cron) and the explorer, with the
//! checks of the range they are given and the sinks they write.

use std::sync::Arc;

use super::{exit, exit_code, open_store, Access, Failure};
use crate::cli::Cli;
use crate::elhub::ElhubClient;
use crate::ingest::{CancellationToken, FetchMode, Launch};
use crate::model::{printable, Month, MonthRange};
use crate::report;
use crate::settings::Settings;
use crate::store::{Store, StoreKind};

pub(super) fn fetch_mode(cli: &Cli) -> FetchMode {
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

/// The launcher of fetches for these settings (headless and the explorer share it), over
/// `range` (the settings' range as `fetchable_range` leaves it).
fn launch(
    settings: &Settings,
    range: MonthRange,
    client: Arc<ElhubClient>,
    sinks: Arc<Vec<Store>>,
    mode: FetchMode,
) -> Launch {
    Launch {
        client,
        sinks,
        dataset: settings.dataset,
        range,
        concurrency: settings.concurrency,
        mode,
        policy: settings.refresh,
    }
}

/// The part of the settings' range that can have data: a range wholly in the future, or wholly
/// before the dataset's first month, is a usage error naming the bound; one that starts before
/// the first month starts there (with one line saying so when `say` is set).
fn fetchable_range(settings: &Settings, say: bool) -> Result<MonthRange, Failure> {
    let (range, dataset) = (settings.range, settings.dataset);
    super::asked::not_in_the_future(range)?;
    let first = dataset.spec().first_month;
    let since = match dataset.spec().shape {
        crate::model::Shape::Verified => format!("{dataset} has data from {first}"),
        crate::model::Shape::Inferred => format!("{dataset} has data from {first} (as far as is known)"),
    };
    if range.to() < first {
        return Err(Failure::usage(format!(
            "{since}: the range {range} lies before it; use --from {first} or later"
        )));
    }
    if range.from() >= first {
        return Ok(range);
    }
    let clamped = MonthRange::new(first, range.to()).map_err(Failure::usage)?;
    if say {
        eprint!("{}", report::for_stderr(&format!("note: {since}: fetching {clamped}")));
    }
    Ok(clamped)
}

pub(super) async fn run_ingest(settings: &Settings, mode: FetchMode) -> Result<i32, Failure> {
    let range = fetchable_range(settings, true)?;
    let client = ElhubClient::new(settings.client.clone()).map_err(|e| Failure::usage(e.to_string()))?;
    let (sinks, unavailable) = open_sinks(settings).await?;
    for (_, why) in &unavailable {
        eprint!(
            "{}",
            report::for_stderr(&format!("elhub-explorer: {} (the other sinks go on)", printable(why)))
        );
    }
    let running = launch(settings, range, Arc::new(client), Arc::new(sinks), mode).start();
    stop_on_signals(running.stop.clone());
    let reporter = tokio::spawn(report::report(running.progress));
    let mut summary =
        running.task.await.map_err(|e| Failure::failed(format!("the ingest task failed: {e}")))?;
    let _ = reporter.await;
    summary.unavailable_sinks = unavailable;
    eprint!("{}", report::for_stderr(&report::ingest_summary(&summary)));
    Ok(exit_code(summary.outcome()))
}

pub(super) async fn run_tui(
    settings: &Settings,
    cli: &Cli,
    launched: std::time::Instant,
) -> Result<i32, Failure> {
    use std::io::IsTerminal;
    // With no range named, a dataset that starts after the configured range opens on its
    // first year rather than refusing (the explorer browses; `r` fetches what is shown).
    let first = settings.dataset.spec().first_month;
    let range = match fetchable_range(settings, false) {
        Err(_) if !cli.options().range.given() && settings.range.to() < first => {
            let last = Month::new(first.year(), 12).unwrap_or(first);
            MonthRange::new(first, last).map_err(Failure::usage)?
        }
        range => range?,
    };
    if !std::io::stdout().is_terminal() {
        return Err(Failure::usage(
            "the explorer needs a terminal; use --ingest-only, export or summary in scripts",
        ));
    }
    let client = ElhubClient::new(settings.client.clone()).map_err(|e| Failure::usage(e.to_string()))?;
    // The explorer fetches on a first run: like `--ingest-only`, it makes the store where none
    // is (the default one, or the file `--db` names in a directory that exists).
    let read = open_store(settings, settings.read_store, Access::Create).await?;
    let entity = match &cli.entity {
        Some(query) => Some(super::asked::resolve(&read, settings.dataset, query).await?),
        None => None,
    };
    let (sinks, unavailable) = open_sinks(settings).await?;
    let view_file = settings.log_path.with_file_name("view.json");
    let explorer = crate::tui::Explorer {
        notice: unavailable.first().map(|(_, why)| format!("{why}; r writes the other sinks")),
        read: Arc::new(read),
        launch: launch(settings, range, Arc::new(client), Arc::new(sinks), FetchMode::Resume),
        theme: crate::tui::theme::Theme::from_env(cli.ascii),
        launched,
        restore: remembered_view(settings, cli, &view_file),
        view_file: Some(view_file),
        range_given: cli.options().range.given(),
        entity,
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
