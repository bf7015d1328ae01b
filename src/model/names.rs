//! Names as people read and type them: municipality names the API sends mis-encoded (UTF-8 read
//! as Latin-1 or Windows-1252: `SnÃ¥sa`) repaired for display and search, and an entity found
//! from what a user typed: a number, an EIC or a name, ignoring case and accents.

use std::borrow::Cow;

use super::catalogue::{EntityKind, PriceArea};
use super::fold_for_search;
use super::record::Entity;

/// The text a mis-decoding made of UTF-8, decoded again: `SnÃ¥sa` → `Snåsa`. Text that is not
/// such a mis-decoding (any character a single-byte reading could not have made, bytes that do
/// not form UTF-8, or nothing beyond ASCII) is returned as it is.
pub fn repair_mojibake(text: &str) -> Cow<'_, str> {
    if text.is_ascii() {
        return Cow::Borrowed(text);
    }
    let mut bytes = Vec::with_capacity(text.len());
    for c in text.chars() {
        match single_byte(c) {
            Some(b) => bytes.push(b),
            None => return Cow::Borrowed(text),
        }
    }
    match String::from_utf8(bytes) {
        // Re-encoding must have joined bytes into fewer characters: otherwise it was real
        // Latin-1 text (`Ø` alone is not valid UTF-8 anyway).
        Ok(fixed) if fixed.chars().count() < text.chars().count() => Cow::Owned(fixed),
        _ => Cow::Borrowed(text),
    }
}

/// The byte a character stands for in Latin-1 or Windows-1252, if it stands for one.
fn single_byte(c: char) -> Option<u8> {
    let windows_1252 = [
        ('€', 0x80),
        ('‚', 0x82),
        ('ƒ', 0x83),
        ('„', 0x84),
        ('…', 0x85),
        ('†', 0x86),
        ('‡', 0x87),
        ('ˆ', 0x88),
        ('‰', 0x89),
        ('Š', 0x8a),
        ('‹', 0x8b),
        ('Œ', 0x8c),
        ('Ž', 0x8e),
        ('‘', 0x91),
        ('’', 0x92),
        ('“', 0x93),
        ('”', 0x94),
        ('•', 0x95),
        ('–', 0x96),
        ('—', 0x97),
        ('˜', 0x98),
        ('™', 0x99),
        ('š', 0x9a),
        ('›', 0x9b),
        ('œ', 0x9c),
        ('ž', 0x9e),
        ('Ÿ', 0x9f),
    ];
    match u32::from(c) {
        n @ 0..=0xff => Some(n as u8),
        _ => windows_1252.iter().find(|(w, _)| *w == c).map(|(_, b)| *b),
    }
}

impl Entity {
    /// The name to show and search: a price area's city (the API names `NO1` `NO1`: its id),
    /// else the name as the API sent it, repaired where it came mis-encoded.
    pub fn display_name(&self) -> Cow<'_, str> {
        match (self.kind, self.id.parse::<PriceArea>()) {
            (EntityKind::PriceArea, Ok(area)) => Cow::Borrowed(area.city()),
            _ => repair_mojibake(&self.name),
        }
    }
}

/// A name as it may be typed: folded plainly (`Tromsø` → `tromso`) and as Norwegian is written
/// without its letters (`tromsoe`, `aalesund`).
fn folds(name: &str) -> [String; 2] {
    let spelled: String = name
        .chars()
        .flat_map(|c| match c {
            'ø' => "oe".chars().collect::<Vec<_>>(),
            'Ø' => "Oe".chars().collect(),
            'å' => "aa".chars().collect(),
            'Å' => "Aa".chars().collect(),
            c => vec![c],
        })
        .collect();
    [fold_for_search(name), fold_for_search(&spelled)]
}

/// The known names nearest to what was typed (a letter or two off, as in `bregen`), for "did
/// you mean": (id, name), at most three, nearest first.
pub fn suggest_entities(query: &str, kind: EntityKind, known: &[Entity]) -> Vec<(String, String)> {
    let typed = fold_for_search(query.trim());
    let most = (typed.chars().count() / 3).clamp(1, 3);
    let mut near: Vec<(usize, String, String)> = known
        .iter()
        .filter(|e| e.kind == kind)
        .filter_map(|e| {
            let name = e.display_name().into_owned();
            let d = folds(&name).iter().map(|f| edit_distance(&typed, f)).min()?;
            (d <= most).then_some((d, e.id.clone(), name))
        })
        .collect();
    near.sort();
    near.into_iter().take(3).map(|(_, id, name)| (id, name)).collect()
}

