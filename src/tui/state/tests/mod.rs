//! The explorer state's unit tests: every key and background result, without a terminal.

mod explore;

use std::time::Duration as StdDuration;

use super::selection::scope_key;
use super::*;
use crate::ingest::IngestSummary;
use crate::store::{MonthCoverage, UpsertStats};
use crate::tui::input::handle_key;
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// The selected entity as the remembered view writes it: its id, `*` for all, empty for none.
fn ent(a: &App) -> String {
    a.entity.as_ref().map_or(String::new(), |e| scope_key(e).to_string())
}

/// The selected group as the remembered view writes it: the group, `*` for all.
fn grp(a: &App) -> String {
    a.group.key().to_string()
}

fn g(name: &str) -> Groups {
    Groups::from_key(name)
}

/// The curve of the series on screen in its month.
fn curve_key(a: &App) -> CurveKey {
    CurveKey { series: a.series().unwrap(), month: a.month, per_point: false }
}

fn app() -> App {
    sample_app()
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
    crate::model::municipalities_of(&[
        ("0301", "Oslo"),
        ("4601", "Bergen"),
        ("5001", "Trondheim"),
        ("5041", "SnÃ¥sa"),
        ("5501", "Tromsø"),
    ])
}

/// Moving on while an answer is on its way: the late answer fills its own cache entry and
/// never replaces what the pane shows for the new selection; meanwhile the pane keeps the
/// last answer (marked stale); a dropped query frees its key to be asked again.
#[test]
fn an_answer_for_a_selection_left_behind_does_not_replace_the_pane() {
    let mut a = app();
    a.start();
    let no1 = a.totals_key().unwrap();
    update(&mut a, Action::Answered(Answer::Totals(no1.clone(), Ok(totals(&[("hydro", 90.0)])))));
    assert_eq!(a.totals_to_draw(), (a.current_totals(), false));
    press(&mut a, KeyCode::Char('2'));
    let no2 = a.totals_key().unwrap();
    assert_ne!(no1, no2);
    // NO2 loads: NO1's bars stay, marked stale.
    let (shown, stale) = a.totals_to_draw();
    assert!(stale);
    assert!(matches!(shown, Some(Loadable::Ready(t)) if t[0].kwh == 90.0));
    // NO2's answer arrives, then a late answer for NO1 (re-asked meanwhile, say).
    update(&mut a, Action::Answered(Answer::Totals(no2.clone(), Ok(totals(&[("hydro", 40.0)])))));
    update(&mut a, Action::Answered(Answer::Totals(no1.clone(), Ok(totals(&[("hydro", 91.0)])))));
    let (shown, stale) = a.totals_to_draw();
    assert!(!stale);
    assert!(matches!(shown, Some(Loadable::Ready(t)) if t[0].kwh == 40.0), "NO2 stays: {shown:?}");
    // A query dropped for NO3 (left before its turn) is asked again when NO3 is shown again.
    press(&mut a, KeyCode::Char('3'));
    let no3 = a.totals_key().unwrap();
    press(&mut a, KeyCode::Char('2'));
    let effects = update(&mut a, Action::QueryDropped(Query::Totals(no3.clone())));
    assert!(effects.is_empty(), "{effects:?}");
    assert!(!a.q.totals.contains(&no3));
    let effects = press(&mut a, KeyCode::Char('3'));
    assert!(effects.contains(&Effect::Query(Query::Totals(no3))), "{effects:?}");
}

#[test]
fn start_asks_for_the_first_frames_data() {
    let mut a = app();
    let effects = a.start();
    assert_eq!(effects.len(), 3);
    assert!(effects.contains(&Effect::Query(Query::Totals(TotalsKey {
        dataset: Dataset::PRODUCTION,
        entity: Scope::Entity("NO1".into()),
        year: 2021
    }))));
    assert!(effects.contains(&Effect::Query(Query::Coverage(Dataset::PRODUCTION))));
    // Asked once: a second look finds them loading.
    assert!(a.start().is_empty());
}

#[test]
fn number_keys_select_entities() {
    let mut a = app();
    a.start();
    for (c, area) in ('1'..='5').zip(PriceArea::ALL) {
        let effects = press(&mut a, KeyCode::Char(c));
        assert_eq!(ent(&a), area.as_str());
        if area != PriceArea::NO1 {
            assert!(effects.iter().any(
                |e| matches!(e, Effect::Query(Query::Totals(k)) if scope_key(&k.entity) == area.as_str())
            ));
        }
    }
    press(&mut a, KeyCode::Char('9'));
    assert_eq!(ent(&a), "NO5", "no ninth area: nothing changes");
    let effects = press(&mut a, KeyCode::Char('0'));
    assert_eq!(ent(&a), "*");
    assert!(
        effects.iter().any(|e| matches!(e, Effect::Query(Query::Totals(k)) if scope_key(&k.entity) == "*")),
        "{effects:?}"
    );
    assert!(
        effects.iter().any(|e| matches!(e, Effect::Query(Query::Curve(k)) if k.series.entity == Scope::All)),
        "{effects:?}"
    );
}

