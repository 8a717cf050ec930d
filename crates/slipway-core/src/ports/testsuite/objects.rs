//! What every `ObjectIndex` must do.

use crate::ports::blob::BlobKey;
use crate::ports::metadata::MetaError;
use crate::ports::objects::*;
use crate::AccountId;

fn bucket(name: &str, owner: &AccountId) -> BucketRow {
    BucketRow {
        name: name.into(),
        owner: owner.clone(),
        region: "us-east-1".into(),
        created: 1,
    }
}

fn object(bucket: &str, key: &str, blobs: &[BlobKey]) -> ObjectRow {
    let mut meta = ObjectMeta {
        content_type: Some("text/plain".into()),
        cache_control: Some("no-cache".into()),
        ..ObjectMeta::default()
    };
    meta.user.insert("colour".into(), "blue ü".into());
    ObjectRow {
        bucket: bucket.into(),
        key: key.into(),
        size: 3 * blobs.len() as u64,
        etag: "0123456789abcdef0123456789abcdef".into(),
        last_modified: 42,
        meta,
        segments: blobs
            .iter()
            .map(|b| Segment {
                blob: b.clone(),
                size: 3,
            })
            .collect(),
        inline: None,
    }
}

/// An object whose bytes live in the index.
fn inline_object(bucket: &str, key: &str, body: &'static [u8]) -> ObjectRow {
    ObjectRow {
        size: body.len() as u64,
        inline: Some(bytes::Bytes::from_static(body)),
        ..object(bucket, key, &[])
    }
}

/// Small objects kept in the index: read back whole by `get_object`, left
/// out of listings, and replacing or being replaced frees only blobs.
async fn inline_objects(index: &dyn ObjectIndex) {
    let owner = AccountId::random();
    assert!(index
        .create_bucket(&bucket("inline", &owner))
        .await
        .unwrap());
    let small = inline_object("inline", "small", b"hello, inline");
    assert!(index.put_object(&small).await.unwrap().blobs.is_empty());
    let empty = inline_object("inline", "empty", b"");
    index.put_object(&empty).await.unwrap();
    assert_eq!(
        index.get_object("inline", "small").await.unwrap().as_ref(),
        Some(&small)
    );
    assert_eq!(
        index.get_object("inline", "empty").await.unwrap().as_ref(),
        Some(&empty)
    );
    let listed = index.list_objects("inline", "", None, 10).await.unwrap();
    assert_eq!(listed.len(), 2);
    for row in &listed {
        assert_eq!(row.inline, None, "{}", row.key);
        assert!(row.segments.is_empty(), "{}", row.key);
    }
    assert_eq!(listed[1].size, small.size);
    let keys = ["small", "nothing here", "empty"].map(String::from);
    let mut many = index.get_objects("inline", &keys).await.unwrap();
    many.sort_by(|a, b| a.key.cmp(&b.key));
    assert_eq!(many, vec![empty.clone(), small.clone()]);
    assert!(index.get_objects("inline", &[]).await.unwrap().is_empty());
    assert!(index
        .get_objects("no-such-bucket", &keys)
        .await
        .unwrap()
        .is_empty());
    // Inline replaced by a blob-backed version: nothing to free.
    let blob = BlobKey::random();
    let big = object("inline", "small", std::slice::from_ref(&blob));
    assert!(index.put_object(&big).await.unwrap().blobs.is_empty());
    assert_eq!(
        index.get_object("inline", "small").await.unwrap().as_ref(),
        Some(&big)
    );
    // And back: the blob is freed.
    let again = inline_object("inline", "small", b"small again");
    assert_eq!(index.put_object(&again).await.unwrap().blobs, vec![blob]);
    assert_eq!(
        index.get_object("inline", "small").await.unwrap().as_ref(),
        Some(&again)
    );
    let freed = index.delete_object("inline", "small").await.unwrap();
    assert_eq!(freed.map(|f| f.blobs), Some(Vec::new()));
    assert!(index.get_object("inline", "small").await.unwrap().is_none());
}

