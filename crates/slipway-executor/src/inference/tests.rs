use super::*;

fn container(isolated: bool, model: Option<&str>) -> InferenceContainer {
    InferenceContainer {
        name: "slipway-transform-123456789012-t".into(),
        image_id: "sha256:abc".into(),
        env: BTreeMap::from([("SAGEMAKER_BATCH".to_owned(), "true".to_owned())]),
        account: AccountId::parse("123456789012").expect("an account id"),
        owner_arn: "arn:aws:sagemaker:us-east-1:123456789012:transform-job/t".into(),
        model_dir: model.map(PathBuf::from),
        hostname: Some("host-1".into()),
        nano_cpus: 2_000_000_000,
        memory_bytes: 1 << 30,
        network_isolated: isolated,
        stop_grace: Duration::from_secs(10),
    }
}

#[test]
fn a_container_serves_on_the_slipway_network_with_its_model_read_only() {
    let spec = container_spec(&container(false, Some("/work/model")));
    assert_eq!(spec.args, ["serve"]);
    assert_eq!(spec.image, "sha256:abc");
    assert_eq!(spec.network, NetworkMode::Named("slipway".into()));
    assert_eq!(
        spec.mounts,
        [BindMount {
            host_path: "/work/model".into(),
            container_path: "/opt/ml/model".into(),
            read_only: true,
        }]
    );
    assert_eq!(
        spec.labels.get(LABEL_JOB_ARN).map(String::as_str),
        Some("arn:aws:sagemaker:us-east-1:123456789012:transform-job/t")
    );
    assert_eq!(
        spec.labels.get(LABEL_ACCOUNT).map(String::as_str),
        Some("123456789012")
    );
    assert_eq!(
        spec.labels.get(LABEL_MANAGED).map(String::as_str),
        Some("1")
    );
    assert_eq!(spec.hostname.as_deref(), Some("host-1"));
    assert_eq!(spec.limits.nano_cpus, Some(2_000_000_000));
    assert_eq!(spec.limits.memory_bytes, Some(1 << 30));
    assert_eq!(
        spec.env.get("SAGEMAKER_BATCH").map(String::as_str),
        Some("true")
    );
}

#[test]
fn an_isolated_container_has_no_network_and_no_model_keeps_the_images_own() {
    let spec = container_spec(&container(true, None));
    assert_eq!(spec.network, NetworkMode::None);
    assert!(spec.mounts.is_empty());
}

#[test]
fn instance_ids_look_like_ec2_ones_and_are_stable() {
    let arn = "arn:aws:sagemaker:us-east-1:123456789012:transform-job/t";
    assert_eq!(instance_id(arn), "i-46485d5b5aa1433bb");
    assert_eq!(instance_id(arn), instance_id(arn));
    assert_ne!(instance_id(arn), instance_id("another"));
}