#[test]
fn arrows_and_hjkl_move_in_the_focused_pane() {
    let mut a = app();
    press(&mut a, KeyCode::Down);
    assert_eq!(ent(&a), "NO2");
    press(&mut a, KeyCode::Char('j'));
    assert_eq!(ent(&a), "NO3");
    press(&mut a, KeyCode::Char('k'));
    press(&mut a, KeyCode::Up);
    assert_eq!(ent(&a), "NO1");
    press(&mut a, KeyCode::Up);
    assert_eq!(ent(&a), "*", "above the first area: all of Norway");
    press(&mut a, KeyCode::Up);
    assert_eq!(ent(&a), "*", "stops at the top");
    press(&mut a, KeyCode::Down);
    press(&mut a, KeyCode::PageDown);
    assert_eq!(ent(&a), "NO5", "ten down stops at the end");
    press(&mut a, KeyCode::Tab);
    assert_eq!(a.focus, Pane::Totals);
    press(&mut a, KeyCode::Down);
    assert_eq!(grp(&a), "wind", "in the totals pane ↓ moves the group");
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
    assert_eq!(a.month.to_string(), "2021-12");
    press(&mut a, KeyCode::Char('Y'));
    assert_eq!(a.month.to_string(), "2021-01", "production starts in January 2021");
}

#[test]
fn g_cycles_groups_in_the_order_shown() {
    let mut a = app();
    a.start();
    let key = a.totals_key().unwrap();
    update(
        &mut a,
        Action::Answered(Answer::Totals(key, Ok(totals(&[("wind", 5.0), ("hydro", 90.0), ("solar", 1.0)])))),
    );
    assert_eq!(a.groups(), [g("hydro"), g("wind"), g("solar"), Groups::All], "all groups together come last");
    let effects = press(&mut a, KeyCode::Char('g'));
    assert_eq!(grp(&a), "wind");
    assert!(effects
        .iter()
        .any(|e| matches!(e, Effect::Query(Query::Curve(k)) if k.series.group.key() == "wind")));
    press(&mut a, KeyCode::Char('g'));
    let effects = press(&mut a, KeyCode::Char('g'));
    assert_eq!(grp(&a), "*");
    assert!(
        effects.iter().any(|e| matches!(e, Effect::Query(Query::Curve(k)) if k.series.group.key() == "*")),
        "{effects:?}"
    );
    press(&mut a, KeyCode::Char('g'));
    assert_eq!(grp(&a), "hydro", "wraps");
    press(&mut a, KeyCode::Char('G'));
    let effects = press(&mut a, KeyCode::Char('G'));
    assert_eq!(grp(&a), "solar");
    assert!(effects.is_empty(), "solar's curve query is already under way: {effects:?}");
}

#[test]
fn b_toggles_bars_and_sectors() {
    let mut a = app();
    press(&mut a, KeyCode::Char('b'));
    assert_eq!(a.look.chart, ChartKind::Sectors);
    press(&mut a, KeyCode::Char('b'));
    assert_eq!(a.look.chart, ChartKind::Bars);
}

#[test]
fn d_cycles_the_catalogue_and_remembers_each_kinds_entity() {
    let mut a = app();
    press(&mut a, KeyCode::Char('3'));
    let effects = press(&mut a, KeyCode::Char('d'));
    assert_eq!(a.dataset, Dataset::CONSUMPTION);
    assert_eq!((grp(&a).as_str(), ent(&a).as_str()), ("household", "NO3"));
    assert!(effects.contains(&Effect::Query(Query::Coverage(Dataset::CONSUMPTION))));
    press(&mut a, KeyCode::Char('d'));
    assert_eq!(a.dataset, Dataset::PRODUCTION_15MIN);
    let effects = press(&mut a, KeyCode::Char('d'));
    assert_eq!(a.dataset, Dataset::CONSUMPTION_MUNICIPALITY);
    assert!(effects.contains(&Effect::Query(Query::Entities(EntityKind::Municipality))));
    assert_eq!(ent(&a), "*", "all municipalities together, before the list is loaded");
    update(&mut a, Action::Answered(Answer::Entities(EntityKind::Municipality, Ok(municipalities()))));
    assert_eq!(ent(&a), "*", "and after: never the first of the list (0000, unknown)");
    press(&mut a, KeyCode::Char('2'));
    press(&mut a, KeyCode::Char('D'));
    assert_eq!((a.dataset, ent(&a).as_str()), (Dataset::PRODUCTION_15MIN, "NO3"));
    press(&mut a, KeyCode::Char('d'));
    assert_eq!(ent(&a), "4601", "Bergen is remembered");
    press(&mut a, KeyCode::Char('d'));
    press(&mut a, KeyCode::Char('d'));
    assert_eq!(a.dataset, Dataset::PRODUCTION, "wraps around the catalogue");
}

