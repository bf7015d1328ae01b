//! The payload parser on arbitrary bytes: it never panics, and every record it accepts keeps
//! the promises the rest of the program relies on.
#![no_main]

use chrono::Timelike;
use elhub_explorer::elhub::parse_window;
use elhub_explorer::model::Dataset;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for dataset in Dataset::ALL {
        if let Ok(parsed) = parse_window(data, dataset) {
            for r in &parsed.records {
                assert!(r.quantity_kwh.is_finite() && r.quantity_kwh >= 0.0);
                assert_eq!((r.start.minute(), r.start.second(), r.start.nanosecond()), (0, 0, 0));
                assert!(!r.group.trim().is_empty());
                assert_eq!(r.metering_points.is_some(), dataset == Dataset::Consumption);
            }
        }
    }
});
