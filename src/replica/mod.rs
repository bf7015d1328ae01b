//! A local server with the API's shape (ELHUB_API.md) over the deterministic generator, with
//! switches that inject faults. Tests, benchmarks, CI and users without internet use it.
//!
//! Serves `/{entity}` and `/{entity}/{id}` for every entity kind of the catalogue (also under
//! `/energy-data/v0`), every catalogued dataset with its window limit (a municipality request
//! longer than a day gets 400), the group filters, 404 for an entity with no data, and control
//! endpoints under `/_replica/` (faults, revisions, stats, the request log) for tests that drive
//! the binary.

pub mod faults;
pub mod generator;
pub mod places;
pub mod render;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path, Query, RawQuery, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::{DateTime, Months, NaiveDate, Utc};

pub use faults::{Fault, Faults};

use crate::model::{local_midnight_utc, Dataset, EntityKind, Month, Record, Window, WindowLimit, LOCAL_TZ};

/// One request as the replica saw it, for tests that assert what a client asked.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LoggedRequest {
    /// Milliseconds since the replica started.
    pub ms: u64,
    /// Path and query as sent.
    pub path: String,
}

/// The request log keeps at most this many requests (the oldest go first).
const REQUEST_LOG: usize = 200_000;

/// Shared state of a running replica.
#[derive(Debug)]
pub struct ReplicaState {
    faults: Mutex<Faults>,
    attempts: Mutex<HashMap<String, usize>>,
    revisions: Mutex<HashMap<(Dataset, Month), u32>>,
    requests: AtomicU64,
    log: Mutex<Vec<LoggedRequest>>,
    started: Instant,
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
            log: Mutex::new(Vec::new()),
            started: Instant::now(),
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

    /// The body rendered earlier for a request, if it is still kept.
    fn cached(&self, key: &str) -> Option<Arc<Vec<u8>>> {
        lock(&self.bodies).get(key).cloned()
    }

