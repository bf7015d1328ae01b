//! The dataset catalogue: the one place that knows a dataset. Every other module asks a
//! `Dataset` for its Elhub name, entity, records key, group field, extra fields, resolution,
//! request window, first month and table names, so a further dataset of the same kind is one
//! entry in `CATALOGUE` (plus the replica's data for it), nothing else.

use std::fmt;
use std::str::FromStr;

use super::time::Month;

/// How sure we are of a dataset's response shape (ELHUB_API.md): an inferred detail that
/// proves wrong must cost a warning, not a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Seen in a real response or in working code that calls the real API.
    Verified,
    /// A reasoned guess (the records key, the first month).
    Inferred,
}

/// The time step of a dataset's records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    Hour,
    QuarterHour,
}

impl Resolution {
    /// Seconds from a record's start to its end.
    pub const fn seconds(self) -> i64 {
        match self {
            Resolution::Hour => 3600,
            Resolution::QuarterHour => 900,
        }
    }

    /// Records per hour.
    pub const fn per_hour(self) -> i64 {
        3600 / self.seconds()
    }

    /// `1 h` or `15 min`.
    pub fn label(self) -> &'static str {
        match self {
            Resolution::Hour => "1 h",
            Resolution::QuarterHour => "15 min",
        }
    }
}

/// The largest window one request may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowLimit {
    Month,
    Day,
}

/// What a dataset's records are per: the JSON:API entity of the request path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EntityKind {
    PriceArea,
    Municipality,
    GridArea,
}

impl EntityKind {
    pub const ALL: [EntityKind; 3] = [EntityKind::PriceArea, EntityKind::Municipality, EntityKind::GridArea];

    /// The request path: `/price-areas`, `/municipalities`, `/grid-areas`.
    pub fn path(self) -> &'static str {
        match self {
            EntityKind::PriceArea => "price-areas",
            EntityKind::Municipality => "municipalities",
            EntityKind::GridArea => "grid-areas",
        }
    }

    /// The field naming the entity inside a record, where the API has one (a municipality's
    /// records carry none: the entity says which).
    pub fn record_field(self) -> Option<&'static str> {
        match self {
            EntityKind::PriceArea => Some("priceArea"),
            EntityKind::Municipality => None,
            EntityKind::GridArea => Some("gridArea"),
        }
    }

    /// The API's name for the entity's id, used for MongoDB documents.
    pub fn document_field(self) -> &'static str {
        match self {
            EntityKind::PriceArea => "priceArea",
            EntityKind::Municipality => "municipalityNumber",
            EntityKind::GridArea => "gridArea",
        }
    }

    /// The first export column and Cassandra's entity column: `price_area`, `municipality`,
    /// `grid_area`.
    pub fn column(self) -> &'static str {
        match self {
            EntityKind::PriceArea => "price_area",
            EntityKind::Municipality => "municipality",
            EntityKind::GridArea => "grid_area",
        }
    }

    /// `price area`, `municipality`, `grid area`.
    pub fn noun(self) -> &'static str {
        match self {
            EntityKind::PriceArea => "price area",
            EntityKind::Municipality => "municipality",
            EntityKind::GridArea => "grid area",
        }
    }

    /// `Price areas`, `Municipalities`, `Grid areas`.
    pub fn title(self) -> &'static str {
        match self {
            EntityKind::PriceArea => "Price areas",
            EntityKind::Municipality => "Municipalities",
            EntityKind::GridArea => "Grid areas",
        }
    }

    /// The name stored in the stores' entity tables.
    pub fn as_str(self) -> &'static str {
        self.path()
    }

    pub fn from_path(path: &str) -> Option<EntityKind> {
        EntityKind::ALL.into_iter().find(|k| k.path() == path)
    }
}

impl fmt::Display for EntityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.noun())
    }
}

