//! The one key table: it maps keys to actions (`handle_key`), and the help overlay and the
//! status line's hints are drawn from it, so the three never disagree.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::state::{Action, App, Pane};
use crate::ingest::FetchMode;

/// A key as the table matches it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Char(char),
    Code(KeyCode),
    Ctrl(char),
    /// `1` to `9`: the n-th entry of the entity list.
    Digit,
}

/// What a key does; the table's rows turn into these, with the matched key's step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Quit,
    SelectNth,
    Move,
    StepMonth,
    StepGroup,
    StepYear,
    ToggleChart,
    StepDataset,
    /// `R`: the range given at start.
    FetchRange,
    /// `r`: the viewed year.
    FetchViewed,
    StepFocus,
    ToggleHelp,
    Filter,
    StepView,
    ToggleLine,
    ToggleZero,
    MoveCursor,
    ToggleOverlay,
    ToggleSideBySide,
    JumpEnd,
    Jump,
    Save,
    Back,
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
    pub command: Command,
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
        hint: hint("0-9", "0-9", "entity", 0),
        command: Command::SelectNth,
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
        command: Command::Move,
    },
    Binding {
        keys: &[(Key::Code(KeyCode::PageUp), -10), (Key::Code(KeyCode::PageDown), 10)],
        label: "PgUp PgDn",
        ascii_label: "PgUp PgDn",
        help: "move ten entities",
        hint: None,
        command: Command::Move,
    },
    Binding {
        keys: &[(Key::Char('/'), 0)],
        label: "/",
        ascii_label: "/",
        help: "filter by number or name (Enter keeps, Esc drops)",
        hint: hint("/", "/", "find", 2),
        command: Command::Filter,
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
        help: "previous / next month",
        hint: hint("←→", "h/l", "month", 1),
        command: Command::StepMonth,
    },
    Binding {
        keys: &[(Key::Char('y'), 1), (Key::Char('Y'), -1)],
        label: "y  Y",
        ascii_label: "y  Y",
        help: "next / previous year",
        hint: hint("y", "y", "year", 9),
        command: Command::StepYear,
    },
    Binding {
        keys: &[(Key::Code(KeyCode::Home), -1), (Key::Code(KeyCode::End), 1)],
        label: "Home End",
        ascii_label: "Home End",
        help: "the first / last month stored",
        hint: None,
        command: Command::JumpEnd,
    },
    Binding {
        keys: &[(Key::Char(':'), 0)],
        label: ":",
        ascii_label: ":",
        help: "go to a month (2023-07) or a year (2023); Enter goes, Esc leaves",
        hint: hint(":", ":", "go to", 10),
        command: Command::Jump,
    },
    Binding {
        keys: &[(Key::Char('g'), 1), (Key::Char('G'), -1)],
        label: "g  G",
        ascii_label: "g  G",
        help: "next / previous group (the last is all groups together)",
        hint: hint("g", "g", "group", 3),
        command: Command::StepGroup,
    },
    Binding {
        keys: &[(Key::Char('d'), 1), (Key::Char('D'), -1)],
        label: "d  D",
        ascii_label: "d  D",
        help: "next / previous dataset",
        hint: hint("d", "d", "dataset", 5),
        command: Command::StepDataset,
    },
    Binding {
        keys: &[(Key::Char('v'), 0)],
        label: "v",
        ascii_label: "v",
        help: "curve of the month / days of the year / average day of the month",
        hint: hint("v", "v", "view", 6),
        command: Command::StepView,
    },
    Binding {
        keys: &[(Key::Char('c'), 0)],
        label: "c",
        ascii_label: "c",
        help: "curve as bars / as a line",
        hint: hint("c", "c", "line", 8),
        command: Command::ToggleLine,
    },
    Binding {
        keys: &[(Key::Char('z'), 0)],
        label: "z",
        ascii_label: "z",
        help: "curve scale from zero / from its minimum",
        hint: None,
        command: Command::ToggleZero,
    },
    Binding {
        keys: &[(Key::Char('['), -1), (Key::Char(']'), 1), (Key::Char('<'), -1), (Key::Char('>'), 1)],
        label: "[ ]  < >",
        ascii_label: "[ ]  < >",
        help: "cursor on the curve: reads its column (an hour, or a run of hours when the month is wider than the pane), the value and the day's total",
        hint: hint("[]", "[]", "cursor", 7),
        command: Command::MoveCursor,
    },
    Binding {
        keys: &[(Key::Char('o'), 0)],
        label: "o",
        ascii_label: "o",
        help: "the same month a year earlier over the curve (dotted)",
        hint: None,
        command: Command::ToggleOverlay,
    },
    Binding {
        keys: &[(Key::Char('a'), 0)],
        label: "a",
        ascii_label: "a",
        help: "totals: every entity side by side for the group",
        hint: None,
        command: Command::ToggleSideBySide,
    },
    Binding {
        keys: &[(Key::Char('b'), 0)],
        label: "b",
        ascii_label: "b",
        help: "totals as bars / sectors (pie)",
        hint: hint("b", "b", "chart", 11),
        command: Command::ToggleChart,
    },
    Binding {
        keys: &[(Key::Char('r'), 0)],
        label: "r",
        ascii_label: "r",
        help: "fetch the year on screen: months missing, and those Elhub revised",
        hint: hint("r", "r", "fetch", 4),
        command: Command::FetchViewed,
    },
    Binding {
        keys: &[(Key::Char('R'), 0)],
        label: "R",
        ascii_label: "R",
        help: "the same for the range given at start (--year, --from/--to)",
        hint: None,
        command: Command::FetchRange,
    },
    Binding {
        keys: &[(Key::Char('s'), 0)],
        label: "s",
        ascii_label: "s",
        help: "save the view here: the screen as SVG, its data as CSV",
        hint: hint("s", "s", "save", 12),
        command: Command::Save,
    },
    Binding {
        keys: &[(Key::Code(KeyCode::Tab), 1), (Key::Code(KeyCode::BackTab), -1)],
        label: "Tab  S-Tab",
        ascii_label: "Tab  S-Tab",
        help: "focus the next / previous pane",
        hint: hint("Tab", "Tab", "focus", 13),
        command: Command::StepFocus,
    },
    Binding {
        keys: &[(Key::Code(KeyCode::Esc), 0)],
        label: "Esc",
        ascii_label: "Esc",
        help: "back: cursor off, side by side off, filter dropped (never quits)",
        hint: None,
        command: Command::Back,
    },
    Binding {
        keys: &[(Key::Char('?'), 0)],
        label: "?",
        ascii_label: "?",
        help: "this help (Esc, ? or q closes it)",
        hint: hint("?", "?", "help", ALWAYS + 1),
        command: Command::ToggleHelp,
    },
    Binding {
        keys: &[(Key::Char('q'), 0), (Key::Ctrl('c'), 0)],
        label: "q  C-c",
        ascii_label: "q  C-c",
        help: "quit (a fetch under way stops; a rerun goes on from there)",
        hint: hint("q", "q", "quit", ALWAYS),
        command: Command::Quit,
    },
];

