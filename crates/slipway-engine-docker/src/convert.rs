//! Translation between the port's domain types and the Docker Engine API
//! models, kept apart from the I/O so it can be unit-tested.

use bollard::errors::Error as DockerError;
use bollard::models::{
    ContainerCreateBody, ContainerInspectResponse, ContainerStateStatusEnum, EndpointIpamConfig,
    EndpointSettings, HostConfig, Mount, MountType, NetworkingConfig,
};
use slipway_core::ports::engine::{
    ContainerSpec, ContainerState, EngineError, NetworkMode, LABEL_MANAGED, PIDS_LIMIT,
};
use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Capabilities dropped on top of the engine's default set. Podman's
/// default already lacks NET_RAW, MKNOD and AUDIT_WRITE; Docker's has them.
/// Nothing a training or inference container legitimately needs.
const CAP_DROP: &[&str] = &["NET_RAW", "MKNOD", "AUDIT_WRITE", "SYS_CHROOT", "SETFCAP"];

/// The create request for `spec`, with Slipway's fixed security settings.
pub(crate) fn create_body(spec: &ContainerSpec) -> ContainerCreateBody {
    let mut labels: HashMap<String, String> = spec
        .labels
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    labels
        .entry(LABEL_MANAGED.to_owned())
        .or_insert_with(|| "1".to_owned());
    let mounts = spec
        .mounts
        .iter()
        .map(|m| Mount {
            target: Some(m.container_path.clone()),
            source: Some(m.host_path.to_string_lossy().into_owned()),
            typ: Some(MountType::BIND),
            read_only: Some(m.read_only),
            ..Default::default()
        })
        .collect();
    let network_mode = match &spec.network {
        NetworkMode::Default => None,
        NetworkMode::Named(name) => Some(name.clone()),
        NetworkMode::None => Some("none".to_owned()),
    };
    let host_config = HostConfig {
        mounts: Some(mounts),
        nano_cpus: spec.limits.nano_cpus,
        memory: spec.limits.memory_bytes,
        // Swap equal to memory means no swap on top: the limit binds.
        memory_swap: spec.limits.memory_bytes,
        pids_limit: Some(PIDS_LIMIT),
        network_mode,
        privileged: Some(false),
        cap_add: Some(Vec::new()),
        cap_drop: Some(CAP_DROP.iter().map(|c| (*c).to_owned()).collect()),
        security_opt: Some(vec!["no-new-privileges".to_owned()]),
        extra_hosts: (!spec.extra_hosts.is_empty()).then(|| {
            spec.extra_hosts
                .iter()
                .map(|(name, ip)| format!("{name}:{ip}"))
                .collect()
        }),
        ..Default::default()
    };
    // Aliases and addresses are per network: how the other hosts of a
    // distributed training job reach this one (`algo-2`) on their network.
    let networking_config = match &spec.network {
        NetworkMode::Named(name)
            if !spec.network_aliases.is_empty() || spec.ipv4_address.is_some() =>
        {
            Some(NetworkingConfig {
                endpoints_config: Some(HashMap::from([(
                    name.clone(),
                    EndpointSettings {
                        aliases: (!spec.network_aliases.is_empty())
                            .then(|| spec.network_aliases.clone()),
                        ipam_config: spec.ipv4_address.map(|ip| EndpointIpamConfig {
                            ipv4_address: Some(ip.to_string()),
                            ..Default::default()
                        }),
                        ..Default::default()
                    },
                )])),
            })
        }
        _ => None,
    };
    ContainerCreateBody {
        image: Some(spec.image.clone()),
        networking_config,
        entrypoint: spec.entrypoint.clone(),
        cmd: (!spec.args.is_empty()).then(|| spec.args.clone()),
        env: Some(spec.env.iter().map(|(k, v)| format!("{k}={v}")).collect()),
        labels: Some(labels),
        hostname: spec.hostname.clone(),
        user: spec.user.clone(),
        tty: Some(false),
        attach_stdin: Some(false),
        open_stdin: Some(false),
        host_config: Some(host_config),
        ..Default::default()
    }
}

