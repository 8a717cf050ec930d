//! The containers an endpoint runs in this process, as the invocation path
//! sees them: per variant, its weight and its instances, each healthy or
//! not. Deployment (`deploy.rs`) fills it, health checks (`health.rs`)
//! flip instances in and out of rotation, invocations (`invoke.rs`) read
//! it on every call, so reads take no async lock.

use crate::deploy::VariantPlan;
use slipway_core::AccountId;
use slipway_executor::inference::Running;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use tokio::task::AbortHandle;

pub(crate) struct Fleet {
    pub(crate) arn: String,
    pub(crate) name: String,
    pub(crate) account: AccountId,
    pub(crate) generation: u64,
    pub(crate) variants: Vec<Arc<Variant>>,
    /// Replacement and scale-out tasks, ended with the fleet.
    tasks: Mutex<Vec<AbortHandle>>,
    retired: AtomicBool,
}

pub(crate) struct Variant {
    pub(crate) plan: Arc<VariantPlan>,
    /// Set when the variant serves a Marketplace product (`meter.rs`).
    pub(crate) meter: Option<crate::meter::Meter>,
    weight: Mutex<f64>,
    pub(crate) instances: RwLock<Vec<Arc<Instance>>>,
    next: AtomicUsize,
    /// Told whenever an instance becomes healthy.
    pub(crate) became_healthy: tokio::sync::Notify,
}

pub(crate) struct Instance {
    pub(crate) slot: usize,
    url: RwLock<Option<Arc<str>>>,
    log_stream: RwLock<String>,
    pub(crate) running: tokio::sync::Mutex<Option<Running>>,
    healthy: AtomicBool,
    pub(crate) failed_pings: AtomicU32,
    /// A replacement is under way (health checks leave it alone).
    pub(crate) replacing: AtomicBool,
    /// Scaled in or ended with its fleet: never replaced again.
    pub(crate) retired: AtomicBool,
}

/// What an invocation is sent to.
pub(crate) struct Target {
    pub(crate) instance: Arc<Instance>,
    pub(crate) url: Arc<str>,
}

impl Fleet {
    pub(crate) fn new(
        arn: String,
        name: String,
        account: AccountId,
        generation: u64,
        plans: Vec<(Arc<VariantPlan>, f64)>,
    ) -> Self {
        let variants = plans
            .into_iter()
            .map(|(plan, weight)| {
                let meter = plan
                    .metered
                    .clone()
                    .map(|copy| crate::meter::Meter::new(copy, plan.instance_type.clone()));
                Arc::new(Variant {
                    meter,
                    plan,
                    weight: Mutex::new(weight),
                    instances: RwLock::new(Vec::new()),
                    next: AtomicUsize::new(0),
                    became_healthy: tokio::sync::Notify::new(),
                })
            })
            .collect();
        Self {
            arn,
            name,
            account,
            generation,
            variants,
            tasks: Mutex::new(Vec::new()),
            retired: AtomicBool::new(false),
        }
    }

    pub(crate) fn variant(&self, name: &str) -> Option<&Arc<Variant>> {
        self.variants.iter().find(|v| v.plan.variant == name)
    }

    /// Picks a variant by weight (a variant of weight 0 gets no traffic
    /// unless a call targets it).
    pub(crate) fn choose(&self) -> Option<&Arc<Variant>> {
        let weights: Vec<f64> = self.variants.iter().map(|v| v.weight()).collect();
        let total: f64 = weights.iter().sum();
        if total <= 0.0 {
            return None;
        }
        let mut x = rand::random::<f64>() * total;
        for (v, w) in self.variants.iter().zip(&weights) {
            if x < *w {
                return Some(v);
            }
            x -= w;
        }
        self.variants
            .iter()
            .zip(&weights)
            .rev()
            .find(|(_, w)| **w > 0.0)
            .map(|(v, _)| v)
    }

    pub(crate) fn live(&self) -> Vec<crate::endpoints::LiveVariant> {
        self.variants
            .iter()
            .map(|v| crate::endpoints::LiveVariant {
                name: v.plan.variant.clone(),
                healthy: v.healthy_count(),
                weight: v.weight(),
            })
            .collect()
    }

