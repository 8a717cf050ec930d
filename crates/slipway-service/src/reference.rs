//! Resolving what clients pass to name a resource: a plain name, a
//! `group/version` for versioned model packages, or a full ARN. An ARN of
//! another account or region resolves to nothing, exactly like a missing
//! name, so one account cannot probe another's resources.

use slipway_core::{AccountId, Arn, ResourceKind};

/// The store key a reference names in the caller's account, if it can
/// name one at all.
pub fn key_for(
    reference: &str,
    account: &AccountId,
    region: &str,
    kind: ResourceKind,
) -> Option<String> {
    if reference.starts_with("arn:") {
        let arn = Arn::parse(reference)?;
        (arn.kind == kind && &arn.account == account && arn.region == region)
            .then(|| arn.resource.to_ascii_lowercase())
    } else {
        Some(reference.to_ascii_lowercase())
    }
}

/// The ARN a reference would have in the caller's account: what error
/// messages quote when the resource does not exist.
pub fn arn_for(reference: &str, account: &AccountId, region: &str, kind: ResourceKind) -> String {
    if reference.starts_with("arn:") {
        reference.to_owned()
    } else {
        Arn::new(region, account, kind, reference).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_own_arns_resolve_foreign_arns_do_not() {
        let me = AccountId::parse("111122223333").unwrap();
        let k = ResourceKind::Algorithm;
        assert_eq!(
            key_for("My-Algo", &me, "us-east-1", k).as_deref(),
            Some("my-algo")
        );
        let own = "arn:aws:sagemaker:us-east-1:111122223333:algorithm/my-algo";
        assert_eq!(
            key_for(own, &me, "us-east-1", k).as_deref(),
            Some("my-algo")
        );
        let foreign = "arn:aws:sagemaker:us-east-1:999988887777:algorithm/my-algo";
        assert_eq!(key_for(foreign, &me, "us-east-1", k), None);
        assert_eq!(key_for(own, &me, "eu-west-1", k), None);
        assert_eq!(
            key_for(own, &me, "us-east-1", ResourceKind::ModelPackage),
            None
        );
    }
}
