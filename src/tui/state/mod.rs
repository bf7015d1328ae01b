//! The explorer's state and its update: `input::handle_key` maps a key to an `Action`, `update`
//! applies it and returns the `Effect`s (queries, a fetch, a save) the loop must start. No I/O
//! here, so every key and every background result is unit-tested without a terminal.
//!
//! The state is split by concern: what is selected and how it is shown (this file), moving the
//! cursor, the zoom, `:` and pins (`moves`), the time on the curve (`span`), the answers held
//! (`cache`), the fetch's progress (`fetch`), what `:` takes (`prompt`), and what a series is
//! (`selection`).

pub mod action;
pub mod cache;
pub mod fetch;
mod moves;
pub mod prompt;
pub mod selection;
pub mod span;

use std::collections::HashMap;
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

pub use action::{Action, Effect};
pub use cache::{Answer, Cache, CurveKey, Loadable, PointKey, Queries, Query, SideKey, TotalsKey, YearKey};
pub use fetch::{FetchState, MonthStatus, News};
pub use selection::{Groups, Series};
pub use span::{Span, Zoom};

use super::series;
use super::theme::Theme;
use crate::ingest::{FetchMode, Progress};
use crate::model::{
    fold_for_search, local_midnight_utc, Dataset, Entity, EntityKind, Month, MonthRange, PriceArea,
};
use crate::store::{GroupTotal, Scope, StepValue};

/// At most this many pins.
pub const MAX_PINS: usize = 4;

/// A pane that can have the focus (Tab cycles).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Entities,
    Totals,
    Hourly,
    Progress,
}

impl Pane {
    const ORDER: [Pane; 4] = [Pane::Entities, Pane::Totals, Pane::Hourly, Pane::Progress];

    fn step(self, by: i32) -> Pane {
        let i = Pane::ORDER.iter().position(|p| *p == self).unwrap_or(0) as i32;
        Pane::ORDER[(i + by).rem_euclid(Pane::ORDER.len() as i32) as usize]
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChartKind {
    #[default]
    Bars,
    Sectors,
}

/// What the curve pane shows (`v` cycles).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CurveView {
    /// The month's steps (or fewer days, zoomed).
    #[default]
    Month,
    /// The year: twelve monthly totals and the daily totals.
    Year,
    /// The month's average day, weekdays and weekends apart.
    Profile,
}

impl CurveView {
    fn next(self) -> CurveView {
        match self {
            CurveView::Month => CurveView::Year,
            CurveView::Year => CurveView::Profile,
            CurveView::Profile => CurveView::Month,
        }
    }
}

/// How the panes show the selection: the toggles, remembered between runs as they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Look {
    pub chart: ChartKind,
    pub view: CurveView,
    /// The curve as a line (braille) rather than bars.
    pub line: bool,
    /// The curve's scale from zero rather than from its minimum.
    pub zero_based: bool,
    /// The same month a year earlier drawn over the curve (`o`).
    pub overlay: bool,
    /// The totals pane shows the group's total for every entity side by side (`a`).
    pub side_by_side: bool,
    /// kWh per metering point where the dataset counts them (`m`).
    pub per_point: bool,
    /// The first pin minus the second (`=`).
    pub difference: bool,
}

/// The entity filter: typed after `/`, kept with Enter, dropped with Esc.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    pub text: String,
    pub editing: bool,
}

/// An entity as the list shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct EntityRow {
    pub scope: Scope,
    /// The city of a price area, a municipality's or grid area's name.
    pub name: String,
}

impl EntityRow {
    /// The entity's id (`NO1`, `0301`), or empty for the row of all of them.
    pub fn id(&self) -> &str {
        match &self.scope {
            Scope::Entity(id) => id,
            Scope::All => "",
        }
    }
}

/// A curve as drawn: the steps in the span, and whether they are the last answer shown while the
/// current one is on its way (then `span` is theirs).
#[derive(Debug, Clone, PartialEq)]
pub struct Curve {
    pub steps: Vec<StepValue>,
    pub span: Span,
    pub stale: bool,
}

/// Everything the views show.
#[derive(Debug, Clone)]
pub struct App {
    pub dataset: Dataset,
    /// The selected entity, or all of them; None while the list is not known yet.
    pub entity: Option<Scope>,
    /// The entity last chosen for each kind, so `d` back and forth keeps it.
    entity_by_kind: HashMap<EntityKind, Scope>,
    pub group: Groups,
    /// The month of the curve; its year is the year of the totals.
    pub month: Month,
    /// The month last gone to on purpose: a dataset that starts later shows its own first month,
    /// and the next dataset comes back to this one.
    chosen: Month,
    pub look: Look,
    pub zoom: Zoom,
    /// The span on screen while zoomed.
    pub span: Option<Span>,
    /// The instant the cursor reads (a step's start, a day's, an hour's), when it is on.
    pub cursor: Option<DateTime<Utc>>,
    /// Series drawn beside the current one (`p`).
    pub pins: Vec<Series>,
    pub focus: Pane,
    pub show_help: bool,
    /// First help line shown, when help is longer than the terminal.
    pub help_scroll: usize,
    pub quit: bool,
    pub filter: Filter,
    /// What is being typed after `:`.
    pub jump: Option<String>,
    /// A one-line notice for the status line (an error, a hint).
    pub message: Option<String>,
    pub q: Queries,
    pub fetch: Option<FetchState>,
    /// First line of the progress pane shown (when it is scrolled).
    pub progress_scroll: usize,
    /// Whether the automatic first fetch of an empty store was started.
    auto_fetch_done: bool,
    /// The configured range, fetched by `R`.
    pub range: MonthRange,
    /// Whether the range was named on the command line: then the explorer opens on its newest
    /// stored month rather than on the newest of all.
    pub range_given: bool,
    /// Whether the view has been moved to the newest stored month (once, at start), or a
    /// remembered view was restored instead.
    opened: bool,
    /// Which store is shown, for the status line.
    pub store_label: String,
    /// The clock, advanced by `Tick` so views stay pure.
    pub now: Instant,
    /// The local month now: the last one there can be data for.
    pub this_month: Month,
    /// Columns of the curve's plot as last laid out (the loop tells), for the cursor's range.
    pub curve_width: usize,
    pub theme: Theme,
}

