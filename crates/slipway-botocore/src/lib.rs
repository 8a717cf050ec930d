//! The AWS wire model Slipway implements, and input checking driven by it.
//!
//! Why a model rather than hand-written rules: AWS refuses malformed
//! requests with exact, machine-generated messages (required members,
//! lengths, patterns, enums, ranges; docs/contracts.md §1.4). Reading those rules from
//! the botocore service model — the same file the clients are generated from
//! — keeps Slipway's answers identical to AWS's, and a botocore upgrade is a
//! re-run of `tools/codegen/extract_model.py`, not a code review.
//!
//! ```
//! let model = slipway_botocore::sagemaker();
//! let body = serde_json::json!({"TrainingJobName": "bad_name"});
//! let err = model.check_input("DescribeTrainingJob", &body).unwrap_err();
//! assert_eq!(
//!     err.to_string(),
//!     "1 validation error detected: Value 'bad_name' at 'trainingJobName' failed to satisfy \
//!      constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}"
//! );
//! ```

mod check;
mod load;
mod model;
mod pattern;
mod render;

use std::sync::OnceLock;

pub use check::{InputError, Violation};
pub use model::{Member, ModelError, Operation, ServiceModel, Shape, ShapeType};
pub use pattern::PatternError;
pub use render::aws_message;

/// The SageMaker model subset (`botocore/data/sagemaker/2017-07-24`), as
/// extracted by `tools/codegen/extract_model.py`. Embedded so the server
/// needs no files at run time and every build checks with the same rules.
pub const SAGEMAKER_MODEL_JSON: &str = include_str!("sagemaker/service-model.json");

/// The SageMaker model, loaded and compiled on first use and shared after:
/// checking a request then costs no parsing or regex compilation.
pub fn sagemaker() -> &'static ServiceModel {
    static MODEL: OnceLock<ServiceModel> = OnceLock::new();
    MODEL.get_or_init(|| {
        ServiceModel::from_json(SAGEMAKER_MODEL_JSON)
            // The document is part of this crate and the tests load it; a
            // failure here is a bad extract, never bad request data.
            .expect(
                "embedded SageMaker service model must load (run cargo test -p slipway-botocore)",
            )
    })
}

/// The CloudWatch Logs model subset (`botocore/data/logs/2014-03-28`) for
/// the job-log operations, extracted with `extract_model.py --service logs`.
pub const LOGS_MODEL_JSON: &str = include_str!("logs/service-model.json");

/// The CloudWatch Logs model, loaded on first use like [`sagemaker`].
/// CloudWatch Logs reports the same constraint messages, under the code
/// `InvalidParameterException` (the wire crate's concern).
pub fn logs() -> &'static ServiceModel {
    static MODEL: OnceLock<ServiceModel> = OnceLock::new();
    MODEL.get_or_init(|| {
        ServiceModel::from_json(LOGS_MODEL_JSON)
            // Same reasoning as for `sagemaker()`: a bad extract, never bad input.
            .expect("embedded CloudWatch Logs service model must load (run cargo test -p slipway-botocore)")
    })
}

/// The SageMaker runtime model (`botocore/data/sagemaker-runtime/2017-05-13`,
/// rest-json), extracted with `extract_model.py --service sagemaker-runtime`:
/// InvokeEndpoint's members travel in headers, which the runtime's edge maps
/// to members (`locationName`) before checking them like any request.
pub const RUNTIME_MODEL_JSON: &str = include_str!("sagemaker-runtime/service-model.json");

/// The SageMaker runtime model, loaded on first use (see `sagemaker`).
pub fn runtime() -> &'static ServiceModel {
    static MODEL: OnceLock<ServiceModel> = OnceLock::new();
    MODEL.get_or_init(|| {
        ServiceModel::from_json(RUNTIME_MODEL_JSON)
            // Same reasoning as for `sagemaker()`: a bad extract, never bad input.
            .expect("embedded SageMaker runtime service model must load (run cargo test -p slipway-botocore)")
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap (STYLE 6)
mod model_tests;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod logs_tests;
/// The ECR model subset (`botocore/data/ecr/2015-09-21`), extracted with
/// `tools/codegen/extract_model.py --service ecr`.
pub const ECR_MODEL_JSON: &str = include_str!("ecr/service-model.json");

/// The ECR model, loaded on first use (see `sagemaker`).
pub fn ecr() -> &'static ServiceModel {
    static MODEL: OnceLock<ServiceModel> = OnceLock::new();
    MODEL.get_or_init(|| {
        ServiceModel::from_json(ECR_MODEL_JSON)
            // Part of this crate and loaded by its tests: never request data.
            .expect("embedded ECR service model must load (run cargo test -p slipway-botocore)")
    })
}

/// The AWS Marketplace Catalog model subset
/// (`botocore/data/marketplace-catalog/2018-09-17`, rest-json), extracted
/// with `extract_model.py --service marketplace-catalog`: the change-set and
/// entity operations publishing uses. Query-string members are mapped to
/// their member names by the edge before checking (`locationName`).
pub const CATALOG_MODEL_JSON: &str = include_str!("marketplace-catalog/service-model.json");

/// The Marketplace Catalog model, loaded on first use (see `sagemaker`).
pub fn catalog() -> &'static ServiceModel {
    static MODEL: OnceLock<ServiceModel> = OnceLock::new();
    MODEL.get_or_init(|| {
        ServiceModel::from_json(CATALOG_MODEL_JSON)
            // Part of this crate and loaded by its tests: never request data.
            .expect("embedded Marketplace Catalog service model must load (run cargo test -p slipway-botocore)")
    })
}