/// Docker's "zero time" (`0001-01-01T00:00:00Z`) and unparsable values
/// both mean "not known".
pub(crate) fn parse_time(s: Option<&str>) -> Option<OffsetDateTime> {
    let t = OffsetDateTime::parse(s?, &Rfc3339).ok()?;
    (t.year() > 1).then_some(t)
}

/// The exit code in Podman's answer to `POST /libpod/containers/{id}/wait`:
/// a bare JSON integer (`0\n`).
pub(crate) fn libpod_exit_code(body: &[u8]) -> Option<i64> {
    std::str::from_utf8(body).ok()?.trim().parse().ok()
}

/// The state in an inspect answer as the engine spelled it (Podman's own
/// names included), if readable.
pub(crate) fn raw_status(body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    v.pointer("/State/Status")?.as_str().map(str::to_owned)
}

/// Reads an inspect answer, translating Podman's own container states to
/// Docker's (`stopped`: exited but not yet cleaned up) so bollard's model
/// accepts them.
pub(crate) fn lenient_inspect(body: &[u8]) -> Result<ContainerInspectResponse, EngineError> {
    let unreadable = |e: serde_json::Error| EngineError::Engine {
        detail: format!("unreadable container inspect answer: {e}"),
    };
    let mut v: serde_json::Value = serde_json::from_slice(body).map_err(unreadable)?;
    if let Some(status) = v.pointer_mut("/State/Status") {
        let docker = match status.as_str() {
            Some(
                s @ ("created" | "running" | "paused" | "restarting" | "removing" | "exited"
                | "dead"),
            ) => Some(s.to_owned()),
            Some("stopped") => Some("exited".to_owned()),
            Some("configured" | "initialized") => Some("created".to_owned()),
            Some("stopping") => Some("running".to_owned()),
            _ => None,
        };
        *status = docker.map_or(serde_json::Value::Null, serde_json::Value::String);
    }
    serde_json::from_value(v).map_err(unreadable)
}

pub(crate) fn container_state(r: ContainerInspectResponse) -> ContainerState {
    let state = r.state.unwrap_or_default();
    let running = state.running.unwrap_or(false);
    let finished_at = parse_time(state.finished_at.as_deref());
    let exited = matches!(
        state.status,
        Some(ContainerStateStatusEnum::EXITED | ContainerStateStatusEnum::DEAD)
    );
    let exit_code = if !running && (exited || finished_at.is_some()) {
        state.exit_code
    } else {
        None
    };
    let ip_addresses = r
        .network_settings
        .and_then(|n| n.networks)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(name, ep)| {
            let ip: IpAddr = ep.ip_address.as_deref()?.parse().ok()?;
            Some((name, ip))
        })
        .collect();
    let labels = r
        .config
        .and_then(|c| c.labels)
        .unwrap_or_default()
        .into_iter()
        .collect::<BTreeMap<_, _>>();
    ContainerState {
        running,
        exit_code,
        oom_killed: state.oom_killed.unwrap_or(false),
        ip_addresses,
        labels,
        started_at: parse_time(state.started_at.as_deref()),
        finished_at: if running { None } else { finished_at },
    }
}

/// Status code and message of an error the engine answered with.
pub(crate) fn server_error(e: &DockerError) -> Option<(u16, &str)> {
    match e {
        DockerError::DockerResponseServerError {
            status_code,
            message,
        } => Some((*status_code, message.as_str())),
        _ => None,
    }
}

/// The generic mapping; `what` names the object for `NotFound`. Callers
/// special-case what their operation gives meaning to (404 on create is a
/// missing image, 409 a name in use) before falling back to this.
pub(crate) fn map_err(e: DockerError, what: &str) -> EngineError {
    match &e {
        DockerError::DockerResponseServerError {
            status_code: 404, ..
        } => EngineError::NotFound(what.to_owned()),
        DockerError::RequestTimeoutError
        | DockerError::SocketNotFoundError(_)
        | DockerError::IOError { .. }
        | DockerError::HyperResponseError { .. }
        | DockerError::HyperLegacyError { .. } => EngineError::Unavailable {
            detail: e.to_string(),
        },
        _ => EngineError::Engine {
            detail: e.to_string(),
        },
    }
}

