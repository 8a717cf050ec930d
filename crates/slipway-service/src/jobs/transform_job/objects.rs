//! The data plane of a transform job: which objects are inputs, the
//! effective batching parameters, and each object's trip through the
//! container — read (gunzip), split, filter, batch, invoke in order,
//! join/filter outputs, assemble, and upload `<relative key>.out` only
//! once the whole object succeeded (docs/contracts.md §5.2–5.6).

use super::spec::TransformJobSpec;
use super::state::TransformJob;
use crate::jobs::transfer::{self, DataError, InputObject, S3Uri};
use crate::Service;
use bytes::Bytes;
use futures::{Stream, StreamExt};
use slipway_batch::batch::{BatchStrategy, Batcher, MiniBatch};
use slipway_batch::filters::DataProcessing;
use slipway_batch::invoke::{ExecutionParameters, FailureKind, InvokeError, Invoker};
use slipway_batch::split::{Record, SplitType, Splitter};
use slipway_core::ports::blob::ByteStream;
use slipway_core::AccountId;
use std::fmt;

const MB: u64 = 1024 * 1024;

/// Request > execution-parameters > default (docs/contracts.md §5.1 step 5).
#[derive(Debug, Clone, PartialEq)]
pub struct Effective {
    pub concurrency: usize,
    pub strategy: BatchStrategy,
    /// `None` = MaxPayloadInMB 0: no limit.
    pub max_payload: Option<u64>,
    pub split: SplitType,
    pub gzip: bool,
    pub assemble_lines: bool,
}

impl Effective {
    pub fn decide(req: &TransformJobSpec, exec: Option<&ExecutionParameters>) -> Self {
        let concurrency = req
            .max_concurrent_transforms
            .filter(|c| *c > 0)
            .map(|c| c as usize)
            .or_else(|| {
                exec.and_then(|e| e.max_concurrent_transforms)
                    .map(|c| c as usize)
            })
            .unwrap_or(1)
            .max(1);
        let strategy = req
            .batch_strategy
            .as_deref()
            .and_then(BatchStrategy::parse)
            .or_else(|| exec.and_then(|e| e.batch_strategy))
            .unwrap_or(BatchStrategy::MultiRecord);
        let mb = req
            .max_payload_in_mb
            .map(|m| m.max(0) as u64)
            .or_else(|| exec.and_then(|e| e.max_payload_in_mb))
            .unwrap_or(6);
        let input = &req.transform_input;
        Self {
            concurrency,
            strategy,
            max_payload: (mb > 0).then_some(mb * MB),
            split: input
                .split_type
                .as_deref()
                .and_then(SplitType::parse)
                .unwrap_or(SplitType::None),
            gzip: input.compression_type.as_deref() == Some("Gzip"),
            assemble_lines: req.transform_output.assemble_with.as_deref() == Some("Line"),
        }
    }
}

/// Why one input object produced no output.
#[derive(Debug)]
pub struct ObjectFailure {
    pub uri: String,
    pub detail: String,
    /// `ClientError` (bad input, payload too large) or `AlgorithmError`
    /// (the container failed an invocation).
    pub client_error: bool,
}

impl ObjectFailure {
    pub fn class(&self) -> &'static str {
        if self.client_error {
            "ClientError"
        } else {
            "AlgorithmError"
        }
    }
}

impl fmt::Display for ObjectFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.uri, self.detail)
    }
}

/// Every input object of the job, in key order.
pub async fn list_inputs(
    svc: &Service,
    account: &AccountId,
    req: &TransformJobSpec,
) -> Result<Vec<InputObject>, DataError> {
    let src = &req.transform_input.data_source.s3_data_source;
    let uri = S3Uri::parse(&src.s3_uri)
        .ok_or_else(|| DataError::Invalid(format!("{} is not an s3:// URI", src.s3_uri)))?;
    let objects = if src.s3_data_type == "ManifestFile" {
        transfer::list_manifest(&svc.job_data(), account, &uri).await?
    } else {
        transfer::list_prefix(&svc.job_data(), account, &uri).await?
    };
    if objects.is_empty() {
        return Err(DataError::Missing(format!(
            "no input objects found under {}",
            src.s3_uri
        )));
    }
    Ok(objects)
}