impl App {
    pub fn new(dataset: Dataset, range: MonthRange, store_label: String, theme: Theme, now: Instant) -> App {
        let month = range.to();
        App {
            dataset,
            entity: first_entity(dataset.entity()),
            entity_by_kind: HashMap::new(),
            group: Groups::One(dataset.known_groups()[0].to_string()),
            month,
            chosen: month,
            look: Look::default(),
            zoom: Zoom::Month,
            span: None,
            cursor: None,
            pins: Vec::new(),
            focus: Pane::Entities,
            show_help: false,
            help_scroll: 0,
            quit: false,
            filter: Filter::default(),
            jump: None,
            message: None,
            q: Queries::default(),
            fetch: None,
            progress_scroll: 0,
            auto_fetch_done: false,
            range,
            range_given: false,
            opened: false,
            store_label,
            now,
            this_month: Month::containing(Utc::now()),
            curve_width: 0,
            theme,
        }
    }

    /// Opens on the entity `id` (`--entity`), whatever was remembered.
    pub fn open_on(&mut self, id: String) {
        self.select_entity(Scope::Entity(id));
        self.keep_selection_visible();
    }

    /// Marks the view as opened (a remembered one was restored): it stays where it is when the
    /// store's months come in.
    pub fn set_opened(&mut self) {
        self.opened = true;
    }

    pub fn kind(&self) -> EntityKind {
        self.dataset.entity()
    }

    pub fn year(&self) -> i32 {
        self.month.year()
    }

    /// The months the views may show: from the dataset's first to this one.
    pub fn month_bounds(&self) -> (Month, Month) {
        let first = self.dataset.spec().first_month;
        (first, self.this_month.max(first))
    }

    /// `month` kept within `month_bounds`.
    pub fn bounded(&self, month: Month) -> Month {
        let (first, last) = self.month_bounds();
        month.clamp(first, last)
    }

    /// The series on screen, once an entity is selected.
    pub fn series(&self) -> Option<Series> {
        Some(Series { dataset: self.dataset, entity: self.entity.clone()?, group: self.group.clone() })
    }

    /// Whether `series` is read per metering point: `m` is on and its dataset counts them.
    pub fn per_point(&self, series: &Series) -> bool {
        self.look.per_point && series.dataset.has_metering_points()
    }

    /// The series the curve pane draws: the current one, then each pin not the same; with the
    /// difference on, the first two pins.
    pub fn drawn(&self) -> Vec<Series> {
        if self.difference_on() {
            return self.pins[..2].to_vec();
        }
        let mut out: Vec<Series> = self.series().into_iter().collect();
        for pin in &self.pins {
            if !out.contains(pin) {
                out.push(pin.clone());
            }
        }
        out
    }

    /// Whether the difference of the first two pins is drawn.
    pub fn difference_on(&self) -> bool {
        self.look.difference && self.pins.len() >= 2
    }

    /// Why the first two pins cannot be subtracted, if they cannot.
    fn difference_refused(&self) -> Option<String> {
        match self.pins.as_slice() {
            [a, b, ..] if self.per_point(a) != self.per_point(b) => Some(format!(
                "{} is per metering point and {} is not: = takes two series of one unit",
                a.dataset, b.dataset
            )),
            [_, _, ..] => None,
            _ => Some(format!("= needs two pins ({} now); p pins the series on screen", self.pins.len())),
        }
    }

    /// Steps an hour on the common time axis: the coarsest of the series drawn (quarter-hours
    /// beside hours are drawn as hours).
    pub fn per_hour(&self) -> usize {
        self.drawn()
            .iter()
            .map(|s| s.dataset.resolution().per_hour() as usize)
            .min()
            .unwrap_or(self.dataset.resolution().per_hour() as usize)
    }

    /// The span of the curve on screen: the zoomed span, or the month.
    pub fn curve_span(&self) -> Span {
        match (self.zoom, self.span) {
            (Zoom::Month, _) | (_, None) => Span::of_month(self.month),
            (_, Some(span)) => span,
        }
    }

    /// Whether the month's curve is zoomed in.
    pub fn zoomed(&self) -> bool {
        self.look.view == CurveView::Month && self.zoom != Zoom::Month && self.span.is_some()
    }

    /// Slots a plot `width` columns wide has: two a column for a braille line.
    pub fn plot_slots(&self, width: usize) -> usize {
        if self.look.line && !self.theme.ascii {
            width * 2
        } else {
            width
        }
    }

    /// The columns of the month's (or the zoomed span's) curve in a plot of `slots`: steps a
    /// column holds and each column's start.
    pub fn step_columns(&self, span: Span, slots: usize) -> (usize, Vec<DateTime<Utc>>) {
        let per_hour = self.per_hour();
        series::columns(&series::grid(span.start, span.end, per_hour), per_hour, slots)
    }

