//! The fetch running in the background (or the last one), as the progress pane shows it: a line
//! per month, moved on by the ingest's `Progress` events. What the rest of the explorer must do
//! about an event (re-read a month that landed, show a notice) comes back as `News`.

use std::time::{Duration, Instant};

use crate::ingest::{IngestSummary, Outcome, Progress};
use crate::model::{Dataset, Month, MonthRange};

/// A month's line in the progress pane.
#[derive(Debug, Clone, PartialEq)]
pub enum MonthStatus {
    Waiting,
    Fetching,
    /// Some of the month's windows (days) are written.
    Partly {
        done: usize,
        of: usize,
    },
    Retry {
        attempt: usize,
        reason: String,
    },
    Done {
        records: u64,
        rejected: u64,
    },
    /// Fetched, but a sink could not write it.
    SinkFailed {
        reason: String,
    },
    Failed {
        reason: String,
    },
}

impl MonthStatus {
    /// Whether the month came to an end (written, or given up).
    pub fn ended(&self) -> bool {
        matches!(self, MonthStatus::Done { .. } | MonthStatus::Failed { .. } | MonthStatus::SinkFailed { .. })
    }

    fn failed(&self) -> bool {
        matches!(self, MonthStatus::Failed { .. } | MonthStatus::SinkFailed { .. })
    }
}

/// What an event means beyond its month's line.
#[derive(Debug, Clone, PartialEq)]
pub enum News {
    Nothing,
    /// Data of the month was written: what shows it must be read again.
    Landed(Month),
    /// A line for the status line.
    Notice(String),
    /// The fetch ended; the status line says how, when there is something to say.
    Finished(Option<String>),
}

/// The fetch running in the background, or the last one.
#[derive(Debug, Clone, PartialEq)]
pub struct FetchState {
    pub dataset: Dataset,
    /// The months asked for (`r`: the viewed year; `R`: the range given at start).
    pub range: MonthRange,
    pub months: Vec<(Month, MonthStatus)>,
    pub records: u64,
    pub started: Instant,
    pub finished: Option<Instant>,
    pub summary: Option<IngestSummary>,
}

impl FetchState {
    /// A fetch of `range` starting at `now`, every month waiting.
    pub fn new(dataset: Dataset, range: MonthRange, now: Instant) -> FetchState {
        FetchState {
            dataset,
            range,
            months: range.months().map(|m| (m, MonthStatus::Waiting)).collect(),
            records: 0,
            started: now,
            finished: None,
            summary: None,
        }
    }

    pub fn running(&self) -> bool {
        self.finished.is_none()
    }

    pub fn completed(&self) -> usize {
        self.months.iter().filter(|(_, s)| s.ended()).count()
    }

    /// Months that ended without being written (fetch failed, or every sink failed).
    pub fn failed(&self) -> usize {
        self.months.iter().filter(|(_, s)| s.failed()).count()
    }

    pub fn elapsed(&self, now: Instant) -> Duration {
        self.finished.unwrap_or(now).saturating_duration_since(self.started)
    }

    /// The line of `month`, when the fetch has one.
    pub fn status(&self, month: Month) -> Option<&MonthStatus> {
        self.months.iter().find(|(m, _)| *m == month).map(|(_, s)| s)
    }

    /// Whether `month` of `dataset` is on its way: this fetch runs and has not finished it.
    pub fn bringing(&self, dataset: Dataset, month: Month) -> bool {
        self.running() && self.dataset == dataset && self.status(month).is_some_and(|s| !s.ended())
    }

    fn status_mut(&mut self, month: Month) -> Option<&mut MonthStatus> {
        self.months.iter_mut().find(|(m, _)| *m == month).map(|(_, s)| s)
    }

    /// Shows a month under way, unless it has already ended (failed, or a sink failed): a later
    /// window's news never hides that.
    fn set_live(&mut self, month: Month, status: MonthStatus) {
        if let Some(s) = self.status_mut(month).filter(|s| !s.ended()) {
            *s = status;
        }
    }

    /// Moves the lines on by one event of the ingest, at `now`.
    pub fn apply(&mut self, p: Progress, now: Instant) -> News {
        match p {
            Progress::Planned { months, .. } => {
                self.months = months.into_iter().map(|m| (m, MonthStatus::Waiting)).collect();
            }
            Progress::Fetching { month } => self.set_live(month, MonthStatus::Fetching),
            Progress::WindowDone { month, done, of } => {
                self.set_live(month, MonthStatus::Partly { done, of });
                // The day's data is in: what is on screen may show it.
                return News::Landed(month);
            }
            Progress::Retry { month, attempt, reason, .. } => {
                self.set_live(month, MonthStatus::Retry { attempt, reason })
            }
            Progress::Split { .. } | Progress::Left { .. } => {}
            Progress::Notice(line) => return News::Notice(line),
            Progress::SinkFailed { month, sink, reason } => {
                if let Some(s) = self.status_mut(month).filter(|s| !matches!(s, MonthStatus::Failed { .. })) {
                    *s = MonthStatus::SinkFailed { reason: format!("{sink}: {reason}") };
                }
            }
            Progress::Done { month, records, rejected, .. } => {
                self.records += records;
                if let Some(s) =
                    self.status_mut(month).filter(|s| !matches!(s, MonthStatus::SinkFailed { .. }))
                {
                    *s = MonthStatus::Done { records, rejected };
                }
                return News::Landed(month);
            }
            Progress::Failed { month, reason } => {
                if let Some(s) = self.status_mut(month) {
                    *s = MonthStatus::Failed { reason };
                }
            }
            Progress::Finished(summary) => return News::Finished(self.finish(*summary, now)),
        }
        News::Nothing
    }

    /// Ends the fetch: months that never came to an end say why on their lines; the notice.
    fn finish(&mut self, summary: IngestSummary, now: Instant) -> Option<String> {
        self.finished = Some(now);
        let why = match &summary.unreachable {
            Some(url) => format!("not fetched: {} could not be reached", crate::model::printable(url)),
            None => "not fetched: the fetch stopped first".to_string(),
        };
        for (_, s) in self.months.iter_mut().filter(|(_, s)| !s.ended()) {
            *s = MonthStatus::Failed { reason: why.clone() };
        }
        let message = match summary.outcome() {
            _ if summary.months_planned == 0 => {
                Some(format!("nothing to fetch: {} is stored and current", self.range))
            }
            Outcome::Done => None,
            _ if summary.unreachable.is_some() => {
                Some("the API could not be reached; Tab to the fetch pane says more; r tries again".into())
            }
            _ => Some(format!(
                "{} of {} fetched; Tab to the fetch pane says why; r fetches again",
                summary.months_done,
                crate::model::count(summary.months_planned, "month")
            )),
        };
        self.summary = Some(summary);
        message
    }
}
