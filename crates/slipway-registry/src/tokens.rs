//! Registry tokens, as ECR's GetAuthorizationToken hands them out: the
//! password a client sends as `AWS:<password>` (Basic) or as a Bearer
//! token. A token is `<base64url(account:expiry)>.<hex HMAC-SHA256>` signed
//! with the server's registry key: stateless (any replica sharing the key
//! verifies it), bound to one account, and refused once expired.

use crate::Result;
use crate::{Registry, RegistryError};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use hmac::{Hmac, Mac};
use slipway_core::AccountId;

type HmacSha256 = Hmac<sha2::Sha256>;

/// A token and when it stops working.
#[derive(Debug, Clone)]
pub struct AuthorizationToken {
    /// base64 of `AWS:<password>`, exactly as ECR returns it.
    pub authorization_token: String,
    pub password: String,
    /// Unix seconds.
    pub expires_at: i64,
}

fn mac(secret: &[u8]) -> Result<HmacSha256> {
    HmacSha256::new_from_slice(secret).map_err(|e| RegistryError::internal("registry token key", e))
}

impl Registry<'_> {
    fn now_seconds(&self) -> i64 {
        self.wall_micros() / 1_000_000
    }

    /// A fresh token for `account`, good for at least the configured TTL:
    /// its expiry is whole seconds, rounded up (rounded down, a 1-second
    /// token issued late in a second expired within milliseconds).
    pub fn authorization_token(&self, account: &AccountId) -> Result<AuthorizationToken> {
        let st = self.storage;
        let now = self.wall_micros();
        let now_ceil = now.div_euclid(1_000_000) + i64::from(now.rem_euclid(1_000_000) > 0);
        let expires_at = now_ceil + st.config.token_ttl_seconds;
        let payload = format!("{}:{expires_at}", account.as_str());
        let mut m = mac(&st.config.token_secret)?;
        m.update(payload.as_bytes());
        let sig = hex::encode(m.finalize().into_bytes());
        let password = format!("{}.{sig}", URL_SAFE_NO_PAD.encode(payload));
        Ok(AuthorizationToken {
            authorization_token: STANDARD.encode(format!("AWS:{password}")),
            password,
            expires_at,
        })
    }

    /// The account a token was issued to; `Unauthorized` when it is
    /// malformed, forged (signed with another key) or expired.
    pub fn verify_token(&self, password: &str) -> Result<AccountId> {
        let st = self.storage;
        let bad = |why: &str| RegistryError::Unauthorized(why.to_owned());
        let (payload_b64, sig_hex) = password
            .split_once('.')
            .ok_or_else(|| bad("malformed token"))?;
        let payload = URL_SAFE_NO_PAD
            .decode(payload_b64)
            .ok()
            .and_then(|p| String::from_utf8(p).ok())
            .ok_or_else(|| bad("malformed token"))?;
        let sig = hex::decode(sig_hex).map_err(|_| bad("malformed token"))?;
        let mut m = mac(&st.config.token_secret)?;
        m.update(payload.as_bytes());
        m.verify_slice(&sig).map_err(|_| bad("invalid token"))?;
        let (account, expiry) = payload
            .split_once(':')
            .ok_or_else(|| bad("malformed token"))?;
        let expiry: i64 = expiry.parse().map_err(|_| bad("malformed token"))?;
        if expiry <= self.now_seconds() {
            return Err(bad("the authorization token has expired; log in again"));
        }
        AccountId::parse(account).ok_or_else(|| bad("malformed token"))
    }
}
