//! The store contract: what every backend must do, for every catalogued dataset. The suite is
//! a set of functions over `&Store`, so the SQLite, Cassandra and MongoDB stores run the very
//! same checks; plus the migrations of SQLite files written by earlier versions.

#![allow(clippy::unwrap_used)] // tests fail loudly by design

mod common;

use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use elhub_explorer::elhub::request_windows;
use elhub_explorer::export::{self, ExportFormat};
use elhub_explorer::model::{
    day_key, month_key, Dataset, Entity, EntityKind, Month, Point, Record, SeriesData, SeriesKey, Window,
    WindowData,
};
use elhub_explorer::store::{Checkpoint, Period, Scope, Store, UpsertStats};

fn month(s: &str) -> Month {
    s.parse().unwrap()
}

/// Two entities of the dataset's kind, as the API names them.
fn entities(dataset: Dataset) -> [(&'static str, &'static str); 2] {
    match dataset.entity() {
        EntityKind::PriceArea => [("NO1", "NO1"), ("NO2", "NO2")],
        EntityKind::Municipality => [("0301", "Oslo"), ("5041", "SnÃ¥sa")],
        EntityKind::GridArea => [("50YWO-6UUIJ4BF1D", "EIDSIVA-D"), ("50Y7-A8B9C0D1E2F", "ELVIA 1")],
    }
}

/// The series of the suite: two groups of the first entity and one of the second.
fn suite_series(dataset: Dataset) -> Vec<SeriesKey> {
    let [(a, _), (b, _)] = entities(dataset);
    let g = dataset.known_groups();
    vec![SeriesKey::new(a, g[0]), SeriesKey::new(a, g[1]), SeriesKey::new(b, g[0])]
}

/// The value of step `i` of a series: a zero every fifth step of the second group.
fn value(key: &SeriesKey, dataset: Dataset, i: i64, bump: f64) -> f64 {
    if key.group == dataset.known_groups()[1] && i % 5 == 0 {
        0.0
    } else {
        1000.0 + i as f64 + 0.125 + bump
    }
}

/// The windows of month `m` as the client fetches them, each with every step of the suite's
/// series, `lastUpdatedTime` `updated_days` after 2024-01-01.
fn month_windows(dataset: Dataset, m: Month, updated_days: i64, bump: f64) -> Vec<WindowData> {
    let step = dataset.resolution().seconds();
    let updated = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap().timestamp() + updated_days * 86_400;
    request_windows(dataset, m, Utc::now())
        .into_iter()
        .map(|w| {
            let mut data = WindowData::new(dataset, w);
            for key in suite_series(dataset) {
                let points = (w.start.timestamp()..w.end.timestamp())
                    .step_by(step as usize)
                    .map(|t| {
                        let i = (t - m.start_utc().timestamp()) / step;
                        Point {
                            start: t,
                            kwh: value(&key, dataset, i, bump),
                            updated,
                            metering_points: dataset.has_metering_points().then_some(1234),
                        }
                    })
                    .collect();
                data.series.push(SeriesData { key, points });
            }
            for (id, name) in entities(dataset) {
                let price_area = (dataset.entity() == EntityKind::GridArea).then(|| "NO1".to_string());
                data.entities.push(Entity {
                    kind: dataset.entity(),
                    id: id.into(),
                    name: name.into(),
                    price_area,
                });
            }
            data
        })
        .collect()
}

/// Writes a month window by window, the checkpoint with the last; returns the summed stats.
async fn write_month(store: &Store, dataset: Dataset, m: Month, updated_days: i64, bump: f64) -> UpsertStats {
    let windows = month_windows(dataset, m, updated_days, bump);
    let n = windows.len();
    let records: u64 = windows.iter().map(|w| w.len() as u64).sum();
    let mut stats = UpsertStats::default();
    for (i, w) in windows.into_iter().enumerate() {
        let checkpoint = (i + 1 == n).then(|| Checkpoint {
            month: m,
            window: Window::of_month(m),
            fetched_at: m.end_utc() + Duration::days(30),
            records,
            rejected: 0,
        });
        stats.add(store.write_window(&Arc::new(w), checkpoint.as_ref()).await.unwrap());
    }
    stats
}

fn steps_in(dataset: Dataset, m: Month) -> u64 {
    m.hours() as u64 * dataset.resolution().per_hour() as u64
}

