//! `IdentityStore` on SQLite (schema in `migrations/0006_identity.sql`).
//! Writes go through the store's one-connection writer pool, so "check,
//! then write" inside one transaction is race-free.

use crate::fetch;
use crate::rows::identity::{DbRole, DbSession, ROLE_COLUMNS};
use crate::SqliteStore;
use async_trait::async_trait;
use slipway_core::ports::identity::{IdentityError, IdentityStore, Role, SessionCredential};
use slipway_core::time_util::Micros;
use slipway_core::AccountId;
use sqlx::Sqlite;

fn backend(e: sqlx::Error) -> IdentityError {
    IdentityError::Backend(e.to_string())
}

/// Whether the account has the role (inside a write transaction).
async fn role_exists(
    tx: &mut sqlx::Transaction<'_, Sqlite>,
    account: &AccountId,
    name: &str,
) -> Result<bool, IdentityError> {
    let row = sqlx::query("SELECT 1 FROM roles WHERE account_id = ? AND name_lower = ?")
        .bind(account.as_str())
        .bind(name.to_lowercase())
        .fetch_optional(&mut **tx)
        .await
        .map_err(backend)?;
    Ok(row.is_some())
}

#[async_trait]
impl IdentityStore for SqliteStore {
    async fn put_session(&self, s: &SessionCredential) -> Result<(), IdentityError> {
        sqlx::query(
            "INSERT INTO sessions (access_key_id, secret, session_token, account_id, expires, \
             principal_arn, user_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&s.access_key_id)
        .bind(&s.secret_access_key)
        .bind(&s.session_token)
        .bind(s.account.as_str())
        .bind(s.expires)
        .bind(&s.principal_arn)
        .bind(&s.user_id)
        .execute(&self.writer)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn find_session(
        &self,
        access_key_id: &str,
    ) -> Result<Option<SessionCredential>, IdentityError> {
        Ok(fetch::optional(
            sqlx::query_as::<_, DbSession>(
                "SELECT access_key_id, secret, session_token, account_id, expires, \
                 principal_arn, user_id FROM sessions WHERE access_key_id = ?",
            )
            .bind(access_key_id),
            &self.reader,
        )
        .await?)
    }

    async fn purge_sessions(&self, before: Micros) -> Result<u64, IdentityError> {
        let done = sqlx::query("DELETE FROM sessions WHERE expires < ?")
            .bind(before)
            .execute(&self.writer)
            .await
            .map_err(backend)?;
        Ok(done.rows_affected())
    }

    async fn create_role(&self, r: &Role) -> Result<(), IdentityError> {
        let tags = crate::error::to_json(&r.tags)?;
        let res = sqlx::query(
            "INSERT INTO roles (account_id, name_lower, name, path, role_id, arn, trust, \
             description, max_session, created, tags) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(r.account.as_str())
        .bind(r.name.to_lowercase())
        .bind(&r.name)
        .bind(&r.path)
        .bind(&r.role_id)
        .bind(&r.arn)
        .bind(&r.assume_role_policy)
        .bind(&r.description)
        .bind(r.max_session_duration)
        .bind(r.created)
        .bind(tags)
        .execute(&self.writer)
        .await;
        match res {
            Ok(_) => Ok(()),
            Err(e) if crate::is_unique_violation(&e) => {
                Err(IdentityError::RoleExists(r.name.clone()))
            }
            Err(e) => Err(backend(e)),
        }
    }

    async fn get_role(
        &self,
        account: &AccountId,
        name: &str,
    ) -> Result<Option<Role>, IdentityError> {
        Ok(fetch::optional(
            sqlx::query_as::<_, DbRole>(&format!(
                "SELECT {ROLE_COLUMNS} FROM roles WHERE account_id = ? AND name_lower = ?"
            ))
            .bind(account.as_str())
            .bind(name.to_lowercase()),
            &self.reader,
        )
        .await?)
    }

    async fn list_roles(&self, account: &AccountId) -> Result<Vec<Role>, IdentityError> {
        Ok(fetch::all(
            sqlx::query_as::<_, DbRole>(&format!(
                "SELECT {ROLE_COLUMNS} FROM roles WHERE account_id = ? ORDER BY name_lower"
            ))
            .bind(account.as_str()),
            &self.reader,
        )
        .await?)
    }

    async fn delete_role(&self, account: &AccountId, name: &str) -> Result<(), IdentityError> {
        let mut tx = self
            .writer
            .begin_with(crate::IMMEDIATE)
            .await
            .map_err(backend)?;
        if !role_exists(&mut tx, account, name).await? {
            return Err(IdentityError::NoSuchRole(name.to_owned()));
        }
        let attached = sqlx::query(
            "SELECT 1 FROM role_policies WHERE account_id = ? AND name_lower = ? LIMIT 1",
        )
        .bind(account.as_str())
        .bind(name.to_lowercase())
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?;
        if attached.is_some() {
            return Err(IdentityError::PoliciesAttached(name.to_owned()));
        }
        sqlx::query("DELETE FROM roles WHERE account_id = ? AND name_lower = ?")
            .bind(account.as_str())
            .bind(name.to_lowercase())
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        tx.commit().await.map_err(backend)
    }

    async fn attach_policy(
        &self,
        account: &AccountId,
        role: &str,
        policy_arn: &str,
    ) -> Result<(), IdentityError> {
        let mut tx = self
            .writer
            .begin_with(crate::IMMEDIATE)
            .await
            .map_err(backend)?;
        if !role_exists(&mut tx, account, role).await? {
            return Err(IdentityError::NoSuchRole(role.to_owned()));
        }
        sqlx::query(
            "INSERT OR IGNORE INTO role_policies (account_id, name_lower, policy_arn, seq) \
             VALUES (?1, ?2, ?3, (SELECT COALESCE(MAX(seq), 0) + 1 FROM role_policies \
             WHERE account_id = ?1 AND name_lower = ?2))",
        )
        .bind(account.as_str())
        .bind(role.to_lowercase())
        .bind(policy_arn)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        tx.commit().await.map_err(backend)
    }

    async fn detach_policy(
        &self,
        account: &AccountId,
        role: &str,
        policy_arn: &str,
    ) -> Result<(), IdentityError> {
        let mut tx = self
            .writer
            .begin_with(crate::IMMEDIATE)
            .await
            .map_err(backend)?;
        if !role_exists(&mut tx, account, role).await? {
            return Err(IdentityError::NoSuchRole(role.to_owned()));
        }
        let done = sqlx::query(
            "DELETE FROM role_policies WHERE account_id = ? AND name_lower = ? AND policy_arn = ?",
        )
        .bind(account.as_str())
        .bind(role.to_lowercase())
        .bind(policy_arn)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        if done.rows_affected() == 0 {
            return Err(IdentityError::NotAttached(policy_arn.to_owned()));
        }
        tx.commit().await.map_err(backend)
    }

    async fn attached_policies(
        &self,
        account: &AccountId,
        role: &str,
    ) -> Result<Vec<String>, IdentityError> {
        if self.get_role(account, role).await?.is_none() {
            return Err(IdentityError::NoSuchRole(role.to_owned()));
        }
        sqlx::query_scalar(
            "SELECT policy_arn FROM role_policies WHERE account_id = ? AND name_lower = ? \
             ORDER BY seq",
        )
        .bind(account.as_str())
        .bind(role.to_lowercase())
        .fetch_all(&self.reader)
        .await
        .map_err(backend)
    }
}
