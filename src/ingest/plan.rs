//! What a run fetches. Months not complete in every sink always; with `--force` every month;
//! with `--refresh` also what Elhub revised since the sinks' data was last known current, as its
//! change feed lists it: whole months, or for a dataset fetched a day at a time only the changed
//! days. When the feed cannot be read, `--refresh` falls back to refetching the last months of
//! the range and months fetched before they settled, and says so.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Duration as Days, NaiveDate, Utc};

use crate::elhub::{request_windows, ElhubClient};
use crate::model::{Dataset, Month, MonthRange, Window, WindowLimit, LOCAL_TZ};
use crate::store::{complete_at, MonthCoverage, Store};

/// Which months of the range a run fetches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchMode {
    /// Months not yet complete in every sink (the default: a rerun resumes).
    Resume,
    /// Those, plus what Elhub has revised since (`--refresh`).
    Refresh,
    /// Every month of the range (`--force`).
    Force,
}

/// When fetched data may still be revised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefreshPolicy {
    /// Without the change feed, `--refresh` refetches this many months at the end of the range.
    pub last_months: usize,
    /// Without the change feed, a month fetched less than this many days after it ended may not
    /// have settled yet and is refetched.
    pub settle_days: i64,
    /// The change feed is asked from this long before the sinks' data was last known current
    /// (clock skew, and a revision stamped before the feed lists it).
    pub feed_margin: Days,
    /// Each refresh also refetches this many months whole, those fetched longest ago, whatever
    /// the feed says: a revision the feed never lists is found within (months of the range /
    /// this) refreshes.
    pub verify_months: usize,
    /// The change feed is read for this long at most, every query and page together; longer,
    /// and the rule without it is used.
    pub feed_time_limit: std::time::Duration,
}

impl Default for RefreshPolicy {
    fn default() -> Self {
        RefreshPolicy {
            last_months: 3,
            settle_days: 45,
            feed_margin: Days::hours(2),
            verify_months: 1,
            feed_time_limit: std::time::Duration::from_secs(120),
        }
    }
}

/// The months of `range` to fetch, given what each sink holds; `Refresh` here is the rule
/// without the change feed (the last months of the range, and months not settled when
/// fetched). Months that have not begun are left out.
pub fn plan_months(
    range: MonthRange,
    first_month: Month,
    coverage: &[Vec<MonthCoverage>],
    mode: FetchMode,
    policy: RefreshPolicy,
    now: DateTime<Utc>,
) -> Vec<Month> {
    let months: Vec<Month> = range.months().filter(|m| m.start_utc() <= now).collect();
    let last_from = months.len().saturating_sub(policy.last_months);
    months
        .iter()
        .enumerate()
        .filter(|(i, m)| {
            let times: Vec<Option<DateTime<Utc>>> =
                coverage.iter().map(|sink| complete_at(sink, **m, first_month)).collect();
            let complete = times.iter().all(Option::is_some);
            let settled =
                times.iter().all(|t| t.is_some_and(|t| t >= m.end_utc() + Days::days(policy.settle_days)));
            match mode {
                FetchMode::Force => true,
                FetchMode::Resume => !complete,
                FetchMode::Refresh => !complete || !settled || *i >= last_from,
            }
        })
        .map(|(_, m)| *m)
        .collect()
}

/// The `n` months of the range fetched whole longest ago (complete in every sink; a month's time
/// is its oldest fetch over the sinks; the earlier month first on a tie), with that time. Each
/// refresh refetches them whatever the change feed says, and a refetch makes a month the newest,
/// so every month comes round: the defence against a feed that fails to list a revision.
pub fn longest_unverified(
    range: MonthRange,
    first_month: Month,
    coverage: &[Vec<MonthCoverage>],
    n: usize,
    now: DateTime<Utc>,
) -> Vec<(Month, DateTime<Utc>)> {
    let mut months: Vec<(Month, DateTime<Utc>)> = range
        .months()
        .filter(|m| m.start_utc() <= now)
        .filter_map(|m| {
            let times: Option<Vec<DateTime<Utc>>> =
                coverage.iter().map(|sink| complete_at(sink, m, first_month)).collect();
            times?.into_iter().min().map(|t| (m, t))
        })
        .collect();
    months.sort_by_key(|(m, t)| (*t, *m));
    months.truncate(n);
    months
}