/// A name the API sent mis-encoded is shown repaired and found as typed (`snasa`); `--entity`
/// opens on its entity whatever was remembered.
#[test]
fn mis_encoded_names_are_shown_repaired_and_found_and_entity_opens_on_one() {
    let mut a = app();
    a.set_dataset(Dataset::CONSUMPTION_MUNICIPALITY);
    update(&mut a, Action::Answered(Answer::Entities(EntityKind::Municipality, Ok(municipalities()))));
    let shown: Vec<String> = a.all_entities().iter().map(|e| e.name.clone()).collect();
    assert!(shown.contains(&"Snåsa".to_string()) && !shown.iter().any(|n| n.contains('Ã')), "{shown:?}");
    press(&mut a, KeyCode::Char('/'));
    typed(&mut a, "snasa");
    assert_eq!(ent(&a), "5041");
    press(&mut a, KeyCode::Esc);
    a.open_on("4601".into());
    assert_eq!(ent(&a), "4601");
    press(&mut a, KeyCode::Char('d'));
    press(&mut a, KeyCode::Char('D'));
    assert_eq!(ent(&a), "4601", "and it is the dataset's remembered selection");
}

#[test]
fn slash_filters_by_number_or_name_ignoring_case_and_accents() {
    let mut a = app();
    a.set_dataset(Dataset::CONSUMPTION_MUNICIPALITY);
    update(&mut a, Action::Answered(Answer::Entities(EntityKind::Municipality, Ok(municipalities()))));
    press(&mut a, KeyCode::Char('/'));
    assert!(a.filter.editing);
    typed(&mut a, "TROMSO");
    assert_eq!(a.visible_entities().iter().map(|e| e.id()).collect::<Vec<_>>(), ["", "5501"]);
    assert_eq!(ent(&a), "5501", "the selection follows the filter to the first match");
    for _ in 0..6 {
        press(&mut a, KeyCode::Backspace);
    }
    typed(&mut a, "50");
    assert_eq!(a.visible_entities().len(), 1 + 3, "all, then 5001, 5041, 5501 by number");
    typed(&mut a, "4");
    assert_eq!(ent(&a), "5041", "Snåsa (sent as SnÃ¥sa) found by its number");
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
    assert_eq!(ent(&a), "4601", "the entity chosen by the filter stays selected");
}

/// `r` fetches the year on screen, `R` the range given at start; one fetch at a time.
#[test]
fn r_fetches_the_viewed_year_and_capital_r_the_range() {
    let mut a = app();
    a.month = month("2023-07");
    let effects = press(&mut a, KeyCode::Char('r'));
    let year_2023 = MonthRange::new(month("2023-01"), month("2023-12")).unwrap();
    assert!(
        effects.contains(&Effect::StartFetch(Dataset::PRODUCTION, FetchMode::Refresh, year_2023)),
        "{effects:?}"
    );
    assert_eq!(a.fetch.as_ref().map(|f| f.months.len()), Some(12));
    let again = press(&mut a, KeyCode::Char('r'));
    assert!(!again.iter().any(|e| matches!(e, Effect::StartFetch(..))));
    assert_eq!(a.message.as_deref(), Some("a fetch is running; wait for it to end"));
    a.fetch.as_mut().unwrap().finished = Some(a.now);
    let range = press(&mut a, KeyCode::Char('R'));
    assert!(
        range.contains(&Effect::StartFetch(Dataset::PRODUCTION, FetchMode::Refresh, a.range)),
        "{range:?}"
    );
    // This year is fetched up to this month, not into the future.
    a.fetch.as_mut().unwrap().finished = Some(a.now);
    a.month = a.this_month;
    let effects = press(&mut a, KeyCode::Char('r'));
    let Some(Effect::StartFetch(_, _, r)) = effects.iter().find(|e| matches!(e, Effect::StartFetch(..)))
    else {
        panic!("{effects:?}")
    };
    assert_eq!(r.to(), a.this_month);
}

/// Help closes on Esc, `?`, `q` or any other key and never quits (only Ctrl-C does); ↓ scrolls it.
#[test]
fn help_closes_without_quitting() {
    for close in [KeyCode::Esc, KeyCode::Char('?'), KeyCode::Char('q'), KeyCode::Char('x')] {
        let mut a = app();
        press(&mut a, KeyCode::Char('?'));
        assert!(a.show_help);
        press(&mut a, close);
        assert!(!a.show_help && !a.quit, "{close:?} closes help and does not quit");
    }
    let mut a = app();
    press(&mut a, KeyCode::Char('?'));
    press(&mut a, KeyCode::Down);
    press(&mut a, KeyCode::Down);
    assert_eq!((a.show_help, a.help_scroll), (true, 2), "arrows scroll a long help");
    let action = handle_key(&a, KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)).unwrap();
    update(&mut a, action);
    assert!(a.quit, "Ctrl-C quits from help");
}

