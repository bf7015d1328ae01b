//! A plot of one or more series over columns with a y-axis: the first series as bars in
//! eighth-blocks or as a line in braille (two points a cell, four rows a cell); others as lines in
//! their own colours, or as their own marks where colour cannot show (NO_COLOR, `--ascii`); the
//! year before dotted; a zero line when values go below zero; a cursor column; labels in one
//! energy unit. Slots spread over the whole width: slot i takes columns [i·W/n, (i+1)·W/n).
//! Under `--ascii` bars are `#=-_` and the line is `*` joined by `|`; under NO_COLOR the cursor
//! is reverse video.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};

use crate::tui::theme::Theme;

/// Columns of the y-axis labels and their tick: `12.3┤`.
pub const GUTTER: u16 = 5;

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Trace {
    /// Bars, or a line with `Plot::line`: the series on screen.
    Main,
    /// A line in its style's colour; where colour cannot show, this mark at each slot's value.
    Line(&'static str),
    /// A dot at each slot's value on blank cells (the year before).
    Dots,
}

/// One series: a value per slot (None where it has none).
pub struct Series<'a> {
    pub values: &'a [Option<f64>],
    pub style: Style,
    pub trace: Trace,
}

/// What to draw: series of the same number of slots, spread evenly over the columns (a slot
/// may take several columns, or, for a braille line, half of one).
pub struct Plot<'a> {
    pub theme: &'a Theme,
    pub series: &'a [Series<'a>],
    pub line: bool,
    pub zero_based: bool,
    pub cursor: Option<usize>,
}

/// The slot shown at sub-column `x` of `columns` for `n` slots: slot i takes sub-columns
/// [i·columns/n, (i+1)·columns/n), so the slots fill the width.
pub fn slot_at(x: usize, columns: usize, n: usize) -> Option<usize> {
    if n == 0 || columns == 0 {
        return None;
    }
    Some(x * n / columns).filter(|s| *s < n)
}

/// The first sub-column of slot `i` of `n` in `columns`: where a label under it goes.
pub fn first_column(i: usize, n: usize, columns: usize) -> usize {
    (i * columns).div_ceil(n.max(1))
}

/// The energy unit labels use for values up to `max` kWh: (divisor, name).
pub fn unit(max: f64) -> (f64, &'static str) {
    match max.abs() {
        m if m >= 1e9 => (1e9, "TWh"),
        m if m >= 1e6 => (1e6, "GWh"),
        m if m >= 1e3 => (1e3, "MWh"),
        _ => (1.0, "kWh"),
    }
}

/// A label of at most four characters for `value` in units of `divisor`, precise enough that
/// the labels of a `span` differ where four characters allow.
pub fn label(value: f64, divisor: f64, span: f64) -> String {
    let v = value / divisor;
    let s = span / divisor;
    let decimals: usize = if v.abs() >= 99.5 || s >= 20.0 {
        0
    } else if v.abs() >= 9.95 || s >= 2.0 {
        1
    } else {
        2
    };
    // Fewer decimals where a minus sign or rounding up would make it longer.
    (0..=decimals)
        .rev()
        .map(|d| format!("{v:.d$}"))
        .find(|t| t.len() <= 4)
        .unwrap_or_else(|| format!("{v:.0}"))
}

