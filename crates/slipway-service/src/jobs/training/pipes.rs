//! The Pipe-mode channels of a training job's container: their objects
//! listed as File mode would download them, the executor's feeders
//! (`slipway_executor::pipe`) streaming them into `/opt/ml/input/data`, and
//! the job's failure when their data fails mid-stream.

use super::prepare::{self, WorkDir};
use super::spec::TrainingJobSpec;
use crate::Service;
use futures::future::BoxFuture;
use slipway_core::AccountId;
use slipway_executor::pipe::{self, AccountData, Feeders, PipeChannel, PipeDir, Start};
use slipway_executor::transfer::{DataError, InputObject};
use slipway_executor::Fatal;
use std::sync::Arc;

/// `/opt/ml/input/data` below the job's root.
const DATA_DIR: &[&str] = &["opt_ml", "input", "data"];

/// Host `host`'s (1-based) Pipe channels and their objects.
async fn channels(
    svc: &Service,
    account: &AccountId,
    req: &TrainingJobSpec,
    host: usize,
) -> Result<Vec<PipeChannel>, Fatal> {
    let data = svc.job_data();
    let mut out = Vec::new();
    for src in prepare::pipe_sources(req, host) {
        let failed = |e: DataError| Fatal(format!("ClientError: Data download failed: {e}"));
        // An augmented manifest's lines are the items (each of its parts);
        // a shard takes whole lines, as it takes whole objects.
        let items: Vec<Vec<InputObject>> = if src.augmented.is_empty() {
            pipe::list_objects(&data, account, &src.uri, src.manifest, &src.name)
                .await
                .map_err(failed)?
                .into_iter()
                .map(|o| vec![o])
                .collect()
        } else {
            pipe::augmented::read_lines(&data, account, &src.uri, &src.augmented)
                .await
                .map_err(failed)?
        };
        let items = match src.shard {
            Some(shard) => shard.of(&items),
            None => items,
        };
        out.push(PipeChannel {
            name: src.name,
            parts_per_item: src.augmented.len().max(1),
            objects: items.into_iter().flatten().collect(),
            wrapper: src.wrapper,
            compression: src.compression,
            shuffle_seed: src.shuffle_seed,
        });
    }
    Ok(out)
}

/// The job's failure once any host's Pipe-mode data fails mid-stream (an
/// object gone or unreadable, a corrupt gzip, a record RecordIO cannot
/// frame): the job fails, as on AWS, with a ClientError naming the channel
/// and the object, and the host when there are several (AWS's exact
/// wording is unverified). `None` without Pipe channels.
pub(super) fn failure(
    feeders: &[(usize, Feeders)],
    several_hosts: bool,
) -> Option<BoxFuture<'static, Fatal>> {
    if feeders.is_empty() {
        return None;
    }
    let hosts: Vec<usize> = feeders.iter().map(|(host, _)| *host).collect();
    let watches = feeders.iter().map(|(_, f)| f.failure()).collect();
    Some(Box::pin(async move {
        let (at, failure) = pipe::first_failure(watches).await;
        match hosts.get(at) {
            Some(host) if several_hosts => Fatal(format!(
                "ClientError: Data download failed: algo-{host}: {failure}"
            )),
            _ => Fatal(format!("ClientError: Data download failed: {failure}")),
        }
    }))
}

fn feeders(
    svc: &Service,
    account: &AccountId,
    dir: PipeDir,
    channels: Vec<PipeChannel>,
    from: Start,
    job: &str,
) -> Feeders {
    let source = Arc::new(AccountData {
        data: svc.job_data(),
        account: account.clone(),
    });
    pipe::start(source, dir, channels, from, job)
}

/// Before host `host`'s (1-based) container starts, in its tree `wd`: each
/// Pipe channel's `_0` FIFO, and its feeder waiting for a reader. `None`
/// when no channel is in Pipe mode.
pub(super) async fn start_fresh(
    svc: &Service,
    account: &AccountId,
    wd: &WorkDir,
    req: &TrainingJobSpec,
    host: usize,
    job: &str,
) -> Result<Option<Feeders>, Fatal> {
    let channels = channels(svc, account, req, host).await?;
    if channels.is_empty() {
        return Ok(None);
    }
    let fail = |e: pipe::PipeError| Fatal(format!("InternalServerError: preparing Pipe mode: {e}"));
    let dir = PipeDir::create(&wd.root, DATA_DIR).map_err(fail)?;
    pipe::prepare(&dir, &channels).map_err(fail)?;
    Ok(Some(feeders(
        svc,
        account,
        dir,
        channels,
        Start::Fresh,
        job,
    )))
}

/// A container re-attached after a restart: its Pipe channels are fed
/// again from the FIFO it waits for (the one the restart cut short ended
/// at the restart: its reader saw the end of the stream). If that cannot
/// be set up the reason is logged and the container gets no more data;
/// the job still ends (the container's own exit, MaxRuntime, a stop).
pub(super) async fn start_resumed(
    svc: &Service,
    account: &AccountId,
    wd: &WorkDir,
    req: &TrainingJobSpec,
    job: &str,
) -> Option<Feeders> {
    if prepare::pipe_sources(req, 1).is_empty() {
        return None;
    }
    let set_up = async {
        let channels = channels(svc, account, req, 1).await?;
        let dir = PipeDir::open(&wd.root, DATA_DIR)
            .map_err(|e| Fatal(format!("opening the Pipe-mode FIFOs' directory: {e}")))?;
        Ok::<_, Fatal>(feeders(svc, account, dir, channels, Start::Resume, job))
    };
    match set_up.await {
        Ok(f) => Some(f),
        Err(Fatal(reason)) => {
            tracing::warn!(%job, %reason, "Pipe-mode channels not fed after the restart");
            None
        }
    }
}
