//! The one key table: each binding makes its `Action`, and the help overlay and the status
//! line's hints are drawn from the same rows, so the three never disagree. Which table applies
//! (help open, a filter or `:` being typed) is `input::handle_key`'s business.

use crossterm::event::KeyCode;

use super::state::Action;
use crate::ingest::FetchMode;

/// A key as the table matches it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Char(char),
    Code(KeyCode),
    Ctrl(char),
    /// `0` to `9`: the n-th entry of the entity list (the step is the digit).
    Digit,
}

/// How the status line hints at a binding.
#[derive(Debug)]
pub struct Hint {
    /// The key as shown, and its ASCII form for `--ascii`.
    pub key: &'static str,
    pub ascii_key: &'static str,
    pub word: &'static str,
    /// Lower stays longer on a narrow terminal; `? help` is last and always stays.
    pub rank: u8,
}

/// One row of the key table.
#[derive(Debug)]
pub struct Binding {
    /// The keys, each with its step for commands that go somewhere (+1 forward, -1 back).
    pub keys: &'static [(Key, i32)],
    /// The keys as help shows them, and their ASCII form for `--ascii`.
    pub label: &'static str,
    pub ascii_label: &'static str,
    pub help: &'static str,
    pub hint: Option<Hint>,
    /// The action, from the matched key's step.
    pub make: fn(i32) -> Action,
}

const fn hint(key: &'static str, ascii_key: &'static str, word: &'static str, rank: u8) -> Option<Hint> {
    Some(Hint { key, ascii_key, word, rank })
}

