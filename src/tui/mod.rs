//! The terminal explorer: terminal setup and restore, and the one `tokio::select!` loop over
//! key events, background results and a frame timer that is armed only when something changed
//! (idle means no wake-ups). Queries and fetches run as tasks that send owned messages back.

pub mod input;
pub mod keys;
pub mod remember;
pub mod save;
pub mod series;
pub mod state;
pub mod svg;
pub mod theme;
pub mod view;

use std::sync::Arc;
use std::time::{Duration, Instant};

use crossterm::event::{Event, EventStream};
use futures_util::StreamExt;
use ratatui::backend::Backend;
use ratatui::Terminal;
use tokio::sync::mpsc;

use crate::ingest::{CancellationToken, Launch};
use crate::model::SeriesKey;
use crate::store::{Scope, Store};
use state::{update, Action, Answer, App, Effect, Query};
use theme::Theme;

/// Redraws at most this often while results stream in.
const FRAME: Duration = Duration::from_millis(16);
/// How often the rate is refreshed while a fetch runs (and only then).
const TICK: Duration = Duration::from_millis(500);

/// One event enum on one channel: everything that reaches the loop besides the terminal.
#[derive(Debug)]
pub enum AppEvent {
    /// A query or an ingest reported back; applied as an action.
    Background(Action),
}

/// How queries take turns so the explorer never waits on one it no longer needs: one totals,
/// one curve and one metering-point query run at a time, and each asks, when its turn comes, whether its answer is
/// still wanted (the selection may have moved on meanwhile); one that is not is dropped
/// unanswered, so holding ↓ through 361 municipalities queries the last one, not all of them.
#[derive(Clone, Default)]
pub struct Turns {
    /// The queries the screen needs now (`App::shown_queries`).
    wanted: Arc<std::sync::Mutex<Vec<Query>>>,
    totals: Arc<tokio::sync::Mutex<()>>,
    curve: Arc<tokio::sync::Mutex<()>>,
    /// Metering point counts read a year of records: their own turn, so a long one (every
    /// municipality) never holds up the totals.
    points: Arc<tokio::sync::Mutex<()>>,
}

impl Turns {
    /// What the panes show now.
    pub fn want(&self, app: &App) {
        *self.wanted.lock().unwrap_or_else(|e| e.into_inner()) = app.shown_queries();
    }

    /// Runs a query in its turn: its answer, or `QueryDropped` when the selection moved on
    /// before its turn came. Entities and coverage are always answered.
    pub async fn query(&self, store: &Store, q: Query) -> Action {
        let always = matches!(q, Query::Entities(_) | Query::Coverage(_));
        let _turn = match &q {
            _ if always => None,
            Query::Points(_) => Some(self.points.lock().await),
            q if q.is_curve() => Some(self.curve.lock().await),
            _ => Some(self.totals.lock().await),
        };
        let wanted = always || self.wanted.lock().unwrap_or_else(|e| e.into_inner()).contains(&q);
        if !wanted {
            return Action::QueryDropped(q);
        }
        Action::Answered(query(store, q).await)
    }
}

/// What the explorer works with.
pub struct Explorer {
    /// The store the panes read.
    pub read: Arc<Store>,
    /// How `r` fetches: the client, the sinks, the dataset and range it starts on.
    pub launch: Launch,
    pub theme: Theme,
    /// When the process started, for the "first full frame" figure in the log.
    pub launched: Instant,
    /// Shown in the status line at start (a sink that could not be opened).
    pub notice: Option<String>,
    /// The view to start on (the last run's), and where to remember the view at quit.
    pub restore: Option<remember::SavedView>,
    pub view_file: Option<std::path::PathBuf>,
    /// Whether the range was named on the command line (see `App::range_given`).
    pub range_given: bool,
    /// The entity to open on (`--entity`, resolved to its id): wins over the remembered one.
    pub entity: Option<String>,
}

/// Runs the explorer on the real terminal; the terminal is restored on every exit path
/// (ratatui's panic hook covers panics).
pub async fn run(explorer: Explorer) -> color_eyre::Result<()> {
    let mut terminal = ratatui::try_init()?;
    let result = event_loop(&mut terminal, explorer, EventStream::new()).await;
    ratatui::try_restore()?;
    result
}

