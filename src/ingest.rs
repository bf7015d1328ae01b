//! Plan -> fetch with bounded concurrency -> write to every sink -> checkpoint, emitting
//! progress events on a channel (the TUI's progress pane, or the headless reporter).
//!
//! A window holds its concurrency permit until every sink has written it, so fetched data never
//! piles up in memory faster than the slowest sink takes it. A failed sink does not stop the
//! others; the window's records are then in the sinks that succeeded, and a rerun completes it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinSet;

use crate::elhub::{ElhubClient, FetchEvent, ParsedWindow, Window};
use crate::model::{Dataset, Month, MonthRange};
use crate::store::{Store, StoreKind, UpsertStats};

/// What an ingest is asked to do.
#[derive(Debug, Clone)]
pub struct IngestPlan {
    pub dataset: Dataset,
    pub months: Vec<Month>,
    pub concurrency: usize,
}

impl IngestPlan {
    pub fn for_range(dataset: Dataset, range: MonthRange, concurrency: usize) -> IngestPlan {
        IngestPlan { dataset, months: range.months().collect(), concurrency: concurrency.max(1) }
    }
}

/// Progress of an ingest, one event per change.
#[derive(Debug, Clone, PartialEq)]
pub enum Progress {
    /// The months to fetch, in order.
    Planned { dataset: Dataset, months: Vec<Month> },
    /// A month's request went out.
    Fetching { month: Month },
    /// A month's request failed and will be retried.
    Retry { month: Month, attempt: usize, reason: String, delay: Duration },
    /// The API refused a window as too wide; it is fetched in halves.
    Split { month: Month, window: Window },
    /// A sink could not write a month.
    SinkFailed { month: Month, sink: StoreKind, reason: String },
    /// A month is fetched and written to every sink that could take it.
    Done { month: Month, records: u64, rejected: u64, stats: UpsertStats },
    /// A month could not be fetched after retries.
    Failed { month: Month, reason: String },
    /// The ingest is over.
    Finished(IngestSummary),
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
    pub elapsed: Duration,
}

/// The exit codes of DESIGN.md.
pub mod exit {
    pub const DONE: i32 = 0;
    pub const FAILED: i32 = 1;
    pub const USAGE: i32 = 2;
    pub const PARTIAL: i32 = 3;
}

impl IngestSummary {
    pub fn exit_code(&self) -> i32 {
        if self.failed_months.is_empty() && self.sink_failures.is_empty() && self.unavailable_sinks.is_empty()
        {
            exit::DONE
        } else if self.months_done == 0 && self.months_planned > 0 {
            exit::FAILED
        } else {
            exit::PARTIAL
        }
    }

    /// Records per second fetched.
    pub fn rate(&self) -> f64 {
        self.fetched as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// A multi-line human summary.
    pub fn render(&self) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        let dataset = self.dataset.map_or("", |d| d.as_str());
        let _ = writeln!(
            s,
            "{dataset}: {} of {} months done in {:.2} s, {} records fetched ({:.0} records/s), {} rejected",
            self.months_done,
            self.months_planned,
            self.elapsed.as_secs_f64(),
            self.fetched,
            self.rate(),
            self.rejected
        );
        for (sink, st) in &self.per_sink {
            let _ =
                writeln!(s, "  {sink}: {} new, {} updated, {} unchanged", st.new, st.updated, st.unchanged);
        }
        for (month, reason) in &self.failed_months {
            let _ = writeln!(s, "  failed {month}: {reason}");
        }
        for (sink, reason) in &self.unavailable_sinks {
            let _ = writeln!(s, "  {sink} was not written: {reason}");
        }
        for (sink, month, reason) in &self.sink_failures {
            let _ = writeln!(s, "  {sink} could not write {month}: {reason}");
        }
        if self.exit_code() != exit::DONE {
            let _ = writeln!(s, "  a rerun with the same range completes what is missing");
        }
        s
    }
}

