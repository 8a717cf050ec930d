//! Accounts and access keys, long-term and temporary.

use crate::{Result, Service};
use slipway_core::ports::identity::SessionCredential;
use slipway_core::time_util::Micros;
use slipway_core::{AccessKey, AccountId};

pub struct Accounts<'a> {
    pub(crate) svc: &'a Service,
}

/// A key that may sign requests: an account's own key, or temporary
/// credentials (STS) with the session they belong to.
#[derive(Debug, Clone)]
pub struct Credential {
    pub key: AccessKey,
    pub session: Option<SessionCredential>,
}

/// Why a request's session token does not go with its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenFault {
    /// Temporary credentials without their token: as if the key did not exist.
    Missing,
    /// Another token than the session's, or any token with a long-term key.
    Wrong,
    Expired,
}

/// Who holds a credential, as GetCallerIdentity reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub account: AccountId,
    /// `arn:aws:iam::ACCOUNT:root` for an account's own keys (Slipway has
    /// no IAM users), the session's principal for temporary credentials.
    pub arn: String,
    /// The account id for root, `AROA…:SESSION` for an assumed role.
    pub user_id: String,
    /// Whether the request was signed with temporary credentials.
    pub temporary: bool,
}

impl Principal {
    /// Whether the credentials came from AssumeRole (role chaining rules).
    pub fn is_assumed_role(&self) -> bool {
        self.arn.contains(":assumed-role/")
    }
}

impl Credential {
    pub fn principal(&self) -> Principal {
        match &self.session {
            Some(s) => Principal {
                account: s.account.clone(),
                arn: s.principal_arn.clone(),
                user_id: s.user_id.clone(),
                temporary: true,
            },
            None => Principal {
                account: self.key.account.clone(),
                arn: format!("arn:aws:iam::{}:root", self.key.account),
                user_id: self.key.account.to_string(),
                temporary: false,
            },
        }
    }

    /// Checks the `X-Amz-Security-Token` a request carried against the
    /// key, and the key's expiry at `now` (wall-clock microseconds).
    pub fn check_token(&self, token: Option<&str>, now: Micros) -> Result<(), TokenFault> {
        match (&self.session, token) {
            (None, None) => Ok(()),
            (None, Some(_)) => Err(TokenFault::Wrong),
            (Some(_), None) => Err(TokenFault::Missing),
            (Some(s), Some(t)) => {
                if !constant_time_eq(s.session_token.as_bytes(), t.as_bytes()) {
                    Err(TokenFault::Wrong)
                } else if now >= s.expires {
                    Err(TokenFault::Expired)
                } else {
                    Ok(())
                }
            }
        }
    }
}

/// The token is a bearer secret: compare without an early exit.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl Accounts<'_> {
    /// Creates a fresh account with one key pair, and its default
    /// execution role (see `Iam::ensure_default_role`).
    pub async fn create(&self, name: &str) -> Result<AccessKey> {
        let key = AccessKey::generate(AccountId::random());
        self.svc.store.create_account(&key, name).await?;
        self.svc.iam().ensure_default_role(&key.account).await?;
        Ok(key)
    }

    /// Registers a configured key (from the config file or environment);
    /// idempotent, so it can run at every start.
    pub async fn ensure(&self, key: &AccessKey, name: &str) -> Result<()> {
        Ok(self.svc.store.create_account(key, name).await?)
    }

    /// The default account's key, creating the account on first start.
    /// Returns the key and whether it was created now.
    pub async fn default_key(&self) -> Result<(AccessKey, bool)> {
        if let Some(first) = self.svc.store.list_access_keys().await?.into_iter().next() {
            return Ok((first, false));
        }
        Ok((self.create("default").await?, true))
    }

    pub async fn find_key(&self, access_key_id: &str) -> Result<Option<AccessKey>> {
        Ok(self.svc.store.find_access_key(access_key_id).await?)
    }

    /// The credential an access key id names: an account key, else
    /// temporary credentials (expired ones too: the caller says why they
    /// are refused).
    pub async fn find_credential(&self, access_key_id: &str) -> Result<Option<Credential>> {
        if let Some(key) = self.find_key(access_key_id).await? {
            return Ok(Some(Credential { key, session: None }));
        }
        let session = self
            .svc
            .identity
            .find_session(access_key_id)
            .await
            .map_err(crate::iam::store_error)?;
        Ok(session.map(|s| Credential {
            key: AccessKey {
                access_key_id: s.access_key_id.clone(),
                secret_access_key: s.secret_access_key.clone(),
                account: s.account.clone(),
            },
            session: Some(s),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temporary(expires: Micros) -> Credential {
        let account = AccountId::random();
        Credential {
            key: AccessKey::generate(account.clone()),
            session: Some(SessionCredential {
                access_key_id: "ASIAX".into(),
                secret_access_key: "s".into(),
                session_token: "token".into(),
                account,
                expires,
                principal_arn: "arn:aws:sts::1:assumed-role/R/s".into(),
                user_id: "AROAX:s".into(),
            }),
        }
    }

    #[test]
    fn session_tokens_must_match_and_be_current() {
        let c = temporary(100);
        assert_eq!(c.check_token(Some("token"), 99), Ok(()));
        assert_eq!(c.check_token(None, 99), Err(TokenFault::Missing));
        assert_eq!(c.check_token(Some("other"), 99), Err(TokenFault::Wrong));
        assert_eq!(c.check_token(Some("token"), 100), Err(TokenFault::Expired));
        assert!(c.principal().is_assumed_role());
        assert!(c.principal().temporary);
        let long_term = Credential {
            key: AccessKey::generate(AccountId::random()),
            session: None,
        };
        assert_eq!(long_term.check_token(None, 0), Ok(()));
        assert_eq!(long_term.check_token(Some("t"), 0), Err(TokenFault::Wrong));
        let p = long_term.principal();
        assert_eq!(
            p.arn,
            format!("arn:aws:iam::{}:root", long_term.key.account)
        );
        assert_eq!(p.user_id, long_term.key.account.as_str());
        assert!(!p.is_assumed_role() && !p.temporary);
    }
}
