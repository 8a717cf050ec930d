//! The SQLite store, held still in virtual time: every call runs while a
//! blocking task is alive, which stops a paused tokio clock from
//! auto-advancing (the tokio documentation of `time::pause`, "Preventing
//! auto-advance"). Without it, a test whose runtime waits on SQLite's
//! worker threads looks idle, and virtual time would jump to the next timer
//! (a job's MaxRuntime, a ping deadline) while a query is still running.

use async_trait::async_trait;
use slipway_core::ports::blob::BlobKey;
use slipway_core::ports::identity::{IdentityError, IdentityStore, Role, SessionCredential};
use slipway_core::ports::logs::*;
use slipway_core::ports::metadata::{ListQuery, MetaError, MetadataStore, Page, Tag, TagLimit};
use slipway_core::ports::objects::*;
use slipway_core::time_util::Micros;
use slipway_core::{AccessKey, AccountId, ResourceKind, ResourceRecord};
use slipway_meta_sqlite::SqliteStore;
use std::collections::HashSet;
use std::future::Future;
use std::sync::Arc;

/// Keeps a paused clock from auto-advancing while it lives.
struct Hold {
    _release: std::sync::mpsc::Sender<()>,
}

impl Hold {
    fn new() -> Self {
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        if tokio::runtime::Handle::try_current().is_ok() {
            // Ends when the sender is dropped.
            tokio::task::spawn_blocking(move || {
                let _ = rx.recv();
            });
        }
        Self { _release: tx }
    }
}

/// Runs `f` with the clock held (see the module documentation).
pub async fn held<F: Future>(f: F) -> F::Output {
    let _hold = Hold::new();
    f.await
}

/// [`SqliteStore`] behind every port it implements, each call held.
pub struct HeldStore(pub Arc<SqliteStore>);

#[async_trait]
impl MetadataStore for HeldStore {
    async fn create_account(&self, key: &AccessKey, name: &str) -> Result<(), MetaError> {
        held(self.0.create_account(key, name)).await
    }

    async fn find_access_key(&self, access_key_id: &str) -> Result<Option<AccessKey>, MetaError> {
        held(self.0.find_access_key(access_key_id)).await
    }

    async fn list_access_keys(&self) -> Result<Vec<AccessKey>, MetaError> {
        held(self.0.list_access_keys()).await
    }

    async fn insert(&self, record: &ResourceRecord, tags: &[Tag]) -> Result<(), MetaError> {
        held(self.0.insert(record, tags)).await
    }

    async fn insert_version(
        &self,
        parent_kind: ResourceKind,
        record: ResourceRecord,
        tags: &[Tag],
        finish: &(dyn for<'r> Fn(&'r mut ResourceRecord, i64) + Send + Sync),
    ) -> Result<ResourceRecord, MetaError> {
        held(self.0.insert_version(parent_kind, record, tags, finish)).await
    }

    async fn get(
        &self,
        account: &AccountId,
        kind: ResourceKind,
        key: &str,
    ) -> Result<Option<ResourceRecord>, MetaError> {
        held(self.0.get(account, kind, key)).await
    }

    async fn update(&self, record: &ResourceRecord) -> Result<ResourceRecord, MetaError> {
        held(self.0.update(record)).await
    }

    async fn delete(
        &self,
        account: &AccountId,
        kind: ResourceKind,
        key: &str,
    ) -> Result<bool, MetaError> {
        held(self.0.delete(account, kind, key)).await
    }

    async fn list(&self, query: &ListQuery) -> Result<Page, MetaError> {
        held(self.0.list(query)).await
    }

    async fn count_children(
        &self,
        account: &AccountId,
        kind: ResourceKind,
        parent_key: &str,
    ) -> Result<u64, MetaError> {
        held(self.0.count_children(account, kind, parent_key)).await
    }

    async fn find_by_status(
        &self,
        kind: ResourceKind,
        statuses: &[&str],
    ) -> Result<Vec<ResourceRecord>, MetaError> {
        held(self.0.find_by_status(kind, statuses)).await
    }

    async fn put_tags(&self, arn: &str, tags: &[Tag], max_total: usize) -> Result<(), TagLimit> {
        held(self.0.put_tags(arn, tags, max_total)).await
    }

    async fn list_tags(&self, arn: &str) -> Result<Vec<Tag>, MetaError> {
        held(self.0.list_tags(arn)).await
    }

    async fn delete_tags(&self, arn: &str, keys: &[String]) -> Result<(), MetaError> {
        held(self.0.delete_tags(arn, keys)).await
    }
}

