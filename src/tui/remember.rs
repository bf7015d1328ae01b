//! The last view, kept between runs: dataset, entity, group, month and how the panes show them,
//! written to `view.json` in the XDG state directory when the explorer quits and read when it
//! starts (`--fresh` starts from the defaults). A missing, old or damaged file is no error: the
//! explorer starts from the defaults and overwrites it at the next quit.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::state::{App, ChartKind, CurveView};
use crate::model::{Dataset, Month};

/// What is remembered; names rather than internal values, so the file reads as what it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedView {
    pub dataset: String,
    pub entity: String,
    pub group: String,
    pub month: String,
    pub chart: ChartKind,
    pub view: CurveView,
    pub line: bool,
    pub zero_based: bool,
}

impl SavedView {
    pub fn of(app: &App) -> SavedView {
        SavedView {
            dataset: app.dataset.to_string(),
            entity: app.entity.clone(),
            group: app.group.clone(),
            month: app.month.to_string(),
            chart: app.chart,
            view: app.view,
            line: app.line,
            zero_based: app.zero_based,
        }
    }

    /// The dataset and month, when they still parse.
    pub fn parsed(&self) -> Option<(Dataset, Month)> {
        Some((self.dataset.parse().ok()?, self.month.parse().ok()?))
    }
}

/// The view remembered in `path`, if there is a readable one.
pub fn load(path: &Path) -> Option<SavedView> {
    let text = std::fs::read_to_string(path).ok()?;
    let view: SavedView = serde_json::from_str(&text).ok()?;
    view.parsed().map(|_| view)
}

/// Writes the view to `path` (whole or not at all); the reason when it cannot.
pub fn store(path: &Path, app: &App) -> Result<(), String> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let body = serde_json::to_vec_pretty(&SavedView::of(app)).map_err(|e| e.to_string())?;
    let tmp = tempfile::Builder::new()
        .prefix(".view-")
        .tempfile_in(dir)
        .map_err(|e| format!("cannot write in {}: {e}", dir.display()))?;
    std::fs::write(tmp.path(), body).map_err(|e| format!("cannot write {}: {e}", tmp.path().display()))?;
    tmp.persist(path).map(|_| ()).map_err(|e| format!("cannot write {}: {}", path.display(), e.error))
}
