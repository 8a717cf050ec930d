//! OCI distribution and ECR semantics, on the `RegistryIndex` and
//! `BlobStore` ports of `slipway-core`: repositories and their settings,
//! blobs and uploads, manifests and tags, registry tokens, and image
//! resolution for the job runtime. Knows no HTTP (the wire crate maps
//! [`RegistryError`] to OCI codes and ECR exceptions), no SQL, and nothing
//! of the control plane, which resolves a job's image through [`Registry`]
//! (docs/architecture.md, "Layers").
//!
//! Rules: repositories belong to an account (ECR's registry id), so every
//! call names `(account, repository)` and one account never reaches
//! another's images. Blob bytes are durable in the `BlobStore` before the
//! row that makes them visible is committed, and every digest is verified
//! before anything is committed, so a failed or truncated push leaves no
//! half-stored blob or manifest behind (only unreferenced bytes, which the
//! start-up sweep removes).

mod blobs;
mod copy;
mod manifests;
mod names;
mod resolve;
mod scans;
mod tokens;

pub use blobs::{BlobRead, ChunkRange, UploadStatus};
pub use manifests::{ImageId, MediaType, PushedManifest};
pub use names::{
    check_digest, check_repository_name, check_tag, is_digest, sha256_digest, DigestAlgorithm,
};
pub use resolve::{ImageUri, ResolvedImage};
pub use scans::{FindingsPage, ImageScan, ScanSettings, StartedScan, NO_SCANNER_MESSAGE};
pub use tokens::AuthorizationToken;

use slipway_core::ports::blob::{BlobError, BlobStore};
use slipway_core::ports::clock::Clock;
use slipway_core::ports::metadata::MetaError;
use slipway_core::ports::objects::Freed;
use slipway_core::ports::registry::{RegistryIndex, RepoDelete, RepositoryRow};
use slipway_core::AccountId;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// This crate's results.
pub type Result<T, E = RegistryError> = std::result::Result<T, E>;

/// Settings of the registry.
#[derive(Debug, Clone)]
pub struct RegistryConfig {
    /// Key that signs registry tokens (HMAC-SHA256). Tokens made with one
    /// key are refused by a server holding another.
    pub token_secret: Vec<u8>,
    /// How long a token from GetAuthorizationToken is good for (seconds).
    /// Default 12 hours, as ECR.
    pub token_ttl_seconds: i64,
    /// Largest manifest accepted (bytes). Default 4 MiB, as ECR and the
    /// CNCF distribution registry.
    pub max_manifest_bytes: usize,
}

impl RegistryConfig {
    pub const DEFAULT_TOKEN_TTL_SECONDS: i64 = 12 * 3600;
    pub const DEFAULT_MAX_MANIFEST_BYTES: usize = 4 * 1024 * 1024;
}

/// The ports and state the registry runs on.
pub struct RegistryStorage {
    pub(crate) index: Arc<dyn RegistryIndex>,
    pub(crate) blobs: Arc<dyn BlobStore>,
    pub(crate) config: RegistryConfig,
    /// `host:port` this server is reached at from the local container
    /// engine; known once the listener is bound (`set_listen_addr`).
    pub(crate) listen_addr: OnceLock<String>,
    /// Running SHA-256 of uploads in progress (id → bytes hashed, state),
    /// so finishing a chunked upload does not re-read it. Lost on restart:
    /// then the digest is recomputed from the stored chunks.
    pub(crate) hashers: Mutex<HashMap<String, (u64, sha2::Sha256)>>,
    /// The vulnerability scanner and the limits scans run under.
    pub(crate) scans: Arc<scans::ScanRuntime>,
}

impl RegistryStorage {
    /// Metadata in `index`, blob bytes in `blobs` (a store of its own: the
    /// S3 orphan sweep must not see these).
    pub fn new(
        index: Arc<dyn RegistryIndex>,
        blobs: Arc<dyn BlobStore>,
        config: RegistryConfig,
    ) -> Self {
        Self {
            index,
            blobs,
            config,
            listen_addr: OnceLock::new(),
            hashers: Mutex::new(HashMap::new()),
            scans: Arc::new(scans::ScanRuntime::new(ScanSettings::default())),
        }
    }

    /// The same storage with image scans run as `settings` say (without
    /// this, no scanner is configured and every scan fails saying so).
    pub fn with_scanning(mut self, settings: ScanSettings) -> Self {
        self.scans = Arc::new(scans::ScanRuntime::new(settings));
        self
    }
}

