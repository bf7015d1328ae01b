//! Exploring on replica data, drawn: zoom down to one hour and one quarter-hour read exactly as
//! the store holds them, pins across datasets in colour, without colour and in ASCII, the
//! difference of two pins, kWh per metering point, the days of 23 and 25 hours marked, a plot
//! that fills its width at every size, and what a new analyst's trial found.

#![allow(clippy::unwrap_used)] // tests fail loudly by design

mod common;

use chrono::{DateTime, Duration, TimeZone, Utc};
use common::screens::{answer_queries, app_of, app_with_data, data, draw, laid_out, month, screen};
use elhub_explorer::model::{shortest, Dataset, SeriesKey};
use elhub_explorer::store::Scope;
use elhub_explorer::tui::state::{update, Action, App, CurveView, Groups};
use elhub_explorer::tui::theme::Theme;
use ratatui::style::Color;

fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
}

/// Types `text` after `:` and presses Enter.
fn go(app: &mut App, text: &str) {
    update(app, Action::StartJump);
    for c in text.chars() {
        update(app, Action::JumpType(c));
    }
    update(app, Action::JumpGo);
    answer_queries(app);
}

/// The record the store holds for one step, as `export` writes its quantity.
fn stored(dataset: Dataset, entity: &str, group: &str, start: DateTime<Utc>) -> String {
    let d = data();
    let key = SeriesKey::new(entity, group);
    let end = start + Duration::minutes(15);
    let records = d.rt.block_on(d.store.series_records(dataset, &key, start, end)).unwrap();
    format!("{} kWh", shortest(records[0].quantity_kwh))
}

/// The last line of the curve pane (above its bottom border).
fn last_line(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len() - 3].to_string()
}

/// Zoomed to the day summer time ends (25 hours), the cursor reads the second 02:00 exactly:
/// the value the store holds for that record, as `export` writes it, and its place in the day.
#[test]
fn zoomed_to_an_hour_the_cursor_reads_the_record_as_stored() {
    let mut app = laid_out(app_with_data(Theme::default()), 100, 30);
    go(&mut app, "2021-10-31");
    let text = screen(&app, 100, 30);
    assert!(text.contains("Hourly · NO1 Oslo hydro · Sun 31 Oct 2021 (25 h)"), "{text}");
    assert!(text.contains("|25 h"), "the day of 25 hours is marked under it: {text}");
    for _ in 0..3 {
        update(&mut app, Action::MoveCursor(1));
    }
    let text = screen(&app, 100, 30);
    let exact = stored(Dataset::PRODUCTION, "NO1", "hydro", utc(2021, 10, 31, 1, 0));
    let expected = format!("Sun 31 Oct 02:00+01:00 · {exact} · hour 4 of 25");
    assert!(last_line(&text).contains(&expected), "{expected} in {}", last_line(&text));
    insta::assert_snapshot!(text);
}

/// Quarter-hours zoom on to six hours; on the day summer time starts (23 hours) the step after
/// 01:45 is 03:00+02:00, the ninth of 92, read as stored.
#[test]
fn six_hours_of_quarter_hours_read_each_step_as_stored() {
    let mut app = app_of(Dataset::PRODUCTION_15MIN, Theme::default());
    let mut app = {
        app.range = elhub_explorer::model::MonthRange::new(month("2024-01"), month("2024-12")).unwrap();
        app.set_month(month("2024-03"));
        laid_out(app, 100, 30)
    };
    go(&mut app, "2024-03-31");
    update(&mut app, Action::Zoom(1));
    answer_queries(&mut app);
    for _ in 0..8 {
        update(&mut app, Action::MoveCursor(1));
    }
    let text = screen(&app, 100, 30);
    assert!(text.contains("Quarter-hourly · NO1 Oslo hydro · Sun 31 Mar 2024 00:00–07:00"), "{text}");
    let exact = stored(Dataset::PRODUCTION_15MIN, "NO1", "hydro", utc(2024, 3, 31, 1, 0));
    let expected = format!("Sun 31 Mar 03:00+02:00 · {exact} · step 9 of 92");
    assert!(last_line(&text).contains(&expected), "{expected} in {}", last_line(&text));
    insta::assert_snapshot!(text);
}

