//! Every file the program writes (exports, completion scripts, manual pages, saved views, the
//! remembered view) goes through here, so each respects what is already at its path:
//! - nothing there: a temporary file beside it, renamed into place only when whole, created with
//!   the user's umask (0666 masked, as `touch` would);
//! - a regular file: the same, keeping the file's owner and permission bits; with more than one
//!   hard link, the finished text is copied into the file itself (opened at the start), so every
//!   name keeps seeing it: that copy is the one step that is not all-or-nothing;
//! - a symlink: followed to its target, which is then written as above (`Links::Follow`), or
//!   replaced itself and never followed (`Links::Replace`, for directories of generated files);
//! - a device, FIFO or socket: written straight into, never replaced; a descriptor path
//!   (`/dev/stdout`, `/dev/fd/1`, `/proc/self/fd/1`) is written into, appending when it is a
//!   file (`>> log`).
//! - the program's own state (`Links::OwnState`): only a regular file or nothing; anything else
//!   is refused, never written into.
//!
//! Temporary files are named `.elhub-<pid>-<random>.tmp` and locked (`flock`) while written; a
//! write into a directory first removes such files nobody holds any more (a `kill -9`
//! mid-export), and the unlocked ones of earlier versions once an hour old.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What to do with a symlink (and anything else) at the path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Links {
    /// Write the file the link points to (the link stays); devices and FIFOs are written into.
    Follow,
    /// Replace the link itself with the new file; its target is never touched.
    Replace,
    /// The program's own state: a regular file or nothing is replaced whole; a link, device or
    /// FIFO there is an error (never written into, never waited on).
    OwnState,
}

/// Where the bytes go until `commit`.
enum Sink {
    /// Straight into a device, FIFO, socket or descriptor.
    Direct(File),
    /// A temporary file renamed over `target` on commit, or copied into `in_place` (the target
    /// itself, opened at the start) when the target has other hard links.
    Temp { tmp: tempfile::NamedTempFile, target: PathBuf, in_place: Option<File> },
}

/// A file being written: write through `file()`, then `commit()`. Dropped without a commit, it
/// leaves the path as it was (a device or FIFO has had what was written).
pub struct OutFile {
    sink: Sink,
    path: PathBuf,
}

/// Prefix and suffix of our temporary files.
const TMP_PREFIX: &str = ".elhub-";
const TMP_SUFFIX: &str = ".tmp";
/// A temporary file younger than this is never judged stale (it may not be locked yet).
const STALE_AFTER: Duration = Duration::from_secs(10);
/// Temporary files of earlier versions (`.elhub-export-*`, `.elhub-save-*`, `.view-*`) carry no
/// lock: untouched this long, they are stale.
const LEGACY_STALE_AFTER: Duration = Duration::from_secs(3600);

