//! Keeping a serving fleet healthy (docs/endpoints.md "Health"): every
//! container is pinged each interval (2 s time-out); one that exits, or
//! fails several pings in a row, is taken out of rotation and replaced by
//! a new container, which serves again after its first 200 on GET /ping.
//! Scaling (UpdateEndpointWeightsAndCapacities) starts and ends instances
//! the same way.

use crate::deploy::{end_instance, start_instance};
use crate::fleet::{Fleet, Instance, Variant};
use crate::Hosting;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

/// One round of health checks over the fleet.
pub(crate) async fn check(h: &Hosting, fleet: &Arc<Fleet>) {
    let engine = h.service().job_runtime().engine().clone();
    for variant in &fleet.variants {
        for instance in variant.instances() {
            if instance.replacing.load(Ordering::Acquire)
                || instance.retired.load(Ordering::Acquire)
            {
                continue;
            }
            let exited = {
                let running = instance.running.lock().await;
                match running.as_ref() {
                    Some(r) => engine
                        .inspect(r.id())
                        .await
                        .map(|s| !s.running)
                        .unwrap_or(false),
                    None => true,
                }
            };
            let answered = !exited && ping(h, &instance).await;
            if answered {
                instance.failed_pings.store(0, Ordering::Release);
                continue;
            }
            let fails = instance.failed_pings.fetch_add(1, Ordering::AcqRel) + 1;
            if exited || fails >= h.settings().unhealthy_after {
                tracing::warn!(
                    endpoint = %fleet.arn,
                    variant = %variant.plan.variant,
                    slot = instance.slot,
                    exited,
                    fails,
                    "endpoint container is unhealthy; replacing it"
                );
                replace(h, fleet, variant, instance);
            }
        }
    }
}

async fn ping(h: &Hosting, instance: &Instance) -> bool {
    let Some(url) = instance.url() else {
        return false;
    };
    h.inner
        .client
        .get(format!("{url}/ping"))
        .timeout(h.settings().ping_timeout)
        .send()
        .await
        .is_ok_and(|r| r.status().as_u16() == 200)
}

/// Takes an instance out of rotation and starts its replacement in the
/// background; a replacement that fails to become healthy is retried
/// with a growing pause, for as long as the fleet serves.
pub(crate) fn replace(
    h: &Hosting,
    fleet: &Arc<Fleet>,
    variant: &Arc<Variant>,
    instance: Arc<Instance>,
) {
    if instance.replacing.swap(true, Ordering::AcqRel) {
        return;
    }
    instance.set_unhealthy();
    let (h2, fleet2, variant) = (h.clone(), fleet.clone(), variant.clone());
    let task = tokio::spawn(async move {
        let mut pause = Duration::from_millis(500);
        loop {
            end_instance_quickly(&h2, &instance).await;
            if fleet2.is_retired() || instance.retired.load(Ordering::Acquire) {
                break;
            }
            match start_instance(&h2, &variant, &instance).await {
                Ok(()) => break,
                Err(why) => {
                    tracing::warn!(
                        endpoint = %fleet2.name,
                        variant = %variant.plan.variant,
                        reason = %why.for_variant(&variant.plan.variant, instance.slot + 1, 1),
                        "replacement container did not become healthy; retrying"
                    );
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_secs(30));
                }
            }
        }
        instance.replacing.store(false, Ordering::Release);
    });
    h.service().job_runtime().track(task.abort_handle());
    fleet.track(task.abort_handle());
}

/// A failed container gets no grace: it is replaced, not drained.
async fn end_instance_quickly(h: &Hosting, instance: &Instance) {
    instance.set_unhealthy();
    let running = instance.running.lock().await.take();
    if let Some(r) = running {
        r.end(h.service().job_runtime().engine(), Duration::ZERO)
            .await;
    }
}

/// Brings each variant to its wanted weight and instance count: new
/// instances start in the background and serve once healthy; extra ones
/// leave rotation at once and end with the stop grace.
pub(crate) async fn scale(h: &Hosting, fleet: &Arc<Fleet>, wanted: &[(String, f64, usize)]) {
    let mut ending = Vec::new();
    for (name, weight, count) in wanted {
        let Some(variant) = fleet.variant(name) else {
            continue;
        };
        variant.set_weight(*weight);
        let have = variant.instances().len();
        if *count < have {
            ending.extend(variant.shrink_to(*count));
        }
        for slot in have..*count {
            let instance = Arc::new(Instance::new(slot));
            variant.add(instance.clone());
            replace(h, fleet, variant, instance);
        }
    }
    let ends = ending.iter().map(|i| end_instance(h, i));
    futures::future::join_all(ends).await;
    // A new instance count starts a new metering segment.
    crate::meter::checkpoint(h, fleet).await;
}
