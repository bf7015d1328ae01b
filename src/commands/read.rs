//! The modes that read the store: `export`, `summary`, `datasets` and `entities`, with the
//! entity a user names by number, EIC or name.

use std::io::BufWriter;

use super::{exit, open_store, print_out, Access, Failure};
use crate::cli::{Cli, ExportArgs, ListFormat, SummaryArgs};
use crate::export;
use crate::model::{all_time_utc, printable, Dataset, Entity, EntityKind, Month, PriceArea, SeriesKey};
use crate::outfile::{Links, OutFile};
use crate::report;
use crate::settings::Settings;
use crate::store::{MonthCoverage, Period, Scope, Store, StoreError, StoreKind};
use crate::summary::{self, SummaryFormat};

/// The entities `--entity` and `--area` choose among those stored (None: all of them).
async fn chosen_entities(
    store: &Store,
    dataset: Dataset,
    entity: Option<&str>,
    area: Option<PriceArea>,
) -> Result<Option<Vec<String>>, Failure> {
    let kind = dataset.entity();
    match (entity, area) {
        (Some(e), _) => {
            let id = super::asked::resolve(store, dataset, e).await?;
            if let (EntityKind::PriceArea, Some(a)) = (kind, area) {
                if a.as_str() != id {
                    return Err(Failure::usage(format!("--entity {} and --area {a} name different areas", printable(e))));
                }
            }
            Ok(Some(vec![id]))
        }
        (None, Some(a)) => match kind {
            EntityKind::PriceArea => Ok(Some(vec![a.to_string()])),
            EntityKind::GridArea => {
                let ids = store
                    .entities(kind)
                    .await?
                    .into_iter()
                    .filter(|g| g.price_area.as_deref() == Some(a.as_str()))
                    .map(|g| g.id)
                    .collect();
                Ok(Some(ids))
            }
            EntityKind::Municipality => Err(Failure::usage(format!(
                "{dataset} has no price areas (municipalities are not assigned to one); use --entity NUMBER or NAME"
            ))),
        },
        (None, None) => Ok(None),
    }
}