/// Everything the program knows about one dataset.
#[derive(Debug)]
pub struct DatasetSpec {
    /// The short name of `--dataset`, config files, the stores and the explorer.
    pub alias: &'static str,
    /// The API's `dataset=` value.
    pub api_name: &'static str,
    pub entity: EntityKind,
    /// The attribute of an entity that holds the records.
    pub records_key: &'static str,
    /// The record field (and API filter) that names the group.
    pub group_field: &'static str,
    /// The groups known to exist, in their usual order; the set stays open.
    pub groups: &'static [&'static str],
    /// Whether records carry `meteringPointCount`.
    pub metering_points: bool,
    pub resolution: Resolution,
    pub window: WindowLimit,
    /// The first month with data (the replica serves from here; the explorer's Home).
    pub first_month: Month,
    pub shape: Shape,
    /// What the numbers are, for `datasets` and the help.
    pub description: &'static str,
    /// Cassandra's table.
    pub table: &'static str,
    /// MongoDB's default collection.
    pub collection: &'static str,
}

const PRODUCTION_GROUPS: &[&str] = &["hydro", "wind", "thermal", "solar", "other"];
const CONSUMPTION_GROUPS: &[&str] = &["household", "cabin", "primary", "secondary", "tertiary"];

/// The datasets, in the order `d` cycles them and `datasets` lists them.
pub const CATALOGUE: &[DatasetSpec] = &[
    DatasetSpec {
        alias: "production",
        api_name: "PRODUCTION_PER_GROUP_MBA_HOUR",
        entity: EntityKind::PriceArea,
        records_key: "productionPerGroupMbaHour",
        group_field: "productionGroup",
        groups: PRODUCTION_GROUPS,
        metering_points: false,
        resolution: Resolution::Hour,
        window: WindowLimit::Month,
        first_month: Month::known(2021, 1),
        shape: Shape::Verified,
        description: "production per price area and group",
        table: "production_hourly",
        collection: "production",
    },
    DatasetSpec {
        alias: "consumption",
        api_name: "CONSUMPTION_PER_GROUP_MBA_HOUR",
        entity: EntityKind::PriceArea,
        records_key: "consumptionPerGroupMbaHour",
        group_field: "consumptionGroup",
        groups: CONSUMPTION_GROUPS,
        metering_points: true,
        resolution: Resolution::Hour,
        window: WindowLimit::Month,
        first_month: Month::known(2021, 1),
        shape: Shape::Verified,
        description: "consumption per price area and group",
        table: "consumption_hourly",
        collection: "consumption",
    },
    DatasetSpec {
        alias: "production-15min",
        api_name: "PRODUCTION_PER_GROUP_MBA_15MIN",
        entity: EntityKind::PriceArea,
        records_key: "productionPerGroupMba15Min",
        group_field: "productionGroup",
        groups: PRODUCTION_GROUPS,
        metering_points: false,
        resolution: Resolution::QuarterHour,
        window: WindowLimit::Month,
        // The Nordic 15-minute imbalance settlement began on 22 May 2023; the records key
        // and the first month are inferred.
        first_month: Month::known(2023, 5),
        shape: Shape::Inferred,
        description: "production per price area and group, quarter-hourly",
        table: "production_15min",
        collection: "production_15min",
    },
    DatasetSpec {
        alias: "consumption-municipality",
        api_name: "CONSUMPTION_PER_GROUP_MUNICIPALITY_HOUR",
        entity: EntityKind::Municipality,
        records_key: "consumptionPerGroupMunicipalityHour",
        group_field: "consumptionGroup",
        groups: &["private", "business", "industry"],
        metering_points: true,
        resolution: Resolution::Hour,
        window: WindowLimit::Day,
        first_month: Month::known(2021, 1),
        shape: Shape::Verified,
        description: "consumption per municipality and group",
        table: "consumption_municipality_hourly",
        collection: "consumption_municipality",
    },
    DatasetSpec {
        alias: "consumption-grid-area",
        api_name: "CONSUMPTION_PER_GROUP_MGA_HOUR",
        entity: EntityKind::GridArea,
        records_key: "consumptionPerGroupMgaHour",
        group_field: "consumptionGroup",
        groups: CONSUMPTION_GROUPS,
        metering_points: true,
        // The largest window is not known: a month is asked and split on 400.
        resolution: Resolution::Hour,
        window: WindowLimit::Month,
        first_month: Month::known(2021, 1),
        shape: Shape::Verified,
        description: "consumption per grid area and group",
        table: "consumption_grid_area_hourly",
        collection: "consumption_grid_area",
    },
];

