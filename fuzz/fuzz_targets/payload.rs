//! The payload parser on arbitrary bytes: it never panics, and every record it accepts keeps
//! the promises the rest of the program relies on, for every catalogued dataset.
#![no_main]

use elhub_explorer::elhub::parse_window;
use elhub_explorer::elhub::payload::MAX_QUANTITY_KWH;
use elhub_explorer::model::{Dataset, Window};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let window = Window::of_month("2021-01".parse().expect("month"));
    for dataset in Dataset::all() {
        if let Ok(parsed) = parse_window(data, dataset, window) {
            let step = dataset.resolution().seconds();
            for s in &parsed.data.series {
                assert!(!s.key.group.trim().is_empty() && !s.key.entity.is_empty());
                assert!(s.points.windows(2).all(|w| w[0].start < w[1].start), "sorted, one per start");
                for p in &s.points {
                    assert!(p.kwh.is_finite() && (0.0..=MAX_QUANTITY_KWH).contains(&p.kwh));
                    assert_eq!(p.start.rem_euclid(step), 0);
                    assert!(window.contains_secs(p.start));
                    assert!(dataset.has_metering_points() || p.metering_points.is_none());
                }
            }
        }
    }
});