/// The loop, over any backend and any source of terminal events (tests use their own).
pub async fn event_loop<B, S>(
    terminal: &mut Terminal<B>,
    explorer: Explorer,
    mut input: S,
) -> color_eyre::Result<()>
where
    B: Backend,
    B::Error: Send + Sync + 'static,
    S: futures_util::Stream<Item = std::io::Result<Event>> + Unpin,
{
    let launched = explorer.launched;
    let (tx, mut rx) = mpsc::unbounded_channel::<AppEvent>();
    // Short enough for the status line: the kind and the last part of its location.
    let location = explorer.read.location();
    let short = location.rsplit(['/', '\\']).next().unwrap_or(&location).to_string();
    let store_label = format!("{} {short}", explorer.read.kind());
    let mut app =
        App::new(explorer.launch.dataset, explorer.launch.range, store_label, explorer.theme, Instant::now());
    app.message = explorer.notice.clone();
    app.range_given = explorer.range_given;
    if let Some(saved) = &explorer.restore {
        saved.restore(&mut app);
    }
    if let Some(id) = &explorer.entity {
        app.open_on(id.clone());
    }
    let mut fetch_task: Option<(CancellationToken, tokio::task::JoinHandle<()>)> = None;
    let turns = Turns::default();
    let effects = app.start();
    turns.want(&app);
    run_effects(&explorer, &turns, &tx, effects, &mut fetch_task);
    let mut dirty = true;
    let mut last_frame = Instant::now() - FRAME;
    let mut first_full_frame_logged = false;
    // A closed terminal (SIGHUP) or a polite kill (SIGTERM) quits as `q` does: the view is
    // remembered and a fetch under way stops between windows.
    let mut hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())?;
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        if dirty && last_frame.elapsed() >= FRAME {
            terminal.draw(|f| view::render(&app, f))?;
            dirty = false;
            // The cursor's range follows the plot's width (a resize, another layout).
            let size = terminal.size()?;
            let width = view::curve_width(&app, size.width, size.height);
            if width != app.curve_width {
                let effects = update(&mut app, Action::CurveWidth(width));
                turns.want(&app);
                run_effects(&explorer, &turns, &tx, effects, &mut fetch_task);
                dirty = true;
            }
            last_frame = Instant::now();
            if !first_full_frame_logged && full_frame(&app) {
                first_full_frame_logged = true;
                tracing::info!(ms = launched.elapsed().as_secs_f64() * 1e3, "first full frame");
            }
        }
        let frame_due = tokio::time::sleep(FRAME.saturating_sub(last_frame.elapsed()));
        let action = tokio::select! {
            event = input.next() => match event {
                Some(Ok(Event::Key(key))) => input::handle_key(&app, key),
                Some(Ok(Event::Resize(..))) => {
                    dirty = true;
                    None
                }
                Some(Ok(_)) => None,
                Some(Err(e)) => return Err(e.into()),
                None => Some(Action::Quit),
            },
            Some(AppEvent::Background(action)) = rx.recv() => Some(action),
            _ = frame_due, if dirty => None,
            _ = tick.tick(), if app.fetching() => Some(Action::Tick(Instant::now())),
            _ = hangup.recv() => Some(Action::Quit),
            _ = terminate.recv() => Some(Action::Quit),
        };
        if let Some(action) = action {
            let mut effects = update(&mut app, action);
            if effects.contains(&Effect::SaveView) {
                effects.retain(|e| *e != Effect::SaveView);
                let size = terminal.size()?;
                let saved = save::save_view(&app, size.width, size.height, std::path::Path::new("."));
                effects.extend(update(&mut app, Action::Saved(saved)));
            }
            turns.want(&app);
            run_effects(&explorer, &turns, &tx, effects, &mut fetch_task);
            dirty = true;
        }
        if app.quit {
            break;
        }
    }
    if let Some(path) = &explorer.view_file {
        if let Err(e) = remember::store(path, &app) {
            tracing::warn!(error = %e, "the view could not be remembered");
        }
    }
    if let Some((stop, task)) = fetch_task {
        // Windows being written finish their transaction; nothing half-written stays, and a
        // rerun fetches what is left. Waiting is bounded, so quitting stays quick.
        stop.cancel();
        let _ = tokio::time::timeout(Duration::from_secs(5), task).await;
    }
    Ok(())
}