pub(super) async fn run_export(settings: &Settings, cli: &Cli, args: &ExportArgs) -> Result<i32, Failure> {
    use std::io::IsTerminal;
    let store = open_store(settings, settings.read_store, Access::Read).await?;
    let dataset = settings.dataset;
    let entities = chosen_entities(&store, dataset, args.entity.as_deref(), args.area).await?;
    let stored = store.series(dataset).await?;
    let series: Vec<SeriesKey> = stored
        .iter()
        .filter(|k| entities.as_ref().is_none_or(|e| e.contains(&k.entity)))
        .filter(|k| args.group.as_ref().is_none_or(|g| g.trim().eq_ignore_ascii_case(&k.group)))
        .cloned()
        .collect();
    if series.is_empty() && (args.entity.is_some() || args.area.is_some() || args.group.is_some()) {
        return Err(Failure::usage(no_match(dataset, args, &stored)));
    }
    // The range given on the command line (--year, --from, --to), else everything stored.
    let (from, to) = if cli.options().range.given() {
        super::asked::not_in_the_future(settings.range)?;
        (settings.range.from().start_utc(), settings.range.to().end_utc())
    } else {
        all_time_utc()
    };
    // `-o -` is standard output; a file's extension names its format unless --format does.
    let output = args.output.as_ref().filter(|p| p.as_os_str() != "-");
    let format = args.format.unwrap_or_else(|| {
        match output
            .and_then(|p| p.extension())
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("parquet") | Some("pq") => export::ExportFormat::Parquet,
            Some("json") => export::ExportFormat::Json,
            _ if args.partition => export::ExportFormat::Parquet,
            _ => export::ExportFormat::Csv,
        }
    });
    if let Some(dir) = output.filter(|p| p.is_dir() && !args.partition) {
        return Err(Failure::usage(format!(
            "-o {} is a directory: give a file, or --partition for a tree of Parquet files in it",
            dir.display()
        )));
    }
    let parquet = format == export::ExportFormat::Parquet;
    if args.partition {
        let Some(dir) = output else {
            return Err(Failure::usage("--partition writes a tree of files: give -o DIR"));
        };
        if !parquet {
            return Err(Failure::usage("--partition writes Parquet: add --format parquet"));
        }
        if dir.exists() && !dir.is_dir() {
            return Err(Failure::usage(format!("-o {} with --partition must be a directory", dir.display())));
        }
    }
    if output.is_none() && parquet && std::io::stdout().is_terminal() {
        return Err(Failure::usage("Parquet is binary: give -o FILE, or pipe it to a program"));
    }
    // What the range read lacks, once every argument is known good and before anything is
    // written: the range given, else the months from the first to the last stored.
    // The checkpoints, read once for both.
    let coverage = store.coverage(dataset).await;
    let span = match cli.options().range.given() {
        true => Some((settings.range.from(), settings.range.to())),
        false => stored_span(&store, dataset, coverage.as_deref().unwrap_or_default()).await,
    };
    check_complete(settings, coverage.as_deref(), span.as_slice(), args.strict)?;
    let names = export::names_of(&store, dataset).await.map_err(export_failure)?;
    let mut job = export::ExportJob { dataset, series, from, to, format, escape: false, names };
    if let (true, Some(dir)) = (args.partition, output) {
        let files = export::export_partitioned(&store, &job, dir).await.map_err(export_failure)?;
        let n: u64 = files.iter().map(|(_, n)| n).sum();
        eprintln!(
            "wrote {} of {dataset} to {} under {}",
            crate::model::count(n as usize, "record"),
            crate::model::count(files.len(), "file"),
            dir.display()
        );
        return Ok(exit::DONE);
    }
    let result = match output {
        // Written whole or not at all, respecting what is at the path (crate::outfile): a failure
        // halfway leaves the old file as it was.
        Some(path) => {
            let mut out = OutFile::create(path, Links::Follow)
                .map_err(|e| Failure::usage(format!("cannot write {e}")))?;
            let written = if parquet {
                export::export_parquet(&store, &job, BufWriter::new(out.file())).await
            } else {
                export::export(&store, &job, BufWriter::new(out.file())).await
            };
            match written {
                Ok(n) => out.commit().map(|_| n).map_err(|e| Failure::failed(format!("cannot write {e}"))),
                Err(e) => Err(export_failure(e)),
            }
        }
        None if parquet => export::export_parquet(&store, &job, BufWriter::new(std::io::stdout()))
            .await
            .map_err(export_failure),
        None => {
            job.escape = std::io::stdout().is_terminal();
            let stdout = std::io::stdout().lock();
            export::export(&store, &job, BufWriter::new(stdout)).await.map_err(export_failure)
        }
    };
    match result {
        Ok(n) => {
            if let Some(path) = output {
                eprintln!(
                    "wrote {} of {dataset} to {}",
                    crate::model::count(n as usize, "record"),
                    path.display()
                );
            }
            Ok(exit::DONE)
        }
        // `export | head` closes the pipe early: that is the reader's choice, not a failure.
        Err(f) if f.code == exit::DONE => Ok(exit::DONE),
        Err(f) => Err(f),
    }
}

