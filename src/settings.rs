//! Settings merged in one place: flag > environment (`ELHUB_*`, read by clap) > config file >
//! built-in default. Errors name the file and line.

use std::path::{Path, PathBuf};
use std::time::Duration;

use etcetera::BaseStrategy;
use serde::Deserialize;

use crate::cli::Options;
#[cfg(test)]
use crate::cli::{RangeOptions, StoreOptions};
use crate::elhub::ClientConfig;
use crate::ingest::RefreshPolicy;
use crate::model::{Dataset, Month, MonthRange};
use crate::store::{CassandraSettings, MongoSettings, PostgresSettings, StoreKind};

const APP_DIR: &str = "elhub-explorer";

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SettingsError(pub String);

pub type Result<T> = std::result::Result<T, SettingsError>;

/// The config file as written; every key optional (the shipped config.toml documents them).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    #[serde(default)]
    pub api: ApiSection,
    #[serde(default)]
    pub range: RangeSection,
    #[serde(default)]
    pub store: StoreSection,
    #[serde(default)]
    pub cassandra: CassandraSection,
    #[serde(default)]
    pub mongodb: MongodbSection,
    #[serde(default)]
    pub postgres: PostgresSection,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostgresSection {
    /// A connection string without a password (one with a password belongs in
    /// ELHUB_POSTGRES_URL).
    pub url: Option<String>,
    pub schema: Option<String>,
    pub sslmode: Option<crate::store::SslMode>,
    pub tls_ca_file: Option<PathBuf>,
    #[serde(default, deserialize_with = "within::<1, 300, _>")]
    pub connect_timeout_secs: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiSection {
    pub url: Option<String>,
    #[serde(default, deserialize_with = "within::<1, 3600, _>")]
    pub timeout_secs: Option<u64>,
    #[serde(default, deserialize_with = "within::<1, 16, _>")]
    pub concurrency: Option<u64>,
    #[serde(default, deserialize_with = "within::<0, 20, _>")]
    pub max_retries: Option<u64>,
    #[serde(default, deserialize_with = "within::<1, 60000, _>")]
    pub min_backoff_ms: Option<u64>,
    #[serde(default, deserialize_with = "within::<1, 3600, _>")]
    pub max_backoff_secs: Option<u64>,
    #[serde(default, deserialize_with = "within::<0, 3600, _>")]
    pub max_retry_after_secs: Option<u64>,
    #[serde(default, deserialize_with = "rate")]
    pub rate_limit: Option<f64>,
    #[serde(default, deserialize_with = "within::<1, 16384, _>")]
    pub max_body_mb: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RangeSection {
    pub dataset: Option<Dataset>,
    pub from: Option<Month>,
    pub to: Option<Month>,
    pub year: Option<i32>,
    #[serde(default, deserialize_with = "within::<0, 240, _>")]
    pub refresh_months: Option<u64>,
    #[serde(default, deserialize_with = "within::<0, 366, _>")]
    pub settle_days: Option<u64>,
    #[serde(default, deserialize_with = "within::<0, 720, _>")]
    pub feed_margin_hours: Option<u64>,
    #[serde(default, deserialize_with = "within::<0, 12, _>")]
    pub verify_months: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreSection {
    pub read: Option<StoreKind>,
    pub sinks: Option<Vec<StoreKind>>,
    pub db: Option<PathBuf>,
    #[serde(default, deserialize_with = "within::<0, 3600, _>")]
    pub busy_timeout_secs: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CassandraSection {
    pub contact_points: Option<Vec<String>>,
    pub keyspace: Option<String>,
    pub replication: Option<String>,
    pub local_datacenter: Option<String>,
    pub username: Option<String>,
    #[serde(default, deserialize_with = "within::<1, 300, _>")]
    pub connect_timeout_secs: Option<u64>,
    pub tls: Option<bool>,
    pub tls_ca_file: Option<PathBuf>,
    /// Of every write and read: one, two, three, quorum, local_quorum (the default),
    /// each_quorum, all, local_one.
    pub consistency: Option<crate::store::cassandra::Consistency>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MongodbSection {
    /// A URI without a password (one with a password belongs in ELHUB_MONGODB_URI).
    pub uri: Option<String>,
    pub database: Option<String>,
    pub production_collection: Option<String>,
    pub consumption_collection: Option<String>,
    /// Collection names by dataset alias (`"production-15min" = "..."`).
    pub collections: Option<std::collections::HashMap<String, String>>,
    #[serde(default, deserialize_with = "within::<1, 300, _>")]
    pub server_selection_timeout_secs: Option<u64>,
}

/// A whole number in [LO, HI]; outside, an error with the range (toml gives it the key's line).
fn within<'de, const LO: u64, const HI: u64, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<u64>, D::Error> {
    let v = i64::deserialize(d)?;
    match u64::try_from(v) {
        Ok(v) if (LO..=HI).contains(&v) => Ok(Some(v)),
        _ => Err(serde::de::Error::custom(format!("{v} is out of range: it must be from {LO} to {HI}"))),
    }
}

/// Requests per second: 0 (no limit, for a local replica) to 100.
fn rate<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Option<f64>, D::Error> {
    let v = f64::deserialize(d)?;
    if v.is_finite() && (0.0..=100.0).contains(&v) {
        Ok(Some(v))
    } else {
        Err(serde::de::Error::custom(format!(
            "{v} is out of range: it must be from 0 to 100 requests per second"
        )))
    }
}

/// Everything a run needs, resolved.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The config file that was read, if any.
    pub config_file: Option<PathBuf>,
    pub client: ClientConfig,
    pub concurrency: usize,
    pub dataset: Dataset,
    pub range: MonthRange,
    /// The embedded store's file.
    pub db_path: PathBuf,
    /// Whether `db_path` is the default location (its directory is then created).
    pub db_is_default: bool,
    pub read_store: StoreKind,
    pub sinks: Vec<StoreKind>,
    pub log_path: PathBuf,
    /// MongoDB, when a URI is given (flag, environment or file).
    pub mongodb: Option<MongoSettings>,
    /// PostgreSQL, when a connection string is given (flag, environment or file).
    pub postgres: Option<PostgresSettings>,
    /// Cassandra, when contact points are given (flag, environment or file).
    pub cassandra: Option<CassandraSettings>,
    /// What `--refresh` refetches.
    pub refresh: RefreshPolicy,
    /// How long SQLite waits for another process's write lock.
    pub busy_timeout: Duration,
}

impl Settings {
    /// Resolves settings from the parsed command line (which already applied the environment).
    pub fn load(options: &Options) -> Result<Settings> {
        let dirs = etcetera::choose_base_strategy().ok();
        let (file, path) = read_config(options.store.config.as_deref(), dirs.as_ref())?;
        let api = &file.api;
        let defaults = ClientConfig::default();
        let client = ClientConfig {
            base_url: options.fetch.api_url.clone().or_else(|| api.url.clone()).unwrap_or(defaults.base_url),
            timeout: api.timeout_secs.map_or(defaults.timeout, Duration::from_secs),
            max_retries: api.max_retries.map_or(defaults.max_retries, |n| n as usize),
            min_backoff: api.min_backoff_ms.map_or(defaults.min_backoff, Duration::from_millis),
            max_backoff: api.max_backoff_secs.map_or(defaults.max_backoff, Duration::from_secs),
            max_retry_after: api.max_retry_after_secs.map_or(defaults.max_retry_after, Duration::from_secs),
            rate_limit: match api.rate_limit {
                // --no-rate-limit: tests and benchmarks against a local replica only.
                _ if options.fetch.no_rate_limit => 0.0,
                Some(r) => r,
                None => defaults.rate_limit,
            },
            max_body_bytes: api.max_body_mb.map_or(defaults.max_body_bytes, |mb| mb << 20),
        };
        let concurrency = options.fetch.concurrency.or(api.concurrency.map(|n| n as u16)).unwrap_or(4);
        if !(1..=16).contains(&concurrency) {
            return Err(SettingsError("--concurrency must be from 1 to 16".into()));
        }
        let dataset = options.store.dataset.or(file.range.dataset).unwrap_or(Dataset::PRODUCTION);
        let range = resolve_range(options, &file.range, &path)?;
        let (db_path, db_is_default) = match options.store.db.clone().or_else(|| file.store.db.clone()) {
            Some(p) => (expand_tilde(&p), false),
            None => (data_dir(dirs.as_ref())?.join("elhub.sqlite"), true),
        };
        let read_store = options.store.store.or(file.store.read).unwrap_or(StoreKind::Sqlite);
        let mut sinks = options
            .fetch
            .sinks
            .clone()
            .or_else(|| file.store.sinks.clone())
            .unwrap_or(vec![StoreKind::Sqlite]);
        sinks.dedup();
        if sinks.is_empty() {
            return Err(SettingsError("--sinks needs at least one store".into()));
        }
        let log_path = state_dir(dirs.as_ref())?.join("elhub-explorer.log");
        let mongodb = resolve_mongodb(options, &file.mongodb, &path, dataset)?;
        let postgres = resolve_postgres(options, &file.postgres, &path)?;
        let cassandra = resolve_cassandra(options, &file.cassandra);
        Ok(Settings {
            config_file: path,
            client,
            concurrency: concurrency as usize,
            dataset,
            range,
            db_path,
            db_is_default,
            read_store,
            sinks,
            log_path,
            mongodb,
            postgres,
            cassandra,
            refresh: RefreshPolicy {
                last_months: file
                    .range
                    .refresh_months
                    .map_or(RefreshPolicy::default().last_months, |n| n as usize),
                settle_days: file
                    .range
                    .settle_days
                    .map_or(RefreshPolicy::default().settle_days, |d| d as i64),
                feed_margin: file
                    .range
                    .feed_margin_hours
                    .map_or(RefreshPolicy::default().feed_margin, |h| chrono::Duration::hours(h as i64)),
                verify_months: file
                    .range
                    .verify_months
                    .map_or(RefreshPolicy::default().verify_months, |n| n as usize),
                feed_time_limit: RefreshPolicy::default().feed_time_limit,
            },
            busy_timeout: Duration::from_secs(file.store.busy_timeout_secs.unwrap_or(30)),
        })
    }
}

/// Contact points from `--cassandra` (ELHUB_CASSANDRA) or the file; the password only from
/// ELHUB_CASSANDRA_PASSWORD, the user from ELHUB_CASSANDRA_USER or the file.
fn resolve_cassandra(options: &Options, file: &CassandraSection) -> Option<CassandraSettings> {
    let points: Vec<String> = match &options.store.cassandra {
        Some(list) => list.split(',').map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).collect(),
        None => file.contact_points.clone()?,
    };
    let points = points.into_iter().map(|p| if p.contains(':') { p } else { format!("{p}:9042") }).collect();
    Some(CassandraSettings {
        contact_points: points,
        keyspace: options
            .store
            .keyspace
            .clone()
            .or_else(|| file.keyspace.clone())
            .unwrap_or_else(|| "elhub".into()),
        replication: file
            .replication
            .clone()
            .unwrap_or_else(|| "{'class': 'SimpleStrategy', 'replication_factor': 1}".into()),
        local_datacenter: std::env::var("ELHUB_CASSANDRA_DATACENTER")
            .ok()
            .or_else(|| file.local_datacenter.clone()),
        username: std::env::var("ELHUB_CASSANDRA_USER").ok().or_else(|| file.username.clone()),
        password: std::env::var("ELHUB_CASSANDRA_PASSWORD").ok(),
        connect_timeout: Duration::from_secs(file.connect_timeout_secs.unwrap_or(5)),
        tls: file.tls.unwrap_or(false) || file.tls_ca_file.is_some(),
        tls_ca_file: file.tls_ca_file.as_deref().map(expand_tilde),
        consistency: file.consistency.unwrap_or_default(),
    })
}

/// PostgreSQL from `--postgres` (ELHUB_POSTGRES_URL) or the file, which may not hold a password.
fn resolve_postgres(
    options: &Options,
    file: &PostgresSection,
    path: &Option<PathBuf>,
) -> Result<Option<PostgresSettings>> {
    if file.url.as_deref().is_some_and(crate::store::secrets::conninfo_has_secret) {
        return Err(file_error(
            path,
            "postgres.url carries a password; keep secrets out of files and set ELHUB_POSTGRES_URL instead",
        ));
    }
    let Some(url) = options.store.postgres.clone().or_else(|| file.url.clone()) else {
        return Ok(None);
    };
    Ok(Some(PostgresSettings {
        url,
        schema: file.schema.clone().unwrap_or_else(|| "elhub".into()),
        sslmode: file.sslmode.unwrap_or(crate::store::SslMode::Prefer),
        ca_file: file.tls_ca_file.as_deref().map(expand_tilde),
        connect_timeout: Duration::from_secs(file.connect_timeout_secs.unwrap_or(5)),
    }))
}

fn resolve_mongodb(
    options: &Options,
    file: &MongodbSection,
    path: &Option<PathBuf>,
    dataset: Dataset,
) -> Result<Option<MongoSettings>> {
    if file.uri.as_deref().is_some_and(crate::store::secrets::uri_has_secret) {
        return Err(file_error(
            path,
            "mongodb.uri carries a secret (a password, or an option holding one); keep secrets out of files and set ELHUB_MONGODB_URI instead",
        ));
    }
    let Some(uri) = options.store.mongodb_uri.clone().or_else(|| file.uri.clone()) else {
        return Ok(None);
    };
    // Keys name datasets by alias or Elhub name in any case; stored by alias.
    let mut collections = std::collections::HashMap::new();
    for (key, name) in file.collections.clone().unwrap_or_default() {
        let d: Dataset = key.parse().map_err(|_| {
            file_error(
                path,
                &format!(
                    "mongodb.collections names an unknown dataset '{key}' (expected one of {})",
                    Dataset::aliases()
                ),
            )
        })?;
        collections.insert(d.as_str().to_string(), name);
    }
    for (dataset, name) in [
        (Dataset::PRODUCTION, &file.production_collection),
        (Dataset::CONSUMPTION, &file.consumption_collection),
    ] {
        if let Some(name) = name {
            collections.insert(dataset.as_str().to_string(), name.clone());
        }
    }
    // --mongodb-collection names the collection of this run's dataset.
    if let Some(name) = &options.store.mongodb_collection {
        collections.insert(dataset.as_str().to_string(), name.clone());
    }
    // Two datasets in one collection would overwrite each other's documents (the _id has no dataset).
    let effective =
        |d: Dataset| collections.get(d.as_str()).cloned().unwrap_or_else(|| d.spec().collection.to_string());
    for a in Dataset::all() {
        if let Some(b) = Dataset::all().find(|b| b > &a && effective(*b) == effective(a)) {
            return Err(file_error(
                path,
                &format!(
                    "MongoDB collection '{}' is named for both {a} and {b}; each dataset needs its own",
                    effective(a)
                ),
            ));
        }
    }
    let settings = MongoSettings {
        uri,
        database: options
            .store
            .mongodb_db
            .clone()
            .or_else(|| file.database.clone())
            .unwrap_or_else(|| "elhub".into()),
        collections,
        server_selection_timeout: Duration::from_secs(file.server_selection_timeout_secs.unwrap_or(5)),
    };
    Ok(Some(settings))
}

fn resolve_range(options: &Options, file: &RangeSection, path: &Option<PathBuf>) -> Result<MonthRange> {
    let year_range =
        |y: i32| Month::of_year(y).ok_or_else(|| SettingsError(format!("year {y} is out of range")));
    if let Some(y) = options.range.year {
        return year_range(y);
    }
    let (file_from, file_to) = match (file.year, file.from, file.to) {
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
            return Err(file_error(path, "range.year cannot be combined with range.from or range.to"))
        }
        (Some(y), None, None) => {
            let r = year_range(y)?;
            (Some(r.from()), Some(r.to()))
        }
        (None, from, to) => (from, to),
    };
    let default = Month::of_year(2021).ok_or_else(|| SettingsError("default year out of range".into()))?;
    let configured_from = file_from.unwrap_or(default.from());
    let (from, to) = match (options.range.from, options.range.to) {
        (Some(f), Some(t)) => (f, t),
        // --from alone: from there on, up to this month (or that month, if it is later).
        (Some(f), None) => (f, Month::containing(chrono::Utc::now()).max(f)),
        // --to alone: from the configured start, or that month itself if the start is later.
        (None, Some(t)) => (configured_from.min(t), t),
        (None, None) => (configured_from, file_to.unwrap_or(default.to())),
    };
    MonthRange::new(from, to).map_err(SettingsError)
}

/// Reads the config file: the one named, else ./config.toml, else the XDG one, else none.
fn read_config(
    named: Option<&Path>,
    dirs: Option<&impl BaseStrategy>,
) -> Result<(ConfigFile, Option<PathBuf>)> {
    let path = match named {
        Some(p) => {
            if !p.is_file() {
                return Err(SettingsError(format!("config file {} not found", p.display())));
            }
            Some(p.to_path_buf())
        }
        None => {
            let local = PathBuf::from("config.toml");
            let user = dirs.map(|d| d.config_dir().join(APP_DIR).join("config.toml"));
            [Some(local), user].into_iter().flatten().find(|p| p.is_file())
        }
    };
    let Some(path) = path else {
        return Ok((ConfigFile::default(), None));
    };
    let text = std::fs::read_to_string(&path)
        .map_err(|e| SettingsError(format!("cannot read config file {}: {e}", path.display())))?;
    let file = parse_config(&text).map_err(|(line, msg)| match line {
        Some(line) => SettingsError(format!("config file {}, line {line}: {msg}", path.display())),
        None => SettingsError(format!("config file {}: {msg}", path.display())),
    })?;
    Ok((file, Some(path)))
}

/// Parses config text; an error carries its line (1-based) and a one-line message.
pub fn parse_config(text: &str) -> std::result::Result<ConfigFile, (Option<usize>, String)> {
    toml::from_str(text).map_err(|mut e: toml::de::Error| {
        let line = e.span().map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
        let message = e.message().split_whitespace().collect::<Vec<_>>().join(" ");
        // Without the input, the error's text names the key (`in `api.timeout_secs``).
        e.set_input(None);
        let shown = e.to_string();
        let key = shown.lines().find_map(|l| l.strip_prefix("in `")?.strip_suffix('`').map(str::to_string));
        (line, key.map_or(message.clone(), |k| format!("{k}: {message}")))
    })
}

fn file_error(path: &Option<PathBuf>, msg: &str) -> SettingsError {
    match path {
        Some(p) => SettingsError(format!("config file {}: {msg}", p.display())),
        None => SettingsError(msg.to_string()),
    }
}

fn expand_tilde(p: &Path) -> PathBuf {
    match (p.strip_prefix("~"), etcetera::home_dir()) {
        (Ok(rest), Ok(home)) => home.join(rest),
        _ => p.to_path_buf(),
    }
}

fn data_dir(dirs: Option<&impl BaseStrategy>) -> Result<PathBuf> {
    dirs.map(|d| d.data_dir().join(APP_DIR)).ok_or_else(|| {
        SettingsError("cannot find the home directory for the default database; pass --db PATH".into())
    })
}

fn state_dir(dirs: Option<&impl BaseStrategy>) -> Result<PathBuf> {
    // XDG_STATE_HOME where set; the strategy falls back to ~/.local/state on Linux and macOS.
    dirs.map(|d| d.state_dir().unwrap_or_else(|| d.data_dir()).join(APP_DIR))
        .ok_or_else(|| SettingsError("cannot find the home directory for the log file".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_errors_name_the_line() {
        let (line, msg) = parse_config("[api]\nurl = \"x\"\n\n[range]\nfrom = \"2021-13\"\n").unwrap_err();
        assert_eq!(line, Some(5));
        assert!(msg.contains("01 to 12"), "{msg}");
        let (line, msg) = parse_config("[api]\nurll = 1\n").unwrap_err();
        assert_eq!(line, Some(2));
        assert!(msg.contains("unknown field"), "{msg}");
        let (line, _) = parse_config("[api\n").unwrap_err();
        assert_eq!(line, Some(1));
    }

    #[test]
    fn flags_override_the_file() {
        let file =
            RangeSection { from: "2020-01".parse().ok(), to: "2020-06".parse().ok(), ..Default::default() };
        let path = None;
        let opts = Options::default();
        let r = resolve_range(&opts, &file, &path).unwrap();
        assert_eq!(r.to_string(), "2020-01..2020-06");
        let opts = Options {
            range: RangeOptions { from: "2020-03".parse().ok(), ..Default::default() },
            ..Default::default()
        };
        let this = Month::containing(chrono::Utc::now());
        assert_eq!(
            resolve_range(&opts, &file, &path).unwrap().to_string(),
            format!("2020-03..{this}"),
            "--from alone runs on to this month, not to the configured end"
        );
        let next = this.next();
        let opts =
            Options { range: RangeOptions { from: Some(next), ..Default::default() }, ..Default::default() };
        assert_eq!(resolve_range(&opts, &file, &path).unwrap().to_string(), next.to_string());
        let opts = Options {
            range: RangeOptions { to: "2019-03".parse().ok(), ..Default::default() },
            ..Default::default()
        };
        assert_eq!(
            resolve_range(&opts, &file, &path).unwrap().to_string(),
            "2019-03",
            "--to alone before the configured start is that month, not an error naming a --from never typed"
        );
        let opts = Options {
            range: RangeOptions { to: "2020-04".parse().ok(), ..Default::default() },
            ..Default::default()
        };
        assert_eq!(resolve_range(&opts, &file, &path).unwrap().to_string(), "2020-01..2020-04");
        let opts =
            Options { range: RangeOptions { year: Some(2019), ..Default::default() }, ..Default::default() };
        assert_eq!(resolve_range(&opts, &file, &path).unwrap().to_string(), "2019-01..2019-12");
        let opts = Options {
            range: RangeOptions { from: "2020-05".parse().ok(), to: "2020-02".parse().ok(), year: None },
            ..Default::default()
        };
        assert!(resolve_range(&opts, &file, &path).is_err());
    }

    #[test]
    fn mongodb_settings_merge_and_keep_passwords_out_of_files() {
        let path = Some(PathBuf::from("c.toml"));
        let file = MongodbSection { uri: Some("mongodb://u:pw@h:1".into()), ..Default::default() };
        let err = resolve_mongodb(&Options::default(), &file, &path, Dataset::PRODUCTION).unwrap_err();
        assert!(err.0.contains("ELHUB_MONGODB_URI") && !err.0.contains("pw"), "{err}");
        let option = MongodbSection {
            uri: Some("mongodb://h:1/?tls=true&tlsCertificateKeyFilePassword=k9".into()),
            ..Default::default()
        };
        let err = resolve_mongodb(&Options::default(), &option, &path, Dataset::PRODUCTION).unwrap_err();
        assert!(err.0.contains("carries a secret") && !err.0.contains("k9"), "{err}");
        assert_eq!(
            resolve_mongodb(&Options::default(), &MongodbSection::default(), &path, Dataset::PRODUCTION)
                .unwrap(),
            None
        );
        let opts = Options {
            store: StoreOptions {
                mongodb_uri: Some("mongodb://h:1".into()),
                mongodb_collection: Some("cons_hourly".into()),
                ..Default::default()
            },
            ..Default::default()
        };
        let file = MongodbSection { database: Some("energy".into()), ..Default::default() };
        let m = resolve_mongodb(&opts, &file, &path, Dataset::CONSUMPTION).unwrap().unwrap();
        assert_eq!(m.database, "energy");
        assert_eq!(m.collection(Dataset::CONSUMPTION), "cons_hourly");
        assert_eq!(m.collection(Dataset::PRODUCTION), "production");
        assert_eq!(m.collection(Dataset::CONSUMPTION_MUNICIPALITY), "consumption_municipality");
        let file = MongodbSection {
            collections: Some([("production-15min".to_string(), "q".to_string())].into()),
            ..Default::default()
        };
        let m = resolve_mongodb(
            &Options {
                store: StoreOptions { mongodb_uri: Some("mongodb://h:1".into()), ..Default::default() },
                ..Default::default()
            },
            &file,
            &path,
            Dataset::PRODUCTION,
        )
        .unwrap()
        .unwrap();
        assert_eq!(m.collection(Dataset::PRODUCTION_15MIN), "q");
        let bad = MongodbSection {
            collections: Some([("exchange".to_string(), "x".to_string())].into()),
            ..Default::default()
        };
        let opts = Options {
            store: StoreOptions { mongodb_uri: Some("mongodb://h:1".into()), ..Default::default() },
            ..Default::default()
        };
        assert!(resolve_mongodb(&opts, &bad, &path, Dataset::PRODUCTION).unwrap_err().0.contains("exchange"));
        assert_eq!(m.server_selection_timeout, Duration::from_secs(5));
        let by_name = MongodbSection {
            collections: Some([("PRODUCTION_PER_GROUP_MBA_15MIN".to_string(), "q15".to_string())].into()),
            ..Default::default()
        };
        let m = resolve_mongodb(&opts, &by_name, &path, Dataset::PRODUCTION).unwrap().unwrap();
        assert_eq!(m.collection(Dataset::PRODUCTION_15MIN), "q15", "an Elhub name works as a key");
        let shared = MongodbSection {
            collections: Some([("production-15min".to_string(), "production".to_string())].into()),
            ..Default::default()
        };
        let err = resolve_mongodb(&opts, &shared, &path, Dataset::PRODUCTION).unwrap_err().0;
        assert!(err.contains("named for both production and production-15min"), "{err}");
    }

    #[test]
    fn cassandra_settings_from_flags_and_file() {
        let opts = Options {
            store: StoreOptions {
                cassandra: Some("10.0.0.1, 10.0.0.2:9142".into()),
                keyspace: Some("energy".into()),
                ..Default::default()
            },
            ..Default::default()
        };
        let c = resolve_cassandra(&opts, &CassandraSection::default()).unwrap();
        assert_eq!(c.contact_points, ["10.0.0.1:9042", "10.0.0.2:9142"]);
        assert_eq!(c.keyspace, "energy");
        assert!(c.replication.contains("SimpleStrategy"));
        let file = CassandraSection {
            contact_points: Some(vec!["db:9042".into()]),
            replication: Some("{'class': 'NetworkTopologyStrategy', 'dc1': 3}".into()),
            ..Default::default()
        };
        let c = resolve_cassandra(&Options::default(), &file).unwrap();
        assert_eq!((c.keyspace.as_str(), c.contact_points.len()), ("elhub", 1));
        assert!(c.replication.contains("dc1"));
        assert!(resolve_cassandra(&Options::default(), &CassandraSection::default()).is_none());
        let (_, msg) = parse_config("[cassandra]\npassword = \"x\"\n").unwrap_err();
        assert!(msg.contains("unknown field"), "passwords are not a config key: {msg}");
        // The consistency of writes and reads: local_quorum unless the file says otherwise.
        assert_eq!(c.consistency.as_str(), "local_quorum");
        let file =
            parse_config("[cassandra]\ncontact_points = [\"db\"]\nconsistency = \"quorum\"\n").unwrap();
        let c = resolve_cassandra(&Options::default(), &file.cassandra).unwrap();
        assert_eq!(c.consistency.as_str(), "quorum");
        let (line, msg) = parse_config("[cassandra]\nconsistency = \"most\"\n").unwrap_err();
        assert!(line == Some(2) && msg.contains("local_quorum"), "line {line:?}: {msg}");
    }

    #[test]
    fn settings_outside_their_range_name_the_key_the_line_and_the_range() {
        for (text, line, expected) in [
            ("[api]\nmax_body_mb = 0\n", 2, "api.max_body_mb: 0 is out of range: it must be from 1 to 16384"),
            (
                "[api]\nurl = \"x\"\ntimeout_secs = 0\n",
                3,
                "api.timeout_secs: 0 is out of range: it must be from 1 to 3600",
            ),
            (
                "[api]\nmax_retries = 100000000000\n",
                2,
                "api.max_retries: 100000000000 is out of range: it must be from 0 to 20",
            ),
            (
                "[range]\nfeed_margin_hours = -5000\n",
                2,
                "range.feed_margin_hours: -5000 is out of range: it must be from 0 to 720",
            ),
            (
                "[api]\nrate_limit = -1\n",
                2,
                "api.rate_limit: -1 is out of range: it must be from 0 to 100 requests per second",
            ),
            ("[api]\nconcurrency = 17\n", 2, "api.concurrency: 17 is out of range: it must be from 1 to 16"),
            (
                "[store]\nbusy_timeout_secs = 99999\n",
                2,
                "store.busy_timeout_secs: 99999 is out of range: it must be from 0 to 3600",
            ),
            (
                "[range]\nsettle_days = -1\n",
                2,
                "range.settle_days: -1 is out of range: it must be from 0 to 366",
            ),
            (
                "[mongodb]\nserver_selection_timeout_secs = 0\n",
                2,
                "mongodb.server_selection_timeout_secs: 0 is out of range: it must be from 1 to 300",
            ),
        ] {
            let (at, msg) = parse_config(text).unwrap_err();
            assert_eq!((at, msg.as_str()), (Some(line), expected), "{text}");
        }
        let ok =
            parse_config("[api]\nmax_retries = 0\nrate_limit = 0\n[range]\nfeed_margin_hours = 0\n").unwrap();
        assert_eq!((ok.api.max_retries, ok.api.rate_limit), (Some(0), Some(0.0)), "the ends are inside");
    }

    /// A PostgreSQL connection string in the file may not carry a password (in either form);
    /// the file's schema and TLS settings are taken.
    #[test]
    fn a_postgres_password_belongs_in_the_environment() {
        for url in ["postgresql://u:pw@h/db", "host=h user=u password=pw"] {
            let file = parse_config(&format!("[postgres]\nurl = \"{url}\"\n")).unwrap();
            let err = resolve_postgres(&Options::default(), &file.postgres, &None).unwrap_err();
            assert!(err.0.contains("ELHUB_POSTGRES_URL") && !err.0.contains("pw"), "{url}: {}", err.0);
        }
        let file = parse_config(
            "[postgres]\nurl = \"host=h user=u\"\nschema = \"energy\"\nsslmode = \"verify-full\"\n",
        )
        .unwrap();
        let pg = resolve_postgres(&Options::default(), &file.postgres, &None).unwrap().unwrap();
        assert_eq!((pg.schema.as_str(), pg.sslmode), ("energy", crate::store::SslMode::VerifyFull));
        let (_, msg) = parse_config("[postgres]\nsslmode = \"sometimes\"\n").unwrap_err();
        assert!(msg.contains("unknown sslmode 'sometimes'"), "{msg}");
    }

    #[test]
    fn no_rate_limit_beats_the_file_and_stays_out_of_help() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "[api]\nrate_limit = 5\n").unwrap();
        let mut opts = Options {
            store: StoreOptions { config: Some(path.clone()), ..Default::default() },
            ..Default::default()
        };
        assert_eq!(Settings::load(&opts).unwrap().client.rate_limit, 5.0);
        opts.fetch.no_rate_limit = true;
        assert_eq!(Settings::load(&opts).unwrap().client.rate_limit, 0.0);
        let help = crate::cli::command().render_long_help().to_string();
        assert!(!help.contains("no-rate-limit"), "{help}");
    }

    #[test]
    fn the_shipped_config_parses_and_documents_the_defaults() {
        let text = include_str!("../config.toml");
        let file = parse_config(text).unwrap();
        assert_eq!(file.api.url.as_deref(), Some(crate::elhub::DEFAULT_API_URL));
        let defaults = ClientConfig::default();
        assert_eq!(file.api.rate_limit, Some(defaults.rate_limit));
        assert_eq!(file.api.max_retries, Some(defaults.max_retries as u64));
        assert_eq!(file.api.timeout_secs, Some(defaults.timeout.as_secs()));
        assert_eq!(file.api.max_body_mb, Some(defaults.max_body_bytes >> 20));
        assert_eq!(file.range.from, "2021-01".parse().ok());
        assert_eq!(file.range.to, "2021-12".parse().ok());
        assert_eq!(file.range.dataset, Some(Dataset::PRODUCTION));
        let policy = RefreshPolicy::default();
        assert_eq!(file.range.refresh_months, Some(policy.last_months as u64));
        assert_eq!(file.range.settle_days, Some(policy.settle_days as u64));
        assert_eq!(file.range.feed_margin_hours, Some(policy.feed_margin.num_hours() as u64));
        assert_eq!(file.range.verify_months, Some(policy.verify_months as u64));
    }
}