/// The change feed is asked at most this many times a run (once per group of months).
const MAX_FEED_QUERIES: usize = 6;

/// The months of the range complete in every sink, grouped by since when the change feed must be
/// asked about them: a month's time is the oldest, over the sinks, at which its data was known
/// current there (fetched, or found unchanged by an earlier refresh, whichever is later), less
/// the margin; months whose times fall in the same hour form a group, asked from the oldest of
/// them. Newest group first; beyond `MAX_FEED_QUERIES` groups the
/// oldest merge (at the oldest time). Grouping keeps one month that keeps failing, or was
/// fetched long ago, from making every refresh refetch the whole range's revisions since then.
/// Months not complete everywhere are fetched whole anyway and are in no group.
pub fn feed_groups(
    range: MonthRange,
    first_month: Month,
    coverage: &[Vec<MonthCoverage>],
    synced: &[Vec<(Month, DateTime<Utc>)>],
    margin: Days,
) -> Vec<(DateTime<Utc>, Vec<Month>)> {
    let mut groups: Vec<(DateTime<Utc>, Vec<Month>)> = Vec::new();
    for month in range.months() {
        let mut oldest: Option<DateTime<Utc>> = None;
        for (sink, synced) in coverage.iter().zip(synced) {
            let Some(fetched) = complete_at(sink, month, first_month) else {
                oldest = None;
                break;
            };
            let confirmed = synced.iter().find(|(m, _)| *m == month).map(|(_, t)| *t);
            let current = confirmed.map_or(fetched, |t| t.max(fetched));
            oldest = Some(oldest.map_or(current, |o| o.min(current)));
        }
        let Some(current) = oldest else { continue };
        let since = current - margin;
        let hour = |t: DateTime<Utc>| t.timestamp().div_euclid(3600);
        match groups.iter_mut().find(|(t, _)| hour(*t) == hour(since)) {
            Some((t, months)) => {
                *t = (*t).min(since);
                months.push(month);
            }
            None => groups.push((since, vec![month])),
        }
    }
    groups.sort_by_key(|g| std::cmp::Reverse(g.0));
    if groups.len() > MAX_FEED_QUERIES {
        let rest = groups.split_off(MAX_FEED_QUERIES - 1);
        let since = rest.iter().map(|(t, _)| *t).min().unwrap_or_else(Utc::now);
        let mut months: Vec<Month> = rest.into_iter().flat_map(|(_, m)| m).collect();
        months.sort();
        groups.push((since, months));
    }
    groups
}

/// What to fetch given the feed's changed days: `whole` months (already due) stay whole; a
/// month with a changed day is added whole, or, for a dataset fetched a day at a time, as the
/// windows of its changed days only (unless that is every day of it). Returns the months in
/// order, the partial ones with their windows, and how many months were revised.
pub fn plan_changes(
    dataset: Dataset,
    range: MonthRange,
    whole: &[Month],
    changed: &BTreeSet<NaiveDate>,
    now: DateTime<Utc>,
) -> (Vec<Month>, HashMap<Month, Vec<Window>>, usize) {
    let mut months: BTreeSet<Month> = whole.iter().copied().collect();
    let mut partial = HashMap::new();
    let mut revised = 0;
    for month in range.months().filter(|m| m.start_utc() <= now) {
        let days: Vec<&NaiveDate> = changed.range(month.first_day()..month.next().first_day()).collect();
        if days.is_empty() {
            continue;
        }
        revised += 1;
        if !months.insert(month) || dataset.spec().window == WindowLimit::Month {
            continue;
        }
        let all = request_windows(dataset, month, now);
        let windows: Vec<Window> = all
            .iter()
            .filter(|w| days.contains(&&w.start.with_timezone(&LOCAL_TZ).date_naive()))
            .copied()
            .collect();
        if windows.len() < all.len() {
            partial.insert(month, windows);
        }
    }
    (months.into_iter().collect(), partial, revised)
}