/// Every key of the explorer, in the order help lists them.
pub const KEYS: &[Binding] = &[
    Binding {
        keys: &[(Key::Digit, 0)],
        label: "0-9",
        ascii_label: "0-9",
        help: "0: all of Norway; 1-9: the n-th entity of the list (1-5: NO1..NO5)",
        hint: hint("0-9", "0-9", "entity", 10),
        make: |n| Action::SelectNth(n.max(0) as usize),
    },
    Binding {
        keys: &[
            (Key::Code(KeyCode::Up), -1),
            (Key::Code(KeyCode::Down), 1),
            (Key::Char('k'), -1),
            (Key::Char('j'), 1),
        ],
        label: "↑ ↓  k j",
        ascii_label: "k j",
        help: "move in the focused pane (entity, group, progress)",
        hint: None,
        make: Action::Move,
    },
    Binding {
        keys: &[(Key::Code(KeyCode::PageUp), -10), (Key::Code(KeyCode::PageDown), 10)],
        label: "PgUp PgDn",
        ascii_label: "PgUp PgDn",
        help: "move ten entities",
        hint: None,
        make: Action::Move,
    },
    Binding {
        keys: &[(Key::Char('/'), 0)],
        label: "/",
        ascii_label: "/",
        help: "find an entity by number or name: a new filter as you type (Enter keeps, Esc drops, C-u clears)",
        hint: hint("/", "/", "find", 8),
        make: |_| Action::StartFilter,
    },
    Binding {
        keys: &[
            (Key::Code(KeyCode::Left), -1),
            (Key::Code(KeyCode::Right), 1),
            (Key::Char('h'), -1),
            (Key::Char('l'), 1),
        ],
        label: "← →  h l",
        ascii_label: "h l",
        help: "previous / next month (zoomed: the span before / after)",
        hint: hint("←→", "h/l", "month", 1),
        make: Action::StepMonth,
    },
    Binding {
        keys: &[(Key::Char('y'), 1), (Key::Char('Y'), -1)],
        label: "y  Y",
        ascii_label: "y  Y",
        help: "next / previous year",
        hint: hint("y", "y", "year", 13),
        make: Action::StepYear,
    },
    Binding {
        keys: &[(Key::Code(KeyCode::Home), -1), (Key::Code(KeyCode::End), 1)],
        label: "Home End",
        ascii_label: "Home End",
        help: "the first / last month stored",
        hint: None,
        make: Action::JumpEnd,
    },
    Binding {
        keys: &[(Key::Char(':'), 0)],
        label: ":",
        ascii_label: ":",
        help: "go to a day (2021-10-31), month (2023-07) or year, a dataset, an entity (number or name), a group; q quits",
        hint: hint(":", ":", "go to", 12),
        make: |_| Action::StartJump,
    },
    Binding {
        keys: &[(Key::Char('g'), 1), (Key::Char('G'), -1)],
        label: "g  G",
        ascii_label: "g  G",
        help: "next / previous group (the last is all groups together)",
        hint: hint("g", "g", "group", 7),
        make: Action::StepGroup,
    },
    Binding {
        keys: &[(Key::Char('d'), 1), (Key::Char('D'), -1)],
        label: "d  D",
        ascii_label: "d  D",
        help: "next / previous dataset",
        hint: hint("d", "d", "dataset", 2),
        make: Action::StepDataset,
    },
    Binding {
        keys: &[(Key::Char('v'), 0)],
        label: "v",
        ascii_label: "v",
        help: "curve of the month / days of the year / average day of the month",
        hint: hint("v", "v", "view", 3),
        make: |_| Action::StepView,
    },
    Binding {
        keys: &[(Key::Char('+'), 1), (Key::Char('-'), -1)],
        label: "+  -",
        ascii_label: "+  -",
        help: "zoom in around the cursor: two weeks, a week, three days, a day (six hours of quarter-hours); - zooms out, then to the year",
        hint: hint("+-", "+-", "zoom", 6),
        make: Action::Zoom,
    },
    Binding {
        keys: &[(Key::Char('['), -1), (Key::Char(']'), 1)],
        label: "[ ]",
        ascii_label: "[ ]",
        help: "cursor a column left / right (zoomed: a step); it reads every series drawn, exactly once a step has its own column",
        hint: hint("[]", "[]", "cursor", 9),
        make: Action::MoveCursor,
    },
    Binding {
        keys: &[(Key::Char('<'), -1), (Key::Char('>'), 1)],
        label: "< >",
        ascii_label: "< >",
        help: "cursor a day earlier / later (a week in the year view)",
        hint: None,
        make: Action::MoveDay,
    },
    Binding {
        keys: &[(Key::Char('p'), 0)],
        label: "p",
        ascii_label: "p",
        help: "pin the series on screen (again: unpin); up to four pins are drawn beside the current series, across datasets",
        hint: hint("p", "p", "pin", 11),
        make: |_| Action::TogglePin,
    },
    Binding {
        keys: &[(Key::Char('P'), 0)],
        label: "P",
        ascii_label: "P",
        help: "drop every pin",
        hint: None,
        make: |_| Action::ClearPins,
    },
    Binding {
        keys: &[(Key::Char('='), 0)],
        label: "=",
        ascii_label: "=",
        help: "the first pin minus the second (production minus consumption: net export), with a zero line",
        hint: None,
        make: |_| Action::ToggleDifference,
    },
    Binding {
        keys: &[(Key::Char('m'), 0)],
        label: "m",
        ascii_label: "m",
        help: "kWh per metering point (consumption datasets): each step by its count, a year by its mean count",
        hint: None,
        make: |_| Action::TogglePerPoint,
    },
    Binding {
        keys: &[(Key::Char('c'), 0)],
        label: "c",
        ascii_label: "c",
        help: "curve as bars / as a line",
        hint: hint("c", "c", "line", 14),
        make: |_| Action::ToggleLine,
    },
    Binding {
        keys: &[(Key::Char('z'), 0)],
        label: "z",
        ascii_label: "z",
        help: "curve scale from zero / from its minimum",
        hint: None,
        make: |_| Action::ToggleZero,
    },
    Binding {
        keys: &[(Key::Char('o'), 0)],
        label: "o",
        ascii_label: "o",
        help: "the same month a year earlier over the curve (dotted)",
        hint: None,
        make: |_| Action::ToggleOverlay,
    },
    Binding {
        keys: &[(Key::Char('a'), 0)],
        label: "a",
        ascii_label: "a",
        help: "totals: every entity side by side for the group",
        hint: None,
        make: |_| Action::ToggleSideBySide,
    },
    Binding {
        keys: &[(Key::Char('b'), 0)],
        label: "b",
        ascii_label: "b",
        help: "totals as bars / sectors (pie)",
        hint: hint("b", "b", "chart", 15),
        make: |_| Action::ToggleChart,
    },
    Binding {
        keys: &[(Key::Char('r'), 0)],
        label: "r",
        ascii_label: "r",
        help: "fetch the year on screen: months missing, and those Elhub revised",
        hint: hint("r", "r", "fetch", 4),
        make: |_| Action::FetchViewed,
    },
    Binding {
        keys: &[(Key::Char('R'), 0)],
        label: "R",
        ascii_label: "R",
        help: "the same for the range given at start (--year, --from/--to)",
        hint: None,
        make: |_| Action::Fetch(FetchMode::Refresh),
    },
    Binding {
        keys: &[(Key::Char('s'), 0)],
        label: "s",
        ascii_label: "s",
        help: "save the view here: the screen as SVG, its data as CSV",
        hint: hint("s", "s", "save", 5),
        make: |_| Action::Save,
    },
    Binding {
        keys: &[(Key::Code(KeyCode::Tab), 1), (Key::Code(KeyCode::BackTab), -1)],
        label: "Tab  S-Tab",
        ascii_label: "Tab  S-Tab",
        help: "focus the next / previous pane",
        hint: hint("Tab", "Tab", "focus", 16),
        make: Action::StepFocus,
    },
    Binding {
        keys: &[(Key::Code(KeyCode::Esc), 0)],
        label: "Esc",
        ascii_label: "Esc",
        help: "back: cursor off, difference off, side by side off, zoom out, filter dropped (never quits)",
        hint: None,
        make: |_| Action::Back,
    },
    Binding {
        keys: &[(Key::Char('?'), 0)],
        label: "?",
        ascii_label: "?",
        help: "this help (Esc, ? or q closes it; another key closes it and does what it does)",
        hint: hint("?", "?", "help", ALWAYS + 1),
        make: |_| Action::ToggleHelp,
    },
    Binding {
        keys: &[(Key::Char('q'), 0), (Key::Ctrl('c'), 0)],
        label: "q  C-c",
        ascii_label: "q  C-c",
        help: "quit (a fetch under way stops; a rerun goes on from there)",
        hint: hint("q", "q", "quit", ALWAYS),
        make: |_| Action::Quit,
    },
];

