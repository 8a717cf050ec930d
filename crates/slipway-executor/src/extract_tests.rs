//! Hostile archives are written header by header: `tar::Builder` itself
//! refuses `..` and absolute names, which is exactly what we must test.

use super::*;
use tar::EntryType as T;

struct E<'a> {
    name: &'a str,
    kind: T,
    data: &'a [u8],
    link: Option<&'a str>,
    mode: u32,
}

fn file<'a>(name: &'a str, data: &'a [u8]) -> E<'a> {
    E {
        name,
        kind: T::Regular,
        data,
        link: None,
        mode: 0o644,
    }
}
fn dir(name: &str) -> E<'_> {
    E {
        name,
        kind: T::Directory,
        data: b"",
        link: None,
        mode: 0o755,
    }
}
fn link<'a>(name: &'a str, kind: T, target: &'a str) -> E<'a> {
    E {
        name,
        kind,
        data: b"",
        link: Some(target),
        mode: 0o777,
    }
}
fn special(name: &str, kind: T) -> E<'_> {
    E {
        name,
        kind,
        data: b"",
        link: None,
        mode: 0o644,
    }
}

fn build(path: &Path, entries: &[E], gzip: bool) {
    let out: Box<dyn Write> = if gzip {
        Box::new(flate2::write::GzEncoder::new(
            File::create(path).unwrap(),
            flate2::Compression::default(),
        ))
    } else {
        Box::new(File::create(path).unwrap())
    };
    let mut b = tar::Builder::new(out);
    for e in entries {
        let mut h = tar::Header::new_gnu();
        {
            let gnu = h.as_gnu_mut().unwrap();
            gnu.name[..e.name.len()].copy_from_slice(e.name.as_bytes());
            if let Some(l) = e.link {
                gnu.linkname[..l.len()].copy_from_slice(l.as_bytes());
            }
        }
        h.set_entry_type(e.kind);
        h.set_size(e.data.len() as u64);
        h.set_mode(e.mode);
        h.set_cksum();
        b.append(&h, e.data).unwrap();
    }
    b.into_inner().unwrap().flush().unwrap();
}

struct Fixture {
    tmp: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Self {
        Self {
            tmp: tempfile::tempdir().unwrap(),
        }
    }
    fn dest(&self) -> PathBuf {
        self.tmp.path().join("opt/ml/model")
    }
    fn run(
        &self,
        entries: &[E],
        gzip: bool,
        limits: ExtractLimits,
    ) -> Result<ExtractStats, ExtractError> {
        let src = self.tmp.path().join("model.tar.gz");
        build(&src, entries, gzip);
        extract_tar_gz(&src, &self.dest(), limits)
    }
    /// After a refusal: no dest, no staging directory left beside it.
    fn assert_nothing_left(&self) {
        assert!(!self.dest().exists());
        let leftovers: Vec<_> = fs::read_dir(self.tmp.path().join("opt/ml"))
            .unwrap()
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }
}