/// What `--refresh` learned, for the summary.
#[derive(Debug, Clone, PartialEq)]
pub enum Revisions {
    /// The change feed was read: since when, the changed days it listed within the range, the
    /// months they fall in, and items it had that were not understood.
    Feed { since: DateTime<Utc>, days: usize, months: usize, skipped: usize },
    /// Nothing of the range was stored yet, so nothing could have been revised.
    NothingStored,
    /// The feed could not be read; the rule without it was used (the last `last_months` of the
    /// range, and months fetched before they settled).
    Fallback { reason: String, last_months: usize },
}

/// Asks the feed once per group; the changed days that fall in each group's months, and the
/// items skipped.
async fn ask_feed(
    client: &ElhubClient,
    dataset: Dataset,
    groups: &[(DateTime<Utc>, Vec<Month>)],
    limit: std::time::Duration,
) -> Result<(BTreeSet<NaiveDate>, usize), crate::elhub::FetchError> {
    let ask = async {
        let (mut changed, mut skipped) = (BTreeSet::new(), 0);
        for (since, months) in groups {
            let changes = client.changed_days(dataset, *since, &|_| {}).await?;
            skipped += changes.skipped;
            changed.extend(changes.days.into_iter().filter(|d| months.contains(&Month::of_date(*d))));
        }
        Ok((changed, skipped))
    };
    tokio::time::timeout(limit, ask).await.unwrap_or_else(|_| {
        Err(crate::elhub::FetchError::Body(format!("the change feed took longer than {limit:?} to read")))
    })
}

/// What an ingest is asked to do.
#[derive(Debug, Clone)]
pub struct IngestPlan {
    pub dataset: Dataset,
    pub months: Vec<Month>,
    pub concurrency: usize,
    /// Months of the range left out as already complete in every sink.
    pub skipped: usize,
    /// Months fetched in part: only these windows (a day-window dataset's changed days), and
    /// without a checkpoint (the month was complete before and stays so).
    pub partial: HashMap<Month, Vec<Window>>,
    /// What `--refresh` learned.
    pub revisions: Option<Revisions>,
    /// After a clean run, each sink's months of `synced.1` are marked current as of
    /// `synced.0` (the time the change feed was asked).
    pub synced: Option<(DateTime<Utc>, Vec<Month>)>,
    /// With `--refresh`: the months refetched whole because they were fetched longest ago, with
    /// when that was.
    pub verified: Vec<(Month, DateTime<Utc>)>,
}

impl IngestPlan {
    /// Every month of the range.
    pub fn for_range(dataset: Dataset, range: MonthRange, concurrency: usize) -> IngestPlan {
        IngestPlan {
            dataset,
            months: range.months().collect(),
            concurrency: concurrency.max(1),
            skipped: 0,
            partial: HashMap::new(),
            revisions: None,
            synced: None,
            verified: Vec::new(),
        }
    }

