//! The client of the Elhub Energy Data API: request windows, rate limiting, the HTTP client
//! with its retries, and the payload parser. The replica (a local server of the same shape)
//! lives in `crate::replica`.

pub mod client;
pub mod payload;
pub mod rate;
pub mod windows;

pub use client::{ClientConfig, ElhubClient, FetchError, FetchEvent, DEFAULT_API_URL};
pub use payload::{parse_window, Parsed};
pub use windows::request_windows;
