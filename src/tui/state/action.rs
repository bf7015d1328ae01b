//! What reaches the state: an `Action` from a key or from background work, and the `Effect`s an
//! update asks the loop to start (a query, a fetch, a save).

use std::time::Instant;

use super::cache::{Answer, Query};
use crate::ingest::{FetchMode, Progress};
use crate::model::{Dataset, MonthRange};

/// What a key or a background result asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Quit,
    /// The n-th (0-based) entity of the list as shown.
    SelectNth(usize),
    /// ↑/↓ (or ten at a time) in the focused pane.
    Move(i32),
    /// ←/→: previous or next month (zoomed: the span before or after).
    StepMonth(i32),
    /// y/Y: next or previous year.
    StepYear(i32),
    /// g/G: next or previous group.
    StepGroup(i32),
    /// d/D: next or previous dataset of the catalogue.
    StepDataset(i32),
    /// Home/End: the first or last stored month.
    JumpEnd(i32),
    /// `v`: month, year, average day.
    StepView,
    /// `+`/`-`: a narrower or a wider span of time.
    Zoom(i32),
    /// `[`/`]`: the cursor a column left or right (zoomed: a step); it appears in the middle.
    MoveCursor(i32),
    /// `<`/`>`: the cursor a day earlier or later (a week in the year view).
    MoveDay(i32),
    /// `c`: the curve as bars or as a line.
    ToggleLine,
    /// `z`: the curve's scale from zero or from its minimum.
    ToggleZero,
    /// `o`: the same month a year earlier over the curve.
    ToggleOverlay,
    /// `a`: the group's total for every entity side by side.
    ToggleSideBySide,
    /// `b`: totals as bars or sectors.
    ToggleChart,
    /// `p`: pin the series on screen (or unpin it).
    TogglePin,
    /// `P`: drop every pin.
    ClearPins,
    /// `=`: the difference of the first two pins.
    ToggleDifference,
    /// `m`: kWh per metering point.
    TogglePerPoint,
    /// `:` starts typing where to go; Enter goes; Esc leaves; Ctrl-U clears.
    StartJump,
    JumpType(char),
    JumpBackspace,
    JumpClear,
    JumpGo,
    /// `/`: start typing a new filter.
    StartFilter,
    FilterType(char),
    FilterBackspace,
    FilterClear,
    /// Enter: keep the filter and leave typing.
    KeepFilter,
    /// Esc: drop the filter.
    DropFilter,
    /// R: fetch the range given at start (missing months, and revisions with `Refresh`).
    Fetch(FetchMode),
    /// r: fetch the viewed year of the viewed dataset (missing months and revisions).
    FetchViewed,
    /// `s`: save the view as SVG and its data as CSV (the loop writes them).
    Save,
    /// Tab / Shift-Tab.
    StepFocus(i32),
    ToggleHelp,
    /// A key pressed while help is open: help closes, and the key then does what it does.
    CloseHelp(Option<Box<Action>>),
    /// ↑/↓ in help, which has `rows` lines.
    ScrollHelp {
        by: i32,
        rows: usize,
    },
    /// Esc in the main view: closes what is open (cursor, difference, side by side, zoom), never
    /// quits.
    Back,
    /// The loop wrote the view's files (their paths), or could not.
    Saved(Result<Vec<String>, String>),
    /// The loop laid out the curve's plot this many columns wide.
    CurveWidth(usize),
    /// The store answered a query.
    Answered(Answer),
    /// A query was dropped unanswered: the selection had moved on before its turn came.
    QueryDropped(Query),
    Ingest(Progress),
    Tick(Instant),
}

impl Action {
    /// Whether the action comes from a key (not from a query, the fetch or the clock).
    pub fn is_key(&self) -> bool {
        !matches!(
            self,
            Action::Saved(_)
                | Action::Answered(_)
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
    Query(Query),
    /// A fetch of a dataset over a range of months.
    StartFetch(Dataset, FetchMode, MonthRange),
    /// Save the view: the loop renders the screen as SVG and writes the data behind it as CSV.
    SaveView,
}
