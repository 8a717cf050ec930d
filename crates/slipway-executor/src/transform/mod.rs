//! The data plane of a transform job: which objects are inputs, the
//! effective batching parameters, and each object's trip through the
//! container — read (gunzip), split, filter, batch, invoke in order,
//! join/filter outputs, assemble, and upload `<relative key>.out` only
//! once the whole object succeeded (docs/contracts.md §5.2–5.6). It reads
//! and writes objects only; the control plane records how the job went.

mod records;
mod sink;

use crate::logship::{excerpt, Tail};
use crate::transfer::{self, DataError, InputObject, S3Uri};
use crate::{Fatal, JobData};
use futures::StreamExt;
use sink::OutputSink;
use slipway_batch::batch::BatchStrategy;
use slipway_batch::filters::{DataProcessing, FilterError};
use slipway_batch::invoke::{ExecutionParameters, FailureKind, InvokeError, Invoker};
use slipway_batch::split::SplitType;
use slipway_core::ports::blob::ByteStream;
use slipway_core::spec::transform::TransformJobSpec;
use slipway_core::AccountId;
use std::fmt;

const MB: u64 = 1024 * 1024;

/// Input objects whose small bodies are fetched in one lookup.
const PREFETCH_BATCH: usize = 64;

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
    /// The instance that ran the object, named when a job runs several
    /// (the caller sets it: this crate knows one container at a time).
    pub instance: Option<String>,
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
        match &self.instance {
            Some(instance) => write!(f, "{} on instance {instance}: {}", self.uri, self.detail),
            None => write!(f, "{}: {}", self.uri, self.detail),
        }
    }
}

/// The FailureReason of a run in which `failures` of `total` input objects
/// failed, classed by the first failure and quoting the container's last
/// lines; `None` when every object succeeded.
pub fn failure_reason(failures: &[ObjectFailure], total: usize, tail: &Tail) -> Option<Fatal> {
    let first = failures.first()?;
    let container_said = excerpt(tail, 3);
    let mut reason = format!(
        "{}: {} of {total} input objects failed; first: {}",
        first.class(),
        failures.len(),
        first
    );
    if !container_said.is_empty() {
        reason.push_str(&format!("; the container printed: {container_said}"));
    }
    Some(Fatal(reason))
}

/// Every input object of the job, in key order.
pub async fn list_inputs(
    data: &JobData,
    account: &AccountId,
    req: &TransformJobSpec,
) -> Result<Vec<InputObject>, DataError> {
    let src = &req.transform_input.data_source.s3_data_source;
    let uri = S3Uri::parse(&src.s3_uri)
        .ok_or_else(|| DataError::Invalid(format!("{} is not an s3:// URI", src.s3_uri)))?;
    let objects = if src.s3_data_type == "ManifestFile" {
        transfer::list_manifest(data, account, &uri).await?
    } else {
        transfer::list_prefix(data, account, &uri).await?
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
    data: &JobData,
    account: &AccountId,
    req: &TransformJobSpec,
) -> Result<S3Uri, DataError> {
    let path = &req.transform_output.s3_output_path;
    let base = S3Uri::parse(path)
        .ok_or_else(|| DataError::Invalid(format!("S3OutputPath {path} is not an s3:// URI")))?;
    transfer::check_output_bucket(data, account, &base).await?;
    Ok(base)
}

/// Runs every object; returns the failures (empty = all succeeded). An
/// `Err` is a DataProcessing the job cannot run at all.
pub async fn run_all(
    data: &JobData,
    account: &AccountId,
    req: &TransformJobSpec,
    invoker: &Invoker,
    eff: &Effective,
    inputs: Vec<InputObject>,
    out_base: S3Uri,
) -> Result<Vec<ObjectFailure>, FilterError> {
    let dp = match &req.data_processing {
        Some(d) => Some(DataProcessing::new(
            d.input_filter.as_deref(),
            d.output_filter.as_deref(),
            d.join_source.as_deref() == Some("Input"),
            req.transform_input.content_type.as_deref(),
            req.transform_output.accept.as_deref(),
        )?)
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
            let data = data.clone();
            async move {
                transfer::prefetch_small(&data, &mut batch).await;
                futures::stream::iter(batch)
            }
        })
        .flatten();
    let results: Vec<Option<ObjectFailure>> = prefetched
        .map(|obj| {
            let (data, account, invoker, eff) =
                (data.clone(), account.clone(), invoker.clone(), eff.clone());
            let (dp, out_base, accept) = (dp.clone(), out_base.clone(), accept.clone());
            async move {
                let uri = format!("s3://{}/{}", obj.bucket, obj.key);
                let dest = out_base.join(&format!("{}.out", obj.relative));
                let mut sink = OutputSink::open(&data, dest, accept);
                let result = one_object(
                    &data,
                    &account,
                    &invoker,
                    &eff,
                    dp.as_ref(),
                    &obj,
                    &mut sink,
                )
                .await;
                let result = match result {
                    Ok(()) => sink.finish().await,
                    Err(f) => Err(sink.abandon().await.unwrap_or(f)),
                };
                result.err().map(|f| ObjectFailure {
                    uri,
                    detail: f.detail,
                    client_error: f.client_error,
                    instance: None,
                })
            }
        })
        .buffered(parallel)
        .collect()
        .await;
    let failures: Vec<ObjectFailure> = results.into_iter().flatten().collect();
    Ok(failures)
}

/// Why one object failed, before it is named.
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
    data: &JobData,
    account: &AccountId,
    obj: &InputObject,
    gzip: bool,
) -> Result<ByteStream, Failure> {
    let body = transfer::open_input(data, account, obj)
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
    data: &JobData,
    account: &AccountId,
    invoker: &Invoker,
    eff: &Effective,
    dp: Option<&DataProcessing>,
    obj: &InputObject,
    out: &mut OutputSink,
) -> Result<(), Failure> {
    let body = open(data, account, obj, eff.gzip).await?;
    if eff.split == SplitType::None && eff.max_payload.is_none() && dp.is_none() {
        // MaxPayloadInMB 0: the whole object streamed in one request.
        let resp = invoker.invoke_stream(body).await?;
        return out.write(resp, eff.assemble_lines).await;
    }
    let (batches, originals) = records::batches(body, eff, dp);
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

#[cfg(test)]
mod tests;