/// The AWS Marketplace Agreement model subset
/// (`botocore/data/marketplace-agreement/2020-03-01`, smithy-rpc-v2-cbor or
/// AWS JSON 1.0), extracted with `extract_model.py --service
/// marketplace-agreement`: the read side (SearchAgreements,
/// DescribeAgreement, GetAgreementTerms). The edge turns CBOR bodies into
/// JSON before checking them, so the same checker serves both protocols.
pub const AGREEMENT_MODEL_JSON: &str = include_str!("marketplace-agreement/service-model.json");

/// The Marketplace Agreement model, loaded on first use (see `sagemaker`).
pub fn agreement() -> &'static ServiceModel {
    static MODEL: OnceLock<ServiceModel> = OnceLock::new();
    MODEL.get_or_init(|| {
        ServiceModel::from_json(AGREEMENT_MODEL_JSON)
            // Part of this crate and loaded by its tests: never request data.
            .expect("embedded Marketplace Agreement service model must load (run cargo test -p slipway-botocore)")
    })
}

/// The CloudWatch model subset (`botocore/data/cloudwatch/2010-08-01`,
/// smithy-rpc-v2-cbor, AWS JSON 1.0 or query), extracted with
/// `extract_model.py --service cloudwatch`: GetMetricStatistics,
/// GetMetricData and ListMetrics, for training-job metrics. The edge turns
/// CBOR bodies into JSON before checking them.
pub const CLOUDWATCH_MODEL_JSON: &str = include_str!("cloudwatch/service-model.json");

