//! The command-line contract (DESIGN.md): the TUI by default, `--ingest-only`, `export`,
//! `summary`, `datasets` and `replica`, with the shared options. Every option also reads
//! `ELHUB_*`.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::export::ExportFormat;
use crate::model::{Dataset, Month, PriceArea};
use crate::store::StoreKind;
use crate::summary::{EnergyUnit, SummaryFormat};

const AFTER_HELP: &str = "\
Files:
  config   --config PATH, else ./config.toml, else $XDG_CONFIG_HOME/elhub-explorer/config.toml
  store    $XDG_DATA_HOME/elhub-explorer/elhub.sqlite (default ~/.local/share/elhub-explorer/)
  logs     $XDG_STATE_HOME/elhub-explorer/elhub-explorer.log (default ~/.local/state/elhub-explorer/)

Exit codes: 0 done, 1 failed, 2 usage or configuration error,
            3 partly done (some months or sinks failed; a rerun completes them)

Offline: `elhub-explorer replica` serves a local copy of the API's shape;
         then `elhub-explorer --api-url http://127.0.0.1:8080 --ingest-only`.";

#[derive(Debug, Parser)]
#[command(name = "elhub-explorer", version, about, after_help = AFTER_HELP)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Fetch the range into the sinks, print a summary and exit (no terminal UI; for cron).
    #[arg(long)]
    pub ingest_only: bool,

    /// Also refetch what Elhub has revised since the last sync (asking its change feed; if the
    /// feed fails: the last months of the range and any month fetched before it settled).
    #[arg(long, conflicts_with = "force")]
    pub refresh: bool,

    /// Refetch every month of the range, complete or not.
    #[arg(long)]
    pub force: bool,

    /// Explorer: draw with ASCII only (no block, braille or box glyphs in the data).
    /// ELHUB_ASCII takes 1/0, true/false, yes/no, on/off.
    #[arg(long, env = "ELHUB_ASCII", action = clap::ArgAction::SetTrue, value_parser = clap::builder::BoolishValueParser::new())]
    pub ascii: bool,

    /// Explorer: start from the default view rather than the one the last run ended on.
    #[arg(long)]
    pub fresh: bool,

    /// Explorer: open on this entity: a price area (NO1, Bergen), a municipality (0301, oslo)
    /// or a grid area (its EIC or name); ignoring case and accents.
    #[arg(long, value_name = "ID|NAME")]
    pub entity: Option<String>,

    #[command(flatten)]
    pub store: StoreOptions,
    #[command(flatten)]
    pub range: RangeOptions,
    #[command(flatten)]
    pub fetch: FetchOptions,
}

/// The command-line definition as it is parsed, completed and documented. A subcommand's copies
/// of the store and range options read no environment: the environment reaches them through the
/// top-level copies, so a flag beats a variable wherever it stands
/// (`ELHUB_DB=/a elhub-explorer --db /b summary` reads /b).
pub fn command() -> clap::Command {
    use clap::CommandFactory;
    let mut cmd = Cli::command();
    for sub in ["export", "summary", "datasets", "entities", "rebuild-rollups"] {
        cmd = cmd.mut_subcommand(sub, |s| {
            let ids: Vec<clap::Id> =
                s.get_arguments().filter(|a| a.get_env().is_some()).map(|a| a.get_id().clone()).collect();
            ids.into_iter()
                .fold(s, |s, id| s.mut_arg(id, |a| a.env(None)))
                .after_help("Every option also reads its ELHUB_* variable (see elhub-explorer --help).")
        });
    }
    cmd
}

