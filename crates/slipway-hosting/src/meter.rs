//! Metering of endpoints that serve a Marketplace product
//! (docs/marketplace.md "Metering"): each such variant's instance time
//! from the moment its fleet serves until its containers end, and the
//! inferences its containers count. Reported to the marketplace through
//! the control plane ([`slipway_service::Service::record_marketplace_usage`])
//! when the fleet starts serving, every `metering_interval`, when the
//! instance count changes, and when the fleet ends (delete, update,
//! shutdown): a crash loses at most one interval.

use crate::fleet::{Fleet, Variant};
use crate::Hosting;
use slipway_core::time_util::Micros;
use slipway_service::marketplace::{Usage, UsageKind};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// The metering header a container may answer with.
pub const METERING_HEADER: &str = "x-amzn-inference-metering";
/// The one dimension the header may name.
const INFERENCE_DIMENSION: &str = "inference.count";
/// Most inferences one answer may claim: more is taken as malformed (a
/// container's header is hostile input).
pub const MAX_UNITS_PER_CALL: u64 = 10_000;
/// Longest header read.
const MAX_HEADER_BYTES: usize = 256;

/// A metered variant's running account of usage.
pub(crate) struct Meter {
    /// The published copy the variant serves.
    copy: String,
    instance_type: String,
    /// The current stretch at one instance count.
    segment: Mutex<Option<Segment>>,
    /// When the fleet started serving (names the inference record).
    since: Mutex<Option<Micros>>,
    /// Inferences counted and not yet reported.
    pending: AtomicU64,
}

#[derive(Debug, Clone, Copy)]
struct Segment {
    start: Micros,
    count: u32,
}

impl Meter {
    pub(crate) fn new(copy: String, instance_type: String) -> Self {
        Self {
            copy,
            instance_type,
            segment: Mutex::new(None),
            since: Mutex::new(None),
            pending: AtomicU64::new(0),
        }
    }

    /// Counts one 2xx answer's inferences (see [`units_of`]).
    pub(crate) fn count(&self, units: u64) {
        self.pending.fetch_add(units, Ordering::AcqRel);
    }
}

/// The inferences one 2xx answer counts: the `X-Amzn-Inference-Metering`
/// header's `ConsumedUnits` (1 to [`MAX_UNITS_PER_CALL`]) when it names
/// `inference.count`; without the header, one, as AWS counts a call. A
/// malformed header is logged and the call counts one.
pub fn units_of(header: Option<&[u8]>) -> u64 {
    let Some(raw) = header else { return 1 };
    match parse_header(raw) {
        Some(n) => n,
        None => {
            let shown = String::from_utf8_lossy(&raw[..raw.len().min(MAX_HEADER_BYTES)]);
            tracing::warn!(header = %shown, "ignoring a malformed X-Amzn-Inference-Metering header");
            1
        }
    }
}

fn parse_header(raw: &[u8]) -> Option<u64> {
    if raw.len() > MAX_HEADER_BYTES {
        return None;
    }
    let v: serde_json::Value = serde_json::from_slice(raw).ok()?;
    let o = v.as_object()?;
    if o.get("Dimension")?.as_str()? != INFERENCE_DIMENSION {
        return None;
    }
    let n = o.get("ConsumedUnits")?.as_u64()?;
    (1..=MAX_UNITS_PER_CALL).contains(&n).then_some(n)
}

fn live_count(v: &Variant) -> u32 {
    u32::try_from(v.instances().len()).unwrap_or(u32::MAX)
}

