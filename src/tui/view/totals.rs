//! Annual totals of the selected entity, year and dataset per group: horizontal bars with value
//! and share, or a sector (pie) chart with a legend. The selected group is marked.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

use crate::model::{format_energy, printable, EntityKind};
use crate::store::GroupTotal;
use crate::store::Scope;
use crate::tui::state::{App, ChartKind, Groups, Loadable, Pane};
use crate::tui::theme::Theme;

pub struct TotalsPane<'a> {
    pub app: &'a App,
}

impl Widget for TotalsPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let app = self.app;
        let view = match (app.look.side_by_side, app.look.chart) {
            (true, _) => "side by side",
            (false, ChartKind::Bars) => "bars",
            (false, ChartKind::Sectors) => "sectors",
        };
        let (dataset, year, entity) = (app.dataset, app.year(), entity_title(app));
        // A year not yet stored whole says how much of it is: its sum is not the year's.
        let (stored, possible) = app.year_coverage();
        let mut part =
            if stored < possible { format!(" ({stored} of {possible} months)") } else { String::new() };
        if compared(app) && !app.look.side_by_side {
            part.push_str(&format!(" vs {}", year - 1));
        }
        // While the selection's answer is on its way, the last one stays, and the title says so.
        // Per metering point, each group's total is divided by its mean count.
        let per_point = per_point(app);
        let (shown, stale) = if per_point {
            let entity = app.entity.clone().unwrap_or(Scope::All);
            (Some(app.totals_of(app.dataset, &entity, true)), false)
        } else {
            let (shown, stale) = app.totals_to_draw();
            (shown.cloned(), stale)
        };
        let view = if stale { "loading…" } else { view };
        // Per metering point, the title says so before anything else is dropped.
        if per_point {
            part.push_str(" per point");
        }
        let what = if app.look.side_by_side {
            format!("{} by {}", app.group.title(), app.kind().noun())
        } else {
            entity.clone()
        };
        let titles = vec![
            Line::from(format!(" Totals · {dataset} {year}{part} · {what} · {view} ")),
            Line::from(format!(
                " Totals · {dataset} {year}{part} · {what}{} ",
                if stale { " · loading…" } else { "" }
            )),
            Line::from(format!(" Totals {year}{part} · {what} ")),
            Line::from(format!(" {year}{part} · {what} ")),
            Line::from(format!(" {year} · {what} ")),
        ];
        let titles = if app.entity.is_none() {
            vec![Line::from(format!(" Totals · {dataset} {year} ")), Line::from(format!(" Totals {year} "))]
        } else if app.difference_on() {
            let drawn = app.drawn();
            let names = super::names::names(app, &drawn);
            let shared = super::names::shared(app, &drawn);
            vec![
                Line::from(format!(" Totals {year} · {shared}: {} − {} · net ", names[0], names[1])),
                Line::from(format!(" {year} · {shared}: {} − {} ", names[0], names[1])),
                Line::from(format!(" Totals {year} · {} − {} · net ", names[0], names[1])),
                Line::from(format!(" {year} · {shared} · net ")),
                Line::from(format!(" {year} · net ")),
            ]
        } else {
            titles
        };
        let Some(inner) = super::data_pane(app, Pane::Totals, area, buf, titles) else {
            return;
        };
        if app.look.side_by_side {
            return render_side_by_side(app, inner, buf);
        }
        if app.difference_on() {
            return render_difference(app, inner, buf);
        }
        match shown.as_ref() {
            None | Some(Loadable::Loading) => {
                Paragraph::new("loading…").style(app.theme.dim()).render(inner, buf)
            }
            Some(Loadable::Failed(e)) => Paragraph::new(format!("query failed: {}", printable(e)))
                .style(app.theme.bad())
                .render(inner, buf),
            Some(Loadable::Ready(t)) if t.is_empty() => Paragraph::new(format!(
                "No {} data stored for {} in {}. Press r to fetch {}.",
                app.dataset,
                entity_title(app),
                app.year(),
                app.viewed_range()
            ))
            .style(app.theme.dim())
            .wrap(Wrap { trim: true })
            .render(inner, buf),
            Some(Loadable::Ready(t)) => match app.look.chart {
                ChartKind::Bars => render_bars(app, t, inner, buf),
                ChartKind::Sectors => render_sectors(app, t, inner, buf),
            },
        }
    }
}

