//! The SageMaker Python SDK's defaults file ("intelligent defaults") for
//! the default account: with it and the `export AWS_…` line, SDK v3
//! (`ModelTrainer`, `ModelBuilder`, the `sagemaker.core` resources) and v2
//! run unmodified, as they would in a SageMaker notebook (README, "SageMaker
//! Python SDK (v3)").

use slipway_core::AccountId;
use std::path::{Path, PathBuf};

/// The file's name in the data directory.
pub const FILE_NAME: &str = "sagemaker-config.yaml";

use slipway_service::iam::DEFAULT_ROLE_NAME;

/// The defaults: the bucket the SDK would pick on AWS
/// (`sagemaker-REGION-ACCOUNT`), the account's execution role for every job
/// and model, and no telemetry (the SDK would report usage to AWS, which a
/// local user may not reach or want). A fixed document, so it is written as
/// text rather than through a YAML library.
pub fn document(account: &AccountId, region: &str) -> String {
    let account = account.as_str();
    let role = format!("arn:aws:iam::{account}:role/{DEFAULT_ROLE_NAME}");
    format!(
        "SchemaVersion: '1.0'
SageMaker:
  PythonSDK:
    Modules:
      Session:
        DefaultS3Bucket: sagemaker-{region}-{account}
      TelemetryOptOut: true
  TrainingJob:
    RoleArn: {role}
  ProcessingJob:
    RoleArn: {role}
  Model:
    ExecutionRoleArn: {role}
  ModelPackage:
    ValidationSpecification:
      ValidationRole: {role}
"
    )
}

/// Writes the file into `data_dir` unless it is there already (a user may
/// have edited it), atomically; returns its absolute path (it is printed
/// for pasting into another shell).
pub fn write_if_absent(
    data_dir: &Path,
    account: &AccountId,
    region: &str,
) -> std::io::Result<PathBuf> {
    let data_dir = std::fs::canonicalize(data_dir)?;
    let path = data_dir.join(FILE_NAME);
    if path.exists() {
        return Ok(path);
    }
    let partial = data_dir.join(format!(".{FILE_NAME}.partial"));
    std::fs::write(&partial, document(account, region))?;
    std::fs::rename(&partial, &path)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_accounts_bucket_and_role() {
        let account = AccountId::parse("111122223333").unwrap();
        let doc = document(&account, "eu-west-1");
        assert!(doc.contains("DefaultS3Bucket: sagemaker-eu-west-1-111122223333\n"));
        assert!(doc.contains("RoleArn: arn:aws:iam::111122223333:role/SlipwayExecutionRole\n"));
        assert_eq!(doc.matches("arn:aws:iam::").count(), 4);
    }

    #[test]
    fn an_existing_file_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let account = AccountId::parse("111122223333").unwrap();
        std::fs::write(dir.path().join(FILE_NAME), "edited").unwrap();
        let path = write_if_absent(dir.path(), &account, "us-east-1").unwrap();
        assert_eq!(std::fs::read_to_string(path).unwrap(), "edited");
    }
}
