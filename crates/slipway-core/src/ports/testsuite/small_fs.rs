//! A small file system for disk-full tests: a tmpfs of a given size that
//! a test mounts under a directory it owns, fills, and frees, so writes
//! really meet ENOSPC. Needs root (mount): [`SmallFs::mount`] says why
//! when it cannot, and the caller skips with that reason.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A tmpfs mounted at `dir`, unmounted (lazily, so an open file cannot
/// keep it) when dropped, panic or not.
pub struct SmallFs {
    pub dir: PathBuf,
}

impl SmallFs {
    /// Mounts a tmpfs of `size` (`mount`'s form: `4m`) at `parent/fs`.
    pub fn mount(parent: &Path, size: &str) -> Result<Self, String> {
        let dir = parent.join("fs");
        std::fs::create_dir(&dir).map_err(|e| e.to_string())?;
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&dir)
            .output()
            .map_err(|e| format!("running mount: {e}"))?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).trim().to_owned());
        }
        Ok(Self { dir })
    }

    /// Fills the file system with one file, then gives back `leave` bytes
    /// of it, so the next writes run into ENOSPC soon. Returns the file.
    pub fn fill(&self, leave: u64) -> PathBuf {
        let path = self.dir.join("filler");
        let mut f = std::fs::File::create(&path).unwrap();
        let block = vec![0x5au8; 64 * 1024];
        let mut size = 0u64;
        loop {
            // Never more than a test's tmpfs: a mount that silently did
            // not happen must not fill the machine's disk.
            assert!(
                size < 64 << 20,
                "the file system is larger than the test's tmpfs"
            );
            match f.write(&block) {
                Ok(0) => break,
                Ok(n) => size += n as u64,
                Err(e) if e.raw_os_error() == Some(28) => break, // ENOSPC
                Err(e) => panic!("filling: {e}"),
            }
        }
        f.set_len(size.saturating_sub(leave)).unwrap();
        f.sync_all().unwrap();
        path
    }
}

impl Drop for SmallFs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.dir).status();
    }
}