/// One dataset of the catalogue; cheap to copy and compare.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Dataset(u8);

impl Dataset {
    pub const PRODUCTION: Dataset = Dataset(0);
    pub const CONSUMPTION: Dataset = Dataset(1);
    pub const PRODUCTION_15MIN: Dataset = Dataset(2);
    pub const CONSUMPTION_MUNICIPALITY: Dataset = Dataset(3);
    pub const CONSUMPTION_GRID_AREA: Dataset = Dataset(4);

    /// Every dataset, in catalogue order.
    pub fn all() -> impl Iterator<Item = Dataset> + Clone {
        (0..CATALOGUE.len() as u8).map(Dataset)
    }

    /// Position in `CATALOGUE`.
    pub fn index(self) -> usize {
        self.0 as usize
    }

    pub fn spec(self) -> &'static DatasetSpec {
        &CATALOGUE[self.0 as usize]
    }

    /// The alias: the name used on the command line, in config files and in stores.
    pub fn as_str(self) -> &'static str {
        self.spec().alias
    }

    pub fn api_name(self) -> &'static str {
        self.spec().api_name
    }

    pub fn entity(self) -> EntityKind {
        self.spec().entity
    }

    pub fn group_field(self) -> &'static str {
        self.spec().group_field
    }

    pub fn known_groups(self) -> &'static [&'static str] {
        self.spec().groups
    }

    /// Where a group sorts: the known groups in catalogue order, then any other alphabetically.
    pub fn group_rank(self, group: &str) -> (usize, &str) {
        let known = self.known_groups();
        (known.iter().position(|g| *g == group).unwrap_or(known.len()), group)
    }

    pub fn has_metering_points(self) -> bool {
        self.spec().metering_points
    }

    pub fn resolution(self) -> Resolution {
        self.spec().resolution
    }

    /// The next dataset in catalogue order (wrapping), for `d` in the explorer.
    pub fn next(self) -> Dataset {
        Dataset(((self.0 as usize + 1) % CATALOGUE.len()) as u8)
    }

    pub fn from_api_name(name: &str) -> Option<Dataset> {
        Dataset::all().find(|d| d.api_name().eq_ignore_ascii_case(name))
    }

    /// The aliases, for messages: `production, consumption, …`.
    pub fn aliases() -> String {
        Dataset::all().map(Dataset::as_str).collect::<Vec<_>>().join(", ")
    }
}

impl fmt::Debug for Dataset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Dataset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Dataset {
    type Err = String;
    /// The alias or the Elhub name, in any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        Dataset::all()
            .find(|d| d.as_str().eq_ignore_ascii_case(t) || d.api_name().eq_ignore_ascii_case(t))
            .ok_or_else(|| format!("unknown dataset '{s}' (expected one of {})", Dataset::aliases()))
    }
}

/// A Norwegian price area (bidding zone): the entities of the price-area datasets, with what
/// the program knows of them besides their id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PriceArea {
    NO1,
    NO2,
    NO3,
    NO4,
    NO5,
}

impl PriceArea {
    pub const ALL: [PriceArea; 5] =
        [PriceArea::NO1, PriceArea::NO2, PriceArea::NO3, PriceArea::NO4, PriceArea::NO5];

