//! The real binary in a real terminal (tmux), driven by keys as a user over SSH would: the
//! first run on an empty store fetches at once and the panes fill; keys change the view; a
//! too-small terminal gets a message and recovers; q quits and leaves the terminal restored.

#![allow(clippy::unwrap_used)] // tests fail loudly by design

mod common;

use common::tmux::Tmux;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

fn tmux_available() -> bool {
    Command::new("tmux").arg("-V").output().is_ok_and(|o| o.status.success())
}

fn shell_quote(p: &Path) -> String {
    format!("'{}'", p.display().to_string().replace('\'', "'\\''"))
}

/// The real binary in a directory of its own, with its own XDG directories, against a replica.
struct Session<'a> {
    dir: &'a Path,
    url: String,
}

impl Session<'_> {
    fn env(&self) -> String {
        format!(
            "env -i HOME={dir} PATH=/usr/bin:/bin TERM=xterm-256color XDG_DATA_HOME={dir}/data \
             XDG_STATE_HOME={dir}/state XDG_CONFIG_HOME={dir}/config",
            dir = shell_quote(self.dir)
        )
    }

    fn bin(&self) -> String {
        shell_quote(Path::new(env!("CARGO_BIN_EXE_elhub-explorer")))
    }

    /// The explorer in a tmux server of its own (`name`), `width`×`height`, with `args`.
    fn start(&self, name: &str, size: (u16, u16), args: &str) -> Tmux {
        let script = format!(
            "cd {dir} && {env} {bin} --api-url {url} {args}; echo \"exit=$?\"; sleep 60",
            dir = shell_quote(self.dir),
            env = self.env(),
            bin = self.bin(),
            url = self.url,
        );
        let tmux = Tmux { socket: format!("elhub-e2e-{name}-{}", std::process::id()) };
        let (w, h) = (size.0.to_string(), size.1.to_string());
        tmux.run(&["new-session", "-d", "-s", "e2e", "-x", &w, "-y", &h, &script]);
        tmux
    }

    /// A command of the binary run to its end (`{url}` in `args` is the replica's).
    fn run(&self, args: &str) -> std::process::Output {
        let args = args.replace("{url}", &self.url);
        let line = format!("cd {} && {} {} {args}", shell_quote(self.dir), self.env(), self.bin());
        Command::new("sh").arg("-c").arg(line).output().unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(tmux_present),
    ignore = "tmux is not installed: the binary cannot be driven in a terminal here"
)]
async fn explore_with_keys_in_a_real_terminal() {
    assert!(tmux_available(), "tmux was found at build time but does not run");
    let replica = common::start_replica().await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let script = format!(
        "cd {dir} && env -i HOME={dir} PATH=/usr/bin:/bin TERM=xterm-256color XDG_DATA_HOME={dir}/data \
         XDG_STATE_HOME={dir}/state XDG_CONFIG_HOME={dir}/config {bin} --api-url {url} --from 2021-01 --to 2021-03; \
         echo \"exit=$?\"; stty -a | grep -o -- '-*icanon'; sleep 60",
        dir = shell_quote(d),
        bin = shell_quote(Path::new(env!("CARGO_BIN_EXE_elhub-explorer"))),
        url = replica.url(),
    );
    let tmux = Tmux { socket: format!("elhub-e2e-{}", std::process::id()) };
    tmux.run(&["new-session", "-d", "-s", "e2e", "-x", "110", "-y", "32", &script]);

    // An empty store: the range is fetched at once and the panes fill as months land.
    tmux.wait_for(&["Fetched production", "2021-03 ✓ 17,832", "NO1 Oslo · bars", ">hydro"]);
    let screen = tmux.wait_for(&["Hourly · NO1 Oslo hydro · Mar 2021", "min ", "743 h"]);
    assert!(screen.contains("? help"), "{screen}");

    // Idle means no wake-ups: over two quiet seconds the process uses next to no CPU
    // (a busy loop would use about 200 ticks of 10 ms).
    let shell: String = tmux.run(&["list-panes", "-t", "e2e", "-F", "#{pane_pid}"]).trim().to_string();
    let explorer = Command::new("pgrep").args(["-P", &shell]).output().unwrap();
    let pid = String::from_utf8_lossy(&explorer.stdout).trim().to_string();
    let cpu_ticks = || -> u64 {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
        let fields: Vec<&str> = stat.rsplit_once(')').unwrap().1.split_whitespace().collect();
        fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
    };
    let before = cpu_ticks();
    std::thread::sleep(Duration::from_secs(2));
    let used = cpu_ticks() - before;
    eprintln!("idle CPU ticks in 2 s: {used}");
    assert!(used <= 5, "the idle explorer used {used} CPU ticks in 2 s");

    tmux.keys(&["3"]);
    tmux.wait_for(&["NO3 Trondheim · bars", ">3 NO3 Trondheim", "Hourly · NO3 Trondheim hydro"]);
    tmux.keys(&["g"]);
    tmux.wait_for(&["Hourly · NO3 Trondheim wind"]);
    tmux.keys(&["h"]);
    tmux.wait_for(&["Hourly · NO3 Trondheim wind · Feb 2021", "672 h"]);
    tmux.keys(&["b"]);
    tmux.wait_for(&["NO3 Trondheim · sectors", ">■ wind"]);
    tmux.keys(&["?"]);
    tmux.wait_for(&["Keys", "Esc closes"]);
    tmux.keys(&["q"]);
    let screen = tmux.wait_gone("Esc closes");
    assert!(!screen.contains("exit="), "q closes help, it does not quit: {screen}");
    assert!(screen.contains("NO3 Trondheim · sectors"), "{screen}");

    // Resize: a message instead of a crash, and the panes come back.
    tmux.run(&["resize-window", "-t", "e2e", "-x", "50", "-y", "12"]);
    tmux.wait_for(&["Terminal too small: 50x12"]);
    tmux.run(&["resize-window", "-t", "e2e", "-x", "110", "-y", "32"]);
    tmux.wait_for(&["NO3 Trondheim · sectors"]);

    // q quits with 0 and the terminal is back in cooked mode (icanon on, not -icanon).
    tmux.keys(&["q"]);
    // Wait for stty's line too: the shell prints it just after the exit code.
    let screen = tmux.wait_for(&["exit=0", "icanon"]);
    let after: Vec<&str> = screen.lines().skip_while(|l| !l.contains("exit=0")).collect();
    assert!(after.iter().any(|l| l.trim() == "icanon"), "terminal not restored:\n{screen}");
    assert!(d.join("state/elhub-explorer/elhub-explorer.log").is_file(), "logs go to the state directory");
}

