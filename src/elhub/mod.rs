//! The client of the Elhub Energy Data API: request windows, rate limiting, the HTTP client
//! with its retries, the payload parser and the change feed's. The replica (a local server of the same shape)
//! lives in `crate::replica`.

pub mod client;
pub mod payload;
pub mod rate;
pub mod updates;
pub mod windows;

pub use client::{Changes, ClientConfig, ElhubClient, FetchError, FetchEvent, DEFAULT_API_URL};
pub use payload::{parse_window, Parsed};
pub use windows::request_windows;