/// q and Ctrl-C quit; Esc in the main view closes what is open and never quits.
#[test]
fn q_and_ctrl_c_quit_but_esc_goes_back() {
    for k in [key(KeyCode::Char('q')), KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)] {
        let mut a = app();
        let action = handle_key(&a, k).unwrap();
        update(&mut a, action);
        assert!(a.quit);
    }
    let mut a = app();
    a.cursor = Some(chrono::Utc::now());
    a.look.side_by_side = true;
    press(&mut a, KeyCode::Esc);
    assert_eq!((a.cursor, a.look.side_by_side, a.quit), (None, true, false), "the cursor goes first");
    press(&mut a, KeyCode::Esc);
    assert_eq!((a.look.side_by_side, a.quit), (false, false));
    press(&mut a, KeyCode::Esc);
    assert!(!a.quit);
    assert_eq!(a.message.as_deref(), Some("nothing to close; q quits"));
}

#[test]
fn releases_and_unmapped_keys_are_ignored() {
    let a = app();
    let mut release = key(KeyCode::Char('q'));
    release.kind = KeyEventKind::Release;
    assert_eq!(handle_key(&a, release), None);
    assert_eq!(handle_key(&a, key(KeyCode::Char('x'))), None);
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
    let effects = update(&mut a, Action::Answered(Answer::Coverage(Dataset::PRODUCTION, Ok(vec![]))));
    assert!(effects.contains(&Effect::StartFetch(Dataset::PRODUCTION, FetchMode::Resume, a.range)));
    // Coverage reloaded later (after months land) does not start another.
    a.fetch.as_mut().unwrap().finished = Some(a.now);
    let effects = update(&mut a, Action::Answered(Answer::Coverage(Dataset::PRODUCTION, Ok(vec![]))));
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
    let effects = update(&mut a, Action::Answered(Answer::Coverage(Dataset::PRODUCTION, Ok(vec![cov]))));
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
            delay: StdDuration::ZERO,
        }),
    );
    assert_eq!(
        a.fetch.as_ref().unwrap().months[11].1,
        MonthStatus::Retry { attempt: 2, reason: "HTTP 503".into() }
    );
    let effects = update(&mut a, Action::Ingest(Progress::WindowDone { month: dec, done: 3, of: 31 }));
    assert_eq!(a.fetch.as_ref().unwrap().months[11].1, MonthStatus::Partly { done: 3, of: 31 });
    assert!(
        effects.iter().any(|e| matches!(e, Effect::Query(Query::Curve(_)))),
        "a day that lands shows at once"
    );
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
    assert!(effects.iter().any(|e| matches!(e, Effect::Query(Query::Totals(_)))));
    assert!(effects.iter().any(|e| matches!(e, Effect::Query(Query::Curve(_)))));
    assert!(a.current_totals().is_some());
    // A month out of view drops its cache entry, to be read again when shown.
    let other = CurveKey { month: "2021-06".parse().unwrap(), ..curve_key(&a) };
    a.q.curves.answer(other.clone(), Ok(vec![]));
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
    assert!(!a.q.curves.contains(&other));
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
            delay: StdDuration::ZERO,
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
    assert!(a.message.as_deref().unwrap().contains("r fetches again"), "{:?}", a.message);
}

#[test]
fn failed_queries_keep_the_view_and_say_so() {
    let mut a = app();
    a.start();
    let key = a.totals_key().unwrap();
    update(&mut a, Action::Answered(Answer::Totals(key, Err("database is locked".into()))));
    assert!(matches!(a.current_totals(), Some(Loadable::Failed(_))));
    assert!(a.message.as_deref().unwrap().contains("locked"));
}

#[test]
fn ticks_advance_the_clock() {
    let mut a = app();
    let later = a.now + StdDuration::from_secs(3);
    update(&mut a, Action::Tick(later));
    assert_eq!(a.now, later);
}

fn month(s: &str) -> Month {
    s.parse().unwrap()
}

fn coverage(months: &[&str]) -> Vec<MonthCoverage> {
    months
        .iter()
        .map(|m| MonthCoverage { month: month(m), records: 1, rejected: 0, fetched_at: chrono::Utc::now() })
        .collect()
}

/// Hourly values from local midnight of `first`, `n` hours.
fn steps(first: &str, n: usize, value: impl Fn(usize) -> f64) -> Vec<StepValue> {
    let t0 = month(first).start_utc();
    (0..n).map(|i| StepValue { start: t0 + chrono::Duration::hours(i as i64), kwh: value(i) }).collect()
}

