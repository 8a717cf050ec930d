//! The image registry's settings (`[registry]` in the config file,
//! `SLIPWAY_REGISTRY_*` in the environment).

use serde::Deserialize;

/// Registry settings, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrySettings {
    /// Lifetime of tokens from GetAuthorizationToken, seconds. Default
    /// 43200 (12 hours, as ECR).
    pub token_ttl_seconds: i64,
    /// Largest manifest accepted, bytes. Default 4 MiB.
    pub max_manifest_bytes: usize,
}

impl Default for RegistrySettings {
    fn default() -> Self {
        Self {
            token_ttl_seconds: 12 * 3600,
            max_manifest_bytes: 4 * 1024 * 1024,
        }
    }
}

/// `[registry]` in the config file; every field optional.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistryFileConfig {
    pub token_ttl_seconds: Option<i64>,
    pub max_manifest_bytes: Option<usize>,
}

impl RegistrySettings {
    /// `SLIPWAY_REGISTRY_TOKEN_TTL_SECONDS` and
    /// `SLIPWAY_REGISTRY_MAX_MANIFEST_BYTES` over the file.
    pub fn resolve(
        file: RegistryFileConfig,
        env: impl Fn(&str) -> Option<String>,
    ) -> anyhow::Result<Self> {
        let d = Self::default();
        let num = |name: &str| -> anyhow::Result<Option<i64>> {
            env(name)
                .map(|v| {
                    v.parse::<i64>()
                        .map_err(|_| anyhow::anyhow!("{name} must be a whole number"))
                })
                .transpose()
        };
        let ttl = num("SLIPWAY_REGISTRY_TOKEN_TTL_SECONDS")?
            .or(file.token_ttl_seconds)
            .unwrap_or(d.token_ttl_seconds);
        if ttl <= 0 {
            anyhow::bail!("the registry token lifetime must be positive");
        }
        let max = num("SLIPWAY_REGISTRY_MAX_MANIFEST_BYTES")?
            .map(|n| usize::try_from(n).unwrap_or(0))
            .or(file.max_manifest_bytes)
            .unwrap_or(d.max_manifest_bytes);
        Ok(Self {
            token_ttl_seconds: ttl,
            max_manifest_bytes: max,
        })
    }
}
