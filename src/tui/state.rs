//! The explorer's state and its update: `keys::handle_key` maps a key to an `Action`, `update`
//! applies an action and returns the `Effect`s (queries, a fetch) the loop must start. No I/O
//! here, so every key and every background result is unit-tested without a terminal.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use super::theme::Theme;
use crate::ingest::{FetchMode, IngestSummary, Outcome, Progress};
use crate::model::{fold_for_search, Dataset, Entity, EntityKind, Group, Month, MonthRange, PriceArea};
use crate::store::{GroupTotal, MonthCoverage, StepValue};

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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartKind {
    Bars,
    Sectors,
}

/// The annual totals of one entity, year and dataset.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TotalsKey {
    pub dataset: Dataset,
    pub entity: String,
    pub year: i32,
}

/// The values of one series in one month: the curve.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CurveKey {
    pub dataset: Dataset,
    pub entity: String,
    pub group: Group,
    pub month: Month,
}

/// A query result in the cache.
#[derive(Debug, Clone, PartialEq)]
pub enum Loadable<T> {
    Loading,
    Ready(T),
    Failed(String),
}

/// A month's line in the progress pane.
#[derive(Debug, Clone, PartialEq)]
pub enum MonthStatus {
    Waiting,
    Fetching,
    /// Some of the month's windows (days) are written.
    Partly {
        done: usize,
        of: usize,
    },
    Retry {
        attempt: usize,
        reason: String,
    },
    Done {
        records: u64,
        rejected: u64,
    },
    /// Fetched, but a sink could not write it.
    SinkFailed {
        reason: String,
    },
    Failed {
        reason: String,
    },
}

/// The fetch running in the background, or the last one.
#[derive(Debug, Clone, PartialEq)]
pub struct FetchState {
    pub dataset: Dataset,
    pub months: Vec<(Month, MonthStatus)>,
    pub records: u64,
    pub started: Instant,
    pub finished: Option<Instant>,
    pub summary: Option<IngestSummary>,
}

impl FetchState {
    pub fn running(&self) -> bool {
        self.finished.is_none()
    }

    pub fn completed(&self) -> usize {
        self.months
            .iter()
            .filter(|(_, s)| {
                matches!(
                    s,
                    MonthStatus::Done { .. } | MonthStatus::Failed { .. } | MonthStatus::SinkFailed { .. }
                )
            })
            .count()
    }

    pub fn elapsed(&self, now: Instant) -> Duration {
        self.finished.unwrap_or(now).saturating_duration_since(self.started)
    }

    fn status_mut(&mut self, month: Month) -> Option<&mut MonthStatus> {
        self.months.iter_mut().find(|(m, _)| *m == month).map(|(_, s)| s)
    }

    /// Shows a month under way, unless it has already ended (failed, or a sink failed): a later
    /// window's news never hides that.
    fn set_live(&mut self, month: Month, status: MonthStatus) {
        if let Some(s) = self.status_mut(month) {
            if !matches!(
                s,
                MonthStatus::Failed { .. } | MonthStatus::SinkFailed { .. } | MonthStatus::Done { .. }
            ) {
                *s = status;
            }
        }
    }
}

/// The entity filter: typed after `/`, kept with Enter, dropped with Esc.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    pub text: String,
    pub editing: bool,
}

/// Everything the views show.
#[derive(Debug, Clone)]
pub struct App {
    pub dataset: Dataset,
    /// The selected entity's id (`NO1`, `0301`, an EIC).
    pub entity: String,
    /// The entity last chosen for each kind, so `d` back and forth keeps it.
    pub entity_by_kind: HashMap<EntityKind, String>,
    /// The month of the curve; its year is the year of the totals.
    pub month: Month,
    pub group: Group,
    pub chart: ChartKind,
    pub focus: Pane,
    pub show_help: bool,
    pub quit: bool,
    pub filter: Filter,
    /// The configured range, fetched by `r`.
    pub range: MonthRange,
    /// Which store is shown, for the status line.
    pub store_label: String,
    /// The entities the store knows, per kind (price areas are known without it).
    pub entities: HashMap<EntityKind, Loadable<Vec<Entity>>>,
    pub totals: HashMap<TotalsKey, Loadable<Vec<GroupTotal>>>,
    pub curves: HashMap<CurveKey, Loadable<Vec<StepValue>>>,
    /// The totals and curve last shown ready: drawn (marked as loading) while the current
    /// selection's answer is on its way, so moving on never blanks a pane.
    pub shown_totals: Option<TotalsKey>,
    pub shown_curve: Option<CurveKey>,
    pub coverage: HashMap<Dataset, Loadable<Vec<MonthCoverage>>>,
    pub fetch: Option<FetchState>,
    /// First line of the progress pane shown (when it is scrolled).
    pub progress_scroll: usize,
    /// A one-line notice for the status line (an error, a hint).
    pub message: Option<String>,
    /// The clock, advanced by `Tick` so views stay pure.
    pub now: Instant,
    pub theme: Theme,
    /// Whether the automatic first fetch of an empty store was started.
    auto_fetch_done: bool,
}