/// Runs every check against a fresh, empty index.
pub async fn run(index: &dyn ObjectIndex) {
    buckets(index).await;
    objects_and_listing(index).await;
    multipart(index).await;
    concurrent_puts(index).await;
    inline_objects(index).await;
}

/// Many puts at once (an adapter may commit them together): each is
/// answered for itself, a failing one takes no other with it, and an
/// overwrite in the same burst frees the blob it replaced.
async fn concurrent_puts(index: &dyn ObjectIndex) {
    let owner = AccountId::random();
    assert!(index.create_bucket(&bucket("burst", &owner)).await.unwrap());
    let first = BlobKey::random();
    index
        .put_object(&object("burst", "same", std::slice::from_ref(&first)))
        .await
        .unwrap();
    let rows: Vec<ObjectRow> = (0..100)
        .map(|i| match i % 10 {
            // Every tenth into a bucket that does not exist.
            3 => object("no-such-bucket", &format!("k{i:03}"), &[BlobKey::random()]),
            _ => object("burst", &format!("k{i:03}"), &[BlobKey::random()]),
        })
        .chain(std::iter::once(object(
            "burst",
            "same",
            &[BlobKey::random()],
        )))
        // A key new to the bucket, put twice in the burst: one version
        // stays and the other's blob is freed.
        .chain((0..2).map(|_| object("burst", "twice", &[BlobKey::random()])))
        .collect();
    let results = futures::future::join_all(rows.iter().map(|r| index.put_object(r))).await;
    for (row, result) in rows.iter().zip(&results) {
        if row.bucket == "no-such-bucket" {
            assert!(
                matches!(result, Err(MetaError::MissingParent(b)) if b == "no-such-bucket"),
                "{}: {result:?}",
                row.key
            );
        } else if row.key == "same" {
            assert_eq!(result.as_ref().unwrap().blobs, vec![first.clone()]);
        } else if row.key == "twice" {
            assert!(result.is_ok(), "{result:?}");
        } else {
            assert!(result.as_ref().unwrap().blobs.is_empty(), "{}", row.key);
        }
    }
    let listed = index.list_objects("burst", "", None, 1000).await.unwrap();
    assert_eq!(listed.len(), 92);
    let twice: Vec<&ObjectRow> = rows.iter().filter(|r| r.key == "twice").collect();
    let kept = index.get_object("burst", "twice").await.unwrap().unwrap();
    let lost = if &kept == twice[0] {
        twice[1]
    } else {
        twice[0]
    };
    assert!(twice.contains(&&kept), "{kept:?}");
    let freed: Vec<&BlobKey> = results
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .flat_map(|f| &f.blobs)
        .collect();
    assert_eq!(freed, vec![&first, &lost.segments[0].blob], "freed blobs");
    for row in rows
        .iter()
        .filter(|r| r.bucket == "burst" && r.key != "twice")
    {
        assert_eq!(
            index.get_object("burst", &row.key).await.unwrap().as_ref(),
            Some(row),
            "{}",
            row.key
        );
    }
}

async fn buckets(index: &dyn ObjectIndex) {
    let a = AccountId::random();
    let b = AccountId::random();
    assert!(index.create_bucket(&bucket("alpha", &a)).await.unwrap());
    assert!(!index.create_bucket(&bucket("alpha", &b)).await.unwrap());
    assert!(index.create_bucket(&bucket("beta", &b)).await.unwrap());
    assert_eq!(index.get_bucket("alpha").await.unwrap().unwrap().owner, a);
    assert!(index.get_bucket("gamma").await.unwrap().is_none());
    let names: Vec<String> = index
        .list_buckets(&a)
        .await
        .unwrap()
        .into_iter()
        .map(|b| b.name)
        .collect();
    assert_eq!(names, ["alpha"]);
    let blob = BlobKey::random();
    index
        .put_object(&object("alpha", "k", std::slice::from_ref(&blob)))
        .await
        .unwrap();
    assert_eq!(
        index.delete_bucket("alpha").await.unwrap(),
        BucketDelete::NotEmpty
    );
    index.delete_object("alpha", "k").await.unwrap();
    assert_eq!(
        index.delete_bucket("alpha").await.unwrap(),
        BucketDelete::Deleted(Freed::default())
    );
    assert_eq!(
        index.delete_bucket("alpha").await.unwrap(),
        BucketDelete::Missing
    );
    assert!(matches!(
        index.put_object(&object("alpha", "k", &[])).await,
        Err(MetaError::MissingParent(_))
    ));
    assert_eq!(
        index.delete_bucket("beta").await.unwrap(),
        BucketDelete::Deleted(Freed::default())
    );
}