/// Municipalities: a day at a time with the rate limit, the list filled as days land, `/`
/// finding Tromsø by typing "tromso", Enter keeping the filter, Esc dropping it, and `d`
/// moving on through the catalogue.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(tmux_present),
    ignore = "tmux is not installed: the binary cannot be driven in a terminal here"
)]
async fn municipalities_are_found_by_typing_their_name() {
    assert!(tmux_available(), "tmux was found at build time but does not run");
    let replica = common::start_replica().await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let script = format!(
        "cd {dir} && env -i HOME={dir} PATH=/usr/bin:/bin TERM=xterm-256color XDG_DATA_HOME={dir}/data \
         XDG_STATE_HOME={dir}/state XDG_CONFIG_HOME={dir}/config {bin} --api-url {url} \
         --dataset consumption-municipality --from 2021-02 --to 2021-02; echo \"exit=$?\"; sleep 60",
        dir = shell_quote(d),
        bin = shell_quote(Path::new(env!("CARGO_BIN_EXE_elhub-explorer"))),
        url = replica.url(),
    );
    let tmux = Tmux { socket: format!("elhub-e2e-muni-{}", std::process::id()) };
    tmux.run(&["new-session", "-d", "-s", "e2e", "-x", "110", "-y", "32", &script]);
    // 28 one-day requests at the API's rate: the list fills as the first day lands.
    tmux.wait_for(&["Municipalities · 361", "0000 Ukjent"]);
    tmux.wait_for(&["Fetched ", "2021-02 ✓ 727,776"]);
    let requests = replica.state.request_log();
    assert_eq!(requests.len(), 28, "a request a day");
    tmux.keys(&["/"]);
    tmux.wait_for(&["/_"]);
    for c in ["t", "r", "o", "m", "s", "o"] {
        tmux.keys(&[c]);
    }
    let screen =
        tmux.wait_for(&["Municipalities · 1/361", ">1 5501 Tromsø", "/tromso_", "5501 Tromsø · bars"]);
    assert!(screen.contains("Hourly · 5501 Tromsø private · Feb 2021"), "{screen}");
    tmux.keys(&["Enter"]);
    tmux.wait_for(&["/tromso "]);
    // With the filter kept, keys act again: g moves the group.
    tmux.keys(&["g"]);
    tmux.wait_for(&["Hourly · 5501 Tromsø business"]);
    tmux.keys(&["Escape"]);
    let screen = tmux.wait_for(&["Municipalities · 361"]);
    assert!(screen.contains(">  5501 Tromsø"), "the selection stays when the filter goes: {screen}");
    assert!(!screen.contains("/tromso"), "{screen}");
    tmux.keys(&["d"]);
    tmux.wait_for(&["Grid areas", "consumption-grid-area"]);
    tmux.keys(&["q"]);
    tmux.wait_for(&["exit=0"]);
}