/// Two, three and four series side by side: each in its own colour, or its own mark without
/// colour and in ASCII; the legend names each by what differs and reads each at the cursor.
#[test]
fn pins_draw_series_side_by_side_in_colours_or_marks() {
    let mut app = laid_out(app_with_data(Theme::default()), 120, 40);
    update(&mut app, Action::TogglePin); // NO1 hydro
    update(&mut app, Action::SelectNth(2));
    answer_queries(&mut app);
    let text = screen(&app, 120, 40);
    assert!(text.contains("Hourly · hydro production · Mar 2021"), "what they share: {text}");
    assert!(text.contains("█ NO2 Kristiansand total ") && text.contains("━ NO1 Oslo total "), "{text}");
    let terminal = draw(&app, 120, 40);
    let red = terminal.backend().buffer().content.iter().filter(|c| c.fg == Color::LightRed).count();
    assert!(red > 20, "the pin is a line of its own colour");
    // Four: two more areas pinned, and the current one.
    for n in [3, 4] {
        update(&mut app, Action::SelectNth(n));
        update(&mut app, Action::TogglePin);
    }
    update(&mut app, Action::SelectNth(5));
    answer_queries(&mut app);
    update(&mut app, Action::MoveCursor(1));
    let text = screen(&app, 120, 40);
    for name in ["NO5 Bergen mean ", "NO1 Oslo mean ", "NO3 Trondheim mean ", "NO4 Tromsø mean "] {
        assert!(text.contains(name), "the cursor reads {name}: {text}");
    }
    let mut plain = app.clone();
    plain.theme = Theme { color: false, ascii: false };
    let text = screen(&plain, 120, 40);
    for mark in ["○ NO1 Oslo", "+ NO3 Trondheim", "× NO4 Tromsø"] {
        assert!(text.contains(mark), "{mark} without colour: {text}");
    }
    assert!(text.matches('○').count() > 10, "the marks are drawn: {text}");
    let mut ascii = app.clone();
    ascii.theme = Theme { color: false, ascii: true };
    let text = screen(&ascii, 120, 40);
    assert!(text.contains("o NO1 Oslo") && text.contains("x NO4 Tromsø"), "{text}");
    assert!(text.chars().all(|c| c.is_ascii() || c.is_alphabetic()), "ASCII: {text}");
    insta::assert_snapshot!("pins_no_color", screen(&plain, 120, 40));
}

/// Pins across datasets: production of NO2 minus its consumption, all groups: the area's net
/// export, drawn from zero with the net read at the cursor; the totals pane shows both years'
/// totals and the net, which is their difference.
#[test]
fn production_minus_consumption_is_the_net_export() {
    let mut app = laid_out(app_with_data(Theme::default()), 120, 40);
    update(&mut app, Action::SelectNth(2));
    app.group = Groups::All;
    update(&mut app, Action::TogglePin);
    update(&mut app, Action::StepDataset(1));
    app.group = Groups::All;
    update(&mut app, Action::TogglePin);
    update(&mut app, Action::ToggleDifference);
    answer_queries(&mut app);
    assert!(app.difference_on());
    let text = screen(&app, 120, 40);
    assert!(text.contains("NO2 Kristiansand all groups: production − consumption"), "{text}");
    assert!(
        text.contains("Totals 2021 · NO2 Kristiansand all groups: production − consumption · net"),
        "{text}"
    );
    let d = data();
    let total = |dataset| -> f64 {
        let t = d.rt.block_on(d.store.annual_totals(dataset, &Scope::Entity("NO2".into()), 2021)).unwrap();
        t.iter().map(|t| t.kwh).sum()
    };
    let net = elhub_explorer::model::format_energy(total(Dataset::PRODUCTION) - total(Dataset::CONSUMPTION));
    let row = text.lines().find(|l| l.contains("│ net ")).unwrap();
    assert!(row.contains(&net), "the net of the year, {net}: {row}");
    update(&mut app, Action::MoveCursor(1));
    let text = screen(&app, 120, 40);
    assert!(last_line(&text).contains("net mean "), "{}", last_line(&text));
    insta::assert_snapshot!(text);
    // Under --ascii the minus of the titles is ASCII too.
    let mut ascii = app.clone();
    ascii.theme = Theme { color: false, ascii: true };
    let text = screen(&ascii, 120, 40);
    assert!(text.contains("production - consumption"), "{text}");
    assert!(text.chars().all(|c| c.is_ascii() || c.is_alphabetic()), "ASCII: {text}");
}

/// `m`: consumption per metering point. The curve's steps are each step's volume by its own
/// count; the title says so.
#[test]
fn per_metering_point_divides_each_step_by_its_count() {
    let mut app = laid_out(app_of(Dataset::CONSUMPTION, Theme::default()), 120, 40);
    update(&mut app, Action::TogglePerPoint);
    answer_queries(&mut app);
    go(&mut app, "2021-03-10");
    update(&mut app, Action::MoveCursor(1)); // the middle step: 12:00 local
    let text = screen(&app, 120, 40);
    assert!(text.contains("per metering point"), "{text}");
    let at = app.cursor.unwrap();
    let d = data();
    let records =
        d.rt.block_on(d.store.series_records(
            Dataset::CONSUMPTION,
            &SeriesKey::new("NO1", "household"),
            at,
            at + Duration::hours(1),
        ))
        .unwrap();
    let per_point = records[0].quantity_kwh / f64::from(records[0].metering_points.unwrap());
    assert!(last_line(&text).contains(&format!("{} kWh", shortest(per_point))), "{per_point}: {text}");
    assert!(text.contains("Totals · consumption 2021 per point · NO1 Oslo"), "{text}");
}

