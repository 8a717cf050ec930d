//! The `/opt/ml` tree of a training job on the host: directories, the
//! three config files the contract names (docs/contracts.md §3.2) and the channel
//! data downloaded in File mode (§3.3).

use super::spec::{TrainingChannel, TrainingJobSpec};
use super::state::Plan;
use crate::jobs::transfer::{self, DataError, InputObject, S3Uri};
use crate::jobs::untrusted::{UntrustedDir, UntrustedError};
use crate::Service;
use serde_json::{json, Map, Value};
use slipway_core::AccountId;
use std::path::{Path, PathBuf};

/// Where one job's files live on the host.
#[derive(Debug, Clone)]
pub struct WorkDir {
    /// `<work_root>/<account>/training/<job>`: removed when the job ends.
    pub root: PathBuf,
}

impl WorkDir {
    pub fn new(work_root: &Path, account: &AccountId, key: &str) -> Self {
        Self {
            root: work_root.join(account.as_str()).join("training").join(key),
        }
    }

    /// Mounted at `/opt/ml`.
    pub fn opt_ml(&self) -> PathBuf {
        self.root.join("opt_ml")
    }

    /// Below [`Self::root`], the directories a container writes and the
    /// server reads back, as components for [`UntrustedDir::open`].
    pub const MODEL: &'static [&'static str] = &["opt_ml", "model"];
    pub const OUTPUT: &'static [&'static str] = &["opt_ml", "output"];
    pub const OUTPUT_DATA: &'static [&'static str] = &["opt_ml", "output", "data"];
    pub const CHECKPOINTS: &'static [&'static str] = &["checkpoints"];

    /// Opens one of the container-written directories above, never
    /// following a link (`Ok(None)` if it is missing).
    pub fn untrusted(&self, rel: &[&str]) -> Result<Option<UntrustedDir>, UntrustedError> {
        UntrustedDir::open(&self.root, rel)
    }

    pub fn model(&self) -> PathBuf {
        self.opt_ml().join("model")
    }

    pub fn output(&self) -> PathBuf {
        self.opt_ml().join("output")
    }

    pub fn output_data(&self) -> PathBuf {
        self.output().join("data")
    }

    pub fn config(&self) -> PathBuf {
        self.opt_ml().join("input").join("config")
    }

    pub fn channel(&self, name: &str) -> PathBuf {
        self.opt_ml().join("input").join("data").join(name)
    }

    /// Mounted at `CheckpointConfig.LocalPath` (default `/opt/ml/checkpoints`).
    pub fn checkpoints(&self) -> PathBuf {
        self.root.join("checkpoints")
    }

    /// Packed archives waiting for upload (outside the mounted tree).
    pub fn staging(&self) -> PathBuf {
        self.root.join("staging")
    }
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> DataError + '_ {
    move |source| DataError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Directories the container writes. World-writable, because an image may
/// run as a non-root user and must still be able to write its model.
async fn writable_dir(path: &Path) -> Result<(), DataError> {
    tokio::fs::create_dir_all(path)
        .await
        .map_err(io_err(path))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tokio::fs::set_permissions(path, std::fs::Permissions::from_mode(0o777))
            .await
            .map_err(io_err(path))?;
    }
    Ok(())
}

/// The effective input mode of a channel.
pub fn channel_mode<'a>(req: &'a TrainingJobSpec, ch: &'a TrainingChannel) -> &'a str {
    ch.input_mode
        .as_deref()
        .unwrap_or(&req.algorithm_specification.training_input_mode)
}

/// Creates the tree (from scratch: a restarted preparation starts clean)
/// and writes the config files.
pub async fn lay_out(wd: &WorkDir, req: &TrainingJobSpec, plan: &Plan) -> Result<(), DataError> {
    if tokio::fs::try_exists(&wd.root).await.unwrap_or(false) {
        tokio::fs::remove_dir_all(&wd.root)
            .await
            .map_err(io_err(&wd.root))?;
    }
    for d in [wd.model(), wd.output(), wd.output_data(), wd.checkpoints()] {
        writable_dir(&d).await?;
    }
    tokio::fs::create_dir_all(wd.config())
        .await
        .map_err(io_err(&wd.config()))?;
    tokio::fs::create_dir_all(wd.staging())
        .await
        .map_err(io_err(&wd.staging()))?;
    let files = [
        ("hyperparameters.json", json!(req.hyper_parameters)),
        ("inputdataconfig.json", input_data_config(req)),
        ("resourceconfig.json", resource_config(plan)),
    ];
    for (name, value) in files {
        write_json(&wd.config().join(name), &value).await?;
    }
    if let Some(cp) = &req.checkpoint_config {
        let local = cp.local_path.as_deref().unwrap_or("/opt/ml/checkpoints");
        let value = json!({"LocalPath": local, "S3Uri": cp.s3_uri});
        write_json(&wd.config().join("checkpointconfig.json"), &value).await?;
    }
    Ok(())
}

