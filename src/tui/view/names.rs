//! Series and entities as the panes name them: `NO1 Oslo`, `0301 Oslo`, a grid area's name,
//! `Norway`; several series by what differs among them (entity, group, dataset) and what they
//! share, for legends and titles.

use crate::model::{EntityKind, PriceArea};
use crate::store::Scope;
use crate::tui::state::{App, Series};

/// An entity as titles name it: `NO1 Oslo`, `0301 Oslo`, a grid area's name, `Norway`.
pub fn entity_name(app: &App, dataset_kind: EntityKind, entity: &Scope) -> String {
    let Scope::Entity(id) = entity else { return "Norway".to_string() };
    let name = if dataset_kind == app.kind() {
        app.row_of(id).name
    } else if let Ok(area) = id.parse::<PriceArea>() {
        area.city().to_string()
    } else {
        String::new()
    };
    let name = crate::model::printable(&name).into_owned();
    match dataset_kind {
        EntityKind::GridArea if !name.is_empty() => name,
        _ if name.is_empty() => id.clone(),
        _ => format!("{id} {name}"),
    }
}

/// A series in full: `NO1 Oslo hydro`, `Norway all groups`.
pub fn full_name(app: &App, s: &Series) -> String {
    format!("{} {}", entity_name(app, s.dataset.entity(), &s.entity), s.group.title())
}

/// What differs among `drawn`: (entity, group, dataset).
fn differs(drawn: &[Series]) -> (bool, bool, bool) {
    let any = |f: &dyn Fn(&Series, &Series) -> bool| drawn.windows(2).any(|w| f(&w[0], &w[1]));
    (any(&|a, b| a.entity != b.entity), any(&|a, b| a.group != b.group), any(&|a, b| a.dataset != b.dataset))
}

/// Each series named by what differs among them: `NO1 Oslo`, `NO2 Kristiansand` (same group and
/// dataset); `production`, `consumption` (same entity and group).
pub fn names(app: &App, drawn: &[Series]) -> Vec<String> {
    let (entity, group, dataset) = differs(drawn);
    let all = !(entity || group || dataset);
    drawn
        .iter()
        .map(|s| {
            let mut parts = Vec::new();
            if entity || all {
                parts.push(entity_name(app, s.dataset.entity(), &s.entity));
            }
            if group || all {
                parts.push(s.group.title());
            }
            if dataset {
                parts.push(s.dataset.to_string());
            }
            parts.join(" ")
        })
        .collect()
}

/// What the drawn series share, for the pane's title: `hydro` (areas compared), `NO2
/// Kristiansand all groups` (datasets compared).
pub fn shared(app: &App, drawn: &[Series]) -> String {
    let Some(first) = drawn.first() else { return String::new() };
    let (entity, group, dataset) = differs(drawn);
    let mut parts = Vec::new();
    if !entity {
        parts.push(entity_name(app, first.dataset.entity(), &first.entity));
    }
    if !group {
        parts.push(first.group.title());
    }
    if !dataset && drawn.len() > 1 {
        parts.push(first.dataset.to_string());
    }
    parts.join(" ")
}
