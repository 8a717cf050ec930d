//! Pipe input mode (docs/contracts.md §3.3): a channel's data reaches the
//! container through FIFOs `/opt/ml/input/data/<channel>_<epoch>`, one per
//! pass the algorithm makes. `_0` exists before the container starts; the
//! stream is every object of the channel in order (shuffled per epoch with
//! `ShuffleConfig`), gunzipped and RecordIO-wrapped as the channel says;
//! when the reader has read it all or closed early, the next FIFO is made
//! and fed, and so on until the container ends.
//!
//! The runner of a job calls this per container (per host): [`prepare`]
//! the first FIFOs before the container starts, [`start`] the feeders
//! once it runs (or after a restart, from the next epoch), and drops the
//! [`Feeders`] when the container has ended or the job stops.
//!
//! A container is hostile (`fifo.rs` says how its FIFOs are opened). One
//! feeder task per channel; it writes through a non-blocking pipe with the
//! kernel's buffer as the only backlog, so a container that stops reading
//! parks only its own task, one that never opens a FIFO costs a timer, and
//! one that goes away mid-write (EPIPE) just ends the epoch.
//!
//! The data failing in the middle of a stream (an object gone or
//! unreadable, a corrupt gzip, a record RecordIO cannot frame) is the
//! job's failure, as on AWS: the feeder reports a [`StreamFailure`]
//! ([`Feeders::failure`]) and keeps the FIFO open without writing, so the
//! reader never sees an end of stream that would pass a short stream for
//! the whole channel; the runner stops the container.

pub mod augmented;
mod fifo;
pub mod records;
#[cfg(test)]
mod tests;

pub use fifo::{fifo_name, PipeDir};

use crate::transfer::{self, DataError, InputObject};
use crate::JobData;
use futures::StreamExt;
use records::{CutFinder, RecordEncoder};
use slipway_core::ports::blob::ByteStream;
use slipway_core::AccountId;
use std::io;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::unix::pipe::Sender;
use tokio::sync::watch;
use tokio::task::JoinSet;

/// `RecordWrapperType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordWrapper {
    None,
    RecordIo,
}

/// `CompressionType` (in Pipe mode the platform decompresses).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
}

/// One Pipe-mode channel of one container: its objects (the ones File
/// mode would download for this host) and how they are streamed.
#[derive(Debug, Clone)]
pub struct PipeChannel {
    pub name: String,
    pub objects: Vec<InputObject>,
    pub wrapper: RecordWrapper,
    pub compression: Compression,
    /// `ShuffleConfig.Seed`.
    pub shuffle_seed: Option<i64>,
    /// Consecutive objects that make one item, shuffled together: 1, or
    /// the attributes per line of an augmented manifest (each line's
    /// parts stay together and in order).
    pub parts_per_item: usize,
}

/// Why a channel's feeding ended early.
#[derive(Debug, thiserror::Error)]
pub enum PipeError {
    #[error("{what}: {source}")]
    Io { what: String, source: io::Error },
    #[error(
        "{path} is {found}, not a FIFO; the channel is no longer fed (links are never followed)"
    )]
    NotFifo { path: String, found: &'static str },
    #[error(transparent)]
    Data(#[from] DataError),
    /// A RecordIO wrapping that cannot be made.
    #[error("{0}")]
    Record(String),
    /// The data of one object failed mid-stream: the job fails for it.
    #[error(transparent)]
    Stream(#[from] StreamFailure),
}

/// A channel's data that failed in the middle of its stream: which channel,
/// which object and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("channel '{channel}', object {object}: {cause}")]
pub struct StreamFailure {
    pub channel: String,
    /// `s3://bucket/key`.
    pub object: String,
    pub cause: String,
}

impl StreamFailure {
    fn new(channel: &str, object: &InputObject, cause: String) -> Self {
        let uri = format!("s3://{}/{}", object.bucket, object.key);
        // "s3://b/k does not exist" → "the object does not exist": the
        // object is named once.
        let cause = match cause.strip_prefix(uri.as_str()) {
            Some(rest) => format!("the object{rest}"),
            None => cause,
        };
        Self {
            channel: channel.to_owned(),
            object: uri,
            cause,
        }
    }
}

/// Where a feeder reads objects from: the object store as the job's
/// account (tests give bytes of their own).
#[async_trait::async_trait]
pub trait ObjectSource: Send + Sync + 'static {
    async fn open(&self, object: &InputObject) -> Result<ByteStream, DataError>;
}

/// The job's data as its account sees it.
pub struct AccountData {
    pub data: JobData,
    pub account: AccountId,
}

#[async_trait::async_trait]
impl ObjectSource for AccountData {
    async fn open(&self, object: &InputObject) -> Result<ByteStream, DataError> {
        transfer::open_input(&self.data, &self.account, object).await
    }
}

/// Where feeding starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// A new container: epoch 0 (made by [`prepare`]).
    Fresh,
    /// A container re-attached after a restart: it may be waiting for the
    /// last FIFO made (never fed, or cut short by the restart) or about
    /// to ask for the next; both are offered, and the one opened first is
    /// fed.
    Resume,
}