/// Fetches every month of the plan and writes it to every sink.
pub async fn run(
    client: Arc<ElhubClient>,
    sinks: Arc<Vec<Store>>,
    plan: IngestPlan,
    progress: mpsc::UnboundedSender<Progress>,
) -> IngestSummary {
    let started = Instant::now();
    let send = |p: Progress| {
        // The receiver may have gone (the TUI quit): the ingest still finishes its writes.
        let _ = progress.send(p);
    };
    send(Progress::Planned { dataset: plan.dataset, months: plan.months.clone() });
    let mut summary = IngestSummary {
        dataset: Some(plan.dataset),
        months_planned: plan.months.len(),
        per_sink: sinks.iter().map(|s| (s.kind(), UpsertStats::default())).collect(),
        ..IngestSummary::default()
    };
    let permits = Arc::new(Semaphore::new(plan.concurrency));
    let mut fetches = JoinSet::new();
    for month in plan.months.iter().copied() {
        let (client, permits, progress) = (client.clone(), permits.clone(), progress.clone());
        let dataset = plan.dataset;
        fetches.spawn(async move {
            let permit = permits.acquire_owned().await;
            let _ = progress.send(Progress::Fetching { month });
            let events = |e: FetchEvent| {
                let _ = progress.send(match e {
                    FetchEvent::Retry { attempt, reason, delay } => {
                        Progress::Retry { month, attempt, reason, delay }
                    }
                    FetchEvent::Split { window } => Progress::Split { month, window },
                });
            };
            let result = client.fetch_window(dataset, Window::of_month(month), &events).await;
            (month, result, permit)
        });
    }
    while let Some(joined) = fetches.join_next().await {
        let (month, result, _permit) = match joined {
            Ok(v) => v,
            Err(e) => {
                tracing::error!("fetch task failed: {e}");
                continue;
            }
        };
        match result {
            Ok(parsed) => {
                let stats = write_to_sinks(&sinks, plan.dataset, month, &parsed, &mut summary, &send).await;
                summary.fetched += parsed.records.len() as u64;
                summary.rejected += parsed.rejected;
                if !parsed.rejection_samples.is_empty() {
                    tracing::warn!(%month, rejected = parsed.rejected, samples = ?parsed.rejection_samples, "records rejected");
                }
                if let Some(stats) = stats {
                    summary.months_done += 1;
                    send(Progress::Done {
                        month,
                        records: parsed.records.len() as u64,
                        rejected: parsed.rejected,
                        stats,
                    });
                }
            }
            Err(e) => {
                tracing::error!(%month, "fetch failed: {e}");
                summary.failed_months.push((month, e.to_string()));
                send(Progress::Failed { month, reason: e.to_string() });
            }
        }
    }
    summary.failed_months.sort_by_key(|(m, _)| *m);
    summary.sink_failures.sort_by_key(|(_, m, _)| *m);
    summary.elapsed = started.elapsed();
    send(Progress::Finished(summary.clone()));
    summary
}

/// Writes one month to every sink; the stats of the first sink that wrote it, or None when
/// every sink failed.
async fn write_to_sinks(
    sinks: &[Store],
    dataset: Dataset,
    month: Month,
    parsed: &ParsedWindow,
    summary: &mut IngestSummary,
    send: &impl Fn(Progress),
) -> Option<UpsertStats> {
    let mut first = None;
    for (i, sink) in sinks.iter().enumerate() {
        match sink.upsert_window(dataset, month, Window::of_month(month), parsed).await {
            Ok(stats) => {
                summary.per_sink[i].1.add(stats);
                first.get_or_insert(stats);
            }
            Err(e) => {
                tracing::error!(%month, sink = %sink.kind(), "write failed: {e}");
                summary.sink_failures.push((sink.kind(), month, e.to_string()));
                send(Progress::SinkFailed { month, sink: sink.kind(), reason: e.to_string() });
            }
        }
    }
    first
}
