//! Trust, second round (issue 21): files the program writes respect what is at their path
//! (devices, FIFOs, symlinks, hard links, modes, stale temporary files), the state it reads is
//! read safely, and a change feed that lies, repeats itself or carries junk costs a bounded
//! amount; duplicates in a response, a shared body budget, config ranges, a range in the
//! future, tiny quantities, a read-only directory.

#![allow(clippy::unwrap_used)] // tests fail loudly by design

mod common;

use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::case::*;
use common::*;
use elhub_explorer::model::{Dataset, EntityKind};
use elhub_explorer::replica::{Faults, FeedFault, Replica};

async fn output(mut c: Command) -> Output {
    tokio::task::spawn_blocking(move || c.output().unwrap()).await.unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A case with one month of production stored (2021-02: 16,128 records).
async fn case_with_a_month() -> (Replica, Case) {
    let replica = start_replica().await;
    let case = Case::new("");
    assert_clean(&case.ingest(&replica.url(), range("2021-02", "2021-02"), &[]).await, 0);
    (replica, case)
}

/// `export -o PATH` in the case's directory.
async fn export_to(case: &Case, path: &Path) -> Output {
    let db = case.db();
    output(case.run(&["export", "--db", db.to_str().unwrap(), "-o", path.to_str().unwrap()])).await
}

/// The CSV of the stored month, as export prints it.
async fn expected_csv(case: &Case) -> Vec<u8> {
    let db = case.db();
    output(case.run(&["export", "--db", db.to_str().unwrap()])).await.stdout
}

fn mkfifo(path: &Path) {
    let ok = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(ok.success());
}

/// Reads a FIFO to its end in a thread (its writer blocks until a reader is there).
fn drain(path: PathBuf) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || std::fs::read(path).unwrap())
}

fn umask_of_this_process() -> u32 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    u32::from_str_radix(status.lines().find_map(|l| l.strip_prefix("Umask:")).unwrap().trim(), 8).unwrap()
}

