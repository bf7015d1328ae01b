//! The explorer as the tests draw it: the replica's data in a real SQLite store, written a month
//! at a time as the views ask for it, the explorer's own queries answering from it, and the
//! screen drawn on a fixed-size TestBackend.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use chrono::{TimeZone, Utc};
use elhub_explorer::model::{Dataset, EntityKind, Month, MonthRange, Window};
use elhub_explorer::replica::generator;
use elhub_explorer::store::{Checkpoint, SqliteStore, Store};
use elhub_explorer::tui::state::{update, Action, App, Loadable, Query};
use elhub_explorer::tui::theme::Theme;
use elhub_explorer::tui::view;
use ratatui::backend::TestBackend;
use ratatui::Terminal;

pub fn month(s: &str) -> Month {
    s.parse().unwrap()
}

/// The replica's data in a real SQLite store, written a month at a time as the views ask for it,
/// and the explorer's own queries answering from it: what the loop would show.
pub struct Data {
    pub rt: tokio::runtime::Runtime,
    pub store: Store,
    written: Mutex<HashSet<(Dataset, Month)>>,
    _dir: tempfile::TempDir,
}

pub fn data() -> &'static Data {
    static DATA: OnceLock<Data> = OnceLock::new();
    DATA.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(SqliteStore::open(&dir.path().join("render.sqlite")).unwrap());
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        Data { rt, store, written: Mutex::new(HashSet::new()), _dir: dir }
    })
}

/// The months of `dataset` the tests store: every month of 2021-2022 of the price areas, March
/// 2024 of quarter-hours, and March 2021 of municipalities and grid areas (a year of them is
/// millions of records).
fn stored_months(dataset: Dataset) -> Vec<Month> {
    match dataset {
        d if d == Dataset::PRODUCTION_15MIN => vec![month("2024-03")],
        d if d.entity() != EntityKind::PriceArea => vec![month("2021-03")],
        _ => MonthRange::new(month("2021-01"), month("2022-12")).unwrap().months().collect(),
    }
}

/// Writes the replica's `months` of `dataset` (once each) with their checkpoints.
fn write_months(dataset: Dataset, months: &[Month]) {
    let d = data();
    let until = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let mut written = d.written.lock().unwrap();
    for m in months.iter().filter(|m| stored_months(dataset).contains(m)) {
        if !written.insert((dataset, *m)) {
            continue;
        }
        let window = Window::of_month(*m);
        let data = Arc::new(generator::window_data(dataset, window, until, None, None, &[]));
        let records = data.series.iter().map(|s| s.points.len() as u64).sum();
        let checkpoint = Checkpoint { month: *m, window, fetched_at: until, records, rejected: 0 };
        d.rt.block_on(d.store.write_window(&data, Some(&checkpoint))).unwrap();
    }
}

/// The months a query reads.
fn months_of(q: &Query) -> (Dataset, Vec<Month>) {
    let year = |dataset: Dataset, y: i32| (dataset, (1..=12).filter_map(|m| Month::new(y, m)).collect());
    match q {
        Query::Entities(kind) => {
            (Dataset::all().find(|d| d.entity() == *kind).unwrap(), vec![month("2021-03")])
        }
        Query::Coverage(d) => (*d, stored_months(*d)),
        Query::Totals(k) => year(k.dataset, k.year),
        Query::Curve(k) => (k.series.dataset, vec![k.month]),
        Query::Year(k) => year(k.series.dataset, k.year),
        Query::Side(k) => year(k.dataset, k.year),
        Query::Points(k) => year(k.dataset, k.year),
    }
}

/// Answers every query the screen waits on, from the store, until nothing more is asked.
pub fn answer_queries(app: &mut App) {
    let d = data();
    for _ in 0..10 {
        let pending: Vec<Query> = app.shown_queries().into_iter().filter(|q| !answered(app, q)).collect();
        if pending.is_empty() {
            return;
        }
        for q in pending {
            let (dataset, months) = months_of(&q);
            write_months(dataset, &months);
            let answer = d.rt.block_on(elhub_explorer::tui::query(&d.store, q));
            update(app, Action::Answered(answer));
        }
    }
}

fn answered(app: &App, q: &Query) -> bool {
    let ready = |l: Option<&Loadable<_>>| matches!(l, Some(Loadable::Ready(_)));
    match q {
        Query::Entities(k) => app.q.entities.ready(k).is_some(),
        Query::Coverage(k) => app.q.coverage.ready(k).is_some(),
        Query::Totals(k) => ready(app.q.totals.get(k).map(|l| l as &Loadable<_>)),
        Query::Curve(k) => app.q.curves.ready(k).is_some(),
        Query::Year(k) => app.q.years.ready(k).is_some(),
        Query::Side(k) => app.q.sides.ready(k).is_some(),
        Query::Points(k) => app.q.points.ready(k).is_some(),
    }
}

/// An explorer showing NO1 in March 2021 with the replica's data, as the loop would after its
/// first queries came back.
pub fn app_with_data(theme: Theme) -> App {
    app_of(Dataset::PRODUCTION, theme)
}

pub fn app_of(dataset: Dataset, theme: Theme) -> App {
    let year = MonthRange::new(month("2021-01"), month("2021-12")).unwrap();
    let mut app = App::new(dataset, year, "sqlite elhub.sqlite".into(), theme, Instant::now());
    app.start();
    answer_queries(&mut app);
    // The explorer opened on the newest month stored; show March, with its DST change.
    app.set_month(month("2021-03"));
    answer_queries(&mut app);
    app
}

pub fn draw(app: &App, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| view::render(app, f)).unwrap();
    terminal
}

pub fn screen(app: &App, width: u16, height: u16) -> String {
    draw(app, width, height).backend().to_string()
}

/// A view at a realistic size with the plot's width told to the state, as the loop does.
pub fn laid_out(mut app: App, width: u16, height: u16) -> App {
    let w = view::curve_width(&app, width, height);
    update(&mut app, Action::CurveWidth(w));
    answer_queries(&mut app);
    app
}
