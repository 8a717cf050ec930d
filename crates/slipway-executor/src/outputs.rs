//! The end of a training container: what its exit means
//! (docs/contracts.md §3.5), read from what it left without following a
//! link, and its outputs packed and uploaded (§3.4).

use crate::archive;
use crate::instance_types::human_bytes;
use crate::logship::{excerpt, Tail};
use crate::transfer::{self, S3Uri};
use crate::untrusted::{Bounded, Entry, UntrustedDir, UntrustedError};
use crate::workdir::WorkDir;
use crate::{clip_reason, Fatal, JobData};
use slipway_core::ports::engine::ExitStatus;
use slipway_core::AccountId;
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopCause {
    User,
    MaxRuntime,
}

/// How the container phase ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// The container exited by itself.
    Exited(ExitStatus),
    /// Slipway stopped it (or it never started); `exit` if it ran.
    Stopped {
        cause: StopCause,
        exit: Option<ExitStatus>,
    },
}

/// The failure file is read up to this many bytes: AWS keeps 1,024
/// characters, and a UTF-8 character is at most 4 bytes.
const FAILURE_FILE_BYTES: usize = 4 * 1024;

/// What `/opt/ml/output/failure` says, read without following a link and
/// bounded: `Ok(None)` if absent or empty, `Err(why)` if the container left
/// something there that may not be read.
async fn read_failure_file(wd: &WorkDir) -> Result<Option<String>, String> {
    let wd = wd.clone();
    let read = tokio::task::spawn_blocking(move || {
        let Some(dir) = wd.untrusted(WorkDir::OUTPUT)? else {
            return Ok(Bounded::Missing);
        };
        dir.read_regular("failure", FAILURE_FILE_BYTES)
    })
    .await
    .map_err(|e| format!("reading /opt/ml/output/failure: {e}"))?;
    match read {
        Ok(Bounded::Missing) => Ok(None),
        Ok(Bounded::Read { bytes, .. }) => {
            let text = String::from_utf8_lossy(&bytes).trim().to_owned();
            Ok((!text.is_empty()).then_some(text))
        }
        Err(UntrustedError::NotPlain { found, .. }) => Err(format!(
            "/opt/ml/output/failure (or a directory above it) is {found}, which is not read"
        )),
        Err(e) => Err(format!("/opt/ml/output/failure could not be read: {e}")),
    }
}

/// `AlgorithmError: …` from the failure file, or from the exit code and
/// the last lines the container printed. `instance_type` and
/// `memory_bytes` name the limit a container killed at it had.
pub async fn failure_reason(
    wd: &WorkDir,
    exit: ExitStatus,
    instance_type: &str,
    memory_bytes: i64,
    tail: &Tail,
) -> String {
    let unreadable = match read_failure_file(wd).await {
        Ok(Some(text)) => return clip_reason(&format!("AlgorithmError: {text}")),
        Ok(None) => None,
        Err(why) => Some(why),
    };
    let last = excerpt(tail, 5);
    let last = if last.is_empty() {
        "the container printed nothing".to_owned()
    } else {
        format!("last log lines: {last}")
    };
    let what = if exit.code == 137 || exit.oom_killed {
        format!(
            "the training container was killed by SIGKILL (exit code 137) at the memory limit of {} ({}) — most likely out of memory",
            instance_type,
            human_bytes(memory_bytes)
        )
    } else if exit.code > 128 && exit.code < 160 {
        format!(
            "the training container was killed by signal {} (exit code {}) without writing /opt/ml/output/failure",
            exit.code - 128,
            exit.code
        )
    } else {
        format!(
            "the training container exited with code {} without writing /opt/ml/output/failure",
            exit.code
        )
    };
    let note = unreadable.map(|w| format!("; {w}")).unwrap_or_default();
    clip_reason(&format!("AlgorithmError: {what}{note}; {last}"))
}

