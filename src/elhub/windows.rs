//! Request windows as the catalogue says: one local month per request, or one local day for a
//! dataset the API serves a day at a time (a municipality year is 365 requests). Bounds are
//! local midnights sent with their UTC offset.

use chrono::{DateTime, Duration, Utc};

use crate::model::{Dataset, Month, Window, WindowLimit};

/// The requests that fetch `month` of `dataset`, leaving out days that have not begun at `now`.
pub fn request_windows(dataset: Dataset, month: Month, now: DateTime<Utc>) -> Vec<Window> {
    match dataset.spec().window {
        WindowLimit::Month => vec![Window::of_month(month)],
        WindowLimit::Day => {
            let mut out = Vec::with_capacity(31);
            let mut day = month.first_day();
            while day < month.next().first_day() {
                let w = Window::of_day(day);
                if w.start <= now {
                    out.push(w);
                }
                day += Duration::days(1);
            }
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn windows_follow_the_catalogue() {
        let now = Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap();
        let oct: Month = "2021-10".parse().unwrap();
        assert_eq!(request_windows(Dataset::PRODUCTION, oct, now), vec![Window::of_month(oct)]);
        let days = request_windows(Dataset::CONSUMPTION_MUNICIPALITY, oct, now);
        assert_eq!(days.len(), 31);
        assert_eq!(days.iter().map(Window::hours).sum::<i64>(), 745);
        assert_eq!(days[30].hours(), 25);
        let midday = Utc.with_ymd_and_hms(2021, 10, 3, 12, 0, 0).unwrap();
        assert_eq!(
            request_windows(Dataset::CONSUMPTION_MUNICIPALITY, oct, midday).len(),
            3,
            "days not yet begun are left out"
        );
    }
}
