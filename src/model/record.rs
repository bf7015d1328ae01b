//! Records, series and fetched windows: what the client produces, the stores write and the
//! views read. A series is (dataset, entity, group); a record is one time step of a series,
//! keyed by its start instant in UTC, never by local wall-clock time.

use chrono::{DateTime, Duration, Utc};

use super::catalogue::{Dataset, EntityKind};
use super::time::{instant, Window};

/// A production or consumption group. The set is open: an unknown group is data, not an error.
pub type Group = String;

/// One record of one series, as exported and read back.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub dataset: Dataset,
    /// The entity's id: `NO1`, `0301`, a grid area's EIC.
    pub entity: String,
    pub group: Group,
    /// Start of the time step: the key.
    pub start: DateTime<Utc>,
    /// End of the time step: start plus the dataset's resolution (the parser rejects others).
    pub end: DateTime<Utc>,
    pub quantity_kwh: f64,
    pub last_updated: DateTime<Utc>,
    /// Where the dataset has it: how many metering points the volume covers.
    pub metering_points: Option<u32>,
}

impl Record {
    /// A record of `dataset` whose end follows from the dataset's resolution.
    pub fn new(dataset: Dataset, entity: &str, group: &str, point: &Point) -> Record {
        let start = instant(point.start);
        Record {
            dataset,
            entity: entity.to_string(),
            group: group.to_string(),
            start,
            end: start + Duration::seconds(dataset.resolution().seconds()),
            quantity_kwh: point.kwh,
            last_updated: instant(point.updated),
            metering_points: point.metering_points,
        }
    }

    pub fn point(&self) -> Point {
        Point {
            start: self.start.timestamp(),
            kwh: self.quantity_kwh,
            updated: self.last_updated.timestamp(),
            metering_points: self.metering_points,
        }
    }
}

/// One time step of a series on the write path: compact, with times as Unix seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub start: i64,
    pub kwh: f64,
    /// Elhub's `lastUpdatedTime`: a newer one replaces a stored value, an older one never does.
    pub updated: i64,
    pub metering_points: Option<u32>,
}

/// The (entity, group) of a series within a dataset.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SeriesKey {
    pub entity: String,
    pub group: Group,
}

impl SeriesKey {
    pub fn new(entity: &str, group: &str) -> SeriesKey {
        SeriesKey { entity: entity.to_string(), group: group.to_string() }
    }
}

/// The records of one series in a window, sorted by start.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesData {
    pub key: SeriesKey,
    pub points: Vec<Point>,
}

/// An entity as the API describes it: id, name as it came (municipality names may be
/// mis-encoded: they are shown, never refused), and the price area a grid area lies in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entity {
    pub kind: EntityKind,
    pub id: String,
    pub name: String,
    pub price_area: Option<String>,
}

/// How many rejection reasons are kept verbatim; the rest are only counted.
const KEPT_REASONS: usize = 5;

/// One fetched window of one dataset: its series, the entities they belong to, and what was
/// rejected. This is what the client produces and a store writes in one transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowData {
    pub dataset: Dataset,
    pub window: Window,
    pub series: Vec<SeriesData>,
    pub entities: Vec<Entity>,
    pub rejected: u64,
    /// The first few rejection reasons, for the log and the summary.
    pub rejection_samples: Vec<String>,
}

impl WindowData {
    pub fn new(dataset: Dataset, window: Window) -> WindowData {
        WindowData {
            dataset,
            window,
            series: Vec::new(),
            entities: Vec::new(),
            rejected: 0,
            rejection_samples: Vec::new(),
        }
    }

    /// Valid records in the window.
    pub fn len(&self) -> usize {
        self.series.iter().map(|s| s.points.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Counts a rejected record, keeping the first few reasons.
    pub fn reject(&mut self, reason: String) {
        self.rejected += 1;
        if self.rejection_samples.len() < KEPT_REASONS {
            self.rejection_samples.push(reason);
        }
    }

    /// Appends another part of the same window (a split request): its series, entities and
    /// rejections. Series are merged by key, entities by id.
    pub fn absorb(&mut self, other: WindowData) {
        self.window = Window {
            start: self.window.start.min(other.window.start),
            end: self.window.end.max(other.window.end),
        };
        let index: std::collections::HashMap<SeriesKey, usize> =
            self.series.iter().enumerate().map(|(i, x)| (x.key.clone(), i)).collect();
        for s in other.series {
            match index.get(&s.key) {
                Some(&i) => {
                    let x = &mut self.series[i];
                    let sorted = x.points.last().zip(s.points.first()).is_none_or(|(a, b)| a.start < b.start);
                    x.points.extend(s.points);
                    if !sorted {
                        x.points.sort_by_key(|p| p.start);
                    }
                }
                None => self.series.push(s),
            }
        }
        for e in other.entities {
            if !self.entities.iter().any(|x| x.id == e.id) {
                self.entities.push(e);
            }
        }
        self.rejected += other.rejected;
        let room = KEPT_REASONS.saturating_sub(self.rejection_samples.len());
        self.rejection_samples.extend(other.rejection_samples.into_iter().take(room));
    }

    /// Every record, series by series.
    pub fn records(&self) -> impl Iterator<Item = Record> + '_ {
        self.series.iter().flat_map(move |s| {
            s.points.iter().map(move |p| Record::new(self.dataset, &s.key.entity, &s.key.group, p))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Month;

    fn point(start: i64, kwh: f64) -> Point {
        Point { start, kwh, updated: 0, metering_points: None }
    }

    #[test]
    fn split_parts_merge_by_series_and_entity() {
        let m: Month = "2021-01".parse().unwrap();
        let (a_w, b_w) = Window::of_month(m).split().unwrap();
        let mut a = WindowData::new(Dataset::PRODUCTION, a_w);
        a.series.push(SeriesData { key: SeriesKey::new("NO1", "hydro"), points: vec![point(10, 1.0)] });
        a.entities.push(Entity {
            kind: EntityKind::PriceArea,
            id: "NO1".into(),
            name: "NO1".into(),
            price_area: None,
        });
        let mut b = WindowData::new(Dataset::PRODUCTION, b_w);
        b.series.push(SeriesData { key: SeriesKey::new("NO1", "hydro"), points: vec![point(5, 2.0)] });
        b.series.push(SeriesData { key: SeriesKey::new("NO2", "hydro"), points: vec![point(5, 3.0)] });
        b.entities.push(a.entities[0].clone());
        b.reject("bad".into());
        a.absorb(b);
        assert_eq!(a.window, Window::of_month(m));
        assert_eq!(a.series.len(), 2);
        assert_eq!(a.series[0].points.iter().map(|p| p.start).collect::<Vec<_>>(), [5, 10]);
        assert_eq!((a.entities.len(), a.rejected, a.len()), (1, 1, 3));
        let first = a.records().next().unwrap();
        assert_eq!((first.entity.as_str(), (first.end - first.start).num_seconds()), ("NO1", 3600));
    }
}
