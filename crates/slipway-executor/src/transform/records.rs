//! An object's body split, filtered and batched on a task of its own,
//! ahead of the invocations.

use super::Effective;
use bytes::Bytes;
use futures::{Stream, StreamExt};
use slipway_batch::batch::{BatchStrategy, Batcher, MiniBatch};
use slipway_batch::filters::DataProcessing;
use slipway_batch::split::{Record, Splitter};
use slipway_core::ports::blob::ByteStream;

/// Splits, filters and batches the body on a task of its own; mini-batches
/// come out of the first stream, and (when DataProcessing joins or filters)
/// each batch's original records out of the second, in the same order.
pub(super) fn batches(
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