/// One warning line on stderr naming the ended months of `spans` that the store read does not
/// hold complete (what is read misses them), with the command that fetches them; with
/// `--strict` a failure (exit 1) instead, before anything is written.
fn check_complete(
    settings: &Settings,
    coverage: std::result::Result<&[MonthCoverage], &StoreError>,
    spans: &[(Month, Month)],
    strict: bool,
) -> Result<(), Failure> {
    let dataset = settings.dataset;
    let coverage = match coverage {
        Ok(c) => c,
        Err(e) if !strict => {
            eprintln!(
                "warning: cannot tell which months the {} store holds complete: {e}",
                settings.read_store
            );
            return Ok(());
        }
        Err(e) => {
            return Err(Failure::failed(format!(
                "cannot tell which months the store holds complete: {e} (--strict)"
            )))
        }
    };
    let (first_month, now) = (dataset.spec().first_month, chrono::Utc::now());
    let missing: Vec<Month> = spans
        .iter()
        .flat_map(|(first, last)| crate::store::incomplete_months(coverage, *first, *last, first_month, now))
        .collect();
    let (Some(from), Some(to)) = (missing.first(), missing.last()) else { return Ok(()) };
    // The command fetches into the store read: named when it is not among the sinks by default.
    let mut fetch = format!("elhub-explorer --ingest-only --dataset {dataset} --from {from} --to {to}");
    if !settings.sinks.contains(&settings.read_store) {
        fetch.push_str(&format!(" --sinks {}", settings.read_store));
    }
    if settings.read_store == StoreKind::Sqlite && !settings.db_is_default {
        fetch.push_str(&format!(" --db {}", settings.db_path.display()));
    }
    let line = report::incomplete_months_line(dataset, settings.read_store, &missing, &fetch);
    if strict {
        return Err(Failure::failed(format!("{line} (--strict)")));
    }
    eprintln!("warning: {line}");
    Ok(())
}

/// The months from the first to the last of `dataset` the store holds anything of: checkpoints
/// and monthly totals together (a month that failed has no checkpoint but may hold records).
async fn stored_span(store: &Store, dataset: Dataset, coverage: &[MonthCoverage]) -> Option<(Month, Month)> {
    let mut months: Vec<Month> = coverage.iter().map(|c| c.month).collect();
    let totals = store.rollups(dataset, &Scope::All, Period::Month, 0, i32::MAX).await.unwrap_or_default();
    months.extend(totals.iter().filter_map(|r| Month::new(r.key / 100, (r.key % 100) as u32)));
    Some((*months.iter().min()?, *months.iter().max()?))
}

/// An export's failure as a line and a code (a closed pipe is no failure: code 0).
fn export_failure(e: export::ExportError) -> Failure {
    match e {
        export::ExportError::Store(e) => e.into(),
        export::ExportError::BrokenPipe => Failure { code: exit::DONE, message: String::new() },
        e => Failure::failed(e.to_string()),
    }
}

/// Why `--entity`, `--area` or `--group` chose nothing, with what is stored.
fn no_match(dataset: Dataset, args: &ExportArgs, stored: &[SeriesKey]) -> String {
    let list = |mut items: Vec<&str>| {
        items.sort();
        items.dedup();
        let n = items.len();
        let shown = items.iter().take(12).map(|s| printable(s).into_owned()).collect::<Vec<_>>().join(", ");
        if n > 12 {
            format!("{shown}, … ({n})")
        } else if n == 0 {
            "none".to_string()
        } else {
            shown
        }
    };
    let mut asked = Vec::new();
    if let Some(e) = &args.entity {
        asked.push(format!("--entity {}", printable(e)));
    }
    if let Some(a) = args.area {
        asked.push(format!("--area {a}"));
    }
    if let Some(g) = &args.group {
        asked.push(format!("--group {}", printable(g)));
    }
    format!(
        "no {dataset} records match {} (stored {}: {}; groups: {})",
        asked.join(" "),
        dataset.entity().title().to_lowercase(),
        list(stored.iter().map(|k| k.entity.as_str()).collect()),
        list(stored.iter().map(|k| k.group.as_str()).collect())
    )
}