/// ←/→ and y/Y stop at the dataset's first month and at this month: no 1960, no year 7180.
#[test]
fn navigation_stays_within_the_months_there_can_be_data_for() {
    let mut a = app();
    let (first, last) = a.month_bounds();
    a.month = first;
    press(&mut a, KeyCode::Left);
    assert_eq!(a.month, first);
    for _ in 0..3 {
        press(&mut a, KeyCode::Char('Y'));
    }
    assert_eq!(a.month, first);
    for _ in 0..100 {
        press(&mut a, KeyCode::Char('y'));
    }
    assert_eq!(a.month, last, "y stops at this month");
    press(&mut a, KeyCode::Right);
    assert_eq!(a.month, last);
}

/// `:` takes a month or a year (keeping the month); out of bounds it goes to the nearest month
/// there can be data for and says so; Esc leaves without moving.
#[test]
fn colon_jumps_to_a_typed_month_or_year() {
    let mut a = app();
    press(&mut a, KeyCode::Char(':'));
    typed(&mut a, "2023-07");
    assert_eq!(a.jump.as_deref(), Some("2023-07"));
    press(&mut a, KeyCode::Enter);
    assert_eq!((a.month, a.jump.as_deref()), (month("2023-07"), None));
    press(&mut a, KeyCode::Char(':'));
    typed(&mut a, "2022");
    press(&mut a, KeyCode::Enter);
    assert_eq!(a.month, month("2022-07"), "a year keeps the month");
    press(&mut a, KeyCode::Char(':'));
    typed(&mut a, "1999");
    press(&mut a, KeyCode::Enter);
    assert_eq!(a.month, a.month_bounds().0);
    assert!(a.message.as_deref().unwrap().contains("has data from"), "{:?}", a.message);
    press(&mut a, KeyCode::Char(':'));
    typed(&mut a, "20");
    press(&mut a, KeyCode::Backspace);
    press(&mut a, KeyCode::Esc);
    assert_eq!((a.jump.as_deref(), a.quit), (None, false));
    press(&mut a, KeyCode::Char(':'));
    typed(&mut a, "2023-13");
    press(&mut a, KeyCode::Enter);
    assert!(
        a.message.as_deref().unwrap().contains("is not a day (2021-10-31) or a month"),
        "{:?}",
        a.message
    );
}

/// Home/End go to the first and last stored month; with nothing stored they say what r does.
#[test]
fn home_and_end_go_to_the_stored_ends() {
    let mut a = app();
    a.start();
    press(&mut a, KeyCode::End);
    assert!(a.message.as_deref().unwrap().contains("r fetches"), "{:?}", a.message);
    update(
        &mut a,
        Action::Answered(Answer::Coverage(
            Dataset::PRODUCTION,
            Ok(coverage(&["2021-03", "2022-05", "2024-02"])),
        )),
    );
    press(&mut a, KeyCode::Home);
    assert_eq!(a.month, month("2021-03"));
    press(&mut a, KeyCode::End);
    assert_eq!(a.month, month("2024-02"));
}

/// At start the explorer opens on the newest stored month, or the newest of the range given.
#[test]
fn the_explorer_opens_on_the_newest_data() {
    let mut a = app();
    a.start();
    update(
        &mut a,
        Action::Answered(Answer::Coverage(Dataset::PRODUCTION, Ok(coverage(&["2021-03", "2024-02"])))),
    );
    assert_eq!(a.month, month("2024-02"));
    // Later coverage (months landing) does not move the view.
    a.month = month("2022-01");
    update(
        &mut a,
        Action::Answered(Answer::Coverage(Dataset::PRODUCTION, Ok(coverage(&["2021-03", "2025-02"])))),
    );
    assert_eq!(a.month, month("2022-01"));
    let mut a = app();
    a.range_given = true;
    a.start();
    update(
        &mut a,
        Action::Answered(Answer::Coverage(Dataset::PRODUCTION, Ok(coverage(&["2021-03", "2024-02"])))),
    );
    assert_eq!(a.month, month("2021-03"), "the newest of the range named on the command line");
}

/// `v` cycles month, year and average day; the year view asks for the daily rollups.
#[test]
fn v_cycles_the_curve_views_and_the_year_asks_for_days() {
    let mut a = app();
    a.start();
    let effects = press(&mut a, KeyCode::Char('v'));
    assert_eq!(a.look.view, CurveView::Year);
    assert!(effects.contains(&Effect::Query(Query::Year(a.year_key(&a.series().unwrap())))), "{effects:?}");
    press(&mut a, KeyCode::Char('v'));
    assert_eq!(a.look.view, CurveView::Profile);
    press(&mut a, KeyCode::Char('v'));
    assert_eq!(a.look.view, CurveView::Month);
}