#[async_trait]
impl LogStore for HeldStore {
    async fn append(
        &self,
        account: &AccountId,
        group: &str,
        stream: &str,
        events: &[LogEvent],
    ) -> Result<(), LogError> {
        held(self.0.append(account, group, stream, events)).await
    }

    async fn put_events(
        &self,
        account: &AccountId,
        group: &str,
        stream: &str,
        events: &[LogEvent],
    ) -> Result<(), LogError> {
        held(self.0.put_events(account, group, stream, events)).await
    }

    async fn create_group(
        &self,
        account: &AccountId,
        group: &str,
        created_ms: i64,
    ) -> Result<(), LogError> {
        held(self.0.create_group(account, group, created_ms)).await
    }

    async fn create_stream(
        &self,
        account: &AccountId,
        group: &str,
        stream: &str,
        created_ms: i64,
    ) -> Result<(), LogError> {
        held(self.0.create_stream(account, group, stream, created_ms)).await
    }

    async fn delete_group(&self, account: &AccountId, group: &str) -> Result<(), LogError> {
        held(self.0.delete_group(account, group)).await
    }

    async fn list_groups(
        &self,
        account: &AccountId,
        prefix: Option<&str>,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<LogGroupInfo>, LogError> {
        held(self.0.list_groups(account, prefix, after, limit)).await
    }

    async fn list_streams(
        &self,
        account: &AccountId,
        group: &str,
        query: &StreamQuery,
    ) -> Result<Vec<LogStreamInfo>, LogError> {
        held(self.0.list_streams(account, group, query)).await
    }

    async fn read_stream(
        &self,
        account: &AccountId,
        group: &str,
        stream: &str,
        range: TimeRange,
        direction: Direction,
        limit: usize,
    ) -> Result<Vec<StoredEvent>, LogError> {
        held(
            self.0
                .read_stream(account, group, stream, range, direction, limit),
        )
        .await
    }

    async fn filter_events(
        &self,
        account: &AccountId,
        group: &str,
        query: &FilterQuery,
    ) -> Result<Vec<StoredEvent>, LogError> {
        held(self.0.filter_events(account, group, query)).await
    }
}

#[async_trait]
impl ObjectIndex for HeldStore {
    async fn create_bucket(&self, bucket: &BucketRow) -> Result<bool, MetaError> {
        held(self.0.create_bucket(bucket)).await
    }

    async fn get_bucket(&self, name: &str) -> Result<Option<BucketRow>, MetaError> {
        held(self.0.get_bucket(name)).await
    }

    async fn list_buckets(&self, owner: &AccountId) -> Result<Vec<BucketRow>, MetaError> {
        held(self.0.list_buckets(owner)).await
    }

    async fn delete_bucket(&self, name: &str) -> Result<BucketDelete, MetaError> {
        held(self.0.delete_bucket(name)).await
    }

    async fn put_object(&self, object: &ObjectRow) -> Result<Freed, MetaError> {
        held(self.0.put_object(object)).await
    }

    async fn get_object(&self, bucket: &str, key: &str) -> Result<Option<ObjectRow>, MetaError> {
        held(self.0.get_object(bucket, key)).await
    }

    async fn get_objects(
        &self,
        bucket: &str,
        keys: &[String],
    ) -> Result<Vec<ObjectRow>, MetaError> {
        held(self.0.get_objects(bucket, keys)).await
    }

    async fn delete_object(&self, bucket: &str, key: &str) -> Result<Option<Freed>, MetaError> {
        held(self.0.delete_object(bucket, key)).await
    }