    /// The columns of the year view in a plot of `slots`: days a column holds and each column's
    /// first day.
    pub fn day_columns(&self, slots: usize) -> (usize, Vec<chrono::NaiveDate>) {
        let span = Span {
            start: Month::new(self.year(), 1).unwrap_or(self.month).start_utc(),
            end: Month::new(self.year(), 12).unwrap_or(self.month).end_utc(),
        };
        let days = span.days();
        let run = days.len().div_ceil(slots.max(1)).max(1);
        (run, days.into_iter().step_by(run).collect())
    }

    /// The column starts the cursor moves over in the view on screen (empty before a layout).
    fn cursor_columns(&self) -> Vec<DateTime<Utc>> {
        let slots = self.plot_slots(self.curve_width);
        if slots == 0 {
            return Vec::new();
        }
        match self.look.view {
            CurveView::Month => self.step_columns(self.curve_span(), slots).1,
            CurveView::Year => self.day_columns(slots).1.into_iter().map(local_midnight_utc).collect(),
            CurveView::Profile => {
                let midnight = local_midnight_utc(self.month.first_day());
                (0..24).map(|h| midnight + Duration::hours(h)).collect()
            }
        }
    }

    /// The totals of the selected entity and year.
    pub fn totals_key(&self) -> Option<TotalsKey> {
        Some(TotalsKey { dataset: self.dataset, entity: self.entity.clone()?, year: self.year() })
    }

    /// The totals shown now, largest first.
    pub fn current_totals(&self) -> Option<&Loadable<Vec<GroupTotal>>> {
        self.q.totals.get(&self.totals_key()?)
    }

    /// What the totals pane draws: the current selection's answer, or while it is on its way
    /// the last one shown (then `true`: stale).
    pub fn totals_to_draw(&self) -> (Option<&Loadable<Vec<GroupTotal>>>, bool) {
        match self.totals_key() {
            Some(key) => self.q.totals.or_last(&key),
            None => (None, false),
        }
    }

    /// The totals of the same entity a year earlier, for the change column.
    pub fn previous_totals(&self) -> Option<&Loadable<Vec<GroupTotal>>> {
        let key = self.totals_key()?;
        self.q.totals.get(&TotalsKey { year: key.year - 1, ..key })
    }

    /// The curve of `series` in the months of `span`.
    pub fn curve_keys(&self, series: &Series, span: Span) -> Vec<CurveKey> {
        let per_point = self.per_point(series);
        span.months()
            .into_iter()
            .filter(|m| *m >= series.dataset.spec().first_month)
            .map(|month| CurveKey { series: series.clone(), month, per_point })
            .collect()
    }

    /// The steps of `series` in `span` once every month of it is here; the first failure, or
    /// loading.
    pub fn curve_of(&self, series: &Series, span: Span) -> Loadable<Vec<StepValue>> {
        let mut steps = Vec::new();
        for key in self.curve_keys(series, span) {
            match self.q.curves.get(&key) {
                Some(Loadable::Ready(v)) => steps.extend(v.iter().filter(|s| span.contains(s.start))),
                Some(Loadable::Failed(e)) => return Loadable::Failed(e.clone()),
                _ => return Loadable::Loading,
            }
        }
        Loadable::Ready(steps)
    }

    /// The current series' curve over the span on screen; while it is on its way, the last
    /// month's curve shown (stale), so moving on never blanks the pane.
    pub fn main_curve(&self) -> Loadable<Curve> {
        let Some(series) = self.series() else { return Loadable::Loading };
        let span = self.curve_span();
        match self.curve_of(&series, span) {
            Loadable::Ready(steps) => Loadable::Ready(Curve { steps, span, stale: false }),
            Loadable::Failed(e) => Loadable::Failed(e),
            Loadable::Loading => {
                match self.curve_keys(&series, span).first().map(|k| self.q.curves.or_last(k)) {
                    Some((Some(Loadable::Ready(steps)), true)) => {
                        let span = steps.first().map_or(span, |s| Span::of_month(Month::containing(s.start)));
                        Loadable::Ready(Curve { steps: steps.clone(), span, stale: true })
                    }
                    _ => Loadable::Loading,
                }
            }
        }
    }

    /// The same span a year earlier, for the `o` overlay.
    pub fn year_before(&self) -> Span {
        let span = self.curve_span();
        let shift = |t: DateTime<Utc>| {
            let m = Month::containing(t);
            let earlier = Month::new(m.year() - 1, m.month()).unwrap_or(m);
            span::same_day_in(t, earlier)
        };
        if self.zoomed() {
            Span { start: shift(span.start), end: shift(span.end) }
        } else {
            Span::of_month(Month::new(self.year() - 1, self.month.month()).unwrap_or(self.month))
        }
    }

    /// The daily totals of `series` over the viewed year, per metering point where it is read so
    /// (each day by its mean count); loading until every answer it needs is here.
    pub fn year_of(&self, series: &Series) -> Loadable<Vec<(chrono::NaiveDate, f64)>> {
        let days = match self.q.years.get(&self.year_key(series)) {
            Some(Loadable::Ready(d)) => series::days_of(d),
            Some(Loadable::Failed(e)) => return Loadable::Failed(e.clone()),
            _ => return Loadable::Loading,
        };
        if !self.per_point(series) {
            return Loadable::Ready(days);
        }
        match self.q.points.get(&self.point_key(series.dataset, &series.entity)) {
            Some(Loadable::Ready(means)) => Loadable::Ready(
                days.into_iter()
                    .filter_map(|(d, kwh)| {
                        means
                            .day_mean(crate::model::day_key(d), series.group.as_option())
                            .map(|m| (d, kwh / m))
                    })
                    .collect(),
            ),
            Some(Loadable::Failed(e)) => Loadable::Failed(e.clone()),
            _ => Loadable::Loading,
        }
    }