/// The symbols the panes use: (glyph, ASCII glyph, meaning).
const SYMBOLS: [(&str, &str, &str); 8] = [
    ("✓", "+", "month stored: records (-n rejected)"),
    ("…", ">", "month being fetched: days written"),
    ("↻", "~", "month retried: attempt and reason"),
    ("✗", "!", "month failed: Tab to the fetch pane reads why"),
    ("·", "-", "month waiting its turn"),
    ("*", "*", "series stored for part of the year"),
    ("(k of 12 months)", "(k of 12 months)", "the year is not stored whole"),
    ("dotted", "dotted", "the year before (o), or weekends"),
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
    fn matches(self, code: KeyCode, ctrl: bool) -> bool {
        match (self, code) {
            (Key::Ctrl(c), KeyCode::Char(k)) => ctrl && k.eq_ignore_ascii_case(&c),
            (Key::Char(c), KeyCode::Char(k)) => !ctrl && c == k,
            (Key::Digit, KeyCode::Char(k)) => !ctrl && k.is_ascii_digit(),
            (Key::Code(c), k) => c == k,
            _ => false,
        }
    }
}

/// The keys that edit a filter while it is typed (Enter keeps it, Esc drops it, Backspace, the
/// arrows move the selection, printable characters type).
fn filter_key(code: KeyCode, ctrl: bool) -> Option<Action> {
    match code {
        KeyCode::Char('c') if ctrl => Some(Action::Quit),
        KeyCode::Enter => Some(Action::KeepFilter),
        KeyCode::Esc => Some(Action::DropFilter),
        KeyCode::Backspace => Some(Action::FilterBackspace),
        KeyCode::Up => Some(Action::Move(-1)),
        KeyCode::Down => Some(Action::Move(1)),
        KeyCode::Char(c) if !ctrl => Some(Action::FilterType(c)),
        _ => None,
    }
}