impl Plot<'_> {
    fn slots(&self) -> usize {
        self.series.first().map_or(0, |s| s.values.len())
    }

    fn braille(&self) -> bool {
        self.line && !self.theme.ascii
    }

    /// The scale: from the minimum (or zero) to the maximum of every series.
    pub fn range(&self) -> (f64, f64) {
        let all = self.series.iter().flat_map(|s| s.values.iter().flatten().copied());
        let (mut lo, mut hi) =
            all.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
        if !lo.is_finite() {
            return (0.0, 1.0);
        }
        if self.zero_based {
            lo = lo.min(0.0);
            hi = hi.max(0.0);
        }
        if hi - lo <= f64::EPSILON * hi.abs().max(1.0) {
            // A flat curve sits in the middle.
            let pad = (hi.abs() * 0.1).max(1.0);
            (lo - pad, hi + pad)
        } else {
            (lo, hi)
        }
    }

    /// Draws the axis in the first `GUTTER` columns and the plot right of it; returns the unit.
    pub fn render(&self, area: Rect, buf: &mut Buffer) -> &'static str {
        let (lo, hi) = self.range();
        let (divisor, unit_name) = unit(hi.abs().max(lo.abs()));
        if area.width <= GUTTER || area.height == 0 || self.slots() == 0 {
            return unit_name;
        }
        let rows = area.height as usize;
        let tick = if self.theme.ascii { "|" } else { "┤" };
        let mut labelled = vec![(0usize, hi)];
        if rows > 1 {
            labelled.push((rows - 1, lo));
        }
        if rows >= 5 {
            labelled.push((rows / 2, hi - (hi - lo) * (rows / 2) as f64 / (rows - 1) as f64));
        }
        for (row, value) in labelled {
            let text = format!("{:>4}{tick}", label(value, divisor, hi - lo));
            buf.set_string(area.x, area.y + row as u16, text, self.theme.dim());
        }
        let plot = Rect { x: area.x + GUTTER, width: area.width - GUTTER, ..area };
        if lo < 0.0 && hi >= 0.0 {
            self.zero_line(plot, buf, lo, hi);
        }
        let mut braille = Braille::new(plot);
        for (i, series) in self.series.iter().enumerate() {
            match series.trace {
                Trace::Main if !self.line => self.bars(plot, buf, series, lo, hi),
                Trace::Main if self.braille() => braille.line(series, (lo, hi), i),
                Trace::Main => self.ascii_line(plot, buf, series, lo, hi),
                Trace::Line(_) if !self.theme.marks_series() => braille.line(series, (lo, hi), i),
                Trace::Line(_) | Trace::Dots => {}
            }
        }
        braille.draw(buf, self.series);
        // Marks and dots go on top, so each series stays visible.
        for series in self.series {
            match series.trace {
                Trace::Line(mark) if self.theme.marks_series() => {
                    self.marks(plot, buf, series, mark, lo, hi, false)
                }
                Trace::Dots => {
                    let dot = if self.theme.ascii { "." } else { "•" };
                    self.marks(plot, buf, series, dot, lo, hi, true)
                }
                _ => {}
            }
        }
        self.mark_cursor(plot, buf);
        unit_name
    }

    /// Fraction of the height for a value.
    fn frac(v: f64, lo: f64, hi: f64) -> f64 {
        ((v - lo) / (hi - lo)).clamp(0.0, 1.0)
    }

    /// The row of a value among `rows`.
    fn row(v: f64, lo: f64, hi: f64, rows: usize) -> usize {
        ((1.0 - Self::frac(v, lo, hi)) * (rows - 1) as f64).round() as usize
    }

    fn zero_line(&self, area: Rect, buf: &mut Buffer, lo: f64, hi: f64) {
        let row = Self::row(0.0, lo, hi, area.height as usize) as u16;
        let glyph = if self.theme.ascii { "-" } else { "─" };
        for x in 0..area.width {
            buf[(area.x + x, area.y + row)].set_symbol(glyph).set_style(self.theme.dim());
        }
    }

    fn bars(&self, area: Rect, buf: &mut Buffer, series: &Series, lo: f64, hi: f64) {
        let rows = area.height as usize;
        let set = self.theme.spark_set();
        let glyphs = [
            set.empty,
            set.one_eighth,
            set.one_quarter,
            set.three_eighths,
            set.half,
            set.five_eighths,
            set.three_quarters,
            set.seven_eighths,
            set.full,
        ];
        let cols = area.width as usize;
        for x in 0..cols {
            let Some(v) = slot_at(x, cols, series.values.len()).and_then(|s| series.values[s]) else {
                continue;
            };
            let f = Self::frac(v, lo, hi);
            // From the minimum, the lowest value keeps a sliver so no column looks missing.
            let eighths = if self.zero_based || lo < 0.0 {
                (f * (rows * 8) as f64).round() as usize
            } else {
                1 + (f * (rows * 8 - 1) as f64).round() as usize
            };
            for row in 0..rows {
                let from_bottom = rows - 1 - row;
                let fill = eighths.saturating_sub(from_bottom * 8).min(8);
                if fill > 0 {
                    buf[(area.x + x as u16, area.y + row as u16)]
                        .set_symbol(glyphs[fill])
                        .set_style(series.style);
                }
            }
        }
    }

    /// A glyph at each slot's value, in its first column (only on blank cells when `blank_only`,
    /// so a line under it stays whole).
    #[allow(clippy::too_many_arguments)]
    fn marks(
        &self,
        area: Rect,
        buf: &mut Buffer,
        series: &Series,
        glyph: &str,
        lo: f64,
        hi: f64,
        blank_only: bool,
    ) {
        let (cols, rows) = (area.width as usize, area.height as usize);
        let n = series.values.len();
        for x in 0..cols {
            let slot = slot_at(x, cols, n);
            if x > 0 && slot_at(x - 1, cols, n) == slot {
                continue;
            }
            let Some(v) = slot.and_then(|s| series.values[s]) else { continue };
            let cell = &mut buf[(area.x + x as u16, area.y + Self::row(v, lo, hi, rows) as u16)];
            if !blank_only || cell.symbol().trim().is_empty() {
                let style = if blank_only { self.overlay_style() } else { series.style };
                cell.set_symbol(glyph).set_style(style);
            }
        }
    }

    fn overlay_style(&self) -> Style {
        if self.theme.color {
            Style::new().fg(Color::Gray)
        } else {
            Style::new()
        }
    }

    /// Dots of a line through the slots' values: per sub-column the value's dot (`true`) and
    /// the dots joining it to the previous one (`false`), so steep changes read as a line.
    fn line_dots(
        values: &[Option<f64>],
        (xs, ys): (usize, usize),
        (lo, hi): (f64, f64),
    ) -> Vec<(usize, usize, bool)> {
        let mut dots = Vec::new();
        let mut prev: Option<usize> = None;
        for x in 0..xs {
            let Some(v) = slot_at(x, xs, values.len()).and_then(|s| values[s]) else {
                prev = None;
                continue;
            };
            let y = Self::row(v, lo, hi, ys);
            if let Some(p) = prev {
                let between = if p < y { p + 1..y } else { y + 1..p };
                dots.extend(between.map(|yy| (x, yy, false)));
            }
            dots.push((x, y, true));
            prev = Some(y);
        }
        dots
    }

    fn ascii_line(&self, area: Rect, buf: &mut Buffer, series: &Series, lo: f64, hi: f64) {
        let (cols, rows) = (area.width as usize, area.height as usize);
        for (x, y, own) in Self::line_dots(series.values, (cols, rows), (lo, hi)) {
            // The value's own row is `*`; rows joining it to the previous column are `|`.
            let glyph = if own { "*" } else { "|" };
            buf[(area.x + x as u16, area.y + y as u16)].set_symbol(glyph).set_style(series.style);
        }
    }

    /// The cursor: its columns highlighted over the plot's height.
    fn mark_cursor(&self, area: Rect, buf: &mut Buffer) {
        let Some(cursor) = self.cursor else { return };
        let cols = area.width as usize;
        let per_cell = if self.braille() { 2 } else { 1 };
        let n = self.slots();
        for x in 0..cols {
            if !(0..per_cell).any(|k| slot_at(x * per_cell + k, cols * per_cell, n) == Some(cursor)) {
                continue;
            }
            for row in 0..area.height {
                let cell = &mut buf[(area.x + x as u16, area.y + row)];
                if self.theme.color {
                    cell.set_bg(Color::DarkGray);
                } else {
                    cell.modifier.insert(Modifier::REVERSED);
                }
            }
        }
    }
}

