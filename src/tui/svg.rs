//! A drawn screen (ratatui `Buffer`) as an SVG picture: what `s` saves and what the README's
//! screenshots are made of. The 16 ANSI colours as xterm draws them on a dark background; block
//! and eighth-block glyphs become rectangles so bars, curves and the pie look as they do in a
//! terminal whatever font the viewer has; everything else is monospace text.

use std::fmt::Write;

use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};

/// The 16 ANSI colours (xterm's defaults).
const BASE: [&str; 16] = [
    "#000000", "#cd0000", "#00cd00", "#cdcd00", "#0000ee", "#cd00cd", "#00cdcd", "#e5e5e5", "#7f7f7f",
    "#ff0000", "#00ff00", "#ffff00", "#5c5cff", "#ff00ff", "#00ffff", "#ffffff",
];
const FG: &str = "#d0d0d0";
const BG: &str = "#1c1c1c";
/// A cell's width and height and the font size, in pixels.
const CW: f64 = 8.4;
const CH: f64 = 17.0;
const FONT: u32 = 14;

/// The colour of a ratatui colour, None for the terminal's default.
fn hex(color: Color) -> Option<String> {
    let base = |i: usize| Some(BASE[i].to_string());
    match color {
        Color::Reset => None,
        Color::Black => base(0),
        Color::Red => base(1),
        Color::Green => base(2),
        Color::Yellow => base(3),
        Color::Blue => base(4),
        Color::Magenta => base(5),
        Color::Cyan => base(6),
        Color::Gray => base(7),
        Color::DarkGray => base(8),
        Color::LightRed => base(9),
        Color::LightGreen => base(10),
        Color::LightYellow => base(11),
        Color::LightBlue => base(12),
        Color::LightMagenta => base(13),
        Color::LightCyan => base(14),
        Color::White => base(15),
        Color::Rgb(r, g, b) => Some(format!("#{r:02x}{g:02x}{b:02x}")),
        Color::Indexed(n) => Some(indexed(n)),
    }
}

/// xterm's 256 colours: the 16, a 6×6×6 cube, 24 greys.
fn indexed(n: u8) -> String {
    match n {
        0..=15 => BASE[n as usize].to_string(),
        16..=231 => {
            const STEPS: [u8; 6] = [0, 95, 135, 175, 215, 255];
            let n = n - 16;
            let (r, g, b) = (STEPS[n as usize / 36], STEPS[n as usize / 6 % 6], STEPS[n as usize % 6]);
            format!("#{r:02x}{g:02x}{b:02x}")
        }
        _ => {
            let g = 8 + (n - 232) * 10;
            format!("#{g:02x}{g:02x}{g:02x}")
        }
    }
}

/// The part of a cell a block glyph fills: (x0, y0, x1, y1) as fractions of the cell.
fn shape(symbol: &str) -> Option<(f64, f64, f64, f64)> {
    const LOWER: &str = "▁▂▃▄▅▆▇█";
    const LEFT: &str = "▏▎▍▌▋▊▉";
    let ch = symbol.chars().next()?;
    if symbol.chars().count() != 1 {
        return None;
    }
    if ch == '▀' {
        return Some((0.0, 0.0, 1.0, 0.5));
    }
    if let Some(k) = LOWER.chars().position(|c| c == ch) {
        return Some((0.0, 1.0 - (k + 1) as f64 / 8.0, 1.0, 1.0));
    }
    LEFT.chars().position(|c| c == ch).map(|k| (0.0, 0.0, (k + 1) as f64 / 8.0, 1.0))
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            // Control characters are not allowed in XML; the views never draw them anyway.
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The whole buffer as an SVG document.
pub fn to_svg(buf: &Buffer) -> String {
    let area = buf.area;
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{:.0}" height="{:.0}" font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="{FONT}">"#,
        area.width as f64 * CW,
        area.height as f64 * CH
    );
    let _ = writeln!(out, r#"<rect width="100%" height="100%" fill="{BG}"/>"#);
    for y in 0..area.height {
        for x in 0..area.width {
            let cell = &buf[(area.x + x, area.y + y)];
            let (mut fg, mut bg) = (hex(cell.fg), hex(cell.bg));
            if cell.modifier.contains(Modifier::REVERSED) {
                (fg, bg) = (Some(bg.unwrap_or_else(|| BG.into())), Some(fg.unwrap_or_else(|| FG.into())));
            }
            let fg = fg.unwrap_or_else(|| FG.into());
            let (px, py) = (x as f64 * CW, y as f64 * CH);
            if let Some(bg) = bg {
                let _ = writeln!(
                    out,
                    r#"<rect x="{px:.1}" y="{py:.1}" width="{:.1}" height="{:.1}" fill="{bg}"/>"#,
                    CW + 0.2,
                    CH + 0.2
                );
            }
            let symbol = cell.symbol();
            if let Some((x0, y0, x1, y1)) = shape(symbol) {
                let _ = writeln!(
                    out,
                    r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{fg}"/>"#,
                    px + x0 * CW,
                    py + y0 * CH,
                    (x1 - x0) * CW + 0.2,
                    (y1 - y0) * CH + 0.2
                );
            } else if !symbol.trim().is_empty() {
                let weight =
                    if cell.modifier.contains(Modifier::BOLD) { r#" font-weight="bold""# } else { "" };
                let _ = writeln!(
                    out,
                    r#"<text x="{px:.1}" y="{:.1}" fill="{fg}"{weight}>{}</text>"#,
                    py + CH * 0.78,
                    escape(symbol)
                );
            }
        }
    }
    out.push_str("</svg>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::layout::Rect;
    use ratatui::style::Style;

    #[test]
    fn cells_become_text_and_blocks_become_rectangles() {
        let mut buf = Buffer::empty(Rect::new(0, 0, 4, 1));
        buf[(0, 0)].set_symbol("<").set_style(Style::new().fg(Color::Yellow));
        buf[(1, 0)].set_symbol("▄").set_style(Style::new().fg(Color::LightBlue));
        buf[(2, 0)].set_symbol("x").set_style(Style::new().add_modifier(Modifier::REVERSED));
        let svg = to_svg(&buf);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>\n"));
        assert!(svg.contains(r##"fill="#cdcd00">&lt;</text>"##), "{svg}");
        assert!(
            svg.contains(r##"y="8.5" width="8.6" height="8.7" fill="#5c5cff""##),
            "a lower half block: {svg}"
        );
        // Reverse video: the default colours swapped.
        assert!(svg.contains(&format!(r#"fill="{FG}"/>"#)), "{svg}");
        assert!(svg.contains(&format!(r#"fill="{BG}">x</text>"#)), "{svg}");
        assert_eq!(svg.matches("<text").count(), 2, "blank cells draw nothing");
    }

    #[test]
    fn colours_map_to_xterms() {
        assert_eq!(hex(Color::Indexed(196)).as_deref(), Some("#ff0000"));
        assert_eq!(hex(Color::Indexed(244)).as_deref(), Some("#808080"));
        assert_eq!(hex(Color::Rgb(1, 2, 255)).as_deref(), Some("#0102ff"));
        assert_eq!(hex(Color::Reset), None);
        assert_eq!(escape("a\u{1b}&\"b"), "a &amp;&quot;b");
    }
}
