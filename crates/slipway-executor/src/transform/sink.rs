//! One object's output, streamed into the object store as the container
//! answers it.

use super::Failure;
use crate::transfer::{self, DataError, S3Uri};
use crate::JobData;
use bytes::Bytes;
use slipway_core::ports::blob::ByteStream;

/// Chunks of output waiting for the object store, per object.
const OUTPUT_QUEUE: usize = 4;

/// One object's output, streamed into the object store as the container
/// answers (no staging file, memory bounded by a short queue). The output
/// object appears only when `finish` succeeds: the stream the store reads
/// ends cleanly only on an explicit end mark, so a sink abandoned or
/// dropped for any reason (a failed input object, a stopped job) fails the
/// put and stores nothing.
pub(super) struct OutputSink {
    chunks: tokio::sync::mpsc::Sender<Piece>,
    put: tokio::task::JoinHandle<Result<(), DataError>>,
    dest: S3Uri,
}

enum Piece {
    Data(Bytes),
    End,
}

impl OutputSink {
    pub(super) fn open(data: &JobData, dest: S3Uri, content_type: String) -> Self {
        let (chunks, rx) = tokio::sync::mpsc::channel(OUTPUT_QUEUE);
        let body: ByteStream = Box::pin(futures::stream::unfold(Some(rx), |rx| async move {
            let mut rx = rx?;
            match rx.recv().await {
                Some(Piece::Data(b)) => Some((Ok(b), Some(rx))),
                Some(Piece::End) => None,
                None => Some((Err(std::io::Error::other("the output was abandoned")), None)),
            }
        }));
        let (data, to) = (data.clone(), dest.clone());
        let put = tokio::spawn(async move {
            transfer::upload_stream_checked(&data, body, &to, &content_type).await
        });
        Self { chunks, put, dest }
    }

    /// Appends one answer (and a newline after it when assembling lines).
    pub(super) async fn write(&mut self, body: Bytes, line: bool) -> Result<(), Failure> {
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
    pub(super) async fn finish(self) -> Result<(), Failure> {
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
    pub(super) async fn abandon(self) -> Option<Failure> {
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