    pub(crate) fn track(&self, task: AbortHandle) {
        let mut tasks = self.tasks.lock().unwrap_or_else(|p| p.into_inner());
        tasks.retain(|t| !t.is_finished());
        tasks.push(task);
    }

    pub(crate) fn is_retired(&self) -> bool {
        self.retired.load(Ordering::Acquire)
    }

    /// Ends the fleet's background work; its containers are ended by
    /// the caller (`deploy::end_fleet`).
    pub(crate) fn retire(&self) {
        self.retired.store(true, Ordering::Release);
        let tasks = std::mem::take(&mut *self.tasks.lock().unwrap_or_else(|p| p.into_inner()));
        for t in tasks {
            t.abort();
        }
        for v in &self.variants {
            for i in v.instances() {
                i.retired.store(true, Ordering::Release);
                i.set_unhealthy();
            }
        }
    }
}

impl Variant {
    pub(crate) fn weight(&self) -> f64 {
        *self.weight.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn set_weight(&self, w: f64) {
        *self.weight.lock().unwrap_or_else(|p| p.into_inner()) = w;
    }

    pub(crate) fn instances(&self) -> Vec<Arc<Instance>> {
        self.instances
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub(crate) fn add(&self, instance: Arc<Instance>) {
        self.instances
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .push(instance);
    }

    /// Takes the instances beyond `count` out (highest slots first) and
    /// returns them for ending.
    pub(crate) fn shrink_to(&self, count: usize) -> Vec<Arc<Instance>> {
        let mut list = self.instances.write().unwrap_or_else(|p| p.into_inner());
        if list.len() <= count {
            return Vec::new();
        }
        let gone = list.split_off(count);
        for i in &gone {
            i.retired.store(true, Ordering::Release);
            i.set_unhealthy();
        }
        gone
    }

    pub(crate) fn healthy_count(&self) -> usize {
        self.instances
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .filter(|i| i.is_healthy())
            .count()
    }

    /// The next healthy instance, round-robin.
    pub(crate) fn pick(&self) -> Option<Target> {
        let list = self.instances.read().unwrap_or_else(|p| p.into_inner());
        let n = list.len();
        if n == 0 {
            return None;
        }
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        (0..n).find_map(|k| {
            let i = &list[(start + k) % n];
            if !i.is_healthy() {
                return None;
            }
            i.url().map(|url| Target {
                instance: i.clone(),
                url,
            })
        })
    }

    /// True while some instance may still come back (being started or
    /// replaced): a caller may wait for it instead of failing at once.
    pub(crate) fn recovering(&self) -> bool {
        self.instances
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .any(|i| !i.retired.load(Ordering::Acquire) && !i.is_healthy())
    }
}

impl Instance {
    pub(crate) fn new(slot: usize) -> Self {
        Self {
            slot,
            url: RwLock::new(None),
            log_stream: RwLock::new(String::new()),
            running: tokio::sync::Mutex::new(None),
            healthy: AtomicBool::new(false),
            failed_pings: AtomicU32::new(0),
            replacing: AtomicBool::new(false),
            retired: AtomicBool::new(false),
        }
    }

    pub(crate) fn is_healthy(&self) -> bool {
        self.healthy.load(Ordering::Acquire)
    }

    pub(crate) fn url(&self) -> Option<Arc<str>> {
        self.url.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub(crate) fn log_stream(&self) -> String {
        self.log_stream
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// A container of this instance passed GET /ping: into rotation.
    pub(crate) async fn serve(&self, running: Running, log_stream: String, variant: &Variant) {
        let url: Arc<str> = Arc::from(running.base_url());
        *self.running.lock().await = Some(running);
        *self.url.write().unwrap_or_else(|p| p.into_inner()) = Some(url);
        *self.log_stream.write().unwrap_or_else(|p| p.into_inner()) = log_stream;
        self.failed_pings.store(0, Ordering::Release);
        if !self.retired.load(Ordering::Acquire) {
            self.healthy.store(true, Ordering::Release);
            variant.became_healthy.notify_waiters();
        }
    }

    /// Out of rotation (a failed ping, an exit, a failed call).
    pub(crate) fn set_unhealthy(&self) {
        self.healthy.store(false, Ordering::Release);
    }
}