pub(super) async fn run_summary(settings: &Settings, cli: &Cli, args: &SummaryArgs) -> Result<i32, Failure> {
    let store = open_store(settings, settings.read_store, Access::Read).await?;
    let dataset = settings.dataset;
    let kind = dataset.entity();
    // The entity first: a name that matches nothing (or several) is the one line said.
    let chosen = chosen_entities(&store, dataset, args.entity.as_deref(), args.area).await?;
    let stored = store.coverage(dataset).await?;
    let stored_in = |first: Month, last: Month| {
        stored.iter().filter(|c| c.records > 0 && c.month >= first && c.month <= last).count()
    };
    // The months summarised, a span per local year: a year given, the months of a range, or
    // (given neither) every year something is stored of, said on stderr.
    let spans: Vec<(Month, Month)> = if cli.options().range.given() {
        let range = settings.range;
        super::asked::not_in_the_future(range)?;
        range
            .years()
            .filter_map(|y| {
                let (first, last) = (Month::new(y, 1)?.max(range.from()), Month::new(y, 12)?.min(range.to()));
                Some((first, last))
            })
            .collect()
    } else {
        let mut years: Vec<(i32, usize)> = Vec::new();
        for c in stored.iter().filter(|c| c.records > 0) {
            match years.last_mut() {
                Some((y, n)) if *y == c.month.year() => *n += 1,
                _ => years.push((c.month.year(), 1)),
            }
        }
        if years.is_empty() {
            eprintln!("nothing of {dataset} is stored yet (an ingest fetches it: --ingest-only --dataset {dataset})");
            return Ok(exit::DONE);
        }
        let listed: Vec<String> = years
            .iter()
            .map(|(y, n)| if *n == 12 { y.to_string() } else { format!("{y} ({n} of 12 months)") })
            .collect();
        eprintln!("{dataset}: stored {}; each summarised (--year picks one)", listed.join(", "));
        years.iter().filter_map(|(y, _)| Some((Month::new(*y, 1)?, Month::new(*y, 12)?))).collect()
    };
    let mut ids: Vec<String> = match kind {
        EntityKind::PriceArea => PriceArea::ALL.iter().map(|a| a.to_string()).collect(),
        _ => {
            let mut ids: Vec<String> = store.series(dataset).await?.into_iter().map(|k| k.entity).collect();
            ids.dedup();
            ids
        }
    };
    if let Some(chosen) = &chosen {
        ids.retain(|id| chosen.contains(id));
    }
    let names = store.entities(kind).await?;
    let selection = summary::Selection { ids, filtered: chosen.is_some() };
    let mut rows = Vec::new();
    for span in &spans {
        rows.extend(summary::year_rows(&store, dataset, *span, &selection, &names).await?);
    }
    // A group named in any case; the table keeps the other rows for the shares.
    let group: Option<String> = match &args.group {
        None => None,
        Some(asked) => {
            let known: std::collections::BTreeSet<&str> =
                rows.iter().map(|r| r.group.as_str()).filter(|g| *g != "all").collect();
            match known.iter().find(|g| g.eq_ignore_ascii_case(asked.trim())) {
                Some(g) => Some(g.to_string()),
                None if rows.is_empty() => Some(asked.clone()),
                None => {
                    let listed: Vec<String> = known.iter().map(|g| printable(g).into_owned()).collect();
                    return Err(Failure::usage(format!(
                        "no {dataset} group is named {} (stored: {})",
                        printable(asked),
                        listed.join(", ")
                    )));
                }
            }
        }
    };
    check_complete(settings, Ok(&stored), &spans, args.strict)?;
    let shown: Vec<summary::Row> =
        rows.iter().filter(|r| group.as_ref().is_none_or(|g| &r.group == g)).cloned().collect();
    let out = match args.format {
        SummaryFormat::Table => {
            let unit = summary::unit_for(&shown, args.unit);
            let mut text = String::new();
            for (first, last) in &spans {
                let of_year: Vec<summary::Row> =
                    rows.iter().filter(|r| r.year == first.year()).cloned().collect();
                let months = (last.month() - first.month() + 1) as usize;
                let mut title = match (first.month(), last.month()) {
                    (1, 12) => format!("{} (local year)", first.year()),
                    _ if first == last => format!("{first} (local month)"),
                    _ => format!("{first}..{last} (local months)"),
                };
                let held = stored_in(*first, *last);
                if held < months {
                    title.push_str(&format!(", {held} of {months} months stored"));
                }
                text.push_str(&summary::table(dataset, &title, &of_year, unit, group.as_deref()));
            }
            text.into_bytes()
        }
        SummaryFormat::Csv => {
            use std::io::IsTerminal;
            summary::csv(&shown, args.unit, std::io::stdout().is_terminal())
                .map_err(|e| Failure::failed(format!("cannot write the CSV: {e}")))?
        }
        SummaryFormat::Json => summary::json(&shown, args.unit)
            .map_err(|e| Failure::failed(format!("cannot write the JSON: {e}")))?,
    };
    print_out(&out)
}

