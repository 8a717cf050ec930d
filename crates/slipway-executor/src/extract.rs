//! Safe extraction of a seller's `model.tar.gz` into `/opt/ml/model`
//! (docs/contracts.md §4.1, §5.1). The archive is untrusted: it may try to write
//! outside the directory (`..`, absolute paths, links, writing through a
//! link it planted), create devices, or expand without bound. Synchronous
//! (tar and flate2 are); callers run it on a blocking thread.
//!
//! Rules, each refused with a sentence naming the entry:
//! - paths must be relative and free of `..`;
//! - symbolic links must be relative, may use `..` only as leading
//!   components, and must resolve inside the root. Leading `..` climbs
//!   the link's own parents, which are real directories (no entry may be
//!   written *through* a link), and every later name only descends, so by
//!   induction over links a link never reaches outside;
//! - hard links must name a regular file extracted earlier; it is copied
//!   (no link is made, so nothing outside can be aliased);
//! - device files, FIFOs and unknown entry types are refused;
//! - [`ExtractLimits`] bound the entry count, the bytes actually written
//!   and the expansion ratio.
//!
//! All or nothing: entries go into a staging directory beside `dest`,
//! which is renamed into place only when the whole archive passed.

use std::cell::Cell;
use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Component, Path, PathBuf};
use std::rc::Rc;

/// The expansion ratio is only judged past this many written bytes, so a
/// small, very compressible file (a sparse config, zeros) never trips it.
const RATIO_FLOOR_BYTES: u64 = 16 << 20;

/// Bounds against decompression bombs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExtractLimits {
    /// Bytes written in total (default 30 GiB: the batch storage volume).
    pub max_total_bytes: u64,
    /// Entries of any type (default 1,000,000).
    pub max_entries: u64,
    /// Written bytes per compressed byte read (default 250; deflate's own
    /// maximum is about 1032).
    pub max_ratio: u64,
}

impl Default for ExtractLimits {
    fn default() -> Self {
        Self {
            max_total_bytes: 30 << 30,
            max_entries: 1_000_000,
            max_ratio: 250,
        }
    }
}

/// What was extracted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExtractStats {
    pub files: u64,
    pub dirs: u64,
    pub symlinks: u64,
    /// Bytes written to files.
    pub bytes: u64,
    /// Whether the archive was gzip-compressed (plain tar is accepted too).
    pub gzip: bool,
}

/// Why a model archive was not extracted. Nothing is left in `dest`.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    #[error("model archive entry '{entry}' was refused: {rule}")]
    Refused { entry: String, rule: String },
    #[error("model archive entry '{entry}' exceeds a limit: {limit}")]
    Limit { entry: String, limit: String },
    #[error("the model archive is not a valid tar or tar.gz file: {0}")]
    Corrupt(String),
    #[error("{context}: {source}")]
    Io { context: String, source: io::Error },
}

fn refused(entry: &Path, rule: impl Into<String>) -> ExtractError {
    ExtractError::Refused {
        entry: entry.display().to_string(),
        rule: rule.into(),
    }
}

fn io_err(context: impl Into<String>) -> impl FnOnce(io::Error) -> ExtractError {
    let context = context.into();
    move |source| ExtractError::Io { context, source }
}

fn corrupt(e: io::Error) -> ExtractError {
    ExtractError::Corrupt(e.to_string())
}

/// Extracts `src` (tar+gzip, or plain tar by its magic) into `dest`, which
/// must be absent or an empty directory.
pub fn extract_tar_gz(
    src: &Path,
    dest: &Path,
    limits: ExtractLimits,
) -> Result<ExtractStats, ExtractError> {
    let parent = dest.parent().unwrap_or(Path::new("."));
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "model".into());
    fs::create_dir_all(parent).map_err(io_err(format!("creating {}", parent.display())))?;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let staging = parent.join(format!(".{name}.extracting-{}-{nanos}", std::process::id()));
    fs::create_dir(&staging).map_err(io_err(format!("creating {}", staging.display())))?;
    let result = extract_into(src, &staging, limits).and_then(|stats| {
        place(&staging, dest)?;
        Ok(stats)
    });
    if result.is_err() {
        let _ = fs::remove_dir_all(&staging);
    }
    result
}