/// What a key or a background result asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Quit,
    /// The n-th (0-based) entity of the list as shown.
    SelectNth(usize),
    /// ↑/↓ (or ten at a time) in the focused pane.
    Move(i32),
    /// ←/→: previous or next month.
    StepMonth(i32),
    /// g/G: next or previous group.
    StepGroup(i32),
    /// y/Y: next or previous year.
    StepYear(i32),
    ToggleChart,
    /// d/D: next or previous dataset of the catalogue.
    StepDataset(i32),
    /// r: fetch what is missing or may have been revised; R: everything.
    Fetch(FetchMode),
    /// Tab / Shift-Tab.
    StepFocus(i32),
    ToggleHelp,
    CloseHelp,
    /// `/`: start typing a filter.
    StartFilter,
    FilterType(char),
    FilterBackspace,
    /// Enter: keep the filter and leave typing.
    KeepFilter,
    /// Esc: drop the filter.
    DropFilter,
    EntitiesLoaded(EntityKind, Result<Vec<Entity>, String>),
    TotalsLoaded(TotalsKey, Result<Vec<GroupTotal>, String>),
    CurveLoaded(CurveKey, Result<Vec<StepValue>, String>),
    CoverageLoaded(Dataset, Result<Vec<MonthCoverage>, String>),
    /// A query was dropped unanswered: the selection had moved on before its turn came.
    QueryDropped(Effect),
    Ingest(Progress),
    Tick(Instant),
}

/// Work the loop must start for the state.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    LoadEntities(EntityKind),
    LoadTotals(TotalsKey),
    LoadCurve(CurveKey),
    LoadCoverage(Dataset),
    StartFetch(Dataset, FetchMode),
}

/// The entity id of the row that stands for every entity of the dataset together.
pub const ALL: &str = "*";

/// An entity as the list shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct EntityRow {
    pub id: String,
    /// The city of a price area, a municipality's or grid area's name.
    pub name: String,
}

impl App {
    pub fn new(dataset: Dataset, range: MonthRange, store_label: String, theme: Theme, now: Instant) -> App {
        App {
            dataset,
            entity: first_entity(dataset.entity()),
            entity_by_kind: HashMap::new(),
            month: range.to(),
            group: dataset.known_groups()[0].to_string(),
            chart: ChartKind::Bars,
            focus: Pane::Entities,
            show_help: false,
            quit: false,
            filter: Filter::default(),
            range,
            store_label,
            entities: HashMap::new(),
            totals: HashMap::new(),
            curves: HashMap::new(),
            shown_totals: None,
            shown_curve: None,
            coverage: HashMap::new(),
            fetch: None,
            progress_scroll: 0,
            message: None,
            now,
            theme,
            auto_fetch_done: false,
        }
    }

    pub fn year(&self) -> i32 {
        self.month.year()
    }

    pub fn kind(&self) -> EntityKind {
        self.dataset.entity()
    }

    pub fn totals_key(&self) -> TotalsKey {
        TotalsKey { dataset: self.dataset, entity: self.entity.clone(), year: self.year() }
    }

    pub fn curve_key(&self) -> CurveKey {
        CurveKey {
            dataset: self.dataset,
            entity: self.entity.clone(),
            group: self.group.clone(),
            month: self.month,
        }
    }

    /// The totals shown now, largest first.
    pub fn current_totals(&self) -> Option<&Loadable<Vec<GroupTotal>>> {
        self.totals.get(&self.totals_key())
    }

    pub fn current_curve(&self) -> Option<&Loadable<Vec<StepValue>>> {
        self.curves.get(&self.curve_key())
    }

    /// What the totals pane draws: the current selection's answer, or while it is on its way
    /// the last one shown (then `true`: stale).
    pub fn totals_to_draw(&self) -> (Option<&Loadable<Vec<GroupTotal>>>, bool) {
        if self.entity.is_empty() {
            return (None, false);
        }
        Self::or_last(self.current_totals(), self.shown_totals.as_ref().and_then(|k| self.totals.get(k)))
    }

    /// What the curve pane draws, as `totals_to_draw`.
    pub fn curve_to_draw(&self) -> (Option<&Loadable<Vec<StepValue>>>, bool) {
        if self.entity.is_empty() {
            return (None, false);
        }
        Self::or_last(self.current_curve(), self.shown_curve.as_ref().and_then(|k| self.curves.get(k)))
    }