/// The read store, or None where it is an embedded file not made yet (nothing stored).
async fn store_if_any(settings: &Settings) -> Result<Option<Store>, Failure> {
    if settings.read_store == StoreKind::Sqlite && !settings.db_path.exists() {
        return Ok(None);
    }
    open_store(settings, settings.read_store, Access::Read).await.map(Some)
}

/// `datasets`: the catalogue, with what the store holds of each (known without a store).
pub(super) async fn run_datasets(settings: &Settings, format: ListFormat) -> Result<i32, Failure> {
    let store = store_if_any(settings).await?;
    let mut stored = Vec::new();
    for dataset in Dataset::all() {
        let months = match &store {
            Some(store) => store.coverage(dataset).await?,
            None => Vec::new(),
        };
        stored.push((dataset, months));
    }
    let text = match format {
        ListFormat::Table => {
            let mut text = report::datasets_table(&stored);
            if store.is_none() {
                text.push_str(&format!(
                    "\nNothing stored yet: {} does not exist (an ingest makes it).\n",
                    settings.db_path.display()
                ));
            }
            text
        }
        ListFormat::Csv => report::datasets_csv(&stored),
        ListFormat::Json => report::datasets_json(&stored),
    };
    print_out(text.as_bytes())
}

/// `entities`: the dataset's entities with their names, price areas, and whether anything of
/// each is stored.
pub(super) async fn run_entities(settings: &Settings, format: ListFormat) -> Result<i32, Failure> {
    let dataset = settings.dataset;
    let kind = dataset.entity();
    let store = store_if_any(settings).await?;
    let (mut known, stored) = match &store {
        Some(store) => (store.entities(kind).await?, store.series(dataset).await?),
        None => (Vec::new(), Vec::new()),
    };
    if kind == EntityKind::PriceArea {
        for area in PriceArea::ALL {
            if !known.iter().any(|e| e.id == area.as_str()) {
                known.push(Entity { kind, id: area.to_string(), name: area.to_string(), price_area: None });
            }
        }
        known.sort_by(|a, b| a.id.cmp(&b.id));
    }
    if known.is_empty() {
        eprintln!(
            "no {} are known yet: the API lists them with the first ingest of {dataset}",
            kind.title().to_lowercase()
        );
        return Ok(exit::DONE);
    }
    let with_data: std::collections::BTreeSet<&str> = stored.iter().map(|k| k.entity.as_str()).collect();
    let rows: Vec<report::EntityLine> = known
        .iter()
        .map(|e| report::EntityLine {
            id: e.id.clone(),
            name: match kind {
                EntityKind::PriceArea => {
                    e.id.parse::<PriceArea>()
                        .map_or_else(|_| e.display_name().into_owned(), |a| a.city().to_string())
                }
                _ => e.display_name().into_owned(),
            },
            name_as_sent: e.name.clone(),
            price_area: e.price_area.clone(),
            stored: with_data.contains(e.id.as_str()),
        })
        .collect();
    let text = match format {
        ListFormat::Table => report::entities_table(dataset, &rows),
        ListFormat::Csv => report::entities_csv(dataset, &rows),
        ListFormat::Json => report::entities_json(dataset, &rows),
    };
    print_out(text.as_bytes())
}