    /// The year's totals per group of `series`' entity, per metering point where it is read so
    /// (each group by its mean count over the year).
    pub fn totals_of(&self, dataset: Dataset, entity: &Scope, per_point: bool) -> Loadable<Vec<GroupTotal>> {
        let key = TotalsKey { dataset, entity: entity.clone(), year: self.year() };
        let totals = match self.q.totals.get(&key) {
            Some(Loadable::Ready(t)) => t.clone(),
            Some(Loadable::Failed(e)) => return Loadable::Failed(e.clone()),
            _ => return Loadable::Loading,
        };
        if !per_point {
            return Loadable::Ready(totals);
        }
        match self.q.points.get(&self.point_key(dataset, entity)) {
            Some(Loadable::Ready(means)) => {
                let id = match entity {
                    Scope::Entity(id) => Some(id.as_str()),
                    Scope::All => None,
                };
                let mut per_point: Vec<GroupTotal> = totals
                    .into_iter()
                    .filter_map(|t| {
                        let mean = means.year_mean(id, Some(&t.group))?;
                        Some(GroupTotal { kwh: t.kwh / mean, ..t })
                    })
                    .collect();
                per_point.sort_by(|a, b| b.kwh.total_cmp(&a.kwh).then_with(|| a.group.cmp(&b.group)));
                Loadable::Ready(per_point)
            }
            Some(Loadable::Failed(e)) => Loadable::Failed(e.clone()),
            _ => Loadable::Loading,
        }
    }

    /// Every group of `entity` together per metering point: the year's volume by the sum of the
    /// groups' mean counts.
    pub fn all_groups_per_point(&self, dataset: Dataset, entity: &Scope) -> Option<f64> {
        let totals =
            self.q.totals.ready(&TotalsKey { dataset, entity: entity.clone(), year: self.year() })?;
        let means = self.q.points.ready(&self.point_key(dataset, entity))?;
        let id = match entity {
            Scope::Entity(id) => Some(id.as_str()),
            Scope::All => None,
        };
        Some(totals.iter().map(|t| t.kwh).sum::<f64>() / means.year_mean(id, None)?)
    }

    /// The daily totals of `series` over the viewed year.
    pub fn year_key(&self, series: &Series) -> YearKey {
        YearKey { series: series.clone(), year: self.year() }
    }

    /// The metering point counts that read `series`' year per point.
    pub fn point_key(&self, dataset: Dataset, entity: &Scope) -> PointKey {
        PointKey { dataset, entity: entity.clone(), year: self.year() }
    }

    pub fn side_key(&self) -> SideKey {
        SideKey { dataset: self.dataset, group: self.group.clone(), year: self.year() }
    }

    /// The months stored of the dataset (complete or not), sorted.
    pub fn stored_months(&self) -> Vec<Month> {
        self.stored_months_of(self.dataset)
    }

    fn stored_months_of(&self, dataset: Dataset) -> Vec<Month> {
        match self.q.coverage.ready(&dataset) {
            Some(c) => c.iter().filter(|c| c.records > 0).map(|c| c.month).collect(),
            None => Vec::new(),
        }
    }

    /// How many months of the viewed year are stored, of those there can be.
    pub fn year_coverage(&self) -> (usize, usize) {
        let (first, last) = self.month_bounds();
        let possible =
            (1..=12).filter_map(|m| Month::new(self.year(), m)).filter(|m| *m >= first && *m <= last).count();
        let stored = self.stored_months().iter().filter(|m| m.year() == self.year()).count();
        (stored.min(possible), possible)
    }

    /// Whether every month of `year` there can be data for is stored: only whole years are
    /// compared, never a few months with a year.
    pub fn year_whole(&self, year: i32) -> bool {
        let (first, last) = self.month_bounds();
        let stored = self.stored_months();
        (1..=12).filter_map(|m| Month::new(year, m)).all(|m| m >= first && m <= last && stored.contains(&m))
    }

    /// Whether a running fetch is bringing a month of the span on screen.
    pub fn coming(&self) -> bool {
        self.fetch.as_ref().is_some_and(|f| {
            let months = match self.look.view {
                CurveView::Year => (1..=12).filter_map(|m| Month::new(self.year(), m)).collect(),
                _ => self.curve_span().months(),
            };
            months.into_iter().any(|m| f.bringing(self.dataset, m))
        })
    }

    /// The entities of the current kind as loaded (price areas are known without the store).
    pub fn known_entities(&self) -> &[Entity] {
        self.q.entities.ready(&self.kind()).map_or(&[], Vec::as_slice)
    }

    /// Every entity of the current kind: the five price areas, or those the store knows.
    pub fn all_entities(&self) -> Vec<EntityRow> {
        match self.kind() {
            EntityKind::PriceArea => PriceArea::ALL
                .iter()
                .map(|a| EntityRow { scope: Scope::Entity(a.to_string()), name: a.city().to_string() })
                .collect(),
            _ => self
                .known_entities()
                .iter()
                .map(|e| EntityRow {
                    scope: Scope::Entity(e.id.clone()),
                    name: e.display_name().into_owned(),
                })
                .collect(),
        }
    }

    /// The entities the list shows: first the row of all of them together (`0`), then every
    /// entity, or those the filter matches by number, id or name (case- and accent-insensitive:
    /// `tromso` finds Tromsø). Empty while nothing of the dataset is stored.
    pub fn visible_entities(&self) -> Vec<EntityRow> {
        let all = self.all_entities();
        if all.is_empty() {
            return all;
        }
        let needle = fold_for_search(self.filter.text.trim());
        let matching = all.into_iter().filter(|e| {
            needle.is_empty()
                || fold_for_search(e.id()).contains(&needle)
                || fold_for_search(&e.name).contains(&needle)
        });
        std::iter::once(all_row()).chain(matching).collect()
    }

