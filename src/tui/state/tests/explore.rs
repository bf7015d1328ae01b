//! Exploring: zoom to the hour, `:` to a day, a dataset, an entity or a group; pins and their
//! difference across datasets; kWh per metering point; and what a new analyst's trial found
//! (a new filter per `/`, texts about `r`, data on its way, a key that closes help).

use super::*;

fn zoomed_app() -> App {
    let mut a = app();
    a.start();
    a.set_month(month("2021-10"));
    update(&mut a, Action::CurveWidth(100));
    a
}

/// `+` narrows the month to two weeks, a week, three days and a day around the cursor (for
/// quarter-hours on to six hours), saying so at the closest; `-` widens back to the month and
/// then to the year.
#[test]
fn zoom_goes_to_a_day_or_six_hours_and_back() {
    let mut a = zoomed_app();
    a.cursor = Some(utc(2021, 10, 20, 10)); // Wed 20 Oct 12:00 local
    let mut titles = Vec::new();
    for _ in 0..4 {
        press(&mut a, KeyCode::Char('+'));
        titles.push(a.curve_span().title());
    }
    assert_eq!(
        titles,
        [
            "Thu 14 Oct – Wed 27 Oct 2021",
            "Sun 17 Oct – Sat 23 Oct 2021",
            "Tue 19 Oct – Thu 21 Oct 2021",
            "Wed 20 Oct 2021"
        ]
    );
    assert_eq!(a.cursor, Some(utc(2021, 10, 20, 10)), "the cursor stays on its hour");
    press(&mut a, KeyCode::Char('+'));
    assert_eq!(a.zoom, Zoom::Days(1), "hours: a day is the closest");
    assert_eq!(a.message.as_deref(), Some("a day is the closest: every step has a column of its own"));
    for _ in 0..4 {
        press(&mut a, KeyCode::Char('-'));
    }
    assert_eq!((a.zoom, a.span, a.look.view), (Zoom::Month, None, CurveView::Month));
    press(&mut a, KeyCode::Char('-'));
    assert_eq!(a.look.view, CurveView::Year, "wider than the month: the year");
    // Quarter-hours go on to six hours.
    let mut q = app();
    q.set_dataset(Dataset::PRODUCTION_15MIN);
    q.set_month(month("2023-10"));
    update(&mut q, Action::CurveWidth(100));
    q.cursor = Some(utc(2023, 10, 29, 1)); // 02:00+01:00, the second 02:00
    for _ in 0..5 {
        press(&mut q, KeyCode::Char('+'));
    }
    assert_eq!(q.zoom, Zoom::Hours(6));
    assert_eq!(q.curve_span().title(), "Sun 29 Oct 2023 00:00–05:00");
    assert_eq!(q.per_hour(), 4);
}

/// Zoomed, `[`/`]` move a step and the span pans when the cursor leaves it; `<`/`>` move a day;
/// `←`/`→` show the span before or after; crossing into another month moves the month (and the
/// year of the totals) with it.
#[test]
fn zoomed_the_cursor_steps_and_the_span_pans() {
    let mut a = zoomed_app();
    a.cursor = Some(utc(2021, 10, 30, 21)); // Sat 30 Oct 23:00 local
    for _ in 0..4 {
        press(&mut a, KeyCode::Char('+'));
    }
    assert_eq!(a.curve_span().title(), "Sat 30 Oct 2021");
    press(&mut a, KeyCode::Char(']'));
    assert_eq!(a.cursor, Some(utc(2021, 10, 30, 22)), "a step later: Sunday 00:00");
    assert_eq!(a.curve_span().title(), "Sun 31 Oct 2021 (25 h)", "the span panned a day");
    for _ in 0..3 {
        press(&mut a, KeyCode::Char(']'));
    }
    assert_eq!(a.cursor, Some(utc(2021, 10, 31, 1)), "02:00+01:00, after 00:00, 01:00 and the first 02:00");
    press(&mut a, KeyCode::Char('>'));
    assert_eq!((a.month, a.curve_span().title()), (month("2021-11"), "Mon 1 Nov 2021".to_string()));
    assert_eq!(a.cursor, Some(utc(2021, 11, 1, 1)), "a day later at the same local time");
    press(&mut a, KeyCode::Left);
    assert_eq!(a.curve_span().title(), "Sun 31 Oct 2021 (25 h)", "← shows the span before");
    assert_eq!(a.month, month("2021-10"));
    // The queries follow: the curve of every month the span touches.
    let shown = a.shown_queries();
    assert!(shown.contains(&Query::Curve(CurveKey { month: month("2021-10"), ..curve_key(&a) })));
}