/// Whether `/opt/ml/model` holds anything (a model root that is not a
/// plain directory counts as content: packing it reports why it fails).
pub async fn model_has_content(wd: &WorkDir) -> bool {
    let wd = wd.clone();
    tokio::task::spawn_blocking(move || match wd.untrusted(WorkDir::MODEL) {
        Ok(Some(d)) => d.has_content().unwrap_or(true),
        Ok(None) => false,
        Err(_) => true,
    })
    .await
    .unwrap_or(true)
}

/// Opens a container-written directory for upload; a root that is not a
/// plain directory fails the job with the reason.
async fn open_output(
    wd: &WorkDir,
    rel: &'static [&'static str],
) -> Result<Option<UntrustedDir>, Fatal> {
    let wd = wd.clone();
    tokio::task::spawn_blocking(move || wd.untrusted(rel))
        .await
        .map_err(|e| Fatal(format!("InternalServerError: reading outputs: {e}")))?
        .map_err(refused)
}

fn refused(e: UntrustedError) -> Fatal {
    Fatal(format!(
        "ClientError: the outputs the container left cannot be uploaded: {e}"
    ))
}

/// Where a training job's outputs go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputPlan {
    /// `OutputDataConfig.S3OutputPath`: outputs go under `<it>/<job>/output/`.
    pub s3_output_path: String,
    /// `CompressionType` `NONE`: the model is uploaded file by file.
    pub uncompressed: bool,
    /// `CheckpointConfig.S3Uri`, when the job keeps checkpoints.
    pub checkpoint_uri: Option<String>,
}

/// Packs and uploads `/opt/ml/model` (and `/opt/ml/output/data`,
/// checkpoints). Returns the S3 URI of the model artifacts.
pub async fn upload_outputs(
    data: &JobData,
    account: &AccountId,
    job_name: &str,
    plan: &OutputPlan,
    wd: &WorkDir,
) -> Result<String, Fatal> {
    let out = S3Uri::parse(&plan.s3_output_path).ok_or_else(|| {
        Fatal(format!(
            "ClientError: OutputDataConfig.S3OutputPath {} is not an s3:// URI",
            plan.s3_output_path
        ))
    })?;
    let base = out.join(&format!("{job_name}/output"));
    let upload_err = |what: &str, dest: &S3Uri, e: transfer::DataError| {
        Fatal(format!(
            "ClientError: uploading {what} to {dest} failed: {e}"
        ))
    };
    let uncompressed = plan.uncompressed;
    let model = open_output(wd, WorkDir::MODEL).await?;
    let model_uri = if uncompressed {
        let dest = base.join("model");
        if let Some(dir) = model {
            upload_tree(data, account, dir, &dest)
                .await
                .map_err(|e| upload_err("the model", &dest, e))?;
        }
        format!("{dest}/")
    } else {
        let dest = base.join("model.tar.gz");
        let staged = wd.staging().join("model.tar.gz");
        pack(model, &staged).await?;
        transfer::upload(data, account, &staged, &dest, "application/x-tar")
            .await
            .map_err(|e| upload_err("model.tar.gz", &dest, e))?;
        dest.to_string()
    };
    if let Some(out_data) = open_output(wd, WorkDir::OUTPUT_DATA).await? {
        let (out_data, has) = tokio::task::spawn_blocking(move || {
            let has = out_data.has_content();
            (out_data, has)
        })
        .await
        .map_err(|e| Fatal(format!("InternalServerError: reading outputs: {e}")))?;
        if has.map_err(refused)? {
            let dest = base.join("output.tar.gz");
            let staged = wd.staging().join("output.tar.gz");
            pack(Some(out_data), &staged).await?;
            transfer::upload(data, account, &staged, &dest, "application/x-tar")
                .await
                .map_err(|e| upload_err("output.tar.gz", &dest, e))?;
        }
    }
    if let Some(cp) = &plan.checkpoint_uri {
        if let Some(dest) = S3Uri::parse(cp) {
            if let Some(dir) = open_output(wd, WorkDir::CHECKPOINTS).await? {
                upload_tree(data, account, dir, &dest)
                    .await
                    .map_err(|e| upload_err("checkpoints", &dest, e))?;
            }
        }
    }
    Ok(model_uri)
}

