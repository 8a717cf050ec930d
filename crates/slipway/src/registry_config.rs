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
    /// Where image bytes live: `None` for the built-in store (beside the
    /// object blobs), or an external OCI registry (scale-out).
    pub external: Option<ExternalRegistry>,
    /// The vulnerability scanner's command line, split into words (no
    /// shell runs it); `{archive}` is replaced by the path of the image's
    /// OCI archive. Default none: every scan fails saying so.
    pub scanner: Option<Vec<String>>,
    /// Longest an image scan may take, seconds. Default 600.
    pub scan_timeout_seconds: u64,
}

/// An external OCI registry holding the image registry's bytes
/// (`[registry] blobs = "oci"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalRegistry {
    /// Base URL, e.g. `http://127.0.0.1:5000`.
    pub url: String,
    /// Repository holding the blobs. Default `slipway/blobs`.
    pub repository: String,
    pub username: Option<String>,
    pub password: Option<String>,
}

impl Default for RegistrySettings {
    fn default() -> Self {
        Self {
            token_ttl_seconds: 12 * 3600,
            max_manifest_bytes: 4 * 1024 * 1024,
            external: None,
            scanner: None,
            scan_timeout_seconds: 600,
        }
    }
}

/// `[registry]` in the config file; every field optional.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistryFileConfig {
    pub token_ttl_seconds: Option<i64>,
    pub max_manifest_bytes: Option<usize>,
    /// `builtin` (default) or `oci`.
    pub blobs: Option<String>,
    pub oci_url: Option<String>,
    pub oci_repository: Option<String>,
    pub oci_username: Option<String>,
    pub oci_password: Option<String>,
    /// The image scanner's command line, e.g.
    /// `trivy image --quiet --format json --input {archive}`.
    pub scanner: Option<String>,
    pub scan_timeout_seconds: Option<u64>,
}

impl RegistrySettings {
    /// `SLIPWAY_REGISTRY_TOKEN_TTL_SECONDS`,
    /// `SLIPWAY_REGISTRY_MAX_MANIFEST_BYTES`, `SLIPWAY_REGISTRY_BLOBS`
    /// (`builtin`/`oci`), `SLIPWAY_REGISTRY_OCI_{URL,REPOSITORY,USERNAME,PASSWORD}`,
    /// `SLIPWAY_IMAGE_SCANNER` and `SLIPWAY_IMAGE_SCAN_TIMEOUT_SECONDS`
    /// over the file.
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
        let pick = |name: &str, f: Option<String>| env(&format!("SLIPWAY_REGISTRY_{name}")).or(f);
        let external = match pick("BLOBS", file.blobs).as_deref().unwrap_or("builtin") {
            "builtin" => None,
            "oci" => Some(ExternalRegistry {
                url: pick("OCI_URL", file.oci_url).ok_or_else(|| {
                    anyhow::anyhow!(
                        "[registry] blobs = \"oci\" needs oci_url (or SLIPWAY_REGISTRY_OCI_URL)"
                    )
                })?,
                repository: pick("OCI_REPOSITORY", file.oci_repository)
                    .unwrap_or_else(|| "slipway/blobs".into()),
                username: pick("OCI_USERNAME", file.oci_username),
                password: pick("OCI_PASSWORD", file.oci_password),
            }),
            other => {
                anyhow::bail!("unknown registry blobs {other:?}: expected \"builtin\" or \"oci\"")
            }
        };
        let scanner = env("SLIPWAY_IMAGE_SCANNER")
            .or(file.scanner)
            .filter(|s| !s.trim().is_empty())
            .map(|line| {
                slipway_registry::ScanSettings::parse_command(&line)
                    .map_err(|e| anyhow::anyhow!("SLIPWAY_IMAGE_SCANNER / [registry] scanner: {e}"))
            })
            .transpose()?;
        let scan_timeout = num("SLIPWAY_IMAGE_SCAN_TIMEOUT_SECONDS")?
            .map(|n| u64::try_from(n).unwrap_or(0))
            .or(file.scan_timeout_seconds)
            .unwrap_or(d.scan_timeout_seconds);
        if scan_timeout == 0 {
            anyhow::bail!("the image scan timeout must be positive");
        }
        Ok(Self {
            token_ttl_seconds: ttl,
            max_manifest_bytes: max,
            external,
            scanner,
            scan_timeout_seconds: scan_timeout,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(
        file: RegistryFileConfig,
        vars: &[(&str, &str)],
    ) -> anyhow::Result<RegistrySettings> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        RegistrySettings::resolve(file, |k| {
            vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn the_scanner_comes_from_the_environment_over_the_file() {
        assert_eq!(resolve(Default::default(), &[]).unwrap().scanner, None);
        let file = RegistryFileConfig {
            scanner: Some("grype 'oci-archive:{archive}' -o json".into()),
            ..Default::default()
        };
        assert_eq!(
            resolve(file.clone(), &[]).unwrap().scanner,
            Some(vec![
                "grype".into(),
                "oci-archive:{archive}".into(),
                "-o".into(),
                "json".into()
            ])
        );
        let s = resolve(
            file,
            &[
                (
                    "SLIPWAY_IMAGE_SCANNER",
                    "trivy image --input \"{archive}\" -f json",
                ),
                ("SLIPWAY_IMAGE_SCAN_TIMEOUT_SECONDS", "30"),
            ],
        )
        .unwrap();
        assert_eq!(
            s.scanner.unwrap(),
            ["trivy", "image", "--input", "{archive}", "-f", "json"]
        );
        assert_eq!(s.scan_timeout_seconds, 30);
    }

    #[test]
    fn bad_scanner_lines_are_refused_at_start() {
        for line in ["trivy image -f json", "trivy 'unclosed {archive}"] {
            let e = resolve(Default::default(), &[("SLIPWAY_IMAGE_SCANNER", line)]).unwrap_err();
            assert!(e.to_string().contains("scanner"), "{line}: {e}");
        }
        assert!(resolve(
            Default::default(),
            &[("SLIPWAY_IMAGE_SCAN_TIMEOUT_SECONDS", "0")]
        )
        .is_err());
    }
}