async fn write_json(path: &Path, value: &Value) -> Result<(), DataError> {
    let text = serde_json::to_vec_pretty(value)
        .map_err(|e| DataError::Invalid(format!("encoding {}: {e}", path.display())))?;
    tokio::fs::write(path, text).await.map_err(io_err(path))
}

/// `inputdataconfig.json`: one key per channel.
pub fn input_data_config(req: &TrainingJobSpec) -> Value {
    let mut out = Map::new();
    for ch in &req.input_data_config {
        let mut c = Map::new();
        if let Some(ct) = &ch.content_type {
            c.insert("ContentType".into(), json!(ct));
        }
        c.insert("TrainingInputMode".into(), json!(channel_mode(req, ch)));
        let dist = ch
            .data_source
            .s3_data_source
            .as_ref()
            .and_then(|s| s.s3_data_distribution_type.clone())
            .unwrap_or_else(|| "FullyReplicated".into());
        c.insert("S3DistributionType".into(), json!(dist));
        c.insert(
            "RecordWrapperType".into(),
            json!(ch.record_wrapper_type.as_deref().unwrap_or("None")),
        );
        if let Some(ct) = &ch.compression_type {
            c.insert("CompressionType".into(), json!(ct));
        }
        out.insert(ch.channel_name.clone(), Value::Object(c));
    }
    Value::Object(out)
}

/// `resourceconfig.json` for the one host Slipway runs.
pub fn resource_config(plan: &Plan) -> Value {
    json!({
        "current_host": "algo-1",
        "current_instance_type": plan.instance_type,
        "current_group_name": "homogeneousCluster",
        "hosts": ["algo-1"],
        "instance_groups": [{
            "instance_group_name": "homogeneousCluster",
            "instance_type": plan.instance_type,
            "hosts": ["algo-1"],
        }],
        "network_interface_name": "eth0",
    })
}

/// What a channel's download fetched.
#[derive(Debug, Clone, Copy, Default)]
pub struct Fetched {
    pub objects: u64,
    pub bytes: u64,
}

/// Downloads every channel into `input/data/<channel>/`, keeping each
/// key's path relative to the prefix (or manifest prefix). A channel whose
/// prefix matches nothing fails, as on AWS.
pub async fn download_channels(
    svc: &Service,
    account: &AccountId,
    wd: &WorkDir,
    req: &TrainingJobSpec,
) -> Result<Fetched, DataError> {
    let mut total = Fetched::default();
    for ch in &req.input_data_config {
        let dir = wd.channel(&ch.channel_name);
        tokio::fs::create_dir_all(&dir)
            .await
            .map_err(io_err(&dir))?;
        let Some(src) = &ch.data_source.s3_data_source else {
            continue;
        };
        let uri = S3Uri::parse(&src.s3_uri)
            .ok_or_else(|| DataError::Invalid(format!("{} is not an s3:// URI", src.s3_uri)))?;
        let objects = match src.s3_data_type.as_str() {
            "ManifestFile" => transfer::list_manifest(svc, account, &uri).await?,
            _ => transfer::list_prefix(svc, account, &uri).await?,
        };
        if objects.is_empty() {
            return Err(DataError::Missing(format!(
                "no objects found under {} for channel '{}'",
                src.s3_uri, ch.channel_name
            )));
        }
        let fetched = fetch_all(svc, account, &objects, &dir).await?;
        total.objects += fetched.objects;
        total.bytes += fetched.bytes;
    }
    Ok(total)
}

/// Downloads `objects` under `dir`, a few at a time.
pub async fn fetch_all(
    svc: &Service,
    account: &AccountId,
    objects: &[InputObject],
    dir: &Path,
) -> Result<Fetched, DataError> {
    use futures::{StreamExt, TryStreamExt};
    let mut jobs = Vec::with_capacity(objects.len());
    for o in objects {
        let rel = transfer::safe_relative(&o.relative).map_err(DataError::Invalid)?;
        jobs.push((o.clone(), dir.join(rel)));
    }
    // Owned values in each download future: borrowed ones inside a
    // buffered stream trip rustc's "Send is not general enough" when the
    // runner is spawned.
    let (svc, account) = (svc.clone(), account.clone());
    let sizes: Vec<u64> = futures::stream::iter(jobs)
        .map(move |(o, dest)| {
            let (svc, account) = (svc.clone(), account.clone());
            async move { transfer::download(&svc, &account, &o, &dest).await }
        })
        .buffer_unordered(8)
        .try_collect()
        .await?;
    Ok(Fetched {
        objects: sizes.len() as u64,
        bytes: sizes.iter().sum(),
    })
}