/// The selected entity as titles name it: `NO1 Oslo`, `0301 Oslo`, `EIDSIVA-D`, `Norway`.
pub fn entity_title(app: &App) -> String {
    app.entity.as_ref().map_or_else(String::new, |e| super::names::entity_name(app, app.kind(), e))
}

/// Whether the totals are read per metering point.
fn per_point(app: &App) -> bool {
    app.look.per_point && app.dataset.has_metering_points()
}

/// A share as the tables show it, 6 wide: ` 96.5%`, `<0.1%` rather than a misleading `0.0%`.
fn share(kwh: f64, sum: f64) -> String {
    let pct = if sum > 0.0 { 100.0 * kwh / sum } else { 0.0 };
    if pct > 0.0 && pct < 0.05 {
        " <0.1%".to_string()
    } else {
        format!("{pct:>5.1}%")
    }
}

fn name_width(totals: &[GroupTotal]) -> usize {
    totals.iter().map(|t| t.group.chars().count()).max().unwrap_or(5).clamp(5, 14)
}

/// Whether the totals are compared with the year before: both years stored whole, and the
/// year before's totals at hand.
fn compared(app: &App) -> bool {
    !per_point(app)
        && app.year_whole(app.year())
        && app.year_whole(app.year() - 1)
        && matches!(app.previous_totals(), Some(Loadable::Ready(b)) if !b.is_empty())
}

/// The change from the year before in %, where both years have the group.
fn change(app: &App, group: &str, kwh: f64) -> Option<f64> {
    if !compared(app) {
        return None;
    }
    match app.previous_totals() {
        Some(Loadable::Ready(before)) => {
            before.iter().find(|b| b.group == group).and_then(|b| crate::tui::series::change_pct(kwh, b.kwh))
        }
        _ => None,
    }
}

