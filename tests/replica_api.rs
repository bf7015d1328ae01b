//! The replica as a client sees it over HTTP: every entity path, the `"*"` element first in a
//! listing, each dataset's window limit, a dataset on the wrong entity, 404 for an entity with
//! no data (which the client reads as an empty window), and the request log.

#![allow(clippy::unwrap_used)] // tests fail loudly by design

mod common;

use chrono::NaiveDate;
use elhub_explorer::model::{Dataset, Window};
use elhub_explorer::replica::places::places;

async fn get(url: &str) -> (u16, serde_json::Value) {
    let r = reqwest::get(url).await.unwrap();
    let status = r.status().as_u16();
    (status, serde_json::from_slice(&r.bytes().await.unwrap()).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_replica_answers_like_the_api() {
    let replica = common::start_replica().await;
    let base = replica.url();
    let day = "startDate=2021-03-28T00:00:00%2B01:00&endDate=2021-03-29T00:00:00%2B02:00";
    let (status, body) =
        get(&format!("{base}/municipalities?dataset=CONSUMPTION_PER_GROUP_MUNICIPALITY_HOUR&{day}")).await;
    assert_eq!(status, 200);
    let data = body["data"].as_array().unwrap();
    assert_eq!(data.len(), 362, "the '*' element and 361 municipalities");
    assert_eq!((data[0]["id"].as_str(), data[0]["type"].as_str()), (Some("*"), Some("municipalities")));
    let oslo = data.iter().find(|e| e["id"] == "0301").unwrap();
    assert_eq!(oslo["attributes"]["name"], "Oslo");
    let records = oslo["attributes"]["consumptionPerGroupMunicipalityHour"].as_array().unwrap();
    assert_eq!(records.len(), 3 * 23, "three groups, 23 hours on the DST day");
    assert!(records[0].get("municipalityNumber").is_none(), "municipality records carry no entity field");
    // Longer than a day: 400. The wrong entity for the dataset: 400.
    let two = "startDate=2021-03-28&endDate=2021-03-30";
    let (status, body) =
        get(&format!("{base}/municipalities?dataset=CONSUMPTION_PER_GROUP_MUNICIPALITY_HOUR&{two}")).await;
    assert_eq!(status, 400);
    assert!(body["errors"][0]["detail"].as_str().unwrap().contains("one day"), "{body}");
    let (status, body) =
        get(&format!("{base}/municipalities?dataset=PRODUCTION_PER_GROUP_MBA_HOUR&{day}")).await;
    assert_eq!(
        (status, body["errors"][0]["detail"].as_str()),
        (400, Some("Invalid dataset for municipality entity"))
    );
    // Grid areas carry their price area as a relationship.
    let (_, body) =
        get(&format!("{base}/grid-areas/50YWO-6UUIJ4BF1D?dataset=CONSUMPTION_PER_GROUP_MGA_HOUR&{day}"))
            .await;
    assert_eq!(body["data"][0]["relationships"]["price-area"]["data"]["id"], "NO1");
    // The inactive grid area has no data: 404 saying so.
    let inactive = places(elhub_explorer::model::EntityKind::GridArea).iter().find(|p| !p.active).unwrap();
    let (status, body) =
        get(&format!("{base}/grid-areas/{}?dataset=CONSUMPTION_PER_GROUP_MGA_HOUR&{day}", inactive.id)).await;
    assert_eq!(status, 404);
    assert!(body["errors"][0]["detail"].as_str().unwrap().contains("No data"), "{body}");
    let (status, _) =
        get(&format!("{base}/price-areas/NO9?dataset=PRODUCTION_PER_GROUP_MBA_HOUR&{day}")).await;
    assert_eq!(status, 404);
    // Quarter-hours: 92 on the spring DST day.
    let (_, body) = get(&format!("{base}/price-areas/NO2?dataset=PRODUCTION_PER_GROUP_MBA_15MIN&startDate=2024-03-31&endDate=2024-04-01")).await;
    let q = body["data"][0]["attributes"]["productionPerGroupMba15Min"].as_array().unwrap();
    assert_eq!(q.len(), 5 * 92);
    // The log has every request, in order.
    let log = replica.state.request_log();
    assert_eq!(log.len(), 7);
    assert!(log[0].path.starts_with("/municipalities?dataset=CONSUMPTION_PER_GROUP_MUNICIPALITY_HOUR"));
    let (status, body) = get(&format!("{base}/_replica/requests")).await;
    assert_eq!((status, body.as_array().unwrap().len()), (200, 7), "control requests are not logged");
}

/// The client reads a 404 whose body says "no data" as an empty window, not a failure; any
/// other 404 is a failure.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_404_for_no_data_is_an_empty_window() {
    use elhub_explorer::replica::{Fault, Faults};
    let replica = common::start_replica().await;
    replica.state.set_faults(Faults { sequence: vec![Fault::NoData], ..Faults::default() });
    let client = common::fast_client(&replica.url());
    let window = Window::of_day(NaiveDate::from_ymd_opt(2024, 11, 1).unwrap());
    let parsed = client.fetch_window(Dataset::CONSUMPTION_GRID_AREA, window, &|_| {}).await.unwrap();
    assert!(parsed.data.is_empty());
    assert_eq!(parsed.data.window, window);
    let wrong = common::fast_client(&format!("{}/nowhere", replica.url()));
    let err = wrong.fetch_window(Dataset::CONSUMPTION_GRID_AREA, window, &|_| {}).await.err().unwrap();
    assert!(err.to_string().starts_with("HTTP 404"), "{err}");
}

/// A 429 spaces the client's requests further apart, on top of honouring Retry-After.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_many_requests_slow_the_rate_limiter_down() {
    use elhub_explorer::replica::{Fault, Faults};
    let replica = common::start_replica().await;
    replica.state.set_faults(Faults {
        sequence: vec![Fault::TooManyRequests { retry_after: None }; 2],
        ..Faults::default()
    });
    let client = common::polite_client(&replica.url());
    let before = client.request_spacing().unwrap();
    assert_eq!(before, std::time::Duration::from_millis(220), "5 a second, with a tenth of margin");
    let window = Window::of_month("2021-02".parse().unwrap());
    let parsed = client.fetch_window(Dataset::PRODUCTION, window, &|_| {}).await.unwrap();
    assert_eq!(parsed.data.len(), 16_128);
    let after = client.request_spacing().unwrap();
    assert!(after > 3 * before, "two 429s doubled the spacing twice (less a tenth back): {after:?}");
}