/// `repo` → `repo:latest`, so a pull never means "every tag" (Docker pulls
/// all tags when `fromImage` has neither tag nor digest).
pub(crate) fn with_default_tag(image: &str) -> String {
    if image.contains('@') {
        return image.to_owned();
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    if last.contains(':') {
        image.to_owned()
    } else {
        format!("{image}:latest")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use slipway_core::ports::engine::{BindMount, Limits};

    #[test]
    fn the_raw_status_keeps_podman_s_own_state_names() {
        let body = br#"{"State":{"Status":"stopped","ExitCode":3}}"#;
        assert_eq!(raw_status(body).as_deref(), Some("stopped"));
        let translated = lenient_inspect(body).unwrap().state.unwrap().status;
        assert_eq!(translated, Some(ContainerStateStatusEnum::EXITED));
        assert_eq!(raw_status(b"{}"), None);
        assert_eq!(raw_status(b"not json"), None);
    }

    #[test]
    fn default_tag_only_when_missing() {
        assert_eq!(with_default_tag("busybox"), "busybox:latest");
        assert_eq!(
            with_default_tag("localhost:5000/a/b"),
            "localhost:5000/a/b:latest"
        );
        assert_eq!(
            with_default_tag("localhost:5000/a/b:v1"),
            "localhost:5000/a/b:v1"
        );
        assert_eq!(with_default_tag("a/b@sha256:00"), "a/b@sha256:00");
    }

    #[test]
    fn zero_time_is_none() {
        assert_eq!(parse_time(Some("0001-01-01T00:00:00Z")), None);
        assert_eq!(parse_time(Some("garbage")), None);
        let t = parse_time(Some("2026-11-25T10:39:25.782717377Z")).unwrap();
        assert_eq!(t.unix_timestamp(), 1_795_603_165);
    }

    #[test]
    fn podman_stopped_reads_as_exited() {
        let body = br#"{"Id":"c1","State":{"Status":"stopped","Running":false,"ExitCode":3,
            "StartedAt":"2026-11-25T15:52:02.524311953Z","FinishedAt":"2026-11-25T15:52:02.582710355Z"}}"#;
        let st = container_state(lenient_inspect(body).unwrap());
        assert!(!st.running);
        assert_eq!(st.exit_code, Some(3));
        assert!(st.finished_at.is_some());
        let odd = br#"{"Id":"c1","State":{"Status":"somethingnew","Running":true}}"#;
        let st = container_state(lenient_inspect(odd).unwrap());
        assert!(st.running);
        assert_eq!(st.exit_code, None);
        assert!(lenient_inspect(b"not json").is_err());
        assert_eq!(libpod_exit_code(b"137\n"), Some(137));
        assert_eq!(libpod_exit_code(b"{\"cause\":\"x\"}"), None);
    }

    #[test]
    fn body_is_hardened_and_binds_memory() {
        let mut spec = ContainerSpec::new("n", "img");
        spec.args = vec!["train".into()];
        spec.limits = Limits {
            nano_cpus: Some(2_000_000_000),
            memory_bytes: Some(1 << 30),
        };
        spec.mounts.push(BindMount {
            host_path: "/tmp/a:b".into(),
            container_path: "/opt/ml/model".into(),
            read_only: true,
        });
        spec.network = NetworkMode::None;
        let body = create_body(&spec);
        let hc = body.host_config.unwrap();
        assert_eq!(hc.memory, Some(1 << 30));
        assert_eq!(hc.memory_swap, Some(1 << 30));
        assert_eq!(hc.pids_limit, Some(PIDS_LIMIT));
        assert_eq!(hc.privileged, Some(false));
        assert_eq!(hc.network_mode.as_deref(), Some("none"));
        assert!(hc
            .security_opt
            .unwrap()
            .contains(&"no-new-privileges".to_owned()));
        let m = &hc.mounts.unwrap()[0];
        assert_eq!(m.source.as_deref(), Some("/tmp/a:b"));
        assert_eq!(m.read_only, Some(true));
        assert_eq!(body.cmd, Some(vec!["train".to_owned()]));
        assert_eq!(body.entrypoint, None);
        assert_eq!(
            body.labels.unwrap().get(LABEL_MANAGED).map(String::as_str),
            Some("1")
        );
    }
}
