//! A local server with the API's shape (ELHUB_API.md) over the deterministic generator, with
//! switches that inject faults. Tests, benchmarks, CI and users without internet use it.
//!
//! Serves `/{entity}` and `/{entity}/{id}` for every entity kind of the catalogue (also under
//! `/energy-data/v0`), every catalogued dataset with its window limit (a municipality request
//! longer than a day gets 400), the group filters, 404 for an entity with no data, the change
//! feed `/updates` (every day settled or revised since `lastUpdated`), and control endpoints
//! under `/_replica/` (faults, revisions of a month or a day, stats, the request log) for tests
//! that drive the binary.

pub mod faults;
pub mod generator;
pub mod places;
pub mod render;

use std::collections::{BTreeMap, HashMap};
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

pub use faults::{Fault, Faults, FeedFault};
pub use generator::Revised;

use crate::model::{local_midnight_utc, Dataset, EntityKind, Month, Record, Window, WindowLimit, LOCAL_TZ};

/// One request as the replica saw it, for tests that assert what a client asked.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LoggedRequest {
    /// Milliseconds since the replica started.
    pub ms: u64,
    /// Path and query as sent.
    pub path: String,
}

/// How a local day of a dataset was revised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct DayRevision {
    /// How often.
    count: u32,
    /// The `lastUpdatedTime` its steps carry: the time of the last revision, but never before
    /// the month settled nor at or before the stamp of the revision before (Unix seconds).
    stamp: i64,
    /// When the last revision was made (Unix seconds): what the change feed goes by.
    made: i64,
}

/// The request log keeps at most this many requests (the oldest go first).
const REQUEST_LOG: usize = 200_000;

/// Shared state of a running replica.
#[derive(Debug)]
pub struct ReplicaState {
    faults: Mutex<Faults>,
    attempts: Mutex<HashMap<String, usize>>,
    /// Per revised local day of a dataset.
    revisions: Mutex<BTreeMap<(Dataset, NaiveDate), DayRevision>>,
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
            revisions: Mutex::new(BTreeMap::new()),
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

    /// Publishes a revision of every day of a month (so far): new values and a later
    /// `lastUpdatedTime`, now; the days appear in the change feed. Returns how often the month's
    /// most revised day has been revised.
    pub fn revise(&self, dataset: Dataset, month: Month) -> u32 {
        let days: Vec<NaiveDate> =
            month.first_day().iter_days().take_while(|d| *d < month.next().first_day()).collect();
        self.revise_days(dataset, &days)
    }

    /// Publishes a revision of one local day.
    pub fn revise_day(&self, dataset: Dataset, day: NaiveDate) -> u32 {
        self.revise_days(dataset, &[day])
    }

    fn revise_days(&self, dataset: Dataset, days: &[NaiveDate]) -> u32 {
        let mut revisions = lock(&self.revisions);
        let made = Utc::now().timestamp();
        let mut most = 0;
        for day in days.iter().filter(|d| local_midnight_utc(**d) < self.until) {
            let settled = generator::settled_at(local_midnight_utc(*day).timestamp());
            let r = revisions.entry((dataset, *day)).or_insert(DayRevision { count: 0, stamp: 0, made });
            *r = DayRevision { count: r.count + 1, stamp: made.max(settled + 1).max(r.stamp + 1), made };
            most = most.max(r.count);
        }
        lock(&self.bodies).clear();
        most
    }

    /// The revised days of a dataset as spans, sorted.
    pub fn revised(&self, dataset: Dataset) -> Vec<Revised> {
        lock(&self.revisions)
            .iter()
            .filter(|((d, _), _)| *d == dataset)
            .map(|((_, day), r)| Revised {
                from: local_midnight_utc(*day).timestamp(),
                to: local_midnight_utc(day.succ_opt().unwrap_or(*day)).timestamp(),
                count: r.count,
                stamp: r.stamp,
            })
            .collect()
    }