/// A device node (as root, a character device like /dev/null and /dev/full, made in the test's
/// own directory) is written into and stays a device; /dev/full's error is one line, exit 1.
#[cfg_attr(not(root_user), ignore = "making a device node needs root")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_onto_a_device_writes_into_it_and_leaves_it_a_device() {
    let (_replica, case) = case_with_a_month().await;
    let null = case.dir.path().join("null");
    let full = case.dir.path().join("full");
    for (path, minor) in [(&null, "3"), (&full, "7")] {
        let ok = Command::new("mknod").arg(path).args(["c", "1", minor]).status().unwrap();
        assert!(ok.success());
    }
    let err = assert_clean(&export_to(&case, &null).await, 0);
    assert!(err.contains("wrote 16128 records"), "{err}");
    assert!(std::fs::symlink_metadata(&null).unwrap().file_type().is_char_device(), "still a device");
    let o = export_to(&case, &full).await;
    let err = assert_clean(&o, 1);
    assert!(err.contains("No space left on device") && err.lines().count() == 1, "{err}");
    assert!(std::fs::symlink_metadata(&full).unwrap().file_type().is_char_device(), "still a device");
    let leftovers: Vec<String> = std::fs::read_dir(case.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".elhub-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// A FIFO's reader gets the whole export, and the FIFO stays one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_into_a_fifo_reaches_its_reader() {
    let (_replica, case) = case_with_a_month().await;
    let fifo = case.dir.path().join("pipe");
    mkfifo(&fifo);
    let reader = drain(fifo.clone());
    assert_clean(&export_to(&case, &fifo).await, 0);
    let got = reader.join().unwrap();
    assert_eq!(got, expected_csv(&case).await, "the reader got the export");
    assert!(std::fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
}

/// Through a symlink: the target is written (keeping its mode), the link stays a link. A hard
/// link keeps seeing the new text. An existing file's mode is kept; a new file gets the umask.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_respects_links_and_modes() {
    let (_replica, case) = case_with_a_month().await;
    let expected = expected_csv(&case).await;
    let d = case.dir.path();

    let target = d.join("target.csv");
    std::fs::write(&target, "old").unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o640)).unwrap();
    std::os::unix::fs::symlink("target.csv", d.join("link.csv")).unwrap();
    assert_clean(&export_to(&case, &d.join("link.csv")).await, 0);
    assert!(std::fs::symlink_metadata(d.join("link.csv")).unwrap().file_type().is_symlink(), "still a link");
    assert_eq!(std::fs::read(&target).unwrap(), expected, "the target has the export");
    assert_eq!(std::fs::metadata(&target).unwrap().mode() & 0o777, 0o640, "the target's mode kept");

    // A dangling link names the file to make.
    std::os::unix::fs::symlink("made.csv", d.join("dangling.csv")).unwrap();
    assert_clean(&export_to(&case, &d.join("dangling.csv")).await, 0);
    assert_eq!(std::fs::read(d.join("made.csv")).unwrap(), expected);
    assert!(std::fs::symlink_metadata(d.join("dangling.csv")).unwrap().file_type().is_symlink());

    let a = d.join("a.csv");
    std::fs::write(&a, "old").unwrap();
    std::fs::hard_link(&a, d.join("b.csv")).unwrap();
    assert_clean(&export_to(&case, &a).await, 0);
    assert_eq!(std::fs::read(d.join("b.csv")).unwrap(), expected, "the other name sees it");
    assert_eq!(std::fs::metadata(&a).unwrap().nlink(), 2, "not split off");

    let plain = d.join("plain.csv");
    std::fs::write(&plain, "old").unwrap();
    std::fs::set_permissions(&plain, std::fs::Permissions::from_mode(0o644)).unwrap();
    assert_clean(&export_to(&case, &plain).await, 0);
    assert_eq!(std::fs::metadata(&plain).unwrap().mode() & 0o777, 0o644, "0644 stays 0644");

    // A new file: 0666 less the umask (022 -> 0644, 027 -> 0640).
    let db = case.db();
    for (umask, mode) in [("022", 0o644), ("027", 0o640), ("077", 0o600)] {
        let out = d.join(format!("new-{umask}.csv"));
        let mut sh = Command::new("sh");
        sh.current_dir(d)
            .env_clear()
            .env("HOME", d)
            .env("XDG_STATE_HOME", d.join("state"))
            .arg("-c")
            .arg(format!("umask {umask}; exec \"$0\" \"$@\""))
            .arg(env!("CARGO_BIN_EXE_elhub-explorer"))
            .args(["-c", "test.toml", "export", "--db", db.to_str().unwrap(), "-o", out.to_str().unwrap()]);
        assert_clean(&output(sh).await, 0);
        assert_eq!(std::fs::metadata(&out).unwrap().mode() & 0o777, mode, "umask {umask}");
    }
}

/// `kill -9` mid-export leaves a temporary file; the next write into that directory removes
/// it (nobody holds its lock any more), and never a young one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_temporary_file_is_removed_by_the_next_export() {
    let replica = start_replica().await;
    let case = Case::new("");
    assert_clean(&case.ingest(&replica.url(), range("2021-01", "2021-12"), &[]).await, 0);
    let d = case.dir.path().to_path_buf();
    let temps = || -> Vec<PathBuf> {
        std::fs::read_dir(&d)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(".elhub-"))
            .collect()
    };
    let db = case.db();
    let mut killed = None;
    for _ in 0..20 {
        let mut child = case
            .run(&["export", "--db", db.to_str().unwrap(), "-o", "year.csv"])
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let started = Instant::now();
        while temps().is_empty()
            && started.elapsed() < Duration::from_secs(20)
            && child.try_wait().unwrap().is_none()
        {
            std::thread::sleep(Duration::from_millis(1));
        }
        child.kill().unwrap();
        child.wait().unwrap();
        if !temps().is_empty() {
            killed = Some(temps());
            break;
        }
    }
    let left = killed.expect("the export was killed while writing its temporary file");
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(!d.join("year.csv").exists(), "no half file at the target");

    // One made a moment ago may not be locked yet by its writer: it is left alone (the unit
    // tests of outfile show a locked one staying whatever its age).
    let young = d.join(format!(".elhub-{}-young.tmp", std::process::id()));
    std::fs::write(&young, "being made").unwrap();
    // Old enough to be judged (10 s): the killed export's file.
    let old = std::time::SystemTime::now() - Duration::from_secs(60);
    std::fs::File::options().write(true).open(&left[0]).unwrap().set_modified(old).unwrap();
    assert_clean(&export_to(&case, &d.join("year.csv")).await, 0);
    assert!(!left[0].exists(), "the stale file was removed");
    assert!(young.exists(), "a young one stays");
    assert!(case.log().contains("removing a temporary file its writer left"), "{}", case.log());
}