/// Makes each channel's `_0` FIFO: before the container starts, as on AWS.
pub fn prepare(dir: &PipeDir, channels: &[PipeChannel]) -> Result<(), PipeError> {
    for ch in channels {
        dir.make_fifo(&fifo_name(&ch.name, 0))?;
    }
    Ok(())
}

/// The running feeders of one container; dropping it stops them all (and
/// closes their FIFOs' write ends).
pub struct Feeders {
    tasks: JoinSet<()>,
    failed: Arc<watch::Sender<Option<StreamFailure>>>,
}

impl Feeders {
    /// Waits for every feeder to end (tests).
    pub async fn join(mut self) {
        while self.tasks.join_next().await.is_some() {}
    }

    /// The first data failure of any of these channels, once there is one
    /// (see [`first_failure`]).
    pub fn failure(&self) -> watch::Receiver<Option<StreamFailure>> {
        self.failed.subscribe()
    }
}

/// The first data failure among `watches` (the feeders of every host),
/// with the index of the watch it came from: pending for as long as there is none.
pub async fn first_failure(
    watches: Vec<watch::Receiver<Option<StreamFailure>>>,
) -> (usize, StreamFailure) {
    let waits = watches.into_iter().enumerate().map(|(i, mut rx)| {
        Box::pin(async move {
            match rx.wait_for(Option::is_some).await {
                Ok(failure) => failure.clone().map(|f| (i, f)),
                // Its feeders are gone: no failure will come from them.
                Err(_) => None,
            }
        })
    });
    let mut pending: Vec<_> = waits.collect();
    while !pending.is_empty() {
        let (found, _, rest) = futures::future::select_all(pending).await;
        if let Some(failure) = found {
            return failure;
        }
        pending = rest;
    }
    std::future::pending().await
}

/// Starts one feeder per channel. Each runs until its container's
/// [`Feeders`] is dropped or it meets an error (logged with `job`).
pub fn start(
    source: Arc<dyn ObjectSource>,
    dir: PipeDir,
    channels: Vec<PipeChannel>,
    from: Start,
    job: &str,
) -> Feeders {
    let dir = Arc::new(dir);
    let failed = Arc::new(watch::channel(None).0);
    let mut tasks = JoinSet::new();
    for ch in channels {
        let (source, dir, job) = (source.clone(), dir.clone(), job.to_owned());
        let failed = failed.clone();
        tasks.spawn(async move {
            let name = ch.name.clone();
            match feed(source.as_ref(), &dir, &ch, from, &failed).await {
                Ok(()) => {}
                Err(e) => {
                    tracing::warn!(%job, channel = %name, error = %e, "Pipe-mode channel no longer fed");
                }
            }
        });
    }
    Feeders { tasks, failed }
}

/// Epoch after epoch, until stopped (or an error). A data failure is
/// reported on `failed`, and the FIFO is then held open, unwritten, until
/// the feeder is stopped.
async fn feed(
    source: &dyn ObjectSource,
    dir: &PipeDir,
    ch: &PipeChannel,
    from: Start,
    failed: &watch::Sender<Option<StreamFailure>>,
) -> Result<(), PipeError> {
    let mut offered = match from {
        Start::Fresh => vec![0],
        Start::Resume => {
            let last = dir.last_epoch(&ch.name)?.unwrap_or(0);
            vec![last, last + 1]
        }
    };
    loop {
        for &epoch in &offered {
            dir.make_fifo(&fifo_name(&ch.name, epoch))?;
        }
        let (epoch, fd) = wait_for_reader(dir, &ch.name, &offered).await?;
        let mut pipe = Sender::from_owned_fd(fd).map_err(|source| PipeError::Io {
            what: format!("the FIFO {}", fifo_name(&ch.name, epoch)),
            source,
        })?;
        match feed_epoch(source, ch, epoch, &mut pipe).await {
            Ok(()) => {}
            // The reader closed early (or went away): the pass is over.
            Err(PipeError::Io { source, .. }) if source.kind() == io::ErrorKind::BrokenPipe => {}
            Err(PipeError::Stream(failure)) => {
                failed.send_if_modified(|first| {
                    let new = first.is_none();
                    if new {
                        *first = Some(failure);
                    }
                    new
                });
                // No EOF: the reader waits (`pipe` stays open) until the
                // runner stops its container and drops the feeders.
                return std::future::pending::<Result<(), PipeError>>().await;
            }
            Err(e) => return Err(e),
        }
        drop(pipe); // EOF for the reader
        offered = vec![epoch + 1];
    }
}

/// Polls the offered FIFOs until one has a reader. Linux has no event for
/// "a reader opened this FIFO" that a writer can wait on without opening
/// it blocking (a thread per FIFO); a short poll with back-off costs
/// nothing measurable and never blocks.
async fn wait_for_reader(
    dir: &PipeDir,
    channel: &str,
    offered: &[u64],
) -> Result<(u64, std::os::fd::OwnedFd), PipeError> {
    let mut delay = Duration::from_millis(2);
    loop {
        for &epoch in offered {
            if let Some(fd) = dir.open_writer(&fifo_name(channel, epoch))? {
                return Ok((epoch, fd));
            }
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_millis(100));
    }
}