/// c, z and o toggle the line, the scale from zero and the year-before overlay (which asks for
/// the same month a year earlier; it is dotted over bars and line alike).
#[test]
fn curve_toggles() {
    let mut a = app();
    a.start();
    press(&mut a, KeyCode::Char('c'));
    assert!(a.look.line);
    press(&mut a, KeyCode::Char('c'));
    press(&mut a, KeyCode::Char('z'));
    assert!(!a.look.line && a.look.zero_based);
    a.month = month("2022-03");
    let effects = press(&mut a, KeyCode::Char('o'));
    assert!(a.look.overlay && !a.look.line, "the year before is dotted over bars or line alike");
    let before = CurveKey { month: month("2021-03"), ..curve_key(&a) };
    assert!(effects.contains(&Effect::Query(Query::Curve(before.clone()))), "{effects:?}");
    assert!(a.shown_queries().contains(&Query::Curve(before.clone())), "the query's turn keeps it");
    update(&mut a, Action::Answered(Answer::Curve(before, Ok(steps("2021-03", 3, |_| 1.0)))));
    let main = a.series().unwrap();
    assert!(matches!(a.curve_of(&main, a.year_before()), Loadable::Ready(v) if v.len() == 3));
}

fn utc(y: i32, m: u32, d: u32, h: u32) -> chrono::DateTime<chrono::Utc> {
    use chrono::TimeZone;
    chrono::Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
}

/// The cursor is an instant: it appears in the middle of what is drawn, `[`/`]` move it a
/// column within the month, `<`/`>` a day (the month follows), and a resize or `c` leaves it
/// on the same instant (it jumped from 26 to 13 March before).
#[test]
fn the_cursor_is_an_instant_that_moves_by_columns_and_days() {
    let mut a = app();
    a.start();
    press(&mut a, KeyCode::Char(']'));
    assert_eq!(a.cursor, None);
    assert_eq!(a.message.as_deref(), Some("no curve to read here"));
    update(&mut a, Action::CurveWidth(100)); // 8-hour columns: 93 of them
    press(&mut a, KeyCode::Char(']'));
    assert_eq!(a.cursor, Some(utc(2021, 12, 16, 7)), "column 46: 16 December 08:00 local");
    press(&mut a, KeyCode::Char('['));
    assert_eq!(a.cursor, Some(utc(2021, 12, 15, 23)));
    press(&mut a, KeyCode::Char('<'));
    assert_eq!(a.cursor, Some(utc(2021, 12, 14, 23)), "a day earlier");
    for _ in 0..100 {
        press(&mut a, KeyCode::Char(']'));
    }
    assert_eq!(a.cursor, Some(utc(2021, 12, 31, 15)), "the last column of the month: 16:00 local");
    update(&mut a, Action::CurveWidth(40));
    update(&mut a, Action::ToggleLine);
    assert_eq!(a.cursor, Some(utc(2021, 12, 31, 15)), "a resize and a line keep the instant");
    for _ in 0..3 {
        press(&mut a, KeyCode::Char('>'));
    }
    assert_eq!(
        (a.month, a.cursor),
        (month("2022-01"), Some(utc(2022, 1, 3, 15))),
        "the month follows the day"
    );
    press(&mut a, KeyCode::Char('v'));
    assert_eq!(a.cursor, None, "another view starts without the cursor");
}

/// `a` shows every entity's total for the group side by side, from one query.
#[test]
fn a_puts_the_entities_side_by_side() {
    let mut a = app();
    a.start();
    let effects = press(&mut a, KeyCode::Char('a'));
    assert!(a.look.side_by_side);
    assert!(effects.contains(&Effect::Query(Query::Side(a.side_key()))), "{effects:?}");
    let side = a.side_key();
    update(&mut a, Action::Answered(Answer::Side(side, Ok(vec![("NO1".into(), 2.0), ("NO2".into(), 3.0)]))));
    assert!(matches!(a.q.sides.get(&a.side_key()), Some(Loadable::Ready(v)) if v.len() == 2));
    press(&mut a, KeyCode::Char('a'));
    assert!(!a.look.side_by_side);
}

/// `s` asks the loop to save; its answer becomes the status line.
#[test]
fn s_saves_and_says_where() {
    let mut a = app();
    assert!(press(&mut a, KeyCode::Char('s')).contains(&Effect::SaveView));
    update(&mut a, Action::Saved(Ok(vec!["./a.svg".into(), "./a-totals.csv".into()])));
    assert_eq!(a.message.as_deref(), Some("saved ./a.svg and 1 CSV file beside it"));
    update(&mut a, Action::Saved(Err("cannot write in .: denied".into())));
    assert_eq!(a.message.as_deref(), Some("could not save the view: cannot write in .: denied"));
}

