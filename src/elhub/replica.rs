//! A local server with the API's shape (ELHUB_API.md) over the deterministic generator, with
//! switches that inject faults. Tests, benchmarks, CI and users without internet use it.
//!
//! Serves `/price-areas` and `/price-areas/{area}` (also under `/energy-data/v0`), both datasets,
//! the one-month limit, `productionGroup` / `consumptionGroup` filters, and control endpoints
//! under `/_replica/` (faults, revisions) for tests that drive the binary.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, Query, RawQuery, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::{DateTime, Months, NaiveDate, Utc};
use serde::Serialize;

use super::generator;
use super::windows::format_local;
use crate::model::{local_midnight_utc, Dataset, Month, PriceArea, Record, LOCAL_TZ};

/// One injected fault, applied to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// 503 Service Unavailable.
    Unavailable,
    /// 429 Too Many Requests, with `Retry-After: n` seconds or without the header.
    TooManyRequests { retry_after: Option<u64> },
    /// 200 with the body cut in half.
    Truncated,
    /// 200 with a body that is not JSON.
    Malformed,
    /// A response held back this long before it is sent.
    Slow(Duration),
    /// Headers at once, then the body trickled out over this long.
    SlowBody(Duration),
    /// 200 with every area's list empty (a month that seems to have no data).
    Empty,
}

impl FromStr for Fault {
    type Err = String;
    /// `503`, `429`, `429:2` (Retry-After 2 s), `429:none`, `truncated`, `malformed`, `slow:500`
    /// (ms before the response), `slowbody:500` (ms to trickle the body), `empty`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (name, arg) = s.trim().split_once(':').map_or((s.trim(), None), |(a, b)| (a, Some(b)));
        let number = |what: &str| -> Result<u64, String> {
            arg.unwrap_or_default().parse().map_err(|_| format!("fault '{s}': {what} must be a whole number"))
        };
        match (name, arg) {
            ("503", None) => Ok(Fault::Unavailable),
            ("429", None) => Ok(Fault::TooManyRequests { retry_after: Some(1) }),
            ("429", Some("none")) => Ok(Fault::TooManyRequests { retry_after: None }),
            ("429", Some(_)) => Ok(Fault::TooManyRequests { retry_after: Some(number("Retry-After")?) }),
            ("truncated", None) => Ok(Fault::Truncated),
            ("malformed", None) => Ok(Fault::Malformed),
            ("slow", Some(_)) => Ok(Fault::Slow(Duration::from_millis(number("the delay")?))),
            ("slowbody", Some(_)) => Ok(Fault::SlowBody(Duration::from_millis(number("the delay")?))),
            ("empty", None) => Ok(Fault::Empty),
            _ => Err(format!(
                "unknown fault '{s}' (expected 503, 429, 429:SECONDS, 429:none, truncated, malformed, slow:MS, slowbody:MS, empty)"
            )),
        }
    }
}

/// The fault switches. Each distinct request (same path and query) gets `sequence[n]` on its
/// n-th attempt and is served normally after the sequence; only requests whose key hashes to
/// 0 modulo `every` get faults at all.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Faults {
    pub sequence: Vec<Fault>,
    /// 1 (or 0) = every request; 3 = about a third of the windows.
    pub every: u64,
    /// Added to every response.
    pub latency: Duration,
    /// Refuse windows longer than this many days with 400 (a stricter limit than one month).
    pub max_days: Option<i64>,
}

impl Faults {
    /// Parses a comma-separated list of faults, as `--faults` takes it.
    pub fn parse_sequence(spec: &str) -> Result<Vec<Fault>, String> {
        spec.split(',').filter(|s| !s.trim().is_empty()).map(str::parse).collect()
    }
}

/// Shared state of a running replica.
#[derive(Debug)]
pub struct ReplicaState {
    faults: Mutex<Faults>,
    attempts: Mutex<HashMap<String, usize>>,
    revisions: Mutex<HashMap<(Dataset, Month), u32>>,
    requests: AtomicU64,
    /// No data at or after this instant (the API has no future).
    until: DateTime<Utc>,
    /// Rendered bodies by request, so repeated runs measure the client, not the generator.
    /// Cleared when a revision changes what would be served; bounded in bytes.
    bodies: Mutex<HashMap<String, Arc<Vec<u8>>>>,
}

