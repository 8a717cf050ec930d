//! Tags on any SageMaker resource this server holds, addressed by ARN.

use crate::error::{Error, Result};
use slipway_core::ports::metadata::{Tag, TagLimit};
use slipway_core::{AccountId, Arn};

use crate::Service;

/// AWS allows 50 user tags per resource.
pub const MAX_TAGS: usize = 50;

pub struct Tags<'a> {
    pub(crate) svc: &'a Service,
}

impl Tags<'_> {
    /// The resource must exist in the caller's account; otherwise the ARN
    /// is reported missing, whoever owns it.
    async fn resolve(&self, account: &AccountId, arn: &str) -> Result<String> {
        let missing = || Error::NotFound {
            message: format!("Resource {arn} does not exist."),
        };
        let parsed = Arn::parse(arn).ok_or_else(missing)?;
        if &parsed.account != account || parsed.region != self.svc.region() {
            return Err(missing());
        }
        let record = self
            .svc
            .store
            .get(account, parsed.kind, &parsed.resource.to_ascii_lowercase())
            .await?
            .ok_or_else(missing)?;
        Ok(record.arn)
    }

    pub async fn add(&self, account: &AccountId, arn: &str, tags: Vec<Tag>) -> Result<Vec<Tag>> {
        let arn = self.resolve(account, arn).await?;
        match self.svc.store.put_tags(&arn, &tags, MAX_TAGS).await {
            Ok(()) => Ok(tags),
            Err(TagLimit::Exceeded { max, would_be }) => Err(Error::invalid(
                "Tags",
                format!("A resource can have at most {max} tags; this request would bring it to {would_be}."),
            )),
            Err(TagLimit::Store(e)) => Err(e.into()),
        }
    }

    /// All tags, paged by position (the store keeps insertion order).
    pub async fn list(
        &self,
        account: &AccountId,
        arn: &str,
        max_results: Option<usize>,
        next_token: Option<&str>,
    ) -> Result<(Vec<Tag>, Option<String>)> {
        let arn = self.resolve(account, arn).await?;
        let all = self.svc.store.list_tags(&arn).await?;
        let start = match next_token.filter(|t| !t.is_empty()) {
            Some(t) => t
                .parse::<usize>()
                .ok()
                .filter(|n| *n <= all.len())
                .ok_or_else(|| Error::invalid("NextToken", "Invalid pagination token."))?,
            None => 0,
        };
        let limit = max_results.unwrap_or(MAX_TAGS).max(1);
        let end = (start + limit).min(all.len());
        let next = (end < all.len()).then(|| end.to_string());
        Ok((all[start..end].to_vec(), next))
    }

    pub async fn delete(&self, account: &AccountId, arn: &str, keys: &[String]) -> Result<()> {
        let arn = self.resolve(account, arn).await?;
        Ok(self.svc.store.delete_tags(&arn, keys).await?)
    }
}