/// A remembered view comes back whole (pins, overlay and side by side too); at start it is not
/// moved to the newest data; a file of an earlier version (without them) still reads.
#[test]
fn a_remembered_view_is_restored() {
    let mut a = app();
    a.set_dataset(Dataset::CONSUMPTION);
    a.entity = Some(Scope::Entity("NO3".into()));
    a.group = g("cabin");
    a.month = month("2023-02");
    a.look.chart = ChartKind::Sectors;
    a.look.view = CurveView::Profile;
    a.look.line = true;
    a.look.zero_based = true;
    a.look.overlay = true;
    a.look.side_by_side = true;
    a.look.per_point = true;
    let pin = Series { dataset: Dataset::PRODUCTION, entity: Scope::All, group: Groups::All };
    a.pins = vec![pin.clone(), a.series().unwrap()];
    a.look.difference = true;
    let saved = crate::tui::remember::SavedView::of(&a);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state/view.json");
    crate::tui::remember::store(&path, &a).unwrap();
    assert_eq!(crate::tui::remember::load(&path), Some(saved.clone()));
    let mut b = app();
    saved.restore(&mut b);
    assert_eq!(
        (b.dataset, ent(&b).as_str(), grp(&b).as_str(), b.month),
        (Dataset::CONSUMPTION, "NO3", "cabin", month("2023-02"))
    );
    assert_eq!(b.look, a.look, "every toggle");
    assert_eq!(b.pins, a.pins, "the pins, all of Norway's too");
    b.start();
    update(&mut b, Action::Answered(Answer::Coverage(Dataset::CONSUMPTION, Ok(coverage(&["2024-02"])))));
    assert_eq!(b.month, month("2023-02"));
    // A file of the version before pins.
    let old = r#"{"dataset":"production","entity":"NO2","group":"hydro","month":"2022-05","chart":"bars","view":"year","line":false,"zero_based":true}"#;
    std::fs::write(&path, old).unwrap();
    let saved = crate::tui::remember::load(&path).expect("an earlier file reads");
    let mut c = app();
    saved.restore(&mut c);
    assert_eq!(
        (ent(&c).as_str(), c.look.view, c.look.zero_based, c.pins.len()),
        ("NO2", CurveView::Year, true, 0)
    );
    // A damaged file is no view.
    std::fs::write(&path, "{ not json").unwrap();
    assert_eq!(crate::tui::remember::load(&path), None);
}

/// A fetch in which every month failed counts them as failed; the message says where to read why.
#[test]
fn a_fetch_where_every_month_failed_says_so() {
    let mut a = app();
    a.start();
    press(&mut a, KeyCode::Char('R'));
    let months: Vec<Month> = a.fetch.as_ref().unwrap().months.iter().map(|(m, _)| *m).collect();
    for m in &months {
        update(
            &mut a,
            Action::Ingest(Progress::Failed {
                month: *m,
                reason: "HTTP 500 Internal Server Error: the body said so".into(),
            }),
        );
    }
    let failed_months = months.iter().map(|m| (*m, "HTTP 500".to_string())).collect();
    let summary = IngestSummary { months_planned: 12, months_done: 0, failed_months, ..Default::default() };
    update(&mut a, Action::Ingest(Progress::Finished(Box::new(summary))));
    let fetch = a.fetch.as_ref().unwrap();
    assert_eq!((fetch.failed(), fetch.completed()), (12, 12));
    assert!(a.message.as_deref().unwrap().contains("says why"), "{:?}", a.message);
}

/// A fetch that gave up (the API unreachable) ends every month it never reached as failed, with
/// the reason on its line; a fetch with nothing to do says so.
#[test]
fn months_a_fetch_never_reached_end_failed_with_the_reason() {
    let mut a = app();
    a.start();
    press(&mut a, KeyCode::Char('R'));
    let jan = month("2021-01");
    update(
        &mut a,
        Action::Ingest(Progress::Retry {
            month: jan,
            attempt: 3,
            reason: "connect".into(),
            delay: StdDuration::ZERO,
        }),
    );
    update(
        &mut a,
        Action::Ingest(Progress::Failed { month: month("2021-02"), reason: "cannot connect".into() }),
    );
    let summary = IngestSummary {
        months_planned: 12,
        unreachable: Some("http://127.0.0.1:1".into()),
        failed_months: vec![(month("2021-02"), "cannot connect".into())],
        ..Default::default()
    };
    update(&mut a, Action::Ingest(Progress::Finished(Box::new(summary))));
    let fetch = a.fetch.as_ref().unwrap();
    assert_eq!(fetch.failed(), 12, "{:?}", fetch.months);
    assert_eq!(
        fetch.months[0].1,
        MonthStatus::Failed { reason: "not fetched: http://127.0.0.1:1 could not be reached".into() }
    );
    assert!(a.message.as_deref().unwrap().contains("could not be reached"), "{:?}", a.message);
    press(&mut a, KeyCode::Char('R'));
    let summary = IngestSummary { months_planned: 0, ..Default::default() };
    update(&mut a, Action::Ingest(Progress::Planned { dataset: Dataset::PRODUCTION, months: vec![] }));
    update(&mut a, Action::Ingest(Progress::Finished(Box::new(summary))));
    assert_eq!(a.message.as_deref(), Some("nothing to fetch: 2021-01..2021-12 is stored and current"));
}