/// An analyst's session: the cursor reads an hour, `v` shows the year and the average day, `:`
/// jumps to a month, `a` puts the areas side by side, `s` saves the view (an SVG, and CSVs whose
/// curve equals the store's records), and a restart comes back to the same view (`--fresh`
/// does not).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(tmux_present),
    ignore = "tmux is not installed: the binary cannot be driven in a terminal here"
)]
async fn an_analysts_session_reads_compares_saves_and_comes_back() {
    assert!(tmux_available(), "tmux was found at build time but does not run");
    let replica = common::start_replica().await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let session = Session { dir: d, url: replica.url() };
    let start = |extra: &str| session.start(&format!("analyst-{}", extra.len()), (140, 45), extra);
    let tmux = start("--from 2021-01 --to 2021-03");
    tmux.wait_for(&["Fetched production", "2021-03 ✓ 17,832", "Hourly · NO1 Oslo hydro · Mar 2021", "743 h"]);
    // The cursor reads a column: its time, its value and its day's total.
    tmux.keys(&["]"]);
    let screen = tmux.wait_for(&[" · day "]);
    assert!(screen.contains(" Mar "), "{screen}");
    tmux.keys(&["Escape"]);
    tmux.wait_for(&["743 h"]);
    // The year: days as a curve, the twelve months, and how much of the year is stored.
    tmux.keys(&["v"]);
    tmux.wait_for(&["Daily · NO1 Oslo hydro · 2021", "3 of 12 months stored", "Jan ", "Mar "]);
    tmux.keys(&["v"]);
    tmux.wait_for(&["Average day · NO1 Oslo hydro · Mar 2021", "weekends: peak"]);
    tmux.keys(&["v"]);
    // `:` jumps to a month.
    tmux.keys(&[":", "2", "0", "2", "1", "-", "0", "2", "Enter"]);
    tmux.wait_for(&["Hourly · NO1 Oslo hydro · Feb 2021", "672 h"]);
    // The areas side by side for the group.
    tmux.keys(&["a"]);
    tmux.wait_for(&["hydro by price area · side by side", "NO5 Bergen", "NO2 Kristiansand"]);
    tmux.keys(&["a"]);
    tmux.wait_for(&["Totals · production 2021 (3 of 12 months) · NO1 Oslo"]);
    // `s` saves the view where the explorer was started, and says so.
    tmux.keys(&["s"]);
    tmux.wait_for(&["saved ./elhub-production-NO1-hydro-2021-02.svg"]);
    let svg = std::fs::read_to_string(d.join("elhub-production-NO1-hydro-2021-02.svg")).unwrap();
    assert!(
        svg.starts_with("<svg") && svg.contains("<text") && svg.trim_end().ends_with("</svg>"),
        "an SVG picture"
    );
    let curve = std::fs::read_to_string(d.join("elhub-production-NO1-hydro-2021-02-curve.csv")).unwrap();
    let totals = std::fs::read_to_string(d.join("elhub-production-NO1-hydro-2021-02-totals.csv")).unwrap();
    assert!(totals.starts_with("year,entity,entity_name,group,kwh,records"), "{totals}");
    // The saved curve is the store's: the export of the same series and month, value for value.
    let export = session.run("export --area NO1 --group hydro --from 2021-02 --to 2021-02");
    assert!(export.status.success(), "{}", String::from_utf8_lossy(&export.stderr));
    let exported: Vec<(String, f64)> = String::from_utf8_lossy(&export.stdout)
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[2].to_string(), f[4].parse().unwrap())
        })
        .collect();
    // dataset,entity,entity_name,group,start_utc,start_local,value,unit
    let saved: Vec<(String, f64)> = curve
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[4].to_string(), f[6].parse().unwrap())
        })
        .collect();
    assert_eq!(saved.len(), 672);
    assert_eq!(saved.len(), exported.len());
    for (s, e) in saved.iter().zip(&exported) {
        assert_eq!(s.0, e.0);
        assert!((s.1 - e.1).abs() <= 1e-6 * e.1.abs().max(1.0), "{s:?} vs {e:?}");
    }
    // A restart comes back to February; --fresh opens on the newest data.
    tmux.keys(&["q"]);
    tmux.wait_for(&["exit=0"]);
    drop(tmux);
    let tmux = start("");
    tmux.wait_for(&["Hourly · NO1 Oslo hydro · Feb 2021"]);
    tmux.keys(&["q"]);
    tmux.wait_for(&["exit=0"]);
    drop(tmux);
    let tmux = start("--fresh");
    tmux.wait_for(&["Hourly · NO1 Oslo hydro · Mar 2021"]);
    tmux.keys(&["q"]);
    tmux.wait_for(&["exit=0"]);
}

