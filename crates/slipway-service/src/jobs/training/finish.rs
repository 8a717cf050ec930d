//! The end of a training job: what the exit means (docs/contracts.md §3.5), the
//! uploads (§3.4), and the terminal status with its FailureReason.

use super::prepare::WorkDir;
use super::runner::Fatal;
use super::state::{self, status, Secondary};
use crate::jobs::archive;
use crate::jobs::instance_types::human_bytes;
use crate::jobs::logship::{excerpt, Tail};
use crate::jobs::transfer::{self, S3Uri};
use crate::jobs::untrusted::{Bounded, Entry, UntrustedDir, UntrustedError};
use crate::Service;
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

/// Uploads what the job produced (on success and on a stop) and records
/// the terminal status.
pub(super) async fn conclude(
    svc: Service,
    account: &AccountId,
    key: &str,
    wd: &WorkDir,
    ended: Ended,
    tail: &Tail,
) -> Result<(), Fatal> {
    conclude_with(None, svc, account, key, wd, ended, tail).await
}

/// [`conclude`], with `cleanup` (the container's removal, the last log
/// lines) running meanwhile; it is awaited before any terminal status is
/// written, so a job seen ended has nothing left behind.
pub(super) async fn conclude_after(
    cleanup: tokio::task::JoinHandle<()>,
    svc: Service,
    account: &AccountId,
    key: &str,
    wd: &WorkDir,
    ended: Ended,
    tail: &Tail,
) -> Result<(), Fatal> {
    conclude_with(Some(cleanup), svc, account, key, wd, ended, tail).await
}

async fn conclude_with(
    mut cleanup: Option<tokio::task::JoinHandle<()>>,
    svc: Service,
    account: &AccountId,
    key: &str,
    wd: &WorkDir,
    ended: Ended,
    tail: &Tail,
) -> Result<(), Fatal> {
    let result = conclude_inner(&mut cleanup, svc, account, key, wd, ended, tail).await;
    if let Some(c) = cleanup.take() {
        let _ = c.await;
    }
    result
}

