//! The screen as a pure function of `App`: layout, the panes, the help overlay, and a message
//! instead of a crash when the terminal is too small. Nothing here writes to the state.

mod curve;
mod entities;
mod help;
pub mod names;
mod plot;
mod progress;
mod status;
mod totals;

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph, Widget, Wrap};
use ratatui::Frame;

use super::state::{App, ChartKind, Pane};
use crate::model::EntityKind;

pub use curve::CurvePane;
pub use entities::EntitiesPane;
pub use help::HelpOverlay;
pub use names::{entity_name, names};
pub use progress::ProgressPane;
pub use status::StatusLine;
pub use totals::TotalsPane;

/// The smallest terminal the explorer draws in.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 18;

/// Where the panes go on a screen of `area`.
struct Areas {
    entities: Rect,
    progress: Rect,
    totals: Rect,
    curve: Rect,
    status: Rect,
}

fn layout(app: &App, area: Rect) -> Areas {
    let [main, status] = Layout::vertical([Constraint::Min(0), Constraint::Length(1)]).areas(area);
    let side = if area.width >= 100 { 26 } else { 22 };
    let [left, right] = Layout::horizontal([Constraint::Length(side), Constraint::Min(0)]).areas(main);
    // All of Norway and five price areas fit in 8 rows; a long list of municipalities or grid
    // areas gets more.
    let list_rows = match app.kind() {
        EntityKind::PriceArea => 8,
        _ => (left.height * 11 / 20).max(7),
    };
    let [entities, progress] =
        Layout::vertical([Constraint::Length(list_rows), Constraint::Min(0)]).areas(left);
    let totals_height = match app.look.chart {
        ChartKind::Bars if !app.look.side_by_side => Constraint::Length(totals_rows(app)),
        _ => Constraint::Percentage(55),
    };
    let [totals, curve] = Layout::vertical([totals_height, Constraint::Min(8)]).areas(right);
    Areas { entities, progress, totals, curve, status }
}

/// Columns the curve's plot has on a `width`×`height` screen (0 when nothing is drawn): the
/// loop tells the state, so the cursor stays on the plot.
pub fn curve_width(app: &App, width: u16, height: u16) -> usize {
    let area = Rect::new(0, 0, width, height);
    if width < MIN_WIDTH || height < MIN_HEIGHT {
        return 0;
    }
    let curve = layout(app, area).curve;
    let inner = Rect {
        x: curve.x + 1,
        y: curve.y + 1,
        width: curve.width.saturating_sub(2),
        height: curve.height.saturating_sub(2),
    };
    // The year view gives part of the pane to the monthly totals.
    let plot = match app.look.view {
        super::state::CurveView::Year => curve::year_parts(inner).0,
        _ => inner,
    };
    plot.width.saturating_sub(plot::GUTTER) as usize
}

/// Draws the whole screen.
pub fn render(app: &App, frame: &mut Frame) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        TooSmall { width: area.width, height: area.height }.render(area, frame.buffer_mut());
        return;
    }
    let areas = layout(app, area);
    let buf = frame.buffer_mut();
    EntitiesPane { app }.render(areas.entities, buf);
    ProgressPane { app }.render(areas.progress, buf);
    TotalsPane { app }.render(areas.totals, buf);
    CurvePane { app }.render(areas.curve, buf);
    StatusLine { app }.render(areas.status, buf);
    if app.show_help {
        HelpOverlay { app }.render(area, buf);
    }
    if app.theme.ascii {
        asciify(buf);
    }
}

/// Under `--ascii`, the glyphs the panes use for structure, in ASCII: separators, arrows,
/// ellipses, ticks, status symbols, any block or braille left. Names (Tromsø) stay as they are.
pub fn asciify(buf: &mut Buffer) {
    for cell in buf.content.iter_mut() {
        let Some(c) = cell.symbol().chars().next() else { continue };
        let ascii = match c {
            '·' | '–' | '—' | '−' | '─' => '-',
            '…' | '•' => '.',
            '←' => '<',
            '→' => '>',
            '↑' | '▴' => '^',
            '↓' => 'v',
            '┤' | '│' => '|',
            '✓' => '+',
            '✗' => '!',
            '↻' => '~',
            '\u{2580}'..='\u{259f}' => '#',
            '\u{2800}'..='\u{28ff}' => '*',
            _ => continue,
        };
        cell.set_char(ascii);
    }
}

/// `text` in lines of at most `width` columns, broken between words (a word longer than the
/// width has a line of its own).
pub fn wrap_words(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in text.split(' ') {
        let line = lines.last_mut().expect("one line at least");
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(word.to_string());
        } else {
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
    }
    lines
}

