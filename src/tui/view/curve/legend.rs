//! Series drawn side by side: each one's colour or mark, and the legend's lines under the plot,
//! each with the series' name (`view::names`) and its reading at the cursor or its total; a
//! series with nothing stored for the span says so.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use crate::tui::state::App;
use crate::tui::view::plot::Trace;

/// How the n-th drawn series is drawn, and its style: the first as the plot draws it (in its
/// group's colour when alone), the others as lines or marks.
pub fn trace(app: &App, index: usize, alone: bool, group_style: Style) -> (Trace, Style) {
    let style = if alone { group_style } else { app.theme.series_style(index) };
    match index {
        0 => (Trace::Main, style),
        i => (Trace::Line(app.theme.series_mark(i)), style),
    }
}

/// The legend's swatch for a series drawn as `trace`.
pub fn swatch(app: &App, trace: Trace) -> &'static str {
    match trace {
        Trace::Main if !app.look.line => {
            if app.theme.ascii {
                "#"
            } else {
                "█"
            }
        }
        Trace::Main if app.theme.ascii => "*",
        Trace::Line(mark) if app.theme.marks_series() => mark,
        Trace::Dots if app.theme.ascii => ".",
        Trace::Dots => "•",
        _ => "━",
    }
}

/// One legend entry: the swatch and its style, the text.
pub struct Entry {
    pub swatch: &'static str,
    pub style: Style,
    pub text: String,
}

/// Rows the legend of `names` takes in a pane `height` rows high and `width` wide: one entry a
/// line where the plot keeps at least six rows, else as many a line as fit (each entry's value
/// taken as about 20 columns), leaving the plot three rows. None for a single series.
pub fn rows_for(names: &[String], height: u16, width: u16) -> u16 {
    let n = names.len();
    if n <= 1 {
        return 0;
    }
    if height as usize >= n + 2 + 6 {
        return n as u16;
    }
    let mut lines = 1;
    let mut used = 0;
    for name in names {
        let len = name.chars().count() + 24;
        if used > 0 && used + len > width as usize {
            lines += 1;
            used = 0;
        }
        used += len;
    }
    (lines.min(n) as u16).min(height.saturating_sub(2 + 3)).max(1)
}

/// Draws the entries one a line when there are rows for it, else as many a line as fit.
pub fn render(entries: &[Entry], area: Rect, buf: &mut Buffer) {
    let one_each = area.height as usize >= entries.len();
    let mut lines: Vec<Line> = Vec::new();
    let mut current: Vec<ratatui::text::Span> = Vec::new();
    let mut used = 0;
    for e in entries {
        let len = e.swatch.chars().count() + 1 + e.text.chars().count() + 2;
        if !one_each && used > 0 && used + len > area.width as usize {
            lines.push(Line::from(std::mem::take(&mut current)));
            used = 0;
        }
        current.push(Span::styled(e.swatch, e.style));
        current.push(Span::raw(format!(" {}  ", e.text)));
        used += len;
        if one_each {
            lines.push(Line::from(std::mem::take(&mut current)));
            used = 0;
        }
    }
    if !current.is_empty() {
        lines.push(Line::from(current));
    }
    Paragraph::new(lines).render(area, buf);
}