async fn conclude_inner(
    cleanup: &mut Option<tokio::task::JoinHandle<()>>,
    svc: Service,
    account: &AccountId,
    key: &str,
    wd: &WorkDir,
    ended: Ended,
    tail: &Tail,
) -> Result<(), Fatal> {
    let job = state::mutate(&svc, account, key, |st, doc| {
        if status::is_terminal(st) {
            return Ok(false);
        }
        if doc.state.training_start.is_some() {
            doc.state.training_end.get_or_insert(svc.wall_micros());
        }
        Ok(true)
    })
    .await?;
    if status::is_terminal(&job.record.status) {
        return Ok(());
    }
    if let Ended::Exited(exit) = ended {
        if exit.code != 0 {
            let reason = failure_reason(wd, exit, &job.doc.plan, tail).await;
            return Err(Fatal(reason));
        }
    }
    let ran = !matches!(ended, Ended::Stopped { exit: None, .. });
    let mut artifacts = None;
    if ran && (model_has_content(wd).await || matches!(ended, Ended::Exited(_))) {
        state::mutate(&svc, account, key, |st, doc| {
            if status::is_terminal(st) {
                return Ok(false);
            }
            doc.state
                .enter(Secondary::Uploading, None, svc.wall_micros());
            Ok(true)
        })
        .await?;
        artifacts = Some(upload_outputs(&svc, account, &job.record.name, &job.doc.spec, wd).await?);
    }
    let (final_status, secondary) = match ended {
        Ended::Exited(_) => (status::COMPLETED, Secondary::Completed),
        Ended::Stopped {
            cause: StopCause::MaxRuntime,
            ..
        } => (status::STOPPED, Secondary::MaxRuntimeExceeded),
        Ended::Stopped { .. } => (status::STOPPED, Secondary::Stopped),
    };
    if let Some(c) = cleanup.take() {
        let _ = c.await;
    }
    state::mutate(&svc, account, key, |st, doc| {
        if status::is_terminal(st) {
            return Ok(false);
        }
        *st = final_status.into();
        if let Some(a) = &artifacts {
            doc.state.model_artifacts = Some(a.clone());
        }
        doc.state.enter(secondary, None, svc.wall_micros());
        Ok(true)
    })
    .await?;
    Ok(())
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
/// the last lines the container printed.
async fn failure_reason(wd: &WorkDir, exit: ExitStatus, plan: &state::Plan, tail: &Tail) -> String {
    let unreadable = match read_failure_file(wd).await {
        Ok(Some(text)) => return state::clip_reason(&format!("AlgorithmError: {text}")),
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
            plan.instance_type,
            human_bytes(plan.memory_bytes)
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
    state::clip_reason(&format!("AlgorithmError: {what}{note}; {last}"))
}

/// Whether `/opt/ml/model` holds anything (a model root that is not a
/// plain directory counts as content: packing it reports why it fails).
async fn model_has_content(wd: &WorkDir) -> bool {
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

/// Packs and uploads `/opt/ml/model` (and `/opt/ml/output/data`,
/// checkpoints). Returns the S3 URI of the model artifacts.
async fn upload_outputs(
    svc: &Service,
    account: &AccountId,
    job_name: &str,
    req: &super::spec::TrainingJobSpec,
    wd: &WorkDir,
) -> Result<String, Fatal> {
    let out = S3Uri::parse(&req.output_data_config.s3_output_path).ok_or_else(|| {
        Fatal(format!(
            "ClientError: OutputDataConfig.S3OutputPath {} is not an s3:// URI",
            req.output_data_config.s3_output_path
        ))
    })?;
    let base = out.join(&format!("{job_name}/output"));
    let upload_err = |what: &str, dest: &S3Uri, e: transfer::DataError| {
        Fatal(format!(
            "ClientError: uploading {what} to {dest} failed: {e}"
        ))
    };
    let uncompressed = req.output_data_config.compression_type.as_deref() == Some("NONE");
    let model = open_output(wd, WorkDir::MODEL).await?;
    let model_uri = if uncompressed {
        let dest = base.join("model");
        if let Some(dir) = model {
            upload_tree(svc, account, dir, &dest)
                .await
                .map_err(|e| upload_err("the model", &dest, e))?;
        }
        format!("{dest}/")
    } else {
        let dest = base.join("model.tar.gz");
        let staged = wd.staging().join("model.tar.gz");
        pack(model, &staged).await?;
        transfer::upload(svc, account, &staged, &dest, "application/x-tar")
            .await
            .map_err(|e| upload_err("model.tar.gz", &dest, e))?;
        dest.to_string()
    };
    if let Some(data) = open_output(wd, WorkDir::OUTPUT_DATA).await? {
        let (data, has) = tokio::task::spawn_blocking(move || {
            let has = data.has_content();
            (data, has)
        })
        .await
        .map_err(|e| Fatal(format!("InternalServerError: reading outputs: {e}")))?;
        if has.map_err(refused)? {
            let dest = base.join("output.tar.gz");
            let staged = wd.staging().join("output.tar.gz");
            pack(Some(data), &staged).await?;
            transfer::upload(svc, account, &staged, &dest, "application/x-tar")
                .await
                .map_err(|e| upload_err("output.tar.gz", &dest, e))?;
        }
    }
    if let Some(cp) = &req.checkpoint_config {
        if let Some(dest) = S3Uri::parse(&cp.s3_uri) {
            if let Some(dir) = open_output(wd, WorkDir::CHECKPOINTS).await? {
                upload_tree(svc, account, dir, &dest)
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
    svc: &Service,
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
            svc,
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
pub(super) async fn restore_checkpoints(
    svc: &Service,
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
    let objects = match transfer::list_prefix(svc, account, &prefix).await {
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
    super::prepare::fetch_all(svc, account, &objects, dir)
        .await
        .map_err(|e| Fatal(format!("ClientError: restoring checkpoints: {e}")))?;
    Ok(())
}