/// The keys while a month or year is typed after `:`: digits and `-` type, Enter goes, Esc
/// leaves, Backspace deletes.
fn jump_key(code: KeyCode, ctrl: bool) -> Option<Action> {
    match code {
        KeyCode::Char('c') if ctrl => Some(Action::Quit),
        KeyCode::Enter => Some(Action::JumpGo),
        KeyCode::Esc => Some(Action::Back),
        KeyCode::Backspace => Some(Action::JumpBackspace),
        KeyCode::Char(c) if !ctrl && (c.is_ascii_digit() || c == '-') => Some(Action::JumpType(c)),
        _ => None,
    }
}

/// The action of a key press, from the table. Only presses count (Windows terminals also send
/// releases). While help is open Ctrl-C quits and any other key closes it; while a filter or a
/// month is typed, keys edit it.
pub fn handle_key(app: &App, key: KeyEvent) -> Option<Action> {
    if key.kind != KeyEventKind::Press {
        return None;
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if app.show_help {
        return match key.code {
            KeyCode::Char('c') if ctrl => Some(Action::Quit),
            KeyCode::Up | KeyCode::Char('k') => Some(Action::ScrollHelp(-1)),
            KeyCode::Down | KeyCode::Char('j') => Some(Action::ScrollHelp(1)),
            KeyCode::PageUp => Some(Action::ScrollHelp(-10)),
            KeyCode::PageDown => Some(Action::ScrollHelp(10)),
            // Saving keeps help on screen, so it can be pictured too.
            KeyCode::Char('s') => Some(Action::Save),
            _ => Some(Action::CloseHelp),
        };
    }
    if app.filter.editing {
        return filter_key(key.code, ctrl);
    }
    if app.jump.is_some() {
        return jump_key(key.code, ctrl);
    }
    let (binding, step) = KEYS
        .iter()
        .find_map(|b| b.keys.iter().find(|(k, _)| k.matches(key.code, ctrl)).map(|(_, step)| (b, *step)))?;
    // Esc first clears a kept filter when the entity list has the focus.
    if key.code == KeyCode::Esc && !app.filter.text.is_empty() && app.focus == Pane::Entities {
        return Some(Action::DropFilter);
    }
    Some(match binding.command {
        Command::Quit => Action::Quit,
        Command::SelectNth => match key.code {
            KeyCode::Char(c) => Action::SelectNth(c.to_digit(10).unwrap_or(0) as usize),
            _ => return None,
        },
        Command::Move => Action::Move(step),
        Command::StepMonth => Action::StepMonth(step),
        Command::StepGroup => Action::StepGroup(step),
        Command::StepYear => Action::StepYear(step),
        Command::ToggleChart => Action::ToggleChart,
        Command::StepDataset => Action::StepDataset(step),
        Command::FetchRange => Action::Fetch(FetchMode::Refresh),
        Command::FetchViewed => Action::FetchViewed,
        Command::StepFocus => Action::StepFocus(step),
        Command::ToggleHelp => Action::ToggleHelp,
        Command::Filter => Action::StartFilter,
        Command::StepView => Action::StepView,
        Command::ToggleLine => Action::ToggleLine,
        Command::ToggleZero => Action::ToggleZero,
        Command::MoveCursor => Action::MoveCursor(step),
        Command::ToggleOverlay => Action::ToggleOverlay,
        Command::ToggleSideBySide => Action::ToggleSideBySide,
        Command::JumpEnd => Action::JumpEnd(step),
        Command::Jump => Action::StartJump,
        Command::Save => Action::Save,
        Command::Back => Action::Back,
    })
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
        assert_eq!(h.first(), Some(&("0-9", "entity")));
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