/// One line per group: `>hydro  ████████▌   20.1 TWh  96.5%   +3.2%*`, then the total. The
/// change against the year before shows where there is room and a year before; `*` marks a
/// series stored for only part of the year's hours.
fn render_bars(app: &App, totals: &[GroupTotal], area: Rect, buf: &mut Buffer) {
    // Per metering point, groups do not add up: all groups is the volume by every point.
    let pp = per_point(app);
    let all = if pp {
        app.entity.as_ref().and_then(|e| app.all_groups_per_point(app.dataset, e))
    } else {
        Some(totals.iter().map(|t| t.kwh).sum())
    };
    let sum: f64 = totals.iter().map(|t| t.kwh).sum();
    let share = |kwh: f64, sum: f64| if pp { "      ".to_string() } else { share(kwh, sum) };
    let max = totals.iter().map(|t| t.kwh).fold(0.0, f64::max);
    let name_w = name_width(totals);
    let most = totals.iter().map(|t| t.count).max().unwrap_or(0);
    let any_partial = totals.iter().any(|t| t.count < most);
    let changes: Vec<Option<f64>> = totals.iter().map(|t| change(app, &t.group, t.kwh)).collect();
    let fixed = name_w + 2 + 10 + 7 + 1 + usize::from(any_partial);
    let with_change = changes.iter().any(Option::is_some) && (area.width as usize) >= fixed + 8 + 4;
    let bar_w = (area.width as usize).saturating_sub(fixed + if with_change { 8 } else { 0 }).max(1);
    let focused = app.focus == Pane::Totals;
    let mut lines: Vec<Line> = Vec::new();
    for (t, change) in totals.iter().zip(&changes).take(area.height.saturating_sub(1) as usize) {
        let selected = Groups::One(t.group.clone()) == app.group;
        let marker = if selected { ">" } else { " " };
        let name_style = if selected { app.theme.selected(focused) } else { Style::new() };
        let bar = bar_text(&app.theme, if max > 0.0 { t.kwh / max } else { 0.0 }, bar_w);
        let mut spans = vec![
            Span::raw(marker),
            Span::styled(format!("{:<name_w$}", printable(&t.group)), name_style),
            Span::raw(" "),
            Span::styled(bar, app.theme.group_style(&t.group)),
            Span::raw(format!(" {:>9} {}", format_energy(t.kwh), share(t.kwh, sum))),
        ];
        if with_change {
            let text = change.map_or(String::new(), |c| format!("{c:+.1}%"));
            let style = match change {
                Some(c) if *c < 0.0 => app.theme.bad_plain(),
                Some(_) => app.theme.good(),
                None => Style::new(),
            };
            spans.push(Span::styled(format!(" {text:>7}"), style));
        }
        if t.count < most {
            spans.push(Span::styled("*", app.theme.warn()));
        }
        lines.push(Line::from(spans));
    }
    // The total line, in the columns of the rows: the sum, the hours, the change.
    let per_hour = app.dataset.resolution().per_hour() as u64;
    let hours = most / per_hour;
    // The line is the series of all groups together: marked when that is the one selected.
    let all_selected = app.group == Groups::All;
    let all_style = if all_selected { app.theme.selected(focused) } else { Style::new() };
    let mut spans = vec![
        Span::raw(if all_selected { ">" } else { " " }),
        Span::styled(format!("{:<name_w$}", "all"), all_style.add_modifier(Modifier::BOLD)),
        Span::raw(" "),
        Span::raw(format!("{:>w$}", all.map_or("-".to_string(), format_energy), w = bar_w + 10)),
        // Hours of one entity's year; summed over every entity they would mean nothing.
        Span::styled(
            if app.entity == Some(Scope::All) {
                "       ".to_string()
            } else {
                format!(" {:>6}", format!("{hours} h"))
            },
            app.theme.dim(),
        ),
    ];
    if with_change {
        let before: Option<f64> = match app.previous_totals() {
            Some(Loadable::Ready(b)) if !b.is_empty() => Some(b.iter().map(|t| t.kwh).sum()),
            _ => None,
        };
        if let Some(c) = before.and_then(|b| crate::tui::series::change_pct(sum, b)) {
            spans.push(Span::raw(format!(" {:>7}", format!("{c:+.1}%"))));
        }
    }
    lines.push(Line::from(spans));
    // What `*` means, with the hours of each such series, where there is a row for it.
    if any_partial && lines.len() < area.height as usize {
        let partial: Vec<(u8, String)> = totals
            .iter()
            .filter(|t| t.count < most)
            .map(|t| (1, format!("{}: {} of {} h", printable(&t.group), t.count / per_hour, hours)))
            .collect();
        let text = format!("* {}", super::fit_fields(&partial, (area.width as usize).saturating_sub(2)));
        lines.push(Line::styled(text, app.theme.warn()));
    }
    Paragraph::new(lines).render(area, buf);
}

/// An entity as a row names it: `NO1 Oslo`, `0301 Oslo`, a grid area's name.
fn entity_label(app: &App, id: &str, name: &str) -> String {
    let name = printable(name).into_owned();
    match app.kind() {
        EntityKind::GridArea if !name.is_empty() => name,
        _ if name.is_empty() => id.to_string(),
        _ => format!("{id} {name}"),
    }
}

/// The style of the selected group (none for all groups).
fn selected_group_style(app: &App) -> Style {
    match &app.group {
        Groups::One(g) => app.theme.group_style(g),
        Groups::All => Style::new(),
    }
}