/// Registry conditions a client acts on. The wire crate maps each to its
/// OCI error code (and ECR exception name) in one place.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("blob unknown to registry: {0}")]
    BlobUnknown(String),
    #[error("blob upload invalid: {0}")]
    BlobUploadInvalid(String),
    #[error("blob upload unknown to registry")]
    BlobUploadUnknown,
    /// A chunk did not start where the upload ends (which it reports).
    #[error("chunk out of order: the upload holds {size} bytes")]
    UploadOutOfOrder { size: u64 },
    #[error("provided digest did not match uploaded content: {0}")]
    DigestInvalid(String),
    #[error("blob unknown to registry: {0}")]
    ManifestBlobUnknown(String),
    #[error("manifest invalid: {0}")]
    ManifestInvalid(String),
    #[error("manifest of {size} bytes exceeds the limit of {limit} bytes")]
    ManifestTooLarge { size: usize, limit: usize },
    #[error("manifest unknown: {0}")]
    ManifestUnknown(String),
    #[error("invalid repository name: {0}")]
    NameInvalid(String),
    #[error(
        "The repository with name '{name}' does not exist in the registry with id '{account}'"
    )]
    NameUnknown { name: String, account: AccountId },
    #[error("invalid tag: {0}")]
    TagInvalid(String),
    #[error("The image tag '{tag}' already exists in the '{repo}' repository and cannot be overwritten because the repository is immutable.")]
    TagImmutable { tag: String, repo: String },
    #[error(
        "The repository with name '{name}' already exists in the registry with id '{account}'"
    )]
    RepositoryAlreadyExists { name: String, account: AccountId },
    #[error("The repository with name '{name}' in registry with id '{account}' cannot be deleted because it still contains images")]
    RepositoryNotEmpty { name: String, account: AccountId },
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// ECR `UnsupportedImageTypeException`: the image cannot be scanned.
    #[error("{0}")]
    UnsupportedImageType(String),
    /// ECR `LimitExceededException`: the image was scanned too recently.
    #[error("{0}")]
    ScanLimitExceeded(String),
    /// ECR `ScanNotFoundException`: the image has never been scanned.
    #[error("{0}")]
    ScanNotFound(String),
    /// A request member that cannot be used (a foreign `nextToken`).
    #[error("{0}")]
    InvalidParameter(String),
    #[error("requested access to the resource is denied: {0}")]
    Denied(String),
    #[error("authentication required: {0}")]
    Unauthorized(String),
    #[error("The requested range is not satisfiable")]
    RangeInvalid { size: u64 },
    /// The request body failed while streaming (client went away).
    #[error("request body: {0}")]
    Body(std::io::Error),
    /// A row changed under a read-modify-write; the client may retry.
    #[error("{0}")]
    Conflict(String),
    /// A store failed; nothing a client can act on.
    #[error("internal error")]
    Internal {
        context: String,
        #[source]
        source: BoxError,
    },
}

impl RegistryError {
    pub fn internal(context: impl Into<String>, source: impl Into<BoxError>) -> Self {
        Self::Internal {
            context: context.into(),
            source: source.into(),
        }
    }
}

impl From<MetaError> for RegistryError {
    fn from(e: MetaError) -> Self {
        match e {
            MetaError::Conflict(what) => Self::Conflict(format!(
                "{what} was modified concurrently; retry the request"
            )),
            other => Self::internal("metadata store", other),
        }
    }
}

pub(crate) fn blob_error(e: BlobError) -> RegistryError {
    match e {
        BlobError::Body(io) => RegistryError::Body(io),
        other => RegistryError::internal("registry blob store", other),
    }
}

/// Registry operations: a view of the ports and the clock every stored
/// time and token expiry comes from.
pub struct Registry<'a> {
    storage: &'a RegistryStorage,
    clock: &'a Arc<dyn Clock>,
}

/// ECR-style repository settings; `None` keeps (or, on creation,
/// defaults) a setting.
#[derive(Debug, Clone, Default)]
pub struct RepositorySettings {
    /// Whether tags move, and the wildcard filters naming the tags that
    /// behave the other way (set together, as ECR sets them).
    pub tag_mutability: Option<(bool, Vec<String>)>,
    pub scan_on_push: Option<bool>,
    /// Encryption type and KMS key, kept as given (set on creation only,
    /// as on ECR).
    pub encryption: Option<(String, Option<String>)>,
}

impl<'a> Registry<'a> {
    /// The clock is shared (an `Arc`) because scans run on after the call
    /// that starts them and stamp their end with it.
    pub fn new(storage: &'a RegistryStorage, clock: &'a Arc<dyn Clock>) -> Self {
        Self { storage, clock }
    }

    /// Now, on the wall clock.
    pub(crate) fn wall_micros(&self) -> slipway_core::time_util::Micros {
        self.clock.wall_micros()
    }

    /// Records the address the server listens on (first call wins): pull
    /// references handed to the container engine point there.
    pub fn set_listen_addr(&self, addr: &str) {
        let _ = self.storage.listen_addr.set(addr.to_owned());
    }