async fn feed_epoch(
    source: &dyn ObjectSource,
    ch: &PipeChannel,
    epoch: u64,
    pipe: &mut Sender,
) -> Result<(), PipeError> {
    let per_item = ch.parts_per_item.max(1);
    let items: Vec<&[InputObject]> = ch.objects.chunks(per_item).collect();
    for i in records::epoch_order(items.len(), ch.shuffle_seed, epoch) {
        for object in items[i] {
            let failed = |e: PipeError| match e {
                PipeError::Data(e) => StreamFailure::new(&ch.name, object, e.to_string()).into(),
                PipeError::Record(why) => StreamFailure::new(&ch.name, object, why).into(),
                other => other,
            };
            feed_object(source, object, ch, pipe)
                .await
                .map_err(failed)?;
        }
    }
    pipe.flush().await.map_err(write_err)?;
    Ok(())
}

fn write_err(source: io::Error) -> PipeError {
    PipeError::Io {
        what: "writing the FIFO".into(),
        source,
    }
}

/// Reading (or gunzipping) an object failed; [`feed_epoch`] names it.
fn read_err(e: io::Error) -> PipeError {
    PipeError::Data(DataError::Invalid(format!("reading it failed: {e}")))
}

/// Read buffer for decompressed data and RecordIO passes.
const CHUNK: usize = 256 * 1024;

async fn feed_object(
    source: &dyn ObjectSource,
    object: &InputObject,
    ch: &PipeChannel,
    pipe: &mut Sender,
) -> Result<(), PipeError> {
    // A value of an augmented manifest's line is text, never compressed.
    let compression = if augmented::is_inline(object) {
        Compression::None
    } else {
        ch.compression
    };
    if ch.wrapper == RecordWrapper::None && compression == Compression::None {
        // The stored chunks as they come: no copy.
        let mut body = source.open(object).await?;
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(read_err)?;
            pipe.write_all(&chunk).await.map_err(write_err)?;
        }
        return Ok(());
    }
    let mut buf = vec![0u8; CHUNK];
    let mut out = Vec::with_capacity(CHUNK + 16);
    let mut encoder = match ch.wrapper {
        RecordWrapper::None => None,
        RecordWrapper::RecordIo => {
            let mut finder = CutFinder::default();
            let mut reader = open_decoded(source, object, compression).await?;
            loop {
                let n = reader.read(&mut buf).await.map_err(read_err)?;
                if n == 0 {
                    break;
                }
                finder.feed(&buf[..n])?;
            }
            let (len, cuts) = finder.finish()?;
            Some(RecordEncoder::new(len, cuts, &mut out))
        }
    };
    let mut reader = open_decoded(source, object, compression).await?;
    loop {
        let n = reader.read(&mut buf).await.map_err(read_err)?;
        if n == 0 {
            break;
        }
        match &mut encoder {
            Some(enc) => enc.feed(&buf[..n], &mut out)?,
            None => out.extend_from_slice(&buf[..n]),
        }
        pipe.write_all(&out).await.map_err(write_err)?;
        out.clear();
    }
    if let Some(enc) = encoder {
        enc.finish(&mut out)?;
    }
    pipe.write_all(&out).await.map_err(write_err)?;
    Ok(())
}

/// An object's bytes, gunzipped when the channel says Gzip (every gzip
/// member of it: `cat a.gz b.gz` is a valid gzip file).
async fn open_decoded(
    source: &dyn ObjectSource,
    object: &InputObject,
    compression: Compression,
) -> Result<Box<dyn AsyncRead + Send + Unpin>, PipeError> {
    let body = source.open(object).await?;
    let reader = tokio_util::io::StreamReader::new(body);
    Ok(match compression {
        Compression::None => Box::new(reader),
        Compression::Gzip => {
            let mut gz = async_compression::tokio::bufread::GzipDecoder::new(
                tokio::io::BufReader::with_capacity(CHUNK, reader),
            );
            gz.multiple_members(true);
            Box::new(gz)
        }
    })
}

/// The objects of one channel source, as File mode would download them
/// (a prefix matching nothing fails, as on AWS).
pub async fn list_objects(
    data: &JobData,
    account: &AccountId,
    uri: &str,
    manifest: bool,
    channel: &str,
) -> Result<Vec<InputObject>, DataError> {
    let parsed = transfer::S3Uri::parse(uri)
        .ok_or_else(|| DataError::Invalid(format!("{uri} is not an s3:// URI")))?;
    let objects = if manifest {
        transfer::list_manifest(data, account, &parsed).await?
    } else {
        transfer::list_prefix(data, account, &parsed).await?
    };
    if objects.is_empty() {
        return Err(DataError::Missing(format!(
            "no objects found under {uri} for channel '{channel}'"
        )));
    }
    Ok(objects)
}
