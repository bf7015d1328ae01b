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

/// What a key does; the table's rows turn into these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Quit,
    SelectNth,
    Move(i32),
    StepMonth(i32),
    StepGroup(i32),
    StepYear(i32),
    ToggleChart,
    StepDataset(i32),
    Fetch(FetchMode),
    StepFocus(i32),
    ToggleHelp,
    Filter,
}

/// One row of the key table.
#[derive(Debug)]
pub struct Binding {
    pub keys: &'static [Key],
    /// The keys as help shows them, and their ASCII form for `--ascii`.
    pub label: &'static str,
    pub ascii_label: &'static str,
    pub help: &'static str,
    /// The status line's word for it and its rank (lower stays longer on narrow terminals).
    pub hint: Option<(&'static str, u8)>,
    pub command: Command,
}

const fn row(
    keys: &'static [Key],
    label: &'static str,
    ascii_label: &'static str,
    help: &'static str,
    hint: Option<(&'static str, u8)>,
    command: Command,
) -> Binding {
    Binding { keys, label, ascii_label, help, hint, command }
}

/// Every key of the explorer, in the order help lists them.
pub const KEYS: &[Binding] = &[
    row(
        &[Key::Digit],
        "1-9",
        "1-9",
        "the n-th entity of the list (1-5: NO1..NO5)",
        Some(("entity", 0)),
        Command::SelectNth,
    ),
    row(
        &[Key::Code(KeyCode::Up), Key::Code(KeyCode::Down), Key::Char('k'), Key::Char('j')],
        "↑ ↓  k j",
        "k j",
        "move in the focused pane (entity, group, progress)",
        None,
        Command::Move(0),
    ),
    row(
        &[Key::Code(KeyCode::PageUp), Key::Code(KeyCode::PageDown)],
        "PgUp PgDn",
        "PgUp PgDn",
        "move ten entities",
        None,
        Command::Move(0),
    ),
    row(
        &[Key::Char('/')],
        "/",
        "/",
        "filter by number or name (Enter keeps, Esc drops)",
        Some(("find", 2)),
        Command::Filter,
    ),
    row(
        &[Key::Code(KeyCode::Left), Key::Code(KeyCode::Right), Key::Char('h'), Key::Char('l')],
        "← →  h l",
        "h l",
        "previous / next month",
        Some(("month", 1)),
        Command::StepMonth(0),
    ),
    row(
        &[Key::Char('g'), Key::Char('G')],
        "g  G",
        "g  G",
        "next / previous group",
        Some(("group", 3)),
        Command::StepGroup(0),
    ),
    row(
        &[Key::Char('y'), Key::Char('Y')],
        "y  Y",
        "y  Y",
        "next / previous year",
        Some(("year", 7)),
        Command::StepYear(0),
    ),
    row(
        &[Key::Char('b')],
        "b",
        "b",
        "totals as bars / sectors (pie)",
        Some(("chart", 6)),
        Command::ToggleChart,
    ),
    row(
        &[Key::Char('d'), Key::Char('D')],
        "d  D",
        "d  D",
        "next / previous dataset",
        Some(("dataset", 5)),
        Command::StepDataset(0),
    ),
    row(
        &[Key::Char('r')],
        "r",
        "r",
        "fetch missing and maybe-revised months of the range",
        Some(("fetch", 4)),
        Command::Fetch(FetchMode::Refresh),
    ),
    row(
        &[Key::Char('R')],
        "R",
        "R",
        "refetch every month of the configured range",
        None,
        Command::Fetch(FetchMode::Force),
    ),
    row(
        &[Key::Code(KeyCode::Tab), Key::Code(KeyCode::BackTab)],
        "Tab  S-Tab",
        "Tab  S-Tab",
        "focus the next / previous pane",
        Some(("focus", 8)),
        Command::StepFocus(0),
    ),
    row(
        &[Key::Char('?')],
        "?",
        "?",
        "this help (any key closes it)",
        Some(("help", 255)),
        Command::ToggleHelp,
    ),
    row(
        &[Key::Char('q'), Key::Code(KeyCode::Esc), Key::Ctrl('c')],
        "q  Esc  C-c",
        "q  Esc  C-c",
        "quit",
        Some(("quit", 1)),
        Command::Quit,
    ),
];

impl Key {
    fn matches(self, code: KeyCode, ctrl: bool) -> bool {
        match (self, code) {
            (Key::Ctrl(c), KeyCode::Char(k)) => ctrl && k.eq_ignore_ascii_case(&c),
            (Key::Char(c), KeyCode::Char(k)) => !ctrl && c == k,
            (Key::Digit, KeyCode::Char(k)) => !ctrl && ('1'..='9').contains(&k),
            (Key::Code(c), k) => c == k,
            _ => false,
        }
    }
}

/// The action of a key press, from the table. Only presses count (Windows terminals also send
/// releases). While help is open any key closes it (q and Ctrl-C still quit); while a filter is
/// typed, keys edit it.
pub fn handle_key(app: &App, key: KeyEvent) -> Option<Action> {
    if key.kind != KeyEventKind::Press {
        return None;
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if app.show_help {
        return match key.code {
            KeyCode::Char('c') if ctrl => Some(Action::Quit),
            KeyCode::Char('q') => Some(Action::Quit),
            _ => Some(Action::CloseHelp),
        };
    }
    if app.filter.editing {
        return match key.code {
            KeyCode::Char('c') if ctrl => Some(Action::Quit),
            KeyCode::Enter => Some(Action::KeepFilter),
            KeyCode::Esc => Some(Action::DropFilter),
            KeyCode::Backspace => Some(Action::FilterBackspace),
            KeyCode::Up => Some(Action::Move(-1)),
            KeyCode::Down => Some(Action::Move(1)),
            KeyCode::Char(c) if !ctrl => Some(Action::FilterType(c)),
            _ => None,
        };
    }
    let binding = KEYS.iter().find(|b| b.keys.iter().any(|k| k.matches(key.code, ctrl)))?;
    // Esc first clears a kept filter when the entity list has the focus.
    if key.code == KeyCode::Esc && !app.filter.text.is_empty() && app.focus == Pane::Entities {
        return Some(Action::DropFilter);
    }
    let back = matches!(
        key.code,
        KeyCode::Up
            | KeyCode::Left
            | KeyCode::PageUp
            | KeyCode::BackTab
            | KeyCode::Char('k' | 'h' | 'G' | 'Y' | 'D')
    );
    let by = if back { -1 } else { 1 };
    Some(match binding.command {
        Command::Quit => Action::Quit,
        Command::SelectNth => match key.code {
            KeyCode::Char(c) => Action::SelectNth(c as usize - '1' as usize),
            _ => return None,
        },
        Command::Move(_) if matches!(key.code, KeyCode::PageUp | KeyCode::PageDown) => Action::Move(10 * by),
        Command::Move(_) => Action::Move(by),
        Command::StepMonth(_) => Action::StepMonth(by),
        Command::StepGroup(_) => Action::StepGroup(by),
        Command::StepYear(_) => Action::StepYear(by),
        Command::ToggleChart => Action::ToggleChart,
        Command::StepDataset(_) => Action::StepDataset(by),
        Command::Fetch(mode) => Action::Fetch(mode),
        Command::StepFocus(_) => Action::StepFocus(by),
        Command::ToggleHelp => Action::ToggleHelp,
        Command::Filter => Action::StartFilter,
    })
}

/// The status line's hints, most important first: (key as shown, word).
pub fn hints(ascii: bool) -> Vec<(&'static str, &'static str)> {
    let mut rows: Vec<(u8, &'static str, &'static str)> = KEYS
        .iter()
        .filter_map(|b| {
            let (word, rank) = b.hint?;
            let key = match (b.command, ascii) {
                (Command::StepMonth(_), false) => "←→",
                (Command::StepMonth(_), true) => "h/l",
                (Command::Quit, _) => "q",
                (Command::StepFocus(_), _) => "Tab",
                (Command::StepGroup(_), _) => "g",
                (Command::StepYear(_), _) => "y",
                (Command::StepDataset(_), _) => "d",
                _ => b.ascii_label,
            };
            Some((rank, key, word))
        })
        .collect();
    rows.sort_by_key(|r| r.0);
    rows.into_iter().map(|(_, k, w)| (k, w)).collect()
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
                Key::Digit => ('1'..='9').map(|c| (KeyCode::Char(c), false)).collect(),
            }
        };
        for b in KEYS {
            for k in b.keys {
                for p in probe(k) {
                    assert!(!seen.contains(&p), "{p:?} is bound twice");
                    seen.push(p);
                }
            }
        }
        let h = hints(false);
        assert_eq!(h.first(), Some(&("1-9", "entity")));
        assert_eq!(h.last(), Some(&("?", "help")), "help is hinted last, and always kept");
        assert!(hints(true).iter().all(|(k, _)| k.is_ascii()));
    }
}
