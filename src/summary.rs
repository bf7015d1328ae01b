//! The `summary` command's figures and their three forms. Per local year: each entity's total
//! per group from the stored monthly rollups, grid areas summed per price area they lie in,
//! and a total over every entity shown (all of Norway when nothing is filtered). Groups sort in
//! catalogue order (`Dataset::group_rank`), each block ends with its `all` group. The table
//! prints every total in one unit; CSV and JSON give the same rows in kWh (or `--unit`).

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::model::{count, grouped, printable, Dataset, Entity, EntityKind, PriceArea};
use crate::store::{self, GroupTotal, Scope, Store};

/// How `summary` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SummaryFormat {
    /// Aligned columns for people, every total in one unit.
    Table,
    /// One row per year, level, entity and group, for spreadsheets and scripts.
    Csv,
    /// The same rows as a JSON array of objects.
    Json,
}

/// An energy unit for `summary`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EnergyUnit {
    #[value(name = "kWh")]
    Kwh,
    #[value(name = "MWh")]
    Mwh,
    #[value(name = "GWh")]
    Gwh,
    #[value(name = "TWh")]
    Twh,
}

impl EnergyUnit {
    pub const ALL: [EnergyUnit; 4] = [EnergyUnit::Kwh, EnergyUnit::Mwh, EnergyUnit::Gwh, EnergyUnit::Twh];

    /// kWh in one of this unit.
    pub fn kwh(self) -> f64 {
        match self {
            EnergyUnit::Kwh => 1.0,
            EnergyUnit::Mwh => 1e3,
            EnergyUnit::Gwh => 1e6,
            EnergyUnit::Twh => 1e9,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            EnergyUnit::Kwh => "kWh",
            EnergyUnit::Mwh => "MWh",
            EnergyUnit::Gwh => "GWh",
            EnergyUnit::Twh => "TWh",
        }
    }

    /// The unit of a column whose largest value is `max_kwh`: the smallest in which it has at
    /// most six digits before the point, so small rows keep their digits beside large ones.
    pub fn for_column(max_kwh: f64) -> EnergyUnit {
        EnergyUnit::ALL.into_iter().find(|u| max_kwh.abs() / u.kwh() < 1e6).unwrap_or(EnergyUnit::Twh)
    }
}

/// Which kind of total a row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// One entity: a price area, a municipality, a grid area.
    Entity,
    /// The grid areas of one price area, summed.
    Area,
    /// Every entity shown, summed: entity `all`.
    All,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Entity => "entity",
            Level::Area => "area",
            Level::All => "all",
        }
    }
}

/// One line of a summary: the total of one group (or `all` groups) of one entity (or sum of
/// entities) over a local year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    pub year: i32,
    pub level: Level,
    /// `NO1`, `0301`, a grid area's EIC; `all` for the total over entities.
    pub entity: String,
    /// The city, municipality or grid area name; `Norway`, or `3 grid areas` for a sum.
    pub name: String,
    /// A group, or `all` for the block's total.
    pub group: String,
    pub kwh: f64,
    /// Records behind the total, to show how complete it is.
    pub records: u64,
}

/// One entity's (or sum's) totals per group.
struct Block {
    level: Level,
    id: String,
    name: String,
    totals: Vec<GroupTotal>,
}

/// What to summarise: the entities (sorted) and whether they are all of the dataset's.
pub struct Selection {
    pub ids: Vec<String>,
    pub filtered: bool,
}

