//! Isolated (internal) networks: no route out, no DNS, and no way in to
//! the engine's host.
//!
//! An internal bridge network still gives the host an address on it (the
//! gateway), and Podman's DNS server (aardvark-dns) listens there and
//! forwards any name it does not know to the host's resolvers. So a
//! container on a plain internal network can open a connection to any
//! host service bound to `0.0.0.0`, and can leak data through DNS
//! queries (docs/architecture.md "Container engine facts"). Slipway closes
//! both:
//! - the network is created without DNS (the hosts of a distributed job
//!   find each other through `/etc/hosts` entries instead), and
//! - its bridge gets a name starting with [`BRIDGE_PREFIX`], and one
//!   nftables table drops every packet that arrives from such a bridge
//!   for the host itself, except replies to connections the host opened
//!   (Slipway reaching an isolated container), and every packet the host
//!   would route from it elsewhere.
//!
//! The rule is installed through the `nft` program rather than netlink
//! by hand: a ruleset is one short text, and no maintained crate makes
//! nftables transactions simpler than `nft -f -`.

use slipway_core::ports::engine::EngineError;
use std::process::Stdio;
use tokio::io::AsyncWriteExt;

/// Bridges of isolated networks are named `slwi` + 11 hex digits (Linux
/// interface names are at most 15 bytes).
pub(crate) const BRIDGE_PREFIX: &str = "slwi";

/// The nftables table holding Slipway's isolation rules.
const TABLE: &str = "slipway_isolation";

/// The bridge interface name of isolated network `network`: derived from
/// its name so that concurrent servers on one engine never collide.
pub(crate) fn bridge_name(network: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = hex::encode(Sha256::digest(network.as_bytes()));
    format!("{BRIDGE_PREFIX}{}", &digest[..11])
}

/// The ruleset, replaced whole and atomically: declaring the table first
/// makes the `delete` valid whether or not it existed.
fn ruleset() -> String {
    format!(
        r#"table inet {TABLE}
delete table inet {TABLE}
table inet {TABLE} {{
    chain input {{
        type filter hook input priority -10; policy accept;
        iifname "{BRIDGE_PREFIX}*" ct state established,related accept
        iifname "{BRIDGE_PREFIX}*" drop
    }}
    chain forward {{
        type filter hook forward priority -10; policy accept;
        iifname "{BRIDGE_PREFIX}*" oifname != "{BRIDGE_PREFIX}*" drop
    }}
}}
"#
    )
}

/// Installs (or re-installs) the rules. Cheap enough to run for every
/// isolated network made: an administrator's `nft flush ruleset` is then
/// repaired by the next job rather than silently leaving jobs open.
pub(crate) async fn guard_host() -> Result<(), EngineError> {
    let fail = |why: String| {
        EngineError::Engine {
        detail: format!(
            "isolating a network from the engine's host needs nftables (the nft program) and root: {why}"
        ),
    }
    };
    // Debian keeps it in /usr/sbin, which a non-root PATH may lack.
    let program = ["/usr/sbin/nft", "/sbin/nft"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .unwrap_or("nft");
    let mut child = tokio::process::Command::new(program)
        .args(["-f", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| fail(format!("running nft: {e}")))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(ruleset().as_bytes())
            .await
            .map_err(|e| fail(format!("writing to nft: {e}")))?;
    }
    let out = child
        .wait_with_output()
        .await
        .map_err(|e| fail(format!("waiting for nft: {e}")))?;
    if out.status.success() {
        Ok(())
    } else {
        let stderr = String::from_utf8_lossy(&out.stderr);
        Err(fail(stderr.trim().chars().take(500).collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bridge_names_fit_an_interface_name_and_differ_per_network() {
        let a = bridge_name("slipway-123456789012-job-a");
        let b = bridge_name("slipway-123456789012-job-b");
        assert_eq!(a.len(), 15);
        assert!(a.starts_with(BRIDGE_PREFIX));
        assert_ne!(a, b);
        assert_eq!(a, bridge_name("slipway-123456789012-job-a"));
    }

    #[test]
    fn the_ruleset_replaces_one_table_and_matches_the_prefix() {
        let r = ruleset();
        assert!(r.starts_with("table inet slipway_isolation\ndelete table"));
        assert!(r.contains(r#"iifname "slwi*" drop"#));
        assert!(r.contains("ct state established,related accept"));
    }
}
