//! One runner task per endpoint in this process (docs/endpoints.md
//! "Lifecycle"). The API persists each change and wakes the runner; the
//! runner reads the stored state and acts on it: deploy (Creating), deploy
//! beside the serving fleet and switch (Updating with a pending config),
//! scale (Updating without one), end everything and remove the record
//! (Deleting), and between commands, health checks. A panic in a runner
//! fails its endpoint with a reason.

use crate::deploy::{self, end_fleet, remove_leftovers};
use crate::endpoints::mutate;
use crate::fleet::Fleet;
use crate::state::{status, Deployment, Endpoint};
use crate::{health, Hosting};
use slipway_core::AccountId;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::AbortHandle;

/// What the API tells a runner. Every command but `Shutdown` means "the
/// stored state changed: look again"; the names say why, for the logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Command {
    Start,
    Update,
    Scale,
    Delete,
    /// The server is going down: let the containers go, keep the record.
    Shutdown,
}

pub(crate) struct Handle {
    id: u64,
    tx: mpsc::UnboundedSender<Command>,
    task: AbortHandle,
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// Wakes the endpoint's runner, starting one if this process has none.
pub(crate) fn tell(h: &Hosting, account: &AccountId, key: &str, cmd: Command) {
    let k = (account.clone(), key.to_owned());
    let mut runners = h.inner.runners.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(handle) = runners.get(&k) {
        if !handle.task.is_finished() && handle.tx.send(cmd).is_ok() {
            return;
        }
    }
    if cmd == Command::Shutdown {
        return;
    }
    let (tx, rx) = mpsc::unbounded_channel();
    let _ = tx.send(cmd);
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    let task = tokio::spawn(run(h.clone(), account.clone(), key.to_owned(), rx));
    let abort = task.abort_handle();
    // A simulated crash (the test kit's) ends it with the jobs.
    h.service().job_runtime().track(abort.clone());
    runners.insert(
        k,
        Handle {
            id,
            tx,
            task: abort,
        },
    );
    // Supervision: a runner that panics fails its endpoint, as a job runner
    // fails its job, and leaves the table.
    let (h, account, key) = (h.clone(), account.clone(), key.to_owned());
    tokio::spawn(async move {
        let ended = task.await;
        if let Err(e) = &ended {
            if e.is_panic() {
                tracing::error!(endpoint = %key, "endpoint runner panicked");
                let reason = "InternalServerError: the endpoint's runner failed; delete the endpoint and create it again.".to_owned();
                let _ = mutate(&h, &account, &key, |st, doc| {
                    *st = status::FAILED.into();
                    doc.state.failure_reason = Some(reason.clone());
                    Ok(true)
                })
                .await;
            }
        }
        let mut runners = h.inner.runners.lock().unwrap_or_else(|p| p.into_inner());
        let k = (account, key);
        if runners.get(&k).is_some_and(|r| r.id == id) {
            runners.remove(&k);
        }
    });
}

/// Tells every runner to let go and waits (at most `bound`) for them.
pub(crate) async fn shutdown_all(h: &Hosting, bound: Duration) {
    let keys: Vec<_> = {
        let runners = h.inner.runners.lock().unwrap_or_else(|p| p.into_inner());
        runners.keys().cloned().collect()
    };
    for (account, key) in &keys {
        tell(h, account, key, Command::Shutdown);
    }
    let deadline = tokio::time::Instant::now() + bound;
    loop {
        let left = {
            let runners = h.inner.runners.lock().unwrap_or_else(|p| p.into_inner());
            runners.values().filter(|r| !r.task.is_finished()).count()
        };
        if left == 0 || tokio::time::Instant::now() >= deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

struct Runner {
    h: Hosting,
    account: AccountId,
    key: String,
    rx: mpsc::UnboundedReceiver<Command>,
}

/// How a wait for the next command ended.
enum Woken {
    Look,
    Shutdown,
}

async fn run(h: Hosting, account: AccountId, key: String, rx: mpsc::UnboundedReceiver<Command>) {
    let mut r = Runner {
        h,
        account,
        key,
        rx,
    };
    r.main().await;
}

impl Runner {
    async fn main(&mut self) {
        loop {
            // Commands that queued up while acting all mean "look again".
            let mut shutdown = false;
            while let Ok(cmd) = self.rx.try_recv() {
                shutdown |= cmd == Command::Shutdown;
            }
            if shutdown {
                return self.let_go().await;
            }
            let ep = match self.load().await {
                Some(ep) => ep,
                None => return self.let_go().await,
            };
            let woken = match ep.record.status.as_str() {
                status::CREATING | status::UPDATING => self.deploy(ep).await,
                status::DELETING => return self.delete(&ep).await,
                status::IN_SERVICE if self.fleet().is_none() => self.deploy(ep).await,
                _ => self.wait().await,
            };
            if let Woken::Shutdown = woken {
                return self.let_go().await;
            }
        }
    }

    async fn load(&self) -> Option<Endpoint> {
        match mutate(&self.h, &self.account, &self.key, |_, _| Ok(false)).await {
            Ok(ep) => Some(ep),
            Err(e) => {
                tracing::debug!(endpoint = %self.key, error = %e, "endpoint gone");
                None
            }
        }
    }

    fn fleet(&self) -> Option<Arc<Fleet>> {
        self.h.fleet(&self.account, &self.key)
    }

    fn install(&self, fleet: Option<Arc<Fleet>>) -> Option<Arc<Fleet>> {
        let mut fleets = self
            .h
            .inner
            .fleets
            .write()
            .unwrap_or_else(|p| p.into_inner());
        let k = (self.account.clone(), self.key.clone());
        match fleet {
            Some(f) => fleets.insert(k, f),
            None => fleets.remove(&k),
        }
    }

    /// Until the next command, health checks of the serving fleet.
    async fn wait(&mut self) -> Woken {
        let mut tick = tokio::time::interval(self.h.settings().health_interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            tokio::select! {
                cmd = self.rx.recv() => return match cmd {
                    None | Some(Command::Shutdown) => Woken::Shutdown,
                    Some(_) => Woken::Look,
                },
                _ = tick.tick() => {
                    if let Some(fleet) = self.fleet() {
                        health::check(&self.h, &fleet).await;
                    }
                }
            }
        }
    }

    /// Creating, Updating, or InService without containers (after a
    /// restart): puts the wanted deployment into containers.
    async fn deploy(&mut self, ep: Endpoint) -> Woken {
        let status_now = ep.record.status.clone();
        let serving = self.fleet();
        let (mut dep, switching) = match (&ep.doc.state.pending, &ep.doc.state.serving) {
            (Some(p), _) if status_now != status::IN_SERVICE => (p.clone(), true),
            (Some(p), None) => (p.clone(), true),
            (_, Some(s)) if status_now == status::UPDATING && serving.is_some() => {
                return self.scale(s.clone()).await;
            }
            (_, Some(s)) => (s.clone(), false),
            (None, None) => {
                self.fail("InternalServerError: the endpoint has no configuration to deploy.")
                    .await;
                return self.wait().await;
            }
        };
        let target = deploy::Target {
            account: &self.account,
            name: &ep.doc.endpoint_name,
            arn: &ep.record.arn,
            key: &self.key,
        };
        if serving.is_none() {
            // A previous process's containers (after a crash) are not
            // trusted to match: they go, and the deployment starts anew.
            remove_leftovers(&self.h, &ep.record.arn).await;
        }
        let h = self.h.clone();
        let outcome = {
            let deploying = deploy::deploy(&h, &target, &mut dep);
            tokio::pin!(deploying);
            tokio::select! {
                r = &mut deploying => Some(r),
                cmd = self.rx.recv() => {
                    // Only a delete or a shutdown can arrive while deploying
                    // (the API refuses updates until InService).
                    tracing::info!(endpoint = %self.key, ?cmd, "deployment interrupted");
                    None
                }
            }
        };
        let Some(outcome) = outcome else {
            // Whatever the interrupted deployment started is labelled.
            remove_leftovers(&self.h, &ep.record.arn).await;
            if let Some(f) = self.fleet() {
                if f.generation == dep.generation {
                    self.install(None);
                }
            }
            return Woken::Look;
        };
        match outcome {
            Ok(fleet) => {
                let old = self.install(Some(fleet.clone()));
                let saved = mutate(&self.h, &self.account, &self.key, |st, doc| {
                    if st == status::DELETING {
                        return Ok(false);
                    }
                    doc.state.serving = Some(dep.clone());
                    doc.state.pending = None;
                    if switching {
                        doc.state.failure_reason = None;
                    }
                    *st = status::IN_SERVICE.into();
                    Ok(true)
                })
                .await;
                if let Err(e) = saved {
                    tracing::error!(endpoint = %self.key, error = %e, "recording a deployment");
                }
                if let Some(old) = old.filter(|o| !Arc::ptr_eq(o, &fleet)) {
                    // Traffic has moved; the old containers drain and go.
                    let h = self.h.clone();
                    tokio::spawn(async move { end_fleet(&h, &old).await });
                }
            }
            Err(reason) => {
                if serving.is_some() && switching {
                    // A failed update: the old config keeps serving.
                    let reason = slipway_executor::clip_reason(&reason);
                    let _ = mutate(&self.h, &self.account, &self.key, |st, doc| {
                        if st == status::DELETING {
                            return Ok(false);
                        }
                        doc.state.pending = None;
                        doc.state.failure_reason = Some(reason.clone());
                        *st = status::IN_SERVICE.into();
                        Ok(true)
                    })
                    .await;
                } else {
                    self.install(None);
                    self.fail(&reason).await;
                }
            }
        }
        Woken::Look
    }

    /// UpdateEndpointWeightsAndCapacities on the serving fleet.
    async fn scale(&mut self, serving: Deployment) -> Woken {
        let Some(fleet) = self.fleet() else {
            return Woken::Look;
        };
        let wanted: Vec<(String, f64, usize)> = serving
            .variants
            .iter()
            .map(|v| {
                (
                    v.spec.variant_name.clone(),
                    v.weight,
                    v.instance_count.max(0) as usize,
                )
            })
            .collect();
        health::scale(&self.h, &fleet, &wanted).await;
        // Updating until the new instances serve (or their window passes).
        let window = fleet
            .variants
            .iter()
            .map(|v| v.plan.startup)
            .max()
            .unwrap_or_default();
        let deadline = tokio::time::Instant::now() + window;
        while tokio::time::Instant::now() < deadline {
            let ready = wanted
                .iter()
                .all(|(name, _, n)| fleet.variant(name).is_none_or(|v| v.healthy_count() >= *n));
            if ready {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let _ = mutate(&self.h, &self.account, &self.key, |st, _| {
            if st != status::UPDATING {
                return Ok(false);
            }
            *st = status::IN_SERVICE.into();
            Ok(true)
        })
        .await;
        Woken::Look
    }

    async fn fail(&self, reason: &str) {
        let reason = slipway_executor::clip_reason(reason);
        let saved = mutate(&self.h, &self.account, &self.key, |st, doc| {
            if st == status::DELETING {
                return Ok(false);
            }
            *st = status::FAILED.into();
            doc.state.failure_reason = Some(reason.clone());
            Ok(true)
        })
        .await;
        if let Err(e) = saved {
            tracing::error!(endpoint = %self.key, error = %e, "recording an endpoint failure");
        }
    }

    /// Deleting: every container goes (SIGTERM, grace, SIGKILL), then the
    /// record.
    async fn delete(&mut self, ep: &Endpoint) {
        if let Some(fleet) = self.install(None) {
            end_fleet(&self.h, &fleet).await;
        }
        remove_leftovers(&self.h, &ep.record.arn).await;
        let svc = self.h.service();
        if let Err(e) = svc
            .metadata()
            .delete(&self.account, crate::endpoints::KIND, &self.key)
            .await
        {
            tracing::error!(endpoint = %self.key, error = %e, "removing a deleted endpoint");
        }
    }

    /// Shutdown (or the record is gone): the containers go, quickly; a
    /// restarted server deploys again (`reconcile.rs`).
    async fn let_go(&mut self) {
        if let Some(fleet) = self.install(None) {
            fleet.retire();
            let engine = self.h.service().job_runtime().engine().clone();
            for v in &fleet.variants {
                for i in v.instances() {
                    if let Some(r) = i.running.lock().await.take() {
                        r.end(&engine, Duration::from_secs(2)).await;
                    }
                }
            }
            crate::meter::checkpoint(&self.h, &fleet).await;
        }
    }
}
