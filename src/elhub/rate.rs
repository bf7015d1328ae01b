//! Request spacing: at most `per_second` requests start in any second (the API's published
//! limit is 5 per second per address), on top of the concurrency bound. Requests are spaced a
//! tenth more than 1/`per_second` apart, so even arrivals jittered by the network by up to that
//! much never make one too many in a second at the server. A 429 doubles the spacing (up to
//! `MAX_INTERVAL`); each success takes a tenth of the extra back, so the rate recovers once the
//! API stops complaining.
//!
//! Hand-written rather than `governor`: that crate has no notion of slowing down on 429, and
//! this is thirty lines.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// The slowest spacing a run of 429s can push the limiter to.
const MAX_INTERVAL: Duration = Duration::from_secs(10);

#[derive(Debug)]
pub struct RateLimiter {
    base: Duration,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    /// The earliest start of the next request.
    next: Instant,
    interval: Duration,
}

impl RateLimiter {
    /// A limiter of `per_second` requests (fractions allowed), or none when it is not positive.
    pub fn new(per_second: f64) -> Option<RateLimiter> {
        (per_second > 0.0 && per_second.is_finite()).then(|| {
            let base = Duration::from_secs_f64(1.1 / per_second);
            RateLimiter { base, state: Mutex::new(State { next: Instant::now(), interval: base }) }
        })
    }

    /// Waits for this request's slot.
    pub async fn acquire(&self) {
        let slot = {
            let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
            let slot = s.next.max(Instant::now());
            s.next = slot + s.interval;
            slot
        };
        tokio::time::sleep_until(slot).await;
    }

    /// The API said 429: space requests further apart.
    pub fn slow_down(&self) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.interval = (s.interval * 2).min(MAX_INTERVAL.max(self.base));
        tracing::info!(
            interval_ms = s.interval.as_millis() as u64,
            "HTTP 429: requests spaced further apart"
        );
    }

    /// A request succeeded: recover a tenth of the way to the configured rate.
    pub fn recover(&self) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if s.interval > self.base {
            s.interval = self.base + (s.interval - self.base) * 9 / 10;
        }
    }

    /// The current spacing.
    pub fn interval(&self) -> Duration {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).interval
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn spaces_requests_and_slows_down_on_429() {
        let limiter = RateLimiter::new(5.0).unwrap();
        let started = Instant::now();
        for _ in 0..11 {
            limiter.acquire().await;
        }
        // Eleven slots 220 ms apart: the last starts 2.2 s after the first, and no six fall in
        // one second.
        assert_eq!(started.elapsed(), Duration::from_millis(2200));
        limiter.slow_down();
        limiter.slow_down();
        assert_eq!(limiter.interval(), Duration::from_millis(880));
        for _ in 0..40 {
            limiter.recover();
        }
        assert!(limiter.interval() < Duration::from_millis(233), "{:?}", limiter.interval());
        assert!(limiter.interval() >= Duration::from_millis(220));
        assert!(RateLimiter::new(0.0).is_none(), "0 means no limit");
    }
}
