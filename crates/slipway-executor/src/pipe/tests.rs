use super::records::{decode_recordio, epoch_order, CutFinder, RecordEncoder, RECORDIO_MAGIC};
use super::*;
use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// Objects from memory, in odd-sized chunks (boundaries fall everywhere).
struct Memory(HashMap<String, Vec<u8>>);

#[async_trait::async_trait]
impl ObjectSource for Memory {
    async fn open(&self, object: &InputObject) -> Result<ByteStream, DataError> {
        if let Some(inline) = &object.prefetched {
            let chunk: io::Result<bytes::Bytes> = Ok(inline.clone());
            return Ok(Box::pin(futures::stream::iter([chunk])));
        }
        let bytes = self
            .0
            .get(&object.key)
            .cloned()
            .ok_or_else(|| DataError::Missing(object.key.clone()))?;
        let chunks: Vec<io::Result<bytes::Bytes>> = bytes
            .chunks(7)
            .map(|c| Ok(bytes::Bytes::copy_from_slice(c)))
            .collect();
        Ok(Box::pin(futures::stream::iter(chunks)))
    }
}

fn object(key: &str, size: usize) -> InputObject {
    InputObject {
        bucket: "b".into(),
        key: key.into(),
        size: size as u64,
        relative: key.into(),
        listed_blob: None,
        prefetched: None,
    }
}

fn channel(objects: &[(&str, Vec<u8>)]) -> (Arc<dyn ObjectSource>, PipeChannel) {
    let source = Memory(
        objects
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    );
    let ch = PipeChannel {
        name: "train".into(),
        objects: objects.iter().map(|(k, v)| object(k, v.len())).collect(),
        wrapper: RecordWrapper::None,
        compression: Compression::None,
        shuffle_seed: None,
        parts_per_item: 1,
    };
    (Arc::new(source), ch)
}

fn data_dir() -> (tempfile::TempDir, PipeDir) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = PipeDir::create(tmp.path(), &["opt_ml", "input", "data"]).unwrap();
    (tmp, dir)
}

fn fifo_path(tmp: &Path, name: &str) -> PathBuf {
    tmp.join("opt_ml/input/data").join(name)
}

/// Reads a FIFO to its end on a blocking thread, as an algorithm does.
async fn read_all(path: PathBuf) -> Vec<u8> {
    tokio::task::spawn_blocking(move || {
        let mut f = std::fs::File::open(&path).unwrap();
        let mut out = Vec::new();
        f.read_to_end(&mut out).unwrap();
        out
    })
    .await
    .unwrap()
}

