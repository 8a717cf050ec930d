//! Unit tests of `checks`.
use super::*;
use serde_json::json;

fn training() -> TrainingSpec {
    crate::testkit::spec(json!({
        "TrainingImage": "img",
        "SupportedTrainingInstanceTypes": ["ml.m5.large"],
        "SupportedHyperParameters": [
            {"Name": "epochs", "Type": "Integer", "IsRequired": true,
             "Range": {"IntegerParameterRangeSpecification": {"MinValue": "1", "MaxValue": "10"}}},
            {"Name": "lr", "Type": "Continuous",
             "Range": {"ContinuousParameterRangeSpecification": {"MinValue": "0.001", "MaxValue": "1"}}},
            {"Name": "mode", "Type": "Categorical",
             "Range": {"CategoricalParameterRangeSpecification": {"Values": ["a", "b"]}}}
        ],
        "TrainingChannels": [
            {"Name": "train", "IsRequired": true, "SupportedContentTypes": ["text/csv"], "SupportedInputModes": ["File"]},
            {"Name": "test", "SupportedContentTypes": ["text/csv"], "SupportedInputModes": ["File", "Pipe"]}
        ]
    }))
}

fn definition(hps: serde_json::Value, channels: &[&str]) -> TrainingJobDefinition {
    let channels: Vec<_> = channels
        .iter()
        .map(|c| json!({"ChannelName": c, "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://b/p"}}}))
        .collect();
    crate::testkit::spec(json!({
        "TrainingInputMode": "File",
        "HyperParameters": hps,
        "InputDataConfig": channels,
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1}
    }))
}

fn field_of(r: Result<()>) -> String {
    match r {
        Err(Error::Invalid { field, .. }) => field,
        other => panic!("expected Invalid, got {other:?}"),
    }
}

#[test]
fn a_fitting_definition_passes() {
    let d = definition(
        json!({"epochs": "5", "lr": "0.5", "mode": "b"}),
        &["train", "test"],
    );
    training_job_definition(&training(), &d, "P").unwrap();
}

#[test]
fn hyperparameters_must_fit_type_range_and_values() {
    let spec = training();
    for (hps, field) in [
        (json!({"epochs": "11"}), "P.HyperParameters.epochs"),
        (json!({"epochs": "1.5"}), "P.HyperParameters.epochs"),
        (json!({"epochs": "2", "lr": "2"}), "P.HyperParameters.lr"),
        (
            json!({"epochs": "2", "mode": "c"}),
            "P.HyperParameters.mode",
        ),
        (
            json!({"epochs": "2", "nope": "1"}),
            "P.HyperParameters.nope",
        ),
        (json!({}), "P.HyperParameters"),
    ] {
        let d = definition(hps.clone(), &["train"]);
        assert_eq!(
            field_of(training_job_definition(&spec, &d, "P")),
            field,
            "{hps}"
        );
    }
}

#[test]
fn channels_must_be_declared_and_required_ones_present() {
    let spec = training();
    let hps = json!({"epochs": "2"});
    assert_eq!(
        field_of(training_job_definition(
            &spec,
            &definition(hps.clone(), &["train", "extra"]),
            "P"
        )),
        "P.InputDataConfig.2.ChannelName"
    );
    assert_eq!(
        field_of(training_job_definition(
            &spec,
            &definition(hps, &["test"]),
            "P"
        )),
        "P.InputDataConfig"
    );
}

#[test]
fn instance_type_and_count_must_be_supported() {
    let spec = training();
    let mut d = definition(json!({"epochs": "2"}), &["train"]);
    d.resource_config.instance_count = Some(2);
    assert_eq!(
        field_of(training_job_definition(&spec, &d, "P")),
        "P.ResourceConfig.InstanceCount"
    );
    d.resource_config.instance_type = Some("ml.c5.xlarge".into());
    assert_eq!(
        field_of(training_job_definition(&spec, &d, "P")),
        "P.ResourceConfig.InstanceType"
    );
}

#[test]
fn every_instance_group_must_be_supported_and_their_hosts_count_together() {
    let mut spec = training();
    let mut d = definition(json!({"epochs": "2"}), &["train"]);
    d.resource_config = crate::testkit::spec(json!({"InstanceGroups": [
        {"InstanceGroupName": "a", "InstanceType": "ml.m5.large", "InstanceCount": 1},
        {"InstanceGroupName": "b", "InstanceType": "ml.c5.xlarge", "InstanceCount": 1},
    ]}));
    assert_eq!(
        field_of(training_job_definition(&spec, &d, "P")),
        "P.ResourceConfig.InstanceGroups.2.InstanceType"
    );
    spec.supported_training_instance_types
        .push("ml.c5.xlarge".into());
    // Two groups of one host each: two hosts, a distributed job.
    match training_job_definition(&spec, &d, "P") {
        Err(Error::Invalid { field, reason }) => {
            assert_eq!(field, "P.ResourceConfig.InstanceGroups");
            assert_eq!(
                reason,
                "InstanceGroups with 2 instances in all need an algorithm with SupportsDistributedTraining=true."
            );
        }
        other => panic!("expected Invalid, got {other:?}"),
    }
    spec.supports_distributed_training = Some(true);
    training_job_definition(&spec, &d, "P").expect("a distributed algorithm runs on both groups");
}

#[test]
fn ranges_must_match_the_declared_type() {
    let mut spec = training();
    spec.supported_hyper_parameters[0].kind = "Continuous".into();
    assert_eq!(
        field_of(training_specification(&spec)),
        "TrainingSpecification.SupportedHyperParameters.1.Range"
    );
    let mut spec = training();
    spec.supported_hyper_parameters[1].default_value = Some("7".into());
    assert_eq!(
        field_of(training_specification(&spec)),
        "TrainingSpecification.SupportedHyperParameters.2.DefaultValue"
    );
}

#[test]
fn transform_definitions_must_fit_the_inference_specification() {
    let inf: InferenceSpec = crate::testkit::spec(json!({
        "Containers": [{"Image": "img"}],
        "SupportedTransformInstanceTypes": ["ml.m5.large"],
        "SupportedContentTypes": ["text/csv"],
        "SupportedResponseMIMETypes": ["text/csv"]
    }));
    let ok = json!({"TransformInput": {"ContentType": "text/csv",
                        "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://b/in/"}}},
                    "TransformOutput": {"Accept": "text/csv", "S3OutputPath": "s3://b/out"},
                    "TransformResources": {"InstanceType": "ml.m5.large"}});
    let def = |v: &serde_json::Value| -> TransformJobDefinition { crate::testkit::spec(v.clone()) };
    transform_job_definition(&inf, &def(&ok), "T").unwrap();
    let mut bad = ok.clone();
    bad["TransformOutput"]["Accept"] = json!("application/json");
    assert_eq!(
        field_of(transform_job_definition(&inf, &def(&bad), "T")),
        "T.TransformOutput.Accept"
    );
    let mut bad = ok;
    bad["TransformResources"]["InstanceType"] = json!("ml.c5.xlarge");
    assert_eq!(
        field_of(transform_job_definition(&inf, &def(&bad), "T")),
        "T.TransformResources.InstanceType"
    );
}
