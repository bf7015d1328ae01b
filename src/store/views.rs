//! The SQL interface an analyst queries (README, "The store as SQL"): a view per dataset named
//! after its alias (`production`, `consumption_municipality`, …) with the columns of the
//! Parquet export, a view of the entities and one of the months stored. They are part of the
//! schema, versioned with it and made again by its migrations; their columns are a stable
//! interface. Written once here for every SQL store (SQLite now; PostgreSQL takes the same
//! shape).

use crate::model::{Dataset, EntityKind};

/// The columns of a dataset's view, in order, as the README documents them.
pub fn columns(dataset: Dataset) -> Vec<&'static str> {
    let mut c = vec!["start_utc", "start_local", dataset.entity().column(), "entity_name", "grp", "kwh"];
    if dataset.has_metering_points() {
        c.push("metering_points");
    }
    c.push("last_updated");
    c
}

/// The view's name: the alias with `_` for `-`.
pub fn view_name(dataset: Dataset) -> String {
    dataset.as_str().replace('-', "_")
}

/// Every view's name, datasets first.
pub fn all_names() -> Vec<String> {
    let mut names: Vec<String> = Dataset::all().map(view_name).collect();
    names.extend(["entities".to_string(), "stored_months".to_string()]);
    names
}

/// The statements that make SQLite's views (each dropped first, so a migration can change one).
/// Times are Unix seconds in the tables: `start_local` takes Oslo's offset at the instant from
/// `oslo_offsets` (one row per change of offset, written by the program from the EU rule), so
/// the view is DST-exact without a time zone database in SQLite.
pub fn sqlite_statements() -> Vec<String> {
    let mut out: Vec<String> = all_names().iter().map(|n| format!("DROP VIEW IF EXISTS {n}")).collect();
    let iso = |col: &str| format!("strftime('%Y-%m-%dT%H:%M:%SZ', {col}, 'unixepoch')");
    for dataset in Dataset::all() {
        let metering =
            if dataset.has_metering_points() { "\n    t.metering_points AS metering_points," } else { "" };
        out.push(format!(
            "CREATE VIEW {view} AS
SELECT
    {start} AS start_utc,
    strftime('%Y-%m-%dT%H:%M:%S', t.start_utc + t.off, 'unixepoch')
        || CASE WHEN t.off = 7200 THEN '+02:00' ELSE '+01:00' END AS start_local,
    t.entity AS {entity},
    coalesce(e.display_name, t.entity) AS entity_name,
    t.grp AS grp,
    t.quantity_kwh AS kwh,{metering}
    {updated} AS last_updated
FROM (
    SELECT s.entity, s.grp, r.start_utc, r.quantity_kwh, r.last_updated, r.metering_points,
        (SELECT o.offset_secs FROM oslo_offsets o WHERE o.since_utc <= r.start_utc
         ORDER BY o.since_utc DESC LIMIT 1) AS off
    FROM series s JOIN records r ON r.series_id = s.id
    WHERE s.dataset = '{alias}'
) t
LEFT JOIN entity_names e ON e.kind = '{kind}' AND e.id = t.entity",
            view = view_name(dataset),
            start = iso("t.start_utc"),
            entity = dataset.entity().column(),
            updated = iso("t.last_updated"),
            kind = dataset.entity().path(),
            alias = dataset.as_str(),
        ));
    }
    out.push(format!(
        "CREATE VIEW entities AS
SELECT
    CASE kind {} END AS kind,
    id,
    display_name AS name,
    name AS name_as_sent,
    price_area
FROM entity_names",
        EntityKind::ALL
            .iter()
            .map(|k| format!("WHEN '{}' THEN '{}'", k.path(), k.column()))
            .collect::<Vec<_>>()
            .join(" ")
    ));
    out.push(format!(
        "CREATE VIEW stored_months AS
SELECT dataset, month, records, rejected, {} AS fetched_at
FROM fetched_windows",
        iso("fetched_at")
    ));
    out
}

/// The statements that make PostgreSQL's views in schema `s` (quoted): the same columns, with
/// `start_utc` and `last_updated` as `timestamptz` (what Grafana's time macros take) and
/// `start_local` from `AT TIME ZONE 'Europe/Oslo'`, whatever the session's time zone.
pub fn postgres_statements(s: &str) -> Vec<String> {
    let mut out: Vec<String> = all_names().iter().map(|n| format!("DROP VIEW IF EXISTS {s}.{n}")).collect();
    for dataset in Dataset::all() {
        let metering = if dataset.has_metering_points() {
            "\n    r.metering_points::int8 AS metering_points,"
        } else {
            ""
        };
        out.push(format!(
            "CREATE VIEW {s}.{view} AS
SELECT
    r.start_utc AS start_utc,
    to_char(r.start_utc AT TIME ZONE 'Europe/Oslo', 'YYYY-MM-DD\"T\"HH24:MI:SS')
        || CASE WHEN (r.start_utc AT TIME ZONE 'Europe/Oslo') - (r.start_utc AT TIME ZONE 'UTC') = interval '2 hours'
           THEN '+02:00' ELSE '+01:00' END AS start_local,
    se.entity AS {entity},
    coalesce(e.display_name, se.entity) AS entity_name,
    se.grp AS grp,
    r.kwh AS kwh,{metering}
    r.last_updated AS last_updated
FROM {s}.series se
JOIN {s}.records r ON r.series_id = se.id
LEFT JOIN {s}.entity_names e ON e.kind = '{kind}' AND e.id = se.entity
WHERE se.dataset = '{alias}'",
            view = view_name(dataset),
            entity = dataset.entity().column(),
            kind = dataset.entity().path(),
            alias = dataset.as_str(),
        ));
    }
    out.push(format!(
        "CREATE VIEW {s}.entities AS
SELECT CASE kind {} END AS kind, id, display_name AS name, name AS name_as_sent, price_area
FROM {s}.entity_names",
        EntityKind::ALL
            .iter()
            .map(|k| format!("WHEN '{}' THEN '{}'", k.path(), k.column()))
            .collect::<Vec<_>>()
            .join(" ")
    ));
    out.push(format!(
        "CREATE VIEW {s}.stored_months AS
SELECT dataset, month, records, rejected, fetched_at FROM {s}.fetched_windows"
    ));
    out
}