/// Renames the finished staging directory to `dest`.
fn place(staging: &Path, dest: &Path) -> Result<(), ExtractError> {
    if let Ok(meta) = fs::symlink_metadata(dest) {
        let empty_dir = meta.is_dir() && fs::read_dir(dest).is_ok_and(|mut d| d.next().is_none());
        if !empty_dir {
            return Err(ExtractError::Io {
                context: format!("extracting into {}", dest.display()),
                source: io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    "the destination exists and is not an empty directory",
                ),
            });
        }
        fs::remove_dir(dest).map_err(io_err(format!("replacing {}", dest.display())))?;
    }
    fs::set_permissions(staging, fs::Permissions::from_mode(0o755)).map_err(io_err(format!(
        "setting permissions of {}",
        staging.display()
    )))?;
    fs::rename(staging, dest).map_err(io_err(format!("moving the model into {}", dest.display())))
}

/// Counts the (compressed) bytes the decoder pulls from the file.
struct Counting<R> {
    inner: R,
    count: Rc<Cell<u64>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

fn extract_into(
    src: &Path,
    root: &Path,
    limits: ExtractLimits,
) -> Result<ExtractStats, ExtractError> {
    let file = File::open(src).map_err(io_err(format!("opening {}", src.display())))?;
    let compressed = Rc::new(Cell::new(0u64));
    let mut reader = BufReader::with_capacity(
        1 << 16,
        Counting {
            inner: file,
            count: compressed.clone(),
        },
    );
    let head = reader
        .fill_buf()
        .map_err(io_err(format!("reading {}", src.display())))?;
    let gzip = head.starts_with(&[0x1f, 0x8b]);
    // Without either magic the file is not a model archive; tar itself
    // would read an empty or zeroed file as an empty archive.
    if !gzip && head.get(257..262) != Some(&b"ustar"[..]) {
        return Err(ExtractError::Corrupt(
            "it starts with neither the gzip nor the tar ('ustar') magic".into(),
        ));
    }
    let input: Box<dyn Read> = if gzip {
        Box::new(flate2::read::MultiGzDecoder::new(reader))
    } else {
        Box::new(reader)
    };
    let mut archive = tar::Archive::new(input);
    let mut stats = ExtractStats {
        gzip,
        ..Default::default()
    };
    let mut entries_seen = 0u64;
    let mut buf = vec![0u8; 1 << 16];
    for entry in archive.entries().map_err(corrupt)? {
        let mut entry = entry.map_err(corrupt)?;
        let raw = entry.path().map_err(corrupt)?.into_owned();
        entries_seen += 1;
        if entries_seen > limits.max_entries {
            return Err(ExtractError::Limit {
                entry: raw.display().to_string(),
                limit: format!("the archive holds more than {} entries", limits.max_entries),
            });
        }
        let kind = entry.header().entry_type();
        if matches!(
            kind,
            tar::EntryType::XGlobalHeader
                | tar::EntryType::XHeader
                | tar::EntryType::GNULongName
                | tar::EntryType::GNULongLink
        ) {
            continue; // metadata the tar crate applies itself
        }
        let rel = relative(&raw)?;
        if rel.as_os_str().is_empty() {
            if kind.is_dir() {
                continue; // "./", the root itself
            }
            return Err(refused(&raw, "the entry has no name"));
        }
        make_parents(root, &rel, &raw)?;
        let target = root.join(&rel);
        let mode = entry.header().mode().unwrap_or(0o644);
        match kind {
            tar::EntryType::Directory => {
                match fs::symlink_metadata(&target) {
                    Ok(m) if m.is_dir() => {}
                    Ok(_) => {
                        return Err(refused(
                            &raw,
                            "a directory would replace a file or link of the same name",
                        ))
                    }
                    Err(_) => fs::create_dir(&target)
                        .map_err(io_err(format!("creating {}", rel.display())))?,
                }
                // Owner keeps full access so the directory can be cleaned up.
                fs::set_permissions(&target, fs::Permissions::from_mode((mode & 0o777) | 0o700))
                    .map_err(io_err(format!("setting permissions of {}", rel.display())))?;
                stats.dirs += 1;
            }
            tar::EntryType::Regular | tar::EntryType::Continuous | tar::EntryType::GNUSparse => {
                let mut out = create_file(&target, &raw, &rel)?;
                loop {
                    let n = entry.read(&mut buf).map_err(corrupt)?;
                    if n == 0 {
                        break;
                    }
                    stats.bytes += n as u64;
                    check_limits(&limits, stats.bytes, compressed.get(), &raw)?;
                    out.write_all(&buf[..n])
                        .map_err(io_err(format!("writing {}", rel.display())))?;
                }
                finish_file(out, &target, mode, &rel)?;
                stats.files += 1;
            }
            tar::EntryType::Symlink => {
                let link = entry
                    .link_name()
                    .map_err(corrupt)?
                    .ok_or_else(|| refused(&raw, "the symbolic link has no target"))?;
                check_symlink(&rel, &link).map_err(|rule| refused(&raw, rule))?;
                remove_existing(&target, &raw)?;
                std::os::unix::fs::symlink(&link, &target)
                    .map_err(io_err(format!("creating link {}", rel.display())))?;
                stats.symlinks += 1;
            }
            tar::EntryType::Link => {
                let link = entry
                    .link_name()
                    .map_err(corrupt)?
                    .ok_or_else(|| refused(&raw, "the hard link has no target"))?;
                let source_rel = relative(&link).map_err(|_| {
                    refused(
                        &raw,
                        format!(
                            "the hard link points outside the model directory ('{}')",
                            link.display()
                        ),
                    )
                })?;
                let source = existing_file(root, &source_rel).ok_or_else(|| {
                    refused(
                        &raw,
                        format!(
                            "the hard link's target '{}' is not a regular file extracted earlier",
                            link.display()
                        ),
                    )
                })?;
                let mut input = File::open(&source)
                    .map_err(io_err(format!("opening {}", source_rel.display())))?;
                let mut out = create_file(&target, &raw, &rel)?;
                loop {
                    let n = input
                        .read(&mut buf)
                        .map_err(io_err(format!("reading {}", source_rel.display())))?;
                    if n == 0 {
                        break;
                    }
                    stats.bytes += n as u64;
                    check_limits(&limits, stats.bytes, compressed.get(), &raw)?;
                    out.write_all(&buf[..n])
                        .map_err(io_err(format!("writing {}", rel.display())))?;
                }
                finish_file(out, &target, mode, &rel)?;
                stats.files += 1;
            }
            tar::EntryType::Char | tar::EntryType::Block => {
                return Err(refused(
                    &raw,
                    "device files are not allowed in a model archive",
                ));
            }
            tar::EntryType::Fifo => {
                return Err(refused(&raw, "FIFOs are not allowed in a model archive"))
            }
            other => {
                return Err(refused(
                    &raw,
                    format!("entry type {other:?} is not supported"),
                ))
            }
        }
    }
    Ok(stats)
}

fn check_limits(
    limits: &ExtractLimits,
    written: u64,
    compressed: u64,
    entry: &Path,
) -> Result<(), ExtractError> {
    let limit = if written > limits.max_total_bytes {
        format!(
            "the archive expands to more than {} bytes",
            limits.max_total_bytes
        )
    } else if written > RATIO_FLOOR_BYTES && written / compressed.max(1) > limits.max_ratio {
        format!(
            "the archive expands more than {} times its compressed size ({written} bytes from {compressed}), like a decompression bomb",
            limits.max_ratio
        )
    } else {
        return Ok(());
    };
    Err(ExtractError::Limit {
        entry: entry.display().to_string(),
        limit,
    })
}

/// The entry's path as plain relative components; refuses `..` and
/// absolute paths.
fn relative(path: &Path) -> Result<PathBuf, ExtractError> {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::Normal(n) => out.push(n),
            Component::CurDir => {}
            Component::ParentDir => {
                return Err(refused(
                    path,
                    "the path contains '..', which would leave the model directory",
                ))
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err(refused(path, "the path is absolute"))
            }
        }
    }
    Ok(out)
}

