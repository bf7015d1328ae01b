//! The answers the explorer holds: one generic `Cache` (want, answer, forget, and the last answer
//! shown while the next is on its way) per kind of query, the `Query` that names each, and the
//! `Answer` that comes back. The loop runs queries; nothing here does I/O.

use std::collections::HashMap;
use std::hash::Hash;

use super::selection::{Groups, Series};
use crate::model::{Dataset, Entity, EntityKind, Month};
use crate::store::{GroupTotal, MonthCoverage, PointCount, Scope, StepValue};
use crate::tui::series::PointMeans;

/// A query result in the cache.
#[derive(Debug, Clone, PartialEq)]
pub enum Loadable<T> {
    Loading,
    Ready(T),
    Failed(String),
}

impl<T> Loadable<T> {
    pub fn ready(&self) -> Option<&T> {
        match self {
            Loadable::Ready(v) => Some(v),
            _ => None,
        }
    }

    fn of(result: Result<T, String>) -> Loadable<T> {
        result.map_or_else(Loadable::Failed, Loadable::Ready)
    }
}

/// The answers to one kind of query, by key, and the key last shown ready.
#[derive(Debug, Clone)]
pub struct Cache<K, V> {
    entries: HashMap<K, Loadable<V>>,
    shown: Option<K>,
}

impl<K, V> Default for Cache<K, V> {
    fn default() -> Self {
        Cache { entries: HashMap::new(), shown: None }
    }
}

impl<K: Eq + Hash + Clone, V> Cache<K, V> {
    pub fn get(&self, key: &K) -> Option<&Loadable<V>> {
        self.entries.get(key)
    }

    pub fn ready(&self, key: &K) -> Option<&V> {
        self.get(key).and_then(Loadable::ready)
    }

    pub fn contains(&self, key: &K) -> bool {
        self.entries.contains_key(key)
    }

    /// Marks `key` as loading unless it is held or on its way; true when it must be asked for.
    pub fn want(&mut self, key: &K) -> bool {
        if self.entries.contains_key(key) {
            return false;
        }
        self.entries.insert(key.clone(), Loadable::Loading);
        true
    }

    pub fn answer(&mut self, key: K, result: Result<V, String>) {
        self.entries.insert(key, Loadable::of(result));
    }

    /// Drops `key`, to be asked again when next wanted.
    pub fn forget(&mut self, key: &K) {
        self.entries.remove(key);
    }

    pub fn retain(&mut self, keep: impl Fn(&K) -> bool) {
        self.entries.retain(|k, _| keep(k));
    }

    /// What a pane draws for `key`: its answer, or while that is on its way the last one shown
    /// ready (then `true`: stale), so moving on never blanks a pane.
    pub fn or_last(&self, key: &K) -> (Option<&Loadable<V>>, bool) {
        let current = self.get(key);
        match (current, self.shown.as_ref().and_then(|k| self.get(k))) {
            (None | Some(Loadable::Loading), Some(last @ Loadable::Ready(_))) => (Some(last), true),
            _ => (current, false),
        }
    }

    /// Remembers `key` as shown once its answer is ready, for `or_last`.
    pub fn mark_shown(&mut self, key: &K) {
        if matches!(self.get(key), Some(Loadable::Ready(_))) {
            self.shown = Some(key.clone());
        }
    }
}

/// The annual totals per group of one entity (or all), year and dataset.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TotalsKey {
    pub dataset: Dataset,
    pub entity: Scope,
    pub year: i32,
}

/// The steps of one series in one month, in kWh or in kWh per metering point.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CurveKey {
    pub series: Series,
    pub month: Month,
    pub per_point: bool,
}

/// The daily totals of one series over a local year.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct YearKey {
    pub series: Series,
    pub year: i32,
}

/// One group's total of a year for every entity of a dataset: the entities side by side.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SideKey {
    pub dataset: Dataset,
    pub group: Groups,
    pub year: i32,
}

/// The metering point counts of a year, of one entity or of every entity.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PointKey {
    pub dataset: Dataset,
    pub entity: Scope,
    pub year: i32,
}

/// A question for the store.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Query {
    Entities(EntityKind),
    Coverage(Dataset),
    Totals(TotalsKey),
    Curve(CurveKey),
    Year(YearKey),
    Side(SideKey),
    Points(PointKey),
}

impl Query {
    /// Whether it queues behind the curve pane's queries (else behind the totals pane's): one
    /// of each runs at a time.
    pub fn is_curve(&self) -> bool {
        matches!(self, Query::Curve(_) | Query::Year(_))
    }
}

/// The store's answer to a query.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    Entities(EntityKind, Result<Vec<Entity>, String>),
    Coverage(Dataset, Result<Vec<MonthCoverage>, String>),
    Totals(TotalsKey, Result<Vec<GroupTotal>, String>),
    Curve(CurveKey, Result<Vec<StepValue>, String>),
    Year(YearKey, Result<Vec<(i32, f64)>, String>),
    Side(SideKey, Result<Vec<(String, f64)>, String>),
    Points(PointKey, Result<Vec<PointCount>, String>),
}

