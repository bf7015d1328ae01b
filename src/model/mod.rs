//! The domain vocabulary, owned by no other module: the dataset catalogue, entities, records,
//! fetched windows, and local (Europe/Oslo) time.

mod catalogue;
mod names;
mod record;
mod time;

pub use catalogue::{Dataset, DatasetSpec, EntityKind, PriceArea, Resolution, Shape, WindowLimit, CATALOGUE};
#[cfg(test)]
pub(crate) use names::municipalities_of;
pub use names::{repair_mojibake, resolve_entity, suggest_entities, Resolved};
pub use record::{Entity, Group, Point, Record, SeriesData, SeriesKey, WindowData};
pub(crate) use time::deserialize_from_str;
pub use time::{
    all_time_utc, civil_from_days, day_key, day_of_key, days_from_civil, format_energy, format_local,
    grouped, instant, local_midnight_utc, month_key, oslo_offset_secs, oslo_summer_time, thousands, utc_text,
    write_local, year_bounds_utc, Month, MonthRange, Window, LOCAL_TZ,
};

/// Folds text for search as people type it: lower case, accents and Norwegian letters to their
/// plain Latin base (`Tromsø` -> `tromso`, `Ålesund` -> `alesund`, `Bærum` -> `baerum`).
pub fn fold_for_search(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' => out.push('a'),
            'æ' => out.push_str("ae"),
            'ç' | 'č' => out.push('c'),
            'è' | 'é' | 'ê' | 'ë' | 'ē' => out.push('e'),
            'ì' | 'í' | 'î' | 'ï' => out.push('i'),
            'ñ' => out.push('n'),
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' => out.push('o'),
            'œ' => out.push_str("oe"),
            'š' => out.push('s'),
            'ù' | 'ú' | 'û' | 'ü' => out.push('u'),
            'ý' | 'ÿ' => out.push('y'),
            'ž' => out.push('z'),
            'ß' => out.push_str("ss"),
            'đ' | 'ð' => out.push('d'),
            'þ' => out.push_str("th"),
            _ => out.push(c),
        }
    }
    out
}

/// `1 month`, `2 months`, `3 municipalities`.
pub fn count(n: usize, noun: &str) -> String {
    match noun.strip_suffix('y') {
        _ if n == 1 => format!("1 {noun}"),
        Some(stem) if !stem.ends_with(['a', 'e', 'o', 'u']) => format!("{n} {stem}ies"),
        // `series` and the like are their own plural.
        _ if noun.ends_with('s') => format!("{n} {noun}"),
        _ => format!("{n} {noun}s"),
    }
}

/// Text from the network made safe to print: control characters (ESC, CR, BEL, …) and the
/// invisible bidirectional controls (U+202E and the like, which reorder what follows them) become
/// visible escapes, so a name cannot move the cursor, retitle the terminal, break a table or
/// disguise itself.
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(is_unprintable) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            c if c.is_control() => out.extend(c.escape_default()),
            c if is_unprintable(c) => out.extend(c.escape_unicode()),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Control characters and the bidirectional formatting characters (Unicode's Bidi_Control:
/// ALM, LRM, RLM, LRE…RLO, LRI…PDI): never printed as they are, never part of an id.
pub fn is_unprintable(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// `text` on one line (runs of white space as one space), printable, and at most about `max`
/// characters: a longer text is shortened at a word and ends in `…` (inside a word only where
/// cutting at one would keep less than half). For the causes of errors, whose whole text goes to
/// the log.
pub fn one_line(text: &str, max: usize) -> String {
    let flat = printable(&text.split_whitespace().collect::<Vec<_>>().join(" ")).into_owned();
    if flat.chars().count() <= max {
        return flat;
    }
    let mut cut = String::new();
    for word in flat.split(' ') {
        if cut.chars().count() + 1 + word.chars().count() > max {
            break;
        }
        if !cut.is_empty() {
            cut.push(' ');
        }
        cut.push_str(word);
    }
    if cut.chars().count() < max / 2 {
        // One long token (a path, a dump) after a short start: cut inside it.
        cut = flat.chars().take(max).collect();
    }
    cut.push('…');
    cut
}

/// A quantity in the shortest text that reads back exactly: plain decimals as always
/// (`2507716.8`), and for the tiniest and the hugest values the exponent form (`5e-324`, not 327
/// digits).
pub fn shortest(v: f64) -> String {
    if v != 0.0 && v.is_finite() && !(1e-5..1e16).contains(&v.abs()) {
        ryu::Buffer::new().format_finite(v).to_string()
    } else {
        v.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_and_bidirectional_characters_are_escaped() {
        assert_eq!(printable("Tromsø"), "Tromsø");
        assert!(matches!(printable("Snåsa"), std::borrow::Cow::Borrowed(_)));
        assert_eq!(printable("a\u{1b}[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(printable("evil\u{202E}gpj.exe"), "evil\\u{202e}gpj.exe");
        for c in ['\u{061C}', '\u{200E}', '\u{200F}', '\u{202A}', '\u{202D}', '\u{2066}', '\u{2069}'] {
            let shown = printable(&format!("x{c}y")).into_owned();
            assert!(shown.is_ascii() && shown.starts_with("x\\u{") && shown.ends_with('y'), "{shown}");
        }
        assert_eq!(printable("\u{2070}"), "\u{2070}", "a neighbour of the controls stays");
    }

    #[test]
    fn a_long_cause_is_shortened_at_a_word() {
        assert_eq!(one_line("connection  reset\n by peer", 200), "connection reset by peer");
        let cause = format!("{} Connection broken: reset by peer (os error 104)", "word ".repeat(50));
        let short = one_line(&cause, 200);
        assert!(short.ends_with("word…"), "cut after a whole word: {short}");
        assert!(short.chars().count() <= 201, "{}", short.chars().count());
        assert_eq!(one_line(&"x".repeat(300), 10), format!("{}…", "x".repeat(10)));
        let token = format!("Database returned an error: {}", "y".repeat(400));
        assert_eq!(one_line(&token, 200).chars().count(), 201, "a long token is cut, not dropped");
        assert_eq!(one_line("evil\u{1b}[2J", 200), "evil\\u{1b}[2J");
    }

    #[test]
    fn counts_are_worded() {
        assert_eq!(count(1, "month"), "1 month");
        assert_eq!(count(3, "month"), "3 months");
        assert_eq!(count(2, "municipality"), "2 municipalities");
        assert_eq!(count(2, "day"), "2 days");
        assert_eq!(count(0, "record"), "0 records");
        assert_eq!(count(25, "series"), "25 series");
    }

    #[test]
    fn search_folds_accents_and_norwegian_letters() {
        assert_eq!(fold_for_search("Tromsø"), "tromso");
        assert_eq!(fold_for_search("ÅLESUND"), "alesund");
        assert_eq!(fold_for_search("Bærum"), "baerum");
        assert!(fold_for_search("Snåsa").contains("snasa"));
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(printable("hydro"), "hydro");
        assert_eq!(printable("a\u{1b}]0;pwned\u{7}b\n"), "a\\u{1b}]0;pwned\\u{7}b\\n");
    }
}
