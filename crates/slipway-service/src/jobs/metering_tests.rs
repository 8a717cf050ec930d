//! Metering that survives the server (`jobs/metering.rs`): a buyer's
//! training job of a published copy owes its usage from its start until
//! the marketplace has recorded it; a usage that could not be recorded is
//! recorded by the next reconciliation.

use crate::marketplace::{CopyAccess, MarketplaceAccess, Usage, UsageKind};
use crate::resources::algorithms::{AlgorithmSpec, NewAlgorithm};
use crate::testkit::{spec, Script, TestService};
use crate::Result;
use async_trait::async_trait;
use serde_json::json;
use slipway_core::{AccountId, Echo, ResourceKind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

const IMAGE: &str = "sim/copy:1";

/// A marketplace where every account may use every copy, whose usage
/// store can be made to fail (a full disk).
struct FakeMarketplace {
    account: AccountId,
    recorded: Mutex<Vec<Usage>>,
    failing: AtomicBool,
}

#[async_trait]
impl MarketplaceAccess for FakeMarketplace {
    fn account(&self) -> &AccountId {
        &self.account
    }
    async fn access(&self, _: &AccountId, _: ResourceKind, _: &str) -> CopyAccess {
        CopyAccess::Entitled
    }
    async fn may_pull(&self, _: &AccountId, _: &str) -> bool {
        true
    }
    async fn may_read_artifact(&self, _: &AccountId, _: &str, _: &str) -> bool {
        true
    }
    async fn record_usage(&self, usage: Usage) -> Result<()> {
        if self.failing.load(Ordering::SeqCst) {
            return Err(crate::Error::internal("recording usage", "disk full"));
        }
        let mut r = self.recorded.lock().unwrap_or_else(|p| p.into_inner());
        r.retain(|u| u.id != usage.id);
        r.push(usage);
        Ok(())
    }
}

async fn due(t: &TestService) -> usize {
    t.svc
        .store
        .find_by_status(ResourceKind::UsageDue, &["training-job"])
        .await
        .expect("listing")
        .len()
}

#[tokio::test(start_paused = true)]
async fn a_copy_s_training_is_metered_even_when_recording_first_fails() {
    let t = TestService::start().await;
    t.engine.add_image(IMAGE, Script::ok());
    t.put("bucket", "train/a.csv", "a\n").await;
    let market = Arc::new(FakeMarketplace {
        account: AccountId::parse("999988887777").expect("account"),
        recorded: Mutex::new(Vec::new()),
        failing: AtomicBool::new(false),
    });
    t.svc.set_marketplace(market.clone());
    let copy = t
        .svc
        .algorithms()
        .create(
            &market.account,
            NewAlgorithm {
                spec: AlgorithmSpec {
                    name: "copy-1".into(),
                    description: None,
                    training: spec(json!({
                        "TrainingImage": IMAGE,
                        "SupportedTrainingInstanceTypes": ["ml.m5.large"],
                        "TrainingChannels": [{"Name": "train", "SupportedContentTypes": ["text/csv"],
                                              "SupportedInputModes": ["File"]}],
                    })),
                    inference: None,
                    validation: None,
                    certify_for_marketplace: None,
                },
                echo: Echo::default(),
                tags: Vec::new(),
            },
        )
        .await
        .expect("copy");
    let train = |name: &str| {
        json!({
            "TrainingJobName": name,
            "RoleArn": t.role_arn,
            "AlgorithmSpecification": {"AlgorithmName": copy.record.arn, "TrainingInputMode": "File"},
            "InputDataConfig": [{"ChannelName": "train", "DataSource": {"S3DataSource": {
                "S3DataType": "S3Prefix", "S3Uri": "s3://bucket/train/"}}}],
            "OutputDataConfig": {"S3OutputPath": "s3://bucket/output"},
            "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 5},
            "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
            "EnableNetworkIsolation": true,
        })
    };
    let create = |name: &str| {
        let req = train(name);
        let t = &t;
        async move {
            t.svc
                .training_jobs()
                .create(
                    &t.account,
                    spec(req),
                    None,
                    Vec::new(),
                    crate::jobs::training::create::Origin::Client,
                )
                .await
                .expect("created");
        }
    };

    // Recorded at the end; nothing stays owed.
    create("bought-1").await;
    let job = t.training_done("bought-1").await;
    assert_eq!(job.record.status, "Completed");
    t.wait_for(
        "the usage",
        || async { market.recorded.lock().map(|r| r.len()).unwrap_or(0) },
        |n| *n == 1,
    )
    .await;
    let first = market.recorded.lock().expect("lock")[0].clone();
    assert_eq!(
        (first.kind, first.id.as_str()),
        (UsageKind::Training, job.record.arn.as_str())
    );
    assert_eq!(first.copy_arn, copy.record.arn);
    assert_eq!(due(&t).await, 0);

    // The recording fails: the usage stays owed, and the next
    // reconciliation (a restart's) records it.
    market.failing.store(true, Ordering::SeqCst);
    create("bought-2").await;
    let job = t.training_done("bought-2").await;
    assert_eq!(job.record.status, "Completed");
    t.wait_for("the job to end", || due(&t), |n| *n == 1).await;
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    assert_eq!(due(&t).await, 1);
    assert_eq!(market.recorded.lock().expect("lock").len(), 1);
    market.failing.store(false, Ordering::SeqCst);
    t.svc.reconcile_jobs().await.expect("reconciled");
    let recorded = market.recorded.lock().expect("lock").clone();
    assert_eq!(recorded.len(), 2, "{recorded:?}");
    assert_eq!(recorded[1].id, job.record.arn);
    assert_eq!(due(&t).await, 0);
}
