//! Which keys mean what, by mode: while help is open it scrolls and any other key closes it and
//! then acts; while a filter or a `:` target is typed keys edit it; otherwise the key table
//! (`keys::action_of`). Only presses count (Windows terminals also send releases).

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::keys::{action_of, help_rows};
use super::state::{Action, App, Pane};

/// The keys that edit a filter while it is typed: Enter keeps it, Esc drops it, Backspace and
/// Ctrl-U delete, the arrows move the selection, printable characters type.
fn filter_key(code: KeyCode, ctrl: bool) -> Option<Action> {
    match code {
        KeyCode::Char('c') if ctrl => Some(Action::Quit),
        KeyCode::Char('u') if ctrl => Some(Action::FilterClear),
        KeyCode::Enter => Some(Action::KeepFilter),
        KeyCode::Esc => Some(Action::DropFilter),
        KeyCode::Backspace => Some(Action::FilterBackspace),
        KeyCode::Up => Some(Action::Move(-1)),
        KeyCode::Down => Some(Action::Move(1)),
        KeyCode::Char(c) if !ctrl => Some(Action::FilterType(c)),
        _ => None,
    }
}

/// The keys while a target is typed after `:`: Enter goes, Esc leaves, Backspace and Ctrl-U
/// delete, printable characters type.
fn jump_key(code: KeyCode, ctrl: bool) -> Option<Action> {
    match code {
        KeyCode::Char('c') if ctrl => Some(Action::Quit),
        KeyCode::Char('u') if ctrl => Some(Action::JumpClear),
        KeyCode::Enter => Some(Action::JumpGo),
        KeyCode::Esc => Some(Action::Back),
        KeyCode::Backspace => Some(Action::JumpBackspace),
        KeyCode::Char(c) if !ctrl && !c.is_control() => Some(Action::JumpType(c)),
        _ => None,
    }
}

/// The keys while help is open: arrows and pages scroll, `s` saves it (so it can be pictured
/// too), Esc, `?` and `q` close it, Ctrl-C quits, and any other key closes it and does what it
/// does (`/` there starts a filter).
fn help_key(app: &App, code: KeyCode, ctrl: bool) -> Option<Action> {
    let rows = help_rows(app.theme.ascii).len();
    let scroll = |by| Some(Action::ScrollHelp { by, rows });
    match code {
        KeyCode::Char('c') if ctrl => Some(Action::Quit),
        KeyCode::Up | KeyCode::Char('k') => scroll(-1),
        KeyCode::Down | KeyCode::Char('j') => scroll(1),
        KeyCode::PageUp => scroll(-10),
        KeyCode::PageDown => scroll(10),
        KeyCode::Char('s') => Some(Action::Save),
        KeyCode::Esc | KeyCode::Char('?') | KeyCode::Char('q') => Some(Action::CloseHelp(None)),
        _ => Some(Action::CloseHelp(main_key(app, code, ctrl).map(Box::new))),
    }
}

/// A key of the main view, from the table.
fn main_key(app: &App, code: KeyCode, ctrl: bool) -> Option<Action> {
    // Esc first clears a kept filter when the entity list has the focus.
    if code == KeyCode::Esc && !app.filter.text.is_empty() && app.focus == Pane::Entities {
        return Some(Action::DropFilter);
    }
    action_of(code, ctrl)
}

/// The action of a key press in the mode the explorer is in.
pub fn handle_key(app: &App, key: KeyEvent) -> Option<Action> {
    if key.kind != KeyEventKind::Press {
        return None;
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if app.show_help {
        help_key(app, key.code, ctrl)
    } else if app.filter.editing {
        filter_key(key.code, ctrl)
    } else if app.jump.is_some() {
        jump_key(key.code, ctrl)
    } else {
        main_key(app, key.code, ctrl)
    }
}
