//! Where object bytes live (`[blob]` in the config file, `SLIPWAY_BLOB_*`
//! in the environment): a local directory by default, or any S3.

use serde::Deserialize;
use std::path::PathBuf;

/// The chosen `BlobStore` adapter and its settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlobConfig {
    /// `FsBlobStore` under `path` (default `DATA_DIR/blobs`).
    Fs { path: Option<PathBuf> },
    /// `S3BlobStore` in an external bucket.
    S3(S3BlobConfig),
}

/// Settings of the external-S3 adapter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3BlobConfig {
    /// Endpoint URL (e.g. `http://127.0.0.1:9100`); unset means AWS.
    pub endpoint: Option<String>,
    /// The bucket (must exist).
    pub bucket: String,
    /// Key prefix for blobs. Default: empty.
    pub prefix: String,
    /// Signing region. Default `us-east-1`.
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: String,
}

/// `[blob]` in the config file; every field optional.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlobFileConfig {
    /// `fs` (default) or `s3`.
    pub kind: Option<String>,
    pub path: Option<PathBuf>,
    pub endpoint: Option<String>,
    pub bucket: Option<String>,
    pub prefix: Option<String>,
    pub region: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
}

impl BlobConfig {
    /// Environment (`SLIPWAY_BLOB_KIND`, `_PATH`, `_ENDPOINT`, `_BUCKET`,
    /// `_PREFIX`, `_REGION`, `_ACCESS_KEY_ID`, `_SECRET_ACCESS_KEY`) over
    /// the file's `[blob]` table.
    pub fn resolve(
        file: BlobFileConfig,
        env: impl Fn(&str) -> Option<String>,
    ) -> anyhow::Result<Self> {
        let pick = |name: &str, f: Option<String>| env(&format!("SLIPWAY_BLOB_{name}")).or(f);
        let kind = pick("KIND", file.kind).unwrap_or_else(|| "fs".into());
        match kind.as_str() {
            "fs" => Ok(Self::Fs {
                path: env("SLIPWAY_BLOB_PATH").map(PathBuf::from).or(file.path),
            }),
            "s3" => {
                let need = |name: &str, v: Option<String>| {
                    v.ok_or_else(|| {
                        anyhow::anyhow!(
                            "blob kind \"s3\" needs {} (or [blob] {})",
                            format_args!("SLIPWAY_BLOB_{name}"),
                            name.to_lowercase()
                        )
                    })
                };
                Ok(Self::S3(S3BlobConfig {
                    endpoint: pick("ENDPOINT", file.endpoint),
                    bucket: need("BUCKET", pick("BUCKET", file.bucket))?,
                    prefix: pick("PREFIX", file.prefix).unwrap_or_default(),
                    region: pick("REGION", file.region).unwrap_or_else(|| "us-east-1".into()),
                    access_key_id: need(
                        "ACCESS_KEY_ID",
                        pick("ACCESS_KEY_ID", file.access_key_id),
                    )?,
                    secret_access_key: need(
                        "SECRET_ACCESS_KEY",
                        pick("SECRET_ACCESS_KEY", file.secret_access_key),
                    )?,
                }))
            }
            other => anyhow::bail!("unknown blob kind {other:?}: expected \"fs\" or \"s3\""),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fs_is_the_default_and_env_wins() {
        let none = |_: &str| None;
        assert_eq!(
            BlobConfig::resolve(BlobFileConfig::default(), none).unwrap(),
            BlobConfig::Fs { path: None }
        );
        let file = BlobFileConfig {
            kind: Some("s3".into()),
            bucket: Some("file-bucket".into()),
            access_key_id: Some("k".into()),
            secret_access_key: Some("s".into()),
            ..Default::default()
        };
        let env = |k: &str| (k == "SLIPWAY_BLOB_BUCKET").then(|| "env-bucket".to_owned());
        match BlobConfig::resolve(file, env).unwrap() {
            BlobConfig::S3(s) => assert_eq!(s.bucket, "env-bucket"),
            other => panic!("{other:?}"),
        }
        let bad = BlobFileConfig {
            kind: Some("s3".into()),
            ..Default::default()
        };
        assert!(BlobConfig::resolve(bad, none).is_err());
    }
}