/// The CloudWatch model, loaded on first use (see `sagemaker`).
pub fn cloudwatch() -> &'static ServiceModel {
    static MODEL: OnceLock<ServiceModel> = OnceLock::new();
    MODEL.get_or_init(|| {
        ServiceModel::from_json(CLOUDWATCH_MODEL_JSON)
            // Part of this crate and loaded by its tests: never request data.
            .expect(
                "embedded CloudWatch service model must load (run cargo test -p slipway-botocore)",
            )
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap (STYLE 6)
mod cloudwatch_tests {
    #[test]
    fn the_cloudwatch_model_loads_and_checks_inputs() {
        let m = super::cloudwatch();
        let ok = serde_json::json!({"Namespace": "/aws/sagemaker/TrainingJobs",
            "MetricName": "train:mse", "StartTime": 1, "EndTime": 2, "Period": 60,
            "Statistics": ["Average"]});
        assert!(m.check_input("GetMetricStatistics", &ok).is_ok());
        let bad = serde_json::json!({"Namespace": "x", "MetricName": "m",
            "StartTime": 1, "EndTime": 2, "Period": 0});
        let err = m
            .check_input("GetMetricStatistics", &bad)
            .unwrap_err()
            .to_string();
        assert!(err.contains("period"), "{err}");
        assert!(m.check_input("ListMetrics", &serde_json::json!({})).is_ok());
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap (STYLE 6)
mod agreement_tests {
    #[test]
    fn the_agreement_model_loads_and_checks_inputs() {
        let m = super::agreement();
        for op in ["SearchAgreements", "DescribeAgreement", "GetAgreementTerms"] {
            assert!(m.operation(op).is_some(), "{op}");
        }
        let ok = serde_json::json!({"catalog": "AWSMarketplace", "maxResults": 5,
            "filters": [{"name": "PartyType", "values": ["Proposer"]}]});
        let r = m.check_input("SearchAgreements", &ok);
        assert!(r.is_ok(), "{r:?}");
        let bad = serde_json::json!({"maxResults": 51});
        let err = m
            .check_input("SearchAgreements", &bad)
            .unwrap_err()
            .to_string();
        assert!(err.contains("maxResults"), "{err}");
        assert!(m
            .check_input("DescribeAgreement", &serde_json::json!({}))
            .is_err());
    }
}

#[cfg(test)]
mod catalog_tests {
    #[test]
    fn the_catalog_model_loads_and_leaves_documents_unchecked() {
        let m = super::catalog();
        let ok = serde_json::json!({
            "Catalog": "AWSMarketplace",
            "ChangeSet": [{
                "ChangeType": "CreateProduct",
                "Entity": {"Type": "MachineLearningProduct@1.0"},
                "DetailsDocument": {"ProductTitle": "x", "Nested": [1, {"a": null}]}
            }]
        });
        let r = m.check_input("StartChangeSet", &ok);
        assert!(r.is_ok(), "{r:?}");
        let bad = serde_json::json!({"Catalog": "AWSMarketplace", "ChangeSet": []});
        let err = m
            .check_input("StartChangeSet", &bad)
            .unwrap_err()
            .to_string();
        assert!(err.contains("changeSet"), "{err}");
    }
}

#[cfg(test)]
mod ecr_tests {
    #[test]
    fn the_ecr_model_loads_and_checks_inputs() {
        let m = super::ecr();
        assert!(m.operation("GetAuthorizationToken").is_some());
        let bad = serde_json::json!({"repositoryName": "x"});
        assert!(m.check_input("CreateRepository", &bad).is_err());
        let ok = serde_json::json!({"repositoryName": "team/model"});
        assert!(m.check_input("CreateRepository", &ok).is_ok());
    }
}

/// The STS model subset (`botocore/data/sts/2011-06-15`), extracted with
/// `tools/codegen/extract_model.py --service sts`. STS speaks the query
/// protocol: the wire crate turns its form parameters into the JSON shape
/// this model checks, so constraint messages are AWS's here too.
pub const STS_MODEL_JSON: &str = include_str!("sts/service-model.json");

/// The STS model, loaded on first use (see `sagemaker`).
pub fn sts() -> &'static ServiceModel {
    static MODEL: OnceLock<ServiceModel> = OnceLock::new();
    MODEL.get_or_init(|| {
        ServiceModel::from_json(STS_MODEL_JSON)
            // Part of this crate and loaded by its tests: never request data.
            .expect("embedded STS service model must load (run cargo test -p slipway-botocore)")
    })
}

/// The IAM model subset (`botocore/data/iam/2010-05-08`): roles and the
/// policy simulation the SageMaker SDKs call (`--service iam`).
pub const IAM_MODEL_JSON: &str = include_str!("iam/service-model.json");

/// The IAM model, loaded on first use (see `sagemaker`).
pub fn iam() -> &'static ServiceModel {
    static MODEL: OnceLock<ServiceModel> = OnceLock::new();
    MODEL.get_or_init(|| {
        ServiceModel::from_json(IAM_MODEL_JSON)
            // Part of this crate and loaded by its tests: never request data.
            .expect("embedded IAM service model must load (run cargo test -p slipway-botocore)")
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap (STYLE 6)
mod query_model_tests {
    #[test]
    fn the_sts_model_checks_session_names_and_durations() {
        let m = super::sts();
        let ok = serde_json::json!({"RoleArn": "arn:aws:iam::123456789012:role/R", "RoleSessionName": "s-1"});
        assert!(m.check_input("AssumeRole", &ok).is_ok());
        let bad = serde_json::json!({"RoleArn": "arn:aws:iam::123456789012:role/R", "RoleSessionName": "bad name", "DurationSeconds": 60});
        let err = m.check_input("AssumeRole", &bad).unwrap_err().to_string();
        assert!(err.starts_with("2 validation errors detected: "), "{err}");
        assert!(err.contains("at 'roleSessionName'"), "{err}");
        assert!(
            err.contains("Value '60' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900"),
            "{err}"
        );
    }

    #[test]
    fn the_iam_model_checks_role_names_and_paths() {
        let m = super::iam();
        let ok = serde_json::json!({"RoleName": "Role+=,.@-_1", "Path": "/a/b/", "AssumeRolePolicyDocument": "{}"});
        assert!(m.check_input("CreateRole", &ok).is_ok());
        let bad = serde_json::json!({"RoleName": "no spaces", "Path": "a", "AssumeRolePolicyDocument": "{}"});
        let err = m.check_input("CreateRole", &bad).unwrap_err().to_string();
        assert!(
            err.contains("at 'path'") && err.contains("at 'roleName'"),
            "{err}"
        );
        for op in [
            "GetRole",
            "ListRoles",
            "DeleteRole",
            "AttachRolePolicy",
            "DetachRolePolicy",
            "ListAttachedRolePolicies",
            "SimulatePrincipalPolicy",
        ] {
            assert!(m.operation(op).is_some(), "{op}");
        }
    }
}