/// `:` takes a day (zoomed to it, the cursor on its first step), a dataset, an entity by name,
/// a group and `q`; what it would do shows while typing.
#[test]
fn colon_goes_to_a_day_a_dataset_an_entity_a_group_or_quits() {
    let mut a = zoomed_app();
    press(&mut a, KeyCode::Char(':'));
    typed(&mut a, "2021-10-31");
    assert!(matches!(a.prompt_context().target("2021-10-31"), Ok(prompt::Target::Day(_))));
    press(&mut a, KeyCode::Enter);
    assert_eq!((a.zoom, a.cursor), (Zoom::Days(1), Some(utc(2021, 10, 30, 22))));
    assert_eq!(a.curve_span().title(), "Sun 31 Oct 2021 (25 h)");
    press(&mut a, KeyCode::Char(':'));
    typed(&mut a, "consumption");
    press(&mut a, KeyCode::Enter);
    assert_eq!(a.dataset, Dataset::CONSUMPTION);
    press(&mut a, KeyCode::Char(':'));
    typed(&mut a, "cabin");
    press(&mut a, KeyCode::Enter);
    assert_eq!(grp(&a), "cabin");
    a.set_dataset(Dataset::CONSUMPTION_MUNICIPALITY);
    update(&mut a, Action::Answered(Answer::Entities(EntityKind::Municipality, Ok(municipalities()))));
    press(&mut a, KeyCode::Char(':'));
    typed(&mut a, "tromso");
    press(&mut a, KeyCode::Enter);
    assert_eq!(ent(&a), "5501", "accent-insensitive");
    press(&mut a, KeyCode::Char(':'));
    typed(&mut a, "snasa");
    press(&mut a, KeyCode::Enter);
    assert_eq!(ent(&a), "5041", "a name sent mis-encoded is found repaired");
    press(&mut a, KeyCode::Char(':'));
    typed(&mut a, "xyz");
    press(&mut a, KeyCode::Char('u'));
    let ctrl_u = KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL);
    let clear = handle_key(&a, ctrl_u).unwrap();
    update(&mut a, clear);
    assert_eq!(a.jump.as_deref(), Some(""), "Ctrl-U clears what was typed");
    typed(&mut a, "q");
    press(&mut a, KeyCode::Enter);
    assert!(a.quit, ":q quits");
}

fn series(dataset: Dataset, entity: &str, group: Groups) -> Series {
    Series { dataset, entity: Scope::Entity(entity.into()), group }
}

/// `p` pins the series on screen (again: unpins it), up to four; the pins are drawn beside the
/// current series, across datasets, and their curves are asked for; `P` drops them.
#[test]
fn pins_are_drawn_beside_the_current_series_across_datasets() {
    let mut a = zoomed_app();
    press(&mut a, KeyCode::Char('p'));
    press(&mut a, KeyCode::Char('2'));
    assert_eq!(
        a.drawn(),
        [series(Dataset::PRODUCTION, "NO2", g("hydro")), series(Dataset::PRODUCTION, "NO1", g("hydro"))]
    );
    press(&mut a, KeyCode::Char('p'));
    press(&mut a, KeyCode::Char('p'));
    assert_eq!(a.pins.len(), 1, "p on a pinned series unpins it");
    press(&mut a, KeyCode::Char('p'));
    press(&mut a, KeyCode::Char('d'));
    let effects = press(&mut a, KeyCode::Char('p'));
    assert_eq!(a.pins.len(), 3);
    let consumption = series(Dataset::CONSUMPTION, "NO2", g("household"));
    assert!(a.pins.contains(&consumption), "across datasets: {:?}", a.pins);
    let production = series(Dataset::PRODUCTION, "NO2", g("hydro"));
    let wanted = CurveKey { series: production, month: a.month, per_point: false };
    assert!(a.shown_queries().contains(&Query::Curve(wanted)), "every pin's curve is asked for");
    assert!(effects.iter().all(|e| !matches!(e, Effect::StartFetch(..))));
    press(&mut a, KeyCode::Char('3'));
    press(&mut a, KeyCode::Char('p'));
    press(&mut a, KeyCode::Char('4'));
    press(&mut a, KeyCode::Char('p'));
    assert_eq!(a.pins.len(), 4);
    assert!(a.message.as_deref().unwrap().contains("4 pins at most"), "{:?}", a.message);
    assert_eq!(a.drawn().len(), 5, "the current series and four pins");
    press(&mut a, KeyCode::Char('P'));
    assert!(a.pins.is_empty() && !a.look.difference);
    assert_eq!(a.message.as_deref(), Some("4 pins dropped"));
}

