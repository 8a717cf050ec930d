//! Moving job data between object storage and a job's work directory:
//! `s3://` URIs, the inputs an S3Prefix or manifest names, downloads to
//! files and uploads from files. Bytes stream; nothing is held whole.

use crate::data::JobData;
use bytes::Bytes;
use futures::StreamExt;
use slipway_core::ports::blob::{BlobKey, ByteStream};
use slipway_core::ports::objects::{ObjectMeta, ObjectRow};
use slipway_core::AccountId;
use slipway_objects::{Conditions, ListObjects, ObjectError};
use std::path::{Component, Path, PathBuf};
use tokio::io::AsyncWriteExt;

/// A parsed `s3://bucket/key-or-prefix`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Uri {
    pub bucket: String,
    pub key: String,
}

impl S3Uri {
    /// `None` unless `uri` is `s3://` with a non-empty bucket.
    pub fn parse(uri: &str) -> Option<Self> {
        let rest = uri.strip_prefix("s3://")?;
        let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return None;
        }
        Some(Self {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
        })
    }

    /// `s3://bucket/<key>/<suffix>` with exactly one `/` at the join.
    pub fn join(&self, suffix: &str) -> Self {
        let base = self.key.trim_end_matches('/');
        let key = if base.is_empty() {
            suffix.to_owned()
        } else {
            format!("{base}/{suffix}")
        };
        Self {
            bucket: self.bucket.clone(),
            key,
        }
    }
}

impl std::fmt::Display for S3Uri {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.key)
    }
}

/// One object a job reads, and where it lands relative to the channel root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputObject {
    pub bucket: String,
    pub key: String,
    pub size: u64,
    /// Relative path under the channel (or output) directory.
    pub relative: String,
    /// The object's blob when the listing saw it whole in one, so reading
    /// it needs no second lookup (see `open_input`).
    pub listed_blob: Option<BlobKey>,
    /// A small object's bytes, when `prefetch_small` fetched them.
    pub prefetched: Option<Bytes>,
}

/// The one blob holding all of an object, if it has exactly one.
fn single_blob(row: &ObjectRow) -> Option<BlobKey> {
    match row.segments.as_slice() {
        [one] if one.size == row.size => Some(one.blob.clone()),
        _ => None,
    }
}

/// Why a job's data could not be read; becomes a `ClientError` reason.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error("{0}")]
    Missing(String),
    #[error("{0}")]
    Invalid(String),
    /// The object store's own condition (its text is what clients of S3
    /// see for it).
    #[error(transparent)]
    Objects(#[from] ObjectError),
    #[error("writing {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

/// Where an object's key lands relative to a prefix (docs/jobs.md, "Where
/// objects land"). A prefix that names a folder (it ends with `/`, or the
/// key continues with `/` right after it) is cut off whole with that `/`,
/// as SageMaker does for the URIs `Session.upload_data()` returns; a prefix
/// that ends inside a name keeps that name: the text after its last `/`.
pub(crate) fn relative_to_prefix(prefix: &str, key: &str) -> String {
    if let Some(rest) = key.strip_prefix(prefix) {
        if prefix.is_empty() || prefix.ends_with('/') {
            return rest.to_owned();
        }
        if let Some(inside) = rest.strip_prefix('/') {
            return inside.to_owned();
        }
    }
    let cut = prefix.rfind('/').map_or(0, |i| i + 1);
    key.get(cut..).unwrap_or(key).to_owned()
}

/// Every object under `uri` (a plain string prefix), skipping zero-byte
/// "folder" keys, in key order.
pub async fn list_prefix(
    data: &JobData,
    account: &AccountId,
    uri: &S3Uri,
) -> Result<Vec<InputObject>, DataError> {
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let page = data
            .objects()
            .list_objects(
                account,
                &ListObjects {
                    bucket: uri.bucket.clone(),
                    prefix: uri.key.clone(),
                    delimiter: None,
                    after: after.clone(),
                    max_keys: 1000,
                },
            )
            .await
            .map_err(|e| missing_or(e, uri))?;
        for o in &page.objects {
            if o.key.ends_with('/') && o.size == 0 {
                continue;
            }
            out.push(InputObject {
                bucket: o.bucket.clone(),
                relative: relative_to_prefix(&uri.key, &o.key),
                key: o.key.clone(),
                size: o.size,
                listed_blob: single_blob(o),
                prefetched: None,
            });
        }
        if !page.is_truncated {
            break;
        }
        after = page
            .next_marker
            .or_else(|| page.objects.last().map(|o| o.key.clone()));
        if after.is_none() {
            break;
        }
    }
    Ok(out)
}

