//! The explorer's views on replica data: full-screen snapshots on a fixed-size TestBackend
//! (bars, sectors, progress while fetching, help, a too-small terminal, ASCII), a single widget
//! against `Buffer::with_lines`, and colour rules (one colour per group; none under NO_COLOR).

#![allow(clippy::unwrap_used)] // tests fail loudly by design

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use elhub_explorer::ingest::Progress;
use elhub_explorer::model::{Dataset, Entity, EntityKind, Month, MonthRange, Window};
use elhub_explorer::replica::generator;
use elhub_explorer::store::{GroupTotal, MonthCoverage, StepValue, UpsertStats};
use elhub_explorer::tui::state::{update, Action, App, ChartKind};
use elhub_explorer::tui::theme::Theme;
use elhub_explorer::tui::view::{self, EntitiesPane};
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Color;
use ratatui::widgets::Widget;
use ratatui::Terminal;

fn month(s: &str) -> Month {
    s.parse().unwrap()
}

/// An explorer showing NO1 in March 2021 with the replica's data, as the loop would after its
/// first queries came back.
fn app_with_data(theme: Theme) -> App {
    app_of(Dataset::PRODUCTION, theme)
}

fn app_of(dataset: Dataset, theme: Theme) -> App {
    let year = MonthRange::new(month("2021-01"), month("2021-12")).unwrap();
    let t0 = Instant::now();
    let mut app = App::new(dataset, year, "sqlite elhub.sqlite".into(), theme, t0);
    app.month = month("2021-03");
    app.start();
    answer_queries(&mut app);
    app
}

/// Answers the entity, totals, curve and coverage queries of what `app` shows, from the generator.
fn answer_queries(app: &mut App) {
    let year = app.range;
    let until = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let window = Window { start: year.from().start_utc(), end: year.to().end_utc() };
    let dataset = app.dataset;
    if dataset.entity() != EntityKind::PriceArea
        && app
            .entities
            .get(&dataset.entity())
            .is_none_or(|e| !matches!(e, elhub_explorer::tui::state::Loadable::Ready(_)))
    {
        let day = Window::of_day(chrono::NaiveDate::from_ymd_opt(2021, 3, 1).unwrap());
        let entities: Vec<Entity> = generator::window_data(dataset, day, until, None, None, &[]).entities;
        update(app, Action::EntitiesLoaded(dataset.entity(), Ok(entities)));
    }
    let data = generator::window_data(dataset, window, until, Some(&app.entity), None, &[]);
    let mut sums: BTreeMap<String, (f64, u64)> = BTreeMap::new();
    for s in &data.series {
        let e = sums.entry(s.key.group.clone()).or_default();
        e.0 += s.points.iter().map(|p| p.kwh).sum::<f64>();
        e.1 += s.points.len() as u64;
    }
    let totals = sums.into_iter().map(|(group, (kwh, count))| GroupTotal { group, kwh, count }).collect();
    let key = app.totals_key();
    update(app, Action::TotalsLoaded(key, Ok(totals)));
    let m = app.month;
    let curve: Vec<StepValue> = data
        .records()
        .filter(|r| r.group == app.group && m.start_utc() <= r.start && r.start < m.end_utc())
        .map(|r| StepValue { start: r.start, kwh: r.quantity_kwh })
        .collect();
    let key = app.curve_key();
    update(app, Action::CurveLoaded(key, Ok(curve)));
    let coverage = year
        .months()
        .map(|m| MonthCoverage { month: m, records: 17_856, rejected: 0, fetched_at: until })
        .collect();
    update(app, Action::CoverageLoaded(dataset, Ok(coverage)));
}

fn draw(app: &App, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| view::render(app, f)).unwrap();
    terminal
}

fn screen(app: &App, width: u16, height: u16) -> String {
    draw(app, width, height).backend().to_string()
}

#[test]
fn bars_view() {
    insta::assert_snapshot!(screen(&app_with_data(Theme::default()), 100, 30));
}

#[test]
fn sector_view() {
    let mut app = app_with_data(Theme::default());
    update(&mut app, Action::ToggleChart);
    assert_eq!(app.chart, ChartKind::Sectors);
    insta::assert_snapshot!(screen(&app, 100, 30));
}

