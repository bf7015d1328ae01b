//! The last view, kept between runs: dataset, entity, group, month, how the panes show them and
//! the pins, written to `view.json` in the XDG state directory when the explorer quits and read
//! when it starts (`--fresh` starts from the defaults). A missing, old or damaged file is no
//! error: the explorer starts from the defaults and overwrites it at the next quit.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::state::selection::{scope_from_key, scope_key, Groups, SavedSeries};
use super::state::{App, Look, MAX_PINS};
use crate::model::{Dataset, Month};

/// What is remembered; names rather than internal values, so the file reads as what it is. Files
/// of earlier versions (without pins, overlay, side by side) still read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedView {
    pub dataset: String,
    /// The entity's id, or `*` for all of them.
    pub entity: String,
    /// The group, or `*` for all of them.
    pub group: String,
    pub month: String,
    #[serde(flatten)]
    pub look: Look,
    #[serde(default)]
    pub pins: Vec<SavedSeries>,
}

impl SavedView {
    pub fn of(app: &App) -> SavedView {
        SavedView {
            dataset: app.dataset.to_string(),
            entity: app.entity.as_ref().map_or(String::new(), |e| scope_key(e).to_string()),
            group: app.group.key().to_string(),
            month: app.month.to_string(),
            look: app.look,
            pins: app.pins.iter().map(SavedSeries::of).collect(),
        }
    }

    /// The dataset and month, when they still parse.
    pub fn parsed(&self) -> Option<(Dataset, Month)> {
        Some((self.dataset.parse().ok()?, self.month.parse().ok()?))
    }

    /// Shows this view in `app`: the dataset, entity, group and month (kept within the months
    /// there can be data for), how they are shown, and the pins whose datasets are still known.
    pub fn restore(&self, app: &mut App) {
        let Some((dataset, month)) = self.parsed() else { return };
        app.set_dataset(dataset);
        if !self.entity.is_empty() {
            app.select_entity(scope_from_key(&self.entity));
        }
        app.group = Groups::from_key(&self.group);
        app.set_month(month);
        app.look = self.look;
        app.pins = self.pins.iter().filter_map(SavedSeries::parsed).take(MAX_PINS).collect();
        app.set_opened();
        app.keep_selection_visible();
    }
}

/// The largest remembered view read: a real one is a few hundred bytes.
const MAX_VIEW_BYTES: u64 = 64 << 10;

/// The view remembered in `path`, if there is a readable one. Only a small regular file is read,
/// never waiting on a FIFO or reading a device; anything else is ignored with a log line.
pub fn load(path: &Path) -> Option<SavedView> {
    let body = match crate::outfile::read_small(path, MAX_VIEW_BYTES) {
        Ok(body) => body,
        Err(reason) => {
            if std::fs::symlink_metadata(path).is_ok() {
                tracing::warn!("the remembered view is ignored: {reason}");
            }
            return None;
        }
    };
    let view: SavedView = serde_json::from_slice(&body).ok()?;
    view.parsed().map(|_| view)
}

/// Writes the view to `path` (whole or not at all; only ever a regular file: a FIFO or a link
/// there is left alone); the reason when it cannot.
pub fn store(path: &Path, app: &App) -> Result<(), String> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let body = serde_json::to_vec_pretty(&SavedView::of(app)).map_err(|e| e.to_string())?;
    crate::outfile::write_whole(path, crate::outfile::Links::OwnState, &body)
        .map_err(|e| format!("cannot write {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Only a small regular file is read: a link to a device, a huge file and a FIFO are each
    /// ignored at once (they took 1.8 GB, 1.2 GB and a hang before).
    #[test]
    fn only_a_small_regular_file_is_read_never_a_device_a_giant_or_a_fifo() {
        let dir = tempfile::tempdir().unwrap();
        let started = std::time::Instant::now();
        let zero = dir.path().join("zero.json");
        std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
        assert_eq!(load(&zero), None);
        let huge = dir.path().join("huge.json");
        std::fs::File::create(&huge).unwrap().set_len(1_200_000_000).unwrap(); // sparse
        assert_eq!(load(&huge), None);
        let fifo = dir.path().join("fifo.json");
        assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
        assert_eq!(load(&fifo), None, "no writer, no wait");
        assert!(started.elapsed() < std::time::Duration::from_secs(2), "{:?}", started.elapsed());
        assert_eq!(
            crate::outfile::read_small(&huge, MAX_VIEW_BYTES).unwrap_err(),
            format!("{} is larger than 64 kB", huge.display())
        );
        assert!(crate::outfile::read_small(&fifo, MAX_VIEW_BYTES)
            .unwrap_err()
            .ends_with("is not a regular file"));
    }
}
