//! The HTTP client of the Energy Data API: one GET per window, spaced by the rate limiter,
//! retried with exponential backoff and jitter on 429 (honouring Retry-After, and slowing the
//! limiter), 5xx, connection errors, timeouts and truncated or unparsable bodies; a window
//! refused with 400 is split in halves down to single days. The change feed's pages go through
//! the same retries.

use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use reqwest::header::{HeaderMap, ACCEPT, RETRY_AFTER};
use reqwest::{StatusCode, Url};

use super::payload::{error_message, parse_window, Parsed};
use super::rate::RateLimiter;
use super::updates::{parse_updates, UpdatesPage};
use crate::model::{format_local, Dataset, Window, WindowData};

/// The API's base URL, unless configured otherwise.
pub const DEFAULT_API_URL: &str = "https://api.elhub.no/energy-data/v0";

/// How the client talks to the API.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Base URL, e.g. `https://api.elhub.no/energy-data/v0`.
    pub base_url: String,
    /// Whole-request timeout (connect, send, read the body).
    pub timeout: Duration,
    /// Retries after the first attempt of a request.
    pub max_retries: usize,
    /// First backoff delay; doubles per retry, with jitter.
    pub min_backoff: Duration,
    pub max_backoff: Duration,
    /// A Retry-After longer than this is capped (a broken header must not stall a cron job).
    pub max_retry_after: Duration,
    /// Requests started per second at most (0: no limit, for tests and benchmarks only).
    pub rate_limit: f64,
    /// The memory for response bodies, all in flight together (whatever the concurrency): a body
    /// waits for room, and one longer than this is a failed attempt (an endless body must not
    /// eat the machine's memory). The largest real window known, a month of every grid area, is
    /// about 100 MB.
    pub max_body_bytes: u64,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            base_url: DEFAULT_API_URL.to_string(),
            timeout: Duration::from_secs(60),
            max_retries: 6,
            min_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(120),
            rate_limit: 5.0,
            max_body_bytes: 256 << 20,
        }
    }
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum FetchError {
    #[error("invalid API URL '{url}': {reason}")]
    BadUrl { url: String, reason: String },
    #[error("HTTP {status} from the API: {message}")]
    Status { status: u16, message: String, retry_after: Option<Duration> },
    #[error("cannot connect to the API at {url}: {reason}")]
    Connect { url: String, reason: String },
    #[error("the API did not answer within {0:?}")]
    Timeout(Duration),
    #[error("{0}")]
    Body(String),
    #[error("the response body is larger than the limit of {limit} MB (api.max_body_mb)")]
    TooLarge { limit: u64 },
    #[error("the response bodies in flight filled the memory budget of {limit} MB (api.max_body_mb){}", if waited.is_zero() { String::new() } else { format!(" for {waited:?}") })]
    BudgetFull { limit: u64, waited: Duration },
    #[error("the API at {0} redirected too many times (a redirect loop)")]
    Redirects(String),
    #[error("HTTP client error: {0}")]
    Client(String),
}

pub type Result<T> = std::result::Result<T, FetchError>;

impl FetchError {
    /// Worth another attempt of the same request.
    pub fn is_retryable(&self) -> bool {
        match self {
            FetchError::Status { status, .. } => *status == 429 || *status == 408 || *status >= 500,
            FetchError::Connect { .. }
            | FetchError::Timeout(_)
            | FetchError::Body(_)
            | FetchError::TooLarge { .. }
            | FetchError::BudgetFull { .. } => true,
            FetchError::BadUrl { .. } | FetchError::Client(_) | FetchError::Redirects(_) => false,
        }
    }

    /// A short reason for the progress pane, e.g. `503` or `timeout`.
    pub fn short_reason(&self) -> String {
        match self {
            FetchError::Status { status, .. } => format!("HTTP {status}"),
            FetchError::Connect { .. } => "connection failed".into(),
            FetchError::Timeout(_) => "timeout".into(),
            FetchError::Body(_) => "bad body".into(),
            FetchError::TooLarge { .. } => "body too large".into(),
            FetchError::BudgetFull { .. } => "memory budget full".into(),
            FetchError::Redirects(_) => "redirect loop".into(),
            FetchError::BadUrl { .. } | FetchError::Client(_) => "client error".into(),
        }
    }
}

/// Retries of a request whose connection failed.
const CONNECT_RETRIES: usize = 3;

/// Retries of a change feed page at most.
const FEED_RETRIES: usize = 2;

/// Pages of the change feed followed at most (a loop of `next` links must end).
const MAX_FEED_PAGES: usize = 1000;

