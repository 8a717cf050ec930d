//! The hosts of a training job: `algo-1` alone, or `algo-1` … `algo-N` on a
//! network of their own (distributed training, docs/jobs.md "Distributed
//! training"). Names of their containers and network, the wait for
//! container slots, and FailureReasons that name the host.

use super::prepare::WorkDir;
use super::state::{self, Secondary, TrainingJob};
use crate::jobs::{JobRuntime, StopKind};
use crate::Service;
use slipway_core::ports::engine::{ContainerSpec, NetworkInfo};
use slipway_core::AccountId;
use slipway_executor::training::{self, TrainingContainer};
use slipway_executor::Fatal;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use tokio::sync::{watch, OwnedSemaphorePermit};

/// The engine-side name of a job's container on host `n` (1-based):
/// `algo-1`'s keeps the name single-host jobs have always had.
pub fn container_name_of(account: &AccountId, key: &str, n: usize) -> String {
    let first = super::runner::container_name(account, key);
    if n <= 1 {
        first
    } else {
        format!("{first}-algo-{n}")
    }
}

/// The network of a job on several hosts (one per job: its hosts reach
/// each other and, under isolation, nothing else).
pub fn network_name(account: &AccountId, key: &str) -> String {
    super::runner::container_name(account, key)
}

/// The log stream of host `n` (1-based), from `algo-1`'s
/// (`<job>/algo-1-<epoch>`): all hosts share the epoch.
pub fn log_stream_of(first: &str, job: &str, n: usize) -> String {
    let epoch = first.rsplit('-').next().unwrap_or("0");
    format!("{job}/algo-{n}-{epoch}")
}

/// `AlgorithmError: …` → `AlgorithmError: algo-2: …`: which host failed.
pub fn naming_host(reason: &str, n: usize) -> String {
    match reason.split_once(": ") {
        Some((kind, rest)) => state::clip_reason(&format!("{kind}: algo-{n}: {rest}")),
        None => state::clip_reason(&format!("algo-{n}: {reason}")),
    }
}

/// Takes `hosts` training container slots at once (so two jobs waiting
/// for slots cannot each hold part of what the other needs), saying in
/// the open Starting transition that the job waits when it has to.
/// `None` when a stop (or shutdown) came first.
pub(super) async fn wait_for_slots(
    svc: &Service,
    rt: &Arc<JobRuntime>,
    account: &AccountId,
    key: &str,
    hosts: usize,
    stop_rx: &watch::Receiver<Option<StopKind>>,
) -> Option<OwnedSemaphorePermit> {
    let slots = rt.training_slots.clone();
    let wanted = u32::try_from(hosts).unwrap_or(u32::MAX);
    if let Ok(permit) = slots.clone().try_acquire_many_owned(wanted) {
        return Some(permit);
    }
    let cap = rt.settings.max_training_containers.max(1);
    let message = if hosts == 1 {
        format!("Waiting for a training container slot (this server runs at most {cap} training containers at once)")
    } else {
        format!("Waiting for {hosts} training container slots (this server runs at most {cap} training containers at once)")
    };
    set_starting_message(svc, account, key, Some(message)).await;
    let mut stop = stop_rx.clone();
    let permit = tokio::select! {
        permit = slots.acquire_many_owned(wanted) => permit.ok(),
        _ = stop.wait_for(Option::is_some) => None,
    };
    if permit.is_some() {
        set_starting_message(svc, account, key, None).await;
    }
    permit
}

/// Rewrites the message of the open Starting transition (`None`: the
/// usual one).
async fn set_starting_message(
    svc: &Service,
    account: &AccountId,
    key: &str,
    message: Option<String>,
) {
    let saved = state::mutate(svc, account, key, |st, doc| {
        let Some(last) = doc.state.transitions.last_mut() else {
            return Ok(false);
        };
        if state::status::is_terminal(st) || last.status != Secondary::Starting.as_str() {
            return Ok(false);
        }
        last.message = message
            .clone()
            .unwrap_or_else(|| Secondary::Starting.message().to_owned());
        Ok(true)
    })
    .await;
    if let Err(e) = saved {
        tracing::warn!(job = %key, error = %e, "recording the wait for container slots");
    }
}

