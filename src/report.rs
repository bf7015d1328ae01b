//! What the headless commands print: the ingest's progress on stderr (an indicatif bar when
//! stderr is a terminal, plain timestamp-free lines otherwise, for cron mail and CI logs), its
//! closing summary, and the catalogue of `datasets`.
//! Text that came from the network is printed with control characters escaped.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};
use tokio::sync::mpsc;

use crate::ingest::{IngestSummary, Outcome, Progress, Revisions};
use crate::model::{count, printable, thousands, Dataset, Month, MonthRange, Shape, LOCAL_TZ};
use crate::store::MonthCoverage;

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
    // Without a bar, months are reported in month order however the fetches finish.
    let mut in_order = InOrder::default();
    while let Some(event) = events.recv().await {
        match event {
            Progress::Planned { dataset, months } => {
                if let Some(b) = &bar {
                    b.set_length(months.len() as u64);
                    b.set_prefix(dataset.to_string());
                }
                say(match months.len() {
                    0 => format!("{dataset}: every month of the range is already stored"),
                    n => format!("fetching {dataset} {}: {}", months_label(&months), count(n, "month")),
                });
                in_order = InOrder::new(months);
            }
            Progress::Fetching { month } => {
                if let Some(b) = &bar {
                    b.set_message(format!("fetching {month}"));
                }
            }
            Progress::WindowDone { month, done, of } => {
                if let Some(b) = &bar {
                    b.set_message(format!("{month}: {done}/{of} days"));
                }
            }
            Progress::Retry { month, attempt, reason, delay } => {
                say(format!(
                    "{month}: {}, retry {attempt} in {:.1} s",
                    printable(&reason),
                    delay.as_secs_f64()
                ));
            }
            Progress::Split { month, window } => {
                say(format!("{month}: window {window} refused as too wide, fetching it in halves"));
            }
            Progress::SinkFailed { month, sink, reason } => {
                say(format!("{month}: {sink} failed: {}", printable(&reason)))
            }
            Progress::Done { month, records, rejected, stats } => {
                let rejected = if rejected > 0 { format!(", {rejected} rejected") } else { String::new() };
                match &bar {
                    // The bar shows the count; per-month lines are for logs without a terminal.
                    Some(b) => b.inc(1),
                    None => in_order
                        .finished(
                            month,
                            Some(format!(
                                "{month}: {} ({} new, {} updated, {} unchanged{rejected})",
                                count(records as usize, "record"),
                                stats.new,
                                stats.updated,
                                stats.unchanged
                            )),
                        )
                        .into_iter()
                        .for_each(&say),
                }
            }
            Progress::Failed { month, reason } => {
                let line = format!("{month}: failed: {}", printable(&reason));
                match &bar {
                    Some(b) => {
                        b.inc(1);
                        say(line);
                    }
                    None => in_order.finished(month, Some(line)).into_iter().for_each(&say),
                }
            }
            Progress::Notice(line) => say(format!("note: {}", printable(&line))),
            Progress::Left { month } => in_order.finished(month, None).into_iter().for_each(&say),
            Progress::Finished(summary) => {
                in_order.rest().into_iter().for_each(&say);
                if let Some(b) = &bar {
                    b.finish_and_clear();
                }
                return Some(*summary);
            }
        }
    }
    in_order.rest().into_iter().for_each(&say);
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    None
}

/// `2021-01..2021-06` for a run of months; `2021-03, 2023-05` for a few apart; `2021-01 to
/// 2024-11, not all` for many apart.
fn months_label(months: &[Month]) -> String {
    let (Some(first), Some(last)) = (months.first(), months.last()) else { return String::new() };
    let contiguous = months.windows(2).all(|w| w[0].next() == w[1]);
    match months.len() {
        1 => first.to_string(),
        _ if contiguous => format!("{first}..{last}"),
        2..=4 => months.iter().map(Month::to_string).collect::<Vec<_>>().join(", "),
        _ => format!("{first} to {last}, not all"),
    }
}

/// Holds each month's closing line until the months before it have theirs, so a log reads in
/// month order while fetches finish in any order.
#[derive(Default)]
struct InOrder {
    months: Vec<Month>,
    next: usize,
    waiting: BTreeMap<Month, Option<String>>,
}

impl InOrder {
    fn new(months: Vec<Month>) -> InOrder {
        InOrder { months, next: 0, waiting: BTreeMap::new() }
    }

