//! `s`: the view as it is on screen, saved into a directory: the panes as an SVG picture (the
//! renderer of the README's screenshots) and the data behind them as CSV, read from what the
//! explorer already holds (no query). Files get names from the view and are never overwritten:
//! a second save of the same view adds `-2`, `-3`, …

use std::io::Write;
use std::path::{Path, PathBuf};

use ratatui::backend::TestBackend;
use ratatui::Terminal;

use super::series;
use super::state::{App, CurveView, Loadable, ALL};
use crate::model::LOCAL_TZ;
use crate::outfile::OutFile;

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
            files.push((format!("-{}.csv", table.suffix), csv_bytes(&table.rows)?));
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
        if s == ALL {
            return "all".into();
        }
        s.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect()
    };
    let when = match app.view {
        CurveView::Month => app.month.to_string(),
        CurveView::Year => format!("{}-year", app.year()),
        CurveView::Profile => format!("{}-profile", app.month),
    };
    format!("elhub-{}-{}-{}-{when}", app.dataset, part(&app.entity), part(&app.group))
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

fn csv_bytes(rows: &[Vec<String>]) -> Result<Vec<u8>, String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for row in rows {
        w.write_record(row).map_err(|e| e.to_string())?;
    }
    w.into_inner().map_err(|e| e.to_string())
}

/// The data behind the panes: the totals (with the year before), and the curve pane's series
/// as the view shows it (steps, days, or the average day); the entities side by side when on.
fn tables(app: &App) -> Vec<Table> {
    let mut out = Vec::new();
    if let Some(Loadable::Ready(totals)) = app.current_totals() {
        let before = match app.previous_totals() {
            Some(Loadable::Ready(b)) => b.clone(),
            _ => Vec::new(),
        };
        let mut rows = vec![vec![
            "year".into(),
            "entity".into(),
            "group".into(),
            "kwh".into(),
            "records".into(),
            "previous_year_kwh".into(),
            "change_pct".into(),
        ]];
        for t in totals {
            let prev = before.iter().find(|b| b.group == t.group).map(|b| b.kwh);
            let change = prev.and_then(|p| series::change_pct(t.kwh, p));
            rows.push(vec![
                app.year().to_string(),
                app.entity.clone(),
                t.group.clone(),
                kwh(t.kwh),
                t.count.to_string(),
                prev.map(kwh).unwrap_or_default(),
                change.map(|c| format!("{c:.2}")).unwrap_or_default(),
            ]);
        }
        out.push(Table { suffix: "totals", rows });
    }
    if app.side_by_side {
        if let Some(Loadable::Ready(sides)) = app.sides.get(&app.side_key()) {
            let mut rows = vec![vec!["year".into(), "entity".into(), "group".into(), "kwh".into()]];
            rows.extend(
                sides
                    .iter()
                    .map(|(e, v)| vec![app.year().to_string(), e.clone(), app.group.clone(), kwh(*v)]),
            );
            out.push(Table { suffix: "entities", rows });
        }
    }
    match app.view {
        CurveView::Month | CurveView::Profile => {
            if let Some(Loadable::Ready(steps)) = app.current_curve() {
                if app.view == CurveView::Month {
                    let mut rows = vec![vec!["start".into(), "local".into(), "kwh".into()]];
                    rows.extend(steps.iter().map(|s| {
                        vec![
                            s.start.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                            s.start.with_timezone(&LOCAL_TZ).format("%Y-%m-%d %H:%M").to_string(),
                            kwh(s.kwh),
                        ]
                    }));
                    out.push(Table { suffix: "curve", rows });
                } else {
                    let [weekday, weekend] =
                        series::day_profile(steps, app.dataset.resolution().per_hour() as usize);
                    let cell = |v: Option<f64>| v.map(kwh).unwrap_or_default();
                    let mut rows =
                        vec![vec!["local_hour".into(), "weekday_kwh".into(), "weekend_kwh".into()]];
                    rows.extend((0..24).map(|h| vec![h.to_string(), cell(weekday[h]), cell(weekend[h])]));
                    out.push(Table { suffix: "profile", rows });
                }
            }
        }
        CurveView::Year => {
            if let Some(Loadable::Ready(days)) = app.years.get(&app.year_key()) {
                let mut rows = vec![vec!["local_day".into(), "kwh".into()]];
                rows.extend(series::days_of(days).iter().map(|(d, v)| vec![d.to_string(), kwh(*v)]));
                out.push(Table { suffix: "days", rows });
            }
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
        let key = app.totals_key();
        let totals = vec![crate::store::GroupTotal { group: "hydro".into(), kwh: 1.5, count: 1 }];
        crate::tui::state::update(&mut app, crate::tui::state::Action::TotalsLoaded(key, Ok(totals)));
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
        assert!(csv.starts_with("year,entity,group,kwh") && csv.contains("2021,NO1,hydro,1.5,1,,"), "{csv}");
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
