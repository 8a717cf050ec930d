//! Image references in model packages, algorithms, models and jobs: an
//! ECR-form URI (`ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO:TAG` or
//! `@sha256:…`), or `HOST:PORT/REPO…` naming this server, resolves to this
//! registry. The tag is pinned to a digest here, so the job that runs pulls
//! exactly what was resolved (validated), even if the tag moves later.

use crate::names::{check_digest, check_repository_name, check_tag};
use crate::Result;
use crate::{Registry, RegistryError};
use slipway_core::ports::engine::RegistryAuth;
use slipway_core::AccountId;

/// A parsed image reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageUri {
    pub host: String,
    pub repo: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

impl ImageUri {
    /// `HOST/REPO[:TAG][@DIGEST]`; `None` without a registry host (a
    /// Docker Hub short name such as `busybox:latest` is never ours).
    pub fn parse(uri: &str) -> Option<Self> {
        let (host, rest) = uri.split_once('/')?;
        if !(host.contains('.') || host.contains(':') || host == "localhost") {
            return None;
        }
        let (name_tag, digest) = match rest.split_once('@') {
            Some((n, d)) => (n, Some(d.to_owned())),
            None => (rest, None),
        };
        let last_slash = name_tag.rfind('/').map_or(0, |i| i + 1);
        let (repo, tag) = match name_tag[last_slash..].rfind(':') {
            Some(i) => (
                &name_tag[..last_slash + i],
                Some(name_tag[last_slash + i + 1..].to_owned()),
            ),
            None => (name_tag, None),
        };
        Some(Self {
            host: host.to_owned(),
            repo: repo.to_owned(),
            tag,
            digest,
        })
    }

    /// The account of an ECR registry host
    /// (`123456789012.dkr.ecr[-fips].REGION.amazonaws.com[.cn]`).
    pub fn ecr_account(&self) -> Option<AccountId> {
        let (account, rest) = self.host.split_once('.')?;
        let rest = rest
            .strip_prefix("dkr.ecr.")
            .or_else(|| rest.strip_prefix("dkr.ecr-fips."))?;
        let region_ok = rest
            .strip_suffix(".amazonaws.com")
            .or_else(|| rest.strip_suffix(".amazonaws.com.cn"))
            .is_some_and(|r| {
                !r.is_empty()
                    && r.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            });
        region_ok.then(|| AccountId::parse(account)).flatten()
    }
}

/// What the container engine needs to pull a resolved image.
#[derive(Debug, Clone)]
pub struct ResolvedImage {
    /// `127.0.0.1:PORT/REPO@sha256:…`: by digest, so what runs is what was
    /// resolved.
    pub pull_reference: String,
    pub auth: RegistryAuth,
    /// The pinned manifest digest.
    pub digest: String,
    pub repository: String,
}

impl Registry<'_> {
    fn is_own_host(&self, host: &str) -> bool {
        let Some(own) = self.listen_addr() else {
            return false;
        };
        if host == own {
            return true;
        }
        let port = |h: &str| h.rsplit_once(':').map(|(_, p)| p.to_owned());
        let loopback = |h: &str| {
            h.rsplit_once(':')
                .is_some_and(|(n, _)| matches!(n, "127.0.0.1" | "localhost" | "[::1]"))
        };
        loopback(host) && loopback(&own) && port(host) == port(&own)
    }

    /// Resolves an image URI for `account`'s job. `Ok(None)` when the
    /// image is not in this registry (the engine pulls it as usual); an
    /// error when it names this registry but cannot be used: another
    /// account's registry (`Denied`), a missing repository, tag or digest.
    pub async fn resolve_image(
        &self,
        account: &AccountId,
        image_uri: &str,
    ) -> Result<Option<ResolvedImage>> {
        let Some(uri) = ImageUri::parse(image_uri) else {
            return Ok(None);
        };
        if let Some(owner) = uri.ecr_account() {
            if &owner != account {
                return Err(RegistryError::Denied(format!(
                    "{image_uri} is in the registry of account {owner}, which account {account} cannot pull from"
                )));
            }
        } else if !self.is_own_host(&uri.host) {
            return Ok(None);
        }
        check_repository_name(&uri.repo)?;
        if let Some(t) = &uri.tag {
            check_tag(t)?;
        }
        let reference = match (&uri.digest, &uri.tag) {
            (Some(d), _) => {
                check_digest(d)?;
                d.clone()
            }
            (None, Some(t)) => t.clone(),
            (None, None) => "latest".to_owned(),
        };
        let manifest = self.get_manifest(account, &uri.repo, &reference).await?;
        if let (Some(t), Some(_)) = (&uri.tag, &uri.digest) {
            // `repo:tag@digest`: the digest wins, as engines treat it.
            tracing::debug!(tag = %t, digest = %manifest.digest, "image reference has both tag and digest");
        }
        let host = self.listen_addr().ok_or_else(|| {
            RegistryError::internal("registry", "the server's listen address is not known yet")
        })?;
        let token = self.authorization_token(account)?;
        Ok(Some(ResolvedImage {
            pull_reference: format!("{host}/{}@{}", uri.repo, manifest.digest),
            auth: RegistryAuth {
                username: "AWS".into(),
                password: token.password,
                server_address: Some(host),
            },
            digest: manifest.digest,
            repository: uri.repo,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecr_uris_parse() {
        let u = ImageUri::parse("111122223333.dkr.ecr.us-east-1.amazonaws.com/team/xgb:1").unwrap();
        assert_eq!(u.repo, "team/xgb");
        assert_eq!(u.tag.as_deref(), Some("1"));
        assert_eq!(u.ecr_account().unwrap().as_str(), "111122223333");
        let d = format!("sha256:{}", "a".repeat(64));
        let u = ImageUri::parse(&format!("127.0.0.1:5000/m@{d}")).unwrap();
        assert_eq!((u.host.as_str(), u.repo.as_str()), ("127.0.0.1:5000", "m"));
        assert!(u.ecr_account().is_none());
        assert_eq!((u.tag, u.digest), (None, Some(d)));
        assert!(ImageUri::parse("busybox:latest").is_none());
        assert!(ImageUri::parse("library/busybox").is_none());
        let fake = ImageUri::parse("111122223333.dkr.ecr.us-east-1.evil.com/x:1").unwrap();
        assert!(fake.ecr_account().is_none());
    }
}
