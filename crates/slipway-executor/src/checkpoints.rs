//! Checkpoints synced while a training job runs (docs/jobs.md
//! "Checkpoints"): every few seconds, the files under the job's checkpoint
//! directory that are new or changed since the last pass are uploaded to
//! `CheckpointConfig.S3Uri`, so a job that dies, is stopped or re-run
//! finds its latest checkpoints in S3. The directory is the container's:
//! it is read without following links (`untrusted.rs`), a pass visits a
//! bounded number of entries and uploads a bounded number of files, and a
//! file that keeps changing is simply uploaded again on a later pass.

use crate::archive::MAX_ENTRIES;
use crate::transfer::{self, S3Uri};
use crate::untrusted::{Entry, UntrustedError};
use crate::workdir::WorkDir;
use crate::JobData;
use slipway_core::AccountId;
use std::collections::HashMap;
use std::fs::File;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

/// Most files one pass uploads (each held open until its upload); the
/// rest are found again by the next pass.
pub const MAX_FILES_PER_PASS: usize = 256;

/// What identifies a version of a file between passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Version {
    size: u64,
    modified: Option<SystemTime>,
}

/// The syncer of one job's checkpoint directory.
pub struct CheckpointSync {
    data: JobData,
    account: AccountId,
    dest: S3Uri,
    wd: WorkDir,
    /// The version of each file last uploaded, by relative path.
    uploaded: HashMap<PathBuf, Version>,
}

impl CheckpointSync {
    pub fn new(data: JobData, account: AccountId, dest: S3Uri, wd: WorkDir) -> Self {
        Self {
            data,
            account,
            dest,
            wd,
            uploaded: HashMap::new(),
        }
    }

    /// Uploads the files new or changed since the last pass; how many were
    /// uploaded. A missing directory is nothing to do.
    pub async fn pass(&mut self) -> Result<usize, transfer::DataError> {
        let invalid = |e: String| transfer::DataError::Invalid(e);
        let (wd, uploaded) = (self.wd.clone(), std::mem::take(&mut self.uploaded));
        let (uploaded, changed) = tokio::task::spawn_blocking(move || {
            let changed = changed_files(&wd, &uploaded);
            (uploaded, changed)
        })
        .await
        .map_err(|e| invalid(format!("reading checkpoints: {e}")))?;
        self.uploaded = uploaded;
        let changed = changed.map_err(|e| invalid(e.to_string()))?;
        let mut sent = 0;
        for (rel, file, version) in changed {
            let key = rel.to_string_lossy().into_owned();
            transfer::upload_file(
                &self.data,
                &self.account,
                tokio::fs::File::from_std(file),
                &self.dest.join(&key),
                "application/octet-stream",
            )
            .await?;
            self.uploaded.insert(rel, version);
            sent += 1;
        }
        Ok(sent)
    }

    /// Passes every `every` until dropped (the caller aborts the task). A
    /// failed pass is logged and tried again: the upload at the job's end
    /// reports what still fails.
    pub async fn run(mut self, every: Duration, job: String) {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match self.pass().await {
                Ok(0) => {}
                Ok(n) => tracing::debug!(%job, files = n, "checkpoints synced"),
                Err(e) => tracing::warn!(%job, error = %e, "syncing checkpoints"),
            }
        }
    }
}

/// The regular files under the checkpoint directory whose version differs
/// from the one uploaded (at most [`MAX_FILES_PER_PASS`]), opened
/// no-follow; links and special files are left out.
fn changed_files(
    wd: &WorkDir,
    uploaded: &HashMap<PathBuf, Version>,
) -> Result<Vec<(PathBuf, File, Version)>, UntrustedError> {
    let Some(dir) = wd.untrusted(WorkDir::CHECKPOINTS)? else {
        return Ok(Vec::new());
    };
    let mut changed = Vec::new();
    dir.walk(MAX_ENTRIES, &mut |entry| {
        if let Entry::File {
            rel, file, size, ..
        } = entry
        {
            if changed.len() >= MAX_FILES_PER_PASS {
                return Ok(());
            }
            let modified = file.metadata().ok().and_then(|m| m.modified().ok());
            let version = Version { size, modified };
            if uploaded.get(&rel) != Some(&version) {
                changed.push((rel, file, version));
            }
        }
        Ok(())
    })?;
    Ok(changed)
}