#[test]
fn extracts_files_dirs_modes_and_inner_links() {
    let f = Fixture::new();
    let mut exe = file("bin/run.sh", b"#!/bin/sh\n");
    exe.mode = 0o755;
    let stats = f
        .run(
            &[
                dir("./"),
                dir("sub"),
                file("./sub/w.json", b"{\"w\":1}"),
                exe,
                link("sub/latest", T::Symlink, "w.json"),
                link("sub/run", T::Symlink, "../bin/run.sh"),
                link("copy.json", T::Link, "sub/w.json"),
            ],
            true,
            ExtractLimits::default(),
        )
        .unwrap();
    let d = f.dest();
    assert_eq!(fs::read(d.join("sub/w.json")).unwrap(), b"{\"w\":1}");
    assert_eq!(fs::read(d.join("sub/latest")).unwrap(), b"{\"w\":1}");
    assert_eq!(fs::read(d.join("copy.json")).unwrap(), b"{\"w\":1}");
    assert_eq!(fs::read(d.join("sub/run")).unwrap(), b"#!/bin/sh\n");
    assert_eq!(
        fs::metadata(d.join("bin/run.sh"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o755
    );
    assert_eq!(
        stats,
        ExtractStats {
            files: 3,
            dirs: 1,
            symlinks: 2,
            bytes: 24,
            gzip: true
        }
    );
}

#[test]
fn plain_tar_and_empty_destination_dir_are_accepted() {
    let f = Fixture::new();
    fs::create_dir_all(f.dest()).unwrap();
    let stats = f
        .run(&[file("a.txt", b"hi")], false, ExtractLimits::default())
        .unwrap();
    assert!(!stats.gzip);
    assert_eq!(fs::read(f.dest().join("a.txt")).unwrap(), b"hi");
}

#[test]
fn non_empty_destination_is_refused() {
    let f = Fixture::new();
    fs::create_dir_all(f.dest()).unwrap();
    fs::write(f.dest().join("old"), b"x").unwrap();
    let err = f
        .run(&[file("a.txt", b"hi")], true, ExtractLimits::default())
        .unwrap_err();
    assert!(err.to_string().contains("not an empty directory"), "{err}");
    assert!(!f.dest().join("a.txt").exists());
}

#[test]
fn refuses_paths_that_escape() {
    for (name, rule) in [
        ("../evil", "model archive entry '../evil' was refused: the path contains '..', which would leave the model directory"),
        ("ok/../../evil", "the path contains '..'"),
        ("/etc/evil", "model archive entry '/etc/evil' was refused: the path is absolute"),
    ] {
        let f = Fixture::new();
        let err = f.run(&[file("fine", b"1"), file(name, b"x")], true, ExtractLimits::default()).unwrap_err();
        assert!(err.to_string().contains(rule), "{name}: {err}");
        f.assert_nothing_left();
        assert!(!f.tmp.path().join("opt/ml/evil").exists());
    }
}

#[test]
fn refuses_links_that_escape_and_writes_through_links() {
    let cases: Vec<(Vec<E>, &str)> = vec![
        (
            vec![link("l", T::Symlink, "/etc/passwd")],
            "the symbolic link has an absolute target ('/etc/passwd')",
        ),
        (
            vec![link("a/l", T::Symlink, "../../x")],
            "the symbolic link points outside the model directory ('../../x')",
        ),
        (
            vec![link("l", T::Symlink, "."), file("l/x", b"x")],
            "model archive entry 'l/x' was refused: its parent directory is a symbolic link",
        ),
        (
            vec![link("d", T::Symlink, "."), link("e", T::Symlink, "d/..")],
            "only leading '..' is allowed",
        ),
        (
            vec![link("h", T::Link, "../outside")],
            "the hard link points outside the model directory",
        ),
        (
            vec![link("h", T::Link, "missing")],
            "the hard link's target 'missing' is not a regular file extracted earlier",
        ),
        (
            vec![link("s", T::Symlink, "x"), link("h", T::Link, "s")],
            "is not a regular file",
        ),
    ];
    for (entries, rule) in cases {
        let f = Fixture::new();
        let err = f.run(&entries, true, ExtractLimits::default()).unwrap_err();
        assert!(err.to_string().contains(rule), "{err}");
        f.assert_nothing_left();
    }
}

#[test]
fn a_file_replacing_a_planted_link_does_not_follow_it() {
    let f = Fixture::new();
    let outside = f.tmp.path().join("outside.txt");
    fs::write(&outside, b"keep").unwrap();
    // An inner link named like a later file: the file replaces the link.
    f.run(
        &[
            file("x", b"0"),
            link("l", T::Symlink, "x"),
            file("l", b"new"),
        ],
        true,
        ExtractLimits::default(),
    )
    .unwrap();
    assert_eq!(fs::read(f.dest().join("l")).unwrap(), b"new");
    assert_eq!(fs::read(f.dest().join("x")).unwrap(), b"0");
    assert_eq!(fs::read(&outside).unwrap(), b"keep");
}

#[test]
fn refuses_devices_and_fifos() {
    for (kind, rule) in [
        (T::Char, "device files"),
        (T::Block, "device files"),
        (T::Fifo, "FIFOs"),
    ] {
        let f = Fixture::new();
        let err = f
            .run(&[special("dev", kind)], true, ExtractLimits::default())
            .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("model archive entry 'dev' was refused: "),
            "{err}"
        );
        assert!(err.to_string().contains(rule), "{err}");
        f.assert_nothing_left();
    }
}

#[test]
fn limits_count_entries_and_written_bytes() {
    let f = Fixture::new();
    let limits = ExtractLimits {
        max_entries: 2,
        ..Default::default()
    };
    let err = f
        .run(
            &[file("a", b"1"), file("b", b"2"), file("c", b"3")],
            true,
            limits,
        )
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "model archive entry 'c' exceeds a limit: the archive holds more than 2 entries"
    );
    f.assert_nothing_left();

    let f = Fixture::new();
    let limits = ExtractLimits {
        max_total_bytes: 100,
        ..Default::default()
    };
    let err = f
        .run(&[file("a", &[1; 60]), file("b", &[2; 60])], true, limits)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "model archive entry 'b' exceeds a limit: the archive expands to more than 100 bytes"
    );
    f.assert_nothing_left();
}

#[test]
fn decompression_bomb_trips_the_ratio() {
    let zeros = vec![0u8; 20 << 20];
    let f = Fixture::new();
    let err = f
        .run(&[file("bomb", &zeros)], true, ExtractLimits::default())
        .unwrap_err();
    assert!(matches!(err, ExtractError::Limit { .. }), "{err}");
    assert!(
        err.to_string().contains("like a decompression bomb"),
        "{err}"
    );
    f.assert_nothing_left();
    // The same bytes uncompressed are not a bomb.
    let f = Fixture::new();
    assert_eq!(
        f.run(&[file("zeros", &zeros)], false, ExtractLimits::default())
            .unwrap()
            .bytes,
        20 << 20
    );
}

#[test]
fn corrupt_archive_is_reported_and_cleaned_up() {
    let f = Fixture::new();
    let src = f.tmp.path().join("model.tar.gz");
    build(&src, &[file("a", &[7; 5000])], true);
    let mut bytes = fs::read(&src).unwrap();
    bytes.truncate(bytes.len() / 2);
    fs::write(&src, bytes).unwrap();
    let err = extract_tar_gz(&src, &f.dest(), ExtractLimits::default()).unwrap_err();
    assert!(matches!(err, ExtractError::Corrupt(_)), "{err}");
    f.assert_nothing_left();
    let err = extract_tar_gz(
        &f.tmp.path().join("missing.tar.gz"),
        &f.dest(),
        ExtractLimits::default(),
    )
    .unwrap_err();
    assert!(err.to_string().starts_with("opening "), "{err}");
}

#[test]
fn files_without_either_magic_are_refused() {
    let f = Fixture::new();
    for (name, bytes) in [("empty", &b""[..]), ("text", &b"model weights, honest"[..])] {
        let src = f.tmp.path().join(name);
        fs::write(&src, bytes).unwrap();
        let err = extract_tar_gz(&src, &f.dest(), ExtractLimits::default()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the model archive is not a valid tar or tar.gz file: it starts with neither the gzip nor the tar ('ustar') magic"
        );
    }
    fs::create_dir_all(f.tmp.path().join("opt/ml")).unwrap();
    f.assert_nothing_left();
}
