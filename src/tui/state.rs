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

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChartKind {
    Bars,
    Sectors,
}

/// What the curve pane shows (`v` cycles).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CurveView {
    /// The month's steps.
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

/// The daily totals of one series (or all groups, or all entities) over a local year.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct YearKey {
    pub dataset: Dataset,
    pub entity: String,
    pub group: Group,
    pub year: i32,
}

/// One group's total of a year for every entity of a dataset: the entities side by side.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SideKey {
    pub dataset: Dataset,
    pub group: Group,
    pub year: i32,
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
    /// The months asked for (`r`: the viewed year; `R`: the range given at start).
    pub range: MonthRange,
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

    /// Months that ended without being written (fetch failed, or every sink failed).
    pub fn failed(&self) -> usize {
        self.months
            .iter()
            .filter(|(_, s)| matches!(s, MonthStatus::Failed { .. } | MonthStatus::SinkFailed { .. }))
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
    /// First help line shown, when help is longer than the terminal.
    pub help_scroll: usize,
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
    /// The local month now: the last one there can be data for.
    pub this_month: Month,
    /// What the curve pane shows, and how.
    pub view: CurveView,
    /// The curve as a line (braille) rather than bars.
    pub line: bool,
    /// The curve's scale from zero rather than from its minimum.
    pub zero_based: bool,
    /// The column the cursor reads (`[`/`]`), when it is on.
    pub cursor: Option<usize>,
    /// The same month a year earlier drawn over the curve (`o`).
    pub overlay: bool,
    /// The totals pane shows the group's total for every entity side by side (`a`).
    pub side_by_side: bool,
    /// A month or year being typed after `:`.
    pub jump: Option<String>,
    pub years: HashMap<YearKey, Loadable<Vec<(i32, f64)>>>,
    pub sides: HashMap<SideKey, Loadable<Vec<(String, f64)>>>,
    /// Whether the view has been moved to the newest stored month (once, at start), or a
    /// remembered view was restored instead.
    opened: bool,
    /// Whether the range was named on the command line: then the explorer opens on its newest
    /// stored month rather than on the newest of all.
    pub range_given: bool,
    /// Columns of the curve's plot as last laid out (the loop tells), for the cursor's range.
    pub curve_width: usize,
    pub theme: Theme,
    /// Whether the automatic first fetch of an empty store was started.
    auto_fetch_done: bool,
}

/// What a key or a background result asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Quit,
    /// `c`: the curve as bars or as a line.
    ToggleLine,
    /// `z`: the curve's scale from zero or from its minimum.
    ToggleZero,
    /// `[`/`]`: the cursor a column left or right (it appears in the middle).
    MoveCursor(i32),
    /// The loop laid out the curve's plot this many columns wide.
    CurveWidth(usize),
    /// `v`: month, year, average day.
    StepView,
    /// `o`: the same month a year earlier over the curve.
    ToggleOverlay,
    /// `a`: the group's total for every entity side by side.
    ToggleSideBySide,
    /// Home/End: the first or last stored month.
    JumpEnd(i32),
    /// `:` starts typing a month or year; Enter jumps; Esc leaves it.
    StartJump,
    JumpType(char),
    JumpBackspace,
    JumpGo,
    /// `s`: save the view as SVG and its data as CSV (the loop writes them).
    Save,
    /// The loop wrote the view's files (their paths), or could not.
    Saved(Result<Vec<String>, String>),
    /// Esc in the main view: closes what is open (cursor, side by side), never quits.
    Back,
    YearLoaded(YearKey, Result<Vec<(i32, f64)>, String>),
    SideLoaded(SideKey, Result<Vec<(String, f64)>, String>),
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
    /// R: fetch the range given at start (missing months, and revisions with `Refresh`).
    Fetch(FetchMode),
    /// r: fetch the viewed year of the viewed dataset (missing months and revisions).
    FetchViewed,
    /// Tab / Shift-Tab.
    StepFocus(i32),
    ToggleHelp,
    CloseHelp,
    /// ↑/↓ in help.
    ScrollHelp(i32),
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

