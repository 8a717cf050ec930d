//! Who sent a request: SigV4 verification against the account keys.

use crate::error::AwsError;
use slipway_core::{AccessKey, AccountId};
use slipway_service::Service;
use slipway_sigv4::{AuthError, PayloadHash, RequestParts, UriEncoding};
use std::collections::HashMap;
use std::sync::RwLock;

/// The caller, once verified.
#[derive(Debug, Clone)]
pub struct Caller {
    pub account: AccountId,
    pub access_key_id: String,
    /// The region the client signed for: always the server's.
    pub region: String,
    pub service: String,
}

/// Access keys seen so far. Keys are immutable once created, so a hit
/// never goes stale; a miss falls through to the store, so keys made by
/// `slipway account create` while the server runs work at once.
#[derive(Default)]
pub struct KeyCache {
    keys: RwLock<HashMap<String, AccessKey>>,
}

impl KeyCache {
    pub(crate) async fn find(
        &self,
        svc: &Service,
        id: &str,
    ) -> Result<Option<AccessKey>, AwsError> {
        if let Some(k) = self.keys.read().ok().and_then(|m| m.get(id).cloned()) {
            return Ok(Some(k));
        }
        let found = svc
            .accounts()
            .find_key(id)
            .await
            .map_err(AwsError::from_service)?;
        if let (Some(k), Ok(mut m)) = (&found, self.keys.write()) {
            m.insert(id.to_owned(), k.clone());
        }
        Ok(found)
    }
}

/// Verifies a JSON-protocol request whose whole body is in hand.
pub async fn verify_json(
    svc: &Service,
    cache: &KeyCache,
    parts: &RequestParts<'_>,
    body: &[u8],
) -> Result<Caller, AwsError> {
    let parsed = slipway_sigv4::parse(parts, svc.region()).map_err(|e| AwsError::from_auth(&e))?;
    let key = cache
        .find(svc, &parsed.access_key_id)
        .await?
        .ok_or_else(|| AwsError::from_auth(&AuthError::UnrecognizedClient))?;
    let now = time::OffsetDateTime::now_utc();
    parsed
        .verify(
            parts,
            &key.secret_access_key,
            PayloadHash::Body(body),
            UriEncoding::Double,
            now,
        )
        .map_err(|e| AwsError::from_auth(&e))?;
    Ok(Caller {
        account: key.account,
        access_key_id: key.access_key_id,
        region: parsed.region,
        service: parsed.service,
    })
}