/// Braille lines of several series on one grid of cells: a cell's dots are every series' dots
/// in it, its colour the last series' that drew there.
struct Braille {
    area: Rect,
    cells: Vec<(u8, Option<usize>)>,
}

impl Braille {
    fn new(area: Rect) -> Braille {
        Braille { area, cells: vec![(0, None); area.width as usize * area.height as usize] }
    }

    fn line(&mut self, series: &Series, range: (f64, f64), index: usize) {
        const BITS: [[u8; 4]; 2] = [[0x01, 0x02, 0x04, 0x40], [0x08, 0x10, 0x20, 0x80]];
        let (cols, rows) = (self.area.width as usize, self.area.height as usize);
        for (x, y, _) in Plot::line_dots(series.values, (cols * 2, rows * 4), range) {
            let cell = &mut self.cells[(y / 4) * cols + x / 2];
            cell.0 |= BITS[x % 2][y % 4];
            cell.1 = Some(index);
        }
    }

    fn draw(&self, buf: &mut Buffer, series: &[Series]) {
        let cols = self.area.width as usize;
        for (i, (bits, owner)) in self.cells.iter().enumerate() {
            let Some(owner) = owner.filter(|_| *bits != 0) else { continue };
            let glyph = char::from_u32(0x2800 + u32::from(*bits)).unwrap_or(' ');
            let cell = &mut buf[(self.area.x + (i % cols) as u16, self.area.y + (i / cols) as u16)];
            // A line across a bar keeps the bar behind it (its colour as background).
            let bar = cell.symbol().chars().next().is_some_and(|c| ('▁'..='█').contains(&c));
            let under = bar.then_some(cell.fg).filter(|c| *c != Color::Reset);
            cell.set_char(glyph).set_style(series[owner].style);
            if let Some(colour) = under {
                cell.set_bg(colour);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draw(plot: &Plot, width: u16, height: u16) -> Vec<String> {
        let mut buf = Buffer::empty(Rect::new(0, 0, width, height));
        plot.render(buf.area, &mut buf);
        (0..height).map(|y| (0..width).map(|x| buf[(x, y)].symbol().to_string()).collect()).collect()
    }

    #[test]
    fn labels_share_a_unit_and_say_enough() {
        assert_eq!(unit(3.09e6), (1e6, "GWh"));
        assert_eq!(label(3.09e6, 1e6, 0.5e6), "3.09");
        assert_eq!(label(2.5e6, 1e6, 0.5e6), "2.50");
        assert_eq!(label(120.0e3, 1e3, 50e3), "120");
        assert_eq!(label(-1.5e3, 1e3, 3e3), "-1.5", "never more than four characters");
        assert_eq!(label(12.0e3, 1e3, 5e3), "12.0");
    }

    fn main(values: &[Option<f64>]) -> Series<'_> {
        Series { values, style: Style::new(), trace: Trace::Main }
    }

    #[test]
    fn bars_start_at_the_minimum_or_at_zero() {
        let theme = Theme::default();
        let values = [Some(90.0), Some(100.0)];
        let series = [main(&values)];
        let plot = Plot { theme: &theme, series: &series, line: false, zero_based: false, cursor: None };
        let rows = draw(&plot, GUTTER + 2, 4);
        assert_eq!(rows[0], " 100┤ █", "the max fills the height: {rows:?}");
        assert_eq!(rows[3], "90.0┤▁█", "the min keeps a sliver");
        let zero = Plot { zero_based: true, ..plot };
        let rows = draw(&zero, GUTTER + 2, 4);
        assert_eq!(rows[3], "   0┤██");
        assert_eq!(rows[0], " 100┤▅█", "90 is nine tenths of the way up: {rows:?}");
    }

    /// Slots fill the width: 3 slots in 8 columns take 3, 3 and 2 (not 2, 2, 2 and two unused).
    #[test]
    fn slots_spread_over_the_whole_width() {
        let taken: Vec<Option<usize>> = (0..8).map(|x| slot_at(x, 8, 3)).collect();
        assert_eq!(taken, [Some(0), Some(0), Some(0), Some(1), Some(1), Some(1), Some(2), Some(2)]);
        assert_eq!((first_column(1, 3, 8), first_column(2, 3, 8)), (3, 6));
        let theme = Theme::default();
        let values = [Some(1.0), Some(2.0), Some(3.0)];
        let series = [main(&values)];
        let plot = Plot { theme: &theme, series: &series, line: false, zero_based: true, cursor: None };
        let rows = draw(&plot, GUTTER + 8, 1);
        assert!(!rows[0].ends_with(' '), "the last column is drawn: {rows:?}");
    }

    #[test]
    fn a_line_is_braille_with_two_points_a_cell_and_ascii_without() {
        let theme = Theme::default();
        let values = [Some(0.0), Some(0.0), Some(1.0), Some(1.0)];
        let series = [main(&values)];
        let plot = Plot { theme: &theme, series: &series, line: true, zero_based: false, cursor: None };
        let rows = draw(&plot, GUTTER + 2, 1);
        // Four slots in two cells: low-low, then high-high with the rise joined.
        assert_eq!(rows[0], "1.00┤⣀⠏", "{rows:?}");
        let ascii = Theme { ascii: true, color: true };
        let plot = Plot { theme: &ascii, ..plot };
        let rows = draw(&plot, GUTTER + 4, 3);
        assert_eq!(rows[0], "1.00|  **");
        assert_eq!(rows[1], "       | ", "{rows:?}");
        assert_eq!(rows[2], "0.00|**  ");
    }

    /// A pinned series is a coloured line where colour shows, else its mark; the year before is
    /// dotted; below zero a zero line is drawn.
    #[test]
    fn other_series_are_marked_and_the_zero_line_shows() {
        let theme = Theme { ascii: true, color: false };
        let values = [Some(1.0), Some(2.0), Some(3.0)];
        let pin = [Some(3.0), None, Some(1.0)];
        let series = [main(&values), Series { values: &pin, style: Style::new(), trace: Trace::Line("o") }];
        let plot = Plot { theme: &theme, series: &series, line: false, zero_based: false, cursor: Some(1) };
        let mut buf = Buffer::empty(Rect::new(0, 0, GUTTER + 3, 3));
        plot.render(buf.area, &mut buf);
        assert!(buf[(GUTTER + 1, 0)].modifier.contains(Modifier::REVERSED));
        assert!(!buf[(GUTTER, 0)].modifier.contains(Modifier::REVERSED));
        assert_eq!(buf[(GUTTER, 0)].symbol(), "o", "the pin's 3.0 at the top of the first column");
        assert_eq!(buf[(GUTTER + 2, 2)].symbol(), "o", "and its 1.0 at the bottom of the last");
        let net = [Some(-1.0), Some(1.0)];
        let series = [main(&net)];
        let plot = Plot { theme: &theme, series: &series, line: true, zero_based: false, cursor: None };
        let rows = draw(&plot, GUTTER + 4, 5);
        assert_eq!(rows[2], " 0.0|--|-", "{rows:?}");
        let colour = Theme::default();
        let series =
            [main(&values), Series { values: &pin, style: colour.series_style(1), trace: Trace::Line("o") }];
        let plot = Plot { theme: &colour, series: &series, line: true, zero_based: false, cursor: None };
        let mut buf = Buffer::empty(Rect::new(0, 0, GUTTER + 3, 3));
        plot.render(buf.area, &mut buf);
        assert!(
            buf.content.iter().any(|c| c.fg == Color::LightRed
                && ('\u{2801}'..='\u{28ff}').contains(&c.symbol().chars().next().unwrap_or(' '))),
            "the pin is a braille line in its own colour"
        );
    }
}