    fn or_last<'a, T>(
        current: Option<&'a Loadable<T>>,
        last: Option<&'a Loadable<T>>,
    ) -> (Option<&'a Loadable<T>>, bool) {
        match (current, last) {
            (None | Some(Loadable::Loading), Some(last @ Loadable::Ready(_))) => (Some(last), true),
            _ => (current, false),
        }
    }

    /// Remembers the current answers once they are ready, for `totals_to_draw`.
    fn remember_shown(&mut self) {
        if matches!(self.current_totals(), Some(Loadable::Ready(_))) {
            self.shown_totals = Some(self.totals_key());
        }
        if matches!(self.current_curve(), Some(Loadable::Ready(_))) {
            self.shown_curve = Some(self.curve_key());
        }
    }

    /// Every entity of the current kind: the five price areas, or those the store knows.
    pub fn all_entities(&self) -> Vec<EntityRow> {
        match self.kind() {
            EntityKind::PriceArea => PriceArea::ALL
                .iter()
                .map(|a| EntityRow { id: a.to_string(), name: a.city().to_string() })
                .collect(),
            kind => match self.entities.get(&kind) {
                Some(Loadable::Ready(list)) => {
                    list.iter().map(|e| EntityRow { id: e.id.clone(), name: e.name.clone() }).collect()
                }
                _ => Vec::new(),
            },
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
                || fold_for_search(&e.id).contains(&needle)
                || fold_for_search(&e.name).contains(&needle)
        });
        std::iter::once(all_row()).chain(matching).collect()
    }

    /// The selected entity's row, if the list has it.
    pub fn entity_row(&self) -> EntityRow {
        if self.entity == ALL {
            return all_row();
        }
        self.all_entities()
            .into_iter()
            .find(|e| e.id == self.entity)
            .unwrap_or_else(|| EntityRow { id: self.entity.clone(), name: String::new() })
    }

    /// The groups to cycle through: those with totals in view (largest first), else the known ones.
    pub fn groups(&self) -> Vec<Group> {
        match self.current_totals() {
            Some(Loadable::Ready(t)) if !t.is_empty() => t.iter().map(|t| t.group.clone()).collect(),
            _ => self.dataset.known_groups().iter().map(|g| g.to_string()).collect(),
        }
    }

    pub fn fetching(&self) -> bool {
        self.fetch.as_ref().is_some_and(FetchState::running)
    }

    /// The queries the current view needs that are neither cached nor under way; marks them
    /// as loading.
    fn wanted(&mut self) -> Vec<Effect> {
        let mut out = Vec::new();
        let kind = self.kind();
        if kind != EntityKind::PriceArea && !self.entities.contains_key(&kind) {
            self.entities.insert(kind, Loadable::Loading);
            out.push(Effect::LoadEntities(kind));
        }
        if !self.entity.is_empty() {
            let tk = self.totals_key();
            if !self.totals.contains_key(&tk) {
                self.totals.insert(tk.clone(), Loadable::Loading);
                out.push(Effect::LoadTotals(tk));
            }
            let ck = self.curve_key();
            if !self.curves.contains_key(&ck) {
                self.curves.insert(ck.clone(), Loadable::Loading);
                out.push(Effect::LoadCurve(ck));
            }
        }
        if !self.coverage.contains_key(&self.dataset) {
            self.coverage.insert(self.dataset, Loadable::Loading);
            out.push(Effect::LoadCoverage(self.dataset));
        }
        out
    }

    /// The first effects: the queries for the first frame.
    pub fn start(&mut self) -> Vec<Effect> {
        self.wanted()
    }

    fn start_fetch(&mut self, dataset: Dataset, mode: FetchMode) -> Vec<Effect> {
        if self.fetching() {
            self.message = Some("a fetch is already running".into());
            return vec![];
        }
        self.fetch = Some(FetchState {
            dataset,
            months: self.range.months().map(|m| (m, MonthStatus::Waiting)).collect(),
            records: 0,
            started: self.now,
            finished: None,
            summary: None,
        });
        self.progress_scroll = 0;
        self.message = None;
        vec![Effect::StartFetch(dataset, mode)]
    }

    fn step_group(&mut self, by: i32) {
        let groups = self.groups();
        let i = groups.iter().position(|g| *g == self.group).map_or(0, |i| i as i32 + by);
        self.group = groups[i.rem_euclid(groups.len() as i32) as usize].clone();
    }

    fn select_entity(&mut self, id: String) {
        self.entity_by_kind.insert(self.kind(), id.clone());
        self.entity = id;
    }

    /// Moves the selection within the list as shown (clamped at its ends).
    fn move_entity(&mut self, by: i32) {
        let list = self.visible_entities();
        if list.is_empty() {
            return;
        }
        let i = match list.iter().position(|e| e.id == self.entity) {
            Some(i) => (i as i32 + by).clamp(0, list.len() as i32 - 1),
            None => 0,
        };
        self.select_entity(list[i as usize].id.clone());
    }

    /// After the list changed (a filter, a dataset, entities loaded): keep the selection if
    /// it is shown, else take the first shown.
    fn keep_selection_visible(&mut self) {
        let list = self.visible_entities();
        if !list.iter().any(|e| e.id == self.entity) {
            // The first entity that matches, rather than the row of all of them.
            if let Some(first) = list.iter().find(|e| e.id != ALL).or(list.first()) {
                self.select_entity(first.id.clone());
            }
        }
    }

    fn set_dataset(&mut self, dataset: Dataset) {
        let kind = dataset.entity();
        self.entity_by_kind.insert(self.kind(), self.entity.clone());
        self.dataset = dataset;
        self.entity = self.entity_by_kind.get(&kind).cloned().unwrap_or_else(|| first_entity(kind));
        self.group = dataset.known_groups()[0].to_string();
        self.filter = Filter::default();
        self.keep_selection_visible();
    }

    /// Drops cached results a newly written month changes. What is on screen stays there while
    /// it is queried again (no flash of "loading…" as months land); the rest is re-read when
    /// next shown.
    fn invalidate(&mut self, dataset: Dataset, month: Month) -> Vec<Effect> {
        let mut reload = Vec::new();
        let (tk, ck) = (self.totals_key(), self.curve_key());
        self.totals.retain(|k, _| !(k.dataset == dataset && k.year == month.year()) || *k == tk);
        if tk.dataset == dataset && tk.year == month.year() {
            reload.push(Effect::LoadTotals(tk));
        }
        self.curves.retain(|k, _| !(k.dataset == dataset && k.month == month) || *k == ck);
        if ck.dataset == dataset && ck.month == month {
            reload.push(Effect::LoadCurve(ck));
        }
        let kind = dataset.entity();
        if kind != EntityKind::PriceArea && self.kind() == kind {
            reload.push(Effect::LoadEntities(kind));
        }
        self.coverage.remove(&dataset);
        reload
    }

    fn on_progress(&mut self, p: Progress) -> Vec<Effect> {
        let Some(fetch) = self.fetch.as_mut() else { return vec![] };
        let dataset = fetch.dataset;
        match p {
            Progress::Planned { months, .. } => {
                fetch.months = months.into_iter().map(|m| (m, MonthStatus::Waiting)).collect();
            }
            Progress::Fetching { month } => fetch.set_live(month, MonthStatus::Fetching),
            Progress::WindowDone { month, done, of } => {
                fetch.set_live(month, MonthStatus::Partly { done, of });
                // The day's data is in: what is on screen may show it.
                return self.invalidate(dataset, month);
            }
            Progress::Retry { month, attempt, reason, .. } => {
                fetch.set_live(month, MonthStatus::Retry { attempt, reason })
            }
            Progress::Split { .. } | Progress::Left { .. } => {}
            Progress::Notice(line) => self.message = Some(line),
            Progress::SinkFailed { month, sink, reason } => {
                if let Some(s) = fetch.status_mut(month) {
                    if !matches!(s, MonthStatus::Failed { .. }) {
                        *s = MonthStatus::SinkFailed { reason: format!("{sink}: {reason}") };
                    }
                }
            }
            Progress::Done { month, records, rejected, .. } => {
                fetch.records += records;
                if let Some(s) = fetch.status_mut(month) {
                    if !matches!(s, MonthStatus::SinkFailed { .. }) {
                        *s = MonthStatus::Done { records, rejected };
                    }
                }
                return self.invalidate(dataset, month);
            }
            Progress::Failed { month, reason } => {
                if let Some(s) = fetch.status_mut(month) {
                    *s = MonthStatus::Failed { reason };
                }
            }
            Progress::Finished(summary) => {
                fetch.finished = Some(self.now);
                self.message = match summary.outcome() {
                    Outcome::Done => None,
                    _ => Some(format!(
                        "{} of {} fetched; r retries the rest",
                        summary.months_done,
                        crate::model::count(summary.months_planned, "month")
                    )),
                };
                fetch.summary = Some(*summary);
            }
        }
        vec![]
    }
}