/// `=` draws the first pin minus the second (production minus consumption of an area); it needs
/// two pins of one unit, and asks for both years' totals for the net.
#[test]
fn the_difference_of_two_pins_is_production_minus_consumption() {
    let mut a = zoomed_app();
    press(&mut a, KeyCode::Char('='));
    assert!(!a.look.difference);
    assert_eq!(a.message.as_deref(), Some("= needs two pins (0 now); p pins the series on screen"));
    press(&mut a, KeyCode::Char('2'));
    press(&mut a, KeyCode::Char('g'));
    while a.group != Groups::All {
        press(&mut a, KeyCode::Char('g'));
    }
    press(&mut a, KeyCode::Char('p'));
    press(&mut a, KeyCode::Char('d'));
    a.group = Groups::All;
    press(&mut a, KeyCode::Char('p'));
    press(&mut a, KeyCode::Char('='));
    assert!(a.difference_on());
    let (prod, cons) = (
        Series { dataset: Dataset::PRODUCTION, entity: Scope::Entity("NO2".into()), group: Groups::All },
        Series { dataset: Dataset::CONSUMPTION, entity: Scope::Entity("NO2".into()), group: Groups::All },
    );
    assert_eq!(a.drawn(), [prod, cons]);
    let shown = a.shown_queries();
    for dataset in [Dataset::PRODUCTION, Dataset::CONSUMPTION] {
        let totals = TotalsKey { dataset, entity: Scope::Entity("NO2".into()), year: 2021 };
        assert!(shown.contains(&Query::Totals(totals)), "{dataset}'s year for the net");
    }
    press(&mut a, KeyCode::Esc);
    assert!(!a.look.difference, "Esc closes the difference");
    // One per metering point and one not: not one unit.
    press(&mut a, KeyCode::Char('m'));
    press(&mut a, KeyCode::Char('='));
    assert!(!a.look.difference);
    assert!(a.message.as_deref().unwrap().contains("one unit"), "{:?}", a.message);
}

/// `m` reads consumption per metering point: its curves and totals are asked for per point, with
/// the counts of the year; production has none and says so.
#[test]
fn m_reads_kwh_per_metering_point_where_there_are_counts() {
    let mut a = zoomed_app();
    press(&mut a, KeyCode::Char('m'));
    assert!(!a.look.per_point);
    assert_eq!(
        a.message.as_deref(),
        Some("production has no metering point counts; the consumption datasets do")
    );
    press(&mut a, KeyCode::Char('d'));
    press(&mut a, KeyCode::Char('m'));
    assert!(a.look.per_point);
    let shown = a.shown_queries();
    let key = CurveKey { per_point: true, ..curve_key(&a) };
    assert!(shown.contains(&Query::Curve(key)), "{shown:?}");
    let points = PointKey { dataset: Dataset::CONSUMPTION, entity: Scope::Entity("NO1".into()), year: 2021 };
    assert!(shown.contains(&Query::Points(points.clone())));
    // Totals per point: each group by its mean count over the year.
    let key = a.totals_key().unwrap();
    update(
        &mut a,
        Action::Answered(Answer::Totals(key, Ok(totals(&[("household", 1000.0), ("cabin", 30.0)])))),
    );
    let count = |group: &str, points: u64| crate::store::PointCount {
        entity: "NO1".into(),
        group: group.into(),
        day: 20210101,
        points: points * 24,
        steps: 24,
    };
    update(
        &mut a,
        Action::Answered(Answer::Points(points, Ok(vec![count("household", 100), count("cabin", 10)]))),
    );
    let Loadable::Ready(t) = a.totals_of(Dataset::CONSUMPTION, &Scope::Entity("NO1".into()), true) else {
        panic!()
    };
    assert_eq!((t[0].group.as_str(), t[0].kwh, t[1].kwh), ("household", 10.0, 3.0));
    assert_eq!(
        a.all_groups_per_point(Dataset::CONSUMPTION, &Scope::Entity("NO1".into())),
        Some(1030.0 / 110.0)
    );
}

