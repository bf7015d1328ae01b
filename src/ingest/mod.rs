//! Plan -> fetch with bounded concurrency -> write to every sink -> checkpoint, emitting
//! progress events on a channel (the TUI's progress pane, or the headless reporter).
//!
//! A month is fetched as the catalogue's request windows (one, or a day each). A window holds
//! its concurrency permit until every sink has written it, so fetched data never piles up in
//! memory faster than the slowest sink takes it: memory is bounded by the windows in flight,
//! not by the range. The month's checkpoint goes with its last window, to each sink that wrote
//! every window of it. A failed sink does not stop the others; a rerun completes the month.

pub mod plan;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, Semaphore};
use tokio::task::{JoinHandle, JoinSet};
pub use tokio_util::sync::CancellationToken;

pub use plan::{plan_months, FetchMode, IngestPlan, RefreshPolicy, Revisions};

use crate::elhub::{request_windows, ElhubClient, FetchError, FetchEvent, Parsed};
use crate::model::{Dataset, Month, MonthRange, Window, WindowData};
use crate::store::{Checkpoint, Store, StoreKind, UpsertStats};

/// Progress of an ingest, one event per change.
#[derive(Debug, Clone, PartialEq)]
pub enum Progress {
    /// The months to fetch, in order.
    Planned { dataset: Dataset, months: Vec<Month> },
    /// A month's first request went out.
    Fetching { month: Month },
    /// One of a month's requests failed and will be retried.
    Retry { month: Month, attempt: usize, reason: String, delay: Duration },
    /// The API refused a window as too wide; it is fetched in halves.
    Split { month: Month, window: Window },
    /// One window of a month of several windows was written (`done` of `of`).
    WindowDone { month: Month, done: usize, of: usize },
    /// A sink could not write a month.
    SinkFailed { month: Month, sink: StoreKind, reason: String },
    /// A month is fetched and written to every sink that could take it.
    Done { month: Month, records: u64, rejected: u64, stats: UpsertStats },
    /// A month could not be fetched after retries.
    Failed { month: Month, reason: String },
    /// A month was not fetched because the run was stopped.
    Left { month: Month },
    /// Something worth a line that is not a failure (an inferred detail that proved wrong).
    Notice(String),
    /// The ingest is over (boxed: the summary is much larger than the other events).
    Finished(Box<IngestSummary>),
}

/// How an ingest ended, as `commands` turns it into an exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Every planned month landed in every sink.
    Done,
    /// Nothing landed.
    Failed,
    /// Some months or sinks failed, or the run was stopped: a rerun completes it.
    Partial,
}

/// The outcome of an ingest.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IngestSummary {
    pub dataset: Option<Dataset>,
    pub months_planned: usize,
    pub months_done: usize,
    pub failed_months: Vec<(Month, String)>,
    pub sink_failures: Vec<(StoreKind, Month, String)>,
    /// Sinks that could not be opened at all (filled in by the caller).
    pub unavailable_sinks: Vec<(StoreKind, String)>,
    /// Records fetched (valid ones).
    pub fetched: u64,
    pub rejected: u64,
    /// Per sink, what the upserts did.
    pub per_sink: Vec<(StoreKind, UpsertStats)>,
    /// Per sink, a setting its summary line names (Cassandra's consistency), if any.
    pub sink_notes: Vec<(StoreKind, String)>,
    pub elapsed: Duration,
    /// Months not fetched because the run was stopped (Ctrl-C, SIGTERM).
    pub left: Vec<Month>,
    /// Months of the range skipped as already complete in every sink.
    pub skipped: usize,
    /// Lines worth showing that are not failures.
    pub notices: Vec<String>,
    /// The API could not be reached at this address: the months in `not_tried` were left.
    pub unreachable: Option<String>,
    /// Months not tried because the API could not be reached.
    pub not_tried: Vec<Month>,
    /// What `--refresh` learned from the change feed (or why it could not).
    pub revisions: Option<Revisions>,
    /// With `--refresh`: months refetched whole as the ones fetched longest ago, with when.
    pub verified: Vec<(Month, DateTime<Utc>)>,
    /// Months fetched but not marked complete because an entity went missing: the next run
    /// asks again, and a refresh does not count them as current.
    pub unconfirmed: Vec<Month>,
}