async fn objects_and_listing(index: &dyn ObjectIndex) {
    let a = AccountId::random();
    index.create_bucket(&bucket("objs", &a)).await.unwrap();
    let b1 = BlobKey::random();
    let o = object("objs", "dir/ü x", std::slice::from_ref(&b1));
    assert!(index.put_object(&o).await.unwrap().blobs.is_empty());
    assert_eq!(index.get_object("objs", "dir/ü x").await.unwrap(), Some(o));
    // Replacing frees the old blobs.
    let b2 = BlobKey::random();
    let freed = index
        .put_object(&object("objs", "dir/ü x", std::slice::from_ref(&b2)))
        .await
        .unwrap();
    assert_eq!(freed.blobs, vec![b1]);
    let refs = index.referenced_blobs().await.unwrap();
    assert!(refs.contains(&b2));

    for k in ["a", "b/1", "b/2", "c", "../up", "/lead"] {
        index
            .put_object(&object("objs", k, &[BlobKey::random()]))
            .await
            .unwrap();
    }
    let keys = |rows: Vec<ObjectRow>| rows.into_iter().map(|r| r.key).collect::<Vec<_>>();
    let all = keys(index.list_objects("objs", "", None, 100).await.unwrap());
    assert_eq!(all, ["../up", "/lead", "a", "b/1", "b/2", "c", "dir/ü x"]);
    let page = keys(index.list_objects("objs", "", Some("a"), 2).await.unwrap());
    assert_eq!(page, ["b/1", "b/2"]);
    let pre = keys(index.list_objects("objs", "b/", None, 100).await.unwrap());
    assert_eq!(pre, ["b/1", "b/2"]);
    // Prefixes are literal (no LIKE wildcards).
    index
        .put_object(&object("objs", "p%q_r", &[BlobKey::random()]))
        .await
        .unwrap();
    let lit = keys(index.list_objects("objs", "p%", None, 100).await.unwrap());
    assert_eq!(lit, ["p%q_r"]);
    assert!(index
        .list_objects("objs", "p_", None, 100)
        .await
        .unwrap()
        .is_empty());

    let freed = index.delete_object("objs", "c").await.unwrap().unwrap();
    assert_eq!(freed.blobs.len(), 1);
    assert!(index.delete_object("objs", "c").await.unwrap().is_none());
    assert!(index.get_object("objs", "c").await.unwrap().is_none());
}