fn missing_or(e: ObjectError, uri: &S3Uri) -> DataError {
    match e {
        ObjectError::NoSuchBucket(_) => {
            DataError::Missing(format!("bucket '{}' of {uri} does not exist", uri.bucket))
        }
        ObjectError::AccessDenied => DataError::Missing(format!(
            "access denied to {uri}: the bucket belongs to another account"
        )),
        ObjectError::NoSuchKey(_) => DataError::Missing(format!("{uri} does not exist")),
        other => DataError::Objects(other),
    }
}

/// Reads a whole small object (a manifest) as text, up to `limit` bytes.
pub async fn read_small(
    data: &JobData,
    account: &AccountId,
    uri: &S3Uri,
    limit: u64,
) -> Result<Vec<u8>, DataError> {
    let got = data
        .objects()
        .get_object(account, &uri.bucket, &uri.key, &Conditions::default(), None)
        .await
        .map_err(|e| missing_or(e, uri))?;
    if got.object.size > limit {
        return Err(DataError::Invalid(format!(
            "{uri} is {} bytes; a manifest may be at most {limit}",
            got.object.size
        )));
    }
    let mut body = got.body;
    let mut buf = Vec::with_capacity(got.object.size as usize);
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| DataError::Invalid(format!("reading {uri}: {e}")))?;
        buf.extend_from_slice(&chunk);
    }
    Ok(buf)
}

/// The objects a manifest names: `[{"prefix": "s3://b/p/"}, "rel/1", ...]`.
pub async fn list_manifest(
    data: &JobData,
    account: &AccountId,
    uri: &S3Uri,
) -> Result<Vec<InputObject>, DataError> {
    let bytes = read_small(data, account, uri, 64 * 1024 * 1024).await?;
    let entries = parse_manifest(&bytes).map_err(|why| {
        DataError::Invalid(format!("manifest {uri} is not a valid manifest: {why}"))
    })?;
    let mut out = Vec::with_capacity(entries.1.len());
    for rel in entries.1 {
        let target = S3Uri {
            bucket: entries.0.bucket.clone(),
            key: format!("{}{rel}", entries.0.key),
        };
        let head = data
            .objects()
            .head_object(account, &target.bucket, &target.key, &Conditions::default())
            .await
            .map_err(|e| match missing_or(e, &target) {
                DataError::Missing(m) => {
                    DataError::Missing(format!("{m} (listed in manifest {uri})"))
                }
                other => other,
            })?;
        out.push(InputObject {
            relative: relative_to_prefix(&entries.0.key, &target.key),
            bucket: target.bucket,
            key: target.key,
            size: head.size,
            listed_blob: single_blob(&head),
            prefetched: None,
        });
    }
    Ok(out)
}

/// Splits a manifest into its prefix and relative entries.
pub fn parse_manifest(bytes: &[u8]) -> std::result::Result<(S3Uri, Vec<String>), String> {
    let v: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| format!("not JSON ({e})"))?;
    let items = v.as_array().ok_or("the document is not a JSON array")?;
    let (first, rest) = items.split_first().ok_or("the array is empty")?;
    let prefix = first
        .get("prefix")
        .and_then(|p| p.as_str())
        .ok_or("the first element must be {\"prefix\": \"s3://bucket/prefix/\"}")?;
    let prefix =
        S3Uri::parse(prefix).ok_or_else(|| format!("prefix {prefix:?} is not an s3:// URI"))?;
    let mut rels = Vec::with_capacity(rest.len());
    for (i, item) in rest.iter().enumerate() {
        let rel = item
            .as_str()
            .ok_or_else(|| format!("element {} is not a string", i + 2))?;
        rels.push(rel.to_owned());
    }
    Ok((prefix, rels))
}

/// `rel` as a path that stays under its root, or why not. Keys with `..`,
/// absolute paths or NUL never leave the work directory.
pub fn safe_relative(rel: &str) -> std::result::Result<PathBuf, String> {
    if rel.contains('\0') {
        return Err(format!("key {rel:?} contains NUL"));
    }
    let path = Path::new(rel.trim_start_matches('/'));
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::Normal(n) => out.push(n),
            Component::CurDir => {}
            _ => return Err(format!("key {rel:?} escapes its directory")),
        }
    }
    if out.as_os_str().is_empty() {
        return Err(format!("key {rel:?} names no file"));
    }
    Ok(out)
}

