//! The command-line contract (DESIGN.md): the TUI by default, `--ingest-only`, `export`,
//! `summary`, `datasets` and `replica`, with the shared options. Every option also reads
//! `ELHUB_*`.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::export::ExportFormat;
use crate::model::{Dataset, Month, PriceArea};
use crate::store::StoreKind;

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
    #[arg(long, global = true)]
    pub ingest_only: bool,

    /// Also refetch months whose data may since have been revised: the last months of the
    /// range and any month fetched before it settled (see [range] in config.toml).
    #[arg(long, global = true, conflicts_with = "force")]
    pub refresh: bool,

    /// Refetch every month of the range, complete or not.
    #[arg(long, global = true)]
    pub force: bool,

    /// Explorer: draw with ASCII only (no block, braille or box glyphs in the data).
    /// ELHUB_ASCII takes 1/0, true/false, yes/no, on/off.
    #[arg(long, env = "ELHUB_ASCII", action = clap::ArgAction::SetTrue, value_parser = clap::builder::BoolishValueParser::new())]
    pub ascii: bool,

    #[command(flatten)]
    pub options: Options,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write the stored records as canonical CSV or JSON, sorted by entity, group and start.
    Export(ExportArgs),
    /// Print annual totals per entity and group.
    Summary(SummaryArgs),
    /// List the datasets the program knows, with what the store holds of each.
    Datasets,
    /// Serve a local replica of the Elhub API (deterministic data, optional faults).
    Replica(ReplicaArgs),
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Output format.
    #[arg(long, value_enum, default_value = "csv")]
    pub format: ExportFormat,
    /// Only this price area (for grid areas: those that lie in it).
    #[arg(long, value_parser = parse_area)]
    pub area: Option<PriceArea>,
    /// Only this entity: a price area (NO1), a municipality number (0301) or a grid area's EIC.
    #[arg(long, value_name = "ID")]
    pub entity: Option<String>,
    /// Only this group (e.g. hydro, household).
    #[arg(long)]
    pub group: Option<String>,
    /// Write to FILE instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct SummaryArgs {
    /// Only this price area (for grid areas: those that lie in it).
    #[arg(long, value_parser = parse_area)]
    pub area: Option<PriceArea>,
    /// Only this entity: a price area (NO1), a municipality number (0301) or a grid area's EIC.
    #[arg(long, value_name = "ID")]
    pub entity: Option<String>,
}

#[derive(Debug, Args)]
pub struct ReplicaArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", env = "ELHUB_REPLICA_LISTEN")]
    pub listen: SocketAddr,
    /// Faults each request gets on its first attempts, comma-separated:
    /// 503, 429, 429:SECONDS, 429:none, truncated, malformed, slow:MS, slowbody:MS, empty, nodata.
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
}