impl Cli {
    /// Parses `args` (the program's name first) with `command()`.
    pub fn parse_args<I, T>(args: I) -> Result<Cli, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        use clap::FromArgMatches;
        Cli::from_arg_matches(&command().try_get_matches_from(args)?)
    }

    /// The options as given, a subcommand's own before those given ahead of it
    /// (`elhub-explorer --dataset consumption export` works as `export --dataset consumption`).
    pub fn options(&self) -> Options {
        let (store, range) = match &self.command {
            Some(Command::Export(a)) => (Some(&a.store), Some(&a.range)),
            Some(Command::Summary(a)) => (Some(&a.store), Some(&a.range)),
            Some(Command::Datasets(a)) => (Some(&a.store), None),
            Some(Command::Entities(a)) => (Some(&a.store), None),
            Some(Command::RebuildRollups(a)) => (Some(&a.store), None),
            _ => (None, None),
        };
        Options {
            store: store.map_or_else(|| self.store.clone(), |s| s.or(&self.store)),
            range: range.map_or_else(|| self.range.clone(), |r| r.or(&self.range)),
            fetch: self.fetch.clone(),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write the stored records as canonical CSV, JSON or Parquet, sorted by entity, group and
    /// start.
    Export(ExportArgs),
    /// Print annual totals per entity and group, and for all entities together.
    Summary(SummaryArgs),
    /// List the datasets the program knows, with what the store holds of each.
    Datasets(DatasetsArgs),
    /// List the entities of a dataset (price areas, municipalities or grid areas): id, name,
    /// price area, and whether anything of them is stored.
    Entities(EntitiesArgs),
    /// Recompute the rollups (daily and monthly totals) from the stored records: every dataset,
    /// or the one given with --dataset.
    RebuildRollups(RebuildArgs),
    /// Serve a local replica of the Elhub API (deterministic data, optional faults).
    Replica(ReplicaArgs),
    /// Print a shell completion script: bash, zsh, fish, powershell or elvish.
    Completions(CompletionsArgs),
    /// Print the manual page (roff), or write one per command into a directory.
    Man(ManArgs),
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Output format (default: from the -o file's extension, .json or .parquet, else csv).
    #[arg(long, value_enum)]
    pub format: Option<ExportFormat>,
    /// Only this price area (for grid areas: those that lie in it).
    #[arg(long, value_parser = parse_area())]
    pub area: Option<PriceArea>,
    /// Only this entity: a price area (NO1, Bergen), a municipality (0301, oslo, tromso) or a
    /// grid area (its EIC or name); ignoring case and accents.
    #[arg(long, value_name = "ID|NAME")]
    pub entity: Option<String>,
    /// Only this group (e.g. hydro, household).
    #[arg(long)]
    pub group: Option<String>,
    /// Write to FILE instead of standard output (written whole or not at all; `-` is standard
    /// output); with --partition, the directory of the tree.
    #[arg(short = 'o', long = "output", value_name = "FILE|DIR")]
    pub output: Option<PathBuf>,
    /// With --format parquet and -o DIR: a Hive-style tree, dataset=…/year=…/part-0.parquet,
    /// that Spark, DuckDB, polars and pyarrow read as one table.
    #[arg(long)]
    pub partition: bool,
    /// When a month of the range is not complete in the store (failed, fetched while under
    /// way, never fetched): exit 1 writing nothing, instead of a warning.
    #[arg(long)]
    pub strict: bool,
    #[command(flatten)]
    pub store: StoreOptions,
    #[command(flatten)]
    pub range: RangeOptions,
}

#[derive(Debug, Args)]
pub struct SummaryArgs {
    /// Only this price area (for grid areas: those that lie in it).
    #[arg(long, value_parser = parse_area())]
    pub area: Option<PriceArea>,
    /// Only this entity: a price area (NO1, Bergen), a municipality (0301, oslo, tromso) or a
    /// grid area (its EIC or name); ignoring case and accents.
    #[arg(long, value_name = "ID|NAME")]
    pub entity: Option<String>,
    /// Only this group (e.g. hydro, household).
    #[arg(long)]
    pub group: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: SummaryFormat,
    /// Unit of the totals (default: the table picks one that suits the largest total; CSV and
    /// JSON give kWh). CSV and JSON name their value field after it.
    #[arg(long, value_enum, ignore_case = true)]
    pub unit: Option<EnergyUnit>,
    /// When a month of the range is not complete in the store (failed, fetched while under
    /// way, never fetched): exit 1 writing nothing, instead of a warning.
    #[arg(long)]
    pub strict: bool,
    #[command(flatten)]
    pub store: StoreOptions,
    #[command(flatten)]
    pub range: RangeOptions,
}

#[derive(Debug, Args)]
pub struct DatasetsArgs {
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: ListFormat,
    #[command(flatten)]
    pub store: StoreOptions,
}

#[derive(Debug, Args)]
pub struct EntitiesArgs {
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: ListFormat,
    #[command(flatten)]
    pub store: StoreOptions,
}

#[derive(Debug, Args)]
pub struct RebuildArgs {
    #[command(flatten)]
    pub store: StoreOptions,
}

/// How `datasets` and `entities` print their list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ListFormat {
    /// Aligned for a terminal, within 80 columns.
    Table,
    Csv,
    Json,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write elhub-explorer.1 and a page per subcommand (elhub-explorer-export.1, …) here
    /// instead of printing the main page.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell: bash, zsh, fish, powershell or elvish.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
    /// Write the script to FILE (whole or not at all) instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ReplicaArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", env = "ELHUB_REPLICA_LISTEN")]
    pub listen: SocketAddr,
    /// Faults each request gets on its first attempts, comma-separated: 503, 429, 429:SECONDS,
    /// 429:none, 429at:SECONDS, truncated, malformed, slow:MS, slowbody:MS, empty, nodata,
    /// outside, endless, huge, hostile, nodatamember, invalid, redirectloop, dropentity.
    #[arg(long, default_value = "")]
    pub faults: String,
    /// Apply the faults to one request in N (by a hash of the request).
    #[arg(long, default_value_t = 1)]
    pub fault_every: u64,
    /// Delay every response by this many milliseconds.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Refuse windows longer than this many days with 400 (stricter than the real one month).
    #[arg(long)]
    pub max_days: Option<i64>,
    /// Make the change feed (/updates) fail or mislead: an HTTP status (404: no feed, 503:
    /// down), `malformed` (not JSON), `baditems` (null, 42 and "x" among the items), `silent`
    /// (lists nothing) or `endless` (next pages forever).
    #[arg(long, value_name = "STATUS|malformed|baditems|silent|endless", value_parser = |s: &str| s.parse::<crate::replica::FeedFault>())]
    pub feed_fault: Option<crate::replica::FeedFault>,
}

/// Which data and which store: every command but `replica` takes these. `None` means "not
/// given": the config file or default decides.
#[derive(Debug, Clone, Default, Args)]
pub struct StoreOptions {
    /// Config file (default: ./config.toml, else $XDG_CONFIG_HOME/elhub-explorer/config.toml).
    #[arg(short = 'c', long, env = "ELHUB_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Dataset: an alias below or its Elhub name (PRODUCTION_PER_GROUP_MBA_HOUR), in any case.
    #[arg(long, env = "ELHUB_DATASET", value_parser = parse_dataset())]
    pub dataset: Option<Dataset>,
    /// The embedded store's file.
    #[arg(long, env = "ELHUB_DB", value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// The store to read: sqlite, postgres, cassandra or mongodb.
    #[arg(long, env = "ELHUB_STORE", value_parser = parse_store())]
    pub store: Option<StoreKind>,
    /// Cassandra / ScyllaDB contact points.
    #[arg(long, env = "ELHUB_CASSANDRA", value_name = "HOST:PORT[,..]")]
    pub cassandra: Option<String>,
    /// Cassandra keyspace.
    #[arg(long, env = "ELHUB_CASSANDRA_KEYSPACE", value_name = "NAME")]
    pub keyspace: Option<String>,
    /// PostgreSQL connection string: postgresql://user:pass@host:port/db or key=value pairs
    /// (keep passwords in the environment, not in files).
    #[arg(long, env = "ELHUB_POSTGRES_URL", value_name = "URL", hide_env_values = true)]
    pub postgres: Option<String>,
    /// MongoDB connection string (keep passwords in the environment, not in files).
    #[arg(long, env = "ELHUB_MONGODB_URI", value_name = "URI", hide_env_values = true)]
    pub mongodb_uri: Option<String>,
    /// MongoDB database.
    #[arg(long, env = "ELHUB_MONGODB_DB", value_name = "NAME")]
    pub mongodb_db: Option<String>,
    /// MongoDB collection of the dataset.
    #[arg(long, env = "ELHUB_MONGODB_COLLECTION", value_name = "NAME")]
    pub mongodb_collection: Option<String>,
}

impl StoreOptions {
    /// These options, each filled from `other` where not given here.
    fn or(&self, other: &StoreOptions) -> StoreOptions {
        StoreOptions {
            config: self.config.clone().or_else(|| other.config.clone()),
            dataset: self.dataset.or(other.dataset),
            db: self.db.clone().or_else(|| other.db.clone()),
            store: self.store.or(other.store),
            cassandra: self.cassandra.clone().or_else(|| other.cassandra.clone()),
            keyspace: self.keyspace.clone().or_else(|| other.keyspace.clone()),
            postgres: self.postgres.clone().or_else(|| other.postgres.clone()),
            mongodb_uri: self.mongodb_uri.clone().or_else(|| other.mongodb_uri.clone()),
            mongodb_db: self.mongodb_db.clone().or_else(|| other.mongodb_db.clone()),
            mongodb_collection: self.mongodb_collection.clone().or_else(|| other.mongodb_collection.clone()),
        }
    }
}

/// Which local months: the explorer, ingest, export and summary take these.
#[derive(Debug, Clone, Default, Args)]
pub struct RangeOptions {
    /// First local month of the range (inclusive).
    #[arg(long, env = "ELHUB_FROM", value_name = "YYYY-MM", value_parser = parse_month)]
    pub from: Option<Month>,
    /// Last local month of the range (inclusive).
    #[arg(long, env = "ELHUB_TO", value_name = "YYYY-MM", value_parser = parse_month)]
    pub to: Option<Month>,
    /// A whole local year as the range (instead of --from/--to).
    #[arg(long, env = "ELHUB_YEAR", value_name = "YYYY", conflicts_with_all = ["from", "to"], value_parser = parse_year)]
    pub year: Option<i32>,
}

impl RangeOptions {
    fn or(&self, other: &RangeOptions) -> RangeOptions {
        // A year given here replaces months given ahead, and the other way round.
        if self.year.is_some() || self.from.is_some() || self.to.is_some() {
            self.clone()
        } else {
            other.clone()
        }
    }

    /// Whether any of them was given (on the command line or in the environment).
    pub fn given(&self) -> bool {
        self.year.is_some() || self.from.is_some() || self.to.is_some()
    }
}

/// How to fetch: the explorer and `--ingest-only` take these.
#[derive(Debug, Clone, Default, Args)]
pub struct FetchOptions {
    /// Base URL of the Energy Data API.
    #[arg(long, env = "ELHUB_API_URL", value_name = "URL")]
    pub api_url: Option<String>,
    /// The stores an ingest writes, comma-separated.
    #[arg(long, env = "ELHUB_SINKS", value_delimiter = ',', value_parser = parse_store())]
    pub sinks: Option<Vec<StoreKind>>,
    /// Requests in flight at once.
    #[arg(long, env = "ELHUB_CONCURRENCY", value_parser = clap::value_parser!(u16).range(1..=16))]
    pub concurrency: Option<u16>,
    /// No spacing between requests: for tests and benchmarks against a local replica only (the
    /// real API allows 5 a second). Not in --help.
    #[arg(long, hide = true)]
    pub no_rate_limit: bool,
}

/// Every option a run was given, merged: what `Settings::load` reads.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub store: StoreOptions,
    pub range: RangeOptions,
    pub fetch: FetchOptions,
}

