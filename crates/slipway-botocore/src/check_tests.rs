//! Every rule of the checker, against real SageMaker shapes.

use serde_json::{json, Value};

use crate::{aws_message, sagemaker, InputError, Violation};

const ROLE: &str = "arn:aws:iam::123456789012:role/SageMakerRole";
const NAME_PATTERN: &str = "[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}";

fn violations(op: &str, body: &Value) -> Vec<Violation> {
    match sagemaker().check_input(op, body) {
        Err(InputError::Constraints(v)) => v,
        other => panic!("expected constraint violations, got {other:?}"),
    }
}

fn message(op: &str, body: &Value) -> String {
    aws_message(&violations(op, body))
}

fn serialization(op: &str, body: &Value) -> String {
    match sagemaker().check_input(op, body) {
        Err(InputError::Serialization(m)) => m,
        other => panic!("expected a serialization error, got {other:?}"),
    }
}

fn ok(op: &str, body: &Value) {
    if let Err(e) = sagemaker().check_input(op, body) {
        panic!("{op} should pass, got {e}");
    }
}

fn training_job() -> Value {
    json!({
        "TrainingJobName": "job-1",
        "RoleArn": ROLE,
        "AlgorithmSpecification": {"TrainingImage": "img:1", "TrainingInputMode": "File"},
        "InputDataConfig": [{
            "ChannelName": "train",
            "DataSource": {"S3DataSource": {
                "S3DataType": "S3Prefix",
                "S3Uri": "s3://bucket/train",
                "S3DataDistributionType": "FullyReplicated"
            }}
        }],
        "OutputDataConfig": {"S3OutputPath": "s3://bucket/out"},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
        "HyperParameters": {"epochs": "3"},
        "Environment": {"MY_VAR": "x"},
        "Tags": [{"Key": "team", "Value": "ml"}]
    })
}

fn algorithm() -> Value {
    json!({
        "AlgorithmName": "algo-1",
        "TrainingSpecification": {
            "TrainingImage": "123456789012.dkr.ecr.us-east-1.amazonaws.com/algo:1",
            "SupportedTrainingInstanceTypes": ["ml.m5.large"],
            "TrainingChannels": [{
                "Name": "train",
                "SupportedContentTypes": ["text/csv"],
                "SupportedInputModes": ["File"]
            }]
        },
        "ValidationSpecification": {
            "ValidationRole": ROLE,
            "ValidationProfiles": [profile("p1")]
        }
    })
}

fn profile(name: &str) -> Value {
    json!({
        "ProfileName": name,
        "TrainingJobDefinition": {
            "TrainingInputMode": "File",
            "InputDataConfig": [{
                "ChannelName": "train",
                "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://b/t"}}
            }],
            "OutputDataConfig": {"S3OutputPath": "s3://b/o"},
            "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
            "StoppingCondition": {"MaxRuntimeInSeconds": 600}
        }
    })
}

#[test]
fn valid_requests_pass() {
    ok("CreateTrainingJob", &training_job());
    ok("CreateAlgorithm", &algorithm());
    ok("ListAlgorithms", &json!({}));
    ok(
        "ListAlgorithms",
        &json!({"MaxResults": 100, "SortOrder": "Descending"}),
    );
    ok(
        "DescribeModelPackage",
        &json!({"ModelPackageName": "arn:aws:sagemaker:us-east-1:123456789012:model-package/grp/3"}),
    );
}

#[test]
fn pattern_violation_shows_the_model_pattern() {
    let mut body = training_job();
    body["TrainingJobName"] = json!("bad_name");
    assert_eq!(
        message("CreateTrainingJob", &body),
        format!(
            "1 validation error detected: Value 'bad_name' at 'trainingJobName' failed to \
             satisfy constraint: Member must satisfy regular expression pattern: {NAME_PATTERN}"
        )
    );
}

#[test]
fn missing_required_member_is_null() {
    let mut body = algorithm();
    body.as_object_mut()
        .unwrap()
        .remove("TrainingSpecification");
    assert_eq!(
        message("CreateAlgorithm", &body),
        "1 validation error detected: Value null at 'trainingSpecification' failed to satisfy \
         constraint: Member must not be null"
    );
}