/// What the change feed says changed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Changes {
    /// Local days whose data changed.
    pub days: std::collections::BTreeSet<chrono::NaiveDate>,
    /// Items not understood, or about another dataset.
    pub skipped: usize,
}

/// A response as read: status, body, and Retry-After; the body's share of the memory budget is
/// held until the answer is dropped.
struct Answer {
    status: StatusCode,
    body: Vec<u8>,
    retry_after: Option<Duration>,
    _budget: BodyBudget,
}

/// A share of the memory budget for response bodies, in KiB, given back when dropped.
struct BodyBudget {
    pool: std::sync::Arc<tokio::sync::Semaphore>,
    held: Option<tokio::sync::OwnedSemaphorePermit>,
    kib: u64,
}

impl BodyBudget {
    fn new(pool: &std::sync::Arc<tokio::sync::Semaphore>) -> BodyBudget {
        BodyBudget { pool: pool.clone(), held: None, kib: 0 }
    }

    /// Holds room for `bytes` in all: waiting up to `wait` for other bodies to give some back
    /// (only a body that holds nothing yet waits, so two bodies never wait on each other), or
    /// failing at once without `wait`.
    async fn reserve(&mut self, bytes: u64, wait: Option<Duration>, limit_mb: u64) -> Result<()> {
        let need = bytes.div_ceil(1024).saturating_sub(self.kib);
        if need == 0 {
            return Ok(());
        }
        let want = u32::try_from(need).map_err(|_| FetchError::TooLarge { limit: limit_mb })?;
        let more = match wait {
            Some(wait) => tokio::time::timeout(wait, self.pool.clone().acquire_many_owned(want))
                .await
                .map_err(|_| FetchError::BudgetFull { limit: limit_mb, waited: wait })?
                .map_err(|e| FetchError::Client(e.to_string()))?,
            None => self
                .pool
                .clone()
                .try_acquire_many_owned(want)
                .map_err(|_| FetchError::BudgetFull { limit: limit_mb, waited: Duration::ZERO })?,
        };
        match &mut self.held {
            Some(held) => held.merge(more),
            None => self.held = Some(more),
        }
        self.kib += need;
        Ok(())
    }
}

/// What happens inside one window's fetch, for progress reporting.
#[derive(Debug, Clone, PartialEq)]
pub enum FetchEvent {
    /// Attempt `attempt` (1 = first retry) will follow after `delay`.
    Retry { attempt: usize, reason: String, delay: Duration },
    /// The API refused `window` as too wide; it is fetched as two halves.
    Split { window: Window },
}

pub struct ElhubClient {
    http: reqwest::Client,
    base: Url,
    config: ClientConfig,
    limiter: Option<RateLimiter>,
    /// The memory budget for bodies in flight, in KiB.
    body_budget: std::sync::Arc<tokio::sync::Semaphore>,
}