/// Host `n`'s (1-based) container: the job's image, entrypoint,
/// arguments and environment, its own `/opt/ml` (`wd`), host name and
/// instance group's limits, on `cluster_network` when the job has several
/// hosts.
pub fn container_spec(
    account: &AccountId,
    key: &str,
    job: &TrainingJob,
    wd: &WorkDir,
    image_id: &str,
    n: usize,
    cluster_network: Option<String>,
) -> ContainerSpec {
    let req = &job.doc.spec;
    let shape = super::cluster::shape_of(&job.doc.plan, n);
    let mut env: std::collections::BTreeMap<String, String> =
        req.environment.clone().into_iter().collect();
    env.insert("TRAINING_JOB_NAME".into(), job.record.name.clone());
    env.insert("TRAINING_JOB_ARN".into(), job.record.arn.clone());
    let container = TrainingContainer {
        name: container_name_of(account, key, n),
        image_id: image_id.to_owned(),
        entrypoint: req.algorithm_specification.container_entrypoint.clone(),
        args: req
            .algorithm_specification
            .container_arguments
            .clone()
            .unwrap_or_else(|| vec!["train".to_owned()]),
        env,
        account: account.clone(),
        job_arn: job.record.arn.clone(),
        checkpoint_path: req.checkpoint_config.as_ref().map(|cp| {
            cp.local_path
                .clone()
                .unwrap_or_else(|| "/opt/ml/checkpoints".into())
        }),
        nano_cpus: shape.nano_cpus,
        memory_bytes: shape.memory_bytes,
        network_isolated: req.network_isolated(),
        host: training::host_name(n),
        cluster_network,
    };
    training::container_spec(&container, wd)
}

/// The containers of hosts `algo-1`…`algo-count`, on a network of their
/// own when there are several (made here). Internal under isolation: the
/// hosts reach each other and nothing else (not this machine, not
/// Slipway's port, no DNS), so they find each other by fixed addresses.
pub(super) async fn container_specs(
    rt: &JobRuntime,
    (account, key): (&AccountId, &str),
    job: &TrainingJob,
    wd: &WorkDir,
    image_id: &str,
    count: usize,
) -> Result<Vec<ContainerSpec>, Fatal> {
    let network = (count > 1).then(|| network_name(account, key));
    let mut addresses = None;
    if let Some(net) = &network {
        let isolated = job.doc.spec.network_isolated();
        let info = rt.engine.ensure_network(net, isolated).await.map_err(|e| {
            Fatal(format!(
                "InternalServerError: creating the job's network: {e}"
            ))
        })?;
        addresses = self::addresses(&info, count, isolated)?;
    }
    Ok((1..=count)
        .map(|n| {
            let host_wd = wd.for_host(n);
            let mut spec =
                container_spec(account, key, job, &host_wd, image_id, n, network.clone());
            if let Some(a) = &addresses {
                pin_address(&mut spec, a, n);
            }
            spec
        })
        .collect())
}

/// The addresses of hosts `algo-1`…`algo-count` on the job's network.
/// An isolated network has no DNS, so there they are required: the hosts
/// find each other only through the `/etc/hosts` entries they make.
pub fn addresses(
    info: &NetworkInfo,
    count: usize,
    isolated: bool,
) -> Result<Option<Vec<Ipv4Addr>>, Fatal> {
    match info.container_addresses(count) {
        Some(a) => Ok(Some(a)),
        None if isolated => Err(Fatal(format!(
            "InternalServerError: the job's network has no room for {count} hosts (subnet {:?})",
            info.ipv4_subnet
        ))),
        None => Ok(None),
    }
}

/// Gives host `n` (1-based) its address and every host's name in
/// `/etc/hosts`.
pub fn pin_address(spec: &mut ContainerSpec, addresses: &[Ipv4Addr], n: usize) {
    spec.ipv4_address = addresses.get(n - 1).copied();
    spec.extra_hosts = addresses
        .iter()
        .enumerate()
        .map(|(i, a)| (training::host_name(i + 1), IpAddr::V4(*a)))
        .collect();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_name_the_host_after_their_kind() {
        assert_eq!(
            naming_host("AlgorithmError: boom", 2),
            "AlgorithmError: algo-2: boom"
        );
        assert_eq!(naming_host("odd", 3), "algo-3: odd");
    }

    #[test]
    fn hosts_share_the_first_streams_epoch() {
        assert_eq!(log_stream_of("j/algo-1-1700", "j", 2), "j/algo-2-1700");
        assert_eq!(
            log_stream_of("my-job/algo-1-5", "my-job", 10),
            "my-job/algo-10-5"
        );
    }
}