impl OutFile {
    /// Opens `path` for writing whole (see the module's rules). Errors name the path.
    pub fn create(path: &Path, links: Links) -> io::Result<OutFile> {
        let meta = std::fs::symlink_metadata(path);
        let is_link = meta.as_ref().is_ok_and(|m| m.file_type().is_symlink());
        match links {
            Links::Replace if is_link => return Self::temp_for(path, None),
            Links::OwnState => {
                return match meta {
                    Ok(m) if m.is_file() => Self::temp_for(path, Some(&m)),
                    Ok(_) => Err(named(path, io::Error::other("not a regular file; left as it is"))),
                    Err(e) if e.kind() == io::ErrorKind::NotFound => Self::temp_for(path, None),
                    Err(e) => Err(named(path, e)),
                }
            }
            _ => {}
        }
        if is_descriptor_path(path) {
            return Self::direct(path, true);
        }
        match std::fs::metadata(path) {
            Ok(m) if m.is_file() => {
                let target = if is_link {
                    std::fs::canonicalize(path).map_err(|e| named(path, e))?
                } else {
                    path.into()
                };
                Self::temp_for(&target, Some(&m))
            }
            Ok(m) if m.is_dir() => Err(named(path, io::Error::other("it is a directory"))),
            Ok(_) => Self::direct(path, false),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                // A dangling link names the file to create.
                let target = if is_link { link_target(path)? } else { path.into() };
                Self::temp_for(&target, None)
            }
            Err(e) => Err(named(path, e)),
        }
    }

    /// A new file in `dir`, to be named by `commit_new`: never overwrites anything.
    pub fn create_new(dir: &Path) -> io::Result<OutFile> {
        let tmp = temp_in(dir, dir, None)?;
        Ok(OutFile { sink: Sink::Temp { tmp, target: dir.into(), in_place: None }, path: dir.into() })
    }

    /// Where the bytes go.
    pub fn file(&mut self) -> &mut File {
        match &mut self.sink {
            Sink::Direct(f) => f,
            Sink::Temp { tmp, .. } => tmp.as_file_mut(),
        }
    }

    /// Puts the finished file in place.
    pub fn commit(self) -> io::Result<()> {
        let path = self.path;
        match self.sink {
            Sink::Direct(mut f) => f.flush().map_err(|e| named(&path, e)),
            Sink::Temp { tmp, target, in_place: Some(mut to) } => {
                let mut from = tmp.reopen().map_err(|e| named(&target, e))?;
                to.set_len(0).map_err(|e| named(&target, e))?;
                io::copy(&mut from, &mut to).map_err(|e| named(&target, e))?;
                to.sync_all().map_err(|e| named(&target, e))
            }
            Sink::Temp { tmp, target, in_place: None } => {
                tmp.as_file().sync_all().map_err(|e| named(&target, e))?;
                tmp.persist(&target).map(|_| ()).map_err(|e| named(&target, e.error))
            }
        }
    }

    /// Puts the finished file at the first free name of `name`, `name-2.ext`, … in the directory
    /// given to `create_new`; the path it got.
    pub fn commit_new(self, name: &str) -> io::Result<PathBuf> {
        let Sink::Temp { mut tmp, .. } = self.sink else {
            return Err(io::Error::other("not a new file"));
        };
        let dir = self.path;
        let (base, ext) = name.rsplit_once('.').map_or((name, String::new()), |(b, e)| (b, format!(".{e}")));
        for n in 1..1000 {
            let file = if n == 1 { format!("{base}{ext}") } else { format!("{base}-{n}{ext}") };
            let path = dir.join(&file);
            match tmp.persist_noclobber(&path) {
                Ok(_) => return Ok(path),
                Err(e) if e.error.kind() == io::ErrorKind::AlreadyExists => tmp = e.file,
                Err(e) => return Err(named(&path, e.error)),
            }
        }
        Err(io::Error::other(format!("{base}{ext} and 998 more exist in {}", dir.display())))
    }

    /// Straight into what is at `path`; appending where that is a file behind a descriptor path
    /// (`-o /dev/stdout >> log`).
    fn direct(path: &Path, append: bool) -> io::Result<OutFile> {
        let appending = append && std::fs::metadata(path).is_ok_and(|m| m.is_file());
        let file = OpenOptions::new().write(true).append(appending).open(path).map_err(|e| named(path, e))?;
        Ok(OutFile { sink: Sink::Direct(file), path: path.into() })
    }

    /// A temporary file beside `target`, with the mode and owner of `existing` if given, else the
    /// umask's; a target with other hard links is opened now, to be written in place.
    fn temp_for(target: &Path, existing: Option<&std::fs::Metadata>) -> io::Result<OutFile> {
        let dir = target.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let in_place = match existing.filter(|m| hard_linked(m)) {
            Some(_) => Some(OpenOptions::new().write(true).open(target).map_err(|e| named(target, e))?),
            None => None,
        };
        let tmp = temp_in(dir, target, existing.filter(|_| in_place.is_none()))?;
        Ok(OutFile { sink: Sink::Temp { tmp, target: target.into(), in_place }, path: target.into() })
    }
}

/// Writes `body` to `path` whole, by the rules of `links`.
pub fn write_whole(path: &Path, links: Links, body: &[u8]) -> io::Result<()> {
    let mut out = OutFile::create(path, links)?;
    out.file().write_all(body).map_err(|e| named(path, e))?;
    out.commit()
}