impl IngestSummary {
    pub fn outcome(&self) -> Outcome {
        let complete = self.failed_months.is_empty()
            && self.sink_failures.is_empty()
            && self.unavailable_sinks.is_empty()
            && self.left.is_empty()
            && self.not_tried.is_empty();
        if complete {
            Outcome::Done
        } else if self.months_done == 0 && self.months_planned > 0 && self.left.is_empty() {
            Outcome::Failed
        } else {
            Outcome::Partial
        }
    }

    /// Records per second fetched.
    pub fn rate(&self) -> f64 {
        self.fetched as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Fetches every month of the plan and writes it to every sink.
pub async fn run(
    client: Arc<ElhubClient>,
    sinks: Arc<Vec<Store>>,
    plan: IngestPlan,
    progress: mpsc::UnboundedSender<Progress>,
) -> IngestSummary {
    run_until(client, sinks, plan, progress, CancellationToken::new()).await
}

/// What became of one window's fetch.
enum Fetched {
    Window(Parsed),
    Failed(FetchError),
    /// The run was stopped before this window was fetched.
    Stopped,
    /// The API could not be reached at all, so this window was not tried.
    NotTried,
}

/// A month's windows as they come back.
struct MonthState {
    /// Only some of the month's windows are fetched (its revised days): no checkpoint.
    partial: bool,
    windows: usize,
    finished: usize,
    started: DateTime<Utc>,
    records: u64,
    rejected: u64,
    /// The first reason a record of the month was rejected.
    first_rejection: Option<String>,
    /// Entities with at least one record this month.
    entities: BTreeSet<String>,
    failed: bool,
    stopped: bool,
    not_tried: bool,
    /// Sinks that failed one of the month's windows: they get no checkpoint.
    sink_failed: Vec<bool>,
    stats: UpsertStats,
    /// Fetched windows not yet written, by their index in the month.
    pending: BTreeMap<usize, WindowData>,
    /// Windows written so far.
    written: usize,
}

impl MonthState {
    /// A month of `windows` windows (only some of its days when `partial`) about to be
    /// fetched into `sinks` sinks.
    fn new(windows: usize, partial: bool, sinks: usize, started: DateTime<Utc>) -> MonthState {
        MonthState {
            partial,
            windows,
            finished: 0,
            started,
            records: 0,
            rejected: 0,
            first_rejection: None,
            entities: BTreeSet::new(),
            failed: false,
            stopped: false,
            not_tried: false,
            sink_failed: vec![false; sinks],
            stats: UpsertStats::default(),
            pending: BTreeMap::new(),
            written: 0,
        }
    }

    /// The pending windows to write now, as runs of adjacent windows merged into one each: a
    /// run once it is `BATCH_WINDOWS` long, and everything when `all` (the month is over, or
    /// the run is stopping). A window stands for itself with the count of windows it merges.
    fn take_runs(&mut self, all: bool) -> Vec<(WindowData, usize)> {
        let mut runs: Vec<Vec<usize>> = Vec::new();
        let mut prev: Option<(usize, DateTime<Utc>)> = None;
        for (n, data) in &self.pending {
            match (runs.last_mut(), prev) {
                (Some(run), Some((p, end))) if p + 1 == *n && end == data.window.start => run.push(*n),
                _ => runs.push(vec![*n]),
            }
            prev = Some((*n, data.window.end));
        }
        let mut out = Vec::new();
        for run in runs.into_iter().filter(|r| all || r.len() >= BATCH_WINDOWS) {
            let count = run.len();
            let mut windows = run.iter().filter_map(|n| self.pending.remove(n));
            let Some(mut merged) = windows.next() else { continue };
            for w in windows {
                merged.absorb(w);
            }
            out.push((merged, count));
        }
        out
    }
}

/// Windows that fail to connect, with none succeeding, before the rest is not tried.
const UNREACHABLE_AFTER: usize = 2;

/// Adjacent windows of a month (days of a day-window dataset) written together, once this
/// many have come back. A store then touches each series' pages once per run instead of once
/// per day: SQLite wrote about 20 MB per municipality day (each of 1,083 series appends to its
/// own leaf page, plus rollups), and MongoDB and Cassandra recompute a month's rollups per
/// write. Costs memory for at most this many windows per month being fetched (a municipality
/// day is about 1 MB).
const BATCH_WINDOWS: usize = 8;

/// `run`, stoppable: once `stop` is cancelled no new window starts, windows being fetched are
/// dropped whole, and windows being written finish; the summary lists the months left.
pub async fn run_until(
    client: Arc<ElhubClient>,
    sinks: Arc<Vec<Store>>,
    plan: IngestPlan,
    progress: mpsc::UnboundedSender<Progress>,
    stop: CancellationToken,
) -> IngestSummary {
    let started = Instant::now();
    let send = |p: Progress| {
        // The receiver may have gone (the TUI quit): the ingest still finishes its writes.
        let _ = progress.send(p);
    };
    let dataset = plan.dataset;
    let mut summary = IngestSummary {
        dataset: Some(dataset),
        months_planned: plan.months.len(),
        skipped: plan.skipped,
        per_sink: sinks.iter().map(|s| (s.kind(), UpsertStats::default())).collect(),
        sink_notes: sinks.iter().filter_map(|s| Some((s.kind(), s.summary_note()?))).collect(),
        revisions: plan.revisions.clone(),
        verified: plan.verified.clone(),
        ..IngestSummary::default()
    };
    if let Some(Revisions::Fallback { reason, last_months }) = &plan.revisions {
        notice(
            &mut summary,
            &send,
            format!(
                "the change feed could not be read ({reason}); refreshing the last {} of the range and months fetched before they settled instead",
                crate::model::count(*last_months, "month")
            ),
        );
    }
    send(Progress::Planned { dataset, months: plan.months.clone() });
    let now = Utc::now();
    let permits = Arc::new(Semaphore::new(plan.concurrency));
    // Cancelled when nothing connects: the windows not yet fetched are then not tried.
    let unreachable = CancellationToken::new();
    let mut fetches = JoinSet::new();
    let mut months: HashMap<Month, MonthState> = HashMap::new();
    for month in plan.months.iter().copied() {
        let partial = plan.partial.get(&month);
        let windows = partial.cloned().unwrap_or_else(|| request_windows(dataset, month, now));
        months.insert(month, MonthState::new(windows.len(), partial.is_some(), sinks.len(), now));
        for (n, window) in windows.into_iter().enumerate() {
            let (client, permits, progress) = (client.clone(), permits.clone(), progress.clone());
            let (stop, unreachable) = (stop.clone(), unreachable.clone());
            fetches.spawn(async move {
                let permit = tokio::select! {
                    p = permits.acquire_owned() => p,
                    _ = stop.cancelled() => return (month, n, Fetched::Stopped, None),
                    _ = unreachable.cancelled() => return (month, n, Fetched::NotTried, None),
                };
                if unreachable.is_cancelled() {
                    return (month, n, Fetched::NotTried, None);
                }
                if n == 0 {
                    let _ = progress.send(Progress::Fetching { month });
                }
                let events = |e: FetchEvent| {
                    let _ = progress.send(match e {
                        FetchEvent::Retry { attempt, reason, delay } => {
                            Progress::Retry { month, attempt, reason, delay }
                        }
                        FetchEvent::Split { window } => Progress::Split { month, window },
                    });
                };
                let fetched = tokio::select! {
                    r = client.fetch_window(dataset, window, &events) => match r {
                        Ok(parsed) => Fetched::Window(parsed),
                        Err(e) => Fetched::Failed(e),
                    },
                    _ = stop.cancelled() => Fetched::Stopped,
                    _ = unreachable.cancelled() => Fetched::NotTried,
                };
                (month, n, fetched, permit.ok())
            });
        }
    }
    let mut warned_key = false;
    let (mut connected, mut connect_failures) = (false, 0usize);
    while let Some(joined) = fetches.join_next().await {
        // A window's permit goes when its turn of the loop ends: a window waiting in a month's
        // batch holds none, so fetching goes on while it waits (`BATCH_WINDOWS` bounds it).
        let (month, n, fetched, _permit) = match joined {
            Ok(v) => v,
            Err(e) => {
                tracing::error!("fetch task failed: {e}");
                continue;
            }
        };
        let Some(state) = months.get_mut(&month) else { continue };
        state.finished += 1;
        let last = state.finished == state.windows;
        match fetched {
            Fetched::Window(parsed) => {
                connected = true;
                if let (Some(key), false) = (&parsed.fallback_key, warned_key) {
                    warned_key = true;
                    notice(
                        &mut summary,
                        &send,
                        format!(
                            "{dataset}: the records were not under '{}' but under '{key}'; read from there (the catalogue's key is inferred)",
                            dataset.spec().records_key
                        ),
                    );
                }
                let data = parsed.data;
                state.records += data.len() as u64;
                state.rejected += data.rejected;
                state.entities.extend(
                    data.series.iter().filter(|s| !s.points.is_empty()).map(|s| s.key.entity.clone()),
                );
                if state.first_rejection.is_none() {
                    state.first_rejection = data.rejection_samples.first().cloned();
                }
                summary.fetched += data.len() as u64;
                summary.rejected += data.rejected;
                if !data.rejection_samples.is_empty() {
                    tracing::warn!(%month, rejected = data.rejected, samples = ?data.rejection_samples, "records rejected");
                }
                state.pending.insert(n, data);
            }
            Fetched::Failed(e) => {
                tracing::error!(%month, "fetch failed: {e}");
                if let (FetchError::Connect { url, .. }, false) = (&e, connected) {
                    connect_failures += 1;
                    if connect_failures >= UNREACHABLE_AFTER && summary.unreachable.is_none() {
                        summary.unreachable = Some(url.clone());
                        unreachable.cancel();
                    }
                }
                if !state.failed {
                    state.failed = true;
                    summary.failed_months.push((month, e.to_string()));
                    send(Progress::Failed { month, reason: e.to_string() });
                }
            }
            Fetched::Stopped => state.stopped = true,
            Fetched::NotTried => state.not_tried = true,
        }
        if last && state.records == 0 && state.rejected > 0 && !state.failed {
            // Records were sent, none was valid: not an empty month but a failed one.
            state.failed = true;
            let reason = format!(
                "every record was rejected ({}; the first: {})",
                state.rejected,
                state.first_rejection.as_deref().unwrap_or("?")
            );
            summary.failed_months.push((month, reason.clone()));
            send(Progress::Failed { month, reason });
        }
        // Fetched windows are written whole even when a stop came meanwhile.
        let runs = state.take_runs(last || stop.is_cancelled() || unreachable.is_cancelled());
        let mut complete = last && !state.failed && !state.stopped && !state.partial && !runs.is_empty();
        if complete && state.records > 0 {
            if let Some(missing) = missing_entities(&sinks, dataset, month, &state.entities).await {
                complete = false;
                summary.unconfirmed.push(month);
                notice(
                    &mut summary,
                    &send,
                    format!(
                        "{dataset} {month}: no data for {missing}, which had data in {}; the month is not marked complete, so the next run asks again",
                        month.prev()
                    ),
                );
            }
        }
        let final_run = runs.len().saturating_sub(1);
        for (i, (data, count)) in runs.into_iter().enumerate() {
            // The month's checkpoint goes with its last write, to the sinks that wrote it all.
            let checkpoint = (complete && i == final_run).then(|| Checkpoint {
                month,
                window: Window::of_month(month),
                fetched_at: state.started,
                records: state.records,
                rejected: state.rejected,
            });
            write_to_sinks(&sinks, month, Arc::new(data), checkpoint, state, &mut summary, &send).await;
            state.written += count;
            if state.windows > 1 && state.written < state.windows {
                send(Progress::WindowDone { month, done: state.written, of: state.windows });
            }
        }
        if last {
            finish_month(month, state, &mut summary, &send);
        }
    }
    summary.left.sort();
    summary.not_tried.sort();
    summary.failed_months.sort_by_key(|(m, _)| *m);
    summary.sink_failures.sort_by_key(|(_, m, _)| *m);
    if let Some((at, range)) = &plan.synced {
        for line in mark_synced(&sinks, dataset, &summary, *at, range).await {
            notice(&mut summary, &send, line);
        }
    }
    summary.elapsed = started.elapsed();
    send(Progress::Finished(Box::new(summary.clone())));
    summary
}

/// Writes one (merged) window to every sink, with the month's checkpoint where given (not to a
/// sink that failed one of the month's windows); a sink's failure is reported once a month.
async fn write_to_sinks(
    sinks: &[Store],
    month: Month,
    data: Arc<WindowData>,
    checkpoint: Option<Checkpoint>,
    state: &mut MonthState,
    summary: &mut IngestSummary,
    send: &impl Fn(Progress),
) {
    let mut first_written = None;
    for (i, sink) in sinks.iter().enumerate() {
        let checkpoint = checkpoint.as_ref().filter(|_| !state.sink_failed[i]);
        match sink.write_window(&data, checkpoint).await {
            Ok(stats) => {
                summary.per_sink[i].1.add(stats);
                first_written.get_or_insert(stats);
            }
            Err(e) => {
                tracing::error!(%month, sink = %sink.kind(), "write failed: {e}");
                if !state.sink_failed[i] {
                    state.sink_failed[i] = true;
                    summary.sink_failures.push((sink.kind(), month, e.to_string()));
                    send(Progress::SinkFailed { month, sink: sink.kind(), reason: e.to_string() });
                }
            }
        }
    }
    if let Some(stats) = first_written {
        state.stats.add(stats);
    }
}

/// After a refresh that read the change feed: in each sink, the range's months that came
/// through this run whole are current as of when the feed was asked. A month that failed, was
/// left, or that the sink could not write is not, so the next refresh asks from before it.
/// Returns a line per sink that could not record it.
async fn mark_synced(
    sinks: &[Store],
    dataset: Dataset,
    summary: &IngestSummary,
    at: DateTime<Utc>,
    range: &[Month],
) -> Vec<String> {
    let mut failures = Vec::new();
    let unfinished: BTreeSet<Month> = summary
        .failed_months
        .iter()
        .map(|(m, _)| *m)
        .chain(summary.left.iter().copied())
        .chain(summary.not_tried.iter().copied())
        .chain(summary.unconfirmed.iter().copied())
        .collect();
    for sink in sinks {
        let months: Vec<Month> = range
            .iter()
            .filter(|m| !unfinished.contains(m))
            .filter(|m| !summary.sink_failures.iter().any(|(k, f, _)| *k == sink.kind() && f == *m))
            .copied()
            .collect();
        if let Err(e) = sink.set_synced(dataset, &months, at).await {
            failures.push(format!(
                "{} could not record that its data is current ({e}); the next refresh looks further back",
                sink.kind()
            ));
        }
    }
    failures
}

fn notice(summary: &mut IngestSummary, send: &impl Fn(Progress), line: String) {
    tracing::warn!("{line}");
    summary.notices.push(line.clone());
    send(Progress::Notice(line));
}

/// Entities that had data in the month before `month` (in the first sink) but have none now,
/// named for a message; None when none is missing or it cannot be told.
async fn missing_entities(
    sinks: &[Store],
    dataset: Dataset,
    month: Month,
    now: &BTreeSet<String>,
) -> Option<String> {
    let before = sinks.first()?.entities_with_data(dataset, month.prev()).await.ok()?;
    let missing: Vec<&String> = before.iter().filter(|e| !now.contains(*e)).collect();
    match missing.len() {
        0 => None,
        1..=5 => Some(missing.iter().map(|e| e.as_str()).collect::<Vec<_>>().join(", ")),
        n => Some(format!(
            "{} and {} more",
            missing[..3].iter().map(|e| e.as_str()).collect::<Vec<_>>().join(", "),
            n - 3
        )),
    }
}

/// A month whose windows have all come back: done, failed (already reported), left or not tried.
fn finish_month(month: Month, state: &MonthState, summary: &mut IngestSummary, send: &impl Fn(Progress)) {
    if state.failed {
        return;
    }
    if state.stopped {
        summary.left.push(month);
        send(Progress::Left { month });
        return;
    }
    if state.not_tried {
        summary.not_tried.push(month);
        send(Progress::Left { month });
        return;
    }
    if state.sink_failed.iter().all(|f| *f) && !state.sink_failed.is_empty() {
        // Listed under the sinks' failures in the summary; the event closes the month's line.
        send(Progress::Failed { month, reason: "no sink could write it".into() });
        return;
    }
    summary.months_done += 1;
    send(Progress::Done { month, records: state.records, rejected: state.rejected, stats: state.stats });
}

/// An ingest started in the background: its progress, its stop, and its summary at the end.
pub struct Running {
    pub progress: mpsc::UnboundedReceiver<Progress>,
    pub stop: CancellationToken,
    pub task: JoinHandle<IngestSummary>,
}

/// What to fetch: the one launcher the headless command and the explorer share.
#[derive(Clone)]
pub struct Launch {
    pub client: Arc<ElhubClient>,
    pub sinks: Arc<Vec<Store>>,
    pub dataset: Dataset,
    pub range: MonthRange,
    pub concurrency: usize,
    pub mode: FetchMode,
    pub policy: RefreshPolicy,
}

impl Launch {
    /// Plans against what the sinks hold (every month of the range if that cannot be read)
    /// and runs in a task; `stop` ends it cleanly.
    pub fn start(self) -> Running {
        let (tx, rx) = mpsc::unbounded_channel();
        let stop = CancellationToken::new();
        let stopped = stop.clone();
        let task = tokio::spawn(async move {
            let planning = IngestPlan::for_sinks(
                self.dataset,
                self.range,
                self.concurrency,
                &self.sinks,
                self.mode,
                self.policy,
                &self.client,
            );
            let whole = || IngestPlan::for_range(self.dataset, self.range, self.concurrency);
            let plan = tokio::select! {
                planned = planning => planned.unwrap_or_else(|e| {
                    tracing::error!("cannot read what the sinks hold, fetching the whole range: {e}");
                    whole()
                }),
                // Stopped while asking the change feed: the run reports every month as left.
                _ = stopped.cancelled() => whole(),
            };
            run_until(self.client, self.sinks, plan, tx, stopped).await
        });
        Running { progress: rx, stop, task }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(s: &str) -> Month {
        s.parse().unwrap()
    }

    fn state(windows: usize) -> MonthState {
        MonthState::new(windows, false, 0, Utc::now())
    }

    fn day(month: Month, n: usize) -> WindowData {
        let day = month.first_day() + chrono::Duration::days(n as i64);
        let mut data = WindowData::new(Dataset::CONSUMPTION_MUNICIPALITY, Window::of_day(day));
        let start = Window::of_day(day).start.timestamp();
        data.series.push(crate::model::SeriesData {
            key: crate::model::SeriesKey::new("0301", "private"),
            points: vec![crate::model::Point { start, kwh: n as f64, updated: 0, metering_points: None }],
        });
        data
    }

    #[test]
    fn adjacent_days_are_written_together() {
        let jan = m("2021-01");
        let mut s = state(31);
        for n in [0, 1, 2, 4, 5, 6, 7, 8, 9, 10] {
            s.pending.insert(n, day(jan, n));
        }
        // Days 0-2 wait (a run of 3); days 4-10 are a run of 7, still short of BATCH_WINDOWS.
        assert!(s.take_runs(false).is_empty());
        s.pending.insert(11, day(jan, 11));
        let runs = s.take_runs(false);
        assert_eq!(runs.len(), 1);
        let (merged, count) = &runs[0];
        assert_eq!(*count, BATCH_WINDOWS);
        assert_eq!(merged.window, Window { start: day(jan, 4).window.start, end: day(jan, 11).window.end });
        assert_eq!(merged.series.len(), 1, "one series across the days");
        assert_eq!(
            merged.series[0].points.iter().map(|p| p.kwh as usize).collect::<Vec<_>>(),
            (4..12).collect::<Vec<_>>()
        );
        assert_eq!(s.pending.keys().copied().collect::<Vec<_>>(), [0, 1, 2]);
        // The end of the month (or a stop) writes what waits, a run at a time: never across a gap.
        s.pending.insert(20, day(jan, 20));
        let runs = s.take_runs(true);
        assert_eq!(runs.iter().map(|(_, c)| *c).collect::<Vec<_>>(), [3, 1]);
        assert!(s.pending.is_empty());
    }

    #[test]
    fn outcomes_follow_the_contract() {
        let mut s = IngestSummary { months_planned: 3, months_done: 3, ..Default::default() };
        assert_eq!(s.outcome(), Outcome::Done);
        s.left = vec![m("2021-03")];
        assert_eq!(s.outcome(), Outcome::Partial, "stopped: a rerun completes it");
        s.left.clear();
        s.unavailable_sinks = vec![(StoreKind::Mongodb, "down".into())];
        assert_eq!(s.outcome(), Outcome::Partial);
        let none = IngestSummary {
            months_planned: 2,
            failed_months: vec![(m("2021-01"), "x".into())],
            ..Default::default()
        };
        assert_eq!(none.outcome(), Outcome::Failed);
    }
}
