//! What a user asked for, checked before anything is fetched or read: a range that is not in
//! the future, and the entity `--entity` names by number, EIC or name.

use super::Failure;
use crate::model::{
    count, printable, resolve_entity, suggest_entities, Dataset, EntityKind, Month, MonthRange, Resolved,
};
use crate::store::Store;

/// A range wholly after this month has no data to fetch or read: a usage error naming the last
/// month that can have some.
pub(super) fn not_in_the_future(range: MonthRange) -> Result<(), Failure> {
    let this = Month::containing(chrono::Utc::now());
    if range.from() > this {
        return Err(Failure::usage(format!(
            "the range {range} lies in the future: {this} is the last month that can have data"
        )));
    }
    Ok(())
}

/// The entity `--entity` names (a number, an EIC or a name, ignoring case and accents) among
/// those the store knows: its id, or a usage error listing the candidates or saying none match.
pub(super) async fn resolve(store: &Store, dataset: Dataset, query: &str) -> Result<String, Failure> {
    let kind = dataset.entity();
    let known = store.entities(kind).await?;
    match resolve_entity(query, kind, &known) {
        Resolved::One(id) => Ok(id),
        Resolved::Ambiguous(found) => {
            let n = found.len();
            let shown: Vec<String> = found
                .iter()
                .take(8)
                .map(|(id, name)| format!("{} {}", printable(id), printable(name)))
                .collect();
            let more = if n > 8 { format!(", … ({n} in all)") } else { String::new() };
            Err(Failure::usage(format!(
                "--entity {} matches {}: {}{more}; give one of the ids",
                printable(query),
                count(n, kind.noun()),
                shown.join(", ")
            )))
        }
        Resolved::None if known.is_empty() && kind != EntityKind::PriceArea => Err(Failure::usage(format!(
            "--entity {}: no {} are stored yet for {dataset} (an ingest brings them)",
            printable(query),
            kind.title().to_lowercase()
        ))),
        Resolved::None => {
            let near = suggest_entities(query, kind, &known);
            let list = format!("elhub-explorer entities --dataset {dataset} lists them");
            let hint = match near.as_slice() {
                [] => list,
                _ => format!(
                    "did you mean {}? {list}",
                    near.iter()
                        .map(|(id, name)| format!("{} ({})", printable(name), printable(id)))
                        .collect::<Vec<_>>()
                        .join(" or ")
                ),
            };
            Err(Failure::usage(format!("no {} matches --entity {} ({hint})", kind.noun(), printable(query))))
        }
    }
}
