//! Reading what a seller's container left in its job directory
//! (docs/architecture.md "Security model").
//!
//! Everything under a directory mounted into a container is the
//! container's to shape. It may replace a file or a directory with a
//! symbolic link (to `/etc/shadow`, or to `/proc/self/cwd/…`, which the
//! host resolves against the *server's* working directory), leave a FIFO
//! that blocks a reader forever, or a file of any size. So nothing here
//! follows a link: every path component is opened relative to its
//! parent's descriptor with `O_NOFOLLOW`, files are opened `O_NONBLOCK`
//! and checked with `fstat` to be regular before a byte is read, and
//! callers bound what they read. Links found inside a tree are reported
//! as links (with their target text), never resolved.
//!
//! Written on rustix's `*at` calls because std has no no-follow `openat`
//! or directory-descriptor walk; cap-std resolves links inside its root,
//! which is more than we want (a link is data here, never a path).
//! Synchronous; callers run it on a blocking thread.

use rustix::fs::{AtFlags, FileType, Mode, OFlags};
use rustix::io::Errno;
use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, Read};
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

/// Deepest directory nesting a walk descends into. Each level holds one
/// descriptor open, so this also bounds the descriptors a walk uses.
pub const MAX_DEPTH: usize = 128;

/// Why a path the container could shape was not read.
#[derive(Debug, thiserror::Error)]
pub enum UntrustedError {
    /// A component is not what it must be (a link where a directory or a
    /// file belongs, a FIFO, a device).
    #[error("{path} is {found}, not {wanted}; it was not read (links are never followed)")]
    NotPlain {
        path: String,
        found: &'static str,
        wanted: &'static str,
    },
    #[error("{path} nests directories deeper than {MAX_DEPTH} levels")]
    TooDeep { path: String },
    #[error("{path} holds more than {limit} entries")]
    TooMany { path: String, limit: u64 },
    #[error("{path}: {source}")]
    Io { path: String, source: io::Error },
}

fn io_at(path: &Path) -> impl FnOnce(Errno) -> UntrustedError + '_ {
    move |e| UntrustedError::Io {
        path: path.display().to_string(),
        source: e.into(),
    }
}

/// A name for a file type, in messages.
pub(crate) fn kind(ft: FileType) -> &'static str {
    match ft {
        FileType::RegularFile => "a regular file",
        FileType::Directory => "a directory",
        FileType::Symlink => "a symbolic link",
        FileType::Fifo => "a FIFO",
        FileType::Socket => "a socket",
        FileType::CharacterDevice => "a character device",
        FileType::BlockDevice => "a block device",
        FileType::Unknown => "of an unknown type",
    }
}

/// A directory inside a container's tree, opened without following links.
#[derive(Debug)]
pub struct UntrustedDir {
    fd: OwnedFd,
    /// The host path, for messages only; never opened again by name.
    path: PathBuf,
}

/// One entry of a walk, with its path relative to the walked directory.
#[derive(Debug)]
pub enum Entry {
    Dir {
        rel: PathBuf,
        mode: u32,
    },
    /// A regular file, already open (no-follow, checked regular).
    File {
        rel: PathBuf,
        file: File,
        size: u64,
        mode: u32,
    },
    /// A symbolic link and its target text, not resolved.
    Symlink {
        rel: PathBuf,
        target: PathBuf,
    },
}

/// What [`UntrustedDir::read_regular`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum Bounded {
    Missing,
    /// The first bytes (at most the bound) and whether there were more.
    Read {
        bytes: Vec<u8>,
        truncated: bool,
    },
}