    /// The selected entity's row.
    pub fn entity_row(&self) -> Option<EntityRow> {
        match self.entity.as_ref()? {
            Scope::All => Some(all_row()),
            Scope::Entity(id) => Some(self.row_of(id)),
        }
    }

    /// The row of entity `id` of the current kind (its name, where known).
    pub fn row_of(&self, id: &str) -> EntityRow {
        self.all_entities()
            .into_iter()
            .find(|e| e.id() == id)
            .unwrap_or_else(|| EntityRow { scope: Scope::Entity(id.to_string()), name: String::new() })
    }

    /// The groups to cycle through: those with totals in view (largest first), else the known
    /// ones; then all of them together.
    pub fn groups(&self) -> Vec<Groups> {
        let mut groups: Vec<Groups> = match self.current_totals() {
            Some(Loadable::Ready(t)) if !t.is_empty() => {
                t.iter().map(|t| Groups::One(t.group.clone())).collect()
            }
            _ => self.dataset.known_groups().iter().map(|g| Groups::One(g.to_string())).collect(),
        };
        groups.push(Groups::All);
        groups
    }

    pub fn fetching(&self) -> bool {
        self.fetch.as_ref().is_some_and(FetchState::running)
    }

    /// The viewed year of the dataset, within the months there can be data for: what `r`
    /// fetches, and what every text about `r` names.
    pub fn viewed_range(&self) -> MonthRange {
        let (first, last) = self.month_bounds();
        let from = Month::new(self.year(), 1).unwrap_or(self.month).max(first);
        let to = Month::new(self.year(), 12).unwrap_or(self.month).min(last);
        MonthRange::new(from, to.max(from)).unwrap_or(self.range)
    }

    /// Every query the screen needs now: the loop's turns keep these and drop the rest.
    pub fn shown_queries(&self) -> Vec<Query> {
        let mut out = Vec::new();
        if self.kind() != EntityKind::PriceArea {
            out.push(Query::Entities(self.kind()));
        }
        out.push(Query::Coverage(self.dataset));
        let Some(entity) = self.entity.clone() else { return out };
        let year = self.year();
        let totals = TotalsKey { dataset: self.dataset, entity: entity.clone(), year };
        if year > self.month_bounds().0.year() {
            out.push(Query::Totals(TotalsKey { year: year - 1, ..totals.clone() }));
        }
        out.insert(0, Query::Totals(totals));
        if self.look.per_point && self.dataset.has_metering_points() {
            out.push(Query::Points(self.point_key(self.dataset, &entity)));
        }
        if self.look.side_by_side {
            out.push(Query::Side(self.side_key()));
            if self.look.per_point && self.dataset.has_metering_points() {
                out.push(Query::Points(self.point_key(self.dataset, &Scope::All)));
            }
        }
        let drawn = self.drawn();
        if self.difference_on() {
            for pin in &drawn {
                out.push(Query::Totals(TotalsKey { dataset: pin.dataset, entity: pin.entity.clone(), year }));
                if self.per_point(pin) {
                    out.push(Query::Points(self.point_key(pin.dataset, &pin.entity)));
                }
            }
        }
        match self.look.view {
            CurveView::Month | CurveView::Profile => {
                let span = if self.look.view == CurveView::Month {
                    self.curve_span()
                } else {
                    Span::of_month(self.month)
                };
                for s in &drawn {
                    out.extend(self.curve_keys(s, span).into_iter().map(Query::Curve));
                }
                if self.look.overlay && self.look.view == CurveView::Month && !self.difference_on() {
                    if let Some(main) = self.series() {
                        out.extend(self.curve_keys(&main, self.year_before()).into_iter().map(Query::Curve));
                    }
                }
            }
            CurveView::Year => {
                for s in &drawn {
                    out.push(Query::Year(self.year_key(s)));
                    if self.per_point(s) {
                        out.push(Query::Points(self.point_key(s.dataset, &s.entity)));
                    }
                }
            }
        }
        let mut seen = std::collections::HashSet::new();
        out.retain(|q| seen.insert(q.clone()));
        out
    }

    /// The queries the screen needs that are neither held nor under way; marks them loading.
    fn wanted(&mut self) -> Vec<Effect> {
        let shown = self.shown_queries();
        shown.into_iter().filter(|q| self.q.want(q)).map(Effect::Query).collect()
    }

    /// The first effects: the queries for the first frame.
    pub fn start(&mut self) -> Vec<Effect> {
        self.wanted()
    }

    /// Remembers the current answers once they are ready, to draw while the next are on their way.
    fn remember_shown(&mut self) {
        if let Some(key) = self.totals_key() {
            self.q.totals.mark_shown(&key);
        }
        if let Some(series) = self.series() {
            if let Some(key) = self.curve_keys(&series, self.curve_span()).first() {
                self.q.curves.mark_shown(key);
            }
        }
    }

    /// Shows `month` (kept within the months there can be data for), as a remembered view does.
    pub fn set_month(&mut self, month: Month) {
        self.month = self.bounded(month);
        self.chosen = self.month;
    }

    /// Moves to `month` (the nearest month there can be data for, saying so), zoomed or not.
    pub(crate) fn go_to(&mut self, month: Month) {
        let bounded = self.bounded(month);
        if bounded != month {
            let (first, last) = self.month_bounds();
            self.message = Some(format!("{} has data from {first} to {last}", self.dataset));
        }
        let at = self.cursor.or(self.span.map(|s| s.middle()));
        self.month = bounded;
        self.chosen = bounded;
        if let Some(at) = at {
            let moved = span::same_day_in(at, bounded);
            if self.cursor.is_some() {
                self.cursor = Some(moved);
            }
            if self.span.is_some() {
                self.span = Some(span::span_around(self.zoom, moved));
            }
        }
    }

