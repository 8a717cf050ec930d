//! SageMaker ARNs. AWS lower-cases the resource name inside an ARN
//! (`DEMO-ep` → `.../endpoint/demo-ep`), which is also what makes names
//! unique case-insensitively; `ResourceRecord::key` follows the same rule.

use crate::{AccountId, ResourceKind};
use std::fmt;

/// A parsed `arn:aws:sagemaker:REGION:ACCOUNT:TYPE/NAME[/VERSION]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arn {
    pub region: String,
    pub account: AccountId,
    pub kind: ResourceKind,
    /// The lower-cased resource path after `TYPE/` (`name` or `group/3`).
    pub resource: String,
}

impl Arn {
    pub fn new(region: &str, account: &AccountId, kind: ResourceKind, resource: &str) -> Self {
        Self {
            region: region.to_owned(),
            account: account.clone(),
            kind,
            resource: resource.to_ascii_lowercase(),
        }
    }

    /// Parses any partition (`aws`, `aws-cn`, ...) as the API patterns allow.
    pub fn parse(s: &str) -> Option<Self> {
        let mut parts = s.splitn(6, ':');
        let (
            Some("arn"),
            Some(partition),
            Some("sagemaker"),
            Some(region),
            Some(account),
            Some(rest),
        ) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        )
        else {
            return None;
        };
        if !partition.starts_with("aws") {
            return None;
        }
        let (kind, resource) = rest.split_once('/')?;
        Some(Self {
            region: region.to_owned(),
            account: AccountId::parse(account)?,
            kind: ResourceKind::from_arn_type(kind)?,
            resource: resource.to_owned(),
        })
    }
}

impl fmt::Display for Arn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "arn:aws:sagemaker:{}:{}:{}/{}",
            self.region,
            self.account,
            self.kind.arn_type(),
            self.resource
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_round_trip_and_lower_case_the_name() {
        let acct = AccountId::parse("111122223333").unwrap();
        let arn = Arn::new("us-east-1", &acct, ResourceKind::ModelPackage, "My-Pkg/2");
        let s = arn.to_string();
        assert_eq!(
            s,
            "arn:aws:sagemaker:us-east-1:111122223333:model-package/my-pkg/2"
        );
        assert_eq!(Arn::parse(&s), Some(arn));
    }

    #[test]
    fn rejects_other_services_and_bad_accounts() {
        assert!(Arn::parse("arn:aws:s3:us-east-1:111122223333:algorithm/x").is_none());
        assert!(Arn::parse("arn:aws:sagemaker:us-east-1:1111:algorithm/x").is_none());
        assert!(Arn::parse("arn:aws:sagemaker:us-east-1:111122223333:bogus/x").is_none());
        assert!(Arn::parse("algorithm/x").is_none());
    }
}
