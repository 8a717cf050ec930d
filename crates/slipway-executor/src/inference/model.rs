//! The model an inference container serves: ModelDataUrl downloaded and
//! safely extracted into the work directory, for a read-only mount at
//! `/opt/ml/model`.

use crate::extract::{extract_tar_gz, ExtractLimits};
use crate::transfer::{self, S3Uri};
use crate::{Fatal, JobData};
use slipway_core::AccountId;
use std::path::{Path, PathBuf};

/// Downloads `model_data_url` (read as `account`) into `work` and extracts
/// it (never following its links, within [`ExtractLimits::default`]);
/// returns the extracted directory, `work/model`.
pub async fn download_model(
    data: &JobData,
    account: &AccountId,
    model_data_url: &str,
    work: &Path,
) -> Result<PathBuf, Fatal> {
    let url = model_data_url;
    let uri = S3Uri::parse(url).ok_or_else(|| {
        Fatal(format!(
            "ClientError: ModelDataUrl {url} is not an s3:// URI"
        ))
    })?;
    let archive = work.join("model.tar.gz");
    let object = transfer::InputObject {
        bucket: uri.bucket.clone(),
        key: uri.key.clone(),
        size: 0,
        relative: "model.tar.gz".into(),
        listed_blob: None,
        prefetched: None,
    };
    transfer::download(data, account, &object, &archive)
        .await
        .map_err(|e| {
            Fatal(format!(
                "ClientError: downloading the model {url} failed: {e}"
            ))
        })?;
    let dest = work.join("model");
    let (src, out) = (archive.clone(), dest.clone());
    tokio::task::spawn_blocking(move || extract_tar_gz(&src, &out, ExtractLimits::default()))
        .await
        .map_err(|e| Fatal(format!("InternalServerError: extracting the model: {e}")))?
        .map_err(|e| Fatal(format!("ClientError: the model {url} cannot be used: {e}")))?;
    let _ = tokio::fs::remove_file(&archive).await;
    Ok(dest)
}