#[test]
fn json_null_counts_as_absent() {
    let mut body = algorithm();
    body["TrainingSpecification"] = Value::Null;
    body["Tags"] = Value::Null; // optional: fine
    let v = violations("CreateAlgorithm", &body);
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].path, "trainingSpecification");
}

#[test]
fn list_size_is_checked() {
    let mut body = algorithm();
    body["ValidationSpecification"]["ValidationProfiles"] = json!([profile("p1"), profile("p2")]);
    let v = violations("CreateAlgorithm", &body);
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].path, "validationSpecification.validationProfiles");
    assert!(v[0].message.ends_with(
        "at 'validationSpecification.validationProfiles' failed to satisfy constraint: \
         Member must have length less than or equal to 1"
    ));
    assert!(v[0]
        .message
        .starts_with("Value '[{ProfileName=p1, TrainingJobDefinition={"));

    body["ValidationSpecification"]["ValidationProfiles"] = json!([]);
    assert_eq!(
        message("CreateAlgorithm", &body),
        "1 validation error detected: Value '[]' at 'validationSpecification.validationProfiles' \
         failed to satisfy constraint: Member must have length greater than or equal to 1"
    );
}

#[test]
fn integer_range() {
    assert_eq!(
        message("ListAlgorithms", &json!({"MaxResults": 0})),
        "1 validation error detected: Value '0' at 'maxResults' failed to satisfy constraint: \
         Member must have value greater than or equal to 1"
    );
    assert_eq!(
        message("ListAlgorithms", &json!({"MaxResults": 101})),
        "1 validation error detected: Value '101' at 'maxResults' failed to satisfy constraint: \
         Member must have value less than or equal to 100"
    );
    ok("ListAlgorithms", &json!({"MaxResults": 10.0}));
}

#[test]
fn float_range_renders_java_doubles() {
    let body = json!({
        "EndpointConfigName": "cfg",
        "ProductionVariants": [{
            "VariantName": "v1", "ModelName": "m", "InstanceType": "ml.m5.large",
            "InitialInstanceCount": 1, "InitialVariantWeight": -1
        }]
    });
    assert_eq!(
        message("CreateEndpointConfig", &body),
        "1 validation error detected: Value '-1.0' at 'productionVariants.1.member.initialVariantWeight' \
         failed to satisfy constraint: Member must have value greater than or equal to 0.0"
    );
}

#[test]
fn enum_lists_values_in_model_order() {
    assert_eq!(
        message("ListAlgorithms", &json!({"SortOrder": "Up"})),
        "1 validation error detected: Value 'Up' at 'sortOrder' failed to satisfy constraint: \
         Member must satisfy enum value set: [Ascending, Descending]"
    );
}

#[test]
fn nested_paths_use_one_based_member_segments() {
    let mut body = algorithm();
    body["TrainingSpecification"]["TrainingChannels"][0]["Name"] = json!("bad name!");
    let v = violations("CreateAlgorithm", &body);
    assert_eq!(v.len(), 1);
    assert_eq!(
        v[0].path,
        "trainingSpecification.trainingChannels.1.member.name"
    );
    assert_eq!(
        v[0].message,
        "Value 'bad name!' at 'trainingSpecification.trainingChannels.1.member.name' failed to \
         satisfy constraint: Member must satisfy regular expression pattern: [A-Za-z0-9\\.\\-_]+"
    );
}

#[test]
fn string_length_counts_code_points() {
    let mut body = training_job();
    body["Tags"] = json!([{"Key": "ok", "Value": "v"}, {"Key": "k".repeat(129), "Value": "v"}]);
    let v = violations("CreateTrainingJob", &body);
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].path, "tags.2.member.key");
    assert!(v[0].message.ends_with(
        "failed to satisfy constraint: Member must have length less than or equal to 128"
    ));
    // 128 two-byte characters are 128 long, not 256.
    body["Tags"] = json!([{"Key": "é".repeat(128), "Value": "v"}]);
    ok("CreateTrainingJob", &body);
}

#[test]
fn several_violations_are_counted_and_joined() {
    let body = json!({"MaxResults": 0, "SortOrder": "Up"});
    assert_eq!(
        message("ListAlgorithms", &body),
        "2 validation errors detected: Value '0' at 'maxResults' failed to satisfy constraint: \
         Member must have value greater than or equal to 1; Value 'Up' at 'sortOrder' failed to \
         satisfy constraint: Member must satisfy enum value set: [Ascending, Descending]"
    );
}