    /// Largest manifest accepted: the wire reads at most one byte more.
    pub fn max_manifest_bytes(&self) -> usize {
        self.storage.config.max_manifest_bytes
    }

    /// The `host:port` of this registry as the local engine reaches it.
    pub fn listen_addr(&self) -> Option<String> {
        self.storage.listen_addr.get().cloned()
    }

    /// The repository, or `NameUnknown`.
    pub async fn repository(&self, account: &AccountId, name: &str) -> Result<RepositoryRow> {
        check_repository_name(name)?;
        self.storage
            .index
            .get_repository(account, name)
            .await?
            .ok_or_else(|| RegistryError::NameUnknown {
                name: name.to_owned(),
                account: account.clone(),
            })
    }

    pub async fn create_repository(
        &self,
        account: &AccountId,
        name: &str,
        settings: RepositorySettings,
    ) -> Result<RepositoryRow> {
        check_repository_name(name)?;
        let (tags_mutable, mutability_exclusions) =
            settings.tag_mutability.unwrap_or((true, Vec::new()));
        let (encryption_type, kms_key) = settings
            .encryption
            .unwrap_or_else(|| ("AES256".to_owned(), None));
        let row = RepositoryRow {
            account: account.clone(),
            name: name.to_owned(),
            created: self.wall_micros(),
            tags_mutable,
            mutability_exclusions,
            scan_on_push: settings.scan_on_push.unwrap_or(false),
            encryption_type,
            kms_key,
        };
        if !self.storage.index.create_repository(&row).await? {
            return Err(RegistryError::RepositoryAlreadyExists {
                name: name.to_owned(),
                account: account.clone(),
            });
        }
        Ok(row)
    }

    pub async fn list_repositories(&self, account: &AccountId) -> Result<Vec<RepositoryRow>> {
        Ok(self.storage.index.list_repositories(account).await?)
    }

    /// Changes tag mutability / scan-on-push; returns the new row.
    pub async fn update_repository(
        &self,
        account: &AccountId,
        name: &str,
        settings: RepositorySettings,
    ) -> Result<RepositoryRow> {
        let mut row = self.repository(account, name).await?;
        if let Some((mutable, exclusions)) = settings.tag_mutability {
            row.tags_mutable = mutable;
            row.mutability_exclusions = exclusions;
        }
        if let Some((kind, key)) = settings.encryption {
            row.encryption_type = kind;
            row.kms_key = key;
        }
        if let Some(s) = settings.scan_on_push {
            row.scan_on_push = s;
        }
        if !self.storage.index.update_repository(&row).await? {
            return Err(RegistryError::NameUnknown {
                name: name.to_owned(),
                account: account.clone(),
            });
        }
        Ok(row)
    }

    /// Deletes a repository (refused while it holds images unless
    /// `force`), then frees blobs no other repository links.
    pub async fn delete_repository(
        &self,
        account: &AccountId,
        name: &str,
        force: bool,
    ) -> Result<RepositoryRow> {
        let row = self.repository(account, name).await?;
        match self
            .storage
            .index
            .delete_repository(account, name, force)
            .await?
        {
            RepoDelete::Deleted => {}
            RepoDelete::Missing => {
                return Err(RegistryError::NameUnknown {
                    name: name.to_owned(),
                    account: account.clone(),
                })
            }
            RepoDelete::NotEmpty => {
                return Err(RegistryError::RepositoryNotEmpty {
                    name: name.to_owned(),
                    account: account.clone(),
                })
            }
        }
        self.collect_garbage().await?;
        Ok(row)
    }

    /// Frees the bytes of blobs no repository links any more. Returns how
    /// many blob segments were deleted.
    pub async fn collect_garbage(&self) -> Result<usize> {
        let freed = self.storage.index.collect_garbage().await?;
        let n = freed.blobs.len();
        self.free(freed).await;
        Ok(n)
    }

    /// Deletes blobs that no row references and that were last modified
    /// before `older_than` (what a crash mid-upload leaves). Run at start-up.
    pub async fn sweep_orphans(&self, older_than: i64) -> Result<usize> {
        let st = self.storage;
        let blobs = st.blobs.list().await.map_err(blob_error)?;
        let referenced = st.index.registry_blob_keys().await?;
        let mut n = 0;
        for b in blobs {
            if b.modified < older_than && !referenced.contains(&b.key) {
                st.blobs.delete(&b.key).await.map_err(blob_error)?;
                n += 1;
            }
        }
        Ok(n)
    }

    /// Deletes blobs a committed change freed; failures only leave
    /// orphans for the sweep, so they are logged.
    pub(crate) async fn free(&self, freed: Freed) {
        let st = self.storage;
        for b in freed.blobs {
            if let Err(e) = st.blobs.delete(&b).await {
                tracing::warn!(blob = %b, error = %e, "cannot delete freed registry blob; the sweep will");
            }
        }
    }
}
