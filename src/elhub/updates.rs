//! The change feed: `GET {base}/updates?dataset=<Elhub name in lower case>&lastUpdated=<time>`
//! lists one item per day of a dataset whose data changed since then (ELHUB_API.md). The item's
//! documented part is its id, `20241030_consumption_per_group_mba_hour`, and a link to the
//! changed data; the rest is not known. So the days taken are those the link's
//! `startDate`/`endDate` span and the id's date, both (which of them names the changed data is
//! not documented; a day too many costs a request, a day too few loses a revision); an item
//! with neither, or naming another dataset, is counted and skipped, never fatal. A top-level `links.next` is followed (paging is not documented; it costs nothing).

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;

use crate::model::{local_midnight_utc, Dataset, LOCAL_TZ};

/// One page of the feed, read.
#[derive(Debug, Default)]
pub struct UpdatesPage {
    /// Local days whose data changed.
    pub days: BTreeSet<NaiveDate>,
    /// The next page's address, as the feed wrote it.
    pub next: Option<String>,
    /// Items not understood (not an object, no date found) or about another dataset.
    pub skipped: usize,
    /// Every item as sent, to tell a page that brings nothing new.
    pub items: std::collections::HashSet<String>,
}

/// A changed span longer than this many days (ten years) is not believed: the item is skipped.
const LONGEST_CHANGE_DAYS: i64 = 3660;

/// The page as read: its items stay raw, so one bad item (`null`, a number) is skipped alone
/// instead of failing the page.
#[derive(Deserialize)]
struct Feed {
    data: Option<Vec<serde_json::Value>>,
    #[serde(default)]
    links: Option<serde_json::Value>,
}

/// Reads one page of the feed for `dataset`.
pub fn parse_updates(body: &[u8], dataset: Dataset) -> Result<UpdatesPage, String> {
    let feed: Feed = serde_json::from_slice(body)
        .map_err(|e| format!("the change feed's answer is not the JSON expected: {e}"))?;
    let items = feed.data.ok_or("the change feed's answer has no 'data' list")?;
    let text_at = |v: Option<&serde_json::Value>, key: &str| -> Option<String> {
        v?.get(key)?.as_str().filter(|t| !t.is_empty()).map(str::to_string)
    };
    let mut page = UpdatesPage { next: text_at(feed.links.as_ref(), "next"), ..Default::default() };
    let name = dataset.api_name().to_ascii_lowercase();
    for item in items {
        page.items.insert(item.to_string());
        if !item.is_object() {
            page.skipped += 1;
            continue;
        }
        let id = item.get("id").and_then(|v| v.as_str()).unwrap_or_default();
        if let Some((_, other)) = id.split_once('_') {
            if !other.eq_ignore_ascii_case(&name) {
                page.skipped += 1;
                continue;
            }
        }
        let linked = text_at(item.get("links"), "href").and_then(|href| days_of_link(&href));
        // Both the link's days and the id's: which of them names the changed data is not
        // documented, and a day too many costs one request while a day too few loses a revision.
        let named = day_of_id(id).map(|d| (d, d));
        if linked.is_none() && named.is_none() {
            page.skipped += 1;
            continue;
        }
        for (first, last) in linked.into_iter().chain(named) {
            let mut day = first;
            while day <= last {
                page.days.insert(day);
                day = match day.succ_opt() {
                    Some(d) => d,
                    None => break,
                };
            }
        }
    }
    Ok(page)
}

/// `20241030_...` → 2024-10-30.
fn day_of_id(id: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(id.get(..8)?, "%Y%m%d").ok()
}

/// The local days [first, last] a link's `startDate` and `endDate` cover, if it has both and
/// they span at most `LONGEST_CHANGE_DAYS`.
fn days_of_link(href: &str) -> Option<(NaiveDate, NaiveDate)> {
    let url = reqwest::Url::parse(href).ok()?;
    let param = |name: &str| url.query_pairs().find(|(k, _)| k == name).and_then(|(_, v)| instant(&v));
    let (start, end) = (param("startDate")?, param("endDate")?);
    if end <= start {
        return None;
    }
    let first = start.with_timezone(&LOCAL_TZ).date_naive();
    let last = (end - chrono::Duration::seconds(1)).with_timezone(&LOCAL_TZ).date_naive();
    ((last - first).num_days() <= LONGEST_CHANGE_DAYS).then_some((first, last))
}