#[test]
fn one_value_can_break_several_constraints() {
    let mut body = training_job();
    body["TrainingJobName"] = json!(format!("{}_", "a".repeat(63)));
    let v = violations("CreateTrainingJob", &body);
    let phrases: Vec<_> = v
        .iter()
        .map(|v| v.message.split("constraint: ").nth(1).unwrap())
        .collect();
    assert_eq!(
        phrases,
        [
            "Member must have length less than or equal to 63".to_owned(),
            format!("Member must satisfy regular expression pattern: {NAME_PATTERN}")
        ]
    );
}

#[test]
fn violations_follow_model_member_order_and_siblings_continue() {
    let mut body = training_job();
    body["RoleArn"] = json!("nope");
    body["TrainingJobName"] = json!("bad_name");
    body["OutputDataConfig"] = json!({});
    body["ResourceConfig"]["KeepAlivePeriodInSeconds"] = json!(21_601);
    let paths: Vec<_> = violations("CreateTrainingJob", &body)
        .into_iter()
        .map(|v| v.path)
        .collect();
    assert_eq!(
        paths,
        [
            "trainingJobName",
            "roleArn",
            "roleArn",
            "outputDataConfig.s3OutputPath",
            "resourceConfig.keepAlivePeriodInSeconds"
        ]
    );
}

#[test]
fn scalar_list_elements_are_reported_against_the_list() {
    let mut body = algorithm();
    body["TrainingSpecification"]["SupportedTrainingInstanceTypes"] =
        json!(["ml.m5.large", "ml.bogus"]);
    let v = violations("CreateAlgorithm", &body);
    assert_eq!(v.len(), 1);
    assert_eq!(
        v[0].path,
        "trainingSpecification.supportedTrainingInstanceTypes"
    );
    assert!(v[0].message.starts_with(
        "Value '[ml.m5.large, ml.bogus]' at 'trainingSpecification.supportedTrainingInstanceTypes' \
         failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum \
         value set: [ml.m4.xlarge, "
    ));
    assert!(v[0].message.ends_with("]]"));
}

#[test]
fn map_keys_and_values_are_reported_once_each_keys_first() {
    let mut body = training_job();
    body["Environment"] = json!({"1BAD": "x", "GOOD": "y".repeat(513), "ALSO-BAD": "z"});
    let v = violations("CreateTrainingJob", &body);
    let messages: Vec<_> = v.iter().map(|v| v.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            format!(
                "Value '{{1BAD=x, GOOD={}, ALSO-BAD=z}}' at 'environment' failed to satisfy \
                 constraint: Map keys must satisfy constraint: [Member must have length less than \
                 or equal to 512, Member must have length greater than or equal to 0, Member must satisfy regular expression pattern: \
                 [a-zA-Z_][a-zA-Z0-9_]*]",
                "y".repeat(513)
            ),
            format!(
                "Value '{{1BAD=x, GOOD={}, ALSO-BAD=z}}' at 'environment' failed to satisfy \
                 constraint: Map value must satisfy constraint: [Member must have length less \
                 than or equal to 512, Member must have length greater than or equal to 0, Member must satisfy regular expression pattern: [\\S\\s]*]",
                "y".repeat(513)
            ),
        ]
    );
}

#[test]
fn map_size_is_checked() {
    let mut body = training_job();
    let env: serde_json::Map<String, Value> =
        (0..101).map(|i| (format!("K{i}"), json!("v"))).collect();
    body["Environment"] = Value::Object(env);
    let v = violations("CreateTrainingJob", &body);
    assert_eq!(v.len(), 1);
    assert!(v[0]
        .message
        .ends_with("at 'environment' failed to satisfy constraint: Member must have length less than or equal to 100"));
}

#[test]
fn sensitive_values_are_left_out() {
    let body = json!({
        "ModelPackageGroupName": "grp",
        "ModelCard": {"ModelCardContent": "x".repeat(100_001), "ModelCardStatus": "Draft"}
    });
    assert_eq!(
        message("CreateModelPackage", &body),
        "1 validation error detected: Value at 'modelCard.modelCardContent' failed to satisfy \
         constraint: Member must have length less than or equal to 100000"
    );
}