/// Down to the hour and side by side, as an analyst does it: `--db` naming a new file makes the
/// store there; `:` goes to the day summer time ends and `]` reads its second 02:00, whose value
/// is what `export` writes for that record; two areas pinned are read at one time; production
/// minus consumption of an area is its net export. A dataset that starts after the configured
/// range opens on its first year.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(tmux_present),
    ignore = "tmux is not installed: the binary cannot be driven in a terminal here"
)]
async fn down_to_the_hour_and_side_by_side() {
    assert!(tmux_available(), "tmux was found at build time but does not run");
    let replica = common::start_replica().await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let session = Session { dir: d, url: replica.url() };
    let run = |args: &str| session.run(args);
    let start = |name: &str, args: &str| session.start(name, (120, 40), args);
    assert!(!d.join("mine.sqlite").exists());
    let tmux = start("hour", "--db mine.sqlite --from 2021-10 --to 2021-10");
    tmux.wait_for(&["Fetched production", "2021-10 ✓"]);
    assert!(d.join("mine.sqlite").is_file(), "--db naming a new file makes the store there");
    tmux.keys(&[":"]);
    tmux.keys(&["2021-10-31", "Enter"]);
    tmux.wait_for(&["Hourly · NO1 Oslo hydro · Sun 31 Oct 2021 (25 h)"]);
    for _ in 0..3 {
        tmux.keys(&["]"]);
        std::thread::sleep(Duration::from_millis(150));
    }
    let screen = tmux.wait_for(&["Sun 31 Oct 02:00+01:00 · ", "hour 4 of 25"]);
    let read: String =
        screen.split("02:00+01:00 · ").nth(1).and_then(|rest| rest.split(" kWh").next()).unwrap().to_string();
    let export = run("export --db mine.sqlite --area NO1 --group hydro --from 2021-10 --to 2021-10");
    assert!(export.status.success(), "{}", String::from_utf8_lossy(&export.stderr));
    let row = String::from_utf8_lossy(&export.stdout)
        .lines()
        .find(|l| l.split(',').nth(2) == Some("2021-10-31T01:00:00Z"))
        .unwrap()
        .to_string();
    assert_eq!(row.split(',').nth(4), Some(read.as_str()), "the value read is the record exported: {row}");
    // Two areas pinned, read at one time.
    tmux.keys(&["Escape"]);
    std::thread::sleep(Duration::from_millis(300));
    tmux.keys(&["p"]);
    tmux.keys(&["2"]);
    tmux.keys(&["]"]);
    let screen = tmux.wait_for(&["━ NO1 Oslo ", "█ NO2 Kristiansand "]);
    let legend: Vec<&str> = screen
        .lines()
        .filter(|l| l.contains(" kWh") && (l.contains("━ NO1") || l.contains("█ NO2")))
        .collect();
    assert_eq!(legend.len(), 2, "both areas are read at the cursor: {screen}");
    tmux.keys(&["q"]);
    tmux.wait_for(&["exit=0"]);
    drop(tmux);
    // Production minus consumption of NO2, all groups: its net export.
    let ingest = run(
        "--ingest-only --api-url {url} --db mine.sqlite --dataset consumption --from 2021-10 --to 2021-10",
    );
    assert!(ingest.status.success(), "{}", String::from_utf8_lossy(&ingest.stderr));
    let tmux = start("net", "--db mine.sqlite --from 2021-10 --to 2021-10 --fresh");
    tmux.wait_for(&["Hourly · NO1 Oslo hydro · Oct 2021"]);
    let all_groups = |tmux: &Tmux| {
        tmux.keys(&[":"]);
        tmux.keys(&["all groups", "Enter"]);
        tmux.wait_for(&["all groups"]);
    };
    tmux.keys(&["2"]);
    all_groups(&tmux);
    tmux.wait_for(&["NO2 Kristiansand all groups"]);
    for key in ["p", "d"] {
        tmux.keys(&[key]);
        std::thread::sleep(Duration::from_millis(200));
    }
    tmux.wait_for(&["Totals · consumption 2021"]);
    all_groups(&tmux);
    for key in ["p", "="] {
        tmux.keys(&[key]);
        std::thread::sleep(Duration::from_millis(200));
    }
    let screen = tmux.wait_for(&["NO2 Kristiansand all groups: production − consumption", "│ net "]);
    let value = |label: &str| -> f64 {
        let line = screen.lines().find(|l| l.contains(label)).unwrap();
        let after = line.split(label).nth(1).unwrap();
        let words: Vec<&str> = after.split_whitespace().collect();
        let scale = match words[1] {
            "TWh" => 1e9,
            "GWh" => 1e6,
            "MWh" => 1e3,
            _ => 1.0,
        };
        words[0].parse::<f64>().unwrap() * scale
    };
    let (production, consumption, net) = (value("│ production"), value("│−consumption"), value("│ net"));
    assert!(
        (production - consumption - net).abs() <= 0.01 * production,
        "{production} − {consumption} ≠ {net}"
    );
    tmux.keys(&["q"]);
    tmux.wait_for(&["exit=0"]);
    drop(tmux);
    // Quarter-hours start in 2023: with no range named the explorer opens on their first year.
    let tmux = start("quarter", "--db quarter.sqlite --dataset production-15min");
    tmux.wait_for(&["production-15min", "2023-05"]);
    // Closing the terminal (SIGHUP) quits as `q` does: the view is remembered.
    tmux.run(&["kill-server"]);
    let view = d.join("state/elhub-explorer/view.json");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !std::fs::read_to_string(&view).is_ok_and(|v| v.contains("production-15min")) {
        assert!(std::time::Instant::now() < deadline, "the view was not remembered at hang-up");
        std::thread::sleep(Duration::from_millis(100));
    }
}
