//! Slipway's networks: `slipway` for inference containers that may reach
//! the outside, and one per distributed training job (internal when the
//! job is network-isolated; see `isolation`).
//!
//! On Podman they are made through its own API, which can turn DNS off
//! and name the bridge (the Docker-compatible create cannot do the
//! first); on Docker through the compatible API, where the bridge name is
//! an option.

use crate::convert::{map_err, server_error};
use crate::{isolation, raw, DockerEngine};
use bollard::models::{NetworkCreateRequest, NetworkInspect};
use serde::Deserialize;
use slipway_core::ports::engine::{EngineError, NetworkInfo, LABEL_MANAGED};
use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::time::Duration;

const NETWORK_CALL_TIMEOUT: Duration = Duration::from_secs(60);

/// The fields of Podman's `GET /libpod/networks/{name}/json` used here.
#[derive(Debug, Deserialize)]
struct PodmanNetwork {
    #[serde(default)]
    network_interface: String,
    #[serde(default)]
    subnets: Vec<PodmanSubnet>,
    #[serde(default)]
    internal: bool,
    #[serde(default)]
    dns_enabled: bool,
}

#[derive(Debug, Deserialize)]
struct PodmanSubnet {
    subnet: String,
    #[serde(default)]
    gateway: Option<String>,
}

/// `10.89.3.0/24` → (10.89.3.0, 24); IPv6 and nonsense → `None`.
fn parse_subnet(s: &str) -> Option<(Ipv4Addr, u8)> {
    let (addr, prefix) = s.split_once('/')?;
    let prefix: u8 = prefix.parse().ok()?;
    (prefix <= 32).then_some(())?;
    Some((addr.parse().ok()?, prefix))
}

fn info_of(subnets: impl IntoIterator<Item = (String, Option<String>)>) -> NetworkInfo {
    subnets
        .into_iter()
        .find_map(|(subnet, gateway)| {
            Some(NetworkInfo {
                ipv4_subnet: Some(parse_subnet(&subnet)?),
                ipv4_gateway: gateway.and_then(|g| g.parse().ok()),
            })
        })
        .unwrap_or_default()
}

fn engine_error(detail: String) -> EngineError {
    EngineError::Engine { detail }
}

impl DockerEngine {
    pub(crate) async fn ensure_network_impl(
        &self,
        name: &str,
        internal: bool,
    ) -> Result<NetworkInfo, EngineError> {
        if internal {
            if matches!(self.endpoint, raw::Endpoint::Tcp(_)) {
                return Err(engine_error(format!(
                    "the engine at {} is remote: an isolated network can only be closed to the engine's host from that host",
                    self.host
                )));
            }
            isolation::guard_host().await?;
        }
        if self.podman {
            self.ensure_podman_network(name, internal).await
        } else {
            self.ensure_compat_network(name, internal).await
        }
    }

    async fn podman_network(&self, name: &str) -> Result<Option<PodmanNetwork>, EngineError> {
        let path = format!(
            "/v4.0.0/libpod/networks/{}/json",
            percent_encoding::utf8_percent_encode(name, percent_encoding::NON_ALPHANUMERIC)
        );
        let (status, body) = self.endpoint.get(&path, NETWORK_CALL_TIMEOUT).await?;
        match status {
            200 => serde_json::from_slice(&body)
                .map(Some)
                .map_err(|e| engine_error(format!("reading network {name}: {e}"))),
            404 => Ok(None),
            s => Err(engine_error(format!(
                "inspecting network {name}: HTTP {s}: {}",
                String::from_utf8_lossy(&body)
            ))),
        }
    }

    /// Does `n` give what was asked? An internal network must also have
    /// Slipway's isolation (no DNS, a guarded bridge).
    fn podman_check(name: &str, n: &PodmanNetwork, internal: bool) -> Result<(), EngineError> {
        if n.internal != internal {
            return Err(engine_error(format!(
                "network {name} exists with internal={}, wanted internal={internal}",
                n.internal
            )));
        }
        if internal && (n.dns_enabled || !n.network_interface.starts_with(isolation::BRIDGE_PREFIX))
        {
            return Err(engine_error(format!(
                "network {name} is internal but not isolated from the host (DNS on, or bridge {} not guarded); remove it",
                n.network_interface
            )));
        }
        Ok(())
    }