/// The rows of one year's months `first..=last` (the whole year, or the part of it a range
/// takes): entities, then (for grid areas) price areas, then the total over the entities shown
/// when there is more than one.
pub async fn year_rows(
    store: &Store,
    dataset: Dataset,
    (first, last): (crate::model::Month, crate::model::Month),
    selection: &Selection,
    names: &[Entity],
) -> store::Result<Vec<Row>> {
    let year = first.year();
    let kind = dataset.entity();
    let mut blocks = Vec::new();
    for id in &selection.ids {
        let totals = store.totals_between(dataset, &Scope::Entity(id.clone()), first, last).await?;
        blocks.push(Block {
            level: Level::Entity,
            id: id.clone(),
            name: entity_label(kind, id, names),
            totals,
        });
    }
    if kind == EntityKind::GridArea {
        blocks.extend(by_price_area(&blocks, names));
    }
    let shown = blocks.iter().filter(|b| b.level == Level::Entity && !b.totals.is_empty()).count();
    // Filtered to one price area, its grid areas already have their sum in the area's block.
    let one_area = selection.filtered && blocks.iter().filter(|b| b.level == Level::Area).count() == 1;
    if selection.ids.len() > 1 && shown > 0 && !one_area {
        let (name, totals) = if selection.filtered {
            let entities = blocks.iter().filter(|b| b.level == Level::Entity);
            (count(shown, kind.noun()), sum_totals(entities))
        } else {
            ("Norway".to_string(), store.totals_between(dataset, &Scope::All, first, last).await?)
        };
        blocks.push(Block { level: Level::All, id: "all".into(), name, totals });
    }
    Ok(rows(dataset, year, blocks))
}

/// Blocks to rows: groups in catalogue order, then the block's `all` row.
fn rows(dataset: Dataset, year: i32, blocks: Vec<Block>) -> Vec<Row> {
    let mut out = Vec::new();
    for mut block in blocks.into_iter().filter(|b| !b.totals.is_empty()) {
        block.totals.sort_by(|a, b| dataset.group_rank(&a.group).cmp(&dataset.group_rank(&b.group)));
        let row = |group: &str, kwh: f64, records: u64| Row {
            year,
            level: block.level,
            entity: block.id.clone(),
            name: block.name.clone(),
            group: group.to_string(),
            kwh,
            records,
        };
        for t in &block.totals {
            out.push(row(&t.group, t.kwh, t.count));
        }
        let (kwh, records) = block.totals.iter().fold((0.0, 0), |(k, n), t| (k + t.kwh, n + t.count));
        out.push(row("all", kwh, records));
    }
    out
}

/// Per group, the sum over blocks.
fn sum_totals<'a>(blocks: impl Iterator<Item = &'a Block>) -> Vec<GroupTotal> {
    let mut totals: Vec<GroupTotal> = Vec::new();
    for t in blocks.flat_map(|b| &b.totals) {
        match totals.iter_mut().find(|x| x.group == t.group) {
            Some(x) => {
                x.kwh += t.kwh;
                x.count += t.count;
            }
            None => totals.push(t.clone()),
        }
    }
    totals
}

/// How an entity is named: a price area by its city, others by their stored name.
pub fn entity_label(kind: EntityKind, id: &str, names: &[Entity]) -> String {
    match kind {
        EntityKind::PriceArea => {
            id.parse::<PriceArea>().map_or_else(|_| String::new(), |a| a.city().to_string())
        }
        _ => names.iter().find(|e| e.id == id).map_or_else(String::new, |e| e.display_name().into_owned()),
    }
}

/// Grid areas summed per price area they lie in: a block per area, `NO1` named
/// `27 grid areas`.
fn by_price_area(blocks: &[Block], entities: &[Entity]) -> Vec<Block> {
    let mut out = Vec::new();
    for area in PriceArea::ALL {
        let inside: Vec<&Block> = blocks
            .iter()
            .filter(|b| !b.totals.is_empty())
            .filter(|b| {
                entities.iter().any(|e| e.id == b.id && e.price_area.as_deref() == Some(area.as_str()))
            })
            .collect();
        if inside.is_empty() {
            continue;
        }
        out.push(Block {
            level: Level::Area,
            id: area.to_string(),
            name: count(inside.len(), EntityKind::GridArea.noun()),
            totals: sum_totals(inside.into_iter()),
        });
    }
    out
}

/// The unit of the table and the value column: `--unit`, else one that suits the largest total.
pub fn unit_for(rows: &[Row], unit: Option<EnergyUnit>) -> EnergyUnit {
    unit.unwrap_or_else(|| EnergyUnit::for_column(rows.iter().map(|r| r.kwh.abs()).fold(0.0, f64::max)))
}

