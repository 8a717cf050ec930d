//! tar+gzip of a job's output directories (`model.tar.gz`,
//! `output.tar.gz`). Runs on a blocking thread: tar and flate2 are
//! synchronous, and a model may hold thousands of files.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

/// What packing produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packed {
    pub files: u64,
    pub bytes: u64,
}

/// Whether `dir` holds anything at all (a missing directory holds nothing).
pub fn has_content(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|mut d| d.next().is_some())
}

/// Packs the contents of `dir` (paths relative to it, symlinks kept as
/// links, never followed out of the directory) into `dest` as tar+gzip.
/// The file is synced before returning.
pub fn pack_dir(dir: &Path, dest: &Path) -> std::io::Result<Packed> {
    let file = File::create(dest)?;
    let gz = flate2::write::GzEncoder::new(
        BufWriter::with_capacity(1 << 20, file),
        flate2::Compression::fast(),
    );
    let mut tar = tar::Builder::new(gz);
    tar.follow_symlinks(false);
    tar.mode(tar::HeaderMode::Deterministic);
    let mut packed = Packed { files: 0, bytes: 0 };
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let mut entries: Vec<_> = std::fs::read_dir(&d)?.collect::<Result<_, _>>()?;
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let path = entry.path();
            let rel = path.strip_prefix(dir).map_err(std::io::Error::other)?;
            let ft = entry.file_type()?;
            if ft.is_dir() {
                tar.append_dir(rel, &path)?;
                stack.push(path);
            } else if ft.is_file() || ft.is_symlink() {
                if ft.is_file() {
                    packed.bytes += entry.metadata()?.len();
                }
                tar.append_path_with_name(&path, rel)?;
                packed.files += 1;
            }
            // Sockets, FIFOs and devices a container left behind are not
            // model artifacts; leaving them out keeps the archive portable.
        }
    }
    let gz = tar.into_inner()?;
    let mut inner = gz.finish()?;
    inner.flush()?;
    inner.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    Ok(packed)
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
        let packed = pack_dir(&root, &dest).unwrap();
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
        assert!(has_content(&root));
        assert!(!has_content(&dir.path().join("missing")));
    }
}