    /// `month` is over (with a line to print, or none): the lines now due, in order.
    fn finished(&mut self, month: Month, line: Option<String>) -> Vec<String> {
        if !self.months.contains(&month) {
            return line.into_iter().collect();
        }
        self.waiting.insert(month, line);
        let mut due = Vec::new();
        while let Some(line) = self.months.get(self.next).and_then(|m| self.waiting.remove(m)) {
            due.extend(line);
            self.next += 1;
        }
        due
    }

    /// Whatever still waits (a month before it never reported), in order.
    fn rest(&mut self) -> Vec<String> {
        self.next = self.months.len();
        std::mem::take(&mut self.waiting).into_values().flatten().collect()
    }
}

/// The closing summary of an ingest, several lines.
pub fn ingest_summary(s: &IngestSummary) -> String {
    let mut out = String::new();
    let dataset = s.dataset.map_or("", |d| d.as_str());
    let _ = writeln!(
        out,
        "{dataset}: {} of {} done in {:.2} s, {} fetched ({:.0} records/s), {} rejected",
        s.months_done,
        count(s.months_planned, "month"),
        s.elapsed.as_secs_f64(),
        count(s.fetched as usize, "record"),
        s.rate(),
        s.rejected
    );
    if s.skipped > 0 {
        let _ = writeln!(
            out,
            "  skipped {} already complete in every sink (--force fetches them)",
            count(s.skipped, "month")
        );
    }
    if let Some(Revisions::Feed { since, days, months, skipped }) = &s.revisions {
        let since = since.with_timezone(&LOCAL_TZ).format("%Y-%m-%d %H:%M");
        let _ = match days {
            0 => writeln!(out, "  revisions: none in the range since {since} (Elhub's change feed)"),
            _ => writeln!(
                out,
                "  revisions: {} in {} of the range since {since} (Elhub's change feed)",
                count(*days, "day"),
                count(*months, "month")
            ),
        };
        if *skipped > 0 {
            let _ = writeln!(
                out,
                "  note: {} of the change feed not understood, skipped",
                count(*skipped, "item")
            );
        }
    }
    for (month, at) in &s.verified {
        let _ = writeln!(
            out,
            "  verified: {month} refetched whole, the month fetched longest ago ({}), for revisions the feed may not list",
            at.with_timezone(&LOCAL_TZ).format("%Y-%m-%d %H:%M")
        );
    }
    for (sink, st) in &s.per_sink {
        let _ = writeln!(out, "  {sink}: {} new, {} updated, {} unchanged", st.new, st.updated, st.unchanged);
    }
    for (month, reason) in &s.failed_months {
        let _ = writeln!(out, "  failed {month}: {}", printable(reason));
    }
    if let (Some(url), Some(first), Some(last)) = (&s.unreachable, s.not_tried.first(), s.not_tried.last()) {
        let months = if first == last { first.to_string() } else { format!("{first}..{last}") };
        let _ = writeln!(
            out,
            "  cannot reach the API at {url}: {} not tried ({months})",
            count(s.not_tried.len(), "month")
        );
    }
    for (sink, reason) in &s.unavailable_sinks {
        let _ = writeln!(out, "  {sink} was not written: {}", printable(reason));
    }
    for (sink, month, reason) in &s.sink_failures {
        let _ = writeln!(out, "  {sink} could not write {month}: {}", printable(reason));
    }
    if let (Some(first), Some(last)) = (s.left.first(), s.left.last()) {
        let _ = writeln!(out, "  stopped: {} left ({first}..{last})", count(s.left.len(), "month"));
    }
    if s.outcome() != Outcome::Done {
        let _ = writeln!(out, "  a rerun with the same range completes what is missing");
    }
    out
}

/// The `datasets` table: the catalogue with what the read store holds of each dataset.
pub fn datasets_table(stored: &[(Dataset, Vec<MonthCoverage>)]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:<25} {:<40} {:<15} {:<6} {:<6} {:<8} {:<9} stored",
        "dataset", "Elhub name", "entity", "step", "window", "from", "shape"
    );
    for (dataset, months) in stored {
        let spec = dataset.spec();
        let window = match spec.window {
            crate::model::WindowLimit::Month => "month",
            crate::model::WindowLimit::Day => "day",
        };
        let shape = match spec.shape {
            Shape::Verified => "verified",
            Shape::Inferred => "inferred",
        };
        let _ = writeln!(
            s,
            "{:<25} {:<40} {:<15} {:<6} {:<6} {:<8} {:<9} {}",
            spec.alias,
            spec.api_name,
            spec.entity.path(),
            spec.resolution.label(),
            window,
            spec.first_month,
            shape,
            stored_months(months)
        );
    }
    s
}

