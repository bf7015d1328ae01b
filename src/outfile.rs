//! Every file the program writes (exports, saved views, manual pages, the remembered view) goes
//! through here, so each respects what is already at its path:
//! - nothing there: a temporary file beside it, renamed into place only when whole, created with
//!   the user's umask (0666 masked, as `touch` would);
//! - a regular file: the same, keeping the file's permission bits (and owner, where allowed);
//!   with more than one hard link, the finished text is copied into the file itself, so every
//!   name keeps seeing it;
//! - a symlink: followed to its target, which is then written as above (`Links::Follow`), or
//!   replaced itself and never followed (`Links::Replace`, for directories of generated files);
//! - a device, FIFO or socket, or a path under `/dev` or `/proc` (`/dev/stdout`): written
//!   straight into, never replaced.
//!
//! Temporary files are named `.elhub-<pid>-<random>.tmp`; a write into a directory first removes
//! such files left by a process that no longer runs (a `kill -9` mid-export).

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// What to do with a symlink at the path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Links {
    /// Write the file the link points to (the link stays).
    Follow,
    /// Replace the link itself with the new file; its target is never touched.
    Replace,
}

/// Where the bytes go until `commit`.
enum Sink {
    /// Straight into a device, FIFO or socket.
    Direct(File),
    /// A temporary file renamed over `target` on commit (or copied into it, `in_place`).
    Temp { tmp: tempfile::NamedTempFile, target: PathBuf, in_place: bool },
}

/// A file being written: write through `file()`, then `commit()`. Dropped without a commit, it
/// leaves the path as it was (a device or FIFO has had what was written).
pub struct OutFile {
    sink: Sink,
    path: PathBuf,
}

/// Prefix of our temporary files.
const TMP_PREFIX: &str = ".elhub-";
const TMP_SUFFIX: &str = ".tmp";

impl OutFile {
    /// Opens `path` for writing whole (see the module's rules). Errors name the path.
    pub fn create(path: &Path, links: Links) -> io::Result<OutFile> {
        let meta = std::fs::symlink_metadata(path);
        let is_link = meta.as_ref().is_ok_and(|m| m.file_type().is_symlink());
        if is_link && links == Links::Replace {
            return Self::temp_for(path, None, false);
        }
        if is_special_path(path) {
            return Self::direct(path);
        }
        match std::fs::metadata(path) {
            Ok(m) if m.is_file() => {
                let target = if is_link {
                    std::fs::canonicalize(path).map_err(|e| named(path, e))?
                } else {
                    path.into()
                };
                Self::temp_for(&target, Some(&m), hard_linked(&m))
            }
            Ok(m) if m.is_dir() => Err(named(path, io::Error::other("it is a directory"))),
            Ok(_) => Self::direct(path),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                // A dangling link names the file to create.
                let target = if is_link { link_target(path)? } else { path.into() };
                Self::temp_for(&target, None, false)
            }
            Err(e) => Err(named(path, e)),
        }
    }

    /// A new file in `dir` named `name`, or `name` with `-2`, `-3`, … before its extension when
    /// that is taken; never overwrites. The path written, once committed by `commit_new`.
    pub fn create_new(dir: &Path) -> io::Result<OutFile> {
        let tmp = Self::temp_in(dir, dir, None)?;
        Ok(OutFile { sink: Sink::Temp { tmp, target: dir.into(), in_place: false }, path: dir.into() })
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
            Sink::Temp { tmp, target, in_place } if in_place => {
                let mut from = tmp.reopen().map_err(|e| named(&target, e))?;
                let mut to = OpenOptions::new()
                    .write(true)
                    .truncate(true)
                    .open(&target)
                    .map_err(|e| named(&target, e))?;
                io::copy(&mut from, &mut to).map_err(|e| named(&target, e))?;
                to.sync_all().map_err(|e| named(&target, e))
            }
            Sink::Temp { tmp, target, .. } => {
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

    fn direct(path: &Path) -> io::Result<OutFile> {
        let file = OpenOptions::new().write(true).open(path).map_err(|e| named(path, e))?;
        Ok(OutFile { sink: Sink::Direct(file), path: path.into() })
    }

    /// A temporary file beside `target`, with the mode (and owner) of `existing` if given, else
    /// the umask's.
    fn temp_for(target: &Path, existing: Option<&std::fs::Metadata>, in_place: bool) -> io::Result<OutFile> {
        let dir = target.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let tmp = Self::temp_in(dir, target, existing.filter(|_| !in_place))?;
        Ok(OutFile { sink: Sink::Temp { tmp, target: target.into(), in_place }, path: target.into() })
    }

    /// A temporary file in `dir` for `target`, first clearing the stale ones there.
    fn temp_in(
        dir: &Path,
        target: &Path,
        existing: Option<&std::fs::Metadata>,
    ) -> io::Result<tempfile::NamedTempFile> {
        remove_stale(dir);
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
        #[cfg(unix)]
        if let Some(m) = existing {
            use std::os::unix::fs::{MetadataExt, PermissionsExt};
            tmp.as_file()
                .set_permissions(std::fs::Permissions::from_mode(m.mode() & 0o7777))
                .map_err(|e| named(target, e))?;
            // Keeps the owner when we may (as root); otherwise the file is ours, as any editor's.
            let _ = std::os::unix::fs::fchown(tmp.as_file(), Some(m.uid()), Some(m.gid()));
        }
        #[cfg(not(unix))]
        let _ = (existing, target);
        Ok(tmp)
    }
}

/// `/dev/…` and `/proc/…` (`/dev/stdout`, `/proc/self/fd/1`) are the terminal's, a pipe's or
/// the shell's redirection: written into, never renamed over.
fn is_special_path(path: &Path) -> bool {
    path.is_absolute() && (path.starts_with("/dev") || path.starts_with("/proc"))
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
            Err(e) if e.kind() == io::ErrorKind::InvalidInput => return Ok(at),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(at),
            Err(e) => return Err(named(path, e)),
        }
    }
    Err(named(path, io::Error::other("too many levels of symbolic links")))
}