    pub fn as_str(self) -> &'static str {
        match self {
            PriceArea::NO1 => "NO1",
            PriceArea::NO2 => "NO2",
            PriceArea::NO3 => "NO3",
            PriceArea::NO4 => "NO4",
            PriceArea::NO5 => "NO5",
        }
    }

    pub fn eic(self) -> &'static str {
        match self {
            PriceArea::NO1 => "10YNO-1--------2",
            PriceArea::NO2 => "10YNO-2--------T",
            PriceArea::NO3 => "10YNO-3--------J",
            PriceArea::NO4 => "10YNO-4--------9",
            PriceArea::NO5 => "10Y1001A1001A48H",
        }
    }

    /// The largest city of the area, as people name the areas.
    pub fn city(self) -> &'static str {
        match self {
            PriceArea::NO1 => "Oslo",
            PriceArea::NO2 => "Kristiansand",
            PriceArea::NO3 => "Trondheim",
            PriceArea::NO4 => "Tromsø",
            PriceArea::NO5 => "Bergen",
        }
    }

    /// Position 0..5 in `ALL`.
    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for PriceArea {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for PriceArea {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let upper = s.trim().to_ascii_uppercase();
        PriceArea::ALL
            .into_iter()
            .find(|a| a.as_str() == upper)
            .ok_or_else(|| format!("unknown price area '{s}' (expected NO1, NO2, NO3, NO4 or NO5)"))
    }
}

super::time::deserialize_from_str!(Dataset, PriceArea);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datasets_parse_by_alias_or_elhub_name_in_any_case() {
        assert_eq!("Consumption".parse::<Dataset>(), Ok(Dataset::CONSUMPTION));
        assert_eq!("production-15MIN".parse::<Dataset>(), Ok(Dataset::PRODUCTION_15MIN));
        assert_eq!(
            "consumption_per_group_municipality_hour".parse::<Dataset>(),
            Ok(Dataset::CONSUMPTION_MUNICIPALITY)
        );
        assert_eq!("CONSUMPTION_PER_GROUP_MGA_HOUR".parse::<Dataset>(), Ok(Dataset::CONSUMPTION_GRID_AREA));
        let err = "exchange".parse::<Dataset>().unwrap_err();
        assert!(err.contains("unknown dataset 'exchange'") && err.contains("consumption-grid-area"), "{err}");
    }

    #[test]
    fn the_catalogue_is_consistent() {
        let mut names: Vec<&str> = Dataset::all().flat_map(|d| [d.as_str(), d.api_name()]).collect();
        let n = names.len();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), n, "aliases and Elhub names are unique");
        for names in [
            Dataset::all().map(|d| d.spec().table).collect::<Vec<_>>(),
            Dataset::all().map(|d| d.spec().collection).collect(),
        ] {
            let mut unique = names.clone();
            unique.sort();
            unique.dedup();
            assert_eq!(unique.len(), names.len(), "tables and collections are unique: {names:?}");
        }
        for d in Dataset::all() {
            let s = d.spec();
            assert!(s.records_key.chars().next().is_some_and(|c| c.is_ascii_lowercase()), "{d}");
            assert!(!s.groups.is_empty(), "{d}");
            assert_eq!(Dataset::from_api_name(s.api_name), Some(d));
            assert_eq!(s.alias.parse::<Dataset>(), Ok(d));
        }
        assert_eq!(Dataset::PRODUCTION.next(), Dataset::CONSUMPTION);
        assert_eq!(Dataset::CONSUMPTION_GRID_AREA.next(), Dataset::PRODUCTION);
        assert_eq!(Dataset::CONSUMPTION_MUNICIPALITY.spec().window, WindowLimit::Day);
        assert_eq!(Dataset::PRODUCTION_15MIN.resolution().seconds(), 900);
    }

    #[test]
    fn areas_parse_case_insensitively() {
        assert_eq!("no4".parse::<PriceArea>(), Ok(PriceArea::NO4));
        assert_eq!(PriceArea::NO4.city(), "Tromsø");
        assert!("NO6".parse::<PriceArea>().is_err());
        assert_eq!(EntityKind::from_path("grid-areas"), Some(EntityKind::GridArea));
    }
}