fn parse_month(s: &str) -> Result<Month, String> {
    s.parse()
}

fn parse_year(s: &str) -> Result<i32, String> {
    let year: i32 = s.trim().parse().map_err(|_| format!("invalid year '{s}' (expected YYYY)"))?;
    Month::new(year, 1).map(|_| year).ok_or_else(|| format!("year {year} is out of range"))
}

/// A `FromStr` value parser that also names the usual values, so `--help` lists them and the
/// shells complete them, while parsing stays as lenient as `FromStr` (Elhub names for
/// datasets, `mongo` for mongodb, any case).
#[derive(Clone)]
struct Named<T> {
    parse: fn(&str) -> Result<T, String>,
    values: fn() -> Vec<&'static str>,
}

impl<T: Clone + Send + Sync + 'static> clap::builder::TypedValueParser for Named<T> {
    type Value = T;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<T, clap::Error> {
        self.parse.parse_ref(cmd, arg, value)
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new((self.values)().into_iter().map(clap::builder::PossibleValue::new)))
    }
}

fn parse_dataset() -> Named<Dataset> {
    Named { parse: |s| s.parse(), values: || Dataset::all().map(Dataset::as_str).collect() }
}

fn parse_area() -> Named<PriceArea> {
    Named { parse: |s| s.parse(), values: || PriceArea::ALL.iter().map(|a| a.as_str()).collect() }
}