/// A locked temporary file in `dir` for `target` (the stale ones there removed first), with the
/// owner and mode of `existing` when given.
fn temp_in(
    dir: &Path,
    target: &Path,
    existing: Option<&std::fs::Metadata>,
) -> io::Result<tempfile::NamedTempFile> {
    remove_stale(dir, STALE_AFTER);
    let mut builder = tempfile::Builder::new();
    let prefix = format!("{TMP_PREFIX}{}-", std::process::id());
    builder.prefix(&prefix).suffix(TMP_SUFFIX);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // 0666 less the umask, applied by the kernel at creation.
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let tmp = builder.tempfile_in(dir).map_err(|e| named(dir, e))?;
    // Held until the file is renamed or removed: a file nobody holds is a dead writer's.
    let _ = tmp.as_file().try_lock();
    #[cfg(unix)]
    if let Some(m) = existing {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        // The owner first (a change of owner clears set-id bits), where we may (as root).
        let _ = std::os::unix::fs::fchown(tmp.as_file(), Some(m.uid()), Some(m.gid()));
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(m.mode() & 0o7777))
            .map_err(|e| named(target, e))?;
    }
    #[cfg(not(unix))]
    let _ = (existing, target);
    Ok(tmp)
}

/// `/dev/stdout`, `/dev/stderr`, `/dev/fd/N`, `/proc/<pid>/fd/N`: the shell's redirection or a
/// pipe, never to be renamed over.
fn is_descriptor_path(path: &Path) -> bool {
    let p = path.to_string_lossy();
    matches!(p.as_ref(), "/dev/stdout" | "/dev/stderr")
        || p.starts_with("/dev/fd/")
        || (p.starts_with("/proc/") && p.contains("/fd/"))
}

#[cfg(unix)]
fn hard_linked(m: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    m.nlink() > 1
}

#[cfg(not(unix))]
fn hard_linked(_: &std::fs::Metadata) -> bool {
    false
}

/// The path a chain of symlinks ends at (which does not exist).
fn link_target(path: &Path) -> io::Result<PathBuf> {
    let mut at = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::read_link(&at) {
            Ok(to) => at = at.parent().map_or(to.clone(), |p| p.join(&to)),
            Err(e) if e.kind() == io::ErrorKind::InvalidInput || e.kind() == io::ErrorKind::NotFound => {
                return Ok(at)
            }
            Err(e) => return Err(named(path, e)),
        }
    }
    Err(named(path, io::Error::other("too many levels of symbolic links")))
}

/// An error that says which path it is about.
fn named(path: &Path, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

/// Removes our temporary files in `dir` that nobody holds (their writer is gone) and that are at
/// least `min_age` old, and those of earlier versions untouched for an hour. Best effort: a
/// file that cannot be judged stays.
pub fn remove_stale(dir: &Path, min_age: Duration) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let ours = is_our_temp(name);
        let legacy = [".elhub-export-", ".elhub-save-", ".view-"].iter().any(|p| name.starts_with(p));
        if !ours && !legacy {
            continue;
        }
        let Ok(meta) = entry.metadata() else { continue };
        let age = meta.modified().ok().and_then(|t| t.elapsed().ok()).unwrap_or_default();
        let stale = meta.is_file()
            && if ours {
                age >= min_age && File::open(entry.path()).is_ok_and(|f| f.try_lock().is_ok())
            } else {
                age >= LEGACY_STALE_AFTER
            };
        if stale {
            tracing::info!(file = %entry.path().display(), "removing a temporary file its writer left");
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// `.elhub-<pid>-<random>.tmp`.
fn is_our_temp(name: &str) -> bool {
    let Some(rest) = name.strip_prefix(TMP_PREFIX).and_then(|r| r.strip_suffix(TMP_SUFFIX)) else {
        return false;
    };
    rest.split_once('-').is_some_and(|(pid, random)| {
        pid.parse::<u32>().is_ok() && !random.is_empty() && !random.contains(['/', '.'])
    })
}

/// Reads a small regular file whole, without opening anything else (a device's open can have
/// effects) or ever waiting on a FIFO: the text, or why not (not a regular file, larger than
/// `limit` bytes, unreadable).
pub fn read_small(path: &Path, limit: u64) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let refuse = |what: String| format!("{} {what}", path.display());
    match std::fs::metadata(path) {
        Ok(m) if !m.is_file() => return Err(refuse("is not a regular file".into())),
        Ok(m) if m.len() > limit => return Err(refuse(format!("is larger than {} kB", limit >> 10))),
        Ok(_) => {}
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    }
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Should it have been swapped for a FIFO or a terminal since: open at once, take no
        // controlling terminal, and be refused below.
        let flags = rustix::fs::OFlags::NONBLOCK | rustix::fs::OFlags::NOCTTY;
        options.custom_flags(flags.bits() as i32);
    }
    let file = options.open(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if !file.metadata().is_ok_and(|m| m.is_file()) {
        return Err(refuse("is not a regular file".into()));
    }
    let mut body = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut body)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if body.len() as u64 > limit {
        return Err(refuse(format!("is larger than {} kB", limit >> 10)));
    }
    Ok(body)
}

