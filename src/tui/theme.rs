//! Colours and glyphs: one colour per group across every pane (and one per series when several
//! are drawn side by side), only the 16 ANSI colours (so any terminal and SSH link shows them;
//! bright blue, as plain blue is unreadable on dark themes), none at all under `NO_COLOR`, and
//! ASCII stand-ins for block and braille glyphs under `--ascii`; marks tell series apart where
//! colour cannot.

use ratatui::style::{Color, Modifier, Style};

/// How the terminal may be drawn on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    /// False under `NO_COLOR`: structure shows through glyphs and bold/reverse only.
    pub color: bool,
    /// True under `--ascii`: no block, braille or box-drawing-only glyphs in the data.
    pub ascii: bool,
}

impl Default for Theme {
    fn default() -> Self {
        Theme { color: true, ascii: false }
    }
}

/// Glyphs that stand for groups where colour cannot (NO_COLOR, ASCII pie sectors).
const FILL_GLYPHS: [char; 8] = ['#', '*', '+', 'o', '=', '%', '@', 'x'];

impl Theme {
    /// Reads `NO_COLOR` (any non-empty value) from the environment.
    pub fn from_env(ascii: bool) -> Theme {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Theme { color: !no_color, ascii }
    }

    /// The colour of a group: known groups have fixed colours, others a stable pick.
    pub fn group_color(group: &str) -> Color {
        match group {
            "hydro" => Color::LightBlue,
            "wind" => Color::Cyan,
            "thermal" => Color::Red,
            "solar" => Color::Yellow,
            "other" => Color::Magenta,
            "household" => Color::Green,
            "cabin" => Color::Yellow,
            "primary" => Color::Magenta,
            "secondary" => Color::Red,
            "tertiary" => Color::LightBlue,
            _ => {
                const SPARE: [Color; 6] = [
                    Color::LightGreen,
                    Color::Blue,
                    Color::LightMagenta,
                    Color::LightCyan,
                    Color::LightRed,
                    Color::LightYellow,
                ];
                let h = group.bytes().fold(0usize, |h, b| h.wrapping_mul(31).wrapping_add(b as usize));
                SPARE[h % SPARE.len()]
            }
        }
    }

    pub fn group_style(&self, group: &str) -> Style {
        if self.color {
            Style::new().fg(Self::group_color(group))
        } else {
            Style::new()
        }
    }

    /// The glyph of the n-th group in a legend or pie when colour is off or ASCII is on.
    pub fn fill_glyph(index: usize) -> char {
        FILL_GLYPHS[index % FILL_GLYPHS.len()]
    }

    /// The colour of the n-th series drawn side by side (0: the current one, then the pins):
    /// apart from each other whatever their groups.
    pub fn series_style(&self, index: usize) -> Style {
        const SERIES: [Color; 5] =
            [Color::LightBlue, Color::LightRed, Color::LightGreen, Color::LightMagenta, Color::Yellow];
        if self.color {
            Style::new().fg(SERIES[index % SERIES.len()])
        } else {
            Style::new()
        }
    }

    /// The mark of the n-th pinned series where colour cannot tell it apart (NO_COLOR) or braille
    /// cannot be drawn (`--ascii`): a glyph at each column's value.
    pub fn series_mark(&self, index: usize) -> &'static str {
        const MARKS: [&str; 4] = ["○", "+", "×", "◆"];
        const ASCII: [&str; 4] = ["o", "+", "x", "%"];
        let i = index.saturating_sub(1) % MARKS.len();
        if self.ascii {
            ASCII[i]
        } else {
            MARKS[i]
        }
    }

    /// Whether series other than the first are drawn as marks rather than coloured lines.
    pub fn marks_series(&self) -> bool {
        self.ascii || !self.color
    }

    /// Whether sectors and legends must tell groups apart by glyph rather than colour.
    pub fn glyph_fills(&self) -> bool {
        self.ascii || !self.color
    }

    pub fn title(&self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }

    /// The focused pane's border is thick and bright (white: no group has it), the others
    /// plain and dim, so focus shows without colour too.
    pub fn border(&self, focused: bool) -> Style {
        match (focused, self.color) {
            (true, true) => Style::new().fg(Color::White).add_modifier(Modifier::BOLD),
            (true, false) => Style::new().add_modifier(Modifier::BOLD),
            (false, true) => Style::new().fg(Color::DarkGray),
            (false, false) => Style::new(),
        }
    }

    /// The selected row of a list: reverse video in the focused pane, bold elsewhere.
    pub fn selected(&self, focused: bool) -> Style {
        if focused {
            Style::new().add_modifier(Modifier::REVERSED)
        } else {
            Style::new().add_modifier(Modifier::BOLD)
        }
    }

    pub fn dim(&self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new()
        }
    }

    pub fn good(&self) -> Style {
        if self.color {
            Style::new().fg(Color::Green)
        } else {
            Style::new()
        }
    }

    pub fn warn(&self) -> Style {
        if self.color {
            Style::new().fg(Color::Yellow)
        } else {
            Style::new()
        }
    }

    pub fn bad(&self) -> Style {
        if self.color {
            Style::new().fg(Color::Red).add_modifier(Modifier::BOLD)
        } else {
            Style::new().add_modifier(Modifier::BOLD)
        }
    }

    /// Red without bold: a fall in a table, not an error.
    pub fn bad_plain(&self) -> Style {
        if self.color {
            Style::new().fg(Color::Red)
        } else {
            Style::new()
        }
    }

    pub fn key(&self) -> Style {
        if self.color {
            Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD)
        } else {
            Style::new().add_modifier(Modifier::BOLD)
        }
    }

    /// Border glyphs: thick for the focused pane, rounded for the others; under `--ascii`
    /// `#` and `=` for the focused one, `+`, `-` and `|` for the others.
    pub fn border_set(&self, focused: bool) -> ratatui::symbols::border::Set<'static> {
        match (self.ascii, focused) {
            (true, true) => ratatui::symbols::border::Set {
                top_left: "#",
                top_right: "#",
                bottom_left: "#",
                bottom_right: "#",
                vertical_left: "#",
                vertical_right: "#",
                horizontal_top: "=",
                horizontal_bottom: "=",
            },
            (true, false) => ratatui::symbols::border::Set {
                top_left: "+",
                top_right: "+",
                bottom_left: "+",
                bottom_right: "+",
                vertical_left: "|",
                vertical_right: "|",
                horizontal_top: "-",
                horizontal_bottom: "-",
            },
            (false, true) => ratatui::symbols::border::THICK,
            (false, false) => ratatui::symbols::border::ROUNDED,
        }
    }

    /// Eighth-blocks for horizontal bars (index 1..=8), or ASCII.
    pub fn bar_glyph(&self, eighths: usize) -> &'static str {
        const BLOCKS: [&str; 9] = [" ", "▏", "▎", "▍", "▌", "▋", "▊", "▉", "█"];
        if self.ascii {
            match eighths {
                0..=2 => " ",
                3..=5 => "-",
                _ => "#",
            }
        } else {
            BLOCKS[eighths.min(8)]
        }
    }

    /// Vertical bar glyphs for the sparkline.
    pub fn spark_set(&self) -> ratatui::symbols::bar::Set<'static> {
        if self.ascii {
            ratatui::symbols::bar::Set {
                full: "#",
                seven_eighths: "#",
                three_quarters: "=",
                five_eighths: "=",
                half: "-",
                three_eighths: "-",
                one_quarter: "_",
                one_eighth: "_",
                empty: " ",
            }
        } else {
            ratatui::symbols::bar::NINE_LEVELS
        }
    }
}