fn parse_store() -> Named<StoreKind> {
    Named {
        parse: |s| s.parse(),
        values: || {
            [StoreKind::Sqlite, StoreKind::Postgres, StoreKind::Cassandra, StoreKind::Mongodb]
                .map(StoreKind::as_str)
                .to_vec()
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cli_definition_is_consistent() {
        command().debug_assert();
    }

    #[test]
    fn parses_the_contract() {
        let cli = Cli::parse_args([
            "elhub-explorer",
            "--sinks",
            "sqlite,mongodb",
            "--db",
            "ahead.sqlite",
            "export",
            "--format",
            "json",
            "--area",
            "no1",
            "--from",
            "2021-01",
            "--to",
            "2021-03",
        ])
        .unwrap();
        let options = cli.options();
        assert_eq!(options.range.from, Some("2021-01".parse().unwrap()));
        assert_eq!(options.fetch.sinks, Some(vec![StoreKind::Sqlite, StoreKind::Mongodb]));
        assert_eq!(options.store.db, Some(PathBuf::from("ahead.sqlite")), "given ahead of the subcommand");
        match cli.command {
            Some(Command::Export(e)) => {
                assert_eq!(e.format, Some(ExportFormat::Json));
                assert_eq!(e.area, Some(PriceArea::NO1));
                assert_eq!(e.entity, None);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn datasets_are_named_by_alias_or_elhub_name() {
        let cli = Cli::parse_args([
            "x",
            "--dataset",
            "CONSUMPTION_PER_GROUP_MGA_HOUR",
            "summary",
            "--entity",
            "50YWO-6UUIJ4BF1D",
        ])
        .unwrap();
        assert_eq!(cli.options().store.dataset, Some(Dataset::CONSUMPTION_GRID_AREA));
        let cli =
            Cli::parse_args(["x", "--dataset", "consumption", "datasets", "--dataset", "production-15min"])
                .unwrap();
        assert_eq!(cli.options().store.dataset, Some(Dataset::PRODUCTION_15MIN), "the subcommand's own wins");
        assert!(matches!(cli.command, Some(Command::Datasets(_))));
    }

    #[test]
    fn each_subcommand_takes_only_what_it_uses() {
        for (sub, absent) in [
            ("summary", &["--ingest-only", "--sinks", "--concurrency", "--api-url", "--force"][..]),
            ("export", &["--ingest-only", "--sinks", "--concurrency", "--refresh"][..]),
            ("datasets", &["--from", "--year", "--sinks", "--ingest-only"][..]),
            ("replica", &["--db", "--dataset", "--sinks", "--mongodb-uri"][..]),
        ] {
            let mut cmd = command();
            let help = cmd.find_subcommand_mut(sub).unwrap().render_long_help().to_string();
            for flag in absent {
                assert!(!help.contains(flag), "{sub} --help lists {flag}:\n{help}");
            }
            let present: &[&str] = match sub {
                "summary" => {
                    &["--format", "--unit", "--area", "--entity", "--year", "--db", "--dataset", "--store"]
                }
                "export" => &["--format", "--output", "--group", "--from", "--to", "--mongodb-uri"],
                "datasets" => &["--db", "--store", "--cassandra"],
                _ => &["--listen", "--faults", "--feed-fault"],
            };
            for flag in present {
                assert!(help.contains(flag), "{sub} --help lacks {flag}:\n{help}");
            }
        }
        assert!(Cli::parse_args(["x", "summary", "--sinks", "sqlite"]).is_err());
        let units = Cli::parse_args(["x", "summary", "--unit", "gwh", "--format", "csv"]).unwrap();
        assert!(matches!(
            units.command,
            Some(Command::Summary(SummaryArgs {
                unit: Some(EnergyUnit::Gwh),
                format: SummaryFormat::Csv,
                ..
            }))
        ));
    }

    #[test]
    fn year_conflicts_with_from() {
        assert!(Cli::parse_args(["x", "--year", "2021", "--from", "2021-01"]).is_err());
        assert!(Cli::parse_args(["x", "--from", "2021-13"]).is_err());
    }
}
