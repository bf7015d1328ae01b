//! What the headless commands print: the ingest's progress on stderr (an indicatif bar when
//! stderr is a terminal, plain timestamp-free lines otherwise, for cron mail and CI logs), its
//! closing summary, the annual totals table of `summary`, and the catalogue of `datasets`.
//! Text that came from the network is printed with control characters escaped.

use std::fmt::Write as _;
use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};
use tokio::sync::mpsc;

use crate::ingest::{IngestSummary, Outcome, Progress};
use crate::model::{
    format_energy, printable, thousands, Dataset, Entity, EntityKind, MonthRange, PriceArea, Shape,
};
use crate::store::{GroupTotal, MonthCoverage};

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
                say(match (months.first(), months.last()) {
                    (Some(f), Some(l)) if f != l => {
                        format!("fetching {dataset} {f}..{l}: {}", count(months.len(), "month"))
                    }
                    (Some(f), _) => format!("fetching {dataset} {f}: 1 month"),
                    _ => format!("{dataset}: every month of the range is already stored"),
                });
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
                say(format!("{month}: failed: {}", printable(&reason)));
            }
            Progress::Notice(line) => say(format!("note: {}", printable(&line))),
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

/// `1 month`, `2 months`.
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// The closing summary of an ingest, several lines.
pub fn ingest_summary(s: &IngestSummary) -> String {
    let mut out = String::new();
    let dataset = s.dataset.map_or("", |d| d.as_str());
    let _ = writeln!(
        out,
        "{dataset}: {} of {} done in {:.2} s, {} records fetched ({:.0} records/s), {} rejected",
        s.months_done,
        count(s.months_planned, "month"),
        s.elapsed.as_secs_f64(),
        s.fetched,
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
    for (sink, st) in &s.per_sink {
        let _ = writeln!(out, "  {sink}: {} new, {} updated, {} unchanged", st.new, st.updated, st.unchanged);
    }
    for line in &s.notices {
        let _ = writeln!(out, "  note: {}", printable(line));
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

/// How an entity is named in tables: a price area by its city, others by their name.
pub fn entity_label(kind: EntityKind, id: &str, names: &[Entity]) -> String {
    match kind {
        EntityKind::PriceArea => {
            id.parse::<PriceArea>().map_or_else(|_| String::new(), |a| a.city().to_string())
        }
        _ => names.iter().find(|e| e.id == id).map_or_else(String::new, |e| printable(&e.name).into_owned()),
    }
}

/// One entity's annual totals in the `summary` table.
pub struct EntityTotals {
    pub id: String,
    pub label: String,
    pub totals: Vec<GroupTotal>,
}

/// Grid areas' totals summed per price area they lie in: a row per area, `NO1` labelled
/// `27 grid areas`, groups sorted.
pub fn by_price_area(rows: &[EntityTotals], entities: &[Entity]) -> Vec<EntityTotals> {
    let mut out: Vec<EntityTotals> = Vec::new();
    for area in PriceArea::ALL {
        let inside: Vec<&EntityTotals> = rows
            .iter()
            .filter(|r| {
                entities.iter().any(|e| e.id == r.id && e.price_area.as_deref() == Some(area.as_str()))
            })
            .filter(|r| !r.totals.is_empty())
            .collect();
        if inside.is_empty() {
            continue;
        }
        let mut totals: Vec<GroupTotal> = Vec::new();
        for t in inside.iter().flat_map(|r| &r.totals) {
            match totals.iter_mut().find(|x| x.group == t.group) {
                Some(x) => {
                    x.kwh += t.kwh;
                    x.count += t.count;
                }
                None => totals.push(t.clone()),
            }
        }
        totals.sort_by(|a, b| a.group.cmp(&b.group));
        out.push(EntityTotals { id: area.to_string(), label: count(inside.len(), "grid area"), totals });
    }
    out
}

/// The `summary` table of one year: per entity, each group with its total, share and count,
/// then the entity's total.
pub fn annual_table(dataset: Dataset, year: i32, rows: &[EntityTotals]) -> String {
    let mut s = String::new();
    let kind = dataset.entity();
    let id_w = rows.iter().map(|r| r.id.chars().count()).max().unwrap_or(5).clamp(5, 18);
    let label_w = rows.iter().map(|r| r.label.chars().count()).max().unwrap_or(13).clamp(13, 24);
    let _ = writeln!(s, "{dataset} {year} (local year, Europe/Oslo)");
    let column = if kind == EntityKind::PriceArea { "area" } else { kind.column() };
    let name = if kind == EntityKind::PriceArea { "city" } else { "name" };
    let _ = writeln!(
        s,
        "{column:<id_w$} {name:<label_w$} {:<10} {:>12} {:>7} {:>6}",
        "group", "total", "share", "hours"
    );
    let mut any = false;
    for row in rows {
        let sum: f64 = row.totals.iter().map(|t| t.kwh).sum();
        for t in &row.totals {
            any = true;
            let share = if sum > 0.0 { 100.0 * t.kwh / sum } else { 0.0 };
            let _ = writeln!(
                s,
                "{:<id_w$} {:<label_w$} {:<10} {:>12} {:>6.1}% {:>6}",
                printable(&row.id),
                row.label,
                printable(&t.group),
                format_energy(t.kwh),
                share,
                t.count / dataset.resolution().per_hour() as u64
            );
        }
        if !row.totals.is_empty() {
            let _ = writeln!(
                s,
                "{:<id_w$} {:<label_w$} {:<10} {:>12}",
                printable(&row.id),
                row.label,
                "all",
                format_energy(sum)
            );
        }
    }
    if !any {
        let _ =
            writeln!(s, "(nothing stored for {year}; run --ingest-only --dataset {dataset} --year {year})");
    }
    let _ = writeln!(s);
    s
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
        assert_eq!(count(1, "month"), "1 month");
        assert_eq!(count(3, "month"), "3 months");
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

    #[test]
    fn names_from_the_network_are_printed_safely() {
        let rows = [EntityTotals {
            id: "NO1".into(),
            label: "Oslo".into(),
            totals: vec![GroupTotal { group: "evil\u{1b}]0;x\u{7}".into(), kwh: 1.0, count: 1 }],
        }];
        let table = annual_table(Dataset::PRODUCTION, 2021, &rows);
        assert!(!table.chars().any(|c| c.is_control() && c != '\n'), "{table:?}");
        assert!(table.contains("evil\\u{1b}]0;x\\u{7}"));
    }
}