/// The entity a kind starts on: NO1 for price areas, else the first the list will show.
/// The row of every entity together: all of Norway.
fn all_row() -> EntityRow {
    EntityRow { id: ALL.to_string(), name: "All of Norway".to_string() }
}

fn first_entity(kind: EntityKind) -> String {
    match kind {
        EntityKind::PriceArea => PriceArea::NO1.to_string(),
        _ => String::new(),
    }
}

/// Applies an action; returns the work to start.
pub fn update(app: &mut App, action: Action) -> Vec<Effect> {
    let mut effects = Vec::new();
    match action {
        Action::Quit => app.quit = true,
        Action::SelectNth(n) => {
            if let Some(e) = app.visible_entities().get(n) {
                let id = e.id.clone();
                app.select_entity(id);
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
        Action::StepMonth(by) => {
            app.month = if by < 0 { app.month.prev() } else { app.month.next() };
        }
        Action::StepYear(by) => {
            let target = Month::new(app.year() + by.signum(), app.month.month());
            app.month = target.unwrap_or(app.month);
        }
        Action::StepGroup(by) => app.step_group(by),
        Action::ToggleChart => {
            app.chart = match app.chart {
                ChartKind::Bars => ChartKind::Sectors,
                ChartKind::Sectors => ChartKind::Bars,
            }
        }
        Action::StepDataset(by) => {
            let all: Vec<Dataset> = Dataset::all().collect();
            let i = all.iter().position(|d| *d == app.dataset).unwrap_or(0) as i32 + by.signum();
            app.set_dataset(all[i.rem_euclid(all.len() as i32) as usize]);
        }
        Action::Fetch(mode) => effects.extend(app.start_fetch(app.dataset, mode)),
        Action::StepFocus(by) => app.focus = app.focus.step(by),
        Action::ToggleHelp => app.show_help = !app.show_help,
        Action::CloseHelp => app.show_help = false,
        Action::StartFilter => {
            app.focus = Pane::Entities;
            app.filter.editing = true;
        }
        Action::FilterType(c) => {
            app.filter.text.push(c);
            app.keep_selection_visible();
        }
        Action::FilterBackspace => {
            app.filter.text.pop();
            app.keep_selection_visible();
        }
        Action::KeepFilter => app.filter.editing = false,
        Action::DropFilter => {
            app.filter = Filter::default();
            app.keep_selection_visible();
        }
        Action::EntitiesLoaded(kind, result) => {
            let loaded = match result {
                Ok(list) => Loadable::Ready(list),
                Err(e) => {
                    app.message = Some(format!("query failed: {e}"));
                    Loadable::Failed(e)
                }
            };
            app.entities.insert(kind, loaded);
            if kind == app.kind() {
                app.keep_selection_visible();
            }
        }
        Action::TotalsLoaded(key, result) => {
            let is_current = key == app.totals_key();
            let loaded = match result {
                Ok(mut totals) => {
                    totals.sort_by(|a, b| b.kwh.total_cmp(&a.kwh).then_with(|| a.group.cmp(&b.group)));
                    Loadable::Ready(totals)
                }
                Err(e) => {
                    app.message = Some(format!("query failed: {e}"));
                    Loadable::Failed(e)
                }
            };
            app.totals.insert(key, loaded);
            // Keep the selected group if it exists here; else take the largest.
            if is_current {
                let groups = app.groups();
                if !groups.contains(&app.group) {
                    app.group = groups[0].clone();
                }
            }
        }
        Action::CurveLoaded(key, result) => {
            let loaded = match result {
                Ok(v) => Loadable::Ready(v),
                Err(e) => {
                    app.message = Some(format!("query failed: {e}"));
                    Loadable::Failed(e)
                }
            };
            app.curves.insert(key, loaded);
        }
        Action::CoverageLoaded(dataset, result) => {
            let empty = matches!(&result, Ok(c) if c.is_empty());
            app.coverage.insert(dataset, result.map_or_else(Loadable::Failed, Loadable::Ready));
            // First run on an empty store: fetch the configured range at once.
            if empty && !app.auto_fetch_done && dataset == app.dataset && app.fetch.is_none() {
                app.auto_fetch_done = true;
                effects.extend(app.start_fetch(dataset, FetchMode::Resume));
            }
            app.auto_fetch_done = true;
        }
        Action::Ingest(p) => effects.extend(app.on_progress(p)),
        Action::QueryDropped(effect) => match effect {
            Effect::LoadTotals(key) if matches!(app.totals.get(&key), Some(Loadable::Loading)) => {
                app.totals.remove(&key);
            }
            Effect::LoadCurve(key) if matches!(app.curves.get(&key), Some(Loadable::Loading)) => {
                app.curves.remove(&key);
            }
            _ => {}
        },
        Action::Tick(now) => app.now = now,
    }
    effects.extend(app.wanted());
    app.remember_shown();
    effects
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::UpsertStats;
    use crate::tui::keys::handle_key;
    use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

    fn app() -> App {
        let range = MonthRange::new("2021-01".parse().unwrap(), "2021-12".parse().unwrap()).unwrap();
        App::new(Dataset::PRODUCTION, range, "sqlite".into(), Theme::default(), Instant::now())
    }

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn press(app: &mut App, code: KeyCode) -> Vec<Effect> {
        let action = handle_key(app, key(code)).expect("a mapped key");
        update(app, action)
    }

    fn typed(app: &mut App, text: &str) {
        for c in text.chars() {
            press(app, KeyCode::Char(c));
        }
    }

    fn totals(groups: &[(&str, f64)]) -> Vec<GroupTotal> {
        groups.iter().map(|(g, kwh)| GroupTotal { group: g.to_string(), kwh: *kwh, count: 8760 }).collect()
    }

    fn municipalities() -> Vec<Entity> {
        [("0301", "Oslo"), ("4601", "Bergen"), ("5001", "Trondheim"), ("5041", "SnÃ¥sa"), ("5501", "Tromsø")]
            .iter()
            .map(|(id, name)| Entity {
                kind: EntityKind::Municipality,
                id: id.to_string(),
                name: name.to_string(),
                price_area: None,
            })
            .collect()
    }

    /// Moving on while an answer is on its way: the late answer fills its own cache entry and
    /// never replaces what the pane shows for the new selection; meanwhile the pane keeps the
    /// last answer (marked stale); a dropped query frees its key to be asked again.
    #[test]
    fn an_answer_for_a_selection_left_behind_does_not_replace_the_pane() {
        let mut a = app();
        a.start();
        let no1 = a.totals_key();
        update(&mut a, Action::TotalsLoaded(no1.clone(), Ok(totals(&[("hydro", 90.0)]))));
        assert_eq!(a.totals_to_draw(), (a.current_totals(), false));
        press(&mut a, KeyCode::Char('2'));
        let no2 = a.totals_key();
        assert_ne!(no1, no2);
        // NO2 loads: NO1's bars stay, marked stale.
        let (shown, stale) = a.totals_to_draw();
        assert!(stale);
        assert!(matches!(shown, Some(Loadable::Ready(t)) if t[0].kwh == 90.0));
        // NO2's answer arrives, then a late answer for NO1 (re-asked meanwhile, say).
        update(&mut a, Action::TotalsLoaded(no2.clone(), Ok(totals(&[("hydro", 40.0)]))));
        update(&mut a, Action::TotalsLoaded(no1.clone(), Ok(totals(&[("hydro", 91.0)]))));
        let (shown, stale) = a.totals_to_draw();
        assert!(!stale);
        assert!(matches!(shown, Some(Loadable::Ready(t)) if t[0].kwh == 40.0), "NO2 stays: {shown:?}");
        // A query dropped for NO3 (left before its turn) is asked again when NO3 is shown again.
        press(&mut a, KeyCode::Char('3'));
        let no3 = a.totals_key();
        press(&mut a, KeyCode::Char('2'));
        let effects = update(&mut a, Action::QueryDropped(Effect::LoadTotals(no3.clone())));
        assert!(effects.is_empty(), "{effects:?}");
        assert!(!a.totals.contains_key(&no3));
        let effects = press(&mut a, KeyCode::Char('3'));
        assert!(effects.contains(&Effect::LoadTotals(no3)), "{effects:?}");
    }

    #[test]
    fn start_asks_for_the_first_frames_data() {
        let mut a = app();
        let effects = a.start();
        assert_eq!(effects.len(), 3);
        assert!(effects.contains(&Effect::LoadTotals(TotalsKey {
            dataset: Dataset::PRODUCTION,
            entity: "NO1".into(),
            year: 2021
        })));
        assert!(effects.contains(&Effect::LoadCoverage(Dataset::PRODUCTION)));
        // Asked once: a second look finds them loading.
        assert!(a.start().is_empty());
    }

    #[test]
    fn number_keys_select_entities() {
        let mut a = app();
        a.start();
        for (c, area) in ('1'..='5').zip(PriceArea::ALL) {
            let effects = press(&mut a, KeyCode::Char(c));
            assert_eq!(a.entity, area.as_str());
            if area != PriceArea::NO1 {
                assert!(effects
                    .iter()
                    .any(|e| matches!(e, Effect::LoadTotals(k) if k.entity == area.as_str())));
            }
        }
        press(&mut a, KeyCode::Char('9'));
        assert_eq!(a.entity, "NO5", "no ninth area: nothing changes");
        let effects = press(&mut a, KeyCode::Char('0'));
        assert_eq!(a.entity, ALL);
        assert!(effects.iter().any(|e| matches!(e, Effect::LoadTotals(k) if k.entity == ALL)), "{effects:?}");
        assert!(effects.iter().any(|e| matches!(e, Effect::LoadCurve(k) if k.entity == ALL)), "{effects:?}");
    }

    #[test]
    fn arrows_and_hjkl_move_in_the_focused_pane() {
        let mut a = app();
        press(&mut a, KeyCode::Down);
        assert_eq!(a.entity, "NO2");
        press(&mut a, KeyCode::Char('j'));
        assert_eq!(a.entity, "NO3");
        press(&mut a, KeyCode::Char('k'));
        press(&mut a, KeyCode::Up);
        assert_eq!(a.entity, "NO1");
        press(&mut a, KeyCode::Up);
        assert_eq!(a.entity, ALL, "above the first area: all of Norway");
        press(&mut a, KeyCode::Up);
        assert_eq!(a.entity, ALL, "stops at the top");
        press(&mut a, KeyCode::Down);
        press(&mut a, KeyCode::PageDown);
        assert_eq!(a.entity, "NO5", "ten down stops at the end");
        press(&mut a, KeyCode::Tab);
        assert_eq!(a.focus, Pane::Totals);
        press(&mut a, KeyCode::Down);
        assert_eq!(a.group, "wind", "in the totals pane ↓ moves the group");
        press(&mut a, KeyCode::BackTab);
        assert_eq!(a.focus, Pane::Entities);
    }

    #[test]
    fn left_right_step_months_across_years() {
        let mut a = app();
        assert_eq!(a.month.to_string(), "2021-12");
        press(&mut a, KeyCode::Right);
        assert_eq!(a.month.to_string(), "2022-01");
        assert_eq!(a.year(), 2022);
        press(&mut a, KeyCode::Char('h'));
        press(&mut a, KeyCode::Left);
        assert_eq!(a.month.to_string(), "2021-11");
        press(&mut a, KeyCode::Char('l'));
        assert_eq!(a.month.to_string(), "2021-12");
    }

    #[test]
    fn y_steps_years_keeping_the_month() {
        let mut a = app();
        press(&mut a, KeyCode::Char('y'));
        assert_eq!(a.month.to_string(), "2022-12");
        press(&mut a, KeyCode::Char('Y'));
        press(&mut a, KeyCode::Char('Y'));
        assert_eq!(a.month.to_string(), "2020-12");
    }

    #[test]
    fn g_cycles_groups_in_the_order_shown() {
        let mut a = app();
        a.start();
        let key = a.totals_key();
        update(
            &mut a,
            Action::TotalsLoaded(key, Ok(totals(&[("wind", 5.0), ("hydro", 90.0), ("solar", 1.0)]))),
        );
        assert_eq!(a.groups(), ["hydro", "wind", "solar"]);
        let effects = press(&mut a, KeyCode::Char('g'));
        assert_eq!(a.group, "wind");
        assert!(effects.iter().any(|e| matches!(e, Effect::LoadCurve(k) if k.group == "wind")));
        press(&mut a, KeyCode::Char('g'));
        press(&mut a, KeyCode::Char('g'));
        assert_eq!(a.group, "hydro", "wraps");
        let effects = press(&mut a, KeyCode::Char('G'));
        assert_eq!(a.group, "solar");
        assert!(effects.is_empty(), "solar's curve query is already under way: {effects:?}");
    }

    #[test]
    fn b_toggles_bars_and_sectors() {
        let mut a = app();
        press(&mut a, KeyCode::Char('b'));
        assert_eq!(a.chart, ChartKind::Sectors);
        press(&mut a, KeyCode::Char('b'));
        assert_eq!(a.chart, ChartKind::Bars);
    }

    #[test]
    fn d_cycles_the_catalogue_and_remembers_each_kinds_entity() {
        let mut a = app();
        press(&mut a, KeyCode::Char('3'));
        let effects = press(&mut a, KeyCode::Char('d'));
        assert_eq!(a.dataset, Dataset::CONSUMPTION);
        assert_eq!((a.group.as_str(), a.entity.as_str()), ("household", "NO3"));
        assert!(effects.contains(&Effect::LoadCoverage(Dataset::CONSUMPTION)));
        press(&mut a, KeyCode::Char('d'));
        assert_eq!(a.dataset, Dataset::PRODUCTION_15MIN);
        let effects = press(&mut a, KeyCode::Char('d'));
        assert_eq!(a.dataset, Dataset::CONSUMPTION_MUNICIPALITY);
        assert!(effects.contains(&Effect::LoadEntities(EntityKind::Municipality)));
        assert_eq!(a.entity, "", "nothing to select until the list is loaded");
        update(&mut a, Action::EntitiesLoaded(EntityKind::Municipality, Ok(municipalities())));
        assert_eq!(a.entity, "0301", "the first municipality");
        press(&mut a, KeyCode::Char('2'));
        press(&mut a, KeyCode::Char('D'));
        assert_eq!((a.dataset, a.entity.as_str()), (Dataset::PRODUCTION_15MIN, "NO3"));
        press(&mut a, KeyCode::Char('d'));
        assert_eq!(a.entity, "4601", "Bergen is remembered");
        press(&mut a, KeyCode::Char('d'));
        press(&mut a, KeyCode::Char('d'));
        assert_eq!(a.dataset, Dataset::PRODUCTION, "wraps around the catalogue");
    }

    #[test]
    fn slash_filters_by_number_or_name_ignoring_case_and_accents() {
        let mut a = app();
        a.set_dataset(Dataset::CONSUMPTION_MUNICIPALITY);
        update(&mut a, Action::EntitiesLoaded(EntityKind::Municipality, Ok(municipalities())));
        press(&mut a, KeyCode::Char('/'));
        assert!(a.filter.editing);
        typed(&mut a, "TROMSO");
        assert_eq!(a.visible_entities().iter().map(|e| e.id.as_str()).collect::<Vec<_>>(), [ALL, "5501"]);
        assert_eq!(a.entity, "5501", "the selection follows the filter to the first match");
        for _ in 0..6 {
            press(&mut a, KeyCode::Backspace);
        }
        typed(&mut a, "50");
        assert_eq!(a.visible_entities().len(), 1 + 3, "all, then 5001, 5041, 5501 by number");
        typed(&mut a, "4");
        assert_eq!(a.entity, "5041", "SnÃ¥sa shown as it came, found by its number");
        press(&mut a, KeyCode::Enter);
        assert!(!a.filter.editing && a.filter.text == "504");
        press(&mut a, KeyCode::Char('q')).len();
        assert!(a.quit, "keys act again once the filter is kept");
        a.quit = false;
        press(&mut a, KeyCode::Esc);
        assert!(!a.quit && a.filter.text.is_empty(), "Esc drops a kept filter first");
        assert_eq!(a.visible_entities().len(), 1 + 5);
        press(&mut a, KeyCode::Char('/'));
        typed(&mut a, "berg");
        press(&mut a, KeyCode::Esc);
        assert_eq!((a.filter.text.as_str(), a.filter.editing), ("", false), "Esc while typing drops it");
        assert_eq!(a.entity, "4601", "the entity chosen by the filter stays selected");
    }

    #[test]
    fn r_fetches_once_at_a_time() {
        let mut a = app();
        let effects = press(&mut a, KeyCode::Char('r'));
        assert!(effects.contains(&Effect::StartFetch(Dataset::PRODUCTION, FetchMode::Refresh)));
        assert_eq!(a.fetch.as_ref().map(|f| f.months.len()), Some(12));
        let again = press(&mut a, KeyCode::Char('r'));
        assert!(!again.iter().any(|e| matches!(e, Effect::StartFetch(..))));
        assert_eq!(a.message.as_deref(), Some("a fetch is already running"));
        a.fetch.as_mut().unwrap().finished = Some(a.now);
        let forced = press(&mut a, KeyCode::Char('R'));
        assert!(forced.contains(&Effect::StartFetch(Dataset::PRODUCTION, FetchMode::Force)));
    }

    #[test]
    fn help_opens_and_any_key_closes_it() {
        let mut a = app();
        press(&mut a, KeyCode::Char('?'));
        assert!(a.show_help);
        press(&mut a, KeyCode::Char('x'));
        assert!(!a.show_help);
        press(&mut a, KeyCode::Char('?'));
        press(&mut a, KeyCode::Esc);
        assert!(!a.show_help && !a.quit, "Esc closes help first");
    }

    #[test]
    fn q_esc_and_ctrl_c_quit() {
        for k in [
            key(KeyCode::Char('q')),
            key(KeyCode::Esc),
            KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL),
        ] {
            let mut a = app();
            let action = handle_key(&a, k).unwrap();
            update(&mut a, action);
            assert!(a.quit);
        }
    }

    #[test]
    fn releases_and_unmapped_keys_are_ignored() {
        let a = app();
        let mut release = key(KeyCode::Char('q'));
        release.kind = KeyEventKind::Release;
        assert_eq!(handle_key(&a, release), None);
        assert_eq!(handle_key(&a, key(KeyCode::Char('z'))), None);
    }

    #[test]
    fn progress_pane_scrolls_when_focused() {
        let mut a = app();
        press(&mut a, KeyCode::Char('r'));
        a.focus = Pane::Progress;
        press(&mut a, KeyCode::Down);
        press(&mut a, KeyCode::Down);
        assert_eq!(a.progress_scroll, 2);
        for _ in 0..20 {
            press(&mut a, KeyCode::Down);
        }
        assert_eq!(a.progress_scroll, 11, "clamped to the last month");
    }

    #[test]
    fn an_empty_store_starts_a_fetch_once() {
        let mut a = app();
        a.start();
        let effects = update(&mut a, Action::CoverageLoaded(Dataset::PRODUCTION, Ok(vec![])));
        assert!(effects.contains(&Effect::StartFetch(Dataset::PRODUCTION, FetchMode::Resume)));
        // Coverage reloaded later (after months land) does not start another.
        a.fetch.as_mut().unwrap().finished = Some(a.now);
        let effects = update(&mut a, Action::CoverageLoaded(Dataset::PRODUCTION, Ok(vec![])));
        assert!(!effects.iter().any(|e| matches!(e, Effect::StartFetch(..))));
    }

    #[test]
    fn a_stored_range_does_not_fetch() {
        let mut a = app();
        a.start();
        let cov = MonthCoverage {
            month: "2021-01".parse().unwrap(),
            records: 1,
            rejected: 0,
            fetched_at: chrono::Utc::now(),
        };
        let effects = update(&mut a, Action::CoverageLoaded(Dataset::PRODUCTION, Ok(vec![cov])));
        assert!(!effects.iter().any(|e| matches!(e, Effect::StartFetch(..))));
    }

    #[test]
    fn progress_events_drive_month_lines_and_reload_the_view() {
        let mut a = app();
        a.start();
        press(&mut a, KeyCode::Char('r'));
        let dec: Month = "2021-12".parse().unwrap();
        update(&mut a, Action::Ingest(Progress::Fetching { month: dec }));
        assert_eq!(a.fetch.as_ref().unwrap().months[11].1, MonthStatus::Fetching);
        update(
            &mut a,
            Action::Ingest(Progress::Retry {
                month: dec,
                attempt: 2,
                reason: "HTTP 503".into(),
                delay: Duration::ZERO,
            }),
        );
        assert_eq!(
            a.fetch.as_ref().unwrap().months[11].1,
            MonthStatus::Retry { attempt: 2, reason: "HTTP 503".into() }
        );
        let effects = update(&mut a, Action::Ingest(Progress::WindowDone { month: dec, done: 3, of: 31 }));
        assert_eq!(a.fetch.as_ref().unwrap().months[11].1, MonthStatus::Partly { done: 3, of: 31 });
        assert!(effects.iter().any(|e| matches!(e, Effect::LoadCurve(_))), "a day that lands shows at once");
        let effects = update(
            &mut a,
            Action::Ingest(Progress::Done {
                month: dec,
                records: 18600,
                rejected: 0,
                stats: UpsertStats::default(),
            }),
        );
        assert_eq!(a.fetch.as_ref().unwrap().months[11].1, MonthStatus::Done { records: 18600, rejected: 0 });
        assert_eq!(a.fetch.as_ref().unwrap().records, 18600);
        // December 2021 is in view: its totals and curve are queried again, and what is shown
        // stays until the new values arrive.
        assert!(effects.iter().any(|e| matches!(e, Effect::LoadTotals(_))));
        assert!(effects.iter().any(|e| matches!(e, Effect::LoadCurve(_))));
        assert!(a.current_totals().is_some());
        // A month out of view drops its cache entry, to be read again when shown.
        let other = CurveKey { month: "2021-06".parse().unwrap(), ..a.curve_key() };
        a.curves.insert(other.clone(), Loadable::Ready(vec![]));
        let june: Month = "2021-06".parse().unwrap();
        update(
            &mut a,
            Action::Ingest(Progress::Done {
                month: june,
                records: 1,
                rejected: 0,
                stats: UpsertStats::default(),
            }),
        );
        assert!(!a.curves.contains_key(&other));
        let jan: Month = "2021-01".parse().unwrap();
        update(&mut a, Action::Ingest(Progress::Failed { month: jan, reason: "HTTP 500".into() }));
        assert_eq!(a.fetch.as_ref().unwrap().completed(), 3);
        // Later news of the failed month's other windows does not hide the failure.
        update(&mut a, Action::Ingest(Progress::WindowDone { month: jan, done: 5, of: 31 }));
        update(
            &mut a,
            Action::Ingest(Progress::Retry {
                month: jan,
                attempt: 1,
                reason: "x".into(),
                delay: Duration::ZERO,
            }),
        );
        assert_eq!(a.fetch.as_ref().unwrap().months[0].1, MonthStatus::Failed { reason: "HTTP 500".into() });
        let summary = IngestSummary {
            months_planned: 12,
            months_done: 11,
            failed_months: vec![(jan, "x".into())],
            ..Default::default()
        };
        update(&mut a, Action::Ingest(Progress::Finished(Box::new(summary))));
        assert!(!a.fetching());
        assert!(a.message.as_deref().unwrap().contains("r retries"));
    }

    #[test]
    fn failed_queries_keep_the_view_and_say_so() {
        let mut a = app();
        a.start();
        let key = a.totals_key();
        update(&mut a, Action::TotalsLoaded(key, Err("database is locked".into())));
        assert!(matches!(a.current_totals(), Some(Loadable::Failed(_))));
        assert!(a.message.as_deref().unwrap().contains("locked"));
    }

    #[test]
    fn ticks_advance_the_clock() {
        let mut a = app();
        let later = a.now + Duration::from_secs(3);
        update(&mut a, Action::Tick(later));
        assert_eq!(a.now, later);
    }
}
