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
use crate::store::{MonthCoverage, StoreKind};

/// Consumes progress events until `Finished` (or the channel closes); returns the summary.
pub async fn report(mut events: mpsc::UnboundedReceiver<Progress>) -> Option<IngestSummary> {
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template("{spinner} {prefix} [{wide_bar}] {pos}/{len} months {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        bar
    });
    let say = |line: String| match &bar {
        Some(b) => b.println(line),
        None => eprint!("{}", timestamped(&line, chrono::Local::now())),
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

/// Headless lines as written to stderr: on a terminal as they are; otherwise (cron mail, a log
/// file read after the fact) each behind the local time it was written, `2026-12-01 06:15:03`.
pub fn for_stderr(text: &str) -> String {
    if std::io::stderr().is_terminal() {
        let mut out = text.to_string();
        if !out.ends_with('\n') {
            out.push('\n');
        }
        return out;
    }
    timestamped(text, chrono::Local::now())
}

/// Each line of `text` behind `at` (local time to the second).
fn timestamped(text: &str, at: chrono::DateTime<chrono::Local>) -> String {
    let stamp = at.format("%Y-%m-%d %H:%M:%S");
    text.lines().map(|l| format!("{stamp} {l}\n")).collect()
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
        // A sink that could not be opened had its months counted by none: they are complete in
        // the sinks written, not in every sink.
        let written: Vec<&str> = s.per_sink.iter().map(|(k, _)| k.as_str()).collect();
        let _ = match s.unavailable_sinks.is_empty() {
            true => writeln!(
                out,
                "  skipped {} already complete in every sink (--force fetches them)",
                count(s.skipped, "month")
            ),
            false => writeln!(
                out,
                "  skipped {} already complete in {} (--force fetches them); {} could not be opened: a rerun once it is back fetches what it lacks",
                count(s.skipped, "month"),
                written.join(" and "),
                s.unavailable_sinks.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>().join(" and ")
            ),
        };
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
        let note = match s.sink_notes.iter().find(|(k, _)| k == sink) {
            Some((_, note)) => format!(" ({note})"),
            None => String::new(),
        };
        let _ = writeln!(
            out,
            "  {sink}{note}: {} new, {} updated, {} unchanged",
            st.new, st.updated, st.unchanged
        );
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

/// The catalogue with what is stored of each dataset, a block per dataset within 80 columns:
/// alias and Elhub's name, what it is, and the months stored.
pub fn datasets_table(stored: &[(Dataset, Vec<MonthCoverage>)]) -> String {
    let mut s = String::new();
    for (n, (dataset, months)) in stored.iter().enumerate() {
        let spec = dataset.spec();
        if n > 0 {
            s.push('\n');
        }
        let _ = writeln!(s, "{:<26}{}", spec.alias, spec.api_name);
        let window = match spec.window {
            crate::model::WindowLimit::Month if spec.entity == crate::model::EntityKind::GridArea => {
                "a month a request (halved on 400)"
            }
            crate::model::WindowLimit::Month => "a month a request",
            crate::model::WindowLimit::Day => "a day a request",
        };
        let shape = match spec.shape {
            Shape::Verified => "",
            Shape::Inferred => " · shape inferred",
        };
        let _ = writeln!(
            s,
            "  {} · {} steps · {window} · from {}{shape}",
            spec.entity.title().to_lowercase(),
            spec.resolution.label(),
            spec.first_month
        );
        let held = if months.is_empty() { "nothing yet".to_string() } else { stored_months(months) };
        s.push_str(&wrap(&format!("  stored: {held}"), 80, "          "));
    }
    s
}

/// `text` in lines of at most `width` characters, broken at spaces, later lines indented.
fn wrap(text: &str, width: usize, indent: &str) -> String {
    let mut out = String::new();
    let body = text.trim_start_matches(' ');
    let mut line = text[..text.len() - body.len()].to_string();
    for word in body.split(' ') {
        if !line.trim().is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            out.push_str(line.trim_end());
            out.push('\n');
            line = indent.to_string();
        } else if !line.trim().is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    out.push_str(line.trim_end());
    out.push('\n');
    out
}

/// The catalogue as rows of named fields, for `--format csv|json`.
fn dataset_fields(dataset: Dataset, months: &[MonthCoverage]) -> Vec<(&'static str, String)> {
    let spec = dataset.spec();
    let with_records: Vec<&MonthCoverage> = months.iter().filter(|c| c.records > 0).collect();
    vec![
        ("dataset", spec.alias.to_string()),
        ("elhub_name", spec.api_name.to_string()),
        ("entity", spec.entity.column().to_string()),
        ("step", spec.resolution.label().to_string()),
        (
            "request_window",
            match spec.window {
                crate::model::WindowLimit::Month => "month",
                crate::model::WindowLimit::Day => "day",
            }
            .to_string(),
        ),
        ("first_month", spec.first_month.to_string()),
        (
            "shape",
            match spec.shape {
                Shape::Verified => "verified",
                Shape::Inferred => "inferred",
            }
            .to_string(),
        ),
        ("months_stored", with_records.len().to_string()),
        ("records_stored", months.iter().map(|c| c.records).sum::<u64>().to_string()),
        ("first_stored", with_records.first().map(|c| c.month.to_string()).unwrap_or_default()),
        ("last_stored", with_records.last().map(|c| c.month.to_string()).unwrap_or_default()),
    ]
}

/// `datasets --format csv`.
pub fn datasets_csv(stored: &[(Dataset, Vec<MonthCoverage>)]) -> String {
    let rows: Vec<Vec<(&'static str, String)>> = stored.iter().map(|(d, m)| dataset_fields(*d, m)).collect();
    fields_csv(&rows)
}

/// `datasets --format json`: numbers as numbers.
pub fn datasets_json(stored: &[(Dataset, Vec<MonthCoverage>)]) -> String {
    let rows: Vec<Vec<(&'static str, String)>> = stored.iter().map(|(d, m)| dataset_fields(*d, m)).collect();
    fields_json(&rows, &["months_stored", "records_stored"])
}

/// Rows of named fields as CSV, the first row's names as the header.
fn fields_csv(rows: &[Vec<(&'static str, String)>]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    if let Some(first) = rows.first() {
        let _ = w.write_record(first.iter().map(|(k, _)| *k));
    }
    for row in rows {
        let _ = w.write_record(row.iter().map(|(_, v)| v.as_str()));
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// Rows of named fields as a JSON array of objects; `numbers` are written as numbers, an empty
/// field as null.
fn fields_json(rows: &[Vec<(&'static str, String)>], numbers: &[&str]) -> String {
    let list: Vec<serde_json::Value> = rows
        .iter()
        .map(|row| {
            let object: serde_json::Map<String, serde_json::Value> = row
                .iter()
                .map(|(k, v)| {
                    let value = if v.is_empty() {
                        serde_json::Value::Null
                    } else if numbers.contains(k) {
                        v.parse::<u64>().map_or_else(|_| v.as_str().into(), serde_json::Value::from)
                    } else if v == "true" || v == "false" {
                        serde_json::Value::Bool(v == "true")
                    } else {
                        v.as_str().into()
                    };
                    (k.to_string(), value)
                })
                .collect();
            serde_json::Value::Object(object)
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&list).unwrap_or_default();
    text.push('\n');
    text
}

/// One line of `entities`.
#[derive(Debug, Clone, PartialEq)]
pub struct EntityLine {
    pub id: String,
    /// As shown: repaired where the API sent it mis-encoded (a price area: its city).
    pub name: String,
    pub name_as_sent: String,
    /// A grid area's price area.
    pub price_area: Option<String>,
    /// Whether anything of the entity is stored for the dataset.
    pub stored: bool,
}

/// `entities`: a line each, within 80 columns (names cut with an ellipsis only on a terminal
/// table; CSV and JSON carry them whole).
pub fn entities_table(dataset: Dataset, rows: &[EntityLine]) -> String {
    let kind = dataset.entity();
    let with = rows.iter().filter(|r| r.stored).count();
    let mut s = format!("{dataset}: {}, {with} with data stored\n", count(rows.len(), kind.noun()));
    let grid = kind == crate::model::EntityKind::GridArea;
    let id_w = rows.iter().map(|r| r.id.chars().count()).max().unwrap_or(2).max(2);
    let room = 80 - id_w - 2 - if grid { 12 } else { 0 } - 8;
    let name_w = rows.iter().map(|r| printable(&r.name).chars().count()).max().unwrap_or(4).clamp(4, room);
    let _ = write!(s, "{:<id_w$}  {:<name_w$}", "id", "name");
    if grid {
        let _ = write!(s, "  price area");
    }
    let _ = writeln!(s, "  stored");
    for r in rows {
        let mut name = printable(&r.name).into_owned();
        if name.chars().count() > name_w {
            name = name.chars().take(name_w - 1).chain(['…']).collect();
        }
        let _ = write!(s, "{:<id_w$}  {:<name_w$}", printable(&r.id), name);
        if grid {
            let _ = write!(s, "  {:<10}", r.price_area.as_deref().map(printable).unwrap_or_default());
        }
        let _ = writeln!(s, "  {}", if r.stored { "yes" } else { "no" });
    }
    s
}

fn entity_fields(dataset: Dataset, rows: &[EntityLine]) -> Vec<Vec<(&'static str, String)>> {
    rows.iter()
        .map(|r| {
            let mut f = vec![
                ("id", r.id.clone()),
                ("name", r.name.clone()),
                ("name_as_sent", r.name_as_sent.clone()),
            ];
            if dataset.entity() == crate::model::EntityKind::GridArea {
                f.push(("price_area", r.price_area.clone().unwrap_or_default()));
            }
            f.push(("stored", r.stored.to_string()));
            f
        })
        .collect()
}

/// `entities --format csv`.
pub fn entities_csv(dataset: Dataset, rows: &[EntityLine]) -> String {
    fields_csv(&entity_fields(dataset, rows))
}

/// `entities --format json`.
pub fn entities_json(dataset: Dataset, rows: &[EntityLine]) -> String {
    fields_json(&entity_fields(dataset, rows), &[])
}

/// `2021-01..2021-12 (12 months, 215,353 records)`, with gaps shown as separate runs.
pub fn stored_months(months: &[MonthCoverage]) -> String {
    if months.is_empty() {
        return "nothing".into();
    }
    let records: u64 = months.iter().map(|c| c.records).sum();
    let runs = month_runs(&months.iter().map(|c| c.month).collect::<Vec<_>>());
    format!("{runs} ({}, {} records)", count(months.len(), "month"), thousands(records))
}

/// Sorted months as runs: `2021-01..2021-03, 2021-06`; after three runs `and N more`.
pub fn month_runs(months: &[Month]) -> String {
    let mut runs: Vec<MonthRange> = Vec::new();
    for &month in months {
        match runs.last_mut() {
            Some(r) if r.to().next() == month => *r = MonthRange::new(r.from(), month).unwrap_or(*r),
            _ => runs.push(MonthRange::new(month, month).unwrap_or_else(|_| unreachable!("from == to"))),
        }
    }
    let shown: Vec<String> = runs.iter().take(3).map(|r| r.to_string()).collect();
    let more = if runs.len() > 3 { format!(" and {} more", runs.len() - 3) } else { String::new() };
    format!("{}{more}", shown.join(", "))
}

/// One line naming the months of a read's range that the store does not hold complete, and the
/// command that fetches them.
pub fn incomplete_months_line(dataset: Dataset, store: StoreKind, months: &[Month], fetch: &str) -> String {
    format!(
        "the {store} store lacks {} of {dataset} ({}: never fetched, failed, or fetched before the month ended); totals miss them. `{fetch}` fetches them",
        count(months.len(), "month"),
        month_runs(months)
    )
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
    fn months_skipped_are_complete_in_every_sink_only_when_every_sink_was_written() {
        let mut s = IngestSummary {
            dataset: Some(Dataset::PRODUCTION),
            skipped: 12,
            per_sink: vec![(StoreKind::Sqlite, crate::store::UpsertStats::default())],
            ..Default::default()
        };
        assert!(ingest_summary(&s).contains("skipped 12 months already complete in every sink"));
        s.unavailable_sinks = vec![(StoreKind::Cassandra, "Cassandra at h:9042 cannot be reached".into())];
        let text = ingest_summary(&s);
        assert!(!text.contains("every sink"), "{text}");
        assert!(
            text.contains("skipped 12 months already complete in sqlite (--force fetches them); cassandra could not be opened"),
            "{text}"
        );
        s.per_sink.push((StoreKind::Cassandra, crate::store::UpsertStats { new: 5, ..Default::default() }));
        s.sink_notes = vec![(StoreKind::Cassandra, "consistency local_quorum".into())];
        let text = ingest_summary(&s);
        assert!(text.contains("  sqlite: 0 new"), "{text}");
        assert!(text.contains("  cassandra (consistency local_quorum): 5 new, 0 updated"), "{text}");
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
    fn incomplete_months_are_named_with_the_command_that_completes_them() {
        let m = |s: &str| s.parse::<Month>().unwrap();
        let fetch = "elhub-explorer --ingest-only --dataset production --from 2022-03 --to 2022-08";
        let line = incomplete_months_line(
            Dataset::PRODUCTION,
            StoreKind::Sqlite,
            &[m("2022-03"), m("2022-07"), m("2022-08")],
            fetch,
        );
        assert_eq!(
            line,
            "the sqlite store lacks 3 months of production (2022-03, 2022-07..2022-08: never fetched, \
             failed, or fetched before the month ended); totals miss them. \
             `elhub-explorer --ingest-only --dataset production --from 2022-03 --to 2022-08` fetches them"
        );
        assert!(!line.contains('\n'));
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