/// Asks the store a query; its answer (an error as text, for the status line).
pub async fn query(store: &Store, q: Query) -> Answer {
    let text = |e: crate::store::StoreError| e.to_string();
    match q {
        Query::Entities(kind) => Answer::Entities(kind, store.entities(kind).await.map_err(text)),
        Query::Coverage(dataset) => Answer::Coverage(dataset, store.coverage(dataset).await.map_err(text)),
        Query::Totals(key) => {
            let r = store.annual_totals(key.dataset, &key.entity, key.year).await;
            Answer::Totals(key, r.map_err(text))
        }
        Query::Curve(key) => {
            let (from, to) = (key.month.start_utc(), key.month.end_utc());
            let s = &key.series;
            let (entity, group) = (s.entity_option(), s.group.as_option());
            let r = match (entity, group) {
                _ if key.per_point => store.steps_per_point(s.dataset, entity, group, from, to).await,
                (Some(e), Some(g)) => store.steps(s.dataset, &SeriesKey::new(e, g), from, to).await,
                _ => store.summed_steps(s.dataset, entity, group, from, to).await,
            };
            Answer::Curve(key, r.map_err(text))
        }
        Query::Year(key) => {
            let s = &key.series;
            let r = store.daily_totals(s.dataset, &s.entity, s.group.as_option(), key.year).await;
            Answer::Year(key, r.map_err(text))
        }
        Query::Side(key) => {
            let r = store.entity_totals(key.dataset, key.group.as_option(), key.year).await;
            Answer::Side(key, r.map_err(text))
        }
        Query::Points(key) => {
            let entity = match &key.entity {
                Scope::Entity(id) => Some(id.as_str()),
                Scope::All => None,
            };
            let r = store.point_counts(key.dataset, entity, key.year).await;
            Answer::Points(key, r.map_err(text))
        }
    }
}

/// Whether the panes show data (or know there is none), not just "loading".
fn full_frame(app: &App) -> bool {
    use state::Loadable::Loading;
    !matches!(app.current_totals(), None | Some(Loading)) && !matches!(app.main_curve(), Loading)
}

fn run_effects(
    explorer: &Explorer,
    turns: &Turns,
    tx: &mpsc::UnboundedSender<AppEvent>,
    effects: Vec<Effect>,
    fetch_task: &mut Option<(CancellationToken, tokio::task::JoinHandle<()>)>,
) {
    for effect in effects {
        let (store, tx) = (explorer.read.clone(), tx.clone());
        let send = move |a: Action| {
            let _ = tx.send(AppEvent::Background(a));
        };
        match effect {
            Effect::StartFetch(dataset, mode, range) => {
                let mut running = Launch { dataset, mode, range, ..explorer.launch.clone() }.start();
                let stop = running.stop.clone();
                let task = tokio::spawn(async move {
                    while let Some(p) = running.progress.recv().await {
                        send(Action::Ingest(p));
                    }
                    let _ = running.task.await;
                });
                *fetch_task = Some((stop, task));
            }
            Effect::Query(q) => {
                let turns = turns.clone();
                tokio::spawn(async move { send(turns.query(&store, q).await) });
            }
            // Saving needs the terminal's size: the loop does it before effects run.
            Effect::SaveView => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A query whose selection was left before its turn is dropped, not run; the current one
    /// is answered.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn queries_for_a_selection_left_behind_are_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(crate::store::SqliteStore::open(&dir.path().join("t.sqlite")).unwrap());
        let mut app = state::sample_app();
        app.start();
        let turns = Turns::default();
        let left = Query::Totals(app.totals_key().unwrap());
        update(&mut app, Action::SelectNth(2));
        turns.want(&app);
        assert_eq!(turns.query(&store, left.clone()).await, Action::QueryDropped(left));
        // The year's days too: a year left behind is dropped.
        update(&mut app, Action::StepView);
        turns.want(&app);
        let year = Query::Year(app.year_key(&app.series().unwrap()));
        update(&mut app, Action::StepYear(1));
        turns.want(&app);
        assert_eq!(turns.query(&store, year.clone()).await, Action::QueryDropped(year));
        let current = app.totals_key().unwrap();
        let answered = turns.query(&store, Query::Totals(current.clone())).await;
        assert!(
            matches!(&answered, Action::Answered(Answer::Totals(k, Ok(t))) if *k == current && t.is_empty()),
            "{answered:?}"
        );
    }
}