impl ElhubClient {
    pub fn new(config: ClientConfig) -> Result<ElhubClient> {
        let bad = |reason: String| FetchError::BadUrl { url: config.base_url.clone(), reason };
        let mut base = Url::parse(config.base_url.trim_end_matches('/')).map_err(|e| bad(e.to_string()))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(bad("the scheme must be http or https".into()));
        }
        base.path_segments_mut().map_err(|_| bad("it cannot be a base URL".into()))?;
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, reqwest::header::HeaderValue::from_static("application/vnd.api+json"));
        let http = reqwest::Client::builder()
            .user_agent(concat!("elhub-explorer/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::limited(10))
            .default_headers(headers)
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(10)))
            .build()
            .map_err(|e| FetchError::Client(e.to_string()))?;
        let limiter = RateLimiter::new(config.rate_limit);
        let kib = usize::try_from(config.max_body_bytes.div_ceil(1024))
            .unwrap_or(usize::MAX)
            .min(tokio::sync::Semaphore::MAX_PERMITS);
        let body_budget = std::sync::Arc::new(tokio::sync::Semaphore::new(kib));
        Ok(ElhubClient { http, base, config, limiter, body_budget })
    }

    /// The spacing between request starts now (None without a rate limit): it grows on 429.
    pub fn request_spacing(&self) -> Option<Duration> {
        self.limiter.as_ref().map(RateLimiter::interval)
    }

    /// The URL of one window's request (`{base}/{entity}?dataset=..&startDate=..&endDate=..`),
    /// with the offsets' `+` percent-encoded.
    pub fn window_url(&self, dataset: Dataset, window: &Window) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().push(dataset.entity().path());
        }
        url.query_pairs_mut()
            .append_pair("dataset", dataset.api_name())
            .append_pair("startDate", &format_local(window.start))
            .append_pair("endDate", &format_local(window.end));
        url
    }

    /// Fetches and parses one window, retrying and splitting as needed.
    pub async fn fetch_window(
        &self,
        dataset: Dataset,
        window: Window,
        events: &(dyn Fn(FetchEvent) + Sync),
    ) -> Result<Parsed> {
        match self.fetch_with_retries(dataset, window, events).await {
            Err(FetchError::Status { status: 400, .. }) if window.split().is_some() => {
                let Some((first, second)) = window.split() else { unreachable!("checked by the guard") };
                events(FetchEvent::Split { window });
                let mut parsed = Box::pin(self.fetch_window(dataset, first, events)).await?;
                let second = Box::pin(self.fetch_window(dataset, second, events)).await?;
                parsed.data.absorb(second.data);
                parsed.fallback_key = parsed.fallback_key.or(second.fallback_key);
                Ok(parsed)
            }
            other => other,
        }
    }

    async fn fetch_with_retries(
        &self,
        dataset: Dataset,
        window: Window,
        events: &(dyn Fn(FetchEvent) + Sync),
    ) -> Result<Parsed> {
        let url = self.window_url(dataset, &window);
        let retries = self.config.max_retries;
        self.with_retries(
            &window.to_string(),
            retries,
            || self.fetch_once(dataset, window, url.clone()),
            events,
        )
        .await
    }

    /// `once`, retried with backoff as its errors allow, at most `retries` times.
    async fn with_retries<T, Fut>(
        &self,
        what: &str,
        retries: usize,
        once: impl FnMut() -> Fut,
        events: &(dyn Fn(FetchEvent) + Sync),
    ) -> Result<T>
    where
        Fut: std::future::Future<Output = Result<T>>,
    {
        let backoff = ExponentialBuilder::default()
            .with_min_delay(self.config.min_backoff)
            .with_max_delay(self.config.max_backoff)
            .with_max_times(retries)
            .with_jitter();
        let attempt = std::sync::atomic::AtomicUsize::new(0);
        once.retry(backoff)
            // A refused connection is retried a few times only: a host that is down stays down
            // for longer than a backoff, and the ingest gives up early when nothing connects.
            .when(|e| match e {
                FetchError::Connect { .. } => {
                    attempt.load(std::sync::atomic::Ordering::Relaxed) < CONNECT_RETRIES
                }
                e => e.is_retryable(),
            })
            .adjust(|err, delay| {
                // Honour Retry-After, but only while retries remain (`delay` is None when spent).
                match (err, delay) {
                    (FetchError::Status { retry_after: Some(after), .. }, Some(_)) => {
                        Some((*after).min(self.config.max_retry_after))
                    }
                    (_, delay) => delay,
                }
            })
            .notify(|err, delay| {
                if let (FetchError::Status { status: 429, .. }, Some(limiter)) = (err, &self.limiter) {
                    limiter.slow_down();
                }
                let n = attempt.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                tracing::info!(what, attempt = n, ?delay, "retrying: {err}");
                events(FetchEvent::Retry { attempt: n, reason: err.short_reason(), delay });
            })
            .await
    }

    /// One GET, spaced by the limiter: the status and the body, read up to the size limit.
    async fn get(&self, url: &Url) -> Result<Answer> {
        if let Some(limiter) = &self.limiter {
            limiter.acquire().await;
        }
        let mut response =
            self.http.get(url.clone()).send().await.map_err(|e| self.transport_error(url, e))?;
        let status = response.status();
        let retry_after = parse_retry_after(response.headers(), chrono::Utc::now());
        let limit = self.config.max_body_bytes;
        let too_large = FetchError::TooLarge { limit: limit >> 20 };
        if response.content_length().is_some_and(|n| n > limit) {
            return Err(too_large);
        }
        // Read piece by piece within the budget shared by every body in flight, so endless
        // bodies stop at the budget instead of at the memory's end, at any concurrency. A body
        // of known length waits for its whole room before reading; one that grows without a
        // length is refused at once when the room is not there (holding some, it must not wait
        // on others that hold the rest), and tried again later.
        let mut budget = BodyBudget::new(&self.body_budget);
        let expected = response.content_length().unwrap_or(0);
        budget.reserve(expected, Some(self.config.timeout), limit >> 20).await?;
        let mut body = Vec::with_capacity(expected as usize);
        loop {
            match response.chunk().await {
                Ok(Some(piece)) => {
                    let len = body.len() as u64 + piece.len() as u64;
                    if len > limit {
                        return Err(too_large);
                    }
                    // The vector may double its capacity: room is held for what it allocates.
                    let room = if len > body.capacity() as u64 {
                        len.max(2 * body.capacity() as u64).min(limit)
                    } else {
                        0
                    };
                    budget.reserve(room, None, limit >> 20).await?;
                    body.reserve_exact(room.saturating_sub(body.len() as u64) as usize);
                    body.extend_from_slice(&piece);
                }
                Ok(None) => break,
                Err(e) if e.is_timeout() => return Err(FetchError::Timeout(self.config.timeout)),
                Err(e) => return Err(FetchError::Body(format!("response body cut short: {e}"))),
            }
        }
        Ok(Answer { status, body, retry_after, _budget: budget })
    }

    async fn fetch_once(&self, dataset: Dataset, window: Window, url: Url) -> Result<Parsed> {
        let Answer { status, body, retry_after, _budget } = self.get(&url).await?;
        if status == StatusCode::NOT_FOUND && error_message(&body).to_ascii_lowercase().contains("no data") {
            return Ok(Parsed { data: WindowData::new(dataset, window), fallback_key: None });
        }
        if !status.is_success() {
            return Err(FetchError::Status {
                status: status.as_u16(),
                message: error_message(&body),
                retry_after,
            });
        }
        if let Some(limiter) = &self.limiter {
            limiter.recover();
        }
        // Parsing a month is a few milliseconds of CPU; keep it off the async workers, one
        // window at a time: the writer takes windows one by one anyway, and each thread that
        // parses at once would keep a glibc arena the size of a window (two months of
        // municipalities into MongoDB peaked 13-26 MB higher with up to four at once).
        // The turn goes into the parse: a fetch dropped meanwhile (a stop) leaves its parse
        // running, and that parse keeps the turn until it ends.
        static PARSING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);
        let turn = PARSING.acquire().await.map_err(|e| FetchError::Client(e.to_string()))?;
        tokio::task::spawn_blocking(move || {
            let _turn = turn;
            parse_window(&body, dataset, window)
        })
        .await
        .map_err(|e| FetchError::Client(e.to_string()))?
        .map_err(|e| FetchError::Body(e.to_string()))
    }

    /// The first page of the change feed for `dataset` since `since`.
    pub fn updates_url(&self, dataset: Dataset, since: chrono::DateTime<chrono::Utc>) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().push("updates");
        }
        url.query_pairs_mut()
            .append_pair("dataset", &dataset.api_name().to_ascii_lowercase())
            .append_pair("lastUpdated", &format_local(since));
        url
    }

    /// The local days of `dataset` the change feed lists as changed since `since`, following
    /// its pages; each page retried like a window.
    pub async fn changed_days(
        &self,
        dataset: Dataset,
        since: chrono::DateTime<chrono::Utc>,
        events: &(dyn Fn(FetchEvent) + Sync),
    ) -> Result<Changes> {
        let mut changes = Changes::default();
        let mut url = self.updates_url(dataset, since);
        let mut seen = std::collections::HashSet::new();
        let mut visited = std::collections::HashSet::new();
        for n in 1..=MAX_FEED_PAGES {
            if !visited.insert(url.to_string()) {
                return Err(FetchError::Body(format!(
                    "the change feed leads back to a page it gave (page {n})"
                )));
            }
            // A feed that fails costs a fallback, not the run: fewer retries than a window.
            let retries = self.config.max_retries.min(FEED_RETRIES);
            let page = self
                .with_retries("the change feed", retries, || self.updates_once(dataset, url.clone()), events)
                .await?;
            // A page of items all seen before leads nowhere: a feed that pages forever is cut off
            // here rather than after a thousand requests. An empty page ends the feed.
            let fresh = page.items.iter().filter(|i| !seen.contains(*i)).count();
            if fresh == 0 && !page.items.is_empty() {
                return Err(FetchError::Body(format!(
                    "the change feed repeats itself (page {n} brought nothing new)"
                )));
            }
            let empty = page.items.is_empty();
            seen.extend(page.items);
            changes.days.extend(page.days);
            changes.skipped += page.skipped;
            let Some(next) = page.next.filter(|_| !empty) else { return Ok(changes) };
            let next = url
                .join(&next)
                .map_err(|e| FetchError::Body(format!("the change feed's next page '{next}': {e}")))?;
            if next.origin() != self.base.origin() {
                return Err(FetchError::Body(format!(
                    "the change feed's next page is on another host ({})",
                    next.origin().ascii_serialization()
                )));
            }
            url = next;
        }
        Err(FetchError::Body(format!("the change feed has more than {MAX_FEED_PAGES} pages")))
    }

    async fn updates_once(&self, dataset: Dataset, url: Url) -> Result<UpdatesPage> {
        // The body's share of the memory budget is held until it is parsed.
        let Answer { status, body, retry_after, _budget } = self.get(&url).await?;
        if !status.is_success() {
            return Err(FetchError::Status {
                status: status.as_u16(),
                message: error_message(&body),
                retry_after,
            });
        }
        parse_updates(&body, dataset).map_err(FetchError::Body)
    }

    fn transport_error(&self, url: &Url, e: reqwest::Error) -> FetchError {
        if e.is_redirect() {
            FetchError::Redirects(url.origin().ascii_serialization())
        } else if e.is_timeout() {
            FetchError::Timeout(self.config.timeout)
        } else if e.is_connect() {
            let host = format!(
                "{}://{}",
                url.scheme(),
                url.host_str()
                    .map(|h| match url.port() {
                        Some(p) => format!("{h}:{p}"),
                        None => h.to_string(),
                    })
                    .unwrap_or_default()
            );
            let mut reason = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                reason = s.to_string();
                source = s.source();
            }
            FetchError::Connect { url: host, reason }
        } else {
            FetchError::Body(format!("request failed: {e}"))
        }
    }
}