/// The fleet serves: opens each metered variant's first segment, reports
/// it, and reports again every `metering_interval` until the fleet ends.
pub(crate) async fn begin(h: &Hosting, fleet: &Arc<Fleet>) {
    if !fleet.variants.iter().any(|v| v.meter.is_some()) {
        return;
    }
    let now = h.service().wall_micros();
    for v in &fleet.variants {
        if let Some(m) = &v.meter {
            *m.since.lock().unwrap_or_else(|p| p.into_inner()) = Some(now);
            *m.segment.lock().unwrap_or_else(|p| p.into_inner()) = Some(Segment {
                start: now,
                count: live_count(v),
            });
        }
    }
    checkpoint(h, fleet).await;
    let (h2, f2) = (h.clone(), Arc::downgrade(fleet));
    let every = h.settings().metering_interval;
    let task = tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            tick.tick().await;
            let Some(fleet) = f2.upgrade() else { return };
            if fleet.is_retired() {
                return;
            }
            checkpoint(&h2, &fleet).await;
        }
    });
    fleet.track(task.abort_handle());
}

/// Reports every metered variant's usage up to now. A changed instance
/// count closes the segment and opens the next.
pub(crate) async fn checkpoint(h: &Hosting, fleet: &Fleet) {
    let svc = h.service();
    for v in &fleet.variants {
        let Some(m) = &v.meter else { continue };
        let now = svc.wall_micros();
        let count = live_count(v);
        let (closing, current) = {
            let mut seg = m.segment.lock().unwrap_or_else(|p| p.into_inner());
            let Some(s) = *seg else { continue };
            if s.count != count && !fleet.is_retired() {
                *seg = Some(Segment { start: now, count });
                (Some(s), Some(Segment { start: now, count }))
            } else {
                (None, Some(s))
            }
        };
        for s in closing.into_iter().chain(current) {
            svc.record_marketplace_usage(timed(fleet, v, m, s, now))
                .await;
        }
        let units = m.pending.swap(0, Ordering::AcqRel);
        let since = *m.since.lock().unwrap_or_else(|p| p.into_inner());
        if let (true, Some(since)) = (units > 0, since) {
            svc.record_marketplace_usage(Usage {
                id: format!(
                    "{}/g{}/{}/inference/{since}",
                    fleet.arn, fleet.generation, v.plan.variant
                ),
                user: fleet.account.clone(),
                copy_arn: m.copy.clone(),
                kind: UsageKind::Inference,
                instance_type: m.instance_type.clone(),
                instance_count: 1,
                start: since,
                end: now,
                units,
                resource_arn: fleet.arn.clone(),
            })
            .await;
        }
    }
}

fn timed(fleet: &Fleet, v: &Variant, m: &Meter, s: Segment, now: Micros) -> Usage {
    Usage {
        id: format!(
            "{}/g{}/{}/{}",
            fleet.arn, fleet.generation, v.plan.variant, s.start
        ),
        user: fleet.account.clone(),
        copy_arn: m.copy.clone(),
        kind: UsageKind::Realtime,
        instance_type: m.instance_type.clone(),
        instance_count: s.count.max(1),
        start: s.start,
        end: now,
        units: 0,
        resource_arn: fleet.arn.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_counts_within_bounds_and_anything_else_counts_one() {
        let h = |s: &str| units_of(Some(s.as_bytes()));
        assert_eq!(units_of(None), 1);
        assert_eq!(
            h(r#"{"Dimension": "inference.count", "ConsumedUnits": 7}"#),
            7
        );
        assert_eq!(
            h(r#"{"Dimension":"inference.count","ConsumedUnits":10000}"#),
            10_000
        );
        for bad in [
            r#"{"Dimension":"inference.count","ConsumedUnits":10001}"#,
            r#"{"Dimension":"inference.count","ConsumedUnits":0}"#,
            r#"{"Dimension":"inference.count","ConsumedUnits":-3}"#,
            r#"{"Dimension":"inference.count","ConsumedUnits":2.5}"#,
            r#"{"Dimension":"inference.count","ConsumedUnits":"9"}"#,
            r#"{"Dimension":"other","ConsumedUnits":9}"#,
            r#"{"ConsumedUnits":9}"#,
            "[1]",
            "not json",
        ] {
            assert_eq!(h(bad), 1, "{bad}");
        }
        let long = format!(
            r#"{{"Dimension":"inference.count","ConsumedUnits":5,"x":"{}"}}"#,
            "a".repeat(300)
        );
        assert_eq!(h(&long), 1, "an oversized header is not read");
    }
}