#[test]
fn look_behind_pattern_is_enforced() {
    let body = json!({"AlgorithmName": "algo-"});
    let v = violations("DescribeAlgorithm", &body);
    assert_eq!(v.len(), 1);
    assert!(v[0].message.ends_with(
        "Member must satisfy regular expression pattern: (arn:aws[a-z\\-]*:sagemaker:[a-z0-9\\-]*:[0-9]{12}:[a-z\\-]*\\/)?([a-zA-Z0-9]([a-zA-Z0-9-]){0,62})(?<!-)"
    ));
    ok("DescribeAlgorithm", &json!({"AlgorithmName": "algo"}));
}

#[test]
fn unknown_members_are_ignored() {
    ok(
        "ListAlgorithms",
        &json!({"SomethingNew": [1, 2, {"x": null}]}),
    );
}

#[test]
fn wrong_types_are_serialization_errors() {
    assert_eq!(
        serialization("DescribeTrainingJob", &json!({"TrainingJobName": 5})),
        "Unexpected value type for 'trainingJobName': expected string, got number"
    );
    assert_eq!(
        serialization("ListAlgorithms", &json!({"MaxResults": 1.5})),
        "Unexpected value type for 'maxResults': expected integer, got number with a fractional part"
    );
    assert_eq!(
        serialization("ListAlgorithms", &json!({"MaxResults": 3_000_000_000u64})),
        "Unexpected value type for 'maxResults': expected integer, got number out of range"
    );
    assert_eq!(
        serialization("ListAlgorithms", &json!({"MaxResults": "10"})),
        "Unexpected value type for 'maxResults': expected integer, got string"
    );
    let mut body = training_job();
    body["Tags"] = json!([{"Key": "k", "Value": true}]);
    assert_eq!(
        serialization("CreateTrainingJob", &body),
        "Unexpected value type for 'tags.1.member.value': expected string, got boolean"
    );
    body["Tags"] = json!({"Key": "k"});
    assert!(serialization("CreateTrainingJob", &body).contains("expected list, got object"));
    body["Tags"] = json!([]);
    body["EnableNetworkIsolation"] = json!("true");
    assert!(serialization("CreateTrainingJob", &body).contains("expected boolean, got string"));
    assert_eq!(
        serialization("ListAlgorithms", &json!([])),
        "Request body must be a JSON object, got array"
    );
}

#[test]
fn serialization_errors_win_over_constraints() {
    let mut body = training_job();
    body["TrainingJobName"] = json!("bad_name");
    body["Environment"] = json!({"K": 1});
    assert_eq!(
        serialization("CreateTrainingJob", &body),
        "Unexpected value type for 'environment.K': expected string, got number"
    );
}

#[test]
fn timestamps_accept_numbers_and_iso8601() {
    for ts in [
        json!(1_700_000_000),
        json!(1_529_870_369.986),
        json!("2024-01-02T03:04:05Z"),
        json!("2024-01-02T03:04:05.123+01:00"),
        json!("2024-01-02"),
    ] {
        ok("ListAlgorithms", &json!({"CreationTimeAfter": ts}));
    }
    for bad in [json!("yesterday"), json!("2024-13-01"), json!(true)] {
        serialization("ListAlgorithms", &json!({"CreationTimeAfter": bad}));
    }
}

#[test]
fn base64_lengths() {
    use super::base64_len;
    assert_eq!(base64_len(""), Some(0));
    assert_eq!(base64_len("YQ=="), Some(1));
    assert_eq!(base64_len("YWI="), Some(2));
    assert_eq!(base64_len("YWJj"), Some(3));
    assert_eq!(base64_len("YQ"), Some(1));
    assert_eq!(base64_len("Y"), None);
    assert_eq!(base64_len("YQ=!"), None);
}

#[test]
fn unknown_operation() {
    assert!(matches!(
        sagemaker().check_input("CreateNothing", &json!({})),
        Err(InputError::UnknownOperation(op)) if op == "CreateNothing"
    ));
}

#[test]
fn display_is_the_aws_message() {
    let err = sagemaker()
        .check_input("ListAlgorithms", &json!({"SortOrder": "Up"}))
        .unwrap_err();
    assert!(err
        .to_string()
        .starts_with("1 validation error detected: Value 'Up'"));
}