    pub(crate) fn set_dataset(&mut self, dataset: Dataset) {
        let kind = dataset.entity();
        if let Some(e) = self.entity.clone() {
            self.entity_by_kind.insert(self.kind(), e);
        }
        self.dataset = dataset;
        self.entity = self.entity_by_kind.get(&kind).cloned().or_else(|| first_entity(kind));
        self.group = Groups::One(dataset.known_groups()[0].to_string());
        self.filter = Filter::default();
        // A dataset that starts later (quarter-hours from 2023-05) opens on its first month; the
        // month chosen comes back with the next dataset that has it.
        self.month = self.bounded(self.chosen);
        if self.month != self.chosen {
            self.span = None;
            self.zoom = Zoom::Month;
            self.cursor = None;
        }
        self.keep_selection_visible();
    }

    pub(crate) fn select_entity(&mut self, scope: Scope) {
        self.entity_by_kind.insert(self.kind(), scope.clone());
        self.entity = Some(scope);
    }

    /// Moves the selection within the list as shown (clamped at its ends).
    fn move_entity(&mut self, by: i32) {
        let list = self.visible_entities();
        if list.is_empty() {
            return;
        }
        let i = match list.iter().position(|e| Some(&e.scope) == self.entity.as_ref()) {
            Some(i) => (i as i32 + by).clamp(0, list.len() as i32 - 1),
            None => 0,
        };
        self.select_entity(list[i as usize].scope.clone());
    }

    /// After the list changed (a dataset, entities loaded, a filter dropped): keep the selection
    /// if it is shown, else all of them together (never an entity the list happens to start with,
    /// like municipality 0000, unknown).
    pub(crate) fn keep_selection_visible(&mut self) {
        let list = self.visible_entities();
        if list.is_empty() {
            // A kind whose list came back empty has nothing to select: nothing of it is stored.
            if self.kind() != EntityKind::PriceArea && self.q.entities.ready(&self.kind()).is_some() {
                self.entity = None;
            }
            return;
        }
        if !list.iter().any(|e| Some(&e.scope) == self.entity.as_ref()) {
            self.select_entity(Scope::All);
        }
    }

    /// While a filter is typed: the first entity it matches is selected, or the status line says
    /// nothing matches.
    fn follow_filter(&mut self) {
        let list = self.visible_entities();
        match list.iter().find(|e| e.scope != Scope::All) {
            Some(first) if !self.filter.text.trim().is_empty() => {
                let scope = first.scope.clone();
                self.select_entity(scope);
            }
            None if !self.filter.text.trim().is_empty() && !self.all_entities().is_empty() => {
                self.message =
                    Some(format!("no match for \"{}\"", crate::model::printable(self.filter.text.trim())));
            }
            _ => self.keep_selection_visible(),
        }
    }

    fn step_group(&mut self, by: i32) {
        let groups = self.groups();
        let i = groups.iter().position(|g| *g == self.group).map_or(0, |i| i as i32 + by);
        self.group = groups[i.rem_euclid(groups.len() as i32) as usize].clone();
    }

    fn start_fetch(&mut self, dataset: Dataset, mode: FetchMode, range: MonthRange) -> Vec<Effect> {
        if self.fetching() {
            self.message = Some("a fetch is running; wait for it to end".into());
            return vec![];
        }
        self.fetch = Some(FetchState::new(dataset, range, self.now));
        self.progress_scroll = 0;
        self.message = None;
        vec![Effect::StartFetch(dataset, mode, range)]
    }

    /// Drops cached answers a newly written month changes. What is on screen stays there while
    /// it is queried again (no flash of "loading…" as months land); the rest is re-read when
    /// next shown.
    fn invalidate(&mut self, dataset: Dataset, month: Month) -> Vec<Effect> {
        let shown = self.shown_queries();
        self.q.invalidate(dataset, month, &shown);
        let mut reload: Vec<Effect> = shown
            .into_iter()
            .filter(|q| match q {
                Query::Totals(k) => k.dataset == dataset && k.year == month.year(),
                Query::Curve(k) => k.series.dataset == dataset && k.month == month,
                _ => false,
            })
            .map(Effect::Query)
            .collect();
        let kind = dataset.entity();
        if kind != EntityKind::PriceArea && self.kind() == kind {
            reload.push(Effect::Query(Query::Entities(kind)));
        }
        reload
    }

    fn on_progress(&mut self, p: Progress) -> Vec<Effect> {
        let now = self.now;
        let Some(fetch) = self.fetch.as_mut() else { return vec![] };
        let dataset = fetch.dataset;
        match fetch.apply(p, now) {
            News::Nothing => vec![],
            News::Landed(month) => self.invalidate(dataset, month),
            News::Notice(line) => {
                self.message = Some(line);
                vec![]
            }
            News::Finished(message) => {
                let unreachable = fetch.summary.as_ref().and_then(|s| s.unreachable.clone());
                self.message = match unreachable {
                    // A first run offline: say where data can come from instead.
                    Some(url) if self.stored_months_of(dataset).is_empty() => Some(format!(
                        "{} could not be reached: offline, run `elhub-explorer replica` and start with --api-url http://127.0.0.1:8080",
                        crate::model::printable(&url)
                    )),
                    _ => message,
                };
                vec![]
            }
        }
    }

