use super::*;
use slipway_core::spec::transform::{TransformInput, TransformOutput};

fn spec() -> TransformJobSpec {
    TransformJobSpec {
        transform_job_name: "t".into(),
        model_name: "m".into(),
        max_concurrent_transforms: None,
        model_client_config: None,
        max_payload_in_mb: None,
        batch_strategy: None,
        environment: Default::default(),
        transform_input: TransformInput::default(),
        transform_output: TransformOutput::default(),
        transform_resources: Default::default(),
        data_processing: None,
    }
}

#[test]
fn defaults_apply_without_request_or_execution_parameters() {
    let eff = Effective::decide(&spec(), None);
    assert_eq!(
        eff,
        Effective {
            concurrency: 1,
            strategy: BatchStrategy::MultiRecord,
            max_payload: Some(6 * MB),
            split: SplitType::None,
            gzip: false,
            assemble_lines: false,
        }
    );
}

#[test]
fn the_request_wins_over_execution_parameters() {
    let mut req = spec();
    req.max_concurrent_transforms = Some(3);
    req.batch_strategy = Some("SingleRecord".into());
    req.max_payload_in_mb = Some(0);
    req.transform_input.split_type = Some("Line".into());
    req.transform_input.compression_type = Some("Gzip".into());
    req.transform_output.assemble_with = Some("Line".into());
    let exec = ExecutionParameters {
        max_concurrent_transforms: Some(8),
        batch_strategy: Some(BatchStrategy::MultiRecord),
        max_payload_in_mb: Some(20),
    };
    let eff = Effective::decide(&req, Some(&exec));
    assert_eq!(eff.concurrency, 3);
    assert_eq!(eff.strategy, BatchStrategy::SingleRecord);
    // MaxPayloadInMB 0: no limit.
    assert_eq!(eff.max_payload, None);
    assert_eq!(eff.split, SplitType::Line);
    assert!(eff.gzip && eff.assemble_lines);
}

#[test]
fn execution_parameters_fill_what_the_request_leaves_out() {
    let mut req = spec();
    // 0 concurrent transforms means "not set".
    req.max_concurrent_transforms = Some(0);
    let exec = ExecutionParameters {
        max_concurrent_transforms: Some(4),
        batch_strategy: Some(BatchStrategy::SingleRecord),
        max_payload_in_mb: Some(20),
    };
    let eff = Effective::decide(&req, Some(&exec));
    assert_eq!(eff.concurrency, 4);
    assert_eq!(eff.strategy, BatchStrategy::SingleRecord);
    assert_eq!(eff.max_payload, Some(20 * MB));
}

fn failure(uri: &str, client_error: bool) -> ObjectFailure {
    ObjectFailure {
        uri: uri.into(),
        detail: "it broke".into(),
        client_error,
        instance: None,
    }
}

#[test]
fn no_failures_no_reason() {
    assert_eq!(failure_reason(&[], 3, &Tail::default()), None);
}

#[test]
fn the_reason_is_classed_by_the_first_failure_and_quotes_the_last_lines() {
    let tail = Tail::default();
    {
        let mut t = tail.lock().unwrap_or_else(|p| p.into_inner());
        t.extend(["one", "two", "three", "four"].map(String::from));
    }
    let failures = [
        failure("s3://b/in/a.csv", false),
        failure("s3://b/in/b.csv", true),
    ];
    assert_eq!(
        failure_reason(&failures, 5, &tail),
        Some(Fatal(
            "AlgorithmError: 2 of 5 input objects failed; first: s3://b/in/a.csv: it broke; \
             the container printed: two | three | four"
                .into()
        ))
    );
    let silent = failure_reason(&failures[1..], 5, &Tail::default());
    assert_eq!(
        silent,
        Some(Fatal(
            "ClientError: 1 of 5 input objects failed; first: s3://b/in/b.csv: it broke".into()
        ))
    );
}

#[test]
fn a_failure_on_one_of_several_instances_names_it() {
    let mut f = failure("s3://b/in/a.csv", false);
    f.instance = Some("i-0123 (2 of 2)".into());
    assert_eq!(
        f.to_string(),
        "s3://b/in/a.csv on instance i-0123 (2 of 2): it broke"
    );
}