/// Whether this process may write into `dir` (create files there).
pub fn dir_writable(dir: &Path) -> bool {
    #[cfg(unix)]
    {
        rustix::fs::access(dir, rustix::fs::Access::WRITE_OK).is_ok()
    }
    #[cfg(not(unix))]
    {
        !std::fs::metadata(dir).map(|m| m.permissions().readonly()).unwrap_or(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_temporary_names_are_told_from_others() {
        assert!(is_our_temp(".elhub-1234-AbC123.tmp"));
        assert!(!is_our_temp(".elhub-export-AbC123"));
        assert!(!is_our_temp(".elhub-x-1.tmp"));
        assert!(!is_our_temp("elhub-1-a.tmp"));
        assert!(!is_our_temp(".elhub-12-.tmp"));
    }

    /// A temporary file its writer still holds stays; one nobody holds goes; so does an old
    /// one of an earlier version; nothing else is touched.
    #[test]
    fn only_temporary_files_nobody_holds_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let mut live = OutFile::create(&dir.path().join("out.csv"), Links::Follow).unwrap();
        live.file().write_all(b"being written").unwrap();
        let dead = dir.path().join(".elhub-999999-dead.tmp");
        std::fs::write(&dead, "left by kill -9").unwrap();
        let legacy = dir.path().join(".elhub-export-Ab12");
        std::fs::write(&legacy, "old").unwrap();
        let other = dir.path().join(".elhub-notes");
        std::fs::write(&other, "mine").unwrap();
        remove_stale(dir.path(), Duration::ZERO);
        assert!(!dead.exists(), "nobody held it");
        assert!(legacy.exists(), "an earlier version's file is young");
        assert!(other.exists());
        live.commit().unwrap();
        assert_eq!(
            std::fs::read(dir.path().join("out.csv")).unwrap(),
            b"being written",
            "the live one was kept"
        );
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), 3, "{names:?}");
    }

    /// The program's own state is only ever a regular file: a FIFO or a link there is refused at
    /// once (never waited on, never written through).
    #[test]
    fn own_state_refuses_what_is_not_a_regular_file() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("view.json");
        assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
        let err = write_whole(&fifo, Links::OwnState, b"{}").err().unwrap();
        assert!(err.to_string().ends_with("view.json: not a regular file; left as it is"), "{err}");
        let target = dir.path().join("precious");
        std::fs::write(&target, "keep").unwrap();
        let link = dir.path().join("link.json");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert!(write_whole(&link, Links::OwnState, b"{}").is_err());
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep");
        let plain = dir.path().join("plain.json");
        write_whole(&plain, Links::OwnState, b"1").unwrap();
        write_whole(&plain, Links::OwnState, b"2").unwrap();
        assert_eq!(std::fs::read(&plain).unwrap(), b"2");
    }

    /// `-o /dev/stdout >> log` appends, as the shell asked; the descriptor paths are written
    /// into, never renamed over.
    #[test]
    fn a_descriptor_path_is_written_into_and_appends_to_a_file() {
        assert!(is_descriptor_path(Path::new("/dev/stdout")));
        assert!(is_descriptor_path(Path::new("/proc/self/fd/1")));
        assert!(is_descriptor_path(Path::new("/dev/fd/3")));
        assert!(!is_descriptor_path(Path::new("/dev/shm/x.csv")));
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("log");
        std::fs::write(&log, "before\n").unwrap();
        let held = OpenOptions::new().append(true).open(&log).unwrap();
        use std::os::fd::AsRawFd;
        let path = PathBuf::from(format!("/proc/self/fd/{}", held.as_raw_fd()));
        write_whole(&path, Links::Follow, b"after\n").unwrap();
        assert_eq!(std::fs::read_to_string(&log).unwrap(), "before\nafter\n");
    }
}
