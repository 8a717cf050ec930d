//! Writes one image as an OCI image-layout tar archive (`oci-layout`,
//! `index.json`, `blobs/<algorithm>/<hex>`): the form `trivy image --input
//! FILE` and `grype oci-archive:FILE` read. The bytes come from the
//! registry's own blob store, streamed (memory stays flat); only `tar`'s
//! header encoding is borrowed, because the `tar` crate's writer is
//! synchronous and the blobs arrive as async streams.

use futures::StreamExt;
use serde_json::{json, Value};
use slipway_core::ports::blob::BlobStore;
use slipway_core::ports::registry::{ManifestRow, RegistryIndex};
use slipway_objects::segments_stream;
use std::path::Path;
use std::sync::Arc;
use tokio::io::{AsyncWrite, AsyncWriteExt, BufWriter};

use crate::names::check_digest;

/// Why an archive could not be written (told to the user as the scan's
/// failure; none of it comes from the client).
pub(crate) type ArchiveError = String;

/// The blob digests an image manifest names (config, then layers), less
/// layers whose bytes no registry holds.
pub(crate) fn image_blobs(manifest: &[u8]) -> Result<Vec<String>, ArchiveError> {
    let doc: Value =
        serde_json::from_slice(manifest).map_err(|e| format!("the manifest is not JSON: {e}"))?;
    let digest = |d: &Value| -> Result<String, ArchiveError> {
        d.get("digest")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| "a descriptor of the manifest has no digest".to_owned())
    };
    let mut out = vec![digest(doc.get("config").unwrap_or(&Value::Null))?];
    for layer in doc
        .get("layers")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
    {
        let foreign = layer
            .get("mediaType")
            .and_then(Value::as_str)
            .is_some_and(|m| m.contains("foreign") || m.contains("nondistributable"));
        if !foreign {
            out.push(digest(layer)?);
        }
    }
    out.dedup();
    Ok(out)
}

/// `blobs/<algorithm>/<hex>` for a digest the registry accepted.
fn blob_path(digest: &str) -> Result<String, ArchiveError> {
    check_digest(digest).map_err(|e| e.to_string())?;
    let (alg, hex) = digest
        .split_once(':')
        .ok_or_else(|| format!("digest {digest} has no algorithm"))?;
    Ok(format!("blobs/{alg}/{hex}"))
}

async fn entry<W: AsyncWrite + Unpin>(
    out: &mut W,
    path: &str,
    size: u64,
    directory: bool,
) -> Result<(), ArchiveError> {
    let mut h = tar::Header::new_ustar();
    h.set_path(path)
        .map_err(|e| format!("tar path {path}: {e}"))?;
    h.set_size(size);
    h.set_mode(if directory { 0o755 } else { 0o644 });
    h.set_mtime(0);
    h.set_entry_type(if directory {
        tar::EntryType::Directory
    } else {
        tar::EntryType::Regular
    });
    h.set_cksum();
    out.write_all(h.as_bytes())
        .await
        .map_err(|e| format!("writing the archive: {e}"))
}

async fn pad<W: AsyncWrite + Unpin>(out: &mut W, size: u64) -> Result<(), ArchiveError> {
    let rest = (512 - size % 512) % 512;
    out.write_all(&vec![0u8; rest as usize])
        .await
        .map_err(|e| format!("writing the archive: {e}"))
}

async fn small_file<W: AsyncWrite + Unpin>(
    out: &mut W,
    path: &str,
    bytes: &[u8],
) -> Result<(), ArchiveError> {
    entry(out, path, bytes.len() as u64, false).await?;
    out.write_all(bytes)
        .await
        .map_err(|e| format!("writing the archive: {e}"))?;
    pad(out, bytes.len() as u64).await
}

/// Writes `manifest` and every blob it names, as stored in `manifest`'s
/// repository, to a new file at `path`.
pub(crate) async fn write(
    index: &dyn RegistryIndex,
    blobs: &Arc<dyn BlobStore>,
    manifest: &ManifestRow,
    path: &Path,
) -> Result<(), ArchiveError> {
    let file = tokio::fs::File::create(path)
        .await
        .map_err(|e| format!("creating {}: {e}", path.display()))?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    small_file(&mut out, "oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#).await?;
    let mut descriptor = json!({
        "mediaType": manifest.media_type,
        "digest": manifest.digest,
        "size": manifest.body.len(),
    });
    if let Some(tag) = manifest.tags.first() {
        descriptor["annotations"] = json!({ "org.opencontainers.image.ref.name": tag });
    }
    let index_json = json!({ "schemaVersion": 2, "manifests": [descriptor] }).to_string();
    small_file(&mut out, "index.json", index_json.as_bytes()).await?;
    entry(&mut out, "blobs/", 0, true).await?;
    let mut dirs = std::collections::BTreeSet::new();
    let manifest_path = blob_path(&manifest.digest)?;
    let digests = image_blobs(&manifest.body)?;
    for p in std::iter::once(manifest_path.clone()).chain(
        digests
            .iter()
            .map(|d| blob_path(d))
            .collect::<Result<Vec<_>, _>>()?,
    ) {
        if let Some((dir, _)) = p.rsplit_once('/') {
            if dirs.insert(dir.to_owned()) {
                entry(&mut out, &format!("{dir}/"), 0, true).await?;
            }
        }
    }
    small_file(&mut out, &manifest_path, &manifest.body).await?;
    let mut written = std::collections::HashSet::new();
    for digest in digests {
        if !written.insert(digest.clone()) {
            continue;
        }
        let row = index
            .repo_blob(&manifest.account, &manifest.repo, &digest)
            .await
            .map_err(|e| format!("reading blob {digest}: {e}"))?
            .ok_or_else(|| format!("blob {digest} of the image is no longer stored"))?;
        entry(&mut out, &blob_path(&digest)?, row.size, false).await?;
        let mut body = segments_stream(
            blobs.clone(),
            &row.segments,
            slipway_core::ports::blob::ByteRange {
                start: 0,
                end: row.size,
            },
        );
        let mut copied = 0u64;
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| format!("reading blob {digest}: {e}"))?;
            copied += chunk.len() as u64;
            if copied > row.size {
                break;
            }
            out.write_all(&chunk)
                .await
                .map_err(|e| format!("writing the archive: {e}"))?;
        }
        // A short or long blob would shift every later tar entry.
        if copied != row.size {
            return Err(format!(
                "blob {digest} holds {copied} bytes, its record says {}",
                row.size
            ));
        }
        pad(&mut out, row.size).await?;
    }
    out.write_all(&[0u8; 1024])
        .await
        .map_err(|e| format!("writing the archive: {e}"))?;
    out.flush()
        .await
        .map_err(|e| format!("writing the archive: {e}"))
}