/// An error that says which path it is about.
fn named(path: &Path, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

/// Removes our temporary files in `dir` whose process has ended (or which are older than the
/// process now holding their number). Best effort: a file that cannot be judged stays.
pub fn remove_stale(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if let Some(pid) = our_temp_pid(name) {
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_file() && is_stale(pid, &meta) {
                tracing::info!(file = %entry.path().display(), "removing a temporary file left by process {pid}");
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}

/// The process number in `.elhub-<pid>-<random>.tmp`.
fn our_temp_pid(name: &str) -> Option<u32> {
    let rest = name.strip_prefix(TMP_PREFIX)?.strip_suffix(TMP_SUFFIX)?;
    let (pid, random) = rest.split_once('-')?;
    (!random.is_empty() && !random.contains(['/', '.'])).then_some(())?;
    pid.parse().ok()
}

/// Whether the process that made a temporary file is gone: no such process, or one that started
/// after the file was last written (its number was reused). Without `/proc`, a file untouched for
/// a day is stale.
fn is_stale(pid: u32, meta: &std::fs::Metadata) -> bool {
    let Ok(modified) = meta.modified() else { return false };
    if !Path::new("/proc/self").exists() {
        return modified.elapsed().is_ok_and(|age| age.as_secs() > 24 * 3600);
    }
    if pid == std::process::id() {
        return false;
    }
    match process_start(pid) {
        None => !Path::new(&format!("/proc/{pid}")).exists(),
        Some(started) => modified + std::time::Duration::from_secs(2) < started,
    }
}

/// When process `pid` started, from `/proc/<pid>/stat` (field 22, in clock ticks of 1/100 s
/// since boot: USER_HZ is 100 on Linux) and the boot time in `/proc/stat`.
fn process_start(pid: u32) -> Option<std::time::SystemTime> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    let after = &stat[stat.rfind(')')? + 1..];
    let ticks: u64 = after.split_whitespace().nth(19)?.parse().ok()?;
    let boot: u64 = std::fs::read_to_string("/proc/stat")
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("btime "))?
        .trim()
        .parse()
        .ok()?;
    Some(std::time::UNIX_EPOCH + std::time::Duration::from_millis(boot * 1000 + ticks * 10))
}

/// Reads a small regular file whole, without ever blocking on a FIFO or reading a device: the
/// text, or why not (not a regular file, larger than `limit` bytes, unreadable).
pub fn read_small(path: &Path, limit: u64) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // A FIFO opened for reading would wait for a writer; non-blocking, it opens at once and
        // is then refused as not a regular file.
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let meta = file.metadata().map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if !meta.is_file() {
        return Err(format!("{} is not a regular file", path.display()));
    }
    if meta.len() > limit {
        return Err(format!("{} is larger than {} kB", path.display(), limit >> 10));
    }
    let mut body = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut body)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if body.len() as u64 > limit {
        return Err(format!("{} is larger than {} kB", path.display(), limit >> 10));
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_temporary_names_parse_and_others_do_not() {
        assert_eq!(our_temp_pid(".elhub-1234-AbC123.tmp"), Some(1234));
        assert_eq!(our_temp_pid(".elhub-export-AbC123"), None);
        assert_eq!(our_temp_pid(".elhub-x-1.tmp"), None);
        assert_eq!(our_temp_pid("elhub-1-a.tmp"), None);
        assert_eq!(our_temp_pid(".elhub-12-.tmp"), None);
    }

    #[test]
    fn this_process_started_before_now_and_after_boot() {
        let started = process_start(std::process::id()).expect("/proc is mounted here");
        let now = std::time::SystemTime::now();
        assert!(started <= now + std::time::Duration::from_secs(1));
        assert!(now.duration_since(started).unwrap().as_secs() < 24 * 3600);
    }
}
