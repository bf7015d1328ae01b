//! What a series is to the explorer: a dataset, one entity or all of them together, one group or
//! all of them together. The current selection is one; pins (`p`) are others drawn beside it.
//! Typed, so "all" is never a string that could also be a name.

use serde::{Deserialize, Serialize};

use crate::model::{Dataset, Group};
use crate::store::Scope;

/// One group, or every group of the dataset summed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Groups {
    One(Group),
    All,
}

impl Groups {
    /// The group as the store's queries take it: `None` for every group.
    pub fn as_option(&self) -> Option<&str> {
        match self {
            Groups::One(g) => Some(g),
            Groups::All => None,
        }
    }

    /// As titles say it: `hydro`, `all groups`.
    pub fn title(&self) -> String {
        match self {
            Groups::One(g) => crate::model::printable(g).into_owned(),
            Groups::All => "all groups".to_string(),
        }
    }

    /// As file names and the remembered view write it: the group, or `*` for all.
    pub fn key(&self) -> &str {
        self.as_option().unwrap_or(ALL_KEY)
    }

    pub fn from_key(key: &str) -> Groups {
        if key == ALL_KEY {
            Groups::All
        } else {
            Groups::One(key.to_string())
        }
    }
}

/// How "all" is written in the remembered view (`view.json`), the one place it is a string.
pub const ALL_KEY: &str = "*";

/// An entity or all of them, as the remembered view writes it.
pub fn scope_key(scope: &Scope) -> &str {
    match scope {
        Scope::Entity(id) => id,
        Scope::All => ALL_KEY,
    }
}

pub fn scope_from_key(key: &str) -> Scope {
    if key == ALL_KEY {
        Scope::All
    } else {
        Scope::Entity(key.to_string())
    }
}

/// One series: what the curve pane draws, and what a pin holds.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Series {
    pub dataset: Dataset,
    pub entity: Scope,
    pub group: Groups,
}

impl Series {
    /// The entity as the store's curve queries take it: `None` for every entity.
    pub fn entity_option(&self) -> Option<&str> {
        match &self.entity {
            Scope::Entity(id) => Some(id),
            Scope::All => None,
        }
    }
}

/// A pin as `view.json` keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedSeries {
    pub dataset: String,
    pub entity: String,
    pub group: String,
}

impl SavedSeries {
    pub fn of(series: &Series) -> SavedSeries {
        SavedSeries {
            dataset: series.dataset.to_string(),
            entity: scope_key(&series.entity).to_string(),
            group: series.group.key().to_string(),
        }
    }

    /// The series, when its dataset is still known.
    pub fn parsed(&self) -> Option<Series> {
        Some(Series {
            dataset: self.dataset.parse().ok()?,
            entity: scope_from_key(&self.entity),
            group: Groups::from_key(&self.group),
        })
    }
}