/// `2021-01..2021-12 (12 months, 215,353 records)`, with gaps shown as separate runs.
pub fn stored_months(months: &[MonthCoverage]) -> String {
    if months.is_empty() {
        return "nothing".into();
    }
    let mut runs: Vec<MonthRange> = Vec::new();
    for c in months {
        match runs.last_mut() {
            Some(r) if r.to().next() == c.month => *r = MonthRange::new(r.from(), c.month).unwrap_or(*r),
            _ => runs.push(MonthRange::new(c.month, c.month).unwrap_or_else(|_| unreachable!("from == to"))),
        }
    }
    let records: u64 = months.iter().map(|c| c.records).sum();
    let shown: Vec<String> = runs.iter().take(3).map(|r| r.to_string()).collect();
    let more = if runs.len() > 3 { format!(" and {} more", runs.len() - 3) } else { String::new() };
    format!("{}{more} ({}, {} records)", shown.join(", "), count(months.len(), "month"), thousands(records))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    #[test]
    fn plain_wording() {
        assert_eq!(thousands(215_353), "215,353");
        assert_eq!(thousands(999), "999");
        let s = IngestSummary {
            dataset: Some(Dataset::PRODUCTION),
            months_planned: 1,
            months_done: 1,
            ..Default::default()
        };
        assert!(ingest_summary(&s).starts_with("production: 1 of 1 month done"), "{}", ingest_summary(&s));
    }

    #[test]
    fn planned_months_are_named_as_they_are() {
        let m = |s: &str| s.parse::<Month>().unwrap();
        assert_eq!(months_label(&[m("2021-01")]), "2021-01");
        assert_eq!(months_label(&[m("2021-12"), m("2022-01"), m("2022-02")]), "2021-12..2022-02");
        assert_eq!(months_label(&[m("2023-05"), m("2024-11")]), "2023-05, 2024-11");
        let apart: Vec<Month> = ["2021-01", "2021-03", "2021-05", "2021-07", "2021-09"].map(m).to_vec();
        assert_eq!(months_label(&apart), "2021-01 to 2021-09, not all");
    }

    #[test]
    fn months_are_reported_in_month_order() {
        let m = |s: &str| s.parse::<Month>().unwrap();
        let mut order = InOrder::new(vec![m("2021-01"), m("2021-02"), m("2021-03"), m("2021-04")]);
        assert!(order.finished(m("2021-03"), Some("march".into())).is_empty());
        assert!(order.finished(m("2021-02"), Some("february".into())).is_empty());
        assert_eq!(order.finished(m("2021-01"), Some("january".into())), ["january", "february", "march"]);
        assert_eq!(order.finished(m("2020-12"), Some("unplanned".into())), ["unplanned"]);
        let mut stopped = InOrder::new(vec![m("2021-01"), m("2021-02"), m("2021-03")]);
        assert!(stopped.finished(m("2021-02"), Some("february".into())).is_empty());
        assert!(stopped.finished(m("2021-01"), None).len() == 1, "a month left without a line passes");
        assert!(stopped.finished(m("2021-03"), Some("march".into())) == ["march"]);
        let mut cut = InOrder::new(vec![m("2021-01"), m("2021-02"), m("2021-03")]);
        assert!(cut.finished(m("2021-03"), Some("march".into())).is_empty());
        assert_eq!(cut.rest(), ["march"], "the end flushes what waits");
    }

    #[test]
    fn stored_months_show_runs_and_gaps() {
        let c = |m: &str| MonthCoverage {
            month: m.parse().unwrap(),
            records: 10,
            rejected: 0,
            fetched_at: Utc::now(),
        };
        assert_eq!(stored_months(&[]), "nothing");
        let months = [c("2021-01"), c("2021-02"), c("2021-03"), c("2021-06")];
        assert_eq!(stored_months(&months), "2021-01..2021-03, 2021-06 (4 months, 40 records)");
    }
}
