//! `RegistryIndex` on SQLite (schema in `migrations/0004_registry.sql`).
//! Writes share the store's one-connection writer pool, so "check the
//! parent, then write" inside a transaction is race-free.

use crate::error::{to_i64, to_json};
use crate::fetch;
use crate::rows::objects::segment_blobs;
use crate::rows::registry::{
    DbBlob, DbBlobUpload, DbManifest, DbRepository, BLOB_UPLOADS, MANIFEST_SELECT, REGISTRY_BLOBS,
};
use crate::{backend, SqliteStore};
use async_trait::async_trait;
use slipway_core::ports::blob::BlobKey;
use slipway_core::ports::metadata::MetaError;
use slipway_core::ports::objects::{Freed, Segment};
use slipway_core::ports::registry::{
    Append, BlobRow, BlobUploadRow, ImageScanRow, ManifestRow, PutManifest, RegistryIndex,
    RepoDelete, RepositoryRow, ScanFinding, StartScan,
};
use slipway_core::time_util::Micros;
use slipway_core::AccountId;
use sqlx::{Sqlite, Transaction};
use std::collections::HashSet;

async fn repo_exists(
    tx: &mut Transaction<'_, Sqlite>,
    account: &AccountId,
    name: &str,
) -> Result<Option<RepositoryRow>, MetaError> {
    Ok(fetch::optional(
        sqlx::query_as::<_, DbRepository>(
            "SELECT * FROM repositories WHERE account = ? AND name = ?",
        )
        .bind(account.as_str())
        .bind(name),
        &mut **tx,
    )
    .await?)
}

async fn link(
    tx: &mut Transaction<'_, Sqlite>,
    account: &AccountId,
    repo: &str,
    digest: &str,
) -> Result<(), MetaError> {
    sqlx::query("INSERT OR IGNORE INTO repo_blobs (account, repo, digest) VALUES (?, ?, ?)")
        .bind(account.as_str())
        .bind(repo)
        .bind(digest)
        .execute(&mut **tx)
        .await
        .map_err(backend)?;
    Ok(())
}