    async fn ensure_podman_network(
        &self,
        name: &str,
        internal: bool,
    ) -> Result<NetworkInfo, EngineError> {
        let existing = match self.podman_network(name).await? {
            // An internal network of an older Slipway lacks the isolation:
            // replace it if nothing uses it (removal fails otherwise).
            Some(n) if internal && Self::podman_check(name, &n, internal).is_err() => {
                let _ = self.remove_network_impl(name).await;
                self.podman_network(name).await?
            }
            other => other,
        };
        if existing.is_none() {
            let mut request = serde_json::json!({
                "name": name,
                "driver": "bridge",
                "internal": internal,
                "labels": { LABEL_MANAGED: "1" },
            });
            if internal {
                request["dns_enabled"] = false.into();
                request["network_interface"] = isolation::bridge_name(name).into();
            } else {
                request["dns_enabled"] = true.into();
            }
            let body = serde_json::to_vec(&request)
                .map_err(|e| engine_error(format!("network request: {e}")))?;
            // Another task may have created it meanwhile (409): judge by
            // what exists.
            let _ = self
                .endpoint
                .post_json(
                    "/v4.0.0/libpod/networks/create",
                    &body,
                    NETWORK_CALL_TIMEOUT,
                )
                .await;
        }
        let n = self
            .podman_network(name)
            .await?
            .ok_or_else(|| engine_error(format!("network {name} could not be created")))?;
        Self::podman_check(name, &n, internal)?;
        Ok(info_of(
            n.subnets.into_iter().map(|s| (s.subnet, s.gateway)),
        ))
    }

    async fn ensure_compat_network(
        &self,
        name: &str,
        internal: bool,
    ) -> Result<NetworkInfo, EngineError> {
        let check = |n: NetworkInspect| {
            let is_internal = n.internal.unwrap_or(false);
            if is_internal != internal {
                return Err(engine_error(format!(
                    "network {name} exists with internal={is_internal}, wanted internal={internal}"
                )));
            }
            let configs = n.ipam.and_then(|i| i.config).unwrap_or_default();
            Ok(info_of(
                configs
                    .into_iter()
                    .filter_map(|c| Some((c.subnet?, c.gateway))),
            ))
        };
        match self.docker.inspect_network(name, None).await {
            Ok(n) => return check(n),
            Err(e) if server_error(&e).is_some_and(|(c, _)| c == 404) => {}
            Err(e) => return Err(map_err(e, name)),
        }
        let options = internal.then(|| {
            HashMap::from([(
                "com.docker.network.bridge.name".to_owned(),
                isolation::bridge_name(name),
            )])
        });
        let request = NetworkCreateRequest {
            name: name.to_owned(),
            driver: Some("bridge".to_owned()),
            internal: Some(internal),
            options,
            labels: Some(HashMap::from([(LABEL_MANAGED.to_owned(), "1".to_owned())])),
            ..Default::default()
        };
        let created = self.docker.create_network(request).await;
        // Another task may have created it meanwhile: judge by what exists.
        match self.docker.inspect_network(name, None).await {
            Ok(n) => check(n),
            Err(e) => Err(match created {
                Err(ce) => map_err(ce, name),
                Ok(_) => map_err(e, name),
            }),
        }
    }

    pub(crate) async fn remove_network_impl(&self, name: &str) -> Result<(), EngineError> {
        match self.docker.remove_network(name).await {
            Ok(()) => Ok(()),
            Err(e) if server_error(&e).is_some_and(|(c, _)| c == 404) => Ok(()),
            Err(e) => Err(map_err(e, name)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subnets_parse_and_ipv6_is_skipped() {
        assert_eq!(
            parse_subnet("10.89.3.0/24"),
            Some((Ipv4Addr::new(10, 89, 3, 0), 24))
        );
        assert_eq!(parse_subnet("fd00::/64"), None);
        assert_eq!(parse_subnet("10.0.0.0/33"), None);
        let info = info_of([
            ("fd00::/64".to_owned(), None),
            ("10.89.3.0/24".to_owned(), Some("10.89.3.1".to_owned())),
        ]);
        assert_eq!(info.ipv4_gateway, Some(Ipv4Addr::new(10, 89, 3, 1)));
        assert_eq!(
            info.container_addresses(2),
            Some(vec![
                Ipv4Addr::new(10, 89, 3, 2),
                Ipv4Addr::new(10, 89, 3, 3)
            ])
        );
    }

    #[test]
    fn a_podman_internal_network_needs_dns_off_and_a_guarded_bridge() {
        let n = |dns: bool, ifname: &str| PodmanNetwork {
            network_interface: ifname.to_owned(),
            subnets: Vec::new(),
            internal: true,
            dns_enabled: dns,
        };
        assert!(DockerEngine::podman_check("x", &n(false, "slwi0123456789a"), true).is_ok());
        assert!(DockerEngine::podman_check("x", &n(true, "slwi0123456789a"), true).is_err());
        assert!(DockerEngine::podman_check("x", &n(false, "podman3"), true).is_err());
        assert!(DockerEngine::podman_check("x", &n(false, "podman3"), false).is_err());
    }
}