/// The binding of a key press, and the action it makes (Ctrl held or not).
pub fn action_of(code: KeyCode, ctrl: bool) -> Option<Action> {
    KEYS.iter().find_map(|b| {
        b.keys.iter().find(|(k, _)| k.matches(code, ctrl)).map(|(k, step)| match (k, code) {
            (Key::Digit, KeyCode::Char(c)) => (b.make)(c.to_digit(10).map_or(0, |d| d as i32)),
            _ => (b.make)(*step),
        })
    })
}

/// The symbols the panes use: (glyph, ASCII glyph, meaning).
const SYMBOLS: [(&str, &str, &str); 9] = [
    ("✓", "+", "month stored: records (-n rejected)"),
    ("…", ">", "month being fetched: days written"),
    ("↻", "~", "month retried: attempt and reason"),
    ("✗", "!", "month failed: Tab to the fetch pane reads why"),
    ("·", "-", "month waiting its turn"),
    ("*", "*", "series stored for part of the year"),
    ("(k of 12 months)", "(k of 12 months)", "the year is not stored whole"),
    ("dotted", "dotted", "the year before (o)"),
    (
        "23 h  25 h  ▴",
        "23 h  25 h  ^",
        "the day summer time starts (23 hours) or ends (25 hours); ▴ in the year",
    ),
];