/// The replica keeps at most this many bytes of rendered bodies.
const BODY_CACHE_BYTES: usize = 512 << 20;

impl ReplicaState {
    pub fn new(until: DateTime<Utc>) -> Arc<ReplicaState> {
        Arc::new(ReplicaState {
            faults: Mutex::new(Faults::default()),
            attempts: Mutex::new(HashMap::new()),
            revisions: Mutex::new(HashMap::new()),
            requests: AtomicU64::new(0),
            until,
            bodies: Mutex::new(HashMap::new()),
        })
    }

    pub fn set_faults(&self, faults: Faults) {
        *lock(&self.faults) = faults;
        lock(&self.attempts).clear();
    }

    /// Publishes a revision of a month: new values and a later `lastUpdatedTime`.
    pub fn revise(&self, dataset: Dataset, month: Month) -> u32 {
        let mut revisions = lock(&self.revisions);
        let r = revisions.entry((dataset, month)).or_insert(0);
        *r += 1;
        lock(&self.bodies).clear();
        *r
    }

    /// The body for a request: cached, or rendered by `render` and kept.
    fn body(&self, key: &str, render: impl FnOnce() -> Vec<u8>) -> Arc<Vec<u8>> {
        if let Some(b) = lock(&self.bodies).get(key) {
            return b.clone();
        }
        let body = Arc::new(render());
        let mut cache = lock(&self.bodies);
        if cache.values().map(|b| b.len()).sum::<usize>() + body.len() > BODY_CACHE_BYTES {
            cache.clear();
        }
        cache.insert(key.to_string(), body.clone());
        body
    }

    pub fn revision(&self, dataset: Dataset, month: Month) -> u32 {
        lock(&self.revisions).get(&(dataset, month)).copied().unwrap_or(0)
    }

    /// Requests served so far (all of them, faults included).
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    pub fn until(&self) -> DateTime<Utc> {
        self.until
    }

    /// What the replica serves for a range: the tests' expectation.
    pub fn records(&self, dataset: Dataset, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Record> {
        let revisions = lock(&self.revisions).clone();
        generator::records(dataset, from, to, self.until, None, None, &|m| {
            revisions.get(&(dataset, m)).copied().unwrap_or(0)
        })
    }

    /// The fault for this attempt of a request, if any.
    fn fault_for(&self, key: &str) -> (Option<Fault>, Duration, Option<i64>) {
        let faults = lock(&self.faults).clone();
        let selected = faults.every <= 1 || fnv(key) % faults.every == 0;
        let mut attempts = lock(&self.attempts);
        let n = attempts.entry(key.to_string()).or_insert(0);
        let fault = if selected { faults.sequence.get(*n).copied() } else { None };
        *n += 1;
        (fault, faults.latency, faults.max_days)
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding these locks cannot leave them inconsistent: recover the data.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3))
}

/// A running replica; dropping it does not stop the server (the task lives on the runtime).
pub struct Replica {
    pub addr: SocketAddr,
    pub state: Arc<ReplicaState>,
    stop: tokio_util::sync::CancellationToken,
    task: tokio::task::JoinHandle<()>,
}

impl Replica {
    /// The base URL to give the client.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Goes away: closes the listener and every connection (a client then sees refusals).
    pub async fn stop(self) {
        self.stop.cancel();
        self.task.abort();
        let _ = self.task.await;
    }
}

/// Binds and serves in the background on the current tokio runtime.
pub async fn spawn(listen: SocketAddr, state: Arc<ReplicaState>) -> std::io::Result<Replica> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    let app = router(state.clone());
    let stop = tokio_util::sync::CancellationToken::new();
    let stopped = stop.clone();
    let task = tokio::spawn(async move {
        let serve =
            axum::serve(listener, app).with_graceful_shutdown(async move { stopped.cancelled().await });
        if let Err(e) = serve.await {
            tracing::error!("replica stopped: {e}");
        }
    });
    Ok(Replica { addr, state, stop, task })
}

/// Serves until the process is stopped (the `replica` subcommand).
pub async fn serve(
    listen: SocketAddr,
    state: Arc<ReplicaState>,
    ready: impl FnOnce(SocketAddr),
) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    ready(listener.local_addr()?);
    axum::serve(listener, router(state)).await
}