/// Downloads one object to `dest` (parents created).
pub async fn download(
    data: &JobData,
    account: &AccountId,
    object: &InputObject,
    dest: &Path,
) -> Result<u64, DataError> {
    let io = |source| DataError::Io {
        path: dest.display().to_string(),
        source,
    };
    if let Some(parent) = dest.parent() {
        tokio::fs::create_dir_all(parent).await.map_err(io)?;
    }
    let uri = S3Uri {
        bucket: object.bucket.clone(),
        key: object.key.clone(),
    };
    let mut body = open_input(data, account, object).await?;
    let mut file = tokio::fs::File::create(dest).await.map_err(io)?;
    let mut n = 0u64;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| DataError::Invalid(format!("reading {uri}: {e}")))?;
        n += chunk.len() as u64;
        file.write_all(&chunk).await.map_err(io)?;
    }
    file.flush().await.map_err(io)?;
    Ok(n)
}

/// Fetches the bytes of the small inline objects among `objects` (one
/// lookup per bucket instead of one per object). Best effort: whatever is
/// not prefetched is read by `open_input` as usual.
pub async fn prefetch_small(data: &JobData, objects: &mut [InputObject]) {
    let mut buckets: Vec<&str> = objects.iter().map(|o| o.bucket.as_str()).collect();
    buckets.sort_unstable();
    buckets.dedup();
    let buckets: Vec<String> = buckets.into_iter().map(str::to_owned).collect();
    for bucket in buckets {
        let keys: Vec<String> = objects
            .iter()
            .filter(|o| {
                o.bucket == bucket
                    && o.listed_blob.is_none()
                    && o.size <= slipway_objects::INLINE_MAX as u64
            })
            .map(|o| o.key.clone())
            .collect();
        if keys.is_empty() {
            continue;
        }
        let Ok(mut found) = data.objects().read_listed_inline(&bucket, &keys).await else {
            continue;
        };
        for o in objects.iter_mut().filter(|o| o.bucket == bucket) {
            o.prefetched = found.remove(&o.key);
        }
    }
}

/// An input object's bytes: straight from the blob the listing saw when
/// there is one (no second lookup per object), else (or when that blob is
/// gone because the object changed since) a GetObject as the account.
pub async fn open_input(
    data: &JobData,
    account: &AccountId,
    object: &InputObject,
) -> Result<ByteStream, DataError> {
    if let Some(bytes) = &object.prefetched {
        let chunk: std::io::Result<Bytes> = Ok(bytes.clone());
        return Ok(Box::pin(futures::stream::iter(
            (!bytes.is_empty()).then_some(chunk),
        )));
    }
    if let Some(blob) = &object.listed_blob {
        if let Ok(body) = data.objects().read_listed_blob(blob).await {
            return Ok(body);
        }
    }
    let uri = S3Uri {
        bucket: object.bucket.clone(),
        key: object.key.clone(),
    };
    let got = data
        .objects()
        .get_object(
            account,
            &object.bucket,
            &object.key,
            &Conditions::default(),
            None,
        )
        .await
        .map_err(|e| missing_or(e, &uri))?;
    Ok(got.body)
}

/// Checks once that `account` may write into the bucket of `dest`, for a
/// job about to store many objects there with `upload_stream_checked`.
pub async fn check_output_bucket(
    data: &JobData,
    account: &AccountId,
    dest: &S3Uri,
) -> Result<(), DataError> {
    data.objects()
        .owned_bucket(account, &dest.bucket)
        .await
        .map_err(|e| missing_or(e, dest))?;
    Ok(())
}

/// Uploads a local file as an object (streamed).
pub async fn upload(
    data: &JobData,
    account: &AccountId,
    src: &Path,
    dest: &S3Uri,
    content_type: &str,
) -> Result<(), DataError> {
    let file = tokio::fs::File::open(src)
        .await
        .map_err(|source| DataError::Io {
            path: src.display().to_string(),
            source,
        })?;
    upload_file(data, account, file, dest, content_type).await
}

/// [`upload`] of a file already open (one opened without following
/// links, say).
pub async fn upload_file(
    data: &JobData,
    account: &AccountId,
    file: tokio::fs::File,
    dest: &S3Uri,
    content_type: &str,
) -> Result<(), DataError> {
    let body = tokio_util::io::ReaderStream::with_capacity(file, 1 << 20);
    upload_stream(data, account, Box::pin(body), dest, content_type).await
}