/// Packs `dir` (an empty archive when it is missing: a job that wrote no
/// model still gets a `model.tar.gz`, as on AWS).
async fn pack(dir: Option<UntrustedDir>, dest: &Path) -> Result<(), Fatal> {
    let dest = dest.to_path_buf();
    let empty = dest.with_extension("empty");
    tokio::task::spawn_blocking(move || {
        let dir = match dir {
            Some(d) => d,
            None => {
                std::fs::create_dir_all(&empty).map_err(archive::PackError::Io)?;
                let parent = empty.parent().unwrap_or(Path::new("/"));
                let name = empty
                    .file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or("empty");
                UntrustedDir::open(parent, &[name])?.ok_or_else(|| {
                    archive::PackError::Io(std::io::Error::other("the empty directory vanished"))
                })?
            }
        };
        archive::pack_dir(&dir, &dest)
    })
    .await
    .map_err(|e| Fatal(format!("InternalServerError: packing outputs: {e}")))?
    .map_err(|e| match e {
        archive::PackError::Refused(e) => refused(e),
        archive::PackError::Io(e) => Fatal(format!("InternalServerError: packing outputs: {e}")),
    })?;
    Ok(())
}

/// Uploads every regular file under `dir` to `dest/<relative path>`;
/// links are not objects and are left out, never followed.
async fn upload_tree(
    data: &JobData,
    account: &AccountId,
    dir: UntrustedDir,
    dest: &S3Uri,
) -> Result<(), transfer::DataError> {
    let io = |e: UntrustedError| transfer::DataError::Invalid(e.to_string());
    let (dir, files) = tokio::task::spawn_blocking(move || {
        let mut files = Vec::new();
        let walked = dir.walk(archive::MAX_ENTRIES, &mut |e| {
            if let Entry::File { rel, .. } = e {
                files.push(rel);
            }
            Ok(())
        });
        (dir, walked.map(|()| files))
    })
    .await
    .map_err(|e| transfer::DataError::Invalid(format!("walking outputs: {e}")))?;
    let dir = std::sync::Arc::new(dir);
    for rel in files.map_err(io)? {
        let (d, r) = (dir.clone(), rel.clone());
        let file = tokio::task::spawn_blocking(move || d.open_regular(&r))
            .await
            .map_err(|e| transfer::DataError::Invalid(format!("opening outputs: {e}")))?
            .map_err(io)?;
        let Some(file) = file else { continue };
        let key = rel.to_string_lossy().into_owned();
        transfer::upload_file(
            data,
            account,
            tokio::fs::File::from_std(file),
            &dest.join(&key),
            "application/octet-stream",
        )
        .await?;
    }
    Ok(())
}

/// Copies existing checkpoints in before the container starts (§3.3).
pub async fn restore_checkpoints(
    data: &JobData,
    account: &AccountId,
    uri: &str,
    dir: &Path,
) -> Result<(), Fatal> {
    let Some(src) = S3Uri::parse(uri) else {
        return Err(Fatal(format!(
            "ClientError: CheckpointConfig.S3Uri {uri} is not an s3:// URI"
        )));
    };
    let prefix = S3Uri {
        bucket: src.bucket.clone(),
        key: if src.key.is_empty() || src.key.ends_with('/') {
            src.key.clone()
        } else {
            format!("{}/", src.key)
        },
    };
    let objects = match transfer::list_prefix(data, account, &prefix).await {
        Ok(o) => o,
        Err(transfer::DataError::Missing(m)) => {
            return Err(Fatal(format!("ClientError: restoring checkpoints: {m}")))
        }
        Err(e) => {
            return Err(Fatal(format!(
                "InternalServerError: restoring checkpoints: {e}"
            )))
        }
    };
    crate::workdir::fetch_all(data, account, &objects, dir)
        .await
        .map_err(|e| Fatal(format!("ClientError: restoring checkpoints: {e}")))?;
    Ok(())
}