/// The aligned table of one year, every total in `unit` with one decimal.
/// A year's table: `title` names its months (`2021`, `2021-06..2021-08`) and what is stored of
/// them; with `only`, only that group's rows (their shares still of their block's total).
pub fn table(dataset: Dataset, title: &str, rows: &[Row], unit: EnergyUnit, only: Option<&str>) -> String {
    let mut s = String::new();
    let kind = dataset.entity();
    let (column, name) = match kind {
        EntityKind::PriceArea => ("area", "city"),
        _ => (kind.column(), "name"),
    };
    let cells: Vec<[String; 3]> = rows
        .iter()
        .map(|r| {
            [
                printable(&r.entity).into_owned(),
                printable(&r.name).into_owned(),
                printable(&r.group).into_owned(),
            ]
        })
        .collect();
    let width = |i: usize, header: &str, max: usize| {
        cells.iter().map(|c| c[i].chars().count()).chain([header.chars().count()]).max().unwrap_or(0).min(max)
    };
    let (id_w, name_w, group_w) = (width(0, column, 18), width(1, name, 24), width(2, "group", 16));
    let total = format!("total {}", unit.name());
    let values: Vec<String> = rows.iter().map(|r| tenths(r.kwh / unit.kwh())).collect();
    let value_w = values.iter().map(String::len).chain([total.len()]).max().unwrap_or(0);
    let _ = writeln!(s, "{dataset} {title} (Europe/Oslo), totals in {}", unit.name());
    let _ = writeln!(
        s,
        "{column:<id_w$} {name:<name_w$} {:<group_w$} {total:>value_w$} {:>6} {:>6}",
        "group", "share", "hours"
    );
    let per_hour = dataset.resolution().per_hour() as u64;
    let mut block_total = 0.0;
    for (i, (r, [id, label, group])) in rows.iter().zip(&cells).enumerate() {
        // The block's `all` row closes it; its total is the shares' denominator.
        if i == 0 || rows[i - 1].group == "all" {
            block_total = rows[i..].iter().find(|x| x.group == "all").map_or(0.0, |x| x.kwh);
        }
        if only.is_some_and(|g| g != r.group) {
            continue;
        }
        let label = clip(label, name_w);
        let value = &values[i];
        let mut line = format!("{id:<id_w$} {label:<name_w$} {group:<group_w$} {value:>value_w$}");
        if r.group != "all" {
            let share = if block_total > 0.0 { 100.0 * r.kwh / block_total } else { 0.0 };
            let _ = write!(line, " {:>6}", format!("{}%", tenths(share)));
            // Hours say how complete one entity's year is; a sum over entities has no such figure.
            if r.level == Level::Entity {
                let _ = write!(line, " {:>6}", r.records / per_hour);
            }
        }
        let _ = writeln!(s, "{line}");
    }
    if rows.is_empty() {
        let _ = writeln!(s, "(nothing stored for {title}; --ingest-only --dataset {dataset} fetches it)");
    }
    let _ = writeln!(s);
    s
}

/// One decimal with thousands separators; a value too small to show but not zero is `<0.1`,
/// so a small total never reads as nothing.
fn tenths(value: f64) -> String {
    if value != 0.0 && value.abs() < 0.05 {
        return if value > 0.0 { "<0.1".into() } else { ">-0.1".into() };
    }
    grouped(value, 1)
}

/// Cuts text to `width` characters, marking the cut with `…`.
fn clip(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    text.chars().take(width.saturating_sub(1)).chain(['…']).collect()
}

/// The value column's name: `kwh`, or the unit asked for in lower case.
pub fn value_column(unit: Option<EnergyUnit>) -> String {
    unit.map_or("kwh", EnergyUnit::name).to_lowercase()
}

/// A total in kWh (or `unit`) to the Wh the API's quantities carry, so sums print without
/// floating-point noise (`257500709.983`, not `257500709.98299998`).
pub fn in_unit(kwh: f64, unit: Option<EnergyUnit>) -> f64 {
    let (per, places) = match unit {
        None | Some(EnergyUnit::Kwh) => (1.0, 3),
        Some(EnergyUnit::Mwh) => (1e3, 6),
        Some(EnergyUnit::Gwh) => (1e6, 9),
        Some(EnergyUnit::Twh) => (1e9, 12),
    };
    format!("{:.*}", places, kwh / per).parse().unwrap_or(kwh / per)
}

