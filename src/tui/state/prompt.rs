//! What `:` takes, k9s-style: a day (`2021-10-31`), a month (`2023-07`), a year (`2023`), a
//! dataset alias, an entity (number, id or name, accent-insensitive), a group, `all`, or
//! `q`/`quit`. Read the same way for the preview shown while typing and for Enter.

use chrono::NaiveDate;

use super::selection::Groups;
use crate::model::{fold_for_search, resolve_entity, Dataset, Entity, EntityKind, Month, Resolved};
use crate::store::Scope;

/// Where `:` goes.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    Day(NaiveDate),
    Month(Month),
    Year(i32),
    Dataset(Dataset),
    Entity(Scope),
    Group(Groups),
    Quit,
}

/// What the prompt needs to know of the view: the entity kind and the entities known, the
/// groups on offer.
pub struct Context<'a> {
    pub kind: EntityKind,
    pub entities: &'a [Entity],
    pub groups: &'a [Groups],
}

/// The target `text` names, or why it names none (one line, naming what was typed).
pub fn target(text: &str, cx: &Context) -> Result<Target, String> {
    let t = text.trim();
    let shown = crate::model::printable(t);
    if t.is_empty() {
        return Err("type a day, month, year, dataset, entity or group".into());
    }
    let lower = t.to_lowercase();
    if lower == "q" || lower == "quit" {
        return Ok(Target::Quit);
    }
    if let Ok(day) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return Ok(Target::Day(day));
    }
    if let Ok(month) = t.parse::<Month>() {
        return Ok(Target::Month(month));
    }
    if let Some(year) = t.parse::<i32>().ok().filter(|y| t.len() == 4 && (1900..2100).contains(y)) {
        return Ok(Target::Year(year));
    }
    if t.chars().all(|c| c.is_ascii_digit() || c == '-') && t.contains('-') {
        return Err(format!("'{shown}' is not a day (2021-10-31) or a month (2023-07)"));
    }
    if let Ok(dataset) = t.parse::<Dataset>() {
        return Ok(Target::Dataset(dataset));
    }
    let folded = fold_for_search(t);
    if folded == "all groups" {
        return Ok(Target::Group(Groups::All));
    }
    if ["all", "norway", "all of norway", "0"].contains(&folded.as_str()) {
        return Ok(Target::Entity(Scope::All));
    }
    if let Some(g) =
        cx.groups.iter().find(|g| matches!(g, Groups::One(name) if fold_for_search(name) == folded))
    {
        return Ok(Target::Group(g.clone()));
    }
    match resolve_entity(t, cx.kind, cx.entities) {
        Resolved::One(id) => Ok(Target::Entity(Scope::Entity(id))),
        Resolved::Ambiguous(found) => {
            // Each by its name as the list shows it (a price area's city, not the EIC it matched).
            let name_of = |id: &str, matched: &str| -> String {
                match id.parse::<crate::model::PriceArea>() {
                    Ok(area) => area.city().to_string(),
                    Err(_) => cx
                        .entities
                        .iter()
                        .find(|e| e.id == id)
                        .map_or(matched.to_string(), |e| e.display_name().into_owned()),
                }
            };
            let names: Vec<String> =
                found.iter().take(3).map(|(id, name)| format!("{id} {}", name_of(id, name))).collect();
            let more = if found.len() > 3 { ", …" } else { "" };
            Err(format!(
                "'{shown}' matches {} {}: {}{more}",
                found.len(),
                cx.kind.title().to_lowercase(),
                names.join(", ")
            ))
        }
        Resolved::None => {
            Err(format!("'{shown}': no date, dataset, {} or group of that name", cx.kind.noun()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn municipalities() -> Vec<Entity> {
        crate::model::municipalities_of(&[
            ("0301", "Oslo"),
            ("5001", "Trondheim"),
            ("5501", "Tromsø"),
            ("4601", "Bergen"),
            ("3907", "Sandefjord"),
            ("1108", "Sandnes"),
        ])
    }

    #[test]
    fn colon_takes_days_months_years_datasets_entities_groups_and_quit() {
        let entities = municipalities();
        let groups = [Groups::One("private".into()), Groups::One("business".into()), Groups::All];
        let cx = Context { kind: EntityKind::Municipality, entities: &entities, groups: &groups };
        let day = NaiveDate::from_ymd_opt(2021, 10, 31).unwrap();
        assert_eq!(target("2021-10-31", &cx), Ok(Target::Day(day)));
        assert_eq!(target(" 2023-07 ", &cx), Ok(Target::Month("2023-07".parse().unwrap())));
        assert_eq!(target("2023", &cx), Ok(Target::Year(2023)));
        assert_eq!(target("consumption", &cx), Ok(Target::Dataset(Dataset::CONSUMPTION)));
        assert_eq!(target("TROMSO", &cx), Ok(Target::Entity(Scope::Entity("5501".into()))));
        assert_eq!(
            target("301", &cx),
            Ok(Target::Entity(Scope::Entity("0301".into()))),
            "a number, zero-padded"
        );
        assert_eq!(target("Business", &cx), Ok(Target::Group(Groups::One("business".into()))));
        assert_eq!(target("all groups", &cx), Ok(Target::Group(Groups::All)));
        assert_eq!(target("all", &cx), Ok(Target::Entity(Scope::All)));
        assert_eq!(target("quit", &cx), Ok(Target::Quit));
        assert_eq!(target("q", &cx), Ok(Target::Quit));
        let err = target("sand", &cx).unwrap_err();
        assert_eq!(err, "'sand' matches 2 municipalities: 1108 Sandnes, 3907 Sandefjord");
        assert_eq!(
            target("2023-13", &cx).unwrap_err(),
            "'2023-13' is not a day (2021-10-31) or a month (2023-07)"
        );
        assert_eq!(
            target("xyzzy", &cx).unwrap_err(),
            "'xyzzy': no date, dataset, municipality or group of that name"
        );
        let areas = Context { kind: EntityKind::PriceArea, entities: &[], groups: &groups };
        assert_eq!(target("bergen", &areas), Ok(Target::Entity(Scope::Entity("NO5".into()))));
        let err = target("10YNO", &areas).unwrap_err();
        assert!(
            err.starts_with("'10YNO' matches 4 price areas: NO1 Oslo, NO2 Kristiansand, NO3 Trondheim"),
            "{err}"
        );
    }
}