/// An RFC 3339 time, or a bare date as local midnight.
fn instant(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text.trim())
        .map(|t| t.to_utc())
        .ok()
        .or_else(|| NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok().map(local_midnight_utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn reads_the_documented_item() {
        let body = br#"{"data":[{"type":"updates","id":"20241030_consumption_per_group_mba_hour","links":{"href":"https://api.elhub.no/energy-data/v0/price-areas?dataset=CONSUMPTION_PER_GROUP_MBA_HOUR"}}]}"#;
        let page = parse_updates(body, Dataset::CONSUMPTION).unwrap();
        assert_eq!(page.days, BTreeSet::from([day("2024-10-30")]), "no dates in the link: the id's date");
        assert_eq!((page.next, page.skipped), (None, 0));
    }

    #[test]
    fn a_link_with_dates_says_which_days() {
        let body = br#"{"data":[{"id":"20250329_production_per_group_mba_hour","links":{"href":"https://x/price-areas?dataset=PRODUCTION_PER_GROUP_MBA_HOUR&startDate=2023-05-01T00:00:00%2B02:00&endDate=2023-05-03T00:00:00%2B02:00"}}],"links":{"next":"https://x/updates?page=2"}}"#;
        let page = parse_updates(body, Dataset::PRODUCTION).unwrap();
        assert_eq!(
            page.days,
            BTreeSet::from([day("2023-05-01"), day("2023-05-02"), day("2025-03-29")]),
            "the link's days and the id's"
        );
        assert_eq!(page.next.as_deref(), Some("https://x/updates?page=2"));
        let bare = br#"{"data":[{"id":"x","links":{"href":"https://x/p?startDate=2023-05-01&endDate=2023-05-02"}}]}"#;
        assert_eq!(
            parse_updates(bare, Dataset::PRODUCTION).unwrap().days,
            BTreeSet::from([day("2023-05-01")])
        );
    }

    #[test]
    fn strange_items_are_skipped_not_fatal() {
        let body = br#"{"data":[
            {"id":"20241030_consumption_per_group_mba_hour"},
            {"id":"garbage"},
            {"id":42},
            {},
            {"id":"20241031_production_per_group_mba_hour"},
            {"id":"20240101_x","links":{"href":"https://x/p?startDate=2021-01-01&endDate=2024-01-01"}}
        ]}"#;
        let page = parse_updates(body, Dataset::CONSUMPTION).unwrap();
        assert_eq!(page.days, BTreeSet::from([day("2024-10-30")]));
        assert_eq!(page.skipped, 5);
        let years = br#"{"data":[{"links":{"href":"https://x/p?startDate=2021-01-01&endDate=2024-01-01"}}]}"#;
        assert_eq!(
            parse_updates(years, Dataset::CONSUMPTION).unwrap().days.len(),
            1095,
            "three years is believed"
        );
        let ages = br#"{"data":[{"links":{"href":"https://x/p?startDate=1000-01-01&endDate=9000-01-01"}}]}"#;
        let page = parse_updates(ages, Dataset::CONSUMPTION).unwrap();
        assert_eq!((page.days.len(), page.skipped), (0, 1), "millennia are not");
    }

    #[test]
    fn a_bad_item_is_skipped_alone_and_the_good_ones_kept() {
        let body = br#"{"data":[null, 42, "x", [], {"id":"20240601_production_per_group_mba_hour"}, true,
            {"id":"20240615_production_per_group_mba_hour","links":{"href":7}},
            {"id":"20240620_production_per_group_mba_hour","links":null}],
            "links":{"next":42}}"#;
        let page = parse_updates(body, Dataset::PRODUCTION).unwrap();
        assert_eq!(page.days, BTreeSet::from([day("2024-06-01"), day("2024-06-15"), day("2024-06-20")]));
        assert_eq!(page.skipped, 5, "null, 42, \"x\", [] and true");
        assert_eq!(page.next, None, "a next link that is not text is no link");
        assert_eq!(page.items.len(), 8);
    }

    #[test]
    fn a_body_that_is_no_feed_is_an_error() {
        assert!(parse_updates(b"{\"data\": [ <html>", Dataset::PRODUCTION).is_err());
        assert!(parse_updates(b"{\"meta\": {}}", Dataset::PRODUCTION).unwrap_err().contains("no 'data'"));
        assert!(parse_updates(b"[]", Dataset::PRODUCTION).is_err());
    }
}