pub async fn upserts_are_idempotent_and_newest_wins(store: &Store, dataset: Dataset) {
    let oct = month("2021-10");
    let n = 3 * steps_in(dataset, oct);
    assert_eq!(n, 3 * 745 * dataset.resolution().per_hour() as u64, "October has 745 local hours");
    assert_eq!(
        write_month(store, dataset, oct, 0, 0.0).await,
        UpsertStats { new: n, updated: 0, unchanged: 0 }
    );
    assert_eq!(
        write_month(store, dataset, oct, 0, 0.0).await,
        UpsertStats { new: 0, updated: 0, unchanged: n }
    );
    assert_eq!(store.count(dataset).await.unwrap(), n);
    // An older revision never replaces a newer one.
    assert_eq!(
        write_month(store, dataset, oct, -5, 99.0).await,
        UpsertStats { new: 0, updated: 0, unchanged: n }
    );
    // A newer one replaces in place, and the rollups follow.
    assert_eq!(
        write_month(store, dataset, oct, 3, 0.5).await,
        UpsertStats { new: 0, updated: n, unchanged: 0 }
    );
    assert_eq!(store.count(dataset).await.unwrap(), n);
    let key = &suite_series(dataset)[0];
    let stored = store.series_records(dataset, key, oct.start_utc(), oct.end_utc()).await.unwrap();
    let expected: Vec<Record> = month_windows(dataset, oct, 3, 0.5)
        .iter()
        .flat_map(|w| {
            w.records().filter(|r| r.entity == key.entity && r.group == key.group).collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(stored, expected);
    let total: f64 = expected.iter().map(|r| r.quantity_kwh).sum();
    let t = store.annual_totals(dataset, &Scope::Entity(key.entity.clone()), 2021).await.unwrap();
    let hydro = t.iter().find(|t| t.group == key.group).unwrap();
    assert!((hydro.kwh - total).abs() < 1e-6, "the rollup follows the revision: {} vs {total}", hydro.kwh);
}

pub async fn queries_answer_totals_curves_rollups_and_coverage(store: &Store, dataset: Dataset) {
    for m in ["2021-03", "2021-04", "2022-01"] {
        write_month(store, dataset, month(m), 0, 0.0).await;
    }
    let series = suite_series(dataset);
    let per_hour = dataset.resolution().per_hour();
    // The curve: one local month, sorted, the DST month one hour short.
    let march = store
        .steps(dataset, &series[0], month("2021-03").start_utc(), month("2021-03").end_utc())
        .await
        .unwrap();
    assert_eq!(march.len() as i64, 743 * per_hour);
    assert!(march.windows(2).all(|w| w[0].start < w[1].start));
    assert_eq!(march[0].start, month("2021-03").start_utc());
    assert_eq!(march[5].kwh, 1005.125);
    // Totals over the local year 2021 only.
    let entity = Scope::Entity(series[0].entity.clone());
    let totals = store.annual_totals(dataset, &entity, 2021).await.unwrap();
    let groups: Vec<&str> = totals.iter().map(|t| t.group.as_str()).collect();
    let mut want_groups = vec![series[0].group.as_str(), series[1].group.as_str()];
    want_groups.sort();
    assert_eq!(groups, want_groups);
    let steps = (743 + 720) * per_hour;
    let first = totals.iter().find(|t| t.group == series[0].group).unwrap();
    assert_eq!(first.count as i64, steps);
    let expected: f64 = (0..743 * per_hour).chain(0..720 * per_hour).map(|i| 1000.0 + i as f64 + 0.125).sum();
    assert!((first.kwh - expected).abs() < 1e-6, "{} vs {expected}", first.kwh);
    assert!(store.annual_totals(dataset, &Scope::Entity("NO9".into()), 2021).await.unwrap().is_empty());
    assert_eq!(
        store.annual_totals(dataset, &Scope::Entity(series[2].entity.clone()), 2022).await.unwrap()[0].count
            as i64,
        744 * per_hour
    );
    // All entities: the first group is in both entities, so its sum is theirs together.
    let all = store.annual_totals(dataset, &Scope::All, 2021).await.unwrap();
    let all_first = all.iter().find(|t| t.group == series[0].group).unwrap();
    assert_eq!(all_first.count as i64, 2 * steps);
    assert!((all_first.kwh - 2.0 * expected).abs() < 1e-6);
    // Daily rollups: 31 days in March, 28 March one hour short, with min and max.
    let (from, to) = (day_key(month("2021-03").first_day()), day_key(month("2021-04").first_day()) - 1);
    let days = store.rollups(dataset, &entity, Period::Day, from, to).await.unwrap();
    let first_days: Vec<_> = days.iter().filter(|r| r.group == series[0].group).collect();
    assert_eq!(first_days.len(), 31);
    let dst = first_days.iter().find(|r| r.key == 20210328).unwrap();
    assert_eq!(dst.count as i64, 23 * per_hour);
    assert_eq!(dst.min, Some(1000.0 + (27 * 24 * per_hour) as f64 + 0.125));
    let months = store
        .rollups(dataset, &entity, Period::Month, month_key(month("2021-01")), month_key(month("2021-12")))
        .await
        .unwrap();
    let zeros = months.iter().find(|r| r.group == series[1].group && r.key == 202103).unwrap();
    assert_eq!((zeros.min, zeros.count as i64), (Some(0.0), 743 * per_hour), "zeros are values");
    // The year's daily totals (from the daily rollups) add up to the year's total.
    let daily = store.daily_totals(dataset, &entity, Some(&series[0].group), 2021).await.unwrap();
    assert_eq!(daily.len(), 31 + 30);
    assert!((daily.iter().map(|d| d.1).sum::<f64>() - expected).abs() < 1e-6);
    // Metering point counts where the dataset has them (1234 at every step): by local day, the
    // day summer time starts one hour short; kWh per point step by step.
    let counts = store.point_counts(dataset, Some(&series[0].entity), 2021).await.unwrap();
    let (march_from, march_to) = (month("2021-03").start_utc(), month("2021-03").end_utc());
    let per_point = store
        .steps_per_point(dataset, Some(&series[0].entity), Some(&series[0].group), march_from, march_to)
        .await
        .unwrap();
    if dataset.has_metering_points() {
        let dst = counts.iter().find(|c| c.group == series[0].group && c.day == 20210328).unwrap();
        assert_eq!((dst.points as i64, dst.steps as i64), (1234 * 23 * per_hour, 23 * per_hour));
        assert_eq!(counts.iter().filter(|c| c.group == series[0].group).count(), 31 + 30);
        assert_eq!(per_point[5].kwh, 1005.125 / 1234.0);
    } else {
        assert!(counts.is_empty() && per_point.is_empty(), "no counts, nothing per point");
    }
    // Series, entities and coverage.
    let mut want_series = series.clone();
    want_series.sort();
    assert_eq!(store.series(dataset).await.unwrap(), want_series);
    let known = store.entities(dataset.entity()).await.unwrap();
    let [(a, a_name), (b, _)] = entities(dataset);
    assert_eq!(known.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(), {
        let mut ids = vec![a, b];
        ids.sort();
        ids
    });
    assert_eq!(known.iter().find(|e| e.id == a).unwrap().name, a_name, "names as they came");
    if dataset.entity() == EntityKind::GridArea {
        assert!(known.iter().all(|e| e.price_area.as_deref() == Some("NO1")));
    }
    let covered: Vec<String> =
        store.coverage(dataset).await.unwrap().iter().map(|c| c.month.to_string()).collect();
    assert_eq!(covered, ["2021-03", "2021-04", "2022-01"]);
    assert_eq!(store.coverage(dataset).await.unwrap()[0].records as i64, 3 * 743 * per_hour);
    // When months were last found current: none until a refresh says so, then per month.
    assert!(store.synced(dataset).await.unwrap().is_empty());
    let t = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap();
    store.set_synced(dataset, &[month("2021-04"), month("2021-03")], t).await.unwrap();
    let later = t + chrono::Duration::seconds(60);
    store.set_synced(dataset, &[month("2021-04")], later).await.unwrap();
    assert_eq!(store.synced(dataset).await.unwrap(), [(month("2021-03"), t), (month("2021-04"), later)]);
    let earlier = t - chrono::Duration::days(1);
    store.set_synced(dataset, &[month("2021-03")], earlier).await.unwrap();
    assert_eq!(
        store.synced(dataset).await.unwrap()[0],
        (month("2021-03"), earlier),
        "replaced, on every backend"
    );
    // Datasets do not mix.
    for other in Dataset::all().filter(|d| *d != dataset) {
        assert_eq!(store.count(other).await.unwrap(), 0, "{other}");
        assert!(store.synced(other).await.unwrap().is_empty(), "{other}");
    }
}

pub async fn export_is_canonical(store: &Store, dataset: Dataset) {
    let m = month("2021-01");
    write_month(store, dataset, m, 0, 0.0).await;
    let series = store.series(dataset).await.unwrap();
    let mut out = Vec::new();
    let n = export::export(
        store,
        &export::ExportJob::all_of(dataset, series.to_vec(), ExportFormat::Csv),
        &mut out,
    )
    .await
    .unwrap();
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let steps = steps_in(dataset, m);
    assert_eq!(n, 3 * steps);
    assert_eq!(lines.len() as u64, n + 1);
    let column = dataset.entity().column();
    let points = if dataset.has_metering_points() { ",metering_points" } else { "" };
    assert_eq!(
        lines[0],
        format!(
            "{column},group,start_utc,end_utc,quantity_kwh,last_updated_utc{points},start_local,entity_name"
        )
    );
    let first = &series[0];
    let end =
        if dataset.resolution().seconds() == 900 { "2020-12-31T23:15:00Z" } else { "2021-01-01T00:00:00Z" };
    let points = if dataset.has_metering_points() { ",1234" } else { "" };
    let q = value(first, dataset, 0, 0.0);
    assert_eq!(
        lines[1],
        format!(
            "{},{},2020-12-31T23:00:00Z,{end},{q},2024-01-01T00:00:00Z{points},2021-01-01T00:00:00+01:00,{}",
            first.entity, first.group, first.entity
        )
    );
    let mut json = Vec::new();
    export::export(
        store,
        &export::ExportJob::all_of(dataset, series[2..].to_vec(), ExportFormat::Json),
        &mut json,
    )
    .await
    .unwrap();
    let parsed: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(parsed.as_array().unwrap().len() as u64, steps);
    assert_eq!(parsed[0][column], series[2].entity.as_str());
    assert_eq!(parsed[0]["quantity_kwh"], 1000.125);
}

/// The daily and monthly rollups of every stored series, and of all entities together, are the
/// sums, counts, minima and maxima of its records.
async fn assert_rollups_are_the_records(store: &Store, dataset: Dataset, when: &str) {
    use std::collections::BTreeMap;
    let (from, to) = elhub_explorer::model::all_time_utc();
    // (group, key) -> (sum, count, min, max), per entity and for all.
    type Sums = BTreeMap<(String, i32), (f64, u64, f64, f64)>;
    let add = |sums: &mut Sums, group: &str, key: i32, kwh: f64| {
        let e = sums.entry((group.to_string(), key)).or_insert((0.0, 0, f64::INFINITY, f64::NEG_INFINITY));
        *e = (e.0 + kwh, e.1 + 1, e.2.min(kwh), e.3.max(kwh));
    };
    let (mut all_days, mut all_months) = (Sums::new(), Sums::new());
    let series = store.series(dataset).await.unwrap();
    let entities: std::collections::BTreeSet<String> = series.iter().map(|s| s.entity.clone()).collect();
    for entity in &entities {
        let (mut days, mut months) = (Sums::new(), Sums::new());
        for key in series.iter().filter(|s| &s.entity == entity) {
            for r in store.series_records(dataset, key, from, to).await.unwrap() {
                let local = r.start.with_timezone(&elhub_explorer::model::LOCAL_TZ).date_naive();
                let (day, month) = (day_key(local), day_key(local) / 100);
                add(&mut days, &key.group, day, r.quantity_kwh);
                add(&mut months, &key.group, month, r.quantity_kwh);
                add(&mut all_days, &key.group, day, r.quantity_kwh);
                add(&mut all_months, &key.group, month, r.quantity_kwh);
            }
        }
        let scope = Scope::Entity(entity.clone());
        for (period, want) in [(Period::Day, &days), (Period::Month, &months)] {
            let got = store.rollups(dataset, &scope, period, 0, 99_999_999).await.unwrap();
            assert_eq!(got.len(), want.len(), "{when}: {dataset} {entity} {period:?} rollups");
            for r in &got {
                let (sum, n, min, max) = want[&(r.group.clone(), r.key)];
                let ok = (r.kwh - sum).abs() <= 1e-6 * sum.abs().max(1.0)
                    && r.count == n
                    && r.min.is_none_or(|m| m == min)
                    && r.max.is_none_or(|m| m == max);
                assert!(
                    ok,
                    "{when}: {dataset} {entity} {r:?} against sum {sum}, {n} steps, min {min}, max {max}"
                );
            }
        }
    }
    // All of Norway's curve (summed by the backend where it keeps step sums) is the sum of the
    // series' steps, per group and for every group together.
    let (first, last) = (month("2021-01").start_utc(), month("2021-12").end_utc());
    let mut groups: Vec<Option<&str>> = series.iter().map(|s| Some(s.group.as_str())).collect();
    groups.dedup();
    groups.push(None);
    for group in groups {
        let mut want: BTreeMap<chrono::DateTime<chrono::Utc>, f64> = BTreeMap::new();
        for key in series.iter().filter(|s| group.is_none_or(|g| s.group == g)) {
            for s in store.steps(dataset, key, first, last).await.unwrap() {
                *want.entry(s.start).or_default() += s.kwh;
            }
        }
        let got = store.summed_steps(dataset, None, group, first, last).await.unwrap();
        assert_eq!(got.len(), want.len(), "{when}: {dataset} all-entity steps of {group:?}");
        for (g, (start, kwh)) in got.iter().zip(&want) {
            assert_eq!(g.start, *start, "{when}: {dataset} {group:?}");
            assert!(
                (g.kwh - kwh).abs() <= 1e-6 * kwh.abs().max(1.0),
                "{when}: {dataset} {group:?} {g:?} against {kwh}"
            );
        }
    }
    for (period, want) in [(Period::Day, &all_days), (Period::Month, &all_months)] {
        let got = store.rollups(dataset, &Scope::All, period, 0, 99_999_999).await.unwrap();
        assert_eq!(got.len(), want.len(), "{when}: {dataset} all {period:?}");
        for r in &got {
            let (sum, n, _, _) = want[&(r.group.clone(), r.key)];
            assert!(
                (r.kwh - sum).abs() <= 1e-6 * sum.abs().max(1.0) && r.count == n,
                "{when}: all {r:?} vs {sum}"
            );
        }
    }
}

/// Rollups equal the records after an ingest (a DST month and another), after a revision of part
/// of a month, after a rebuild, and after a rebuild of rollups that `damage` broke.
pub async fn rollups_are_the_sums_of_the_records(store: &Store, dataset: Dataset, damage: impl AsyncFn()) {
    for m in ["2021-03", "2021-10"] {
        write_month(store, dataset, month(m), 0, 0.0).await;
    }
    assert_rollups_are_the_records(store, dataset, "after the ingest").await;
    // A revision of October's first window: newer and other values.
    let revised = month_windows(dataset, month("2021-10"), 9, 7.25).into_iter().next().unwrap();
    let stats = store.write_window(&Arc::new(revised), None).await.unwrap();
    assert!(stats.updated > 0, "{stats:?}");
    assert_rollups_are_the_records(store, dataset, "after a revision").await;
    assert_eq!(store.rebuild_rollups(dataset).await.unwrap() as usize, suite_series(dataset).len());
    assert_rollups_are_the_records(store, dataset, "after a rebuild").await;
    damage().await;
    let broken = store.rollups(dataset, &Scope::All, Period::Month, 0, 999_999).await.unwrap();
    assert!(
        broken.len() < 2 * 2 || broken.iter().any(|r| r.count == 0 || r.kwh < 0.0),
        "the damage shows: {broken:?}"
    );
    store.rebuild_rollups(dataset).await.unwrap();
    assert_rollups_are_the_records(store, dataset, "after a rebuild of damaged rollups").await;
}

/// The suite for one backend and every dataset: `$open` takes a test name and yields
/// `(guard, Store)`; the attributes say when the backend's server is missing here (the tests
/// are then ignored, with the reason shown).
macro_rules! contract_tests {
    ($open:expr $(, #[$attr:meta])*) => {
        contract_tests!(@one $open, upserts_are_idempotent_and_newest_wins $(, #[$attr])*);
        contract_tests!(@one $open, queries_answer_totals_curves_rollups_and_coverage $(, #[$attr])*);
        contract_tests!(@one $open, export_is_canonical $(, #[$attr])*);
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        $(#[$attr])*
        async fn rollups_are_the_sums_of_the_records() {
            for dataset in elhub_explorer::model::Dataset::all() {
                let name = format!("{}_rollups", dataset.index());
                let (guard, store) = $open(&name).await;
                super::rollups_are_the_sums_of_the_records(&store, dataset, async || damage(&name, &guard).await).await;
                crate::common::drop_store(&store).await;
            }
        }
    };
    (@one $open:expr, $name:ident $(, #[$attr:meta])*) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        $(#[$attr])*
        async fn $name() {
            for dataset in elhub_explorer::model::Dataset::all() {
                let name = format!("{}_{}", dataset.index(), stringify!($name));
                let (_guard, store) = $open(&name).await;
                super::$name(&store, dataset).await;
                crate::common::drop_store(&store).await;
            }
        }
    };
}

mod sqlite {
    async fn open(_name: &str) -> (tempfile::TempDir, elhub_explorer::store::Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::common::temp_sqlite(&dir);
        (dir, store)
    }
    /// Another connection breaks the rollups behind the store's back.
    async fn damage(_name: &str, dir: &tempfile::TempDir) {
        let conn = rusqlite::Connection::open(dir.path().join("test.sqlite")).unwrap();
        conn.execute_batch(
            "UPDATE rollup_day SET kwh = -1, n = 0; DELETE FROM rollup_month WHERE month % 2 = 1; UPDATE steps_all SET kwh = -1; UPDATE month_all SET kwh = -1;",
        )
        .unwrap();
    }
    contract_tests!(open);

    /// All of Norway's monthly totals are read from the table kept with the rollups (twelve rows
    /// per group a year, not one per series and month), exact through revisions; a file of
    /// schema 6, which had none, gets it on opening.
    #[tokio::test]
    async fn all_entity_totals_come_from_the_monthly_sums_and_a_schema_6_file_gets_them() {
        use elhub_explorer::model::Dataset;
        use elhub_explorer::store::Scope;
        let (dir, store) = open("month_all").await;
        let dataset = Dataset::CONSUMPTION_MUNICIPALITY;
        super::write_month(&store, dataset, super::month("2021-03"), 0, 0.0).await;
        super::write_month(&store, dataset, super::month("2021-04"), 0, 0.0).await;
        // A revision of some days: the all-entity totals follow it.
        super::write_month(&store, dataset, super::month("2021-03"), 3, 10.0).await;
        let summed_over_entities = |totals: Vec<(String, f64)>| totals.iter().map(|t| t.1).sum::<f64>();
        let by_entity = summed_over_entities(store.entity_totals(dataset, None, 2021).await.unwrap());
        let all = store.annual_totals(dataset, &Scope::All, 2021).await.unwrap();
        let all_kwh: f64 = all.iter().map(|t| t.kwh).sum();
        assert!(all_kwh > 0.0);
        assert!((all_kwh - by_entity).abs() < 1e-6 * by_entity, "{all_kwh} vs {by_entity}");
        let path = dir.path().join("test.sqlite");
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch("UPDATE month_all SET kwh = 0").unwrap();
        let read = store.annual_totals(dataset, &Scope::All, 2021).await.unwrap();
        assert!(read.iter().all(|t| t.kwh == 0.0), "read from month_all, not summed anew");
        // Back to schema 6: no month_all. Opening migrates and fills it from the rollups.
        conn.execute_batch("DROP TABLE month_all; UPDATE meta SET value = '6' WHERE key = 'schema_version';")
            .unwrap();
        drop(conn);
        drop(store);
        let store = crate::common::temp_sqlite(&dir);
        assert_eq!(store.annual_totals(dataset, &Scope::All, 2021).await.unwrap(), all);
    }

    /// All of Norway's curve is read from the step sums kept with the records (not summed over
    /// every series at each look); a file of schema 4, which had none, gets them on opening.
    #[tokio::test]
    async fn the_all_entity_curve_comes_from_the_step_sums_and_a_schema_4_file_gets_them() {
        use elhub_explorer::model::Dataset;
        let (dir, store) = open("steps_all").await;
        let dataset = Dataset::CONSUMPTION_MUNICIPALITY;
        super::write_month(&store, dataset, super::month("2021-03"), 0, 0.0).await;
        let (from, to) = (super::month("2021-03").start_utc(), super::month("2021-03").end_utc());
        let summed = store.summed_steps(dataset, None, None, from, to).await.unwrap();
        assert!(!summed.is_empty());
        let path = dir.path().join("test.sqlite");
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch("UPDATE steps_all SET kwh = 0").unwrap();
        let read = store.summed_steps(dataset, None, None, from, to).await.unwrap();
        assert!(read.iter().all(|s| s.kwh == 0.0), "read from steps_all, not summed anew");
        // Back to schema 4: no steps_all. Opening migrates and fills it from the records.
        conn.execute_batch("DROP TABLE steps_all; UPDATE meta SET value = '4' WHERE key = 'schema_version';")
            .unwrap();
        drop(conn);
        drop(store);
        let store = crate::common::temp_sqlite(&dir);
        assert_eq!(store.summed_steps(dataset, None, None, from, to).await.unwrap(), summed);
    }
}

mod cassandra {
    async fn open(name: &str) -> ((), elhub_explorer::store::Store) {
        ((), crate::common::test_cassandra(name).await)
    }
    /// Another session empties the monthly rollups and breaks the daily ones.
    async fn damage(name: &str, _: &()) {
        let settings = crate::common::cassandra_settings(name);
        let session = scylla::client::session_builder::SessionBuilder::new()
            .known_nodes(&settings.contact_points)
            .build()
            .await
            .unwrap();
        let ks = settings.keyspace;
        session.query_unpaged(format!("TRUNCATE {ks}.rollup_month"), ()).await.unwrap();
        session.query_unpaged(format!("TRUNCATE {ks}.rollup_day"), ()).await.unwrap();
    }
    contract_tests!(open, #[cfg_attr(not(cassandra_server), ignore = "ELHUB_TEST_CASSANDRA is not set: no Cassandra node to test against")]);
}

mod mongodb {
    async fn open(name: &str) -> ((), elhub_explorer::store::Store) {
        ((), crate::common::test_mongo(name).await)
    }
    /// Another client breaks the day rollups in the days, the all-entity days, and deletes the months.
    async fn damage(name: &str, _: &()) {
        use mongodb::bson::doc;
        let settings = crate::common::mongo_settings(&crate::common::mongo_uri(), name);
        let client = mongodb::Client::with_uri_str(&settings.uri).await.unwrap();
        let db = client.database(&settings.database);
        for dataset in elhub_explorer::model::Dataset::all() {
            let days = db.collection::<mongodb::bson::Document>(&settings.days(dataset));
            days.update_many(doc! {}, doc! {"$set": {"kwh": -1.0, "n": 0_i64}}).await.unwrap();
        }
        let all_days = db.collection::<mongodb::bson::Document>("elhub_all_days");
        all_days.update_many(doc! {}, doc! {"$set": {"kwh": -1.0, "n": 0_i64, "steps": []}}).await.unwrap();
        db.collection::<mongodb::bson::Document>("elhub_rollups").delete_many(doc! {}).await.unwrap();
    }
    contract_tests!(open, #[cfg_attr(not(mongodb_server), ignore = "ELHUB_TEST_MONGODB_URI is not set: no MongoDB server to test against")]);
}

mod postgres {
    async fn open(name: &str) -> ((), elhub_explorer::store::Store) {
        ((), crate::common::test_postgres(name).await)
    }
    /// Another client breaks the rollups and the step sums.
    async fn damage(name: &str, _: &()) {
        let settings = crate::common::postgres_settings(name);
        let (client, conn) = tokio_postgres::connect(&settings.url, tokio_postgres::NoTls).await.unwrap();
        tokio::spawn(conn);
        let s = settings.schema;
        client
            .batch_execute(&format!(
                "UPDATE {s}.rollup_day SET kwh = -1, n = 0; DELETE FROM {s}.rollup_month WHERE month % 2 = 1; UPDATE {s}.steps_all SET kwh = -1;"
            ))
            .await
            .unwrap();
    }
    contract_tests!(open, #[cfg_attr(not(postgres_server), ignore = "ELHUB_TEST_POSTGRES is not set: no PostgreSQL server to test against (.ci/run starts one)")]);
}

/// A schema-2 file written by the previous version (tests/fixtures/schema2, see its README)
/// opens as schema 3 with every record, its coverage and rollups, and exports byte for byte
/// what the previous version exported from it.
#[tokio::test]
async fn a_schema_2_file_from_the_previous_version_migrates_without_losing_a_record() {
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/schema2");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s2.sqlite");
    std::fs::copy(fixtures.join("s2.sqlite"), &path).unwrap();
    let store = Store::new(elhub_explorer::store::SqliteStore::open(&path).unwrap());
    for (dataset, format, file) in [
        (Dataset::PRODUCTION, ExportFormat::Csv, "production.csv"),
        (Dataset::CONSUMPTION, ExportFormat::Csv, "consumption.csv"),
        (Dataset::PRODUCTION, ExportFormat::Json, "production.json"),
    ] {
        let series = store.series(dataset).await.unwrap();
        let mut out = Vec::new();
        export::export(&store, &export::ExportJob::all_of(dataset, series.to_vec(), format), &mut out)
            .await
            .unwrap();
        let want = std::fs::read(fixtures.join(file)).unwrap();
        // The export appends start_local and entity_name now: without them, byte for byte the
        // previous version's.
        assert!(
            without_new_columns(&out, format) == want,
            "{file}: the export differs from the previous version's"
        );
    }
    assert_eq!(store.count(Dataset::PRODUCTION).await.unwrap(), 625);
    assert_eq!(store.count(Dataset::CONSUMPTION).await.unwrap(), 575);
    assert_eq!(store.coverage(Dataset::PRODUCTION).await.unwrap()[0].month, month("2021-10"));
    // Rollups were built from the records: 31 October 2021 has 25 hours in every series.
    let days = store
        .rollups(Dataset::PRODUCTION, &Scope::Entity("NO1".into()), Period::Day, 20211031, 20211031)
        .await
        .unwrap();
    assert_eq!(days.len(), 5);
    assert!(days.iter().all(|d| d.count == 25));
    let areas = store.entities(EntityKind::PriceArea).await.unwrap();
    assert_eq!(areas.len(), 5);
    assert!(store.synced(Dataset::PRODUCTION).await.unwrap().is_empty(), "schema 4's table is there");
    // And it keeps working as the current schema: a newer revision of the same hours replaces them.
    let oct = month("2021-10");
    let mut data = WindowData::new(Dataset::PRODUCTION, Window::of_month(oct));
    let old = store
        .series_records(Dataset::PRODUCTION, &SeriesKey::new("NO1", "hydro"), oct.start_utc(), oct.end_utc())
        .await
        .unwrap();
    data.series.push(SeriesData {
        key: SeriesKey::new("NO1", "hydro"),
        points: old
            .iter()
            .map(|r| Point { kwh: 1.0, updated: r.last_updated.timestamp() + 1, ..r.point() })
            .collect(),
    });
    let stats = store.write_window(&Arc::new(data), None).await.unwrap();
    assert_eq!(stats, UpsertStats { new: 0, updated: 25, unchanged: 0 });
    let t = store.annual_totals(Dataset::PRODUCTION, &Scope::Entity("NO1".into()), 2021).await.unwrap();
    assert_eq!(t.iter().find(|t| t.group == "hydro").map(|t| (t.kwh, t.count)), Some((25.0, 25)));
}

/// An export as the previous version wrote it: CSV lines without their last two fields, JSON
/// objects without `start_local` and `entity_name`.
fn without_new_columns(text: &[u8], format: ExportFormat) -> Vec<u8> {
    let text = String::from_utf8(text.to_vec()).unwrap();
    let mut out = String::new();
    for line in text.lines() {
        let kept = match format {
            ExportFormat::Csv => line.rsplitn(3, ',').nth(2).unwrap().to_string(),
            _ => match line.split_once(",\"start_local\":") {
                Some((head, tail)) => format!("{head}}}{}", if tail.ends_with(',') { "," } else { "" }),
                None => line.to_string(),
            },
        };
        out.push_str(&kept);
        out.push('\n');
    }
    out.into_bytes()
}

/// A database written by schema 1 (text keys) opens with every record and coverage intact.
#[tokio::test]
async fn a_schema_1_database_is_migrated_with_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v1.sqlite");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
             INSERT INTO meta VALUES ('schema_version', '1');
             CREATE TABLE records (dataset TEXT NOT NULL, price_area TEXT NOT NULL, grp TEXT NOT NULL,
                 start_utc INTEGER NOT NULL, quantity_kwh REAL NOT NULL, last_updated INTEGER NOT NULL,
                 metering_points INTEGER, revisions INTEGER NOT NULL DEFAULT 0,
                 PRIMARY KEY (dataset, price_area, grp, start_utc)) WITHOUT ROWID;
             CREATE TABLE series (dataset TEXT NOT NULL, price_area TEXT NOT NULL, grp TEXT NOT NULL,
                 PRIMARY KEY (dataset, price_area, grp)) WITHOUT ROWID;
             CREATE TABLE fetched_windows (dataset TEXT NOT NULL, month TEXT NOT NULL, start_utc INTEGER NOT NULL,
                 end_utc INTEGER NOT NULL, fetched_at INTEGER NOT NULL, records INTEGER NOT NULL,
                 rejected INTEGER NOT NULL, PRIMARY KEY (dataset, month)) WITHOUT ROWID;
             INSERT INTO records VALUES ('production', 'NO1', 'hydro', 1609455600, 2507716.8, 1706000000, NULL, 1),
                                        ('production', 'NO1', 'hydro', 1609459200, 2494728.0, 1706000000, NULL, 0),
                                        ('consumption', 'NO5', 'cabin', 1609455600, 812.5, 1706000000, 4321, 0);
             INSERT INTO series VALUES ('production', 'NO1', 'hydro'), ('consumption', 'NO5', 'cabin');
             INSERT INTO fetched_windows VALUES ('production', '2021-01', 1609455600, 1612134000, 1706000000, 2, 0);",
        )
        .unwrap();
    }
    let store = Store::new(elhub_explorer::store::SqliteStore::open(&path).unwrap());
    assert_eq!(store.count(Dataset::PRODUCTION).await.unwrap(), 2);
    assert_eq!(store.count(Dataset::CONSUMPTION).await.unwrap(), 1);
    let jan = month("2021-01");
    let hydro = store
        .series_records(Dataset::PRODUCTION, &SeriesKey::new("NO1", "hydro"), jan.start_utc(), jan.end_utc())
        .await
        .unwrap();
    assert_eq!(hydro.iter().map(|r| r.quantity_kwh).collect::<Vec<_>>(), [2507716.8, 2494728.0]);
    let cabin = store
        .series_records(Dataset::CONSUMPTION, &SeriesKey::new("NO5", "cabin"), jan.start_utc(), jan.end_utc())
        .await
        .unwrap();
    assert_eq!(cabin[0].metering_points, Some(4321));
    assert_eq!(store.coverage(Dataset::PRODUCTION).await.unwrap()[0].records, 2);
    let t = store.annual_totals(Dataset::PRODUCTION, &Scope::Entity("NO1".into()), 2021).await.unwrap();
    assert_eq!(t[0].count, 2);
    // And it keeps working as schema 3.
    let stats = write_month(&store, Dataset::PRODUCTION, jan, 0, 0.0).await;
    assert_eq!(stats.total(), 3 * 744);
}