    /// The local days of a dataset that settled, or were revised, in [since, now]: what
    /// `/updates` lists. A revision counts when it was made, even before its month settled.
    pub fn changed_days(&self, dataset: Dataset, since: DateTime<Utc>, now: DateTime<Utc>) -> Vec<NaiveDate> {
        let made: HashMap<NaiveDate, i64> = lock(&self.revisions)
            .iter()
            .filter(|((d, _), _)| *d == dataset)
            .map(|((_, day), r)| (*day, r.made))
            .collect();
        let (since, now) = (since.timestamp(), now.timestamp());
        let mut out = Vec::new();
        let mut month = dataset.spec().first_month;
        let last = Month::containing(self.until);
        while month <= last {
            let settled = generator::settled_at(month.start_utc().timestamp());
            let mut day = month.first_day();
            while day < month.next().first_day() && local_midnight_utc(day) < self.until {
                let window = since..=now;
                if window.contains(&settled) || made.get(&day).is_some_and(|t| window.contains(t)) {
                    out.push(day);
                }
                day = day.succ_opt().unwrap_or(day);
                if day == NaiveDate::MAX {
                    break;
                }
            }
            month = month.next();
        }
        out
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

    /// How often the most revised day of a month has been revised.
    pub fn revision(&self, dataset: Dataset, month: Month) -> u32 {
        let (from, to) = (month.start_utc().timestamp(), month.end_utc().timestamp());
        self.revised(dataset)
            .iter()
            .filter(|r| r.from >= from && r.from < to)
            .map(|r| r.count)
            .max()
            .unwrap_or(0)
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
        let revised = self.revised(dataset);
        let data = generator::window_data(
            dataset,
            Window { start: from, end: to },
            self.until,
            None,
            None,
            &revised,
        );
        data.records().collect()
    }

    /// The fault for this attempt of a request, if any.
    fn fault_for(&self, key: &str) -> (Option<Fault>, Duration, Option<i64>) {
        let faults = lock(&self.faults).clone();
        let selected = faults.every <= 1 || fnv(key).is_multiple_of(faults.every);
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
    let api = |prefix: &'static str| {
        Router::new()
            .route("/updates", get(move |s, h, p, q| updates(s, prefix, h, p, q)))
            .route("/{entity}", get(listing))
            .route("/{entity}/{id}", get(one_entity))
    };
    Router::new()
        .route("/_replica/faults", post(set_faults))
        .route("/_replica/revise", post(revise))
        .route("/_replica/stats", get(stats))
        .route("/_replica/requests", get(requests))
        .merge(api(""))
        .nest("/energy-data/v0", api("/energy-data/v0"))
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
    let revised = s.revised(request.dataset);
    let generate = || {
        generator::window_data(
            request.dataset,
            request.window,
            s.until,
            id,
            request.group.as_deref(),
            &revised,
        )
    };
    let body = match fault {
        Some(
            Fault::Empty
            | Fault::Outside
            | Fault::Huge
            | Fault::Hostile
            | Fault::Invalid
            | Fault::DropEntity
            | Fault::Twins,
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
        Some(Fault::Hostile) => {
            first.key.group = format!("{}\u{1b}]0;pwned\u{7}\u{1b}[2J\u{202E}lasrever", first.key.group)
        }
        Some(Fault::DropEntity) => {
            if let Some(gone) = data.entities.pop() {
                data.series.retain(|s| s.key.entity != gone.id);
            }
        }
        Some(Fault::Twins) => {
            let Some(real) = data.entities.first().cloned() else { return };
            let mut twin: Vec<crate::model::SeriesData> =
                data.series.iter().filter(|s| s.key.entity == real.id).cloned().collect();
            for p in twin.iter_mut().flat_map(|s| s.points.iter_mut()) {
                p.kwh = p.kwh * 2.0 + 1.0;
                p.updated += 86_400;
            }
            // The renderer takes series in entity order: the twins' come after everyone's.
            for _ in 0..10 {
                data.entities.push(crate::model::Entity { name: "Evil twin".into(), ..real.clone() });
                data.series.extend(twin.iter().cloned());
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
            feed: p.get("feed").filter(|v| !v.is_empty()).map(|v| v.parse()).transpose()?,
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

/// `POST /_replica/revise?dataset=production&month=2023-05` (or `&day=2023-05-03`): publishes a
/// revision now; answers how often the month's (or day's) data has been revised.
async fn revise(State(s): State<Arc<ReplicaState>>, Query(p): Params) -> Response {
    let dataset = p.get("dataset").map_or(Ok(Dataset::PRODUCTION), |d| d.parse());
    let revised = dataset.and_then(|d| match (p.get("month"), p.get("day")) {
        (Some(m), None) => m.parse::<Month>().map(|m| s.revise(d, m)),
        (None, Some(day)) => NaiveDate::parse_from_str(day, "%Y-%m-%d")
            .map(|day| s.revise_day(d, day))
            .map_err(|_| format!("day '{day}' is not YYYY-MM-DD")),
        _ => Err("give one of month=YYYY-MM or day=YYYY-MM-DD".into()),
    });
    match revised {
        Ok(n) => n.to_string().into_response(),
        Err(e) => json_error(StatusCode::BAD_REQUEST, &e),
    }
}

/// Items per page of the change feed; `links.next` leads on.
const UPDATES_PAGE: usize = 500;

/// `GET /updates?dataset=..&lastUpdated=..[&page=N]`: one item per local day of the dataset
/// settled or revised since `lastUpdated` (default: the last 24 hours), in the documented shape
/// (`{"type":"updates","id":"20241030_consumption_per_group_mba_hour","links":{"href":..}}`),
/// oldest day first, paged.
async fn updates(
    State(s): State<Arc<ReplicaState>>,
    prefix: &str,
    headers: axum::http::HeaderMap,
    Query(p): Params,
    RawQuery(q): RawQuery,
) -> Response {
    s.log_request(&format!("/updates?{}", q.unwrap_or_default()));
    let faults = lock(&s.faults).clone();
    if !faults.latency.is_zero() {
        tokio::time::sleep(faults.latency).await;
    }
    match faults.feed {
        Some(FeedFault::Status(code)) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            return json_error(status, "The change feed is not available");
        }
        Some(FeedFault::Malformed) => {
            return (StatusCode::OK, "{\"data\": [ <html>oops</html>").into_response()
        }
        Some(FeedFault::BadItems | FeedFault::Silent | FeedFault::Endless) | None => {}
    }
    let Some(dataset) = p.get("dataset").and_then(|d| Dataset::from_api_name(d)) else {
        return json_error(StatusCode::BAD_REQUEST, "The query parameter 'dataset' must name a dataset");
    };
    let now = Utc::now();
    let since = match p.get("lastUpdated").map(|v| parse_date(v, "lastUpdated")).transpose() {
        Ok(since) => since.unwrap_or(now - chrono::Duration::hours(24)),
        Err(e) => return json_error(StatusCode::BAD_REQUEST, &e),
    };
    let page = p.get("page").and_then(|n| n.parse::<usize>().ok()).unwrap_or(1).max(1);
    let mut days = s.changed_days(dataset, since, now);
    match faults.feed {
        Some(FeedFault::Silent) => days.clear(),
        // Every page is the first page again, with a next link, forever.
        Some(FeedFault::Endless) => days.truncate(UPDATES_PAGE.min(days.len().max(1))),
        _ => {}
    }
    let page = if faults.feed == Some(FeedFault::Endless) { 1 } else { page };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1");
    let base = format!("http://{host}{prefix}");
    let link = |path: &str, pairs: &[(&str, String)]| -> String {
        let mut url = reqwest::Url::parse(&format!("{base}/{path}")).unwrap_or_else(|_| {
            reqwest::Url::parse("http://127.0.0.1/").unwrap_or_else(|_| unreachable!("a valid URL"))
        });
        url.query_pairs_mut().extend_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str())));
        url.to_string()
    };
    let lower = dataset.api_name().to_lowercase();
    let items: Vec<serde_json::Value> = days
        .iter()
        .skip((page - 1) * UPDATES_PAGE)
        .take(UPDATES_PAGE)
        .map(|day| {
            let window = Window::of_day(*day);
            let href = link(
                dataset.entity().path(),
                &[
                    ("dataset", dataset.api_name().to_string()),
                    ("startDate", crate::model::format_local(window.start)),
                    ("endDate", crate::model::format_local(window.end)),
                ],
            );
            serde_json::json!({"type": "updates", "id": format!("{}_{lower}", day.format("%Y%m%d")), "links": {"href": href}})
        })
        .collect();
    let mut items = items;
    if faults.feed == Some(FeedFault::BadItems) {
        items.splice(0..0, [serde_json::Value::Null, 42.into(), "x".into()]);
    }
    let next_page = p.get("page").and_then(|n| n.parse::<usize>().ok()).unwrap_or(1).max(1) + 1;
    let mut links = serde_json::json!({});
    if days.len() > page * UPDATES_PAGE || faults.feed == Some(FeedFault::Endless) {
        links["next"] = link(
            "updates",
            &[
                ("dataset", lower.clone()),
                ("lastUpdated", crate::model::format_local(since)),
                ("page", next_page.to_string()),
            ],
        )
        .into();
    }
    let body = serde_json::json!({"data": items, "links": links, "meta": {"created": crate::model::format_local(now)}});
    ([(header::CONTENT_TYPE, "application/vnd.api+json")], body.to_string()).into_response()
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
