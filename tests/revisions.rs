//! Revisions as Elhub publishes them: `--refresh` asks the change feed (`/updates`) what
//! changed since the sinks' data was last known current and refetches exactly the windows of
//! the changed days; a plain rerun does not; a feed that fails falls back to the rule without
//! it and says so in one line. What was requested is read from the replica's request log.

#![allow(clippy::unwrap_used)] // tests fail loudly by design

mod common;

use std::sync::Arc;

use common::{fast_client, range, start_replica, temp_sqlite};
use elhub_explorer::ingest::{FetchMode, IngestSummary, Launch, Outcome, Progress, RefreshPolicy, Revisions};
use elhub_explorer::model::{Dataset, MonthRange, Window};
use elhub_explorer::replica::{Fault, Faults, Replica};
use elhub_explorer::report::ingest_summary;
use elhub_explorer::store::{Store, UpsertStats};

/// Runs an ingest as the binary and the explorer do (planning against the sinks).
async fn launch(
    replica: &Replica,
    sinks: &Arc<Vec<Store>>,
    dataset: Dataset,
    range: MonthRange,
    mode: FetchMode,
    policy: RefreshPolicy,
) -> (IngestSummary, Vec<Progress>) {
    let client = Arc::new(fast_client(&replica.url()));
    let launch = Launch { client, sinks: sinks.clone(), dataset, range, concurrency: 4, mode, policy };
    let mut running = launch.start();
    let mut events = Vec::new();
    while let Some(e) = running.progress.recv().await {
        events.push(e);
    }
    (running.task.await.unwrap(), events)
}

/// The requests the replica served after the first `skip`.
fn requests_after(replica: &Replica, skip: usize) -> Vec<String> {
    replica.state.request_log().into_iter().skip(skip).map(|r| r.path).collect()
}

