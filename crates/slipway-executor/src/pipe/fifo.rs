//! The FIFOs of Pipe mode, in a directory the container can write.
//!
//! The container may replace `/opt/ml/input/data` or a FIFO in it with a
//! link, a regular file or (rootful, with CAP_MKNOD) a device node, hoping
//! the server opens it for writing. So the directory is held open by
//! descriptor from before the container starts (a renamed or replaced
//! directory changes nothing for us), every name is opened `O_PATH |
//! O_NOFOLLOW` relative to it and checked with `fstat` to be a FIFO, and
//! only that very inode is opened for writing (through `/proc/self/fd`,
//! which reopens the checked inode rather than resolving a name again).
//! A write end is opened `O_NONBLOCK`: with no reader that fails at once
//! (ENXIO) instead of blocking a thread until a reader comes.

use super::PipeError;
use rustix::fs::{FileType, Mode, OFlags};
use rustix::io::Errno;
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};

/// The kernel buffer asked for each FIFO.
const PIPE_BUFFER: usize = 1 << 20;

/// `/opt/ml/input/data` of one container, held open.
#[derive(Debug)]
pub struct PipeDir {
    fd: OwnedFd,
    /// For messages only; never opened again by name.
    path: PathBuf,
}

/// `<channel>_<epoch>`: the FIFO an algorithm opens for a pass.
pub fn fifo_name(channel: &str, epoch: u64) -> String {
    format!("{channel}_{epoch}")
}

fn io(path: &Path, what: &str) -> impl FnOnce(Errno) -> PipeError {
    let path = format!("{what} {}", path.display());
    move |e| PipeError::Io {
        what: path,
        source: e.into(),
    }
}

impl PipeDir {
    /// Makes `work_root/rel…` (before the container starts: nothing in it
    /// is the container's yet) and opens it.
    pub fn create(work_root: &Path, rel: &[&str]) -> Result<Self, PipeError> {
        let mut path = work_root.to_path_buf();
        path.extend(rel);
        std::fs::create_dir_all(&path).map_err(|source| PipeError::Io {
            what: format!("creating {}", path.display()),
            source,
        })?;
        Self::open(work_root, rel)
    }

    /// Opens `work_root/rel…` with every component below `work_root` (a
    /// directory only the server writes) opened no-follow: after a restart
    /// the container has had its chance to replace them.
    pub fn open(work_root: &Path, rel: &[&str]) -> Result<Self, PipeError> {
        let dir_flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
        let mut fd = rustix::fs::open(work_root, dir_flags, Mode::empty())
            .map_err(io(work_root, "opening"))?;
        let mut path = work_root.to_path_buf();
        for name in rel {
            path.push(name);
            fd = rustix::fs::openat(&fd, *name, dir_flags | OFlags::NOFOLLOW, Mode::empty())
                .map_err(io(&path, "opening (links are never followed)"))?;
        }
        Ok(Self { fd, path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Makes the FIFO `name` (readable and writable by anyone: the image
    /// may run as any user). One already there is kept.
    pub fn make_fifo(&self, name: &str) -> Result<(), PipeError> {
        let mode = Mode::from_raw_mode(0o666);
        match rustix::fs::mknodat(&self.fd, name, FileType::Fifo, mode, 0) {
            Ok(()) | Err(Errno::EXIST) => Ok(()),
            Err(e) => Err(io(&self.path.join(name), "making the FIFO")(e)),
        }
    }

    /// Opens the write end of FIFO `name` if a reader has it open (or is
    /// waiting in `open`). `Ok(None)`: no reader yet (the FIFO is made
    /// again if the container removed it). Anything but a FIFO at `name`
    /// is refused, never opened.
    pub fn open_writer(&self, name: &str) -> Result<Option<OwnedFd>, PipeError> {
        let path = self.path.join(name);
        let flags = OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let handle = match rustix::fs::openat(&self.fd, name, flags, Mode::empty()) {
            Ok(fd) => fd,
            Err(Errno::NOENT) => {
                self.make_fifo(name)?;
                return Ok(None);
            }
            Err(e) => return Err(io(&path, "opening")(e)),
        };
        let stat = rustix::fs::fstat(&handle).map_err(io(&path, "inspecting"))?;
        let found = FileType::from_raw_mode(stat.st_mode);
        if found != FileType::Fifo {
            return Err(PipeError::NotFifo {
                path: path.display().to_string(),
                found: crate::untrusted::kind(found),
            });
        }
        let reopen = format!("/proc/self/fd/{}", handle.as_raw_fd());
        let write = OFlags::WRONLY | OFlags::NONBLOCK | OFlags::CLOEXEC;
        match rustix::fs::open(reopen.as_str(), write, Mode::empty()) {
            Ok(fd) => {
                // A bigger pipe buffer means fewer wake-ups on both sides
                // (64 KiB by default); the system's maximum is the bound
                // (1 MiB unless raised), and failing to grow it is harmless.
                let _ = rustix::pipe::fcntl_setpipe_size(&fd, PIPE_BUFFER);
                Ok(Some(fd))
            }
            Err(Errno::NXIO) => Ok(None),
            Err(e) => Err(io(&path, "opening for writing")(e)),
        }
    }

    /// The highest epoch of `channel` whose FIFO exists (a restarted
    /// server goes on from there).
    pub fn last_epoch(&self, channel: &str) -> Result<Option<u64>, PipeError> {
        let dup = rustix::fs::openat(
            &self.fd,
            ".",
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(io(&self.path, "listing"))?;
        let mut dir = rustix::fs::Dir::read_from(&dup).map_err(io(&self.path, "listing"))?;
        let prefix = format!("{channel}_");
        let mut last = None;
        // Bounded: the container could fill the directory with names.
        for entry in (&mut dir).take(100_000) {
            let entry = entry.map_err(io(&self.path, "listing"))?;
            if entry.file_type() != FileType::Fifo {
                continue;
            }
            let name = entry.file_name().to_string_lossy();
            let Some(digits) = name.strip_prefix(&prefix) else {
                continue;
            };
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                continue;
            }
            if let Ok(n) = digits.parse::<u64>() {
                last = last.max(Some(n));
            }
        }
        Ok(last)
    }
}