/// The group's annual total for every entity (per metering point: by each entity's mean count),
/// largest first, as bars; the rows that do not fit are counted in the last line.
fn render_side_by_side(app: &App, area: Rect, buf: &mut Buffer) {
    let list = match app.q.sides.get(&app.side_key()) {
        Some(Loadable::Ready(list)) if !list.is_empty() => list,
        Some(Loadable::Ready(_)) => {
            return Paragraph::new(format!("Nothing stored for {}; a goes back.", app.year()))
                .style(app.theme.dim())
                .wrap(Wrap { trim: true })
                .render(area, buf)
        }
        Some(Loadable::Failed(e)) => {
            return Paragraph::new(format!("query failed: {}", printable(e)))
                .style(app.theme.bad())
                .render(area, buf)
        }
        _ => return Paragraph::new("loading…").style(app.theme.dim()).render(area, buf),
    };
    let pp = per_point(app);
    let means = if pp {
        match app.q.points.get(&app.point_key(app.dataset, &Scope::All)) {
            Some(Loadable::Ready(m)) => Some(m),
            Some(Loadable::Failed(e)) => {
                return Paragraph::new(format!("query failed: {}", printable(e)))
                    .style(app.theme.bad())
                    .render(area, buf)
            }
            _ => return Paragraph::new("loading…").style(app.theme.dim()).render(area, buf),
        }
    } else {
        None
    };
    let by_entity = means.map(|m| m.by_entity(app.group.as_option()));
    let names: std::collections::HashMap<String, String> =
        app.all_entities().into_iter().map(|e| (e.id().to_string(), e.name)).collect();
    let label_of = |id: &str| entity_label(app, id, names.get(id).map_or("", String::as_str));
    let mut rows: Vec<(String, f64)> = list
        .iter()
        .filter_map(|(id, kwh)| {
            let value = match &by_entity {
                Some(m) => kwh / m.get(id).copied().filter(|m| *m > 0.0)?,
                None => *kwh,
            };
            Some((label_of(id), value))
        })
        .collect();
    let selected_label = match &app.entity {
        Some(Scope::Entity(id)) => label_of(id),
        _ => String::new(),
    };
    rows.sort_by(|a, b| b.1.total_cmp(&a.1));
    let sum: f64 = match means {
        Some(m) => {
            list.iter().map(|r| r.1).sum::<f64>()
                / m.year_mean(None, app.group.as_option()).unwrap_or(f64::NAN)
        }
        None => rows.iter().map(|r| r.1).sum(),
    };
    let max = rows.first().map_or(0.0, |r| r.1);
    let name_w = rows.iter().map(|r| r.0.chars().count()).max().unwrap_or(5).clamp(5, 18);
    let bar_w = (area.width as usize).saturating_sub(name_w + 2 + 10 + 7 + 1).max(1);
    let room = area.height.saturating_sub(1) as usize;
    let mut lines: Vec<Line> = Vec::new();
    for (label, value) in rows.iter().take(room) {
        let selected = *label == selected_label;
        let name: String = if label.chars().count() > name_w {
            label.chars().take(name_w - 1).chain(std::iter::once('…')).collect()
        } else {
            label.clone()
        };
        let style = if selected { app.theme.selected(app.focus == Pane::Totals) } else { Style::new() };
        let share = if pp { String::new() } else { share(*value, sum) };
        lines.push(Line::from(vec![
            Span::raw(if selected { ">" } else { " " }),
            Span::styled(format!("{name:<name_w$}"), style),
            Span::raw(" "),
            Span::styled(
                bar_text(&app.theme, if max > 0.0 { value / max } else { 0.0 }, bar_w),
                selected_group_style(app),
            ),
            Span::raw(format!(" {:>9} {share}", format_energy(*value))),
        ]));
    }
    // How many rows did not fit, in the room there is: never a cut number.
    let more = rows.len().saturating_sub(room);
    let left = (area.width as usize).saturating_sub(name_w + 2 + bar_w + 10);
    let tail = [format!("  {more} more; s saves all"), format!("  +{more}")]
        .into_iter()
        .find(|t| more > 0 && t.chars().count() <= left)
        .unwrap_or_default();
    let all = if sum.is_finite() { format_energy(sum) } else { "-".to_string() };
    lines.push(Line::from(vec![
        Span::styled(format!(" {:<name_w$} ", "all"), Style::new().add_modifier(Modifier::BOLD)),
        Span::raw(format!("{all:>w$}", w = bar_w + 10)),
        Span::styled(tail, app.theme.dim()),
    ]));
    Paragraph::new(lines).render(area, buf);
}