/// Every view fills its pane's width at 60, 80, 140 and 250 columns, as bars and as a line:
/// the first and the last column of the plot are drawn.
#[test]
fn the_plot_fills_its_width_at_every_size() {
    for (width, height) in [(60, 18), (80, 24), (140, 45), (250, 60)] {
        for line in [false, true] {
            for (view, zoom) in [
                (CurveView::Month, false),
                (CurveView::Month, true),
                (CurveView::Year, false),
                (CurveView::Profile, false),
            ] {
                let mut app = app_with_data(Theme::default());
                app.look.view = view;
                app.look.line = line;
                let mut app = laid_out(app, width, height);
                if zoom {
                    go(&mut app, "2021-03-10");
                    update(&mut app, Action::Zoom(-1));
                    update(&mut app, Action::Zoom(-1));
                    answer_queries(&mut app);
                }
                let text = screen(&app, width, height);
                let rows: Vec<Vec<char>> =
                    text.lines().map(|l| l.trim_matches('"').chars().collect()).collect();
                // The plot's rows: from the first y-axis tick to the last, in the curve pane.
                let tick = |r: &Vec<char>| r.iter().rposition(|c| *c == '┤');
                let plot: Vec<&Vec<char>> = rows.iter().filter(|r| tick(r).is_some_and(|t| t > 24)).collect();
                let first = tick(plot[0]).unwrap() + 1;
                let right = plot[0].len() - 2 - if view == CurveView::Year && width >= 140 { 15 } else { 0 };
                let drawn = |col: usize| {
                    rows.iter()
                        .filter(|r| tick(r).is_some() || r.len() > col)
                        .any(|r| r.get(col).is_some_and(|c| !c.is_whitespace() && *c != '│'))
                };
                let what = format!("{view:?} zoomed {zoom} line {line} at {width}x{height}");
                assert!(drawn(first), "the first column is drawn: {what}\n{text}");
                assert!(
                    drawn(right) || drawn(right - 1),
                    "at most one unused column at the end: {what}\n{text}"
                );
            }
        }
    }
}

/// Finding 7: at 80×24 the year keeps its twelve monthly totals, the side-by-side pane never
/// cuts a number, and the hints keep d, v and r.
#[test]
fn at_80x24_nothing_is_cut_and_the_useful_hints_stay() {
    let mut app = app_of(Dataset::CONSUMPTION_MUNICIPALITY, Theme::default());
    update(&mut app, Action::ToggleSideBySide);
    let app = laid_out(app, 80, 24);
    let text = screen(&app, 80, 24);
    let all = text.lines().find(|l| l.contains("│ all ")).unwrap();
    assert!(all.contains("+3") || all.contains(" more; s saves all"), "how many more, whole: {all}");
    assert!(!all.contains(" mo│") && !all.contains(" mor│"), "{all}");
    let status = text.lines().last().unwrap();
    for hint in ["d dataset", "v view", "r fetch"] {
        assert!(status.contains(hint), "{hint}: {status}");
    }
}

/// Finding 3: while the month on screen is being fetched, the curve says it is coming rather
/// than that there is nothing and how to fetch it.
#[test]
fn a_month_being_fetched_is_coming() {
    let mut app = app_with_data(Theme::default());
    app.set_month(month("2023-04"));
    answer_queries(&mut app);
    update(&mut app, Action::FetchViewed);
    answer_queries(&mut app);
    let text = screen(&app, 100, 30);
    assert!(text.contains("2023-04 is being fetched: the curve fills as its days land."), "{text}");
    assert!(!text.contains("No data for"), "{text}");
}

/// Finding 10: the saved average day's CSV is `…-profile.csv` (not `-profile-profile`), and
/// saved tables name the entity and give local times with their offset.
#[test]
fn saved_tables_name_entities_and_carry_offsets() {
    let mut app = laid_out(app_with_data(Theme::default()), 100, 30);
    let dir = tempfile::tempdir().unwrap();
    let written = elhub_explorer::tui::save::save_view(&app, 100, 30, dir.path()).unwrap();
    let curve = std::fs::read_to_string(written.iter().find(|p| p.ends_with("-curve.csv")).unwrap()).unwrap();
    let mut lines = curve.lines();
    assert_eq!(lines.next(), Some("dataset,entity,entity_name,group,start_utc,start_local,value,unit"));
    assert_eq!(
        lines.next(),
        Some(
            format!(
                "production,NO1,NO1 Oslo,hydro,2021-02-28T23:00:00Z,2021-03-01T00:00:00+01:00,{},kwh",
                shortest_first(&app)
            )
            .as_str()
        )
    );
    assert!(curve.contains("2021-03-28T03:00:00+02:00"), "summer time has its offset");
    update(&mut app, Action::StepView);
    update(&mut app, Action::StepView);
    answer_queries(&mut app);
    let written = elhub_explorer::tui::save::save_view(&app, 100, 30, dir.path()).unwrap();
    let names: Vec<String> = written.iter().map(|p| p.rsplit('/').next().unwrap().to_string()).collect();
    assert_eq!(
        names,
        [
            "elhub-production-NO1-hydro-2021-03-profile.svg",
            "elhub-production-NO1-hydro-2021-03-profile-totals.csv",
            "elhub-production-NO1-hydro-2021-03-profile.csv"
        ]
    );
}

fn shortest_first(app: &App) -> String {
    let _ = app;
    stored(Dataset::PRODUCTION, "NO1", "hydro", utc(2021, 2, 28, 23, 0)).trim_end_matches(" kWh").to_string()
}