/// Finding 1: `/` starts a new filter (it appended to the kept one), the selection moves to the
/// first match, no match says so, Ctrl-U clears what was typed.
#[test]
fn slash_starts_a_new_filter_and_says_when_nothing_matches() {
    let mut a = app();
    a.set_dataset(Dataset::CONSUMPTION_MUNICIPALITY);
    update(&mut a, Action::Answered(Answer::Entities(EntityKind::Municipality, Ok(municipalities()))));
    press(&mut a, KeyCode::Char('/'));
    typed(&mut a, "tromso");
    press(&mut a, KeyCode::Enter);
    press(&mut a, KeyCode::Char('/'));
    typed(&mut a, "bergen");
    assert_eq!(
        (a.filter.text.as_str(), ent(&a).as_str()),
        ("bergen", "4601"),
        "a new filter, not tromsobergen"
    );
    typed(&mut a, "x");
    assert_eq!(a.message.as_deref(), Some("no match for \"bergenx\""));
    update(&mut a, Action::FilterClear);
    assert_eq!(a.filter.text, "");
    typed(&mut a, "o");
    assert_eq!(ent(&a), "0301", "the first match: Oslo");
}

/// Finding 2 and 3: every text about `r` names the viewed year; while the month on screen is
/// being fetched the view knows it is coming; a first run that cannot reach the API names the
/// replica.
#[test]
fn data_on_its_way_is_coming_and_an_offline_first_run_names_the_replica() {
    let mut a = app();
    a.start();
    update(&mut a, Action::Answered(Answer::Coverage(Dataset::PRODUCTION, Ok(vec![]))));
    assert!(a.fetching(), "an empty store fetches at once");
    assert!(a.coming(), "the month on screen is on its way");
    let summary = IngestSummary {
        months_planned: 12,
        unreachable: Some("https://api.elhub.no".into()),
        ..Default::default()
    };
    update(&mut a, Action::Ingest(Progress::Finished(Box::new(summary))));
    assert!(!a.coming());
    let message = a.message.clone().unwrap();
    assert!(message.contains("elhub-explorer replica") && message.contains("--api-url"), "{message}");
    assert_eq!(a.viewed_range().to_string(), "2021-01..2021-12");
}

/// Finding 8: a key that closes help also does what it does (`/` starts a filter); Esc, `?` and
/// `q` only close it.
#[test]
fn a_key_that_closes_help_also_acts() {
    let mut a = app();
    press(&mut a, KeyCode::Char('?'));
    press(&mut a, KeyCode::Char('/'));
    assert!(!a.show_help && a.filter.editing, "help closed and the filter started");
    press(&mut a, KeyCode::Esc);
    press(&mut a, KeyCode::Char('?'));
    press(&mut a, KeyCode::Char('d'));
    assert_eq!((a.show_help, a.dataset), (false, Dataset::CONSUMPTION));
    press(&mut a, KeyCode::Char('?'));
    press(&mut a, KeyCode::Char('q'));
    assert!(!a.show_help && !a.quit, "q closes help and does not quit");
}

/// Zooming out and back in keeps the cursor on its step (it came back on the day's first).
#[test]
fn zooming_out_and_in_keeps_the_cursor_on_its_step() {
    let mut a = zoomed_app();
    a.set_month(month("2022-10"));
    press(&mut a, KeyCode::Char(':'));
    typed(&mut a, "2022-10-30");
    press(&mut a, KeyCode::Enter);
    for _ in 0..3 {
        press(&mut a, KeyCode::Char(']'));
    }
    let second_two = utc(2022, 10, 30, 1);
    assert_eq!(a.cursor, Some(second_two));
    press(&mut a, KeyCode::Char('-'));
    press(&mut a, KeyCode::Char('+'));
    assert_eq!((a.zoom, a.cursor), (Zoom::Days(1), Some(second_two)));
}
