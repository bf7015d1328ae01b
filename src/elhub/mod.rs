//! Everything that knows the Elhub Energy Data API: request windows, payloads, the client,
//! and the local replica with its deterministic data.

pub mod client;
pub mod generator;
pub mod payload;
pub mod replica;
pub mod windows;

pub use client::{ClientConfig, ElhubClient, FetchError, FetchEvent};
pub use payload::{parse_window, ParsedWindow};
pub use windows::Window;