#[test]
fn progress_while_fetching() {
    let mut app = app_with_data(Theme::default());
    update(&mut app, Action::Fetch(elhub_explorer::ingest::FetchMode::Refresh));
    let done = UpsertStats { new: 17_856, updated: 0, unchanged: 0 };
    for (m, records) in [("2021-01", 17_856), ("2021-02", 16_128), ("2021-03", 17_832)] {
        update(
            &mut app,
            Action::Ingest(Progress::Done { month: month(m), records, rejected: 0, stats: done }),
        );
    }
    update(&mut app, Action::Ingest(Progress::Fetching { month: month("2021-04") }));
    update(
        &mut app,
        Action::Ingest(Progress::Retry {
            month: month("2021-05"),
            attempt: 2,
            reason: "HTTP 503".into(),
            delay: Duration::from_secs(1),
        }),
    );
    update(
        &mut app,
        Action::Ingest(Progress::Failed {
            month: month("2021-06"),
            reason: "HTTP 400 from the API: bad window".into(),
        }),
    );
    // Months landing re-query what is shown; the answers come back.
    answer_queries(&mut app);
    // Two seconds in: a fixed clock, so the rate is fixed too.
    let now = app.now + Duration::from_secs(2);
    update(&mut app, Action::Tick(now));
    insta::assert_snapshot!(screen(&app, 100, 30));
}

#[test]
fn help_overlay() {
    let mut app = app_with_data(Theme::default());
    update(&mut app, Action::ToggleHelp);
    insta::assert_snapshot!(screen(&app, 100, 30));
}

#[test]
fn too_small_terminal_gets_a_message() {
    let app = app_with_data(Theme::default());
    insta::assert_snapshot!(screen(&app, 50, 12));
}

#[test]
fn ascii_mode_has_no_block_or_braille_glyphs() {
    let mut app = app_with_data(Theme { ascii: true, color: true });
    let bars = screen(&app, 100, 30);
    update(&mut app, Action::ToggleChart);
    let sectors = screen(&app, 100, 30);
    // Text punctuation (·, …, –) and the ø of Tromsø stay; every glyph that draws data is ASCII.
    for text in [&bars, &sectors] {
        let odd: Vec<char> = text.chars().filter(|c| !c.is_ascii() && !"ø·…–".contains(*c)).collect();
        assert!(odd.is_empty(), "{odd:?} in {text}");
    }
    insta::assert_snapshot!("ascii_bars", bars);
    insta::assert_snapshot!("ascii_sectors", sectors);
}

#[test]
fn narrow_terminal_keeps_help_in_the_status_line() {
    let app = app_with_data(Theme::default());
    let text = screen(&app, 60, 20);
    let status = text.lines().last().unwrap();
    assert!(status.contains("? help"), "{status}");
    assert!(!status.contains("Tab focus"), "hints are dropped first: {status}");
}

/// The cells of a row that show `symbol` in the given colour.
fn colored_cells(buf: &Buffer, color: Color) -> usize {
    buf.content.iter().filter(|c| c.fg == color && !c.symbol().trim().is_empty()).count()
}

#[test]
fn a_group_has_one_colour_in_every_pane() {
    let app = app_with_data(Theme::default());
    assert_eq!(app.group, "hydro");
    let terminal = draw(&app, 100, 30);
    let buf = terminal.backend().buffer();
    // Hydro is (bright) blue in the bars and in the hourly curve.
    let blue_rows: std::collections::BTreeSet<u16> = (0..buf.area.height)
        .filter(|y| {
            (0..buf.area.width)
                .any(|x| buf[(x, *y)].fg == Color::LightBlue && !buf[(x, *y)].symbol().trim().is_empty())
        })
        .collect();
    let bar_row = (0..buf.area.height)
        .find(|y| (0..buf.area.width).map(|x| buf[(x, *y)].symbol()).collect::<String>().contains(">hydro"));
    assert!(blue_rows.contains(&bar_row.unwrap()), "the hydro bar is blue");
    assert!(blue_rows.iter().filter(|y| **y > bar_row.unwrap() + 3).count() >= 5, "the hydro curve is blue");
    assert!(colored_cells(buf, Color::Cyan) > 0, "wind has its own colour");
}

#[test]
fn no_color_means_no_colour() {
    let app = app_with_data(Theme { color: false, ascii: false });
    for chart in [ChartKind::Bars, ChartKind::Sectors] {
        let mut app = app.clone();
        app.chart = chart;
        let terminal = draw(&app, 100, 30);
        let buf = terminal.backend().buffer();
        assert!(buf.content.iter().all(|c| c.fg == Color::Reset && c.bg == Color::Reset), "{chart:?}");
    }
}

#[test]
fn areas_pane_renders_cities_and_the_selection() {
    let mut app = app_with_data(Theme { ascii: true, color: false });
    update(&mut app, Action::SelectNth(4));
    let mut buf = Buffer::empty(Rect::new(0, 0, 22, 8));
    EntitiesPane { app: &app }.render(buf.area, &mut buf);
    let expected = Buffer::with_lines([
        "+ Price areas -------+",
        "| 0 All of Norway    |",
        "| 1 NO1 Oslo         |",
        "| 2 NO2 Kristiansand |",
        "| 3 NO3 Trondheim    |",
        "|>4 NO4 Tromsø       |",
        "| 5 NO5 Bergen       |",
        "+--------------------+",
    ]);
    // Compare the glyphs; styles (bold title, reversed selection) are checked by the snapshots.
    let glyphs = |b: &Buffer| b.content.iter().map(|c| c.symbol().to_string()).collect::<Vec<_>>();
    assert_eq!(glyphs(&buf), glyphs(&expected));
}

