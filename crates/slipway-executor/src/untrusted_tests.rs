use super::*;
use std::os::unix::fs::symlink;

/// A job root with `opt_ml/output` in it, and a host secret beside it
/// that no read may reach.
fn job_root() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("host-secret");
    std::fs::write(&secret, b"TOP SECRET host file").unwrap();
    let root = dir.path().join("job");
    std::fs::create_dir_all(root.join("opt_ml/output/data")).unwrap();
    (dir, root, secret)
}

#[test]
fn a_directory_replaced_by_a_link_is_refused() {
    let (_d, root, secret) = job_root();
    std::fs::remove_dir_all(root.join("opt_ml/output/data")).unwrap();
    symlink(secret.parent().unwrap(), root.join("opt_ml/output/data")).unwrap();
    let err = UntrustedDir::open(&root, &["opt_ml", "output", "data"]).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("is a symbolic link, not a directory"),
        "{text}"
    );
    // The parents are fine, and the missing case is not an error.
    assert!(UntrustedDir::open(&root, &["opt_ml", "output"])
        .unwrap()
        .is_some());
    assert!(UntrustedDir::open(&root, &["opt_ml", "nothing"])
        .unwrap()
        .is_none());
}

#[test]
fn a_failure_file_that_is_a_link_or_fifo_is_not_read() {
    let (_d, root, secret) = job_root();
    let out = UntrustedDir::open(&root, &["opt_ml", "output"])
        .unwrap()
        .unwrap();
    assert_eq!(out.read_regular("failure", 1024).unwrap(), Bounded::Missing);
    symlink(&secret, root.join("opt_ml/output/failure")).unwrap();
    let err = out.read_regular("failure", 1024).unwrap_err().to_string();
    assert!(err.contains("a symbolic link, not a regular file"), "{err}");
    std::fs::remove_file(root.join("opt_ml/output/failure")).unwrap();
    // A FIFO would block a plain open forever; here it is refused at once.
    let fifo = root.join("opt_ml/output/failure");
    rustix::fs::mknodat(
        rustix::fs::CWD,
        &fifo,
        FileType::Fifo,
        Mode::from_raw_mode(0o644),
        0,
    )
    .unwrap();
    let err = out.read_regular("failure", 1024).unwrap_err().to_string();
    assert!(err.contains("a FIFO, not a regular file"), "{err}");
}

#[test]
fn reads_are_bounded() {
    let (_d, root, _) = job_root();
    std::fs::write(root.join("opt_ml/output/failure"), vec![b'x'; 100_000]).unwrap();
    let out = UntrustedDir::open(&root, &["opt_ml", "output"])
        .unwrap()
        .unwrap();
    match out.read_regular("failure", 4096).unwrap() {
        Bounded::Read { bytes, truncated } => {
            assert_eq!(bytes.len(), 4096);
            assert!(truncated);
        }
        other => panic!("{other:?}"),
    }
    std::fs::write(root.join("opt_ml/output/failure"), b"short").unwrap();
    assert_eq!(
        out.read_regular("failure", 4096).unwrap(),
        Bounded::Read {
            bytes: b"short".to_vec(),
            truncated: false
        }
    );
}

#[test]
fn a_walk_reports_links_as_links_and_skips_fifos() {
    let (_d, root, secret) = job_root();
    let data = root.join("opt_ml/output/data");
    std::fs::create_dir_all(data.join("sub")).unwrap();
    std::fs::write(data.join("sub/real.txt"), b"12345").unwrap();
    symlink(&secret, data.join("leak")).unwrap();
    symlink("/", data.join("sub/root")).unwrap();
    rustix::fs::mknodat(
        rustix::fs::CWD,
        data.join("pipe"),
        FileType::Fifo,
        Mode::from_raw_mode(0o644),
        0,
    )
    .unwrap();
    let dir = UntrustedDir::open(&root, &["opt_ml", "output", "data"])
        .unwrap()
        .unwrap();
    let mut seen = Vec::new();
    dir.walk(100, &mut |e| {
        seen.push(match e {
            Entry::Dir { rel, .. } => format!("d {}", rel.display()),
            Entry::File { rel, size, .. } => format!("f {} {size}", rel.display()),
            Entry::Symlink { rel, target } => {
                format!("l {} -> {}", rel.display(), target.display())
            }
        });
        Ok(())
    })
    .unwrap();
    assert_eq!(
        seen,
        vec![
            format!("l leak -> {}", secret.display()),
            "d sub".to_owned(),
            "f sub/real.txt 5".to_owned(),
            "l sub/root -> /".to_owned(),
        ]
    );
    // A path through a link is refused, not followed.
    assert!(dir
        .open_regular(Path::new("sub/real.txt"))
        .unwrap()
        .is_some());
    assert!(dir.open_regular(Path::new("leak")).is_err());
    assert!(dir.open_regular(Path::new("sub/root/etc/passwd")).is_err());
    assert!(dir.open_regular(Path::new("../x")).is_err());
}

#[test]
fn walks_are_bounded_in_entries_and_depth() {
    let (_d, root, _) = job_root();
    let data = root.join("opt_ml/output/data");
    for i in 0..10 {
        std::fs::write(data.join(format!("f{i}")), b"").unwrap();
    }
    let dir = UntrustedDir::open(&root, &["opt_ml", "output", "data"])
        .unwrap()
        .unwrap();
    let err = dir.walk(5, &mut |_| Ok(())).unwrap_err();
    assert!(
        matches!(err, UntrustedError::TooMany { limit: 5, .. }),
        "{err}"
    );
    let mut deep = data.clone();
    for _ in 0..(MAX_DEPTH + 1) {
        deep.push("d");
    }
    std::fs::create_dir_all(&deep).unwrap();
    let err = dir.walk(u64::MAX, &mut |_| Ok(())).unwrap_err();
    assert!(matches!(err, UntrustedError::TooDeep { .. }), "{err}");
    assert!(dir.has_content().unwrap());
}
