//! `s`: the view as it is on screen, saved into a directory: the panes as an SVG picture (the
//! renderer of the README's screenshots) and the data behind them as CSV, read from what the
//! explorer already holds (no query). Files get names from the view and are never overwritten:
//! a second save of the same view adds `-2`, `-3`, …

use std::io::Write;
use std::path::{Path, PathBuf};

use ratatui::backend::TestBackend;
use ratatui::Terminal;

use super::series;
use super::state::selection::scope_key;
use super::state::{App, CurveView, Loadable, Series, Span};
use super::view::{entity_name, names};
use crate::model::{format_local, shortest};
use crate::outfile::OutFile;
use crate::store::Scope;

/// One CSV file: its name's tail and its rows (the first is the header).
struct Table {
    suffix: &'static str,
    rows: Vec<Vec<String>>,
}

/// Saves the view as `width`×`height` cells into `dir`; the paths written, or why not.
pub fn save_view(app: &App, width: u16, height: u16, dir: &Path) -> Result<Vec<String>, String> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).map_err(|e| e.to_string())?;
    terminal.draw(|f| super::view::render(app, f)).map_err(|e| e.to_string())?;
    let svg = super::svg::to_svg(terminal.backend().buffer());
    let stem = stem(app);
    let mut files: Vec<(String, Vec<u8>)> = vec![(".svg".into(), svg.into_bytes())];
    for table in tables(app) {
        if table.rows.len() > 1 {
            let suffix =
                if table.suffix.is_empty() { ".csv".to_string() } else { format!("-{}.csv", table.suffix) };
            files.push((suffix, csv_bytes(&table.rows)?));
        }
    }
    // One number for the whole save, so its picture and its tables go together.
    let name = |n: usize, suffix: &str| {
        if n == 1 {
            format!("{stem}{suffix}")
        } else {
            format!("{stem}-{n}{suffix}")
        }
    };
    let n = (1..1000)
        .find(|n| files.iter().all(|(suffix, _)| !dir.join(name(*n, suffix)).exists()))
        .ok_or_else(|| format!("{stem}.svg and 998 more exist in {}", dir.display()))?;
    let mut written = Vec::new();
    for (suffix, body) in &files {
        written.push(write_new(dir, &name(n, suffix), body)?.display().to_string());
    }
    Ok(written)
}

/// `elhub-production-NO1-hydro-2021-03`: what is viewed, safe as a file name anywhere.
fn stem(app: &App) -> String {
    let part = |s: &str| -> String {
        if s == "*" {
            return "all".into();
        }
        s.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect()
    };
    let when = match app.look.view {
        CurveView::Month if app.zoomed() => {
            let span = app.curve_span();
            let last = crate::tui::series::local_day(span.end - chrono::Duration::seconds(1));
            let first = crate::tui::series::local_day(span.start);
            if first == last {
                first.to_string()
            } else {
                format!("{first}-to-{last}")
            }
        }
        CurveView::Month => app.month.to_string(),
        CurveView::Year => format!("{}-year", app.year()),
        CurveView::Profile => format!("{}-profile", app.month),
    };
    let entity = app.entity.as_ref().map_or("none", scope_key);
    format!("elhub-{}-{}-{}-{when}", app.dataset, part(entity), part(app.group.key()))
}

/// Writes `name` (or `name` with -2, -3… before its extension when taken) in `dir`, whole or not
/// at all, with the user's umask: a temporary file renamed to a name nobody has.
fn write_new(dir: &Path, name: &str, body: &[u8]) -> Result<PathBuf, String> {
    let mut out = OutFile::create_new(dir).map_err(|e| format!("cannot write in {e}"))?;
    out.file().write_all(body).map_err(|e| format!("cannot write in {}: {e}", dir.display()))?;
    out.commit_new(name).map_err(|e| format!("cannot write {e}"))
}

/// kWh to the Wh, without trailing zeros: `113854133.815`, not `113854133.81500001`.
fn kwh(v: f64) -> String {
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_string()
    } else {
        s.to_string()
    }
}

/// The columns that say which series a row is of: dataset, entity, its name, group.
fn who(app: &App, s: &Series) -> Vec<String> {
    let entity = match &s.entity {
        Scope::Entity(id) => id.clone(),
        Scope::All => "all".into(),
    };
    vec![
        s.dataset.to_string(),
        entity,
        entity_name(app, s.dataset.entity(), &s.entity),
        s.group.key().replace('*', "all"),
    ]
}

