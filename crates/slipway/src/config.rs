//! Configuration: flags win over `SLIPWAY_*` environment variables, which
//! win over the config file, which wins over defaults.

use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Everything `slipway serve` needs to start.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address to listen on. Default `127.0.0.1:9000`; port 0 picks a free one.
    pub listen: String,
    /// Where metadata (and later objects and images) live. Default `./slipway-data`.
    pub data_dir: PathBuf,
    /// The region in ARNs and the printed environment, and the only region
    /// a SigV4 credential scope may name (as on AWS). Default `us-east-1`.
    pub region: String,
    /// Accounts from the config file / environment, registered at start.
    pub accounts: Vec<ConfiguredAccount>,
    /// Largest JSON request body in bytes. Default 8 MiB.
    pub max_json_body: usize,
    /// Where object bytes live. Default: `DATA_DIR/blobs` on local disk.
    pub blob: crate::blob_config::BlobConfig,
    /// How jobs run (container engine, stop grace, memory cap).
    pub jobs: crate::jobs_config::JobsConfig,
    /// Image registry settings (`[registry]`).
    pub registry: crate::registry_config::RegistrySettings,
    /// How role parameters are checked (`[iam]`).
    pub iam: crate::iam_config::IamConfig,
    /// Produce a readiness report after every validation (docs/readiness.md).
    /// Always on for a server; `slipway validate` turns it on with
    /// `--readiness`.
    pub readiness: bool,
}

/// An account with a fixed key pair, as a config file or environment gives it.
#[derive(Debug, Clone, Deserialize)]
pub struct ConfiguredAccount {
    pub account_id: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    #[serde(default = "default_account_name")]
    pub name: String,
}

fn default_account_name() -> String {
    "configured".into()
}

/// The config file (TOML). Every field is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub listen: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub region: Option<String>,
    pub max_json_body: Option<usize>,
    #[serde(default)]
    pub accounts: Vec<ConfiguredAccount>,
    /// `[blob]`: the object byte store (see `blob_config.rs`).
    #[serde(default)]
    pub blob: crate::blob_config::BlobFileConfig,
    /// `[jobs]`: the container engine and job limits (see `jobs_config.rs`).
    #[serde(default)]
    pub jobs: crate::jobs_config::JobsFileConfig,
    /// `[registry]`: token lifetime and manifest size limit.
    #[serde(default)]
    pub registry: crate::registry_config::RegistryFileConfig,
    /// `[iam]`: the role-ARN switch (see `iam_config.rs`).
    #[serde(default)]
    pub iam: crate::iam_config::IamFileConfig,
}

impl FileConfig {
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("reading config {}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| anyhow::anyhow!("config {}: {e}", path.display()))
    }
}

pub const DEFAULT_LISTEN: &str = "127.0.0.1:9000";
pub const DEFAULT_REGION: &str = "us-east-1";

impl Config {
    /// Embedded defaults rooted at `data_dir`: what tests and first runs use.
    pub fn embedded(data_dir: &Path) -> Self {
        Self {
            listen: "127.0.0.1:0".into(),
            data_dir: data_dir.to_owned(),
            region: DEFAULT_REGION.into(),
            accounts: Vec::new(),
            max_json_body: 8 * 1024 * 1024,
            blob: crate::blob_config::BlobConfig::Fs { path: None },
            jobs: crate::jobs_config::JobsConfig {
                enabled: true,
                ..Default::default()
            },
            registry: Default::default(),
            iam: Default::default(),
            readiness: true,
        }
    }

    /// Merges flags, environment and file (in that order of precedence).
    pub fn resolve(
        listen: Option<String>,
        data_dir: Option<PathBuf>,
        config_file: Option<PathBuf>,
    ) -> anyhow::Result<Self> {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let file_path = config_file.or_else(|| env("SLIPWAY_CONFIG").map(PathBuf::from));
        let file = match &file_path {
            Some(p) => FileConfig::load(p)?,
            None => FileConfig::default(),
        };
        let mut accounts = file.accounts;
        if let (Some(id), Some(key), Some(secret)) = (
            env("SLIPWAY_ACCOUNT_ID"),
            env("SLIPWAY_ACCESS_KEY_ID"),
            env("SLIPWAY_SECRET_ACCESS_KEY"),
        ) {
            accounts.insert(
                0,
                ConfiguredAccount {
                    account_id: id,
                    access_key_id: key,
                    secret_access_key: secret,
                    name: "env".into(),
                },
            );
        }
        let max_json_body = match env("SLIPWAY_MAX_JSON_BODY") {
            Some(v) => v
                .parse()
                .map_err(|_| anyhow::anyhow!("SLIPWAY_MAX_JSON_BODY must be a number of bytes"))?,
            None => file.max_json_body.unwrap_or(8 * 1024 * 1024),
        };
        Ok(Self {
            listen: listen
                .or_else(|| env("SLIPWAY_LISTEN"))
                .or(file.listen)
                .unwrap_or_else(|| DEFAULT_LISTEN.into()),
            data_dir: data_dir
                .or_else(|| env("SLIPWAY_DATA_DIR").map(PathBuf::from))
                .or(file.data_dir)
                .unwrap_or_else(|| PathBuf::from("slipway-data")),
            region: env("SLIPWAY_REGION")
                .or(file.region)
                .unwrap_or_else(|| DEFAULT_REGION.into()),
            accounts,
            max_json_body,
            blob: crate::blob_config::BlobConfig::resolve(file.blob, env)?,
            jobs: crate::jobs_config::JobsConfig::resolve(file.jobs, env)?,
            registry: crate::registry_config::RegistrySettings::resolve(file.registry, env)?,
            iam: crate::iam_config::IamConfig::resolve(file.iam, env)?,
            readiness: true,
        })
    }
}