/// Options shared by every mode. `None` means "not given": the config file or default decides.
#[derive(Debug, Default, Args)]
pub struct Options {
    /// Config file (default: ./config.toml, else $XDG_CONFIG_HOME/elhub-explorer/config.toml).
    #[arg(short = 'c', long, global = true, env = "ELHUB_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Base URL of the Energy Data API.
    #[arg(long, global = true, env = "ELHUB_API_URL", value_name = "URL")]
    pub api_url: Option<String>,
    /// Dataset: an alias (production, consumption, production-15min, consumption-municipality,
    /// consumption-grid-area) or the Elhub name, in any case.
    #[arg(long, global = true, env = "ELHUB_DATASET", value_parser = parse_dataset)]
    pub dataset: Option<Dataset>,
    /// First local month of the range (inclusive).
    #[arg(long, global = true, env = "ELHUB_FROM", value_name = "YYYY-MM", value_parser = parse_month)]
    pub from: Option<Month>,
    /// Last local month of the range (inclusive).
    #[arg(long, global = true, env = "ELHUB_TO", value_name = "YYYY-MM", value_parser = parse_month)]
    pub to: Option<Month>,
    /// A whole local year as the range (instead of --from/--to).
    #[arg(long, global = true, env = "ELHUB_YEAR", value_name = "YYYY", conflicts_with_all = ["from", "to"], value_parser = parse_year)]
    pub year: Option<i32>,
    /// The embedded store's file.
    #[arg(long, global = true, env = "ELHUB_DB", value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// The store the explorer, export and summary read: sqlite, cassandra or mongodb.
    #[arg(long, global = true, env = "ELHUB_STORE", value_parser = parse_store)]
    pub store: Option<StoreKind>,
    /// The stores an ingest writes, comma-separated.
    #[arg(long, global = true, env = "ELHUB_SINKS", value_delimiter = ',', value_parser = parse_store)]
    pub sinks: Option<Vec<StoreKind>>,
    /// Requests in flight at once.
    #[arg(long, global = true, env = "ELHUB_CONCURRENCY", value_parser = clap::value_parser!(u16).range(1..=16))]
    pub concurrency: Option<u16>,
    /// Cassandra / ScyllaDB contact points.
    #[arg(long, global = true, env = "ELHUB_CASSANDRA", value_name = "HOST:PORT[,..]")]
    pub cassandra: Option<String>,
    /// Cassandra keyspace.
    #[arg(long, global = true, env = "ELHUB_CASSANDRA_KEYSPACE", value_name = "NAME")]
    pub keyspace: Option<String>,
    /// MongoDB connection string (keep passwords in the environment, not in files).
    #[arg(long, global = true, env = "ELHUB_MONGODB_URI", value_name = "URI", hide_env_values = true)]
    pub mongodb_uri: Option<String>,
    /// MongoDB database.
    #[arg(long, global = true, env = "ELHUB_MONGODB_DB", value_name = "NAME")]
    pub mongodb_db: Option<String>,
    /// MongoDB collection.
    #[arg(long, global = true, env = "ELHUB_MONGODB_COLLECTION", value_name = "NAME")]
    pub mongodb_collection: Option<String>,
}

fn parse_month(s: &str) -> Result<Month, String> {
    s.parse()
}

fn parse_year(s: &str) -> Result<i32, String> {
    let year: i32 = s.trim().parse().map_err(|_| format!("invalid year '{s}' (expected YYYY)"))?;
    Month::new(year, 1).map(|_| year).ok_or_else(|| format!("year {year} is out of range"))
}

fn parse_dataset(s: &str) -> Result<Dataset, String> {
    s.parse()
}

fn parse_area(s: &str) -> Result<PriceArea, String> {
    s.parse()
}

fn parse_store(s: &str) -> Result<StoreKind, String> {
    s.parse()
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn parses_the_contract() {
        let cli = Cli::try_parse_from([
            "elhub-explorer",
            "export",
            "--format",
            "json",
            "--area",
            "no1",
            "--from",
            "2021-01",
            "--to",
            "2021-03",
            "--sinks",
            "sqlite,mongodb",
        ])
        .unwrap();
        assert_eq!(cli.options.from, Some("2021-01".parse().unwrap()));
        assert_eq!(cli.options.sinks, Some(vec![StoreKind::Sqlite, StoreKind::Mongodb]));
        match cli.command {
            Some(Command::Export(e)) => {
                assert_eq!(e.format, ExportFormat::Json);
                assert_eq!(e.area, Some(PriceArea::NO1));
                assert_eq!(e.entity, None);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn datasets_are_named_by_alias_or_elhub_name() {
        let cli = Cli::try_parse_from([
            "x",
            "--dataset",
            "CONSUMPTION_PER_GROUP_MGA_HOUR",
            "summary",
            "--entity",
            "50YWO-6UUIJ4BF1D",
        ])
        .unwrap();
        assert_eq!(cli.options.dataset, Some(Dataset::CONSUMPTION_GRID_AREA));
        let cli = Cli::try_parse_from(["x", "datasets", "--dataset", "production-15min"]).unwrap();
        assert_eq!(cli.options.dataset, Some(Dataset::PRODUCTION_15MIN));
        assert!(matches!(cli.command, Some(Command::Datasets)));
    }

    #[test]
    fn year_conflicts_with_from() {
        assert!(Cli::try_parse_from(["x", "--year", "2021", "--from", "2021-01"]).is_err());
        assert!(Cli::try_parse_from(["x", "--from", "2021-13"]).is_err());
    }
}