#[async_trait]
impl RegistryIndex for SqliteStore {
    async fn create_repository(&self, r: &RepositoryRow) -> Result<bool, MetaError> {
        let done = sqlx::query(
            "INSERT OR IGNORE INTO repositories (account, name, created, tags_mutable, scan_on_push, \
             mutability_exclusions, encryption_type, kms_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(r.account.as_str())
        .bind(&r.name)
        .bind(r.created)
        .bind(i64::from(r.tags_mutable))
        .bind(i64::from(r.scan_on_push))
        .bind(to_json(&r.mutability_exclusions)?)
        .bind(&r.encryption_type)
        .bind(&r.kms_key)
        .execute(&self.writer)
        .await
        .map_err(backend)?;
        Ok(done.rows_affected() == 1)
    }

    async fn get_repository(
        &self,
        account: &AccountId,
        name: &str,
    ) -> Result<Option<RepositoryRow>, MetaError> {
        Ok(fetch::optional(
            sqlx::query_as::<_, DbRepository>(
                "SELECT * FROM repositories WHERE account = ? AND name = ?",
            )
            .bind(account.as_str())
            .bind(name),
            &self.reader,
        )
        .await?)
    }

    async fn list_repositories(
        &self,
        account: &AccountId,
    ) -> Result<Vec<RepositoryRow>, MetaError> {
        Ok(fetch::all(
            sqlx::query_as::<_, DbRepository>(
                "SELECT * FROM repositories WHERE account = ? ORDER BY name",
            )
            .bind(account.as_str()),
            &self.reader,
        )
        .await?)
    }

    async fn update_repository(&self, r: &RepositoryRow) -> Result<bool, MetaError> {
        let done = sqlx::query(
            "UPDATE repositories SET tags_mutable = ?, scan_on_push = ?, mutability_exclusions = ?, \
             encryption_type = ?, kms_key = ? WHERE account = ? AND name = ?",
        )
        .bind(i64::from(r.tags_mutable))
        .bind(i64::from(r.scan_on_push))
        .bind(to_json(&r.mutability_exclusions)?)
        .bind(&r.encryption_type)
        .bind(&r.kms_key)
        .bind(r.account.as_str())
        .bind(&r.name)
        .execute(&self.writer)
        .await
        .map_err(backend)?;
        Ok(done.rows_affected() == 1)
    }

    async fn delete_repository(
        &self,
        account: &AccountId,
        name: &str,
        force: bool,
    ) -> Result<RepoDelete, MetaError> {
        let mut tx = self
            .writer
            .begin_with(crate::IMMEDIATE)
            .await
            .map_err(backend)?;
        if repo_exists(&mut tx, account, name).await?.is_none() {
            return Ok(RepoDelete::Missing);
        }
        if !force {
            let busy =
                sqlx::query("SELECT 1 FROM manifests WHERE account = ? AND repo = ? LIMIT 1")
                    .bind(account.as_str())
                    .bind(name)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(backend)?;
            if busy.is_some() {
                return Ok(RepoDelete::NotEmpty);
            }
        }
        // Upload segments are not freed here: the start-up orphan sweep
        // collects them (they are no longer referenced by any row).
        for table in [
            "DELETE FROM manifests WHERE account = ?1 AND repo = ?2",
            "DELETE FROM image_tags WHERE account = ?1 AND repo = ?2",
            "DELETE FROM repo_blobs WHERE account = ?1 AND repo = ?2",
            "DELETE FROM blob_uploads WHERE account = ?1 AND repo = ?2",
            "DELETE FROM repositories WHERE account = ?1 AND name = ?2",
        ] {
            sqlx::query(table)
                .bind(account.as_str())
                .bind(name)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(RepoDelete::Deleted)
    }

    async fn get_blob(&self, digest: &str) -> Result<Option<BlobRow>, MetaError> {
        Ok(fetch::optional(
            sqlx::query_as::<_, DbBlob>("SELECT * FROM registry_blobs WHERE digest = ?")
                .bind(digest),
            &self.reader,
        )
        .await?)
    }

    async fn repo_blob(
        &self,
        account: &AccountId,
        repo: &str,
        digest: &str,
    ) -> Result<Option<BlobRow>, MetaError> {
        Ok(fetch::optional(
            sqlx::query_as::<_, DbBlob>(
                "SELECT b.* FROM registry_blobs b JOIN repo_blobs l ON l.digest = b.digest \
                 WHERE l.account = ? AND l.repo = ? AND l.digest = ?",
            )
            .bind(account.as_str())
            .bind(repo)
            .bind(digest),
            &self.reader,
        )
        .await?)
    }

    async fn link_blob(
        &self,
        account: &AccountId,
        repo: &str,
        digest: &str,
    ) -> Result<bool, MetaError> {
        let mut tx = self
            .writer
            .begin_with(crate::IMMEDIATE)
            .await
            .map_err(backend)?;
        if repo_exists(&mut tx, account, repo).await?.is_none() {
            return Err(MetaError::MissingParent(repo.to_owned()));
        }
        let exists = sqlx::query("SELECT 1 FROM registry_blobs WHERE digest = ?")
            .bind(digest)
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?
            .is_some();
        if exists {
            link(&mut tx, account, repo, digest).await?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(exists)
    }

    async fn unlink_blob(
        &self,
        account: &AccountId,
        repo: &str,
        digest: &str,
    ) -> Result<bool, MetaError> {
        let done =
            sqlx::query("DELETE FROM repo_blobs WHERE account = ? AND repo = ? AND digest = ?")
                .bind(account.as_str())
                .bind(repo)
                .bind(digest)
                .execute(&self.writer)
                .await
                .map_err(backend)?;
        Ok(done.rows_affected() == 1)
    }

    async fn create_blob_upload(&self, u: &BlobUploadRow) -> Result<(), MetaError> {
        let mut tx = self
            .writer
            .begin_with(crate::IMMEDIATE)
            .await
            .map_err(backend)?;
        if repo_exists(&mut tx, &u.account, &u.repo).await?.is_none() {
            return Err(MetaError::MissingParent(u.repo.clone()));
        }
        sqlx::query(
            "INSERT INTO blob_uploads (id, account, repo, started, size, segments) \
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(&u.id)
        .bind(u.account.as_str())
        .bind(&u.repo)
        .bind(u.started)
        .bind(to_i64(u.size)?)
        .bind(to_json(&u.segments)?)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        Ok(())
    }

    async fn get_blob_upload(&self, id: &str) -> Result<Option<BlobUploadRow>, MetaError> {
        Ok(fetch::optional(
            sqlx::query_as::<_, DbBlobUpload>("SELECT * FROM blob_uploads WHERE id = ?").bind(id),
            &self.reader,
        )
        .await?)
    }

    async fn append_blob_upload(
        &self,
        id: &str,
        offset: u64,
        segment: &Segment,
    ) -> Result<Append, MetaError> {
        let mut tx = self
            .writer
            .begin_with(crate::IMMEDIATE)
            .await
            .map_err(backend)?;
        let up: Option<BlobUploadRow> = fetch::optional(
            sqlx::query_as::<_, DbBlobUpload>("SELECT * FROM blob_uploads WHERE id = ?").bind(id),
            &mut *tx,
        )
        .await?;
        let Some(mut up) = up else {
            return Ok(Append::Missing);
        };
        if up.size != offset {
            return Ok(Append::OutOfOrder(up.size));
        }
        up.size += segment.size;
        up.segments.push(segment.clone());
        sqlx::query("UPDATE blob_uploads SET size = ?, segments = ? WHERE id = ?")
            .bind(to_i64(up.size)?)
            .bind(to_json(&up.segments)?)
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        Ok(Append::Appended(up.size))
    }

    async fn delete_blob_upload(&self, id: &str) -> Result<Option<Freed>, MetaError> {
        let up: Option<BlobUploadRow> = fetch::optional(
            sqlx::query_as::<_, DbBlobUpload>("DELETE FROM blob_uploads WHERE id = ? RETURNING *")
                .bind(id),
            &self.writer,
        )
        .await?;
        let Some(up) = up else { return Ok(None) };
        Ok(Some(Freed {
            blobs: up.segments.into_iter().map(|s| s.blob).collect(),
        }))
    }

    async fn finish_blob_upload(&self, id: &str, blob: &BlobRow) -> Result<Freed, MetaError> {
        let mut tx = self
            .writer
            .begin_with(crate::IMMEDIATE)
            .await
            .map_err(backend)?;
        let up: Option<BlobUploadRow> = fetch::optional(
            sqlx::query_as::<_, DbBlobUpload>("DELETE FROM blob_uploads WHERE id = ? RETURNING *")
                .bind(id),
            &mut *tx,
        )
        .await?;
        let Some(up) = up else {
            return Err(MetaError::MissingParent(id.to_owned()));
        };
        if repo_exists(&mut tx, &up.account, &up.repo).await?.is_none() {
            return Err(MetaError::MissingParent(up.repo));
        }
        let inserted = sqlx::query(
            "INSERT OR IGNORE INTO registry_blobs (digest, size, segments) VALUES (?, ?, ?)",
        )
        .bind(&blob.digest)
        .bind(to_i64(blob.size)?)
        .bind(to_json(&blob.segments)?)
        .execute(&mut *tx)
        .await
        .map_err(backend)?
        .rows_affected()
            == 1;
        link(&mut tx, &up.account, &up.repo, &blob.digest).await?;
        tx.commit().await.map_err(backend)?;
        let used: HashSet<&BlobKey> = if inserted {
            blob.segments.iter().map(|s| &s.blob).collect()
        } else {
            HashSet::new()
        };
        Ok(Freed {
            blobs: up
                .segments
                .iter()
                .map(|s| &s.blob)
                .filter(|b| !used.contains(b))
                .cloned()
                .collect(),
        })
    }

    async fn put_manifest(
        &self,
        m: &ManifestRow,
        tag: Option<&str>,
    ) -> Result<PutManifest, MetaError> {
        let mut tx = self
            .writer
            .begin_with(crate::IMMEDIATE)
            .await
            .map_err(backend)?;
        let Some(repo) = repo_exists(&mut tx, &m.account, &m.repo).await? else {
            return Err(MetaError::MissingParent(m.repo.clone()));
        };
        if let Some(tag) = tag {
            let current: Option<String> = sqlx::query_scalar(
                "SELECT digest FROM image_tags WHERE account = ? AND repo = ? AND tag = ?",
            )
            .bind(m.account.as_str())
            .bind(&m.repo)
            .bind(tag)
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?;
            if let Some(current) = current {
                if current != m.digest && !repo.tag_mutable(tag) {
                    return Ok(PutManifest::TagImmutable);
                }
            }
        }
        sqlx::query(
            "INSERT OR IGNORE INTO manifests (account, repo, digest, media_type, body, subject, \
             refs, pushed) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(m.account.as_str())
        .bind(&m.repo)
        .bind(&m.digest)
        .bind(&m.media_type)
        .bind(&m.body)
        .bind(&m.subject)
        .bind(to_json(&m.references)?)
        .bind(m.pushed)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        if let Some(tag) = tag {
            sqlx::query(
                "INSERT INTO image_tags (account, repo, tag, digest) VALUES (?, ?, ?, ?) \
                 ON CONFLICT (account, repo, tag) DO UPDATE SET digest = excluded.digest",
            )
            .bind(m.account.as_str())
            .bind(&m.repo)
            .bind(tag)
            .bind(&m.digest)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(PutManifest::Stored)
    }

    async fn get_manifest(
        &self,
        account: &AccountId,
        repo: &str,
        digest: &str,
    ) -> Result<Option<ManifestRow>, MetaError> {
        Ok(fetch::optional(
            sqlx::query_as::<_, DbManifest>(&format!(
                "{MANIFEST_SELECT} WHERE m.account = ? AND m.repo = ? AND m.digest = ?"
            ))
            .bind(account.as_str())
            .bind(repo)
            .bind(digest),
            &self.reader,
        )
        .await?)
    }

    async fn resolve_tag(
        &self,
        account: &AccountId,
        repo: &str,
        tag: &str,
    ) -> Result<Option<String>, MetaError> {
        sqlx::query_scalar(
            "SELECT digest FROM image_tags WHERE account = ? AND repo = ? AND tag = ?",
        )
        .bind(account.as_str())
        .bind(repo)
        .bind(tag)
        .fetch_optional(&self.reader)
        .await
        .map_err(backend)
    }

    async fn list_tags(
        &self,
        account: &AccountId,
        repo: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<String>, MetaError> {
        sqlx::query_scalar(
            "SELECT tag FROM image_tags WHERE account = ? AND repo = ? AND tag > ? \
             ORDER BY tag LIMIT ?",
        )
        .bind(account.as_str())
        .bind(repo)
        .bind(after.unwrap_or(""))
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(&self.reader)
        .await
        .map_err(backend)
    }

    async fn list_manifests(
        &self,
        account: &AccountId,
        repo: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<ManifestRow>, MetaError> {
        Ok(fetch::all(
            sqlx::query_as::<_, DbManifest>(&format!(
                "{MANIFEST_SELECT} WHERE m.account = ? AND m.repo = ? AND m.digest > ? \
                 ORDER BY m.digest LIMIT ?"
            ))
            .bind(account.as_str())
            .bind(repo)
            .bind(after.unwrap_or(""))
            .bind(i64::try_from(limit).unwrap_or(i64::MAX)),
            &self.reader,
        )
        .await?)
    }

    async fn referrers(
        &self,
        account: &AccountId,
        repo: &str,
        digest: &str,
    ) -> Result<Vec<ManifestRow>, MetaError> {
        Ok(fetch::all(
            sqlx::query_as::<_, DbManifest>(&format!(
                "{MANIFEST_SELECT} WHERE m.account = ? AND m.repo = ? AND m.subject = ? \
                 ORDER BY m.digest"
            ))
            .bind(account.as_str())
            .bind(repo)
            .bind(digest),
            &self.reader,
        )
        .await?)
    }

    async fn delete_manifest(
        &self,
        account: &AccountId,
        repo: &str,
        digest: &str,
    ) -> Result<bool, MetaError> {
        let mut tx = self
            .writer
            .begin_with(crate::IMMEDIATE)
            .await
            .map_err(backend)?;
        let gone =
            sqlx::query("DELETE FROM manifests WHERE account = ? AND repo = ? AND digest = ?")
                .bind(account.as_str())
                .bind(repo)
                .bind(digest)
                .execute(&mut *tx)
                .await
                .map_err(backend)?
                .rows_affected()
                == 1;
        sqlx::query("DELETE FROM image_tags WHERE account = ? AND repo = ? AND digest = ?")
            .bind(account.as_str())
            .bind(repo)
            .bind(digest)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        Ok(gone)
    }

    async fn delete_tag(
        &self,
        account: &AccountId,
        repo: &str,
        tag: &str,
    ) -> Result<bool, MetaError> {
        let done = sqlx::query("DELETE FROM image_tags WHERE account = ? AND repo = ? AND tag = ?")
            .bind(account.as_str())
            .bind(repo)
            .bind(tag)
            .execute(&self.writer)
            .await
            .map_err(backend)?;
        Ok(done.rows_affected() == 1)
    }

    async fn start_image_scan(
        &self,
        scan: &ImageScanRow,
        not_before: Micros,
    ) -> Result<StartScan, MetaError> {
        crate::image_scans::start(self, scan, not_before).await
    }

    async fn finish_image_scan(
        &self,
        scan: &ImageScanRow,
        findings: &[ScanFinding],
    ) -> Result<bool, MetaError> {
        crate::image_scans::finish(self, scan, findings).await
    }

    async fn get_image_scan(
        &self,
        account: &AccountId,
        repo: &str,
        digest: &str,
    ) -> Result<Option<ImageScanRow>, MetaError> {
        crate::image_scans::get(self, account, repo, digest).await
    }

    async fn image_scan_findings(
        &self,
        account: &AccountId,
        repo: &str,
        digest: &str,
    ) -> Result<Vec<ScanFinding>, MetaError> {
        crate::image_scans::findings(self, account, repo, digest).await
    }

    async fn image_scans_in_progress(&self) -> Result<Vec<ImageScanRow>, MetaError> {
        crate::image_scans::in_progress(self).await
    }

    async fn collect_garbage(&self) -> Result<Freed, MetaError> {
        let segments: Vec<String> = sqlx::query_scalar(
            "DELETE FROM registry_blobs WHERE digest NOT IN (SELECT digest FROM repo_blobs) \
             RETURNING segments",
        )
        .fetch_all(&self.writer)
        .await
        .map_err(backend)?;
        let mut blobs = Vec::new();
        for text in &segments {
            blobs.extend(segment_blobs(REGISTRY_BLOBS, text)?);
        }
        Ok(Freed { blobs })
    }

    async fn registry_blob_keys(&self) -> Result<HashSet<BlobKey>, MetaError> {
        let mut out = HashSet::new();
        for (table, q) in [
            (REGISTRY_BLOBS, "SELECT segments FROM registry_blobs"),
            (BLOB_UPLOADS, "SELECT segments FROM blob_uploads"),
        ] {
            let segments: Vec<String> = sqlx::query_scalar(q)
                .fetch_all(&self.reader)
                .await
                .map_err(backend)?;
            for text in &segments {
                out.extend(segment_blobs(table, text)?);
            }
        }
        Ok(out)
    }
}