/// With `=`: the year's totals of the first two pins (their groups, per metering point where
/// read so), and the net, first minus second.
fn render_difference(app: &App, area: Rect, buf: &mut Buffer) {
    let drawn = app.drawn();
    let names = super::names::names(app, &drawn);
    let value = |i: usize| -> Result<f64, String> {
        let s = &drawn[i];
        let pp = app.per_point(s);
        match app.totals_of(s.dataset, &s.entity, pp) {
            Loadable::Ready(t) if t.is_empty() => Err("not stored".into()),
            Loadable::Ready(t) => match &s.group {
                Groups::One(g) => {
                    t.iter().find(|t| t.group == *g).map(|t| t.kwh).ok_or_else(|| "not stored".into())
                }
                Groups::All if pp => {
                    app.all_groups_per_point(s.dataset, &s.entity).ok_or_else(|| "loading…".into())
                }
                Groups::All => Ok(t.iter().map(|t| t.kwh).sum()),
            },
            Loadable::Failed(e) => Err(format!("query failed: {}", printable(&e))),
            Loadable::Loading => Err("loading…".into()),
        }
    };
    let (a, b) = (value(0), value(1));
    let text = |v: &Result<f64, String>| v.as_ref().map_or_else(String::clone, |v| format_energy(*v));
    let name_w = names.iter().map(|n| n.chars().count()).max().unwrap_or(5).clamp(5, 40);
    let mut lines = vec![
        Line::from(format!(" {:<name_w$} {:>9}", names[0], text(&a))),
        Line::from(format!("−{:<name_w$} {:>9}", names[1], text(&b))),
    ];
    let net = match (&a, &b) {
        (Ok(a), Ok(b)) => format_energy(a - b),
        _ => "-".into(),
    };
    lines.push(Line::from(vec![
        Span::styled(format!(" {:<name_w$} ", "net"), Style::new().add_modifier(Modifier::BOLD)),
        Span::raw(format!("{net:>9}")),
    ]));
    lines.push(Line::styled(format!(" {} · = goes back", app.year()), app.theme.dim()));
    Paragraph::new(lines).render(area, buf);
}

/// A bar of `fraction` of `width` cells in eighth-blocks (or ASCII).
pub fn bar_text(theme: &Theme, fraction: f64, width: usize) -> String {
    let eighths = (fraction.clamp(0.0, 1.0) * width as f64 * 8.0).round() as usize;
    let mut s = theme.bar_glyph(8).repeat(eighths / 8);
    if !eighths.is_multiple_of(8) {
        s.push_str(theme.bar_glyph(eighths % 8));
    }
    // A non-zero value always shows at least a sliver.
    if s.trim().is_empty() && fraction > 0.0 {
        s = theme.bar_glyph(1).to_string();
        if theme.ascii {
            s = ".".into();
        }
    }
    let used = s.chars().count();
    s.push_str(&" ".repeat(width.saturating_sub(used)));
    s
}

/// A pie on the left, the legend on the right.
fn render_sectors(app: &App, totals: &[GroupTotal], area: Rect, buf: &mut Buffer) {
    let sum: f64 = totals.iter().map(|t| t.kwh).sum();
    let name_w = name_width(totals);
    let legend_w = (name_w + 22) as u16;
    let pie_w = (area.height * 2 + 2).min(area.width.saturating_sub(legend_w));
    let [pie_area, legend_area] =
        Layout::horizontal([Constraint::Length(pie_w), Constraint::Min(0)]).areas(area);
    let fractions: Vec<f64> = totals.iter().map(|t| if sum > 0.0 { t.kwh / sum } else { 0.0 }).collect();
    let groups: Vec<&str> = totals.iter().map(|t| t.group.as_str()).collect();
    Pie { theme: &app.theme, fractions: &fractions, groups: &groups }.render(pie_area, buf);
    let mut lines = Vec::new();
    for (i, t) in totals.iter().enumerate() {
        let selected = Groups::One(t.group.clone()) == app.group;
        let swatch =
            if app.theme.glyph_fills() { Theme::fill_glyph(i).to_string() } else { "■".to_string() };
        let name_style = if selected { app.theme.selected(app.focus == Pane::Totals) } else { Style::new() };
        lines.push(Line::from(vec![
            Span::raw(if selected { ">" } else { " " }),
            Span::styled(swatch, app.theme.group_style(&t.group)),
            Span::raw(" "),
            Span::styled(format!("{:<name_w$}", crate::model::printable(&t.group)), name_style),
            Span::raw(format!(" {} {:>9}", share(t.kwh, sum), format_energy(t.kwh))),
        ]));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(vec![
        Span::styled(format!("  {:<name_w$}", "all"), Style::new().add_modifier(Modifier::BOLD)),
        Span::raw(format!("        {:>9}", format_energy(sum))),
    ]));
    Paragraph::new(lines).render(legend_area, buf);
}