/// Creates the missing parents of `rel`; refuses to go through a link or a
/// file, which is what keeps every write inside the root.
fn make_parents(root: &Path, rel: &Path, raw: &Path) -> Result<(), ExtractError> {
    let mut dir = root.to_path_buf();
    let parents: Vec<_> = rel
        .parent()
        .map(|p| p.components().collect())
        .unwrap_or_default();
    for c in parents {
        dir.push(c);
        match fs::symlink_metadata(&dir) {
            Ok(m) if m.is_dir() => {}
            Ok(m) if m.file_type().is_symlink() => {
                return Err(refused(
                    raw,
                    "its parent directory is a symbolic link, and nothing is written through links",
                ))
            }
            Ok(_) => return Err(refused(raw, "its parent is a file, not a directory")),
            Err(_) => {
                fs::create_dir(&dir).map_err(io_err(format!("creating {}", dir.display())))?
            }
        }
    }
    Ok(())
}

/// A symbolic link's target must be relative and stay inside the root
/// when resolved from the link's own directory.
fn check_symlink(rel: &Path, target: &Path) -> Result<(), String> {
    let mut depth: Vec<OsString> = rel
        .parent()
        .map(|p| p.components().map(|c| c.as_os_str().to_owned()).collect())
        .unwrap_or_default();
    let mut named = false;
    for c in target.components() {
        match c {
            Component::Normal(n) => {
                named = true;
                depth.push(n.to_owned());
            }
            Component::CurDir => {}
            // After a name, `..` leaves wherever that name really leads, which
            // may be a link to a shallower place ("d" -> "." makes "d/.."
            // the root's parent); text alone cannot check it, so refuse.
            Component::ParentDir if named => {
                return Err(format!(
                    "the symbolic link's target has '..' after a name ('{}'); only leading '..' is allowed",
                    target.display()
                ));
            }
            Component::ParentDir => {
                if depth.pop().is_none() {
                    return Err(format!(
                        "the symbolic link points outside the model directory ('{}')",
                        target.display()
                    ));
                }
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err(format!(
                    "the symbolic link has an absolute target ('{}')",
                    target.display()
                ))
            }
        }
    }
    Ok(())
}