async fn multipart(index: &dyn ObjectIndex) {
    let a = AccountId::random();
    index.create_bucket(&bucket("mp", &a)).await.unwrap();
    let up = |id: &str, key: &str| UploadRow {
        upload_id: id.into(),
        bucket: "mp".into(),
        key: key.into(),
        initiated: 7,
        meta: ObjectMeta::default(),
    };
    index.create_upload(&up("u1", "big")).await.unwrap();
    index.create_upload(&up("u2", "big")).await.unwrap();
    index.create_upload(&up("u3", "other")).await.unwrap();
    let part = |n: u32| PartRow {
        upload_id: "u1".into(),
        part_number: n,
        size: 3,
        etag: format!("{n:032x}"),
        blob: BlobKey::random(),
        last_modified: 9,
    };
    let (p1, p2, p3) = (part(1), part(2), part(3));
    for p in [&p1, &p2, &p3] {
        assert!(index.put_part(p).await.unwrap().blobs.is_empty());
    }
    let p2b = part(2);
    assert_eq!(index.put_part(&p2b).await.unwrap().blobs, vec![p2.blob]);
    let parts = index.list_parts("u1", 0, 100).await.unwrap();
    assert_eq!(parts, vec![p1.clone(), p2b.clone(), p3.clone()]);
    assert_eq!(
        index.list_parts("u1", 1, 1).await.unwrap(),
        vec![p2b.clone()]
    );
    let ids = |rows: Vec<UploadRow>| rows.into_iter().map(|u| u.upload_id).collect::<Vec<_>>();
    assert_eq!(
        ids(index.list_uploads("mp", "", None, None, 100).await.unwrap()),
        ["u1", "u2", "u3"]
    );
    assert_eq!(
        ids(index
            .list_uploads("mp", "", Some("big"), Some("u1"), 100)
            .await
            .unwrap()),
        ["u2", "u3"]
    );
    assert_eq!(
        ids(index
            .list_uploads("mp", "ot", None, None, 100)
            .await
            .unwrap()),
        ["u3"]
    );
    let refs = index.referenced_blobs().await.unwrap();
    assert!(refs.contains(&p1.blob) && refs.contains(&p3.blob));

    // Complete with parts 1 and 3: part 2's blob is freed.
    let obj = object("mp", "big", &[p1.blob.clone(), p3.blob.clone()]);
    let done = |id: &str, completed| CompletedUpload {
        upload_id: id.into(),
        bucket: "mp".into(),
        key: "big".into(),
        etag: "abc-2".into(),
        parts: vec![(1, p1.etag.clone()), (3, p3.etag.clone())],
        completed,
    };
    // An old record is forgotten by a later completion.
    index.create_upload(&up("u0", "old")).await.unwrap();
    index
        .complete_upload("u0", &object("mp", "old", &[]), &done("u0", 5), 0)
        .await
        .unwrap();
    assert!(index.get_completed_upload("u0").await.unwrap().is_some());
    let freed = index
        .complete_upload("u1", &obj, &done("u1", 100), 50)
        .await
        .unwrap();
    assert_eq!(freed.blobs, vec![p2b.blob.clone()]);
    assert_eq!(
        index.get_completed_upload("u1").await.unwrap(),
        Some(done("u1", 100))
    );
    assert!(index.get_completed_upload("u0").await.unwrap().is_none());
    assert_eq!(index.get_object("mp", "big").await.unwrap(), Some(obj));
    assert!(index.get_upload("u1").await.unwrap().is_none());
    assert!(matches!(
        index.put_part(&part(4)).await,
        Err(MetaError::MissingParent(_))
    ));
    assert!(matches!(
        index
            .complete_upload("u1", &object("mp", "big", &[]), &done("u1", 101), 0)
            .await,
        Err(MetaError::MissingParent(_))
    ));

    let mut q = part(1);
    q.upload_id = "u2".into();
    index.put_part(&q).await.unwrap();
    let freed = index.abort_upload("u2").await.unwrap().unwrap();
    assert_eq!(freed.blobs, vec![q.blob]);
    assert!(index.abort_upload("u2").await.unwrap().is_none());
    assert!(index.get_upload("u3").await.unwrap().is_some());

    // A bucket holding only unfinished uploads is deleted with them: their
    // parts' blobs are freed, and nothing of the bucket is left behind.
    let mut r = part(1);
    r.upload_id = "u3".into();
    index.put_part(&r).await.unwrap();
    assert_eq!(
        index.delete_bucket("mp").await.unwrap(),
        BucketDelete::NotEmpty
    );
    index.delete_object("mp", "big").await.unwrap();
    index.delete_object("mp", "old").await.unwrap();
    assert_eq!(
        index.delete_bucket("mp").await.unwrap(),
        BucketDelete::Deleted(Freed {
            blobs: vec![r.blob.clone()]
        })
    );
    assert!(index.get_upload("u3").await.unwrap().is_none());
    assert!(index.list_parts("u3", 0, 10).await.unwrap().is_empty());
    assert!(index.get_completed_upload("u1").await.unwrap().is_none());
    assert!(!index.referenced_blobs().await.unwrap().contains(&r.blob));
    // A bucket of the same name starts empty.
    index.create_bucket(&bucket("mp", &a)).await.unwrap();
    assert!(index
        .list_uploads("mp", "", None, None, 10)
        .await
        .unwrap()
        .is_empty());
}