/// Stores a stream as an object; an error in the stream stores nothing.
pub async fn upload_stream(
    data: &JobData,
    account: &AccountId,
    body: ByteStream,
    dest: &S3Uri,
    content_type: &str,
) -> Result<(), DataError> {
    data.objects()
        .put_object(account, job_output(body, dest, content_type))
        .await
        .map_err(|e| missing_or(e, dest))?;
    Ok(())
}

/// `upload_stream` into a bucket `check_output_bucket` has passed.
pub async fn upload_stream_checked(
    data: &JobData,
    body: ByteStream,
    dest: &S3Uri,
    content_type: &str,
) -> Result<(), DataError> {
    data.objects()
        .put_object_in_owned_bucket(job_output(body, dest, content_type))
        .await
        .map_err(|e| missing_or(e, dest))?;
    Ok(())
}

fn job_output(body: ByteStream, dest: &S3Uri, content_type: &str) -> slipway_objects::PutObject {
    slipway_objects::PutObject {
        bucket: dest.bucket.clone(),
        key: dest.key.clone(),
        meta: ObjectMeta {
            content_type: Some(content_type.to_owned()),
            ..ObjectMeta::default()
        },
        body,
        content_md5: None,
        checksums: Vec::new(),
        compute: Vec::new(),
        trailer: None,
        size_hint: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_parse_and_join() {
        let u = S3Uri::parse("s3://b/out/").unwrap();
        assert_eq!(
            u.join("job/output/model.tar.gz").to_string(),
            "s3://b/out/job/output/model.tar.gz"
        );
        assert_eq!(S3Uri::parse("s3://b").unwrap().join("x").key, "x");
        assert!(S3Uri::parse("s3:///k").is_none());
        assert!(S3Uri::parse("https://b/k").is_none());
    }

    #[test]
    fn relative_paths_follow_the_prefix() {
        assert_eq!(
            relative_to_prefix("data/train/", "data/train/a/b.csv"),
            "a/b.csv"
        );
        assert_eq!(
            relative_to_prefix("data/tr", "data/train/b.csv"),
            "train/b.csv"
        );
        assert_eq!(relative_to_prefix("", "x.csv"), "x.csv");
    }

    #[test]
    fn a_prefix_naming_a_folder_is_cut_off_with_its_slash() {
        // What `Session.upload_data()` returns: no trailing slash.
        assert_eq!(
            relative_to_prefix("p/training-input-data", "p/training-input-data/iris.csv"),
            "iris.csv"
        );
        assert_eq!(relative_to_prefix("x/DEMO", "x/DEMO/a/b.csv"), "a/b.csv");
        // The same prefix also matching a name keeps that name.
        assert_eq!(relative_to_prefix("x/DEMO", "x/DEMO2.csv"), "DEMO2.csv");
        assert_eq!(relative_to_prefix("DEMO", "DEMO/a.csv"), "a.csv");
        assert_eq!(relative_to_prefix("DEMO", "DEMO.csv"), "DEMO.csv");
        // A single object named by its full key lands under its own name.
        assert_eq!(relative_to_prefix("x/a.csv", "x/a.csv"), "a.csv");
    }

    #[test]
    fn unsafe_keys_are_refused() {
        assert!(safe_relative("../x").is_err());
        assert!(safe_relative("a/../../x").is_err());
        assert!(safe_relative("a\0b").is_err());
        assert_eq!(safe_relative("/abs/x").unwrap(), PathBuf::from("abs/x"));
        assert_eq!(safe_relative("./a/b").unwrap(), PathBuf::from("a/b"));
        assert!(safe_relative("").is_err());
    }

    #[test]
    fn manifests_parse() {
        let (p, r) = parse_manifest(br#"[{"prefix":"s3://b/p/"},"a.csv","d/b.csv"]"#).unwrap();
        assert_eq!((p.bucket.as_str(), p.key.as_str()), ("b", "p/"));
        assert_eq!(r, vec!["a.csv", "d/b.csv"]);
        assert!(parse_manifest(b"[]").is_err());
        assert!(parse_manifest(br#"[{"prefix":"nope"}]"#).is_err());
        assert!(parse_manifest(br#"[{"prefix":"s3://b/"}, 3]"#).is_err());
    }
}