/// Retry-After as seconds or as an HTTP date (RFC 9110 allows both; a date in the past means
/// now).
fn parse_retry_after(headers: &HeaderMap, now: chrono::DateTime<chrono::Utc>) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    Some((at.to_utc() - now).to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_url_encodes_the_offset_plus() {
        let client = ElhubClient::new(ClientConfig {
            base_url: "https://api.elhub.no/energy-data/v0/".into(),
            ..ClientConfig::default()
        })
        .unwrap();
        let w = Window::of_month("2021-01".parse().unwrap());
        let url = client.window_url(Dataset::PRODUCTION, &w).to_string();
        assert!(url.starts_with("https://api.elhub.no/energy-data/v0/price-areas?"), "{url}");
        assert!(url.contains("dataset=PRODUCTION_PER_GROUP_MBA_HOUR"), "{url}");
        assert!(url.contains("startDate=2021-01-01T00%3A00%3A00%2B01%3A00"), "{url}");
        assert!(!url.contains('+'), "{url}");
        let day = Window::of_day(chrono::NaiveDate::from_ymd_opt(2021, 3, 28).unwrap());
        let url = client.window_url(Dataset::CONSUMPTION_MUNICIPALITY, &day).to_string();
        assert_eq!(url, "https://api.elhub.no/energy-data/v0/municipalities?dataset=CONSUMPTION_PER_GROUP_MUNICIPALITY_HOUR&startDate=2021-03-28T00%3A00%3A00%2B01%3A00&endDate=2021-03-29T00%3A00%3A00%2B02%3A00");
    }

    #[test]
    fn rejects_a_url_that_is_not_http() {
        let err = ElhubClient::new(ClientConfig { base_url: "ftp://x".into(), ..ClientConfig::default() });
        assert!(matches!(err, Err(FetchError::BadUrl { .. })));
        let err = ElhubClient::new(ClientConfig { base_url: "not a url".into(), ..ClientConfig::default() });
        assert!(matches!(err, Err(FetchError::BadUrl { .. })));
    }

    #[test]
    fn classifies_retryable_errors() {
        let status = |s| FetchError::Status { status: s, message: String::new(), retry_after: None };
        assert!(status(429).is_retryable());
        assert!(status(503).is_retryable());
        assert!(!status(400).is_retryable());
        assert!(!status(403).is_retryable());
        assert!(FetchError::Body("x".into()).is_retryable());
    }

    #[test]
    fn reads_retry_after_seconds() {
        let mut h = HeaderMap::new();
        let now = chrono::DateTime::parse_from_rfc3339("2015-10-21T07:27:50Z").unwrap().to_utc();
        h.insert(RETRY_AFTER, "3".parse().unwrap());
        assert_eq!(parse_retry_after(&h, now), Some(Duration::from_secs(3)));
        h.insert(RETRY_AFTER, "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap());
        assert_eq!(parse_retry_after(&h, now), Some(Duration::from_secs(10)), "an HTTP date");
        h.insert(RETRY_AFTER, "Wed, 21 Oct 2015 07:00:00 GMT".parse().unwrap());
        assert_eq!(parse_retry_after(&h, now), Some(Duration::ZERO), "a date gone by");
        h.insert(RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(parse_retry_after(&h, now), None);
    }
}