async fn wait_exists(path: &Path) {
    for _ in 0..500 {
        if path.exists() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{} never appeared", path.display());
}

fn encode(data: &[u8]) -> Vec<u8> {
    let mut finder = CutFinder::default();
    for c in data.chunks(3) {
        finder.feed(c).unwrap();
    }
    let (len, cuts) = finder.finish().unwrap();
    let mut out = Vec::new();
    let mut enc = RecordEncoder::new(len, cuts, &mut out);
    for c in data.chunks(5) {
        enc.feed(c, &mut out).unwrap();
    }
    enc.finish(&mut out).unwrap();
    out
}

#[test]
fn recordio_frames_a_record_with_magic_length_and_padding() {
    let out = encode(b"hello");
    let mut want = RECORDIO_MAGIC.to_le_bytes().to_vec();
    want.extend_from_slice(&5u32.to_le_bytes());
    want.extend_from_slice(b"hello\0\0\0");
    assert_eq!(out, want);
    assert_eq!(
        encode(b""),
        [&RECORDIO_MAGIC.to_le_bytes()[..], &[0; 4]].concat()
    );
}

#[test]
fn recordio_splits_at_aligned_magic_and_decodes_back() {
    let m = RECORDIO_MAGIC.to_le_bytes();
    let cases: Vec<Vec<u8>> = vec![
        [&b"abcd"[..], &m, b"efg"].concat(),      // one aligned magic
        [&m[..], &m, b"x"].concat(),              // magic first, twice
        [&b"ab"[..], &m, b"cdef"].concat(),       // unaligned: not a cut
        [&b"abcd"[..], &m, b"efgh", &m].concat(), // magic last
    ];
    for data in cases {
        let framed = encode(&data);
        assert_eq!(framed.len() % 4, 0);
        assert_eq!(decode_recordio(&framed).unwrap(), vec![data.clone()]);
    }
    // The first case is three words: part 1 (cflag 1, "abcd"), part 2
    // (cflag 3, "efg").
    let framed = encode(&[&b"abcd"[..], &m, b"efg"].concat());
    assert_eq!(&framed[4..8], &((1u32 << 29) | 4).to_le_bytes());
    assert_eq!(&framed[16..20], &((3u32 << 29) | 3).to_le_bytes());
}

#[test]
fn shuffles_are_deterministic_per_seed_and_epoch() {
    assert_eq!(epoch_order(5, None, 3), vec![0, 1, 2, 3, 4]);
    let a0 = epoch_order(50, Some(7), 0);
    assert_eq!(a0, epoch_order(50, Some(7), 0));
    assert_ne!(a0, epoch_order(50, Some(7), 1));
    assert_ne!(a0, epoch_order(50, Some(8), 0));
    let mut sorted = a0.clone();
    sorted.sort();
    assert_eq!(sorted, (0..50).collect::<Vec<_>>());
}

#[tokio::test]
async fn epochs_stream_every_object_in_order_one_fifo_each() {
    let (tmp, dir) = data_dir();
    let (source, ch) = channel(&[("a", b"1,2\n".to_vec()), ("b", vec![b'x'; 200_000])]);
    prepare(&dir, std::slice::from_ref(&ch)).unwrap();
    assert!(fifo_path(tmp.path(), "train_0").exists());
    let feeders = start(source, dir, vec![ch], Start::Fresh, "job");
    let want = [&b"1,2\n"[..], &vec![b'x'; 200_000]].concat();
    assert_eq!(read_all(fifo_path(tmp.path(), "train_0")).await, want);
    wait_exists(&fifo_path(tmp.path(), "train_1")).await;
    assert_eq!(read_all(fifo_path(tmp.path(), "train_1")).await, want);
    drop(feeders);
}

#[tokio::test]
async fn gzip_and_recordio_and_shuffle_apply_per_object() {
    let (tmp, dir) = data_dir();
    let (source, mut ch) = channel(&[("a", gz(b"first")), ("b", gz(b"second!"))]);
    ch.compression = Compression::Gzip;
    ch.wrapper = RecordWrapper::RecordIo;
    prepare(&dir, std::slice::from_ref(&ch)).unwrap();
    let _feeders = start(source, dir, vec![ch], Start::Fresh, "job");
    let got = read_all(fifo_path(tmp.path(), "train_0")).await;
    assert_eq!(
        decode_recordio(&got).unwrap(),
        vec![b"first".to_vec(), b"second!".to_vec()]
    );

    let (tmp, dir) = data_dir();
    let objects: Vec<(String, Vec<u8>)> = (0..20)
        .map(|i| (format!("k{i:02}"), format!("{i}\n").into_bytes()))
        .collect();
    let refs: Vec<(&str, Vec<u8>)> = objects
        .iter()
        .map(|(k, v)| (k.as_str(), v.clone()))
        .collect();
    let (source, mut ch) = channel(&refs);
    ch.shuffle_seed = Some(42);
    prepare(&dir, std::slice::from_ref(&ch)).unwrap();
    let _feeders = start(source, dir, vec![ch], Start::Fresh, "job");
    let order = |bytes: Vec<u8>| -> Vec<String> {
        String::from_utf8(bytes)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    };
    let e0 = order(read_all(fifo_path(tmp.path(), "train_0")).await);
    wait_exists(&fifo_path(tmp.path(), "train_1")).await;
    let e1 = order(read_all(fifo_path(tmp.path(), "train_1")).await);
    let want = |epoch| -> Vec<String> {
        epoch_order(20, Some(42), epoch)
            .iter()
            .map(|i| i.to_string())
            .collect()
    };
    assert_eq!((e0, e1), (want(0), want(1)));
}

/// An augmented manifest's lines: each line's parts (a referenced,
/// gzipped object and an inline value, never gunzipped) go down as one
/// RecordIO record each, and a shuffle moves whole lines.
#[tokio::test]
async fn augmented_lines_stream_their_parts_together_as_records() {
    let manifest: String = (0..10)
        .map(|i| format!("{{\"source-ref\": \"s3://b/img{i}\", \"class\": {i}}}\n"))
        .collect();
    let attrs = vec!["source-ref".to_owned(), "class".to_owned()];
    let lines = augmented::parse(manifest.as_bytes(), "s3://b/m", &attrs).unwrap();
    let images: Vec<(String, Vec<u8>)> = (0..10)
        .map(|i| (format!("img{i}"), gz(format!("image-{i}").as_bytes())))
        .collect();
    let refs: Vec<(&str, Vec<u8>)> = images
        .iter()
        .map(|(k, v)| (k.as_str(), v.clone()))
        .collect();
    let (tmp, dir) = data_dir();
    let (source, mut ch) = channel(&refs);
    ch.objects = lines.into_iter().flatten().collect();
    ch.parts_per_item = 2;
    ch.compression = Compression::Gzip;
    ch.wrapper = RecordWrapper::RecordIo;
    ch.shuffle_seed = Some(7);
    prepare(&dir, std::slice::from_ref(&ch)).unwrap();
    let _feeders = start(source, dir, vec![ch], Start::Fresh, "job");
    let got = decode_recordio(&read_all(fifo_path(tmp.path(), "train_0")).await).unwrap();
    let want: Vec<Vec<u8>> = epoch_order(10, Some(7), 0)
        .into_iter()
        .flat_map(|i| {
            [
                format!("image-{i}").into_bytes(),
                i.to_string().into_bytes(),
            ]
        })
        .collect();
    assert_eq!(got, want);
    assert_ne!(epoch_order(10, Some(7), 0), (0..10).collect::<Vec<_>>());
}

#[tokio::test]
async fn a_reader_that_closes_early_gets_the_next_epoch() {
    let (tmp, dir) = data_dir();
    let (source, ch) = channel(&[("big", vec![7u8; 4 << 20])]);
    prepare(&dir, std::slice::from_ref(&ch)).unwrap();
    let _feeders = start(source, dir, vec![ch], Start::Fresh, "job");
    let first = fifo_path(tmp.path(), "train_0");
    tokio::task::spawn_blocking(move || {
        let mut f = std::fs::File::open(first).unwrap();
        let mut buf = [0u8; 10];
        f.read_exact(&mut buf).unwrap();
    })
    .await
    .unwrap();
    wait_exists(&fifo_path(tmp.path(), "train_1")).await;
    assert_eq!(
        read_all(fifo_path(tmp.path(), "train_1")).await.len(),
        4 << 20
    );
}

#[tokio::test]
async fn a_reader_that_never_opens_holds_nothing_once_stopped() {
    let (tmp, dir) = data_dir();
    let (source, ch) = channel(&[("a", b"data".to_vec())]);
    prepare(&dir, std::slice::from_ref(&ch)).unwrap();
    let feeders = start(source, dir, vec![ch], Start::Fresh, "job");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut tasks = feeders.tasks;
    tasks.abort_all();
    let ended = tokio::time::timeout(Duration::from_secs(2), async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
    assert!(ended.is_ok(), "the feeder did not end when stopped");
    // No writer is left: a non-blocking reader sees EOF at once.
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32)
        .open(fifo_path(tmp.path(), "train_0"))
        .unwrap();
    let mut buf = Vec::new();
    assert_eq!(f.read_to_end(&mut buf).unwrap(), 0);
}

use std::os::unix::fs::OpenOptionsExt;

#[tokio::test]
async fn a_link_planted_at_a_fifo_is_never_opened() {
    let (tmp, dir) = data_dir();
    let target = tmp.path().join("secret");
    std::fs::write(&target, b"keep").unwrap();
    std::os::unix::fs::symlink(&target, fifo_path(tmp.path(), "train_0")).unwrap();
    let (source, ch) = channel(&[("a", b"data".to_vec())]);
    let err = tokio::time::timeout(
        Duration::from_secs(2),
        feed(
            source.as_ref(),
            &dir,
            &ch,
            Start::Fresh,
            &watch::channel(None).0,
        ),
    )
    .await
    .expect("the feeder gave up at once")
    .unwrap_err();
    assert!(
        matches!(
            err,
            PipeError::NotFifo {
                found: "a symbolic link",
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(std::fs::read(&target).unwrap(), b"keep");

    // A regular file in its place is not written either.
    std::fs::remove_file(fifo_path(tmp.path(), "train_0")).unwrap();
    std::fs::write(fifo_path(tmp.path(), "train_0"), b"").unwrap();
    let err = feed(
        source.as_ref(),
        &dir,
        &ch,
        Start::Fresh,
        &watch::channel(None).0,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            err,
            PipeError::NotFifo {
                found: "a regular file",
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(
        std::fs::read(fifo_path(tmp.path(), "train_0")).unwrap(),
        b""
    );
}

#[tokio::test]
async fn a_replaced_data_directory_is_not_followed() {
    // The container swaps input/data for a link elsewhere: the feeder keeps
    // to the directory it opened (moved away, still the job's own).
    let (tmp, dir) = data_dir();
    let data = tmp.path().join("opt_ml/input/data");
    let elsewhere = tmp.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    std::fs::rename(&data, tmp.path().join("opt_ml/input/moved")).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &data).unwrap();
    dir.make_fifo("train_0").unwrap();
    assert!(tmp.path().join("opt_ml/input/moved/train_0").exists());
    assert!(!elsewhere.join("train_0").exists());
    // And a restart's open refuses the link.
    assert!(PipeDir::open(tmp.path(), &["opt_ml", "input", "data"]).is_err());
}

#[tokio::test]
async fn a_resumed_feeder_serves_the_last_fifo_or_the_next() {
    let (tmp, dir) = data_dir();
    let (source, ch) = channel(&[("a", b"abc".to_vec())]);
    dir.make_fifo("train_0").unwrap();
    dir.make_fifo("train_1").unwrap();
    assert_eq!(dir.last_epoch("train").unwrap(), Some(1));
    let _feeders = start(source.clone(), dir, vec![ch.clone()], Start::Resume, "job");
    // The container had finished _0 and _1 before the restart: it asks for _2.
    wait_exists(&fifo_path(tmp.path(), "train_2")).await;
    assert_eq!(read_all(fifo_path(tmp.path(), "train_2")).await, b"abc");
    wait_exists(&fifo_path(tmp.path(), "train_3")).await;

    // One that was still waiting for _1 gets _1.
    let (tmp, dir) = data_dir();
    dir.make_fifo("train_0").unwrap();
    dir.make_fifo("train_1").unwrap();
    let _feeders = start(source, dir, vec![ch], Start::Resume, "job");
    assert_eq!(read_all(fifo_path(tmp.path(), "train_1")).await, b"abc");
}

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// Reads a FIFO on a blocking thread until EOF; `done` says when it got it.
fn read_in_background(
    path: PathBuf,
) -> (
    Arc<std::sync::atomic::AtomicBool>,
    tokio::task::JoinHandle<Vec<u8>>,
) {
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = done.clone();
    let reader = tokio::task::spawn_blocking(move || {
        let mut f = std::fs::File::open(&path).unwrap();
        let mut out = Vec::new();
        let _ = f.read_to_end(&mut out);
        flag.store(true, std::sync::atomic::Ordering::SeqCst);
        out
    });
    (done, reader)
}

/// The first failure of `feeders`, within a few seconds.
async fn failure_of(feeders: &Feeders) -> StreamFailure {
    tokio::time::timeout(
        Duration::from_secs(5),
        first_failure(vec![feeders.failure()]),
    )
    .await
    .expect("a failure was reported")
    .1
}

#[tokio::test]
async fn a_corrupt_gzip_mid_stream_is_reported_and_the_reader_gets_no_eof() {
    let (tmp, dir) = data_dir();
    let good = gz(&vec![b'g'; 100_000]);
    // A valid header and the start of a deflate stream, then garbage.
    let mut corrupt = gz(&vec![b'c'; 100_000]);
    let half = corrupt.len() / 2;
    corrupt.truncate(half);
    corrupt.extend_from_slice(&[0xff; 64]);
    let (source, mut ch) = channel(&[("a-good.gz", good), ("b-bad.gz", corrupt)]);
    ch.compression = Compression::Gzip;
    prepare(&dir, std::slice::from_ref(&ch)).unwrap();
    let feeders = start(source, dir, vec![ch], Start::Fresh, "job");
    let (done, reader) = read_in_background(fifo_path(tmp.path(), "train_0"));
    let failure = failure_of(&feeders).await;
    assert_eq!(failure.channel, "train");
    assert_eq!(failure.object, "s3://b/b-bad.gz");
    assert!(
        failure.cause.starts_with("reading it failed: "),
        "{failure}"
    );
    assert_eq!(
        failure.to_string(),
        format!("channel 'train', object s3://b/b-bad.gz: {}", failure.cause)
    );
    // The reader has the good object and waits: no end of stream, no
    // next FIFO.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!done.load(std::sync::atomic::Ordering::SeqCst));
    assert!(!fifo_path(tmp.path(), "train_1").exists());
    // Stopping the feeders (the runner, once the container is stopped)
    // lets it go.
    drop(feeders);
    let got = tokio::time::timeout(Duration::from_secs(5), reader)
        .await
        .expect("the reader ended")
        .unwrap();
    assert!(got.starts_with(&vec![b'g'; 100_000]));
}

#[tokio::test]
async fn an_object_gone_before_it_is_read_is_reported_once_of_all_hosts() {
    let (tmp, dir) = data_dir();
    let (source, mut ch) = channel(&[("a", b"first\n".to_vec())]);
    // Listed, then deleted: the source no longer has it.
    ch.objects.push(object("gone", 10));
    prepare(&dir, std::slice::from_ref(&ch)).unwrap();
    let feeders = start(source.clone(), dir, vec![ch.clone()], Start::Fresh, "job");
    // Another host's feeders, healthy and never read.
    let (_tmp2, dir2) = data_dir();
    let (ok_source, ok) = channel(&[("a", b"x".to_vec())]);
    let other = start(ok_source, dir2, vec![ok], Start::Fresh, "job");
    let (_done, _reader) = read_in_background(fifo_path(tmp.path(), "train_0"));
    let (at, failure) = tokio::time::timeout(
        Duration::from_secs(5),
        first_failure(vec![other.failure(), feeders.failure()]),
    )
    .await
    .expect("reported");
    assert_eq!(at, 1, "the second watch failed");
    assert_eq!(
        (failure.object.as_str(), failure.cause.as_str()),
        ("s3://b/gone", "gone")
    );
    drop(feeders);
    // Feeders that are gone report nothing: waiting stays pending.
    let quiet = tokio::time::timeout(
        Duration::from_millis(200),
        first_failure(vec![other.failure()]),
    )
    .await;
    assert!(quiet.is_err());
}

/// Serves an object's bytes the first time and fewer the next (it changed
/// between RecordIO's two passes).
struct Shrinking(std::sync::atomic::AtomicUsize);

#[async_trait::async_trait]
impl ObjectSource for Shrinking {
    async fn open(&self, _object: &InputObject) -> Result<ByteStream, DataError> {
        let n = self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let len = if n == 0 { 100 } else { 50 };
        let chunk: io::Result<bytes::Bytes> = Ok(bytes::Bytes::from(vec![1u8; len]));
        Ok(Box::pin(futures::stream::iter([chunk])))
    }
}

#[tokio::test]
async fn a_record_that_cannot_be_framed_is_reported() {
    let (tmp, dir) = data_dir();
    let ch = PipeChannel {
        name: "train".into(),
        objects: vec![object("rec", 100)],
        wrapper: RecordWrapper::RecordIo,
        compression: Compression::None,
        shuffle_seed: None,
        parts_per_item: 1,
    };
    prepare(&dir, std::slice::from_ref(&ch)).unwrap();
    let source = Arc::new(Shrinking(Default::default()));
    let feeders = start(source, dir, vec![ch], Start::Fresh, "job");
    let (_done, _reader) = read_in_background(fifo_path(tmp.path(), "train_0"));
    let failure = failure_of(&feeders).await;
    assert_eq!(failure.object, "s3://b/rec");
    assert_eq!(
        failure.cause,
        "the object changed while it was being streamed"
    );
}