/// A later entry replaces an earlier file or link of the same name (as tar
/// does); a directory is never replaced by a file.
fn remove_existing(target: &Path, raw: &Path) -> Result<(), ExtractError> {
    match fs::symlink_metadata(target) {
        Ok(m) if m.is_dir() => Err(refused(
            raw,
            "a file or link would replace a directory of the same name",
        )),
        Ok(_) => fs::remove_file(target).map_err(io_err(format!("replacing {}", raw.display()))),
        Err(_) => Ok(()),
    }
}

fn create_file(target: &Path, raw: &Path, rel: &Path) -> Result<File, ExtractError> {
    remove_existing(target, raw)?;
    // create_new never follows a link planted at the target.
    File::options()
        .write(true)
        .create_new(true)
        .open(target)
        .map_err(io_err(format!("creating {}", rel.display())))
}

fn finish_file(out: File, target: &Path, mode: u32, rel: &Path) -> Result<(), ExtractError> {
    drop(out);
    // Owner keeps read/write; set-id bits are dropped.
    fs::set_permissions(target, fs::Permissions::from_mode((mode & 0o777) | 0o600))
        .map_err(io_err(format!("setting permissions of {}", rel.display())))
}

/// `root/rel` if it is a regular file reached through real directories only.
fn existing_file(root: &Path, rel: &Path) -> Option<PathBuf> {
    let mut p = root.to_path_buf();
    for c in rel.components() {
        p.push(c);
        let m = fs::symlink_metadata(&p).ok()?;
        if m.file_type().is_symlink() {
            return None;
        }
    }
    fs::symlink_metadata(&p)
        .ok()
        .filter(|m| m.is_file())
        .map(|_| p)
}

#[cfg(test)]
#[path = "extract_tests.rs"]
mod tests;