/// The change feed: every day settled or revised since `lastUpdated`, in the documented item
/// shape, paged; the client follows the pages and reads the days from the links.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_change_feed_lists_changed_days_and_the_client_reads_every_page() {
    let replica = common::start_replica().await;
    let base = replica.url();
    let (status, body) = get(&format!(
        "{base}/energy-data/v0/updates?dataset=production_per_group_mba_hour&lastUpdated=2021-06-01"
    ))
    .await;
    assert_eq!(status, 200);
    let first = &body["data"][0];
    assert_eq!(first["type"], "updates");
    assert_eq!(first["id"], "20210501_production_per_group_mba_hour", "May settled in mid-June");
    let href = first["links"]["href"].as_str().unwrap();
    assert!(href.starts_with(&format!("{base}/energy-data/v0/price-areas?dataset=PRODUCTION_PER_GROUP_MBA_HOUR&startDate=2021-05-01T00%3A00%3A00%2B02%3A00")), "{href}");
    assert_eq!(body["data"].as_array().unwrap().len(), 500, "a full page");
    assert!(body["links"]["next"].as_str().unwrap().contains("page=2"), "{body}");
    let (status, body) = get(&format!("{base}/updates?dataset=nothing")).await;
    assert_eq!(status, 400, "{body}");

    // The client reads all pages: every day from May 2021 to the replica's last, once.
    let client = common::fast_client(&base);
    let since = NaiveDate::from_ymd_opt(2021, 6, 1).unwrap();
    let since = elhub_explorer::model::local_midnight_utc(since);
    let seen = replica.state.request_log().len();
    let changes = client.changed_days(Dataset::PRODUCTION, since, &|_| {}).await.unwrap();
    let expected = replica.state.changed_days(Dataset::PRODUCTION, since, chrono::Utc::now());
    assert_eq!(changes.days.iter().copied().collect::<Vec<_>>(), expected);
    assert_eq!(changes.days.first(), Some(&NaiveDate::from_ymd_opt(2021, 5, 1).unwrap()));
    assert_eq!(
        changes.days.last(),
        Some(&NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()),
        "its data ends an hour into 2026"
    );
    let pages =
        replica.state.request_log()[seen..].iter().filter(|r| r.path.starts_with("/updates?")).count();
    assert_eq!(pages, expected.len().div_ceil(500), "one request per page");
    assert_eq!(changes.skipped, 0);

    // A revision of a day long past appears, and only it, for a recent lastUpdated.
    let now = chrono::Utc::now();
    replica.state.revise_day(Dataset::CONSUMPTION_GRID_AREA, NaiveDate::from_ymd_opt(2022, 2, 14).unwrap());
    let changes = client
        .changed_days(Dataset::CONSUMPTION_GRID_AREA, now - chrono::Duration::minutes(1), &|_| {})
        .await
        .unwrap();
    assert_eq!(changes.days.into_iter().collect::<Vec<_>>(), [NaiveDate::from_ymd_opt(2022, 2, 14).unwrap()]);
}
