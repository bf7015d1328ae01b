//! A plot of values over columns with a y-axis: bars in eighth-blocks, or a line in braille
//! (two points a cell, four rows a cell), an optional second series drawn dotted over it (the
//! year before, the weekends), a cursor column, and labels in one energy unit. Under `--ascii`
//! bars are `#=-_` and the line is `*` joined by `|`; under NO_COLOR the cursor is reverse video.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};

use crate::tui::theme::Theme;

/// Columns of the y-axis labels and their tick: `12.3┤`.
pub const GUTTER: u16 = 5;

/// What to draw: one value per slot; slots spread evenly over the columns (a slot may take
/// several columns, or, for a braille line, half of one).
pub struct Plot<'a> {
    pub theme: &'a Theme,
    pub values: &'a [f64],
    /// Drawn dotted over the values, slot for slot.
    pub overlay: Option<&'a [Option<f64>]>,
    pub line: bool,
    pub zero_based: bool,
    pub cursor: Option<usize>,
    pub style: Style,
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
    /// The scale: from the minimum (or zero) to the maximum of both series.
    pub fn range(&self) -> (f64, f64) {
        let all = self.values.iter().copied().chain(self.overlay.into_iter().flatten().flatten().copied());
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

    /// The slot shown in column `x` of `columns` (sub-columns for a braille line): slots take
    /// the same whole number of columns each, from the left; columns past the last show none.
    fn slot(&self, x: usize, columns: usize) -> Option<usize> {
        let n = self.values.len();
        let each = (columns / n.max(1)).max(1);
        Some(x / each).filter(|s| *s < n)
    }

    /// Draws the axis in the first `GUTTER` columns and the plot right of it; returns the unit.
    pub fn render(&self, area: Rect, buf: &mut Buffer) -> &'static str {
        let (lo, hi) = self.range();
        let (divisor, unit_name) = unit(hi.abs().max(lo.abs()));
        if area.width <= GUTTER || area.height == 0 || self.values.is_empty() {
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
        if self.line && !self.theme.ascii {
            self.braille(plot, buf, lo, hi);
        } else if self.line {
            self.ascii_line(plot, buf, lo, hi);
        } else {
            self.bars(plot, buf, lo, hi);
        }
        self.mark_cursor(plot, buf);
        unit_name
    }

    /// Fraction of the height for a value.
    fn frac(v: f64, lo: f64, hi: f64) -> f64 {
        ((v - lo) / (hi - lo)).clamp(0.0, 1.0)
    }

    fn bars(&self, area: Rect, buf: &mut Buffer, lo: f64, hi: f64) {
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
            let Some(slot) = self.slot(x, cols) else { continue };
            let v = self.values[slot];
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
                        .set_style(self.style);
                }
            }
        }
        if let Some(overlay) = self.overlay {
            self.dots(area, buf, overlay, lo, hi, false);
        }
    }

    /// The second series as a dotted line: a dot at the first column of each slot (only on
    /// blank cells when `blank_only`, so a line under it stays whole).
    fn dots(
        &self,
        area: Rect,
        buf: &mut Buffer,
        overlay: &[Option<f64>],
        lo: f64,
        hi: f64,
        blank_only: bool,
    ) {
        let cols = area.width as usize;
        let rows = area.height as usize;
        // A braille line has two slots a cell: the dot goes where the first of them is.
        let per_cell = if self.line && !self.theme.ascii { 2 } else { 1 };
        let slot = |x: usize| self.slot(x * per_cell, cols * per_cell);
        for x in 0..cols {
            if x > 0 && slot(x - 1) == slot(x) {
                continue;
            }
            let Some(v) = slot(x).and_then(|s| overlay.get(s).copied().flatten()) else {
                continue;
            };
            let row = ((1.0 - Self::frac(v, lo, hi)) * (rows - 1) as f64).round() as u16;
            let glyph = if self.theme.ascii { "." } else { "•" };
            let cell = &mut buf[(area.x + x as u16, area.y + row)];
            if !blank_only || cell.symbol().trim().is_empty() {
                cell.set_symbol(glyph).set_style(self.overlay_style());
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

    /// Dots of a line through the slots' values: per sub-column the value's dot (`true`), and
    /// when `joined` the dots joining it to the previous one (`false`), so steep changes read
    /// as a line.
    fn line_dots(
        &self,
        values: &dyn Fn(usize) -> Option<f64>,
        (xs, ys): (usize, usize),
        (lo, hi): (f64, f64),
        joined: bool,
    ) -> Vec<(usize, usize, bool)> {
        let mut dots = Vec::new();
        let mut prev: Option<usize> = None;
        for x in 0..xs {
            let Some(v) = self.slot(x, xs).and_then(values) else {
                prev = None;
                continue;
            };
            let y = ((1.0 - Self::frac(v, lo, hi)) * (ys - 1) as f64).round() as usize;
            if let Some(p) = prev.filter(|_| joined) {
                let between = if p < y { p + 1..y } else { y + 1..p };
                dots.extend(between.map(|yy| (x, yy, false)));
            }
            dots.push((x, y, true));
            prev = Some(y);
        }
        dots
    }

    fn braille(&self, area: Rect, buf: &mut Buffer, lo: f64, hi: f64) {
        const BITS: [[u8; 4]; 2] = [[0x01, 0x02, 0x04, 0x40], [0x08, 0x10, 0x20, 0x80]];
        let (cols, rows) = (area.width as usize, area.height as usize);
        let (xs, ys) = (cols * 2, rows * 4);
        let mut cells = vec![0u8; cols * rows];
        let main = |i: usize| self.values.get(i).copied();
        for (x, y, _) in self.line_dots(&main, (xs, ys), (lo, hi), true) {
            cells[(y / 4) * cols + x / 2] |= BITS[x % 2][y % 4];
        }
        for (i, m) in cells.into_iter().enumerate() {
            if m != 0 {
                let glyph = char::from_u32(0x2800 + m as u32).unwrap_or(' ');
                buf[(area.x + (i % cols) as u16, area.y + (i / cols) as u16)]
                    .set_char(glyph)
                    .set_style(self.style);
            }
        }
        // The second series as dots where the line leaves room: apart in any colour scheme.
        if let Some(overlay) = self.overlay {
            self.dots(area, buf, overlay, lo, hi, true);
        }
    }

    fn ascii_line(&self, area: Rect, buf: &mut Buffer, lo: f64, hi: f64) {
        let (cols, rows) = (area.width as usize, area.height as usize);
        let main = |i: usize| self.values.get(i).copied();
        for (x, y, own) in self.line_dots(&main, (cols, rows), (lo, hi), true) {
            // The value's own row is `*`; rows joining it to the previous column are `|`.
            let glyph = if own { "*" } else { "|" };
            buf[(area.x + x as u16, area.y + y as u16)].set_symbol(glyph).set_style(self.style);
        }
        if let Some(overlay) = self.overlay {
            self.dots(area, buf, overlay, lo, hi, true);
        }
    }

    /// The cursor: its columns highlighted over the plot's height.
    fn mark_cursor(&self, area: Rect, buf: &mut Buffer) {
        let Some(cursor) = self.cursor else { return };
        let cols = area.width as usize;
        let per_cell = if self.line && !self.theme.ascii { 2 } else { 1 };
        for x in 0..cols {
            if !(0..per_cell).any(|k| self.slot(x * per_cell + k, cols * per_cell) == Some(cursor)) {
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

    #[test]
    fn bars_start_at_the_minimum_or_at_zero() {
        let theme = Theme::default();
        let values = [90.0, 100.0];
        let plot = Plot {
            theme: &theme,
            values: &values,
            overlay: None,
            line: false,
            zero_based: false,
            cursor: None,
            style: Style::new(),
        };
        let rows = draw(&plot, GUTTER + 2, 4);
        assert_eq!(rows[0], " 100┤ █", "the max fills the height: {rows:?}");
        assert_eq!(rows[3], "90.0┤▁█", "the min keeps a sliver");
        let zero = Plot { zero_based: true, ..plot };
        let rows = draw(&zero, GUTTER + 2, 4);
        assert_eq!(rows[3], "   0┤██");
        assert_eq!(rows[0], " 100┤▅█", "90 is nine tenths of the way up: {rows:?}");
    }

    #[test]
    fn a_line_is_braille_with_two_points_a_cell_and_ascii_without() {
        let theme = Theme::default();
        let values = [0.0, 0.0, 1.0, 1.0];
        let plot = Plot {
            theme: &theme,
            values: &values,
            overlay: None,
            line: true,
            zero_based: false,
            cursor: None,
            style: Style::new(),
        };
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

    #[test]
    fn the_cursor_marks_its_column_and_the_overlay_is_dotted() {
        let theme = Theme { ascii: true, color: false };
        let values = [1.0, 2.0, 3.0];
        let over = [Some(3.0), None, Some(1.0)];
        let plot = Plot {
            theme: &theme,
            values: &values,
            overlay: Some(&over),
            line: false,
            zero_based: false,
            cursor: Some(1),
            style: Style::new(),
        };
        let mut buf = Buffer::empty(Rect::new(0, 0, GUTTER + 3, 3));
        plot.render(buf.area, &mut buf);
        assert!(buf[(GUTTER + 1, 0)].modifier.contains(Modifier::REVERSED));
        assert!(!buf[(GUTTER, 0)].modifier.contains(Modifier::REVERSED));
        assert_eq!(buf[(GUTTER, 0)].symbol(), ".", "the overlay's 3.0 at the top of the first column");
    }
}
