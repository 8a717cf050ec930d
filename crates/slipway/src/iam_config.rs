//! `[iam]`: how strictly SageMaker's role parameters are checked. Each
//! setting also has a `SLIPWAY_*` variable (which wins over the file).

use serde::Deserialize;

/// The `[iam]` table of the config file.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IamFileConfig {
    /// Accept any well-formed role ARN as `RoleArn`, `ExecutionRoleArn` or
    /// `ValidationRole` (default false: the role must exist in the
    /// caller's account and trust `sagemaker.amazonaws.com`, as on AWS).
    pub accept_any_role_arn: Option<bool>,
}

/// Resolved IAM settings.
#[derive(Debug, Clone, Default)]
pub struct IamConfig {
    pub accept_any_role_arn: bool,
    /// Test-only (`SLIPWAY_TEST_SESSION_LIFETIME_SECONDS`, no file key):
    /// temporary credentials expire after at most this many seconds, so
    /// tests see expiry without waiting out STS's 900-second minimum.
    pub session_lifetime_cap: Option<i64>,
}

impl IamConfig {
    pub fn resolve(
        file: IamFileConfig,
        env: impl Fn(&str) -> Option<String>,
    ) -> anyhow::Result<Self> {
        let accept_any_role_arn = match env("SLIPWAY_ACCEPT_ANY_ROLE_ARN").as_deref() {
            Some("1" | "true" | "yes" | "on") => true,
            Some("0" | "false" | "no" | "off") => false,
            Some(v) => {
                anyhow::bail!("SLIPWAY_ACCEPT_ANY_ROLE_ARN must be true or false, got {v:?}")
            }
            None => file.accept_any_role_arn.unwrap_or(false),
        };
        let session_lifetime_cap = env("SLIPWAY_TEST_SESSION_LIFETIME_SECONDS")
            .map(|v| match v.parse::<i64>() {
                Ok(n) if n > 0 => Ok(n),
                _ => Err(anyhow::anyhow!(
                    "SLIPWAY_TEST_SESSION_LIFETIME_SECONDS must be a positive number of seconds, got {v:?}"
                )),
            })
            .transpose()?;
        Ok(Self {
            accept_any_role_arn,
            session_lifetime_cap,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_environment_wins_and_roles_are_checked_by_default() {
        let none = |_: &str| None;
        assert!(
            !IamConfig::resolve(Default::default(), none)
                .unwrap()
                .accept_any_role_arn
        );
        let file = IamFileConfig {
            accept_any_role_arn: Some(true),
        };
        assert!(
            IamConfig::resolve(file.clone(), none)
                .unwrap()
                .accept_any_role_arn
        );
        let off = |k: &str| (k == "SLIPWAY_ACCEPT_ANY_ROLE_ARN").then(|| "false".to_owned());
        assert!(!IamConfig::resolve(file, off).unwrap().accept_any_role_arn);
        let bad = |k: &str| (k == "SLIPWAY_ACCEPT_ANY_ROLE_ARN").then(|| "maybe".to_owned());
        assert!(IamConfig::resolve(Default::default(), bad).is_err());
        let cap = |k: &str| (k == "SLIPWAY_TEST_SESSION_LIFETIME_SECONDS").then(|| "3".to_owned());
        assert_eq!(
            IamConfig::resolve(Default::default(), cap)
                .unwrap()
                .session_lifetime_cap,
            Some(3)
        );
    }
}
