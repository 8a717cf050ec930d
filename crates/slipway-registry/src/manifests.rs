//! Manifests and tags: push (parsed, media type checked, every referenced
//! blob or child manifest present in the repository, digest verified),
//! pull by tag or digest, deletion, tag listing, and the ECR image calls.

use crate::names::{check_digest, check_tag, is_digest, sha256_digest};
use crate::Result;
use crate::{Registry, RegistryError};
use serde::Deserialize;
use slipway_core::ports::registry::{ManifestRow, PutManifest};
use slipway_core::AccountId;

/// The manifest media types this registry stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaType {
    OciManifest,
    OciIndex,
    DockerManifest,
    DockerList,
}

impl MediaType {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "application/vnd.oci.image.manifest.v1+json" => Self::OciManifest,
            "application/vnd.oci.image.index.v1+json" => Self::OciIndex,
            "application/vnd.docker.distribution.manifest.v2+json" => Self::DockerManifest,
            "application/vnd.docker.distribution.manifest.list.v2+json" => Self::DockerList,
            _ => return None,
        })
    }

    pub(crate) fn is_index(self) -> bool {
        matches!(self, Self::OciIndex | Self::DockerList)
    }
}

/// A content descriptor as manifests carry them.
#[derive(Debug, Deserialize)]
struct Descriptor {
    #[serde(rename = "mediaType", default)]
    media_type: Option<String>,
    digest: String,
    size: i64,
}

/// The members of a manifest or index the registry checks.
#[derive(Debug, Deserialize)]
struct ManifestDoc {
    #[serde(rename = "schemaVersion")]
    schema_version: Option<i64>,
    #[serde(rename = "mediaType", default)]
    media_type: Option<String>,
    #[serde(default)]
    config: Option<Descriptor>,
    #[serde(default)]
    layers: Option<Vec<Descriptor>>,
    #[serde(default)]
    manifests: Option<Vec<Descriptor>>,
    #[serde(default)]
    subject: Option<Descriptor>,
}

/// What a push stored.
#[derive(Debug, Clone)]
pub struct PushedManifest {
    pub digest: String,
    /// Set when the manifest has a `subject` (the client then expects the
    /// `OCI-Subject` header).
    pub subject: Option<String>,
}

/// An image named by tag and/or digest (ECR `ImageIdentifier`).
#[derive(Debug, Clone, Default)]
pub struct ImageId {
    pub tag: Option<String>,
    pub digest: Option<String>,
}

/// Layers whose bytes the registry never holds (Windows base layers).
fn non_distributable(media_type: Option<&str>) -> bool {
    media_type.is_some_and(|m| m.contains("foreign") || m.contains("nondistributable"))
}

fn invalid(why: impl Into<String>) -> RegistryError {
    RegistryError::ManifestInvalid(why.into())
}