fn header(value: &str, first: &[&str]) -> Vec<String> {
    ["dataset", "entity", "entity_name", "group"]
        .iter()
        .chain(first)
        .chain(std::iter::once(&value))
        .map(|s| s.to_string())
        .collect()
}

/// The value column's name: `kwh`, or `kwh_per_metering_point` where `m` reads it so.
fn value_column(app: &App, s: &Series) -> &'static str {
    if app.per_point(s) {
        "kwh_per_metering_point"
    } else {
        "kwh"
    }
}

fn csv_bytes(rows: &[Vec<String>]) -> Result<Vec<u8>, String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for row in rows {
        w.write_record(row).map_err(|e| e.to_string())?;
    }
    w.into_inner().map_err(|e| e.to_string())
}

/// The data behind the panes: the totals (with the year before), the entities side by side when
/// on, and every drawn series as the curve pane shows it (steps of the span on screen, days, or
/// the average day), named and with local times that carry their offset.
fn tables(app: &App) -> Vec<Table> {
    let mut out = Vec::new();
    let Some(current) = app.series() else { return out };
    if let Some(Loadable::Ready(totals)) = app.current_totals() {
        let before = match app.previous_totals() {
            Some(Loadable::Ready(b)) => b.clone(),
            _ => Vec::new(),
        };
        let mut rows = vec![vec![
            "year".into(),
            "entity".into(),
            "entity_name".into(),
            "group".into(),
            "kwh".into(),
            "records".into(),
            "previous_year_kwh".into(),
            "change_pct".into(),
        ]];
        let who = who(app, &current);
        for t in totals {
            let prev = before.iter().find(|b| b.group == t.group).map(|b| b.kwh);
            let change = prev.and_then(|p| series::change_pct(t.kwh, p));
            rows.push(vec![
                app.year().to_string(),
                who[1].clone(),
                who[2].clone(),
                t.group.clone(),
                kwh(t.kwh),
                t.count.to_string(),
                prev.map(kwh).unwrap_or_default(),
                change.map(|c| format!("{c:.2}")).unwrap_or_default(),
            ]);
        }
        out.push(Table { suffix: "totals", rows });
    }
    if app.look.side_by_side {
        if let Some(sides) = app.q.sides.ready(&app.side_key()) {
            let mut rows = vec![vec![
                "year".into(),
                "entity".into(),
                "entity_name".into(),
                "group".into(),
                "kwh".into(),
            ]];
            rows.extend(sides.iter().map(|(e, v)| {
                let name = entity_name(app, app.kind(), &Scope::Entity(e.clone()));
                vec![app.year().to_string(), e.clone(), name, app.group.key().replace('*', "all"), kwh(*v)]
            }));
            out.push(Table { suffix: "entities", rows });
        }
    }
    let drawn = app.drawn();
    match app.look.view {
        CurveView::Month => {
            let span = app.curve_span();
            let mut rows = vec![header("value", &["start_utc", "start_local"])];
            rows[0].push("unit".into());
            for s in &drawn {
                if let Loadable::Ready(steps) = app.curve_of(s, span) {
                    let who = who(app, s);
                    rows.extend(steps.iter().map(|st| {
                        let mut row = who.clone();
                        row.extend([
                            st.start.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                            format_local(st.start),
                            shortest(st.kwh),
                            value_column(app, s).into(),
                        ]);
                        row
                    }));
                }
            }
            out.push(Table { suffix: "curve", rows });
            if app.difference_on() {
                if let (Loadable::Ready(a), Loadable::Ready(b)) =
                    (app.curve_of(&drawn[0], span), app.curve_of(&drawn[1], span))
                {
                    let names = names(app, &drawn);
                    let mut rows = vec![vec![
                        "start_utc".into(),
                        "start_local".into(),
                        "net_kwh".into(),
                        "first".into(),
                        "second".into(),
                    ]];
                    for (t, v) in series::subtract(&series::pairs(&a), &series::pairs(&b)) {
                        rows.push(vec![
                            t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                            format_local(t),
                            shortest(v),
                            names[0].clone(),
                            names[1].clone(),
                        ]);
                    }
                    out.push(Table { suffix: "difference", rows });
                }
            }
        }
        CurveView::Profile => {
            let mut rows = vec![header("weekend", &["local_hour", "weekday"])];
            for s in &drawn {
                if let Loadable::Ready(steps) = app.curve_of(s, Span::of_month(app.month)) {
                    let [weekday, weekend] =
                        series::day_profile(&steps, s.dataset.resolution().per_hour() as usize);
                    let cell = |v: Option<f64>| v.map(kwh).unwrap_or_default();
                    let who = who(app, s);
                    rows.extend((0..24).map(|h| {
                        let mut row = who.clone();
                        row.extend([h.to_string(), cell(weekday[h]), cell(weekend[h])]);
                        row
                    }));
                }
            }
            let unit = value_column(app, &current);
            let last = rows[0].len() - 1;
            rows[0][last - 1] = format!("weekday_{unit}");
            rows[0][last] = format!("weekend_{unit}");
            // The picture is `…-profile.svg`; its data `…-profile.csv`.
            out.push(Table { suffix: "", rows });
        }
        CurveView::Year => {
            let mut rows = vec![header("value", &["local_day"])];
            rows[0].push("unit".into());
            for s in &drawn {
                if let Loadable::Ready(days) = app.year_of(s) {
                    let who = who(app, s);
                    rows.extend(days.iter().map(|(d, v)| {
                        let mut row = who.clone();
                        row.extend([d.to_string(), kwh(*v), value_column(app, s).into()]);
                        row
                    }));
                }
            }
            out.push(Table { suffix: "days", rows });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A second save of the same view gets one number for all its files.
    #[test]
    fn a_saves_files_share_their_number() {
        let mut app = crate::tui::state::sample_app();
        app.start();
        let key = app.totals_key().unwrap();
        let totals = vec![crate::store::GroupTotal { group: "hydro".into(), kwh: 1.5, count: 1 }];
        let answer = crate::tui::state::Answer::Totals(key, Ok(totals));
        crate::tui::state::update(&mut app, crate::tui::state::Action::Answered(answer));
        let dir = tempfile::tempdir().unwrap();
        let first = save_view(&app, 80, 24, dir.path()).unwrap();
        std::fs::remove_file(&first[1]).unwrap(); // the CSV goes, the SVG stays
        let second = save_view(&app, 80, 24, dir.path()).unwrap();
        let names: Vec<String> =
            second.iter().map(|p| Path::new(p).file_name().unwrap().to_string_lossy().into_owned()).collect();
        assert_eq!(
            names,
            ["elhub-production-NO1-hydro-2021-12-2.svg", "elhub-production-NO1-hydro-2021-12-2-totals.csv"]
        );
        let csv = std::fs::read_to_string(&second[1]).unwrap();
        assert!(
            csv.starts_with("year,entity,entity_name,group,kwh")
                && csv.contains("2021,NO1,NO1 Oslo,hydro,1.5,1,,"),
            "{csv}"
        );
    }

    /// A link at the name a save would take is never followed: the save takes the next name and
    /// the link's target is untouched.
    #[test]
    fn a_link_at_the_name_is_never_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("precious");
        std::fs::write(&target, "keep").unwrap();
        std::os::unix::fs::symlink(&target, dir.path().join("a.csv")).unwrap();
        std::os::unix::fs::symlink("nowhere", dir.path().join("a-2.csv")).unwrap();
        let written = write_new(dir.path(), "a.csv", b"new").unwrap();
        assert_eq!(written.file_name().unwrap(), "a-3.csv");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep");
        assert!(!dir.path().join("nowhere").exists(), "a dangling link is not followed either");
    }

    #[test]
    fn a_name_taken_gets_a_number_and_nothing_is_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let first = write_new(dir.path(), "a-b.csv", b"1").unwrap();
        let second = write_new(dir.path(), "a-b.csv", b"2").unwrap();
        assert_eq!(first.file_name().unwrap(), "a-b.csv");
        assert_eq!(second.file_name().unwrap(), "a-b-2.csv");
        assert_eq!(std::fs::read(&first).unwrap(), b"1");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2, "no temporary file left");
        let err = write_new(&dir.path().join("missing"), "x.svg", b"").unwrap_err();
        assert!(err.starts_with("cannot write in "), "{err}");
        assert_eq!(
            (kwh(113854133.81500001), kwh(2.0), kwh(-0.0001)),
            ("113854133.815".into(), "2".into(), "0".into())
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            // 0666 less this process's umask, as any file the user writes.
            let status = std::fs::read_to_string("/proc/self/status").unwrap();
            let umask = status.lines().find_map(|l| l.strip_prefix("Umask:")).unwrap().trim();
            let umask = u32::from_str_radix(umask, 8).unwrap();
            assert_eq!(std::fs::metadata(&first).unwrap().permissions().mode() & 0o777, 0o666 & !umask);
        }
    }
}