/// The output location, checked to be writable by the job's account.
/// `run_all` stores outputs there without a per-object bucket check.
pub async fn output_base(
    svc: &Service,
    account: &AccountId,
    req: &TransformJobSpec,
) -> Result<S3Uri, DataError> {
    let path = &req.transform_output.s3_output_path;
    let base = S3Uri::parse(path)
        .ok_or_else(|| DataError::Invalid(format!("S3OutputPath {path} is not an s3:// URI")))?;
    transfer::check_output_bucket(&svc.job_data(), account, &base).await?;
    Ok(base)
}

/// Runs every object; returns the failures (empty = all succeeded).
pub async fn run_all(
    svc: &Service,
    account: &AccountId,
    job: &TransformJob,
    invoker: &Invoker,
    eff: &Effective,
    inputs: Vec<InputObject>,
    out_base: S3Uri,
) -> Result<Vec<ObjectFailure>, crate::Error> {
    let req = &job.doc.spec;
    let dp = match &req.data_processing {
        Some(d) => Some(
            DataProcessing::new(
                d.input_filter.as_deref(),
                d.output_filter.as_deref(),
                d.join_source.as_deref() == Some("Input"),
                req.transform_input.content_type.as_deref(),
                req.transform_output.accept.as_deref(),
            )
            .map_err(|e| crate::Error::invalid("DataProcessing", e.to_string()))?,
        )
        .filter(|d| !d.is_identity()),
        None => None,
    };
    // Objects run side by side, more of them than requests may be in
    // flight, so reading inputs and storing outputs overlap the container's
    // work; the invoker's shared limit keeps the container at
    // MaxConcurrentTransforms whatever the mix. Each object's outputs stay
    // in record order.
    let parallel = (eff.concurrency * 4).clamp(1, 32);
    // Each future owns what it uses: borrowed captures inside a buffered
    // stream trip rustc's "Send is not general enough" when spawned.
    let accept = req
        .transform_output
        .accept
        .clone()
        .unwrap_or_else(|| "application/octet-stream".into());
    // Small inputs are fetched a batch at a time, one batch ahead of the
    // objects in flight (memory stays bounded by the batch).
    let prefetched = futures::stream::iter(inputs)
        .chunks(PREFETCH_BATCH)
        .then(|mut batch| {
            let svc = svc.clone();
            async move {
                transfer::prefetch_small(&svc.job_data(), &mut batch).await;
                futures::stream::iter(batch)
            }
        })
        .flatten();
    let results: Vec<Option<ObjectFailure>> = prefetched
        .map(|obj| {
            let (svc, account, invoker, eff) =
                (svc.clone(), account.clone(), invoker.clone(), eff.clone());
            let (dp, out_base, accept) = (dp.clone(), out_base.clone(), accept.clone());
            async move {
                let uri = format!("s3://{}/{}", obj.bucket, obj.key);
                let dest = out_base.join(&format!("{}.out", obj.relative));
                let mut sink = OutputSink::open(&svc, dest, accept);
                let result =
                    one_object(&svc, &account, &invoker, &eff, dp.as_ref(), &obj, &mut sink).await;
                let result = match result {
                    Ok(()) => sink.finish().await,
                    Err(f) => Err(sink.abandon().await.unwrap_or(f)),
                };
                result.err().map(|f| ObjectFailure {
                    uri,
                    detail: f.detail,
                    client_error: f.client_error,
                })
            }
        })
        .buffered(parallel)
        .collect()
        .await;
    let failures: Vec<ObjectFailure> = results.into_iter().flatten().collect();
    Ok(failures)
}

struct Failure {
    detail: String,
    client_error: bool,
}

impl Failure {
    fn client(detail: String) -> Self {
        Self {
            detail,
            client_error: true,
        }
    }

    fn algorithm(detail: String) -> Self {
        Self {
            detail,
            client_error: false,
        }
    }
}

impl From<InvokeError> for Failure {
    /// Input problems (a record over the payload limit, corrupt framing)
    /// are the seller's data: ClientError. Anything the container did is
    /// an AlgorithmError.
    fn from(e: InvokeError) -> Self {
        match e.kind {
            FailureKind::Input => Failure::client(e.to_string()),
            _ => Failure::algorithm(e.to_string()),
        }
    }
}

/// The object's body, gunzipped when the input is compressed.
async fn open(
    svc: &Service,
    account: &AccountId,
    obj: &InputObject,
    gzip: bool,
) -> Result<ByteStream, Failure> {
    let body = transfer::open_input(&svc.job_data(), account, obj)
        .await
        .map_err(|e| Failure::client(format!("reading the object failed: {e}")))?;
    if !gzip {
        return Ok(body);
    }
    let reader = tokio_util::io::StreamReader::new(body);
    let decoder =
        async_compression::tokio::bufread::GzipDecoder::new(tokio::io::BufReader::new(reader));
    Ok(Box::pin(tokio_util::io::ReaderStream::with_capacity(
        decoder,
        256 * 1024,
    )))
}