    fn answered(&mut self, answer: Answer) -> Vec<Effect> {
        if let Some(e) = answer.error() {
            self.message = Some(format!("query failed: {e}"));
        }
        let mut effects = Vec::new();
        let after = match &answer {
            Answer::Entities(kind, _) if *kind == self.kind() => Some(After::Entities),
            Answer::Totals(key, _) if Some(key) == self.totals_key().as_ref() => Some(After::Totals),
            Answer::Coverage(dataset, result) => {
                Some(After::Coverage(*dataset, matches!(result, Ok(c) if c.is_empty())))
            }
            _ => None,
        };
        self.q.answer(answer);
        match after {
            Some(After::Entities) => self.keep_selection_visible(),
            // Keep the selected group if it exists here; else take the largest.
            Some(After::Totals) => {
                let groups = self.groups();
                if !groups.contains(&self.group) {
                    self.group = groups[0].clone();
                }
            }
            Some(After::Coverage(dataset, empty)) => {
                // At start, open on the newest data rather than on a month with none.
                if !self.opened && dataset == self.dataset {
                    self.opened = true;
                    let stored = self.stored_months();
                    let in_range = stored.iter().rfind(|m| self.range.contains(**m));
                    if let Some(newest) = in_range.filter(|_| self.range_given).or(stored.last()) {
                        self.month = *newest;
                        self.chosen = *newest;
                    }
                }
                // First run on an empty store: fetch the configured range at once.
                if empty && !self.auto_fetch_done && dataset == self.dataset && self.fetch.is_none() {
                    effects.extend(self.start_fetch(dataset, FetchMode::Resume, self.range));
                }
                self.auto_fetch_done = true;
            }
            None => {}
        }
        effects
    }
}

/// What an answer changes besides its cache entry.
enum After {
    Entities,
    Totals,
    Coverage(Dataset, bool),
}

/// The row of every entity together: all of Norway.
fn all_row() -> EntityRow {
    EntityRow { scope: Scope::All, name: "All of Norway".to_string() }
}

/// The entity a kind starts on: NO1 for price areas; all of them for the others (chosen before
/// their list is known, and never the unknown municipality 0000 the list starts with).
fn first_entity(kind: EntityKind) -> Option<Scope> {
    match kind {
        EntityKind::PriceArea => Some(Scope::Entity(PriceArea::NO1.to_string())),
        _ => Some(Scope::All),
    }
}