/// CSV with a header: `year,level,entity,name,group,kwh,records`. Values are rounded to the Wh
/// (`in_unit`); with `escape` (a terminal), control characters in names become visible escapes.
pub fn csv(rows: &[Row], unit: Option<EnergyUnit>, escape: bool) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let value = value_column(unit);
    w.write_record(["year", "level", "entity", "name", "group", value.as_str(), "records"])?;
    let text = |t: &str| if escape { printable(t).into_owned() } else { t.to_string() };
    for r in rows {
        w.write_record([
            r.year.to_string(),
            r.level.as_str().to_string(),
            text(&r.entity),
            text(&r.name),
            text(&r.group),
            in_unit(r.kwh, unit).to_string(),
            r.records.to_string(),
        ])?;
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

/// A JSON array of the rows; with `--unit`, the value field is named for it and scaled.
pub fn json(rows: &[Row], unit: Option<EnergyUnit>) -> serde_json::Result<Vec<u8>> {
    let value = value_column(unit);
    let objects: Vec<serde_json::Map<String, serde_json::Value>> = rows
        .iter()
        .map(|r| {
            let mut o = serde_json::Map::new();
            o.insert("year".into(), r.year.into());
            o.insert("level".into(), r.level.as_str().into());
            o.insert("entity".into(), r.entity.as_str().into());
            o.insert("name".into(), r.name.as_str().into());
            o.insert("group".into(), r.group.as_str().into());
            o.insert(value.clone(), in_unit(r.kwh, unit).into());
            o.insert("records".into(), r.records.into());
            o
        })
        .collect();
    let mut out = serde_json::to_vec_pretty(&objects)?;
    out.push(b'\n');
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(level: Level, id: &str, totals: &[(&str, f64)]) -> Block {
        Block {
            level,
            id: id.into(),
            name: id.into(),
            totals: totals
                .iter()
                .map(|(g, k)| GroupTotal { group: g.to_string(), kwh: *k, count: 24 })
                .collect(),
        }
    }

    #[test]
    fn groups_follow_the_catalogue_then_the_alphabet_and_blocks_end_with_all() {
        let d = Dataset::PRODUCTION;
        let rows = rows(
            d,
            2021,
            vec![block(
                Level::Entity,
                "NO1",
                &[("zeta", 1.0), ("wind", 2.0), ("hydro", 3.0), ("alpha", 4.0)],
            )],
        );
        let groups: Vec<&str> = rows.iter().map(|r| r.group.as_str()).collect();
        let hydro = d.known_groups().iter().position(|g| *g == "hydro").unwrap();
        let wind = d.known_groups().iter().position(|g| *g == "wind").unwrap();
        assert_eq!(groups.len(), 5);
        assert_eq!(groups[4], "all");
        assert_eq!(rows[4].kwh, 10.0);
        assert_eq!(rows[4].records, 96);
        assert_eq!(&groups[2..4], ["alpha", "zeta"], "unknown groups after the known ones, alphabetically");
        assert_eq!(groups[0], if hydro < wind { "hydro" } else { "wind" });
    }

    fn rows_of(totals: &[(&str, f64)]) -> Vec<Row> {
        rows(Dataset::PRODUCTION, 2021, vec![block(Level::Entity, "NO1", totals)])
    }

    #[test]
    fn one_unit_per_column_keeps_six_digits() {
        assert_eq!(EnergyUnit::for_column(150e9), EnergyUnit::Gwh);
        assert_eq!(EnergyUnit::for_column(50e6), EnergyUnit::Mwh);
        assert_eq!(EnergyUnit::for_column(999_999.0), EnergyUnit::Kwh);
        assert_eq!(EnergyUnit::for_column(5e18), EnergyUnit::Twh);
        let rows = rows(
            Dataset::PRODUCTION,
            2021,
            vec![block(Level::Entity, "NO1", &[("hydro", 20e9), ("wind", 1e6)])],
        );
        let t = table(Dataset::PRODUCTION, "2021 (local year)", &rows, unit_for(&rows, None), None);
        assert!(t.contains("totals in GWh"), "{t}");
        assert!(t.contains("20,000.0"), "{t}");
        assert!(t.contains("     1.0 "), "the small row in the same unit:\n{t}");
        assert!(t.contains("100.0%"), "hydro's share of 20,000.001 GWh:\n{t}");
        assert!(t.contains("  <0.1%"), "wind's 0.005 % is small, not nothing:\n{t}");
        let tiny = rows_of(&[("hydro", 20e9), ("solar", 1e3)]);
        let t = table(Dataset::PRODUCTION, "2021 (local year)", &tiny, unit_for(&tiny, None), None);
        assert!(t.lines().any(|l| l.contains("solar") && l.contains(" <0.1 ")), "1 MWh in GWh:\n{t}");
        let forced = table(Dataset::PRODUCTION, "2021 (local year)", &rows, EnergyUnit::Twh, None);
        assert!(forced.contains("20.0") && forced.contains("totals in TWh"), "{forced}");
    }

    #[test]
    fn grid_areas_sum_per_price_area() {
        let entity = |id: &str, area: &str| Entity {
            kind: EntityKind::GridArea,
            id: id.into(),
            name: id.into(),
            price_area: Some(area.into()),
        };
        let names = [entity("A", "NO1"), entity("B", "NO1"), entity("C", "NO5")];
        let blocks = [
            block(Level::Entity, "A", &[("household", 1.0)]),
            block(Level::Entity, "B", &[("household", 2.0), ("industry", 5.0)]),
            block(Level::Entity, "C", &[("household", 4.0)]),
        ];
        let areas = by_price_area(&blocks, &names);
        assert_eq!(areas.len(), 2);
        assert_eq!((areas[0].id.as_str(), areas[0].name.as_str()), ("NO1", "2 grid areas"));
        assert_eq!(areas[0].totals.iter().map(|t| t.kwh).sum::<f64>(), 8.0);
        assert_eq!(areas[1].id, "NO5");
    }

    #[test]
    fn names_from_the_network_are_printed_safely() {
        let rows = rows(
            Dataset::PRODUCTION,
            2021,
            vec![block(Level::Entity, "NO1", &[("evil\u{1b}]0;x\u{7}", 1.0)])],
        );
        let t = table(Dataset::PRODUCTION, "2021 (local year)", &rows, EnergyUnit::Kwh, None);
        assert!(!t.chars().any(|c| c.is_control() && c != '\n'), "{t:?}");
        assert!(t.contains("evil\\u{1b}]0;x\\u{7}"));
        let raw = String::from_utf8(csv(&rows, None, false).unwrap()).unwrap();
        assert!(raw.contains('\u{1b}'), "a file keeps the name as stored");
        let shown = String::from_utf8(csv(&rows, None, true).unwrap()).unwrap();
        assert!(!shown.contains('\u{1b}'), "{shown:?}");
    }

    #[test]
    fn csv_and_json_carry_the_unit_in_the_column_name() {
        let rows = rows(Dataset::PRODUCTION, 2021, vec![block(Level::Entity, "NO1", &[("hydro", 2.5e6)])]);
        let text = String::from_utf8(csv(&rows, Some(EnergyUnit::Gwh), false).unwrap()).unwrap();
        assert!(text.starts_with("year,level,entity,name,group,gwh,records\n"), "{text}");
        assert!(text.contains("2021,entity,NO1,NO1,hydro,2.5,24"), "{text}");
        let v: serde_json::Value = serde_json::from_slice(&json(&rows, None).unwrap()).unwrap();
        assert_eq!(v[0]["kwh"], 2.5e6);
        assert_eq!(v[1]["group"], "all");
        assert_eq!(in_unit(257_500_709.982_999_98, None).to_string(), "257500709.983");
        assert_eq!(in_unit(0.1 + 0.2, Some(EnergyUnit::Mwh)).to_string(), "0.0003");
    }
}
