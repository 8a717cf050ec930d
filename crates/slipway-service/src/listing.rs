//! What every List* operation shares: filters, sort, page size and the
//! opaque NextToken. The token carries the keyset cursor plus a hash of the
//! filters, so a token reused with other filters is refused instead of
//! silently returning a wrong page.

use crate::error::{Error, Result};
use base64::Engine;
use slipway_core::ports::metadata::{Cursor, ListQuery, SortKey};
use slipway_core::time_util::Micros;
use slipway_core::{AccountId, ResourceKind};

/// Filters and paging common to the List* operations, already parsed.
#[derive(Debug, Clone, Default)]
pub struct ListParams {
    pub name_contains: Option<String>,
    pub created_after: Option<Micros>,
    pub created_before: Option<Micros>,
    pub modified_after: Option<Micros>,
    pub modified_before: Option<Micros>,
    pub status: Option<String>,
    /// `Name`, `CreationTime` or `Status` (already checked against the enum).
    pub sort_by: Option<String>,
    /// `Ascending` or `Descending`.
    pub sort_order: Option<String>,
    pub max_results: Option<usize>,
    pub next_token: Option<String>,
}

/// SageMaker's documented default page size.
pub const DEFAULT_MAX_RESULTS: usize = 10;

#[derive(serde::Serialize, serde::Deserialize)]
struct Token {
    c: Cursor,
    f: u64,
}

impl ListParams {
    /// Builds the store query. `default_descending` is the operation's
    /// documented default order.
    pub fn to_query(
        &self,
        account: &AccountId,
        kind: ResourceKind,
        default_descending: bool,
    ) -> Result<ListQuery> {
        let mut q = ListQuery::new(account.clone(), kind);
        q.name_contains = self.name_contains.clone();
        q.created_after = self.created_after;
        q.created_before = self.created_before;
        q.modified_after = self.modified_after;
        q.modified_before = self.modified_before;
        q.status = self.status.clone();
        q.sort = match self.sort_by.as_deref() {
            Some("Name") => SortKey::Name,
            Some("Status") => SortKey::Status,
            _ => SortKey::CreationTime,
        };
        q.descending = match self.sort_order.as_deref() {
            Some("Descending") => true,
            Some("Ascending") => false,
            _ => default_descending,
        };
        q.limit = self
            .max_results
            .unwrap_or(DEFAULT_MAX_RESULTS)
            .clamp(1, 100);
        Ok(q)
    }

    /// Applies `NextToken` to a finished query (after the caller added its
    /// own filters, which the fingerprint covers).
    pub fn resume(&self, q: &mut ListQuery) -> Result<()> {
        let Some(token) = self.next_token.as_deref().filter(|t| !t.is_empty()) else {
            return Ok(());
        };
        let bad = || {
            Error::invalid("NextToken", "Invalid pagination token: NextToken is malformed or was issued for a different request")
        };
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token)
            .map_err(|_| bad())?;
        let t: Token = serde_json::from_slice(&bytes).map_err(|_| bad())?;
        if t.f != fingerprint(q) {
            return Err(bad());
        }
        q.after = Some(t.c);
        Ok(())
    }
}

/// Encodes the cursor of the next page for the client.
pub fn next_token(q: &ListQuery, next: Option<Cursor>) -> Option<String> {
    let c = next?;
    let json = serde_json::to_vec(&Token {
        c,
        f: fingerprint(q),
    })
    .ok()?;
    Some(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json))
}

/// FNV-1a over the query's filters (not its cursor or page size): stable
/// across processes and releases, unlike `DefaultHasher`.
fn fingerprint(q: &ListQuery) -> u64 {
    let text = format!(
        "{}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{}",
        q.account,
        q.kind,
        q.name_contains,
        q.created_after,
        q.created_before,
        q.modified_after,
        q.modified_before,
        q.status,
        q.approval,
        q.parent,
        q.sort,
        q.descending
    );
    text.bytes().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100000001b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use slipway_core::ports::metadata::CursorValue;

    #[test]
    fn tokens_round_trip_and_bind_to_their_filters() {
        let acct = AccountId::parse("111122223333").unwrap();
        let p = ListParams::default();
        let q = p.to_query(&acct, ResourceKind::Algorithm, false).unwrap();
        let cursor = Cursor {
            sort_value: CursorValue::Time(5),
            key: "k".into(),
        };
        let token = next_token(&q, Some(cursor.clone())).unwrap();
        let mut again = q.clone();
        ListParams {
            next_token: Some(token.clone()),
            ..Default::default()
        }
        .resume(&mut again)
        .unwrap();
        assert_eq!(again.after, Some(cursor));

        let mut other = ListParams {
            name_contains: Some("x".into()),
            ..Default::default()
        }
        .to_query(&acct, ResourceKind::Algorithm, false)
        .unwrap();
        let reused = ListParams {
            next_token: Some(token),
            ..Default::default()
        };
        assert!(
            reused.resume(&mut other).is_err(),
            "a token only resumes its own listing"
        );
        let garbage = ListParams {
            next_token: Some("!!".into()),
            ..Default::default()
        };
        assert!(garbage.resume(&mut other).is_err());
    }
}