/// A filled circle split into sectors clockwise from 12 o'clock. With colour, each cell holds
/// two vertical pixels (upper half block, fg and bg); otherwise one glyph per cell and sector.
pub struct Pie<'a> {
    pub theme: &'a Theme,
    pub fractions: &'a [f64],
    pub groups: &'a [&'a str],
}

impl Pie<'_> {
    /// The sector at a point relative to the centre (y down), or None outside the circle.
    fn sector_at(&self, dx: f64, dy: f64, radius: f64) -> Option<usize> {
        if dx * dx + dy * dy > radius * radius {
            return None;
        }
        // Angle clockwise from 12 o'clock, 0..1.
        let turn = (dx.atan2(-dy) / std::f64::consts::TAU).rem_euclid(1.0);
        let mut acc = 0.0;
        for (i, f) in self.fractions.iter().enumerate() {
            acc += f;
            if turn < acc {
                return Some(i);
            }
        }
        self.fractions.len().checked_sub(1)
    }
}

impl Widget for Pie<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if area.width < 4 || area.height < 2 || self.fractions.is_empty() {
            return;
        }
        // Pixels: one per column, two per row; a cell is about twice as tall as wide.
        let (w, h) = (area.width as f64, area.height as f64 * 2.0);
        let radius = (w / 2.0).min(h / 2.0) - 0.5;
        let (cx, cy) = (w / 2.0, h / 2.0);
        let halves = !self.theme.glyph_fills();
        for row in 0..area.height {
            for col in 0..area.width {
                let x = col as f64 + 0.5 - cx;
                let cell = &mut buf[(area.x + col, area.y + row)];
                if halves {
                    let top = self.sector_at(x, row as f64 * 2.0 + 0.5 - cy, radius);
                    let bottom = self.sector_at(x, row as f64 * 2.0 + 1.5 - cy, radius);
                    let color = |i: usize| Theme::group_color(self.groups[i]);
                    match (top, bottom) {
                        (None, None) => {}
                        (Some(t), None) => {
                            cell.set_symbol("▀").set_fg(color(t));
                        }
                        (None, Some(b)) => {
                            cell.set_symbol("▄").set_fg(color(b));
                        }
                        (Some(t), Some(b)) => {
                            cell.set_symbol("▀").set_fg(color(t)).set_bg(color(b));
                        }
                    }
                } else if let Some(i) = self.sector_at(x, row as f64 * 2.0 + 1.0 - cy, radius) {
                    cell.set_char(Theme::fill_glyph(i)).set_style(self.theme.group_style(self.groups[i]));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_in_eighths() {
        let t = Theme::default();
        assert_eq!(bar_text(&t, 1.0, 4), "████");
        assert_eq!(bar_text(&t, 0.5, 4), "██  ");
        assert_eq!(bar_text(&t, 0.5 + 1.0 / 32.0, 4), "██▏ ");
        assert_eq!(bar_text(&t, 0.001, 4), "▏   ", "a non-zero value shows");
        assert_eq!(bar_text(&t, 0.0, 4), "    ");
        let ascii = Theme { ascii: true, color: true };
        assert_eq!(bar_text(&ascii, 0.75, 4), "### ");
        assert_eq!(bar_text(&ascii, 0.001, 4), ".   ");
    }

    #[test]
    fn pie_sectors_go_clockwise_from_noon() {
        let theme = Theme::default();
        let pie = Pie { theme: &theme, fractions: &[0.25, 0.75], groups: &["hydro", "wind"] };
        assert_eq!(pie.sector_at(1.0, -3.0, 5.0), Some(0), "just right of 12 o'clock");
        assert_eq!(pie.sector_at(3.0, 1.0, 5.0), Some(1), "past 3 o'clock");
        assert_eq!(pie.sector_at(-3.0, -1.0, 5.0), Some(1));
        assert_eq!(pie.sector_at(6.0, 0.0, 5.0), None, "outside");
    }
}