/// A revision through the replica's control endpoint, as a test driving the binary would.
async fn revise(replica: &Replica, what: &str) {
    let url = format!("{}/_replica/revise?{what}", replica.url());
    let r = reqwest::Client::new().post(url).send().await.unwrap();
    assert!(r.status().is_success(), "{what}: {}", r.text().await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revision_two_years_back_is_found_by_refresh_alone() {
    let replica = start_replica().await;
    let dir = tempfile::tempdir().unwrap();
    let sinks = Arc::new(vec![temp_sqlite(&dir)]);
    // The feed alone: no month is refetched for verification (tests/trust.rs covers that).
    let (d, policy) = (Dataset::PRODUCTION, RefreshPolicy { verify_months: 0, ..RefreshPolicy::default() });
    let quarter = range("2024-10", "2024-12");
    let (first, _) = launch(&replica, &sinks, d, quarter, FetchMode::Resume, policy).await;
    assert_eq!(first.outcome(), Outcome::Done, "{}", ingest_summary(&first));

    revise(&replica, "dataset=production&month=2024-11").await;
    // Times are kept in whole seconds and the feed's bound is inclusive: let the clock move on,
    // so that the zero-margin refresh at the end starts strictly after the revision.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;

    // A plain rerun asks nothing: every month is complete.
    let seen = replica.state.request_log().len();
    let (rerun, _) = launch(&replica, &sinks, d, quarter, FetchMode::Resume, policy).await;
    assert_eq!((rerun.months_planned, rerun.skipped), (0, 3));
    assert!(requests_after(&replica, seen).is_empty(), "{:?}", requests_after(&replica, seen));

    // --refresh asks the feed, then fetches November, and only November. No margin: the feed
    // is asked from when the quarter was fetched, not from a moment ago.
    let exact = RefreshPolicy { feed_margin: chrono::Duration::zero(), ..policy };
    let seen = replica.state.request_log().len();
    let (refresh, _) = launch(&replica, &sinks, d, quarter, FetchMode::Refresh, exact).await;
    assert_eq!(refresh.outcome(), Outcome::Done, "{}", ingest_summary(&refresh));
    let asked = requests_after(&replica, seen);
    assert_eq!(asked.len(), 2, "{asked:?}");
    assert!(asked[0].starts_with("/updates?dataset=production_per_group_mba_hour&lastUpdated="), "{asked:?}");
    assert!(
        asked[1].starts_with("/price-areas?dataset=PRODUCTION_PER_GROUP_MBA_HOUR&startDate=2024-11-01T00"),
        "{asked:?}"
    );
    assert!(
        matches!(refresh.revisions, Some(Revisions::Feed { days: 30, months: 1, skipped: 0, .. })),
        "{:?}",
        refresh.revisions
    );
    let november = range("2024-11", "2024-11");
    let expected = replica.state.records(d, november.from().start_utc(), november.to().end_utc());
    assert_eq!(refresh.per_sink[0].1, UpsertStats { new: 0, updated: expected.len() as u64, unchanged: 0 });
    let stored = common::stored(&sinks[0], d).await;
    assert!(expected.iter().all(|r| stored.contains(r)), "the stored month is the revised one");
    let summary = ingest_summary(&refresh);
    assert!(summary.contains("revisions: 30 days in 1 month of the range since "), "{summary}");

    // The sync was recorded: with no margin, the next refresh finds nothing new to fetch.
    let seen = replica.state.request_log().len();
    let (calm, _) = launch(&replica, &sinks, d, quarter, FetchMode::Refresh, exact).await;
    assert_eq!(calm.months_planned, 0, "{}", ingest_summary(&calm));
    assert!(matches!(calm.revisions, Some(Revisions::Feed { days: 0, .. })), "{:?}", calm.revisions);
    assert_eq!(requests_after(&replica, seen).len(), 1, "only the feed was asked");
}

/// A month whose refetch fails is not marked current: the next refresh asks about it from its
/// old time and fetches it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_month_that_failed_is_asked_about_again() {
    let replica = start_replica().await;
    let dir = tempfile::tempdir().unwrap();
    let sinks = Arc::new(vec![temp_sqlite(&dir)]);
    let d = Dataset::PRODUCTION;
    let exact =
        RefreshPolicy { feed_margin: chrono::Duration::zero(), verify_months: 0, ..RefreshPolicy::default() };
    let quarter = range("2024-10", "2024-12");
    let (first, _) = launch(&replica, &sinks, d, quarter, FetchMode::Resume, exact).await;
    assert_eq!(first.outcome(), Outcome::Done, "{}", ingest_summary(&first));
    revise(&replica, "dataset=production&month=2024-11").await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;

    // Every attempt at November's window fails; the feed itself answers.
    replica.state.set_faults(Faults { sequence: vec![Fault::Unavailable; 10], ..Faults::default() });
    let (failed, _) = launch(&replica, &sinks, d, quarter, FetchMode::Refresh, exact).await;
    assert_eq!(failed.outcome(), Outcome::Failed, "{}", ingest_summary(&failed));
    let synced: Vec<String> = sinks[0].synced(d).await.unwrap().iter().map(|(m, _)| m.to_string()).collect();
    assert_eq!(synced, ["2024-10", "2024-12"], "November is not current");

    replica.state.set_faults(Faults::default());
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let seen = replica.state.request_log().len();
    let (again, _) = launch(&replica, &sinks, d, quarter, FetchMode::Refresh, exact).await;
    assert_eq!(again.outcome(), Outcome::Done, "{}", ingest_summary(&again));
    let asked = requests_after(&replica, seen);
    let windows: Vec<&String> = asked.iter().filter(|p| !p.starts_with("/updates?")).collect();
    assert_eq!(windows.len(), 1, "{asked:?}");
    assert!(windows[0].contains("startDate=2024-11-01"), "{asked:?}");
    assert_eq!(
        asked.len(),
        2,
        "the feed (times within an hour are asked about together), then November: {asked:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revised_day_of_a_day_window_dataset_is_fetched_alone() {
    let replica = start_replica().await;
    let dir = tempfile::tempdir().unwrap();
    let sinks = Arc::new(vec![temp_sqlite(&dir)]);
    let (d, policy) =
        (Dataset::CONSUMPTION_MUNICIPALITY, RefreshPolicy { verify_months: 0, ..RefreshPolicy::default() });
    let october = range("2024-10", "2024-10");
    let (first, _) = launch(&replica, &sinks, d, october, FetchMode::Resume, policy).await;
    assert_eq!(first.outcome(), Outcome::Done, "{}", ingest_summary(&first));
    let fetched_at = sinks[0].coverage(d).await.unwrap()[0].fetched_at;

    // The day summer time ends: 25 hours.
    revise(&replica, "dataset=consumption-municipality&day=2024-10-27").await;
    let seen = replica.state.request_log().len();
    let (refresh, _) = launch(&replica, &sinks, d, october, FetchMode::Refresh, policy).await;
    assert_eq!(refresh.outcome(), Outcome::Done, "{}", ingest_summary(&refresh));
    let asked = requests_after(&replica, seen);
    assert_eq!(asked.len(), 2, "the feed and one day: {asked:?}");
    assert!(asked[0].starts_with("/updates?dataset=consumption_per_group_municipality_hour&"), "{asked:?}");
    assert_eq!(
        asked[1],
        "/municipalities?dataset=CONSUMPTION_PER_GROUP_MUNICIPALITY_HOUR&startDate=2024-10-27T00%3A00%3A00%2B02%3A00&endDate=2024-10-28T00%3A00%3A00%2B01%3A00"
    );
    let day = Window::of_day("2024-10-27".parse().unwrap());
    let revised = replica.state.records(d, day.start, day.end).len();
    assert_eq!(revised, 361 * 3 * 25);
    assert_eq!(refresh.per_sink[0].1.updated as usize, revised, "{:?}", refresh.per_sink);
    assert_eq!(refresh.per_sink[0].1.new, 0);
    // A day's refetch leaves the month's checkpoint (its record count) as it was.
    let after = &sinks[0].coverage(d).await.unwrap()[0];
    assert_eq!((after.fetched_at, after.records), (fetched_at, first.fetched));
    assert!(refresh.notices.is_empty(), "no missing-entity alarm for a partial month: {:?}", refresh.notices);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_feed_falls_back_to_the_last_months_with_one_line() {
    let replica = start_replica().await;
    let dir = tempfile::tempdir().unwrap();
    let sinks = Arc::new(vec![temp_sqlite(&dir)]);
    let (d, policy) = (Dataset::PRODUCTION, RefreshPolicy { verify_months: 0, ..RefreshPolicy::default() });
    let half = range("2024-01", "2024-06");
    let (first, _) = launch(&replica, &sinks, d, half, FetchMode::Resume, policy).await;
    assert_eq!(first.outcome(), Outcome::Done, "{}", ingest_summary(&first));

    for fault in ["503", "404", "malformed"] {
        let url = format!("{}/_replica/faults?feed={fault}", replica.url());
        assert!(reqwest::Client::new().post(url).send().await.unwrap().status().is_success());
        let seen = replica.state.request_log().len();
        let (refresh, events) = launch(&replica, &sinks, d, half, FetchMode::Refresh, policy).await;
        assert_eq!(refresh.outcome(), Outcome::Done, "{fault}: {}", ingest_summary(&refresh));
        let lines: Vec<&String> = events
            .iter()
            .filter_map(|e| match e {
                Progress::Notice(line) => Some(line),
                _ => None,
            })
            .collect();
        assert_eq!(lines.len(), 1, "{fault}: {lines:?}");
        assert!(lines[0].starts_with("the change feed could not be read ("), "{}", lines[0]);
        assert!(lines[0].ends_with(
            "refreshing the last 3 months of the range and months fetched before they settled instead"
        ));
        let asked = requests_after(&replica, seen);
        let feed = asked.iter().filter(|p| p.starts_with("/updates?")).count();
        assert_eq!(feed, if fault == "404" { 1 } else { 3 }, "{fault}: a 404 is not retried; {asked:?}");
        let windows: Vec<&String> = asked.iter().filter(|p| p.starts_with("/price-areas?")).collect();
        assert_eq!(windows.len(), 3, "{fault}: {asked:?}");
        assert!(windows.iter().all(|w| ["2024-04", "2024-05", "2024-06"]
            .iter()
            .any(|m| w.contains(&format!("startDate={m}-01")))));
        assert!(matches!(refresh.revisions, Some(Revisions::Fallback { last_months: 3, .. })));
        assert!(
            sinks[0].synced(d).await.unwrap().is_empty(),
            "{fault}: without the feed nothing is known current"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_says_what_refresh_found_or_why_it_could_not() {
    let replica = start_replica().await;
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("config.toml"), "[api]\nrate_limit = 0\n").unwrap();
    let run = |args: &'static [&'static str]| {
        let (dir, url) = (d.path().to_path_buf(), replica.url());
        tokio::task::spawn_blocking(move || {
            let o = common::binary(&dir)
                .args(["--ingest-only", "--api-url", &url, "--from", "2024-05", "--to", "2024-06"])
                .args(args)
                .output()
                .unwrap();
            (o.status.code(), String::from_utf8_lossy(&o.stderr).into_owned())
        })
    };
    let (code, err) = run(&[]).await.unwrap();
    assert_eq!(code, Some(0), "{err}");
    revise(&replica, "dataset=production&day=2024-05-17").await;
    let (code, err) = run(&["--refresh"]).await.unwrap();
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("fetching production 2024-05: 1 month"), "{err}");
    assert!(err.contains("revisions: 1 day in 1 month of the range since "), "{err}");

    let url = format!("{}/_replica/faults?feed=503", replica.url());
    assert!(reqwest::Client::new().post(url).send().await.unwrap().status().is_success());
    let (code, err) = run(&["--refresh"]).await.unwrap();
    assert_eq!(code, Some(0), "{err}");
    let said: Vec<&str> = err.lines().filter(|l| l.contains("change feed")).collect();
    assert_eq!(said.len(), 1, "one line: {err}");
    // Off a terminal the line carries its local time first.
    assert!(said[0].contains(" note: the change feed could not be read (HTTP 503"), "{err}");
}

/// The feed is read for `feed_time_limit` at most, every query and page together: a feed that
/// answers too slowly costs that long, then the rule without it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_feed_slower_than_its_time_limit_is_given_up() {
    let replica = start_replica().await;
    let dir = tempfile::tempdir().unwrap();
    let sinks = Arc::new(vec![temp_sqlite(&dir)]);
    let d = Dataset::PRODUCTION;
    let policy = RefreshPolicy {
        verify_months: 0,
        feed_time_limit: std::time::Duration::from_millis(800),
        ..RefreshPolicy::default()
    };
    let month = range("2024-05", "2024-05");
    let (first, _) = launch(&replica, &sinks, d, month, FetchMode::Resume, policy).await;
    assert_eq!(first.outcome(), Outcome::Done, "{}", ingest_summary(&first));
    replica.state.set_faults(Faults { latency: std::time::Duration::from_millis(1500), ..Faults::default() });
    let started = std::time::Instant::now();
    let (refresh, _) = launch(&replica, &sinks, d, month, FetchMode::Refresh, policy).await;
    assert!(
        matches!(&refresh.revisions, Some(Revisions::Fallback { reason, .. }) if reason == "the change feed took longer than 800ms to read"),
        "{:?}",
        refresh.revisions
    );
    assert_eq!(refresh.outcome(), Outcome::Done, "{}", ingest_summary(&refresh));
    // The limit, then the month itself (1.5 s of latency).
    assert!(started.elapsed() < std::time::Duration::from_secs(6), "{:?}", started.elapsed());
}