#[test]
fn municipalities_list_filters_as_you_type() {
    let mut app = app_of(Dataset::CONSUMPTION_MUNICIPALITY, Theme { ascii: true, color: false });
    assert_eq!(app.entity, "0000", "the first municipality, unknown");
    update(&mut app, Action::StartFilter);
    for c in "tromso".chars() {
        update(&mut app, Action::FilterType(c));
    }
    answer_queries(&mut app);
    assert_eq!(app.entity, "5501");
    let mut buf = Buffer::empty(Rect::new(0, 0, 26, 5));
    EntitiesPane { app: &app }.render(buf.area, &mut buf);
    let expected = Buffer::with_lines([
        "+ Municipalities · 1/361 +",
        "| 0 All of Norway        |",
        "|>1 5501 Tromsø          |",
        "|                        |",
        "+ /tromso_ --------------+",
    ]);
    let glyphs = |b: &Buffer| b.content.iter().map(|c| c.symbol().to_string()).collect::<Vec<_>>();
    assert_eq!(glyphs(&buf), glyphs(&expected));
    insta::assert_snapshot!(screen(&app, 100, 30));
}

#[test]
fn grid_areas_and_quarter_hours() {
    let app = app_of(Dataset::CONSUMPTION_GRID_AREA, Theme::default());
    let text = screen(&app, 100, 30);
    assert!(text.contains("Grid areas · 99"), "{text}");
    assert!(text.contains("EIDSIVA-D"), "{text}");
    let mut quarter = app_of(Dataset::PRODUCTION_15MIN, Theme::default());
    quarter.month = month("2024-03");
    quarter.range = MonthRange::new(month("2024-01"), month("2024-12")).unwrap();
    answer_queries(&mut quarter);
    let text = screen(&quarter, 100, 30);
    assert!(text.contains("Quarter-hourly · NO1 Oslo hydro · Mar 2024"), "{text}");
    assert!(text.contains("743 h · 12 h/col"), "quarter-hours bucket like hours: {text}");
    insta::assert_snapshot!(text);
}

#[test]
fn a_dataset_with_nothing_stored_says_so_instead_of_loading() {
    let mut app = app_with_data(Theme::default());
    update(&mut app, Action::Fetch(elhub_explorer::ingest::FetchMode::Refresh));
    let summary =
        elhub_explorer::ingest::IngestSummary { months_planned: 12, months_done: 12, ..Default::default() };
    update(&mut app, Action::Ingest(Progress::Finished(Box::new(summary))));
    for _ in 0..4 {
        update(&mut app, Action::StepDataset(1));
    }
    assert_eq!(app.dataset, Dataset::CONSUMPTION_GRID_AREA);
    update(&mut app, Action::EntitiesLoaded(EntityKind::GridArea, Ok(vec![])));
    update(&mut app, Action::CoverageLoaded(Dataset::CONSUMPTION_GRID_AREA, Ok(vec![])));
    let text = screen(&app, 100, 30);
    assert!(text.contains("No consumption-grid-area data stored yet, so no grid area to show."), "{text}");
    assert!(!text.contains("loading"), "{text}");
    // The finished production fetch gives way to what is stored of this dataset.
    assert!(text.contains("╭ Stored ──"), "{text}");
    assert!(!text.contains("2021-03 ✓"), "{text}");
}

#[test]
fn names_from_the_network_cannot_drive_the_terminal() {
    let mut app = app_with_data(Theme::default());
    let key = app.totals_key();
    let evil = "hydro\u{1b}]0;pwned\u{7}\u{1b}[2J".to_string();
    let totals = vec![
        GroupTotal { group: evil.clone(), kwh: 5.0, count: 1 },
        GroupTotal { group: "wind".into(), kwh: 1.0, count: 1 },
    ];
    update(&mut app, Action::TotalsLoaded(key, Ok(totals)));
    assert_eq!(app.group, evil);
    update(&mut app, Action::Ingest(Progress::Notice("note \u{1b}[31mred".into())));
    for chart in [ChartKind::Bars, ChartKind::Sectors] {
        app.chart = chart;
        let terminal = draw(&app, 100, 30);
        let buf = terminal.backend().buffer();
        assert!(buf.content.iter().all(|c| !c.symbol().chars().any(char::is_control)), "{chart:?}");
        let text = terminal.backend().to_string();
        assert!(text.contains("hydro\\u{1b}]0;pwned"), "{text}");
    }
}
