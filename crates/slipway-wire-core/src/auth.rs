//! Who sent a request: SigV4 verification against the account keys and
//! the temporary credentials STS issued.

use crate::error::AwsError;
use slipway_core::AccountId;
use slipway_service::accounts::{Credential, Principal, TokenFault};
use slipway_service::Service;
use slipway_sigv4::{AuthError, PayloadHash, RequestParts, UriEncoding};
use std::collections::HashMap;
use std::sync::RwLock;

/// The caller, once verified.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The account the key belongs to.
    pub account: AccountId,
    /// The access key id the request was signed with.
    pub access_key_id: String,
    /// The region the client signed for: always the server's.
    pub region: String,
    /// The signing name of the credential scope (`sagemaker`, `logs`, ...).
    pub service: String,
    /// Root of the account, or the holder of temporary credentials.
    pub principal: Principal,
}

/// Credentials seen so far. Keys and sessions are immutable once created
/// (a session's expiry is checked at every use), so a hit never goes
/// stale; a miss falls through to the store, so keys made by `slipway
/// account create` or STS while the server runs work at once.
#[derive(Default)]
pub struct KeyCache {
    keys: RwLock<HashMap<String, Credential>>,
}

impl KeyCache {
    /// The credential of an access key id, from the cache or the store.
    pub async fn find(&self, svc: &Service, id: &str) -> Result<Option<Credential>, AwsError> {
        if let Some(k) = self.keys.read().ok().and_then(|m| m.get(id).cloned()) {
            return Ok(Some(k));
        }
        let found = svc
            .accounts()
            .find_credential(id)
            .await
            .map_err(AwsError::from_service)?;
        if let (Some(k), Ok(mut m)) = (&found, self.keys.write()) {
            m.insert(id.to_owned(), k.clone());
        }
        Ok(found)
    }
}

/// Whether `token` (the request's `X-Amz-Security-Token`) goes with the
/// credential now, as the authentication failure every front end maps.
/// Time comes from the service's clock, as every expiry does.
pub fn check_token(svc: &Service, cred: &Credential, token: Option<&str>) -> Result<(), AuthError> {
    let now = svc.clock().wall_micros();
    cred.check_token(token, now).map_err(|f| match f {
        // Temporary credentials without their token are unknown to AWS.
        TokenFault::Missing => AuthError::UnrecognizedClient,
        TokenFault::Wrong => AuthError::InvalidToken,
        TokenFault::Expired => AuthError::ExpiredToken,
    })
}

/// Verifies a request whose whole body is in hand (JSON and query
/// protocols), mapping failures with `map` (each protocol words them its
/// own way).
pub async fn verify_body<E>(
    svc: &Service,
    cache: &KeyCache,
    parts: &RequestParts<'_>,
    body: &[u8],
    map: impl Fn(&AuthError) -> E,
    internal: impl Fn(AwsError) -> E,
) -> Result<Caller, E> {
    let parsed = slipway_sigv4::parse(parts, svc.region()).map_err(|e| map(&e))?;
    let cred = cache
        .find(svc, &parsed.access_key_id)
        .await
        .map_err(&internal)?
        .ok_or_else(|| map(&AuthError::UnrecognizedClient))?;
    check_token(svc, &cred, parsed.security_token.as_deref()).map_err(|e| map(&e))?;
    let now = time::OffsetDateTime::now_utc();
    parsed
        .verify(
            parts,
            &cred.key.secret_access_key,
            PayloadHash::Body(body),
            UriEncoding::Double,
            now,
        )
        .map_err(|e| map(&e))?;
    Ok(Caller {
        principal: cred.principal(),
        account: cred.key.account,
        access_key_id: cred.key.access_key_id,
        region: parsed.region,
        service: parsed.service,
    })
}

/// Verifies a JSON-protocol request whose whole body is in hand.
pub async fn verify_json(
    svc: &Service,
    cache: &KeyCache,
    parts: &RequestParts<'_>,
    body: &[u8],
) -> Result<Caller, AwsError> {
    verify_body(svc, cache, parts, body, AwsError::from_auth, |e| e).await
}
