//! tar+gzip of a job's output directories (`model.tar.gz`,
//! `output.tar.gz`). Runs on a blocking thread: tar and flate2 are
//! synchronous, and a model may hold thousands of files.

use super::untrusted::{Entry, UntrustedDir, UntrustedError};
use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::Path;

/// Most entries a packed directory may hold: a model of millions of files
/// is a mistake, and each entry costs the server a header and a syscall.
pub const MAX_ENTRIES: u64 = 1_000_000;

/// `HeaderMode::Deterministic`'s fixed modification time (tar's own
/// constant), used for every entry so archives are reproducible.
const DETERMINISTIC_MTIME: u64 = 1_153_704_088;

/// What packing produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packed {
    pub files: u64,
    pub bytes: u64,
}

/// Why packing failed.
#[derive(Debug, thiserror::Error)]
pub enum PackError {
    /// The container left something that may not be read (a link where
    /// the tree must be a directory, too many entries, too deep).
    #[error(transparent)]
    Refused(#[from] UntrustedError),
    #[error("writing the archive: {0}")]
    Io(#[from] std::io::Error),
}

/// Packs the contents of `dir` (paths relative to it) into `dest` as
/// tar+gzip, reading through [`UntrustedDir`]: symbolic links are stored
/// as links with their target text and never followed, FIFOs, sockets and
/// devices are left out (they are not artifacts). The file is synced
/// before returning.
pub fn pack_dir(dir: &UntrustedDir, dest: &Path) -> Result<Packed, PackError> {
    let file = File::create(dest)?;
    let gz = flate2::write::GzEncoder::new(
        BufWriter::with_capacity(1 << 20, file),
        flate2::Compression::fast(),
    );
    let mut tar = tar::Builder::new(gz);
    let mut packed = Packed { files: 0, bytes: 0 };
    let mut write_err = None;
    let walked = dir.walk(MAX_ENTRIES, &mut |entry| {
        if let Err(e) = append(&mut tar, entry, &mut packed) {
            write_err = Some(e);
            // Stop the walk; the write error is reported below.
            return Err(UntrustedError::Io {
                path: dest.display().to_string(),
                source: std::io::Error::other("archive write failed"),
            });
        }
        Ok(())
    });
    if let Some(e) = write_err {
        return Err(PackError::Io(e));
    }
    walked?;
    let gz = tar.into_inner()?;
    let mut inner = gz.finish()?;
    inner.flush()?;
    inner.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    Ok(packed)
}

fn header(kind: tar::EntryType, mode: u32) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(kind);
    h.set_mode(mode);
    h.set_mtime(DETERMINISTIC_MTIME);
    h.set_uid(0);
    h.set_gid(0);
    h.set_size(0);
    h
}

fn append<W: Write>(
    tar: &mut tar::Builder<W>,
    entry: Entry,
    packed: &mut Packed,
) -> std::io::Result<()> {
    match entry {
        Entry::Dir { rel, .. } => {
            let mut h = header(tar::EntryType::Directory, 0o755);
            tar.append_data(&mut h, &rel, std::io::empty())
        }
        Entry::File {
            rel,
            file,
            size,
            mode,
        } => {
            let exec = if mode & 0o111 != 0 { 0o755 } else { 0o644 };
            let mut h = header(tar::EntryType::Regular, exec);
            h.set_size(size);
            // Exactly `size` bytes whatever the file does now: a header
            // that disagrees with its data would corrupt the archive.
            let body = file.take(size).chain(std::io::repeat(0)).take(size);
            tar.append_data(&mut h, &rel, body)?;
            packed.files += 1;
            packed.bytes += size;
            Ok(())
        }
        Entry::Symlink { rel, target } => {
            let mut h = header(tar::EntryType::Symlink, 0o777);
            // The target text verbatim (tar's `append_link` normalises
            // it, turning `/` into `//`); a target too long for the header
            // field goes through `append_link`'s GNU long-link entry.
            let literal = target.as_os_str().as_encoded_bytes();
            if literal.len() <= 100 && h.set_link_name_literal(literal).is_ok() {
                tar.append_data(&mut h, &rel, std::io::empty())?;
            } else {
                tar.append_link(&mut h, &rel, &target)?;
            }
            packed.files += 1;
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn packs_relative_paths_and_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("model");
        std::fs::create_dir_all(root.join("sub/deeper")).unwrap();
        std::fs::write(root.join("model.json"), b"{\"w\":1}").unwrap();
        std::fs::write(root.join("sub/deeper/x.bin"), vec![7u8; 5000]).unwrap();
        let dest = dir.path().join("model.tar.gz");
        let untrusted = UntrustedDir::open(dir.path(), &["model"]).unwrap().unwrap();
        let packed = pack_dir(&untrusted, &dest).unwrap();
        assert_eq!(packed.files, 2);
        assert_eq!(packed.bytes, 5007);
        let mut ar = tar::Archive::new(flate2::read::GzDecoder::new(File::open(&dest).unwrap()));
        let mut names = Vec::new();
        for e in ar.entries().unwrap() {
            let mut e = e.unwrap();
            let name = e.path().unwrap().display().to_string();
            if name == "model.json" {
                let mut s = String::new();
                e.read_to_string(&mut s).unwrap();
                assert_eq!(s, "{\"w\":1}");
            }
            names.push(name);
        }
        names.sort();
        assert_eq!(
            names,
            vec!["model.json", "sub", "sub/deeper", "sub/deeper/x.bin"]
        );
        assert!(untrusted.has_content().unwrap());
    }

    #[test]
    fn links_are_archived_as_links_never_followed() {
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("secret");
        std::fs::write(&secret, b"HOST SECRET").unwrap();
        let root = dir.path().join("model");
        std::fs::create_dir_all(&root).unwrap();
        std::os::unix::fs::symlink(&secret, root.join("leak")).unwrap();
        std::os::unix::fs::symlink("/", root.join("root")).unwrap();
        let dest = dir.path().join("model.tar.gz");
        let untrusted = UntrustedDir::open(dir.path(), &["model"]).unwrap().unwrap();
        let packed = pack_dir(&untrusted, &dest).unwrap();
        assert_eq!(packed, Packed { files: 2, bytes: 0 });
        let raw = std::fs::read(&dest).unwrap();
        let mut plain = Vec::new();
        flate2::read::GzDecoder::new(&raw[..])
            .read_to_end(&mut plain)
            .unwrap();
        assert!(!plain.windows(11).any(|w| w == b"HOST SECRET"));
        let mut ar = tar::Archive::new(&plain[..]);
        let mut links = Vec::new();
        for e in ar.entries().unwrap() {
            let e = e.unwrap();
            assert_eq!(e.header().entry_type(), tar::EntryType::Symlink);
            links.push((
                e.path().unwrap().display().to_string(),
                e.link_name().unwrap().unwrap().display().to_string(),
            ));
        }
        assert_eq!(
            links,
            vec![
                ("leak".to_owned(), secret.display().to_string()),
                ("root".to_owned(), "/".to_owned())
            ]
        );
    }
}
