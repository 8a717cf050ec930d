//! The rows of the identity tables (schema in `migrations/0006_identity.sql`)
//! and their conversions into the `IdentityStore` port's types.

use crate::error::{StoreError, Table};
use slipway_core::ports::identity::{Role, SessionCredential};

const SESSIONS: Table = Table("sessions");
const ROLES: Table = Table("roles");

/// The columns `DbRole` reads.
pub(crate) const ROLE_COLUMNS: &str = "account_id, name, path, role_id, arn, trust, description, \
     max_session, created, tags";

#[derive(sqlx::FromRow)]
pub(crate) struct DbSession {
    access_key_id: String,
    secret: String,
    session_token: String,
    account_id: String,
    expires: i64,
    principal_arn: String,
    user_id: String,
}

impl TryFrom<DbSession> for SessionCredential {
    type Error = StoreError;

    fn try_from(r: DbSession) -> Result<Self, StoreError> {
        Ok(SessionCredential {
            account: SESSIONS.account("account_id", &r.account_id)?,
            access_key_id: r.access_key_id,
            secret_access_key: r.secret,
            session_token: r.session_token,
            expires: r.expires,
            principal_arn: r.principal_arn,
            user_id: r.user_id,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct DbRole {
    account_id: String,
    name: String,
    path: String,
    role_id: String,
    arn: String,
    trust: String,
    description: Option<String>,
    max_session: i64,
    created: i64,
    tags: String,
}

impl TryFrom<DbRole> for Role {
    type Error = StoreError;

    fn try_from(r: DbRole) -> Result<Self, StoreError> {
        Ok(Role {
            account: ROLES.account("account_id", &r.account_id)?,
            tags: ROLES.json("tags", &r.tags)?,
            name: r.name,
            path: r.path,
            role_id: r.role_id,
            arn: r.arn,
            assume_role_policy: r.trust,
            description: r.description,
            max_session_duration: r.max_session,
            created: r.created,
        })
    }
}