/// Drops whole fields, least important (highest number) first, until the rest fit `width`;
/// the rest keep their order, joined by ` · `. A field is never cut.
pub fn fit_fields(fields: &[(u8, String)], width: usize) -> String {
    let mut kept: Vec<bool> = vec![true; fields.len()];
    let len = |kept: &[bool]| -> usize {
        let shown: Vec<usize> =
            fields.iter().zip(kept).filter(|(_, k)| **k).map(|(f, _)| f.1.chars().count()).collect();
        shown.iter().sum::<usize>() + 3 * shown.len().saturating_sub(1)
    };
    let mut order: Vec<usize> = (0..fields.len()).collect();
    order.sort_by_key(|i| std::cmp::Reverse(fields[*i].0));
    for i in order {
        if len(&kept) <= width {
            break;
        }
        kept[i] = false;
    }
    fields.iter().zip(&kept).filter(|(_, k)| **k).map(|(f, _)| f.1.as_str()).collect::<Vec<_>>().join(" · ")
}

/// Rows the bar view needs: a line per group, a total line, borders.
fn totals_rows(app: &App) -> u16 {
    // The groups (not "all groups", which is the total line), the total, a note, borders.
    (app.groups().len() - 1).clamp(3, 10) as u16 + 4
}

/// A bordered block with the theme's glyphs, highlighted when focused, titled with the first
/// of `titles` (most complete first) that fits the pane: a title drops whole fields, it is
/// never cut.
pub(crate) fn pane_block<'a>(app: &App, pane: Pane, width: u16, titles: Vec<Line<'a>>) -> Block<'a> {
    let focused = app.focus == pane;
    Block::bordered()
        .border_set(app.theme.border_set(focused))
        .border_style(app.theme.border(focused))
        .title(first_fitting(titles, width.saturating_sub(2)).style(app.theme.title()))
}

/// Draws a data pane's border and title; the area inside it, or `None` when the dataset has no
/// entity to show (nothing stored of it yet), which the pane then says instead.
pub(crate) fn data_pane(
    app: &App,
    pane: Pane,
    area: Rect,
    buf: &mut Buffer,
    titles: Vec<Line>,
) -> Option<Rect> {
    let block = pane_block(app, pane, area.width, titles);
    let inner = block.inner(area);
    block.render(area, buf);
    if app.entity.is_none() {
        no_entity(app, inner, buf);
        return None;
    }
    Some(inner)
}

/// What a pane says while the dataset has no entity to show (nothing stored of it yet).
fn no_entity(app: &App, area: Rect, buf: &mut Buffer) {
    Paragraph::new(format!(
        "No {} data stored yet, so no {} to show. Press r to fetch {}.",
        app.dataset,
        app.kind().noun(),
        app.viewed_range()
    ))
    .style(app.theme.dim())
    .wrap(Wrap { trim: true })
    .render(area, buf)
}

/// The first line that fits `width` columns, else the last one.
pub(crate) fn first_fitting(lines: Vec<Line<'_>>, width: u16) -> Line<'_> {
    let n = lines.len();
    lines
        .into_iter()
        .enumerate()
        .find(|(i, l)| l.width() <= width as usize || i + 1 == n)
        .map(|(_, l)| l)
        .unwrap_or_default()
}

/// Shown instead of the panes when they cannot fit.
struct TooSmall {
    width: u16,
    height: u16,
}

impl Widget for TooSmall {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let text = format!(
            "Terminal too small: {}x{}. elhub-explorer needs at least {MIN_WIDTH}x{MIN_HEIGHT}. Enlarge the window, or press q to quit.",
            self.width, self.height
        );
        Paragraph::new(text).wrap(Wrap { trim: true }).render(area, buf);
    }
}

#[cfg(test)]
mod tests {
    use super::{fit_fields, wrap_words};

    #[test]
    fn text_wraps_between_words() {
        assert_eq!(wrap_words("go to a month or a year", 10), ["go to a", "month or a", "year"]);
        assert_eq!(wrap_words("short", 10), ["short"]);
    }

    #[test]
    fn fields_drop_whole_by_priority() {
        let f = [
            (0, "total 2.03 TWh".to_string()),
            (2, "min 1 max 3.09 GWh".to_string()),
            (1, "744 h".to_string()),
        ];
        assert_eq!(fit_fields(&f, 100), "total 2.03 TWh · min 1 max 3.09 GWh · 744 h");
        assert_eq!(fit_fields(&f, 30), "total 2.03 TWh · 744 h");
        assert_eq!(fit_fields(&f, 14), "total 2.03 TWh");
        assert_eq!(fit_fields(&f, 5), "", "nothing rather than a cut number");
    }
}