pub fn router(state: Arc<ReplicaState>) -> Router {
    let api = Router::new().route("/price-areas", get(all_areas)).route("/price-areas/{area}", get(one_area));
    Router::new()
        .merge(api.clone())
        .nest("/energy-data/v0", api)
        .route("/_replica/faults", post(set_faults))
        .route("/_replica/revise", post(revise))
        .route("/_replica/stats", get(stats))
        .with_state(state)
}

type Params = Query<HashMap<String, String>>;

async fn all_areas(State(s): State<Arc<ReplicaState>>, Query(p): Params, RawQuery(q): RawQuery) -> Response {
    answer(&s, None, &p, &format!("/price-areas?{}", q.unwrap_or_default())).await
}

async fn one_area(
    State(s): State<Arc<ReplicaState>>,
    Path(area): Path<String>,
    Query(p): Params,
    RawQuery(q): RawQuery,
) -> Response {
    let key = format!("/price-areas/{area}?{}", q.unwrap_or_default());
    match area.parse::<PriceArea>() {
        Ok(a) => answer(&s, Some(a), &p, &key).await,
        Err(_) => json_error(StatusCode::NOT_FOUND, &format!("Price area '{area}' not found")),
    }
}

async fn answer(
    s: &ReplicaState,
    area: Option<PriceArea>,
    p: &HashMap<String, String>,
    key: &str,
) -> Response {
    s.requests.fetch_add(1, Ordering::Relaxed);
    let (fault, latency, max_days) = s.fault_for(key);
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    match fault {
        Some(Fault::Unavailable) => {
            return (StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable").into_response()
        }
        Some(Fault::TooManyRequests { retry_after }) => {
            let mut r = json_error(StatusCode::TOO_MANY_REQUESTS, "Too many requests");
            if let Some(secs) = retry_after {
                r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
            }
            return r;
        }
        Some(Fault::Slow(d)) => tokio::time::sleep(d).await,
        _ => {}
    }
    let request = match parse_request(p, max_days) {
        Ok(r) => r,
        Err(message) => return json_error(StatusCode::BAD_REQUEST, &message),
    };
    let body = if fault == Some(Fault::Empty) {
        Arc::new(render(request.dataset, area, &[], key))
    } else {
        s.body(key, || {
            let revision = |m: Month| s.revision(request.dataset, m);
            let records = generator::records(
                request.dataset,
                request.start,
                request.end,
                s.until,
                area,
                request.group.as_deref(),
                &revision,
            );
            render(request.dataset, area, &records, key)
        })
    };
    let mut body = body.to_vec();
    match fault {
        Some(Fault::Truncated) => body.truncate(body.len() / 2),
        Some(Fault::Malformed) => body = b"{\"data\": [ <html>oops</html>".to_vec(),
        Some(Fault::SlowBody(total)) => return trickle(body, total),
        _ => {}
    }
    ([(header::CONTENT_TYPE, "application/vnd.api+json")], body).into_response()
}

/// A body sent in ten pieces spread over `total`.
fn trickle(body: Vec<u8>, total: Duration) -> Response {
    let piece = body.len().div_ceil(10).max(1);
    let chunks: Vec<Vec<u8>> = body.chunks(piece).map(<[u8]>::to_vec).collect();
    let pause = total / chunks.len().max(1) as u32;
    let stream = futures_util::stream::unfold(chunks.into_iter(), move |mut rest| async move {
        let chunk = rest.next()?;
        tokio::time::sleep(pause).await;
        Some((Ok::<_, std::io::Error>(chunk), rest))
    });
    ([(header::CONTENT_TYPE, "application/vnd.api+json")], axum::body::Body::from_stream(stream))
        .into_response()
}

struct ApiRequest {
    dataset: Dataset,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    group: Option<String>,
}

fn parse_request(p: &HashMap<String, String>, max_days: Option<i64>) -> Result<ApiRequest, String> {
    let dataset_name = p.get("dataset").ok_or("The query parameter 'dataset' is required")?;
    let dataset =
        Dataset::from_api_name(dataset_name).ok_or_else(|| format!("Unknown dataset '{dataset_name}'"))?;
    let start =
        parse_date(p.get("startDate").ok_or("The query parameter 'startDate' is required")?, "startDate")?;
    let longest = start.with_timezone(&LOCAL_TZ).checked_add_months(Months::new(1)).map(|t| t.to_utc());
    let end = match p.get("endDate") {
        Some(e) => parse_date(e, "endDate")?,
        None => longest.ok_or("startDate out of range")?, // the API fills in the maximum range
    };
    if end <= start {
        return Err("endDate must be after startDate".into());
    }
    if longest.is_some_and(|l| end > l) {
        return Err("The period between startDate and endDate must not exceed one month".into());
    }
    if let Some(days) = max_days {
        if end - start > chrono::Duration::days(days) + chrono::Duration::hours(1) {
            return Err(format!("The period must not exceed {days} days"));
        }
    }
    let group = p.get(dataset.group_field()).cloned();
    Ok(ApiRequest { dataset, start, end, group })
}

fn parse_date(value: &str, name: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(value) {
        return Ok(t.to_utc());
    }
    if let Ok(d) = NaiveDate::parse_from_str(value, "%Y-%m-%d") {
        return Ok(local_midnight_utc(d));
    }
    Err(format!(
        "Invalid {name} '{value}': expected an ISO 8601 date or date-time with offset (was the '+' percent-encoded?)"
    ))
}

#[derive(Serialize)]
struct Body<'a> {
    data: Vec<Element<'a>>,
    links: Links<'a>,
    meta: Meta,
}

