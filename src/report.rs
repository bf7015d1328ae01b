//! The headless ingest's progress on stderr: an indicatif bar when stderr is a terminal,
//! plain timestamp-free lines otherwise (cron mail, CI logs).

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};
use tokio::sync::mpsc;

use crate::ingest::{IngestSummary, Progress};

/// Consumes progress events until `Finished` (or the channel closes); returns the summary.
pub async fn report(mut events: mpsc::UnboundedReceiver<Progress>) -> Option<IngestSummary> {
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template("{spinner} {prefix} [{bar:30}] {pos}/{len} months {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        bar
    });
    let say = |line: String| match &bar {
        Some(b) => b.println(line),
        None => eprintln!("{line}"),
    };
    while let Some(event) = events.recv().await {
        match event {
            Progress::Planned { dataset, months } => {
                if let Some(b) = &bar {
                    b.set_length(months.len() as u64);
                    b.set_prefix(dataset.to_string());
                }
                let range = match (months.first(), months.last()) {
                    (Some(f), Some(l)) if f != l => format!("{f}..{l}"),
                    (Some(f), _) => f.to_string(),
                    _ => "nothing".into(),
                };
                say(format!("fetching {dataset} {range}: {} months", months.len()));
            }
            Progress::Fetching { month } => {
                if let Some(b) = &bar {
                    b.set_message(format!("fetching {month}"));
                }
            }
            Progress::Retry { month, attempt, reason, delay } => {
                say(format!("{month}: {reason}, retry {attempt} in {:.1} s", delay.as_secs_f64()));
            }
            Progress::Split { month, window } => {
                say(format!("{month}: window {window} refused as too wide, fetching it in halves"));
            }
            Progress::SinkFailed { month, sink, reason } => say(format!("{month}: {sink} failed: {reason}")),
            Progress::Done { month, records, rejected, stats } => {
                let rejected = if rejected > 0 { format!(", {rejected} rejected") } else { String::new() };
                match &bar {
                    // The bar shows the count; per-month lines are for logs without a terminal.
                    Some(b) => b.inc(1),
                    None => say(format!(
                        "{month}: {records} records ({} new, {} updated, {} unchanged{rejected})",
                        stats.new, stats.updated, stats.unchanged
                    )),
                }
            }
            Progress::Failed { month, reason } => {
                if let Some(b) = &bar {
                    b.inc(1);
                }
                say(format!("{month}: failed: {reason}"));
            }
            Progress::Left { .. } => {}
            Progress::Finished(summary) => {
                if let Some(b) = &bar {
                    b.finish_and_clear();
                }
                return Some(summary);
            }
        }
    }
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    None
}
