//! Group commit for object writes. Every commit is fsync'd
//! (`synchronous=FULL`), and an fsync costs about a millisecond whatever it
//! carries: concurrent PutObjects (an upload storm, a transform job writing
//! hundreds of small outputs) would queue one fsync each behind the single
//! writer connection. Instead one task takes every put waiting at that
//! moment and commits them in one transaction, each in its own savepoint
//! so one put's failure does not undo the others. A put is answered only
//! after the commit that holds it, so acknowledged still means durable; a
//! lone put is committed at once, without waiting for company.

use crate::objects::{bucket_exists, insert_object, take_object};
use slipway_core::ports::metadata::MetaError;
use slipway_core::ports::objects::{Freed, ObjectRow};
use sqlx::{Acquire, Sqlite, SqlitePool, Transaction};
use tokio::sync::{mpsc, oneshot};

/// Most puts in one commit: bounds the transaction's size and the wait of
/// its first caller.
const MAX_GROUP: usize = 64;
/// Puts waiting for the committer; senders wait when it is full.
const QUEUE: usize = 1024;

struct PendingPut {
    object: ObjectRow,
    reply: oneshot::Sender<Result<Freed, MetaError>>,
}

/// The handle the store keeps; the committer task ends when it is dropped.
#[derive(Clone)]
pub(crate) struct PutCommitter {
    tx: mpsc::Sender<PendingPut>,
}

impl PutCommitter {
    pub(crate) fn start(writer: SqlitePool) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE);
        tokio::spawn(run(writer, rx));
        Self { tx }
    }

    pub(crate) async fn put(&self, object: &ObjectRow) -> Result<Freed, MetaError> {
        let (reply, answer) = oneshot::channel();
        let pending = PendingPut {
            object: object.clone(),
            reply,
        };
        let gone = || MetaError::Backend("the object-write committer has stopped".into());
        self.tx.send(pending).await.map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }
}

async fn run(writer: SqlitePool, mut rx: mpsc::Receiver<PendingPut>) {
    let mut group = Vec::with_capacity(MAX_GROUP);
    while rx.recv_many(&mut group, MAX_GROUP).await > 0 {
        match commit_group(&writer, &group).await {
            Ok(results) => {
                for (p, r) in group.drain(..).zip(results) {
                    let _ = p.reply.send(r);
                }
            }
            Err(e) => {
                let msg = e.to_string();
                for p in group.drain(..) {
                    let _ = p.reply.send(Err(MetaError::Backend(msg.clone())));
                }
            }
        }
    }
}

/// One transaction for the group; `Err` when it could not be committed
/// (then none of it was).
async fn commit_group(
    writer: &SqlitePool,
    group: &[PendingPut],
) -> Result<Vec<Result<Freed, MetaError>>, sqlx::Error> {
    let mut tx = writer.begin().await?;
    let mut results = Vec::with_capacity(group.len());
    for p in group {
        // A nested begin is a savepoint: dropped uncommitted, it rolls back
        // only this put.
        let mut sp = tx.begin().await?;
        match put_one(&mut sp, &p.object).await {
            Ok(freed) => {
                sp.commit().await?;
                results.push(Ok(freed));
            }
            Err(e) => {
                sp.rollback().await?;
                results.push(Err(e));
            }
        }
    }
    tx.commit().await?;
    Ok(results)
}

async fn put_one(tx: &mut Transaction<'_, Sqlite>, o: &ObjectRow) -> Result<Freed, MetaError> {
    if !bucket_exists(tx, &o.bucket).await? {
        return Err(MetaError::MissingParent(o.bucket.clone()));
    }
    let blobs = take_object(tx, &o.bucket, &o.key)
        .await?
        .unwrap_or_default();
    insert_object(tx, o).await?;
    Ok(Freed { blobs })
}