#[derive(Serialize)]
struct Links<'a> {
    #[serde(rename = "self")]
    this: &'a str,
}

#[derive(Serialize)]
struct Meta {
    created: String,
}

#[derive(Serialize)]
struct Element<'a> {
    attributes: Attributes<'a>,
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
}

#[derive(Serialize)]
struct Attributes<'a> {
    country: &'a str,
    eic: &'a str,
    name: &'a str,
    #[serde(rename = "productionPerGroupMbaHour", skip_serializing_if = "Option::is_none")]
    production: Option<Vec<ApiRecord<'a>>>,
    #[serde(rename = "consumptionPerGroupMbaHour", skip_serializing_if = "Option::is_none")]
    consumption: Option<Vec<ApiRecord<'a>>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ApiRecord<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    consumption_group: Option<&'a str>,
    end_time: String,
    last_updated_time: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    metering_point_count: Option<u32>,
    price_area: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    production_group: Option<&'a str>,
    quantity_kwh: f64,
    start_time: String,
}

/// The JSON:API document for these records, grouped per area, with the `"*"` element first
/// when all areas were asked for.
pub fn render(dataset: Dataset, area: Option<PriceArea>, records: &[Record], link: &str) -> Vec<u8> {
    let areas: Vec<PriceArea> = area.map_or_else(|| PriceArea::ALL.to_vec(), |a| vec![a]);
    let mut data = Vec::new();
    if area.is_none() {
        let (production, consumption) = by_dataset(dataset, Vec::new());
        data.push(Element {
            attributes: Attributes { country: "NO", eic: "*", name: "*", production, consumption },
            id: "*",
            kind: "price-areas",
        });
    }
    for a in areas {
        let list: Vec<ApiRecord> = records
            .iter()
            .filter(|r| r.area == a)
            .map(|r| ApiRecord {
                consumption_group: (dataset == Dataset::Consumption).then_some(r.group.as_str()),
                production_group: (dataset == Dataset::Production).then_some(r.group.as_str()),
                end_time: format_local(r.end()),
                last_updated_time: format_local(r.last_updated),
                metering_point_count: r.metering_points,
                price_area: a.as_str(),
                quantity_kwh: r.quantity_kwh,
                start_time: format_local(r.start),
            })
            .collect();
        let (production, consumption) = by_dataset(dataset, list);
        data.push(Element {
            attributes: Attributes { country: "NO", eic: a.eic(), name: a.as_str(), production, consumption },
            id: a.as_str(),
            kind: "price-areas",
        });
    }
    let body = Body { data, links: Links { this: link }, meta: Meta { created: format_local(Utc::now()) } };
    serde_json::to_vec(&body).unwrap_or_default()
}

/// The list goes under the attribute of its dataset.
#[allow(clippy::type_complexity)]
fn by_dataset(
    dataset: Dataset,
    list: Vec<ApiRecord<'_>>,
) -> (Option<Vec<ApiRecord<'_>>>, Option<Vec<ApiRecord<'_>>>) {
    match dataset {
        Dataset::Production => (Some(list), None),
        Dataset::Consumption => (None, Some(list)),
    }
}

