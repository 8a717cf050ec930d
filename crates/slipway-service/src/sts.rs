//! STS: temporary credentials for the caller's account. GetSessionToken
//! gives the caller a second key of its own; AssumeRole one that acts as a
//! role of the caller's account. Both are stored (they outlive a restart)
//! and every front end accepts them with their session token until they
//! expire (`accounts::Credential::check_token`).

use crate::accounts::Principal;
use crate::iam::IamError;
use crate::{Result, Service};
use slipway_core::ports::identity::SessionCredential;
use slipway_core::time_util::Micros;
use slipway_core::{random_session_token, AccessKey, AccountId};

/// Expired credentials are kept this long before they are purged, so a
/// client still using them hears "expired" rather than "unknown key".
const PURGE_AFTER: Micros = 24 * 3600 * 1_000_000;

pub struct Sts<'a> {
    pub(crate) svc: &'a Service,
}

impl Sts<'_> {
    /// GetSessionToken: the caller's own identity, for `duration` seconds
    /// (default 43200; the model bounds it to 900..=129600).
    pub async fn get_session_token(
        &self,
        caller: &Principal,
        duration: Option<i64>,
    ) -> Result<SessionCredential> {
        if caller.temporary {
            return Err(IamError::AccessDenied(
                "Cannot call GetSessionToken with session credentials".into(),
            )
            .into());
        }
        self.issue(
            &caller.account,
            caller.arn.clone(),
            caller.user_id.clone(),
            duration.unwrap_or(43200),
        )
        .await
    }

    /// AssumeRole: `role_arn` must be a role of the caller's account.
    /// Duration defaults to 3600 and may not exceed the role's
    /// MaxSessionDuration, nor one hour when chaining roles.
    pub async fn assume_role(
        &self,
        caller: &Principal,
        role_arn: &str,
        session_name: &str,
        duration: Option<i64>,
    ) -> Result<SessionCredential> {
        let Some(role) = self
            .svc
            .iam()
            .role_for_arn(&caller.account, role_arn)
            .await?
        else {
            return Err(IamError::AccessDenied(format!(
                "User: {} is not authorized to perform: sts:AssumeRole on resource: {role_arn}",
                caller.arn
            ))
            .into());
        };
        let duration = duration.unwrap_or(3600);
        if caller.is_assumed_role() && duration > 3600 {
            return Err(IamError::Validation(
                "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.".into(),
            )
            .into());
        }
        if duration > role.max_session_duration {
            return Err(IamError::Validation(
                "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
                    .into(),
            )
            .into());
        }
        self.issue(
            &caller.account,
            format!(
                "arn:aws:sts::{}:assumed-role/{}/{session_name}",
                caller.account, role.name
            ),
            format!("{}:{session_name}", role.role_id),
            duration,
        )
        .await
    }

    async fn issue(
        &self,
        account: &AccountId,
        principal_arn: String,
        user_id: String,
        duration: i64,
    ) -> Result<SessionCredential> {
        let store = self.svc.identity.as_ref();
        // A test-only cap (SLIPWAY_TEST_SESSION_LIFETIME_SECONDS): expiry
        // can be tested without waiting out STS's 900-second minimum.
        let seconds = match self.svc.config.session_lifetime_cap {
            Some(cap) => duration.min(cap),
            None => duration,
        };
        let now = self.svc.wall_micros();
        let key = AccessKey::generate_temporary(account.clone());
        let session = SessionCredential {
            access_key_id: key.access_key_id,
            secret_access_key: key.secret_access_key,
            session_token: random_session_token(),
            account: account.clone(),
            expires: now + seconds * 1_000_000,
            principal_arn,
            user_id,
        };
        store
            .put_session(&session)
            .await
            .map_err(crate::iam::store_error)?;
        match store.purge_sessions(now - PURGE_AFTER).await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(n, "purged expired temporary credentials"),
            Err(e) => tracing::warn!(error = %e, "purging expired temporary credentials failed"),
        }
        Ok(session)
    }
}
