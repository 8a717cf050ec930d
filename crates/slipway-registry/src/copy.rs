//! Copying an image between accounts by digest (Marketplace publishing,
//! docs/marketplace.md): blobs are content-addressed and shared by the
//! whole registry, so a copy links the same blobs into the target
//! repository and stores the same manifest bytes there. Nothing is
//! re-uploaded, and deleting the source image later leaves the copy whole
//! (a blob is freed only when no repository links it).

use crate::manifests::MediaType;
use crate::names::check_digest;
use crate::{Registry, RegistryError, RepositorySettings, Result};
use slipway_core::AccountId;

/// How deep an index may nest (an index of indexes is legal but rare).
const MAX_DEPTH: usize = 4;

impl Registry<'_> {
    /// Copies the manifest `digest` of `from_repo` in `from` (and, for an
    /// index, every child manifest) into `to_repo` of `to`, creating that
    /// repository when it is missing. Returns the digest (unchanged: the
    /// bytes are the same).
    pub async fn copy_image(
        &self,
        from: &AccountId,
        from_repo: &str,
        digest: &str,
        to: &AccountId,
        to_repo: &str,
    ) -> Result<String> {
        check_digest(digest)?;
        match self
            .create_repository(to, to_repo, RepositorySettings::default())
            .await
        {
            Ok(_) | Err(RegistryError::RepositoryAlreadyExists { .. }) => {}
            Err(e) => return Err(e),
        }
        self.copy_manifest(from, from_repo, digest, to, to_repo, 0)
            .await?;
        Ok(digest.to_owned())
    }

    async fn copy_manifest(
        &self,
        from: &AccountId,
        from_repo: &str,
        digest: &str,
        to: &AccountId,
        to_repo: &str,
        depth: usize,
    ) -> Result<()> {
        if depth > MAX_DEPTH {
            return Err(RegistryError::ManifestInvalid(format!(
                "image index nested more than {MAX_DEPTH} deep"
            )));
        }
        let row = self.get_manifest(from, from_repo, digest).await?;
        let index = MediaType::parse(&row.media_type).is_some_and(MediaType::is_index);
        for reference in &row.references {
            if index {
                Box::pin(self.copy_manifest(from, from_repo, reference, to, to_repo, depth + 1))
                    .await?;
            } else if !self.storage.index.link_blob(to, to_repo, reference).await? {
                return Err(RegistryError::BlobUnknown(reference.clone()));
            }
        }
        self.put_manifest(to, to_repo, digest, Some(&row.media_type), &row.body)
            .await?;
        Ok(())
    }
}