async fn one_object(
    svc: &Service,
    account: &AccountId,
    invoker: &Invoker,
    eff: &Effective,
    dp: Option<&DataProcessing>,
    obj: &InputObject,
    out: &mut OutputSink,
) -> Result<(), Failure> {
    let body = open(svc, account, obj, eff.gzip).await?;
    if eff.split == SplitType::None && eff.max_payload.is_none() && dp.is_none() {
        // MaxPayloadInMB 0: the whole object streamed in one request.
        let resp = invoker.invoke_stream(body).await?;
        return out.write(resp, eff.assemble_lines).await;
    }
    let (batches, originals) = batches(body, eff, dp);
    let mut originals = originals;
    let mut results = std::pin::pin!(invoker.invoke_all(batches));
    while let Some(item) = results.next().await {
        let (batch, resp) = item?;
        match dp {
            None => out.write(resp, eff.assemble_lines).await?,
            Some(dp) => {
                let inputs = originals.recv().await.unwrap_or_default();
                let outputs = dp.split_response(&resp, batch.count).map_err(|e| {
                    Failure::client(format!("{} (records {}–{})", e, batch.first, batch.last))
                })?;
                for (input, output) in inputs.iter().zip(outputs.iter()) {
                    let joined = dp
                        .join_and_filter_output(input, output)
                        .map_err(|e| Failure::client(e.to_string()))?;
                    out.write(joined, eff.assemble_lines).await?;
                }
            }
        }
    }
    Ok(())
}

/// Input objects whose small bodies are fetched in one lookup.
const PREFETCH_BATCH: usize = 64;

/// Chunks of output waiting for the object store, per object.
const OUTPUT_QUEUE: usize = 4;

/// One object's output, streamed into the object store as the container
/// answers (no staging file, memory bounded by a short queue). The output
/// object appears only when `finish` succeeds: the stream the store reads
/// ends cleanly only on an explicit end mark, so a sink abandoned or
/// dropped for any reason (a failed input object, a stopped job) fails the
/// put and stores nothing.
struct OutputSink {
    chunks: tokio::sync::mpsc::Sender<Piece>,
    put: tokio::task::JoinHandle<Result<(), DataError>>,
    dest: S3Uri,
}

enum Piece {
    Data(Bytes),
    End,
}

impl OutputSink {
    fn open(svc: &Service, dest: S3Uri, content_type: String) -> Self {
        let (chunks, rx) = tokio::sync::mpsc::channel(OUTPUT_QUEUE);
        let body: ByteStream = Box::pin(futures::stream::unfold(Some(rx), |rx| async move {
            let mut rx = rx?;
            match rx.recv().await {
                Some(Piece::Data(b)) => Some((Ok(b), Some(rx))),
                Some(Piece::End) => None,
                None => Some((Err(std::io::Error::other("the output was abandoned")), None)),
            }
        }));
        let (svc, to) = (svc.clone(), dest.clone());
        let put = tokio::spawn(async move {
            transfer::upload_stream_checked(&svc.job_data(), body, &to, &content_type).await
        });
        Self { chunks, put, dest }
    }

    /// Appends one answer (and a newline after it when assembling lines).
    async fn write(&mut self, body: Bytes, line: bool) -> Result<(), Failure> {
        let newline = line && !body.ends_with(b"\n");
        let closed = || {
            // The store ended the put early; `abandon` reports why.
            Failure::client(format!("uploading {} failed", self.dest))
        };
        if !body.is_empty() {
            self.chunks
                .send(Piece::Data(body))
                .await
                .map_err(|_| closed())?;
        }
        if newline {
            self.chunks
                .send(Piece::Data(Bytes::from_static(b"\n")))
                .await
                .map_err(|_| closed())?;
        }
        Ok(())
    }

    /// Ends the output: the object is stored (durably) when this returns Ok.
    async fn finish(self) -> Result<(), Failure> {
        let dest = self.dest;
        let ended = self.chunks.send(Piece::End).await.is_ok();
        drop(self.chunks);
        match self.put.await {
            Ok(Ok(())) if ended => Ok(()),
            Ok(Ok(())) => Err(Failure::client(format!("uploading {dest} failed"))),
            Ok(Err(e)) => Err(Failure::client(format!("uploading {dest} failed: {e}"))),
            Err(e) => Err(Failure::client(format!("uploading {dest} failed: {e}"))),
        }
    }