/// Manual pages: a symlink at a page's name is replaced by the page, its target untouched;
/// completions follow the export's rules (-o through a link keeps the target's mode; a FIFO).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn man_pages_never_write_through_a_link_and_completions_respect_the_path() {
    let case = Case::new("");
    let d = case.dir.path();
    let man = d.join("man1");
    std::fs::create_dir(&man).unwrap();
    let precious = d.join("precious.txt");
    std::fs::write(&precious, "keep me").unwrap();
    std::os::unix::fs::symlink(&precious, man.join("elhub-explorer-export.1")).unwrap();
    let o = output(case.run(&["man", "--dir", man.to_str().unwrap()])).await;
    assert_clean(&o, 0);
    assert_eq!(std::fs::read_to_string(&precious).unwrap(), "keep me", "the link's target untouched");
    let page = std::fs::symlink_metadata(man.join("elhub-explorer-export.1")).unwrap();
    assert!(page.file_type().is_file(), "the link itself replaced by the page");
    assert!(std::fs::read_to_string(man.join("elhub-explorer-export.1")).unwrap().contains(".TH"));
    assert_eq!(page.mode() & 0o777, 0o666 & !umask_of_this_process());

    let script = d.join("completion.bash");
    std::fs::write(&script, "old").unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::os::unix::fs::symlink("completion.bash", d.join("link.bash")).unwrap();
    let o = output(case.run(&["completions", "bash", "-o", "link.bash"])).await;
    assert_clean(&o, 0);
    assert!(std::fs::read_to_string(&script).unwrap().contains("_elhub__explorer()"));
    assert_eq!(std::fs::metadata(&script).unwrap().mode() & 0o777, 0o600, "mode kept");
    assert!(std::fs::symlink_metadata(d.join("link.bash")).unwrap().file_type().is_symlink());

    let fifo = d.join("completion.fifo");
    mkfifo(&fifo);
    let reader = drain(fifo.clone());
    assert_clean(&output(case.run(&["completions", "zsh", "-o", "completion.fifo"])).await, 0);
    assert!(String::from_utf8(reader.join().unwrap()).unwrap().contains("#compdef elhub-explorer"));
    assert!(std::fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
}

/// Settings outside their documented range stop the run before anything else: exit 2, one line
/// naming the file, the line, the key and the range.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_setting_outside_its_range_is_refused_with_file_line_and_range() {
    for (config, expected) in [
        (
            "[api]\nmax_body_mb = 0\n",
            "test.toml, line 2: api.max_body_mb: 0 is out of range: it must be from 1 to 16384",
        ),
        (
            "[api]\ntimeout_secs = 0\n",
            "test.toml, line 2: api.timeout_secs: 0 is out of range: it must be from 1 to 3600",
        ),
        (
            "[range]\nfeed_margin_hours = -5000\n",
            "test.toml, line 2: range.feed_margin_hours: -5000 is out of range: it must be from 0 to 720",
        ),
    ] {
        let case = Case::with_config(config);
        let o = output(case.run(&["--ingest-only"])).await;
        let err = assert_clean(&o, 2);
        assert!(err.contains(expected) && err.lines().count() == 1, "{err}");
    }
}

/// A range wholly in the future is a usage error naming this month as the last possible.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_range_in_the_future_is_an_error_not_already_stored() {
    let case = Case::new("");
    let o = output(case.run(&["--ingest-only", "--db", "f.sqlite", "--from", "2999-01"])).await;
    let err = assert_clean(&o, 2);
    let this = elhub_explorer::model::Month::containing(chrono::Utc::now());
    assert!(
        err.contains(&format!(
            "the range 2999-01 lies in the future: {this} is the last month that can have data"
        )),
        "{err}"
    );
    assert!(!err.contains("already stored"), "{err}");
}

