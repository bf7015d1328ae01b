//! elhub-explorer: fetch, store and explore Norway's hourly electricity data from Elhub.
//! The modules below are the whole program; `main.rs` only calls `commands::main`.

#![forbid(unsafe_code)]

pub mod cli;
pub mod commands;
pub mod elhub;
pub mod export;
pub mod ingest;
pub mod model;
pub mod outfile;
pub mod replica;
pub mod report;
pub mod settings;
pub mod store;
pub mod summary;
pub mod tui;