    /// Drops the output so nothing is stored; the store's own failure, if
    /// it had one first (e.g. the output bucket is missing).
    async fn abandon(self) -> Option<Failure> {
        let ended_first = self.chunks.is_closed();
        drop(self.chunks);
        let stored = self.put.await;
        if !ended_first {
            return None;
        }
        match stored {
            Ok(Err(e)) => Some(Failure::client(format!(
                "uploading {} failed: {e}",
                self.dest
            ))),
            _ => None,
        }
    }
}

/// Splits, filters and batches the body on a task of its own; mini-batches
/// come out of the first stream, and (when DataProcessing joins or filters)
/// each batch's original records out of the second, in the same order.
fn batches(
    body: ByteStream,
    eff: &Effective,
    dp: Option<&DataProcessing>,
) -> (
    impl Stream<Item = Result<MiniBatch, String>> + Send + 'static,
    tokio::sync::mpsc::Receiver<Vec<Bytes>>,
) {
    let (tx, rx) = tokio::sync::mpsc::channel(eff.concurrency + 1);
    let (otx, orx) = tokio::sync::mpsc::channel(eff.concurrency + 2);
    let strip = eff.strategy == BatchStrategy::SingleRecord;
    let splitter = Splitter::new(eff.split, strip);
    let batcher = Batcher::new(eff.strategy, eff.max_payload);
    tokio::spawn(produce(body, splitter, batcher, dp.cloned(), tx, otx));
    (tokio_stream::wrappers::ReceiverStream::new(rx), orx)
}

type BatchTx = tokio::sync::mpsc::Sender<Result<MiniBatch, String>>;
type OriginalsTx = tokio::sync::mpsc::Sender<Vec<Bytes>>;

async fn produce(
    mut body: ByteStream,
    splitter: Splitter,
    mut batcher: Batcher,
    dp: Option<DataProcessing>,
    tx: BatchTx,
    otx: OriginalsTx,
) {
    // Unfiltered records awaiting their batch, by record index.
    let mut originals: std::collections::VecDeque<Record> = std::collections::VecDeque::new();
    let mut splitter = Some(splitter);
    loop {
        let records = match body.next().await {
            Some(Ok(chunk)) => match splitter.as_mut() {
                Some(s) => s.push(&chunk),
                None => Ok(Vec::new()),
            },
            Some(Err(e)) => {
                let _ = tx
                    .send(Err(format!("reading the object failed: {e}")))
                    .await;
                return;
            }
            None => match splitter.take() {
                Some(s) => s.finish(),
                None => Ok(Vec::new()),
            },
        };
        let done = splitter.is_none();
        let records = match records {
            Ok(r) => r,
            Err(e) => {
                let _ = tx.send(Err(e.to_string())).await;
                return;
            }
        };
        for record in records {
            let record = match &dp {
                Some(dp) => match dp.filter_input(&record.data) {
                    Ok(filtered) => {
                        let index = record.index;
                        originals.push_back(record);
                        Record {
                            index,
                            data: filtered,
                        }
                    }
                    Err(e) => {
                        let msg = format!("record {}: {e}", record.index + 1);
                        let _ = tx.send(Err(msg)).await;
                        return;
                    }
                },
                None => record,
            };
            match batcher.push(record) {
                Ok(Some(batch)) => {
                    if !emit(batch, &mut originals, dp.is_some(), &tx, &otx).await {
                        return;
                    }
                }
                Ok(None) => {}
                Err(e) => {
                    let _ = tx.send(Err(e.to_string())).await;
                    return;
                }
            }
        }
        if done {
            if let Some(batch) = batcher.finish() {
                emit(batch, &mut originals, dp.is_some(), &tx, &otx).await;
            }
            return;
        }
    }
}

/// Sends a batch (and, when joining, its original records first, so the
/// consumer always finds them). False once the consumer is gone.
async fn emit(
    batch: MiniBatch,
    originals: &mut std::collections::VecDeque<Record>,
    joining: bool,
    tx: &BatchTx,
    otx: &OriginalsTx,
) -> bool {
    if joining {
        let mut mine = Vec::with_capacity(batch.count);
        while originals.front().is_some_and(|r| r.index <= batch.last) {
            if let Some(r) = originals.pop_front() {
                mine.push(r.data);
            }
        }
        if otx.send(mine).await.is_err() {
            return false;
        }
    }
    tx.send(Ok(batch)).await.is_ok()
}
