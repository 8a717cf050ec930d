//! Group commit for object writes. Every commit is fsync'd
//! (`synchronous=FULL`), and an fsync costs about a millisecond whatever it
//! carries: concurrent PutObjects (an upload storm, a transform job writing
//! hundreds of small outputs) would queue one fsync each behind the single
//! writer connection. Instead one task takes every put waiting at that
//! moment and commits them in one transaction; a put into a missing bucket
//! fails alone without undoing the others. A put is answered only
//! after the commit that holds it, so acknowledged still means durable; a
//! lone put is committed at once, without waiting for company.

use crate::error::{to_i64, to_json, StoreError};
use crate::rows::objects::{segment_blobs, OBJECTS};
use slipway_core::ports::blob::BlobKey;
use slipway_core::ports::metadata::MetaError;
use slipway_core::ports::objects::{Freed, ObjectRow};
use sqlx::{QueryBuilder, Sqlite, SqlitePool, Transaction};
use std::collections::{HashMap, HashSet};
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

/// One transaction for the group, in a fixed number of statements
/// whatever its size (each statement is a round trip to SQLite's worker
/// thread, and those hand-offs, not SQLite, were the cost of a small put):
/// the group's buckets are looked up at once (the writer connection is the
/// only writer, so the answer holds until the commit), a put into a missing
/// bucket fails alone, and the others replace their keys with one DELETE
/// and one INSERT. `Err` when the transaction could not be committed (then
/// none of it was).
async fn commit_group(
    writer: &SqlitePool,
    group: &[PendingPut],
) -> Result<Vec<Result<Freed, MetaError>>, StoreError> {
    let mut tx = writer.begin_with(crate::IMMEDIATE).await?;
    let buckets = existing_buckets(&mut tx, group).await?;
    // The last put of a key in the group is the one that stays; earlier
    // ones are acknowledged and overwritten in the same commit.
    let mut winner: HashMap<(&str, &str), usize> = HashMap::new();
    let mut results: Vec<Result<Freed, MetaError>> = Vec::with_capacity(group.len());
    for (i, p) in group.iter().enumerate() {
        let o = &p.object;
        if buckets.contains(o.bucket.as_str()) {
            winner.insert((o.bucket.as_str(), o.key.as_str()), i);
            results.push(Ok(Freed::default()));
        } else {
            results.push(Err(MetaError::MissingParent(o.bucket.clone())));
        }
    }
    if winner.is_empty() {
        tx.commit().await?;
        return Ok(results);
    }
    let mut winners: Vec<usize> = winner.values().copied().collect();
    winners.sort_unstable();
    // Blobs of the versions being replaced, and of overwritten earlier
    // puts in this group, are freed by the put that replaced them.
    for (i, p) in group.iter().enumerate() {
        let o = &p.object;
        let Some(&w) = winner.get(&(o.bucket.as_str(), o.key.as_str())) else {
            continue;
        };
        if w != i {
            if let Some(Ok(freed)) = results.get_mut(w) {
                freed
                    .blobs
                    .extend(o.segments.iter().map(|s| s.blob.clone()));
            }
        }
    }
    for (bucket, key, blobs) in delete_keys(&mut tx, group, &winners).await? {
        if let Some(Ok(freed)) = winner
            .get(&(bucket.as_str(), key.as_str()))
            .and_then(|w| results.get_mut(*w))
        {
            freed.blobs.extend(blobs);
        }
    }
    insert_rows(&mut tx, group, &winners).await?;
    tx.commit().await?;
    Ok(results)
}

/// Which of the group's buckets exist.
async fn existing_buckets<'g>(
    tx: &mut Transaction<'_, Sqlite>,
    group: &'g [PendingPut],
) -> Result<HashSet<&'g str>, StoreError> {
    let mut names: Vec<&str> = group.iter().map(|p| p.object.bucket.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    let mut q = QueryBuilder::<Sqlite>::new("SELECT name FROM buckets WHERE name IN (");
    let mut list = q.separated(", ");
    for n in &names {
        list.push_bind(*n);
    }
    q.push(")");
    let rows: Vec<String> = q.build_query_scalar().fetch_all(&mut **tx).await?;
    let mut found = HashSet::new();
    for name in &rows {
        if let Some(n) = names.iter().find(|n| *n == name) {
            found.insert(*n);
        }
    }
    Ok(found)
}

/// A version `delete_keys` removed.
#[derive(sqlx::FromRow)]
struct Replaced {
    bucket: String,
    key: String,
    segments: String,
}

/// Deletes the current versions of the winners' keys, returning what
/// each used.
async fn delete_keys(
    tx: &mut Transaction<'_, Sqlite>,
    group: &[PendingPut],
    winners: &[usize],
) -> Result<Vec<(String, String, Vec<BlobKey>)>, StoreError> {
    let mut q = QueryBuilder::<Sqlite>::new("DELETE FROM objects WHERE (bucket, key) IN (VALUES ");
    let mut list = q.separated(", ");
    for &i in winners {
        let o = &group[i].object;
        list.push("(");
        list.push_bind_unseparated(&o.bucket);
        list.push_unseparated(", ");
        list.push_bind_unseparated(&o.key);
        list.push_unseparated(")");
    }
    q.push(") RETURNING bucket, key, segments");
    let rows: Vec<Replaced> = q.build_query_as().fetch_all(&mut **tx).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let blobs = segment_blobs(OBJECTS, &r.segments)?;
        out.push((r.bucket, r.key, blobs));
    }
    Ok(out)
}

/// Inserts the winners' rows.
async fn insert_rows(
    tx: &mut Transaction<'_, Sqlite>,
    group: &[PendingPut],
    winners: &[usize],
) -> Result<(), StoreError> {
    let mut encoded = Vec::with_capacity(winners.len());
    for &i in winners {
        let o = &group[i].object;
        encoded.push((o, to_i64(o.size)?, to_json(&o.meta)?, to_json(&o.segments)?));
    }
    let mut q = QueryBuilder::<Sqlite>::new(
        "INSERT INTO objects (bucket, key, size, etag, last_modified, meta, segments, inline) ",
    );
    q.push_values(encoded, |mut row, (o, size, meta, segments)| {
        row.push_bind(o.bucket.clone())
            .push_bind(o.key.clone())
            .push_bind(size)
            .push_bind(o.etag.clone())
            .push_bind(o.last_modified)
            .push_bind(meta)
            .push_bind(segments)
            .push_bind(o.inline.as_deref().map(<[u8]>::to_vec));
    });
    q.build().execute(&mut **tx).await?;
    Ok(())
}
