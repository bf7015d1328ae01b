//! The screen as a pure function of `App`: layout, the panes, the help overlay, and a message
//! instead of a crash when the terminal is too small. Nothing here writes to the state.

mod entities;
mod help;
mod hourly;
mod progress;
mod status;
mod totals;

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph, Widget, Wrap};
use ratatui::Frame;

use super::state::{App, ChartKind, Pane};
use crate::model::EntityKind;

pub use entities::EntitiesPane;
pub use help::HelpOverlay;
pub use hourly::{bucket_means, HourlyPane};
pub use progress::ProgressPane;
pub use status::StatusLine;
pub use totals::TotalsPane;

/// The smallest terminal the explorer draws in.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 18;

/// Draws the whole screen.
pub fn render(app: &App, frame: &mut Frame) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        TooSmall { width: area.width, height: area.height }.render(area, frame.buffer_mut());
        return;
    }
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
    let totals_height = match app.chart {
        ChartKind::Bars => Constraint::Length(totals_rows(app)),
        ChartKind::Sectors => Constraint::Percentage(55),
    };
    let [totals, hourly] = Layout::vertical([totals_height, Constraint::Min(8)]).areas(right);
    let buf = frame.buffer_mut();
    EntitiesPane { app }.render(entities, buf);
    ProgressPane { app }.render(progress, buf);
    TotalsPane { app }.render(totals, buf);
    HourlyPane { app }.render(hourly, buf);
    StatusLine { app }.render(status, buf);
    if app.show_help {
        HelpOverlay { app }.render(area, buf);
    }
}

/// Rows the bar view needs: a line per group, a total line, borders.
fn totals_rows(app: &App) -> u16 {
    app.groups().len().clamp(3, 10) as u16 + 4
}

/// A bordered block with the theme's glyphs, highlighted when focused, titled with the first
/// of `titles` (most complete first) that fits the pane: a title drops whole fields, it is
/// never cut.
pub(crate) fn pane_block<'a>(app: &App, pane: Pane, width: u16, titles: Vec<Line<'a>>) -> Block<'a> {
    let focused = app.focus == pane;
    Block::bordered()
        .border_set(app.theme.border_set())
        .border_style(app.theme.border(focused))
        .title(first_fitting(titles, width.saturating_sub(2)).style(app.theme.title()))
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
    fn render(self, area: Rect, buf: &mut ratatui::buffer::Buffer) {
        let text = format!(
            "Terminal too small: {}x{}. elhub-explorer needs at least {MIN_WIDTH}x{MIN_HEIGHT}. Enlarge the window, or press q to quit.",
            self.width, self.height
        );
        Paragraph::new(text).wrap(Wrap { trim: true }).render(area, buf);
    }
}
