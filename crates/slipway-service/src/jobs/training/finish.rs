//! The end of a training job: what the exit means (CONTRACT §3.5), the
//! uploads (§3.4), and the terminal status with its FailureReason.

use super::prepare::WorkDir;
use super::runner::Fatal;
use super::state::{self, status, Secondary};
use crate::jobs::archive;
use crate::jobs::instance_types::human_bytes;
use crate::jobs::logship::{excerpt, Tail};
use crate::jobs::transfer::{self, S3Uri};
use crate::Service;
use slipway_core::ports::engine::ExitStatus;
use slipway_core::time_util::wall_micros;
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
            doc.state.training_end.get_or_insert(wall_micros());
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
    if ran && (archive::has_content(&wd.model()) || matches!(ended, Ended::Exited(_))) {
        state::mutate(&svc, account, key, |st, doc| {
            if status::is_terminal(st) {
                return Ok(false);
            }
            doc.state.enter(Secondary::Uploading, None, wall_micros());
            Ok(true)
        })
        .await?;
        artifacts =
            Some(upload_outputs(&svc, account, &job.record.name, &job.doc.request, wd).await?);
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
        doc.state.enter(secondary, None, wall_micros());
        Ok(true)
    })
    .await?;
    Ok(())
}

/// `AlgorithmError: …` from the failure file, or from the exit code and
/// the last lines the container printed.
async fn failure_reason(wd: &WorkDir, exit: ExitStatus, plan: &state::Plan, tail: &Tail) -> String {
    let written = tokio::fs::read(wd.failure_file())
        .await
        .ok()
        .map(|b| String::from_utf8_lossy(&b).trim().to_owned())
        .filter(|s| !s.is_empty());
    if let Some(text) = written {
        return state::clip_reason(&format!("AlgorithmError: {text}"));
    }
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
    state::clip_reason(&format!("AlgorithmError: {what}; {last}"))
}

/// Packs and uploads `/opt/ml/model` (and `/opt/ml/output/data`,
/// checkpoints). Returns the S3 URI of the model artifacts.
async fn upload_outputs(
    svc: &Service,
    account: &AccountId,
    job_name: &str,
    req: &super::spec::TrainingJobRequest,
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
    let model_uri = if uncompressed {
        let dest = base.join("model");
        upload_tree(svc, account, &wd.model(), &dest)
            .await
            .map_err(|e| upload_err("the model", &dest, e))?;
        format!("{dest}/")
    } else {
        let dest = base.join("model.tar.gz");
        let staged = wd.staging().join("model.tar.gz");
        pack(&wd.model(), &staged).await?;
        transfer::upload(svc, account, &staged, &dest, "application/x-tar")
            .await
            .map_err(|e| upload_err("model.tar.gz", &dest, e))?;
        dest.to_string()
    };
    if archive::has_content(&wd.output_data()) {
        let dest = base.join("output.tar.gz");
        let staged = wd.staging().join("output.tar.gz");
        pack(&wd.output_data(), &staged).await?;
        transfer::upload(svc, account, &staged, &dest, "application/x-tar")
            .await
            .map_err(|e| upload_err("output.tar.gz", &dest, e))?;
    }
    if let Some(cp) = &req.checkpoint_config {
        if let Some(dest) = S3Uri::parse(&cp.s3_uri) {
            upload_tree(svc, account, &wd.checkpoints(), &dest)
                .await
                .map_err(|e| upload_err("checkpoints", &dest, e))?;
        }
    }
    Ok(model_uri)
}

async fn pack(dir: &Path, dest: &Path) -> Result<(), Fatal> {
    let (dir, dest) = (dir.to_path_buf(), dest.to_path_buf());
    tokio::task::spawn_blocking(move || archive::pack_dir(&dir, &dest))
        .await
        .map_err(|e| Fatal(format!("InternalServerError: packing outputs: {e}")))?
        .map_err(|e| Fatal(format!("InternalServerError: packing outputs: {e}")))?;
    Ok(())
}

/// Uploads every regular file under `dir` to `dest/<relative path>`.
async fn upload_tree(
    svc: &Service,
    account: &AccountId,
    dir: &Path,
    dest: &S3Uri,
) -> Result<(), transfer::DataError> {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(mut entries) = tokio::fs::read_dir(&d).await else {
            continue;
        };
        while let Ok(Some(e)) = entries.next_entry().await {
            let path = e.path();
            let Ok(ft) = e.file_type().await else {
                continue;
            };
            if ft.is_dir() {
                stack.push(path);
            } else if ft.is_file() {
                let rel = path
                    .strip_prefix(dir)
                    .map(|p| p.to_string_lossy().into_owned())
                    .unwrap_or_default();
                transfer::upload(
                    svc,
                    account,
                    &path,
                    &dest.join(&rel),
                    "application/octet-stream",
                )
                .await?;
            }
        }
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