    async fn list_objects(
        &self,
        bucket: &str,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<ObjectRow>, MetaError> {
        held(self.0.list_objects(bucket, prefix, after, limit)).await
    }

    async fn create_upload(&self, upload: &UploadRow) -> Result<(), MetaError> {
        held(self.0.create_upload(upload)).await
    }

    async fn get_upload(&self, upload_id: &str) -> Result<Option<UploadRow>, MetaError> {
        held(self.0.get_upload(upload_id)).await
    }

    async fn put_part(&self, part: &PartRow) -> Result<Freed, MetaError> {
        held(self.0.put_part(part)).await
    }

    async fn list_parts(
        &self,
        upload_id: &str,
        after: u32,
        limit: usize,
    ) -> Result<Vec<PartRow>, MetaError> {
        held(self.0.list_parts(upload_id, after, limit)).await
    }

    async fn list_uploads(
        &self,
        bucket: &str,
        prefix: &str,
        key_marker: Option<&str>,
        upload_id_marker: Option<&str>,
        limit: usize,
    ) -> Result<Vec<UploadRow>, MetaError> {
        held(
            self.0
                .list_uploads(bucket, prefix, key_marker, upload_id_marker, limit),
        )
        .await
    }

    async fn complete_upload(
        &self,
        upload_id: &str,
        object: &ObjectRow,
        done: &CompletedUpload,
        forget_before: Micros,
    ) -> Result<Freed, MetaError> {
        held(
            self.0
                .complete_upload(upload_id, object, done, forget_before),
        )
        .await
    }

    async fn get_completed_upload(
        &self,
        upload_id: &str,
    ) -> Result<Option<CompletedUpload>, MetaError> {
        held(self.0.get_completed_upload(upload_id)).await
    }

    async fn abort_upload(&self, upload_id: &str) -> Result<Option<Freed>, MetaError> {
        held(self.0.abort_upload(upload_id)).await
    }

    async fn referenced_blobs(&self) -> Result<HashSet<BlobKey>, MetaError> {
        held(self.0.referenced_blobs()).await
    }
}

#[async_trait]
impl IdentityStore for HeldStore {
    async fn put_session(&self, session: &SessionCredential) -> Result<(), IdentityError> {
        held(self.0.put_session(session)).await
    }

    async fn find_session(
        &self,
        access_key_id: &str,
    ) -> Result<Option<SessionCredential>, IdentityError> {
        held(self.0.find_session(access_key_id)).await
    }

    async fn purge_sessions(&self, before: Micros) -> Result<u64, IdentityError> {
        held(self.0.purge_sessions(before)).await
    }

    async fn create_role(&self, role: &Role) -> Result<(), IdentityError> {
        held(self.0.create_role(role)).await
    }

    async fn get_role(
        &self,
        account: &AccountId,
        name: &str,
    ) -> Result<Option<Role>, IdentityError> {
        held(self.0.get_role(account, name)).await
    }

    async fn list_roles(&self, account: &AccountId) -> Result<Vec<Role>, IdentityError> {
        held(self.0.list_roles(account)).await
    }

    async fn delete_role(&self, account: &AccountId, name: &str) -> Result<(), IdentityError> {
        held(self.0.delete_role(account, name)).await
    }

    async fn attach_policy(
        &self,
        account: &AccountId,
        role: &str,
        policy_arn: &str,
    ) -> Result<(), IdentityError> {
        held(self.0.attach_policy(account, role, policy_arn)).await
    }

    async fn detach_policy(
        &self,
        account: &AccountId,
        role: &str,
        policy_arn: &str,
    ) -> Result<(), IdentityError> {
        held(self.0.detach_policy(account, role, policy_arn)).await
    }

    async fn attached_policies(
        &self,
        account: &AccountId,
        role: &str,
    ) -> Result<Vec<String>, IdentityError> {
        held(self.0.attached_policies(account, role)).await
    }
}

#[async_trait]
impl slipway_core::ports::metrics::MetricStore for HeldStore {
    async fn append_samples(
        &self,
        account: &AccountId,
        job: &str,
        host: slipway_core::ports::metrics::HostNumber,
        samples: &[slipway_core::ports::metrics::MetricSample],
    ) -> Result<(), slipway_core::ports::metrics::MetricStoreError> {
        held(self.0.append_samples(account, job, host, samples)).await
    }

    async fn series(
        &self,
        account: &AccountId,
        job: &str,
        host: slipway_core::ports::metrics::HostNumber,
        metric: &str,
        start_ms: Option<i64>,
        end_ms: Option<i64>,
    ) -> Result<
        Vec<slipway_core::ports::metrics::MetricPoint>,
        slipway_core::ports::metrics::MetricStoreError,
    > {
        held(self.0.series(account, job, host, metric, start_ms, end_ms)).await
    }

    async fn latest(
        &self,
        account: &AccountId,
        job: &str,
        host: slipway_core::ports::metrics::HostNumber,
    ) -> Result<
        Vec<slipway_core::ports::metrics::LatestPoint>,
        slipway_core::ports::metrics::MetricStoreError,
    > {
        held(self.0.latest(account, job, host)).await
    }

    async fn list_series(
        &self,
        account: &AccountId,
        job: Option<&str>,
    ) -> Result<
        Vec<slipway_core::ports::metrics::SeriesInfo>,
        slipway_core::ports::metrics::MetricStoreError,
    > {
        held(self.0.list_series(account, job)).await
    }

    async fn delete_job(
        &self,
        account: &AccountId,
        job: &str,
    ) -> Result<(), slipway_core::ports::metrics::MetricStoreError> {
        held(self.0.delete_job(account, job)).await
    }
}