/// A database in a directory that cannot be written (0555) is read by export, summary and
/// datasets: read-only, and immutable when SQLite cannot make its shared-memory file. Run as an
/// unprivileged user (root is never refused a write).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_in_a_read_only_directory_can_be_read() {
    let (_replica, case) = case_with_a_month().await;
    let d = case.dir.path();
    std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
    let ro = d.join("ro");
    std::fs::create_dir(&ro).unwrap();
    let db = ro.join("e.sqlite");
    // The ingest closed the file cleanly: a WAL-mode database with no log beside it, readable
    // by all. SQLite cannot make its shared-memory file here, so it is read as immutable.
    std::fs::copy(case.db(), &db).unwrap();
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();
    let as_user = |args: &[&str]| -> Command {
        let bin = env!("CARGO_BIN_EXE_elhub-explorer");
        let mut c = if cfg!(root_user) {
            let mut c = Command::new("setpriv");
            c.args(["--reuid=65534", "--regid=65534", "--clear-groups", bin]);
            c
        } else {
            Command::new(bin)
        };
        c.current_dir(&ro).env_clear().env("HOME", &ro).args(args).stdin(Stdio::null());
        c
    };
    let path = db.to_str().unwrap();
    let o = output(as_user(&["summary", "--db", path, "--year", "2021"])).await;
    let err = assert_clean(&o, 0);
    assert!(stdout(&o).contains("NO1"), "{}{err}", stdout(&o));
    let o = output(as_user(&["export", "--db", path])).await;
    assert_clean(&o, 0);
    assert_eq!(stdout(&o).lines().count(), 16_129, "every record and the header");
    let o = output(as_user(&["datasets", "--db", path])).await;
    assert_clean(&o, 0);
    let names: Vec<String> = std::fs::read_dir(&ro)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["e.sqlite"], "nothing was made beside it");
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// A response listing an entity again (ten times, "Evil twin", other values): the first
/// listing is kept, name and values; the others are rejected records with their reason; what
/// is reported new is what is stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_entities_in_a_response_are_rejected_and_counted_right() {
    let replica = with_faults("twins", 1).await;
    let case = Case::new("");
    let o = case.ingest(&replica.url(), range("2021-02", "2021-02"), &[]).await;
    let err = assert_clean(&o, 0);
    let store = case.store().await;
    let stored = store.count(Dataset::PRODUCTION).await.unwrap();
    assert_eq!(stored, 16_128);
    assert!(err.contains("sqlite: 16128 new, 0 updated, 0 unchanged"), "{err}");
    // NO1 has five groups of 672 hours in February 2021: ten twins are 33,600 records.
    assert!(err.contains("33600 rejected"), "{err}");
    assert!(case.log().contains("NO1: listed again in the response (the first listing is kept)"));
    let entities = store.entities(EntityKind::PriceArea).await.unwrap();
    let no1 = entities.iter().find(|e| e.id == "NO1").unwrap();
    assert_eq!(no1.name, "NO1", "the first listing's name");
    assert_exact(&case, &replica, range("2021-02", "2021-02")).await;
}