impl Answer {
    /// The error, when the query failed.
    pub fn error(&self) -> Option<&str> {
        let e = match self {
            Answer::Entities(_, r) => r.as_ref().err(),
            Answer::Coverage(_, r) => r.as_ref().err(),
            Answer::Totals(_, r) => r.as_ref().err(),
            Answer::Curve(_, r) => r.as_ref().err(),
            Answer::Year(_, r) => r.as_ref().err(),
            Answer::Side(_, r) => r.as_ref().err(),
            Answer::Points(_, r) => r.as_ref().err(),
        };
        e.map(String::as_str)
    }
}

/// Every answer the explorer holds, one cache per kind of query.
#[derive(Debug, Clone, Default)]
pub struct Queries {
    pub entities: Cache<EntityKind, Vec<Entity>>,
    pub coverage: Cache<Dataset, Vec<MonthCoverage>>,
    pub totals: Cache<TotalsKey, Vec<GroupTotal>>,
    pub curves: Cache<CurveKey, Vec<StepValue>>,
    pub years: Cache<YearKey, Vec<(i32, f64)>>,
    pub sides: Cache<SideKey, Vec<(String, f64)>>,
    pub points: Cache<PointKey, PointMeans>,
}

impl Queries {
    /// Marks the query's answer as on its way; true when it must be asked.
    pub fn want(&mut self, query: &Query) -> bool {
        match query {
            Query::Entities(k) => self.entities.want(k),
            Query::Coverage(k) => self.coverage.want(k),
            Query::Totals(k) => self.totals.want(k),
            Query::Curve(k) => self.curves.want(k),
            Query::Year(k) => self.years.want(k),
            Query::Side(k) => self.sides.want(k),
            Query::Points(k) => self.points.want(k),
        }
    }

    /// Drops what the query holds, to be asked again when next shown.
    pub fn forget(&mut self, query: &Query) {
        match query {
            Query::Entities(k) => self.entities.forget(k),
            Query::Coverage(k) => self.coverage.forget(k),
            Query::Totals(k) => self.totals.forget(k),
            Query::Curve(k) => self.curves.forget(k),
            Query::Year(k) => self.years.forget(k),
            Query::Side(k) => self.sides.forget(k),
            Query::Points(k) => self.points.forget(k),
        }
    }

    /// Keeps an answer (totals sorted largest first, point counts as the means drawn from them).
    pub fn answer(&mut self, answer: Answer) {
        match answer {
            Answer::Entities(k, r) => self.entities.answer(k, r),
            Answer::Coverage(k, r) => self.coverage.answer(k, r),
            Answer::Totals(k, r) => self.totals.answer(
                k,
                r.map(|mut totals| {
                    totals.sort_by(|a, b| b.kwh.total_cmp(&a.kwh).then_with(|| a.group.cmp(&b.group)));
                    totals
                }),
            ),
            Answer::Curve(k, r) => self.curves.answer(k, r),
            Answer::Year(k, r) => self.years.answer(k, r),
            Answer::Side(k, r) => self.sides.answer(k, r),
            Answer::Points(k, r) => self.points.answer(k, r.map(|c| PointMeans::of(&c))),
        }
    }

    /// Drops what a newly written month of `dataset` changes, except the keys in `keep` (on
    /// screen: they stay drawn while asked again).
    pub fn invalidate(&mut self, dataset: Dataset, month: Month, keep: &[Query]) {
        let year = month.year();
        let kept = |q: Query| keep.contains(&q);
        self.totals.retain(|k| !(k.dataset == dataset && k.year == year) || kept(Query::Totals(k.clone())));
        self.curves
            .retain(|k| !(k.series.dataset == dataset && k.month == month) || kept(Query::Curve(k.clone())));
        self.years.retain(|k| !(k.series.dataset == dataset && k.year == year));
        self.sides.retain(|k| !(k.dataset == dataset && k.year == year));
        self.points.retain(|k| !(k.dataset == dataset && k.year == year));
        self.coverage.forget(&dataset);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Want marks a key loading once; an answer fills it; the last ready answer is drawn (stale)
    /// while the next is on its way; forget frees the key to be asked again.
    #[test]
    fn one_cache_wants_answers_and_forgets() {
        let mut c: Cache<u8, &str> = Cache::default();
        assert!(c.want(&1));
        assert!(!c.want(&1), "asked once");
        assert_eq!(c.or_last(&1), (Some(&Loadable::Loading), false));
        c.answer(1, Ok("one"));
        c.mark_shown(&1);
        assert!(c.want(&2));
        assert_eq!(c.or_last(&2), (Some(&Loadable::Ready("one")), true), "the last shown, stale");
        c.answer(2, Err("locked".into()));
        assert_eq!(c.or_last(&2), (Some(&Loadable::Failed("locked".into())), false));
        c.forget(&2);
        assert!(c.want(&2), "asked again after forget");
        assert_eq!(c.ready(&1), Some(&"one"));
    }
}