impl UntrustedDir {
    /// Opens `trusted.join(rel…)`: `trusted` is a directory the server made
    /// and no container can change (the job's root); each of `rel` is
    /// opened no-follow. `Ok(None)` when a component does not exist.
    pub fn open(trusted: &Path, rel: &[&str]) -> Result<Option<Self>, UntrustedError> {
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
        let mut fd = match rustix::fs::open(trusted, flags, Mode::empty()) {
            Ok(fd) => fd,
            Err(Errno::NOENT) => return Ok(None),
            Err(e) => return Err(io_at(trusted)(e)),
        };
        let mut path = trusted.to_path_buf();
        for name in rel {
            path.push(name);
            fd = match open_dir_at(&fd, OsStr::new(name), &path)? {
                Some(fd) => fd,
                None => return Ok(None),
            };
        }
        Ok(Some(Self { fd, path }))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the directory holds anything.
    pub fn has_content(&self) -> Result<bool, UntrustedError> {
        let mut dir = rustix::fs::Dir::read_from(&self.fd).map_err(io_at(&self.path))?;
        for entry in dir.by_ref() {
            let entry = entry.map_err(io_at(&self.path))?;
            let name = entry.file_name().to_bytes();
            if name != b"." && name != b".." {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Reads at most `max` bytes of the regular file `name` (a single
    /// name, no slashes). A link, FIFO, device or directory there is
    /// refused with [`UntrustedError::NotPlain`], never opened for reading.
    pub fn read_regular(&self, name: &str, max: usize) -> Result<Bounded, UntrustedError> {
        let path = self.path.join(name);
        let Some(file) = open_file_at(&self.fd, OsStr::new(name), &path)? else {
            return Ok(Bounded::Missing);
        };
        let mut bytes = Vec::with_capacity(max.min(64 << 10));
        let mut limited = file.take(max as u64 + 1);
        limited
            .read_to_end(&mut bytes)
            .map_err(|source| UntrustedError::Io {
                path: path.display().to_string(),
                source,
            })?;
        let truncated = bytes.len() > max;
        bytes.truncate(max);
        Ok(Bounded::Read { bytes, truncated })
    }

    /// Opens the regular file at `rel` (relative, no `..`), every
    /// component no-follow. `Ok(None)` if it is gone.
    pub fn open_regular(&self, rel: &Path) -> Result<Option<File>, UntrustedError> {
        let names: Vec<&OsStr> = rel
            .components()
            .map(|c| match c {
                Component::Normal(n) => Ok(n),
                _ => Err(UntrustedError::NotPlain {
                    path: rel.display().to_string(),
                    found: "not a plain relative path",
                    wanted: "a path below the directory",
                }),
            })
            .collect::<Result<_, _>>()?;
        let Some((last, parents)) = names.split_last() else {
            return Ok(None);
        };
        let mut path = self.path.clone();
        let mut fd: Option<OwnedFd> = None;
        for name in parents {
            path.push(name);
            let parent = fd.as_ref().unwrap_or(&self.fd);
            match open_dir_at(parent, name, &path)? {
                Some(next) => fd = Some(next),
                None => return Ok(None),
            }
        }
        path.push(last);
        open_file_at(fd.as_ref().unwrap_or(&self.fd), last, &path)
    }

    /// Visits every entry below this directory, depth first, names sorted
    /// (so archives are reproducible). Sockets, FIFOs and devices are
    /// skipped: they are not artifacts. At most `max_entries` entries.
    pub fn walk(
        &self,
        max_entries: u64,
        visit: &mut dyn FnMut(Entry) -> Result<(), UntrustedError>,
    ) -> Result<(), UntrustedError> {
        let mut seen = 0u64;
        walk_dir(
            &self.fd,
            &self.path,
            Path::new(""),
            0,
            max_entries,
            &mut seen,
            visit,
        )
    }
}

fn walk_dir(
    fd: &OwnedFd,
    host: &Path,
    rel: &Path,
    depth: usize,
    max_entries: u64,
    seen: &mut u64,
    visit: &mut dyn FnMut(Entry) -> Result<(), UntrustedError>,
) -> Result<(), UntrustedError> {
    if depth >= MAX_DEPTH {
        return Err(UntrustedError::TooDeep {
            path: host.display().to_string(),
        });
    }
    let mut names = Vec::new();
    let mut dir = rustix::fs::Dir::read_from(fd).map_err(io_at(host))?;
    for entry in dir.by_ref() {
        let entry = entry.map_err(io_at(host))?;
        let name = entry.file_name().to_bytes();
        if name == b"." || name == b".." {
            continue;
        }
        *seen += 1;
        if *seen > max_entries {
            return Err(UntrustedError::TooMany {
                path: host.display().to_string(),
                limit: max_entries,
            });
        }
        names.push(OsStr::from_bytes(name).to_owned());
    }
    names.sort();
    for name in names {
        let (host_path, rel_path) = (host.join(&name), rel.join(&name));
        // The type from lstat, not from the directory entry: some file
        // systems report DT_UNKNOWN.
        let stat = match rustix::fs::statat(fd, name.as_os_str(), AtFlags::SYMLINK_NOFOLLOW) {
            Ok(s) => s,
            Err(Errno::NOENT) => continue,
            Err(e) => return Err(io_at(&host_path)(e)),
        };
        let mode = stat.st_mode & 0o7777;
        match FileType::from_raw_mode(stat.st_mode) {
            FileType::Directory => {
                let Some(sub) = open_dir_at(fd, &name, &host_path)? else {
                    continue;
                };
                visit(Entry::Dir {
                    rel: rel_path.clone(),
                    mode,
                })?;
                walk_dir(
                    &sub,
                    &host_path,
                    &rel_path,
                    depth + 1,
                    max_entries,
                    seen,
                    visit,
                )?;
            }
            FileType::RegularFile => {
                let Some(file) = open_file_at(fd, &name, &host_path)? else {
                    continue;
                };
                let meta = file.metadata().map_err(|source| UntrustedError::Io {
                    path: host_path.display().to_string(),
                    source,
                })?;
                visit(Entry::File {
                    rel: rel_path,
                    file,
                    size: meta.len(),
                    mode,
                })?;
            }
            FileType::Symlink => {
                let target = rustix::fs::readlinkat(fd, name.as_os_str(), Vec::new())
                    .map_err(io_at(&host_path))?;
                visit(Entry::Symlink {
                    rel: rel_path,
                    target: PathBuf::from(OsStr::from_bytes(target.to_bytes())),
                })?;
            }
            _ => {}
        }
    }
    Ok(())
}

/// `openat(parent, name, O_DIRECTORY|O_NOFOLLOW)`: `None` if missing,
/// `NotPlain` if it is a link or not a directory.
fn open_dir_at(
    parent: &OwnedFd,
    name: &OsStr,
    path: &Path,
) -> Result<Option<OwnedFd>, UntrustedError> {
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    match rustix::fs::openat(parent, name, flags, Mode::empty()) {
        Ok(fd) => Ok(Some(fd)),
        Err(Errno::NOENT) => Ok(None),
        Err(Errno::LOOP | Errno::NOTDIR) => Err(not_plain(parent, name, path, "a directory")),
        Err(e) => Err(io_at(path)(e)),
    }
}

/// `openat(parent, name, O_NOFOLLOW|O_NONBLOCK)`, then `fstat` must say
/// regular file: a FIFO opened this way does not block, and is refused.
fn open_file_at(
    parent: &OwnedFd,
    name: &OsStr,
    path: &Path,
) -> Result<Option<File>, UntrustedError> {
    let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
    let fd = match rustix::fs::openat(parent, name, flags, Mode::empty()) {
        Ok(fd) => fd,
        Err(Errno::NOENT) => return Ok(None),
        Err(Errno::LOOP) => return Err(not_plain(parent, name, path, "a regular file")),
        Err(e) => return Err(io_at(path)(e)),
    };
    let stat = rustix::fs::fstat(&fd).map_err(io_at(path))?;
    let ft = FileType::from_raw_mode(stat.st_mode);
    if ft != FileType::RegularFile {
        return Err(UntrustedError::NotPlain {
            path: path.display().to_string(),
            found: kind(ft),
            wanted: "a regular file",
        });
    }
    // O_NONBLOCK has no effect on a regular file's reads, so it can stay.
    Ok(Some(File::from(fd)))
}

fn not_plain(parent: &OwnedFd, name: &OsStr, path: &Path, wanted: &'static str) -> UntrustedError {
    let found = rustix::fs::statat(parent, name, AtFlags::SYMLINK_NOFOLLOW)
        .map(|s| kind(FileType::from_raw_mode(s.st_mode)))
        .unwrap_or("not readable");
    UntrustedError::NotPlain {
        path: path.display().to_string(),
        found,
        wanted,
    }
}

#[cfg(test)]
#[path = "untrusted_tests.rs"]
mod tests;