/// One memory budget for every body in flight: at --concurrency 16 against endless bodies,
/// peak memory stays near the budget (it was 16 times the per-body cap).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endless_bodies_at_concurrency_16_share_one_budget() {
    let replica = with_faults("endless,endless,endless", 1).await;
    let case = Case::with_config(
        "[api]\nmax_retries = 1\nmin_backoff_ms = 5\nmax_backoff_secs = 1\nmax_body_mb = 32\ntimeout_secs = 4\n",
    );
    let mut child = case
        .command(&replica.url(), range("2021-01", "2022-04"), &["--concurrency", "16"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut peak_kb = 0u64;
    while child.try_wait().unwrap().is_none() {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        let hwm = status
            .lines()
            .find(|l| l.starts_with("VmHWM:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok());
        peak_kb = peak_kb.max(hwm.unwrap_or(0));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let o = child.wait_with_output().unwrap();
    let err = assert_clean(&o, 1);
    assert!(err.contains("(api.max_body_mb)"), "{err}");
    // 16 bodies of up to 32 MB each would be 512 MB; one budget of 32 MB is a fraction of it.
    assert!(peak_kb < 150_000, "peak memory {peak_kb} kB with 16 endless bodies in flight");
}

/// Bodies of known length wait for room in the shared budget instead of failing: twelve months
/// (3.3 MB each) at --concurrency 8 through an 8 MB budget all land, exactly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finite_bodies_wait_for_room_in_the_budget_and_all_land() {
    let replica = start_replica().await;
    let case = Case::new("max_body_mb = 8\n");
    let o = case.ingest(&replica.url(), range("2021-01", "2021-12"), &["--concurrency", "8"]).await;
    let err = assert_clean(&o, 0);
    assert!(!err.contains("memory budget"), "{err}");
    assert_exact(&case, &replica, range("2021-01", "2021-12")).await;
}

/// Runs `--refresh` of `months` as the binary.
async fn refresh(case: &Case, replica: &Replica, months: (&str, &str)) -> String {
    let o = case.ingest(&replica.url(), range(months.0, months.1), &["--refresh"]).await;
    assert_clean(&o, 0)
}

fn feed(replica: &Replica, fault: FeedFault) {
    replica.state.set_faults(Faults { feed: Some(fault), ..Faults::default() });
}

async fn revise(replica: &Replica, what: &str) {
    let url = format!("{}/_replica/revise?{what}", replica.url());
    let r = reqwest::Client::new().post(url).send().await.unwrap();
    assert!(r.status().is_success());
}

/// The stored records of `months` equal what the replica serves now (revisions included).
async fn exact(case: &Case, replica: &Replica, months: (&str, &str)) -> bool {
    let r = range(months.0, months.1);
    let expected = sorted(replica.state.records(Dataset::PRODUCTION, r.from().start_utc(), r.to().end_utc()));
    stored(&case.store().await, Dataset::PRODUCTION).await == expected
}

/// Items that are not items (null, 42, "x") are skipped one by one, counted in the summary;
/// the good ones on the same page still bring their revision.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_feed_with_bad_items_keeps_the_good_ones() {
    let (replica, case) = case_with_a_month().await;
    revise(&replica, "dataset=production&day=2021-02-10").await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    feed(&replica, FeedFault::BadItems);
    let err = refresh(&case, &replica, ("2021-02", "2021-02")).await;
    assert!(err.contains("revisions: 1 day in 1 month of the range"), "{err}");
    assert!(err.contains("note: 3 items of the change feed not understood, skipped"), "{err}");
    assert!(exact(&case, &replica, ("2021-02", "2021-02")).await, "the revision was fetched");
}

/// A feed that lists nothing although a day changed: every --refresh also refetches the month
/// fetched longest ago, so the revision is found within as many refreshes as the range has
/// months (here three), and said so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lying_feed_is_caught_within_the_stated_bound() {
    let replica = start_replica().await;
    let case = Case::new("");
    let quarter = ("2021-04", "2021-06");
    assert_clean(&case.ingest(&replica.url(), range(quarter.0, quarter.1), &[]).await, 0);
    revise(&replica, "dataset=production&day=2021-06-15").await;
    feed(&replica, FeedFault::Silent);
    let mut found_at = None;
    for run in 1..=3 {
        // Fetch times are kept in whole seconds: let each run's be later than the last.
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let err = refresh(&case, &replica, quarter).await;
        assert!(err.contains("revisions: none in the range since"), "the feed says nothing: {err}");
        assert!(err.contains("refetched whole, the month fetched longest ago"), "{err}");
        if found_at.is_none() && exact(&case, &replica, quarter).await {
            found_at = Some(run);
        }
    }
    assert_eq!(found_at, Some(3), "April, May, then June: the bound is the range's three months");
}

/// A feed whose next page never ends (the same items again) is cut off at the first page that
/// brings nothing new, in seconds and a handful of requests, and the fallback is used.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endless_feed_pagination_is_cut_short() {
    let (replica, case) = case_with_a_month().await;
    revise(&replica, "dataset=production&day=2021-02-10").await;
    feed(&replica, FeedFault::Endless);
    let seen = replica.state.request_log().len();
    let started = Instant::now();
    let err = refresh(&case, &replica, ("2021-02", "2021-02")).await;
    assert!(started.elapsed() < Duration::from_secs(20), "{:?}", started.elapsed());
    assert!(err.contains("the change feed repeats itself (page 2 brought nothing new)"), "{err}");
    let pages =
        replica.state.request_log().iter().skip(seen).filter(|r| r.path.starts_with("/updates")).count();
    assert_eq!(pages, 2, "two pages, not a thousand");
    assert!(exact(&case, &replica, ("2021-02", "2021-02")).await, "the fallback refetched the month");
}