/// Levenshtein distance, by characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1).min(row[j] + 1).min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

/// Municipalities from (number, name) pairs, for the tests of every module.
#[cfg(test)]
pub(crate) fn municipalities_of(pairs: &[(&str, &str)]) -> Vec<Entity> {
    pairs
        .iter()
        .map(|(id, name)| Entity {
            kind: EntityKind::Municipality,
            id: id.to_string(),
            name: name.to_string(),
            price_area: None,
        })
        .collect()
}

/// What a user's `--entity` named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// One entity: its id.
    One(String),
    /// Several match equally well: (id, name) of each, to list.
    Ambiguous(Vec<(String, String)>),
    /// Nothing matches.
    None,
}

/// Finds the entity `query` names among `known` of `kind`: an id (`0301`, also `301`; `NO1`;
/// an EIC) exactly, ignoring case; else a name equal to it once case and accents are folded
/// (`tromso` finds Tromsø, `snasa` finds the mis-encoded `SnÃ¥sa`); else the names that start
/// with it, then those that contain it. For price areas the EIC and the city (`Bergen` is NO5)
/// count as names too, and they are known without a store.
pub fn resolve_entity(query: &str, kind: EntityKind, known: &[Entity]) -> Resolved {
    let query = query.trim();
    if query.is_empty() {
        return Resolved::None;
    }
    let mut candidates: Vec<(String, Vec<String>)> = known
        .iter()
        .filter(|e| e.kind == kind)
        .map(|e| (e.id.clone(), vec![e.display_name().into_owned()]))
        .collect();
    if kind == EntityKind::PriceArea {
        for area in PriceArea::ALL {
            let names = vec![area.city().to_string(), area.eic().to_string()];
            match candidates.iter_mut().find(|(id, _)| id == area.as_str()) {
                Some((_, known)) => known.extend(names),
                None => candidates.push((area.to_string(), names)),
            }
        }
    }
    let padded =
        (kind == EntityKind::Municipality && query.len() < 4 && query.chars().all(|c| c.is_ascii_digit()))
            .then(|| format!("{query:0>4}"));
    if let Some((id, _)) = candidates
        .iter()
        .find(|(id, _)| id.eq_ignore_ascii_case(query) || padded.as_deref() == Some(id.as_str()))
    {
        return Resolved::One(id.clone());
    }
    let folded = fold_for_search(query);
    let tiers: [&dyn Fn(&str) -> bool; 3] =
        [&|n: &str| n == folded, &|n: &str| n.starts_with(&folded), &|n: &str| n.contains(&folded)];
    for matches in tiers {
        let mut found: Vec<(String, String)> = candidates
            .iter()
            .filter_map(|(id, names)| {
                names.iter().find(|n| folds(n).iter().any(|f| matches(f))).map(|n| (id.clone(), n.clone()))
            })
            .collect();
        found.sort();
        found.dedup_by(|a, b| a.0 == b.0);
        match found.len() {
            0 => continue,
            1 => return Resolved::One(found.remove(0).0),
            _ => return Resolved::Ambiguous(found),
        }
    }
    Resolved::None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Norwegian letters as the API mis-sends them, repaired; names that must stay as they
    /// are, stay.
    #[test]
    fn mis_encoded_names_are_repaired_and_good_ones_left_alone() {
        for (sent, shown) in [
            ("SnÃ¥sa", "Snåsa"),
            ("Ã…fjord", "Åfjord"),      // Windows-1252: Å is C3 85, and 0x85 reads as '…'
            ("Ã\u{85}fjord", "Åfjord"), // Latin-1: the same byte as a control character
            ("TromsÃ¸", "Tromsø"),
            ("Ã˜rland", "Ørland"),
            ("BÃ¦rum", "Bærum"),
            ("Ã†ra", "Æra"),
            ("KÃ¡rÃ¡Å¡johka", "Kárášjohka"),
        ] {
            assert_eq!(repair_mojibake(sent), shown, "{sent}");
        }
        for good in [
            "Oslo",
            "Snåsa",
            "Tromsø",
            "Ørland",
            "Bærum",
            "Åfjord",
            "Kárášjohka",
            "Ã",
            "Ø",
            "Ãx",
            "naïve café",
            "",
        ] {
            assert_eq!(repair_mojibake(good), good, "{good} must stay");
            assert!(matches!(repair_mojibake(good), Cow::Borrowed(_)));
        }
    }

    fn municipalities() -> Vec<Entity> {
        municipalities_of(&[
            ("0301", "Oslo"),
            ("5401", "Tromsø"),
            ("5036", "SnÃ¥sa"),
            ("4601", "Bergen"),
            ("3201", "Bærum"),
            ("1101", "Eigersund"),
            ("1103", "Stavanger"),
            ("0000", "Ukjent"),
        ])
    }

    #[test]
    fn an_entity_is_found_by_number_eic_or_name() {
        let m = municipalities();
        let one = |q: &str| resolve_entity(q, EntityKind::Municipality, &m);
        assert_eq!(one("0301"), Resolved::One("0301".into()));
        assert_eq!(one("301"), Resolved::One("0301".into()), "the leading zero may be left out");
        assert_eq!(one("oslo"), Resolved::One("0301".into()));
        assert_eq!(one("TROMSO"), Resolved::One("5401".into()));
        assert_eq!(one("Tromsø"), Resolved::One("5401".into()));
        assert_eq!(one("snasa"), Resolved::One("5036".into()), "the mis-encoded name is found");
        assert_eq!(one("baerum"), Resolved::One("3201".into()));
        assert_eq!(one("berg"), Resolved::One("4601".into()), "a unique start");
        assert_eq!(
            one("s"),
            Resolved::Ambiguous(vec![("1103".into(), "Stavanger".into()), ("5036".into(), "Snåsa".into())])
        );
        assert_eq!(
            one("ger"),
            Resolved::Ambiguous(vec![
                ("1101".into(), "Eigersund".into()),
                ("1103".into(), "Stavanger".into())
            ]),
            "contained in two"
        );
        assert_eq!(one("narvik"), Resolved::None);
        assert_eq!(one("tromsoe"), Resolved::One("5401".into()), "ø written oe");
        assert_eq!(
            suggest_entities("bregen", EntityKind::Municipality, &m),
            [("4601".to_string(), "Bergen".to_string())]
        );
        assert_eq!(
            suggest_entities("Trondhiem", EntityKind::Municipality, &m),
            Vec::<(String, String)>::new(),
            "not in this list"
        );
        assert_eq!(suggest_entities("Stavnager", EntityKind::Municipality, &m)[0].1, "Stavanger");
        assert!(suggest_entities("zzzz", EntityKind::Municipality, &m).is_empty());
        assert_eq!(one("  "), Resolved::None);
        let areas = |q: &str| resolve_entity(q, EntityKind::PriceArea, &[]);
        assert_eq!(areas("no5"), Resolved::One("NO5".into()));
        assert_eq!(areas("bergen"), Resolved::One("NO5".into()), "the area's city");
        assert_eq!(areas("10YNO-4--------9"), Resolved::One("NO4".into()));
        assert_eq!(areas("tromso"), Resolved::One("NO4".into()));
        assert_eq!(areas("NO6"), Resolved::None);
        let grid = vec![Entity {
            kind: EntityKind::GridArea,
            id: "50YWO-6UUIJ4BF1D".into(),
            name: "Elvia AS".into(),
            price_area: Some("NO1".into()),
        }];
        assert_eq!(
            resolve_entity("50ywo-6uuij4bf1d", EntityKind::GridArea, &grid),
            Resolved::One("50YWO-6UUIJ4BF1D".into())
        );
        assert_eq!(
            resolve_entity("elvia", EntityKind::GridArea, &grid),
            Resolved::One("50YWO-6UUIJ4BF1D".into())
        );
        assert_eq!(resolve_entity("oslo", EntityKind::GridArea, &m), Resolved::None, "another kind's names");
    }
}