/// A notice lasts until the next key; background results leave it.
#[test]
fn a_notice_lasts_until_the_next_key() {
    let mut a = app();
    a.start();
    update(
        &mut a,
        Action::Saved(Ok(vec!["./a.svg".into(), "./a-totals.csv".into(), "./a-curve.csv".into()])),
    );
    assert_eq!(a.message.as_deref(), Some("saved ./a.svg and 2 CSV files beside it"));
    let now = a.now;
    update(&mut a, Action::Tick(now));
    update(&mut a, Action::Answered(Answer::Coverage(Dataset::PRODUCTION, Ok(coverage(&["2021-03"])))));
    assert!(a.message.is_some(), "background results leave it");
    press(&mut a, KeyCode::Char('2'));
    assert_eq!(a.message, None);
}

/// A dataset that starts later opens on its first month; steps beyond the bounds say why.
#[test]
fn a_dataset_opens_within_its_own_months() {
    let mut a = app();
    a.set_month(month("2022-03"));
    while a.dataset != Dataset::PRODUCTION_15MIN {
        press(&mut a, KeyCode::Char('d'));
    }
    assert_eq!(a.month, month("2023-05"), "quarter-hours start in May 2023");
    assert_eq!(a.viewed_range().to_string(), "2023-05..2023-12");
    // Passing through it, the year does not drift: the next dataset is back on March 2022.
    press(&mut a, KeyCode::Char('d'));
    assert_eq!(a.month, month("2022-03"), "the month chosen comes back where the dataset has it");
    press(&mut a, KeyCode::Char('D'));
    press(&mut a, KeyCode::Left);
    assert_eq!(a.month, month("2023-05"));
    assert_eq!(
        a.message.as_deref(),
        Some(format!("production-15min has data from 2023-05 to {}", a.this_month).as_str())
    );
}

/// Months landing drop the year's days and the entities side by side of their year, which are
/// asked for again while shown; a reload dropped unanswered frees its key.
#[test]
fn months_landing_refresh_the_year_and_side_views() {
    let mut a = app();
    a.start();
    press(&mut a, KeyCode::Char('v'));
    press(&mut a, KeyCode::Char('a'));
    let (yk, sk) = (a.year_key(&a.series().unwrap()), a.side_key());
    update(&mut a, Action::Answered(Answer::Year(yk.clone(), Ok(vec![]))));
    update(&mut a, Action::Answered(Answer::Side(sk.clone(), Ok(vec![]))));
    press(&mut a, KeyCode::Char('R'));
    let done =
        Progress::Done { month: month("2021-12"), records: 1, rejected: 0, stats: UpsertStats::default() };
    let effects = update(&mut a, Action::Ingest(done));
    assert!(effects.contains(&Effect::Query(Query::Year(yk))), "{effects:?}");
    assert!(effects.contains(&Effect::Query(Query::Side(sk))), "{effects:?}");
    // A reload (the old answer kept on screen meanwhile) dropped because the view moved on.
    let tk = a.totals_key().unwrap();
    update(&mut a, Action::Answered(Answer::Totals(tk.clone(), Ok(totals(&[("hydro", 1.0)])))));
    press(&mut a, KeyCode::Char('2'));
    update(&mut a, Action::QueryDropped(Query::Totals(tk.clone())));
    assert!(!a.q.totals.contains(&tk), "not kept with its old answer");
    let effects = press(&mut a, KeyCode::Char('1'));
    assert!(effects.contains(&Effect::Query(Query::Totals(tk))), "asked again when shown again: {effects:?}");
}

/// Only a year with all twelve months stored is whole: not this year, not a dataset's first
/// year when it starts in May.
#[test]
fn whole_years_have_twelve_stored_months() {
    let mut a = app();
    a.start();
    let all: Vec<String> = (2021..=a.this_month.year())
        .flat_map(|y| (1..=12).map(move |m| format!("{y}-{m:02}")))
        .filter(|m| month(m) <= a.this_month)
        .collect();
    let refs: Vec<&str> = all.iter().map(String::as_str).collect();
    update(&mut a, Action::Answered(Answer::Coverage(Dataset::PRODUCTION, Ok(coverage(&refs)))));
    assert!(a.year_whole(2021) && a.year_whole(a.this_month.year() - 1));
    assert!(!a.year_whole(a.this_month.year()) || a.this_month.month() == 12);
    a.set_dataset(Dataset::PRODUCTION_15MIN);
    update(&mut a, Action::Answered(Answer::Coverage(Dataset::PRODUCTION_15MIN, Ok(coverage(&refs)))));
    assert!(!a.year_whole(2023), "quarter-hours start in May 2023");
    assert!(a.year_whole(2024));
}
