//! The explorer's views on replica data: full-screen snapshots on a fixed-size TestBackend
//! (bars, sectors, progress while fetching, help, a too-small terminal, ASCII), a single widget
//! against `Buffer::with_lines`, and colour rules (one colour per group; none under NO_COLOR).

#![allow(clippy::unwrap_used)] // tests fail loudly by design

mod common;

use std::time::Duration;

use chrono::{TimeZone, Utc};
use common::screens::{answer_queries, app_of, app_with_data, draw, laid_out, month, screen};
use elhub_explorer::ingest::Progress;
use elhub_explorer::model::{Dataset, EntityKind, Month, MonthRange};
use elhub_explorer::store::{GroupTotal, MonthCoverage, Scope, UpsertStats};
use elhub_explorer::tui::state::{update, Action, Answer, App, ChartKind, Groups};
use elhub_explorer::tui::theme::Theme;
use elhub_explorer::tui::view::{self, EntitiesPane};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Color;
use ratatui::widgets::Widget;

#[test]
fn bars_view() {
    insta::assert_snapshot!(screen(&app_with_data(Theme::default()), 100, 30));
}

#[test]
fn sector_view() {
    let mut app = app_with_data(Theme::default());
    update(&mut app, Action::ToggleChart);
    assert_eq!(app.look.chart, ChartKind::Sectors);
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
    update(&mut app, Action::ToggleChart);
    update(&mut app, Action::ToggleLine);
    let mut app = laid_out(app, 100, 30);
    update(&mut app, Action::MoveCursor(1));
    let line = screen(&app, 100, 30);
    // Only letters of names (the ø of Tromsø) stay: no arrows, separators, ellipses, ticks,
    // blocks or braille.
    for text in [&bars, &sectors, &line] {
        let odd: Vec<char> = text.chars().filter(|c| !c.is_ascii() && !c.is_alphabetic()).collect();
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
    assert_eq!(app.group, Groups::One("hydro".into()));
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
        app.look.chart = chart;
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
    // The list has the focus: under --ascii its border is `#` and `=`.
    let expected = Buffer::with_lines([
        "# Price areas =======#",
        "# 0 All of Norway    #",
        "# 1 NO1 Oslo         #",
        "# 2 NO2 Kristiansand #",
        "# 3 NO3 Trondheim    #",
        "#>4 NO4 Tromsø       #",
        "# 5 NO5 Bergen       #",
        "#====================#",
    ]);
    // Compare the glyphs; styles (bold title, reversed selection) are checked by the snapshots.
    let glyphs = |b: &Buffer| b.content.iter().map(|c| c.symbol().to_string()).collect::<Vec<_>>();
    assert_eq!(glyphs(&buf), glyphs(&expected));
}

#[test]
fn municipalities_list_filters_as_you_type() {
    let mut app = app_of(Dataset::CONSUMPTION_MUNICIPALITY, Theme { ascii: true, color: false });
    assert_eq!(app.entity, Some(Scope::All), "all municipalities, never 0000 (unknown)");
    update(&mut app, Action::StartFilter);
    for c in "tromso".chars() {
        update(&mut app, Action::FilterType(c));
    }
    answer_queries(&mut app);
    assert_eq!(app.entity, Some(Scope::Entity("5501".into())));
    let mut buf = Buffer::empty(Rect::new(0, 0, 26, 5));
    EntitiesPane { app: &app }.render(buf.area, &mut buf);
    let expected = Buffer::with_lines([
        "# Municipalities · 1/361 #",
        "# 0 All of Norway        #",
        "#>1 5501 Tromsø          #",
        "#                        #",
        "# /tromso_ ==============#",
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
    assert!(text.contains("ELVIA"), "grid areas by name, not by their 16-character EIC: {text}");
    let mut quarter = app_of(Dataset::PRODUCTION_15MIN, Theme::default());
    quarter.month = month("2024-03");
    quarter.range = MonthRange::new(month("2024-01"), month("2024-12")).unwrap();
    answer_queries(&mut quarter);
    let text = screen(&quarter, 100, 30);
    assert!(text.contains("Quarter-hourly · NO1 Oslo hydro · Mar 2024"), "{text}");
    assert!(text.contains("per 15 min min 549 MWh"), "stats say what they are per: {text}");
    assert!(text.contains("|Mar 1") && text.contains("|29"), "local days under the curve: {text}");
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
    update(&mut app, Action::Answered(Answer::Entities(EntityKind::GridArea, Ok(vec![]))));
    update(&mut app, Action::Answered(Answer::Coverage(Dataset::CONSUMPTION_GRID_AREA, Ok(vec![]))));
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
    let key = app.totals_key().unwrap();
    let evil = "hydro\u{1b}]0;pwned\u{7}\u{1b}[2J".to_string();
    let totals = vec![
        GroupTotal { group: evil.clone(), kwh: 5.0, count: 1 },
        GroupTotal { group: "wind".into(), kwh: 1.0, count: 1 },
    ];
    update(&mut app, Action::Answered(Answer::Totals(key, Ok(totals))));
    assert_eq!(app.group, Groups::One(evil));
    update(&mut app, Action::Ingest(Progress::Notice("note \u{1b}[31mred".into())));
    for chart in [ChartKind::Bars, ChartKind::Sectors] {
        app.look.chart = chart;
        let terminal = draw(&app, 100, 30);
        let buf = terminal.backend().buffer();
        assert!(buf.content.iter().all(|c| !c.symbol().chars().any(char::is_control)), "{chart:?}");
        let text = terminal.backend().to_string();
        assert!(text.contains("hydro\\u{1b}]0;pwned"), "{text}");
    }
}

/// The month's curve: a y-axis with the unit, local days under it, stats that say what they are
/// per; a line (braille) and the cursor reading an hour, its value and the day's total.
#[test]
fn month_curve_reads_with_axis_line_and_cursor() {
    let app = laid_out(app_with_data(Theme::default()), 140, 45);
    let text = screen(&app, 140, 45);
    assert!(text.contains(" GWh |Mar 1"), "the unit and the first local day: {text}");
    assert!(text.contains("┤"), "y-axis ticks: {text}");
    assert!(text.contains("per hour min "), "{text}");
    let mut app = app;
    update(&mut app, Action::ToggleLine);
    update(&mut app, Action::MoveCursor(1));
    let text = screen(&app, 140, 45);
    assert!(text.chars().any(|c| ('\u{2801}'..='\u{28ff}').contains(&c)), "braille line: {text}");
    assert!(text.contains("day "), "the cursor reads the day's total: {text}");
    let before = app.cursor;
    update(&mut app, Action::MoveCursor(1));
    assert_eq!(app.cursor, before.map(|c| c + chrono::Duration::hours(4)), "a column of four hours on");
    insta::assert_snapshot!(text);
}

/// At 1 h a column the whole month shows once the terminal is wide enough.
#[test]
fn a_wide_terminal_shows_every_hour() {
    let app = laid_out(app_with_data(Theme::default()), 800, 40);
    let text = screen(&app, 800, 40);
    assert!(text.contains("743 h · 1 h/col"), "{}", text.lines().rev().nth(2).unwrap_or(""));
}

/// The year view: the daily totals as a curve and the twelve monthly totals beside it (wide) or
/// under it (at 80×24 too); their sum is the year's total of the bars.
#[test]
fn year_view_shows_days_and_twelve_months() {
    let mut app = app_with_data(Theme::default());
    update(&mut app, Action::StepView);
    answer_queries(&mut app);
    let app = laid_out(app, 140, 45);
    let text = screen(&app, 140, 45);
    assert!(text.contains("Daily · NO1 Oslo hydro · 2021"), "{text}");
    assert!(text.contains("total 20.1 TWh"), "the same total as the bars: {text}");
    for m in ["Jan", "Jun", "Dec"] {
        assert!(text.contains(&format!("{m} ")), "{m}: {text}");
    }
    insta::assert_snapshot!(text);
    let app = laid_out(app, 80, 24);
    let narrow = screen(&app, 80, 24);
    assert!(narrow.contains("TWh Jan"), "the twelve months under the curve at 80×24: {narrow}");
    assert!(narrow.contains("Dec"), "{narrow}");
}

/// The average day: weekdays drawn, weekends a line of their own (a mark of their own without
/// colour), each hour readable with the cursor.
#[test]
fn profile_view_shows_the_average_day() {
    let mut app = app_with_data(Theme::default());
    update(&mut app, Action::StepView);
    update(&mut app, Action::StepView);
    answer_queries(&mut app);
    let mut app = laid_out(app, 100, 30);
    let text = screen(&app, 100, 30);
    assert!(text.contains("Average day · NO1 Oslo hydro · Mar 2021"), "{text}");
    assert!(text.contains("|00") && text.contains("|12"), "hours under the curve: {text}");
    assert!(text.contains("━ weekends: peak"), "weekends a line with a legend: {text}");
    insta::assert_snapshot!(text);
    update(&mut app, Action::MoveCursor(1));
    let text = screen(&app, 100, 30);
    assert!(text.contains("12:00–13:00"), "{text}");
    assert!(text.contains("weekdays ") && text.contains("weekends "), "{text}");
    let mut plain = app.clone();
    plain.theme = Theme { color: false, ascii: false };
    assert!(screen(&plain, 100, 30).contains("○ weekends"), "without colour, weekends have a mark");
}

/// Totals against the year before, with the change in %; the entities side by side, largest
/// first.
#[test]
fn comparisons_with_the_year_before_and_side_by_side() {
    let mut app = app_with_data(Theme::default());
    update(&mut app, Action::StepYear(1));
    answer_queries(&mut app);
    let text = screen(&app, 140, 45);
    assert!(
        text.contains("Totals · production 2022 vs 2021 · NO1 Oslo"),
        "both years are stored whole: {text}"
    );
    let all = text.lines().find(|l| l.contains(" all ")).unwrap();
    assert!(all.contains("8760 h") && all.trim_end_matches(['"', '│', ' ']).ends_with('%'), "{all}");
    let hydro = text.lines().find(|l| l.contains(">hydro")).unwrap();
    assert!(
        hydro.trim_end_matches(['"', '│', ' ']).ends_with('%') && hydro.matches('%').count() == 2,
        "{hydro}"
    );
    update(&mut app, Action::ToggleSideBySide);
    answer_queries(&mut app);
    let text = screen(&app, 140, 45);
    assert!(text.contains("hydro by price area · side by side"), "{text}");
    let values: Vec<f64> = text
        .lines()
        .filter(|l| (l.contains("│ NO") || l.contains("│>NO")) && l.contains("Wh "))
        .filter_map(|l| {
            l.split_whitespace()
                .collect::<Vec<_>>()
                .windows(2)
                .find(|w| w[1].ends_with("Wh"))
                .and_then(|w| w[0].parse().ok())
        })
        .collect();
    assert_eq!(values.len(), 5, "{text}");
    assert!(values.windows(2).all(|w| w[0] >= w[1]), "largest first: {values:?}");
    insta::assert_snapshot!(text);
}

/// A fetch in which every month failed is red and titled "Failed", not a green 100 %; the
/// reason is readable whole in the pane, however narrow.
#[test]
fn a_failed_fetch_is_red_and_says_why() {
    let mut app = app_with_data(Theme::default());
    update(&mut app, Action::Fetch(elhub_explorer::ingest::FetchMode::Refresh));
    let months: Vec<Month> = app.fetch.as_ref().unwrap().months.iter().map(|(m, _)| *m).collect();
    let reason = "HTTP 401 Unauthorized from https://api.elhub.no: the key was refused";
    for m in &months {
        update(&mut app, Action::Ingest(Progress::Failed { month: *m, reason: reason.into() }));
    }
    let summary = elhub_explorer::ingest::IngestSummary {
        months_planned: 12,
        failed_months: months.iter().map(|m| (*m, reason.to_string())).collect(),
        ..Default::default()
    };
    update(&mut app, Action::Ingest(Progress::Finished(Box::new(summary))));
    let terminal = draw(&app, 100, 30);
    let buf = terminal.backend().buffer();
    let text = terminal.backend().to_string();
    assert!(text.contains("Failed production"), "{text}");
    assert!(!text.contains("Fetched"), "{text}");
    let joined: String = text.lines().map(|l| l.trim_matches('"').to_string()).collect::<Vec<_>>().join(" ");
    for word in ["Unauthorized", "refused"] {
        assert!(joined.contains(word), "{word} in {text}");
    }
    assert_eq!(colored_cells(buf, Color::Green), 0, "no green gauge: {text}");
    assert!(colored_cells(buf, Color::Red) > 5, "a red gauge: {text}");
}

/// The first `months` months of 2021 stored, as the coverage query answers.
fn stored_2021(months: u32) -> Vec<MonthCoverage> {
    (1..=months)
        .map(|m| MonthCoverage {
            month: Month::new(2021, m).unwrap(),
            records: 1,
            rejected: 0,
            fetched_at: Utc::now(),
        })
        .collect()
}

/// A year stored in part says so in the totals' title; a series stored for part of the year is
/// marked with `*`, explained in the total line.
#[test]
fn partial_data_is_marked() {
    let mut app = app_with_data(Theme::default());
    update(&mut app, Action::Answered(Answer::Coverage(Dataset::PRODUCTION, Ok(stored_2021(3)))));
    let key = app.totals_key().unwrap();
    let totals = vec![
        GroupTotal { group: "hydro".into(), kwh: 5.0e9, count: 2160 },
        GroupTotal { group: "solar".into(), kwh: 1.0e6, count: 1000 },
    ];
    update(&mut app, Action::Answered(Answer::Totals(key, Ok(totals))));
    let text = screen(&app, 120, 34);
    assert!(text.contains("production 2021 (3 of 12 months)"), "{text}");
    assert!(text.contains(" <0.1%"), "a tiny share is not 0.0%: {text}");
    assert!(text.lines().any(|l| l.contains(" solar") && l.contains("%*")), "{text}");
    assert!(text.contains("* solar: 1000 of 2160 h"), "{text}");
}

/// Fields are dropped whole where they do not fit: no number or unit is cut (`max 3.0` for
/// 3.09 GWh, `2.03 TW`), and the status line keeps `q quit` and `? help`.
#[test]
fn narrow_terminals_drop_fields_but_never_cut_numbers() {
    for (w, h) in [(60, 18), (80, 24), (100, 30)] {
        let mut app = laid_out(app_with_data(Theme::default()), w, h);
        app.message = Some("a fetch is running; wait for it to end".into());
        let text = screen(&app, w, h);
        for cut in [" TW ", " GW ", " MW ", " kW ", " TW│", " GW│", " MW│", " kW│", "max 3.0 ", "max 3.0│"]
        {
            assert!(!text.contains(cut), "{cut:?} at {w}x{h}:\n{text}");
        }
        let status = text.lines().last().unwrap();
        assert!(status.contains("q quit") && status.contains("? help"), "{status}");
        assert!(!status.contains("already run"), "{status}");
    }
}

/// The rate shows once a second has passed, never the huge figure of the first milliseconds.
#[test]
fn the_rate_waits_for_a_second() {
    let mut app = app_with_data(Theme::default());
    update(&mut app, Action::Fetch(elhub_explorer::ingest::FetchMode::Refresh));
    let done = UpsertStats { new: 17_856, updated: 0, unchanged: 0 };
    update(
        &mut app,
        Action::Ingest(Progress::Done { month: month("2021-01"), records: 17_856, rejected: 0, stats: done }),
    );
    let start = app.now;
    update(&mut app, Action::Tick(start + Duration::from_millis(3)));
    assert!(!screen(&app, 100, 30).contains("rec/s"));
    update(&mut app, Action::Tick(start + Duration::from_secs(2)));
    assert!(screen(&app, 100, 30).contains("8,928 rec/s"));
}

/// Focus shows: the selected row is reverse video only in the focused pane, and the focused
/// pane's border is thick and in a colour no group has.
#[test]
fn focus_is_visible() {
    let mut app = app_with_data(Theme::default());
    let reversed_rows = |app: &App| -> Vec<String> {
        let terminal = draw(app, 100, 30);
        let buf = terminal.backend().buffer().clone();
        (0..buf.area.height)
            .filter(|y| {
                (0..buf.area.width)
                    .any(|x| buf[(x, *y)].modifier.contains(ratatui::style::Modifier::REVERSED))
            })
            .map(|y| (0..buf.area.width).map(|x| buf[(x, y)].symbol().to_string()).collect())
            .collect()
    };
    let rows = reversed_rows(&app);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(rows[0].contains("NO1 Oslo"), "{rows:?}");
    update(&mut app, Action::StepFocus(1));
    let rows = reversed_rows(&app);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(rows[0].contains(">hydro"), "{rows:?}");
    let terminal = draw(&app, 100, 30);
    let buf = terminal.backend().buffer();
    assert_eq!(buf[(26, 0)].symbol(), "┏", "the totals pane's border is thick");
    assert_eq!(buf[(26, 0)].fg, Color::White);
    assert_eq!(buf[(0, 0)].symbol(), "╭");
}

/// `o`: the same month a year earlier, dotted over the curve in its own colour; and the series
/// of all groups together (`g` to the last) is named as such.
#[test]
fn the_year_before_overlays_and_all_groups_are_a_series() {
    let mut app = app_with_data(Theme::default());
    update(&mut app, Action::StepYear(1));
    update(&mut app, Action::ToggleOverlay);
    update(&mut app, Action::ToggleLine);
    answer_queries(&mut app);
    let app = laid_out(app, 120, 34);
    let terminal = draw(&app, 120, 34);
    let text = terminal.backend().to_string();
    assert!(text.contains("dotted: 2021"), "{text}");
    assert!(text.matches('•').count() > 10, "the year before as dots beside the braille line: {text}");
    assert!(colored_cells(terminal.backend().buffer(), Color::Gray) > 10, "the year before in grey: {text}");
    insta::assert_snapshot!(text);
    let mut app = app;
    for _ in 0..5 {
        update(&mut app, Action::StepGroup(1));
    }
    assert_eq!(app.group, Groups::All);
    let text = screen(&app, 120, 34);
    assert!(text.contains("NO1 Oslo all groups"), "{text}");
}

/// What `:` types shows in the status line, with what it takes.
#[test]
fn the_month_being_typed_shows() {
    let mut app = app_with_data(Theme::default());
    update(&mut app, Action::StartJump);
    for c in "2023-0".chars() {
        update(&mut app, Action::JumpType(c));
    }
    let status = screen(&app, 100, 30).lines().last().unwrap().to_string();
    assert!(status.contains(":2023-0_") && status.contains("is not a day"), "{status}");
    update(&mut app, Action::JumpType('7'));
    let status = screen(&app, 100, 30).lines().last().unwrap().to_string();
    assert!(status.contains(":2023-07_  → 2023-07"), "what Enter would do: {status}");
}

/// A partial year is not compared with a whole one; all groups together are marked when chosen.
#[test]
fn only_whole_years_are_compared_and_all_groups_is_marked() {
    let mut app = app_with_data(Theme::default());
    update(&mut app, Action::StepYear(1));
    answer_queries(&mut app);
    update(&mut app, Action::Answered(Answer::Coverage(Dataset::PRODUCTION, Ok(stored_2021(12)))));
    let text = screen(&app, 120, 34);
    assert!(!text.contains(" vs 2021"), "2022 is not stored: {text}");
    while app.group != Groups::All {
        update(&mut app, Action::StepGroup(1));
    }
    let text = screen(&app, 120, 34);
    assert!(text.lines().any(|l| l.contains(">all ")), "{text}");
}

/// On the day summer time ends a 3-hour column holds 4 hours: the cursor reads it by the local
/// clock, 00:00–03:00, not 00:00–02:00.
#[test]
fn the_cursor_reads_local_times_across_dst() {
    let mut app = app_with_data(Theme::default());
    app.set_month(month("2021-10"));
    answer_queries(&mut app);
    let mut app = laid_out(app, 300, 40);
    app.cursor = Some(Utc.with_ymd_and_hms(2021, 10, 30, 22, 0, 0).unwrap()); // 31 October 00:00
    let text = screen(&app, 300, 40);
    assert!(text.contains("Sun 31 Oct 00:00–03:00"), "{}", text.lines().rev().nth(2).unwrap_or(""));
}

/// The year view's plot leaves room for the monthly totals: the cursor's range is the plot's.
#[test]
fn the_year_views_plot_width_leaves_the_months_room() {
    let mut app = app_with_data(Theme::default());
    let month_width = view::curve_width(&app, 140, 45);
    update(&mut app, Action::StepView);
    assert_eq!(view::curve_width(&app, 140, 45), month_width - 15);
}