    /// Keeps a rendered body for the next request of the same key.
    fn keep(&self, key: &str, body: Vec<u8>) -> Arc<Vec<u8>> {
        let body = Arc::new(body);
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

    /// The requests served so far, oldest first.
    pub fn request_log(&self) -> Vec<LoggedRequest> {
        lock(&self.log).clone()
    }

    pub fn until(&self) -> DateTime<Utc> {
        self.until
    }

    /// What the replica serves for a range, every entity: the tests' expectation.
    pub fn records(&self, dataset: Dataset, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Record> {
        let revisions = lock(&self.revisions).clone();
        let data =
            generator::window_data(dataset, Window { start: from, end: to }, self.until, None, None, &|m| {
                revisions.get(&(dataset, m)).copied().unwrap_or(0)
            });
        data.records().collect()
    }

    /// The fault for this attempt of a request, if any.
    fn fault_for(&self, key: &str) -> (Option<Fault>, Duration, Option<i64>) {
        let faults = lock(&self.faults).clone();
        let selected = faults.every <= 1 || fnv(key) % faults.every == 0;
        let mut attempts = lock(&self.attempts);
        let n = attempts.entry(key.to_string()).or_insert(0);
        // A redirect loop redirects every request it selects, not just the first attempts.
        let sticky = faults.sequence.contains(&Fault::RedirectLoop).then_some(Fault::RedirectLoop);
        let fault = if selected { sticky.or_else(|| faults.sequence.get(*n).copied()) } else { None };
        *n += 1;
        (fault, faults.latency, faults.max_days)
    }

    fn log_request(&self, path: &str) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let mut log = lock(&self.log);
        if log.len() >= REQUEST_LOG {
            log.drain(..REQUEST_LOG / 2);
        }
        log.push(LoggedRequest { ms: self.started.elapsed().as_millis() as u64, path: path.to_string() });
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
    let api = Router::new().route("/{entity}", get(listing)).route("/{entity}/{id}", get(one_entity));
    Router::new()
        .route("/_replica/faults", post(set_faults))
        .route("/_replica/revise", post(revise))
        .route("/_replica/stats", get(stats))
        .route("/_replica/requests", get(requests))
        .merge(api.clone())
        .nest("/energy-data/v0", api)
        .with_state(state)
}

type Params = Query<HashMap<String, String>>;

async fn listing(
    State(s): State<Arc<ReplicaState>>,
    Path(entity): Path<String>,
    Query(p): Params,
    RawQuery(q): RawQuery,
) -> Response {
    let key = format!("/{entity}?{}", q.unwrap_or_default());
    answer(&s, &entity, None, &p, &key).await
}

async fn one_entity(
    State(s): State<Arc<ReplicaState>>,
    Path((entity, id)): Path<(String, String)>,
    Query(p): Params,
    RawQuery(q): RawQuery,
) -> Response {
    let key = format!("/{entity}/{id}?{}", q.unwrap_or_default());
    answer(&s, &entity, Some(&id), &p, &key).await
}

async fn answer(
    s: &ReplicaState,
    entity: &str,
    id: Option<&str>,
    p: &HashMap<String, String>,
    key: &str,
) -> Response {
    s.log_request(key);
    let Some(kind) = EntityKind::from_path(entity) else {
        return json_error(StatusCode::NOT_FOUND, &format!("Unknown resource '{entity}'"));
    };
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
        Some(Fault::RetryAt(secs)) => {
            let mut r = json_error(StatusCode::TOO_MANY_REQUESTS, "Too many requests");
            let at = Utc::now() + chrono::Duration::seconds(secs as i64);
            let date = at.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
            if let Ok(v) = HeaderValue::from_str(&date) {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
            return r;
        }
        Some(Fault::RedirectLoop) => {
            let mut r = StatusCode::FOUND.into_response();
            if let Ok(v) = HeaderValue::from_str(key) {
                r.headers_mut().insert(header::LOCATION, v);
            }
            return r;
        }
        Some(Fault::Endless) => return endless(),
        Some(Fault::Slow(d)) => tokio::time::sleep(d).await,
        Some(Fault::NoData) => return json_error(StatusCode::NOT_FOUND, "No data found for the period"),
        _ => {}
    }
    let request = match parse_request(kind, p, max_days) {
        Ok(r) => r,
        Err(message) => return json_error(StatusCode::BAD_REQUEST, &message),
    };
    if let Some(id) = id {
        if places::place(kind, id).is_none() {
            return json_error(StatusCode::NOT_FOUND, &format!("The {} '{id}' was not found", kind.noun()));
        }
    }
    let revision = |m: Month| s.revision(request.dataset, m);
    let generate = || {
        generator::window_data(
            request.dataset,
            request.window,
            s.until,
            id,
            request.group.as_deref(),
            &revision,
        )
    };
    let body = match fault {
        Some(
            Fault::Empty | Fault::Outside | Fault::Huge | Fault::Hostile | Fault::Invalid | Fault::DropEntity,
        ) => {
            let mut data = generate();
            spoil(&mut data, fault);
            let body = render::render(&data, id.is_none(), key, Utc::now().timestamp());
            let body = if fault == Some(Fault::Invalid) {
                String::from_utf8_lossy(&body).replace("\"quantityKwh\":", "\"quantityKwhX\":").into_bytes()
            } else {
                body
            };
            Arc::new(body)
        }
        Some(Fault::NoDataMember) => Arc::new(br#"{"links":{},"meta":{"created":"now"}}"#.to_vec()),
        _ => match s.cached(key) {
            Some(cached) => cached,
            None => {
                let data = generate();
                if id.is_some() && data.is_empty() {
                    return json_error(StatusCode::NOT_FOUND, "No data found for the entity in the period");
                }
                s.keep(key, render::render(&data, id.is_none(), key, Utc::now().timestamp()))
            }
        },
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

/// The data of a window, spoiled as a fault asks.
fn spoil(data: &mut crate::model::WindowData, fault: Option<Fault>) {
    let window_start = data.window.start.timestamp();
    let Some(first) = data.series.first_mut() else { return };
    match fault {
        Some(Fault::Empty) => data.series.clear(),
        Some(Fault::Outside) => {
            // Two weeks before the window, revised later than anything stored, another value.
            let start = window_start - 14 * 86_400;
            let updated = first.points.iter().map(|p| p.updated).max().unwrap_or(0) + 86_400;
            first.points.insert(0, crate::model::Point { start, kwh: 1.0, updated, metering_points: None });
        }
        Some(Fault::Huge) => {
            if let Some(p) = first.points.first_mut() {
                p.kwh = 1e308;
            }
        }
        Some(Fault::Hostile) => first.key.group = format!("{}\u{1b}]0;pwned\u{7}\u{1b}[2J", first.key.group),
        Some(Fault::DropEntity) => {
            if let Some(gone) = data.entities.pop() {
                data.series.retain(|s| s.key.entity != gone.id);
            }
        }
        _ => {}
    }
}

/// A body that never ends: 64 KiB chunks of a records array, until 4 GiB or 60 s (a test's
/// client gives up long before; the bound keeps a stray run from filling the machine).
fn endless() -> Response {
    let started = Instant::now();
    let chunk: Vec<u8> = br#"{"startTime":"2021-01-01T00:00:00+01:00"},"#.repeat(1600);
    let head = br#"{"data":[{"id":"NO1","attributes":{"productionPerGroupMbaHour":["#.to_vec();
    let stream = futures_util::stream::unfold(0u64, move |sent| {
        let (chunk, head) = (chunk.clone(), head.clone());
        async move {
            if sent >= 4 << 30 || started.elapsed() > Duration::from_secs(60) {
                return None;
            }
            let piece = if sent == 0 { head } else { chunk };
            let n = piece.len() as u64;
            tokio::task::yield_now().await;
            Some((Ok::<_, std::io::Error>(piece), sent + n))
        }
    });
    ([(header::CONTENT_TYPE, "application/vnd.api+json")], axum::body::Body::from_stream(stream))
        .into_response()
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
    window: Window,
    group: Option<String>,
}

fn parse_request(
    kind: EntityKind,
    p: &HashMap<String, String>,
    max_days: Option<i64>,
) -> Result<ApiRequest, String> {
    let dataset_name = p.get("dataset").ok_or("The query parameter 'dataset' is required")?;
    let dataset =
        Dataset::from_api_name(dataset_name).ok_or_else(|| format!("Unknown dataset '{dataset_name}'"))?;
    if dataset.entity() != kind {
        return Err(format!("Invalid dataset for {} entity", kind.noun()));
    }
    let start =
        parse_date(p.get("startDate").ok_or("The query parameter 'startDate' is required")?, "startDate")?;
    let local = start.with_timezone(&LOCAL_TZ);
    let (longest, limit) = match dataset.spec().window {
        WindowLimit::Month => (local.checked_add_months(Months::new(1)), "one month"),
        WindowLimit::Day => (local.checked_add_days(chrono::Days::new(1)), "one day"),
    };
    let longest = longest.map(|t| t.to_utc());
    let end = match p.get("endDate") {
        Some(e) => parse_date(e, "endDate")?,
        None => longest.ok_or("startDate out of range")?, // the API fills in the maximum range
    };
    if end <= start {
        return Err("endDate must be after startDate".into());
    }
    if longest.is_some_and(|l| end > l) {
        return Err(format!("The period between startDate and endDate must not exceed {limit}"));
    }
    if let Some(days) = max_days {
        if end - start > chrono::Duration::days(days) + chrono::Duration::hours(1) {
            return Err(format!("The period must not exceed {days} days"));
        }
    }
    let group = p.get(dataset.group_field()).cloned();
    Ok(ApiRequest { dataset, window: Window { start, end }, group })
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

fn json_error(status: StatusCode, detail: &str) -> Response {
    let body = serde_json::json!({"errors": [{"status": status.as_u16().to_string(), "title": status.canonical_reason(), "detail": detail}]});
    (status, [(header::CONTENT_TYPE, "application/vnd.api+json")], body.to_string()).into_response()
}

async fn set_faults(State(s): State<Arc<ReplicaState>>, Query(p): Params) -> Response {
    let number = |name: &str, default: u64| -> Result<u64, String> {
        p.get(name).map_or(Ok(default), |v| v.parse().map_err(|_| format!("{name} must be a number")))
    };
    let parsed = (|| -> Result<Faults, String> {
        Ok(Faults {
            sequence: Faults::parse_sequence(p.get("sequence").map_or("", String::as_str))?,
            every: number("every", 1)?,
            latency: Duration::from_millis(number("latency_ms", 0)?),
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
    let dataset = p.get("dataset").map_or(Ok(Dataset::PRODUCTION), |d| d.parse());
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

async fn requests(State(s): State<Arc<ReplicaState>>) -> Response {
    serde_json::to_string(&s.request_log()).unwrap_or_default().into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    const DS: (&str, &str) = ("dataset", "PRODUCTION_PER_GROUP_MBA_HOUR");
    const MUNI: (&str, &str) = ("dataset", "CONSUMPTION_PER_GROUP_MUNICIPALITY_HOUR");

    fn hours(r: Result<ApiRequest, String>) -> Result<i64, String> {
        r.map(|r| r.window.hours())
    }

    #[test]
    fn each_dataset_has_its_window_limit() {
        let p = params(&[
            DS,
            ("startDate", "2021-01-01T00:00:00+01:00"),
            ("endDate", "2021-02-01T00:00:00+01:00"),
        ]);
        assert_eq!(hours(parse_request(EntityKind::PriceArea, &p, None)), Ok(744));
        let p = params(&[
            DS,
            ("startDate", "2021-01-01T00:00:00+01:00"),
            ("endDate", "2021-02-02T00:00:00+01:00"),
        ]);
        assert!(hours(parse_request(EntityKind::PriceArea, &p, None)).is_err_and(|e| e.contains("one month")));
        let day = params(&[
            MUNI,
            ("startDate", "2021-03-28T00:00:00+01:00"),
            ("endDate", "2021-03-29T00:00:00+02:00"),
        ]);
        assert_eq!(hours(parse_request(EntityKind::Municipality, &day, None)), Ok(23));
        let two = params(&[
            MUNI,
            ("startDate", "2021-03-28T00:00:00+01:00"),
            ("endDate", "2021-03-30T00:00:00+02:00"),
        ]);
        assert!(
            hours(parse_request(EntityKind::Municipality, &two, None)).is_err_and(|e| e.contains("one day"))
        );
        let only_start = params(&[MUNI, ("startDate", "2021-03-28")]);
        assert_eq!(
            hours(parse_request(EntityKind::Municipality, &only_start, None)),
            Ok(23),
            "a day is filled in"
        );
        let wrong =
            parse_request(EntityKind::Municipality, &params(&[DS, ("startDate", "2021-03-28")]), None);
        assert!(hours(wrong).is_err_and(|e| e == "Invalid dataset for municipality entity"));
    }

    #[test]
    fn a_missing_end_is_filled_with_a_month_and_bare_dates_are_local() {
        let r = parse_request(EntityKind::PriceArea, &params(&[DS, ("startDate", "2021-03-01")]), None);
        assert_eq!(hours(r), Ok(743));
    }

    #[test]
    fn an_unencoded_plus_arrives_as_a_space_and_is_refused() {
        let r = parse_request(
            EntityKind::PriceArea,
            &params(&[DS, ("startDate", "2021-01-01T00:00:00 01:00")]),
            None,
        );
        assert!(hours(r).is_err_and(|e| e.contains("percent-encoded")));
    }

    #[test]
    fn stricter_limit_refuses_long_windows() {
        let p = params(&[DS, ("startDate", "2021-01-01"), ("endDate", "2021-01-09")]);
        assert!(parse_request(EntityKind::PriceArea, &p, Some(7)).is_err());
        assert!(parse_request(EntityKind::PriceArea, &p, Some(8)).is_ok());
    }
}
