//! The identity port: temporary credentials (STS) and IAM roles, per
//! account. Kept apart from `MetadataStore` because its records are not
//! SageMaker resources (no ARN-keyed tags, no revisions) and a scale-out
//! deployment may keep them elsewhere.

use crate::time_util::Micros;
use crate::AccountId;
use async_trait::async_trait;

/// Errors an identity store reports. Callers act on every variant but
/// `Backend`.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error("role {0} already exists")]
    RoleExists(String),
    #[error("role {0} does not exist")]
    NoSuchRole(String),
    #[error("policy {0} is not attached")]
    NotAttached(String),
    /// The role still has managed policies attached (IAM refuses to delete it).
    #[error("role {0} still has policies attached")]
    PoliciesAttached(String),
    #[error("identity store failure: {0}")]
    Backend(String),
}

/// Temporary credentials issued by GetSessionToken or AssumeRole: a key
/// pair like an account's, plus the session token every request signed
/// with it must carry, an expiry, and who the holder is.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionCredential {
    /// `ASIA…`, 20 characters.
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
    pub account: AccountId,
    /// Wall-clock microseconds after which the credentials are refused.
    pub expires: Micros,
    /// What GetCallerIdentity answers: `arn:aws:iam::ACCOUNT:root` or
    /// `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`.
    pub principal_arn: String,
    /// GetCallerIdentity's UserId: the account id, or `AROA…:SESSION`.
    pub user_id: String,
}

/// The secret and token are bearer credentials: never in logs.
impl std::fmt::Debug for SessionCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionCredential")
            .field("access_key_id", &self.access_key_id)
            .field("account", &self.account)
            .field("expires", &self.expires)
            .field("principal_arn", &self.principal_arn)
            .finish_non_exhaustive()
    }
}

/// An IAM role of one account. Names are unique per account without
/// regard to case, as in IAM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    pub account: AccountId,
    pub name: String,
    /// `/` or `/a/b/`.
    pub path: String,
    /// `AROA…`.
    pub role_id: String,
    pub arn: String,
    /// The trust policy, as the client sent it (JSON text, decoded from
    /// the form).
    pub assume_role_policy: String,
    pub description: Option<String>,
    /// Seconds, 3600..=43200.
    pub max_session_duration: i64,
    /// Wall-clock microseconds.
    pub created: Micros,
    pub tags: Vec<(String, String)>,
}

#[async_trait]
pub trait IdentityStore: Send + Sync + 'static {
    /// Stores issued temporary credentials; durable before it returns.
    async fn put_session(&self, session: &SessionCredential) -> Result<(), IdentityError>;
    async fn find_session(
        &self,
        access_key_id: &str,
    ) -> Result<Option<SessionCredential>, IdentityError>;
    /// Deletes credentials that expired before `before`; returns how many.
    async fn purge_sessions(&self, before: Micros) -> Result<u64, IdentityError>;

    /// Fails with `RoleExists` when the account has a role of that name
    /// (in any case).
    async fn create_role(&self, role: &Role) -> Result<(), IdentityError>;
    /// The role named `name` (in any case), if the account has it.
    async fn get_role(
        &self,
        account: &AccountId,
        name: &str,
    ) -> Result<Option<Role>, IdentityError>;
    /// Every role of the account, by name (case-insensitively).
    async fn list_roles(&self, account: &AccountId) -> Result<Vec<Role>, IdentityError>;
    /// Fails with `NoSuchRole`, or `PoliciesAttached` while any are.
    async fn delete_role(&self, account: &AccountId, name: &str) -> Result<(), IdentityError>;
    /// Idempotent; `NoSuchRole` when the role is absent.
    async fn attach_policy(
        &self,
        account: &AccountId,
        role: &str,
        policy_arn: &str,
    ) -> Result<(), IdentityError>;
    /// `NoSuchRole`, or `NotAttached` when the policy is not attached.
    async fn detach_policy(
        &self,
        account: &AccountId,
        role: &str,
        policy_arn: &str,
    ) -> Result<(), IdentityError>;
    /// Attached policy ARNs in attachment order; `NoSuchRole` when absent.
    async fn attached_policies(
        &self,
        account: &AccountId,
        role: &str,
    ) -> Result<Vec<String>, IdentityError>;
}