impl Action {
    /// Whether the action comes from a key (not from a query, the fetch or the clock).
    pub fn is_key(&self) -> bool {
        !matches!(
            self,
            Action::Saved(_)
                | Action::YearLoaded(..)
                | Action::SideLoaded(..)
                | Action::EntitiesLoaded(..)
                | Action::TotalsLoaded(..)
                | Action::CurveLoaded(..)
                | Action::CoverageLoaded(..)
                | Action::QueryDropped(_)
                | Action::Ingest(_)
                | Action::Tick(_)
                | Action::CurveWidth(_)
        )
    }
}

/// Work the loop must start for the state.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    LoadEntities(EntityKind),
    LoadTotals(TotalsKey),
    LoadCurve(CurveKey),
    LoadCoverage(Dataset),
    LoadYear(YearKey),
    LoadSide(SideKey),
    /// A fetch of a dataset over a range of months.
    StartFetch(Dataset, FetchMode, MonthRange),
    /// Save the view: the loop renders the screen as SVG and writes the data behind it as CSV.
    SaveView,
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
            help_scroll: 0,
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
            this_month: Month::containing(chrono::Utc::now()),
            view: CurveView::Month,
            line: false,
            zero_based: false,
            cursor: None,
            overlay: false,
            side_by_side: false,
            jump: None,
            years: HashMap::new(),
            sides: HashMap::new(),
            opened: false,
            curve_width: 0,
            range_given: false,
        }
    }

    /// Restores a view remembered from an earlier run (see `remember`): the dataset, entity,
    /// group and month (kept within the months there can be data for), and how they are shown.
    pub fn restore(&mut self, saved: &super::remember::SavedView) {
        let Some((dataset, month)) = saved.parsed() else { return };
        self.set_dataset(dataset);
        if !saved.entity.is_empty() {
            self.select_entity(saved.entity.clone());
        }
        self.group = saved.group.clone();
        self.month = self.bounded(month);
        self.chart = saved.chart;
        self.view = saved.view;
        self.line = saved.line;
        self.zero_based = saved.zero_based;
        self.opened = true;
        self.keep_selection_visible();
    }

    /// Opens on the entity `id` (`--entity`), whatever was remembered.
    pub fn open_on(&mut self, id: String) {
        self.select_entity(id);
        self.keep_selection_visible();
    }

    /// Slots a plot `width` columns wide has: two a column for a braille line.
    pub fn plot_slots(&self, width: usize) -> usize {
        if self.line && !self.theme.ascii {
            width * 2
        } else {
            width
        }
    }

    /// How many positions the cursor has in the curve pane as drawn (0: nothing drawn yet).
    pub fn cursor_slots(&self) -> usize {
        let slots = self.plot_slots(self.curve_width);
        match self.view {
            CurveView::Profile => 24,
            CurveView::Month => match self.curve_to_draw().0 {
                Some(Loadable::Ready(v)) => {
                    super::series::buckets(v, self.dataset.resolution().per_hour() as usize, slots).len()
                }
                _ => 0,
            },
            CurveView::Year => match self.years.get(&self.year_key()) {
                Some(Loadable::Ready(days)) => {
                    super::series::day_columns(&super::series::days_of(days), slots).1.len()
                }
                _ => 0,
            },
        }
    }

    /// The months the views may show: from the dataset's first to this one.
    pub fn month_bounds(&self) -> (Month, Month) {
        let first = self.dataset.spec().first_month;
        (first, self.this_month.max(first))
    }

    /// Moves to `month`, or to the nearest month there can be data for, saying so.
    fn go_to(&mut self, month: Month) {
        let bounded = self.bounded(month);
        if bounded != month {
            let (first, last) = self.month_bounds();
            self.message = Some(format!("{} has data from {first} to {last}", self.dataset));
        }
        self.month = bounded;
    }

    /// `month` kept within `month_bounds`.
    fn bounded(&self, month: Month) -> Month {
        let (first, last) = self.month_bounds();
        month.clamp(first, last)
    }

    pub fn year_key(&self) -> YearKey {
        YearKey {
            dataset: self.dataset,
            entity: self.entity.clone(),
            group: self.group.clone(),
            year: self.year(),
        }
    }

    pub fn side_key(&self) -> SideKey {
        SideKey { dataset: self.dataset, group: self.group.clone(), year: self.year() }
    }

    /// The totals of the same entity a year earlier, for the change column.
    pub fn previous_totals(&self) -> Option<&Loadable<Vec<GroupTotal>>> {
        self.totals.get(&TotalsKey { year: self.year() - 1, ..self.totals_key() })
    }

    /// The same month a year earlier, drawn over the curve.
    pub fn overlay_curve(&self) -> Option<&Loadable<Vec<StepValue>>> {
        let month = Month::new(self.year() - 1, self.month.month())?;
        self.curves.get(&CurveKey { month, ..self.curve_key() })
    }

    /// The months stored of the dataset (complete or not), sorted.
    pub fn stored_months(&self) -> Vec<Month> {
        match self.coverage.get(&self.dataset) {
            Some(Loadable::Ready(c)) => c.iter().filter(|c| c.records > 0).map(|c| c.month).collect(),
            _ => Vec::new(),
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

    pub fn year(&self) -> i32 {
        self.month.year()
    }

    /// Whether every month of `year` there can be data for is stored: only whole years are
    /// compared, never a few months with a year.
    pub fn year_whole(&self, year: i32) -> bool {
        let (first, last) = self.month_bounds();
        let stored = self.stored_months();
        // All twelve months: this year, and a dataset's first year when it starts in May, are
        // not whole years.
        (1..=12).filter_map(|m| Month::new(year, m)).all(|m| m >= first && m <= last && stored.contains(&m))
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
                Some(Loadable::Ready(list)) => list
                    .iter()
                    .map(|e| EntityRow { id: e.id.clone(), name: e.display_name().into_owned() })
                    .collect(),
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

    /// The groups to cycle through: those with totals in view (largest first), else the known
    /// ones; then all of them together (`ALL`).
    pub fn groups(&self) -> Vec<Group> {
        let mut groups: Vec<Group> = match self.current_totals() {
            Some(Loadable::Ready(t)) if !t.is_empty() => t.iter().map(|t| t.group.clone()).collect(),
            _ => self.dataset.known_groups().iter().map(|g| g.to_string()).collect(),
        };
        groups.push(ALL.to_string());
        groups
    }

    pub fn fetching(&self) -> bool {
        self.fetch.as_ref().is_some_and(FetchState::running)
    }

    /// The totals the panes show: the viewed year's, and the year before's for the change
    /// column (when there can be data for it). Empty without an entity.
    pub fn wanted_totals(&self) -> Vec<TotalsKey> {
        if self.entity.is_empty() {
            return Vec::new();
        }
        let mut keys = vec![self.totals_key()];
        if self.year() > self.month_bounds().0.year() {
            keys.push(TotalsKey { year: self.year() - 1, ..self.totals_key() });
        }
        keys
    }

    /// The curves the panes show: the viewed month's, and the same month a year earlier when
    /// it is drawn over it.
    pub fn wanted_curves(&self) -> Vec<CurveKey> {
        if self.entity.is_empty() {
            return Vec::new();
        }
        let mut keys = vec![self.curve_key()];
        let earlier = Month::new(self.year() - 1, self.month.month()).filter(|m| *m >= self.month_bounds().0);
        if let Some(month) = earlier.filter(|_| self.overlay && self.view == CurveView::Month) {
            keys.push(CurveKey { month, ..self.curve_key() });
        }
        keys
    }

    /// The year's days the curve pane shows (in the year view).
    pub fn wanted_years(&self) -> Vec<YearKey> {
        if self.entity.is_empty() || self.view != CurveView::Year {
            return Vec::new();
        }
        vec![self.year_key()]
    }

    /// The entities side by side the totals pane shows (with `a`).
    pub fn wanted_sides(&self) -> Vec<SideKey> {
        if self.entity.is_empty() || !self.side_by_side {
            return Vec::new();
        }
        vec![self.side_key()]
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
            for tk in self.wanted_totals() {
                if !self.totals.contains_key(&tk) {
                    self.totals.insert(tk.clone(), Loadable::Loading);
                    out.push(Effect::LoadTotals(tk));
                }
            }
            for ck in self.wanted_curves() {
                if !self.curves.contains_key(&ck) {
                    self.curves.insert(ck.clone(), Loadable::Loading);
                    out.push(Effect::LoadCurve(ck));
                }
            }
            for yk in self.wanted_years() {
                if !self.years.contains_key(&yk) {
                    self.years.insert(yk.clone(), Loadable::Loading);
                    out.push(Effect::LoadYear(yk));
                }
            }
            for sk in self.wanted_sides() {
                if !self.sides.contains_key(&sk) {
                    self.sides.insert(sk.clone(), Loadable::Loading);
                    out.push(Effect::LoadSide(sk));
                }
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

    /// The viewed year of the dataset, within the months there can be data for.
    pub fn viewed_range(&self) -> MonthRange {
        let (first, last) = self.month_bounds();
        let from = Month::new(self.year(), 1).unwrap_or(self.month).max(first);
        let to = Month::new(self.year(), 12).unwrap_or(self.month).min(last);
        MonthRange::new(from, to.max(from)).unwrap_or(self.range)
    }

    fn start_fetch(&mut self, dataset: Dataset, mode: FetchMode, range: MonthRange) -> Vec<Effect> {
        if self.fetching() {
            self.message = Some("a fetch is running; wait for it to end".into());
            return vec![];
        }
        self.fetch = Some(FetchState {
            dataset,
            range,
            months: range.months().map(|m| (m, MonthStatus::Waiting)).collect(),
            records: 0,
            started: self.now,
            finished: None,
            summary: None,
        });
        self.progress_scroll = 0;
        self.message = None;
        vec![Effect::StartFetch(dataset, mode, range)]
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
        // A dataset that starts later (quarter-hours from 2023-05) opens on its first month.
        self.month = self.bounded(self.month);
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
        // The year's days and the entities side by side: read again when next shown.
        self.years.retain(|k, _| !(k.dataset == dataset && k.year == month.year()));
        self.sides.retain(|k, _| !(k.dataset == dataset && k.year == month.year()));
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
                // Months that never came to an end were not fetched: say why on their lines.
                let why = match &summary.unreachable {
                    Some(url) => {
                        format!("not fetched: {} could not be reached", crate::model::printable(url))
                    }
                    None => "not fetched: the fetch stopped first".to_string(),
                };
                for (_, s) in fetch.months.iter_mut() {
                    if !matches!(
                        s,
                        MonthStatus::Done { .. }
                            | MonthStatus::Failed { .. }
                            | MonthStatus::SinkFailed { .. }
                    ) {
                        *s = MonthStatus::Failed { reason: why.clone() };
                    }
                }
                self.message = match summary.outcome() {
                    _ if summary.months_planned == 0 => {
                        Some(format!("nothing to fetch: {} is stored and current", fetch.range))
                    }
                    Outcome::Done => None,
                    _ if summary.unreachable.is_some() => Some(
                        "the API could not be reached; Tab to the fetch pane says more; r tries again".into(),
                    ),
                    _ => Some(format!(
                        "{} of {} fetched; Tab to the fetch pane says why; r fetches again",
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
    // A notice lasts until the next key.
    if action.is_key() {
        app.message = None;
    }
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
            let target = if by < 0 { app.month.prev() } else { app.month.next() };
            app.go_to(target);
        }
        Action::StepYear(by) => {
            let target = Month::new(app.year() + by.signum(), app.month.month()).unwrap_or(app.month);
            app.go_to(target);
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
        Action::Fetch(mode) => effects.extend(app.start_fetch(app.dataset, mode, app.range)),
        Action::FetchViewed => {
            let range = app.viewed_range();
            effects.extend(app.start_fetch(app.dataset, FetchMode::Refresh, range));
        }
        Action::ToggleLine => {
            // The cursor stays on the same time: the line has twice the columns of the bars.
            let before = app.cursor_slots();
            app.line = !app.line;
            let after = app.cursor_slots();
            if let Some(c) = app.cursor.as_mut().filter(|_| before > 0 && after > 0) {
                *c = (*c * after / before).min(after - 1);
            }
        }
        Action::ToggleZero => app.zero_based = !app.zero_based,
        Action::MoveCursor(by) => {
            let slots = app.cursor_slots();
            if slots == 0 {
                app.message = Some("no curve to read here".into());
            } else {
                app.cursor = Some(match app.cursor {
                    Some(c) => (c.min(slots - 1) as i64 + by as i64).clamp(0, slots as i64 - 1) as usize,
                    None => slots / 2,
                });
            }
        }
        Action::CurveWidth(width) => {
            app.curve_width = width;
            let slots = app.cursor_slots();
            if let Some(c) = app.cursor.as_mut() {
                *c = (*c).min(slots.saturating_sub(1));
            }
        }
        Action::StepView => {
            app.view = app.view.next();
            app.cursor = None;
        }
        Action::ToggleOverlay => {
            app.overlay = !app.overlay;
            if app.overlay && app.view != CurveView::Month {
                app.message = Some("the year before is drawn over the month's curve (v)".into());
            }
        }
        Action::ToggleSideBySide => app.side_by_side = !app.side_by_side,
        Action::JumpEnd(by) => {
            let stored = app.stored_months();
            match if by < 0 { stored.first() } else { stored.last() } {
                Some(m) => app.month = *m,
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
            if let Some(text) = app.jump.as_mut().filter(|t| t.len() < 7) {
                text.push(c);
            }
        }
        Action::JumpBackspace => {
            if let Some(text) = app.jump.as_mut() {
                text.pop();
            }
        }
        Action::JumpGo => {
            let text = app.jump.take().unwrap_or_default();
            let target =
                text.trim().parse::<Month>().ok().or_else(|| {
                    text.trim().parse::<i32>().ok().and_then(|y| Month::new(y, app.month.month()))
                });
            match target {
                Some(m) => app.go_to(m),
                None => {
                    app.message = Some(format!(
                        "'{}' is not a month (2023-07) or a year (2023)",
                        crate::model::printable(&text)
                    ))
                }
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
            } else if app.side_by_side {
                app.side_by_side = false;
            } else {
                app.message = Some("nothing to close; q quits".into());
            }
        }
        Action::YearLoaded(key, result) => {
            app.years.insert(key, result.map_or_else(Loadable::Failed, Loadable::Ready));
        }
        Action::SideLoaded(key, result) => {
            app.sides.insert(key, result.map_or_else(Loadable::Failed, Loadable::Ready));
        }
        Action::StepFocus(by) => app.focus = app.focus.step(by),
        Action::ToggleHelp => {
            app.show_help = !app.show_help;
            app.help_scroll = 0;
        }
        Action::CloseHelp => app.show_help = false,
        Action::ScrollHelp(by) => {
            let lines = super::keys::help_rows(app.theme.ascii).len();
            app.help_scroll = (app.help_scroll as i64 + by as i64).clamp(0, lines as i64 - 1) as usize;
        }
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
            // At start, open on the newest data rather than on a month with none.
            if !app.opened && dataset == app.dataset {
                app.opened = true;
                let stored = app.stored_months();
                let in_range = stored.iter().rfind(|m| app.range.contains(**m));
                if let Some(newest) = in_range.filter(|_| app.range_given).or(stored.last()) {
                    app.month = *newest;
                }
            }
            // First run on an empty store: fetch the configured range at once.
            if empty && !app.auto_fetch_done && dataset == app.dataset && app.fetch.is_none() {
                app.auto_fetch_done = true;
                effects.extend(app.start_fetch(dataset, FetchMode::Resume, app.range));
            }
            app.auto_fetch_done = true;
        }
        Action::Ingest(p) => effects.extend(app.on_progress(p)),
        // A query dropped unanswered frees its key, to be asked again when shown again: a first
        // query (loading) or a reload after a fetch (an old answer that must not stay).
        Action::QueryDropped(effect) => match effect {
            Effect::LoadTotals(key) => {
                app.totals.remove(&key);
            }
            Effect::LoadCurve(key) => {
                app.curves.remove(&key);
            }
            Effect::LoadYear(key) => {
                app.years.remove(&key);
            }
            Effect::LoadSide(key) => {
                app.sides.remove(&key);
            }
            _ => {}
        },
        Action::Tick(now) => app.now = now,
    }
    effects.extend(app.wanted());
    app.remember_shown();
    effects
}

/// An explorer on production 2021 with the default theme, for the tests of every module.
#[cfg(test)]
pub(crate) fn sample_app() -> App {
    let range =
        MonthRange::new("2021-01".parse().expect("month"), "2021-12".parse().expect("month")).expect("range");
    App::new(Dataset::PRODUCTION, range, "sqlite".into(), Theme::default(), Instant::now())
}

#[cfg(test)]
#[path = "state_tests.rs"]
mod tests;