fn json_error(status: StatusCode, detail: &str) -> Response {
    let body = serde_json::json!({"errors": [{"status": status.as_u16().to_string(), "title": status.canonical_reason(), "detail": detail}]});
    (status, [(header::CONTENT_TYPE, "application/vnd.api+json")], body.to_string()).into_response()
}

async fn set_faults(State(s): State<Arc<ReplicaState>>, Query(p): Params) -> Response {
    let parsed = (|| -> Result<Faults, String> {
        Ok(Faults {
            sequence: Faults::parse_sequence(p.get("sequence").map_or("", String::as_str))?,
            every: p
                .get("every")
                .map_or(Ok(1), |v| v.parse().map_err(|_| "every must be a number".to_string()))?,
            latency: Duration::from_millis(
                p.get("latency_ms")
                    .map_or(Ok(0), |v| v.parse().map_err(|_| "latency_ms must be a number".to_string()))?,
            ),
            max_days: p
                .get("max_days")
                .map(|v| v.parse().map_err(|_| "max_days must be a number".to_string()))
                .transpose()?,
        })
    })();
    match parsed {
        Ok(f) => {
            s.set_faults(f);
            "ok".into_response()
        }
        Err(e) => json_error(StatusCode::BAD_REQUEST, &e),
    }
}

async fn revise(State(s): State<Arc<ReplicaState>>, Query(p): Params) -> Response {
    let dataset = p.get("dataset").map_or(Ok(Dataset::Production), |d| d.parse());
    let month =
        p.get("month").ok_or_else(|| "month is required".to_string()).and_then(|m| m.parse::<Month>());
    match (dataset, month) {
        (Ok(d), Ok(m)) => s.revise(d, m).to_string().into_response(),
        (Err(e), _) | (_, Err(e)) => json_error(StatusCode::BAD_REQUEST, &e),
    }
}

async fn stats(State(s): State<Arc<ReplicaState>>) -> Response {
    serde_json::json!({"requests": s.requests()}).to_string().into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    const DS: (&str, &str) = ("dataset", "PRODUCTION_PER_GROUP_MBA_HOUR");

    #[test]
    fn one_month_is_the_limit() {
        let ok = parse_request(
            &params(&[
                DS,
                ("startDate", "2021-01-01T00:00:00+01:00"),
                ("endDate", "2021-02-01T00:00:00+01:00"),
            ]),
            None,
        );
        assert_eq!(ok.map(|r| (r.end - r.start).num_hours()).ok(), Some(744));
        let too_long = parse_request(
            &params(&[
                DS,
                ("startDate", "2021-01-01T00:00:00+01:00"),
                ("endDate", "2021-02-02T00:00:00+01:00"),
            ]),
            None,
        );
        assert!(too_long.err().is_some_and(|e| e.contains("one month")));
    }

    #[test]
    fn a_missing_end_is_filled_with_a_month_and_bare_dates_are_local() {
        let r = parse_request(&params(&[DS, ("startDate", "2021-03-01")]), None).ok();
        assert_eq!(r.map(|r| (r.end - r.start).num_hours()), Some(743));
    }

    #[test]
    fn an_unencoded_plus_arrives_as_a_space_and_is_refused() {
        let r = parse_request(&params(&[DS, ("startDate", "2021-01-01T00:00:00 01:00")]), None);
        assert!(r.err().is_some_and(|e| e.contains("percent-encoded")));
    }

    #[test]
    fn stricter_limit_refuses_long_windows() {
        let p = params(&[DS, ("startDate", "2021-01-01"), ("endDate", "2021-01-09")]);
        assert!(parse_request(&p, Some(7)).is_err());
        assert!(parse_request(&p, Some(8)).is_ok());
    }

    #[test]
    fn fault_specs_parse() {
        assert_eq!(
            Faults::parse_sequence("503, 429:3,429:none,truncated,malformed,slow:250").ok(),
            Some(vec![
                Fault::Unavailable,
                Fault::TooManyRequests { retry_after: Some(3) },
                Fault::TooManyRequests { retry_after: None },
                Fault::Truncated,
                Fault::Malformed,
                Fault::Slow(Duration::from_millis(250)),
            ])
        );
        assert_eq!(
            Faults::parse_sequence("slowbody:900,empty").ok(),
            Some(vec![Fault::SlowBody(Duration::from_millis(900)), Fault::Empty])
        );
        assert!(Faults::parse_sequence("418").is_err());
    }
}