/// What help says besides the keys and symbols.
const NOTES: [(&str, &str); 4] = [
    ("r, R", "ask Elhub's change feed for revisions too"),
    ("--ascii", "no block or braille glyphs; NO_COLOR=1: no colours"),
    ("--fresh", "start on the default view, not the last one"),
    ("logs", "$XDG_STATE_HOME/elhub-explorer/ (~/.local/state/elhub-explorer/)"),
];

/// Every line of help, as (key or symbol, what it means); an empty pair is a gap.
pub fn help_rows(ascii: bool) -> Vec<(&'static str, &'static str)> {
    KEYS.iter()
        .map(|b| (if ascii { b.ascii_label } else { b.label }, b.help))
        .chain(std::iter::once(("", "")))
        .chain(SYMBOLS.iter().map(|(g, a, what)| (if ascii { *a } else { *g }, *what)))
        .chain(std::iter::once(("", "")))
        .chain(NOTES)
        .collect()
}

/// Hints ranked this or higher stay in the status line however narrow it is.
pub const ALWAYS: u8 = 254;

impl Key {
    pub fn matches(self, code: KeyCode, ctrl: bool) -> bool {
        match (self, code) {
            (Key::Ctrl(c), KeyCode::Char(k)) => ctrl && k.eq_ignore_ascii_case(&c),
            (Key::Char(c), KeyCode::Char(k)) => !ctrl && c == k,
            (Key::Digit, KeyCode::Char(k)) => !ctrl && k.is_ascii_digit(),
            (Key::Code(c), k) => c == k,
            _ => false,
        }
    }
}

/// The status line's hints, most important first: (key as shown, word).
pub fn hints(ascii: bool) -> Vec<(&'static str, &'static str)> {
    hints_ranked(ascii).into_iter().map(|(k, w, _)| (k, w)).collect()
}

/// The hints with their ranks, most important first.
pub fn hints_ranked(ascii: bool) -> Vec<(&'static str, &'static str, u8)> {
    let mut rows: Vec<&Hint> = KEYS.iter().filter_map(|b| b.hint.as_ref()).collect();
    rows.sort_by_key(|h| h.rank);
    rows.into_iter().map(|h| (if ascii { h.ascii_key } else { h.key }, h.word, h.rank)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_has_one_meaning() {
        let mut seen: Vec<(KeyCode, bool)> = Vec::new();
        let probe = |k: &Key| -> Vec<(KeyCode, bool)> {
            match *k {
                Key::Char(c) => vec![(KeyCode::Char(c), false)],
                Key::Ctrl(c) => vec![(KeyCode::Char(c), true)],
                Key::Code(c) => vec![(c, false)],
                Key::Digit => ('0'..='9').map(|c| (KeyCode::Char(c), false)).collect(),
            }
        };
        for b in KEYS {
            for (k, _) in b.keys {
                for p in probe(k) {
                    assert!(!seen.contains(&p), "{p:?} is bound twice");
                    seen.push(p);
                }
            }
        }
        let h = hints(false);
        assert_eq!(h.first(), Some(&("←→", "month")));
        let order: Vec<&str> = h.iter().take(5).map(|(_, w)| *w).collect();
        assert_eq!(
            order,
            ["month", "dataset", "view", "fetch", "save"],
            "the most useful stay on a narrow line"
        );
        assert_eq!(h.last(), Some(&("?", "help")), "help is hinted last, and always kept");
        let kept: Vec<&str> = KEYS
            .iter()
            .filter_map(|b| b.hint.as_ref())
            .filter(|h| h.rank >= ALWAYS)
            .map(|h| h.word)
            .collect();
        assert_eq!(kept, ["help", "quit"], "quit and help stay however narrow the line");
        assert!(hints(true).iter().all(|(k, _)| k.is_ascii()));
    }
}