    /// What the sinks lack, and with `Refresh` what the change feed (asked through `client`)
    /// lists as revised since.
    pub async fn for_sinks(
        dataset: Dataset,
        range: MonthRange,
        concurrency: usize,
        sinks: &[Store],
        mode: FetchMode,
        policy: RefreshPolicy,
        client: &ElhubClient,
    ) -> crate::store::Result<IngestPlan> {
        let mut coverage = Vec::new();
        for sink in sinks {
            coverage.push(sink.coverage(dataset).await?);
        }
        let now = Utc::now();
        let first_month = dataset.spec().first_month;
        let mut plan = IngestPlan::for_range(dataset, range, concurrency);
        plan.months = plan_months(range, first_month, &coverage, mode, policy, now);
        if mode == FetchMode::Refresh {
            let mut synced = Vec::new();
            for sink in sinks {
                // Unreadable sync times cost a longer look back, not the refresh.
                synced.push(sink.synced(dataset).await.unwrap_or_else(|e| {
                    tracing::warn!(sink = %sink.kind(), "cannot read the sync times: {e}");
                    Vec::new()
                }));
            }
            plan.verified = longest_unverified(range, first_month, &coverage, policy.verify_months, now);
            let mut whole = plan_months(range, first_month, &coverage, FetchMode::Resume, policy, now);
            for (m, _) in &plan.verified {
                if !whole.contains(m) {
                    whole.push(*m);
                }
            }
            whole.sort();
            let groups = feed_groups(range, first_month, &coverage, &synced, policy.feed_margin);
            match ask_feed(client, dataset, &groups, policy.feed_time_limit).await {
                Ok((changed, skipped)) => {
                    let (months, partial, revised) = plan_changes(dataset, range, &whole, &changed, now);
                    plan.months = months;
                    plan.partial = partial;
                    plan.revisions = match groups.iter().map(|(t, _)| *t).min() {
                        None => Some(Revisions::NothingStored),
                        Some(since) => {
                            Some(Revisions::Feed { since, days: changed.len(), months: revised, skipped })
                        }
                    };
                    plan.synced = Some((now, range.months().filter(|m| m.start_utc() <= now).collect()));
                }
                Err(e) => {
                    tracing::warn!(%dataset, "the change feed failed: {e}");
                    for (m, _) in &plan.verified {
                        if !plan.months.contains(m) {
                            plan.months.push(*m);
                        }
                    }
                    plan.months.sort();
                    plan.revisions =
                        Some(Revisions::Fallback { reason: e.to_string(), last_months: policy.last_months });
                }
            }
        }
        let begun = range.months().filter(|m| m.start_utc() <= now).count();
        plan.skipped = begun - plan.months.len();
        Ok(plan)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn m(s: &str) -> Month {
        s.parse().unwrap()
    }

    fn covered(month: &str, fetched_days_after_end: i64) -> MonthCoverage {
        let month = m(month);
        MonthCoverage {
            month,
            records: 1,
            rejected: 0,
            fetched_at: month.end_utc() + Days::days(fetched_days_after_end),
        }
    }

    fn names(months: Vec<Month>) -> Vec<String> {
        months.into_iter().map(|m| m.to_string()).collect()
    }

    const POLICY: RefreshPolicy = RefreshPolicy {
        last_months: 2,
        settle_days: 45,
        feed_margin: Days::hours(2),
        verify_months: 1,
        feed_time_limit: std::time::Duration::from_secs(120),
    };
    const FIRST: Month = Month::known(2014, 1);

    #[test]
    fn resume_fetches_what_some_sink_lacks_or_got_while_under_way() {
        let range = MonthRange::new(m("2021-01"), m("2021-06")).unwrap();
        let now = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
        let sqlite = vec![
            covered("2021-01", 90),
            covered("2021-02", 90),
            covered("2021-03", -3),
            covered("2021-04", 90),
        ];
        let mongo = vec![covered("2021-01", 90), covered("2021-02", 90), covered("2021-03", 90)];
        let plan =
            plan_months(range, FIRST, &[sqlite.clone(), mongo.clone()], FetchMode::Resume, POLICY, now);
        // March was fetched before it ended in SQLite; April is missing in MongoDB.
        assert_eq!(names(plan), ["2021-03", "2021-04", "2021-05", "2021-06"]);
        assert_eq!(
            plan_months(range, FIRST, std::slice::from_ref(&sqlite), FetchMode::Resume, POLICY, now).len(),
            3
        );
        assert_eq!(plan_months(range, FIRST, &[sqlite], FetchMode::Force, POLICY, now).len(), 6);
        let empty = vec![MonthCoverage { records: 0, ..covered("2021-01", 90) }];
        let range = MonthRange::new(m("2021-01"), m("2021-01")).unwrap();
        assert_eq!(
            plan_months(range, FIRST, std::slice::from_ref(&empty), FetchMode::Resume, POLICY, now).len(),
            1,
            "an empty month is asked again"
        );
        assert!(
            plan_months(range, Month::known(2021, 2), &[empty], FetchMode::Resume, POLICY, now).is_empty(),
            "before the dataset's first month, empty is the answer"
        );
    }

    #[test]
    fn refresh_without_the_feed_adds_the_last_months_and_unsettled_ones() {
        let range = MonthRange::new(m("2021-01"), m("2021-06")).unwrap();
        let now = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
        let sink: Vec<MonthCoverage> = ["2021-01", "2021-02", "2021-03", "2021-04", "2021-05", "2021-06"]
            .iter()
            .map(|s| covered(s, if *s == "2021-02" { 10 } else { 90 }))
            .collect();
        assert!(
            plan_months(range, FIRST, std::slice::from_ref(&sink), FetchMode::Resume, POLICY, now).is_empty()
        );
        let plan = plan_months(range, FIRST, &[sink], FetchMode::Refresh, POLICY, now);
        assert_eq!(names(plan), ["2021-02", "2021-05", "2021-06"]);
    }

    /// The months fetched longest ago (the oldest time over the sinks; the earlier month on a
    /// tie), complete in every sink; a month missing anywhere is fetched anyway and not counted.
    #[test]
    fn the_months_fetched_longest_ago_are_verified_first() {
        let range = MonthRange::new(m("2021-01"), m("2021-05")).unwrap();
        let now = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
        let at = |month: &str, t: i64| MonthCoverage {
            fetched_at: Utc.timestamp_opt(t, 0).unwrap(),
            ..covered(month, 0)
        };
        let t0 = m("2021-06").start_utc().timestamp();
        let sqlite =
            vec![at("2021-01", t0 + 50), at("2021-02", t0 + 10), at("2021-03", t0 + 10), at("2021-04", t0)];
        let mongo =
            vec![at("2021-01", t0 + 5), at("2021-02", t0 + 60), at("2021-03", t0 + 60), at("2021-05", t0)];
        let oldest = |n| -> Vec<(String, i64)> {
            longest_unverified(range, FIRST, &[sqlite.clone(), mongo.clone()], n, now)
                .into_iter()
                .map(|(m, t)| (m.to_string(), t.timestamp() - t0))
                .collect()
        };
        assert_eq!(oldest(1), [("2021-01".to_string(), 5)], "MongoDB's fetch of January is the oldest");
        assert_eq!(
            oldest(3),
            [("2021-01".to_string(), 5), ("2021-02".to_string(), 10), ("2021-03".to_string(), 10)],
            "a tie goes to the earlier month; April and May lack a sink"
        );
        assert!(oldest(0).is_empty(), "verify_months = 0 turns it off");
    }

    #[test]
    fn months_not_yet_begun_are_left_out() {
        let range = MonthRange::new(m("2026-10"), m("2027-02")).unwrap();
        let now = Utc.with_ymd_and_hms(2026, 11, 21, 12, 0, 0).unwrap();
        assert_eq!(
            names(plan_months(range, FIRST, &[vec![]], FetchMode::Force, POLICY, now)),
            ["2026-10", "2026-11"]
        );
    }

    #[test]
    fn months_are_asked_about_in_groups_from_when_they_were_known_current() {
        let range = MonthRange::new(m("2021-01"), m("2021-04")).unwrap();
        let margin = Days::hours(2);
        // April was fetched under way (not complete): fetched whole, asked about never.
        let sqlite = vec![
            covered("2021-01", 100),
            covered("2021-02", 200),
            covered("2021-03", 200),
            covered("2021-04", -5),
        ];
        let mongo = vec![covered("2021-01", 300), covered("2021-02", 200), covered("2021-03", 200)];
        let groups = feed_groups(range, FIRST, &[sqlite.clone(), mongo.clone()], &[vec![], vec![]], margin);
        let feb = m("2021-02").end_utc() + Days::days(200) - margin;
        let mar = m("2021-03").end_utc() + Days::days(200) - margin;
        let jan = m("2021-01").end_utc() + Days::days(100) - margin;
        assert_eq!(
            groups,
            [((mar), vec![m("2021-03")]), ((feb), vec![m("2021-02")]), ((jan), vec![m("2021-01")])],
            "newest first; a month's time is its oldest over the sinks"
        );
        // A later refresh found February and March current at the same time: one group.
        let at = m("2022-01").start_utc();
        let synced = vec![(m("2021-02"), at), (m("2021-03"), at)];
        let groups =
            feed_groups(range, FIRST, &[sqlite.clone(), mongo.clone()], &[synced.clone(), synced], margin);
        assert_eq!(groups[0], ((at - margin), vec![m("2021-02"), m("2021-03")]));
        assert_eq!(groups[1].1, [m("2021-01")]);
        // A confirmation older than the fetch does not move the time back.
        let groups = feed_groups(
            range,
            FIRST,
            std::slice::from_ref(&mongo),
            &[vec![(m("2021-01"), at - Days::days(900))]],
            margin,
        );
        let jan = groups.iter().find(|(_, months)| months.contains(&m("2021-01"))).unwrap();
        assert_eq!(jan.0, (m("2021-01").end_utc() + Days::days(300) - margin));
        // A month missing in one sink is in no group.
        let partial = vec![covered("2021-01", 100)];
        let groups = feed_groups(range, FIRST, &[partial, mongo], &[vec![], vec![]], margin);
        assert_eq!(groups.iter().flat_map(|(_, m)| m.clone()).collect::<Vec<_>>(), [m("2021-01")]);
        assert!(feed_groups(range, FIRST, &[vec![]], &[vec![]], margin).is_empty(), "nothing stored");
        // Many different times: the oldest groups merge at the oldest time.
        let year = MonthRange::new(m("2021-01"), m("2021-12")).unwrap();
        let sink: Vec<MonthCoverage> = year.months().map(|x| covered(&x.to_string(), 10)).collect();
        let groups = feed_groups(year, FIRST, &[sink], &[vec![]], margin);
        assert_eq!(groups.len(), MAX_FEED_QUERIES);
        let last = &groups[MAX_FEED_QUERIES - 1];
        assert_eq!(last.1.len(), 12 - (MAX_FEED_QUERIES - 1));
        assert_eq!(last.0, (m("2021-01").end_utc() + Days::days(10) - margin));
    }

    #[test]
    fn changed_days_become_months_or_day_windows() {
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let range = MonthRange::new(m("2023-01"), m("2023-12")).unwrap();
        let day = |s: &str| s.parse::<NaiveDate>().unwrap();
        let changed =
            BTreeSet::from([day("2023-05-03"), day("2023-05-04"), day("2023-08-01"), day("2024-02-01")]);
        // A month-window dataset: the months whole; already-due months stay; outside the range ignored.
        let (months, partial, revised) =
            plan_changes(Dataset::PRODUCTION, range, &[m("2023-12")], &changed, now);
        assert_eq!(names(months), ["2023-05", "2023-08", "2023-12"]);
        assert!(partial.is_empty());
        assert_eq!(revised, 2);
        // A day-window dataset: only the changed days, unless the month is due whole anyway.
        let (months, partial, _) =
            plan_changes(Dataset::CONSUMPTION_MUNICIPALITY, range, &[m("2023-08")], &changed, now);
        assert_eq!(names(months), ["2023-05", "2023-08"]);
        assert_eq!(partial.len(), 1);
        assert_eq!(
            partial[&m("2023-05")],
            [Window::of_day(day("2023-05-03")), Window::of_day(day("2023-05-04"))]
        );
        // Every day of a month changed: fetched whole (and so checkpointed).
        let june: BTreeSet<NaiveDate> = m("2023-06").first_day().iter_days().take(30).collect();
        let (months, partial, _) = plan_changes(Dataset::CONSUMPTION_MUNICIPALITY, range, &[], &june, now);
        assert_eq!(names(months), ["2023-06"]);
        assert!(partial.is_empty());
    }
}