/// Applies an action; returns the work to start.
pub fn update(app: &mut App, action: Action) -> Vec<Effect> {
    let mut effects = Vec::new();
    // A notice lasts until the next key.
    if action.is_key() && !matches!(action, Action::CloseHelp(_)) {
        app.message = None;
    }
    match action {
        Action::Quit => app.quit = true,
        Action::SelectNth(n) => {
            if let Some(e) = app.visible_entities().get(n) {
                let scope = e.scope.clone();
                app.select_entity(scope);
            }
        }
        Action::Move(by) => match app.focus {
            Pane::Entities => app.move_entity(by),
            Pane::Totals | Pane::Hourly => app.step_group(by.signum()),
            Pane::Progress => {
                let lines = app.fetch.as_ref().map_or(0, |f| f.months.len());
                app.progress_scroll =
                    (app.progress_scroll as i32 + by).clamp(0, lines.saturating_sub(1) as i32) as usize;
            }
        },
        Action::StepMonth(by) => match app.span.filter(|_| app.zoomed()) {
            Some(span) => {
                let next = span::next_span(app.zoom, span, by);
                let (first, last) = app.month_bounds();
                if next.end <= first.start_utc() || next.start >= last.end_utc() {
                    app.message = Some(format!("{} has data from {first} to {last}", app.dataset));
                } else {
                    app.cursor = app.cursor.map(|c| c + (next.start - span.start));
                    app.span = Some(next);
                    app.month = Month::containing(app.cursor.unwrap_or(next.start));
                    app.chosen = app.month;
                }
            }
            None => {
                let target = if by < 0 { app.month.prev() } else { app.month.next() };
                app.go_to(target);
            }
        },
        Action::StepYear(by) => {
            let target = Month::new(app.year() + by.signum(), app.month.month()).unwrap_or(app.month);
            app.go_to(target);
        }
        Action::StepGroup(by) => app.step_group(by),
        Action::ToggleChart => {
            app.look.chart = match app.look.chart {
                ChartKind::Bars => ChartKind::Sectors,
                ChartKind::Sectors => ChartKind::Bars,
            }
        }
        Action::StepDataset(by) => {
            let all: Vec<Dataset> = Dataset::all().collect();
            let i = all.iter().position(|d| *d == app.dataset).unwrap_or(0) as i32 + by.signum();
            app.set_dataset(all[i.rem_euclid(all.len() as i32) as usize]);
        }
        Action::Fetch(mode) => effects.extend(app.start_fetch(app.dataset, mode, app.range)),
        Action::FetchViewed => {
            let range = app.viewed_range();
            effects.extend(app.start_fetch(app.dataset, FetchMode::Refresh, range));
        }
        Action::ToggleLine => app.look.line = !app.look.line,
        Action::ToggleZero => app.look.zero_based = !app.look.zero_based,
        Action::MoveCursor(by) => app.move_cursor(by),
        Action::MoveDay(by) => app.move_day(by),
        Action::Zoom(by) => app.zoom_by(by),
        // The cursor is an instant: it stays on it whatever the width.
        Action::CurveWidth(width) => app.curve_width = width,
        Action::StepView => {
            app.look.view = app.look.view.next();
            app.cursor = None;
        }
        Action::ToggleOverlay => {
            app.look.overlay = !app.look.overlay;
            if app.look.overlay && app.look.view != CurveView::Month {
                app.message = Some("the year before is drawn over the month's curve (v)".into());
            }
        }
        Action::ToggleSideBySide => app.look.side_by_side = !app.look.side_by_side,
        Action::TogglePin => app.toggle_pin(),
        Action::ClearPins => {
            app.message = Some(match app.pins.len() {
                0 => "nothing pinned; p pins the series on screen".into(),
                n => format!("{} dropped", crate::model::count(n, "pin")),
            });
            app.pins.clear();
            app.look.difference = false;
        }
        Action::ToggleDifference => {
            if app.look.difference {
                app.look.difference = false;
            } else if let Some(why) = app.difference_refused() {
                app.message = Some(why);
            } else {
                app.look.difference = true;
            }
        }
        Action::TogglePerPoint => {
            if app.look.per_point || app.drawn().iter().any(|s| s.dataset.has_metering_points()) {
                app.look.per_point = !app.look.per_point;
            } else {
                app.message = Some(format!(
                    "{} has no metering point counts; the consumption datasets do",
                    app.dataset
                ));
            }
        }
        Action::JumpEnd(by) => {
            let stored = app.stored_months();
            match if by < 0 { stored.first() } else { stored.last() } {
                Some(m) => app.go_to(*m),
                None => {
                    app.message = Some(format!(
                        "nothing of {} is stored yet; r fetches {}",
                        app.dataset,
                        app.viewed_range()
                    ))
                }
            }
        }
        Action::StartJump => app.jump = Some(String::new()),
        Action::JumpType(c) => {
            if let Some(text) = app.jump.as_mut().filter(|t| t.chars().count() < 40) {
                text.push(c);
            }
        }
        Action::JumpBackspace => {
            if let Some(text) = app.jump.as_mut() {
                text.pop();
            }
        }
        Action::JumpClear => {
            if let Some(text) = app.jump.as_mut() {
                text.clear();
            }
        }
        Action::JumpGo => {
            let text = app.jump.take().unwrap_or_default();
            let target = app.prompt_context().target(&text);
            match target {
                Ok(target) => app.jump_to(target),
                Err(why) => app.message = Some(why),
            }
        }
        Action::Save => effects.push(Effect::SaveView),
        Action::Saved(result) => {
            app.message = Some(match result {
                Ok(paths) => match paths.split_first() {
                    Some((svg, [])) => format!("saved {svg}"),
                    Some((svg, csv)) => {
                        format!("saved {svg} and {} beside it", crate::model::count(csv.len(), "CSV file"))
                    }
                    None => "nothing to save".into(),
                },
                Err(e) => format!("could not save the view: {e}"),
            })
        }
        Action::Back => {
            if app.jump.is_some() {
                app.jump = None;
            } else if !app.filter.text.is_empty() {
                app.filter = Filter::default();
                app.keep_selection_visible();
            } else if app.cursor.is_some() {
                app.cursor = None;
            } else if app.look.difference {
                app.look.difference = false;
            } else if app.look.side_by_side {
                app.look.side_by_side = false;
            } else if app.zoomed() {
                app.zoom = Zoom::Month;
                app.span = None;
            } else {
                app.message = Some("nothing to close; q quits".into());
            }
        }
        Action::StepFocus(by) => app.focus = app.focus.step(by),
        Action::ToggleHelp => {
            app.show_help = !app.show_help;
            app.help_scroll = 0;
        }
        Action::CloseHelp(then) => {
            app.show_help = false;
            if let Some(action) = then {
                effects.extend(update(app, *action));
            }
        }
        Action::ScrollHelp { by, rows } => {
            app.help_scroll =
                (app.help_scroll as i64 + i64::from(by)).clamp(0, rows.max(1) as i64 - 1) as usize;
        }
        Action::StartFilter => {
            app.focus = Pane::Entities;
            app.filter = Filter { text: String::new(), editing: true };
        }
        Action::FilterType(c) => {
            app.filter.text.push(c);
            app.follow_filter();
        }
        Action::FilterBackspace => {
            app.filter.text.pop();
            app.follow_filter();
        }
        Action::FilterClear => app.filter.text.clear(),
        Action::KeepFilter => app.filter.editing = false,
        Action::DropFilter => {
            app.filter = Filter::default();
            app.keep_selection_visible();
        }
        Action::Answered(answer) => effects.extend(app.answered(answer)),
        // A query dropped unanswered frees its key, to be asked again when shown again: a first
        // query (loading) or a reload after a fetch (an old answer that must not stay).
        Action::QueryDropped(query) => app.q.forget(&query),
        Action::Ingest(p) => effects.extend(app.on_progress(p)),
        Action::Tick(now) => app.now = now,
    }
    effects.extend(app.wanted());
    app.remember_shown();
    effects
}

impl App {
    /// What `:` reads its text against.
    pub fn prompt_context(&self) -> PromptContext<'_> {
        PromptContext { kind: self.kind(), entities: self.known_entities(), groups: self.groups() }
    }
}

/// The view's entities and groups, for `prompt::target`.
pub struct PromptContext<'a> {
    pub kind: EntityKind,
    pub entities: &'a [Entity],
    pub groups: Vec<Groups>,
}

impl PromptContext<'_> {
    pub fn target(&self, text: &str) -> Result<prompt::Target, String> {
        prompt::target(
            text,
            &prompt::Context { kind: self.kind, entities: self.entities, groups: &self.groups },
        )
    }
}

/// An explorer on production 2021 with the default theme, for the tests of every module.
#[cfg(test)]
pub(crate) fn sample_app() -> App {
    let range =
        MonthRange::new("2021-01".parse().expect("month"), "2021-12".parse().expect("month")).expect("range");
    App::new(Dataset::PRODUCTION, range, "sqlite".into(), Theme::default(), Instant::now())
}

#[cfg(test)]
mod tests;