impl Registry<'_> {
    /// Stores a manifest under `reference` (a tag, or the digest it must
    /// have). `content_type` is the request's; when absent the body's
    /// `mediaType` decides.
    pub async fn put_manifest(
        &self,
        account: &AccountId,
        repo: &str,
        reference: &str,
        content_type: Option<&str>,
        body: &[u8],
    ) -> Result<PushedManifest> {
        let st = self.storage;
        let limit = st.config.max_manifest_bytes;
        if body.len() > limit {
            return Err(RegistryError::ManifestTooLarge {
                size: body.len(),
                limit,
            });
        }
        let repository = self.repository(account, repo).await?;
        // Pushed by digest, the manifest is stored under that digest's
        // algorithm (sha256 or sha512); pushed by tag, under sha256.
        let (digest, tag) = if is_digest(reference) {
            let digest = check_digest(reference)?.digest(body);
            if reference != digest {
                return Err(RegistryError::DigestInvalid(format!(
                    "the manifest has digest {digest}, not {reference}"
                )));
            }
            (digest, None)
        } else {
            check_tag(reference)?;
            (sha256_digest(body), Some(reference))
        };
        let doc: ManifestDoc = serde_json::from_slice(body)
            .map_err(|e| invalid(format!("not a JSON manifest: {e}")))?;
        let declared = content_type
            .map(|c| c.split(';').next().unwrap_or("").trim())
            .filter(|c| !c.is_empty())
            .or(doc.media_type.as_deref());
        let Some(declared) = declared else {
            return Err(invalid("the manifest has no media type"));
        };
        let media = MediaType::parse(declared).ok_or_else(|| {
            RegistryError::Unsupported(format!("manifest media type {declared} is not supported"))
        })?;
        if doc.media_type.as_deref().is_some_and(|m| m != declared) {
            return Err(invalid(format!(
                "Content-Type {declared} differs from the manifest's mediaType"
            )));
        }
        if doc.schema_version != Some(2) {
            return Err(invalid("schemaVersion must be 2"));
        }
        let mut references = Vec::new();
        if media.is_index() {
            let children = doc
                .manifests
                .ok_or_else(|| invalid("an index must list manifests"))?;
            for c in &children {
                check_descriptor(c)?;
                if st
                    .index
                    .get_manifest(account, repo, &c.digest)
                    .await?
                    .is_none()
                {
                    return Err(RegistryError::ManifestBlobUnknown(c.digest.clone()));
                }
                references.push(c.digest.clone());
            }
        } else {
            let config = doc
                .config
                .ok_or_else(|| invalid("an image manifest must have a config"))?;
            let layers = doc
                .layers
                .ok_or_else(|| invalid("an image manifest must list layers"))?;
            for d in std::iter::once(&config).chain(layers.iter()) {
                check_descriptor(d)?;
                if non_distributable(d.media_type.as_deref()) {
                    continue;
                }
                let blob = st.index.repo_blob(account, repo, &d.digest).await?;
                match blob {
                    Some(b) if i64::try_from(b.size).ok() == Some(d.size) => {}
                    Some(b) => {
                        return Err(invalid(format!(
                            "descriptor of {} says {} bytes, the blob has {}",
                            d.digest, d.size, b.size
                        )))
                    }
                    None => return Err(RegistryError::ManifestBlobUnknown(d.digest.clone())),
                }
                references.push(d.digest.clone());
            }
        }
        let subject = match &doc.subject {
            Some(s) => {
                check_descriptor(s)?;
                Some(s.digest.clone())
            }
            None => None,
        };
        let row = ManifestRow {
            account: account.clone(),
            repo: repo.to_owned(),
            digest: digest.clone(),
            media_type: declared.to_owned(),
            body: body.to_vec(),
            subject: subject.clone(),
            references,
            pushed: self.wall_micros(),
            tags: Vec::new(),
        };
        match st.index.put_manifest(&row, tag).await? {
            PutManifest::Stored => {
                let mut row = row;
                row.tags = tag.map(|t| vec![t.to_owned()]).unwrap_or_default();
                self.scan_on_push(&repository, &row).await;
                Ok(PushedManifest { digest, subject })
            }
            PutManifest::TagImmutable => Err(RegistryError::TagImmutable {
                tag: reference.to_owned(),
                repo: repo.to_owned(),
            }),
        }
    }

    /// The digest a tag or digest reference names, if present.
    async fn resolve_reference(
        &self,
        account: &AccountId,
        repo: &str,
        reference: &str,
    ) -> Result<Option<String>> {
        if is_digest(reference) {
            check_digest(reference)?;
            return Ok(Some(reference.to_owned()));
        }
        check_tag(reference)?;
        Ok(self
            .storage
            .index
            .resolve_tag(account, repo, reference)
            .await?)
    }

    /// A manifest by tag or digest.
    pub async fn get_manifest(
        &self,
        account: &AccountId,
        repo: &str,
        reference: &str,
    ) -> Result<ManifestRow> {
        self.repository(account, repo).await?;
        let unknown = || RegistryError::ManifestUnknown(reference.to_owned());
        // A tag that could never have been pushed names nothing: a miss,
        // as the distribution spec's endpoint table has it (404), where a
        // push of it is refused as invalid.
        if !is_digest(reference) && check_tag(reference).is_err() {
            return Err(unknown());
        }
        let digest = self
            .resolve_reference(account, repo, reference)
            .await?
            .ok_or_else(unknown)?;
        self.storage
            .index
            .get_manifest(account, repo, &digest)
            .await?
            .ok_or_else(unknown)
    }

    /// Deletes a manifest (by digest, with its tags) or only a tag.
    pub async fn delete_manifest(
        &self,
        account: &AccountId,
        repo: &str,
        reference: &str,
    ) -> Result<()> {
        self.repository(account, repo).await?;
        let index = &self.storage.index;
        let gone = if is_digest(reference) {
            check_digest(reference)?;
            index.delete_manifest(account, repo, reference).await?
        } else {
            check_tag(reference)?;
            index.delete_tag(account, repo, reference).await?
        };
        if !gone {
            return Err(RegistryError::ManifestUnknown(reference.to_owned()));
        }
        Ok(())
    }

    /// Tags in lexical order after `last`, at most `n`.
    pub async fn list_tags(
        &self,
        account: &AccountId,
        repo: &str,
        last: Option<&str>,
        n: usize,
    ) -> Result<Vec<String>> {
        self.repository(account, repo).await?;
        Ok(self.storage.index.list_tags(account, repo, last, n).await?)
    }

    /// Manifests (images) by digest after `after`, at most `limit`.
    pub async fn list_images(
        &self,
        account: &AccountId,
        repo: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<ManifestRow>> {
        self.repository(account, repo).await?;
        Ok(self
            .storage
            .index
            .list_manifests(account, repo, after, limit)
            .await?)
    }

    /// Manifests whose `subject` is `digest` (the referrers API).
    pub async fn referrers(
        &self,
        account: &AccountId,
        repo: &str,
        digest: &str,
    ) -> Result<Vec<ManifestRow>> {
        check_digest(digest)?;
        self.repository(account, repo).await?;
        Ok(self.storage.index.referrers(account, repo, digest).await?)
    }

    /// The manifest an ECR `ImageIdentifier` names; when both tag and
    /// digest are given they must agree.
    pub async fn find_image(
        &self,
        account: &AccountId,
        repo: &str,
        id: &ImageId,
    ) -> Result<ManifestRow> {
        let missing = || RegistryError::ManifestUnknown(describe(id));
        // A missing repository is reported as such, whatever the id names.
        self.repository(account, repo).await?;
        let digest = match (&id.tag, &id.digest) {
            (_, Some(d)) => d.clone(),
            (Some(t), None) => self
                .resolve_reference(account, repo, t)
                .await?
                .ok_or_else(missing)?,
            (None, None) => return Err(missing()),
        };
        let m = self.get_manifest(account, repo, &digest).await?;
        if let Some(t) = &id.tag {
            if !m.tags.contains(t) {
                return Err(missing());
            }
        }
        Ok(m)
    }
}

/// `tag`/`digest` for messages.
pub(crate) fn describe(id: &ImageId) -> String {
    match (&id.tag, &id.digest) {
        (Some(t), Some(d)) => format!("imageTag={t}, imageDigest={d}"),
        (Some(t), None) => format!("imageTag={t}"),
        (None, Some(d)) => format!("imageDigest={d}"),
        (None, None) => "an empty image id".into(),
    }
}

fn check_descriptor(d: &Descriptor) -> Result<(), RegistryError> {
    check_digest(&d.digest).map_err(|e| invalid(e.to_string()))?;
    if d.size < 0 {
        return Err(invalid(format!(
            "descriptor {} has a negative size",
            d.digest
        )));
    }
    Ok(())
}
